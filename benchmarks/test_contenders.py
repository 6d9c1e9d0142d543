"""The benchmark contenders (benchmarks/contenders.py) run, count, and agree with mapper on the int columns.

Small and fast (300 records): it guards the instrument, not the speed. A contender
whose optional package is missing (pyarrow, polars) is skipped, except under
``MAPPER_REQUIRE_EXTRAS=1``, which ``.ci/run`` sets after installing the extras: there it fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import mapper
from benchmarks.contenders import CONTENDERS, Contender, Unsupported, get_contenders, leaf_kind, schema_tree

# benchmarks/ is not an installed package: import its generator from the repo root.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks.gen import SINK, generate  # noqa: E402

N = 300
INT_COLUMNS = ("track", "altitude", "speed")
NAMES = [c.name for c in CONTENDERS]


@pytest.fixture(scope="module")
def data() -> bytes:
    return generate(N, "clean")


@pytest.fixture(scope="module")
def sink() -> mapper.Sink:
    return mapper.load_sink(SINK)


@pytest.fixture(scope="module")
def expected(data: bytes) -> dict[str, np.ndarray]:
    batch = mapper.compile_sink(SINK).map(data)
    return {name: batch[name].values for name in INT_COLUMNS}


def _ready(name: str) -> Contender:
    """The contender, or a skip when its optional package is missing (a failure under MAPPER_REQUIRE_EXTRAS=1, as .ci/run sets)."""
    contender = get_contenders([name])[0]
    ok, why = contender.available()
    if not ok:
        if os.environ.get("MAPPER_REQUIRE_EXTRAS") == "1":
            pytest.fail(f"{name}: {why} (.ci/run installs the extras: pip install -e '.[test,arrow,bench,mutation]')")
        pytest.skip(why)
    return contender


@pytest.mark.parametrize("name", NAMES)
def test_contender_counts_records(name: str, data: bytes, sink: mapper.Sink) -> None:
    contender = _ready(name)
    contender.prepare(sink, data)
    assert contender.run(data) == N
    assert contender.run(data) == N  # a second run on the same prepared state
    contender.clear()
    assert contender.last is None


@pytest.mark.parametrize("name", ["mapper", "naive-jmespath", "pyarrow", "pyarrow-threads", "polars", "msgspec-structs"])
def test_int_columns_agree_with_mapper(name: str, data: bytes, sink: mapper.Sink, expected: dict[str, np.ndarray]) -> None:
    contender = _ready(name)
    contender.prepare(sink, data)
    contender.run(data)
    for col in INT_COLUMNS:
        got = contender.column(col)
        assert len(got) == N
        assert np.array_equal(got.astype(np.int64), expected[col]), (name, col)


def test_mapper_contender_identity_column(data: bytes, sink: mapper.Sink) -> None:
    contender = _ready("mapper")
    contender.prepare(sink, data)
    contender.run(data)
    # record_id is the single string primary key: the batch's _id, not a stored column
    ids = contender.column("record_id")
    assert ids[0] == "PD2tRswoE3:0:0" and len(ids) == N


def test_mapper_contender_skips_bad_records(sink: mapper.Sink) -> None:
    bad = generate(1000, "bad")
    contender = get_contenders(["mapper"], mapper_options={"on_error": "skip"})[0]
    contender.prepare(sink, bad)
    assert contender.run(bad) == 1000  # records read, bad ones included
    report = contender.last.report
    assert report.accepted and 0 < report.failed_records < 1000
    assert contender.last.count == 1000 - report.failed_records


def test_schema_contenders_fail_cleanly_on_lax_records(sink: mapper.Sink) -> None:
    """pyarrow and polars refuse numeric strings in int columns: an exception the runner reports, no crash."""
    lax = generate(50, "lax")
    contender = _ready("pyarrow")
    import pyarrow as pa

    contender.prepare(sink, lax)
    with pytest.raises(pa.ArrowInvalid, match=r"JSON parse error: Column\(/timestamp\) changed from number to string"):
        contender.run(lax)
    contender = _ready("polars")
    import polars as pl

    contender.prepare(sink, lax)
    with pytest.raises(pl.exceptions.ComputeError, match="cannot parse '[0-9]+' \\(string\\) as Int64"):
        contender.run(lax)


def test_get_contenders() -> None:
    assert [c.name for c in get_contenders()] == NAMES
    assert [c.name for c in get_contenders(["polars", "mapper"])] == ["polars", "mapper"]
    with pytest.raises(ValueError, match="unknown contender"):
        get_contenders(["nope"])
    assert all(c.description and isinstance(c.versions(), dict) for c in get_contenders())


def test_schema_tree_follows_paths(sink: mapper.Sink) -> None:
    tree = schema_tree(sink)
    assert tree["id"] == "string" and tree["timestamp"] == "int64"
    data = tree["data"]
    assert isinstance(data, dict)
    assert data["lat"] == "float64" and data["track"] == "int64" and "iataId" not in data


def test_leaf_kinds() -> None:
    s = mapper.load_sink(
        [
            {"name": "a", "path": ["a"], "type": "id"},
            {"name": "b", "path": ["b"], "type": "strings"},
            {"name": "c", "path": ["c"], "type": "ids"},
            {"name": "d", "path": ["d"], "type": "bool"},
            {"name": "e", "path": ["e"], "type": "timestamp"},
            {"name": "f", "path": ["f"], "type": "dateInt"},
        ],
        id_field="a",
        allow_missing_fields=True,
    )
    assert [leaf_kind(c) for c in s.columns] == ["uint64", "list[string]", "list[uint64]", "bool", "string", "string"]


def test_jmespath_sink_is_unsupported_by_schema_contenders() -> None:
    s = mapper.load_sink(
        [{"name": "k", "path": ["k"], "type": "string"}, {"name": "t", "path": "tags[0]", "type": "string"}],
        primary_key_fields=["k"],
        allow_missing_fields=True,
    )
    with pytest.raises(Unsupported, match="JMESPath"):
        schema_tree(s)
    records = b'{"k": "x", "tags": ["a", "b"]}\n{"k": "y", "tags": ["c"]}\n'
    for name in ("pyarrow", "polars", "msgspec-structs"):
        contender = _ready(name)
        with pytest.raises(Unsupported, match="JMESPath"):
            contender.prepare(s, records)
    naive = get_contenders(["naive-jmespath"])[0]
    naive.prepare(s, records)
    assert naive.run(records) == 2
    assert list(naive.column("t")) == ["a", "c"]
