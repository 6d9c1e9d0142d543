"""``mapper serve`` leftovers: a database another program holds locked, while serving and at the start, and a refused
body with a Content-Length sent slowly.

Every server binds 127.0.0.1 on port 0, every socket has a timeout and every wait a bound; the lock is held by a second
sqlite3 connection (``BEGIN EXCLUSIVE``), as ``sqlite3 FILE`` in a transaction holds it.
"""

from __future__ import annotations

import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
from test_serve_wire import SINK, SINK_ID, body

import mapper
from mapper.endpoint import ServiceError
from mapper.serve import App, Server
from mapper.store import Store
from tests.cli_inproc import ROOT, run_main
from tests.slow_client import trickle


@contextmanager
def locked(db: Path) -> Iterator[sqlite3.Connection]:
    """``db`` locked by another connection (``BEGIN EXCLUSIVE``) until the block ends (or the connection rolls back)."""
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)  # (a timer's thread may let it go)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield other
    finally:
        other.close()


@contextmanager
def serving_file(db: Path, **store: Any) -> Iterator[Server]:
    """A server on 127.0.0.1:0 over the database file ``db`` holding the example's sink."""
    with Store(db, **store) as s:
        s.create_sink(SINK, exist_ok=True)
        server = Server(App(s), idle_timeout=5.0).start()
        try:
            yield server
        finally:
            server.stop(timeout=5.0)


def request(port: int, method: str, path: str, data: bytes = b"", timeout: float = 5.0) -> tuple[int, dict[str, str], Any, float]:
    """One request on its own connection: the status, the headers (lowercase), the JSON answer and the seconds it took."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        s.sendall(head.encode() + data)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    top, _, rest = raw.partition(b"\r\n\r\n")
    status, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status.split()[1]), headers, orjson.loads(rest), time.monotonic() - start


# ---------------------------------------------------------------------------------------
# 1. A database locked while serving: 503 with Retry-After after a bounded wait, other requests going on meanwhile


def test_an_ingest_meeting_the_database_locked_is_answered_503_with_retry_after_once_its_wait_is_over(tmp_path: Path) -> None:
    # (it waited 30 s in one statement, then was answered 500: mapper send's own timeout, 30 s, came first: a lost answer)
    db = tmp_path / "fb.db"
    with serving_file(db, lock_wait=0.3) as server, locked(db):
        status, headers, answer, took = request(server.port, "POST", f"/v2/sinks/{SINK_ID}", body(2))
    assert (status, answer["code"], headers.get("retry-after")) == (503, "ServiceUnavailable", "1"), answer
    assert took < 3, took
    assert answer["message"] == (
        f"cannot store the request: the database {db} is locked (another connection holds its write lock: another mapper serve or "
        "a program writing the file), still after the 0.3 s this service waits for it (mapper serve --lock-wait): nothing of the "
        "request is stored; send it again later (Retry-After)"
    )
    with Store(db) as store:  # (nothing stored; the refusal counted once the lock was let go is no matter here)
        assert store.rows(SINK_ID).total == 0


def test_a_request_waiting_for_the_lock_holds_up_no_other_request(tmp_path: Path) -> None:
    # (the write waited for the lock holding the store's own: a GET of the sinks, a page of rows, waited with it, 30 s)
    db = tmp_path / "fb.db"
    with serving_file(db) as server:  # (the default wait: 5 s)
        with locked(db) as other:
            results: list[Any] = []
            writer = threading.Thread(target=lambda: results.append(request(server.port, "POST", f"/v2/sinks/{SINK_ID}", body(3), timeout=20)))
            writer.start()
            time.sleep(0.3)  # (the write is waiting for the lock)
            got = [request(server.port, "GET", path, timeout=3) for path in ("/v2/sinks", f"/v2/sinks/{SINK_ID}/rows")]
            assert writer.is_alive()  # (still waiting: each read was answered meanwhile)
            other.execute("ROLLBACK")  # the lock let go: the waiting write goes on
            writer.join(10)
    assert [(status, took < 2) for status, _h, _a, took in got] == [(200, True), (200, True)], got
    status, _h, answer, took = results[0]
    assert (status, answer["success_count"]) == (200, 3), answer
    with Store(db) as store:
        assert store.rows(SINK_ID).total == 3


def test_mapper_send_retries_the_503_of_a_locked_database_and_stores_every_record(tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    retries: list[str] = []
    with serving_file(db, lock_wait=0.2) as server, locked(db) as other:
        threading.Timer(0.5, lambda: other.execute("ROLLBACK")).start()
        with mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", backoff=0.1, max_backoff=1, on_retry=lambda reason, delay: retries.append(reason)) as sender:
            ack = sender.send(body(4), 4)
    assert ack.stored == 4 and not ack.resent and retries and all("503" in r for r in retries), (ack, retries)  # (a 503 stored nothing: no re-send)
    with Store(db) as store:
        assert store.rows(SINK_ID).total == 4


def test_a_read_refused_for_the_lock_is_a_503_too_saying_it_did_not_wait() -> None:
    # (a database another program switched out of WAL mode, then locked, refuses reads too: a 500 "cannot read the
    # database" before; reads wait one turn, never --lock-wait, so the message names no wait)
    from mapper.store import _read_error

    with Store(":memory:", lock_wait=7) as store:
        err = _read_error(store, sqlite3.OperationalError("database is locked"))
    assert (err.status, err.code, err.headers) == (503, "ServiceUnavailable", {"Retry-After": "1"})
    assert "7 s" not in err.message and err.message.startswith("cannot read: the database :memory: is locked (another connection"), err.message


def test_a_store_given_no_lock_wait_of_seconds_is_refused_naming_the_keyword() -> None:
    with pytest.raises(mapper.OptionError, match=r"lock_wait= \(--lock-wait\) must be a finite number of seconds, at least 0"):
        Store(":memory:", lock_wait=-1)


# ---------------------------------------------------------------------------------------
# 2. A database locked at the start: said at once, on stderr, naming the file; the start refused once the wait is over


def _stderr_line(proc: subprocess.Popen[bytes], seconds: float) -> str | None:
    """The next line ``proc`` writes on stderr within ``seconds`` (None: none came)."""
    assert proc.stderr is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        line = b""
        deadline = time.monotonic() + seconds
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            byte = proc.stderr.read1(1)  # type: ignore[attr-defined]
            if not byte:
                return None
            line += byte
    return line.decode()


def test_a_start_on_a_locked_database_says_at_once_it_waits_and_serves_once_the_lock_is_let_go(tmp_path: Path) -> None:
    # (the port bound, it waited 30 s for the database without a word, its clients hanging)
    db = tmp_path / "fb.db"
    Store(db).close()
    with locked(db) as other:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mapper", "serve", str(SINK), "--db", str(db), "--port", "0", "--no-ui"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            said = _stderr_line(proc, 15)  # (Python and mapper imported first; the lock let go as soon as it is said)
            other.execute("ROLLBACK")
            assert said == (
                f"mapper serve: the database {db} is locked (another connection holds its write lock: another mapper serve or a program "
                "writing the file): waiting up to 5 s for it (--lock-wait)\n"
            ), said
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith(b"mapper serve: listening on http://127.0.0.1:")  # (the lock let go: served)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)


def test_a_start_on_a_database_locked_past_the_wait_is_refused_naming_the_file_and_the_option(tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    Store(db).close()
    with locked(db):
        start = time.monotonic()
        ran = run_main("serve", SINK, "--db", db, "--port", 0, "--lock-wait", "0.3", "--no-ui", timeout=20)
        took = time.monotonic() - start
    assert ran.returncode == 2 and ran.out == "" and took < 5, (ran, took)
    assert ran.err == (
        f"mapper serve: the database {db} is locked (another connection holds its write lock: another mapper serve or a program writing "
        "the file): waiting up to 0.3 s for it (--lock-wait)\n"
        f"mapper serve: cannot open the database {db}: database is locked (another connection holds its write lock: another mapper "
        "serve or a program writing the file, still after the 0.3 s this waited: --lock-wait)\n"
    )


def test_a_store_opening_a_locked_database_tells_its_waiting_hook_once(tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    Store(db).close()
    told: list[str] = []
    with locked(db) as other:
        threading.Timer(0.3, lambda: other.execute("ROLLBACK")).start()
        with Store(db, lock_wait=5, waiting=told.append) as store:
            assert store.list_sinks() == []
    assert len(told) == 1 and told[0].startswith(f"the database {db} is locked"), told
    with pytest.raises(ServiceError):  # (and none waited for: lock_wait=0)
        with locked(db):
            Store(db, lock_wait=0, waiting=told.append)
    assert len(told) == 1


# ---------------------------------------------------------------------------------------
# 3. A refused body with a Content-Length: read away within LINGER of the answer, and a lingering close


def test_a_refused_body_with_a_content_length_sent_slowly_is_closed_within_linger_of_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # (under 256 KiB, read away after the answer to keep the connection: LINGER a pause and a second per 10,000 bytes in all,
    # 28 s for 256 KiB; 10.3 s here for 100,000 bytes with LINGER made 0.3 s)
    monkeypatch.setattr(mapper.serve, "LINGER", 0.3)
    head = b"POST /v2/sinks/nobody HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    with serving_file_memory() as server:
        raw, answered, closed = trickle(server.port, head, b" ", seconds=6)
    assert answered is not None and answered < 3, f"no answer within {answered or 6:.1f} s"
    assert raw.startswith(b"HTTP/1.1 404 "), raw[:100]
    assert closed is not None and closed - answered < 3, f"the connection was still open {6 - answered:.1f} s after the answer"


def test_a_client_still_sending_the_body_of_a_request_refused_unread_reads_the_answer_not_a_reset() -> None:
    # (a request refused as Go refuses it before any handler, here a Host holding a space, is answered, then closed with
    # its body unread: the connection was reset under http.client still writing the body, a BrokenPipeError or a
    # ConnectionResetError, never the 400)
    import http.client

    def parts() -> Iterator[bytes]:
        yield b" " * 200_000
        time.sleep(0.3)  # (the answer written meanwhile, and the connection closed: its write side alone now)
        yield b" " * 200_000

    with serving_file_memory() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            headers = {"Host": "a b", "Content-Type": "application/json", "Content-Length": "400000"}
            conn.request("POST", f"/v2/sinks/{SINK_ID}", body=parts(), headers=headers)
            resp = conn.getresponse()
            answer = orjson.loads(resp.read())
        finally:
            conn.close()
    assert (resp.status, answer["code"], resp.getheader("Connection")) == (400, "BadRequest", "close"), answer


@contextmanager
def serving_file_memory() -> Iterator[Server]:
    with Store(":memory:") as s:
        s.create_sink(SINK)
        server = Server(App(s), idle_timeout=5.0).start()
        try:
            yield server
        finally:
            server.stop(timeout=5.0)
