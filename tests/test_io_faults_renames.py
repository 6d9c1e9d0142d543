"""``map -o ROWS --rejects LETTERS``: the two outputs are renamed into place one after the other.
A rename that fails (the directory removed or made read-only meanwhile, a directory now under the
name, EXDEV, EACCES) fails the run (exit 2) with neither output kept, no temporary file left, and
an error naming the file that failed and saying what was written and what not.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mapper import cli, writers

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def _inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A sink, 200 NDJSON records of which 4 are refused, and an empty directory for the outputs."""
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    data = tmp_path / "r.ndjson"
    data.write_text("".join(json.dumps({"id": i, "n": "x" if i % 50 == 0 else i}) + "\n" for i in range(200)))
    out = tmp_path / "out"
    out.mkdir()
    return sink, data, out


def _listing(directory: Path) -> dict[str, bytes]:
    """Every entry of ``directory`` (temporary files too) and what it holds."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _failing_replace(monkeypatch: Any, fail: set[int], why: int = errno.EXDEV) -> list[str]:
    """``os.replace`` failing on its calls numbered in ``fail`` (from 1); the targets of all calls are returned."""
    replace, calls = os.replace, []

    def replaced(src: Any, dst: Any) -> None:
        calls.append(os.path.basename(dst))
        if len(calls) in fail:
            raise OSError(why, os.strerror(why))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", replaced)
    return calls


@pytest.mark.parametrize("earlier", [True, False], ids=["files there", "no files"])
@pytest.mark.parametrize("suffix", [".ndjson", ".npz"])
@pytest.mark.parametrize("failing", [1, 2], ids=["first rename", "second rename"])
def test_a_rename_that_fails_leaves_both_outputs_as_they_were(tmp_path: Path, monkeypatch: Any, capsys: Any, earlier: bool, suffix: str, failing: int) -> None:
    # found: the rows were renamed into place, then the refused records: the second rename failing
    # (EXDEV, EACCES, the directory gone) ended the run with exit 2 and "cannot write rej.ndjson",
    # yet the new rows stood beside the earlier run's refused records (or none): this run's refused
    # records were nowhere, and nothing said the rows had been written
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / f"rows{suffix}", out / "rej.ndjson"
    if earlier:
        rows.write_bytes(b"earlier rows\n")
        rejects.write_bytes(b"earlier letters\n")
    before = _listing(out)
    calls = _failing_replace(monkeypatch, {failing})
    code = cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    failed = [rejects, rows][failing - 1]  # the refused records go first
    assert calls[:2] == ["rej.ndjson", f"rows{suffix}"][:failing]
    assert code == 2
    assert err == f"mapper: cannot write {failed}: Invalid cross-device link; neither output was written: {rows} and {rejects} are as they were\n", err
    assert _listing(out) == before


def test_a_directory_made_under_the_rows_name_meanwhile_takes_the_refused_records_back(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # (a real failure of the rows' rename, no os.replace patched: a directory under the name)
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / "rows.ndjson", out / "rej.ndjson"
    rejects.write_bytes(b"earlier letters\n")
    finish = writers.BatchWriter.finish

    def finished(self: Any) -> None:
        finish(self)
        if not rows.exists():  # (close finishes again)
            os.mkdir(rows)

    monkeypatch.setattr(writers.BatchWriter, "finish", finished)
    code = cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"mapper: cannot write {rows}: Is a directory; neither output was written: {rows} and {rejects} are as they were"), err
    assert sorted(p.name for p in out.iterdir()) == ["rej.ndjson", "rows.ndjson"] and rows.is_dir()
    assert rejects.read_bytes() == b"earlier letters\n"


def test_refused_records_that_cannot_be_put_back_are_said_to_be_this_runs(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # the rows' rename fails, then putting the earlier refused records back fails too: the new ones
    # stay, and the error says so (never "neither output was written")
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / "rows.ndjson", out / "rej.ndjson"
    rows.write_bytes(b"earlier rows\n")
    rejects.write_bytes(b"earlier letters\n")
    _failing_replace(monkeypatch, {2, 3}, errno.EACCES)
    code = cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"mapper: cannot write {rows}: Permission denied; {rejects} holds this run's refused records all the same "
        "(what it held before could not be put back: Permission denied)\n"
    ), err
    assert sorted(p.name for p in out.iterdir()) == ["rej.ndjson", "rows.ndjson"]  # (no temporary file, no held copy)
    assert rows.read_bytes() == b"earlier rows\n"
    assert len(rejects.read_bytes().splitlines()) == 4


def test_rows_to_standard_output_and_refused_records_that_cannot_be_renamed(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # the rows went out before the renames (standard output cannot be taken back): the error says so
    sink, data, out = _inputs(tmp_path)
    rejects = out / "rej.ndjson"
    _failing_replace(monkeypatch, {1})
    code = cli.main(["map", str(sink), str(data), "-o", "-", "--rejects", str(rejects), "-q"])
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.out.splitlines()) == 196
    assert (
        captured.err
        == f"mapper: cannot write {rejects}: Invalid cross-device link; the rows went to standard output all the same, so the refused records are in no file\n"
    )
    assert _listing(out) == {}


def test_both_renames_succeeding_leave_no_held_copy(tmp_path: Path, capsys: Any) -> None:
    # (the earlier refused records are held as a hard link while the rows are renamed: let go after)
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / "rows.ndjson", out / "rej.ndjson"
    rejects.write_bytes(b"earlier letters\n")
    assert cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q", "--on-error", "skip"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["rej.ndjson", "rows.ndjson"]
    assert len(rejects.read_bytes().splitlines()) == 4 and len(rows.read_bytes().splitlines()) == 196


def test_a_file_system_without_hard_links_still_keeps_both(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / "rows.ndjson", out / "rej.ndjson"
    rejects.write_bytes(b"earlier letters\n")

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_links)
    assert cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["rej.ndjson", "rows.ndjson"]
    assert len(rejects.read_bytes().splitlines()) == 4


def test_with_workers_a_failed_rename_of_the_rows_takes_the_refused_records_back(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    sink, data, out = _inputs(tmp_path)
    rows, rejects = out / "rows.ndjson", out / "rej.ndjson"
    rows.write_bytes(b"earlier rows\n")
    before = _listing(out)
    _failing_replace(monkeypatch, {2})
    code = cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", str(rejects), "-q", "--workers", "2"])
    monkeypatch.undo()
    assert code == 2
    assert (
        capsys.readouterr().err
        == f"mapper: cannot write {rows}: Invalid cross-device link; neither output was written: {rows} and {rejects} are as they were\n"
    )
    assert _listing(out) == before


def test_refused_records_written_through_are_said_to_be_out(tmp_path: Path, monkeypatch: Any, capfd: Any) -> None:
    # --rejects /dev/stderr: written as they came, so a failed rename of the rows cannot take them back
    sink, data, out = _inputs(tmp_path)
    rows = out / "rows.ndjson"
    _failing_replace(monkeypatch, {1})
    code = cli.main(["map", str(sink), str(data), "-o", str(rows), "--rejects", "/dev/stderr", "-q"])
    monkeypatch.undo()
    err = capfd.readouterr().err
    assert code == 2
    assert err.endswith(f"mapper: cannot write {rows}: Invalid cross-device link; the refused records went to /dev/stderr all the same\n"), err
    assert len(err.splitlines()) == 5 and _listing(out) == {}
