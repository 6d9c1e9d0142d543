"""Telling the input's format from a long first line, left over (see test_detect_long_head.py).

Found:
- the note on a first line that runs past ``FIRST_LINE_LIMIT`` without ending (read as NDJSON:
  force ``--input-format json`` if it is one document) was given by validate and map in one
  process, not by ``mapper send`` nor by ``workers=N``;
- the API's note on why records failed told the format from a 4 MiB head of its own, not as
  the run told it, and bench's asked for it of any input (validate asks of NDJSON alone);
- NDJSON whose lines are arrays, the first longer than the 64 KiB head, was read as one JSON
  array and failed whole (``trailing characters``): a first line starting with ``[`` is now
  followed to its end too, and is NDJSON when it ends in ``]`` and the next line starts with
  ``[`` or ``{``, which no JSON document holds; a one-line array is still read whole, at no
  more memory than before (the line read to find its end is neither copied nor decoded, and
  not held while the array is read).
"""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from test_detect_long_head import SINK, Trickle

import mapper
import mapper.api
from mapper.cli import main
from mapper.engine import reader
from mapper.engine.reader import HEAD_SIZE, format_head, format_of, head_in
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
    # forced, or a good input: no note on the format (forced, the document is one record, and
    # the note on where its records may be is validate's too, said if the record fails)
    for name, fmt in ((doc, "json"), (tmp_path / "n.ndjson", "auto")):
        if fmt == "auto":
            name.write_bytes(b'{"id": 1}\n{"id": 2}\n')
        notices = []
        list(read_records([str(name)], fmt, Resume(), notices))
        # (no note on the format; a document read as one record carries validate's note on its
        # arrays, kept for the summary only if a record is refused, as validate keeps it)
        assert [n.kind for _, n in notices] == (["document"] if fmt == "json" else [])
        if fmt == "json":
            assert notices[0][1].if_failed and notices[0][1].message in M.validate(name, input_format="json").notes


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
        note, why = json.loads(out)["notes"]  # (and, without --rejects, why the first refused record was)
        assert "--input-format json" in note and why.startswith("the first record refused (") and "--rejects FILE" in why
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


# ---------------------------------------------------------------------------------------
# 2. the API's note on failed records tells the format as the run does


def test_the_api_asks_for_the_ndjson_note_only_of_input_the_run_read_as_ndjson(tmp_path: Path, monkeypatch: Any) -> None:
    # one object spread over lines whose first line runs past 4 MiB: read as a document, while
    # the note's own 4 MiB head, holding no line's end, told NDJSON and asked for its note
    text = '{"id":"x","s":"' + "a" * (5 << 20) + '",\n"t":2}\n'
    path = tmp_path / "o.json"
    path.write_text(text)
    asked: list[int] = []
    monkeypatch.setattr(mapper.api, "explain_failures", lambda report, head, file=None: asked.append(len(head)))
    for records in (text.encode(), bytearray(text.encode()), text, path):
        report = M.validate(records)
        assert report.records == 1 and report.failed_records == 1 and report.document_failure is None, report.summary()
    assert asked == []
    # NDJSON whose first line is that long is explained, from its first 4 MiB
    lines = text.replace(",\n", ",") + '{"id":"y"}\n'
    path.write_text(lines)
    for records in (lines.encode(), lines, path):
        assert M.validate(records).failed_records == 2
    assert asked == [reader.HEAD_BYTES] * 3


def test_the_api_explains_ndjson_of_long_arrays() -> None:
    text = "[" + ",".join([f'{{"id":{i},"s":"{"b" * 40}"}}' for i in range(2000)]) + ']\n[{"id":1}]\n[{"id":2}]\n'
    for records in (text.encode(), memoryview(text.encode()), text):
        report = M.validate(records)
        assert report.records == 3 and report.failed_records == 3, report.summary()
        assert any("each line holds a JSON array of objects" in n and "jq -c '.[]'" in n for n in report.notes), report.notes


# ---------------------------------------------------------------------------------------
# 3. a first line starting with [ is followed to its end


ARRAYS = {
    # each: the input, its format, its records
    "ndjson of arrays": (f'[{{"id":1,"s":"{LONG}"}},{{"id":3}}]\n[{{"id":2}}]\n', "ndjson", 2),
    "ndjson of arrays, CRLF and blanks": (f'[{{"id":1,"s":"{LONG}"}}] \r\n\n  [{{"id":2}}]\r\n', "ndjson", 2),
    "an array, then objects": (f'[{{"id":1,"s":"{LONG}"}}]\n{{"id":2}}\n', "ndjson", 2),
    "array on one line": (f'[{{"id":1,"s":"{LONG}"}},{{"id":2}}]', "json", 2),
    "array on one line, a newline": (f'[{{"id":1,"s":"{LONG}"}},{{"id":2}}]\n\n', "json", 2),
    "pretty-printed array": (f'[{{"id":1,"s":"{LONG}"}},\n{{"id":2}}]', "json", 2),
    "pretty-printed, the first element alone": (f'[\n{{"id":1,"s":"{LONG}"}},\n{{"id":2}}\n]', "json", 2),
}


@pytest.mark.parametrize("shape", ARRAYS)
def test_a_long_first_line_starting_an_array_is_told_to_its_end(shape: str) -> None:
    data = ARRAYS[shape][0].encode()
    expected = ARRAYS[shape][1]
    assert format_of(data) == expected
    assert format_of(head_in(data)) == expected
    assert format_of(format_head(Trickle(data))) == expected
    assert format_of(format_head(io.BytesIO(b"\xef\xbb\xbf" + data))) == expected


@pytest.mark.parametrize("shape", ARRAYS)
@pytest.mark.parametrize("given", ["bytes", "file", "stream", "gzip bytes"])
def test_validate_reads_ndjson_of_long_arrays_line_by_line(tmp_path: Path, shape: str, given: str) -> None:
    text, fmt, count = ARRAYS[shape]
    data = text.encode()
    records: Any = data
    if given == "file":
        records = tmp_path / "in.json"
        records.write_bytes(data)
    elif given == "stream":
        records = Trickle(data)
    elif given == "gzip bytes":
        records = gzip.compress(data)
    report = M.validate(records)
    assert report.records == count, report.summary()
    if fmt == "json":
        assert report.error_count == 0, report.summary()
    else:  # each line one record that is no object, with the note that says what to do
        assert report.document_failure is None
        assert report.error_counts.get((None, "not_an_object"), 0) >= 1, report.summary()
        if shape == "ndjson of arrays" and given in ("bytes", "file"):  # (a stream is read once: no head kept for the note)
            assert any("jq -c '.[]'" in n for n in report.notes), report.notes


def test_a_one_line_array_past_the_limit_is_read_whole_without_a_note(low_limit: None) -> None:
    data = ('[{"id":1,"s":"' + "a" * 300_000 + '"},{"id":2}]\n').encode()
    for records in (data, Trickle(data)):
        report = M.validate(records)
        assert report.records == 2 and report.error_count == 0 and not report.notes, report.summary()
    # NDJSON of arrays whose first line is that long is read as one array: the hint says what to do
    report = M.validate(data + b'[{"id":3}]\n')
    assert report.document_failure is not None and "jq -c '.[]'" in report.errors[0].reason


def test_the_first_line_is_held_once_while_it_is_followed() -> None:
    # its blocks joined at the end held the line twice at once: a one-line array of megabytes
    # (read whole after) peaked at twice its size before it was read
    data = b'[{"id":1,"s":"' + b"a" * (6 << 20) + b'"}]'
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        head = format_head(stream)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert head == data
    assert peak < 1.4 * len(data), peak / len(data)


def test_a_one_line_array_s_file_is_not_held_twice_while_it_is_read(tmp_path: Path) -> None:
    # the first line, followed to its end to tell the format, was kept while the array was
    # read again from the file: 2.95 times the size at the peak (1.96 when told from the head)
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"id": i, "s": "x" * 40} for i in range(60_000)], separators=(",", ":")) + "\n")
    size = path.stat().st_size
    assert HEAD_SIZE < size < reader.FIRST_LINE_LIMIT
    tracemalloc.start()
    try:
        report = M.validate(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.records == 60_000 and report.error_count == 0
    assert peak < 2.4 * size, peak / size


def test_bench_asks_for_the_ndjson_note_only_of_input_read_as_ndjson(monkeypatch: Any) -> None:
    from mapper import bench
    from mapper.options import MapOptions

    asked: list[int] = []
    monkeypatch.setattr(bench, "explain_first", lambda report, head, names: asked.append(len(head)))
    compiled = M.compiled
    doc = b'[\n{"id": "x"},\n{"id": "y"}\n]\n'
    assert bench.measure_mapper(compiled, doc, 1, MapOptions()).figures["records"] == 2
    assert asked == []
    assert bench.measure_mapper(compiled, b'{"id": "x"}\n{"id": "y"}\n', 1, MapOptions()).figures["records"] == 2
    assert asked == [len(b'{"id": "x"}\n{"id": "y"}\n')]
