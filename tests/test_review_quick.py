"""Review of the few-records shortcuts (the types' quick forms writing a run's columns,
builders sized to the input's lines, workers capped at the CPUs): each test holds a
run with the shortcut to the same run without it, or to what the report says."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest
from sinks import column, id_schema

import mapper
from mapper.engine import check, fast, parallel

SINK = id_schema(column("s", "string"), column("n", "int"))


@pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")
@pytest.mark.parametrize(
    "data", [b'{"id": 1, "s": "a", "n": 1}\n', b'{"id": 1, "s": "a", "n": 1}\n{"id": 2, "s": "b", "n": 2}\n'], ids=["one line", "two lines"]
)
def test_the_workers_note_says_how_many_processes_mapped(data: bytes) -> None:
    # workers=100 on an input of fewer lines than CPUs: the note said "mapped with <CPUs>
    # processes" though the input was cut into fewer ranges, one process each
    report = mapper.compile_sink(SINK).validate(data, workers=100)
    ranges = len(parallel.cut_points(data, parallel.most_workers(), parallel.CALLER_SHARE)) - 1
    assert report.accepted and report.records == data.count(b"\n")
    (note,) = [n for n in report.notes if n.startswith("workers=100:")]
    assert note.startswith(f"workers=100: mapped with {ranges} process" + ("es," if ranges > 1 else ","))


# --- the shortcuts against the runs without them -----------------------------------------
#
# Each input is mapped (or validated) three ways: as it is, with the few-records shortcuts
# off (FEW_VALUES and SMALL_INPUT patched to 0), and on the careful path (fast=False). The
# three must agree on everything a caller reads.

WIDE = id_schema(
    column("s", "string"),
    column("n", "int"),
    column("d18", "decimal", Scale=18),
    column("b", "bool"),
    column("ts", "timestamp", Unit="ms", Granularity="ms"),
    column("tl", "timestamp"),
    column("di", "dateInt"),
)


def _record(i: int, **odd: Any) -> dict[str, Any]:
    rec = {
        "id": i,
        "s": "ab"[i % 2],
        "n": i - 3,
        "d18": 0.001 * (i % 4),
        "b": i % 3 == 0,
        "ts": 1659981468277 + i,
        "tl": "2022-08-08T17:57:48Z",
        "di": "2022-08-08",
    }
    rec.update(odd)
    return rec


def _seen(result: Any) -> Any:
    """What a caller reads of a Batch, a Report or the Batches of iter_batches."""
    if isinstance(result, list):
        return [_seen(r) for r in result]
    report = getattr(result, "report", result)
    said = (
        report.accepted,
        report.records,
        [(e.record, e.line, e.column, e.code, e.message) for e in report.errors],
        [(w.record, w.line, w.column, w.kind, repr(w.sent), repr(w.stored)) for w in report.warnings],
    )
    if report is result:
        return said
    cols = {name: (col.values.tolist(), col.valid.tolist(), col.present.tolist()) for name, col in result.columns.items()}
    return said, result.count, result.ids.tolist(), result.record_index.tolist(), cols


def _three(m: Any, how: str, data: Any, **options: Any) -> None:
    def once(**more: Any) -> Any:
        if how == "iter":
            return _seen(list(m.iter_batches(data, **options, **more)))
        return _seen(getattr(m, how)(data, **options, **more))

    quick = once()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast, "FEW_VALUES", 0)
        mp.setattr(check, "SMALL_INPUT", 0)
        assert once() == quick
    assert once(fast=False) == quick


def _lines(records: list[dict[str, Any]], end: bytes = b"\n") -> bytes:
    return b"".join(orjson.dumps(r) + end for r in records)


def test_a_few_records_of_literal_decoded_string_columns() -> None:
    # a sink's string columns of few values are decoded as Literals once learnt (and its
    # next runs start with them): a few records then come through the exact tier's Literal
    # structs, a value outside the set through the next tier
    m = mapper.compile_sink(WIDE)
    m.map(_lines([_record(i) for i in range(200)]))
    assert m.compiled.memo.get("literals")
    few = [_record(i) for i in range(6)] + [_record(6, s="z"), _record(7, n=2**63), _record(8)]
    for how, strict in itertools.product(("map", "validate"), (False, True)):
        _three(m, how, _lines(few), on_error="skip", strict=strict)
        _three(m, how, few, on_error="skip", strict=strict)


@pytest.mark.parametrize("end", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_small_batches_strict_and_a_failing_record_between_runs(end: bytes) -> None:
    m = mapper.compile_sink(WIDE)
    records = [_record(i) for i in range(9)]
    records[4] = _record(4, d18=1e-19, tl="bad")  # lossy under Scale 18, and an error: the run is split there
    records[7] = _record(7, ts=-(2**63), b=None)
    data = _lines(records, end)
    for strict, size in itertools.product((False, True), (1, 3, 100)):
        _three(m, "iter", data, records=size, on_error="skip", strict=strict)
    for how, on_error in itertools.product(("map", "validate"), ("skip", "endpoint")):
        if how == "map" and on_error == "endpoint":
            continue  # (a refused record discards nothing but raises nothing either: same as skip here)
        _three(m, how, data[: -len(end)], on_error=on_error)  # (no final newline)
        _three(m, how, bytearray(data), on_error=on_error)
        _three(m, how, data.decode(), on_error=on_error)


def test_a_few_records_under_a_records_path() -> None:
    m = mapper.compile_sink(WIDE)
    docs = [{"now": j, "items": [_record(10 * j + i) for i in range(4)]} for j in range(3)]
    docs[1]["items"][2]["d18"] = 0.0000000000000000001
    for data in (_lines(docs), docs):
        for how in ("map", "validate"):
            _three(m, how, data, on_error="skip", records_path="items")


@pytest.mark.parametrize(
    "config",
    [
        {"Unit": "s", "Granularity": "s"},
        {"Unit": "ms", "Granularity": "s"},
        {"Unit": "ns", "Granularity": "ns"},
        {"Unit": "s", "Granularity": "ms", "Epoch": "2000-01-01T00:00:00Z"},
        {"Unit": "ms", "Granularity": "ms", "Epoch": "1970-01-01T00:00:00Z"},
        {"Granularity": "us", "Layout": "2006-01-02 15:04:05.000000"},
    ],
)
def test_a_few_timestamps_of_each_unit_granularity_and_epoch(config: dict[str, Any]) -> None:
    # the quick form is the value as sent (counted in the column's own unit from 1970), or
    # else the converter itself (validate's few-lines route): both refuse what they must
    m = mapper.compile_sink(id_schema({"name": "t", "path": ["t"], "type": "timestamp", "config": config}, allow_missing=False))
    text = "Layout" in config
    values = (
        ["2022-08-08 17:57:48.123456", "2022-08-08 17:57:48.1234567", "1833-01-01 00:00:00.000000", "x", 5]
        if text
        else [0, -1, 1659981468, 2**53, 2**53 + 1, 2**63, -(2**63), 1.5, 4102444800000, -9223372037]
    )
    records = [{"id": i, "t": v} for i, v in enumerate(values)] + [{"id": 99, "t": values[0]}]
    for how, strict in itertools.product(("map", "validate"), (False, True)):
        _three(m, how, _lines(records), on_error="skip", strict=strict)
        _three(m, how, records, on_error="skip", strict=strict)
        _three(m, how, _lines(records[:3]), on_error="skip", strict=strict)  # (every value vouched for, where counted as stored)


def test_the_batcher_judges_a_few_records_as_without_the_shortcut() -> None:
    records = [_record(i) for i in range(8)]
    records[2] = _record(2, d18=1e-19)
    records[5] = _record(5, n=2**64)
    verdicts = []
    for few in (fast.FEW_VALUES, 0):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(fast, "FEW_VALUES", few)
            batcher = mapper.Batcher(WIDE, strict=True)
            said = [batcher.add(r if i % 2 else orjson.dumps(r)) for i, r in enumerate(records)]
            bodies = batcher.flush()
            verdicts.append(([(v.accepted, [(e.column, e.code, e.message) for e in v.errors]) for v in said], [b.data for b in bodies]))
    assert verdicts[0] == verdicts[1]
    assert [ok for ok, _ in verdicts[0][0]] == [True, True, False, True, True, False, True, True]


def test_a_str_naming_a_file_and_a_str_of_json_map_alike(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the runner sizes the builders by the lines of a str of JSON; a str naming a file is
    # read from the file (its name's length is no input size)
    m = mapper.compile_sink(WIDE)
    data = _lines([_record(i) for i in range(5)] + [_record(5, n="x")])
    (tmp_path / "r.ndjson").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    want = _seen(m.map(data, on_error="skip"))
    assert _seen(m.map("r.ndjson", on_error="skip")) == want
    assert _seen(m.map(data.decode(), on_error="skip")) == want
    assert _seen(m.map(memoryview(data), on_error="skip")) == want
