"""mapper inside Spark, side by side with Spark's own ``from_json`` (issue 17's targets).

    python -m benchmarks.spark_bench [--records 1000000] [--repeat 3] [--masters local[2],local[1]]
                                     [--batch-rows 10000] [--json PATH]

The seed records (:mod:`benchmarks.gen`) are written to a temporary NDJSON file once,
clean and 1%-bad. Each master runs in a fresh process (its own JVM), which reads the
clean file with ``spark.read.text``, caches it, and times the step a Spark user would
write to type it, round-robin after a warm-up (median of ``--repeat``):

* ``mapper``: :func:`mapper.spark.map_dataframe` (``mapInArrow``: validation, the
  endpoint's conversions, ``_missing``, refused records with their errors);
* ``from_json``: ``from_json`` with an explicit schema (decimals read as
  ``decimal(19,Scale)``), then the casts to the same column types (``timestamp_millis``
  for a ms timestamp, ...);
* ``from_json+cast``: the same, reading decimals as ``double`` and casting them to
  ``decimal(19,Scale)``;
* ``scan``: the cached text alone (what every contender pays to read its input).

Each step is forced with ``write.format("noop")``, which computes every column and
writes nothing. Besides the wall time, each run counts the CPU seconds the JVM and the
Python workers spent (``/proc``): on a shared machine the neighbours move wall times
far more than CPU times. Then, on the 1%-bad file: mapped rows + refused records against the
input count (nothing lost), mapper's refusals by error code next to the rows
``from_json`` typed with a null it cannot explain, and the peak RSS of the Python
workers. The target ratio is against the faster ``from_json`` variant.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from mapper import load_sink
from mapper.model import Sink

from .contenders import Unsupported, leaf_kind
from .gen import SINK, generate, positive_int

RESULTS = Path(__file__).resolve().parent / "results"
TS_FROM_UNIT = {"s": "timestamp_seconds", "ms": "timestamp_millis", "us": "timestamp_micros"}


# ---------------------------------------------------------------------------------------
# The session and the contenders


def session(master: str, batch_rows: int, driver_memory: str = "3g") -> Any:
    """A fresh local SparkSession: no UI, bound to 127.0.0.1, 16 MB file splits (balanced tasks)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers import this mapper
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("mapper spark_bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.files.maxPartitionBytes", str(16 << 20))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_leaf(col: Any, kind: str, decimals_as: str, T: Any) -> Any:
    if kind == "float64":  # decimal
        return T.DoubleType() if decimals_as == "double" else T.DecimalType(19, col.config.scale or 0)
    plain = {"uint64": T.DecimalType(20, 0), "int64": T.LongType(), "bool": T.BooleanType(), "string": T.StringType()}
    if kind in plain:
        return plain[kind]
    if kind == "list[string]":
        return T.ArrayType(T.StringType())
    if kind == "list[uint64]":
        return T.ArrayType(T.DecimalType(20, 0))
    raise Unsupported(f"column {col.name!r}: no from_json type for {kind}")


def from_json_step(text: Any, sink: Sink, decimals_as: str = "decimal") -> Any:
    """What a Spark user writes instead: ``from_json`` with an explicit schema, then the casts to mapper's column types."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    tree: dict[str, Any] = {}
    for col in sink.columns:
        if col.path.keys is None:
            raise Unsupported(f"column {col.name!r} has a JMESPath path")
        node = tree
        for key in col.path.keys[:-1]:
            node = node.setdefault(key, {})
        node[col.path.keys[-1]] = _spark_leaf(col, leaf_kind(col), decimals_as, T)

    def struct(node: dict[str, Any]) -> Any:
        return T.StructType([T.StructField(k, struct(v) if isinstance(v, dict) else v) for k, v in node.items()])

    parsed = text.select(F.from_json("value", struct(tree)).alias("r"))
    out = []
    for col in sink.columns:
        c = F.col("r." + ".".join(f"`{k}`" for k in col.path.keys or ()))
        if col.type == "timestamp" and col.config.numeric_time:
            c = getattr(F, TS_FROM_UNIT.get(col.config.unit or "s", "timestamp_seconds"))(c)
        elif col.type == "timestamp":
            c = F.to_timestamp(c)
        elif col.type == "decimal" and decimals_as == "double":
            c = c.cast(T.DecimalType(19, col.config.scale or 0))
        out.append(c.alias(col.name))
    return parsed.select(*out)


def mapper_step(text: Any, sink: Sink) -> Any:
    from mapper.spark import map_dataframe

    return map_dataframe(text, sink).rows


def _noop(df: Any) -> float:
    start = time.perf_counter()
    df.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - start


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process's descendants: the JVM and the Python workers.

    On a shared machine the wall time of a step moves with the neighbours' load; the CPU
    time it costs moves much less. Linux only (``/proc``); 0.0 elsewhere. A child that
    ended counts through its parent's cutime/cstime, so nothing is counted twice.
    """
    if not os.path.isdir("/proc"):
        return 0.0
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(v) for v in fields[11:15]) / _TICK  # utime, stime, cutime, cstime
    me, total = os.getpid(), 0.0
    for pid in times:
        p = parents.get(pid)
        while p and p != me:
            p = parents.get(p)
        if p == me:
            total += times[pid]
    return total


def _timed(df: Any) -> tuple[float, float]:
    """Wall seconds and the descendants' CPU seconds of one step."""
    cpu = _cpu_seconds()
    wall = _noop(df)
    return wall, _cpu_seconds() - cpu


def _worker_memory(spark: Any, tasks: int) -> list[dict[str, int]]:
    """VmHWM and VmRSS (kB) of the Python workers, read inside them (they are reused across tasks)."""

    def probe(batches: Any) -> Any:
        import os

        import pyarrow as pa

        for _ in batches:
            pass
        with open("/proc/self/status") as fh:
            status = dict(line.split(":", 1) for line in fh.read().splitlines() if ":" in line)
        kb = {k: int(status[k].split()[0]) for k in ("VmHWM", "VmRSS")}
        yield pa.RecordBatch.from_arrays([pa.array([os.getpid()]), pa.array([kb["VmHWM"]]), pa.array([kb["VmRSS"]])], names=["pid", "hwm_kb", "rss_kb"])

    rows = spark.range(0, tasks, numPartitions=tasks).mapInArrow(probe, "pid long, hwm_kb long, rss_kb long").collect()
    return sorted({r["pid"]: {"pid": r["pid"], "hwm_kb": r["hwm_kb"], "rss_kb": r["rss_kb"]} for r in rows}.values(), key=lambda r: r["pid"])


def run_master(master: str, clean: str, bad: str, sink_doc: Any, repeat: int, batch_rows: int) -> dict[str, Any]:
    """Every measurement of one master, in this process (one SparkSession, stopped at the end)."""
    from pyspark.sql import functions as F

    sink = load_sink(sink_doc)
    spark = session(master, batch_rows)
    try:
        cores = spark.sparkContext.defaultParallelism
        idle = _worker_memory(spark, 2 * cores)  # the Python workers before they map anything
        text = spark.read.text(clean).cache()
        records = text.count()
        partitions = text.rdd.getNumPartitions()
        steps = {
            "mapper": lambda: mapper_step(text, sink),
            "from_json": lambda: from_json_step(text, sink, "decimal"),
            "from_json+cast": lambda: from_json_step(text, sink, "double"),
            "scan": lambda: text,
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        cpu: dict[str, list[float]] = {name: [] for name in steps}
        for make in steps.values():  # warm-up: the JIT, the Python workers, the sink compiled in them
            _noop(make())
        for _ in range(repeat):
            for name, make in steps.items():
                wall, used = _timed(make())
                times[name].append(wall)
                cpu[name].append(used)
        memory = _worker_memory(spark, 2 * cores)
        text.unpersist()

        # nothing lost, and what from_json lets through, on the 1%-bad records
        bad_text = spark.read.text(bad)
        bad_input = bad_text.count()
        rows = mapper_step(bad_text, sink).cache()
        mapped = rows.where(F.col("_errors").isNull()).count()
        refused = rows.where(F.col("_errors").isNotNull()).count()
        codes = {r["code"]: r["count"] for r in rows.select(F.explode("_errors.code").alias("code")).groupBy("code").count().collect()}
        refused_rows = rows.where(F.col("_errors").isNotNull()).select("_raw").limit(3).collect()
        rows.unpersist()
        typed = from_json_step(bad_text, sink, "decimal")
        any_null = None
        for name in typed.columns:
            c = F.col(f"`{name}`").isNull()
            any_null = c if any_null is None else (any_null | c)
        fj_rows = typed.count()
        fj_null_rows = typed.where(any_null).count()
        return {
            "master": master,
            "cores": cores,
            "records": records,
            "partitions": partitions,
            "batch_rows": batch_rows,
            "times": times,
            "median_s": {k: statistics.median(v) for k, v in times.items()},
            "cpu_s": cpu,
            "median_cpu_s": {k: statistics.median(v) for k, v in cpu.items()},
            "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "worker_memory_idle": idle,
            "worker_memory": memory,
            "bad": {
                "input": bad_input,
                "mapped": mapped,
                "refused": refused,
                "error_codes": dict(sorted(codes.items(), key=lambda kv: -kv[1])),
                "refused_examples": [r["_raw"][:120] for r in refused_rows],
                "from_json_rows": fj_rows,
                "from_json_rows_with_a_null": fj_null_rows,
            },
            "versions": _versions(spark),
        }
    finally:
        spark.stop()


def _versions(spark: Any) -> dict[str, str]:
    out = {"python": platform.python_version(), "spark": spark.version}
    for dist in ("mapper", "pyspark", "pyarrow", "pandas", "numpy", "msgspec"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    out["java"] = _java_version()
    return out


def _java() -> str | None:
    """The java Spark's launcher runs: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = os.path.join(home, "bin", "java")
        return java if os.path.isfile(java) and os.access(java, os.X_OK) else None
    return shutil.which("java")


def _java_version() -> str:
    """The first line ``java -version`` prints, of the java Spark runs ("-" when there is none)."""
    java = _java()
    if java is None:
        return "-"
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "-"
    text = done.stderr or done.stdout
    return text.splitlines()[0] if text.strip() else "-"


# ---------------------------------------------------------------------------------------
# Report


def report(results: list[dict[str, Any]]) -> list[str]:
    """The table, the targets (PASS/MISS) and the notes, as lines."""
    lines = []
    first = results[0]
    n = first["records"]
    lines.append(
        f"{n:,} seed records, cached text in {first['partitions']} partitions, Arrow batches of {first['batch_rows']:,} rows; median of {len(first['times']['mapper'])} round-robin runs after a warm-up"
    )
    lines.append(f"{'master':<10} {'step':<16} {'median s':>9} {'records/s':>11} {'mapper x':>9} {'CPU s':>7} {'mapper x CPU':>13}")
    for r in results:
        med, cpu = r["median_s"], r["median_cpu_s"]
        for name in ("mapper", "from_json", "from_json+cast", "scan"):
            ratio = med[name] / med["mapper"]
            cpu_ratio = cpu[name] / cpu["mapper"] if cpu["mapper"] else 0.0
            lines.append(f"{r['master']:<10} {name:<16} {med[name]:>9.2f} {n / med[name]:>11,.0f} {ratio:>8.2f}x {cpu[name]:>7.2f} {cpu_ratio:>12.2f}x")
    lines.append("")
    two = next((r for r in results if r["cores"] >= 2), first)
    med, cpu = two["median_s"], two["median_cpu_s"]
    best = min(med["from_json"], med["from_json+cast"])
    ratio = best / med["mapper"]
    lines.append(f"{'PASS' if ratio >= 1.0 else 'MISS'}  {ratio:5.2f}x  >= 1.0x  mapper vs the faster from_json step at {two['master']} (wall time)")
    if cpu["mapper"]:
        cpu_ratio = min(cpu["from_json"], cpu["from_json+cast"]) / cpu["mapper"]
        lines.append(
            f"{'PASS' if cpu_ratio >= 1.0 else 'MISS'}  {cpu_ratio:5.2f}x  >= 1.0x  the same in CPU seconds (JVM + Python workers), which the neighbours' load moves less"
        )
    for r in results:
        b = r["bad"]
        ok = b["mapped"] + b["refused"] == b["input"]
        lines.append(
            f"{'PASS' if ok else 'MISS'}  nothing lost at {r['master']}: {b['mapped']:,} mapped + {b['refused']:,} refused = {b['mapped'] + b['refused']:,} of {b['input']:,} input records"
        )
    one = next((r for r in results if r["cores"] == 1), None)
    if one is not None and one is not two:
        lines.append(
            f"scaling: mapper {one['median_s']['mapper']:.2f} s at {one['master']} -> {two['median_s']['mapper']:.2f} s at {two['master']} "
            f"({one['median_s']['mapper'] / two['median_s']['mapper']:.2f}x); from_json {one['median_s']['from_json']:.2f} -> {two['median_s']['from_json']:.2f} s "
            f"({one['median_s']['from_json'] / two['median_s']['from_json']:.2f}x)"
        )
    b = two["bad"]
    lines.append(
        f"validation on the 1%-bad records: mapper refused {b['refused']:,} ({', '.join(f'{k} {v:,}' for k, v in b['error_codes'].items())}); "
        f"from_json typed all {b['from_json_rows']:,} rows, {b['from_json_rows_with_a_null']:,} of them with a null it cannot tell from a missing or a wrong value"
    )
    for r in results:
        mem = r["worker_memory"]
        if mem:
            peaks = ", ".join(f"{m['hwm_kb'] / 1024:.0f} MB" for m in mem)
            idle = ", ".join(f"{m['hwm_kb'] / 1024:.0f} MB" for m in r.get("worker_memory_idle", []))
            lines.append(f"python workers at {r['master']}: {len(mem)} process(es), peak RSS {peaks} (before mapping: {idle or '-'})")
    lines.append("load average (1 min) at the end of each master: " + ", ".join(f"{r['master']} {r.get('load_average') or 0:.1f}" for r in results))
    v = first["versions"]
    lines.append("versions: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    return lines


def _missing() -> str | None:
    """What this benchmark needs and this machine lacks (the spark extra, a JVM), said as a user fixes it."""
    for module in ("pyspark", "pyarrow", "pandas"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'featurebase-mapper[spark]')"
    if _java() is None:  # (where Spark's launcher looks: JAVA_HOME first)
        home = os.environ.get("JAVA_HOME")
        if home:
            return f"JAVA_HOME ({home}) has no bin/java: Spark runs that one; set JAVA_HOME to a JDK (Java 17), or unset it"
        return "Java is not on PATH (and JAVA_HOME is not set): pyspark needs a JVM (Java 17)"
    return None


def _masters(text: str) -> list[str]:
    """``--masters``: comma-separated, a comma inside brackets kept (``local[4,2]``: threads, retries)."""
    return [m.strip() for m in re.findall(r"(?:[^,\[]|\[[^\]]*\]?)+", text) if m.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.spark_bench", description=__doc__.splitlines()[0])
    p.add_argument("--records", type=positive_int, default=1_000_000)
    p.add_argument("--repeat", type=positive_int, default=3)
    p.add_argument("--masters", default="local[2],local[1]", help="comma-separated; each runs in its own process (default local[2],local[1])")
    p.add_argument("--batch-rows", type=positive_int, default=10_000, help="spark.sql.execution.arrow.maxRecordsPerBatch (default 10000, Spark's)")
    p.add_argument("--json", dest="json_out", metavar="PATH", help="where to write every figure (default benchmarks/results/<time>-spark-<records>.json)")
    p.add_argument("--one", nargs=3, metavar=("MASTER", "CLEAN", "BAD"), help=argparse.SUPPRESS)  # the child process of one master
    args = p.parse_args(argv)
    if args.one:
        master, clean, bad = args.one
        print(json.dumps(run_master(master, clean, bad, SINK, args.repeat, args.batch_rows)))
        return 0
    missing = _missing()
    if missing:  # (each master's child failed on it with a traceback, after the records were written)
        print(f"skipped: {missing}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="mapper-spark-bench-") as tmp:
        clean, bad = Path(tmp) / "clean.ndjson", Path(tmp) / "bad.ndjson"
        print(f"writing {args.records:,} clean and {args.records:,} 1%-bad seed records to {tmp} ...", file=sys.stderr)
        clean.write_bytes(generate(args.records, "clean"))
        bad.write_bytes(generate(args.records, "bad", seed=7))
        results = []
        for master in _masters(args.masters):
            print(f"running {master} ...", file=sys.stderr)
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.spark_bench",
                "--repeat",
                str(args.repeat),
                "--batch-rows",
                str(args.batch_rows),
                "--one",
                master,
                str(clean),
                str(bad),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
            if proc.returncode != 0:
                print(proc.stderr[-4000:], file=sys.stderr)
                return 1
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    lines = report(results)
    print("\n".join(lines))
    out = Path(args.json_out) if args.json_out else RESULTS / f"{_dt.datetime.now(_dt.timezone.utc):%Y%m%dT%H%M%SZ}-spark-{args.records}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": sys.argv, "results": results, "report": lines}, indent=2))
    print(f"figures: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
