"""What ``workers=N`` spares the calling process: its run returns without waiting for a worker to
end, and a batch's strings from its own range stay objects (as one process leaves them)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

import mapper
from mapper.engine import parallel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.gen import SINK, generate  # noqa: E402

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")


@pytest.fixture(scope="module")
def m():
    return mapper.compile_sink(SINK)


def test_map_returns_without_waiting_for_its_worker_to_end(m, monkeypatch):
    # a worker's exit (its address space freed) kept the caller idle 0.05-0.15 s of a 0.7 s run
    reaped: list[int] = []
    real = parallel.reap

    def noted(procs):
        reaped.append(len(procs))
        real(procs)

    monkeypatch.setattr(parallel, "reap", noted)
    data = generate(3000)
    batch = m.map(data, workers=2)
    assert batch.report.records == 3000 and len(batch.id_values.chunks or ()) == 2
    assert reaped == [] and len(parallel._ENDING) == 1
    worker = parallel._ENDING[0]
    worker.join(10)  # it ends on its own
    assert not worker.is_alive() and worker.exitcode == 0
    m.map(data, workers=2)  # the next run drops it (and leaves its own)
    assert worker not in parallel._ENDING and len(parallel._ENDING) == 1


def test_the_callers_strings_stay_objects_in_a_batch(m, monkeypatch):
    # the caller made its part's UTF-8 while a worker was busy: 0.12 s of a 0.7 s run that
    # one process never spends, and nothing a batch is asked for needs it
    real = parallel._to_shared

    def slow(*args, **kw):  # (patched before the fork: the worker packs late, the caller is done first)
        time.sleep(0.5)
        return real(*args, **kw)

    monkeypatch.setattr(parallel, "_to_shared", slow)
    batch = m.map(generate(3000), workers=2)
    mine, theirs = batch.id_values.chunks
    assert mine.has_objects and not mine.has_utf8
    assert theirs.has_utf8
    for col in batch.columns.values():
        if isinstance(col.stored, mapper.batch.Strings):
            assert not col.stored.chunks[0].has_utf8, col.name


_SITE = """
import atexit, os, sys

MARKS = os.environ["MAPPER_TEST_MARKS"]
ours = []  # (the command line's marks only: not the resource tracker's, which multiprocessing starts)


def said(what, ours=ours, open=open, marks=MARKS):
    if ours:
        with open(marks, "a") as fh:
            fh.write(what + "\\n")


def at_exit():
    ours.append(sys.argv[0].endswith("__main__.py"))
    if ours[0]:
        said("atexit")
    else:
        ours.clear()


atexit.register(at_exit)


class Finalized:
    def __del__(self, said=said):
        said("finalized")


finalized = Finalized()  # (freed in the interpreter's teardown)
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_command_line_ends_at_once_once_its_output_is_in_place(workers, tmp_path):
    # freeing the 4.2M strings of a map --workers 2 -o out.npz of 1M records took 0.09 s, and the
    # interpreter's teardown 0.05 s more, after the output was written: the command line now
    # ends with os._exit, its atexit handlers run (coverage's, multiprocessing's) and its output complete
    import json
    import os
    import subprocess

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITE)
    sink, records, out, marks = tmp_path / "sink.json", tmp_path / "r.ndjson", tmp_path / "out.npz", tmp_path / "marks"
    sink.write_text(json.dumps(SINK))
    data = generate(3000)
    records.write_bytes(data)
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), root, os.environ.get("PYTHONPATH", "")]), "MAPPER_TEST_MARKS": str(marks)}
    done = subprocess.run(
        [sys.executable, "-m", "mapper", "map", str(sink), str(records), "-o", str(out), "--workers", workers], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert b"3,000" in done.stderr  # (the summary, flushed)
    assert marks.read_text().split() == ["atexit"]  # the handlers ran; the teardown did not
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marks", "out.npz", "r.ndjson", "sink.json", "site"]  # (no temporary left)
    back = mapper.read_batch(out)
    one = mapper.compile_sink(SINK).map(data)
    assert back.ids.tolist() == one.ids.tolist() and back.to_rows() == one.to_rows()
