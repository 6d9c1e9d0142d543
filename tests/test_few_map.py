"""A run of a few records writes each column its quick form vouches for in plain Python
(``FastPath.fill``, the types' ``quick_stored``), the same values the vector forms write.

Each test maps the same lines twice, the second time with the shortcut off
(``FEW_VALUES`` patched to 0), and holds the two batches to each other: stored values,
masks, ids, errors and warnings. The values are drawn at the edges the quick forms must
refuse (decimals with more digits than the scale, products near 2**51, ints at 2**53,
times at the column's bounds), so a column goes either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
import sinks
from hypothesis import given
from hypothesis import strategies as st

import mapper
from mapper.engine import fast
from tests.test_properties import SETTINGS

SINK = sinks.id_schema(
    sinks.column("s", "string"),
    sinks.column("n", "int", Min=-(2**60), Max=2**60),
    sinks.column("d0", "decimal", Scale=0),
    sinks.column("d2", "decimal", Scale=2),
    sinks.column("d6", "decimal", Scale=6),
    sinks.column("b", "bool"),
    sinks.column("ts", "timestamp", Unit="ms", Granularity="ms"),
)

M = mapper.compile_sink(SINK)

_DECIMALS = st.one_of(
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.1, 0.29, 0.15, 1.005, -3.25, 2.5, 1e15, 2.0**51 / 100, 2.0**51 / 100 + 1, 9007199254740.99, -0.5, 123456.789]),
)
_INTS = st.one_of(st.integers(-(2**62), 2**62), st.sampled_from([2**53, 2**53 + 1, -(2**53), -(2**53) - 1, 0]))
_TIMES = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 2**41))


def _record(i: int, draw: Any) -> dict[str, Any]:
    return {
        "id": i,
        "s": draw(st.text(min_size=1, max_size=4)),
        "n": draw(_INTS),
        "d0": draw(_DECIMALS),
        "d2": draw(_DECIMALS),
        "d6": draw(_DECIMALS),
        "b": draw(st.booleans()),
        "ts": draw(_TIMES),
    }


def _lines(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _same(a: Any, b: Any) -> None:
    assert a.count == b.count
    assert a.ids.tolist() == b.ids.tolist()
    for name, col in a.columns.items():
        other = b[name]
        assert col.values.tolist() == other.values.tolist(), name
        assert col.valid.tolist() == other.valid.tolist(), name
        assert col.present.tolist() == other.present.tolist(), name
    assert [(e.record, e.column, e.code) for e in a.report.errors] == [(e.record, e.column, e.code) for e in b.report.errors]
    assert [(w.record, w.column, w.kind, w.stored) for w in a.report.warnings] == [(w.record, w.column, w.kind, w.stored) for w in b.report.warnings]


def _both(data: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    quick = M.map(data, on_error="skip")
    with monkeypatch.context() as m:
        m.setattr(fast, "FEW_VALUES", 0)
        vector = M.map(data, on_error="skip")
    return quick, vector


def _vector_columns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The columns (indices) that will go the vector way (FastPath.fill_column), in call order."""
    calls: list[int] = []
    real = fast.FastPath.fill_column

    def counted(self: Any, ci: int, *args: Any, **kwargs: Any) -> None:
        calls.append(ci)
        real(self, ci, *args, **kwargs)

    monkeypatch.setattr(fast.FastPath, "fill_column", counted)
    return calls


@SETTINGS
@given(st.data(), st.integers(3, 40))
def test_a_few_records_store_what_the_vector_forms_store(data: Any, k: int) -> None:
    records = [_record(i, data.draw) for i in range(k)]
    payload = _lines(records)
    with pytest.MonkeyPatch.context() as mp:
        quick, vector = _both(payload, mp)
    _same(quick, vector)


class Int(int):
    pass


class Str(str):
    pass


_ODD = st.sampled_from([Int(3), Str("s"), float("nan"), float("inf"), True, None, "", "\ud800", 2**64, [1], {"a": 1}])


@SETTINGS
@given(st.data(), st.integers(3, 40))
def test_a_few_dicts_store_what_the_vector_forms_store(data: Any, k: int) -> None:
    records = [_record(i, data.draw) for i in range(k)]
    for _ in range(data.draw(st.integers(0, 2))):  # a Python value no JSON decoder makes, here and there
        records[data.draw(st.integers(0, k - 1))][data.draw(st.sampled_from(["s", "n", "d2", "b", "ts"]))] = data.draw(_ODD)
    with pytest.MonkeyPatch.context() as mp:
        quick, vector = _both(records, mp)
    _same(quick, vector)


@pytest.mark.parametrize("as_text", [True, False], ids=["lines", "dicts"])
def test_the_shortcut_is_taken_and_writes_scaled_decimals(as_text: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [{"id": i, "s": "x", "n": i, "d0": 7, "d2": 1.25, "d6": -0.000001, "b": True, "ts": 1659981468277} for i in range(5)]
    calls = _vector_columns(monkeypatch)
    batch = M.map(_lines(records) if as_text else records)
    assert calls and not set(calls) & set(M.compiled.stored_index)  # only the id column took the vector way
    assert batch["d2"].values.tolist() == [125] * 5
    assert batch["d6"].values.tolist() == [-1] * 5
    assert batch["d0"].values.tolist() == [7] * 5
    assert batch["ts"].values.tolist() == [1659981468277] * 5
    assert batch["n"].values.dtype == np.int64 and batch["n"].values.tolist() == list(range(5))
    assert batch["b"].values.tolist() == [True] * 5
    assert batch["s"].values.tolist() == ["x"] * 5
    assert not batch.report.warnings and not batch.report.errors


@pytest.mark.parametrize(
    "column, value",
    [("d2", 0.125), ("d2", 2.0**52), ("n", 2**53 + 1), ("ts", -(2**62)), ("d0", 0.5)],
)
def test_a_value_the_quick_form_does_not_vouch_for_sends_its_column_the_vector_way(column: str, value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [{"id": i, "s": "x", "n": i, "d0": 7, "d2": 1.25, "d6": 0.5, "b": False, "ts": 1} for i in range(6)]
    records[3][column] = value
    with monkeypatch.context() as mp:
        calls = _vector_columns(mp)
        quick = M.map(_lines(records), on_error="skip")
    assert [M.compiled.sink.columns[ci].name for ci in calls if ci in M.compiled.stored_index] == [column]
    _, vector = _both(_lines(records), monkeypatch)
    _same(quick, vector)
