"""Outputs kept together, whatever they are: ``writers.keep_together`` renames any outputs into
place (rows' ``.ndjson``/``.npz``/``.parquet``/``.arrow`` files, refused records, a plain
:class:`~mapper.writers.AtomicFile`), the first last, and a rename that fails puts back those
renamed already. The undoable rename is :meth:`AtomicFile.keep`'s, which every writer uses
(it was the refused records' writer's alone: two row outputs could not be kept together).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from mapper import writers
from mapper.api import compile_sink
from mapper.errors import OutputError

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def _batch() -> Any:
    return compile_sink(SINK).map(b'{"id": 1, "n": 2}\n{"id": 2, "n": 3}\n')


def _written(path: Path) -> writers.BatchWriter:
    """A writer of ``path`` (by its suffix), the batch written and finished, not yet renamed."""
    writer = writers.open_writer(str(path))
    writer.write(_batch())
    writer.finish()
    return writer


def _listing(directory: Path) -> dict[str, bytes]:
    """Every entry of ``directory`` (temporary files and held links too) and what it holds."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _failing_replace(monkeypatch: Any, fail: set[int], why: int = errno.EXDEV, exc: type[BaseException] | None = None) -> list[str]:
    """``os.replace`` failing on its calls numbered in ``fail`` (from 1); the targets of all calls are returned."""
    replace, calls = os.replace, []

    def replaced(src: Any, dst: Any) -> None:
        calls.append(os.path.basename(dst))
        if len(calls) in fail:
            raise exc() if exc is not None else OSError(why, os.strerror(why))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", replaced)
    return calls


@pytest.mark.parametrize("suffixes", [(".ndjson", ".npz"), (".parquet", ".arrow"), (".npz", ".ndjson")])
@pytest.mark.parametrize("earlier", [True, False], ids=["files there", "no files"])
def test_two_row_outputs_whose_second_rename_fails_are_both_as_they_were(tmp_path: Path, monkeypatch: Any, suffixes: tuple[str, str], earlier: bool) -> None:
    # (failed before: keep_together took the rows and the refused records, and only the refused
    # records' writer could take its rename back: BatchWriter had no keep)
    pytest.importorskip("pyarrow")
    main, other = tmp_path / f"a{suffixes[0]}", tmp_path / f"b{suffixes[1]}"
    if earlier:
        main.write_bytes(b"earlier a\n")
        other.write_bytes(b"earlier b\n")
    before = _listing(tmp_path)
    a, b = _written(main), _written(other)
    calls = _failing_replace(monkeypatch, {2})
    with pytest.raises(OutputError) as info:
        writers.keep_together(a, b)
    monkeypatch.undo()
    assert calls[:2] == [other.name, main.name]  # (the first named is renamed last)
    assert str(info.value) == f"cannot write {main}: Invalid cross-device link; neither output was written: {main} and {other} are as they were"
    assert _listing(tmp_path) == before  # (b put back or removed; no temporary file, no held link)


def test_two_row_outputs_kept_together_are_both_written_and_nothing_is_left_beside_them(tmp_path: Path) -> None:
    main, other = tmp_path / "a.ndjson", tmp_path / "b.npz"
    main.write_bytes(b"earlier a\n")
    other.write_bytes(b"earlier b\n")
    writers.keep_together(_written(main), _written(other))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ndjson", "b.npz"]
    assert len(main.read_bytes().splitlines()) == 2
    assert writers.read_batch(str(other)).count == 2


@pytest.mark.parametrize("order", ["rows first", "refused records first"])
def test_rows_and_refused_records_in_either_order(tmp_path: Path, monkeypatch: Any, order: str) -> None:
    # (failed before: keep_together(rows, rejects) took them in that order only)
    rows_path, rejects_path = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    rows_path.write_bytes(b"earlier rows\n")
    rejects_path.write_bytes(b"earlier letters\n")
    before = _listing(tmp_path)
    rows, rejects = _written(rows_path), writers.RejectsWriter(str(rejects_path))
    rejects.flush()
    outputs: list[Any] = [rows, rejects] if order == "rows first" else [rejects, rows]
    _failing_replace(monkeypatch, {2})
    with pytest.raises(OutputError) as info:
        writers.keep_together(*outputs)
    monkeypatch.undo()
    assert str(info.value).startswith(f"cannot write {outputs[0].shown}: Invalid cross-device link; neither output was written: ")
    assert _listing(tmp_path) == before


def test_three_outputs_the_last_rename_failing_puts_back_the_two_before(tmp_path: Path, monkeypatch: Any) -> None:
    paths = [tmp_path / "a.ndjson", tmp_path / "b.ndjson", tmp_path / "c.npz"]
    paths[0].write_bytes(b"earlier a\n")
    paths[2].write_bytes(b"earlier c\n")  # (b: none there, removed when taken back)
    before = _listing(tmp_path)
    outputs = [_written(p) for p in paths]
    calls = _failing_replace(monkeypatch, {3})
    with pytest.raises(OutputError) as info:
        writers.keep_together(*outputs)
    assert calls[:3] == ["c.npz", "b.ndjson", "a.ndjson"]
    monkeypatch.undo()
    assert (
        str(info.value) == f"cannot write {paths[0]}: Invalid cross-device link; no output was written: {paths[0]}, {paths[1]} and {paths[2]} are as they were"
    )
    assert _listing(tmp_path) == before


def test_three_outputs_the_first_rename_failing_drops_the_others(tmp_path: Path, monkeypatch: Any) -> None:
    paths = [tmp_path / "a.ndjson", tmp_path / "b.ndjson", tmp_path / "c.ndjson"]
    outputs = [_written(p) for p in paths]
    _failing_replace(monkeypatch, {1})
    with pytest.raises(OutputError, match="no output was written"):
        writers.keep_together(*outputs)
    monkeypatch.undo()
    assert _listing(tmp_path) == {}


def test_a_row_output_on_a_file_system_without_hard_links_is_kept_and_said_if_it_cannot_be_put_back(tmp_path: Path, monkeypatch: Any) -> None:
    # (as the refused records' file was: kept all the same; taken back, the error says it could not be)
    main, other = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    other.write_bytes(b"earlier b\n")
    a, b = _written(main), _written(other)

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_links)
    _failing_replace(monkeypatch, {2})
    with pytest.raises(OutputError) as info:
        writers.keep_together(a, b)
    monkeypatch.undo()
    assert str(info.value) == (
        f"cannot write {main}: Invalid cross-device link; {other} holds this run's rows all the same "
        "(what it held before could not be put back: the file it replaced was not kept)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.ndjson"]
    assert len(other.read_bytes().splitlines()) == 2


def test_without_hard_links_outputs_kept_together_are_written(tmp_path: Path, monkeypatch: Any) -> None:
    main, other = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    main.write_bytes(b"earlier a\n")
    other.write_bytes(b"earlier b\n")

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "link", no_links)
    writers.keep_together(_written(main), _written(other))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ndjson", "b.ndjson"]
    assert len(main.read_bytes().splitlines()) == 2 and len(other.read_bytes().splitlines()) == 2


def test_an_output_written_through_is_said_to_be_out(tmp_path: Path, monkeypatch: Any) -> None:
    # a FIFO (written through, as it came): the file's rename failing cannot take it back
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        main = tmp_path / "a.ndjson"
        through = writers.AtomicFile(str(fifo), holds="figures")
        assert through.through
        through.fh.write(b"x\n")
        a = _written(main)
        _failing_replace(monkeypatch, {1})
        with pytest.raises(OutputError) as info:
            writers.keep_together(a, through)
        monkeypatch.undo()
        assert str(info.value) == f"cannot write {main}: Invalid cross-device link; the figures went to {fifo} all the same"
        assert os.read(reader, 100) == b"x\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
    finally:
        os.close(reader)


@pytest.mark.parametrize("failing", [1, 2], ids=["first rename", "second rename"])
def test_a_keyboard_interrupt_during_a_rename_leaves_the_earlier_files_and_nothing_beside_them(tmp_path: Path, monkeypatch: Any, failing: int) -> None:
    # (where signals are not held: the held links and the temporary files are removed, what was renamed put back)
    main, other = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    main.write_bytes(b"earlier a\n")
    other.write_bytes(b"earlier b\n")
    before = _listing(tmp_path)
    a, b = _written(main), _written(other)
    _failing_replace(monkeypatch, {failing}, exc=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        writers.keep_together(a, b)
    monkeypatch.undo()
    assert _listing(tmp_path) == before


def test_atomic_file_keep_undo_and_forget(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_bytes(b"old")
    out = writers.AtomicFile(str(path))
    out.fh.write(b"new")
    kept = out.keep()
    assert path.read_bytes() == b"new"
    assert len(list(tmp_path.iterdir())) == 2  # (the old file, held beside it)
    kept.undo()
    assert _listing(tmp_path) == {"o.json": b"old"}
    out = writers.AtomicFile(str(path))
    out.fh.write(b"newer")
    out.keep().forget()
    assert _listing(tmp_path) == {"o.json": b"newer"}


def test_atomic_file_undo_with_no_earlier_file_removes_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    out = writers.AtomicFile(str(path))
    out.fh.write(b"new")
    kept = out.keep()
    assert path.read_bytes() == b"new"
    kept.undo()
    assert _listing(tmp_path) == {}


def test_atomic_file_close_holds_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    # (only keep, which may be taken back, holds the file replaced: close makes no link)
    path = tmp_path / "o.json"
    path.write_bytes(b"old")
    links: list[Any] = []
    monkeypatch.setattr(os, "link", lambda *a, **k: links.append(a))
    out = writers.AtomicFile(str(path))
    out.fh.write(b"new")
    out.close()
    assert links == [] and _listing(tmp_path) == {"o.json": b"new"}


def test_atomic_file_aborted_leaves_the_earlier_file(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_bytes(b"old")
    out = writers.AtomicFile(str(path))
    out.fh.write(b"new")
    out.abort()
    assert _listing(tmp_path) == {"o.json": b"old"}


def test_a_mode_that_cannot_be_set_leaves_no_temporary_file(tmp_path: Path, monkeypatch: Any) -> None:
    # (the temporary file was made, then chmod failed: it stayed, its descriptor open)
    path = tmp_path / "o.json"
    path.write_bytes(b"old")

    def no_chmod(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "chmod", no_chmod)
    with pytest.raises(OutputError, match="Operation not permitted"), writers.atomic_output(str(path)) as fh:
        fh.write(b"new")
    monkeypatch.undo()
    assert _listing(tmp_path) == {"o.json": b"old"}


# An interruption (Ctrl-C, or the command line's SIGTERM taken as one) that comes between an
# output's temporary file being made and the code that would drop it: a writer's AtomicFile
# made but not yet kept by the writer (stop 46: `map -o out.ndjson` killed with SIGTERM as
# writing began exited 143, its temporary file left beside the output).


def test_an_interruption_as_the_rows_file_is_opened_leaves_no_temporary_file(tmp_path: Path, monkeypatch: Any) -> None:
    import json

    from mapper.cli import main

    made = []
    real_init = writers.AtomicFile.__init__

    def init_then_interrupted(self: writers.AtomicFile, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self._tmp)
        raise KeyboardInterrupt  # after the file is made, before the writer holds it

    monkeypatch.setattr(writers.AtomicFile, "__init__", init_then_interrupted)
    sink, records = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps(SINK))
    records.write_bytes(b'{"id": 1, "n": 2}\n')
    assert main(["map", str(sink), str(records), "-o", str(tmp_path / "out.ndjson"), "-q"]) == 130
    assert made and made[0] is not None and sorted(p.name for p in tmp_path.iterdir()) == ["r.ndjson", "sink.json"]
    assert writers._LIVE_TEMPS == {}


def test_an_atomic_file_neither_kept_nor_dropped_is_removed_as_the_process_ends(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = f"from mapper.writers import AtomicFile; f = AtomicFile({str(tmp_path / 'out')!r}); f.fh.write(b'half'); print(f._tmp)"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip().endswith(".mapper-tmp"), proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_left_temporary_files_of_other_threads_stay_when_one_thread_is_interrupted(tmp_path: Path) -> None:
    import threading

    mine = writers.AtomicFile(str(tmp_path / "a"))
    theirs: list[writers.AtomicFile] = []
    t = threading.Thread(target=lambda: theirs.append(writers.AtomicFile(str(tmp_path / "b"))))
    t.start()
    t.join()
    try:
        writers.remove_left_temps(threading.get_ident())
        assert mine._tmp is not None and not os.path.exists(mine._tmp)
        assert theirs[0]._tmp is not None and os.path.exists(theirs[0]._tmp)
    finally:
        mine.abort()
        theirs[0].abort()
    assert list(tmp_path.iterdir()) == []


def test_an_interruption_as_the_temporary_file_is_made_leaves_none(tmp_path: Path, monkeypatch: Any) -> None:
    # the file made, the interruption landing before os.open's descriptor is held (a signal taken
    # as the call returns): the registry let it go while it was there, and nothing removed it
    real_open = os.open

    def made_then_interrupted(path: Any, flags: int, mode: int = 0o777) -> int:
        os.close(real_open(path, flags, mode))
        raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "open", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        writers.AtomicFile(str(tmp_path / "out.ndjson"))
    monkeypatch.undo()
    assert _listing(tmp_path) == {}
    assert writers._LIVE_TEMPS == {}
