"""The careful path: one record at a time, every error located.

A record the fast path cannot take (it does not decode into the tier Structs, or a
value is not plainly clean) comes here alone: decoded into plain Python objects,
walked by the generated ``walk`` and converted by the column types' scalar
converters (:meth:`mapper.types.ColumnType.convert`), which word every error and
every lossy value. The fast path also hands single elements here (:meth:`element`)
when its vector form cannot vouch for them.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from msgspec import UNSET

from ..batch import ColumnBuilder
from ..compiler import CompiledSink, NotObject, PathFailure
from ..errors import escape_controls, json_text, preview, show, type_name
from ..model import MISSING
from ..options import MapOptions
from ..report import RecordError, ValueWarning, not_an_item_reason, not_an_object_reason
from ..stack import full_stack
from ..types import CLEARED, NO_VALUE, ColumnType, ConversionError, Lossy, ShownFloat, as_json, go_text, located
from .gojson import (
    RecordDecodeError,
    decode_record,
    has_surrogates,
    has_unpaired,
    joined_keys,
    lone_cr_named,
    number_texts,
    record_place,
    replaced_string,
    second_bom,
    unpaired_escapes,
    without_surrogates,
)
from .output import RunOutput
from .reader import NotAnItem, OversizedObject

#: Why a record missing a mapped value is refused under ``allow_missing_fields: false`` (code ``missing``).
MISSING_REASON = "Missing value (allow_missing_fields is false)"


class CarefulPath:
    """Maps single records (raw JSON text or decoded objects) into a run's output."""

    def __init__(self, compiled: CompiledSink, options: MapOptions, out: RunOutput):
        self.c = compiled
        self.out = out
        self.rb = out.rb
        self.strict = options.strict
        self.allow_missing = compiled.sink.allow_missing_fields
        self.ctypes = compiled.ctypes
        self.names = compiled.names
        self.paths = compiled.jsonpaths
        self.pointers = compiled.pointers
        self.stored = compiled.stored_index
        # JMESPath columns evaluate the whole record with the jmespath library, which knows
        # dict and list only: a caller's record is read as its JSON text would decode
        self.jmes = tuple(c.index for c in compiled.sink.columns if c.path.keys is None)
        sink = compiled.sink
        # identity (a workers part may leave it to another process)
        with_id = compiled.with_identity
        self.id_col = compiled.identity_index[0] if sink.id_field is not None and with_id else None
        self.pk_cols = compiled.identity_index if sink.id_field is None and with_id else ()
        self.pk_single_str = len(self.pk_cols) == 1
        #: the unit being mapped's characters before each record on its line, and its first
        #: record's index (see :attr:`~mapper.engine.reader.RawRecords.cols`): an error's char
        #: counts from the line's start
        self.cols: Sequence[int] | None = None
        self.cols_start = 0
        self.keys = tuple(c.path.keys for c in sink.columns)
        #: the record being read from its JSON text, while it is: the text, its index, and its
        #: unpaired surrogate escapes once a note asks (see :meth:`escape_sent`)
        self.text: list[Any] | None = None

    def column_of(self, pos: int) -> Callable[[], int] | None:
        """The characters before record ``pos`` on its line, asked when a message needs them."""
        cols, i = self.cols, pos - self.cols_start
        if cols is None or not 0 <= i < len(cols):
            return None
        return lambda: cols[i]

    def error(self, ci: int | None, pos: int, line: int | None, code: str, reason: str, shown: ShownFloat | None = None) -> None:
        """An error of column ``ci`` (None: of the record as a whole); ``shown``: where ``reason``
        shows the float the column read (see :func:`numbers_as_written`)."""
        if ci is None:
            self.rb.error(pos, line, None, None, code, reason)
        else:
            self.rb.error(pos, line, self.names[ci], self.paths[ci], code, reason, self.pointers[ci], shown)

    def record_error(self, pos: int, line: int | None, code: str, reason: str, path: str | None = None) -> None:
        """A record that is not a record at all: one error, every column missing."""
        self.rb.error(pos, line, None, path, code, reason)
        self.out.blank_row(pos)

    # ------------------------------------------------------------------ whole records

    def raw(self, raw: bytes, pos: int, line: int | None) -> None:
        """One record given as its raw JSON text."""
        self.out.pending_raw[pos] = raw
        if not raw:
            self.record_error(pos, line, "not_an_object", not_an_item_reason(None))
            return
        try:
            # (an unpaired surrogate escape kept: noted, as a Python caller's, where a column maps it;
            # an integer -0 the float64 -0 Go reads, in any sink: a record refused for it says what
            # the endpoint got, `float` -0, not the int 0 msgspec reads, the sink's other columns aside)
            obj, replaced = decode_record(raw, True, self.column_of(pos) if self.cols is not None else None, unpaired=True)
        except RecordDecodeError as exc:
            # (the lone-CR hint's command names the input's file where the run knows it: ReportBuilder.input_name)
            # (a mark at char 1 of line 1, or of a text given alone: the input's first was taken off, this is a second)
            message = second_bom(exc.message) if line is None or line == 1 else exc.message
            self.record_error(pos, line, "invalid_json", lone_cr_named(message, getattr(self.rb, "input_name", None)))
            return
        if replaced is not None:  # (invalid UTF-8: its bytes are gone; stored, the whole string that held the first, as Go reads it)
            self.notes(
                None,
                [
                    Lossy(
                        "utf8_replaced",
                        replaced,
                        replaced_string(raw) or "\ufffd",
                        "the endpoint's JSON decoder replaces each invalid byte and each unpaired surrogate escape",
                    )
                ],
                pos,
                line,
                "$",
            )
        self.text = [raw, pos, None]
        try:
            self.obj(obj, pos, line, decoded=True)
        finally:
            self.text = None

    def obj(self, obj: Any, pos: int, line: int | None, decoded: bool = False) -> None:
        """One record given as an object: decoded JSON (``decoded``) or a caller's."""
        self.out.stats["careful_records"] += 1
        if obj.__class__ is not dict:
            if isinstance(obj, NotAnItem):
                self.record_error(pos, line, "not_an_object", not_an_item_reason(None if obj.item is None else type_name(obj.item)))
                return
            if isinstance(obj, OversizedObject):
                self.record_error(pos, line, "too_large", obj.reason)
                return
            if not isinstance(obj, Mapping):
                self.record_error(pos, line, "not_an_object", not_an_object_reason(obj), "$")
                return
        odd = None
        if self.jmes and not decoded:  # as its JSON text decodes (tuples, other mappings): what jmespath walks
            try:
                obj = full_stack(_json_record, obj)
            except ConversionError as exc:
                odd = located(exc, ())
            except RecursionError:
                odd = "it is nested too deeply, or holds itself"
        try:
            values = full_stack(self.c.walk, obj)  # any Mapping: walk only calls .get
        except RecursionError:  # pragma: no cover - absurdly deep records
            self.record_error(pos, line, "invalid_value", "record nested too deeply", "$")
            return
        if odd is not None:  # no JSON text: a JMESPath expression has nothing to read
            failure = PathFailure(f"the record has no JSON text, which a JMESPath expression reads whole: {odd}")
            values = tuple(failure if ci in self.jmes else v for ci, v in enumerate(values))
        builders = self.out.builders
        reported: set[tuple[str, ...]] = set()
        for ci in self.stored:
            v = values[ci]
            if v.__class__ is NotObject:
                if v.keys not in reported:
                    reported.add(v.keys)
                    self.not_object(ci, v, pos, line)
                builders[ci].put_missing(pos)
                continue
            self.element(ci, v, pos, line, builders[ci])
        id_builder = self.out.id_builder
        if self.id_col is not None:
            v = values[self.id_col]
            if isinstance(v, NotObject):
                if v.keys not in reported:
                    self.not_object(self.id_col, v, pos, line)
                id_builder.put_missing(pos)
            else:
                self.id_element(v, pos, line)
        elif self.pk_cols:
            raw_vals = [values[ci] for ci in self.pk_cols]
            for ci, v in zip(self.pk_cols, raw_vals):
                if isinstance(v, NotObject) and v.keys not in reported:
                    reported.add(v.keys)
                    self.not_object(ci, v, pos, line)
            if any(isinstance(v, NotObject) for v in raw_vals):
                id_builder.put_missing(pos)
            else:
                self.pk_element(raw_vals, pos, line)

    def not_object(self, ci: int, v: NotObject, pos: int, line: int | None) -> None:
        # The ingester's wording: element at ["data"] is not an object (its keys' hidden
        # characters escaped, as every message quotes a name: a U+202E read the rest backwards)
        keys = json_text(list(v.keys))
        self.error(ci, pos, line, "not_an_object", f"element at {keys} is not an object (got `{type_name(v.value)}` {show(v.value)})")

    # ------------------------------------------------------------------ single values

    def element(self, ci: int, v: Any, pos: int, line: int | None, b: ColumnBuilder) -> None:
        """Convert one raw value into row ``pos`` of column ``ci`` (the reference path)."""
        ct = self.ctypes[ci]
        cls = v.__class__
        if cls not in _SCALARS:  # (the usual case, a plain JSON scalar, goes straight to convert)
            if v is None:
                effect = ct.on_null
                if effect == "clear":
                    b.put_null(pos)
                else:  # "keep": nothing is written; "error": nothing either, and the record fails
                    b.put_missing(pos)
                    if effect == "error":
                        self.error(ci, pos, line, "invalid_value", ct.null_error())
                return
            if v is MISSING or v is UNSET:
                if not self.allow_missing:
                    b.put_missing(pos)
                    self.error(ci, pos, line, "missing", MISSING_REASON)
                    return
                effect = ct.on_missing
                if effect == "clear":
                    b.put_null(pos)
                else:
                    b.put_missing(pos)
                    if effect == "error":
                        self.error(ci, pos, line, "invalid_value", ct.missing_error())
                return
            if isinstance(v, PathFailure):
                b.put_missing(pos)
                self.error(ci, pos, line, "invalid_value", f"JMESPath expression failed: {v.message}")
                return
        try:
            if cls in _SCALARS:  # (the usual case: converted here, as _stored does, without a call more)
                notes: list[Lossy] = []
                if (cls is not str or not v.isascii()) and cls not in _NUMBERS and has_surrogates(v):  # only a Python caller's strings
                    v = self.unpaired(v, notes)
                stored = ct.convert(v, notes)
            else:  # a list or dict may nest deeper than the caller's stack lets it recurse
                stored, notes = full_stack(_stored, ct, v)
        except ConversionError as exc:
            b.put_missing(pos)
            self.error(ci, pos, line, exc.code, exc.reason if exc.keys is None else located(exc, self.keys[ci]), exc.shown)
            return
        except RecursionError:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_value", f"`{type_name(v)}` value nested too deeply")
            return
        if stored is NO_VALUE:
            b.put_missing(pos)
        elif stored is CLEARED:
            b.put_null(pos)
        else:
            b.put(pos, stored)
        if notes:
            self.notes(ci, notes, pos, line)

    @staticmethod
    def unpaired(v: Any, notes: list[Lossy]) -> Any:
        """A Python value whose strings hold unpaired surrogates, as its JSON text reaches the endpoint (U+FFFD for each), noted.

        A ConversionError if it has no JSON text at all (a mapping key that is not a string).
        """
        value = as_json(v, exact=True)
        fixed, sent = without_surrogates(value)
        if has_unpaired(value):  # (a pair's two escapes arrive as the one character they make: nothing replaced)
            notes.append(
                Lossy("utf8_replaced", sent, fixed, "an unpaired UTF-16 surrogate is no text: JSON carries it as an escape the endpoint reads as U+FFFD")
            )
        return fixed

    def notes(self, ci: int | None, notes: list[Lossy], pos: int, line: int | None, record: str | None = None) -> None:
        """Lossy values: warnings, or errors (``lossy_value``) under ``strict``.

        ``ci`` None: the record's ``_id`` (``record`` None) or, ``record`` a path, the
        record's whole text (its invalid UTF-8 may be in any value).
        """
        name = self.names[ci] if ci is not None else ("_id" if record is None else None)
        path = self.paths[ci] if ci is not None else record
        pointer = self.pointers[ci] if ci is not None else None
        for note in notes:
            if note.kind == "utf8_replaced" and self.text is not None and ci is not None:
                note = note._replace(sent=self.escape_sent(ci, note.sent))
            if self.strict:
                reason, shown = ValueWarning(pos, line, name, path, note.kind, note.sent, note.stored, note.hint).worded()
                self.rb.error(pos, line, name, path, "lossy_value", reason, pointer, shown)
            else:
                self.rb.warning(pos, line, name, path, note.kind, note.sent, note.stored, note.hint, pointer)

    def escape_sent(self, ci: int, value: Any) -> Any:
        """What a record read from its JSON text sent where column ``ci`` reads a value holding an
        unpaired surrogate: the first such escape at that path, where the text has it (``escape
        \\ud800 at char 17``; of a name given twice, in the later member, the one Go keeps), as the
        record's text says it; ``value`` (escaped, as a dict's) for a JMESPath expression's,
        which names no place of the text. Looked for only when a note asks: the text is scanned
        once a record (only records holding such an escape are noted so)."""
        keys, text = self.keys[ci], self.text
        if keys is None or text is None:
            return value
        raw, pos, escapes = text
        if escapes is None:
            escapes = text[2] = unpaired_escapes(raw)
        found = [(members[: len(keys)], -offset, escape) for path, members, offset, escape in escapes if tuple(path[: len(keys)]) == keys]
        if not found:  # pragma: no cover - the value read holds one: its path has its escape
            return value
        _members, offset, escape = max(found)  # (the first of the value read: the last member of a name given twice)
        return f"escape {escape} {record_place(raw, -offset, self.column_of(pos))}"

    def id_absent(self, what: str) -> str:
        """Why a record whose id is ``what`` (null, missing) is refused (code ``invalid_id``)."""
        return f"the record's id ({escape_controls(preview(self.c.sink.id_field or ''))}) is {what}"

    def key_absent(self, ci: int, what: str) -> str:
        """Why a record whose primary key field ``ci`` is ``what`` (null, missing) is refused (code ``invalid_id``)."""
        return f"primary key field {self.names[ci]!r} is {what}"

    def id_element(self, v: Any, pos: int, line: int | None) -> None:
        """The ``id_field`` value of one record: the record's unsigned ``_id``."""
        ci = self.id_col
        assert ci is not None
        b = self.out.id_builder
        if v is None or v is MISSING or v is UNSET:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", self.id_absent("null" if v is None else "missing"))
            return
        if isinstance(v, PathFailure):  # (as element and pk_element say it: never the marker's class name)
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", f"JMESPath expression failed: {v.message}")
            return
        try:
            stored, notes = _stored(self.ctypes[ci], v) if v.__class__ in _SCALARS else full_stack(_stored, self.ctypes[ci], v)
        except RecursionError:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", f"`{type_name(v)}` value nested too deeply")
            return
        except ConversionError as exc:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", exc.reason if exc.keys is None else located(exc, self.keys[ci]), exc.shown)
            return
        if stored is NO_VALUE:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", "the record's id is an empty string")
            return
        if stored < 0:
            b.put_missing(pos)
            self.error(ci, pos, line, "invalid_id", f"can't use negative value {stored} as ID")
            return
        b.put(pos, stored)
        if notes and ci not in self.stored:
            # the _id is a column, never a field's row: a large one does not wrap
            notes = [n for n in notes if n.kind != "row_wrapped"]
            if notes:
                self.notes(ci, notes, pos, line)

    def pk_element(self, raw: list[Any], pos: int, line: int | None) -> None:
        """The primary key values of one record: the record's string ``_id``."""
        b = self.out.id_builder
        for ci, v in zip(self.pk_cols, raw):
            if v is None or v is MISSING or v is UNSET:
                b.put_missing(pos)
                self.error(ci, pos, line, "invalid_id", self.key_absent(ci, "null" if v is None else "missing"))
                return
            if isinstance(v, PathFailure):
                b.put_missing(pos)
                self.error(ci, pos, line, "invalid_id", f"JMESPath expression failed: {v.message}")
                return
        try:
            odd = full_stack(has_surrogates, raw)  # (a list: any of its values)
        except RecursionError:  # a key value nested this deep is refused below
            odd = False
        if odd:
            try:
                raw, fixed = full_stack(_key_values, raw)  # (found at a new stack's bottom: replaced there too)
                for ci, notes in zip(self.pk_cols, fixed):  # each named by its key field, as id_element names the id's
                    if notes and ci not in self.stored:  # (a stored key field's own column has said it)
                        self.notes(ci, notes, pos, line)
            except (ConversionError, RecursionError):  # a key value with no JSON text, or too deep: refused below, naming its field
                pass
        if self.pk_single_str and isinstance(raw[0], str):
            key = str.__str__(raw[0])
        else:
            texts = []
            for ci, v in zip(self.pk_cols, raw):
                try:
                    texts.append(full_stack(_key_text, v))
                except (ConversionError, RecursionError) as exc:  # the error names the key field that holds the value
                    b.put_missing(pos)
                    reason = located(exc, self.keys[ci]) if isinstance(exc, ConversionError) else "a key value nested too deeply"
                    self.error(ci, pos, line, "invalid_id", reason)
                    return
            key = "|".join(texts)
            if any(_changed_text(v, t) for v, t in zip(raw, texts)):
                sent = raw[0] if len(raw) == 1 else raw
                self.notes(None, [Lossy("string_from_value", sent, key, "the key is made of the values as Go prints them")], pos, line)
        if key == "":
            b.put_missing(pos)
            self.error(self.pk_cols[0], pos, line, "invalid_id", "the primary key is empty")
            return
        b.put(pos, key)


def _stored(ct: ColumnType, v: Any) -> tuple[Any, list[Lossy]]:
    """What column type ``ct`` stores of a value, and what it noted: ConversionError if nothing.

    A value stands for its JSON text: a subclass is its builtin type, inside an array or
    an object too (a ``str`` subclass whose ``==`` says True to anything was an array's
    ``""``, left out of a set without a word), a Python caller's string with an unpaired
    surrogate is read as its escape arrives (U+FFFD, noted).
    """
    notes: list[Lossy] = []
    cls = v.__class__
    first = None
    if cls not in _SCALARS and not _flat(v, cls):
        try:
            v = as_json(v, exact=True)  # (as it is, unless something in it is no builtin)
        except ConversionError as exc:
            if cls not in _PLAIN:
                raise
            # an array or object holding what is no JSON value: the type's converter refuses it where it is ("at index 1")
            first = exc
    if (cls is not str or not v.isascii()) and cls not in _NUMBERS and has_surrogates(v):  # only a Python caller's strings
        v = CarefulPath.unpaired(v, notes)
    try:
        return ct.convert(v, notes), notes
    except ConversionError as exc:
        if first is not None and exc.reason == first.reason:  # (the same problem, a string column's printing found the key: said with its place)
            raise first from None
        if cls not in _SCALARS:  # (an array or object a string column prints: a NaN in it said with its place)
            _place_non_finite(exc, v)
        raise


def _place_non_finite(exc: ConversionError, value: Any) -> None:
    """Give ``exc`` the place in ``value`` (an array or object a column prints as text, as
    :func:`~mapper.types.go_text` walks it: arrays in order, objects by sorted key) of the
    non-finite float it refuses, a Python caller's NaN or infinity (``nan is not a JSON number
    (at $.s[1])``), as :func:`~mapper.types.as_json` places a value with no JSON form; left as
    it is when it names another problem or has a place. On the error path only."""
    if exc.keys is not None or not exc.reason.endswith(" is not a JSON number"):
        return
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        keys, v = stack.pop()
        if isinstance(v, float):
            if not math.isfinite(v) and exc.reason == f"{show(v)} is not a JSON number":
                exc.keys = keys
                return
        elif isinstance(v, (list, tuple)):
            stack.extend(((*keys, i), v[i]) for i in range(len(v) - 1, -1, -1))
        elif isinstance(v, Mapping):
            try:
                names = sorted(v)
            except TypeError:  # (keys of no one type: go_text refused the mapping for them first)
                return
            stack.extend(((*keys, k), v[k]) for k in reversed(names))


def _flat(v: Any, cls: type) -> bool:
    """Whether ``v`` (of class ``cls``) is an array or an object of builtin scalars and nulls alone: its
    JSON value as it is. (A set's row, an object a string column prints: the types of its
    items cost a tenth of :func:`~mapper.types.as_json`'s walk, 0.2 against 2.9 us.)"""
    if cls is list:
        return set(map(type, v)) <= _FLAT
    return cls is dict and set(map(type, v.values())) <= _FLAT and set(map(type, v)) <= _STR


def _json_record(obj: Any) -> Any:
    """A caller's record as its JSON text decodes, whole (what a JMESPath expression reads): keys holding surrogates as they arrive."""
    return joined_keys(as_json(obj, True))


def _key_values(raw: list[Any]) -> tuple[list[Any], list[list[Lossy]]]:
    """Primary key values as their JSON text arrives (a string's unpaired surrogate: U+FFFD), and each one's notes of it."""
    values: list[Any] = []
    notes: list[list[Lossy]] = []
    for v in raw:
        noted: list[Lossy] = []
        values.append(CarefulPath.unpaired(v, noted) if has_surrogates(v) else v)
        notes.append(noted)
    return values, notes


def _key_text(v: Any) -> str:
    """A primary key value as Go prints it into the key (a NaN in it: the error says where, see :func:`_place_non_finite`)."""
    value = as_json(v, exact=True)
    try:
        return go_text(value)
    except ConversionError as exc:
        _place_non_finite(exc, value)
        raise


#: Values taken as they are; anything else (a Python caller's tuple, mapping,
#: subclass or non-JSON object) goes through :func:`~mapper.types.as_json` first.
_PLAIN = frozenset({str, int, float, bool, list, dict})
#: Values that hold no string (no unpaired surrogate to look for).
_NUMBERS = frozenset({int, float, bool})
#: Values no conversion can recurse into (lists and dicts can nest deeply: see :meth:`CarefulPath.element`).
_SCALARS = frozenset({str, int, float, bool})
#: What an array or object may hold to be its JSON value as it is (see :func:`_flat`).
_FLAT = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def _changed_text(value: Any, text: str) -> bool:
    """Whether Go's %v text of a key value reads differently from the JSON value sent: a number
    printed otherwise (``1.234567e+06``), an object or an array (``map[a:1]``, ``[x 1]``: no
    producer means that text as a key; it was stored without a word)."""
    if isinstance(value, (Mapping, list, tuple)):  # (any mapping is an object, as its JSON text: map[...])
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return "e" in text or (isinstance(value, int) and text != int.__repr__(value))


def numbers_as_written(warnings: Sequence[ValueWarning], errors: dict[int, list[RecordError]], raw_of: Callable[[int], bytes | None]) -> None:
    """Say the numbers of these warnings and errors as their records' texts write them, where
    Python writes the float it decoded otherwise: ``sent 1e20``, ``got `float` -0``, not ``1e+20``
    and ``-0.0`` (``raw_of``: a record's text by its index, None when it came as no text).

    Only a message changes: what was sent (:attr:`ValueWarning.sent`) and stored stay the
    values. A warning's is said by its :attr:`~ValueWarning.written`; an error's reason was
    worded with the float where :attr:`RecordError.shown` says (the converter that worded it
    marked the place), and the text's own writing goes there, nowhere else. Run on the error
    path only, for the warnings a chunk keeps and the errors of its refused records: a record's
    text is scanned once, when a message shows a float of it. A float of an array's element is
    looked up at the element's path where the message says which (``... at index 2``:
    :attr:`ShownFloat.element`), else among the elements of the array at its path, said as they
    write it where they write it one way (an ``ids`` column's ``float truncated: sent 1.50``;
    ``[1.50, 1.5]``: left as Python writes it). A value a JMESPath expression reads (its path no
    place of the text) is left as Python writes it."""
    texts: dict[int, dict[str, str] | None] = {}
    arrays: dict[int, dict[str, dict[str, set[str]]]] = {}

    def numbers(record: int, value: float, shown: str, exact: bool) -> dict[str, str] | None:
        """The numbers of a record's text by path; None when it has none, or writes ``value``
        nowhere otherwise than ``shown`` (a text is scanned only when a message may be unfaithful).
        ``exact``: every number of the text is read to know that (~3 us a record: an error's
        message, once a refused record); else the text holding ``shown`` as a number anywhere is
        taken to write it so (a substring search, ~0.5 us: a warning's, which clean data has by
        the thousand; a record also writing that float otherwise elsewhere, ``{"a": 2.5, "b":
        2.50}``, has b's warning say 2.5)."""
        if record not in texts:
            raw = raw_of(record)
            if not raw or (_written_only_as(raw, shown.encode(), value) if exact else _written_as(raw, shown.encode())):
                return None
            try:
                texts[record] = number_texts(raw)
            except (ValueError, IndexError):  # pragma: no cover - a text the decoder read scans
                texts[record] = None
        return texts[record]

    def written(record: int, path: str | None, value: float, shown: str, exact: bool = True) -> str | None:
        """The text of the number at ``path``, where it writes ``value`` (Python: ``shown``)
        otherwise; else None (never another number's)."""
        if path is None:
            return None
        found = numbers(record, value, shown, exact)
        if not found:
            return None
        text = found.get(path)
        if text is None:  # an array's element, unnamed (an ids column's float_truncated): the one way its elements write the float, if one
            if record not in arrays:
                arrays[record] = _element_texts(found)
            ways = arrays[record].get(path, {}).get(shown)
            text = next(iter(ways)) if ways is not None and len(ways) == 1 else None
        return text if text is not None and text != shown and _float_text(text, value) else None

    for w in warnings:
        if w.path is not None and w.written is None:
            value = w.value_sent()
            if value.__class__ is float:
                w.written = written(w.record, w.path, value, float.__repr__(value), exact=False)
    for record, errs in errors.items():
        for i, e in enumerate(errs):
            at = e.shown
            if at is None:  # (no float shown: strings, arrays and bools refused by the thousand are not looked into)
                continue
            reason = e.reason
            path = e.path if at.element is None or e.path is None else f"{e.path}[{at.element}]"  # (an element's: ... at index 2)
            text = written(record, path, at.value, reason[at.start : at.end])
            if text is not None:
                errs[i] = replace(e, reason=reason[: at.start] + text + reason[at.end :], shown=None)


#: The index closing an array element's path: ``$.ids[2]``.
_ELEMENT = re.compile(r"\[(\d+)\]\Z")


def _element_texts(found: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """The numbers of arrays' elements of :func:`number_texts`: by the array's path, by Python's
    writing of the float each reads as, the texts writing it (``{"$.ids": {"1.5": {"1.50"}}}``)."""
    out: dict[str, dict[str, set[str]]] = {}
    for path, text in found.items():
        m = _ELEMENT.search(path)
        if m is not None:
            try:
                python = float.__repr__(float(text))
            except ValueError:  # pragma: no cover - a number token
                continue
            out.setdefault(path[: m.start()], {}).setdefault(python, set()).add(text)
    return out


def _float_text(text: str, value: float) -> bool:
    """Whether number ``text`` is the float ``value``, as Python reads it (``-0`` is ``-0.0``, not ``0.0``)."""
    try:
        return float.__repr__(float(text)) == float.__repr__(value)
    except ValueError:  # pragma: no cover - a number token
        return False


#: A run of the bytes a JSON number token is made of, from a byte one may start with: each number
#: token of a JSON text is one such run whole (the bytes around a token are none of these).
_NUMBER_RUN = re.compile(rb"[-0-9][-0-9.eE+]*")


#: The bytes of a JSON number token.
_NUMBER_BYTES = frozenset(b"0123456789.eE+-")


def _written_as(raw: bytes, shown: bytes) -> bool:
    """Whether a JSON text holds ``shown`` as a whole number token (``1.5``, not the start of ``1.50``)."""
    at = raw.find(shown)
    while at >= 0:
        end = at + len(shown)
        if (not at or raw[at - 1] not in _NUMBER_BYTES) and (end == len(raw) or raw[end] not in _NUMBER_BYTES):
            return True
        at = raw.find(shown, at + 1)
    return False


def _written_only_as(raw: bytes, shown: bytes, value: float) -> bool:
    """Whether a JSON text writes the float ``value`` as ``shown`` wherever it writes it: then
    no number of it needs scanning for. A run of a string's digits (a date's) reads as no number
    or as another; one that reads as ``value`` otherwise counts as a number (the text is then
    scanned: never skipped wrongly, as any number holding ``shown`` somewhere was: ``1e20``
    said ``1e+20`` where another member wrote ``1e+20``)."""
    for run in _NUMBER_RUN.findall(raw):
        if run != shown:
            try:
                if float(run) == value:
                    return False
            except ValueError:  # (no number: "2024-01-01")
                pass
    return True
