"""Test-run order: the longest files first.

`.ci/run` runs the tests in three processes, one file to a process at a time
(pytest-xdist's ``--dist loadfile``), handing out files in collection order. In
alphabetical order the two longest files (the Spark and browser sessions) came last,
and one process ran them alone for the last minute or two. Starting the longest files
first (longest-processing-time order) lets the short ones fill in at the end. The
order only changes when tests run, never what they check; files not named here keep
their places after these.
"""

from __future__ import annotations

import os
from typing import Any

# numpy's OpenBLAS starts a thread per core at import and they spin a while: ~0.1 s of CPU
# in each of the several hundred `python -m mapper` processes (and workers) the tests
# start, on a 2-core CI machine (0.48 -> 0.37 s of CPU a `mapper validate`). mapper makes
# no BLAS calls; the tests' subprocesses inherit this.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: Files by the time they take under coverage, longest first (measured 2026-12-03:
#: ~40-150 s each; every other file takes under 30 s).
LONGEST_FIRST = (
    "test_spark.py",
    "test_objects.py",
    "test_cli.py",
    "test_hostile.py",
    "test_columnar.py",
    "test_infer.py",
    "test_send_serve.py",
    "test_web_browser.py",
    "test_parallel.py",
    "test_properties.py",
    "test_definitions.py",
)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order is kept
