"""Tests that kill the mutants a mutation run left alive (issue 12), one named test per survivor.

Every expected value here is worked out by hand or with Python's ``datetime`` /
``decimal`` as an independent reference, never read back from mapper. Each test says
which mutant it kills (module and the code it guards); the README's *Mutation testing*
section lists survivor -> test.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.paths import PathSyntaxError, parse_path

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def since_1970(dt: datetime, unit: timedelta) -> int:
    """An exact count of ``unit`` from 1970 (integer arithmetic on timedelta, no floats)."""
    delta = dt - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
    unit_us = (unit.days * 86400 + unit.seconds) * 10**6 + unit.microseconds
    assert micros % unit_us == 0 or unit_us > 0
    return micros // unit_us if micros >= 0 else -((-micros) // unit_us)


US, MS, S = timedelta(microseconds=1), timedelta(milliseconds=1), timedelta(seconds=1)
SEED_TIME = datetime(2022, 8, 8, 17, 57, 48, 260123, tzinfo=UTC)


def one_column(ctype: str, config: dict | None = None, *, allow_missing: bool = True, extra: list | None = None) -> mapper.Mapper:
    entry = {"name": "v", "path": ["v"], "type": ctype}
    if config is not None:
        entry["config"] = config
    definition = [{"name": "id", "path": ["id"], "type": "id"}, entry, *(extra or [])]
    return mapper.compile_sink({"id_field": "id", "allow_missing_fields": allow_missing, "definition": definition})


def both_paths(m: mapper.Mapper, records: list[dict], **options):
    """(rows, errors, warnings) of the fast and the careful path, which must agree."""
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    out = []
    for fast in (True, False):
        try:
            batch = m.map(data, fast=fast, **options)
            rows, report = batch.to_rows(), batch.report
        except mapper.BatchRejected as exc:
            rows, report = None, exc.report
        out.append(
            (
                rows,
                [(e.record, e.column, e.code, e.message) for e in report.errors],
                [(w.record, w.column, w.kind, w.sent, w.stored) for w in report.warnings],
            )
        )
    assert out[0] == out[1], "the fast and the careful path disagree"
    return out[0]


def values(m: mapper.Mapper, records: list[dict], column: str = "v", **options) -> list:
    """The stored int64/uint64 value of one column per record, on both paths (None: nothing stored, or the record failed)."""
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    got = []
    for fast in (True, False):
        batch = m.map(data, fast=fast, on_error="skip", **options)
        col = batch[column]
        by_record = {r: (int(v) if ok else None) for r, v, ok in zip(batch.record_index.tolist(), col.values.tolist(), col.valid.tolist())}
        got.append([by_record.get(i) for i in range(len(records))])
    assert got[0] == got[1]
    return got[0]


def problems(definition, **options) -> list[tuple[str, str, str]]:
    result = mapper.check_sink(definition, **options)
    return [(p.severity, p.pointer, p.code) for p in result.problems]


def problem_messages(definition, **options) -> dict[tuple[str, str], str]:
    return {(p.pointer, p.code): p.message for p in mapper.check_sink(definition, **options).problems}


def schema(*entries, identity=None) -> dict:
    ident = identity or {"id_field": "id"}
    return {**ident, "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}, *entries]}


# ---------------------------------------------------------------------------------------
# types/base.py UNIT_NS "us": 10**3 (mutant 9**3: every microsecond value 14 years off)


def test_kill_unit_us_timestamp_granularity_and_unit():
    sent_us = since_1970(SEED_TIME, US)  # 1659981468260123
    assert sent_us == 1659981468260123
    # Unit us counted at Granularity ms: truncated to the millisecond
    m = one_column("timestamp", {"Unit": "us", "Granularity": "ms"})
    assert values(m, [{"id": 1, "v": sent_us}]) == [since_1970(SEED_TIME.replace(microsecond=260000), MS)]
    # Unit s at Granularity us: a count of microseconds
    m = one_column("timestamp", {"Unit": "s", "Granularity": "us"})
    assert values(m, [{"id": 1, "v": 1659981468}]) == [1659981468 * 10**6]
    # Unit us at Granularity us, rendered with 6 fraction digits
    m = one_column("timestamp", {"Unit": "us", "Granularity": "us"})
    rows, errors, warnings = both_paths(m, [{"id": 1, "v": sent_us}])
    assert rows == [{"_id": 1, "v": "2022-08-08T17:57:48.260123Z"}] and errors == [] and warnings == []


def test_kill_unit_us_date_int_and_record_time():
    m = one_column("dateInt", {"Unit": "us"})
    assert values(m, [{"id": 1, "v": "2022-08-08"}]) == [since_1970(datetime(2022, 8, 8, tzinfo=UTC), US)]
    m = one_column("recordTime", {"Unit": "us"})
    assert values(m, [{"id": 1, "v": 1659981468260123}]) == [1659981468260123 * 1000]


def test_kill_unit_us_ms_into_us_exact():
    # 1659981468260 ms at Granularity us is exact: no warning
    m = one_column("timestamp", {"Unit": "ms", "Granularity": "us"})
    rows, errors, warnings = both_paths(m, [{"id": 1, "v": 1659981468260}])
    assert rows == [{"_id": 1, "v": "2022-08-08T17:57:48.260000Z"}] and warnings == []


# ---------------------------------------------------------------------------------------
# numeric recordTime on the fast path (engine: the vector choice for recordTime; the
# old project.py:902 `and -> or` stored 1970-01-01T00:00:01.66Z)


def test_kill_numeric_record_time_fast_path():
    sent_ms = since_1970(SEED_TIME, MS)
    m = one_column("recordTime", {"Unit": "ms"})
    records = [{"id": i, "v": sent_ms + i} for i in range(50)]
    want = [(sent_ms + i) * 10**6 for i in range(50)]
    assert values(m, records) == want
    rows, _errors, _warnings = both_paths(m, records[:1])
    assert rows == [{"_id": 0, "v": "2022-08-08T17:57:48.260Z"}]


def test_kill_record_time_epoch_and_strings_fast_path():
    m = one_column("recordTime", {"Unit": "s", "Epoch": "2000-01-01T00:00:00Z"})
    base = since_1970(datetime(2000, 1, 1, tzinfo=UTC), timedelta(seconds=1)) * 10**9
    assert values(m, [{"id": i, "v": i * 3600} for i in range(20)]) == [base + i * 3600 * 10**9 for i in range(20)]
    m = one_column("recordTime")
    texts = ["2022-08-08T17:57:48Z", "2022-08-08T19:57:48.5+02:00", "1970-01-01T00:00:00.000000001Z"]
    want = [since_1970(SEED_TIME.replace(microsecond=0), S) * 10**9, since_1970(SEED_TIME.replace(microsecond=500000), US) * 1000, 1]
    assert values(m, [{"id": i, "v": t} for i, t in enumerate(texts)]) == want


# ---------------------------------------------------------------------------------------
# checks.py: several recordTime columns (the old sink.py:756 `+ -> -` raised TypeError)


def test_kill_several_record_times_warned_not_crashing():
    d = schema(
        {"name": "t1", "path": ["t1"], "type": "recordTime"},
        {"name": "q", "path": ["q"], "type": "strings", "config": {"Quantum": "YMD"}},
        {"name": "t2", "path": ["t2"], "type": "recordTime"},
        {"name": "t3", "path": ["t3"], "type": "recordTime"},
    )
    assert problems(d) == [
        ("warning", "/definition/3", "several-record-times"),
        ("warning", "/definition/4", "several-record-times"),
        ("note", "/definition/4", "record-time-carried"),  # (the last one read: a missing one keeps the previous record's time)
    ]
    msgs = problem_messages(d)
    assert "the last one read sets the record's time" in msgs[("/definition/3", "several-record-times")]


def test_kill_unused_record_time_warned_only_without_quantum():
    d = schema({"name": "t", "path": ["t"], "type": "recordTime"})
    assert problems(d) == [("warning", "/definition/1", "unused-record-time")]
    d = schema({"name": "t", "path": ["t"], "type": "recordTime"}, {"name": "q", "path": ["q"], "type": "ids", "config": {"Quantum": "Y"}})
    assert problems(d) == [("note", "/definition/1", "record-time-carried")]


# ---------------------------------------------------------------------------------------
# sink.py: duplicate JSON keys (_Obj) and unknown top-level keys


def test_kill_duplicate_json_keys_reported():
    text = (
        '{"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", "table": "u"},'
        ' "schema": {"id_field": "id", "allow_missing_fields": true, "allow_missing_fields": false,'
        ' "definition": [{"name": "id", "path": ["id"], "type": "id", "type": "id"}]}}'
    )
    got = problems(text)
    assert ("warning", "/sink_details/table", "duplicate-key") in got
    assert ("warning", "/schema/allow_missing_fields", "duplicate-key") in got
    assert ("warning", "/schema/definition/0/type", "duplicate-key") in got
    assert len(got) == 3
    sink = mapper.load_sink(text)
    assert sink.allow_missing_fields is False  # the last one wins, as in Go
    assert "appears more than once; the last value wins" in problem_messages(text)[("/schema/allow_missing_fields", "duplicate-key")]


def test_kill_unknown_top_level_keys_warned():
    body = {
        "name": "s",
        "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
        "schema": {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
        "shcema": {},
    }
    assert problems(body) == [("warning", "/shcema", "unknown-key")]
    assert "did you mean 'schema'" in problem_messages(body)[("/shcema", "unknown-key")]
    bare = dict(schema(), extra=1)
    assert problems(bare) == [("warning", "/extra", "unknown-key")]


# ---------------------------------------------------------------------------------------
# types/times.py: the ns range (old sink.py:72 `10**9 -> 10**8`)

NANO_LO = EPOCH - timedelta(seconds=2**32)  # 1833-11-24T17:31:44Z
NANO_HI = EPOCH + timedelta(seconds=2**32)  # 2106-02-07T06:28:16Z


def test_kill_ns_range_bounds_of_values():
    assert NANO_LO.isoformat() == "1833-11-24T17:31:44+00:00" and NANO_HI.isoformat() == "2106-02-07T06:28:16+00:00"
    m = one_column("timestamp", {"Granularity": "ns"})
    texts = ["1833-11-24T17:31:44Z", "2106-02-07T06:28:16Z", "1833-11-24T17:31:43.999999999Z", "2106-02-07T06:28:16.000000001Z"]
    got = values(m, [{"id": i, "v": t} for i, t in enumerate(texts)])
    assert got == [-(2**32) * 10**9, 2**32 * 10**9, None, None]
    _rows, errors, _w = both_paths(m, [{"id": 0, "v": texts[2]}], on_error="skip")
    assert [(e[2], "(1833..2106)" in e[3]) for e in errors] == [("out_of_range", True)]


def test_kill_ns_range_bounds_of_epoch():
    ok = schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Granularity": "ns", "Epoch": "1833-11-24T17:31:44Z", "Unit": "s"}})
    assert problems(ok) == []
    bad = schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Granularity": "ns", "Epoch": "1833-11-24T17:31:43Z", "Unit": "s"}})
    assert problems(bad) == [("error", "/definition/1/config/Epoch", "epoch-out-of-range")]
    coarse = schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Granularity": "s", "Epoch": "1833-11-24T17:31:43Z", "Unit": "s"}})
    assert problems(coarse) == []
    # numbers at ns: 2**32 s from 1970 fits, one more second does not
    m = one_column("timestamp", {"Granularity": "ns", "Unit": "s"})
    assert values(m, [{"id": 1, "v": 2**32}, {"id": 2, "v": 2**32 + 1}, {"id": 3, "v": -(2**32)}, {"id": 4, "v": -(2**32) - 1}]) == [
        2**32 * 10**9,
        None,
        -(2**32) * 10**9,
        None,
    ]


# ---------------------------------------------------------------------------------------
# INT64 bounds (old sink.py:63 INT64_MAX `2**63-1 -> 2**62-1`)


def test_kill_int64_bounds_in_config():
    ok = schema({"name": "n", "path": ["n"], "type": "int", "config": {"Min": -(2**63), "Max": 2**63 - 1}})
    assert problems(ok) == []
    for key, value in (("Max", 2**63), ("Min", -(2**63) - 1)):
        config = {"Min": 0, "Max": 10, key: value}
        bad = schema({"name": "n", "path": ["n"], "type": "int", "config": config})
        assert problems(bad) == [("error", f"/definition/1/config/{key}", "out-of-range")]


def test_kill_int64_bounds_of_values():
    m = one_column("int")
    got = values(m, [{"id": 1, "v": "9223372036854775807"}, {"id": 2, "v": "-9223372036854775808"}, {"id": 3, "v": "9223372036854775808"}])
    assert got == [2**63 - 1, -(2**63), None]
    m = one_column("int", {"Min": -(2**62), "Max": 2**62})
    assert values(m, [{"id": 1, "v": str(2**62)}, {"id": 2, "v": str(2**62 + 1)}]) == [2**62, None]
    m = one_column("id", None)
    data = b'{"id": 1, "v": "18446744073709551615"}\n{"id": 2, "v": "18446744073709551616"}\n'
    batch = m.map(data, on_error="skip")
    assert batch["v"].values.tolist() == [2**64 - 1] and [e.code for e in batch.report.errors] == ["out_of_range"]


# ---------------------------------------------------------------------------------------
# types/decimal.py: the float range test (old types.py:430 `< -> <=`: 2**63 crashed)


def test_kill_decimal_number_at_two_to_the_63():
    m = one_column("decimal", {"Scale": 0})
    # 9223372036854775807 decodes to the float 2**63, which int64 cannot hold
    rows, errors, _w = both_paths(m, [{"id": 1, "v": 9223372036854775807}], on_error="skip")
    assert [(e[2], "-9223372036854775808" in e[3]) for e in errors] == [("out_of_range", True)]
    # the largest float below 2**63 is 2**63 - 1024: stored exactly
    assert float(2**63 - 1024) == 2**63 - 1024 and float(2**63 - 1024) < 2**63
    assert values(m, [{"id": 1, "v": 2**63 - 1024}, {"id": 2, "v": -(2**63)}]) == [2**63 - 1024, -(2**63)]
    # strings are exact up to the bounds
    assert values(m, [{"id": 1, "v": "9223372036854775807"}, {"id": 2, "v": "-9223372036854775808"}, {"id": 3, "v": "9223372036854775808"}]) == [
        2**63 - 1,
        -(2**63),
        None,
    ]


@pytest.mark.parametrize("scale", [0, 2, 18, 19])
def test_kill_decimal_string_edges_at_each_scale(scale):
    m = one_column("decimal", {"Scale": scale})
    limit = Decimal(2**63 - 1).scaleb(-scale)  # the largest decimal the column holds
    assert values(m, [{"id": 1, "v": format(limit, "f")}, {"id": 2, "v": format(-limit - Decimal(1).scaleb(-scale), "f")}]) == [2**63 - 1, -(2**63)]
    over = format(limit + Decimal(1).scaleb(-scale), "f")  # 19 digits beyond int64
    if scale == 0:  # no fraction digit to give up: pql.ParseDecimal says "value out of range"
        assert values(m, [{"id": 1, "v": over}]) == [None]
    else:  # pql's reducePrecision drops the last fraction digit, and the value is truncated
        rows, errors, warnings = both_paths(m, [{"id": 1, "v": over}])
        assert values(m, [{"id": 1, "v": over}]) == [2**63 // 10 * 10]
        assert errors == [] and [w[2] for w in warnings] == ["decimal_truncated"]


# ---------------------------------------------------------------------------------------
# types/boolean.py: numbers of magnitude 2**63 and more (old types.py:490)


def test_kill_bool_of_huge_numbers():
    m = one_column("bool")
    recs = [{"id": 1, "v": 1e19}, {"id": 2, "v": -1e19}, {"id": 3, "v": 9223372036854775808}, {"id": 4, "v": 0.5}, {"id": 5, "v": -0.0}, {"id": 6, "v": 2.0}]
    rows, errors, warnings = both_paths(m, recs)
    assert [r.get("v") for r in rows] == [True, True, True, False, False, True]
    assert errors == [] and warnings == [(3, "v", "float_truncated", 0.5, False)]


# ---------------------------------------------------------------------------------------
# types/decimal.py: the Scale > 18 warning (old sink.py:1057)


def test_kill_scale_19_warning_and_not_18():
    at = {s: problems(schema({"name": "d", "path": ["d"], "type": "decimal", "config": {"Scale": s}})) for s in (17, 18, 19, 20)}
    assert at[17] == [] and at[18] == []
    assert at[19] == [("warning", "/definition/1/config/Scale", "large-scale")]
    assert at[20] == [("error", "/definition/1/config/Scale", "invalid-scale")]
    assert (
        "0.93"
        in problem_messages(schema({"name": "d", "path": ["d"], "type": "decimal", "config": {"Scale": 19}}))[("/definition/1/config/Scale", "large-scale")]
    )


def test_kill_scale_19_values():
    m = one_column("decimal", {"Scale": 19})
    # 0.9223372036854775807 is the largest; 0.93 and 1 do not fit
    assert values(m, [{"id": 1, "v": "0.9223372036854775807"}, {"id": 2, "v": "0.93"}, {"id": 3, "v": 1}, {"id": 4, "v": 0}]) == [2**63 - 1, None, None, 0]


# ---------------------------------------------------------------------------------------
# types/text.py: "" into strings (old types.py:534)


def test_kill_empty_string_into_strings_warned_and_strict():
    m = one_column("strings")
    rows, errors, warnings = both_paths(m, [{"id": 1, "v": ""}, {"id": 2, "v": ["", "a", "a"]}, {"id": 3, "v": ",b,,"}])
    assert rows == [{"_id": 1}, {"_id": 2, "v": ["a"]}, {"_id": 3, "v": ["b"]}]
    assert errors == []
    assert warnings == [(0, "v", "empty_string", "", None), (2, "v", "comma_split", ",b,,", ["b"])]
    rows, errors, warnings = both_paths(m, [{"id": 1, "v": ""}], strict=True, on_error="skip")
    assert [(e[0], e[2]) for e in errors] == [(0, "lossy_value")] and warnings == []


# ---------------------------------------------------------------------------------------
# model.py Column.to_entry (old paths.py:65 `"path": null`) and paths.py's special characters


def test_kill_to_entry_keeps_paths():
    sink = mapper.load_sink(
        schema(
            {"name": "a", "path": 'data."x.y"', "type": "int"},
            {"name": "b", "path": ["data", "z"], "type": "string", "config": {"Mutex": True}},
            {"name": "c", "path": "items[0].id", "type": "int"},
        )
    )
    entries = sink.to_schema()["definition"]
    assert [e["path"] for e in entries] == [["id"], ["data", "x.y"], ["data", "z"], "items[0].id"]
    assert entries[2]["config"] == {"Mutex": True}
    again = mapper.load_sink(sink.to_body())
    assert [c.path for c in again.columns] == [c.path for c in sink.columns]


@pytest.mark.parametrize("text", ["a>b", "a<b", "a==b", "a!=b", "a&&b", "a||b", "a|b", "`1`", "a[0]", "a.*", "@", "a,b", "a:b", "a?b", "'x'", "a{b}", "a(b)"])
def test_kill_special_characters_make_jmespath(text):
    try:
        path = parse_path(text)
    except mapper.PathSyntaxError:
        return  # not a plain key either: what matters is that it is not read as one
    assert path.keys is None and path.expression == text


@pytest.mark.parametrize(
    ("text", "keys"),
    [("a", ("a",)), ("a.b", ("a", "b")), ('a."b>c"', ("a", "b>c")), ('"a b".c', ("a b", "c")), ("a-b", ("a-b",)), ("é.中", ("é", "中")), ("_1", ("_1",))],
)
def test_kill_plain_paths_stay_plain(text, keys):
    assert parse_path(text).keys == keys


# ---------------------------------------------------------------------------------------
# report.decide: max_errors as a share (old project.py:808 `max_errors=1.0` read as 100%)


@pytest.mark.parametrize(
    ("max_errors", "accepted"),
    [(1.0, True), (1, False), (2, True), (0.5, False), (2 / 3, True), (0.6, False), (0, False), (0.0, False)],
)
def test_kill_max_errors_count_versus_share(max_errors, accepted):
    m = one_column("int")
    data = b'{"id":1,"v":"x"}\n{"id":2,"v":2}\n{"id":3,"v":"y"}\n'  # 2 of 3 records fail
    report = m.validate(data, on_error="skip", max_errors=max_errors)
    assert report.failed_records == 2
    assert report.accepted is accepted, report.reject_reason
    if not accepted:
        assert "more than max_errors" in report.reject_reason


# ---------------------------------------------------------------------------------------
# checks and types: rules that no test ran before


def test_kill_primary_key_whitespace_and_duplicate_warnings():
    d = {
        "primary_key_fields": [" a", "b", "b"],
        "allow_missing_fields": True,
        "definition": [{"name": "a", "path": ["a"], "type": "string"}, {"name": "b", "path": ["b"], "type": "int"}],
    }
    assert problems(d) == [("warning", "/primary_key_fields/0", "whitespace"), ("warning", "/primary_key_fields/2", "duplicate")]
    sink = mapper.load_sink(d)
    assert sink.primary_key_fields == ("a", "b", "b")
    rows = mapper.compile_sink(sink).map(b'{"a": "x", "b": 7}\n').to_rows()
    assert rows == [{"_id": "x|7|7", "a": "x", "b": 7}]


def test_kill_primary_key_strings_column_and_unknown():
    d = {
        "primary_key_fields": ["a", "nope"],
        "allow_missing_fields": True,
        "definition": [{"name": "a", "path": ["a"], "type": "strings"}],
    }
    assert problems(d) == [("error", "/primary_key_fields/0", "identity-type"), ("error", "/primary_key_fields/1", "unknown-column")]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"Quantum": "YMD", "TTL": "-1h"}, [("error", "TTL", "invalid-ttl")]),
        ({"Quantum": "YMD", "TTL": "-1ns"}, [("error", "TTL", "invalid-ttl")]),
        ({"Quantum": "YMD", "TTL": "0s"}, []),
        ({"Quantum": "YMD", "TTL": "1x"}, [("error", "TTL", "invalid-ttl")]),
        ({"TTL": "1h"}, [("error", "TTL", "ttl-needs-quantum")]),
        ({"Quantum": "ymd"}, [("error", "Quantum", "invalid-quantum")]),
        ({"Mutex": True, "Quantum": "Y"}, [("error", "Quantum", "mutex-quantum")]),
        ({"Mutex": True, "Quantum": "Y", "TTL": "1h"}, [("error", "Quantum", "mutex-quantum"), ("error", "TTL", "mutex-ttl")]),
        ({"CacheType": "fifo"}, [("error", "CacheType", "invalid-cache-type")]),
        ({"CacheType": ""}, []),
        ({"CacheType": "lru", "CacheSize": -1}, [("error", "CacheSize", "out-of-range")]),
        ({"CacheType": "none", "CacheSize": 5}, [("warning", "CacheSize", "cache-size-ignored")]),
        ({"CacheType": "none", "CacheSize": 0}, []),
        ({"CacheSize": 0}, []),
    ],
)
def test_kill_set_field_config_rules(config, expected):
    d = schema({"name": "s", "path": ["s"], "type": "string", "config": config})
    got = problems(d)
    assert got == [(sev, f"/definition/1/config/{key}", code) for sev, key, code in expected]


def test_kill_set_field_rule_messages():
    msgs = problem_messages(schema({"name": "s", "path": ["s"], "type": "ids", "config": {"Quantum": "YMD", "TTL": "-1h", "CacheType": "LRU"}}))
    assert "is negative" in msgs[("/definition/1/config/TTL", "invalid-ttl")]
    assert "did you mean" in msgs[("/definition/1/config/CacheType", "invalid-cache-type")]


def test_kill_zero_epoch_warning_and_values():
    d = schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Epoch": "0001-01-01T00:00:00Z", "Unit": "s"}})
    assert problems(d) == [("warning", "/definition/1/config/Epoch", "zero-epoch")]
    m = one_column("timestamp", {"Epoch": "0001-01-01T00:00:00Z", "Unit": "s"})
    assert values(m, [{"id": 1, "v": 86400}]) == [86400]  # counted from 1970, as the ingester does


@pytest.mark.parametrize(
    ("ctype", "config", "expected"),
    [
        ("timestamp", {"Epoch": "0001-01-01T00:00:00.5Z", "Unit": "s"}, [("error", "Epoch", "epoch-out-of-range")]),
        ("timestamp", {"Epoch": "0001-01-01T00:00:01Z", "Unit": "s"}, []),
        ("timestamp", {"Epoch": "9999-12-31T23:59:59Z", "Unit": "s"}, []),
        ("timestamp", {"Epoch": "1800-01-01T00:00:00Z", "Unit": "s", "Granularity": "ns"}, [("error", "Epoch", "epoch-out-of-range")]),
        ("timestamp", {"Epoch": "yesterday"}, [("error", "Epoch", "invalid-epoch")]),
        ("timestamp", {"Epoch": 5}, [("error", "Epoch", "wrong-type")]),
        ("timestamp", {"Granularity": "MS"}, [("error", "Granularity", "invalid-granularity")]),
        ("timestamp", {"Unit": "MS"}, [("warning", "Unit", "unit-case")]),
        ("timestamp", {"Unit": "weeks"}, [("error", "Unit", "invalid-unit")]),
        ("timestamp", {"Unit": "s", "Layout": "2006"}, [("warning", "Layout", "layout-ignored")]),
        ("timestamp", {"Epoch": "2000-01-01T00:00:00Z"}, [("note", "Epoch", "default-unit")]),
        ("dateInt", {"Unit": "c"}, [("error", "Unit", "custom-unit")]),
        ("dateInt", {"Unit": "c", "CustomUnit": "week"}, [("error", "CustomUnit", "custom-unit")]),
        ("dateInt", {"Unit": "c", "CustomUnit": "-1h"}, [("warning", "CustomUnit", "custom-unit-negative")]),
        ("dateInt", {"Unit": "c", "CustomUnit": "0s"}, [("error", "CustomUnit", "custom-unit")]),
        ("dateInt", {"Unit": "c", "CustomUnit": "1ns"}, []),
        ("dateInt", {"Unit": "d", "CustomUnit": "24h"}, [("warning", "CustomUnit", "custom-unit-ignored")]),
        ("dateInt", {"Epoch": "2000-01-01T00:00:00Z"}, []),
        ("recordTime", {"Unit": "ns", "Epoch": "0001-01-01T00:00:00Z"}, [("warning", "Epoch", "zero-epoch")]),
        ("int", {"Max": 5}, [("error", "Max", "max-without-min")]),
        ("int", {"Min": 5, "Max": 4}, [("error", "Min", "min-above-max")]),
        ("int", {"Min": 5, "Max": 5}, []),
        ("int", {"Min": "x", "Max": 5}, [("error", "Min", "wrong-type")]),
    ],
)
def test_kill_time_and_int_config_rules(ctype, config, expected):
    got = [p for p in problems(schema({"name": "t", "path": ["t"], "type": ctype, "config": config})) if p[2] != "unused-record-time"]
    assert got == [(sev, f"/definition/1/config/{key}", code) for sev, key, code in expected]


def test_kill_custom_unit_values():
    m = one_column("dateInt", {"Unit": "c", "CustomUnit": "168h"})
    week = timedelta(days=7)
    assert values(m, [{"id": 1, "v": "1970-01-15"}, {"id": 2, "v": "1969-12-24"}, {"id": 3, "v": "1970-01-14"}]) == [2, -1, 1]
    assert since_1970(datetime(1970, 1, 15, tzinfo=UTC), week) == 2


# ---------------------------------------------------------------------------------------
# engine: JMESPath failures and primary-key conversion errors (never run before)


def test_kill_jmespath_failure_is_an_error_of_the_record():
    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": "length(tags)", "type": "int"}],
        }
    )
    rows, errors, _w = both_paths(m, [{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": 5}, {"id": 3}], on_error="skip")
    assert rows == [{"_id": 1, "n": 2}]
    # length() of a number fails, and of a missing key (JMESPath's null) too
    assert [(e[0], e[1], e[2]) for e in errors] == [(1, "n", "invalid_value"), (2, "n", "invalid_value")]
    assert all(e[3].startswith("JMESPath expression failed: In function length(), invalid type for value") for e in errors)
    assert "at `$.length(tags)` (record 1, line 2" in errors[0][3]


def test_kill_jmespath_failure_in_a_primary_key():
    m = mapper.compile_sink(
        {
            "primary_key_fields": ["k"],
            "allow_missing_fields": True,
            "definition": [{"name": "k", "path": "join('-', parts)", "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
        }
    )
    rows, errors, _w = both_paths(m, [{"parts": ["a", "b"], "n": 1}, {"parts": "ab", "n": 2}], on_error="skip")
    assert rows == [{"_id": "a-b", "n": 1}]
    assert [(e[0], e[2]) for e in errors] == [(1, "invalid_id")] and "JMESPath expression failed" in errors[0][3]


def test_kill_primary_key_conversion_errors():
    m = mapper.compile_sink(
        {
            "primary_key_fields": ["a", "b"],
            "allow_missing_fields": True,
            "definition": [{"name": "a", "path": ["a"], "type": "string"}, {"name": "b", "path": ["b"], "type": "int"}],
        }
    )
    recs = [{"a": "x", "b": 1}, {"a": "x", "b": None}, {"a": "x"}, {"a": 1234567, "b": 2}, {"a": [1, "y"], "b": 3}]
    rows, errors, warnings = both_paths(m, recs, on_error="skip")
    assert [r["_id"] for r in rows] == ["x|1", "1.234567e+06|2", "[1 y]|3"]
    assert [(e[0], e[2]) for e in errors] == [(1, "invalid_id"), (2, "invalid_id")]
    assert "primary key field 'b' is null" in errors[0][3] and "primary key field 'b' is missing" in errors[1][3]
    assert warnings == [
        (3, "a", "string_from_value", 1234567, "1.234567e+06"),
        (3, "_id", "string_from_value", [1234567, 2], "1.234567e+06|2"),
        (4, "a", "string_from_value", [1, "y"], "[1 y]"),
        (4, "_id", "string_from_value", [[1, "y"], 3], "[1 y]|3"),  # (an array's Go text in the key)
    ]
    # a key value that is not a JSON value (Python callers): the error names the field that holds it
    batch = m.map([{"a": "x", "b": {1, 2}}, {"a": "", "b": 1}], on_error="skip")
    assert [(e.record, e.column, e.code, e.path) for e in batch.report.errors] == [(0, "b", "invalid_value", "$.b"), (0, "b", "invalid_id", "$.b")]
    assert "builtins.set is not a JSON value" in batch.report.errors[1].message
    assert batch.to_rows() == [{"_id": "|1", "b": 1}]  # "" in a key prints as nothing (Go's %v); "" stores no value
    single = mapper.compile_sink({"primary_key_fields": ["a"], "allow_missing_fields": True, "definition": [{"name": "a", "path": ["a"], "type": "string"}]})
    report = single.validate(b'{"a": ""}\n{"a": "k"}\n')
    assert [(e.record, e.code, e.message.split(" - ")[0]) for e in report.errors] == [(0, "invalid_id", "the primary key is empty")]


# ---------------------------------------------------------------------------------------
# Survivors of the mutation sample (tests/mutation_run.py), killed here


def test_kill_prefix_path_warned_once_per_column():
    # a.b.c goes inside both a and a.b: one warning for it, naming the shortest prefix (checks.check_paths' break)
    d = schema(
        {"name": "a", "path": ["a"], "type": "int"},
        {"name": "ab", "path": ["a", "b"], "type": "int"},
        {"name": "abc", "path": ["a", "b", "c"], "type": "int"},
    )
    assert problems(d) == [("warning", "/definition/2/path", "prefix-path"), ("warning", "/definition/3/path", "prefix-path")]
    msgs = problem_messages(d)
    assert "goes inside the value of 'a' ($.a)" in msgs[("/definition/3/path", "prefix-path")]


def test_kill_primary_key_field_that_is_not_a_name():
    d = {
        "primary_key_fields": ["a", 5, " "],
        "allow_missing_fields": True,
        "definition": [{"name": "a", "path": ["a"], "type": "string"}],
    }
    assert problems(d) == [("error", "/primary_key_fields/1", "wrong-type"), ("error", "/primary_key_fields/2", "wrong-type")]
    assert "a primary key field must be a column name, not 5" in problem_messages(d)[("/primary_key_fields/1", "wrong-type")]


# ---------------------------------------------------------------------------------------
# sink.py: the identity given as an option (the CI mutation sample's survivors)

_TWO_COLUMNS = [{"name": "a", "path": ["a"], "type": "id"}, {"name": "b", "path": ["b"], "type": "string"}]


def test_identity_option_over_a_schema_with_its_own_notes_the_override():
    # kills sink.py `form != "definition"` -> `form <= "definition"` ("schema" sorts after "definition")
    schema = {"id_field": "a", "allow_missing_fields": True, "definition": _TWO_COLUMNS}
    problems = mapper.check_sink(schema, id_field="a").problems
    assert [(p.code, p.severity) for p in problems] == [("overridden", "note")]
    body = {"name": "s", "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"}, "schema": schema}
    assert [p.code for p in mapper.check_sink(body, id_field="a").problems] == ["overridden"]
    assert mapper.check_sink(_TWO_COLUMNS, id_field="a", allow_missing_fields=True).problems == ()  # a bare array has none to override


@pytest.mark.parametrize("fields", [[""], [5], ["a", ""], []])
def test_primary_key_fields_option_must_be_non_empty_names(fields):
    # kills sink.py `isinstance(p, str) and p` -> `or p` (an empty name, a number)
    result = mapper.check_sink({"allow_missing_fields": True, "definition": _TWO_COLUMNS}, primary_key_fields=fields)
    assert not result.valid
    assert [(p.code, p.message.split(", not ")[0]) for p in result.errors] == [
        ("identity", "the primary_key_fields option must be a non-empty list of column names")
    ]


# ---------------------------------------------------------------------------------------
# engine/parallel.py: a worker's failure


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="workers need fork")
def test_a_failing_worker_is_a_mapper_error_naming_its_exception(monkeypatch):
    # kills parallel.py `answer[1]` -> `answer[2]`/`answer[3]` in the message. The worker is forked: a patched _map_range that fails outside the first range fails there only
    from mapper.engine import parallel

    real = parallel._map_range

    def failing(compiled, data, options, output, first, end=None, whole=False, **kw):
        if not first:
            raise RuntimeError("boom in a worker")
        return real(compiled, data, options, output, first=first, end=end, whole=whole, **kw)

    monkeypatch.setattr(parallel, "_map_range", failing)
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]})
    data = b"".join(b'{"id": %d}\n' % i for i in range(2000))
    with pytest.raises(mapper.MapperError) as info:
        m.map(data, workers=2)
    first, _, rest = str(info.value).partition("\n")
    assert first == "a worker process failed: RuntimeError: boom in a worker"  # the exception, then its traceback
    assert rest.startswith("Traceback (most recent call last):") and rest.rstrip().endswith("RuntimeError: boom in a worker")


def test_empty_string_into_signed_int_bool_key_writes_nothing():
    # kills integers.py `value == ""` -> `value < ""` (the type table: "" writes nothing, with a warning)
    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "v", "path": ["v"], "type": "signedIntBoolKey"}],
        }
    )
    batch = m.map([{"id": 1, "v": ""}, {"id": 2, "v": -3}])
    assert batch.report.errors == [] and [(w.kind, w.sent, w.stored) for w in batch.report.warnings] == [("empty_string", "", None)]
    assert batch["v"].present.tolist() == [False, True] and batch["v"].values.tolist()[1] == -3


def test_check_json_counts_each_type_once_per_column():
    # kills model.py `types.get(c.type, 0) + 1` -> `+ 2` (the "types" of `mapper check --format json`)
    sink = mapper.load_sink({"id_field": "a", "allow_missing_fields": True, "definition": _TWO_COLUMNS + [{"name": "c", "path": ["c"], "type": "string"}]})
    assert sink.describe()["types"] == {"id": 1, "string": 2}
    assert sink.summary().startswith("sink: 3 columns (")


@pytest.mark.parametrize(
    ("unit", "sent", "text"),
    [
        ("s", 1659981468, "2022-08-08T17:57:48Z"),
        ("ms", 1659981468260, "2022-08-08T17:57:48.260Z"),  # Granularity ms: always 3 digits
        ("us", 1659981468260123, "2022-08-08T17:57:48.260123Z"),
        # a JSON number is a float64 at the endpoint: int(float(...)) is the independent reference
        ("ns", 1659981468260123456, "2022-08-08T17:57:48.%09dZ" % (int(float(1659981468260123456)) % 10**9)),
    ],
)
def test_timestamp_rows_show_the_granularitys_digits(unit, sent, text):
    # the rows' text per Granularity (numpy's datetime_as_string; the warning test below checks the scalar render)
    entry = {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Unit": unit, "Granularity": unit}}
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}, entry]})
    assert m.map([{"id": 1, "t": sent}]).to_rows() == [{"_id": 1, "t": text}]


def test_numeric_record_time_bound_is_an_integer_division():
    # kills times.py `INT64_MAX // unit_ns` -> `/ unit_ns`: as a float, 9223372036854775.807 rounds up
    # to 9223372036854776, so that count of us would pass Go's MaxInt64/scale check (it must not)
    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "recordTime", "config": {"Unit": "us"}}],
        }
    )
    report = m.validate([{"id": 1, "t": 9223372036854776}, {"id": 2, "t": 9223372036854774}])  # (2**63 - 1) // 1000 == 9223372036854775
    assert [(e.record, e.code) for e in report.errors] == [(0, "out_of_range")]
    assert report.errors[0].message.startswith("9223372036854776us is outside representable time scales")


def test_go_time_errors_quote_control_bytes_as_go_does():
    # kills golayout._quote `c < 0x20` -> `c < 31`: Go's time.quote writes bytes below ' ' and
    # from 0x80 as \xNN, and every other byte (space and DEL included) as itself
    m = mapper.compile_sink(
        {
            "id_field": "id",
            "allow_missing_fields": True,
            "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "recordTime"}],
        }
    )
    report = m.validate([{"id": 1, "t": "2022-08-08\x1fT1"}, {"id": 2, "t": "2022-08-08 T1"}, {"id": 3, "t": "2022-08-08\x7fT1"}])
    go_parts = [e.message.split(": ", 1)[1].split(" - at ")[0] for e in report.errors]
    assert go_parts == [
        'parsing time "2022-08-08\\x1fT1" as "2006-01-02T15:04:05Z07:00": cannot parse "\\x1fT1" as "T"',
        'parsing time "2022-08-08 T1" as "2006-01-02T15:04:05Z07:00": cannot parse " T1" as "T"',
        'parsing time "2022-08-08\x7fT1" as "2006-01-02T15:04:05Z07:00": cannot parse "\x7fT1" as "T"',
    ]


@pytest.mark.parametrize(
    ("granularity", "stored"),
    [("s", "2022-08-08T17:57:48Z"), ("ms", "2022-08-08T17:57:48.260Z"), ("us", "2022-08-08T17:57:48.260123Z")],
)
def test_truncated_timestamp_warning_shows_the_granularitys_digits(granularity, stored):
    # kills times.py `self.digits = {"s": 0, "ms": 3, "us": 6, "ns": 9}[gran]` (the warning's stored
    # text is rendered value by value; the rows go through numpy's datetime_as_string)
    entry = {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Granularity": granularity}}
    m = mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}, entry]})
    batch = m.map([{"id": 1, "t": "2022-08-08T17:57:48.260123456Z"}])
    assert [(w.kind, w.stored) for w in batch.report.warnings] == [("timestamp_truncated", stored)]
    assert batch.to_rows() == [{"_id": 1, "t": stored}]


def test_a_column_whose_epoch_is_out_of_range_is_not_built():
    # kills times.py `ok = False` -> True after the epoch-out-of-range error: the
    # column's config must come back as None, so no Column is made for later checks
    from mapper.checks import Checker, check_entry

    ck = Checker()
    entry = {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Granularity": "ns", "Epoch": "1800-01-01T00:00:00Z", "Unit": "s"}}
    assert check_entry(ck, entry, ("definition", 0), 0, "schema") is None
    assert [p.code for p in ck.problems] == ["epoch-out-of-range"]
    entry["config"]["Epoch"] = "1900-01-01T00:00:00Z"
    fine = Checker()
    assert check_entry(fine, entry, ("definition", 0), 0, "schema") is not None and fine.problems == []


@pytest.mark.parametrize("gran", ["s", "ms", "us"])
def test_the_ns_range_is_named_only_at_granularity_ns(gran):
    # kills times.py `gran == "ns"` -> `>=` (and kin) in the out-of-range message: "s" and
    # "us" sort after "ns", so only the exact test keeps "(1833..2106)" to ns columns
    m = one_column("timestamp", {"Granularity": gran})
    _rows, errors, _w = both_paths(m, [{"id": 0, "v": "0001-01-01T00:00:00Z"}], on_error="skip")
    assert [e[2] for e in errors] == ["out_of_range"]
    assert "outside the range FeatureBase takes" in errors[0][3] and "1833" not in errors[0][3]


def test_as_json_copies_a_dict_only_where_a_value_changes():
    # kills base.py `(w := as_json(v)) is not v` -> `< v` (a list and a tuple do not compare)
    from mapper.types import as_json

    inner = [1]
    value = {"a": ("x",), "b": inner, "c": "s"}
    out = as_json(value)
    assert out == {"a": ["x"], "b": [1], "c": "s"} and out is not value and out["b"] is inner
    same = {"b": inner, "c": "s", "d": {"e": 2}}
    assert as_json(same) is same


def test_a_decimal_string_past_19_significant_digits_warns_even_when_its_scale_fits():
    # kills decimal.py `dropped = ... != ""` -> `== ""`: at Scale 19 the 19 digits kept
    # fit the column exactly, so only the dropped 20th digit says the value changed
    m = one_column("decimal", {"Scale": 19})
    _rows, errors, warnings = both_paths(m, [{"id": 0, "v": "0.12345678901234567891"}, {"id": 1, "v": "0.1234567890123456789"}])
    assert errors == []
    assert [(w[0], w[2], w[4]) for w in warnings] == [(0, "decimal_truncated", "0.1234567890123456789")]


def test_a_layout_problem_says_its_character_only_when_it_has_one():
    # kills times.py `if pos is not None` -> `if not pos is not None` in the Layout message
    at = problem_messages(schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02 %Y"}}))
    assert at[("/definition/1/config/Layout", "layout")].endswith("(at character 12)")
    nowhere = problem_messages(schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "yyyy-MM-dd"}}))
    assert "at character" not in nowhere[("/definition/1/config/Layout", "layout")]


def test_a_layout_warning_stays_a_warning_and_an_error_an_error():
    # kills times.py `report = rules.error if severity == "error" else ...` -> `if not ...`
    warned = mapper.check_sink(schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-13-02"}}))
    assert [(p.severity, p.code) for p in warned.problems] == [("warning", "layout")] and warned.valid
    refused = mapper.check_sink(schema({"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "2006-01-02 %Y"}}))
    assert [(p.severity, p.code) for p in refused.problems] == [("error", "layout")] and not refused.valid


def test_as_json_turns_nested_mappings_into_plain_dicts_even_when_they_compare_equal():
    # kills base.py `(w := as_json(v)) is not v` -> `!= v`: a UserDict equals the dict it becomes
    from collections import UserDict

    from mapper.types import as_json

    out = as_json({"a": UserDict({"x": 1}), "b": [UserDict({"y": 2})]})
    assert out == {"a": {"x": 1}, "b": [{"y": 2}]}
    assert type(out["a"]) is dict and type(out["b"][0]) is dict


def test_allow_missing_fields_option_over_a_schema_with_its_own_notes_the_override():
    # kills sink.py `form != "definition"` -> `==` / `<` in the allow_missing_fields override note
    # ("schema" sorts after "definition"; a bare array has nothing to override)
    schema = {"id_field": "a", "allow_missing_fields": True, "definition": _TWO_COLUMNS}
    problems = mapper.check_sink(schema, allow_missing_fields=False).problems
    assert [(p.pointer, p.code, p.severity) for p in problems] == [("/allow_missing_fields", "overridden", "note")]
    assert mapper.check_sink(schema, allow_missing_fields=True).problems == ()  # the same value overrides nothing
    assert mapper.check_sink(_TWO_COLUMNS, id_field="a", allow_missing_fields=False).problems == ()


@pytest.mark.parametrize("form", ["array", "dotted"])
def test_a_path_takes_at_most_a_hundred_keys(form):
    # kills paths.py `MAX_PATH_KEYS = 100` -> 101 (the bound, both ways of writing a path)
    def problems(keys: int) -> list[str]:
        path: object = [f"k{i}" for i in range(keys)] if form == "array" else ".".join(f"k{i}" for i in range(keys))
        entry = {"name": "v", "path": path, "type": "string"}
        return [p.code for p in mapper.check_sink(schema(entry)).problems if p.severity == "error"]

    assert problems(100) == []
    assert problems(101) == ["path-too-deep"]


def test_a_quoted_key_inside_a_dotted_path_ends_at_its_closing_quote():
    # kills paths.py `return value, i + 1` -> `i // 1` (the parse resumed on the closing quote)
    # (misread, the text would fall through to the JMESPath reading: no longer a plain path)
    for text, keys in (('a."b.c".d', ["a", "b.c", "d"]), ('"x y"."z"', ["x y", "z"])):
        path = parse_path(text)
        assert path.is_plain and path.as_array() == keys
    # the plain reader's own errors after a quoted key (JMESPath words them otherwise)
    for text, message, position in (('"a".', "expected a key after '.'", 4), ('"a"..b', "empty key (two dots in a row, or a leading dot)", 4)):
        with pytest.raises(PathSyntaxError) as caught:
            parse_path(text)
        assert (caught.value.message, caught.value.position) == (message, position)


@pytest.mark.parametrize("zone", ["ABCTX", "ABCTXY"])
def test_a_zone_of_five_or_six_capitals_needs_its_t_last(zone):
    # kills golayout.py `n == 4 and s[3] == "T"` -> `n >= 4`: Go takes 4-letter zones ending in T
    # and 5-letter ones ending in T, not longer names with a T fourth
    from mapper.golayout import LayoutError, compile_layout

    layout = compile_layout("2006-01-02 MST")
    assert layout.parse("2010-02-04 ABCT") == layout.parse("2010-02-04 UTC")
    assert layout.parse("2010-02-04 ABCDT") == layout.parse("2010-02-04 UTC")
    with pytest.raises(LayoutError):
        layout.parse(f"2010-02-04 {zone}")


def test_decimal_note_of_a_float_written_in_e_notation():
    # kills decimal.py `"e" not in text and "n" not in text` -> `or` (the plain-notation shortcut
    # must not read "1e+16" or "1.5e-07" as digits)
    from mapper.types.decimal import decimal_note

    assert decimal_note(1e16, 10**18, 2) is None  # 1e+16 at Scale 2 is exact
    note = decimal_note(1.5e-07, 0, 2)
    assert note is not None and note.kind == "decimal_truncated"


def test_february_has_29_days_in_leap_years_and_28_otherwise():
    # kills golayout.py `return 29 if _is_leap(y) else 28` -> other day counts
    from mapper.golayout import LayoutError, compile_layout

    for layout in ("2006-01-02", "Jan 2 2006", "02/01/2006 15:04"):
        parse = compile_layout(layout).parse
        ok, bad = [], []
        for y, d in ((2024, 29), (2000, 29), (2023, 28), (2024, 30), (2023, 29), (1900, 29)):
            text = {"2006-01-02": f"{y}-02-{d:02d}", "Jan 2 2006": f"Feb {d} {y}", "02/01/2006 15:04": f"{d:02d}/02/{y} 00:00"}[layout]
            try:
                parse(text)
                ok.append((y, d))
            except LayoutError as exc:
                assert "day out of range" in str(exc)
                bad.append((y, d))
        assert ok == [(2024, 29), (2000, 29), (2023, 28)] and bad == [(2024, 30), (2023, 29), (1900, 29)], layout


def test_a_quoted_key_escaping_half_a_surrogate_pair_is_a_syntax_error_at_its_quote():
    # kills paths.py `"\ud800" <= ch <= "\udfff"` -> `<` / `>` (the bounds of the surrogate range;
    # such a key compiled into msgspec structs and crashed before)
    for key in ("\\ud800", "\\udfff", "a\\udbff", "\\udc00b"):
        with pytest.raises(PathSyntaxError) as caught:
            parse_path(f'x."{key}"')
        assert caught.value.position == 2 and "surrogate" in caught.value.message
    for key, text in (("\\ud7ff", "\ud7ff"), ("\\ue000", "\ue000"), ("é", "é"), ("\\ud83d\\ude00", "\U0001f600")):
        assert parse_path(f'x."{key}"').as_array() == ["x", text]


def test_as_json_exact_makes_subclasses_builtins_and_leaves_plain_values_alone():
    from mapper.types.base import as_json

    class Tags(list):
        pass

    class Text(str):
        pass

    plain = {"k": [1, "a"], "n": None}
    assert as_json(plain, exact=True) is plain  # nothing to change: the same object
    got = as_json({"t": Tags(["a"]), Text("k"): Text("v")}, exact=True)
    assert type(got["t"]) is list and got["t"] == ["a"]
    assert [type(k) for k in got] == [str, str] and type(got["k"]) is str
    assert type(as_json(Tags(["a"]))) is Tags  # (not exact: kept as it is)


def test_text_span_counts_the_text_of_strings_of_lists_and_of_slices():
    # kills mapper/types/base.py text_span: `is_list(...) or is_large_list(...)` -> `and` (a list
    # of strings counted 0 bytes, so a list column past 2 GiB was joined as list<string>)
    pa = pytest.importorskip("pyarrow")
    from mapper.types.base import text_span

    words = ["ab", "cde", "", "fghi"]  # 2 + 3 + 0 + 4 = 9 bytes
    for t in (pa.string(), pa.large_string(), pa.binary(), pa.large_binary()):
        arr = pa.array([w.encode() if pa.types.is_binary(t) or pa.types.is_large_binary(t) else w for w in words], type=t)
        assert text_span(arr, pa) == 9
        assert text_span(arr.slice(1, 2), pa) == 3  # "cde", "": the slice's own span, from its offset
    for t in (pa.list_(pa.string()), pa.large_list(pa.string()), pa.list_(pa.large_string())):
        assert text_span(pa.array([["ab", "cde"], [], ["fghi", "é"]], type=t), pa) == 2 + 3 + 4 + 2  # é is 2 bytes
    assert text_span(pa.array([1, 2, 3]), pa) == 0 and text_span(pa.array([], type=pa.string()), pa) == 0


def test_a_long_path_with_a_syntax_error_names_its_character_counting_from_one() -> None:
    """(checks.py's one-line path syntax error, ``position // 1`` survived CI's sample at stop 54.) A path of 2,000 characters or more is said without the caret drawing (one line), its
    place as a character counted from 1, as the drawing's message counts it."""
    schema = {
        "id_field": "k",
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": "a" * 2000 + "[?@ == ]", "type": "string"}],
    }
    short = {**schema, "definition": [schema["definition"][0], {"name": "c", "path": "a[?@ == ]", "type": "string"}]}
    said = {p.pointer: p.message for p in mapper.check_sink(schema).problems if p.severity == "error"}
    drawn = {p.pointer: p.message for p in mapper.check_sink(short).problems if p.severity == "error"}
    assert said["/definition/1/path"] == "invalid path: invalid token at character 2008"
    assert drawn["/definition/1/path"].startswith("invalid path: invalid token at character 9\n")


def test_a_loaded_sinks_sink_details_are_read_only_in_depth_and_its_own() -> None:
    """(sink.py's kept sink_details.) The top level was a read-only view, its nested objects and
    arrays the sink's own dicts and lists: ``sink.sink_details["opts"]["x"] = 1`` changed the sink
    (and the body :meth:`~mapper.Sink.to_body` wrote next)."""
    import copy
    import pickle

    opts = {"a": [1, {"b": 2}], "c": "d"}
    given = {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", "opts": opts}
    body = {
        "name": "s",
        "sink_details": given,
        "schema": {"id_field": "k", "allow_missing_fields": True, "definition": [{"name": "k", "path": ["k"], "type": "id"}]},
    }
    sink = mapper.load_sink(body)
    details = sink.sink_details
    assert details is not None
    for edit in (
        lambda: details["opts"].__setitem__("x", 1),  # type: ignore[index]
        lambda: details["opts"]["a"].append(9),
        lambda: details["opts"]["a"][1].__setitem__("b", 3),
    ):
        with pytest.raises((TypeError, AttributeError)):
            edit()
    opts["a"][1]["b"] = 99  # the caller's nested values changed after loading: the sink's are its own
    opts["x"] = 1
    expected = {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t", "opts": {"a": [1, {"b": 2}], "c": "d"}}
    written = sink.to_body()["sink_details"]
    assert written == expected and type(written["opts"]) is dict and type(written["opts"]["a"]) is list
    written["opts"]["a"].append(9)  # the body is a new one to edit: the sink is as it was
    assert sink.to_body()["sink_details"] == expected
    for again in (pickle.loads(pickle.dumps(sink)), copy.deepcopy(sink)):  # (read-only in depth as loaded, and equal)
        assert again == sink and again.to_body()["sink_details"] == expected
        with pytest.raises(TypeError):
            again.sink_details["opts"]["x"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    "layout, first, go, value, when",
    [
        ("%Y-%-m-%-d", "%Y", "2006-1-2", "2021-3-4", datetime(2021, 3, 4, tzinfo=UTC)),
        ("%-d/%-m/%Y %-H:%M", "%-d", "2/1/2006 15:04", "4/3/2021 7:05", datetime(2021, 3, 4, 7, 5, tzinfo=UTC)),
        ("%%Y %Y", "%Y", "%Y 2006", "%Y 2021", datetime(2021, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_strftime_layout_suggests_a_go_layout_that_reads_what_it_meant(layout, first, go, value, when):
    # found in the golayout review: glibc's no-padding %-m was left in the suggestion ('2006-%-m-%-d', which
    # no value matches), and a %% before a directive hid it ('%%Y %Y' said only "no reference-time element")
    from mapper.golayout import check_layout, compile_layout

    ((severity, message, at),) = check_layout(layout)
    assert severity == "error" and f"looks like a strftime format ({first})" in message and at == layout.rindex(first)
    assert message.endswith(f"; the Go layout is {go!r}")
    assert compile_layout(go).parse(value) == since_1970(when, timedelta(microseconds=1)) * 1000


@pytest.mark.parametrize("layout", ["%Y-%m-%d %k", "%Y-%m-%d %_d", "%Y-%-j", "%Y-%m-%d %-y"])
def test_a_strftime_layout_with_a_directive_not_translated_suggests_no_go_layout(layout):
    # the untranslated directive was kept as literal text in the suggestion, which then failed every value
    from mapper.golayout import check_layout

    ((severity, message, _at),) = check_layout(layout)
    assert severity == "error" and "strftime" in message and "the Go layout is" not in message


EXACT_DECIMALS = Context(
    prec=64, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999, capitals=1, clamp=0, flags=[], traps=[InvalidOperation, DivisionByZero, Overflow]
)


def decimal_go_float_text(f: float) -> str:
    """``mapper.types.base.go_float_text`` as it was until 2026-12-06 (verbatim, through
    ``Decimal``): the reference the string-only one must equal for every float."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    _, digits_t, exponent = Decimal(repr(abs(f))).normalize(EXACT_DECIMALS).as_tuple()
    digits = "".join(map(str, digits_t))
    assert isinstance(exponent, int)
    nd = len(digits)
    dp = nd + exponent  # position of the decimal point relative to the digits
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        esign = "+" if exp >= 0 else "-"
        return f"{sign}{mant}e{esign}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{sign}{digits}{'0' * (dp - nd)}"
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _float_edges() -> list[float]:
    """Where a float's text changes form: each power of ten from the smallest subnormal to the
    largest float (Go's exponent form from 1e6 and below 1e-4, repr's from 1e16 and below 1e-4,
    1e21) and 1.5, 9.5 times it, each with its 2 floats either side; integral floats of 1 to 17
    digits (nines, trailing zeros); the extremes, both zeros, NaN and the infinities."""
    edges = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, sys.float_info.max, math.nan, math.inf, -math.inf]
    for e in range(-324, 309):
        for m in ("1", "1.5", "9.5"):
            f = float(f"{m}e{e}")
            lo = hi = f
            near = [f]
            for _ in range(2):
                lo, hi = math.nextafter(lo, 0.0), math.nextafter(hi, math.inf)
                near += [lo, hi]
            edges += [x for x in near if math.isfinite(x)]
    edges += [float(10**n - 1) for n in range(1, 18)] + [float(12 * 10**n) for n in range(17)] + [1234567.5, 999999.5, 1e6 - 0.5]
    return edges + [-x for x in edges]


def test_go_float_text_writes_what_the_decimal_one_wrote_at_every_edge():
    # go_float_text builds Go's %v text from repr's digits, no Decimal (5x faster): at every edge of
    # Go's and repr's forms it writes what the Decimal one wrote (which test_oracle checks against Go)
    from mapper.types.base import go_float_text

    wrong = [(f, new, old) for f in _float_edges() if (new := go_float_text(f)) != (old := decimal_go_float_text(f))]
    assert wrong == []
    assert [go_float_text(f) for f in (1234567.0, 1e6, 1234567.5, -1e15 - 2, 1e16, 0.0001, 1e-5, -0.0, float("nan"), float("-inf"))] == [
        "1.234567e+06",
        "1e+06",
        "1.2345675e+06",
        "-1.000000000000002e+15",
        "1e+16",
        "0.0001",
        "1e-05",
        "-0",
        "NaN",
        "-Inf",
    ]


@given(st.floats() | st.floats(allow_subnormal=True, min_value=-1e-300, max_value=1e-300) | st.integers(-(2**60), 2**60).map(float))
@settings(max_examples=200)
def test_go_float_text_writes_what_the_decimal_one_wrote_for_any_float(f):
    from mapper.types.base import go_float_text

    assert go_float_text(f) == decimal_go_float_text(f)


@pytest.mark.parametrize(
    "layout, go, value, when",
    [
        # java.time's day of year (DDD) was not taken for a Java pattern: "no reference-time element"
        ("yyyy-DDD", "2006-002", "2021-063", datetime(2021, 3, 4, tzinfo=UTC)),
        # '' inside quoted text is an apostrophe: the suggestion was '2006-01-02 3 oclock PM', which no value matches
        ("yyyy-MM-dd h 'o''clock' a", "2006-01-02 3 o'clock PM", "2021-03-04 7 o'clock PM", datetime(2021, 3, 4, 19, tzinfo=UTC)),
        ("EEEE, dd MMMM yyyy", "Monday, 02 January 2006", "Thursday, 04 March 2021", datetime(2021, 3, 4, tzinfo=UTC)),
    ],
)
def test_a_java_pattern_suggests_a_go_layout_that_reads_what_it_meant(layout, go, value, when):
    # kills golayout._from_java / _java_quoted / _JAVA_STRONG mutants: the Java pattern read as java.time reads it
    from mapper.golayout import check_layout, compile_layout

    ((severity, message, _at),) = check_layout(layout)
    assert severity == "error" and "looks like a Java/ICU date pattern" in message
    assert message.endswith(f"; the Go layout is {go!r}"), message
    assert compile_layout(go).parse(value) == since_1970(when, timedelta(microseconds=1)) * 1000


@pytest.mark.parametrize(
    "layout, narrow",
    [("dd MMMMM yyyy", "MMMMM"), ("EEEEE, dd MMM yyyy", "EEEEE"), ("yyyy-MM-dd LLLLL", "LLLLL"), ("dd MMMMMM yyyy", None), ("yyyy-MM-dd 'MMMMM' EEEEEE", None)],
)
def test_a_java_narrow_month_or_weekday_suggests_no_go_layout(layout, narrow):
    # MMMMM / EEEEE (java.time's narrow form: J for January, M for Monday) were suggested as January / Monday,
    # which reads no such value; Go has no one-letter form. Six letters are no pattern at all; quoted text is text
    from mapper.golayout import check_layout

    ((severity, message, _at),) = check_layout(layout)
    assert severity == "error" and "Java/ICU" in message and "the Go layout is" not in message, message
    said = f"; {narrow} (java.time's narrow form, one letter) has no Go layout: none is suggested"
    assert message.endswith(said) if narrow else "narrow" not in message, message


def test_a_definition_text_nested_past_a_hundred_levels_is_refused_alike_on_every_python():
    # kills sink.py's depth walk off by a level, or not counting a key given twice; the limit was the
    # decoder's, which depends on the Python: a text with an extra key nested 3,000 levels deep was
    # read on 3.13 (10,000 levels) and refused on 3.10-3.12, a 150-level one read on all of them
    head = json.dumps(schema())[:-1] + ', "extra": '

    def errors(levels: int, tail: str = "") -> list[tuple[str, str]]:
        inner = levels - 1  # (the definition's own object is its first level)
        text = head + "[" * inner + "]" * inner + tail + "}"
        return [(p.code, p.message) for p in mapper.check_sink(text).problems if p.severity == "error"]

    assert errors(100) == []
    where = f"past 100 levels at line 1 column {len(head) + 100}"  # (the bracket that opens level 101)
    for levels in (101, 150, 3_000):
        ((code, message),) = errors(levels)
        assert code == "too-deep" and message.endswith(where), message
    ((code, message),) = errors(101, ', "extra": 1')  # (a key given twice: its first value is in the text, read by the service)
    assert code == "too-deep" and message.endswith(where), message
