"""Stop 57's changes reviewed (session review): each test failed before its fix."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_inproc import run_main

from mapper.endpoint import ServiceError
from mapper.store import Store

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


# ---------------------------------------------------------------------------------------
# a file under /dev/ (a tmpfs, /dev/shm) is a file, named in hints as any file is


@pytest.fixture
def shm_dir() -> Iterator[Path]:
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm here")
    where = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="mapper-test-"))
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_a_warning_about_a_sink_file_under_dev_names_the_file(shm_dir: Path, tmp_path: Path) -> None:
    """``mapper validate /dev/shm/s.json r.ndjson`` pointed to ``... | mapper check -`` (as if the sink came
    through a pipe, read once): ``mapper check /dev/shm/s.json`` is the command that shows the warning."""
    sink = shm_dir / "s.json"
    sink.write_bytes(b"\xef\xbb\xbf" + SINK.read_bytes())  # (a byte order mark: one warning)
    (tmp_path / "r.ndjson").write_bytes((ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes())
    ran = run_main("validate", sink, "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 0 and f"mapper: 1 warning about {sink} (see: mapper check {sink})" in ran.err, ran.err
    said = run_main("check", sink, cwd=tmp_path)  # (what it points to says the warning)
    assert "byte order mark" in said.out, said.out
    # a stream read once by a /dev/ name is still piped again
    ran = run_main("validate", "/dev/stdin", "r.ndjson", input=sink.read_bytes(), cwd=tmp_path)
    assert "(see: ... | mapper check -)" in ran.err, ran.err


def test_a_hint_on_records_under_dev_names_the_file(shm_dir: Path, tmp_path: Path) -> None:
    """A compressed array of documents under /dev/shm was told ``jq -c '.[]' FILE`` (shell_file took every
    /dev/ name for a stream with no name to give): its name and the command unpacking it are said, as of any file."""
    records = shm_dir / "snapshots.json.gz"
    records.write_bytes(gzip.compress(json.dumps([{"aircraft": []}, {"aircraft": []}]).encode()))
    ran = run_main("validate", SINK, records, "--records-path", "aircraft", cwd=tmp_path)
    assert f"(`gzip -dc {records} | jq -c '.[]'`)" in ran.out, ran.out


# ---------------------------------------------------------------------------------------
# Store(path) refuses a device or a pipe as serve --db does


def test_a_store_refuses_a_pipe_naming_it(tmp_path: Path) -> None:
    """``Store(fifo)`` said SQLite's "disk I/O error" (``mapper serve --db fifo`` names it a pipe)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ServiceError) as caught:
        Store(str(fifo))
    assert f"cannot open the database {fifo}: it is a pipe, not a database file" in caught.value.message, caught.value.message
    assert "disk I/O error" not in caught.value.message


def test_a_store_refuses_a_device_naming_it() -> None:
    """``Store("/dev/null")`` said "disk I/O error" and, run as root, made ``/dev/null-journal`` (``mapper serve
    --db /dev/null`` is refused before the store opens it, the Python door was not)."""
    journal = os.path.lexists(os.devnull + "-journal")
    with pytest.raises(ServiceError) as caught:
        Store(os.devnull, writable=False)
    assert f"cannot open the database {os.devnull}: it is a device, not a database file" in caught.value.message, caught.value.message
    with pytest.raises(ServiceError):
        Store(os.devnull)
    assert os.path.lexists(os.devnull + "-journal") == journal  # (none made)
