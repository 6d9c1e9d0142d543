"""Review of mapper.owners, mapper.stack and mapper._start (their callers too): the cases found wrong.

* an owner in a temporary's name that no run writes (a number zero-padded, or in other
  digits than ASCII's) was read as one, and judged gone while the process it names runs;
* a ``/proc`` that is not this process's pid namespace's (a pid namespace entered without a
  ``/proc`` of its own: ``unshare --pid --fork``) was read for this process's start time (another
  process's), so that the owner named its temporaries wrongly and judged others' by it;
* ``full_stack`` where a thread cannot be started (a memory limit, a system without threads)
  raised the RuntimeError instead of the call's own RecursionError;
* a number printed as text (a string column's ``values_as_text``) was rounded to, or trapped
  by, the caller's ``decimal`` context (``decimal.getcontext().prec = 3``: 1.234567 stored as
  ``"1.23"``), and the second run of :func:`full_stack`, on a new thread, used another one.
"""

from __future__ import annotations

import _thread
import decimal
import json
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any, Iterator

import pytest
from sinks import column, sink

import mapper
from mapper import owners, stack, writers

ME = owners.owner()
needs_owner = pytest.mark.skipif(ME is None or ME.startswith(owners.LOCKED), reason="no /proc boot id or pid namespace here")


def _with(owner: str, *, pid: str | None = None, start: str | None = None) -> str:
    b, n, p, s = owner.split(".")
    return ".".join((b, n, pid or p, start or s))


# --- owners: only names a run writes are owners --------------------------------------------


@needs_owner
@pytest.mark.parametrize("how", ["start zero-padded", "pid zero-padded", "start in other digits", "pid in other digits"])
def test_an_owner_no_run_writes_is_not_judged_gone(tmp_path: Path, how: str) -> None:
    assert ME is not None
    _b, _n, pid, start = ME.split(".")
    other = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # (Arabic-Indic digits: \d matched them, int() read them)
    odd = {
        "start zero-padded": _with(ME, start="0" + start),
        "pid zero-padded": _with(ME, pid="0" + pid),
        "start in other digits": _with(ME, start=start.translate(other)),
        "pid in other digits": _with(ME, pid=pid.translate(other)),
    }[how]
    assert owners.owner_gone(odd, ME) is None  # (this very process runs: it was judged gone)
    assert owners.OWNER.fullmatch(odd) is None
    kept = tmp_path / f".o.ndjson.{odd}.0123abcd.mapper-tmp"  # (a file no run made: a user's, named alike)
    kept.write_bytes(b"mine")
    writers.clean_stale(str(tmp_path / "o.ndjson"))
    assert kept.exists()


# --- owners: a /proc of another pid namespace is not read -----------------------------------


@pytest.fixture()
def foreign_proc(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A ``/proc`` mounted for another pid namespace than this process's (a pid namespace entered
    without mounting its own, ``unshare --pid --fork``): its ``self`` is another pid than
    ``os.getpid()``, and ``/proc/<os.getpid()>`` is another process (start time 77)."""
    tmp = tmp_path_factory.mktemp("foreign")
    proc = tmp / "proc"
    (proc / "sys/kernel/random").mkdir(parents=True)
    (proc / "sys/kernel/random/boot_id").write_text("0123abcd-0123-4567-89ab-0123456789ab\n")
    seen_as = str(os.getpid() + 1000)
    (proc / seen_as / "ns").mkdir(parents=True)
    os.symlink("pid:[4026531836]", proc / seen_as / "ns/pid")
    os.symlink(seen_as, proc / "self")
    (proc / str(os.getpid())).mkdir()
    (proc / str(os.getpid()) / "stat").write_text(f"{os.getpid()} (other one) S" + " 0" * 18 + " 77 0 0\n")
    monkeypatch.setattr(owners, "_PROC", str(proc))
    monkeypatch.setattr("tempfile.tempdir", str(tmp))  # (a lock token's file: the test's own)
    monkeypatch.setattr(owners, "_mine", None)
    yield proc
    owners._release()


def test_a_proc_of_another_pid_namespace_names_no_owner(foreign_proc: Path) -> None:
    me = owners.owner()
    assert me is None or me.startswith(owners.LOCKED)  # was 0123abcd....4026531836.<pid>.77: another process's start
    # a temporary named as that /proc would name this running process, another start time: not judged gone by it
    theirs = f"0123abcd0123456789ab0123456789ab.4026531836.{os.getpid()}.78"
    assert owners.owner_gone(theirs, me) is None
    assert owners.owner(1) is None  # (another pid: nothing read of it either)


# --- full_stack ------------------------------------------------------------------------------


def _too_deep_here_first() -> Any:
    calls = []

    def fn(x: int) -> int:
        calls.append(x)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        return x * 2

    return fn, calls


def test_full_stack_where_no_thread_can_start_raises_the_call_s_recursion_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> None:
        raise RuntimeError("can't start new thread")

    fake = types.SimpleNamespace(stack_size=_thread.stack_size, allocate_lock=_thread.allocate_lock, start_new_thread=refuse)
    monkeypatch.setattr(stack, "_thread", fake)
    fn, calls = _too_deep_here_first()
    with pytest.raises(RecursionError):
        stack.full_stack(fn, 3)
    assert calls == [3]


def test_full_stack_where_the_stack_size_cannot_be_set_runs_on_a_thread_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(*args: Any) -> int:
        if args:
            raise RuntimeError("setting stack size not supported")
        return 0

    fake = types.SimpleNamespace(stack_size=unsupported, allocate_lock=_thread.allocate_lock, start_new_thread=_thread.start_new_thread)
    monkeypatch.setattr(stack, "_thread", fake)
    fn, calls = _too_deep_here_first()
    assert stack.full_stack(fn, 3) == 6
    assert calls == [3, 3]


# --- the caller's decimal context ---------------------------------------------------------------

SINK = sink(column("id", "string"), column("s", "string"), name="s", table="t", database_id="x", primary_key_fields=["id"])


@pytest.fixture()
def coarse_decimals() -> Iterator[None]:
    """A program's own decimal context: 3 digits, and a rounding trapped; new threads' too."""
    saved = decimal.DefaultContext.prec, dict(decimal.DefaultContext.traps)
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Rounded] = True
        decimal.DefaultContext.prec = 3
        try:
            yield
        finally:
            decimal.DefaultContext.prec = saved[0]
            decimal.DefaultContext.traps.update(saved[1])


def test_numbers_printed_as_text_are_not_the_caller_s_decimal_context_s(coarse_decimals: None) -> None:
    m = mapper.compile_sink(SINK)
    batch = m.map(b'{"id": "a", "s": 1.234567}\n{"id": "b", "s": [[1.234567e-7]]}\n')
    assert batch["s"].values.tolist() == ["1.234567", "[[1.234567e-07]]"]
    assert decimal.getcontext().prec == 3  # (left as it was)


def test_infer_is_not_the_caller_s_decimal_context_s() -> None:
    records = [{"id": str(i), "d": t, "f": f} for i, (t, f) in enumerate([("1.23456", 1.5e-7), ("1.23459", 2.5e-9), ("99999.12345678", 3.0)])]
    alone = mapper.infer(records)
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Rounded] = True  # (raised out of infer: decimal.Rounded)
        coarse = mapper.infer(records)
    assert coarse.body == alone.body and coarse.notes == alone.notes


# --- a killed run's pair markers: only a regular file of this user's is read -------------------


def _gone_owner() -> str:
    assert ME is not None
    return _with(ME, start=str(int(ME.split(".")[3]) + 1))  # (this pid, another start: its owner is gone)


@needs_owner
def test_a_fifo_named_as_a_pair_marker_does_not_hang_the_next_run(tmp_path: Path) -> None:
    """Any user may make a FIFO in /tmp named as a killed run's pair marker beside an output there:
    the next run writing that output opened it to read it, and waited for ever."""
    fifo = tmp_path / f".o.ndjson.{_gone_owner()}.0123abcd.mapper-pair"
    os.mkfifo(fifo)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (writers.clean_stale(str(tmp_path / "o.ndjson")), done.set()), daemon=True)
    worker.start()
    worker.join(2)
    hung = not done.is_set()
    if hung:  # (a writer lets the reader's open return)
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
    assert not hung


@needs_owner
def test_a_link_named_as_a_pair_marker_is_not_followed(tmp_path: Path) -> None:
    """A pair marker is a file a run made (O_EXCL): a link named as one, planted where others may
    write (the link's owner is never checked, only its target's), is not obeyed."""
    out = tmp_path / "o.ndjson"
    out.write_bytes(b"new\n")
    temp = tmp_path / f".o.ndjson.{_gone_owner()}.0123abcd.mapper-tmp"
    temp.write_bytes(b"old\n")
    st = temp.stat()
    body = {"outputs": [{"temp": str(temp), "path": str(out), "temp_id": [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns], "was": None}], "markers": []}
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    (elsewhere / "said.json").write_text(json.dumps(body))
    out.unlink()  # (as the marker says: no file there then)
    link = tmp_path / f".o.ndjson.{_gone_owner()}.0123abcd.mapper-pair"
    os.symlink(elsewhere / "said.json", link)
    writers.clean_stale(str(out))
    assert not out.exists()  # the planted link had the temporary renamed into place


# --- _start: which process is the command line ------------------------------------------------

PIP_SCRIPT = """#!/usr/bin/python3
# -*- coding: utf-8 -*-
import re
import sys
from mapper.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
UV_SCRIPT = """#!/usr/bin/python3
# -*- coding: utf-8 -*-
import sys
from mapper.cli import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""
WRAPPER = """#!/usr/bin/python3
import os
import sys
import sys
from mapper.cli import main
os.environ.setdefault("MAPPER_SITE", "1")
code = main()
print("mapped; now uploading", file=sys.stderr)  # (never run: map ended the process inside main, os._exit)
sys.exit(code)
"""


@pytest.mark.parametrize(("text", "expected"), [(PIP_SCRIPT, True), (UV_SCRIPT, True), (WRAPPER, False)])
def test_the_command_line_is_the_installed_script_not_a_program_named_mapper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: bool
) -> None:
    """``mapper.cli.main()`` of the command line ends the process at once (map, validate: os._exit
    once the outputs are written): a program of the user's named ``mapper`` that goes on after
    ``main()`` returns lost the rest of its run."""
    from mapper import _start

    script = tmp_path / "mapper"
    script.write_text(text)
    monkeypatch.setattr("sys.argv", [str(script), "map", "x"])
    monkeypatch.setattr("sys.orig_argv", ["/usr/bin/python3", str(script), "map", "x"], raising=False)
    assert _start.command_line() is expected


@pytest.mark.parametrize(
    ("orig", "argv", "expected"),
    [
        (["python", "-m", "mapper", "map"], ["-m", "map"], True),
        (["python", "-X", "dev", "-mmapper", "map"], ["-m", "map"], True),
        (["python", "-Im", "mapper.cli"], ["-m"], True),
        (["python", "-m", "mapperx", "map"], ["-m", "map"], False),
        (["python", "-m", "otherpkg", "-m"], ["-m", "-m"], False),
        (["python", "-c", "import mapper", "-m"], ["-c", "-m"], False),
    ],
)
def test_python_m_mapper_is_the_command_line_and_nothing_else(monkeypatch: pytest.MonkeyPatch, orig: list[str], argv: list[str], expected: bool) -> None:
    from mapper import _start

    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setattr("sys.orig_argv", orig, raising=False)
    assert _start.command_line() is expected


# --- standard error closed ------------------------------------------------------------------------


def test_with_standard_error_closed_nothing_meant_for_it_goes_into_the_rows_on_standard_output(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mapper map SINK RECORDS -o - 2>&-``: Python leaves ``sys.stderr`` None, and ``print(...,
    file=None)`` writes to standard output: the verdict line ended the rows (not JSON)."""
    from mapper import cli

    examples = Path(__file__).parents[1] / "examples" / "aircraft"
    monkeypatch.setattr("sys.stderr", None)
    code = cli.main(["map", str(examples / "sink.json"), str(examples / "records.ndjson"), "-o", "-"])
    out = capfd.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 and all(line.startswith("{") for line in lines), out
    assert sys.stderr is None  # (as it was)


# --- a send checkpoint's lock file ------------------------------------------------------------------


def test_a_fifo_or_link_at_a_checkpoint_s_lock_is_said_not_waited_on_or_followed(tmp_path: Path) -> None:
    """``send --checkpoint /tmp/c.json``: any user may make ``/tmp/.c.json.lock`` first. A FIFO
    there was opened to be written, and the run waited for ever; a link was followed (and its
    target made, where there was none)."""
    from mapper.errors import InputError
    from mapper.send import Checkpoint

    lock = tmp_path / ".c.json.lock"
    os.mkfifo(lock)
    said: list[BaseException] = []

    def load() -> None:
        try:
            Checkpoint(str(tmp_path / "c.json")).load()
        except BaseException as exc:  # noqa: BLE001 - looked at below
            said.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(2)
    hung = worker.is_alive()
    if hung:  # (a reader lets the writer's open return)
        os.close(os.open(lock, os.O_RDONLY | os.O_NONBLOCK))
        worker.join(5)
    assert not hung
    assert len(said) == 1 and isinstance(said[0], InputError) and ".c.json.lock" in str(said[0])
    lock.unlink()
    target = tmp_path / "elsewhere"
    os.symlink(target, lock)
    with pytest.raises(InputError, match=r"\.c\.json\.lock"):
        Checkpoint(str(tmp_path / "c.json")).load()
    assert not target.exists()


# --- an output named by another user's link in /tmp -------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user's is made by root alone")
def test_an_output_that_is_another_user_s_link_in_a_shared_directory_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``mapper map ... -o /tmp/out.ndjson`` where another user made ``/tmp/out.ndjson`` a link to a
    file of this user's: the output's name was resolved by reading the link (the system's own
    rule against following it, ``fs.protected_symlinks``, never asked) and the file overwritten."""
    from mapper import cli

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    link = shared / "out.ndjson"
    os.symlink(victim, link)
    os.lchown(link, 12345, 12345)
    examples = Path(__file__).parents[1] / "examples" / "aircraft"
    code = cli.main(["map", str(examples / "sink.json"), str(examples / "records.ndjson"), "-o", str(link)])
    err = capsys.readouterr().err
    assert code == 2 and "symbolic link of another user's" in err and str(link) in err
    assert victim.read_text() == "mine\n"
    os.lchown(link, os.geteuid(), -1)  # (this user's own link: followed, as ever)
    assert cli.main(["map", str(examples / "sink.json"), str(examples / "records.ndjson"), "-o", str(link)]) == 0
    assert victim.read_text().startswith("{") and link.is_symlink()
