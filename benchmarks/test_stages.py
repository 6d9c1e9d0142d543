"""Regression benchmarks of the engine's stages at small sizes (pytest-benchmark).

    python -m pytest benchmarks/test_stages.py --benchmark-only
    python -m pytest benchmarks/test_stages.py --benchmark-only --benchmark-autosave   # keep a baseline
    python -m pytest benchmarks/test_stages.py --benchmark-only --benchmark-compare    # against it

One benchmark per stage of :mod:`mapper.project`'s fast path over 2,000 clean
records, cut into the engine's own chunks: load and compile the sink, parse
(``strict_decoder.decode_lines``), extract (``extract_strict``), convert
(``Engine._fill``), build (``Engine.finish``), and the whole ``map``/``validate``.
Every benchmark checks its result (record counts, column lengths, values), so a
stage that silently stopped working cannot look fast. The convert and build
stages reach into engine internals: when one is renamed they skip with a message
instead of failing. Not part of the main test suite (``testpaths`` is ``tests/``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import mapper
from mapper import compile_sink, load_sink, project

from .gen import SINK, generate

pytest.importorskip("pytest_benchmark")

N = 2_000
CHUNK_SIZE: int = getattr(project, "CHUNK_SIZE", 256 * 1024)


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
    from mapper.io import split_lines

    out = [c.data for c in split_lines(data, CHUNK_SIZE)]
    assert sum(bytes(c).count(b"\n") for c in out) == N
    return out


@pytest.fixture(scope="module")
def decoded(m: Any, chunks: list[Any]) -> list[Any]:
    _need(m, "strict_decoder", "extract_strict")
    return [m.tiers[0][1].decode_lines(c) for c in chunks]


@pytest.fixture(scope="module")
def extracted(m: Any, decoded: list[Any]) -> list[tuple[list[Any], ...]]:
    return [m.extract_strict(recs) for recs in decoded]


def _need(obj: Any, *names: str) -> None:
    """Skip (not fail) when an engine internal this benchmark uses has gone."""
    missing = [n for n in names if not hasattr(obj, n)]
    if missing:
        label = getattr(obj, "__name__", type(obj).__name__)  # a module, or an instance's class
        pytest.skip(f"{label} has no {', '.join(missing)} any more: update benchmarks/test_stages.py")


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
    _need(m, "strict_decoder")
    decode = m.tiers[0][1].decode_lines

    def parse() -> int:
        return sum(len(decode(c)) for c in chunks)

    assert benchmark(parse) == N


def test_extract(benchmark: Any, m: Any, decoded: list[Any]) -> None:
    extract = m.extract_strict

    def run() -> list[tuple[list[Any], ...]]:
        return [extract(recs) for recs in decoded]

    lists = benchmark(run)
    assert all(len(cols) == len(m.columns) for cols in lists)
    assert sum(len(cols[0]) for cols in lists) == N


def _engine_with_rows(m: Any) -> Any:
    engine = project.Engine(m)
    _need(engine, "_prepare", "_fill", "builders")
    _need(project, "_Seg")
    engine._prepare(N)
    return engine


def test_convert(benchmark: Any, m: Any, extracted: list[tuple[list[Any], ...]], data: bytes) -> None:
    _engine_with_rows(m)  # skips here, not in setup, when an internal has gone
    segs = []
    pos = 0
    for lists in extracted:  # each chunk at its own rows, as the engine writes them
        k = len(lists[0])
        segs.append((lists, project._Seg(pos, pos + 1), k))
        pos += k

    # A fresh engine each round: warnings (lossy decimals) are worded in full only
    # until the report holds enough of them, so a reused engine would get cheaper.
    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (_engine_with_rows(m),), {}

    def convert(engine: Any) -> Any:
        fill: Callable[..., None] = engine._fill
        for lists, seg, k in segs:
            fill(lists, seg, k, True)
        return engine

    engine = benchmark.pedantic(convert, setup=setup, rounds=100, warmup_rounds=2)
    values = engine.builders[_track_index(m)].values[:N]
    assert len(values) == N
    assert np.array_equal(values, m.map(data)["track"].values)


def test_build(benchmark: Any, m: Any, data: bytes) -> None:
    from mapper.io import iter_units

    probe = project.Engine(m)
    _need(probe, "finish")

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        engine = project.Engine(m)
        for unit in iter_units(data, chunk_size=CHUNK_SIZE):
            unit.feed(engine)
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
