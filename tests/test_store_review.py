"""``mapper.Store`` under a code-reading review: what the store does with a database it may only read.

Each test is in-process, on a ``tmp_path`` database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_send_serve import main_in_process
from test_serve_hunt import SETS

from mapper.commands import EXIT_OK, EXIT_USAGE
from mapper.endpoint import ServiceError
from mapper.errors import OptionError
from mapper.store import Store


def _databases_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every database file opened from here on is opened as SQLite opens a file the process may not
    write (no write permission, a read-only mount): read-only, each write an "attempt to write a readonly
    database" (as root, permissions do not stop a write, so the test cannot chmod the file)."""
    real = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if kwargs.get("uri") or str(database) in ("", ":memory:"):
            return real(database, *args, **kwargs)
        return real(Path(database).resolve().as_uri() + "?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


def test_a_database_serve_cannot_write_is_refused_at_the_start_and_query_still_reads_it(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by review: SQLite opens a file it may not write read-only without a word, so `mapper serve
    # --db FILE` said "listening" and each sink ACTIVE, then answered every POST with a 500 ("the
    # database refused the write: attempt to write a readonly database"); --query must still read it
    path = tmp_path / "ro.db"
    with Store(path) as store:
        store.create_sink(SETS)
        store.ingest("sets", orjson.dumps({"records": [{"value": {"pk": 1, "tags": ["x"]}}]}))
    _databases_read_only(monkeypatch)
    with pytest.raises(ServiceError) as info:
        Store(path)
    assert info.value.status == 500 and "cannot write the database" in info.value.message and "readonly" in info.value.message
    rc, _out, err = main_in_process(capsys, "serve", "--db", path, "--port", 0, "-q")
    assert rc == EXIT_USAGE and "cannot write the database" in err and str(path) in err and "listening" not in err
    with Store(path, writable=False) as store:  # (what --query opens)
        assert [r["_id"] for r in store.iter_rows("sets")] == [1]
    rc, out, err = main_in_process(capsys, "serve", "--db", path, "--query", "sets")
    assert (rc, [orjson.loads(line) for line in out.splitlines()]) == (EXIT_OK, [{"_id": 1, "tags": ["x"], "b": None}]), err
    with Store() as memory:  # (a database of its own: always written)
        assert memory.create_sink(SETS).id == "sets"


def _directory_not_writable(monkeypatch: pytest.MonkeyPatch, directory: Path) -> list[str]:
    """Every database file under ``directory`` opened from here on reads as a WAL database does in a directory the process
    cannot write, once cleanly closed (its -shm file gone, SQLite cannot make it): each statement an
    "attempt to write a readonly database", unless it is opened as a file nothing writes (immutable).
    (As root, permissions do not stop a write.) The list holds the URIs of the immutable opens. (Only files
    under ``directory``: coverage's own database, written between tests under ``--cov-context=test``, is
    opened through sqlite3.connect too.)"""
    real, immutable = sqlite3.connect, []

    class NoShm(sqlite3.Connection):
        def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
            raise sqlite3.OperationalError("attempt to write a readonly database")

        executescript = execute  # type: ignore[assignment]

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if str(database) in ("", ":memory:") or str(directory) not in str(database):
            return real(database, *args, **kwargs)
        if "immutable=1" in str(database):
            immutable.append(str(database))
            return real(database, *args, **kwargs)
        return real(database, *args, factory=NoShm, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    return immutable


def test_query_reads_a_cleanly_closed_database_in_a_directory_it_cannot_write(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by review: `mapper serve --db F --query SINK` of such a file said "cannot read the database F:
    # attempt to write a readonly database": with no -wal file (nothing written since the file), it is read whole as immutable
    path = tmp_path / "a dir#1" / "ro?.db"  # (a name a URI must quote)
    path.parent.mkdir()
    with Store(path) as store:
        store.create_sink(SETS)
        store.ingest("sets", orjson.dumps({"records": [{"value": {"pk": 1, "tags": ["x"]}}]}))
    immutable = _directory_not_writable(monkeypatch, tmp_path)
    rc, out, err = main_in_process(capsys, "serve", "--db", path, "--query", "sets")
    assert (rc, [orjson.loads(line) for line in out.splitlines()]) == (EXIT_OK, [{"_id": 1, "tags": ["x"], "b": None}]), err
    assert len(immutable) == 2 and all(u.endswith("?mode=ro&immutable=1") and "%23" in u and "%3F" in u for u in immutable)
    with pytest.raises(ServiceError, match="attempt to write a readonly database"):  # (a store that writes: refused as before)
        Store(path)
    Path(f"{path}-wal").write_bytes(b"\0" * 32)  # (writes not yet in the file: an immutable read would leave them out)
    for read in (lambda: Store(path, writable=False), lambda: main_in_process(capsys, "serve", "--db", path, "--query", "sets")):
        try:
            rc, out, err = read()  # type: ignore[misc]
        except ServiceError as exc:
            rc, out, err = EXIT_USAGE, "", exc.message
        assert (rc, out) == (EXIT_USAGE, "") and "readonly" in err and "ro?.db-wal" in err and "open it once where" in err, err
    assert len(immutable) == 2


def test_writable_is_true_or_false() -> None:
    with pytest.raises(OptionError, match="writable= is True or False"):
        Store(writable=1)  # type: ignore[arg-type]


def test_a_sink_with_no_name_and_no_file_needs_a_sink_id_not_the_id_s() -> None:
    # found by review: a schema or Sink without a name, given from Python without sink_id, was created
    # as the sink "s" (the prefix a file name starting with a digit gets, of an empty name); the next
    # such sink, another definition, was a 409 "a sink 's' exists already", a name never given
    schema = SETS["schema"]
    with Store() as store:
        for nameless in (schema, orjson.dumps(schema).decode()):
            with pytest.raises(ServiceError) as info:
                store.create_sink(nameless)
            assert (info.value.status, info.value.code) == (400, "InvalidParameter") and "sink_id=" in info.value.message, info.value.message
        assert store.list_sinks() == []
        assert store.create_sink(schema, sink_id="mine").id == "mine"


def test_a_database_refused_at_open_is_not_kept_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a script retrying Store(path) held one more open file each time, until the collector ran)
    path = tmp_path / "ro.db"
    Store(path).close()
    _databases_read_only(monkeypatch)
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: opened.append(connect(*a, **kw)) or opened[-1])
    with pytest.raises(ServiceError):
        Store(path)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_query_of_the_memory_database_says_it_keeps_nothing(capsys: Any) -> None:
    # (it said "no sink 'x'", as if the sink created in a serve --db :memory: had been lost or misnamed)
    rc, out, err = main_in_process(capsys, "serve", "--db", ":memory:", "--query", "x")
    assert (rc, out) == (EXIT_USAGE, "") and ":memory:" in err and "keeps nothing" in err, err


def test_query_reads_a_read_only_database_holding_a_sink_left_creating(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by review: a sink still CREATING when its serve stopped (within --create-delay of its POST /v1/sinks)
    # is turned ACTIVE by the next read, a write: --query of such a database it may only read said "cannot read the database"
    path = tmp_path / "creating.db"
    with Store(path, clock=lambda: 0.0) as store:  # (created in 1970: due long since)
        store.create_sink(SETS, activate_after=1.0)
        assert store.sink("sets").state == "CREATING"
    _databases_read_only(monkeypatch)
    rc, out, err = main_in_process(capsys, "serve", "--db", path, "--query", "sets")
    assert (rc, out) == (EXIT_OK, ""), err
    with Store(path, writable=False) as store:
        assert [s.state for s in store.list_sinks()] == ["CREATING"]  # (as stored: only a store that writes turns it)


def test_query_reads_a_read_only_database_of_an_earlier_mapper(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by review: opening a database an earlier mapper made adds the last_refused columns, a write:
    # --query of such a file it may only read said "cannot open the database: attempt to write a readonly database"
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.create_sink(SETS)
        store.ingest("sets", orjson.dumps({"records": [{"value": {"pk": 3}}]}))
    con = sqlite3.connect(path)
    for name in ("last_refused", "last_refused_at"):
        con.execute(f"ALTER TABLE _mapper_sinks DROP COLUMN {name}")
    con.commit()
    con.close()
    _databases_read_only(monkeypatch)
    rc, out, err = main_in_process(capsys, "serve", "--db", path, "--query", "sets")
    assert (rc, [orjson.loads(line)["_id"] for line in out.splitlines()]) == (EXIT_OK, [3]), err
    with Store(path, writable=False) as store:
        info = store.sink("sets")
        assert (info.records_stored, info.last_refused, info.last_refused_at) == (1, None, None)


@pytest.mark.parametrize(
    "call",
    [
        lambda st, sid: st.sink(sid),
        lambda st, sid: st.rows(sid),
        lambda st, sid: next(st.iter_rows(sid)),
        lambda st, sid: st.mapper(sid),
        lambda st, sid: st.ingest(sid, b'{"records": []}'),
        lambda st, sid: st.note_error(sid, ServiceError(400, "InvalidBody", "refused")),  # (was sqlite3's UnicodeEncodeError)
    ],
)
def test_a_sink_id_that_is_no_utf8_text_is_no_sink_not_a_unicode_error(call: Any) -> None:
    # found in the table/store review: a lone surrogate (os.fsdecode's form of a byte that is not
    # UTF-8) reached sqlite3, whose UnicodeEncodeError came out of the Store, where 'a\x00b' says "no sink"
    with Store(":memory:") as store:
        with pytest.raises(ServiceError) as err:
            call(store, "s\udcff")
        assert (err.value.status, err.value.message) == (404, "no sink 's\\udcff'")


@pytest.mark.parametrize(("value", "said"), [(float("inf"), "inf"), (10**400, "<an integer of 401 digits>"), (-0.5, "-0.5")], ids=["inf", "huge", "negative"])
def test_an_activate_after_that_is_no_finite_count_of_seconds_is_refused_naming_the_keyword(value: Any, said: str) -> None:
    # activate_after=inf was taken: the sink stayed CREATING forever (every ingest refused); 10**400 was an OverflowError
    with Store(":memory:") as store:
        with pytest.raises(OptionError) as err:
            store.create_sink(SETS, activate_after=value)
        assert str(err.value) == f"activate_after= must be a finite number of seconds, at least 0, not {said}"
        assert store.list_sinks() == []


def test_a_write_refused_for_a_lock_or_a_full_disk_names_the_file_and_says_why(tmp_path: Path) -> None:
    # found in the table/store review: a server's 500 said "the database refused the write: database is
    # locked" (or "... disk is full"), of no file and with no word of what held it or what was kept
    path = tmp_path / "fb.db"
    body = b'{"records": [{"value": {"pk": 1, "n": 5}}]}'
    with Store(path, lock_wait=0) as store:  # (not the 5 s a serve waits)
        store.create_sink(SETS)
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
            with pytest.raises(ServiceError) as locked:
                store.ingest("sets", body)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert (locked.value.status, locked.value.headers) == (503, {"Retry-After": "1"})  # (a 500 before: mapper send's retry waits for it)
        assert locked.value.message.startswith(f"cannot store the request: the database {path} is locked (another connection holds its write lock")
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")  # a full disk, as SQLite meets it
        with pytest.raises(ServiceError) as full:
            for i in range(50):  # (until a page more is needed)
                store.ingest("sets", b'{"records": [%s]}' % b",".join(b'{"value": {"pk": %d, "s": "%s"}}' % (i * 100 + j, b"x" * 200) for j in range(100)))
        assert full.value.message.startswith(f"cannot store the request: the database {path} refused the write: database or disk is full (no room for it")
        assert store.rows("sets").total == 0  # nothing of either request stored


def test_a_database_locked_at_the_start_says_another_connection_holds_it(tmp_path: Path) -> None:
    # found in the table/store review: serve's start said "cannot open the database F: database is locked"
    # after 30 s, with no word of what held it
    path = tmp_path / "fb.db"
    Store(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(ServiceError) as err:
            Store(path, lock_wait=0)  # (not the 5 s a Store waits)
    finally:
        other.close()
    assert err.value.message == (
        f"cannot open the database {path}: database is locked (another connection holds its write lock: another mapper serve"
        " or a program writing the file, still after the 0 s this waited: --lock-wait)"
    )


def test_a_creating_delay_past_a_floats_range_is_refused_when_the_app_is_made() -> None:
    # App(create_delay=10**400) passed `< math.inf` (an int compares exactly): every POST /v1/sinks then failed in the store
    from mapper.serve import App

    with Store(":memory:") as store:
        with pytest.raises(OptionError) as err:
            App(store, create_delay=10**400)
        assert str(err.value) == "create_delay= (--create-delay) must be a finite number of seconds, at least 0, at most 86,400, not <an integer of 401 digits>"
        assert App(store, create_delay=0).create_delay == 0
