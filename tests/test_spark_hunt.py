"""``mapper spark-validate`` against ``mapper validate`` on the same files: what a differential hunt found.

Each test writes small files, runs them through :func:`mapper.spark.validate_files` (the
job ``mapper spark-validate`` runs) and compares with what ``mapper validate`` reports for
them. The Spark session is ``tests/test_spark.py``'s (one per test run).
"""

from __future__ import annotations

import json
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
    assert "note: the input is UTF-16 text, not UTF-8 as JSON must be" in capsys.readouterr().out
    code = main(["spark-validate", str(EXAMPLE_SINK), str(wide), str(good), "-o", str(tmp_path / "out"), "-q"])
    printed = capsys.readouterr().out
    assert code == 1 and "mapped:  1 row" in printed
    assert (
        f"note: {wide} is UTF-16 text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `iconv -f UTF-16 -t UTF-8 FILE`\n"
        in printed
    )
    assert "good.ndjson is" not in printed
