"""Instructions, not seconds: the engine's work counted by valgrind, this tree against another.

Usage::

    python -m benchmarks.instructions [--base REF] [--records 20000] [--calls 2000]
                                      [--workloads map_bytes,map_dicts,...] [--fail-above 1.02]
                                      [--json PATH]

Times on a shared 2-core machine move by 5-15% between runs, more than most changes of
the engine's speed; the instructions a piece of code executes do not move (one seed, one
input: ``PYTHONHASHSEED=0``, the same records). So a change is measured here as the
instructions per record of each workload under valgrind's callgrind, in the working tree
and in ``--base`` (a git ref, default ``HEAD``: the tree as last committed, extracted
with ``git archive``), side by side, and the ratio ``this tree / base`` is printed (above
1: this tree does more work). Instructions are not time (a cache miss costs more than an
add), so this is the check to run before a timed A/B, not instead of the benchmarks'
ratios; it caught a regression of 15% in warnings that timings on a loaded machine
could not tell from noise (docs/performance-log.md, stop 48).

Each tree runs in one process under ``valgrind --tool=callgrind``, collecting only
inside the workloads: each runs once to warm up (its code compiled, caches filled),
then once inside ``functools.reduce``, the C function callgrind is told to collect in
and to dump a profile after (``--toggle-collect``, ``--dump-after``), so interpreter
start, imports and setup are not counted. Workloads (seed records of
:mod:`benchmarks.gen`, its sink):

* ``map_bytes``, ``map_dicts``, ``validate_bytes``: ``--records`` records at once (NDJSON
  bytes, or the same records as dicts);
* ``check_dict``, ``validate_line``: ``--calls`` calls on one record each (a producer's
  per-message check);
* ``batcher``: ``Batcher.add`` of each dict, then ``flush``;
* ``validate_missing``: ``validate`` of ``--records`` records of the ``missing`` variant
  (12 mapped values missing in each: the error path, every record refused);
* ``validate_numbers``: ``validate`` of ``--records`` records of the ``numbers`` variant
  (a string column sent a number in each: stored as text, with a warning);
* ``validate_floats``: the same of the ``floats`` variant (the number a float: Go's ``%v``).

A workload the base tree cannot run (an API it does not have yet) is shown as such.
Needs valgrind on the PATH (``apt-get install valgrind``); without it the command says so
and exits 2. About a minute per tree with the defaults.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .gen import SINK, generate, positive_int

REPO = Path(__file__).resolve().parent.parent
WORKLOADS = ("map_bytes", "map_dicts", "validate_bytes", "check_dict", "validate_line", "batcher", "validate_missing", "validate_numbers", "validate_floats")
#: The batch workloads, counted per record (the others per call).
PER_RECORD = ("map_bytes", "map_dicts", "validate_bytes", "batcher", "validate_missing", "validate_numbers", "validate_floats")

#: The child process: runs each workload once to warm up, then once inside functools.reduce
#: (the region callgrind collects and dumps after); prints one JSON line per workload.
CHILD = r"""
import functools, json, sys
import orjson
import mapper

sink_path, data_path, calls, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
variants = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
m = mapper.compile_sink(sink_path)
data = open(data_path, "rb").read()
lines = data.splitlines()
dicts = [orjson.loads(line) for line in lines]
one, line = dicts[0], lines[0]

def batcher():
    b = mapper.Batcher(m)
    for d in dicts:
        b.add(d)
    b.flush()

work = {
    "map_bytes": lambda: m.map(data),
    "map_dicts": lambda: m.map(dicts),
    "validate_bytes": lambda: m.validate(data),
    "check_dict": lambda: [m.check(one) for _ in range(calls)],
    "validate_line": lambda: [m.validate(line) for _ in range(calls)],
    "batcher": batcher,
}
for name, path in variants.items():  # validate of a variant's records
    work[name] = functools.partial(m.validate, open(path, "rb").read())

def attempt(_acc, name):
    try:
        work[name]()
    except Exception as exc:  # an API the tree does not have: said, not counted
        return f"{type(exc).__name__}: {exc}"
    return None

for name in names:
    status = attempt(None, name) if name in work else f"unknown workload {name}"
    if status is None:
        status = functools.reduce(attempt, [name], None)
    else:
        functools.reduce(lambda acc, x: None, [name], None)  # (a dump all the same: one per workload)
    print(json.dumps({"workload": name, "error": status}), flush=True)
"""

_TOTALS = re.compile(rb"^(?:totals|summary):\s*(\d+)", re.M)


def dump_totals(path: Path) -> int:
    """The instructions counted in one callgrind dump (its ``totals:`` line)."""
    found = _TOTALS.search(path.read_bytes())
    if found is None:
        raise ValueError(f"{path}: no totals line: not a callgrind profile")
    return int(found.group(1))


def count(
    tree: Path, sink: Path, data: Path, names: list[str], calls: int, python: str = sys.executable, variants: dict[str, Path] | None = None
) -> dict[str, Any]:
    """Instructions of each workload in ``tree`` (a directory holding the ``mapper`` package);
    ``variants``: the records each ``validate`` of a variant reads, by workload (``validate_missing``: the ``missing`` variant's)."""
    # compiled here, outside valgrind: the child writes no bytecode (PYTHONDONTWRITEBYTECODE), so it
    # compiled the whole package under valgrind before the counted calls (29.5 -> 12.3 s of CPU a
    # tree, 2026-12-06); the counts, taken between the toggles, are of the same calls either way
    if not compileall.compile_dir(tree / "mapper", quiet=1):
        raise RuntimeError(f"the package in {tree} does not compile")
    with tempfile.TemporaryDirectory(prefix="mapper-cg-") as tmp:
        out = Path(tmp) / "cg.out"
        # (not coverage's subprocess tracing, which pytest-cov's variables would start in it)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}
        env.update(PYTHONHASHSEED="0", PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
        # where the tree's python imports mapper from, asked before valgrind starts (a count of
        # the installed package instead of the tree would compare it with itself, minutes later)
        probe = subprocess.run([python, "-c", "import mapper; print(mapper.__file__)"], env=env, capture_output=True, cwd=tmp, check=False)
        if probe.returncode != 0:
            tail = probe.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{python} cannot import mapper from {tree}: " + " | ".join(tail))
        where = Path(probe.stdout.decode().strip()).resolve()
        if not where.is_relative_to(tree.resolve()):
            raise RuntimeError(f"the workloads imported mapper from {where}, not from {tree}")
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            "--dump-after=functools_reduce",
            f"--callgrind-out-file={out}",
            python,
            "-c",
            CHILD,
            str(sink),
            str(data),
            str(calls),
            ",".join(names),
            json.dumps({name: str(path) for name, path in (variants or {}).items()}),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, cwd=tmp, check=False)
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"the workloads failed under valgrind in {tree} (exit {proc.returncode}): " + " | ".join(tail))
        said = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith(b"{")]
        dumps = sorted(Path(tmp).glob("cg.out.*"), key=lambda p: int(p.suffix[1:]))
        if len(dumps) != len(said) or [s["workload"] for s in said] != names:
            raise RuntimeError(f"{len(dumps)} profiles for {len(said)} workloads in {tree}: was functools.reduce called elsewhere?")
        return {s["workload"]: {"instructions": dump_totals(d), "error": s["error"]} for s, d in zip(said, dumps)}


def base_tree(ref: str, into: Path) -> Path:
    """The ``mapper`` package as committed at ``ref``, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "mapper"], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"benchmarks.instructions: git archive {ref}: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def compare(base: dict[str, Any], new: dict[str, Any], per: dict[str, int]) -> list[dict[str, Any]]:
    """Rows of the comparison: instructions per record (or call) in each tree, and new / base."""
    rows = []
    for name, n in per.items():
        b, t = base[name], new[name]
        row: dict[str, Any] = {"workload": name, "per": n}
        for label, r in (("base", b), ("this", t)):
            row[label] = None if r["error"] else r["instructions"] / n
            if r["error"]:
                row[f"{label}_error"] = r["error"]
        row["ratio"] = row["this"] / row["base"] if row["base"] and row["this"] else None
        rows.append(row)
    return rows


def format_rows(rows: list[dict[str, Any]], ref: str) -> str:
    out = [f"{'workload':<16}{'unit':>10}{'base ' + ref:>18}{'this tree':>14}{'this/base':>11}"]
    for r in rows:
        unit = "record" if r["workload"] in PER_RECORD else "call"
        shown = [f"{r[k]:,.0f}" if r[k] is not None else "n/a" for k in ("base", "this")]
        ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else "-"
        out.append(f"{r['workload']:<16}{unit:>10}{shown[0]:>18}{shown[1]:>14}{ratio:>11}")
        for label in ("base", "this"):
            if f"{label}_error" in r:
                out.append(f"  ({label}: {r[f'{label}_error']})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="git ref to compare the working tree with (default HEAD)")
    ap.add_argument("--records", type=positive_int, default=20_000, help="records of the batch workloads (default 20,000)")
    ap.add_argument("--calls", type=positive_int, default=2_000, help="calls of the one-record workloads (default 2,000)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated, of {', '.join(WORKLOADS)}")
    ap.add_argument("--fail-above", type=float, default=None, metavar="RATIO", help="exit 1 when a workload's this/base is above RATIO")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown or not names:
        ap.error(f"unknown workload(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(WORKLOADS)}")
    if shutil.which("valgrind") is None:
        print("benchmarks.instructions: valgrind is not on the PATH (apt-get install valgrind)", file=sys.stderr)
        return 2
    per = {w: (args.calls if w in ("check_dict", "validate_line") else args.records) for w in names}
    with tempfile.TemporaryDirectory(prefix="mapper-instr-") as tmp:
        sink, data = Path(tmp) / "sink.json", Path(tmp) / "records.ndjson"
        sink.write_text(json.dumps(SINK))
        data.write_bytes(generate(args.records, "clean"))
        variants = {}
        for variant in ("missing", "numbers", "floats"):
            variants[f"validate_{variant}"] = Path(tmp) / f"{variant}.ndjson"
            variants[f"validate_{variant}"].write_bytes(generate(args.records, variant))
        # both trees as copies side by side, under paths of one length ("base", "this"): the
        # interpreter lays out memory the same way for both (a longer path moved it enough to
        # change a workload's count by 1-2% with the code the same)
        base_dir, this_dir = Path(tmp) / "base", Path(tmp) / "this"
        base_dir.mkdir()
        shutil.copytree(REPO / "mapper", this_dir / "mapper", ignore=shutil.ignore_patterns("__pycache__"))
        print(f"counting {', '.join(names)} under valgrind: base {args.base}, then this tree", file=sys.stderr, flush=True)
        base = count(base_tree(args.base, base_dir), sink, data, names, args.calls, variants=variants)
        new = count(this_dir, sink, data, names, args.calls, variants=variants)
    rows = compare(base, new, per)
    print(format_rows(rows, args.base))
    if args.json is not None:
        args.json.write_text(json.dumps({"base": args.base, "records": args.records, "calls": args.calls, "rows": rows}, indent=1))
    if args.fail_above is not None and any(r["ratio"] is not None and r["ratio"] > args.fail_above for r in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
