"""A column's lazy warnings added at once (``ReportBuilder.warnings_lazy_at``), against one call a value.

The fast path adds the warnings of a column's lossy values in one loop; the report must be
the one ``warning_lazy`` a value makes: the same warnings held and kept (in order, as
``_pend`` cuts them at twice :data:`~mapper.report.KEEP` or
:data:`~mapper.report.KEEP_BYTES`, and drops those past its cutoff), the same counts, the
same silenced kinds. Each case adds another column's warnings first (pending, of the same
records), then the column at once, then another column, with KEEP and KEEP_BYTES small
enough to be crossed inside the column; and one end-to-end case maps a column of numbers
sent as strings on the fast and the careful path with KEEP crossed within it.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from sinks import column, id_schema

import mapper
import mapper.report
from mapper.report import ReportBuilder


class Note(NamedTuple):
    kind: str
    sent: Any
    stored: Any
    hint: str


def convert(value: Any, notes: list[Any]) -> Any:
    notes.append(Note("string_from_value", value, str(value), "as text"))
    return str(value)


def held(rb: ReportBuilder) -> tuple[Any, ...]:
    """What the builder holds of a chunk not closed yet (the report may not show a difference here:
    the pending warnings cut too late, or too early, still close to the same kept ones)."""
    return [(w.record, w.column, w.value_sent()) for w in rb.pending_warnings], rb.pending_bytes, rb.cutoff


def build(at_once: bool, values: list[Any], before: int, after: int, ignore: frozenset[str], chunks: int) -> tuple[ReportBuilder, list[Any]]:
    rb = ReportBuilder(ignore_warnings=ignore)
    rb.source = "b.ndjson"  # (of several inputs: each warning names its file)
    states = []
    n = len(values)
    per = -(-n // chunks)
    for start in range(0, n, per):
        rows = list(range(start, min(n, start + per)))
        for r in rows[::before] if before else []:  # an earlier column's, pending
            rb.warning_lazy(r, r + 1, "a", "$.a", "float_decimal", convert, f"a{r}", "/a")
        vals = [values[r] for r in rows]
        if at_once:
            rb.warnings_lazy_at(rows, [r + 1 for r in rows], "s", "$.s", "string_from_value", convert, vals, "/s")
        else:
            for r, v in zip(rows, vals):
                rb.warning_lazy(r, r + 1, "s", "$.s", "string_from_value", convert, v, "/s")
        states.append(held(rb))
        for r in rows[::after] if after else []:  # a later column's
            rb.warning_lazy(r, None, "z", None, "float_truncated", convert, 1.5, None)
        states.append(held(rb))
        rb.close_records()
    return rb, states


VALUES: list[list[Any]] = [
    list(range(40)),
    ["x" * (7 * (i % 5)) for i in range(40)],  # (texts: weighed by their length)
    [[i, "yy"] if i % 3 else {"k": "v" * i} for i in range(40)],  # (containers: value_weight)
]


@pytest.mark.parametrize("keep, keep_bytes", [(3, 10**9), (7, 10**9), (1000, 700), (5, 1500), (1000, 10**9)])
def test_a_columns_warnings_at_once_as_one_by_one(monkeypatch: pytest.MonkeyPatch, keep: int, keep_bytes: int) -> None:
    monkeypatch.setattr(mapper.report, "KEEP", keep)
    monkeypatch.setattr(mapper.report, "KEEP_BYTES", keep_bytes)
    for values in VALUES:
        for before, after, ignore, chunks in [
            (1, 0, frozenset(), 1),
            (3, 2, frozenset(), 1),
            (0, 1, frozenset(), 3),
            (2, 0, frozenset({"string_from_value"}), 2),
            (0, 0, frozenset(), 1),
        ]:
            (got, got_held), (want, want_held) = (build(at_once, values, before, after, ignore, chunks) for at_once in (True, False))
            assert got_held == want_held
            g, w = got.report, want.report
            assert [x.to_dict() for x in g.warnings] == [x.to_dict() for x in w.warnings], (values[:2], before, after, chunks)
            assert [x.pointer for x in g.warnings] == [x.pointer for x in w.warnings]
            assert list(g.warning_counts.items()) == list(w.warning_counts.items())
            assert g.silenced_warnings == w.silenced_warnings
            assert got.kept_bytes == want.kept_bytes
            assert g == w


def test_a_column_crossing_keep_reported_as_the_careful_path_reports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """One string column of numbers, 300 records, KEEP crossed (and twice KEEP, where
    ``_pend`` cuts) within it, a decimal column's warnings interleaved: fast as careful."""
    m = mapper.compile_sink(id_schema(column("s", "string"), column("dec", "decimal", Scale=2)))
    records = [{"id": i, "s": i * 1000003 if i % 7 else "t", "dec": 1.005 if i % 11 == 0 else "2"} for i in range(300)]
    text = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    at_once: list[int] = []
    real = ReportBuilder.warnings_lazy_at
    monkeypatch.setattr(ReportBuilder, "warnings_lazy_at", lambda rb, records, *a: (at_once.append(len(records)), real(rb, records, *a))[1])
    for keep in (5, 40, 1000):
        monkeypatch.setattr(mapper.report, "KEEP", keep)
        got, want = m.validate(text), m.validate(text, fast=False)
        assert [w.to_dict() for w in got.warnings] == [w.to_dict() for w in want.warnings]
        assert len(got.warnings) == min(keep, 300 - 43 + 28) == min(keep, sum(got.warning_counts.values()))
        assert got.warning_counts == want.warning_counts
        assert got.summary() == want.summary()
    assert at_once == [300 - 43, 28] * 3  # (each column's at once on the fast path: the numbers, the 1.005s)
