"""A few records' quick forms are asked in one generated function per sink
(``fast._judge_all``): it must vouch for every value exactly when each column's own quick
form does, and a validate of a few lines must report what the engine reports.

Differentials over values at the forms' edges: a range's Min and Max and one beyond,
2**53, bools where ints go, decimals at every scale near 2**51 and with one fraction
digit too many, negative zero, ints too big for a float.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sinks import column, id_schema

import mapper
from mapper.engine import check, fast
from mapper.types.base import quick_range
from mapper.types.decimal import decimal_quick
from tests.test_properties import SETTINGS

TWO51 = 2**51


def _odd(lst: list[Any]) -> int:
    """A quick form of no inline kind (called): vouches for the leading odd ints."""
    for i, v in enumerate(lst):
        if not (v.__class__ is int and v % 2):
            return i
    return len(lst)


#: (column index, quick form): two ranges sharing bounds (tested as one list), decimals of three scales
FORMS = [
    (0, quick_range(0, 360)),
    (2, quick_range(-2000, 60000)),
    (3, quick_range(0, 360)),
    (4, decimal_quick(4)),
    (5, decimal_quick(0)),
    (6, decimal_quick(4)),
    (7, decimal_quick(2)),
    (8, _odd),
    (9, quick_range(-(2**53), 2**53)),
]


def _ints(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, lo - 1, hi + 1, 0, True, False]), st.integers())


def _decimals(scale: int) -> st.SearchStrategy[Any]:
    edge = TWO51 / 10**scale
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**53), 2**53),
        st.sampled_from([-0.0, 0.0, 0, 1.005, 0.29, 123.4567, 123.45678, edge, -edge, edge - 1, 1 - edge, 2**53, 10**400, -(10**400), True]),
        st.decimals(places=scale + 1, min_value=-1000, max_value=1000, allow_nan=False).map(float),
    )


STRATEGIES = {
    0: _ints(0, 360),
    2: _ints(-2000, 60000),
    3: _ints(0, 360),
    4: _decimals(4),
    5: _decimals(0),
    6: _decimals(4),
    7: _decimals(2),
    8: st.one_of(st.integers(-9, 9), st.sampled_from([True, 1.0])),
    9: _ints(-(2**53), 2**53),
}


@SETTINGS
@given(st.data(), st.integers(1, 12))
def test_the_generated_judge_vouches_exactly_when_every_form_does(data: Any, n: int) -> None:
    lists: list[Any] = [None] * 10
    for ci, strategy in STRATEGIES.items():
        # mostly values every form vouches for, so the answer goes both ways
        lists[ci] = data.draw(st.lists(st.one_of(strategy, st.sampled_from([1, 7, 359])), min_size=n, max_size=n))
    vouched = {ci for ci, judge in FORMS if judge(lists[ci]) == n}
    wanting = JUDGE(tuple(lists))
    if wanting is None:
        assert vouched == set(dict(FORMS))
    else:  # the columns left to ask: every one wanting among them, and some is
        rest, known, at = wanting
        assert set(dict(FORMS)) - rest <= vouched
        assert not rest <= vouched
        if known != -1:  # (a decimal column: where its form stops vouching)
            assert known in rest and dict(FORMS)[known](lists[known]) == at < n


def test_all_vouched_and_one_not() -> None:
    good = [0, None, -2000, 360, 12.5, -5.0, -0.0, 0.01, 3, 2**53]
    lists = [[v] for v in good]
    assert [judge([good[ci]]) for ci, judge in FORMS] == [1] * len(FORMS)
    assert JUDGE(tuple(lists)) is None
    for ci, bad in [
        (0, 361),
        (2, 60001),
        (3, -1),
        (4, 1.00001),
        (4, -TWO51 / 10**4),
        (5, 0.5),
        (5, -TWO51),
        (5, float(TWO51)),
        (6, TWO51 / 10**4),
        (7, 10**400),
        (8, 2),
        (9, 2**53 + 1),
    ]:
        worse = list(lists)
        worse[ci] = [good[ci], bad]
        assert dict(FORMS)[ci]([good[ci], bad]) == 1, (ci, bad)  # (its own form refuses it)
        wanting = JUDGE(tuple(worse))
        assert wanting is not None and ci in wanting[0], (ci, bad)
        if wanting[1] != -1:
            assert wanting[1:] == (ci, 1)


def test_the_source_binds_its_constants_and_names_its_lines() -> None:
    source, namespace = fast._judge_all_source(FORMS)
    assert "360" not in source and "_c0" in namespace  # (constants reach the code by name)
    assert source.count("min(") == 3  # two ranges sharing bounds: one min
    assert source.count("for v in") == 4  # (a decimal column alone: where it fails is known)
    assert "lists[0], *lists[3]" in source
    import inspect

    assert "def judge_all(lists" in inspect.getsource(JUDGE)


SINK = id_schema(
    column("s", "string"),
    column("n", "int", Min=-2000, Max=60000),
    column("m", "int", Min=0, Max=360),
    column("d0", "decimal", Scale=0),
    column("lat", "decimal", Scale=4),
    column("long", "decimal", Scale=4),
    column("ts", "timestamp", Unit="ms", Granularity="ms"),
)
M = mapper.compile_sink(SINK)
JUDGE = fast._judge_all(M.compiled, FORMS)


def _record(i: int, draw: Any) -> dict[str, Any]:
    return {
        "id": i,
        "s": draw(st.text(min_size=1, max_size=3)),
        "n": draw(_ints(-2000, 60000)),
        "m": draw(_ints(0, 360)),
        "d0": draw(_decimals(0)),
        "lat": draw(_decimals(4)),
        "long": draw(_decimals(4)),
        "ts": draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 2**41))),
    }


def _said(report: Any) -> Any:
    return (
        report.records,
        report.failed_records,
        report.accepted,
        [(e.record, e.line, e.column, e.code, e.reason) for e in report.errors],
        [(w.record, w.line, w.column, w.kind, w.stored) for w in report.warnings],
    )


@SETTINGS
@given(st.data(), st.integers(1, 12))
def test_validate_of_a_few_lines_says_what_the_engine_says(data: Any, k: int) -> None:
    records = [_record(i, data.draw) for i in range(k)]
    lines = b"".join(_json(r) + b"\n" for r in records)
    few = M.validate(lines)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check, "few_lines", lambda *args, **kwargs: None)  # the engine's way
        engine = M.validate(lines)
    assert _said(few) == _said(engine)


def _json(record: dict[str, Any]) -> bytes:
    """A record's JSON text (ints beyond 64 bits, which orjson does not write, by json)."""
    import json

    return json.dumps(record).encode()


def test_the_few_lines_path_asks_the_generated_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = fast._judge_all

    def counted(*args: Any) -> Any:
        judge = real(*args)

        def asked(lists: Any) -> Any:
            calls.append(judge(lists))
            return calls[-1]

        return asked

    monkeypatch.setattr(fast, "_judge_all", counted)
    m = mapper.compile_sink(SINK)
    good = b'{"id": 1, "s": "a", "n": 5, "m": 360, "d0": 3, "lat": 1.5, "long": -0.0, "ts": 5}\n'
    bad = b'{"id": 2, "s": "a", "n": 5, "m": 361, "d0": 3, "lat": 1.5, "long": -0.0, "ts": 5}\n'
    assert m.validate(good * 3).failed_records == 0
    assert calls == []  # (every value vouched for in place: no lists, no judge_all; see test_quick_vouch.py)
    report = m.validate(good + bad)
    index = {c.name: c.index for c in m.compiled.columns}
    assert len(calls) == 1
    assert index["m"] in calls[0][0] and index["n"] not in calls[0][0]  # (n judged before m: vouched for)
    assert [(e.record, e.column, e.code) for e in report.errors] == [(1, "m", "out_of_range")]
