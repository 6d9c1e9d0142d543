"""Writing mapped batches: NDJSON rows, ``.npz``, Parquet and Arrow files, and the dead-letter file.

Every file is written atomically: to a temporary file next to the target, renamed
into place once complete, so a crash or a kill never leaves a half-written file under
the final name.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import orjson

from .batch import Batch
from .errors import InputError, optional_import
from .report import RejectedRecord

__all__ = ["RejectsWriter", "atomic_output", "npz_arrays", "write_arrow", "write_ndjson", "write_npz", "write_parquet", "writer_for"]


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


def writer_for(out: str) -> Callable[[Batch, str], None] | None:
    """The writer of an output name by its suffix (``-``: NDJSON on stdout), or None."""
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
    arrays = npz_arrays(batch)
    with atomic_output(out) as fh:
        np.savez(fh, **arrays)


def write_parquet(batch: Batch, out: str) -> None:
    pq = optional_import("pyarrow.parquet", "arrow", "writing Arrow or Parquet")
    table = batch.to_arrow()
    with atomic_output(out) as fh:
        pq.write_table(table, fh)


def write_arrow(batch: Batch, out: str) -> None:
    pa = optional_import("pyarrow", "arrow", "writing Arrow or Parquet")
    table = batch.to_arrow()
    with atomic_output(out) as fh, pa.ipc.new_file(fh, table.schema) as w:
        w.write_table(table)
