"""``mapper.spark``'s Python API given bad arguments: a clear :class:`~mapper.errors.MapperError`, never a Py4J or Python traceback.

What a hostile-user hunt found (each raised an ``AttributeError``, an ``AnalysisException`` or a
``Py4JJavaError`` with Hadoop's stack trace). The Spark session is ``tests/test_spark.py``'s
(one per test run); none of these runs a Spark job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mapper.errors import InputError, OptionError, OutputError
from tests import test_spark
from tests.test_spark import EXAMPLE_RECORDS, EXAMPLE_SINK

spark = test_spark.spark  # the session fixture: one SparkSession (one JVM) for this module and test_spark's


@pytest.mark.parametrize("df", [None, [], {"value": ['{"id": "a"}']}], ids=["None", "list", "dict"])
def test_map_dataframe_refuses_what_is_not_a_spark_dataframe(df: Any) -> None:
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    from mapper.spark import map_dataframe

    with pytest.raises(OptionError, match=rf"df must be a Spark DataFrame .*not builtins\.{type(df).__name__}"):
        map_dataframe(df, EXAMPLE_SINK)


def test_map_dataframe_refuses_a_pandas_dataframe_by_name() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from mapper.spark import map_dataframe

    with pytest.raises(OptionError, match=r"df must be a Spark DataFrame .*not pandas\..*DataFrame"):
        map_dataframe(pd.DataFrame({"value": ['{"id": "a"}']}), EXAMPLE_SINK)


@pytest.mark.parametrize("names", [("value", "value"), ("Value", "VALUE")])
def test_map_dataframe_refuses_two_columns_spark_cannot_tell_apart(spark: Any, names: tuple[str, str]) -> None:
    # two "value" columns: Spark's AnalysisException (AMBIGUOUS_REFERENCE); "Value" and "VALUE": "no column 'value'", which was wrong
    from mapper.spark import map_dataframe

    df = spark.createDataFrame([("{}", "{}")], "a string, b string").toDF(*names)
    with pytest.raises(OptionError, match=rf"the DataFrame has 2 columns named 'value' \({names[0]}, {names[1]}\)"):
        map_dataframe(df, EXAMPLE_SINK)


def test_validate_files_refuses_a_missing_input_and_an_output_that_is_a_file(spark: Any, tmp_path: Path) -> None:
    from mapper.spark import validate_files

    missing = tmp_path / "nope.ndjson"
    with pytest.raises(InputError, match=f"no such file: {missing}"):
        validate_files(spark, EXAMPLE_SINK, [str(EXAMPLE_RECORDS), str(missing)], str(tmp_path / "out"))
    a_file = tmp_path / "out.txt"
    a_file.write_text("x")
    with pytest.raises(OutputError, match=f"cannot write {a_file}: it is not a directory"):
        validate_files(spark, EXAMPLE_SINK, [str(EXAMPLE_RECORDS)], str(a_file))
    assert a_file.read_text() == "x" and not (tmp_path / "out").exists()


def test_validate_files_refuses_what_is_not_a_spark_session(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from mapper.spark import validate_files

    with pytest.raises(OptionError, match="spark must be a SparkSession, not builtins.NoneType"):
        validate_files(None, EXAMPLE_SINK, [str(EXAMPLE_RECORDS)], str(tmp_path / "out"))


def test_refused_line_that_is_not_utf8_keeps_its_bytes_in_raw_base64_as_rejects_does(spark: Any, tmp_path: Path) -> None:
    # Spark's JSON writer wrote each byte that is not UTF-8 as U+FFFD in "raw": the line was lost;
    # mapper validate --rejects writes such a line's bytes as "raw_base64"
    import base64
    import json

    from mapper.cli import main
    from mapper.spark import check_inputs, validate_files

    good = EXAMPLE_RECORDS.read_bytes().splitlines(keepends=True)[0]
    bad_bytes = [b"\xc3\x28 not json", b'{"id": "x\xff\xfe"}', b"\xef\xbb\xbf\x80"]
    src = tmp_path / "in.ndjson"
    src.write_bytes(good + b"".join(b + b"\n" for b in bad_bytes) + b"plain bad\n")
    counts = validate_files(spark, EXAMPLE_SINK, check_inputs([str(src)]), str(tmp_path / "out"))
    assert (counts.mapped_rows, counts.refused_records, counts.lost) == (1, 4, 0)
    lines = [json.loads(ln) for part in sorted((tmp_path / "out" / "refused").glob("part-*")) for ln in part.read_bytes().split(b"\n") if ln]
    by_bytes = {(base64.b64decode(ln["raw_base64"]) if "raw_base64" in ln else ln["raw"].encode("utf-8")): ln for ln in lines}
    assert set(by_bytes) == {*bad_bytes, b"plain bad"}
    for raw, ln in by_bytes.items():
        assert set(ln) == {"file", "record", "line", "position", "errors", "raw" if raw == b"plain bad" else "raw_base64"}
        assert ln["file"] == f"file:{src}" and all(set(e) == {"code", "column", "path", "pointer", "message"} for e in ln["errors"])
    # the same bytes, and the same codes, as mapper validate --rejects writes
    assert main(["validate", str(EXAMPLE_SINK), str(src), "--no-allow-missing-fields", "--rejects", str(tmp_path / "rejects.ndjson")]) == 1
    rejects = [json.loads(ln) for ln in (tmp_path / "rejects.ndjson").read_bytes().split(b"\n") if ln]
    want = {
        (base64.b64decode(r["raw_base64"]) if "raw_base64" in r else r["raw"].encode("utf-8")): (r["record"], r["line"], sorted(e["code"] for e in r["errors"]))
        for r in rejects
    }
    assert want == {raw: (ln["record"], ln["line"], sorted(e["code"] for e in ln["errors"])) for raw, ln in by_bytes.items()}


@pytest.mark.parametrize("key", ["value", "VALUE"])
def test_a_partition_directory_named_value_is_refused_before_the_job(tmp_path: Path, key: str) -> None:
    # Spark read DIR/value=abc/a.ndjson with a partition column 'value' that took the place of the
    # text column: every line was refused with raw "abc", the records themselves lost, and the run exited 1
    from mapper.spark import check_inputs

    part = tmp_path / "p" / f"{key}=abc"
    part.mkdir(parents=True)
    (part / "a.ndjson").write_bytes(EXAMPLE_RECORDS.read_bytes())
    with pytest.raises(OptionError, match=rf"{part}: Spark reads a directory named value=\.\.\. as a partition column 'value'.*\(e\.g\. v=abc\)"):
        check_inputs([str(tmp_path / "p")])
    (part.parent / "day=1").mkdir()  # (the same among other partitions)
    with pytest.raises(OptionError, match="as a partition column 'value'"):
        check_inputs([str(tmp_path / "p")])
    ok = tmp_path / "q" / "values=abc"  # (another key: read as the partition it is)
    ok.mkdir(parents=True)
    (ok / "a.ndjson").write_bytes(EXAMPLE_RECORDS.read_bytes())
    assert check_inputs([str(tmp_path / "q")]) == [str(tmp_path / "q")]


def test_a_struct_column_is_told_to_json_not_a_cast_that_is_not_json(spark: Any) -> None:
    # the advice was df.value.cast('string') whatever the column: a struct cast to string is
    # Spark's "{1, a}", not JSON, so following it refused every record
    from mapper.spark import map_dataframe

    df = spark.createDataFrame([((1, "a"), 7)], "s struct<a:int,b:string>, n int")
    with pytest.raises(OptionError, match=r"column 's' is struct<a:int,b:string>: .*F\.to_json\(df\['s'\]\)"):
        map_dataframe(df, EXAMPLE_SINK, column="s")
    with pytest.raises(OptionError, match=r"column 'n' is int: .*e\.g\. df\['n'\]\.cast\('string'\)"):
        map_dataframe(df, EXAMPLE_SINK, column="n")
    # the advice, followed, maps: to_json's text is a record
    from pyspark.sql import functions as F

    assert map_dataframe(df.select(F.to_json("s").alias("value")), EXAMPLE_SINK).refused.first()["_errors"][0]["code"] != "invalid_json"


@pytest.mark.parametrize("output", ["", None])
def test_validate_files_refuses_an_empty_output_which_read_as_the_root_directory(spark: Any, tmp_path: Path, monkeypatch: Any, output: Any) -> None:
    # output "" was joined as "/mapped" and "/refused": the results written at the file system's root
    import mapper.spark

    def no_writes(*args: Any) -> None:
        raise AssertionError(f"validate_files went on to write {args[1]!r}")

    monkeypatch.setattr(mapper.spark, "_FileSystem", no_writes)
    with pytest.raises(OptionError, match=f"output must name a directory .*not {output!r}"):
        mapper.spark.validate_files(spark, EXAMPLE_SINK, [str(EXAMPLE_RECORDS)], output)


@pytest.mark.parametrize(
    ("confs", "expected"), [({}, "false"), ({"spark.ui.enabled": "true"}, "true"), ({"spark.sql.parquet.datetimeRebaseModeInWrite": "LEGACY"}, "false")]
)
def test_spark_validate_starts_no_web_ui_unless_asked(monkeypatch: Any, tmp_path: Path, confs: dict[str, str], expected: str) -> None:
    # Spark's web UI (port 4040, every interface) was started for a batch command
    import argparse

    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
    import mapper.spark as ms

    given: dict[str, str] = {}

    class Builder:
        def appName(self, _name: str) -> Builder:
            return self

        def master(self, _master: str) -> Builder:
            return self

        def config(self, key: str, value: str) -> Builder:
            given[key] = value
            return self

        def getOrCreate(self) -> Any:
            raise RuntimeError("stop here")

    class Session:
        builder = Builder()

    monkeypatch.setattr(pyspark_sql, "SparkSession", Session)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))  # (no spark-defaults.conf)
    args = argparse.Namespace(master="local[1]", quiet=True)
    with pytest.raises(RuntimeError, match="stop here"):
        ms._session(args, confs, str(tmp_path))
    assert given["spark.ui.enabled"] == expected
    # (Spark 3.x's EXCEPTION failed the job on a timestamp before 1900: written as it is, unless the user says otherwise)
    rebase = "spark.sql.parquet.datetimeRebaseModeInWrite"
    assert given[rebase] == confs.get(rebase, "CORRECTED") and given["spark.sql.parquet.int96RebaseModeInWrite"] == "CORRECTED"
    assert given["spark.sql.parquet.outputTimestampType"] == "TIMESTAMP_MICROS"  # (in the session: 3.5 takes it over the write's option)


def test_a_case_sensitive_session_tells_value_from_value_apart() -> None:
    # with spark.sql.caseSensitive=true Spark tells `value` from `Value`: refused as ambiguous all the same
    from types import SimpleNamespace

    from mapper.spark import _case_sensitive, _find_column

    fields = [SimpleNamespace(name="Value"), SimpleNamespace(name="value")]
    with pytest.raises(OptionError, match="2 columns named 'value'"):
        _find_column(fields, "value")
    assert _find_column(fields, "value", case_sensitive=True) == 1
    with pytest.raises(OptionError, match="no column 'value'"):
        _find_column([SimpleNamespace(name="Value")], "value", case_sensitive=True)

    def session(setting: str | None) -> Any:
        conf = SimpleNamespace(get=lambda key, default: default if setting is None else setting)
        return SimpleNamespace(sparkSession=SimpleNamespace(conf=conf))

    assert [_case_sensitive(session(s)) for s in (None, "false", "true", "TRUE")] == [False, False, True, True]
    assert _case_sensitive(object()) is False


@pytest.mark.parametrize("expr, shown", [("INTERVAL '1' YEAR", "interval year"), ("make_interval(1, 2, 3, 4, 5, 6, 7)", "interval")])
def test_a_column_arrow_cannot_carry_is_named_not_pysparks_mapinpandas_error(spark: Any, expr: str, shown: str) -> None:
    # a year-month or calendar interval beside the text: pyspark's PySparkNotImplementedError, "Invalid return
    # type in mapInPandas: StructType([...every output column...])", naming neither the column nor mapInArrow
    from pyspark.sql import functions as F

    from mapper.spark import map_dataframe

    df = spark.createDataFrame([('{"id": "a"}',)], "value string").withColumn("span", F.expr(expr)).withColumn("kept", F.lit(1))
    with pytest.raises(OptionError, match=rf"^column 'span' is {shown}: Spark cannot pass it to Python as Arrow .*cast\('string'\)"):
        map_dataframe(df, EXAMPLE_SINK)
    assert map_dataframe(df.withColumn("span", F.col("span").cast("string")), EXAMPLE_SINK).passthrough == ("span", "kept")


def test_local_workers_that_cannot_import_mapper_are_said_before_any_job(spark: Any, tmp_path: Path, monkeypatch: Any) -> None:
    # a script run with a virtualenv's python, PYSPARK_PYTHON unset: Spark's local workers are python3 from the
    # PATH, without mapper; the first action failed with a Java stack trace and pyspark's worker traceback
    # (ModuleNotFoundError: No module named 'mapper'), after the job had started
    from mapper.errors import MissingDependencyError
    from mapper.spark import map_dataframe

    other = tmp_path / "python3"
    other.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'mapper'\" >&2\nexit 1\n")
    other.chmod(0o755)
    monkeypatch.setattr(spark.sparkContext, "pythonExec", str(other))
    df = spark.createDataFrame([('{"id": "a"}',)], "value string")
    with pytest.raises(
        MissingDependencyError,
        match=rf"workers with {re.escape(str(other))}, which cannot import mapper \(ModuleNotFoundError: No module named 'mapper'\): .*PYSPARK_PYTHON=",
    ):
        map_dataframe(df, EXAMPLE_SINK)
    other.write_text("#!/bin/sh\nexit 0\n")  # one that can: asked once more (the answer is kept per interpreter only when it can)
    assert map_dataframe(df, EXAMPLE_SINK).passthrough == ()
