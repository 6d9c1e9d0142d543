"""Validate (or map) a ~1 GB NDJSON file with the CLI and measure its wall time and peak RSS.

    python -m benchmarks.bigfile [--size-gb 1.0] [--path /tmp/mapper-big.ndjson] [--keep] [--map-to parquet]

Writes seed-shaped records (:mod:`benchmarks.gen`) in pieces of 50,000, so this
script stays small whatever the size (each piece has its own seed and absolute
record numbers, so ids never repeat), writes the sink next to it, and runs

    python -m mapper validate SINK FILE --quiet --report json

as a subprocess. ``validate`` streams its input, so its memory should not grow with
the file: the issue's target is a peak RSS under 300 MB. The peak is ``VmHWM`` of
the child, polled from ``/proc/<pid>/status`` while it runs (``ru_maxrss`` of the
child, also shown, can start from this parent's size: Linux carries the forked
copy's high-water mark across ``exec``). The file is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .gen import SINK, positive_float, variant_record

REPO = Path(__file__).resolve().parent.parent
PIECE = 50_000
TARGET_RSS_MB = 300.0
TARGET_MAP_RSS_MB = 400.0  # map -o out.parquet: it streams row groups


def write_records(path: Path, size_bytes: int, variant: str = "clean", piece: int = PIECE) -> tuple[int, int]:
    """Write records to ``path`` until it holds at least ``size_bytes``; return (records, bytes).

    Same record text as :func:`benchmarks.gen.generate` (same encoder settings), but
    numbered from where the previous piece stopped.
    """
    dumps = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=False).encode
    written = 0
    n = 0
    k = 0
    with open(path, "wb") as fh:
        while written < size_bytes:
            rnd = random.Random(42 + k)
            lines = []
            for i in range(n, n + piece):
                lines.append(dumps(variant_record(i, rnd, variant)))
            chunk = ("\n".join(lines) + "\n").encode("utf-8")
            fh.write(chunk)
            written += len(chunk)
            n += piece
            k += 1
    return n, written


class PeakPoller(threading.Thread):
    """Polls ``VmHWM`` (peak RSS, kB) of a running process until it exits."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with open(self.path, encoding="ascii") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                            self.samples += 1
                            break
            except (OSError, ValueError):  # gone, or a zombie without memory lines
                pass
            self.done.wait(self.interval)


def validate(sink_path: Path, data_path: Path, map_to: str | None = None) -> dict[str, Any]:
    """Run ``mapper validate`` (or ``mapper map -o FILE.<map_to>``) on the file; wall time, peak RSS, exit code and the report's verdict."""
    cmd = [sys.executable, "-m", "mapper", "validate", str(sink_path), str(data_path), "--quiet", "--report", "json"]
    if map_to is not None:
        target = Path(tempfile.gettempdir()) / f"mapper-bigfile-out.{map_to}"
        cmd = [sys.executable, "-m", "mapper", "map", str(sink_path), str(data_path), "--quiet", "-o", str(target)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        poller = PeakPoller(proc.pid)
        poller.start()
        # wait4 reaps the child and hands back its own rusage (RUSAGE_CHILDREN would mix in every child).
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        poller.done.set()
        poller.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if map_to is not None:
        target.unlink(missing_ok=True)
    maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    report: dict[str, Any] = {}
    try:
        report = json.loads(stdout)
    except ValueError:
        pass
    return {
        "command": cmd,
        "exit_code": proc.returncode,
        "seconds": seconds,
        "peak_rss_mb": poller.peak_kb / 1024 if poller.samples else None,
        "ru_maxrss_mb": maxrss / (1024 * 1024),
        "accepted": report.get("accepted"),
        "records_reported": report.get("records"),
        "error_count": report.get("error_count"),
        "stderr": stderr.decode("utf-8", "replace")[-2000:],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bigfile", description=__doc__.splitlines()[0])
    p.add_argument("--size-gb", type=positive_float, default=1.0, help="file size in GB of 10^9 bytes (default 1.0)")
    p.add_argument("--path", default="/tmp/mapper-big.ndjson", help="where to write the file (default /tmp/mapper-big.ndjson)")
    p.add_argument("--variant", choices=("clean", "lax", "bad"), default="clean", help="record variant (default clean)")
    p.add_argument("--keep", action="store_true", help="keep the file (and reuse it if it exists)")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    p.add_argument(
        "--map-to", choices=("parquet", "arrow", "ndjson", "npz"), help="run `mapper map -o FILE.<format>` instead of validate (target: peak RSS under 400 MB)"
    )
    args = p.parse_args(argv)
    if args.map_to in ("parquet", "arrow") and importlib.util.find_spec("pyarrow") is None:
        # (mapper map would refuse it after the file is written: a failure's seconds and RSS are no figures)
        print(f"skipped: --map-to {args.map_to} needs pyarrow (pip install 'featurebase-mapper[arrow]')", file=sys.stderr)
        return 0
    data_path = Path(args.path)
    if not data_path.parent.is_dir():
        p.error(f"--path {args.path}: no such directory {data_path.parent}")
    target = int(args.size_gb * 1e9)
    t0 = time.perf_counter()
    if args.keep and data_path.exists() and data_path.stat().st_size >= target:
        size = data_path.stat().st_size
        with open(data_path, "rb") as fh:
            records = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))
        print(f"reusing {data_path}: {records:,} records, {size / 1e9:.2f} GB", flush=True)
    else:
        print(f"writing {args.size_gb:g} GB of {args.variant} records to {data_path} ...", flush=True)
        records, size = write_records(data_path, target, args.variant)
        print(f"wrote {records:,} records, {size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s", flush=True)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="mapper-sink-", delete=False) as sf:
            json.dump(SINK, sf)
        sink_path = Path(sf.name)
        try:
            res = validate(sink_path, data_path, args.map_to)
        finally:
            sink_path.unlink()
    finally:
        if not args.keep:
            data_path.unlink(missing_ok=True)

    rate = records / res["seconds"] if res["seconds"] else 0.0
    peak = res["peak_rss_mb"]
    print(f"command:   {' '.join(['python', *res['command'][1:]])}")
    print(f"records:   {records:,}")
    print(f"size:      {size / 1e9:.2f} GB ({size / records:.0f} bytes a record)")
    print(f"seconds:   {res['seconds']:.1f}")
    print(f"records/s: {rate:,.0f} ({size / res['seconds'] / 1e6:.0f} MB/s)")
    if peak is not None:
        target_mb = TARGET_MAP_RSS_MB if args.map_to else TARGET_RSS_MB
        verdict = "PASS" if peak < target_mb else "MISS"
        print(f"peak RSS:  {peak:.0f} MB (VmHWM; target < {target_mb:.0f} MB: {verdict}); ru_maxrss {res['ru_maxrss_mb']:.0f} MB")
    else:
        print(f"peak RSS:  {res['ru_maxrss_mb']:.0f} MB (ru_maxrss; /proc not available, may include this parent's size)")
    if args.map_to:
        print(f"map:       exit {res['exit_code']}")
    else:
        print(f"validate:  exit {res['exit_code']}, accepted={res['accepted']}, records={res['records_reported']}, errors={res['error_count']}")
    if res["exit_code"] not in (0, 1) and res["stderr"]:
        print("stderr:    " + res["stderr"].strip().splitlines()[-1])
    if args.json:
        Path(args.json).write_text(json.dumps({"records": records, "bytes": size, "records_per_s": rate, **res}, indent=2) + "\n", encoding="utf-8")
    return 0 if res["exit_code"] in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
