"""A request body is told from a record by one rule, whoever reads it: ``mapper validate``'s
format detection (text, files, Python objects) and the web UI's paste.

The endpoint decodes its body with Go's encoding/json, which matches ``records`` and ``value``
to its struct's fields case-insensitively (``tests/test_body_keys.py``): ``{"Records":
[{"Value": {...}}]}`` is a body of records to it. The UI sent such a paste as a body while
``validate`` (format auto) read it as one record. An object is a body when its ``records``, so matched,
is an array and either ``records`` (so spelled) is its only key, or every item holds a ``value``
(other keys beside it are ignored, as the endpoint ignores them): AWS's event document
``{"Records": [{"eventVersion": ...}]}`` is one record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sinks import column, id_sink

import mapper
from mapper.cli import main
from mapper.engine.reader import HEAD_SIZE, format_of
from mapper.web import paste_records

SINK = id_sink(column("n", "int"), name="keys", table="t", database_id="d", schema_type=None)
R1, R2 = {"id": 1, "n": 10}, {"id": 2, "n": 20}
ROWS = [{"_id": 1, "n": 10}, {"_id": 2, "n": 20}]
AWS = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "s3": {"object": {"key": "a"}}}]}

BODIES = {
    "capitalised": {"Records": [{"Value": R1}, {"Value": R2}]},
    "upper": {"RECORDS": [{"VALUE": R1}, {"value": R2}]},
    "long-s": {"recordſ": [{"vAlUe": R1}, {"value": R2}]},
    "key-first": {"Records": [{"key": "a", "Value": R1}, {"Value": R2, "key": "b"}]},
    "two-spellings": {"RECORDS": [{"Value": R1}], "Records": [{"Value": R1}, {"value": R2}]},  # the last counts, as Go decodes it
    "other-keys": {"records": [{"value": R1}, {"value": R2}], "meta": {"source": "x"}},  # ignored, as the endpoint ignores them
    "other-keys-first": {"meta": 1, "Records": [{"value": R1}, {"Value": R2}]},
}


def layouts(doc: Any) -> dict[str, str]:
    return {"one-line": json.dumps(doc), "pretty": json.dumps(doc, indent=2), "jq": json.dumps(doc, indent=2, ensure_ascii=False) + "\n"}


@pytest.mark.parametrize("name", list(BODIES))
@pytest.mark.parametrize("layout", ["one-line", "pretty", "jq"])
def test_a_body_whose_keys_go_matches_is_read_as_a_body_by_validate_and_the_paste(name: str, layout: str) -> None:
    text = layouts(BODIES[name])[layout]
    m = mapper.compile_sink(SINK)
    assert format_of(text.encode()) == "endpoint"
    assert m.map(text).to_rows() == ROWS == m.map(text, input_format="endpoint").to_rows()
    assert m.validate(text.encode()).records == 2
    pasted = paste_records(text)
    assert pasted.body == text.strip().encode() and len(pasted.lines) == 2  # sent as pasted, two records


@pytest.mark.parametrize("name", list(BODIES))
def test_a_python_body_whose_keys_go_matches_is_read_as_a_body(name: str) -> None:
    assert mapper.compile_sink(SINK).map(BODIES[name]).to_rows() == ROWS


NOT_BODIES = {
    "aws-event": AWS,
    "records-beside-a-key-of-a-record": {"id": 1, "n": 10, "records": [{"id": 5}]},
    "empty-capitalised": {"Records": []},
    "an-item-without-value": {"Records": [{"Value": R1}, {"id": 2}]},
    "records-not-an-array": {"Records": {"Value": R1}},
    "records-without-values-beside-other-keys": {"Records": [{"id": 5}], "meta": 1},
}


@pytest.mark.parametrize("name", list(NOT_BODIES))
@pytest.mark.parametrize("layout", ["one-line", "pretty"])
def test_other_objects_are_one_record_for_validate_and_the_paste(name: str, layout: str) -> None:
    doc = NOT_BODIES[name]
    text = layouts(doc)[layout]
    assert format_of(text.encode()) != "endpoint"
    assert mapper.compile_sink(SINK).validate(text.encode()).records == 1
    assert mapper.compile_sink(SINK).validate(doc).records == 1
    pasted = paste_records(text)
    assert len(pasted.lines) == 1 and json.loads(pasted.body) == {"records": [{"value": doc}]}


def test_a_capitalised_body_longer_than_the_head_is_told_from_its_first_item() -> None:
    # the format of a stream is told from its first 64 KiB: the first item's value says it is a body
    many = [{"Value": {"id": i, "n": i}} for i in range(1, 3000)]
    text = json.dumps({"Records": many}, indent=2).encode()
    assert len(text) > 2 * HEAD_SIZE
    assert format_of(text) == "endpoint"
    assert mapper.compile_sink(SINK).validate(text).records == len(many)
    aws = json.dumps({"Records": [AWS["Records"][0]] * 3000}, indent=2).encode()
    assert len(aws) > 2 * HEAD_SIZE and format_of(aws) == "json"


@pytest.mark.parametrize("key", ["key", "Key", "KEY"])
def test_a_body_longer_than_the_head_whose_items_hold_a_key_first_is_told_whatever_its_spelling(key: str) -> None:
    # Go matches an item's "key" as it matches "value": {"Key": "a", "Value": {...}} is an item of the
    # body however long the input; the head took "key" alone, so spelled (a shorter input, read whole, was a body)
    many = [{key: f"k{i}", "Value": {"id": i, "n": i}} for i in range(1, 3000)]
    text = json.dumps({"Records": many}, indent=2).encode()
    assert len(text) > 2 * HEAD_SIZE
    assert format_of(text) == "endpoint" == format_of(json.dumps({"Records": many[:2]}, indent=2).encode())
    assert mapper.compile_sink(SINK).validate(text).records == len(many)


def test_mapper_validate_and_the_paste_agree_on_a_capitalised_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    records = tmp_path / "body.json"
    text = json.dumps({"Records": [{"Value": R1}, {"Value": {"id": 2, "n": "x"}}]}, indent=2)
    records.write_text(text)
    assert main(["validate", str(sink), str(records), "--report", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["records"], report["success_count"], report["error_count"]) == (2, 1, 1)
    pasted = paste_records(text)
    assert len(pasted.lines) == 2 and [e["line"] for e in report["errors"]] == [pasted.lines[1]]


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "records": [{"id": 1}],\n  "meta": 1\n}',  # records so spelled first, spread over lines: a body (items without value each refused)
        '{"records": [{"id": 1}], "meta": 1}',  # on one line: one record
        '{\n  "records": null\n}',
        '{"Records": [{"Value": 1}, {"id": 2}]}',
        '{\n  "Records": [{"Value": {"id": 1, "n": 10}}], "records": [{"value": {"id": 2, "n": 20}}]\n}',
        '{"meta": {"Records": [{"Value": 1}]}}',
    ],
    ids=["exact-first-spread", "exact-first-one-line", "null-spread", "an-item-without-value", "two-spellings", "nested"],
)
def test_the_paste_is_a_body_exactly_when_validate_reads_a_body(text: str) -> None:
    endpoint = format_of(text.encode()) == "endpoint"
    try:
        pasted = paste_records(text)
    except Exception as exc:  # (a body refused whole, or one of no records: nothing to send, said so)
        assert endpoint and "nothing to send" in str(exc) or "records" in str(exc), exc
        return
    sent = json.loads(pasted.body)
    as_body = pasted.body == text.strip().encode()
    assert as_body == endpoint, (sent, endpoint)
    report = mapper.compile_sink(SINK).validate(text.encode())
    assert len(pasted.lines) == report.records


def test_send_records_sends_a_capitalised_body_as_pasted_and_an_aws_event_as_one_record() -> None:
    from test_web import request, ui_server

    sink = dict(SINK, name="keys")
    with ui_server() as server:
        server.app.store.create_sink(sink)
        body = json.dumps({"meta": 1, "Records": [{"Value": R1}, {"Value": R2}]}, indent=2)
        value_lines = [n for n, line in enumerate(body.splitlines(), 1) if '"Value"' in line]
        status, _h, raw = request(server, "POST", "/ui/api/sinks/keys/send", {"text": body})
        sent = json.loads(raw)
        assert status == 200 and sent["answer"]["success_count"] == 2 and [r["line"] for r in sent["records"]] == value_lines, sent
        status, _h, raw = request(server, "POST", "/ui/api/sinks/keys/send", {"text": json.dumps(AWS, indent=2)})
        sent = json.loads(raw)
        assert status == 200 and len(sent["records"]) == 1 and sent["answer"]["error_count"] == 1, sent
    assert mapper.compile_sink(SINK).validate(body.encode()).records == 2


# The quick tests before the patterns (a one-record validate's detection took 5.9 us where it
# had taken 1.0, two thirds of it in these patterns): they decide as the patterns alone do.

_FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    '"',
    "records",
    "Records",
    "RECORDS",
    "recordſ",
    "ord",
    "ORD",
    "\\u0052",
    "\\u0073",
    "r",
    "R",
    "\\",
    "id",
    "value",
    "1",
    "ſ",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=16).map("".join))
def test_the_quick_tests_decide_as_the_patterns_alone(text: str) -> None:
    from mapper.engine import reader

    line = text.encode()
    assert reader._may_be_body_line(line) == (reader._RECORDS_ARRAY.search(line) is not None)
    whole = b"{" + line
    assert reader._body_start(whole) == (reader._go_key_at(whole, 1, "records") >= 0)
    try:
        key = json.loads('"' + text + '"')
    except ValueError:
        return
    wrapped = b'{"' + line + b'": 1}'
    assert (reader._go_key_at(wrapped, 1, "records") >= 0) == (isinstance(key, str) and mapper.engine.gojson.go_field_key(key, "records")) or len(line) > 64
