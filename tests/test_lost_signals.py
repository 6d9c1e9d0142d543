"""Interruptions whose exception a library dropped (msgspec, building a decoder, hashes the type's
metadata and drops what that raises), taken at a command's next safe point: send's last group,
every command that reads records in chunks (bench among them), spark-validate's wait for its job,
and ``mapper.cli.main`` called by a program. A library call that is no command's gets the
documented error, never an interruption Python would not have raised.

Each signal is sent at one chosen point (tests/test_signals.py's ``_lost``), or the note its
handler makes is set: no timing race.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest

import mapper._start as start
import mapper.batcher as batcher
from benchmarks.gen import SINK, generate
from tests.cli_inproc import run_main
from tests.test_signals import POINTS, _env, _left, _lost, _went_on, mapper_run


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("lost")
    (d / "sink.json").write_text(json.dumps(SINK))
    (d / "r.ndjson").write_bytes(generate(500, "clean"))
    return d


def _losing(signum: int) -> Any:
    """A call that sends this process ``signum`` inside msgspec's building of a decoder, where its
    handler's exception is dropped (as tests/test_signals.py's ``_lost`` lines do)."""

    class Now:
        armed = False

        def __hash__(self) -> int:
            if Now.armed:
                Now.armed = False
                signal.raise_signal(signum)
            return 0

    late = msgspec.defstruct("Late", [("a", Annotated[int, Now()])])

    def lose() -> None:
        Now.armed = True
        msgspec.json.Decoder(late)

    return lose


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interruption_lost_as_sends_last_records_are_judged_stops_it(inputs: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """Lost in the final flush (the last records judged, after every group): the run said it
    completed, exit 0, its counts "sent". It stops there as interrupted, as at a group's end: exit 2,
    ``completed`` false."""
    lose, flush, lost = _losing(signum), batcher.Batcher.flush, []

    def flushed(self: Any) -> Any:
        if not lost:
            lost.append(1)
            lose()
        return flush(self)

    monkeypatch.setattr(batcher.Batcher, "flush", flushed)
    p = run_main("send", inputs / "sink.json", inputs / "r.ndjson", "--dry-run", "--report", "json", "-q")
    said = json.loads(p.out)
    assert (p.returncode, p.err, said["completed"], said.get("error")) == (2, "mapper send: stopped: interrupted\n", False, "interrupted")
    assert lost


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_an_interruption_lost_in_bench_ends_it_at_the_chunks_end(tmp_path: Path, inputs: Path, signum: str) -> None:
    """bench (every command reading records in chunks: validate, map, infer, bench) takes it at the
    chunk's end: it measured every run to its end and printed its figures, and wrote --json, before
    the command's return took it. 143 (130), one line, no figures written, no run gone on."""
    out = tmp_path / "out.json"
    before = _lost(signum) + "\n" + _went_on("mapper.engine.core", "Engine.finish")
    p = mapper_run(tmp_path, before, "bench", inputs / "sink.json", inputs / "r.ndjson", "--repeat", "1", "--json", out)
    said = (128 + signal.SIGTERM, "terminated\n") if signum == "SIGTERM" else (130, "interrupted\n")
    assert (p.returncode, p.stderr, p.stdout) == (*said, "")
    assert _left(tmp_path) == [] and not (tmp_path / "went-on").exists()


def test_spark_validates_wait_for_its_job_takes_a_lost_interruption(monkeypatch: pytest.MonkeyPatch) -> None:
    """spark-validate's main thread waits for the job's thread: a SIGTERM whose Terminated was lost
    there (noted by the command's handler) let the job run on and put its results in place. It is
    taken at the wait's next look, the job's tasks cancelled (so the job's step ends), and raised."""
    from mapper import spark

    monkeypatch.setitem(sys.modules, "pyspark", types.SimpleNamespace(InheritableThread=threading.Thread))
    cancelled = threading.Event()

    class Context:
        def addJobTag(self, tag: str) -> None:  # noqa: N802 - (Spark's name)
            pass

        removeJobTag = addJobTag  # noqa: N815

        def cancelJobsWithTag(self, tag: str) -> None:  # noqa: N802
            cancelled.set()

    def step() -> Any:
        if not cancelled.wait(10):  # (the job, its tasks run until cancelled)
            return "put in place"
        raise RuntimeError("cancelled")

    monkeypatch.setattr(start, "_taken", [signal.SIGTERM])  # (as the command line's handler notes it)
    with pytest.raises(start.Terminated):
        spark._cancellable(types.SimpleNamespace(sparkContext=Context()), step)
    assert cancelled.is_set()


#: A program's own call of ``mapper.cli.main`` (not the command line), ``ARGS`` its arguments.
PROGRAM = """import os, signal, sys
signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGINT, signal.SIGTERM}})
signal.signal(signal.SIGINT, signal.default_int_handler)
{before}
from mapper.cli import main
sys.exit(main({args!r}))
"""


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_main_called_by_a_program_takes_the_groups_signal_lost_in_a_library(tmp_path: Path, inputs: Path, signum: str) -> None:
    """``main(["map", ..., "--workers", "2"])`` from a program's main thread, the group's signal as
    the worker starts, the parent's exception lost in msgspec: the run went on and said the worker's
    death (or its failure: its KeyboardInterrupt) as an error, exit 2. Its handlers note it, as the
    command line's do: terminated 143 (interrupted 130), nothing left under the output's name."""
    before = POINTS["group's SIGTERM lost in a library"].replace("SIGTERM", signum)
    out = tmp_path / "out.parquet"
    args = ["map", str(inputs / "sink.json"), str(inputs / "r.ndjson"), "-o", str(out), "--workers", "2", "-q"]
    script = tmp_path / "program.py"
    script.write_text(PROGRAM.format(before=before, args=args))
    p = subprocess.run([sys.executable, str(script)], stdin=subprocess.DEVNULL, capture_output=True, env=_env(), timeout=60, text=True)
    said = (128 + signal.SIGTERM, "terminated\n") if signum == "SIGTERM" else (130, "interrupted\n")
    assert (p.returncode, p.stderr) == said
    assert _left(tmp_path) == []


def test_what_main_noted_for_a_program_is_forgotten_as_it_returns(inputs: Path) -> None:
    """A program's call of main notes what its handlers take; once it returns, the program's own
    calls (a library call, a later main) take nothing it noted."""
    start.noting()
    start.took(signal.SIGTERM)
    p = run_main("validate", inputs / "sink.json", inputs / "r.ndjson", "--report", "json")  # (notes afresh, forgets as it returns)
    assert (p.returncode, p.err, start._taken) == (0, "", None)
    start.interruption_lost()  # (nothing raised)
