"""``mapper bench SINK RECORDS [--compare]``: throughput on your own sink and data.

Runs the mapper over the records a few times after a warm-up and prints the median
records/s and MB/s, with the time of each stage of the fast path (decode, extract,
convert, the rest) and how many records went down the careful path. ``--compare``
runs the installed contenders of :mod:`mapper.contenders` side by side in the same
process, round-robin, and prints each one's figures and mapper's ratio to it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any, Callable

from .errors import MapperError


def add_bench_parser(sub: Any, shared_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("bench", help="measure mapping throughput on your sink and records (with --compare: against the peers)")
    p.add_argument("sink", metavar="SINK", help="sink definition file")
    p.add_argument("records", metavar="RECORDS", nargs="+", help="record files (read into memory first), '-' for stdin")
    p.add_argument("--compare", action="store_true", help="also run the installed contenders (orjson, jmespath, pyarrow, polars, msgspec) side by side")
    p.add_argument("--repeat", type=int, default=5, metavar="N", help="timed runs per contender after one warm-up (default 5; the median is reported)")
    p.add_argument("--json", dest="json_out", metavar="FILE", help="also write the figures as JSON ('-' for stdout instead of the table)")
    shared_options(p)


def _read_all(names: list[str]) -> bytes:
    from .io import open_input

    parts = []
    for name in names:
        fh = open_input(name)
        try:
            parts.append(fh.read())
        finally:
            if fh is not sys.stdin.buffer:
                fh.close()
    data = b"".join(p if p.endswith(b"\n") or not p else p + b"\n" for p in parts)
    return data


def measure_mapper(mapper: Any, data: bytes, repeat: int, options: dict[str, Any]) -> dict[str, Any]:
    """Median total and stage times of ``repeat`` runs (after a warm-up)."""
    from .io import iter_units
    from .project import Engine

    workers = options.pop("workers", 1)
    runs = []
    for i in range(repeat + 1):
        if workers > 1:
            start = time.perf_counter()
            result = mapper.map(data, workers=workers, **{k: v for k, v in options.items() if k != "input_format"})
            total = time.perf_counter() - start
            stages = [0.0, 0.0, 0.0]
            stats = {}
            records = result.report.records
        else:
            engine = Engine(mapper, output=True, **{k: v for k, v in options.items() if k != "input_format"})
            engine.expect_bytes = len(data)
            start = time.perf_counter()
            for unit in iter_units(data, input_format=options.get("input_format", "auto")):
                unit.feed(engine)
            result, _report = engine.finish()
            total = time.perf_counter() - start
            stages = list(engine.times)
            stats = dict(engine.stats)
            records = engine.n
        del result
        if i:  # the first run warms up
            runs.append((total, stages, stats, records))
    runs.sort(key=lambda r: r[0])
    total, stages, stats, records = runs[len(runs) // 2]
    return {
        "seconds": total,
        "records": records,
        "records_per_s": records / total if total else 0.0,
        "mb_per_s": len(data) / 1e6 / total if total else 0.0,
        "stages": {"decode": stages[0], "extract": stages[1], "convert": stages[2], "other": max(0.0, total - sum(stages))},
        "stats": stats,
        "runs": [r[0] for r in runs],
    }


def compare(sink: Any, data: bytes, repeat: int, mapper_options: dict[str, Any]) -> list[dict[str, Any]]:
    """Every installed contender, round-robin in this process: median seconds each."""
    from .contenders import Unsupported, get_contenders

    rows: list[dict[str, Any]] = []
    ready = []
    for c in get_contenders(mapper_options=mapper_options):
        ok, why = c.available()
        if not ok:
            rows.append({"name": c.name, "skipped": why})
            continue
        try:
            c.prepare(sink, data)
            c.run(data)  # warm-up (and a check that it can run at all)
            c.clear()
        except Unsupported as exc:
            rows.append({"name": c.name, "skipped": str(exc)})
            continue
        except Exception as exc:  # a peer that cannot read this data: report, do not crash
            rows.append({"name": c.name, "failed": f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"})
            continue
        ready.append(c)
    times: dict[str, list[float]] = {c.name: [] for c in ready}
    counts: dict[str, int] = {}
    for _ in range(repeat):
        for c in ready:
            start = time.perf_counter()
            n = c.run(data)
            times[c.name].append(time.perf_counter() - start)
            counts[c.name] = n
            c.clear()
    for c in ready:
        med = statistics.median(times[c.name])
        rows.append({"name": c.name, "seconds": med, "records": counts[c.name], "records_per_s": counts[c.name] / med, "mb_per_s": len(data) / 1e6 / med, "versions": c.versions()})
    base = next((r for r in rows if r["name"] == "mapper" and "seconds" in r), None)
    for r in rows:
        if base is not None and "seconds" in r:
            r["mapper_ratio"] = base["records_per_s"] / r["records_per_s"]
    return rows


def run_bench(args: argparse.Namespace) -> int:
    from .cli import _max_errors, load_cli_sink
    from .compiler import compile_sink

    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        return 2
    if args.repeat < 1:
        print("mapper: --repeat must be at least 1", file=sys.stderr)
        return 2
    try:
        data = _read_all(args.records)
        options = {"on_error": args.on_error, "max_errors": _max_errors(args.max_errors), "strict": args.strict, "input_format": args.input_format, "workers": args.workers}
        mapper = compile_sink(sink)
        own = measure_mapper(mapper, data, args.repeat, dict(options))
        rows = None
        if args.compare:
            rows = compare(sink, data, args.repeat, {k: v for k, v in options.items() if k in ("on_error", "max_errors", "strict", "workers") and v not in (None, 1)})
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return 2
    result = {"records": own["records"], "bytes": len(data), "mapper": own, "compare": rows, "command": sys.argv}
    if args.json_out == "-":
        print(json.dumps(result, indent=2, default=str))
        return 0
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(result, fh, indent=2, default=str)
    _print(own, rows, len(data))
    return 0


def _print(own: dict[str, Any], rows: list[dict[str, Any]] | None, nbytes: int) -> None:
    st = own["stages"]
    total = own["seconds"]
    print(f"mapper: {own['records']:,} records, {nbytes / 1e6:,.1f} MB: {own['records_per_s']:,.0f} records/s, {own['mb_per_s']:,.1f} MB/s (median of {len(own['runs'])})")
    if any(st.values()) and total:
        parts = ", ".join(f"{k} {v * 1e3:,.0f} ms ({v / total:.0%})" for k, v in st.items())
        print(f"  stages: {parts}")
    stats = own.get("stats") or {}
    if stats:
        print(f"  fast path: {stats.get('fast_records', 0):,} records ({stats.get('strict_runs', 0)} strict runs, {stats.get('lenient_runs', 0)} lenient); careful path: {stats.get('careful_records', 0):,} records")
    if rows is None:
        return
    print()
    print(f"{'contender':<18} {'records/s':>12} {'MB/s':>8} {'mapper is':>10}")
    for r in rows:
        if "seconds" in r:
            print(f"{r['name']:<18} {r['records_per_s']:>12,.0f} {r['mb_per_s']:>8,.1f} {r.get('mapper_ratio', 0):>9.2f}x")
        else:
            print(f"{r['name']:<18} {'skipped: ' + r['skipped'] if 'skipped' in r else 'failed: ' + r['failed']}")
