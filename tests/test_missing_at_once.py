"""Missing and null values the fast path reports at once, against the careful path's reports.

The fast path writes the rows of a column whose value is missing (or null, where null is an
error) at once and adds their errors in one loop (``FastPath.absent_at_once``), where the
careful path words each one alone. Every report must be the same: each property draws
records with columns missing, null, good or bad at random, maps them on the fast path and
on the careful path (``fast=False``, the reference), under a random policy, and compares
the reports whole (errors in order, counts, kept errors, ``truncated``, rejected records,
the endpoint's answer) for NDJSON, a JSON array, Python dicts, ``map``'s batches and the
Batcher's verdicts. :data:`mapper.report.KEEP` is made small so that the errors a report
keeps, and the ones it only counts, are both drawn.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from fast_careful import maps_as_careful
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
import mapper.report

#: Columns of each kind of absent value's effect: cleared, left alone, refused (a timestamp's
#: and a set's null, a recordTime's missing with Unit), with no vector form (the sets).
COLUMNS = [
    {"name": "s", "path": ["d", "s"], "type": "string"},
    {"name": "sm", "path": ["d", "sm"], "type": "string", "config": {"Mutex": True}},
    {"name": "n", "path": ["n"], "type": "int", "config": {"Min": 0, "Max": 100}},
    {"name": "dec", "path": ["dec"], "type": "decimal", "config": {"Scale": 2}},
    {"name": "ts", "path": ["ts"], "type": "timestamp", "config": {"Unit": "s"}},
    {"name": "b", "path": ["b"], "type": "bool"},
    {"name": "tags", "path": ["tags"], "type": "strings"},
    {"name": "ids", "path": ["ids"], "type": "ids"},
    {"name": "rt", "path": ["rt"], "type": "recordTime", "config": {"Unit": "s"}},
]
#: Values sent per column besides missing and null: stored ones, a lossy one, refused ones.
VALUES: dict[str, list[Any]] = {
    "s": ["a", "b", 7],
    "sm": ["x", "", [1]],
    "n": [5, 99, 1000, "x", 2.5],
    "dec": ["1.5", 2, 1.005, "abc"],
    "ts": [1600000000, "x"],
    "b": [True, False, "maybe"],
    "tags": [["a", "b"], 5, []],
    "ids": [[1, 2], ["x"], 3],
    "rt": [1600000000, "x"],
    "id": [1, 2, -1, "q"],
    "k": ["r", "", 5],
    "k2": ["z", 0.5],
}


def sink(identity: str, allow_missing: bool) -> dict[str, Any]:
    columns = list(COLUMNS)
    if identity == "id":
        columns.insert(0, {"name": "id", "path": ["id"], "type": "id"})
        return {"id_field": "id", "allow_missing_fields": allow_missing, "definition": columns}
    columns.insert(0, {"name": "k", "path": ["k"], "type": "string"})
    keys = ["k"]
    if identity == "pk2":
        columns.insert(1, {"name": "k2", "path": ["k2"], "type": "string"})
        keys.append("k2")
    return {"primary_key_fields": keys, "allow_missing_fields": allow_missing, "definition": columns}


@functools.cache
def compiled(identity: str, allow_missing: bool) -> mapper.Mapper:
    return mapper.compile_sink(sink(identity, allow_missing))


@st.composite
def batches(draw: st.DrawFn) -> tuple[mapper.Mapper, list[dict[str, Any]]]:
    identity, allow_missing = draw(st.sampled_from(["id", "pk", "pk2"])), draw(st.booleans())
    columns = sink(identity, allow_missing)["definition"]
    # a column absent from every record, null in every one, or drawn record by record (missing
    # and null weigh as much as all the values: columns of mostly absent rows are what is tested);
    # the records drawn from a seed (a draw per value made the test 4 times slower)
    fixed = {c["name"]: draw(st.sampled_from(["drawn", "drawn", "absent", "null"])) for c in columns}
    rng = draw(st.randoms(use_true_random=False))
    records = []
    for _ in range(draw(st.integers(3, 30))):
        record: dict[str, Any] = {}
        for column in columns:
            name = column["name"]
            mode = fixed[name]
            if mode == "drawn":
                mode = rng.choice(["absent", "null", "value"])
            if mode == "absent":
                continue
            *parents, last = column["path"]
            target = record
            for key in parents:
                target = target.setdefault(key, {})
            target[last] = None if mode == "null" else rng.choice(VALUES[name])
        records.append(record)
    return compiled(identity, allow_missing), records


policies = st.fixed_dictionaries(
    {"on_error": st.sampled_from(["endpoint", "reject", "skip"]), "strict": st.booleans()},
    optional={"max_errors": st.sampled_from([0, 2, 0.5])},
).filter(lambda p: "max_errors" not in p or p["on_error"] == "skip")


SETTINGS = settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(batches(), policies, st.sampled_from([3, 1000]))
def test_missing_and_null_reported_as_the_careful_path_reports_them(
    case: tuple[mapper.Mapper, list[dict[str, Any]]], policy: dict[str, Any], keep: int
) -> None:
    m, records = case
    maps_as_careful(m, records, policy, keep)


def test_errors_made_at_once_are_record_errors_as_any_other() -> None:
    """``ReportBuilder.errors_at`` makes its errors without RecordError's ``__init__``: each is a
    RecordError like one made by it, frozen, hashed, compared, copied and pickled alike."""
    import dataclasses
    import pickle

    from mapper.report import RecordError, ReportBuilder

    rb = ReportBuilder()
    rb.source = "in.ndjson"
    rb.errors_at([3, 5], [4, None], "lat", "$.data.lat", "missing", "Missing value (allow_missing_fields is false)", "/schema/definition/3")
    made = [RecordError(3, 4, "lat", "$.data.lat", "missing", "Missing value (allow_missing_fields is false)", "in.ndjson", "/schema/definition/3")]
    made.append(dataclasses.replace(made[0], record=5, line=None))
    got = [e for errs in rb.bad.values() for e in errs]
    assert got == made and [type(e) for e in got] == [RecordError, RecordError]
    assert [hash(e) for e in got] == [hash(e) for e in made] and [repr(e) for e in got] == [repr(e) for e in made]
    assert pickle.loads(pickle.dumps(got)) == made and got[0].shown is None and got[1].message == made[1].message
    with pytest.raises(dataclasses.FrozenInstanceError):
        got[0].record = 7  # type: ignore[misc]
    assert rb.report.error_counts == {("lat", "missing"): 2}
