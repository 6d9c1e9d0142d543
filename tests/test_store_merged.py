"""``mapper.Store`` counts the records that went to an ``_id`` a row held already (``records_merged``),
so that a page can tell rows upserted from rows removed by another program. In-process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
from test_serve_hunt import SETS

from mapper.store import Store

PLAIN = {
    "name": "plain",
    "sink_details": {"database_id": "db", "table": "plain"},
    "schema": {
        "id_field": "pk",
        "allow_missing_fields": True,
        "definition": [{"name": "pk", "path": ["pk"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
    },
}


def _body(*ids: int) -> bytes:
    return orjson.dumps({"records": [{"value": {"pk": i, "n": i}} for i in ids]})


def test_records_to_an_id_held_already_are_counted_merged() -> None:
    # the rows were records_stored less the upserts nobody counted: rows removed by another
    # program read as upserts (the page put every row missing down to them)
    for definition in (PLAIN, SETS):  # (new distinct ids take the column-wise path; a signed column never does)
        with Store(":memory:") as store:
            sid = store.create_sink(definition).id
            assert store.sink(sid).records_merged == 0
            store.ingest(sid, _body(1, 2, 1))  # (1 twice in one request)
            assert (store.sink(sid).records_merged, store.rows(sid).total) == (1, 2)
            store.ingest(sid, _body(2, 3))  # (2 stored before)
            store.ingest(sid, _body(4, 5))  # (new ids only)
            info = store.sink(sid)
            assert (info.records_stored, info.records_merged, store.rows(sid).total) == (7, 2, 5)
            refused = store.ingest(sid, orjson.dumps({"records": [{"value": {"pk": 1, "n": "x"}}]}))  # (refused: no row written)
            assert refused.answer["error_count"] == 1 and store.sink(sid).records_merged == 2


def test_a_database_of_an_earlier_mapper_has_its_merged_records_uncounted(tmp_path: Path) -> None:
    # a count begun halfway would read as rows removed: the sinks of a database that did not count stay uncounted (None)
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.create_sink(PLAIN)
        store.ingest("plain", _body(1, 1))
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE _mapper_sinks DROP COLUMN records_merged")
    con.commit()
    con.close()
    with Store(path) as store:
        assert store.sink("plain").records_merged is None
        store.ingest("plain", _body(1, 2))
        assert (store.sink("plain").records_stored, store.sink("plain").records_merged) == (4, None)
        store.create_sink(PLAIN | {"name": "later"})  # (a sink made by this mapper counts from its start)
        store.ingest("later", _body(1, 1))
        assert store.sink("later").records_merged == 1
