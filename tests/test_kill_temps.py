"""An interruption that lands just as a temporary file is made leaves none behind.

A Ctrl-C or SIGTERM is taken by Python right after the system call it came during returns:
``os.open`` has made the file, and the KeyboardInterrupt is raised before its descriptor is
handed back. Found by killing ``mapper map`` and ``mapper send`` at random moments
(SIGTERM/SIGINT left a ``.mapper-tmp`` or ``.c.json.XXXXXXXX.tmp`` file); here the moment
is injected: ``os.open`` makes the file, then raises KeyboardInterrupt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.gen import SINK, generate
from mapper.cli import main
from mapper.send import Checkpoint
from mapper.writers import _LIVE_TEMPS, AtomicFile

_real_open = os.open


def interrupt_after_making(suffix: str) -> Any:
    """An ``os.open`` that makes a file whose name ends with ``suffix``, then is interrupted."""

    def fake(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        fd = _real_open(path, flags, mode, *args, **kwargs)
        if str(path).endswith(suffix) and flags & os.O_CREAT:
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    return fake


def test_an_output_interrupted_as_its_temporary_file_is_made_leaves_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "open", interrupt_after_making(".mapper-tmp"))
    with pytest.raises(KeyboardInterrupt):
        AtomicFile(str(tmp_path / "out.ndjson"))
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    assert not [t for t in _LIVE_TEMPS if t.startswith(str(tmp_path))]


def test_map_interrupted_as_its_temporary_file_is_made_leaves_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sink.json").write_text(json.dumps(SINK))
    (tmp_path / "r.ndjson").write_bytes(generate(50))
    monkeypatch.setattr(os, "open", interrupt_after_making(".mapper-tmp"))
    code = main(["map", str(tmp_path / "sink.json"), str(tmp_path / "r.ndjson"), "-o", str(tmp_path / "out.ndjson")])
    monkeypatch.undo()
    assert code == 130
    assert sorted(os.listdir(tmp_path)) == ["r.ndjson", "sink.json"]


def test_a_checkpoint_save_interrupted_as_its_temporary_file_is_made_leaves_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = Checkpoint(str(tmp_path / "c.json"))
    checkpoint.save({"version": 1})
    monkeypatch.setattr(os, "open", interrupt_after_making(".tmp"))
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save({"version": 2})
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["c.json"]
    assert json.loads((tmp_path / "c.json").read_text()) == {"version": 1}  # the one before stands


def test_a_checkpoint_save_still_takes_another_name_when_one_is_there(tmp_path: Path) -> None:
    checkpoint = Checkpoint(str(tmp_path / "c.json"))
    for i in range(3):
        checkpoint.save({"version": i})
    assert os.listdir(tmp_path) == ["c.json"]
    assert json.loads((tmp_path / "c.json").read_text()) == {"version": 2}


def test_a_checkpoint_save_interrupted_before_it_holds_its_temporary_file_leaves_none_once_the_cli_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the interruption comes as the temporary file's name is handed back, before the save's
    # ``try`` holds it: the file is removed by the command line's cleanup of interrupted outputs
    # (mapper.writers.remove_left_temps), as an output's is; the checkpoint had a scheme of its
    # own, which such a file escaped
    import threading

    from mapper import send
    from mapper.writers import remove_left_temps

    real = send._new_temp

    def made_then_interrupted(target: Path) -> tuple[int, str]:
        fd, _tmp = real(target)
        os.close(fd)
        raise KeyboardInterrupt

    checkpoint = Checkpoint(str(tmp_path / "c.json"))
    checkpoint.save({"version": 1})
    monkeypatch.setattr(send, "_new_temp", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save({"version": 2})
    assert len(os.listdir(tmp_path)) == 2  # (its temporary file, till the cleanup)
    remove_left_temps(threading.get_ident())  # what mapper.cli.main does as it says "interrupted"
    assert os.listdir(tmp_path) == ["c.json"]
    assert json.loads((tmp_path / "c.json").read_text()) == {"version": 1}


def test_a_checkpoint_s_temporary_file_is_registered_while_it_is_written_and_let_go_once_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # one registry for every temporary file: the checkpoint's is in it while it exists, as
    # synced before its rename, and out of it once it is the checkpoint; its mode stays the
    # owner's alone (as tempfile.mkstemp made it), whatever the umask
    seen: list[tuple[list[str], list[str]]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        on_disk = sorted(str(p) for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
        seen.append((on_disk, sorted(t for t in _LIVE_TEMPS if t.startswith(str(tmp_path)))))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    checkpoint = Checkpoint(str(tmp_path / "c.json"))
    checkpoint.save({"version": 1})
    checkpoint.save({"version": 2})
    monkeypatch.undo()
    files = [s for s in seen if s[0]]  # (the directory's sync sees no temporary file)
    assert len(files) == 2 and all(len(on_disk) == 1 and on_disk == registered for on_disk, registered in files)
    assert not [t for t in _LIVE_TEMPS if t.startswith(str(tmp_path))]
    assert os.listdir(tmp_path) == ["c.json"] and (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600
