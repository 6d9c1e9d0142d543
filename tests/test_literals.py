"""Low-cardinality string columns decoded as Literal types (mapper.engine.fast.FastPath.learn_literals).

The optimisation must never change a result: every test compares against the careful
path, and checks that the engine really took the specialised route it is testing.
"""

from __future__ import annotations

import json

import mapper
from mapper import MapOptions
from mapper.engine.core import Engine
from mapper.engine.fast import LITERAL_MAX
from mapper.engine.reader import iter_units

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "kind", "path": ["kind"], "type": "string", "config": {"Mutex": True}},  # a null clears it
        {"name": "name", "path": ["name"], "type": "string"},
        {"name": "n", "path": ["n"], "type": "int"},
    ],
}


def run_engine(m, data: bytes, chunk_size: int = 8 * 1024):
    engine = Engine(m.compiled, MapOptions(on_error="skip"))
    for unit in iter_units(data, chunk_size=chunk_size):
        engine.feed(unit)
    batch, report = engine.finish()
    return engine, batch, report


def ndjson(records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def assert_same_as_careful(m, data: bytes, batch, report):
    careful = m.map(data, on_error="skip", fast=False)
    assert batch.to_rows() == careful.to_rows()
    assert report.to_dict() == careful.report.to_dict()


def test_few_values_are_learnt_and_new_ones_grow_the_set():
    m = mapper.compile_sink(SINK)
    kinds = ["alpha", "beta"]
    records = []
    for i in range(6000):
        if i == 3000:
            kinds.append("gamma")  # a value the first chunk never saw
        records.append({"id": i, "kind": kinds[i % len(kinds)], "name": f"name-{i}", "n": i})
    data = ndjson(records)
    engine, batch, report = run_engine(m, data)
    kind = 1  # columns are indexed in definition order
    assert engine.fast.literals is not None and set(engine.fast.literals) == {kind}  # "name" has a value per record
    assert set(engine.fast.literals[kind]) == {"alpha", "beta", "gamma"}
    assert engine.fast.literal_rebuilds == 2
    # the strict (specialised) decoder took most chunks, a laxer one only the chunk with the new value
    assert engine.stats["exact_runs"] > engine.stats["lax_runs"] + engine.stats["lenient_runs"] >= 1
    assert batch.to_rows()[-1]["kind"] == kinds[5999 % 3]
    # what the optimisation is for: one shared str object per value, not one per record
    values = batch["kind"].values
    # (the first chunk, and the one with "gamma", went through a plain decoder: own copies)
    assert len({id(v) for v in values[1000:2900] if v == "alpha"}) == 1
    assert len({id(v) for v in values[3200:] if v == "alpha"}) == 1
    assert_same_as_careful(m, data, batch, report)


def test_a_column_whose_values_keep_growing_stops_being_a_literal():
    m = mapper.compile_sink(SINK)
    records = [{"id": i, "kind": f"k{i % 10 if i < 2000 else i}", "name": "x", "n": i} for i in range(8000)]
    data = ndjson(records)
    engine, batch, report = run_engine(m, data)
    kind_index = 1
    assert engine.fast.literals is not None and kind_index not in engine.fast.literals
    assert engine.fast.literal_rebuilds <= 6
    assert len({r["kind"] for r in batch.to_rows()}) == 10 + 6000
    assert_same_as_careful(m, data, batch, report)


def test_literal_columns_keep_nulls_missing_and_wrong_types_apart():
    m = mapper.compile_sink(SINK)
    records = [{"id": i, "kind": ["on", "off"][i % 2], "name": "n", "n": i} for i in range(3000)]
    records[2500]["kind"] = None
    del records[2600]["kind"]
    records[2700]["kind"] = 7  # a number into a string column: stored as "7", with a warning
    records[2800]["kind"] = 'on\u00e9\\"x'  # a new value with escapes
    data = ndjson(records)
    engine, batch, report = run_engine(m, data)
    assert engine.fast.literals
    rows = batch.to_rows()
    assert rows[2500]["kind"] is None and "kind" not in rows[2600]  # null vs missing
    assert rows[2700]["kind"] == "7"
    assert rows[2800]["kind"] == 'on\u00e9\\"x'
    assert_same_as_careful(m, data, batch, report)


def test_high_cardinality_and_tiny_batches_are_left_alone():
    m = mapper.compile_sink(SINK)
    many = [{"id": i, "kind": f"v{i % (LITERAL_MAX + 1)}", "name": str(i), "n": i} for i in range(LITERAL_MAX * 9)]
    engine, batch, report = run_engine(m, ndjson(many), chunk_size=1 << 20)
    assert engine.fast.literals == {}
    tiny = [{"id": i, "kind": "a", "name": "b", "n": i} for i in range(10)]
    engine, batch, report = run_engine(m, ndjson(tiny))
    assert engine.fast.literals is None and engine.fast.literal_rebuilds == 0
    assert [r["kind"] for r in batch.to_rows()] == ["a"] * 10


def test_lax_chunks_use_the_literal_set_too_and_take_empty_strings():
    m = mapper.compile_sink(SINK)
    # numeric strings in the int column: the strict decoder refuses every chunk, the lax one maps them
    records = [{"id": i, "kind": ["up", "down"][i % 2], "name": "", "n": str(i)} for i in range(4000)]
    records[1500]["kind"] = ""  # "" is not in the learnt set, but the lax tier takes it as before
    records[3000]["kind"] = "sideways"
    data = ndjson(records)
    engine, batch, report = run_engine(m, data)
    assert engine.fast.literals == {1: ("down", "sideways", "up")}
    assert engine.stats["exact_runs"] == 0 and engine.stats["lax_runs"] > 20
    assert engine.stats["lenient_runs"] == 1  # the chunk holding the new value
    values = batch["kind"].values
    assert len({id(v) for v in values[1000:2900] if v == "up"}) == 1
    assert_same_as_careful(m, data, batch, report)
