"""Work that must grow linearly with the input: each test counts operations, or times two sizes, on
inputs a real producer or sink author makes (each failed before its fix, by far)."""

from __future__ import annotations

import json

import pytest

import mapper
from mapper import report as report_module


def wide_sink(n: int, ctype: str = "string") -> mapper.Mapper:
    definition = [{"name": "id", "path": ["id"], "type": "id"}]
    definition += [{"name": f"c{i}", "path": [f"c{i}"], "type": ctype} for i in range(n)]
    return mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})


@pytest.mark.parametrize("as_text", [True, False])
def test_one_record_warned_in_every_column_weighs_each_warning_a_few_times(monkeypatch, as_text):
    # 8,000 columns of "" in one record: each warning past 2 * KEEP sorted and weighed every
    # pending one again (18 s; 13.5 million weighings for 5,000 columns)
    n = 3000
    m = wide_sink(n)
    record = {"id": 1, **{f"c{i}": "" for i in range(n)}}
    calls = 0
    weigh = report_module.warning_weight

    def counted(w):
        nonlocal calls
        calls += 1
        return weigh(w)

    monkeypatch.setattr(report_module, "warning_weight", counted)
    rep = m.validate((json.dumps(record) + "\n").encode() if as_text else [record])
    assert sum(rep.warning_counts.values()) == n
    assert [w.column for w in rep.warnings] == [f"c{i}" for i in range(report_module.KEEP)]  # the first KEEP, in column order
    assert calls < 4 * n
