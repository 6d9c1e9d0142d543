"""A broken JSON object spread over lines (pretty-printed, as ``jq .`` or ``json.dumps(indent=2)``
print it) is one refused record, its error placed where the JSON stops making sense, and the
good records around it are still judged: never one error per line, never a good record and
the rest of the broken one's members as records of their own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.engine.reader import detect_format

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gen import SINK, generate  # noqa: E402

RECORDS = [json.loads(line) for line in generate(300).splitlines()]
M = mapper.compile_sink(SINK)


def _pretty(records: list[dict[str, Any]], broken: int, breaking: Any, indent: int = 2) -> tuple[bytes, int]:
    """The records as ``json.dumps(indent=...)`` prints each, one after another, record ``broken``
    changed by ``breaking`` (its lines, changed in place); and the line that record starts on."""
    texts = [json.dumps(r, indent=indent).split("\n") for r in records]
    breaking(texts[broken])
    start = 1 + sum(len(t) for t in texts[:broken])
    return ("\n".join("\n".join(t) for t in texts) + "\n").encode(), start


def _first_line_holds_a_key(lines: list[str]) -> None:
    """`{ "id": "x"` and its comma missing: the object's first line, with its first member."""
    lines[0:2] = ["{ " + lines[1].strip().rstrip(",")]


def _closed_early(lines: list[str]) -> None:
    """`"lat": 16.05}}`: the record closed before its last members."""
    at = next(i for i, line in enumerate(lines) if '"lat"' in line)
    lines[at] = lines[at].rstrip(",") + "}}"


def _one_error(report: Any, records: int) -> Any:
    assert report.records == records, report.summary()
    (err,) = report.errors
    assert err.code == "invalid_json" and report.error_count == 1
    return err


@pytest.mark.parametrize("count", [1, 3, 300], ids=["one object", "three objects", "300 objects (past the 64 KB head)"])
@pytest.mark.parametrize("broken", ["first", "last"])
def test_a_first_line_holding_a_key_with_its_comma_missing_is_one_bad_record(count: int, broken: str) -> None:
    # found: `{ "id": "x"` (the first member on the brace's line, its comma missing) was read as
    # NDJSON, a record a line: 300 objects gave 6,300 records, each refused ("trailing characters")
    index = 0 if broken == "first" else count - 1
    data, start = _pretty(RECORDS[:count], index, _first_line_holds_a_key)
    if broken == "first":
        assert detect_format(data[:65536], complete=len(data) <= 65536) == "json"
    err = _one_error(M.validate(data), count)
    assert (err.record, err.line) == (index, start)
    assert "invalid character '\"' at line 2 char 3 of the record after a value in an object: ',' or '}' was expected" in err.message, err.message


@pytest.mark.parametrize("count", [3, 300])
def test_a_record_closed_early_is_one_bad_record_not_a_good_one_and_junk(count: int) -> None:
    # found: `"lat": 16.05}}` closed the record: it was taken as a good record (missing its last
    # values), then the string "long" as a record of its own (not_an_object), then the rest of
    # its members up to the next object as one more (invalid_json): 3 records for 1, 2 errors
    # naming lines that are no record's start, and a missing value refused the whole batch
    index = 1
    data, start = _pretty(RECORDS[:count], index, _closed_early)
    err = _one_error(M.validate(data), count)
    assert (err.record, err.line) == (index, start)
    assert "trailing characters at line 8 char 5 of the record" in err.message, err.message


def test_a_missing_comma_inside_is_one_bad_record_placed_on_its_line() -> None:
    # (held as it is: the error's place is the parser's, the first character that cannot continue the JSON)
    def missing_comma(lines: list[str]) -> None:
        lines[6] = lines[6].rstrip(",")  # line 7 of the record: `"lat": -49.7667`

    data, start = _pretty(RECORDS[:3], 1, missing_comma)
    err = _one_error(M.validate(data), 3)
    assert (err.record, err.line) == (1, start)
    assert "invalid character '\"' at line 8 char 5 of the record after a value in an object: ',' or '}' was expected" in err.message, err.message


def test_a_pretty_printed_object_with_comma_first_lines_is_read_whole_past_the_head() -> None:
    # `{ "id": ...` then `, "timestamp": ...` (comma-first): valid, and read as one document over
    # lines past the 64 KB head too (it was NDJSON there, every line refused)
    texts = []
    for r in RECORDS:
        members = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in r.items()]
        texts.append("{ " + members[0] + "\n" + "".join(f", {m}\n" for m in members[1:]) + "}")
    data = ("\n".join(texts) + "\n").encode()
    assert len(data) > 65536
    report = M.validate(data)
    assert (report.records, report.error_count) == (300, 0), report.summary()


def test_clean_ndjson_is_still_ndjson() -> None:
    data = generate(5)
    assert detect_format(data, complete=True) == "ndjson"
    assert detect_format(b'{"id": 1\n{"id": 2}\n{"id": 3}\n', complete=True) == "ndjson"  # (a broken first line, records after)


def _array(records: list[dict[str, Any]], breaking: Any, indent: Any = 2) -> bytes:
    lines = json.dumps(records, indent=indent).split("\n")
    breaking(lines)
    return ("\n".join(lines) + "\n").encode()


def _at(lines: list[str], record: int) -> int:
    """The index of the line of record ``record``'s `"id"` (the line after its `{`)."""
    return next(i for i, line in enumerate(lines) if f'"PD2tRswoE3:0:{record}"' in line)


def _comma_dropped(record: int, after: int = 0) -> Any:
    def breaking(lines: list[str]) -> None:
        lines[_at(lines, record) + after] = lines[_at(lines, record) + after].rstrip(",")

    return breaking


@pytest.mark.parametrize("count", [3, 300])
@pytest.mark.parametrize("indent", [2, "\t"], ids=["2 spaces", "tab"])
@pytest.mark.parametrize("broken", [0, 1, -1], ids=["first", "second", "last"])
def test_a_pretty_printed_array_with_one_broken_element_judges_the_others(count: int, indent: Any, broken: int) -> None:
    # found: the array was refused whole, "REFUSED: the only record would be refused": its other
    # records never judged (a file of 300 records, one comma missing: 0 stored, 1 refused)
    broken = broken % count
    data = _array(RECORDS[:count], _comma_dropped(broken), indent)
    err = _one_error(M.validate(data), count)
    assert (err.record, err.line) == (broken, 2 + 21 * broken)  # (`[` on line 1, 21 lines a record)
    said = f"invalid character '\"' at line 3 char {5 if indent == 2 else 3} of the record after a value in an object: ',' or '}}' was expected"
    assert said in err.message, err.message


def test_a_pretty_printed_array_whose_last_element_is_cut_judges_the_others() -> None:
    def cut(lines: list[str]) -> None:
        del lines[_at(lines, 2) + 5 :]

    err = _one_error(M.validate(_array(RECORDS[:3], cut)), 3)
    assert (err.record, err.line) == (2, 44) and "truncated" in err.message, err.message


@pytest.mark.parametrize(
    "breaking, where",
    [
        (
            _comma_dropped(1, 19),
            "invalid character '{' at line 44 char 3 after an array element: ',' or ']' was expected",
        ),  # `}` `{`: the comma between two elements
        (lambda lines: lines.__setitem__(-2, lines[-2] + ","), "trailing comma in array at line 65 char 1"),
    ],
    ids=["comma between elements missing", "comma after the last"],
)
def test_an_array_broken_between_its_elements_is_one_error_placed_there(breaking: Any, where: str) -> None:
    # (each element whole: the array is what is broken, said once, where)
    report = M.validate(_array(RECORDS[:3], breaking))
    (err,) = report.errors
    assert err.code == "invalid_json" and where in err.message, err.message


@pytest.mark.parametrize("breaking", [_first_line_holds_a_key, _closed_early], ids=["first line", "closed early"])
def test_validate_of_a_file_says_one_error_on_the_records_line(tmp_path: Path, capsys: Any, breaking: Any) -> None:
    # (a file is read as a stream, its format told from its first 64 KB)
    from mapper import cli

    data, start = _pretty(RECORDS, 0 if breaking is _first_line_holds_a_key else 1, breaking)
    (tmp_path / "sink.json").write_text(json.dumps(SINK))
    (tmp_path / "records.json").write_bytes(data)
    code = cli.main(["validate", str(tmp_path / "sink.json"), str(tmp_path / "records.json"), "--report", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and (report["records"], report["error_count"]) == (300, 1), report
    (err,) = report["errors"]
    assert (err["code"], err["line"]) == ("invalid_json", start)


def _last_broken(lines: list[str]) -> None:
    """The last element's first member's comma dropped (the element broken, the array's `]` after it)."""
    at = _at(lines, 2)
    lines[at] = lines[at].rstrip(",")


#: what an array whose last element is broken (a member's comma dropped) is refused with
AFTER_LAST = "invalid character '\"' at line 46 char 5 after a value in an object: ',' or '}' was expected"


@pytest.mark.parametrize(
    "after, where",
    [
        (lambda lines: lines.append('{"id": "late"}'), AFTER_LAST),  # a value after the array
        (lambda lines: lines.__setitem__(-1, lines[-1] + ' {"id": "late"}'), AFTER_LAST),  # on the `]`'s line
        (lambda lines: lines.__setitem__(-2, lines[-2] + ","), AFTER_LAST),  # a comma after the last
    ],
    ids=["a record after the array", "a record after its ] on its line", "a trailing comma"],
)
def test_an_array_whose_last_element_is_broken_is_still_one_error_when_broken_after_it(after: Any, where: str) -> None:
    # found: the last broken element's text ran to the input's end, taking the array's `]` and
    # whatever followed: a record after the array was swallowed into it (3 records, that one
    # never counted: lost), a trailing comma went unsaid; as when another element is the broken
    # one, what is broken after the array's elements makes the array one error, placed at its
    # first (the element's)
    def breaking(lines: list[str]) -> None:
        _last_broken(lines)
        after(lines)

    report = M.validate(_array(RECORDS[:3], breaking))
    (err,) = report.errors
    assert report.records == 1 and err.code == "invalid_json" and where in err.message, err.message


def test_the_raw_text_of_a_broken_last_element_ends_at_the_element(tmp_path: Path) -> None:
    # found: its dead letter's raw held the array's closing `]` after the element's `}`
    batch = M.map(_array(RECORDS[:3], _last_broken), on_error="skip")
    (rejected,) = batch.report.rejected
    assert rejected.record == 2 and rejected.raw is not None
    assert rejected.raw.rstrip().endswith(b"}") and json.loads(rejected.raw.replace(b'"\n', b'",\n', 1)) == RECORDS[2]


def test_an_array_printed_with_indent_0_whose_last_element_is_broken_judges_the_others() -> None:
    # json.dumps(indent=0) starts every line at column 0: a nested array's `]` in the broken last
    # element starts a line as the array's own does, and was taken for it: "more after the array",
    # the whole input one error (1 record, the good ones before it never judged)
    records = [{"id": 1, "a": [1, 2]}, {"id": 2, "a": [3]}, {"id": 3, "a": [4], "b": "x"}]
    text = json.dumps(records, indent=0)
    broken = text.replace('"b": "x"', '"b": x')
    assert broken != text and "\n]\n}" in broken  # (the nested array's `]` starts a line, as the array's own)
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]})
    report = m.validate(broken.encode())
    assert (report.records, report.failed_records) == (3, 1)
    (err,) = report.errors
    third = [i for i, line in enumerate(text.splitlines()) if line == "{"][2] + 1
    assert (err.record, err.code, err.line) == (2, "invalid_json", third)
    # junk after the array's own `]` stays the whole input's error
    assert m.validate((broken + '\n{"id": 4}').encode()).records == 1
