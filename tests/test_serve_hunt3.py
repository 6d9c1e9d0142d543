"""``mapper serve`` after a third bug hunt: two creators of one sink on one database, a header sent
twice, the UI's send route told no ``text``.

Every server binds 127.0.0.1 on a free port; every socket read has a timeout.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest
from test_send_serve import SINK, SINK_ID, aircraft, request, serving
from test_web import request as web_request
from test_web import ui_server

from mapper.endpoint import ServiceError, encode_body
from mapper.serve import Server
from mapper.store import Store

# ---------------------------------------------------------------------------------------
# 1. Two creators of one sink on one database (two serve processes, two Stores)


class _Interleaved:
    """A Store's connection that runs ``before_begin`` once, just before its first ``BEGIN
    IMMEDIATE``: another process's create committing in the window after this store looked for
    the sink and before its transaction began (deterministic, not a race of timing)."""

    def __init__(self, db: Any, before_begin: Callable[[], Any]):
        self._db = db
        self._hook: Callable[[], Any] | None = before_begin

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "BEGIN IMMEDIATE" and self._hook is not None:
            hook, self._hook = self._hook, None
            hook()
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def _two_stores(tmp_path: Path) -> tuple[Store, Store]:
    return Store(tmp_path / "shared.db"), Store(tmp_path / "shared.db")


def test_a_sink_another_process_creates_first_is_409_not_a_500_of_sqlites_unique_constraint(tmp_path: Path) -> None:
    # found by the hunt: the existence check ran before the transaction; a sink another process
    # created in between failed the INSERT: 500 "cannot create the sink: UNIQUE constraint failed"
    first, second = _two_stores(tmp_path)
    try:
        second.db = _Interleaved(second.db, lambda: first.create_sink(SINK))
        with pytest.raises(ServiceError) as caught:
            second.create_sink(SINK)
        assert (caught.value.status, caught.value.code) == (409, "ResourceAlreadyExists"), caught.value.to_json()
        assert f"a sink {SINK_ID!r} exists already" in caught.value.message
        # the transaction was not left open: the second store still writes
        other = second.create_sink(SINK, sink_id="other_positions")
        assert other.state == "ACTIVE" and [s.id for s in first.list_sinks()] == [SINK_ID, "other_positions"]
    finally:
        first.close()
        second.close()


def test_a_restart_racing_another_creator_keeps_the_sink_it_made(tmp_path: Path) -> None:
    # exist_ok (mapper serve SINK at a start): the same definition created by the other process
    # first is kept and returned, and ingested into through either store
    first, second = _two_stores(tmp_path)
    try:
        second.db = _Interleaved(second.db, lambda: first.create_sink(SINK))
        kept = second.create_sink(SINK, exist_ok=True)
        assert kept == first.sink(SINK_ID)
        body = encode_body([orjson.dumps(aircraft(1))])
        assert second.ingest(SINK_ID, body).answer["success_count"] == 1
        assert first.rows(SINK_ID).total == 1
        # another definition under that id, created first by the other process: 409 "with another definition"
        third = Store(tmp_path / "shared.db")
        try:
            third.db = _Interleaved(third.db, lambda: first.create_sink(SINK, sink_id="late"))
            changed = orjson.loads(SINK.read_bytes())
            changed["schema"]["allow_missing_fields"] = not changed["schema"].get("allow_missing_fields", False)
            with pytest.raises(ServiceError) as caught:
                third.create_sink(changed, sink_id="late", exist_ok=True)
            assert caught.value.status == 409 and "with another definition" in caught.value.message, caught.value.to_json()
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_a_table_name_another_process_takes_first_is_planned_around_not_a_500(tmp_path: Path) -> None:
    # the data table's name was planned before the transaction too: sink "sqlite_x" plans table
    # "t_sqlite_x", which a sink "t_sqlite_x" another process created in between had taken
    # ("table already exists", a 500)
    first, second = _two_stores(tmp_path)
    try:
        second.db = _Interleaved(second.db, lambda: first.create_sink(SINK, sink_id="t_sqlite_x"))
        made = second.create_sink(SINK, sink_id="sqlite_x")
        assert made.table not in ("t_sqlite_x", "sqlite_x") and made.table.lower().startswith("t_sqlite_x"), made.table
        assert first.sink("t_sqlite_x").table == "t_sqlite_x"
        for store, sid, n in ((first, "t_sqlite_x", 1), (second, "sqlite_x", 2)):
            body = encode_body([orjson.dumps(aircraft(i)) for i in range(n)])
            assert store.ingest(sid, body).answer["success_count"] == n
        assert (first.rows("t_sqlite_x").total, first.rows("sqlite_x").total) == (1, 2)  # each in its own table
    finally:
        first.close()
        second.close()


def test_post_v1_sinks_on_a_second_serve_of_one_database_answers_409(tmp_path: Path) -> None:
    first = Store(tmp_path / "serve.db")
    body = SINK.read_bytes()
    try:
        with serving(tmp_path) as (server, _app, store):
            store.db = _Interleaved(store.db, lambda: first.create_sink(body, body_form=True))
            status, _h, answer = request(server.url, "POST", "/v1/sinks", body)
        assert (status, answer["code"]) == (409, "ResourceAlreadyExists"), answer
    finally:
        first.close()


# ---------------------------------------------------------------------------------------
# 2. A header sent twice


def _raw(server: Server, head: list[str], body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """One request written by hand (its header lines as given, duplicates too; the connection then
    closed): the status and the JSON answer."""
    lines = "".join(f"{h}\r\n" for h in [*head, "Host: 127.0.0.1", "Connection: close"])
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(lines.encode("latin-1") + b"\r\n" + body)
        parts = []
        while chunk := s.recv(65536):
            parts.append(chunk)
    reply = b"".join(parts)
    status = int(reply.split(b" ", 2)[1])
    return status, orjson.loads(reply.split(b"\r\n\r\n", 1)[1])


_INGEST = f"POST /v2/sinks/{SINK_ID} HTTP/1.1"


def _body() -> bytes:
    return encode_body([orjson.dumps(aircraft(1))])


def test_a_content_length_sent_twice_is_taken_when_the_copies_agree_and_400_when_they_differ(tmp_path: Path) -> None:
    body = _body()
    with serving(tmp_path, SINK) as (server, _app, store):
        n = len(body)
        status, answer = _raw(server, [_INGEST, "Content-Type: application/json", f"Content-Length: {n}", f"Content-Length: {n}"], body)
        assert status == 200 and answer["success_count"] == 1, answer
        # copies that differ: where the body ends is unknown (RFC 9112 6.3: request smuggling), whichever comes first
        for lengths in ((n, n + 5), (n + 5, n)):
            head = [_INGEST, "Content-Type: application/json", *(f"Content-Length: {v}" for v in lengths)]
            status, answer = _raw(server, head, body + b" " * 5)
            assert (status, answer["code"]) == (400, "BadRequest"), answer
            assert "Content-Length" in answer["message"] and "copies must agree" in answer["message"], answer
        assert store.rows(SINK_ID).total == 1 and store.sink(SINK_ID).requests == 1


@pytest.mark.parametrize(
    "types",
    [
        ("application/json", "text/plain"),
        ("text/plain", "application/json"),
        ("application/json", "application/json; charset=latin-1"),
    ],
)
def test_a_content_type_sent_twice_with_different_values_is_refused_naming_it(tmp_path: Path, types: tuple[str, str]) -> None:
    # found by the hunt: the first copy was checked and the others ignored: application/json then
    # text/plain was taken, text/plain then application/json refused as text/plain alone
    body = _body()
    with serving(tmp_path, SINK) as (server, _app, store):
        head = [_INGEST, *(f"Content-Type: {t}" for t in types), f"Content-Length: {len(body)}"]
        status, answer = _raw(server, head, body)
        assert (status, answer["code"]) == (400, "InvalidContentType"), answer
        message = answer["message"]
        assert message.startswith("Content-Type is sent 2 times, with different values"), message
        assert all(t in message for t in types) and "send it once" in message, message
        assert store.rows(SINK_ID).total == 0
        # the same value twice is one Content-Type
        twice = [_INGEST, "Content-Type: application/json", "Content-Type: application/json", f"Content-Length: {len(body)}"]
        status, answer = _raw(server, twice, body)
        assert status == 200 and answer["success_count"] == 1, answer


def test_a_ui_route_refuses_a_content_type_sent_twice_too() -> None:
    with ui_server() as server:
        data = orjson.dumps({"name": "x"})
        head = ["POST /ui/api/draft HTTP/1.1", "Content-Type: application/json", "Content-Type: text/plain", f"Content-Length: {len(data)}"]
        status, answer = _raw(server, head, data)
        assert (status, answer["code"]) == (400, "InvalidContentType"), answer


@pytest.mark.parametrize("order", ["right first", "wrong first"])
def test_an_authorization_sent_twice_with_different_values_is_refused_naming_it(tmp_path: Path, order: str) -> None:
    # found by the hunt: the first copy was checked and the others ignored (right then wrong: served;
    # wrong then right: 401), where a proxy in front may have checked the other one
    body = _body()
    right, wrong = "Authorization: Bearer s3cret", "Authorization: Bearer guess"
    auths = [right, wrong] if order == "right first" else [wrong, right]
    with serving(tmp_path, SINK, token="s3cret") as (server, _app, store):
        head = [_INGEST, "Content-Type: application/json", *auths, f"Content-Length: {len(body)}"]
        status, answer = _raw(server, head, body)
        assert (status, answer["code"]) == (400, "BadRequest"), answer
        message = answer["message"]
        assert message.startswith("Authorization is sent 2 times, with different values"), message
        assert "s3cret" not in message and "guess" not in message, message  # (a token is never said)
        assert store.rows(SINK_ID).total == 0
        # the same credentials twice are one
        status, answer = _raw(server, [_INGEST, "Content-Type: application/json", right, right, f"Content-Length: {len(body)}"], body)
        assert status == 200 and answer["success_count"] == 1, answer
        status, answer = _raw(server, ["GET /v2/sinks HTTP/1.1", right, wrong])  # (a GET as well)
        assert (status, answer["code"]) == (400, "BadRequest"), answer


def test_an_authorization_sent_twice_is_not_looked_at_without_a_token(tmp_path: Path) -> None:
    with serving(tmp_path, SINK) as (server, _app, _store):
        status, answer = _raw(server, ["GET /v2/sinks HTTP/1.1", "Authorization: Bearer a", "Authorization: Bearer b"])
        assert status == 200 and [s["id"] for s in answer["sinks"]] == [SINK_ID], answer


# ---------------------------------------------------------------------------------------
# 3. The UI's send route without its "text"


def test_the_ui_send_route_says_text_is_missing_not_null() -> None:
    with ui_server() as server:
        server.app.store.create_sink(SINK)
        path = f"/ui/api/sinks/{SINK_ID}/send"
        status, _h, data = web_request(server, "POST", path, {"txt": '{"id": 1}'})
        out = orjson.loads(data)
        assert (status, out["code"]) == (400, "InvalidBody"), out
        message = out["message"]
        assert message.startswith('the request has no "text"'), message
        assert "not null" not in message and '{"text":' in message and '"txt"' in message, message
        status, _h, data = web_request(server, "POST", path, {})
        assert status == 400 and orjson.loads(data)["message"].startswith('the request has no "text"'), data
        # given as null: said as null, with what it should hold
        status, _h, data = web_request(server, "POST", path, {"text": None})
        out = orjson.loads(data)
        assert status == 400 and out["message"].startswith('"text" is null: it holds the records as pasted, in a string'), out
