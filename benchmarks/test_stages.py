"""Regression benchmarks of the engine's stages at small sizes (pytest-benchmark).

    python -m pytest benchmarks/test_stages.py --benchmark-only
    python -m pytest benchmarks/test_stages.py --benchmark-only --benchmark-autosave   # keep a baseline
    python -m pytest benchmarks/test_stages.py --benchmark-only --benchmark-compare    # against it

One benchmark per stage of the fast path (:mod:`mapper.engine.fast`) over 2,000 clean
records, cut into the engine's own chunks: load and compile the sink, parse (the
exact tier's ``lines_decoder``), extract (its extractor), convert (``FastPath.fill``),
build (``Engine.finish``), and the whole ``map``/``validate``. Every benchmark checks
its result (record counts, column lengths, values), so a stage that silently stopped
working cannot look fast. The stages reach into engine internals on purpose: CI runs
this file with ``--benchmark-disable`` (each benchmark once, as a test), so a renamed
internal fails there instead of rotting. Not part of the main test suite
(``testpaths`` is ``tests/``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import mapper
from mapper import compile_sink, load_sink
from mapper.engine.core import Engine
from mapper.engine.fast import Seg
from mapper.engine.reader import CHUNK_SIZE, iter_units, split_lines

from .gen import SINK, generate

pytest.importorskip("pytest_benchmark")

N = 2_000


@pytest.fixture(scope="module")
def data() -> bytes:
    return generate(N, "clean")


@pytest.fixture(scope="module")
def m() -> Any:
    return compile_sink(SINK)


@pytest.fixture(scope="module")
def chunks(data: bytes) -> list[Any]:
    """The input cut the way the engine cuts it (line boundaries, ``CHUNK_SIZE`` bytes).

    Kept in the engine's own form (bytes or memoryview slices), since the decoder's
    speed can depend on it.
    """
    out = [c.data for c in split_lines(data, CHUNK_SIZE)]
    assert sum(bytes(c).count(b"\n") for c in out) == N
    return out


@pytest.fixture(scope="module")
def decoded(m: Any, chunks: list[Any]) -> list[Any]:
    return [m.compiled.tiers[0].lines_decoder.decode_lines(c) for c in chunks]


@pytest.fixture(scope="module")
def extracted(m: Any, decoded: list[Any]) -> list[tuple[list[Any], ...]]:
    return [m.compiled.tiers[0].extract(recs) for recs in decoded]


def _track_index(m: Any) -> int:
    return next(c.index for c in m.columns if c.name == "track")


# ---------------------------------------------------------------------------------------


def test_load_sink(benchmark: Any) -> None:
    sink = benchmark(load_sink, SINK)
    assert len(sink.columns) == 14


def test_compile(benchmark: Any) -> None:
    sink = load_sink(SINK)
    m = benchmark(compile_sink, sink)
    assert len(m.columns) == 14 and m.fast_unavailable is None


def test_parse(benchmark: Any, m: Any, chunks: list[Any]) -> None:
    assert m.compiled.tiers[0].tier.name == "exact"
    decode = m.compiled.tiers[0].lines_decoder.decode_lines

    def parse() -> int:
        return sum(len(decode(c)) for c in chunks)

    assert benchmark(parse) == N


def test_extract(benchmark: Any, m: Any, decoded: list[Any]) -> None:
    extract = m.compiled.tiers[0].extract

    def run() -> list[tuple[list[Any], ...]]:
        return [extract(recs) for recs in decoded]

    lists = benchmark(run)
    assert all(len(cols) == len(m.columns) for cols in lists)
    assert sum(len(cols[0]) for cols in lists) == N


def _engine_with_rows(m: Any) -> Any:
    engine = Engine(m.compiled)
    engine.out.prepare(N)
    return engine


def test_convert(benchmark: Any, m: Any, extracted: list[tuple[list[Any], ...]], data: bytes) -> None:
    exact = m.compiled.tiers[0].tier
    segs = []
    pos = 0
    for lists in extracted:  # each chunk at its own rows, as the engine writes them
        k = len(lists[0])
        segs.append((lists, Seg(pos, pos + 1), k))
        pos += k

    # A fresh engine each round: warnings (lossy decimals) are worded in full only
    # until the report holds enough of them, so a reused engine would get cheaper.
    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (_engine_with_rows(m),), {}

    def convert(engine: Any) -> Any:
        fill: Callable[..., None] = engine.fast.fill
        for lists, seg, k in segs:
            fill(lists, seg, k, exact)
        return engine

    engine = benchmark.pedantic(convert, setup=setup, rounds=100, warmup_rounds=2)
    values = engine.out.builders[_track_index(m)].values[:N]
    assert len(values) == N
    assert np.array_equal(values, m.map(data)["track"].values)


def test_build(benchmark: Any, m: Any, data: bytes) -> None:
    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        engine = Engine(m.compiled)
        for unit in iter_units(data, chunk_size=CHUNK_SIZE):
            engine.feed(unit)
        return (engine,), {}

    batch, report = benchmark.pedantic(lambda engine: engine.finish(), setup=setup, rounds=50, warmup_rounds=2)
    assert report.records == N and batch is not None and batch.count == N
    assert len(batch["altitude"].values) == N


def test_map(benchmark: Any, m: Any, data: bytes) -> None:
    batch = benchmark(m.map, data)
    assert isinstance(batch, mapper.Batch) and batch.count == N
    assert len(batch["track"].values) == N


def test_validate(benchmark: Any, m: Any, data: bytes) -> None:
    report = benchmark(m.validate, data)
    assert report.accepted and report.records == N
