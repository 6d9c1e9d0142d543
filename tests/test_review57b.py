"""Review of session 57's changes (the recursion-limit cap, serve's header checks): what it found wrong."""

from __future__ import annotations

import sys
import threading

import pytest

import mapper
from mapper import stack

_SINK = {
    "name": "open",
    "sink_details": {"database_id": "x", "table": "t"},
    "schema": {
        "type": "json",
        "allow_missing_fields": True,
        "id_field": "id",
        "definition": [{"name": "id", "path": ["id"], "type": "id"}],
    },
}


# ---------------------------------------------------------------------------------------
# 1. The recursion limit a program sets while an engine call runs capped is the one given back


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_a_limit_the_program_raises_during_a_capped_call_is_given_back_after_another_call() -> None:
    # a call runs capped (the limit lowered to CAPPED_LIMIT) on a thread; meanwhile the program raises the limit again and
    # makes another engine call, capped too: when both end, the limit was the one the program had before it raised it
    # (100,000 here), the one it set meanwhile (1,000,000) lost
    before = sys.getrecursionlimit()
    started, release = threading.Event(), threading.Event()

    def held() -> None:
        started.set()
        release.wait(30)

    m = mapper.compile_sink(_SINK)
    holder = threading.Thread(target=stack._within_cap, args=(held,))
    try:
        sys.setrecursionlimit(100_000)
        holder.start()
        assert started.wait(30)
        assert sys.getrecursionlimit() == stack.CAPPED_LIMIT  # (the first call's cap)
        sys.setrecursionlimit(1_000_000)  # the program's, while that call runs
        assert [p.code for p in m.check('{"id": 1}')] == []  # (another engine call, capped in turn)
        release.set()
        holder.join(30)
        assert sys.getrecursionlimit() == 1_000_000  # before: 100,000
    finally:
        release.set()
        holder.join(30)
        sys.setrecursionlimit(before)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_a_limit_the_program_lowers_as_a_capped_call_starts_stays_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    # the call saw the raised limit (its first look, without the lock), then the program lowered it to 5,000 before the
    # cap was set: the call raised it to the cap and, 5,000 being no limit to give back, left it there (9,997)
    before = sys.getrecursionlimit()
    monkeypatch.setattr(stack, "getrecursionlimit", lambda: 1_000_000)  # (the first look: the limit still raised)
    try:
        sys.setrecursionlimit(5_000)  # (the program's, as the call takes the lock)
        assert stack._within_cap(sys.getrecursionlimit) == 5_000  # run as it is: no cap needed
        assert sys.getrecursionlimit() == 5_000  # before: 9,997
    finally:
        sys.setrecursionlimit(before)
