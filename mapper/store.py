"""The local service's state: sinks, their rows and their counters, in one SQLite database.

:class:`Store` is the service without HTTP (``mapper serve`` puts HTTP in front of it; a
UI or a test can use it directly): create a sink, list sinks, a sink's details, ingest a
request body, query rows with paging.

**Why SQLite** (the standard library's ``sqlite3``): no dependency beyond Python; every
request body is one transaction, stored whole or not at all; a committed transaction
survives the server being killed (WAL journal, ``synchronous=FULL``: committed before the
answer leaves); WAL lets other processes (``sqlite3 FILE``, a UI) read while the server
writes.

**Write semantics** are FeatureBase's, so a query after a stream shows what the table
would hold. Each accepted record is one row keyed by ``_id`` (an upsert). The engine's
masks say, per row and column, what a record does (:meth:`mapper.Batch.to_rows` renders
them: a value, ``None``, or the column left out), and this module applies them:

* a value: written. Mutex ``string``/``id``, ``int``, ``decimal``, ``timestamp``,
  ``bool``, ``dateInt``, ``recordTime`` replace the stored value; sets (``ids``,
  ``strings``, and ``string``/``id`` without Mutex) add to the stored set;
  ``signedIntBoolKey`` adds row v for a positive v and removes row -v for a negative one or 0
  (row 0: the ingester sets only a positive row);
* null (present, not valid): the stored value is cleared;
* missing (not present): the stored value is left alone.

Each data table is named after the sink and has ``_id``, ``_state`` and one column per
stored column. ``_state`` holds one letter per column: ``v`` a value is stored, ``n``
cleared by a null, ``-`` never written; so a query tells null from missing although
SQL has one NULL for both. Values are stored in their canonical JSON form (the form
``mapper map -o -`` writes): integers as INTEGER (an unsigned id above 2**63-1 as its
decimal TEXT), strings, decimals and timestamps as TEXT (``"45.1199"``, RFC 3339:
exact), bools as 0/1, sets as a JSON array in TEXT (in the order their members were
first written).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import numpy as np
import orjson

from .api import Mapper
from .batch import Batch
from .checks import stored_sink_names
from .compiler import hand_built_problems
from .endpoint import (
    ALREADY_EXISTS,
    INTERNAL,
    INVALID_BODY,
    INVALID_PARAMETER,
    NOT_FOUND,
    UNAVAILABLE,
    ServiceError,
    body_data,
    body_problem,
    parse_body,
    read_numbers,
    service_loads,
)
from .errors import DefinitionError, MapperError, OptionError, Problem, check_function, database_instead, preview, shown_name
from .model import MISSING, Column, Sink
from .options import body_record_limit, real_number, whole_number
from .report import BATCH_DISCARDED, MISSING_FIELD, BatchRejected, Report
from .sink import SinkSource, check_sink, load_sink
from .writers import planted_link_said

__all__ = ["ForeignDatabaseError", "IngestResult", "RowsPage", "SinkInfo", "SinkRefused", "Store", "write_kind"]

CREATING, ACTIVE = "CREATING", "ACTIVE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS _mapper_sinks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,          -- the POST /v1/sinks body (JSON), as checked
    state TEXT NOT NULL,               -- CREATING, then ACTIVE at active_at
    created_at REAL NOT NULL,
    active_at REAL NOT NULL,
    table_name TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,          -- ingest requests answered
    requests_refused INTEGER NOT NULL DEFAULT 0,  -- ... with an error status (nothing stored)
    records_stored INTEGER NOT NULL DEFAULT 0,    -- records answered "success" (re-sends count again)
    records_refused INTEGER NOT NULL DEFAULT 0,   -- records answered "error"
    last_error TEXT,
    last_error_at REAL,
    last_refused TEXT,                 -- the last taken request's refused records: how many, the first's answer
    last_refused_at REAL,
    records_merged INTEGER             -- of records_stored, those written to an _id a row held already (upserts); NULL: not counted
);
CREATE TABLE IF NOT EXISTS _mapper_columns (
    sink_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    write TEXT NOT NULL,               -- replace, set or signed (see write_kind)
    sql_name TEXT NOT NULL,
    PRIMARY KEY (sink_id, position)
);
"""

_NAME_RULE = re.compile(r"[a-z][a-z0-9_-]{0,229}")
_INT64_MAX = 2**63 - 1


def write_kind(column: Column) -> str:
    """How a value of this column is written: ``replace``, ``set`` (added to the stored set) or ``signed`` (signedIntBoolKey)."""
    if column.type in ("ids", "strings"):
        return "set"
    if column.type in ("id", "string") and not column.config.mutex:
        return "set"
    if column.type == "signedIntBoolKey":
        return "signed"
    return "replace"


class SinkRefused(ServiceError):
    """A sink definition with errors: 400, with every problem :func:`mapper.check_sink` found in ``problems``."""

    def __init__(self, status: int, code: str, message: str, problems: tuple[Problem, ...]):
        super().__init__(status, code, message)
        self.problems = problems


@dataclass(frozen=True)
class SinkInfo:
    """One sink: its definition, state and counters."""

    id: str
    name: str
    state: str
    definition: dict[str, Any]
    created_at: float
    table: str
    requests: int = 0
    requests_refused: int = 0
    records_stored: int = 0
    records_refused: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    #: of the last request taken with records refused one by one: how many, and the first's answer
    last_refused: str | None = None
    last_refused_at: float | None = None
    #: of ``records_stored``, the records written to an ``_id`` a row held already (each an
    #: upsert, no new row): the rows are ``records_stored - records_merged`` unless removed (or
    #: written) by another program. None: a sink of a database made by an earlier mapper, which
    #: did not count them (NULL stays NULL: a count from then on would be a part only)
    records_merged: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The sink as ``GET /v2/sinks`` lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "created_at": _iso(self.created_at),
            "sink_details": self.definition.get("sink_details"),
            "schema": self.definition.get("schema"),
            "table": self.table,
            "counts": {
                "requests": self.requests,
                "requests_refused": self.requests_refused,
                "records_stored": self.records_stored,
                "records_refused": self.records_refused,
            },
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at) if self.last_error_at is not None else None,
            "last_refused": self.last_refused,
            "last_refused_at": _iso(self.last_refused_at) if self.last_refused_at is not None else None,
        }


@dataclass
class RowsPage:
    """A page of a sink's rows in the canonical form: a column left out is missing, ``None`` is cleared (null)."""

    sink_id: str
    columns: list[tuple[str, str]]  # (name, type) in definition order
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "sink": self.sink_id,
            "columns": [{"name": n, "type": t} for n, t in self.columns],
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "rows": self.rows,
        }


@dataclass
class IngestResult:
    """What one request did: the per-record ``answer`` (as ``validate --report endpoint``), rows written, the report, the error logged."""

    answer: dict[str, Any]
    written: int
    report: Report = field(repr=False)
    #: the error logged as the sink's last for this body (one discarded whole), or None
    error: str | None = None


@dataclass
class _Table:
    """A sink's data table: SQL names and how each column is written."""

    name: str
    columns: list[tuple[str, str, str, str]]  # (name, type, write kind, sql name)
    id_kind: str
    upsert: str = ""
    select: str = ""


_MAX_SQL_INT = (1 << 63) - 1


_Method = TypeVar("_Method", bound=Callable[..., Any])


class _UnreadableRow(sqlite3.DatabaseError):
    """A stored sink definition or data row this mapper cannot read (damaged, edited, or written by a mapper whose checks differ): read as a damaged database."""


def _read_only(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused a write because the database is open read-only (a file the process may only read)."""
    code = getattr(exc, "sqlite_errorcode", None)  # (Python 3.11+; an extended code, SQLITE_READONLY = 8 in its low byte)
    return (code & 0xFF) == 8 if isinstance(code, int) else "readonly" in str(exc)


#: SQLite's (primary) codes of a write refused for the lock another connection holds, and for a full disk.
_BUSY, _FULL = 5, 13


def closed_error(store: Store, stored: bool = False) -> ServiceError:
    """The 503 of a request that meets the store closed under it (a stop that waited no longer for it: its timeout, or
    a second Ctrl-C), rather than sqlite3's "Cannot operate on a closed database" as a 500. ``stored``: it would have
    written (nothing of it is)."""
    what = "nothing of the request is stored" if stored else "the request is not served"
    return ServiceError(
        503, UNAVAILABLE, f"the service is stopping (its database {shown_name(store.path)} is closed): {what}; send it again once the service runs again"
    )


def _write_error(store: Store, what: str, exc: sqlite3.Error) -> ServiceError:
    """A 500 for a write SQLite refused: the file's name (a server's log said "the database refused the write:
    database is locked", of no file) and, for a full disk, what it means; a 503 once the store is closed, or for
    the lock another connection holds (:func:`_locked_error`)."""
    if store.closed:
        return closed_error(store, stored=True)
    if _busy(exc):
        return _locked_error(store, what, stored=True)
    why = ""
    if _sqlite_code(exc, _FULL, "is full"):
        why = " (no room for it: the disk, or the file's page limit, is full; nothing of the request is stored)"
    return ServiceError(500, INTERNAL, f"{what}: the database {shown_name(store.path)} refused the write: {exc}{why}")


#: What SQLITE_BUSY means to a Store: another connection holds the database's lock.
_LOCKED = "another connection holds its write lock: another mapper serve or a program writing the file"

#: The most one statement waits for the lock another connection holds (SQLite's busy timeout), the store's lock held: a
#: write waits for it longer (:attr:`Store.lock_wait`) in turns of this, letting go of the store's lock between them, so
#: that the requests of other sinks, and reads, go on (it waited 30 s in one statement, every other request waiting too).
_SLICE = 0.05


def _busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused a statement for the lock another connection holds (SQLITE_BUSY)."""
    return _sqlite_code(exc, _BUSY, "database is locked")


def _locked_error(store: Store, what: str, stored: bool = False) -> ServiceError:
    """The 503 (``Retry-After: 1``, which ``mapper send`` waits, then sends again) of a request that met the database
    locked by another connection: a write, for :attr:`Store.lock_wait` seconds (a 500 after 30 s before, every other
    request held up behind it); a read (``stored`` False), for :data:`_SLICE` (a database in WAL mode, as a store keeps
    it, is read while another connection writes: this happens only once another program has switched it to another
    journal mode). ``stored``: it would have written (nothing of it is)."""
    waited = f", still after the {store.lock_wait:g} s this service waits for it (mapper serve --lock-wait)" if stored else ""
    what_not = "nothing of the request is stored" if stored else "the request is not served"
    return ServiceError(
        503,
        UNAVAILABLE,
        f"{what}: the database {shown_name(store.path)} is locked ({_LOCKED}){waited}: {what_not}; send it again later (Retry-After)",
        headers={"Retry-After": "1"},
    )


def _sqlite_code(exc: sqlite3.Error, code: int, words: str) -> bool:
    """Whether SQLite's error ``exc`` is of the primary result ``code`` (by ``words`` in its message before Python 3.11)."""
    got = getattr(exc, "sqlite_errorcode", None)  # (Python 3.11+; an extended code: the primary code is its low byte)
    return got & 0xFF == code if isinstance(got, int) else words in str(exc)


def _read_error(store: Store, exc: sqlite3.Error) -> ServiceError:
    if store.closed:
        return closed_error(store)
    if _busy(exc):  # (a database another program switched to rollback-journal mode, then locked: reads wait for it too)
        return _locked_error(store, "cannot read")
    return ServiceError(500, INTERNAL, f"cannot read the database {shown_name(store.path)}: {exc}")


def _reads(method: _Method) -> _Method:
    """A Store method whose database errors (a damaged file) are a 500 naming the file, never sqlite3's exception."""

    @functools.wraps(method)
    def reading(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _read_error(self, exc) from None

    return reading  # type: ignore[return-value]


def _unwritten_uri(path: str) -> str | None:
    """The URI reading the database file ``path`` as one nothing writes (``immutable``: no lock,
    no ``-shm`` file), for a database in a directory this process cannot write: SQLite reads a WAL
    database through its ``-shm`` file, which it cannot make there once the last connection
    removed it ("attempt to write a readonly database", though the file may be read). None when
    the file has writes in a ``-wal`` file, which such a read would leave out."""
    try:
        if os.path.getsize(path + "-wal") > 0:
            return None
    except OSError:  # (none: closed cleanly)
        pass
    return Path(path).resolve().as_uri() + "?mode=ro&immutable=1"


def _unread_why(path: str, exc: sqlite3.Error, made: bool = True) -> str:
    """What to say of a database file SQLite cannot read (``exc``): for a write it needs (read-only), or
    as it is no database, said with what it is instead (:func:`~mapper.errors.database_instead`: ``serve.db.gz``, said with the
    command that unpacks it; a tar or ZIP archive, with the one that writes out the database it holds). ``made``: a new file's
    name would be made a database (serving; not ``--query``)."""
    if not _read_only(exc) or _unwritten_uri(path) is not None:
        instead = database_instead(path, made) if _sqlite_code(exc, _NOTADB, "file is not a database") else None
        return str(exc) if instead is None else f"{exc} ({instead})"
    return (
        f"{exc} (it has writes not yet in the file, in {shown_name(path + '-wal')}, and SQLite cannot read them "
        "where it may not write: open it once where the process may write its directory, and it is read from anywhere)"
    )


def not_a_file(path: str) -> str | None:
    """What ``path`` is when it is a device (``/dev/null``, a terminal) or a pipe (a FIFO, a socket), which
    SQLite cannot keep a database in; None for a file, or nothing there yet."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a pipe" if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


#: SQLite's code of a file that is no database.
_NOTADB = 26
#: SQLite's (extended) codes of a database it cannot make, and of one it may not write for its directory's sake.
_CANTOPEN, _READONLY_DIRECTORY = 14, 1544


def _directory_unwritten(path: str, exc: sqlite3.Error) -> str | None:
    """What to say of a database SQLite could not open for writing (``exc``) because the directory
    it is in cannot be written: a new one is made there, and an existing one's ``-wal`` and ``-shm``
    files are (SQLite said "unable to open database file", "attempt to write a readonly database");
    None for any other cause."""
    code = getattr(exc, "sqlite_errorcode", None)  # (Python 3.11+)
    folder = os.path.dirname(path) or os.getcwd()
    if code != _READONLY_DIRECTORY:
        if not (code == _CANTOPEN or (code is None and ("unable to open" in str(exc) or _read_only(exc)))):
            return None
        try:  # (as this process may write: its effective ids, where the system checks by them)
            if os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
                return None
        except OSError:
            return None
    made = os.path.exists(path)
    name = shown_name(os.path.basename(path))
    why = f"SQLite writes its journal beside it, {name}-wal and {name}-shm" if made else "the new database file is made in it"
    return (
        f"cannot {'write' if made else 'create'} the database {shown_name(path)}: its directory {shown_name(folder)} cannot be written"
        f" by this process ({why}): give a database file in a directory it may write" + ("; mapper serve --query reads one where it may not" if made else "")
    )


def _sinks_table(uri: str) -> Any:
    """The row saying the database at ``uri`` holds mapper serve's sinks table (None if not)."""
    con = sqlite3.connect(uri, uri=True)
    try:
        return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_mapper_sinks'").fetchone()
    finally:
        con.close()


def stored_sinks_problem(path: str) -> str | None:
    """Why ``path`` is no database ``mapper serve`` stored sinks into (None when it is one), read without writing to it."""
    shown = shown_name(path)
    if not Path(path).exists():
        return f"no database {shown} to query (--db names the file serve stored into)"
    if Path(path).is_dir():  # (SQLite says "disk I/O error")
        return f"cannot read the database {shown}: it is a directory, not a database file"
    try:
        try:
            found = _sinks_table(Path(path).resolve().as_uri() + "?mode=ro")
        except sqlite3.Error as exc:  # (in a directory it may not write: read as a file nothing writes, if that reads it all)
            unwritten = _unwritten_uri(path) if _read_only(exc) else None
            if unwritten is None:
                raise
            found = _sinks_table(unwritten)
    except sqlite3.Error as exc:
        return f"cannot read the database {shown}: {_unread_why(path, exc, made=False)}"
    if found is None:
        return f"{shown} holds no sinks of mapper serve (--db names the file serve stored into)"
    return None


def _foreign_tables(path: str) -> list[str] | None:
    """The tables (and views) of another program's database at ``path``, else None: a new or empty file, a database
    serve stored into, or one SQLite cannot read (the store says why when it opens it). Read without writing to it:
    opening another program's database as the store would write mapper's tables into it and switch it to WAL
    journaling for good."""
    try:
        if not Path(path).is_file() or Path(path).stat().st_size == 0:
            return None
        con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite~_%' ESCAPE '~'")]
        finally:
            con.close()
    except (OSError, sqlite3.Error):
        return None
    return None if not names or "_mapper_sinks" in names else names


def _foreign_said(path: str, names: list[str], store: bool) -> str:
    shown = ", ".join(repr(n) for n in names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
    who, give = ("a Store", "Store(path)") if store else ("serve", "--db")
    return (
        f"{shown_name(path)} holds no sinks of mapper serve (it is another program's database, holding {shown}: {who} would write its "
        f"own tables into it and switch it to WAL journaling for good): give {give} a new file, or one serve stored into"
    )


class ForeignDatabaseError(ServiceError):
    """:class:`Store` given a database of another program (:func:`_foreign_tables`), said to its
    Python caller; :meth:`said_to_serve` says it to ``mapper serve --db``, which leaves the check to the
    store (it read the file twice: once itself, once in the store)."""

    def __init__(self, path: str, tables: list[str]):
        super().__init__(500, INTERNAL, _foreign_said(path, tables, store=True))
        self.path, self.tables = path, tables

    def said_to_serve(self) -> str:
        return _foreign_said(self.path, self.tables, store=False)


#: What :func:`_json_or_unread` gives for a value it does not read as JSON.
_UNREAD = object()


def _json_or_unread(text: Any) -> Any:
    """``text`` (bytes or str) read as the service's decoder reads it (JSON's null as None); ``_UNREAD`` when it is no text."""
    if not isinstance(text, (bytes, bytearray, memoryview, str)):
        return _UNREAD
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    problem = body_problem(data)
    return service_loads(data) if problem is None else _Unreadable(problem)


@dataclass(frozen=True)
class _Unreadable:
    """Text the service's decoder does not take, and why."""

    problem: str


def _shape(doc: Any) -> str:
    """A few words on what a JSON document is, for a message."""
    if isinstance(doc, Mapping):
        keys = ", ".join(json.dumps(k, ensure_ascii=False)[:40] for k in list(doc)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(doc, list):
        return "an array (a bare definition: POST /v1/sinks takes the whole body)"
    return f"the JSON value {json.dumps(doc)[:40]}"


#: ``with`` gives the store itself: a subclass's own type, to a type checker
_St = TypeVar("_St", bound="Store")
_T = TypeVar("_T")


class Store:
    """The service's sinks and rows in one SQLite file (``":memory:"`` for a throwaway one).

    Thread-safe: one connection, one lock around every statement; mapping a request
    body runs outside the lock, so concurrent requests map in parallel and only their
    transactions queue. ``clock`` (epoch seconds) is injectable. ``writable``: a database
    file this process may only read is refused (a 500 :class:`~mapper.endpoint.ServiceError`)
    when True, and read when False (``mapper serve --query``).

    ``lock_wait``: the seconds a write (and the opening) waits for the lock another connection holds on the
    database (another ``mapper serve``, ``sqlite3`` in a transaction): then the write is a 503
    ``ServiceUnavailable`` with ``Retry-After`` (nothing stored), the opening a 500. The store's own lock is not
    held meanwhile: requests of other sinks, and reads, go on. ``waiting``: called once, with what it waits for,
    when the opening finds the database locked (``mapper serve`` says it on stderr at once).
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Callable[[], float] = time.time,
        writable: bool = True,
        lock_wait: float = 5.0,
        waiting: Callable[[str], None] | None = None,
    ):
        if writable is not True and writable is not False:
            raise OptionError(f"writable= is True or False, not {writable!r}")
        check_function("clock", clock, optional=False)  # (a TypeError at the first sink created)
        check_function("waiting", waiting)
        self.lock_wait: float = read_numbers({"lock_wait": lock_wait})["lock_wait"]
        if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):  # (str(None) made a database named "None")
            raise OptionError(f"Store takes a database file (a str or os.PathLike, or ':memory:'), not {type(path).__name__}")
        self.path = os.fspath(path)
        if not isinstance(self.path, str):  # (a PathLike giving bytes)
            raise OptionError(f"Store takes a database file named by a str, not {type(self.path).__name__}")
        self.clock = clock
        self.writable = writable
        #: set by :meth:`close`: a request still running then is answered 503 (:func:`closed_error`)
        self.closed = False
        self._sink_fields = _SINK_FIELDS  # (a column an earlier mapper's database lacks, read only: NULL)
        shown = shown_name(self.path)
        if self.path not in ("", ":memory:"):  # (SQLite says "unable to open database file" for either)
            where = Path(self.path)
            if where.is_dir():
                raise ServiceError(500, INTERNAL, f"cannot open the database {shown}: it is a directory, not a database file")
            if not where.parent.is_dir():
                raise ServiceError(500, INTERNAL, f"cannot open the database {shown}: no such directory {shown_name(where.parent)}")
            stream = not_a_file(self.path)
            if stream is not None:  # (SQLite said "disk I/O error", and made /dev/null-journal as root; serve --db says it first)
                raise ServiceError(500, INTERNAL, f"cannot open the database {shown}: it is {stream}, not a database file")
            # (SQLite reads a link itself and opens its target: another user's in /tmp, where the README's
            # --db /tmp/fb.db is, had this run make or write a database wherever it pointed)
            planted = planted_link_said(self.path) if writable else None
            if planted is not None:
                raise ServiceError(500, INTERNAL, planted.replace("cannot write", "cannot open the database", 1))
            # (opened as the store, read only too, it had mapper's tables written into it, as serve --db's was)
            foreign = _foreign_tables(self.path)
            if foreign is not None:
                raise ForeignDatabaseError(self.path, foreign)
        try:
            self._open_in_turn(shown, waiting)
        except sqlite3.Error as exc:
            # a database only read, in a directory it may not write: read as a file nothing writes, if that reads it all
            unwritten = None if writable or self.path in ("", ":memory:") or not _read_only(exc) else _unwritten_uri(self.path)
            if unwritten is None:
                said = _directory_unwritten(self.path, exc) if writable and self.path not in ("", ":memory:") else None
                locked = f" ({_LOCKED}, still after the {self.lock_wait:g} s this waited: --lock-wait)" if _busy(exc) else ""
                raise ServiceError(500, INTERNAL, said or f"cannot open the database {shown}: {_unread_why(self.path, exc, made=writable)}{locked}") from None
            try:
                self._open(unwritten, shown, uri=True)
            except sqlite3.Error as again:
                raise ServiceError(500, INTERNAL, f"cannot open the database {shown}: {again}") from None
        self.lock = threading.RLock()
        self._mappers: dict[str, Mapper] = {}
        self._tables: dict[str, _Table] = {}
        self._names: tuple[int, set[str]] | None = None  # (schema version, the database's table names, lowercase): see _table_names

    def _open_in_turn(self, shown: str, waiting: Callable[[str], None] | None) -> None:
        """The database opened (:meth:`_open`), waiting :attr:`lock_wait` s at most for the lock another connection holds,
        said to ``waiting`` at once (a serve started on a database so locked waited 30 s without a word, the port bound,
        its clients hanging)."""
        deadline = None
        while True:
            try:
                self._open(self.path, shown)
                return
            except sqlite3.Error as exc:
                if not _busy(exc):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.lock_wait
                    if waiting is not None and self.lock_wait > 0:
                        waiting(f"the database {shown} is locked ({_LOCKED}): waiting up to {self.lock_wait:g} s for it (--lock-wait)")
                if now >= deadline:
                    raise
                time.sleep(min(0.05, deadline - now))

    def _open(self, target: str, shown: str, *, uri: bool = False) -> None:
        """Connect to the database ``target`` (a file's name, or a URI), making the tables it lacks."""
        self.db = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=_SLICE, **({"uri": True} if uri else {}))
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            self._add_columns()
            if self.writable and self.path not in ("", ":memory:"):
                self._check_writable(shown)
            # when the next CREATING sink turns ACTIVE (None: none is CREATING); saves a write per request
            self._next_active: float | None = self._first_active_at()
        except BaseException:  # (the file is not kept open by a Store never made; a table of that name from another program fails here)
            self.db.close()
            raise

    def _check_writable(self, shown: str) -> None:
        """A database the process may only read (no write permission, a read-only mount) is opened by
        SQLite read-only without a word: said now, not as a 500 for each request (serve said "listening")."""
        try:
            self.db.execute("UPDATE _mapper_sinks SET id = id WHERE 0")  # (a write that changes nothing: the file is not touched)
        except sqlite3.OperationalError as exc:
            if not _read_only(exc):
                raise
            raise ServiceError(
                500, INTERNAL, f"cannot write the database {shown}: {exc} (a file this process may only read; mapper serve --query reads one)"
            ) from None

    def _add_columns(self) -> None:
        """The columns of ``_mapper_sinks`` a database made by an earlier mapper lacks (the last records refused, the records merged)."""
        have = {r[1] for r in self.db.execute("PRAGMA table_info(_mapper_sinks)")}
        for name, kind in (("last_refused", "TEXT"), ("last_refused_at", "REAL"), ("records_merged", "INTEGER")):
            if name not in have:
                try:
                    self.db.execute(f"ALTER TABLE _mapper_sinks ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as exc:  # (another process added it just now)
                    if not self.writable and _read_only(exc):  # (a database --query may only read: read without it)
                        self._sink_fields = ", ".join(f"NULL AS {f}" if f == name else f for f in self._sink_fields.split(", "))
                    elif "duplicate column" not in str(exc):
                        raise

    def close(self) -> None:
        with self.lock:  # (a transaction under way ends first)
            self.closed = True
            self.db.close()

    def __enter__(self: _St) -> _St:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ sinks

    @_reads
    def create_sink(
        self,
        definition: Sink | Mapper | SinkSource,
        *,
        sink_id: str | None = None,
        activate_after: float = 0.0,
        exist_ok: bool = False,
        body_form: bool = False,
    ) -> SinkInfo:
        """Create a sink from a definition (a :class:`mapper.Sink`, a :class:`mapper.Mapper`, whose compiled sink is
        kept rather than compiled again, or anything :func:`mapper.check_sink` reads).

        The sink is CREATING for ``activate_after`` seconds (a finite number, 0 or more), then ACTIVE
        (only an ACTIVE sink takes data). ``sink_id`` defaults to the sink's name (or the name of the file
        it was read from; a sink with neither needs it). A sink that exists
        already: returned as it is when ``exist_ok`` and its definition is the same,
        else a 409 ``ResourceAlreadyExists``. ``body_form``: only the full ``POST
        /v1/sinks`` body is accepted (as the service does). A definition with errors
        raises 400 ``InvalidParameter`` naming each (``.problems`` holds them).
        """
        # (None or a str was a TypeError inside the transaction, left open: every later create_sink failed; NaN was 0;
        # inf kept the sink CREATING forever, and an integer past a float's range was an OverflowError)
        activate_after = real_number(activate_after, "activate_after=", least=0, of="seconds")
        for what, flag in (("exist_ok", exist_ok), ("body_form", body_form)):
            if flag is not True and flag is not False:
                raise OptionError(f"{what}= is True or False, not {flag!r}")
        if sink_id is not None:  # (0 or [] took the sink's name; a number was a TypeError from re)
            _sink_id(sink_id)
        compiled = None
        if isinstance(definition, Mapper):  # (compiled from a Sink checked or built by hand: judged as one, and not compiled again)
            compiled, definition = definition, definition.sink
        if isinstance(definition, Sink):
            sink = definition
            if not sink._checked:  # (built by hand: judged before its body is written, which orjson refused for sink_details no JSON holds)
                problems = hand_built_problems(sink)
                if problems:
                    raise DefinitionError(problems, sink.source)
        else:
            if body_form:  # the form first: a readable document that is no sink body is the body's fault, whatever else it has
                doc = definition if isinstance(definition, Mapping) else _json_or_unread(definition)
                if doc is not _UNREAD and not isinstance(doc, _Unreadable) and not (isinstance(doc, Mapping) and "schema" in doc):
                    raise ServiceError(400, INVALID_BODY, f'the body must be a sink: {{"name", "sink_details", "schema"}}, not {_shape(doc)}')
            result = check_sink(definition)
            errors = [p for p in result.problems if p.severity == "error"]
            # the text is no definition (an empty *document*; an empty definition array is a parameter error)
            unreadable = any(p.code in ("invalid-json", "invalid-utf8", "too-deep") or (p.code == "empty" and not p.pointer) for p in errors)
            if body_form and isinstance(doc, _Unreadable) and not unreadable:
                # text check_sink's reader takes but the service's decoder (Go's) does not: a number beyond float64
                raise ServiceError(400, INVALID_BODY, f"the body is no JSON the service takes: {doc.problem}")
            if result.sink is None:
                text = "; ".join(f"{p.pointer or '(document)'}: {p.message.splitlines()[0]}" for p in errors[:20])
                raise SinkRefused(400, INVALID_BODY if unreadable else INVALID_PARAMETER, f"invalid sink definition: {text}", result.problems)
            sink = result.sink
            if body_form and sink.form != "body":
                raise ServiceError(400, INVALID_BODY, 'the body must be a sink: {"name", "sink_details", "schema"}')
        if sink_id is None and not sink.name and not sink.source:  # (it was the sink "s": a second such sink a 409 for a name never given)
            raise ServiceError(400, INVALID_PARAMETER, "the sink has no name to be its id, nor a file to be named after: give it a name, or sink_id=")
        sid = sink_id if sink_id is not None else sink.name or _slug(Path(sink.source).stem if sink.source else "")
        if not _NAME_RULE.fullmatch(sid):
            raise ServiceError(
                400, INVALID_PARAMETER, f"a sink id is lowercase letters, digits, - and _, starting with a letter (at most 230): not {sid[:80]!r}"
            )
        body = sink.to_body()
        body["name"] = sink.name or sid
        text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
        with self.lock:
            existing = self._existing(sid, text, exist_ok)
        if existing is not None:
            return existing
        # Compiled outside the lock (a big definition takes seconds; every other request
        # would wait): the sink is created below, in one transaction, only if its id is still free.
        if compiled is None:
            compiled = Mapper(sink)
        now = self.clock()

        def create() -> SinkInfo:
            # The id and the table's name are looked up inside the transaction: another process
            # on this database (a second serve) creating this sink, or a table of the name planned,
            # between a look before it and BEGIN failed the INSERT (500, "UNIQUE constraint failed").
            self.db.execute("BEGIN IMMEDIATE")
            existing = self._existing(sid, text, exist_ok)
            if existing is not None:
                self.db.execute("COMMIT")  # (reading it may have turned a CREATING sink ACTIVE)
                return existing
            table = _plan_table(sid, sink, self._table_names())
            most = _max_columns(self.db) - 2  # beside _id and _state
            if len(table.columns) > most:
                raise ServiceError(
                    400, INVALID_PARAMETER, f"the sink stores {len(table.columns):,} columns: this local service (a SQLite table) holds at most {most:,}"
                )
            before = self._schema_version()  # (no other writer until COMMIT)
            self.db.execute(
                "INSERT INTO _mapper_sinks (id, name, definition, state, created_at, active_at, table_name, records_merged) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (sid, body["name"], text, ACTIVE if activate_after <= 0 else CREATING, now, now + max(0.0, activate_after), table.name),
            )
            self.db.executemany(
                "INSERT INTO _mapper_columns (sink_id, position, name, type, write, sql_name) VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, i, n, t, w, q) for i, (n, t, w, q) in enumerate(table.columns)],
            )
            cols = "".join(f", {_q(q)}" for _n, _t, _w, q in table.columns)
            self.db.execute(f"CREATE TABLE {_q(table.name)} (_id NOT NULL PRIMARY KEY, _state TEXT NOT NULL{cols})")
            after = self._schema_version()
            self.db.execute("COMMIT")
            if self._names is not None and self._names[0] == before:  # the names read hold all but this table's
                self._names[1].add(table.name.lower())
                self._names = (after, self._names[1])
            if activate_after > 0:
                at = now + activate_after
                self._next_active = at if self._next_active is None else min(self._next_active, at)
            self._mappers[sid] = compiled
            return self.sink(sid)

        return self._in_turn("cannot create the sink", create)

    def _existing(self, sid: str, text: str, exist_ok: bool) -> SinkInfo | None:
        """The sink ``sid`` when it exists with the definition ``text`` and ``exist_ok``; None when there is none; else 409 (under the lock)."""
        row = self.db.execute("SELECT definition FROM _mapper_sinks WHERE id = ?", (sid,)).fetchone()
        if row is None:
            return None
        if exist_ok and row[0] == text:
            return self.sink(sid)
        raise ServiceError(409, ALREADY_EXISTS, f"a sink {sid!r} exists already" + (" with another definition" if exist_ok else ""))

    def _schema_version(self) -> int:
        version: int = self.db.execute("PRAGMA schema_version").fetchone()[0]
        return version

    def _table_names(self) -> set[str]:
        """The database's table (and index) names, lowercase; read again only when the schema
        changed since (another process's sink, say): read for each sink created, they cost the
        sinks before it (4,000 sinks took 18 s to create, quadratic; 9.6 s so)."""
        version = self._schema_version()
        if self._names is None or self._names[0] != version:
            self._names = (version, {r[0].lower() for r in self.db.execute("SELECT name FROM sqlite_master")})
        return self._names[1]

    @_reads
    def list_sinks(self) -> list[SinkInfo]:
        """Every sink, oldest first."""
        with self.lock:
            self._activate()
            rows = self.db.execute(f"SELECT {self._sink_fields} FROM _mapper_sinks ORDER BY created_at, id").fetchall()
            if any(r[2] == CREATING for r in rows) and self._activate(others=True):
                rows = self.db.execute(f"SELECT {self._sink_fields} FROM _mapper_sinks ORDER BY created_at, id").fetchall()
        return [_sink_info(r) for r in rows]

    @_reads
    def sink(self, sink_id: str) -> SinkInfo:
        """One sink's details; 404 ``ResourceNotFound`` when there is none."""
        _known_id(sink_id)
        with self.lock:
            self._activate()
            row = self.db.execute(f"SELECT {self._sink_fields} FROM _mapper_sinks WHERE id = ?", (sink_id,)).fetchone()
            if row is not None and row[2] == CREATING and self._activate(others=True):
                row = self.db.execute(f"SELECT {self._sink_fields} FROM _mapper_sinks WHERE id = ?", (sink_id,)).fetchone()
        if row is None:
            raise ServiceError(404, NOT_FOUND, f"no sink {sink_id[:80]!r}")
        return _sink_info(row)

    def _activate(self, others: bool = False) -> bool:
        """A sink is CREATING for a moment, as the service's are; it turns ACTIVE when read after its time.
        Whether any turned. ``others``: a CREATING sink was read, maybe one another process on this database
        created, whose time this one's cache (``_next_active``) does not hold: read it from the database
        (else a second serve, or a Store in a script, answered "CREATING" for it for as long as it ran)."""
        if others:
            self._next_active = self._first_active_at()
        if self._next_active is None or self.clock() < self._next_active:
            return False
        try:
            self.db.execute("UPDATE _mapper_sinks SET state = ? WHERE state = ? AND active_at <= ?", (ACTIVE, CREATING, self.clock()))
        except sqlite3.OperationalError as exc:
            if _busy(exc):  # (the lock another connection holds: it turns at a read once the lock is free, not waited for here)
                return False
            if self.writable or not _read_only(exc):
                raise
            return False  # a database this store may only read (--query): its sinks are read as they are stored
        self._next_active = self._first_active_at()
        return True

    def _first_active_at(self) -> float | None:
        """When the first CREATING sink turns ACTIVE (None: none is CREATING)."""
        at: float | None = self.db.execute("SELECT min(active_at) FROM _mapper_sinks WHERE state = ?", (CREATING,)).fetchone()[0]
        return at

    @_reads
    def mapper(self, sink_id: str) -> Mapper:
        """The compiled sink (compiled once per process)."""
        m = self._mappers.get(_sink_id(sink_id))
        if m is None:
            info = self.sink(sink_id)
            try:
                with stored_sink_names():  # (a sink stored by a mapper that took names FeatureBase refuses, from a definition or a Sink built in Python)
                    sink = load_sink(info.definition)
            except MapperError as exc:
                lines = str(exc).splitlines()
                raise _UnreadableRow(f"the stored definition of sink {sink_id!r} does not load: {(lines[1:] or lines)[0].strip()}") from None
            m = self._mappers[sink_id] = Mapper(sink)
        return m

    @_reads
    def _table(self, sink_id: str) -> _Table:
        t = self._tables.get(_known_id(sink_id))
        if t is not None:
            return t
        with self.lock:
            row = self.db.execute("SELECT table_name FROM _mapper_sinks WHERE id = ?", (sink_id,)).fetchone()
            if row is None:
                raise ServiceError(404, NOT_FOUND, f"no sink {sink_id[:80]!r}")
            cols = self.db.execute("SELECT name, type, write, sql_name FROM _mapper_columns WHERE sink_id = ? ORDER BY position", (sink_id,)).fetchall()
        t = _Table(row[0], [tuple(c) for c in cols], self.mapper(sink_id).sink.id_kind)  # type: ignore[misc]
        names = ["_id", "_state"] + [q for _n, _t, _w, q in t.columns]
        t.upsert = (
            f"INSERT INTO {_q(t.name)} ({', '.join(map(_q, names))}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT(_id) DO UPDATE SET {', '.join(f'{_q(n)} = excluded.{_q(n)}' for n in names[1:])}"
        )
        t.select = f"SELECT {', '.join(map(_q, names))} FROM {_q(t.name)}"
        self._tables[sink_id] = t
        return t

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        sink_id: str,
        body: bytes | str,
        *,
        admit: Callable[[int, int], None] | None = None,
        answered: Callable[[dict[str, Any], Report], dict[str, Any]] | None = None,
    ) -> IngestResult:
        """Take one request body as the service does, in one transaction.

        Answers record by record as ``mapper validate --report endpoint`` does (the same
        engine). Raises :class:`~mapper.endpoint.ServiceError`: 404 for an unknown sink,
        400 ``InvalidBody`` for a body that is not ``{"records": [...]}`` of strict JSON,
        400 ``InvalidParameter`` for a sink that is not ACTIVE, whatever ``admit(records,
        bytes)`` raises (the server's throttle, called once the sink's mapper and table are found), 500 when the database fails (then nothing
        of the body is stored). ``answered(answer, report)``: the answer in the words the sink's
        last error (a body discarded whole) or last refused records (records refused one by
        one) quote (a UI that built the body from a paste places each record in the paste); the answer returned is the endpoint's.
        """
        for what, hook in (("admit", admit), ("answered", answered)):
            check_function(what, hook)  # (a TypeError once the body was read, or, for answered, once stored)
        body = body_data(body)
        info = self.sink(sink_id)
        count = parse_body(body)
        if info.state != ACTIVE:
            raise ServiceError(400, INVALID_PARAMETER, f"sink {sink_id!r} is {info.state}: only an ACTIVE sink takes data (GET /v2/sinks)")
        # the sink's mapper and table before the throttle: a definition that no longer loads, a database that cannot be
        # read, is the 500 it is, at no cost to the budget (taken first, quick retries were 400 ResourceThroughputExceeded)
        m = self.mapper(sink_id)
        table = self._table(sink_id)
        if admit is not None:
            admit(count, len(body))
        # One engine pass: map()'s report is the one validate() gives for the same body
        # (the endpoint's policy), so its endpoint_answer() is validate --report endpoint's
        # (tests/test_send_serve.py compares them), and the batch holds the rows to write.
        batch: Batch | None
        try:
            batch = m.map(body, input_format="endpoint", max_record_size=body_record_limit(body))  # (no record refused for its size)
            report = batch.report
        except BatchRejected as exc:
            batch, report = None, exc.report
        answer = report.endpoint_answer()
        written = batch.count if batch is not None else 0
        shown = answer if answered is None or not answer["error_count"] else answered(answer, report)
        error = None if batch is not None else _discarded_error(shown, report)[:2000]
        # records refused one by one, the request taken: said with the source too (only counted, no one could see why)
        refused = _refused_note(shown) if batch is not None and answer["error_count"] else None

        def store() -> None:
            self.db.execute("BEGIN IMMEDIATE")
            merged = self._write(table, batch) if batch is not None else 0
            self.db.execute(
                "UPDATE _mapper_sinks SET requests = requests + 1, records_stored = records_stored + ?, records_refused = records_refused + ?, "
                "records_merged = records_merged + ? WHERE id = ?",
                (answer["success_count"], answer["error_count"], merged, sink_id),
            )
            if error is not None:  # (in the same transaction: the log and the counters agree, whatever kills the process)
                self.db.execute("UPDATE _mapper_sinks SET last_error = ?, last_error_at = ? WHERE id = ?", (error, self.clock(), sink_id))
            if refused is not None:
                self.db.execute("UPDATE _mapper_sinks SET last_refused = ?, last_refused_at = ? WHERE id = ?", (refused, self.clock(), sink_id))
            self.db.execute("COMMIT")

        self._in_turn("cannot store the request", store)
        return IngestResult(answer, written, report, error)

    def _in_turn(self, what: str, transaction: Callable[[], _T]) -> _T:
        """``transaction`` (BEGIN IMMEDIATE ... COMMIT) run under the store's lock, rolled back if it fails (a 500 saying
        ``what`` failed: :func:`_write_error`). Met with the database locked by another connection, it is run again, the
        store's lock let go between the turns (:data:`_SLICE` each), until :attr:`lock_wait` seconds have passed: then a
        503 (:func:`_locked_error`). (It waited 30 s in one statement, the store's lock held: every request of every sink
        waited behind it, then got a 500.)"""
        deadline = None
        pause = 0.01
        while True:
            with self.lock:
                try:
                    return transaction()
                except sqlite3.Error as exc:
                    self._rollback()
                    if not _busy(exc) or self.closed:
                        raise _write_error(self, what, exc) from None
                except BaseException:  # (a bug, a signal's exception): left open, the transaction held the write lock and the next request's BEGIN failed
                    self._rollback()
                    raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.lock_wait
            if now >= deadline:
                raise _locked_error(self, what, stored=True)
            time.sleep(min(pause, deadline - now))
            pause = min(2 * pause, 0.1)

    def note_error(self, sink_id: str, error: ServiceError) -> None:
        """Count a refused request and keep its error as the sink's last (for a UI)."""
        _known_id(sink_id)  # (a lone surrogate: 404, as sink() says it; sqlite3 raised UnicodeEncodeError binding it)
        with self.lock:
            try:
                self.db.execute(
                    "UPDATE _mapper_sinks SET requests = requests + 1, requests_refused = requests_refused + 1, last_error = ?, last_error_at = ? WHERE id = ?",
                    (f"{error.status} {error.code}: {error.message}"[:2000], self.clock(), sink_id),
                )
            except sqlite3.Error:  # pragma: no cover - the counters are a courtesy; the answer matters
                pass

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:  # no transaction open
            pass

    def _write(self, table: _Table, batch: Batch) -> int:
        """Upsert the rows of one request (inside its transaction), in order: a later row sees an earlier one's writes.

        Returns how many of its records went to an ``_id`` a row held already (stored before, or
        an earlier record of the request): the records that made no row of their own."""
        if not batch.count:
            return 0
        id_of = _id_encoder(table.id_kind)
        keys = [id_of(k) for k in batch.ids.tolist()]
        unique = list(dict.fromkeys(keys))
        current: dict[Any, tuple[list[str], list[Any]]] = {}
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            sql = f"{table.select} WHERE _id IN ({', '.join('?' * len(part))})"
            for rec in self.db.execute(sql, part):
                current[rec[0]] = _stored(table, rec)
        merged = len(keys) - len(unique) + len(current)
        if not current and len(unique) == len(keys) and not any(w == "signed" for _n, _t, w, _q in table.columns):
            self._write_new(table, batch, keys)
            return 0
        width = len(table.columns)
        # each set cell written, with its members as a set beside the list: a cell's members are
        # looked up, not copied into a new set per record (a body of 1,000 records adding to one
        # _id's set held the store's lock, every sink's requests waiting, 8 s: quadratic)
        members: dict[tuple[Any, int], set[Any]] = {}
        for row in batch.iter_rows():
            key = id_of(row["_id"])
            state, values = current.get(key) or (["-"] * width, [None] * width)
            for i, (name, _t, write, _q) in enumerate(table.columns):
                if name not in row:
                    continue  # missing: the stored value is left alone
                value = row[name]
                if value is None:  # null: the stored value is cleared
                    state[i], values[i] = "n", None
                    members.pop((key, i), None)
                    continue
                if write == "replace":
                    values[i] = value
                    state[i] = "v"
                    continue
                if state[i] != "v":
                    values[i], state[i] = [], "v"
                    members.pop((key, i), None)
                found = members.get((key, i))
                seen = members[(key, i)] = set(values[i]) if found is None else found
                cell = values[i]
                if write == "signed" and value <= 0:  # signedIntBoolKey: a value not positive clears row -v (0: row 0)
                    if -value in seen:
                        seen.discard(-value)
                        cell[:] = [v for v in cell if v != -value]
                    continue
                for v in value if isinstance(value, list) else (value,):  # a set's members added (a positive signed value: row v set)
                    if v not in seen:
                        seen.add(v)
                        cell.append(v)
            current[key] = (state, values)
        params = []
        for key in unique:
            state, values = current[key]
            params.append([key, "".join(state), *[_encode(v, w) if s == "v" else None for v, s, (_n, _t, w, _q) in zip(values, state, table.columns)]])
        self.db.executemany(table.upsert, params)
        return merged

    def _write_new(self, table: _Table, batch: Batch, keys: list[Any]) -> None:
        """Rows whose ids are new to the table and distinct in the request (a stream's usual case): what was sent is what is held.

        Column by column from the masks rather than row by row: the same result as the
        general path, several times faster on wide requests.
        """
        states = []
        values = []
        for name, _t, write, _q in table.columns:
            col = batch.columns[name]
            states.append(np.where(col.valid, "v", np.where(col.present, "n", "-")).tolist())
            canon = col.canonical()
            if write != "replace":  # a set (or a non-mutex scalar: a set of one), as JSON text
                values.append([None if v is MISSING or v is None else orjson.dumps(v if isinstance(v, list) else [v]).decode() for v in canon])
            elif col.values.dtype == np.uint64 and len(col.values) and int(col.values.max()) > _INT64_MAX:
                values.append([None if v is MISSING else _encode(v, write) for v in canon])
            else:
                values.append([None if v is MISSING else v for v in canon])
        joined = list(map("".join, zip(*states))) if states else [""] * len(keys)
        self.db.executemany(table.upsert, list(zip(keys, joined, *values)))

    # ------------------------------------------------------------------ query

    @_reads
    def rows(self, sink_id: str, *, offset: int = 0, limit: int | None = 100) -> RowsPage:
        """A page of rows in insertion order (an upsert keeps a row's place), canonical as ``mapper map -o -`` writes them."""
        offset, limit = _whole_options(offset=offset, limit=limit)
        table = self._table(sink_id)
        offset = min(max(0, offset), _MAX_SQL_INT)  # SQLite's (and JSON's) integers end at 2^63 - 1: past every row anyway
        with self.lock:
            total = self.db.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchone()[0]
            recs = self.db.execute(
                f"{table.select} ORDER BY rowid LIMIT ? OFFSET ?", (-1 if limit is None else min(max(0, limit), _MAX_SQL_INT), offset)
            ).fetchall()
        rows = [self._row(table, rec) for rec in recs]
        return RowsPage(sink_id, [(n, t) for n, t, _w, _q in table.columns], rows, total, offset, limit)

    def iter_rows(self, sink_id: str, page: int = 1000, *, offset: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row (past ``offset``, at most ``limit``), in insertion order, read ``page`` rows at a time.

        Each page goes on after the last row read (by rowid): a page costs its own rows, where
        paging by ``OFFSET`` cost every row before it (quadratic over a table).
        """
        page, offset, limit = _whole_options(page=page, offset=offset, limit=limit)  # (at the first row asked for, as a sink that does not exist)
        table = self._table(sink_id)  # (a sink that does not exist: raised at the first row asked for)
        select = table.select.replace("SELECT ", "SELECT rowid, ", 1)
        page = min(max(1, page), _MAX_SQL_INT)  # (beyond SQLite's integers, an OverflowError)
        left = None if limit is None else max(0, limit)
        after: int | None = None
        while left is None or left > 0:
            n = page if left is None else min(page, left)
            try:
                with self.lock:
                    if after is None:
                        start = min(max(0, offset), _MAX_SQL_INT)
                        recs = self.db.execute(f"{select} ORDER BY rowid LIMIT ? OFFSET ?", (n, start)).fetchall()
                    else:
                        recs = self.db.execute(f"{select} WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, n)).fetchall()
            except sqlite3.Error as exc:  # (@_reads would see a generator's reads only after the call)
                raise _read_error(self, exc) from None
            for rec in recs:
                try:
                    row = self._row(table, rec[1:])
                except sqlite3.Error as exc:  # a damaged row (as above)
                    raise _read_error(self, exc) from None
                yield row
            if len(recs) < n:
                return
            after = recs[-1][0]
            if left is not None:
                left -= len(recs)

    @staticmethod
    def _row(table: _Table, rec: tuple[Any, ...]) -> dict[str, Any]:
        state, values = _stored(table, rec)
        key = rec[0]
        out: dict[str, Any] = {"_id": int(key) if table.id_kind == "uint64" else key}
        for (name, _t, _w, _q), s, value in zip(table.columns, state, values):
            if s == "v":
                out[name] = value
            elif s == "n":
                out[name] = None
        return out


# ---------------------------------------------------------------------------------------
# Values in and out of SQLite


def _refused_note(answer: dict[str, Any]) -> str:
    """A sink's last records refused: how many of the body's, and the first one's answer (its code and message)."""
    failed = [r for r in answer["records"] if r.get("status") == "error"]
    n = len(answer["records"])
    first = failed[0] if failed else {}
    return f"{len(failed):,} of {n:,} record{'s' * (n != 1)} refused; the first: {first.get('error_code')}: {first.get('error_message')}"[:2000]


def _discarded_error(answer: dict[str, Any], report: Report) -> str:
    """The sink's last error for a body discarded whole (the seed page: the endpoint "discard[s] the entire
    batch of records sent and log[s] an error"): how many records, why, and the first record missing a value
    (answered ``MissingField``: what discarded it; a bad value before it, refused alone, was quoted instead),
    else the first that failed (its missing values beside an error of its own, which its answer quotes)."""
    failed = [r for r in answer["records"] if r.get("error_code") not in (None, BATCH_DISCARDED)]
    missing = next((r["error_message"] for r in failed if r.get("error_code") == MISSING_FIELD), "")
    first = missing or next((r["error_message"] for r in failed), "")
    n = len(answer["records"])
    why = report.reject_reason or "a record failed"
    said = "the first record missing a value" if missing else "the first that failed"
    return f"{BATCH_DISCARDED}: the body's {n:,} record{'s' * (n != 1)} {'was' if n == 1 else 'were'} discarded ({why})" + (
        f"; {said}: {first}" if first else ""
    )


def _slug(text: str) -> str:
    """A sink id from a file name: lowercase, other characters as ``_``, starting with a letter."""
    slug = re.sub(r"[^a-z0-9_-]", "_", text.lower())[:229]
    return slug if slug[:1].isalpha() else f"s{slug}"[:230]


def _q(name: str) -> str:
    """An SQL identifier, quoted (names come from sink definitions: user data)."""
    return '"' + name.replace('"', '""') + '"'


_ROWID_NAMES = ("rowid", "oid", "_rowid_")


def _max_columns(db: sqlite3.Connection) -> int:
    """Columns a table may have in this SQLite build (2,000 by default)."""
    getlimit, which = getattr(db, "getlimit", None), getattr(sqlite3, "SQLITE_LIMIT_COLUMN", None)
    return int(getlimit(which)) if getlimit is not None and which is not None else 2000  # (getlimit: Python 3.11+)


def _plan_table(sink_id: str, sink: Sink, taken: set[str]) -> _Table:
    """The data table's name and SQL column names: the sink's own where SQL can take them."""
    name = sink_id if not sink_id.startswith("sqlite_") and sink_id.lower() not in taken else f"t_{sink_id}"
    while name.lower() in taken:
        name += "_"
    used = {"_id", "_state", *_ROWID_NAMES}  # a column named rowid would hide SQLite's (the rows' order)
    cols = []
    for i, col in enumerate(sink.stored_columns):
        sql = col.name
        # SQLite column names are case-insensitive: a clash gets a positional name; so does
        # a name SQL text cannot hold (a NUL ends SQLite's statement text)
        if sql.lower() in used or not sql or not _sql_spellable(sql):
            sql = f"c{i}"
            while sql.lower() in used:
                sql += "_"
        used.add(sql.lower())
        cols.append((col.name, col.type, write_kind(col), sql))
    return _Table(name, cols, sink.id_kind)


def _sql_spellable(name: str) -> bool:
    """Whether ``name`` can be an SQL identifier (quoted): no NUL, and UTF-8 text."""
    if "\x00" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _id_encoder(kind: str) -> Callable[[Any], Any]:
    if kind == "uint64":
        return lambda v: v if v <= _INT64_MAX else str(v)
    return lambda v: v


def _encode(value: Any, write: str) -> Any:
    if write != "replace":
        return orjson.dumps(value).decode()
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value <= _INT64_MAX:
        return str(value)
    return value


def _stored(table: _Table, rec: tuple[Any, ...]) -> tuple[list[str], list[Any]]:
    """A data row's ``_state`` letters and decoded values; :class:`_UnreadableRow` when it is
    damaged (edited by hand, or by another program): a 500 naming the file, not a traceback."""
    key, state = rec[0], rec[1]
    try:
        if not isinstance(state, str) or len(state) != len(table.columns) or state.strip("vn-"):
            raise ValueError(f"its _state {preview(repr(state), 80)} is not one of v, n, - per column ({len(table.columns)})")
        if table.id_kind == "uint64":
            int(key)
        values = [_decode(v, t, w) if s == "v" else None for v, s, (_n, t, w, _q) in zip(rec[2:], state, table.columns)]
        for value, s, (name, t, w, _q) in zip(values, state, table.columns):
            # a set's cell is an array of its column's members (ids, strings, a signedIntBoolKey's rows): other
            # JSON (edited by hand) failed the next upsert with a TypeError, or was served as it stood ([true])
            if s == "v" and w != "replace" and not (isinstance(value, list) and all(map(_MEMBER[t], value))):
                raise ValueError(f"its {name!r} cell {preview(orjson.dumps(value).decode(), 80)} is not a JSON array of ids or strings")
    except (ValueError, TypeError, OverflowError) as exc:  # (orjson's JSONDecodeError is a ValueError)
        raise _UnreadableRow(f"the row of _id {preview(repr(key), 80)} in table {table.name!r} is damaged: {exc}") from None
    return list(state), values


#: Whether a stored set's member is one its column's type holds, by type (``_stored``; a bool is no int here).
_MEMBER: dict[str, Callable[[Any], bool]] = {
    "ids": lambda m: type(m) is int and 0 <= m < 2**64,
    "id": lambda m: type(m) is int and 0 <= m < 2**64,
    "strings": lambda m: type(m) is str,
    "string": lambda m: type(m) is str,
    "signedIntBoolKey": lambda m: type(m) is int and -(2**63) <= m <= _INT64_MAX,
}


def _decode(value: Any, ctype: str, write: str) -> Any:
    if value is None:
        return None
    if write != "replace":
        return orjson.loads(value)
    if ctype == "bool":
        return bool(value)
    if ctype == "id" and isinstance(value, str):
        return int(value)
    return value


_SINK_FIELDS = (
    "id, name, state, definition, created_at, table_name, requests, requests_refused, records_stored, records_refused, "
    "last_error, last_error_at, last_refused, last_refused_at, records_merged"
)


def _sink_info(row: tuple[Any, ...]) -> SinkInfo:
    try:
        definition = orjson.loads(row[3])
    except orjson.JSONDecodeError as exc:
        raise _UnreadableRow(f"the stored definition of sink {row[0]!r} is not JSON ({exc})") from None
    return SinkInfo(row[0], row[1], row[2], definition, row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13], row[14])


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1000):03d}Z"


def _sink_id(sink_id: Any) -> str:
    """A sink id given from Python, or an OptionError (a wrong type was a TypeError or an
    AttributeError from inside sqlite3 or the 404's wording)."""
    if not isinstance(sink_id, str):
        raise OptionError(f"a sink id is a str, not {type(sink_id).__name__}")
    return sink_id


def _known_id(sink_id: Any) -> str:
    """A sink id to look up (:func:`_sink_id`); 404 for one that is no UTF-8 text (a lone
    surrogate, as ``os.fsdecode`` makes of a name's bytes), which no sink has: sqlite3 raised
    its UnicodeEncodeError binding it (a ``sink("\\udcff")`` was a traceback, not "no sink")."""
    _sink_id(sink_id)
    try:
        sink_id.encode("utf-8")
    except UnicodeEncodeError:
        raise ServiceError(404, NOT_FOUND, f"no sink {sink_id[:80]!r}") from None
    return sink_id


def _whole_options(**values: Any) -> list[Any]:
    """Integer options given from Python (``limit`` may be None), as ints (np.int64(5) taken, as
    every integer option of the API takes it: sqlite3 cannot bind it), or an OptionError naming
    the one that is not."""
    # (a negative one was read as 0, and a page of limit=-1 said so: what GET .../rows and serve --query refuse)
    return [
        None
        if value is None and name == "limit"
        else whole_number(value, f"{name}=", least=1 if name == "page" else 0, of="rows", why=" (or None)" if name == "limit" else "")
        for name, value in values.items()
    ]
