"""Telling the input's format from a long first line, left over (see test_detect_long_head.py).

Found:
- the note on a first line that runs past ``FIRST_LINE_LIMIT`` without ending (read as NDJSON:
  force ``--input-format json`` if it is one document) was given by validate and map in one
  process, not by ``mapper send`` nor by ``workers=N``;
- the API's note on why records failed told the format from a 4 MiB head of its own, not as
  the run told it;
- NDJSON whose lines are arrays, the first longer than the 64 KiB head, was read as one JSON
  array and failed whole (``trailing characters``): a first line starting with ``[`` is now
  followed to its end too, and is NDJSON when it ends in ``]`` and the next line starts with
  ``[`` or ``{``, which no JSON document holds; a one-line array is still read whole, at no
  more memory than before (the line read to find its end is neither copied nor decoded, and
  not held while the array is read).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_detect_long_head import SINK

import mapper
import mapper.api
from mapper.cli import main
from mapper.engine import reader
from mapper.send import Resume, read_records

M = mapper.compile_sink(SINK)
LONG = "a" * 100_000
#: A document spread over lines whose first line runs past the (lowered) limit: read as NDJSON, with the note.
UNDECIDED = f'{{"r":[{{"id":1,"s":"{"a" * 300_000}"}},\n{{"id":2}}]}}\n'.encode()


@pytest.fixture
def low_limit(monkeypatch: Any) -> None:
    monkeypatch.setattr(reader, "FIRST_LINE_LIMIT", 256 << 10)


def _noted(notes: list[str]) -> bool:
    return any("--input-format json" in n and "runs past" in n for n in notes)


# ---------------------------------------------------------------------------------------
# 1. every reader gives the note


def test_send_reads_the_note_where_validate_reads_it(tmp_path: Path, low_limit: None) -> None:
    doc = tmp_path / "d.json"
    doc.write_bytes(UNDECIDED)
    notices: list[Any] = []
    items = [item for group in read_records([str(doc)], "auto", Resume(), notices) for item in group]
    assert len(items) == 2  # (read as NDJSON: two lines)
    assert [(fi, n.kind) for fi, n in notices] == [(0, "format")]
    assert notices[0][1].message == M.validate(doc).notes[0]
    # forced, or a good input: no note
    for name, fmt in ((doc, "json"), (tmp_path / "n.ndjson", "auto")):
        if fmt == "auto":
            name.write_bytes(b'{"id": 1}\n{"id": 2}\n')
        notices = []
        list(read_records([str(name)], fmt, Resume(), notices))
        assert notices == []


@pytest.mark.parametrize("report", ["text", "json"])
def test_mapper_send_says_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str], low_limit: None, report: str) -> None:
    sink, doc, ok = tmp_path / "sink.json", tmp_path / "d.json", tmp_path / "ok.ndjson"
    sink.write_text(json.dumps(SINK))
    doc.write_bytes(UNDECIDED)
    ok.write_bytes(b'{"id": 1}\n')
    capsys.readouterr()
    assert main(["send", str(sink), str(doc), "--dry-run", "--report", report]) == 1
    out, err = capsys.readouterr()
    assert "mapper send: note: the first line starts a JSON object and runs past" in err and "--input-format json" in err, err
    if report == "json":
        (note,) = json.loads(out)["notes"]
        assert "--input-format json" in note
    # of several inputs, the note names its input; a run that refuses nothing says none (as validate keeps it)
    assert main(["send", str(sink), str(ok), str(doc), "--dry-run"]) == 1
    assert f"mapper send: note: {doc}: the first line" in capsys.readouterr().err
    assert main(["send", str(sink), str(ok), "--dry-run", "--report", "json"]) == 0
    out, err = capsys.readouterr()
    assert "note:" not in err and json.loads(out)["notes"] == []


@pytest.mark.parametrize("given", ["file", "bytes"])
def test_a_workers_run_gives_the_note_as_one_process_does(tmp_path: Path, low_limit: None, given: str) -> None:
    doc = tmp_path / "d.json"
    doc.write_bytes(UNDECIDED)
    records: Any = doc if given == "file" else UNDECIDED
    one = M.validate(records, records_path="r")
    assert _noted(one.notes), one.notes
    two = M.validate(records, records_path="r", workers=2)
    assert two.error_count == one.error_count and _noted(two.notes), two.notes
    assert [n for n in two.notes if "workers=" not in n] == one.notes
    # forced to NDJSON, or NDJSON whose first line ends: no note
    assert not _noted(M.validate(records, records_path="r", workers=2, input_format="ndjson").notes)
    lines = f'{{"id":1,"s":"{LONG}"}}\n{{"id":2}}\n{{"id":"x"}}\n'.encode()
    assert not _noted(M.validate(lines, workers=2).notes)


def test_the_command_line_s_workers_say_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str], low_limit: None) -> None:
    sink, doc = tmp_path / "sink.json", tmp_path / "d.json"
    sink.write_text(json.dumps(SINK))
    doc.write_bytes(UNDECIDED)
    capsys.readouterr()
    assert main(["validate", str(sink), str(doc), "--records-path", "r", "--workers", "2"]) == 1
    assert "say so with --input-format json" in capsys.readouterr().out
