"""Small input-reader fixes: a records path through a key of invalid UTF-8, a numpy ``memmap``
of bytes given as the records, and the header-and-rows note on lines that are no header."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mapper

SINK = {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "int"}]}


def test_a_records_path_through_a_key_of_invalid_utf8_finds_the_records_as_go_reads_the_key() -> None:
    # Go's decoder reads the byte 0xff in a key as U+FFFD, as a record's own keys are read:
    # the path said `no_records: no key a\ufffd`
    m = mapper.compile_sink(SINK)
    data = b'{"a\xff": [{"id": 1}, {"id": 2}]}'
    report = m.validate(data, records_path=["a\ufffd"])
    assert report.records == 2 and not report.failed_records and not report.errors, report
    assert [r["id"] for r in m.map(data, records_path=["a\ufffd"]).to_rows()] == [1, 2]
    nested = b'{"x": {"b\xfe\xff": {"a\xff": [{"id": 3}]}}}'
    assert [r["id"] for r in m.map(nested, records_path=["x", "b\ufffd\ufffd", "a\ufffd"]).to_rows()] == [3]


def test_a_memmap_of_bytes_is_read_as_the_bytes_it_holds(tmp_path: Path) -> None:
    # np.memmap (an ndarray subclass) was iterated, each byte a record refused not_an_object
    m = mapper.compile_sink(SINK)
    path = tmp_path / "in.ndjson"
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n')
    for dtype in (np.uint8, np.int8):
        mm = np.memmap(path, dtype=dtype, mode="r")
        assert [r["id"] for r in m.map(mm).to_rows()] == [1, 2], dtype
        report = m.validate(mm)
        assert report.records == 2 and not report.failed_records, report
        del mm


def test_lines_of_pairs_of_strings_are_not_called_a_header_and_its_rows() -> None:
    m = mapper.compile_sink(SINK)
    pairs = b'["tag","value"]\n["color","red"]\n["size","large"]\n'
    assert not any("header" in n for n in m.validate(pairs).notes)
    # a header and rows holding numbers (amazon's) is still noted
    rows = b'["asin","brand","rating"]\n["B01","Nokia",3]\n["B02","Motorola",2.9]\n'
    assert any("a header and its rows" in n for n in m.validate(rows).notes)
