"""What the README says, checked where a second audit of it found the code saying otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper.errors import MapperError
from mapper.web.catalog import load_catalog

# docs/cli.md, Options of validate and map (--group): file names are printed with their control
# characters and the characters that reorder or hide text as JSON escapes, wherever a command
# prints one (messages, notes, the text report).
ODD = "t\u202e\x1bx"


def test_table_file_that_cannot_be_read_is_named_escaped(tmp_path: Path) -> None:
    missing = tmp_path / f"{ODD}.sql"
    with pytest.raises(MapperError) as info:
        load_catalog([str(missing)])
    message = str(info.value)
    assert "\u202e" not in message and "\x1b" not in message
    assert "t\\u202e\\u001bx.sql" in message
    assert ": no such file: " in message  # (in every command's words: "cannot read ...: No such file or directory" before)


def test_table_file_not_utf8_is_named_escaped(tmp_path: Path) -> None:
    bad = tmp_path / f"{ODD}.sql"
    bad.write_bytes(b"CREATE TABLE t (_id ID, a INT\xff);")
    with pytest.raises(MapperError) as info:
        load_catalog([f"db={bad}"])
    message = str(info.value)
    assert "\u202e" not in message and "\x1b" not in message
    assert "t\\u202e\\u001bx.sql is not UTF-8" in message


def test_table_file_with_a_bad_statement_is_named_escaped(tmp_path: Path) -> None:
    bad = tmp_path / f"{ODD}.sql"
    bad.write_text("CREATE TABLE t (a INT);\n")
    with pytest.raises(MapperError) as info:
        load_catalog([str(bad)])
    message = str(info.value)
    assert "\u202e" not in message and "\x1b" not in message
    assert "t\\u202e\\u001bx.sql: " in message


def test_table_file_registered_keeps_its_real_name(tmp_path: Path) -> None:
    good = tmp_path / f"{ODD}.sql"
    good.write_text("CREATE TABLE t (_id ID, a INT);\n")
    catalog = load_catalog([str(good)])
    (table,) = catalog.to_json()["databases"][0]["tables"]
    assert table["source"] == f"{good}:1"


def _entries(config: dict[str, object]) -> list[dict[str, object]]:
    return [{"name": "id", "path": ["id"], "type": "id"}, {"name": "a", "path": ["a"], "type": "int", "config": config}]


def test_a_null_destnameval_is_said_to_have_no_effect_not_to_be_replaced() -> None:
    # docs/formats.md, Sink definitions: DestNameVal "without effect" is a warning; a null leaves the
    # field as it was (Go), so it has no effect: it is not "replaced by the entry's name",
    # which is what the ingester does to NameVal only.
    from mapper.sink import check_sink

    result = check_sink(_entries({"DestNameVal": None}), id_field="id", allow_missing_fields=True)
    assert result.sink is not None
    (warning,) = [p for p in result.problems if p.severity == "warning"]
    assert warning.pointer == "/1/config/DestNameVal"
    assert warning.code == "dest-name"
    assert "no effect" in warning.message and "replaced" not in warning.message


class _FullDisk:
    """A file whose writes fail as on a full disk."""

    def write(self, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        raise OSError(28, "No space left on device")


def test_rejects_file_that_cannot_be_written_is_named_escaped(tmp_path: Path) -> None:
    from mapper.errors import OutputError
    from mapper.report import RecordError, RejectedRecord
    from mapper.writers import RejectsWriter

    writer = RejectsWriter(str(tmp_path / f"{ODD}.ndjson"))
    real = writer.fh
    writer.fh = _FullDisk()
    try:
        with pytest.raises(OutputError) as info:
            writer(RejectedRecord(0, 1, [RecordError(0, 1, None, None, "invalid_json", "x")], b"{"))
        assert "t\\u202e\\u001bx.ndjson: No space left on device" in str(info.value)
        with pytest.raises(OutputError) as info:
            writer.flush()
        assert "t\\u202e\\u001bx.ndjson: No space left on device" in str(info.value)
    finally:
        writer.fh = real
        writer.close(False)
    assert list(tmp_path.iterdir()) == []


def test_socket_output_is_named_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from mapper.errors import OutputError
    from mapper.writers import check_output

    monkeypatch.chdir(tmp_path)  # (a socket's name is at most 107 bytes)
    name = f"{ODD}.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(name)
        with pytest.raises(OutputError) as info:
            check_output(name)
    message = str(info.value)
    assert "\u202e" not in message and "\x1b" not in message
    assert "cannot write t\\u202e\\u001bx.sock: it is a socket" in message


def test_a_rejects_file_the_disk_cannot_sync_keeps_the_old_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # docs/formats.md, Writing outputs: the refused records' file is kept only with the rows: a run that fails
    # (exit 2) leaves both files as they were. A write error the disk reports only as it
    # writes the data back (fsync: EIO, a thin volume full) must show before the rows are
    # renamed into place, not after, when they can no longer be kept out.
    import os

    from mapper import writers
    from mapper.cli import main

    root = Path(__file__).resolve().parent.parent
    sink = root / "examples" / "aircraft" / "sink.json"
    good = (root / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0]
    records = tmp_path / "in.ndjson"
    records.write_text(good + "\n{not json\n")
    out, rejects = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    out.write_text("OLD ROWS\n")
    rejects.write_text("OLD LETTERS\n")
    real_sync = writers.sync_file

    def sync(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".rejects.ndjson"):
            raise OSError(5, "Input/output error")
        real_sync(fd)

    monkeypatch.setattr(writers, "sync_file", sync)
    code = main(["map", str(sink), str(records), "-o", str(out), "--rejects", str(rejects), "-q"])
    assert code == 2
    assert "cannot write" in capsys.readouterr().err
    assert out.read_text() == "OLD ROWS\n"
    assert rejects.read_text() == "OLD LETTERS\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ndjson", "out.ndjson", "rejects.ndjson"]


def test_send_interrupted_while_its_summary_is_said_exits_as_an_interrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/send-serve.md (from the README's Send and serve): send's exit status 2 is "an interrupted run (SIGINT/SIGTERM ...)".
    # A signal while the final summary is said (a JSON report into a slow pipe) came after
    # send had given its signals back: a Ctrl-C was then Python's KeyboardInterrupt, 130
    # from main, and a SIGTERM killed the process outright.
    import os
    import signal

    from mapper import send
    from mapper.cli import main

    root = Path(__file__).resolve().parent.parent
    sink = root / "examples" / "aircraft" / "sink.json"
    records = root / "examples" / "aircraft" / "records.ndjson"
    said = send._summary
    calls: list[str | None] = []

    def summary(run: object, args: object, aborted: str | None) -> None:
        calls.append(aborted)
        if aborted is None:
            os.kill(os.getpid(), signal.SIGINT)  # (taken at the next instruction, in here)
        said(run, args, aborted)  # type: ignore[arg-type]

    monkeypatch.setattr(send, "_summary", summary)
    before = signal.getsignal(signal.SIGINT)
    code = main(["send", str(sink), str(records), "--dry-run", "--report", "json"])
    assert code == 2
    assert calls == [None]
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before  # (given back)


def test_serve_signalled_again_as_it_says_stopped_keeps_exit_0(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # README: serve exits 0 when stopped by SIGINT/SIGTERM, and a second signal only stops
    # waiting for the requests in progress. Its last line, "stopped", was said after serve
    # had given its signals back: a Ctrl-C there was Python's KeyboardInterrupt (130 from
    # main), a SIGTERM a death by signal.
    import os
    import signal
    import threading
    import time

    from mapper import serve
    from mapper.cli import main

    def say(*args: object, **kwargs: object) -> None:
        if args and args[0] == "mapper serve: stopped":
            os.kill(os.getpid(), signal.SIGINT)  # (taken at the next instruction, in here)
        print(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(serve, "print", say, raising=False)

    def stop_when_listening() -> None:
        deadline = time.monotonic() + 10
        while signal.getsignal(signal.SIGINT) is signal.default_int_handler and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=stop_when_listening, daemon=True).start()
    before = signal.getsignal(signal.SIGINT)
    code = main(["serve", "--db", ":memory:", "--port", "0", "-q", "--no-ui"])
    assert code == 0
    assert "mapper serve: stopped" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before
