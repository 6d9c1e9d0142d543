"""``mapper send`` and ``mapper serve`` (issue 16): end to end, faults, a killed send resumed, load, security.

Everything runs on 127.0.0.1 with small limits and short timeouts, each network test
bounded in time. Servers run in this process (``mapper.serve.Server`` in a thread) unless
the test is about the process itself (signals, a kill). Faults come from a tiny handler
below that answers as told and otherwise hands the request to the real service.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
import sinks

import mapper
from mapper.endpoint import Limits, Pacer, TokenBucket, encode_body
from mapper.serve import App, Server
from mapper.store import Store
from tests.cli_inproc import run_main
from tests.odd_names import odd_named

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import read_here  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SEED = ROOT / "examples" / "aircraft" / "records.ndjson"
SINK_ID = "aircraft_positions"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def shared_data() -> Path | None:
    """../shared/data: next to the checkout, or next to the directory of worktrees."""
    env = os.environ.get("MAPPER_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return None


# ---------------------------------------------------------------------------------------
# Helpers


def cli(*args: Any, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m mapper ARGS`` run in this process (:func:`tests.cli_inproc.run_main`; with ``env``, a subprocess); no traceback."""
    return run_main(*args, env=env, timeout=timeout)


def main_in_process(capsys: Any, *args: Any) -> tuple[int, str, str]:
    """``mapper ARGS`` in this process (fast, for the paths that end early): (exit code, stdout, stderr)."""
    from mapper.cli import main

    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def report_of(proc: subprocess.CompletedProcess) -> dict[str, Any]:
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


@contextmanager
def serving(tmp_path: Path, *sinks: Any, store_clock: Any = None, **app_kw: Any) -> Iterator[tuple[Server, App, Store]]:
    store = Store(tmp_path / "serve.db") if store_clock is None else Store(tmp_path / "serve.db", clock=store_clock)
    for s in sinks:
        store.create_sink(s, exist_ok=True)
    app = App(store, **app_kw)
    server = Server(app).start()
    try:
        yield server, app, store
    finally:
        server.stop()
        store.close()


def request(url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], Any]:
    parts = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(parts[0], int(parts[1]), timeout=10)
    try:
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.headers), orjson.loads(data) if data else None
    finally:
        conn.close()


def recv_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    parts = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def aircraft(i: int, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"r{i}",
        "timestamp": 1659981468260 + i,
        "data": {"aircraftId": f"A{i % 97:04X}", "lat": 45.1199, "long": -43.416, "track": i % 360, "altitude": 1000 + i, "speed": 400, "type": "B788"},
    }
    rec["data"].update({"reg": "G-ZBJA", "origin": "LHR", "destination": "BNA", "icaoId": "BAW223N", "airline": "BAW"})
    for key, value in over.items():
        if value is None:
            del rec["data"][key]
        else:
            rec["data"][key] = value
    return rec


def write_records(path: Path, n: int) -> Path:
    """n aircraft records: every 17th has a bad altitude, every 23rd lacks its latitude (both refused alone)."""
    lines = []
    for i in range(n):
        if i % 17 == 5:
            rec = aircraft(i, altitude="high")
        elif i % 23 == 7:
            rec = aircraft(i, lat=None)
        else:
            rec = aircraft(i)
        lines.append(orjson.dumps(rec))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def refused_ids(n: int) -> set[str]:
    return {f"r{i}" for i in range(n) if i % 17 == 5 or i % 23 == 7}


def write_kind(col: mapper.Column) -> str:
    if col.type in ("ids", "strings") or (col.type in ("id", "string") and not col.config.mutex):
        return "set"
    return "signed" if col.type == "signedIntBoolKey" else "replace"


def fold(sink: mapper.Sink, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the table holds after these rows are written in order (a reference, independent of the store)."""
    kinds = {c.name: write_kind(c) for c in sink.stored_columns}
    table: dict[Any, dict[str, Any]] = {}
    for row in rows:
        cur = table.setdefault(row["_id"], {"_id": row["_id"]})
        for name, value in row.items():
            if name == "_id":
                continue
            if value is None or kinds[name] == "replace":
                cur[name] = value
                continue
            old = cur.get(name) or []
            new = value if isinstance(value, list) else [value]
            if kinds[name] == "signed":
                cur[name] = [v for v in old if v != -value] if value <= 0 else old + [value] * (value not in old)
            else:
                cur[name] = old + [v for v in dict.fromkeys(new) if v not in old]
    return list(table.values())


def map_rows(sink_path: Path, records: Path) -> list[dict[str, Any]]:
    """The rows ``mapper map`` writes, each record judged alone (what send sends)."""
    proc = cli("map", sink_path, records, "--on-error", "skip", "-o", "-", "-q")
    assert proc.returncode in (EXIT_OK, EXIT_REJECTED), proc.err
    return [json.loads(line) for line in proc.out.splitlines()]


def rows_in(store: Store, sink_id: str) -> list[dict[str, Any]]:
    return list(store.iter_rows(sink_id))


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


# ---------------------------------------------------------------------------------------
# A server with faults: answers as told, and otherwise hands the request to the real service


def wait_closed(conn: socket.socket, limit: float = 30.0) -> None:
    """Until the client closes ``conn`` (a timeout or a kill on its side), at most ``limit`` s: no race with a sleep."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        readable, _w, _x = select.select([conn], [], [], 0.05)
        if readable:
            try:
                if not conn.recv(1, socket.MSG_PEEK):
                    return
            except OSError:
                return
            time.sleep(0.01)  # bytes of another request (not expected): keep waiting for the close


@contextmanager
def fault_server(app: App, faults: list[str]) -> Iterator[tuple[str, list[str]]]:
    script = deque(faults)
    seen: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def finish(self) -> None:
            try:
                super().finish()
            except (OSError, ValueError):
                pass

        def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (a timeout fault)
                self.close_connection = True

        def do_POST(self) -> None:
            with lock:
                fault = script.popleft() if script else "ok"
            n = int(self.headers.get("Content-Length") or 0)
            if fault == "reset":  # read half the body, then reset the connection
                seen.append(fault)
                self.rfile.read(n // 2)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            data = self.rfile.read(n)
            seen.append(fault)  # (once the whole body is here: a test that kills the client on seeing its request kept a cut body, seen in CI)
            if fault in ("429", "500", "502", "503"):
                return self.answer(int(fault), b'{"code":"Injected","message":"injected fault"}')
            if fault == "retry-after":
                return self.answer(429, b'{"code":"TooManyRequests","message":"slow down"}', {"Retry-After": "0"})
            if fault == "throttle":
                return self.answer(400, b'{"code":"ResourceThroughputExceeded","message":"injected"}')
            if fault == "401":
                return self.answer(401, b'{"code":"Unauthorized","message":"the token is not valid"}')
            if fault == "late":  # answer late: held until the client has given up (timed out, or was killed), stored all the same
                wait_closed(self.connection)
            resp = app.dispatch("POST", self.path, self.headers, lambda limit: data)
            self.answer(resp.status, resp.body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


# ---------------------------------------------------------------------------------------
# Pacing (an injectable clock: no waiting)


def test_pacer_holds_records_per_second():
    clock = FakeClock()
    pacer = Pacer(Limits(100, 1_000_000, 50, 100_000), clock=clock, sleep=clock.sleep)
    for _ in range(10):
        pacer.acquire(50, 1_000)
    # the bucket holds one body (50 records); the other 450 records take 4.5 s at 100/s
    assert clock.t - 1000.0 == pytest.approx(4.5)


def test_pacer_holds_bytes_per_second_and_refuses_a_body_beyond_its_limits():
    clock = FakeClock()
    pacer = Pacer(Limits(1_000_000, 10_000, 1_000, 5_000), clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pacer.acquire(10, 5_000)
    assert clock.t - 1000.0 == pytest.approx(2.0)
    with pytest.raises(mapper.OptionError):
        pacer.acquire(10, 5_001)


def test_token_bucket_refills_at_its_rate_up_to_its_capacity():
    clock = FakeClock()
    bucket = TokenBucket(10, 20, clock=clock)
    assert bucket.try_take(20) and not bucket.try_take(1)
    clock.t += 0.5
    assert bucket.wait_time(10) == pytest.approx(0.5) and bucket.try_take(5)
    clock.t += 100
    assert bucket.try_take(20) and not bucket.try_take(0.5)


def test_sender_paces_with_its_clock_and_backs_off_exponentially_with_jitter(tmp_path):
    store = Store(tmp_path / "x.db")
    store.create_sink(SINK)
    app = App(store, limits=Limits(100_000, 100_000_000))
    clock = FakeClock()
    retries: list[tuple[str, float]] = []
    bodies = [encode_body([orjson.dumps(aircraft(i * 10 + k)) for k in range(10)]) for i in range(6)]
    with fault_server(app, ["503", "503", "503", "retry-after"]) as (url, seen):
        sender = mapper.Sender(
            f"{url}/v2/sinks/{SINK_ID}",
            records_per_s=20,
            body_records=10,
            backoff=0.1,
            clock=clock,
            sleep=clock.sleep,
            rand=lambda: 1.0,
            on_retry=lambda r, d: retries.append((r, d)),
        )
        acks = [sender.send(b) for b in bodies]
        sender.close()
    assert [a.stored for a in acks] == [10] * 6 and seen[:4] == ["503", "503", "503", "retry-after"]
    assert [round(d, 6) for _r, d in retries] == [0.1, 0.2, 0.4, 0.8]  # doubling; Retry-After 0 is below the backoff
    assert retries[0][0].startswith("503 Injected")
    assert acks[0].retries == 4 and acks[0].attempts == 5 and not acks[0].resent
    # every attempt spends a body's tokens (10 records at 20/s: 0.5 s); a backoff refills some of them
    # (0.1 s: 2 tokens, so 0.4 s more to wait), the 0.8 s one more than the bucket holds
    assert [round(x, 6) for x in clock.sleeps] == [0.1, 0.4, 0.2, 0.3, 0.4, 0.1, 0.8] + [0.5] * 5
    store.close()


# ---------------------------------------------------------------------------------------
# send -> serve, end to end


def test_send_to_serve_stores_exactly_the_rows_map_produces_on_the_seed(tmp_path):
    expected = map_rows(SINK, SEED)
    assert len(expected) == 3
    with serving(tmp_path, SINK) as (server, _app, store):
        proc = cli("send", SINK, SEED, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--report", "json")
        assert proc.returncode == EXIT_OK, proc.err
        totals = report_of(proc)
        assert (totals["sent"], totals["stored"], totals["bodies"], totals["refused_service"], totals["refused_prevalidation"]) == (3, 3, 1, 0, 0)
        assert rows_in(store, SINK_ID) == expected
        # the query command prints the same rows
        query = cli("serve", "--db", tmp_path / "serve.db", "--query", SINK_ID)
        assert [json.loads(x) for x in query.out.splitlines()] == expected
        # the same again: _id upserts leave the table as it was
        assert cli("send", SINK, SEED, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "-q").returncode == EXIT_OK
        assert rows_in(store, SINK_ID) == expected
        assert store.sink(SINK_ID).records_stored == 6


def test_send_accounts_for_every_record_and_writes_dead_letters_with_their_source(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 120)
    expected = map_rows(SINK, records)
    assert len(expected) == 120 - len(refused_ids(120))
    rejects = tmp_path / "rejects.ndjson"
    with serving(tmp_path, SINK) as (server, _app, store):
        proc = cli("send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--body-records", 25, "--rejects", rejects, "--report", "json")
        assert proc.returncode == EXIT_REJECTED, proc.err
        t = report_of(proc)
        assert (t["records"], t["sent"], t["stored"], t["refused_prevalidation"]) == (120, len(expected), len(expected), len(refused_ids(120)))
        assert t["bodies"] == -(-len(expected) // 25)
        assert rows_in(store, SINK_ID) == expected
    letters = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert {json.loads(d["raw"])["id"] for d in letters} == refused_ids(120)
    assert all(d["source"] == "pre-validation" for d in letters)
    assert [d["record"] for d in letters] == sorted(d["record"] for d in letters)
    first = letters[0]
    assert first["line"] == first["record"] + 1 and first["errors"][0]["code"] in ("invalid_value", "missing")
    assert f"line {first['line']}" in first["errors"][0]["message"]
    assert "mapper send:" in proc.err and "stored" in proc.err


def test_refusals_by_the_service_are_dead_letters_with_its_code(tmp_path):
    # the service knows a stricter sink than the producer: it refuses what pre-validation let through
    strict = json.loads(SINK.read_text())
    strict["schema"]["definition"][6]["config"] = {"Min": -2000, "Max": 1050}
    strict_path = tmp_path / "strict.json"
    strict_path.write_text(json.dumps(strict))
    records = write_records(tmp_path / "r.ndjson", 80)
    rejects = tmp_path / "rejects.ndjson"
    with serving(tmp_path, strict_path) as (server, _app, store):
        proc = cli("send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--rejects", rejects, "--report", "json", "-q")
        assert proc.returncode == EXIT_REJECTED
        t = report_of(proc)
        service = [json.loads(x) for x in rejects.read_text().splitlines() if json.loads(x)["source"] == "service"]
        too_high = {f"r{i}" for i in range(80) if 1000 + i > 1050} - refused_ids(80)
        assert {json.loads(d["raw"])["id"] for d in service} == too_high
        assert t["refused_service"] == len(too_high) and t["stored"] == t["sent"] - len(too_high)
        assert all(d["error_code"] == "InvalidBody" and "out of range" in d["error_message"] for d in service)
        assert store.sink(SINK_ID).records_refused == len(too_high)
        assert {r["_id"] for r in rows_in(store, SINK_ID)} == {f"r{i}" for i in range(80)} - refused_ids(80) - too_high


def test_the_service_answers_each_record_exactly_as_validate_report_endpoint(tmp_path):
    lines = [orjson.dumps(aircraft(1)), orjson.dumps(aircraft(2, altitude="high")), b"[1, 2]", orjson.dumps(aircraft(3, speed=99999))]
    body = encode_body(lines)
    with serving(tmp_path, SINK) as (server, _app, _store):
        status, _h, answer = request(server.url, "POST", f"/v2/sinks/{SINK_ID}", body)
        assert status == 200
        proc = subprocess.run(
            [sys.executable, "-m", "mapper", "validate", SINK, "--report", "endpoint", "--input-format", "endpoint"],
            input=body,
            capture_output=True,
            cwd=ROOT,
            timeout=60,
        )
        assert answer == json.loads(proc.stdout)
        assert [r["status"] for r in answer["records"]] == ["success", "error", "error", "error"]
        # a missing value (allow_missing_fields false) discards the whole body, as the endpoint does
        status, _h, answer = request(server.url, "POST", f"/v2/sinks/{SINK_ID}", encode_body([orjson.dumps(aircraft(4)), orjson.dumps(aircraft(5, lat=None))]))
        assert status == 200 and answer["success_count"] == 0
        assert [r["error_code"] for r in answer["records"]] == ["BatchDiscarded", "MissingField"]
        assert [r["_id"] for r in rows_in(_store, SINK_ID)] == ["r1"]


CORPORA = [
    (
        "adsb/aircraft.ndjson",
        sinks.sink(
            sinks.column("hex", "string"),
            sinks.column("flight", "string"),
            sinks.column("alt_baro", "int"),
            sinks.column("lat", "decimal", Scale=6),
            sinks.column("seen", "decimal", Scale=1),
            sinks.column("mlat", "strings"),
            sinks.column("squawk", "string", Mutex=True),
            name="adsb",
            schema_type=None,
            primary_key_fields=["hex"],
        ),
    ),
    (
        "json-corpora/twitter-statuses.ndjson",
        sinks.sink(
            sinks.column("id_str", "string"),
            sinks.column("user", "string", path=["user", "screen_name"], Mutex=True),
            sinks.column("followers", "int", path=["user", "followers_count"]),
            sinks.column("lang", "string"),
            sinks.column("retweets", "int", path=["retweet_count"]),
            sinks.column("favorited", "bool"),
            sinks.column("reply_to", "id", path=["in_reply_to_user_id"], Mutex=True),
            sinks.column("created", "timestamp", path=["created_at"], Layout="Mon Jan 02 15:04:05 -0700 2006"),
            name="tweets",
            schema_type=None,
            primary_key_fields=["id_str"],
        ),
    ),
    (
        "github-webhooks-ndjson/all-events.ndjson",
        sinks.sink(
            sinks.column("login", "string", path=["sender", "login"]),
            sinks.column("action", "string", Mutex=True),
            sinks.column("repos", "string", path=["repository", "full_name"]),
            sinks.column("repo_ids", "id", path=["repository", "id"]),
            sinks.column("private", "bool", path=["repository", "private"]),
            sinks.column("org", "string", path=["organization", "login"], Mutex=True),
            name="webhooks",
            schema_type=None,
            primary_key_fields=["login"],
        ),
    ),
]


@pytest.mark.parametrize(("rel", "definition"), CORPORA, ids=[c[0].split("/")[0] for c in CORPORA])
def test_send_to_serve_on_the_shared_corpora(tmp_path, rel, definition):
    data = shared_data()
    if data is None or not (data / rel).exists():
        pytest.skip("../shared/data is not here (it is only on the development machines)")
    sink_path = tmp_path / "sink.json"
    sink_path.write_text(json.dumps(definition))
    sink = mapper.load_sink(sink_path)
    expected = fold(sink, mapper.compile_sink(sink).map(data / rel, on_error="skip").to_rows())
    with serving(tmp_path, sink_path, limits=Limits(100_000, 50_000_000)) as (server, _app, store):
        proc = cli(
            "send",
            sink_path,
            data / rel,
            "--endpoint",
            f"{server.url}/v2/sinks/{definition['name']}",
            "--records-per-s",
            100_000,
            "--bytes-per-s",
            50_000_000,
            "--report",
            "json",
            "-q",
        )
        assert proc.returncode in (EXIT_OK, EXIT_REJECTED), proc.err
        t = report_of(proc)
        assert t["stored"] == t["sent"] and t["refused_service"] == 0
        assert rows_in(store, definition["name"]) == expected
    if rel.startswith("github"):  # many deliveries per sender: upserts accumulated sets
        assert len(expected) < t["sent"] and any(len(r.get("repos") or []) > 1 for r in expected)


# ---------------------------------------------------------------------------------------
# Write semantics


SEMANTICS = sinks.id_schema(
    sinks.column("m", "string", Mutex=True),
    sinks.column("s", "string"),
    sinks.column("tags", "strings"),
    sinks.column("ids", "ids"),
    sinks.column("n", "int"),
    sinks.column("d", "decimal", Scale=2),
    sinks.column("b", "bool"),
    sinks.column("t", "timestamp"),
    sinks.column("k", "signedIntBoolKey"),
    sinks.column("N", "int"),
)


def test_featurebase_write_semantics_upsert_replace_accumulate_clear_leave(tmp_path):
    sink = odd_named(SEMANTICS)  # ("N" beside "n": a name check refuses, FeatureBase's rule; a Sink built in Python has it)
    store = Store(tmp_path / "sem.db")
    store.create_sink(sink, sink_id="sem")
    bodies = [
        [
            {"id": 1, "m": "a", "s": "x", "tags": ["p", "q"], "ids": [1, 2], "n": 5, "d": "1.25", "b": True, "t": "2020-01-01T00:00:00Z", "k": 3, "N": 7},
            {"id": 2, "m": "z"},
            {"id": 1, "s": "y", "tags": "q,r", "k": 4},  # the same _id twice in one body: the second sees the first
        ],
        [
            {"id": 1, "m": "b", "n": None, "ids": [2, 3], "d": "", "k": -3},  # replace, clear, add, "" leaves alone, remove row 3
            {"id": 18446744073709551000 // 4096 * 4096, "m": "big"},  # a uint64 id above 2**63-1
            {"id": 2, "m": None, "b": False},
        ],
    ]
    for body in bodies:
        assert store.ingest("sem", encode_body([orjson.dumps(r) for r in body])).answer["error_count"] == 0
    rows = store.rows("sem").rows
    assert rows == [
        {
            "_id": 1,
            "m": "b",
            "s": ["x", "y"],
            "tags": ["p", "q", "r"],
            "ids": [1, 2, 3],
            "n": None,
            "d": "1.25",
            "b": None,  # a missing bool clears a real bool column (the ingester's BoolField, see README)
            "t": "2020-01-01T00:00:00Z",
            "k": [4],
            "N": 7,
        },
        {"_id": 2, "m": None, "b": False},
        {"_id": 18446744073709551000 // 4096 * 4096, "m": "big", "b": None},
    ]
    # the same as the reference fold of the rows map produces
    m = mapper.compile_sink(sink)
    all_rows = [row for body in bodies for row in m.map(body).to_rows()]
    assert rows == fold(sink, all_rows)
    # "n" is null (cleared), "s" on row 2 is missing (never written): the page tells them apart
    page = store.rows("sem", offset=1, limit=1)
    assert page.total == 3 and page.rows == [rows[1]] and ("s" not in page.rows[0]) and page.rows[0]["m"] is None
    # SQLite tells them apart too, through _state
    db = store.db
    state = db.execute('SELECT _state FROM "sem" WHERE _id = 2').fetchone()[0]
    assert state[0] == "n" and state[1] == "-" and state[6] == "v"
    store.close()
    # nothing lost across a reopen
    with Store(tmp_path / "sem.db") as again:
        assert again.rows("sem").rows == rows


def test_a_request_is_stored_whole_or_not_at_all(tmp_path, monkeypatch):
    import sqlite3

    store = Store(tmp_path / "t.db")
    store.create_sink(SINK)
    store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(0))]))
    real = store.db.executemany

    def half_then_fail(sql: str, params: Any) -> Any:
        params = list(params)
        real(sql, params[: len(params) // 2])
        raise sqlite3.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(store, "db", _Proxy(store.db, executemany=half_then_fail))
    with pytest.raises(mapper.ServiceError) as info:
        store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(i)) for i in range(1, 11)]))
    assert info.value.status == 500
    monkeypatch.undo()
    assert [r["_id"] for r in rows_in(store, SINK_ID)] == ["r0"]
    assert store.sink(SINK_ID).records_stored == 1
    store.close()


class _Proxy:
    def __init__(self, target: Any, **over: Any) -> None:
        self._target, self._over = target, over

    def __getattr__(self, name: str) -> Any:
        return self._over.get(name) or getattr(self._target, name)


# ---------------------------------------------------------------------------------------
# Faults


def test_send_rides_out_429_5xx_throttling_a_reset_and_a_timeout(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 100)
    expected = map_rows(SINK, records)
    store = Store(tmp_path / "f.db")
    store.create_sink(SINK)
    app = App(store)
    # the timeout is long enough that only the scripted late answer misses it on a loaded CI machine
    # (at 0.4 s an ordinary answer once took longer there: one more retry and re-send than scripted);
    # the late answer waits for the client to give up, not for a time that must outlast the timeout
    faults = ["429", "503", "503", "throttle", "reset", "late", "ok", "500", "ok", "502"]
    with fault_server(app, faults) as (url, seen):
        proc = cli(
            "send", SINK, records, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--body-records", 20,
            "--timeout", 3.0, "--backoff", 0.01, "--max-backoff", 0.05, "--retries", 8, "--report", "json", timeout=60,
        )  # fmt: skip
        assert proc.returncode == EXIT_REJECTED, proc.err  # some records were refused by pre-validation
        t = report_of(proc)
        assert seen[: len(faults)] == faults
        assert t["retried"] == 8  # one retry per fault
        # the first body's answer was lost twice (reset, timeout) and the third's once (502): both re-sent
        assert t["resent"] == 40
        assert t["sent"] == t["stored"] == len(expected)
        assert rows_in(store, SINK_ID) == expected
        # the body that timed out was stored by the service before its re-send: counted twice there, once in the table
        wait_for(lambda: store.sink(SINK_ID).records_stored == len(expected) + 20)
    store.close()


def test_send_stops_on_an_answer_not_to_retry_and_when_retries_run_out(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 30)
    store = Store(tmp_path / "f.db")
    store.create_sink(SINK)
    with fault_server(App(store), ["401"]) as (url, _seen):
        proc = cli("send", SINK, records, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--report", "json")
        assert proc.returncode == EXIT_USAGE
        assert "401 Unauthorized: the token is not valid" in proc.err and report_of(proc)["completed"] is False
    with fault_server(App(store), ["503"] * 10) as (url, _seen):
        proc = cli("send", SINK, records, "--endpoint", f"{url}/v2/sinks/{SINK_ID}", "--retries", 2, "--backoff", 0.01, "--report", "json")
        assert proc.returncode == EXIT_USAGE and "after 3 attempts" in proc.err
        assert report_of(proc)["retried"] == 2
    # nothing listens there: unreachable, not a traceback (the port stays bound, not listening, so that
    # no server started meanwhile, by a test running beside this one, can take it)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        proc = cli("send", SINK, records, "--endpoint", f"http://127.0.0.1:{port}/v2/sinks/x", "--retries", 1, "--backoff", 0.01)
    assert proc.returncode == EXIT_USAGE and "cannot connect" in proc.err
    store.close()


def test_a_killed_send_resumes_after_the_last_acknowledged_body(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 200)
    expected = map_rows(SINK, records)
    checkpoint = tmp_path / "send.checkpoint"
    rejects = tmp_path / "rejects.ndjson"
    store = Store(tmp_path / "k.db")
    store.create_sink(SINK)
    args = ["send", SINK, records, "--body-records", 30, "--checkpoint", checkpoint, "--rejects", rejects, "--timeout", 20, "--report", "json"]
    # the fourth request is answered late: the send is killed while that body is in flight (the service stores it)
    with fault_server(App(store), ["ok", "ok", "ok", "late"]) as (url, seen):
        endpoint = ["--endpoint", f"{url}/v2/sinks/{SINK_ID}"]
        proc = subprocess.Popen([sys.executable, "-m", "mapper", *map(str, args + endpoint)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(seen) >= 4, timeout=20)
            state = json.loads(checkpoint.read_text())
            assert state["in_flight"] is not None and state["totals"]["bodies"] == 3
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=10)
        acked_before_kill = state["totals"]["sent"]
        in_flight = state["in_flight"]["last"] - state["in_flight"]["first"] + 1
        wait_for(lambda: store.sink(SINK_ID).records_stored == acked_before_kill + 30, timeout=10)  # the late body landed
        again = cli(*args, *endpoint)
        assert again.returncode == EXIT_REJECTED, again.err
        t = report_of(again)
    assert t["resumed_after"] == state["position"]["index"]
    assert t["sent"] == t["stored"] == len(expected)  # cumulative over both runs: every accepted record once
    assert t["resent"] == 30 and in_flight >= 30  # the in-flight body was sent again, and counted
    assert rows_in(store, SINK_ID) == expected
    assert store.sink(SINK_ID).records_stored == len(expected) + 30
    letters = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert sorted(json.loads(d["raw"])["id"] for d in letters) == sorted(refused_ids(200))  # each once
    assert json.loads(checkpoint.read_text())["done"] is True
    # a done checkpoint sends nothing more: a new run, of no record (its own counts, exit 0)
    third = cli(*args, *endpoint)
    assert third.returncode == EXIT_OK and report_of(third)["sent"] == report_of(third)["records"] == 0, third.err
    assert report_of(third)["read_on_after"] == json.loads(checkpoint.read_text())["position"]["index"]
    assert store.sink(SINK_ID).records_stored == len(expected) + 30
    store.close()


def test_a_run_over_ndjson_and_a_json_array_resumes_and_names_each_file(tmp_path):
    from mapper.send import Checkpoint, SendRun

    first = write_records(tmp_path / "a.ndjson", 30)
    second = tmp_path / "b.json"
    second.write_bytes(orjson.dumps([aircraft(100 + i, speed=-1 if i % 7 == 3 else 400) for i in range(30)]))
    expected = map_rows(SINK, first) + [r for r in map_rows(SINK, second)]
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    names = [str(first), str(second)]
    store = Store(tmp_path / "m.db")
    store.create_sink(SINK)
    app = App(store)

    def make_run(url: str) -> SendRun:
        sender = mapper.Sender(f"{url}/v2/sinks/{SINK_ID}", body_records=20, retries=0)
        return SendRun(mapper.Batcher(SINK, max_records=20), sender, names, checkpoint=Checkpoint(str(checkpoint)), rejects=str(rejects))

    # the third body's connection is reset as it is sent: it may have been stored, so it stays in flight
    # (an answer that says it was not, such as a 401, would take it out: see test_send_faults)
    with fault_server(app, ["ok", "ok", "reset"]) as (url, _seen):
        with pytest.raises(mapper.EndpointUnreachable):
            make_run(url).run()
        state = json.loads(checkpoint.read_text())
        assert state["position"]["file"] == 1 and state["totals"]["bodies"] == 2  # the second body ended inside the JSON array
        totals = make_run(url).run()  # the same endpoint (a checkpoint is refused for another)
    refused = {i for i in range(30) if f"r{i}" in refused_ids(30)} | {30 + i for i in range(30) if i % 7 == 3}
    assert totals.sent == totals.stored == len(expected) and totals.records == 60
    assert totals.resent == sum(1 for i in range(state["in_flight"]["first"], state["in_flight"]["last"] + 1) if i not in refused) > 0
    assert rows_in(store, SINK_ID) == expected
    letters = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert sorted(json.loads(d["raw"])["id"] for d in letters) == sorted(refused_ids(30) | {f"r{100 + i}" for i in range(30) if i % 7 == 3})
    in_array = [d for d in letters if d["file"] == str(second)]
    # (the array is written on one line: each record's line is 1, as validate places it)
    assert in_array and all(d["line"] == 1 and d["record"] >= 30 for d in in_array)
    assert {d["file"] for d in letters} == set(names)
    store.close()


def test_a_checkpoint_of_other_inputs_is_refused(tmp_path, capsys):
    records = write_records(tmp_path / "r.ndjson", 10)
    other = write_records(tmp_path / "o.ndjson", 10)
    checkpoint = tmp_path / "c.json"
    with serving(tmp_path, SINK) as (server, _app, _store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert main_in_process(capsys, "send", SINK, records, "--endpoint", url, "--checkpoint", checkpoint, "-q")[0] == EXIT_REJECTED
        rc, _out, err = main_in_process(capsys, "send", SINK, other, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "other inputs" in err


# ---------------------------------------------------------------------------------------
# Load


@pytest.mark.no_cover  # a load test: it needs the senders at full speed to be throttled, which coverage tracing prevents
def test_eight_concurrent_senders_nothing_lost_and_the_endpoint_limits_held(tmp_path):
    rate, byte_rate = 2_000, 2_000_000
    with serving(tmp_path, SINK, limits=Limits(rate, byte_rate)) as (server, app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        errors: list[BaseException] = []
        retried = [0] * 8

        def producer(p: int) -> None:
            try:
                batcher = mapper.Batcher(SINK, max_records=50)
                with mapper.Sender(url, records_per_s=rate, body_records=50, backoff=0.02, max_backoff=0.2, retries=60) as sender:
                    batcher.add_many([aircraft(p * 1000 + i) for i in range(400)])
                    for body in batcher.flush():
                        ack = sender.send(body)
                        assert ack.stored == body.count
                        retried[p] += ack.retries
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        start = time.monotonic()
        threads = [threading.Thread(target=producer, args=(p,)) for p in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=40)
        assert not any(th.is_alive() for th in threads) and not errors, errors
        elapsed = time.monotonic() - start
        ids = [r["_id"] for r in rows_in(store, SINK_ID)]
        assert len(ids) == len(set(ids)) == 3200
        # 8 senders pacing at the full rate each reach the bucket's edge unless the machine
        # is too busy to send that fast: the endpoint's bucket starts full (one second's
        # worth, `rate` records) and refills at `rate`, so the 3,200 records can all pass
        # unthrottled when sending them takes (3200 - rate) / rate seconds or more
        if elapsed < (3200 - rate) / rate:
            assert sum(retried) > 0
        admitted = list(app.admitted)
        assert len(admitted) == 64 and sum(a[2] for a in admitted) == 3200
        # in every window of admissions, no more than the bucket (one second) plus the rate over the window
        for i in range(len(admitted)):
            total_records = total_bytes = 0
            for j in range(i, len(admitted)):
                total_records += admitted[j][2]
                total_bytes += admitted[j][3]
                span = admitted[j][0] - admitted[i][0]
                assert total_records <= rate * (1 + span) + 1e-6
                assert total_bytes <= byte_rate * (1 + span) + 1e-6
        assert elapsed >= (3200 - rate) / rate * 0.95
        assert store.sink(SINK_ID).requests_refused == sum(retried)


# ---------------------------------------------------------------------------------------
# The HTTP API and its security


def test_no_token_401_oversized_413_junk_400_and_the_server_stays_up(tmp_path):
    token = "s3cret-token-value"
    logged: list[str] = []
    with serving(tmp_path, SINK, token=token, max_body_bytes=10_000, log=logged.append) as (server, _app, store):
        path = f"/v2/sinks/{SINK_ID}"
        good = encode_body([orjson.dumps(aircraft(1))])
        auth = {"Authorization": f"Bearer {token}"}
        status, _h, err = request(server.url, "POST", path, good)
        assert (status, err["code"]) == (401, "MissingAuthenticationToken") and set(err) == {"code", "message"}
        status, _h, err = request(server.url, "POST", path, good, {"Authorization": "Bearer nope"})
        assert (status, err["code"]) == (401, "Unauthorized")
        status, _h, err = request(server.url, "GET", "/v2/sinks")
        assert status == 401
        status, _h, answer = request(server.url, "POST", path, good, auth)
        assert status == 200 and answer["success_count"] == 1
        deep = b'{"records": [{"value": ' + b"[" * 2000 + b"]" * 2000 + b"}]}"  # (read from Python 3.13 on, as Go reads it: tests/depths.py)
        cases = [
            (b"\x00\xffjunk bytes", 400, "InvalidBody"),
            *([] if read_here(2003) else [(deep, 400, "InvalidBody")]),
            (b'{"records": [{"value": {"id": "x", "n": 1e400}}]}', 400, "InvalidBody"),
            (b'{"records": [{"value": {"id": "x", "n": 1' + b"0" * 400 + b"}}]}", 400, "InvalidBody"),
            (b'{"records": 5}', 400, "InvalidBody"),
            (b"[]", 400, "InvalidBody"),
            (b"x" * 10_001, 413, "RequestEntityTooLarge"),
        ]
        for body, want_status, want_code in cases:
            status, _h, err = request(server.url, "POST", path, body, auth)
            assert (status, err["code"]) == (want_status, want_code), body[:40]
            assert set(err) == {"code", "message"} and err["message"]
        if read_here(2003):  # (no body under the cap is too deep for the decoders there: its one record is no object)
            status, _h, answer = request(server.url, "POST", path, deep, auth)
            assert status == 200 and (answer["success_count"], answer["error_count"]) == (0, 1), answer
        status, _h, err = request(server.url, "POST", path, good, {**auth, "Content-Type": "text/plain"})
        assert (status, err["code"]) == (400, "InvalidContentType")
        status, _h, err = request(server.url, "POST", "/v2/sinks/nope", good, auth)
        assert (status, err["code"]) == (404, "ResourceNotFound")
        status, _h, err = request(server.url, "DELETE", path, None, auth)
        assert (status, err["code"]) == (405, "MethodNotAllowed")
        # a Content-Length far beyond the cap, and no body: 413 at once, the connection closed
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n".encode()
            )
            reply = recv_all(s)
        assert reply.startswith(b"HTTP/1.1 413") and b"Connection: close" in reply
        # not HTTP at all
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01 garbage \r\n\r\n")
            reply = recv_all(s)
        assert reply.startswith(b"HTTP/1.1 400") and orjson.loads(reply.split(b"\r\n\r\n", 1)[1])["code"] == "BadRequest"
        # still up, still right
        status, _h, answer = request(server.url, "POST", path, encode_body([orjson.dumps(aircraft(2))]), auth)
        assert status == 200 and answer["success_count"] == 1
        info = store.sink(SINK_ID)
        assert info.records_stored == 2 and info.requests_refused >= (8 if read_here(2003) else 9) and "413" in (info.last_error or "")
    assert logged and not any(token in line for line in logged)


def test_send_never_shows_the_token(tmp_path, capsys, monkeypatch):
    records = write_records(tmp_path / "r.ndjson", 10)
    checkpoint = tmp_path / "c.json"
    secret = "tok-4f9a1c-never-print-me"
    with serving(tmp_path, SINK, token="another") as (server, _app, _store):
        env = {**os.environ, "MY_TOKEN": secret}
        proc = cli(
            "send",
            SINK,
            records,
            "--endpoint",
            f"{server.url}/v2/sinks/{SINK_ID}",
            "--token-env",
            "MY_TOKEN",
            "--checkpoint",
            checkpoint,
            "--report",
            "json",
            env=env,
        )
        assert proc.returncode == EXIT_USAGE and "401 Unauthorized" in proc.err
        assert secret not in proc.out + proc.err + checkpoint.read_text()
        monkeypatch.delenv("UNSET_VAR_FOR_TEST", raising=False)
        rc, _out, err = main_in_process(capsys, "send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--token-env", "UNSET_VAR_FOR_TEST")
        assert rc == EXIT_USAGE and "UNSET_VAR_FOR_TEST (--token-env) is not set" in err
        monkeypatch.setenv("UNSET_VAR_FOR_TEST", "")  # set but empty: said so (it said "not set")
        rc, _out, err = main_in_process(capsys, "send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--token-env", "UNSET_VAR_FOR_TEST")
        assert rc == EXIT_USAGE and "UNSET_VAR_FOR_TEST (--token-env) is empty" in err
        rc, _out, err = main_in_process(capsys, "serve", "--db", ":memory:", "--port", "0", "--token-env", "UNSET_VAR_FOR_TEST")
        assert rc == EXIT_USAGE and "UNSET_VAR_FOR_TEST (--token-env) is empty" in err  # (before it listens)
        monkeypatch.delenv("UNSET_VAR_FOR_TEST")
        rc, _out, err = main_in_process(capsys, "serve", "--db", ":memory:", "--port", "0", "--token-env", "UNSET_VAR_FOR_TEST")
        assert rc == EXIT_USAGE and "UNSET_VAR_FOR_TEST (--token-env) is not set" in err
        monkeypatch.setenv("MY_TOKEN", "another")
        assert (
            main_in_process(capsys, "send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--token-env", "MY_TOKEN", "-q")[0]
            == EXIT_REJECTED
        )


def test_created_sinks_are_creating_then_active_and_checked_like_mapper_check(tmp_path):
    # the store's clock stands still unless moved here: CREATING lasts for any number of requests on a
    # loaded machine, and turns ACTIVE exactly when the delay has passed on that clock
    now = [1_700_000_000.0]
    with serving(tmp_path, create_delay=1.5, store_clock=lambda: now[0]) as (server, _app, _store):
        body = SINK.read_bytes()
        status, _h, sink = request(server.url, "POST", "/v1/sinks", body)
        assert status == 200 and sink["state"] == "CREATING" and sink["id"] == SINK_ID
        status, _h, err = request(server.url, "POST", "/v1/sinks", body)
        assert (status, err["code"]) == (409, "ResourceAlreadyExists")
        good = encode_body([orjson.dumps(aircraft(1))])
        status, _h, err = request(server.url, "POST", f"/v2/sinks/{SINK_ID}", good)
        assert (status, err["code"]) == (400, "InvalidParameter") and "CREATING" in err["message"]
        now[0] += 1.0
        assert request(server.url, "GET", "/v2/sinks")[2]["sinks"][0]["state"] == "CREATING"  # not before its time
        now[0] += 0.5
        status, _h, listing = request(server.url, "GET", "/v2/sinks")
        assert [(s["id"], s["state"]) for s in listing["sinks"]] == [(SINK_ID, "ACTIVE")]
        assert request(server.url, "POST", f"/v2/sinks/{SINK_ID}", good)[0] == 200
        bad = json.loads(body)
        bad["schema"]["definition"][3]["config"]["Scale"] = 42
        bad["name"] = "other"
        status, _h, err = request(server.url, "POST", "/v1/sinks", json.dumps(bad).encode())
        assert status == 400 and err["code"] == "InvalidParameter" and "/schema/definition/3/config/Scale" in err["message"]
        status, _h, err = request(server.url, "POST", "/v1/sinks", b"{nope")
        assert (status, err["code"]) == (400, "InvalidBody")
        status, _h, err = request(server.url, "POST", "/v1/sinks", b"")
        assert (status, err["code"]) == (400, "InvalidBody")
        # an empty definition array is a parameter of a readable body (its problem code, "empty", is the empty document's too)
        bad["schema"]["definition"] = []
        status, _h, err = request(server.url, "POST", "/v1/sinks", json.dumps(bad).encode())
        assert (status, err["code"]) == (400, "InvalidParameter") and "/schema/definition" in err["message"]
        status, _h, page = request(server.url, "GET", f"/v2/sinks/{SINK_ID}/rows?limit=5")
        assert status == 200 and page["total"] == 1 and page["rows"][0]["_id"] == "r1"


# ---------------------------------------------------------------------------------------
# The serve process: signals, a kill between requests


def start_serve(tmp_path: Path, *extra: Any) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "serve", SINK, "--db", tmp_path / "p.db", "--port", "0", "-q", *map(str, extra)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert "listening on http://127.0.0.1:" in line, line + (proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else "")
    return proc, line.split("listening on ")[1].split()[0]


def test_serve_stops_cleanly_on_sigterm_and_sigint_with_an_idle_connection_open(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc, url = start_serve(tmp_path)
        try:
            host, port = url.split("//")[1].split(":")
            idle = http.client.HTTPConnection(host, int(port), timeout=5)
            idle.request("GET", "/v2/sinks")
            assert idle.getresponse().read()
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
            assert proc.returncode == 0 and b"stopped" in err and b"Traceback" not in err
            # the stopping line names what a second signal does, in the words of the one that came
            again = b"(Ctrl-C again not to wait" if sig == signal.SIGINT else b"(a second SIGTERM or Ctrl-C not to wait"
            assert again in err, err
            idle.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_a_second_ctrl_c_stops_serve_without_waiting_for_a_client_sending_slowly(tmp_path):
    # found by a bug hunt: a stopping serve waits up to 10 s for the requests in progress, and a
    # client sending its body slowly held it all of them: a second Ctrl-C was taken and ignored
    proc, url = start_serve(tmp_path)
    slow = socket.create_connection(tuple(url.split("//")[1].split(":")), timeout=5)  # type: ignore[arg-type]
    try:
        slow.sendall(b"POST /v2/sinks/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{" % SINK_ID.encode())
        time.sleep(0.2)  # (its handler is reading the body)
        proc.send_signal(signal.SIGINT)
        assert proc.stderr is not None and b"stopping" in proc.stderr.readline()
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=5)
        assert time.monotonic() - t0 < 3 and proc.returncode == 0 and b"stopped" in err and b"Traceback" not in err
    finally:
        slow.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_nothing_acknowledged_is_lost_when_serve_is_killed(tmp_path):
    proc, url = start_serve(tmp_path)
    try:
        body = encode_body([orjson.dumps(aircraft(i)) for i in range(50)])
        status, _h, answer = request(url, "POST", f"/v2/sinks/{SINK_ID}", body)
        assert status == 200 and answer["success_count"] == 50
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    with Store(tmp_path / "p.db") as store:
        assert [r["_id"] for r in rows_in(store, SINK_ID)] == [f"r{i}" for i in range(50)]
    # and a restart serves the same database
    proc, url = start_serve(tmp_path)
    try:
        status, _h, page = request(url, "GET", f"/v2/sinks/{SINK_ID}/rows?limit=1&offset=49")
        assert status == 200 and page["total"] == 50 and page["rows"][0]["_id"] == "r49"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


# ---------------------------------------------------------------------------------------
# The command line's other paths


def test_dry_run_prints_bodies_and_sends_nothing(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 60)
    proc = cli("send", SINK, records, "--dry-run", "--body-records", 20)
    assert proc.returncode == EXIT_REJECTED
    lines = [x for x in proc.out.splitlines() if x.startswith("body ")]
    accepted = 60 - len(refused_ids(60))
    assert len(lines) == -(-accepted // 20) and "(20 records)" in lines[0] and "bytes" in lines[0]
    # with --report json standard output is the JSON alone (`| jq .` works): the body lines go to stderr
    proc = cli("send", SINK, records, "--dry-run", "--body-records", 20, "--report", "json")
    t = json.loads(proc.out)
    assert (t["sent"], t["stored"], t["dry_run"]) == (accepted, 0, True)
    assert [x for x in proc.err.splitlines() if x.startswith("body ")] == lines
    quiet = cli("send", SINK, records, "--dry-run", "--body-records", 20, "--report", "json", "-q")
    assert json.loads(quiet.out) == {**t, "seconds": json.loads(quiet.out)["seconds"]} and quiet.err == ""
    assert cli("send", SINK, SEED, "--dry-run", "-q").returncode == EXIT_OK


@pytest.mark.parametrize("form", ["array", "body"])
def test_send_reads_a_document_after_a_byte_order_mark_as_validate_does(form, tmp_path):
    records = [aircraft(i) for i in range(3)]
    text = orjson.dumps(records) if form == "array" else encode_body([orjson.dumps(r) for r in records])
    path = tmp_path / f"bom-{form}.json"
    path.write_bytes(b"\xef\xbb\xbf" + text)
    assert cli("validate", SINK, path, "-q").returncode == EXIT_OK
    proc = cli("send", SINK, path, "--dry-run", "--report", "json")
    assert proc.returncode == EXIT_OK and report_of(proc)["sent"] == 3


def test_dry_run_writes_the_dead_letters_and_leaves_the_checkpoint_alone(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 60)
    rejects, checkpoint = tmp_path / "rej.ndjson", tmp_path / "ck.json"
    proc = cli("send", SINK, records, "--dry-run", "--rejects", rejects, "--checkpoint", checkpoint, "--report", "json")
    assert proc.returncode == EXIT_REJECTED
    letters = [orjson.loads(x) for x in rejects.read_bytes().splitlines()]
    assert (
        {f"r{d['record']}" for d in letters} == refused_ids(60)
        and len(letters) == len(refused_ids(60))
        and {d["source"] for d in letters} == {"pre-validation"}
    )
    assert report_of(proc)["refused_prevalidation"] == len(letters)
    assert not checkpoint.exists() and "neither reads nor writes the checkpoint" in proc.err
    # a file that holds dead letters (a real run's: the service's refusals cannot be made again) is not written over
    before = rejects.read_bytes()
    again = cli("send", SINK, records, "--dry-run", "--rejects", rejects)
    assert again.returncode == EXIT_USAGE and "holds dead letters" in again.err and rejects.read_bytes() == before


def test_send_usage_errors_exit_2(tmp_path, capsys):
    assert main_in_process(capsys, "send", SINK, SEED)[0] == EXIT_USAGE  # no --endpoint
    rc, _out, err = main_in_process(capsys, "send", SINK, SEED, "--endpoint", "ftp://x/y")
    assert rc == EXIT_USAGE and "http" in err
    rc, _out, err = main_in_process(capsys, "send", SINK, SEED, "--endpoint", "http://user:pw@127.0.0.1:1/v2/sinks/x")
    assert rc == EXIT_USAGE and "credentials" in err and "pw" not in err
    rc, _out, err = main_in_process(capsys, "send", SINK, "-", "--endpoint", "http://127.0.0.1:1/x", "--checkpoint", tmp_path / "c")
    assert rc == EXIT_USAGE and "stdin" in err
    rc, _out, err = main_in_process(capsys, "send", SINK, SEED, "--dry-run", "--body-records", 2000)
    assert rc == EXIT_USAGE and "one second" in err
    rc, _out, err = main_in_process(capsys, "send", tmp_path / "no-such-sink.json", SEED, "--dry-run")
    assert rc == EXIT_USAGE and "no such file" in err
    # found by a bug hunt: waits beyond what a socket or time.sleep takes were a traceback
    # (exit 1, read as "some refused"), and port 0 connected to port 80
    for extra, words in (
        (("--timeout", "1e300"), "--timeout must be a finite number of seconds, above 0, at most 86,400, not 1e300"),  # (as typed: it said 1e+300)
        (("--backoff", "1e300", "--max-backoff", "1e300"), "--backoff must be a finite number of seconds, at least 0, at most 86,400, not 1e300"),
        (("--max-backoff", "86401"), "--max-backoff must be a finite number of seconds, at least 0, at most 86,400, not 86401"),
        # found by the docs audit: these four said "retries, backoff and max_backoff must be >= 0
        # and timeout > 0", the API's names, all at once, without the value
        (("--timeout", "0"), "--timeout must be a finite number of seconds, above 0, at most 86,400, not 0"),
        (("--retries", "-1"), "--retries must be a whole number, at least 0, not -1"),
        (("--backoff", "-0.5"), "--backoff must be a finite number of seconds, at least 0, at most 86,400, not -0.5"),
        (("--max-backoff", "-1"), "--max-backoff must be a finite number of seconds, at least 0, at most 86,400, not -1"),
    ):
        rc, _out, err = main_in_process(capsys, "send", SINK, SEED, "--endpoint", "http://127.0.0.1:1/x", *extra)
        assert rc == EXIT_USAGE and words in err and "Traceback" not in err, (extra, err)
    rc, _out, err = main_in_process(capsys, "send", SINK, SEED, "--endpoint", "http://127.0.0.1:0/x", "--retries", "0")
    assert rc == EXIT_USAGE and "port must be 1-65535, not 0" in err
    for option, value, words in (
        ("--port", 65536, "at least 0, at most 65,535"),
        ("--port", -1, "at least 0, at most 65,535"),
        ("--max-body-bytes", 0, "whole number of bytes, at least 1, not 0"),
        ("--create-delay", "nan", "a finite number of seconds, at least 0, at most 86,400, not nan"),
        ("--create-delay", -1, "a finite number of seconds, at least 0, at most 86,400, not -1"),
        ("--records-per-s", "1e-9", "at least 1 (to admit a body of one record), not 1e-9"),  # (found by a bug hunt: it served, answering 413 to every body)
        ("--bytes-per-s", "20", "at least 26 (to admit a body of one record), not 20"),
    ):
        rc, _out, err = main_in_process(capsys, "serve", "--db", ":memory:", option, value)
        assert rc == EXIT_USAGE and words in err and "Traceback" not in err, (option, value, err)
    rc, _out, err = main_in_process(capsys, "serve", "--db", tmp_path / "q.db", "--query", "nope")
    assert rc == EXIT_USAGE and "no database" in err and not (tmp_path / "q.db").exists()  # not created empty
    Store(tmp_path / "q.db").close()
    rc, _out, err = main_in_process(capsys, "serve", "--db", tmp_path / "q.db", "--query", "nope")
    assert rc == EXIT_USAGE and "nope" in err  # a database without that sink
    # a file that is not serve's database is read, never written: it held mapper's tables after (a bug hunt)
    for other in (b"", b"not a database at all" * 10):
        (tmp_path / "other.db").write_bytes(other)
        rc, _out, err = main_in_process(capsys, "serve", "--db", tmp_path / "other.db", "--query", "nope")
        assert rc == EXIT_USAGE and (tmp_path / "other.db").read_bytes() == other, err
        assert ("holds no sinks" if not other else "cannot read the database") in err and "Traceback" not in err
    from mapper.endpoint import Limits

    assert Limits(1e308, 1e308).max_records > 0  # both finite: taken (their sum is infinite: it said 'must be positive')
    with pytest.raises(mapper.OptionError, match="finite"):
        Limits(float("inf"), 1e6)
    # the one path that needs a process: a usage error printed by the real command line
    proc = cli("send", SINK, SEED)
    assert proc.returncode == EXIT_USAGE and "--endpoint" in proc.err


def test_bodies_the_go_service_takes_get_an_answer_per_record_and_odd_requests_their_codes(tmp_path):
    # found by a bug hunt: a lone surrogate escape or an extra top-level key made serve answer one
    # error for a whole body (send then stopped on "1 answers for a body of 2"); OPTIONS/HEAD got 501;
    # an offset past 2^63 was a 500
    from mapper.web.app import install
    from mapper.web.catalog import Catalog

    with serving(tmp_path, SINK) as (server, app, store):
        install(app, Catalog())  # the UI's rows too
        path = f"/v2/sinks/{SINK_ID}"
        one = orjson.dumps(aircraft(1))[:-1] + rb', "note": "a\ud800b"}'  # an unmapped field: Go reads U+FFFD
        two = json.dumps(aircraft(2, aircraftId="x\ud800")).encode()  # a mapped one, escaped by json.dumps
        assert b"\\ud800" in two
        body = encode_body([one, two, orjson.dumps(aircraft(3))])
        status, _h, answer = request(server.url, "POST", path, body)
        assert status == 200 and (answer["success_count"], answer["error_count"]) == (3, 0) and len(answer["records"]) == 3
        status, _h, answer = request(server.url, "POST", path, body[:-1] + b', "meta": {"source": "x"}}')
        assert status == 200 and answer["success_count"] == 3  # other keys are ignored, as Go's decoder does
        rows = rows_in(store, SINK_ID)
        assert len(rows) == 3 and "x\ufffd" in json.dumps(rows, ensure_ascii=False)  # stored as Go reads it
        for method in ("OPTIONS", "PATCH"):
            status, _h, err = request(server.url, method, path)
            assert (status, err["code"]) == (405, "MethodNotAllowed"), method
        status, headers, nothing = request(server.url, "HEAD", path)  # HEAD is GET without the body
        assert status == 200 and nothing is None and int(headers["Content-Length"]) > 0
        for offset in (1 << 63, 10**30, (1 << 63) - 1):  # past every row: an empty page (a 500 before)
            status, _h, page = request(server.url, "GET", f"{path}/rows?offset={offset}&limit={10**30 if offset == 10**30 else 5}")
            assert status == 200 or offset == 10**30, (offset, page)
            assert page["rows"] == [] if status == 200 else page["code"] == "InvalidParameter"
            status, _h, page = request(server.url, "GET", f"/ui/api/sinks/{SINK_ID}/rows?offset={offset}")
            assert status == 200 and page["rows"] == []
    # the same body through validate --report endpoint: the same per-record answer
    report = mapper.compile_sink(SINK).validate(body, input_format="endpoint")
    assert report.records == 3 and report.verdict == "accepted"


def test_send_refuses_outputs_over_its_inputs_and_odd_numbers_before_reading(tmp_path):
    records = write_records(tmp_path / "r.ndjson", 20)
    sink = tmp_path / "sink.json"
    sink.write_bytes(SINK.read_bytes())
    before = {p: p.read_bytes() for p in (records, sink)}
    url = "http://127.0.0.1:9/v2/sinks/x"
    for extra, says in (
        (["--rejects", records], "--rejects"),
        (["--rejects", sink], "--rejects"),
        (["--checkpoint", records], "--checkpoint"),
        (["--checkpoint", tmp_path / "c.json", "--rejects", tmp_path / "c.json"], "name the same file"),
        (["--rejects", "-"], "not '-'"),
        (
            ["--records-per-s", "nan"],
            "mapper send: --records-per-s must be a finite number, at least 1",
        ),  # (named by its flag, as every option mapper send refuses)
        (["--backoff", "inf"], "finite"),
        (["--timeout", "nan"], "finite"),
    ):
        p = cli("send", sink, records, "--endpoint", url, *extra)
        assert p.returncode == 2 and says in p.stderr.decode() and "Traceback" not in p.stderr.decode(), (extra, p.stderr)
    p = cli("send", sink, records, "--endpoint", "http://[::1/x")
    assert p.returncode == 2 and "is not a URL" in p.stderr.decode()
    assert {p: p.read_bytes() for p in before} == before


def test_a_signal_inside_the_accounting_waits_for_its_end():
    # a SIGTERM between writing a body's dead letters and saving the checkpoint made a resume
    # write those letters again: the handler now defers inside that section
    from mapper import send

    done = []
    with pytest.raises(KeyboardInterrupt):
        with send.uninterrupted():
            send._interrupt(signal.SIGTERM, None)  # noted, not raised here
            done.append("letters")
            with send.uninterrupted():  # nested: still deferred
                send._interrupt(signal.SIGINT, None)
            done.append("checkpoint")
    assert done == ["letters", "checkpoint"]
    with pytest.raises(KeyboardInterrupt):  # outside: at once
        send._interrupt(signal.SIGTERM, None)
    with send.uninterrupted():  # and the note does not outlive its section
        pass


# ---------------------------------------------------------------------------------------
# Found by a bug hunt of serve: HTTP framing, the store's table, damaged databases


def _post_raw(port: int, head: bytes, body: bytes = b"", wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(head + b"\r\n" + body)
        return recv_all(s)


def test_body_framing_without_a_usable_length_is_400_and_the_connection_closes(tmp_path):
    path = f"/v2/sinks/{SINK_ID}".encode()
    with serving(tmp_path, SINK) as (server, _app, _store):
        start = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        # no Content-Length: the body was taken as empty, then read as the next request
        reply = _post_raw(server.port, start, b'{"records":[]}')
        # (400 MissingParameter, the status the service's documentation gives the code; 411 before)
        assert reply.startswith(b"HTTP/1.1 400") and b'"MissingParameter"' in reply and reply.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in reply
        # copies that disagree, or spellings only Python's int() takes: 400 (RFC 9112 6.3), then close
        for lengths in (b"Content-Length: 14\r\nContent-Length: 15\r\n", b"Content-Length: 1_4\r\n", b"Content-Length: +14\r\n", b"Content-Length: -1\r\n"):
            reply = _post_raw(server.port, start + lengths, b'{"records":[]}')
            assert reply.startswith(b"HTTP/1.1 400") and reply.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in reply, lengths
        good = _post_raw(server.port, start + b"Content-Length: 14\r\nContent-Length: 14\r\nConnection: close\r\n", b'{"records":[]}')
        assert good.startswith(b"HTTP/1.1 200")


def test_a_body_that_stops_arriving_is_a_400_not_an_internal_error(tmp_path, capfd):
    store = Store(":memory:")
    store.create_sink(SINK)
    server = Server(App(store), idle_timeout=1.0).start()
    try:
        head = f"POST /v2/sinks/{SINK_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n".encode()
        reply = _post_raw(server.port, head, b'{"records":[]}', wait=10)
        assert reply.startswith(b"HTTP/1.1 400") and b"InvalidBody" in reply and b"Connection: close" in reply
    finally:
        server.stop()
        store.close()
    err = capfd.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


def test_columns_named_like_sqlites_rowid_keep_the_rows_in_insertion_order(tmp_path):
    sink = sinks.schema(sinks.column("k", "string"), sinks.column("rowid", "int", path=["r"]), sinks.column("OID", "int", path=["o"]), primary_key_fields=["k"])
    with Store(":memory:") as store:  # ("OID": a name check refuses, FeatureBase's rule; a Sink built in Python has it)
        sid = store.create_sink(odd_named(sink), sink_id="odd").id
        store.ingest(sid, encode_body([orjson.dumps({"k": k, "r": r, "o": -r}) for k, r in (("a", 30), ("b", 10), ("c", 20))]))
        assert [(row["_id"], row["rowid"], row["OID"]) for row in store.rows(sid).rows] == [("a", 30, -30), ("b", 10, -10), ("c", 20, -20)]


def test_a_sink_wider_than_a_sqlite_table_is_refused_with_a_400(tmp_path):
    wide = {
        "primary_key_fields": ["c0"],
        "allow_missing_fields": True,
        "definition": [{"name": f"c{i}", "path": [f"c{i}"], "type": "int"} for i in range(2000)],
    }
    with Store(":memory:") as store:
        with pytest.raises(mapper.MapperError) as info:
            store.create_sink(wide, sink_id="wide")
        assert info.value.status == 400 and "at most 1,998" in info.value.message
        assert store.list_sinks() == []


def test_a_database_mapper_cannot_use_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    import sqlite3

    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE _mapper_sinks (a)")  # another program's table of that name
    con.commit()
    con.close()
    rc, _out, err = main_in_process(capsys, "serve", "--db", foreign, "--port", 0)
    assert rc == EXIT_USAGE and "cannot open the database" in err and "Traceback" not in err
    damaged = tmp_path / "damaged.db"
    with Store(damaged) as store:
        store.create_sink(SINK)
        for i in range(40):
            store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(i * 50 + j)) for j in range(50)]))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = damaged.stat().st_size
    with damaged.open("r+b") as fh:  # the data pages, not the header: the file still opens
        fh.seek(size // 2)
        fh.write(b"\xa5" * 8192)
    rc, _out, err = main_in_process(capsys, "serve", "--db", damaged, "--query", SINK_ID)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "Traceback" not in err
    # damage in the catalog (mapper's own tables, at the file's start): the query and serve's start say so too
    catalog = tmp_path / "catalog.db"
    with Store(catalog) as store:
        store.create_sink(SINK)
    with catalog.open("r+b") as fh:
        fh.seek(8192)
        fh.write(b"\xa5" * 4096)
    rc, _out, err = main_in_process(capsys, "serve", "--db", catalog, "--query", SINK_ID)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "Traceback" not in err
    rc, _out, err = main_in_process(capsys, "serve", "--db", catalog, "--port", 0, SINK)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "Traceback" not in err


def test_a_stored_definition_mapper_cannot_read_is_a_500_and_a_usage_error_not_a_traceback(tmp_path, capsys):
    # found by a bug hunt: a sink whose stored definition is not JSON (the file damaged or edited), or
    # no longer loads (written by a mapper whose checks differ), made --query, serve's start and the
    # store's reads raise orjson's or the sink checker's exception: a traceback
    import sqlite3

    path = tmp_path / "old.db"
    with Store(path) as store:
        store.create_sink(SINK)
        store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(1))]))
    con = sqlite3.connect(path)
    con.execute("""UPDATE _mapper_sinks SET definition = replace(definition, '"type":"string"', '"type":"strang"')""")
    con.commit()
    con.close()
    rc, _out, err = main_in_process(capsys, "serve", "--db", path, "--query", SINK_ID)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "strang" in err
    with Store(path) as store:
        assert [s.id for s in store.list_sinks()] == [SINK_ID]  # the others stay readable
        for read in (lambda: store.rows(SINK_ID), lambda: store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(2))]))):
            with pytest.raises(mapper.ServiceError) as info:
                read()
            assert info.value.status == 500 and "strang" in info.value.message
    con = sqlite3.connect(path)
    con.execute("UPDATE _mapper_sinks SET definition = 'not json'")
    con.commit()
    con.close()
    rc, _out, err = main_in_process(capsys, "serve", "--db", path, "--query", SINK_ID)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "not JSON" in err
    rc, _out, err = main_in_process(capsys, "serve", "--db", path, "--port", 0)  # refused before it listens
    assert rc == EXIT_USAGE and "cannot read the database" in err


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ("SET _state = 'v'", "is not one of v, n, - per column"),
        ("SET _state = 7", "its _state '7' is not"),
        ("SET _state = substr(_state, 1, length(_state) - 1) || 'x'", "vx' is not"),
    ],
)
def test_a_damaged_data_row_is_a_500_and_a_usage_error_not_a_traceback(tmp_path, capsys, edit, said):
    # found by a bug hunt: a row whose _state was edited (one letter for several columns) made
    # --query and the next upsert of that _id raise IndexError: a traceback
    import sqlite3

    path = tmp_path / "old.db"
    with Store(path) as store:
        store.create_sink(SINK)
        store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(1))]))
        table = store._table(SINK_ID).name
    con = sqlite3.connect(path)
    con.execute(f'UPDATE "{table}" {edit}')
    con.commit()
    con.close()
    rc, _out, err = main_in_process(capsys, "serve", "--db", path, "--query", SINK_ID)
    assert rc == EXIT_USAGE and "cannot read the database" in err and "is damaged" in err and said in err, err
    with Store(path) as store:
        for read in (
            lambda: store.rows(SINK_ID),
            lambda: list(store.iter_rows(SINK_ID)),
            lambda: store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(1))])),
        ):
            with pytest.raises(mapper.ServiceError) as info:
                read()
            assert info.value.status == 500 and "is damaged" in info.value.message


def test_iter_rows_pages_after_the_last_row_not_by_offset(tmp_path):
    # paging by OFFSET made each page cost every row before it: 240,000 rows took 62 s at
    # page=100, and `serve --query` held the whole table (found by a hunt for slow paths)
    store = Store(tmp_path / "p.db")
    store.create_sink(SINK)
    store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(i)) for i in range(1200)]))
    store.ingest(SINK_ID, encode_body([orjson.dumps(aircraft(5, data={"altitude": 7}))]))  # an upsert keeps its row's place
    every = store.rows(SINK_ID, limit=None).rows
    assert len(every) == 1200 and every[5]["_id"] == "r5"
    assert list(store.iter_rows(SINK_ID, page=7)) == every
    for offset, limit in ((0, 0), (3, 10), (1195, 10), (5000, 3), (10, None), (0, 1200)):
        assert list(store.iter_rows(SINK_ID, page=4, offset=offset, limit=limit)) == every[offset : None if limit is None else offset + limit]
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def cost(page: int) -> int:
        steps[0] = 0
        store.db.set_progress_handler(count, 100)
        try:
            assert len(list(store.iter_rows(SINK_ID, page=page))) == 1200
        finally:
            store.db.set_progress_handler(None, 100)
        return steps[0]

    # linear: small pages cost about what big ones do (by OFFSET, page=10 cost ~40x page=600)
    assert cost(10) < 3 * cost(600)
    store.close()


def test_a_text_with_a_lone_surrogate_is_refused_for_its_own_fault_where_it_is():
    # found by a bug hunt: past a lone surrogate (which the service reads as U+FFFD) the
    # standard library's decoder found the real fault, and the message named the surrogate
    from mapper.endpoint import json_problem, parse_body

    assert json_problem(b'{"id":2,"name":"\\ud800"}') is None
    assert json_problem(b'{"id":2,"name":"\\ud800","z":1e400}') == (
        "not valid JSON for the service: number 1e400 is beyond the float64 range the endpoint decodes numbers into (at $.z, line 1, char 29)"
    )
    with pytest.raises(mapper.MapperError) as err:
        parse_body(b'{"records":[{"value":{"id":1,"name":"\\ud800"}},{"value":{"id":2,"name":"a\tb"}}]}')
    assert "invalid character at char 74: control character U+0009 in a string" in str(err.value) and "surrogate" not in str(err.value)


# --- found by a bug hunt: resuming ------------------------------------------------------


class _Killed(BaseException):
    """The process killed (SIGKILL, a crash): nothing of the run's own runs after it (a SIGINT's
    KeyboardInterrupt would let the run write its checkpoint as it stops)."""


class _KilledAfter:
    """A checkpoint whose ``n``-th save is a kill: the process dies before the file is replaced."""

    def __init__(self, path: Any, n: int) -> None:
        from mapper.send import Checkpoint

        self.real, self.n = Checkpoint(str(path)), n
        self.path = str(path)

    def load(self) -> Any:
        return self.real.load()

    def release(self) -> None:
        self.real.release()

    def save(self, state: Any) -> None:
        self.n -= 1
        if self.n == 0:
            raise _Killed
        self.real.save(state)


def test_dead_letters_written_before_a_kill_are_not_written_twice_on_resume(tmp_path):
    # a kill between the dead letters of a body and the checkpoint after them left the
    # position before the body: the resumed run appended the same letters again
    from mapper.send import Checkpoint, SendRun

    records = write_records(tmp_path / "r.ndjson", 120)
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    with serving(tmp_path, SINK) as (server, _app, store):

        def make_run(cp: Any) -> SendRun:
            sender = mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", body_records=20)
            return SendRun(mapper.Batcher(SINK, max_records=20), sender, [str(records)], checkpoint=cp, rejects=str(rejects))

        # saves: before body 1, after it, before body 2, after it (the kill), ...
        with pytest.raises(_Killed):
            make_run(_KilledAfter(checkpoint, 4)).run()
        written = [json.loads(x)["record"] for x in rejects.read_text().splitlines()]
        state = json.loads(checkpoint.read_text())
        assert written and max(written) > state["position"]["index"]  # letters past the checkpoint were on disk
        totals = make_run(Checkpoint(str(checkpoint))).run()
        letters = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert sorted(json.loads(d["raw"])["id"] for d in letters) == sorted(refused_ids(120))  # each once
        assert totals.refused_prevalidation == len(letters) and totals.sent == totals.stored == len(map_rows(SINK, records))
        assert rows_in(store, SINK_ID) == map_rows(SINK, records)
        # the letters file cut short meanwhile (letters lost) is said, not appended to
        rejects.write_bytes(rejects.read_bytes()[:10])
        state = json.loads(checkpoint.read_text())
        state["done"] = False
        checkpoint.write_text(json.dumps(state))
        with pytest.raises(mapper.OptionError, match="letters of the earlier run are missing"):
            make_run(Checkpoint(str(checkpoint))).run()


def test_an_input_that_cannot_be_read_stops_the_run_after_what_was_read_before_it_is_sent(tmp_path, capsys):
    # the records of the good file still waiting in the open body were never sent, nothing
    # was printed to stdout with --report json, and no resume was possible
    import gzip

    good = write_records(tmp_path / "a.ndjson", 50)
    bad = tmp_path / "b.ndjson.gz"
    whole = gzip.compress(b"".join(orjson.dumps(aircraft(100 + i)) + b"\n" for i in range(10)))
    bad.write_bytes(whole[: len(whole) // 2])
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    with serving(tmp_path, SINK) as (server, _app, store):
        args = ["send", SINK, good, bad, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--checkpoint", checkpoint, "--rejects", rejects, "--report", "json"]
        rc, out, err = main_in_process(capsys, *args)
        assert rc == EXIT_USAGE and "an input could not be read" in err and str(bad) in err and "--checkpoint" in err
        t = json.loads(out)
        assert t["completed"] is False and t["sent"] == t["stored"] == len(map_rows(SINK, good))
        assert rows_in(store, SINK_ID) == map_rows(SINK, good)
        bad.write_bytes(whole)  # mended: the run resumes after the good file
        rc, out, err = main_in_process(capsys, *args)
        t = json.loads(out)
        assert t["completed"] is True and t["sent"] == t["stored"] == len(map_rows(SINK, good)) + 10 and t["resent"] == 0
        letters = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert sorted(json.loads(d["raw"])["id"] for d in letters) == sorted(refused_ids(50))


def test_an_input_changed_since_the_checkpoint_is_refused_not_read_from_its_offset(tmp_path, capsys):
    records = write_records(tmp_path / "r.ndjson", 40)
    checkpoint = tmp_path / "c.json"
    stored = len(map_rows(SINK, write_records(tmp_path / "again.ndjson", 40)))
    with serving(tmp_path, SINK) as (server, _app, store):
        args = ["send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", "--checkpoint", checkpoint, "-q"]
        assert main_in_process(capsys, *args)[0] == EXIT_REJECTED
        # appended to after a done run (a log): the new record is sent, and it alone (tests/test_send_grow.py)
        with records.open("ab") as fh:
            fh.write(orjson.dumps(aircraft(999)) + b"\n")
        assert main_in_process(capsys, *args)[0] == EXIT_OK  # (a new run: the first run's refusals are not its own)
        assert store.sink(SINK_ID).records_stored == stored + 1
        # cut short: the records from the position on were never sent, and are no longer there
        records.write_bytes(records.read_bytes()[:-200])
        rc, _out, err = main_in_process(capsys, *args)
        assert rc == EXIT_USAGE and "changed since the checkpoint" in err and "bytes then" in err
        assert store.sink(SINK_ID).records_stored == stored + 1


def test_an_answer_of_odd_items_and_a_resume_before_any_acknowledgement_are_worded_plainly(tmp_path, capsys):
    import argparse

    from mapper.send import Checkpoint, SendRun, _summary

    sender = mapper.Sender("http://127.0.0.1:1/x")
    with pytest.raises(mapper.ServiceError, match=r"answered 200 with answer 1 not an object \(int\) for a body of 2 records"):
        sender._ack(200, b'{"records":[{"status":"success"},7]}', 2, 1, 0, False, 0.1)
    records = write_records(tmp_path / "r.ndjson", 30)
    checkpoint = tmp_path / "c.json"
    with serving(tmp_path, SINK) as (server, _app, _store):

        def make_run(cp: Any) -> SendRun:
            return SendRun(
                mapper.Batcher(SINK, max_records=20), mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", body_records=20), [str(records)], checkpoint=cp
            )

        with pytest.raises(_Killed):  # killed once the first body is marked in flight
            make_run(_KilledAfter(checkpoint, 2)).run()
        run = make_run(Checkpoint(str(checkpoint)))
        run.run()
    _summary(run, argparse.Namespace(report="json", dry_run=False, quiet=False, checkpoint=str(checkpoint)), aborted=None)
    out, err = capsys.readouterr()
    assert json.loads(out)["resumed_after"] is None and "(resumed: nothing was acknowledged before)" in err and "-1" not in err


def test_a_checkpoint_save_killed_midway_leaves_no_temporary_file_for_good(tmp_path):
    # found by a bug hunt: a kill while the checkpoint was being written left
    # .NAME.XXXX.tmp beside it for ever (the checkpoint itself intact); the next run removes them
    from mapper.send import Checkpoint

    cp = Checkpoint(str(tmp_path / "c[1].json"))  # (a name glob would read as a pattern)
    cp.save({"version": 1, "done": False})
    stale = [tmp_path / ".c[1].json.abc123_z.tmp", tmp_path / ".c[1].json.x0000000.tmp"]  # (as mkstemp names them: 8 characters)
    for f in stale:
        f.write_text("{")
    other = tmp_path / ".other.json.abc.tmp"
    other.write_text("{")
    assert cp.load() == {"version": 1, "done": False}
    assert not any(f.exists() for f in stale) and other.exists()


def test_dead_letters_go_to_a_pipe_or_a_device_too(tmp_path, capsys):
    # found in review: the resume bookkeeping sought to the end of --rejects (a pipe:
    # "cannot write ...: None" before anything was sent), and fsync of a device failed
    import threading

    records = write_records(tmp_path / "r.ndjson", 60)
    rc, out, err = main_in_process(capsys, "send", SINK, records, "--dry-run", "--rejects", "/dev/null", "--report", "json")
    assert rc == EXIT_REJECTED and json.loads(out.splitlines()[-1])["refused_prevalidation"] == len(refused_ids(60)), err
    fifo = tmp_path / "letters.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    rc, _out, err = main_in_process(capsys, "send", SINK, records, "--dry-run", "--rejects", fifo)
    reader.join(10)
    assert rc == EXIT_REJECTED, err
    assert {f"r{orjson.loads(x)['record']}" for x in got[0].splitlines()} == refused_ids(60)


def test_one_run_at_a_time_holds_a_checkpoint(tmp_path, capsys):
    # two runs on one checkpoint sent the same records and wrote the same dead letters twice (a bug hunt)
    from mapper.send import Checkpoint

    records = write_records(tmp_path / "r.ndjson", 5)
    checkpoint = tmp_path / "send.checkpoint"
    held = Checkpoint(str(checkpoint))
    assert held.load() is None  # this run holds it
    args = ["send", SINK, records, "--checkpoint", checkpoint, "--endpoint", "http://127.0.0.1:9/v2/sinks/x", "--retries", 0]
    rc, _out, err = main_in_process(capsys, *args)
    assert rc == EXIT_USAGE and "another mapper send is running with the checkpoint" in err, err
    assert not checkpoint.exists()
    held.release()
    rc, _out, err = main_in_process(capsys, *args)  # let go: the next run takes it (and meets the closed port)
    assert "another mapper send" not in err and "127.0.0.1:9" in err, err


def test_dead_letters_keep_the_raw_text_exactly_as_validate_does(tmp_path):
    # send stripped spaces and tabs around each line: its dead letters' raw differed from
    # `validate --rejects` for the same records (only a CRLF's CR is not the record's)
    records = tmp_path / "r.ndjson"
    lines = [b'  {"id": "a1", "timestamp": "x"}\t', b'{"id": "a2", "timestamp": "y"} \r', b"\t \r", b' {"id": "a3"}']
    records.write_bytes(b"\n".join(lines) + b"\n")
    sent, checked = tmp_path / "sent.ndjson", tmp_path / "checked.ndjson"
    assert cli("send", SINK, records, "--dry-run", "--rejects", sent).returncode == EXIT_REJECTED
    cli("validate", SINK, records, "-q", "--on-error", "skip", "--rejects", checked)
    got = [(d["record"], d["line"], d["raw"]) for d in map(orjson.loads, sent.read_bytes().splitlines())]
    want = [(d["record"], d["line"], d["raw"]) for d in map(orjson.loads, checked.read_bytes().splitlines())]
    assert got == want and got[0][2].startswith("  {") and got[1][2].endswith("} ")


def test_a_body_given_from_python_is_bytes_or_str_and_anything_else_is_an_option_error():
    # found by a bug hunt: Store.ingest of a str body was a TypeError from inside numpy, of a dict an
    # AttributeError; Sender.send(5) sent five NUL bytes' worth of "body" (bytes(5))
    store = Store(":memory:")
    store.create_sink(SINK)
    record = json.loads(SEED.read_text().splitlines()[0])
    text = json.dumps({"records": [{"value": record}]})
    assert store.ingest(SINK_ID, text).answer["success_count"] == 1
    assert store.ingest(SINK_ID, bytearray(text.encode())).answer["success_count"] == 1
    for wrong in ({"records": [{"value": record}]}, None, 5):
        with pytest.raises(mapper.OptionError, match=f"bytes or str .*not {type(wrong).__name__}"):
            store.ingest(SINK_ID, wrong)  # type: ignore[arg-type]
        with pytest.raises(mapper.OptionError, match=f"bytes or str .*not {type(wrong).__name__}"):
            mapper.Sender("http://127.0.0.1:9/v2/sinks/x", retries=0).send(wrong)  # type: ignore[arg-type]  # (refused before connecting)
    store.close()


@pytest.mark.parametrize("body", [{"body_records": 2000}, {"body_bytes": 2_000_000}, {"records_per_s": 100, "body_records": 101}])
def test_a_sender_refuses_body_limits_beyond_one_second_of_the_rate_as_send_does(body):
    # found by a bug hunt: mapper send refused --body-records beyond --records-per-s, but a Sender
    # made in Python took it, paced bodies of 2,000 records at 1,000 records/s, and the service
    # throttled or refused every one of them
    with pytest.raises(mapper.OptionError, match="one second of the limits"):
        mapper.Sender("http://127.0.0.1:9/v2/sinks/x", **body)
    assert mapper.Sender("http://127.0.0.1:9/v2/sinks/x", records_per_s=100).max_records == 50  # (the default: half a second's)


def test_a_long_ndjson_line_is_read_in_time_linear_in_its_length(tmp_path, monkeypatch):
    # found by a bug hunt: each block read was appended to the line not yet ended, and the whole
    # of it split again: a line of 100 MB (100 blocks) took 6 s to read, 200 MB 20 s. With blocks
    # of 16 bytes a line of 400 KB shows the same: seconds before, a few hundredths now
    from mapper import send

    path = tmp_path / "r.ndjson"
    path.write_bytes(b'{"id": "' + b"x" * 400_000 + b'"}\n{"id": "b"}\n')
    monkeypatch.setattr(send, "_BLOCK", 16)
    t0 = time.perf_counter()
    items = [item for group in send.read_records([str(path)], "ndjson", send.Resume()) for item in group]
    took = time.perf_counter() - t0
    assert [len(raw or b"") for raw, _pos, _why in items] == [400_010, 11]
    assert [pos.offset for _raw, pos, _why in items] == [400_011, 400_023]
    assert took < 1.0, took


def test_a_sink_another_process_created_turns_active_here_too(tmp_path):
    # found by a bug hunt: a store turned a CREATING sink ACTIVE only when its own cache held the
    # time, and the cache only knew the sinks it had created: a second serve on the database (or
    # a Store in a script) answered "CREATING" for a sink the first created, as long as it ran
    now = [1_000_000.0]
    first, second = Store(tmp_path / "p.db", clock=lambda: now[0]), Store(tmp_path / "p.db", clock=lambda: now[0])
    first.create_sink(SINK, activate_after=1.0)
    assert second.sink(SINK_ID).state == "CREATING"
    now[0] += 1.5
    assert second.sink(SINK_ID).state == "ACTIVE" and [s.state for s in second.list_sinks()] == ["ACTIVE"]
    body = encode_body([orjson.dumps(json.loads(SEED.read_text().splitlines()[0]))])
    assert second.ingest(SINK_ID, body).answer["success_count"] == 1
    first.close()
    second.close()


def test_refusals_alone_are_written_as_the_run_goes_not_held_to_its_end(tmp_path, monkeypatch):
    # found by a bug hunt: pre-validation refusals were held until the next acknowledged body passed
    # them; an input of refusals alone (a wrong sink, a dry run to see them) was held whole in
    # memory to the end of the run: 800 MB for a 96 MB input
    from mapper import send

    monkeypatch.setattr(send, "_GROUP", 100)
    held: list[int] = []
    judge = send.SendRun._judge

    def judging(self: Any, group: Any) -> None:
        held.append(len(self._pending))  # refusals carried over from the groups before
        judge(self, group)

    monkeypatch.setattr(send.SendRun, "_judge", judging)
    good = SEED.read_text().splitlines()[0]
    records = tmp_path / "r.ndjson"
    records.write_text("".join(json.dumps({"id": f"r{i}"}) + "\n" for i in range(1000)) + good + "\n")
    rejects = tmp_path / "rejects.ndjson"
    run = send.SendRun(mapper.Batcher(SINK), None, [str(records)], rejects=str(rejects))
    totals = run.run()
    assert max(held) == 0 and len(held) == 11
    assert totals.refused_prevalidation == 1000 and totals.sent == 1
    assert [json.loads(line)["record"] for line in rejects.read_text().splitlines()] == list(range(1000))


_URL = "http://127.0.0.1:9/v2/sinks/x"


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda st: mapper.Sender(None), "the endpoint is a URL (a str), not NoneType"),
        (lambda st: mapper.Sender(_URL, token=123), "token= is a str (or None), not int"),
        (lambda st: mapper.Sender(_URL, retries="3"), "retries= (--retries) must be a whole number, at least 0, not '3'"),
        (lambda st: mapper.Sender(_URL, retries=True), "retries= (--retries) must be a whole number, at least 0, not True"),
        (lambda st: mapper.Sender(_URL, timeout="5"), "timeout= (--timeout) must be a finite number of seconds, above 0, at most 86,400, not '5'"),
        (lambda st: mapper.Sender(_URL, body_records=2.5), "body_records= (--body-records) must be a whole number, at least 1 (or None), not 2.5"),
        (lambda st: App(st, limits=5), "limits= is a mapper.endpoint.Limits (or None), not int"),
        (lambda st: App(st, token=5), "token= is a str (or None), not int"),
        (lambda st: st.rows("x", offset="x"), "offset= must be a whole number of rows, at least 0, not 'x'"),
        (lambda st: st.rows("x", limit=1.5), "limit= must be a whole number of rows, at least 0 (or None), not 1.5"),
        (lambda st: st.rows(5), "a sink id is a str, not int"),
        (lambda st: next(st.iter_rows("x", limit="x")), "limit= must be a whole number of rows, at least 0 (or None), not 'x'"),
        (lambda st: next(st.iter_rows("x", offset="5")), "offset= must be a whole number of rows, at least 0, not '5'"),
        (lambda st: next(st.iter_rows("x", page=2.5)), "page= must be a whole number of rows, at least 1, not 2.5"),
        (lambda st: st.ingest(None, b'{"records": []}'), "a sink id is a str, not NoneType"),
        (lambda st: st.sink(b"x"), "a sink id is a str, not bytes"),
    ],
)
def test_python_options_of_a_wrong_type_are_option_errors(make: Any, words: str) -> None:
    # found in a hunt: each was a TypeError, AttributeError or ValueError from our own code or sqlite3
    store = Store(":memory:")
    try:
        with pytest.raises(mapper.OptionError) as err:
            make(store)
        assert str(err.value) == words
    finally:
        store.close()
    mapper.Sender(_URL, body_records=None, retries=3, timeout=5, backoff=0)  # (the right types still taken: an int for a float too)


def test_send_names_itself_in_every_option_error(capsys, tmp_path):
    # found by the README pass: values refused after the command line was read (a
    # timeout that is not finite, an endpoint with credentials) were printed as
    # 'mapper: ...' where send's other option errors say 'mapper send: ...'
    records = ROOT / "examples" / "aircraft" / "records.ndjson"
    for extra in (["--dry-run", "--timeout", "nan"], ["--endpoint", "http://user:pw@127.0.0.1:1/v2/sinks/a"]):
        rc, _out, err = main_in_process(capsys, "send", SINK, records, *extra)
        assert rc == 2 and err.startswith("mapper send: ") and err.count("\n") == 1, err
