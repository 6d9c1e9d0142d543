"""How ``workers=N`` hands its parts back and ends: a worker's segment written without its mapping,
the workers waited for after ``map -o`` wrote the parts, strings made UTF-8 a block at a time;
the output byte for byte what one process writes."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
import pytest

from mapper import batch as batch_module
from mapper.batch import Strings, objects_to_utf8
from mapper.cli import main
from mapper.engine import parallel
from mapper.errors import OutputError
from mapper.writers import NpzWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.gen import SINK, generate  # noqa: E402

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


def _records(tmp_path: Path) -> tuple[Path, Path]:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(3000, "bad", seed=3))
    return sink, records


def test_map_o_writes_the_parts_before_it_waits_for_the_workers_to_end(monkeypatch, tmp_path):
    # a worker's exit (its address space freed) took 0.05-0.16 s that the caller spent
    # waiting before it wrote anything; the workers are now waited for once the output is written
    from mapper import commands

    events: list[str] = []
    real_reap, real_finish = commands.reap, NpzWriter._finish

    def reaped(procs):
        events.append(f"reap {len(procs)}")
        real_reap(procs)
        assert not any(p.is_alive() for p in procs)

    def finished(self):
        events.append("write")
        real_finish(self)

    monkeypatch.setattr(commands, "reap", reaped)
    monkeypatch.setattr(NpzWriter, "_finish", finished)
    sink, records = _records(tmp_path)
    assert (
        main(["map", str(sink), str(records), "-o", str(tmp_path / "out.npz"), "--workers", "2", "-q", "--on-error", "skip"]) == 1
    )  # (the bad records: exit 1)
    assert events == ["write", "reap 1"]
    assert mp.active_children() == []


def test_a_write_that_fails_still_waits_for_the_workers(monkeypatch, tmp_path, capsys):
    def failing(self):
        raise OutputError("the disk is full")

    monkeypatch.setattr(NpzWriter, "_finish", failing)
    sink, records = _records(tmp_path)
    out = tmp_path / "out.npz"
    assert main(["map", str(sink), str(records), "-o", str(out), "--workers", "2", "-q", "--on-error", "skip"]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert mp.active_children() == [] and not out.exists()


def _reference(objects: list, valid: list[bool]) -> tuple[bytes, list[int]]:
    encoded = [s.encode("utf-8", "surrogatepass") if ok and s is not None else b"" for s, ok in zip(objects, valid)]
    return b"".join(encoded), np.cumsum([0] + [len(e) for e in encoded]).tolist()


def test_strings_are_made_utf8_a_block_at_a_time_as_they_are_whole(monkeypatch):
    # whole, half a million strings' temporaries (~30 bytes a string) left the CPU's caches:
    # ~0.1 s less for 521,000 seed records' string columns (see UTF8_BLOCK)
    objects = [f"r{i}" if i % 5 else f"ż{i}" for i in range(50)]
    objects[13] = "a\x00b"  # (a block holding NUL goes one string at a time)
    objects[20] = ""
    objects[31] = None
    valid = [i not in (31, 40) for i in range(50)]
    arr, mask = np.array(objects, dtype=object), np.array(valid)
    blocks: list[int] = []
    real = batch_module._block_to_utf8

    def counted(objs, valid):
        blocks.append(len(objs))
        return real(objs, valid)

    monkeypatch.setattr(batch_module, "_block_to_utf8", counted)
    monkeypatch.setattr(batch_module, "UTF8_BLOCK", 7)
    for v in (mask, None):
        blocks.clear()
        data, offsets = objects_to_utf8(arr if v is not None else np.array([o or "" for o in objects], dtype=object), v)
        want = _reference(objects, valid) if v is not None else _reference([o or "" for o in objects], [True] * 50)
        assert (data.tobytes(), offsets.tolist()) == want
        assert data.dtype == np.uint8 and offsets.dtype == np.int64
        assert blocks == [8] * 6 + [2]  # (50 // 7 = 7 blocks, of 8 but the last)
    for n in (7, 13):  # (below twice the block: one block, as it was; a part of 65,536 rows and a few more is not cut)
        blocks.clear()
        data, offsets = objects_to_utf8(arr[:n], mask[:n])
        assert blocks == [n] and (data.tobytes(), offsets.tolist()) == _reference(objects[:n], valid[:n])
    blocks.clear()
    objects_to_utf8(arr[:14], mask[:14])
    assert blocks == [7, 7]


def test_map_o_with_workers_writes_what_one_process_writes_byte_for_byte(monkeypatch, tmp_path):
    monkeypatch.setattr(batch_module, "UTF8_BLOCK", 100)  # (the parts' strings in many blocks; the workers inherit it)
    sink, records = _records(tmp_path)
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.npz"
        assert main(["map", str(sink), str(records), "-o", str(out), "--workers", workers, "-q", "--on-error", "skip"]) == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 100_000


@pytest.mark.skipif(not os.path.isdir(parallel._SHM_DIR), reason="segments are files in /dev/shm on Linux only")
def test_workers_start_no_resource_tracker(monkeypatch, tmp_path):
    # a SharedMemory made (in the worker) or attached to be removed (in the caller) registered
    # its name with multiprocessing's resource tracker, which started the tracker, a new
    # interpreter forked and exec'd, in the worker of every command line's run (and in the
    # caller, a fork of the whole input's process): CPU taken from the two that map.
    # The worker inherits the patch: each call is noted in a file, as a worker's are not seen here.
    from multiprocessing import resource_tracker

    from mapper import compile_sink

    noted = tmp_path / "tracker-calls"

    def note(*args):
        with open(noted, "a") as fh:
            fh.write(f"{os.getpid()} {args}\n")

    monkeypatch.setattr(resource_tracker, "register", note)
    monkeypatch.setattr(resource_tracker, "unregister", note)
    monkeypatch.setattr(resource_tracker, "ensure_running", note)
    data = generate(4000, "bad", seed=5)
    batch = compile_sink(SINK).map(data, workers=2, on_error="skip")
    one = compile_sink(SINK).map(data, workers=1, on_error="skip")
    assert batch.report.records == one.report.records == 4000 and len(batch) == len(one)
    assert batch.record_index.tolist() == one.record_index.tolist()
    assert not noted.exists(), noted.read_text()
    assert not list(Path(parallel._SHM_DIR).glob(f"psm_{os.getpid():x}_*"))
