"""Two records with a comma between them, one a line (a JSON array of two, its brackets
missing): README *Inputs* says such records "are read as the records with each comma a refused
record of its own". With three records that held; with two, the input was told as NDJSON whose
first line is broken, and the first record was refused whole with its comma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mapper
from mapper.cli import main
from mapper.engine.reader import detect_format

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = [json.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[:3]]
M = mapper.compile_sink(SINK)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("end", [b"\n", b""])
def test_records_with_a_comma_between_each_are_all_read(n: int, end: bytes) -> None:
    text = b",\n".join(json.dumps(r).encode() for r in RECORDS[:n]) + end
    report = M.validate(text)
    assert report.records == 2 * n - 1 and report.failed_records == n - 1
    assert [e.record for e in report.errors] == list(range(1, 2 * n - 1, 2))
    assert all("a comma between records" in e.reason for e in report.errors)
    batch = M.map(text, on_error="skip")
    assert batch.ids.tolist() == [r["id"] for r in RECORDS[:n]]


def test_a_trailing_comma_on_the_first_of_ndjson_lines_loses_no_record() -> None:
    """NDJSON whose first line alone ends with a comma: every record is read, the comma refused."""
    text = json.dumps(RECORDS[0]).encode() + b",\n" + b"\n".join(json.dumps(r).encode() for r in RECORDS[1:]) + b"\n"
    report = M.validate(text)
    assert report.records == 4 and [e.record for e in report.errors] == [1]
    assert M.map(text, on_error="skip").ids.tolist() == [r["id"] for r in RECORDS]


def test_a_broken_first_line_of_ndjson_is_still_one_bad_record() -> None:
    """What the rule is for: a first line that is no whole value, the lines after it records."""
    head = b'{"id": "x", "data": \n' + b"\n".join(json.dumps(r).encode() for r in RECORDS) + b"\n"
    assert detect_format(head, complete=True) == "ndjson"
    # a head that is not the whole input keeps the NDJSON reading (a document is read whole)
    two = json.dumps(RECORDS[0]).encode() + b",\n" + json.dumps(RECORDS[1]).encode() + b"\n"
    assert detect_format(two, complete=False) == "ndjson"
    assert detect_format(two, complete=True) == "json"


def test_validate_of_such_a_file_stores_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.json"
    path.write_bytes(json.dumps(RECORDS[0]).encode() + b",\n" + json.dumps(RECORDS[1]).encode() + b"\n")
    code = main(["validate", str(SINK), str(path)])
    out, _ = capsys.readouterr()
    assert code == 1 and out.startswith("PARTIAL: 2 of 3 records would be stored, 1 refused (invalid_json 1)"), out
