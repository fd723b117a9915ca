"""Run pytest and fail when it ran no test at all (pytest's exit code 5).

A suite that silently collects nothing must not pass as green."""

from __future__ import annotations

import sys

import pytest

NO_TESTS_COLLECTED = 5

if __name__ == "__main__":
    code = pytest.main(sys.argv[1:])
    if code == NO_TESTS_COLLECTED:
        print("pytest collected no tests: treating that as a failure.", file=sys.stderr)
        sys.exit(1)
    sys.exit(int(code))
