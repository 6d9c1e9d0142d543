"""The databases and tables a local service offers the New Source form.

The seed's form picks "a database using a dropdown", then "a table using a dropdown ...
populated by all the tables in your database". Locally those are registered when
``mapper serve`` starts::

    mapper serve --table examples/aircraft/table.sql              # database "local"
    mapper serve --table flights=schema.sql --table web=clicks.sql

Each FILE holds one or more FeatureBase ``CREATE TABLE`` statements (separated by
``;``), read by :mod:`mapper.table` as ``mapper check`` reads the UI form's table. A
database's id is a UUID derived from its name (``uuid5``), so the ``database_id`` in a
sink's ``sink_details`` names the same database each time the service starts.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..endpoint import INVALID_PARAMETER, ServiceError
from ..errors import MapperError, cannot_open, preview, shown_name
from ..table import Table, TableSyntaxError, analyze_create_table, split_statements

__all__ = ["DEFAULT_DATABASE", "Catalog", "CatalogTable", "Database", "database_id", "load_catalog"]

#: The database of a ``--table FILE`` given without ``DATABASE=``.
DEFAULT_DATABASE = "local"

_NAMESPACE = uuid.UUID("5d0c6c3e-7f1b-4a53-9d8e-6d6170706572")  # fixed: ids stay the same across restarts
_DB_NAME = re.compile(r"[a-z][a-z0-9_-]{0,229}")
_DB_NAME_RULE = "a database name is lowercase letters, digits, '-' and '_', starting with a letter (at most 230 characters)"


def database_id(name: str) -> str:
    """The UUID of the database called ``name`` (the same on every start)."""
    return str(uuid.uuid5(_NAMESPACE, name))


@dataclass(frozen=True)
class CatalogTable:
    """A registered table: the statement as written (``sql``), parsed (``table``), and where it came from."""

    name: str
    sql: str
    table: Table = field(repr=False)
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sql": self.sql,
            "comment": self.table.comment,
            "source": self.source,
            "columns": [{"name": c.name, "type": c.type, "sql_type": c.sql_type, "sql": c.to_sql()} for c in self.table.columns],
        }


@dataclass
class Database:
    """A database: its id (a UUID), its name and its tables by name."""

    id: str
    name: str
    tables: dict[str, CatalogTable] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "tables": [t.to_json() for t in self.tables.values()]}


class Catalog:
    """Databases by id, in the order they were registered. Read-only once the service runs."""

    def __init__(self) -> None:
        self.databases: dict[str, Database] = {}

    def add(self, database: str, sql: str, source: str = "") -> list[CatalogTable]:
        """Register every ``CREATE TABLE`` statement of ``sql`` in ``database``; raise :class:`~mapper.errors.MapperError` naming the first error.

        Errors name ``source``, the line and the column in the whole script.
        """
        if not _DB_NAME.fullmatch(database):
            raise MapperError(f"database name {preview(database)!r}: {_DB_NAME_RULE}")
        where = shown_name(source) if source else "the tables"  # (a message prints the name escaped; the entry keeps it)
        try:
            spans = split_statements(sql)
        except TableSyntaxError as exc:
            raise MapperError(f"{where}: {exc.render()}") from None
        if not spans:
            raise MapperError(f"{where}: no CREATE TABLE statement")
        db = self.databases.get(database_id(database))
        if db is None:
            db = self.databases[database_id(database)] = Database(database_id(database), database)
        added = []
        line, counted = 1, 0
        for start, end in spans:
            line += sql.count("\n", counted, start)
            counted = start
            # Each statement is parsed alone: parsing it behind the whole script before it, blanked,
            # took time and memory quadratic in the script's size (a schema of 4,000 tables: 80 s).
            table, problems = analyze_create_table(sql[start:end])
            errors = [p for p in problems if p.severity == "error"]
            if errors or table is None:
                # again at its line and column in the script, which the message names
                indent = " " * (start - (sql.rfind("\n", 0, start) + 1))
                _table, problems = analyze_create_table("\n" * (line - 1) + indent + sql[start:end])
                errors = [p for p in problems if p.severity == "error"]
                raise MapperError(f"{where}: {errors[0].render() if errors else 'not a CREATE TABLE statement'}")
            if table.name in db.tables:
                raise MapperError(f"{where}: line {line}: table {table.name!r} is registered twice in database {database!r}")
            entry = CatalogTable(table.name, sql[start:end].strip(), table, f"{source or 'the tables'}:{line}")
            db.tables[table.name] = entry
            added.append(entry)
        return added

    def database(self, db_id: str) -> Database:
        db = self.databases.get(db_id)
        if db is None:
            raise ServiceError(400, INVALID_PARAMETER, f"no database {preview(db_id)!r} is registered with this service")
        return db

    def table(self, db_id: str, name: str) -> CatalogTable:
        db = self.database(db_id)
        entry = db.tables.get(name)
        if entry is None:
            raise ServiceError(400, INVALID_PARAMETER, f"database {db.name!r} has no table {preview(name)!r}")
        return entry

    def name_of(self, db_id: Any) -> str | None:
        db = self.databases.get(db_id) if isinstance(db_id, str) else None
        return db.name if db is not None else None

    def to_json(self) -> dict[str, Any]:
        return {"databases": [d.to_json() for d in self.databases.values()]}

    def __len__(self) -> int:
        return sum(len(d.tables) for d in self.databases.values())


def load_catalog(specs: list[str]) -> Catalog:
    """The catalog of ``--table [DATABASE=]FILE`` options; :class:`~mapper.errors.MapperError` for a file that cannot be read or holds an error."""
    catalog = Catalog()
    for spec in specs:
        database, path = DEFAULT_DATABASE, spec
        m = re.fullmatch(r"([^=]+)=(.+)", spec, re.S)
        if m is not None and not _exists(spec) and (not re.search(r"[/\\]", m.group(1)) or _exists(m.group(2))):
            # (a '/' before the '=' is a file's directory, dir/a=b.sql, unless what follows names a file: then it is
            # a database name that is not one, said so, not "cannot read" of the whole spec)
            database, path = m.group(1), m.group(2)
            if not _DB_NAME.fullmatch(database):
                raise MapperError(f"--table {shown_name(preview(spec, 200))}: the database name {preview(database)!r} is invalid: {_DB_NAME_RULE}")
        try:
            data = Path(path).read_bytes()
        except (OSError, ValueError) as exc:  # (ValueError: a name holding a NUL, given in Python)
            # (in every command's words: "No such file or directory" and "Is a directory", the OS's, were serve's alone)
            raise MapperError(f"--table {shown_name(preview(spec, 200))}: {cannot_open(path, exc, 'table file')}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            read = bytes(exc.object)  # (after a byte order mark: exc.start counts from there)
            line = read.count(b"\n", 0, exc.start) + 1
            column = exc.start - (read.rfind(b"\n", 0, exc.start) + 1) + 1  # (in bytes, as mapper check says it)
            where = f"invalid byte 0x{read[exc.start]:02x} at line {line} column {column}"
            raise MapperError(f"--table {shown_name(preview(spec, 200))}: {shown_name(preview(path, 200))} is not UTF-8: {where}") from None
        catalog.add(database, text, path)
    return catalog


def _exists(name: str) -> bool:
    """Whether a file ``name`` exists; False for a name no file can have (a part too long for a
    file name, a NUL): ``DATABASE=FILE`` with a long database name raised ENAMETOOLONG, said as
    "File name too long" of the whole spec rather than the database name's rule."""
    try:
        return Path(name).exists()
    except (OSError, ValueError):
        return False
