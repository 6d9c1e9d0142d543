"""Review of the day's changes (Batcher verdicts, serve, store, writers, infer): each test a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mapper

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
TINY = {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "string"}]}
INT_SINK = {
    "primary_key_fields": ["id"],
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def test_a_batcher_reached_from_its_own_untracked_verdicts_is_freed_and_the_verdicts_still_judged() -> None:
    # An untracked verdict (a tag of None, an int) pointed at its unjudged chunk, which held
    # the batcher: any way back from the batcher to that verdict (the verdict kept on the
    # batcher, or in another record's tag) was a cycle the collector could not see through,
    # and the batcher, its queued texts and bodies, were never freed.
    import gc
    import weakref

    class Message:
        prev: Any = None

    b = mapper.Batcher(INT_SINK)
    b.last = b.add({"id": "a", "n": 1})  # type: ignore[attr-defined]
    kept = b.last  # type: ignore[attr-defined]
    gone = weakref.ref(b)
    del b
    gc.collect()
    assert gone() is None, "a batcher holding its own pending verdict was never freed"
    assert kept.accepted and kept.index == 0

    b = mapper.Batcher(INT_SINK)
    m = Message()
    m.prev = b.add({"id": "b", "n": "not a number"}, tag=7)
    b.add({"id": "c", "n": 2}, tag=m)
    prev, gone = m.prev, weakref.ref(b)
    del b, m
    gc.collect()
    assert gone() is None, "a batcher whose tags hold an earlier pending verdict was never freed"
    assert not prev.accepted and [e.code for e in prev.errors] == ["invalid_value"]


@pytest.mark.parametrize("odd", [[10**5000], {"a": -(10**5000)}])
def test_infer_reports_json_dump_when_a_refused_array_or_object_holds_an_int_python_cannot_print(odd: Any) -> None:
    # the JSON report's example_refused held a refused array or object as sent: one holding an
    # int of more than 4,300 digits (a Python caller's) made json.dumps(result.to_dict()) fail
    # with ValueError, as a Decimal in it did (d2dbc9a)
    import json

    recs = [{"id": f"r{i}", "v": i} for i in range(9)] + [{"id": "r9", "v": odd}]
    result = mapper.infer(recs)
    text = json.dumps(result.to_dict())
    assert json.loads(text)["conflicts"]["v"]["example_refused"] is None
    assert any("v:" in n and "refuse" in n for n in result.notes)
