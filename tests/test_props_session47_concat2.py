"""Properties (more of tests/test_props_session47_concat.py): slices of two inputs join as two
inputs by any road, and slices of a primary-key sink's batch (string ids, decimals, timestamps,
id sets) join back into it. The oracle is the records generated: which were refused."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from tests.test_props_session47_concat import MISSING, RECORD, ROADS, STRINGS, M, _columns, _field, _kept, _records, _through

pytest.importorskip("pyarrow")
pytest.importorskip("pyarrow.parquet")


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(RECORD, max_size=6),
    st.lists(RECORD, max_size=6),
    st.lists(st.integers(0, 6), max_size=3),
    st.lists(st.integers(0, 6), max_size=3),
    st.lists(st.sampled_from(ROADS), min_size=8, max_size=8),
)
def test_slices_of_two_inputs_join_as_two_inputs(
    draw_a: list[dict[str, Any]], draw_b: list[dict[str, Any]], cuts_a: list[int], cuts_b: list[int], roads: list[str]
) -> None:
    """Slices of one input then slices of another (the same records mapped again, or others), each
    through any road: the second input's indices are moved past the first's records, whatever
    slices are empty or hold every row."""
    records_a, records_b = _records(draw_a), _records(draw_b)
    a, b = M.map(records_a, on_error="skip"), M.map(records_b, on_error="skip")
    want = _kept(records_a) + [n + len(records_a) for n in _kept(records_b)]
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, whole, cuts in (("a", a, cuts_a), ("b", b, cuts_b)):
            bounds = [0, *sorted(min(c, len(whole)) for c in cuts), len(whole)]
            for k, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
                parts.append(_through(whole[lo:hi], roads[len(parts)], Path(tmp) / f"{name}{k}"))
        joined = mapper.concat(parts)
    assert joined.record_index.tolist() == want, roads
    assert (joined.report.records, joined.report.failed_records) == (len(records_a) + len(records_b), len(records_a) + len(records_b) - len(want)), roads


KEYED = mapper.compile_sink(
    {
        "primary_key_fields": ["name"],
        "allow_missing_fields": True,
        "definition": [
            {"name": "name", "path": ["name"], "type": "string"},
            {"name": "dec", "path": ["dec"], "type": "decimal", "config": {"Scale": 2}},
            {"name": "ts", "path": ["ts"], "type": "timestamp", "config": {"Unit": "ms", "Granularity": "ms"}},
            {"name": "ids", "path": ["ids"], "type": "ids"},
            {"name": "t", "path": ["t"], "type": "string"},
        ],
    }
)
KEYED_RECORD = st.fixed_dictionaries(
    {
        "dec": _field(st.integers(-(10**6), 10**6).map(lambda n: n / 100) | st.just("bad")),
        "ts": _field(st.integers(0, 2_000_000_000_000)),
        "ids": _field(st.lists(st.integers(0, 1000), max_size=3)),
        "t": _field(STRINGS),
    }
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(KEYED_RECORD, max_size=10), st.lists(st.integers(0, 10), max_size=3), st.lists(st.sampled_from(ROADS), min_size=4, max_size=4), st.booleans())
def test_slices_of_a_keyed_batch_join_back_by_any_road(draw: list[dict[str, Any]], cuts: list[int], roads: list[str], text: bool) -> None:
    """The same of a primary-key sink's batch (string ids), decimals, timestamps and id sets, mapped from NDJSON or from dicts."""
    records = [{"name": f"r{n}ü", **{k: v for k, v in rec.items() if v is not MISSING}} for n, rec in enumerate(draw)]
    whole = KEYED.map("".join(json.dumps(r) + "\n" for r in records).encode() if text else records, on_error="skip")
    kept = [n for n, rec in enumerate(records) if rec.get("dec") != "bad" and not ("ids" in rec and rec["ids"] is None)]
    assert whole.record_index.tolist() == kept, whole.report.errors[:2]
    bounds = [0, *sorted(min(c, len(whole)) for c in cuts), len(whole)]
    with tempfile.TemporaryDirectory() as tmp:
        parts = [_through(whole[a:b], roads[k], Path(tmp) / f"part{k}") for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
        joined = mapper.concat(parts)
    assert _columns(joined) == _columns(whole), (roads, bounds)
    assert joined.ids.tolist() == [f"r{n}ü" for n in kept]
    assert (joined.report.records, joined.report.failed_records) == (len(records), len(records) - len(kept))
