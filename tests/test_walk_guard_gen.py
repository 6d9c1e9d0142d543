"""The generators emit walk's guard against what is not a record themselves (no editing of
generated lines afterwards): the builders alone, and the source they make, as ``m.source`` shows it."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest
from sinks import sink

import mapper
from mapper.compiler import PART_NODES, _isdict, _not_a_record, _record_guard, _Source, members
from mapper.errors import OptionError

DOC = "Walk one decoded record (a dict or another Mapping); return each column's raw value (MISSING, None, NotObject or the value)."


def _sink(definition: list[dict[str, Any]], id_field: str) -> mapper.Mapper:
    return mapper.compile_sink(json.dumps(sink(*definition, name="w", table="t", database_id="d", id_field=id_field)))


def _walk_source(m: mapper.Mapper) -> str:
    """The generated ``walk`` (its parts first, when it has some), as ``m.source`` holds it."""
    source = m.source
    return source[: source.index("\ndef extract_") + 1] if "\ndef extract_" in source else source


def _run(src: _Source, name: str) -> Any:
    namespace = dict(src.namespace)
    exec(compile("\n".join(src.lines) + "\n", "<test>", "exec"), namespace)
    return namespace[name]


def test_record_guard_of_a_walk_reading_keys_puts_the_body_in_a_try() -> None:
    src = _Source()
    src.bind("_isdict", _isdict)
    src.bind("_not_a_record", _not_a_record)
    src.bind("_members", members)
    with src.function("walk(rec)", "Doc."), _record_guard(src, reads_keys=True):
        src.emit("x = rec.get('a')")
        with src.block("if x is None:"):
            src.emit("x = 0")
        src.emit("return (x,)")
    src.emit("y = 1", 0)  # (after the function: back at the left margin)
    assert src.lines == [
        "def walk(rec):",
        '    """Doc."""',
        "    try:",
        "        if rec.__class__ is not dict: rec = _members(rec)",
        "        x = rec.get('a')",
        "        if x is None:",
        "            x = 0",
        "        return (x,)",
        "    except (AttributeError, TypeError):",
        "        if not _isdict(rec): raise _not_a_record(rec) from None",
        "        raise",
        "",
        "y = 1",
    ]
    walk = _run(src, "walk")
    assert walk({"a": 5}) == (5,) and walk({}) == (0,) and walk(MappingProxyType({"a": 6})) == (6,)
    with pytest.raises(OptionError, match=r"Mapping\), not str: "):
        walk("text")


def test_record_guard_of_a_walk_reading_no_key_looks_first() -> None:
    src = _Source()
    src.bind("_isdict", _isdict)
    src.bind("_not_a_record", _not_a_record)
    with src.function("walk(rec)", "Doc."), _record_guard(src, reads_keys=False):
        src.emit("return (len(rec),)")
    assert src.lines == ["def walk(rec):", '    """Doc."""', "    if not _isdict(rec): raise _not_a_record(rec)", "    return (len(rec),)", ""]
    walk = _run(src, "walk")
    assert walk({"a": 1}) == (1,)
    with pytest.raises(OptionError, match=r"Mapping\), not list: "):
        walk([1, 2])


def test_a_block_gives_its_depth_back_when_generating_its_body_fails() -> None:
    src = _Source()
    with pytest.raises(ZeroDivisionError), src.block("try:"):
        src.emit("x = 1")
        1 / 0  # noqa: B018
    src.emit("y = 2")
    assert src.lines == ["    try:", "        x = 1", "    y = 2"]


def test_the_generated_walk_reads_as_written() -> None:
    m = _sink([{"name": "id", "path": ["id"], "type": "id"}, {"name": "x", "path": ["data", "x"], "type": "int"}], "id")
    assert _walk_source(m) == (
        "def walk(rec, _M=_M, _isdict=_isdict, _down=_down, _jg=_jg, _members=_members, _k1=_k1, _k2=_k2, _k3=_k3):\n"
        f'    """{DOC}"""\n'
        "    try:\n"
        "        if rec.__class__ is not dict: rec = _members(rec)\n"
        "        n1 = rec.get(_k1, _M)\n"
        "        n2 = rec.get(_k2, _M)\n"
        "        if n2.__class__ is not dict: n2 = _down(n2, 2)\n"
        "        n3 = n2.get(_k3, _M) if n2.__class__ is dict else n2\n"
        "        return (n1, n3,)\n"
        "    except (AttributeError, TypeError):\n"
        "        if not _isdict(rec): raise _not_a_record(rec) from None\n"
        "        raise\n"
        "\n"
    )


def test_a_walk_of_jmespath_columns_alone_looks_at_the_record_first() -> None:
    m = _sink([{"name": "x", "path": "length(tags)", "type": "id"}], "x")
    assert _walk_source(m) == (
        "def walk(rec, _M=_M, _isdict=_isdict, _down=_down, _jg=_jg, _members=_members, _jp0=_jp0):\n"
        f'    """{DOC}"""\n'
        "    if not _isdict(rec): raise _not_a_record(rec)\n"
        "    c0 = _jp0(rec)\n"
        "    return (c0,)\n"
        "\n"
    )


def test_a_walk_in_parts_has_its_try_in_the_joining_function_alone() -> None:
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": "length(tags)", "type": "int"}]
    m = _sink(definition + [{"name": f"c{i}", "path": ["a", f"k{i}"], "type": "int"} for i in range(PART_NODES + 5)], "id")
    source = _walk_source(m)
    assert source.count("try:") == 1 and source.count("def ") == 3
    assert source[source.index("\ndef walk(") + 1 :] == (
        "def walk(rec, _walk0=_walk0, _walk1=_walk1, _perm_walk=_perm_walk, _jp1=_jp1):\n"
        f'    """{DOC}"""\n'
        "    try:\n"
        "        if rec.__class__ is not dict: rec = _members(rec)\n"
        "        return _perm_walk(_walk0(rec) + _walk1(rec) + (_jp1(rec),) + (None,))\n"
        "    except (AttributeError, TypeError):\n"
        "        if not _isdict(rec): raise _not_a_record(rec) from None\n"
        "        raise\n"
        "\n"
    )
    with pytest.raises(OptionError, match=r"Mapping\), not str: "):
        m.walk("text")
