"""``workers=N``: map one batch with several processes, each taking a share of the columns.

Every process reads the whole input (forked workers inherit the bytes in memory or
reopen the file: nothing is pickled on the way in) but decodes only the fields of its
own columns: msgspec skips the others without building them. The calling process
takes the string-like columns and ``_id`` (their Python strings must end up in its own
memory anyway), the workers the numeric ones, balanced by an estimated cost per
column (:attr:`mapper.types.ColumnType.worker_cost`). A worker's columns come back as
whole arrays (strings, if it has any, as one text blob per column, dictionary-coded
when a column repeats), never as one pickled object per value. Record indices and
line numbers are the same in every process; the reports are merged by replaying
every failed record's errors from all parts into one report builder, record by
record (errors every part sees, such as a line that is not JSON, are kept once), and
the batch is finished as a single process finishes it
(:func:`mapper.engine.core.finish_batch`).

Why columns and not rows: the result's strings are Python objects, and a row split
would make the calling process create every worker's strings again, serially.

Fork is required (Linux, macOS); where it is not available, or the input cannot be
read twice (a stream such as stdin, a one-shot iterator), mapping runs in one process.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle
import traceback
from dataclasses import replace
from multiprocessing import resource_tracker, shared_memory
from typing import Any

import numpy as np

from ..batch import Batch, ColumnArrays
from ..compiler import CompiledSink
from ..errors import MapperError
from ..model import Sink
from ..options import MapOptions
from ..report import KEEP, RecordError, Report, ReportBuilder, decide
from .core import Engine, finish_batch
from .reader import units_for


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def rereadable(records: Any) -> bool:
    """Inputs every process can read again from the start."""
    return isinstance(records, (bytes, bytearray, memoryview, str, os.PathLike, list, tuple, dict))


#: Estimated costs, in units of one numeric column: every process parses each whole
#: record; a string column costs its decode and, in a worker, the trip back as text.
PARSE_COST, STRING_TRIP_COST, MERGE_COST = 4.0, 20.0, 1.0


def assign_columns(compiled: CompiledSink, workers: int) -> list[frozenset[int]]:
    """Split the stored columns into ``workers`` groups; group 0 (the caller) also makes _id.

    String-like columns start with the caller (their Python strings must end up in
    its memory, and a worker's strings cost a trip back as text); numeric columns
    go to the least loaded worker; then string columns move to a worker while that
    lowers the largest estimated load.
    """
    cost = [ct.worker_cost for ct in compiled.ctypes]
    groups: list[set[int]] = [set() for _ in range(workers)]
    loads = [PARSE_COST] * workers
    loads[0] += MERGE_COST + sum(cost[ci] for ci in compiled.identity_index)
    strings = [ci for ci in compiled.stored_index if cost[ci] > 1.0]
    for ci in strings:
        groups[0].add(ci)
        loads[0] += cost[ci]
    for ci in (c for c in compiled.stored_index if c not in strings):
        target = min(range(1, workers), key=loads.__getitem__) if workers > 1 else 0
        groups[target].add(ci)
        loads[target] += cost[ci]
    for ci in reversed(strings):
        target = min(range(1, workers), key=loads.__getitem__) if workers > 1 else 0
        if target == 0 or max(loads[0] - cost[ci], loads[target] + cost[ci] + STRING_TRIP_COST) >= max(loads):
            break
        groups[0].discard(ci)
        groups[target].add(ci)
        loads[0] -= cost[ci]
        loads[target] += cost[ci] + STRING_TRIP_COST
    return [frozenset(g) for g in groups]


def _map_part(compiled: CompiledSink, records: Any, options: MapOptions, output: bool) -> tuple[dict[str, ColumnArrays], ColumnArrays | None, Report]:
    """Map this process's share: every record, every failure kept (the policy is applied after the merge)."""
    engine = Engine(compiled, replace(options, on_error="skip", max_errors=None, workers=1), output=True)
    if isinstance(records, (bytes, bytearray, memoryview, str)):
        engine.expect_bytes = len(records)
    for unit in units_for(records, options):
        engine.feed(unit)
    columns, ids, report = engine.finish_part()
    if not output:
        columns, ids = {}, None
    return columns, ids, report


def _pack_arrays(arrays: Any) -> Any:
    return (_pack_values(arrays.values), arrays.valid, arrays.present, arrays.offsets)


def _unpack_arrays(packed: Any) -> Any:
    values, valid, present, offsets = packed
    return ColumnArrays(_unpack_values(values), valid, present, offsets)


def _pack_values(values: np.ndarray) -> Any:
    """Numbers as they are; strings as text, not one pickled object per value.

    A column that repeats itself (a sample of 2,000 rows has fewer than 1,000
    distinct values) goes as its distinct values plus an int32 code per row; other
    columns as one NUL-joined text (with lengths instead, if a value contains NUL).
    """
    if values.dtype != object:
        return ("array", values)
    items = values.tolist()
    nones = None
    if None in items:
        nones = np.fromiter((v is None for v in items), dtype=bool, count=len(items))
        items = ["" if v is None else v for v in items]
    sample = items[:2000]
    if len(set(sample)) * 2 < len(sample):
        uniques = list(dict.fromkeys(items))
        lookup = dict(zip(uniques, range(len(uniques))))
        codes = np.fromiter(map(lookup.__getitem__, items), dtype=np.int32, count=len(items))
        return ("dict", _pack_texts(uniques), codes, nones, len(items))
    return ("plain", _pack_texts(items), None, nones, len(items))


def _pack_texts(texts: list[str]) -> tuple[bytes, np.ndarray | None]:
    joined = "\x00".join(texts)
    if joined.count("\x00") == max(0, len(texts) - 1):
        return joined.encode("utf-8", "surrogatepass"), None
    return "".join(texts).encode("utf-8", "surrogatepass"), np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _unpack_texts(packed: tuple[bytes, np.ndarray | None], count: int) -> list[str]:
    blob, lengths = packed
    text = blob.decode("utf-8", "surrogatepass")
    if lengths is None:
        return text.split("\x00") if count else []
    ends = np.cumsum(lengths).tolist()
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]


def _unpack_values(packed: Any) -> np.ndarray:
    if packed[0] == "array":
        return packed[1]
    kind, texts, codes, nones, count = packed
    out = np.empty(count, dtype=object)
    if count:
        if kind == "dict":
            strings = _unpack_texts(texts, int(codes.max()) + 1)
            table = np.empty(len(strings), dtype=object)
            table[:] = strings
            np.take(table, codes, out=out)
        else:
            out[:] = _unpack_texts(texts, count)
        if nones is not None:
            out[nones] = None
    return out


def _worker(conn: Any, sink: Sink, part: tuple[frozenset[int], bool], records: Any, options: MapOptions, output: bool) -> None:
    gc.disable()  # a short-lived process that makes few cycles; collections would copy shared pages
    try:
        compiled = CompiledSink(sink, part=part)
        columns, _ids, report = _map_part(compiled, records, options, output)
        conn.send(("ok", *_to_shared({name: _pack_arrays(a) for name, a in columns.items()}), report))
    except BaseException as exc:  # tell the parent instead of dying silently
        conn.send(("error", f"{exc.__class__.__name__}: {exc}", traceback.format_exc(), None))
    finally:
        conn.close()


def _to_shared(obj: Any) -> tuple[bytes, str | None, list[tuple[int, int]]]:
    """Pickle ``obj`` with its arrays out of band, in one shared-memory segment.

    The arrays are written while the caller is still mapping its own share, instead
    of waiting in a pipe for it to read them; only a small pickle crosses the pipe.
    """
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    total = sum(r.nbytes for r in raws)
    if not total:  # nothing to share (an empty batch), but the pickle still counts its buffers
        return payload, None, [(0, 0)] * len(raws)
    shm = shared_memory.SharedMemory(create=True, size=total)
    try:
        # The caller unlinks it once copied: this process must not (its tracker would).
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - tracker internals vary across versions
        pass
    spans = []
    offset = 0
    buf = shm.buf
    assert buf is not None
    for raw in raws:
        buf[offset : offset + raw.nbytes] = raw
        spans.append((offset, raw.nbytes))
        offset += raw.nbytes
    name = shm.name
    del buf
    shm.close()
    return payload, name, spans


def _from_shared(payload: bytes, name: str | None, spans: list[tuple[int, int]]) -> Any:
    if name is None:
        return pickle.loads(payload, buffers=[b""] * len(spans))
    shm = shared_memory.SharedMemory(name=name)
    try:
        buf = shm.buf
        assert buf is not None
        views = [buf[o : o + n] for o, n in spans]
        obj = _copied(pickle.loads(payload, buffers=views))  # copy out: the segment goes away
        for v in views:
            v.release()
        del buf, views
        return obj
    finally:
        try:
            shm.close()
        finally:
            shm.unlink()


def _copied(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, tuple):
        return tuple(_copied(x) for x in obj)
    if isinstance(obj, list):
        return [_copied(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _copied(v) for k, v in obj.items()}
    return obj


def run_parallel(compiled: CompiledSink, records: Any, options: MapOptions, *, output: bool) -> tuple[Batch | None, Report]:
    """Map ``records`` with ``options.workers`` processes, each decoding only its share of the columns."""
    groups = assign_columns(compiled, options.workers)
    ctx = mp.get_context("fork")
    procs = []
    # Keep the collector away from the pages parent and children share: collections
    # touch every tracked object, and each touched page is copied (copy-on-write).
    gc.freeze()
    for group in groups[1:]:
        if not group:
            continue
        parent_conn, child_conn = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker, args=(child_conn, compiled.sink, (group, False), records, options, output), daemon=True)
        p.start()
        child_conn.close()
        procs.append((p, parent_conn))
    try:
        own = CompiledSink(compiled.sink, part=(groups[0], True))
        columns, ids, report = _map_part(own, records, options, output)
        reports = [report]
        for _proc, conn in procs:
            try:
                answer = conn.recv()
            except EOFError:
                raise MapperError("a worker process died without an answer") from None
            if answer[0] != "ok":
                raise MapperError(f"a worker process failed: {answer[1]}\n{answer[2]}")
            _status, payload, shm_name, spans, part_report = answer
            packed = _from_shared(payload, shm_name, spans)
            columns.update({name: _unpack_arrays(a) for name, a in packed.items()})
            reports.append(part_report)
    finally:
        for proc, _conn in procs:
            proc.join(timeout=10)
            if proc.is_alive():  # pragma: no cover
                proc.terminate()
        gc.unfreeze()
    merged = merge_reports(compiled, reports, options)
    if not output or not merged.accepted:
        return None, merged
    assert ids is not None
    return finish_batch(compiled, columns, ids.values, merged), merged


def merge_reports(compiled: CompiledSink, reports: list[Report], options: MapOptions) -> Report:
    """One report from the parts: every part saw every record, each for its own columns.

    Each part kept every failed record with all its errors (``on_error="skip"``); they
    are replayed record by record, in the order a single process reports them (the
    stored columns in definition order, then the identity), into one report builder.
    Errors every part reports (column None: a line that is not JSON, a record that is
    not an object) count once; a path that is not an object counts once per record,
    under the first column it affects, as a single process reports it.
    """
    order = {c.name: i for i, c in enumerate(compiled.columns)}
    last = len(order)
    stored_names = {c.name for c in compiled.stored}
    for c in compiled.sink.identity_columns:
        if c.name not in stored_names:
            order[c.name] = last
    order["_id"] = last

    def rank(column: str | None, code: str = "") -> int:
        if column is None:
            return -1
        return last if code == "invalid_id" else order.get(column, last)

    rb = ReportBuilder(on_error=options.on_error, strict=options.strict)
    out = rb.report
    out.records = reports[0].records
    for rep in reports:
        for key, n in rep.warning_counts.items():
            out.warning_counts[key] = out.warning_counts.get(key, 0) + n
    warnings = sorted((w for rep in reports for w in rep.warnings), key=lambda w: (w.record, rank(w.column)))
    out.warnings = warnings[:KEEP]
    errors: dict[int, list[RecordError]] = {}
    raws: dict[int, bytes | None] = {}
    for rep in reports:
        for rej in rep.rejected:
            errors.setdefault(rej.record, []).extend(rej.errors)
            raws.setdefault(rej.record, rej.raw)
    for record in sorted(errors):
        seen: set[tuple[str, str]] = set()
        for e in sorted(errors[record], key=lambda e: rank(e.column, e.code)):
            once = ("record", e.code) if e.column is None else ("path", e.reason) if e.code == "not_an_object" else None
            if once is not None:
                if once in seen:
                    continue
                seen.add(once)
            rb.add_error(e)
    rb.close_records(raws.get)
    decide(out, compiled.sink.allow_missing_fields, options.on_error, options.max_errors)
    return out
