"""A few dicts judged in place (``fast.vouch_dicts``) on a sink whose keys are hazards for
generated code: a Python keyword, a dunder, the generated function's own local names
(``r``, ``i``, ``odd``), a dotted key, a line separator, a 5,000-character key, paths
sharing prefixes and two columns on one path. The reports must be the ones the lists
and the engine make, the clean record must be vouched for, and no key may be written
into the generated source (each is bound as a value)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

import mapper
from mapper.engine import fast
from tests.test_quick_vouch_dicts import _three_ways

LONG = "k" * 5000
SEP = "é\u2028"
SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [
        {"name": "id", "path": ["class"], "type": "id"},
        {"name": "a", "path": ["__class__"], "type": "int", "config": {"Min": -5, "Max": 5}},
        {"name": "b", "path": ["a.b", SEP, "r"], "type": "decimal", "config": {"Scale": 2}},
        {"name": "b2", "path": ["a.b", SEP, "i"], "type": "int", "config": {"Min": 0, "Max": 2**63 - 1}},
        {"name": "c", "path": ["a.b", "odd"], "type": "string"},
        {"name": "c2", "path": ["a.b", "odd"], "type": "string"},
        {"name": "d", "path": [LONG, "x"], "type": "strings"},
        {"name": "e", "path": [LONG, "y"], "type": "ids"},
        {"name": "f", "path": ["None"], "type": "bool"},
    ],
}
M = mapper.compile_sink(SINK)
GOOD: dict[str, Any] = {"class": 1, "__class__": 3, "a.b": {SEP: {"r": 1.25, "i": 7}, "odd": "v"}, LONG: {"x": ["p"], "y": [1]}, "None": True}
PATHS = [["class"], ["__class__"], ["a.b"], ["a.b", SEP], ["a.b", SEP, "r"], ["a.b", SEP, "i"], ["a.b", "odd"], [LONG], [LONG, "x"], [LONG, "y"], ["None"]]


class Text(str):
    pass


_GONE = object()
ODD = [None, True, 0.0, -0.0, 6, -6, 5.0, 2**63, 1.255, float("nan"), Decimal("1.5"), Text("v"), "", "\ud800", b"v", [""], ["\ud800"], [True], {}, _GONE]


def _with(path: list[str], value: Any) -> dict[str, Any]:
    rec = copy.deepcopy(GOOD)
    node = rec
    for key in path[:-1]:
        node = node[key]
    if value is _GONE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return rec


def test_the_clean_record_is_vouched_for_and_no_key_is_in_the_source() -> None:
    assert _three_ways(M, [GOOD, GOOD])
    plan = fast.plan_for(M.compiled)
    assert callable(plan.dict_vouch)
    screens, quick = plan.dict_exact, plan.quick
    assert screens is not None and quick is not None
    paths = M.compiled.dict_paths(tuple(screens))
    assert paths is not None
    source, _namespace = fast._vouch_dicts_source(screens, {ci: quick[ci] for ci, _identity in plan.quick_judged}, paths)
    for key in ("class", "__class__", "a.b", SEP, "None", LONG):
        assert repr(key) not in source and f'"{key}"' not in source


@pytest.mark.parametrize("options", [{}, {"strict": True}, {"on_error": "skip", "max_errors": 1}])
def test_an_odd_value_on_any_hazardous_path_reports_as_the_engine(options: dict[str, Any]) -> None:
    vouched = [(path, value) for path in PATHS for value in ODD if _three_ways(M, [GOOD, _with(path, value), GOOD], **options)]
    assert len(vouched) < len(PATHS) * len(ODD) // 4  # (most odd values are not: the lists judged them)
