"""How `make run` (and bench/ingest.py) start the processes that take the load: bin/run.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bin"))

from run import BACKGROUND_NICE, BACKGROUND_PRIORITY, app_commands

AUTOGROUP = Path("/proc/self/autogroup")


@pytest.mark.skipif(not AUTOGROUP.exists(), reason="this kernel has no autogroups")
def test_a_background_process_lowers_its_whole_session_not_only_itself() -> None:
    # Started as run.py starts it, in a session of its own: plain `nice` would leave the
    # session's own level at 0, and the scheduler shares the CPU between sessions first.
    seen = subprocess.run(
        [*BACKGROUND_PRIORITY, "cat", str(AUTOGROUP)],
        start_new_session=True,
        capture_output=True,
        text=True,
        check=True,
    )
    assert seen.stdout.split()[-2:] == ["nice", str(BACKGROUND_NICE)]
    assert BACKGROUND_NICE > 0


def test_only_the_worker_runs_in_the_background() -> None:
    commands = app_commands(port=8000, webhook_port=8002, log_level="INFO")
    assert commands["worker"][: len(BACKGROUND_PRIORITY)] == BACKGROUND_PRIORITY
    assert commands["worker"][len(BACKGROUND_PRIORITY)].endswith("celery")
    for name in ("web", "webhooks"):
        assert commands[name][0] != BACKGROUND_PRIORITY[0]
