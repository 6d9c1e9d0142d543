"""The tests of a NOT_TRACED file (tests/conftest.py) run with no tracer, under the README's test
command (--cov, three xdist processes) too: pytest-cov's ``no_cover`` marker, which did this before,
left them traced in an xdist worker (a second coverage collector ran under pytest-cov's), and nothing
said so. Without --cov there is no tracer to take away, and this passes trivially."""

from __future__ import annotations

import sys
import threading


def test_a_not_traced_files_test_runs_with_no_tracer_on_its_thread_or_those_it_starts() -> None:
    assert sys.gettrace() is None
    assert threading.gettrace() is None
    seen = []
    t = threading.Thread(target=lambda: seen.append(sys.gettrace()))
    t.start()
    t.join()
    assert seen == [None]
