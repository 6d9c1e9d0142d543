"""An ``_id`` written by another tool reads back: pandas, polars and Parquet writers without
unsigned types write an ``id_field`` sink's uint64 ids as int64, Spark as decimal(20, 0).
Values that are not uint64 ids are refused naming the column, the row and the dtype wanted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sinks import column, schema

import mapper
from mapper.errors import InputError
from mapper.writers import write_npz

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SINK = schema(column("k", "id"), column("i", "int"), id_field="k")


@pytest.fixture(scope="module")
def batch() -> mapper.Batch:
    return mapper.compile_sink(SINK).map([{"k": 1, "i": 2}, {"k": 5, "i": 3}])


def _parquet_with_id(batch: mapper.Batch, path: Path, ids: object) -> Path:
    t = batch.to_arrow()
    pq.write_table(t.set_column(t.column_names.index("_id"), "_id", ids), path)
    return path


@pytest.mark.parametrize("ids", [pa.array([1, 5], pa.int64()), pa.array([1, 5], pa.int32()), pa.array([Decimal(1), Decimal(5)], pa.decimal128(20, 0))])
def test_parquet_id_of_another_type_reads_back(batch: mapper.Batch, tmp_path: Path, ids: object) -> None:
    back = mapper.read_batch(_parquet_with_id(batch, tmp_path / "x.parquet", ids))
    assert back.ids.dtype == np.uint64
    assert back.ids.tolist() == [1, 5]
    assert back.to_rows() == batch.to_rows()


def test_spark_decimal_id_past_int64_reads_back(batch: mapper.Batch, tmp_path: Path) -> None:
    big = 2**64 - 1
    back = mapper.read_batch(_parquet_with_id(batch, tmp_path / "x.parquet", pa.array([Decimal(1), Decimal(big)], pa.decimal128(20, 0))))
    assert back.ids.tolist() == [1, big]


def test_npz_int64_id_reads_back(batch: mapper.Batch, tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    write_npz(batch, path)
    with np.load(path) as z:
        arrays = dict(z)
    arrays["_id"] = arrays["_id"].astype(np.int64)
    np.savez(path, **arrays)
    assert mapper.read_batch(path).ids.tolist() == [1, 5]


def test_negative_int64_id_is_refused_naming_column_row_and_dtype(batch: mapper.Batch, tmp_path: Path) -> None:
    path = _parquet_with_id(batch, tmp_path / "x.parquet", pa.array([1, -5], pa.int64()))
    with pytest.raises(InputError, match=r"its _id holds -5 in row 1 \(counting from 0\): the ids of its sink are uint64, never negative"):
        mapper.read_batch(path)


def test_fractional_decimal_id_is_refused_naming_the_dtype(batch: mapper.Batch, tmp_path: Path) -> None:
    path = _parquet_with_id(batch, tmp_path / "x.parquet", pa.array([Decimal("1.5"), Decimal(5)], pa.decimal128(20, 1)))
    with pytest.raises(InputError, match=r"its _id holds decimal128\(20, 1\), not the uint64 ids of its sink.*row 0"):
        mapper.read_batch(path)


@pytest.mark.parametrize(("ids", "held"), [(pa.array(["1", "5"]), "string"), (pa.array([1.0, 5.0]), "float64")])
def test_text_or_float_id_is_still_refused_naming_what_it_holds(batch: mapper.Batch, tmp_path: Path, ids: object, held: str) -> None:
    # integers and Spark's decimal(20, 0) are uint64 ids written by a tool without that type; text is
    # a string-keyed sink's file, and a float64 id past 2**53 was rounded where it was written:
    # neither is read as ids (an .npz's _id of either is refused alike)
    path = _parquet_with_id(batch, tmp_path / "x.parquet", ids)
    with pytest.raises(InputError, match=rf"its _id holds {held} values, not the uint64 ids of its sink"):
        mapper.read_batch(path)
