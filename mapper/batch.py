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
int64 nanoseconds since 1970; ``bool`` bool; ``string`` an object array of Python
``str`` (``None`` where there is no value); ``ids`` / ``strings`` as ``offsets``
(int64, one more than rows) into a flat ``values`` array (uint64 / object of str).
Slots without a value hold 0, False or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from .errors import optional_import
from .model import MISSING

if TYPE_CHECKING:
    from .model import Sink
    from .report import Report
    from .types import ColumnType

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

    def __init__(self, kind: str, capacity: int = 1024):
        self.kind = kind
        self.dtype = _DTYPES[kind]
        capacity = max(capacity, 16)
        is_set = kind in ("uint64set", "strset")
        # np.empty: every row is written before it is read; for object arrays it is all
        # None (NULL) at once, where np.zeros would store an int 0 object in each slot.
        self.values = np.empty(0 if is_set else capacity, dtype=self.dtype)
        # Masks start True: the fast path writes whole runs of values and only marks
        # the rows that are null or missing; the careful path writes every mask.
        self.valid = np.ones(capacity, dtype=bool)
        self.present = np.ones(capacity, dtype=bool)
        self.sets: list[Any] | None = [None] * capacity if is_set else None
        self.base = 0

    def reserve(self, end: int) -> None:
        """Make room for rows up to absolute position ``end`` (exclusive)."""
        need = end - self.base
        cap = len(self.valid)
        if need <= cap:
            return
        new_cap = max(need, cap * 2)
        grow = new_cap - cap
        if self.sets is None:
            self.values = np.concatenate([self.values, np.empty(grow, dtype=self.dtype)])
        else:
            self.sets.extend([None] * grow)
        self.valid = np.concatenate([self.valid, np.ones(grow, dtype=bool)])
        self.present = np.concatenate([self.present, np.ones(grow, dtype=bool)])

    def reset(self, base: int, used: int | None = None) -> None:
        """Forget the rows written so far (the first ``used`` slots, or all); the next row written is ``base``."""
        self.base = base
        self.valid[:used] = True
        self.present[:used] = True

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

    def _clear(self, i: int) -> None:
        if self.sets is not None:
            self.sets[i] = None
        else:
            self.values[i] = _ZERO[self.kind]

    def finish(self, end: int) -> ColumnArrays:
        """The final arrays of rows ``base..end``."""
        n = end - self.base
        if self.sets is None:
            return ColumnArrays(_shrink(self.values, n), _shrink(self.valid, n), _shrink(self.present, n), None)
        rows = self.sets[:n]
        lengths = np.fromiter((len(r) if r else 0 for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = [v for r in rows if r for v in r]
        values = np.array(flat, dtype=self.dtype) if self.kind == "uint64set" else _object_array(flat)
        return ColumnArrays(values, self.valid[:n].copy(), self.present[:n].copy(), offsets)


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


class ColumnArrays:
    """The arrays of one column: ``values``, ``valid``, ``present`` and, for sets, ``offsets``."""

    __slots__ = ("values", "valid", "present", "offsets")

    def __init__(self, values: np.ndarray, valid: np.ndarray, present: np.ndarray, offsets: np.ndarray | None):
        self.values, self.valid, self.present, self.offsets = values, valid, present, offsets


def compact(arrays: ColumnArrays, keep: np.ndarray) -> ColumnArrays:
    """Only the rows where ``keep`` is True."""
    if arrays.offsets is None:
        return ColumnArrays(arrays.values[keep], arrays.valid[keep], arrays.present[keep], None)
    offs = arrays.offsets
    lengths = np.diff(offs)[keep]
    new_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    mask = np.repeat(keep, np.diff(offs))
    return ColumnArrays(arrays.values[mask], arrays.valid[keep], arrays.present[keep], new_offsets)


class ColumnData:
    """One stored column of a :class:`Batch`.

    ``values`` holds the stored values (see the module docs for the dtype per type);
    for ``ids``/``strings`` the values of row ``i`` are ``values[offsets[i]:offsets[i+1]]``.
    ``type`` is the column type's name; ``scale`` (decimal), ``unit`` (timestamp
    granularity, recordTime ``ns``, dateInt unit) and ``digits`` (fraction digits shown)
    describe the stored numbers.
    """

    __slots__ = ("name", "type", "values", "valid", "present", "offsets", "scale", "unit", "digits", "ctype")

    def __init__(self, name: str, ctype: ColumnType, arrays: ColumnArrays):
        self.name = name
        self.ctype = ctype
        self.type = ctype.type
        self.values = arrays.values
        self.valid = arrays.valid
        self.present = arrays.present
        self.offsets = arrays.offsets
        self.scale = ctype.scale
        self.unit = ctype.unit
        self.digits = ctype.digits

    def __len__(self) -> int:
        return len(self.valid)

    def __repr__(self) -> str:
        return f"<ColumnData {self.name!r} {self.type} rows={len(self)} values={int(self.valid.sum())} nulls={self.null_count}>"

    @property
    def null(self) -> np.ndarray:
        """Rows with an explicit JSON null."""
        return self.present & ~self.valid

    @property
    def missing(self) -> np.ndarray:
        """Rows with no value sent."""
        return ~self.present

    @property
    def null_count(self) -> int:
        return int(np.count_nonzero(self.null))

    def canonical(self) -> list[Any]:
        """Each row's value in the canonical JSON form (:data:`mapper.MISSING` for missing rows)."""
        n = len(self)
        valid = self.valid.tolist()
        present = self.present.tolist()
        out: list[Any] = [MISSING] * n
        if self.offsets is not None:
            flat = self.values.tolist()
            offs = self.offsets.tolist()
            for i in range(n):
                if valid[i]:
                    out[i] = flat[offs[i] : offs[i + 1]]
                elif present[i]:
                    out[i] = None
            return out
        render = self.ctype.render()
        values = self.values.tolist()
        for i in range(n):
            if valid[i]:
                out[i] = render(values[i])
            elif present[i]:
                out[i] = None
        return out


class Batch:
    """The columns the endpoint would store for the accepted records of a batch.

    ``ids`` is ``_id`` per row (uint64 for an ``id_field`` sink, an object array of
    str for primary keys); ``record_index`` is each row's index in the input;
    ``columns`` maps column names (definition order, identity-only columns left
    out as the ingester does) to :class:`ColumnData`; ``report`` is the batch's report.
    """

    def __init__(self, sink: Sink, ids: np.ndarray, record_index: np.ndarray, columns: dict[str, ColumnData], report: Report):
        self.sink = sink
        self.ids = ids
        self.record_index = record_index
        self.columns = columns
        self.report = report

    @property
    def count(self) -> int:
        """Rows in the batch (accepted records)."""
        return len(self.record_index)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, name: str) -> ColumnData:
        return self.columns[name]

    def __repr__(self) -> str:
        return f"<Batch rows={self.count} columns={list(self.columns)}>"

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """One dict per row in the canonical form: ``_id`` first, then the columns."""
        names = list(self.columns)
        rendered = [self.columns[n].canonical() for n in names]
        ids = self.ids.tolist()
        for i in range(self.count):
            row: dict[str, Any] = {"_id": ids[i]}
            for name, values in zip(names, rendered):
                v = values[i]
                if v is not MISSING:
                    row[name] = v
            yield row

    def to_rows(self) -> list[dict[str, Any]]:
        """All rows in the canonical form (see :meth:`iter_rows`)."""
        return list(self.iter_rows())

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table``: ``_id`` first, then the columns (null where no value); needs the ``arrow`` extra."""
        pa = optional_import("pyarrow", "arrow", "Batch.to_arrow()")
        arrays = [pa.array(self.ids.tolist() if self.ids.dtype == object else self.ids)]
        names = ["_id"]
        for name, col in self.columns.items():
            names.append(name)
            arrays.append(col.ctype.to_arrow(col.values, col.valid, col.offsets, pa))
        return pa.Table.from_arrays(arrays, names=names)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` via Arrow (needs ``pyarrow`` and ``pandas``)."""
        optional_import("pandas", "pandas", "Batch.to_pandas()")
        return self.to_arrow().to_pandas()


def assemble(sink: Sink, stored: list[tuple[str, ColumnType]], columns: dict[str, ColumnArrays], ids: np.ndarray, report: Report, rows: bool = True) -> Batch:
    """The batch of a finished, accepted run: columns in definition order, failed rows dropped.

    ``columns`` holds every row of the run (one per record); ``report.failed`` says
    which records failed. ``rows=False``: the batch of a discarded run, with no rows
    (``columns`` and ``ids`` are then not read).
    """
    if not rows:
        empty = {name: ColumnData(name, ctype, ColumnBuilder(ctype.storage, 16).finish(0)) for name, ctype in stored}
        return Batch(sink, ids[:0], np.empty(0, dtype=np.int64), empty, report)
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
    return Batch(sink, ids if keep is None else ids[keep], record_index, out, report)
