"""A few of a caller's dicts are validated without an engine run (``validate_dicts``), saying
exactly what an engine run over the same dicts says.

The quick route trusts a column's values only where the exact tier's decoder could have
made them (exact types, no empty string where the tier takes none, no lone surrogate,
no NaN); every other record goes down the careful path whole. These tests hold it to
the engine, record for record, on hostile Python values, and check that the route is
taken at all (else they would prove nothing).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sinks import column, id_schema, schema

import mapper
from mapper.engine import runner
from mapper.engine.check import SMALL_INPUT, few_dicts
from mapper.options import MapOptions
from tests.test_objects import Hooked, _everything
from tests.test_properties import FULL_SINK, SETTINGS, messy_records

# every type here has a quick form, so the route applies (a Layout timestamp or a dateInt has none)
QUICK_SINK = id_schema(
    column("s", "string", path=["d", "s"]),
    column("ss", "strings", path=["d", "ss"]),
    column("ii", "ids", path=["d", "ii"]),
    column("n", "int", path=["d", "n"], Min=-1000, Max=1000),
    column("dec", "decimal", path=["d", "dec"], Scale=2),
    column("b", "bool", path=["d", "b"]),
    column("ts", "timestamp", Unit="ms", Granularity="ms"),
)

PK_SINK = schema(column("k1", "string"), column("k2", "string"), column("n", "int"), primary_key_fields=["k1", "k2"], allow_missing=False)


class Str(str):
    pass


class Int(int):
    pass


GOOD = {"id": 7, "ts": 1659981468260, "d": {"s": "a", "ss": ["x", "y"], "ii": [1, 2], "n": 5, "dec": 1.25, "b": True}}

# one hostile value at a time, each where the exact tier's decoder would never have put it
HOSTILE: list[tuple[str, Any]] = [
    ("s", None),
    ("s", ""),
    ("s", Str("sub")),
    ("s", "lone \ud800 surrogate"),
    ("s", 12),
    ("s", {"nested": 1}),
    ("ss", ["ok", "\udfff"]),
    ("ss", ["ok", 3]),
    ("ss", ("a", "b")),
    ("ss", []),
    ("ii", [1, 2.5]),
    ("ii", [True]),
    ("ii", [2**64]),
    ("ii", [-1]),
    ("n", True),
    ("n", 5.0),
    ("n", Int(5)),
    ("n", 2**70),
    ("n", 1001),
    ("n", "5"),
    ("dec", math.nan),
    ("dec", math.inf),
    ("dec", -math.inf),
    ("dec", 1e308),
    ("dec", 1.234),
    ("dec", 2**80),
    ("dec", 3),
    ("b", 1),
    ("b", "true"),
    ("ts", -(2**63)),
    ("ts", 1.5),
]


def _with(key: str, value: Any) -> dict[str, Any]:
    rec = {"id": GOOD["id"], "ts": GOOD["ts"], "d": dict(GOOD["d"])}
    if key in ("id", "ts"):
        rec[key] = value
    else:
        rec["d"][key] = value
    return rec


def _engine_report(m: mapper.Mapper, records: Any, **options: Any) -> mapper.Report:
    """The reference: an engine run over the same records (units, builders, report)."""
    return runner._run_engine(m.compiled, records, MapOptions(**options), output=False)[1]


def test_the_route_is_taken_for_a_few_plain_dicts_only():
    m = mapper.compile_sink(QUICK_SINK)
    opts = MapOptions()
    assert few_dicts(m.compiled, [GOOD], opts) == [GOOD]
    assert few_dicts(m.compiled, (GOOD, GOOD), opts) == [GOOD, GOOD]
    assert few_dicts(m.compiled, [GOOD] * SMALL_INPUT, opts) is not None
    # too many, none, another mapping, a non-record, other options: the engine's way
    assert few_dicts(m.compiled, [GOOD] * (SMALL_INPUT + 1), opts) is None
    assert few_dicts(m.compiled, [], opts) is None
    assert few_dicts(m.compiled, [GOOD, OrderedDict(GOOD)], opts) is None
    assert few_dicts(m.compiled, [GOOD, "text"], opts) is None
    assert few_dicts(m.compiled, [GOOD], MapOptions(fast=False)) is None
    assert few_dicts(m.compiled, [GOOD], MapOptions(records_path=("items",))) is None
    # a sink with no quick forms (a primary key printed from a number: -0 to look for): the engine's way
    numeric_key = {**{k: v for k, v in QUICK_SINK.items() if k != "id_field"}, "primary_key_fields": ["n"]}
    assert few_dicts(mapper.compile_sink(numeric_key).compiled, [GOOD], opts) is None


@pytest.mark.parametrize(("key", "value"), HOSTILE, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("options", [{}, {"strict": True}, {"on_error": "skip"}])
def test_each_hostile_value_is_judged_as_an_engine_run_judges_it(key, value, options):
    m = mapper.compile_sink(QUICK_SINK)
    recs = [GOOD, _with(key, value), GOOD]
    assert few_dicts(m.compiled, recs, MapOptions(**options)) is not None
    assert _everything(m.validate(recs, **options)) == _everything(_engine_report(m, recs, **options))


def test_hostile_records_keep_their_places_among_good_ones():
    m = mapper.compile_sink(QUICK_SINK)
    recs = [_with(key, value) if i % 2 else GOOD for i, (key, value) in enumerate(HOSTILE * 2)][:SMALL_INPUT]
    recs[3] = {"id": 3, "d": ["not", "an", "object"]}  # the generated walk cannot take it
    recs[5] = {"d": {}}  # everything missing
    rep = m.validate(recs, on_error="skip")
    assert _everything(rep) == _everything(_engine_report(m, recs, on_error="skip"))
    assert rep.failed_records > 10 and {e.record for e in rep.errors} >= {3}


@pytest.mark.parametrize("k1", ["a", "", None, Str("a"), "\ud800", 5])
def test_primary_key_values_are_judged_as_an_engine_run_judges_them(k1):
    m = mapper.compile_sink(PK_SINK)
    recs = [{"k1": "x", "k2": "y", "n": 1}, {"k1": k1, "k2": "y", "n": 2}]
    assert few_dicts(m.compiled, recs, MapOptions()) is not None
    assert _everything(m.validate(recs)) == _everything(_engine_report(m, recs))


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**66), 2**66),
    st.integers(-1000, 1000),
    st.floats(),
    st.sampled_from(["", "a", "\ud800", "007", "true", "1.5", Str("s"), Int(3)]),
    st.lists(st.one_of(st.integers(-2, 2**64), st.sampled_from(["", "x", "\udc00"]), st.booleans(), st.floats(0, 3)), max_size=3),
)


@st.composite
def few_records(draw: Any) -> list[dict[str, Any]]:
    recs = []
    for _ in range(draw(st.integers(1, 12))):
        rec = _with("s", "v")
        for key in ("id", "ts", "s", "ss", "ii", "n", "dec", "b"):
            choice = draw(st.integers(0, 5))
            if choice == 0:  # left out
                (rec if key in ("id", "ts") else rec["d"]).pop(key)
            elif choice == 1:
                (rec if key in ("id", "ts") else rec["d"])[key] = draw(values)
        recs.append(rec)
    return recs


@settings(SETTINGS, max_examples=80)
@given(few_records(), st.sampled_from([{}, {"strict": True}, {"on_error": "skip"}]))
def test_a_few_messy_dicts_say_what_an_engine_run_says(recs, options):
    m = mapper.compile_sink(QUICK_SINK)
    assert few_dicts(m.compiled, recs, MapOptions(**options)) is not None
    assert _everything(m.validate(recs, **options)) == _everything(_engine_report(m, recs, **options))


def test_a_nested_mapping_whose_get_validates_again_keeps_each_answer_apart():
    # the careful path walks a nested mapping with its own get: a hook there that validates
    # or checks on the same thread must not take the thread's checker from under the outer run
    m = mapper.compile_sink(QUICK_SINK)
    bad = dict(GOOD["d"], n="x", s=5)
    plain = [GOOD, {"id": 1, "ts": 2, "d": bad}, GOOD]
    want = _everything(_engine_report(m, plain))
    assert want[5] or want[4]  # (the bad record says something)
    hooks = [lambda: m.validate([GOOD, _with("n", "y")]), lambda: m.check(_with("s", 3)), lambda: m.validate(b'{"id": 4}')]
    for hook in hooks:
        hooked = [GOOD, {"id": 1, "ts": 2, "d": Hooked(bad, hook)}, GOOD]
        assert few_dicts(m.compiled, hooked, MapOptions()) is not None
        assert _everything(m.validate(hooked)) == want
        assert _everything(m.validate(plain)) == want  # and the thread's checker is whole after


def test_records_the_quick_route_declines_are_judged_the_careful_way(monkeypatch):
    # validate_dicts counts its records whatever happens: were the quick route to decline
    # them, they would have been counted and never judged (accepted unseen)
    from mapper.engine import check

    m = mapper.compile_sink(QUICK_SINK)
    recs = [GOOD, _with("n", "x"), GOOD]
    want = _everything(_engine_report(m, recs))
    monkeypatch.setattr(check, "map_few_dicts", lambda *args: False)
    assert _everything(m.validate(recs)) == want and want[4]  # (the bad record's error is there)


@settings(SETTINGS, max_examples=40)
@given(messy_records(max_records=12), st.sampled_from([{}, {"strict": True}, {"on_error": "skip"}]))
def test_a_sink_whose_quick_forms_convert_says_what_an_engine_run_says(recs, options):
    # FULL_SINK has a timestamp layout and a dateInt: their quick forms are their converters
    m = mapper.compile_sink(FULL_SINK)
    assert few_dicts(m.compiled, recs, MapOptions(**options)) is not None
    assert _everything(m.validate(recs, **options)) == _everything(_engine_report(m, recs, **options))


def test_columns_of_one_screen_are_screened_as_one_list_then_column_by_column_when_one_fails(monkeypatch):
    from mapper.engine import fast

    m = mapper.compile_sink(QUICK_SINK)
    screens = fast.plan_for(m.compiled).dict_exact
    assert screens is not None
    recs = [GOOD] * 10
    odd = [*recs[:9], _with("s", "")]  # an empty string where the column takes none: its screen's columns one by one
    want, want_odd = _everything(_engine_report(m, recs)), _everything(_engine_report(m, odd))
    calls: list[int] = []
    real = fast._fits
    monkeypatch.setattr(fast, "_fits", lambda lst, screen: (calls.append(len(lst)), real(lst, screen))[1])
    monkeypatch.setattr(fast.plan_for(m.compiled), "dict_vouch", False)  # (the lists screened: not judged in place first)
    assert _everything(m.validate(recs)) == want
    assert len(calls) == len(set(screens.values())) < len(screens)  # one call a screen, not a column
    calls.clear()
    assert _everything(m.validate(odd)) == want_odd
    assert len(calls) > len(set(screens.values()))
