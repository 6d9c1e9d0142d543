"""Property (session huntwriters): for random records of a random small sink (the output hunt's
strategies: every column type, values, nulls, missing fields, odd text), the batches
``iter_batches`` yields, discarded ones included, each written in a format and read back with
``read_batch``, are the batches written, and join (``mapper.concat``) as they do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from tests.test_hunt_writers import cases as hunt_cases

pytest.importorskip("pyarrow")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    case=hunt_cases(),
    size=st.integers(1, 4),
    policy=st.sampled_from([("endpoint", None), ("reject", None), ("skip", None), ("skip", 0), ("skip", 1)]),
    formats=st.lists(st.sampled_from(["npz", "arrow", "parquet"]), min_size=1, max_size=4),
)
def test_iter_batches_written_and_read_back_join_as_the_batches_do(
    tmp_path_factory: pytest.TempPathFactory, case: Any, size: int, policy: Any, formats: list[str]
) -> None:
    """For random records of a random small sink, each batch of ``iter_batches`` (discarded ones
    too) written in a format and read back: the batch read back has the rows, values, masks and
    record indices written, the report the counts and verdict; and joined, the batches read back
    make the batch the batches written make (rows, record indices, counts, verdict, reason)."""
    from mapper import writers

    sink, recs = case
    on_error, max_errors = policy
    tmp = tmp_path_factory.mktemp("ib")
    data = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    options: dict[str, Any] = {"on_error": on_error} if max_errors is None else {"on_error": on_error, "max_errors": max_errors}
    batches = list(mapper.compile_sink(sink).iter_batches(data, records=size, **options))
    back = []
    for i, batch in enumerate(batches):
        ext = formats[i % len(formats)]
        out = tmp / f"b{i}.{ext}"
        getattr(writers, f"write_{ext}")(batch, out)
        read = mapper.read_batch(out)
        assert read.equals(batch), ext
        assert (read.report.records, read.report.failed_records, read.report.verdict) == (
            batch.report.records,
            batch.report.failed_records,
            batch.report.verdict,
        ), ext
        assert read.report.success_count == batch.report.success_count, ext
        back.append(read)
    if not batches:
        return
    joined, want = mapper.concat(back), mapper.concat(batches)
    assert joined.equals(want)
    assert joined.to_rows() == want.to_rows()
    for item in ("records", "failed_records", "verdict", "reject_reason", "success_count"):
        assert getattr(joined.report, item) == getattr(want.report, item), item
