"""Review of the scaling, small-batch, records-path and Python API changes (80a0294..199532b):
each test pins a defect the review found."""

from __future__ import annotations

import time

import pytest
from sinks import column, id_sink

from mapper.engine import reader

_SINK = id_sink(column("n", "int"))


def test_values_on_one_line_read_in_linear_time() -> None:
    # each value's column was found by searching back to its line's start: documents
    # one after another on one line (`{"x": [...]}{"x": [...]}...`) read in quadratic time
    n = 160_000
    data = b"".join(b'{"x": [{"id": %d}]}' % i for i in range(n))
    t = time.thread_time()  # this thread's CPU time: what the reading cost, not how busy the machine was
    found = reader._values(data, 1)
    took = time.thread_time() - t
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
    t = time.thread_time()
    found = reader._values(data, 1)
    took = time.thread_time() - t
    assert found is not None and len(found[0]) == n + 3
    assert took < 1.5, f"{n} values after a broken one took {took:.1f} s"
    assert found[0][0] == b"{'a': 1}" and found[0][-2:] == [b"{'b': 2}", b'{"x": []}']
    assert found[1][-2:] == [3, 4] and found[2][n] == len(b"".join(docs[:-1]))


def test_broken_document_of_records_on_lines_is_refused_at_once() -> None:
    # a broken document whose records each start a line (`{"data": [\n{...},\n{...}...`) was
    # split at each line's `{`, every piece read as a document and refused, to find a later
    # document holding records (a cut `jq .` capture): 4.7 MB took 4.7 s, 0.01 s before
    import mapper

    m = mapper.compile_sink(_SINK)
    n = 100_000
    recs = [b'{"id": %d, "n": 1}' % i for i in range(n)]
    recs[n // 2] = b'{"id": 1, "n": }'
    data = b'{"data": [\n' + b",\n".join(recs) + b"\n]}\n"
    t = time.thread_time()
    report = m.validate(data, records_path="data")
    took = time.thread_time() - t
    assert [(e.code, e.line) for e in report.errors] == [("invalid_json", n // 2 + 2)]
    assert took < 1.0, f"a broken document of {n} records took {took:.1f} s"


def test_cut_capture_before_documents_holding_records_still_read() -> None:
    import mapper

    m = mapper.compile_sink(_SINK)
    data = b'{"now": 1,\n  "x": 5\n{\n  "data": [\n    {"id": 1, "n": 2}\n  ]\n}\n{"data": [{"id": 2}]}\n'
    report = m.validate(data, records_path="data")
    assert report.records == 3 and [(e.record, e.code) for e in report.errors] == [(0, "invalid_json")]


def test_a_batch_given_as_records_is_an_input_error() -> None:
    # Batch.__iter__ (8f1b188) raises TypeError: a Batch passed as records was read as an
    # iterable of records, a TypeError from inside the reader, not the InputError it was
    import mapper
    from mapper.errors import InputError

    m = mapper.compile_sink(_SINK)
    batch = m.map([{"id": 1, "n": 2}])
    for run in (m.validate, m.map, lambda b: list(m.iter_batches(b, records=2)), lambda b: m.validate(b, records_path="x")):
        with pytest.raises(InputError, match="cannot read records from a mapper Batch"):
            run(batch)
