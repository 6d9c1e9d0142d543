"""README claims checked by running them as a newcomer would (a walk of the README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper.cli import main

SINK = Path(__file__).resolve().parent.parent / "examples" / "aircraft" / "sink.json"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('[{"a": 1,, "c": 2}]\n', "array.json"),  # a JSON array read whole
        ('[{"a": 1},\n{,"c": 2}\n]\n', "lines.json"),  # an array laid out an element a line
        ('{"records": [{"value": {"a": 1,, "c": 2}}]}', "body.json"),  # a request body read whole
    ],
)
def test_a_comma_with_no_member_before_it_is_said_so_in_a_document_read_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, name: str) -> None:
    # README, *Command line* (inputs): "A comma with nothing before it ... is `a comma with no
    # value before it at char N` (in an object, `a comma with no member before it`)": so for
    # NDJSON records, and for a document read whole too (msgspec's Raw says "expected '\"'")
    path = tmp_path / name
    path.write_text(text)
    assert main(["validate", str(SINK), str(path), "--group", "record"]) == 1
    out = capsys.readouterr().out
    assert "a comma with no member before it" in out, out
    assert "expected '\"'" not in out, out
