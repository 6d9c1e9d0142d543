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
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest

import mapper._start as start
from benchmarks.gen import SINK, generate
from tests.cli_inproc import run_main
from tests.test_signals import POINTS, _env, _left


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
