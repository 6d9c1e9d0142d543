"""Writing mapped batches: NDJSON rows, ``.npz``, Parquet and Arrow files, and the dead-letter file.

Every file is written atomically: to a temporary file next to the target, renamed
into place once complete, so a crash or a kill never leaves a half-written file under
the final name.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import orjson

from .batch import Batch
from .errors import OutputError, optional_import
from .report import RejectedRecord

__all__ = [
    "RejectsWriter",
    "atomic_output",
    "check_output",
    "npz_arrays",
    "same_file",
    "write_arrow",
    "write_ndjson",
    "write_npz",
    "write_parquet",
    "writer_for",
]


_TMP_SUFFIX = ".mapper-tmp"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _clean_stale(directory: str, name: str) -> None:
    """Remove temporary files a killed run left next to ``name`` (their process is gone)."""
    pattern = re.compile(re.escape(f".{name}.") + r"(\d+)\.[0-9a-f]+" + re.escape(_TMP_SUFFIX))
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


def check_output(path: str) -> None:
    """Refuse, before any mapping, an output that cannot be written (raises :class:`OutputError`)."""
    if path == "-":
        return
    real = os.path.realpath(path)
    if os.path.isdir(real):
        raise OutputError(f"cannot write {path}: it is a directory")
    directory = os.path.dirname(real) or "."
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: no such directory {os.path.dirname(path) or '.'}")
    if os.path.exists(real) and not stat.S_ISREG(os.stat(real).st_mode):
        return  # a device or a FIFO: written through
    if not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write {path}: permission denied (the directory {directory} is not writable)")


@contextmanager
def atomic_output(path: str, mode: str = "wb") -> Iterator[Any]:
    """Write ``path`` atomically: to a temporary file next to it, renamed into place on success.

    Symlinks are followed (the link stays a link, its target gets the output), an existing
    file keeps its mode, and a target that is not a regular file (``/dev/stdout``, a FIFO)
    is written through instead of replaced. A failure (a full disk, a read-only directory)
    is an :class:`OutputError` and leaves no file under the final name. Temporary files
    are named after the process, so a run that was killed has its left-overs removed by
    the next one.
    """
    check_output(path)
    real = os.path.realpath(path)
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            fh = open(real, mode)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror}") from None
        try:
            with fh:
                yield fh
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror}") from None
        return
    directory, name = os.path.dirname(real) or ".", os.path.basename(real)
    _clean_stale(directory, name)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to any new file
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # the output keeps the mode it had
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through symlinks and hard links), or would."""
    if a == "-" or b == "-":
        return False
    try:
        sa, sb = os.stat(a), os.stat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


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

    Strings are stored as UTF-8 bytes (``<key>.utf8``, uint8) with int64 offsets
    (``<key>.utf8_offsets``, one more than values), the header saying ``"strings":
    "utf8"``: a file that loads without pickle, sized by its bytes (fixed-width
    unicode would size every value by the longest one). Keys are unique: a column whose
    name is not a plain identifier, or that would clash, gets ``col<i>``.
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
    """Store ``values`` under ``key``; for strings, return how (``utf8``)."""
    if values.dtype != object:
        arrays[key] = values
        return None
    items = ["" if v is None else v for v in values.tolist()]
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
