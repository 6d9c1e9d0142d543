"""``mapper serve`` and ``mapper send``: Retry-After on throttling, the Content-Type judged before the
body, a body's charset, and the JSON report's body in doubt.

Every server binds 127.0.0.1 on a free port; every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

import mapper
from mapper.endpoint import Limits, ServiceError
from mapper.serve import App, Server
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
SINK_ID = "aircraft_positions"
INGEST = f"/v2/sinks/{SINK_ID}"


class FakeClock:
    """A monotonic clock the test moves (the server's buckets and the sender's waits share it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def records(n: int, **data: Any) -> list[dict[str, Any]]:
    out = [orjson.loads(line) for line in RECORDS.read_bytes().splitlines()[:n]]
    for r in out:
        r["data"].update(data)
    return out


def body_of(recs: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"records": [{"value": r} for r in recs]})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "serve.db")
    s.create_sink(SINK, exist_ok=True)
    try:
        yield s
    finally:
        s.close()


def serving(app: App) -> Server:
    return Server(app, idle_timeout=2).start()


def post(server: Server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), orjson.loads(resp.read())
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# 1. The throttling answer says Retry-After, and send waits it


def test_the_throttling_answer_says_retry_after_in_whole_seconds_rounded_up(store):
    """The buckets know when a request would fit; the answer said nothing of it, so a client could
    only guess with its backoff."""
    clock = FakeClock()
    app = App(store, limits=Limits(1000, 1000), max_body_bytes=3000, clock=clock)
    app.admit(SINK_ID, 1, 2200)  # (the bytes bucket holds 3,000: 800 are left)
    with pytest.raises(ServiceError) as info:
        app.admit(SINK_ID, 1, 2200)  # 1,400 bytes short at 1,000/s: 1.4 s
    assert (info.value.status, info.value.code) == (400, "ResourceThroughputExceeded")
    assert info.value.headers.get("Retry-After") == "2"
    clock.advance(0.9)  # 0.5 s short: at least 1
    with pytest.raises(ServiceError) as info:
        app.admit(SINK_ID, 1, 2200)
    assert info.value.headers.get("Retry-After") == "1"
    clock.advance(0.6)
    app.admit(SINK_ID, 1, 2200)  # waited as it said (1.5 s in all): admitted


def test_serve_sends_retry_after_on_the_wire(store):
    clock = FakeClock()
    server = serving(App(store, limits=Limits(2, 1_000_000), clock=clock))
    try:
        body = body_of(records(2))
        status, _headers, _answer = post(server, INGEST, body, {"Content-Type": "application/json"})
        assert status == 200
        status, headers, answer = post(server, INGEST, body, {"Content-Type": "application/json"})
    finally:
        server.stop(2)
    assert (status, answer["code"]) == (400, "ResourceThroughputExceeded"), answer
    assert headers.get("Retry-After") == "1"  # 2 records short at 2 records/s


def test_send_waits_what_serve_s_retry_after_says_and_is_admitted(store):
    """Sender honours Retry-After: its own backoff (10 ms here) would be throttled again and again."""
    clock = FakeClock()
    server = serving(App(store, limits=Limits(2, 1_000_000), clock=clock))
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # (the server's clock moves as the sender waits: no real wait)
        waits.append(seconds)
        clock.advance(seconds)

    try:
        body = body_of(records(2))
        with mapper.Sender(f"{server.url}{INGEST}", sleep=sleep, rand=lambda: 0.0, backoff=0.01, retries=3, timeout=5) as sender:
            assert sender.send(body).stored == 2
            waits.clear()  # (the pacer's, if any)
            ack = sender.send(body)
    finally:
        server.stop(2)
    assert ack.stored == 2 and ack.retries == 1
    assert waits == [1.0]


# ---------------------------------------------------------------------------------------
# 2. The Content-Type is judged before the body is read


@pytest.mark.parametrize("path", [INGEST, "/v1/sinks"])
def test_a_large_body_of_the_wrong_type_is_refused_for_its_type_and_the_connection_kept(store, path):
    """The type was checked once the body was read, so a body over the size limit was answered 413
    and the producer fixed the size of a body whose type was wrong."""
    server = serving(App(store, max_body_bytes=1000))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("POST", path, body=b"x" * 5000, headers={"Content-Type": "text/plain"})
        resp = conn.getresponse()
        answer = orjson.loads(resp.read())
        assert (resp.status, answer["code"]) == (400, "InvalidContentType"), answer
        assert "'text/plain'" in answer["message"]
        assert resp.getheader("Connection") != "close"
        sock = conn.sock
        conn.request("GET", "/v2/sinks")  # the refused body was read away: the next request is read as one
        resp = conn.getresponse()
        assert resp.status == 200 and orjson.loads(resp.read())["sinks"][0]["id"] == SINK_ID
        assert conn.sock is sock  # (the same connection, not a new one)
    finally:
        conn.close()
        server.stop(2)


def test_a_huge_body_of_the_wrong_type_is_still_answered_for_its_type(store):
    server = serving(App(store, max_body_bytes=1000))
    try:
        status, _headers, answer = post(server, INGEST, b"x" * 300_000, {"Content-Type": "application/x-www-form-urlencoded"})
    finally:
        server.stop(2)
    assert (status, answer["code"]) == (400, "InvalidContentType"), answer


# ---------------------------------------------------------------------------------------
# 3. A body said to be in another charset than UTF-8


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", '"windows-1252"', "utf-16"])
def test_a_body_in_another_charset_is_refused_naming_it_and_nothing_is_stored(store, charset):
    """Read as UTF-8, a latin-1 body's é was stored as U+FFFD, silently."""
    server = serving(App(store))
    try:
        body = body_of(records(1, origin="Orl\u00e9ans")).decode().encode("latin-1")
        status, _headers, answer = post(server, INGEST, body, {"Content-Type": f"application/json; charset={charset}"})
    finally:
        server.stop(2)
    assert (status, answer["code"]) == (400, "InvalidContentType"), answer
    assert repr(charset.strip('"')) in answer["message"] and "UTF-8" in answer["message"]
    assert store.rows(SINK_ID, offset=0, limit=10).to_json()["total"] == 0


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8", 'application/json; charset="utf8"'])
def test_a_utf8_body_is_taken_with_or_without_its_charset(store, ctype):
    server = serving(App(store))
    try:
        status, _headers, answer = post(server, INGEST, body_of(records(1, origin="Orl\u00e9ans")), {"Content-Type": ctype})
    finally:
        server.stop(2)
    assert status == 200 and answer["success_count"] == 1, answer
    assert store.rows(SINK_ID, offset=0, limit=10).to_json()["rows"][0]["origin"] == "Orl\u00e9ans"


# ---------------------------------------------------------------------------------------
# 4. The JSON report names the body in doubt


@pytest.fixture
def gateway_502() -> Iterator[str]:
    """An endpoint that reads each body and answers 502 (a gateway that lost the answer: maybe stored)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}{INGEST}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def send_json(capsys: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    from mapper.cli import main

    capsys.readouterr()
    rc = main(["send", str(SINK), str(RECORDS), "--report", "json", "--timeout", "5", *args])
    out, err = capsys.readouterr()
    return rc, orjson.loads(out), err


def test_the_json_report_names_the_body_that_may_have_been_stored(gateway_502, capsys):
    """The stderr line named it; the JSON report, what a script reads, had no field for it."""
    rc, report, err = send_json(capsys, "--endpoint", gateway_502, "--retries", "0")
    assert rc == 2 and report["completed"] is False
    assert report["in_doubt"] == [{"body": 1, "first": 0, "last": 2, "records": 3}]
    assert "body 1 (records 0-2, 3 records) may have been stored" in err


def test_the_json_report_has_an_empty_in_doubt_when_no_body_is(store, capsys):
    server = serving(App(store))
    try:
        rc, done, _err = send_json(capsys, "--endpoint", f"{server.url}{INGEST}")
        rc404, refused, _err = send_json(capsys, "--endpoint", f"{server.url}/v2/sinks/nobody", "--retries", "0")
    finally:
        server.stop(2)
    assert rc == 0 and done["completed"] is True and done["in_doubt"] == []
    assert rc404 == 2 and refused["completed"] is False and refused["in_doubt"] == []  # (a 404 says not stored)
    rc, dry, _err = send_json(capsys, "--dry-run")
    assert rc == 0 and dry["in_doubt"] == []


@pytest.mark.parametrize("path", ["/ui/api/draft", f"/ui/api/sinks/{SINK_ID}/send"])
@pytest.mark.parametrize(
    ("body", "ctype", "says"),
    [(b"x" * 50_000, "text/plain", "'text/plain'"), (b'{"text": "{}"}', "application/json; charset=latin-1", "'latin-1'")],
    ids=["large wrong type", "another charset"],
)
def test_the_ui_routes_judge_the_body_s_type_from_the_headers_as_the_api_does(store, path, body, ctype, says):
    # the UI read its body first (a large one of the wrong type was answered 413) and never looked at the charset
    from mapper.web.app import install
    from mapper.web.catalog import load_catalog

    app = App(store, max_body_bytes=1000)
    install(app, load_catalog([]))
    server = serving(app)
    try:
        status, _headers, answer = post(server, path, body, {"Content-Type": ctype})
    finally:
        server.stop(2)
    assert (status, answer["code"]) == (400, "InvalidContentType"), answer
    assert says in answer["message"]
