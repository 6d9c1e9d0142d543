"""What every column type shares: the ColumnType interface and the endpoint's common rules.

A column type is one subclass of :class:`ColumnType`, bound to one column (its config
read once). It holds everything about the type, so adding a type is adding one module:

* ``config_keys`` and :meth:`~ColumnType.check_config`: the config the type takes and
  the ingester's rules on it (the definition checker calls them);
* :meth:`~ColumnType.json_shape`: the JSON shape the fast decoders accept per tier;
* :meth:`~ColumnType.convert`: the scalar conversion, the reference for everything
  else: what the FeatureBase ingester (``idk/interfaces.go``) would store, or
  :data:`NO_VALUE`, or a :class:`ConversionError`; a value stored differently from how
  it was sent adds a :class:`Lossy` note;
* :meth:`~ColumnType.vector`: the same conversion over a whole list at once (numpy),
  vouching only for the elements it can, with whole-array lossy-value detection;
* :meth:`~ColumnType.quick`: for runs too short to pay numpy's fixed costs, whether
  every value of a list is stored exactly as sent (nothing to report), in plain Python;
* ``storage``, :meth:`~ColumnType.render`, :meth:`~ColumnType.arrow_type` and
  :meth:`~ColumnType.to_arrow`: how the stored values are kept, shown canonically,
  and handed to Arrow.

The ingester decodes every JSON number as a 64-bit float before converting it; the
shared numeric rules below (:func:`to_int64`, :func:`to_uint64`) reproduce that.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import sys
from decimal import ROUND_HALF_EVEN, Context, DivisionByZero, InvalidOperation, Overflow
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, NamedTuple, Protocol, Sequence

import numpy as np
from msgspec import UnsetType

from .. import golayout
from ..errors import class_name, int_text, preview, show, suggest, type_name
from ..model import Column, ColumnConfig
from ..paths import Path
from ..stack import GO_DEPTH

if TYPE_CHECKING:
    from ..tiers import Tier

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
TWO53 = 2**53
TWO51 = 2**51
UNIT_NS = {"d": 86400 * 10**9, "h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}

# Go's unicode.IsSpace set, which strings.TrimSpace trims (Python's str.strip() trims
# more: \x1c-\x1f count as whitespace there).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
INT_RE = re.compile(r"[+-]?[0-9]+")
UINT_RE = re.compile(r"[0-9]+")

#: What a vector converter returns: ``(ok, lossy)``, where ``ok`` is None (every element
#: converted) or a bool mask of the elements it vouches for (the others are redone by
#: the scalar converter), and ``lossy`` lists ``(kind, mask)`` of elements whose stored
#: value is right but differs from what was sent. None instead of the pair: the list
#: needs the scalar converter throughout.
VectorResult = tuple[np.ndarray | None, list[tuple[str, np.ndarray]]] | None
Vector = Callable[[list[Any], np.ndarray], VectorResult]
#: What :meth:`ColumnType.quick` returns: how many values from the start of a list would
#: be stored exactly as sent (no error, no warning); ``len(lst)`` when all of them.
Quick = Callable[[list[Any]], int]


def quick_always(lst: list[Any]) -> int:
    """The quick form of a type whose every value of the tier's shape is stored as sent."""
    return len(lst)


def stored_as_sent(lst: list[Any]) -> list[Any]:
    """The stored values of a list its quick form vouched for, where a type stores what was sent."""
    return lst


def converted_quick(convert: Callable[[Any, list[Lossy] | None], Any]) -> Quick:
    """A quick form that asks the type's converter: a value counts when it is a plain scalar
    ``convert`` stores with no error, no note, and not as nothing or a clear (the careful
    path's converter, without its writes; for types whose values need parsing anyway)."""

    def quick(lst: list[Any]) -> int:
        notes: list[Lossy] = []
        for i, v in enumerate(lst):
            if v.__class__ not in _PLAIN_SCALARS:
                return i
            try:
                stored = convert(v, notes)
            except ConversionError:
                return i
            if notes or stored is NO_VALUE or stored is CLEARED:
                return i
        return len(lst)

    return quick


#: The scalars :func:`converted_quick` asks about (a lone surrogate is no exact decoder's: msgspec refuses the escape).
_PLAIN_SCALARS = frozenset({str, int, float, bool})


def quick_range(lo: int, hi: int) -> Quick:
    """The quick form of ints stored as sent from ``lo`` to ``hi`` (the whole list at C speed first)."""

    def quick(lst: list[int]) -> int:
        if min(lst) >= lo and max(lst) <= hi:
            return len(lst)
        return next(i for i, v in enumerate(lst) if not lo <= v <= hi)

    quick.inline = ("range", lo, hi)  # type: ignore[attr-defined]  # (see quick_inline)
    return quick


def quick_inline(judge: Quick) -> tuple[Any, ...] | None:
    """How a quick form's "every value vouched for?" test may be written inline in generated
    code (the engine's judge of a few records, all columns in one function): ``("range", lo,
    hi)`` for :func:`quick_range`, ``("decimal", factor, low, high)`` for the decimal type's;
    None: only by calling it."""
    return getattr(judge, "inline", None)


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


#: Returned where the ingester stores nothing for a value that was sent (``""``).
NO_VALUE: Any = _NoValue()


class _Cleared:
    __slots__ = ()

    def __repr__(self) -> str:
        return "CLEARED"


#: Returned where the ingester clears the stored value for a value that was sent (``""`` into a bool).
CLEARED: Any = _Cleared()


class ShownFloat(NamedTuple):
    """Where a message shows a float it was sent, as Python writes it: ``message[start:end]``
    is ``float.__repr__(value)``.

    A record's text may write that number otherwise (``1e20``, ``-0``, ``1.50`` for ``1e+20``,
    ``-0.0``, ``1.5``); the error path says it as the text does, at this place
    (:func:`mapper.engine.careful.numbers_as_written`): the message is never searched for the
    digits, which its other words may hold too (a layout, a stored string).

    ``element``: the float is that element of the array at the error's path (``... at index 2``:
    an ``ids`` or ``strings`` column's), its text the element's; None: the value at the path."""

    value: float
    start: int
    end: int
    element: int | None = None


class ConversionError(Exception):
    """A value the endpoint cannot take. ``code`` is ``invalid_value`` or ``out_of_range``.

    ``shown``: where ``reason`` shows the float converted (see :meth:`showing`), else None.
    ``keys``: of an error :func:`as_json` raises, where in the value it converted the problem
    is (the keys and indices down to it), else None; ``of_key``: whether that is the object
    holding a key that is not a string (else the value with no JSON form). :func:`located`
    says it.
    """

    keys: tuple[str | int, ...] | None = None
    of_key = False

    def __init__(self, code: str, reason: str, shown: ShownFloat | None = None):
        self.code = code
        self.reason = reason
        self.shown = shown
        super().__init__(reason)

    @classmethod
    def showing(cls, code: str, head: str, value: Any, tail: str = "") -> ConversionError:
        """The error whose reason is ``head``, ``value`` as :func:`~mapper.errors.show` writes it,
        then ``tail``; a float value's place in it kept (:class:`ShownFloat`)."""
        text = show(value)
        shown = ShownFloat(value, len(head), len(head) + len(text)) if value.__class__ is float else None
        return cls(code, f"{head}{text}{tail}", shown)

    def at_index(self, index: int) -> ConversionError:
        """This error of element ``index`` of the array converted: its reason says where
        (``... at index 2``), and the float it shows is that element's."""
        shown = self.shown._replace(element=index) if self.shown is not None else None
        return ConversionError(self.code, f"{self.reason} at index {index}", shown)


class Lossy(NamedTuple):
    """A value the endpoint stores differently from how it was sent."""

    kind: str
    sent: Any
    stored: Any
    hint: str = ""


#: Warning kinds, one per silent change, as reports name them.
LOSSY_KINDS = {
    "float_truncated": "float truncated",
    "float_decimal": "float arithmetic changes the decimal",
    "decimal_truncated": "more digits than Scale",
    "int_precision": "integer beyond 2^53 changed by float64 decoding or arithmetic",
    "string_from_value": "non-string stored as text",
    "comma_split": "comma string split into a set",
    "empty_string": "empty string taken as no value",
    "timestamp_truncated": "time finer than the column's granularity",
    "clamped": "date clamped",
    "toward_epoch": "time before Epoch counted in the Unit after its own",
    "zero_time": "Go's zero time sets no time",
    "local_time": "time views filed by the offset's clock, not UTC",
    "row_wrapped": "a set field's row of 2^44 or more wraps in FeatureBase",
    "utf8_replaced": "invalid UTF-8 replaced with U+FFFD",
}


def empty(value: str, notes: list[Lossy] | None) -> Any:
    """``""`` sent: the ingester stores nothing (noted, as a producer rarely means it)."""
    if notes is not None:
        notes.append(Lossy("empty_string", value, None))
    return NO_VALUE


# ---------------------------------------------------------------------------------------
# Config rules


class ConfigRules(Protocol):
    """Where a type's config rules report: ``key`` is the canonical config key, or None for the config itself."""

    def error(self, key: str | None, code: str, message: str) -> None: ...

    def warning(self, key: str | None, code: str, message: str) -> None: ...

    def note(self, key: str | None, code: str, message: str) -> None: ...


QUANTUMS = ("Y", "YM", "YMD", "YMDH", "M", "MD", "MDH", "D", "DH", "H")
CACHE_TYPES = ("ranked", "lru", "none")
#: the config keys of the set and mutex field types (id, ids, string, strings)
SET_KEYS = {"Quantum": "str", "TTL": "str", "CacheType": "str", "CacheSize": "int64"}
#: The largest cache size FeatureBase keeps (a field's options hold it as a uint32).
CACHE_SIZE_MAX = 2**32 - 1


def set_field_rules(v: dict[str, Any], rules: ConfigRules) -> dict[str, Any] | None:
    """The rules of the set and mutex fields: Quantum, TTL, Mutex, cache (``id``, ``ids``, ``string``, ``strings``)."""
    ok = True
    mutex = bool(v.get("Mutex", False))
    quantum, ttl = v.get("Quantum"), v.get("TTL")
    kw: dict[str, Any] = {"mutex": mutex}
    if quantum is not None and quantum != "":
        if quantum not in QUANTUMS:
            hint = f" (did you mean {quantum.upper()!r}?)" if quantum.upper() in QUANTUMS else ""
            rules.error("Quantum", "invalid-quantum", f"Quantum {preview(quantum)!r} is not a time quantum; use one of {', '.join(QUANTUMS)}{hint}")
            ok = False
        if mutex:
            rules.error("Quantum", "mutex-quantum", "a mutex column cannot have a Quantum")
            ok = False
        kw["quantum"] = quantum
    if ttl is not None and ttl != "":
        try:
            ttl_ns = golayout.go_parse_duration(ttl)
        except ValueError as exc:
            rules.error("TTL", "invalid-ttl", f'TTL {preview(ttl)!r} is not a duration ({exc}); write it like "720h" or "90m" (units h, m, s, ms, us, ns)')
            ok = False
        else:
            if ttl_ns < 0:
                rules.error("TTL", "invalid-ttl", f"TTL {ttl!r} is negative")
                ok = False
            kw["ttl_ns"] = ttl_ns
        # "0s" is FeatureBase's own "no TTL" (what its field options show): idk/ingest.go's
        # validateField takes it on a mutex as it takes "", and a TTL without a Quantum is never
        # sent, so it asks for nothing (another zero, "0h", is refused on a mutex there too)
        if not quantum and ttl != "0s":
            rules.error("TTL", "ttl-needs-quantum", "TTL needs a Quantum: only time-quantum columns expire")
            ok = False
        if mutex and ttl != "0s":
            rules.error("TTL", "mutex-ttl", "a mutex column cannot have a TTL")
            ok = False
        kw["ttl"] = ttl
    cache_type = v.get("CacheType")
    if cache_type is not None:
        if cache_type not in CACHE_TYPES and cache_type != "":
            rules.error(
                "CacheType", "invalid-cache-type", f"CacheType {preview(cache_type)!r} is not one of {', '.join(CACHE_TYPES)}{suggest(cache_type, CACHE_TYPES)}"
            )
            ok = False
        kw["cache_type"] = cache_type
    cache_size = v.get("CacheSize")
    if cache_size is not None:
        if cache_size < 0:
            rules.error("CacheSize", "out-of-range", f"CacheSize must not be negative, got {cache_size}")
            ok = False
        elif cache_size > CACHE_SIZE_MAX:  # (as the table form's SIZE: FeatureBase's field options hold it in a uint32)
            rules.error("CacheSize", "out-of-range", f"CacheSize {cache_size} is too large (at most {CACHE_SIZE_MAX})")
            ok = False
        elif cache_type == "none" and cache_size > 0:
            rules.warning("CacheSize", "cache-size-ignored", "CacheSize has no effect with CacheType none")
        kw["cache_size"] = cache_size
    return kw if ok else None


# ---------------------------------------------------------------------------------------
# The interface


def narrower(lo: int, hi: int) -> tuple[int, int] | None:
    """``(lo, hi)``, or None where it is int64's whole range (see :meth:`ColumnType.stored_range`)."""
    return None if lo <= INT64_MIN and hi >= INT64_MAX else (lo, hi)


def same_value(value: Any) -> Any:
    """The identity: the render of types stored as their canonical form (strings)."""
    return value


class ColumnType:
    """How one column type behaves, bound to one column (see the module docs)."""

    #: the type as the endpoint spells it
    type: ClassVar[str] = ""
    #: config keys the ingester reads for this type -> the JSON kind of their value
    #: (``bool``, ``str``, ``int64`` or ``time``, an RFC 3339 string)
    config_keys: ClassVar[dict[str, str]] = {}
    #: how values are kept: ``uint64``, ``int64``, ``bool``, ``str``, ``uint64set``, ``strset``
    storage: ClassVar[str] = "int64"
    #: one text per value, kept as sent: a candidate for ``Literal`` decoding, the
    #: type whose numbers and bools the loose tier takes, a primary key kept verbatim
    is_text: ClassVar[bool] = False
    #: what the ingester does with a JSON null: ``clear`` the stored value, ``keep`` it
    #: (nothing is written) or ``error`` (it cannot convert null for this type)
    on_null: str = "clear"
    #: what it does with a missing value (under ``allow_missing_fields: true``)
    on_missing: str = "keep"

    def __init__(self, column: Column):
        self.column = column
        self.config: ColumnConfig = column.config
        #: decimal Scale, timestamp unit and digits shown: set by the types that have them
        self.scale: int | None = None
        self.unit: str | None = None
        self.digits = 0

    def __repr__(self) -> str:
        return f"<{self.type} column {self.column.name!r}>"

    def __reduce__(self) -> Any:
        """Pickled (a Batch sent to another process, ``copy.deepcopy``) as its class and column, made
        again from them, with what it was told since (:meth:`see_columns`) kept where it is plain
        data: some types hold parsers made for their Layout, local functions no pickle takes."""
        plain = {k: v for k, v in vars(self).items() if k != "column" and type(v) in (int, float, str, bool, type(None))}
        return (_type_again, (type(self), self.column, plain))

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        """The ingester's rules on already type-checked config ``values``.

        Returns the :class:`~mapper.model.ColumnConfig` fields the config sets, or None
        after reporting an error. Keys in ``invalid`` were written but failed their own
        check (already reported): rules about their absence do not apply.
        """
        return {}

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        """The stored value of one decoded JSON value (never ``None`` or missing).

        Or :data:`NO_VALUE` (nothing is written) or :data:`CLEARED` (the stored value is
        cleared); raises :class:`ConversionError` for a value the ingester refuses.
        """
        raise NotImplementedError

    def see_columns(self, columns: Sequence[Column]) -> None:
        """Told the sink's columns when it is compiled, for a type whose effect depends on them
        (a ``recordTime`` files time views only for columns with a Quantum). The default: nothing."""

    def null_error(self) -> str:
        """Why null is an error for this type (when ``on_null`` is ``error``)."""
        return f"null: the ingester cannot convert null for a `{self.type}` column, so this record can never be stored"

    def missing_error(self) -> str:
        """Why a missing value is an error for this type (when ``on_missing`` is ``error``)."""
        return f"missing: the ingester cannot convert a missing value for this `{self.type}` column, so this record can never be stored"

    def json_shape(self, tier: Tier) -> Any:
        """The type the fast decoders of ``tier`` accept for this column's value."""
        raise NotImplementedError

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        """The vector form of :meth:`convert` for the lists of ``tier``, or None.

        It writes into ``out`` (the column's slice) and returns a ``VectorResult``. For
        the identity column a negative value is never vouched for (it fails the record).
        """
        return None

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        """How many values from the start of a list of ``tier`` are stored exactly as sent, in plain Python; or None.

        For runs of a few records, where the vector form's numpy calls cost more than
        the values. A value counted must be one that :meth:`convert` takes with no
        error and no :class:`Lossy` note (one the vector form vouches for with nothing
        lossy); the first value not counted goes to the careful path, and the count
        goes on after it. The values are as ``tier``'s decoder made them (of
        :meth:`json_shape`). None: no quick form for this tier.

        The default, for the exact tier's scalars: :meth:`convert` itself, value by value
        (:func:`converted_quick`); types with a quicker test override it.
        """
        if not tier.exact_types or identity:
            return None
        return converted_quick(self.convert)

    def quick_lossy(self, tier: Tier) -> Callable[[Any], str | None] | None:
        """For a value of ``tier`` that :meth:`quick` did not vouch for: the kind of the warning
        the vector form gives it where the vector form stores it (and words the warning only
        when read: :meth:`~mapper.report.ReportBuilder.warning_lazy`), or None where the
        careful path converts it (an error, a value out of the vector form's range).

        The engine's answer for such a value at a scalar's cost: without it a run of a few
        records converts and words each one (the seed records' truncated ``lat`` and
        ``long``, 4 us a value, a quarter of validating 100 of them). None: every value
        not vouched for goes to the careful path (the default).
        """
        return None

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        """The stored values (of :attr:`storage`) of a list of ``tier`` that :meth:`quick` vouched
        for whole, in plain Python; or None (the vector form writes them: the default).

        A run of a few records then writes such a column without the vector form's numpy
        calls (:meth:`mapper.engine.fast.FastPath.fill`). :func:`stored_as_sent` where
        the stored value is the decoded one.
        """
        return None

    def stored_range(self) -> tuple[int, int] | None:
        """The least and greatest value mapping ever stores in this column, where narrower than
        its storage's (an ``int``'s Min..Max, a ``timestamp``'s FeatureBase range at its
        granularity, a ``dateInt``'s counts of Unit within the 292 years Go's time arithmetic
        saturates at); None where any value of its storage may be stored (the default).

        A reader of a file refuses a value outside it: mapping refuses such a record, so
        only an edited file holds one."""
        return None

    def meaning(self) -> dict[str, Any]:
        """What the column's stored numbers mean, as a file says it beside them (an ``.npz``
        header's entry for the column, an Arrow field's ``mapper.column`` metadata): its type,
        and a decimal's scale or a time's unit (a timestamp's granularity, recordTime's ``ns``,
        a dateInt's Unit). JSON-ready; a type whose numbers mean more says it too.

        A reader holds it against the sink the file holds: an edited Scale, Granularity or
        Unit there would silently change what every stored number reads as."""
        said: dict[str, Any] = {"type": self.type}
        if self.scale is not None:
            said["scale"] = self.scale
        if self.unit is not None:
            said["unit"] = self.unit
        return said

    def render(self) -> Callable[[Any], Any]:
        """A function from a stored value to its canonical JSON form."""
        return int

    def render_all(self, values: np.ndarray) -> list[Any]:
        """Every stored value in its canonical JSON form (rows without a value: anything; the caller replaces them)."""
        render = self.render()
        if render in (int, bool, same_value):  # tolist() already gives these
            return values.tolist()  # type: ignore[no-any-return]
        return [render(v) for v in values.tolist()]

    def arrow_type(self, pa: Any) -> Any:
        """The ``pyarrow.DataType`` of :meth:`to_arrow`'s arrays, known before any row is mapped.

        Schemas are declared from it ahead of the data (Spark's ``mapInArrow`` needs its
        output schema before a batch exists).
        """
        return _ARROW_STORAGE[self.storage](pa)

    def to_arrow(self, values: Any, valid: np.ndarray, offsets: np.ndarray | None, pa: Any) -> Any:
        """A ``pyarrow.Array`` of the stored values (null where ``valid`` is False)."""
        return arrow_fixed(values, valid, self.arrow_type(pa), pa)


#: FeatureBase keeps row r of a set or mutex field at bit ``r * 2**20 + column % 2**20`` of a
#: 64-bit position (fragment.go ``pos``; the ingester's batch/batch.go makeFragments alike): a
#: row of 2**44 or more wraps to ``r % 2**44``. An ``id``/``ids`` value is that row.
ROW_LIMIT = 2**44
#: batch/batch.go's markers in a field's row list: no value, and (of a mutex) a clear.
NIL_ROW, CLEAR_ROW = UINT64_MAX, UINT64_MAX - 1


def row_note(value: Any, rows: list[int], mutex: bool = False, single: bool = True) -> Lossy:
    """What FeatureBase keeps for ids of ``ROW_LIMIT`` or more (``single``: an ``id`` column's one row)."""
    if single and rows[0] == NIL_ROW:
        return Lossy("row_wrapped", value, None, "the ingester's batch reads 18446744073709551615 as its no-value marker: nothing is stored")
    if single and mutex and rows[0] == CLEAR_ROW:
        return Lossy("row_wrapped", value, None, "the ingester's batch reads 18446744073709551614 as its clear marker: the stored value is cleared")
    kept = [r % ROW_LIMIT for r in rows]
    return Lossy(
        "row_wrapped",
        value,
        kept[0] if single else kept,
        "FeatureBase keeps row r at bit r*2^20+column of a 64-bit position, so a row of 2^44 (17592186044416) or more wraps to r mod 2^44",
    )


def arrow_fixed(values: np.ndarray, valid: np.ndarray | None, typ: Any, pa: Any) -> Any:
    """A ``pyarrow`` array of type ``typ`` over a numpy array of 8-byte numbers (its own buffer) or of bools (bit-packed).

    Not ``pyarrow.array``: that looks for pandas objects first, and its first call
    imports pandas when installed (~0.35 s, more than a small run takes to map).
    """
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    elif values.dtype.kind in "iuf" and pa.types.is_primitive(typ) and typ.bit_width == values.dtype.itemsize * 8:
        data = pa.py_buffer(np.ascontiguousarray(values))
    else:  # Python objects (a caller's object array of strings): pyarrow reads them
        return pa.array(values, type=typ, mask=None if valid is None else ~valid)
    validity, nulls = arrow_validity(valid, pa)
    return pa.Array.from_buffers(typ, len(values), [validity, data], null_count=nulls)


def arrow_validity(valid: np.ndarray | None, pa: Any) -> tuple[Any, int]:
    """An Arrow validity bitmap of a bool mask (None when every row is valid) and the null count."""
    if valid is None:
        return None, 0
    nulls = len(valid) - int(np.count_nonzero(valid))
    if not nulls:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def is_strings(values: Any) -> bool:
    """Whether ``values`` is a :class:`mapper.batch.Strings` (asked of its class: ``hasattr`` on the
    instance would compute the ``utf8`` property, the very conversion a caller may want to skip)."""
    return hasattr(type(values), "utf8")


#: Strings read the UTF-8 way so far in this process (see :func:`_objects_way_pays`).
_utf8_way = [0]
#: About as many strings as the UTF-8 way takes longer to read (~90 ns each) than importing pandas takes (~0.35 s).
_PANDAS_IMPORT_STRINGS = 4_000_000


def _objects_way_pays(n: int) -> bool:
    """Whether ``pyarrow.array`` should read ``n`` Python strings, rather than their UTF-8 form.

    It reads them about 3x faster, but its first call imports pandas when pandas is
    installed (pyarrow looks for pandas objects): ~0.35 s, more than a small run's whole
    conversion. So the UTF-8 way is taken until it has cost about what the import does,
    then ``pyarrow.array`` (ski rental: never more than twice the better of the two).
    """
    if sys.modules.get("pandas") is not None or _utf8_way[0] >= _PANDAS_IMPORT_STRINGS or not _pandas_installed():
        return True
    _utf8_way[0] += n
    return False


@functools.cache
def _pandas_installed() -> bool:
    return importlib.util.find_spec("pandas") is not None


def arrow_strings(strings: Any, valid: np.ndarray | None, pa: Any) -> Any:
    """A ``pyarrow`` string array over a column's UTF-8 bytes and offsets (``strings.utf8``), without copying them.

    Strings held only as Python objects (what the decoders make) are handed to
    ``pyarrow.array``, which reads them about 2.5x faster than making the UTF-8 form
    first, once that pays for the pandas import it brings (:func:`_objects_way_pays`);
    a lone surrogate (which pyarrow refuses) or a column past 2 GB takes the UTF-8 way.
    """
    chunks = strings.chunks
    if chunks is not None:  # parts held in different forms: each read in its own
        arrays, at = [], 0
        for c in chunks:
            arrays.append(arrow_strings(c, None if valid is None else valid[at : at + c.n], pa))
            at += c.n
        # a part past 2 GB is large_string, and so are parts each under it whose text passes it
        # together (a string's 32-bit offsets cannot reach past it): then all are
        if len({a.type for a in arrays}) > 1 or sum(text_span(a, pa) for a in arrays) >= 2**31 - 1:
            arrays = [a.cast(pa.large_string()) for a in arrays]
        return pa.concat_arrays(arrays)
    if not strings.has_utf8 and _objects_way_pays(strings.n):
        try:
            arr = pa.array(strings.objects, type=pa.string(), mask=None if valid is None or valid.all() else ~valid)
        except (UnicodeEncodeError, pa.ArrowException):
            arr = None
        if isinstance(arr, pa.Array):
            return arr
    data, offsets = strings.utf8
    n = len(offsets) - 1
    large = int(offsets[-1]) >= 2**31 - 1
    offs = offsets if large else offsets.astype(np.int32)
    validity, nulls = arrow_validity(valid, pa)
    return pa.Array.from_buffers(pa.large_string() if large else pa.string(), n, [validity, pa.py_buffer(offs), pa.py_buffer(data)], null_count=nulls)


def text_span(arr: Any, pa: Any) -> int:
    """The bytes of text a ``pyarrow`` array of strings (or bytes, or a list's elements) covers:
    the span of its offsets, which a ``string`` array's 32 bits hold up to 2**31 - 1. 0 for other types."""
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        return text_span(arr.flatten(), pa)
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    if not (large or pa.types.is_string(arr.type) or pa.types.is_binary(arr.type)) or not len(arr):
        return 0
    bounds = np.frombuffer(arr.buffers()[1], dtype=np.int64 if large else np.int32)
    return int(bounds[arr.offset + len(arr)]) - int(bounds[arr.offset])


#: The Arrow type of each storage's (scalar) values.
_ARROW_STORAGE: dict[str, Callable[[Any], Any]] = {
    "int64": lambda pa: pa.int64(),
    "uint64": lambda pa: pa.uint64(),
    "bool": lambda pa: pa.bool_(),
    "str": lambda pa: pa.string(),
    "uint64set": lambda pa: pa.uint64(),
    "strset": lambda pa: pa.string(),
}


class SetType(ColumnType):
    """Shared by the set types (``ids``, ``strings``): a row holds a list of values.

    Stored as one flat ``values`` array and int64 ``offsets`` (one more than rows); no
    vector form: plain rows are taken as they are (``mapper.engine.fast._QUICK_SETS``),
    the others converted by the scalar converter. The
    ingester cannot write null into a set column that exists already (the table's,
    the endpoint's case): its recordizer fails on the delete sentinel.
    """

    on_null = "error"

    def arrow_type(self, pa: Any) -> Any:
        return pa.list_(_ARROW_STORAGE[self.storage](pa))

    def null_error(self) -> str:
        return f"null: the ingester cannot write null into an existing `{self.type}` column (it fails to convert its delete marker to a set), so this record can never be stored"

    def to_arrow(self, values: Any, valid: np.ndarray, offsets: np.ndarray | None, pa: Any) -> Any:
        assert offsets is not None
        child = arrow_strings(values, None, pa) if is_strings(values) else arrow_fixed(values, None, _ARROW_STORAGE[self.storage](pa), pa)
        large = len(child) >= 2**31 - 1
        offs = offsets if large else offsets.astype(np.int32)
        validity, nulls = arrow_validity(valid, pa)
        typ = pa.large_list(child.type) if large else pa.list_(child.type)
        return pa.Array.from_buffers(typ, len(valid), [validity, pa.py_buffer(offs)], null_count=nulls, children=[child])


def split_set_text(value: str) -> list[str]:
    """A set sent as one string: one pair of surrounding brackets stripped, split on ``,`` (not trimmed)."""
    text = value
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.split(",")


class OutOfRangeNumber(float):
    """A JSON number beyond float64's range (``1e400``), as the careful path decodes it: ``text`` is how it was written.

    It is an infinite float, so it fails wherever a number is converted, with its text.
    """

    text: str

    def __new__(cls, text: str) -> OutOfRangeNumber:
        obj = super().__new__(cls, float("-inf") if text.startswith("-") else float("inf"))
        obj.text = text
        return obj


# ---------------------------------------------------------------------------------------
# What a JSON value looks like in messages, and in Go


def expected(what: str, value: Any) -> ConversionError:
    """``Expected `int`, got `str` "high"``; a number beyond float64 (``1e400``, a Python int of
    400 digits) is ``out_of_range`` whatever the type expects, as :func:`as_go_float` says it: the
    endpoint's decoder refuses it in any column, before a type looks at it."""
    if isinstance(value, OutOfRangeNumber):
        return ConversionError("out_of_range", beyond_float64_reason(preview(value.text)))
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            return ConversionError("out_of_range", beyond_float64_reason(show(value)))
    return ConversionError.showing("invalid_value", f"Expected {what}, got `{type_name(value)}` ", value)


#: The decimal context of mapper's own Decimal arithmetic: never the caller's (``decimal.getcontext()``,
#: which a program may have set to 3 digits, or to trap a rounding: a number printed as text was
#: ``1.23`` for 1.234567, or a ``decimal.Rounded`` raised), nor the one a new thread starts
#: with (:data:`decimal.DefaultContext`, a program's too: :func:`mapper.stack.full_stack`'s second
#: run). Every field given, none copied from DefaultContext; enough digits for any float's text.
EXACT_DECIMALS = Context(
    prec=64, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999, capitals=1, clamp=0, flags=[], traps=[InvalidOperation, DivisionByZero, Overflow]
)


#: Go's text of the floats without digits, by Python's (``repr``).
_GO_NOT_FINITE = {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}


def go_float_text(f: float) -> str:
    """Go's ``fmt.Sprint(float64)``.

    Go's %v on a float64 is strconv's 'g' format with the shortest precision, which
    switches to exponent notation when the decimal exponent is < -4 or >= 6:
    ``1234567`` -> ``1.234567e+06``, ``123456`` -> ``123456``, ``0.00001`` -> ``1e-05``.

    Written from ``repr``'s text, which holds the same shortest digits that read back as
    ``f``: its exponent form (an exponent < -4 or >= 16: ``1e-05``, ``1.5e+300``) is Go's
    too; its point form loses its ``.0`` (``12``, ``-0``), and from 7 digits before the
    point turns to Go's exponent form (``1234567.5`` -> ``1.2345675e+06``). String work
    only: through ``Decimal`` it cost 1.5-3.4 us a float, now 0.2-0.6 us.
    """
    text = repr(f)
    if "e" in text:
        return text
    whole, point, fraction = text.partition(".")
    if not point:
        return _GO_NOT_FINITE[text]
    body = whole.lstrip("-")
    if len(body) < 7:
        return whole if fraction == "0" else text
    digits = (body + fraction).rstrip("0")
    mantissa = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits
    return f"{whole[: len(whole) - len(body)]}{mantissa}{_EXPONENTS[len(body)]}"


#: Ints of fewer than 7 digits: Go's %v prints them as Python's str does (no exponent).
_PLAIN_INT = 10**6
#: Ints below this in size are exact as a float64 and their shortest digits are their own
#: (float64's spacing is at most 1 there, so no shorter decimal reads back as the same float).
_EXACT_INT = 2**53
#: The exponent of a number of ``n`` digits before its point (7 to 16), as Go writes it (2 digits at least).
_EXPONENTS = [f"e+{n - 1:02d}" for n in range(17)]


def go_number_texts(values: list[Any]) -> list[str | None]:
    """:func:`go_text` of each of a list of ints, floats and bools (exact types), at once; None
    where :func:`go_text` raises (an int past float64's range, a float not finite): the scalar
    converter words those.

    The vector form of a string column's numbers (through the careful path one by one, 5,000
    records holding one cost 8.4 us each against 1.6 us clean). An int of 7 to 16 digits is
    written from its own digits, 0.2 us (``1234567`` -> ``1.234567e+06``: Go's 'g' takes the
    exponent form from an exponent of 6 on, and below 2^53 an int's shortest digits are its
    own); floats, bools and the other ints as :func:`go_text` writes them.
    """
    out: list[str | None] = []
    put = out.append
    for v in values:
        if v.__class__ is int:
            if -_PLAIN_INT < v < _PLAIN_INT:
                put(str(v))
                continue
            if -_EXACT_INT < v < _EXACT_INT:
                digits = str(v)
                sign = ""
                if v < 0:
                    sign, digits = "-", digits[1:]
                mant = digits.rstrip("0")
                put(f"{sign}{mant[0]}.{mant[1:]}{_EXPONENTS[len(digits)]}" if len(mant) > 1 else f"{sign}{mant}{_EXPONENTS[len(digits)]}")
                continue
            try:
                put(go_float_text(float(v)))
            except OverflowError:
                put(None)
        elif v.__class__ is float:
            put(go_float_text(v) if math.isfinite(v) else None)
        elif v.__class__ is bool:
            put("true" if v else "false")
        else:  # (not asked: a subclass, OutOfRangeNumber)
            put(None)
    return out


def go_text(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` of a JSON value decoded into ``interface{}``.

    Numbers are float64 there; arrays print as ``[a b]``; objects as ``map[k:v]``
    with sorted keys; null as ``<nil>``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_float_text(as_go_float(value))
    if isinstance(value, (list, tuple)):
        if len(value) > 10_000:
            raise ConversionError("invalid_value", f"an array of {len(value)} items is too long to print as text")
        return "[" + " ".join(go_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_text(value[k])}" for k in sorted(_json_keys(value))) + "]"
    raise ConversionError("invalid_value", not_json(value))


def as_json(value: Any, exact: bool = False) -> Any:
    """A Python value as the JSON value it stands for, or a ConversionError.

    Producers hand in what ``json.dumps`` would take: tuples are arrays, any mapping
    with string keys is an object; these become lists and dicts (copied only when
    something inside changes). Anything else (``set``, ``bytes``, numpy scalars, a
    mapping with non-string keys) is refused by name rather than guessed at. ``exact``:
    subclasses (a str or int subclass, an IntEnum, a list subclass) become the builtin
    type too, as their JSON text would decode (the jmespath library types values by class
    name). Walked without recursion, as deep as a JSON text may be (a tuple or a mapping
    nests as deep as a dict or a list: a recursion ran out at a third of the engine
    decoder's depth); RecursionError past :data:`DEEPEST_JSON` levels (a value holding itself).
    """
    if value is None:
        return value
    if isinstance(value, (str, int, float)):
        return _builtin(value) if exact and value.__class__ not in _JSON_SCALARS else value
    if not isinstance(value, (list, tuple, Mapping)):
        raise ConversionError("invalid_value", not_json(value))
    try:
        stack = [_opened(value)]
    except ConversionError as exc:
        raise _placed(exc, [], True) from None
    done: Any = _ABSENT  # the value of the container just closed, for the one below it
    while True:
        frame = stack[-1]
        items, changed = frame[1], frame[2]
        if done is not _ABSENT:
            if done is not frame[4]:
                changed[frame[3]] = done
            done = _ABSENT
        for slot, v in items:
            c = v.__class__
            if c is str or c is int or c is float or c is bool or v is None:  # (the usual value: as it is)
                continue
            if isinstance(v, (str, int, float)):
                if exact and c not in _JSON_SCALARS:
                    changed[slot] = _builtin(v)
                continue
            if not isinstance(v, (list, tuple, Mapping)):
                raise _placed(ConversionError("invalid_value", not_json(v)), [*(f[3] for f in stack[:-1]), slot], False)
            if len(stack) >= DEEPEST_JSON:
                raise RecursionError("nested too deeply")
            frame[3], frame[4] = slot, v
            try:
                opened = _opened(v)
            except ConversionError as exc:  # (a key that is not a string: the object holding it is at the slots)
                raise _placed(exc, [f[3] for f in stack], True) from None
            stack.append(opened)
            break
        else:
            stack.pop()
            done = _closed(frame, exact)
            if not stack:
                return done


def _placed(exc: ConversionError, keys: list[Any], of_key: bool) -> ConversionError:
    """``exc`` with where in :func:`as_json`'s value it is (see :attr:`ConversionError.keys`)."""
    exc.keys, exc.of_key = tuple(keys), of_key
    return exc


def located(exc: ConversionError, base: Sequence[str | int] | None) -> str:
    """``exc``'s reason with where its problem is, when :func:`as_json` said it and the value's
    own place in the record is known (``base``: its keys, ``()`` for the record; None: not a
    place keys say, a JMESPath column's value): ``... (a key of the object at $.a[0])``, ``...
    (a key of the record itself)``, or, for a value with no JSON form inside the value, ``...
    (at $.a.b[1])``."""
    keys = exc.keys
    if keys is None or base is None:
        return exc.reason
    full = (*base, *keys)
    if exc.of_key:
        return f"{exc.reason} (a key of {f'the object at {json_path(full)}' if full else 'the record itself'})"
    return f"{exc.reason} (at {json_path(full)})" if keys else exc.reason


def json_path(keys: Sequence[str | int]) -> str:
    """A path of keys and indices as messages write it: ``$.data.values[2]``, ``$["a.b"]``."""
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else Path(keys=(k,)).jsonpath()[1:] for k in keys)


#: How deep :func:`as_json` goes: the levels Go's decoder reads of a whole body (a record may nest
#: 3 fewer, :data:`~mapper.stack.RECORD_DEPTH`, and is refused past them by its text, as a text given
#: as such is): past them only a value holding itself, or one refused anyway, stops the walk.
DEEPEST_JSON = GO_DEPTH


def _opened(value: Any) -> list[Any]:
    """A container's frame for :func:`as_json`: [the value, its items (index or key, and value),
    what changed (by index or key; of a mapping other than a dict, every member read), and the
    slot and value of the item being converted]. A mapping's keys are checked first, as a whole."""
    if isinstance(value, (list, tuple)):
        return [value, enumerate(value), {}, None, None]
    _json_keys(value)
    if type(value) is dict:
        return [value, iter(value.items()), {}, None, None]
    members: dict[Any, Any] = {}
    return [value, _listed(value, members), members, None, None]


def _listed(value: Mapping[Any, Any], members: dict[Any, Any]) -> Iterator[tuple[Any, Any]]:
    """A mapping other than a dict as a JSON object's members, each put into ``members`` as it is
    yielded: each key it lists, with what its ``get`` gives, as the generated walk reads a record
    (a dict subclass's own ``get``; a key listed but not given, a ``KeyError``, is left out:
    missing, as the walk sees it)."""
    get = value.get
    for k in value:
        v = get(k, _ABSENT)
        if v is not _ABSENT:
            members[k] = v
            yield k, v


def _closed(frame: list[Any], exact: bool) -> Any:
    """The JSON value of a container whose items :func:`as_json` has read (see :func:`_opened`):
    the value itself when nothing in it changed (a dict or a list), else a new list or dict."""
    src, _items, changed = frame[0], frame[1], frame[2]
    if isinstance(src, (list, tuple)):
        if not changed and isinstance(src, list) and not (exact and type(src) is not list):
            return src
        out = list(src)
        for i, w in changed.items():
            out[i] = w
        return out
    if type(src) is not dict:  # (changed: every member, as read)
        return {str.__str__(k): w for k, w in changed.items()} if exact else changed
    if exact and any(k.__class__ is not str for k in src):
        return {str.__str__(k): changed.get(k, v) for k, v in src.items()}
    return {**src, **changed} if changed else src


_ABSENT = object()


#: Exact as they are (OutOfRangeNumber: the careful path's own decoding of ``1e400``, with its text).
_JSON_SCALARS = frozenset({type(None), str, int, float, bool, OutOfRangeNumber})


def _builtin(value: str | int | float) -> str | int | float:
    """A str, int or float subclass's value as the builtin type (bool stays bool: it is exact)."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    return float.__float__(value)


def _json_keys(value: Mapping[Any, Any]) -> Mapping[str, Any]:
    for k in value:
        if not isinstance(k, str):
            raise ConversionError("invalid_value", f"a Python mapping key {preview(int_text(k, repr))} is not a string, as JSON object keys are")
    return value


def not_json(value: Any) -> str:
    return f"a Python {class_name(value)} is not a JSON value (str, number, bool, array, object or null)"


def beyond_float64_reason(number: str) -> str:
    """Why a number (``number``: as the message shows it, and where) is refused: the one wording of
    the engine, ``check``, the batcher and the web UI."""
    return f"number {number} is beyond the float64 range the endpoint decodes numbers into"


def as_go_float(value: int | float) -> float:
    """A JSON number as Go's decoder sees it: the nearest float64 (a builtin float)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            if isinstance(value, OutOfRangeNumber):
                raise ConversionError("out_of_range", beyond_float64_reason(preview(value.text)))
            raise ConversionError("invalid_value", f"{show(value)} is not a JSON number")  # only Python callers: JSON has no NaN
        return float(value)
    try:
        return float(value)
    except OverflowError:
        raise ConversionError("out_of_range", beyond_float64_reason(show(value))) from None


def go_trim(text: str) -> str:
    """Go's ``strings.TrimSpace``."""
    return text.strip(GO_SPACE)


# ---------------------------------------------------------------------------------------
# The shared numeric rules (Go's toInt64 / toUint64 on decoded JSON)


def integer_text(text: str, pattern: re.Pattern[str], lo: int, hi: int, too_big: str) -> int | None:
    """The integer a (trimmed) string of digits spells, as Go's ParseInt/ParseUint read it.

    None when ``text`` does not match ``pattern``; ``out_of_range`` (saying ``too_big``)
    outside ``lo..hi``. Leading zeros do not count towards the length guard (Go reads
    any number of them); the guard keeps ``int()`` off strings of 4,300+ digits.
    """
    if not pattern.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 40:
        raise ConversionError("out_of_range", too_big)
    n = int(digits or "0")  # (leading zeros count against int()'s 4,300-digit limit too)
    if text[0] == "-":
        n = -n
    if not lo <= n <= hi:
        raise ConversionError("out_of_range", too_big)
    return n


def number_to_int(value: int | float, notes: list[Lossy] | None) -> int:
    """float64 -> int64 truncation, as Go's ``int64(f)`` (out-of-range is an error here)."""
    f = as_go_float(value)
    if not math.isfinite(f):  # pragma: no cover - JSON has no inf/nan
        raise ConversionError("out_of_range", f"number {show(value)} is not finite")
    stored = int(f)
    if notes is not None:
        if isinstance(value, float):
            if f != stored:
                notes.append(Lossy("float_truncated", value, stored))
        elif stored != value:
            notes.append(Lossy("int_precision", value, stored, "the endpoint decodes numbers as float64; send it as a string"))
    return stored


def to_int64(value: Any, notes: list[Lossy] | None, what: str = "`int`") -> int:
    """Go's ``toInt64`` on a decoded JSON value."""
    if isinstance(value, bool):
        raise expected(what, value)
    if isinstance(value, (int, float)):
        stored = number_to_int(value, notes)
        if not INT64_MIN <= stored <= INT64_MAX:
            raise ConversionError.showing("out_of_range", "", value, f" does not fit a signed 64-bit integer{_as_float64(value, stored)}")
        return stored
    if isinstance(value, str):
        parsed = integer_text(go_trim(value), INT_RE, INT64_MIN, INT64_MAX, f"{show(value)} does not fit a signed 64-bit integer")
        if parsed is None:
            raise ConversionError("invalid_value", f"Expected {what} or a string of digits, got `str` {show(value)}")
        return parsed
    raise expected(what, value)


def _as_float64(value: int | float, stored: int) -> str:
    """Why an integer that fits is out of range: the endpoint reads it as a float64, rounded past the bound."""
    if isinstance(value, int) and value != stored:
        return f" as the endpoint reads it: a float64, {stored} (send it as a string of digits)"
    return ""


def to_uint64(value: Any, notes: list[Lossy] | None, what: str = "`id`") -> int:
    """Go's ``toUint64`` on a decoded JSON value (negative numbers are errors here)."""
    if isinstance(value, bool):
        raise expected(what, value)
    if isinstance(value, (int, float)):
        stored = number_to_int(value, None)  # truncated first: -0.5 is stored as 0
        if stored < 0:
            raise ConversionError.showing("out_of_range", "negative value ", value, " cannot be an id")
        stored = number_to_int(value, notes)
        if stored > UINT64_MAX:
            raise ConversionError.showing("out_of_range", "", value, f" does not fit an unsigned 64-bit id{_as_float64(value, stored)}")
        return stored
    if isinstance(value, str):
        text = go_trim(value)
        parsed = integer_text(text, UINT_RE, 0, UINT64_MAX, f"{show(value)} does not fit an unsigned 64-bit id")
        if parsed is None:
            why = "a negative id" if text.startswith("-") and UINT_RE.fullmatch(text[1:]) else "not an unsigned integer"
            raise ConversionError("invalid_value", f"Expected {what} (an unsigned integer), got `str` {show(value)}: {why}")
        return parsed
    raise expected(what, value)


# ---------------------------------------------------------------------------------------
# Helpers of the vector converters


#: Kind codes of decoded JSON values (anything else: OTHER).
INT, FLOAT, STR, BOOL, OTHER = 0, 1, 2, 3, 4


class _Kinds(dict[type, int]):
    """Kind codes by exact type: a type not in it is OTHER, and is not added (a defaultdict kept
    every class it was ever asked about, a table that grew with each new class a caller made)."""

    def __missing__(self, key: type) -> int:
        return OTHER


#: The JSON decoder's other types are in it too: a hit costs no call to ``__missing__``.
_KIND: dict[type, int] = _Kinds({int: INT, float: FLOAT, str: STR, bool: BOOL, type(None): OTHER, list: OTHER, dict: OTHER})


#: The types :func:`type_set` counts on (their metaclass is ``type``, which compares by
#: identity). ``UnsetType``: a column no record of a run of a caller's dicts has is all
#: ``UNSET`` (most columns of a wide, sparse sink), and the set was most of its cost.
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dict, list, UnsetType})


def type_set(values: list[Any]) -> set[type]:
    """``set(map(type, values))``, quicker for the usual list of one plain type: the types
    listed and those of the first counted (a list's ``count`` compares by identity
    first; 2,048 seed values: 14 to 27 us against 23 to 50 us, by column). (A class whose
    metaclass's ``__eq__`` calls it equal to ``int`` counts as ``int`` here, as one that also
    hashed like ``int`` did in the set.)"""
    types = list(map(type, values))
    if types:
        first = types[0]
        if first in _PLAIN_TYPES and types.count(first) == len(types):
            return {first}
    return set(types)


def by_type(lst: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The values as an object array, and each one's kind code (``kinds == STR`` ...), at C speed."""
    return np.fromiter(lst, dtype=object, count=len(lst)), kinds_of(lst)


def kinds_of(lst: list[Any]) -> np.ndarray:
    """Each value's kind code (``kinds == STR`` ...), at C speed."""
    if len(lst) < _KINDS_AT_ONCE:
        # (the codes through bytes(): a quarter quicker than np.fromiter's per-element conversion)
        return np.frombuffer(bytes(map(_KIND.__getitem__, map(type, lst))), dtype=np.int8)
    # A chunk's column: the values' types as an object array, its references compared as
    # integers with the four known types' at once: one Python-level call per value (type)
    # instead of three (1,533 lax seed values: 25 us against 43 us; fewer than
    # _KINDS_AT_ONCE pay more in numpy's fixed costs than they save). By identity: a type
    # that only compares equal to ``int`` is OTHER here, as the scalar converter sees it.
    types = addresses(np.fromiter(map(type, lst), dtype=object, count=len(lst)))
    at = np.minimum(np.searchsorted(_KNOWN_ADDRESSES, types), len(_KNOWN_ADDRESSES) - 1)
    return np.where(_KNOWN_ADDRESSES[at] == types, _KNOWN_CODES[at], np.int8(OTHER))


def addresses(objs: np.ndarray) -> np.ndarray:
    """A contiguous object array's references as integers (``a is b`` where they are equal),
    without a Python call per element: numpy will not view an object array as integers, but
    its buffer (format ``O``) casts to bytes as any buffer does. Valid while ``objs`` lives."""
    if not len(objs):
        return np.zeros(0, dtype=np.intp)
    return np.frombuffer(objs.data.cast("B"), dtype=np.intp)


#: Lists at least this long take :func:`kinds_of`'s numpy form (measured: 128 values 4.9 us
#: against 4.2 us, 512 10.4 us against 15.1 us).
_KINDS_AT_ONCE = 256
#: The kinds' own types held (never freed: their references stay valid), their references
#: sorted, and each one's code in that order.
_KNOWN_TYPES = np.array([t for t, code in _KIND.items() if code != OTHER], dtype=object)
_KNOWN_ORDER = np.argsort(addresses(_KNOWN_TYPES))
_KNOWN_ADDRESSES = addresses(_KNOWN_TYPES)[_KNOWN_ORDER]
_KNOWN_CODES = np.array([_KIND[t] for t in _KNOWN_TYPES[_KNOWN_ORDER]], dtype=np.int8)


def as_array(lst: list[Any]) -> np.ndarray | None:
    """numpy's own reading of a list (its type inference is the quickest "all numbers?" test), or None."""
    if not lst:
        return None
    try:
        arr = np.array(lst)
    except (ValueError, OverflowError, TypeError):
        return None
    return arr if arr.ndim == 1 else None


def has_strings(lst: list[Any]) -> bool:
    """Whether a sample of the list holds strings (lax lists mix them in everywhere)."""
    return any(v.__class__ is str for v in lst[:16])


if sys.version_info >= (3, 11):  # possessive quantifiers: the same matches (nothing here gains by backtracking), ~2x faster
    _SIGNED_DIGITS = re.compile(r"[+-]?+[0-9]{1,18}+(?:\n[+-]?+[0-9]{1,18}+)*+")
    _UNSIGNED_DIGITS = re.compile(r"[0-9]{1,18}+(?:\n[0-9]{1,18}+)*+")
else:  # pragma: no cover - Python 3.10
    _SIGNED_DIGITS = re.compile(r"[+-]?[0-9]{1,18}(?:\n[+-]?[0-9]{1,18})*")
    _UNSIGNED_DIGITS = re.compile(r"[0-9]{1,18}(?:\n[0-9]{1,18})*")


def digit_strings(texts: np.ndarray, signed: bool = True) -> np.ndarray | None:
    """int64 values of numeric strings as Go's ParseInt(TrimSpace(s)) reads them, or None.

    Every string must be an optional sign and ASCII digits, at most 18 characters
    (so nothing overflows; ParseUint takes no sign). The pattern vouches for the whole
    text before numpy's C text parser reads it, which would otherwise be looser than Go
    ("" and "-" read as 0, overflow saturates); the length check below is the second
    guard (a parser that stopped early returns fewer values). Anything else (spaces,
    points, exponents, Unicode digits) goes to the scalar converter.
    """
    joined = "\n".join(texts.tolist())
    # Without a sign in the text, the unsigned pattern matches where the signed one would,
    # and a quarter quicker (two searches of the text cost 1 to 2% of it).
    signs = signed and ("-" in joined or "+" in joined)
    if not (_SIGNED_DIGITS if signs else _UNSIGNED_DIGITS).fullmatch(joined):
        return None
    values = np.fromstring(joined, dtype=np.int64, sep="\n")
    return values if len(values) == len(texts) else None


def _type_again(cls: type[ColumnType], column: Column, plain: dict[str, Any]) -> ColumnType:
    """A column type unpickled (see :meth:`ColumnType.__reduce__`)."""
    ctype = cls(column)
    vars(ctype).update(plain)
    return ctype
