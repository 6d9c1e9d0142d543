"""``workers=N``: map one NDJSON batch with several processes.

The input is cut at line boundaries into N parts of about equal size. The calling
process maps the first part itself while forked workers map the others (a forked
worker inherits the compiled mapper and, for in-memory input, the bytes: nothing
is pickled on the way in). On the way back nothing is pickled per value either:
numeric columns and masks travel as whole arrays, and string columns as a
dictionary (the distinct strings plus an int32 code per row), so the parent only
creates one Python string per distinct value and fills its object arrays with
numpy indexing. Record indices and line numbers are shifted to stay absolute,
and the batch policy (reject / skip / max_errors) is applied to the whole batch.

Fork is required (Linux, macOS); where it is not available, or the input cannot be
split (gzip, stdin, a JSON array, Python objects), mapping runs in one process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .batch import Batch, ColumnArrays, ColumnData
from .errors import MapperError
from .report import KEEP, RecordError, RejectedRecord, Report

if TYPE_CHECKING:
    from .compiler import Mapper


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


#: The calling process maps a slightly smaller part: it also merges the results.
PARENT_WEIGHT = 0.8


def cut_points(data: bytes | None, size: int, parts: int, read_at: Any = None) -> list[int]:
    """Byte offsets that split the input into ``parts`` pieces at line starts."""
    cuts = [0]
    total = PARENT_WEIGHT + (parts - 1)
    for i in range(1, parts):
        target = int(size * (PARENT_WEIGHT + i - 1) / total)
        if target <= cuts[-1]:
            continue
        if data is not None:
            nl = data.find(b"\n", target)
        else:
            nl = read_at(target)
        if nl < 0 or nl + 1 >= size:
            break
        cuts.append(nl + 1)
    cuts.append(size)
    return cuts


def _find_newline_in_file(path: str) -> Any:
    def find(offset: int) -> int:
        with open(path, "rb") as fh:
            fh.seek(offset)
            pos = offset
            while True:
                block = fh.read(1 << 16)
                if not block:
                    return -1
                i = block.find(b"\n")
                if i >= 0:
                    return pos + i
                pos += len(block)

    return find


def _part_units(source: bytes | str, start: int, end: int, chunk_size: int) -> Any:
    from .io import split_lines

    if isinstance(source, bytes):
        yield from split_lines(source, chunk_size, start, end)
        return
    with open(source, "rb") as fh:
        fh.seek(start)
        remaining = end - start
        pending = b""
        first: int | None = 1
        from .io import NdjsonChunk

        while remaining > 0:
            block = fh.read(min(chunk_size, remaining))
            if not block:
                break
            remaining -= len(block)
            pending += block
            nl = pending.rfind(b"\n")
            if nl < 0:
                continue
            yield NdjsonChunk(pending[: nl + 1], first)
            first = None
            pending = pending[nl + 1 :]
        if pending:
            yield NdjsonChunk(pending, first)


def _map_part(mapper: Mapper, source: bytes | str, start: int, end: int, output: bool, options: dict[str, Any], chunk_size: int) -> tuple[Any, Report, int]:
    """Map one part with the whole batch's options but skip mode (the policy is applied at the end)."""
    from .project import Engine

    opts = dict(options)
    opts["on_error"] = "skip"
    opts["max_errors"] = None
    engine = Engine(mapper, output=output, **opts)
    if isinstance(source, bytes) and output:
        engine.expect_bytes = end - start
    for unit in _part_units(source, start, end, chunk_size):
        unit.feed(engine)
    batch, report = engine.finish()
    return batch, report, engine.next_line - 1


def _pack_batch(batch: Batch | None) -> Any:
    """A batch as arrays only: string columns dictionary-encoded (no per-value pickling)."""
    if batch is None:
        return None
    cols = {}
    for name, col in batch.columns.items():
        cols[name] = (col.type, _pack_values(col.values), col.valid, col.present, col.offsets, col.scale, col.unit, col.digits)
    return (_pack_values(batch.ids), batch.record_index, cols)


def _pack_values(values: np.ndarray) -> Any:
    """Numbers as they are; strings as text, not as one pickled object per value.

    A column that repeats itself (a sample of 2,000 rows has fewer than 1,000
    distinct values) goes as its distinct values plus an int32 code per row, so the
    parent makes one Python string per distinct value; other columns go as one
    NUL-joined text (lengths instead, if a value contains NUL). None is coded apart.
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
    joined = "".join(texts)
    if "\x00" not in joined:
        return "\x00".join(texts).encode("utf-8", "surrogatepass"), None
    return joined.encode("utf-8", "surrogatepass"), np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _unpack_texts(packed: tuple[bytes, np.ndarray | None], count: int) -> list[str]:
    blob, lengths = packed
    text = blob.decode("utf-8", "surrogatepass")
    if lengths is None:
        return text.split("\x00") if count else []
    ends = np.cumsum(lengths).tolist()
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]


def _place(packed: Any, out: np.ndarray) -> None:
    """Write a packed column into ``out`` (a slice of the final array)."""
    if packed[0] == "array":
        out[:] = packed[1]
        return
    kind, texts, codes, nones, count = packed
    if not count:
        return
    if kind == "dict":
        strings = _unpack_texts(texts, int(codes.max()) + 1)
        table = np.empty(len(strings), dtype=object)
        table[:] = strings
        np.take(table, codes, out=out)
    else:
        out[:] = _unpack_texts(texts, count)
    if nones is not None:
        out[nones] = None


def _packed_len(packed: Any) -> int:
    return len(packed[1]) if packed[0] == "array" else packed[4]


def _worker(conn: Any, mapper: Mapper, source: bytes | str, start: int, end: int, output: bool, options: dict[str, Any], chunk_size: int) -> None:
    try:
        batch, report, lines = _map_part(mapper, source, start, end, output, options, chunk_size)
        conn.send(("ok", _pack_batch(batch), report, lines))
    except BaseException as exc:  # report to the parent instead of dying silently
        conn.send(("error", f"{exc.__class__.__name__}: {exc}", traceback.format_exc(), 0))
    finally:
        conn.close()


def parallel_source(records: Any, input_format: str, mapper: Mapper) -> bytes | str | None:
    """What ``workers`` can split: NDJSON bytes in memory, or a plain NDJSON file; else None."""
    from .io import detect_format

    if not can_fork():
        return None
    if isinstance(records, str):
        records = records.encode("utf-8", "surrogatepass")
    if isinstance(records, (bytes, bytearray, memoryview)):
        data = bytes(records)
        if data.startswith(b"\xef\xbb\xbf"):
            return None
        fmt = detect_format(data[: 1 << 16]) if input_format == "auto" else input_format
        return data if fmt == "ndjson" else None
    if isinstance(records, os.PathLike) or (isinstance(records, str) and os.path.isfile(records)):
        path = os.fspath(records)
        try:
            with open(path, "rb") as fh:
                head = fh.read(1 << 16)
        except OSError:
            return None
        if head[:2] == b"\x1f\x8b" or head.startswith(b"\xef\xbb\xbf"):
            return None
        fmt = detect_format(head) if input_format == "auto" else input_format
        return path if fmt == "ndjson" else None
    return None


def run_parallel(mapper: Mapper, source: bytes | str, *, workers: int, output: bool, chunk_size: int, options: dict[str, Any]) -> tuple[Batch | None, Report]:
    """Map NDJSON ``source`` (bytes, or a file path) with ``workers`` processes."""
    size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    finder = None if isinstance(source, bytes) else _find_newline_in_file(source)
    cuts = cut_points(source if isinstance(source, bytes) else None, size, workers, finder)
    ctx = mp.get_context("fork")
    procs = []
    for i in range(1, len(cuts) - 1):
        parent_conn, child_conn = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker, args=(child_conn, mapper, source, cuts[i], cuts[i + 1], output, options, chunk_size), daemon=True)
        p.start()
        child_conn.close()
        procs.append((p, parent_conn))
    try:
        first = _map_part(mapper, source, cuts[0], cuts[1], output, options, chunk_size)
        parts: list[tuple[Any, Report, int]] = [(first[0], first[1], first[2])]
        for p, conn in procs:
            try:
                status, packed, report, lines = conn.recv()
            except EOFError:
                raise MapperError("a worker process died without an answer") from None
            if status != "ok":
                raise MapperError(f"a worker process failed: {packed}\n{report}")
            parts.append((packed, report, lines))
    finally:
        for p, _conn in procs:
            p.join(timeout=5)
            if p.is_alive():  # pragma: no cover
                p.terminate()
    return _merge(mapper, parts, output, options)


def _merge(mapper: Mapper, parts: list[tuple[Any, Report, int]], output: bool, options: dict[str, Any]) -> tuple[Batch | None, Report]:
    report = Report(on_error=options.get("on_error", "reject"), strict=bool(options.get("strict", False)))
    rec_off = line_off = 0
    for batch_or_packed, part, lines in parts:
        shift_r, shift_l = rec_off, line_off
        report.records += part.records
        report.failed_records += part.failed_records
        for k, n in part.error_counts.items():
            report.error_counts[k] = report.error_counts.get(k, 0) + n
        for k, n in part.warning_counts.items():
            report.warning_counts[k] = report.warning_counts.get(k, 0) + n
        for e in part.errors[: max(0, KEEP - len(report.errors))]:
            report.errors.append(_shift_error(e, shift_r, shift_l))
        for w in part.warnings[: max(0, KEEP - len(report.warnings))]:
            report.warnings.append(replace(w, record=w.record + shift_r, line=None if w.line is None else w.line + shift_l))
        for rec, errs in part.failed_index.items():
            if len(report.failed_index) < KEEP:
                report.failed_index[rec + shift_r] = [_shift_error(e, shift_r, shift_l) for e in errs]
        report.failed_set.update(r + shift_r for r in part.failed_set)
        for rej in part.rejected:
            report.rejected.append(RejectedRecord(rej.record + shift_r, None if rej.line is None else rej.line + shift_l, [_shift_error(e, shift_r, shift_l) for e in rej.errors], rej.raw))
        rec_off += part.records
        line_off += lines
    _apply_policy(report, mapper, options)
    if not output or not report.accepted:
        return None, report
    return _assemble(mapper, parts, report), report


def _assemble(mapper: Mapper, parts: list[tuple[Any, Report, int]], report: Report) -> Batch:
    """Grow the parent's own arrays to the whole batch and write the workers' parts after them."""
    first: Batch = parts[0][0]
    packed_parts = [p[0] for p in parts[1:]]
    rows = [len(first.record_index)] + [len(p[1]) for p in packed_parts]
    total = sum(rows)
    starts = np.cumsum([0] + rows[:-1]).tolist()
    rec_starts = np.cumsum([0] + [p[1].records for p in parts[:-1]]).tolist()

    def grow(arr: np.ndarray) -> np.ndarray:
        try:
            arr.resize(total, refcheck=False)
            return arr
        except ValueError:
            out = np.empty(total, dtype=arr.dtype)
            out[: len(arr)] = arr
            return out

    ids = grow(first.ids)
    record_index = grow(first.record_index)
    for i, packed in enumerate(packed_parts, start=1):
        a, b = starts[i], starts[i] + rows[i]
        _place(packed[0], ids[a:b])
        record_index[a:b] = packed[1] + rec_starts[i]
    columns = {}
    for name, col in first.columns.items():
        if col.offsets is not None:
            values_parts = [col.values] + [_unpack_set_values(p[2][name]) for p in packed_parts]
            offs = [col.offsets]
            base = int(col.offsets[-1])
            for p in packed_parts:
                o = p[2][name][4]
                offs.append(o[1:] + base)
                base += int(o[-1])
            arrays = ColumnArrays(
                np.concatenate(values_parts),
                np.concatenate([col.valid] + [p[2][name][2] for p in packed_parts]),
                np.concatenate([col.present] + [p[2][name][3] for p in packed_parts]),
                np.concatenate(offs),
            )
        else:
            values, valid, present = grow(col.values), grow(col.valid), grow(col.present)
            for i, packed in enumerate(packed_parts, start=1):
                a, b = starts[i], starts[i] + rows[i]
                _ctype, pv, pvalid, ppresent, _o, _s, _u, _d = packed[2][name]
                _place(pv, values[a:b])
                valid[a:b] = pvalid
                present[a:b] = ppresent
            arrays = ColumnArrays(values, valid, present, None)
        columns[name] = ColumnData(name, col.type, arrays, scale=col.scale, unit=col.unit, digits=col.digits)
    return Batch(mapper.sink, ids, record_index, columns, report)


def _unpack_set_values(packed_col: Any) -> np.ndarray:
    pv = packed_col[1]
    n = _packed_len(pv)
    out = np.empty(n, dtype=object if pv[0] != "array" else pv[1].dtype)
    _place(pv, out)
    return out


def _shift_error(e: RecordError, dr: int, dl: int) -> RecordError:
    return replace(e, record=e.record + dr, line=None if e.line is None else e.line + dl)


def _apply_policy(report: Report, mapper: Mapper, options: dict[str, Any]) -> None:
    from .project import decide

    decide(report, mapper.sink.allow_missing_fields, options.get("on_error", "reject"), options.get("max_errors"))
