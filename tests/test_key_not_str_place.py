"""A key that is not a string in a Python record (``{1: "x"}``, a tuple key deep inside) has no
JSON text: the record is refused, and the message named no place. It names the object holding
the key (its JSONPath, or the record itself) and the key's repr, in ``check``, ``Batcher.add``
and a mapped column's error alike."""

from __future__ import annotations

import mapper

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "v", "path": ["a", "b"], "type": "string"}],
}


def _reasons(m: mapper.Mapper, record: dict) -> list[tuple[str, str | None, str]]:
    return [(e.code, e.path, e.reason) for e in m.check(record)]


def test_a_key_of_the_record_itself_says_so():
    m = mapper.compile_sink(SINK)
    ((code, _path, reason),) = _reasons(m, {1: "x", "id": 1})
    assert code == "invalid_json"
    assert reason == "the record cannot be encoded as JSON: a Python mapping key 1 is not a string, as JSON object keys are (a key of the record itself)"


def test_a_nested_key_names_the_object_holding_it():
    m = mapper.compile_sink(SINK)
    ((_c, _p, reason),) = _reasons(m, {"id": 1, "z": [{"q": {(1, 2): 1}}]})
    assert reason.endswith("a Python mapping key (1, 2) is not a string, as JSON object keys are (a key of the object at $.z[0].q)"), reason
    ((_c, _p, reason),) = _reasons(m, {"id": 1, "z": {"a.b": {None: 1}}})
    assert reason.endswith('a Python mapping key None is not a string, as JSON object keys are (a key of the object at $.z["a.b"])'), reason


def test_a_value_with_no_json_form_deep_in_an_unmapped_place_names_it_too():
    m = mapper.compile_sink(SINK)
    ((_c, _p, reason),) = _reasons(m, {"id": 1, "z": {"q": [1, {1, 2}]}})
    assert reason.endswith("(at $.z.q[1])"), reason


def test_the_batcher_says_what_check_says():
    m = mapper.compile_sink(SINK)
    record = {"id": 1, "z": [{"q": {(1, 2): 1}}]}
    for strict in (False, True):
        verdict = mapper.Batcher(m, max_records=10, strict=strict).add(record)
        assert [(e.code, e.path, e.reason) for e in verdict.errors] == _reasons(m, record)


def test_a_mapped_column_s_value_names_the_place_inside_it():
    m = mapper.compile_sink(SINK)
    record = {"id": 1, "a": {"b": {"c": [{(1, 2): "x"}]}}}
    errors = [(e.code, e.path, e.reason) for e in m.validate([record]).errors]
    assert errors == [("invalid_value", "$.a.b", "a Python mapping key (1, 2) is not a string, as JSON object keys are (a key of the object at $.a.b.c[0])")]
    assert ("invalid_value", "$.a.b", errors[0][2]) in _reasons(m, record)


def test_a_jmespath_column_names_the_place_in_the_record():
    m = mapper.compile_sink({**SINK, "definition": [*SINK["definition"], {"name": "n", "path": "length(q)", "type": "int"}]})
    (error,) = m.validate([{"id": 1, "q": [{5: 1}]}]).errors
    assert error.reason.endswith("a Python mapping key 5 is not a string, as JSON object keys are (a key of the object at $.q[0])"), error.reason
