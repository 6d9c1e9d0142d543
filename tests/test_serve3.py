"""``mapper serve`` leftovers of the last review: a start refused for its port makes no database, each SINK compiled
once at start, a refused chunked body answered and closed promptly however slowly it comes, and what a hunt found.

Every server binds 127.0.0.1 on a free port (or port 0), every socket has a timeout and every wait a bound.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_serve_wire import SINK_ID, serving

import mapper.api
import mapper.serve
from mapper.errors import MapperError
from mapper.store import Store
from tests.cli_inproc import ROOT, run_main
from tests.slow_client import trickle

SINK = ROOT / "examples" / "aircraft" / "sink.json"


def _held_port() -> socket.socket:
    """A socket listening on 127.0.0.1, on a port the kernel picked: another program holding the port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def _sinks(db: Path) -> list[str]:
    with Store(str(db)) as store:
        return sorted(s.id for s in store.list_sinks())


# ---------------------------------------------------------------------------------------
# 1. A start refused for a port another program holds makes no --db file, and creates no SINK in one there


def test_a_start_refused_for_a_held_port_makes_no_new_database_file(tmp_path: Path) -> None:
    # (the port was bound after the database was opened: new.db, its -wal and -shm, were made, then the start refused)
    with _held_port() as held:
        port = held.getsockname()[1]
        ran = run_main("serve", SINK, "--db", "new.db", "--port", port, cwd=tmp_path)
    assert ran.returncode == 2 and ran.out == "", ran
    assert ran.err.startswith(f"mapper serve: cannot listen on 127.0.0.1:{port}: "), ran.err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_port_held_is_said_with_what_to_do() -> None:
    # (it said "cannot listen on 127.0.0.1:8080: Address already in use" alone)
    with _held_port() as held:
        port = held.getsockname()[1]
        with pytest.raises(MapperError) as caught:
            mapper.serve.listen("127.0.0.1", port)
    assert str(caught.value) == (
        f"cannot listen on 127.0.0.1:{port}: Address already in use (another program listens on it, or another mapper serve: "
        "give another port= (--port), or 0 for a free one)"
    )


def test_a_start_refused_for_a_held_port_creates_no_sink_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    with Store(str(db)):
        pass
    before = sorted(p.name for p in tmp_path.iterdir())
    with _held_port() as held:
        ran = run_main("serve", SINK, "--db", "kept.db", "--port", held.getsockname()[1], "--no-ui", cwd=tmp_path)
    assert ran.returncode == 2 and "cannot listen on" in ran.err, ran
    assert _sinks(db) == []  # (the SINK was created, then the start refused)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ---------------------------------------------------------------------------------------
# 2. Each SINK is compiled once at start: judged in a scratch database, then created from what was compiled there


def test_each_sink_is_compiled_once_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    real_compile = mapper.api.compile_definition
    monkeypatch.setattr(mapper.api, "compile_definition", lambda sink: compiled.append(sink.name) or real_compile(sink))
    real_start = mapper.serve.Server.start

    def start_then_stop(self: Any) -> Any:  # (listening: stopped as a SIGTERM stops it, in this process's main thread)
        started = real_start(self)
        os.kill(os.getpid(), signal.SIGTERM)
        return started

    monkeypatch.setattr(mapper.serve.Server, "start", start_then_stop)
    other = tmp_path / "other.json"
    doc = orjson.loads(SINK.read_bytes())
    doc["name"] = "other_sink"
    other.write_bytes(orjson.dumps(doc))
    ran = run_main("serve", SINK, other, SINK, "--db", "s.db", "--port", 0, "--no-ui", "-q", cwd=tmp_path, timeout=30)
    assert ran.returncode == 0, ran
    assert "sink aircraft_positions ACTIVE (created now)" in ran.out and "sink other_sink ACTIVE (created now)" in ran.out
    assert sorted(compiled) == ["aircraft_positions", "other_sink"]  # (each twice: in the scratch database, then for real)
    assert _sinks(tmp_path / "s.db") == ["aircraft_positions", "other_sink"]


def test_a_store_creates_a_sink_from_a_compiled_mapper_without_compiling_it_again() -> None:
    compiled = mapper.api.compile_sink(SINK)
    with Store() as store:
        info = store.create_sink(compiled)
        assert info.id == "aircraft_positions" and store.mapper(info.id) is compiled
        assert store.create_sink(compiled, exist_ok=True).id == info.id  # (the same definition: kept)


# ---------------------------------------------------------------------------------------
# 3. A chunked body refused, sent slowly: answered at once, and the connection closed within LINGER after the answer


def _chunked_head(path: str, content_type: str = "application/json") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()


def _answer(raw: bytes) -> tuple[int, dict[str, str], Any]:
    top, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status.split()[1]), headers, orjson.loads(body[: int(headers["content-length"])])


@pytest.mark.parametrize(
    ("path", "content_type", "status"),
    [("/v2/sinks/nobody", "application/json", 404), (f"/v2/sinks/{SINK_ID}", "text/plain", 400)],
    ids=["unknown sink", "content type"],
)
def test_a_chunked_body_refused_unread_and_sent_slowly_is_answered_at_once_and_closed(
    monkeypatch: pytest.MonkeyPatch, path: str, content_type: str, status: int
) -> None:
    # (read before the answer to keep the connection, LINGER a pause and a second per 10,000 bytes of 256 KiB in all: its
    # answer waited 28 s; then read away after it, LINGER and a second per 10,000 bytes of four times the cap: 400 s)
    monkeypatch.setattr(mapper.serve, "LINGER", 0.3)
    with serving() as (server, _):
        raw, answered, closed = trickle(server.port, _chunked_head(path, content_type), b"1\r\n \r\n", seconds=6)
    assert answered is not None and answered < 3, f"no answer within {answered or 6:.1f} s"
    got, headers, answer = _answer(raw)
    assert got == status and headers["connection"] == "close", (got, headers, answer)
    assert closed is not None and closed - answered < 3, f"the connection was still open {6 - answered:.1f} s after the answer"


def test_a_chunked_body_past_the_cap_then_sent_slowly_is_closed_soon_after_its_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapper.serve, "LINGER", 0.3)
    with serving(max_body_bytes=1000) as (server, _):
        first = b"%x\r\n%s\r\n" % (1500, b" " * 1500)
        raw, answered, closed = trickle(server.port, _chunked_head(f"/v2/sinks/{SINK_ID}") + first, b"1\r\n \r\n", seconds=6)
    assert answered is not None and answered < 3
    got, headers, answer = _answer(raw)
    assert (got, answer["code"], headers["connection"]) == (413, "RequestEntityTooLarge", "close"), answer
    assert closed is not None and closed - answered < 3, f"the connection was still open {6 - answered:.1f} s after the 413"


# ---------------------------------------------------------------------------------------
# 4. What a hunt found: answers written below the routes said nothing of caching; a 401 for a header that is no
# bearer token said the token was wrong


def _one_answer(port: int, request: bytes) -> tuple[int, dict[str, str], Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    return _answer(raw)


@pytest.mark.parametrize(
    "request_",
    [
        b"POST /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n",  # (501, written by the handler)
        b"GET /v2/sinks HTTP/1.1\r\nHost: a b\r\n\r\n",  # (400 malformed Host, by the handler)
        b"GET /v2/sinks HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",  # (421 DNS rebinding, by the handler)
        b"GET  /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # (400 of the request line, http.server's send_error)
    ],
    ids=["501", "400 host", "421", "400 request line"],
)
def test_every_json_answer_says_no_store_those_below_the_routes_too(request_: bytes) -> None:
    # (the routes' answers said Cache-Control: no-store, App.dispatch adding it; the handler's own refusals said nothing)
    with serving() as (server, _):
        status, headers, answer = _one_answer(server.port, request_)
    assert status >= 400 and "code" in answer, answer
    assert headers.get("cache-control") == "no-store", (status, headers)


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        ("Basic czNjcmV0", "does not begin with Bearer and a space"),
        ("s3cret", "does not begin with Bearer and a space"),
        ("Bearer\ts3cret", "does not begin with Bearer and a space"),
        ("Bearer", "holds no token after Bearer"),
        ("Bearer ", "holds no token after Bearer"),
        ("Bearer wrong", "the token is not valid"),
    ],
)
def test_a_401_says_whether_the_header_was_no_bearer_token_or_the_wrong_one(authorization: str, says: str) -> None:
    # (each was "the token is not valid": a producer that left out "Bearer " looked for a wrong token)
    with serving(token="s3cret") as (server, log):
        request_ = f"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n".encode()
        status, headers, answer = _one_answer(server.port, request_)
    assert (status, answer["code"]) == (401, "Unauthorized") and says in answer["message"], answer
    assert headers["www-authenticate"].startswith("Bearer realm=")
    assert "s3cret" not in answer["message"] and "czNj" not in answer["message"] and not any("s3cret" in line for line in log)
