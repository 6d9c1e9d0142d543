"""``mapper send`` and ``mapper serve`` used by a hostile client and against a hostile endpoint (a network bug hunt).

Every server binds 127.0.0.1 on a free port; every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

import mapper
import mapper.serve
from mapper.serve import App, Server
from mapper.store import Store
from tests import slow_client

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A server with an idle timeout of 0.5 s (another when parametrized indirectly)."""
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK, exist_ok=True)
    server = Server(App(store), idle_timeout=getattr(request, "param", 0.5)).start()
    try:
        yield server
    finally:
        server.stop(2)
        store.close()


def head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def trickle(server: Server, path: str, length: int, seconds: float) -> tuple[bytes, float, bool]:
    """Send a request head, then its body a byte every 0.1 s (each well within the idle timeout) for at most ``seconds``;
    what the server wrote, when it closed (seconds from the head), and whether it did."""
    start = time.monotonic()
    got, _answered, closed = slow_client.trickle(server.port, head(path, length), b" ", seconds, drips=length)
    return got, time.monotonic() - start if closed is None else closed, closed is not None


def answer_of(raw: bytes) -> tuple[int, Any]:
    head_, _, body = raw.partition(b"\r\n\r\n")
    return int(head_.split(b" ")[1]), orjson.loads(body)


# ---------------------------------------------------------------------------------------
# serve: a body trickled in a byte at a time


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_408_and_closed(served):
    """The head had a deadline (408 however slowly it came); the body had none: a byte every
    0.1 s with an idle timeout of 0.5 s held the connection and its thread for ever (slowloris on
    the body). Now a body gets the idle timeout and a second per BODY_MIN_RATE bytes."""
    raw, when, closed = trickle(served, f"/v2/sinks/{SINK_ID}", 1000, seconds=6)
    assert closed, f"the server was still reading a trickled body of 1,000 bytes after {when:.1f} s (idle timeout 0.5 s)"
    assert when < 3
    status, answer = answer_of(raw)
    assert status == 408 and answer["code"] == "RequestTimeout"
    assert "did not arrive within 0.6 s" in answer["message"]


def test_a_refused_body_read_away_a_byte_at_a_time_is_cut_off(served, monkeypatch):
    """A body refused unread (an unknown sink: 404) is read away after the answer to keep the
    connection; sent a byte at a time, each within LINGER (2 s), it held the connection for ever."""
    monkeypatch.setattr(mapper.serve, "LINGER", 0.5)
    raw, when, closed = trickle(served, "/v2/sinks/nobody", 1000, seconds=6)
    status, answer = answer_of(raw)
    assert status == 404 and answer["code"] == "ResourceNotFound"
    assert closed, f"the server was still reading away a refused body after {when:.1f} s"
    assert when < 2.5


def test_a_body_that_stops_half_way_is_400_after_the_idle_timeout_not_408(served):
    """A client that stops sending (rather than trickling) is cut by the idle timeout of one read, as before the body's deadline."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as s:
        s.sendall(head(f"/v2/sinks/{SINK_ID}", 100_000) + b'{"records":[')
        start = time.monotonic()
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    assert time.monotonic() - start < 3
    status, answer = answer_of(raw)
    assert status == 400 and answer["code"] == "InvalidBody" and "ended before its Content-Length" in answer["message"]


@pytest.mark.parametrize("served", [3.0], indirect=True)
def test_a_body_sent_whole_after_a_pause_shorter_than_the_idle_timeout_is_taken(served):
    """The body's deadline cuts a trickle, not a client that pauses once then sends."""
    rec = (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes().splitlines()[0]
    body = b'{"records":[{"value":' + rec + b"}]}"
    # a pause well past the body's second per BODY_MIN_RATE bytes (so only the idle timeout's part of
    # its deadline covers it) and well short of the idle timeout (slack for a loaded machine)
    pause = 0.3
    assert len(body) / mapper.serve.BODY_MIN_RATE < pause / 5 and pause < served.httpd.RequestHandlerClass.timeout / 5
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(head(f"/v2/sinks/{SINK_ID}", len(body)) + body[:10])
        time.sleep(pause)
        s.sendall(body[10:])
        raw = b""
        while b"}]}" not in raw:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    status, answer = answer_of(raw)
    assert status == 200 and answer["success_count"] == 1


# ---------------------------------------------------------------------------------------
# send: an endpoint that never answers


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An endpoint that takes connections and bodies and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    taken: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                taken.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v2/sinks/{SINK_ID}"
    finally:
        stop.set()
        thread.join(5)
        for s in taken:
            s.close()
        listener.close()


def test_an_answer_that_never_comes_is_bounded_by_the_timeout_and_the_stop_says_how_long(black_hole):
    """The run gave up saying "no answer from ...: timed out", not what it waited: a user could
    not tell a 30 s default from a hung run, nor which option bounds it."""
    start = time.monotonic()
    with mapper.Sender(black_hole, timeout=0.3, retries=1, backoff=0.01) as sender, pytest.raises(mapper.EndpointUnreachable) as info:
        sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert time.monotonic() - start < 3
    assert "no answer from 127.0.0.1" in str(info.value)
    assert "timed out after 0.3 s" in str(info.value)
    assert info.value.maybe_stored  # (a body written whole and not answered may have been stored)


# ---------------------------------------------------------------------------------------
# serve: a body in a content coding


def post(server: Server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, orjson.loads(resp.read())
    finally:
        conn.close()


def test_a_compressed_body_is_refused_naming_its_content_encoding(served):
    """A gzip body was answered "not valid JSON: unexpected character ... (char 0)", without a word
    of the coding; a plain body labelled gzip was stored as if the label were not there."""
    plain = b'{"records":[]}'
    json_gzip = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    for body in (gzip.compress(plain), plain):
        status, answer = post(served, f"/v2/sinks/{SINK_ID}", body, json_gzip)
        assert status == 415, answer
        assert answer["code"] == "UnsupportedContentEncoding" and "Content-Encoding is 'gzip'" in answer["message"]
    status, answer = post(served, f"/v2/sinks/{SINK_ID}", plain, {"Content-Type": "application/json", "Content-Encoding": "identity"})
    assert status == 200 and answer["records"] == []


def test_a_run_that_gives_up_on_a_body_it_may_have_had_stored_says_which_records(black_hole, capsys, tmp_path):
    """Every record ends stored, refused, or re-sent: a run that gave up (or was stopped) with a body
    whose answer was lost counted its records nowhere (0 sent, 0 stored, 0 refused) and said nothing
    of them; without a checkpoint nothing ever would. The stop names the body and its records."""
    from mapper.cli import main

    capsys.readouterr()
    records = ROOT / "examples" / "aircraft" / "records.ndjson"
    rc = main(["send", str(SINK), str(records), "--endpoint", black_hole, "--timeout", "0.3", "--retries", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "timed out after 0.3 s" in err
    assert "body 1 (records 0-2, 3 records) may have been stored" in err
    assert "written again by _id" in err


def test_a_body_refused_outright_is_not_said_to_be_maybe_stored(capsys, tmp_path):
    """Only a body whose fate is unknown is named: one the service refused (404) was not stored."""
    from mapper.cli import main

    store = Store(tmp_path / "serve.db")
    server = Server(App(store), idle_timeout=2).start()
    try:
        capsys.readouterr()
        records = ROOT / "examples" / "aircraft" / "records.ndjson"
        rc = main(["send", str(SINK), str(records), "--endpoint", f"{server.url}/v2/sinks/nobody", "--retries", "0"])
        err = capsys.readouterr().err
    finally:
        server.stop(2)
        store.close()
    assert rc == 2 and "404 ResourceNotFound" in err
    assert "may have been stored" not in err


def test_a_body_far_over_the_limit_gets_its_413_read_not_a_broken_pipe(tmp_path):
    """A body more than four times --max-body-bytes was answered 413 and the connection closed at
    once with the body unread: reset under a client still writing it (http.client, requests), which
    failed on a broken pipe and never read the 413. It is read away for LINGER seconds first."""
    store = Store(tmp_path / "serve.db")
    store.create_sink(SINK, exist_ok=True)
    server = Server(App(store, max_body_bytes=100_000), idle_timeout=2).start()
    try:
        body = b'{"records":[' + b" " * 20_000_000 + b"]}"
        status, answer = post(server, f"/v2/sinks/{SINK_ID}", body, {"Content-Type": "application/json"})
        assert status == 413 and answer["code"] == "RequestEntityTooLarge"
        assert "takes at most 100,000" in answer["message"]
    finally:
        server.stop(2)
        store.close()
