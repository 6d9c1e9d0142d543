"""Review of the session's change (review7): a checkpoint too deep to read, and the helpers merged."""

from __future__ import annotations

from mapper.errors import and_list


def test_and_list():
    assert and_list(["a"]) == "a"
    assert and_list(["a", "b"]) == "a and b"
    assert and_list(["a", "b", "c"]) == "a, b and c"
