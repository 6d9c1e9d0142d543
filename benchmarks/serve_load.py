"""Load on ``mapper serve``: bodies/s, records/s and request latency with concurrent clients.

    python -m benchmarks.serve_load [--clients 8] [--bodies 400] [--records 500] [--json PATH]
    python -m benchmarks.serve_load --paced [--clients 8] [--bodies 40]

Starts ``mapper serve`` as a subprocess (its own interpreter: the clients' threads do
not share its GIL) on a fresh SQLite database in a temporary directory, then runs
``--clients`` threads, each posting its share of ``--bodies`` request bodies of
``--records`` seed-shaped records (:mod:`benchmarks.gen`, about 330 bytes a record,
every ``_id`` distinct) over one keep-alive connection, as fast as it is answered.

Default: the service's limits are lifted (``--records-per-s``/``--bytes-per-s`` huge),
so this measures what one ``serve`` process takes: each request is validated and mapped
by the engine and written in its own SQLite transaction (WAL, ``synchronous=FULL``).
``--paced``: the documented limits (1,000 records/s, 1 MB/s per endpoint) and every
client a :class:`mapper.Sender` with its own pacing, all on one endpoint: the achieved
rate must stay at the limit, the surplus throttled and retried.

Prints bodies/s, records/s, MB/s and the latency percentiles of the requests, then
checks with the service that every record was stored once (``GET /v2/sinks/<id>``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from mapper.endpoint import encode_body

from .gen import SINK, positive_int, record

REPO = Path(__file__).resolve().parent.parent


def make_bodies(n_bodies: int, per_body: int) -> list[bytes]:
    """Distinct records in bodies, the way a producer would send them."""
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    rnd = random.Random(42)
    bodies = []
    for b in range(n_bodies):
        bodies.append(encode_body([dumps(record(b * per_body + i, rnd)).encode() for i in range(per_body)]))
    return bodies


def start_serve(db: Path, sink_path: Path, paced: bool, max_body: int) -> tuple[subprocess.Popen[bytes], str]:
    args = [sys.executable, "-m", "mapper", "serve", str(sink_path), "--db", str(db), "--port", "0", "-q"]
    if not paced:
        args += ["--records-per-s", "1e9", "--bytes-per-s", "1e12", "--max-body-bytes", str(max_body)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if "listening on" not in line:
        proc.kill()
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"mapper serve did not start: {line}{err}")
    return proc, line.split("listening on ")[1].split()[0]


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def _race(client: Callable[[int], None], clients: int, barrier: threading.Barrier) -> float:
    """Start ``client(k)`` for every k, release them together at ``barrier``; the wall seconds until all are done."""
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    barrier.wait()
    start = time.perf_counter()
    for th in threads:
        th.join()
    return time.perf_counter() - start


def run_raw(url: str, path: str, bodies: list[bytes], clients: int) -> tuple[list[float], float, int]:
    """Each client posts its share as fast as it is answered; (latencies, wall seconds, non-200 answers)."""
    host, port = url.split("//")[1].rsplit(":", 1)
    shares = [bodies[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        barrier.wait()
        for body in shares[k]:
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            latencies[k].append(time.perf_counter() - t0)
            if resp.status != 200:
                failures[k] += 1
        conn.close()

    wall = _race(client, clients, barrier)
    return [x for lat in latencies for x in lat], wall, sum(failures)


def run_paced(url: str, path: str, bodies: list[bytes], clients: int) -> tuple[list[float], float, int]:
    """Every client a mapper.Sender at the documented limits, all on one endpoint."""
    import mapper

    shares = [bodies[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    retries = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        with mapper.Sender(
            url + path, body_records=max(1, len(json.loads(shares[k][0])["records"])) if shares[k] else None, backoff=0.1, max_backoff=2.0, retries=100
        ) as sender:
            barrier.wait()
            for body in shares[k]:
                t0 = time.perf_counter()
                ack = sender.send(body)
                latencies[k].append(time.perf_counter() - t0)
                retries[k] += ack.retries

    wall = _race(client, clients, barrier)
    return [x for lat in latencies for x in lat], wall, sum(retries)


def measure(clients: int = 8, n_bodies: int = 400, per_body: int = 500, paced: bool = False) -> dict[str, Any]:
    """Run the load once; return the figures (and check the service stored every record once)."""
    bodies = make_bodies(n_bodies, per_body)
    total_bytes = sum(len(b) for b in bodies)
    with tempfile.TemporaryDirectory(prefix="mapper-serve-load-") as tmp:
        sink_path = Path(tmp) / "sink.json"
        sink_path.write_text(json.dumps(SINK))
        proc, url = start_serve(Path(tmp) / "load.db", sink_path, paced, max(len(b) for b in bodies) + 1)
        try:
            path = f"/v2/sinks/{SINK['name']}"
            latencies, wall, extra = (run_paced if paced else run_raw)(url, path, bodies, clients)
            host, port = url.split("//")[1].rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", path)
            info = json.loads(conn.getresponse().read())
            conn.request("GET", f"{path}/rows?limit=0")
            rows_total = json.loads(conn.getresponse().read())["total"]
            conn.close()
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    latencies.sort()
    records = n_bodies * per_body
    return {
        "mode": "paced (documented limits)" if paced else "limits lifted",
        "clients": clients,
        "bodies": n_bodies,
        "records_per_body": per_body,
        "body_bytes_mean": total_bytes // max(1, n_bodies),
        "records": records,
        "seconds": wall,
        "bodies_per_s": n_bodies / wall,
        "records_per_s": records / wall,
        "mb_per_s": total_bytes / 1e6 / wall,
        "latency_ms": {q: 1000 * _percentile(latencies, v) for q, v in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))},
        ("retries" if paced else "errors"): extra,
        "stored": info["counts"]["records_stored"],
        "rows": rows_total,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "command": "python -m benchmarks.serve_load " + " ".join(sys.argv[1:]),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.serve_load", description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=positive_int, default=8, help="concurrent clients (default 8)")
    p.add_argument("--bodies", type=positive_int, default=None, help="request bodies in all (default 400; 40 with --paced)")
    p.add_argument("--records", type=positive_int, default=500, help="records per body (default 500)")
    p.add_argument("--paced", action="store_true", help="the documented limits, each client a mapper.Sender")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = p.parse_args(argv)
    n_bodies = args.bodies if args.bodies is not None else (40 if args.paced else 400)
    fig = measure(args.clients, n_bodies, args.records, args.paced)
    lat = fig["latency_ms"]
    print(
        f"mapper serve under load ({fig['mode']}): {fig['clients']} clients, {fig['bodies']:,} bodies of {fig['records_per_body']:,} records (~{fig['body_bytes_mean']:,} bytes)"
    )
    print(f"  {fig['bodies_per_s']:,.1f} bodies/s  {fig['records_per_s']:,.0f} records/s  {fig['mb_per_s']:,.2f} MB/s  in {fig['seconds']:,.2f} s")
    print(f"  latency per request: p50 {lat['p50']:,.1f} ms  p90 {lat['p90']:,.1f} ms  p99 {lat['p99']:,.1f} ms  max {lat['max']:,.1f} ms")
    extra = f"{fig['retries']:,} retries (throttled)" if args.paced else f"{fig['errors']:,} non-200 answers"
    ok = fig["stored"] == fig["records"] == fig["rows"]
    print(f"  stored {fig['stored']:,} of {fig['records']:,} records, {fig['rows']:,} rows; {extra}: {'OK' if ok else 'MISMATCH'}")
    print(f"  {fig['machine']}")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))
    if not ok:
        raise SystemExit(1)
    return fig


if __name__ == "__main__":
    main()
