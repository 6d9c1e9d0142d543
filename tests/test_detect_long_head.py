"""Telling the input's format when its first line runs past the 64 KiB head.

Found: a JSON document spread over lines whose first line held a long string
(``{"r": [{"id": 1, "s": "...100 KB..."},`` then ``{"id": 2}]}``) was read as NDJSON, its
head holding no line's end: three bogus errors ("the JSON document is truncated", "no key
`r`", "invalid character") for a document of two good records. The first line is now
followed to its end (in bounded steps, at most ``FIRST_LINE_LIMIT``), for bytes, files,
streams and the command line alike; past that limit the format is told from the head and
a note says to force ``--input-format json``.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_schema

import mapper
from mapper.cli import main
from mapper.engine import reader
from mapper.engine.parallel import splittable
from mapper.engine.reader import HEAD_SIZE, format_head, format_of, head_in
from mapper.options import MapOptions
from mapper.send import Resume, read_records

SINK = id_schema(column("s", "string"))
M = mapper.compile_sink(SINK)
LONG = "a" * 100_000

#: Each: the input, its format, and the records path it is read with.
SHAPES = {
    "document with records path": (f'{{"r":[{{"id":1,"s":"{LONG}"}},\n{{"id":2}}]}}', "json", "r"),
    "pretty-printed array": (f'[{{"id":1,"s":"{LONG}"}},\n{{"id":2}}]', "json", None),
    "array on one line": (f'[{{"id":1,"s":"{LONG}"}},{{"id":2}}]', "json", None),
    "ndjson": (f'{{"id":1,"s":"{LONG}"}}\n{{"id":2}}\n', "ndjson", None),
    "ndjson, a CRLF": (f'{{"id":1,"s":"{LONG}"}}\r\n{{"id":2}}\r\n', "ndjson", None),
    "ndjson of documents": (f'{{"r":[{{"id":1,"s":"{LONG}"}}]}}\n{{"r":[{{"id":2}}]}}\n', "ndjson", "r"),
    "one object spread over lines": (f'{{"id":1,"s":"{LONG}",\n"t":2}}', "json", None),
    "request body": (f'{{"records":[{{"value":{{"id":1,"s":"{LONG}"}}}},\n{{"value":{{"id":2}}}}]}}', "endpoint", None),
}
RECORDS = {"one object spread over lines": 1}


class Trickle:
    """An unseekable stream answering each read of a size with at most ``most`` bytes (a pipe)."""

    def __init__(self, data: bytes, most: int = 4096):
        self.data, self.pos, self.most = data, 0, most

    def read(self, n: int = -1) -> bytes:
        out = self.data[self.pos :] if n < 0 else self.data[self.pos : self.pos + min(n, self.most)]  # (read() is to the end)
        self.pos += len(out)
        return out


@pytest.mark.parametrize("shape", SHAPES)
def test_the_format_is_told_from_the_whole_first_line_for_bytes_and_streams_alike(shape: str) -> None:
    data = SHAPES[shape][0].encode()
    expected = SHAPES[shape][1]
    assert format_of(data) == expected
    assert format_of(head_in(data)) == expected
    assert format_of(format_head(Trickle(data))) == expected
    assert format_of(format_head(io.BytesIO(b"\xef\xbb\xbf" + data))) == expected  # (a byte order mark first)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("given", ["bytes", "file", "stream", "gzip bytes"])
def test_validate_reads_every_shape_as_its_format(tmp_path: Path, shape: str, given: str) -> None:
    text, _fmt, path = SHAPES[shape]
    data = text.encode()
    records: Any = data
    if given == "file":
        records = tmp_path / "in.json"
        records.write_bytes(data)
    elif given == "stream":
        records = Trickle(data)
    elif given == "gzip bytes":
        records = gzip.compress(data)
    report = M.validate(records, records_path=path)
    assert report.records == RECORDS.get(shape, 2) and report.error_count == 0, report.summary()
    assert not report.errors


@pytest.mark.parametrize("stdin", [False, True])
def test_the_command_line_reads_the_document_of_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any, stdin: bool) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    doc = tmp_path / "d.json"
    doc.write_bytes(SHAPES["document with records path"][0].encode())
    name = str(doc)
    if stdin:
        fh = open(doc, "rb")  # noqa: SIM115 - closed below
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": fh, "isatty": lambda self: False})())
        name = "-"
    try:
        code = main(["validate", str(sink), name, "--records-path", "r"])
    finally:
        if stdin:
            fh.close()
    out = capsys.readouterr().out
    assert code == 0 and "ACCEPTED: 2 records" in out, out
    assert "truncated" not in out and "no key" not in out


@pytest.mark.parametrize("at", [HEAD_SIZE - 1, HEAD_SIZE, HEAD_SIZE + 1, 3 * HEAD_SIZE])
def test_a_first_line_ending_near_the_head_s_end_is_told_the_same_from_a_stream(at: int) -> None:
    # (the newline at the head's last byte, or just past it: the stream's head and the bytes agree)
    for last in (b'"},', b'"}'):
        line = b'{"r":[{"id":1,"s":"' + b"a" * (at - 19 - len(last)) + last
        assert len(line) == at
        for rest in (b'\n{"id":2}]}', b'\n{"id":2}\n'):
            data = line + rest
            assert format_of(format_head(Trickle(data, 1000))) == format_of(data) == format_of(head_in(memoryview(data)))


def test_ndjson_whose_first_line_never_ends_is_read_in_bounded_steps(monkeypatch: Any) -> None:
    # a first line that runs on (a multi-GB file of one line) is followed no further than
    # FIRST_LINE_LIMIT: read past that, it would be read whole to be told
    monkeypatch.setattr(reader, "FIRST_LINE_LIMIT", 1 << 20)

    class Endless:
        given = 0

        def read(self, n: int = -1) -> bytes:
            assert 0 < n <= 1 << 20
            self.given += n
            return b'{"s":"' + b"a" * (n - 6) if self.given == n else b"a" * n

    stream = Endless()
    head = format_head(stream)
    assert len(head) == stream.given == 1 << 20
    assert format_of(head) == "ndjson"


def test_a_first_line_past_the_limit_is_read_as_ndjson_with_a_note_to_force_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.setattr(reader, "FIRST_LINE_LIMIT", 256 << 10)
    data = f'{{"r":[{{"id":1,"s":"{"a" * 300_000}"}},\n{{"id":2}}]}}'.encode()
    for records in (data, Trickle(data), gzip.compress(data)):
        report = M.validate(records, records_path="r")
        assert report.error_count == 3  # (read as NDJSON: the note says what to do)
        assert any("--input-format json" in note and "input_format='json'" in note for note in report.notes), report.notes
    sink, doc = tmp_path / "sink.json", tmp_path / "d.json"
    sink.write_text(json.dumps(SINK))
    doc.write_bytes(data)
    assert main(["validate", str(sink), str(doc), "--records-path", "r"]) != 0
    assert "say so with --input-format json" in capsys.readouterr().out
    assert main(["validate", str(sink), str(doc), "--records-path", "r", "--input-format", "json"]) == 0
    report = M.validate(data, records_path="r", input_format="json")
    assert report.records == 2 and report.error_count == 0, report.summary()
    # NDJSON whose first line is that long keeps its records, and a good input has no note
    assert M.validate(f'{{"id":1,"s":"{"a" * 300_000}"}}\n{{"id":2}}\n'.encode()).records == 2
    assert not M.validate(SHAPES["ndjson"][0].encode()).notes


def test_the_workers_split_and_send_tell_the_same_format(tmp_path: Path) -> None:
    doc = tmp_path / "d.json"
    doc.write_bytes(SHAPES["pretty-printed array"][0].encode())
    lines = tmp_path / "n.ndjson"
    lines.write_bytes(SHAPES["ndjson"][0].encode())
    obj = tmp_path / "o.json"
    obj.write_bytes(SHAPES["one object spread over lines"][0].encode())
    options = MapOptions()
    assert not splittable(obj, options) and not splittable(obj.read_bytes(), options)
    assert splittable(lines, options) and splittable(memoryview(lines.read_bytes()), options)
    # send reads the object spread over lines as one record (it was two lines, each refused)
    items = [item for group in read_records([str(obj)], "auto", Resume()) for item in group]
    assert len(items) == 1 and items[0][2] is None and json.loads(items[0][0] or b"")["t"] == 2
