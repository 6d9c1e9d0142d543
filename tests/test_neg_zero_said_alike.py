"""An integer ``-0`` is what Go's decoder makes of it, a float64 negative zero, in every sink: a
record refused for it says ``got `float` -0`` whatever other columns the sink has (without a
column printing numbers as text, the careful path read it as msgspec does, the int 0, and said
``got `int` 0``; with one, ``got `float` -0``). What is stored never changes: ``-0`` stores
what ``0`` does in every type but the ones printing it (``"-0"``)."""

from __future__ import annotations

from typing import Any

import pytest

import mapper
from mapper.engine.gojson import neg_zero_at

_STRING = {"name": "s", "path": ["s"], "type": "string"}


def _sink(column: dict[str, Any], with_string: bool) -> mapper.Mapper:
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "v", "path": ["v"], **column}]
    if column["type"] == "recordTime":  # (a record time needs a quantum column)
        definition.append({"name": "q", "path": ["q"], "type": "ids", "config": {"Quantum": "YMD"}})
    return mapper.compile_sink({"allow_missing_fields": True, "id_field": "id", "definition": definition + ([_STRING] if with_string else [])})


def _said(m: mapper.Mapper, text: bytes) -> list[list[str]]:
    """The errors' reasons of validate (fast and careful), map, check, and map of the record
    among 299 others (the fast path's chunks)."""
    many = b"\n".join([b'{"id":%d}' % i for i in range(150)] + [text] + [b'{"id":%d}' % i for i in range(151, 300)])
    return [
        *([e.reason for e in m.validate(text, fast=fast).errors] for fast in (True, False)),
        [e.reason for e in m.map(text, on_error="skip").report.errors],
        [p.reason for p in m.check(text) if p.severity == "error"],
        [e.reason for e in m.map(many, on_error="skip").report.errors],
    ]


@pytest.mark.parametrize(
    ("column", "text", "said"),
    [
        ({"type": "timestamp"}, b'{"id":1,"v":-0}', "Expected `timestamp` (a string in layout 2006-01-02T15:04:05.999999999Z07:00), got `float` -0"),
        ({"type": "recordTime"}, b'{"id":1,"v":-0}', "Expected `recordTime` (a string in layout 2006-01-02T15:04:05Z07:00), got `float` -0"),
        ({"type": "dateInt"}, b'{"id":1,"v":-0}', "Expected `dateInt` (a string in layout 2006-01-02), got `float` -0"),
        ({"type": "ids"}, b'{"id":1,"v":-0}', "Expected `ids` (an array of ids or a comma-separated string), got `float` -0"),
        ({"type": "strings"}, b'{"id":1,"v":-0}', "Expected `strings` (an array of strings or a comma-separated string), got `float` -0"),
        ({"type": "strings"}, b'{"id":1,"v":["a", -0]}', "Expected `strings` (an array of strings), got `float` -0 at index 1"),
        # (the int the value truncates to, as the ingester compares it, in either sink)
        ({"type": "int", "config": {"Min": -5, "Max": -1}}, b'{"id":1,"v":-0}', "value 0 is out of range for `int` [-5, -1]"),
    ],
)
@pytest.mark.parametrize("with_string", [False, True], ids=["no-string-column", "string-column"])
def test_a_refused_minus_zero_is_said_alike_in_every_sink(column: dict[str, Any], text: bytes, said: str, with_string: bool) -> None:
    assert _said(_sink(column, with_string), text) == [[said]] * 5


@pytest.mark.parametrize(
    ("column", "stored"),
    [
        ({"type": "id"}, 0),
        ({"type": "ids"}, [0]),
        ({"type": "bool"}, False),
        ({"type": "int"}, 0),
        ({"type": "int", "config": {"Min": 0, "Max": 10}}, 0),
        ({"type": "decimal", "config": {"Scale": 0}}, "0"),
        ({"type": "decimal", "config": {"Scale": 2}}, "0.00"),
        ({"type": "timestamp", "config": {"Unit": "s"}}, "1970-01-01T00:00:00Z"),
        ({"type": "timestamp", "config": {"Unit": "ms", "Epoch": "2020-01-01T00:00:00Z", "Granularity": "ms"}}, "2020-01-01T00:00:00.000Z"),
        ({"type": "signedIntBoolKey"}, 0),
    ],
)
@pytest.mark.parametrize("with_string", [False, True], ids=["no-string-column", "string-column"])
def test_minus_zero_stores_what_zero_does(column: dict[str, Any], stored: Any, with_string: bool) -> None:
    m = _sink(column, with_string)
    value = b"[-0]" if column["type"] == "ids" else b"-0"
    others = b"".join(b'{"id":%d}\n' % i for i in range(2, 300))
    # alone (the careful path's), with a byte no UTF-8 (the careful path's in a chunk) and among
    # 298 others (the fast path's chunk)
    for text in (b'{"id":1,"v":%s}' % value, b'{"id":1,"v":%s,"x":"\xff"}\n%s' % (value, others), b'{"id":1,"v":%s}\n%s' % (value, others)):
        for fast in (True, False):
            batch = m.map(text, fast=fast)
            assert not batch.report.errors and not [w for w in batch.report.warnings if w.kind != "utf8_replaced"], (column, text[:40])
            row = batch.to_rows()[0]
            assert row["_id"] == 1 and row["v"] == stored, (column, fast, text[:40], row)
            assert batch.to_rows() == m.map(text.replace(b"-0", b"0"), fast=fast).to_rows()


def test_minus_zero_is_printed_by_a_string_column() -> None:
    m = _sink({"type": "string"}, False)
    for fast in (True, False):
        assert m.map(b'{"id":1,"v":-0}', fast=fast).to_rows() == [{"_id": 1, "v": "-0"}]


@pytest.mark.parametrize(
    ("text", "at"),
    [
        (b"-0", 0),
        (b'{"a":-0}', 5),
        (b"[1,-0 ]", 3),
        (b'"x-0"', 2),  # (a string's: a false alarm, which only costs the record the careful path)
        (b"[-0.5,-0e1,-0E1,-01,-00]", -1),
        (b'"2020-01-01"', -1),
        (b"[-0.5,-0]", 6),
    ],
)
def test_neg_zero_at_finds_an_integer_minus_zero(text: bytes, at: int) -> None:
    assert neg_zero_at(text) == neg_zero_at(memoryview(text)) == at
