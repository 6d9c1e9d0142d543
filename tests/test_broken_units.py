"""The reader's units of a document that failed whole carry their failure in parts
(:class:`~mapper.engine.reader.BrokenDocument.failure`), which the engine places and the verdict
is built from: the engine has no fallback that rebuilds one from the message's words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mapper

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted((ROOT / "mapper").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                found.append((path, node))
    return found


def test_every_unit_of_a_document_failed_whole_is_made_with_its_failure() -> None:
    # the engine reads unit.failure of a unit that is not one_record: every such unit is made with
    # failure= (by _failed_whole); the others are one_record=True (a record's own, read on)
    calls = _calls("BrokenDocument")
    assert calls, "no BrokenDocument made in mapper/"
    for path, call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        one = keywords.get("one_record")
        assert "failure" in keywords or (isinstance(one, ast.Constant) and one.value is True), f"{path.name}:{call.lineno}"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (b'[{"id": "a"},', ("refused: the input is not valid JSON: the JSON array is truncated (invalid_json 1, at line 1;", 1)),
        (
            b'[{"id": "a"},\n{"id": 1,}]\n',
            ("refused: the input is not valid JSON: trailing comma in object at line 2 char 10 (invalid_json 1, in the JSON array", 2),
        ),
        (b'{"items": [{"value": 1}', ("refused: the input is not valid JSON: the request body is truncated", 1)),
    ],
)
def test_the_verdict_of_a_document_failed_whole_is_built_from_its_parts(text: bytes, verdict: tuple[str, int]) -> None:
    said, line = verdict
    report = mapper.compile_sink(SINK).validate(text, input_format="endpoint" if b"items" in text else "auto")
    assert report.document_failure is not None and report.document_failure.line == line, report.document_failure
    assert report.summary().startswith(said), report.summary()
