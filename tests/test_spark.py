"""``mapper.spark`` (issue 17): the rows Spark maps equal ``mapper map``'s, errors included.

One SparkSession serves the whole test session: ``local[2]``, two shuffle partitions, no
UI, bound to 127.0.0.1, and Arrow batches of 500 rows, so a partition spans several
batches and a worker maps many. The Spark tests skip, saying why, only when pyspark (the
``spark`` extra) or Java is absent; ``.ci/run`` installs the extra so they run in CI.

Each comparison maps the same cells twice: with Spark (:func:`mapper.spark.map_dataframe`)
and with :meth:`mapper.Mapper.map` (``on_error="skip"``) on the NDJSON they make. Both
sides are brought to the stored values (decimals as exact ``Decimal``, timestamps as
microseconds since 1970, ids as integers) and compared row by row and error by error.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from mapper.report import location_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SINK = ROOT / "examples" / "aircraft" / "sink.json"
EXAMPLE_RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def _needs_pyspark() -> None:
    """For a test without the session that still runs mapper.spark's pyspark code: skipped, saying
    why, without the spark extra (failed in .ci/run, MAPPER_REQUIRE_EXTRAS=1, which installs it)."""
    if os.environ.get("MAPPER_REQUIRE_EXTRAS") != "1":
        pytest.importorskip("pyspark", reason="pyspark is not installed: this test needs the spark extra (pip install -e '.[spark]')")


def _shared_data() -> Path:
    """``../shared/data`` next to the checkout, or next to the folder of worktrees holding it."""
    if os.environ.get("MAPPER_SHARED_DATA"):
        return Path(os.environ["MAPPER_SHARED_DATA"])
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


DATA = _shared_data()

if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import gen  # noqa: E402

UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark() -> Any:
    for module in ("pyspark", "pyarrow", "pandas"):
        pytest.importorskip(module, reason=f"{module} is not installed: the Spark tests need the spark extra (pip install -e '.[spark]')")
    if _java() is None:
        pytest.skip("Java is not installed: pyspark needs a JVM (Java 17), on the PATH or in JAVA_HOME")
    from pyspark.sql import SparkSession

    env = pytest.MonkeyPatch()
    env.setenv("PYSPARK_PYTHON", sys.executable)  # the workers import this checkout's mapper (pyspark reads the variable, not a conf)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("mapper tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
        .config("spark.log.level", "ERROR")
        # the JVM's quick compiler only: a test session's queries are short, and the optimising
        # compiler's threads took CPU the other test processes wanted (this file's JVM 80.6 s ->
        # 51.7-57.9 s of CPU, the file's time the same, 2026-12-06); what Spark computes is the same
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    env.undo()


@pytest.fixture(autouse=True)
def small_engine_calls(monkeypatch: Any) -> None:
    """Workers map 700 rows or 120 KB at a time here (50,000 rows or 64 MB in use): a partition takes several engine calls.

    Seed records (500 a batch, about 167 KB) reach the byte limit first, one-line records
    the row limit.
    """
    import mapper.spark

    monkeypatch.setattr(mapper.spark, "MAP_ROWS", 700)
    monkeypatch.setattr(mapper.spark, "MAP_BYTES", 120_000)


# ---------------------------------------------------------------------------------------
# The two sides, as stored values


def frame(spark: Any, cells: list[Any], binary: bool = False) -> Any:
    """The cells as a DataFrame ``(line, value)`` over two partitions."""
    return spark.createDataFrame(list(enumerate(cells)), f"line long, value {'binary' if binary else 'string'}")


def spark_side(result: Any, key: str = "line") -> tuple[dict[int, dict[str, Any]], dict[int, list[tuple[Any, ...]]]]:
    """Spark's rows by ``key``: the mapped columns, and the errors of the refused rows."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = []
    for field in result.rows.schema.fields:
        c = F.col(f"`{field.name}`")
        cols.append(F.unix_micros(c).alias(field.name) if isinstance(field.dataType, T.TimestampType) else c)
    mapped: dict[int, dict[str, Any]] = {}
    refused: dict[int, list[tuple[Any, ...]]] = {}
    for row in result.rows.select(*cols).collect():
        d = row.asDict(recursive=True)
        k = d[key]
        if d["_errors"] is None:
            assert d["_raw"] is None
            mapped[k] = {name: d[name] for name in result.columns}
        else:
            assert all(d[name] is None for name in result.columns)
            refused[k] = [(e["code"], e["column"], e["path"], e["pointer"], e["message"]) for e in d["_errors"]]
    return mapped, refused


def expected_value(col: Any, i: int) -> Any:
    """Row ``i`` of a mapper column as Spark holds it (None for null and missing alike)."""
    if not col.valid[i]:
        return None
    if col.offsets is not None:
        return col.values[col.offsets[i] : col.offsets[i + 1]].tolist()
    v = col.values[i].item() if hasattr(col.values[i], "item") else col.values[i]
    if col.type == "decimal":
        return Decimal(v).scaleb(-(col.scale or 0))
    if col.type in ("timestamp", "recordTime"):
        return v * UNIT_NS[col.unit] // 1000  # microseconds, floored
    return v


def mapper_side(sink: Any, data: bytes, **options: Any) -> tuple[dict[int, dict[str, Any]], dict[int, list[tuple[Any, ...]]]]:
    """``Mapper.map(data, on_error="skip")`` as rows by record index, and the refused records' errors."""
    batch = mapper.compile_sink(sink).map(data, on_error="skip", **options)
    ids = batch.ids.tolist()
    mapped: dict[int, dict[str, Any]] = {}
    for k, rec in enumerate(batch.record_index.tolist()):
        row: dict[str, Any] = {"_id": ids[k]}
        for name, col in batch.columns.items():
            row[name] = expected_value(col, k)
            if col.type in ("timestamp", "recordTime") and col.unit == "ns":
                row[name + "__ns"] = col.values[k].item() if col.valid[k] else None
        row["_missing"] = [name for name, col in batch.columns.items() if not col.present[k]]
        mapped[rec] = row
    refused = {
        r.record: [(e.code, e.column, e.path, e.pointer, e.reason + location_text(e.path, None, None, e.column)) for e in r.errors]
        for r in batch.report.rejected
    }
    assert len(mapped) + len(refused) == batch.report.records
    return mapped, refused


def assert_same(spark: Any, sink: Any, lines: list[bytes], **options: Any) -> tuple[int, int]:
    """Spark's rows and errors equal mapper's on the same lines; returns (mapped, refused)."""
    from mapper.spark import map_dataframe

    result = map_dataframe(frame(spark, [ln.decode("utf-8") for ln in lines]), sink, **options)
    got = spark_side(result)
    allow = options.pop("allow_missing_fields", None)
    loaded = mapper.load_sink(sink)
    if allow is not None:
        loaded = replace(loaded, allow_missing_fields=allow)
    want = mapper_side(loaded, b"\n".join(lines) + b"\n", **options)
    assert set(got[0]) == set(want[0])
    assert set(got[1]) == set(want[1])
    for k in want[0]:
        assert got[0][k] == want[0][k], k
    for k in want[1]:
        assert got[1][k] == want[1][k], k
    assert len(got[0]) + len(got[1]) == len(lines)  # nothing lost
    return len(got[0]), len(got[1])


def lines_of(data: bytes) -> list[bytes]:
    return [ln for ln in data.split(b"\n") if ln.strip()]


# ---------------------------------------------------------------------------------------
# The seed data, the bad-lines batch, the corpora


def test_aircraft_example_from_a_text_file(spark: Any) -> None:
    from mapper.spark import map_dataframe

    df = spark.read.text(str(EXAMPLE_RECORDS))
    assert df.rdd.getNumPartitions() == 1  # one partition: _position is the line index
    got = spark_side(map_dataframe(df, str(EXAMPLE_SINK)), key="_position")
    assert got == mapper_side(str(EXAMPLE_SINK), EXAMPLE_RECORDS.read_bytes())
    assert len(got[0]) == 3 and not got[1]


@pytest.mark.parametrize("variant", ["clean", "bad"])
def test_seed_records(spark: Any, variant: str) -> None:
    mapped, refused = assert_same(spark, gen.SINK, lines_of(gen.generate(3000, variant)))
    if variant == "bad":
        assert refused > 0 and mapped + refused == 3000
    else:
        assert refused == 0


def test_bad_lines_batch_with_broken_json(spark: Any) -> None:
    lines = lines_of(gen.generate(1500, "bad"))
    lines[7] = b'{"id": "x", "timestamp": 1659981468260, "data": {'  # truncated
    lines[100] = b"[1, 2, 3]"  # not an object
    lines[101] = b'"just a string"'
    lines[900] = b'{"id": "PD2tRswoE3:9:9", "timestamp": "soon", "data": {}}'
    mapped, refused = assert_same(spark, gen.SINK, lines)
    assert refused >= 4


def test_strict_refuses_lossy_values(spark: Any) -> None:
    lines = lines_of(gen.generate(600))
    _mapped, refused = assert_same(spark, gen.SINK, lines, strict=True)
    assert refused > 0  # lat/long floats whose float arithmetic changes the 4th decimal


@pytest.mark.parametrize("allow", [True, False])
def test_allow_missing_fields_is_per_record(spark: Any, allow: bool) -> None:
    lines = lines_of(gen.generate(800, "bad"))
    mapped, refused = assert_same(spark, gen.SINK, lines, allow_missing_fields=allow)
    assert mapped + refused == 800
    if not allow:
        from mapper.spark import map_dataframe

        result = map_dataframe(frame(spark, [ln.decode() for ln in lines]), gen.SINK, allow_missing_fields=False)
        codes = {e["code"] for r in result.refused.collect() for e in r["_errors"]}
        assert "missing" in codes  # refused alone: the other records of the batch are mapped


CORPORA = [
    ("json-corpora/twitter-statuses.ndjson", {}),
    ("json-corpora/github_events.ndjson", {}),
    ("json-corpora/amazon_cellphones.objects.ndjson", {}),
    ("adsb/aircraft.ndjson", {}),
    ("adsb/aircraft-dump1090mqtt-2026-07-29.ndjson", {"primary_key_fields": ["hex"]}),
]


@pytest.mark.parametrize("rel, options", CORPORA, ids=[c[0] for c in CORPORA])
def test_shared_corpora(spark: Any, rel: str, options: dict[str, Any]) -> None:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    sink = mapper.infer(str(path), **options).body
    lines = lines_of(path.read_bytes())
    mapped, refused = assert_same(spark, sink, lines)
    assert mapped > 0


def test_a_document_exploded_as_docs_spark_md_says_maps_as_records_path_does(spark: Any) -> None:
    """docs/spark.md's recipe for a cell holding its records (map_dataframe has no records_path)."""
    from pyspark.sql import functions as F

    from mapper.spark import map_dataframe

    path = DATA / "adsb" / "aircraft-piaware-2023-01-15.json"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    sink = mapper.infer(str(DATA / "adsb" / "aircraft.ndjson")).body
    df = spark.createDataFrame([(path.read_text(),)], "value string")
    records = df.select(F.posexplode(F.from_json("value", "struct<aircraft: array<string>>")["aircraft"]).alias("record", "value"))
    got = spark_side(map_dataframe(records, sink), key="record")
    batch = mapper.compile_sink(sink).map(path.read_bytes(), on_error="skip", records_path="aircraft")
    assert sorted(got[0]) == batch.record_index.tolist() and len(got[0]) == 108
    assert {k: [e[:2] for e in v] for k, v in got[1].items()} == {r.record: [(e.code, e.column) for e in r.errors] for r in batch.report.rejected}
    assert {k: row["_id"] for k, row in got[0].items()} == dict(zip(batch.record_index.tolist(), batch.ids.tolist()))
    assert got[0] == mapper_side(sink, path.read_bytes(), records_path="aircraft")[0]  # every stored value


# ---------------------------------------------------------------------------------------
# Cells that are not plain lines, and the Spark types

EDGE_SINK = sinks.id_schema(
    sinks.column("s", "string"),
    sinks.column("tags", "strings"),
    sinks.column("refs", "ids"),
    sinks.column("ref", "id"),
    sinks.column("price", "decimal", Scale=2),
    sinks.column("at", "timestamp", Unit="ns", Granularity="ns"),
    sinks.column("day", "timestamp", Unit="ms", Granularity="s"),
    sinks.column("rt", "recordTime"),
    sinks.column("on", "bool"),
    sinks.column("n", "int"),
    sinks.column("d", "dateInt"),
)


def test_many_small_records(spark: Any) -> None:
    lines = [b'{"id": %d, "n": %d, "tags": "a,b"}' % (i, i - 1500) for i in range(3000)]
    lines[1234] = b'{"id": 1234, "n": "x"}'
    assert assert_same(spark, EDGE_SINK, lines) == (2999, 1)


def test_spark_types(spark: Any) -> None:
    from pyspark.sql import types as T

    from mapper.spark import map_dataframe

    schema = {f.name: f.dataType for f in map_dataframe(frame(spark, ["{}"]), EDGE_SINK).rows.schema.fields}
    assert schema["_position"] == T.LongType()
    assert schema["_id"] == T.DecimalType(20, 0)  # unsigned 64-bit ids, never wrapped
    assert schema["ref"] == T.DecimalType(20, 0)
    assert schema["refs"] == T.ArrayType(T.DecimalType(20, 0), False)
    assert schema["tags"] == T.ArrayType(T.StringType(), False)
    assert schema["price"] == T.DecimalType(19, 2)
    assert schema["at"] == T.TimestampType() and schema["at__ns"] == T.LongType()
    assert schema["rt"] == T.TimestampType() and schema["rt__ns"] == T.LongType()
    assert schema["day"] == T.TimestampType() and "day__ns" not in schema
    assert schema["on"] == T.BooleanType() and schema["n"] == T.LongType() and schema["d"] == T.LongType()
    assert schema["_missing"] == T.ArrayType(T.StringType(), False)
    assert list(schema)[:3] == ["line", "_position", "_id"] and list(schema)[-2:] == ["_errors", "_raw"]


def test_edge_values_match_mapper(spark: Any) -> None:
    lines = [
        b'{"id": "18446744073709551615", "ref": "9223372036854775808", "refs": [1, "18446744073709551615"], "s": "x"}',
        b'{"id": 1, "at": -1, "rt": "1969-12-31T23:59:59.999999999Z", "day": 1659981468260, "price": "-12.34"}',
        b'{"id": 2, "at": 1659981468260123456, "on": true, "n": -5, "d": "2024-02-29", "tags": ["a", "b"]}',
        b'{"id": 3, "s": null, "n": null, "tags": ""}',  # (null into a set would be refused: the ingester cannot write it)
        b'{"id": 4, "s": "", "price": null, "on": "maybe"}',
        b'{"id": -1}',
        b'{"id": 5, "price": 99999999999999999999}',
        b'{"id": 6, "refs": [1, 18446744073709551615]}',  # a JSON number is a float64 at the endpoint: out of range
    ]
    mapped, refused = assert_same(spark, EDGE_SINK, lines)
    assert (mapped, refused) == (4, 4)
    from mapper.spark import map_dataframe

    rows = {r["line"]: r for r in map_dataframe(frame(spark, [ln.decode() for ln in lines]), EDGE_SINK).mapped.collect()}
    assert rows[0]["_id"] == Decimal(2**64 - 1) and rows[0]["ref"] == Decimal(2**63)  # not wrapped
    assert rows[1]["at__ns"] == -1  # and "at" is -1 microsecond: the floor (compared in assert_same)
    assert rows[2]["at__ns"] == 1659981468260123392  # as the endpoint stores it (float64 arithmetic), to the ns
    assert rows[3]["n"] is None and "n" not in rows[3]["_missing"]  # null into an int: sent as null (clears)
    assert rows[3]["s"] is None and "s" in rows[3]["_missing"]  # null into a non-mutex string writes nothing
    assert "tags" in rows[3]["_missing"] and rows[3]["tags"] is None  # "": no value sent
    assert "ref" in rows[3]["_missing"]  # missing
    # definition order; not "on": a table's BOOL column is cleared when its value is missing (a null is stored)
    assert rows[0]["_missing"] == ["tags", "price", "at", "day", "rt", "n", "d"] and rows[0]["on"] is None


def test_cells_that_are_not_plain_lines(spark: Any) -> None:
    from mapper.spark import map_dataframe

    cells = [
        '{"id": 1, "s": "a"}',
        None,  # a null cell
        "",  # empty
        "  \t ",  # blank
        '{"id": 2,\n "s": "over two lines"}',  # JSON over several lines (a Kafka message): one record
        '{"id": 3, "s": "a raw\nnewline in a string"}',  # invalid JSON: a control character in a string
        '\ufeff{"id": 4, "s": "after a BOM"}',
        '{"id": 5, "s": "\\u00e9t\\u00e9 \u00e9t\u00e9"}',
        "[1, 2]",
    ]
    result = map_dataframe(frame(spark, cells), EDGE_SINK)
    mapped, refused = spark_side(result)
    assert {k: v["s"] for k, v in mapped.items()} == {0: "a", 4: "over two lines", 6: "after a BOM", 7: "été été"}
    assert refused[1] == [("invalid_json", None, None, None, "Invalid JSON: the text is null: no record")]
    assert refused[2] == refused[3] == [("invalid_json", None, None, None, "Invalid JSON: the text is empty: no record")]
    assert [e[0] for e in refused[5]] == ["invalid_json"] and "char 22" in refused[5][0][4]
    assert refused[8][0][:3] == ("not_an_object", None, "$")
    raws = {r["line"]: r["_raw"] for r in result.refused.collect()}
    assert raws == {1: None, 2: "", 3: "  \t ", 5: cells[5], 8: "[1, 2]"}  # the text as it came
    assert len(mapped) + len(refused) == len(cells)


def test_binary_column_and_invalid_utf8(spark: Any) -> None:
    from mapper.spark import map_dataframe

    cells = [b'{"id": 1, "s": "ok"}', b'{"id": 2, "s": "\xff"}', b'\xef\xbb\xbf{"id": 3}']
    result = map_dataframe(frame(spark, cells, binary=True), EDGE_SINK)
    mapped, refused = spark_side(result)
    # Go's decoder reads invalid UTF-8 inside a string as U+FFFD (mapper warns utf8_replaced): stored, not refused
    assert sorted(mapped) == [0, 1, 2] and not refused
    assert mapped[1]["s"] == "\ufffd" and mapped[0]["s"] == "ok"
    assert result.refused.count() == 0


def test_position_is_monotonically_increasing_id(spark: Any) -> None:
    from pyspark.sql import functions as F

    from mapper.spark import map_dataframe

    lines = [ln.decode() for ln in lines_of(gen.generate(2000, "bad"))]
    df = frame(spark, lines).repartition(3).withColumn("mid", F.monotonically_increasing_id())
    result = map_dataframe(df, gen.SINK)
    rows = result.rows.select("line", "mid", "_position", "_errors").collect()
    assert len(rows) == 2000 and all(r["mid"] == r["_position"] for r in rows)
    assert len({r["_position"] for r in rows}) == 2000
    assert result.mapped.count() + result.refused.count() == 2000
    assert result.passthrough == ("line", "mid")


def test_compiled_once_per_worker_process(spark: Any) -> None:
    """Many batches over a reused Python worker: one compile per process and definition."""
    from mapper.spark import map_dataframe

    lines = [ln.decode() for ln in lines_of(gen.generate(4000))]
    assert map_dataframe(frame(spark, lines), gen.SINK).rows.count() == 4000  # 8+ batches per worker

    def probe(batches: Any) -> Any:
        import os

        import pyarrow as pa

        from mapper import spark as ms

        for _ in batches:
            pass
        yield pa.RecordBatch.from_arrays(
            [pa.array([os.getpid()]), pa.array([ms.STATS["compiled"]]), pa.array([len(ms._WORKERS)]), pa.array([ms.STATS["batches"]])],
            names=["pid", "compiled", "workers", "batches"],
        )

    stats = spark.range(0, 4, numPartitions=4).mapInArrow(probe, "pid long, compiled long, workers long, batches long").collect()
    assert stats
    for s in stats:
        assert s["compiled"] == s["workers"]  # each definition compiled once in that process
    assert max(s["batches"] - s["compiled"] for s in stats) > 0  # a process mapped more batches than it compiled sinks


def test_options_are_checked_before_any_job(spark: Any) -> None:
    from mapper.spark import map_dataframe

    df = spark.createDataFrame([(1, "{}")], "_id long, value string")
    with pytest.raises(mapper.OptionError, match="'_id' clashes"):
        map_dataframe(df, gen.SINK)
    with pytest.raises(mapper.OptionError, match="no column 'text'"):
        map_dataframe(df, gen.SINK, column="text")
    with pytest.raises(mapper.OptionError, match="bigint"):
        map_dataframe(df, gen.SINK, column="_id")
    for column in (None, 1, ["value"]):  # (an AttributeError or TypeError of its own before)
        with pytest.raises(mapper.OptionError, match="column must be"):
            map_dataframe(df.withColumnRenamed("_id", "k"), gen.SINK, column=column)  # type: ignore[arg-type]
    with pytest.raises(mapper.OptionError):
        map_dataframe(df.withColumnRenamed("_id", "k"), gen.SINK, allow_missing_fields="no")  # type: ignore[arg-type]
    with pytest.raises(mapper.DefinitionError):
        map_dataframe(df.withColumnRenamed("_id", "k"), {"definition": []})
    for size in (1023, True, "16M"):  # (as Mapper.map checks it)
        with pytest.raises(mapper.OptionError, match="max_record_size must be"):
            map_dataframe(df.withColumnRenamed("_id", "k"), gen.SINK, max_record_size=size)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# mapper spark-validate


def test_spark_validate_writes_parquet_and_ndjson(spark: Any, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    import pyarrow.parquet as pq

    import mapper.spark as ms
    from mapper import sink as sink_module
    from mapper.cli import main

    checks: list[Any] = []  # (the sink's definition is checked once in this process, the driver: the workers are others)
    check = sink_module._check_document
    monkeypatch.setattr(sink_module, "_check_document", lambda *args, **kw: checks.append(args[1]) or check(*args, **kw))
    monkeypatch.setattr(ms, "_WORKERS", {})

    data = gen.generate(2499, "bad")
    data += data.split(b"\n", 1)[0].replace(b", ", b",\r", 1) + b"\n"  # a bare CR is JSON whitespace, not a line end
    records = tmp_path / "records.ndjson"
    records.write_bytes(data)
    # a second file in the same job: refused lines whose errors have null fields, a CR before
    # the LF (part of the line terminator: not in raw, as --rejects leaves it out; any other CR
    # stays) and invalid UTF-8 (its bytes in raw_base64, as --rejects writes them)
    odd = tmp_path / "odd.ndjson"
    # (and blank lines: no record, skipped as validate skips them)
    odd.write_bytes(b'[1, 2]\r\n\n \t\r\n{"id": "\xff\r\n{"id": "\xfe\nbad\rx\r\nbad4\r\r\n\rbad5\r\nbad3\r')
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(gen.SINK))
    out = tmp_path / "out"
    code = main(["spark-validate", str(sink), str(records), str(odd), "-o", str(out), "-q"])
    printed = capsys.readouterr().out
    assert len(checks) == 1
    want = mapper.compile_sink(gen.SINK).map(data, on_error="skip")
    refused = len(want.report.rejected)
    assert code == 1 and refused > 0
    # (blank lines were refused records: a clean file with one exited 1)
    assert f"input:   {2507:,} records in 2 paths (2 blank lines skipped, as mapper validate skips them)" in printed
    assert f"mapped + refused = input: {want.count:,} + {refused + 7:,} = 2,507" in printed
    # (validate says DISCARDED for the same records: the policy applied per record is said)
    assert printed.endswith(
        "note: allow_missing_fields is false: the endpoint discards a whole request body holding a record refused as missing; "
        "here each is refused alone and the others are mapped (docs/spark.md: The batch policy, per record)\n"
    )
    table = pq.read_table(out / "mapped")
    assert table.num_rows == want.count
    assert sorted(table.column("_id").to_pylist()) == sorted(want.ids.tolist())
    assert "file" not in table.column_names and "_errors" not in table.column_names
    lines = [json.loads(ln) for f in sorted((out / "refused").glob("part-*")) for ln in f.read_text().splitlines() if ln]
    assert len(lines) == refused + 7
    raw_by_text = {r.raw.decode(): r for r in want.report.rejected}
    for line in lines:
        assert set(line) == {"file", "record", "line", "position", "errors", "raw" if "raw" in line else "raw_base64"}
        assert all(list(e) == ["code", "column", "path", "pointer", "message"] for e in line["errors"])  # null fields written too
        if line["file"].endswith("odd.ndjson"):
            continue
        assert line["file"].endswith("records.ndjson")
        rejected = raw_by_text[line["raw"]]
        assert [e["code"] for e in line["errors"]] == [e.code for e in rejected.errors]
    odd_lines = {ln.get("raw") or base64.b64decode(ln["raw_base64"]): ln["errors"][0] for ln in lines if ln["file"].endswith("odd.ndjson")}
    assert set(odd_lines) == {"[1, 2]", b'{"id": "\xff', b'{"id": "\xfe', "bad\rx", "bad4\r", "\rbad5", "bad3"}
    assert odd_lines["[1, 2]"]["code"] == "not_an_object" and odd_lines["[1, 2]"]["column"] is None
    assert odd_lines[b'{"id": "\xff']["code"] == "invalid_json" and odd_lines[b'{"id": "\xff']["pointer"] is None
    # the same raw text and errors as mapper validate --rejects writes for the same lines
    assert main(["validate", str(sink), str(odd), "--rejects", str(tmp_path / "rejects.ndjson"), "-q"]) == 1
    capsys.readouterr()

    def seen(line: dict[str, Any]) -> tuple[Any, ...]:
        # (validate's message ends with the record and line number, which Spark does not know: see position)
        return (
            line.get("raw"),
            line.get("raw_base64"),
            [(e["code"], e["column"], e["path"], e["pointer"], re.sub(r" \(record \d+, line \d+\)$", "", e["message"])) for e in line["errors"]],
        )

    rejects = [json.loads(ln) for ln in (tmp_path / "rejects.ndjson").read_text().splitlines()]
    assert sorted(map(seen, rejects), key=repr) == sorted((seen(ln) for ln in lines if ln["file"].endswith("odd.ndjson")), key=repr)
    assert sorted(p.name for p in out.iterdir()) == ["mapped", "refused"]  # the staging directory is gone
    # the output exists now: without --overwrite the run refuses before any job, with a message and no traceback
    code = main(["spark-validate", str(sink), str(records), "-o", str(out), "-q"])
    captured = capsys.readouterr()
    assert code == 2 and "mapped exists" in captured.err and "--overwrite" in captured.err and "Traceback" not in captured.err
    before = signal.getsignal(signal.SIGINT)
    assert main(["spark-validate", str(sink), str(records), "-o", str(out), "-q", "--overwrite"]) == 1
    assert signal.getsignal(signal.SIGINT) is before  # (the run's handlers, and pyspark's, leave with it)
    assert pq.read_table(out / "mapped").num_rows == want.count and sorted(p.name for p in out.iterdir()) == ["mapped", "refused"]
    # one of the two left behind (another run's): refused before mapping, nothing written
    other = tmp_path / "other"
    (other / "refused").mkdir(parents=True)
    assert main(["spark-validate", str(sink), str(records), "-o", str(other), "-q"]) == 2
    assert "refused exists" in capsys.readouterr().err and [p.name for p in other.iterdir()] == ["refused"]


def test_spark_validate_all_mapped_exits_zero(spark: Any, tmp_path: Path, capsys: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mapper.cli import main

    # a sink column named like the file column spark-validate adds inside the job ("file", any case)
    body = json.loads(EXAMPLE_SINK.read_text())
    # (lower case: FeatureBase refuses a column named File)
    body["schema"]["definition"].append({"name": "file", "path": ["encoding"], "type": "string"})
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(body))
    # timestamps the endpoint stores that Spark's default Parquet timestamp (INT96) kept from other
    # readers: 9999-12-31 read back by pyarrow (and pandas) as 1816-03-30, silently; and one before
    # 1900, which Spark 3.x's default rebase mode (EXCEPTION, set here as 3.5 has it) failed the job on
    first = EXAMPLE_RECORDS.read_bytes().splitlines()[0]
    records = tmp_path / "records.ndjson"
    far = [253402300799000, -2208988800001]  # ms: 9999-12-31T23:59:59Z, 1899-12-31T23:59:59.999Z
    records.write_bytes(
        EXAMPLE_RECORDS.read_bytes() + b"".join(first.replace(b"1659981468260", b"%d" % ms).replace(b":0:0", b":9:%d" % i) + b"\n" for i, ms in enumerate(far))
    )
    keys = ("spark.sql.parquet.datetimeRebaseModeInWrite", "spark.sql.parquet.int96RebaseModeInWrite")
    before = {key: spark.conf.get(key) for key in keys}
    for key in keys:
        spark.conf.set(key, "EXCEPTION")
    try:
        code = main(["spark-validate", str(sink), str(records), "-o", str(tmp_path / "o"), "-q"])
    finally:
        for key, value in before.items():
            spark.conf.set(key, value)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "mapped + refused = input: 5 + 0 = 5" in captured.out and "note:" not in captured.out
    table = pq.read_table(tmp_path / "o" / "mapped")
    assert table.column("file").to_pylist() == ["json"] * 5
    want = mapper.compile_sink(body).map(records.read_bytes())
    assert sorted(zip(table.column("_id").to_pylist(), table.column("ts").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist())) == sorted(
        zip(want.ids.tolist(), (want["ts"].values * 1000).tolist())  # (ms as stored, in Spark's microseconds)
    )


def _jobs_and_stages(spark: Any, step: Any) -> tuple[int, int]:
    """The Spark jobs ``step()`` ran (threads it starts inherit the job group), and their stages."""
    context = spark.sparkContext
    group = f"jobs-{uuid.uuid4().hex}"
    context.setJobGroup(group, "counted")
    try:
        step()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    tracker = context.statusTracker()
    jobs = tracker.getJobIdsForGroup(group)
    return len(jobs), sum(len(tracker.getJobInfo(j).stageIds) for j in jobs)


def test_validate_files_numbers_lines_without_spark_jobs_of_their_own(spark: Any, tmp_path: Path) -> None:
    # The line numbers are arithmetic on one row per split: worked out as Spark jobs (the split
    # counts persisted, then aggregated, grouped, windowed and joined, each with its shuffles),
    # they were 20 jobs of 39 stages for one small file (Spark 4.3: 12 of 16 since), more time
    # than the counting read itself. What a run cannot do without, as plain Spark calls in the
    # same session: the mapped rows persisted and written, the input counted per file (one
    # aggregation), the refused rows written, their error codes counted, the two outputs
    # counted back. The run takes no more jobs, nor stages, than those, but one of one stage:
    # Spark's broadcast of the offsets' rows, made in the driver (a DataFrame of Python rows is
    # an RDD, collected to be broadcast). However many jobs this Spark makes of a write or an
    # aggregation, the line numbers add no other (the fixed bound this had, 14 jobs and 22
    # stages, held for one Spark's planner only).
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from mapper.spark import check_inputs, map_dataframe, validate_files

    path = tmp_path / "r.ndjson"
    path.write_bytes(b'{"bad": 1\n' + EXAMPLE_RECORDS.read_bytes())

    def plain() -> None:
        text = spark.read.text(str(path)).select("value", F.col("_metadata.file_path").alias("file"))
        out = map_dataframe(text, EXAMPLE_SINK)
        rows = out.rows.persist(StorageLevel.MEMORY_AND_DISK)  # (mapped and refused below read it: Spark's cache)
        try:
            out.mapped.write.parquet(str(tmp_path / "plain" / "mapped"))
            text.groupBy("file").count().collect()
            out.refused.select(F.to_json(F.struct("file", "_position", "_errors", "_raw")).alias("value")).write.text(str(tmp_path / "plain" / "refused"))
            out.refused.select(F.explode("_errors").alias("e")).groupBy("e.code").count().collect()
        finally:
            rows.unpersist()
        spark.read.parquet(str(tmp_path / "plain" / "mapped")).count()
        spark.read.text(str(tmp_path / "plain" / "refused")).count()

    counts: list[Any] = []
    run = _jobs_and_stages(spark, lambda: counts.append(validate_files(spark, EXAMPLE_SINK, check_inputs([str(path)]), str(tmp_path / "out"))))
    assert (counts[0].input_records, counts[0].mapped_rows, counts[0].refused_records) == (4, 3, 1)
    refused = json.loads((next((tmp_path / "out" / "refused").glob("part-*"))).read_text())
    assert (refused["record"], refused["line"]) == (0, 1)
    base = _jobs_and_stages(spark, plain)
    assert base[0] >= 6  # (each action above ran: a bound of no jobs would hold for any run)
    assert run[0] <= base[0] + 1 and run[1] <= base[1] + 1, f"validate_files: {run} jobs, stages; the same actions as plain Spark calls: {base}"


def test_spark_validate_says_an_input_that_changed_during_the_run_changed(spark: Any, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # A live log grows between the two reads (to map, then to count): the counts cannot agree,
    # and the run said only "mapped + refused = 3, not the 4 input records", read as records lost
    from mapper import spark as ms
    from mapper.cli import main

    data = EXAMPLE_RECORDS.read_bytes()
    log = tmp_path / "live.ndjson"
    log.write_bytes(data)
    real = ms._splits  # (the counting read's DataFrame: made after the mapping, read once made)

    def count_after_a_write(*args: Any) -> Any:
        with log.open("ab") as f:
            f.write(data.splitlines(keepends=True)[0])
        return real(*args)

    monkeypatch.setattr(ms, "_splits", count_after_a_write)
    code = main(["spark-validate", str(EXAMPLE_SINK), str(log), "-o", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mapper: mapped + refused = 3, not the 4 input records: the input changed during the run (")
    assert f"live.ndjson: {len(data):,} bytes, modified " in err and f" before, {log.stat().st_size:,} bytes, modified " in err
    assert "Copy the input first" in err and err.count("\n") == 1


def test_lost_records_with_no_input_changed_are_not_blamed_on_the_input(tmp_path: Path) -> None:
    from mapper.spark import ValidateCounts, _input_state, _lost_message

    (tmp_path / "a.ndjson").write_text("{}\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "p.ndjson").write_text("{}\n{}\n")
    paths = [str(tmp_path / "a.ndjson"), f"file:{tmp_path}/d", "hdfs://nn/x.ndjson"]
    state = _input_state(paths)
    assert state == {
        str(tmp_path / "a.ndjson"): (3, (tmp_path / "a.ndjson").stat().st_mtime_ns),
        str(tmp_path / "d" / "p.ndjson"): (6, (tmp_path / "d" / "p.ndjson").stat().st_mtime_ns),
    }
    counts = ValidateCounts(input_records=3, mapped_rows=1, refused_records=1, error_counts={}, blank_lines=0)
    said = _lost_message(counts, state, state)
    assert said.startswith("mapped + refused = 2, not the 3 input records: ") and "changed during the run" not in said
    assert "no local input's size or modification time changed" in said and "bug" in said
    assert "a remote input" in _lost_message(counts, state, state, remote=True)
    (tmp_path / "d" / "p.ndjson").unlink()
    assert "p.ndjson: 6 bytes, modified " in _lost_message(counts, state, _input_state(paths)) and " before, not there after" in _lost_message(
        counts, state, _input_state(paths)
    )


def _cli(*args: Any) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "mapper", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr
    return proc


def test_spark_validate_usage_errors_before_spark_starts(tmp_path: Path) -> None:
    _needs_pyspark()
    bad_sink = tmp_path / "bad.json"
    bad_sink.write_text('{"schema": {"definition": []}}')
    proc = _cli("spark-validate", bad_sink, EXAMPLE_RECORDS, "-o", tmp_path / "o")
    assert proc.returncode == 2 and "invalid sink" in proc.stderr
    proc = _cli("spark-validate", EXAMPLE_SINK, tmp_path / "nope.ndjson", "-o", tmp_path / "o")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = _cli("spark-validate", EXAMPLE_SINK, EXAMPLE_RECORDS, "-o", tmp_path / "o", "--conf", "nonsense")
    assert proc.returncode == 2 and "KEY=VALUE" in proc.stderr


def test_spark_validate_ctrl_c_stops_quietly_and_leaves_nothing(spark: Any, tmp_path: Path) -> None:
    """Ctrl-C while the job writes: exit 130 and "interrupted", no py4j traceback, nothing
    under the final names."""
    records = tmp_path / "records.ndjson"
    records.write_bytes(gen.generate(40_000))  # (the job runs ~6 s past the first file it makes: the signal comes within 50 ms)
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(gen.SINK))
    out = tmp_path / "out"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    cmd = [sys.executable, "-m", "mapper", "spark-validate", str(sink), str(records), "-o", str(out), "--master", "local[2]", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (out.is_dir() and any(out.iterdir())) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the job ended before it could be interrupted"
        # to this process only: a terminal's Ctrl-C reaches the whole group, pyspark's Python
        # workers too, and whether the job then fails first or this process is interrupted
        # first is a race (both end as "interrupted")
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err, err  # (py4j's logging.exception and pyspark's handler printed ~120 lines)
    time.sleep(1)  # a task still running would write its files again now
    assert [p.name for p in out.iterdir()] == []  # nothing under the final names, and no staging directory


@pytest.mark.parametrize("signals", [1, 2])
def test_validate_files_ctrl_c_before_the_job_starts_leaves_no_staging(spark: Any, tmp_path: Path, signals: int) -> None:
    """Ctrl-C while a write is still being planned on the JVM side (its job not yet
    submitted): the job that starts after the interruption is cancelled too, and the
    staging directory goes once the write has ended; a second Ctrl-C during that
    cleanup does not cut it short. (The old cleanup cancelled the jobs running at the
    interruption and removed the staging directory at once: the job that started next
    wrote it again, whole.)"""
    import threading

    from pyspark import InheritableThread
    from pyspark.sql.readwriter import DataFrameWriter

    from mapper.spark import validate_files

    records = tmp_path / "records.ndjson"
    records.write_bytes(gen.generate(2000))
    out = tmp_path / "out"
    main_thread = threading.main_thread().ident
    assert main_thread is not None
    real = DataFrameWriter.parquet
    commands: list[Any] = []

    def parquet(self: Any, path: str, *args: Any, **kwargs: Any) -> None:
        def command() -> None:  # the JVM's side of the call, which an interruption of the caller does not stop
            time.sleep(0.5)  # (still planning when the interruption comes)
            try:
                real(self, path, *args, **kwargs)
            except Exception:  # noqa: BLE001 - cancelled
                if signals == 2:
                    signal.pthread_kill(main_thread, signal.SIGINT)  # again, while the run cleans up

        thread = InheritableThread(target=command, daemon=True)
        thread.start()
        commands.append(thread)
        signal.pthread_kill(main_thread, signal.SIGINT)  # Ctrl-C (SIGINT reaches the main thread)
        thread.join()  # the caller waits for its command, as a py4j call does

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # (as spark-validate does: not pyspark's handler)
    try:
        DataFrameWriter.parquet = parquet  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            validate_files(spark, gen.SINK, [str(records)], str(out))
        DataFrameWriter.parquet = real  # type: ignore[method-assign]
        for thread in commands:
            thread.join(60)
        time.sleep(0.5)  # (a signal sent last is taken here, inside the try)
    finally:
        DataFrameWriter.parquet = real  # type: ignore[method-assign]
        signal.signal(signal.SIGINT, previous)
    assert commands and not any(t.is_alive() for t in commands)
    assert not out.exists() or [p.name for p in out.iterdir()] == []
    assert not spark.sparkContext.statusTracker().getActiveJobsIds()


@pytest.mark.parametrize("ignore_corrupt", [None, "true"])
def test_a_failed_read_is_named_with_its_cause_and_leaves_nothing(spark: Any, tmp_path: Path, ignore_corrupt: str | None) -> None:
    """A truncated .gz fails the job: the message names the file and why (Spark's own line
    said only "Encountered error while reading file"), and no staging directory stays; also
    when the session ignores corrupt files (its records would be lost without a word)."""
    import gzip

    from mapper.spark import _first_line, validate_files

    records = tmp_path / "records.ndjson.gz"
    packed = gzip.compress(gen.generate(3000))
    records.write_bytes(packed[: len(packed) // 2])
    out = tmp_path / "out"
    key = "spark.sql.files.ignoreCorruptFiles"
    before = spark.conf.get(key)
    if ignore_corrupt is not None:
        spark.conf.set(key, ignore_corrupt)
    try:
        with pytest.raises(Exception) as failed:
            validate_files(spark, gen.SINK, [str(records)], str(out))
    finally:
        spark.conf.set(key, before)
    line = _first_line(failed.value)
    assert "records.ndjson.gz" in line and "Unexpected end of input stream" in line, line
    assert "\n" not in line and len(line) <= 1000
    assert not out.exists() or [p.name for p in out.iterdir()] == []


# ---------------------------------------------------------------------------------------
# Without Spark


def test_import_mapper_never_imports_pyspark() -> None:
    code = "import sys, mapper, mapper.cli, mapper.spark; assert 'pyspark' not in sys.modules and 'pyarrow' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def test_missing_pyspark_names_the_extra(monkeypatch: Any) -> None:
    from mapper.spark import map_dataframe

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(mapper.MissingDependencyError, match=r"mapper\[spark\]"):
        map_dataframe(object(), gen.SINK)


@pytest.mark.parametrize("type_name", ["string", "large_string", "binary", "large_binary"])
def test_cells_become_one_line_each(type_name: str) -> None:
    """Without Spark: what a worker does to the text column, on every Arrow text type, sliced."""
    pa = pytest.importorskip("pyarrow")
    from mapper.spark import _worker_for

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    worker = _worker_for("test-" + type_name, definition)
    texts = ["skipped by the slice", '{"id": 1}', None, "", " \r\n", '{"id":\n 2}', "\ufeff{}", '{"s": "a\nb"}']
    values = [t if t is None or "string" in type_name else t.encode() for t in texts]
    text = pa.array(values, type=getattr(pa, type_name)()).slice(1)
    rows, cells, refused = worker.feed(text)
    assert rows.tolist() == [0, 4, 5, 6]
    assert [(r, m.split(": ")[1]) for r, m in refused] == [(1, "the text is null"), (2, "the text is empty"), (3, "the text is empty")]
    assert worker.ndjson(cells) == b'{"id": 1}\n{"id":\r 2}\n{}\n{"s": "a\rb"}\n'


@pytest.mark.parametrize("type_name", ["string", "large_binary"])
def test_cells_opening_with_a_bom_are_not_taken_one_by_one_in_python(type_name: str) -> None:
    """Without Spark: a topic whose every message opens with a BOM (a .NET producer's UTF-8) had
    each cell copied to a Python bytes, and the whole batch to Python values and back, to drop it:
    0.36 s per 50,000 seed records, more than mapping them. Counted in calls, not timed."""
    import cProfile
    import pstats

    pa = pytest.importorskip("pyarrow")
    from mapper.spark import _worker_for

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    worker = _worker_for("bom-" + type_name, definition)
    cells = ["\ufeff" + '{"id": %d, "s": "\u00e9%d"}' % (i, i) for i in range(2000)] + ["\ufeff", "\ufeff \r", "\ufeff\ufeff{}", " {}", None, "{}"]
    text = pa.array([c if c is None or "string" in type_name else c.encode() for c in cells], type=getattr(pa, type_name)())
    profile = cProfile.Profile()
    profile.enable()
    rows, kept, refused = worker.feed(text)
    profile.disable()
    assert pstats.Stats(profile).total_calls < 500  # (one or more per cell before: tobytes, startswith, strip, to_pylist's values)
    assert rows.tolist() == [*range(2000), 2002, 2003, 2005]
    assert [(r, m.split(": ")[1]) for r, m in refused] == [(2000, "the text is empty"), (2001, "the text is empty"), (2004, "the text is null")]
    assert worker.ndjson(kept).split(b"\n")[:2] == ['{"id": 0, "s": "\u00e90"}'.encode(), '{"id": 1, "s": "\u00e91"}'.encode()]
    assert worker.ndjson(kept).split(b"\n")[-4:] == [b"\xef\xbb\xbf{}", b" {}", b"{}", b""]  # (one BOM dropped, as a file's)


@pytest.mark.parametrize("type_name", ["string", "binary"])
def test_odd_cells_are_refused_one_by_one_not_the_whole_job(type_name: str) -> None:
    """Without Spark: cells that made a worker raise, failing the whole job."""
    pa = pytest.importorskip("pyarrow")
    from mapper.spark import _Plan, _worker_for

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    worker = _worker_for("odd-" + type_name, definition)
    cases = [
        # a first cell starting as gzip does: the joined batch was read as gzip
        ([b"\x1f\x8b\x08junk", b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        # ... as xz, zstd or bzip2 do (a later hunt: the xz lines of a .xz file Spark read as text
        # failed the whole job, "Compressed file ended before the end-of-stream marker")
        ([b"\xfd7zXZ\x00junk", b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        ([b"\x28\xb5\x2f\xfdjunk", b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        ([b"BZh91AY&SY", b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        # ... as an archive does (a tar header and a line of its file; a ZIP): a whole input that is one is refused,
        # in any format, and the job failed (session inputs60)
        ([tarfile.TarInfo("r.ndjson").tobuf() + b'{"id": 2}', b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        ([b"PK\x03\x04junk", b'{"id": 1, "s": "a"}'], {1: "a"}, {0: "invalid_json"}),
        # a BOM cell beside a cell of invalid UTF-8 in a string column: a UnicodeDecodeError
        ([b'\xef\xbb\xbf{"id": 1, "s": "a"}', b'{"id": 2, "s": "\xff"}'], {0: "a", 1: "\ufffd"}, {}),
        # a cell that is only a BOM (and blanks): "2 cells made 1 records"
        ([b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n", b'{"id": 1, "s": "a"}'], {2: "a"}, {0: "invalid_json", 1: "invalid_json"}),
        # two BOMs: refused wherever the cell falls (the engine dropped the second as a file's when first in the call)
        (
            [b'\xef\xbb\xbf\xef\xbb\xbf{"id": 1, "s": "a"}', b'\xef\xbb\xbf\xef\xbb\xbf{"id": 2}', b'{"id": 3, "s": "c"}'],
            {2: "c"},
            {0: "invalid_json", 1: "invalid_json"},
        ),
        ([b"\xef\xbb\xbf\xef\xbb\xbf", b'{"id": 3, "s": "c"}'], {1: "c"}, {0: "invalid_json"}),
    ]
    for cells, want_mapped, want_refused in cases:
        column = pa.array(cells, pa.binary())
        rb = pa.RecordBatch.from_arrays([column if type_name == "binary" else column.view(pa.string())], names=["value"])
        out = (
            pa.Table.from_batches(list(worker.map_batch(rb, 0, _Plan("odd-" + type_name, definition, False, 0, ()))))
            .select(["_position", "s", "_errors"])
            .to_pylist()
        )
        mapped = {r["_position"]: r["s"] for r in out if r["_errors"] is None}
        refused = {r["_position"]: r["_errors"][0]["code"] for r in out if r["_errors"] is not None}
        assert (mapped, refused) == (want_mapped, want_refused), cells


def test_a_cell_over_max_record_size_is_refused_as_validate_refuses_a_line() -> None:
    """Without Spark: the limit of mapper validate --max-record-size, per cell (spark-validate had no
    such option, though its too_large message named it); the message does not say "its first 1,024
    bytes are kept": _raw keeps the whole cell."""
    pa = pytest.importorskip("pyarrow")
    from mapper.spark import _Plan, _worker_for

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    worker = _worker_for("sized", definition)
    long = json.dumps({"id": 2, "s": "x" * 3000})
    rb = pa.RecordBatch.from_arrays([pa.array(['{"id": 1, "s": "a"}', long])], names=["value"])
    for size, refused in ((1024, {1}), (4096, set())):
        plan = _Plan("sized", definition, False, 0, (), max_record_size=size)
        out = pa.Table.from_batches(list(worker.map_batch(rb, 0, plan))).select(["_position", "_errors", "_raw"]).to_pylist()
        assert {r["_position"] for r in out if r["_errors"] is not None} == refused
    error = next(
        r
        for r in pa.Table.from_batches(list(worker.map_batch(rb, 0, _Plan("sized", definition, False, 0, (), max_record_size=1024)))).to_pylist()
        if r["_errors"]
    )
    assert error["_raw"] == long
    assert error["_errors"] == [
        {
            "code": "too_large",
            "column": None,
            "path": None,
            "pointer": None,
            "message": f"the record is {len(long):,} bytes, more than the 1,024 a record may have (--max-record-size, max_record_size=)",
        }
    ]


def test_spark_validate_takes_sigterm_as_an_interruption(no_spark: None, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # `kill PID` (SIGTERM, as timeout, a service manager or docker stop send) ended spark-validate
    # where it stood: the job's staging directory (a full copy of the results) left in OUT till a
    # later run into OUT, the session not stopped; validate, map and the others take it as Ctrl-C
    import mapper.spark
    from mapper.cli import main

    stopped: list[bool] = []

    class Session:
        def stop(self) -> None:
            stopped.append(True)

    seen: list[str] = []

    def fake_validate(*_args: Any, **_kwargs: Any) -> Any:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10**7):  # (the handler runs at the next bytecode)
                pass
        except BaseException as exc:  # (validate_files cancels its job and removes its staging directory on any)
            seen.append(type(exc).__name__)
            raise
        raise AssertionError("not interrupted")

    def guard(signum: int, frame: Any) -> None:  # (this test process's own, if the command installs none)
        raise RuntimeError("SIGTERM was not taken by the command")

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: Session())
    monkeypatch.setattr(mapper.spark, "validate_files", fake_validate)
    before = signal.signal(signal.SIGTERM, guard)
    try:
        code = main(["spark-validate", str(EXAMPLE_SINK), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q"])
        assert signal.getsignal(signal.SIGTERM) is guard  # (given back: main called by a program keeps its own)
    finally:
        signal.signal(signal.SIGTERM, before)
    err = capsys.readouterr().err
    assert (code, err, seen) == (143, "terminated\n", ["Terminated"]) and stopped  # (the session stopped: its tasks end, not torn down)


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "Connection refused"), "py4j", "unprintable"])
def test_a_jvm_that_ended_during_the_run_is_said_so(no_spark: None, tmp_path: Path, monkeypatch: Any, capsys: Any, error: Any) -> None:
    # a JVM that died mid-run (an OutOfMemoryError, as a .lz4 of the lz4 tool's gave it) left py4j
    # without its other end: "mapper: Spark failed: [Errno 111] Connection refused", nothing on why
    import mapper.spark
    from mapper.cli import main

    if error == "py4j":
        from py4j.protocol import Py4JNetworkError

        error = Py4JNetworkError("Answer from Java side is empty")
    elif error == "unprintable":  # (py4j's Py4JJavaError asks the JVM for its text: the ConnectionRefusedError of that
        # escaped the command, "mapper: Connection refused (ECONNREFUSED)" as the command line said it)

        class Py4JJavaError(Exception):
            def __str__(self) -> str:
                raise ConnectionRefusedError(111, "Connection refused")

        error = Py4JJavaError()

    def gone(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: None)
    monkeypatch.setattr(mapper.spark, "validate_files", gone)
    assert main(["spark-validate", str(EXAMPLE_SINK), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mapper: Spark failed: its JVM ended during the run (") and "java.lang.OutOfMemoryError" in err, err
    assert "--conf spark.driver.memory=" in err and err.count("\n") == 1, err


def test_spark_validate_takes_max_record_size_as_validate_does(no_spark: None, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import mapper.spark
    from mapper.cli import main

    seen: dict[str, Any] = {}

    def fake_validate(*_args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return mapper.spark.ValidateCounts(3, 3, 0, {})

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: None)
    monkeypatch.setattr(mapper.spark, "validate_files", fake_validate)
    base = ["spark-validate", str(EXAMPLE_SINK), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q"]
    assert main(base) == 0 and seen["max_record_size"] == 16 << 20
    assert main([*base, "--max-record-size", "2K"]) == 0 and seen["max_record_size"] == 2048
    # validate's --input-format values that say what spark-validate does (auto: detected, and a
    # document refused, as check_inputs does): "--input-format auto: spark-validate reads NDJSON only" before
    for fmt in ("auto", "ndjson"):
        assert main([*base, "--input-format", fmt]) == 0, capsys.readouterr().err
    capsys.readouterr()
    for bad, message in (("12", "at least 1K"), ("1x", "takes a number of bytes")):
        assert main([*base, "--max-record-size", bad]) == 2
        assert message in capsys.readouterr().err


@pytest.mark.parametrize("map_rows", [3, 1000])
def test_a_partition_arrow_splits_keeps_every_row(monkeypatch: Any, map_rows: int) -> None:
    """Without Spark: batches joined for one engine call that Arrow hands back as several (text
    past 2 GB) are each mapped: only the first of them was, the other rows dropped without a word."""
    pa = pytest.importorskip("pyarrow")
    _needs_pyspark()
    from mapper import spark

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    texts = [json.dumps({"id": i, "s": f"v{i}"}) for i in range(10)]
    batches = [pa.RecordBatch.from_arrays([pa.array(texts[i : i + 2])], names=["value"]) for i in range(0, 10, 2)]
    joined = spark._contiguous

    def split(parts: list[Any], pa_: Any) -> list[Any]:  # as Arrow splits a combined column past 2 GB
        return [piece for b in joined(parts, pa_) for piece in (b.slice(0, 1), b.slice(1))]

    monkeypatch.setattr(spark, "_contiguous", split)
    plan = spark._Plan("split", definition, False, 0, (), map_rows=map_rows)
    out = pa.Table.from_batches(list(spark._map_partition(plan, iter(batches)))).select(["_position", "s", "_errors"]).to_pylist()
    assert sorted((r["_position"], r["s"]) for r in out) == [(i, f"v{i}") for i in range(10)]
    assert all(r["_errors"] is None for r in out)


def test_a_worker_converts_its_batch_as_batch_to_arrow_does(monkeypatch: Any) -> None:
    """Without Spark: a worker's columns are made by Batch.to_arrow, which checks the batch first.
    It called each type's to_arrow itself: a batch whose arrays did not fit (a mapper bug) went to
    pyarrow as it was, which raised its own ArrowTypeError (or read past a buffer) in the worker."""
    pa = pytest.importorskip("pyarrow")
    import numpy as np

    from mapper.batch import Strings
    from mapper.errors import OutputError
    from mapper.spark import _Plan, _worker_for

    definition = json.dumps(mapper.load_sink(EDGE_SINK).to_body(), sort_keys=True)
    worker = _worker_for("checked", definition)
    rb = pa.RecordBatch.from_arrays([pa.array(['{"id": 1, "s": "a", "tags": ["x"]}', '{"id": 2, "s": "b"}'])], names=["value"])
    plan = _Plan("checked", definition, False, 0, ())
    out = pa.Table.from_batches(list(worker.map_batch(rb, 0, plan))).select(["_id", "s", "tags"]).to_pylist()
    assert out == [{"_id": 1, "s": "a", "tags": ["x"]}, {"_id": 2, "s": "b", "tags": None}]
    real = worker.mapper.map

    def broken(*args: Any, **kwargs: Any) -> Any:
        batch = real(*args, **kwargs)
        batch["s"].stored = Strings.from_objects(np.array(["a", 5], dtype=object), batch["s"].valid)
        return batch

    monkeypatch.setattr(worker.mapper, "map", broken)
    with pytest.raises(OutputError, match="column 's' cannot be made an Arrow array"):
        list(worker.map_batch(rb, 0, plan))


@pytest.fixture()
def no_spark(monkeypatch: Any) -> None:
    """``mapper spark-validate`` in this process, failing the test if it would start Spark."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    import mapper.spark

    def refuse(*_args: Any) -> None:
        pytest.fail("Spark was started: the input should have been refused before")  # (a BaseException: not caught as a failed job)

    monkeypatch.setattr(mapper.spark, "_session", refuse)
    monkeypatch.setattr(mapper.spark, "_check_java", lambda: None)  # (these run without Java too; its own test below)


def test_spark_validate_checks_the_sink_once_in_the_driver(tmp_path: Path, monkeypatch: Any) -> None:
    """Without a JVM (the job faked, up to the DataFrame): the sink's file was checked when
    loaded, then the driver compiled its POST body, the definition the tasks receive, and so
    checked it again; map_dataframe, given a definition, likewise. (The whole run, with Spark:
    test_spark_validate_writes_parquet_and_ndjson.)"""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    import mapper.spark as ms
    from mapper import sink as sink_module
    from mapper.cli import main

    checks: list[Any] = []
    check = sink_module._check_document
    monkeypatch.setattr(sink_module, "_check_document", lambda *args, **kw: checks.append(args[1]) or check(*args, **kw))
    monkeypatch.setattr(ms, "_WORKERS", {})  # (compiled by other tests: nothing to check)

    def validate_files(_spark: Any, sink: mapper.Sink, *_args: Any, **_kwargs: Any) -> Any:
        with pytest.raises(mapper.OptionError, match="df must be a Spark DataFrame"):  # (what the job does with the sink in the driver)
            ms.map_dataframe(object(), sink)
        return ms.ValidateCounts(3, 3, 0, {})

    monkeypatch.setattr(ms, "_session", lambda *_args: argparse.Namespace(stop=lambda: None))
    monkeypatch.setattr(ms, "_check_java", lambda: None)
    monkeypatch.setattr(ms, "validate_files", validate_files)
    assert main(["spark-validate", str(EXAMPLE_SINK), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert len(checks) == 1 and len(ms._WORKERS) == 1
    with pytest.raises(mapper.OptionError, match="df must be a Spark DataFrame"):
        ms.map_dataframe(object(), gen.SINK, allow_missing_fields=True)
    assert len(checks) == 2 and len(ms._WORKERS) == 2
    # a Sink given (it may hold names only a batch file's sink may have): its POST body is checked, as the tasks will
    with pytest.raises(mapper.OptionError, match="df must be a Spark DataFrame"):
        ms.map_dataframe(object(), mapper.load_sink(gen.SINK), allow_missing_fields=False)
    assert len(checks) == 4


def test_spark_validate_refuses_what_spark_would_misread(no_spark: None, tmp_path: Path, capsys: Any) -> None:
    """Without a JVM: the inputs and options Spark would drop, misread or fail on with a Java trace."""
    import gzip

    from mapper.cli import main

    record = EXAMPLE_RECORDS.read_bytes().split(b"\n", 1)[0] + b"\n"
    files = {
        "_rec.ndjson": record,  # Hadoop's hidden files: silently left out
        ".rec.ndjson": record,
        "a:b.ndjson": record,  # java.net.URISyntaxException
        "packed.ndjson": gzip.compress(record),  # gzip without .gz: read as garbage
        "plain.ndjson.gz": record,  # .gz without gzip: the job fails
        "array.json": b"[" + record.strip() + b",\n " + record.strip() + b"]\n",
        "pretty.json": json.dumps(json.loads(record), indent=2).encode() + b"\n",
        "body.json": json.dumps({"records": [{"value": json.loads(record)}]}).encode(),
        "array.json.gz": gzip.compress(b"[\n" + record.strip() + b"\n]\n"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    globbed = tmp_path / "globbed"
    globbed.mkdir()
    (globbed / "ok.ndjson").write_bytes(record)
    (globbed / "_late.ndjson").write_bytes(record)
    out = str(tmp_path / "out")

    def run(*args: Any) -> str:
        code = main(["spark-validate", str(EXAMPLE_SINK), *map(str, args), *(() if "-o" in args else ("-o", out)), "-q"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("mapper: ") and "Traceback" not in err, err
        return err

    assert "skips files whose names start with '_' or '.'" in run(tmp_path / "_rec.ndjson") and "ln -s _rec.ndjson rec.ndjson" in run(tmp_path / "_rec.ndjson")
    assert ".rec.ndjson" in run(tmp_path / ".rec.ndjson")
    assert "matched by" in run(globbed / "*.ndjson") and "_late.ndjson" in run(globbed / "{ok,_late}.ndjson")
    assert "s3a://bucket/in/_part.ndjson" in run(EXAMPLE_RECORDS, "s3a://bucket/in/_part.ndjson")  # remote: its name is all there is to check
    assert "':'" in run(tmp_path / "a:b.ndjson")
    assert "rename it to packed.ndjson.gz" in run(tmp_path / "packed.ndjson")
    assert "not gzip-compressed" in run(tmp_path / "plain.ndjson.gz")
    assert "jq -c '.[]'" in run(tmp_path / "array.json") and "jq -c '.[]'" in run(tmp_path / "array.json.gz")
    assert "not NDJSON" in run(tmp_path / "pretty.json")
    assert f"jq -c '.records[].value' {tmp_path / 'body.json'} > {tmp_path / 'body.ndjson'}" in run(tmp_path / "body.json")
    assert "no file matches" in run(tmp_path / "nothing*.ndjson")
    assert "not supported by spark-validate" in run(EXAMPLE_RECORDS, "--records-path", "data")
    # (written to a new file beside it, never over one: not records.ndjson in the current directory, here the input itself)
    beside = EXAMPLE_RECORDS.with_name("records-2.ndjson")
    assert f"jq -c '.data[\"a.b\"][]' {EXAMPLE_RECORDS} > {beside}" in run(EXAMPLE_RECORDS, "--records-path", 'data."a.b"')  # the records' own path, not PATH
    assert "jq -c '.data[]' FILE > FILE.ndjson" in run(EXAMPLE_RECORDS, EXAMPLE_RECORDS, "--records-path", "data")  # (of several: no one name)
    assert "NDJSON only" in run(EXAMPLE_RECORDS, "--input-format", "json")
    assert "--master 'bogus://x'" in run(EXAMPLE_RECORDS, "--master", "bogus://x")
    assert "cannot write" in run(EXAMPLE_RECORDS, "-o", tmp_path / "_rec.ndjson") and "not a directory" in run(EXAMPLE_RECORDS, "-o", tmp_path / "_rec.ndjson")
    if Path("/proc/self").is_dir():  # not writable even by the superuser
        assert "cannot write /proc/nope" in run(EXAMPLE_RECORDS, "-o", "/proc/nope")


def test_spark_validate_identity_options_are_read_as_validate_reads_them(no_spark: None, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """--primary-key-fields a,b is two fields (it was taken letter by letter: "ab" keyed on a and b, "a,b" on ','), and an empty name is a usage error, as for validate."""
    import mapper.spark
    from mapper.cli import main

    seen: dict[str, Any] = {}

    def fake_validate(_spark: Any, sink: Any, *_args: Any, **_kwargs: Any) -> Any:
        seen["sink"] = sink
        return mapper.spark.ValidateCounts(1, 1, 0, {})

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: None)
    monkeypatch.setattr(mapper.spark, "validate_files", fake_validate)
    bare = tmp_path / "bare.json"
    bare.write_text(
        '[{"name": "a", "path": ["a"], "type": "string"}, {"name": "b", "path": ["b"], "type": "int"}, {"name": "ab", "path": ["ab"], "type": "int"}]'
    )
    base = ["spark-validate", str(bare), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q", "--allow-missing-fields"]
    for option, value, want in (("--primary-key-fields", "a,b", ("a", "b")), ("--primary-key-fields", "ab", ("ab",)), ("--id-field", "ab", "ab")):
        seen.clear()
        assert main([*base, option, value]) == 0, capsys.readouterr().err
        sink = seen["sink"]
        assert (sink.primary_key_fields if option == "--primary-key-fields" else sink.id_field) == want
    for option, value in (("--primary-key-fields", "a,,b"), ("--id-field", "")):
        with pytest.raises(SystemExit) as exc:
            main([*base, option, value])
        assert exc.value.code == 2 and f"argument {option}:" in capsys.readouterr().err


def test_spark_validate_without_java_says_so_before_spark_starts(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """Found by a bug hunt: without Java, Spark's launcher printed "JAVA_HOME is not set" and "CMD:
    bad array subscript", then mapper "Spark failed: [JAVA_GATEWAY_EXITED] Java gateway process exited"."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: spark-validate stops at the missing extra")
    pytest.importorskip("pandas", reason="pandas is not installed: spark-validate stops at the missing extra")
    from pyspark import SparkContext

    import mapper.spark
    from mapper.cli import main

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: pytest.fail("Spark was started"))
    monkeypatch.setattr(SparkContext, "_gateway", None)  # (no JVM in this process: the session fixture's may be up)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    base = ["spark-validate", str(EXAMPLE_SINK), str(EXAMPLE_RECORDS), "-o", str(tmp_path / "out"), "-q"]
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert main(base) == 2
    assert (
        capsys.readouterr().err
        == f"mapper: Spark needs Java 17 or later, and JAVA_HOME ({tmp_path / 'jdk'}) has no bin/java: set JAVA_HOME to a JDK's directory, or unset it to use the java on the PATH\n"
    )
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(base) == 2
    assert "no java on the PATH, and JAVA_HOME is not set" in capsys.readouterr().err


def test_inputs_spark_reads_as_they_are() -> None:
    """Without a JVM: what the checks let through, and what they give Spark."""
    from mapper.spark import FILE_COLUMN, _free_name, check_inputs

    here = ROOT / "examples" / "aircraft"
    assert check_inputs([str(EXAMPLE_RECORDS), "s3a://bucket/_tmp/", "s3a://bucket/x.ndjson"]) == [
        str(EXAMPLE_RECORDS),
        "s3a://bucket/_tmp/",
        "s3a://bucket/x.ndjson",
    ]
    assert check_inputs([str(here / "rec*.ndjson")]) == [str(here / "rec*.ndjson")]
    assert check_inputs(["file:" + str(EXAMPLE_RECORDS)]) == ["file:" + str(EXAMPLE_RECORDS)]
    assert _free_name(FILE_COLUMN, ["file", FILE_COLUMN.upper()]) == FILE_COLUMN + "_2"
    # one path (a str or a Path) is a list of one: a str was read letter by letter ("no such file: /")
    assert check_inputs(str(EXAMPLE_RECORDS)) == check_inputs(EXAMPLE_RECORDS) == [str(EXAMPLE_RECORDS)]
    for bad, message in ((b"x.ndjson", "not bytes"), ([1], "not int"), ([], "no paths given"), (None, "not NoneType")):
        with pytest.raises(mapper.OptionError, match=message):
            check_inputs(bad)  # type: ignore[arg-type]


def test_a_document_holding_its_records_is_refused_with_the_jq_that_reaches_them(tmp_path: Path) -> None:
    """Found by a bug hunt: a search API's {"statuses": [...]} got jq -c '.[]' or jq -c ., neither
    of which gives the records (validate names --records-path statuses)."""
    from mapper.spark import check_inputs

    doc = tmp_path / "search.json"
    doc.write_text(json.dumps({"search_metadata": {"count": 2}, "statuses": [{"id": 1}, {"id": 2}], "meta": {"a.b": [{"x": 1}]}}, indent=2))
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(doc)])
    message = str(info.value)
    assert 'its arrays of objects are at `statuses` (2 objects), `meta."a.b"` (1 object)' in message
    # the file it writes is a new one beside it: "> records.ndjson" wrote over any file of that name in the current directory
    assert message.endswith(f"e.g. jq -c '.statuses[]' {doc} > {tmp_path / 'search.ndjson'}")
    (tmp_path / "search.ndjson").write_text("kept\n")
    with pytest.raises(mapper.OptionError, match=rf"jq -c '\.statuses\[\]' \S+ > {re.escape(str(tmp_path / 'search-2.ndjson'))}\Z"):
        check_inputs([str(doc)])
    array = tmp_path / "array.json"  # an array: the general advice still
    array.write_text(json.dumps([{"id": 1}, {"id": 2}], indent=2))
    with pytest.raises(mapper.OptionError, match=rf"jq -c '\.\[\]' {re.escape(str(array))} > {re.escape(str(tmp_path / 'array.ndjson'))} \(an array\)"):
        check_inputs([str(array)])


def test_a_bzip2_file_is_looked_into_as_a_gzip_one_is(tmp_path: Path) -> None:
    # mapper validate unpacks bzip2 and maps a JSON document in it (a .json.bz2 array: ACCEPTED,
    # 2 records); spark-validate let it through unread, and Spark refused each of its lines as a
    # record ("[", "  {", ...), where a .gz of the same document was refused before the job, as
    # was a UTF-16 .gz noted: a .bz2 is looked into the same way
    import bz2

    from mapper.spark import check_inputs

    array = json.dumps([{"id": 1}, {"id": 2}], indent=2).encode()
    (tmp_path / "doc.json.bz2").write_bytes(bz2.compress(array))
    with pytest.raises(
        mapper.OptionError, match=r"doc\.json\.bz2 holds a JSON document .*bzip2 -dc \S*doc\.json\.bz2 \| jq -c '\.\[\]' > \S*doc\.ndjson \(an array\)"
    ):
        check_inputs([str(tmp_path / "doc.json.bz2")])
    (tmp_path / "body.ndjson.bz2").write_bytes(bz2.compress(json.dumps({"records": [{"value": {"id": 1}}]}).encode()))
    with pytest.raises(mapper.OptionError, match=r"body\.ndjson\.bz2 holds a request body"):
        check_inputs([str(tmp_path / "body.ndjson.bz2")])
    (tmp_path / "wide.ndjson.bz2").write_bytes(bz2.compress(b"\xff\xfe" + '{"id": 1}\n'.encode("utf-16-le")))
    (tmp_path / "fine.ndjson.bz2").write_bytes(bz2.compress(b'{"id": 1}\n{"id": 2}\n'))
    notes: list[str] = []
    paths = [str(tmp_path / "wide.ndjson.bz2"), str(tmp_path / "fine.ndjson.bz2")]
    assert check_inputs(paths, notes) == paths
    assert len(notes) == 1 and notes[0].startswith(f"{tmp_path / 'wide.ndjson.bz2'} is UTF-16 text"), notes
    (tmp_path / "cut.ndjson.bz2").write_bytes(bz2.compress(b'{"id": 1}\n' * 5000)[:40])  # (its head read as far as it goes)
    assert check_inputs([str(tmp_path / "cut.ndjson.bz2")]) == [str(tmp_path / "cut.ndjson.bz2")]


def test_lz4_and_snappy_in_the_tools_frame_formats_are_refused_before_the_job(tmp_path: Path) -> None:
    # Hadoop's .lz4 and .snappy codecs read Hadoop's own block format; the lz4 tool's frame format
    # (lz4 -z) and snappy's framing format (snzip, python-snappy's streams) start with a magic
    # number that Hadoop read as a block length: the JVM ran out of memory (OutOfMemoryError and
    # its stack trace on the terminal, then "mapper: Connection refused (ECONNREFUSED)")
    from mapper.spark import check_inputs

    frames = {
        "frame.ndjson.lz4": b'\x04\x22\x4d\x18\x64\x40\xa7\x11\x00\x00\x80{"id": "a"}\n{bad\n\x00\x00\x00\x00',
        "legacy.ndjson.lz4": b"\x02\x21\x4c\x18" + b"\x00" * 12,
        "framed.ndjson.snappy": b"\xff\x06\x00\x00sNaPpY" + b"\x00" * 12,
    }
    for name, data in frames.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(
            mapper.OptionError, match=rf"{re.escape(name)} is in the .* frame format, and Hadoop's \.(lz4|snappy) codec reads its own block format"
        ) as info:
            check_inputs([str(tmp_path / name)])
        assert f"-dc {tmp_path / name} > {tmp_path / name.rsplit('.', 1)[0]})" in str(info.value)  # (the file's name, not FILE; unpacked beside it)
    block = tmp_path / "block.ndjson.lz4"  # Hadoop's own: a block's lengths first, no magic number
    block.write_bytes(b"\x00\x00\x00\x16\x00\x00\x00\x14" + b"\x00" * 20)
    assert check_inputs([str(block)]) == [str(block)]


def test_relative_file_uris_are_given_to_spark_as_absolute_paths(no_spark: None, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """``file:rel.ndjson`` and ``-o file:out``: Hadoop refused them after the JVM had started (URISyntaxException: Relative path in absolute URI)."""
    import mapper.spark
    from mapper.cli import main
    from mapper.spark import check_inputs

    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLE_RECORDS, "rel.ndjson")
    assert check_inputs(["file:rel.ndjson", "file:rel*.ndjson"]) == [str(tmp_path / "rel.ndjson"), str(tmp_path / "rel*.ndjson")]
    seen: dict[str, Any] = {}

    def fake_validate(_spark: Any, _sink: Any, paths: Any, output: str, **_kwargs: Any) -> Any:
        seen.update(paths=paths, output=output)
        return mapper.spark.ValidateCounts(3, 3, 0, {})

    monkeypatch.setattr(mapper.spark, "_session", lambda *_args: None)
    monkeypatch.setattr(mapper.spark, "validate_files", fake_validate)
    assert main(["spark-validate", str(EXAMPLE_SINK), "file:rel.ndjson", "-o", "file:out", "-q"]) == 0, capsys.readouterr().err
    assert seen == {"paths": [str(tmp_path / "rel.ndjson")], "output": str(tmp_path / "out")}
    assert "-> file:out/mapped" in capsys.readouterr().out  # what the user named


def test_spark_validate_output_checks_leave_nothing(tmp_path: Path) -> None:
    import gzip

    from mapper.spark import check_inputs, check_output

    check_output(str(tmp_path / "new" / "deep" / "out"))
    assert list(tmp_path.iterdir()) == []  # tried and removed: Spark makes the directories
    spark_dir = tmp_path / "job"
    spark_dir.mkdir()
    (spark_dir / "part-0.ndjson.gz").write_bytes(gzip.compress(b'{"id": 1}\n'))
    (spark_dir / "_SUCCESS").write_bytes(b"{}")  # a directory's (or a glob's) Hadoop files: skipped, and fine
    (spark_dir / ".part-0.ndjson.gz.crc").write_bytes(b"crc")
    (spark_dir / "_empty.ndjson").write_bytes(b"")
    assert check_inputs([str(spark_dir), str(spark_dir / "*")]) == [str(spark_dir), str(spark_dir / "*")]


def test_driver_log_configuration(tmp_path: Path) -> None:
    """The driver's log4j2 file: WARN lines unless -q, no failed task's stack trace; the user's own one kept."""
    _needs_pyspark()
    from mapper.spark import _log_options

    options = _log_options({"spark.driver.extraJavaOptions": "-Xss4m"}, True, str(tmp_path))
    assert options is not None and options.startswith("-Xss4m -Dlog4j2.configurationFile=file:")
    text = (tmp_path / "log4j2.properties").read_text()
    assert "threshold.level = error" in text and "org.apache.spark.executor.Executor\nlogger.quiet0.level = off" in text
    # (the I/O faults hunt) a full disk under OUT: Utils logged "Aborting task" with the file writer's
    # stack trace, 100 lines under -q; its other lines (a port taken, a host name) are kept
    assert "logger.abort.name = org.apache.spark.util.Utils\n" in text and "logger.abort.filter.task.regex = Aborting task.*\n" in text
    assert "logger.abort.filter.task.onMatch = DENY\nlogger.abort.filter.task.onMismatch = NEUTRAL\n" in text
    assert _log_options({}, False, str(tmp_path)) is not None and "threshold.level = warn" in (tmp_path / "log4j2.properties").read_text()
    assert _log_options({"spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile=mine.xml"}, True, str(tmp_path)) is None
    # spark.local.dir set by the run itself (its driver directory, on a local master): SparkConf
    # warned at every run without -q that it "will be overridden by the value set by the
    # cluster manager", of a setting the user never made; a spark.local.dir of the user's keeps it
    said = "Note that spark.local.dir will be overridden by the value set by the cluster manager (via SPARK_LOCAL_DIRS in standalone/kubernetes and LOCAL_DIRS in YARN)."

    def denied(text: str) -> bool:
        filters = re.findall(r"logger\.(\w+)\.name = org\.apache\.spark\.SparkConf\n", text)
        regexes = [m for name in filters for m in re.findall(rf"logger\.{name}\.filter\.\w+\.regex = (.*)\n", text)]
        return any(re.fullmatch(r, said) for r in regexes) and f"logger.{filters[0]}.level = warn" in text

    # a JVM-killing error (an OutOfMemoryError in a task of a local master): SparkUncaughtExceptionHandler
    # logged it with its stack trace, 35 lines under -q; its first line (the error) is what says why
    _log_options({}, True, str(tmp_path))
    text = (tmp_path / "log4j2.properties").read_text()
    assert "logger.uncaught.name = org.apache.spark.util.SparkUncaughtExceptionHandler\nlogger.uncaught.level = error\n" in text
    assert "logger.uncaught.additivity = false\nlogger.uncaught.appenderRef.brief.ref = brief\n" in text
    assert "appender.brief.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex{1}\n" in text
    _log_options({}, False, str(tmp_path), own_local_dir=True)
    assert denied((tmp_path / "log4j2.properties").read_text())
    _log_options({}, False, str(tmp_path))
    assert not denied((tmp_path / "log4j2.properties").read_text())


def test_driver_options_of_spark_defaults_are_kept(tmp_path: Path, monkeypatch: Any) -> None:
    # (the review of the log change) an option set on the builder replaced the one in spark-defaults.conf
    from mapper.spark import _log_options

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("# site settings\nspark.driver.extraJavaOptions   -Dsite=1 -Xss8m\nspark.executor.memory 2g\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(conf))
    options = _log_options({}, True, str(tmp_path))
    assert options is not None and options.startswith("-Dsite=1 -Xss8m -Dlog4j2.configurationFile=file:")
    own = _log_options({"spark.driver.extraJavaOptions": "-Dmine=2"}, True, str(tmp_path))  # --conf wins over the file, as in Spark
    assert own is not None and own.startswith("-Dmine=2 -Dlog4j2") and "site" not in own
    (conf / "spark-defaults.conf").write_text("spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=site.xml\n")
    assert _log_options({}, True, str(tmp_path)) is None  # the site's own log configuration


def test_inputs_checked_as_hadoop_reads_them(tmp_path: Path) -> None:
    # (the review of the input checks) Hadoop's glob negation and escapes, read otherwise by
    # Python's glob, were refused; a directory's subdirectories, which Spark does not read, were checked
    from mapper.spark import check_inputs

    for pattern in (str(tmp_path / "[^_]*.json"), str(tmp_path / "c\\[1\\].json")):
        assert check_inputs([pattern]) == [pattern]
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.ndjson").write_text('{"id": 1}\n')
    (d / "sub" / "doc.json").write_text('[\n  {"id": 2}\n]\n')
    # (a later hunt) Spark reads the files only: the subdirectory's records were left out without a word
    with pytest.raises(mapper.OptionError, match="holds files and subdirectories"):
        check_inputs([str(d)])
    (d / "sub" / "b.ndjson").write_text('{"id": 3}\n')
    assert check_inputs([str(d / "a.ndjson"), str(d / "sub" / "*.ndjson")]) == [str(d / "a.ndjson"), str(d / "sub" / "*.ndjson")]
    # (a later hunt) a file whose name holds glob characters: Spark read data1.ndjson for data[1].ndjson
    # (here "no file matches"), and failed on an unclosed '{' once the JVM was up
    for name, escaped in (("data[1].ndjson", "data\\[1\\].ndjson"), ("a{b.ndjson", "a\\{b.ndjson")):
        (tmp_path / name).write_text('{"id": 4}\n')
        with pytest.raises(mapper.OptionError, match="the path holds glob characters") as info:
            check_inputs([str(tmp_path / name)])
        assert str(info.value).endswith(f"({tmp_path}/{escaped})")
        assert check_inputs([f"{tmp_path}/{escaped}"]) == [f"{tmp_path}/{escaped}"]  # escaped: Hadoop reads the file (checked by hand)


def test_partitions_fifos_codecs_and_outputs_are_checked_as_spark_reads_them(tmp_path: Path) -> None:
    # found by a bug hunt: each of these ran, and lost or misread records without a word
    import gzip as gz

    from mapper.errors import OutputError
    from mapper.spark import _check_master, check_inputs, check_output, check_output_apart

    parts = tmp_path / "p"
    (parts / "date=2024-01-01").mkdir(parents=True)
    (parts / "date=2024-01-02").mkdir()
    (parts / "date=2024-01-01" / "a.ndjson").write_text('{"id": 1}\n')
    (parts / "date=2024-01-02" / "b.ndjson").write_bytes(gz.compress(b'{"id": 2}\n'))  # gzip without .gz, inside a partition
    with pytest.raises(mapper.OptionError, match="b.ndjson is gzip-compressed"):
        check_inputs([str(parts)])
    (parts / "date=2024-01-02" / "b.ndjson").write_text('{"id": 2}\n')
    assert check_inputs([str(parts)]) == [str(parts)]
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "sub").mkdir()
    with pytest.raises(mapper.OptionError, match="only subdirectories"):  # (Spark read 0 records, exit 0)
        check_inputs([str(tmp_path / "only")])
    fifo = tmp_path / "f.ndjson"
    os.mkfifo(fifo)
    with pytest.raises(mapper.OptionError, match="not a regular file"):  # (0 records, exit 0: or a jar read for /dev/fd/N)
        check_inputs([str(fifo)])
    (tmp_path / "plain.ndjson.bz2").write_text('{"id": 1}\n')
    with pytest.raises(mapper.OptionError, match="not bz2-compressed"):  # (0 records, exit 0)
        check_inputs([str(tmp_path / "plain.ndjson.bz2")])
    # (a later hunt) xz, which mapper validate reads and Hadoop has no codec for, and bzip2 or zstd
    # content under another name: Spark read the compressed bytes as lines of text (or failed)
    import bz2
    import lzma

    for name, data, message in (
        ("x.ndjson.xz", lzma.compress(b'{"id": 1}\n'), "xz-compressed: Spark \\(Hadoop\\) has no xz codec"),
        ("x.ndjson", lzma.compress(b'{"id": 1}\n'), "no xz codec"),
        ("b.ndjson", bz2.compress(b'{"id": 1}\n'), "bzip2-compressed but its name does not end in .bz2.*rename it to b.ndjson.bz2"),
        ("z.ndjson", b"\x28\xb5\x2f\xfd" + bytes(12), "zstd-compressed but its name does not end in .zst"),
    ):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(mapper.OptionError, match=message):
            check_inputs([str(tmp_path / name)])
    (tmp_path / "b.ndjson.bz2").write_bytes(bz2.compress(b'{"id": 1}\n'))
    assert check_inputs([str(tmp_path / "b.ndjson.bz2")]) == [str(tmp_path / "b.ndjson.bz2")]
    for odd in ("res[1]", "o:1", "a*b"):  # (failed after the whole job ran, or once the JVM was up)
        with pytest.raises(OutputError, match="path pattern"):
            check_output(str(tmp_path / odd))
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.ndjson").write_text('{"id": 1}\n')
    for out, pattern in ((inputs / "out", str(inputs / "*")), (inputs, str(inputs / "a.ndjson")), (inputs / "x", str(inputs))):
        with pytest.raises(OutputError, match="reads it"):  # (a second run read the first one's results as records)
            check_output_apart(str(out), [pattern])
    check_output_apart(str(tmp_path / "elsewhere"), [str(inputs / "*")])
    # a glob reaching below OUT: 'in/*/*' read OUT/mapped's Parquet files as records on the second run
    for pattern in ("*/*", "*/*/*", "{a.ndjson,out}/*", "out/m*", "*/refused/*.json"):
        with pytest.raises(OutputError, match="reads it"):
            check_output_apart(str(inputs / "out"), [str(inputs / pattern)])
    check_output_apart(str(inputs / "out"), [str(inputs / "*/*.ndjson")])  # matches nothing mapper writes
    (tmp_path / "link").symlink_to(inputs)  # a glob through a symlink reaches the same directory
    for pattern in ("*", "*/*"):
        with pytest.raises(OutputError, match="reads it"):
            check_output_apart(str(inputs / "out"), [str(tmp_path / "link" / pattern)])
    ns = argparse.Namespace
    # Spark's own patterns (SparkMasterRegex): no space inside local[...] but around the comma of
    # local[N,F]; a thread count of 0 (or one past an int) is refused too: each printed a Java stack trace
    for master in (
        "local[x]",
        "localhost",
        "local[2",
        "local[ 2]",
        "local[2 ]",
        "local[ *]",
        "local[2,3 ]",
        "local[0]",
        "local[00]",
        "local[99999999999]",
        "local[\u0662]",
    ):
        with pytest.raises(mapper.OptionError, match="--master"):
            _check_master(ns(master=master), {})
    for master in ("local", "local[2]", "local[*]", "local[2,3]", "local[4, 2]", "local-cluster[2, 1, 1024]", "spark://h:7077", "yarn", "k8s://https://h:443"):
        _check_master(ns(master=master), {})  # (spaces as Spark's own patterns allow: a review)
    with pytest.raises(mapper.OptionError, match="^spark.master 'localhost'"):  # named where it came from
        _check_master(ns(master=None), {"spark.master": "localhost"})
    zst = tmp_path / "pzstd.ndjson.zst"
    zst.write_bytes(b"\x50\x2a\x4d\x18" + bytes(12) + b"\x28\xb5\x2f\xfd")  # pzstd's skippable first frame
    assert check_inputs([str(zst)]) == [str(zst)]
    check_output_apart(str(inputs / "out"), [str(inputs / "[^o]*")])  # Hadoop's negation: left to Spark, not misread
    # an existing result is said before the JVM starts (it was, ~20 s later, after Spark's WARN lines)
    pytest.importorskip("pyspark")
    from mapper.cli import main

    out = tmp_path / "out"
    (out / "mapped").mkdir(parents=True)
    started = time.monotonic()
    assert main(["spark-validate", str(EXAMPLE_SINK), str(inputs / "a.ndjson"), "-o", str(out), "-q"]) == 2
    assert time.monotonic() - started < 10 and [p.name for p in out.iterdir()] == ["mapped"]


def test_spark_validate_refuses_a_sink_whose_columns_clash_with_mappers_before_the_jvm_starts(tmp_path: Path) -> None:
    # found by the Spark hunt: a sink column "_missing", or a recordTime "t" beside a column
    # "t__ns", was refused only once the JVM had started (~10 s later); map_dataframe still says the same
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from mapper.cli import main
    from mapper.spark import check_sink_columns

    records = tmp_path / "r.ndjson"
    records.write_text('{"id": "a"}\n')
    # (a column named like those mapper adds that start with '_', '_missing', check refuses:
    # FeatureBase's name rule; spark-validate says so as quickly, exit 2)
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "_missing", "path": ["m"], "type": "string"}]
    with pytest.raises(mapper.DefinitionError, match="'_missing' is not a valid FeatureBase column name"):
        mapper.load_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})
    for extra, clash in (({"name": "t__ns", "path": ["n"], "type": "int"}, "'t__ns'"),):
        definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "recordTime", "config": {"Granularity": "ns"}}, extra]
        sink = {"id_field": "id", "allow_missing_fields": True, "definition": definition}
        path = tmp_path / "sink.json"
        path.write_text(json.dumps(sink))
        with pytest.raises(mapper.OptionError, match=f"{clash} clashes with the (sink column|column mapper adds) "):
            check_sink_columns(mapper.load_sink(sink))
        started = time.monotonic()
        assert main(["spark-validate", str(path), str(records), "-o", str(tmp_path / "out"), "-q"]) == 2
        assert time.monotonic() - started < 5 and not (tmp_path / "out").exists()
    check_sink_columns(mapper.load_sink(EXAMPLE_SINK))  # (a sink of no clash passes)


def test_a_failed_python_worker_is_named_by_its_error_line() -> None:
    from mapper.spark import _first_line

    text = "An exception was thrown from the Python worker. Please see the stack trace below.\nTraceback (most recent call last):\n  File x\nmapper.errors.InputError: cannot read the input: boom\n"
    assert _first_line(RuntimeError(text)) == "mapper.errors.InputError: cannot read the input: boom"


def test_a_captured_java_error_is_named_with_its_root_cause() -> None:
    # pyspark's captured exceptions (a bad --conf value, found as the session starts) read
    # "message\n\nJVM stacktrace:\n...Caused by: ...": the run said only "Spark failed: Error
    # while instantiating 'org.apache.spark.sql.internal.SessionStateBuilder':", not which setting
    from mapper.spark import _first_line

    cause = (
        "org.apache.spark.SparkIllegalArgumentException: [INVALID_CONF_VALUE.TYPE_MISMATCH] The value 'abc' in the config "
        "\"spark.sql.files.maxPartitionBytes\" is invalid. It should be a/an 'bytes in BYTE' value. SQLSTATE: 22022"
    )
    text = (
        "Error while instantiating 'org.apache.spark.sql.internal.SessionStateBuilder':\n\nJVM stacktrace:\n"
        "java.lang.IllegalArgumentException: Error while instantiating 'org.apache.spark.sql.internal.SessionStateBuilder':\n"
        "\tat org.apache.spark.sql.SparkSession$.instantiateSessionState(SparkSession.scala:1)\n"
        f"Caused by: {cause}\n\tat org.apache.spark.sql.errors.QueryExecutionErrors(x.scala:1)\n"
    )
    line = _first_line(RuntimeError(text))
    assert line == f"Error while instantiating 'org.apache.spark.sql.internal.SessionStateBuilder': (caused by {cause})"
    assert _first_line(RuntimeError("Encountered error while reading file file:///x. Details:")) == "Encountered error while reading file file:///x. Details:"


@pytest.mark.parametrize("source", [gen.SINK, str(EXAMPLE_SINK), EDGE_SINK])
def test_definition_survives_the_trip_to_the_workers(source: Any) -> None:
    """Workers compile the sink from its POST body: the same sink, whatever form it came in."""
    sink = mapper.load_sink(source)
    body = sink.to_body()
    again = mapper.load_sink(json.loads(json.dumps(body)))
    assert again.to_body() == body
    same = [replace(c, pointer="") for c in again.columns] == [replace(c, pointer="") for c in sink.columns]  # pointers: mapper.spark keeps the originals
    assert same and again.allow_missing_fields == sink.allow_missing_fields
