"""``mapper infer``: examples in the notes on timestamp columns, identity candidates judged as the
option that would make them the identity judges them, what one record can show of uniqueness, and
what the hunt on real and hostile input found. Real corpora are read in place from
``../shared/data`` (never copied) and skipped when absent."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import main
from mapper.errors import MapperError
from mapper.infer import InferError, InferResult, infer

DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def corpus(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    return path


def note(result: InferResult, start: str) -> str:
    found = [n for n in result.notes if n.startswith(start)]
    assert len(found) == 1, (start, result.notes)
    return found[0]


def refused_records(result: InferResult, data: bytes) -> int:
    """How many records validate refuses with the draft (the draft's own verification says the same)."""
    report = mapper.compile_sink(result.body).validate(data, on_error="skip")
    assert result.verified is not None and result.verified["refused"] == report.failed_records
    return report.failed_records


# ---------------------------------------------------------------------------------------
# 1. A timestamp column's notes give the value they were decided on

EPOCHS_AND_TEXTS = ndjson(
    *[{"id": i, "created_at": 1619650341 + i} for i in range(4)],
    {"id": 4, "created_at": "2021-04-28T22:32:21.000-04:00"},
    {"id": 5, "created_at": "2021-04-28T22:39:00.000-04:00"},
)


def test_a_timestamp_column_that_refuses_some_values_names_the_first_of_them() -> None:
    # GitHub's installation payloads: created_at is an epoch in most, ISO text in some. The note on
    # an int column says "(e.g. "ground")"; the timestamp one said nothing of what it refuses
    r = infer(EPOCHS_AND_TEXTS)
    text = note(r, "created_at: timestamp stores 4 of 6 values as sent")
    assert text.endswith(
        'the endpoint would refuse the 2 records holding the others (e.g. "2021-04-28T22:32:21.000-04:00"); --type created_at=string takes them all (4 changed)'
    ), text
    assert r.conflicts["created_at"]["example_refused"] == "2021-04-28T22:32:21.000-04:00"
    assert refused_records(r, EPOCHS_AND_TEXTS) == 2


def test_a_timestamp_column_typed_by_the_user_names_a_number_it_refuses() -> None:
    data = ndjson({"id": 0, "t": "2021-04-28T22:32:21Z"}, {"id": 1, "t": 1619650341}, {"id": 2, "t": "2021-04-28T22:40:00Z"})
    r = infer(data, types={"t": "timestamp"})
    text = note(r, "t: timestamp (--type) stores 2 of 3 values as sent")
    assert "the endpoint would refuse the record holding the other (e.g. 1619650341)" in text, text
    assert refused_records(r, data) == 1


def test_the_cli_conflict_report_shows_the_refused_example_of_a_timestamp_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "installation.ndjson"
    f.write_bytes(EPOCHS_AND_TEXTS)
    assert main(["infer", str(f)]) == 0
    err = capsys.readouterr().err
    assert 'timestamp 4 stored as sent, 2 refused with their records, e.g. "2021-04-28T22:32:21.000-04:00"  (chosen)' in err, err


def test_a_granularity_note_names_the_finest_value_and_the_one_outside_the_ns_range() -> None:
    data = ndjson(
        {"id": 0, "t": "2020-01-01T00:00:00Z"},
        {"id": 1, "t": "2020-01-01T00:00:00.123456789Z"},
        {"id": 2, "t": "1700-01-01T00:00:00Z"},
        {"id": 3, "t": "2020-01-01T00:00:00.987654321Z"},
    )
    r = infer(data)
    assert r.body["schema"]["definition"][1]["config"] == {"Granularity": "us"}
    text = note(r, "t: Granularity us")
    assert text == (
        't: Granularity us: values have up to 9 digits after the second (e.g. "2020-01-01T00:00:00.123456789Z"), but Granularity ns '
        'holds only 1833..2106 (the range FeatureBase takes at ns; e.g. "1700-01-01T00:00:00Z"); extra digits are truncated'
    ), text


def test_an_epoch_note_names_the_first_float_it_truncates_and_whole_floats_get_none() -> None:
    data = ndjson({"id": 0, "ts": 1600000000}, {"id": 1, "ts": 1600000000.25}, {"id": 2, "ts": 1600000001.5})
    r = infer(data)
    assert note(r, "ts: ") == "ts: epoch floats with Unit s (e.g. 1600000000.25): the endpoint truncates them to whole s"
    # floats without a fraction are stored as sent (validate warns of nothing): no note saying otherwise
    whole = ndjson({"id": 0, "ts": 1600000000.0}, {"id": 1, "ts": 1600000001})
    r = infer(whole)
    assert r.body["schema"]["definition"][1]["type"] == "timestamp"
    assert not mapper.compile_sink(r.body).validate(whole).warnings
    assert not [n for n in r.notes if n.startswith("ts: ")], r.notes


def test_the_note_on_strings_no_single_layout_parses_names_the_one_that_ended_them() -> None:
    data = ndjson({"id": 0, "t": "2020-01-01T00:00:00Z"}, {"id": 1, "t": "2020-01-02T00:00:00Z"}, {"id": 2, "t": "2020-01-03 10:00"})
    r = infer(data)
    assert r.body["schema"]["definition"][1]["type"] == "string"
    text = note(r, "t: 2 values read as timestamps")
    assert '(e.g. "2020-01-03 10:00", which no layout taking the values before it takes)' in text, text
    # one beyond the range FeatureBase takes is parsed, and refused all the same: said as that, not as the layout's fault
    r = infer(ndjson({"id": 0, "t": "2020-01-01T00:00:00Z"}, {"id": 1, "t": "0001-01-01T00:00:00Z"}))
    assert note(r, "t: ") == (
        't: 1 value read as a timestamp, beside 1 time outside the range FeatureBase takes (e.g. "0001-01-01T00:00:00Z"), '
        "which a timestamp column refuses with their records: typed string (--type t=timestamp takes the others)"
    )


def test_a_capped_scale_note_names_the_largest_value() -> None:
    r = infer(ndjson({"id": 0, "v": 1e-300}, {"id": 1, "v": 1.5}, {"id": 2, "v": -2.25}))
    text = note(r, "v: Scale capped at 18")
    assert "so that the largest value (-2.25) times 10^Scale fits a signed 64-bit integer" in text, text


# ---------------------------------------------------------------------------------------
# Found by the hunt: an epoch timestamp column refuses "" (no value elsewhere)


def test_empty_strings_in_an_epoch_timestamp_column_are_counted_refused() -> None:
    data = ndjson(*[{"id": i, "ts": 1600000000 + i} for i in range(5)], {"id": 8, "ts": ""}, {"id": 9, "ts": "soon"})
    r = infer(data)
    assert r.body["schema"]["definition"][1]["type"] == "timestamp"
    chosen = r.conflicts["ts"]["alternatives"][0]
    assert (chosen["exact"], chosen["changed"], chosen["refused"]) == (5, 0, 2)
    # the note says the records validate refuses (it said 1 of the 2)
    text = note(r, "ts: timestamp stores 5 of 7 values as sent")
    assert 'the endpoint would refuse the 2 records holding the others (e.g. "", which is no time: send null or leave the key out)' in text, text
    assert refused_records(r, data) == 2


# ---------------------------------------------------------------------------------------
# 2. Identity candidates: judged as --id-field and --primary-key-fields would judge them

NO_IDENTITY = "no field can be the record identity"


def closest(message: str) -> str:
    assert NO_IDENTITY in message, message
    return message.split("; the closest: ", 1)[1]


@pytest.mark.parametrize(
    ("values", "judged"),
    [
        # one id (an id_field column stores "007" as 7), two keys ("007" and "7" as text)
        ([7, "007"], "n (in 66.7% of the 3 records; as an id_field: values repeat; as a primary key: every value distinct)"),
        # 1000000 is the key "1e+06" (Go's %v); "1e+06" is no id
        ([1000000, "1e+06"], "n (in 66.7% of the 3 records; as a primary key: values repeat)"),
        # negative: no id_field
        ([-1, -2], "n (in 66.7% of the 3 records; as a primary key: every value distinct)"),
        ([1, 2], "n (in 66.7% of the 3 records; as an id_field or a primary key: every value distinct)"),
        (["a", "b"], "n (in 66.7% of the 3 records; as a primary key: every value distinct)"),
    ],
)
def test_identity_candidates_are_judged_as_the_option_naming_them_would_judge_them(values: list[Any], judged: str) -> None:
    data = ndjson(*[{"n": v} for v in values], {"x": 1.5})
    with pytest.raises(InferError) as err:
        infer(data)
    assert closest(str(err.value)) == judged
    # and what the option then says agrees with the judgement
    by_option = {"id_field": "as an id_field", "primary_key_fields": "as a primary key"}
    for option, words in by_option.items():
        if words not in judged and "or a primary key" not in judged:
            continue
        repeat = any("its values repeat" in n for n in infer(data, **{option: "n" if option == "id_field" else ["n"]}).notes)
        said = judged.split(words if words in judged else "as an id_field or a primary key", 1)[1]
        assert repeat == said.lstrip(":").strip().startswith("values repeat"), (option, judged)


def test_closest_candidates_rank_a_field_distinct_both_ways_before_one_that_repeats_as_an_id() -> None:
    # b's values differ both ways; a's repeat as integers ("007" and 7 are one id) though not as text
    rows = [{"a": 7, "b": 1}, {"a": "007", "b": 2}, {"v": 0.5}]
    with pytest.raises(InferError) as err:
        infer(ndjson(*rows))
    got = closest(str(err.value))
    assert got.index("b (") < got.index("a ("), got


# ---------------------------------------------------------------------------------------
# 3. One record cannot show that values are distinct

SINGLE = "one value: a single record cannot show whether values repeat"


def test_a_draft_from_one_record_does_not_call_its_key_distinct() -> None:
    r = infer(ndjson({"name": "a", "v": 1}))
    assert r.body["schema"]["primary_key_fields"] == ["name"]
    text = note(r, "no id, _id, uuid or key field in every record")
    assert "whose values all differ" not in text and "every value distinct" not in text, text
    assert f"({SINGLE})" in text, text


def test_a_twin_identity_from_one_record_does_not_call_it_distinct() -> None:
    big = 2**60 + 1
    r = infer(ndjson({"id": big, "id_str": str(big)}))
    assert r.body["schema"]["id_field"] == "id_str"
    assert note(r, "identity: id_field id_str").endswith(f"; {SINGLE}")


def test_a_candidate_seen_once_is_not_called_distinct() -> None:
    with pytest.raises(InferError) as err:
        infer(ndjson({"n": "a"}, {"x": 1.5}, {"x": 2.5}))
    assert closest(str(err.value)) == f"n (in 33.3% of the 3 records; as a primary key: {SINGLE})"


def test_two_records_do_show_distinct_values() -> None:
    r = infer(ndjson({"name": "a"}, {"name": "b"}))
    assert "whose values all differ (every value distinct)" in note(r, "no id, _id, uuid or key field")


def test_a_dump1090_document_read_whole_is_one_record_and_its_candidates_say_so() -> None:
    with pytest.raises(MapperError) as err:
        infer(corpus("adsb/aircraft-dump1090mqtt-2026-07-29.json"))
    message = str(err.value)
    assert "every value distinct" not in message, message
    assert f"messages (in the one record; as an id_field or a primary key: {SINGLE})" in message, message
    assert "use --records-path aircraft" in message


def test_a_single_webhook_payload_draft_is_not_presented_as_unique() -> None:
    r = infer(corpus("github-webhooks/push/payload.json"))
    assert r.objects == 1
    assert not [n for n in r.notes if "every value distinct" in n or "all differ" in n], r.notes


# ---------------------------------------------------------------------------------------
# The hunt on real data: every draft stands on its own sample, but what a note names as refused


def test_real_installation_payloads_name_the_refused_timestamp_text() -> None:
    path = corpus("github-webhooks-ndjson/installation.ndjson")
    r = infer(path)
    for p in ("installation.created_at", "installation.updated_at"):
        text = note(r, f"{p}: timestamp stores 4 of 6 values as sent")
        assert re.search(r'\(e\.g\. "2021-04-28T22:3\d:\d\d\.000-04:00"\)', text), text
    assert refused_records(r, path.read_bytes()) == 2


# ---------------------------------------------------------------------------------------
# Found by the hunt: whole floats (1.0, as Python and pandas write integer columns holding a NaN)
# are ids to the endpoint, which truncates a float to its unsigned integer: 1.0 is the _id 1

WHOLE_FLOAT_IDS = ndjson({"id": 1.0, "v": "a"}, {"id": 2.0, "v": "b"}, {"id": 3, "v": "c"})


def test_whole_float_ids_are_the_id_field_and_validate_takes_them_unchanged() -> None:
    r = infer(WHOLE_FLOAT_IDS)
    assert r.body["schema"]["id_field"] == "id"
    assert r.body["schema"]["definition"][0] == {"name": "id", "path": ["id"], "type": "id"}
    report = mapper.compile_sink(r.body).validate(WHOLE_FLOAT_IDS)
    assert report.verdict == "accepted" and not report.warnings, report.summary()
    assert [int(x) for x in mapper.compile_sink(r.body).map(WHOLE_FLOAT_IDS).ids] == [1, 2, 3]
    assert not any("not known" in n or "repeat" in n for n in r.notes), r.notes


def test_id_field_takes_whole_floats_and_judges_them_as_their_integers() -> None:
    # it said "its values are float, not non-negative integers ... use --primary-key-fields id instead"
    r = infer(WHOLE_FLOAT_IDS, id_field="id")
    assert r.body["schema"]["id_field"] == "id"
    # 1.0 and 1 are one _id: said, where "whose values infer does not compare" was all it could say
    same = ndjson({"id": 1.0}, {"id": 1})
    assert any("identity id: its values repeat" in n for n in infer(same, id_field="id").notes)
    assert any("identity id: its values repeat" in n for n in infer(same).notes)


def test_floats_with_a_fraction_are_still_no_ids() -> None:
    data = ndjson({"id": 1.5}, {"id": 2.0})
    with pytest.raises(InferError, match=r"id holds non-integer numbers"):
        infer(data)
    with pytest.raises(InferError, match=r"--id-field 'id': its values are float, not non-negative integers"):
        infer(data, id_field="id")
    with pytest.raises(InferError, match=r"id holds negative"):
        infer(ndjson({"id": -1.0}, {"id": 2.0}))


# ---------------------------------------------------------------------------------------
# Found by the hunt: an int column's tally refused every float when one was beyond int64 (it
# knew only the floats' extremes): 1.5 is stored truncated, only 1e300 is refused


@pytest.mark.parametrize(
    ("odd", "exact", "refused", "example"),
    [
        ([1.5, 1e300, 1e300], 6, 2, "1e+300"),  # 1.5 changed (truncated), 1e300 beyond int64
        ([1.5, -3.0, 2.0**64], 7, 1, "1.8446744073709552e+19"),  # -3.0 is an int's (as sent), 2^64 is not
    ],
)
def test_an_int_column_counts_refused_only_the_floats_beyond_int64(odd: list[float], exact: int, refused: int, example: str) -> None:
    data = ndjson(*[{"id": i, "v": v} for i, v in enumerate([1, 2, 3, 4, 5, 6, *odd])])
    r = infer(data)
    assert r.body["schema"]["definition"][1]["type"] == "int"
    chosen = r.conflicts["v"]["alternatives"][0]
    assert (chosen["exact"], chosen["changed"], chosen["refused"]) == (exact, 6 + len(odd) - exact - refused, refused)
    text = note(r, f"v: int stores {exact} of 9 values as sent")
    assert (
        f"the endpoint would refuse the {refused} records holding the others (e.g. {example})"
        if refused > 1
        else f"the endpoint would refuse the record holding the other (e.g. {example})"
    ) in text, text
    assert refused_records(r, data) == refused


# ---------------------------------------------------------------------------------------
# Found by the hunt: a refusal note with no example when what is refused is an array, an
# object or a null (a --type the values cannot all take)


@pytest.mark.parametrize(
    ("odd", "forced", "example"),
    [
        ([1, 2], "int", "[...] (2 items)"),
        ({"a": 1}, "decimal", "{...} (1 key)"),
        (None, "strings", "null"),  # a set column cannot take null
        ([{"deep": [1]}], "ids", "[...] (1 item)"),
    ],
)
def test_a_refusal_note_names_an_array_object_or_null_it_refuses(odd: Any, forced: str, example: str) -> None:
    values = ["1", "2", "3"] if forced in ("strings", "ids") else [1, 2, 3]
    data = ndjson(*[{"id": i, "v": v} for i, v in enumerate([*values, odd])])
    r = infer(data, types={"v": forced})
    text = note(r, f"v: {forced} (--type) stores")
    assert f"the endpoint would refuse the record holding the other (e.g. {example})" in text, text
    assert refused_records(r, data) == 1


def test_the_json_report_gives_a_refused_array_only_as_it_was_sent() -> None:
    data = ndjson(*[{"id": i, "v": i} for i in range(5)], {"id": 5, "v": [1, 2]})
    r = infer(data, types={"v": "int"})
    assert r.conflicts["v"]["example_refused"] == [1, 2]
    data = ndjson(*[{"id": i, "v": i} for i in range(5)], {"id": 6, "v": [[1]]})
    r = infer(data, types={"v": "int"})
    # (the note prints it by its size; the report holds no emptied stand-in for it)
    assert "(e.g. [...] (1 item))" in note(r, "v: int (--type) stores 5 of 6")
    assert r.conflicts["v"]["example_refused"] is None


@pytest.mark.parametrize("held", [b"[1e400]", b'{"a":-1e400}'])
def test_the_json_report_stays_json_when_a_refused_array_holds_a_number_json_has_not(held: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "r.ndjson"
    f.write_bytes(b'{"id":1,"v":1}\n{"id":2,"v":2}\n{"id":3,"v":3}\n{"id":4,"v":' + held + b"}\n")
    main(["infer", str(f), "--type", "v=int", "--report", "json", "-q"])
    out = capsys.readouterr().out

    def refuse(text: str) -> None:
        raise AssertionError(f"{text} in the report: not JSON")

    got = json.loads(out, parse_constant=refuse)
    assert got["conflicts"]["v"]["refused"] == 1 and got["conflicts"]["v"]["example_refused"] is None


def test_a_python_callers_refused_list_holding_a_value_json_has_not_leaves_the_report_json() -> None:
    from decimal import Decimal

    r = infer([{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 3, "v": 3}, {"id": 4, "v": [Decimal(1)]}], types={"v": "int"})
    assert "(e.g. [...] (1 item))" in note(r, "v: int (--type) stores 3 of 4")
    assert r.conflicts["v"]["example_refused"] is None
    json.dumps(r.to_dict(), allow_nan=False)


def test_whole_floats_beyond_2_53_are_said_to_be_integers_stored_changed() -> None:
    # 1e17 is an integer; the endpoint's float64 holds it, but not the integers around it
    with pytest.raises(InferError) as err:
        infer(ndjson({"id": 1e17}, {"id": 2.0}))
    message = str(err.value)
    assert "id holds integers beyond 2^53" in message and "non-integer" not in message, message


def test_a_path_mostly_scalars_with_one_array_of_objects_is_mapped_as_a_string_not_skipped() -> None:
    # five ints and one [{"a": 1}] were left out whole as "array of objects", where five ints and one
    # [1, 2], or one {"a": 1}, make a string column (Go's text of the odd one): no value is lost
    data = ndjson(*[{"id": i, "v": i} for i in range(2)], *[{"id": 2 + i, "v": [{"a": i}]} for i in range(2)])
    r = infer(data)
    assert "v" not in r.skipped, r.skipped
    assert r.body["schema"]["definition"][1] == {"name": "v", "path": ["v"], "type": "string"}
    assert "only a string column takes all" in r.conflicts["v"]["resolution"]
    assert mapper.compile_sink(r.body).validate(data).verdict == "accepted"
    # (with most values ints, an int column by the majority rule, refusing the array's record)
    data = ndjson(*[{"id": i, "v": i} for i in range(5)], {"id": 5, "v": [{"a": 1}]})
    assert infer(data).body["schema"]["definition"][1]["type"] == "int"
    # arrays of objects alone stay skipped
    r = infer(ndjson({"id": 1, "v": [{"a": 1}]}, {"id": 2, "v": []}))
    assert r.skipped["v"].startswith("array of objects")


def test_ints_with_a_few_arrays_or_objects_are_an_int_column_by_the_majority_rule() -> None:
    # the README's rule for a path with several JSON types: another type than the one taking every
    # value is chosen when it stores more than half of them as sent; with arrays or objects among
    # the values it was never asked, and 9 ints were stored as text for the sake of one [1, 2]
    for odd in ([1, 2], {"a": 1}):
        data = ndjson(*[{"id": i, "v": i} for i in range(9)], {"id": 9, "v": odd})
        r = infer(data)
        assert r.body["schema"]["definition"][1]["type"] == "int", (odd, r.conflicts["v"])
        text = note(r, "v: int stores 9 of 10 values as sent")
        assert "the endpoint would refuse the record holding the other (e.g. " in text and "--type v=string takes them all" in text, text
        assert refused_records(r, data) == 1
        if isinstance(odd, dict):  # (its keys are not mapped: the path is not always an object)
            assert r.skipped["v.*"].endswith("; the path itself is mapped as an int"), r.skipped
    # no majority: the string column that takes every value stays
    data = ndjson(*[{"id": i, "v": i} for i in range(3)], *[{"id": 3 + i, "v": [i]} for i in range(3)])
    assert infer(data).body["schema"]["definition"][1]["type"] == "string"
    # arrays of strings beside strings stay a set of strings
    data = ndjson(*[{"id": i, "v": f"s{i}"} for i in range(9)], {"id": 9, "v": ["a", "b"]})
    assert infer(data).body["schema"]["definition"][1]["type"] == "strings"
