"""Where errors and warnings say they are: an error's ``char N`` counts from the start of the
line the record stands on (users open the file at line L, char N), whatever sits before the
record on that line (another record, an array's ``[``, a document, a request body's
``{"value": ``); characters as an editor shows them, each invalid UTF-8 byte one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sinks import column, id_schema, id_sink

import mapper
from tests.cli_inproc import run_main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import REFUSED_EVERYWHERE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

SINK: dict[str, Any] = id_sink(column("a", "int"), column("s", "string"), database_id="0b7c3a52-2f4e-4a8e-9c61-5d0e8f1a2b3c")
M = mapper.compile_sink(SINK)


def _places(data: bytes, **kw: Any) -> list[tuple[int, int | None, str, str]]:
    """(record, line, code, message) of each error, then (record, line, kind, sent) of each warning."""
    report = M.validate(data, **kw)
    return [(e.record, e.line, e.code, e.message) for e in report.errors] + [(w.record, w.line, w.kind, str(w.sent)) for w in report.warnings]


# --- 1. several values on one line: the char counts from the line's start


def test_a_broken_value_after_another_on_its_line_counts_from_the_line_start() -> None:
    # objects one after another (not NDJSON: the first spreads over lines); the broken one on
    # line 2 starts at char 8: its `}` (char 16 of the value) is char 23 of the line
    data = b'{"id":1,\n"a":1} {"id":2,"a":tru}\n'
    assert _places(data) == [
        (1, 2, "invalid_json", "Invalid JSON: invalid character '}' at char 23 in a literal (true, false, null): true was expected (record 1, line 2)")
    ]


def test_a_line_after_a_multiline_value_holding_two_values() -> None:
    data = b'{\n"id":1,\n"a":1}\n{"id":2,"a":1} {"id":3,"a":tru}\n'
    assert _places(data) == [
        (2, 4, "invalid_json", "Invalid JSON: invalid character '}' at char 31 in a literal (true, false, null): true was expected (record 2, line 4)")
    ]
    # alone on its line it was already right, and stays so
    data = b'{"id":1,\n"a":1}\n{"id":2,"a":tru}\n'
    assert _places(data) == [
        (1, 3, "invalid_json", "Invalid JSON: invalid character '}' at char 16 in a literal (true, false, null): true was expected (record 1, line 3)")
    ]


def test_ndjson_with_two_values_on_a_line_is_one_record_counted_from_the_line() -> None:
    data = b'{"id":1,"a":1}\n{"id":2,"a":1} {"id":3,"a":tru}\n'
    assert _places(data) == [(1, 2, "invalid_json", "Invalid JSON: trailing characters at char 16 (record 1, line 2)")]


def test_an_invalid_byte_in_an_array_element_on_one_line() -> None:
    # the second element starts at char 18; its 0xff is char 20 of it
    data = b'[{"id":1,"a":1}, {"id":2,"a":1,"s":"\xff"}]\n'
    assert _places(data) == [(1, 1, "utf8_replaced", "byte 0xff at char 37")]


def test_documents_on_one_line_with_a_records_path() -> None:
    # the second document starts at char 24, its record at char 30
    data = b'{"r":[{"id":1,"a":1}]} {"r":[{"id":2,"s":"\xff"}]}\n'
    assert _places(data, records_path="r") == [(1, 1, "utf8_replaced", "byte 0xff at char 43")]
    data = b'{"r":[{"id":1,"a":1}]}\n{"r":[{"id":1,"a":1}]} {"r":[{"id":2,"s":"\xff"}]}\n'
    assert _places(data, records_path="r") == [(2, 2, "utf8_replaced", "byte 0xff at char 43")]
    # a record after another in one document's array
    data = b'{"r":[{"id":1,"a":1}, {"id":2,"a":1,"s":"\xff"}]}\n'
    assert _places(data, records_path="r") == [(1, 1, "utf8_replaced", "byte 0xff at char 42")]
    # a broken document after another: the document's char was already the line's
    data = b'{"r":[{"id":1,"a":1}]} {"r":[{"id":2,"a":tru}]}\n'
    assert (
        _places(data, records_path="r")[0][3]
        == "Invalid JSON: the JSON document is not valid JSON: invalid character '}' at char 45 in a literal (true, false, null): true was expected (record 1, line 1)"
    )


def test_a_document_over_lines_then_another_on_its_last_line() -> None:
    data = b'{"r":[\n{"id":1,"a":1}]} {"r":[{"id":2,"s":"\xff"}]}\n'
    assert _places(data, records_path="r") == [(1, 2, "utf8_replaced", "byte 0xff at char 37")]


def test_a_request_body_on_one_line() -> None:
    # the second record (its value) starts at char 48
    data = b'{"records":[{"value":{"id":1,"a":1}}, {"value":{"id":2,"a":1,"s":"\xff"}}]}\n'
    assert _places(data, input_format="endpoint") == [(1, 1, "utf8_replaced", "byte 0xff at char 67")]


def test_an_invalid_byte_on_a_later_line_of_a_record_names_that_line() -> None:
    # it was "at char 30", counted through the record's newlines
    data = b'[\n{"id":1,\n "a":1,\n  "s":"\xff"}\n]\n'
    assert _places(data) == [(0, 2, "utf8_replaced", "byte 0xff at line 3 char 8 of the record")]


def test_the_cli_reports_the_lines_char(tmp_path: Path) -> None:
    sink, records = tmp_path / "sink.json", tmp_path / "r.json"
    sink.write_text(json.dumps(SINK))
    records.write_bytes(b'{"id":1,\n"a":1} {"id":2,"a":tru}\n')
    proc = run_main("validate", sink, records, "--report", "json")  # (python -m mapper, in this process)
    report = json.loads(proc.stdout)
    assert [(e["record"], e["line"], e["message"]) for e in report["errors"]] == [
        (1, 2, "Invalid JSON: invalid character '}' at char 23 in a literal (true, false, null): true was expected (record 1, line 2)")
    ]
    proc = run_main("infer", records, "--report", "json")
    bad = json.loads(proc.stdout)["bad_examples"]
    assert [(b["record"], b["line"]) for b in bad] == [(1, 2)] and "char 23" in bad[0]["reason"], bad


# --- 2. a document too deep for the decoders, read a level at a time: keys of invalid UTF-8 as Go reads them

#: (past Go's 10,000 levels: too deep on every Python; 5,000 was that only before 3.13, whose decoders read 9,998: tests/depths.py)
DEEP = b"[" * REFUSED_EVERYWHERE + b"]" * REFUSED_EVERYWHERE


def test_a_deep_document_without_the_path_is_no_records_whatever_its_other_keys_bytes() -> None:
    # a key of invalid UTF-8 beside the missing one made the document "nested too deeply"
    # (invalid_json): it is valid JSON to Go (the key reads as U+FFFD), only without the key
    for data, path, where in [
        (b'{"now": 1, "\xff": 2, "x": ' + DEEP + b"}\n", "aircraft", ""),
        (b'{"d": {"\xff": 2, "x": ' + DEEP + b"}}\n", "d.aircraft", " in the object at `d`"),
    ]:
        report = M.validate(data, records_path=path)
        assert [(e.code, e.message) for e in report.errors] == [("no_records", f"no records at `{path}`: no key `aircraft`{where} (record 0, line 1)")]


def test_a_deep_documents_record_with_a_key_of_invalid_utf8_maps_its_column() -> None:
    m = mapper.compile_sink(id_schema(column("s", "int", path=["\ufffd"])))
    data = b'{"r": [{"id": 1, "\xff": 5}, {"id": 2, "x": ' + DEEP + b"}]}"
    batch = m.map(data, records_path="r", on_error="skip")
    assert batch.to_rows() == [{"_id": 1, "s": 5}]
    assert [(e.record, e.code) for e in batch.report.errors] == [(1, "invalid_json")]


# --- 3. null at the records path: no records from that document (as `[]`, as Go reads null into a slice), said in a note

NULL_NOTE = (
    "documents holding null at `r` give no records, as `[]` does: Go's decoder reads null into an array as an empty one "
    "(and Go's encoder writes an empty slice, a nil one, as null)"
)


def test_a_document_holding_null_at_the_records_path_gives_no_records_and_a_note() -> None:
    data = b'{"now": 1, "r": null}\n{"now": 2, "r": [{"id": 1, "a": 2}]}\n{"now": 3, "r": null}\n'
    report = M.validate(data, records_path="r")
    assert (report.records, report.errors, report.notes) == (1, [], [NULL_NOTE])  # (once for both)
    assert M.map(data, records_path="r").to_rows() == [{"_id": 1, "a": 2}]
    # alone, on one line or over several, after a key given twice, beside a key of invalid UTF-8,
    # deeper than the decoders go, or at a path of two keys
    deep = b"[" * 5000 + b"]" * 5000
    for data, path in [
        (b'{"now": 1, "r": null}', "r"),
        (b'{\n  "now": 1,\n  "r": null\n}\n', "r"),
        (b'{"r": 5, "r": null}', "r"),
        (b'{"\xff": 1, "r": null}', "r"),
        (b'{"x": ' + deep + b', "r": null}', "r"),
        (b'{"d": {"r": null}}', "d.r"),
    ]:
        report = M.validate(data, records_path=path)
        assert (report.records, report.errors, report.accepted) == (0, [], True), data[:40]
        assert report.notes == [NULL_NOTE.replace("`r`", f"`{path}`")], data[:40]
    # a null on the way is no object holding the path: no_records, as before
    assert [e.code for e in M.validate(b'{"d": null}', records_path="d.r").errors] == ["no_records"]


def test_python_documents_holding_null_at_the_records_path() -> None:
    for records in ({"now": 1, "r": None}, [{"now": 1, "r": None}, {"r": [{"id": 1}]}], [b'{"now": 1, "r": null}']):
        report = M.validate(records, records_path="r")
        assert (report.errors, report.notes) == ([], [NULL_NOTE]), records


def test_null_documents_with_workers_and_in_infer(tmp_path: Path) -> None:
    lines = [b'{"now": %d, "r": null}' % i if i % 3 else b'{"now": %d, "r": [{"id": %d, "a": 1}]}' % (i, i) for i in range(3000)]
    path = tmp_path / "docs.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for workers in (1, 2):
        report = M.validate(str(path), records_path="r", workers=workers)
        assert (report.records, report.errors, report.notes) == (1000, [], [NULL_NOTE]), workers
    # infer drafts from the records of the other documents (the null ones are no "document read as a record")
    proc = run_main("infer", path, "--records-path", "r", "--report", "json")  # (python -m mapper, in this process)
    assert proc.returncode == 0, proc.err
    out = json.loads(proc.stdout)
    assert out["records"] == 1000 and out["unusable"] is None and NULL_NOTE in out["notes"]


# --- 4. more places: long documents, batches cut from them, CRLF, a byte order mark, blank lines, invalid UTF-8 before


def test_a_record_of_a_long_document_on_a_line_in_any_unit_and_batch() -> None:
    # NDJSON of documents, the second of 600 records (read in units of 512: the 550th is in its
    # second), the 0xff of record 550 of it: the char counts from its line's start
    recs = [b'{"id":%d,"a":1}' % i for i in range(600)]
    recs[550] = b'{"id":550,"s":"\xff"}'
    head = b'{"r":['
    line = head + b",".join(recs) + b"]}"
    char = len(head + b",".join(recs[:550])) + 1 + len(b'{"id":550,"s":"') + 1  # (the comma, then the record's 16th char)
    data = b'{"r":[{"id":9999}]}\n' + line + b"\n"
    want = [(551, 2, "utf8_replaced", f"byte 0xff at char {char}")]
    assert _places(data, records_path="r") == want
    # batches cut out of the units: the same place
    found = [
        (w.record + 100 * k, w.line, w.kind, str(w.sent))
        for k, batch in enumerate(M.iter_batches(data, records=100, records_path="r"))
        for w in batch.report.warnings
    ]
    assert found == want
    # the same line after another document on it
    data = b'{"r":[{"id":9999}]} ' + line + b"\n"
    assert _places(data, records_path="r") == [(551, 1, "utf8_replaced", f"byte 0xff at char {char + 20}")]


def test_crlf_bom_and_blank_lines() -> None:
    assert (
        _places(b'{"id":1,"a":1}\r\n\r\n{"id":2,"a":tru}\r\n')[0][3]
        == "Invalid JSON: invalid character '}' at char 16 in a literal (true, false, null): true was expected (record 1, line 3)"
    )
    assert _places(b'[\r\n{"id":1,"a":1},\r\n{"id":2,"s":"\xff"}\r\n]\r\n') == [(1, 3, "utf8_replaced", "byte 0xff at char 14")]
    assert (
        _places(b'{"id":1,\r\n"a":1} {"id":2,"a":tru}\r\n')[0][3]
        == "Invalid JSON: invalid character '}' at char 23 in a literal (true, false, null): true was expected (record 1, line 2)"
    )
    # a byte order mark opening the input is no character of its first line (editors hide it)
    assert _places(b'\xef\xbb\xbf[{"id":1,"a":1}, {"id":2,"s":"\xff"}]\n') == [(1, 1, "utf8_replaced", "byte 0xff at char 31")]
    assert _places(b'\xef\xbb\xbf{"r":[{"id":1,"s":"\xff"}]}\n', records_path="r") == [(0, 1, "utf8_replaced", "byte 0xff at char 20")]
    assert _places(b'\n\n{"r":[{"id":1,"a":1}]}\n\n{"r":[{"id":2,"s":"\xff"}]}\n', records_path="r") == [(1, 5, "utf8_replaced", "byte 0xff at char 20")]


def test_invalid_utf8_before_the_error_counts_one_char_a_byte() -> None:
    # 0xff, 0xe2 0x82 (a cut 3-byte sequence: two characters, as Go reads each byte), then the error
    data = b'{"id":1,\n"s":"\xe2\x82\xff"} {"id":2,"s":"\xff\xe2\x82","a":tru}\n'
    assert _places(data) == [
        (1, 2, "invalid_json", "Invalid JSON: invalid character '}' at char 37 in a literal (true, false, null): true was expected (record 1, line 2)"),
        (0, 1, "utf8_replaced", "byte 0xe2 at line 2 char 6 of the record"),
    ]
    data = b'{"records":[{"value":{"id":1,"s":"\xe2\x82\xff"}}, {"value":{"id":2,"s":"\xff\xe2\x82"}}]}\n'
    assert _places(data, input_format="endpoint") == [(0, 1, "utf8_replaced", "byte 0xe2 at char 35"), (1, 1, "utf8_replaced", "byte 0xff at char 65")]


def test_the_web_paste_names_a_replaced_escape_where_the_paste_has_it() -> None:
    # the body the page builds from a paste is one line: a record's char counted from that line's
    # start (the body's) names no place of the paste, whose records start their own lines
    from tests.test_web import paste_source, request, ui_server

    with ui_server() as server:
        paste_source(server)
        text = '{"id": "a", "alt": 1}\n{"lat": 1, "id": "x\\ud800"}\n'  # (in the key field, which the sink maps, a string)
        status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
        assert status == 200
        got = json.loads(body)
        assert [(w["record"], w["line"], w["code"] if "code" in w else w.get("kind"), w["sent"]) for w in got["warnings"]] == [
            (1, 2, "utf8_replaced", "escape \\ud800 at char 20")
        ]


def test_a_deep_document_whose_path_holds_no_array_is_no_records_as_a_shallow_one() -> None:
    # it was "nested too deeply" (invalid_json) where the same document without its deep member is no_records
    for doc, path, why in [
        (b'{"now": 1, "r": 2%s}', "r", "the value at `r` is a number, not an array of records"),
        (b'{"d": 5%s}', "d.r", "the value at `d` is a number, not an object"),
        (b'{"d": {"r": "s"%s}}', "d.r", "the value at `d.r` is a string, not an array of records"),
    ]:
        for data in (doc % b"", doc % (b', "x": ' + DEEP)):
            report = M.validate(data, records_path=path)
            assert [(e.code, e.reason) for e in report.errors] == [("no_records", f"no records at `{path}`: {why}")], data[:30]
