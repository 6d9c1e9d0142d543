"""Divergences from FeatureBase's ingester (``idk/``) found by auditing each type's conversion.

Each test names the Go file and function whose behaviour it pins (read for facts only).
The expected values were checked against Go 1.19.8 (the ingester's build) with ``TZ=UTC``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import mapper


def _sink(record_time: dict[str, Any], quantum: str | None = "YMDH") -> mapper.Mapper:
    tags: dict[str, Any] = {"name": "tags", "path": ["tags"], "type": "strings"}
    if quantum:
        tags["config"] = {"Quantum": quantum}
    entry: dict[str, Any] = {"name": "t", "path": ["t"], "type": "recordTime"}
    if record_time:
        entry["config"] = record_time
    return mapper.compile_sink([{"name": "k", "path": ["k"], "type": "id"}, tags, entry], id_field="k", allow_missing_fields=True)


def _warnings(m: mapper.Mapper, values: list[Any], **kw: Any) -> list[list[tuple[str, Any, Any]]]:
    """Each record's warnings as (kind, sent, stored), on the fast and the careful path (which must agree)."""
    data = "\n".join(json.dumps({"k": i, "tags": ["a"], "t": v}) for i, v in enumerate(values)).encode()
    seen = []
    for fast in (True, False):
        batch = m.map(data, on_error="skip", fast=fast, **kw)
        per: list[list[tuple[str, Any, Any]]] = [[] for _ in values]
        for w in batch.report.warnings:
            per[w.record].append((w.kind, w.sent, w.stored))
        seen.append(per)
    assert seen[0] == seen[1]
    return seen[0]


# --- recordTime: time views are filed by the wall clock of the time's own offset -----------
#
# idk/interfaces.go RecordTimeField.PilosafyVal returns the time.Time that time.Parse (or
# Epoch.Add) made; Go keeps a parsed numeric offset as the time's location (a fixed zone)
# unless it is Local's. idk/ingest.go hands it to rec.Time.Set, and batch/batch.go
# QuantizedTime.Set keeps t.Format("2006010215"): the clock in that location, not UTC. So
# "2020-01-01T23:30:00-05:00" (04:30 UTC on Jan 2) is filed under the views of Jan 1, hour 23.


def test_record_time_with_an_offset_is_filed_under_its_own_clock():
    m = _sink({})
    got = _warnings(
        m, ["2020-01-01T23:30:00-05:00", "2020-01-02T04:30:00Z", "2020-01-01T10:40:00+00:30", "2020-01-01T10:10:00+00:30", "2020-01-01T10:10:00+00:00"]
    )
    assert got[0] == [("local_time", "2020-01-01T23:30:00-05:00", "2020-01-01T23")]
    assert got[1] == []  # Z: UTC
    assert got[2] == []  # 10:40+00:30 is 10:10 UTC: the same hour
    assert got[3] == [("local_time", "2020-01-01T10:10:00+00:30", "2020-01-01T10")]  # 09:40 UTC
    assert got[4] == []  # +00:00 is Local's offset (UTC): Go uses Local


def test_record_time_offsets_matter_at_the_finest_quantum_only():
    m = _sink({}, quantum="YMD")
    got = _warnings(m, ["2020-01-01T10:00:00+05:00", "2020-01-01T02:00:00+05:00"])
    assert got[0] == []  # 05:00 UTC: the same day
    assert got[1] == [("local_time", "2020-01-01T02:00:00+05:00", "2020-01-01")]  # 2019-12-31T21:00Z


def test_record_time_offsets_do_not_matter_without_quantum_columns():
    assert _warnings(_sink({}, quantum=None), ["2020-01-01T23:30:00-05:00"]) == [[]]


def test_record_time_gmt_plus_n_abbreviation():
    # Go 1.19 time.Parse: an unknown abbreviation "GMT+3" keeps the clock as UTC (22:00Z) but
    # puts +3h on the location, so t.Format shows 01:00 the next day
    m = _sink({"Layout": "2006-01-02 15:04 MST"})
    got = _warnings(m, ["2020-01-01 22:00 GMT+3", "2020-01-01 22:00 EST", "2020-01-01 22:00 UTC"])
    assert got == [[("local_time", "2020-01-01 22:00 GMT+3", "2020-01-02T01")], [], []]


def test_record_time_counted_from_an_epoch_with_an_offset():
    # Time.UnmarshalJSON keeps Epoch's +05:00 as its location; Epoch.Add(dur) keeps it too
    m = _sink({"Epoch": "2000-01-01T00:00:00+05:00", "Unit": "s"})
    got = _warnings(m, [0, 3600 * 5])
    assert got[0] == [("local_time", 0, "2000-01-01T00")]  # 1999-12-31T19:00Z
    assert got[1] == [("local_time", 18000, "2000-01-01T05")]
    assert _warnings(_sink({"Epoch": "2000-01-01T00:00:00Z", "Unit": "s"}), [0]) == [[]]


def test_record_time_offset_is_lossy_under_strict():
    m = _sink({})
    batch = m.map(json.dumps({"k": 1, "tags": ["a"], "t": "2020-01-01T23:30:00-05:00"}).encode(), on_error="skip", strict=True)
    assert [(e.code, e.column) for e in batch.report.errors] == [("lossy_value", "t")]


def test_record_time_offset_warning_keeps_the_instant():
    m = _sink({})
    batch = m.map(json.dumps({"k": 1, "tags": ["a"], "t": "2020-01-01T23:30:00-05:00"}).encode())
    assert batch.to_rows()[0]["t"] == "2020-01-02T04:30:00Z"


@pytest.mark.parametrize("layout", ["2006-01-02T15:04:05Z07:00", "2006-01-02 15:04 MST", "2006-01-02T15:04:05-07:00:00"])
def test_parse_zoned_offsets(layout):
    from mapper import golayout

    lay = golayout.compile_layout(layout)
    cases = {
        "2006-01-02T15:04:05Z07:00": [("2020-01-01T23:30:00-05:00", -18000), ("2020-01-01T23:30:00Z", 0)],
        "2006-01-02 15:04 MST": [("2020-01-01 22:00 GMT-10", -36000), ("2020-01-01 22:00 GMT", 0), ("2020-01-01 22:00 PST", 0)],
        "2006-01-02T15:04:05-07:00:00": [("2020-01-01T22:00:00-00:00:01", 0), ("2020-01-01T22:00:00+01:02:03", 3723)],
    }[layout]
    for value, offset in cases:
        ns, off = lay.parse_zoned(value)
        assert (ns, off) == (lay.parse(value), offset), value


# --- config: NameVal and DestNameVal are fields of every idk Field struct -----------------
#
# idk/header.go ParseHeader decodes each entry's config with json.Unmarshal into the type's
# Field struct (idk/interfaces.go: every one has NameVal and DestNameVal), then sets NameVal
# to the entry's name. DestNameVal stays: DestName() returns it, and idk/ingest.go
# batchFromSchema writes the column under that name (and finds id_field and primary keys by
# it). A non-string value for either fails json.Unmarshal, so the ingester refuses the config.


def _check(config: dict[str, Any], ctype: str = "string", name: str = "c") -> list[tuple[str, str, str]]:
    defs = [{"name": name, "path": ["c"], "type": ctype, "config": config}, {"name": "k", "path": ["k"], "type": "id"}]
    result = mapper.check_sink(defs, id_field="k", allow_missing_fields=True)
    return [(p.severity, p.code, p.message) for p in result.problems]


def test_dest_name_val_renames_the_column_in_the_ingester():
    problems = _check({"DestNameVal": "other"})
    assert [(s, c) for s, c, _ in problems] == [("error", "dest-name")]
    assert "write this column as 'other'" in problems[0][2]
    assert [(s, c) for s, c, _ in _check({"destnameval": "other"}, "int")] == [("error", "dest-name")]


@pytest.mark.parametrize("config", [{"DestNameVal": ""}, {"DestNameVal": "c"}, {"DestNameVal": None}, {"NameVal": "x"}])
def test_name_fields_without_effect_are_warnings(config):
    problems = _check(config)
    assert problems and all(s == "warning" for s, _, _ in problems)


@pytest.mark.parametrize("config", [{"NameVal": 5}, {"DestNameVal": 5}, {"DestNameVal": ["x"]}])
def test_name_fields_the_ingester_cannot_decode(config):
    problems = _check(config)
    assert [(s, c) for s, c, _ in problems] == [("error", "wrong-type")]
    assert "cannot decode" in problems[0][2]


def test_dest_name_val_on_a_record_time_has_no_column_to_rename():
    problems = [(s, c) for s, c, _ in _check({"DestNameVal": "x"}, "recordTime", "t") if c != "unused-record-time"]
    assert problems == [("warning", "dest-name")]


def test_dest_name_val_in_the_ui_mapping_names_the_table_column():
    ui = {
        "name": "s",
        "allow_missing_fields": True,
        "table": "CREATE TABLE t (_id ID, lat INT)",
        "mapping": {"_id": "id", "lat": {"path": "lat", "config": {"DestNameVal": "other"}}},
    }
    problems = [p for p in mapper.check_sink(ui).problems if p.code == "dest-name"]
    assert [p.severity for p in problems] == ["error"] and "instead of its name 'lat'" in problems[0].message


# --- recordTime: a record without a time keeps the previous record's ------------------------
#
# idk/ingest.go batchFromSchema makes one pilosabatch.Row for the whole run and its
# recordizers only ever call rec.Time.Set (RecordTimeField gives nil for "" and Go's zero
# time: no Set); batch/batch.go Batch.Add takes the Row by value and resets Values and Clears
# only. So such a record is filed under the time views of the record taken before it.


def test_record_time_without_a_time_says_it_keeps_the_previous_records():
    m = _sink({})
    data = "\n".join(json.dumps({"k": i, "tags": ["a"], "t": v}) for i, v in enumerate(["", "0001-01-01T00:00:00Z", "0000-00-00"])).encode()
    for fast in (True, False):
        batch = m.map(data, on_error="skip", fast=fast)
        got = [(w.kind, w.hint) for w in batch.report.warnings]
        assert [k for k, _ in got] == ["empty_string", "zero_time", "zero_time"]
        assert all("time views of the record it took before it" in h for _, h in got), got
    # without time views nothing is filed: the old wording stays
    hints = [w.hint for w in _sink({}, quantum=None).map(data, on_error="skip").report.warnings]
    assert not any("took before" in h for h in hints) and len(hints) == 3


def test_check_notes_that_a_missing_record_time_keeps_the_previous_records():
    defs = [
        {"name": "k", "path": ["k"], "type": "id"},
        {"name": "tags", "path": ["tags"], "type": "strings", "config": {"Quantum": "YMD"}},
        {"name": "t", "path": ["t"], "type": "recordTime"},
    ]
    notes = [p for p in mapper.check_sink(defs, id_field="k", allow_missing_fields=True).problems if p.code == "record-time-carried"]
    assert [p.severity for p in notes] == ["note"] and "record it took before it" in notes[0].message
    # counted from an Epoch, a missing value fails the record instead
    defs[2]["config"] = {"Unit": "s"}
    assert not [p for p in mapper.check_sink(defs, id_field="k", allow_missing_fields=True).problems if p.code == "record-time-carried"]


# --- id / ids: rows of 2^44 or more wrap in FeatureBase ---------------------------------
#
# An id or ids value is the row of a set (or mutex) field. FeatureBase keeps row r of a
# record at bit r * ShardWidth + column % ShardWidth of a uint64 (fragment.go pos;
# shardwidth/helper.go Exponent = 20), and the ingester's batch/batch.go makeFragments
# computes the same with uint64 arithmetic: a row of 2^44 or more wraps to r mod 2^44. In
# batch/batch.go, ^uint64(0) is the row list's nil marker (nothing stored) and ^uint64(0)-1
# the mutex clear marker. The spec says "unsigned 64-bit id": mapper keeps the value and warns.

ROW = 2**44


def _column(ctype: str, values: list[Any], config: dict[str, Any] | None = None) -> list[tuple[Any, list[tuple[str, Any, Any]]]]:
    entry: dict[str, Any] = {"name": "c", "path": ["c"], "type": ctype}
    if config:
        entry["config"] = config
    m = mapper.compile_sink([{"name": "k", "path": ["k"], "type": "id"}, entry], id_field="k", allow_missing_fields=True)
    records = [{"k": i, "c": v} for i, v in enumerate(values)]
    data = "\n".join(map(json.dumps, records)).encode()
    seen = []
    for way in ("ndjson", "careful", "dicts"):  # the fast path of a text and of dicts, and the careful path: they must agree
        batch = m.map(records if way == "dicts" else data, on_error="skip", fast=way != "careful")
        rows = batch.to_rows()
        warns: list[list[tuple[str, Any, Any]]] = [[] for _ in values]
        for w in batch.report.warnings:
            warns[w.record].append((w.kind, w.sent, w.stored))
        seen.append([(r.get("c"), warns[r["_id"]]) for r in rows])
    assert seen[0] == seen[1] == seen[2]
    return seen[0]


def test_id_rows_from_2_44_wrap():
    got = _column("id", [5, ROW - 1, ROW, ROW + 5, str(ROW + 5), 2**53])
    assert got[:2] == [(5, []), (ROW - 1, [])]
    assert got[2] == (ROW, [("row_wrapped", ROW, 0)])
    assert got[3] == (ROW + 5, [("row_wrapped", ROW + 5, 5)])
    assert got[4] == (ROW + 5, [("row_wrapped", str(ROW + 5), 5)])
    assert got[5] == (2**53, [("row_wrapped", 2**53, 0)])


def test_id_batch_markers():
    nil, clear = str(2**64 - 1), str(2**64 - 2)
    assert _column("id", [nil, clear]) == [(2**64 - 1, [("row_wrapped", nil, None)]), (2**64 - 2, [("row_wrapped", clear, ROW - 2)])]
    assert [w for _, w in _column("id", [nil, clear], {"Mutex": True})] == [[("row_wrapped", nil, None)], [("row_wrapped", clear, None)]]


def test_ids_rows_from_2_44_wrap():
    got = _column("ids", [[1, ROW + 1], [ROW - 1, 3], "1," + str(ROW + 2)])
    assert got[0] == ([1, ROW + 1], [("row_wrapped", [1, ROW + 1], [1, 1])])
    assert got[1] == ([ROW - 1, 3], [])
    assert got[2][1][-1] == ("row_wrapped", "1," + str(ROW + 2), [1, 2])


def test_signed_int_bool_key_rows_from_2_44_wrap():
    # idk/ingest.go: a signedIntBoolKey value v sets row v (v > 0) or clears row -v of a set
    # field, so its rows wrap as an id's do; -2^63 negates to itself, row 2^63, kept as row 0
    got = _column("signedIntBoolKey", [5, -5, ROW - 1, 1 - ROW, ROW, -ROW - 3, str(ROW + 5), -(2**63)])
    assert got[:4] == [(5, []), (-5, []), (ROW - 1, []), (1 - ROW, [])]
    assert got[4] == (ROW, [("row_wrapped", ROW, 0)])
    assert got[5] == (-ROW - 3, [("row_wrapped", -ROW - 3, 3)])
    assert got[6] == (ROW + 5, [("row_wrapped", str(ROW + 5), 5)])
    assert got[7] == (-(2**63), [("row_wrapped", -(2**63), 0)])
    m = mapper.compile_sink(
        [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": ["c"], "type": "signedIntBoolKey"}], id_field="k", allow_missing_fields=True
    )
    (w,) = m.validate([{"k": 1, "c": -ROW - 3}]).warnings
    assert "this clears row 3" in str(w)


def test_record_ids_do_not_wrap():
    # the _id is a column, not a row: no warning for a large id_field value
    m = mapper.compile_sink([{"name": "k", "path": ["k"], "type": "id"}], id_field="k", allow_missing_fields=True)
    batch = m.map(json.dumps({"k": ROW + 5}).encode())
    assert batch.report.warnings == [] and batch.ids.tolist() == [ROW + 5]


def test_row_wrapped_is_lossy_under_strict():
    m = mapper.compile_sink([{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": ["c"], "type": "id"}], id_field="k", allow_missing_fields=True)
    batch = m.map(json.dumps({"k": 1, "c": ROW + 5}).encode(), on_error="skip", strict=True)
    assert [(e.code, e.column) for e in batch.report.errors] == [("lossy_value", "c")]


# --- dateInt: a time before Epoch is counted in the Unit after its own ----------------------
#
# idk/interfaces.go DateIntField.PilosafyVal stores int64(dur / unit), dur = vt.Sub(epoch):
# Go's integer division truncates toward zero, so a time a part of a Unit past a whole count
# *after* Epoch is counted in the Unit that holds it (floor), but one *before* Epoch is counted
# in the Unit after its own: "1969-12-31T12:00:00Z" at Unit d is day 0, 1970-01-01, which day
# 1970-01-01T12:00:00Z is counted in too. The stored count names another Unit than the one
# sent: a warning (toward_epoch). A time after Epoch with a part of a Unit is the count of the
# Unit that holds it (what a count of Units means): no warning.

DAY_LAYOUT = {"Layout": "2006-01-02T15:04:05Z07:00", "Unit": "d"}
TOWARD_EPOCH = [
    # (config, value sent, stored count, warned)
    (DAY_LAYOUT, "2020-01-01T00:00:00Z", 18262, False),
    (DAY_LAYOUT, "2020-01-01T13:00:00Z", 18262, False),  # the day that holds it
    (DAY_LAYOUT, "1969-12-31T00:00:00Z", -1, False),  # a whole day before Epoch
    (DAY_LAYOUT, "1969-12-31T12:00:00Z", 0, True),  # day 0 is 1970-01-01
    (DAY_LAYOUT, "1969-12-31T23:59:59.999999999Z", 0, True),
    (DAY_LAYOUT, "1969-12-30T06:00:00Z", -1, True),  # 1.75 days before: day -1, 1969-12-31
    (DAY_LAYOUT, "1970-01-01T05:00:00+06:00", 0, True),  # 1969-12-31T23:00Z
    ({"Epoch": "2020-01-01T12:00:00Z", "Unit": "d"}, "2020-01-03", 1, False),  # 1.5 days after
    ({"Epoch": "2020-01-01T12:00:00Z", "Unit": "d"}, "2020-01-01", 0, True),  # half a day before: counted as the next day's
    ({"Epoch": "2020-01-01T12:00:00Z", "Unit": "d"}, "2019-12-30", -2, True),  # 2.5 days before
    ({"Unit": "c", "CustomUnit": "168h"}, "1969-12-29", 0, True),  # 3 days before: week 0
    ({"Unit": "c", "CustomUnit": "168h"}, "1969-12-25", -1, False),  # a whole week before
    ({"Unit": "c", "CustomUnit": "168h"}, "2020-01-01", 2608, False),  # the week that holds it
    ({"Unit": "c", "CustomUnit": "-24h"}, "1970-01-02", -1, False),  # a negative unit negates each count (check warns)
    ({"Unit": "c", "CustomUnit": "-24h"}, "1969-12-31", 1, False),
    ({"Unit": "c", "CustomUnit": "-24h", "Layout": "2006-01-02T15:04:05Z07:00"}, "1970-01-01T12:00:00Z", 0, False),  # counts backwards: not warned
    ({"Unit": "c", "CustomUnit": "-24h", "Layout": "2006-01-02T15:04:05Z07:00"}, "1969-12-31T12:00:00Z", 0, False),
    ({}, "1969-12-31", -86400, False),  # the default Unit s: a date is a whole count
    ({"Unit": "h", "Layout": "2006-01-02T15:04:05.999999999Z07:00"}, "1969-12-31T23:00:00.5Z", 0, True),
]


@pytest.mark.parametrize("config, sent, stored, warned", TOWARD_EPOCH)
def test_date_int_before_epoch_is_counted_in_the_next_unit(config, sent, stored, warned):
    got = _column("dateInt", [sent], config)
    assert got[0][0] == stored  # what the ingester stores (checked against Go 1.19.8)
    assert [w[0] for w in got[0][1]] == (["toward_epoch"] if warned else [])
    if warned:
        assert got[0][1][0][1:] == (sent, stored)


def test_toward_epoch_says_which_unit_the_count_names():
    got = _column("dateInt", ["1969-12-31T12:00:00Z"], DAY_LAYOUT)
    m = mapper.compile_sink(
        [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": ["c"], "type": "dateInt", "config": DAY_LAYOUT}],
        id_field="k",
        allow_missing_fields=True,
    )
    (w,) = m.validate([{"k": 1, "c": "1969-12-31T12:00:00Z"}]).warnings
    assert got[0][1] == [("toward_epoch", "1969-12-31T12:00:00Z", 0)]
    text = str(w)
    assert "count 0 names the Unit (d) that starts at 1970-01-01T00:00:00Z, not the one that holds the time sent (count -1)" in text


def test_toward_epoch_is_lossy_under_strict():
    m = mapper.compile_sink(
        [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": ["c"], "type": "dateInt", "config": DAY_LAYOUT}],
        id_field="k",
        allow_missing_fields=True,
    )
    batch = m.map(json.dumps({"k": 1, "c": "1969-12-31T12:00:00Z"}).encode(), on_error="skip", strict=True)
    assert [(e.code, e.column) for e in batch.report.errors] == [("lossy_value", "c")]


def test_a_stored_sink_whose_signed_int_bool_key_exists_field_name_is_too_long_is_read_back_with_a_warning():
    # a batch file or a serve database written by a mapper before the check (it took the name)
    # is read back as a refused column name is (checks.stored_sink_names): read_batch said
    # "cannot read out.npz as a mapper batch", and serve's rows of the sink were unreadable
    from pathlib import Path

    from mapper.checks import stored_sink_names

    definition = json.loads((Path(__file__).parent / "cases" / "definitions" / "signed-int-bool-key-name-too-long" / "sink.json").read_text())
    with pytest.raises(mapper.DefinitionError, match="exists-name-too-long|at most 223 characters"):
        mapper.load_sink(definition)
    with stored_sink_names():
        result = mapper.check_sink(definition)
    assert result.valid and [p.code for p in result.problems if p.severity == "warning"] == ["exists-name-too-long"]


# ---------------------------------------------------------------------------------------
# TTL "0s": idk/ingest.go validateField refuses a TTL on a string or id mutex unless it is
# "" or "0s" (FeatureBase's own spelling of "no TTL", what its field options show), and
# the TTL of a set field is used only with a Quantum (batchFromSchema), so "0s" is no TTL
# for the ingester. Another zero ("0", "0h") on a mutex is refused there, as any other TTL.


@pytest.mark.parametrize("ctype", ["string", "id"])
def test_ttl_0s_is_no_ttl_on_a_mutex(ctype):
    assert _check({"Mutex": True, "TTL": "0s"}, ctype) == []
    assert [(s, c) for s, c, _ in _check({"Mutex": True, "TTL": "0h"}, ctype)] == [("error", "ttl-needs-quantum"), ("error", "mutex-ttl")]


@pytest.mark.parametrize("ctype", ["string", "id", "strings", "ids"])
def test_ttl_0s_needs_no_quantum(ctype):
    assert _check({"TTL": "0s"}, ctype) == []
    assert [(s, c) for s, c, _ in _check({"TTL": "1h"}, ctype)] == [("error", "ttl-needs-quantum")]
