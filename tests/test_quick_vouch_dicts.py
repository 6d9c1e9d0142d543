"""A few of a caller's dicts are first judged where they hold their values
(``fast.vouch_dicts``: one generated function per sink, no column lists, no checker):
when it vouches for every value, a validate of them must report, word for word, what
it reported before (the lists always made, screened and judged) and what the engine
reports.

Differentials over the nested sink of ``test_quick_vouch`` (three levels, ranges,
decimals, called forms) with odd values put anywhere (None, bools, NaN and infinities,
big ints, str subclasses, empty and surrogate strings, lists, dict subclasses and
other mappings, missing keys); and a matrix over the seed sink's dicts, the same odd
values, strict, ``allow_missing_fields``, ``on_error``.
"""

from __future__ import annotations

import inspect
import json
from collections import UserDict
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mapper
from benchmarks.gen import SINK as SEED_SINK
from benchmarks.gen import generate
from mapper.engine import check, fast
from mapper.engine.runner import run
from mapper.errors import OptionError
from mapper.options import MapOptions
from tests.test_few_dicts import GOOD, HOSTILE, QUICK_SINK, _with
from tests.test_properties import SETTINGS
from tests.test_quick_vouch import SEED, SEED_LAX_MISSING, M, _record, _said


class Text(str):
    pass


class SubDict(dict):  # type: ignore[type-arg]
    pass


_GONE = object()
ODD_VALUES = [
    None,
    True,
    False,
    float("nan"),
    float("inf"),
    -float("inf"),
    2**64,
    -(2**63) - 1,
    10**400,
    Text("x"),
    Text("2024-01-31"),
    "",
    "\ud800",
    "a\udfffb",
    "é",
    "2024-01-31",
    1.5,
    3.0,
    [],
    [1, None],
    {"x": 1},
    SubDict(),
    UserDict({"s": "x"}),
    _GONE,
]


def _three_ways(m: Any, records: Any, **options: Any) -> bool:
    """validate of the dicts in place (vouch: the others by the lists), by the lists alone (as
    before vouch), by the engine: the same reports. Returns whether vouch took them all (no
    record left for the lists)."""
    plan = fast.plan_for(m.compiled)
    took = []
    vouch = fast.vouch_dicts
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check, "vouch_dicts", lambda c, recs: took.append(vouch(c, recs)) or took[-1])
        few = m.validate(records, **options)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "dict_vouch", False)  # the lists made and judged, every time
        lists = m.validate(records, **options)
        mp.setattr(check, "few_dicts", lambda *args, **kwargs: None)  # the engine's way
        engine = m.validate(records, **options)
    assert _said(few) == _said(lists)
    assert _said(few) == _said(engine)
    if took and took[0] == []:
        assert few.accepted and not few.errors and not few.warnings
    return bool(took and took[0] == [])


def _put(rec: dict[str, Any], path: list[str], value: Any) -> None:
    node = rec
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):  # (a value above was put in already)
        return
    if value is _GONE:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


PATHS = [
    ["id"],
    ["a"],
    ["a", "s"],
    ["a", "n"],
    ["a", "b"],
    ["a", "b", "d2"],
    ["a", "b", "c"],
    ["a", "b", "c", "d4"],
    ["a", "b", "c", "tsec"],
    ["a", "ids"],
    ["t"],
    ["day"],
    ["m"],
]


@SETTINGS
@given(st.data(), st.integers(1, 12), st.booleans(), st.booleans())
def test_validate_of_a_few_dicts_says_what_it_said_and_what_the_engine_says(data: Any, k: int, strict: bool, odd: bool) -> None:
    records = [_record(i, data.draw) for i in range(k)]
    if odd:
        for _ in range(data.draw(st.integers(1, 3))):
            rec = records[data.draw(st.integers(0, k - 1))]
            _put(rec, data.draw(st.sampled_from(PATHS)), data.draw(st.sampled_from(ODD_VALUES)))
    _three_ways(M, records, strict=strict)


def test_the_nested_sinks_usual_dicts_are_vouched_for_in_place() -> None:
    records = [
        {"id": i, "a": {"s": "x", "n": 1, "b": {"d2": 1.5, "c": {"d4": 0.25, "tsec": 5}}, "ids": [1, 2]}, "t": 5, "day": "2024-01-31", "m": 1} for i in range(3)
    ]
    assert _three_ways(M, records)
    for path in PATHS:
        for value in ODD_VALUES:
            changed = json.loads(json.dumps(records))
            _put(changed[1], path, value)
            _three_ways(M, changed)


def _seed_dicts(variant: str, n: int = 200) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in generate(n, variant).splitlines()]


CLEAN = _seed_dicts("clean")[:10]


def _edited(rec: dict[str, Any], **data: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(rec))
    for key, value in data.items():
        _put(out, ["data", key], value)
    return out


ODD = [
    _edited(CLEAN[0], lat=None),  # a null
    _edited(CLEAN[1], track=_GONE),  # a missing field
    _edited(CLEAN[2], lat=45.12345),  # a decimal truncated: a warning (strict: an error)
    _edited(CLEAN[3], altitude=60001),  # out of range
    _edited(CLEAN[4], speed="495"),  # a numeric string (the lax tier's)
    _edited(CLEAN[5], track=250.0),  # an integral float
    _edited(CLEAN[6], long=float("inf")),
    _edited(CLEAN[7], speed=True),  # a bool where an int goes
    _edited(CLEAN[8], lat=-0.0, long=0),  # (vouched for: no key printed from numbers)
    _edited(CLEAN[9], altitude=2**64),
    _edited(CLEAN[0], lat=float("nan")),
    _edited(CLEAN[1], long=-float("inf")),
    _edited(CLEAN[2], altitude=10**400),
    _edited(CLEAN[3], reg=Text("ABC")),  # a str subclass
    _edited(CLEAN[4], reg=""),
    _edited(CLEAN[5], reg="a\ud800"),
    _edited(CLEAN[6], reg="Zürich"),  # not ASCII, no surrogate: vouched for
    {**CLEAN[7], "data": SubDict(CLEAN[7]["data"])},  # a nested dict subclass
    {**CLEAN[8], "data": UserDict(CLEAN[8]["data"])},  # a nested Mapping, not a dict
    {**CLEAN[9], "data": None},
    {k: v for k, v in CLEAN[0].items() if k != "data"},
    {Text(k): v for k, v in CLEAN[1].items()},  # keys of a str subclass: found all the same (vouched for)
]
CASES: dict[str, Any] = {
    "clean": CLEAN,
    "lax": _seed_dicts("lax")[:10],
    "bad": _seed_dicts("bad", 400)[:120],
    **{f"odd {i}": [*CLEAN[:4], odd, *CLEAN[4:9]] for i, odd in enumerate(ODD)},
    "all odd": ODD,
    "one clean": CLEAN[:1],
    "one odd": ODD[2:3],
    "a dict subclass": [*CLEAN[:3], SubDict(CLEAN[3])],
    "a Mapping": [*CLEAN[:3], UserDict(CLEAN[3])],
    "a tuple": tuple(CLEAN),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("m", [SEED, SEED_LAX_MISSING], ids=["seed", "allow_missing"])
@pytest.mark.parametrize(
    "options",
    [{}, {"strict": True}, {"on_error": "skip"}, {"on_error": "reject"}, {"on_error": "skip", "max_errors": 1}],
    ids=["endpoint", "strict", "skip", "reject", "skip_max1"],
)
def test_the_seed_sinks_few_dicts_report_as_before_and_as_the_engine(case: str, m: Any, options: dict[str, Any]) -> None:
    _three_ways(m, CASES[case], **options)


def test_the_clean_few_are_vouched_for_and_make_no_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    m = mapper.compile_sink(SEED_SINK)
    plan = fast.plan_for(m.compiled)
    assert _three_ways(m, CLEAN) and _three_ways(m, CLEAN[:1]) and _three_ways(m, [*CLEAN[:3], ODD[16]])  # (Zürich)
    assert callable(plan.dict_vouch)
    monkeypatch.setattr(fast, "map_few_dicts", None)  # (would raise if called)
    monkeypatch.setattr(check, "map_few_dicts", None)
    assert m.validate(CLEAN).accepted and m.validate(tuple(CLEAN[:1])).records == 1
    for i, odd in enumerate(ODD):
        assert fast.vouch_dicts(m.compiled, [*CLEAN[:3], odd, *CLEAN[:2]]) == ([] if i in (8, 16, 21) else [3]), i


def test_the_source_reads_each_nested_dict_once_a_record() -> None:
    vouch = fast._vouch_dicts(M.compiled, fast.plan_for(M.compiled))
    assert vouch is not None
    source = inspect.getsource(vouch)
    assert source.startswith("def vouch(recs") and source.count("for i, r in enumerate(recs)") == 1
    assert source.count("is not dict") == 3  # (a, a.b, a.b.c: each read and tested once a record)
    assert "360" not in source  # (constants reach the code by name)


def test_where_the_dicts_cannot_be_read_in_place_the_lists_are_judged_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    m = mapper.compile_sink(SEED_SINK)
    names = {c.index: c.name for c in m.compiled.columns}
    paths = m.compiled.dict_paths(tuple(fast.plan_for(m.compiled).dict_exact or ()))
    assert paths is not None and {names[ci]: p for ci, p in paths.items()}["altitude"] == ("data", "altitude")
    assert m.compiled.dict_paths((99,)) is None and m.compiled.dict_paths(()) is None
    monkeypatch.setattr(m.compiled, "dict_paths", lambda wanted: None)
    report = m.validate([*CLEAN[:3], ODD[3]])
    assert fast.plan_for(m.compiled).dict_vouch is False
    assert [(e.record, e.column, e.code) for e in report.errors] == [(3, "altitude", "out_of_range")]
    assert report == SEED.validate([*CLEAN[:3], ODD[3]])
    assert m.validate(CLEAN).accepted


def test_the_clean_few_report_is_the_one_a_run_makes_of_them() -> None:
    for options in (MapOptions(), MapOptions(strict=True), MapOptions(on_error="skip", max_errors=0), MapOptions(on_error="reject")):
        few = run(SEED.compiled, CLEAN, options, output=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(check, "few_dicts", lambda *args, **kwargs: None)  # the engine's way
            engine = run(SEED.compiled, CLEAN, options, output=False)
        assert few == engine and few.records == 10 and few.accepted
        assert (few.on_error, few.strict) == (options.on_error, options.strict)
    with pytest.raises(OptionError, match="unknown warning kind 'nope'"):
        run(SEED.compiled, CLEAN, MapOptions(ignore_warnings=frozenset({"nope"})), output=False)
    silenced = run(SEED.compiled, [*CLEAN[:3], ODD[2]], MapOptions(ignore_warnings=frozenset({"decimal_truncated"})), output=False)
    assert silenced.silenced_warnings == {"decimal_truncated": 1} and not silenced.warnings
    # warnings left out, every dict vouched for: nothing to judge (the report builder made all the same)
    quiet = MapOptions(ignore_warnings=frozenset({"decimal_truncated"}))
    few = run(SEED.compiled, CLEAN, quiet, output=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check, "few_dicts", lambda *args, **kwargs: None)  # the engine's way
        engine = run(SEED.compiled, CLEAN, quiet, output=False)
    assert _said(few) == _said(engine) and few.accepted and few.records == 10


QUICK = mapper.compile_sink(QUICK_SINK)


@pytest.mark.parametrize(("key", "value"), HOSTILE, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("options", [{}, {"strict": True}, {"on_error": "skip"}])
def test_arrays_bools_and_hostile_values_of_another_sink_report_as_before(key: str, value: Any, options: dict[str, Any]) -> None:
    assert _three_ways(QUICK, [GOOD, GOOD], **options)  # (arrays of strings and ints, a bool: vouched for in place)
    took = _three_ways(QUICK, [GOOD, _with(key, value), GOOD], **options)
    assert took is ((key, repr(value)) in {("ss", "[]"), ("dec", "3")})  # (the others: a report, or not the exact tier's)


def test_only_the_records_not_vouched_for_are_judged_by_the_lists_at_their_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    m = mapper.compile_sink(SEED_SINK)
    calls: list[Any] = []
    real = fast.map_few_dicts
    monkeypatch.setattr(check, "map_few_dicts", lambda c, recs, careful, rows=None: (calls.append((len(recs), rows)), real(c, recs, careful, rows))[1])
    records = [*CLEAN[:3], ODD[3], *CLEAN[3:6], ODD[0], ODD[13], *CLEAN[6:]]
    report = m.validate(records)
    assert calls == [(3, [3, 7, 8])]  # (a value out of range, a null, a str subclass: those three, at their rows)
    assert [(e.record, e.column, e.code) for e in report.errors] == [(3, "altitude", "out_of_range")]
    monkeypatch.setattr(fast.plan_for(m.compiled), "dict_vouch", False)  # the lists of them all, as before
    assert _said(report) == _said(m.validate(records))
    assert calls[1:] == [(len(records), None)]
