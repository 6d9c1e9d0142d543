"""An input read as one document that fails whole: the verdict is built from the failure's parts.

The verdict (``refused: the input is not valid JSON: ... (invalid_json 1, in the request body read
whole: no record was read)``) was made by reading the parts back out of the document's error
message with regular expressions; the engine now keeps them as fields
(:class:`mapper.report.DocumentFailure`), and ``document_error`` (``--report json``) is the same
string as before. Of several inputs, the verdict said "the input" of the one file that failed
without naming it (only the error line below it did): it names it now.
"""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pytest

import mapper
from mapper.cli import main
from mapper.report import DocumentFailure, join_reports

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
M = mapper.compile_sink(SINK)

#: a request body with a comma missing between its items (line 3)
BODY = b'{"records": [\n {"value": {"id": "a"}}\n {"value": {"id": "b"}}]}\n'
#: a request body cut short
CUT = b'{"records": [\n {"value": {"id": "a"}},\n'
#: a JSON array with a trailing comma
ARRAY = b'[{"id": "a"}, {"id": "b"},]'
#: a document without the array at records_path "data"
NO_DATA = b'{"other": [{"id": "a"}],\n "x": 1}\n'


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _err = capsys.readouterr()
    return code, out


@pytest.mark.parametrize(
    "text, records_path, failure",
    [
        (
            BODY,
            None,
            DocumentFailure(
                "invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected", read="the request body", line=3, line_named=3
            ),
        ),
        (CUT, None, DocumentFailure("the request body is truncated", line=3)),
        (ARRAY, None, DocumentFailure("trailing comma in array at char 27", read="the JSON array", line=1)),
        (NO_DATA, ("data",), DocumentFailure("no records at `data`: no key `data`", invalid=False, line=1)),
    ],
    ids=["body broken", "body cut short", "array trailing comma", "no records at the path"],
)
def test_the_report_keeps_the_document_failure_as_fields(text: bytes, records_path: tuple[str, ...] | None, failure: DocumentFailure) -> None:
    report = M.validate(text, records_path=records_path) if records_path else M.validate(text)
    assert report.document_failure == failure
    # the public string is the error's reason, as before (the hint left out)
    assert report.document_error == failure.reason == report.errors[0].reason.split("; arrays of objects")[0]
    assert report.to_dict()["document_error"] == report.document_error


def test_records_read_one_by_one_have_no_document_failure() -> None:
    report = M.validate(b'{"id": "a", "x": [1}\n')
    assert report.document_failure is None and report.document_error is None
    assert report.to_dict()["document_error"] is None


def test_the_verdict_comes_from_the_fields_not_from_the_words() -> None:
    # a detail that reads like "<what> is not valid JSON: ..." is not taken apart again, and one
    # naming a line is not given it twice
    report = M.validate(BODY)
    assert report.document_failure is not None
    report.document_failure = DocumentFailure("the request body is not valid JSON: x", line=7)
    assert report.summary() == (
        "refused: the input is not valid JSON: the request body is not valid JSON: x (invalid_json 1, at line 7; the input was read whole, as one document: no record was read)"
    )


def test_the_document_failure_survives_pickling_and_joining() -> None:
    # (workers' reports cross a pipe pickled; join_reports joins whole inputs' reports, concat's, whose
    # lines are each their own: a document failure is a whole input's, and is kept as it is; the
    # parts of one input cut at line ends have none: merge_reports, tests/test_small7.py)
    report = pickle.loads(pickle.dumps(M.validate(BODY)))
    assert report.document_failure == DocumentFailure(
        "invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected", read="the request body", line=3, line_named=3
    )
    joined = join_reports([mapper.Report(), report], [0, 0], [0, 0], "endpoint", False)
    assert joined.document_failure == report.document_failure
    assert joined.document_error == report.document_error and joined.errors[0].line == 3
    assert joined.summary() == (
        "refused: the input is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)"
    )


def test_concat_carries_the_document_failure() -> None:
    empty = M.map(b"", on_error="skip")
    broken = M.map(BODY, on_error="skip")
    joined = mapper.concat([empty, broken])
    assert joined.report.document_failure == broken.report.document_failure is not None
    assert joined.report.summary() == broken.report.summary()


@pytest.mark.parametrize(
    "files, extra, head",
    [
        (
            [("body.json", BODY), ("empty.ndjson", b"")],
            [],
            "REFUSED: body.json is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)",
        ),
        (
            [("empty.ndjson", b"\n"), ("cut.json", CUT)],
            [],
            "REFUSED: cut.json is not valid JSON: the request body is truncated (invalid_json 1, at line 3; it was read whole, as one document: no record was read)",
        ),
        (
            [("empty.json", b"[]"), ("array.json", ARRAY)],
            ["--on-error", "reject"],
            "DISCARDED: array.json is not valid JSON: trailing comma in array at char 27 (invalid_json 1, at line 1, in the JSON array read whole: no record was read)",
        ),
        (
            [("doc.json", NO_DATA), ("empty.json", b"")],
            ["--records-path", "data"],
            "REFUSED: no records at `data`: no key `data` (no_records 1, at line 1; doc.json was read whole, as one document: no record was read)",
        ),
    ],
    ids=["body then empty", "blank then cut body", "empty array then broken array", "no records at the path"],
)
def test_of_several_inputs_the_verdict_names_the_one_read_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[tuple[str, bytes]], extra: list[str], head: str
) -> None:
    # it said "the input is not valid JSON" / "the input was read whole", of inputs of which one failed
    monkeypatch.chdir(tmp_path)  # (the names as given: relative)
    for name, text in files:
        (tmp_path / name).write_bytes(text)
    code, out = _cli(capsys, "validate", str(SINK), *(name for name, _ in files), *extra)
    assert code == 1
    assert out.splitlines()[0] == head


def test_of_several_inputs_standard_input_is_named_so(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.ndjson").write_bytes(b"")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(BODY)))
    code, out = _cli(capsys, "validate", str(SINK), "-", "empty.ndjson")
    assert code == 1
    assert out.splitlines()[0] == (
        "REFUSED: standard input is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole: no record was read)"
    )


def test_of_several_inputs_the_json_report_keeps_its_string(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "body.json").write_bytes(BODY)
    (tmp_path / "empty.ndjson").write_bytes(b"")
    code, out = _cli(capsys, "validate", str(SINK), str(tmp_path / "body.json"), str(tmp_path / "empty.ndjson"), "--report", "json")
    assert code == 1
    got = json.loads(out)
    assert (
        got["document_error"]
        == "Invalid JSON: the request body is not valid JSON: invalid character '{' at line 3 char 2 after an array element: ',' or ']' was expected"
    )
    assert got["errors"][0]["file"] == str(tmp_path / "body.json")


def test_one_input_is_still_the_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "cut.json").write_bytes(CUT)
    code, out = _cli(capsys, "validate", str(SINK), str(tmp_path / "cut.json"))
    assert code == 1
    assert out.splitlines()[0] == (
        "REFUSED: the input is not valid JSON: the request body is truncated (invalid_json 1, at line 3; the input was read whole, as one document: no record was read)"
    )


def test_a_detail_that_happens_to_hold_line_n_is_still_placed() -> None:
    # the verdict read the detail's words to tell whether it placed itself: a key "line 3 b" on
    # line 3 looked like "at line 3 char ...", and the verdict lost its ", at line 3"
    report = M.validate(b'\n\n{"line 3 b": 5}', records_path=("line 3 b",))
    assert report.document_failure is not None and report.document_failure.line == 3
    assert "(no_records 1, at line 3; the input was read whole" in report.summary(), report.summary()
    # a detail that names its line, as a field says, is not placed again
    report = M.validate(BODY)
    assert report.document_failure is not None and report.document_failure.line_named == 3
    assert "at line 3 char 2 after an array element: ',' or ']' was expected (invalid_json 1, in the request body read whole" in report.summary(), (
        report.summary()
    )


@pytest.mark.parametrize("first", ['{"x": [{"id": "a"}]}', {"x": []}], ids=["a text", "a Python document"])
def test_a_document_text_after_others_names_its_line_in_the_whole_input(first: object) -> None:
    # texts given as a list are one input, their lines counted over the items: the error of the
    # second text was placed on line 3, and its reason said "at line 2 char 12" (of the text alone)
    bad = '{"x": [\n{"id": "a",}]}'
    report = M.validate([first, bad], records_path="x")
    (error,) = [e for e in report.errors if e.code == "invalid_json"]
    line = 3  # (a Python document is a line too)
    assert error.line == line and error.reason.endswith(f"trailing comma in object at line {line} char 12"), (error.line, error.reason)
    if isinstance(first, dict):  # the only record: the verdict is the document's, placed once
        assert report.summary().startswith(
            f"refused: the input is not valid JSON: trailing comma in object at line {line} char 12 (invalid_json 1, in the JSON document"
        ), report.summary()


_FIRSTS = {
    "a one-line text": ('{"x": [{"id": "a"}]}', 1),
    "a text of two lines": ('{"x": [{"id": "a"}]}\n\n', 2),
    "a pretty text": ('{"x": [\n  {"id": "a"}\n]}\n', 3),
    "a Python document": ({"x": []}, 1),
}
_BROKEN = {
    "trailing comma": b'{"x": [\n{"id": "a"},]}',
    "a mark within (a note after the place)": b'{"x": [\n\xef\xbb\xbf{"id": "a"}]}',
    "an empty comma on line 3": b'{"x": [\n{"id": "a"},\n,{"id": "b"}]}',
    "one line (its character alone)": b'{"x": [{"id": "a"},]}',
    "a value after the document": b'{"x": [\n{"id": "a"}\n]}\n]',
}


@pytest.mark.parametrize("first", list(_FIRSTS), ids=list(_FIRSTS))
@pytest.mark.parametrize("broken", list(_BROKEN), ids=list(_BROKEN))
@pytest.mark.parametrize("input_format", ["auto", "json"])
def test_a_broken_text_after_others_says_what_it_says_in_the_whole_input(first: str, broken: str, input_format: str) -> None:
    # a text among others is read alone, from line 1, and its units moved down after: its
    # error says, word for word, what the same text says on the same lines of one input (blank
    # lines before it), the line it names and the unit's moved alike (mapper.engine.reader.Place)
    item, lines = _FIRSTS[first]
    text = _BROKEN[broken]
    among = M.validate([item, text], records_path="x", input_format=input_format)
    said = [(e.line, e.reason) for e in among.errors if e.code == "invalid_json"]
    assert len(said) == 1 and said[0][0] is not None and said[0][0] > lines
    if b"\n" in text:
        whole = M.validate(b"\n" * lines + text, records_path="x", input_format=input_format)
        assert said == [(e.line, e.reason) for e in whole.errors if e.code == "invalid_json"]
    else:  # a one-line text names its character alone, as a line of NDJSON documents does: its line moved only
        alone = M.validate(text, records_path="x", input_format=input_format)
        assert said == [(e.line + lines, e.reason) for e in alone.errors if e.code == "invalid_json"]
        assert said[0][1].endswith(" at char 20")
