"""What keeps the package importable on every Python that pyproject.toml's requires-python
admits (>= 3.10), checked on whichever one runs the suite."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a file's text holds if any string in it holds a surrogate: an escape of one (``\\ud83d``,
#: ``\\U0000DC00``; no other escape reaches U+D800 and UTF-8 text holds none as itself). Only
#: such files are parsed (59 of 292, 2026-12-06): parsing all took 6.6 s of the test's 6.6 s.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")


def _sources() -> list[Path]:
    return sorted([*(ROOT / "mapper").rglob("*.py"), *(ROOT / "tests").glob("*.py")])


def test_no_docstring_holds_a_surrogate_code_point() -> None:
    """Python 3.13.0's compiler cleans each docstring's indentation through UTF-8, and a lone
    surrogate in one (a non-raw ``\\ud83d`` escape) made ``import mapper`` fail there with
    "UnicodeEncodeError: surrogates not allowed" (mapper/engine/gojson.py, 2026-12-05); 3.10 to
    3.12 compile it. A docstring shows such an escape as text (``\\\\ud83d``) instead."""
    found = []
    for path in _sources():
        found += [f"{path.relative_to(ROOT)}:{at}" for at in _surrogate_docstrings(path.read_text(encoding="utf-8"), str(path))]
    assert found == []


def _surrogate_docstrings(text: str, filename: str = "<text>") -> list[str]:
    """``LINE NAME`` of each docstring in ``text`` that holds a surrogate."""
    if not _SURROGATE_ESCAPE.search(text):
        return []  # (no string in it can hold one)
    found = []
    for node in ast.walk(ast.parse(text, filename)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None and _SURROGATE.search(doc):
                found.append(f"{getattr(node, 'lineno', 1)} {getattr(node, 'name', '(module)')}")
    return found


def test_the_docstring_check_sees_each_escape_of_a_surrogate() -> None:
    assert _surrogate_docstrings('"""a \\ud83d b"""\n') == ["1 (module)"]
    assert _surrogate_docstrings('class C:\n    """\\uDFFF"""\n') == ["1 C"]
    assert _surrogate_docstrings('def f():\n    """\\U0000DC00"""\n') == ["1 f"]
    # shown as text, a string not a docstring, a code point beyond the surrogates: none
    assert _surrogate_docstrings('"""\\\\ud83d"""\nX = "\\ud83d"\ndef g():\n    """\\ue000 \\U0001F600"""\n') == []


def test_a_bzip2_or_xz_stream_whose_name_is_read_only_keeps_its_files_name() -> None:
    """Python 3.13 gave BZ2File and LZMAFile a read-only ``name`` (the file's own); the reader set
    it on the stream to name the file in errors, and every .bz2/.xz input failed there with
    "AttributeError: property 'name' of 'BZ2File' object has no setter". The stream here has
    such a property, on whichever Python runs this."""
    from mapper.engine.reader import _named

    class Source:
        name = "in.ndjson.bz2"

    class ReadOnlyName:  # 3.13's BZ2File: the name of the file it reads
        def __init__(self, fp: Any) -> None:
            self._fp = fp

        @property
        def name(self) -> str:
            return str(self._fp.name)

    src = Source()
    assert _named(ReadOnlyName(src), src).name == "in.ndjson.bz2"

    class NoName:  # 3.10-3.12's: none, given the file's
        pass

    assert _named(NoName(), src).name == "in.ndjson.bz2"


def test_a_trailing_comma_is_named_where_each_pythons_json_stops() -> None:
    """Python 3.13's json stops at a trailing comma itself ("Illegal trailing comma before end of
    object"), 3.10 to 3.12's at the bracket after it ("Expecting property name enclosed in double
    quotes"): a sink with one was told json's own words on 3.13, not where the comma is and what to
    do. Both places are given here, on whichever Python runs this."""
    from mapper.sink import _not_json_said

    obj = '{\n  "a": 1 ,\n}'
    arr = '{"a": [1, 2,\n  ]}'
    for text, at_comma, at_bracket, said in (
        (obj, obj.index(","), obj.rindex("}"), "a trailing comma in an object at line 2 column 10: JSON allows none before the closing } (remove it)"),
        (arr, arr.rindex(","), arr.index("]"), "a trailing comma in an array at line 1 column 12: JSON allows none before the closing ] (remove it)"),
    ):
        assert _not_json_said(text, at_comma) == said
        assert _not_json_said(text, at_bracket) == said
    assert _not_json_said('{"a": 1, "b": 2}', 7) == ""  # (a comma that is no trailing one: json's own words)
    assert _not_json_said('{"a": [,]}', 7) == ""  # (a value missing before it, not a trailing one)


def test_a_body_too_deep_is_placed_past_the_levels_this_python_reads(monkeypatch: Any) -> None:
    """From Python 3.12 on a request body is read as deep as the engine's decoders read (1,497
    levels on 3.12.1, 9,998 on 3.13.0), past orjson's 1,024; one deeper still was refused "nested
    too deeply at char N (more than 1,024 levels ...", N the 1,025th bracket, on a Python that read
    bodies of 1,100 levels. The levels read are measured (here a decoder that reads 1,200)."""
    import orjson

    from mapper import endpoint

    def loads(data: bytes) -> Any:
        depth = deepest = 0
        for c in data:
            depth += (c in b"[{") - (c in b"]}")
            deepest = max(deepest, depth)
        if deepest > 1200:
            raise orjson.JSONDecodeError("depth limit exceeded", data.decode(), 0)
        return orjson.loads(data) if deepest <= 1024 else None

    monkeypatch.setattr(endpoint, "_loads", loads)
    endpoint.body_depth.cache_clear()
    try:
        assert endpoint.body_depth() == 1200
        body = b'{"records":' + b"[" * 1300 + b"]" * 1300 + b"}"
        at = body.index(b"[") + 1199  # (the bracket opening level 1,201: the object is level 1)
        said = endpoint._not_json(body, "fallback", deep=True)
        assert said.startswith(f"the request body is not valid JSON: nested too deeply at char {at + 1} (more than 1,200 levels"), said
    finally:
        endpoint.body_depth.cache_clear()


def test_orjson_refuses_past_1024_levels_in_words_mapper_knows() -> None:
    """mapper reads a text orjson refuses for its nesting again, as the engine reads it (and places
    a body's refusal); before orjson 3.9.15 orjson set no limit (a record 2,500 levels deep passed
    ``Mapper.check`` on Python 3.10 while ``Batcher.add`` refused it), and 3.9.15 words the refusal
    "array and object recursion depth exceeded", later ones "depth limit exceeded"."""
    import orjson
    import pytest

    from mapper.engine.gojson import too_deep

    orjson.loads(b"[" * 1024 + b"]" * 1024)
    with pytest.raises(orjson.JSONDecodeError) as caught:
        orjson.loads(b"[" * 1025 + b"]" * 1025)
    assert too_deep(caught.value)
    assert too_deep(orjson.JSONDecodeError("array and object recursion depth exceeded: line 1 column 1026 (char 1025)", "[" * 1025, 1025))
    assert not too_deep(orjson.JSONDecodeError("unexpected character: line 1 column 2 (char 1)", "[x]", 1))
