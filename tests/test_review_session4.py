"""Review of the changes merged since 03b5d7f (Batch slicing, check(dict), char positions
counted from the line start, null records arrays, owners of temporary outputs)."""

from __future__ import annotations

from typing import Any

import pytest
from sinks import column, id_sink

import mapper
from mapper.engine import reader

SINK: dict[str, Any] = id_sink(column("a", "int"), column("s", "string"), database_id="0b7c3a52-2f4e-4a8e-9c61-5d0e8f1a2b3c")
M = mapper.compile_sink(SINK)


# --- a document's records' places are found once per document, not once per record


def _bad_byte_document(n: int) -> bytes:
    """A document on one line whose ``n`` records each hold an invalid UTF-8 byte (each a warning
    naming its char, found from the line's start)."""
    return b'{"aircraft":[' + b",".join(b'{"id":%d,"a":1,"s":"\xff\xc3\xa9"}' % i for i in range(n)) + b"]}"


@pytest.mark.parametrize("lines", [1, 2])
def test_a_documents_records_places_are_found_once_not_once_per_record(monkeypatch: pytest.MonkeyPatch, lines: int) -> None:
    # each record's char was found by reading its document again (once per unit of 512 records)
    # and counting its characters from the line's start (a LineChars per record): 20,000 such
    # records on one line took 29 s to validate (0.15 s before the char fix), quadratic
    found, counted = [], []
    record_offsets, before = reader._record_offsets, reader.LineChars.before
    monkeypatch.setattr(reader, "_record_offsets", lambda doc, path: found.append(1) or record_offsets(doc, path))

    def counting(self: reader.LineChars, offset: int) -> int:
        counted.append(len(self.data[max(self._at, 0) if self._at <= offset else 0 : offset]))
        return before(self, offset)

    monkeypatch.setattr(reader.LineChars, "before", counting)
    n = 1500  # (3 units of 512 records a document)
    doc = _bad_byte_document(n)
    report = M.validate(b"\n".join([doc] * lines) + b"\n", records_path="aircraft")
    assert report.error_count == 0 and len(report.warnings) == min(1000, n * lines)
    # where the records are (and the place of a record a third of the way in) as before
    w = report.warnings[600]
    at = -1
    for _ in range(601):
        at = doc.index(b"\xff", at + 1)
    assert w.record == 600 and w.sent == f"byte 0xff at char {len(doc[:at].decode('utf-8', 'replace')) + 1}"
    assert len(found) <= lines  # each document read again once
    assert sum(counted) <= 2 * len(doc) * lines  # its characters counted once along the line, not from its start each time


# --- a lone object's char counts what stands before it on its line


@pytest.mark.parametrize(
    ("data", "kw", "line", "char"),
    [
        (b'   {"id":0,"s":"\xff"\n}', {}, 1, 17),  # one object over lines, indented: the input is that one record
        (b'\xef\xbb\xbf  {"id":0,"s":"\xff"\n}', {}, 1, 16),  # (the byte order mark is the file's, not counted)
        (b'\n \n  {"id":0,"s":"\xff"\n}', {}, 3, 16),
        (b'  {"id":0,"s":"\xff"}', {"input_format": "json"}, 1, 16),
    ],
)
def test_a_lone_objects_char_counts_from_its_lines_start(data: bytes, kw: dict[str, Any], line: int, char: int) -> None:
    # the spaces before it were left out (char 14 each time): the README says a char counts from
    # the start of the line the record stands on, as an editor shows it
    report = M.validate(data, **kw)
    assert report.error_count == 0
    assert [(w.line, w.sent) for w in report.warnings] == [(line, f"byte 0xff at char {char}")]


# --- tags given as a set are paired with the records in no order


def test_add_many_refuses_tags_given_as_a_set() -> None:
    # records as a set are refused (no order); tags as a set were paired with the records in the
    # set's order, each record's body item tagged with another record's tag, without a word
    batcher = mapper.Batcher(SINK)
    with pytest.raises(mapper.InputError, match="tags .*set.*list"):
        batcher.add_many([{"id": 1}, {"id": 2}], tags={"order-7", "order-9"})
    assert batcher.added == 0
    verdicts = batcher.add_many([{"id": 1}, {"id": 2}], tags=["order-7", "order-9"])  # (a list: in order)
    assert [v.accepted for v in verdicts] == [True, True]
