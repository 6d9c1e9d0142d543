"""Test-run order (the longest files first) and which files coverage traces.

`.ci/run` runs the tests in three processes, one file to a process at a time
(pytest-xdist's ``--dist loadfile``), handing out files in collection order
(``--no-loadscope-reorder``: without it xdist hands out the files with the most tests
first, whatever their time). In alphabetical order the two longest files (the Spark and
browser sessions) came last, and one process ran them alone for the last minute or two.
Starting the longest files first (longest-processing-time order) lets the short ones
fill in at the end. The order only changes when tests run, never what they check; files
not named here keep their places after these.

The coverage floor (pyproject.toml) is on the semantic modules (definitions, paths,
types, engine). The tests of the other layers (CLI, serve, send, web, Spark, writers,
infer, the Batcher) run untraced (pytest-cov's ``no_cover`` marker, ``NOT_TRACED``):
under branch coverage their in-process parts took ~45 s more CPU, on a 2-core CI
machine where a clean `.ci/run` took 588 s of its 600 (2026-12-03). The semantic
modules' coverage without them: 95.9-96.1% (96.7% with them).
"""

from __future__ import annotations

import os
import signal
from typing import Any, Iterator

import pytest
from hypothesis import settings

# The property tests draw their examples from a fixed seed by default (the README's test
# command and `.ci/run`): a run gives the same verdict on the same code, so a gate cannot
# fail on examples it never drew before (stop 45's CI failed on the 71st example of a
# test whose own oracle miscounted a byte order mark). New examples are drawn on purpose:
# `pytest --hypothesis-profile=explore` (each run a new seed; failures are kept in
# Hypothesis' database, `.hypothesis/`, and shown again first).
# No deadline in either: speed is measured in benchmarks/, never by a test's clock (on a
# loaded 2-core machine a first call took 332-445 ms against Hypothesis' 200 ms, its repeat
# under 1 ms: three property tests failed as flaky on 3.10 and 3.13 runs, stop 51).
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)

# numpy's OpenBLAS starts a thread per core at import and they spin a while: ~0.1 s of CPU
# in each of the several hundred `python -m mapper` processes (and workers) the tests
# start, on a 2-core CI machine (0.48 -> 0.37 s of CPU a `mapper validate`). mapper makes
# no BLAS calls; the tests' subprocesses inherit this.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: Files by their wall time, longest first: from a two-process run's per-file totals
#: (2026-12-05, --durations=0; the CLI files scaled by their in-process runs' own before/after,
#: tests/cli_inproc.py). Every other file took under ~1% of the run. The Spark files
#: other than test_spark.py (test_spark_leftovers the second longest, its first job and a
#: JVM of its own when it lands on another process) were missing here and ran last.
LONGEST_FIRST = (
    "test_spark.py",
    "test_spark_leftovers.py",
    "test_objects.py",
    "test_hostile.py",
    "test_parallel.py",
    "test_cli.py",
    "test_spark_inputs.py",
    "test_web_browser.py",
    "test_signals.py",
    "test_columnar.py",
    "test_spark_hunt.py",
    "test_send_serve.py",
    "test_definitions.py",
    "test_fuzz.py",
    "test_infer.py",
    "test_hunt_cli3.py",
    "test_difffuzz.py",
    "test_text_past_2gib.py",
    "test_send_faults.py",
)


#: Files whose tests coverage does not trace (see above).
NOT_TRACED = frozenset(
    {
        "test_batcher.py",
        "test_cli.py",
        "test_columnar.py",
        "test_examples.py",
        "test_infer.py",
        "test_mutation_sample.py",
        "test_newcomer.py",
        "test_send_faults.py",
        "test_send_serve.py",
        "test_serve_http.py",
        "test_spark.py",
        "test_web.py",
        "test_web_browser.py",
    }
)


def pytest_configure(config: Any) -> None:
    if not config.getoption("hypothesis_profile", None):  # (Hypothesis' own option, when given, wins)
        settings.load_profile("repeatable")
    # The Ctrl-C tests start commands as a terminal does, SIGINT with its default action. A run
    # started where SIGINT is ignored (a non-interactive shell's `pytest ... &`) passes SIG_IGN on
    # to every command it starts, and mapper keeps an inherited SIG_IGN, as a command should: those
    # tests then saw no interruption (exit 0, nothing said), in a process (xdist worker) where no
    # Spark test had set a handler of its own before them (which made the children's default again).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order is kept
    for item in items:
        if item.path.name in NOT_TRACED:
            item.add_marker(pytest.mark.no_cover)  # (pytest-cov's marker; without --cov it does nothing)


#: The handlers a test must give back: the commands later tests start inherit an ignored SIGINT
#: or SIGTERM, or a blocked one (Python keeps an inherited SIG_IGN), and a Ctrl-C test then sees
#: the signal lost; commands run in process (tests/cli_inproc.py) change them while they run.
_GIVEN_BACK = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def _signal_handlers_given_back() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in _GIVEN_BACK}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    changed = [signal.Signals(s).name for s in _GIVEN_BACK if signal.getsignal(s) is not before[s]]
    for s in _GIVEN_BACK:
        signal.signal(s, before[s])
    if changed:
        pytest.fail(f"the test left the {' and '.join(changed)} handler changed (given back now): a later test's subprocesses would inherit it")
    now = signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if now != mask:
        pytest.fail(
            f"the test left signals blocked or unblocked ({sorted(s.name for s in now ^ mask)}; given back now): a later test's subprocesses would inherit the mask"
        )
    ignored = _ignored_in_c()
    if ignored:
        pytest.fail(f"the test left {ignored} ignored where Python's handler does not see it")


def _ignored_in_c() -> list[str]:
    """SIGINT or SIGTERM ignored in this process as the kernel sees it (a library's own sigaction)."""
    try:
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("SigIgn:"))
    except (OSError, StopIteration):
        return []
    bits = int(line.split()[1], 16)
    return [signal.Signals(s).name for s in _GIVEN_BACK if bits >> (s - 1) & 1 and signal.getsignal(s) is not signal.SIG_IGN]
