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
