from django.db import migrations

# The receiver's rows, tens of kilobytes of JSON each, compressed with lz4 where the server
# has it: about a seventh of the size stored uncompressed (0012's EXTERNAL), so far fewer
# TOAST rows and WAL, in less time than writing them whole (0.21 against 0.30 ms for a 37 KB
# row here; pglz, the default, took 0.41 to 0.47). A full bench/ingest.py run wrote 4,916
# bytes of WAL per event against 5,406; its rates moved within their noise. A server built
# without lz4 (the embedded one `make run` may start) keeps the rows uncompressed.
LZ4 = """
DO $$
BEGIN
    ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET COMPRESSION lz4;
    ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET STORAGE EXTENDED;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'No lz4 in this PostgreSQL: received deliveries stay uncompressed';
END
$$;
"""

UNCOMPRESSED = """
ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET COMPRESSION default;
ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET STORAGE EXTERNAL;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0013_unchecked_event_and_work_item_client"),
    ]

    operations = [migrations.RunSQL(LZ4, UNCOMPRESSED)]
