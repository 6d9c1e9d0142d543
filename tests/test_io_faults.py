"""I/O faults on the output side: a full disk, a name the system refuses, a file that cannot be
replaced, a kill. Nothing is lost without a word: a run that says it failed (exit 2) leaves
every output as it was, and an output that cannot be written is refused before anything is
mapped, naming the file, never in a dependency's words.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mapper import cli

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "int"}],
}


def _inputs(tmp_path: Path, records: int = 200, bad_every: int = 50) -> tuple[Path, Path]:
    """A sink and NDJSON records, every ``bad_every``-th refused (``n`` is no int)."""
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    lines = [json.dumps({"id": i, "n": "x" if i % bad_every == 0 else i}) for i in range(records)]
    data = tmp_path / "r.ndjson"
    data.write_text("\n".join(lines) + "\n")
    return sink, data


def _listing(directory: Path) -> dict[str, bytes]:
    """The regular files of ``directory`` and what they hold (a link to /dev/full is not read: it never ends)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if not p.is_symlink()}


# --- two outputs: one fails, neither is replaced -----------------------------------------------


@needs_dev_full
@pytest.mark.parametrize("workers", [1, 2])
def test_dead_letters_that_cannot_be_written_leave_the_rows_file_as_it_was(tmp_path: Path, workers: int, capsys: Any) -> None:
    # found: the refused records' file was flushed only as it was closed, after the rows had
    # been renamed into place: a full disk there ended the run with exit 2 ("cannot write"),
    # yet out.ndjson was replaced by the new rows while the refused records were nowhere
    sink, data = _inputs(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "out.ndjson").write_bytes(b"earlier rows\n")
    (out_dir / "rej.ndjson").symlink_to("/dev/full")
    before = {"out.ndjson": b"earlier rows\n"}
    code = cli.main(["map", str(sink), str(data), "-o", str(out_dir / "out.ndjson"), "--rejects", str(out_dir / "rej.ndjson"), "-q", "--workers", str(workers)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {out_dir / 'rej.ndjson'}: No space left on device" in err, err
    assert _listing(out_dir) == before


@needs_dev_full
@pytest.mark.parametrize("workers", [1, 2])
def test_rows_that_cannot_be_written_leave_the_dead_letters_file_as_it_was(tmp_path: Path, workers: int, capsys: Any) -> None:
    # found: with --workers the refused records' file was renamed into place before the rows
    # were written: a failed write of the rows (exit 2) replaced the earlier run's dead letters
    sink, data = _inputs(tmp_path, records=4000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "rej.ndjson").write_bytes(b"earlier letters\n")
    (out_dir / "out.ndjson").symlink_to("/dev/full")
    code = cli.main(["map", str(sink), str(data), "-o", str(out_dir / "out.ndjson"), "--rejects", str(out_dir / "rej.ndjson"), "-q", "--workers", str(workers)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {out_dir / 'out.ndjson'}: No space left on device" in err, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["out.ndjson", "rej.ndjson"]
    assert (out_dir / "rej.ndjson").read_bytes() == b"earlier letters\n"


# --- outputs the system refuses by their name: refused before anything is read --------------------


class _Unread:
    """Standard input that must not be read."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"standard input was used ({name}) before the outputs were checked")


def _loop(tmp_path: Path, name: str) -> str:
    (tmp_path / f"b-{name}").symlink_to(name)
    (tmp_path / name).symlink_to(f"b-{name}")
    return name


@pytest.mark.parametrize("flag", ["-o", "--rejects"])
@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp, ext: "n" * 300 + ext, "File name too long"),
        (lambda tmp, ext: _loop(tmp, "loop" + ext), "Too many levels of symbolic links"),
    ],
    ids=["name too long", "symlink loop"],
)
def test_an_output_whose_name_the_system_refuses_fails_before_any_input_is_read(
    tmp_path: Path, monkeypatch: Any, capsys: Any, flag: str, make: Any, reason: str
) -> None:
    # found: check_output passed a name of 300 bytes and a symbolic link loop; -o failed only as
    # the rows were written (an .npz: after the whole input was mapped), and --rejects as a bare
    # OSError, the command line's fallback naming the path resolved ("cannot write /tmp/...")
    sink, _data = _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    names = {"-o": "out.npz", "--rejects": "rej.ndjson"}
    names[flag] = make(tmp_path, Path(names[flag]).suffix)
    before = sorted(p.name for p in tmp_path.iterdir())
    with monkeypatch.context() as m:
        m.setattr("sys.stdin", _Unread())
        code = cli.main(["map", str(sink), "-", "-o", names["-o"], "--rejects", names["--rejects"], "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err == f"mapper: cannot write {names[flag]}: {reason}\n", err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners")
def test_another_users_file_in_a_sticky_directory_is_refused_before_mapping(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # found (run as nobody, with setpriv): in /tmp, a sticky directory, another user's out.ndjson,
    # writable to all, passed the checks; the input was mapped whole, then the rename failed with
    # "Operation not permitted". Here this process is taken for another user than the files' owner.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    sink, data = _inputs(shared)
    out = shared / "out.ndjson"
    out.write_bytes(b"another user's rows\n")
    out.chmod(0o666)
    monkeypatch.setattr(os, "geteuid", lambda: out.stat().st_uid + 12345)
    monkeypatch.setattr("sys.stdin", _Unread())
    code = cli.main(["map", str(sink), "-", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {out}: permission denied (it belongs to another user, and in its directory {shared}, which is sticky" in err, err
    assert out.read_bytes() == b"another user's rows\n" and sorted(x.name for x in shared.iterdir()) == ["out.ndjson", "r.ndjson", "sink.json"]


# --- a kill leaves nothing behind that no run removes ---------------------------------------------


def test_sigkill_of_map_with_workers_leaves_no_spool_of_refused_records_in_the_temporary_directory(tmp_path: Path) -> None:
    # found: with --workers and --rejects each worker spooled its refused records to
    # $TMPDIR/mapper-rejected-XXXX/<k>.pickle; a SIGKILL of the parent (the OOM killer's) left
    # that directory for good (no run removes another's), as big as the refused records' text
    import signal
    import subprocess
    import sys
    import time

    sink, data = _inputs(tmp_path, records=60_000, bad_every=2)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(Path(__file__).parents[1])}
    # the parent sends itself SIGKILL as it takes the first worker's part: every spool is written by then
    script = (
        "import os, signal, sys\n"
        "import mapper.engine.parallel as par\n"
        "taken = par._from_shared\n"
        "def kill(*a, **k): os.kill(os.getpid(), signal.SIGKILL)\n"
        "par._from_shared = kill\n"
        "from mapper.cli import main\n"
        f"sys.exit(main(['map', {str(sink)!r}, {str(data)!r}, '-o', {str(tmp_path / 'out.ndjson')!r}, '--rejects', {str(tmp_path / 'rej.ndjson')!r},"
        " '--workers', '3', '-q']))\n"
    )
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == -signal.SIGKILL, p.stderr
    deadline = time.monotonic() + 30
    while list(temp.iterdir()) and time.monotonic() < deadline:  # (the workers, orphaned, end as they find the parent gone)
        time.sleep(0.1)
    assert list(temp.iterdir()) == []


# --- mapper send's checkpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [230, 245, 255])
def test_a_checkpoint_with_a_long_name_is_locked_saved_and_read_back(tmp_path: Path, length: int) -> None:
    # found: the checkpoint's lock (.NAME.lock) and its temporary file (.NAME.XXXXXXXX.tmp) were
    # named after it whole: a name of 250 bytes or more could not be locked ("cannot lock the
    # checkpoint: File name too long"), one of 242 to 249 not saved, which stopped the run after
    # its first body was stored, every run again
    from mapper.send import Checkpoint

    path = tmp_path / ("c" * (length - len(".json")) + ".json")
    checkpoint = Checkpoint(str(path))
    try:
        assert checkpoint.load() is None
        checkpoint.save({"version": 1, "n": 7})
    finally:
        checkpoint.release()
    assert json.loads(path.read_text()) == {"version": 1, "n": 7}
    assert all(len(p.name.encode()) <= 255 for p in tmp_path.iterdir())
    again = Checkpoint(str(path))
    try:
        assert again.load() == {"version": 1, "n": 7}
    finally:
        again.release()


# --- a crash of the machine: the data is on the disk before its name is ----------------------------


@pytest.mark.parametrize("suffix", [".ndjson", ".npz", ".parquet"])
def test_an_output_is_synced_to_the_disk_before_it_is_renamed_into_place(tmp_path: Path, monkeypatch: Any, suffix: str) -> None:
    # found: the temporary file was renamed into place unsynced: after a crash of the machine
    # (power lost) the final name could hold an empty or partial file, and a write error the
    # disk reports only as it writes the data back (EIO, a thin volume full) was never seen
    sink, data = _inputs(tmp_path)
    out = tmp_path / f"out{suffix}"
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def synced(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else str(fd)))
        fsync(fd)

    def renamed(src: Any, dst: Any) -> None:
        events.append(("replace", str(src)))
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", synced)
    monkeypatch.setattr(os, "replace", renamed)
    assert cli.main(["map", str(sink), str(data), "-o", str(out), "--rejects", str(tmp_path / "rej.ndjson"), "-q"]) == 1
    renames = [src for kind, src in events if kind == "replace"]
    assert len(renames) == 2
    for src in renames:
        assert ("fsync", src) in events[: events.index(("replace", src))], events


def test_a_write_error_the_disk_reports_as_the_file_is_synced_fails_the_run_and_keeps_no_output(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import errno

    sink, data = _inputs(tmp_path)
    out = tmp_path / "out.ndjson"
    out.write_bytes(b"earlier rows\n")

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", failing)
    assert cli.main(["map", str(sink), str(data), "-o", str(out), "-q"]) == 2
    assert capsys.readouterr().err == f"mapper: cannot write {out}: Input/output error\n"
    assert _listing(tmp_path) == {"out.ndjson": b"earlier rows\n", "r.ndjson": data.read_bytes(), "sink.json": sink.read_bytes()}


def test_a_checkpoint_that_is_a_symbolic_link_is_saved_to_its_target(tmp_path: Path, monkeypatch: Any) -> None:
    # found: the checkpoint was renamed over the link itself: a checkpoint kept through a link
    # (to a volume that outlives the machine) was saved beside the link, the target never
    # written, and a resume after the machine was replaced started over, its re-sent records
    # not counted as re-sent
    from mapper.send import Checkpoint

    monkeypatch.chdir(tmp_path)
    (tmp_path / "kept").mkdir()
    Path("c.json").symlink_to("kept/c.json")
    checkpoint = Checkpoint("c.json")
    try:
        assert checkpoint.load() is None
        checkpoint.save({"version": 1, "n": 7})
        checkpoint.save({"version": 1, "n": 8})
    finally:
        checkpoint.release()
    assert Path("c.json").is_symlink() and os.readlink("c.json") == "kept/c.json"
    assert json.loads((tmp_path / "kept" / "c.json").read_text()) == {"version": 1, "n": 8}
    assert sorted(p.name for p in (tmp_path / "kept").iterdir() if not p.name.endswith(".lock")) == ["c.json"]


# --- the Python writers ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rows.bin", "rows.npz"])
def test_write_parquet_and_write_arrow_write_their_own_format_whatever_the_name(tmp_path: Path, name: str) -> None:
    # found: both picked the format by the name's extension (open_writer): write_parquet to
    # rows.npz wrote an .npz, to rows.bin refused ("cannot tell the output format")
    import mapper
    from mapper import writers

    batch = mapper.compile_sink(SINK).map(b'{"id": 1, "n": 2}\n')
    writers.write_parquet(batch, str(tmp_path / f"p-{name}"))
    writers.write_arrow(batch, str(tmp_path / f"a-{name}"))
    assert (tmp_path / f"p-{name}").read_bytes()[:4] == b"PAR1"
    assert (tmp_path / f"a-{name}").read_bytes()[:6] == b"ARROW1"


def test_a_file_system_that_cannot_sync_is_written_as_before(tmp_path: Path, monkeypatch: Any) -> None:
    # (some FUSE file systems answer fsync with EINVAL or ENOSYS: that is no write error)
    import errno

    sink, data = _inputs(tmp_path)

    def unsupported(fd: int) -> None:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))

    monkeypatch.setattr(os, "fsync", unsupported)
    assert cli.main(["map", str(sink), str(data), "-o", str(tmp_path / "out.ndjson"), "-q", "--on-error", "skip"]) == 1
    assert len((tmp_path / "out.ndjson").read_bytes().splitlines()) == 196


@pytest.mark.parametrize("flag", ["-o", "--rejects"])
def test_an_output_that_is_a_socket_fails_before_any_input_is_read(tmp_path: Path, monkeypatch: Any, capsys: Any, flag: str) -> None:
    # found: a socket passed as a device would (written through); opening it failed only once the
    # input was mapped: "cannot write sock.ndjson: No such device or address"
    import socket

    sink, _data = _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)  # (a socket's path has at most 107 bytes)
    names = {"-o": "out.ndjson", "--rejects": "rej.ndjson"}
    names[flag] = "sock.ndjson"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("sock.ndjson")
        monkeypatch.setattr("sys.stdin", _Unread())
        code = cli.main(["map", str(sink), "-", "-o", names["-o"], "--rejects", names["--rejects"], "-q"])
    assert code == 2 and capsys.readouterr().err == "mapper: cannot write sock.ndjson: it is a socket, not a file, a FIFO or a device\n"
