"""Inputs ``mapper validate`` and the Spark path must read alike (mapper.spark).

* A gzip file with zero bytes after its data (tar's or dd's padding to a block): mapper's
  reader (Python's gzip) and GNU gzip skip them; Hadoop's codec reads them as another
  member and fails the job ("not a gzip file"). The records are whole, so skipping is
  right; Spark cannot be made to, so the file is refused before the job when that is
  cheap to tell, and a job that fails on it says so, naming the file and the fix.

The tests without ``spark`` start no JVM; the others share test_spark's session.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sinks import id_sink

import mapper
from mapper import spark as ms
from tests import test_spark

spark = test_spark.spark  # the session fixture: one SparkSession (one JVM) for this module and test_spark's

SINK = id_sink(name="s", table="t")
RECORDS = b"".join(b'{"id": %d}\n' % i for i in range(20))


def _mapper_reads(path: Path) -> int:
    """How many records mapper's own reader (``mapper validate``) takes from ``path``."""
    report = mapper.compile_sink(SINK).validate(path)
    assert report.accepted, report
    return report.records


# ---------------------------------------------------------------------------------------
# gzip with zero bytes after its data


def test_zero_padded_gzip_is_refused_before_the_job_with_the_cut_that_fixes_it(tmp_path: Path) -> None:
    packed = gzip.compress(RECORDS)
    padded = tmp_path / "padded.ndjson.gz"
    padded.write_bytes(packed + b"\0" * 1024)
    assert _mapper_reads(padded) == 20  # mapper validate skips the zeros, as gzip -d does
    with pytest.raises(mapper.OptionError) as refused:
        ms.check_inputs([str(padded)])
    text = str(refused.value)
    assert "padded.ndjson.gz holds 1,024 zero bytes after its gzip data" in text, text
    assert f"from byte {len(packed):,}" in text and f"truncate -s {len(packed)} {padded}:" in text, text
    # a directory holding it too
    with pytest.raises(mapper.OptionError, match="1,024 zero bytes after its gzip data"):
        ms.check_inputs([str(tmp_path)])


def test_gzip_ending_in_an_empty_member_is_not_taken_for_padding(tmp_path: Path) -> None:
    """An empty member's CRC and length are zero (its last nine bytes): the file is whole."""
    whole = tmp_path / "two.ndjson.gz"
    whole.write_bytes(gzip.compress(RECORDS) + gzip.compress(b""))
    assert whole.read_bytes().endswith(b"\0" * 8)
    assert ms.check_inputs([str(whole)]) == [str(whole)]
    assert ms._gzip_padding(str(whole)) is None


def test_zeros_between_members_are_found_when_the_file_is_unpacked(tmp_path: Path) -> None:
    first = gzip.compress(RECORDS[:50])
    path = tmp_path / "between.ndjson.gz"
    path.write_bytes(first + b"\0" * 100 + gzip.compress(RECORDS[50:]))
    assert _mapper_reads(path) == 20
    assert ms._gzip_padding(str(path)) == (len(first), 100, False)
    said = ms._padding_text(len(first), 100, False, "my a.ndjson.gz")
    assert "between two of its gzip members" in said and said.endswith("(gzip -dc 'my a.ndjson.gz' | gzip > 'my a-2.ndjson.gz')"), said
    # cut or corrupt is no padding (the job's own message says what it is)
    (tmp_path / "cut.gz").write_bytes(first[:-5] + b"\0" * 5)
    assert ms._gzip_padding(str(tmp_path / "cut.gz")) is None


@pytest.mark.parametrize("split", [1, 2])
def test_a_members_magic_split_by_a_read_is_still_a_member(tmp_path: Path, split: int) -> None:
    # (the member after the first started one byte before the end of a read: b"\x1f" alone was
    # taken for something other than a member, and the zeros after the second went unfound)
    first, second = gzip.compress(RECORDS[:50]), gzip.compress(RECORDS[50:])
    path = tmp_path / "split.ndjson.gz"
    path.write_bytes(first + second + b"\0" * 7)
    chunk = len(first) + split  # a read ends inside the second member's magic (1), or right after it (2)
    assert ms._gzip_padding(str(path), chunk=chunk) == (len(first) + len(second), 7, True)


def test_a_job_failing_on_padding_says_so(spark: Any, tmp_path: Path) -> None:
    """validate_files gives Spark the paths unchecked (check_inputs is the command's); with
    three zeros Spark fails ("Unexpected end of input stream": fewer than a header), and
    the error says why, naming the file (the zeros are found once the job has failed)."""
    packed = gzip.compress(RECORDS)
    padded = tmp_path / "in" / "short pad.ndjson.gz"
    padded.parent.mkdir()
    padded.write_bytes(packed + b"\0" * 3)
    assert _mapper_reads(padded) == 20
    out = tmp_path / "out"
    with pytest.raises(mapper.InputError) as failed:
        ms.validate_files(spark, SINK, [str(padded)], str(out))
    text = str(failed.value)
    assert text.startswith(f"Spark failed to read {padded}: it holds 3 zero bytes after its gzip data"), text
    assert f"truncate -s {len(packed)} '{padded}':" in text, text  # (its name holds a space)
    assert not out.exists() or [p.name for p in out.iterdir()] == []


# ---------------------------------------------------------------------------------------
# A partition directory named value=... read into a DataFrame


def _partitioned(root: Path, *dirs: str) -> Path:
    for d in dirs:
        (root / d).mkdir(parents=True)
        (root / d / "a.ndjson").write_bytes(RECORDS)
    return root


@pytest.mark.parametrize("directory", ["value=abc", "Value=1"])
def test_map_dataframe_refuses_text_whose_value_a_partition_replaces(spark: Any, tmp_path: Path, directory: str) -> None:
    """``spark.read.text(DIR)`` with ``DIR/value=abc/``: the partition column ``value``
    replaced each line's text (value=abc: every record refused with text "abc"; value=1:
    an int column, refused as the wrong type with a cast to suggest)."""
    root = _partitioned(tmp_path / "in", directory)
    df = spark.read.text(str(root))
    with pytest.raises(mapper.OptionError) as refused:
        ms.map_dataframe(df, SINK)
    text = str(refused.value)
    assert f"partition directory named {directory.split('=')[0]}=... ({root / directory})" in text, text
    assert "each line's text" in text and "recursiveFileLookup" in text, text
    # renamed, the text is gone all the same
    with pytest.raises(mapper.OptionError, match="partition directory named"):
        ms.map_dataframe(df.withColumnRenamed("value", "line"), SINK, column="line")


def test_other_partitions_and_the_suggested_read_are_mapped(spark: Any, tmp_path: Path) -> None:
    root = _partitioned(tmp_path / "in", "day=1")
    out = ms.map_dataframe(spark.read.text(str(root)), SINK)
    assert out.passthrough == ("day",)
    shadowed = _partitioned(tmp_path / "shadowed", "value=abc")
    flat = spark.read.option("recursiveFileLookup", "true").text(str(shadowed))
    rows = ms.map_dataframe(flat, SINK).rows.select("_id", "_errors").collect()
    assert sorted(int(r["_id"]) for r in rows) == list(range(20)) and all(r["_errors"] is None for r in rows)


# ---------------------------------------------------------------------------------------
# The line number of each refused record, as --rejects gives it


def _lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[: data.count(b"\n") + (not data.endswith(b"\n"))]


def test_refused_lines_carry_their_line_in_their_file(spark: Any, tmp_path: Path) -> None:
    """``line`` (1-based, blank lines counted) is the line ``mapper validate --rejects`` names,
    and ``record`` (0-based, blank lines not counted) the record it names for that file alone,
    also where Spark split a large file over several partitions (2 KB splits here) and
    packed small files into one, and in a .gz (one split)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    files: dict[str, bytes] = {}
    big = []
    for i in range(1000):  # ~14 KB: seven splits of 2 KB, bad lines throughout, blank ones too
        big.append(b'{"id": "bad %d"}' % i if i % 37 == 5 else b"" if i % 11 == 3 else b'{"id": %d}' % i)
    files["big.ndjson"] = b"\n".join(big) + b"\n"
    for k in range(6):  # small files, several to a partition
        files[f"small{k}.ndjson"] = b'{"id": 1}\n\n{"id": "bad small %d"}\n{"id": 2}\r\n{bad %d\n' % (k, k)
    files["packed.ndjson.gz"] = gzip.compress(b'\n{"id": "bad gz"}\n{"id": 3}\n{"id": -1}')
    for name, data in files.items():
        (inputs / name).write_bytes(data)
    expected = set()
    for name, data in files.items():
        text = gzip.decompress(data) if name.endswith(".gz") else data
        records = 0
        for n, line in enumerate(_lines_of(text), 1):
            if b"bad" in line or b"-1" in line:
                expected.add((name, records, n, line.decode()))
            records += bool(line.strip(b" \t\r"))
    # mapper's own reader names the same lines and records
    report = mapper.compile_sink(SINK).validate(inputs / "small3.ndjson", on_error="skip")
    assert (
        sorted((r.record, r.line) for r in report.rejected) == sorted((rec, n) for name, rec, n, _ in expected if name == "small3.ndjson") == [(1, 3), (3, 5)]
    )
    conf = {"spark.sql.files.maxPartitionBytes": "2048", "spark.sql.files.openCostInBytes": "0"}
    before = {k: spark.conf.get(k) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        assert spark.read.text(str(inputs)).rdd.getNumPartitions() >= 4  # the big file is split
        counts = ms.validate_files(spark, SINK, [str(inputs)], str(tmp_path / "out"))
    finally:
        for k, v in before.items():
            spark.conf.set(k, v)
    refused = [json.loads(x) for f in sorted((tmp_path / "out" / "refused").glob("part-*")) for x in f.read_text().splitlines()]
    assert counts.refused_records == len(refused) == len(expected)
    assert list(refused[0]) == ["file", "record", "line", "position", "errors", "raw"]
    got = {(r["file"].rsplit("/", 1)[-1], r["record"], r["line"], r["raw"]) for r in refused}
    assert got == expected


def test_a_file_read_twice_numbers_each_copy_from_one(spark: Any, tmp_path: Path) -> None:
    """Named twice, a file is read twice (two partitions): each copy's lines are its own, not
    counted on from the other copy's (the second copy's bad lines were 7 and 8, not 3 and 4)."""
    path = tmp_path / "a.ndjson"
    path.write_bytes(b'{"id": 1}\n\n{"id": "x"}\n{bad\n')
    assert spark.read.text([str(path), str(path)]).rdd.getNumPartitions() == 2
    counts = ms.validate_files(spark, SINK, [str(path), str(path)], str(tmp_path / "out"))
    refused = [json.loads(x) for f in sorted((tmp_path / "out" / "refused").glob("part-*")) for x in f.read_text().splitlines()]
    assert counts.refused_records == 4
    assert sorted((r["line"], r["raw"]) for r in refused) == [(3, '{"id": "x"}'), (3, '{"id": "x"}'), (4, "{bad"), (4, "{bad")]


def test_a_file_read_twice_in_one_partition_numbers_each_copy_from_one(spark: Any, tmp_path: Path) -> None:
    """Both copies of a small file named twice in one partition (packed after another file's
    second split): the rows look like one read of twice the lines, so the second copy's lines
    were numbered 7 and 8; Spark's plan says the split was read twice."""
    path, other = tmp_path / "a.ndjson", tmp_path / "c.ndjson"
    path.write_bytes(b'{"id": 1}\n\n{"id": "x"}\n{bad\n')
    other.write_bytes(b'{"id": 5}\n' * 11 + b'{"id": "c"}\n')  # its last line in its second split
    paths = [str(path), str(path), str(other)]
    before = spark.conf.get("spark.sql.files.openCostInBytes")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        from pyspark.sql import functions as F

        where = spark.read.text(paths).select(F.spark_partition_id().alias("p"), F.col("_metadata.file_name").alias("f"))
        parts = {r["f"]: r["ps"] for r in where.groupBy("f").agg(F.collect_set("p").alias("ps")).collect()}
        assert len(parts["a.ndjson"]) == 1 and len(parts["c.ndjson"]) == 2  # both copies in one partition, c split
        counts = ms.validate_files(spark, SINK, paths, str(tmp_path / "out"))
    finally:
        spark.conf.set("spark.sql.files.openCostInBytes", before)
    refused = [json.loads(x) for f in sorted((tmp_path / "out" / "refused").glob("part-*")) for x in f.read_text().splitlines()]
    assert counts.refused_records == 5
    got = sorted((r["file"].rsplit("/", 1)[-1], r["record"], r["line"], r["raw"]) for r in refused)
    assert got == [("a.ndjson", 1, 3, '{"id": "x"}')] * 2 + [("a.ndjson", 2, 4, "{bad")] * 2 + [("c.ndjson", 11, 12, '{"id": "c"}')]


@pytest.mark.parametrize(
    ("master", "confs", "expected"), [("local[1]", {"spark.master": "local[2]"}, "local[1]"), (None, {"spark.master": "local[2]"}, "local[2]")]
)
def test_the_master_spark_takes_is_the_one_checked(monkeypatch: Any, tmp_path: Path, master: str | None, confs: dict[str, str], expected: str) -> None:
    # --master beats --conf spark.master, as spark-submit has it and as _check_master and _master
    # judge them; the session was given both, the --conf last, so Spark took an unchecked one
    # (--master local[1] --conf spark.master=localhost: a Java stack trace)
    import argparse
    import sys

    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")

    def stop(self: Any) -> Any:
        raise RuntimeError(self._options.get("spark.master"))

    monkeypatch.setattr(pyspark_sql.SparkSession.Builder, "getOrCreate", stop)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))  # (no spark-defaults.conf)
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # (_session sets it for a local master: not past this test)
    args = argparse.Namespace(master=master, quiet=True)
    assert ms._master(args, confs) == expected
    with pytest.raises(RuntimeError) as raised:
        ms._session(args, confs, str(tmp_path))
    assert str(raised.value) == expected


@pytest.mark.parametrize("where", ["conf", "spark-defaults"])
def test_a_named_spark_pyspark_python_is_the_local_workers_python(monkeypatch: Any, tmp_path: Path, where: str) -> None:
    # pyspark reads the workers' interpreter from PYSPARK_PYTHON alone (spark-submit makes it from
    # spark.pyspark.python); a session pyspark starts never reads the conf. Given one, _session
    # left PYSPARK_PYTHON unset: the workers were python3 from the PATH, without mapper
    import argparse

    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")

    def stop(self: Any) -> Any:
        raise RuntimeError("no session")

    monkeypatch.setattr(pyspark_sql.SparkSession.Builder, "getOrCreate", stop)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.setenv("PYSPARK_PYTHON", "/usr/bin/python-of-the-environment")  # (the conf takes precedence, as Spark's docs have it)
    python = str(tmp_path / "env" / "bin" / "python")
    confs = {"spark.pyspark.python": python} if where == "conf" else {}
    if where == "spark-defaults":
        (tmp_path / "spark-defaults.conf").write_text(f"spark.pyspark.python {python}\n")
    with pytest.raises(RuntimeError, match="no session"):
        ms._session(argparse.Namespace(master="local[2]", quiet=True), confs, str(tmp_path))
    assert os.environ["PYSPARK_PYTHON"] == python


@pytest.mark.parametrize(("tty", "confs", "expected"), [(False, {}, "false"), (True, {}, None), (False, {"spark.ui.showConsoleProgress": "true"}, "true")])
def test_no_progress_bar_into_what_is_not_a_terminal(monkeypatch: Any, tmp_path: Path, tty: bool, confs: dict[str, str], expected: str | None) -> None:
    # without -q, Spark's progress bar was written to a log file or a pipe too: a line rewritten with
    # a carriage return several times a second (a 90-record run with 170 partitions: tens of KB)
    import argparse
    import io
    import sys

    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")

    def stop(self: Any) -> Any:
        raise RuntimeError(repr(self._options.get("spark.ui.showConsoleProgress")))

    class Stderr(io.StringIO):
        def isatty(self) -> bool:
            return tty

    monkeypatch.setattr(pyspark_sql.SparkSession.Builder, "getOrCreate", stop)
    monkeypatch.setattr(sys, "stderr", Stderr())
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))  # (no spark-defaults.conf)
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    with pytest.raises(RuntimeError) as raised:
        ms._session(argparse.Namespace(master="local[2]", quiet=False), confs, str(tmp_path))
    assert str(raised.value) == repr(expected)
