"""The fast path's report and rows against the careful path's (``fast=False``), for the
differential tests of paths made whole-column (tests/test_missing_at_once.py,
tests/test_string_numbers_at_once.py): the same records as NDJSON, a JSON array and dicts,
``validate`` and ``map``, with ``mapper.report.KEEP`` set to ``keep``."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

import mapper
import mapper.report
from mapper.report import Report


def same(got: Report, want: Report) -> None:
    """Two reports alike in everything a reader sees, kept errors and warnings in order and word for word."""
    assert got.errors == want.errors
    assert [e.message for e in got.errors] == [e.message for e in want.errors]
    assert got.error_counts == want.error_counts
    assert [w.to_dict() for w in got.warnings] == [w.to_dict() for w in want.warnings]
    assert got.warning_counts == want.warning_counts
    assert got.rejected == want.rejected
    assert got == want
    assert got.to_dict() == want.to_dict()
    assert got.summary() == want.summary()
    if len(got.failed) == got.failed_records:  # (kept only where a run needs them)
        assert got.endpoint_answer() == want.endpoint_answer()


def maps_as_careful(m: mapper.Mapper, records: list[dict[str, Any]], policy: dict[str, Any], keep: int) -> None:
    """Every form of ``records`` validated and mapped as the careful path does, and the
    Batcher's verdicts on them (it judges on the fast path: policy skip, errors only) the
    careful path's refusals."""
    lines = b"\n".join(json.dumps(r).encode() for r in records) + b"\n"
    array = json.dumps(records).encode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mapper.report, "KEEP", keep)
        for given_as in (lines, array, records):
            same(m.validate(given_as, **policy), m.validate(given_as, fast=False, **policy))
            try:
                batch = m.map(given_as, **policy)
            except mapper.BatchRejected as exc:
                with pytest.raises(mapper.BatchRejected) as careful:
                    m.map(given_as, fast=False, **policy)
                same(exc.report, careful.value.report)
            else:
                reference = m.map(given_as, fast=False, **policy)
                same(batch.report, reference.report)
                assert batch.to_rows() == reference.to_rows()
                assert batch.record_index.tolist() == reference.record_index.tolist()
    with mapper.Batcher(m, strict=policy["strict"]) as batcher:
        verdicts = batcher.add_many([json.dumps(r).encode() for r in records])
    want = m.validate(lines, on_error="skip", strict=policy["strict"], fast=False)
    refused = {r.record: tuple(replace(e, line=None) for e in r.errors) for r in want.rejected}
    if not policy["strict"]:  # (under strict the batcher judges each record by check: see Batcher._judge)
        assert {v.index: v.errors for v in verdicts if not v.accepted} == refused
