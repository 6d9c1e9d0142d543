"""A Python caller's non-finite float (NaN, infinity) inside an array or object that a string
column prints as text: the error names where in the value it is, as ``as_json``'s errors of a
value with no JSON form do (``(at $.s[1])``), on every road (check, the careful path, the fast
path's dicts, a primary key's value)."""

from __future__ import annotations

import math

import pytest
from sinks import column, id_sink

import mapper

SINK = id_sink(column("s", "string"), database_id="x")
NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("value", "place"),
    [
        ([1.5, NAN], "$.s[1]"),
        ((1.5, "a", INF), "$.s[2]"),
        ({"q": [2, -INF]}, "$.s.q[1]"),
        ([[1], {"a.b": NAN}], '$.s[1]["a.b"]'),
    ],
)
def test_non_finite_float_in_a_printed_value_is_placed(value: object, place: str) -> None:
    m = mapper.compile_sink(SINK)
    record = {"id": 1, "s": value}
    (error,) = m.check(record)
    assert error.code == "invalid_value"
    assert error.reason.endswith(f" is not a JSON number (at {place})"), error.reason
    for fast in (True, False):  # one record (careful), and a run of dicts (the fast path redoes it carefully)
        for records in ([record], [record] + [{"id": 2, "s": "x"}] * 200):
            report = m.validate(records, fast=fast)
            assert [(e.record, e.code, e.reason) for e in report.errors] == [(0, "invalid_value", error.reason)]


def test_a_finite_printed_value_is_stored_as_before() -> None:
    m = mapper.compile_sink(SINK)
    batch = m.map([{"id": 1, "s": [1.5, {"q": 2}]}])
    assert batch.to_rows()[0]["s"] == "[1.5 map[q:2]]"


def test_primary_key_value_with_a_non_finite_float_is_placed() -> None:
    sink = {**SINK, "schema": {**SINK["schema"], "primary_key_fields": ["s"]}}
    del sink["schema"]["id_field"]
    m = mapper.compile_sink(sink)
    problems = m.check({"id": 1, "s": "x", "k": 1} | {"s": [1, NAN]})
    assert any(p.reason.endswith("is not a JSON number (at $.s[1])") for p in problems), problems
