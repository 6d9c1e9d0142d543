"""``mapper`` inside Spark: the endpoint's mapping and validation as a step of a DataFrame job.

    >>> from mapper.spark import map_dataframe
    >>> out = map_dataframe(spark.read.text("s3a://bucket/records/"), "sink.json")
    >>> out.mapped.write.parquet("mapped/")    # _position, _id, the typed columns, _missing
    >>> out.refused.write.json("refused/")     # _position, _errors, _raw

Needs the ``spark`` extra (``pip install 'featurebase-mapper[spark]'``: pyspark and pyarrow); both
are imported inside the functions, so ``import mapper`` never needs them, and a missing
one raises :class:`~mapper.errors.MissingDependencyError` naming the extra.

**How it runs.** :func:`map_dataframe` declares one ``mapInArrow`` step: Spark hands each
Python worker its partition as Arrow record batches (``spark.sql.execution.arrow.
maxRecordsPerBatch`` rows each) and takes Arrow batches back, so no row becomes a
Python object on the Spark side. Inside a batch the text column's cells are joined
into NDJSON bytes by Arrow (one cell, one line), mapped by :meth:`mapper.Mapper.map`
with ``on_error="skip"``, and the columns go back as :meth:`mapper.Batch.to_arrow` makes
them (each type's own Arrow form, :meth:`mapper.types.ColumnType.to_arrow`) cast to the
Spark-facing types below. The
sink is compiled once per Python worker process (a cache keyed by the definition's
digest), not once per batch or task: Python workers are reused across tasks.

**One output row per input row**, in one DataFrame (:attr:`SparkMapping.rows`): a mapped
row has ``_errors`` null; a refused row has ``_errors`` and ``_raw`` and nulls in the
mapped columns. :attr:`SparkMapping.mapped` and :attr:`SparkMapping.refused` are its two
halves. The columns, in order:

* every other column of the input DataFrame, carried through untouched (Kafka's
  ``topic``/``partition``/``offset``, a file name: whatever locates the record for you);
* ``_batch`` (``long``), for a streaming DataFrame only: the id of the micro-batch the row
  was mapped in (the task's ``streaming.sql.batchId``). ``_position`` restarts in each
  micro-batch (its partitions are numbered from 0): ``(_batch, _position)`` is unique
  across the stream;
* ``_position`` (``long``): the input row's position, ``(Spark partition index << 33) +
  its index within the partition``, the value ``monotonically_increasing_id()`` gives the
  same row of the same input DataFrame (or micro-batch);
* ``_id``: the record's ``_id``, ``string`` for a primary-key sink, ``decimal(20,0)`` for
  an ``id_field`` sink (see ids below);
* one column per stored column of the sink, in definition order; a ``timestamp`` or
  ``recordTime`` column whose granularity is ns is followed by ``<name>__ns`` (``long``,
  the count of nanoseconds since 1970 exactly as mapper stores it);
* ``_missing`` (``array<string>``): the names of the columns with *no value sent* in that
  row (missing, or ``""`` where the type writes nothing for it: the columns the endpoint
  leaves alone; a ``bool`` clears on both, so it is never named). A null column not named there was sent as JSON ``null`` (the
  endpoint clears the stored value); one named there was not sent (the endpoint leaves
  the stored value alone). One list instead of a boolean per column: wide sinks stay
  narrow, and a row with every value present carries an empty list;
* ``_errors`` (``array<struct<code, column, path, pointer, message>>``) and ``_raw`` (the
  input text as it came, same type as the text column): only on refused rows.

**Spark types.** Spark has no unsigned 64-bit integer. An ``id`` is an unsigned 64-bit
value at the endpoint, so ``_id`` of an ``id_field`` sink, ``id`` columns and ``ids``
elements are ``decimal(20,0)``, which holds every value up to 2^64-1 exactly; ``long``
would wrap ids above 2^63-1 into negative numbers (or force refusing records the
endpoint takes). ``int``, ``signedIntBoolKey`` and ``dateInt`` (a count of its Unit) are
``long``; ``decimal`` is ``decimal(19, Scale)``: mapper stores it as an int64 count of
10^-Scale, and 19 digits hold every int64; ``bool`` is ``boolean``; ``string`` is
``string``; ``strings`` and ``ids`` are arrays. ``timestamp`` and ``recordTime`` are
``timestamp`` (microseconds, UTC); where the granularity is ns (always for
``recordTime``) the microseconds are the floor of the stored value and ``<name>__ns``
keeps it whole.

**The batch policy.** The endpoint applies ``allow_missing_fields: false`` per request
body: one record lacking a mapped value discards everything sent with it. A Spark
partition (or an Arrow batch) is not a request body, so here the policy is per record:
a record lacking a mapped value is refused on its own with code ``missing``, like any
other bad record, and the rest are mapped (``on_error="skip"``, with no
``max_errors``). ``allow_missing_fields=`` overrides the sink's policy (``True``: a
missing value is named in ``_missing`` and the record is kept).

**Where this differs from** ``mapper map`` **on a file**: each cell is one record, so a
null, empty or whitespace-only cell is a refused record (``invalid_json``) where
``mapper map`` skips blank lines; a cell holding JSON over several lines (a Kafka
message) is one record, and a leading UTF-8 BOM is dropped from every cell (``mapper
map`` drops it only at the start of a file). Warnings (values the endpoint stores
differently) are not carried; ``strict=True`` refuses those records instead
(``lossy_value``). ``mapper spark-validate SINK PATH...`` runs the whole job on files,
after refusing, before any job, the local inputs Spark would drop or misread (hidden
names, a gzip/``.gz`` mismatch, a JSON document rather than NDJSON: :func:`check_inputs`).
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import glob
import gzip
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import msgspec
import numpy as np

from ._start import interruption_lost, took
from .api import Mapper, compile_sink
from .batch import Batch
from .commands import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, field_option, fields_option, file_name, load_cli_sink, max_record_size_option
from .engine.reader import (
    BOM,
    HEAD_SIZE,
    HINT_PATH_LENGTH,
    JSON_WS,
    MAGIC_SIZE,
    TAR_BLOCK,
    compression_of,
    format_head,
    format_of,
    is_terminal,
    record_arrays,
    record_arrays_text,
)
from .errors import (
    InputError,
    MapperError,
    MissingDependencyError,
    OptionError,
    OutputError,
    archive_of,
    encoding_note,
    escape_controls,
    new_file_beside,
    optional_import,
    shell_file,
    shown_name,
    text_command,
    unpacked_file,
)
from .model import Sink
from .options import MAX_RECORD_SIZE, check_max_record_size
from .owners import OWNER as _OWNER
from .owners import owner as _owner
from .owners import owner_gone as _owner_gone
from .paths import jq_path, records_path_keys
from .report import location_text, plural
from .sink import SinkSource, load_sink
from .writers import signals_held

if TYPE_CHECKING:  # (the spark extra, for the types of map_dataframe's DataFrames only)
    from pyspark.sql import DataFrame
else:  # (typing.get_type_hints of SparkMapping and map_dataframe: pyspark is not imported for it)
    DataFrame = Any

__all__ = [
    "Leftovers",
    "SparkMapping",
    "ValidateCounts",
    "add_spark_parser",
    "check_inputs",
    "check_output",
    "cmd_spark_validate",
    "map_dataframe",
    "validate_files",
]

#: The columns mapper adds (a pass-through column with one of these names is an error).
POSITION, ID, MISSING_COLUMN, ERRORS, RAW = "_position", "_id", "_missing", "_errors", "_raw"
#: ... and, for a streaming DataFrame, before ``_position``: the micro-batch the row was mapped in.
BATCH = "_batch"
#: The local property Spark's micro-batch execution sets on each task: the batch's id.
_BATCH_ID_PROPERTY = "streaming.sql.batchId"
#: Suffix of the exact nanosecond count next to a ns-granularity time column.
NS_SUFFIX = "__ns"
#: Code and messages of a cell that holds no record at all.
_NO_RECORD = "invalid_json"
_NULL_CELL = "Invalid JSON: the text is null: no record"
_BLANK_CELL = "Invalid JSON: the text is empty: no record"
_ERROR_FIELDS = ("code", "column", "path", "pointer", "message")
#: First bytes of a cell that may hold no record, or a BOM: JSON whitespace and 0xEF.
_SUSPECT = np.zeros(256, dtype=bool)
_SUSPECT[list(JSON_WS) + [BOM[0]]] = True
#: ... JSON whitespace alone (what may follow a BOM in a cell holding no record).
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[list(JSON_WS)] = True
#: The engine maps at least this many rows at a time: what it pays per call (learning
#: the low-cardinality string columns, wording up to 1,000 warnings) is paid per call,
#: and Spark's Arrow batches are 10,000 rows by default. About 17 MB of seed records.
MAP_ROWS = 50_000
#: ... unless their text reaches this many bytes first (large records: memory per task).
MAP_BYTES = 64 << 20


def _modules(what: str) -> tuple[Any, Any]:
    """pyarrow and pyarrow.compute, or MissingDependencyError naming the ``spark`` extra."""
    pa = optional_import("pyarrow", "spark", what)
    pc = optional_import("pyarrow.compute", "spark", what)
    return pa, pc


# ---------------------------------------------------------------------------------------
# The output layout: one description, used by the driver (Spark schema) and the workers


@dataclass(frozen=True)
class _Out:
    """One column mapper adds: its name, what fills it, and its Arrow type as Spark receives it."""

    name: str
    kind: str  # "id", "column", "ns" (the raw count of a ns time column), "missing"
    source: str | None  # the sink column it comes from
    arrow: Any


def _spark_arrow_type(t: Any, pa: Any) -> Any:
    """The Arrow type Spark receives for a column type's own Arrow type (see the module docs)."""
    if pa.types.is_list(t):
        return pa.list_(_spark_arrow_type(t.value_type, pa))
    if pa.types.is_uint64(t):
        return pa.decimal128(20, 0)  # every unsigned 64-bit value, exactly: Spark has no uint64
    if pa.types.is_decimal(t):
        return pa.decimal128(19, t.scale)  # mapper's decimals are int64 counts of 10^-Scale
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC")  # Spark's TimestampType: microseconds since 1970, UTC
    return t


def _layout(m: Mapper, pa: Any) -> list[_Out]:
    compiled = m.compiled
    ctypes = {col.name: ctype for col, ctype in zip(compiled.columns, compiled.ctypes)}
    outs = [_Out(ID, "id", None, pa.decimal128(20, 0) if m.sink.id_kind == "uint64" else pa.string())]
    for col in compiled.stored:
        own = ctypes[col.name].arrow_type(pa)
        outs.append(_Out(col.name, "column", col.name, _spark_arrow_type(own, pa)))
        if pa.types.is_timestamp(own) and own.unit == "ns":
            outs.append(_Out(col.name + NS_SUFFIX, "ns", col.name, pa.int64()))
    outs.append(_Out(MISSING_COLUMN, "missing", None, pa.list_(pa.string())))
    return outs


def _errors_type(pa: Any) -> Any:
    return pa.list_(pa.struct([pa.field(f, pa.string()) for f in _ERROR_FIELDS]))


def _spark_type(t: Any, pa: Any, T: Any) -> Any:
    """The Spark SQL type of a Spark-facing Arrow type."""
    if pa.types.is_list(t):
        return T.ArrayType(_spark_type(t.value_type, pa, T), containsNull=False)
    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, _spark_type(f.type, pa, T), True) for f in t])
    if pa.types.is_decimal(t):
        return T.DecimalType(t.precision, t.scale)
    if pa.types.is_timestamp(t):
        return T.TimestampType()
    simple = {pa.int64(): T.LongType(), pa.bool_(): T.BooleanType(), pa.string(): T.StringType()}
    return simple[t]


# ---------------------------------------------------------------------------------------
# The worker side: one compiled sink per Python process, batches in, batches out


@dataclass(frozen=True)
class _Plan:
    """What each task receives (pickled with the function): the definition and where the text is."""

    key: str  # digest of the definition: the worker's cache key
    definition: str  # the sink's POST /v1/sinks body, as JSON
    strict: bool
    text_index: int
    passthrough: tuple[int, ...]
    #: column -> its JSON Pointer in the definition as the user wrote it (the workers'
    #: copy is the POST body, whose pointers may differ: ``/schema/definition/3``)
    pointers: tuple[tuple[str, str], ...] = ()
    #: rows and text bytes per engine call (:data:`MAP_ROWS`, :data:`MAP_BYTES` when the step was declared)
    map_rows: int = MAP_ROWS
    map_bytes: int = MAP_BYTES
    #: a longer cell is refused (``too_large``), as ``mapper validate --max-record-size`` refuses a line
    max_record_size: int = MAX_RECORD_SIZE
    #: a streaming DataFrame: each row gets ``_batch``, its micro-batch's id, before ``_position``
    streaming: bool = False


class _Worker:
    """A compiled sink and its output layout: built once per Python process and definition.

    Compiled from ``definition`` (the POST body's JSON, as each task receives it), or from
    ``sink``, its Sink, when the driver has just loaded it (see :func:`_driver_worker`)."""

    def __init__(self, definition: str, sink: Sink | None = None):
        self.pa, self.pc = _modules("mapper.spark")
        self.mapper = compile_sink(sink if sink is not None else json.loads(definition))
        self.layout = _layout(self.mapper, self.pa)
        self.names = np.array([o.source for o in self.layout if o.kind == "column"], dtype=object)
        self.errors_type = _errors_type(self.pa)

    # -------------------------------------------------------------- the text column

    def feed(self, text: Any) -> tuple[np.ndarray, Any, list[tuple[int, str]]]:
        """The rows whose cells go to the engine, their cells, and the rows refused outright.

        A null, empty or whitespace-only cell holds no record (the engine would skip it as
        a blank line, and the rows would no longer line up with the records). A leading BOM
        goes (as at the start of a file). Told apart with numpy from each cell's first bytes
        (and the first after a BOM); only cells that go on with whitespace there are looked
        at one by one, for a byte that is not.
        """
        pa = self.pa
        n = len(text)
        offsets, data = _cells(text, pa)
        starts = offsets[:-1]
        lengths = np.diff(offsets)
        first = np.zeros(n, dtype=np.uint8)
        filled = lengths > 0
        first[filled] = data[starts[filled]]
        suspect = ~filled | _SUSPECT[first]
        nulls = np.zeros(n, dtype=bool) if not text.null_count else ~text.is_valid().to_numpy(zero_copy_only=False)
        suspect |= nulls
        if not suspect.any():
            return np.arange(n), text, []
        bom = np.zeros(n, dtype=bool)
        three = suspect & ~nulls & (lengths >= 3)
        at = starts[three]
        bom[three] = (data[at] == BOM[0]) & (data[at + 1] == BOM[1]) & (data[at + 2] == BOM[2])
        # what follows a BOM: nothing (no record), or its first byte, which tells as a cell's first byte does
        rest = lengths - 3 * bom
        after = np.zeros(n, dtype=np.uint8)
        more = bom & (rest > 0)
        after[more] = data[starts[more] + 3]
        head = np.where(bom, after, first)
        maybe_blank = suspect & ~nulls & ((rest == 0) | _WHITESPACE[head])
        refused: list[tuple[int, str]] = []
        keep = ~nulls
        for i in np.flatnonzero(suspect).tolist():
            if nulls[i]:
                refused.append((i, _NULL_CELL))
            elif maybe_blank[i]:
                skip = 3 if bom[i] else 0
                if not data[starts[i] + skip : starts[i] + lengths[i]].tobytes().strip(JSON_WS):  # a BOM alone is no record either
                    refused.append((i, _BLANK_CELL))
                    keep[i] = False
        boms = bom & keep
        if boms.any():
            # A cell is a document of its own (a Kafka message): its BOM goes, as at the start
            # of a file. On the bytes (a string column may hold invalid UTF-8, which the engine
            # reads as U+FFFD), by Arrow: a topic's producer may open every message with one. (The
            # end given: without it, pyarrow 26's binary_slice failed on a batch with an empty cell.)
            wide = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
            raw = text.view(pa.large_binary() if wide else pa.binary())
            text = self.pc.if_else(pa.array(boms), self.pc.binary_slice(raw, 3, int(lengths.max())), raw).view(text.type)
        if not keep.all():
            text = text.filter(pa.array(keep))
        return np.flatnonzero(keep), text, refused

    def ndjson(self, cells: Any) -> bytes:
        """The cells as NDJSON, one line each, joined by Arrow.

        A raw newline in a cell (JSON over several lines) would split it into several
        records. It becomes a carriage return, which JSON reads exactly as it reads a
        newline: whitespace between tokens, an invalid character inside a string. So a
        record stays valid or invalid as it was, with every byte where it was.
        """
        data = self._join(cells)
        if data.count(b"\n") != len(cells):
            data = self._join(self.pc.replace_substring(cells, "\n", "\r"))
        return data

    def _join(self, cells: Any) -> bytes:
        pa, pc = self.pa, self.pc
        is_text = pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)
        if cells.nbytes > 1 << 30:  # the joined text could pass 2 GB, beyond 32-bit offsets
            cells = cells.cast(pa.large_string() if is_text else pa.large_binary())
        empty, newline = (pa.scalar(v if is_text else v.encode(), cells.type) for v in ("", "\n"))
        joined = pc.binary_join_element_wise(cells, empty, newline)
        wide = pa.types.is_large_string(joined.type) or pa.types.is_large_binary(joined.type)
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64 if wide else np.int32)
        start, end = int(offsets[joined.offset]), int(offsets[joined.offset + len(joined)])
        return joined.buffers()[2][start:end].to_pybytes()

    # -------------------------------------------------------------- one Arrow batch

    def map_batch(self, rb: Any, base: int, plan: _Plan) -> Iterator[Any]:
        """The mapped rows, then the refused rows, of one input batch, as Arrow batches."""
        pa = self.pa
        n = rb.num_rows
        if n == 0:
            return
        text = rb.column(plan.text_index)
        rows, cells, own = self.feed(text)
        refused: list[tuple[int, list[dict[str, Any]]]] = [(row, [_record_error(reason)]) for row, reason in own]
        batch: Batch | None = None
        if len(cells):
            data = self.ndjson(cells)
            if data[:3] == BOM or compression_of(data[:MAGIC_SIZE]) is not None or archive_of(data[:TAR_BLOCK]) is not None:
                # a first cell starting as compressed bytes do (gzip, bzip2, xz, zstd), as an archive does
                # (tar, ZIP: a whole input that is one is refused, in any format), or with a BOM still there
                # (a cell that began with two): a leading blank line keeps the reader from unwrapping the
                # batch (or failing the job: zstd, a cut xz stream, an archive) or dropping the BOM as a
                # file's, so a cell maps the same wherever it falls
                data = b"\n" + data
            batch = self.mapper.map(data, on_error="skip", strict=plan.strict, input_format="ndjson", max_record_size=plan.max_record_size)
            if batch.report.records != len(cells):  # the rows would no longer line up with the records
                raise InputError(
                    f"mapper.spark: {plural(len(cells), 'cell')} made {plural(batch.report.records, 'record')}; the batch cannot be mapped row by row"
                )
            pointers = dict(plan.pointers)
            for rejected in batch.report.rejected:
                refused.append((int(rows[rejected.record]), [_error_dict(e, pointers) for e in rejected.errors]))
        schema = self._schema(rb, plan)
        keep = [rb.column(i) for i in plan.passthrough]
        if batch is not None and batch.count:
            mapped_rows = rows[batch.record_index]
            whole = len(mapped_rows) == n
            index = None if whole else pa.array(mapped_rows)
            arrays = [a if index is None else a.take(index) for a in keep]
            arrays.append(pa.array(base + mapped_rows, type=pa.int64()))
            arrays.extend(self._mapped(batch))
            arrays.append(pa.nulls(batch.count, self.errors_type))
            arrays.append(pa.nulls(batch.count, text.type))
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        if refused:
            refused.sort(key=lambda r: r[0])
            k = len(refused)
            index = pa.array(np.array([r for r, _ in refused], dtype=np.int64))
            arrays = [a.take(index) for a in keep]
            arrays.append(pa.array(base + np.array([r for r, _ in refused], dtype=np.int64), type=pa.int64()))
            arrays.extend(pa.nulls(k, o.arrow) for o in self.layout)
            arrays.append(pa.array([errs for _, errs in refused], type=self.errors_type))
            arrays.append(text.take(index))
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    def _schema(self, rb: Any, plan: _Plan) -> Any:
        pa = self.pa
        fields = [rb.schema.field(i) for i in plan.passthrough]
        fields.append(pa.field(POSITION, pa.int64()))
        fields.extend(pa.field(o.name, o.arrow) for o in self.layout)
        fields.append(pa.field(ERRORS, self.errors_type))
        fields.append(pa.field(RAW, rb.schema.field(plan.text_index).type))
        return pa.schema(fields)

    def _mapped(self, batch: Batch) -> list[Any]:
        """The layout's columns for the mapped rows, in the Spark-facing Arrow types.

        Made by :meth:`Batch.to_arrow` (without its presence and record index fields), the
        conversion every other output takes: the batch is checked first (a batch whose
        arrays did not fit would be an OutputError naming the column, not pyarrow reading
        past a buffer in a Spark worker), each column is handed over from the batch's own
        buffers, then cast here. Its fields are ``_id`` and then each column, in order."""
        pa, pc = self.pa, self.pc
        table = batch.to_arrow(presence=False, record_index=False)
        ids = table.column(0).chunk(0)
        arrays = {name: table.column(i).chunk(0) for i, name in enumerate(batch.columns, 1)}
        out = []
        for o in self.layout:
            if o.kind == "id":
                out.append(ids.cast(o.arrow))
                continue
            if o.kind == "missing":
                out.append(self._missing(batch))
                continue
            own = arrays[o.source or ""]
            if o.kind == "ns":
                out.append(own.cast(pa.int64()))
            elif pa.types.is_timestamp(own.type) and own.type.unit == "ns":
                # floor, not truncation toward zero: the microsecond the instant falls in, before 1970 too
                out.append(pc.floor_temporal(own, unit="microsecond").cast(o.arrow))
            else:
                out.append(own if own.type == o.arrow else own.cast(o.arrow))
        return out

    def _missing(self, batch: Batch) -> Any:
        """``_missing``: per row, the names of the columns with no value sent."""
        pa = self.pa
        n = batch.count
        if not len(self.names):
            return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], type=pa.string()))
        absent = np.stack([~batch[name].present for name in self.names], axis=1)
        row, col = np.nonzero(absent)  # row-major: each row's names in definition order
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(self.names[col].tolist(), type=pa.string()))


def _cells(text: Any, pa: Any) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than cells) and the data bytes of a string or binary array, as numpy views."""
    wide = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    return offsets.astype(np.int64), data


def _error_dict(e: Any, pointers: dict[str, str]) -> dict[str, Any]:
    """A RecordError for ``_errors``: its record and line are the batch's, so the message leaves them out."""
    pointer = pointers.get(e.column, e.pointer) if e.column is not None else e.pointer
    reason = e.reason
    if e.code == "too_large":  # ("its first 1,024 bytes are kept": _raw keeps the whole cell)
        reason = re.sub(r"; its first [0-9,]+ bytes are kept$", "", reason)
    return {"code": e.code, "column": e.column, "path": e.path, "pointer": pointer, "message": reason + location_text(e.path, None, None, e.column)}


def _record_error(reason: str) -> dict[str, Any]:
    return {"code": _NO_RECORD, "column": None, "path": None, "pointer": None, "message": reason}


#: definition digest -> its worker: compiled once per Python process (Spark reuses its workers).
_WORKERS: dict[str, _Worker] = {}
#: What this process did: sinks compiled, Arrow batches mapped (the tests read it inside the workers).
STATS = {"compiled": 0, "batches": 0}


def _worker_for(key: str, definition: str, sink: Sink | None = None) -> _Worker:
    worker = _WORKERS.get(key)
    if worker is None:
        worker = _WORKERS[key] = _Worker(definition, sink)
        STATS["compiled"] += 1
    return worker


def _map_partition(plan: _Plan, batches: Iterator[Any]) -> Iterator[Any]:
    """The ``mapInArrow`` function: every Arrow batch of one partition, in order."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    base = (ctx.partitionId() << 33) if ctx is not None else 0
    worker = _worker_for(plan.key, plan.definition)
    if plan.streaming:  # _position restarts in each micro-batch: _batch tells the batches apart
        batch_id = ctx.getLocalProperty(_BATCH_ID_PROPERTY) if ctx is not None else None
        yield from _with_batch(_map_batches(plan, worker, base, batches), int(batch_id) if batch_id is not None else None, len(plan.passthrough), worker.pa)
    else:
        yield from _map_batches(plan, worker, base, batches)


def _with_batch(out: Iterator[Any], batch_id: int | None, at: int, pa: Any) -> Iterator[Any]:
    """Each output batch with ``_batch`` (``batch_id`` in every row, null outside a micro-batch) inserted at column ``at``."""
    for rb in out:
        n = rb.num_rows
        ids = pa.nulls(n, pa.int64()) if batch_id is None else pa.array(np.full(n, batch_id, dtype=np.int64))
        columns = list(rb.columns)
        yield pa.RecordBatch.from_arrays([*columns[:at], ids, *columns[at:]], schema=rb.schema.insert(at, pa.field(BATCH, pa.int64())))


def _map_batches(plan: _Plan, worker: _Worker, base: int, batches: Iterator[Any]) -> Iterator[Any]:
    """The output batches of one partition's input batches, ``_position`` counted on from ``base``."""
    pending: list[Any] = []
    rows = size = 0
    for rb in batches:
        pending.append(rb)
        rows += rb.num_rows
        size += rb.column(plan.text_index).nbytes
        STATS["batches"] += 1
        if rows >= plan.map_rows or size >= plan.map_bytes:
            for part in _contiguous(pending, worker.pa):
                yield from worker.map_batch(part, base, plan)
                base += part.num_rows
            pending, rows, size = [], 0, 0
    for part in _contiguous(pending, worker.pa):
        yield from worker.map_batch(part, base, plan)
        base += part.num_rows


def _contiguous(batches: list[Any], pa: Any) -> list[Any]:
    """Record batches of one schema as contiguous ones: one, unless Arrow splits the combined
    columns (text past 2 GB), and then every one of them (the rows after the first were dropped)."""
    if len(batches) <= 1:
        return batches
    return pa.Table.from_batches(batches).combine_chunks().to_batches() or batches


# ---------------------------------------------------------------------------------------
# The driver side


@dataclass(frozen=True)
class SparkMapping:
    """What :func:`map_dataframe` returns: one DataFrame, and its mapped and refused halves.

    Each is lazy, and each action runs the mapping step: to write both halves, persist
    ``rows`` first (``mapper spark-validate`` does) rather than map everything twice.
    """

    #: One row per input row (``_errors`` null where it was mapped).
    rows: DataFrame
    #: The input columns carried through, in order.
    passthrough: tuple[str, ...]
    #: The columns mapper adds for a mapped row: ``_id``, the sink's, ``<name>__ns``, ``_missing``.
    columns: tuple[str, ...]
    #: A streaming DataFrame's: ``_batch`` (the micro-batch id) before ``_position``.
    streaming: bool = False

    @property
    def position(self) -> tuple[str, ...]:
        """The columns that locate a row: ``_position``, after ``_batch`` when streaming."""
        return (BATCH, POSITION) if self.streaming else (POSITION,)

    @property
    def mapped(self) -> DataFrame:
        """The mapped rows: pass-through columns, ``_position``, ``_id``, the columns, ``_missing``."""
        from pyspark.sql import functions as F

        return self.rows.where(F.col(ERRORS).isNull()).select(*[_col(c) for c in (*self.passthrough, *self.position, *self.columns)])

    @property
    def refused(self) -> DataFrame:
        """The refused records: pass-through columns, ``_position``, ``_errors``, ``_raw``."""
        from pyspark.sql import functions as F

        return self.rows.where(F.col(ERRORS).isNotNull()).select(*[_col(c) for c in (*self.passthrough, *self.position, ERRORS, RAW)])


def _col(name: str) -> Any:
    """A column by its exact name (dots and backticks in a name are not paths)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def map_dataframe(
    df: DataFrame,
    sink: Sink | SinkSource,
    *,
    column: str = "value",
    allow_missing_fields: bool | None = None,
    strict: bool = False,
    max_record_size: int = MAX_RECORD_SIZE,
) -> SparkMapping:
    """Map and validate the JSON text in ``df[column]`` with ``sink``: a lazy :class:`SparkMapping`.

    ``df``: any DataFrame with a string (or binary) column of JSON text, one record per
    row: ``spark.read.text(...)`` (column ``value``), Kafka's ``value``. Its other columns
    are carried through. ``sink``: a :class:`~mapper.Sink` or anything
    :func:`mapper.load_sink` takes. ``allow_missing_fields``: the policy for a record
    lacking a mapped value (default: the sink's; ``False`` refuses that record with code
    ``missing``, see the module docs). ``strict``: values the endpoint would store
    differently refuse their record (``lossy_value``). ``max_record_size``: a cell longer
    than this many bytes is refused (``too_large``, its whole text kept in ``_raw``), as
    ``mapper validate --max-record-size`` refuses a longer line (default 16 MiB, at least 1024).

    Raises :class:`~mapper.errors.DefinitionError` for a bad sink,
    :class:`~mapper.errors.OptionError` for a bad column or option (or files read under
    a partition directory named like their text column, ``value=...``, whose value would
    take the place of every line's text), and
    :class:`~mapper.errors.MissingDependencyError` without pyspark or pyarrow.
    """
    optional_import("pyspark.sql", "spark", "mapper.spark")
    optional_import("pandas", "spark", "mapper.spark (pyspark's mapInArrow)")
    pa, _pc = _modules("mapper.spark")
    from pyspark.sql import types as T

    if allow_missing_fields is not None and not isinstance(allow_missing_fields, bool):
        raise OptionError(f"allow_missing_fields must be True, False or None (the sink's), not {allow_missing_fields!r}")
    if not isinstance(strict, bool):
        raise OptionError(f"strict must be True or False, not {strict!r}")
    check_max_record_size(max_record_size)
    if not isinstance(column, str):
        raise OptionError(f"column must be the name of the DataFrame's column of JSON text (a str), not {column!r}")
    loaded = load_sink(sink)
    if allow_missing_fields is not None and allow_missing_fields != loaded.allow_missing_fields:
        loaded = replace(loaded, allow_missing_fields=allow_missing_fields)
    key, definition, worker = _driver_worker(loaded, just_loaded=not isinstance(sink, Sink))

    if not all(hasattr(df, attr) for attr in ("schema", "mapInArrow")):  # (a pandas DataFrame, None: an AttributeError before)
        raise OptionError(f"df must be a Spark DataFrame (e.g. spark.read.text(...)), not {type(df).__module__}.{type(df).__qualname__}")
    fields = list(df.schema.fields)
    _check_worker_python(df)
    case_sensitive = _case_sensitive(df)  # (the session asked once)
    _refuse_shadowed_files(df, column, case_sensitive)  # (before the column's type: value=1 makes it an int)
    text_index = _find_column(fields, column, case_sensitive)
    text_type = fields[text_index].dataType
    if not isinstance(text_type, (T.StringType, T.BinaryType)):
        # (a struct, map or array cast to string is Spark's "{1, a}", not JSON: every record would be refused)
        nested = isinstance(text_type, (T.StructType, T.MapType, T.ArrayType))
        fix = f"F.to_json(df[{column!r}]) (pyspark.sql.functions) makes it JSON text" if nested else f"e.g. df[{column!r}].cast('string')"
        raise OptionError(f"column {column!r} is {text_type.simpleString()}: give a string (or binary) column of JSON text; {fix}")
    passthrough = tuple(i for i in range(len(fields)) if i != text_index)
    streaming = bool(getattr(df, "isStreaming", False))
    out_fields = [fields[i] for i in passthrough]
    if streaming:
        out_fields.append(T.StructField(BATCH, T.LongType(), True))
    out_fields.append(T.StructField(POSITION, T.LongType(), False))
    out_fields.extend(T.StructField(o.name, _spark_type(o.arrow, pa, T), True) for o in worker.layout)
    out_fields.append(T.StructField(ERRORS, _spark_type(_errors_type(pa), pa, T), True))
    out_fields.append(T.StructField(RAW, text_type, True))
    _check_unique(_output_names([fields[i].name for i in passthrough], worker.layout, streaming))

    pointers = tuple((c.name, c.pointer) for c in loaded.columns)
    plan = _Plan(key, definition, strict, text_index, passthrough, pointers, MAP_ROWS, MAP_BYTES, max_record_size, streaming)
    rows = _map_in_arrow(df, partial(_map_partition, plan), T.StructType(out_fields), [fields[i] for i in passthrough])
    return SparkMapping(rows, tuple(fields[i].name for i in passthrough), tuple(o.name for o in worker.layout), streaming)


#: The interpreters found to import mapper as Spark's local workers would (asked once per process each).
_WORKER_PYTHONS: set[str] = set()


def _check_worker_python(df: Any) -> None:
    """On a local master, the Python Spark starts its workers with (``PYSPARK_PYTHON``, or
    ``python3`` from the PATH) must import mapper: a script run with a virtualenv's python,
    without ``PYSPARK_PYTHON``, had its first action fail with a Java stack trace around
    pyspark's worker traceback (``No module named 'mapper'``). Asked of that interpreter
    (``-c``, from this directory, as a worker imports) when it is not this one; a
    :class:`~mapper.errors.MissingDependencyError` naming it and the fix, before any job. Not
    judged: another master's executors, an interpreter not found here, one that cannot be run."""
    try:
        context = df.sparkSession.sparkContext  # (Spark Connect: none)
        master, executable = str(context.master), str(context.pythonExec)
    except Exception:  # noqa: BLE001 - (Spark Connect, py4j's errors: not judged)
        return
    found = shutil.which(executable) if master.startswith("local") else None
    if found is None or found in _WORKER_PYTHONS or _same_python(found, sys.executable):
        return
    try:
        run = subprocess.run([found, "-c", "import mapper.spark, pyarrow, pandas"], capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return
    said = [line.strip() for line in run.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if run.returncode == 0 or not said or "Error" not in said[-1]:
        if run.returncode == 0:
            _WORKER_PYTHONS.add(found)
        return
    shown = executable if executable == found else f"{executable} ({found})"
    raise MissingDependencyError(
        f"Spark starts its Python workers with {shown}, which cannot import mapper ({said[-1]}): set "
        f"PYSPARK_PYTHON={shlex.quote(sys.executable)} before the Spark session starts (docs/spark.md: mapper itself is not shipped), "
        "or install mapper there"
    )


def _same_python(one: str, other: str) -> bool:
    """Whether two interpreter paths are one: the same path, or one file in the same directory
    (a virtualenv's ``python3`` and ``python``; its site-packages go by the directory)."""
    a, b = os.path.abspath(one), os.path.abspath(other)
    try:
        return a == b or (os.path.dirname(a) == os.path.dirname(b) and os.path.samefile(a, b))
    except OSError:
        return False


def _map_in_arrow(df: Any, function: Any, schema: Any, carried: list[Any]) -> Any:
    """``df.mapInArrow(function, schema)``, or, when pyspark refuses the schema because a column
    carried through has a type Spark cannot pass to Python as Arrow (a year-month or calendar
    interval: pyspark's ``Invalid return type in mapInPandas: StructType([...])``, naming no
    column), an :class:`~mapper.errors.OptionError` naming that column."""
    from pyspark.sql import types as T

    try:
        return df.mapInArrow(function, schema)
    except Exception:
        for field in carried:  # (only when it failed: each carried column declared alone, as pyspark checks it; no job)
            try:
                df.mapInArrow(function, T.StructType([field]))
            except Exception:  # noqa: BLE001 - (pyspark's error for this column: said below)
                raise OptionError(
                    f"column {field.name!r} is {field.dataType.simpleString()}: Spark cannot pass it to Python as Arrow (mapInArrow), so it "
                    f"cannot ride along; drop it, or make it text first: df.withColumn({field.name!r}, F.col({field.name!r}).cast('string'))"
                ) from None
        raise


def _refuse_shadowed_files(df: Any, column: str, case_sensitive: bool) -> None:
    """Refuse a DataFrame that reads files under a partition directory named like one of the
    files' own columns: ``spark.read.text(DIR)`` with ``DIR/value=abc/...`` makes a partition
    column ``value`` that takes the place of the lines' ``value``, so every record would be
    refused with ``abc`` as its text, the lines lost (:func:`check_inputs` refuses such a
    directory for ``mapper spark-validate``; a DataFrame is looked at here).

    Found in the analyzed plan: a file relation (``LogicalRelation`` of a ``HadoopFsRelation``)
    whose partition schema shares a name with its data schema, when it reads text (its one
    column is the text, whatever it is called later) or the shared name is ``column``. A
    DataFrame without a JVM plan to look at (Spark Connect's) is not checked."""
    fold = (lambda name: name) if case_sensitive else str.lower
    try:
        leaves = df._jdf.queryExecution().analyzed().collectLeaves().iterator()
    except Exception:  # noqa: BLE001 - (Spark Connect: no _jdf; py4j's errors)
        return
    while leaves.hasNext():
        leaf = leaves.next()
        try:
            relation = leaf.relation()
            parts = [str(n) for n in relation.partitionSchema().fieldNames()]
            own = {fold(str(n)) for n in relation.dataSchema().fieldNames()}
            text = str(relation.fileFormat().toString()) == "Text"
        except Exception:  # noqa: BLE001 - (not a file relation: a local one, a range, Kafka's)
            continue
        for name in parts:
            if fold(name) in own and (text or fold(name) == fold(column)):
                raise OptionError(_shadowed_text(df, name, text))


def _shadowed_text(df: Any, name: str, text: bool) -> str:
    """What :func:`_refuse_shadowed_files` says: the directory (from ``df.inputFiles()``), why, and what to do."""
    where = ""
    try:
        for uri in df.inputFiles():
            found = re.search(rf"^(.*/{re.escape(name)}=[^/]*)/", str(uri), re.IGNORECASE)
            if found:
                directory = found.group(1)
                where = f" ({shown_name(urllib.parse.unquote(_local_path(directory) or directory))})"
                break
    except Exception:  # noqa: BLE001 - (a listing that fails: the name alone)
        pass
    lost = "each line's text" if text else f"the files' own column {name!r}"
    return (
        f"the DataFrame reads files under a partition directory named {name}=...{where}: Spark's partition column {name!r} takes the place of {lost}, "
        f"so each record's text would be the directory's value, the records lost; rename the directory (e.g. v=...), or read the files "
        f"without partition columns: spark.read.option('recursiveFileLookup', 'true')"
    )


def _driver_worker(loaded: Sink, just_loaded: bool = False) -> tuple[str, str, _Worker]:
    """The sink's key, its definition text and the driver's worker: the layout, and the check that
    the definition the tasks receive (its POST body) compiles. ``just_loaded``: ``loaded`` is what
    load_sink made of a definition (a file, text, a dict; not a Sink given, which may be one
    built in Python, or a batch file's that holds names only a stored sink may have), whose
    POST body loads back as the same sink (tests/test_spark.py: the trip to the workers): the
    driver compiles it as it is, not checking the definition a second time from its body."""
    definition = json.dumps(loaded.to_body(), sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(definition.encode("utf-8")).hexdigest()
    return key, definition, _worker_for(key, definition, loaded if just_loaded else None)


def check_sink_columns(loaded: Sink, inputs: Sequence[str] = (), just_loaded: bool = False) -> None:
    """An :class:`~mapper.errors.OptionError` when a column mapper adds for a mapped row
    clashes with another output column (a sink column ``_missing``, a recordTime ``x``
    beside a column ``x__ns``) or with an input column (``inputs``) that rides along: as
    :func:`map_dataframe` finds it, but without Spark (``mapper spark-validate`` checks it
    before the JVM starts: it was said ~10 s later). ``just_loaded``: as :func:`_driver_worker`'s."""
    _key, _definition, worker = _driver_worker(loaded, just_loaded)
    _check_unique(_output_names(list(inputs), worker.layout))


def _case_sensitive(df: Any) -> bool:
    """Whether the DataFrame's session resolves column names case-sensitively (``spark.sql.caseSensitive``, off by default)."""
    try:
        return str(df.sparkSession.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    except Exception:  # noqa: BLE001 - (a DataFrame without a session to ask: Spark's default)
        return False


def _find_column(fields: list[Any], column: str, case_sensitive: bool = False) -> int:
    names = [f.name for f in fields]
    if case_sensitive:  # (spark.sql.caseSensitive: `value` and `Value` are two columns, told apart)
        folded = [i for i, n in enumerate(names) if n == column]
    else:  # Spark resolves names case-insensitively by default
        folded = [i for i, n in enumerate(names) if n.lower() == column.lower()]
    if len(folded) > 1:  # (Spark's own error was an AnalysisException, AMBIGUOUS_REFERENCE, from inside the step)
        raise OptionError(
            f"the DataFrame has {len(folded)} columns named {column!r} ({', '.join(names[i] for i in folded)}), "
            "and Spark cannot tell them apart: rename or drop all but the one of JSON text first"
        )
    if folded:
        return folded[0]
    raise OptionError(f"the DataFrame has no column {column!r} of JSON text (its columns: {', '.join(names) or 'none'})")


_INPUT, _SINK, _ADDED = "the input column", "the sink column", "the column mapper adds"


def _output_names(inputs: list[str], layout: Sequence[_Out], streaming: bool = False) -> list[tuple[str, str]]:
    """The output's column names in the output's order, each with what it is: an input column
    riding along, a sink column, or one mapper adds (the same name can be both of the last two)."""
    return [
        *((name, _INPUT) for name in inputs),
        *([(BATCH, _ADDED)] if streaming else []),
        (POSITION, _ADDED),
        *((o.name, _SINK if o.kind == "column" else _ADDED) for o in layout),
        (ERRORS, _ADDED),
        (RAW, _ADDED),
    ]


def _check_unique(named: list[tuple[str, str]]) -> None:
    """An OptionError naming two output columns Spark cannot tell apart, each as what it is."""
    seen: dict[str, tuple[str, str]] = {}
    for name, role in named:
        low = name.lower()  # Spark's default resolution is case-insensitive
        if low in seen:
            other, other_role = seen[low]
            raise OptionError(
                f"{role} {name!r} clashes with {other_role} {other!r}: rename the input column (or the sink column) first; "
                f"mapper adds {POSITION}, {ID}, {MISSING_COLUMN}, {ERRORS}, {RAW} and <column>{NS_SUFFIX}"
            )
        seen[low] = (name, role)


# ---------------------------------------------------------------------------------------
# Temporaries named by their owner: what a killed run leaves, the next run removes
#
# A run's staging directory (``OUT/.mapper-staging-<owner>-<uuid>``, a full copy of the
# results) and its driver directory (``$TMPDIR/mapper-spark-<owner>-<random>``) carry the
# process that made them (:func:`mapper.owners.owner`: from ``/proc``, or, where there is
# none, a token whose lock the process holds while it runs). A SIGKILL or a crashed JVM leaves
# them behind; a later run removes those whose owner is gone (:func:`mapper.owners.owner_gone`,
# the test an output's temporary file is judged by too), and only those. Anything else
# (another machine, an earlier boot, a container with its own pid namespace, a lock token
# whose lock file is not this machine's, a name without an owner) may belong to a live run:
# kept, and said.

#: The prefix of a staging directory under OUT.
STAGING_PREFIX = ".mapper-staging-"
#: The prefix of the driver's directory in the temporary directory (its log4j2 file).
DRIVER_DIR_PREFIX = "mapper-spark-"


def _owner_of(name: str, prefix: str) -> str | None:
    """The owner written in a temporary's name (``prefix<owner>-<rest>``), or None."""
    head = name[len(prefix) :].split("-", 1)[0] if name.startswith(prefix) else ""
    return head if _OWNER.fullmatch(head) else None


@dataclass(frozen=True)
class Leftovers:
    """Other runs' temporaries a run found: removed (their owner gone) or kept (it could not tell)."""

    removed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


def _sweep(names: Iterable[str], prefix: str, remove: Callable[[str], Any]) -> Leftovers:
    """Remove the temporaries among ``names`` (``prefix...``) whose owner is gone (``remove(name)``).

    One whose owner runs is left alone (a concurrent run's); one whose owner this process
    cannot judge is left and named in :attr:`Leftovers.unknown`. A removal that fails is
    let go: the next run tries again."""
    me = _owner()
    removed, unknown = [], []
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        gone = _owner_gone(_owner_of(name, prefix), me)
        if gone is None:
            unknown.append(name)
        elif gone:
            try:
                remove(name)
            except Exception:  # noqa: BLE001 - best effort (py4j's errors, a file system's)
                continue
            removed.append(name)
    return Leftovers(tuple(removed), tuple(unknown))


def _sweep_staging(fs: Any, output: str) -> Leftovers:
    """The staging directories killed runs left under ``output`` removed (:func:`_sweep`); a
    listing that fails is let go (the run goes on, and the next one tries again)."""
    try:
        names = fs.list(output)
    except Exception:  # noqa: BLE001 - py4j's errors
        return Leftovers()
    return _sweep(names, STAGING_PREFIX, lambda name: fs.delete(_join_path(output, name)))


def _staging_name() -> str:
    """This run's staging directory under OUT, named by its owner (this process) when it can be."""
    owner = _owner()
    return f"{STAGING_PREFIX}{owner + '-' if owner else ''}{uuid.uuid4().hex}"


@contextlib.contextmanager
def _driver_directory() -> Iterator[str]:
    """A temporary directory for the driver's files (its log4j2 configuration; Spark's local
    directory, :func:`_own_local_dir`), named by its owner, removed at the end; the ones killed runs left in the temporary directory go first
    (only this user's)."""
    base = tempfile.gettempdir()

    def remove(name: str) -> None:
        path = os.path.join(base, name)
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():  # (never a link, nor another user's)
            raise PermissionError(path)
        shutil.rmtree(path)

    try:
        names = os.listdir(base)
    except OSError:
        names = []
    _sweep(names, DRIVER_DIR_PREFIX, remove)
    owner = _owner()
    with tempfile.TemporaryDirectory(prefix=f"{DRIVER_DIR_PREFIX}{owner + '-' if owner else ''}", ignore_cleanup_errors=True) as directory:
        yield directory


# ---------------------------------------------------------------------------------------
# Files: the job ``mapper spark-validate`` runs


@dataclass(frozen=True)
class ValidateCounts:
    """What :func:`validate_files` wrote, counted from the files it wrote."""

    input_records: int
    mapped_rows: int
    refused_records: int
    error_counts: dict[str, int]
    #: Lines holding no record (empty, or JSON whitespace only), skipped as ``mapper validate`` skips them.
    blank_lines: int = 0
    #: Other runs' staging directories under the output: removed (their owner gone), or kept (:class:`Leftovers`).
    leftovers: Leftovers = Leftovers()

    @property
    def lost(self) -> int:
        """Input records neither mapped nor refused: 0 unless an input changed during the run (read
        twice, to map and then to count: a live log grows meanwhile) or something is broken."""
        return self.input_records - self.mapped_rows - self.refused_records


def validate_files(
    spark: Any,
    sink: Sink | Any,
    paths: Sequence[str] | str | os.PathLike[str],
    output: str,
    *,
    allow_missing_fields: bool | None = None,
    strict: bool = False,
    overwrite: bool = False,
    max_record_size: int = MAX_RECORD_SIZE,
) -> ValidateCounts:
    """Map NDJSON files with Spark: ``output/mapped`` (Parquet) and ``output/refused`` (NDJSON).

    A refused line is ``{"file", "record", "line", "position", "errors": [...], "raw"}`` (``record``:
    its index among the records of ``file``, from 0, blank lines not counted, as ``mapper validate
    FILE --rejects`` gives it for that file alone, a line holding only a BOM inside the file,
    skipped here, numbered as a record as validate numbers it; ``line``: its
    line number in ``file``, from 1, blank lines counted, as ``--rejects`` gives it; ``"raw_base64"``,
    the line's bytes, in place of ``"raw"`` when it is not UTF-8; a CRLF's CR in neither, as ``--rejects`` writes
    them), null fields written (each error has its five keys); ``file`` comes from an internal column whose
    name no sink column takes (:data:`FILE_COLUMN`). ``paths`` are given to Spark as they
    are: ``mapper spark-validate`` checks them first (:func:`check_inputs`). The mapped rows are
    persisted (memory, then local disk) while both halves are written, so each record is
    mapped once. The counts are read back from what was written, and the input is
    counted on its own: mapped rows + refused records == input records (unless a file was
    written to meanwhile, :attr:`ValidateCounts.lost`). A blank line
    (empty, or JSON whitespace only) is no record: skipped, as ``mapper validate`` skips
    it, and counted in :attr:`ValidateCounts.blank_lines`. Both halves are
    staged under ``output/.mapper-staging-<owner>-<id>`` and renamed into place at the end
    (the staging directories that killed runs left there go first, a running one's never:
    :attr:`ValidateCounts.leftovers`); a
    ``KeyboardInterrupt`` cancels the job (its Spark calls run in a thread of their own,
    their jobs tagged) and removes the staging directory before it is raised.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    if not hasattr(spark, "sparkContext"):
        raise OptionError(f"spark must be a SparkSession, not {type(spark).__module__}.{type(spark).__qualname__}")
    if not isinstance(output, (str, os.PathLike)) or not os.fspath(output):  # ("" read as "/": the results went to /mapped and /refused)
        raise OptionError(f"output must name a directory (a str or os.PathLike), not {output!r}")
    output = os.fsdecode(output)  # (a PathLike of bytes too, as _path_list takes the paths)
    paths = _path_list(paths)
    for path in paths:  # (Spark's error was an AnalysisException, PATH_NOT_FOUND, once the job was planned)
        local = _local_path(path)
        if local is not None and not any(ch in local for ch in _GLOB) and not os.path.exists(local):
            raise InputError(f"no such file: {shown_name(path)}")
    check_output(output)  # (a file, or a directory that cannot be written: a Py4JJavaError with Hadoop's stack trace before)
    fs = _FileSystem(spark, output)
    mapped_dir, refused_dir = _join_path(output, "mapped"), _join_path(output, "refused")
    if not overwrite:
        _refuse_results(output, fs.exists)
    # Both halves are written under a staging directory and renamed into place when all
    # is written and counted: a failed or killed job leaves nothing under the final names.
    # Named by this process: a later run removes it if this one is killed (_sweep).
    staging = _join_path(output, _staging_name())
    staged_mapped, staged_refused = _join_path(staging, "mapped"), _join_path(staging, "refused")
    loaded = load_sink(sink)
    if allow_missing_fields is None:  # (map_dataframe, given this Sink, finds it compiled: the definition checked once)
        _driver_worker(loaded, just_loaded=not isinstance(sink, Sink))
    taken = [c.name for c in loaded.columns]
    file_column = _free_name(FILE_COLUMN, taken)  # never a sink column's name (a sink may have a "file")
    block_column, row_column = _free_name(BLOCK_COLUMN, taken), _free_name(ROW_COLUMN, taken)

    def run() -> ValidateCounts:
        # what killed runs left (a full copy of their results each), never a running one's
        leftovers = _sweep_staging(fs, output)
        # _metadata.file_path: the file each row came from (Spark >= 3.3 file sources); with the
        # start of the file's split it was read in and the row's monotonically_increasing_id()
        # (taken before blank lines go), what its line number is made of (_line_offsets)
        every = _read_lines(spark, paths).select(
            F.col("value"),
            _file_name(F.col("_metadata.file_path")).alias(file_column),
            F.col("_metadata.file_block_start").alias(block_column),
            F.monotonically_increasing_id().alias(row_column),
        )
        # no record: skipped, as validate skips them. A line holding only a BOM (and blanks) is
        # mapped, refused as an empty cell, and left out of the refusals (skipped too): its row
        # takes a _position, as validate gives it a record number (it refuses it inside a file),
        # so the records after it are numbered as validate numbers them (_line_offsets)
        text = every.where(~_blank_line(F.col("value"), bom=False))
        result = map_dataframe(text, loaded, allow_missing_fields=allow_missing_fields, strict=strict, max_record_size=max_record_size)
        rows = result.rows.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            kept = SparkMapping(rows, result.passthrough, result.columns)
            # (refused as an empty cell: only a BOM line is, the blank ones never reached the mapping)
            refusals = kept.refused.where(F.col(ERRORS)[0]["message"] != F.lit(_BLANK_CELL))
            writer = kept.mapped.drop(file_column, block_column, row_column).write
            if _session_conf(spark, _PARQUET_TIMESTAMP) is None:  # (INT96: see _PARQUET_TIMESTAMP)
                writer = writer.option(_PARQUET_TIMESTAMP, "TIMESTAMP_MICROS")
            writer.parquet(staged_mapped)
            # the second read of the input: its lines counted per split of each file, after the mapping
            # (a file that grew meanwhile counts more lines than were mapped: _lost_message). One row
            # per split, collected: what follows is arithmetic on a few rows, done here (as Spark jobs,
            # each with its shuffles, it cost more than the read itself: docs/spark.md, Figures)
            splits = [r.asDict() for r in _splits(every, file_column, block_column, row_column).collect()]
            lines, blank = sum(int(r["lines"]) for r in splits), sum(int(r["blank"] or 0) for r in splits)
            refused = refusals.withColumn(_PART, F.shiftright(F.col(row_column), 33))
            schema = ", ".join(f"`{c}` {t}" for c, t in zip(_OFFSETS, ("string", *["long"] * (len(_OFFSETS) - 1))))
            offsets = spark.createDataFrame(_line_offsets(_reads(every, splits, file_column, block_column)), schema)
            offsets = F.broadcast(offsets)
            o_file, o_block, o_part = (F.col(f"_o{i}") for i in range(3))
            row = F.col(row_column)
            # the read the row is in: a split read twice in one partition has two, one after the other
            within = (row >= F.col("_first")) & (row < F.col("_first") + F.col("lines"))
            keys = (_col(file_column) == o_file) & (_col(block_column) == o_block) & (F.col(_PART) == o_part)
            refused = refused.join(offsets, keys & within, "left")
            number = F.col("_before") + row - F.col("_first") + 1
            record = F.col("_records") + F.col(POSITION) - F.col("_first") + F.col("_blank_before") - F.col("_bom_first")
            head = (
                _col(file_column).alias("file"),
                record.alias("record"),
                number.alias("line"),
                F.col(POSITION).alias("position"),
                F.col(ERRORS).alias("errors"),
            )
            # every error's five keys, null ones too (Spark's JSON writer leaves nulls out by default); the
            # line as text in "raw", or, when it is not UTF-8, its bytes in "raw_base64", as --rejects writes
            # them (the text was written with U+FFFD for each bad byte: the line was lost)
            # A CRLF's CR is part of the line terminator, as validate reads it: it goes, as it does from --rejects' raw
            as_json = partial(F.to_json, options={"ignoreNullFields": "false"})
            raw = _line_bytes(F.col(RAW))
            line = F.when(_valid_utf8(F.col(RAW)), as_json(F.struct(*head, raw.cast("string").alias("raw")))).otherwise(
                as_json(F.struct(*head, F.base64(raw).alias("raw_base64")))
            )
            refused.select(line.alias("value")).write.text(staged_refused)
            codes = {r["code"]: r["count"] for r in refusals.select(F.explode(ERRORS).alias("e")).groupBy("e.code").count().collect()}
        finally:
            rows.unpersist()
        counts = ValidateCounts(
            input_records=lines - blank,
            mapped_rows=spark.read.parquet(staged_mapped).count(),
            refused_records=spark.read.text(staged_refused).count(),
            error_counts=dict(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))),
            blank_lines=blank,
            leftovers=leftovers,
        )
        if not overwrite:  # (checked at the start too: another run into OUT may have ended since, and its results are not this one's to remove)
            try:
                _refuse_results(output, fs.exists)
            except OptionError as exc:
                raise OptionError(f"{exc} (another run wrote it while this one ran; this run's results were not kept)") from None
        interruption_lost()  # (one a library dropped meanwhile: nothing put in place, as if it came now)
        for final in (mapped_dir, refused_dir):  # (--overwrite: the old results go only now)
            fs.delete(final)
        fs.rename(staged_mapped, mapped_dir)
        try:
            fs.rename(staged_refused, refused_dir)
        except BaseException:  # half an output is none: the mapped rows go too (the run says why it failed)
            _twice(fs.delete, mapped_dir)
            raise
        return counts

    try:
        counts = _cancellable(spark, run)
    except BaseException as exc:
        _twice(fs.delete, staging)  # (never in place of the error, or the interruption)
        _remove_local(staging)  # (the JVM gone, Hadoop's delete cannot: a SIGTERM to the process group ends it too)
        padded = _padded_input(exc) if isinstance(exc, Exception) and not isinstance(exc, MapperError) else None
        if padded is not None:
            raise padded from None
        raise
    _twice(fs.delete, staging, must=True)
    return counts


#: How ``OUT/mapped`` stores timestamps: Spark's default, INT96 (deprecated in Parquet), is read by
#: pyarrow and pandas as nanoseconds, so a timestamp past 2262 the endpoint stores (to 9999-12-31)
#: read back wrapped (9999-12-31 as 1816-03-30, silently). Written as TIMESTAMP_MICROS (Spark's
#: own microseconds, marked UTC) unless the session names a type (``--conf``).
_PARQUET_TIMESTAMP = "spark.sql.parquet.outputTimestampType"
#: Spark 3.x fails a Parquet write holding a timestamp before 1900 unless this is set (its default,
#: EXCEPTION; CORRECTED from Spark 4.0): mapper's timestamps are the endpoint's, proleptic
#: Gregorian, written as they are. ``spark-validate`` sets both for the session it starts.
_PARQUET_REBASE = ("spark.sql.parquet.datetimeRebaseModeInWrite", "spark.sql.parquet.int96RebaseModeInWrite")
#: What the session spark-validate starts sets for Parquet: the timestamp type in the session too,
#: not only as the write's option (Spark 3.5's ParquetFileFormat.prepareWrite takes the session's
#: value over the write's options).
_SESSION_PARQUET = {**dict.fromkeys(_PARQUET_REBASE, "CORRECTED"), _PARQUET_TIMESTAMP: "TIMESTAMP_MICROS"}


def _session_conf(spark: Any, key: str) -> str | None:
    """``key``'s value when the session sets it (None when it has Spark's default, or cannot be asked)."""
    try:
        value = spark.conf.get(key, None)
    except Exception:  # noqa: BLE001 - (py4j's errors, a session of another kind)
        return None
    return None if value is None else str(value)


def _remove_local(path: str) -> None:
    """A local directory removed from Python, when Hadoop's delete (through the JVM) did not: a
    SIGTERM sent to the whole process group (``timeout``, ``kill -- -PGID``) ends the JVM as this
    process takes it, and the staging directory was left for a later run into OUT."""
    local = _local_path(path)
    if local is not None and os.path.isdir(local):
        shutil.rmtree(local, ignore_errors=True)


def _padded_input(exc: Exception) -> InputError | None:
    """The failed job's reason when it is a local gzip file with zero bytes after a member
    (:func:`_gzip_padding`), which Spark names only as "not a gzip file" or "Unexpected end of
    input stream": an :class:`~mapper.errors.InputError` naming the file and what to do."""
    found = re.search(r"Encountered error while reading file (\S+)", _exc_text(exc) or "")
    if found is None:
        return None
    uri = found.group(1).removesuffix(".")  # (Spark's sentence ends after the name; the name is percent-encoded)
    local = _local_path(uri)
    if local is None:
        return None
    path = urllib.parse.unquote(local)
    if not path.endswith(".gz") or not os.path.isfile(path):
        return None
    padding = _gzip_padding(path)
    return None if padding is None else InputError(f"Spark failed to read {shown_name(path)}: it {_padding_text(*padding, path)}")


def _cancellable(spark: Any, step: Callable[[], ValidateCounts], wait: float = 30.0) -> ValidateCounts:
    """``step()``, its Spark calls made from a thread of its own, its jobs tagged.

    A Ctrl-C reaches the main thread, never in the middle of a py4j call: it cancels the
    tagged jobs, again and again, until ``step`` has returned or failed (at most ``wait``
    seconds), then is raised. The JVM goes on with a call whose caller was interrupted,
    and may start its job only after a one-time cancellation (a write still being
    planned): the staging directory may be removed only once every call has ended.
    Further Ctrl-Cs meanwhile are the same interruption.
    """
    from pyspark import InheritableThread

    context = spark.sparkContext
    tag = f"mapper-spark-validate-{uuid.uuid4().hex}"
    outcome: dict[str, Any] = {}
    # (an Event, not Thread.join: a join that a Ctrl-C cuts can mark the thread stopped while it runs, bpo-45274's fix)
    done = threading.Event()

    def body() -> None:
        try:
            context.addJobTag(tag)
            try:
                outcome["counts"] = step()
            finally:
                context.removeJobTag(tag)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    InheritableThread(target=body, daemon=True).start()  # (the caller's local properties: its job group, pool, tags)
    try:
        while not done.wait(0.1):
            # (a signal whose exception a library dropped, in this thread: taken as it came, the jobs cancelled)
            interruption_lost()
    except KeyboardInterrupt:
        deadline = time.monotonic() + wait
        while not done.is_set() and time.monotonic() < deadline:
            try:
                _twice(context.cancelJobsWithTag, tag)
                done.wait(0.2)
            except KeyboardInterrupt:
                continue
        raise
    if "error" in outcome:
        raise outcome.pop("error")
    return outcome["counts"]


def _twice(step: Callable[..., Any], *args: Any, must: bool = False) -> None:
    """``step(*args)``, tried again after half a second if it fails (py4j, on a connection an
    interruption broke). A Ctrl-C meanwhile is raised once that is done; a second failure is
    raised when ``must``, and let go otherwise."""
    interrupted, error = False, None
    for attempt in range(2):
        try:
            if attempt:
                time.sleep(0.5)
            step(*args)
            error = None
            break
        except KeyboardInterrupt:
            interrupted = True
        except Exception as exc:  # noqa: BLE001 - py4j's errors
            error = exc
    if interrupted:
        raise KeyboardInterrupt
    if error is not None and must:
        raise error


def _refuse_results(output: str, exists: Callable[[str], bool]) -> None:
    """Refuse an output whose ``mapped`` or ``refused`` is there already (``exists``: asked of the
    local file system before Spark starts, of Hadoop's in :func:`validate_files`)."""
    for where in (_join_path(output, "mapped"), _join_path(output, "refused")):
        if exists(where):
            raise OptionError(f"{shown_name(where)} exists: choose another output directory, or --overwrite (overwrite=True) to replace it")


#: The internal name of the file column in :func:`validate_files` (written as ``file`` in ``refused``).
FILE_COLUMN = "_mapper_input_file"
#: ... and of the start of a line's split, and of its monotonically_increasing_id(): its ``line`` in ``refused``.
BLOCK_COLUMN, ROW_COLUMN = "_mapper_block_start", "_mapper_row"


def _free_name(name: str, taken: Sequence[str]) -> str:
    """``name``, or ``name_2``, ``name_3``...: the first that no name in ``taken`` equals in any case."""
    low = {t.lower() for t in taken}
    candidate, n = name, 1
    while candidate.lower() in low:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _file_name(uri: Any) -> Any:
    """A file's name as it is, from Spark's ``_metadata.file_path`` URI (``file:/tmp/a%20b.ndjson``).

    The URI percent-encodes a space (``%20``) and a ``%`` (``%25``), so two files, ``a b.ndjson``
    and ``a%20b.ndjson``, read alike there. Decoded, it is ``file:/tmp/a b.ndjson``: the scheme
    kept, the name as ``ls`` shows it. ``url_decode`` reads ``+`` as a space (a form's
    encoding), and a URI leaves a ``+`` as it is: it is made ``%2B`` first.
    """
    from pyspark.sql import functions as F

    return F.call_function("url_decode", F.replace(uri, F.lit("+"), F.lit("%2B")))


def _valid_utf8(value: Any) -> Any:
    """Whether a string column's bytes are UTF-8 (Spark keeps a text file's bytes as they are, bad ones too)."""
    from pyspark.sql import functions as F

    if hasattr(F, "is_valid_utf8"):  # Spark >= 4.0
        return F.is_valid_utf8(value)
    # Spark 3.5: decoding replaces each bad byte with U+FFFD (4.0 raises instead), so a line that is not UTF-8 changes
    data = value.cast("binary")
    return F.encode(F.decode(data, "UTF-8"), "UTF-8") == data


def _line_bytes(value: Any) -> Any:
    """A line's bytes without a final CR: a CRLF's CR is part of the line terminator, as
    ``mapper validate`` reads a line (``line_text``), and ``--rejects`` leaves it out of
    ``raw``. Only that one goes: a CR elsewhere (JSON whitespace), or a second one before
    it, is part of the line. The bytes, not the text: a line that is not UTF-8 keeps its
    exact bytes (``raw_base64``)."""
    from pyspark.sql import functions as F

    data = value.cast("binary")
    size = F.length(data)  # (bytes, for a binary column)
    return F.when(data.substr(size, F.lit(1)) == F.unhex(F.lit("0D")), data.substr(F.lit(1), size - 1)).otherwise(data)


def _blank_line(value: Any, bom: bool = True) -> Any:
    """Whether a line holds no record: empty, or JSON whitespace only (after a BOM, which opens a
    file; ``bom=False``: a line starting with a BOM is not one).

    ``mapper validate`` skips such lines; a cell of :func:`map_dataframe` is refused instead (a
    Kafka message is a record). Only lines starting with whitespace or a BOM meet the regular
    expression; ``\\z``, not ``$``, which Java also matches before a final line terminator (U+2028, NEL).
    """
    from pyspark.sql import functions as F

    first = F.substring(value, 1, 1)
    if not bom:
        return (F.length(value) == 0) | (first.isin(" ", "\t", "\r") & value.rlike("^[ \t\r]*\\z"))
    return (F.length(value) == 0) | (first.isin(" ", "\t", "\r", "\ufeff") & value.rlike("^\ufeff?[ \t\r]*\\z"))


#: The Spark partition a row was read in, from its monotonically_increasing_id() (the index is its low 33 bits).
_PART = "_mapper_partition"


def _splits(every: Any, file_column: str, block_column: str, row_column: str) -> Any:
    """One row per split of a file that Spark read (a file, or a byte range of a large
    uncompressed one, within one Spark partition): its ``lines``, its ``blank`` ones, and
    ``_first``, the monotonically_increasing_id() of its first line. A second read of the
    input, one aggregation: as many rows as splits (about one per file, and one per 128 MB).

    ``unmapped``: the blank lines that never reach the mapping (``blank`` less the lines
    holding only a BOM, which are mapped and their refusal dropped: they take a
    ``_position``); ``_bom_first``: 1 when the split opens its file with such a line
    (``mapper validate`` drops a file's BOM and skips the blank line left: no record number;
    a BOM line inside a file is a record it refuses, numbered)."""
    from pyspark.sql import functions as F

    row = F.col(row_column)
    bom_line = _blank_line(F.col("value")) & ~_blank_line(F.col("value"), bom=False)
    return (
        every.groupBy(file_column, block_column, F.shiftright(row, 33).alias(_PART))
        .agg(
            F.count(F.lit(1)).alias("lines"),
            F.sum(_blank_line(F.col("value")).cast("long")).alias("blank"),
            F.sum(_blank_line(F.col("value"), bom=False).cast("long")).alias("unmapped"),
            F.min(row).alias("_first"),
            F.min(F.when(bom_line, row)).alias("_bom_row"),
        )
        .withColumn("_bom_first", F.coalesce(((_col(block_column) == 0) & (F.col("_bom_row") == F.col("_first"))).cast("long"), F.lit(0)))
        .drop("_bom_row")
    )


def _scan_partitions(df: Any) -> list[Any] | None:
    """The partitions of ``df``'s file scan (Spark's ``FilePartition``: the splits each reads,
    in order), or None when the plan is not one file scan this can read.

    What the data cannot tell: a split read twice in one partition (a small file named twice)
    gives rows that look like one read of twice the lines. Spark's own plan says how often,
    and in which order; its classes are internal, so anything unexpected gives None."""
    try:
        leaves = df._jdf.queryExecution().sparkPlan().collectLeaves()
        if leaves.size() != 1:
            return None
        return list(leaves.head().inputRDD().partitions())
    except Exception:  # noqa: BLE001 - (Spark Connect, another Spark's classes: the reads are taken as the data shows them)
        return None


def _partition_reads(partition: Any) -> list[tuple[str, int]] | None:
    """A scan partition's reads in order: ``(file, start of the split)``, the file named as
    :func:`_file_name` names it (Hadoop's ``Path``, percent-decoded); None if it cannot be read."""
    try:
        return [(str(f.toPath().toString()), int(f.start())) for f in partition.files()]
    except Exception:  # noqa: BLE001 - (another Spark's classes)
        return None


def _reads(every: Any, splits: list[dict[str, Any]], file_column: str, block_column: str) -> list[_Read]:
    """One row per read of a split (:func:`_splits`' rows, collected, with each group that is
    several reads of one split in one partition cut into its reads): ``(file, block start,
    partition, _first, lines, blank, unmapped, _bom_first)``.

    Rows of one partition come one read after another, numbered on by
    monotonically_increasing_id(): a split read ``k`` times in one partition has ``k`` times
    its lines, and its reads start where the partition's earlier reads end. Only the
    partitions holding more reads (Spark's plan: :func:`_scan_partitions`) than groups are looked
    at; a partition whose groups do not add up as the plan says keeps its groups."""
    keys = (file_column, block_column, _PART, "_first", "lines", "blank", "unmapped", "_bom_first")
    kept = [_Read(*(r[k] for k in keys)) for r in splits]
    partitions = _scan_partitions(every)
    if partitions is None:
        return kept
    groups: dict[int, int] = {}
    for r in splits:
        groups[int(r[_PART])] = groups.get(int(r[_PART]), 0) + 1
    try:  # (two py4j calls a partition: its reads are looked at only where they outnumber its groups)
        suspect = [p for p, part in enumerate(partitions) if len(part.files()) > groups.get(p, 0)]
    except Exception:  # noqa: BLE001 - (another Spark's classes)
        return kept
    found: dict[int, dict[tuple[str, int], Any]] = {}
    for r in splits:
        if int(r[_PART]) in suspect:
            found.setdefault(int(r[_PART]), {})[(r[file_column], int(r[block_column]))] = r
    rows: list[_Read] = []
    fixed: set[int] = set()
    for p in suspect:
        reads, got = _partition_reads(partitions[p]), found.get(p, {})
        if reads is None:
            continue
        times: dict[tuple[str, int], int] = {}
        for read in reads:
            times[read] = times.get(read, 0) + 1
        if any(times.get(key, 0) == 0 or g["lines"] % times[key] or g["blank"] % times[key] or g["unmapped"] % times[key] for key, g in got.items()):
            continue  # (the plan and the data disagree: the groups are kept)
        at, own, seen = p << 33, [], set()
        for read in reads:
            g = got.get(read)
            if g is None:
                continue  # a read of no line (a split inside one long line)
            if read not in seen and at != g["_first"]:
                break
            seen.add(read)
            n = g["lines"] // times[read]
            # (each read of a split opens with the same line: _bom_first is each one's)
            own.append(_Read(read[0], read[1], p, at, n, g["blank"] // times[read], g["unmapped"] // times[read], g["_bom_first"]))
            at += n
        else:
            if at == (p << 33) + sum(g["lines"] for g in got.values()):
                rows += own
                fixed.add(p)
    return [r for r in kept if r.part not in fixed] + rows


@dataclass(frozen=True)
class _Read:
    """A read of a split (:func:`_reads`)."""

    file: str | None
    block: int
    part: int
    first: int
    lines: int
    blank: int | None
    unmapped: int | None
    bom_first: int


#: The columns of :func:`_line_offsets`' rows: the read's file, split and partition, then where its lines and records start.
_OFFSETS = ("_o0", "_o1", "_o2", "_first", "lines", "_before", "_records", "_blank_before", "_bom_first")


def _line_offsets(reads: list[_Read]) -> list[tuple[Any, ...]]:
    """Per read of a split (:func:`_reads`): where its lines and records start in its file, a row
    of :data:`_OFFSETS`.

    ``_before``: the lines of its file in the splits before it; ``_records``: the records
    (lines less blank ones, as ``mapper validate`` counts them: a line holding only a BOM is
    one, unless it opens the file) there; ``_blank_before``: the blank lines of its partition's
    earlier reads that were not mapped (``unmapped``: every row mapped has a ``_position``);
    ``_bom_first`` (:func:`_splits`), taken off the records after it. Hadoop's line reader gives each line to the split it starts in, and a
    split's lines come in order, one after another in its Spark partition (several small
    files may share one): the line number of a row is ``_before + (its id - _first) + 1``,
    counting blank lines, as ``mapper validate --rejects`` counts them, and its record (its
    index among the file's records) ``_records + (its _position - _first) + _blank_before``,
    ``_position`` counting the partition's rows less its blank ones (a line holding only a
    BOM has one), ``- _bom_first``. A few rows (one per split), so worked out here, not as Spark jobs."""
    # per split of the file once: a file Spark reads twice (named twice) has each split twice
    blocks: dict[tuple[str, int], tuple[int, int, int]] = {}
    for r in reads:
        if r.file is None:
            continue  # (no file: Spark's inner join on it kept no such row)
        had = blocks.get((r.file, r.block), (r.lines, r.unmapped or 0, r.bom_first))
        blocks[(r.file, r.block)] = (max(had[0], r.lines), max(had[1], r.unmapped or 0), max(had[2], r.bom_first))
    before: dict[tuple[str, int], tuple[int, int]] = {}
    sums: dict[str, tuple[int, int]] = {}
    for (file, block), (lines, unmapped, bom_first) in sorted(blocks.items()):
        done, records = sums.get(file, (0, 0))
        before[(file, block)] = (done, records)
        sums[file] = (done + lines, records + lines - unmapped - bom_first)
    rows: list[tuple[Any, ...]] = []
    blank_before: dict[int, int] = {}
    for r in sorted(reads, key=lambda r: (r.part, r.first)):
        earlier = blank_before.get(r.part, 0)
        blank_before[r.part] = earlier + (r.unmapped or 0)
        if r.file is not None:
            rows.append((r.file, r.block, r.part, r.first, r.lines, *before[(r.file, r.block)], earlier, r.bom_first))
    return rows


def _input_state(paths: Sequence[str], limit: int = 10_000) -> dict[str, tuple[int, int]]:
    """``(size, mtime_ns)`` of each local file ``paths`` name (a directory's and a glob's files
    too, the first ``limit`` of them); remote paths are left out.

    Taken before and after a run (a few ``os.stat`` calls: nothing read), the two say whether
    the input changed while Spark read it twice, once to map and once to count."""
    state: dict[str, tuple[int, int]] = {}

    def add(name: str) -> None:
        try:
            st = os.stat(name)
        except OSError:  # (gone: missing from the state, which says so)
            return
        if stat.S_ISREG(st.st_mode):
            state[name] = (st.st_size, st.st_mtime_ns)

    for path in paths:
        local = _local_path(path)
        if local is None:
            continue
        names = sorted({m for pattern in _braces(local) for m in _glob(pattern)}) if any(ch in local for ch in _GLOB) else [local]
        for name in names:
            if os.path.isdir(name):
                for root, dirs, files in os.walk(name):
                    dirs.sort()
                    for file in sorted(files):
                        if len(state) >= limit:
                            return state
                        add(os.path.join(root, file))
            elif len(state) < limit:
                add(name)
    return state


def _changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """How each local input file that changed between ``before`` and ``after`` (:func:`_input_state`) changed."""

    def seen(state: tuple[int, int] | None) -> str:
        if state is None:
            return "not there"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state[1] / 1e9))
        return f"{state[0]:,} bytes, modified {when}.{state[1] // 1_000_000 % 1000:03d}"

    return [
        f"{shown_name(name)}: {seen(before.get(name))} before, {seen(after.get(name))} after"
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]


def _lost_message(counts: ValidateCounts, before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], remote: bool = False) -> str:
    """What spark-validate says when mapped + refused != input records (:attr:`ValidateCounts.lost`).

    Spark reads the input twice, once to map and once to count: a file written to meanwhile
    (a live log) counts more lines the second time. That is what the message names when the
    local files' size or modification time changed (``before``/``after``: :func:`_input_state`),
    with what to do; ``remote``: some input could not be looked at."""
    head = f"mapped + refused = {counts.mapped_rows + counts.refused_records:,}, not the {counts.input_records:,} input records"
    changes = _changes(before, after)
    if changes:
        shown = "; ".join(changes[:3]) + (f"; and {len(changes) - 3:,} more" if len(changes) > 3 else "")
        return (
            f"{head}: the input changed during the run ({shown}). Spark reads it twice, once to map and once to count, "
            "and the two saw different data: the results are of what the first read saw, not of the input as it is now. "
            "Copy the input first (a file still being written, such as a live log: cp it to a file of its own) and spark-validate the copy"
        )
    where = "a remote input: its size and time are not looked at here" if remote else "no local input's size or modification time changed"
    return (
        f"{head}: Spark reads the input twice, once to map and once to count, and the two reads differ ({where}). "
        "If an input was written to during the run, copy it first and spark-validate the copy; otherwise this is a bug: please report it"
    )


def _read_lines(spark: Any, paths: Sequence[str]) -> Any:
    """The files' lines as Spark rows: ended by a newline only (a bare CR is JSON whitespace,
    as the engine reads it; Spark's text reader would also end a line there).

    A file Spark cannot read (a truncated gzip) or that went away fails the job whatever
    the session says (``spark.sql.files.ignoreCorruptFiles`` / ``ignoreMissingFiles``
    would drop the rest of such a file without a word: records lost, not refused)."""
    reader = spark.read.option("lineSep", "\n").option("ignoreCorruptFiles", "false").option("ignoreMissingFiles", "false")
    return reader.text(list(paths))


class _FileSystem:
    """Hadoop's file system of ``path`` (local, hdfs://, s3a:// ...), through Spark's JVM."""

    def __init__(self, spark: Any, path: str):
        jvm = spark.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path
        self.fs = self._path(path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self._path(path)))

    def delete(self, path: str) -> None:
        self.fs.delete(self._path(path), True)

    def list(self, path: str) -> list[str]:
        """The names in directory ``path`` (none when it does not exist)."""
        where = self._path(path)
        if not self.fs.exists(where):
            return []
        return [str(status.getPath().getName()) for status in self.fs.listStatus(where)]

    def rename(self, source: str, target: str) -> None:
        if not self.fs.rename(self._path(source), self._path(target)):
            raise InputError(f"cannot move {shown_name(source)} to {shown_name(target)}")


def _join_path(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def add_spark_parser(sub: Any) -> None:
    """Add the ``spark-validate`` subcommand to the ``mapper`` parser's subparsers."""
    p = sub.add_parser(
        "spark-validate",
        help="map and validate record files with Spark: mapped rows as Parquet, refused records as NDJSON",
        description=(
            "Map NDJSON files with Spark (needs the spark extra and Java): writes OUT/mapped (Parquet: _position, _id, the typed columns, "
            "_missing) and OUT/refused (NDJSON: file, record, line, position, errors, raw), then prints the counts, read back from what was written. "
            "Exit 0 when every record was mapped, 1 when some were refused, 2 on usage errors or a failed job."
        ),
    )
    p.add_argument("sink", metavar="SINK", type=file_name, help="sink definition file")
    p.add_argument("paths", metavar="PATH", nargs="+", type=file_name, help="NDJSON files, directories or globs Spark reads (local, hdfs://, s3a://; .gz ok)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", type=file_name, help="output directory: OUT/mapped and OUT/refused")
    p.add_argument("--overwrite", action="store_true", help="replace OUT/mapped and OUT/refused if they exist")
    p.add_argument("--master", metavar="URL", help="Spark master (default: local[*] unless spark-submit set one)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)")
    p.add_argument("--strict", action="store_true", help="values the endpoint would store differently refuse their record")
    p.add_argument("--id-field", type=field_option, metavar="COLUMN", help="the column whose value is the record's _id (for a bare definition array)")
    p.add_argument("--primary-key-fields", type=fields_option, metavar="COLUMNS", help="comma-separated columns joined with | into a string _id")
    p.add_argument("--allow-missing-fields", dest="allow_missing", action="store_true", default=None, help="keep records lacking a mapped value")
    p.add_argument("--no-allow-missing-fields", dest="allow_missing", action="store_false", help="refuse each record lacking a mapped value (code missing)")
    p.add_argument(
        "--max-record-size",
        metavar="BYTES",
        help="a line longer than this is refused (code too_large), as mapper validate refuses it (default 16M; suffixes K, M, G)",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no Spark progress bar (drawn only on a terminal) or JVM WARN logs; only the counts and their notes"
    )
    # mapper map's input options, taken only to say why they do not apply here
    p.add_argument("--records-path", help=argparse.SUPPRESS)
    p.add_argument("--input-format", help=argparse.SUPPRESS)


def _confs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"--conf takes KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


#: Spark's master URLs (SparkContext.createTaskScheduler, SparkMasterRegex): local[N] with N a number
#: or *, no space inside the brackets, and local[N,F] with F retries, spaces allowed around the comma
#: only; ASCII digits and whitespace, as Java's [0-9] and \s
_MASTER = re.compile(
    r"local(?:\[(?P<n>[0-9]+|\*)\]|\[(?P<nf>[0-9]+|\*)\s*,\s*(?P<f>[0-9]+)\])?"
    r"|local-cluster\[\s*[0-9]+\s*,\s*[0-9]+\s*,\s*[0-9]+\s*\]|yarn|(spark|k8s)://\S+",
    re.ASCII,
)
#: The largest count Spark reads (Scala's toInt: a larger one was a NumberFormatException's stack trace).
_INT_MAX = (1 << 31) - 1


def _check_master(args: argparse.Namespace, confs: dict[str, str]) -> None:
    """Spark's own rule for a master URL, checked before spark-submit prints a Java trace for it."""
    for source, master in (("--master", args.master), ("spark.master", confs.get("spark.master")), ("MASTER", os.environ.get("MASTER"))):
        if master:  # the first one given is the one Spark takes
            found = _MASTER.fullmatch(master)
            if not found:
                raise OptionError(f"{source} {master!r}: Spark takes local, local[N], local[*], local[N,F], spark://HOST:PORT, yarn or k8s://URL")
            threads, retries = found.group("n") or found.group("nf"), found.group("f")
            if threads not in (None, "*") and not 0 < int(threads) <= _INT_MAX:  # ("Asked to run locally with 0 threads", a Java stack trace)
                raise OptionError(f"{source} {master!r}: the number of threads in local[N] must be from 1 to {_INT_MAX:,} (or *, one per core)")
            if retries is not None and int(retries) > _INT_MAX:
                raise OptionError(f"{source} {master!r}: the number of task failures in local[N,F] must be at most {_INT_MAX:,}")
            return


#: The driver's log4j2 configuration (``{level}``: warn, or error with ``-q``; a JVM-killing error,
#: SparkUncaughtExceptionHandler's OutOfMemoryError, with its first line, not its stack trace): what Spark logs
#: by default, without the loggers that repeat a failed task's Java stack trace (mapper
#: prints the failure's first line itself; of Utils, only its "Aborting task" with the file
#: writer's trace, as a full disk gives). The root stays at warn and the console's filter
#: takes ``-q``'s level: a root level other than warn makes pyspark print "Setting default
#: log level" (and lower the console's threshold to warn).
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = {level}
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
logger.parquet1.name = org.apache.parquet
logger.parquet1.level = error
logger.parquet2.name = parquet
logger.parquet2.level = error
logger.meta.name = org.apache.spark.sql.execution.streaming.sinks.FileStreamSink
logger.meta.level = error
logger.abort.name = org.apache.spark.util.Utils
logger.abort.level = warn
logger.abort.filter.task.type = RegexFilter
logger.abort.filter.task.regex = Aborting task.*
logger.abort.filter.task.onMatch = DENY
logger.abort.filter.task.onMismatch = NEUTRAL
appender.brief.type = Console
appender.brief.name = brief
appender.brief.target = SYSTEM_ERR
appender.brief.filter.threshold.type = ThresholdFilter
appender.brief.filter.threshold.level = {level}
appender.brief.layout.type = PatternLayout
appender.brief.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex{{1}}
logger.uncaught.name = org.apache.spark.util.SparkUncaughtExceptionHandler
logger.uncaught.level = error
logger.uncaught.additivity = false
logger.uncaught.appenderRef.brief.ref = brief
""" + "".join(
    f"logger.quiet{i}.name = {name}\nlogger.quiet{i}.level = off\n"
    for i, name in enumerate(
        (
            "org.apache.spark.executor.Executor",
            "org.apache.spark.scheduler.TaskSetManager",
            "org.apache.spark.api.python.PythonRunner",
            "org.apache.spark.sql.execution.datasources.FileFormatWriter",
            "org.apache.spark.internal.io.SparkHadoopWriter",
            "org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter",
        )
    )
)


#: ... and when the run makes its driver directory Spark's local directory (:func:`_own_local_dir`):
#: SparkConf's warning that "spark.local.dir will be overridden by the value set by the cluster
#: manager" is of a setting the user never made (printed at every run without -q).
_LOG4J2_OWN_LOCAL_DIR = """\
logger.conf.name = org.apache.spark.SparkConf
logger.conf.level = warn
logger.conf.filter.localdir.type = RegexFilter
logger.conf.filter.localdir.regex = Note that spark.local.dir will be overridden .*
logger.conf.filter.localdir.onMatch = DENY
logger.conf.filter.localdir.onMismatch = NEUTRAL
"""


def _log_options(confs: dict[str, str], quiet: bool, directory: str, own_local_dir: bool = False) -> str | None:
    """``spark.driver.extraJavaOptions`` with mapper's log4j2 file (written in ``directory``),
    or None when the user's own options name a log4j configuration already."""
    own = confs.get("spark.driver.extraJavaOptions") or _spark_default("spark.driver.extraJavaOptions") or ""
    if "log4j" in own:
        return None
    path = os.path.join(directory, "log4j2.properties")
    with open(path, "w", encoding="utf-8") as f:
        f.write(_LOG4J2.format(level="error" if quiet else "warn") + (_LOG4J2_OWN_LOCAL_DIR if own_local_dir else ""))
    option = "-Dlog4j2.configurationFile=" + Path(path).as_uri()
    return f"{own} {option}".strip()


def _spark_default(key: str) -> str | None:
    """``key``'s value in spark-defaults.conf (``$SPARK_CONF_DIR``, or the conf directory of
    ``$SPARK_HOME`` or of pyspark's own Spark), which an option set here would replace."""
    conf_dir = os.environ.get("SPARK_CONF_DIR")
    if not conf_dir:
        home = os.environ.get("SPARK_HOME")
        if not home:
            import pyspark

            home = os.path.dirname(pyspark.__file__)
        conf_dir = os.path.join(home, "conf")
    value = None
    try:
        with open(os.path.join(conf_dir, "spark-defaults.conf"), encoding="utf-8") as f:
            for line in f:
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                found = re.match(r"([^\s=:]+)\s*[\s=:]\s*(.*)", text)  # a Java properties line: key value, key=value or key: value
                if found is not None and found.group(1) == key:
                    value = found.group(2).strip()  # the last one counts, as Spark reads the file
    except (OSError, UnicodeDecodeError):
        return None
    return value


def _master(args: argparse.Namespace, confs: dict[str, str]) -> str | None:
    """The master the session is given (None: spark-submit's)."""
    master: str | None = args.master or confs.get("spark.master") or os.environ.get("MASTER")
    if master is None and "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        master = "local[*]"
    return master


def _own_local_dir(master: str | None, confs: dict[str, str]) -> bool:
    """Whether Spark's local directory (``spark.local.dir``: the persisted rows that spill, a
    full copy of the results) is to be the run's driver directory: on a local master, in a
    Spark context this run starts, unless the user named one (``--conf``, ``SPARK_LOCAL_DIRS``,
    spark-defaults.conf, spark-submit). Spark removes its directories there when the JVM
    ends normally; a killed JVM left them in /tmp, under names no run can tell apart from
    another Spark application's (``blockmgr-<uuid>``, ``spark-<uuid>``)."""
    if not master or not master.startswith("local") or os.environ.get("PYSPARK_GATEWAY_PORT"):
        return False
    if "spark.local.dir" in confs or os.environ.get("SPARK_LOCAL_DIRS") or "spark.local.dir" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return False
    if _spark_default("spark.local.dir") is not None:
        return False
    from pyspark import SparkContext

    return SparkContext._active_spark_context is None


@contextlib.contextmanager
def _spark_run(args: argparse.Namespace, confs: dict[str, str]) -> Iterator[Any]:
    """The session spark-validate runs in, and its driver directory (:func:`_driver_directory`).

    When the directory is Spark's local directory too (:func:`_own_local_dir`), the session
    is stopped at the end, before the directory goes: Spark's files in it (spilled blocks)
    go with it, and a killed run's go with the next run's sweep."""
    with _driver_directory() as directory:
        own = _own_local_dir(_master(args, confs), confs)
        spark = _session(args, confs, directory, own)
        try:
            yield spark
        finally:
            if own and spark is not None:
                _twice(spark.stop)


def _session(args: argparse.Namespace, confs: dict[str, str], directory: str, local_dir: bool = False) -> Any:
    """A Spark session for ``args``; its driver's files in ``directory`` (also Spark's local directory when ``local_dir``)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("mapper spark-validate")
    master = _master(args, confs)
    if master and master.startswith("local"):
        # local workers: pyspark reads their interpreter from PYSPARK_PYTHON alone (spark-submit makes it
        # from spark.pyspark.python, which takes precedence; a session pyspark starts never reads the conf,
        # and its workers were python3 from the PATH); else this interpreter, which has this mapper
        named = confs.get("spark.pyspark.python") or _spark_default("spark.pyspark.python")
        if named or not os.environ.get("PYSPARK_PYTHON"):
            os.environ["PYSPARK_PYTHON"] = named or sys.executable
    progress = "spark.ui.showConsoleProgress"
    if args.quiet or (not is_terminal(sys.stderr) and progress not in confs and _spark_default(progress) is None):
        # (a progress bar into a log file or a pipe is a line rewritten several times a second: a terminal's only)
        builder = builder.config(progress, "false")
    if "spark.ui.enabled" not in confs and _spark_default("spark.ui.enabled") is None:
        # a batch command needs no web UI (Spark's listens on port 4040 of every interface by
        # default): off unless asked for (--conf spark.ui.enabled=true, or spark-defaults.conf)
        builder = builder.config("spark.ui.enabled", "false")
    for key, value in _SESSION_PARQUET.items():  # (unless --conf or spark-defaults.conf name them)
        if key not in confs and _spark_default(key) is None:
            builder = builder.config(key, value)
    for key, value in confs.items():
        builder = builder.config(key, value)
    if master:  # (after --conf: --master beats --conf spark.master, as spark-submit and _check_master have it; the --conf set last was Spark's, unchecked)
        builder = builder.master(master)
    if local_dir:
        builder = builder.config("spark.local.dir", directory)
    # the driver JVM reads its log4j2 file when it starts (a JVM already running keeps its own)
    options = _log_options(confs, args.quiet, directory, local_dir)
    if options is not None:
        builder = builder.config("spark.driver.extraJavaOptions", options)
    started = _children()
    try:
        spark = builder.getOrCreate()
    except BaseException:
        # (Ctrl-C while the JVM starts: pyspark stops waiting and removes the file the JVM was to
        # write its address in, without ending it; the JVM, which ignores SIGINT, printed a stack
        # trace and stayed up for ever, holding this command's stdout and stderr open)
        _end_processes(_children() - started)
        raise
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _children() -> set[int]:
    """This process's child processes (from Linux's ``/proc``; none where there is none)."""
    me, found = os.getpid(), set[int]()
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()  # (after the command's name, which may hold anything)
            except (OSError, IndexError):
                continue
            if len(fields) > 1 and fields[1] == str(me).encode():
                found.add(int(name))
    return found


def _end_processes(pids: set[int], wait: float = 10.0) -> None:
    """End child processes ``pids`` (a JVM that pyspark started and left: SIGTERM, its shutdown hooks
    run; SIGKILL after ``wait`` seconds) and reap them."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    left, killed, deadline = set(pids), False, time.monotonic() + wait
    while left:
        for pid in list(left):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    left.discard(pid)
            except OSError:  # (not ours to reap, or reaped already)
                left.discard(pid)
        if not left or (killed and time.monotonic() > deadline):
            return  # (one SIGKILL does not end, in an uninterruptible wait: not waited on for ever)
        if not killed and time.monotonic() > deadline:
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            killed, deadline = True, time.monotonic() + wait
        time.sleep(0.05)


def cmd_spark_validate(args: argparse.Namespace) -> int:
    try:
        confs = _confs(args.conf)
        optional_import("pyspark.sql", "spark", "spark-validate")  # (said after "mapper: ")
        optional_import("pandas", "spark", "spark-validate (pyspark's mapInArrow)")
        _modules("spark-validate")
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        return EXIT_USAGE
    try:  # everything that can be checked before Spark starts
        _check_input_options(args)
        max_record_size = max_record_size_option(args.max_record_size)
        _check_master(args, confs)
        notes: list[str] = []  # (what validate notes on an input whose records all fail: UTF-16 text)
        paths = check_inputs(args.paths, notes)
        check_output(args.output)
        check_output_apart(args.output, args.paths)
        # (the file column rides along under a name no sink column has; the sink, just loaded from
        # its file, is compiled as it is: the job's map_dataframe finds it compiled, not checked again)
        check_sink_columns(sink, just_loaded=True)
        _check_java()
        local_out = _local_path(args.output)
        if local_out is not None and not args.overwrite:  # now, not once the JVM is up (~20 s later)
            _refuse_results(args.output, lambda where: os.path.exists(_local_path(where) or where))
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    interrupted = False

    def on_interrupt(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        took(signum)  # (what this raises may be lost in a library, as the command line's: _cancellable takes it)
        raise KeyboardInterrupt

    before = signal.getsignal(signal.SIGINT)  # (pyspark's handler and ours leave with the run: main() in a process goes on)
    try:
        with _quiet_interrupts(), _spark_run(args, confs) as spark:
            # pyspark's own SIGINT handler cancels the jobs from inside the signal, on the
            # py4j connection the main thread is waiting on (a "reentrant call" and pages
            # of tracebacks): a plain KeyboardInterrupt here, and validate_files cancels
            signal.signal(signal.SIGINT, on_interrupt)
            before_run = _input_state(paths)  # (a file that grows meanwhile, a live log, is read twice: _lost_message)
            try:
                counts = validate_files(
                    spark, sink, paths, _spark_path(args.output), strict=args.strict, overwrite=args.overwrite, max_record_size=max_record_size
                )
            except KeyboardInterrupt:
                _twice(spark.stop)  # the tasks are cancelled: the JVM ends quietly, not torn down under them
                raise
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a failed Spark job or session: its first line, never a Java or Python traceback
        if interrupted:
            # Ctrl-C from a terminal reaches the whole process group, pyspark's Python
            # workers too (they take SIGINT): the job can fail of it, or py4j's connection
            # break, before this process's own interruption is raised (seen in CI)
            raise KeyboardInterrupt from None
        line = _first_line(exc)
        if "JAVA_GATEWAY_EXITED" in line:  # (the JVM did not start: a Java too old, a bad option; its own lines are above)
            line += " The JVM did not start: see its messages above (Spark needs Java 17 or later; java -version says which runs)."
        elif _jvm_gone(exc):  # (py4j without its other end: the JVM died mid-run, of an OutOfMemoryError most often)
            line = (
                f"its JVM ended during the run ({line}): its last messages, above, say why; for a java.lang.OutOfMemoryError, "
                "give it more memory (--conf spark.driver.memory=4g) or smaller records"
            )
        print(f"mapper: Spark failed: {escape_controls(line)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if before is not None and signal.getsignal(signal.SIGINT) is not before:
            signal.signal(signal.SIGINT, before)
    mapped_dir, refused_dir = shown_name(_join_path(args.output, "mapped")), shown_name(_join_path(args.output, "refused"))
    codes = ", ".join(f"{code} {n:,}" for code, n in counts.error_counts.items())
    blank = f" ({plural(counts.blank_lines, 'blank line')} skipped, as mapper validate skips them)" if counts.blank_lines else ""
    print(f"input:   {plural(counts.input_records, 'record')} in {plural(len(args.paths), 'path')}{blank}")
    print(f"mapped:  {plural(counts.mapped_rows, 'row')} -> {mapped_dir} (Parquet)")
    print(f"refused: {plural(counts.refused_records, 'record')} -> {refused_dir} (NDJSON)" + (f"; errors: {codes}" if codes else ""))
    if counts.lost:
        remote = any(_local_path(p) is None for p in paths)
        print(f"mapper: {escape_controls(_lost_message(counts, before_run, _input_state(paths), remote))}", file=sys.stderr)
        return EXIT_USAGE
    print(f"mapped + refused = input: {counts.mapped_rows:,} + {counts.refused_records:,} = {counts.input_records:,}")
    if counts.error_counts.get("missing") and not sink.allow_missing_fields:  # (mapper validate says DISCARDED for the same file)
        print(
            "note: allow_missing_fields is false: the endpoint discards a whole request body holding a record refused as missing; "
            "here each is refused alone and the others are mapped (docs/spark.md: The batch policy, per record)"
        )
    if counts.refused_records:
        for note in notes:
            print(f"note: {note}")
    left = counts.leftovers
    if left.removed:
        print(f"note: removed {plural(len(left.removed), 'staging directory', 'staging directories')} that killed runs left in {shown_name(args.output)}")
    for name in left.unknown:
        print(
            f"note: {shown_name(_join_path(args.output, name))} is another run's staging directory, of another machine, boot or container, "
            "or of an older mapper: remove it if no run is writing there (docs/spark.md: What a killed run leaves)"
        )
    return EXIT_OK if counts.refused_records == 0 else EXIT_REJECTED


def _exc_text(exc: BaseException) -> str | None:
    """``str(exc)``, or None when that fails: py4j's Py4JJavaError asks the JVM for its text, and
    a JVM that is gone cannot answer (a ConnectionRefusedError, which escaped the command)."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - (py4j's errors)
        return None


def _jvm_gone(exc: BaseException) -> bool:
    """Whether a failed run's error is py4j's connection to the JVM lost (the JVM ended: an
    OutOfMemoryError in a local master's task kills it), not an error the JVM answered with."""
    text = _exc_text(exc)
    if text is None or isinstance(exc, ConnectionError):
        return True
    return type(exc).__name__ == "Py4JNetworkError" or "Answer from Java side is empty" in text or "Error while sending or receiving" in text


@contextlib.contextmanager
def _quiet_interrupts() -> Iterator[None]:
    """Drop what py4j logs when a call is interrupted: on the root logger (``logging.exception``,
    "KeyboardInterrupt while sending command" with its traceback) and on its own loggers, whose
    records would reach the handler that call gives the root: Ctrl-C says "interrupted"."""

    def keep(record: logging.LogRecord) -> bool:
        return f"{os.sep}py4j{os.sep}" not in record.pathname

    root, py4j = logging.getLogger(), logging.getLogger("py4j")
    root.addFilter(keep)
    propagate, py4j.propagate = py4j.propagate, False
    try:
        yield
    finally:
        root.removeFilter(keep)
        py4j.propagate = propagate


def _check_java() -> None:
    """The ``java`` Spark's launcher runs (``$JAVA_HOME/bin/java``, else the PATH's), unless a JVM is
    there already (spark-submit's, or this process's): without it the launcher printed "JAVA_HOME is
    not set" and "bad array subscript", and pyspark "Java gateway process exited" (exit 2)."""
    if os.environ.get("PYSPARK_GATEWAY_PORT"):
        return
    from pyspark import SparkContext

    if SparkContext._gateway is not None:  # (a session of this process)
        return
    home = os.environ.get("JAVA_HOME")
    if home:
        java = os.path.join(home, "bin", "java")
        if not (os.path.isfile(java) and os.access(java, os.X_OK)):
            raise OptionError(
                f"Spark needs Java 17 or later, and JAVA_HOME ({shown_name(home)}) has no bin/java: set JAVA_HOME to a JDK's directory, or unset it to use the java on the PATH"
            )
    elif shutil.which("java") is None:
        raise OptionError(
            "Spark needs Java 17 or later: no java on the PATH, and JAVA_HOME is not set; install a JDK (e.g. OpenJDK 17) or set JAVA_HOME to one"
        )


def _check_input_options(args: argparse.Namespace) -> None:
    if args.records_path is not None:
        try:  # jq's path to the records: .data.items[], ."a.b"[]
            jq = jq_path(records_path_keys(args.records_path))
        except OptionError:
            jq = ".PATH"
        # (the file, when one local file is given; FILE for several, a glob, a directory, a remote one)
        local = _local_path(args.paths[0]) if len(args.paths) == 1 else None
        file = local if local is not None and not any(ch in local for ch in _GLOB) and os.path.isfile(local) else None
        extract = text_command(f"jq -c {shlex.quote(jq + '[]')}", file)  # (a compressed file's text unpacked into it)
        raise OptionError(
            "--records-path is not supported by spark-validate: it reads NDJSON, one record per line; "
            f"extract the records first, e.g. {extract} > {new_file_beside(file, '.ndjson')}"
        )
    if args.input_format not in (None, "auto", "ndjson"):  # (auto: the inputs are looked at, a document refused: check_inputs)
        raise OptionError(f"--input-format {args.input_format}: spark-validate reads NDJSON only, one record per line")


# ---------------------------------------------------------------------------------------
# Local inputs and output, checked before any job: what Spark would drop or misread silently

_GLOB = "*?[{"
#: Hadoop's compression codecs, chosen by the file name's ending (case-sensitive).
_CODECS = (".gz", ".bz2", ".deflate", ".zst", ".lz4", ".snappy")
#: The first bytes of a file of each codec that has them (Hadoop's .lz4 and .snappy are framed without a magic number).
_CODEC_MAGIC = {".bz2": b"BZh", ".zst": b"\x28\xb5\x2f\xfd"}
#: The frame formats of the lz4 and snappy tools, which Hadoop's .lz4 and .snappy codecs (a block
#: format of their own, without a magic number) cannot read: their magic numbers, and their names.
_FRAME_MAGIC = {
    ".lz4": ((b"\x04\x22\x4d\x18", "LZ4 (the lz4 tool's)"), (b"\x02\x21\x4c\x18", "legacy LZ4 (the lz4 tool's)")),
    ".snappy": ((b"\xff\x06\x00\x00sNaPpY", "Snappy (snzip's, python-snappy's streams)"),),
}


def _local_path(path: str) -> str | None:
    """The local file a path names (no scheme, or ``file:``), or None for a remote URI."""
    if path.startswith("file://"):
        rest = path[len("file://") :]
        return rest if rest.startswith("/") else None  # file://host/...: not this machine's
    if path.startswith("file:"):
        return path[len("file:") :]
    return None if "://" in path else path


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def _hidden_error(path: str, local: bool = True) -> OptionError:
    name = shown_name(os.path.basename(path.rstrip("/")))
    other = name.lstrip("_.") or "records.ndjson"
    fix = f"rename it ({other}), or link it under a name Spark reads (ln -s {name} {other})" if local else f"rename it ({other})"
    return OptionError(
        f"{shown_name(path)}: Spark (Hadoop) skips files whose names start with '_' or '.' as hidden, so its records would be silently left out; {fix}"
    )


def _path_list(paths: Any) -> list[str]:
    """``paths`` as a list of str: one path (a str or ``os.PathLike``) is a list of one, not of its letters."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    elif isinstance(paths, (bytes, bytearray)) or not isinstance(paths, Iterable):
        raise OptionError(f"paths must be a path or a list of paths, not {type(paths).__name__}")
    out = []
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise OptionError(f"a path must be a str or an os.PathLike, not {type(p).__name__}: {p!r}")
        out.append(os.fsdecode(p))
    if not out:
        raise OptionError("no paths given")
    return out


def check_inputs(paths: Sequence[str] | str | os.PathLike[str], notes: list[str] | None = None) -> list[str]:
    """The paths to give Spark (local ones absolute), after refusing what Spark would misread.

    Local paths (no scheme, or ``file:``), and the files a local directory or glob holds:
    a file named as hidden (``_x``, ``.x``: Spark skips it, no error), a name with ``:``
    (Hadoop cannot read it), gzip content without ``.gz`` or ``.gz`` without gzip content
    (Spark picks the codec by the name), a ``.gz`` whose last bytes are zero padding
    (:func:`_gzip_padding`: Hadoop's codec fails on it), and a JSON document or request body rather than
    NDJSON (Spark reads one record per line). Remote URIs: a hidden file name. Raises
    :class:`~mapper.errors.OptionError` (or :class:`~mapper.errors.InputError` for a file
    that cannot be read) naming the file and what to do. ``notes``, when given, gets what
    ``mapper validate`` would note about a local file whose lines are all refused: text
    in UTF-16 or UTF-32, naming the file.
    """
    out = []
    for path in _path_list(paths):
        local = _local_path(path)
        if local is None:  # remote: only the name can be checked (a directory, named with a final /, may be hidden itself)
            if not path.endswith("/") and _hidden(path.rsplit("/", 1)[-1]):
                raise _hidden_error(path, local=False)
            out.append(path)
            continue
        if any(ch in local for ch in _GLOB):
            if "[^" in local or "\\" in local:
                out.append(path)  # Hadoop's glob syntax Python's glob reads otherwise (negation, escapes): Spark's to read
                continue
            if os.path.lexists(local):  # (data[1].ndjson: Spark read data1.ndjson, or failed on an unclosed '{' once the JVM was up)
                escaped = shown_name(re.sub(r"([*?\[\]{}])", r"\\\1", path))
                raise OptionError(
                    f"{shown_name(path)}: the path holds glob characters ({' '.join(sorted({ch for ch in local if ch in _GLOB + ']}'}))}), and Spark reads a path as a pattern, "
                    f"not this file; rename it, or escape them with a backslash as Hadoop's glob reads them ({escaped})"
                )
            matches = sorted({m for pattern in _braces(local) for m in _glob(pattern)})
            if not matches:
                raise OptionError(f"no file matches {shown_name(path)}")
            for match in matches:
                try:
                    _check_entry(match, explicit=False, notes=notes)
                except MapperError as exc:
                    raise type(exc)(f"{exc} (matched by {shown_name(path)})") from None
        elif not os.path.exists(local):
            raise OptionError(f"no such file: {shown_name(path)}")
        else:
            _check_entry(local, explicit=True, shown=path, notes=notes)
        out.append(_spark_path(path))
    return out


def _spark_path(path: str) -> str:
    """``path`` as Spark is given it: a local one absolute (``file:rel.ndjson`` too, which Hadoop
    refuses as a relative path in an absolute URI), a remote one as it is."""
    local = _local_path(path)
    return os.path.abspath(local) if local is not None and (local == path or not os.path.isabs(local)) else path


def _glob(pattern: str) -> list[str]:
    hidden: dict[str, Any] = {"include_hidden": True} if sys.version_info >= (3, 11) else {}
    return glob.glob(pattern, **hidden)


def _braces(pattern: str) -> list[str]:
    """Hadoop's ``{a,b}`` alternatives expanded into plain glob patterns (Python's glob has none)."""
    start = pattern.find("{")
    if start < 0:
        return [pattern]
    depth, parts, begin = 0, [], start + 1
    for i in range(start, len(pattern)):
        ch = pattern[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                parts.append(pattern[begin:i])
                return [x for part in parts for x in _braces(pattern[:start] + part + pattern[i + 1 :])]
        elif ch == "," and depth == 1:
            parts.append(pattern[begin:i])
            begin = i + 1
    return [pattern]  # no closing brace: a literal one


def _check_entry(path: str, explicit: bool, shown: str | None = None, notes: list[str] | None = None) -> None:
    """One named file or glob match, or every file Spark would read in a directory."""
    if os.path.isdir(path):
        _check_directory(path, notes=notes)
        return
    name = os.path.basename(path)
    if _hidden(name):
        # explicitly named: always refused; a glob's match: unless Hadoop's own (a _SUCCESS
        # marker, a .crc checksum) or empty, which Spark skipping loses nothing of
        if explicit or not (name == "_SUCCESS" or name.endswith(".crc") or os.path.getsize(path) == 0):
            raise _hidden_error(shown or path)
        return
    _check_file(path, shown, notes)


def _check_directory(path: str, partition: bool = False, notes: list[str] | None = None) -> None:
    """The files Spark reads in a directory: its own (hidden ones skipped) or, when it holds
    only subdirectories named ``key=value``, theirs (partitions, read as Spark discovers them)."""
    names = sorted(os.listdir(path))
    files = [n for n in names if not _hidden(n) and not os.path.isdir(os.path.join(path, n))]
    dirs = [n for n in names if not _hidden(n) and os.path.isdir(os.path.join(path, n))]
    shown, subdirs = shown_name(path), ", ".join(shown_name(d) for d in dirs[:3])
    if files:
        for name in files:
            _check_file(os.path.join(path, name), notes=notes)
        if dirs and not partition:  # (inside a partition, what Spark lists is its own: not refused here)
            raise OptionError(
                f"{shown} holds files and subdirectories ({subdirs}{', ...' if len(dirs) > 3 else ''}): Spark reads its files only, "
                "and the subdirectories' records would be silently left out; name the subdirectories too (a glob: DIR/*), or move them"
            )
        return
    partitions = [n for n in dirs if "=" in n]
    if partitions and len(partitions) == len(dirs):
        for name in partitions:
            if name.split("=", 1)[0].lower() == "value":  # (Spark's partition column takes the place of the text column of that name)
                raise OptionError(
                    f"{shown_name(os.path.join(path, name))}: Spark reads a directory named value=... as a partition column 'value', "
                    "which takes the place of each line's text: every record in it would be refused, its text lost; rename the directory (e.g. "
                    f"{shown_name('v=' + name.split('=', 1)[1])})"
                )
            _check_directory(os.path.join(path, name), partition=True, notes=notes)
        return
    if dirs and not partition:
        raise OptionError(
            f"{shown} holds only subdirectories ({subdirs}{', ...' if len(dirs) > 3 else ''}): Spark reads none of their files "
            "(only partitions named key=value); name them (a glob: DIR/*/*)"
        )


#: The largest document whose arrays of objects a refusal names (read whole to find them).
_HINT_BYTES = 64 << 20


def _record_arrays(path: str, head: bytes) -> list[tuple[tuple[str, ...], int]]:
    """Where a local JSON document (an object) holds arrays of objects, if it is small enough to read."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{" or os.path.getsize(path) > _HINT_BYTES:
        return []
    try:
        with open(path, "rb") as f:
            return record_arrays(msgspec.json.decode(f.read().removeprefix(b"\xef\xbb\xbf")))
    except (OSError, msgspec.DecodeError, ValueError, RecursionError):
        return []


def _check_file(path: str, shown: str | None = None, notes: list[str] | None = None) -> None:
    shown = shown_name(shown or path)
    name = os.path.basename(path)
    if ":" in name:
        raise OptionError(
            f"{shown}: Hadoop cannot read a file whose name holds ':' (java.net.URISyntaxException); rename it, or link it under a name without ':'"
        )
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):  # (a pipe, /dev/stdin, <(...): Spark read another file of that name, or nothing, and exited 0)
        raise OptionError(
            f"{shown} is not a regular file (a pipe or a device): Spark reads files, by name, in other processes; "
            "write the records to a file first, or check a stream with mapper validate"
        )
    try:
        with open(path, "rb") as f:
            head = format_head(f)
    except OSError as exc:
        raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from None
    packed = compression_of(head)
    gz, magic = name.endswith(".gz"), packed == "gzip"
    if packed == "xz":  # (mapper validate reads it; Spark read its bytes as lines of text, all refused, or failed)
        raise OptionError(
            f"{shown} is xz-compressed: Spark (Hadoop) has no xz codec and would read the compressed bytes as text; unpack it (xz -d), or recompress it with gzip"
        )
    if packed is not None and not name.endswith(_HADOOP_SUFFIX[packed]):
        raise OptionError(
            f"{shown} is {packed}-compressed but its name does not end in {_HADOOP_SUFFIX[packed]}: Spark chooses the codec by the name "
            f"and would read the compressed bytes as text; rename it to {shown_name(name)}{_HADOOP_SUFFIX[packed]}"
        )
    if gz and head and not magic:
        raise OptionError(f"{shown} is named .gz but is not gzip-compressed: Spark would fail to unpack it; rename it without .gz (or gzip it)")
    if gz:
        try:
            with gzip.open(path, "rb") as g:
                head = format_head(g, g.read(HEAD_SIZE + 1))
        except (OSError, EOFError, zlib.error, InputError) as exc:
            raise OptionError(f"{shown} is not valid gzip: {exc}") from None
        padding = _gzip_padding(path, min_tail=4)
        if padding is not None:
            raise OptionError(f"{shown} {_padding_text(*padding, path)}")
    elif name.endswith(_CODECS):
        codec = name[name.rfind(".") :]
        magic_of = _CODEC_MAGIC.get(codec)
        skippable = codec == ".zst" and len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18"  # (pzstd's first frame)
        if head and magic_of is not None and not head.startswith(magic_of) and not skippable:  # (a plain file named .bz2 read as 0 records, exit 0)
            raise OptionError(f"{shown} is named {codec} but is not {codec[1:]}-compressed: Spark chooses the codec by the name; rename it without {codec}")
        framed = next((what for magic, what in _FRAME_MAGIC.get(codec, ()) if head.startswith(magic)), None)
        if framed is not None:  # (Hadoop read the magic number as a block's length: the JVM ran out of memory)
            # (written beside it, never over a file: not records.ndjson in the current directory)
            unpack, _ = unpacked_file(path, ".ndjson", tool="lz4" if codec == ".lz4" else "snzip")
            raise OptionError(
                f"{shown} is in the {framed} frame format, and Hadoop's {codec} codec reads its own block format only (Spark's JVM ran out of memory on it): "
                f"unpack it first ({unpack.removesuffix(', then ')}), or recompress it with gzip"
            )
        if packed != "bzip2":
            return  # compressed otherwise: not looked into (mapper validate cannot unpack zstd either)
        # bzip2, which mapper validate unpacks too: its text is looked at as a .gz's is (a JSON
        # document in it was mapped by validate, and refused line by line by Spark)
        try:
            with bz2.open(path, "rb") as b:
                head = format_head(b, b.read(HEAD_SIZE + 1))
        except (OSError, EOFError, ValueError, InputError):
            return  # (a cut or corrupt stream: left to Spark, as before)
    fmt = format_of(head)
    note = encoding_note(head[:256], shown, path) if notes is not None else ""
    if note and notes is not None:  # (UTF-16's lines, split at its newlines' first byte, are each refused as invalid_json: validate says why)
        notes.append(note)
    # (the jq commands read the file's text: a compressed one's unpacked into them, text_command)
    if fmt == "json":
        arrays = [] if packed else _record_arrays(path, head)  # (a packed file's bytes are no document to read whole)
        if arrays:  # a document holding its records (a search API's {"statuses": [...]}): the jq that reaches them
            program = jq_path(arrays[0][0])
            # (a key of 100,000 characters: no command quoting it whole; the paths named are cut)
            extract = text_command(f"jq -c {shlex.quote(program + '[]')}", path) if len(program) <= HINT_PATH_LENGTH else ""
            raise OptionError(
                f"{shown} holds a JSON document, not NDJSON: spark-validate reads one record per line; its arrays of objects are at {record_arrays_text(arrays)}: "
                f"if those are the records, extract them first"
                + (f", e.g. {extract} > {new_file_beside(path, '.ndjson')}" if extract else " (jq -c PATH[], one a line)")
            )
        elements, compact, out = text_command("jq -c '.[]'", path), text_command("jq -c .", path), new_file_beside(path, ".ndjson")
        raise OptionError(
            f"{shown} holds a JSON document (an array, or a value over several lines), not NDJSON: spark-validate reads one record per line; "
            f"convert it first, e.g. {elements} > {out} (an array) or {compact} > {out} (pretty-printed objects)"
        )
    if fmt == "endpoint":
        values = text_command("jq -c '.records[].value'", path)
        raise OptionError(
            f'{shown} holds a request body ({{"records": [...]}}), not NDJSON: spark-validate reads one record per line; '
            f"convert it first, e.g. {values} > {new_file_beside(path, '.ndjson')}"
        )


def _gzip_padding(path: str, min_tail: int = 0, chunk: int = 1 << 16) -> tuple[int, int, bool] | None:
    """Zero bytes after a gzip member of local file ``path`` (tar's or dd's padding to a block):
    ``(offset, count, last)`` of the first run of them (``last``: nothing but zeros follows it),
    or None when there is none, or the file ends otherwise than a gzip member and zeros (cut,
    corrupt: told apart elsewhere).

    Python's gzip (so ``mapper validate``) and GNU gzip skip such zeros; Hadoop's gzip codec
    reads them as the header of another member and fails the job ("not a gzip file", or
    "Unexpected end of input stream" for fewer than ten). Finding where a member ends takes
    unpacking it all, so it is done only when the file's last ``min_tail`` bytes are zero: a
    member's last four bytes are its length modulo 2^32, zero only for an empty member (or a
    multiple of 4 GiB), so ``min_tail=4`` unpacks almost no valid file (:func:`check_inputs`
    before the job: padding of 1 to 3 bytes, or zeros between members, are left to the job);
    ``min_tail=0`` unpacks it whatever its end (the file a failed job names)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < min_tail:
                return None
            if min_tail:
                f.seek(size - min_tail)
                if f.read(min_tail).strip(b"\0"):
                    return None
            f.seek(0)
            pos, data, d = 0, b"", zlib.decompressobj(31)
            inside = True  # in a member (the file starts with one)
            while True:
                if not data:
                    data = f.read(chunk)
                    if not data:
                        return None  # ended in a member (cut), or right after one: no zeros
                if inside:
                    d.decompress(data)  # (the output is not kept: a chunk unpacks to at most ~1,000 times its size)
                    if d.eof:
                        rest = d.unused_data
                        pos += len(data) - len(rest)
                        data, inside = rest, False
                    else:
                        pos, data = pos + len(data), b""
                    continue
                if data[:1] != b"\0":
                    if len(data) < 2 and (more := f.read(chunk)):  # (a member's two-byte magic split by the read)
                        data += more
                        continue
                    if not data.startswith(b"\x1f\x8b"):
                        return None  # something else after a member: Python's gzip refuses it too
                    d, inside = zlib.decompressobj(31), True
                    continue
                start, count = pos, 0
                while True:
                    stripped = data.lstrip(b"\0")
                    count += len(data) - len(stripped)
                    if stripped:
                        return start, count, False
                    data = f.read(chunk)
                    if not data:
                        return start, count, True
    except (OSError, zlib.error):
        return None


def _padding_text(offset: int, count: int, last: bool, path: str) -> str:
    """Why Spark cannot read a gzip file with zero bytes after a member (:func:`_gzip_padding`), and what to do (after the file's name;
    ``path``: the local file, named in the commands, as :func:`~mapper.errors.shell_file` quotes it)."""
    file = shell_file(path)
    where = "after its gzip data" if last else "between two of its gzip members"
    fix = (
        f"cut them off first (truncate -s {offset} {file}: its first {offset:,} bytes are the whole gzip data)"
        if last
        else f"recompress it first (gzip -dc {file} | gzip > {new_file_beside(path, '.ndjson.gz')})"
    )
    return (
        f"holds {plural(count, 'zero byte')} {where} (from byte {offset:,}: padding, as tar or dd leave): "
        f"mapper validate and gzip -d skip them, but Hadoop's gzip codec reads them as another gzip member and Spark fails; {fix}"
    )


#: The name ending Hadoop picks a codec by, for each compression the reader knows (xz: Hadoop has none).
_HADOOP_SUFFIX = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}


def check_output(output: str) -> None:
    """Refuse a local output directory that cannot be written, before any job (:class:`~mapper.errors.OutputError`).

    Tried for real (a directory made and removed in it): the superuser passes every
    permission check, not a read-only or virtual file system (``/proc``).
    """
    local = _local_path(output)
    if local is None:
        return
    shown = shown_name(output)
    odd = sorted({ch for ch in local if ch in _GLOB + "]}\\:"})
    if odd:  # (Spark reads the staged output back by name: a glob; ':' is no Hadoop path)
        raise OutputError(
            f"cannot write {shown}: Spark reads OUT back as a path pattern, and {' '.join(odd)} in it would be read otherwise; choose a name without them"
        )
    if os.path.exists(local) and not os.path.isdir(local):
        raise OutputError(f"cannot write {shown}: it is not a directory")
    missing, d = [], os.path.abspath(local)
    while not os.path.exists(d) and os.path.dirname(d) != d:
        missing.append(d)
        d = os.path.dirname(d)
    if not os.path.isdir(d):
        raise OutputError(f"cannot write {shown}: {shown_name(d)} is not a directory")
    made: list[str] = []
    try:
        for m in reversed(missing):
            os.mkdir(m)
            made.append(m)
        with signals_held():  # (a Ctrl-C between the two left the probe behind in OUT)
            os.rmdir(tempfile.mkdtemp(prefix=".mapper-probe-", dir=local))
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    finally:
        for m in reversed(made):  # nothing left behind: Spark makes them again
            try:
                os.rmdir(m)
            except OSError:
                pass


def check_output_apart(output: str, paths: Sequence[str]) -> None:
    """Refuse an output directory an input reads, or that holds an input: a directory holding
    it, a glob matching it, a directory above it or what it will hold (a second run read the
    first one's results as records; ``--overwrite`` would remove the input)."""
    local = _local_path(output)
    if local is None:
        return
    out = os.path.realpath(local)
    above = [out, *(str(p) for p in PurePath(out).parents)]
    # what a glob may match below OUT: the result directories and the files Spark writes in them,
    # named as Spark names them (part-<partition>-<job uuid>-c000; the refused records are written
    # by its text writer, .txt; and .json, the name a glob for NDJSON may well give them)
    part = "part-00000-00000000-0000-0000-0000-000000000000-c000"
    below = [os.path.join(out, "mapped", f"{part}.snappy.parquet"), os.path.join(out, "refused", f"{part}.txt"), os.path.join(out, "refused", f"{part}.json")]
    below += [os.path.dirname(p) for p in below]
    for path in paths:
        src = _local_path(path)
        if src is None:
            continue
        if "[^" in src or "\\" in src:
            continue  # Hadoop's glob syntax Python reads otherwise (as check_inputs leaves it to Spark)
        if any(ch in src for ch in _GLOB):
            hit = any(PurePath(a).match(_real_pattern(pattern)) for pattern in _braces(src) for a in above + below)
        else:
            real = os.path.realpath(src)
            hit = out == real or out.startswith(real + os.sep) or real.startswith(out + os.sep)
        if hit:
            raise OutputError(
                f"cannot write {shown_name(output)}: the input {shown_name(path)} reads it, or is in it (its results would be read as records next time); write it elsewhere"
            )


def _real_pattern(pattern: str) -> str:
    """A glob, absolute, its directories before the first glob character resolved as OUT's are (symlinks)."""
    parts = PurePath(os.path.abspath(pattern)).parts
    fixed = next((i for i, part in enumerate(parts) if any(ch in part for ch in _GLOB)), len(parts))
    return os.path.join(os.path.realpath(os.path.join(*parts[:fixed])), *parts[fixed:])


def _first_line(exc: BaseException) -> str:
    text = _exc_text(exc)
    if text is None:  # (a Java exception whose JVM is gone: its text cannot be asked for)
        return f"{type(exc).__name__}, whose text the JVM, gone, cannot give"
    text = text.strip() or type(exc).__name__
    # A Python worker's failure: its traceback is in the message; its last line says what
    worker = [line.strip() for line in text.splitlines() if re.match(r"\s*(mapper\.)?[A-Za-z_.]*(Error|Exception): ", line)]
    if "An exception was thrown from the Python worker" in text and worker:
        return worker[-1][:500]
    # The Java exception's root cause, last ("Encountered error while reading file X" says which
    # file, its cause why: "java.io.EOFException: Unexpected end of input stream"; "Error while
    # instantiating ...SessionStateBuilder" says nothing, its cause which --conf value is wrong)
    causes = [c.strip()[len("Caused by: ") :] for c in text.splitlines() if c.strip().startswith("Caused by: ")]

    def with_cause(head: str) -> str:
        return head if not causes or causes[-1] in head else f"{head} (caused by {causes[-1][:400]})"

    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("An error occurred while calling", "py4j", ": ")):
            return with_cause(line[:500])  # (pyspark's captured exceptions: the message, then "JVM stacktrace:")
        if line.startswith(": "):  # py4j puts the Java exception after ": "
            return with_cause(line[2:502])
    return text.splitlines()[0][:500]
