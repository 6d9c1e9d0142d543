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
