"""Review of the session's change (review7): a checkpoint too deep to read, and the helpers merged."""

from __future__ import annotations

import pytest

from mapper.errors import InputError, and_list
from mapper.send import Checkpoint


def test_checkpoint_nested_too_deep_is_an_input_error(tmp_path):
    # orjson refuses it (depth), and json, read after it for an escaped file name, raised RecursionError: a traceback
    path = tmp_path / "c.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    cp = Checkpoint(str(path))
    try:
        with pytest.raises(InputError, match="cannot read the checkpoint"):
            cp.load()
    finally:
        cp.release()


def test_and_list():
    assert and_list(["a"]) == "a"
    assert and_list(["a", "b"]) == "a and b"
    assert and_list(["a", "b", "c"]) == "a, b and c"
