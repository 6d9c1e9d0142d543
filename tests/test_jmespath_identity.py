"""A JMESPath expression that fails on a record, as the identity of an ``id_field`` sink.

docs/formats.md (*Paths*): an expression that fails on one record refuses that record alone,
``invalid_id`` for the identity, ``JMESPath expression failed: ...``. The ``id_field``
identity said "a Python mapper.compiler.PathFailure is not a JSON value" instead, the
internal marker's class name (primary keys and stored columns said it right).
"""

from __future__ import annotations

import json

import pytest

import mapper

SINK = {
    "id_field": "k",
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": "ceil(to_number(a))", "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
}
DATA = b'{"a": "2.5", "n": 1}\n{"a": "1e400", "n": 2}\n{"a": "7", "n": 3}\n'
REASON = "JMESPath expression failed: OverflowError: cannot convert float infinity to integer"


@pytest.mark.parametrize("fast", [True, False])
def test_a_failing_jmespath_id_field_is_invalid_id_saying_the_expression_failed(fast: bool) -> None:
    m = mapper.compile_sink(SINK)
    for records in (DATA, [json.loads(line) for line in DATA.splitlines()]):
        report = m.validate(records, fast=fast, on_error="skip")
        assert [(e.record, e.column, e.code, e.reason) for e in report.errors] == [(1, "k", "invalid_id", REASON)]
        assert m.map(records, fast=fast, on_error="skip").to_rows() == [{"_id": 3, "n": 1}, {"_id": 7, "n": 3}]


def test_check_of_a_record_whose_jmespath_id_field_fails() -> None:
    m = mapper.compile_sink(SINK)
    problems = m.check({"a": "1e400", "n": 2})
    assert [(p.severity, getattr(p, "code", None), p.reason) for p in problems] == [("error", "invalid_id", REASON)]


def test_a_record_with_no_json_text_under_a_jmespath_id_field_names_why() -> None:
    # (the other PathFailure: a record holding a value JSON has no form for, which an expression reads whole)
    m = mapper.compile_sink(SINK)
    problems = m.check({"a": "7", "n": 2, "odd": {1, 2}})
    assert [getattr(p, "code", None) for p in problems] == ["invalid_id"]
    assert problems[0].reason.startswith("JMESPath expression failed: the record has no JSON text")
    assert "PathFailure" not in problems[0].reason
