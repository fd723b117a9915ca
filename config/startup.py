"""What every long-running process does once it has loaded the code it serves."""

import gc


def freeze_startup_objects() -> None:
    """Leave the objects that exist now (Django, the apps, the URL and template machinery:
    some 85,000) out of every later garbage collection.

    They live as long as the process, yet the cyclic collector's oldest generation walks all
    of them each time it runs: 25 to 40 ms during which the process answers nothing. In the
    webhook receiver those pauses were most of the acknowledgements' 99th percentile
    (bench/ingest.py --receiver-only: p99 49 ms before, 10 ms after, and a third more
    deliveries a second). Called after a fork, or in a parent just before it, so that the
    collector also stops writing to pages the processes share."""
    gc.freeze()
