"""benchmarks/serve_load.py runs and its figures add up (a smoke run: 2 clients, a few small bodies)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks.serve_load import measure  # noqa: E402


def test_serve_load_stores_every_record_once_and_reports_its_figures():
    fig = measure(clients=2, n_bodies=6, per_body=20)
    assert fig["stored"] == fig["rows"] == fig["records"] == 120
    assert fig["errors"] == 0
    assert fig["records_per_s"] == pytest.approx(fig["bodies_per_s"] * 20)
    lat = fig["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
