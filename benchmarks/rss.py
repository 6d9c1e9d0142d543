"""Peak memory of one contender run, measured in a fresh process.

Run by the benchmark runner once per contender (a fresh interpreter, so one
contender's heap and caches do not count against another)::

    python -m benchmarks.rss --contender mapper --data records.ndjson [--records N]
    python -m benchmarks.rss --contender pyarrow --generate 200000 --variant clean

It loads (or generates) the data, prepares the contender, resets the kernel's
high-water mark where Linux allows it (``/proc/self/clear_refs``), notes the RSS,
runs the contender once and prints one JSON line: the RSS before the run, the peak
RSS (``VmHWM`` on Linux, else ``resource.getrusage(RUSAGE_SELF).ru_maxrss``; see
:func:`peak_rss` for why not ``ru_maxrss`` alone) and the increase.
Without the reset the peak covers the whole process (imports, loading the data)
too; ``hwm_reset`` says which one was measured.
"""

from __future__ import annotations

import os

# polars reads its thread count when first imported: before anything can import it.
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .gen import positive_int

REPO = Path(__file__).resolve().parent.parent
_MB = 1024 * 1024


def _status_kb(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux only)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss() -> int:
    """Resident set size now, in bytes (the peak so far where the current figure is not exposed)."""
    kb = _status_kb("VmRSS")
    return kb * 1024 if kb is not None else peak_rss()


def ru_maxrss() -> int:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in bytes (macOS counts bytes, Linux kB)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def peak_rss() -> int:
    """The process's peak resident set size, in bytes.

    ``VmHWM`` where Linux has it: ``ru_maxrss`` also keeps the high-water mark the
    process inherited when it was forked from its parent (Linux carries the forked
    copy's mark across ``exec``), so a child of a big runner would report the
    runner's size, and ``clear_refs`` does not reset that part.
    """
    hwm = _status_kb("VmHWM")
    return hwm * 1024 if hwm is not None else ru_maxrss()


def reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux >= 4.0: writing 5 to clear_refs); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def head_records(data: bytes, n: int) -> bytes:
    """The first ``n`` lines of NDJSON ``data`` (all of it when it has fewer)."""
    pos = 0
    for _ in range(n):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return data
        pos = nl + 1
    return data[:pos]


def measure(name: str, data: bytes, mapper_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Prepare contender ``name`` for the benchmark sink, then run it once on ``data`` and measure memory."""
    from benchmarks.contenders import get_contenders
    from mapper import load_sink

    from .gen import SINK

    contender = get_contenders([name], mapper_options=mapper_options)[0]
    ok, why = contender.available()
    if not ok:
        return {"contender": name, "status": f"skipped: {why}"}
    contender.prepare(load_sink(SINK), data)
    gc.collect()
    was_reset = reset_peak()
    before = current_rss()
    t0 = time.perf_counter()
    try:
        count = contender.run(data)
    except Exception as exc:  # noqa: BLE001 - reported, as the runner does
        return {"contender": name, "status": f"failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"}
    seconds = time.perf_counter() - t0
    peak = peak_rss()
    return {
        "contender": name,
        "status": "ok",
        "records": count,
        "bytes": len(data),
        "seconds": seconds,
        "rss_before_mb": before / _MB,
        "peak_rss_mb": peak / _MB,
        "rss_increase_mb": (peak - before) / _MB,
        "ru_maxrss_mb": ru_maxrss() / _MB,
        "hwm_reset": was_reset,
    }


def in_subprocess(
    name: str, data_path: str | os.PathLike[str], records: int | None = None, mapper_options: dict[str, Any] | None = None, timeout: float = 900.0
) -> dict[str, Any]:
    """Run :func:`measure` for contender ``name`` in a fresh interpreter; its JSON result (or a failure status)."""
    cmd = [sys.executable, "-m", "benchmarks.rss", "--contender", name, "--data", str(data_path)]
    if records is not None:
        cmd += ["--records", str(records)]
    if mapper_options:
        cmd += ["--mapper-options", json.dumps(mapper_options)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])))
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"contender": name, "status": f"failed: timed out after {timeout:.0f} s"}
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"contender": name, "status": f"failed: exit {proc.returncode}: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.rss", description="Peak RSS of one contender run, in this (fresh) process; prints one JSON line.")
    p.add_argument("--contender", required=True, help="contender name (see benchmarks/contenders.py)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="PATH", help="NDJSON file to map")
    src.add_argument("--generate", metavar="N", type=positive_int, help="generate N records with benchmarks.gen instead")
    p.add_argument("--records", type=positive_int, metavar="N", help="with --data: only the first N records")
    p.add_argument("--variant", choices=("clean", "lax", "bad"), default="clean", help="with --generate (default clean)")
    p.add_argument("--mapper-options", metavar="JSON", help='options for Mapper.map, e.g. \'{"on_error": "skip"}\'')
    args = p.parse_args(argv)
    from benchmarks.contenders import get_contenders

    try:
        get_contenders([args.contender])
    except ValueError as exc:
        p.error(str(exc))
    if args.data is not None:
        try:
            data = Path(args.data).read_bytes()
        except OSError as exc:
            p.error(f"--data {args.data}: {exc.strerror or exc}")
        if args.records is not None:
            data = head_records(data, args.records)
    else:
        from .gen import generate

        data = generate(args.generate, args.variant)
    options = json.loads(args.mapper_options) if args.mapper_options else None
    print(json.dumps(measure(args.contender, data, options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
