"""Smoke test of benchmarks/producers.py: every figure is measured and shaped as run.py --targets reads it."""

from __future__ import annotations

from benchmarks import producers
from benchmarks.run import producer_targets


def test_producer_figures_and_targets_on_a_small_run():
    result = producers.measure(records=300, repeat=1)
    assert list(result["batches"]) == ["1", "10", "100", "300"]
    assert result["batches"]["300"]["x_full"] == 1.0
    assert all(v["us_per_record"] > 0 for v in result["batches"].values())
    for curve in ("batches_dicts", "batches_map"):
        assert list(result[curve]) == ["1", "10", "100", "300"] and result[curve]["300"]["x_full"] == 1.0
    assert set(result["one_record"]) == {"orjson.loads", "check(dict)", "check(line)", "validate(line)"}
    assert result["one_record"]["orjson.loads"]["x_loads"] == 1.0
    assert result["dicts"]["ratio"] > 0 and result["batcher"]["ratio"] > 0
    targets = producer_targets(result)
    assert len(targets) == 6 and all(t.verdict in ("PASS", "MISS") for t in targets)
    assert [t.at_most for t in targets] == [False, True, True, True, True, False]
    assert result["batcher"]["encode_x_map"] > 0
    assert "batcher" in producers.format_result(result) and "orjson.dumps" in producers.format_result(result)
