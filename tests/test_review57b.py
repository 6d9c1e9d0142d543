"""Review of session 57's changes (the recursion-limit cap, serve's header checks): what it found wrong.

Every server binds 127.0.0.1 on a free port in this process; every socket read has a timeout.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from sinks import id_sink
from test_send_serve import SINK, SINK_ID, aircraft, serving

import mapper
from mapper import stack
from mapper.endpoint import encode_body
from mapper.serve import Server

_SINK = id_sink(name="open", table="t", database_id="x")


# ---------------------------------------------------------------------------------------
# 1. The recursion limit a program sets while an engine call runs capped is the one given back


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_a_limit_the_program_raises_during_a_capped_call_is_given_back_after_another_call() -> None:
    # a call runs capped (the limit lowered to CAPPED_LIMIT) on a thread; meanwhile the program raises the limit again and
    # makes another engine call, capped too: when both end, the limit was the one the program had before it raised it
    # (100,000 here), the one it set meanwhile (1,000,000) lost
    before = sys.getrecursionlimit()
    started, release = threading.Event(), threading.Event()

    def held() -> None:
        started.set()
        release.wait(30)

    m = mapper.compile_sink(_SINK)
    holder = threading.Thread(target=stack._within_cap, args=(held,))
    try:
        sys.setrecursionlimit(100_000)
        holder.start()
        assert started.wait(30)
        assert sys.getrecursionlimit() == stack.CAPPED_LIMIT  # (the first call's cap)
        sys.setrecursionlimit(1_000_000)  # the program's, while that call runs
        assert [p.code for p in m.check('{"id": 1}')] == []  # (another engine call, capped in turn)
        release.set()
        holder.join(30)
        assert sys.getrecursionlimit() == 1_000_000  # before: 100,000
    finally:
        release.set()
        holder.join(30)
        sys.setrecursionlimit(before)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_a_limit_the_program_lowers_as_a_capped_call_starts_stays_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    # the call saw the raised limit (its first look, without the lock), then the program lowered it to 5,000 before the
    # cap was set: the call raised it to the cap and, 5,000 being no limit to give back, left it there (9,997)
    before = sys.getrecursionlimit()
    monkeypatch.setattr(stack, "getrecursionlimit", lambda: 1_000_000)  # (the first look: the limit still raised)
    try:
        sys.setrecursionlimit(5_000)  # (the program's, as the call takes the lock)
        assert stack._within_cap(sys.getrecursionlimit) == 5_000  # run as it is: no cap needed
        assert sys.getrecursionlimit() == 5_000  # before: 9,997
    finally:
        sys.setrecursionlimit(before)


# ---------------------------------------------------------------------------------------
# 2. serve: a header line holding a lone carriage return (CR) is refused, as Go's server refuses it


def _exchange(server: Server, data: bytes) -> tuple[int, Any]:
    """``data`` sent as is on a new connection (our side then closed for writing): the first answer's status and JSON body."""
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        parts = []
        while chunk := s.recv(65536):
            parts.append(chunk)
    head, _, rest = b"".join(parts).partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    return int(head.split(b" ", 2)[1]), orjson.loads(rest[:length])


def _head(method: str, lines: bytes) -> bytes:
    return f"{method} /v2/sinks/{SINK_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode() + lines + b"\r\n\r\n"


_LONE_CR = {
    # the email parser http.server reads headers with ends a line at a lone CR: the rest of it was read as a header of
    # its own, and "\r\r\n" as the empty line ending the head (each served, 200); Go's server reads a header line to its
    # LF and refuses a value holding a CR (httpguts: a control character), 400, as c2158d4c meant serve to
    "a header after it": b"X-Trace: a\rX-Other: b",
    "at the line's end": b"X-Trace: a\r",
    "a word after it": b"X-Trace: a\rb",  # (refused before, as "no colon after 'b'")
    "in a folded line": b"X-Trace: a\r\n b\rX-Other: c",
}


@pytest.mark.parametrize("line", list(_LONE_CR), ids=list(_LONE_CR))
def test_a_header_line_holding_a_lone_carriage_return_is_refused(tmp_path: Path, line: str) -> None:
    with serving(tmp_path, SINK) as (server, _app, _store):
        status, answer = _exchange(server, _head("GET", _LONE_CR[line]))
    assert status == 400, answer
    assert answer["message"] == (
        "a header line is malformed (the line of the header 'X-Trace' holds a carriage return (CR) that is no line's end: "
        "a header line ends at CRLF, RFC 9112 2.2): the headers cannot be read"
    )


def test_a_header_hidden_behind_a_lone_carriage_return_frames_no_body(tmp_path: Path) -> None:
    # a proxy in front reads one header "X-Trace" and frames the body by its Content-Length; serve read a
    # Transfer-Encoding: chunked of its own there and stored the record; Go's server refuses the request
    body = encode_body([orjson.dumps(aircraft(1))])
    sent = hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"
    lines = b"Content-Type: application/json\r\nX-Trace: a\rTransfer-Encoding: chunked\r\nContent-Length: " + str(len(sent)).encode()
    with serving(tmp_path, SINK) as (server, _app, store):
        status, answer = _exchange(server, _head("POST", lines) + sent)
        assert status == 400, answer  # (before: 200, the record stored)
        assert store.sink(SINK_ID).to_json()["counts"]["records_stored"] == 0


# ---------------------------------------------------------------------------------------
# 3. serve: a folded header line (obs-fold) is read with the fold a space, every header, as Go's server reads it

_FOLDED = {
    # 95969dfb read a fold in Content-Length and Transfer-Encoding alone; elsewhere it stayed as sent, "\r\n ":
    "Host": (b"Host:\r\n 127.0.0.1", {}),  # (400: "malformed Host header: '\\r\\n 127.0.0.1' holds the control character '\\r'")
    "Authorization": (b"Host: 127.0.0.1\r\nAuthorization: Bearer\r\n\tsecret", {"token": "secret"}),  # (401: the scheme "Bearer\r\n")
}


@pytest.mark.parametrize("header", list(_FOLDED), ids=list(_FOLDED))
def test_a_folded_header_line_is_read_as_go_reads_it(tmp_path: Path, header: str) -> None:
    lines, options = _FOLDED[header]
    request = f"GET /v2/sinks/{SINK_ID} HTTP/1.1\r\nConnection: close\r\n".encode() + lines + b"\r\n\r\n"
    with serving(tmp_path, SINK, **options) as (server, _app, _store):
        status, answer = _exchange(server, request)
    assert (status, answer.get("id")) == (200, SINK_ID), answer


def test_a_header_line_with_no_name_is_refused(tmp_path: Path) -> None:
    # ": value" (a field name is a token, one character at least: RFC 9110 5.1): the email parser dropped the line (a
    # defect serve did not look at) and the request was served; Go's server refuses it ("malformed MIME header line"), 400
    with serving(tmp_path, SINK) as (server, _app, _store):
        status, answer = _exchange(server, _head("GET", b"X-Trace: a\r\n: value"))
    assert (status, answer["message"]) == (
        400,
        "a header line is malformed (a line with no name before its colon: a header is Name: value): the headers cannot be read",
    ), answer


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_a_batcher_dropped_at_exit_with_the_limit_raised_lets_the_program_end() -> None:
    # a batcher holding a queued record, dropped as the interpreter ends, judges it (__del__) on a new thread's stack when
    # the limit is to be capped; a thread started then never runs, and the exit waited for it for ever
    import subprocess
    import textwrap

    code = f"""
    import sys
    sys.setrecursionlimit(1_000_000)
    import mapper
    b = mapper.Batcher(mapper.compile_sink({_SINK!r}))
    b.add({{"id": 1}})
    print("added")
    """
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)  # (before: never ended)
    assert (run.returncode, run.stdout, run.stderr) == (0, "added\n", "")
