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
