"""The fast path: a run of records decoded at once, converted column by column.

For a run (a clean NDJSON chunk, or records given as raw JSON texts) the fast path

1. decodes it with msgspec into Structs that hold *only the mapped fields* (no dicts,
   not tracked by the GC), with the first decoder tier that takes it
   (:mod:`mapper.tiers`: exact, lax, lenient, loose);
2. pulls each column out with the generated list comprehensions;
3. converts each column's list at once with the type's vector form
   (:meth:`mapper.types.ColumnType.vector`), handing the elements it cannot vouch for
   to the careful path's scalar converter one by one.

A record that no tier takes is split out and goes down the careful path alone; the
records around it stay on the fast path. Clean runs pay nothing for error reporting.
"""

from __future__ import annotations

import re
import sys
import typing
from bisect import bisect_left
from itertools import chain
from time import perf_counter
from typing import Any, Callable, Iterator, Sequence, Union

import msgspec
import numpy as np
from msgspec import UNSET

from ..batch import ColumnBuilder
from ..compiler import CompiledSink, CompiledTier, PathFailure, exec_generated
from ..errors import has_lone_surrogate
from ..model import MISSING
from ..options import MapOptions
from ..stack import GO_RECORD_BYTES, RECORD_DEPTH, decoders_pass_record_depth
from ..tiers import Tier
from ..types import Quick, quick_always, quick_inline, type_set
from ..types.base import ROW_LIMIT
from .careful import MISSING_REASON, CarefulPath
from .gojson import deeper_than, neg_zero_at, past_record_depth, surrogate_rows
from .output import RunOutput
from .reader import line_text

# msgspec's errors carry no structured position: the failing element and the byte
# offset are read from its messages ("... - at `$[12]`", "... (byte 1234)"). If the
# wording changes, runs fall back to record-by-record decoding (same results, slower);
# tests/test_engine_internals.py fails so that the change is noticed.
_IDX_RE = re.compile(r"at `\$\[(\d+)\]")
_BYTE_RE = re.compile(r"\(byte (\d+)\)")

#: Runs of at most this many records write a column by its quick form when it vouches for every value (see FastPath.fill).
FEW_VALUES = 128
LITERAL_MAX = 256  # a string column with at most this many distinct values is decoded as a Literal
_MAX_SPLITS = 8  # failures in one run before the rest is decoded record by record

_DONE: Any = object()  # attempt() mapped the whole run
_SPLIT: Any = object()  # attempt(): the run decoded into a different number of values than records


class Seg:
    """Where the records of a decoded run sit: first row and the line of each record."""

    __slots__ = ("pos", "first_line", "lines")

    def __init__(self, pos: int, first_line: int | None, lines: Sequence[int | None] | None = None):
        self.pos = pos
        self.first_line = first_line
        self.lines = lines

    def line(self, i: int) -> int | None:
        if self.lines is not None:
            return self.lines[i]
        return None if self.first_line is None else self.first_line + i

    def lines_of(self, rows: list[int]) -> list[int | None]:
        """:meth:`line` of each of ``rows``."""
        if self.lines is not None:
            lines = self.lines
            return [lines[i] for i in rows]
        first = self.first_line
        return [None] * len(rows) if first is None else [first + i for i in rows]


_ONLY_STR: set[type] = {str}
_ABSENT = frozenset({type(None), type(UNSET)})
_ONLY_UNSET = {type(UNSET)}
#: The types of a null or missing value (each has that one instance).
_ABSENT_TYPES = frozenset({type(None), type(UNSET), type(MISSING)})

#: What the careful path does with a null or missing value of a column: "clear" (the stored
#: value cleared), "keep" (left alone), or the error refusing the record (code, reason).
Absent = Union[str, tuple[str, str]]
#: Errors the fast path adds at once (see FastPath.settle): per column, code and reason, the rows (ascending, none twice).
Failed = list[tuple[int, str, str, list[int]]]


def _python_types(shape: Any) -> frozenset[type]:
    """The Python types a JSON shape (``int``, ``Union[int, float, str]``, ``Annotated[str, ...]``) admits."""
    origin = typing.get_origin(shape)
    if origin is typing.Union:
        return frozenset().union(*(_python_types(a) for a in typing.get_args(shape)))
    if origin is typing.Annotated:
        return _python_types(typing.get_args(shape)[0])
    if origin is typing.Literal:
        return frozenset(type(a) for a in typing.get_args(shape))
    if origin is not None:  # list[str] ...
        return frozenset({origin})
    return frozenset({shape}) if isinstance(shape, type) else frozenset()


def is_ascii(data: bytes | memoryview) -> bool:
    if isinstance(data, bytes):
        return data.isascii()
    return len(data) == 0 or int(np.frombuffer(data, dtype=np.uint8).max()) < 128


def clean_lines(buf: np.ndarray, newlines: np.ndarray, ends_nl: bool) -> bool:
    """True when every line of a chunk is one object, ``{...}``, with no blank lines.

    Every newline sits between ``}`` (or ``}\\r``) and ``{``, so no object can span
    lines (a raw newline cannot be inside a JSON string, and ``}`` then ``{`` is
    never valid inside a value): decoding the chunk yields exactly one value per line.
    """
    if buf[0] != 123:  # "{"
        return False
    inner = newlines[:-1] if ends_nl else newlines
    if len(inner) and not (buf[inner + 1] == 123).all():
        return False
    if len(newlines):
        before = buf[newlines - 1]
        if not (before == 125).all():  # "}": else allow CRLF line ends
            if not (before == 13).all() or newlines[0] < 2 or not (buf[newlines - 2] == 125).all():
                return False
    if not ends_nl:
        return bool(buf[-1] == 125)
    return True


class FastPlan:
    """What the fast path needs of a compiled sink, worked out once per sink (see :func:`plan_for`).

    The vector converters per tier and column, the forms Python dicts take, the
    columns where ``-0`` matters, the string columns that may be learnt as literals:
    all constant for a sink, so a run of one record pays none of it.
    """

    def __init__(self, compiled: CompiledSink):
        ctypes = compiled.ctypes
        stored = compiled.stored_index
        tiers = compiled.tiers
        has_next = len(tiers) > 1 and tiers[0].tier.takes_literals
        #: string columns that may hold few distinct values (see FastPath.learn_literals)
        self.literal_candidates = [ci for ci in stored if ctypes[ci].is_text] if has_next else []
        # per tier, the columns where a decoded integer 0 may have been sent as -0 and be
        # printed as text: text columns where the tier lets numbers in, and primary key
        # columns (their values are joined as Go prints them), stored or not (a single
        # string key is not); a key of a set type (ids) holds its 0 inside a list, so
        # there the text is always looked at (zero_always)
        pk_sink = compiled.sink.primary_key_fields is not None and compiled.with_identity
        keys = list(compiled.identity_index) if pk_sink else []
        self.zero_cols = {
            ct.tier.name: list(
                dict.fromkeys([ci for ci in [*stored, *keys] if ctypes[ci].is_text and ct.tier.values_as_text] + [ci for ci in keys if not ctypes[ci].is_text])
            )
            for ct in tiers
        }
        self.zero_always = any(ctypes[ci].storage.endswith("set") for ci in keys)
        self.pk_all_text = pk_sink and all(ctypes[ci].is_text for ci in compiled.identity_index)
        #: per tier, whether its decoder lets only strings through for every primary key column:
        #: every field set (no null, nothing missing) and a shape of strings alone (then only
        #: ``""`` is left to look for in them: see FastPath.fill_pk)
        self.pk_only_str = {
            ct.tier.name: pk_sink and ct.tier.every_field and all(_python_types(ctypes[ci].json_shape(ct.tier)) == _ONLY_STR for ci in compiled.identity_index)
            for ct in tiers
        }
        # vector converters per tier and column
        used = set(stored) | (set(compiled.identity_index) if compiled.with_identity else set())
        # a column is converted as the identity only where it is the identity alone: a primary
        # key field that is also stored (a key of several fields, or one of another type than
        # string) is a field's row too, and a row of 2^44 or more wraps there (row_wrapped)
        ident = set(compiled.identity_index) - set(stored)
        self.vecs = {ct.tier.name: {ci: ctypes[ci].vector(ct.tier, identity=ci in ident) for ci in used} for ct in tiers}
        # Python dicts: each column's list takes the vector form of the strictest tier
        # whose JSON shape admits every Python type the list holds (one C-speed set of
        # types per column); what no tier admits goes element by element
        self.dict_forms: dict[int, list[tuple[frozenset[type], Any]]] = {}
        for ci in used:
            forms = []
            for ct in tiers:
                shape = ctypes[ci].json_shape(ct.tier)
                if typing.get_origin(shape) is typing.Annotated:
                    continue  # a constrained shape ("" excluded): its form relies on the decoder's check
                forms.append((_python_types(shape) | (frozenset() if ct.tier.every_field else _ABSENT), self.vecs[ct.tier.name][ci]))
            self.dict_forms[ci] = forms
        # inputs of a few records (see map_few): the exact tier's quick forms of every
        # column used; None when a column has none, or the record's identity needs more
        # than its values (a key printed from numbers: -0 to look for)
        exact = tiers[0].tier if tiers else None
        quick = {ci: ctypes[ci].quick(exact, identity=ci in ident) for ci in used} if exact is not None else {}
        usable = exact is not None and exact.exact_types and not self.zero_cols[exact.name] and (not pk_sink or self.pk_all_text)
        self.quick: dict[int, Quick] | None = quick if usable and None not in quick.values() else None  # type: ignore[assignment]
        #: (column, as the identity?) whose quick form may refuse a value (the others vouch for
        #: every value of the exact tier): the stored columns, then an id_field's (a primary
        #: key has quick forms only when it is all strings: nothing to redo)
        id_col = compiled.identity_index[0] if compiled.sink.id_field is not None and compiled.with_identity else None
        judged = [(ci, False) for ci in compiled.stored_index] + ([(id_col, True)] if id_col is not None else [])
        self.quick_judged = [(ci, identity) for ci, identity in judged if quick.get(ci, quick_always) is not quick_always]
        #: (stored column) the kind of warning the vector form gives a value its quick form
        #: does not vouch for, where it gives one (see ColumnType.quick_lossy)
        self.quick_lossy: dict[int, Callable[[Any], str | None]] = {}
        if exact is not None:
            for ci, identity in self.quick_judged:
                kind_of = None if identity else ctypes[ci].quick_lossy(exact)
                if kind_of is not None:
                    self.quick_lossy[ci] = kind_of
        #: the exact tier's extractor of the judged columns alone (see map_few): made on first use
        self.quick_extract: Callable[[list[Any]], tuple[Any, ...]] | None = None
        #: None when the quick forms vouch for every value of the judged columns, else the
        #: columns left to ask them of, in one generated function (see _judge_all_source):
        #: made on first use
        self.quick_all: Callable[[tuple[list[Any], ...]], _Wanting | None] | None = None
        #: how many of a few exact-tier records, from the first, hold only values the quick
        #: forms vouch for, read in place, in one generated function (see _vouch_source);
        #: False where the records' fields cannot be read so (then judge_all alone): made on first use
        self.quick_vouch: Callable[[list[Any]], int] | bool | None = None
        #: runs of a few records of the exact tier (see FastPath.fill): per stored column with
        #: a quick form and its stored values in plain Python, the two
        self.few_store: dict[int, tuple[Quick, Callable[[list[Any]], list[Any]]]] = {}
        if self.quick is not None and exact is not None:
            for ci in compiled.stored_index:
                writes = ctypes[ci].quick_stored(exact)
                if writes is not None and ctypes[ci].storage not in _QUICK_SETS:
                    self.few_store[ci] = (self.quick[ci], writes)
        #: a few caller's dicts (see map_few_dicts): per column used, what the exact tier's
        #: decoder lets through, as Python values; None when a column's shape says more
        screens = {ci: _exact_screen(ctypes[ci].json_shape(exact)) for ci in used} if self.quick is not None and exact is not None else {}
        usable_dicts = self.quick is not None and compiled.extract_dicts is not None and None not in screens.values()
        self.dict_exact: dict[int, _Screen] | None = screens if usable_dicts else None  # type: ignore[assignment]
        #: the columns of dict_exact by screen: a group's lists are screened as one (all
        #: fit when their values joined fit), column by column only when they do not
        groups: dict[_Screen, list[int]] = {}
        for ci, screen in screens.items():
            groups.setdefault(screen, []).append(ci)  # type: ignore[arg-type]
        self.dict_groups: list[tuple[_Screen, list[int]]] = list(groups.items())
        #: whether a few caller's dicts hold only values the screens let through and the quick
        #: forms vouch for, read in place, in one generated function (see _vouch_dicts_source);
        #: False where they cannot be read so: made on first use
        self.dict_vouch: Callable[[list[Any]], list[int]] | bool | None = None


#: The Python types of dict-extracted values that hold no string (no surrogate to look for).
_NO_TEXT = frozenset({int, float, bool, type(None), type(UNSET), type(MISSING)})


#: What the exact tier's decoder lets through for a column, as Python values: the exact
#: types, only non-empty strings, and an array's element types (None: not an array).
_Screen = tuple[frozenset[type], bool, Union[frozenset[type], None]]
_NONEMPTY = (msgspec.Meta(min_length=1),)


def _exact_screen(shape: Any) -> _Screen | None:
    """The :data:`_Screen` of an exact tier's JSON shape (``str``, ``Union[int, float]``,
    ``Annotated[str, Meta(min_length=1)]``, ``list[int]``); None for any other constraint."""
    origin = typing.get_origin(shape)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(shape)
        return (frozenset({str}), True, None) if base is str and tuple(meta) == _NONEMPTY else None
    if origin is list:
        (element,) = typing.get_args(shape)
        return (frozenset({list}), False, frozenset({element})) if element in (int, str) else None
    if origin not in (None, typing.Union):
        return None
    types = _python_types(shape)
    return (types, False, None) if types and types <= _SCREENED else None


#: The scalar types a screen admits as they are (the exact decoder's).
_SCREENED = frozenset({str, int, float, bool})


def _fits(lst: list[Any], screen: _Screen) -> bool:
    """Whether every value of a dict-extracted list is one the exact tier's decoder could
    have made (a few values, at C speed where it can): its exact type, no empty string
    where the tier takes none, no string holding an unpaired surrogate (msgspec refuses
    the escape), an array's elements likewise. (A NaN or an infinity, which JSON does not
    have, is a float all the same: a quick form counts only what its type's converter
    takes without a word, which refuses them.)"""
    types, nonempty, elements = screen
    kinds = set(map(type, lst))
    if not kinds <= types or (nonempty and "" in lst):
        return False
    if str in kinds and surrogate_rows(lst, kinds):
        return False
    if elements is not None:
        for row in lst:
            if not set(map(type, row)) <= elements or (str in elements and surrogate_rows(row)):
                return False
    return True


def plan_for(compiled: CompiledSink) -> FastPlan:
    """The sink's :class:`FastPlan`, made on first use (two threads may both make it: the same)."""
    plan = compiled.memo.get("fast_plan")
    if plan is None:
        plan = compiled.memo["fast_plan"] = FastPlan(compiled)
    return plan


#: What :func:`decode_few` returns: the exact tier's records of every line (None: it does
#: not take them all) and how many of them, from the first, hold only vouched values.
Few = tuple[Union[list[Any], None], int]


def decode_few(compiled: CompiledSink, lines: list[bytes], first: Any = None) -> Few | None:
    """The first part of :func:`map_few`, which needs no careful path: the lines decoded by
    the exact tier at once, and how many of those records, from the first, hold only values
    the quick forms vouch for (:func:`_vouch`: read in place; 0 where they cannot be), which
    report nothing. All of them (the usual few records): there is nothing to report.
    None: the sink has no quick forms (:func:`map_few` does nothing)."""
    if compiled.fast_unavailable is not None:
        return None
    plan = plan_for(compiled)
    quick = plan.quick
    if quick is None:
        return None
    vouch = plan.quick_vouch
    if vouch is None:  # (made once per sink, whatever the first lines hold)
        vouch = plan.quick_vouch = _vouch(compiled, [(ci, quick[ci]) for ci, _identity in plan.quick_judged]) or False
    recs = _exact_records(compiled.tiers[0], lines, first)
    if recs is None:
        return None, 0
    return recs, (0 if vouch is False else vouch(recs))  # type: ignore[operator]


def map_few(compiled: CompiledSink, lines: list[bytes], careful: CarefulPath, first_line: int | None = 1, first: Any = None, few: Few | None = None) -> bool:
    """Map an input of a few records, one NDJSON record per line (rows from 0, lines from
    ``first_line``, None: no line numbers), as the fast path would, with the types' quick
    forms in place of the vector forms.

    The records the exact tier decodes (at once, else line by line) are judged column
    by column by their types' quick forms (:meth:`mapper.types.ColumnType.quick`): plain
    Python, no numpy, where a vector form's fixed costs would outweigh a few records;
    a value a quick form does not vouch for goes to the careful path's scalar
    converter, as the fast path redoes what its vector forms do not vouch for, and a
    record the exact tier does not take goes down the careful path whole. Nothing is
    written for vouched values: for validation only. Returns False (nothing done) when
    the sink has no quick forms. ``first``: the first line as the exact tier's decoder
    made it, when the caller has it (not decoded again); ``few``: :func:`decode_few` of
    the lines, when the caller has it (then ``first`` is not used).

    The records whose values are all vouched for, read in place (:func:`decode_few`),
    report nothing; the lists of the others' values are made and judged: a quick form
    judges each value alone, so those lists report what the lists of all would.
    """
    if few is None:
        few = decode_few(compiled, lines, first)
        if few is None:
            return False
    plan = plan_for(compiled)
    quick = plan.quick
    assert quick is not None  # (decode_few said so)
    ct = compiled.tiers[0]
    n = len(lines)
    recs, vouched = few
    rows: list[int] | range
    if recs is not None:
        if vouched == n:  # the usual few records: no lists made
            return True
        recs, rows = recs[vouched:], range(vouched, n)  # (those before report nothing)
    else:  # a record the exact tier does not take: the others, line by line
        recs, rows = [], []
        for i, line in enumerate(lines):
            one = _exact_records(ct, [line])
            if one is None:
                careful.raw(line, i, None if first_line is None else first_line + i)
            else:
                recs.append(one[0])
                rows.append(i)
        if not recs:
            return True
    extract = plan.quick_extract
    if extract is None:  # (the judged columns' own extractor, else the tier's)
        extract = plan.quick_extract = compiled.extract_exact_of(tuple(sorted({ci for ci, _identity in plan.quick_judged}))) or ct.extract
    _judge_quick(plan, quick, extract(recs), rows, careful, first_line)
    return True


def _judge_quick(
    plan: FastPlan, quick: dict[int, Quick], lists: tuple[list[Any], ...], rows: Sequence[int], careful: CarefulPath, first_line: int | None
) -> None:
    """Judge column lists by the quick forms; what they do not vouch for goes to the careful
    path's converter at its row (``rows[j]``: the record of the lists' ``j``-th values), but
    for a value the vector form stores and only warns about (:attr:`FastPlan.quick_lossy`):
    that warning, worded when read, as the engine gives it (not under ``strict``, where the
    converter words the error)."""
    judge_all = plan.quick_all
    if judge_all is None:
        judge_all = plan.quick_all = _judge_all(careful.c, [(ci, quick[ci]) for ci, _identity in plan.quick_judged])
    wanting = judge_all(lists)
    if wanting is None:  # the usual few records: nothing to redo, asked in one call
        return
    rest, known, known_first = wanting
    lossy = plan.quick_lossy if not careful.strict else {}
    for ci, identity in plan.quick_judged:
        if ci not in rest:
            continue
        lst = lists[ci]
        first = known_first if ci == known else quick[ci](lst)
        if first < len(lst):
            if identity:
                for j in _not_vouched(quick[ci], lst, first):
                    careful.id_element(lst[j], rows[j], None if first_line is None else first_line + rows[j])
            else:
                _redo_column(careful, ci, lst, _not_vouched(quick[ci], lst, first), lossy.get(ci), rows, first_line)


def _redo_column(
    careful: CarefulPath,
    ci: int,
    lst: list[Any],
    wanting: Iterator[int],
    kind_of: Callable[[Any], str | None] | None,
    rows: Sequence[int],
    first_line: int | None,
) -> None:
    """:func:`_judge_quick`'s values of column ``ci`` not vouched for (``lst[j]`` for each ``j``
    of ``wanting``, ascending): each to the careful path's converter, but a value the vector
    form stores and only warns about (``kind_of`` says the kind): its lazy warning, a run of
    them of one kind added at once (:meth:`~mapper.report.ReportBuilder.warnings_lazy_at`), as
    the rest of the engine adds a column's. A run ends where a value goes to the converter
    or the kind changes, so that the report gets the same calls in the same order as one
    warning a value (the warnings, the counts and their order: a test compares them)."""
    element, builder = careful.element, careful.out.builders[ci]
    held: list[int] = []  # (the run: the j's of lazy warnings of kind ``held_kind``)
    held_kind = ""
    for j in wanting:
        kind = None if kind_of is None else kind_of(lst[j])
        if kind is None:
            if held:
                _warn_lazy(careful, ci, held_kind, held, lst, rows, first_line)
                held = []
            element(ci, lst[j], rows[j], None if first_line is None else first_line + rows[j], builder)  # (located only for what fails)
            continue
        if held and kind != held_kind:
            _warn_lazy(careful, ci, held_kind, held, lst, rows, first_line)
            held = []
        held.append(j)
        held_kind = kind
    if held:
        _warn_lazy(careful, ci, held_kind, held, lst, rows, first_line)


def _warn_lazy(careful: CarefulPath, ci: int, kind: str, held: list[int], lst: list[Any], rows: Sequence[int], first_line: int | None) -> None:
    """The lazy warnings of kind ``kind`` of column ``ci``'s values ``lst[j]`` for each ``j`` of
    ``held`` (ascending), at their records ``rows[j]``: one call of the report builder."""
    names, paths, convert, pointers = careful.names[ci], careful.paths[ci], careful.ctypes[ci].convert, careful.pointers[ci]
    if len(held) == 1:  # (one warning: the plain call, cheaper; RecordChecker's collector takes only it)
        j = held[0]
        careful.rb.warning_lazy(rows[j], None if first_line is None else first_line + rows[j], names, paths, kind, convert, lst[j], pointers)
        return
    at = [rows[j] for j in held]
    lines: list[int | None] = [None] * len(at) if first_line is None else [first_line + r for r in at]
    careful.rb.warnings_lazy_at(at, lines, names, paths, kind, convert, [lst[j] for j in held], pointers)


class _Consts:
    """The constants, forms and keys a generated function reads, each bound to a name
    (``_c0``, ``_c1``, ...) passed as a default argument (a local, read at C speed)."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._named: dict[int, str] = {}  # (objects bound once, by identity)

    def bind(self, value: Any) -> str:
        """A new name for ``value``."""
        name = f"_c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def once(self, value: Any) -> str:
        """``value``'s name, bound the first time it is asked for (functions, types, screens)."""
        name = self._named.get(id(value))
        if name is None:
            name = self._named[id(value)] = self.bind(value)
        return name

    def signature(self, name: str, params: str) -> str:
        """The ``def`` line of function ``name`` taking ``params`` and every bound name."""
        return f"def {name}({params}{''.join(f', {n}={n}' for n in self.namespace)}):"


def _generated(compiled: CompiledSink, name: str, what: str, source: str, namespace: dict[str, Any], qualname: str | None = None) -> Any:
    """Function ``name`` of generated ``source`` (:func:`~mapper.compiler.exec_generated`: its
    lines registered under a filename naming the sink and ``what`` it is), its qualified name
    saying the sink (``judge_all[label]``)."""
    fn = exec_generated(source, f"{compiled.label} {what}", namespace)[name]
    fn.__qualname__ = f"{qualname or name}[{compiled.label}]"
    return fn


def _decimal_test(consts: _Consts, form: tuple[Any, ...], value: str) -> tuple[str, str]:
    """A decimal quick form (:func:`~mapper.types.quick_inline`'s ``("decimal", factor, low,
    high)``) written inline for the value named ``value``, as ``decimal_quick`` tests it: the
    statement making ``product``, and the condition true when the form does not vouch for it."""
    factor, low, high = consts.bind(form[1]), consts.bind(form[2]), consts.bind(form[3])
    return f"product = {value} * {factor}", f"not {low} < product < {high} or int(product) / {factor} != {value}"


#: What a generated ``judge_all`` returns when some value is not vouched for: the columns
#: left to ask the quick forms of (the group found wanting and those not asked yet), and a
#: column (-1: none) whose first value not vouched for is known, with its index.
_Wanting = tuple[frozenset[int], int, int]


def _judge_all_source(judged: list[tuple[int, Quick]]) -> tuple[str, dict[str, Any]]:
    """The source of ``judge_all(lists)``: None when the quick forms of the columns ``judged``
    vouch for every value of their lists, else a :data:`_Wanting`, and its namespace (the
    constants and quick forms, bound as default arguments).

    The same tests as the forms, in one function: a call per column and its loop cost more
    than the tests of a few values (10 seed records: six columns). A range or a decimal
    form (:func:`~mapper.types.quick_inline`) is written inline, and the columns with the
    same bounds are tested as one list (one ``min``, one ``max``); any other form is
    called. A decimal column is looped over alone: where it fails, the value it failed at
    is the first not vouched for (``lst.index`` finds it: an equal value earlier is
    judged alike), and :func:`_judge_quick` goes on from there, nothing judged twice. :func:`_judge_quick` asks the forms of the columns returned
    column by column."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for ci, judge in judged:
        inline = quick_inline(judge)
        key = ("call", judge) if inline is None else (*inline, ci) if inline[0] == "decimal" else inline
        groups.setdefault(key, []).append(ci)
    consts = _Consts()
    bind = consts.bind
    body: list[str] = []
    order = list(groups.items())
    for at, (key, cols) in enumerate(order):
        kind = key[0]
        rest = bind(frozenset(ci for _key, later in order[at:] for ci in later))
        fail = f"return {rest}, -1, 0"
        parts = [f"lists[{ci}]" for ci in cols]  # (ci: an int the engine made)
        if kind == "call":
            for part in parts:
                body += [f"    lst = {part}", f"    if {bind(key[1])}(lst) < len(lst):", f"        {fail}"]
            continue
        body.append(f"    lst = {parts[0]}" if len(parts) == 1 else f"    lst = ({', '.join(f'*{p}' for p in parts)})")
        if kind == "range":
            lo, hi = bind(key[1]), bind(key[2])
            body += [f"    if not (min(lst) >= {lo} and max(lst) <= {hi}):", f"        {fail}"]
        else:  # decimal: as decimal_quick, value by value
            product, test = _decimal_test(consts, key, "v")
            body += [
                "    try:",
                "        for v in lst:",
                f"            {product}",
                f"            if {test}:",
                f"                return {rest}, {cols[0]}, lst.index(v)",
                "    except OverflowError:",
                f"        return {rest}, {cols[0]}, lst.index(v)",
            ]
    doc = '    """None if the quick forms vouch for every value of the judged columns\' lists, else what is left to ask them (_Wanting)."""'
    source = "\n".join([consts.signature("judge_all", "lists"), doc, *body, "    return None", ""])
    return source, consts.namespace


def _judge_all(compiled: CompiledSink, judged: list[tuple[int, Quick]]) -> Callable[[tuple[list[Any], ...]], _Wanting | None]:
    """:func:`_judge_all_source` compiled, its lines registered under a filename naming the sink (tracebacks show them)."""
    return _generated(compiled, "judge_all", "quick forms", *_judge_all_source(judged))


def _vouch_source(judged: list[tuple[int, Quick]], slots: dict[int, tuple[int, ...]]) -> tuple[str, dict[str, Any]]:
    """The source of ``vouch(recs)``: how many of the exact tier's decoded records ``recs``,
    from the first, hold only values the quick forms of the columns ``judged`` vouch for,
    each value read where the record holds it (``slots``:
    :meth:`~mapper.compiler.CompiledSink.exact_slots`); and its namespace (the constants
    and quick forms, bound as default arguments).

    A range or a decimal form is tested value by value, record by record (the decimal
    form's own test; for a range ``lo <= v <= hi``, which ``judge_all`` asks of a whole
    list as its ``min`` and ``max``); any other form is called on its column's list (how
    many it vouches for from the start). A quick form judges each value alone, so the
    records counted would report nothing: :func:`map_few` makes the lists of the others
    only and judges them as before (``judge_all``, then each form). (10 seed records:
    2.7 us, against 4.4 us for the lists and ``judge_all``, which cost a list per column.)"""
    consts = _Consts()
    bind = consts.bind

    def node(path: tuple[int, ...]) -> str:  # the local holding a record's Struct at ``path``
        return "r" if not path else "r_" + "_".join(map(str, path))

    inline = [(ci, form) for ci, form in ((ci, quick_inline(judge)) for ci, judge in judged) if form is not None]
    called = [(ci, judge) for ci, judge in judged if quick_inline(judge) is None]
    loop: list[str] = []
    made: set[tuple[int, ...]] = set()
    for ci, form in inline:
        path = slots[ci]
        for depth in range(1, len(path)):
            if path[:depth] not in made:
                made.add(path[:depth])
                loop.append(f"{node(path[:depth])} = {node(path[: depth - 1])}.f{path[depth - 1]}")
        value = f"{node(path[:-1])}.f{path[-1]}"  # (slots: ints the engine made)
        if form[0] == "range":
            loop += [f"if not {bind(form[1])} <= {value} <= {bind(form[2])}:", "    break"]
        else:  # decimal: as decimal_quick
            product, test = _decimal_test(consts, form, "v")
            loop += [f"v = {value}", product, f"if {test}:", "    break"]
    body = ["    n = 0"]
    if loop:
        body += ["    try:", "        for r in recs:", *(f"            {line}" for line in loop), "            n += 1"]
        body += ["    except (OverflowError, TypeError):  # (that record's lists judged as before)", "        pass"]
    else:
        body += ["    n = len(recs)"]
    for ci, judge in called:
        path = slots[ci]
        body += [f"    lst = [r.{'.'.join(f'f{j}' for j in path)} for r in recs]", f"    n = min(n, {bind(judge)}(lst))"]
    doc = '    """How many records, from the first, hold only values the quick forms vouch for (they report nothing)."""'
    source = "\n".join([consts.signature("vouch", "recs"), doc, *body, "    return n", ""])
    return source, consts.namespace


def _vouch(compiled: CompiledSink, judged: list[tuple[int, Quick]]) -> Callable[[list[Any]], int] | None:
    """:func:`_vouch_source` compiled (its lines registered under a filename naming the sink),
    or None where the exact tier's records cannot be read in place (no slots)."""
    slots = compiled.exact_slots(tuple(ci for ci, _judge in judged))
    if slots is None:
        return None
    return _generated(compiled, "vouch", "quick forms in place", *_vouch_source(judged, slots))


def vouch_dicts(compiled: CompiledSink, recs: list[dict[str, Any]]) -> list[int] | None:
    """The indices of those of a few of a caller's plain dicts that hold a value
    :func:`map_few_dicts` reads that is not one the exact tier's decoder could have made
    (the screens) or its quick form does not vouch for (or may not: a missing key, a nested
    value not a plain dict, anything raised), each value read in place
    (:func:`_vouch_dicts`). The others report nothing, and no column lists are made of
    them: only these need :func:`map_few_dicts` (their rows given), which judges each
    record alone, so it reports of them what it reports of them among all. None: the sink
    has no such function (:func:`map_few_dicts` of them all)."""
    plan = plan_for(compiled)
    vouch = plan.dict_vouch
    if vouch is None:
        vouch = plan.dict_vouch = _vouch_dicts(compiled, plan) or False
    return None if vouch is False else vouch(recs)  # type: ignore[operator]


def _vouch_dicts_source(screens: dict[int, _Screen], judged: dict[int, Quick], paths: dict[int, tuple[str, ...]]) -> tuple[str, dict[str, Any]]:
    """The source of ``vouch(recs)``: whether each of the caller's dicts ``recs`` holds, at
    the key path of each column of ``screens`` (``paths``:
    :meth:`~mapper.compiler.CompiledSink.dict_paths`), a value the column's screen lets
    through (its exact type, as :func:`_fits` tests a list: a non-empty string where the
    tier takes none, no unpaired surrogate) and the quick form of a ``judged`` column
    vouches for (as :func:`_vouch_source` tests it, a called form on the one value: a
    quick form judges each value alone); and its namespace (keys, constants and forms,
    bound as default arguments). Nested values on the paths must be plain dicts (what
    ``extract_dicts`` walks at once); a missing key raises ``KeyError``: not vouched for.
    Any exception says False (the lists are then made and judged as before, which words
    it). (10 seed dicts: 7.5 us, against 14 us for the lists, their screens and ``judge_all``.)"""
    consts = _Consts()
    bind, bind_once = consts.bind, consts.once

    def key(text: str) -> str:  # interned: a dict written in Python holds its literal keys so, found without comparing text
        return bind(sys.intern(text))

    def node(path: tuple[str, ...]) -> str:
        return names.setdefault(path, "r" if not path else f"n{len(names)}")

    names: dict[tuple[str, ...], str] = {}
    node(())
    loop: list[str] = []
    fail = "odd(i)\n    continue"
    for ci, screen in screens.items():
        path = paths[ci]
        for depth in range(1, len(path)):
            if path[:depth] not in names:
                loop += [
                    f"{node(path[:depth])} = {node(path[: depth - 1])}[{key(path[depth - 1])}]",
                    f"if type({node(path[:depth])}) is not dict:",
                    f"    {fail}",
                ]
        value = names.get(path)
        if value is None:
            value = node(path)
            loop.append(f"{value} = {node(path[:-1])}[{key(path[-1])}]")
        types, nonempty, elements = screen
        if elements is not None:  # (an array: as the lists are screened)
            loop += [f"if not {bind_once(_fits)}([{value}], {bind_once(screen)}):", f"    {fail}"]
        elif types == {str}:
            empty = f"not {value} or " if nonempty else ""
            loop += [f"if type({value}) is not str or {empty}not {value}.isascii() and {bind_once(has_lone_surrogate)}({value}):", f"    {fail}"]
        else:
            test = f"type({value}) is not {bind_once(next(iter(types)))}" if len(types) == 1 else f"type({value}) not in {bind_once(types)}"
            if str in types:
                test += f" or type({value}) is str and not {value}.isascii() and {bind_once(has_lone_surrogate)}({value})"
            loop += [f"if {test}:", f"    {fail}"]
        judge = judged.get(ci)
        if judge is None:
            continue
        form = quick_inline(judge)
        if form is None:
            loop += [f"if {bind(judge)}([{value}]) < 1:", f"    {fail}"]
        elif form[0] == "range":
            assert types <= {int}  # (checked by _vouch_dicts)
            loop += [f"if not {bind(form[1])} <= {value} <= {bind(form[2])}:", f"    {fail}"]
        else:  # decimal: as decimal_quick
            product, test = _decimal_test(consts, form, value)
            loop += [product, f"if {test}:", f"    {fail}"]
    body = ["    out = []", "    odd = out.append", "    for i, r in enumerate(recs):", "        try:"]
    body += [f"            {part}" for line in loop for part in line.split("\n")]
    body += ["        except Exception:  # (a missing key, an overflow: the lists judge it)", "            odd(i)", "    return out"]
    doc = '    """The indices of the records holding a value the screens do not let through or the quick forms do not vouch for (the others report nothing)."""'
    source = "\n".join([consts.signature("vouch", "recs"), doc, *body, ""])
    return source, consts.namespace


def _vouch_dicts(compiled: CompiledSink, plan: FastPlan) -> Callable[[list[Any]], list[int]] | None:
    """:func:`_vouch_dicts_source` compiled (its lines registered under a filename naming the
    sink), or None where the dicts cannot be read in place (no paths) or a judged column is
    not screened."""
    screens, quick = plan.dict_exact, plan.quick
    if screens is None or quick is None or compiled.extract_dicts is None:
        return None
    judged = {ci: quick[ci] for ci, _identity in plan.quick_judged}
    paths = compiled.dict_paths(tuple(screens))
    if paths is None or not judged.keys() <= screens.keys():
        return None
    for ci, judge in judged.items():  # a range tested as a list by min and max, which a NaN (a float) fools: ints only
        form = quick_inline(judge)
        if form is not None and form[0] == "range" and not screens[ci][0] <= {int}:
            return None
    return _generated(compiled, "vouch", "dicts' values in place", *_vouch_dicts_source(screens, judged, paths), qualname="vouch_dicts")


def map_few_dicts(compiled: CompiledSink, recs: list[dict[str, Any]], careful: CarefulPath, rows_of: Sequence[int] | None = None) -> bool:
    """:func:`map_few` for a few of a caller's dicts (rows from 0, or ``rows_of``: each
    dict's row; no lines): validation only.

    The dicts' values go to the quick forms when they are values the exact tier's decoder
    could have made (:func:`_fits`, column by column at once); a record holding any other
    (a null, a missing field, a subclass, a float where an int goes, a lone surrogate) or
    one the generated walk cannot take goes down the careful path whole, as
    :meth:`~mapper.engine.careful.CarefulPath.obj` takes it. Returns False (nothing done)
    when the sink has no quick forms or an exact shape the screen does not know.
    """
    plan = plan_for(compiled)
    screens, quick, extract = plan.dict_exact, plan.quick, compiled.extract_dicts
    if screens is None or quick is None or extract is None:
        return False
    bad: set[int] = set()
    lists = extract(recs, bad)
    for screen, cols in plan.dict_groups:  # (14 seed columns: 3 screens, 2.6 us of 10 dicts' 19)
        if len(cols) > 1 and _fits(list(chain.from_iterable([lists[ci] for ci in cols])), screen):
            continue
        for ci in cols:
            lst = lists[ci]
            if not _fits(lst, screen):
                bad.update(i for i, v in enumerate(lst) if not _fits([v], screen))
    rows: list[int] | range = range(len(recs))
    if bad:
        for i in sorted(bad):
            careful.obj(recs[i], i if rows_of is None else rows_of[i], None)
        rows = [i for i in rows if i not in bad]
        if not rows:
            return True
        lists = extract([recs[i] for i in rows], set())
    _judge_quick(plan, quick, lists, rows if rows_of is None else [rows_of[i] for i in rows], careful, None)
    return True


def _not_vouched(judge: Quick, lst: list[Any], i: int) -> Iterator[int]:
    """The indices of the values of ``lst`` its quick form does not vouch for, the first being ``i``."""
    n = len(lst)
    while i < n:
        yield i
        i += 1
        if i < n:
            i += judge(lst[i:])


def _exact_records(ct: CompiledTier, lines: list[bytes], first: Any = None) -> list[Any] | None:
    """NDJSON ``lines`` decoded by the exact tier, one record each, or None if it does not take all of them.

    Each line is decoded alone, as the engine reads lines that are not a clean chunk: a
    line must be one whole value. (Joined into one array, ``[`` + lines + ``]``, a record
    spread over two lines beside a line of two records gave as many values as lines,
    and two broken lines passed; ``decode_lines`` would take ``{..} {..}`` on a line.)
    ``first``: the first line's record, decoded already (by the same decoder).
    """
    if not all(map(bytes.isascii, lines)):  # msgspec does not check UTF-8 in the parts it skips
        try:
            for line in lines:
                line.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        if first is not None:
            return [first, *map(ct.lines_decoder.decode, lines[1:])]
        return list(map(ct.lines_decoder.decode, lines))
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return None


def _too_deep_record(data: bytes, kind: str, raws: list[bytes] | None) -> int | None:
    """The index of the first record of a run that nests deeper than :data:`~mapper.stack.RECORD_DEPTH`
    (:meth:`FastPath.run`'s ``kind``: NDJSON lines, else ``raws`` in an array, a level more), or None."""
    if not deeper_than(data, RECORD_DEPTH + (kind != "lines")):
        return None
    records = data.split(b"\n") if kind == "lines" else raws or []
    return next((i for i, raw in enumerate(records) if deeper_than(raw, RECORD_DEPTH)), None)


class FastPath:
    """Decodes runs of records with the compiled tiers and fills the output column by column."""

    def __init__(self, compiled: CompiledSink, options: MapOptions, out: RunOutput, careful: CarefulPath):
        self.c = compiled
        self.out = out
        self.careful = careful
        self.rb = out.rb
        self.strict = options.strict
        self.tiers: list[CompiledTier] = list(compiled.tiers)
        self.level = 0  # adaptive: the tier to start a run with
        self.runs_since_level = 0
        self.times = [0.0, 0.0, 0.0]  # seconds spent decoding, extracting, converting
        plan = plan_for(compiled)
        # string columns that hold few distinct values: learnt from the first chunk, then
        # decoded as Literal types (see CompiledSink.tiers_with), only where a laxer tier
        # is there to take a value outside the set
        self.literals: dict[int, tuple[str, ...]] | None = None
        self.literal_rebuilds = 0
        self.literal_candidates = plan.literal_candidates
        known = compiled.memo.get("literals") if self.literal_candidates else None
        if known:  # what earlier runs of this sink learnt: small runs start with it (a value outside it falls to the next tier, and is learnt)
            self.literals = dict(known)
            self.tiers = list(compiled.tiers_with(self.literals))
        self.neg_zero = compiled.prints_numbers
        self.zero_cols = plan.zero_cols
        self.zero_always = plan.zero_always
        self.id_col = careful.id_col
        self.pk_cols = careful.pk_cols
        self.pk_all_text = plan.pk_all_text
        self.pk_only_str = plan.pk_only_str
        self.vecs = plan.vecs
        self.few_store = plan.few_store
        self.dict_screens = plan.dict_exact
        self.dict_tier = compiled.dict_tier
        self.dict_forms = plan.dict_forms
        # set columns have no vector form: their plain rows are taken here, the rest by the careful path
        self.quick_sets = {ci: _QUICK_SETS[t.storage] for ci, t in enumerate(careful.ctypes) if t.storage in _QUICK_SETS}
        # what the careful path does with each column's null and missing values: marks them
        # (clears the stored value, or leaves it) or refuses the record (see absent_at_once)
        self.absent_writes: list[tuple[Absent, Absent]] = [
            (
                _absent(t.on_null, t.null_error),
                _absent(t.on_missing, t.missing_error) if careful.allow_missing else ("missing", MISSING_REASON),
            )
            for t in careful.ctypes
        ]
        #: ... and with the id_field's (see CarefulPath.id_element)
        self.absent_id: tuple[Absent, Absent] = (("invalid_id", careful.id_absent("null")), ("invalid_id", careful.id_absent("missing")))

    # ------------------------------------------------------------------ runs

    def run(self, data: Any, seg: Seg, *, kind: str, raws: list[bytes] | None = None, count: int = 0, ascii: bool = False) -> None:
        """Decode a run of records and map them; on failure, split the run at each failing record.

        ``kind`` is ``lines`` (a clean NDJSON chunk, ``count`` records) or ``array``
        (the records' texts ``raws``, each decoded alone; ``data`` is them as
        ``"[" + ",".join(raws) + "]"``, for byte positions). The loop is iterative (a chunk full of bad
        records must not recurse), and after a few failures in one run the rest is
        decoded record by record, so the cost stays linear however many records fail.
        """
        out = self.out
        if kind != "lines":
            count = len(raws or ())
        bad = self.attempt(data, seg, kind, raws, count, ascii)
        if bad is _DONE:
            return
        data = bytes(data)
        if raws is None:
            raws = data.split(b"\n")
            if data.endswith(b"\n"):
                raws.pop()
            raws = [line_text(r) for r in raws]
        lines = [seg.line(i) for i in range(count)]
        out.pending_raw.update({out.n + i: r for i, r in enumerate(raws)})
        i = failures = 0
        while i < count:
            if bad is None or bad is _SPLIT or not 0 <= bad < count - i:  # no position: the rest one by one
                self.one_by_one(raws[i:], lines[i:])
                return
            if bad:
                head = raws[i : i + bad]
                if self.attempt(b"[" + b",".join(head) + b"]", Seg(out.n, None, lines[i : i + bad]), "array", head, bad) is not _DONE:
                    self.one_by_one(head, lines[i : i + bad])  # pragma: no cover - these decoded a moment ago
            self.careful.raw(raws[i + bad], out.n, lines[i + bad])
            out.n += 1
            i += bad + 1
            failures += 1
            if i >= count:
                return
            if failures >= _MAX_SPLITS:
                self.one_by_one(raws[i:], lines[i:])
                return
            rest = raws[i:]
            bad = self.attempt(b"[" + b",".join(rest) + b"]", Seg(out.n, None, lines[i:]), "array", rest, len(rest))
            if bad is _DONE:
                return

    def attempt(self, data: Any, seg: Seg, kind: str, raws: list[bytes] | None, count: int, ascii: bool = False) -> Any:
        """Decode and map a run with the first decoder tier that takes it.

        Returns ``_DONE``; or the index (within the run) of the record that no tier
        takes; or None when the decoder gave no position; or ``_SPLIT`` when the run
        decoded into another number of values than it has records (a line holding
        ``{..},{..}`` is two values): then every record is decoded on its own.
        """
        if not ascii and not is_ascii(data):
            # msgspec does not check UTF-8 in the parts it skips: check the run first.
            try:
                str(data, "utf-8")
            except UnicodeDecodeError as exc:
                return self.record_at(bytes(data), exc.start, kind, raws)
        tiers = self.tiers
        timer = perf_counter
        new_value = False  # a Literal-typed string column met a value outside its set
        for level in range(self.level, len(tiers)):
            ct = tiers[level]
            t0 = timer()
            recs = []
            try:
                if kind == "lines":
                    recs = ct.lines_decoder.decode_lines(data)
                else:
                    # each record's text alone, not "[" + texts + "]" as one array: a text
                    # that is half a record beside one holding "{..},{..}" made as many
                    # values as texts there, and both were taken (as lines, both are
                    # invalid_json); one by one is no slower
                    assert raws is not None
                    recs.extend(map(ct.lines_decoder.decode, raws))  # (on an error, recs holds those before it)
            except msgspec.ValidationError as exc:
                if level + 1 < len(tiers):
                    # A laxer decoder may take it; start there for the next chunks too.
                    self.level = max(self.level, level + 1)
                    new_value = new_value or str(exc).startswith("Invalid enum value")
                    continue
                return len(recs) if kind != "lines" else self.failing_index(str(exc), bytes(data), kind, raws, count)
            except (msgspec.DecodeError, ValueError, RecursionError) as exc:
                # ValueError: e.g. an integer of more than 4,300 digits
                return len(recs) if kind != "lines" else self.failing_index(str(exc), bytes(data), kind, raws, count)
            if len(recs) != count:
                return _SPLIT
            if len(data) >= GO_RECORD_BYTES and decoders_pass_record_depth():  # (3.13's decoders read 9,999 levels)
                deep = _too_deep_record(bytes(data), kind, raws)
                if deep is not None:  # (the careful path refuses it, as Go does)
                    return deep
            t1 = timer()
            lists = ct.extract(recs)
            del recs
            zero_cols = self.zero_cols[ct.tier.name]
            if zero_cols and (self.zero_always or any(0 in lists[ci] for ci in zero_cols)):
                # msgspec decodes the integer -0 as 0; Go keeps a float64 -0, printed "-0"
                # into text: a record holding one goes the careful way
                at = neg_zero_at(data)
                if at >= 0:
                    return self.record_at(bytes(data), at, kind, raws)
            stats = self.out.stats
            stats[ct.tier.name + "_runs"] += 1
            stats["fast_records"] += count
            if level and level == self.level:
                self.runs_since_level += 1
                if self.runs_since_level >= 8:  # try the exact, quicker decoders again now and then
                    self.runs_since_level = 0
                    self.level = 0
            if self.literal_candidates and (self.literals is None or new_value):
                self.learn_literals(lists, count)
            t2 = timer()
            self.fill(lists, seg, count, ct.tier)
            t3 = timer()
            st = self.times
            st[0] += t1 - t0
            st[1] += t2 - t1
            st[2] += t3 - t2
            self.out.n += count
            return _DONE
        return None  # pragma: no cover - the last tier returns above

    def learn_literals(self, lists: tuple[list[Any], ...], count: int) -> None:
        """Find string columns with few distinct values and decode them as Literals from now on.

        Called on the first chunk, and whenever the exact decoder refused a chunk for
        a value outside a column's set: the set grows (or the column is dropped once it
        holds too many values); a few rebuilds at most per batch.
        """
        if count < 64 or self.literal_rebuilds >= 6:
            return
        current = dict(self.literals or {})
        changed = self.literals is None
        for ci in self.literal_candidates:
            values = {v for v in lists[ci] if v.__class__ is str and v}
            if self.literals is None:
                if 0 < len(values) <= LITERAL_MAX and len(values) * 8 <= count:
                    current[ci] = tuple(sorted(values))
            elif ci in current and not values <= set(current[ci]):
                merged = values | set(current[ci])
                if len(merged) <= LITERAL_MAX:
                    current[ci] = tuple(sorted(merged))
                else:
                    del current[ci]
                changed = True
        self.literals = current
        if not changed:
            return
        self.literal_rebuilds += 1
        self.tiers = list(self.c.tiers_with(current))
        self.c.memo["literals"] = current  # for the sink's next runs
        self.level = 0

    def one_by_one(self, raws: list[bytes], lines: list[int | None]) -> None:
        """Decode records singly (many fail here): the good ones still take the fast path, in runs."""
        out = self.out
        ct = self.tiers[-1]
        tier, decode, extract = ct.tier, ct.lines_decoder.decode, ct.extract
        block: list[Any] = []
        block_lines: list[int | None] = []

        def flush() -> None:
            if block:
                k = len(block)
                self.fill(extract(block), Seg(out.n, None, list(block_lines)), k, tier)
                out.stats["fast_records"] += k
                out.n += k
                block.clear()
                block_lines.clear()

        for raw, line in zip(raws, lines):
            out.pending_raw[out.n + len(block)] = raw
            good = not (self.neg_zero and neg_zero_at(raw) >= 0)
            if past_record_depth(raw):
                good = False  # (read past Go's depth: the careful path refuses it)
            if good and not raw.isascii():
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    good = False
            if good:
                try:
                    block.append(decode(raw))  # ("{..},{..}" is no value: trailing characters)
                    block_lines.append(line)
                    continue
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
                    pass
            flush()
            self.careful.raw(raw, out.n, line)
            out.n += 1
        flush()

    @staticmethod
    def record_at(data: bytes, offset: int, kind: str, raws: list[bytes] | None) -> int | None:
        """The index of the record holding byte ``offset`` of a run."""
        if kind == "lines":
            return data.count(b"\n", 0, offset)
        pos = 1  # after the opening bracket
        for i, raw in enumerate(raws or ()):
            pos += len(raw)
            if offset < pos:
                return i
            pos += 1  # the comma
        return None

    def failing_index(self, message: str, data: bytes, kind: str, raws: list[bytes] | None, count: int) -> int | None:
        """The record a decoder's error message points at (see ``_IDX_RE``), or None."""
        m = _IDX_RE.search(message)
        if m:
            return int(m.group(1))
        m = _BYTE_RE.search(message)
        if m:
            return self.record_at(data, int(m.group(1)), kind, raws)
        if "truncated" in message:
            return count - 1
        return None

    # ------------------------------------------------------------------ Python dicts

    def run_dicts(self, recs: list[Any]) -> None:
        """Map a run of plain dicts at rows ``out.n ...``: the generated extractor, then the vector forms.

        A record the extractor cannot walk (a path through a list, a non-dict mapping)
        goes the careful way; the runs between such records are extracted again, so the
        cost stays linear however many there are.
        """
        assert self.c.extract_dicts is not None
        bad: set[int] = set()
        lists = self.c.extract_dicts(recs, bad)
        if not bad:
            self.fill_dicts(lists, len(recs))
            return
        start = 0
        for b in sorted(bad):
            if b > start:
                self.fill_dicts(self.c.extract_dicts(recs[start:b], set()), b - start)
            self.careful.obj(recs[b], self.out.n, None)
            self.out.n += 1
            start = b + 1
        if start < len(recs):
            self.fill_dicts(self.c.extract_dicts(recs[start:], set()), len(recs) - start)

    def fill_dicts(self, lists: tuple[list[Any], ...], k: int) -> None:
        """Fill ``k`` rows from dict-extracted lists (see ``dict_forms``)."""
        out = self.out
        tier = self.dict_tier
        assert tier is not None
        seg = Seg(out.n, None)
        builders = out.builders
        # a few dicts: a column whose values the exact decoder could have made, by its quick form (see fill)
        screens = self.dict_screens if 0 < k <= FEW_VALUES else None
        few = self.few_store
        with np.errstate(all="ignore"):
            for ci in self.c.stored_index:
                lst = lists[ci]
                if screens and ci in few and _fits(lst, screens[ci]) and self._write_quick(few[ci], lst, seg, k, builders[ci]):
                    continue
                types = type_set(lst)
                vec, vin = self._dict_form(ci, lst, types)
                self.fill_column(ci, lst, seg, k, builders[ci], vec, vec_input=vin, types=types)
            if self.id_col is not None:
                lst = lists[self.id_col]
                vec, vin = self._dict_form(self.id_col, lst, type_set(lst))
                self.fill_column(self.id_col, lst, seg, k, out.id_builder, vec, identity=True, vec_input=vin)
            elif self.pk_cols:
                self.fill_pk([lists[ci] for ci in self.pk_cols], seg, k, trusted=False, python=True)
        out.stats["fast_records"] += k
        out.n += k

    def _dict_form(self, ci: int, lst: list[Any], types: set[type]) -> tuple[Any, list[Any]]:
        """The vector form for a dict-extracted list whose values' types are ``types``, and
        the list it may see (UNSET where it must not look)."""
        forms = self.dict_forms[ci]
        # a string holding an unpaired surrogate is not vouched for either: the careful path
        # stores it as its JSON text would arrive (U+FFFD), with a warning
        odd = set(surrogate_rows(lst, types)) if not types <= _NO_TEXT else None
        if not odd:
            for admits, vec in forms:
                if types <= admits:
                    return vec, lst
        admits, vec = forms[-1]
        if odd:
            return vec, [UNSET if i in odd or type(v) not in admits else v for i, v in enumerate(lst)]
        return vec, [v if type(v) in admits else UNSET for v in lst]  # UNSET: not vouched for, redone from lst

    # ------------------------------------------------------------------ filling columns

    def fill(self, lists: tuple[list[Any], ...], seg: Seg, k: int, tier: Tier) -> None:
        """Write the columns of ``k`` decoded records (by decoder ``tier``) at rows ``seg.pos ...``.

        A run of at most :data:`FEW_VALUES` records of the exact tier writes each column
        whose quick form vouches for all its values in plain Python (the types'
        :meth:`~mapper.types.ColumnType.quick_stored`): a vector form's numpy calls cost
        more than a few values (map of 10 records spent most of its time in them).
        """
        vecs = self.vecs[tier.name]
        builders = self.out.builders
        few = self.few_store if tier.exact_types and 0 < k <= FEW_VALUES else None
        with np.errstate(all="ignore"):  # overflows are caught by the range checks, not warned about
            for ci in self.c.stored_index:
                if few and ci in few and self._write_quick(few[ci], lists[ci], seg, k, builders[ci]):
                    continue
                self.fill_column(ci, lists[ci], seg, k, builders[ci], vecs[ci])
            if self.id_col is not None:
                self.fill_column(self.id_col, lists[self.id_col], seg, k, self.out.id_builder, vecs[self.id_col], identity=True)
            elif self.pk_cols:
                self.fill_pk([lists[ci] for ci in self.pk_cols], seg, k, trusted=tier.exact_types, only_str=self.pk_only_str[tier.name])

    @staticmethod
    def _write_quick(form: tuple[Quick, Callable[[list[Any]], list[Any]]], lst: list[Any], seg: Seg, k: int, b: ColumnBuilder) -> bool:
        """Write a column's ``k`` values by its quick form, if it vouches for every one (see :meth:`fill`)."""
        vouch, stored = form
        if vouch(lst) != k:
            return False
        b.mark_present(seg.pos, k)
        start = seg.pos - b.base
        b.values[start : start + k] = stored(lst)
        return True

    def fill_column(
        self,
        ci: int,
        lst: list[Any],
        seg: Seg,
        k: int,
        b: ColumnBuilder,
        vec: Any,
        identity: bool = False,
        vec_input: list[Any] | None = None,
        types: set[type] | None = None,
    ) -> None:
        """Convert a column's list at once; redo only the elements the vector form cannot vouch for.

        ``vec_input`` is what the vector form sees (by default ``lst``); the elements it
        does not vouch for are redone from ``lst``. ``types``: the types of ``lst``'s values
        where the caller has them (a list of a caller's dicts: see :func:`_all_unset`).
        """
        careful = self.careful
        if not identity and k and lst[0] is UNSET and _all_unset(lst, k, types):  # no record has it (wide, sparse sinks: most columns)
            on_missing = self.absent_writes[ci][1]
            b.put_absent_range(seg.pos, k, on_missing == "clear")
            if on_missing.__class__ is tuple:  # (each record refused for it)
                self.fail_rows(ci, list(range(k)), seg, *on_missing)
            return
        b.mark_present(seg.pos, k)
        element: Callable[[Any, int, int | None], None]
        if identity:
            element = careful.id_element
        else:
            element = lambda v, pos, line: careful.element(ci, v, pos, line, b)  # noqa: E731
        start = seg.pos - b.base
        result = vec(lst if vec_input is None else vec_input, b.values[start : start + k]) if vec is not None and b.sets is None else None
        if result is None:  # no vector form for this list: element by element
            rows, failed = self.absent_at_once(ci, lst, range(k), seg, b, identity)
            quick = self.quick_sets.get(ci) if not identity else None
            if failed:
                self.settle(rows, failed, seg, lambda rows: self.redo(lst, rows, seg, b, element, quick))
            else:
                self.redo(lst, rows, seg, b, element, quick)
            return
        ok, lossy = result
        if lossy and self.strict:
            # a lossy value is an error under strict, which the scalar converter words: redone
            # with the values the vector form does not vouch for, in row order, as row by row (a
            # string column's numbers were among those before its vector form printed them)
            redo = np.zeros(k, dtype=bool) if ok is None else ~ok
            for _kind, mask in lossy:
                redo |= mask
            ok, lossy = ~redo, []
        if ok is not None:
            rows, failed = self.absent_at_once(ci, lst, np.flatnonzero(~ok).tolist(), seg, b, identity)
            if failed:
                self.settle(rows, failed, seg, lambda rows: self.redo(lst, rows, seg, b, element))
            else:
                for i in rows:
                    element(lst[i], seg.pos + i, seg.line(i))
        if lossy:
            self.lossy(ci, lst, seg, lossy, element)

    @staticmethod
    def redo(lst: list[Any], rows: Sequence[int], seg: Seg, b: ColumnBuilder, element: Callable[[Any, int, int | None], None], quick: Any = None) -> None:
        """Redo the values of ``rows`` one by one: the careful path's ``element``, but for a set
        column's plain rows, which its ``quick`` form stores (see ``_QUICK_SETS``)."""
        if quick is None:
            for i in rows:
                element(lst[i], seg.pos + i, seg.line(i))
            return
        put = b.put
        for i in rows:
            v = lst[i]
            stored = quick(v)
            if stored is None:
                element(v, seg.pos + i, seg.line(i))
            else:
                put(seg.pos + i, stored)

    def absent_at_once(self, ci: int, lst: list[Any], rows: Sequence[int], seg: Seg, b: ColumnBuilder, identity: bool = False) -> tuple[Sequence[int], Failed]:
        """Write the rows of ``rows`` whose value is null or missing at once, as the careful path
        would one row at a time (``identity``: as the id_field's): cleared, left alone, or left
        alone with the error that refuses the record (a sparse column, most of whose rows lack it
        or hold null, went cell by cell: GitHub payloads are full of nulls; a batch missing a
        column under ``allow_missing_fields: false`` spent ~9 us a cell). Returns the other rows,
        to redo, and the errors to add (see :meth:`settle`).
        """
        if len(rows) < 8:
            return rows, []
        on_null, on_missing = self.absent_id if identity else self.absent_writes[ci]
        cleared: list[int] = []
        left: list[int] = []
        rest: list[int] = []
        failed: dict[tuple[str, str], list[int]] = {}

        def rows_of(effect: Absent) -> list[int]:
            return failed.setdefault(effect, []) if isinstance(effect, tuple) else cleared if effect == "clear" else left

        to_null, to_missing = rows_of(on_null), rows_of(on_missing)
        for i in rows:
            v = lst[i]
            (to_null if v is None else to_missing if v is UNSET or v is MISSING else rest).append(i)
        if len(rest) == len(rows):
            return rows, []
        if cleared:
            b.put_null_rows(np.array(cleared, dtype=np.int64) + seg.pos)
        absent = left + [i for failing in failed.values() for i in failing]
        if absent:
            b.put_missing_rows(np.array(absent, dtype=np.int64) + seg.pos)
        return rest, [(ci, code, reason, failing) for (code, reason), failing in failed.items() if failing]

    def settle(self, rest: Sequence[int], failed: Failed, seg: Seg, redo: Callable[[Sequence[int]], None]) -> None:
        """Redo the rows of ``rest`` (ascending) with ``redo`` and add the errors ``failed`` at once
        (:meth:`fail_rows`), as if row by row: a record gets at most one error of a column (or
        of its key) here, so its errors keep their order whichever rows come first; and each
        (column, code) of the report's counts comes where its first row would have brought it
        (the rows before it redone first), so that their order is the one of row by row too."""
        counts = self.rb.report.error_counts
        names = self.careful.names
        done = 0
        for first, ci, code in sorted((rows[0], ci, code) for ci, code, _reason, rows in failed):
            cut = bisect_left(rest, first, done)
            if cut > done:
                redo(rest[done:cut])
                done = cut
            counts.setdefault((names[ci], code), 0)
        if done < len(rest):
            redo(rest[done:])
        for ci, code, reason, rows in failed:
            self.fail_rows(ci, rows, seg, code, reason)

    def fail_rows(self, ci: int, rows: list[int], seg: Seg, code: str, reason: str) -> None:
        """The careful path's error of column ``ci`` (``code``, ``reason``) at each of ``rows``, in one loop."""
        careful = self.careful
        pos = seg.pos
        self.rb.errors_at([pos + i for i in rows], seg.lines_of(rows), careful.names[ci], careful.paths[ci], code, reason, careful.pointers[ci])

    def lossy(self, ci: int, lst: list[Any], seg: Seg, lossy: list[tuple[str, np.ndarray]], element: Any) -> None:
        """Report values the vector form computed right but the endpoint stores differently from how they were sent."""
        careful = self.careful
        for kind, mask in lossy:
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            if self.strict:
                for i in idx.tolist():  # the scalar converter words the error
                    element(lst[i], seg.pos + i, seg.line(i))
            elif not self.rb.warnings_full:
                rows = idx.tolist()  # (worded when read: most runs never read them)
                self.rb.warnings_lazy_at(
                    (idx + seg.pos).tolist(),
                    seg.lines_of(rows),
                    careful.names[ci],
                    careful.paths[ci],
                    kind,
                    careful.ctypes[ci].convert,
                    [lst[i] for i in rows],
                    careful.pointers[ci],
                )
            else:  # past the warnings kept in full, only count them
                self.rb.count_warnings(careful.names[ci], kind, len(idx))

    def fill_pk(self, lists: list[list[Any]], seg: Seg, k: int, trusted: bool, python: bool = False, only_str: bool = False) -> None:
        """The ``_id`` of ``k`` records from their primary key lists.

        Only non-empty strings are used as they are (``trusted``: the exact decoder
        let nothing else through; ``only_str``: the decoder let only strings through, so
        only ``""`` is looked for); numbers, null, missing, ``""`` and Python objects
        go through the careful path, and (``python``: a caller's dicts, not decoded JSON)
        strings holding an unpaired surrogate.
        """
        b = self.out.id_builder
        b.mark_present(seg.pos, k)
        start = seg.pos - b.base
        if self.pk_all_text and (trusted or all(_plain_keys(lst, python, only_str) for lst in lists)):
            if b.keeps_rows:  # (validate's keys, never read back, are not joined)
                b.values[start : start + k] = lists[0] if self.careful.pk_single_str else ["|".join(t) for t in zip(*lists)]
            return
        pk_element = self.careful.pk_element

        def redo(rows: Sequence[int]) -> None:
            for i in rows:
                pk_element([lst[i] for lst in lists], seg.pos + i, seg.line(i))

        if k >= 8 and not all(_ABSENT_TYPES.isdisjoint(map(type, lst)) for lst in lists):  # (by type: a caller's value may say == to anything)
            rest, failed = self.key_absent_at_once(lists, seg, k)
            if failed:
                self.settle(rest, failed, seg, redo)
                return
        redo(range(k))

    def key_absent_at_once(self, lists: list[list[Any]], seg: Seg, k: int) -> tuple[list[int], Failed]:
        """The records whose key is refused for a null or missing field, written at once (see
        :meth:`absent_at_once`): each for the first field of its key that is null or missing,
        where no field before it fails (:meth:`~mapper.engine.careful.CarefulPath.pk_element`
        refuses a record for its first field that does). Returns the other records, to redo,
        and the errors to add (see :meth:`settle`)."""
        failed: dict[tuple[int, bool], list[int]] = {}
        rest: list[int] = []
        for i in range(k):
            for j, lst in enumerate(lists):
                v = lst[i]
                if v is None or v is UNSET or v is MISSING:
                    failed.setdefault((j, v is None), []).append(i)
                    break
                if isinstance(v, PathFailure):
                    rest.append(i)
                    break
            else:
                rest.append(i)
        if not failed:
            return rest, []
        self.out.id_builder.put_missing_rows(np.array([i for failing in failed.values() for i in failing], dtype=np.int64) + seg.pos)
        key_absent, pk_cols = self.careful.key_absent, self.pk_cols
        return rest, [(pk_cols[j], "invalid_id", key_absent(pk_cols[j], "null" if null else "missing"), failing) for (j, null), failing in failed.items()]


def _plain_keys(lst: list[Any], python: bool, only_str: bool = False) -> bool:
    """Whether a primary key column's values are all non-empty strings (``python``: none
    holding an unpaired surrogate; ``only_str``: the decoder let only strings through, so
    their types are not looked at). Their types are looked at once, and the surrogate
    search is told them (a set of types made twice per key column was most of the key's
    cost for a list of dicts: 130 us against 46 us for 2,048 seed ids)."""
    types = _ONLY_STR if only_str else type_set(lst)
    return types == _ONLY_STR and all(lst) and not (python and surrogate_rows(lst, types))


def _absent(effect: str, error: Callable[[], str]) -> Absent:
    """A null or missing value's :data:`Absent` (``effect``: ColumnType.on_null or on_missing;
    ``error``: the type's words for it, when it is ``error``)."""
    return effect if effect in ("clear", "keep") else ("invalid_value", error())


def _quick_strings(v: Any) -> list[str] | None:
    """A ``strings`` row the careful path would store as it is, without its repeats: a
    non-empty array of non-empty ASCII strings (no surrogate to look for, nothing to
    warn about); None for anything else (the careful path's)."""
    if v.__class__ is list and v and all([x.__class__ is str and x != "" and x.isascii() for x in v]):
        return list(dict.fromkeys(v))
    return None


def _quick_ids(v: Any) -> list[int] | None:
    """An ``ids`` row of plain ids: a non-empty array of ints from 0 to 2^44 - 1 (exact as
    float64, as the endpoint decodes numbers, and rows FeatureBase keeps as they are: nothing
    to warn about; see ``row_wrapped``)."""
    if v.__class__ is list and v and all([x.__class__ is int and 0 <= x < ROW_LIMIT for x in v]):
        return list(dict.fromkeys(v))
    return None


_QUICK_SETS = {"strset": _quick_strings, "uint64set": _quick_ids}


def _all_unset(lst: list[Any], k: int, types: set[type] | None = None) -> bool:
    """Whether each of the ``k`` values of ``lst`` is ``UNSET`` (no record has the column).

    ``types`` (the values' types, :func:`~mapper.types.type_set`, which a list of a caller's
    dicts has already had made for its vector form) says it exactly and for nothing:
    ``UnsetType`` has one instance and no subclass. Without them (a decoder's list, JSON
    values only) ``list.count`` at C speed, which tests identity first, then ``==``: a
    Python object's ``==`` may say True to anything (``unittest.mock.ANY``), and a record
    holding one as the only value of a column would have been dropped without a word,
    which is why a list of dicts never asks it."""
    if types is not None:
        return types == _ONLY_UNSET
    return lst.count(UNSET) == k
