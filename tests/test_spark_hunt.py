"""``mapper spark-validate`` against ``mapper validate`` on the same files: what a differential hunt found.

Each test writes small files, runs them through :func:`mapper.spark.validate_files` (the
job ``mapper spark-validate`` runs) and compares with what ``mapper validate`` reports for
them. The Spark session is ``tests/test_spark.py``'s (one per test run).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import mapper
from tests import test_spark
from tests.test_spark import EXAMPLE_RECORDS, EXAMPLE_SINK

spark = test_spark.spark  # the session fixture: one SparkSession (one JVM) for this module and test_spark's

GOOD = EXAMPLE_RECORDS.read_bytes().splitlines(keepends=True)[0]


def _refused(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for part in sorted((out / "refused").glob("part-*")) for line in part.read_text(encoding="utf-8").splitlines() if line]


def test_refused_file_is_the_files_own_name_not_percent_encoded(spark: Any, tmp_path: Path) -> None:
    # Spark's _metadata.file_path is a URI: a space was written as %20, a '%' as %25, so
    # "a b.ndjson" and a file really named "a%20b.ndjson" both read "a%20b.ndjson" in OUT/refused,
    # where mapper validate --rejects names each file as it is
    from mapper.spark import check_inputs, validate_files

    names = ["a b.ndjson", "a%20b.ndjson", "c+d é.ndjson"]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(GOOD + b'{"bad": %d\n' % i)
    paths = check_inputs([str(tmp_path / n) for n in names])
    counts = validate_files(spark, EXAMPLE_SINK, paths, str(tmp_path / "out"))
    assert (counts.mapped_rows, counts.refused_records, counts.lost) == (3, 3, 0)
    by_raw = {r["raw"]: r["file"] for r in _refused(tmp_path / "out")}
    assert by_raw == {'{"bad": %d' % i: f"file:{tmp_path / name}" for i, name in enumerate(names)}
    # the same refusals, one per file, as mapper validate finds them
    local = mapper.compile_sink(EXAMPLE_SINK)
    for name in names:
        assert [r.errors[0].code for r in local.map((tmp_path / name).read_bytes(), on_error="skip").report.rejected] == ["invalid_json"]


def test_utf16_input_gets_validates_note_on_why_every_line_is_refused(spark: Any, tmp_path: Path, capsys: Any) -> None:
    # mapper validate refuses each line of a UTF-16 file (invalid character at char 1) and says
    # why in a note; spark-validate refused them alike, with nothing to say they were UTF-16
    from mapper.cli import main

    wide = tmp_path / "wide.ndjson"
    wide.write_bytes(b"\xff\xfe" + EXAMPLE_RECORDS.read_text(encoding="utf-8").encode("utf-16-le"))
    good = tmp_path / "good.ndjson"
    good.write_bytes(GOOD)
    assert main(["validate", str(EXAMPLE_SINK), str(wide), str(good)]) == 1
    assert f"note: {wide} is UTF-16 text, not UTF-8 as JSON must be" in capsys.readouterr().out  # (of several inputs, named)
    code = main(["spark-validate", str(EXAMPLE_SINK), str(wide), str(good), "-o", str(tmp_path / "out"), "-q"])
    printed = capsys.readouterr().out
    assert code == 1 and "mapped:  1 row" in printed
    assert (
        f"note: {wide} is UTF-16 text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `iconv -f UTF-16 -t UTF-8 {shlex.quote(str(wide))}`\n"
        in printed
    )
    assert "good.ndjson is" not in printed


def test_odd_files_map_and_refuse_as_validate_does(spark: Any, tmp_path: Path) -> None:
    # The inputs the hunt ran through both (they agreed; kept so they go on agreeing): CRLF, blank
    # lines, a BOM opening a file, no final newline, invalid UTF-8, 1e400, an int beyond 2^64,
    # duplicate keys, deep nesting, records that are not objects, an empty file, gzip (two
    # members) and bzip2, a line over --max-record-size, and a file split mid-line over partitions
    import bz2
    import gzip
    from collections import Counter

    import pyarrow.parquet as pq

    from mapper.spark import check_inputs, validate_files

    good = EXAMPLE_RECORDS.read_bytes().splitlines(keepends=True)
    pad = good[1].replace(b'"name"', b'"pad": "' + b"x" * 1100 + b'", "name"')
    many = b"".join(good[i % 3].replace(b'"name"', b'"n%d": %d, "name"' % (i, i)) for i in range(24))
    files = {
        "crlf.ndjson": b"\xef\xbb\xbf" + b"".join(good).replace(b"\n", b"\r\n") + b"\r\n  \r\n{bad\r\n",
        "odd.ndjson": good[0].replace(b"45.1199", b"1e400")
        + good[1].replace(b"1200", b"18446744073709551616")
        + good[2].replace(b'"speed": 160', b'"speed": 160, "speed": "x"')
        + b'{"deep": '
        + b"[" * 400
        + b"]" * 400
        + b"}\n"
        + b'[1]\n"s"\nnull\n\n'
        + good[0].replace(b"G-ZBJA", b"G-\xff\xfe")
        + pad
        + good[2].rstrip(b"\n"),
        "empty.ndjson": b"",
        "two.ndjson.gz": gzip.compress(good[0]) + gzip.compress(b"{bad\n" + good[1]),
        "b.ndjson.bz2": bz2.compress(good[2] + b"[]\n"),
        "split.ndjson": many[: many.index(b"\n", 2000) + 1] + b"{cut\n" + many[many.index(b"\n", 2000) + 1 :],
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    local = mapper.compile_sink(EXAMPLE_SINK)
    want_ids: Counter[str] = Counter()
    want_refused: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    for name in files:
        batch = local.map(str(tmp_path / name), on_error="skip", max_record_size=1024)
        want_ids.update(str(i) for i in batch.ids.tolist())
        for r in batch.report.rejected:
            want_refused[(name, (r.raw or b"").decode("utf-8", "replace")[:200], tuple(e.code for e in r.errors))] += 1
    assert sum(want_refused.values()) == 11 and sum(want_ids.values()) == 3 + 3 + 2 + 1 + 24
    spark.conf.set("spark.sql.files.maxPartitionBytes", "1500")  # split.ndjson in three partitions, cut mid-line
    try:
        paths = check_inputs([str(tmp_path / name) for name in files])
        counts = validate_files(spark, EXAMPLE_SINK, paths, str(tmp_path / "out"), max_record_size=1024)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    got_refused = Counter((r["file"].rsplit("/", 1)[-1], r["raw"][:200], tuple(e["code"] for e in r["errors"])) for r in _refused(tmp_path / "out"))
    assert got_refused == want_refused
    assert Counter(pq.read_table(tmp_path / "out" / "mapped").column("_id").to_pylist()) == want_ids
    assert (counts.input_records, counts.blank_lines, counts.lost) == (sum(want_ids.values()) + 11, 3, 0)


def test_a_failed_last_rename_leaves_neither_half_under_the_final_names(spark: Any, tmp_path: Path, monkeypatch: Any) -> None:
    # found in the hunt: the halves are renamed into place one after the other; the second
    # failing (another writer making OUT/refused meanwhile, a Ctrl-C between them) left
    # OUT/mapped in place without OUT/refused: half an output under the final names
    import pytest

    from mapper import spark as ms
    from mapper.errors import InputError

    (tmp_path / "r.ndjson").write_bytes(GOOD + b'{"bad": 1\n')
    real = ms._FileSystem.rename

    def rename(self: Any, source: str, target: str) -> None:
        if target.endswith("/refused"):
            raise InputError(f"cannot move {source} to {target}")
        real(self, source, target)

    monkeypatch.setattr(ms._FileSystem, "rename", rename)
    with pytest.raises(InputError, match="cannot move"):
        ms.validate_files(spark, EXAMPLE_SINK, ms.check_inputs([str(tmp_path / "r.ndjson")]), str(tmp_path / "out"))
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no mapped/, no refused/, no staging directory


def test_a_failed_run_whose_jvm_is_gone_still_removes_its_staging_directory(spark: Any, tmp_path: Path, monkeypatch: Any) -> None:
    # a SIGTERM to the whole process group (timeout's, kill -- -PGID) ends the JVM as spark-validate
    # takes it: Hadoop's delete, through the JVM, failed, and the staging directory (the results
    # written so far) stayed in OUT till a later run into OUT
    import pytest

    from mapper import spark as ms

    (tmp_path / "r.ndjson").write_bytes(GOOD + b'{"bad": 1\n')

    def gone(self: Any, path: str) -> None:
        raise ConnectionRefusedError("the JVM is gone")

    def stop(*_args: Any) -> Any:  # (after the mapped rows are written under the staging directory)
        assert any((tmp_path / "out").glob(".mapper-staging-*/mapped"))
        raise RuntimeError("the job failed")

    monkeypatch.setattr(ms._FileSystem, "delete", gone)
    monkeypatch.setattr(ms, "_splits", stop)
    with pytest.raises(RuntimeError, match="the job failed"):
        ms.validate_files(spark, EXAMPLE_SINK, ms.check_inputs([str(tmp_path / "r.ndjson")]), str(tmp_path / "out"))
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_a_line_holding_only_a_bom_numbers_the_records_after_it_as_validate_does(spark: Any, tmp_path: Path) -> None:
    # A line holding only a BOM inside a file is skipped here (docs/spark.md) but a record
    # validate refuses: every refused record after it had a record number one less than
    # --rejects gives it. A file opening with one (validate drops the BOM: a blank line) is
    # no record in either; files split over partitions (a BOM line in an earlier split) and
    # small files packed into one partition after such a file count alike.
    from mapper.spark import check_inputs, validate_files

    good = EXAMPLE_RECORDS.read_bytes().splitlines(keepends=True)
    many = b"".join(good[i % 3].replace(b'"name"', b'"n%d": %d, "name"' % (i, i)) for i in range(12))
    files = {
        "mid.ndjson": good[0] + b'{"bad": 1\n' + b"\xef\xbb\xbf\n" + good[1] + b'{"bad": 2\n' + b"\xef\xbb\xbf \r\n\n" + b'{"bad": 3\n',
        "opens.ndjson": b"\xef\xbb\xbf\n" + good[0] + b"\xef\xbb\xbf\n" + b'{"bad": 4\n',
        "split.ndjson": b"\xef\xbb\xbf" + good[2] + b"\xef\xbb\xbf\n" + many + b'{"bad": 5\n' + b"\xef\xbb\xbf\n" + many + b'{"bad": 6\n',
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    local = mapper.compile_sink(EXAMPLE_SINK)
    want = set()
    boms = 0
    for name in files:
        for r in local.map(str(tmp_path / name), on_error="skip").report.rejected:
            if (r.raw or b"").lstrip(b"\xef\xbb\xbf").strip(b" \r"):  # (a BOM line: refused there, skipped here)
                want.add((name, r.record, r.line, (r.raw or b"").decode()))
            else:
                boms += 1
    assert (len(want), boms) == (6, 5)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "2000")  # split.ndjson over several partitions, the small files packed
    try:
        counts = validate_files(spark, EXAMPLE_SINK, check_inputs([str(tmp_path / n) for n in files]), str(tmp_path / "out"))
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    got = {(r["file"].rsplit("/", 1)[-1], r["record"], r["line"], r["raw"]) for r in _refused(tmp_path / "out")}
    assert got == want
    # the BOM lines are skipped (blank lines here), as docs/spark.md says: not refused, not mapped
    assert (counts.refused_records, counts.error_counts, counts.blank_lines, counts.lost) == (6, {"invalid_json": 6}, 7, 0)
