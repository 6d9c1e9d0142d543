"""``mapper serve`` as an HTTP server, at the protocol's edges a real client or a hostile one reaches: HTTP/1.0
keep-alive, a client gone mid-body, and what the log says.

Every server binds 127.0.0.1 on a free port in this process, every socket has a timeout, and nothing sleeps.
"""

from __future__ import annotations

import socket
import struct
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson

from mapper.serve import App, Server
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"
PATH = f"/v2/sinks/{SINK_ID}".encode()
SEED = (ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0]


def body(n: int, first: int = 0) -> bytes:
    """An ingest body of ``n`` seed records with the ids ``r<first>``, ``r<first+1>``, ..."""
    return b'{"records": [' + b",".join(b'{"value": %s}' % SEED.replace("PD2tRswoE3:0:0", f"r{first + i}").encode() for i in range(n)) + b"]}"


@contextmanager
def serving(max_body_bytes: int | None = None) -> Iterator[tuple[Server, list[str]]]:
    log: list[str] = []
    store = Store(":memory:")
    store.create_sink(SINK)
    server = Server(App(store, max_body_bytes=max_body_bytes, log=log.append), idle_timeout=5.0).start()
    try:
        yield server, log
    finally:
        server.stop(timeout=5.0)
        store.close()


def rows(server: Server) -> int:
    return int(server.app.store.rows(SINK_ID, offset=0, limit=0).total)


def head(*lines: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    return (
        b"POST " + PATH + b" " + version + b"\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    )


def chunked(data: bytes, sizes: list[int], ext: bytes = b"", trailers: bytes = b"") -> bytes:
    out, at = [], 0
    for n in sizes:
        out.append(b"%x%s\r\n%s\r\n" % (n, ext, data[at : at + n]))
        at += n
    assert at == len(data)
    return b"".join(out) + b"0\r\n" + trailers + b"\r\n"


def answers(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], Any]]:
    """``count`` answers read off ``sock`` (each framed by its Content-Length)."""
    buf = b""
    out = []
    for _ in range(count):
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed after {len(out)} answers: {buf[:200]!r}"
            buf += chunk
        top, buf = buf.split(b"\r\n\r\n", 1)
        status_line, *lines = top.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        n = int(headers["content-length"])
        while len(buf) < n:
            chunk = sock.recv(65536)
            assert chunk, "the connection closed inside an answer"
            buf += chunk
        out.append((int(status_line.split()[1]), headers, orjson.loads(buf[:n])))
        buf = buf[n:]
    return out


def closes(sock: socket.socket) -> bool:
    """The server closes ``sock`` (reads nothing more, within the socket's timeout)."""
    try:
        return sock.recv(65536) == b""
    except (TimeoutError, ConnectionResetError):
        return False


def logged(log: list[str], text: str) -> str:
    """The log line holding ``text``, once written (a line is written just after its answer: waited for, 5 s at most)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in list(log):
            if text in line:
                return line
        time.sleep(0.005)
    raise AssertionError(f"no log line holds {text!r}: {log}")


def connect(server: Server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


# ---------------------------------------------------------------------------------------
# 2. HTTP/1.0 keep-alive: kept open, but the answer did not say so, and an HTTP/1.0 client reads to the close unless
# told (ApacheBench -k waited out the idle timeout, 30 s, for every request)


def test_an_http_1_0_keep_alive_answer_says_keep_alive_and_the_next_request_is_served() -> None:
    with serving() as (server, _), connect(server) as s:
        one = body(1)
        s.sendall(head(b"Connection: keep-alive", b"Content-Length: %d" % len(one), version=b"HTTP/1.0") + one)
        ((status, headers, _),) = answers(s, 1)
        assert status == 200 and headers.get("connection", "").lower() == "keep-alive"
        s.sendall(head(b"Content-Length: %d" % len(one), version=b"HTTP/1.0") + one)  # without keep-alive: the last
        ((status, headers, _),) = answers(s, 1)
        assert status == 200 and headers["connection"] == "close" and closes(s)


# ---------------------------------------------------------------------------------------
# 3. The log: a client gone mid-body left no line at all (the answer's write failed before the line); an error's
# line said only its status, not which of the many 400s nor why


def test_a_client_that_resets_mid_body_is_logged_and_nothing_is_stored() -> None:
    data = body(3)
    with serving() as (server, log):
        s = connect(server)
        s.sendall(head(b"Content-Length: %d" % len(data)) + data[:-20])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # closed with a reset
        s.close()
        line = logged(log, "400")
        assert rows(server) == 0 and len(log) == 1
        assert line.startswith(f"POST {PATH.decode()} 400 InvalidBody not sent, the client closed the connection (") and line.endswith(
            " ms: the body ended before its Content-Length (the client stopped sending)"
        ), line


def test_an_error_answer_is_logged_with_its_code_and_message() -> None:
    with serving(max_body_bytes=100) as (server, log), connect(server) as s:
        s.sendall(head(b"Content-Length: 101") + b"x" * 101)
        assert answers(s, 1)[0][0] == 413
        line = logged(log, " 413 ")
        assert line.startswith(f"POST {PATH.decode()} 413 RequestEntityTooLarge 99 bytes ") and line.endswith(
            " ms: the body is 101 bytes; this endpoint takes at most 100"
        )
