"""A request body's keys are read as the service's decoder reads them.

The service decodes ``{"records": [{"value": {...}}]}`` into a struct with Go's
encoding/json, which matches a key to a field case-insensitively (``"Records"``,
``"VALUE"``; the long s ``ſ`` folds onto ``s``) and keeps, of a key given twice or in two
spellings, the last. Every reader of a body does so: the engine (text and Python
bodies), ``mapper serve`` (its count and its answer), ``mapper send`` and the web UI's paste.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_sink

import mapper
from mapper.endpoint import ServiceError, parse_body
from mapper.send import Resume, read_records
from mapper.store import Store
from mapper.web import paste_records

SINK = id_sink(column("n", "int"), name="keys", table="t", database_id="d", schema_type=None)


def rec(i: int) -> str:
    return json.dumps({"id": i, "n": 10 * i})


def stored(body: str | dict[str, Any]) -> list[dict[str, Any]]:
    return mapper.compile_sink(SINK).map(body, input_format="endpoint").to_rows()


@pytest.mark.parametrize(
    "records_key, value_key",
    [("Records", "VALUE"), ("RECORDS", "Value"), ("recordſ", "vAlUe"), ("R\\u0065cords", "v\\u0061lue")],
)
def test_a_body_key_in_another_case_is_the_field_go_decodes_it_into(records_key: str, value_key: str) -> None:
    body = '{"%s": [\n {"%s": %s},\n {"%s": %s}\n]}' % (records_key, value_key, rec(1), value_key, rec(2))
    batch = mapper.compile_sink(SINK).map(body, input_format="endpoint")
    assert batch.to_rows() == [{"_id": 1, "n": 10}, {"_id": 2, "n": 20}]
    assert parse_body(body.encode()) == 2
    # a record's error names the line its value starts on, however the key is spelled
    bad = body.replace(rec(2), '{"id": 2, "n": "x"}')
    report = mapper.compile_sink(SINK).validate(bad, input_format="endpoint")
    assert [(e.record, e.line, e.code) for e in report.errors] == [(1, 3, "invalid_value")]


def test_of_a_key_given_in_two_spellings_the_last_counts() -> None:
    body = '{"records": [{"value": %s}], "RECORDS": [{"value": %s}, {"value": %s, "Value": %s}]}' % (rec(1), rec(2), rec(3), rec(4))
    assert stored(body) == [{"_id": 2, "n": 20}, {"_id": 4, "n": 40}]
    assert parse_body(body.encode()) == 2
    # the exact spelling last: it wins over an earlier other case
    assert stored('{"Records": [{"VALUE": %s, "value": %s}], "records": [{"Value": %s}]}' % (rec(1), rec(2), rec(3))) == [{"_id": 3, "n": 30}]
    # beside other keys of the item, and with the body's other spelling before the array read as records
    keyed = '{"RECORDS": [], "records": [{"key": "a", "value": %s}, {"key": "b", "value": %s, "vaLUE": %s}, {"value": %s, "key": "c"}]}'
    assert stored(keyed % (rec(1), rec(2), rec(3), rec(4))) == [{"_id": 1, "n": 10}, {"_id": 3, "n": 30}, {"_id": 4, "n": 40}]
    assert stored('{"records": [{"value": %s}], "RECORDS": []}' % rec(1)) == []


def test_an_earlier_records_member_that_is_no_array_fails_the_body_as_in_go() -> None:
    # Go decodes every member it matches: the type error of the first fails the Unmarshal
    body = '{"records": 5, "Records": [{"value": %s}]}' % rec(1)
    report = mapper.compile_sink(SINK).validate(body, input_format="endpoint")
    assert report.verdict == "refused" and report.errors[0].code == "invalid_json"
    with pytest.raises(ServiceError) as exc:
        parse_body(body.encode())
    assert exc.value.code == "InvalidBody"


def test_a_python_body_matches_its_keys_as_the_text_does() -> None:
    body = {"Records": [{"VALUE": json.loads(rec(1))}, {"value": json.loads(rec(2))}], "other": 1}
    assert stored(body) == [{"_id": 1, "n": 10}, {"_id": 2, "n": 20}]


@pytest.mark.parametrize(
    "body",
    [
        {"id": 1, "n": 10},  # a record, not a body
        [{"value": {"id": 1}}],
        {"Records": 5, "records": [{"value": {"id": 1}}]},  # an earlier spelling that is no array fails the body
        {"RECORDS": ({"Value": {"id": 1}}, 5)},
        {"records": [None, {"value": {"id": 1}}, 5]},  # a null item is one without "value", as Go decodes it
    ],
    ids=["record", "array", "earlier-int", "tuple-items", "null-item"],
)
def test_a_python_object_read_as_a_body_is_refused_or_taken_as_its_text_is(body: Any) -> None:
    # input_format="endpoint" reads a Python object as the service reads its JSON text: one
    # that is no body is refused whole, not mapped as records (a dict was one record, a list its records)
    m = mapper.compile_sink(SINK)

    def seen(report: Any) -> tuple[Any, ...]:
        return (report.verdict, report.records, [(e.record, e.code, e.message.rsplit(" (record", 1)[0]) for e in report.errors])

    assert seen(m.validate(body, input_format="endpoint")) == seen(m.validate(json.dumps(body), input_format="endpoint"))
    assert m.validate(body, input_format="endpoint").errors  # (each of these is refused in part or whole)


@pytest.mark.parametrize(
    "body", [{"records": None}, {"Records": None}, {"records": [{"value": {"id": 1}}], "RECORDS": None}], ids=["null", "null-other-case", "later-null"]
)
def test_records_null_is_a_body_of_no_records_as_go_decodes_it(body: Any) -> None:
    # Go's encoding/json decodes null into a slice as nil, without an error (a later null
    # member empties what an earlier array filled): no records, not a refused body (it was
    # refused, "Expected `array`, got `null`", from text and from Python alike)
    m = mapper.compile_sink(SINK)
    for given in (body, json.dumps(body)):
        report = m.validate(given, input_format="endpoint")
        assert (report.verdict, report.records, report.errors) == ("accepted", 0, [])
    assert parse_body(json.dumps(body).encode()) == 0
    # a value of another type is still no body
    assert m.validate('{"records": 5}', input_format="endpoint").errors[0].code == "invalid_json"


def test_detection_still_takes_a_body_only_when_records_is_spelled_so() -> None:
    # {"Records": [...]} is also AWS's event document: read without --input-format endpoint it is one record
    m = mapper.compile_sink(SINK)
    assert m.validate('{"Records": [{"value": %s}]}' % rec(1)).records == 1
    assert m.map('{"records": [{"Value": %s}, {"VALUE": %s}]}' % (rec(1), rec(2))).to_rows() == [{"_id": 1, "n": 10}, {"_id": 2, "n": 20}]


def test_serve_stores_and_answers_a_body_whose_keys_are_spelled_otherwise(tmp_path: Path) -> None:
    store = Store(tmp_path / "serve.db")
    try:
        store.create_sink(SINK, exist_ok=True)
        info = store.list_sinks()[0]
        body = '{"Records": [{"Value": %s}, {"VALUE": %s, "value": %s}]}' % (rec(1), rec(2), rec(3))
        result = store.ingest(info.id, body.encode())
        assert result.answer["success_count"] == 2 and result.answer["error_count"] == 0
        assert sorted(row["_id"] for row in store.rows(info.id).rows) == [1, 3]
    finally:
        store.close()


def test_send_reads_a_body_file_as_the_service_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text('{"RECORDS": [\n{"Value": %s},\n{"vaLue": %s}\n]}' % (rec(1), rec(2)))
    groups = list(read_records([str(path)], "endpoint", Resume()))
    assert [(text, why) for group in groups for text, _pos, why in group] == [(rec(1).encode(), None), (rec(2).encode(), None)]


def test_the_web_paste_shows_the_records_the_service_will_read() -> None:
    body, lines, shown, _held, _cols = paste_records('{"RECORDS": [{"Value": %s}, {"value": %s}]}' % (rec(1), rec(2)))
    assert json.loads(body)["RECORDS"] and [json.loads(s) for s in shown] == [json.loads(rec(1)), json.loads(rec(2))]
    # an AWS-style document pasted is one record (its items hold no "value")
    _body, _lines, shown, _held, _cols = paste_records('{"Records": [{"eventName": "put"}]}')
    assert len(shown) == 1 and json.loads(shown[0]) == {"Records": [{"eventName": "put"}]}


def test_an_escaped_long_s_spells_records_as_the_raw_one_does() -> None:
    # "record\u017f" is "recordſ" once unescaped: Go takes it, and last it wins over "records"
    for spelled in ("record\\u017f", "record\\u017F", "recordſ"):
        body = '{"records": [{"value": %s}], "%s": [{"value": %s}, {"value": %s}]}' % (rec(1), spelled, rec(2), rec(3))
        assert stored(body) == stored(json.loads(body)) == [{"_id": 2, "n": 20}, {"_id": 3, "n": 30}], spelled
        assert parse_body(body.encode()) == 2
        # and an earlier one that is no array fails the body
        report = mapper.compile_sink(SINK).validate('{"%s": 5, "records": [{"value": %s}]}' % (spelled, rec(1)), input_format="endpoint")
        assert report.verdict == "refused", spelled
