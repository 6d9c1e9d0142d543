"""Whole processes, as a user runs them: ``mapper map -o FILE`` next to a pyarrow script doing the same.

Usage::

    python -m benchmarks.processes [--records 200000] [--repeat 3] [--formats npz,arrow,parquet]
                                   [--workers] [--json PATH]

For each output format, two commands run interleaved ``--repeat`` times on the same
NDJSON file (seed records, :mod:`benchmarks.gen`):

* ``python -m mapper map SINK RECORDS -o out.FMT -q``;
* a pyarrow script: ``pyarrow.json.read_json`` with the sink's explicit schema and
  ``use_threads=False``, the mapped columns pulled out of their structs, written to the
  same format (``.npz``: strings as UTF-8 bytes + offsets, as mapper writes them).

Each is also run on a 10-record file: that median (interpreter start, imports) is the
fixed cost, subtracted before the ratio ``pyarrow / mapper`` is taken (above 1: mapper
is faster). ``--workers`` also times ``map --workers 2`` against ``--workers 1`` on
``--records`` records (the target takes 1,000,000). Medians; the machine is noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .gen import SINK, generate, positive_int

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("npz", "arrow", "parquet")

PYARROW_SCRIPT = r"""
import sys
import numpy as np
import pyarrow as pa, pyarrow.compute as pc, pyarrow.json as pj
from benchmarks.contenders import schema_tree, _arrow_fields
from mapper import load_sink

sink_path, data_path, out = sys.argv[1:4]
sink = load_sink(sink_path)
tree = schema_tree(sink)
table = pj.read_json(data_path, read_options=pj.ReadOptions(use_threads=False),
                     parse_options=pj.ParseOptions(explicit_schema=pa.schema(_arrow_fields(tree, pa)), unexpected_field_behavior="ignore"))
columns, names = [], []
for col in sink.columns:
    keys = col.path.keys
    arr, node = table.column(keys[0]), tree[keys[0]]
    indices = []
    for key in keys[1:]:
        indices.append(list(node).index(key))
        node = node[key]
    columns.append(pc.struct_field(arr, indices) if indices else arr)
    names.append(col.name)
result = pa.Table.from_arrays(columns, names=names)
if out.endswith(".parquet"):
    import pyarrow.parquet as pq
    pq.write_table(result, out)
elif out.endswith(".arrow"):
    with pa.OSFile(out, "wb") as fh, pa.ipc.new_file(fh, result.schema) as w:
        w.write_table(result)
else:
    arrays = {}
    for name, col in zip(names, result.columns):
        col = col.combine_chunks()
        if pa.types.is_string(col.type):
            col = col.cast(pa.large_string())
            arrays[name + ".utf8"] = np.frombuffer(col.buffers()[2], dtype=np.uint8)
            arrays[name + ".utf8_offsets"] = np.frombuffer(col.buffers()[1], dtype=np.int64)
        else:
            arrays[name] = col.to_numpy(zero_copy_only=False)
        arrays[name + ".valid"] = ~np.asarray(col.is_null())
    np.savez(out, **arrays)
"""


def _time(cmd: list[str], ok: tuple[int, ...] = (0, 1)) -> float:
    """The wall time of ``cmd``; a RuntimeError when it exits with a code not in ``ok`` (mapper's 1
    is a partial batch; a Python script's 1 is its traceback, a failure timed as a figure otherwise)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    return took


def _medians(cmds: dict[str, list[str]], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            times[name].append(_time(cmd, (0,) if name.startswith("pyarrow") else (0, 1)))
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(records: int = 200_000, repeat: int = 3, formats: tuple[str, ...] = FORMATS, workers: bool = False, progress: Any = None) -> dict[str, Any]:
    say = progress or (lambda _msg: None)
    py = sys.executable
    out: dict[str, Any] = {"records": records, "repeat": repeat, "formats": {}}
    if importlib.util.find_spec("pyarrow") is None:  # (its script's ImportError would be timed: mapper alone, said so)
        out["skipped"] = "pyarrow is not installed (pip install 'featurebase-mapper[bench]'): the pyarrow script is skipped"
        say(out["skipped"])
    with tempfile.TemporaryDirectory(prefix="mapper-processes-") as tmp:
        d = Path(tmp)
        sink = d / "sink.json"
        sink.write_text(json.dumps(SINK))
        data = d / "records.ndjson"
        data.write_bytes(generate(records, "clean"))
        tiny = d / "tiny.ndjson"
        tiny.write_bytes(generate(10, "clean"))
        script = d / "pyarrow_map.py"
        script.write_text(PYARROW_SCRIPT)
        for fmt in formats:
            say(f"map -o out.{fmt} vs the pyarrow script, {records:,} records")
            cmds = {
                "mapper": [py, "-m", "mapper", "map", str(sink), str(data), "-o", str(d / f"m.{fmt}"), "-q"],
                "pyarrow": [py, str(script), str(sink), str(data), str(d / f"p.{fmt}")],
                "mapper fixed": [py, "-m", "mapper", "map", str(sink), str(tiny), "-o", str(d / f"mt.{fmt}"), "-q"],
                "pyarrow fixed": [py, str(script), str(sink), str(tiny), str(d / f"pt.{fmt}")],
            }
            if "skipped" in out:
                cmds = {k: v for k, v in cmds.items() if not k.startswith("pyarrow")}
            t = _medians(cmds, repeat)
            m_net = t["mapper"] - t["mapper fixed"]
            p_net = t["pyarrow"] - t["pyarrow fixed"] if "pyarrow" in t else 0.0
            # (no ratio when either net time is not above 0: on a few records the fixed costs' noise is all there is)
            out["formats"][fmt] = {**{k: round(v, 3) for k, v in t.items()}, "ratio": p_net / m_net if m_net > 0 and p_net > 0 else None}
        say(f"validate, {records:,} records")
        out["validate_s"] = round(_medians({"v": [py, "-m", "mapper", "validate", str(sink), str(data), "-q", "--report", "json"]}, repeat)["v"], 3)
        if workers:
            say(f"map --workers 2 vs --workers 1, {records:,} records")
            cmds = {f"workers={w}": [py, "-m", "mapper", "map", str(sink), str(data), "-o", str(d / f"w{w}.npz"), "-q", "--workers", str(w)] for w in (1, 2)}
            t = _medians(cmds, repeat)
            out["workers"] = {**{k: round(v, 3) for k, v in t.items()}, "ratio": t["workers=1"] / t["workers=2"]}
    return out


def arrow_share(records: int = 200_000, repeat: int = 5) -> dict[str, Any]:
    """In one process: ``batch.to_arrow()`` of a mapped batch next to the ``map`` that made it (medians)."""
    import mapper

    m = mapper.compile_sink(SINK)
    data = generate(records, "clean")
    maps, arrows = [], []
    # Steady state, as in a long-lived process: string columns are read by pyarrow.array
    # once the process has read enough of them the UTF-8 way to have paid for the pandas
    # import pyarrow.array brings (mapper.types.base._objects_way_pays); a small process never gets there.
    # Each warm-up converts a fresh batch: a batch converted once keeps its UTF-8 form, so
    # converting the same batch again would never get there.
    for _ in range(5):
        m.map(data).to_arrow()
    for _ in range(repeat):
        t0 = time.perf_counter()
        batch = m.map(data)
        t1 = time.perf_counter()
        batch.to_arrow()
        t2 = time.perf_counter()
        maps.append(t1 - t0)
        arrows.append(t2 - t1)
        del batch
    mm, aa = statistics.median(maps), statistics.median(arrows)
    return {"records": records, "map_s": round(mm, 4), "to_arrow_s": round(aa, 4), "share": aa / mm}


def format_result(r: dict[str, Any]) -> str:
    lines = [f"whole processes, {r['records']:,} records, medians of {r['repeat']} (fixed costs: the same commands on 10 records)"]
    for fmt, v in r["formats"].items():
        ratio = "-" if v["ratio"] is None else f"{v['ratio']:.2f}x"
        theirs = f"pyarrow script {v['pyarrow']:.2f} s (fixed {v['pyarrow fixed']:.2f})  pyarrow/mapper {ratio}" if "pyarrow" in v else "pyarrow script skipped"
        lines.append(f"  map -o out.{fmt:<8} {v['mapper']:.2f} s (fixed {v['mapper fixed']:.2f})  {theirs}")
    if "skipped" in r:
        lines.append(f"note: {r['skipped']}")
    lines.append(f"  validate {r['validate_s']:.2f} s")
    if "workers" in r:
        w = r["workers"]
        lines.append(f"  map --workers 2 {w['workers=2']:.2f} s vs --workers 1 {w['workers=1']:.2f} s: {w['ratio']:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.processes", description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=positive_int, default=200_000)
    p.add_argument("--repeat", type=positive_int, default=3)
    p.add_argument("--formats", default=",".join(FORMATS))
    p.add_argument("--workers", action="store_true", help="also time --workers 2 against --workers 1")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    try:
        result = measure(
            args.records,
            args.repeat,
            tuple(f for f in args.formats.split(",") if f),
            args.workers,
            progress=lambda m: print(f"... {m}", file=sys.stderr, flush=True),
        )
    except RuntimeError as exc:  # a command that failed: said, not timed
        print(f"python -m benchmarks.processes: {exc}", file=sys.stderr)
        return 1
    print(format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
