"""Review of the 2026-12-04 changes (session 2): defects found in them, each with its test."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

from mapper import cli

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def _inputs(tmp_path: Path, records: int = 200, bad_every: int = 50) -> tuple[Path, Path]:
    """A sink and NDJSON records, every ``bad_every``-th refused (``n`` is no int)."""
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    data = tmp_path / "r.ndjson"
    data.write_text("".join(json.dumps({"id": i, "n": "x" if i % bad_every == 0 else i}) + "\n" for i in range(records)))
    return sink, data


def _fd_name(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_dead_letters_that_fail_as_they_are_synced_leave_the_rows_file_as_it_was(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # The dead letters were synced only as they were closed, after the rows had been renamed
    # into place: a write error the disk reports at write-back (EIO) ended the run with exit 2
    # and the new rows in place beside the earlier letters.
    sink, data = _inputs(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "out.ndjson").write_bytes(b"earlier rows\n")
    (out_dir / "rej.ndjson").write_bytes(b"earlier letters\n")
    fsync = os.fsync

    def failing(fd: int) -> None:
        if ".rej.ndjson." in _fd_name(fd):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    code = cli.main(["map", str(sink), str(data), "-o", str(out_dir / "out.ndjson"), "--rejects", str(out_dir / "rej.ndjson"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {out_dir / 'rej.ndjson'}: Input/output error" in err, err
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == {"out.ndjson": b"earlier rows\n", "rej.ndjson": b"earlier letters\n"}

