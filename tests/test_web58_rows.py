"""The rows' page route of a wide table: what it sends bounded, each value cut to its share
and offered whole by the cell route (the page itself: ``tests/test_web58.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from test_web import request, ui_server

from mapper.web.app import CELL_FLOOR, CELL_LIMIT, PAGE_CHARS

COLUMNS = 300


def _wide_sink(columns: int) -> dict[str, Any]:
    definition = [{"name": f"c{i}", "path": [f"c{i}"], "type": "string", "config": {"Mutex": True}} for i in range(columns)]
    return {
        "name": "wide",
        "sink_details": {"database_id": "db", "table": "wide"},
        "schema": {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "string"}] + definition},
    }


def _value(row: int, column: int) -> str:
    return f"{row}-{column}-" + "v" * 1_100


def test_a_page_of_a_wide_table_is_cut_to_its_share_and_each_value_is_there_whole() -> None:
    # 25 rows of a table of 1,100 columns, each value 1,100 characters long, made a page of 27 MB
    # (each value cut to 1,000 characters alone): here 300 columns, a page of 7.5 MB
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_wide_sink(COLUMNS))
        records = [{"value": {"id": f"r{r}" + "i" * 2_000, **{f"c{c}": _value(r, c) for c in range(COLUMNS)}}} for r in range(25)]
        assert store.ingest("wide", orjson.dumps({"records": records})).answer["success_count"] == 25
        status, _h, body = request(server, "GET", "/ui/api/sinks/wide/rows?limit=25")
        page = orjson.loads(body)
        assert status == 200 and len(body) < 1_000_000, len(body)
        cut = PAGE_CHARS // (25 * (COLUMNS + 1))
        assert CELL_FLOOR <= cut < CELL_LIMIT and page["cut"] == cut
        whole = '"' + _value(3, 7) + '"'
        assert page["rows"][3]["cells"][7] == {"kind": "value", "text": whole[:cut] + f"...({len(whole):,} characters)", "length": len(whole)}
        assert page["rows"][3]["id_length"] == 2_004 and page["rows"][3]["id"].endswith("...(2,004 characters)")
        # each value whole, on demand: a column's, and the row's id
        key = page["rows"][3]["key"]
        status, _h, body = request(server, "GET", f"/ui/api/sinks/wide/cell?offset=3&key={key}&column=c7")
        assert status == 200 and orjson.loads(body) == {"offset": 3, "column": "c7", "key": key, "kind": "value", "text": whole}
        status, _h, body = request(server, "GET", f"/ui/api/sinks/wide/cell?offset=3&key={key}&column=_id")
        assert status == 200 and orjson.loads(body)["text"] == '"r3' + "i" * 2_000 + '"'


def test_a_narrow_page_keeps_values_up_to_the_cell_limit_whole() -> None:
    # the share never cuts more than CELL_LIMIT a value, nor a short value at all
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_wide_sink(2))
        assert store.ingest("wide", orjson.dumps({"records": [{"value": {"id": "a", "c0": "x" * 998, "c1": None}}]})).answer["success_count"] == 1
        page = orjson.loads(request(server, "GET", "/ui/api/sinks/wide/rows")[2])
        assert page["cut"] == CELL_LIMIT
        assert page["rows"][0] == {"id": '"a"', "key": '"a"', "cells": [{"kind": "value", "text": '"' + "x" * 998 + '"'}, {"kind": "null", "text": "null"}]}


def test_the_cell_route_says_what_it_cannot_give() -> None:
    with ui_server() as server:
        store = server.app.store
        store.create_sink(_wide_sink(2))
        assert store.ingest("wide", orjson.dumps({"records": [{"value": {"id": "a", "c0": "x"}}]})).answer["success_count"] == 1
        status, _h, body = request(server, "GET", "/ui/api/sinks/wide/cell?offset=0&key=%22a%22&column=c1")
        assert status == 200 and orjson.loads(body) == {"offset": 0, "column": "c1", "key": '"a"', "kind": "missing", "text": "missing"}
        status, _h, body = request(server, "GET", "/ui/api/sinks/wide/cell?offset=0&key=%22a%22&column=zz")
        assert status == 400 and orjson.loads(body)["message"] == "the source has no column 'zz': column= names one of its columns, or _id"
        status, _h, body = request(server, "GET", "/ui/api/sinks/wide/cell?offset=0")
        assert status == 400 and orjson.loads(body)["message"] == "column= is missing: it names one of the source's columns, or _id"
        status, _h, body = request(server, "GET", "/ui/api/sinks/nope/cell?offset=0&column=c0")
        assert status == 404
