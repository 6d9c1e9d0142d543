"""The cell route finds a value of the row the page showed, or says that row is no longer at its
place: a page of rows gives each row its key, which the route checks (the page itself:
``tests/test_web59.py``)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson
from test_web import request, ui_server

from mapper.store import Store


def _sink(name: str, *, numbers: bool) -> dict[str, Any]:
    """A source keyed by its records' ``id``: unsigned numbers (id_field), or strings (primary_key_fields)."""
    identity: dict[str, Any] = {"id_field": "id"} if numbers else {"primary_key_fields": ["id"]}
    definition = [
        {"name": "id", "path": ["id"], "type": "id" if numbers else "string"},
        {"name": "v", "path": ["v"], "type": "string", "config": {"Mutex": True}},
    ]
    return {"name": name, "sink_details": {"database_id": "db", "table": name}, "schema": {**identity, "allow_missing_fields": True, "definition": definition}}


def _store(store: Store, sink: str, ids: list[Any]) -> None:
    records = [{"value": {"id": i, "v": f"value of {i}"}} for i in ids]
    assert store.ingest(sink, orjson.dumps({"records": records})).answer["success_count"] == len(ids)


def _remove(store: Store, sink: str, key: Any) -> None:
    """A row removed behind the page's back, as another program writing the database does (sqlite3 FILE)."""
    with store.lock:
        assert store.db.execute(f'DELETE FROM "{sink}" WHERE _id = ?', (key,)).rowcount == 1


def _cell(server: Any, sink: str, offset: int, key: str, column: str) -> tuple[int, dict[str, Any]]:
    query = urllib.parse.urlencode({"offset": offset, "key": key, "column": column})
    status, _h, body = request(server, "GET", f"/ui/api/sinks/{sink}/cell?{query}")
    return status, orjson.loads(body)


def test_a_value_of_a_row_no_longer_at_its_place_is_refused_not_another_rows() -> None:
    # the value was asked of the row at an offset alone: rows removed since the page was drawn
    # (or the source created again) put another row there, and the page showed its value as
    # the value of the row it showed
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_sink("s", numbers=False))
        _store(store, "s", ["a", "b", "c"])
        rows = orjson.loads(request(server, "GET", "/ui/api/sinks/s/rows")[2])["rows"]
        assert [r["key"] for r in rows] == ['"a"', '"b"', '"c"']
        assert _cell(server, "s", 1, rows[1]["key"], "v") == (200, {"offset": 1, "column": "v", "key": '"b"', "kind": "value", "text": '"value of b"'})
        _remove(store, "s", "a")  # row 1 is "c" now, row 2 none
        status, answer = _cell(server, "s", 1, rows[1]["key"], "v")
        assert status == 409 and answer["code"] == "RowChanged", answer
        assert answer["message"] == "the row asked of is no longer row 1: another row is there now (rows removed, or the source created again)"
        status, answer = _cell(server, "s", 2, rows[2]["key"], "_id")
        assert status == 409 and answer["code"] == "RowChanged"
        assert answer["message"] == "the row asked of is no longer row 2: the source holds 2 rows now (rows removed, or the source created again)"
        # the row where it is now, by its key
        assert _cell(server, "s", 1, rows[2]["key"], "v")[1]["text"] == '"value of c"'
        status, _h, body = request(server, "GET", "/ui/api/sinks/s/cell?offset=1&column=v")
        assert status == 400 and orjson.loads(body)["message"].startswith("key= is missing: it is the row's key as the page of rows gives it")


def test_a_row_keyed_by_a_number_is_not_the_row_keyed_by_its_digits() -> None:
    # 1 and "1": a source keyed by numbers, created again keyed by strings (or the other way),
    # shows both ids as 1; each key is the id's JSON text, and one is not taken for the other
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_sink("n", numbers=True))
        store.create_sink(_sink("t", numbers=False))
        _store(store, "n", [1])
        _store(store, "t", ["1"])
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/n/rows")[2])["rows"][0]["key"] == "1"
        assert orjson.loads(request(server, "GET", "/ui/api/sinks/t/rows")[2])["rows"][0]["key"] == '"1"'
        assert _cell(server, "n", 0, "1", "v")[0] == 200 and _cell(server, "t", 0, '"1"', "v")[0] == 200
        assert _cell(server, "n", 0, '"1"', "v")[0] == 409
        assert _cell(server, "t", 0, "1", "v")[0] == 409


def test_a_row_whose_id_the_page_has_only_cut_is_known_by_its_ids_digest() -> None:
    # an id is cut as any value of a page of rows is (a string id may be megabytes): its key is
    # the SHA-256 of its JSON text, not the id whole
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_sink("s", numbers=False))
        long_ids = ["x" * 3_000, "y" * 3_000]
        _store(store, "s", long_ids)
        page = orjson.loads(request(server, "GET", "/ui/api/sinks/s/rows")[2])
        keys = [r["key"] for r in page["rows"]]
        assert all(r.get("id_length") == 3_002 for r in page["rows"]) and all(k.startswith("sha256:") and len(k) == 71 for k in keys)
        assert _cell(server, "s", 1, keys[1], "_id")[1]["text"] == '"' + "y" * 3_000 + '"'
        _remove(store, "s", long_ids[0])
        assert _cell(server, "s", 0, keys[0], "v")[0] == 409
        assert _cell(server, "s", 0, keys[1], "v")[1]["text"] == '"value of ' + "y" * 3_000 + '"'
