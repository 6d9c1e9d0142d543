"""README claims checked by running them as a newcomer would (a walk of the README)."""

from __future__ import annotations

import json
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
    # docs/formats.md, *Inputs*: "A comma with nothing before it ... is `a comma with no
    # value before it at char N` (in an object, `a comma with no member before it`)": so for
    # NDJSON records, and for a document read whole too (msgspec's Raw says "expected '\"'")
    path = tmp_path / name
    path.write_text(text)
    assert main(["validate", str(SINK), str(path), "--group", "record"]) == 1
    out = capsys.readouterr().out
    assert "a comma with no member before it" in out, out
    assert "expected '\"'" not in out, out


def test_a_short_object_whose_first_line_misses_its_comma_is_one_bad_record_before_the_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # docs/formats.md, *Inputs*: "a first line holding the object's first member,
    # `{ "id": "x"` with its comma missing, is read as such a document too, not as NDJSON":
    # so also when the object is short and the next one, as `jq .` prints it, opens within
    # the lines looked at (it was read as NDJSON: each of the six lines a refused record)
    path = tmp_path / "objects.json"
    path.write_text('{ "id": "x"\n  "a": 1\n}\n{\n  "id": "y"\n}\n')
    assert main(["validate", str(SINK), str(path), "--report", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 2, report["records"]
    bad = [e for e in report["errors"] if e["code"] == "invalid_json"]
    assert [(e["record"], e["line"]) for e in bad] == [(0, 1)], bad
