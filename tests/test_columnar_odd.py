"""Odd batches through the conversions and writers: a value at the edge of its storage, empty
sets, no rows, no columns (found by a bug hunt; each kept as it was found)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_schema, schema

import mapper
from mapper.errors import OutputError
from mapper.writers import open_writer
from tests.test_columnar import _importable

#: a recordTime's least instant: -2**63 ns, pandas' NaT
_LEAST_NS = "1677-09-21T00:12:43.145224192Z"

_RT_SINK = schema(column("rid", "string", path=["id"]), column("rt", "recordTime"), primary_key_fields=["rid"])


def test_to_pandas_refuses_a_time_pandas_would_read_as_a_null() -> None:
    # to_pandas gave NaT for the stored -2**63 ns: the row read as a clear of the stored value
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    batch = mapper.compile_sink(_RT_SINK).map([{"id": "a", "rt": "2022-08-08T00:00:00Z"}, {"id": "b", "rt": _LEAST_NS}])
    assert batch.to_rows()[1] == {"_id": "b", "rt": _LEAST_NS}  # (mapping stores it)
    with pytest.raises(OutputError) as caught:
        batch.to_pandas()
    assert str(caught.value) == (
        f"column 'rt' cannot be a pandas column: row 1 (counting from 0) holds {_LEAST_NS}, "
        "the least 64-bit count of its unit, which pandas reads as NaT (a null); to_arrow and to_polars keep it"
    )
    assert batch.to_arrow().column("rt").null_count == 0
    if _importable("polars"):
        assert batch.to_polars()["rt"].null_count() == 0
    fine = mapper.compile_sink(_RT_SINK).map([{"id": "a", "rt": "1677-09-21T00:12:43.145224193Z"}])  # (one ns later: pandas' least time)
    assert fine.to_pandas()["rt"].astype("int64").tolist() == [-(2**63) + 1]


def _write_read(batch: mapper.Batch, path: Path) -> mapper.Batch:
    w = open_writer(str(path))
    w.write(batch)
    w.close()
    return mapper.read_batch(path)


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_odd_batches_come_back_as_written(tmp_path: Path, ext: str) -> None:
    if ext != "npz":
        pytest.importorskip("pyarrow")
    from tests.test_properties import FULL_SINK

    m = mapper.compile_sink(FULL_SINK)
    only_id = mapper.compile_sink(id_schema())
    batches: dict[str, Any] = {
        "no rows": m.map([]),
        "empty sets": m.map([{"id": "a", "e": {"ss": [], "ii": []}}, {"id": "b", "e": {"ss": ["x"]}}]),
        "all missing": m.map([{"id": "a"}, {"id": "b"}]),
        "no columns": only_id.map([{"id": 2**64 - 1}, {"id": 0}]),
        "no columns, no rows": only_id.map([]),
        "least ns": mapper.compile_sink(_RT_SINK).map([{"id": "b", "rt": _LEAST_NS}]),
    }
    for what, batch in batches.items():
        back = _write_read(batch, tmp_path / f"{what}.{ext}")
        assert back.to_rows() == batch.to_rows(), what
        assert back.ids.tolist() == batch.ids.tolist(), what


def _dictionary_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    group = pq.ParquetFile(path).metadata.row_group(0)
    return [group.column(i).path_in_schema for i in range(group.num_columns) if group.column(i).has_dictionary_page]


def test_a_parquet_file_whose_first_part_has_no_rows_chooses_its_dictionaries_from_the_rows(tmp_path: Path) -> None:
    # the dictionaries were chosen from the first part's rows: none (a first chunk whose records
    # all failed) gave every column one, the ids and times too (the seed's 200,000 records: 13.3 MB, not 10.8)
    pytest.importorskip("pyarrow")
    m = mapper.compile_sink(_RT_SINK)
    rows = m.map([{"id": f"r{i}", "rt": f"2022-08-08T00:00:0{i % 2}Z"} for i in range(40)])  # (ids all distinct, two times)
    alone, after_empty, only_empty = tmp_path / "alone.parquet", tmp_path / "after.parquet", tmp_path / "empty.parquet"
    for path, parts in ((alone, [rows]), (after_empty, [m.map(b""), rows, m.map(b"")]), (only_empty, [m.map(b""), m.map(b"")])):
        w = open_writer(str(path))
        for part in parts:
            w.write(part)
        w.close()
    assert _dictionary_columns(after_empty) == _dictionary_columns(alone) == ["rt"]
    assert mapper.read_batch(after_empty).to_rows() == rows.to_rows()
    back = mapper.read_batch(only_empty)
    assert back.count == 0 and list(back.columns) == ["rt"]


_DISCARDED_SINK = schema(column("k", "string"), column("n", "int"), column("t", "strings"), primary_key_fields=["k"], allow_missing=False)


def test_a_batch_the_endpoint_discards_finishes_no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # every column was finished (each set made flat, its strings an array) and then thrown away:
    # 10-20% of a discarded run's time
    from mapper.batch import ColumnBuilder

    finished: list[int] = []
    real = ColumnBuilder.finish

    def counting(self: ColumnBuilder, end: int) -> Any:
        finished.append(end)
        return real(self, end)

    monkeypatch.setattr(ColumnBuilder, "finish", counting)
    m = mapper.compile_sink(_DISCARDED_SINK)
    records = [{"k": "a", "n": 1, "t": ["x", "y"]}, {"k": "b", "t": ["z"]}]  # b lacks n: the batch is discarded
    with pytest.raises(mapper.BatchRejected) as caught:
        m.map(records)
    assert caught.value.report.reject_reason == "allow_missing_fields is false and 1 mapped value is missing"
    assert [e for e in finished if e] == []
    # a batch of iter_batches that is discarded is one of no rows, every column there
    (part,) = m.iter_batches(records)
    assert len(part) == 0 and list(part.columns) == ["n", "t"] and part.to_rows() == [] and not part.report.accepted
    assert m.map(records[:1]).to_rows() == [{"_id": "a", "n": 1, "t": ["x", "y"]}]  # (an accepted one is finished)
    assert [e for e in finished if e] == [1, 1, 1]


def test_a_batch_of_no_rows_keeps_string_ids_held_as_utf8_undecoded(monkeypatch: pytest.MonkeyPatch) -> None:
    # assemble(rows=False) took plain(ids)[:0]: every id held as UTF-8 decoded, to keep none
    import numpy as np

    import mapper.batch
    from mapper.batch import Strings, assemble
    from mapper.report import Report

    def refuse(*args: Any) -> Any:
        raise AssertionError("the ids were decoded")

    monkeypatch.setattr(mapper.batch, "utf8_to_objects", refuse)
    m = mapper.compile_sink(_DISCARDED_SINK)
    stored = [(c.name, m.compiled.ctypes[c.index]) for c in m.compiled.stored]
    ids = Strings.from_utf8(np.frombuffer(b"abc", np.uint8), np.array([0, 1, 2, 3]))
    batch = assemble(m.sink, stored, {}, ids, Report(records=3), rows=False)
    assert len(batch) == 0 and len(batch.id_values) == 0 and batch.to_rows() == []
    assert batch.ids.dtype == object and list(batch.columns) == ["n", "t"]
