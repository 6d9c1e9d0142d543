"""Documents holding null at the records path, carried as data (``Report.null_records_at``): the
words of no records (validate's verdict, map, bench, infer) read it, not the note's text, which
a records path holding a backtick and ``give no records`` fooled (it said null at `"a`)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import mapper
from mapper.cli import main
from mapper.commands import verdict

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORD = json.loads((ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0])

KEY = "a` give no records"  # (a key whose path, as written, the note's regex cut at its backtick)
WRITTEN = '"a` give no records"'  # to_dot_notation's: quoted
WORDS = f"the input holds none (null at `{WRITTEN}`, read as an empty array)"


@pytest.fixture
def odd_doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({KEY: None}) + "\n")
    return path


@pytest.mark.parametrize("command", ["validate", "map", "bench"])
def test_odd_path_worded_whole(command: str, odd_doc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["-o", str(tmp_path / "out.ndjson")] if command == "map" else []
    status = main([command, *extra, "--records-path", WRITTEN, str(SINK), str(odd_doc)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert WORDS in said, said
    assert status == (2 if command == "bench" else 0)


def test_odd_path_worded_whole_by_infer(odd_doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infer", "--records-path", WRITTEN, str(odd_doc)]) != 0
    err = capsys.readouterr().err
    assert f"no records to infer a sink from: {WORDS}" in err, err


@pytest.mark.parametrize(
    ("records", "options", "at"),
    [
        ({"records": None}, {"input_format": "endpoint"}, "records"),
        (b'{"Records": null}', {"input_format": "endpoint"}, "records"),
        ({"data": {"a.b": None}}, {"records_path": ["data", "a.b"]}, 'data."a.b"'),
        (b'{"data": {"a.b": null}}', {"records_path": ["data", "a.b"]}, 'data."a.b"'),
        ({KEY: None}, {"records_path": [KEY]}, WRITTEN),
        ({"records": []}, {"input_format": "endpoint"}, None),
        (b'{"data": {"a.b": []}}', {"records_path": ["data", "a.b"]}, None),
    ],
)
def test_api_report_says_where(records: object, options: dict[str, object], at: str | None) -> None:
    report = mapper.compile_sink(SINK).validate(records, **options)  # type: ignore[arg-type]
    assert report.records == 0 and report.null_records_at == at
    assert pickle.loads(pickle.dumps(report)).null_records_at == at  # (as workers send reports back)


def test_set_whatever_the_notes_say() -> None:
    """The notes are for people: a report whose notes were dropped (or reworded) still says where null was."""
    report = mapper.compile_sink(SINK).validate({"records": None}, input_format="endpoint")
    report.notes = ["documents holding null at `elsewhere` give no records"]
    assert verdict(report).endswith("(null at `records`, read as an empty array), so nothing would be stored")
    report.notes, report.null_records_at = [], None
    assert "null at" not in verdict(report)


def test_one_document_of_several_held_null(tmp_path: Path) -> None:
    """Of NDJSON documents, one holding null and others records: the report says so (with records, no verdict words)."""
    path = tmp_path / "docs.ndjson"
    path.write_text(json.dumps({"r": [RECORD]}) + "\n" + json.dumps({"r": None}) + "\n" + json.dumps({"r": [RECORD]}) + "\n")
    report = mapper.compile_sink(SINK).validate(path, records_path="r")
    assert report.records == 2 and report.null_records_at == "r"


def test_workers_join_it(tmp_path: Path) -> None:
    """``workers=2`` cuts NDJSON documents into ranges: a later range's null is in the joined report."""
    path = tmp_path / "docs.ndjson"
    lines = [json.dumps({"r": [RECORD] * 20})] * 40 + [json.dumps({"r": None})]
    path.write_text("\n".join(lines) + "\n")
    m = mapper.compile_sink(SINK)
    report = m.validate(path, records_path="r", workers=2)
    assert report.records == 800 and report.null_records_at == "r"
    assert m.validate(path, records_path="r").null_records_at == "r"


def test_concat_keeps_it() -> None:
    """``mapper.concat`` joins batches' reports: one input's null is the joined report's, in either order."""
    m = mapper.compile_sink(SINK)
    empty = m.map({"records": None}, input_format="endpoint")
    full = m.map([RECORD])
    assert full.report.null_records_at is None
    for batches in ([empty, full], [full, empty]):
        joined = mapper.concat(batches)
        assert joined.report.records == 1 and joined.report.null_records_at == "records"


def test_iter_batches_keeps_it() -> None:
    m = mapper.compile_sink(SINK)
    reports = [b.report for b in m.iter_batches([{"r": [RECORD] * 3}, {"r": None}], records_path="r", records=2)]
    assert any(r.null_records_at == "r" for r in reports), [r.null_records_at for r in reports]


# --- --report json carries it (it was left out: a pipeline had only the note's words to parse) ---


@pytest.mark.parametrize(
    ("lines", "options", "at", "records"),
    [
        ([{"records": None}], ["--input-format", "endpoint"], "records", 0),
        ([{"r": [RECORD]}, {"r": None}, {"r": [RECORD]}], ["--records-path", "r"], "r", 2),
        ([{KEY: None}], ["--records-path", WRITTEN], WRITTEN, 0),
        ([{"r": [RECORD]}], ["--records-path", "r"], None, 1),
        ([{"records": []}], ["--input-format", "endpoint"], None, 0),
    ],
)
@pytest.mark.parametrize("workers", [1, 2])
def test_report_json_says_where(lines, options, at, records, workers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "docs.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    status = main(["validate", str(SINK), str(path), "--report", "json", "--workers", str(workers), *options])
    got = json.loads(capsys.readouterr().out)
    assert status == 0
    assert got["records"] == records
    assert "null_records_at" in got and got["null_records_at"] == at


def test_report_json_of_workers_ranges_says_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A later range's null (the input cut for --workers 2) is in the joined report's JSON."""
    path = tmp_path / "docs.ndjson"
    path.write_text("\n".join([json.dumps({"r": [RECORD] * 20})] * 40 + [json.dumps({"r": None})]) + "\n")
    assert main(["validate", str(SINK), str(path), "--records-path", "r", "--report", "json", "--workers", "2"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["records"] == 800 and got["null_records_at"] == "r"
