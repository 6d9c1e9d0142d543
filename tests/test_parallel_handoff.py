"""How ``workers=N`` hands its parts back: a worker's segment written without its mapping."""

from __future__ import annotations

import os
from multiprocessing import shared_memory

import numpy as np
import pytest

from mapper import batch as batch_module
from mapper.batch import Strings
from mapper.engine import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")


def _packed() -> tuple:
    """A part's columns as a worker packs them: arrays of odd lengths, strings, an empty one."""
    strings = Strings.from_objects(np.array(["a", "", "żółw", "x" * 1000, None], dtype=object), np.array([True, True, True, True, False]))
    columns = {
        "s": parallel._packed(batch_module.ColumnArrays(strings, np.array([True] * 4 + [False]), np.ones(5, bool), None)),
        "n": parallel._packed(batch_module.ColumnArrays(np.arange(7, dtype=np.int64) * 3, np.ones(7, bool), np.ones(7, bool), None)),
        "e": parallel._packed(batch_module.ColumnArrays(np.empty(0, np.float64), np.empty(0, bool), np.empty(0, bool), None)),
    }
    return columns, None


def _same(back: tuple) -> None:
    columns, ids = back
    assert ids is None
    s = parallel._unpacked(columns["s"])
    assert s.values.objects.tolist() == ["a", "", "żółw", "x" * 1000, None]
    assert parallel._unpacked(columns["n"]).values.tolist() == [0, 3, 6, 9, 12, 15, 18]
    assert parallel._unpacked(columns["e"]).values.tolist() == []


@pytest.mark.skipif(not os.path.isdir(parallel._SHM_DIR), reason="segments are files in /dev/shm on Linux only")
def test_a_worker_writes_its_segment_to_its_file_not_through_its_mapping(monkeypatch):
    # written through the mapping, every 4 KB page faulted (22,000 faults, 0.08 s for a
    # worker's 480,000 seed records); pwrite to the segment's file copies without them
    def no_mapping(self):
        raise AssertionError("the segment was written through its mapping")

    monkeypatch.setattr(shared_memory.SharedMemory, "buf", property(no_mapping))
    _same(parallel._from_shared(*parallel._to_shared(_packed())))


def test_where_segments_are_no_files_a_worker_writes_through_the_mapping(monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "_SHM_DIR", str(tmp_path / "no-such-dir"))
    used: list[int] = []
    real = shared_memory.SharedMemory.buf

    def noted(self):
        used.append(1)
        return real.fget(self)

    monkeypatch.setattr(shared_memory.SharedMemory, "buf", property(noted))
    _same(parallel._from_shared(*parallel._to_shared(_packed())))
    assert used, "the mapping was not used"
