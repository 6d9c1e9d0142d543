"""A few records' values are first judged where the exact tier's decoded records hold them
(``fast._vouch``: one generated function per sink, no column lists): it must say "all
vouched for" exactly when the lists' ``judge_all`` does, and a validate of a few lines
must report, word for word, what it reported before (the lists always made and judged)
and what the engine reports.

Differentials over values at the quick forms' edges, on a sink with nested paths (three
levels), ranges, decimals of two scales, and forms that are called (a ``dateInt``, a
timestamp in another unit, ``ids``); and a matrix over the seed sink's clean, lax and
bad records, nulls, missing fields, warnings, strict, ``allow_missing_fields``,
``on_error``.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sinks import column, id_schema

import mapper
from benchmarks.gen import SINK as SEED_SINK
from benchmarks.gen import generate
from mapper.engine import check, fast
from mapper.engine.runner import run
from mapper.errors import OptionError
from mapper.options import MapOptions
from tests.test_properties import SETTINGS

TWO51 = 2**51

SINK = id_schema(
    column("s", "string", path=["a", "s"]),
    column("n", "int", path=["a", "n"], Min=-5, Max=5),
    column("d2", "decimal", path=["a", "b", "d2"], Scale=2),
    column("d4", "decimal", path=["a", "b", "c", "d4"], Scale=4),
    column("ts", "timestamp", path=["t"], Unit="ms", Granularity="ms"),
    column("tsec", "timestamp", path=["a", "b", "c", "tsec"], Unit="s", Granularity="ms"),
    column("day", "dateInt"),
    column("ids", "ids", path=["a", "ids"]),
    column("m", "int", Min=0, Max=360),
    allow_missing=False,
)
M = mapper.compile_sink(SINK)


def _judged(m: Any) -> list[tuple[int, Any]]:
    plan = fast.plan_for(m.compiled)
    assert plan.quick is not None
    return [(ci, plan.quick[ci]) for ci, _identity in plan.quick_judged]


def _ints(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, lo - 1, hi + 1, 0, -1, 2**53, 2**53 + 1, 2**63, -(2**64)]), st.integers())


def _decimals(scale: int) -> st.SearchStrategy[Any]:
    edge = TWO51 / 10**scale
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**53), 2**53),
        st.sampled_from([-0.0, 0.0, 0, 1.005, 0.29, 123.4567, 123.45678, edge, -edge, edge - 1, 1 - edge, 2**53, 10**400, -(10**400)]),
        st.decimals(places=scale + 1, min_value=-1000, max_value=1000, allow_nan=False).map(float),
    )


def _record(i: int, draw: Any) -> dict[str, Any]:
    usual = st.sampled_from([0, 1, 5])
    return {
        "id": draw(st.one_of(st.just(i), _ints(0, 2**53))),
        "a": {
            "s": draw(st.text(min_size=1, max_size=3)),
            "n": draw(st.one_of(usual, _ints(-5, 5))),
            "b": {
                "d2": draw(st.one_of(usual, _decimals(2))),
                "c": {"d4": draw(st.one_of(usual, _decimals(4))), "tsec": draw(st.one_of(usual, _ints(0, 2**40)))},
            },
            "ids": draw(st.lists(st.one_of(usual, _ints(0, 2**64)), max_size=3)),
        },
        "t": draw(st.one_of(usual, st.integers(-(2**63), 2**63 - 1), st.integers(0, 2**41))),
        "day": draw(st.sampled_from(["2024-01-31", "2024-02-30", "1969-12-31", "9999-12-31", "x"])),
        "m": draw(st.one_of(usual, _ints(0, 360))),
    }


def _decoded(m: Any, lines: list[bytes]) -> list[Any] | None:
    return fast._exact_records(m.compiled.tiers[0], lines)


@SETTINGS
@given(st.data(), st.integers(1, 12))
def test_vouch_counts_the_records_every_form_vouches_for_and_all_exactly_when_judge_all_does(data: Any, k: int) -> None:
    lines = [json.dumps(_record(i, data.draw)).encode() for i in range(k)]
    recs = _decoded(M, lines)
    if recs is None:  # (a record the exact tier does not take never reaches either)
        return
    judged = _judged(M)
    vouch = fast._vouch(M.compiled, judged)
    assert vouch is not None
    lists = M.compiled.tiers[0].extract(recs)
    n = vouch(recs)
    assert n == min(judge(lists[ci]) for ci, judge in judged)  # (each form: how many from the first it vouches for)
    assert (n == k) is (fast._judge_all(M.compiled, judged)(lists) is None)


def _said(report: Any) -> Any:
    return (report, report.summary(), report.to_dict(), [str(e) for e in report.errors], [str(w) for w in report.warnings])


def _three_ways(m: Any, data: bytes, **options: Any) -> None:
    """validate of ``data`` in place (vouch), by the lists alone (as before vouch), by the engine: the same reports."""
    plan = fast.plan_for(m.compiled)
    few = m.validate(data, **options)
    assert callable(plan.quick_vouch)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "quick_vouch", False)  # the lists made and judged, every time
        lists = m.validate(data, **options)
        mp.setattr(check, "few_lines", lambda *args, **kwargs: None)  # the engine's way
        engine = m.validate(data, **options)
    assert _said(few) == _said(lists)
    assert _said(few) == _said(engine)


@SETTINGS
@given(st.data(), st.integers(1, 12), st.booleans())
def test_validate_of_a_few_lines_says_what_it_said_and_what_the_engine_says(data: Any, k: int, strict: bool) -> None:
    records = [_record(i, data.draw) for i in range(k)]
    _three_ways(M, b"".join(json.dumps(r).encode() + b"\n" for r in records), strict=strict)


SEED = mapper.compile_sink(SEED_SINK)
SEED_LAX_MISSING = mapper.compile_sink({**SEED_SINK, "schema": {**SEED_SINK["schema"], "allow_missing_fields": True}})


def _seed_lines(variant: str, n: int = 200) -> list[bytes]:
    return generate(n, variant).splitlines()


def _edited(line: bytes, **data: Any) -> bytes:
    rec = json.loads(line)
    for key, value in data.items():
        if value is _GONE:
            rec["data"].pop(key, None)
        else:
            rec["data"][key] = value
    return json.dumps(rec).encode()


_GONE = object()
CLEAN = _seed_lines("clean")[:10]
ODD = [
    _edited(CLEAN[0], lat=None),  # a null
    _edited(CLEAN[1], track=_GONE),  # a missing field
    _edited(CLEAN[2], lat=45.12345),  # a decimal truncated: a warning (strict: an error)
    _edited(CLEAN[3], altitude=60001),  # out of range
    _edited(CLEAN[4], speed="495"),  # a numeric string (the lax tier's)
    _edited(CLEAN[5], track=250.0),  # an integral float
    _edited(CLEAN[6], long=1e400),  # beyond float64
    _edited(CLEAN[7], speed=True),
    _edited(CLEAN[8], lat=-0.0, long=0),
    _edited(CLEAN[9], altitude=2**64),
]
CASES = {
    "clean": CLEAN,
    "lax": _seed_lines("lax")[:10],
    "bad": [line for line in _seed_lines("bad", 400)][:120],  # (1%: a few among them)
    **{f"odd {i}": [*CLEAN[:4], odd, *CLEAN[4:9]] for i, odd in enumerate(ODD)},
    "all odd": ODD,
    "one clean": CLEAN[:1],
    "one odd": ODD[2:3],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("m", [SEED, SEED_LAX_MISSING], ids=["seed", "allow_missing"])
@pytest.mark.parametrize(
    "options",
    [{}, {"strict": True}, {"on_error": "skip"}, {"on_error": "reject"}, {"on_error": "skip", "max_errors": 1}],
    ids=["endpoint", "strict", "skip", "reject", "skip_max1"],
)
def test_the_seed_sinks_few_lines_report_as_before_and_as_the_engine(case: str, m: Any, options: dict[str, Any]) -> None:
    lines = CASES[case]
    _three_ways(m, b"\n".join(lines) + b"\n", **options)
    _three_ways(m, b"\n".join(lines), **options)  # (no final newline)


def test_a_clean_few_make_no_lists_and_one_value_not_vouched_for_makes_them() -> None:
    m = mapper.compile_sink(SEED_SINK)
    plan = fast.plan_for(m.compiled)
    assert m.validate(b"\n".join(CLEAN)).accepted
    assert callable(plan.quick_vouch) and plan.quick_extract is None and plan.quick_all is None  # (judged in place only)
    report = m.validate(b"\n".join([*CLEAN[:3], ODD[3]]))
    assert [(e.record, e.line, e.column, e.code) for e in report.errors] == [(3, 4, "altitude", "out_of_range")]
    assert plan.quick_extract is not None and plan.quick_all is not None


def test_the_source_reads_each_struct_once_a_record_and_calls_the_other_forms() -> None:
    judged = _judged(M)
    vouch = fast._vouch(M.compiled, judged)
    assert vouch is not None
    source = inspect.getsource(vouch)
    assert source.startswith("def vouch(recs")
    for struct in ("r_1 = r.f1", "r_1_2 = r_1.f2", "r_1_2_1 = r_1_2.f1"):  # (a, a.b, a.b.c: each read once a record)
        assert source.count(struct) == 1, struct
    called = [ci for ci, judge in judged if fast.quick_inline(judge) is None]
    names = {c.index: c.name for c in M.compiled.columns}
    assert sorted(names[ci] for ci in called) == ["day", "ids", "tsec"]
    assert source.count("lst = [r.") == 3 and source.count("for r in recs") == 4  # (the loop, and a list per called form)
    assert "360" not in source  # (constants reach the code by name)


def test_where_the_records_cannot_be_read_in_place_the_lists_are_judged_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    m = mapper.compile_sink(SEED_SINK)
    slots = m.compiled.exact_slots(tuple(ci for ci, _judge in _judged(m)))
    names = {c.index: c.name for c in m.compiled.columns}
    assert slots is not None and {names[ci]: path for ci, path in slots.items()} == {
        "ts": (1,),
        "lat": (2, 1),
        "long": (2, 2),
        "track": (2, 3),
        "altitude": (2, 4),
        "speed": (2, 5),
    }
    assert m.compiled.exact_slots((99,)) is None  # (no such column)
    monkeypatch.setattr(m.compiled, "exact_slots", lambda wanted: None)
    report = m.validate(b"\n".join([*CLEAN[:3], ODD[3]]))
    assert fast.plan_for(m.compiled).quick_vouch is False
    assert [(e.record, e.line, e.column, e.code) for e in report.errors] == [(3, 4, "altitude", "out_of_range")]
    assert report == SEED.validate(b"\n".join([*CLEAN[:3], ODD[3]]))


def test_the_clean_few_report_is_the_one_a_run_makes_of_them() -> None:
    data = b"\n".join(CLEAN)
    for options in (MapOptions(), MapOptions(strict=True), MapOptions(on_error="skip", max_errors=0), MapOptions(on_error="reject")):
        few = run(SEED.compiled, data, options, output=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(check, "few_lines", lambda *args, **kwargs: None)  # the engine's way
            engine = run(SEED.compiled, data, options, output=False)
        assert few == engine and few.records == 10 and few.accepted
        assert (few.on_error, few.strict) == (options.on_error, options.strict)
    # warnings left out on request: an unknown kind is refused, clean records or not, as before
    with pytest.raises(OptionError, match="unknown warning kind 'nope'"):
        run(SEED.compiled, data, MapOptions(ignore_warnings=frozenset({"nope"})), output=False)
    odd = b"\n".join([*CLEAN[:3], ODD[2]])
    silenced = run(SEED.compiled, odd, MapOptions(ignore_warnings=frozenset({"decimal_truncated"})), output=False)
    assert silenced.silenced_warnings == {"decimal_truncated": 1} and not silenced.warnings
