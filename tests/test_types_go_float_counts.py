"""A numeric ``timestamp`` count is scaled through a float64 by the ingester.

idk/interfaces.go, TimestampField.PilosafyVal: ``scale := float64(unitNanos) /
float64(granNanos)`` and ``dur = int64(float64(valAsInt) * scale)``. A float64 keeps 53
bits, so a count (or its product) beyond 2^53 moves: 1659981468261 ms at Granularity ns
(1659981468261000000 ns exactly) is stored as 1659981468260999936, 64 ns early, and
4294967295999 ms as 4294967295999000064, 64 ns late. Nothing there is cut by the
granularity: the warning is ``int_precision`` and says why, not ``timestamp_truncated``
("granularity is ns"), on the fast path as on the careful one. A count finer than the
granularity stays ``timestamp_truncated``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import mapper

sys.path.insert(0, str(Path(__file__).parent))
from test_types import stored  # noqa: E402


def _notes(value: Any, config: dict[str, Any]) -> list[Any]:
    from test_types import conv

    notes: list[Any] = []
    conv("timestamp", config).convert(value, notes)
    return notes


@pytest.mark.parametrize(
    "value, config, expect",
    [
        (1659981468261, {"Unit": "ms", "Granularity": "ns"}, 1659981468260999936),  # 64 ns early
        (4294967295999, {"Unit": "ms", "Granularity": "ns"}, 4294967295999000064),  # 64 ns late
        (1659981468260123, {"Unit": "us", "Granularity": "ns"}, 1659981468260122880),
        ("1659981468260123457", {"Unit": "ns", "Granularity": "ns"}, 1659981468260123392),  # a string: exact until the float
        # a finer Unit: 8900882685762.999 us, whose product rounds up to the next whole us (not cut to ...762)
        (8900882685762999, {"Unit": "ns", "Granularity": "us"}, 8900882685763),
    ],
)
def test_a_count_the_ingesters_float64_moves_is_int_precision(value, config, expect):
    assert stored("timestamp", value, config) == (expect, ["int_precision"])
    (note,) = _notes(value, config)
    assert "float64" in note.hint and "granularity is" not in note.hint
    assert "RFC 3339" in note.hint  # the way to store it exactly


def test_a_count_finer_than_the_granularity_is_still_truncated():
    assert stored("timestamp", 1659981468260, {"Unit": "ms"}) == (1659981468, ["timestamp_truncated"])
    assert stored("timestamp", -1500, {"Unit": "ms"}) == (-1, ["timestamp_truncated"])  # toward zero, as Go's int64()
    assert stored("timestamp", 1659981468260, {"Unit": "ms", "Granularity": "ns"}) == (1659981468260000000, [])


@pytest.mark.parametrize(
    "config, moved, stored, said",
    [
        ({"Unit": "ms", "Granularity": "ns"}, 1659981468261, 1659981468260999936, "2022-08-08T17:57:48.260999936Z"),
        ({"Unit": "ns", "Granularity": "us"}, 8900882685762999, 8900882685763, "1970-04-14T00:28:02.685763Z"),
    ],
)
def test_the_fast_path_says_the_same(config, moved, stored, said):
    m = mapper.compile_sink(
        [{"name": "k", "path": ["k"], "type": "id"}, {"name": "t", "path": ["t"], "type": "timestamp", "config": config}],
        id_field="k",
        allow_missing_fields=True,
    )
    sent = [moved, moved - 1] * 150  # enough records for the vector form
    data = "\n".join(f'{{"k":{i},"t":{v}}}' for i, v in enumerate(sent)).encode()
    seen = []
    for fast in (True, False):
        batch = m.map(data, on_error="skip", fast=fast)
        seen.append([(w.record, w.kind, w.stored, "float64" in w.hint) for w in batch.report.warnings if w.kind != "timestamp_truncated"])
        assert batch.columns["t"].values[0] == stored
    assert seen[0] == seen[1]
    assert seen[0][0] == (0, "int_precision", said, True)
    assert len(seen[0]) == 150
