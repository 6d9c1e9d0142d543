"""Review of the few-records shortcuts (the types' quick forms writing a run's columns,
builders sized to the input's lines, workers capped at the CPUs): each test holds a
run with the shortcut to the same run without it, or to what the report says."""

from __future__ import annotations

import pytest

import mapper
from mapper.engine import parallel

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [
        {"name": "id", "path": ["id"], "type": "id"},
        {"name": "s", "path": ["s"], "type": "string"},
        {"name": "n", "path": ["n"], "type": "int"},
    ],
}


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
@pytest.mark.parametrize("data", [b'{"id": 1, "s": "a", "n": 1}\n', b'{"id": 1, "s": "a", "n": 1}\n{"id": 2, "s": "b", "n": 2}\n'], ids=["one line", "two lines"])
def test_the_workers_note_says_how_many_processes_mapped(data: bytes) -> None:
    # workers=100 on an input of fewer lines than CPUs: the note said "mapped with <CPUs>
    # processes" though the input was cut into fewer ranges, one process each
    report = mapper.compile_sink(SINK).validate(data, workers=100)
    ranges = len(parallel.cut_points(data, parallel.most_workers(), parallel.CALLER_SHARE)) - 1
    assert report.accepted and report.records == data.count(b"\n")
    (note,) = [n for n in report.notes if n.startswith("workers=100:")]
    assert note.startswith(f"workers=100: mapped with {ranges} process" + ("es," if ranges > 1 else ","))
