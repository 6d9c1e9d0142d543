"""The command line under signals, closed pipes and interrupted writes.

Each run is the real command line (a script named ``mapper`` holding pip's ``from mapper.cli
import main``, which mapper takes for its command line), with a few lines put before it that
send the process a signal at one chosen point: no timing race, the moment is the point's.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import pytest

import mapper
import mapper.owners
from benchmarks.gen import SINK, generate

ROOT = Path(__file__).parents[1]

#: pip's ``mapper`` script (as tests/test_cli.py's), after the lines of the point tried. It starts
#: as from a terminal: SIGINT and SIGTERM neither ignored nor blocked, whatever the test process
#: left them as (a child inherits both; mapper keeps an inherited SIG_IGN, as a run started with
#: ``&`` must: see :func:`_inherited`).
SCRIPT = """import os, signal, sys
signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGINT, signal.SIGTERM}})
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
{before}
import re
from mapper.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""

#: Lines that send the process a signal at one point of a run.
POINTS = {
    # once main has returned its status: in the exit handlers, and in the interpreter's
    # teardown after Python gave the signals back (its objects freed: ~50-120 ms after a
    # 200,000-record map)
    "exit handlers": "import atexit; atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))",
    "teardown": ("import mapper\nclass Late:\n    def __del__(self): os.kill(os.getpid(), signal.SIGINT)\nmapper._late = Late()"),
    # a first Ctrl-C as the rows are written, a second as the output is dropped
    "twice": (
        "import mapper.writers as w\n"
        "write, abort = w.BatchWriter.write, w.BatchWriter.abort\n"
        "def first(self, part): write(self, part); os.kill(os.getpid(), signal.SIGINT)\n"
        "def second(self): os.kill(os.getpid(), signal.SIGINT); abort(self)\n"
        "w.BatchWriter.write, w.BatchWriter.abort = first, second"
    ),
    # a Ctrl-C to the whole process group (as a terminal sends it) as a worker starts
    "group as a worker starts": (
        "import mapper.engine.parallel as par\n"
        "worker = par._worker\n"
        "def started(*a, **k): os.kill(os.getppid(), signal.SIGINT); os.kill(os.getpid(), signal.SIGINT); worker(*a, **k)\n"
        "par._worker = started"
    ),
    # SIGTERM to the whole process group (a service manager's stop) as a worker is forked, before it
    # has set its own handling: as the fork returns, and as multiprocessing starts the process
    "group's SIGTERM as the fork returns": (
        "os.register_at_fork(after_in_child=lambda: (os.kill(os.getppid(), signal.SIGTERM), os.kill(os.getpid(), signal.SIGTERM)))"
    ),
    "group's SIGTERM as the worker starts": (
        "import multiprocessing.util as u\n"
        "class Hook: pass\n"
        "hook = Hook()\n"
        "u.register_after_fork(hook, lambda _: (os.kill(os.getppid(), signal.SIGTERM), os.kill(os.getpid(), signal.SIGTERM)))"
    ),
    # the group's SIGTERM as the worker starts, the parent's taken inside a library that drops what
    # Python code it calls raises (msgspec, building a decoder, hashes the type's metadata): the
    # parent's Terminated lost there, the parent went on and said the worker's death (exit 2)
    "group's SIGTERM lost in a library": (
        "import typing, msgspec, multiprocessing.util as u, mapper.compiler as c\n"
        "class Hook: pass\n"
        "hook = Hook()\n"
        "u.register_after_fork(hook, lambda _: os.kill(os.getpid(), signal.SIGTERM))\n"
        "forked = []\n"
        "os.register_at_fork(after_in_parent=lambda: forked.append(1))\n"
        "class Now:\n"
        "    armed = False\n"
        "    def __hash__(self):\n"
        "        if Now.armed: Now.armed = False; os.kill(os.getpid(), signal.SIGTERM)\n"
        "        return 0\n"
        "class Late(msgspec.Struct):\n"
        "    a: typing.Annotated[int, Now()]\n"
        "get = c.CompiledTier.lines_decoder.fget\n"
        "def decoder(self):\n"
        "    if forked and not Now.armed and forked.pop(): Now.armed = True; msgspec.json.Decoder(Late)\n"
        "    return get(self)\n"
        "c.CompiledTier.lines_decoder = property(decoder)"
    ),
    # SIGTERM to the worker alone (kill -TERM PID), as it starts: its parent, not signalled, says so
    "worker's own SIGTERM": (
        "import multiprocessing.util as u\nclass Hook: pass\nhook = Hook()\nu.register_after_fork(hook, lambda _: os.kill(os.getpid(), signal.SIGTERM))"
    ),
    # the text report printed (held in standard output's buffer: a pipe), then Ctrl-C
    "after the report": (
        "import mapper.commands as c\nreport = c.print_report\ndef then(*a, **k): report(*a, **k); os.kill(os.getpid(), signal.SIGINT)\nc.print_report = then"
    ),
}


def _at(signum: str) -> str:
    """Lines that send ``signum`` as the complete temporary file is about to be renamed into place."""
    return f"import mapper.writers as w\nreplace = os.replace\ndef at(a, b): os.kill(os.getpid(), signal.{signum}); replace(a, b)\nw.os.replace = at"


def _lost(signum: str, at: str = "decoder", parent: bool = False) -> str:
    """Lines that send ``signum`` where a library drops what Python code it calls raises (msgspec,
    building a decoder, hashes the type's metadata: the handler runs there, and what it raises is
    lost, as in "group's SIGTERM lost in a library"), once: as a tier's decoder is first asked for
    (``decoder``: the first chunk's records), as infer's scan ends a chunk (``scan``), as the output is finished, its rows all written
    and not yet renamed into place (``finish``), once it is (``kept``), or once the text report is
    printed, not yet flushed (``report``). ``parent``: in the process started alone, not a worker it forks."""
    lose = (
        "import typing, msgspec\n"
        "class Now:\n"
        "    armed = False\n"
        "    def __hash__(self):\n"
        f"        if Now.armed: Now.armed = False; os.kill(os.getpid(), signal.{signum})\n"
        "        return 0\n"
        "class Late(msgspec.Struct):\n"
        "    a: typing.Annotated[int, Now()]\n"
        f"lost, forked, alone, PID = [], [], {not parent}, os.getpid()\n"
        "os.register_at_fork(after_in_parent=lambda: forked.append(1))\n"
        "def lose():\n"
        "    if not lost and (alone or forked and os.getpid() == PID): lost.append(1); Now.armed = True; msgspec.json.Decoder(Late)\n"
    )
    if at == "decoder":
        return lose + (
            "import mapper.compiler as c\n"
            "get = c.CompiledTier.lines_decoder.fget\n"
            "def decoder(self): lose(); return get(self)\n"
            "c.CompiledTier.lines_decoder = property(decoder)"
        )
    if at == "kept":
        return lose + "import mapper.writers as w\nclose = w.BatchWriter.close\ndef closed(self): close(self); lose()\nw.BatchWriter.close = closed"
    if at == "scan":
        return (
            lose
            + "import importlib\ni = importlib.import_module('mapper.infer')\nchunk = i._Scanner._chunk\ndef chunked(self, *a): chunk(self, *a); lose()\ni._Scanner._chunk = chunked"
        )
    if at == "report":
        return lose + "import mapper.commands as c\nreport = c.print_report\ndef then(*a, **k): report(*a, **k); lose()\nc.print_report = then"
    assert at == "finish"
    return lose + "import mapper.writers as w\nfinish = w.BatchWriter.finish\ndef finished(self): finish(self); lose()\nw.BatchWriter.finish = finished"


def _went_on(module: str, name: str) -> str:
    """Lines that leave a file ``went-on`` beside the script when ``name`` (of ``module``: a function,
    or a class's method) is first called: the run went on past the point tried."""
    return (
        f"import importlib\nowner = importlib.import_module({module!r})\n*outer, name = {name!r}.split('.')\n"
        "for part in outer: owner = getattr(owner, part)\n"
        "def marked(f):\n"
        "    def went_on(*a, **k): open(os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'went-on'), 'w').close(); return f(*a, **k)\n"
        "    return went_on\n"
        "setattr(owner, name, marked(getattr(owner, name)))"
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("signals")
    (d / "sink.json").write_text(json.dumps(SINK))
    (d / "r.ndjson").write_bytes(generate(500, "clean"))
    (d / "bad.ndjson").write_bytes(generate(500, "bad"))  # (a few records refused)
    (d / "bad-sink.json").write_text(json.dumps({**SINK, "schema": [{"name": "x", "type": "nope"}]}))
    return d


def _env() -> dict[str, str]:
    """This environment, standard output buffered as a user's is (not PYTHONUNBUFFERED)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _inherited() -> list[str]:
    """What a process this one starts now would inherit of SIGINT and SIGTERM other than a
    terminal's defaults: ignored (as the kernel sees it) or blocked in this thread. (One CI run
    of ``test_ctrl_c_to_the_process_group_with_workers_is_one_line`` ended as if SIGINT was
    lost, 0 and no word, never seen again in 240 runs under load outside pytest: a child that
    started with SIGINT ignored would do that. The script sets both back; this says so.)"""
    said = []
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        with open("/proc/self/status") as fh:
            ignored = int(next(x for x in fh if x.startswith("SigIgn:")).split()[1], 16)
    except (OSError, StopIteration):
        ignored = 0
    for s in (signal.SIGINT, signal.SIGTERM):
        if ignored >> (s - 1) & 1:
            said.append(f"{s.name} ignored (Python's handler: {signal.getsignal(s)!r})")
        if s in blocked:
            said.append(f"{s.name} blocked")
    return said


def mapper_run(tmp_path: Path, before: str, *args: str | Path, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess:
    inherited = _inherited()
    if inherited:
        warnings.warn(f"the test process would have started mapper with {', '.join(inherited)}; the script set them back", stacklevel=2)
    script = tmp_path / "mapper"
    script.write_text(SCRIPT.format(before=before))
    env = _env()
    argv = [sys.executable, str(script), *map(str, args)]
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=60, text=True)


def _left(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith((".out", "out")))


@pytest.mark.parametrize("point", ["exit handlers", "teardown"])
def test_a_ctrl_c_once_map_has_returned_keeps_its_exit_status(tmp_path: Path, inputs: Path, point: str) -> None:
    """A Ctrl-C after ``map`` said its summary and returned: the process ended killed by SIGINT
    (exit -2, no word: Python had given SIGINT back to the system), or exit 0 with a
    KeyboardInterrupt traceback from the exit handlers. The status returned stands."""
    out = tmp_path / "out.ndjson"
    p = mapper_run(tmp_path, POINTS[point], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out)
    assert p.returncode == 0 and p.stderr.count("\n") == 1 and "500 rows written to" in p.stderr, (p.returncode, p.stderr)
    assert len(out.read_bytes().splitlines()) == 500 and _left(tmp_path) == ["out.ndjson"]


@pytest.mark.parametrize("suffix", [".parquet", ".ndjson"])
def test_a_second_ctrl_c_while_an_interrupted_map_cleans_up_leaves_no_temporary_file(tmp_path: Path, inputs: Path, suffix: str) -> None:
    """Ctrl-C twice (the first seemed to do nothing): the second came through the removal of the
    output's temporary file, which stayed."""
    p = mapper_run(tmp_path, POINTS["twice"], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", tmp_path / f"out{suffix}", "-q")
    assert (p.returncode, p.stderr) == (130, "interrupted\n")
    assert _left(tmp_path) == []


def test_ctrl_c_to_the_process_group_with_workers_is_one_line(tmp_path: Path, inputs: Path) -> None:
    """Ctrl-C with ``--workers 2``: a worker it reached outside its own handling (as it started)
    printed multiprocessing's "Process ForkProcess-1: Traceback ... KeyboardInterrupt"; its
    parent, interrupted too, stops it."""
    out = tmp_path / "out.ndjson"
    p = mapper_run(tmp_path, POINTS["group as a worker starts"], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "--workers", "2", "-q")
    assert (p.returncode, p.stderr) == (130, "interrupted\n")
    assert _left(tmp_path) == []


@pytest.mark.parametrize("point", ["group's SIGTERM as the fork returns", "group's SIGTERM as the worker starts"])
def test_sigterm_to_the_process_group_as_a_worker_is_forked_is_one_line(tmp_path: Path, inputs: Path, point: str) -> None:
    """SIGTERM with ``--workers 2`` before the worker had set its own handling: it ran the
    parent's handler, which raised Terminated in the worker (multiprocessing printed "Process
    ForkProcess-1: Traceback", or, as the fork returned, an "Exception ignored" traceback, the
    signal lost and the worker mapping on). Held till then, it ends the worker silently."""
    out = tmp_path / "out.parquet"
    p = mapper_run(tmp_path, POINTS[point], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "--workers", "2", "-q")
    assert (p.returncode, p.stderr) == (143, "terminated\n")
    assert _left(tmp_path) == []


def test_sigterm_lost_in_a_library_as_a_worker_died_of_the_groups_is_still_one_line(tmp_path: Path, inputs: Path) -> None:
    """The group's SIGTERM (a service manager's stop) as the worker starts, the parent's taken
    where a library called Python code and dropped what it raised (msgspec, building a decoder,
    hashes a type's metadata: the Terminated raised there was lost, ~1 run in 50 of the test
    above on a loaded machine): the parent went on and, its worker dead, said "a worker process
    died ... (killed by SIGTERM)", exit 2. It took the signal: terminated, 143."""
    out = tmp_path / "out.parquet"
    p = mapper_run(tmp_path, POINTS["group's SIGTERM lost in a library"], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "--workers", "2", "-q")
    assert (p.returncode, p.stderr) == (143, "terminated\n")
    assert _left(tmp_path) == []


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize(
    "args, at, past",
    [
        (["validate", "{d}/sink.json", "{d}/r.ndjson"], "decoder", ("mapper.engine.core", "Engine.finish")),
        (["map", "{d}/sink.json", "{d}/r.ndjson", "-o", "{t}/out.parquet", "-q"], "decoder", ("mapper.engine.core", "Engine.finish_stream")),
        (["infer", "{d}/r.ndjson"], "scan", ("mapper.infer", "_verify")),  # (its scan's chunks; the draft then verified)
        (["infer", "{d}/r.ndjson"], "decoder", ("mapper.infer", "InferResult.print_report")),  # (lost as the draft is verified)
    ],
    ids=["validate", "map", "infer-scan", "infer-verify"],
)
def test_an_interruption_lost_in_a_library_ends_the_run_as_interrupted(
    tmp_path: Path, inputs: Path, args: list[str], at: str, past: tuple[str, str], signum: str
) -> None:
    """SIGTERM (Ctrl-C) taken where a library dropped what the handler raised (msgspec, building the
    first chunk's decoder): the run went on to its end, exit 0, the report said and the output renamed
    into place, and only SIGKILL could stop it (the handler had ignored the signals from then). Taken
    at the chunk's end, as if it came there: 143 (130) and one line, nothing on standard output, no
    output nor temporary file, and the run not gone on past it (``past``: what comes next, not run)."""
    p = mapper_run(tmp_path, _lost(signum, at) + "\n" + _went_on(*past), *[a.format(d=inputs, t=tmp_path) for a in args])
    said = (128 + signal.SIGTERM, "terminated\n") if signum == "SIGTERM" else (130, "interrupted\n")
    assert (p.returncode, p.stderr, p.stdout) == (*said, "")
    assert _left(tmp_path) == [] and not (tmp_path / "went-on").exists()


def test_an_interruption_lost_after_validates_last_chunk_is_taken_as_it_returns(tmp_path: Path, inputs: Path) -> None:
    """Lost once the report is printed (held in standard output's buffer: a pipe), past every chunk:
    validate returned its verdict, exit 0, the report written at exit. Taken as the command returns:
    143 and one line, nothing on standard output, as for a SIGTERM that arrives there."""
    p = mapper_run(tmp_path, _lost("SIGTERM", "report"), "validate", inputs / "sink.json", inputs / "r.ndjson")
    assert (p.returncode, p.stderr, p.stdout) == (143, "terminated\n", "")


def test_an_interruption_lost_once_maps_output_is_in_place_is_taken_as_map_returns(tmp_path: Path, inputs: Path) -> None:
    """Lost after the output was renamed into place, map's last safe point: map returned 0. Taken as
    it returns (the command line's last look): 143 and one line, the output left whole in place, as a
    SIGTERM that arrives there leaves it (renamed: nothing half-written under its name)."""
    out = tmp_path / "out.parquet"
    p = mapper_run(tmp_path, _lost("SIGTERM", "kept"), "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "-q")
    assert (p.returncode, p.stderr) == (143, "terminated\n")
    assert _left(tmp_path) == ["out.parquet"] and len(mapper.read_batch(out)) == 500


@pytest.mark.parametrize("rejects", [False, True])
def test_an_interruption_lost_as_the_output_is_finished_leaves_no_file(tmp_path: Path, inputs: Path, rejects: bool) -> None:
    """SIGTERM lost in a library after the last chunk, the output whole in its temporary file: it was
    renamed into place, exit 0. Taken before the renames: 143, one line, neither file left (nor the
    refused records' file that goes with the rows)."""
    more = ["--rejects", str(tmp_path / "out-rejects.ndjson")] if rejects else []
    p = mapper_run(tmp_path, _lost("SIGTERM", "finish"), "map", inputs / "sink.json", inputs / "r.ndjson", "-o", tmp_path / "out.parquet", "-q", *more)
    assert (p.returncode, p.stderr) == (143, "terminated\n")
    assert _left(tmp_path) == []


def test_sigterm_lost_in_a_library_by_the_parent_of_workers_ends_the_run(tmp_path: Path, inputs: Path) -> None:
    """``--workers 2``, the SIGTERM sent to the parent alone (``kill PID``) and lost as it maps its own
    range: it went on, took its workers' answers, and renamed the output into place, exit 0. Taken
    once its range is mapped (or as an answer comes): 143, one line, no output, no answer taken."""
    out = tmp_path / "out.parquet"
    before = _lost("SIGTERM", parent=True) + "\n" + _went_on("mapper.engine.parallel", "_from_shared")
    p = mapper_run(tmp_path, before, "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "--workers", "2", "-q")
    assert (p.returncode, p.stderr) == (143, "terminated\n")
    assert _left(tmp_path) == [] and not (tmp_path / "went-on").exists()


def test_sigterm_to_a_worker_alone_is_said_as_its_death(tmp_path: Path, inputs: Path) -> None:
    """``kill -TERM`` of a worker alone (its parent got nothing): a worker failure naming the signal, exit 2."""
    out = tmp_path / "out.parquet"
    p = mapper_run(tmp_path, POINTS["worker's own SIGTERM"], "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "--workers", "2", "-q")
    said = "mapper: a worker process died without a whole answer (killed by SIGTERM); map in one process instead (--workers 1, or workers=1)\n"
    assert (p.returncode, p.stderr) == (2, said)
    assert _left(tmp_path) == []


def test_nothing_reaches_standard_output_after_an_interruption(tmp_path: Path, inputs: Path) -> None:
    """What standard output's buffer held when Ctrl-C came was written at exit, after the
    "interrupted" line (into a full pipe nobody reads, that write would never end)."""
    p = mapper_run(tmp_path, POINTS["after the report"], "validate", inputs / "sink.json", inputs / "r.ndjson")
    assert (p.returncode, p.stderr, p.stdout) == (130, "interrupted\n", "")


@pytest.mark.parametrize(
    "suffix, signum",
    [(".parquet", "SIGTERM"), (".arrow", "SIGTERM"), (".npz", "SIGTERM"), (".ndjson", "SIGTERM"), (".parquet", "SIGINT")],
)
def test_a_signal_as_the_output_is_renamed_into_place_leaves_no_file(tmp_path: Path, inputs: Path, suffix: str, signum: str) -> None:
    """SIGTERM (Ctrl-C) with the output whole in its temporary file, not yet renamed: exit 143
    (130) and one line, neither the output nor its temporary file left (a kill leaves no
    half-written output under the final name)."""
    p = mapper_run(tmp_path, _at(signum), "map", inputs / "sink.json", inputs / "r.ndjson", "-o", tmp_path / f"out{suffix}", "-q")
    said = (128 + signal.SIGTERM, "terminated\n") if signum == "SIGTERM" else (130, "interrupted\n")
    assert (p.returncode, p.stderr) == said
    assert _left(tmp_path) == []


@pytest.mark.skipif(mapper.owners.owner() is None, reason="neither /proc nor fcntl.flock here: temporaries are never judged stale")
def test_sigkill_leaves_only_a_named_temporary_file_which_the_next_run_removes(tmp_path: Path, inputs: Path) -> None:
    """SIGKILL (no cleanup can run) with the output whole in its temporary file: only that file,
    named after the output and the process (its owner), never the output's name; the next run removes it."""
    suffix = ".npz"
    out = tmp_path / f"out{suffix}"
    p = mapper_run(tmp_path, _at("SIGKILL"), "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "-q")
    assert p.returncode == -signal.SIGKILL
    (left,) = _left(tmp_path)
    assert re.fullmatch(rf"\.out{re.escape(suffix)}\.{mapper.owners.OWNER.pattern}\.[0-9a-f]+\.mapper-tmp", left), left
    p = mapper_run(tmp_path, "", "map", inputs / "sink.json", inputs / "r.ndjson", "-o", out, "-q")
    assert p.returncode == 0 and _left(tmp_path) == [out.name] and len(mapper.read_batch(out)) == 500


@pytest.mark.parametrize(
    "args, status",
    [
        (["map", "{d}/sink.json", "{d}/r.ndjson", "-o", "-"], 0),
        (["map", "{d}/sink.json", "{d}/bad.ndjson", "-o", "-", "--on-error", "skip", "-q"], 1),
        (["map", "{d}/sink.json", "{d}/bad.ndjson", "-o", "-", "--on-error", "skip", "-q", "--workers", "2"], 1),
        (["validate", "{d}/sink.json", "{d}/r.ndjson", "--report", "json"], 0),
        (["validate", "{d}/sink.json", "{d}/bad.ndjson"], 1),
        (["validate", "{d}/sink.json", "{d}/bad.ndjson", "--report", "json"], 1),
        (["check", "{d}/sink.json", "--format", "json"], 0),
        (["check", "{d}/bad-sink.json"], 2),
    ],
)
def test_a_closed_pipe_ends_quietly_keeping_the_verdict(tmp_path: Path, inputs: Path, args: list[str], status: int) -> None:
    """``mapper ... | head -1``: the reader gone, no traceback and no word (as ``head`` asked).
    validate's verdict, check's validity and map's status (1: records refused) stay the exit
    status: they were 0 (accepted, valid) whenever the report or the rows outgrew what the pipe
    took before its reader left."""
    read, write = os.pipe()
    os.close(read)
    try:
        p = mapper_run(tmp_path, "", *[a.format(d=inputs) for a in args], stdout=write)
    finally:
        os.close(write)
    assert (p.returncode, p.stderr) == (status, ""), p.stderr


def test_a_ctrl_c_in_the_teardown_after_a_closed_pipe_keeps_the_verdict(tmp_path: Path, inputs: Path) -> None:
    """As after a run that ends as it should: the status of one that ended on its reader gone stands."""
    read, write = os.pipe()
    os.close(read)
    try:
        p = mapper_run(tmp_path, POINTS["teardown"], "validate", inputs / "sink.json", inputs / "bad.ndjson", stdout=write)
    finally:
        os.close(write)
    assert (p.returncode, p.stderr) == (1, ""), p.stderr


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs /proc/PID/wchan (Linux)")
def test_ctrl_c_while_a_json_report_waits_on_a_full_pipe(tmp_path: Path, inputs: Path) -> None:
    """Ctrl-C while ``validate --report json`` is blocked writing into a pipe nobody reads: exit
    130 and one line, no traceback; what the pipe holds is the document's start, which does not
    parse (a JSON report is one document: a cut one is never taken for a whole one), and
    nothing follows it."""
    records = tmp_path / "bad.ndjson"
    records.write_bytes(generate(3000, "bad"))
    read, write = os.pipe()
    script = tmp_path / "mapper"
    script.write_text(SCRIPT.format(before=""))
    env = _env()
    argv = [sys.executable, str(script), "validate", str(inputs / "sink.json"), str(records), "--report", "json"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=write, stderr=subprocess.PIPE, env=env)
    os.close(write)
    try:
        deadline = time.monotonic() + 30
        while "pipe" not in Path(f"/proc/{proc.pid}/wchan").read_text():  # blocked writing the full pipe
            assert proc.poll() is None and time.monotonic() < deadline, proc.poll()
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        with os.fdopen(read, "rb") as fh:
            got = fh.read()
        err = proc.stderr.read() if proc.stderr else b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    assert err == b"interrupted\n", err
    whole = subprocess.run([*argv[:-2], "--report", "json"], capture_output=True, env=env, timeout=60, cwd=ROOT).stdout
    assert 0 < len(got) < len(whole) and whole.startswith(got)
    with pytest.raises(ValueError):
        json.loads(got)


@pytest.mark.parametrize("point", ["exit handlers", "teardown"])
def test_a_ctrl_c_once_send_has_returned_keeps_its_exit_status(tmp_path: Path, inputs: Path, point: str) -> None:
    """As for ``map`` above, for the commands that take signals their own way while they run
    (send; serve): once ``send --dry-run`` has said its summary and returned 0, a Ctrl-C in the
    exit handlers printed a KeyboardInterrupt traceback, and one in the teardown killed the
    process (exit -2) after its summary."""
    p = mapper_run(tmp_path, POINTS[point], "send", inputs / "sink.json", inputs / "r.ndjson", "--dry-run", "--report", "json", "-q")
    assert (p.returncode, p.stderr) == (0, ""), (p.returncode, p.stderr)
    assert json.loads(p.stdout)["completed"] is True


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_an_interruption_lost_in_a_library_stops_send_as_interrupted(tmp_path: Path, inputs: Path, signum: str) -> None:
    """send's own handler, its KeyboardInterrupt dropped by a library as the first group's records were
    judged: the run went on and said it completed, exit 0. It stops at the next group, as interrupted
    there: its summary says so (``completed`` false), exit 2."""
    p = mapper_run(tmp_path, _lost(signum), "send", inputs / "sink.json", inputs / "r.ndjson", "--dry-run", "--report", "json", "-q")
    assert (p.returncode, p.stderr) == (2, "mapper send: stopped: interrupted\n"), (p.returncode, p.stderr)
    said = json.loads(p.stdout)
    assert (said["completed"], said["error"]) == (False, "interrupted")


def test_what_send_took_is_not_taken_by_a_programs_next_call(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A program calling ``main(["send", ...])`` in its main thread (send's handlers installed there):
    a Ctrl-C lost in a library stops that run; what send's handler noted is forgotten as it returns,
    so the program's next calls (send again, validate) run whole."""
    import msgspec

    import mapper.compiler as compiler
    from tests.cli_inproc import run_main

    class Now:
        armed = False

        def __hash__(self) -> int:
            if Now.armed:
                Now.armed = False
                os.kill(os.getpid(), signal.SIGINT)
            return 0

    late = msgspec.defstruct("Late", [("a", Annotated[int, Now()])])
    get = compiler.CompiledTier.lines_decoder.fget
    lost: list[int] = []

    def decoder(self: Any) -> Any:
        if not lost:
            lost.append(1)
            Now.armed = True
            msgspec.json.Decoder(late)
        return get(self)  # type: ignore[misc]

    monkeypatch.setattr(compiler.CompiledTier, "lines_decoder", property(decoder))
    p = run_main("send", inputs / "sink.json", inputs / "r.ndjson", "--dry-run", "--report", "json", "-q")
    assert (p.returncode, p.err, json.loads(p.out)["completed"]) == (2, "mapper send: stopped: interrupted\n", False)
    assert lost
    p = run_main("send", inputs / "sink.json", inputs / "r.ndjson", "--dry-run", "--report", "json", "-q")
    assert (p.returncode, p.err, json.loads(p.out)["completed"]) == (0, "", True)
    p = run_main("validate", inputs / "sink.json", inputs / "r.ndjson", "--report", "json")
    assert (p.returncode, p.err, json.loads(p.out)["records"]) == (0, "", 500)


def test_a_ctrl_c_once_serve_has_stopped_keeps_its_exit_status(tmp_path: Path, inputs: Path) -> None:
    """serve stopped by SIGTERM (it says ``stopped`` and returns 0): a Ctrl-C in the exit
    handlers printed a KeyboardInterrupt traceback after its last line."""
    script = tmp_path / "mapper"
    script.write_text(SCRIPT.format(before=POINTS["exit handlers"]))
    argv = [sys.executable, str(script), "serve", str(inputs / "sink.json"), "--db", ":memory:", "--port", "0", "-q"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert proc.stdout is not None and "listening on" in proc.stdout.readline()  # (its signal handlers are in place)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert (proc.returncode, err.splitlines()[-1:]) == (0, ["mapper serve: stopped"]), err
    assert "Traceback" not in err, err
