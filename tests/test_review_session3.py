"""Review of the scaling, small-batch, records-path and Python API changes (80a0294..199532b):
each test pins a defect the review found."""

from __future__ import annotations

import time

from mapper.engine import reader


def test_values_on_one_line_read_in_linear_time() -> None:
    # each value's column was found by searching back to its line's start: documents
    # one after another on one line (`{"x": [...]}{"x": [...]}...`) read in quadratic time
    n = 160_000
    data = b"".join(b'{"x": [{"id": %d}]}' % i for i in range(n))
    t = time.perf_counter()
    found = reader._values(data, 1)
    took = time.perf_counter() - t
    assert found is not None and len(found[0]) == n
    assert took < 2.5, f"{n} values on one line took {took:.1f} s"
    assert found[2][:3] == [0, 18, 36] and found[1][-1] == 1


def test_values_columns_and_lines_across_lines() -> None:
    data = b'  {"a": 1} {"a": 2}\n{"a": 3}\n\n   [1]{"b"\n{"c": 1} 7\n'
    raws, lines, cols = reader._values(data, 5)  # type: ignore[misc]
    text = data.decode()
    starts = []
    pos = 0
    for raw in raws:
        pos = text.index(raw.decode(), pos)
        starts.append(pos)
        pos += len(raw)
    assert cols == [p - text.rfind("\n", 0, p) - 1 for p in starts]
    assert lines == [5 + text.count("\n", 0, p) for p in starts]


def test_values_after_a_broken_one_on_one_line_read_in_linear_time() -> None:
    # once a value failed, each later one looked up to 1 MB ahead for a line starting with
    # { or [: documents one after another on one line after a broken one, quadratic
    n = 40_000
    docs = [b'{"x": [{"id": %d}]}' % i for i in range(n)]
    data = b"{'a': 1}\n" + b"".join(docs) + b"\n{'b': 2}\n{\"x\": []}"
    t = time.perf_counter()
    found = reader._values(data, 1)
    took = time.perf_counter() - t
    assert found is not None and len(found[0]) == n + 3
    assert took < 1.5, f"{n} values after a broken one took {took:.1f} s"
    assert found[0][0] == b"{'a': 1}" and found[0][-2:] == [b"{'b': 2}", b'{"x": []}']
    assert found[1][-2:] == [3, 4] and found[2][n] == len(b"".join(docs[:-1]))
