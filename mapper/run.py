"""What ``mapper validate`` and ``mapper map`` do: stream the inputs through the engine, report, write.

The command line adds no mapping logic: inputs are read in chunks (bounded memory
for ``validate``), a progress bar is drawn on a terminal, and outputs are written
atomically (a temporary file renamed into place; a rejected batch leaves none).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from .batch import Batch
from .compiler import compile_sink
from .errors import BatchRejected, InputError, MapperError
from .io import iter_units, open_input
from .project import Engine
from .report import RejectedRecord, Report

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class Progress:
    """A progress line on stderr (records, MB, records/s), only on a terminal, after one second."""

    def __init__(self, enabled: bool, stream: IO[str] | None = None):
        stream = sys.stderr if stream is None else stream  # looked up now: sys.stderr may have been replaced
        try:
            self.enabled = enabled and stream.isatty()
        except (ValueError, AttributeError):  # a closed or odd stream: no progress bar
            self.enabled = False
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.bytes = 0

    def update(self, records: int, nbytes: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < 1.0 or now - self.last < 0.2:
            return
        self.last = now
        rate = records / elapsed if elapsed else 0.0
        self.stream.write(f"\r{records:,} records  {nbytes / 1e6:,.1f} MB  {rate:,.0f} records/s ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@contextmanager
def atomic_output(path: str, mode: str = "wb") -> Iterator[Any]:
    """Write to a temporary file next to ``path`` and rename it into place on success."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {path}: no such directory {directory}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the output gets a normal file's mode
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class RejectsWriter:
    """The dead-letter file: one JSON line per rejected record, with its raw text exactly as it came."""

    def __init__(self, path: str):
        self.path = path
        self.ctx = atomic_output(path, "wb")
        self.fh = self.ctx.__enter__()
        self.count = 0

    def __call__(self, rejected: RejectedRecord) -> None:
        out: dict[str, Any] = {"record": rejected.record, "line": rejected.line, "errors": [e.to_dict() for e in rejected.errors]}
        raw = rejected.raw
        if raw is not None:
            try:
                out["raw"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                out["raw_base64"] = base64.b64encode(raw).decode("ascii")
        self.fh.write(orjson.dumps(out) + b"\n")
        self.count += 1

    def close(self, ok: bool = True) -> None:
        if ok:
            self.ctx.__exit__(None, None, None)
        else:  # pragma: no cover - interrupted
            self.ctx.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    from .cli import _max_errors

    return {
        "on_error": args.on_error,
        "max_errors": _max_errors(args.max_errors),
        "strict": args.strict,
    }


def _inputs(args: argparse.Namespace) -> list[str]:
    records = list(getattr(args, "records", None) or [])
    return records or ["-"]


def stream_batch(args: argparse.Namespace, *, output: bool) -> tuple[Batch | None, Report, int]:
    """Run the engine over every input; return (batch, report, exit code for usage errors or 0)."""
    from .cli import load_cli_sink

    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        raise _UsageExit()
    mapper = compile_sink(sink)
    inputs = _inputs(args)
    workers = getattr(args, "workers", 1) or 1
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    if workers > 1 and len(inputs) == 1 and inputs[0] != "-":
        return _parallel_batch(mapper, Path(inputs[0]), args, output, workers)
    rejects = RejectsWriter(args.rejects) if args.rejects else None
    engine = Engine(mapper, output=output, keep_rejected=False, on_reject=rejects, **_engine_options(args))
    progress = Progress(not args.quiet)
    nbytes = 0
    ok = False
    try:
        for name in inputs:
            engine.rb.source = name if len(inputs) > 1 else None
            with _opened(name) as fh:
                for unit in iter_units(fh, input_format=args.input_format):
                    unit.feed(engine)
                    nbytes += _unit_size(unit)
                    progress.update(engine.n, nbytes)
        ok = True
    finally:
        progress.close()
        if rejects is not None:
            rejects.close(ok)
    batch, report = engine.finish()
    return batch, report, 0


def _parallel_batch(mapper: Any, path: Path, args: argparse.Namespace, output: bool, workers: int) -> tuple[Batch | None, Report, int]:
    """``--workers N`` on one file: every process reads the file (see mapper.parallel)."""
    from .project import run

    if not path.is_file():
        raise InputError(f"no such file: {path}" if not path.exists() else f"{path} is not a records file")
    try:
        result = run(mapper, path, output=output, input_format=args.input_format, workers=workers, **_engine_options(args))
    except BatchRejected as exc:
        result = exc.report
    report = result.report if isinstance(result, Batch) else result
    if args.rejects:
        writer = RejectsWriter(args.rejects)
        try:
            for rejected in report.rejected:
                writer(rejected)
        finally:
            writer.close()
    return (result if isinstance(result, Batch) else None), report, 0


class _UsageExit(Exception):
    pass


@contextmanager
def _opened(name: str) -> Iterator[Any]:
    fh = open_input(name)
    try:
        yield fh
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _unit_size(unit: Any) -> int:
    data = getattr(unit, "data", None)
    if data is not None:
        return len(data)
    raws = getattr(unit, "raws", None)
    return sum(len(r) for r in raws) if raws else 0


def run_validate(args: argparse.Namespace) -> int:
    try:
        _batch, report, _ = stream_batch(args, output=False)
    except _UsageExit:
        return EXIT_USAGE
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.report == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    elif args.report == "endpoint":
        sys.stdout.write(json.dumps(report.endpoint_answer(), ensure_ascii=False) + "\n")
    else:
        print_report(report, sys.stdout)
    return EXIT_OK if report.accepted else EXIT_REJECTED


def run_map(args: argparse.Namespace) -> int:
    out = args.output
    writer = _writer_for(out)
    if writer is None:
        print(f"mapper: cannot tell the output format of {out!r}: use .npz, .ndjson, .parquet, .arrow or - (NDJSON on stdout)", file=sys.stderr)
        return EXIT_USAGE
    if out.endswith((".parquet", ".arrow")):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            print("mapper: writing .parquet or .arrow needs pyarrow: pip install 'mapper[arrow]'", file=sys.stderr)
            return EXIT_USAGE
    try:
        batch, report, _ = stream_batch(args, output=True)
    except _UsageExit:
        return EXIT_USAGE
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if batch is None:
        if not args.quiet:
            print_report(report, sys.stderr)
        return EXIT_REJECTED
    try:
        writer(batch, out)
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        target = "stdout" if out == "-" else out
        print(f"mapper: {report.summary()}; {batch.count} rows written to {target}", file=sys.stderr)
    return EXIT_OK


# ---------------------------------------------------------------------------------------
# The human report


def print_report(report: Report, out: IO[str], examples: int = 3) -> None:
    verdict = "ACCEPTED" if report.accepted else "REJECTED"
    line = f"{verdict}: {report.records} records, {report.success_count} would be stored, {report.failed_records} failed"
    if report.total_warnings:
        line += f", {report.total_warnings} warnings"
    if not report.accepted and report.reject_reason:
        line += f" ({report.reject_reason})"
    print(line, file=out)
    _print_groups("errors:", report.errors_by_column(), out, examples)
    _print_groups("warnings (values the endpoint stores differently from how they were sent):", report.warnings_by_column(), out, examples)
    if report.total_errors > len(report.errors):
        print(f"(counts cover all {report.total_errors} errors; the first {len(report.errors)} are kept in full)", file=out)


def _print_groups(title: str, groups: list[tuple[str | None, str, int, list[Any]]], out: IO[str], examples: int) -> None:
    """Groups of (column, code or kind, count, first entries), each with a few examples."""
    if not groups:
        return
    print(title, file=out)
    for column, code, count, items in groups:
        print(f"  {column or '(record)'}  {code}  {count} time(s)", file=out)
        for item in items[:examples]:
            loc = f"record {item.record}" + (f", line {item.line}" if item.line is not None else "")
            print(f"    {loc}: {item.reason}", file=out)


# ---------------------------------------------------------------------------------------
# Writers


def _writer_for(out: str) -> Any:
    if out == "-":
        return write_ndjson
    suffix = Path(out).suffix.lower()
    return {".npz": write_npz, ".ndjson": write_ndjson, ".jsonl": write_ndjson, ".parquet": write_parquet, ".arrow": write_arrow}.get(suffix)


def write_ndjson(batch: Batch, out: str) -> None:
    """Canonical rows, one JSON object per line."""
    if out == "-":
        buf = sys.stdout.buffer
        for row in batch.iter_rows():
            buf.write(orjson.dumps(row) + b"\n")
        buf.flush()
        return
    with atomic_output(out) as fh:
        for row in batch.iter_rows():
            fh.write(orjson.dumps(row) + b"\n")


def npz_arrays(batch: Batch) -> dict[str, Any]:
    """The arrays ``write_npz`` stores, by key.

    Strings are fixed-width unicode, which loads without pickle; numpy drops trailing
    NUL characters from such strings, so a string array holding one that ends in NUL
    is stored instead as UTF-8 bytes (``<key>.utf8``) with int64 ``<key>.utf8_offsets``
    (the header says which). Keys are unique: a column whose name is not a plain
    identifier, or that would clash, gets ``col<i>``.
    """
    import numpy as np

    header: dict[str, Any] = {"format": "mapper-npz/1", "rows": batch.count, "id": {"key": "_id", "kind": batch.sink.id_kind}, "columns": []}
    arrays: dict[str, Any] = {"_record_index": batch.record_index}
    header["id"]["strings"] = _put_values(arrays, "_id", batch.ids)
    used = {"_id", "_record_index", "__header__"}
    for i, (name, col) in enumerate(batch.columns.items()):
        plain = name.replace("_", "").replace("-", "").isalnum() and name.isascii() and not name.startswith("_")
        key = name if plain else f"col{i}"
        while key in used:
            key = f"{key}_"
        used.add(key)
        meta: dict[str, Any] = {"name": name, "key": key, "type": col.type}
        if col.scale is not None:
            meta["scale"] = col.scale
        if col.unit is not None:
            meta["unit"] = col.unit
        strings = _put_values(arrays, key, col.values)
        if strings:
            meta["strings"] = strings
        arrays[f"{key}.valid"] = col.valid
        arrays[f"{key}.present"] = col.present
        if col.offsets is not None:
            arrays[f"{key}.offsets"] = col.offsets
        header["columns"].append(meta)
    arrays["__header__"] = np.array(json.dumps(header, ensure_ascii=False))
    return arrays


def _put_values(arrays: dict[str, Any], key: str, values: Any) -> str | None:
    """Store ``values`` under ``key``; for strings, return how ("unicode" or "utf8")."""
    import numpy as np

    if values.dtype != object:
        arrays[key] = values
        return None
    items = ["" if v is None else v for v in values.tolist()]
    if not any(s.endswith("\x00") for s in items):
        arrays[key] = np.array(items, dtype=str) if items else np.array([], dtype="<U1")
        return "unicode"
    encoded = [s.encode("utf-8", "surrogatepass") for s in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    arrays[f"{key}.utf8"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    arrays[f"{key}.utf8_offsets"] = offsets
    return "utf8"


def write_npz(batch: Batch, out: str) -> None:
    import numpy as np

    arrays = npz_arrays(batch)
    with atomic_output(out) as fh:
        np.savez(fh, **arrays)


def write_parquet(batch: Batch, out: str) -> None:
    import pyarrow.parquet as pq

    table = batch.to_arrow()
    with atomic_output(out) as fh:
        pq.write_table(table, fh)


def write_arrow(batch: Batch, out: str) -> None:
    import pyarrow as pa

    table = batch.to_arrow()
    with atomic_output(out) as fh, pa.ipc.new_file(fh, table.schema) as w:
        w.write_table(table)
