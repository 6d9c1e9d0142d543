"""Review of session 58's change (mapper, docs): each test failed before its fix."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cli_inproc import run_main


def test_ndjson_records_given_as_the_sink_are_told_so_when_a_later_line_is_no_json(tmp_path: Path) -> None:
    """A records file given where the sink goes was told "it looks like NDJSON records" from its first line alone;
    reading the first 20 lines (for the column entries' and sinks' hints) lost the hint for a file whose line 2..20
    is no JSON (a line cut short, a log line), the commonest records file given by mistake."""
    (tmp_path / "r.ndjson").write_text('{"a": 1}\n{"a": 2}\n{"a":\n')
    ran = run_main("check", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 2 and "it looks like NDJSON records" in ran.out, ran.out
    # (entries one a line with a broken line are not told to be joined by jq -s, which would fail on it)
    (tmp_path / "e.ndjson").write_text('{"name": "a", "path": "a", "type": "int"}\n{"name": "b", "path":\n')
    ran = run_main("check", "e.ndjson", cwd=tmp_path)
    assert "jq -s" not in ran.out and "it looks like NDJSON records" in ran.out, ran.out


def test_an_idle_timeout_no_socket_takes_is_refused_when_the_server_is_made() -> None:
    """``Server(idle_timeout=1e10)`` (a typo for 1e1, or "for ever") was taken, then every connection ended on
    ``OverflowError: timestamp out of range for platform time_t`` (a line on stderr each, no answer): bounded as
    every wait of the API is (send's --timeout, --backoff: a day), None still meaning no timeout."""
    import pytest

    import mapper
    from mapper.serve import App, Server
    from mapper.store import Store

    with Store(":memory:") as store:
        with pytest.raises(mapper.OptionError, match=r"idle_timeout= must be a finite number of seconds, above 0, at most 86,400"):
            Server(App(store), idle_timeout=1e10)
        server = Server(App(store), idle_timeout=86_400)  # (the most taken, mapper.endpoint.MAX_WAIT; None: none)
        server.httpd.server_close()


@pytest.mark.parametrize("expect", [b"Expect: 200-ok", b"Expect: continue", b"Expect: 100-continued"])
def test_an_expectation_other_than_100_continue_is_417_as_the_service_answers_it(expect: bytes) -> None:
    """Go's net/http server (the service's) answers 417 Expectation Failed, and closes, to a request whose Expect is not
    100-continue (server.go: ``else if req.Header.get("Expect") != "" { w.sendExpectationFailed() }``), before any handler;
    serve stored the records, so a producer's request that the service refuses passed against its stand-in."""
    from test_serve_wire import answers, body, closes, connect, head, rows, serving

    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(expect, b"Content-Length: %d" % len(data)) + data)
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (417, "ExpectationFailed"), answer
        assert repr(expect.split(b": ", 1)[1].decode()) in answer["message"], answer["message"]
        assert headers["connection"] == "close" and closes(s)
        assert rows(server) == 0


def test_an_expect_holding_100_continue_among_other_tokens_is_served() -> None:
    """100-continue as one token of several, in any case, is Go's ``expectsContinue`` (``hasToken``): served, as an HTTP/1.0 request's is."""
    from test_serve_wire import answers, body, connect, head, rows, serving

    data = body(1)
    for expect, version in ((b"Expect: 100-Continue, x", b"HTTP/1.1"), (b"Expect: 100-continue", b"HTTP/1.0")):
        with serving() as (server, _), connect(server) as s:
            s.sendall(head(expect, b"Content-Length: %d" % len(data), version=version) + data)
            if version == b"HTTP/1.1":  # (its 100 Continue first, as Go writes it when the body is read, sent or not)
                s.settimeout(10)
                assert s.recv(25, socket.MSG_WAITALL) == b"HTTP/1.1 100 Continue\r\n\r\n"
            ((status, _, answer),) = answers(s, 1)
            assert status == 200 and rows(server) == 1, (expect, answer)


def test_100_continue_among_other_tokens_is_answered_100_before_the_body_as_go_answers_it() -> None:
    # Go's expectsContinue finds 100-continue as a token (hasToken): `100-Continue, x` gets its 100
    # Continue as `100-continue` does; serve compared the whole value, sent no 100, and a client
    # waiting for it (curl) stalled a second before it sent the body
    from test_serve_wire import answers, body, chunked, connect, head, rows, serving

    data = body(2)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked", b"Expect: x, 100-Continue"))
        s.settimeout(10)
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(chunked(data, [10, len(data) - 10]))
        ((status, _, answer),) = answers(s, 1)
        assert status == 200 and answer["success_count"] == 2 and rows(server) == 2
