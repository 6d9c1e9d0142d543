"""The UI's sink form: a FeatureBase SQL ``CREATE TABLE`` and a mapping of its columns.

FeatureBase Cloud's UI picks a table and maps each column to a dot path of the record;
the column types come from the table, not from the mapping::

    {"name": "aircraft_positions",
     "table": "CREATE TABLE aircraft (_id STRING, aircraftid STRING, lat DECIMAL(4), ...)",
     "mapping": {"_id": "id", "aircraftId": "data.aircraftId", "lat": "data.lat"},
     "allow_missing_fields": false}

:func:`check_ui_mapping` loads that form into the same :class:`~mapper.sink.Sink` as
every other form (``form="ui"``, ``Sink.table`` is the parsed :class:`Table`).

Mapping values are a path string (``data.aircraftId``, see :mod:`mapper.paths`), an
array of keys, or - an extension - ``{"path": ..., "config": {...}}`` whose config is
merged over what the table implies. A table says how a value is *stored*, not how the
JSON *sends* it: ``{"path": "timestamp", "config": {"Unit": "ms"}}`` reads epoch
milliseconds into a ``TIMESTAMP`` column. The mapping name ``_timeQuantum`` maps the
record's time (a ``recordTime`` entry) for the time-quantum columns.

Column types, as the endpoint's definition entries:

==========================  ==============================================================
table column                definition entry
==========================  ==============================================================
``_id ID``                  ``id_field: "_id"``, an ``id`` entry
``_id STRING``              ``primary_key_fields: ["_id"]``, a ``string`` entry
``ID``                      ``id`` with ``Mutex: true``
``STRING``                  ``string`` with ``Mutex: true``
``IDSET`` / ``STRINGSET``   ``ids`` / ``strings``
``IDSETQ`` / ``STRINGSETQ`` ``ids`` / ``strings`` with ``Quantum`` (TIMEQUANTUM), ``TTL``
``INT MIN a MAX b``         ``int`` with ``Min`` / ``Max``
``DECIMAL(s)``              ``decimal`` with ``Scale: s``
``TIMESTAMP TIMEUNIT 'u'``  ``timestamp`` with ``Granularity: u`` (and ``Epoch`` from EPOCH)
``BOOL``                    ``bool``
``CACHETYPE t SIZE n``      ``CacheType: t``, ``CacheSize: n``
==========================  ==============================================================

The SQL is read by a small hand-written tokenizer and recursive-descent parser that
follow FeatureBase's ``sql3`` grammar (keywords, quoting, ``--`` comments, names
lower-cased as Go's ``strings.ToLower`` does, Go's ``unicode.IsSpace`` white space), and check what its planner checks
(DECIMAL scales 0..19, MIN <= MAX, numbers that fit 64 bits; table and column names
FeatureBase refuses are warnings, as in the body form), with one deliberate difference: a missing ``,`` between two column
definitions is an error here (FeatureBase's parser lets it pass). ``EPOCH '<RFC 3339>'``
after ``TIMEUNIT`` is accepted as in the 2022 grammar of the seed's era (FeatureBase
removed it in February 2023). ``CACHETYPE NONE`` is accepted because FeatureBase's own
``SHOW CREATE TABLE`` prints it.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

from . import golayout
from .checks import (
    COLUMN_NAME_RE,
    FEATUREBASE_NAME_RE,
    NAME_REFUSED_TABLE,
    Checker,
    bad_name_message,
    check_column_count,
    check_config,
    check_path,
    check_path_tree,
    check_paths,
    check_sink_name,
    go_fold,
    json_type,
    near_miss,
    split_pointer,
)
from .errors import MapperError, int_text, json_text, make_pointer, preview
from .model import Column, Sink
from .paths import Path
from .types import INT64_MAX, INT64_MIN, QUANTUMS
from .types.base import CACHE_SIZE_MAX
from .types.times import ts_range

__all__ = [
    "COLUMN_TYPES",
    "Constraint",
    "Position",
    "Table",
    "TableColumn",
    "TableProblem",
    "TableSyntaxError",
    "analyze_create_table",
    "check_ui_mapping",
    "parse_create_table",
    "split_statements",
]

#: The column types of a FeatureBase table (``dax`` base types), spelled as in SQL.
COLUMN_TYPES = ("BOOL", "DECIMAL", "ID", "IDSET", "IDSETQ", "INT", "STRING", "STRINGSET", "STRINGSETQ", "TIMESTAMP")

# The reserved words of FeatureBase SQL (sql3/parser/token.go): an unquoted name cannot be one.
KEYWORDS = frozenset(
    [
        "ABORT",
        "ACTION",
        "ADD",
        "AFTER",
        "ALL",
        "ALTER",
        "ANALYZE",
        "AND",
        "AS",
        "ASC",
        "ASTERISK",
        "ATTACH",
        "AUTOINCREMENT",
        "BEFORE",
        "BEGIN",
        "BETWEEN",
        "BY",
        "BULK",
        "CACHETYPE",
        "CASCADE",
        "CASE",
        "CAST",
        "CHECK",
        "COLUMN",
        "COLUMNS",
        "COLUMNKW",
        "COMMIT",
        "COMMENT",
        "CONFLICT",
        "CONSTRAINT",
        "COPY",
        "CREATE",
        "CROSS",
        "CURRENT",
        "CURRENT_DATE",
        "CURRENT_TIMESTAMP",
        "DATABASE",
        "DATABASES",
        "DEFAULT",
        "DEFERRABLE",
        "DEFERRED",
        "DELETE",
        "DESC",
        "DETACH",
        "DISTINCT",
        "DO",
        "DROP",
        "EACH",
        "ELSE",
        "END",
        "EPOCH",
        "ESCAPE",
        "EXCEPT",
        "EXCLUDE",
        "EXCLUSIVE",
        "EXISTS",
        "EXPLAIN",
        "FAIL",
        "FILTER",
        "FIRST",
        "FOLLOWING",
        "FOR",
        "FOREIGN",
        "FROM",
        "FULL",
        "FUNCTION",
        "GLOB",
        "GROUP",
        "GROUPS",
        "HAVING",
        "IF",
        "IF_NULL_ROW",
        "IGNORE",
        "IMMEDIATE",
        "IN",
        "INDEX",
        "INDEXED",
        "INITIALLY",
        "INNER",
        "INSERT",
        "INSTEAD",
        "INTERSECT",
        "INTO",
        "IS",
        "ISNOT",
        "JOIN",
        "KEY",
        "KEYPARTITIONS",
        "LAST",
        "LEFT",
        "LIKE",
        "LIMIT",
        "LRU",
        "MAP",
        "MATCH",
        "MAX",
        "MIN",
        "MODEL",
        "NO",
        "NOT",
        "NOTBETWEEN",
        "NOTEXISTS",
        "NOTGLOB",
        "NOTHING",
        "NOTIN",
        "NOTLIKE",
        "NOTMATCH",
        "NOTREGEXP",
        "NULLS",
        "OF",
        "ON",
        "OR",
        "ORDER",
        "OTHERS",
        "OUTER",
        "OVER",
        "PARTITION",
        "PLAN",
        "PRAGMA",
        "PRECEDING",
        "PREDICT",
        "PRIMARY",
        "QUERY",
        "RANGE",
        "RANKED",
        "RECURSIVE",
        "REFERENCES",
        "REGEXP",
        "REGISTER",
        "REINDEX",
        "RELEASE",
        "RENAME",
        "REPLACE",
        "RESTRICT",
        "RETURNS",
        "RETURN",
        "RIGHT",
        "ROLLBACK",
        "ROW",
        "ROWS",
        "SAVEPOINT",
        "SELECT",
        "SELECT_COLUMN",
        "SET",
        "SIZE",
        "SHOW",
        "SPAN",
        "TABLE",
        "TABLES",
        "TEMP",
        "THEN",
        "TIES",
        "TIMEUNIT",
        "TIMEQUANTUM",
        "TO",
        "TOP",
        "TOPN",
        "TRANSACTION",
        "TRANSFORM",
        "TRIGGER",
        "TRUTH",
        "TTL",
        "UNBOUNDED",
        "UNION",
        "UNIQUE",
        "UNITS",
        "UPDATE",
        "USING",
        "VACUUM",
        "VALUES",
        "VECTOR",
        "VIEW",
        "VIRTUAL",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
        "WITHOUT",
        "NULL",
        "TRUE",
        "FALSE",
    ]
)

#: The scales FeatureBase supports for DECIMAL(s) (pilosa.OptFieldTypeDecimal).
DECIMAL_SCALES = range(0, 20)
#: The digits of the largest 64-bit number (2**64 - 1): a longer number fits nowhere in a table.
_MAX_NUMBER_DIGITS = 20

_CONSTRAINT_STARTS = ("MIN", "MAX", "TIMEUNIT", "TIMEQUANTUM", "CACHETYPE")
_TIME_UNITS = {"s": "s", "ms": "ms", "us": "us", "\u00b5s": "us", "ns": "ns"}
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# Other databases' type names, and the FeatureBase type to use instead.
_OTHER_TYPES = {
    "VARCHAR": "STRING",
    "CHAR": "STRING",
    "NVARCHAR": "STRING",
    "TEXT": "STRING",
    "UUID": "STRING",
    "INTEGER": "INT",
    "BIGINT": "INT",
    "SMALLINT": "INT",
    "TINYINT": "INT",
    "INT64": "INT",
    "INT32": "INT",
    "BOOLEAN": "BOOL",
    "FLOAT": "DECIMAL(s)",
    "DOUBLE": "DECIMAL(s)",
    "REAL": "DECIMAL(s)",
    "NUMERIC": "DECIMAL(s)",
    "NUMBER": "DECIMAL(s)",
    "DATE": "TIMESTAMP",
    "DATETIME": "TIMESTAMP",
    "TIME": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP",
    "BLOB": "STRING",
    "JSON": "STRING",
    "ARRAY": "STRINGSET or IDSET",
    "SET": "STRINGSET or IDSET",
    "VECTOR": None,
}

# The sink definition type of each table column type (the _id column is handled apart).
_ENTRY_TYPE = {
    "ID": "id",
    "STRING": "string",
    "IDSET": "ids",
    "STRINGSET": "strings",
    "IDSETQ": "ids",
    "STRINGSETQ": "strings",
    "INT": "int",
    "DECIMAL": "decimal",
    "TIMESTAMP": "timestamp",
    "BOOL": "bool",
}
# Which column types each constraint applies to (FeatureBase's planner rules).
_APPLIES = {
    "TIMEUNIT": ("TIMESTAMP",),
    "EPOCH": ("TIMESTAMP",),
    "TIMEQUANTUM": ("IDSETQ", "STRINGSETQ"),
    "TTL": ("IDSETQ", "STRINGSETQ"),
    "CACHETYPE": ("ID", "STRING", "IDSET", "STRINGSET"),
    "SIZE": ("ID", "STRING", "IDSET", "STRINGSET"),
}

RECORD_TIME_NAME = "_timeQuantum"
#: What a UI mapping document without ``allow_missing_fields`` is told (the web form says it before a table is chosen too).
ALLOW_MISSING_REQUIRED = "allow_missing_fields is required: true stores records with missing values as nulls, false discards the whole batch"


# ---------------------------------------------------------------------------------------
# The parsed statement


class Position(NamedTuple):
    """Where something is in the statement: 0-based ``offset``, 1-based ``line`` and ``column`` (characters)."""

    offset: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Constraint:
    """One column constraint: ``MIN -5`` is ``Constraint("MIN", -5, ...)``.

    ``CACHETYPE RANKED SIZE 100`` is two constraints (``CACHETYPE "ranked"``, ``SIZE 100``),
    as are ``TIMEUNIT 'ms' EPOCH '...'`` and ``TIMEQUANTUM 'YMD' TTL '24h'``.
    """

    keyword: str
    value: Any
    position: Position
    value_position: Position


@dataclass(frozen=True, slots=True)
class TableColumn:
    """A column definition: ``name`` as FeatureBase stores it (lower-cased), ``type`` upper-case."""

    name: str
    type: str
    constraints: tuple[Constraint, ...]
    position: Position
    type_position: Position
    scale: int | None = None
    written_name: str = ""
    written_type: str = ""
    scale_position: Position | None = None  # where the scale's number is (DECIMAL(s))

    def get(self, keyword: str, default: Any = None) -> Any:
        """The value of a constraint (the last one when given twice), or ``default``."""
        for c in reversed(self.constraints):
            if c.keyword == keyword:
                return c.value
        return default

    def find(self, keyword: str) -> Constraint | None:
        for c in reversed(self.constraints):
            if c.keyword == keyword:
                return c
        return None

    @property
    def sql_type(self) -> str:
        return f"{self.type}({self.scale})" if self.scale is not None else self.type

    def to_sql(self) -> str:
        parts = [_quote_name(self.name), self.sql_type]
        for c in self.constraints:
            if c.keyword == "CACHETYPE":
                parts.append(f"CACHETYPE {str(c.value).upper()}")
            elif isinstance(c.value, str):
                parts.append(f"{c.keyword} {_quote_string(c.value)}")
            else:
                parts.append(f"{c.keyword} {c.value}")
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    """A parsed ``CREATE TABLE`` statement."""

    name: str
    columns: tuple[TableColumn, ...]
    sql: str = field(repr=False, default="")
    position: Position = Position(0, 1, 1)
    if_not_exists: bool = False
    key_partitions: int | None = None
    comment: str | None = None
    name_position: Position | None = None  # where the table's name is written

    def column(self, name: str) -> TableColumn:
        """The column named ``name`` (case-insensitive, as FeatureBase names are: :func:`go_lower`)."""
        folded = go_lower(name)
        for col in self.columns:
            if col.name == folded:
                return col
        raise KeyError(name)

    @property
    def id_column(self) -> TableColumn | None:
        return next((c for c in self.columns if c.name == "_id"), None)

    def to_sql(self) -> str:
        """The statement in a canonical form that parses back to the same table."""
        head = "CREATE TABLE " + ("IF NOT EXISTS " if self.if_not_exists else "") + _quote_name(self.name)
        body = ",\n    ".join(c.to_sql() for c in self.columns)
        tail = ""
        if self.key_partitions is not None:
            tail += f" KEYPARTITIONS {self.key_partitions}"
        if self.comment is not None:
            tail += f" COMMENT {_quote_string(self.comment)}"
        return f"{head} (\n    {body}\n){tail}"


def _quote_name(name: str) -> str:
    if _PLAIN_NAME.fullmatch(name) and name.upper() not in KEYWORDS and "--" not in name:
        return name
    return '"' + name.replace('"', '""') + '"'


def _quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------
# Problems with positions


class _Lines:
    """Offsets to (line, column) for one statement."""

    def __init__(self, sql: str):
        self.sql = sql
        self.starts = [0] + [m.end() for m in re.finditer("\n", sql)]

    def at(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.sql)))
        i = bisect.bisect_right(self.starts, offset) - 1
        return Position(offset, i + 1, offset - self.starts[i] + 1)


#: The line table of the statement last rendered: a statement's problems are rendered one after
#: another, and scanning it for its lines for each one made 20,000 problems of a 500 KB
#: statement take 17 s (a table is refused by its problems, but check says them all).
_lines_of = functools.lru_cache(maxsize=1)(_Lines)


def _render(message: str, sql: str, offset: int) -> str:
    """``line L column C: message`` and the statement's line with a caret under the character
    (the window of the line around it: a line is not copied whole, it may be the statement)."""
    offset = max(0, min(offset, len(sql)))
    pos = _lines_of(sql).at(offset)
    start = offset - (pos.column - 1)
    end = sql.find("\n", start)
    end = len(sql) if end < 0 else end
    while end > start and sql[end - 1] == "\r":  # (the line as rstrip("\r") leaves it)
        end -= 1
    col = pos.column - 1
    lo = max(0, col - 40)
    window = sql[start + lo : min(end, start + col + 40)]
    lead = "..." if lo else ""
    tail = "..." if start + col + 40 < end else ""
    # (white space shows as a space; other space-like controls, which FeatureBase refuses, and any
    # other character not printable (an ESC would drive the terminal), as the escape the message
    # quotes it with (Python's: '\x00', '\u200b'), the caret under its backslash)
    parts = [" " if ch in _GO_SPACE else repr(ch)[1:-1] if ch.isspace() or not ch.isprintable() else ch for ch in window]
    shown = lead + "".join(parts) + tail
    caret = " " * (len(lead) + sum(map(len, parts[: col - lo]))) + "^"
    return f"line {pos.line} column {pos.column}: {message}\n  {shown}\n  {caret}"


@dataclass(frozen=True, slots=True)
class TableProblem:
    """Something wrong with (or worth knowing about) a statement, at a position."""

    severity: str  # "error", "warning" or "note"
    code: str
    message: str
    position: Position
    sql: str = field(repr=False, default="")

    @property
    def line(self) -> int:
        return self.position.line

    @property
    def column(self) -> int:
        return self.position.column

    def render(self) -> str:
        return _render(self.message, self.sql, self.position.offset)


class TableSyntaxError(MapperError):
    """A ``CREATE TABLE`` statement FeatureBase would refuse.

    ``position`` is the 0-based character offset; ``line`` and ``column`` are 1-based.
    """

    def __init__(self, message: str, sql: str, position: int, code: str = "table-syntax"):
        self.message = message
        self.sql = sql
        self.position = max(0, min(position, len(sql)))
        self.code = code
        where = _Lines(sql).at(self.position)
        self.line, self.column = where.line, where.column
        super().__init__(self.render())

    def render(self) -> str:
        return _render(self.message, self.sql, self.position)

    def problem(self) -> TableProblem:
        return TableProblem("error", self.code, self.message, _Lines(self.sql).at(self.position), self.sql)


# ---------------------------------------------------------------------------------------
# Tokenizer


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # ident, qident, keyword, string, integer, float, blob, op, eof
    value: str  # keywords upper-cased; strings and quoted names unescaped
    start: int
    end: int
    text: str  # as written

    def is_kw(self, *words: str) -> bool:
        return self.kind == "keyword" and self.value in words

    def is_op(self, op: str) -> bool:
        return self.kind == "op" and self.value == op


#: The characters whose full lowercase mapping (Python's ``str.lower``) is longer than one
#: character, each with its simple mapping (UnicodeData.txt), which Go's ``unicode.ToLower`` gives:
#: ``İ`` (U+0130, a Turkish keyboard's capital i) is ``i̇`` to Python, ``i`` to Go. (The tests
#: derive the list from ``str.lower`` over every code point.)
_FULL_LOWER_LONGER = {"\u0130": "i"}


def go_lower(text: str) -> str:
    """``text`` lower-cased as FeatureBase's Go lower-cases a name (``strings.ToLower``: each
    character by Unicode's simple mapping): a quoted column or table name, and a UI mapping key
    matched to a column. ``str.lower`` differs for ``İ`` (``"PRİCE"`` was ``pri̇ce``, U+0307
    inside, a name FeatureBase refuses, where FeatureBase makes ``price``) and for a final ``Σ``
    (``ς`` to Python, ``σ`` to Go)."""
    if text.isascii():
        return text.lower()
    return "".join(_FULL_LOWER_LONGER.get(c) or c.lower() for c in text)


# The white space of FeatureBase's scanner (Go's unicode.IsSpace); str.isspace also takes
# \x1c-\x1f, which FeatureBase reads as an ILLEGAL token.
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _is_name_start(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c == "_")


def _is_name_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "_-")


class _Lexer:
    def __init__(self, sql: str):
        self.sql = sql
        self.i = 0
        self.last_end = 0

    def error(self, message: str, at: int) -> TableSyntaxError:
        return TableSyntaxError(message, self.sql, at)

    def next(self) -> _Tok:
        sql, n = self.sql, len(self.sql)
        i = self.i
        while i < n:
            c = sql[i]
            if c in _GO_SPACE:
                i += 1
            elif sql.startswith("--", i):
                j = sql.find("\n", i)
                i = n if j < 0 else j + 1
            elif sql.startswith("/*", i):
                raise self.error("FeatureBase SQL has no /* */ comments; comment with -- to the end of the line", i)
            else:
                break
        if i >= n:
            self.i = n
            return _Tok("eof", "", self.last_end, self.last_end, "")
        tok = self._token(i)
        self.i = self.last_end = tok.end
        return tok

    def _token(self, i: int) -> _Tok:
        sql, n = self.sql, len(self.sql)
        c = sql[i]
        if c.isascii() and c.isdigit() or c == ".":
            return self._number(i)
        if c in "xX" and i + 1 < n and sql[i + 1] == "'":
            value, end = self._quoted(i + 1, "'", "blob literal", newline_ok=True)
            return _Tok("blob", value, i, end, sql[i:end])
        if _is_name_start(c):
            j = i + 1
            while j < n and _is_name_char(sql[j]):
                j += 1
            word = sql[i:j]
            dashes = word.find("--")
            if dashes >= 0:
                # FeatureBase reads `ID--note` as one name; that is never what was meant
                raise self.error(
                    f"{preview(word, 40)!r} is one name in FeatureBase SQL, where '-' is a name character: put a space before a -- comment (or quote the name)",
                    i + dashes,
                )
            if word.upper() in KEYWORDS:
                return _Tok("keyword", word.upper(), i, j, word)
            return _Tok("ident", word, i, j, word)
        if c == '"':
            value, end = self._quoted(i, '"', "quoted name", newline_ok=True)
            return _Tok("qident", value, i, end, sql[i:end])
        if c == "'":
            value, end = self._quoted(i, "'", "string", newline_ok=False)
            return _Tok("string", value, i, end, sql[i:end])
        return _Tok("op", c, i, i + 1, c)

    def _quoted(self, i: int, quote: str, what: str, newline_ok: bool) -> tuple[str, int]:
        """Read a literal opened by ``quote`` at ``i``; a doubled quote stands for one quote."""
        sql, n = self.sql, len(self.sql)
        parts: list[str] = []
        j = i + 1
        while True:
            k = sql.find(quote, j)
            nl = -1 if newline_ok else sql.find("\n", j, n if k < 0 else k)
            if nl >= 0 or k < 0:
                if what == "string":
                    hint = f"close it with {quote} on the same line (write {quote}{quote} for a quote inside)"
                else:
                    hint = f"close it with {quote} (write {quote}{quote} for a quote inside)"
                raise self.error(f"unterminated {what}: {hint}", i)
            parts.append(sql[j:k])
            if sql.startswith(quote * 2, k):
                parts.append(quote)
                j = k + 2
                continue
            return "".join(parts), k + 1

    def _number(self, i: int) -> _Tok:
        sql, n = self.sql, len(self.sql)
        j = i
        kind = "integer"
        while j < n and sql[j].isascii() and sql[j].isdigit():
            j += 1
        if j < n and sql[j] == ".":
            kind = "float"
            j += 1
            while j < n and sql[j].isascii() and sql[j].isdigit():
                j += 1
        if j < n and sql[j] in "eE":
            kind = "float"
            j += 1
            if j < n and sql[j] in "+-":
                j += 1
            if not (j < n and sql[j].isascii() and sql[j].isdigit()):
                raise self.error(f"malformed number {sql[i:j]!r}: the exponent needs digits", i)
            while j < n and sql[j].isascii() and sql[j].isdigit():
                j += 1
        text = sql[i:j]
        if text == ".":
            return _Tok("op", ".", i, j, text)
        return _Tok(kind, text, i, j, text)


# ---------------------------------------------------------------------------------------
# Parser


def _describe(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "the end of the statement"
    if tok.kind == "keyword":
        return tok.value
    if tok.kind == "string":
        return f"the string {preview(tok.text, 40)}"
    if tok.kind in ("integer", "float"):
        return f"the number {preview(tok.text, 40)}"
    return repr(preview(tok.text, 40))


class _Parser:
    def __init__(self, sql: str):
        self.sql = sql
        self.lex = _Lexer(sql)
        self.lines = _Lines(sql)
        self.ahead: _Tok | None = None

    def peek(self) -> _Tok:
        if self.ahead is None:
            self.ahead = self.lex.next()
        return self.ahead

    def next(self) -> _Tok:
        tok = self.peek()
        self.ahead = None
        return tok

    def pos(self, offset: int) -> Position:
        return self.lines.at(offset)

    def error(self, tok: _Tok | int, message: str, found: bool = True) -> TableSyntaxError:
        if isinstance(tok, _Tok):
            if found:
                message += f", found {_describe(tok)}"
            return TableSyntaxError(message, self.sql, tok.start)
        return TableSyntaxError(message, self.sql, tok)

    def whole_number(self, tok: _Tok, too_large: str, sign: str = "") -> int:
        """The value of an ``integer`` token (its digits: a sign is the caller's).

        A number with more digits than any 64-bit number has is an error at the token,
        ``too_large`` with ``{}`` standing for ``sign`` and the digits (cut when long): Python
        refuses to convert some (more than 4300 digits), and none fits anywhere in a table.
        """
        digits = tok.value.lstrip("0") or "0"  # (leading zeros count against Python's limit too)
        if len(digits) > _MAX_NUMBER_DIGITS:
            raise self.error(tok, too_large.format(preview(sign + tok.value, 40)), found=False)
        return int(digits)

    # statement := CREATE TABLE [IF NOT EXISTS] name '(' coldef {',' coldef} [','] ')' {option} [';']
    def statement(self) -> Table:
        create = self.next()
        if not create.is_kw("CREATE"):
            raise self.error(create, "expected a CREATE TABLE statement")
        tok = self.next()
        if not tok.is_kw("TABLE"):
            if tok.is_kw("DATABASE", "VIEW", "FUNCTION", "MODEL"):
                raise self.error(tok, f"expected CREATE TABLE (an ingest mapping needs a table, not a {tok.value})", found=False)
            raise self.error(tok, "expected TABLE after CREATE")
        if_not_exists = False
        if self.peek().is_kw("IF"):
            self.next()
            for word in ("NOT", "EXISTS"):
                tok = self.next()
                if not tok.is_kw(word):
                    raise self.error(tok, f"expected {word} in IF NOT EXISTS")
            if_not_exists = True
        name_tok = self.next()
        name = self.name(name_tok, "the table name")
        lparen = self.next()
        if not lparen.is_op("("):
            raise self.error(lparen, "expected '(' and the column definitions after the table name")
        columns: list[TableColumn] = []
        while True:
            tok = self.peek()
            if tok.is_op(")"):
                self.next()
                break
            if tok.kind == "eof":
                raise self.error(tok, self._unclosed(lparen), found=False)
            column = self.column()
            columns.append(column)
            tok = self.peek()
            if tok.is_op(","):
                self.next()
                continue
            if tok.is_op(")"):
                self.next()
                break
            raise self._after_column(column, tok, lparen)
        key_partitions: int | None = None
        comment: str | None = None
        while True:
            tok = self.peek()
            if tok.is_kw("KEYPARTITIONS"):
                self.next()
                value = self.next()
                if value.kind != "integer":
                    raise self.error(value, "KEYPARTITIONS takes a whole number between 1 and 10000")
                number = self.whole_number(value, "KEYPARTITIONS {} is outside 1..10000")
                if not 1 <= number <= 10000:
                    raise self.error(value, f"KEYPARTITIONS {number} is outside 1..10000", found=False)
                key_partitions = number
            elif tok.is_kw("COMMENT"):
                self.next()
                value = self.next()
                if value.kind != "string":
                    raise self.error(value, "COMMENT takes a string in single quotes")
                comment = value.value
            else:
                break
        tok = self.next()
        if tok.is_op(";"):
            tok = self.next()
            if tok.kind != "eof":
                raise self.error(tok, "expected the end of the text after ';' (give one CREATE TABLE statement)")
        elif tok.kind != "eof":
            raise self.error(tok, "expected the end of the statement (table options are KEYPARTITIONS n and COMMENT '...')")
        return Table(
            name=name,
            columns=tuple(columns),
            sql=self.sql,
            position=self.pos(create.start),
            if_not_exists=if_not_exists,
            key_partitions=key_partitions,
            comment=comment,
            name_position=self.pos(name_tok.start),
        )

    def _unclosed(self, lparen: _Tok) -> str:
        where = self.pos(lparen.start)
        return f"missing ')' to close the column list opened at line {where.line} column {where.column}"

    def _after_column(self, column: TableColumn, tok: _Tok, lparen: _Tok) -> TableSyntaxError:
        if tok.kind == "eof":
            return self.error(tok, self._unclosed(lparen), found=False)
        lead = f"expected ',' or ')' after the definition of column {column.name!r}"
        if tok.is_kw("EPOCH", "TTL", "SIZE"):
            parent = {"EPOCH": "TIMEUNIT '<unit>'", "TTL": "TIMEQUANTUM '<quantum>'", "SIZE": "CACHETYPE <type>"}[tok.value]
            return self.error(tok, f"{tok.value} must directly follow {parent}", found=False)
        if tok.kind == "ident":
            close = difflib.get_close_matches(tok.value.upper(), _CONSTRAINT_STARTS, n=1, cutoff=0.75)
            if close:
                return self.error(tok, f"{lead}, found {tok.value!r} (did you mean the constraint {close[0]}?)", found=False)
        if tok.kind in ("ident", "qident"):
            return self.error(tok, f"missing ',' before {tok.value!r}: {lead}", found=False)
        hint = " (column constraints are MIN, MAX, TIMEUNIT, TIMEQUANTUM and CACHETYPE)" if tok.kind == "keyword" else ""
        return self.error(tok, f"{lead}, found {_describe(tok)}{hint}", found=False)

    def name(self, tok: _Tok, what: str) -> str:
        if tok.kind in ("ident", "qident"):
            return go_lower(tok.value)
        if tok.kind == "keyword":
            raise self.error(
                tok,
                f'expected {what}, found the reserved word {tok.value}; quote it to use it as a name: "{tok.text.lower()}"',
                found=False,
            )
        raise self.error(tok, f"expected {what}")

    # coldef := name type ['(' INTEGER ')'] {constraint}
    def column(self) -> TableColumn:
        name_tok = self.next()
        name = self.name(name_tok, "a column name")
        type_tok = self.next()
        if type_tok.kind in ("ident", "qident", "keyword"):
            ctype = type_tok.value.upper()
        else:
            raise self.error(type_tok, f"expected the type of column {name!r} ({', '.join(COLUMN_TYPES)})")
        scale: int | None = None
        scale_position: Position | None = None
        if self.peek().is_op("("):
            self.next()
            tok = self.next()
            if tok.kind != "integer":
                raise self.error(tok, f"expected the scale of {ctype}, a whole number such as {ctype}(2)")
            scale_position = self.pos(tok.start)
            scale = self.whole_number(tok, _scale_outside("{}"))
            tok = self.next()
            if not tok.is_op(")"):
                raise self.error(tok, f"expected ')' after the scale of {ctype}")
        constraints: list[Constraint] = []
        while self.peek().is_kw(*_CONSTRAINT_STARTS):
            constraints.extend(self.constraint())
        return TableColumn(
            name=name,
            type=ctype,
            constraints=tuple(constraints),
            position=self.pos(name_tok.start),
            type_position=self.pos(type_tok.start),
            scale=scale,
            written_name=name_tok.value,
            written_type=type_tok.text,
            scale_position=scale_position,
        )

    def constraint(self) -> list[Constraint]:
        kw = self.next()
        word = kw.value
        if word in ("MIN", "MAX"):
            tok = self.next()
            sign = 1
            if tok.is_op("-") or tok.is_op("+"):
                sign = -1 if tok.value == "-" else 1
                start = tok
                tok = self.next()
                if tok.kind != "integer":
                    raise self.error(tok, f"{word} takes a whole number such as {word} -100")
                tok = _Tok("integer", tok.value, start.start, tok.end, self.sql[start.start : tok.end])
            elif tok.kind != "integer":
                raise self.error(tok, f"{word} takes a whole number such as {word} 100")
            number = self.whole_number(tok, f"{word} {{}} does not fit a signed 64-bit integer", "-" if sign < 0 else "")
            return [Constraint(word, sign * number, self.pos(kw.start), self.pos(tok.start))]
        if word == "CACHETYPE":
            tok = self.next()
            if tok.is_kw("RANKED", "LRU") or (tok.kind == "ident" and tok.value.upper() == "NONE"):
                out = [Constraint(word, tok.value.lower(), self.pos(kw.start), self.pos(tok.start))]
            else:
                raise self.error(tok, "CACHETYPE takes RANKED, LRU or NONE")
            if self.peek().is_kw("SIZE"):
                size_kw = self.next()
                tok = self.next()
                if tok.kind != "integer":
                    raise self.error(tok, "SIZE takes a whole number (the cache size)")
                size = self.whole_number(tok, f"SIZE {{}} is too large (at most {CACHE_SIZE_MAX})")
                out.append(Constraint("SIZE", size, self.pos(size_kw.start), self.pos(tok.start)))
            return out
        # TIMEUNIT 'u' [EPOCH 't']  |  TIMEQUANTUM 'q' [TTL 'd']
        follow = "EPOCH" if word == "TIMEUNIT" else "TTL"
        example = {"TIMEUNIT": "'ms'", "TIMEQUANTUM": "'YMD'", "EPOCH": "'2020-01-01T00:00:00Z'", "TTL": "'720h'"}
        out = []
        for keyword in (word, follow):
            if keyword == follow:
                if not self.peek().is_kw(follow):
                    break
                kw = self.next()
            tok = self.next()
            if tok.kind != "string":
                raise self.error(tok, f"{keyword} takes a string in single quotes, such as {keyword} {example[keyword]}")
            out.append(Constraint(keyword, tok.value, self.pos(kw.start), self.pos(tok.start)))
        return out


# ---------------------------------------------------------------------------------------
# What FeatureBase's planner checks after parsing (and a few warnings of mapper's own)


def _analyze(table: Table) -> list[TableProblem]:
    out: list[TableProblem] = []
    sql = table.sql

    def add(severity: str, code: str, message: str, at: Position) -> None:
        out.append(TableProblem(severity, code, message, at, sql))

    if not FEATUREBASE_NAME_RE.fullmatch(table.name):
        # FeatureBase's ValidateName, which CREATE TABLE checks on the table and every column it creates
        add(
            "error",
            "table-name",
            bad_name_message(table.name, "table", NAME_REFUSED_TABLE),
            table.name_position or table.position,
        )
    seen: dict[str, TableColumn] = {}
    for col in table.columns:
        if not col.name:
            add("error", "table-column-name", "a column name cannot be empty", col.position)
        elif not COLUMN_NAME_RE.fullmatch(col.name):
            # the column name rule of the body form (mapper.checks.check_entry), in its words
            add(
                "error",
                "column-name",
                bad_name_message(col.name, "column", NAME_REFUSED_TABLE),
                col.position,
            )
        first = seen.get(col.name)
        if first is not None:
            add(
                "error",
                "duplicate-column",
                f"column {col.name!r} is defined twice (first at line {first.position.line} column {first.position.column};"
                " FeatureBase names are case-insensitive)",
                col.position,
            )
        else:
            seen[col.name] = col
        if col.type not in COLUMN_TYPES:
            add("error", "unsupported-type", _unsupported_type(col), col.type_position)
            continue
        if col.name == "_id":
            if col.type not in ("ID", "STRING"):
                add("error", "table-id-column", f"the _id column must be of type ID or STRING, not {col.sql_type}", col.type_position)
            if col.constraints:
                add("error", "table-id-column", "the _id column takes no constraints", col.constraints[0].position)
                continue
        if col.type == "DECIMAL" and col.scale is None:
            add("error", "decimal-scale", "DECIMAL needs a scale, the digits kept after the point: DECIMAL(2)", col.type_position)
        elif col.type == "DECIMAL" and col.scale not in DECIMAL_SCALES:
            add("error", "decimal-scale", _scale_outside(col.scale), col.scale_position or col.type_position)
        elif col.scale is not None and col.type != "DECIMAL":
            add("warning", "scale-ignored", f"a scale only applies to DECIMAL; FeatureBase ignores it on {col.type}", col.type_position)
        counts: dict[str, int] = {}
        for c in col.constraints:
            counts[c.keyword] = counts.get(c.keyword, 0) + 1
            if counts[c.keyword] == 2:
                add("warning", "duplicate-constraint", f"{c.keyword} is given twice for column {col.name!r}; the last one wins", c.position)
            _check_constraint(col, c, add)
        lo, hi = col.find("MIN"), col.find("MAX")
        if col.type == "INT" and lo is not None and hi is not None and lo.value > hi.value:
            add("error", "min-above-max", f"MIN ({lo.value}) is greater than MAX ({hi.value})", lo.position)
        elif col.type == "DECIMAL" and col.scale in DECIMAL_SCALES and (lo is not None or hi is not None):
            _check_decimal_range(col, lo, hi, add)
    if table.id_column is None:
        add(
            "error",
            "table-id-column",
            "the table has no _id column: a FeatureBase table needs `_id ID` (unsigned integer ids) or `_id STRING` (string keys)",
            table.position,
        )
    return out


def _scale_outside(scale: Any) -> str:
    return f"the scale {preview(str(scale), 40)} of DECIMAL is outside {DECIMAL_SCALES[0]}..{DECIMAL_SCALES[-1]}, the scales FeatureBase supports"


def _decimal_text(count: int, scale: int) -> str:
    """``count`` units of 10**-scale, written as a decimal number."""
    if not scale:
        return str(count)
    whole, frac = divmod(abs(count), 10**scale)
    return f"{'-' if count < 0 else ''}{whole}.{frac:0{scale}d}"


def _check_decimal_range(col: TableColumn, lo: Constraint | None, hi: Constraint | None, add: Callable[[str, str, str, Position], None]) -> None:
    """MIN and MAX of a DECIMAL(s) column, as FeatureBase's planner takes them.

    The planner cuts the bounds (whole numbers, the full int64 range when not given) to
    what the scale holds (int64 counts of 10**-s), then refuses a bound the scale does not
    hold and min > max (``pilosa.OptFieldTypeDecimal``: "... is not supported by scale",
    "decimal field min cannot be greater than max").
    """
    scale = col.scale
    assert isinstance(scale, int)
    low = lo.value if lo is not None else INT64_MIN
    high = hi.value if hi is not None else INT64_MAX
    if not (INT64_MIN <= low <= INT64_MAX and INT64_MIN <= high <= INT64_MAX):
        return  # reported with the constraint
    if lo is not None and hi is not None and low > high:
        add("error", "min-above-max", f"MIN ({low}) is greater than MAX ({high})", lo.position)
        return
    held_lo, held_hi = Fraction(INT64_MIN, 10**scale), Fraction(INT64_MAX, 10**scale)
    if lo is not None and low > held_hi:
        add(
            "error",
            "min-above-max",
            f"MIN ({low}) is above the largest value {col.sql_type} holds ({_decimal_text(INT64_MAX, scale)}): FeatureBase refuses the column",
            lo.position,
        )
    elif hi is not None and high < held_lo:
        add(
            "error",
            "min-above-max",
            f"MAX ({high}) is below the smallest value {col.sql_type} holds ({_decimal_text(INT64_MIN, scale)}): FeatureBase refuses the column",
            hi.position,
        )


def _unsupported_type(col: TableColumn) -> str:
    written = col.written_type or col.type
    types = ", ".join("DECIMAL(s)" if t == "DECIMAL" else t for t in COLUMN_TYPES)
    if col.type in _OTHER_TYPES:
        instead = _OTHER_TYPES[col.type]
        hint = f"; use {instead}" if instead else ""
    else:
        close = difflib.get_close_matches(col.type, COLUMN_TYPES, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unsupported column type {preview(written, 40)!r} for column {col.name!r}: FeatureBase tables, and so the ingest endpoint, take {types}{hint}"


def _check_constraint(col: TableColumn, c: Constraint, add: Callable[[str, str, str, Position], None]) -> None:
    kw, value = c.keyword, c.value
    if kw in ("MIN", "MAX"):
        if not INT64_MIN <= value <= INT64_MAX:
            add("error", "table-constraint", f"{kw} {value} does not fit a signed 64-bit integer", c.value_position)
        elif col.type == "DECIMAL":
            add(
                "warning",
                "constraint-ignored",
                f"{kw} on a DECIMAL column bounds what FeatureBase stores, but an ingest definition has no Min/Max for decimals, so mapper does not check it",
                c.position,
            )
        elif col.type != "INT":
            add("warning", "constraint-ignored", f"{kw} has no effect on column {col.name!r} of type {col.type}", c.position)
        return
    applies = _APPLIES[kw]
    if col.type not in applies:
        if kw in ("EPOCH", "TTL", "SIZE"):
            return  # reported with the constraint they belong to
        add(
            "error",
            "table-constraint",
            f"{kw} cannot be applied to a column of type {col.type} (only {', '.join(applies)})",
            c.position,
        )
        return
    if kw == "TIMEUNIT" and value not in _TIME_UNITS:
        add("error", "table-constraint", f"TIMEUNIT {preview(value)!r} is not a time unit; use 's', 'ms', 'us' or 'ns'", c.value_position)
    elif kw == "EPOCH":
        unit = col.get("TIMEUNIT")
        try:
            ns = golayout.parse_rfc3339(value)
        except golayout.LayoutError as exc:
            add(
                "error", "table-constraint", f"EPOCH {preview(value)!r} is not an RFC 3339 time such as '2020-01-01T00:00:00Z': {exc.message}", c.value_position
            )
        else:
            lo, hi = ts_range(_TIME_UNITS.get(unit, "s"))
            if unit in _TIME_UNITS and not lo <= ns <= hi:  # (FeatureBase's OptFieldTypeTimestamp: CheckEpochOutOfRange)
                shown = f"{golayout.format_rfc3339(lo, 0)} .. {golayout.format_rfc3339(hi, 0)}"
                add(
                    "error",
                    "table-constraint",
                    f"EPOCH {preview(value)!r} is outside the range of TIMEUNIT {unit!r} ({shown}): FeatureBase refuses to create the column",
                    c.value_position,
                )
                return
            add(
                "note",
                "epoch",
                "EPOCH is FeatureBase SQL of 2022; servers since February 2023 refuse it. As the ingester does, "
                "the column's Epoch is also the epoch of the numbers the records send",
                c.position,
            )
    elif kw == "TIMEQUANTUM" and value and value not in QUANTUMS:  # '' is no quantum, as FeatureBase's TimeQuantum.Valid() takes it
        hint = f" (write it in capitals: {value.upper()!r})" if value.upper() in QUANTUMS else ""
        add("error", "table-constraint", f"TIMEQUANTUM {preview(value)!r} is not a time quantum; use one of {', '.join(QUANTUMS)}{hint}", c.value_position)
    elif kw == "TTL":
        try:
            ns = golayout.go_parse_duration(value)
        except ValueError as exc:
            add("error", "table-constraint", f"TTL {preview(value)!r} is not a duration ({exc}); write it like '720h' or '90m'", c.value_position)
        else:
            if ns < 0:
                add("error", "table-constraint", f"TTL {value!r} is negative", c.value_position)
            elif not col.get("TIMEQUANTUM"):
                add("warning", "constraint-ignored", f"TTL has no effect with TIMEQUANTUM '': column {col.name!r} keeps no time views to expire", c.position)
    elif kw == "SIZE" and value > CACHE_SIZE_MAX:
        add("error", "table-constraint", f"SIZE {value} is too large (at most {CACHE_SIZE_MAX})", c.value_position)


def analyze_create_table(sql: str) -> tuple[Table | None, list[TableProblem]]:
    """Parse and check a statement, collecting every problem the planner would find.

    A syntax error stops parsing: the table is then ``None`` and the list holds that
    one error. Otherwise the list holds every error and warning found in the table.
    """
    try:
        table = _Parser(sql).statement()
    except TableSyntaxError as exc:
        return None, [exc.problem()]
    except RecursionError:  # pragma: no cover - the parser does not recurse
        return None, [TableProblem("error", "table-syntax", "statement too complex", Position(0, 1, 1), sql)]
    return table, _analyze(table)


def parse_create_table(sql: str) -> Table:
    """Parse a FeatureBase ``CREATE TABLE`` statement.

    Raises :class:`TableSyntaxError` at the first thing FeatureBase would refuse
    (a syntax error, an unknown type, a constraint that does not apply, no ``_id``); a
    ``sql`` that is no ``str`` is a ``TypeError``.
    """
    if not isinstance(sql, str):
        raise TypeError("a CREATE TABLE statement must be a str")
    table, problems = analyze_create_table(sql)
    for p in problems:
        if p.severity == "error":
            raise TableSyntaxError(p.message, sql, p.position.offset, p.code)
    assert table is not None
    return table


def split_statements(sql: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of each statement of a script, cut at the ``;`` outside quotes and ``--`` comments.

    A statement's span excludes its ``;``; spans holding only spaces and comments are
    left out. A quote left open raises :class:`TableSyntaxError` at it (with the line
    and column in the whole script).
    """
    lex = _Lexer(sql)
    spans: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    while True:
        tok = lex.next()
        if tok.kind == "eof" or tok.is_op(";"):
            if start is not None:
                spans.append((start, end))
            if tok.kind == "eof":
                return spans
            start = None
        else:
            if start is None:
                start = tok.start
            end = tok.end


# ---------------------------------------------------------------------------------------
# The UI form: {"name", "table", "mapping", "allow_missing_fields"}

_UI_KEYS = ("name", "table", "mapping", "allow_missing_fields")
_VALUE_KEYS = ("path", "config")


def _json_text(value: Any) -> str:
    """A config value as the definition spells it (``true``, ``"ms"``), not as Python does."""
    try:
        return json_text(value)
    except (TypeError, ValueError):
        return repr(value)


def _derived_config(col: TableColumn) -> tuple[str, dict[str, Any]]:
    """The definition entry type and config a table column implies."""
    if col.name == "_id":
        return ("id" if col.type == "ID" else "string"), {}
    ctype = _ENTRY_TYPE[col.type]
    cfg: dict[str, Any] = {}
    if col.type in ("ID", "STRING"):
        cfg["Mutex"] = True
    if col.type == "INT":
        lo, hi = col.get("MIN"), col.get("MAX")
        if hi is not None and lo is None:
            lo = INT64_MIN  # the table's default lower bound: the ingester needs Min with Max
        if lo is not None:
            cfg["Min"] = lo
        if hi is not None:
            cfg["Max"] = hi
    elif col.type == "DECIMAL":
        cfg["Scale"] = col.scale
    elif col.type == "TIMESTAMP":
        unit = col.get("TIMEUNIT")
        if unit is not None:
            cfg["Granularity"] = _TIME_UNITS.get(unit, unit)
        epoch = col.get("EPOCH")
        if epoch is not None:
            cfg["Epoch"] = epoch
    if col.type in ("IDSETQ", "STRINGSETQ"):
        quantum, ttl = col.get("TIMEQUANTUM"), col.get("TTL")
        if quantum:
            cfg["Quantum"] = quantum
            if ttl is not None:
                cfg["TTL"] = ttl  # (without a quantum nothing expires: the table's warning says so)
    cache = col.get("CACHETYPE")
    if cache is not None:
        cfg["CacheType"] = cache
        size = col.get("SIZE")
        if size is not None:
            cfg["CacheSize"] = size
    return ctype, cfg


@dataclass
class _Mapped:
    key: str
    value: Any
    path: Path | None
    config: Any  # the user's config (None when not given)
    ok: bool


def check_ui_mapping(ck: Checker, doc: Mapping[str, Any], overrides: dict[str, Any]) -> Sink | None:
    """Check the UI form and build its :class:`~mapper.sink.Sink`, adding every problem to ``ck``.

    Pointers are into the UI document: ``/table`` for the statement (the message gives the
    line and column, with a caret), ``/mapping/<column>`` for a mapping entry.
    Returns ``None`` when there is an error.
    """
    start = len(ck.problems)
    ck.unknown_keys(doc, _UI_KEYS, (), "a UI mapping (name, table, mapping, allow_missing_fields)")

    # The sink name (the name option, given, replaces it: mapper.sink checks it for every form).
    name = check_sink_name(ck, doc, ()) if "name" in doc or overrides.get("name") is None else None

    allow_missing = _allow_missing(ck, doc, overrides)

    # The table.
    table: Table | None = None
    problems: list[TableProblem] = []
    raw = doc.get("table")
    if "table" not in doc or raw is None:
        ck.error(("table",), "missing", "the UI form needs the table: a FeatureBase SQL CREATE TABLE statement" + near_miss(doc, "table"))
    elif not isinstance(raw, str):
        ck.error(("table",), "wrong-type", f"the table must be a CREATE TABLE statement (a string), not {json_type(raw)}")
    elif not raw.strip():
        ck.error(("table",), "empty", "the table is empty: give the CREATE TABLE statement of the sink's table")
    elif len(raw) > 1_000_000:
        ck.error(("table",), "too-long", f"the CREATE TABLE statement is {len(raw)} characters long; at most 1000000 are taken")
    else:
        # a statement that parses is the table the mapping is checked against even when
        # the table has errors of its own (MIN above MAX, DECIMAL(25)): every problem at once
        table, problems = analyze_create_table(raw)
        for p in problems:
            ck.add(p.severity, ("table",), p.code, p.render())  # type: ignore[arg-type]

    # The mapping's values: paths and configs, checked with or without a table.
    mapping = doc.get("mapping")
    mapped: list[_Mapped] = []
    if "mapping" not in doc or mapping is None:
        ck.error(("mapping",), "missing", 'the UI form needs the mapping: {"<column>": "<dot.path>", ...} with at least _id' + near_miss(doc, "mapping"))
    elif not isinstance(mapping, Mapping):
        ck.error(("mapping",), "wrong-type", f'the mapping must be an object {{"<column>": "<dot.path>", ...}}, not {json_type(mapping)}')
        mapping = None
    else:
        ck.duplicates(mapping, ("mapping",))
        for key, value in mapping.items():
            mapped.append(_check_value(ck, int_text(key), value))

    given = [n for n in ("id_field", "primary_key_fields") if overrides.get(n) is not None]
    if given:
        ck.warning(
            ("table",),
            "identity-from-table",
            f"the record identity of a UI mapping is the table's _id column; the {' and '.join(given)} option is ignored",
        )

    columns: list[Column] = []
    id_field: str | None = None
    pk_fields: tuple[str, ...] | None = None
    if table is not None and mapping is not None and not check_column_count(ck, len(mapped), ("mapping",)):
        table_errors = any(p.severity == "error" for p in problems)
        columns, id_field, pk_fields = _build_columns(ck, table, mapped, names_only=table_errors)

    if any(p.severity == "error" for p in ck.problems[start:]):
        return None
    if table is None or allow_missing is None or not columns:
        return None
    return Sink(
        columns=tuple(columns),
        allow_missing_fields=allow_missing,
        id_field=id_field,
        primary_key_fields=pk_fields,
        name=name,
        sink_details=MappingProxyType({"database_id": "<database_id>", "table": table.name}),
        form="ui",
        table=table,
    )


def _allow_missing(ck: Checker, doc: Mapping[str, Any], overrides: dict[str, Any]) -> bool | None:
    value = overrides.get("allow_missing_fields")
    if value is not None and not isinstance(value, bool):  # ("no" is truthy: never taken for a policy)
        ck.error((), "wrong-type", f"the allow_missing_fields option must be True or False, not {json_type(value)} {ck.show(value)}")
        return None
    if value is not None:
        if isinstance(doc.get("allow_missing_fields"), bool) and doc["allow_missing_fields"] != value:
            ck.note(("allow_missing_fields",), "overridden", f"allow_missing_fields is overridden by the option ({str(value).lower()})")
        return bool(value)
    if "allow_missing_fields" not in doc:
        ck.error(
            ("allow_missing_fields",),
            "missing",
            ALLOW_MISSING_REQUIRED,
        )
        return None
    value = doc["allow_missing_fields"]
    if not isinstance(value, bool):
        ck.error(("allow_missing_fields",), "wrong-type", f"allow_missing_fields must be true or false, not {ck.show(value)}")
        return None
    return value


def _relay(ck: Checker, tmp: Checker, where: Callable[[tuple[str, ...]], tuple[str | int, ...]], path: Any = None) -> None:
    """Copy the problems of a scratch checker into ``ck``, moving their pointers with ``where``
    (but a ``path`` holding half of a surrogate pair is said once, where the text is checked)."""
    for p in tmp.problems:
        moved = where(split_pointer(p.pointer))
        if p.code == "path-syntax" and ck.said_as_unicode(moved, path):
            continue
        ck.add(p.severity, moved, p.code, p.message)


def _check_value(ck: Checker, key: str, value: Any) -> _Mapped:
    """A mapping value: a path string, an array of keys, or {"path", "config"}."""
    here: tuple[str | int, ...] = ("mapping", key)
    if value is None or value == "":
        return _Mapped(key, value, None, None, True)  # left blank: not mapped
    if isinstance(value, (str, list, tuple)):
        tmp = Checker()
        path = check_path(tmp, {"name": key, "path": value}, (), "ui")
        _relay(ck, tmp, lambda t: here + tuple(t[1:]), value)  # "/path/..." -> "/mapping/<key>/..."
        return _Mapped(key, value, path, None, path is not None)
    if isinstance(value, Mapping):
        ck.duplicates(value, here)
        ck.unknown_keys(value, _VALUE_KEYS, here, "a mapping entry (path and config)")
        tmp = Checker()
        path = check_path(tmp, {"name": key, "path": value.get("path")}, (), "ui")
        _relay(ck, tmp, lambda t: here + tuple(t), value.get("path"))
        cfg = value.get("config")
        ok = path is not None
        if cfg is not None and not isinstance(cfg, Mapping):
            ck.error(here + ("config",), "wrong-type", f"config must be an object, not {json_type(cfg)}")
            ok = False
        elif cfg is not None:
            ck.duplicates(cfg, here + ("config",))
        return _Mapped(key, value, path, cfg, ok)
    ck.error(
        here,
        "wrong-type",
        f'a mapping value is a path string such as "data.aircraftId", an array of keys, or {{"path": ..., "config": {{...}}}}, not {json_type(value)}',
    )
    return _Mapped(key, value, None, None, False)


def _build_columns(ck: Checker, table: Table, mapped: list[_Mapped], names_only: bool = False) -> tuple[list[Column], str | None, tuple[str, ...] | None]:
    """The sink's columns from the table and the mapping; ``names_only``: the table has errors
    of its own, so the mapping is checked against its column names alone (each column's
    type and config would only repeat those errors)."""
    by_name = {c.name: c for c in table.columns}
    names = [c.name for c in table.columns]
    claimed: dict[str, str] = {}  # column name -> mapping key
    chosen: dict[str, tuple[TableColumn | None, _Mapped]] = {}
    blank: set[str] = set()
    for m in mapped:
        here = ("mapping", m.key)
        folded = go_lower(m.key)  # (as FeatureBase lower-cases the column's name)
        col = by_name.get(folded)
        if col is None and folded == RECORD_TIME_NAME.lower():
            target = RECORD_TIME_NAME
        elif col is None:
            extra = f" (or {RECORD_TIME_NAME} for the record's time)" if m.key.startswith("_") else ""
            ck.error(
                here,
                "unknown-column",
                f"{preview(m.key)!r} is not a column of table {table.name!r}{ck.suggest(m.key, names)}{extra}",
            )
            continue
        else:
            target = col.name
        if target in claimed:
            ck.error(
                here,
                "duplicate-name",
                f"{preview(m.key)!r} and {preview(claimed[target])!r} both map column {target!r} (column names are case-insensitive)",
            )
            continue
        claimed[target] = m.key
        if m.value is None or m.value == "":
            blank.add(target)
            continue
        chosen[target] = (col, m)

    # Identity: the _id column.
    id_col = table.id_column
    if id_col is None:  # (the table's own error says so)
        return [], None, None
    id_field = "_id" if id_col.type == "ID" else None
    pk_fields = ("_id",) if id_col.type == "STRING" else None
    if "_id" not in chosen:
        id_where = ("mapping", claimed["_id"]) if "_id" in claimed else ("mapping",)
        ck.error(
            id_where,
            "missing",
            f"map the _id column: it is the table's primary key ({id_col.type}) and every record needs a value for it",
        )
    if names_only:
        return [], None, None

    columns: list[Column] = []
    ordered = [c.name for c in table.columns if c.name in chosen]
    if RECORD_TIME_NAME in chosen:
        ordered.append(RECORD_TIME_NAME)
    for target in ordered:
        col, m = chosen[target]
        here = ("mapping", m.key)
        base: dict[str, Any]
        if col is None:
            ctype, base = "recordTime", {}
        else:
            ctype, base = _derived_config(col)
        user = m.config if isinstance(m.config, Mapping) else {}
        folded_user = {go_fold(k) for k in user if isinstance(k, str)}
        merged = {k: v for k, v in base.items() if go_fold(k) not in folded_user}
        merged.update(user)
        spelled_user = {go_fold(k): k for k in user if isinstance(k, str)}
        for k, v in user.items():
            if not isinstance(k, str):
                continue
            canon = next((b for b in base if go_fold(b) == go_fold(k)), None)
            if canon is not None and v is not None and v != base[canon]:
                ck.warning(
                    here + ("config", k),
                    "overrides-table",
                    f"{canon} {ck.show(v)} replaces {_json_text(base[canon])}, which the table's column `{col.to_sql() if col else target}` implies",
                )

        def where(tokens: tuple[str, ...], here: tuple[str, str] = here, user: Mapping[str, Any] = user) -> tuple[str | int, ...]:
            if tokens and tokens[0] in user:
                return here + ("config",) + tuple(tokens)
            return here

        def spelled(canonical: str, names: Mapping[str, str] = spelled_user) -> str:
            return names.get(go_fold(canonical), canonical)

        prefix = here + ("config",)  # the config is checked at (): so are the escaped times under it
        tmp = Checker({t[len(prefix) :]: v for t, v in ck.escaped.items() if t[: len(prefix)] == prefix}, ck.written)  # (its numbers as written)
        config = check_config(tmp, merged, True, ctype, (), spelled, target)
        _relay(ck, tmp, where)
        if config is None or m.path is None or not m.ok:
            continue
        columns.append(Column(index=len(columns), name=target, path=m.path, type=ctype, config=config, pointer=make_pointer(*here)))
    check_path_tree(ck, columns, lambda col: split_pointer(col.pointer))  # (its mapping entry)

    # Same-path and prefix-path warnings, pointing at the mapping entries as written.
    tmp = Checker()
    check_paths(tmp, columns)

    # (each mapping entry by its key, the first of a key given twice: looked up once per warning,
    # where a search of the list was; a mapping of 5,000 columns on one path took seconds)
    by_key: dict[str, _Mapped] = {}
    for x in mapped:
        by_key.setdefault(x.key, x)

    def path_where(tokens: tuple[str, ...]) -> tuple[str | int, ...]:
        m = by_key.get(tokens[1] if len(tokens) > 1 else "")
        if m is not None and isinstance(m.value, Mapping):
            return tuple(tokens)
        return tuple(tokens[:2])

    _relay(ck, tmp, path_where)

    record_time = next((c for c in columns if c.type == "recordTime"), None)
    if record_time is not None and not any(c.config.quantum for c in columns):
        ck.warning(
            ("mapping", claimed[RECORD_TIME_NAME]),
            "unused-record-time",
            "_timeQuantum (the record's time) only matters for IDSETQ/STRINGSETQ columns with a TIMEQUANTUM, and none is mapped",
        )

    for col in table.columns:
        if col.name in chosen or col.name == "_id":  # an unmapped _id is an error, reported above
            continue
        at = col.position
        where_text = f"line {at.line} column {at.column}"
        if col.name in blank:
            ck.note(("mapping", claimed[col.name]), "unmapped-column", f"column {col.name!r} ({col.sql_type}) is left blank: the endpoint does not write it")
        else:
            ck.note(
                ("table",),
                "unmapped-column",
                f"column {col.name!r} ({col.sql_type}, {where_text}) is not mapped: the endpoint does not write it",
            )
    return columns, id_field, pk_fields
