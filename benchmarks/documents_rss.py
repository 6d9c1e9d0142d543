"""Peak memory of records read from inside one large JSON document (``records_path``).

A dump1090-like document (``{"now": ..., "aircraft": [...]}``) of about ``--mb`` MB is
written to a temporary directory in two layouts, one record a line (as dump1090 writes
it) and all on one line (``jq -c``), and each is read in a fresh process by
``Mapper.validate`` and by ``Mapper.iter_batches`` with ``records_path="aircraft"``.
Printed: the document's size, the peak RSS above the process's RSS before the run (see
:func:`benchmarks.rss.peak_rss`), their ratio, and the wall time::

    python -m benchmarks.documents_rss [--mb 200]

A document is read whole (it is one JSON value: one that does not parse is one bad
record), so the floor is about 1x its size, plus the records' views (about 50 bytes each)
and, for the one-line layout, the line the NDJSON reader hands over besides the document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from benchmarks.rss import current_rss, peak_rss, reset_peak
import mapper
sink = {"primary_key_fields": ["hex"], "allow_missing_fields": True, "definition": [
    {"name": "hex", "path": ["hex"], "type": "string"}, {"name": "alt", "path": ["alt_baro"], "type": "int"},
    {"name": "flight", "path": ["flight"], "type": "string"}]}
m = mapper.compile_sink(sink)
reset_peak()
before = current_rss()
t = time.perf_counter()
if sys.argv[2] == "validate":
    n = m.validate(sys.argv[1], records_path="aircraft").records
else:
    n = sum(b.report.records for b in m.iter_batches(sys.argv[1], records=50_000, records_path="aircraft"))
print(json.dumps({"records": n, "grown": peak_rss() - before, "seconds": time.perf_counter() - t}))
"""


def write(path: Path, mb: int, one_line: bool) -> int:
    """A document of about ``mb`` MB; the number of its records."""
    n = mb * 1024 * 1024 // 170
    sep = "," if one_line else ",\n"
    with open(path, "w") as f:
        f.write('{"now": 1673799021.7, "messages": 15, "aircraft": [' + ("" if one_line else "\n"))
        for i in range(n):
            rec = {"hex": f"a{i:07x}", "alt_baro": i if i % 9 else "ground", "flight": f"F{i}", "lat": 51.5, "lon": -0.1, "pad": "x" * 60}
            f.write((sep if i else "") + json.dumps(rec))
        f.write("]}\n" if one_line else "\n]}\n")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.documents_rss", description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200, help="the document's size in MB (default 200)")
    args = ap.parse_args(argv)
    if args.mb < 1:
        ap.error(f"argument --mb: {args.mb} is not above 0")
    with tempfile.TemporaryDirectory() as tmp:
        for layout in ("a record a line", "one line"):
            path = Path(tmp) / "doc.json"
            n = write(path, args.mb, layout == "one line")
            size = path.stat().st_size
            for how in ("validate", "iter_batches"):
                r = subprocess.run([sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True, cwd=REPO, check=True)
                out = json.loads(r.stdout)
                assert out["records"] == n, out
                print(
                    f"{layout:16} {how:12} {size / 2**20:7.0f} MB  peak +{out['grown'] / 2**20:7.0f} MB  {out['grown'] / size:4.2f}x  {out['seconds']:5.1f} s"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
