"""``map_dataframe`` on a streaming DataFrame (mapper.spark): ``_position`` restarts in each
micro-batch (it is the partition and the row's place in it, and each batch's partitions are
numbered from 0), so a streaming DataFrame's output has ``_batch``, the micro-batch's id,
before it: ``(_batch, _position)`` is unique across the stream.

A bounded run (``availableNow``, one file a batch) over two files; the session is test_spark's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mapper import spark as ms
from mapper.errors import OptionError
from tests import test_spark
from tests.test_spark_inputs import SINK

spark = test_spark.spark  # the session fixture: one SparkSession (one JVM) for this module and test_spark's


def test_a_streaming_dataframe_numbers_its_micro_batches(spark: Any, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "1.ndjson").write_text('{"id": 1}\n{"id": "x"}\n')
    (source / "2.ndjson").write_text('{"id": 2}\n{"id": "y"}\n')
    assert "_batch" not in ms.map_dataframe(spark.read.text(str(source)), SINK).rows.columns  # (a batch DataFrame: no micro-batches)
    out = ms.map_dataframe(spark.readStream.option("maxFilesPerTrigger", 1).text(str(source)), SINK)
    assert out.rows.columns[:2] == ["_batch", "_position"]
    assert out.mapped.columns[:2] == out.refused.columns[:2] == ["_batch", "_position"]
    name = "mapper_streaming_test"
    query = out.rows.writeStream.format("memory").queryName(name).trigger(availableNow=True).option("checkpointLocation", str(tmp_path / "ck")).start()
    try:
        assert query.awaitTermination(120), "the bounded streaming run did not end in 120 s"
    finally:
        query.stop()
    rows = spark.table(name).collect()
    spark.catalog.dropTempView(name)
    by_batch: dict[int, list[tuple[int, int | None]]] = {}
    for r in rows:
        by_batch.setdefault(r["_batch"], []).append((r["_position"], None if r["_errors"] is None else len(r["_errors"])))
    assert sorted(by_batch) == [0, 1]  # one file a batch
    assert [sorted(p for p, _ in v) for v in by_batch.values()] == [[0, 1], [0, 1]]  # _position alone repeats
    assert len({(r["_batch"], r["_position"]) for r in rows}) == 4
    assert sorted(e for v in by_batch.values() for _, e in v if e) == [1, 1]  # each batch's bad id refused


def test_a_streaming_input_column_named_batch_is_refused(spark: Any, tmp_path: Path) -> None:
    """``_batch`` is a column mapper adds to a stream's output: an input column of that name would clash."""
    from pyspark.sql import functions as F

    stream = spark.readStream.text(str(tmp_path)).withColumn("_Batch", F.lit(1))
    with pytest.raises(OptionError, match="_batch"):
        ms.map_dataframe(stream, SINK)
    assert "_batch" in ms.map_dataframe(spark.read.text(str(tmp_path)).withColumn("_batch", F.lit(1)), SINK).rows.columns  # (not a stream: it rides along)
