"""``mapper serve`` under a bug hunt: a discarded body's log, chunked bodies, hostile bodies and the store against the
engine, concurrent posts, kills while writing, failures inside a write, damaged set cells, sets written record by record.

Every server binds 127.0.0.1 on a free port, every request has a timeout; the one
subprocess (a serve killed while it writes) is bounded by its own deadline.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import orjson
from depths import REFUSED_EVERYWHERE, read_here
from sinks import column, sink
from test_send_serve import SINK, SINK_ID, aircraft, fold, request, rows_in, serving

import mapper
from mapper.endpoint import Limits, encode_body
from mapper.report import BatchRejected
from mapper.store import Store

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = Limits(1e9, 1e12)

#: A sink with every way of writing: replace, sets (accumulated), signed, and a bool a missing value clears.
SETS = sink(
    column("pk", "id"),
    column("tags", "strings"),
    column("nums", "ids"),
    column("s", "string"),
    column("sib", "signedIntBoolKey"),
    column("n", "int"),
    column("b", "bool"),
    name="sets",
    table="t",
    id_field="pk",
)


def post(server: Any, path: str, body: bytes) -> tuple[int, Any]:
    status, _h, answer = request(server.url, "POST", path, body)
    return status, answer


# ---------------------------------------------------------------------------------------
# 1. A discarded body is logged (the seed: "discard the entire batch of records sent and log an error")


def test_a_discarded_body_is_logged_as_the_sinks_last_error_with_its_reason(tmp_path: Path) -> None:
    # found by the hunt: a body discarded whole (a missing value, allow_missing_fields false)
    # was answered, but nothing said so anywhere after: last_error stayed empty
    log: list[str] = []
    with serving(tmp_path, SINK, log=log.append) as (server, _app, store):
        body = encode_body([orjson.dumps(aircraft(1)), orjson.dumps(aircraft(2, lat=None))])
        status, answer = post(server, f"/v2/sinks/{SINK_ID}", body)
        assert status == 200 and answer["success_count"] == 0
        assert [r["error_code"] for r in answer["records"]] == ["BatchDiscarded", "MissingField"]
        assert rows_in(store, SINK_ID) == []
        status, _h, info = request(server.url, "GET", f"/v2/sinks/{SINK_ID}")
        assert status == 200 and info["last_error"] is not None and info["last_error_at"] is not None
        err = info["last_error"]
        assert err.startswith("BatchDiscarded:") and "2 records" in err and "$.data.lat" in err and "record 1" in err, err
        assert f"sink {SINK_ID}: {err}" in log  # and on serve's log (stderr)
        # a request still answered 200: no refused request, two refused records
        assert info["counts"] == {"requests": 1, "requests_refused": 0, "records_stored": 0, "records_refused": 2}
        # a body taken afterwards leaves the log as it was (it holds the last error, not the last request)
        status, answer = post(server, f"/v2/sinks/{SINK_ID}", encode_body([orjson.dumps(aircraft(3))]))
        assert status == 200 and answer["success_count"] == 1
        assert request(server.url, "GET", f"/v2/sinks/{SINK_ID}")[2]["last_error"] == err


# ---------------------------------------------------------------------------------------
# 2. A chunked body: stored (RFC 9112 7.1; answered 411 before), and when refused, refused with an answer the client can read


def _chunks(first: bytes, rest: bytes, pause: float) -> Iterator[bytes]:
    yield first
    time.sleep(pause)  # (the server has answered and, before the fix, closed: the next write was a broken pipe)
    yield rest


def test_a_chunked_body_is_stored_and_a_refused_one_gets_its_answer_not_a_broken_pipe(tmp_path: Path) -> None:
    # found by the hunt: a body sent chunked (requests/http.client with a generator) was answered
    # 411 and the connection closed with the body unread: the client's next write failed (broken
    # pipe, a reset) and it never read the 411 saying to send a Content-Length. Chunked bodies are
    # now taken; one refused before it is read (its Content-Type) is read away after the answer.
    body = encode_body([orjson.dumps(aircraft(i)) for i in range(20)])
    with serving(tmp_path, SINK) as (server, _app, store):
        for ctype, sizes in (("text/plain", (7, 1, 3)), ("text/plain", (65537,)), ("application/json", (7, 1, 3))):
            conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
            try:
                conn.request(
                    "POST",
                    f"/v2/sinks/{SINK_ID}",
                    body=_chunks(body[: sizes[0]], body[sizes[0] :], 0.3),
                    headers={"Content-Type": ctype},
                    encode_chunked=True,
                )
                resp = conn.getresponse()
                answer = orjson.loads(resp.read())
            finally:
                conn.close()
            if ctype == "text/plain":
                assert resp.status == 400 and answer["code"] == "InvalidContentType"
                assert rows_in(store, SINK_ID) == []
            else:
                assert resp.status == 200 and answer["success_count"] == 20
        assert len(rows_in(store, SINK_ID)) == 20


# ---------------------------------------------------------------------------------------
# 3. Hostile bodies: each answered as the service would, the store holding exactly what the answers say


HOSTILE: list[tuple[str, bytes, int]] = [
    ("invalid UTF-8 in a value", b'{"records":[{"value":{"pk":1,"s":"a\xffb"}}]}', 200),
    ("a byte order mark", b'\xef\xbb\xbf{"records":[{"value":{"pk":2}}]}', 400),
    ("1e400 in a field nobody maps", b'{"records":[{"value":{"pk":3}},{"value":{"pk":4,"zz":1e400}}]}', 400),
    ("an integer beyond 2^64 in a mapped id", b'{"records":[{"value":{"pk":5}},{"value":{"pk":184467440737095516160}}]}', 200),
    ("duplicate keys: the last counts", b'{"records":[{"value":{"pk":6,"n":"x","n":7}}]}', 200),
    ("nesting past Go's decoder's depth", b'{"records":[{"value":{"pk":7,"zz":' + b"[" * REFUSED_EVERYWHERE + b"]" * REFUSED_EVERYWHERE + b"}}]}", 400),
    # (past orjson's 1,024 levels, not Go's 10,000: read where the engine reads it, from Python 3.12 on; tests/depths.py)
    ("nesting past orjson's depth", b'{"records":[{"value":{"pk":13,"zz":' + b"[" * 1100 + b"]" * 1100 + b"}}]}", 200 if read_here(1103) else 400),
    ("an empty body", b"", 400),
    ("no records", b'{"records":[]}', 200),
    ("items that are not objects", b'{"records":[1,"x",null,[],{"value":5},{"value":null},{}]}', 200),
    ("an item without value", b'{"records":[{"v":{"pk":8}},{"value":{"pk":9}}]}', 200),
    ("records given twice: the last counts", b'{"records":[{"value":{"pk":10}}],"records":[{"value":{"pk":11}}]}', 200),
    ("trailing junk", b'{"records":[{"value":{"pk":12}}]}x', 400),
]


def test_hostile_bodies_store_exactly_what_their_answers_say(tmp_path: Path) -> None:
    m = mapper.Mapper(mapper.load_sink(SETS))
    expected: list[dict[str, Any]] = []
    with serving(tmp_path, SETS, limits=UNLIMITED) as (server, _app, store):
        for what, body, want in HOSTILE:
            status, answer = post(server, "/v2/sinks/sets", body)
            assert status == want, (what, answer)
            if status != 200:
                assert set(answer) == {"code", "message"}, what
                if "1e400" in what:  # validate of the body file refuses it whole too (it said success)
                    report = m.validate(body, input_format="endpoint")
                    assert report.verdict != "accepted" and report.success_count == 0 and [e.code for e in report.errors] == ["invalid_json"], what
                    assert "1e400 is beyond the float64 range" in report.errors[0].reason and "$.records[1].value.zz" in report.errors[0].reason
                continue
            # the answer is validate's, record by record, and the accepted records are map's rows
            assert answer == m.validate(body, input_format="endpoint").endpoint_answer(), what
            assert answer["success_count"] + answer["error_count"] == len(answer["records"]), what
            try:
                expected.extend(m.map(body, input_format="endpoint").to_rows())
            except BatchRejected:
                pass
        info = store.sink("sets")
        assert rows_in(store, "sets") == fold(m.sink, expected)
        assert {r["_id"] for r in rows_in(store, "sets")} == {1, 5, 6, 9, 11} | ({13} if read_here(1103) else set())
        assert info.requests == len(HOSTILE) and info.requests_refused == sum(w != 200 for _w, _b, w in HOSTILE)


# ---------------------------------------------------------------------------------------
# 4. Concurrent posts to one sink: every answer counted, upserts and sets as a fold says


def test_concurrent_posts_to_one_sink_add_up_and_upsert(tmp_path: Path) -> None:
    threads, bodies, per_body, ids = 6, 12, 20, 40
    successes: list[int] = []
    sent: list[dict[str, Any]] = []
    lock = threading.Lock()
    with serving(tmp_path, SETS, limits=UNLIMITED) as (server, _app, store):

        def client(t: int) -> None:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
            try:
                for n in range(bodies):
                    recs = [{"pk": (t * 7 + n * 3 + k) % ids, "tags": [f"t{t}"], "nums": [t], "sib": t + 1, "n": n} for k in range(per_body)]
                    conn.request(
                        "POST", "/v2/sinks/sets", body=orjson.dumps({"records": [{"value": r} for r in recs]}), headers={"Content-Type": "application/json"}
                    )
                    answer = orjson.loads(conn.getresponse().read())
                    with lock:
                        successes.append(answer["success_count"])
                        sent.extend(recs)
            finally:
                conn.close()

        workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(30)
        assert sum(successes) == threads * bodies * per_body == len(sent)
        rows = rows_in(store, "sets")
        info = store.sink("sets")
    assert info.records_stored == len(sent) and info.requests == threads * bodies
    assert sorted(r["_id"] for r in rows) == sorted({r["pk"] for r in sent})  # one row per _id
    for row in rows:
        mine = [r for r in sent if r["pk"] == row["_id"]]
        # sets hold each member once, whatever order the requests committed in
        assert sorted(row["tags"]) == sorted({r["tags"][0] for r in mine})
        assert sorted(row["nums"]) == sorted({r["nums"][0] for r in mine})
        assert sorted(row["sib"]) == sorted({r["sib"] for r in mine})
        assert row["n"] in {r["n"] for r in mine}


# ---------------------------------------------------------------------------------------
# 5. A serve killed while it writes: no half body, nothing acknowledged lost


def _post_until(port: int, client: int, per_body: int, stop: threading.Event, acknowledged: list[int]) -> None:
    """Post bodies of ``per_body`` new records until ``stop`` (or the server is gone); the first id of each body answered all stored goes to ``acknowledged``."""
    for n in range(40):  # (ids below 48,000: aircraft(i)'s altitude, 1000 + i, stays in range)
        if stop.is_set():
            return
        first = (client * 40 + n) * per_body
        body = encode_body([orjson.dumps(aircraft(first + j)) for j in range(per_body)])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", f"/v2/sinks/{SINK_ID}", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            ok = resp.status == 200 and orjson.loads(resp.read())["success_count"] == per_body
            conn.close()
        except (OSError, http.client.HTTPException, json.JSONDecodeError):
            return  # the kill
        if ok:
            acknowledged.append(first)  # (list.append is atomic)


def test_a_serve_killed_while_it_writes_keeps_every_acknowledged_body_whole(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    per_body = 200
    acknowledged: list[int] = []
    for round_ in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mapper", "serve", str(SINK), "--db", str(db), "--port", "0", "-q", "--records-per-s", "1e9", "--bytes-per-s", "1e12"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode()
            assert "listening on http://127.0.0.1:" in line, line
            port = int(line.split("127.0.0.1:")[1].split()[0])
            stop = threading.Event()
            workers = [threading.Thread(target=_post_until, args=(port, round_ * 3 + t, per_body, stop, acknowledged)) for t in range(3)]
            for w in workers:
                w.start()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(acknowledged) < 6 * (round_ + 1):
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=10)
            stop.set()
            for w in workers:
                w.join(15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        with Store(db) as store:
            ids = [int(r["_id"][1:]) for r in store.iter_rows(SINK_ID)]
            info = store.sink(SINK_ID)
        bodies: dict[int, int] = {}
        for i in ids:
            bodies[i // per_body * per_body] = bodies.get(i // per_body * per_body, 0) + 1
        assert len(acknowledged) >= 6 * (round_ + 1)
        assert all(count == per_body for count in bodies.values()), "a body stored in part"
        assert set(acknowledged) <= set(bodies), "an acknowledged body lost"
        assert len(ids) == len(set(ids)) == info.records_stored  # the counters commit with the rows


# ---------------------------------------------------------------------------------------
# 6. A write that fails for another reason than the database's leaves no transaction open


def test_a_write_failing_on_a_bug_rolls_back_and_the_next_request_is_served(tmp_path: Path, monkeypatch: Any) -> None:
    # found by the hunt: only sqlite3 errors rolled the request's transaction back; any other
    # exception inside it (a bug, a damaged row below) left it open, holding the database's write
    # lock, and the next request, of any sink, was a 500 "cannot start a transaction within a transaction"
    real = Store._write

    def half_then_fail(self: Store, table: Any, batch: Any) -> None:
        real(self, table, batch)  # the rows are written inside the transaction, then it fails
        raise RuntimeError("a bug")

    with serving(tmp_path, SINK, limits=UNLIMITED) as (server, _app, store):
        monkeypatch.setattr(Store, "_write", half_then_fail)
        status, answer = post(server, f"/v2/sinks/{SINK_ID}", encode_body([orjson.dumps(aircraft(1))]))
        assert status == 500 and answer["code"] == "InternalError"
        monkeypatch.undo()
        assert not store.db.in_transaction and rows_in(store, SINK_ID) == []  # nothing of it stored
        status, answer = post(server, f"/v2/sinks/{SINK_ID}", encode_body([orjson.dumps(aircraft(2))]))
        assert status == 200 and answer["success_count"] == 1, answer
        assert [r["_id"] for r in rows_in(store, SINK_ID)] == ["r2"]


def test_a_set_cell_edited_to_json_that_is_no_set_is_a_damaged_row(tmp_path: Path) -> None:
    # found by the hunt: a set's cell edited to JSON that is no array of members (5, [[1]]) was
    # read as it stood: the next upsert of its _id raised TypeError (a 500 "internal error" with a
    # traceback line, the transaction left open), where a cell that is not JSON is a damaged row
    import sqlite3

    for cell in ("5", "[[1]]", '{"a": 1}'):
        path = tmp_path / f"d{len(cell)}.db"
        with Store(path) as store:
            store.create_sink(SETS)
            store.ingest("sets", b'{"records":[{"value":{"pk":1,"tags":["a"]}}]}')
        con = sqlite3.connect(path)
        con.execute("UPDATE sets SET tags = ?", (cell,))
        con.commit()
        con.close()
        with Store(path) as store:
            for read in (lambda: store.rows("sets"), lambda: store.ingest("sets", b'{"records":[{"value":{"pk":1,"tags":["b"]}}]}')):
                try:
                    read()
                except mapper.ServiceError as exc:
                    assert exc.status == 500 and "is damaged" in exc.message and "tags" in exc.message, (cell, exc.message)
                else:
                    raise AssertionError(f"a set cell {cell} was read")
            # the other rows are served
            assert store.ingest("sets", b'{"records":[{"value":{"pk":2,"tags":["b"]}}]}').answer["success_count"] == 1


# ---------------------------------------------------------------------------------------
# 7. Sets written record by record: as a fold says, in time linear in the members


def test_sets_written_record_by_record_fold_as_the_endpoint_and_in_linear_time() -> None:
    # found by the hunt: each record adding to a stored set copied the whole set first, so a
    # body of 1,000 records (the limit) adding 150 members each to one _id's set took 8 s, with
    # the store's lock held: every request of every sink waited
    import random

    m = mapper.Mapper(mapper.load_sink(SETS))
    rnd = random.Random(5)
    sent: list[dict[str, Any]] = []
    with Store() as store:
        store.create_sink(SETS)
        for _body in range(25):
            recs = []
            for _ in range(rnd.randrange(1, 30)):
                rec: dict[str, Any] = {"pk": rnd.randrange(4)}
                for name, value in (
                    ("tags", lambda: rnd.choice([[f"t{rnd.randrange(6)}" for _ in range(rnd.randrange(3))], f"t{rnd.randrange(6)},t{rnd.randrange(6)}"])),
                    ("nums", lambda: [rnd.randrange(5) for _ in range(rnd.randrange(3))]),
                    ("s", lambda: rnd.choice(["a", "b", None])),
                    ("sib", lambda: rnd.choice([rnd.randrange(1, 5), -rnd.randrange(1, 5)])),
                    ("n", lambda: rnd.choice([1, 2, None])),  # (a null clears an int, writes nothing into a non-mutex string; a set takes none)
                ):
                    if rnd.random() < 0.6:
                        rec[name] = value()
                recs.append(rec)
            body = orjson.dumps({"records": [{"value": r} for r in recs]})
            assert store.ingest("sets", body).answer["error_count"] == 0
            sent.extend(m.map(body, input_format="endpoint").to_rows())
        assert rows_in(store, "sets") == fold(m.sink, sent)
        # one _id's set added to by 1,000 records of 150 members each
        many = [{"pk": 1, "tags": ",".join(format(r * 150 + k, "x") for k in range(150))} for r in range(1000)]
        t0 = time.perf_counter()
        answer = store.ingest("sets", orjson.dumps({"records": [{"value": r} for r in many]})).answer
        took = time.perf_counter() - t0
        row = next(r for r in rows_in(store, "sets") if r["_id"] == 1)
        assert answer["success_count"] == 1000 and len(row["tags"]) >= 150_000 and row["tags"][-1] == format(150_000 - 1, "x")
        assert took < 3.0, f"{took:.1f} s"  # (8 s before, 0.1-0.3 s since)


# ---------------------------------------------------------------------------------------
# 8. signedIntBoolKey 0 clears row 0, as every value that is not positive clears its row


def test_signed_int_bool_key_zero_clears_row_zero() -> None:
    # idk/ingest.go's SignedIntBoolKeyField recordizer: `if rowID > 0` sets row v, else it
    # negates (0 stays 0) and clears that row. The store added row 0 for a 0 (as for a positive v).
    with Store() as store:
        store.create_sink(SETS)
        for sib in (0, 3, 0):
            body = orjson.dumps({"records": [{"value": {"pk": 1, "sib": sib}}]})
            assert store.ingest("sets", body).answer["error_count"] == 0
        assert [r["sib"] for r in rows_in(store, "sets")] == [[3]]
        for sib in (-3, 0):
            body = orjson.dumps({"records": [{"value": {"pk": 2, "sib": sib}}]})
            assert store.ingest("sets", body).answer["error_count"] == 0
        assert [r["sib"] for r in rows_in(store, "sets")] == [[3], []]
