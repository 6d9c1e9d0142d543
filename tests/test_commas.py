"""Records separated by commas (a JSON array without its brackets), and an input read as one
document that fails whole: what the user is told.

Records written ``{...},`` one a line, or pretty-printed with ``},`` between them, were read as
the records and, between them, junk records of a comma each, refused "invalid character at char
14" with nothing saying why; an input read as one document (a request body, a JSON array) that
does not parse was "REFUSED: the only record would be refused", of a record the user never wrote.
The records are counted as before (a comma is still a record of its own): only the words change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = [json.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[:3]]
M = mapper.compile_sink(SINK)
#: what a comma between records is told (as mapper.engine.gojson.COMMA_HINT words it)
COMMA_HINT = "records are one a line with nothing between, or inside a JSON array's [ ]: is this an array missing its brackets?"

#: three records, each line ending with a comma but the last (a JSON array's elements, its brackets missing)
LINES = ",\n".join(json.dumps(r) for r in RECORDS).encode() + b"\n"
#: the same, pretty-printed: ``},`` between them
PRETTY = ",\n".join(json.dumps(r, indent=2) for r in RECORDS).encode() + b"\n"
#: two documents holding records, the second cut short
DOCS = json.dumps({"data": RECORDS[:1]}).encode() + b"\n" + json.dumps({"data": RECORDS[1:2]}).encode()[:-2] + b"\n"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _err = capsys.readouterr()
    return code, out


def _commas(report: mapper.Report) -> list[tuple[int, int | None, str]]:
    return [(e.record, e.line, e.reason) for e in report.errors]


def test_a_comma_ending_each_line_is_said_to_be_one_between_records() -> None:
    # it was "Invalid JSON: invalid character at char N" (N: the comma's, after the record on its line)
    n = len(json.dumps(RECORDS[0])) + 1
    report = M.validate(LINES)
    assert report.records == 5 and report.failed_records == 2  # (counted as before: the commas are records of their own)
    assert _commas(report) == [
        (1, 1, f"Invalid JSON: a comma between records at char {n} ({COMMA_HINT})"),
        (3, 2, f"Invalid JSON: a comma between records at char {len(json.dumps(RECORDS[1])) + 1} ({COMMA_HINT})"),
    ]
    assert "is this an array missing its brackets?" in COMMA_HINT


def test_pretty_printed_records_with_commas_between_them_are_told_likewise() -> None:
    report = M.validate(PRETTY)
    assert report.records == 5 and [r for r, _, _ in _commas(report)] == [1, 3]
    first_close = PRETTY.split(b"\n").index(b"},") + 1  # (the line of the first `},`: its comma is char 2)
    assert _commas(report)[0] == (1, first_close, f"Invalid JSON: a comma between records at char 2 ({COMMA_HINT})")


def test_records_with_commas_between_them_on_one_line_are_told_of_the_comma() -> None:
    # one record of the line, as before ("trailing characters at char N"): the comma named
    text = b",".join(json.dumps(r).encode() for r in RECORDS) + b"\n"
    (err,) = M.validate(text).errors
    assert err.reason == f"Invalid JSON: a comma after the record at char {len(json.dumps(RECORDS[0])) + 1} ({COMMA_HINT})"


def test_the_comma_is_told_through_map_check_and_the_json_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    batch = M.map(LINES, on_error="skip")
    assert len(batch) == 3 and [e.reason for e in batch.report.errors] == [e.reason for e in M.validate(LINES).errors]
    assert COMMA_HINT in batch.report.errors[0].reason
    (problem,) = M.check(json.dumps(RECORDS[0]).encode() + b",")
    assert problem.reason == f"Invalid JSON: a comma after the record at char {len(json.dumps(RECORDS[0])) + 1} ({COMMA_HINT})"
    path = tmp_path / "commas.json"
    path.write_bytes(PRETTY)
    code, out = _cli(capsys, "validate", "--report", "json", str(SINK), str(path))
    report = json.loads(out)
    assert code == 1 and report["records"] == 5 and report["failed_records"] == 2
    assert [e["message"].startswith("Invalid JSON: a comma between records at char 2 (records are one a line") for e in report["errors"]] == [True, True]


def test_validate_of_the_file_says_what_the_commas_are(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "commas.ndjson"
    path.write_bytes(LINES)
    code, out = _cli(capsys, "validate", str(SINK), str(path))
    assert code == 1 and out.startswith("PARTIAL: 3 of 5 records would be stored, 2 refused (invalid_json 2)"), out
    assert f"record 1, line 1: Invalid JSON: a comma between records at char {len(json.dumps(RECORDS[0])) + 1} ({COMMA_HINT})" in out


def test_the_web_paste_and_its_preview_tell_the_comma() -> None:
    from mapper.web import draft, paste_records
    from tests.test_web import catalog, form

    # placed as validate places it: the paste said "char 1" of a comma after a record on its line
    for text in (PRETTY, LINES):
        err = M.validate(text).errors[0]
        with pytest.raises(mapper.ServiceError) as caught:
            paste_records(text.decode())
        assert str(caught.value) == f"400 InvalidBody: line {err.line}: {err.reason}; nothing was sent"
    with pytest.raises(mapper.ServiceError, match=r"line 1: Invalid JSON: a comma after the record at char \d+ \(records are one a line"):
        paste_records('{"id": "a"},{"id": "b"}\n')
    preview = draft(form(sample='{"id": "a"},'), catalog())["preview"]
    assert preview["error"] == f"the sample record: Invalid JSON: a comma after the record at char 12 ({COMMA_HINT})"


@pytest.mark.parametrize(
    "text, said",
    [
        # a comma after the array: it was "trailing characters", hinting to force NDJSON (of which a line `[...],` is junk)
        (b'[{"id": "a"}],\n', "a comma after its closing ] at line 1 char 14 (nothing but blanks may follow it)"),
        (
            b'[{"id": "a"}],\n[{"id": "b"}]\n',
            "a comma after its closing ] at line 1 char 14; the input holds JSON values separated by commas: "
            "give the records one a line with nothing between, or all of them inside one JSON array's [ ]",
        ),
        # junk that starts no JSON value: it was hinted "the input holds several JSON values"
        (b'[{"id": "a"}] x', "trailing characters at char 15 (nothing but blanks may follow its closing ])"),
    ],
    ids=["comma after", "arrays with a comma between", "junk after"],
)
def test_what_follows_an_array_is_said_as_it_is(text: bytes, said: str) -> None:
    (err,) = M.validate(text).errors
    assert err.reason == f"Invalid JSON: the JSON array is not valid JSON: {said}", err.reason
    assert "several JSON values" not in err.reason


@pytest.mark.parametrize(
    "text, verdict",
    [
        (
            b'{"records": [\n {"value": {"id": "a"}}\n {"value": {"id": "b"}}]}\n',
            "refused: the input is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)",
        ),
        (
            b'{"records": [\n {"value": {"id": "a"}},\n',
            "refused: the input is not valid JSON: the request body is truncated (invalid_json 1, at line 3; the input was read whole, as one document: no record was read)",
        ),
        (
            b'[{"id": "a"}, {"id": "b"},]',
            "refused: the input is not valid JSON: trailing comma in array at char 27 (invalid_json 1, at line 1, in the JSON array read whole: no record was read)",
        ),
    ],
    ids=["body broken between elements", "body cut short", "array with a trailing comma"],
)
def test_an_input_read_as_one_document_that_fails_whole_is_said_to(text: bytes, verdict: str) -> None:
    report = M.validate(text)
    assert (report.records, report.verdict) == (1, "refused") and report.summary() == verdict
    assert M.map(text, on_error="skip").report.summary() == verdict
    assert report.to_dict()["document_error"] == report.document_error and report.document_error


@pytest.mark.parametrize("policy", [{"on_error": "reject"}, {"on_error": "skip", "max_errors": 0}], ids=["reject", "skip max_errors 0"])
def test_a_policy_that_discards_says_the_document_failed_whole_too(policy: dict[str, Any]) -> None:
    # said "discarded: none of 1 record would be stored: a record failed and on_error is reject; ..."
    report = M.validate(b'{"records": [\n {"value": {"id": "a"}}\n {"value": {"id": "b"}}]}\n', **policy)
    assert (report.records, report.verdict) == (1, "discarded")  # (the verdict code stays the policy's)
    assert report.summary() == (
        "discarded: the input is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)"
    )


def test_validate_on_error_reject_says_the_input_is_not_valid_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(b'[{"id": "a"}, {"id": "b"},]')
    code, out = _cli(capsys, "validate", str(SINK), str(path), "--on-error", "reject")
    assert code == 1
    assert out.splitlines()[0] == (
        "DISCARDED: the input is not valid JSON: trailing comma in array at char 27 (invalid_json 1, at line 1, in the JSON array read whole: no record was read)"
    )


def test_the_json_report_says_why_a_document_failed_whole_and_null_for_records() -> None:
    broken = M.validate(b'{"records": [\n {"value": {"id": "a"}}\n {"value": {"id": "b"}}]}\n').to_dict()
    assert "after an array element: ',' or ']' was expected" in broken["document_error"]
    assert M.validate(b'{"id": "a", "x": [1}\n').to_dict()["document_error"] is None


def test_validate_says_the_input_is_not_valid_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(b'{"records": [\n {"value": {"id": "a"}}\n {"value": {"id": "b"}}]}\n')
    code, out = _cli(capsys, "validate", str(SINK), str(path))
    assert code == 1
    assert out.splitlines()[0] == (
        "REFUSED: the input is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)"
    )


@pytest.mark.parametrize(
    "text, records_path, head",
    [
        (b'{"id": "a", "x": [1}\n', None, "refused: the only record would be refused (invalid_json 1)"),  # a record of NDJSON: a record
        (DOCS, ("data",), "partial: 1 of 2 records would be stored"),  # one document of several
    ],
    ids=["one broken record", "one broken document of two"],
)
def test_a_broken_record_keeps_its_verdict(text: bytes, records_path: Any, head: str) -> None:
    report = M.validate(text, records_path=records_path) if records_path else M.validate(text)
    assert report.summary().startswith(head), report.summary()


@pytest.mark.parametrize(
    "text, reason",
    [
        (b'[{"id": "a"},,{"id": "b"}]', "Invalid JSON: the JSON array is not valid JSON: a comma with no value before it at char 14"),
        (b'[\n{"id": "a"},\n,{"id": "b"}]', "Invalid JSON: the JSON array is not valid JSON: a comma with no value before it at line 3 char 1"),
        (b'[, {"id": "a"}]', "Invalid JSON: the JSON array is not valid JSON: a comma with no value before it at char 2"),
        (
            b'{"records": [{"value": {"id": "a"}},,{"value": {"id": "b"}}]}',
            "Invalid JSON: the request body is not valid JSON: a comma with no value before it at char 37",
        ),
        (b'{"id": "a", "x": [1,,2]}\n{"id": "b"}\n', "Invalid JSON: a comma with no value before it at char 21"),
        (b'{"id": "a",, "x": 1}\n{"id": "b"}\n', "Invalid JSON: a comma with no member before it at char 12"),
        (b'{"id": "a", "x": [1, x]}\n{"id": "b"}\n', "Invalid JSON: invalid character 'x' at char 22: a value was expected"),  # (no comma: the character named)
    ],
    ids=["array", "array pretty", "array first", "request body", "a record's array", "a record's object", "not a comma"],
)
def test_a_comma_with_nothing_before_it_is_said_so(text: bytes, reason: str) -> None:
    # said only "invalid character at char N"
    assert M.validate(text).errors[0].reason == reason
