"""``workers=N`` on bytes: each process finds whether its own range is ASCII, after the fork
(one pass over the whole input before it held every worker back: 11-15 ms for 335 MB)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import mapper
from mapper.engine import parallel, reader
from mapper.engine.parallel import can_fork, cut_points
from mapper.engine.reader import NdjsonChunk, split_lines

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.gen import SINK, generate  # noqa: E402


def _ascii_of(chunks) -> set[bool]:
    return {c.ascii for c in chunks if isinstance(c, NdjsonChunk)}


def test_a_range_is_ascii_by_its_own_bytes_not_the_whole_inputs():
    head = '{"a": "żółw"}\n'.encode() * 50
    tail = b'{"a": "x"}\n' * 50
    data = head + tail
    assert _ascii_of(split_lines(data, 64, start=len(head))) == {True}  # (its own range: all ASCII)
    assert _ascii_of(split_lines(data, 64, end=len(head))) == {False}
    assert _ascii_of(split_lines(data, 64)) == {False}  # the whole input
    assert _ascii_of(split_lines(tail, 64)) == {True}
    assert reader.range_is_ascii(memoryview(b"")) and not reader.range_is_ascii(memoryview(b"ab\x80"))


@pytest.mark.skipif(not can_fork(), reason="workers need fork")
def test_the_caller_checks_its_range_only_and_the_parts_match_one_process(monkeypatch):
    m = mapper.compile_sink(SINK)
    lines = generate(3000, "bad", seed=11).splitlines(keepends=True)
    real = reader.range_is_ascii
    checked: list[int] = []

    def noted(view):  # (patched before the fork: only this process's calls are seen here)
        checked.append(len(view))
        return real(view)

    monkeypatch.setattr(reader, "range_is_ascii", noted)
    for where in (10, 2900):  # a non-ASCII record in the caller's range, then in the worker's
        data = b"".join(lines[:where]) + '{"id": "żółw", "timestamp": 1}\n'.encode() + b"".join(lines[where:])
        cut = cut_points(data, 2, parallel.CALLER_SHARE)[1]
        checked.clear()
        many = m.map(data, workers=2, on_error="skip")
        one = m.map(data, workers=1, on_error="skip")
        assert checked == [cut]  # the caller's range, not the whole input (nor anything before the fork)
        assert many.report.records == one.report.records == 3001
        assert many.to_rows() == one.to_rows() and many.record_index.tolist() == one.record_index.tolist()
        assert [e.to_dict() for e in many.report.errors] == [e.to_dict() for e in one.report.errors]
