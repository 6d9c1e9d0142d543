"""``mapper infer``: a draft sink definition from the records themselves.

:func:`infer` reads *every* record once, streaming: it keeps statistics per key path
(JSON types with counts and the first record indices of each, number ranges, decimal
digits, which timestamp layouts still parse every string seen, array element types)
and never the records. From them it writes the full ``POST /v1/sinks`` body that
:func:`mapper.check_sink` accepts and that ``compile_sink(body).validate(records)``
accepts on the same records.

Rules, per leaf path (a path whose value is not an object):

* ints -> ``int`` (no Min/Max); beyond int64 -> ``string`` (never ``id``: FeatureBase keeps an id
  as a row, and a row of 2^44 or more wrapped, modulo 2^44, 2^63 as 0; ``--type PATH=id`` takes
  them, noted);
* floats, or ints mixed with floats -> ``decimal`` with the Scale that holds every value
  seen (digits after the point of the shortest text of each float), capped so that
  ``max|value| * 10**Scale`` fits a signed 64-bit integer (noted when capped; noted too when float
  arithmetic's digits, ``19.990000000000002``, set a Scale whose range is close to the values seen);
* strings -> ``string``, or ``timestamp`` when one Go layout parses every string seen
  (RFC 3339 needs no Layout; ``2006-01-02T15:04:05``, ``2006-01-02 15:04:05``, Twitter's
  ``Mon Jan 02 15:04:05 -0700 2006``, ``2006-01-02``) - checked value by value with the
  real converters of :mod:`mapper.types` - with the Granularity that holds the finest
  fraction of a second seen (``ms``, ``us``, ``ns``; none for whole seconds; ``us``, noted,
  when Granularity ``ns``'s range, 1833..2106, does not hold every value);
* numbers under a time-like key (a word of it, split at ``_ - .`` and camelCase, is ts, at,
  now, seen ..., starts with time, date, created, updated ..., or ends with time, stamp,
  date, updated, modified or created) whose
  range lies in one epoch band -> ``timestamp`` with a Unit from the magnitude
  (1e9..1e10 s, 1e12..1e13 ms, 1e15..1e16 us, 1e18..1e19 ns) and the same Granularity;
* bools -> ``bool``; arrays of strings -> ``strings``; arrays of non-negative ints -> ``ids`` (skipped with
  an element of 2^44 or more, which the ids column would keep wrapped: 64-bit snowflake ids); arrays
  holding an element twice (``[255, 0, 0]``), which a set stores once, in no order, are noted;
* several JSON types in one path (a *conflict*): a type every value converts to without an
  error (ints with integer strings -> ``int``, numbers with decimal strings -> ``decimal``,
  bools with 0/1 (or 0.0/1.0) or bool words -> ``bool``, anything else -> ``string``, which takes numbers
  and bools with a warning), unless another type stores more than half of the values
  exactly as sent (ints with a few words -> ``int``: the endpoint refuses the words'
  records, and the report says so; a bool column stores 2 and 2.0 as true, changed, without
  validate's warning, 1.5 changed with one, 1.0 as sent); every candidate's tally (stored as sent, changed,
  refused) is in the conflict report, and ``types`` (``--type PATH=TYPE``) picks another;
* integers beyond 2^53 with an exact string twin (``id`` / ``id_str``): left out, the twin
  mapped (the endpoint decodes numbers as float64 and would store them changed);
* a path that is an object in some records and not in others: its keys are not mapped (the
  endpoint fails "not an object" on them); the path itself becomes a ``string`` column
  (an object or array holding a number beyond float64, at any depth, is noted with its first
  record: the endpoint refuses that record whatever the column type);
* skipped: only arrays of objects (beside other values they make a string column, as arrays do),
  arrays with other elements, only empty arrays, only nulls,
  only empty objects; and, by option, paths deeper than ``max_depth`` (but the identity paths
  ``id_field`` / ``primary_key_fields`` name in dot notation, read to whatever depth: an
  explicitly named identity is kept in the draft, as the other filters keep it), present in fewer
  than ``min_presence`` of the records, or filtered by the include/exclude globs; always
  paths deeper than mapper takes (``MAX_PATH_KEYS``), and keys of Python mappings no path
  names (not strings; a key holding an unpaired surrogate is U+FFFD there, as its text's escape arrives), and paths holding Python values JSON has no type
  for, named by class as validate names them (``numpy.bool``; a subclass of str, int or float,
  an IntEnum or ``numpy.float64``, is the JSON value validate reads). More mapped paths than mapper compiles columns
  (``MAX_COLUMNS``) is an :class:`InferError` naming the filters.

The identity: ``id_field`` / ``primary_key_fields`` as given, else an ``id``, ``_id``,
``uuid`` or ``key`` present in every record, one whose values all differ first (a ``uuid`` that
does rather than an ``id`` that repeats: noted, with the option that keeps the ``id``) (never integers beyond 2^53: their exact
string twin instead; whole floats, ``1.0``, are the ids they hold: the endpoint truncates a
float to its id), else the first string field present in every record, one whose values
all differ first (one value shows nothing of that). With none, the error lists the closest
fields, each judged as the option that would name it judges it: as an id_field's integers
where its values can be ids, as a primary key's text always. The scan keeps each integer
value of a path (a 64-bit hash of each string, as its JSON text arrives: a Python str's unpaired
surrogate U+FFFD, a pair its character; and the integer of each integer string,
and of each whole float) while they all differ, so the identity's uniqueness is known
and said, its values compared as the endpoint makes the _id of them: an ``id_field``'s as its column stores them (``"007"`` and ``7`` are one id),
a primary key's as text, each number as Go's ``%v`` prints its float64 whatever the column's
type (``1000000`` is the key ``"1e+06"``: one with the string ``"1e+06"``, not with
``"1000000"``; ``"007"`` and ``7`` are two keys).

Text the endpoint stores with U+FFFD (validate's ``utf8_replaced``: a value holding an unpaired
surrogate escape, per column; a record holding invalid UTF-8) is noted from the draft's validation;
``""``, which a column takes as no value and validate warns of (``empty_string``), is noted from the
scan, one note a column (a one-field identity's ``""`` fails its record, a timestamp column refuses it: said so).

Record indices are 0-based and count every non-blank record of every input in order,
the way ``mapper validate`` numbers them; a record that cannot be read is worded as
``validate`` words it.
"""

from __future__ import annotations

import argparse
import bisect
import fnmatch
import functools
import json
import os
import re
import shlex
import stat
import sys
import tempfile
import unicodedata
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path as FsPath
from typing import IO, Any, Callable, Iterable, Mapping, Protocol, Sequence

import msgspec
import numpy as np

from ._start import interruption_lost
from .api import Records  # (at run time too: typing.get_type_hints(infer))
from .checks import MAX_COLUMNS, MAX_PATH_KEYS, MAX_PATH_TREE_KEYS, NAME_RE
from .commands import (
    Progress,
    archives_told,
    check_archives,
    check_inputs,
    decimal,
    field_option,
    file_name,
    glob_option,
    inputs_twice,
    integer,
    max_record_size_option,
    no_records_held,
    record_place,
    records_path_option,
    stdin_note,
    stdout_on_input,
)
from .engine.gojson import LONE_CR_HINT, RecordDecodeError, decode_record, lone_cr_words
from .engine.reader import (
    HEAD_BYTES,
    BrokenDocument,
    NdjsonChunk,
    NotAnItem,
    Notice,
    ObjectRecords,
    OversizedObject,
    OversizedRecord,
    RawRecords,
    document_hint,
    documents_note,
    hints_named,
    input_note,
    measured_objects,
    one_layer,
    open_input,
    oversized,
    read_input,
    records_path_off_note,
    units_for,
    unpacked_already,
)
from .errors import (
    InputError,
    MapperError,
    OptionError,
    article,
    as_unescaped,
    class_name,
    escape_controls,
    escaped_json,
    has_lone_surrogate,
    int_text,
    long_int,
    names_a_file,
    no_set_reason,
    option_text,
    preview,
    show,
    shown_name,
    suggest,
    type_name,
)
from .options import INPUT_FORMATS, MAX_RECORD_SIZE, RECORDS_PATH_AND_BODY, MapOptions, check_max_record_size, real_number, whole_number
from .paths import parse_path, records_path_keys, split_paths, to_dot_notation
from .report import location_text, not_an_item_reason, not_an_object_reason, plural
from .sink import check_sink
from .stack import roomy_stack
from .types import (
    EXACT_DECIMALS,
    GO_SPACE,
    LOSSY_KINDS,
    ROW_LIMIT,
    ColumnType,
    ConversionError,
    IdType,
    IntType,
    Lossy,
    OutOfRangeNumber,
    column_type,
    go_float_text,
    go_trim,
    parse_decimal_text_ex,
)

__all__ = ["InferError", "InferResult", "infer", "add_infer_parser", "cmd_infer", "column_name"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: Record indices kept per JSON type of a path (for the conflict report).
FIRST_INDICES = 5
#: Examples of bad records kept in full.
BAD_EXAMPLES = 5
#: The first records of each input looked at as documents of records (arrays of objects holding
#: most of their values): all of them are, and the input is said to be NDJSON of documents.
DOCUMENT_SAMPLE = 3
_NO_VALUE = 'a request body item without "value"'
_NOT_OBJECT = "not a JSON object"
#: validate's error codes in plain words (what a record refused with that code holds), for infer's verdicts
_CODE_WORDS = {
    "invalid_json": "not valid JSON",
    "not_an_object": "not a JSON object",
    "missing": "a mapped value missing",
    "invalid_value": "a value its column's type cannot take",
    "out_of_range": "a number out of its column's range",
    "invalid_id": "an identity value that makes no _id (negative, not a whole number, missing or empty)",
    "too_large": "longer than --max-record-size",
    "no_records": "a document without the --records-path array",  # (how the scan counts such documents too)
    "lossy_value": "a value the endpoint would store changed",
}

#: Timestamp layouts tried on string paths, in order of preference (None: the default RFC 3339).
TIMESTAMP_LAYOUTS: tuple[str | None, ...] = (
    None,
    "2006-01-02T15:04:05",
    "2006-01-02 15:04:05",
    "2006-01-02 15:04:05Z07:00",
    "Mon Jan 02 15:04:05 -0700 2006",
    "2006-01-02",
)
#: Epoch bands: [low, high) of the magnitude -> Unit.
EPOCH_BANDS = ((1e9, 1e10, "s"), (1e12, 1e13, "ms"), (1e15, 1e16, "us"), (1e18, 1e19, "ns"))
_TIME_WORDS = ("time", "date", "created", "updated", "modified", "epoch")
_TIME_TOKENS = frozenset({"ts", "now", "seen", "at", "when", "dt"})
IDENTITY_NAMES = ("id", "_id", "uuid", "key")

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
# What every candidate layout needs at the start of a value (a cheap necessary condition:
# a value it rejects is only typed string, never wrongly a timestamp).
_TS_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Za-z]{3} [A-Za-z]{3} ")
# The fraction of a second in a timestamp string (after the seconds, as Go's parser reads it).
_FRACTION = re.compile(r":[0-9]{2}[.,]([0-9]+)")
#: What Go's %v writes for a float64 of 10^6 or more: one digit, maybe a fraction, an exponent.
_GO_EXPONENT = re.compile(r"-?[1-9](?:\.[0-9]*[1-9])?e\+[0-9]{2,3}")
_BOOL_WORDS = frozenset({"", "0", "f", "false", "1", "t", "true"})
_DEC_START = frozenset("+-.0123456789")
#: What integer text may start with (Go's TrimSpace trims these spaces first).
_NUM_START = frozenset("+-0123456789" + GO_SPACE)
_DECODER = msgspec.json.Decoder()


class ProgressBar(Protocol):
    """What :func:`infer` takes as ``progress`` besides a callable: an object whose
    ``update(records, bytes)`` it calls after each chunk (``mapper infer``'s own bar)."""

    def update(self, records: int, nbytes: int, /) -> object: ...


class InferError(MapperError):
    """``infer`` cannot produce a draft: no records, no identity, a bad option."""


class _OptionRefused(InferError, OptionError):
    """A parameter of :func:`infer` of the wrong type or out of its range (``max_depth=-1``,
    ``min_presence=nan``, ``input_format=None``): an :class:`OptionError`, as every public
    parameter's is (docs/python-api.md), and still the :class:`InferError` it was."""


# ---------------------------------------------------------------------------------------
# ColumnTypes of candidate columns, built through the real loader


@cache
def _converter(ctype: str, config: tuple[tuple[str, Any], ...] = ()) -> ColumnType:
    """The converter ``mapper`` uses for a column of this type and config."""
    entry: dict[str, Any] = {"name": "c", "path": ["c"], "type": ctype}
    if config:
        entry["config"] = dict(config)
    result = check_sink(
        [entry], primary_key_fields=["c"] if ctype != "strings" else None, id_field="c" if ctype == "strings" else None, allow_missing_fields=True
    )
    sink = result.sink
    if sink is None:  # a strings column cannot be a key: load it with a dummy identity instead
        result = check_sink([entry, {"name": "k", "path": ["k"], "type": "string"}], primary_key_fields=["k"], allow_missing_fields=True)
        sink = result.sink
    if sink is None:  # pragma: no cover - only our own candidates come here
        raise InferError(f"internal: candidate column {entry} does not check: {[str(p) for p in result.errors]}")
    return column_type(sink.columns[0])


_FAILED = object()


def _converted(conv: ColumnType, value: Any) -> Any:
    """The value as the column stores it, or ``_FAILED``."""
    try:
        return conv.convert(value, None)
    except ConversionError:
        return _FAILED
    except (OverflowError, ValueError, TypeError):  # pragma: no cover - defensive
        return _FAILED


def _converts(conv: ColumnType, values: Iterable[Any]) -> bool:
    """Whether every value converts without an error."""
    return all(_converted(conv, v) is not _FAILED for v in values)


def _timestamp_config(layout: str | None) -> tuple[tuple[str, Any], ...]:
    return () if layout is None else (("Layout", layout),)


def _ts_candidates() -> list[tuple[str | None, ColumnType]]:
    return [(layout, _converter("timestamp", _timestamp_config(layout))) for layout in TIMESTAMP_LAYOUTS]


# ---------------------------------------------------------------------------------------
# Per-path statistics


#: Distinct floats a path keeps (with their counts) to judge each as a decimal, int or id column stores it.
FLOAT_VALUES = 1 << 16


class _PathStats:
    """What was seen at one key path; bounded whatever the number of records."""

    __slots__ = (
        "keys",
        "present",
        "nulls",
        "counts",
        "first",
        "first_values",
        "imin",
        "imax",
        "fmin",
        "fmax",
        "frac",
        "frac_first",
        "fvals",
        "fspill",
        "f_int_out",
        "f_id_out",
        "s_empty",
        "ts",
        "ts_hits",
        "ts_fracs",
        "ts_finest",
        "ts_ended",
        "ts_lo",
        "ts_out",
        "miss_at",
        "empty_at",
        "ts_out_first",
        "ts_hi",
        "int_text",
        "n_signed",
        "signed",
        "tmin",
        "tmax",
        "dec_text",
        "not_dec",
        "dmin",
        "dmax",
        "dmin_text",
        "dmax_text",
        "dscale",
        "dscales",
        "d_dropped",
        "d_dropped_first",
        "bool_text",
        "not_bool",
        "s_split",
        "s_ids",
        "arr_str",
        "arr_uint",
        "arr_ids",
        "arr_refused",
        "arr_rep",
        "elems",
        "emin",
        "emax",
        "obj_empty",
        "deeper",
        "other",
        "not_int",
        "n_int",
        "n_dec",
        "n_bool",
        "huge",
        "huge_first",
        "huge_text",
        "huge_in",
        "huge_in_first",
        "huge_in_text",
        "uniq",
        "iuniq",
        "nuniq",
        "tuniq",
        "guniq",
        "buniq",
        "kuniq",
        "unique",
        "unique_int",
        "pipe",
        "i_far",
        "i_rows",
        "t_rows",
        "i_int_out",
        "i_far_in",
        "option",
    )

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys
        self.present = 0
        self.nulls = 0
        self.counts: dict[str, int] = {}
        self.first: dict[str, list[int]] = {}
        # the first value of each JSON kind (an array or object as its stand-in): a note's example of what a column refuses
        self.first_values: dict[str, Any] = {}
        self.imin: int | None = None
        self.imax: int | None = None
        self.fmin: float | None = None
        self.fmax: float | None = None
        self.frac = 0
        self.frac_first: float | None = None  # the first float with a fraction (what an epoch column truncates)
        # the distinct floats and how many of each (up to FLOAT_VALUES of them), for what a decimal column
        # of the chosen Scale stores of each (4.35 at Scale 2 is 434, changed; 5.5 is stored as sent), and
        # an int or id column (5.5 truncated, 5.0 as sent): the extremes alone would judge every float by
        # one of them; the floats beyond, by digits after the point
        self.fvals: dict[float, int] = {}
        self.fspill: dict[int, int] = {}
        # floats an int column refuses (beyond int64), and those an id column refuses (-1 and below, 2^64 and
        # beyond): for the floats beyond the distinct ones kept (a column refusing the extremes need not
        # refuse the floats between them)
        self.f_int_out = 0
        self.f_id_out = 0
        self.s_empty = 0
        self.empty_at = -1  # the record of the first ""
        # the first JSON object record (counted among objects) without the key: one found between two holding it
        # while scanning, or after the last holding it (see _Scanner.missing_record); -1: none found yet
        self.miss_at = -1
        self.ts: list[tuple[str | None, ColumnType]] | None = None
        self.ts_hits = 0
        self.ts_fracs: dict[int, int] = {}  # timestamp strings per digits of their fraction of a second
        self.ts_finest: str | None = None  # the first timestamp string with the most digits of a second
        self.ts_ended: str | None = None  # the string that no layout parsing the strings before it parses
        # the earliest and latest timestamp strings (seconds, text): the narrow range of Granularity ns
        self.ts_lo: tuple[int, str] | None = None
        self.ts_hi: tuple[int, str] | None = None
        # strings a layout parses into a time outside the range FeatureBase takes (0000-01-01T00:00:00Z):
        # a timestamp column refuses them, but the layout is not wrong (the first one kept)
        self.ts_out = 0
        self.ts_out_first: str | None = None
        self.int_text = True
        # integer texts with a sign ("+5", "-0"): an int column takes them, an id column refuses them
        self.n_signed = 0
        self.signed: str | None = None  # the first of them
        self.tmin: int | None = None
        self.tmax: int | None = None
        self.dec_text = True
        self.not_dec: str | None = None  # the first string that is not decimal text (what a decimal column refuses)
        self.dmin: Decimal | None = None
        self.dmax: Decimal | None = None
        self.dmin_text = ""
        self.dmax_text = ""
        self.dscale = 0
        self.dscales: dict[int, int] = {}  # decimal strings per digits after the point (a Scale 19 below refuses them)
        # of those, the strings beyond 19 significant digits, which the endpoint cuts to 19 whatever the Scale
        # (pql.ParseDecimal; validate warns decimal_truncated), per digits after the point of what it keeps; the first
        self.d_dropped: dict[int, int] = {}
        self.d_dropped_first: str | None = None
        self.bool_text = True
        self.not_bool: str | None = None  # the first string that is no bool word (what a bool column refuses)
        self.s_split = 0  # strings a strings column splits (commas, or [a b]): stored changed
        self.arr_str = 0  # arrays of strings only (or empty): what a strings column takes
        self.arr_uint = 0  # arrays of non-negative integers only (or empty): what an ids column takes
        # what else an ids column takes, by the column's own converter: [stored as sent, with a
        # warning] of the split strings ("1,2", "[3]") and of the other arrays (["1", 2.5])
        self.s_ids = [0, 0]
        self.arr_ids = [0, 0]
        # the first array a strings column refuses and the first an ids column refuses (a stand-in,
        # as first_values holds): the example of a note on a set column, whose first array it takes
        self.arr_refused: dict[str, Any] = {}
        # by the set column that takes them (strings, ids): the arrays of strings, of unsigned integers,
        # holding an element twice (a set stores it once), and the first one's JSON text, cut
        self.arr_rep: dict[str, list[Any]] = {}
        self.elems: dict[str, int] = {}
        self.emin: int | None = None
        self.emax: int | None = None
        self.obj_empty = 0
        self.deeper = 0
        self.other = 0
        self.not_int: str | None = None  # the first string that is not integer text (what an int column refuses)
        self.n_int = 0  # strings that are integer text, decimal text, bool words
        self.n_dec = 0
        self.n_bool = 0
        # numbers beyond float64 (1e400), a Python caller's NaN and infinities: the endpoint
        # refuses them whatever the column type (the first one's record and text)
        self.huge = 0
        self.huge_first = -1
        self.huge_text = ""
        # objects and arrays holding such a number at any depth (a string column takes them, the
        # endpoint refuses their records all the same): how many, the first one's record and number
        self.huge_in = 0
        self.huge_in_first = -1
        self.huge_in_text = ""
        # The values, kept while every value seen is a distinct string or int: whether a path
        # can be the record identity is known after one scan, in the two ways the endpoint makes
        # an _id of it: as a primary key's text (``unique``: a string as sent, a number as Go's
        # %v prints its float64, 1000000 as "1e+06") and as an id_field's integer (``unique_int``:
        # "007" and 7 are one). Strings as 64-bit string hashes, integers within int64 as
        # themselves (Python's hash of an int collides: hash(-1) == hash(-2), hash(2**61) == hash(1)),
        # integers beyond int64 as the hash of their digits (an id's value) and of their %v text (a key's).
        self.uniq: array[int] | None = array("q")
        self.iuniq: array[int] = array("q")
        # the first string holding |, which the endpoint joins primary key fields with ("x|y" + "z"
        # and "x" + "y|z" are one _id): one field whose values differ no longer tells the records apart
        self.pipe: str | None = None
        # integers a float64 does not hold (beyond 2^53, 2^53 + 1): those validate warns of (int_precision),
        # where the extremes alone would count every integer of the path changed
        self.i_far = 0
        # integers of 2^44 and more: those an id column keeps wrapped (row_wrapped), the others as sent
        self.i_rows = 0
        self.t_rows = 0  # unsigned integer texts of 2^44 or more: an id column keeps them wrapped, as i_rows
        # integers an int column refuses (beyond int64 as the endpoint reads them), and those beyond 2^53
        # it stores changed: --type PATH=int takes integers beyond int64 (the others are stored)
        self.i_int_out = 0
        self.i_far_in = 0
        # the path as an option suggesting it names it (see _option_paths): its dot path, quoted where
        # that text is the column name another path may have in the draft
        self.option: str | None = None
        self.buniq: array[int] = array("q")
        self.kuniq: array[int] = array("q")
        # Integer strings within int64 as their integers, as an id column reads them: those an
        # integer writes ("7", "-5") and the others ("007", "7 ", "+7").
        self.nuniq: array[int] = array("q")
        self.tuniq: array[int] = array("q")
        # Strings that Go's %v writes for an integer within int64 ("7", "1e+06", "1.5e+07"), as
        # that integer: one key with it (the endpoint prints the number 1000000 as "1e+06").
        self.guniq: array[int] = array("q")
        self.unique: bool | None = True  # distinct as primary key text; None: not a scalar key (other kinds seen)
        self.unique_int = True  # distinct as an id_field's integers ("007" and 7 are one)

    def seen(self, kind: str, index: int, value: Any = None) -> None:
        counts = self.counts
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        if n < FIRST_INDICES:
            self.first.setdefault(kind, []).append(index)
            if not n and value is not None:
                self.first_values[kind] = value

    def holds_refused(self, number: Any, index: int) -> None:
        """The value (an object or array) holds ``number``, which the endpoint refuses in any column."""
        if not self.huge_in:
            self.huge_in_first = index
            self.huge_in_text = preview(number.text, 40) if type(number) is OutOfRangeNumber else repr(number)
        self.huge_in += 1

    def track(self, value: str | int) -> None:
        """Keep the value (or its hash) while the path's values may all differ (see :meth:`finish`)."""
        u = self.uniq
        if u is None:
            return
        if type(value) is not int:  # (integer strings and Go's texts of integers are kept as integers too, by add_str)
            u.append(hash(value))
        elif -(2**63) <= value < 2**63:
            u = self.iuniq
            u.append(value)
        else:  # (a float64's integer: printed as Go prints the float64 into a key)
            u = self.buniq
            u.append(hash(str(value)))
            self.kuniq.append(hash(go_float_text(float(value))))
        n = len(u)
        if n >= 1024 and not n & (n - 1):  # at powers of two: drop the path once a value repeats
            self.finish()

    def untrack(self) -> None:
        """A value that cannot be part of a key (null, a float, an array ...): not an identity."""
        self._drop()
        self.unique = None

    def _drop(self) -> None:
        self.uniq = None
        self.iuniq = self.buniq = self.kuniq = self.nuniq = self.tuniq = self.guniq = array("q")

    def finish(self) -> None:
        """Decide whether every value seen differs (``unique``, ``unique_int``) from the values and hashes kept;
        what a view no longer needs is dropped, and everything once both know of a repeat."""
        uniq = self.uniq
        if uniq is None:
            return
        if _repeats(uniq) or _repeats(self.iuniq):  # the same string, or integers one float64: a repeat both ways
            self.unique = self.unique_int = False
        # Only mixes are compared below: strings that repeat among themselves repeat in uniq
        # (nuniq and guniq hold each integer's one text, buniq and kuniq each float64's one text).
        # As key text: an integer and the string Go prints it as (7 and "7", 1000000 and "1e+06").
        if self.unique and ((len(self.kuniq) and _repeats(uniq + self.kuniq)) or (len(self.guniq) and len(self.iuniq) and _repeats(self.iuniq + self.guniq))):
            self.unique = False
        # As an id_field's integers: an integer and any integer string of it (7, "7", "007", "7 ").
        if self.unique_int and (
            (len(self.buniq) and _repeats(uniq + self.buniq))
            or (len(self.tuniq) and _repeats(self.iuniq + self.nuniq + self.tuniq))
            or (len(self.iuniq) and len(self.nuniq) and _repeats(self.iuniq + self.nuniq))
        ):
            self.unique_int = False
        if not self.unique and not self.unique_int:
            self._drop()
            return
        if not self.unique:  # (no longer needed: kept only while the values may all differ that way)
            self.kuniq = self.guniq = array("q")
        if not self.unique_int:
            self.buniq = self.nuniq = self.tuniq = array("q")

    def distinct(self, as_id: bool = False) -> bool | None:
        """Whether the values all differ as the endpoint makes an _id of them: as an id_field's
        integers (``as_id``), or as a primary key's text (None: not a key)."""
        return None if self.unique is None else self.unique_int if as_id else self.unique

    def add_int(self, v: int, index: int) -> None:
        self.seen("int", index, v)
        # kept as the endpoint stores it: it decodes numbers as float64, so 2^53 and 2^53 + 1 are one _id
        if -EXACT_INT <= v <= EXACT_INT:
            self.track(v)
            if v >= ROW_LIMIT:
                self.i_rows += 1
        else:
            held = int(float(v))
            self.track(held)
            self.i_far += held != v
            self.i_rows += v > 0
            out = not -(2**63) <= held < 2**63
            self.i_int_out += out
            self.i_far_in += held != v and not out
        if self.imin is None or v < self.imin:
            self.imin = v
        if self.imax is None or v > self.imax:
            self.imax = v

    def add_float(self, v: float, index: int) -> None:
        self.seen("float", index, v)
        if self.fmin is None or v < self.fmin:
            self.fmin = v
        if self.fmax is None or v > self.fmax:
            self.fmax = v
        frac = _frac_digits(v)
        if frac > self.frac:
            self.frac = frac
        fvals = self.fvals
        seen = fvals.get(v)
        if seen is not None:
            fvals[v] = seen + 1
        elif len(fvals) < FLOAT_VALUES:
            fvals[v] = 1
        else:
            self.fspill[frac] = self.fspill.get(frac, 0) + 1
        if frac and self.frac_first is None:
            self.frac_first = v
        if not -(2.0**63) <= v < 2.0**63:
            self.f_int_out += 1
        if v <= -1.0 or v >= 2.0**64:
            self.f_id_out += 1

    def add_str(self, v: str, index: int) -> None:
        """Count a string: as a key's value, and as each column type that may take strings
        (timestamp, int, decimal, bool, strings) would: what it takes, and the first it refuses.

        Runs per string value of the scan: the rarer or costlier readings (timestamps, integer
        and decimal text) are methods; the cheap checks every string gets stay inline."""
        self.seen("str", index, v)
        # (a Python caller's string holding a surrogate is the text its JSON escapes arrive as: U+FFFD
        # for each unpaired one, so "a\ud800" and "a\udc00" are one key, as from the record's text)
        self.track(v if v.isascii() or not has_lone_surrogate(v) else as_unescaped(v))
        if not v:
            if not self.s_empty:
                self.empty_at = index
            self.s_empty += 1
        elif self.pipe is None and "|" in v:
            self.pipe = v
        if v:  # ("" is no time: a timestamp column refuses it whatever the layout, so it decides none)
            ts = self.ts
            if ts is None:
                ts = self.ts = _ts_candidates()
            if ts:
                self._str_timestamp(v, ts)
        if v == "":  # "" is no value for int, decimal and bool columns: no error
            return
        # Counted for every string: a conflict's report says how many values each type takes.
        first = v[:1]
        t = go_trim(v) if first in _NUM_START and len(v) < 400 else ""
        if t and _INT_TEXT.fullmatch(t):
            self._str_int(v, t)
        else:
            if self.int_text:
                self.int_text = False
                self.not_int = v
            if self.unique and self.uniq is not None and "e+" in v:
                k = _go_integer(v)
                if k is not None:
                    self.guniq.append(k)
        if first in _DEC_START:
            self._str_decimal(v)
        elif self.dec_text:
            self.dec_text, self.not_dec = False, v
        if len(v) < 16 and go_trim(v.lower()) in _BOOL_WORDS:
            self.n_bool += 1
        elif self.bool_text:
            self.bool_text = False
            self.not_bool = v
        if "," in v or (v[0] == "[" and v[-1] == "]"):
            self.s_split += 1
            _count_ids(v, self.s_ids)

    def _str_timestamp(self, v: str, ts: list[tuple[str | None, ColumnType]]) -> None:
        """A string while every string so far parses with some timestamp layout (``ts``, those
        layouts): the layouts that parse it stay candidates (none left: ``ts_ended`` is it), and
        one parsing it counts it as a timestamp."""
        if not _TS_SHAPE.match(v):
            self.ts = []  # no candidate layout can parse it: skip the (costly) failing parses
            self.ts_ended = v
            return
        alive = []
        secs = None  # the instant, in seconds (every layout that parses it reads the same one)
        outside = False  # a layout parses it into a time the column refuses (every such layout reads the same one)
        for c in ts:
            try:
                got = c[1].convert(v, None)
            except ConversionError as exc:
                if exc.code == "out_of_range":
                    alive.append(c)
                    outside = True
                continue
            except (OverflowError, ValueError, TypeError):  # pragma: no cover - defensive
                continue
            alive.append(c)
            secs = got if secs is None else secs
        if outside and secs is None:
            self.ts_out += 1
            if self.ts_out_first is None:
                self.ts_out_first = v
        elif alive:
            self.ts_hits += 1
            self.add_time(v, secs)
        if len(alive) != len(ts):
            self.ts = alive
            if not alive:
                self.ts_ended = v

    def _str_int(self, v: str, t: str) -> None:
        """Integer text (``t``: the string trimmed as Go's TrimSpace does): counted, its sign (an
        id column refuses one) and range; kept for the identity checks as the integer it is, and
        as a key's text when it is the integer's own text (Go prints below 10^6 without exponent)."""
        self.n_int += 1
        if t[0] in "+-":
            self.n_signed += 1
            if self.signed is None:
                self.signed = v
        n = int(t)
        if n >= ROW_LIMIT and t[0] != "+":
            self.t_rows += 1
        if self.uniq is not None and -(2**63) <= n < 2**63:
            canonical = str(n) == v
            if self.unique_int:
                (self.nuniq if canonical else self.tuniq).append(n)
            if canonical and self.unique and -(10**6) < n < 10**6:  # (Go prints 10^6 and beyond with an exponent)
                self.guniq.append(n)
        if self.tmin is None or n < self.tmin:
            self.tmin = n
        if self.tmax is None or n > self.tmax:
            self.tmax = n

    def _str_decimal(self, v: str) -> None:
        """A string that may be decimal text (it starts as one does): when it is, counted with its
        scale and range (the texts of the least and greatest kept); else the first that is not."""
        try:
            mant, scale, dropped = parse_decimal_text_ex(v)
        except (ValueError, OverflowError):
            if self.dec_text:
                self.dec_text, self.not_dec = False, v
            return
        self.n_dec += 1
        if dropped:
            self.d_dropped[scale] = self.d_dropped.get(scale, 0) + 1
            if self.d_dropped_first is None:
                self.d_dropped_first = v
        d = Decimal(mant).scaleb(-scale, EXACT_DECIMALS)  # (never the caller's context: 3 digits, or a rounding trapped)
        if scale > self.dscale:
            self.dscale = scale
        self.dscales[scale] = self.dscales.get(scale, 0) + 1
        if self.dmin is None or d < self.dmin:
            self.dmin, self.dmin_text = d, v
        if self.dmax is None or d > self.dmax:
            self.dmax, self.dmax_text = d, v

    def add_time(self, v: str, secs: Any) -> None:
        """A string some timestamp layout parses: its fraction's digits, and whether it is the earliest or latest."""
        m = _FRACTION.search(v)
        digits = len(m.group(1).rstrip("0")) if m else 0
        if digits > max(self.ts_fracs, default=0):
            self.ts_finest = v
        self.ts_fracs[digits] = self.ts_fracs.get(digits, 0) + 1
        if self.ts_lo is None or secs < self.ts_lo[0]:
            self.ts_lo = (secs, v)
        if self.ts_hi is None or secs > self.ts_hi[0]:
            self.ts_hi = (secs, v)

    def add_array(self, v: list[Any] | tuple[Any, ...], index: int) -> Any:
        """Count an array; the first number in it the endpoint refuses in any column, or None."""
        self.seen("array", index, _stand_in(v))
        only_str = only_uint = True
        elems = self.elems
        refused: Any = None  # the first number in it the endpoint refuses in any column
        for e in v:
            t = type(e)
            if t is str:
                kind = "str"
                only_uint = False
            elif t is int and e.bit_length() >= 1024 and _beyond_float(e):  # a Python int beyond float64, as validate refuses it
                kind = "number beyond float64"
                if refused is None:
                    refused = _huge_int(e)
            elif t is int:
                kind = "int"
                only_str = False
                if e < 0:
                    only_uint = False
                if self.emin is None or e < self.emin:
                    self.emin = e
                if self.emax is None or e > self.emax:
                    self.emax = e
            elif t is float:
                kind = "float"
                if refused is None and e - e != 0.0:  # NaN or infinity
                    refused = e
            elif t is bool:
                kind = "bool"
            elif t is OutOfRangeNumber:
                kind = "number beyond float64"
                if refused is None:
                    refused = e
            elif e is None:
                kind = "null"
            elif isinstance(e, dict):
                kind = "object"
                if refused is None:
                    refused = _refused_in(e)
            elif isinstance(e, (list, tuple)):
                kind = "array"
                if refused is None:
                    refused = _refused_in(e)
            else:
                kind = class_name(e)
            if kind != "str" and kind != "int":
                only_str = only_uint = False
            elems[kind] = elems.get(kind, 0) + 1
        self.arr_str += only_str
        self.arr_uint += only_uint
        if (only_str or only_uint) and len(v) > 1 and len(set(v)) < len(v):
            held = self.arr_rep.get("strings" if only_str else "ids")
            if held is None:  # (its JSON text, cut: an example for the note)
                first = preview(escaped_json(json.dumps(list(v[:_STAND_IN_MAX]), ensure_ascii=False)), 80)
                self.arr_rep["strings" if only_str else "ids"] = [1, first]
            else:
                held[0] += 1
        if not (only_uint or _count_ids(v, self.arr_ids)) and "ids" not in self.arr_refused:
            self.arr_refused["ids"] = _stand_in(v)
        if not only_str and "strings" not in self.arr_refused:
            self.arr_refused["strings"] = _stand_in(v)
        if refused is not None:
            self.holds_refused(refused, index)
        return refused

    # -- what was seen, without nulls

    @property
    def kinds(self) -> set[str]:
        return {k for k in self.counts if k != "null"}


#: Arrays and objects longer than this are kept as no example (a stand-in holds each element).
_STAND_IN_MAX = 16


def _stand_in(value: dict[str, Any] | list[Any] | tuple[Any, ...]) -> Any:
    """A small array or object as a column's converter judges it and :func:`~mapper.errors.show` prints it
    (``[...] (2 items)``), its containers emptied: kept as an example without keeping the record; None when long."""
    if len(value) > _STAND_IN_MAX:
        return None
    if isinstance(value, dict):
        return {k: {} if isinstance(e, dict) else [] if isinstance(e, (list, tuple)) else e for k, e in value.items()}
    return [{} if isinstance(e, dict) else [] if isinstance(e, (list, tuple)) else e for e in value]


def _as_sent(example: Any) -> Any:
    """An example as the record sent it, for the JSON report: a stand-in whose inner arrays or objects were
    emptied is not, nor one holding a number JSON has not (1e400 decoded as infinity): None (the notes
    print it as ``[...] (1 item)``, which it is)."""
    if isinstance(example, (dict, list)):
        inner = example.values() if isinstance(example, dict) else example
        if not all(e is None or (type(e) in (str, bool) or (type(e) is int and not long_int(e)) or (type(e) is float and e - e == 0.0)) for e in inner):
            return None  # (a Python caller's value JSON has no type for, a decimal.Decimal, an int json.dumps cannot print: neither)
    return example


def _refused_in(value: dict[str, Any] | list[Any] | tuple[Any, ...]) -> Any:
    """A number in an object or array, at any depth, that the endpoint refuses in any column
    (beyond float64, or a Python float NaN or infinity), or None."""
    stack = [value]
    while stack:
        v = stack.pop()
        for e in v.values() if isinstance(v, dict) else v:
            t = type(e)
            if t is OutOfRangeNumber or (t is float and e - e != 0.0):
                return e
            if t is int and e.bit_length() >= 1024 and _beyond_float(e):
                return _huge_int(e)
            if isinstance(e, (dict, list, tuple)):
                stack.append(e)
    return None


def _beyond_float(value: int) -> bool:
    """Whether a Python int lies beyond float64's range (the endpoint's decoder, and validate, refuse it)."""
    try:
        float(value)
    except OverflowError:
        return True
    return False


def _huge_int(value: int) -> OutOfRangeNumber:
    """A Python int beyond float64 as the number the engine refuses: its text whole (a message cuts it,
    saying its length: cut here too, the length said was the cut text's), or its size past 4,300 digits."""
    return OutOfRangeNumber(int_text(value))


def _go_integer(text: str) -> int | None:
    """The integer within int64 whose float64 Go's %v prints as ``text`` with an exponent
    (``1e+06``, ``-1.5e+07``), or None: the string is one key with that number."""
    if len(text) > 30 or not _GO_EXPONENT.fullmatch(text):
        return None
    f = float(text)
    if not f.is_integer() or go_float_text(f) != text or not -(2**63) <= f < 2**63:
        return None
    return int(f)


def _repeats(values: array[int]) -> bool:
    """Whether some value occurs twice."""
    a = np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, dtype=np.int64)
    return len(np.unique(a)) < len(a)


def _frac_digits(v: float) -> int:
    """Digits after the point in the shortest text of a float (``4.35`` -> 2, ``1e-05`` -> 5, ``2.0`` -> 0)."""
    r = repr(v)
    if "e" in r or "n" in r:  # exponent form (or inf/nan, which JSON has not)
        try:
            exp = Decimal(r).normalize(EXACT_DECIMALS).as_tuple().exponent
        except ArithmeticError:  # pragma: no cover
            return 0
        return max(0, -exp) if isinstance(exp, int) else 0
    dot = r.find(".")
    if dot < 0:  # pragma: no cover - repr of a finite float always has a point or an exponent
        return 0
    return len(r.rstrip("0")) - dot - 1


# ---------------------------------------------------------------------------------------
# The scan


def _path_key(key: str) -> str:
    """A Python mapping's key as a path names it: as its JSON text's escapes arrive, a pair the
    character it makes, an unpaired surrogate U+FFFD (the sink's walk reads the dict's key so too)."""
    return as_unescaped(key) if not key.isascii() and has_lone_surrogate(key) else key


class _Lines:
    """The line of each record the scan read (validate's numbering: every non-blank record), for the notes that name
    one after the scan (:meth:`_Scanner.place`), kept as runs, not a line a record: a run is a record and its line,
    and the step from one record's line to the next's, which holds for the records after it until one's line breaks
    it (NDJSON a record a line: one run a file, or a stretch between blank lines; a document's records on one line:
    step 0; a pretty-printed array of records of one size: its lines a record). 0: no line known (Python objects)."""

    def __init__(self) -> None:
        self.at = array("q")  # each run's first record
        self.line = array("q")  # its line
        self.step = array("q")  # lines from one record of the run to the next
        self.count = 0  # records placed
        self.next: int | None = None  # the line the next record has if it is on the last run (None: the run has one record)

    def add(self, index: int, line: int | None) -> None:
        """Place record ``index`` (the next one; one placed already, a record refused after its scan, is left)."""
        if index < self.count:
            return
        self.count = index + 1
        line = line or 0
        if self.next is None and self.at:  # (the run's second record: its step)
            self.step[-1] = line - self.line[-1]
        elif line != self.next:
            self.at.append(index)
            self.line.append(line)
            self.step.append(0)
            self.next = None
            return
        self.next = line + self.step[-1]

    def of(self, index: int) -> int | None:
        """Record ``index``'s line, or None when it is not known."""
        run = bisect.bisect_right(self.at, index) - 1
        if run < 0 or index >= self.count:
            return None
        return self.line[run] + self.step[run] * (index - self.at[run]) or None


class _Scanner:
    def __init__(self, max_depth: int | None, progress: Callable[[int, int], None] | None, follow: Iterable[tuple[str, ...]] = ()):
        self.stats: dict[tuple[str, ...], _PathStats] = {}
        # never deeper than the paths mapper takes (check refuses longer ones)
        self.max_depth = min(max_depth, MAX_PATH_KEYS) if max_depth is not None else MAX_PATH_KEYS
        self.asked_depth = max_depth  # (--max-depth as given, for the errors that name it)
        #: the identity paths named (--id-field, --primary-key-fields) deeper than max_depth: followed
        #: whatever max_depth, only they (a draft without its named identity would be no draft)
        self.followed = {k for k in follow if self.max_depth < len(k) <= MAX_PATH_KEYS}
        #: the objects at or below max_depth that hold a followed path, and the paths on the way
        self.through = {k[:i] for k in self.followed for i in range(self.max_depth, len(k))}
        self.along = {k[:i] for k in self.followed for i in range(self.max_depth + 1, len(k) + 1)}
        self.records = 0  # JSON object records
        self.index = 0  # every non-blank record, objects or not (validate's numbering)
        self.bad = 0
        self.bad_at: array[int] = array("q")  # of each bad record, the JSON object records before it (to number the records)
        #: the bad records by why they are not records, in plain words (for InferResult.unusable)
        self.bad_kinds: dict[str, int] = {}
        self.bad_examples: list[dict[str, Any]] = []
        self.nbytes = 0
        self.progress = progress
        self.notices: list[str] = []  # the reader's notes on the input (a document that seems to hold the records)
        self.null_records_at: str | None = None  # the records path documents held null at, as written (no records: infer's words)
        self.no_records_hinted = 0  # documents without the --records-path array that the reader says where to look in
        self.sources: list[dict[str, Any]] = []
        self.only_file: str | None = None  # the only source's file name, if it is a file (for the commands hints give)
        #: keys of Python mappings that no path can name (not strings): where -> why
        self.odd_keys: dict[str, str] = {}
        #: records (JSON objects) read as documents that seem to hold the records (see ``notices``)
        self.documents = 0
        #: the first records of the source being read, looked at as documents: [looked at, how many are, the first's hint]
        self.sample: list[Any] = [0, 0, ""]
        #: each record's line, for a note naming it (:meth:`place`)
        self.lines = _Lines()

    # -- records

    def record(self, obj: Any, line: int | None, source: str | None) -> None:
        idx = self.index
        self.index += 1
        if isinstance(obj, NotAnItem):  # worded as validate words it (mapper.engine.careful)
            self.bad_record(idx, line, source, not_an_item_reason(None if obj.item is None else type_name(obj.item)), _NO_VALUE)
            return
        if isinstance(obj, OversizedObject):
            self.bad_record(idx, line, source, obj.reason, "longer than --max-record-size")
            return
        if not isinstance(obj, dict):
            self.bad_record(idx, line, source, not_an_object_reason(obj), _NOT_OBJECT)
            return
        self.records += 1
        self.lines.add(idx, line)
        if self.sample[0] < DOCUMENT_SAMPLE:  # (a few records of each input: whether they are documents of records)
            self.sample[0] += 1
            hint = document_hint(obj)
            if hint:
                self.sample[1] += 1
                self.sample[2] = self.sample[2] or hint
        try:
            self._object(obj, (), 1, idx)
        except RecursionError:
            self.bad_record(idx, line, source, "nested too deeply", "nested too deeply")

    def place(self, index: int) -> str:
        """``record 242, line 250``, or ``record 242, b.ndjson line 250`` when several inputs were read (``record 242``
        alone where its line is not known, Python objects), as validate names it: see :func:`_record_place`. (One
        input's record was ``record 242`` alone, where validate's note on the same record said its line too.)"""
        return _record_place(self.sources, index, self.lines.of(index))

    def missing_record(self, st: _PathStats) -> int:
        """The record (numbered as validate numbers them, bad records too) of the first JSON object
        record without the path's key; -1 when every one holds it."""
        ordinal = st.miss_at if st.miss_at >= 0 else st.present if st.present < self.records else -1
        if ordinal < 0:
            return -1
        return ordinal + bisect.bisect_right(self.bad_at, ordinal)

    def bad_record(self, idx: int, line: int | None, source: str | None, reason: str, kind: str) -> None:
        self.lines.add(idx, line)
        self.bad += 1
        self.bad_at.append(self.records)
        self.bad_kinds[kind] = self.bad_kinds.get(kind, 0) + 1
        if len(self.bad_examples) < BAD_EXAMPLES:
            ex: dict[str, Any] = {"record": idx, "line": line, "reason": reason}
            if source is not None:
                ex["file"] = source
            self.bad_examples.append(ex)

    def _object(self, obj: dict[str, Any], prefix: tuple[str, ...], depth: int, idx: int) -> Any:
        """Scan one object's keys; the first number in it the endpoint refuses in any column, or None."""
        stats = self.stats
        refused: Any = None
        ordinal = self.records - 1  # (among the JSON object records)
        for key, value in obj.items():
            if not isinstance(key, str):
                self.odd_key(prefix, key)
                continue
            keys = prefix + (_path_key(key),)
            st = stats.get(keys)
            if st is None:
                st = stats[keys] = _PathStats(keys)
            if st.present != ordinal and st.miss_at < 0:  # (the records before held it, each once: the first gap)
                st.miss_at = st.present
            st.present += 1
            t = type(value)
            if t is str:
                st.add_str(value, idx)
                continue
            if t is int:
                if value.bit_length() < 1024 or not _beyond_float(value):
                    st.add_int(value, idx)
                    continue
                value, t = _huge_int(value), OutOfRangeNumber  # a Python int beyond float64: as validate refuses it
            if st.uniq is not None:
                if t is float and value.is_integer() and -(2**63) <= value < 2**63:
                    # a whole float is its integer's _id and key text alike (the endpoint truncates it to
                    # an id; Go's %v prints 7.0 as 7): as Python and pandas write an integer column with a NaN
                    st.track(int(value))
                else:
                    st.untrack()
            if t is float and value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
                st.add_float(value, idx)
            elif value is None:
                st.nulls += 1
                st.seen("null", idx)
            elif t is bool:
                st.seen("bool", idx, value)
            elif t is OutOfRangeNumber or t is float:  # decoded the way the engine does (or NaN): refused in any column
                if not st.huge:
                    st.huge_first = idx
                    st.huge_text = preview(value.text, 40) if t is OutOfRangeNumber else repr(value)
                st.huge += 1
                if refused is None:
                    refused = value
            elif isinstance(value, dict):
                st.seen("object", idx, _stand_in(value))
                inner = None
                if not value:
                    st.obj_empty += 1
                elif depth < self.max_depth:
                    inner = self._object(value, keys, depth + 1, idx)
                elif keys in self.through:  # (a named identity lies under it: that path alone is scanned)
                    inner = self._follow(value, keys, depth, idx, st)
                else:
                    st.deeper += 1
                    inner = _refused_in(value)
                if inner is not None:  # (a string column takes the object: the endpoint refuses the record)
                    st.holds_refused(inner, idx)
                    if refused is None:
                        refused = inner
            elif isinstance(value, (list, tuple)):
                inner = st.add_array(value, idx)
                if refused is None:
                    refused = inner
            elif isinstance(value, (str, int, float)):  # a subclass (an IntEnum, numpy.float64): the JSON value validate reads
                base = str if isinstance(value, str) else int if isinstance(value, int) else float
                st.present -= 1  # (counted again when the value is scanned)
                inner = self._object({key: base(value)}, prefix, depth, idx)
                if refused is None:
                    refused = inner
            else:  # a Python object that JSON has no type for
                st.other += 1
                st.seen(class_name(value), idx)
        return refused

    def _follow(self, obj: dict[str, Any], prefix: tuple[str, ...], depth: int, idx: int, st: _PathStats) -> Any:
        """Scan, of an object at ``max_depth``, only the keys on the way to a followed identity path;
        the others are left out as any key that deep (said so), their refused numbers still found."""
        along = self.along
        wanted = {k: v for k, v in obj.items() if isinstance(k, str) and prefix + (_path_key(k),) in along}
        inner = self._object(wanted, prefix, depth + 1, idx) if wanted else None
        if len(wanted) < len(obj):
            st.deeper += 1
            if inner is None:
                inner = _refused_in({k: v for k, v in obj.items() if k not in wanted})
        return inner

    def odd_key(self, prefix: tuple[str, ...], key: Any) -> None:
        """A Python mapping's key that no path can name: skipped, said why (the endpoint never reads it)."""
        where = (_dot(prefix) + "." if prefix else "") + preview(int_text(key, repr), 80)
        if where in self.odd_keys or len(self.odd_keys) >= 100:
            return
        self.odd_keys[where] = f"a key of type {type(key).__name__}, not a string as JSON object keys are: no path names it"

    # -- inputs

    def feed(self, source: Any, name: str | None, options: MapOptions, several: bool = False, label: str | None = None) -> None:
        """Scan one source read as ``options`` say (its format, records path and record size limit, as
        ``validate`` reads it); ``several``: one of several sources, so a document of it that does not
        parse is one bad record. ``name``: the source's name in notes and bad records (None: the
        only one); ``label``: its name in an error that stops the scan, said of an only one too."""
        records_path = options.records_path
        first_index, first_object, seems_document = self.index, self.records, False
        not_objects, bad_before = self.bad_kinds.get(_NOT_OBJECT, 0), self.bad
        self.sample = [0 if records_path is None else DOCUMENT_SAMPLE, 0, ""]
        line = 1
        head = b""  # the first lines of NDJSON, to say why its records are no objects (arrays of them a line)
        for unit in units_for(source, options):
            if isinstance(unit, NdjsonChunk):
                if unit.first_line is not None:
                    line = unit.first_line
                data = unit.data if isinstance(unit.data, bytes) else bytes(unit.data)  # a memoryview slice
                if unit.first_line is not None and records_path is None:
                    head = data[:HEAD_BYTES]
                self._chunk(data, line, name)
                line += data.count(b"\n")
                self.nbytes += len(data)
            elif isinstance(unit, RawRecords):
                bad = unit.bad or {}
                limit = options.max_record_size
                for i, raw in enumerate(unit.raws):
                    ln = unit.lines[i] if unit.lines else None
                    over = oversized(raw, 0, len(raw), limit, None) if len(raw) > limit else None
                    if over is not None:  # (a record of a document: the document is read whole, each record measured as validate measures it)
                        self.index += 1
                        self.bad_record(self.index - 1, ln, name, over.reason, "longer than --max-record-size")
                    elif i in bad:  # not a record (a request body's item without "value": its own text, kept for a dead letter)
                        self.index += 1
                        self.bad_record(self.index - 1, ln, name, bad[i], _NO_VALUE)
                    else:
                        self._raw(raw, ln, name, None if unit.cols is None else functools.partial(unit.cols.__getitem__, i))
                    self.nbytes += len(raw)
            elif isinstance(unit, ObjectRecords):
                # (measured by their text for a limit asked for, as validate measures them: the draft's verification)
                limit = options.max_record_size
                for obj in unit.objs if limit == MAX_RECORD_SIZE else measured_objects(unit.objs, limit):
                    self.record(obj, None, name)
            elif isinstance(unit, BrokenDocument) and unit.code == "no_records":  # one document of several without records
                self.index += 1
                self.no_records_hinted += bool(unit.hint)
                self.bad_record(self.index - 1, unit.line, name, unit.named(name or label), _CODE_WORDS["no_records"])
            elif isinstance(unit, BrokenDocument) and (unit.one_record or several or _documents_listed(source)):
                # a blank text among records given as texts, or a document that does not parse among several
                # (a truncated API response of a list, one file of several): the others are read on, as validate
                # reads them, and it counts as one record refused (a draft from none says so: exit 1)
                self.index += 1
                self.bad_record(self.index - 1, unit.line, name, unit.named(name or label), _CODE_WORDS[unit.code])
            elif isinstance(unit, BrokenDocument):  # (the only input: the scan stops, naming it as validate names a file)
                label = name or label
                line_named = unit.failure is not None and unit.failure.line_named is not None  # ("at line 3 char 2": not said twice)
                raise InputError(unit.named(label) + location_text(None, None, None if line_named else unit.line, None, label if label != "-" else None))
            elif isinstance(unit, Notice):
                seems_document = seems_document or unit.kind == "document"
                if unit.kind == "null_records" and self.null_records_at is None:
                    self.null_records_at = unit.at
                said = hints_named(unit.message, name or label)  # (the lone-CR note's command names the file)
                note = f"{shown_name(name)}: {said}" if name else said
                if note not in self.notices:  # (one note said of many documents comes once per document)
                    self.notices.append(note)
            elif isinstance(unit, OversizedRecord):
                if unit.first_line is not None:
                    line = unit.first_line
                self.index += 1
                self.bad_record(self.index - 1, line, name, unit.reason, "longer than --max-record-size")
                line += 1
                self.nbytes += unit.line_size or unit.size
            else:  # pragma: no cover - the reader grew a unit kind
                raise InferError(f"internal: unknown input unit {type(unit).__name__}")
            if self.progress is not None:
                self.progress(self.index, self.nbytes)
        looked, documents, hint = self.sample
        objects = self.records - first_object
        if seems_document:  # the reader's note: the input is one object, a document
            self.documents += objects
        elif looked and documents == looked:  # NDJSON of documents (a dump1090 capture a line): said as for one,
            # but not a draft that does not stand: records that each hold many objects (an order and its
            # twenty line items) look the same, and are records
            note = documents_note(looked, objects, hint)
            self.notices.append(f"{shown_name(name)}: {note}" if name else note)
        records, failed = self.index - first_index, self.bad - bad_before
        if head and 2 * failed > records:  # mostly no records: UTF-16 text, arrays of them a line? (validate's note, in its words)
            note = input_note(head, records, failed, self.bad_kinds.get(_NOT_OBJECT, 0) - not_objects, name or label)
            if note:
                self.notices.append(f"{shown_name(name)}: {note}" if name else note)
        self.sources.append({"source": name, "first_record": first_index, "records": self.index - first_index})

    def _chunk(self, data: bytes, first_line: int, name: str | None) -> None:
        lines = data.split(b"\n")
        nonblank = [(i, ln) for i, ln in enumerate(lines) if ln.strip(b" \t\r")]
        try:
            objs = _DECODER.decode_lines(data)
        except (msgspec.DecodeError, ValueError, RecursionError):
            objs = None
        if objs is not None and len(objs) == len(nonblank):
            for obj, (i, _raw) in zip(objs, nonblank):
                self.record(obj, first_line + i, name)
            return
        for i, raw in nonblank:  # one line at a time: a bad line is counted, the others read
            self._raw(raw.rstrip(b"\r"), first_line + i, name)

    def _raw(self, raw: bytes, line: int | None, name: str | None, column: Callable[[], int] | None = None) -> None:
        if not raw:  # an item of an endpoint body without "value"
            self.index += 1
            self.bad_record(self.index - 1, line, name, not_an_item_reason(None), _NO_VALUE)
            return
        try:
            obj = _DECODER.decode(raw)
        except (msgspec.DecodeError, ValueError, RecursionError):
            # decoded as validate decodes it (invalid UTF-8 replaced, Go's numbers), or
            # refused with validate's words: one wording per fault
            try:
                obj, _replaced = decode_record(raw, False, column)
            except RecordDecodeError as exc:
                self.index += 1
                self.bad_record(self.index - 1, line, name, exc.message, "nested too deeply" if "nested too deeply" in exc.message else "not valid JSON")
                return
        self.record(obj, line, name)


# ---------------------------------------------------------------------------------------
# Decisions


@dataclass
class _Choice:
    """The column type of a leaf path, or why it has none."""

    type: str | None
    config: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why skipped (type None), or how a conflict was resolved
    note: str = ""  # something the user should know (capped scale, timestamp fallback)
    #: for a path with several JSON types: what each candidate type would do with the values
    #: ({"type", "config", "exact", "changed", "refused"}), the chosen one first (for a path
    #: typed by --type, the chosen one at least)
    alternatives: list[dict[str, Any]] = field(default_factory=list)


def _is_time_key(key: str) -> bool:
    """Whether one of the key's words (split at ``_ - .`` and the like, and camelCase) names a time:
    a time token (``ts``, ``at`` ...), a word starting with a time word (``timestamp``, ``dated``,
    ``createdon``) or ending with ``time`` or ``stamp`` (``mtime``); ``candidate_id`` is not one."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
    return any(w in _TIME_TOKENS or w.startswith(_TIME_WORDS) or _time_ending(w) for w in re.split(r"[^a-z0-9]+", snake))


#: Words ending like a time word that are none (``candidate_id``): not time keys.
_NOT_TIME = ("candidate", "validate", "mandate", "accommodate", "consolidate", "liquidate")


def _time_ending(word: str) -> bool:
    """A compound ending with a time word: ``mtime``, ``lastupdated``, ``birthdate``, ``lastupdate``."""
    if word.endswith(("time", "stamp", "updated", "modified", "created")):
        return True
    return word.endswith("date") and not word.endswith(_NOT_TIME) and word != "update"  # (lastupdate ends with date)


def _epoch_unit(lo: float, hi: float) -> str | None:
    for low, high, unit in EPOCH_BANDS:
        if low <= lo and hi < high:
            return unit
    return None


def _numbers(st: _PathStats) -> list[int | float]:
    return [v for v in (st.imin, st.imax, st.fmin, st.fmax) if v is not None]


def _string_ok(st: _PathStats) -> bool:
    """A string column takes every scalar, array and object; only numbers beyond float64 fail."""
    values: list[Any] = _numbers(st) + [v for v in (st.emin, st.emax) if v is not None]
    return _converts(_converter("string"), values)


def _as_string(st: _PathStats, why: str) -> _Choice:
    if _string_ok(st):
        return _Choice("string", reason=why)
    return _Choice(None, reason="no column type takes every value (numbers beyond the float64 range the endpoint decodes)")


def _beyond(st: _PathStats, scale: int) -> int:
    """Decimal strings with 19 or more digits beyond ``scale``: a decimal column of that Scale refuses them."""
    return sum(n for s, n in st.dscales.items() if s - scale >= 19)


def _decimal_choice(st: _PathStats, with_text: bool) -> _Choice | None:
    """The smallest Scale that holds every digit seen, capped to fit int64; None if nothing fits."""
    want = min(st.frac, 19)
    values: list[Any] = _numbers(st)
    if with_text:
        want = min(max(want, st.dscale), 19)
        values += [t for t in (st.dmin_text, st.dmax_text) if t]
    for scale in range(want, -1, -1):
        if with_text and _beyond(st, scale):
            break  # a smaller Scale refuses them too
        if _converts(_converter("decimal", (("Scale", scale),)), values):
            note = ""
            need = max(st.frac, st.dscale if with_text else 0)
            if scale < need:
                sized: list[tuple[Decimal, Any]] = [(Decimal(repr(v) if isinstance(v, float) else v).copy_abs(), v) for v in _numbers(st)]
                if with_text:
                    sized += [(d.copy_abs(), t) for d, t in ((st.dmin, st.dmin_text), (st.dmax, st.dmax_text)) if d is not None]
                largest = f" ({show(max(sized, key=lambda sv: sv[0])[1])})" if sized else ""
                note = (
                    f"Scale capped at {scale} (values have up to {need} digits after the point) so that the largest "
                    f"value{largest} times 10^Scale fits a signed 64-bit integer; extra digits are truncated"
                )
            elif scale:
                note = _scale_headroom(st, scale, with_text)
            if with_text and st.d_dropped:
                dropped = sum(st.d_dropped.values())
                note += "; " if note else ""
                note += (
                    f"{plural(dropped, 'decimal string')} beyond 19 significant digits (e.g. {show(st.d_dropped_first)}): the endpoint "
                    "keeps 19 of them whatever the Scale and cuts the rest (validate warns decimal_truncated); type string to keep them as written"
                )
            return _Choice("decimal", {"Scale": scale}, note=note)
    return None


#: A decimal column whose range (int64 / 10^Scale) is within this factor of the largest value seen,
#: its Scale set by floats of this many significant digits or more (float arithmetic's), is noted.
SCALE_HEADROOM = 1000
NOISY_DIGITS = 15


def _scale_headroom(st: _PathStats, scale: int, with_text: bool) -> str:
    """The note of a Scale set by floats as float arithmetic leaves them (19.990000000000002, 15 or
    more significant digits) that leaves a range close to the values seen (Scale 15: values up to
    9223.37 only, a later 10000 refused), or ""."""
    finest = next((v for v in st.fvals if _frac_digits(v) == scale), None) if st.frac == scale else None
    if finest is None or len(Decimal(repr(finest)).as_tuple().digits) < NOISY_DIGITS:
        return ""
    sized: list[Decimal] = [Decimal(repr(v) if isinstance(v, float) else v).copy_abs() for v in _numbers(st)]
    if with_text:
        sized += [d.copy_abs() for d in (st.dmin, st.dmax) if d is not None]
    largest = max(sized, default=Decimal(0))
    limit = Decimal(2**63 - 1).scaleb(-scale, EXACT_DECIMALS)  # (never the caller's context: 3 digits, or a rounding trapped)
    if EXACT_DECIMALS.multiply(largest, SCALE_HEADROOM) <= limit:
        return ""
    return (
        f"Scale {scale} holds the digits of floats such as {show(finest)}, as float arithmetic leaves them (0.1 + 0.2 is "
        f"0.30000000000000004), but then values only up to {float(limit):.6g} in magnitude (int64 / 10^Scale; the largest seen "
        f"is {largest}): a larger one is refused with its record; a smaller Scale in the draft holds larger values (the digits "
        "beyond it truncated)"
    )


def _int_choice(st: _PathStats, with_text: bool, rows: bool = False) -> _Choice | None:
    """``int``, else (``rows``: for ``--type PATH=id``) ``id`` (integers beyond int64), if it takes the
    path's integers (and its integer texts). Infer never chooses ``id`` for them itself: FeatureBase
    keeps an id as a row modulo 2^44 (``row_wrapped``), 2^63 as 0, where a ``string`` column keeps
    the float64 the endpoint decodes them into (as for integers beyond the unsigned range)."""
    values: list[Any] = [v for v in (st.imin, st.imax) if v is not None]
    if with_text:
        values += [str(v) for v in (st.tmin, st.tmax) if v is not None]
    if _converts(_converter("int"), values):
        return _Choice("int")
    if not rows:
        return None
    # the texts' extremes are their integers, signs dropped ("-0" is 0): an id column refuses a signed text
    if (not with_text or not st.n_signed) and all(not isinstance(v, int) or v >= 0 for v in values) and _converts(_converter("id"), values):
        return _Choice("id", note="integers beyond the signed 64-bit range: typed id (unsigned)")
    return None


#: A timestamp Granularity -> the digits of a fraction of a second it holds.
GRANULARITY_DIGITS = {"s": 0, "ms": 3, "us": 6, "ns": 9}


def _ts_choice(st: _PathStats) -> _Choice:
    """A timestamp column for the path's strings (``st.ts`` holds a layout that parses every one), with
    the Granularity that holds the finest fraction of a second seen (as a decimal's Scale holds its
    digits): ns only where its narrower range (1833..2106) holds every value, else us (noted)."""
    layout = st.ts[0][0] if st.ts else None
    config: dict[str, Any] = {"Layout": layout} if layout is not None else {}
    finest = min(max(st.ts_fracs, default=0), 9)
    texts = [ext[1] for ext in (st.ts_lo, st.ts_hi) if ext is not None]
    grans = list(GRANULARITY_DIGITS)  # s, ms, us, ns
    holds = next(g for g in grans if GRANULARITY_DIGITS[g] >= finest)
    for gran in reversed(grans[1 : grans.index(holds) + 1]):  # the one that holds every fraction, else finer than s
        cfg = {**config, "Granularity": gran}
        if _converts(_converter("timestamp", tuple(sorted(cfg.items()))), texts):
            note = ""
            if GRANULARITY_DIGITS[gran] < finest:
                at_ns = _converter("timestamp", tuple(sorted({**config, "Granularity": "ns"}.items())))
                outside = next((t for t in texts if _converted(at_ns, t) is _FAILED), None)
                finest_eg = f" (e.g. {show(st.ts_finest)})" if st.ts_finest is not None else ""
                outside_eg = f"; e.g. {show(outside)}" if outside is not None else ""
                note = (
                    f"Granularity {gran}: values have up to {finest} digits after the second{finest_eg}, but Granularity ns holds only "
                    f"1833..2106 (the range FeatureBase takes at ns{outside_eg}); extra digits are truncated"
                )
            return _Choice("timestamp", cfg, note=note)
    return _Choice("timestamp", config)  # Granularity s (the default): every string parsed at s when seen


def _epoch_choice(st: _PathStats) -> _Choice | None:
    nums = _numbers(st)
    if not nums or not _is_time_key(st.keys[-1]):
        return None
    unit = _epoch_unit(min(nums), max(nums))
    if unit is None:
        return None
    for gran in dict.fromkeys((unit, "s")):
        cfg = (("Granularity", gran), ("Unit", unit))
        if _converts(_converter("timestamp", cfg), nums):
            note = ""
            if st.frac_first is not None:  # (a float without a fraction is stored as sent)
                note = f"epoch floats with Unit {unit} (e.g. {show(st.frac_first)}): the endpoint truncates them to whole {unit}"
            return _Choice("timestamp", {"Unit": unit, "Granularity": gran}, note=note)
    return None


def _decide(st: _PathStats, nulls_above: int = 0) -> _Choice:
    """The column of a leaf path (not an object in every record), one the endpoint takes for every value seen.

    ``nulls_above``: records where an object on the way to this path is null (the
    ingester reads the path as null there too).
    """
    choice = _decide_type(st)
    kinds = st.kinds
    # (arrays and objects among scalars: a string column takes them all, as Go's text, unless another
    # type stores most values as sent; a set column of arrays and strings stays one)
    # (arrays of strings beside strings: a strings column splits the strings at their commas, so a
    # string column storing most of them as sent is chosen by the same rule)
    if choice.type is not None and len(kinds) > 1 and (kinds <= _SCALARS or (kinds & _SCALARS and choice.type in ("string", "strings"))):
        choice = _most_faithful(st, choice)
    nulls = st.nulls + nulls_above
    if nulls and choice.type in ("strings", "ids"):
        return _Choice(
            None,
            reason=f"{choice.type} with nulls: the endpoint cannot write null into an existing set column, so the "
            f"{plural(nulls, 'record')} sending null would be refused; map it yourself if that is what you want",
        )
    said = _set_repeats(st, choice.type)
    if said:
        choice.note = f"{choice.note}; {said}" if choice.note else said
    return choice


def _set_repeats(st: _PathStats, ctype: str | None) -> str:
    """What a set column (``strings``, ``ids``) does with the path's arrays it takes (of strings, of
    unsigned integers) holding an element twice (RGB triples, coordinates, a list with repeats): stores
    it once, and keeps no order; "" for another type or none such (an array the column refuses, its
    record refused, is said so elsewhere)."""
    held = st.arr_rep.get(ctype) if ctype is not None else None
    if held is None:
        return ""
    n, first = held
    return (
        f"{plural(n, 'array')} {'holds' if n == 1 else 'hold'} an element more than once (e.g. {first}): "
        f"a set column ({ctype}) stores each element once, in no order, without a warning; map the elements as columns of their own "
        "(or send the array as a string) if the repeats or the order matter"
    )


_SCALARS = frozenset({"int", "float", "str", "bool"})


def _fate(choice: _Choice, st: _PathStats, kind: str) -> tuple[int, int, int]:
    """How many of the path's values of one JSON kind a column would store as sent, change (with a
    warning from mapper validate), refuse."""
    n = st.counts.get(kind, 0)
    ctype = choice.type
    assert ctype is not None
    if kind == "str":
        empty = st.s_empty  # "" is no value in every column type: changed
        rest = n - empty
        # (an id column refuses integer texts with a sign: "-0" and "+5" are no ids; a strings
        # column splits a string with commas, with a warning)
        cut = 0  # strings stored changed: more digits than a decimal's Scale, a timestamp's Granularity
        unsigned = st.n_int - st.n_signed
        taken = {"string": rest, "int": st.n_int, "id": unsigned, "ids": unsigned + st.s_ids[0], "decimal": st.n_dec, "bool": st.n_bool}.get(ctype)
        if ctype == "ids":
            cut = st.s_ids[1]  # split at commas, with a warning
        elif ctype == "id":
            cut = st.t_rows  # (kept as a row modulo 2^44, row_wrapped)
            taken = unsigned - cut
        epoch = ctype == "timestamp" and "Unit" in choice.config
        if epoch:  # (an epoch column takes integer texts as the numbers they write, "007" as 7: as an int column does)
            taken = st.n_int
        elif ctype == "timestamp":
            layout = choice.config.get("Layout")
            taken = rest - st.ts_out if st.ts and any(lay == layout for lay, _c in st.ts) else 0
            held = GRANULARITY_DIGITS[choice.config.get("Granularity", "s")]
            cut = sum(n for digits, n in st.ts_fracs.items() if digits > held) if taken else 0  # stored truncated
            taken -= cut
        taken = taken or 0
        values: list[Any] = []
        if ctype == "int" or epoch:
            values = [str(v) for v in (st.tmin, st.tmax) if v is not None]
        elif ctype == "id":  # (the unsigned texts lie within 0..tmax; the signed ones are refused above)
            values = [str(st.tmax)] if st.tmax is not None and st.tmax >= 0 else []
        elif ctype == "decimal":
            values = [t for t in (st.dmin_text, st.dmax_text) if t]
            scale = choice.config.get("Scale", 0)
            cut = sum(n for digits, n in st.dscales.items() if scale < digits < scale + 19)
            cut += sum(n for digits, n in st.d_dropped.items() if digits <= scale)  # (cut to 19 digits: stored changed at any Scale)
            taken -= _beyond(st, scale) + cut
        elif ctype == "strings":
            cut = st.s_split
            taken = rest - cut
        if not _converts(_converter(ctype, tuple(sorted(choice.config.items()))), values):
            taken = cut = 0
        if ctype == "timestamp":  # "" is no value elsewhere; a timestamp column refuses it (no number, or Go's zero time)
            return taken, cut, n - taken - cut
        return taken, empty + cut, rest - taken - cut
    if kind == "array":  # (a string column prints them as Go does; the set types take their own arrays)
        if ctype == "string":
            return 0, n, 0
        taken = {"strings": st.arr_str, "ids": st.arr_uint + st.arr_ids[0]}.get(ctype, 0)
        changed = st.arr_ids[1] if ctype == "ids" else 0  # (digit strings, truncated floats)
        if ctype == "ids" and st.emax is not None and st.emax >= ROW_LIMIT:
            # (a row of 2^44 or more is kept wrapped, row_wrapped; beyond 2^53 it is decoded as float64 too)
            return 0, taken + changed, n - taken - changed
        return taken, changed, n - taken - changed
    if kind not in _SCALARS:  # objects (printed by a string column) and what JSON has no type for
        return (0, n, 0) if ctype == "string" and kind == "object" else (0, 0, n)
    if kind == "float" and ctype in ("decimal", "int", "id"):
        return _float_fate(st, ctype, choice.config)
    if kind == "float" and ctype == "bool":
        return _float_bool_fate(st)
    if kind == "int":
        values = [v for v in (st.imin, st.imax) if v is not None]
    elif kind == "float":
        values = [v for v in (st.fmin, st.fmax) if v is not None]
    else:  # bool
        values = [True, False]
    notes: list[Any] = []
    conv = _converter(ctype, tuple(sorted(choice.config.items())))
    try:
        for v in values:
            conv.convert(v, notes)
    except (ConversionError, OverflowError, ValueError, TypeError):
        if kind == "int" and ctype == "int" and "Min" not in choice.config and "Max" not in choice.config and st.i_int_out:
            return n - st.i_int_out - st.i_far_in, st.i_far_in, st.i_int_out  # (only those beyond int64 refused)
        return 0, 0, n
    # Changed: what mapper validate warns about (the extremes' warnings, or a fraction, which
    # any float of the path may have); a conversion it does not warn about (1 into a bool
    # column, an epoch into a timestamp) stores the value as sent. (Floats into a decimal, int
    # or id column are judged one by one, above.) (A bool column also takes 2 as true without
    # a warning, as the endpoint does: that is a value lost all the same, so bools beside
    # integers other than 0 and 1 stay a string.)
    lost = (kind == "float" and st.frac > 0) or (ctype == "bool" and kind == "int" and _bool_loses_ints(st))
    if kind == "int" and ctype == "id" and notes and all(nt.kind in ("int_precision", "row_wrapped") for nt in notes):
        return n - st.i_rows, st.i_rows, 0  # (rows of 2^44 and more kept wrapped, beyond 2^53 decoded as float64 too)
    if kind == "int" and notes and not lost and all(nt.kind == "int_precision" for nt in notes):
        return n - st.i_far, st.i_far, 0  # (only the integers a float64 does not hold are changed: counted)
    if notes or lost:
        return 0, n, 0
    return n, 0, 0


def _float_fate(st: _PathStats, ctype: str, config: Mapping[str, Any]) -> tuple[int, int, int]:
    """How many of the path's floats a ``decimal``, ``int`` or ``id`` column stores as sent, changes,
    refuses: each distinct float judged as mapper validate judges it (the float64 times 10^Scale,
    truncated, against the number as written; Scale 0 for an int or id, which truncate a fraction);
    those beyond the distinct ones kept, by their digits after the point (and, for an int or id, the
    scan's count of floats beyond its range; an id's floats of 2^44 and more among them count as sent)."""
    vals = np.fromiter(st.fvals.keys(), dtype=np.float64, count=len(st.fvals))
    counts = np.fromiter(st.fvals.values(), dtype=np.int64, count=len(st.fvals))
    conv = _converter(ctype, tuple(sorted(config.items())))
    scale = config.get("Scale", 0) if ctype == "decimal" else 0
    factor = 10.0**scale
    # the vector test's band, as the stored integer (the product truncated): within 2^51 it is exact (the
    # product within 0.25 of the written number times 10^Scale); an int's Min/Max, an id's 0..2^44 (its
    # rows beyond are kept wrapped, with a warning) bound it too; the floats outside, one by one
    lo, hi = -(2.0**51), 2.0**51
    if isinstance(conv, (IntType, IdType)):
        lo, hi = max(lo, float(conv.lo) - 1), min(hi, float(conv.vouched_hi(False)) + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        product = vals * factor
        stored = np.trunc(product)
        near = (lo < stored) & (stored < hi)
        nearest = np.rint(product)
        kept = near & (nearest / factor == vals) & (stored == nearest)
    exact = int(counts[kept].sum())
    changed = int(counts[near & ~kept].sum())
    refused = 0
    for v, c in zip(vals[~near].tolist(), counts[~near].tolist()):  # large values, high scales: one by one
        notes: list[Any] = []
        try:
            conv.convert(v, notes)
        except (ConversionError, OverflowError, ValueError, TypeError):
            refused += c
            continue
        if notes:
            changed += c
        else:
            exact += c
    spilled = sum(st.fspill.values())
    if not spilled:
        return exact, changed, refused
    # (an int or id column refuses the floats the scan counted beyond its range: those kept are counted above)
    out = {"int": st.f_int_out, "id": st.f_id_out}.get(ctype, 0) - refused if "Min" not in config and "Max" not in config else 0
    out = min(max(out, 0), spilled)
    cut = min(sum(c for digits, c in st.fspill.items() if digits > scale), spilled - out)
    return exact + spilled - out - cut, changed + cut, refused + out


def _count_ids(value: Any, counts: list[int]) -> bool:
    """Count a string or array an ``ids`` column takes: ``counts[0]`` as sent, ``counts[1]`` with a warning;
    whether it takes it."""
    notes: list[Any] = []
    try:
        _converter("ids").convert(value, notes)
    except (ConversionError, OverflowError, ValueError, TypeError):
        return False
    counts[1 if notes else 0] += 1
    return True


def _refused_example(st: _PathStats, choice: _Choice | None) -> Any:
    """A value of the path that the chosen column refuses (for the notes and the report), if one is
    known: the first value of each JSON kind the scan kept, in the order of their first records,
    and among strings also the first that is no integer, unsigned integer, decimal or bool word;
    tried with the column's own converter (a timestamp's Layout or Unit decides which it refuses)."""
    if choice is None or choice.type is None:
        return None
    conv = _converter(choice.type, tuple(sorted(choice.config.items())))
    tried: list[Any] = []
    for kind in sorted(st.first_values, key=lambda k: st.first[k][0]):
        tried.append(st.first_values[kind])
        if kind == "str":
            tried += [v for v in (st.not_int, st.signed, st.not_dec, st.not_bool) if v is not None]
    tried += [v for v in (st.imin, st.imax, st.fmin, st.fmax, st.ts_out_first) if v is not None]  # (a number the first ones are not)
    if st.s_empty:
        tried.append("")
    tried += [v for v in st.arr_refused.values() if v is not None]  # (an array a set column refuses: its first one it may take)
    return next((v for v in tried if _converted(conv, v) is _FAILED), None)


def _float_bool_fate(st: _PathStats) -> tuple[int, int, int]:
    """How many of the path's floats a ``bool`` column stores as sent (``0.0`` and ``1.0``, as it
    stores 0 and 1), changes (a fraction, truncated with validate's ``float_truncated``; a whole
    float other than 0 and 1, stored as true without a warning, as 2 is), refuses (none): each
    distinct float judged; those beyond the distinct ones kept, changed (``0.0`` or ``1.0`` is
    among the distinct ones unless the 65,536 before it all differ)."""
    exact = sum(c for v, c in st.fvals.items() if v in (0.0, 1.0))
    return exact, sum(st.fvals.values()) + sum(st.fspill.values()) - exact, 0


def _bool_lost_float(st: _PathStats) -> float | None:
    """A whole float other than 0 and 1 a ``bool`` column would store as true, without a warning
    (``nan`` when only the floats beyond the distinct ones kept hold one); None if none."""
    lost = next((v for v in st.fvals if v.is_integer() and v not in (0.0, 1.0)), None)
    return float("nan") if lost is None and st.fspill.get(0) else lost


def _bool_loses_ints(st: _PathStats) -> bool:
    """Whether a bool column would store the path's integers changed: any other than 0 and 1
    is stored as true, without a warning (its extremes say; then all of them count changed)."""
    return not all(v in (0, 1) for v in (st.imin, st.imax) if v is not None)


def _bool_loses(st: _PathStats) -> bool:
    """Whether a bool column would store the path's integers (:func:`_bool_loses_ints`) or whole
    floats (:func:`_bool_lost_float`) changed without a warning: any other than 0 and 1 is stored as true."""
    return _bool_loses_ints(st) or _bool_lost_float(st) is not None


def _bool_lost_words(st: _PathStats) -> str:
    """What a ``bool`` column stores as true without a warning (:func:`_bool_loses`), in words:
    ``integers``, ``whole floats`` or both."""
    ints = _bool_loses_ints(st)
    floats = _bool_lost_float(st) is not None
    return "integers and whole floats" if ints and floats else "integers" if ints else "whole floats"


def _tally(choice: _Choice, st: _PathStats) -> dict[str, Any]:
    """What a column would do with the path's values: stored as sent, changed, refused (each value once)."""
    # a set column cannot take null: the ingester fails on its delete marker
    exact, changed, refused = 0, 0, st.nulls if choice.type in ("strings", "ids") else 0
    for kind in st.kinds:
        e, c, r = _fate(choice, st, kind)
        exact, changed, refused = exact + e, changed + c, refused + r
    tally = {"type": choice.type, "config": dict(choice.config), "exact": exact, "changed": changed, "refused": refused}
    if choice.type == "bool" and _bool_loses(st):  # (the endpoint says nothing of it, nor validate)
        # (floats with a fraction are changed too, with validate's warning)
        fractions = "; floats with a fraction truncated (mapper validate warns float_truncated)" if st.frac else ""
        tally["unwarned"] = (
            f"{_bool_lost_words(st)} stored as booleans (those other than 0 and 1 as true), which mapper validate does not warn about{fractions}"
        )
    return tally


def _faithful(tally: dict[str, Any]) -> tuple[int, int, int]:
    """How faithfully a column keeps the values (a tally's): most stored as sent, then fewest refused, fewest changed."""
    return (tally["exact"], -tally["refused"], -tally["changed"])


def _most_faithful(st: _PathStats, takes_all: _Choice) -> _Choice:
    """A path with several scalar JSON types: the column type that stores the most values as sent.

    ``takes_all`` (the type every value converts to; ``string`` when nothing else does)
    stays unless another type stores more than half of the values exactly as sent (and
    more than it does): ADS-B ``alt_baro``, 108 ints and 10 ``"ground"``, is an ``int``
    column whose 10 ``"ground"`` records the endpoint refuses, rather than a ``string``
    column that stores every altitude as text. Every candidate's tally is kept for the
    conflict report (and ``--type PATH=TYPE`` picks another).
    """
    candidates = [takes_all]
    kinds = st.kinds
    if "int" in kinds or "float" in kinds:
        # (a decimal's Scale holds the decimal strings' digits too, when there are any)
        decimal = (_decimal_choice(st, with_text=True) if st.n_dec else None) or _decimal_choice(st, with_text=False)
        num = _epoch_choice(st) or (_int_choice(st, with_text=False) if "float" not in kinds else decimal)
        if num is not None:
            candidates.append(num)
    if "int" in kinds and "float" in kinds:
        whole = _int_choice(st, with_text=False)
        if whole is not None:
            candidates.append(whole)
    if "bool" in kinds:
        candidates.append(_Choice("bool"))
    if "str" in kinds and takes_all.type != "string":
        candidates.append(_Choice("string"))
    if "str" in kinds and st.ts:  # (time strings beside epochs or other values)
        candidates.append(_ts_choice(st))
    tallies: list[tuple[_Choice, dict[str, Any]]] = []
    for c in candidates:
        if c.type is not None and not any(t["type"] == c.type and t["config"] == c.config for _c, t in tallies):
            tallies.append((c, _tally(c, st)))
    # one timestamp besides the first (epochs or time strings, whichever stores more as sent):
    # the one --type PATH=timestamp gives (see _typed), so that its row says what the option does
    stamps = [i for i, (_c, t) in enumerate(tallies) if i and t["type"] == "timestamp"]
    if len(stamps) > 1:
        keep = max(stamps, key=lambda i: _faithful(tallies[i][1]))
        tallies = [ct for i, ct in enumerate(tallies) if i not in stamps or i == keep]
    total = sum(n for k, n in st.counts.items() if k != "null")
    at = 0
    for i, (_c, t) in enumerate(tallies):
        top = tallies[at][1]
        if i and t["exact"] * 2 > total and (t["exact"], -t["refused"], -t["changed"]) > (top["exact"], -top["refused"], -top["changed"]):
            at = i
    best, tally = tallies[at]
    if at:
        best = _Choice(best.type, dict(best.config), reason=f"{best.type} stores {tally['exact']} of {plural(total, 'value')} as sent", note=best.note)
    best.alternatives = [tally] + [t for i, (_c, t) in enumerate(tallies) if i != at]
    return best


#: The types ``--type PATH=TYPE`` can give a path.
FORCED_TYPES = ("string", "int", "id", "decimal", "bool", "timestamp", "strings", "ids")


def _typed(st: _PathStats, ctype: str, text: str) -> _Choice:
    """The column ``--type PATH=TYPE`` asks for, configured from what was seen (values it refuses are the user's choice)."""
    why = f"typed {ctype} by --type"
    if ctype not in FORCED_TYPES:
        raise InferError(f"--type {text}={ctype}: the types infer can give a path are {', '.join(FORCED_TYPES)}{suggest(ctype, FORCED_TYPES)}")
    if ctype == "decimal":
        choice = (_decimal_choice(st, with_text=True) if st.n_dec else None) or _decimal_choice(st, with_text=False)
        if choice is None:
            raise InferError(f"--type {text}=decimal: no Scale holds the numbers seen in a signed 64-bit integer")
        choice.reason = why
        return choice
    if ctype in ("int", "id"):
        choice = _int_choice(st, with_text=True, rows=True) or _int_choice(st, with_text=False, rows=True)
        if choice is None or (ctype == "id" and choice.type == "int" and st.imin is not None and st.imin < 0):
            raise InferError(f"--type {text}={ctype}: the integers seen do not fit {article(ctype)} column")
        return _Choice(ctype, reason=why)
    if ctype == "timestamp":
        # epochs or time strings, whichever stores more values as sent (as a conflict's candidates)
        stamps = [c for c in (_epoch_choice(st), _ts_choice(st) if st.ts else None) if c is not None]
        choice = max(stamps, key=lambda c: _faithful(_tally(c, st))) if stamps else None
        if choice is None:
            raise InferError(f"--type {text}=timestamp: no layout parses every string seen (or the numbers are not epoch times under a time-like key)")
        choice.reason = why
        return choice
    return _Choice(ctype, reason=why)


def _not_objects(st: _PathStats) -> list[str]:
    """The JSON types of a path other than objects (numbers beyond float64 included)."""
    return sorted(st.kinds - {"object"}) + (["numbers the endpoint refuses"] if st.huge else [])


def _refused_numbers(st: _PathStats, place: Callable[[int], str]) -> str:
    """Why the endpoint refuses the path's numbers in any column (beyond float64, or NaN / infinity);
    ``place``: a record's place (:meth:`_Scanner.place`)."""
    first = f"the first in {place(st.huge_first)}, {st.huge_text}"
    if st.huge_text in ("nan", "inf", "-inf"):
        return f"{plural(st.huge, 'number')} not a JSON number (a Python float NaN or infinity; {first})"
    return f"{plural(st.huge, 'number')} beyond the float64 range the endpoint decodes numbers into ({first})"


def _refused_inside(st: _PathStats, place: Callable[[int], str]) -> str:
    """Why the endpoint refuses the path's objects and arrays that hold such a number at any depth."""
    first = f"the first in {place(st.huge_in_first)}, {st.huge_in_text}"
    if st.huge_in_text in ("nan", "inf", "-inf"):
        return f"{plural(st.huge_in, 'value')} holding a number that is not a JSON number (a Python float NaN or infinity; {first})"
    return f"{plural(st.huge_in, 'value')} holding a number beyond the float64 range the endpoint decodes numbers into ({first})"


#: Why an ``id``/``ids`` column does not keep an integer of ``ROW_LIMIT`` or more (validate's ``row_wrapped``).
_WRAPPED = "FeatureBase keeps an id as a row, and a row of 2^44 (17592186044416) or more wrapped (modulo 2^44; validate warns row_wrapped)"


def _times_refused(st: _PathStats) -> str:
    """Why strings a layout reads are a string column: a timestamp column would refuse the records
    holding "" or a time outside its range, where a string column stores every value (the times as sent)."""
    said = []
    if st.ts_out:
        said.append(f"{plural(st.ts_out, 'time')} outside the range FeatureBase takes (e.g. {show(st.ts_out_first)})")
    if st.s_empty:
        said.append(f'{plural(st.s_empty, "empty string")} "" (no time: send null or leave the key out)')
    if not st.ts_hits:
        return f"{' and '.join(said)}, which a timestamp column refuses: typed string"
    return (
        f"{plural(st.ts_hits, 'value')} read as {'a timestamp' if st.ts_hits == 1 else 'timestamps'}, beside {' and '.join(said)}, "
        f"which a timestamp column refuses with their records: typed string ({_type_option(st.option or _dot(st.keys), 'timestamp')} takes the others)"
    )


def _strings_choice(st: _PathStats) -> _Choice:
    """The column of a path holding only strings: a timestamp where one layout parses every one
    (into the range FeatureBase takes, none ""), else a string column, said why when some were times."""
    if st.ts and (st.s_empty or st.ts_out):  # (values a timestamp column refuses: "", times out of its range)
        # (a string column stores the time strings as sent too, and refuses no record)
        return _Choice("string", note=_times_refused(st))
    if st.ts:
        return _ts_choice(st)
    if st.ts_hits:
        eg = f" (e.g. {show(st.ts_ended)}, which no layout taking the values before it takes)" if st.ts_ended is not None else ""
        read = f"{plural(st.ts_hits, 'value')} read as {'a timestamp' if st.ts_hits == 1 else 'timestamps'}"
        return _Choice("string", note=f"{read}, but no single layout takes every value{eg}: typed string")
    return _Choice("string")


def _decide_type(st: _PathStats) -> _Choice:
    kinds = st.kinds
    if not kinds and st.huge:
        if st.huge_text in ("nan", "inf", "-inf"):
            return _Choice(None, reason="only numbers that are not JSON numbers (Python float NaN or infinity): the endpoint refuses them in any column")
        return _Choice(None, reason="only numbers beyond the float64 range the endpoint decodes numbers into: it refuses them in any column")
    if not kinds:
        return _Choice(None, reason="only null values: no type to infer")
    if st.other:
        odd = sorted(k for k in kinds if k not in ("null", "bool", "int", "float", "str", "array", "object"))
        return _Choice(None, reason=f"values of a type JSON has not ({', '.join(odd)})")
    if "object" in kinds:  # mixed: the object case is handled by the caller
        others = _not_objects(st)
        return _as_string(st, f"sometimes an object, sometimes {'/'.join(others)}: mapped as a string (objects become Go map text)")
    if "array" in kinds:
        elems = {k for k, n in st.elems.items() if n}
        if "object" in elems and kinds == {"array"}:  # (beside other values, a string column takes them as Go's text)
            return _Choice(None, reason="array of objects (the endpoint's paths take object keys only)")
        if kinds == {"array"}:
            if not elems:
                return _Choice(None, reason="only empty arrays: no element type to infer")
            if elems == {"str"}:
                return _Choice("strings")
            if elems == {"int"} and st.emin is not None and st.emin >= 0:
                if _converts(_converter("ids"), [[st.emin, st.emax]]):
                    if st.emax is not None and st.emax >= ROW_LIMIT:
                        return _Choice(None, reason=f"arrays of integers up to {st.emax}: {_WRAPPED}; send them as strings (a strings column)")
                    return _Choice("ids")
                return _Choice(
                    None,
                    reason=f"arrays of integers up to {st.emax}, which the endpoint decodes as float64 beyond the unsigned 64-bit "
                    "range of an ids column: no set type takes them",
                )
            return _Choice(
                None, reason=f"array elements of type {'/'.join(sorted(elems))}: neither strings nor non-negative integers, so no set type takes them"
            )
        if elems <= {"str"} and kinds == {"array", "str"}:
            return _Choice("strings", reason="arrays of strings and strings: a set of strings (a string with commas is split)")
        return _as_string(st, f"{'/'.join(sorted(kinds))}: only a string column takes all (arrays become Go text such as [a b])")
    if kinds == {"bool"}:
        return _Choice("bool")
    if kinds == {"str"}:
        return _strings_choice(st)
    if kinds <= {"int", "float"}:
        choice = _epoch_choice(st)
        if choice is not None:
            return choice
        if kinds == {"int"}:
            choice = _int_choice(st, with_text=False)
        else:
            choice = _decimal_choice(st, with_text=False)
        if choice is not None:
            return choice
        choice = _as_string(st, "no numeric column type holds every value")
        if choice.type == "string":  # (said: validate warns of every value, a number stored as text)
            far = max(_numbers(st), key=abs)
            choice.note = (
                f"numbers up to {int_text(far) if isinstance(far, int) else show(far)}: neither an int nor a decimal column holds them "
                "(a signed 64-bit integer, at Scale 0 for a decimal): typed string, which stores each as the text Go prints of its "
                "float64 (validate warns string_from_value); send them as strings to keep them as written"
            )
        return choice
    # Several scalar types.
    if "bool" in kinds and kinds <= {"bool", "int", "float", "str"}:
        ints_ok = "int" not in kinds or (st.imin is not None and st.imin >= 0 and st.imax is not None and st.imax <= 1)
        # (floats 0.0 and 1.0, as pandas writes 0 and 1 in a column holding a NaN, are 0 and 1 to a bool column)
        floats_ok = "float" not in kinds or _float_bool_fate(st)[1] == 0
        if ints_ok and floats_ok and ("str" not in kinds or st.bool_text):
            return _Choice("bool", reason="bools with 0/1 or bool words: every value converts to a bool")
    if kinds == {"int", "str"} and st.int_text:
        choice = _int_choice(st, with_text=True)
        if choice is not None:
            choice.reason = "integers and integer strings: every value converts to an integer"
            return choice
    if kinds <= {"int", "float", "str"} and "str" in kinds and "bool" not in kinds and st.dec_text:
        choice = _decimal_choice(st, with_text=True)
        if choice is not None:
            choice.reason = "numbers and decimal strings: every value converts to a decimal"
            return choice
    return _as_string(st, f"{'/'.join(sorted(kinds))}: only a string column takes every value (numbers and bools become text, with a warning)")


# ---------------------------------------------------------------------------------------
# Names


def _folded(text: str) -> str:
    """``text`` lowercased, its accented letters as their base letters (``Ünï`` is ``uni``: the
    name rules take ASCII only, and ``_n_`` said nothing of the file or key it came from)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def column_name(keys: Iterable[str]) -> str:
    """A FeatureBase column name for a path: lowercase, ``[a-z0-9_-]``, starting with a letter, <= 230 chars."""
    name = re.sub(r"[^a-z0-9_-]", "_", _folded("_".join(keys))).lstrip("_-")
    if not name:
        name = "col"
    elif not name[0].isalpha():
        name = "c" + name
    return name[:230]


def _draft_names(paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Each path's column name in a draft of these paths (in the order the records first hold
    them: a name taken twice gets ``_2``, the identity's too, so options do not rename columns)."""
    used: set[str] = set()
    return {keys: _unique(column_name(keys), used) for keys in paths}


def _unique(base: str, used: set[str]) -> str:
    name = base
    n = 2
    while name in used:
        suffix = f"_{n}"
        name = base[: 230 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def sink_name(text: str) -> str:
    """A sink name from any text (a file stem): the same rules as column names."""
    name = re.sub(r"[^a-z0-9_-]", "_", _folded(text))
    name = name.lstrip("_-0123456789")
    return (name or "inferred")[:230]


def _documents_listed(source: Any) -> bool:
    """Whether ``source`` is several documents given from Python (a list of dicts), each read on its own."""
    return not isinstance(source, (bytes, bytearray, memoryview, str, os.PathLike, Mapping)) and not hasattr(source, "read")


def _dot(keys: tuple[str, ...]) -> str:
    return to_dot_notation(keys)


def _option_paths(stats: Mapping[tuple[str, ...], _PathStats]) -> None:
    """Set each path's ``option``: the text an option suggesting it names it by. Its dot path, but a
    single key in quotes (``"a_b"``) where the key's text is the column name another path may have
    in the draft (``a_b`` of the path a.b, ``v`` of the key V, ``v_2`` of a second ``v``): the options
    read such a text as that column (:func:`_check_named`), and the suggestion failed pasted."""
    names: dict[str, int] = {}
    for keys in stats:
        name = column_name(keys)
        names[name] = names.get(name, 0) + 1
    for keys, st in stats.items():
        dot = _dot(keys)
        st.option = dot
        if len(keys) != 1 or not NAME_RE.fullmatch(dot):  # (no column name: the text names the path alone)
            continue
        # (the key's own column name is its text: another path's is the same text, or that text suffixed)
        base, sep, digits = dot.rpartition("_")
        suffixed = bool(sep) and digits.isdigit() and (names.get(base, 0) > 0 or (len(dot) == 230 and any(n != dot and n.startswith(base) for n in names)))
        if names.get(dot, 0) > 1 or suffixed:
            st.option = f'"{dot}"'


def _type_option(path: str, ctype: str) -> str:
    """``--type PATH=TYPE`` as a shell takes it: a key with a dot is quoted in the dot path (``"a.b"``),
    and a shell would strip those quotes unquoted, typing the path ``a`` -> ``b`` instead."""
    return option_text("--type", f"{path}={ctype}")


# ---------------------------------------------------------------------------------------
# The result


@dataclass
class InferResult:
    """What :func:`infer` found.

    ``body``: the draft ``POST /v1/sinks`` body. ``conflicts``: dot path -> ``{"types": {type: count},
    "first_records": {type: [index, ...]}, "nulls": n, "column", "type", "resolution"}`` for every
    path seen with several JSON types (nulls aside). ``presence``: dot path -> the ratio of records
    in which the key is present (null included), for every path seen. ``skipped``: dot path (or
    ``path.*`` for everything under it) -> why it is not in the draft. ``notes``: what else to know
    (identity fallback, capped scales). ``records``: every record read, as ``mapper validate``
    counts them (its ``records`` for the same input); ``objects``: those that are JSON objects,
    which the draft stands on; ``bad_records``: the others, not JSON objects or not JSON
    (examples in ``bad_examples``: ``record``, ``line``, ``reason`` and, with several inputs,
    ``file``, as validate names it).
    """

    body: dict[str, Any]
    conflicts: dict[str, dict[str, Any]]
    presence: dict[str, float]
    skipped: dict[str, str]
    records: int
    bad_records: int = 0
    objects: int = 0
    bad_examples: list[dict[str, Any]] = field(default_factory=list)
    #: the bad records by why, in plain words ("not valid JSON": 3)
    bad_kinds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)  # name, path (dot), type, presence
    sources: list[dict[str, Any]] = field(default_factory=list)
    #: the one record read is a document holding arrays of objects (see ``notes``)
    document_hint: bool = False
    #: the draft validated on the input read again (None: not read again, a one-shot
    #: iterable of Python records): records, refused, and the commonest errors (code: count)
    verified: dict[str, Any] | None = None

    @property
    def unusable(self) -> str | None:
        """Why the draft does not stand on the input, or None: most of the input was not
        records, the one record read is a document that seems to hold them, or the draft
        itself refuses most of the records (validated on the input)."""
        total = self.records
        if total and self.bad_records * 2 > total:
            kinds = sorted(self.bad_kinds.items(), key=lambda kv: -kv[1]) or [("not JSON objects", self.bad_records)]
            why = "; ".join(f"{kind}: {n:,}" for kind, n in kinds)
            return f"{self.bad_records:,} of {plural(total, 'record')} {'is' if self.bad_records == 1 else 'are'} unusable ({why}): the draft stands on the other {self.objects:,} only"
        v = self.verified
        if v is not None and v["refused"] * 2 > v["records"]:
            unread = f"; {self.bad_records:,} of them are no records at all, which no draft stores" if self.bad_records else ""
            return (
                f"validated on the input, the draft refuses {v['refused']:,} of {plural(v['records'], 'record')} ({_error_words(v['errors'])}{unread}): see `mapper validate`"
                " with the draft, and --type, --id-field or --primary-key-fields to choose otherwise"
            )
        if self.document_hint and self.objects == 1:
            return "the draft maps the one JSON document read as a record, not the records it seems to hold (see the note)"
        if self.document_hint:
            return f"the draft maps the {self.objects:,} JSON documents read as records, not the records they seem to hold (see the notes)"
        return None

    def to_dict(self) -> dict[str, Any]:
        """The ``--report json`` object."""
        return {
            "sink": self.body,
            "conflicts": self.conflicts,
            "presence": self.presence,
            "skipped": self.skipped,
            "records": self.records,
            "objects": self.objects,
            "bad_records": self.bad_records,
            "bad_examples": self.bad_examples,
            "notes": self.notes,
            "unusable": self.unusable,
            "verified": self.verified,
        }

    def summary(self) -> str:
        schema = self.body["schema"]
        ident = f"id_field {schema['id_field']}" if "id_field" in schema else "primary_key_fields " + ",".join(schema["primary_key_fields"])
        text = (
            f"inferred {plural(len(schema['definition']), 'column')} from "
            + (f"{self.objects:,} of {plural(self.records, 'record')}" if self.objects != self.records else plural(self.records, "record"))
            + f" ({ident}; "
            f"allow_missing_fields {str(schema['allow_missing_fields']).lower()}); "
            f"{plural(len(self.conflicts), 'conflict')}, {plural(len(self.skipped), 'path')} skipped"
        )
        if self.bad_records:
            text += f", {plural(self.bad_records, 'bad record')}"
        return text

    def print_report(self, out: IO[str], limit: int = 25) -> None:
        """The human report (stderr of ``mapper infer``)."""
        print(f"mapper: {self.summary()}", file=out)
        for note in self.notes:
            print(f"note: {note}", file=out)
        v = self.verified
        if v is not None and v["refused"] and v["refused"] * 2 <= v["records"]:  # (more than half: said as unusable)
            print(
                f"verified: validated on the input, the draft refuses {v['refused']:,} of {plural(v['records'], 'record')} ({_error_words(v['errors'])}): see `mapper validate` with the draft",
                file=out,
            )
        if self.bad_records:
            # (by what they are: a record too large, or a document without the records, is no "not JSON")
            kinds = "; ".join(f"{kind}: {n:,}" for kind, n in sorted(self.bad_kinds.items(), key=lambda kv: -kv[1])) or "not JSON objects"
            print(f"bad records ({kinds}; validate refuses them alike): {self.bad_records:,}", file=out)
            for ex in self.bad_examples:
                print(f"  {record_place(ex['record'], ex.get('file'), ex.get('line') or None)}: {ex['reason']}", file=out)
        if self.conflicts:
            print("conflicts (paths with several JSON types; record indices are 0-based):", file=out)
            # (a path whose dot path is another column's name is offered quoted, as the notes offer it)
            named = {e["name"]: _dot(tuple(e["path"])) for e in self.body["schema"]["definition"]}
            for i, (path, c) in enumerate(self.conflicts.items()):
                if i >= limit:
                    print(f"  ... and {len(self.conflicts) - limit} more (--report json lists all)", file=out)
                    break
                parts = []
                for t, n in c["types"].items():
                    idx = _records_places(self.sources, c["first_records"].get(t, []), n > len(c["first_records"].get(t, [])))
                    parts.append(f"{t} {n} (records {idx})")
                nulls = f", null {c['nulls']}" if c.get("nulls") else ""
                kept = bool(c.get("column"))
                target = f"{c['column']}: {c['type']}" if kept else f"skipped ({self.skipped[path]})" if path in self.skipped else "skipped"
                print(f"  {path}: {'; '.join(parts)}{nulls} -> {target}", file=out)
                for k, alt in enumerate(c.get("alternatives") or []):
                    fate = [f"{alt['exact']} stored as sent"]
                    if alt["changed"]:
                        why = alt.get("unwarned") or "see mapper validate's warnings"
                        fate.append(f"{alt['changed']} changed ({why})")
                    if alt["refused"]:
                        eg = f", e.g. {show(c['example_refused'])}" if k == 0 and c.get("example_refused") is not None else ""
                        fate.append(f"{alt['refused']} refused with their records{eg}")
                    # (a path left out, by --exclude or --min-presence, has no column: its first candidate
                    # is what infer would choose were it kept, not a choice the draft holds, and a --type on
                    # it has no effect)
                    if kept:
                        how = "(chosen)" if k == 0 else _type_option(f'"{path}"' if named.get(path, path) != path else path, alt["type"])
                    else:
                        how = "(the choice, were the path kept)" if k == 0 else ""
                    print(f"      {alt['type']:<9} {', '.join(fate)}  {how}".rstrip(), file=out)
        partial = [(p, r) for p, r in self.presence.items() if r < 1.0]
        print(f"presence: {len(self.presence) - len(partial)} of {plural(len(self.presence), 'path')} in every record", file=out)
        if partial:
            partial.sort(key=lambda pr: pr[1])
            for p, r in partial[:limit]:
                print(f"  {r:7.1%}  {p}", file=out)
            if len(partial) > limit:
                print(f"  ... and {len(partial) - limit} more (--report json lists all)", file=out)
        if self.skipped:
            print(f"skipped ({len(self.skipped)}):", file=out)
            for i, (p, why) in enumerate(self.skipped.items()):
                if i >= limit:
                    print(f"  ... and {len(self.skipped) - limit} more (--report json lists all)", file=out)
                    break
                print(f"  {p}: {why}", file=out)


def _error_words(errors: dict[str, int]) -> str:
    """validate's commonest errors (code: count), each with what it means: ``invalid_json 2: not valid JSON``."""
    return "; ".join(f"{code} {n:,}" + (f": {_CODE_WORDS[code]}" if code in _CODE_WORDS else "") for code, n in errors.items())


# ---------------------------------------------------------------------------------------
# infer()


#: Bytes of a one-shot stream infer keeps in memory to read again; beyond, in a temporary file.
SPOOL_MEMORY = 64 << 20


def _input_named(label: str | None) -> str:
    """An input as infer's messages name it: ``-`` is standard input."""
    return "standard input" if label == "-" else shown_name(label) if label else "the input"


class _Spool:
    """A one-shot binary stream (stdin, a pipe) read through, its bytes kept to be read again
    (in memory up to :data:`SPOOL_MEMORY`, then in a temporary file). ``label``: the input's name."""

    def __init__(self, src: Any, held: list[_Spool], label: str | None = None):
        self.src = src
        self.name = getattr(src, "name", None)
        self.label = label
        self.copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - read again, then closed by infer
        if one_layer(src):  # (a compressed FIFO's text, open_input's: it and its copy are not unpacked again, as a file's is not)
            unpacked_already(self)
            unpacked_already(self.copy)
        held.append(self)

    def read(self, n: int = -1, /) -> bytes:
        data = read_input(self.src, n)
        try:
            self.copy.write(data)
        except OSError as exc:  # (the temporary file: not made, or full; the input read fine)
            raise self._failed(exc) from None
        return data

    def again(self) -> IO[bytes]:
        try:
            self.copy.seek(0)  # (flushes the temporary file's last bytes: a full disk may say so only now)
        except OSError as exc:
            raise self._failed(exc) from None
        return self.copy  # type: ignore[return-value]

    def _failed(self, exc: OSError) -> InputError:
        """The error of a copy that could not be kept: what failed, where, the system's words, and what to do."""
        size = f"{SPOOL_MEMORY >> 20} MiB" if not SPOOL_MEMORY % (1 << 20) else f"{SPOOL_MEMORY:,} bytes"
        return InputError(
            f"cannot keep the copy of {_input_named(self.label)} that infer validates its draft on: beyond {size} "
            f"it is a temporary file in {tempfile.gettempdir()}, and writing it failed ({exc.strerror or exc}); "
            "set TMPDIR to a directory with room for the input, or give infer a file"
        )


def _regular_file(path: Any) -> bool:
    """Whether a path names a regular file (one that can be read a second time)."""
    if str(path) == "-":
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _verify(body: dict[str, Any], sources: list[Any], options: MapOptions, notes: list[str], scanned: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The draft validated on the sources (read again): records, refused, the commonest errors;
    None when some source cannot be read again (an iterator of records). ``scanned``: the scan's
    sources (:attr:`_Scanner.sources`), to name a record's file in ``notes``."""
    from .api import compile_sink  # (above the engine; infer is above both)

    if any(src is None for src in sources):
        return None

    m = compile_sink(body)
    records = refused = 0
    errors: dict[str, int] = {}
    # floats a decimal column stores changed (float64 times 10^Scale, truncated): no Scale avoids
    # it; the scan's tally counts them, the validation names the first for a note
    cut: dict[str, list[Any]] = {}  # column -> [count, first warning]
    # integers likewise, at a Scale above 0: the float64 times 10^Scale beyond 2^53 is no longer exact
    # (int_precision; at Scale 0 only integers beyond 2^53 are, which their own note says)
    scaled = {e["name"] for e in body["schema"]["definition"] if e["type"] == "decimal" and e.get("config", {}).get("Scale", 0) > 0}
    icut: dict[str, list[Any]] = {}
    # text the endpoint's decoder stores with U+FFFD (utf8_replaced): at a column, an unpaired
    # surrogate escape ("\ud800"); of the record (None), an invalid UTF-8 byte: [count, first
    # warning, the record index as infer counts them, over every input]
    replaced: dict[str | None, list[Any]] = {}
    for src in sources:
        if hasattr(src, "seek"):
            src.seek(0)
        report = m.validate(src, on_error="skip", input_format=options.input_format, records_path=options.records_path, max_record_size=options.max_record_size)
        # every warning counted, then the first of each column kept, in one walk of the warnings
        for (column, kind), n in report.warning_counts.items():
            if kind == "utf8_replaced":
                replaced.setdefault(column, [0, None, None])[0] += n
            elif kind == "float_decimal" and column is not None:
                cut.setdefault(column, [0, None])[0] += n
            elif kind == "int_precision" and column is not None and column in scaled:
                icut.setdefault(column, [0, None])[0] += n
        for w in report.warnings:
            if w.kind == "utf8_replaced":
                if w.column in replaced and replaced[w.column][1] is None:
                    replaced[w.column][1:] = [w, records + w.record]  # (records: of the inputs before this one)
                continue
            held = cut if w.kind == "float_decimal" else icut if w.kind == "int_precision" else None
            if held is not None and w.column in held and held[w.column][1] is None:
                held[w.column][1] = w
        records += report.records
        refused += report.failed_records
        for (_column, code), n in report.error_counts.items():
            errors[code] = errors.get(code, 0) + n
    entries = {e["name"]: e for e in body["schema"]["definition"]}
    for column, (n, w) in cut.items():
        e = entries[column]
        eg = f"; e.g. sent {w.sent!r}, stored {w.stored}" if w is not None else ""
        notes.append(
            f"{_dot(tuple(e['path']))}: {plural(n, 'float')} stored changed at Scale {e.get('config', {}).get('Scale', 0)}: the endpoint "
            f"multiplies the float64 by 10^Scale and truncates{eg}; no Scale avoids it: send such numbers as strings to store them exactly"
        )
    for column, (n, w) in icut.items():
        e = entries[column]
        eg = f"; e.g. sent {int_text(w.sent) if isinstance(w.sent, int) else w.sent}, stored {w.stored}" if w is not None else ""
        notes.append(
            f"{_dot(tuple(e['path']))}: {plural(n, 'integer')} stored changed at Scale {e['config']['Scale']}: the endpoint decodes numbers "
            f"as float64 and multiplies by 10^Scale, which beyond 2^53 is not exact, and truncates{eg}; send such numbers as strings "
            "to store them exactly"
        )
    if replaced:
        notes += _replaced_notes(replaced, entries, scanned)
    top = dict(sorted(errors.items(), key=lambda kv: -kv[1])[:3])
    return {"records": records, "refused": refused, "errors": top}


def _record_place(sources: Sequence[Mapping[str, Any]], index: int, line: int | None = None) -> str:
    """A record's place as validate says it (:func:`record_place`): ``record 242``, or, several
    inputs read, ``record 242, b.ndjson`` (``b.ndjson line 3`` with its line), the file being the
    source whose records hold the index (records are numbered over every input, as validate numbers them)."""
    return record_place(index, _source_of(sources, index), line)


def _source_of(sources: Sequence[Mapping[str, Any]], index: int) -> str | None:
    """The name of the source holding the record ``index`` (None: the only input)."""
    at = bisect.bisect_right([src["first_record"] for src in sources], index) - 1
    return sources[at]["source"] if at >= 0 else None


def _records_places(sources: Sequence[Mapping[str, Any]], indices: Iterable[int], more: bool = False) -> str:
    """``0, 1, 2``, or, several inputs read, each file's after its records (``3, 4, a.ndjson; 5, b.ndjson``),
    as :func:`_record_place` names one record's; ``more``: others follow (``, ...``; ``; ...`` after a file)."""
    groups: list[tuple[str | None, list[str]]] = []
    for index in indices:
        name = _source_of(sources, index)
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].append(str(index))
    said = "; ".join(", ".join(idx) + (f", {shown_name(name)}" if name else "") for name, idx in groups)
    return said + ((";" if groups and groups[-1][0] else ",") + " ..." if more else "")


def _replaced_notes(replaced: dict[str | None, list[Any]], entries: dict[str, dict[str, Any]], scanned: Sequence[Mapping[str, Any]]) -> list[str]:
    """The notes of text validate warns ``utf8_replaced`` of (see :func:`_verify`): per column, the
    values holding an unpaired UTF-16 surrogate escape; then the records holding invalid UTF-8."""
    out = []
    for column, (n, w, index) in sorted(replaced.items(), key=lambda kv: (kv[0] is None, kv[1][2] if kv[1][2] is not None else 0)):
        eg = ""
        if w is not None:  # (the record as infer counts them, and its file where there are several)
            eg = f" (e.g. {_record_place(scanned, index, w.line)}: sent {show(w.sent, escaped=True)}, stored {show(w.stored)})"
        if column is None:
            out.append(
                f"{plural(n, 'record')} {'holds' if n == 1 else 'hold'} invalid UTF-8{eg}: the endpoint's JSON decoder stores each "
                "invalid byte as U+FFFD (validate warns utf8_replaced); convert the input to UTF-8 first to keep the text"
            )
            continue
        out.append(
            f"{_dot(tuple(entries[column]['path']))}: {plural(n, 'value')} {'holds' if n == 1 else 'hold'} an unpaired UTF-16 surrogate "
            f"escape{eg}, which is no text: the endpoint's JSON decoder stores each as U+FFFD (validate warns utf8_replaced); "
            "send the characters themselves (or a surrogate pair's two escapes) to keep the text"
        )
    return out


def _sources(records_sources: Any) -> list[Any]:
    """One source or a list of them (a list of dicts is one source of records); a str holding
    JSON text is that text, as ``Mapper.map`` reads it (:func:`~mapper.errors.names_a_file`)."""
    if isinstance(records_sources, (set, frozenset)):
        raise InputError(no_set_reason(records_sources, "infer"))
    if (
        isinstance(records_sources, (list, tuple))
        and records_sources
        and all(isinstance(s, (str, os.PathLike, bytes, bytearray)) or hasattr(s, "read") for s in records_sources)
    ):
        sources = list(records_sources)
    elif isinstance(records_sources, (list, tuple)) and records_sources and all(isinstance(s, (list, tuple)) for s in records_sources):
        # (read as one source whose records are lists, each refused "got array": a list of sources is
        # of files, texts and streams, and records given as Python objects are one iterable of them)
        n = len(records_sources)
        raise InputError(
            f"mapper.infer was given a {type(records_sources).__name__} of {n:,} {type(records_sources[0]).__name__}s, one source whose"
            f" records would be those {type(records_sources[0]).__name__}s (no record is an array): records as Python objects are one"
            " iterable of dicts, so pass them as one list, [r for part in parts for r in part] (or itertools.chain(*parts));"
            " a list of several sources holds files, JSON texts or binary streams"
        )
    else:
        sources = [records_sources]
    return [s.encode("utf-8", "surrogatepass") if isinstance(s, str) and not names_a_file(s) else s for s in sources]


class _FileName(os.PathLike):  # type: ignore[type-arg]
    """A file name from the command line: a file whatever it looks like (``[prod].ndjson`` too, which
    as a str is JSON text), as it was typed (``str()`` gives it back unchanged, unlike a ``Path``)."""

    def __init__(self, name: str):
        self.name = name

    def __fspath__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


def _source_name(src: Any) -> str | None:
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    name = getattr(src, "name", None)
    return name if isinstance(name, str) else None


def _default_name(sources: list[Any]) -> str:
    for src in sources:
        if isinstance(src, (str, os.PathLike)) and str(src) != "-":
            stem = FsPath(str(src)).name
            for suffix in (".gz", ".ndjson", ".jsonl", ".json"):
                if stem.lower().endswith(suffix):
                    stem = stem[: -len(suffix)]
            return sink_name(stem)
    return "inferred"


def _wrong(param: str, wanted: str, value: Any) -> OptionError:
    return OptionError(f"infer(): {param} must be {wanted}, not {type(value).__name__} {value!r}"[:300])


def _globs(param: str, value: Any) -> tuple[str, ...]:
    """``include`` / ``exclude``: one glob, or an iterable of globs (a str is one glob, not its characters)."""
    if value is None:
        return ()
    try:
        globs = (value,) if isinstance(value, str) else tuple(value)
    except TypeError:
        raise _wrong(param, "a glob (str) or an iterable of globs", value) from None
    for g in globs:
        if not isinstance(g, str):
            raise _wrong(param, "a glob (str) or an iterable of globs", g)
        if not g:  # (it matches no path: with include, every path was left out)
            raise OptionError(f"infer(): {param} holds an empty glob (''): give a glob on dot paths (data.*)")
    return globs


def _check_types(id_field: Any, primary_key_fields: Any, types: Any, progress: Any) -> Callable[[int, int], None] | None:
    """The Python callers' parameters of the wrong type (the command line's are strings): an OptionError
    naming the parameter; the progress callable."""
    if id_field is not None and not isinstance(id_field, str):
        raise _wrong("id_field", "a path (str)", id_field)
    if primary_key_fields is not None and not isinstance(primary_key_fields, (list, tuple)):
        raise _wrong("primary_key_fields", "a list of paths (or one str, comma-separated)", primary_key_fields)
    if types is not None:
        if not isinstance(types, Mapping):
            raise _wrong("types", "a mapping of path to column type ({'alt_baro': 'string'})", types)
        for path, ctype in types.items():
            if not isinstance(path, str) or not isinstance(ctype, str):
                raise _wrong("types", "a mapping of path (str) to column type (str)", {path: ctype})
    if progress is None or callable(progress):
        return progress
    update = getattr(progress, "update", None)
    if not callable(update):
        raise _wrong("progress", "a callable progress(records, bytes), or an object with such an update method", progress)
    return update


def _named_paths(texts: Iterable[str]) -> list[tuple[str, ...]]:
    """The paths the identity options name in dot notation (a text that is no path, a column name, none)."""
    out = []
    for text in texts:
        try:
            keys = parse_path(text.strip()).keys
        except MapperError:
            continue
        if keys is not None:  # (an expression, not a path of keys, names no path)
            out.append(keys)
    return out


def _check_options(id_field: Any, primary_key_fields: Any, min_presence: Any, name: Any, input_format: str) -> float:
    """``min_presence`` as a float, once every option here is checked."""
    # (each named as the caller gave it: the keyword from Python, the option from mapper infer)
    if id_field is not None and primary_key_fields is not None:
        raise _OptionRefused("give either id_field or primary_key_fields (--id-field or --primary-key-fields), not both")
    if primary_key_fields is not None and (not primary_key_fields or not all(isinstance(p, str) and p.strip() for p in primary_key_fields)):
        raise _OptionRefused("primary_key_fields (--primary-key-fields) needs one or more paths, separated by commas")
    try:  # (as every fractional option of the API: np.float32(0.5) taken, as a float)
        share = real_number(min_presence, "min_presence (--min-presence)", least=0, most=1, why=" (a share of the records)")
    except OptionError as exc:
        raise _OptionRefused(str(exc)) from None
    if name is not None and (not isinstance(name, str) or not NAME_RE.fullmatch(name)):
        hint = sink_name(str(name))
        raise _OptionRefused(
            f"invalid sink name {name!r} (name, --name): lowercase letters, digits, '-' and '_', starting with a letter, at most 230 characters (e.g. {hint!r})"
        )
    if input_format not in INPUT_FORMATS:
        raise _OptionRefused(f"unknown input format {input_format!r} (input_format, --input-format); use one of {', '.join(INPUT_FORMATS)}")
    return share


class _Globs:
    """``--include`` / ``--exclude`` globs, ready to match many paths.

    A glob matches its own text (fnmatch has no escapes: a key ``a[1]``, the path ``"a[1]"``,
    is named by that text), and one without ``*``, ``?`` or ``[`` only that, so those are
    looked up at once: a list of 4,000 paths to leave out (a script's, one
    ``--exclude`` each) was tried path by path against every glob (quadratic: 8,000 paths
    and 4,000 globs took 6 s); only the others are tried one by one.
    """

    def __init__(self, globs: tuple[str, ...]):
        self.globs = globs
        self.literal: dict[str, int] = {}
        self.patterns: list[tuple[int, str]] = []
        for i, g in enumerate(globs):
            # (each glob matches its own text too: fnmatch reads the `[1]` of a key `"a[1]"` as a class)
            self.literal.setdefault(g, i)
            if "*" in g or "?" in g or "[" in g:
                self.patterns.append((i, g))

    def hit(self, keys: tuple[str, ...]) -> str | None:
        """The first glob (in the order given) matching the path, else the first matching its
        longest prefix that one matches (so ``user`` covers ``user.name``)."""
        for n in range(len(keys), 0, -1):
            text = _dot(keys[:n])
            first = self.literal.get(text, len(self.globs))
            for i, g in self.patterns:
                if i >= first:
                    break
                if fnmatch.fnmatchcase(text, g):
                    first = i
                    break
            if first < len(self.globs):
                return self.globs[first]
        return None


@roomy_stack  # (records decoded, and walked, in C a level each: on a stack that holds the deepest, see on_roomy_stack)
def infer(
    records_sources: Records | Iterable[Records],
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    max_depth: int | None = None,
    min_presence: float = 0.0,
    include: str | Iterable[str] = (),
    exclude: str | Iterable[str] = (),
    name: str | None = None,
    progress: Callable[[int, int], object] | ProgressBar | None = None,
    input_format: str = "auto",
    records_path: str | Sequence[str] | None = None,
    types: Mapping[str, str] | None = None,
    max_record_size: int = MAX_RECORD_SIZE,
) -> InferResult:
    """Scan every record of ``records_sources`` and draft a sink definition for them.

    ``records_sources``: one source or a list of sources. A source is a file path (``str``
    or ``os.PathLike``; ``"-"`` is stdin; ``.gz`` is read through), NDJSON / JSON text as
    ``bytes`` or as a ``str`` (one that starts with ``{`` or ``[`` or has a newline, as
    :meth:`mapper.Mapper.map` tells text from a file name), a binary stream, or records as
    Python objects (a dict, an iterable of dicts). A list of records' JSON texts
    (``['{"id": 1}', '{"id": 2}']``) is thus read as ``Mapper.map`` reads it, each text its
    record (a text holding several, an array, gives each; a str that is no JSON text is a file
    name here, a list of files being sources too, where ``Mapper.map``, which reads one input,
    takes every str item as a record's text). ``id_field`` / ``primary_key_fields`` name paths in dot notation (or the column
    names the draft gives them); without them an ``id``/``_id``/``uuid``/``key`` key present in
    every record is used, else the first string path present in every record (said in
    ``notes``). ``max_depth``: paths more than this many keys deep are left out, but for the
    identity paths named in dot notation, which are read whatever their depth (and said in
    ``notes``: the draft needs them, as every filter keeps them); a column name of a path that deep
    is unknown to the scan, and a ``types`` path that deep is an error naming its depth. ``progress`` is called as ``progress(records, bytes)`` after each chunk (or
    its ``.update`` is). ``records_path``: the records are the array at this path of each
    document (see :meth:`mapper.Mapper.map`). ``include`` / ``exclude``: a glob on dot paths, or
    several. Only :class:`~mapper.errors.MapperError` subclasses are raised: a parameter of the
    wrong type is an :class:`~mapper.errors.OptionError` (a ``ValueError`` too) naming it. :attr:`InferResult.unusable` says why the draft does not stand
    on the input, if it does not (most of it not records, or one document holding them).
    ``types``: dot path (or column name) -> column type, for paths whose type you choose
    (a conflict's alternative, ``{"alt_baro": "string"}``). ``max_record_size``: a record
    longer than this many bytes is a bad record, refused as ``validate`` refuses it with the
    same limit (code ``too_large``), and the draft is verified with that limit (16 MiB by
    default, at least 1024; a Python mapping measured by its JSON text, as a Batcher writes it, for a
    limit other than the default, as :meth:`mapper.Mapper.map` measures it).
    """
    include = _globs("include", include)
    exclude = _globs("exclude", exclude)
    if primary_key_fields is not None and isinstance(primary_key_fields, str):
        primary_key_fields = split_paths(primary_key_fields)  # (a quoted key may hold a comma: '"a,b",c')
    progress = _check_types(id_field, primary_key_fields, types, progress)
    if max_depth is not None:  # (as every integer option of the API reads it: np.int64(3) taken, as 3)
        try:
            max_depth = whole_number(max_depth, "max_depth (--max-depth)", least=1)
        except OptionError as exc:
            raise _OptionRefused(str(exc)) from None
    min_presence = _check_options(id_field, primary_key_fields, min_presence, name, input_format)
    keys = None if records_path is None else records_path_keys(records_path)
    if keys is not None and input_format == "endpoint":
        raise InferError(f"--records-path does not go with --input-format endpoint: {RECORDS_PATH_AND_BODY}")
    check_max_record_size(max_record_size)
    # how the input is read, by the scan and by the draft's verification alike (as validate reads it)
    options = MapOptions(input_format=input_format, records_path=keys, max_record_size=max_record_size)
    sources = _sources(records_sources)
    scanner = _Scanner(max_depth, progress, _named_paths([id_field] if id_field is not None else primary_key_fields or []))
    spools: list[_Spool] = []  # the copies of one-shot streams: closed (a temporary file removed) when done
    try:
        again: list[Any] = []  # each source as it can be read a second time, to validate the draft on
        for src in sources:
            label = _source_name(src)
            try:
                if isinstance(src, (str, os.PathLike)):
                    scanner.only_file = label if len(sources) == 1 else None
                    fh = open_input(src)
                    spool = None if _regular_file(src) else _Spool(fh, spools, label)  # (stdin, a FIFO, <(...): read once)
                    try:
                        scanner.feed(spool or fh, label if len(sources) > 1 else None, options, len(sources) > 1, label)
                    finally:
                        if fh is not getattr(sys.stdin, "buffer", None):
                            fh.close()
                    again.append(spool.again() if spool is not None else src)
                elif hasattr(src, "read"):
                    spool = _Spool(src, spools, label)
                    scanner.feed(spool, label if len(sources) > 1 else None, options, len(sources) > 1, label)
                    again.append(spool.again())
                else:
                    scanner.feed(src, label if len(sources) > 1 else None, options, len(sources) > 1, label)
                    # an iterator of records is read once: not kept (its records may not fit in memory)
                    again.append(src if isinstance(src, (bytes, bytearray, memoryview, str, list, tuple, Mapping)) else None)
            except MapperError:
                raise
            except OSError as exc:
                raise InputError(f"cannot read {_input_named(label)}: {exc.strerror or exc}") from None
            except RecursionError:
                raise InputError(f"cannot read {_input_named(label)}: nested too deeply") from None
        try:
            result = _draft(scanner, id_field, primary_key_fields, max_depth, min_presence, include, exclude, name or _default_name(sources), types)
            result.verified = _verify(result.body, again, options, result.notes, scanner.sources)
            return result
        except InferError as exc:
            if not scanner.notices:
                raise
            # the reader's hint (the records seem to be inside the document) is said with the error
            raise InferError("\n".join([str(exc)] + [f"note: {nt}" for nt in scanner.notices])) from None
    finally:
        for spool in spools:
            spool.copy.close()


#: The plural of a bad record's kind where it is not the kind itself (``not valid JSON``).
_BAD_PLURALS = {_NOT_OBJECT: "not JSON objects", _NO_VALUE: 'request body items without "value"'}


def _bad_words(kinds: Mapping[str, int], bad: int) -> str:
    """What the ``bad`` records read are, none a JSON object, said after "N records read": their one
    kind (``, not valid JSON``, ``, longer than --max-record-size``, as validate's error says), or
    each kind's count (``: 2 not JSON objects, 1 not valid JSON``)."""
    if len(kinds) == 1:
        kind = next(iter(kinds))
        return ", " + (kind if bad == 1 else _BAD_PLURALS.get(kind, kind))
    return ": " + ", ".join(f"{n:,} {kind if n == 1 else _BAD_PLURALS.get(kind, kind)}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))


def _any_type_notes(st: _PathStats, place: Callable[[int], str]) -> list[str]:
    """What a path's values meet whatever its column's type (said for the type infer chose and
    for one a --type gives): numbers the endpoint refuses, in the values or inside them, and
    integers beyond 2^53, which it decodes as float64 (validate warns of each: int_precision,
    string_from_value)."""
    out = []
    if st.huge:
        out.append(f"{_refused_numbers(st, place)}: the endpoint refuses {'that record' if st.huge == 1 else 'those records'} whatever the column type")
    if "int" in st.kinds and _imprecise(st):
        far = st.imax if st.imax is not None and st.imax > EXACT_INT else st.imin
        assert far is not None  # (_imprecise: one of them is beyond)
        out.append(
            f"integers beyond 2^53 (e.g. {int_text(far)}{_float_text(far)}): the endpoint decodes numbers as float64, "
            "and stores such integers changed unless a float64 holds them exactly: send them as strings to keep them exact"
        )
    if st.huge_in:
        out.append(f"{_refused_inside(st, place)}: the endpoint refuses {'that record' if st.huge_in == 1 else 'those records'} whatever the column type")
    return out


def _draft(
    sc: _Scanner,
    id_field: str | None,
    pk_fields: list[str] | tuple[str, ...] | None,
    max_depth: int | None,
    min_presence: float,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    name: str,
    types: Mapping[str, str] | None = None,
) -> InferResult:
    """The draft sink of what the scan read, decided in stages (each a method of :class:`_Drafting`,
    in this order, which is the order of the notes): every path's type or why it has none, the
    user's --type, the values each type refuses, the filters, the identity, the column order and
    names, then the body, the conflicts and the identity's values. Raises :class:`InferError` where
    there is nothing to draft from, or an option does not fit the records."""
    if sc.records == 0:
        raise _no_records_error(sc)
    d = _Drafting(sc, max_depth)
    d.decide_paths()
    d.apply_types(types or {})
    d.refusal_notes()
    kept = d.filtered(include, exclude, min_presence)
    if id_field is None and pk_fields is None and all(c.type is None for c in d.choices.values()):
        raise d.no_columns_error()
    ident_keys, ident_kind = d.identity(id_field, pk_fields, kept)
    d.drop_unmapped_notes(kept)  # (only now: the identity's paths are mapped whatever the filters said, their notes kept)
    ordered = d.ordered(kept, ident_keys)
    names = d.names(ordered, id_field, pk_fields, ident_keys)
    definition, columns = d.entries(ordered, names)
    conflicts = d.conflicts(names)
    body = d.body(name, definition, ordered, names, ident_keys, ident_kind)
    d.identity_value_notes(ident_keys, ident_kind)
    d.empty_string_notes(ordered, ident_keys)
    result = check_sink(body)
    if not result.valid:  # pragma: no cover - a bug here, not in the records
        raise InferError("internal: the draft does not check:\n" + "\n".join(f"  {p}" for p in result.errors))
    return InferResult(
        body=body,
        conflicts=conflicts,
        presence=d.presence,
        skipped=d.skipped,
        records=sc.index,  # every record, as validate counts them
        objects=d.n,
        bad_records=sc.bad,
        bad_examples=sc.bad_examples,
        bad_kinds=sc.bad_kinds,
        notes=sc.notices + d.notes,
        columns=columns,
        sources=sc.sources,
        document_hint=sc.documents == d.n,  # every record read is a document holding records
    )


def _no_records_error(sc: _Scanner) -> InferError:
    """The error of a scan that read no JSON object: what the records read were instead, in the
    reader's words as validate says them (the first one's place and reason), or, none read, why
    the input held none. Where documents read hold no array of objects at all, a notice says so."""
    if not sc.bad:  # (it said nothing of why: an empty file, a wrong --records-path's empty arrays; in validate's words)
        return InferError(f"no records to infer a sink from: {no_records_held(max(len(sc.sources), 1), sc.null_records_at)}")
    ex = sc.bad_examples[0]
    where = record_place(ex["record"], ex.get("file"), ex.get("line") or None)
    if set(sc.bad_kinds) == {_CODE_WORDS["no_records"]}:  # (documents, said as such: "not JSON objects" they may well be)
        what = f"{plural(sc.bad, 'document')} read, none holding the --records-path array"
        if not sc.no_records_hinted:  # (no arrays of objects in any: records one a line, read with a snapshot's path)
            sc.notices.append(records_path_off_note())
    else:
        what = f"{plural(sc.bad, 'record')} read{_bad_words(sc.bad_kinds, sc.bad)}"
    reason = ex["reason"]
    if reason.endswith(f"; {LONE_CR_HINT}"):  # (what the lines are, said first: the rest follows from it; its command naming the file)
        hint = lone_cr_words(ex.get("file") or sc.only_file)
        return InferError(f"no records to infer a sink from: {hint} ({what}; {where}: {reason[: -len(LONE_CR_HINT) - 2]})")
    return InferError(f"no records to infer a sink from: {what} ({where}: {reason})")


class _Drafting:
    """What the stages of :func:`_draft` share, over the scan of at least one record: each path's
    choice (its column type, or why it has none), why each path left out is (``skipped``), the
    --type options, and the notes in the order they are said. Made once the scan is done: it
    finishes each path's statistics (whether its values all differ)."""

    def __init__(self, sc: _Scanner, max_depth: int | None):
        self.sc = sc
        self.stats = sc.stats
        self.n = sc.records
        self.max_depth = max_depth
        self.notes: list[str] = []
        # the notes of one path (its type, its values): dropped when the filters leave the path out
        self.noted: dict[str, tuple[str, ...]] = {}
        self.skipped: dict[str, str] = {}
        self.presence = {_dot(k): st.present / self.n for k, st in self.stats.items()}
        # Paths whose value is sometimes an object and sometimes not: nothing under them is mapped.
        # (a number beyond float64 counts: the endpoint fails "not an object" there too)
        self.mixed = {k for k, st in self.stats.items() if "object" in st.kinds and (len(st.kinds) > 1 or st.huge)}
        self.objects = {k for k, st in self.stats.items() if st.kinds == {"object"} and k not in self.mixed}
        for st in self.stats.values():
            st.finish()
        _option_paths(self.stats)
        self.skipped.update(sc.odd_keys)
        self.choices: dict[tuple[str, ...], _Choice] = {}
        # Types chosen by the user (--type PATH=TYPE): the choice a conflict offers, or any other.
        self.user_typed: dict[tuple[str, ...], str] = {}  # the identity keeps these types; each path's option, as given
        self.natural: dict[tuple[str, ...], str | None] = {}  # the type infer gives each of them (whether it would be the identity)
        self.user_texts: dict[tuple[str, ...], tuple[str, str]] = {}  # each typed path's option: (its path or column text, its type)
        self.order = {k: i for i, k in enumerate(self.stats)}  # (the scan's order of paths: the columns')

    def path_note(self, keys: tuple[str, ...], text: str) -> None:
        """Say a note of one path (dropped if the path is not mapped in the end)."""
        self.noted[text] = keys
        self.notes.append(text)

    # -- each path's choice

    def decide_paths(self) -> None:
        """Decide every path the scan saw, but those under a path not always an object (nothing
        there is mapped): a path whose integers an exact string twin holds is skipped for it, an
        object has no column (said why where it holds nothing mappable), any other gets the type
        :func:`_decide` picks for its values, or why none fits."""
        for keys, st in self.stats.items():
            if any(keys[:i] in self.mixed for i in range(1, len(keys))):
                continue
            twin = _exact_twin(self.stats, keys)
            if twin is not None:
                choice = _Choice(
                    None,
                    reason=f"integers beyond 2^53, which the endpoint decodes as float64 and would store changed; "
                    f"{_dot(twin)} holds the same values as exact strings and is mapped instead",
                )
                self.choices[keys] = choice
                self.skipped[_dot(keys)] = choice.reason
            elif keys in self.objects:
                self._object_skips(keys, st)
            else:
                self._decide_value(keys, st)

    def _object_skips(self, keys: tuple[str, ...], st: _PathStats) -> None:
        """Why an object's keys are not mapped, where some are not: they lie deeper than the scan
        read (but an identity path followed), or it is only ever empty."""
        if st.deeper:
            followed = [_dot(k) for k in self.sc.followed if k[: len(keys)] == keys]
            self.skipped[_dot(keys) + ".*"] = (
                f"keys deeper than --max-depth {self.max_depth}"
                if self.max_depth is not None and self.max_depth <= MAX_PATH_KEYS
                else f"keys deeper than {MAX_PATH_KEYS} (mapper takes paths of at most {MAX_PATH_KEYS} keys)"
            ) + (f" (but the identity {', '.join(sorted(followed))}, followed)" if followed else "")
        if st.obj_empty == st.counts.get("object", 0):
            self.skipped[_dot(keys)] = "only empty objects: no keys to map"

    def _decide_value(self, keys: tuple[str, ...], st: _PathStats) -> None:
        """The type of a path holding values (an object in some records too: its keys are then
        skipped, said why), or why it has none; the notes of its type and of its values."""
        choice = _decide(st, sum(self.stats[keys[:i]].nulls for i in range(1, len(keys)) if keys[:i] in self.stats))
        if keys in self.mixed:
            under = sum(1 for k in self.stats if len(k) > len(keys) and k[: len(keys)] == keys)
            others = "/".join(_not_objects(st))
            if under:
                held = f'its keys ({plural(under, "path")}) are not mapped, the endpoint would fail "not an object" on them'
            elif st.deeper:  # (the objects were not read: what lies in them is not known)
                limit = f"--max-depth {self.max_depth}" if self.max_depth is not None and self.max_depth <= MAX_PATH_KEYS else f"{MAX_PATH_KEYS} keys"
                held = f"its keys lie deeper than {limit}, so none is read or mapped"
            else:
                held = "its objects are empty, so it has no keys to map"
            self.skipped[_dot(keys) + ".*"] = f"{_dot(keys)} is an object in {plural(st.counts['object'], 'record')} and {others} in others: {held}" + (
                f"; the path itself is mapped as {article(choice.type)}" if choice.type else ""
            )
        self.choices[keys] = choice
        if choice.type is None:
            self.skipped[_dot(keys)] = choice.reason
            return
        if choice.note:
            self.path_note(keys, f"{_dot(keys)}: {choice.note}")
        for text in _any_type_notes(st, self.sc.place):
            self.path_note(keys, f"{_dot(keys)}: {text}")

    def apply_types(self, types: Mapping[str, str]) -> None:
        """Put each --type PATH=TYPE in place of infer's choice for its path, in the order given
        (infer's type kept in ``natural`` for the identity); one path typed twice is an error."""
        for text, ctype in types.items():
            self._apply_type(text, ctype)

    def _apply_type(self, text: str, ctype: str) -> None:
        """One --type: the path's choice is the type given, which stores some values as sent,
        changes or refuses others (its tally first among the alternatives a conflict lists); the
        path is no longer skipped, and its notes are said again for the new type, after the others."""
        stats = self.stats
        keys = _resolve(text, self.choices, stats, "--type", self.max_depth, self.sc.followed)
        if keys in self.user_typed:  # (a path and its column name, b.c and b_c: one path typed twice)
            raise InferError(f"--type {self.user_typed[keys]} and --type {text.strip()}={ctype} name the same path {_dot(keys)}: give one type for it")
        self.user_typed[keys] = f"{text.strip()}={ctype}"
        self.user_texts[keys] = (text, ctype)
        self.natural[keys] = self.choices[keys].type
        forced = _typed(stats[keys], ctype, text)
        # the values the type refuses are said (the user's choice, but maybe not a known one)
        forced.alternatives = [_tally(forced, stats[keys])] + [t for t in self.choices[keys].alternatives if t["type"] != ctype]
        self.choices[keys] = forced
        self.skipped.pop(_dot(keys), None)
        self.notes[:] = [nt for nt in self.notes if not nt.startswith(_dot(keys) + ": ")]
        if forced.note:  # (the type's own: a capped Scale or Granularity)
            self.path_note(keys, f"{_dot(keys)}: {forced.note}")
        if repeats := _set_repeats(stats[keys], ctype):
            self.path_note(keys, f"{_dot(keys)}: {repeats}")
        for said in _any_type_notes(stats[keys], self.sc.place):  # (dropped above with the path's other notes; a twin's path had none)
            self.path_note(keys, f"{_dot(keys)}: {said}")
        st = stats[keys]
        top = st.emax if ctype == "ids" else max((v for v in (st.imax, st.tmax) if v is not None), default=None) if ctype == "id" else None
        if top is not None and top >= ROW_LIMIT:
            self.path_note(keys, f"{_dot(keys)}: {ctype} (--type) holds integers up to {top}: {_WRAPPED}, so those are stored changed")
        if forced.alternatives[0].get("unwarned"):  # (no conflict row may say it, and validate does not warn)
            lost: Any = next((v for v in (stats[keys].imax, stats[keys].imin) if v is not None and v not in (0, 1)), None)
            if lost is None:
                lost = _bool_lost_float(stats[keys])
                lost = None if lost != lost else lost  # (nan: none kept to show)
            self.path_note(
                keys,
                f"{_dot(keys)}: bool (--type) stores the {_bool_lost_words(stats[keys])} other than 0 and 1 as true"
                f"{f' (e.g. {show(lost)})' if lost is not None else ''}, "
                "which mapper validate does not warn about: the values are lost",
            )

    def refusal_notes(self) -> None:
        """Say, of each path whose type refuses some of its values, how many it stores as sent,
        changed, and which records the endpoint would refuse (with an example and another type
        that takes them all, if one does)."""
        for keys, choice in self.choices.items():
            tally = choice.alternatives[0] if choice.alternatives else None
            if tally and tally["refused"]:
                self.path_note(keys, self._refusal_note(keys, choice, tally))

    def _refusal_note(self, keys: tuple[str, ...], choice: _Choice, tally: dict[str, Any]) -> str:
        """The note of a path whose type refuses ``tally["refused"]`` of its values."""
        st = self.stats[keys]
        example = _refused_example(st, choice)
        if example is None and choice.type in _SET_TYPES and st.nulls:  # (a set column cannot take null)
            eg = " (e.g. null)"
        elif example == "" and choice.type == "timestamp":
            eg = ' (e.g. "", which is no time: send null or leave the key out)'
        else:
            eg = f" (e.g. {show(example)})" if example is not None else ""
        total = tally["exact"] + tally["changed"] + tally["refused"]
        other = next((t for t in choice.alternatives[1:] if not t["refused"]), None)
        offer = (
            f"; {_type_option(st.option or _dot(keys), other['type'])} takes {'it' if total == 1 else 'them all'} ({other['changed']} changed)" if other else ""
        )
        by = " (--type)" if keys in self.user_typed else ""
        # ("the 1 record holding the others" read wrong: one is "the record holding the other", and
        # values all refused are "it" or "them", no others being stored)
        refused = tally["refused"]
        holding = f"the {plural(refused, 'record')} holding " if refused > 1 else "the record holding "
        holding += ("them" if refused > 1 else "it") if refused == total else ("the others" if refused > 1 else "the other")
        return (
            f"{_dot(keys)}: {choice.type}{by} stores {tally['exact']} of {plural(total, 'value')} as sent"
            + (f" and {tally['changed']} changed" if tally["changed"] else "")  # (else "the others" would count them refused)
            + "; "
            f"the endpoint would refuse {holding}{eg}{offer}"
        )

    # -- which paths are mapped

    def filtered(self, include: tuple[str, ...], exclude: tuple[str, ...], min_presence: float) -> list[tuple[str, ...]]:
        """The paths with a type that the filters keep, in the scan's order; each other path with a
        type is skipped for the first filter that leaves it out: --min-presence, --include, then
        --exclude (--max-depth is applied while scanning)."""
        kept: list[tuple[str, ...]] = []
        includes, excludes = _Globs(include), _Globs(exclude)
        not_included = "not matched by --include " + " ".join(include)  # (one text, however many paths it skips)
        used: dict[str, set[str]] = {"--include": set(), "--exclude": set()}  # the globs that matched a path
        for keys, choice in self.choices.items():
            if choice.type is None:
                continue
            included = includes.hit(keys) if include else None
            hit = excludes.hit(keys) if exclude else None
            used["--include"].add(included or "")
            used["--exclude"].add(hit or "")
            ratio = self.stats[keys].present / self.n
            if ratio < min_presence:
                # (its base said, as the closest identity fields' is: the records that are JSON objects)
                self.skipped[_dot(keys)] = f"present {_share(self.stats[keys].present, self.n, self.sc.bad)}, below --min-presence {min_presence:g}"
                continue
            if include and included is None:
                self.skipped[_dot(keys)] = not_included
                continue
            if hit is not None:
                self.skipped[_dot(keys)] = f"excluded by --exclude {hit}"
                continue
            kept.append(keys)
        self.unmatched_notes("--include", include, used["--include"])
        self.unmatched_notes("--exclude", exclude, used["--exclude"])
        return kept

    def unmatched_notes(self, option: str, globs: tuple[str, ...], used: set[str]) -> None:
        """A note on each glob of ``option`` that matched no path with a type (a mistyped path was
        left in the draft, or out of it, without a word), with the path it likely meant."""
        unused = [g for g in dict.fromkeys(globs) if g not in used]
        paths = [_dot(k) for k, c in self.choices.items() if c.type is not None] if unused else []
        for glob in unused[:5]:  # (a script's list of thousands: the first few, then a count)
            tail = ", so it leaves nothing out" if option == "--exclude" else ""
            self.notes.append(f"{option} {escape_controls(glob)} matches no path of the records{tail}{escape_controls(suggest(glob, paths))}")
        if len(unused) > 5:
            self.notes.append(f"and {len(unused) - 5:,} more {option} globs match no path of the records")

    def no_columns_error(self) -> InferError:
        """The error where no path can be a column (and no identity was named): the records are
        empty objects, or why the paths are skipped (the first five), and the bad records read."""
        # (no identity could be found among no columns: said why there are none, not "no field can be the identity")
        skipped, n = self.skipped, self.n
        if not skipped:
            held = "the record read is an empty object" if n == 1 else f"the {n:,} records read are all empty objects"
        else:
            shown = [f"{p}: {why}" for p, why in list(skipped.items())[:5]]
            more = f"; and {len(skipped) - 5:,} more" if len(skipped) > 5 else ""
            held = f"no path of the records can be a column ({'; '.join(shown)}{more})"
        if self.sc.bad:
            held += f" ({plural(self.sc.bad, 'other record')} read{_bad_words(self.sc.bad_kinds, self.sc.bad)})"
        return InferError(f"no columns to infer a sink from: {held}")

    def identity(self, id_field: str | None, pk_fields: list[str] | tuple[str, ...] | None, kept: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], str]:
        """The identity paths and kind (see :func:`_identity`) with the notes of their uniqueness;
        each identity path is mapped whatever the filters said (added to ``kept``, said why where
        a filter or --max-depth would have left it out)."""
        ident_keys, ident_kind = _identity(self.sc, self.choices, kept, id_field, pk_fields, self.notes, self.user_typed, self.natural)
        _identity_notes(self.stats, ident_keys, ident_kind, self.notes)
        for keys in ident_keys:
            if keys in self.sc.followed:
                self.notes.append(
                    f"{_dot(keys)} is the identity: followed although {len(keys)} keys deep, deeper than --max-depth {self.max_depth} "
                    "(which leaves out the other paths that deep)"
                )
            if keys not in kept:
                if _dot(keys) in self.skipped:
                    self.notes.append(f"{_dot(keys)} is the identity: kept in the draft although {self.skipped.pop(_dot(keys))}")
                kept.append(keys)
        return ident_keys, ident_kind

    def drop_unmapped_notes(self, kept: list[tuple[str, ...]]) -> None:
        """Drop the notes of the paths not mapped in the end; a --type on such a path is said to
        have no effect instead (after the other notes)."""
        mapped = set(kept)
        self.notes[:] = [nt for nt in self.notes if nt not in self.noted or self.noted[nt] in mapped]
        for keys, option in self.user_typed.items():  # (its type had no effect: said, not dropped with the path's notes)
            if keys not in mapped:
                why = self.skipped.get(_dot(keys), "not mapped")
                self.notes.append(f"--type {option}: {_dot(keys)} is left out of the draft ({why}), so the type has no effect")

    # -- the draft's body

    def ordered(self, kept: list[tuple[str, ...]], ident_keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """The mapped paths in the draft's order: the identity's first, the others in the scan's
        order; too many columns, or too many distinct keys among their paths, for mapper to
        compile is an error that says how to leave some out."""
        rest = sorted((k for k in kept if k not in ident_keys), key=self.order.__getitem__)
        ordered = list(ident_keys) + rest
        if len(ordered) > MAX_COLUMNS:
            raise InferError(
                f"the records have {len(ordered):,} paths to map; mapper compiles at most {MAX_COLUMNS:,} columns: "
                f"leave some out with --include GLOB, --exclude GLOB, --min-presence R or --max-depth N"
            )
        prefixes = {keys[:i] for keys in ordered for i in range(1, len(keys) + 1)}  # (the tree of paths' keys: check's limit)
        if len(prefixes) > MAX_PATH_TREE_KEYS:
            raise InferError(
                f"the records' paths to map hold {len(prefixes):,} distinct keys; mapper compiles at most {MAX_PATH_TREE_KEYS:,}: "
                f"leave some out with --include GLOB, --exclude GLOB, --min-presence R or --max-depth N"
            )
        return ordered

    def names(
        self,
        ordered: list[tuple[str, ...]],
        id_field: str | None,
        pk_fields: list[str] | tuple[str, ...] | None,
        ident_keys: list[tuple[str, ...]],
    ) -> dict[tuple[str, ...], str]:
        """Each mapped path's column name (suffixed in the scan's order where two paths' names
        meet); an option naming a path by a column name the draft gives another is an error."""
        names = _draft_names(sorted(ordered, key=self.order.__getitem__))
        named = [(f"--type {text.strip()}={ctype}", text, k) for k, (text, ctype) in self.user_texts.items()]
        if id_field is not None:
            named.append((f"--id-field {id_field.strip()}", id_field, ident_keys[0]))
        for text, keys in zip(pk_fields or (), ident_keys if pk_fields is not None else ()):
            named.append((f"--primary-key-fields {text.strip()}", text, keys))
        _check_named(named, names, self.skipped)
        return names

    def entries(self, ordered: list[tuple[str, ...]], names: Mapping[tuple[str, ...], str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The schema's definition entries of the mapped paths, in order, and the report's columns."""
        definition: list[dict[str, Any]] = []
        columns: list[dict[str, Any]] = []
        for keys in ordered:
            choice = self.choices[keys]
            col = names[keys]
            entry: dict[str, Any] = {"name": col, "path": list(keys), "type": choice.type}
            if choice.config:
                entry["config"] = dict(choice.config)
            definition.append(entry)
            columns.append({"name": col, "path": _dot(keys), "type": choice.type, "presence": self.stats[keys].present / self.n})
        return definition, columns

    def conflicts(self, names: Mapping[tuple[str, ...], str]) -> dict[str, dict[str, Any]]:
        """The report's conflicts: each path seen with several JSON types (nulls aside), how many
        of each and where first, and how it was resolved (its column, or why it is not mapped)."""
        conflicts: dict[str, dict[str, Any]] = {}
        for keys, st in self.stats.items():
            if len(st.kinds) < 2:
                continue
            found = self.choices.get(keys)
            mapped_as = names.get(keys)
            conflicts[_dot(keys)] = {
                "types": {t: c for t, c in st.counts.items() if t != "null"},
                "first_records": {t: list(v) for t, v in st.first.items() if t != "null"},
                "nulls": st.nulls,
                "column": mapped_as,
                "type": found.type if mapped_as is not None and found is not None else None,
                "resolution": self._resolution(keys, found, mapped_as),
                # what each candidate type would store as sent, change or refuse (the chosen one first)
                "alternatives": [dict(t) for t in found.alternatives] if found is not None else [],
                "refused": found.alternatives[0]["refused"] if mapped_as is not None and found is not None and found.alternatives else 0,
                "example_refused": _as_sent(_refused_example(st, found)),
            }
        return conflicts

    def _resolution(self, keys: tuple[str, ...], found: _Choice | None, mapped_as: str | None) -> str:
        """How a conflict was resolved: the type chosen and why (but why it is not mapped, where a
        filter left it out), or why the path has no type (its own skip, or one of a path above)."""
        if found is None or found.type is None:
            return self.skipped.get(_dot(keys)) or next(
                (why for p, why in self.skipped.items() if p.endswith(".*") and _dot(keys).startswith(p[:-1])), "not mapped"
            )
        resolution = found.reason or f"typed {found.type}"
        if mapped_as is None:
            resolution += " (but " + (self.skipped.get(_dot(keys)) or "not mapped") + ")"
        return resolution

    def body(
        self,
        name: str,
        definition: list[dict[str, Any]],
        ordered: list[tuple[str, ...]],
        names: Mapping[tuple[str, ...], str],
        ident_keys: list[tuple[str, ...]],
        ident_kind: str,
    ) -> dict[str, Any]:
        """The draft ``POST /v1/sinks`` body: its identity, whether a column may be missing in
        some record (false, none missing in the records read, said in a note with what a record
        missing one does: the batch discarded), the definition; ``sink_details`` holds
        placeholders (said in a note)."""
        schema: dict[str, Any] = {"type": "json"}
        if ident_kind == "id_field":
            schema["id_field"] = names[ident_keys[0]]
        else:
            schema["primary_key_fields"] = [names[k] for k in ident_keys]
        schema["allow_missing_fields"] = self._allow_missing(ordered)
        schema["definition"] = definition
        body = {"name": name, "sink_details": {"database_id": "<database_id>", "table": "<table>"}, "schema": schema}
        # said once, here: check notes the placeholders, validate and map do not need them
        self.notes.append("sink_details holds placeholders: fill in <database_id> and <table> before creating the sink (POST /v1/sinks)")
        if not schema["allow_missing_fields"]:  # (said however many records: a producer's next record may lack a key all the same)
            # (its base, the records that are JSON objects, as _share says it: bad records are no evidence)
            held = ("the one record" if self.n == 1 else f"each of the {self.n:,} records") + (" that parsed" if self.sc.bad else " read") + " holds"
            self.notes.append(
                f"allow_missing_fields is false: {held} every mapped path; a later record missing one makes the endpoint discard "
                "the whole batch it is sent in (every record of it, not that one alone): set allow_missing_fields true if a record "
                "may lack a key, and the endpoint stores null for it"
            )
        return body

    def _allow_missing(self, ordered: list[tuple[str, ...]]) -> bool:
        """Whether some column is missing in some record: its key is not there, and no object on
        its way is null (then the column's value is null, not missing)."""
        stats = self.stats
        return any(stats[k].present + sum(stats[k[:i]].nulls for i in range(1, len(k))) < self.n for k in ordered)

    def identity_value_notes(self, ident_keys: list[tuple[str, ...]], ident_kind: str) -> None:
        """Say the identity values the endpoint fails records for: an id_field's negative ones, and
        identity fields missing, null or (one field, an id_field or a primary key) empty in some records."""
        n = self.n
        for keys in ident_keys:
            st = self.stats[keys]
            if ident_kind == "id_field" and min(st.imin or 0, st.tmin or 0) < 0:  # (integers, or integer strings beside them)
                self.notes.append(f"id_field {_dot(keys)} has negative values: the endpoint fails those records")
            miss = n - st.present
            empty = st.s_empty if len(ident_keys) == 1 else 0  # (a field of several keys' "" is no value, warned of: empty_string_notes)
            if miss or st.nulls or empty:
                said = [
                    f"{what} in {count} (first: {self.sc.place(at)})"
                    for what, count, at in (
                        ("missing", miss, self.sc.missing_record(st) if miss else -1),
                        ("null", st.nulls, st.first["null"][0] if st.nulls else -1),
                        ("empty", empty, st.empty_at),
                    )
                    if count
                ]
                self.notes.append(
                    f"identity {_dot(keys)} is {', '.join(said)} of {plural(n, 'record')}: the endpoint fails {'it' if n == 1 else 'those records'}"
                )

    def empty_string_notes(self, ordered: list[tuple[str, ...]], ident_keys: list[tuple[str, ...]]) -> None:
        """Say, of each column whose path holds "" in some records, in how many (and the first): its
        type takes "" as no value, which validate warns of record by record (empty_string, the warning
        it gives most on real data), in its words; one note a column, in the draft's column order.
        Not of a one-field identity, whose "" fails the record (said by :meth:`identity_value_notes`),
        nor of a type refusing "" (a timestamp's: said with the values it refuses)."""
        n = self.n
        for keys in ordered:
            st, choice = self.stats[keys], self.choices[keys]
            if not st.s_empty or choice.type is None or (len(ident_keys) == 1 and keys == ident_keys[0]):
                continue
            said: list[Lossy] = []
            try:  # (what the column's own converter does with "": warns, as validate does, or refuses it)
                _converter(choice.type, tuple(sorted(choice.config.items()))).convert("", said)
            except ConversionError:
                continue
            warned = next((w for w in said if w.kind == "empty_string"), None)
            if warned is None:  # pragma: no cover - every type taking "" warns of it
                continue
            hint = f" ({warned.hint})" if warned.hint else ""
            self.notes.append(
                f'{_dot(keys)}: "" in {st.s_empty:,} of {plural(n, "record")} (first: {self.sc.place(st.empty_at)}): the endpoint stores no value for it{hint}, '
                f'and validate warns empty_string ("{LOSSY_KINDS["empty_string"]}") for each (--ignore-warning empty_string silences them)'
            )


# ---------------------------------------------------------------------------------------
# Identity


def _resolve(
    text: str,
    choices: dict[tuple[str, ...], _Choice],
    stats: dict[tuple[str, ...], _PathStats],
    what: str,
    max_depth: int | None = None,
    followed: Iterable[tuple[str, ...]] = (),
) -> tuple[str, ...]:
    """A path named in dot notation, or by the column name the draft gives it; ``max_depth``: the
    --max-depth the scan read to, ``followed``: the paths it read deeper than that (the identity's)."""
    text = text.strip()
    keys: tuple[str, ...] | None = None
    try:
        parsed = parse_path(text)
        keys = parsed.keys
    except MapperError:
        keys = None
    if keys is not None and keys in choices:
        return keys
    by_name = [k for k in choices if column_name(k) == text]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise InferError(f"{what} {text!r} is the column name of several paths ({', '.join(_dot(k) for k in by_name)}): give the path in dot notation")
    # the name the draft gives a path whose name another took first (a_b_2 for the second a_b)
    drafted = [k for k, name in _draft_names(k for k in stats if k in choices and choices[k].type is not None).items() if name == text]
    if len(drafted) == 1:
        return drafted[0]
    if keys is not None and keys in stats:
        raise InferError(f"{what} {text!r} is an object in every record (or lies under a path that is not always an object), not a value")
    if keys is not None and len(keys) > MAX_PATH_KEYS:
        raise InferError(f"{what} {text!r} is {len(keys)} keys deep: mapper takes paths of at most {MAX_PATH_KEYS} keys")
    if keys is not None and keys not in followed and max_depth is not None and len(keys) > max_depth and keys[:max_depth] in stats:
        # (only a --type: an identity path named in dot notation is followed whatever --max-depth)
        raise InferError(
            f"{what} {text!r} is {len(keys)} keys deep: --max-depth {max_depth} reads no keys that deep (it leaves such paths out of the draft, "
            f"but for the identity named by --id-field or --primary-key-fields), so the option could have no effect; raise --max-depth or leave the option out"
        )
    # (the path the text names but for case first, then the shortest, which hold least besides it)
    near = sorted(
        (_dot(k) for k in choices if choices[k].type is not None and (text.lower() in _dot(k).lower())), key=lambda p: (p.lower() != text.lower(), len(p), p)
    )[:5]
    # (else a typo of one: --id-field idd for id said nothing, as the substring rule finds none)
    hint = f" (paths like it: {', '.join(near)})" if near else suggest(text, [_dot(k) for k in choices if choices[k].type is not None])
    if (keys is None or keys not in followed) and max_depth is not None and max_depth < MAX_PATH_KEYS and any(st.deeper for st in stats.values()):
        # (a column name of a path the scan did not read: it cannot be followed, its keys unknown)
        hint += f"; --max-depth {max_depth} left out the keys deeper than {max_depth}: " + (
            "name a deeper path in dot notation (e.g. a.b.c), which is followed whatever --max-depth"
            if what != "--type"
            else "raise --max-depth to type a deeper path"
        )
    raise InferError(f"{what} {text!r} is not a path of the records (nor a column name of the draft){hint}")


def _check_named(named: list[tuple[str, str, tuple[str, ...]]], names: Mapping[tuple[str, ...], str], skipped: Mapping[str, str]) -> None:
    """Refuses an option (``option``, its path text, the path it resolved to) whose text the written draft
    reads as another column: the options are resolved over every path, the draft names only the kept ones
    (--include/--exclude, --min-presence, --max-depth), so a suffixed name (``a_b_2``) may be another
    path's there, or none; and a key that is a column name (``a_b``) may be another path's column."""
    columns = {col: keys for keys, col in names.items()}
    for option, text, keys in named:
        text = text.strip()
        try:
            by_path = parse_path(text).keys == keys
        except MapperError:
            by_path = False
        other = columns.get(text)
        mine = names.get(keys)
        if other is not None and other != keys:
            means = f"the path {_dot(keys)}" + (f" (the draft's column {mine})" if mine is not None else " (not in the draft)")
            raise InferError(
                f"{option}: {text!r} is taken for {means}, but the draft's column {text} is the path {_dot(other)}: "
                f"name the path you mean by its dot path, quoted if it is one key "
                f"({_quoted_path(keys)} for {_dot(keys)}, {_quoted_path(other)} for {_dot(other)})"
            )
        if other is None and mine is not None and not by_path:
            left_out = _filters_said(skipped)
            kept = f" ({left_out})" if left_out else ""
            raise InferError(
                f"{option}: {text!r} is the column name {_dot(keys)} would have among all the records' paths, but the draft, "
                f"which maps only the paths kept{kept}, names it {mine}: name the path by its dot path ({_quoted_path(keys)})"
            )


def _quoted_path(keys: tuple[str, ...]) -> str:
    """A path's dot notation that no column name can be (a single key in quotes: ``"a_b"``), as a shell takes it."""
    dot = _dot(keys)
    if len(keys) == 1 and not dot.startswith('"'):
        dot = '"' + dot + '"'
    return shlex.quote(dot)


def _filters_said(skipped: Mapping[str, str]) -> str:
    """One path left out by a filter and why (an example of what changed the draft's names), or ""."""
    for path, why in skipped.items():
        if why.startswith(("excluded by", "not matched by", "present in")):
            return f"{path} is left out: {why}"
    return ""


#: Integers the endpoint's float64 decoding keeps exactly.
EXACT_INT = 2**53


def _float_text(value: int) -> str:
    """``, stored as ...``: an integer as the endpoint's float64 decoding holds it, when that changes it."""
    try:
        held = float(value)
    except OverflowError:  # (beyond float64: refused, and noted as such)
        return ""
    if int(held) == value:
        return ""
    return f", stored as {int(held)}" if abs(held) < 2**64 else f", stored as {held!r}"


def _imprecise(st: _PathStats) -> bool:
    """Whether some integer of the path is beyond 2^53 (the endpoint would store it changed)."""
    return (st.imax is not None and st.imax > EXACT_INT) or (st.imin is not None and st.imin < -EXACT_INT)


def _exact_twin(stats: dict[tuple[str, ...], _PathStats], keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """``id_str`` for ``id``: the sibling ``<key>_str`` holding the same integers as text (exactly),
    when the path's integers go beyond 2^53 (twitter's ``id``, ``in_reply_to_status_id`` ...)."""
    st = stats.get(keys)
    if st is None or st.kinds != {"int"} or not _imprecise(st):
        return None
    twin = keys[:-1] + (keys[-1] + "_str",)
    ts = stats.get(twin)
    if ts is None or ts.kinds != {"str"} or not ts.int_text or ts.s_empty:
        return None
    if (ts.tmin, ts.tmax, ts.present, ts.nulls) != (st.imin, st.imax, st.present, st.nulls):
        return None
    return twin


def _identity_as_id(stats: dict[tuple[str, ...], _PathStats], keys: tuple[str, ...]) -> bool:
    """Whether a field named as an identity (``id``, ``uuid`` ...) would be an id_field (its exact
    string twin, or integers), its values compared as ids; else a primary key (strings)."""
    return _exact_twin(stats, keys) is not None or stats[keys].kinds != {"str"}


def _identity_repeats(stats: dict[tuple[str, ...], _PathStats], keys: tuple[str, ...]) -> bool:
    """Whether the values of a field named as an identity (or of its exact string twin) were seen to repeat."""
    twin = _exact_twin(stats, keys)
    st = stats[twin] if twin is not None else stats[keys]
    return st.distinct(as_id=_identity_as_id(stats, keys)) is False


_Paths = list[tuple[str, ...]]


def _typed_identity(
    keys: tuple[str, ...], st: _PathStats, choice: _Choice, always: bool, forced: Mapping[tuple[str, ...], str], passed: list[str]
) -> str | None:
    """The identity kind of a path typed by --type (the user's type stands; ``always``: in every
    record, never null), or None, said why in ``passed``."""
    if always and choice.type in ("int", "id"):
        return "id_field"
    if always and choice.type not in (None, *_SET_TYPES):
        return "primary_key_fields"
    passed.append(
        f"{_dot(keys)} is missing or null in some records"
        if not always
        else f"{_dot(keys)} is typed {choice.type} by --type {forced[keys]}: a set cannot be a key"
    )
    return None


def _distinct_first(stats: dict[tuple[str, ...], _PathStats], tops: Sequence[tuple[str, ...]]) -> tuple[_Paths, _Paths, set[tuple[str, ...]]]:
    """The top-level fields named as an identity (``id``, ``_id``, ``uuid``, ``key``, in that order, each
    as written, then in other case); the same with those whose values repeat after those whose values
    all differ (records sharing an _id share one row: a distinct ``uuid`` rather than an ``id`` that
    repeats), unless none is seen to differ; and those that repeat."""
    named = [k for wanted in IDENTITY_NAMES for k in [k for k in tops if k[0] == wanted] + [k for k in tops if k[0] != wanted and k[0].lower() == wanted]]
    repeats = {k for k in named if _identity_repeats(stats, k)}
    if repeats and any(_shown_distinct(stats[k], as_id=_identity_as_id(stats, k)) for k in named if k not in repeats):
        return named, sorted(named, key=lambda k: k in repeats), repeats  # (stable)
    return named, named, repeats


def _passed_over(
    stats: dict[tuple[str, ...], _PathStats],
    choices: dict[tuple[str, ...], _Choice],
    first: _Paths,
    chosen: tuple[str, ...],
    identity: tuple[str, ...],
    repeats: set[tuple[str, ...]],
    n: int,
) -> list[str]:
    """The note of a field named as an identity before the one chosen (``chosen``, of the fields in
    their first order; ``identity``: it, or its exact string twin) that would have been the identity
    but whose values repeat, with the option that makes it the identity; none if there is none."""
    over = [k for k in first[: first.index(chosen)] if k in repeats and _could_be_identity(stats, choices, k, n)]
    if not over or chosen in repeats:
        return []
    alt = _exact_twin(stats, over[0]) or over[0]
    option = "--primary-key-fields" if stats[alt].kinds == {"str"} and alt == over[0] else "--id-field"
    return [
        f"identity {_dot(identity)}, whose values all differ, rather than {_dot(over[0])}, whose values repeat (records sharing an _id "
        f"share one row); {option_text(option, stats[alt].option or _dot(alt))} keeps one row per {_dot(over[0])}"
    ]


def _could_be_identity(stats: dict[tuple[str, ...], _PathStats], choices: dict[tuple[str, ...], _Choice], keys: tuple[str, ...], n: int) -> bool:
    """Whether a field named as an identity would be one, by itself or its exact string twin (as
    :func:`_identity` takes it): in every record, never null, non-empty strings or ids."""
    twin = _exact_twin(stats, keys)
    k = twin if twin is not None and twin in choices else keys
    st, choice = stats[k], choices[k]
    if st.present != n or st.nulls or choice.type in (None, *_SET_TYPES):
        return False
    return (st.kinds == {"str"} and st.s_empty == 0) or _id_type(st) is not None


#: What one value shows of uniqueness (a draft from one record is no evidence that keys differ).
_ONE_VALUE = "one value: a single record cannot show whether values repeat"


def _shown_distinct(st: _PathStats, as_id: bool = False) -> bool:
    """Whether the path's values were seen to differ: two or more of them, none repeating."""
    return bool(st.distinct(as_id)) and st.present > 1


def _uniqueness(st: _PathStats, as_id: bool = False) -> str:
    """``every value distinct`` / ``values repeat`` / one value / ``not a key``: what the scan knows of a
    path's values (as an id_field's, ``as_id``, or a primary key's)."""
    distinct = st.distinct(as_id)
    if distinct and st.present <= 1:  # (a key's values are never null: one present is one value)
        return _ONE_VALUE
    if distinct:
        return "every value distinct"
    if distinct is False:
        return "values repeat"
    return "not a key (nulls, numbers with a fraction, bools, arrays or objects)"


def _candidate(st: _PathStats, n: int, bad: int) -> str:
    """A path close to an identity, with its presence and its values judged as each option that can make
    it the identity judges them: as an id_field (unsigned integers, "007" and 7 one id) when its values can
    be ids, and as a primary key (text, a number as Go's %v prints it) always. Its presence is a share of
    the ``n`` records that are JSON objects, said so (`` that parsed``, when ``bad`` records were
    skipped: "in 100.0% of records" was of those that parsed, not of the input's: :func:`_share`)."""
    pk = _uniqueness(st)
    if _id_type(st) is None:
        judged = f"as a primary key: {pk}"
    else:
        as_id = _uniqueness(st, as_id=True)
        judged = f"as an id_field or a primary key: {pk}" if as_id == pk else f"as an id_field: {as_id}; as a primary key: {pk}"
    return f"{_dot(st.keys)} ({_share(st.present, n, bad)}; {judged})"


def _share(present: int, n: int, bad: int) -> str:
    """``in 50.0% of the 4 records``: a path's presence with its base, the ``n`` records that are JSON
    objects (`` that parsed`` when ``bad`` records were skipped, which are no evidence either way;
    ``in the one record`` of one), as :func:`_candidate` says it."""
    share = f"in {present / n:.1%} of the {plural(n, 'record')}" if n > 1 else "in the one record"
    return share + (" that parsed" if bad else "")


def _candidates(sc: _Scanner, choices: dict[tuple[str, ...], _Choice], limit: int = 5) -> list[str]:
    """The paths that come closest to an identity: present in the most records, then values seen to differ
    (both ways a field of ids can be one, then one way), then shallow."""
    n = sc.records
    order = {k: i for i, k in enumerate(sc.stats)}
    found = [
        k
        for k, st in sc.stats.items()
        if st.kinds and st.kinds <= _KEY_KINDS and st.unique is not None and choices.get(k) is not None and choices[k].type is not None
    ]

    def rank(k: tuple[str, ...]) -> tuple[int, bool, bool, int, int]:
        st = sc.stats[k]
        ways = [_shown_distinct(st)] + ([_shown_distinct(st, as_id=True)] if _id_type(st) is not None else [])
        return (-st.present, not any(ways), not all(ways), len(k), order[k])

    found.sort(key=rank)
    # (the share's base said: the JSON object records, not the bad records skipped, which the error names)
    return [_candidate(sc.stats[k], n, sc.bad) for k in found[:limit]]


#: The JSON kinds a key's values can be (a float only whole: the scan stops comparing a path at any other).
_KEY_KINDS = frozenset({"str", "int", "float"})


def _id_type(st: _PathStats) -> str | None:
    """``int`` or ``id`` if every value can be the record's unsigned id, else None (whole floats are
    ids: the endpoint truncates a float to its unsigned integer, 7.0 is 7)."""
    kinds = st.kinds
    if not kinds or not kinds <= _KEY_KINDS:
        return None
    if "str" in kinds and not (st.int_text and not st.n_signed and st.s_empty == 0):
        return None
    if "int" in kinds and (st.imin is None or st.imin < 0 or _imprecise(st)):
        return None  # negative, or stored changed: not an identity
    if "float" in kinds and (st.frac or st.fmin is None or st.fmax is None or st.fmin < 0 or st.fmax > EXACT_INT):
        return None  # a fraction (truncated), negative, or beyond 2^53 (not the integer sent): not an identity
    values: list[Any] = [v for v in (st.imin, st.imax, st.fmin, st.fmax) if v is not None] + [str(v) for v in (st.tmin, st.tmax) if v is not None]
    if kinds == {"int"} and _converts(_converter("int"), values):
        return "int"
    if _converts(_converter("id"), values):
        return "id"
    return None


#: Column types holding a set: no key (a set cannot be one).
_SET_TYPES = ("strings", "ids")
_NOTHING_FORCED: Mapping[tuple[str, ...], Any] = {}


def _not_an_id(id_field: str, st: _PathStats, place: Callable[[int], str]) -> InferError:
    """Why ``--id-field`` names no id: its values, and the primary key to use instead (none for a field
    without a value in any record, null or missing: a primary key of it fails alike)."""
    if not st.kinds and not st.huge:
        return InferError(f"--id-field {id_field!r} has no value in any record (null or missing): it cannot be the record identity; name another field")
    if not st.kinds:  # (numbers the endpoint refuses in any column, with nulls or none: no key of it stores a record)
        nulls = f" and {plural(st.nulls, 'null')}" if st.nulls else ""
        return InferError(
            f"--id-field {id_field!r}: its values are {_refused_numbers(st, place)}{nulls}, which the endpoint refuses in any column: "
            "it cannot be the record identity; name another field"
        )
    kinds = "/".join(sorted(st.kinds))
    signed = " (integer strings with a sign, + or -, are not ids)" if "str" in st.kinds and st.int_text and st.n_signed else ""
    return InferError(
        f"--id-field {id_field!r}: its values are {kinds}, not non-negative integers{signed} (an id_field column is of type id or int); "
        f"use {option_text('--primary-key-fields', id_field.strip())} instead"
    )


def _identity(
    sc: _Scanner,
    choices: dict[tuple[str, ...], _Choice],
    kept: list[tuple[str, ...]],
    id_field: str | None,
    pk_fields: list[str] | tuple[str, ...] | None,
    notes: list[str],
    forced: Mapping[tuple[str, ...], str] = _NOTHING_FORCED,
    natural: Mapping[tuple[str, ...], str | None] = _NOTHING_FORCED,
) -> tuple[list[tuple[str, ...]], str]:
    """The identity paths and kind; ``forced``: paths typed by ``--type`` (each one's option, as
    given), whose type stands; ``natural``: the type infer gives each of those.

    A ``--type`` changes the column's type, not which field is the identity: the field infer
    would pick stays the identity with the type given, unless that type is a set (``strings``,
    ``ids``), which cannot be a key: then infer picks another, and if none fits, the error
    names the option that took the field away."""
    stats = sc.stats
    n = sc.records
    if id_field is not None:
        keys = _resolve(id_field, choices, stats, "--id-field", sc.asked_depth, sc.followed)
        st = stats[keys]
        choice = choices[keys]
        if keys in forced and choice.type not in ("int", "id"):
            raise InferError(f"--id-field {id_field!r} is typed {choice.type} by --type; an id_field column is of type id or int")
        t = choice.type if choice.type in ("int", "id") else _id_type(st)
        twin = _exact_twin(stats, keys)
        if t is None and twin is not None and twin in choices:
            raise InferError(
                f"--id-field {id_field!r}: its integers go beyond 2^53, which the endpoint decodes as float64 and stores changed; "
                f"{_dot(twin)} holds the same values as exact strings: use {option_text('--id-field', stats[twin].option or _dot(twin))}"
            )
        if t is None:
            raise _not_an_id(id_field, st, sc.place)
        if choice.type != t:
            choices[keys] = _Choice(t, reason=f"typed {t}: it is the id_field")
        return [keys], "id_field"
    if pk_fields is not None:
        out: list[tuple[str, ...]] = []
        for text in pk_fields:
            keys = _resolve(text, choices, stats, "--primary-key-fields", sc.asked_depth, sc.followed)
            choice = choices[keys]
            if choice.type is None:
                raise InferError(f"--primary-key-fields {text!r}: {choice.reason}; it cannot be a key")
            if choice.type == "strings":
                why = "it is typed strings by --type" if keys in forced else "its values are arrays of strings"
                raise InferError(f"--primary-key-fields {text!r}: {why}; a set of strings cannot be a key")
            if keys in out:
                raise InferError(f"--primary-key-fields names {text!r} twice")
            out.append(keys)
        return out, "primary_key_fields"

    def always(st: _PathStats) -> bool:
        return st.present == n and st.nulls == 0

    # An id / _id / uuid / key at the top level, present in every record; its exact string
    # twin (id_str) where its integers go beyond 2^53 (the endpoint would store them changed).
    tops = [k for k in choices if len(k) == 1]
    passed: list[str] = []  # why a field named as an identity could not be one (for the error below)

    def typed_by_user(keys: tuple[str, ...]) -> str | None:
        return _typed_identity(keys, stats[keys], choices[keys], always(stats[keys]), forced, passed)

    def named_identity() -> tuple[list[tuple[str, ...]], str] | None:
        for keys in named:
            chosen[:] = [keys]
            st, choice = stats[keys], choices[keys]
            if keys in forced:
                kind = typed_by_user(keys)
                if kind is not None:
                    return [keys], kind
                continue
            twin = _exact_twin(stats, keys)
            if twin is not None and twin in forced and twin in choices:  # (the twin infer would make the id_field, typed by the user)
                kind = typed_by_user(twin)
                if kind is not None:
                    return [twin], kind
            elif twin is not None and twin in choices and always(stats[twin]) and _id_type(stats[twin]) is not None:
                choices[twin] = _Choice("id", reason=f"typed id: it is the id_field (the exact text of {_dot(keys)})")
                notes.append(
                    f"identity: id_field {_dot(twin)}, the exact string twin of {_dot(keys)}, whose integers go beyond 2^53 "
                    f"(the endpoint decodes JSON numbers as float64 and would store them changed); {_uniqueness(stats[twin], as_id=True)}"
                )
                return [twin], "id_field"
            if not always(st) or choice.type in (None, *_SET_TYPES):
                why = "missing or null in some records" if not always(st) else f"typed {choice.type}: a set cannot be a key" if choice.type else "not mapped"
                passed.append(f"{_dot(keys)} is {why}" + (f" ({choice.reason})" if choice.type is None and choice.reason else ""))
                continue
            if st.kinds == {"str"} and st.s_empty == 0:
                return [keys], "primary_key_fields"
            t = _id_type(st)  # integers (with integer strings): the id_field
            if t is not None:
                if choice.type != t:
                    choices[keys] = _Choice(t, reason=f"typed {t}: it is the id_field")
                return [keys], "id_field"
            whole_far = "float" in st.kinds and not st.frac and max(abs(st.fmin or 0.0), abs(st.fmax or 0.0)) > EXACT_INT
            if ("int" in st.kinds and _imprecise(st)) or whole_far:  # (no exact string twin: see above)
                passed.append(
                    f"{_dot(keys)} holds integers beyond 2^53, which the endpoint decodes as float64 and stores changed, "
                    f"and no exact string twin {_dot(keys[:-1] + (keys[-1] + '_str',))} beside it"
                )
                continue
            if ("int" in st.kinds and st.imin is not None and st.imin < 0) or ("float" in st.kinds and not st.frac and st.fmin is not None and st.fmin < 0):
                passed.append(f"{_dot(keys)} holds negative integers: an _id is a non-negative integer")
                continue
            held = " and ".join(_KIND_WORDS.get(k, k) for k in sorted(st.kinds)) + (" (some empty)" if st.s_empty else "")
            passed.append(f"{_dot(keys)} holds {held}: an id_field takes integers (or their digit strings), a primary key non-empty strings")
        return None

    # Of the fields so named, one whose values all differ comes first: records sharing an _id
    # share one row (uuid, distinct, rather than an id that repeats); values repeating in all, the order above.
    first, named, repeats = _distinct_first(stats, tops)
    chosen: list[tuple[str, ...]] = []  # the named field the identity is (or whose twin it is)
    picked = named_identity()
    if picked is not None:
        notes += _passed_over(stats, choices, first, chosen[0], picked[0][0], repeats, n)
        return picked
    # The first string path present in every record whose values all differ (else the first
    # present in every record); kept paths first, plain strings before timestamps.
    # A path typed by --type is a candidate as infer types it (its type stands), unless typed a set.
    order = list(kept) + [k for k in choices if k not in kept]
    fits = [
        k
        for want_type in ("string", "timestamp")
        for k in order
        if natural.get(k, choices[k].type) == want_type and stats[k].kinds == {"str"} and always(stats[k]) and stats[k].s_empty == 0
    ]
    fits.sort(key=lambda k: not _shown_distinct(stats[k]))  # stable: the order above among equals
    sets = [k for k in fits if k in forced and choices[k].type in _SET_TYPES]
    fits = [k for k in fits if k not in sets]
    if fits:
        keys = fits[0]
        none = f"no id, _id, uuid or key field can be the identity ({'; '.join(passed)})" if passed else "no id, _id, uuid or key field in every record"
        typed = f", typed {choices[keys].type} by --type {forced[keys]}" if keys in forced else ""
        notes.append(
            f"{none}: primary_key_fields is {_dot(keys)}, the first string field present "
            f"in every record{' whose values all differ' if _shown_distinct(stats[keys]) else ''}{typed} ({_uniqueness(stats[keys])}); "
            f"choose with --id-field or --primary-key-fields"
        )
        return [keys], "primary_key_fields"
    if sets:  # the field infer would pick, made a set by --type: said so, by option and field
        k = sets[0]
        raise InferError(
            f"no field can be the record identity: {_dot(k)}, a string field in every record, would be its primary key, but "
            f"--type {forced[k]} makes it a set of {'strings' if choices[k].type == 'strings' else 'ids'}, which cannot be a key: "
            f"give --primary-key-fields PATH (or --id-field PATH) naming another field, or drop --type {forced[k]}"
        )
    best = _candidates(sc, choices)
    listed = "; the closest: " + ", ".join(best) if best else ""
    why = f" ({'; '.join(passed)})" if passed else ""
    # (the bad records, not JSON objects, are no evidence either way: how many were skipped, and why)
    kinds = ", ".join(f"{kind}: {k:,}" for kind, k in sorted(sc.bad_kinds.items(), key=lambda kv: -kv[1]))
    skipped = f"; {plural(sc.bad, 'bad record was', 'bad records were')} skipped ({kinds})" if sc.bad else ""
    raise InferError(
        f"no field can be the record identity (no id, _id, uuid or key field that can be one{why}, and no non-empty string field in every record): "
        f"give --id-field PATH or --primary-key-fields PATH[,PATH...]{listed}{skipped}"
    )


def _not_key_kinds(st: _PathStats) -> str:
    """The kinds of a path's values that untrack it as a key (nulls, floats, bools, arrays, objects), in words."""
    words = [_KIND_WORDS.get(k, k) for k in sorted(st.kinds - {"str", "int"})] + (["nulls"] if st.nulls else [])
    return " and ".join(words) or "numbers beyond float64"


#: A JSON kind of _PathStats.kinds in words.
_KIND_WORDS = {"int": "integers", "float": "non-integer numbers", "str": "strings", "bool": "booleans", "array": "arrays", "object": "objects"}


def _identity_notes(stats: dict[tuple[str, ...], _PathStats], ident: list[tuple[str, ...]], kind: str, notes: list[str]) -> None:
    """Say what the scan knows of the identity's uniqueness, its values compared as the endpoint makes
    the _id of them: an id_field's as its column stores them ("007" and 7 are one id), a primary key's
    as text, a number as Go's %v prints it (1000000 is "1e+06", not "1000000"; "007" and 7 are two
    keys, whatever the column's type): repeated values are upserts (the last record wins)."""
    if len(ident) == 1:
        distinct = stats[ident[0]].distinct(as_id=kind == "id_field")
        if distinct is False:
            notes.append(
                f"identity {_dot(ident[0])}: its values repeat, so records share an _id: the endpoint keeps one row per _id "
                f"(a later record overwrites the values it sends); choose another with --id-field or --primary-key-fields if that is not meant"
            )
        elif distinct is None:  # (only a field the user named: infer picks string and integer fields)
            notes.append(
                f"identity {_dot(ident[0])}: it holds {_not_key_kinds(stats[ident[0]])}, whose values infer "
                f"does not compare: whether records share an _id (the endpoint keeps one row per _id) is not known"
            )
        return
    piped = next((k for k in ident if stats[k].pipe is not None), None)
    if piped is not None:
        notes.append(
            f"identity {' + '.join(_dot(k) for k in ident)}: {_dot(piped)} holds | (e.g. {show(stats[piped].pipe)}), which the endpoint "
            'joins the fields\' values with, so records of different values can make one _id ("x|y" + "z" and "x" + "y|z" are both x|y|z; '
            "the endpoint keeps one row per _id): the combination is not checked for uniqueness"
        )
        return
    if any(stats[k].distinct() for k in ident):
        return  # one field alone tells every record apart: so does the combination
    notes.append(f"identity {' + '.join(_dot(k) for k in ident)}: each field's values repeat on their own; the combination is not checked for uniqueness")


# ---------------------------------------------------------------------------------------
# Command line


def _paths_option(text: str) -> list[str]:
    """infer's ``--primary-key-fields`` (argparse ``type``): comma-separated paths, none of them empty;
    a comma inside a quoted key is the key's (``'"a,b",c'``), where validate's take column names."""
    paths = split_paths(text)
    if not all(paths):
        raise argparse.ArgumentTypeError(f"takes comma-separated names, none of them empty (a,b), not {text!r}")
    return paths


def add_infer_parser(subparsers: Any) -> None:
    """Add the ``infer`` subcommand to the ``mapper`` parser's subparsers."""
    p = subparsers.add_parser(
        "infer",
        help="draft a sink definition from records (scans every record)",
        description=(
            "Scan every record and print a draft sink definition (the POST /v1/sinks body) that mapper check accepts "
            "and that mapper validate accepts on the same records. Conflicts (paths with several JSON types) and the "
            "presence of each path go to stderr, or into the object printed with --report json."
        ),
    )
    p.add_argument(
        "records",
        metavar="RECORDS",
        nargs="+",
        type=file_name,
        help="record files (NDJSON, JSON array, endpoint body; gzip, bzip2, xz ok), '-' for stdin (named once)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--id-field", type=field_option, metavar="PATH", help="the path (dot notation, or its column name) whose non-negative integer is the record's _id"
    )
    g.add_argument("--primary-key-fields", type=_paths_option, metavar="PATHS", help="comma-separated paths joined with | into a string _id")
    p.add_argument(
        "--max-depth",
        type=integer,
        metavar="N",
        help="leave out paths more than N keys deep (but an --id-field / --primary-key-fields path, which is read whatever its depth)",
    )
    p.add_argument("--min-presence", type=decimal, default=0.0, metavar="R", help="leave out paths present in fewer than this ratio (0..1) of the records")
    p.add_argument(
        "--include",
        action="append",
        default=[],
        type=glob_option,
        metavar="GLOB",
        help="only map paths matching this glob on dot paths, e.g. 'data.*' (repeatable)",
    )
    p.add_argument(
        "--exclude", action="append", default=[], type=glob_option, metavar="GLOB", help="leave out paths matching this glob, e.g. 'entities.*' (repeatable)"
    )
    p.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="PATH=TYPE",
        help=f"give PATH this column type ({', '.join(FORCED_TYPES)}), e.g. a conflict's alternative: alt_baro=string (repeatable)",
    )
    p.add_argument("--name", metavar="NAME", help="the sink name (default: from the first file name)")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default="auto", help="input format (default: detected)")
    p.add_argument("--records-path", metavar="PATH", help="the records are the array at PATH of each JSON document (e.g. aircraft, data.items)")
    p.add_argument(
        "--max-record-size",
        metavar="BYTES",
        help="a record longer than this is a bad record (code too_large, as validate refuses it with the same option) and reading goes on (default 16M; suffixes K, M, G)",
    )
    p.add_argument(
        "--report",
        choices=("text", "json"),
        default="text",
        help="text: the draft on stdout, the report on stderr (default); json: one JSON object with the draft and the report",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no report on stderr")


def _type_options(texts: list[str]) -> dict[str, str]:
    """``--type PATH=TYPE`` options as a dict; a path given twice is a usage error naming both
    (which one was meant cannot be told, and a dict would silently keep the last)."""
    out: dict[str, str] = {}
    for text in texts or ():
        path, eq, ctype = text.rpartition("=")
        if not eq or not path.strip() or not ctype.strip():
            raise InferError(f"--type takes PATH=TYPE (alt_baro=string), not {text!r}")
        if path.strip() in out:
            raise InferError(f"--type {path.strip()}={out[path.strip()]} and --type {path.strip()}={ctype.strip()} name the same path: give one type for it")
        out[path.strip()] = ctype.strip()
    return out


def cmd_infer(args: argparse.Namespace) -> int:
    """``mapper infer``: 0 on success, 1 when the draft does not stand on the input
    (:attr:`InferResult.unusable`; it is still written), 2 on usage errors and unreadable input."""

    progress = Progress(not args.quiet, sys.stderr)  # the stderr of now, not the one of import time
    twice: list[str] = []
    try:
        stdout_on_input(args.records or ["-"], "infer writes the draft")  # (> r.ndjson emptied it: "no records to infer a sink from")
        check_inputs(args.records or [])  # (every file readable, before any is read)
        check_archives(args.records or [], args)
        stdin_note(args.records or ["-"], args.quiet)  # (reading a terminal looks like a hang otherwise)
        # (before reading: a file named twice is read twice, its records counted twice: an identity's values repeat)
        twice = inputs_twice(args.records or [], "read and counted")
        with archives_told(args.records or ["-"], args):
            result = infer(
                [_FileName(name) for name in args.records or ["-"]],  # (files: the draft is verified on them too, where a str may be JSON text)
                id_field=args.id_field,
                primary_key_fields=args.primary_key_fields,
                max_depth=args.max_depth,
                min_presence=args.min_presence,
                include=args.include or (),
                exclude=args.exclude or (),
                name=args.name,
                progress=progress.update,  # (each chunk of the scan a safe point: mapper.engine.reader.safe_points)
                input_format=args.input_format,
                records_path=records_path_option(args.records_path, args.records),
                types=_type_options(args.type),
                max_record_size=max_record_size_option(args.max_record_size),
            )
    except MapperError as exc:
        progress.close()
        print(f"mapper: {exc}", file=sys.stderr)
        for note in twice:  # (why no field's values are all distinct, say)
            print(f"mapper: note: {note}", file=sys.stderr)
        return EXIT_USAGE
    progress.close()
    interruption_lost()  # (one a library dropped as the draft was verified: nothing written)
    result.notes[:0] = twice
    if args.report == "json":
        sys.stdout.write(escaped_json(json.dumps(result.to_dict(), ensure_ascii=False)) + "\n")
        if not args.quiet:
            for note in result.notes:  # also in the object; said on stderr too (identity fallback)
                print(f"mapper: note: {note}", file=sys.stderr)
    else:
        sys.stdout.write(escaped_json(json.dumps(result.body, ensure_ascii=False, indent=2)) + "\n")
        if not args.quiet:
            result.print_report(sys.stderr)
    sys.stdout.flush()
    if result.unusable:
        print(f"mapper: infer: {result.unusable}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
