"""Review of the 2026-12-04 changes (session 2): defects found in them, each with its test."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

from mapper import cli
from tests.test_io_faults import _inputs


def _fd_name(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_dead_letters_that_fail_as_they_are_synced_leave_the_rows_file_as_it_was(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # The dead letters were synced only as they were closed, after the rows had been renamed
    # into place: a write error the disk reports at write-back (EIO) ended the run with exit 2
    # and the new rows in place beside the earlier letters.
    sink, data = _inputs(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "out.ndjson").write_bytes(b"earlier rows\n")
    (out_dir / "rej.ndjson").write_bytes(b"earlier letters\n")
    fsync = os.fsync

    def failing(fd: int) -> None:
        if ".rej.ndjson." in _fd_name(fd):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    code = cli.main(["map", str(sink), str(data), "-o", str(out_dir / "out.ndjson"), "--rejects", str(out_dir / "rej.ndjson"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write {out_dir / 'rej.ndjson'}: Input/output error" in err, err
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == {"out.ndjson": b"earlier rows\n", "rej.ndjson": b"earlier letters\n"}


class _Unread:
    """A standard input that must not be read (the run is to stop before it)."""

    @property
    def buffer(self) -> Any:
        raise AssertionError("the input was read")

    def isatty(self) -> bool:
        return False


def test_a_socket_output_is_named_with_its_controls_escaped(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # the socket's refusal (new today) printed the name as it is: an ESC in it drove the terminal
    import socket

    sink, _data = _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("s\x1b[2J.ndjson")
        monkeypatch.setattr("sys.stdin", _Unread())
        code = cli.main(["map", str(sink), "-", "-o", "s\x1b[2J.ndjson", "-q"])
    assert code == 2 and capsys.readouterr().err == "mapper: cannot write s\\u001b[2J.ndjson: it is a socket, not a file, a FIFO or a device\n"


def test_outputs_that_cannot_be_written_are_named_with_their_controls_escaped(tmp_path: Path, capsys: Any) -> None:
    # a full disk under the rows' file or the dead letters' printed the name as it is
    if not os.path.exists("/dev/full"):
        return
    sink, data = _inputs(tmp_path)
    for flag in ("-o", "--rejects"):
        out_dir = tmp_path / flag.strip("-")
        out_dir.mkdir()
        names = {"-o": str(out_dir / "out.ndjson"), "--rejects": str(out_dir / "rej.ndjson")}
        names[flag] = str(out_dir / "full\x1b]0;x\x07.ndjson")
        os.symlink("/dev/full", names[flag])
        code = cli.main(["map", str(sink), str(data), "-o", names["-o"], "--rejects", names["--rejects"], "-q"])
        err = capsys.readouterr().err
        assert code == 2 and err == f"mapper: cannot write {out_dir}/full\\u001b]0;x\\u0007.ndjson: No space left on device\n", (flag, err)


def test_a_rows_file_that_fails_mid_write_is_named_with_its_controls_escaped(tmp_path: Path) -> None:
    # BatchWriter named the output as it is ("cannot write <ESC>[2J.ndjson: File too large")
    import resource
    import subprocess
    import sys

    sink, data = _inputs(tmp_path, records=3000)
    out = str(tmp_path / "o\x1b[2J.ndjson")

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    run = subprocess.run(
        [sys.executable, "-m", "mapper", "map", str(sink), str(data), "-o", out, "-q"], preexec_fn=limited, capture_output=True, env=env, timeout=60
    )
    assert run.returncode == 2 and run.stderr.decode() == f"mapper: cannot write {tmp_path}/o\\u001b[2J.ndjson: File too large\n", run.stderr


def test_a_name_field_of_a_config_that_is_a_number_is_quoted_as_written() -> None:
    # DestNameVal/NameVal (new today) quoted a number as Python writes it: "not a number 1000.0" for 1e3
    from mapper.sink import check_sink

    text = b"""{"id_field": "a", "allow_missing_fields": true, "definition": [{"name": "a", "path": ["a"], "type": "id"},
        {"name": "b", "path": ["b"], "type": "int", "config": {"DestNameVal": 1e3, "NameVal": 2.50}}]}"""
    messages = [p.message for p in check_sink(text).problems]
    assert messages == [
        "DestNameVal must be a string, not a number 1e3: the ingester cannot decode this config",
        "NameVal must be a string, not a number 2.50: the ingester cannot decode this config",
    ]


def test_record_times_with_time_views_are_read_by_the_fast_parser(monkeypatch: Any) -> None:
    # The local_time check (new today) read every recordTime a second time, by the general
    # parser (parse_zoned had no fast path): a sink with a Quantum column mapped 2.5x slower
    # for plain "...Z" times, 4x for times with an offset. Each is read by the layout's
    # regex now; the general parser is left for what it does not take.
    import mapper
    from mapper import golayout

    def general(self: Any, value: str) -> Any:
        raise AssertionError(f"the general parser read {value!r}")

    sink = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "t", "path": ["t"], "type": "recordTime"},
        {"name": "s", "path": ["s"], "type": "string", "config": {"Quantum": "YMDH"}},
    ]
    m = mapper.compile_sink(sink, id_field="k", allow_missing_fields=True)
    monkeypatch.setattr(golayout.GoLayout, "_parse_zoned", general)
    times = ["2024-01-01T22:30:00Z", "2024-01-01T22:30:00+02:00", "2024-01-01T22:30:00.5-05:30", "2024-01-01T22:30:00+00:00"]
    for fast in (True, False):
        batch = m.map("".join(json.dumps({"k": i, "t": t, "s": "x"}) + "\n" for i, t in enumerate(times)).encode(), fast=fast)
        assert [(w.record, w.kind, w.stored) for w in batch.report.warnings] == [(1, "local_time", "2024-01-01T22"), (2, "local_time", "2024-01-01T22")]
    assert golayout.compile_layout(golayout.RFC3339).parse_zoned("2024-01-01T22:30:00-05:30") == (1704168000 * 10**9, -19800)


def test_send_checkpoint_and_dead_letters_on_a_file_system_that_cannot_sync(tmp_path: Path, monkeypatch: Any) -> None:
    # Outputs on a file system whose fsync answers EINVAL or ENOSYS (some FUSE ones) are written
    # as before, unsynced (today's change); mapper send's checkpoint and dead letters still
    # called fsync themselves: the first save stopped the run ("cannot write the checkpoint ...:
    # Invalid argument").
    from mapper.send import Checkpoint, _DeadLetters

    def unsupported(fd: int) -> None:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))

    monkeypatch.setattr(os, "fsync", unsupported)
    checkpoint = Checkpoint(str(tmp_path / "c.json"))
    try:
        assert checkpoint.load() is None
        checkpoint.save({"version": 1, "n": 1})
    finally:
        checkpoint.release()
    assert json.loads((tmp_path / "c.json").read_text()) == {"version": 1, "n": 1}
    letters = _DeadLetters(str(tmp_path / "rej.ndjson"), append=False)
    try:
        letters.write([{"record": 0}])
    finally:
        letters.close()
    assert (tmp_path / "rej.ndjson").read_bytes() == b'{"record":0}\n'


def test_a_number_inside_an_array_or_object_of_a_definition_is_quoted_as_written() -> None:
    # show_json quoted a number as written only when it stood alone: "Min must be a whole
    # number, not an array [1000.0]" for [1e3]
    from mapper.sink import check_sink

    text = b"""{"id_field": "a", "allow_missing_fields": true, "definition": [{"name": "a", "path": ["a"], "type": "id"},
        {"name": "b", "path": ["b"], "type": "int", "config": {"Min": [1e3, 2.50, 7], "Max": {"x": [1E2]}}}]}"""
    messages = [p.message for p in check_sink(text).problems]
    assert messages == ["Min must be a whole number, not an array [1e3, 2.50, 7]", 'Max must be a whole number, not an object {"x": [1E2]}'], messages
