"""``mapper serve`` reviewed whole (request parsing, storage, answers, shutdown): what that review found, each pinned.

Every server binds 127.0.0.1 on a free port; every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import math
import socket
import threading
import time
import types
from email.message import Message
from pathlib import Path
from typing import Any

import orjson
import pytest

import mapper.serve
from mapper.endpoint import Limits, ServiceError
from mapper.errors import OptionError
from mapper.serve import App, Server, limits_said
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"
RECORDS = [orjson.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes().splitlines() if line.strip()]
BODY = orjson.dumps({"records": [{"value": r} for r in RECORDS]})


def post_head(length: int, path: str = f"/v2/sinks/{SINK_ID}") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()


def read_to_close(s: socket.socket) -> bytes:
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return got
        got += chunk


def status_and_body(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), orjson.loads(body) if body else None


def test_a_request_whose_head_is_arriving_when_serve_stops_is_taken_and_answered_not_cut(tmp_path, monkeypatch):
    """A stop wakes each idle connection by shutting its reading; one whose request head had begun to arrive was
    cut there too, and answered as what the part read looked like: a request line cut, 400 ``Bad HTTP/0.9 request
    type ('POST')``; headers cut before the Content-Length, 400 ``the request has no body``. Such a request is in
    progress, as one whose body is arriving: it is taken, stored and answered, and the connection then closed."""
    stop_looked = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:  # (stop()'s wait between its looks at the connections: it has looked once)
        stop_looked.set()
        real_sleep(seconds)

    monkeypatch.setattr(mapper.serve, "time", types.SimpleNamespace(**{n: getattr(time, n) for n in ("monotonic", "perf_counter", "strftime")}, sleep=sleep))
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK, exist_ok=True)
    server = Server(App(store), idle_timeout=5).start()
    request = post_head(len(BODY)) + BODY
    cuts = (10, request.index(b"Content-Type"))  # in the request line; in the headers, before the length
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in cuts]
    stopper = threading.Thread(target=server.stop, args=(5,))
    try:
        for s, cut in zip(socks, cuts):
            s.sendall(request[:cut])
        deadline = time.monotonic() + 5
        while any(not h.head_bytes for h in list(server.httpd.conns)) or len(server.httpd.conns) < len(cuts):
            assert time.monotonic() < deadline, "the heads never arrived"
            real_sleep(0.005)
        stopper.start()
        assert stop_looked.wait(5)
        for s, cut in zip(socks, cuts):
            s.sendall(request[cut:])
        answers = [read_to_close(s) for s in socks]
    finally:
        for s in socks:
            s.close()
        stopper.join(10)
        store.close()
    for raw in answers:
        assert b"\r\nConnection: close\r\n\r\n" in raw, raw[:300]
        assert status_and_body(raw) == (200, {"success_count": 3, "error_count": 0, "records": [{"status": "success"}] * 3}), raw[:400]
    again = Store(tmp_path / "serve.db")
    try:
        assert again.rows(SINK_ID).total == 3
        assert again.sink(SINK_ID).to_json()["counts"]["requests"] == 2
    finally:
        again.close()


ESCAPED_SEGMENTS = (
    ("/v2/%73inks", 200, b'{"sinks":'),  # (a 404 saying "no such resource: /v2/sinks")
    (f"/v2/sinks/{SINK_ID}/%72ows?limit=0", 200, b'"rows":[]'),
    (f"/v2/sinks/{SINK_ID[:8]}%5F{SINK_ID[9:]}", 200, f'"id":"{SINK_ID}"'.encode()),  # (a parameter's escapes, as before)
    (f"/v2/sinks/{SINK_ID}%2Frows", 404, f"no sink '{SINK_ID}/rows'".encode()),  # (an escaped / is the id's, as before)
    ("/v2/sinks/a%252Fb", 404, b"no sink 'a%2Fb'"),  # (an escaped % too: unescaped once)
    ("/v2/sinks/%2e%2e", 404, b"no sink '..'"),
)


def test_routes_match_each_segment_unescaped_as_gos_servemux_does():
    """Go's ServeMux matches a path segment by segment, each unescaped (a %73 is an s); serve matched the path as sent,
    so ``/v2/%73inks`` was a 404 whose message, the path unescaped, named the route it missed: ``no such resource: /v2/sinks``."""
    store = Store(":memory:")
    try:
        store.create_sink(SINK, exist_ok=True)
        app = App(store)
        answers = [(target, app.dispatch("GET", target, Message(), lambda limit: b"")) for target, _, _ in ESCAPED_SEGMENTS]
    finally:
        store.close()
    for (target, resp), (_, status, said) in zip(answers, ESCAPED_SEGMENTS):
        assert resp.status == status and said in resp.body, (target, resp.status, resp.body[:200])


@pytest.mark.parametrize("idle_timeout", [0, -1, math.nan, math.inf, "5", True])
def test_an_idle_timeout_that_is_no_number_of_seconds_is_refused_naming_it(idle_timeout):
    """Taken unchecked, it became each connection's socket timeout: 0 made the sockets non-blocking, -1, NaN and "5"
    failed in each connection's thread (``ValueError: Timeout value out of range`` on stderr), inf failed its deadline
    (``OverflowError``): the server listened and dropped every request unanswered."""
    store = Store(":memory:")
    try:
        with pytest.raises(OptionError, match=r"idle_timeout= must be a finite number of seconds, above 0, at most 86,400 \(or None: no timeout\), not "):
            Server(App(store), idle_timeout=idle_timeout)
    finally:
        store.close()


def test_an_idle_kept_alive_connection_closed_and_a_late_head_log_no_request_timed_out_line(tmp_path):
    """http.server logged ``Request timed out: TimeoutError('timed out')`` for each kept-alive connection on which nothing
    came within the idle timeout (every client that kept one open: a request named that there was none of), and for a
    head cut off beside its 408's own line (one time out said twice)."""
    log: list[str] = []
    store = Store(":memory:")
    store.create_sink(SINK, exist_ok=True)
    server = Server(App(store, log=log.append), idle_timeout=0.2).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle, socket.create_connection(("127.0.0.1", server.port), timeout=5) as late:
            idle.sendall(b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            late.sendall(b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert read_to_close(idle).startswith(b"HTTP/1.1 200 ")  # (answered, then closed once idle for 0.2 s)
            assert read_to_close(late).startswith(b"HTTP/1.1 408 ")
    finally:
        server.stop(2)
        store.close()
    assert [line for line in log if "timed out" in line.lower()] == [], log
    assert len(log) == 2 and any(line.startswith("GET /v2/sinks 200 ") for line in log) and any(line.startswith("408 RequestTimeout: ") for line in log), log


def test_an_app_refuses_a_store_log_or_clock_it_could_not_use_when_made():
    """Each was taken and failed at a request: another object as the store answered every request 500, a log that is no
    function raised after each answer (the connection dropped, a line on stderr), a clock that is none made every ingest a 500."""
    store = Store(":memory:")
    try:
        for kw, said in (
            ({"store": ":memory:"}, "App serves a mapper.store.Store, not str"),
            ({"log": "serve.log"}, "log= is a function"),
            ({"clock": 5.0}, "clock= is a function"),
        ):
            with pytest.raises(OptionError, match=said):
                App(**{"store": store, **kw})
    finally:
        store.close()


def test_a_stop_waits_for_a_connection_accepted_before_it_whose_thread_had_not_begun(tmp_path, monkeypatch):
    """The stop waited for the connections whose threads had begun: one accepted a moment before, its thread not yet
    started, was in no list, so the stop returned, serve closed its store, and the request was answered 500 ``cannot
    read the database ...: Cannot operate on a closed database``. It is waited for as any other."""
    stop_looked = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        stop_looked.set()
        real_sleep(seconds)

    monkeypatch.setattr(mapper.serve, "time", types.SimpleNamespace(**{n: getattr(time, n) for n in ("monotonic", "perf_counter", "strftime")}, sleep=sleep))
    begin = threading.Event()
    setup = mapper.serve._Handler.setup

    def late_setup(self: Any) -> None:  # (the connection's thread, held before it begins)
        begin.wait(5)
        setup(self)

    monkeypatch.setattr(mapper.serve._Handler, "setup", late_setup)
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK, exist_ok=True)
    server = Server(App(store), idle_timeout=5).start()
    stopper = threading.Thread(target=lambda: (server.stop(5), store.close()))  # (as mapper serve closes its store once stopped)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        try:
            s.sendall(post_head(len(BODY)) + BODY)
            deadline = time.monotonic() + 5
            while not server.httpd.open_connections:
                assert time.monotonic() < deadline, "the connection was never accepted"
                real_sleep(0.005)
            stopper.start()
            stop_looked.wait(2)  # (it waits for the connection: it looks again; before, it returned at once)
            begin.set()
            answer = read_to_close(s)
        finally:
            begin.set()
            stopper.join(10)
    assert status_and_body(answer) == (200, {"success_count": 3, "error_count": 0, "records": [{"status": "success"}] * 3}), answer[:400]
    with Store(tmp_path / "serve.db") as again:
        assert again.rows(SINK_ID).total == 3


def test_a_rows_page_over_its_limit_is_refused_naming_the_limit_and_the_value_sent():
    """``?limit=20000`` was answered ``offset >= 0 and 0 <= limit <= 10000``: neither which parameter nor what was wrong
    with it (no sign passes the digits check, so only a limit too large reached it); the UI's rows route alike."""
    from mapper.web.app import install
    from mapper.web.catalog import load_catalog

    store = Store(":memory:")
    try:
        store.create_sink(SINK, exist_ok=True)
        app = App(store)
        install(app, load_catalog([]), assets={"sources.html": (b"", "text/html"), "new.html": (b"", "text/html"), "source.html": (b"", "text/html")})
        api = app.dispatch("GET", f"/v2/sinks/{SINK_ID}/rows?limit=20000", Message(), lambda limit: b"")
        ui = app.dispatch("GET", f"/ui/api/sinks/{SINK_ID}/rows?limit=1001&offset=5", Message(), lambda limit: b"")
        most = app.dispatch("GET", f"/v2/sinks/{SINK_ID}/rows?limit=10000", Message(), lambda limit: b"")
    finally:
        store.close()
    assert (api.status, orjson.loads(api.body)) == (
        400,
        {"code": "InvalidParameter", "message": "limit is at most 10,000 rows a page, not 20,000: page through the rows with offset"},
    )
    assert (ui.status, orjson.loads(ui.body)["message"]) == (400, "limit is at most 1,000 rows a page, not 1,001: page through the rows with offset")
    assert most.status == 200


def test_the_limits_are_said_as_given_not_rounded_to_whole_numbers():
    """``--records-per-s 1.5`` was said ``2 records/s`` (``:,.0f``), on the listening line and in the throttling answer,
    while a request of 2 records was refused 413 for holding more than 1."""
    store = Store(":memory:")
    try:
        store.create_sink(SINK, exist_ok=True)
        app = App(store, limits=Limits(1.5, 2500.5), clock=lambda: 0.0)
        app.admit(SINK_ID, 1, 10)
        with pytest.raises(ServiceError) as info:
            app.admit(SINK_ID, 1, 10)
    finally:
        store.close()
    assert info.value.code == "ResourceThroughputExceeded"
    assert "the limits of this endpoint are 1.5 records/s and 2,500.5 bytes/s: retry" in info.value.message
    assert limits_said(Limits(), ", ") == "1,000 records/s, 1,000,000 bytes/s"


def test_a_body_without_a_content_type_is_refused_saying_none_was_sent():
    """It was ``Content-Type must be application/json, not 'missing'``: quoted as if ``missing`` were the type sent."""
    store = Store(":memory:")
    try:
        store.create_sink(SINK, exist_ok=True)
        app = App(store)
        answers = []
        for ctype in (None, "", "application/x-www-form-urlencoded", "text/plain"):
            headers = Message()
            if ctype is not None:
                headers["Content-Type"] = ctype
            answers.append(app.dispatch("POST", f"/v2/sinks/{SINK_ID}", headers, lambda limit: BODY))
    finally:
        store.close()
    said = [(a.status, orjson.loads(a.body)["code"], orjson.loads(a.body)["message"]) for a in answers]
    none = (400, "InvalidContentType", "Content-Type must be application/json, and the request has no Content-Type header")
    assert said == [
        none,
        none,
        (
            400,
            "InvalidContentType",
            "Content-Type must be application/json, not 'application/x-www-form-urlencoded' (curl -d sends that type: add -H 'Content-Type: application/json')",
        ),
        (400, "InvalidContentType", "Content-Type must be application/json, not 'text/plain'"),
    ]
