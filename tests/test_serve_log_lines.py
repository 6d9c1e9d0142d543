"""Every line ``mapper serve`` logs of what a client sent reads the client's bytes as UTF-8 and escapes the rest.

http.server reads a request line as Latin-1 and quotes its parts with ``repr``: a method or
version holding UTF-8 (``GéT``) was logged, and answered, as mojibake (``GÃ©T``), a byte that
is not UTF-8 as the Latin-1 letter it happens to be (``ÿ``), and a right-to-left override
(U+202E, whose UTF-8 bytes are ``â\\x80®`` in Latin-1) was not escaped as mapper's own lines
escape it. Each server binds 127.0.0.1 on a free port; every socket has a timeout.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Iterator

import orjson
import pytest

from mapper.serve import App, Server, _Handler
from mapper.store import Store


@contextmanager
def logging_server() -> Iterator[tuple[Server, list[str]]]:
    lines: list[str] = []
    store = Store(":memory:")
    server = Server(App(store, log=lines.append), idle_timeout=3.0).start()
    try:
        yield server, lines
    finally:
        server.stop(timeout=3.0)
        store.close()


def raw(server: Server, data: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        parts = []
        while chunk := s.recv(65536):
            parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize(
    "request_line, shown",
    [
        (b"G\xc3\xa9T /a HTTP/1.1", "invalid method ('G\u00e9T')"),  # UTF-8, as typed (no token: 400, as Go's server answers it; 501 before)
        (b"GET /a HTTP/9.\xff", "Bad request version ('HTTP/9.\\xff')"),  # not UTF-8: its escape
        (b"\xe2\x80\xaeGET /a HTTP/1.1", "invalid method ('\\u202eGET')"),  # an RTL override: escaped
        (b"GET /\xc3\xa9 HTTP/1.1 x\x1b[2J", "Bad request version ('x\\x1b[2J')"),  # a terminal escape
        (b"GET /a HTTP/1.1 it's", 'Bad request version ("it\'s")'),
    ],
    ids=["utf8-method", "non-utf8-version", "rtl-override", "terminal-escape", "quote"],
)
def test_a_malformed_request_line_is_logged_and_answered_as_utf8_with_the_rest_escaped(request_line: bytes, shown: str) -> None:
    with logging_server() as (server, lines):
        reply = raw(server, request_line + b"\r\nHost: 127.0.0.1\r\n\r\n")
    assert reply.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 501 ")), reply[:80]
    assert len(lines) == 1 and lines[0].endswith(shown), lines
    assert "\u00c3" not in lines[0] and "\u00e2" not in lines[0] and lines[0].isprintable()
    message = orjson.loads(reply.split(b"\r\n\r\n", 1)[1])["message"]
    assert message.endswith(shown)


def test_http_servers_other_log_lines_are_read_and_escaped_alike() -> None:
    # log_message / log_error: whatever http.server formats itself, from the request line it read as Latin-1
    with logging_server() as (server, lines):
        fake = _Handler.__new__(_Handler)  # (no connection: only its log is used)
        fake.server = server.httpd
        latin = b"G\xc3\xa9T \xe2\x80\xae \xff \x1b".decode("latin-1")
        fake.log_error("code %d, message %s", 400, f"Bad request syntax ({latin!r})")
        fake.log_message("%s", latin)
    assert lines == ["code 400, message Bad request syntax ('G\u00e9T \\u202e \\xff \\x1b')", "G\u00e9T \\u202e \\xff \\x1b"]


@pytest.mark.parametrize(
    "headers, shown",
    [
        (b"Host: \xe2\x80\xaeevil\xc3\xa9\r\nContent-Length: 2\r\n", "malformed Host header: '\\u202eevil\u00e9' holds '\\u202e', not ASCII"),
        (b"Host: 127.0.0.1\r\nContent-Length: \xd9\xa3\r\n", "not '\u0663'"),  # an Arabic-Indic three
        (
            b"Host: 127.0.0.1\r\nContent-Type: text/\xff\xe2\x80\xae\r\nContent-Length: 2\r\n",
            "not 'text/\\xff\\u202e'",
        ),  # (a byte not UTF-8 escaped once, as U+202E is: it was '\\\\xff')
        (
            b"Host: 127.0.0.1\r\nOrigin: http://\xc3\xa9vil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n",
            "Origin 'http://\u00e9vil.example'",
        ),
    ],
    ids=["host", "content-length", "content-type", "origin"],
)
def test_a_header_value_an_answer_quotes_is_read_as_utf8_not_latin1(headers: bytes, shown: str) -> None:
    # http.server reads header lines as Latin-1: the answers quoted é as Ã© and U+202E as â\x80®
    with logging_server() as (server, _lines):
        reply = raw(server, b"POST /v1/sinks HTTP/1.1\r\n" + headers + b"\r\n{}")
    assert reply.startswith(b"HTTP/1.1 4"), reply[:80]
    head, rest = reply.split(b"\r\n\r\n", 1)
    length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    message = orjson.loads(rest[:length])["message"]
    assert shown in message and "\u00c3" not in message and "\u00e2" not in message, message


def test_a_transfer_encoding_refused_is_named_in_the_log_read_as_utf8_and_never_in_the_answer() -> None:
    # the 501 is Go's server's words, "Unsupported transfer encoding", quoting nothing sent (they quoted the value); the log names it
    with logging_server() as (server, lines):
        reply = raw(server, b"POST /v1/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: GZIP\xc3\x89\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 501 ") and b"GZIP" not in reply, reply[:300]
    assert len(lines) == 1 and "Unsupported transfer encoding (a Transfer-Encoding of 'GZIP\u00c9'" in lines[0], lines
