"""A code-reading review of the writers and of ``--workers N``: the faults it found, each pinned."""

from __future__ import annotations

import errno
import io
import json
import os
import select
import signal
import struct
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
import pytest

import mapper
from mapper import cli, writers
from mapper.engine import parallel
from mapper.errors import OutputError

AIRCRAFT = Path(__file__).parent.parent / "examples" / "aircraft"


def _hung_up(fd: int) -> bool:
    """Whether a FIFO's reader (open non-blocking) was given its end of file: a writer opened it
    and closed it (Linux says POLLHUP only once a writer has come; before, a blocking reader waits)."""
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return any(events & select.POLLHUP for _fd, events in poll.poll(0))


@pytest.fixture
def fifo_reader(tmp_path: Path) -> Any:
    """A FIFO named by each suffix asked for, with a reader waiting on it (non-blocking here)."""
    opened: list[int] = []

    def make(suffix: str) -> tuple[Path, int]:
        fifo = tmp_path / f"out{len(opened)}{suffix}"
        os.mkfifo(fifo)
        opened.append(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        return fifo, opened[-1]

    yield make
    for fd in opened:
        os.close(fd)


@pytest.mark.parametrize("suffix", [".ndjson", ".npz", ".parquet"])
def test_map_failing_before_any_record_still_ends_a_fifo_outputs_reader(tmp_path: Path, fifo_reader: Any, suffix: str) -> None:
    """``mapper map BAD_SINK IN -o FIFO``: the reader of the FIFO (``cat fifo``) waited for ever,
    while a batch discarded (or an input failing) gives it its end of file."""
    fifo, fd = fifo_reader(suffix)
    records = tmp_path / "in.ndjson"
    records.write_bytes((AIRCRAFT / "records.ndjson").read_bytes())
    assert cli.main(["map", str(tmp_path / "no-such-sink.json"), str(records), "-o", str(fifo), "-q"]) == 2
    assert _hung_up(fd), "the FIFO's reader was left waiting"
    assert os.read(fd, 100) == b""


@pytest.mark.parametrize("write", [writers.write_ndjson, writers.write_parquet, writers.write_arrow, writers.write_npz])
def test_a_writer_refusing_what_it_is_given_still_ends_a_fifo_outputs_reader(fifo_reader: Any, write: Any) -> None:
    fifo, fd = fifo_reader(".out")
    with pytest.raises(OutputError, match="a batch is written"):
        write([], str(fifo))
    assert _hung_up(fd), "the FIFO's reader was left waiting"


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
def test_a_read_error_in_a_workers_range_is_an_input_error_naming_the_file_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk's read error (EIO) in a worker's range came back as "a worker process failed:
    OSError: ..." and the worker's traceback; the caller's own range's, in no file's name."""
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"".join(b'{"id": "%d"}\n' % i for i in range(4000)))
    real = os.pread

    def failing(fd: int, n: int, at: int) -> bytes:
        if at > 0:  # (past the first range: the worker's; the forked worker has this too)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(fd, n, at)

    monkeypatch.setattr(os, "pread", failing)
    m = mapper.compile_sink({"definition": [{"name": "id", "path": ["id"], "type": "string"}], "primary_key_fields": ["id"], "allow_missing_fields": True})
    with pytest.raises(mapper.InputError, match=f"cannot read {path}: Input/output error") as raised:
        m.validate(path, workers=2)
    assert "Traceback" not in str(raised.value)
    with pytest.raises(mapper.InputError, match=f"cannot read {path}: Input/output error"):
        parallel.FileRange(path, 100, 200).read()  # (the caller's own range too: said in no file's name)


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
@pytest.mark.parametrize("cut", [0, 10])
def test_a_worker_killed_as_it_answers_is_said_so_naming_its_signal_and_leaves_no_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    """A worker killed (SIGKILL: the OOM killer's) with its answer part sent (a report that outgrew
    the pipe) ended the run with multiprocessing's words, "got end of file during message"; killed
    before a byte went, with "a worker process died without an answer", saying nothing of why."""
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"".join(b'{"id": "%d"}\n' % i for i in range(4000)))
    me = os.getpid()
    real = Connection.send

    def send(self: Any, obj: Any) -> None:
        if os.getpid() == me:
            return real(self, obj)
        os.write(self.fileno(), struct.pack("!i", 1000) + b"x" * cut)  # (a message of 1,000 bytes, cut short)
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(Connection, "send", send)
    m = mapper.compile_sink({"definition": [{"name": "id", "path": ["id"], "type": "string"}], "primary_key_fields": ["id"], "allow_missing_fields": True})
    with pytest.raises(mapper.MapperError, match=r"a worker process died without a whole answer \(killed by SIGKILL") as raised:
        m.map(path, workers=2)
    assert "end of file during message" not in str(raised.value)
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"psm_{me:x}_")]


class _ShortWrites(io.RawIOBase):
    """Standard output as ``PYTHONUNBUFFERED=1`` makes it (a raw file, as many container images
    set it): a write may take fewer bytes than given (a full disk's last bytes, a signal), and
    says how many it took."""

    def __init__(self) -> None:
        self.got = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = min(len(b), 100)
        self.got += bytes(b[:n])
        return n


def test_rows_to_an_unbuffered_standard_output_are_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``map -o -`` under PYTHONUNBUFFERED=1 wrote each part's text with one call of the raw
    file, and what it did not take was lost without a word (exit 0, "N rows written")."""
    records = AIRCRAFT / "records.ndjson"
    want = tmp_path / "rows.ndjson"
    assert cli.main(["map", str(AIRCRAFT / "sink.json"), str(records), "-o", str(want), "-q"]) == 0
    raw = _ShortWrites()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
    assert cli.main(["map", str(AIRCRAFT / "sink.json"), str(records), "-o", "-", "-q"]) == 0
    assert len(want.read_bytes()) > 100
    assert bytes(raw.got) == want.read_bytes()


@pytest.mark.parametrize("command", ["map", "validate"])
def test_a_run_failing_before_any_record_still_ends_a_fifo_of_refused_records(tmp_path: Path, fifo_reader: Any, command: str) -> None:
    """``--rejects FIFO`` is opened once the sink is loaded: a run failing before (a sink refused)
    left the FIFO's reader waiting for ever."""
    fifo, fd = fifo_reader(".ndjson")
    records = tmp_path / "in.ndjson"
    records.write_bytes((AIRCRAFT / "records.ndjson").read_bytes())
    rows = ["-o", str(tmp_path / "rows.ndjson")] if command == "map" else []
    assert cli.main([command, str(tmp_path / "no-such-sink.json"), str(records), *rows, "--rejects", str(fifo), "-q"]) == 2
    assert _hung_up(fd), "the FIFO's reader was left waiting"
    assert not (tmp_path / "rows.ndjson").exists()


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
def test_a_worker_failing_as_it_writes_its_segment_leaves_no_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker interrupted (``kill -INT`` of it alone) as it wrote its segment said so, and the
    segment it had made stayed in /dev/shm for good: the parent removes a segment only of a
    worker it never heard from, and the worker removed it only on an OSError."""
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"".join(b'{"id": "%d"}\n' % i for i in range(4000)))
    me = os.getpid()
    real = os.pwrite

    def pwrite(fd: int, data: Any, at: int) -> int:
        if os.getpid() != me:
            raise KeyboardInterrupt
        return real(fd, data, at)

    monkeypatch.setattr(os, "pwrite", pwrite)
    m = mapper.compile_sink({"definition": [{"name": "id", "path": ["id"], "type": "string"}], "primary_key_fields": ["id"], "allow_missing_fields": True})
    with pytest.raises(mapper.MapperError, match="a worker process failed: KeyboardInterrupt"):
        m.map(path, workers=2)
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"psm_{me:x}_")]


@pytest.mark.parametrize(
    ("command", "which", "suffix", "fault"),
    [
        ("map", "-o", ".xyz", []),  # (a format no extension says)
        ("map", "-o", ".ndjson", ["--examples", "-1"]),
        ("map", "--rejects", ".ndjson", ["--examples", "-1"]),
        ("validate", "--rejects", ".ndjson", ["--examples", "-1"]),
    ],
)
def test_a_run_refusing_its_options_still_ends_its_fifo_outputs_readers(
    tmp_path: Path, fifo_reader: Any, command: str, which: str, suffix: str, fault: list[str]
) -> None:
    fifo, fd = fifo_reader(suffix)
    records = tmp_path / "in.ndjson"
    records.write_bytes((AIRCRAFT / "records.ndjson").read_bytes())
    outputs = [which, str(fifo)]
    if command == "map" and which != "-o":
        outputs += ["-o", str(tmp_path / "rows.ndjson")]
    assert cli.main([command, str(AIRCRAFT / "sink.json"), str(records), *outputs, *fault, "-q"]) == 2
    assert _hung_up(fd), "the FIFO's reader was left waiting"


def _plant_marker(directory: Path, outputs: list[tuple[Path, Path]], markers: list[Path] | None = None) -> Path:
    """A pair marker beside ``directory/rows.ndjson``, as a killed run's (its owner judged gone by the test), naming ``outputs`` (temp, path)."""
    marker = directory / f".rows.ndjson.flock.{'0' * 32}.0badc0de.mapper-pair"
    entries = [{"temp": str(t), "path": str(p), "temp_id": writers._identity(str(t)), "was": writers._identity(str(p))} for t, p in outputs]
    marker.write_text(json.dumps({"outputs": entries, "markers": [str(m) for m in [marker, *(markers or [])]]}))
    return marker


def test_a_pair_marker_renames_and_removes_only_its_outputs_temporaries_beside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed run's pair marker was obeyed as it said: any file renamed over any other, any file
    ending in .mapper-pair removed. Planted in a directory open to others (/tmp) beside an output
    another user writes, it had that user's run move a file of the planter's over their own
    (``~/.bashrc``). Now each output's temporary file must be one of its path's, beside it."""
    monkeypatch.setattr(writers, "owner_gone", lambda *_: True)
    shared, home, drop = tmp_path / "shared", tmp_path / "home", tmp_path / "drop"
    for d in (shared, home, drop):
        d.mkdir()
    victim, payload, bystander = home / ".bashrc", drop / "payload", home / "notes.mapper-pair"
    victim.write_text("mine")
    payload.write_text("theirs")
    bystander.write_text("kept")
    _plant_marker(shared, [(payload, victim)], [bystander])
    writers.clean_stale(str(shared / "rows.ndjson"))
    assert victim.read_text() == "mine" and payload.read_text() == "theirs" and bystander.read_text() == "kept"
    assert not [p.name for p in shared.iterdir()], "the marker itself is not left"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="gives a file to another user")
def test_a_pair_marker_of_another_user_is_not_obeyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "owner_gone", lambda *_: True)
    rows = tmp_path / "rows.ndjson"
    rows.write_text("this user's rows\n")
    temp = tmp_path / f".rows.ndjson.flock.{'0' * 32}.12345678.mapper-tmp"
    temp.write_text("another user's rows\n")
    os.chown(temp, 4321, 4321)
    marker = _plant_marker(tmp_path, [(temp, rows)])
    os.chown(marker, 4321, 4321)
    writers.clean_stale(str(rows))
    assert rows.read_text() == "this user's rows\n"


def test_serve_query_rows_to_an_unbuffered_standard_output_are_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mapper serve --query SINK_ID`` wrote each row with one call of standard output's raw
    file (``PYTHONUNBUFFERED=1``): what the call did not take was lost (exit 0). Called as its
    command's function, as ``mapper.web`` calls it, not through main's standard output."""
    from mapper import serve
    from mapper.store import Store

    db = tmp_path / "q.db"
    with Store(db) as store:
        sid = store.create_sink(AIRCRAFT / "sink.json").id
        records = [{"value": json.loads(line)} for line in (AIRCRAFT / "records.ndjson").read_text().splitlines()]
        assert store.ingest(sid, json.dumps({"records": records})).written == 3
        want = b"".join(orjson.dumps(row) + b"\n" for row in store.iter_rows(sid))
    raw = _ShortWrites()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
    assert serve.cmd_serve(cli.parse(["serve", "--db", str(db), "--query", sid])) == 0
    assert len(want) > 300  # (each row longer than a short write)
    assert bytes(raw.got) == want


ERRORS = AIRCRAFT.parent / "errors"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", str(ERRORS / "sink.json"), str(ERRORS / "records.ndjson")],
        ["validate", str(ERRORS / "sink.json"), str(ERRORS / "records.ndjson"), "--report", "json"],
        ["infer", str(AIRCRAFT / "records.ndjson"), "-q"],
        ["check", str(AIRCRAFT / "sink.json")],
    ],
    ids=["validate", "validate-json", "infer", "check"],
)
def test_reports_to_an_unbuffered_standard_output_are_written_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Under PYTHONUNBUFFERED=1 standard output's text stream writes through to the raw file and
    takes no notice of a write that took part of its bytes: a report, a draft lost its tail
    (5,000 characters in, 100 out), exit 0. Every command's standard output is written whole."""
    code = cli.main(argv)
    want = capsys.readouterr().out.encode()
    raw = _ShortWrites()
    short = io.TextIOWrapper(raw, write_through=True)
    monkeypatch.setattr(sys, "stdout", short)
    assert cli.main(argv) == code
    assert len(want) > 150
    assert bytes(raw.got) == want
    assert sys.stdout is short  # (the caller's, after)


class _GoneAfter(_ShortWrites):
    """A raw standard output whose reader is gone after its first bytes (``| head -c 100``)."""

    def write(self, b: Any) -> int:
        if self.got:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
        return super().write(b)


def test_an_unbuffered_standard_output_closed_under_a_command_ends_it_as_a_buffered_one_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its reader gone (``validate ... | head -c 100``): validate's verdict stands, said in no word."""
    raw = _GoneAfter()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
    assert cli.main(["validate", str(ERRORS / "sink.json"), str(ERRORS / "records.ndjson")]) == 1
    assert len(raw.got) == 100
    assert capsys.readouterr().err == ""


class _FailingFile(io.FileIO):
    """A file whose reads past its first KiB fail as a disk's do (EIO)."""

    def readinto(self, b: Any) -> int:
        if self.tell() >= 1024:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return super().readinto(b)


@pytest.mark.parametrize("packed", [False, True], ids=["ndjson", "gzip"])
def test_a_read_error_on_standard_input_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], packed: bool) -> None:
    """A file's read error names the file (one process or several); standard input's was said
    of "the input", where an unreadable terminal's says "standard input"."""
    import gzip

    data = b"".join(b'{"id": "%d"}\n' % i for i in range(4000))
    path = tmp_path / "in.ndjson"
    path.write_bytes(gzip.compress(data) if packed else data)
    raw = _FailingFile(path)
    raw.name = "<stdin>"  # (as Python names standard input's)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"definition": [{"name": "id", "path": ["id"], "type": "string"}], "primary_key_fields": ["id"], "allow_missing_fields": True}))
    assert cli.main(["validate", str(sink), "-", "-q"]) == 2
    assert capsys.readouterr().err.startswith("mapper: cannot read standard input: Input/output error")


def test_what_a_callers_stream_over_a_raw_standard_output_holds_comes_before_the_commands_output(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _ShortWrites()
    given = io.TextIOWrapper(raw)  # (not written through: it holds what was written to it)
    given.write("before\n")
    monkeypatch.setattr(sys, "stdout", given)
    assert cli.main(["check", str(AIRCRAFT / "sink.json")]) == 0
    given.flush()
    assert bytes(raw.got).startswith(b"before\nok: sink 'aircraft_positions'")
