"""Producer-side costs, side by side in one process: dicts, one record, small batches, the batcher.

Usage::

    python -m benchmarks.producers [--records 200000] [--repeat 5] [--json PATH]

Every figure is a ratio against a baseline measured in the same process, interleaved
with it (the machines are noisy; absolute rates are printed for context only):

* ``dicts``: ``m.map(list of dicts)`` vs ``m.map(NDJSON bytes)`` of the same records;
* ``one record``: ``m.check(dict)``, ``m.check(line)`` and ``m.validate(line)`` vs
  ``orjson.loads(line)`` (how many loads one call costs);
* ``batches``: ``m.validate`` per-record cost at batch sizes 1 .. 100,000 vs at the
  full size (the curve of fixed costs); for context (no target), the same curve for
  ``m.validate`` of a list of dicts and for ``m.map`` of NDJSON bytes (a batch kept:
  its columns made and finished), each against its own full size;
* ``batcher``: ``Batcher.add`` of each dict, one by one, then ``flush``, with every
  verdict read, vs ``m.map(list of dicts)``; and ``orjson.dumps`` of each dict (the
  JSON text a batcher must make to send) vs the same map.

The seed records come from :mod:`benchmarks.gen` (clean variant, the seed sink).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import orjson

from .gen import SINK, generate, positive_int

CURVE = (1, 10, 100, 1_000, 10_000, 100_000)


def _interleaved(fns: dict[str, Callable[[], Any]], repeat: int, inner: int | dict[str, int] = 1) -> dict[str, float]:
    """Median seconds per call of each function, run round-robin ``repeat`` times (``inner`` calls each, per function if a dict)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm up
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            n = inner[name] if isinstance(inner, dict) else inner
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(records: int = 200_000, repeat: int = 5, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    import mapper

    say = progress or (lambda _msg: None)
    m = mapper.compile_sink(SINK)
    data = generate(records, "clean")
    lines = data.splitlines()
    dicts = [orjson.loads(line) for line in lines]
    out: dict[str, Any] = {"records": records, "repeat": repeat}

    say(f"dicts vs bytes, {records:,} records")
    t = _interleaved({"bytes": lambda: m.map(data), "dicts": lambda: m.map(dicts)}, repeat)
    out["dicts"] = {"bytes_records_per_s": records / t["bytes"], "dicts_records_per_s": records / t["dicts"], "ratio": t["bytes"] / t["dicts"]}

    say("one record vs orjson.loads")
    line, rec = lines[0], dicts[0]
    t = _interleaved(
        {
            "orjson.loads": lambda: orjson.loads(line),
            "check(dict)": lambda: m.check(rec),
            "check(line)": lambda: m.check(line),
            "validate(line)": lambda: m.validate(line),
        },
        repeat,
        inner=2000,
    )
    base = t["orjson.loads"]
    out["one_record"] = {name: {"us": secs * 1e6, "x_loads": secs / base} for name, secs in t.items()}

    say("batch-size curve (validate)")
    sizes = [k for k in CURVE if k < records] + [records]
    inputs = {k: b"".join(line + b"\n" for line in lines[:k]) for k in sizes}
    fns = {f"{k}": (lambda d=inputs[k]: m.validate(d)) for k in sizes}
    # small sizes take many calls per timing to rise above the clock's noise (about 50 ms each)
    per_call = _interleaved(fns, repeat, inner={f"{k}": max(1, records // 4 // k) for k in sizes})
    full = per_call[f"{records}"] / records
    out["batches"] = {f"{k}": {"us_per_record": per_call[f"{k}"] / k * 1e6, "x_full": per_call[f"{k}"] / k / full} for k in sizes}
    for name, parts, call in (("batches_dicts", {k: dicts[:k] for k in sizes}, m.validate), ("batches_map", inputs, m.map)):
        say(f"batch-size curve ({name})")
        fns = {f"{k}": (lambda d=parts[k], call=call: call(d)) for k in sizes}
        per_call = _interleaved(fns, repeat, inner={f"{k}": max(1, records // 4 // k) for k in sizes})
        full = per_call[f"{records}"] / records
        out[name] = {f"{k}": {"us_per_record": per_call[f"{k}"] / k * 1e6, "x_full": per_call[f"{k}"] / k / full} for k in sizes}

    say(f"batcher, {records:,} dicts one by one")

    def batcher() -> None:
        b = mapper.Batcher(m)
        verdicts = [b.add(r) for r in dicts]
        b.flush()
        assert all(v.accepted for v in verdicts)

    # what a batcher cannot skip: each record's JSON text (the body it sends), here
    # orjson.dumps of each dict copied to its size, as the batcher keeps them (orjson
    # 3.12 on returns each text in a buffer of at least 4 KB: 200k of those held at once
    # cost ~4x the encoding itself, which an earlier form of this figure measured)
    t = _interleaved({"map(dicts)": lambda: m.map(dicts), "batcher": batcher, "dumps": lambda: [b"%b" % orjson.dumps(d) for d in dicts]}, repeat)
    out["batcher"] = {"records_per_s": records / t["batcher"], "ratio": t["map(dicts)"] / t["batcher"], "encode_x_map": t["dumps"] / t["map(dicts)"]}
    return out


def format_result(r: dict[str, Any]) -> str:
    d = r["dicts"]
    lines = [
        f"dicts vs bytes ({r['records']:,} records): {d['ratio']:.2f}x  ({d['dicts_records_per_s']:,.0f} vs {d['bytes_records_per_s']:,.0f} records/s)",
        "one record (x orjson.loads of the line): "
        + ", ".join(f"{name} {v['x_loads']:.1f}x ({v['us']:.1f} us)" for name, v in r["one_record"].items() if name != "orjson.loads"),
        "validate per-record cost by batch size (x the full batch's): " + ", ".join(f"{k}: {v['x_full']:.2f}x" for k, v in r["batches"].items()),
        "  the same, a list of dicts: " + ", ".join(f"{k}: {v['x_full']:.2f}x" for k, v in r["batches_dicts"].items()),
        "  the same, map (a batch kept): " + ", ".join(f"{k}: {v['x_full']:.2f}x" for k, v in r["batches_map"].items()),
        f"batcher, dicts one by one with verdicts: {r['batcher']['ratio']:.2f}x map(dicts) ({r['batcher']['records_per_s']:,.0f} records/s);"
        f" encoding each dict (orjson.dumps, kept at its size) alone takes {r['batcher']['encode_x_map']:.2f}x map(dicts)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.producers", description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=positive_int, default=200_000)
    p.add_argument("--repeat", type=positive_int, default=5)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = p.parse_args(argv)
    result = measure(args.records, args.repeat, progress=lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    print(format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
