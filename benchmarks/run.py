"""Side-by-side throughput of mapper and its peers: one process, round-robin, medians.

    python -m benchmarks.run [--records 200000] [--variant clean|lax|bad] [--repeat 5]
                             [--contenders mapper,pyarrow,...] [--json PATH] [--no-rss] [--targets]

The records are generated once (:mod:`benchmarks.gen`); every available contender
(:mod:`benchmarks.contenders`) is prepared, warmed up once, and then they run in turns
(A, B, C, A, B, C, ...) ``--repeat`` times, so machine noise spreads over all of them
instead of landing on one. Reported per contender: the median time, records/s,
MB/s, mapper's records/s divided by the contender's, and peak RSS measured by
:mod:`benchmarks.rss` in a fresh process per contender. The JSON result goes to
``--json`` or ``benchmarks/results/<UTC time>-<variant>-<records>.json``.

``--targets`` measures every target of the throughput issue (several runs, several
minutes) and prints each with its ratio and PASS/MISS.
"""

from __future__ import annotations

import os

# polars sizes its thread pool when first imported; its contender runs on one thread.
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import datetime as _dt
import gc
import json
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence

from mapper import MapperError, __version__, load_sink
from mapper.bench import refused_note
from mapper.model import Sink

from . import processes, producers
from . import rss as rss_mod
from .contenders import CONTENDERS, Contender, Unsupported, get_contenders
from .gen import SINK, generate, positive_int

RESULTS = Path(__file__).resolve().parent / "results"
#: the naive contender runs ~25x slower than the rest: it gets at most this many records
NAIVE_RECORDS = 50_000
_MB = 1e6  # MB/s in decimal megabytes, as throughput usually is


# ---------------------------------------------------------------------------------------
# Measuring


@dataclass
class Entry:
    """One contestant of a round-robin: a contender on its data, under a label."""

    label: str
    contender: Contender
    data: bytes
    status: str = "ok"
    times: list[float] = field(default_factory=list)
    records: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def records_per_s(self) -> float | None:
        m = self.median
        return self.records / m if m else None

    @property
    def mb_per_s(self) -> float | None:
        m = self.median
        return len(self.data) / m / _MB if m else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def prepare(entries: Sequence[Entry], sink: Sink) -> None:
    """Check availability, prepare and warm up every entry once (untimed); mark those that cannot run."""
    for e in entries:
        ok, why = e.contender.available()
        if not ok:
            e.status = f"skipped: {why}"
            continue
        try:
            e.contender.prepare(sink, e.data)
        except Unsupported as exc:
            e.status = f"skipped: {exc}"
            continue
        try:
            e.records = e.contender.run(e.data)  # the warm-up: caches, lazy imports, allocator
        except Exception as exc:  # noqa: BLE001 - a peer that cannot take the input is a result
            e.status = f"failed: {_first_line(exc)}"
        finally:
            e.contender.clear()
        outcome = getattr(e.contender, "outcome", None)
        if e.status == "ok" and outcome is not None:  # (mapper's: the same in every run)
            _records, e.extra["stored"], e.extra["refused"] = outcome
        gc.collect()


def round_robin(entries: Sequence[Entry], repeat: int, progress: Callable[[str], None] | None = None) -> None:
    """Time the ready entries in turns, ``repeat`` rounds; freeing each output stays outside the timing."""
    ready = [e for e in entries if e.status == "ok"]
    timer = time.perf_counter
    for r in range(repeat):
        for e in ready:
            if e.status != "ok":
                continue
            # Same starting state for everyone; the run itself keeps the default GC.
            gc.collect()
            t0 = timer()
            try:
                n = e.contender.run(e.data)
            except Exception as exc:  # noqa: BLE001
                e.status = f"failed: {_first_line(exc)}"
                continue
            finally:
                t1 = timer()
            e.times.append(t1 - t0)
            e.records = n
            e.contender.clear()
        if progress:
            progress(f"round {r + 1}/{repeat}")
    gc.collect()


def measure_rss(entries: Sequence[Entry], mapper_options: dict[str, Any] | None, progress: Callable[[str], None] | None = None) -> None:
    """Peak RSS of each ready entry, one fresh process each, on the same bytes."""
    with tempfile.TemporaryDirectory(prefix="mapper-bench-") as tmp:
        written: dict[int, Path] = {}
        for e in entries:
            if e.status != "ok":
                continue
            path = written.get(id(e.data))
            if path is None:
                path = Path(tmp) / f"data-{len(written)}.ndjson"
                path.write_bytes(e.data)
                written[id(e.data)] = path
            opts = mapper_options if e.contender.name == "mapper" else None
            if progress:
                progress(f"peak RSS: {e.label}")
            e.extra["rss"] = rss_mod.in_subprocess(e.contender.name, path, None, opts)


# ---------------------------------------------------------------------------------------
# One comparison


def compare(
    records: int,
    variant: str,
    repeat: int,
    names: Sequence[str] | None,
    *,
    with_rss: bool = True,
    naive_records: int = NAIVE_RECORDS,
    data: bytes | None = None,
    sink: Sink | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The contenders side by side on ``records`` records of ``variant`` (or on ``data``, with ``sink``); a JSON-ready result."""
    sink = sink if sink is not None else load_sink(SINK)
    if data is None:
        if progress:
            progress(f"generating {records:,} {variant} records")
        data = generate(records, variant)
    mapper_options = {"on_error": "skip"} if variant == "bad" else {}
    contenders = get_contenders(names, mapper_options=mapper_options)
    naive_n = min(records, naive_records) if naive_records > 0 else records
    naive_data = rss_mod.head_records(data, naive_n) if naive_n < records else data
    entries = [Entry(c.name, c, naive_data if c.name == "naive-jmespath" else data) for c in contenders]
    if progress:
        progress("preparing and warming up")
    prepare(entries, sink)
    round_robin(entries, repeat, progress)
    if with_rss:
        measure_rss(entries, mapper_options, progress)
    return {
        "records": records,
        "variant": variant,
        "repeat": repeat,
        "bytes": len(data),
        "mapper_options": mapper_options,
        "contenders": _rows(entries, baseline="mapper"),
    }


def _rows(entries: Sequence[Entry], baseline: str | None) -> list[dict[str, Any]]:
    base = next((e for e in entries if e.label == baseline and e.status == "ok"), None)
    base_rate = base.records_per_s if base is not None else None
    rows = []
    for e in entries:
        rate = e.records_per_s
        rss = e.extra.get("rss") or {}
        rows.append(
            {
                "name": e.label,
                "contender": e.contender.name,
                "description": e.contender.description,
                "status": e.status,
                "records": e.records or None,
                "bytes": len(e.data),
                "times_s": e.times,
                "median_s": e.median,
                "records_per_s": rate,
                "mb_per_s": e.mb_per_s,
                # mapper's records/s over this contender's: above 1 means mapper is faster
                "mapper_ratio": (base_rate / rate) if (base_rate and rate and e.status == "ok") else None,
                "peak_rss_mb": rss.get("peak_rss_mb"),
                "rss_increase_mb": rss.get("rss_increase_mb"),
                "rss_status": rss.get("status"),
                "versions": e.contender.versions(),
                **{k: v for k, v in e.extra.items() if k != "rss"},
            }
        )
    return rows


# ---------------------------------------------------------------------------------------
# Reporting


def environment() -> dict[str, Any]:
    """Versions of everything measured, and the machine."""
    versions: dict[str, str] = {"python": platform.python_version()}
    versions["mapper"] = __version__  # installed as DISTRIBUTION, or run from a checkout
    for dist in ("numpy", "orjson", "msgspec", "jmespath", "pyarrow", "polars"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count() or 0
    return {
        "versions": versions,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "cpus_usable": affinity,
            "implementation": platform.python_implementation(),
        },
        "polars_max_threads": os.environ.get("POLARS_MAX_THREADS"),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of one comparison."""
    head = ("contender", "N", "median s", "records/s", "MB/s", "mapper x", "peak RSS MB", "+RSS MB", "status")
    rows = [head]
    for r in result["contenders"]:
        rows.append(
            (
                r["name"],
                _num(r["records"], ","),
                _num(r["median_s"], ".3f"),
                _num(r["records_per_s"], ",.0f"),
                _num(r["mb_per_s"], ".1f"),
                _num(r["mapper_ratio"], ".2f"),
                _num(r["peak_rss_mb"], ".0f"),
                _num(r["rss_increase_mb"], ".0f"),
                r["status"] if r["status"] == "ok" or r["rss_status"] in (None, "ok") else f"{r['status']}; rss {r['rss_status']}",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head) - 1)]
    lines = []
    for k, row in enumerate(rows):
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells + [str(row[-1])]).rstrip())
        if k == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def format_environment(env: dict[str, Any]) -> str:
    v = env["versions"]
    m = env["machine"]
    return "\n".join(
        [
            "versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
            f"machine: {m['platform']}, {m['cpu']}, {m['cpu_count']} cpus ({m['cpus_usable']} usable); POLARS_MAX_THREADS={env['polars_max_threads']}",
        ]
    )


def _notes(result: dict[str, Any]) -> list[str]:
    notes = []
    for r in result["contenders"]:
        if r["status"] == "ok" and r["records"] and r.get("stored") is not None and r["stored"] < r["records"]:
            # (as mapper bench says it: a discarded batch is a figure of mapping it, not a failure)
            notes.append(f"{r['name']}: {refused_note(r['stored'], r['refused'], r['records'])} (mapper validate says why)")
        if r["name"] == "orjson-loads" and r["records"]:
            notes.append(f"orjson-loads N = {r['records']:,} records (a dict-based floor; its rate falls as N grows: the cyclic GC scans the live dicts)")
        if r["name"] == "naive-jmespath" and r["records"] and r["records"] != result["records"]:
            notes.append(f"naive-jmespath ran on the first {r['records']:,} records (it is linear in N; see --naive-records)")
    if any(r["rss_status"] == "ok" for r in result["contenders"]):
        notes.append("peak RSS: one fresh process per contender holding the input; +RSS is the rise over the RSS before the run")
    return notes


def default_json_path(kind: str, records: int) -> Path:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return RESULTS / f"{stamp}-{kind}-{records}.json"


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------
# The targets


@dataclass
class Target:
    what: str
    threshold: float
    ratio: float | None = None
    note: str = ""
    at_most: bool = False  # a cost: the ratio must stay at or below the threshold

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return self.note or "n/a"
        ok = self.ratio <= self.threshold if self.at_most else self.ratio >= self.threshold
        return "PASS" if ok else "MISS"

    def line(self) -> str:
        measured = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        extra = f"  ({self.note})" if self.note and self.ratio is not None else ""
        return f"{self.verdict:<16} {measured:>7}  target {'<=' if self.at_most else '>='} {self.threshold:g}x  {self.what}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.what, "threshold": self.threshold, "at_most": self.at_most, "ratio": self.ratio, "verdict": self.verdict, "note": self.note}


def _rate(result: dict[str, Any], name: str) -> float | None:
    row = next((r for r in result["contenders"] if r["name"] == name), None)
    return row["records_per_s"] if row and row["status"] == "ok" else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _mapper_entry(label: str, data: bytes, **options: Any) -> Entry:
    return Entry(label, get_contenders(["mapper"], mapper_options=options)[0], data)


def _side_by_side(entries: list[Entry], repeat: int, progress: Callable[[str], None]) -> dict[str, Any]:
    prepare(entries, load_sink(SINK))
    round_robin(entries, repeat, progress)
    return {"repeat": repeat, "contenders": _rows(entries, baseline=None)}


def workers_supported() -> tuple[bool, str]:
    """Whether ``Mapper.map`` takes ``workers`` (probed on a few records)."""
    from mapper import compile_sink

    try:
        compile_sink(SINK).map(generate(10), workers=2)
    except TypeError as exc:  # Engine(**options) rejects the keyword
        return False, f"not implemented ({_first_line(exc)})"
    except Exception as exc:  # noqa: BLE001 - a half-built feature is a result, not a crash
        return False, f"error: {type(exc).__name__}: {_first_line(exc)}"
    return True, ""


def run_targets(repeat: int, with_rss: bool, naive_records: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement the issue's target list needs; returns the runs and the verdicts."""
    runs: dict[str, Any] = {}
    targets: list[Target] = []

    progress("1/6 200,000 clean records, every contender")
    main = runs["clean-200k"] = compare(200_000, "clean", repeat, None, with_rss=with_rss, naive_records=naive_records, progress=progress)
    print(format_table(main), flush=True)
    m = _rate(main, "mapper")
    for name, threshold in (("pyarrow", 1.5), ("pyarrow-threads", 1.0), ("polars", 1.5), ("naive-jmespath", 25.0)):
        row = next(r for r in main["contenders"] if r["name"] == name)
        t = Target(f"mapper vs {name} at 200k clean", threshold, _ratio(m, _rate(main, name)))
        if t.ratio is None:
            t.note = row["status"]
        elif name == "naive-jmespath":
            t.note = f"naive on {row['records']:,} records"
        targets.append(t)
    mapper_row = next(r for r in main["contenders"] if r["name"] == "mapper")
    arrow_row = next(r for r in main["contenders"] if r["name"] == "pyarrow")
    mem = Target("peak RSS of map no more than pyarrow's (rise over pre-run RSS; pyarrow / mapper)", 1.0)
    if mapper_row["rss_increase_mb"] and arrow_row["rss_increase_mb"]:
        mem.ratio = arrow_row["rss_increase_mb"] / mapper_row["rss_increase_mb"]
        mem.note = f"mapper +{mapper_row['rss_increase_mb']:.0f} MB (peak {mapper_row['peak_rss_mb']:.0f}), pyarrow +{arrow_row['rss_increase_mb']:.0f} MB (peak {arrow_row['peak_rss_mb']:.0f})"
    else:
        mem.note = "not measured (--no-rss)" if not with_rss else "not measured"
    targets.append(mem)

    progress("2/6 flat scaling: mapper at 100,000 and 1,000,000 records")
    big = generate(1_000_000, "clean")
    small = rss_mod.head_records(big, 100_000)
    scaling = runs["scaling"] = _side_by_side([_mapper_entry("mapper@100k", small), _mapper_entry("mapper@1M", big)], repeat, progress)
    print(format_table(scaling), flush=True)
    targets.append(Target("mapper records/s at 1M vs at 100k (flat scaling)", 0.9, _ratio(_rate(scaling, "mapper@1M"), _rate(scaling, "mapper@100k"))))

    progress("3/6 lax and 1%-bad variants vs clean, 200,000 records")
    clean = rss_mod.head_records(big, 200_000)
    entries = [
        _mapper_entry("mapper clean", clean),
        _mapper_entry("mapper lax", generate(200_000, "lax")),
        _mapper_entry("mapper bad", generate(200_000, "bad"), on_error="skip"),
    ]
    variants = runs["variants"] = _side_by_side(entries, repeat, progress)
    bad_entry = entries[2]
    if bad_entry.status == "ok":
        bad_entry.contender.run(bad_entry.data)
        report = bad_entry.contender.last.report
        variants["bad_report"] = {
            "records": report.records,
            "failed_records": report.failed_records,
            "accepted": report.accepted,
            "rows": bad_entry.contender.last.count,
        }
        bad_entry.contender.clear()
    print(format_table(variants), flush=True)
    c = _rate(variants, "mapper clean")
    targets.append(Target("mapper lax variant vs clean at 200k", 0.7, _ratio(_rate(variants, "mapper lax"), c)))
    targets.append(Target("mapper 1%-bad variant (on_error=skip, full report) vs clean at 200k", 0.5, _ratio(_rate(variants, "mapper bad"), c)))

    progress("4/6 workers=2 vs 1 at 1,000,000 records")
    ok, why = workers_supported()
    wt = Target("mapper workers=2 vs workers=1 at 1M", 1.6)
    if ok:
        w = runs["workers"] = _side_by_side([_mapper_entry("mapper workers=1", big), _mapper_entry("mapper workers=2", big, workers=2)], repeat, progress)
        print(format_table(w), flush=True)
        wt.ratio = _ratio(_rate(w, "mapper workers=2"), _rate(w, "mapper workers=1"))
        if wt.ratio is None:
            wt.note = next((r["status"] for r in w["contenders"] if r["status"] != "ok"), "no figure")
    else:
        wt.note = why
        runs["workers"] = {"status": why}
    targets.append(wt)
    # The 1M records (and the parts cut from them) are not needed again: the producer figures
    # and the forks of step 6 are measured without them held, as a producer's process runs.
    del big, small, clean, entries, bad_entry
    gc.collect()

    progress("5/6 producers: dicts, one record, small batches, the batcher (200,000 records)")
    prod = runs["producers"] = producers.measure(200_000, repeat, progress)
    print(producers.format_result(prod), flush=True)
    targets.extend(producer_targets(prod))

    progress("6/6 whole processes: map -o FILE vs a pyarrow script; --workers 2 vs 1 at 1M; to_arrow")
    procs = runs["processes"] = processes.measure(200_000, max(3, repeat // 2), progress=progress)
    wk = runs["processes_workers"] = processes.measure(1_000_000, 3, formats=(), workers=True, progress=progress)
    share = runs["to_arrow"] = processes.arrow_share(200_000, repeat)
    print(processes.format_result(procs), flush=True)
    print(processes.format_result(wk), flush=True)
    print(f"to_arrow of the 200k batch: {share['to_arrow_s']:.3f} s, map {share['map_s']:.3f} s ({share['share']:.0%})", flush=True)
    targets.extend(process_targets(procs, wk, share))
    return {"runs": runs, "targets": [t.to_dict() for t in targets], "_lines": [t.line() for t in targets]}


def process_targets(procs: dict[str, Any], workers: dict[str, Any], share: dict[str, Any]) -> list[Target]:
    """The columnar issue's targets from :mod:`benchmarks.processes`."""
    out = [
        Target(f"map -o out.{fmt} vs a pyarrow script reading and writing the same (whole processes, fixed costs out)", 1.5, v["ratio"])
        for fmt, v in procs["formats"].items()
    ]
    out.append(Target("--workers 2 vs --workers 1, map -o out.npz at 1M (whole processes)", 1.6, workers["workers"]["ratio"]))
    out.append(Target("to_arrow() of the 200k batch, as a share of the map that made it", 0.10, share["share"], at_most=True))
    return out


def producer_targets(prod: dict[str, Any]) -> list[Target]:
    """The producers issue's targets from :func:`benchmarks.producers.measure`."""
    one = prod["one_record"]
    curve = prod["batches"]
    return [
        Target("list of dicts vs NDJSON bytes of the same records (records/s)", 1.0, prod["dicts"]["ratio"]),
        Target("one-record check(dict) cost in orjson.loads of the line", 25.0, one["check(dict)"]["x_loads"], at_most=True),
        Target("one-record validate(line) cost in orjson.loads of the line", 40.0, one["validate(line)"]["x_loads"], at_most=True),
        Target("validate per-record cost, batches of 10 vs the full batch", 2.0, curve["10"]["x_full"], at_most=True),
        Target("validate per-record cost, batches of 100 vs the full batch", 2.0, curve["100"]["x_full"], at_most=True),
        Target("Batcher.add of each dict with its verdict vs map(list of dicts) (records/s)", 0.5, prod["batcher"]["ratio"]),
    ]


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    names = ", ".join(c.name for c in CONTENDERS)
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=(
            "Run mapper and its peers side by side in one process (round-robin, medians after a warm-up) "
            "and print records/s, MB/s, mapper's ratio and peak RSS. The default run takes about 1 minute "
            "on 2 cores; --targets takes longer (3-10 minutes: it also generates and maps 1,000,000 records)."
        ),
    )
    p.add_argument("--records", type=positive_int, default=200_000, help="records to generate (default 200000)")
    p.add_argument(
        "--variant", choices=("clean", "lax", "bad"), default="clean", help="record variant (default clean); with bad, mapper maps with on_error=skip"
    )
    p.add_argument("--repeat", type=int, default=5, help="timed rounds after the warm-up, at least 5 (default 5)")
    p.add_argument("--contenders", metavar="A,B,...", help=f"which contenders (default all: {names})")
    p.add_argument("--naive-records", type=int, default=NAIVE_RECORDS, metavar="N", help=f"cap the naive contender's records (default {NAIVE_RECORDS}; 0: all)")
    p.add_argument("--json", metavar="PATH", help="write the JSON result here (default benchmarks/results/<UTC time>-<variant>-<records>.json)")
    p.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    p.add_argument("--targets", action="store_true", help="measure the issue's targets (several runs; takes several minutes) and print PASS/MISS")
    p.add_argument("--sink", metavar="FILE", help="your own sink definition (with --data) instead of the seed sink")
    p.add_argument("--data", metavar="FILE", help="your own NDJSON records (with --sink) instead of generated ones")
    args = p.parse_args(argv)
    if (args.sink is None) != (args.data is None):
        p.error("--sink and --data go together")
    if args.sink is not None and args.targets:
        p.error("--targets measures the seed records; it does not take --sink/--data")
    if args.repeat < 5:
        p.error("--repeat must be at least 5 (medians of fewer runs are noise on a shared machine)")
    selected = [n.strip() for n in args.contenders.split(",") if n.strip()] if args.contenders else None
    if selected is not None:
        try:
            get_contenders(selected)
        except ValueError as exc:
            p.error(str(exc))

    def progress(msg: str) -> None:
        print(f"# {msg}", file=sys.stderr, flush=True)

    env = environment()
    started = time.time()
    command = [Path(sys.executable).name, "-m", "benchmarks.run", *(sys.argv[1:] if argv is None else argv)]
    if args.targets:
        out = run_targets(args.repeat, not args.no_rss, args.naive_records, progress)
        lines = out.pop("_lines")
        print()
        print("targets (ratios from one run of this command):")
        for line in lines:
            print("  " + line)
        payload = {"command": command, "environment": env, **out, "seconds": time.time() - started}
        path = Path(args.json) if args.json else default_json_path("targets", 200_000)
    else:
        sink = data = None
        if args.sink is not None:
            try:
                sink = load_sink(args.sink)
                data = Path(args.data).read_bytes()
            except MapperError as exc:  # (the sink's own message: where and why)
                p.error(f"--sink {args.sink}: {exc}")
            except OSError as exc:
                p.error(f"{exc.filename}: {exc.strerror or exc}")
            if not data.strip():
                p.error(f"--data {args.data} holds no records: nothing to measure")
            args.records = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
            args.variant = Path(args.data).name
        result = compare(
            args.records,
            args.variant,
            args.repeat,
            selected,
            with_rss=not args.no_rss,
            naive_records=args.naive_records,
            data=data,
            sink=sink,
            progress=progress,
        )
        print(f"{args.records:,} {args.variant} records ({result['bytes'] / 1e6:.1f} MB), median of {args.repeat} side-by-side rounds after a warm-up")
        print(format_table(result))
        for note in _notes(result):
            print("note: " + note)
        payload = {"command": command, "environment": env, "result": result, "seconds": time.time() - started}
        path = Path(args.json) if args.json else default_json_path(args.variant, args.records)
    print(format_environment(env))
    write_json(path, payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
