"""The definition checker: every problem of a sink definition, each with a JSON Pointer.

:class:`Checker` collects :class:`~mapper.errors.Problem` entries; the functions here
check the parts every form of a definition shares (the sink name, column entries,
paths, configs, paths that collide). :mod:`mapper.sink` checks the document forms
with them, :mod:`mapper.table` the UI's table mapping. A type's own config rules
live with the type (:meth:`mapper.types.ColumnType.check_config`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from . import golayout
from .errors import (
    PathSyntaxError,
    Problem,
    Severity,
    and_list,
    article,
    class_name,
    elided,
    escape_controls,
    has_lone_surrogate,
    int_text,
    json_text,
    make_pointer,
    plain_str,
    preview,
    suggest,
    type_name,
)
from .model import Column, ColumnConfig
from .paths import (
    MAX_PATH_KEYS,
    Path,
    parse_path,
    path_from_keys,
    root_dollar,
    single_quoted_keys_hint,
    skipped_spaces,
    spaces_reason,
    to_dot_notation,
)
from .types import INT64_MAX, INT64_MIN, REGISTRY, TYPES

__all__ = [
    "COLUMN_NAME_RE",
    "FEATUREBASE_NAME_RE",
    "NAME_NOT_STORED",
    "NAME_RE",
    "NAME_REFUSED",
    "NAME_REFUSED_TABLE",
    "Checker",
    "ConfigKeyWhere",
    "Entries",
    "Escaped",
    "check_config",
    "check_entries",
    "check_entry",
    "check_path",
    "check_paths",
    "check_sink_name",
    "go_fold",
    "json_type",
    "name_refused",
    "near_miss",
    "show_json",
    "split_pointer",
    "unknown_key_message",
]

NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,229}")
#: The most characters a sink name may have (``NAME_RE``'s bound).
NAME_MAX = 230
#: The message of a sink name longer than ``NAME_MAX``, to fill in with ``length`` and ``max``: one
#: text for ``mapper check`` and the web UI's page, which says it without asking (a name of 65 KB
#: asked about in a URL was refused for its length, 414, not told the rule).
NAME_TOO_LONG = "the sink name is {length} characters long; at most {max} are allowed"
#: FeatureBase's index and field name rule (pilosa.ValidateName: ``^[a-z][a-z0-9Θ_-]{0,229}$``),
#: checked on every table and column it creates (CREATE TABLE's, the ingester's): a name it
#: refuses cannot be a table's or a column's.
_NAME_CHARS = "a-z0-9\u0398_-"  # (after the first letter)
FEATUREBASE_NAME_RE = re.compile(f"[a-z][{_NAME_CHARS}]{{0,229}}")
# FeatureBase's field name rule, and ``_id``, the name a UI form's id column has in the body it becomes
COLUMN_NAME_RE = re.compile("_id|" + FEATUREBASE_NAME_RE.pattern)
#: What follows a stored column's refused name (an error): the endpoint cannot take the sink.
NAME_REFUSED = "FeatureBase refuses the name ('invalid index or field name'): no table has such a column, so the endpoint refuses the sink"
#: What follows the identity's own column's refused name (a warning): the ingester never creates it.
NAME_NOT_STORED = "it names the record's identity, which is not stored as a column, so FeatureBase never checks it"
#: What follows a name in a CREATE TABLE statement FeatureBase refuses (an error).
NAME_REFUSED_TABLE = "FeatureBase refuses the statement ('invalid index or field name'), so no table has it"
_ENTRY_KEYS = ("name", "path", "type", "config")
#: The largest definition mapper compiles (compiling is linear; this keeps it to seconds).
MAX_COLUMNS = 10_000
#: The most distinct keys the plain paths of a definition hold in all, each key counted once at its
#: place in the tree of paths (``a.b`` and ``a.c``: 3). The generated code grows with them, about
#: 600 bytes each (9,999 columns of 3 keys of their own: 16 MB of source, 12 s, 1.2 GB): 3,000
#: columns of 100 keys of their own, a 2.4 MB definition, made 279 MB of source in 18 GB.
MAX_PATH_TREE_KEYS = 50_000
#: how many entries of a definition with too many columns are checked (a few past the limit)
CHECKED_ENTRIES = MAX_COLUMNS + 100
#: every config key any type takes -> the JSON kind of its value
_KEY_KIND = {key: kind for cls in REGISTRY.values() for key, kind in cls.config_keys.items()}
#: The runes other than ASCII letters that Go's encoding/json folds onto one when it matches an
#: object's key to a struct field (bytes.EqualFold's special cases, every Go version): LONG S, KELVIN SIGN.
_GO_FOLDS = {"\u017f": "s", "\u212a": "k"}


def go_fold(key: str) -> str:
    """``key`` folded as Go's decoder matches it to a config field's name (all ASCII letters):
    ASCII letters lower-cased, ``ſ`` and ``K`` onto ``s`` and ``k``, any other character kept.
    Not ``str.casefold()``, which also unfolds ligatures and ``ß`` (``"Cuﬆomunit"`` is
    ``"customunit"`` to it): such a key is a field to no Go version, which ignores it."""
    if key.isascii():
        return key.lower()
    return "".join(c.lower() if c.isascii() else _GO_FOLDS.get(c, c) for c in key)


#: The config keys holding a time (folded, as the ingester matches keys: :func:`go_fold`): Go 1.19's
#: ``time.Time.UnmarshalJSON`` parses their raw JSON text, so an escape there fails.
TIME_KEYS = frozenset(go_fold(key) for key, kind in _KEY_KIND.items() if kind == "time")


_TYPE_PHRASES = {"null": "null", "bool": "a boolean", "int": "an integer", "float": "a number", "str": "a string", "array": "an array", "object": "an object"}


class LongInteger:
    """An integer a definition writes with more digits than Python converts (4300): its text.

    Valid JSON, which the ingester reads wherever it reads no number (an unknown key); a
    number it reads does not fit 64 bits."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return preview(self.text, 40)


def json_type(value: Any) -> str:
    """``an integer``, ``a string``: a JSON type as definition messages phrase it; a Python
    value that has none (a numpy bool, a set), by its class: ``a Python numpy.bool``."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, LongInteger):
        return _TYPE_PHRASES["int"]
    if value is not None and not isinstance(value, (str, int, float, list, tuple)):  # (its class may be named bool)
        return f"a Python {class_name(value)}"
    name = type_name(value)
    return _TYPE_PHRASES.get(name, name)


class LongFloat(float):
    """A number a definition writes beyond float64's range (``1e309``): infinite, and its text,
    so that messages show what was written, not ``Infinity``."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> LongFloat:
        self = super().__new__(cls, text)
        self.text = text
        return self


def _long_integer_text(value: Any) -> str:
    if isinstance(value, LongInteger):
        return value.text
    raise TypeError(type(value).__name__)


#: The numbers of a definition's JSON text that Python writes otherwise (``1e3`` is 1000.0 to
#: it, ``1.50`` 1.5), by the id of the float read: each with its float (which keeps the id its
#: own) and its text.
WrittenNumbers = dict[int, tuple[float, str]]


def show_json(value: Any, written: WrittenNumbers | None = None) -> str:
    """A short JSON rendering of a user value for messages; a number of the definition's text as
    it was written there (``written``: :func:`mapper.sink.read_json_document`'s), not as Python writes it."""
    if isinstance(value, LongFloat):
        return preview(value.text, 80)
    try:  # (a value with no JSON form as its repr, not as a JSON string of its str: np.True_ was "True")
        text = _as_written(value, written) if written else json_text(value, default=_long_integer_text)
    except (TypeError, ValueError, RecursionError):
        try:
            text = int_text(value, repr)
        except ValueError:  # a container holding an int too long for Python's repr
            text = f"<a {type(value).__name__} holding an integer of thousands of digits>"
    return preview(text, 80)


def _as_written(value: Any, written: WrittenNumbers) -> str:
    """A value of a definition as JSON text (as :func:`json_text` writes it), each number in it
    as its text wrote it."""
    if value.__class__ is float and (seen := written.get(id(value))) is not None and seen[0] is value:
        return seen[1]
    if isinstance(value, list):
        return "[" + ", ".join(_as_written(v, written) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json_text(k)}: {_as_written(v, written)}" for k, v in value.items()) + "}"
    return json_text(value, default=_long_integer_text)


def _text(text: str) -> str:
    """``text`` with each unpaired UTF-16 surrogate written as its escape (``\\ud800``): a
    definition holding one is refused, and its other problems, which may quote it, are
    still printed and written as JSON."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if has_lone_surrogate(text) else text


#: The near-miss comparisons (a name against one candidate, a difflib ratio each) the "did you
#: mean" hints of one definition may cost in all: 2,000 primary key fields naming no column,
#: each compared with 2,000 columns, made `mapper check` take 72 s.
SUGGEST_BUDGET = 10_000


#: Where a definition's text writes a :data:`TIME_KEYS` value with a JSON escape: each
#: pointer with the escapes of every value given there in turn (``()``: one written without)
#: (:func:`mapper.sink.escaped_values`).
Escaped = dict[tuple[str | int, ...], list[tuple[str, ...]]]


class Checker:
    """Collects the problems of one definition document, in the order they are found."""

    def __init__(self, escaped: Escaped | None = None, written: WrittenNumbers | None = None) -> None:
        self.problems: list[Problem] = []
        #: where the document's text writes a :data:`TIME_KEYS` value with a JSON escape
        #: (known only when the definition came as text)
        self.escaped: Escaped = escaped if escaped is not None else {}
        #: the numbers its text writes otherwise than Python does (``1e3``), as written
        self.written: WrittenNumbers = written if written is not None else {}
        self._suggest_left = SUGGEST_BUDGET

    def escapes(self, where: tuple[str | int, ...], occurrence: int) -> tuple[str, ...]:
        """The JSON escapes the text writes in the value at ``where`` (its ``occurrence``-th
        value there, -1 the last: a key may be given more than once)."""
        values = self.escaped.get(where)
        if not values or not -len(values) <= occurrence < len(values):
            return ()
        return values[occurrence]

    def show(self, value: Any) -> str:
        """:func:`show_json` of a value of this document: a number as its text wrote it."""
        return show_json(value, self.written)

    def suggest(self, word: object, choices: tuple[str, ...] | list[str]) -> str:
        """:func:`~mapper.errors.suggest` among a definition's own names (its columns), while its
        budget of comparisons lasts (the first is always looked for: one search is linear); past
        it, no hint (each problem is still said)."""
        if self._suggest_left <= 0:
            return ""
        self._suggest_left -= len(choices)
        return suggest(word, choices)

    def add(self, severity: Severity, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.problems.append(Problem(severity, _text(make_pointer(*where)), _text(message), code))

    def error(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("error", where, code, message)

    def warning(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("warning", where, code, message)

    def note(self, where: tuple[str | int, ...], code: str, message: str) -> None:
        self.add("note", where, code, message)

    def said_as_unicode(self, where: tuple[str | int, ...], text: Any) -> bool:
        """Whether ``text``, the value at ``where``, holds half of a surrogate pair said there
        already (``invalid-unicode``, where the definition's text is checked): another problem
        quoting it (a path's syntax error, as U+FFFD) would say it a second time."""
        if not isinstance(text, str) or not has_lone_surrogate(text):
            return False
        pointer = _text(make_pointer(*where))
        return any(p.code == "invalid-unicode" and p.pointer == pointer for p in self.problems)

    def duplicates(self, obj: Any, where: tuple[str | int, ...]) -> None:
        for key in getattr(obj, "duplicates", ()):
            self.warning(where + (key,), "duplicate-key", f"key {preview(key)!r} appears more than once; the last value wins")

    def unknown_keys(self, obj: Mapping[str, Any], known: tuple[str, ...], where: tuple[str | int, ...], what: str) -> None:
        for key in obj:
            if key not in known:
                self.warning(where + (int_text(key),), "unknown-key", unknown_key_message(key, what, known))


def unknown_key_message(key: Any, what: str, known: tuple[str, ...]) -> str:
    """The warning for a key of ``what`` that nothing reads: a near miss suggested, and a key
    of a Python mapping that is not a string (which no JSON text holds) said to be one."""
    if not isinstance(key, str):
        return f"the key {preview(int_text(key, repr))} in {what} is not a string (a JSON object's keys are); it is ignored"
    return f"unknown key {preview(key)!r} in {what}; it is ignored{suggest(key, known)}"


def near_miss(obj: Mapping[Any, Any], key: str) -> str:
    """For an error saying ``obj`` lacks ``key``: `` (the document has 'schem': a typo of 'schema'?)``
    when one of its keys is a near miss of it, else ``""``."""
    near = [k for k in obj if isinstance(k, str) and k != key and suggest(k, (key,))]
    return f" (the document has {preview(near[0])!r}: a typo of {key!r}?)" if near else ""


def check_path_tree(ck: Checker, columns: list[Column], where_of: Callable[[Column], tuple[str | int, ...]]) -> bool:
    """Past :data:`MAX_PATH_TREE_KEYS` distinct keys in the paths of ``columns``, an error at the
    path of the column that passes it; True when there are too many."""
    root: dict[str, Any] = {}
    count = 0
    for col in columns:
        keys = col.path.keys
        if keys is None:  # (a JMESPath column is evaluated, never generated)
            continue
        node = root
        for key in keys:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
                count += 1
            node = child
        if count > MAX_PATH_TREE_KEYS:
            ck.error(
                where_of(col),
                "too-many-keys",
                f"the paths up to this column hold {count:,} distinct keys (a key counted once at its place in the tree of paths:"
                f" a.b and a.c hold 3); mapper compiles at most {MAX_PATH_TREE_KEYS:,}, the code it makes grows with them",
            )
            return True
    return False


def check_column_count(ck: Checker, count: int, where: tuple[str | int, ...]) -> bool:
    """Past :data:`MAX_COLUMNS`, an error at ``where``; True when the count is too many."""
    if count <= MAX_COLUMNS:
        return False
    # (the entries past the limit are not checked: a 50 MB definition of a million entries took a
    # minute and printed a million problems, for a definition refused whatever they say)
    unchecked = f" (the {count - CHECKED_ENTRIES:,} entries after the first {CHECKED_ENTRIES:,} are not checked)" if count > CHECKED_ENTRIES else ""
    ck.error(where, "too-many-columns", f"the definition has {count:,} columns; mapper compiles at most {MAX_COLUMNS:,}{unchecked}")
    return True


def bad_name_message(name: str, what: str, consequence: str = "") -> str:
    """The problem of a column (or table) name FeatureBase's name rule refuses; every form words it
    so: the rule, what in the name breaks it, then ``consequence`` (:data:`NAME_REFUSED`, ...) and,
    for an error, a name the rule takes."""
    said = f"{preview(name)!r} is not a valid FeatureBase {what} name (lowercase letters, digits, '_' and '-', starting with a letter, at most 230 characters)"
    if not consequence:
        return said
    if not name:
        why = "it is empty"
    elif len(name) > NAME_MAX:
        why = f"it is {len(name):,} characters long"
    elif not ("a" <= name[0] <= "z"):
        why = f"it starts with {_name_char(name[0])}"
    else:  # (counted from 1, as an editor counts, as the sink name rule says it)
        bad = next((i for i, c in enumerate(name) if not FEATUREBASE_NAME_RE.fullmatch("a" + c)), 0)
        why = f"character {bad + 1} is {_name_char(name[bad])}"
    if consequence == NAME_NOT_STORED:
        return f"{said}: {why}; {consequence}"
    hint = re.sub(f"[^{_NAME_CHARS}]", "_", name.lower())[:NAME_MAX]
    if not ("a" <= hint[:1] <= "z"):
        hint = ("c" + hint)[:NAME_MAX]
    if len(name) > NAME_MAX:  # (a name cut short says nothing shown cut short again)
        return f"{said}: {why}; {consequence} (cut it to {NAME_MAX} characters)"
    return f"{said}: {why}; {consequence} (e.g. {preview(hint)!r})"


def check_sink_name(ck: Checker, doc: Mapping[str, Any], where: tuple[str | int, ...]) -> str | None:
    """The sink name rule: lowercase letters, digits, ``-`` and ``_``, starting with a letter, <= 230 chars."""
    if "name" not in doc:
        ck.error(where + ("name",), "missing", "the sink needs a name (lowercase letters, digits, '-' and '_', starting with a letter)")
        return None
    name = doc["name"]
    if not isinstance(name, str):
        ck.error(where + ("name",), "wrong-type", f"the sink name must be a string, not {json_type(name)}")
        return None
    if len(name) > NAME_MAX:
        ck.error(where + ("name",), "invalid-name", NAME_TOO_LONG.format(length=len(name), max=NAME_MAX))
    elif not name:
        ck.error(where + ("name",), "invalid-name", "the sink name is empty")
    elif not NAME_RE.fullmatch(name):
        bad = next((i for i, c in enumerate(name) if not (c.isascii() and (c.islower() or c.isdigit() or c in "-_"))), None)
        if not ("a" <= name[0] <= "z"):
            why = f"it starts with {_name_char(name[0])}; it must start with a lowercase letter"
        elif bad is not None:  # (counted from 1, as an editor counts: "web clicks", character 4 is ' ')
            why = f"character {bad + 1} is {_name_char(name[bad])}; only lowercase letters, digits, '-' and '_' are allowed"
        else:  # pragma: no cover - the regex and the scan agree
            why = "only lowercase letters, digits, '-' and '_' are allowed"
        hint = re.sub(r"[^a-z0-9_-]", "_", name.lower())[:NAME_MAX]
        if hint and not hint[0].isalpha():
            hint = "s" + hint[: NAME_MAX - 1]
        ck.error(where + ("name",), "invalid-name", f"invalid sink name {preview(name)!r}: {why} (e.g. {preview(hint)!r})")
    return plain_str(name)


def _name_char(c: str) -> str:
    """A character of a sink name the rule refuses, as said: a character beyond ASCII with its code
    point (a Cyrillic 'а' typed for an 'a' looks like the lowercase letter the rule asks for)."""
    return repr(c) if c.isascii() else f"{c!r} (U+{ord(c):04X}, not an ASCII letter)" if c.isalpha() else f"{c!r} (U+{ord(c):04X})"


@dataclass
class Entries:
    """The entries of a definition as checked: the ones that check, and whether all did.

    ``columns`` lets the checks that look across entries (identity, colliding paths) run
    even when some entry has errors, so that one ``check`` reports everything it can
    know; ``named`` holds every name the entries give (those with errors of their own too:
    they exist, but cannot be checked further), each with the indices of the entries that
    give it and the type of the first of them where it gives a valid one (an identity's
    type is checked on that all the same). The first is the column, a later one its
    duplicate (``duplicate-name``): an identity is judged on the first.
    """

    columns: list[Column]
    ok: bool
    named: dict[str, tuple[list[int], str | None]]
    #: (entry index, pointer to its name, name) of each entry naming a column by a name
    #: FeatureBase refuses: an error, or a warning for the identity's own column (not stored),
    #: as :func:`check_column_names` says once the identity is known
    refused: list[tuple[int, tuple[str | int, ...], str]] = field(default_factory=list)
    #: where the definition is, and each entry's keys as the document spells them (``"Name"``:
    #: entry keys match case-insensitively), for problems found across entries to point at them
    where: tuple[str | int, ...] = ()
    spelled: dict[int, dict[str, str]] = field(default_factory=dict)

    def place(self, index: int, key: str) -> tuple[str | int, ...]:
        """The place of entry ``index``'s field ``key`` (``name``, ``path``) as the document spells it."""
        return (*self.where, index, self.spelled.get(index, {}).get(key, key))


def check_entries(ck: Checker, definition: Any, present: bool, where: tuple[str | int, ...], form: str, hint: str = "") -> Entries | None:
    """Check every entry of a definition; None when there is no array of entries to check
    (``hint`` ends the error when it is missing: see :func:`near_miss`)."""
    if not present:
        ck.error(where, "missing", "the definition (an array of column entries) is missing" + hint)
        return None
    if not isinstance(definition, (list, tuple)):  # (a Python tuple is an array, as in records)
        ck.error(where, "wrong-type", f"the definition must be an array of column entries, not {json_type(definition)}")
        return None
    if not definition:
        ck.error(where, "empty", "the definition has no column entries")
        return None
    too_many = check_column_count(ck, len(definition), where)
    columns: list[Column] = []
    named: dict[str, tuple[list[int], str | None]] = {}
    ok = True
    record_times: list[int] = []
    refused: list[tuple[int, tuple[str | int, ...], str]] = []
    entries = Entries(columns, True, named, refused, where)
    for i, entry in enumerate(definition[:CHECKED_ENTRIES]):
        col = check_entry(ck, entry, where + (i,), i, form, refused, entries.spelled)
        # names repeat whether or not the entries check (every problem in one pass)
        fields = _fields_of(entry) if col is None else {}
        name = col.name if col is not None else fields.get("name")
        if isinstance(name, str) and (
            name or (col.type if col is not None else fields.get("type")) == "recordTime"
        ):  # (two nameless recordTimes: Go's duplicate names)
            ctype = col.type if col is not None else fields.get("type")
            indices = named.setdefault(name, ([], ctype if isinstance(ctype, str) and ctype in TYPES else None))[0]
            if indices:
                ck.error(entries.place(i, "name"), "duplicate-name", f"schema field {i} duplicates name of field {indices[0]} ({preview(name)!r})")
                ok = False
            indices.append(i)
        if col is None:
            ok = False
            continue
        if col.type == "recordTime":
            record_times.append(i)
            if not col.name:
                ck.note(
                    where + (i,),
                    "nameless-record-time",
                    "a recordTime entry without a name, as the ingester takes one (it sets the record's time, no column of the table):"
                    " mapper's batches name its column '' (its presence '.present'; polars, in to_polars, calls it column_N)",
                )
        columns.append(col)
    if len(record_times) > 1:
        for i in record_times[1:]:
            ck.warning(where + (i,), "several-record-times", "more than one recordTime column: the last one read sets the record's time")
    _check_exists_fields(ck, columns, entries)
    if record_times and not any(c.config.quantum for c in columns):
        ck.warning(
            where + (record_times[0],),
            "unused-record-time",
            "recordTime only matters for columns with a Quantum, and no column has one",
        )
    elif record_times and any(c.index == record_times[-1] and not c.config.numeric_time for c in columns):
        # idk/ingest.go reuses one Row, whose time only rec.Time.Set writes (never reset)
        ck.note(
            where + (record_times[-1],),
            "record-time-carried",
            'a record whose recordTime is missing (or "", or Go\'s zero time) gets no time of its own: the ingester files it under '
            "the time views of the record it took before it, which may be another request's",
        )
    too_many = check_path_tree(ck, columns, lambda col: entries.place(col.index, "path")) or too_many
    entries.ok = ok and not too_many
    return entries


#: idk/ingest.go keeps a signedIntBoolKey column's rows in a set field of its name and which
#: rows each record has written in a second set field, its name and this suffix.
EXISTS_SUFFIX = "-exists"


def _check_exists_fields(ck: Checker, columns: list[Column], entries: Entries) -> None:
    """A signedIntBoolKey column's second field, ``<name>-exists``: its name must be one
    FeatureBase takes (index.go ValidateName: at most 230 characters), and no other column
    should be that field."""
    exists = {c.name + EXISTS_SUFFIX: c for c in columns if c.type == "signedIntBoolKey"}
    if not exists:
        return
    # (a warning in a stored sink, as a refused column name is: a batch file or a serve database
    # written by a mapper that took the name is read back, see stored_sink_names)
    say = ck.warning if _STORED_SINK.get() else ck.error
    for name, col in exists.items():
        if len(name) > NAME_MAX:
            say(
                entries.place(col.index, "name"),
                "exists-name-too-long",
                f"a signedIntBoolKey column's name may have at most {NAME_MAX - len(EXISTS_SUFFIX)} characters (this one has {len(col.name)}):"
                f" the ingester also makes a field named '<name>{EXISTS_SUFFIX}', which FeatureBase refuses past {NAME_MAX} characters",
            )
    for col in columns:
        owner = exists.get(col.name)
        if owner is not None:
            ck.warning(
                entries.place(col.index, "name"),
                "exists-field-clash",
                f"the ingester keeps which rows signedIntBoolKey column {owner.name!r} has written in a field named {col.name!r}:"
                " this column is that FeatureBase field too, and both write into it; rename one",
            )


#: Set while a stored batch's sink is read back (see :func:`stored_sink_names`).
_STORED_SINK = contextvars.ContextVar("mapper_stored_sink", default=False)


@contextlib.contextmanager
def stored_sink_names() -> Iterator[None]:
    """Within it, a column name FeatureBase refuses is a warning: the sink a batch file holds
    (``read_batch``) was written by a mapper that took such names (from a definition, or from a
    Sink built in Python before compiling checked its names); the file's columns are read by them."""
    token = _STORED_SINK.set(True)
    try:
        yield
    finally:
        _STORED_SINK.reset(token)


def name_refused(name: str, ctype: Any) -> bool:
    """Whether FeatureBase's name rule refuses ``name`` as the column of an entry of type ``ctype``
    (said by :func:`check_column_names`): a recordTime entry names the record's time, not a
    FeatureBase column (the UI form calls it _timeQuantum)."""
    return not COLUMN_NAME_RE.fullmatch(name) and ctype != "recordTime"


def check_column_names(ck: Checker, entries: Entries, key: str | None) -> bool:
    """Say each name of ``entries.refused``: an error where the column is stored (no FeatureBase
    table has it), a warning for the entry of ``key``, the identity's own column when it is not
    stored (an id_field, a lone string primary key: the ingester never creates nor looks up
    that column). Whether any was an error."""
    bad = False
    stored = _STORED_SINK.get()
    for i, pointer, name in entries.refused:
        if key is not None and name == key and entries.named.get(name, ([], None))[0][:1] == [i]:
            ck.warning(pointer, "column-name", bad_name_message(name, "column", NAME_NOT_STORED))
        elif stored:  # (a batch file's sink: see stored_sink_names)
            ck.warning(pointer, "column-name", bad_name_message(name, "column", NAME_REFUSED))
        else:
            ck.error(pointer, "column-name", bad_name_message(name, "column", NAME_REFUSED))
            bad = True
    return bad


def check_entry(
    ck: Checker,
    entry: Any,
    where: tuple[str | int, ...],
    index: int,
    form: str,
    refused: list[tuple[int, tuple[str | int, ...], str]] | None = None,
    spellings: dict[int, dict[str, str]] | None = None,
) -> Column | None:
    """The entry's Column, or None when it has an error (each reported to ``ck``). A name
    FeatureBase refuses is added to ``refused``, to be said once the identity is known
    (:func:`check_column_names`); without it, it is an error here. ``spellings`` gets the
    entry's keys as the document spells them, at ``index`` (see :attr:`Entries.spelled`)."""
    if not isinstance(entry, Mapping):
        ck.error(where, "wrong-type", f"a column entry must be an object with name, path, type and config, not {json_type(entry)}")
        return None
    ck.duplicates(entry, where)
    entry, spelled = _entry_fields(ck, entry, where)
    if spellings is not None and any(key != canonical for canonical, key in spelled.items()):
        spellings[index] = spelled
    ok = True

    def at(key: str) -> tuple[str | int, ...]:
        return where + (spelled.get(key, key),)

    name = entry.get("name")
    if entry.get("type") == "recordTime" and name in ("", None):
        # (idk: a recordTime field "doesn't have a name": it sets the record's time and is no column;
        # ParseHeader takes it nameless, as Go's decoder reads a name missing or null, "")
        name = ""
    elif "name" not in entry:
        ck.error(at("name"), "missing", "the column entry has no name")
        ok = False
    elif not isinstance(name, str) or not name:
        ck.error(at("name"), "wrong-type", f"the column name must be a non-empty string, not {ck.show(name)}")
        ok = False
    elif name_refused(name, entry.get("type")):
        if ck.said_as_unicode(at("name"), name):
            pass  # (said there: invalid-unicode)
        elif refused is not None:
            refused.append((index, at("name"), name))
        else:
            ck.error(at("name"), "column-name", bad_name_message(name, "column", NAME_REFUSED))

    path = check_path(ck, entry, where, form, spelled.get("path", "path"))
    if path is None:
        ok = False

    ctype = entry.get("type")
    if "type" not in entry:
        ck.error(at("type"), "missing", f"the column entry has no type (one of {', '.join(TYPES)})")
        ok = False
    elif not isinstance(ctype, str):
        ck.error(at("type"), "wrong-type", f"the column type must be a string, not {json_type(ctype)}")
        ok = False
    elif ctype.lower() == "lookuptext":  # (idk's ParseHeader knows it: not a typo, not a column)
        ck.error(at("type"), "unsupported-type", lookup_text_message(ctype))
        ok = False
    elif ctype not in TYPES:
        ck.error(at("type"), "unknown-type", f"unsupported type {preview(ctype)!r}{suggest(ctype, TYPES)}; types are {', '.join(TYPES)}")
        ok = False

    config = None
    if isinstance(ctype, str) and ctype in TYPES:  # the type alone says what the config holds: checked whatever else is wrong
        config = check_config(ck, entry.get("config"), "config" in entry, ctype, at("config"), ConfigKeyWhere(entry), name if isinstance(name, str) else None)
        if config is None:
            ok = False
    if not ok:
        return None
    assert isinstance(name, str) and path is not None and config is not None and isinstance(ctype, str)
    return Column(index=index, name=plain_str(name), path=path, type=plain_str(ctype), config=config, pointer=make_pointer(*where))


def lookup_text_message(ctype: str) -> str:
    """What a ``lookupText`` entry is, and that mapper does not map it (idk/header.go's
    ParseHeader takes the type; idk/ingest.go writes its values to a PostgreSQL lookup table
    through --lookup-db-dsn, and refuses the type without one)."""
    spelled = "" if ctype == "lookupText" else " (idk's definitions spell it 'lookupText', case and all: this spelling it refuses as an unsupported type)"
    return (
        f"type {ctype!r} is FeatureBase's ingester's (idk's) lookup text field{spelled}: idk writes its values to a separate PostgreSQL lookup "
        "table (its --lookup-db-dsn option), not to a FeatureBase column, and refuses the type without that database. The ingest endpoint "
        "keeps no lookup database, and mapper does not map the type (no column would hold the value): leave the entry out, or give it "
        f"type 'string' to store the text in a column of the table; types are {', '.join(TYPES)}"
    )


def _fields_of(entry: Any) -> dict[str, Any]:
    """The fields an entry gives, read as :func:`check_entry` reads them (its warnings said there)."""
    return _entry_fields(Checker(), entry, ())[0] if isinstance(entry, Mapping) else {}


def _each_value(obj: Mapping[Any, Any], is_field: Callable[[str], bool]) -> list[tuple[Any, Any]]:
    """(key, value) pairs in order, a field's key given more than once with each of its values
    in turn (``history`` of a parsed document): Go's decoder reads them one after another."""
    history = getattr(obj, "history", {})
    return [(k, v) for k, last in obj.items() for v in (history.get(k, [last]) if isinstance(k, str) and is_field(k) else [last])]


def _entry_fields(ck: Checker, entry: Mapping[str, Any], where: tuple[str | int, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """A column entry's fields as idk's decoder reads them (Go's encoding/json: a key matches
    a field case-insensitively, the last one of a field wins), and each field's spelling in
    the document (for pointers). Keys that name no field are warned about and left out."""
    fields: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    folded = {k.lower(): k for k in _ENTRY_KEYS}
    for key, value in _each_value(entry, lambda k: k.lower() in folded):
        canonical = folded.get(key.lower()) if isinstance(key, str) else None
        if canonical is None:
            ck.warning(where + (int_text(key),), "unknown-key", unknown_key_message(key, "a column entry", _ENTRY_KEYS))
            continue
        if canonical in spelled and spelled[canonical] != key:
            ck.warning(where + (key,), "duplicate-key", f"{canonical} is given twice ({spelled[canonical]!r} and {key!r}); the last one wins")
        elif key != canonical and spelled.get(canonical) != key:
            ck.warning(
                where + (key,),
                "key-case",
                f"{key!r} is read as {canonical!r} (keys match case-insensitively, as in the ingester's decoder); write it {canonical!r}",
            )
        if value is None and canonical in ("name", "type") and canonical in fields:
            continue  # Go: null leaves a string field as it was
        fields[canonical] = value
        spelled[canonical] = key
    return fields, spelled


def check_path(ck: Checker, entry: Mapping[str, Any], where: tuple[str | int, ...], form: str, key: str = "path") -> Path | None:
    raw = entry.get("path")
    pw = where + (key,)
    if raw is None:
        name = entry.get("name")
        who = f"field {preview(name)!r}" if isinstance(name, str) else "the column entry"
        ck.error(pw, "missing", f"{who} is missing a path")
        return None
    if isinstance(raw, (list, tuple)):
        if not raw:
            ck.error(pw, "empty-path", "the path is empty; give at least one key")
            return None
        good = True
        for j, key in enumerate(raw):
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                ck.error(pw + (j,), "wrong-type", f"a path element must be a string (an object key), not {json_type(key)}")
                good = False
            elif isinstance(key, int):
                ck.error(pw + (j,), "array-index", f"path element {preview(int_text(key))} is an array index; the endpoint's paths only take object keys")
                good = False
        if good and len(raw) > MAX_PATH_KEYS:
            ck.error(pw, "path-too-deep", f"the path has {len(raw):,} keys; mapper takes at most {MAX_PATH_KEYS}")
            good = False
        return path_from_keys(raw) if good else None
    if isinstance(raw, str):
        try:
            path = parse_path(raw)
        except PathSyntaxError as exc:
            if not ck.said_as_unicode(pw, raw):  # (a path holding half of a surrogate pair is said once, where the text is checked)
                ck.error(
                    pw,
                    "path-syntax",
                    exc.render()
                    if len(raw) < 2000
                    else exc.message + ("" if exc.whole else f" at character {exc.position + 1}") + (f"; {exc.hint}" if exc.hint else ""),
                )
            return None
        if path.keys is not None and len(path.keys) > MAX_PATH_KEYS:
            ck.error(pw, "path-too-deep", f"the path has {len(path.keys):,} keys; mapper takes at most {MAX_PATH_KEYS}")
            return None
        literal = skipped_spaces(path)
        if literal is not None:
            ck.warning(pw, "path-spaces", spaces_reason(raw, path.keys or (), literal))
        rest = root_dollar(raw) if path.keys is not None and path.keys[0] == "$" else None
        if rest is not None:  # ($.data.x, as JSONPath and mapper's messages write paths: the column was never found)
            # (the keys after the $ as they parse back: $.$.x was told to write '$.x', itself warned of)
            instead = f"write it {elided(escape_controls(to_dot_notation((path.keys or ())[1:])))}" if rest else "name a key of the record"
            ck.warning(
                pw,
                "path-root",
                f"the path {preview(raw, 200)!r} reads a key named '$' first: a path starts at the record's first key, not at the record"
                f" itself as JSONPath's $ (which mapper's messages write); {instead}, or, if the record has a key '$', quote it"
                f" ({elided(chr(34) + '$' + chr(34) + raw[1:])}) or give the path as an array of keys",
            )
        if path.is_plain and form == "body":
            ck.note(pw, "path-string", f"the endpoint's API takes a path as an array of keys: {elided(json_text(path.as_array()), quote=str)}")
        elif not path.is_plain:
            ck.warning(
                pw,
                "jmespath",
                "a JMESPath expression: the endpoint only takes arrays of keys, so only mapper can evaluate this; "
                "JMESPath gives null for a missing key, so mapper treats its null as missing"
                + (f"; {quoted}" if (quoted := single_quoted_keys_hint(raw)) else ""),
            )
        return path
    ck.error(pw, "wrong-type", f"the path must be an array of keys (or a path string), not {json_type(raw)}")
    return None


#: The name fields every idk Field struct has, which a config object sets too (Go's decoder
#: fills any exported field): ParseHeader then overwrites NameVal with the entry's name, but
#: a DestNameVal stays and renames the column the ingester writes (``Field.DestName``).
_NAME_FIELDS = {"nameval": "NameVal", "destnameval": "DestNameVal"}

#: The config fields idk decodes into pointers (null makes them unset again).
_POINTER_KEYS = frozenset({"Min", "Max"})


class ConfigKeyWhere:
    """Maps canonical config keys to the spelling the document used (for pointers)."""

    def __init__(self, entry: Mapping[str, Any]):
        cfg = entry.get("config")
        self.spelled: dict[str, str] = {}
        if isinstance(cfg, Mapping):
            for key in cfg:
                if isinstance(key, str):
                    self.spelled[go_fold(key)] = key  # the last spelling: its value is the one that counts

    def __call__(self, canonical: str) -> str:
        return self.spelled.get(go_fold(canonical), canonical)


def check_config(
    ck: Checker,
    cfg: Any,
    present: bool,
    ctype: str,
    where: tuple[str | int, ...],
    spelled: Callable[[str], str],
    name: str | None = None,
) -> ColumnConfig | None:
    allowed = tuple(REGISTRY[ctype].config_keys)
    values: dict[str, Any] = {}
    invalid: set[str] = set()  # keys written with a value that did not check
    ok = True
    dest: tuple[tuple[str | int, ...], str] | None = None  # DestNameVal: where, and its last string
    if present and cfg is not None and not isinstance(cfg, Mapping):
        ck.error(where, "wrong-type", f"config must be an object, not {json_type(cfg)}")
        return None
    if isinstance(cfg, Mapping):
        ck.duplicates(cfg, where)
        folded = {go_fold(k): k for k in allowed}
        seen: dict[str, str] = {}
        history = getattr(cfg, "history", {})
        given: dict[str, int] = {}  # how many values of each key given more than once were read
        for key, value in _each_value(cfg, lambda k: go_fold(k) in folded or go_fold(k) in _NAME_FIELDS):
            canonical = folded.get(go_fold(key)) if isinstance(key, str) else None
            kw = where + (int_text(key),)
            occurrence = given[key] = given.get(key, -1) + 1 if key in history else -1  # (a key given once: its last value, the one read)
            if canonical is None and isinstance(key, str) and go_fold(key) in _NAME_FIELDS:
                field_name = _NAME_FIELDS[go_fold(key)]
                if value is not None and not isinstance(value, str):
                    ck.error(
                        kw, "wrong-type", f"{field_name} must be a string, not {json_type(value)} {ck.show(value)}: the ingester cannot decode this config"
                    )
                    ok = False
                elif field_name == "DestNameVal" and value is not None:
                    dest = (kw, plain_str(value))
                elif field_name == "DestNameVal":  # (null leaves Go's field as it was, empty: it is not NameVal, which ParseHeader replaces)
                    ck.warning(kw, "dest-name", "DestNameVal null has no effect here")
                else:
                    ck.warning(kw, "unknown-config-key", f"{field_name} is replaced by the entry's name; the ingester ignores it")
                continue
            if canonical is None:
                if not isinstance(key, str):  # (a Python mapping's: 1 is not "1")
                    why = unknown_key_message(key, "the config", allowed)
                elif _canonical_key(key) in _KEY_KIND:
                    why = f"{_canonical_key(key)} does not apply to {article(ctype)} column; the ingester ignores it"
                else:
                    why = f"unknown config key {preview(key)!r}; the ingester ignores it{suggest(key, allowed)}"
                ck.warning(kw, "unknown-config-key", why)
                continue
            if canonical in seen and seen[canonical] != key:  # (a key written twice alike is warned about once, above)
                ck.warning(kw, "duplicate-key", f"{canonical} is given twice ({seen[canonical]!r} and {key!r}); the last one wins")
            seen[canonical] = key
            if value is None:  # Go: null sets a pointer field (Min, Max) to nil, and leaves any other as it was
                if canonical in _POINTER_KEYS:
                    values.pop(canonical, None)
                continue
            parsed = _config_value(ck, canonical, value, kw, ck.escapes(kw, occurrence))
            if parsed is _INVALID:
                ok = False
                invalid.add(canonical)
            else:
                values[canonical] = plain_str(parsed) if isinstance(parsed, str) else parsed
    if dest is not None:
        at, text = dest
        if not text or text == name or ctype == "recordTime":
            ck.warning(at, "dest-name", f"DestNameVal {preview(text)!r} has no effect here")
        else:
            ck.error(
                at,
                "dest-name",
                f"DestNameVal {preview(text)!r} makes the ingester write this column as {preview(text)!r} instead of its name "
                f"{preview(name or '')!r} (and look id_field and primary keys up by it); mapper names a column by its name only: "
                f"name the entry {preview(text)!r} instead",
            )
            ok = False
    # a problem of the config as a whole (no Scale) is the entry's when it has no config to point at
    fields = REGISTRY[ctype].check_config(values, invalid, _Rules(ck, where if present else where[:-1], spelled, where))
    if fields is None or not ok:
        return None
    return ColumnConfig(given=tuple(sorted(values)), **fields)


class _Rules:
    """A type's config rules reporting into a Checker, at the config key as the document
    spelled it (``keys``: the config's pointer), or at ``where`` for the config as a whole."""

    def __init__(self, ck: Checker, where: tuple[str | int, ...], spelled: Callable[[str], str], keys: tuple[str | int, ...]):
        self.ck, self.where, self.spelled, self.keys = ck, where, spelled, keys

    def _at(self, key: str | None) -> tuple[str | int, ...]:
        return self.where if key is None else self.keys + (self.spelled(key),)

    def error(self, key: str | None, code: str, message: str) -> None:
        self.ck.error(self._at(key), code, message)

    def warning(self, key: str | None, code: str, message: str) -> None:
        self.ck.warning(self._at(key), code, message)

    def note(self, key: str | None, code: str, message: str) -> None:
        self.ck.note(self._at(key), code, message)


_INVALID = object()


def _canonical_key(key: str) -> str:
    for k in _KEY_KIND:
        if go_fold(k) == go_fold(key):
            return k
    return key


def _config_value(ck: Checker, key: str, value: Any, where: tuple[str | int, ...], escapes: tuple[str, ...] = ()) -> Any:
    """A config value checked for its key (``escapes``: the JSON escapes its text writes)."""
    kind = _KEY_KIND[key]
    if kind == "bool":
        if not isinstance(value, bool):
            ck.error(where, "wrong-type", f"{key} must be true or false, not {json_type(value)} {ck.show(value)}")
            return _INVALID
        return value
    if kind == "str":
        if not isinstance(value, str):
            ck.error(where, "wrong-type", f"{key} must be a string, not {json_type(value)} {ck.show(value)}")
            return _INVALID
        return value
    if kind == "int64":
        if isinstance(value, LongInteger):
            ck.error(where, "out-of-range", f"{key} {preview(value.text)} does not fit a signed 64-bit integer")
            return _INVALID
        if isinstance(value, bool) or not isinstance(value, int):
            ck.error(where, "wrong-type", f"{key} must be a whole number, not {json_type(value)} {ck.show(value)}")
            return _INVALID
        if not INT64_MIN <= value <= INT64_MAX:
            ck.error(where, "out-of-range", f"{key} {preview(int_text(value))} does not fit a signed 64-bit integer")
            return _INVALID
        return value
    if kind == "time":
        if not isinstance(value, str):
            ck.error(where, "wrong-type", f'{key} must be an RFC 3339 time string such as "1970-01-01T00:00:00Z", not {json_type(value)} {ck.show(value)}')
            return _INVALID
        try:
            parsed = golayout.parse_rfc3339(value)
        except golayout.LayoutError as exc:  # (escaped or not: writing it otherwise would not help)
            ck.error(where, "invalid-epoch", f"{key} {preview(value)!r} is not an RFC 3339 time: {exc.message}")
            return _INVALID
        if escapes:
            ck.error(where, "invalid-epoch", f"{key} {preview(value)!r} {_escapes_message(escapes)}")
            return _INVALID
        return (value, parsed)
    raise AssertionError(kind)  # pragma: no cover


_QUOTE = '"'


def _escapes_message(escapes: tuple[str, ...]) -> str:
    """Why a time written with ``escapes`` (``\\u005a``, ``\\n``) is refused, naming them."""
    shown = escapes[:3]
    named = and_list(list(shown) if len(escapes) <= 3 else [*shown, f"{len(escapes) - 3} more"])
    meant = ", ".join(f"{escape_controls(repr(json.loads(_QUOTE + e + _QUOTE)))} for {e}" for e in shown)
    return (
        f"is written with the JSON escape{'s' if len(escapes) > 1 else ''} {named}: the ingester (Go 1.19's time.Time.UnmarshalJSON) "
        f"parses the raw text, escapes included, so it refuses the definition; write the characters themselves ({meant})"
    )


def check_paths(ck: Checker, columns: list[Column], where_of: Callable[[Column], tuple[str | int, ...]] | None = None) -> None:
    """Warn where two columns read the same path, or one path is a prefix of another's, at the
    column's path (``where_of``; by default its entry's ``path``)."""
    if where_of is None:

        def where_of(col: Column) -> tuple[str | int, ...]:
            return split_pointer(col.pointer) + ("path",)

    plain = [(c, c.path.keys) for c in columns if c.path.keys is not None]
    by_keys: dict[tuple[str, ...], Column] = {}
    for col, keys in plain:
        assert keys is not None
        if keys in by_keys:
            first = by_keys[keys]
            ck.warning(
                where_of(col),
                "same-path",
                f"columns {preview(first.name)!r} and {preview(col.name)!r} read the same path {preview(col.path.jsonpath(), 200)}",
            )
        else:
            by_keys[keys] = col
    for col, keys in plain:
        assert keys is not None
        for n in range(1, len(keys)):
            other = by_keys.get(keys[:n])
            if other is not None:
                if other.type == "string":  # (a string column takes any value: it stores it as Go prints it)
                    why = f"where that value is an object, {preview(other.name)!r} stores it as Go prints it (map[b:2]), not as its JSON text"
                else:
                    why = f"that value cannot be both an object and what {article(other.type)} column takes"
                ck.warning(
                    where_of(col),
                    "prefix-path",
                    f"the path of {preview(col.name)!r} ({preview(col.path.jsonpath(), 200)}) goes inside the value of "
                    f"{preview(other.name)!r} ({preview(other.path.jsonpath(), 200)}); {why}",
                )
                break


def split_pointer(pointer: str) -> tuple[str, ...]:
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))
