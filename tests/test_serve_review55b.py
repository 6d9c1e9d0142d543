"""``mapper serve`` and its command line, a second review: what it found, each pinned.

In process: the command line through ``mapper.cli.main``, the service through :meth:`App.dispatch` or a
:class:`Server` on 127.0.0.1 with bounded waits.
"""

from __future__ import annotations

import sqlite3
from email.message import Message
from pathlib import Path
from typing import Any

import orjson

from mapper.commands import EXIT_USAGE
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SINK_ID = "aircraft_positions"
RECORDS = [orjson.loads(line) for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes().splitlines() if line.strip()]
BODY = orjson.dumps({"records": [{"value": r} for r in RECORDS]})


def main_here(capsys: Any, *args: Any) -> tuple[int, str, str]:
    from mapper.cli import main

    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def test_serve_refuses_another_programs_database_before_writing_to_it(tmp_path, capsys):
    """``serve --db FILE`` of another program's SQLite database (tables, no ``_mapper_sinks``) wrote mapper's tables into
    it and switched it to WAL journaling for good; ``--query`` refused it. Refused now in the same words, nothing written."""
    other = tmp_path / "app.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    before = other.read_bytes()
    # (were the file taken, the store opened, the server would listen on a free port: the test would wait)
    rc, out, err = main_here(capsys, "serve", "--db", other, "--port", "0")
    assert rc == EXIT_USAGE and out == ""
    assert f"mapper serve: {other} holds no sinks of mapper serve" in err and "'users'" in err and "--db a new file" in err, err
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]
    _rc, _out, queried = main_here(capsys, "serve", "--db", other, "--query", "x")
    assert f"{other} holds no sinks of mapper serve" in queried  # (the words --query says)
    from mapper.store import _foreign_tables

    # a new file, an empty one, one serve stored into, one SQLite cannot read (the store says why): the store's to open
    (tmp_path / "empty.db").write_bytes(b"")
    Store(tmp_path / "own.db").close()
    for name in ("new.db", "empty.db", "own.db"):
        assert _foreign_tables(str(tmp_path / name)) is None, name
    assert not (tmp_path / "new.db").exists()


def test_options_for_serving_given_with_query_are_a_usage_error_naming_them(tmp_path, capsys):
    """``--query`` prints rows and exits: a SINK file, ``--port``, ``--token-env``, the limits, ``--table``, ``--no-ui``
    given beside it did nothing, unsaid (``--offset``/``--limit`` without ``--query`` were refused): refused the same way."""
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.create_sink(SINK, exist_ok=True)
    base = ("serve", "--db", db, "--query", SINK_ID)
    for extra, named in (
        (("--port", "8080"), "--port is for serving"),  # (its default, given: refused all the same)
        (("--host", "127.0.0.1"), "--host is"),
        (("--token-env", "T"), "--token-env is"),
        (("--records-per-s", "5"), "--records-per-s is"),
        (("--bytes-per-s", "5000"), "--bytes-per-s is"),
        (("--max-body-bytes", "10"), "--max-body-bytes is"),
        (("--max-connections", "3"), "--max-connections is"),
        (("--create-delay", "0"), "--create-delay is"),
        (("--table", "t.sql"), "--table is"),
        (("--no-ui",), "--no-ui is"),
        ((SINK,), "the SINK file "),
        ((SINK, "--port", "1", "--no-ui"), "the SINK file " + str(SINK) + ", --port and --no-ui are for serving"),
    ):
        rc, out, err = main_here(capsys, *base, *extra)
        assert rc == EXIT_USAGE and out == "" and named in err and "leave out --query to serve" in err, (extra, err)
    for extra in ((), ("-q",), ("--offset", "0", "--limit", "5")):  # (what --query takes still runs)
        rc, out, err = main_here(capsys, *base, *extra)
        assert rc == 0 and out == "" and err == "", (extra, err)


def _post(app: Any, body: bytes) -> tuple[int, dict[str, Any]]:
    headers = Message()
    headers["Host"] = "127.0.0.1"
    headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(body))
    resp = app.dispatch("POST", f"/v2/sinks/{SINK_ID}", headers, lambda limit: body)
    return resp.status, orjson.loads(resp.body)


def test_a_request_that_stores_nothing_for_a_500_spends_none_of_the_throttles_budget(tmp_path, monkeypatch):
    """The throttle's tokens were taken before the sink's mapper and table were looked up, and kept when the write
    failed: a request answered 500 (a stored definition that no longer loads, a database error) spent them, and
    quick retries were answered 400 ResourceThroughputExceeded, hiding the error. Now nothing stored, nothing spent."""
    from mapper.endpoint import Limits
    from mapper.serve import App

    store = Store(tmp_path / "s.db")
    store.create_sink(SINK, exist_ok=True)
    good = store.db.execute("SELECT definition FROM _mapper_sinks WHERE id = ?", (SINK_ID,)).fetchone()[0]
    broken = orjson.loads(good)
    broken["schema"]["definition"][0]["type"] = "float"  # (a definition a mapper with other checks stored: it no longer loads)
    store.db.execute("UPDATE _mapper_sinks SET definition = ? WHERE id = ?", (orjson.dumps(broken).decode(), SINK_ID))
    store._mappers.clear()  # (as a serve started on that database finds it)
    store._tables.clear()
    app = App(store, limits=Limits(len(RECORDS), 1_000_000), clock=lambda: 0.0)  # (a clock that stands still: no refill)
    for _ in range(3):
        status, answer = _post(app, BODY)
        assert status == 500 and "does not load" in answer["message"], answer
    store.db.execute("UPDATE _mapper_sinks SET definition = ? WHERE id = ?", (good, SINK_ID))
    store._mappers.clear()

    def refused(*_a: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_write", refused)
    for _ in range(3):
        status, answer = _post(app, BODY)
        assert status == 500 and "disk I/O error" in answer["message"], answer
    assert not app.admitted
    monkeypatch.undo()
    status, answer = _post(app, BODY)
    assert status == 200 and answer["success_count"] == len(RECORDS), answer  # the whole budget was still there
    assert [a[1:] for a in app.admitted] == [(SINK_ID, len(RECORDS), len(BODY))]
    status, answer = _post(app, BODY)  # and it is spent now: the throttle still throttles
    assert status == 400 and answer["code"] == "ResourceThroughputExceeded", answer
    store.close()
    from mapper.endpoint import TokenBucket

    bucket = TokenBucket(1, 2, clock=lambda: 0.0)
    assert bucket.try_take(2) and not bucket.try_take(1)
    bucket.give_back(5)  # (given back up to what it holds, never past it)
    assert bucket.tokens == 2


def _answer_of(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), orjson.loads(body)


def test_a_request_still_running_when_the_stop_gives_up_is_answered_503_the_service_stopping(tmp_path, capsys):
    """After the stop's timeout (or a second Ctrl-C) the store is closed under the requests still running: each was
    answered 500 "cannot read the database ...: Cannot operate on a closed database" (a route reading the store its own
    way: a 500 "internal error" and a line on stderr). Now 503 ServiceUnavailable saying the service is stopping."""
    import socket
    import threading

    from mapper.serve import App, Response, Server

    store = Store(tmp_path / "s.db")
    store.create_sink(SINK, exist_ok=True)
    mapper_ = store.mapper(SINK_ID)
    started = threading.Barrier(3, timeout=5)
    go = threading.Event()
    real_map = mapper_.map

    def slow_map(*a: Any, **kw: Any) -> Any:  # (the engine mapping the body while the stop gives up waiting)
        started.wait()
        go.wait(5)
        return real_map(*a, **kw)

    def own_read(app: Any, req: Any) -> Response:  # (a UI's route reading the store's connection itself)
        started.wait()
        go.wait(5)
        app.store.db.execute("SELECT 1")
        return Response(200, b"{}")

    mapper_.map = slow_map  # type: ignore[method-assign]
    app = App(store)
    app.add_route("GET", r"/own", own_read)
    server = Server(app, idle_timeout=5).start()
    socks = []
    try:
        for request in (
            f"POST /v2/sinks/{SINK_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n".encode() + BODY,
            b"GET /own HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(request)
            socks.append(s)
        started.wait()
        server.stop(0.05)  # (it gives up on them)
        store.close()
        go.set()
        for s, what in zip(socks, ("nothing of the request is stored", "the request is not served")):
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
            status, answer = _answer_of(raw)
            assert status == 503 and answer["code"] == "ServiceUnavailable" and "the service is stopping" in answer["message"], answer
            assert what in answer["message"] and "closed database" not in answer["message"], answer
    finally:
        go.set()
        for s in socks:
            s.close()
        server.stop(1)
    assert "internal error" not in capsys.readouterr().err
    # (and a request that meets the store closed: the same 503, never the closed database's 500)
    status, answer = _post(app, BODY)
    assert status == 503 and "nothing of the request is stored" not in answer["message"] and "not served" in answer["message"], answer
    headers = Message()
    resp = app.dispatch("GET", "/v2/sinks", headers, lambda limit: b"")
    assert resp.status == 503 and b"the service is stopping" in resp.body
