"""The tests of a NOT_TRACED file (tests/conftest.py) run with no tracer, under the README's test
command (--cov, three xdist processes) too: pytest-cov's ``no_cover`` marker, which did this before,
left them traced in an xdist worker (a second coverage collector ran under pytest-cov's), and nothing
said so. Without --cov there is no tracer to take away, and this passes trivially."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest


def test_a_not_traced_files_test_runs_with_no_tracer_on_its_thread_or_those_it_starts() -> None:
    assert sys.gettrace() is None
    assert threading.gettrace() is None
    seen = []
    t = threading.Thread(target=lambda: seen.append(sys.gettrace()))
    t.start()
    t.join()
    assert seen == [None]


def _child_tracer(conn: Any) -> None:
    conn.send(repr(sys.gettrace()))
    conn.close()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="--workers fork")
def test_a_process_a_not_traced_files_test_forks_runs_with_no_tracer() -> None:
    # (coverage's multiprocessing support starts a tracer in every child it bootstraps: --workers
    # children of test_parallel's untraced tests were traced, ~3 s of CPU)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_child_tracer, args=(child,))
    p.start()
    said = parent.recv()
    p.join(30)
    assert (said, p.exitcode) == ("None", 0)


def test_a_test_that_leaves_a_trace_function_changed_fails_and_the_next_one_runs_as_before(tmp_path: Path) -> None:
    # A test that set a trace function and then sys.settrace(None) took coverage's tracer away from
    # every later test of its process, and the coverage figure moved with the files that followed it.
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_tracers.py").write_text(
        textwrap.dedent(
            """
            import sys, threading

            def _noop(*args):
                return None

            def test_leaves_one():
                sys.settrace(_noop)

            def test_finds_none_after_it():
                assert sys.gettrace() is None

            def test_leaves_one_for_threads():
                threading.settrace(_noop)

            def test_finds_none_for_threads_after_it():
                assert threading.gettrace() is None

            def test_gives_its_own_back():
                previous = sys.gettrace()
                sys.settrace(_noop)
                sys.settrace(previous)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=", "-rf", "test_tracers.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    failed = sorted(line.split("::")[1].split(" ")[0] for line in out.splitlines() if line.startswith("FAILED "))
    assert failed == ["test_leaves_one", "test_leaves_one_for_threads"], out
    # (the failure's own E line, once each: the short summary repeats the message only when the terminal is
    # wide enough, as it was in CI, 2026-12-06)
    said = [line for line in out.splitlines() if line.startswith("E ") and "Failed: the test left the trace function changed (" in line]
    assert len(said) == 2, out
    assert "3 passed" in out, out


def test_the_traced_lists_name_test_files_and_functions_that_exist() -> None:
    # (a renamed file or test would otherwise leave its entry behind, and the new name run untraced or traced unseen)
    import ast

    from conftest import NOT_TRACED, TRACED, UNTRACED_TESTS

    here = Path(__file__).parent
    assert sorted(name for name in TRACED if not (here / name).is_file()) == []
    assert sorted(TRACED & NOT_TRACED) == []
    missing = []
    for entry in UNTRACED_TESTS:
        name, _, function = entry.partition("::")
        assert name in TRACED, entry
        tree = ast.parse((here / name).read_text())
        found = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} | {
            f"{c.name}::{n.name}" for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body if isinstance(n, ast.FunctionDef)
        }
        if function not in found:
            missing.append(entry)
    assert missing == []


def test_traced_files_keeps_a_file_only_for_what_no_other_traced_file_reaches() -> None:
    from traced_files import decide

    a, b, c = ("tests/test_a.py", "test_x"), ("tests/test_b.py", "test_y"), ("tests/test_c.py", "test_z")
    b2 = ("tests/test_b.py", "test_slow")
    fixture = ("", "")  # (a setup, or code run outside tests: stays traced whatever is decided)
    arcs = {
        ("mapper/m.py", 1, 2): {a, b},  # (a and b both: one of them must stay)
        ("mapper/m.py", 2, 3): {a, b2},
        ("mapper/m.py", 3, 4): {c, fixture},
        ("mapper/m.py", 4, 5): {b},  # (only b)
    }
    cost = {a: 9.0, b: 1.0, b2: 5.0, c: 20.0}
    # c first (costliest): its arc is the fixture's too -> dropped; a next (9 s): 1->2 is b's too, 2->3 b2's ->
    # dropped; b keeps 4->5 of its own; then b2 (5 s), now the only one left to reach 2->3, stays traced.
    assert decide(arcs, cost, min_seconds=1.0) == (["tests/test_b.py"], [])
    # a reaching an arc of its own is kept; b's costly test b2 then reaches nothing a or b does not: untraced,
    # unless it costs less than min_seconds
    arcs[("mapper/m.py", 5, 6)] = {a}
    assert decide(arcs, cost, min_seconds=1.0) == (["tests/test_a.py", "tests/test_b.py"], [b2])
    assert decide(arcs, cost, min_seconds=6.0) == (["tests/test_a.py", "tests/test_b.py"], [])
