"""review11: fixes found reviewing the session's change (see each test's docstring)."""

from __future__ import annotations

import os

import pytest

from mapper import cli
from mapper.engine.reader import open_input
from mapper.errors import InputError

SINK = os.path.join(os.path.dirname(__file__), "..", "examples", "errors", "sink.json")

# A file that opens but fails its first read (EIO): the kernel's memory of this process at address 0.
UNREADABLE = "/proc/self/mem"
needs_unreadable = pytest.mark.skipif(not os.path.exists(UNREADABLE), reason="no /proc/self/mem")


@needs_unreadable
def test_open_input_first_read_failing_is_an_input_error():
    """open_input's look at a file's first bytes (to tell a compressed one) failing is the
    input's error, naming the file: it leaked the OSError."""
    with pytest.raises(InputError, match=r"cannot read /proc/self/mem: Input/output error$"):
        open_input(UNREADABLE)


@needs_unreadable
@pytest.mark.parametrize("command", [["validate"], ["map", "-o", "-"]])
def test_unreadable_input_not_said_as_standard_output(command, capsys):
    """A one-process run whose input fails its first read says it cannot read that input: it said
    'cannot write standard output' (the command line's word for any OSError naming no file)."""
    code = cli.main([command[0], SINK, UNREADABLE, *command[1:]])
    err = capsys.readouterr().err
    assert code == 2
    assert "standard output" not in err
    assert "cannot read /proc/self/mem: Input/output error" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_send_reads_a_named_pipe(tmp_path, capsys):
    """send on a named pipe (a FIFO, or a shell's <(...)) reads it: the bytes read of each input read
    to its end were asked of any file open_input opened but stdin, and a pipe's tell() raised
    (the run stopped, 'cannot write standard output: Illegal seek')."""
    import json
    import threading

    fifo = tmp_path / "records.fifo"
    os.mkfifo(fifo)
    lines = b"".join(json.dumps({"id": i, "name": f"n{i}"}).encode() + b"\n" for i in range(3))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps([{"name": "id", "path": "id", "type": "id"}, {"name": "name", "path": "name", "type": "string"}]))

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(lines)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    capsys.readouterr()
    try:
        code = cli.main(["send", str(sink), str(fifo), "--dry-run", "--id-field", "id", "--allow-missing-fields"])
    finally:
        if writer.is_alive():  # (the run never opened the pipe: let the writer's open() go)
            with open(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
                fh.read()
        writer.join(timeout=10)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Illegal seek" not in err and "3 records read, 3 would be sent" in err


@needs_unreadable
@pytest.mark.parametrize("command", [["validate", "--workers", "2"], ["validate"], ["infer"]])
def test_unreadable_input_said_in_the_os_words_everywhere(command, capsys):
    """An input that fails a read is said as open_input says it, the OS's words alone: workers=2's
    first look (read_input) said Python's '[Errno 5] Input/output error'."""
    args = [command[0], SINK, UNREADABLE, *command[1:]] if command[0] != "infer" else ["infer", UNREADABLE]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert "mapper: cannot read /proc/self/mem: Input/output error\n" in err and "Errno" not in err
