"""benchmarks/spark_bench.py runs end to end on a few records, so it cannot rot.

One master (local[2]) in this process, 600 records, one timed run: it guards the
instrument (the contenders run, the counts add up), not the speed. Skipped, saying
why, without pyspark (the spark extra) or Java.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.gen import SINK, generate


def test_spark_bench_runs_and_loses_nothing(tmp_path: Path) -> None:
    for module in ("pyspark", "pyarrow", "pandas"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: pyspark needs a JVM (Java 17)")
    from benchmarks.spark_bench import report, run_master

    clean, bad = tmp_path / "clean.ndjson", tmp_path / "bad.ndjson"
    clean.write_bytes(generate(600))
    bad.write_bytes(generate(600, "bad", seed=7))
    result = run_master("local[2]", str(clean), str(bad), SINK, repeat=1, batch_rows=200)
    assert result["records"] == 600 and result["cores"] == 2
    assert set(result["median_s"]) == {"mapper", "from_json", "from_json+cast", "scan"}
    if sys.platform.startswith("linux"):
        assert result["median_cpu_s"]["mapper"] > 0  # the JVM and the Python workers, counted from /proc
    b = result["bad"]
    assert b["input"] == 600 and b["refused"] > 0 and b["mapped"] + b["refused"] == 600
    assert b["from_json_rows"] == 600  # from_json keeps every row, bad or not
    assert result["worker_memory"] and all(m["hwm_kb"] > 0 for m in result["worker_memory"])
    lines = report([result])
    assert any(line.startswith("PASS  nothing lost") for line in lines)
