"""A crash or a kill leaves no half-written output under the final name, and nothing is lost.

* an output's temporary file is judged stale by its owner (boot id, pid namespace, pid, start
  time: :mod:`mapper.owners`), as ``spark-validate``'s staging directories are; a pid alone was
  taken for the process that wrote it (a pid reused, another container's on a shared volume);
* ``map -o ROWS --rejects LETTERS`` renames its two outputs together: a signal between the
  renames left the new rows beside the run before's refused records;
* a checkpoint's clean-up took a sibling checkpoint's temporary files (``c.json`` and ``c.json.x``);
* ``bench --repeat`` is bounded;
* a full disk mid-write (each format, each output) leaves the final names untouched and no
  temporary file, and says which file.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import mapper
from benchmarks.gen import SINK, generate
from mapper import bench, cli, owners, spark, writers
from mapper.errors import OptionError, OutputError
from mapper.options import MapOptions
from mapper.send import Checkpoint

ME = owners.owner()
needs_owner = pytest.mark.skipif(
    ME is None or ME.startswith(owners.LOCKED), reason="no /proc boot id or pid namespace here: temporaries are judged by their owner's lock (no_proc's tests)"
)
needs_flock = pytest.mark.skipif(not hasattr(os, "register_at_fork") or importlib.util.find_spec("fcntl") is None, reason="no fcntl.flock (Windows)")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("outputs")
    (d / "sink.json").write_text(json.dumps(SINK))
    (d / "bad.ndjson").write_bytes(generate(2000, "bad"))  # (a few records refused)
    return d


@pytest.fixture()
def live() -> Iterator[subprocess.Popen]:
    """Another process, running (a concurrent run's)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, timeout=30, check=True)
    return int(proc.stdout)


def _with(owner: str, *, pid: int | None = None, start: str | None = None, boot: str | None = None, ns: str | None = None) -> str:
    b, n, p, s = owner.split(".")
    return ".".join((boot or b, ns or n, str(pid if pid is not None else p), start or s))


@pytest.fixture()
def no_proc(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A system without ``/proc`` (macOS, the BSDs, a container with it hidden): its reads in
    :mod:`mapper.owners` fail as they do there, and this process's owner is a lock token, its
    lock file in a temporary directory of the test's own (yielded), removed at the end."""
    tmp = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setattr(owners, "_PROC", str(tmp / "no-proc"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    monkeypatch.setattr(owners, "_mine", None)
    yield tmp
    owners._release()


def _main(*args: Any) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, err.getvalue()


def _temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith((".mapper-tmp", ".tmp")))


# --- 1. an output's temporary file: judged by its owner, as spark's staging is ---------------


def test_spark_staging_and_output_temporaries_share_one_owner_test() -> None:
    assert spark._owner_gone is owners.owner_gone and spark._owner is owners.owner


@needs_owner
def test_a_temporary_is_removed_when_its_owner_is_gone_and_only_then(tmp_path: Path, live: subprocess.Popen) -> None:
    assert ME is not None
    running = owners.owner(live.pid)
    assert running is not None
    out = tmp_path / "o.ndjson"
    names = {
        # gone: removed
        "dead": _with(ME, pid=_dead_pid()),
        "pid reused": _with(running, start=str(int(running.split(".")[3]) + 1)),  # the pid runs, but another process than the writer
        # running, or cannot tell: kept
        "live": running,
        "mine": ME,
        "other boot": _with(running, boot="f" * 32),  # (another machine sharing the volume: its pid is no process here)
        "other pid namespace": _with(running, ns="1"),  # (another container's pid)
        "pid alone": str(_dead_pid()),  # (an older version's name: the pid may be another namespace's)
    }
    paths = {what: tmp_path / f".o.ndjson.{who}.0123abcd.mapper-tmp" for what, who in names.items()}
    for path in paths.values():
        path.write_bytes(b"half")
    sibling = tmp_path / f".o.ndjson.x.{names['dead']}.0123abcd.mapper-tmp"  # o.ndjson.x's
    sibling.write_bytes(b"half")
    writers.clean_stale(str(out))
    gone = sorted(what for what, path in paths.items() if not path.exists())
    assert gone == ["dead", "pid reused"]
    assert sibling.exists()


@needs_flock
def test_without_proc_a_temporary_is_removed_when_its_owner_s_lock_is_free_and_only_then(tmp_path: Path, no_proc: Path) -> None:
    """Where /proc says nothing, owner() was None: temporaries named by a pid alone, and a killed
    run's never removed. Now the owner is a token whose lock file its process holds open."""
    me = owners.owner()
    assert me is not None and me.startswith(owners.LOCKED) and owners.owner() == me
    assert owners.owner(1) is None  # (another process's: it has no lock of this one's)
    directory = owners.lock_directory()
    assert directory is not None and os.listdir(directory) == [f"{me[len(owners.LOCKED) :]}.lock"]
    live, live_fd, _ = owners._new_lock()  # as another run, running, holds it
    dead, dead_fd, _ = owners._new_lock()
    os.close(dead_fd)  # (its process killed: the kernel lets go of its lock, its lock file stays)
    elsewhere = "f" * 32  # a lock file another host wrote (a temporary directory shared with it)
    (Path(directory) / f"{elsewhere}.lock").write_text("another-host\n1\n")
    assert [owners.owner_gone(t, me) for t in (dead, live, me, owners.LOCKED + elsewhere)] == [True, False, False, None]
    names = {
        "dead": dead,
        "live": live,
        "mine": me,
        "no lock file here": owners.LOCKED + "0" * 32,  # (another machine's, user's or TMPDIR's)
        "another host": owners.LOCKED + elsewhere,
        "does not parse": "flock.0123",
        "pid alone": "12345",
        "a /proc owner": "0" * 32 + ".4026531836.1.5",  # (a Linux's, on a shared volume: another boot)
    }
    out = tmp_path / "o.ndjson"
    paths = {what: tmp_path / f".o.ndjson.{who}.0123abcd.mapper-tmp" for what, who in names.items()}
    for path in paths.values():
        path.write_bytes(b"half")
    pair = tmp_path / f".o.ndjson.{live}.0123abcd.mapper-pair"  # a live run's pair, between its renames: not completed
    pair.write_text("{}")
    writers.clean_stale(str(out))
    assert sorted(what for what, path in paths.items() if not path.exists()) == ["dead"]
    assert pair.exists()
    os.close(live_fd)  # that run killed in turn
    writers.clean_stale(str(out))
    assert sorted(what for what, path in paths.items() if not path.exists()) == ["dead", "live"] and not pair.exists()
    # spark-validate's staging directories, judged alike
    left = spark._sweep(
        [f"{spark.STAGING_PREFIX}{dead}-1", f"{spark._staging_name()}", f"{spark.STAGING_PREFIX}flock.0123-2"], spark.STAGING_PREFIX, lambda name: None
    )
    assert left == spark.Leftovers(removed=(f"{spark.STAGING_PREFIX}{dead}-1",), unknown=(f"{spark.STAGING_PREFIX}flock.0123-2",))
    # the lock file of an owner killed long ago goes as a new owner makes its own; a live one's stays
    old = time.time() - owners.LOCK_KEPT - 60
    for token in (dead, me):
        os.utime(Path(directory) / f"{token[len(owners.LOCKED) :]}.lock", (old, old))
    os.close(owners._new_lock()[1])
    assert f"{dead[len(owners.LOCKED) :]}.lock" not in os.listdir(directory) and owners.owner_gone(me, me) is False
    owners._release()  # (what the process's normal end does: its lock file goes, then its lock)
    assert f"{me[len(owners.LOCKED) :]}.lock" not in os.listdir(directory)


@needs_flock
def test_without_proc_a_process_judges_its_own_temporaries_running_without_trying_its_lock(
    tmp_path: Path, no_proc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where flock is fcntl's record lock (Linux with TMPDIR on NFS, systems without flock), a
    process's own lock never stops it: map -o ROWS --rejects FILE, its second output's clean-up
    took its first output's temporary for a killed run's and removed it (and, closing the file,
    let its own lock go)."""
    me = owners.owner()
    assert me is not None and me.startswith(owners.LOCKED)

    real = owners.fcntl

    class RecordLocks:  # fcntl's record locks, as this process sees its own: always granted
        LOCK_EX, LOCK_SH, LOCK_NB = real.LOCK_EX, real.LOCK_SH, real.LOCK_NB

        @staticmethod
        def flock(fd: int, op: int) -> None:
            pass

    monkeypatch.setattr(owners, "fcntl", RecordLocks)
    mine = tmp_path / f".o.ndjson.{me}.0123abcd.mapper-tmp"
    mine.write_bytes(b"half")
    writers.clean_stale(str(tmp_path / "o.ndjson"))
    assert mine.exists() and owners.owner_gone(me, me) is False


@needs_flock
def test_without_proc_a_run_killed_after_7_days_has_its_temporaries_removed(tmp_path: Path, no_proc: Path) -> None:
    """A lock file was kept 7 days from its owner's start: a run of longer (mapper send, serve),
    killed, had its lock file removed by the next run before that run judged its temporaries,
    which were then kept for ever (no lock file: not judged)."""
    me = owners.owner()  # a run starts,
    assert me is not None and me.startswith(owners.LOCKED)
    directory = owners.lock_directory()
    assert directory is not None
    old = time.time() - owners.LOCK_KEPT - 60
    os.utime(Path(directory) / f"{me[len(owners.LOCKED) :]}.lock", (old, old))  # runs 7 days and more,
    temp = tmp_path / writers._temp_name("o.ndjson")  # makes a temporary,
    assert me in temp.name
    temp.write_bytes(b"half")
    fd = owners._mine[2] if owners._mine is not None else -1
    owners._mine = None
    os.close(fd)  # and is killed (its lock let go, its lock file left)
    os.close(owners._new_lock()[1])  # the next run makes its own lock (the killed owners' old lock files pruned)
    writers.clean_stale(str(tmp_path / "o.ndjson"))
    assert not temp.exists()


@needs_flock
def test_without_proc_a_lock_directory_that_is_not_this_user_s_alone_is_not_trusted(no_proc: Path) -> None:
    (no_proc / f"mapper-owners-{os.getuid()}").mkdir(mode=0o777)
    os.chmod(no_proc / f"mapper-owners-{os.getuid()}", 0o777)  # (another user may have made it first, in /tmp)
    assert owners.owner() is None and owners.owner_gone(owners.LOCKED + "0" * 32, None) is None
    assert writers._temp_name("o.ndjson").startswith(f".o.ndjson.{os.getpid()}.")  # (a pid alone, as before)


@needs_owner
def test_an_output_s_temporary_file_is_named_by_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    replace = os.replace

    def spy(a: Any, b: Any) -> None:
        seen.append(os.path.basename(a))
        replace(a, b)

    monkeypatch.setattr(os, "replace", spy)
    with writers.atomic_output(str(tmp_path / "o.json")) as fh:
        fh.write(b"{}")
    (name,) = seen
    assert name.startswith(".o.json.") and name.endswith(".mapper-tmp")
    assert owners.OWNER.fullmatch(name[len(".o.json.") :].rsplit(".", 2)[0]) and owners.owner_gone(name.split(".", 3)[3].rsplit(".", 2)[0], ME) is False


def test_a_temporary_file_s_name_fits_in_255_bytes_whatever_the_output_s(monkeypatch: pytest.MonkeyPatch) -> None:
    longest = "f" * 32 + "." + "4294967295" + "." + "4194304" + "." + "9" * 20  # (an owner at its longest)
    monkeypatch.setattr(writers, "owner", lambda: longest)
    for n in range(1, 256):
        for name in ("a" * n, ("é" * n)[: n // 2] or "é"):
            if len(name.encode()) <= 255:
                assert len(writers._temp_name(name).encode()) <= 255, len(name.encode())


# --- 2. map's rows and refused records: renamed together -------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("suffix", [".ndjson", ".parquet"])
def test_a_signal_between_the_renames_of_rows_and_rejects_leaves_both_from_one_run(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch, signum: int, suffix: str
) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out, rej = tmp_path / f"rows{suffix}", tmp_path / "rej.ndjson"
    out.write_bytes(b"OLD ROWS")
    rej.write_bytes(b"OLD REJECTS")
    replace = os.replace
    done: list[str] = []

    def then_signal(a: Any, b: Any) -> None:
        replace(a, b)
        done.append(os.path.basename(b))
        if len(done) == 1:  # after the first of the two renames
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(os, "replace", then_signal)
    previous = signal.getsignal(signal.SIGTERM)
    code, err = _main("map", inputs / "sink.json", inputs / "bad.ndjson", "-o", out, "--rejects", rej, "--on-error", "skip", "-q")
    assert signal.getsignal(signal.SIGTERM) is previous  # (given back)
    assert code == (130 if signum == signal.SIGINT else 128 + signal.SIGTERM), err
    assert sorted(done) == sorted([out.name, rej.name])  # both renamed, the signal taken after
    assert out.read_bytes() != b"OLD ROWS" and rej.read_bytes().startswith(b'{"record":')
    assert _temps(tmp_path) == []


#: pip's ``mapper`` script (see tests/test_signals.py), SIGTERM sent after the first rename.
SCRIPT = """import os, signal, sys
replace, done = os.replace, []
def then_signal(a, b):
    replace(a, b)
    done.append(b)
    if len(done) == 1:
        os.kill(os.getpid(), signal.SIGTERM)
os.replace = then_signal
from mapper.cli import main
if __name__ == '__main__':
    sys.exit(main())
"""


def test_the_command_line_takes_a_sigterm_between_the_renames_once_both_are_done(tmp_path: Path, inputs: Path) -> None:
    script = tmp_path / "mapper"
    script.write_text(SCRIPT)
    out, rej = tmp_path / "rows.ndjson", tmp_path / "rej.ndjson"
    out.write_bytes(b"OLD ROWS")
    rej.write_bytes(b"OLD REJECTS")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    argv = [
        sys.executable,
        str(script),
        "map",
        str(inputs / "sink.json"),
        str(inputs / "bad.ndjson"),
        "-o",
        str(out),
        "--rejects",
        str(rej),
        "--on-error",
        "skip",
        "-q",
    ]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    assert (p.returncode, p.stderr) == (128 + signal.SIGTERM, "terminated\n")
    assert out.read_bytes() != b"OLD ROWS" and rej.read_bytes().startswith(b'{"record":')
    assert _temps(tmp_path) == []


def test_rows_to_standard_output_are_written_out_before_the_renames_hold_signals_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # (a full pipe's reader may take its time: what waits for it must wait where Ctrl-C is taken)
    class Pipe(io.RawIOBase):
        got = b""

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            Pipe.got += bytes(b)
            return len(b)

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(Pipe(), buffer_size=1 << 20)))
    writer = writers.open_writer("-")
    writer.write(mapper.compile_sink(SINK).map(generate(20, "clean")))
    assert Pipe.got == b""  # (held till the batch is known to be kept)
    writer.finish()
    assert Pipe.got.count(b"\n") == 20


def test_signals_held_gives_a_signal_to_its_handler_once_the_body_is_done() -> None:
    got: list[int] = []
    previous = signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # (not held: a control)
    interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)  # (whatever an earlier test left)
    try:
        with pytest.raises(KeyboardInterrupt):
            with writers.signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                got.append(1)  # not interrupted before this
        assert got == [1]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGUSR1, previous)
        signal.signal(signal.SIGINT, interrupt)


def test_signals_held_on_another_thread_leaves_the_handlers_and_the_body_to_run() -> None:
    # (a program calling mapper.cli.main on a thread: signal.signal raises ValueError there)
    import threading

    got: list[str] = []
    done: list[str] = []

    def note(signum: int, frame: Any) -> None:
        got.append(threading.current_thread().name)

    previous = signal.signal(signal.SIGINT, note)
    try:

        def body() -> None:
            with writers.signals_held():
                os.kill(os.getpid(), signal.SIGINT)  # (taken by the main thread, whenever it next runs Python)
                done.append("body")

        thread = threading.Thread(target=body, name="writer")
        thread.start()
        thread.join(10)
        assert done == ["body"] and got == ["MainThread"]
        assert signal.getsignal(signal.SIGINT) is note  # (left as the program set it)
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="threads have no signal masks here")
def test_signals_held_on_another_thread_holds_a_sigterm_sent_to_it() -> None:
    """A SIGTERM at its default action that reaches the thread in the body (sent to the process
    while the program's main thread blocks it, as one that waits for its signals does) ended
    the process in the middle of the body; now it ends it once the body is done."""
    script = (
        "import os, signal, sys, threading\n"
        "from mapper import writers\n"
        "ready, sent = threading.Event(), threading.Event()\n"
        "def body():\n"
        "    with writers.signals_held():\n"
        "        ready.set()\n"
        "        sent.wait(10)\n"
        "        print('body done', flush=True)\n"
        "    print('after the body', flush=True)\n"
        "thread = threading.Thread(target=body)\n"
        "thread.start()\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # (the main thread: the process's SIGTERM goes to the other)\n"
        "ready.wait(10)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "sent.set()\n"
        "thread.join(10)\n"
        "print('joined', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert (p.returncode, p.stdout, p.stderr) == (-signal.SIGTERM, "body done\n", "")


# --- 3. a checkpoint's clean-up: its own temporary files, not a sibling checkpoint's -------------


def test_a_checkpoint_removes_its_own_stale_temporaries_only(tmp_path: Path) -> None:
    own = tmp_path / ".c.json.k2x_9abc.tmp"  # what mkstemp named for c.json: 8 characters
    sibling = tmp_path / ".c.json.x.k2x_9abc.tmp"  # c.json.x's, its run perhaps running
    longer = tmp_path / ".c.json.abc.k2x_9abc.tmp"  # c.json.abc's
    for path in (own, sibling, longer):
        path.write_bytes(b"{}")
    cp = Checkpoint(str(tmp_path / "c.json"))
    try:
        assert cp.load() is None
    finally:
        cp.release()
    assert not own.exists() and sibling.exists() and longer.exists()
    cp = Checkpoint(str(tmp_path / "c.json"))
    try:
        cp.load()
        cp.save({"version": 1})
        assert _temps(tmp_path) == sorted([sibling.name, longer.name])
    finally:
        cp.release()


# --- 4. bench --repeat is bounded ------------------------------------------------------------------


def test_bench_repeat_is_bounded_and_said_before_reading(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unread(names: Any) -> Any:
        raise AssertionError("the records were read before --repeat was checked")

    monkeypatch.setattr(bench, "_read_all", unread)
    for value in ("100000000000000000000", "1001", "0", "-3"):
        code, err = _main("bench", inputs / "sink.json", inputs / "bad.ndjson", "--repeat", value)
        assert code == 2 and f"--repeat {value}: give a count of timed runs from 1 to 1,000" in err, err
    with pytest.raises(OptionError, match="1,000"):
        bench.measure_mapper(None, b"", 1001, MapOptions())  # type: ignore[arg-type]  # (refused before the sink is used)


# --- 5. a full disk, a failing sync, a directory: the final names untouched ------------------------


class _Full(io.FileIO):
    """A file on a disk that fills after ``budget`` bytes."""

    budget = 0

    def write(self, b: Any) -> int:
        n = len(memoryview(b))
        if _Full.budget < n:
            raise OSError(errno.ENOSPC, "No space left on device")
        _Full.budget -= n
        return super().write(b)


@pytest.mark.parametrize("budget", [0, 5000])
@pytest.mark.parametrize("full", ["rows", "rejects"])
@pytest.mark.parametrize("suffix", [".ndjson", ".jsonl", ".npz", ".arrow", ".parquet"])
def test_a_full_disk_mid_write_leaves_the_outputs_as_they_were(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, full: str, budget: int
) -> None:
    if suffix in (".arrow", ".parquet"):
        pytest.importorskip("pyarrow")
    out, rej = tmp_path / f"rows{suffix}", tmp_path / "rej.ndjson"
    out.write_bytes(b"OLD ROWS")
    rej.write_bytes(b"OLD REJECTS")
    fdopen = os.fdopen
    victim = (out if full == "rows" else rej).name

    def opened(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(f".{victim}."):
            return io.BufferedWriter(_Full(fd, "wb"))
        return fdopen(fd, mode, *args, **kwargs)

    if not os.path.isdir("/proc/self/fd"):  # pragma: no cover - Linux has it
        pytest.skip("no /proc/self/fd")
    monkeypatch.setattr(_Full, "budget", budget)
    monkeypatch.setattr(os, "fdopen", opened)
    code, err = _main("map", inputs / "sink.json", inputs / "bad.ndjson", "-o", out, "--rejects", rej, "--on-error", "skip", "-q")
    assert code == 2 and f"cannot write {tmp_path / victim}: No space left on device" in err and "Traceback" not in err, err
    assert (out.read_bytes(), rej.read_bytes()) == (b"OLD ROWS", b"OLD REJECTS")
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("suffix", [".ndjson", ".npz", ".parquet"])
def test_a_sync_that_fails_leaves_the_outputs_as_they_were(tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out, rej = tmp_path / f"rows{suffix}", tmp_path / "rej.ndjson"
    out.write_bytes(b"OLD ROWS")
    rej.write_bytes(b"OLD REJECTS")
    sync = writers.sync_file

    def failing(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(f".{out.name}."):
            raise OSError(errno.EIO, "Input/output error")
        sync(fd)

    monkeypatch.setattr(writers, "sync_file", failing)
    code, err = _main("map", inputs / "sink.json", inputs / "bad.ndjson", "-o", out, "--rejects", rej, "--on-error", "skip", "-q")
    assert code == 2 and f"cannot write {out}: Input/output error" in err, err
    assert (out.read_bytes(), rej.read_bytes()) == (b"OLD ROWS", b"OLD REJECTS")
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("which", ["-o", "--rejects"])
def test_an_output_that_is_a_directory_is_said_before_mapping(tmp_path: Path, inputs: Path, which: str) -> None:
    (tmp_path / "d.parquet").mkdir()
    out, rej = (tmp_path / "d.parquet", tmp_path / "rej.ndjson") if which == "-o" else (tmp_path / "rows.ndjson", tmp_path / "d.parquet")
    code, err = _main("map", inputs / "sink.json", inputs / "bad.ndjson", "-o", out, "--rejects", rej, "--on-error", "skip", "-q")
    assert code == 2 and f"cannot write {tmp_path / 'd.parquet'}: it is a directory" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet"]


def test_the_api_s_writers_say_a_full_disk_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = mapper.compile_sink(SINK)
    batch = m.map(generate(50, "clean"))
    fdopen = os.fdopen
    monkeypatch.setattr(_Full, "budget", 100)
    monkeypatch.setattr(os, "fdopen", lambda fd, mode="r", *a, **k: io.BufferedWriter(_Full(fd, "wb")) if "w" in mode else fdopen(fd, mode, *a, **k))
    pyarrow = [(writers.write_parquet, "o.parquet"), (writers.write_arrow, "o.arrow")] if importlib.util.find_spec("pyarrow") else []
    for write, name in [(writers.write_ndjson, "o.ndjson"), (writers.write_npz, "o.npz"), *pyarrow]:
        (tmp_path / name).write_bytes(b"OLD")
        with pytest.raises(OutputError, match=f"cannot write {tmp_path / name}: No space left on device"):
            write(batch, tmp_path / name)
        assert (tmp_path / name).read_bytes() == b"OLD"
    assert _temps(tmp_path) == []
