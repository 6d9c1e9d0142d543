"""Real third-party JSON from ../shared/data (read in place, never copied; skipped when absent).

Each test computes what it expects with a plain reference (the json module and a
few lines of Python) and compares the mapper's columns and report with it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sinks import column, schema

import mapper

DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def data_file(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    return path


def records_of(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


MISSING = object()


def lookup(record: Any, keys: list[str]) -> Any:
    node = record
    for key in keys:
        if not isinstance(node, dict):
            return ("not-object",)
        if key not in node:
            return MISSING
        node = node[key]
        if node is None:
            return None
    return node


# --- ADS-B: alt_baro is "ground" on the ground ------------------------------------------------

ADSB_SINK = schema(
    column("hex", "string"),
    column("flight", "string"),
    column("alt_baro", "int"),
    column("lat", "decimal", Scale=6),
    column("lon", "decimal", Scale=6),
    column("seen", "decimal", Scale=1),
    column("mlat", "strings"),
    primary_key_fields=["hex"],
)


def test_adsb_ground_is_an_invalid_value_at_the_right_records():
    path = data_file("adsb/aircraft.ndjson")
    recs = records_of(path)
    ground = [i for i, r in enumerate(recs) if r.get("alt_baro") == "ground"]
    assert len(ground) == 10  # the corpus README says 10 of 118
    report = mapper.compile_sink(ADSB_SINK).validate(path.read_bytes())
    assert report.verdict == "partial" and report.failed_records == 10
    assert [(e.record, e.line, e.column, e.code) for e in report.errors] == [(i, i + 1, "alt_baro", "invalid_value") for i in ground]
    assert all('got `str` "ground"' in e.message and "$.alt_baro" in e.message for e in report.errors)


def test_adsb_skip_keeps_every_other_aircraft_with_reference_values():
    path = data_file("adsb/aircraft.ndjson")
    recs = records_of(path)
    batch = mapper.compile_sink(ADSB_SINK).map(path, on_error="skip")
    keep = [i for i, r in enumerate(recs) if r.get("alt_baro") != "ground"]
    assert batch.record_index.tolist() == keep
    assert batch.ids.tolist() == [recs[i]["hex"] for i in keep]
    flights = batch["flight"].canonical()
    alts = batch["alt_baro"].canonical()
    for row, i in enumerate(keep):
        rec = recs[i]
        # flight is padded with spaces ("AAL2    "): stored as sent
        assert flights[row] == (rec["flight"] if rec.get("flight") else mapper.MISSING)
        assert alts[row] == (int(rec["alt_baro"]) if "alt_baro" in rec else mapper.MISSING)
    # mlat is [] in nearly every record: an empty set is a value, not missing
    mlat = batch["mlat"]
    assert mlat.valid.sum() == sum(1 for i in keep if "mlat" in recs[i])


def test_adsb_lat_lon_decimals_match_the_float_arithmetic():
    path = data_file("adsb/aircraft-dump1090mqtt-2026-07-29.ndjson")
    recs = records_of(path)
    batch = mapper.compile_sink(ADSB_SINK).map(path, on_error="skip")
    lat = dict(zip(batch.record_index.tolist(), batch["lat"].values.tolist()))
    for i, rec in enumerate(recs):
        if isinstance(rec.get("lat"), (int, float)) and i in lat:
            assert lat[i] == int(rec["lat"] * 10.0**6)  # Go: int64(f * math.Pow10(6))


# --- GitHub webhooks: nested paths, nulls, missing keys ----------------------------------------

WEBHOOK_COLUMNS = [
    ("action", ["action"]),
    ("sender", ["sender", "login"]),
    ("repo", ["repository", "full_name"]),
    ("owner", ["repository", "owner", "login"]),
    ("description", ["repository", "description"]),
    ("homepage", ["repository", "homepage"]),
    ("pr_head", ["pull_request", "head", "sha"]),
    ("pr_merged_by", ["pull_request", "merged_by", "login"]),
    ("issue_title", ["issue", "title"]),
    ("org", ["organization", "login"]),
    ("install", ["installation", "id"]),
]


def webhook_sink() -> dict[str, Any]:
    definition: list[dict[str, Any]] = [{"name": "n", "path": ["__line"], "type": "id"}]
    for name, keys in WEBHOOK_COLUMNS:
        # mutex columns: a null clears them (into a set column null writes nothing)
        definition.append({"name": name, "path": keys, "type": "string" if name != "install" else "id", "config": {"Mutex": True}})
    return {"id_field": "n", "allow_missing_fields": True, "definition": definition}


def test_webhooks_nested_paths_nulls_and_missing_keys():
    path = data_file("github-webhooks-ndjson/all-events.ndjson")
    recs = records_of(path)
    lines = [json.dumps(dict(r, __line=i)) for i, r in enumerate(recs)]
    batch = mapper.compile_sink(webhook_sink()).map("\n".join(lines), on_error="skip")
    report = batch.report
    expected_failures = {}
    for i, r in enumerate(recs):
        for name, keys in WEBHOOK_COLUMNS:
            if lookup(r, keys) == ("not-object",):
                expected_failures.setdefault(i, name)
    assert {e.record for e in report.errors} == set(expected_failures)
    assert all(e.code == "not_an_object" for e in report.errors)
    kept = batch.record_index.tolist()
    assert kept == [i for i in range(len(recs)) if i not in expected_failures]
    counts = {"value": 0, "null": 0, "missing": 0}
    for name, keys in WEBHOOK_COLUMNS:
        col = batch[name].canonical()
        for row, i in enumerate(kept):
            want = lookup(recs[i], keys)
            if want is MISSING or want == "":
                assert col[row] is mapper.MISSING, (name, i)
                counts["missing"] += 1
            elif want is None:
                assert col[row] is None, (name, i)
                counts["null"] += 1
            else:
                assert col[row] == want, (name, i)
                counts["value"] += 1
    # the corpus really exercises all three states
    assert min(counts.values()) > 50, counts


# --- twitter: integers beyond 2^53 --------------------------------------------------------------

TWITTER_SINK = schema(
    column("id_str", "string"),
    column("id", "int"),
    column("reply_to", "int", path=["in_reply_to_status_id"]),
    column("user", "string", path=["user", "screen_name"]),
    column("followers", "int", path=["user", "followers_count"]),
    column("geo", "string", Mutex=True),
    column("created", "timestamp", path=["created_at"], Layout="Mon Jan 02 15:04:05 -0700 2006"),
    column("hashtags", "strings", path=["entities", "hashtags"]),
    primary_key_fields=["id_str"],
)


def test_twitter_big_ints_are_stored_as_float64_decoding_leaves_them():
    path = data_file("json-corpora/twitter-statuses.ndjson")
    recs = records_of(path)
    m = mapper.compile_sink(TWITTER_SINK)
    report = m.validate(path.read_bytes())
    # hashtags are arrays of objects: not strings, every record that has any fails
    with_tags = [i for i, r in enumerate(recs) if r["entities"]["hashtags"]]
    assert sorted({e.record for e in report.errors}) == with_tags
    sink = dict(TWITTER_SINK, definition=TWITTER_SINK["definition"][:-1])
    batch = mapper.compile_sink(sink).map(path)
    ids = batch["id"].values.tolist()
    for row, rec in enumerate(recs):
        assert ids[row] == int(float(rec["id"]))  # what the endpoint stores
    lossy = [w for w in batch.report.warnings if w.kind == "int_precision" and w.column == "id"]
    assert len(lossy) == sum(1 for r in recs if int(float(r["id"])) != r["id"])
    assert all(w.stored == int(float(w.sent)) != w.sent for w in lossy)
    created = batch["created"].values.tolist()
    for row, rec in enumerate(recs):
        ref = datetime.strptime(rec["created_at"], "%a %b %d %H:%M:%S %z %Y")
        assert created[row] == int(ref.timestamp())
    geo = batch["geo"]
    assert geo.null_count == sum(1 for r in recs if r["geo"] is None)


def test_github_events_rfc3339_timestamps():
    path = data_file("json-corpora/github_events.ndjson")
    recs = records_of(path)
    sink = schema(
        column("id", "string"),
        column("created", "timestamp", path=["created_at"], Granularity="ms"),
        column("actor", "string", path=["actor", "login"]),
        column("public", "bool"),
        column("org", "string", path=["org", "login"]),
        primary_key_fields=["id"],
    )
    batch = mapper.compile_sink(sink).map(path)
    assert batch.count == len(recs)
    created = batch["created"].values.tolist()
    for row, rec in enumerate(recs):
        ref = datetime.fromisoformat(rec["created_at"].replace("Z", "+00:00"))
        assert created[row] == int(ref.timestamp()) * 1000
    org = batch["org"]
    assert (~org.present).sum() == sum(1 for r in recs if "org" not in r)
