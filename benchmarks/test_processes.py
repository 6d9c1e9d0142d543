"""Smoke test of benchmarks/processes.py: both commands run, write their files, and the ratio is computed."""

from __future__ import annotations

import pytest

from benchmarks import processes
from benchmarks.run import process_targets


def test_whole_process_figures_on_a_small_run():
    pytest.importorskip("pyarrow", reason="the baseline script and to_arrow need the arrow extra")
    result = processes.measure(records=300, repeat=1, formats=("npz",), workers=True)
    npz = result["formats"]["npz"]
    assert set(npz) == {"mapper", "pyarrow", "mapper fixed", "pyarrow fixed", "ratio"}
    assert all(npz[k] > 0 for k in ("mapper", "pyarrow", "mapper fixed", "pyarrow fixed"))
    assert result["workers"]["ratio"] > 0 and result["validate_s"] > 0
    share = processes.arrow_share(records=300, repeat=1)
    assert share["map_s"] > 0 and share["to_arrow_s"] > 0
    targets = process_targets(result, result, share)
    assert [t.at_most for t in targets] == [False, False, True]
    assert "pyarrow script" in processes.format_result(result)
