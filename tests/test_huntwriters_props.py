"""Property (session huntwriters): for random records of a random small sink (the output hunt's
strategies: every column type, values, nulls, missing fields, odd text), the batches
``iter_batches`` yields, discarded ones included, each written in a format and read back with
``read_batch``, are the batches written, and join (``mapper.concat``) as they do."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from tests.odd_names import odd_named
from tests.test_hunt_writers import cases as hunt_cases

pytest.importorskip("pyarrow")


@settings(max_examples=25, suppress_health_check=list(HealthCheck))
@given(
    case=hunt_cases(),
    size=st.integers(1, 6),
    cut=st.integers(0, 3),
    policy=st.sampled_from([("endpoint", None), ("reject", None), ("skip", None), ("skip", 0), ("skip", 1)]),
    formats=st.lists(st.sampled_from(["npz", "arrow", "parquet"]), min_size=1, max_size=4),
)
def test_iter_batches_written_and_read_back_join_as_the_batches_do(
    tmp_path_factory: pytest.TempPathFactory, case: Any, size: int, cut: int, policy: Any, formats: list[str]
) -> None:
    """For random records of a random small sink, each batch of ``iter_batches`` (discarded ones
    too), whole or cut in two slices (``cut``: 0 for whole, else where, among the rows), each written in a format and
    read back: what is read back has the rows, values, masks and record indices written, the
    report the batch's counts and verdict and the piece's answer record by record (a slice's and a
    discarded batch's too: the file keeps which records failed, and each one's code); joined, the files read back make the batch the batches written make (rows, record
    indices, counts, verdict, reason, the answer record by record)."""
    from mapper import writers

    sink, recs = case
    on_error, max_errors = policy
    tmp = tmp_path_factory.mktemp("ib")
    data = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    options: dict[str, Any] = {"on_error": on_error} if max_errors is None else {"on_error": on_error, "max_errors": max_errors}
    batches = list(mapper.compile_sink(odd_named(sink)).iter_batches(data, records=size, **options))
    back = []
    for i, batch in enumerate(batches):
        at = 1 + cut % (len(batch) - 1) if cut and len(batch) >= 2 else 0  # (a cut inside the rows, or none)
        pieces = [batch[:at], batch[at:]] if at else [batch]
        for j, piece in enumerate(pieces):
            ext = formats[(i + j) % len(formats)]
            out = tmp / f"b{i}.{j}.{ext}"
            getattr(writers, f"write_{ext}")(piece, out)
            read = mapper.read_batch(out)
            assert read.equals(piece), ext
            said = (read.report.records, read.report.failed_records, read.report.verdict, read.report.success_count)
            assert said == (batch.report.records, batch.report.failed_records, batch.report.verdict, batch.report.success_count), ext
            # the answer record by record, of a slice's file read back alone too, and of a discarded
            # batch's (its records that failed on their own keep their codes: mapper.records' "refused")
            assert _statuses(read) == _statuses(piece), ext
            back.append(read)
    if not batches:
        return
    joined, want = mapper.concat(back), mapper.concat(batches)
    assert joined.equals(want)
    assert joined.to_rows() == want.to_rows()
    for item in ("records", "failed_records", "verdict", "success_count"):
        assert getattr(joined.report, item) == getattr(want.report, item), item
    # (the reason names the discarded batch by its place among those joined: the files hold slices too)
    assert _unplaced(joined.report.reject_reason) == _unplaced(want.report.reject_reason)
    assert _statuses(joined) == _statuses(want)


def _unplaced(reason: str | None) -> str | None:
    return None if reason is None else re.sub(r"^batch \d+ \(counting from 0\) of the joined batches", "batch k of the joined batches", reason)


def _statuses(batch: mapper.Batch) -> list[tuple[Any, Any]]:
    """The endpoint's answer, record by record, without the messages (a file keeps no errors)."""
    return [(r["status"], r.get("error_code")) for r in batch.report.endpoint_answer()["records"]]
