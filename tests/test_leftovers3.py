"""Leftovers: the words for a request body whose ``records`` is null (no records, said as such
in validate, map, bench, infer and the API), ..."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mapper
from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
NULL_WORDS = "the input holds none (null at `records`, read as an empty array)"
EMPTY_WORDS = "the input holds none (empty, blank lines only, or an empty array)"
NULL_NOTE = "documents holding null at `records` give no records"


@pytest.fixture
def null_body(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_text('{"records": null}\n')
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--input-format", "endpoint"],
        ["validate", "--records-path", "records"],
        ["map", "-o", "{out}", "--input-format", "endpoint"],
        ["bench", "--input-format", "endpoint"],
    ],
)
def test_null_records_worded_as_given(argv: list[str], null_body: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{out}", str(tmp_path / "out.ndjson")) for a in argv]
    status = main([argv[0], *argv[1:], str(SINK), str(null_body)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert NULL_WORDS in said, said
    assert "blank lines only" not in said
    assert NULL_NOTE in said
    assert status == (2 if argv[0] == "bench" else 0)


def test_null_records_worded_by_infer(null_body: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infer", "--input-format", "endpoint", str(null_body)]) != 0
    err = capsys.readouterr().err
    assert f"no records to infer a sink from: {NULL_WORDS}" in err, err


def test_empty_records_keep_their_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "body.json"
    path.write_text('{"records": []}\n')
    assert main(["validate", "--input-format", "endpoint", str(SINK), str(path)]) == 0
    out = capsys.readouterr().out
    assert EMPTY_WORDS in out and NULL_NOTE not in out


def test_several_inputs_one_null(null_body: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"records": []}\n')
    assert main(["validate", "--input-format", "endpoint", str(SINK), str(null_body), str(empty)]) == 0
    out = capsys.readouterr().out
    assert "none of the 2 inputs holds any (empty, blank lines only, an empty array, or null at `records`)" in out, out


@pytest.mark.parametrize("body", [b'{"records": null}', '{"Records": null}', {"records": None}, {"RECORDS": None}])
def test_api_notes_null_records(body: object) -> None:
    m = mapper.compile_sink(SINK)
    report = m.validate(body, input_format="endpoint")
    assert report.accepted and report.records == 0
    assert any(NULL_NOTE in n for n in report.notes), report.notes


@pytest.mark.parametrize("body", [b'{"records": []}', {"records": []}, {"records": [], "other": None}])
def test_api_no_note_for_empty_records(body: object) -> None:
    report = mapper.compile_sink(SINK).validate(body, input_format="endpoint")
    assert report.records == 0 and report.notes == []


# --- a list of JSON texts: numbered by the lines of the NDJSON the items would make, as with records_path

ERRORS_SINK = ROOT / "examples" / "errors" / "sink.json"


def _lines(report: mapper.Report) -> dict[int, set[int | None]]:
    out: dict[int, set[int | None]] = {}
    for e in report.errors:
        out.setdefault(e.record, set()).add(e.line)
    return out


def test_texts_numbered_by_their_ndjson_lines() -> None:
    m = mapper.compile_sink(ERRORS_SINK)
    items: list[object] = ['{"x":1}\n', {"x": 1}, b'{"x":1}', "", "nope", '{\n"x":1}', '\n\n{"x":2}']
    lines = _lines(m.validate(items))
    # line 1, a dict line 2 (no line of its own: it has none), 3, a blank text 4, 5, two lines 6-7, two blank then line 10
    assert lines == {0: {1}, 1: {None}, 2: {3}, 3: {4}, 4: {5}, 5: {6}, 6: {10}}, lines


def test_readlines_give_the_files_line_numbers(tmp_path: Path) -> None:
    m = mapper.compile_sink(ERRORS_SINK)
    path = tmp_path / "r.ndjson"
    path.write_text('{"x":1}\n' * 3 + "{broken\n" + '{"x":1}\n')
    from_file = m.validate(path)
    with path.open() as fh:
        from_texts = m.validate(fh.readlines())
    assert _lines(from_texts) == _lines(from_file)
    assert _lines(from_texts)[3] == {4}


def test_texts_numbered_across_units() -> None:
    m = mapper.compile_sink(ERRORS_SINK)
    good = '{"id": "o-1", "customer": {"name": "Ada"}, "qty": 2, "price": "19.99", "placed_at": 1659981468261, "tags": ["gift"], "paid": true}'
    items = [good] * 5000 + [{"id": "o-2"}, "nope"]
    report = m.validate(iter(items))
    assert [(e.record, e.line) for e in report.errors if e.code == "invalid_json"] == [(5001, 5002)]


# --- a utf8_replaced warning's stored: the whole string stored, as every other warning's is


def _utf8_warnings(data: bytes, tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    report = mapper.compile_sink(ERRORS_SINK).validate(path)
    return [w.to_dict() for w in report.warnings if w.kind == "utf8_replaced"]


GOOD_TAIL = b'"qty": 2, "price": "19.99", "placed_at": 1659981468261, "tags": ["gift"], "paid": true}\n'


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        (b'{"id": "o-1", "customer": {"name": "A\xffda"}, ' + GOOD_TAIL, "A\ufffdda"),
        (b'{"id": "o-1", "customer": {"name": "Ada", "x": "a\\"b\\\\\xff\xfe"}, ' + GOOD_TAIL, 'a"b\\\ufffd\ufffd'),  # (escapes before it)
        (b'{"id": "o-1", "customer": {"na\xfeme": "Ada"}, ' + GOOD_TAIL, "na\ufffdme"),  # (a key: the key)
        (b'{"id": "o-1", "customer": {"name": "\xe2\x82"}, ' + GOOD_TAIL, "\ufffd\ufffd"),  # (a cut sequence: each byte, as Go reads it)
    ],
)
def test_utf8_replaced_stored_whole(data: bytes, stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (w,) = _utf8_warnings(data, tmp_path)
    assert w["stored"] == stored
    assert f"stored {json.dumps(stored, ensure_ascii=False)}" in str(w["message"])
    path = tmp_path / "r.ndjson"
    main(["validate", str(ERRORS_SINK), str(path)])
    assert f"stored {json.dumps(stored, ensure_ascii=False)}" in capsys.readouterr().out
