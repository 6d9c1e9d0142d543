"""``m.walk`` (the generated walk itself) given what is not a record: an OptionError naming what it takes."""

from __future__ import annotations

import inspect
import json
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from sinks import sink

import mapper
from mapper.compiler import PART_NODES
from mapper.errors import OptionError

ROOT = Path(__file__).resolve().parents[1]
AIRCRAFT = mapper.compile_sink(ROOT / "examples" / "aircraft" / "sink.json")


def _sink(definition: list[dict[str, Any]], id_field: str) -> mapper.Mapper:
    return mapper.compile_sink(json.dumps(sink(*definition, name="w", table="t", database_id="d", id_field=id_field)))


JMESPATH_ONLY = _sink([{"name": "x", "path": "length(tags)", "type": "id"}], "x")
# more path nodes than one generated function takes: walk joins its parts' tuples
PARTS = _sink([{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": ["a", f"k{i}"], "type": "int"} for i in range(PART_NODES + 5)], "id")


@pytest.mark.parametrize("m", [AIRCRAFT, JMESPATH_ONLY, PARTS], ids=["paths", "jmespath only", "parts"])
@pytest.mark.parametrize(("given", "said"), [("text", "str"), (None, "None"), ([{"id": 1}], "list"), (5, "int"), (b"{}", "bytes")])
def test_walk_of_what_is_not_a_mapping_says_what_it_takes(m: mapper.Mapper, given: Any, said: str) -> None:
    # was AttributeError: 'str' object has no attribute 'get' (from the generated code); JMESPath
    # columns alone walked a string as a record holding nothing
    with pytest.raises(OptionError) as info:
        m.walk(given)
    assert str(info.value).startswith(f"walk takes one decoded record, a dict (or another Mapping), not {said}: m.check(record) takes"), info.value
    assert info.value.__cause__ is None and info.value.__suppress_context__ or info.value.__context__ is None


@pytest.mark.parametrize("m", [AIRCRAFT, JMESPATH_ONLY, PARTS], ids=["paths", "jmespath only", "parts"])
def test_walk_of_a_mapping_is_as_before(m: mapper.Mapper) -> None:
    rec = {"id": "a", "tags": [1, 2], "a": {"k1": 3}}
    walked = m.walk(rec)
    assert walked == m.walk(OrderedDict(rec)) == m.walk(MappingProxyType(rec))
    assert inspect.getsource(m.walk).startswith("def walk(")  # (the generated function itself)
    assert AIRCRAFT.walk({"id": "r"})[0] == "r"


def test_an_error_inside_a_mappings_own_get_is_its_own() -> None:
    class Broken(dict):  # type: ignore[type-arg]
        def get(self, key: Any, default: Any = None) -> Any:
            raise AttributeError("its own")

    with pytest.raises(AttributeError, match="its own"):  # (a member read through its get: see mapper.compiler.members)
        AIRCRAFT.walk(Broken(id="r"))
