"""One record, one verdict, whichever way it comes in (continued from test_entry_points.py): a dict's
own key holding an unpaired surrogate, ``infer``'s draft of such a key, the wording of
``utf8_replaced``, deep tuples and mappings added to a batcher, and an int of more digits than
Python prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import mapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import DECODED, first_refused  # noqa: E402


def _sink(definition: list[dict[str, Any]]) -> str:
    schema = {"type": "json", "allow_missing_fields": True, "id_field": "id", "definition": definition}
    return json.dumps({"name": "odd", "sink_details": {"database_id": "x", "table": "t"}, "schema": schema})


_PLAIN = _sink([{"name": "id", "path": ["id"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}])
_ID = _sink([{"name": "id", "path": ["id"], "type": "id"}])


def _said(problems: Any) -> list[tuple[str | None, str | None, str]]:
    """Where each problem is and what it is: errors by code, warnings by kind."""
    return [(p.column, p.path, p.code if p.severity == "error" else p.kind) for p in problems]


# --- 1. a dict's own key holding an unpaired surrogate, nobody mapping it: nothing to say ----
# The endpoint stores nothing of a member nobody maps, whatever its key: a dict is judged so by
# every entry point alike, its JSON text too (the engine reads the text's unpaired escapes as a
# dict's lone surrogates: noted where a column maps the value, README).
# (Looking at every key of every dict cost the dict fast path 8-11%: not taken.)

_ODD_KEYED = [
    {"id": 1, "s": "x", "\ud800": 2},  # nobody maps the key
    {"id": 2, "a\udc00b": {"c": 1}},
    {"id": 3, "\ud83d": 1, "s": None},  # half of a pair, alone (and a null: the careful path)
]
_FINE_KEYED = [{"id": 4, "\ud83d\ude00": 1, "s": "y"}, {"id": 5, "é": 1}, {"id": 6, "\ufffd": 1}]  # a pair is its character


@pytest.mark.parametrize("strict", [False, True])
def test_a_dicts_own_key_nobody_maps_is_judged_alike_by_every_entry_point(strict: bool) -> None:
    m = mapper.compile_sink(_PLAIN)
    records = _ODD_KEYED + _FINE_KEYED
    for record in records:
        assert _said(m.check(record, strict=strict)) == _said(m.check(MappingProxyType(record), strict=strict)) == [], record
        assert _said(m.check(json.dumps(record), strict=strict)) == []  # (its text: was a utf8_replaced warning at $)
    for batch in (records, records * 50):  # a few dicts (the quick forms), many (the engine's fast path)
        report = m.validate(batch, strict=strict)
        assert (report.errors, report.warnings, report.failed_records) == ([], [], 0)
        assert [r["_id"] for r in m.map(batch, strict=strict).to_rows()] == [r["id"] for r in batch]
    with mapper.Batcher(m, strict=strict) as b:
        assert all(v.accepted for v in b.add_many(records))


# --- 2. infer drafts such a key as the endpoint reads it, from dicts as from their text ----


def test_infer_drafts_a_key_holding_an_unpaired_surrogate_as_u_fffd_from_dicts_as_from_text() -> None:
    recs = [{"id": i, "\ud800": "x", "d": {"a\udc00": i}} for i in range(5)]
    results = [mapper.infer(source) for source in (recs, [json.dumps(r) for r in recs], "".join(json.dumps(r) + "\n" for r in recs))]
    drafts = [r.to_dict()["sink"]["schema"]["definition"] for r in results]
    assert drafts[0] == drafts[1] == drafts[2]
    assert [c["path"] for c in drafts[0]] == [["id"], ["\ufffd"], ["d", "a\ufffd"]]
    assert results[0].skipped == results[1].skipped == {}
    m = mapper.compile_sink(json.dumps(results[0].to_dict()["sink"]))  # (the draft maps the dicts it was drawn from)
    assert m.map(recs).to_rows()[1] == m.map([json.dumps(r) for r in recs]).to_rows()[1]
    assert len(m.map(recs).to_rows()[1]) == 3


# --- 3. utf8_replaced says the escape once ----------------------------------------------


def test_a_utf8_replaced_message_shows_the_escape_as_the_record_had_it() -> None:
    m = mapper.compile_sink(_PLAIN)
    cases = [
        ('{"id": 1, "s": "\\ud800"}', 'sent "escape \\ud800 at char 17"'),
        ({"id": 1, "s": "x\ud800"}, 'sent "x\\ud800"'),
    ]
    for record, said in cases:
        for strict in (False, True):
            (problem,) = m.check(record, strict=strict)
            assert said in problem.reason, problem.reason
            assert "\\\\" not in problem.reason
        (w,) = m.validate([record] if isinstance(record, dict) else record).warnings
        assert said in w.message
    # a backslash the value holds is still shown as JSON escapes it, elsewhere
    (w,) = m.check({"id": 1, "s": 1.5})
    assert w.kind == "string_from_value"
    assert 'sent "a\\\\b"' in mapper.ValueWarning(0, None, "s", "$.s", "float_truncated", "a\\b", 1).reason


# --- 4. deep tuples and mappings: added as deep as a dict, as check takes them -------------


def _nested_list(depth: int) -> list[Any]:
    v: list[Any] = []
    for _ in range(depth - 1):
        v = [v]
    return v


def _nested_tuple(depth: int) -> tuple[Any, ...]:
    v: tuple[Any, ...] = ()
    for _ in range(depth - 1):
        v = (v,)
    return v


def _nested_mapping(depth: int) -> Any:
    v: Any = MappingProxyType({})
    for _ in range(depth - 1):
        v = MappingProxyType({"x": v})
    return v


def _nested_dict(depth: int) -> dict[str, Any]:
    v: dict[str, Any] = {}
    for _ in range(depth - 1):
        v = {"x": v}
    return v


def test_a_deep_tuple_or_mapping_is_added_as_deep_as_a_list_or_dict_is() -> None:
    m = mapper.compile_sink(_ID)
    with mapper.Batcher(m) as b:
        # (as deep as the engine's decoder reads: tests/depths.py)
        limit = first_refused(lambda d: not b.add({"id": 1, "x": _nested_list(d)}).accepted)
        assert abs(limit - DECODED) < 10, (limit, DECODED)
        for depth in (400, 600, limit - 4, limit, limit + 4):
            for deep, plain in ((_nested_tuple(depth), _nested_list(depth)), (_nested_mapping(depth), _nested_dict(depth))):
                if deep.__class__ is tuple and depth > 2000:  # (3.13: orjson 3.13.0 corrupts the heap writing a tuple nested past
                    continue  # ~2,000 levels, on every Python: a malloc abort; not a depth mapper can write yet)
                record = {"id": 1, "x": deep}
                if depth < limit:  # (a dict's value is read where the sink maps it)
                    assert m.check(record) == [], (depth, type(deep).__name__)
                else:  # (its text deeper than the engine reads: as a list's or a dict's, which varies with the Python)
                    assert [p.code for p in m.check(record)] == [p.code for p in m.check({"id": 1, "x": plain})], (depth, type(deep).__name__)
                got, want = b.add(record), b.add({"id": 1, "x": plain})
                assert (got.accepted, [(e.code, e.reason) for e in got.errors], got.raw) == (
                    want.accepted,
                    [(e.code, e.reason) for e in want.errors],
                    want.raw,
                ), depth
                assert got.accepted == (depth < limit)
        loop: dict[str, Any] = {"id": 1}
        loop["x"] = MappingProxyType({"y": (loop,)})
        assert "holds itself" in b.add(loop).errors[0].reason


def test_as_json_reads_a_value_as_before_shallow() -> None:
    from mapper.types import as_json

    class Sub(list):  # type: ignore[type-arg]
        pass

    same = {"a": [1, 2.5, "x", None, True], "b": {"c": []}}
    assert as_json(same) is same and as_json(same, True) is same
    converted = as_json({"a": (1, (2,)), "b": MappingProxyType({"c": Sub([3])})}, True)
    assert converted == {"a": [1, [2]], "b": {"c": [3]}} and type(converted["b"]["c"]) is list
    assert type(as_json(Sub([1]))) is Sub and type(as_json(Sub([1]), True)) is list
    with pytest.raises(mapper.types.ConversionError, match="not a string"):
        as_json({"a": {1: 2}})
    with pytest.raises(mapper.types.ConversionError):
        as_json([1, {"a": {3}}])


# --- 5. an int of more digits than Python prints: its JSON text is all its digits ----------


@pytest.mark.parametrize("depth", [1, 300])
def test_an_int_of_more_than_4300_digits_is_out_of_range_from_the_batcher_as_its_text_is(depth: int) -> None:
    m = mapper.compile_sink(_ID)
    big = 10**5000
    value: Any = big
    for _ in range(depth):
        value = [value]
    text = '{"id":1,"u":' + "[" * depth + "1" + "0" * 5000 + "]" * depth + "}"
    said = [(e.path, e.code, e.reason) for e in m.check(text)]
    assert [s[1] for s in said] == ["out_of_range"]
    with mapper.Batcher(m) as b:
        verdict = b.add({"id": 1, "u": value})
        assert [(e.path, e.code, e.reason) for e in verdict.errors] == said
        assert "NaN" not in verdict.errors[0].reason
