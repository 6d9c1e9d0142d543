"""The mapped batch: one numpy array per column, with validity and presence masks.

Every column keeps three states apart, as the endpoint does:

========  =========  ===========  =====================================================
state     ``valid``  ``present``  meaning at the endpoint
========  =========  ===========  =====================================================
value     True       True         the value is stored
null      False      True         JSON ``null``: the stored value is cleared
missing   False      False        nothing sent (or ``""``): the stored value is left alone
========  =========  ===========  =====================================================

Storage per type: ``id`` uint64; ``int``, ``dateInt``, ``signedIntBoolKey`` int64;
``decimal`` int64 scaled by 10**scale (``ColumnData.scale``); ``timestamp`` int64 in
granularity units since 1970-01-01T00:00:00Z (``ColumnData.unit``); ``recordTime``
int64 nanoseconds since 1970; ``bool`` bool; ``string`` a :class:`Strings` (Python
``str`` objects, ``None`` where there is no value, or UTF-8 bytes with int64 offsets,
as Arrow lays strings out: ``ColumnData.values`` and ``ColumnData.utf8`` give either,
each made from the other when first asked for); ``ids`` / ``strings`` as ``offsets``
(int64, one more than rows) into a flat array of their elements (uint64 / Strings).
Slots without a value hold 0, False or None.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import weakref
from array import array
from typing import TYPE_CHECKING, Any, Iterable, Iterator, overload

import numpy as np
from numpy.typing import NDArray

from .errors import AnnotatedModule, OptionError, OutputError, article, int_text, optional_import, preview
from .model import MISSING, Sink
from .options import whole_number
from .report import Report, input_token, join_reports
from .types import ColumnType, arrow_fixed, arrow_strings

if TYPE_CHECKING:  # (the optional extras, for the return types of to_arrow, to_pandas and to_polars only)
    import pandas
    import polars
    import pyarrow
else:  # (what typing.get_type_hints(Batch.to_arrow) reads: an extra is imported when a hint naming it is read, not with mapper)
    pandas, polars, pyarrow = AnnotatedModule("pandas"), AnnotatedModule("polars"), AnnotatedModule("pyarrow")

#: The key of an Arrow field's metadata that says what the column's values mean
#: (:meth:`mapper.types.ColumnType.meaning`, as JSON): :meth:`Batch.to_arrow` writes it, ``read_batch`` checks it.
MEANING_KEY = b"mapper.column"
#: The schema metadata key (and, as ``mapped``, the ``.npz`` header's) saying the ``on_error`` and
#: ``strict`` a batch was mapped with: its report is not kept in a file, and read back without them
#: a batch of ``on_error="skip"`` could not be joined (:func:`concat`) with the batch it was written from.
MAPPED_KEY = b"mapper.mapped"
#: The key (an Arrow IPC file's last record batch's custom metadata, a Parquet file's footer
#: key-value metadata; as ``records``, the ``.npz`` header's) saying how many input records a
#: written batch covered, and how many of them were refused (``{"records": n, "failed_records":
#: f}``, :class:`Inputs`; of one input, ``"input"`` too, its :attr:`Report.input_token`): its rows alone
#: do not say it (a refused record after its last row is in none), and :func:`concat` of batches
#: read back moves each one's indices by it (files of slices of one input join as the slices do).
#: Of an input some of whose records failed, it says which too, and each one's answer (``"refused"``,
#: their indices among the records it covers, and ``"missing"``, the places in that list of those
#: answered ``MissingField``, each as :func:`runs`): a file of a slice has rows of part of them,
#: and read back alone it answers as the slice does. A batch with no failed record says neither.
RECORDS_KEY = b"mapper.records"

_INT64_MIN = -(2**63)
_ZERO = {"uint64": 0, "int64": 0, "bool": False, "str": None}
_DTYPES = {
    "uint64": np.dtype(np.uint64),
    "int64": np.dtype(np.int64),
    "bool": np.dtype(np.bool_),
    "str": np.dtype(object),
    "uint64set": np.dtype(np.uint64),
    "strset": np.dtype(object),
}


class ColumnBuilder:
    """A growable column: values plus masks, written by row position.

    ``kind`` is the type's storage (:attr:`mapper.types.ColumnType.storage`). Row
    positions are absolute; ``base`` is the position of slot 0 (validate-only runs
    reuse the same memory chunk after chunk by moving ``base``).
    """

    __slots__ = ("kind", "dtype", "values", "valid", "present", "sets", "base")

    def __init__(self, kind: str, capacity: int = 1024, keep_rows: bool = True):
        """``keep_rows`` False: a validate-only run's builder, whose rows nobody reads back.
        Its masks are kept, and numbers are still written (the vector forms convert and
        range-check them into the rows), but a text column's values and a set column's rows
        are not held at all (:attr:`keeps_rows`): each verdict is made from the value sent,
        and a warning keeps its own reference to the value it names."""
        self.kind = kind
        self.dtype = _DTYPES[kind]
        capacity = max(capacity, 1)
        is_set = kind in ("uint64set", "strset")
        # np.empty: every row is written before it is read; for object arrays it is all
        # None (NULL) at once, where np.zeros would store an int 0 object in each slot.
        # Not kept, a text column's values (a reference to each string sent, stored one object
        # at a time: 8 string columns, 7% of validating 200k seed records) go nowhere.
        self.values: np.ndarray = np.empty(0 if is_set else capacity, dtype=self.dtype) if keep_rows or kind != "str" else _NO_VALUES
        # Every writer sets the masks of its rows: the fast path marks a run present
        # (mark_present), then only its nulls and missing; the careful path each mask.
        self.valid = _all_true(capacity)
        self.present = _all_true(capacity)
        # a set column's rows (new lists, often many new strings each) are not held either
        self.sets: list[Any] | None = ([None] * capacity if keep_rows else _NO_ROWS) if is_set else None
        self.base = 0

    @property
    def keeps_rows(self) -> bool:
        """Whether the rows' values are held (False: a validate-only text or set column's, see ``keep_rows``)."""
        return self.values is not _NO_VALUES and self.sets is not _NO_ROWS

    def reserve(self, end: int) -> None:
        """Make room for rows up to absolute position ``end`` (exclusive)."""
        need = end - self.base
        cap = len(self.valid)
        if need <= cap:
            return
        new_cap = max(need, cap * 2)
        # New arrays with the old rows copied in, not np.concatenate: that copies the new
        # part too, object by object for an object array (8 string columns grown from 1,024
        # to 200k rows: 25 ms, 6% of the whole map)
        if self.sets is not None:
            self.sets.extend([None] * (new_cap - cap))
        elif self.values is not _NO_VALUES:
            values = np.empty(new_cap, dtype=self.dtype)
            values[:cap] = self.values
            self.values = values
        valid = _all_true(new_cap)
        valid[:cap] = self.valid
        present = _all_true(new_cap)
        present[:cap] = self.present
        self.valid, self.present = valid, present

    def mark_present(self, pos: int, k: int) -> None:
        """Rows ``pos .. pos+k`` hold values (the fast path then marks only its nulls and missing)."""
        i = pos - self.base
        self.valid[i : i + k] = True
        self.present[i : i + k] = True

    def put(self, pos: int, value: Any) -> None:
        i = pos - self.base
        if self.sets is not None:
            self.sets[i] = value
        else:
            self.values[i] = value
        self.valid[i] = True
        self.present[i] = True

    def put_null(self, pos: int) -> None:
        i = pos - self.base
        self._clear(i)
        self.valid[i] = False
        self.present[i] = True

    def put_missing(self, pos: int) -> None:
        i = pos - self.base
        self._clear(i)
        self.valid[i] = False
        self.present[i] = False

    def put_missing_rows(self, rows: np.ndarray) -> None:
        """:meth:`put_missing` of many rows at once (``rows``: absolute positions)."""
        self._put_absent_rows(rows, False)

    def put_null_rows(self, rows: np.ndarray) -> None:
        """:meth:`put_null` of many rows at once (``rows``: absolute positions)."""
        self._put_absent_rows(rows, True)

    def put_absent_range(self, pos: int, k: int, present: bool) -> None:
        """Rows ``pos .. pos+k`` hold no value: cleared (``present``) or left alone."""
        i = pos - self.base
        if self.sets is not None:
            self.sets[i : i + k] = [None] * k
        else:
            self.values[i : i + k] = _ZERO[self.kind]
        self.valid[i : i + k] = False
        self.present[i : i + k] = present

    def _put_absent_rows(self, rows: np.ndarray, present: bool) -> None:
        i = rows - self.base
        if self.sets is not None:
            for j in i.tolist():
                self.sets[j] = None
        else:
            self.values[i] = _ZERO[self.kind]
        self.valid[i] = False
        self.present[i] = present

    def _clear(self, i: int) -> None:
        if self.sets is not None:
            self.sets[i] = None
        else:
            self.values[i] = _ZERO[self.kind]

    def finish(self, end: int) -> ColumnArrays:
        """The final arrays of rows ``base..end``."""
        n = end - self.base
        if self.sets is None:
            valid = _shrink(self.valid, n)
            shrunk = _shrink(self.values, n)
            values: np.ndarray | Strings = Strings.from_objects(shrunk, valid) if self.kind == "str" else shrunk
            return ColumnArrays(values, valid, _shrink(self.present, n), None)
        rows = self.sets[:n]
        lengths = np.fromiter((len(r) if r else 0 for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = [v for r in rows if r for v in r]
        values = np.array(flat, dtype=self.dtype) if self.kind == "uint64set" else Strings.from_objects(_object_array(flat))
        return ColumnArrays(values, self.valid[:n].copy(), self.present[:n].copy(), offsets)

    def copy_rows(self, end: int) -> ColumnArrays:
        """Copies of the arrays of rows ``base..end`` (the builder keeps its memory, reused from a moved ``base``)."""
        n = end - self.base
        if self.sets is None:
            valid = self.valid[:n].copy()
            copied = self.values[:n].copy()
            values: np.ndarray | Strings = Strings.from_objects(copied, valid) if self.kind == "str" else copied
            return ColumnArrays(values, valid, self.present[:n].copy(), None)
        rows = self.sets[:n]
        lengths = np.fromiter((len(r) if r else 0 for r in rows), dtype=np.int64, count=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = [v for r in rows if r for v in r]
        flat_values = np.array(flat, dtype=self.dtype) if self.kind == "uint64set" else Strings.from_objects(_object_array(flat))
        for i in range(n):
            self.sets[i] = None
        return ColumnArrays(flat_values, self.valid[:n].copy(), self.present[:n].copy(), offsets)


#: Copied for the masks of builders of up to this many rows (np.ones is a Python function:
#: a few microseconds a call, paid twice per column by a run of a few records).
_TRUE = np.ones(4096, dtype=bool)


def _all_true(n: int) -> np.ndarray:
    """A new bool array of ``n`` True."""
    return _TRUE[:n].copy() if n <= len(_TRUE) else np.ones(n, dtype=bool)


class _NoRows(list):  # type: ignore[type-arg]
    """The rows of a set column nobody reads (a validate-only run's): writing one keeps nothing."""

    __slots__ = ()

    def __setitem__(self, i: Any, value: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass


_NO_ROWS: list[Any] = _NoRows()


class _NoValues:
    """The values of a text column nobody reads (a validate-only run's): a slice of them is
    themselves, and writing keeps nothing (``out[:] = lst`` of a vector form, ``values[i] = v``)."""

    __slots__ = ()

    def __getitem__(self, i: Any) -> _NoValues:
        return self

    def __setitem__(self, i: Any, value: Any) -> None:
        pass


#: (typed as an array: it stands where the builder's values array would be)
_NO_VALUES: Any = _NoValues()


def _shrink(arr: np.ndarray, n: int) -> np.ndarray:
    """``arr[:n]`` without keeping the unused capacity alive (in place when possible)."""
    if len(arr) == n:
        return arr
    try:
        arr.resize(n, refcheck=False)
        return arr
    except ValueError:  # the array does not own its memory
        return arr[:n].copy()


def _object_array(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


class Strings:
    """``n`` strings held as Python ``str`` objects, as UTF-8 bytes with offsets, or both.

    The engine makes Python strings (its decoders do); Arrow, the file writers and the
    workers want UTF-8 bytes and int64 offsets (``data[offsets[i]:offsets[i + 1]]`` is
    string ``i``, as Arrow lays strings out). Each form is made from the other the first
    time it is asked for, in whole-array operations, and then kept. Rows where ``valid``
    is False hold ``None`` as objects and the empty string as bytes.

    Joined parts held in different forms (a workers batch: the caller's part as
    objects, the workers' as UTF-8) stay ``chunks`` until one form of the whole is asked
    for; Arrow takes each chunk in its own form.
    """

    __slots__ = ("n", "valid", "_objects", "_data", "_offsets", "_chunks")

    def __init__(
        self,
        n: int,
        valid: np.ndarray | None,
        objects: np.ndarray | None = None,
        data: np.ndarray | None = None,
        offsets: np.ndarray | None = None,
        chunks: list[Strings] | None = None,
    ):
        self.n = n
        self.valid = valid
        self._objects = objects
        self._data = data
        self._offsets = offsets
        self._chunks = chunks

    @classmethod
    def from_objects(cls, objects: np.ndarray, valid: np.ndarray | None = None) -> Strings:
        # (not checked here, where no column or row could be named: each object is a str by the time
        # it comes, made by mapping, or given by hand and checked where it was given: Batch(...) and
        # batch.ids = ... check ids, ColumnData.check a column's objects, before every conversion)
        return cls(len(objects), valid, objects=objects)

    @classmethod
    def from_utf8(cls, data: np.ndarray, offsets: np.ndarray, valid: np.ndarray | None = None) -> Strings:
        return cls(len(offsets) - 1, valid, data=data, offsets=offsets)

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        forms = [f for f, v in (("objects", self._objects), ("utf8", self._data)) if v is not None]
        held = " and ".join(forms) if forms else f"{len(self._chunks or ())} chunks"
        return f"<Strings n={self.n} held as {held}>"

    @property
    def has_objects(self) -> bool:
        return self._objects is not None

    @property
    def has_utf8(self) -> bool:
        return self._data is not None

    @property
    def chunks(self) -> list[Strings] | None:
        """The parts this is held as, in order, while no form of the whole is made (else None)."""
        return self._chunks if self._objects is None and self._data is None else None

    @property
    def objects(self) -> np.ndarray:
        """An object array of ``str`` (``None`` where not valid)."""
        if self._objects is None:
            if self._chunks is not None:
                objects = np.concatenate([c.objects for c in self._chunks])
                if self.valid is not None and not self.valid.all():
                    objects[~self.valid] = None
                self._objects = objects
            else:
                assert self._data is not None and self._offsets is not None
                self._objects = utf8_to_objects(self._data, self._offsets, self.valid)
        return self._objects

    @property
    def utf8(self) -> tuple[np.ndarray, np.ndarray]:
        """``(data, offsets)``: uint8 UTF-8 bytes and int64 offsets (``n + 1`` of them, from 0 to ``len(data)``)."""
        data = self._data
        if data is None:
            if self._chunks is not None:
                data, offsets = _joined_utf8(self._chunks)
            else:
                assert self._objects is not None
                data, offsets = objects_to_utf8(self._objects, self.valid)
            self._offsets = offsets
            self._data = data  # last: a thread that finds it held finds the offsets too
        held = self._offsets
        assert held is not None
        if len(held) and (held[0] or len(data) != held[-1]):
            # strings cut from a longer text (a batch made by hand: Batch.check takes offsets from
            # past 0 to short of the end): the bytes they cover, offsets from 0, as mapping's own
            # are. Every reader takes them so: joined, taken and written parts read text of no
            # string as theirs (row 0 "XXab" for "ab"), and a .npz file so written was refused.
            a, b = int(held[0]), int(held[-1])
            return data[a:b], held - a
        return data, held

    @property
    def held_utf8(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(data, offsets)`` as held (None: not held as UTF-8), offsets perhaps cutting a longer
        text (a hand-built batch's, a file's: what ``read_batch`` looks at), where :attr:`utf8` gives
        only the bytes the strings cover."""
        return None if self._data is None or self._offsets is None else (self._data, self._offsets)

    def take(self, keep: np.ndarray) -> Strings:
        """The strings where the bool mask ``keep`` is True, in whichever forms are held."""
        valid = self.valid[keep] if self.valid is not None else None
        out = Strings(int(np.count_nonzero(keep)), valid)
        chunks = self.chunks
        if chunks is not None:
            out._chunks, at = [], 0
            for c in chunks:
                out._chunks.append(c.take(keep[at : at + c.n]))
                at += c.n
            return out
        if self._objects is not None:
            out._objects = self._objects[keep]
        if self._data is not None:
            out._data, out._offsets = utf8_take(*self.utf8, keep)
        return out

    def slice(self, start: int, stop: int) -> Strings:
        """Strings ``start`` to ``stop`` (``0 <= start <= stop <= n``), in whichever forms are held:
        views of this one's arrays, the UTF-8 offsets made again from 0 (as a file's writer and
        :meth:`Batch.check` take them)."""
        valid = None if self.valid is None else self.valid[start:stop]
        out = Strings(stop - start, valid)
        chunks = self.chunks
        if chunks is not None:
            parts, at = [], 0
            for c in chunks:
                lo, hi = max(start - at, 0), min(stop - at, c.n)
                if lo < hi:
                    parts.append(c.slice(lo, hi))
                at += c.n
            if parts:
                out._chunks = parts
            else:  # (no chunk left: an empty list would be held as no form at all)
                out._objects = np.empty(0, dtype=object)
            return out
        if self._objects is not None:
            out._objects = self._objects[start:stop]
        data = self._data
        if data is not None:
            assert self._offsets is not None
            a, b = int(self._offsets[start]), int(self._offsets[stop])
            out._offsets = self._offsets[start : stop + 1] - a
            out._data = data[a:b]
        return out

    @staticmethod
    def concat(parts: list[Strings]) -> Strings:
        """One sequence of the parts in order: as objects when they all hold them, else as
        chunks (nothing converted or copied: the UTF-8 of the whole is joined when it is
        asked for, and Arrow takes each chunk as it is)."""
        valid = np.concatenate([p.valid for p in parts]) if all(p.valid is not None for p in parts) else None
        n = sum(p.n for p in parts)
        if all(p.has_objects for p in parts):
            return Strings(n, valid, objects=np.concatenate([p.objects for p in parts]) if parts else np.empty(0, dtype=object))
        if len(parts) == 1:
            return Strings(n, valid, data=parts[0]._data, offsets=parts[0]._offsets, chunks=parts[0]._chunks)
        return Strings(n, valid, chunks=[c for p in parts for c in (p.chunks or [p])])


def _joined_utf8(parts: list[Strings]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 form of the parts one after the other."""
    datas, offsets, base = [], [np.zeros(1, dtype=np.int64)], 0
    for p in parts:
        d, o = p.utf8
        datas.append(d)
        offsets.append(o[1:] + base)
        base += int(o[-1])
    return (np.concatenate(datas) if datas else np.empty(0, np.uint8)), np.concatenate(offsets)


#: :func:`objects_to_utf8` converts this many strings at a time: its temporaries (the joined
#: text, its bytes, the separators' masks and positions, ~30 bytes a string) then stay in the
#: CPU's caches. The 8 string columns of 521,000 seed records (a part of ``--workers 2``), three
#: runs of 9 rounds, medians: 0.27-0.39 s whole, 0.17-0.29 s a block at a time (machine loaded).
UTF8_BLOCK = 65536


def _check_str_objects(
    objects: np.ndarray, valid: np.ndarray | None, what: str, unit: str = "row", fails: str = "cannot be read", rows: np.ndarray | None = None
) -> None:
    """An :class:`~mapper.errors.OutputError` naming the first of ``objects`` (an object array given
    by hand: ``col.stored = edited``, string ids) that is no ``str`` where a value is stored (``valid``;
    None: every one, a set's elements): written, it failed inside the UTF-8 conversion ("sequence
    item 0: expected str instance, int found", no column named), and ``to_rows`` gave the int as the
    value; or that is a ``str`` UTF-8 has no form for (:func:`text_fault`; ``rows``: a set's offsets)."""
    listed = (objects if valid is None else objects[valid]).tolist()
    if set(map(type, listed)) <= {str}:
        # (the types at C speed, ~10 ms a million: a primary key sink's ids are checked each write;
        # then their text, a join and isascii, ~30 ms a million)
        found = _objects_fault_at(listed if valid is None else _masked(objects, valid))
        if found is not None:
            raise text_refused(what, f"{_place(found[0], rows)}: {found[1]}")
        return
    for row, value in enumerate(objects.tolist()):
        if not isinstance(value, str) and (valid is None or valid[row]):
            held = "None" if value is None else f"{article(type(value).__name__)}, {value!r:.60},"
            where = "" if valid is None else " (its valid mask says a value is stored there)"
            raise OutputError(f"{what} {fails}: {unit} {row} (counting from 0) holds {held} where str objects are held{where}")


def objects_to_utf8(objects: np.ndarray, valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes and offsets of an object array of ``str`` (``None`` and invalid rows: empty).

    One join with NUL between the strings, one encode, and the separators found and
    removed with numpy: a few nanoseconds a string, whatever the alphabet. Strings that
    hold NUL themselves are encoded one by one. Lone surrogates (which no JSON decoder
    here produces) are kept as ``surrogatepass`` writes them, for every output to refuse
    naming their place (:func:`text_fault`). Done in blocks of
    :data:`UTF8_BLOCK` to twice that many strings, the blocks' bytes and offsets joined (an
    array of fewer than twice that many, as one process's parts of 65,536 rows and a few
    more, is one block: no block of a few rows, and nothing joined).
    """
    n = len(objects)
    blocks = n // UTF8_BLOCK
    if blocks > 1:
        step = -(-n // blocks)
        datas, offsets, base = [], [np.zeros(1, dtype=np.int64)], 0
        for at in range(0, n, step):
            data, offs = _block_to_utf8(objects[at : at + step], None if valid is None else valid[at : at + step])
            datas.append(data)
            offsets.append(offs[1:] + base if base else offs[1:])
            base += int(offs[-1])
        return np.concatenate(datas), np.concatenate(offsets)
    return _block_to_utf8(objects, valid)


def _block_to_utf8(objects: np.ndarray, valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    n = len(objects)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if n == 0:
        return np.empty(0, dtype=np.uint8), offsets
    if valid is not None and not valid.all():
        objects = np.where(valid, objects, "")
    items = objects.tolist()
    try:
        joined = "\x00".join(items)
    except TypeError:  # a None where valid says nothing
        items = ["" if v is None else v for v in items]
        joined = "\x00".join(items)
    raw = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    seps = np.flatnonzero(raw == 0)
    if len(seps) != n - 1:  # some string holds NUL: one by one
        encoded = [s.encode("utf-8", "surrogatepass") for s in items]
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:])
        return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets
    offsets[1:n] = seps - np.arange(n - 1)  # string i+1 starts after i+1 separators
    offsets[n] = len(raw) - (n - 1)
    data = raw[raw != 0] if n > 1 else raw
    return data, offsets


def utf8_to_objects(data: np.ndarray, offsets: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """An object array of ``str`` from UTF-8 bytes and offsets (``None`` where not valid)."""
    n = len(offsets) - 1
    out = np.empty(n, dtype=object)
    raw = data.tobytes()
    starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
    if raw.isascii():  # byte offsets are character offsets: slice one decoded str
        text = raw.decode("ascii")
        out[:] = [text[a:b] for a, b in zip(starts, ends)]
    else:
        out[:] = [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends)]
    if valid is not None and not valid.all():
        out[~valid] = None
    return out


def utf8_take(data: np.ndarray, offsets: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strings where ``keep`` is True, as UTF-8 bytes and offsets."""
    lengths = np.diff(offsets)
    kept = lengths[keep]
    new_offsets = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=new_offsets[1:])
    return data[np.repeat(keep, lengths)], new_offsets


class ColumnArrays:
    """The arrays of one column: ``values``, ``valid``, ``present`` and, for sets, ``offsets``.

    ``values`` is a numpy array, or :class:`Strings` for ``string`` columns and the
    elements of ``strings`` sets.
    """

    __slots__ = ("values", "valid", "present", "offsets")

    def __init__(self, values: np.ndarray | Strings, valid: np.ndarray, present: np.ndarray, offsets: np.ndarray | None):
        self.values, self.valid, self.present, self.offsets = values, valid, present, offsets


def plain(values: np.ndarray | Strings) -> np.ndarray:
    """A column's values as a numpy array (strings as an object array of ``str``)."""
    return values.objects if isinstance(values, Strings) else values


def shown(values: np.ndarray | Strings) -> np.ndarray:
    """:func:`plain` as the public accessors hand it out: the ``str`` objects of strings held
    in two forms (:class:`Strings`: objects and UTF-8, each kept once made) read-only, as an
    edit of them would leave the UTF-8 form behind: ``to_rows`` would show it, ``to_arrow`` and
    the files written the text before it. (Numbers, and objects held alone, are one form: an
    edit shows everywhere, as it does in a slice.)"""
    return _read_only(values.objects) if isinstance(values, Strings) else values


def _read_only(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


def concat_arrays(parts: list[ColumnArrays]) -> ColumnArrays:
    """One column's arrays from parts of its rows, in order."""
    valid = np.concatenate([p.valid for p in parts])
    present = np.concatenate([p.present for p in parts])
    values: np.ndarray | Strings
    if any(isinstance(p.values, Strings) for p in parts):
        # (a part given its strings as an object array, a hand-built or edited batch's, joins as objects)
        held = [p.values if isinstance(p.values, Strings) else Strings.from_objects(p.values, p.valid if p.offsets is None else None) for p in parts]
        values = Strings.concat(held)
        if parts[0].offsets is None:
            values.valid = valid
    else:
        values = np.concatenate([p.values for p in parts])  # type: ignore[misc]
    offsets = None
    if parts[0].offsets is not None:
        pieces, base = [np.zeros(1, dtype=np.int64)], 0
        for p in parts:
            assert p.offsets is not None
            pieces.append(p.offsets[1:] + base)
            base += int(p.offsets[-1])
        offsets = np.concatenate(pieces)
    return ColumnArrays(values, valid, present, offsets)


def check_same_sink(first: Batch, part: Batch) -> None:
    """An OutputError unless ``part`` is a batch of ``first``'s sink (joined, their columns would be
    read by name, and of another sink's columns one missing, or of another type, mixed in)."""
    if not isinstance(part, Batch):
        raise OutputError(f"cannot join a {type(part).__name__} to a batch: only batches of one sink are joined")
    if _same_sink(first, part):
        return
    raise OutputError(f"cannot join a batch of {_sink_of(part)} to one of {_sink_of(first)}: only batches mapped by one sink are joined")


def _same_sink(a: Batch, b: Batch) -> bool:
    """Whether two batches were mapped by one sink definition (the same object, or the same body)."""
    return a.sink is b.sink or a.sink.to_body() == b.sink.to_body()


def _sink_of(batch: Batch) -> str:
    name = batch.sink.name
    return f"{'sink ' + repr(name) if name else 'an unnamed sink'} (columns {', '.join(map(repr, batch.columns)) or 'none'})"


def concat(batches: Iterable[Batch]) -> Batch:
    """One batch of the batches' rows, in order: ``mapper.concat(m.iter_batches(path))`` is the
    batch of ``m.map(path)`` (:meth:`Batch.equals`), as ``pyarrow.concat_tables`` and
    ``polars.concat`` join tables.

    ``batches``: a list, tuple or any iterable (a generator) of batches of one sink definition
    (mapped by one :class:`~mapper.Mapper`, or by sinks of the same definition); another
    sink's batch, or anything that is not a batch, is an :class:`~mapper.errors.OutputError`
    naming it by its place (counting from 0), and so is no batch at all. Every column keeps
    its values and its masks (a value, a null and a missing value stay apart), ``_id`` its
    form. One batch gives an equal batch (views of its arrays, as a slice).

    ``record_index``: the batches are taken as inputs read one after the other, and each
    input's indices are moved past those of the inputs before it, by the records it had
    (``report.records``, failed records included): ``iter_batches`` counts each batch from
    its start, and joined they count from the input's start, as ``map`` counts them. A batch
    sharing the report of the one before it, its rows after that one's (``batch[:10]`` then
    ``batch[10:]``), continues the same input: its indices are kept, and slices join back
    into their batch (so do slices pickled one by one, or written to files and read back). So input ``k``'s rows are those whose index is from the sum of the
    ``report.records`` of the inputs before it (``concat([a, b])``: ``b``'s rows are those from
    ``a.report.records`` on); the same batch twice is two inputs, as mapping its records twice.
    Batches read back from files (:func:`~mapper.read_batch`) join as the batches written did:
    a file keeps how many input records its batch covered, refused ones after its last row
    too. A file that does not say (written by an older mapper, or by another tool) is
    taken to have covered its records up to its last ``_record_index`` (the most that can be
    known): records refused after its last row are not counted, so the indices of the batches
    joined after it may come out lower than those of the batches written; the read batch's
    ``report.notes`` say so, and the joined report keeps that note.

    ``report``: the batches' reports joined, as the ``workers=N`` processes' are: counts
    added, errors, warnings and refused records in order (up to :data:`~mapper.report.KEEP`
    each) with their record indices moved as the rows' are, line numbers (and files) as each
    report had them. ``accepted`` is True when every batch's report was; else the report
    says which batch was discarded and why (its records are in no row: ``iter_batches``
    gives a discarded batch with none). The reports must agree on ``on_error`` and
    ``strict``. Batches of one input keep its report as it is.

    The columns are copied into new arrays (strings held as UTF-8 are joined as chunks,
    nothing copied until one form of the whole is asked for); the batches are left as
    they are. Each is checked first (:meth:`Batch.check`).
    """
    if isinstance(batches, Batch):
        raise OutputError("concat takes several batches (a list of them, or any iterable), not one Batch: mapper.concat([batch])")
    try:
        parts = list(batches)
    except TypeError:
        raise OutputError(f"concat takes an iterable of batches (a list of them), not {type(batches).__name__}") from None
    if not parts:
        raise OutputError("concat takes at least one batch, and was given none: with no batch there is no sink to make an empty batch of")
    for k, part in enumerate(parts):
        if not isinstance(part, Batch):
            raise OutputError(f"concat: batch {k} (counting from 0) is {article(type(part).__name__)}, not a Batch")
        if k and not _same_sink(parts[0], part):
            raise OutputError(
                f"concat: batch {k} (counting from 0) is of {_sink_of(part)}, batch 0 of {_sink_of(parts[0])}: only batches mapped by one sink are joined"
            )
        if not isinstance(part.report, Report):
            raise OutputError(f"concat: batch {k} (counting from 0) has {article(type(part.report).__name__)} for its report, not a Report")
        try:
            check_arrays(part)  # (an _id that is no str is named where the joined batch's conversion fails)
        except OutputError as exc:
            raise OutputError(f"concat: batch {k} (counting from 0): {exc}") from None
    first = parts[0]
    if len(parts) == 1:
        return first._sliced(0, first.count, first.sliced)
    return concat_batches(parts)


class Inputs:
    """Batches taken as inputs read one after the other, as :func:`concat` takes them: which
    input each is of, and where that input's record indices start in the whole.

    A batch continues the input before it when it shares its report (or one of the same
    :attr:`~mapper.report.Report.input_token`: read back from a file, or unpickled) and its rows come after
    that one's (slices of one batch in order, the ``workers=N`` parts of one run, the parts a
    streaming run drains: their indices are the input's already); else it starts another input,
    whose indices start past the one before's: past its ``report.records`` (failed records
    included), and past its every index (a batch whose report says fewer records than its rows
    cover: made by hand, or read from a file that does not say). Only the inputs' reports are
    held (and the last batch weakly): a writer counts the parts it streams in bounded memory."""

    def __init__(self) -> None:
        self.reports: list[Report] = []  # each input's report
        self.bases: list[int] = []  # ... and where its indices start
        self._at = 0  # where the current input's indices start
        self._last = -1  # its last index so far
        self._previous: Any = None  # (a weak reference to the last batch added)
        self._rows = 0  # the rows of the batches added
        self._sliced = False  # whether one of them is a slice (Batch.sliced)

    def add(self, part: Batch) -> int:
        """Take ``part`` as the next batch; return how far its record indices move in the whole."""
        top = int(part.record_index.max()) if part.count else -1
        previous = self._previous() if self._previous is not None else None
        # (the same batch again is another input: with no rows, it has no index to tell so)
        if not self.reports or not _same_input(part.report, self.reports[-1]) or part is previous or (part.count and int(part.record_index[0]) <= self._last):
            if self.reports:
                self._at += max(self.reports[-1].records, self._last + 1)
            self.reports.append(part.report)
            self.bases.append(self._at)
            self._last = -1
        self._last = max(self._last, top)
        self._previous = weakref.ref(part)
        self._rows += part.count
        self._sliced = self._sliced or part.sliced
        return self._at

    @property
    def records(self) -> int:
        """The input records the batches added cover: where the indices of an input after them
        would start (the sum of the inputs' ``report.records``, each at least one past its last index)."""
        return self._at + max(self.reports[-1].records, self._last + 1) if self.reports else 0

    @property
    def failed_records(self) -> int:
        """The records of the inputs that failed (the sum of their reports' ``failed_records``)."""
        return sum(r.failed_records for r in self.reports)

    def said(self) -> dict[str, Any]:
        """What a file keeps of them (:data:`RECORDS_KEY`): of part of one input's rows (a slice),
        which input it is too (:func:`input_token`), so that files of its slices, read back, join
        as the slices do; so does a file of slices holding every row (``batch[0:1000]`` of 800 rows:
        its empty siblings' files name the input). A file of a batch as mapped says no token (a
        random one), even of a discarded batch's (no rows): the same input mapped and written twice
        writes the same bytes. Of a batch the endpoint would discard (``iter_batches`` yields
        one, with no rows; or batches joined with one), why too (``"discarded"``, its
        ``reject_reason``): its counts alone would read back as records stored."""
        records = self.records
        said: dict[str, Any] = {"records": records, "failed_records": min(self.failed_records, records)}
        if len(self.reports) == 1 and self._sliced:
            said["input"] = input_token(self.reports[0])
        discarded = next((r for r in self.reports if not r.accepted), None)
        if discarded is not None:  # (its records in no row are not all refused ones: read back, it is discarded still)
            said["discarded"] = discarded.reject_reason or "a record failed"
        refused = self._refused(records, said["failed_records"]) if said["failed_records"] else None
        if refused is not None:  # which records failed, and how each is answered (see RECORDS_KEY)
            indices, only_missing = refused
            said["refused"] = runs(indices)
            if only_missing.any():
                said["missing"] = runs(np.flatnonzero(only_missing))
        return said

    def _refused(self, records: int, failed: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The failed records' indices among the ``records`` the inputs cover, and which of them
        failed for missing values only (``MissingField``), or None when a report does not list
        its failed records (a run that kept only counts) or its list does not fit its counts."""
        indices, missing = [], []
        for report, base in zip(self.reports, self.bases):
            if len(report.failed) != report.failed_records or len(report.failed_only_missing) != len(report.failed):
                return None
            indices.append(report.failed_indices() + base)
            missing.append(np.frombuffer(bytes(report.failed_only_missing), dtype=np.uint8))
        joined = np.concatenate(indices)
        if len(joined) != failed or (failed and (joined[0] < 0 or joined[-1] >= records or (np.diff(joined) <= 0).any())):
            return None
        return joined, np.concatenate(missing).astype(bool)


def _same_input(a: Report, b: Report) -> bool:
    """Whether two batches' reports are of one input: the same report (slices of one batch), or
    reports read back from files of one input's batch (its slices, written one a file), or
    unpickled from its slices (:attr:`Report.input_token`)."""
    return a is b or (a.input_token is not None and a.input_token == b.input_token)


def mapped_said(report: Any) -> dict[str, Any] | None:
    """What a file keeps of how a batch was mapped (:data:`MAPPED_KEY`), or None when its report
    is not a Report (a batch made by hand): nothing is said."""
    return {"on_error": report.on_error, "strict": report.strict} if isinstance(report, Report) else None


def inputs_said(parts: list[Batch]) -> dict[str, Any] | None:
    """What a file keeps of the input records the parts cover (:data:`RECORDS_KEY`), or None
    when a part's report is not a Report (a batch made by hand): nothing is said."""
    inputs = Inputs()
    for p in parts:
        if not isinstance(p.report, Report):
            return None
        inputs.add(p)
    return inputs.said()


def concat_batches(parts: list[Batch]) -> Batch:
    """One batch of the parts' rows, in order (see :func:`concat`, which checks them first); an
    OutputError for parts of different sinks."""
    first = parts[0]
    if len(parts) == 1:
        return first
    for part in parts[1:]:
        check_same_sink(first, part)
    columns = {}
    for name, col in first.columns.items():
        arrays = concat_arrays([ColumnArrays(p.columns[name].stored, p.columns[name].valid, p.columns[name].present, p.columns[name].offsets) for p in parts])
        columns[name] = ColumnData(name, col.ctype, arrays)
    held = [p.id_values for p in parts]
    strings = [h for h in held if isinstance(h, Strings)]
    ids = Strings.concat(strings) if len(strings) == len(held) else np.concatenate([p.ids for p in parts])  # string ids stay as held
    counter = Inputs()
    shifts, which = [], []
    for p in parts:
        shifts.append(counter.add(p))
        which.append(len(counter.reports) - 1)  # (the input each part is of)
    bases = counter.bases
    # each input's report, listing its failed records where only its rows joined tell them (files of its slices)
    inputs = [_with_failed(r, [p.record_index for p, k in zip(parts, which) if k == i]) for i, r in enumerate(counter.reports)]
    if len(inputs) == 1:
        joined = Batch._made(first.sink, ids, np.concatenate([p.record_index for p in parts]), columns, inputs[0])
        joined.sliced = any(p.sliced for p in parts)  # (slices joined are part of their input still: a file of them names it)
        return joined
    record_index = np.concatenate([p.record_index + shift for p, shift in zip(parts, shifts)])
    return Batch._made(first.sink, ids, record_index, columns, _joined_report(inputs, bases, parts))


def runs(values: np.ndarray) -> list[int]:
    """Ascending distinct whole numbers (at least 0), for a file's metadata (JSON): each as its
    step from the one before (the first from -1), and a run of consecutive ones after its first
    as its length less one, negated. ``[3, 5, 6, 7, 40]`` is ``[4, 2, -2, 33]``; a record refused
    in a hundred costs about four characters (as json.dumps writes it), and records all refused
    two numbers (``[1, -199999]``)."""
    if not len(values):
        return []
    values = np.asarray(values, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(values) != 1) + 1))
    lengths = np.diff(np.concatenate((starts, [len(values)])))
    firsts = values[starts]
    lasts = firsts + lengths - 1
    counts = 1 + (lengths > 1)
    at = np.cumsum(counts) - counts  # (where each run's step goes)
    out = np.empty(int(counts.sum()), dtype=np.int64)
    out[at] = firsts - np.concatenate(([-1], lasts[:-1]))
    longer = lengths > 1
    out[at[longer] + 1] = 1 - lengths[longer]
    return out.tolist()  # type: ignore[no-any-return]


def from_runs(said: Any, count: int | None, below: int, what: str) -> np.ndarray:
    """The numbers :func:`runs` wrote (``said``), checked to be ``count`` of them (any number for
    None), all below ``below``; a ValueError naming ``what`` they are when they are not (edited or damaged)."""
    wrong = f"it says {what} wrongly"
    if not isinstance(said, list) or not all(type(v) is int and v for v in said):
        raise ValueError(
            f"{wrong} ({preview(repr(said))}: mapper writes a list of whole numbers other than 0, a step or a run's length less one negated), edited or damaged"
        )
    total = sum(1 if v > 0 else -v for v in said)
    top = sum(abs(v) for v in said) - 1
    if (count is not None and total != count) or top >= below:
        wanted = f"{count:,} of them" if count is not None else "them all"
        raise ValueError(f"{wrong}: {total:,} of them up to {top:,}, not {wanted} below {below:,}, edited or damaged")
    if not total:
        return np.empty(0, dtype=np.int64)
    a = np.asarray(said, dtype=np.int64)  # (every partial sum is at most ``below``: no overflow)
    steps = np.repeat(np.where(a > 0, a, 1), np.where(a > 0, 1, -a))
    return np.cumsum(steps) - 1  # type: ignore[no-any-return]


def refused_records(records: int, failed: int, record_index: np.ndarray) -> np.ndarray | None:
    """The indices of an input's refused records, when its rows tell them (a batch read back from a
    file of an older mapper, which kept how many records failed, not which; or files of slices joined): of ``records`` input records,
    ``failed`` refused, the rows (``record_index``) all the others, the refused ones are those in no
    row. None when the rows do not cover every record not refused (a slice's, a discarded batch's)."""
    if not failed or len(record_index) + failed != records:
        return None
    refused = np.setdiff1d(np.arange(records, dtype=np.int64), record_index, assume_unique=True)
    return refused if len(refused) == failed else None


def _with_failed(report: Report, indices: list[np.ndarray]) -> Report:
    """``report``, or a copy listing its failed records (:func:`refused_records`) where it does not
    (files of an input's slices, read back: each keeps the input's counts only) and the rows of
    the input joined (``indices``, its parts' record indices) tell them: its endpoint answer
    answered every record stored while it counted some refused."""
    if len(report.failed) == report.failed_records:
        return report
    refused = refused_records(report.records, report.failed_records, np.concatenate(indices) if indices else np.empty(0, np.int64))
    if refused is None:
        return report
    return dataclasses.replace(report, failed=array("q", refused.tobytes()), failed_only_missing=bytearray(len(refused)))


def _joined_report(reports: list[Report], bases: list[int], parts: list[Batch]) -> Report:
    """The report of joined batches of several inputs (see :func:`concat`)."""
    policy = {(r.on_error, r.strict) for r in reports}
    if len(policy) > 1:
        k = next(k for k, p in enumerate(parts) if (p.report.on_error, p.report.strict) != (parts[0].report.on_error, parts[0].report.strict))
        a, b = parts[0].report, parts[k].report
        raise OutputError(
            f"concat: batch {k} (counting from 0) was mapped with on_error={b.on_error!r}, strict={b.strict}, batch 0 with "
            f"on_error={a.on_error!r}, strict={a.strict}: one report cannot say both (map them with the same options)"
        )
    out = join_reports(reports, bases, [0] * len(reports), reports[0].on_error, reports[0].strict)
    for k, p in enumerate(parts):
        if not p.report.accepted:
            out.accepted = False
            out.reject_reason = f"batch {k} (counting from 0) of the joined batches was discarded: {p.report.reject_reason}"
            break
    return out


def compact(arrays: ColumnArrays, keep: np.ndarray) -> ColumnArrays:
    """Only the rows where ``keep`` is True."""
    values = arrays.values
    if arrays.offsets is None:
        kept = values.take(keep) if isinstance(values, Strings) else values[keep]
        return ColumnArrays(kept, arrays.valid[keep], arrays.present[keep], None)
    offs = arrays.offsets
    lengths = np.diff(offs)[keep]
    new_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    mask = np.repeat(keep, np.diff(offs))
    return ColumnArrays(values.take(mask) if isinstance(values, Strings) else values[mask], arrays.valid[keep], arrays.present[keep], new_offsets)


def slice_arrays(col: ColumnData, start: int, stop: int) -> ColumnArrays:
    """Rows ``start`` to ``stop`` of a column (``0 <= start <= stop <= rows``): views of its arrays,
    a set's offsets made again from 0 (into the view of its rows' elements)."""
    values = col.stored
    valid, present = col.valid[start:stop], col.present[start:stop]
    offsets = col.offsets
    if offsets is None:
        part = values.slice(start, stop) if isinstance(values, Strings) else values[start:stop]
        if isinstance(part, Strings) and part.valid is not None:
            part.valid = valid  # (one mask, as the column's own strings hold it)
        return ColumnArrays(part, valid, present, None)
    a, b = int(offsets[start]), int(offsets[stop])
    part = values.slice(a, b) if isinstance(values, Strings) else values[a:b]
    return ColumnArrays(part, valid, present, offsets[start : stop + 1] - a)


def _same_values(a: np.ndarray | Strings, b: np.ndarray | Strings, keep: np.ndarray | None) -> bool:
    """Whether two columns' values (or two sets' elements) are the same where ``keep`` is True (all when None).
    Strings both held as UTF-8 compare as bytes (nothing decoded); else as ``str`` objects."""
    if isinstance(a, Strings) and isinstance(b, Strings) and a.has_utf8 and b.has_utf8 and a.chunks is None and b.chunks is None:
        (da, oa), (db, ob) = a.utf8, b.utf8
        da, db = da[oa[0] : oa[-1]], db[ob[0] : ob[-1]]  # (offsets may start past 0: a hand-built batch's)
        la, lb = np.diff(oa), np.diff(ob)
        if keep is None:
            return bool(np.array_equal(la, lb) and np.array_equal(da, db))
        kept_a, kept_b = np.repeat(keep, la), np.repeat(keep, lb)
        la[~keep] = 0  # (a row without a value is compared by its masks, not by what it holds)
        lb[~keep] = 0
        return bool(np.array_equal(la, lb) and np.array_equal(da[kept_a], db[kept_b]))
    pa, pb = plain(a), plain(b)
    if keep is not None:
        pa, pb = pa[keep], pb[keep]
    return bool(np.array_equal(pa, pb))


def _described(x: Any) -> str:
    """What an array a message names is: ``int64 of shape (3,)``, or its Python type."""
    return f"{x.dtype} of shape {x.shape}" if isinstance(x, np.ndarray) else f"a {type(x).__name__}"


def check_offsets(offsets: Any, rows: int, what: str, text: int | None = None) -> int:
    """The end of ``rows`` rows' sound ``offsets`` (row ``i`` is items ``offsets[i]:offsets[i + 1]``),
    or an :class:`~mapper.errors.OutputError` whose message begins with ``what`` (the offsets, as
    it names them: ``"column 'tags' cannot be read: its set offsets"``).

    Sound: int64, ``rows + 1`` of them, never going back; a set's from 0 (into its elements),
    strings' (``text``: the bytes of text they cut) from 0 or more to at most ``text``. The one
    check of offsets: a batch's before it is converted (:meth:`Batch.check`) and a file's as it
    is read (``read_batch``, which says it as the file's fault), once each. One numpy pass."""
    if not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.shape != (rows + 1,):
        raise OutputError(f"{what} are {_described(offsets)}, not {rows + 1} int64 (one more than its {'rows' if text is None else 'strings'})")
    if text is None:
        if offsets[0] != 0:
            raise OutputError(f"{what} start at {int(offsets[0])}, not 0")
    elif offsets[0] < 0 or offsets[-1] > text:
        raise OutputError(f"{what} run from {int(offsets[0])} to {int(offsets[-1])}, outside its {text} bytes of text")
    back = offsets[1:] < offsets[:-1]
    if back.any():
        row = int(np.argmax(back))
        raise OutputError(f"{what} go back at row {row} (counting from 0): {int(offsets[row])} then {int(offsets[row + 1])}")
    return int(offsets[-1])


def _check_strings(strings: Strings, n: int, what: str) -> None:
    """A :class:`Strings` of ``n`` strings whose forms are sound, or an OutputError naming ``what`` (its column)."""
    if strings.n != n:
        raise OutputError(f"{what} cannot be read: it holds {strings.n} strings, not {n}")
    valid = strings.valid
    if valid is not None and (not isinstance(valid, np.ndarray) or valid.dtype != np.bool_ or valid.shape != (n,)):
        raise OutputError(f"{what} cannot be read: its strings' valid mask is {_described(valid)}, not {n} bools")
    chunks = strings.chunks
    if chunks is not None:
        if sum(c.n for c in chunks) != n:
            raise OutputError(f"{what} cannot be read: its parts hold {sum(c.n for c in chunks)} strings, not {n}")
        for c in chunks:
            _check_strings(c, c.n, what)
        return
    objects, data, offsets = strings._objects, strings._data, strings._offsets
    if objects is not None and (not isinstance(objects, np.ndarray) or objects.shape != (n,)):
        raise OutputError(f"{what} cannot be read: its strings are {_described(objects)}, not {n} str objects")
    if data is None:
        return
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 1:
        raise OutputError(f"{what} cannot be read: its text is {_described(data)}, not uint8 UTF-8 bytes")
    check_offsets(offsets, n, f"{what} cannot be read: its string offsets", len(data))


class ColumnData:
    """One stored column of a :class:`Batch`.

    ``values`` holds the stored values (see the module docs for the dtype per type);
    for ``ids``/``strings`` the values of row ``i`` are ``values[offsets[i]:offsets[i+1]]``.
    ``type`` is the column type's name; ``scale`` (decimal), ``unit`` (timestamp
    granularity, recordTime ``ns``, dateInt unit) and ``digits`` (fraction digits shown)
    describe the stored numbers.
    """

    __slots__ = ("name", "type", "stored", "valid", "present", "offsets", "scale", "unit", "digits", "ctype")

    #: a value is stored, per row
    valid: NDArray[np.bool_]
    #: the row writes the column (a value stored, or the stored one cleared)
    present: NDArray[np.bool_]
    #: a set's values of row ``i`` are ``values[offsets[i]:offsets[i+1]]``; None for other types
    offsets: NDArray[np.int64] | None

    def __init__(self, name: str, ctype: ColumnType, arrays: ColumnArrays):
        self.name = name
        self.ctype = ctype
        self.type = ctype.type
        #: the values as kept: a numpy array, or :class:`Strings` (see :attr:`values`, :attr:`utf8`)
        self.stored = arrays.values
        self.valid = arrays.valid
        self.present = arrays.present
        self.offsets = arrays.offsets
        self.scale = ctype.scale
        self.unit = ctype.unit
        self.digits = ctype.digits

    @property
    def values(self) -> np.ndarray:
        """The stored values as a numpy array (strings as ``str`` objects, made when first asked for).

        Numbers are the batch's own array (an edit shows in every conversion); strings, held as
        objects and as UTF-8, are a read-only view (an edit of one form would leave the other
        behind): to edit them, give the column new objects, ``col.stored = edited`` (an object
        array, ``col.values.copy()`` edited)."""
        return shown(self.stored)

    @property
    def utf8(self) -> tuple[NDArray[np.uint8], NDArray[np.int64]] | None:
        """For ``string`` columns (and ``strings`` set elements): UTF-8 bytes and int64 offsets
        (read-only, as :attr:`values`' strings); else None. A column given new objects
        (``col.stored = edited``, as :attr:`values` says) is encoded from them, each time."""
        stored = self._held()
        if stored is not self.stored:
            # (objects given by hand: checked as every writer checks them, each stored value a str,
            # the row named by the valid mask's account; then encoded)
            self.check(len(self.valid))
        if not isinstance(stored, Strings):
            return None
        data, offsets = stored.utf8
        return _read_only(data), _read_only(offsets)

    def _held(self) -> Any:
        """The stored values as mapping holds them: str objects given by hand (``col.stored =
        edited``, an object array) as a :class:`Strings` (made anew each time), which Arrow and the
        writers read as they read mapping's own (a lone surrogate, which :meth:`check` refuses
        first, as ``surrogatepass`` writes it: ``pyarrow.array`` refused it in the codec's words,
        "surrogates not allowed", naming no row)."""
        stored = self.stored
        if isinstance(stored, np.ndarray) and stored.dtype == object and self.ctype.type in ("string", "strings"):
            return Strings.from_objects(stored, self.valid if self.offsets is None else None)
        return stored

    def __len__(self) -> int:
        return len(self.valid)

    def __repr__(self) -> str:
        return f"<ColumnData {self.name!r} {self.type} rows={len(self)} values={int(self.valid.sum())} nulls={self.null_count}>"

    @property
    def null(self) -> NDArray[np.bool_]:
        """Rows whose stored value is cleared: by a JSON null, or by what the type clears on
        (a ``bool`` on a missing value or ``""`` too; README *Null, missing*)."""
        return self.present & ~self.valid

    @property
    def missing(self) -> NDArray[np.bool_]:
        """Rows that leave the column alone: nothing sent, or what the type writes nothing for
        (a JSON null or ``""`` into a non-mutex ``string``, ...)."""
        return ~self.present

    @property
    def null_count(self) -> int:
        return int(np.count_nonzero(self.null))

    def check(self, rows: int) -> None:
        """Raise :class:`~mapper.errors.OutputError` naming the column if its arrays are not ``rows``
        rows of its type (a batch made or edited by hand): read as they are, numpy and pyarrow would
        read other rows' values, or past the buffers, crashing the process; or if a row holds a value
        it says is not present (``to_rows`` would leave it out, and a file written from it would not
        read back). A numpy pass over the masks, and one over the offsets of a set or of strings
        held as UTF-8."""
        what = f"column {self.name!r}"
        for mask, which in ((self.valid, "valid"), (self.present, "present")):
            if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (rows,):
                raise OutputError(f"{what} cannot be read: its {which} mask is {_described(mask)}, not {rows} bools")
        stray = self.valid & ~self.present
        if stray.any():  # (to_rows left such a value out, and read_batch refused the file it was written to)
            row = int(np.argmax(stray))
            raise OutputError(
                f"{what} cannot be read: it holds a value in row {row} (counting from 0) that its presence mask says was not sent: a stored value is always present"
            )
        count = rows
        if self.ctype.storage in ("uint64set", "strset"):
            count = check_offsets(self.offsets, rows, f"{what} cannot be read: its set offsets")
        elif self.offsets is not None:
            raise OutputError(f"{what} cannot be read: it has set offsets, and {article(self.type)} column holds one value a row")
        values = self.stored
        if self.offsets is not None and isinstance(values, (Strings, np.ndarray)) and len(values) != count:
            raise OutputError(f"{what} cannot be read: its set offsets end at {count}, and it holds {len(values)} elements")
        if isinstance(values, Strings) and self.ctype.storage not in ("str", "strset"):
            raise OutputError(f"{what} cannot be read: it holds strings, and {article(self.type)} column holds numbers")
        if isinstance(values, Strings):
            _check_strings(values, count, what)
            own = values.valid  # (None: a set's elements; else as ``valid``, or to_rows and to_arrow would tell two stories)
            if self.offsets is None and own is not None and own is not self.valid and not np.array_equal(own, self.valid):
                row = int(np.argmax(own != self.valid))
                raise OutputError(
                    f"{what} cannot be read: its strings' valid mask says {bool(own[row])} in row {row} (counting from 0), its valid mask {bool(self.valid[row])}"
                )
            return
        want = _DTYPES[self.ctype.storage]
        if not isinstance(values, np.ndarray) or values.dtype != want or values.shape != (count,):
            held = "str objects" if want.kind == "O" else f"{want} values"
            raise OutputError(f"{what} cannot be read: its values are {_described(values)}, not the {count} {held} of {article(self.type)} column")
        if want.kind == "O":  # (objects given by hand, col.stored = ...: each stored value a str)
            _check_str_objects(
                values, None if self.offsets is not None else self.valid, what, "element" if self.offsets is not None else "row", rows=self.offsets
            )

    def canonical(self) -> list[Any]:
        """Each row's value in the canonical JSON form (:data:`mapper.MISSING` for missing rows)."""
        present = self.present.tolist()
        if self.offsets is None:
            out = self.ctype.render_all(self.values)
        else:
            flat = self.values.tolist()
            offs = self.offsets.tolist()
            out = [flat[a:b] for a, b in zip(offs[:-1], offs[1:])]
        for i in np.flatnonzero(~self.valid).tolist():
            out[i] = None if present[i] else MISSING
        return out


class Batch:
    """The columns the endpoint would store for the accepted records of a batch.

    ``ids`` is ``_id`` per row (uint64 for an ``id_field`` sink, an object array of
    str for primary keys); ``record_index`` is each row's index in the input;
    ``columns`` maps column names (definition order, identity-only columns left
    out as the ingester does) to :class:`ColumnData`; ``report`` is the batch's report.
    String ``_id`` values may be held as UTF-8 (a batch mapped with workers): the
    object array is made the first time ``ids`` is read (:attr:`id_values` is the
    held form, for writers and Arrow).
    """

    def __init__(self, sink: Sink, ids: np.ndarray | Strings, record_index: np.ndarray, columns: dict[str, ColumnData], report: Report):
        # (a batch made by hand: string ids given as objects are each a str, checked once, here, as
        # the ids setter checks them; every conversion reads them so, check() reads only their shape)
        if isinstance(ids, np.ndarray) and ids.dtype == object and ids.ndim == 1:
            _check_str_objects(ids, None, "the batch's _id", fails="cannot be made so")
        self._set(sink, ids, record_index, columns, report)

    #: each row's index in the input (int64)
    record_index: NDArray[np.int64]

    def _set(self, sink: Sink, ids: np.ndarray | Strings, record_index: np.ndarray, columns: dict[str, ColumnData], report: Report) -> None:
        self.sink = sink
        self._ids = ids
        self.record_index = record_index
        self.columns = columns
        self.report = report

    @classmethod
    def _made(cls, sink: Sink, ids: np.ndarray | Strings, record_index: np.ndarray, columns: dict[str, ColumnData], report: Report) -> Batch:
        """A batch of arrays mapper made (mapped, sliced, joined, read back and checked): its ids are
        not checked again (each string a str: ~36 ms a million, on every map of a primary key sink)."""
        batch = cls.__new__(cls)
        batch._set(sink, ids, record_index, columns, report)
        return batch

    #: A slice of a batch (:meth:`slice`, ``batch[a:b]``), or a batch read back from a file of one,
    #: whatever rows it holds: a file of it names its input (:meth:`Inputs.said`), so that the file of
    #: a slice holding every row joins the files of its empty siblings (``batch[0:1000]`` of a batch of
    #: 800 rows and ``batch[1000:2000]``). A batch as mapped is not one: its file names no input.
    sliced = False

    @property
    def ids(self) -> np.ndarray:
        """``_id`` per row: uint64, or an object array of ``str`` for primary keys (read-only when
        they are also held as UTF-8, as :attr:`ColumnData.values`' strings)."""
        return shown(self._ids)

    @ids.setter
    def ids(self, ids: np.ndarray | Strings) -> None:
        if isinstance(ids, np.ndarray) and ids.dtype == object:  # (string ids given by hand: each a str, as written; checked once, here)
            _check_str_objects(ids, None, "the batch's _id", fails="cannot be set so")
        self._ids = ids

    @property
    def id_values(self) -> np.ndarray | Strings:
        """``_id`` per row as held: uint64, or :class:`Strings` / an object array for primary keys."""
        return self._ids

    @property
    def count(self) -> int:
        """Rows in the batch (accepted records)."""
        return len(self.record_index)

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, name: str) -> ColumnData: ...

    @overload
    def __getitem__(self, name: builtins.slice) -> Batch: ...

    def __getitem__(self, name: str | builtins.slice) -> ColumnData | Batch:
        """``batch["altitude"]``: a column (:class:`ColumnData`); ``batch[10:20]``: those rows, a
        :class:`Batch` (see :meth:`slice`)."""
        if isinstance(name, slice):
            return self._rows(name)
        try:
            return self.columns[name]
        except (KeyError, TypeError):  # (TypeError: an unhashable name)
            identity = [c.name for c in self.sink.columns if c.name not in self.columns]
            hint = f"; {name!r} only makes the record's _id: batch.ids" if name in identity else ""
            if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
                hint = (
                    "; a batch is indexed by column name: its rows are batch.to_rows()[i], a column's values batch[name].values[i], "
                    "and a batch of row i is batch[i:i + 1]"
                )
            raise KeyError(f"no column {int_text(name, repr)} in the batch (columns: {', '.join(map(repr, self.columns))}){hint}") from None

    def slice(self, offset: int = 0, length: int | None = None) -> Batch:
        """``length`` rows from row ``offset`` (all to the end when None), as ``pyarrow.Table.slice``
        and polars' ``DataFrame.slice`` take them; a negative ``offset`` counts from the end (as
        polars': ``slice(-12, 5)`` of 10 rows is rows 0 to 2, the window's rows there are), and rows
        past the end are not there (a slice past it is empty).
        ``batch.slice(10, 5)`` is ``batch[10:15]``.

        A slice is a :class:`Batch` of those rows: its ``record_index`` still names each row's
        record in the input, and its ``report`` is the whole batch's (the run's errors and
        counts, not the slice's). Its arrays are views of the batch's, as numpy's slices are
        (nothing copied, so a slice is made in microseconds whatever its length; an edit of
        one's arrays shows in the other). Only rows in order are sliced: ``batch[::2]``
        is an :class:`~mapper.errors.OptionError`.
        """
        # (read as every integer option of the API is: np.int64 taken, as anything operator.index takes, a bool refused)
        offset = whole_number(offset, "Batch.slice()'s offset", of="rows")
        length = None if length is None else whole_number(length, "Batch.slice()'s length", least=0, of="rows", why=" (or None: to the end)")
        start = offset + self.count if offset < 0 else offset
        stop = self.count if length is None else start + length  # (the window from there, then cut to the rows: polars')
        start = min(max(start, 0), self.count)
        return self._sliced(start, min(max(stop, start), self.count), True)

    def _rows(self, key: builtins.slice) -> Batch:
        """``batch[start:stop]``: Python's slice of the rows (negative bounds count from the end)."""
        # (each bound read as every integer option of the API is, and as Batch.slice reads its own: a bool refused, np.int64 taken)
        for part in ("start", "stop", "step"):
            bound = getattr(key, part)
            if bound is not None:
                whole_number(bound, f"the {part} of a batch's rows (batch[start:stop])", why=" (or None)")
        start, stop, step = key.indices(self.count)
        if step != 1:
            raise OptionError(f"a batch's rows are sliced with a step of 1 only (batch[a:b]: rows next to each other, in order), not {int_text(step)}")
        return self._sliced(start, max(start, stop), True)

    def _sliced(self, start: int, stop: int, sliced: bool = False) -> Batch:
        """Rows ``start`` to ``stop`` (``0 <= start <= stop <= count``); ``sliced``: a slice the user asked for (:attr:`sliced`)."""
        try:
            ids = self._ids.slice(start, stop) if isinstance(self._ids, Strings) else self._ids[start:stop]
            columns = {name: ColumnData(name, col.ctype, slice_arrays(col, start, stop)) for name, col in self.columns.items()}
            part = Batch._made(self.sink, ids, self.record_index[start:stop], columns, self.report)
            part.sliced = sliced
            return part
        except (IndexError, TypeError, ValueError, AttributeError):  # (a batch made or edited by hand whose arrays do not fit)
            self.check()  # says which
            raise

    def equals(self, other: object) -> bool:
        """Whether ``other`` is a batch of the same rows: a sink of the same definition, the same
        ``_id`` and ``record_index`` per row, the same columns in the same order, and in each the same
        ``valid`` and ``present`` masks and the same values where a value is stored (a null and a
        missing value are different rows). ``batch == other`` says the same (as
        ``pyarrow.Table`` does; batches are not hashable). NDJSON, a JSON array and the same records as
        dicts give equal batches; a slice equals a batch only of the same records' rows (its
        ``record_index``).

        The reports are not compared: the same rows come of inputs whose reports differ (line numbers,
        the errors of records left out, a slice's report is the whole batch's); compare
        ``report.to_dict()`` for that. Each batch is checked first (:meth:`check`): a batch whose
        arrays do not fit together is an :class:`~mapper.errors.OutputError`, not an answer.
        """
        if not isinstance(other, Batch):
            return False
        if other is self:
            return True
        if not _same_sink(self, other):
            return False
        self.check()
        other.check()
        if list(other.columns) != list(self.columns) or not np.array_equal(self.record_index, other.record_index):
            return False
        if not _same_values(self.id_values, other.id_values, None):
            return False
        for name, col in self.columns.items():
            o = other.columns[name]
            if not (np.array_equal(col.valid, o.valid) and np.array_equal(col.present, o.present)):
                return False
            if col.offsets is None:
                if not _same_values(col.stored, o.stored, col.valid):
                    return False
            elif o.offsets is None or not np.array_equal(col.offsets, o.offsets) or not _same_values(col.stored, o.stored, None):
                return False
        return True

    def __eq__(self, other: object) -> bool:
        """:meth:`equals` of another batch (the same rows of one definition)."""
        if not isinstance(other, Batch):
            return NotImplemented
        return self.equals(other)

    #: Batches compare by their rows, which can change (their arrays are numpy's): no hash, as numpy arrays and pyarrow tables have none.
    __hash__ = None  # type: ignore[assignment]

    #: numpy leaves a batch alone in its operators (``np.int64(3) == batch`` is the batch's ``==``: False):
    #: it took the batch for a sequence of rows and iterating it raised TypeError.
    __array_ufunc__ = None

    def __contains__(self, name: object) -> bool:
        """Whether the batch has a column of this name (not an identity-only column: see :attr:`ids`)."""
        try:
            return name in self.columns
        except TypeError:  # (an unhashable name)
            return False

    def __iter__(self) -> Iterator[Any]:
        """Refused: with ``len`` the rows and ``[]`` the columns, iterating a batch would say neither
        (Python would iterate ``batch[0]``, ``batch[1]``, ... as a sequence's items)."""
        raise TypeError("a Batch is not iterated: its rows are batch.to_rows() (or iter_rows()), its column names batch.columns")

    def __repr__(self) -> str:
        return f"<Batch rows={self.count} columns={list(self.columns)}>"

    def check(self) -> None:
        """Raise :class:`~mapper.errors.OutputError` naming what is wrong if the batch's arrays do not
        fit together (a batch made or edited by hand): ``to_rows``, ``to_arrow``, ``to_pandas`` and
        ``to_polars`` check first, as numpy and pyarrow would read them as they are, other rows'
        values or past the buffers (crashing the process); or if a string ``_id`` is no ``str``
        (``batch.ids[0] = 5``: ids held as objects are edited in place), naming its row. See
        :meth:`ColumnData.check`."""
        check_arrays(self)
        check_id_objects(self, "cannot be read")

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """One dict per row in the canonical form: ``_id`` first, then the columns."""
        yield from self.to_rows()

    def to_rows(self) -> list[dict[str, Any]]:
        """All rows in the canonical form: ``_id`` first, then each column sent (a missing value has no key).

        Built column by column: each column rendered at once, the rows zipped from
        them, and only the missing cells taken out again.
        """
        self.check()  # (each string _id a str too: a row's, not the ids' conversion)
        names = ["_id", *self.columns]
        try:
            ids = self.ids.tolist()
        except UnicodeDecodeError:  # (string ids held as UTF-8 that is not, made by hand)
            check_text(self)
            raise
        rendered = [ids] + [_canonical(col) for col in self.columns.values()]
        rows = [dict(zip(names, values)) for values in zip(*rendered)]
        for name, col in self.columns.items():
            for i in np.flatnonzero(~col.present).tolist():
                del rows[i][name]
        return rows

    def to_arrow(self, *, presence: bool = True, record_index: bool = True) -> pyarrow.Table:
        """A ``pyarrow.Table`` of the batch; needs the ``arrow`` extra.

        Columns: ``_id``, ``_record_index`` (each row's index in the input), then each
        column (null where no value was stored) followed by ``<name>.present`` (bool:
        False where the row leaves the column alone; a null where it is True clears the
        stored value, see :attr:`ColumnData.null`) -
        the same convention as ``.npz`` files, and what :func:`mapper.read_batch` reads
        back. ``presence=False`` / ``record_index=False`` leave those out (each is True or
        False: anything else is an :class:`~mapper.errors.OptionError`). Numbers,
        decimals (``decimal128(38, scale)``), timestamps (the column's unit, UTC), sets
        and strings held as UTF-8 are handed over from the batch's own buffers; strings
        held only as Python objects (what the decoders make) are made UTF-8 first, or read
        by ``pyarrow.array`` once the process has made about 4M strings that way (its first
        call imports pandas: see :func:`mapper.types.base.arrow_strings`).
        The schema's metadata holds the sink definition (``mapper.sink``), the ``on_error``
        and ``strict`` the batch was mapped with (``mapper.mapped``), how many input records
        it covers and how many of them were refused, and which (``mapper.records``: :data:`RECORDS_KEY`;
        these two not for a batch whose report is not a Report, made by hand; the counts,
        with ``record_index=False``, only when its rows are records 0, 1, 2 ..., the numbers
        :func:`mapper.read_batch` then gives them) and the names
        of the record index and presence fields (``mapper.fields``): when a column is
        itself named ``_record_index`` or ``<other>.present``, mapper's field takes the
        name with ``_`` appended (as many as it needs to be unique). Each column's field
        says what its numbers mean (``mapper.column``: :meth:`mapper.types.ColumnType.meaning`,
        JSON), which :func:`mapper.read_batch` holds against the sink of a file saved
        from the table (with ``pyarrow.parquet.write_table``, say). Text that is not UTF-8 (a
        lone surrogate given by hand, ``batch["s"].stored = edited``) is an
        :class:`~mapper.errors.OutputError` naming the column and row, as :meth:`check`, ``to_rows``
        and every writer say it (:func:`text_refused`): Arrow and Parquet hold UTF-8 only, and another
        reader of the table or of a file written from it would meet bytes that are no text.
        """
        _check_options("to_arrow", presence, record_index)
        table = self._table(presence, record_index)
        self._refuse_non_utf8(table)
        return table

    def _table(self, presence: bool, record_index: bool) -> pyarrow.Table:
        """:meth:`to_arrow`'s table, its text as the batch holds it (each caller refuses what its target does not take)."""
        pa = optional_import("pyarrow", "arrow", "Batch.to_arrow()")
        check_arrays(self)  # (an _id that is no str is named where its conversion fails)
        taken = {"_id", *self.columns}

        def free(name: str) -> str:
            while name in taken:
                name += "_"
            taken.add(name)
            return name

        failed = None
        try:
            arrays = [self.ids_to_arrow(pa)]
        except (TypeError, ValueError, pa.ArrowException) as exc:  # (objects that are not str among string ids, made or edited by hand)
            failed = f"its _id cannot be made an Arrow array: {exc}"
        if failed is not None:
            check_id_objects(self, "cannot be made an Arrow array")  # (which row: pyarrow's words name none)
            raise OutputError(failed)
        fields: dict[str, Any] = {"record_index": None, "presence": {}}
        schema = [pa.field("_id", arrays[0].type)]
        if record_index:
            arrays.append(arrow_fixed(self.record_index, None, pa.int64(), pa))
            fields["record_index"] = free("_record_index")
            schema.append(pa.field(fields["record_index"], pa.int64()))
        for name, col in self.columns.items():
            try:
                arrays.append(col.ctype.to_arrow(col._held(), col.valid, col.offsets, pa))
            except (TypeError, ValueError, pa.ArrowException) as exc:  # (objects that are not str in a string column, made by hand)
                raise OutputError(f"column {name!r} cannot be made an Arrow array: {exc}") from None
            schema.append(pa.field(name, arrays[-1].type, metadata={MEANING_KEY: json.dumps(col.ctype.meaning()).encode()}))
            if presence:
                arrays.append(arrow_fixed(col.present, None, pa.bool_(), pa))
                schema.append(pa.field(fields["presence"].setdefault(name, free(f"{name}.present")), pa.bool_()))
        meta = {
            b"mapper.sink": json.dumps(self.sink.to_body(), ensure_ascii=False).encode(),
            b"mapper.presence": b"<column>.present" if presence else b"",
            b"mapper.fields": json.dumps(fields, ensure_ascii=False).encode(),
        }
        mapped, covered = mapped_said(self.report), inputs_said([self])
        if mapped is not None:  # (how it was mapped: read_batch's report says it, and concat joins it with batches mapped so)
            meta[MAPPED_KEY] = json.dumps(mapped).encode()
        if covered is not None and not record_index and not np.array_equal(self.record_index, np.arange(len(self.record_index))):
            # without its record index a table's rows read back as records 0, 1, 2 ...: counts that
            # place refused records among them would contradict that (read_batch: "edited or damaged")
            covered = None
        if covered is not None:
            # ... and the input records it covers, refused ones included, which its rows do not
            # say: a table saved as it is (pyarrow.parquet.write_table) is read back whole. (A
            # file mapper writes says them of all its parts instead: mapper.writers.ArrowWriter.)
            meta[RECORDS_KEY] = json.dumps(covered).encode()
        return pa.Table.from_arrays(arrays, schema=pa.schema(schema, metadata=meta))

    def ids_to_arrow(self, pa: Any) -> Any:
        """The ``_id`` column as a ``pyarrow`` array: ``uint64``, or ``string`` for string identities."""
        ids = self._ids
        if isinstance(ids, np.ndarray) and ids.dtype != object:
            return arrow_fixed(ids, None, pa.uint64(), pa)
        return arrow_strings(ids if isinstance(ids, Strings) else Strings.from_objects(ids), None, pa)

    def to_pandas(self, *, presence: bool = True, record_index: bool = True) -> pandas.DataFrame:
        """A ``pandas.DataFrame`` via Arrow (needs the ``arrow`` and ``pandas`` extras); options as :meth:`to_arrow`.

        Integer and bool columns are pandas' nullable dtypes (``Int64``, ``UInt64``,
        ``boolean``): numpy's would turn a column holding a null into float64, which
        rounds integers beyond 2**53 (and a uint64 id to 2**64).

        A time pandas cannot hold is an OutputError naming its column and row, not a
        value lost: pandas' NaT *is* the least int64 (-2**63), so a ``recordTime`` (ns)
        of 1677-09-21T00:12:43.145224192Z, which mapping stores, would read as a null
        (``to_arrow`` and ``to_polars`` keep it).
        """
        optional_import("pyarrow", "pandas", "Batch.to_pandas()")  # (named as called, with the extra that brings both: not "Batch.to_arrow() needs pyarrow")
        pd = optional_import("pandas", "pandas", "Batch.to_pandas()")
        _check_options("to_pandas", presence, record_index)  # (named as called: not "Batch.to_arrow() takes ...")
        table = self._table(presence, record_index)
        self._refuse_non_utf8(table)
        import pyarrow as pa  # (to_arrow has checked it is there)

        for name, col in self.columns.items():
            if pa.types.is_timestamp(col.ctype.arrow_type(pa)):
                nat = (col.stored == _INT64_MIN) & col.valid  # type: ignore[operator]  # (a time column holds int64)
                if nat.any():
                    row = int(np.argmax(nat))
                    raise OutputError(
                        f"column {name!r} cannot be a pandas column: row {row} (counting from 0) holds {col.ctype.render()(_INT64_MIN)}, "
                        "the least 64-bit count of its unit, which pandas reads as NaT (a null); to_arrow and to_polars keep it"
                    )

        nullable = {pa.int64(): pd.Int64Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.int32(): pd.Int32Dtype(), pa.bool_(): pd.BooleanDtype()}
        try:
            return table.to_pandas(types_mapper=nullable.get)
        except (ValueError, pa.ArrowException) as exc:
            raise OutputError(f"the batch cannot be a pandas DataFrame: {first_line(exc)}") from None

    def to_polars(self, *, presence: bool = True, record_index: bool = True) -> polars.DataFrame:
        """A ``polars.DataFrame`` via Arrow (needs the ``arrow`` and ``polars`` extras); options as :meth:`to_arrow`."""
        optional_import("pyarrow", "polars", "Batch.to_polars()")  # (as to_pandas)
        pl = optional_import("polars", "polars", "Batch.to_polars()")
        for name in self.columns:
            if "\x00" in name:  # polars cuts a name there: the column and its .present would be one name (or another column's)
                raise OutputError(f"column {name!r} cannot be a polars column: polars cuts names at the NUL character (to_arrow and to_pandas keep it)")
        _check_options("to_polars", presence, record_index)
        table = self._table(presence, record_index)
        self._refuse_non_utf8(table)
        frame = pl.from_arrow(table)
        if frame.columns != table.column_names:  # (from_arrow names a column named "" column_N: a nameless recordTime's)
            frame.columns = table.column_names
        return frame

    def _refuse_non_utf8(self, table: Any) -> None:
        """:func:`text_refused` of the first column (or the _id) whose text in ``table`` is not UTF-8
        (bytes given by hand, or a str edited into string ids held as objects, which the conversion
        made UTF-8 as it found them): pandas' conversion refused it with pyarrow's words, polars took
        it without a word and panicked on it later (PanicException), Arrow's and Parquet's files held
        it. Arrow's own check of the table's text first (in C), the place found only when it fails."""
        text = ["_id"] if self.sink.id_kind == "string" else []
        text += [n for n, c in self.columns.items() if c.ctype.storage in ("str", "strset")]
        if all(_valid_text(table.column(n)) for n in text):
            return
        check_text(self)


def negative_record_index(record_index: np.ndarray, name: str) -> str | None:
    """What is wrong with a batch's record indexes (int64, of one dimension) holding a negative one,
    naming ``name`` and its first row; None when none is: :meth:`Batch.check` and
    :func:`mapper.read_batch` say it alike."""
    if not len(record_index) or int(record_index.min()) >= 0:
        return None
    row = int(np.flatnonzero(record_index < 0)[0])  # (the first: argmin named the least)
    return f"its {name} holds {int(record_index[row])} in row {row} (counting from 0): a record's index in its input is never negative"


def check_arrays(batch: Batch) -> None:
    """:meth:`Batch.check` but for the type of each string ``_id`` held as an object (their
    shape is checked): what the conversions check first. Ids held as objects alone are one
    form, edited in place as they are, and a scan of every one's type on each conversion of a
    batch mapper made costs about what making their UTF-8 does (10-40 ms a million): the
    conversions ask :func:`check_id_objects` where theirs fails, or (to_rows) where it would not."""
    index = batch.record_index
    if not isinstance(index, np.ndarray) or index.dtype != np.int64 or index.ndim != 1:
        raise OutputError(f"the batch cannot be read: its record_index is {_described(index)}, not int64 of one dimension")
    rows = len(index)
    negative = negative_record_index(index, "record_index")
    if negative:  # (read_batch refuses the file of such a batch: one edited by hand, refused before it is written)
        raise OutputError(f"the batch cannot be read: {negative}")
    ids = batch.id_values
    if isinstance(ids, Strings):
        _check_strings(ids, rows, "its _id")
    elif not isinstance(ids, np.ndarray) or ids.dtype != (np.uint64 if batch.sink.id_kind == "uint64" else object) or ids.shape != (rows,):
        want = "uint64 ids" if batch.sink.id_kind == "uint64" else "string ids (str objects)"
        raise OutputError(f"the batch cannot be read: its _id is {_described(ids)}, not the {rows} {want} of its sink (one a row of its record_index)")
    for col in batch.columns.values():
        col.check(rows)


def check_id_objects(batch: Batch, fails: str) -> None:
    """An :class:`~mapper.errors.OutputError` naming the first string ``_id`` held as an object
    that is no ``str`` (``batch.ids[0] = 5``), its row and what it holds (``fails``: what cannot be
    done with it): where a conversion of the ids failed (pyarrow's or the join's "expected str
    instance, int found" names no row), and before to_rows, which gave the object as the ``_id``
    (an NDJSON file wrote ``"_id":5``)."""
    ids = batch.id_values
    if isinstance(ids, np.ndarray) and ids.dtype == object:
        _check_str_objects(ids, None, "its _id", fails=fails)


def _valid_text(column: Any) -> bool:
    """Whether a ``pyarrow`` column of strings holds UTF-8 only (Arrow's own full check, in C)."""
    try:
        column.validate(full=True)
    except ValueError:  # ArrowInvalid
        return False
    return True


def _check_options(method: str, presence: Any, record_index: Any) -> None:
    """An OptionError naming ``Batch.<method>()`` unless ``presence`` and ``record_index`` are each True or False."""
    for what, value in (("presence", presence), ("record_index", record_index)):
        if value is not True and value is not False:  # ("no" was taken as True, None as False)
            raise OptionError(f"Batch.{method}() takes {what}=True or False, not {value!r}")


def _canonical(col: ColumnData) -> list[Any]:
    """``col.canonical()``, text that is not UTF-8 (in a batch made by hand) an OutputError naming the column and row."""
    try:
        return col.canonical()
    except UnicodeDecodeError:
        where = text_fault(col.stored, col.offsets)
        if where is None:  # pragma: no cover - the error was another string's
            raise
        raise text_refused(f"column {col.name!r}", where) from None


# --- the one rule for text a batch holds ----------------------------------------------------------
#
# Text is UTF-8, as Arrow and Parquet hold it: every output (to_arrow and what is made from it,
# the .arrow, .parquet, .npz and NDJSON writers, to_rows) and batch.check() refuse anything else
# in these words, naming the column (or _id) and row. A str may hold what UTF-8 has no form for,
# a lone UTF-16 surrogate ("\ud800"), which mapping never stores (it stores U+FFFD, as the
# endpoint's decoder does): given by hand, an .npz kept it as ``surrogatepass`` encodes it (bytes
# no other reader takes as text) and NDJSON as its escape (read again, by mapper or the endpoint,
# U+FFFD), so a file did not read back as the batch written. Text mapping made is sound and is not
# looked at again where that would cost (its objects are read-only); what a user can give (str
# objects: a column's ``stored``, string ids) is checked with their types, and every writer checks
# the bytes it writes (Arrow's own check, the .npz's UTF-8, orjson's refusal), naming the place.


def text_refused(what: str, where: str) -> OutputError:
    """The refusal of text that is not UTF-8 (:func:`text_fault` says ``where``), in the words
    every output and :meth:`Batch.check` use."""
    return OutputError(f"{what} holds text that is not UTF-8 in {where}; Arrow, Parquet, .npz and NDJSON files hold UTF-8 text only")


def text_fault(values: Any, rows: np.ndarray | None = None, valid: np.ndarray | None = None) -> str | None:
    """Where text a batch holds first breaks the rule (UTF-8 only), and why, as a message names it
    (``"row 3 (counting from 0): a UTF-16 surrogate, '\\ud800', ..."``); None when it keeps it, or
    ``values`` are not text. ``values``: an object array of ``str`` (given by hand; rows where
    ``valid`` is False are not looked at, nor objects that are no str, which the type check names)
    or a :class:`Strings`, each part in the form it holds (its UTF-8 decoded strictly, else its
    objects encoded strictly). ``rows``: a set column's offsets (the element named too).
    A whole-array pass: a join and ``isascii`` of objects, a numpy pass over bytes; the place
    is looked for only when one fails."""
    if isinstance(values, Strings):
        at = 0
        for part in values.chunks or [values]:
            if part.has_utf8:
                found = _utf8_fault_at(*part.utf8)
            elif part.has_objects:
                found = _objects_fault_at(_masked(part.objects, part.valid))
            else:  # pragma: no cover - a Strings holds one form at least
                found = None
            if found is not None:
                return f"{_place(at + found[0], rows)}: {found[1]}"
            at += part.n
        return None
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        found = _objects_fault_at(_masked(values, valid))
        return None if found is None else f"{_place(found[0], rows)}: {found[1]}"
    return None


def _masked(objects: np.ndarray, valid: np.ndarray | None) -> list[Any]:
    """``objects`` as a list, ``""`` where ``valid`` says no value is (what is written there)."""
    items = objects.tolist()
    if valid is not None and len(valid) == len(items) and not valid.all():
        items = [s if ok else "" for s, ok in zip(items, valid.tolist())]
    return items


def _objects_fault_at(items: list[Any]) -> tuple[int, str] | None:
    """The first of ``items`` that is a str UTF-8 has no form for, and why (objects that are no
    str are passed over: the type check names them)."""
    try:
        joined = "".join(items)
    except TypeError:  # (None where no value is, or an object the type check names)
        items = [s if isinstance(s, str) else "" for s in items]
        joined = "".join(items)
    if joined.isascii():
        return None
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError as exc:
        ends = np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)))
        return int(np.searchsorted(ends, exc.start, side="right")), _surrogate_said(joined[exc.start])
    return None


def _utf8_fault_at(data: np.ndarray, offsets: np.ndarray) -> tuple[int, str] | None:
    """The first string of UTF-8 ``data`` cut at sound ``offsets`` that does not decode, and why.
    One pass over the bytes the strings cover (numpy's, for ASCII), one decode of them, then no
    string may end inside a character (the next one would start inside it)."""
    start, end = int(offsets[0]), int(offsets[-1])
    span = data[start:end]
    if not len(span) or int(span.max()) < 0x80:
        return None
    raw = span.tobytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return int(np.searchsorted(offsets, start + exc.start, side="right")) - 1, _undecoded(raw, exc)
    starts = offsets[:-1][offsets[:-1] < end]
    inside = np.flatnonzero((data[starts] & 0xC0) == 0x80)
    if len(inside):
        # (the string before it is cut: the one holding the byte before; the whole decoded, that byte is no first one)
        return int(np.searchsorted(offsets, int(starts[inside[0]]) - 1, side="right")) - 1, "its text ends inside a UTF-8 character"
    return None


def utf8_fault(data: np.ndarray, offsets: np.ndarray, rows: np.ndarray | None = None) -> tuple[str, str] | None:
    """Where strings held as UTF-8 (``data`` cut at sound ``offsets``) first fail to decode, and why:
    ``("row 3 (counting from 0)", "invalid start byte")``; None if they are sound (the rule of
    :func:`text_fault`, for a file's bytes). ``rows``: a set column's offsets (the element named too)."""
    found = _utf8_fault_at(data, offsets)
    return None if found is None else (_place(found[0], rows), found[1])


def _undecoded(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Why UTF-8 text failed to decode where ``exc`` says: the codec's words, or a UTF-16 surrogate
    named (as ``surrogatepass`` writes it: an older mapper's .npz, or bytes given by hand, which the
    codec calls an "invalid continuation byte")."""
    try:
        char = raw[exc.start : exc.start + 3].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return exc.reason
    if len(char) == 1 and "\ud800" <= char <= "\udfff":
        return _surrogate_said(char)
    return exc.reason


def _surrogate_said(char: str) -> str:
    return f"a UTF-16 surrogate, {char!r}, which UTF-8 has no form for (mapping stores a lone one as U+FFFD)"


def _place(string: int, rows: np.ndarray | None) -> str:
    """String ``string`` (counted from 0) as a message names it: its row, and of a set column
    (``rows``: its offsets) the element too."""
    if rows is None:
        return f"row {string} (counting from 0)"
    row = int(np.searchsorted(rows, string, side="right")) - 1
    return f"row {row} (counting from 0), its element {string - int(rows[row])}"


def check_text(batch: Batch) -> None:
    """:func:`text_refused` of the first text of ``batch`` (its string ids, then its columns in
    order) that is not UTF-8, in whatever form it is held; nothing when all is. What an output
    asks when its own check failed (Arrow's, the .npz's, orjson's), to name the place."""
    ids = batch.id_values
    where = text_fault(ids)
    if where is not None:
        raise text_refused("its _id", where)
    for name, col in batch.columns.items():
        where = text_fault(col.stored, col.offsets, col.valid if col.offsets is None else None)
        if where is not None:
            raise text_refused(f"column {name!r}", where)


def first_line(exc: BaseException) -> str:
    """An error's message, its first line (pyarrow's run on over several), or its class."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def assemble(
    sink: Sink, stored: list[tuple[str, ColumnType]], columns: dict[str, ColumnArrays], ids: np.ndarray | Strings, report: Report, rows: bool = True
) -> Batch:
    """The batch of a finished, accepted run: columns in definition order, failed rows dropped.

    ``columns`` holds every row of the run (one per record); ``report.failed`` says
    which records failed. ``rows=False``: the batch of a discarded run, with no rows
    (``columns`` and ``ids`` are then not read).
    """
    if not rows:
        empty = {name: ColumnData(name, ctype, ColumnBuilder(ctype.storage, 16).finish(0)) for name, ctype in stored}
        # (not plain(ids)[:0]: string ids held as UTF-8 would all be decoded, to keep none)
        none = Strings.from_objects(np.empty(0, dtype=object)) if isinstance(ids, Strings) else ids[:0]
        return Batch._made(sink, none, np.empty(0, dtype=np.int64), empty, report)
    n = report.records
    keep = None
    if report.failed_records:
        assert len(report.failed) == report.failed_records, "a batch needs the failed indices (ReportBuilder(keep_failed=True))"
        keep = np.ones(n, dtype=bool)
        keep[report.failed_indices()] = False
    out: dict[str, ColumnData] = {}
    for name, ctype in stored:
        arrays = columns[name]
        out[name] = ColumnData(name, ctype, arrays if keep is None else compact(arrays, keep))
    record_index = np.arange(n, dtype=np.int64) if keep is None else np.flatnonzero(keep)
    if keep is not None:
        ids = ids.take(keep) if isinstance(ids, Strings) else ids[keep]
    return Batch._made(sink, ids, record_index, out, report)
