"""A lone surrogate in a primary key field: named where it is, from dicts as from their JSON text."""

from __future__ import annotations

import json

import pytest

import mapper

SINK = {
    "primary_key_fields": ["k", "j"],
    "allow_missing_fields": True,
    "definition": [
        {"name": "k", "path": ["k"], "type": "string"},
        {"name": "j", "path": ["in", "j"], "type": "string"},
        {"name": "t", "path": ["t"], "type": "string"},
    ],
}


@pytest.mark.parametrize("keys", [["k", "j"], ["k"], ["j"]])  # (a lone key field is no stored column: only the _id holds it)
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("many", [0, 60])
def test_a_key_fields_surrogate_is_named_by_its_field_as_a_columns_is(keys: list[str], fast: bool, many: int) -> None:
    m = mapper.compile_sink({**SINK, "primary_key_fields": keys})
    good = [{"k": f"g{i}", "in": {"j": "x"}, "t": "x"} for i in range(many)]
    odd = [{"k": "\ud800", "in": {"j": "y"}, "t": "x"}, {"k": "a", "in": {"j": "b\udc00"}, "t": "x"}, {"k": "a", "in": {"j": "c"}, "t": "\ud800"}]
    dicts = good + odd
    text = b"".join(json.dumps(d).encode() + b"\n" for d in dicts)
    from_dicts, from_text = m.validate(dicts, fast=fast), m.validate(text, fast=fast)
    # a dict's value is named where it is: a key field as any other column (not the _id it makes)
    assert [(w.record - many, w.column, w.path, w.sent) for w in from_dicts.warnings] == [
        (0, "k", "$.k", "\\ud800"),
        (1, "j", "$.in.j", "b\\udc00"),
        (2, "t", "$.t", "\\ud800"),
    ]
    # the text's: named where it is alike, what was sent the record's escape at its char (each input's own honest sent)
    assert [(w.record - many, w.column, w.path, w.sent) for w in from_text.warnings] == [
        (0, "k", "$.k", "escape \\ud800 at char 8"),
        (1, "j", "$.in.j", "escape \\udc00 at char 26"),
        (2, "t", "$.t", "escape \\ud800 at char 36"),
    ]
    assert from_dicts.errors == from_text.errors == []
    assert [len(from_dicts.warnings), len(from_text.warnings)] == [3, 3]  # one for each value, never again for the _id
