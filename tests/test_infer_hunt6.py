"""Found by a hunt of ``mapper infer`` over ../shared/data and adversarial keys: the command
lines infer's messages suggest, the draft against ``validate`` on the data it was drafted from."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import build_parser
from mapper.infer import InferError, _dot, infer


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def parsed(words: list[str]) -> Any:
    """The CLI's reading of ``mapper infer X WORDS`` (argparse exits 2 on a value it takes for an option)."""
    return build_parser().parse_args(["infer", "x.ndjson", *words])


@pytest.mark.parametrize("key", ["-", "-x", "--x", "-1", "-a.b"])
def test_a_suggested_type_option_on_a_key_starting_with_a_dash_parses(key: str) -> None:
    # found by the hunt: `--type -x=string`, as infer suggested it, is argparse's "argument --type:
    # expected one argument" (it reads -x=string as an option), so the suggestion could not be run
    r = infer(ndjson({"id": 1, key: 1}, {"id": 2, key: 2}, {"id": 3, key: "ground"}))
    note = next(n for n in r.notes if "takes them all" in n)
    offered = re.search(r"(--type\S* .*?|--type=\S+) takes them all", note)
    assert offered, note
    (path,) = r.conflicts
    args = parsed(shlex.split(offered.group(1)))
    assert args.type == [f"{path}=string"], (args.type, note)


def test_a_suggested_records_path_starting_with_a_dash_parses() -> None:
    # found by the hunt: the reader's hint `use --records-path -data` is not a command line argparse takes
    with pytest.raises(InferError) as err:
        infer(b'{"-data": [{"id": 1}, {"id": 2}]}')
    offered = re.search(r"use (--records-path\S* \S+|--records-path=\S+) \(", str(err.value))
    assert offered, str(err.value)
    args = parsed(shlex.split(offered.group(1)))
    assert args.records_path == "-data"


def test_a_suggested_identity_option_on_a_key_starting_with_a_dash_parses() -> None:
    # the same for the identity the error offers instead of --id-field (the user's `--id-field=-k`)
    with pytest.raises(InferError) as err:
        infer(ndjson({"-k": "a"}, {"-k": "b"}), id_field="-k")
    offered = re.search(r"use (--primary-key-fields\S* \S+|--primary-key-fields=\S+) instead", str(err.value))
    assert offered, str(err.value)
    assert parsed(shlex.split(offered.group(1))).primary_key_fields == ["-k"]
    # and the exact string twin of integers beyond 2^53
    with pytest.raises(InferError) as err:
        infer(ndjson({"-id": 2**60 + 1, "-id_str": str(2**60 + 1)}, {"-id": 2**60 + 3, "-id_str": str(2**60 + 3)}), id_field="-id")
    offered = re.search(r"use (--id-field\S* \S+|--id-field=\S+)$", str(err.value))
    assert offered, str(err.value)
    assert parsed(shlex.split(offered.group(1))).id_field == "-id_str"


def _row_wrapped(data: bytes, body: dict[str, Any]) -> list[Any]:
    return [w for w in mapper.compile_sink(body).validate(data).warnings if w.kind == "row_wrapped"]


def test_integers_beyond_int64_are_not_drafted_as_an_id_column_that_wraps_them() -> None:
    # found by the hunt: 2^63 (beyond int64, an unsigned 64-bit hash) was typed `id`, which
    # FeatureBase keeps as a row modulo 2^44: validate of the draft on its own data warned
    # row_wrapped, 9223372036854775808 stored as 0, and infer said only "typed id (unsigned)"
    data = ndjson({"id": 1, "h": 2**63}, {"id": 2, "h": 2**63 + 2**20}, {"id": 3, "h": 5})
    r = infer(data)
    (h,) = [d for d in r.body["schema"]["definition"] if d["path"] == ["h"]]
    assert h["type"] == "string", h
    assert not _row_wrapped(data, r.body)
    assert any(n.startswith("h: integers beyond 2^53") for n in r.notes), r.notes
    # integer strings beside them alike
    data = ndjson({"id": 1, "h": 2**63}, {"id": 2, "h": str(2**63 + 1)})
    r = infer(data)
    assert not _row_wrapped(data, r.body), r.body
    # below 2^63 an int column keeps them (a row of an id column would wrap; an int does not)
    data = ndjson({"id": 1, "h": 2**44}, {"id": 2, "h": 2**62})
    r = infer(data)
    assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["h"]] == ["int"]


def test_arrays_of_ids_of_2_44_or_more_are_not_an_ids_column() -> None:
    # found by the hunt: arrays of 64-bit ids (snowflakes such as twitter's, ~2^59; or 2^44 + 5)
    # were an `ids` column, each id a row that FeatureBase wraps modulo 2^44 (validate: row_wrapped,
    # [17592186044421] stored as [5]), and infer said nothing of it
    for big in (2**44, 2**44 + 5, 505874924095815681):
        data = ndjson({"id": 1, "a": [big, 3]}, {"id": 2, "a": [1]})
        r = infer(data)
        assert not [d for d in r.body["schema"]["definition"] if d["path"] == ["a"]], r.body
        assert "2^44" in r.skipped["a"], r.skipped
        assert not _row_wrapped(data, r.body)
        # --type takes it all the same, and the note says what it does
        r = infer(data, types={"a": "ids"})
        assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["a"]] == ["ids"]
        assert any(n.startswith("a:") and "2^44" in n for n in r.notes), r.notes
    # below 2^44: an ids column, as before
    data = ndjson({"id": 1, "a": [2**44 - 1, 3]}, {"id": 2, "a": [1]})
    r = infer(data)
    assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["a"]] == ["ids"]
    assert not _row_wrapped(data, r.body)


def test_numbers_no_numeric_column_holds_are_a_string_column_said_why() -> None:
    # found by the hunt: a path of floats such as 1e20 (beyond what an int or a decimal, a signed
    # 64-bit integer, holds) was typed string without a word, and validate of the draft on its own
    # data warned string_from_value on every value
    for values, eg in (([1e20, 2e20], "2e+20"), ([1e20, 2.5], "1e+20"), ([2**64, 1], "18446744073709551616")):
        data = ndjson(*({"id": i, "x": v} for i, v in enumerate(values)))
        r = infer(data)
        assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["x"]] == ["string"]
        said = [n for n in r.notes if n.startswith("x: ") and "typed string" in n]
        assert said and eg in said[0] and "string_from_value" in said[0], r.notes
    # a number a decimal holds is no string, and no such note
    r = infer(ndjson({"id": 1, "x": 1e15}, {"id": 2, "x": 2.5}))
    assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["x"]] == ["decimal"]
    assert not [n for n in r.notes if n.startswith("x: ")], r.notes


def test_primary_key_fields_take_a_quoted_key_holding_a_comma() -> None:
    # found by the hunt: `--primary-key-fields '"a,b"'` was split at the comma inside the quotes
    # ('"a' is not a path of the records, "paths like it: "a,b"": the one it suggested, which failed
    # alike), so no primary key could name a key holding a comma by its path
    data = ndjson({"a,b": "x", "v": 1, "w": "p"}, {"a,b": "y", "v": 2, "w": "q"})
    assert parsed(["--primary-key-fields", '"a,b",w']).primary_key_fields == ['"a,b"', "w"]
    assert parsed(["--primary-key-fields", ' "x\\",y" , w']).primary_key_fields == ['"x\\",y"', "w"]
    for given in ('"a,b",w', ['"a,b"', "w"]):
        r = infer(data, primary_key_fields=given)
        assert r.body["schema"]["primary_key_fields"] == ["a_b", "w"], r.body["schema"]
    # an empty name is still a usage error
    with pytest.raises(SystemExit):
        parsed(["--primary-key-fields", '"a,b",'])


def test_a_primary_key_whose_values_hold_the_join_character_is_not_said_unique() -> None:
    # found by the hunt: the endpoint joins primary key fields with |, so "x|y" + "z" and "x" +
    # "y|z" are one _id, x|y|z (map gives both records it: the second overwrites the first), but
    # infer took one field whose values all differ to tell every record apart, and said nothing
    data = ndjson({"a": "x|y", "b": "z", "v": 1}, {"a": "x", "b": "y|z", "v": 2})
    ids = [row["_id"] for row in mapper.compile_sink(infer(data, primary_key_fields="a,b").body).map(data).to_rows()]
    assert ids == ["x|y|z", "x|y|z"]
    r = infer(data, primary_key_fields="a,b")
    said = [n for n in r.notes if n.startswith("identity a + b")]
    assert said and '"x|y"' in said[0] and "not checked" in said[0], r.notes
    # without a | in any value, one field whose values all differ tells the records apart: nothing said
    r = infer(ndjson({"a": "x", "b": "z", "v": 1}, {"a": "y", "b": "z", "v": 2}), primary_key_fields="a,b")
    assert not [n for n in r.notes if n.startswith("identity")], r.notes
    # a single field may hold | freely
    r = infer(ndjson({"a": "x|y", "v": 1}, {"a": "x", "v": 2}), primary_key_fields="a")
    assert not [n for n in r.notes if n.startswith("identity")], r.notes


def test_a_record_of_a_document_longer_than_max_record_size_is_a_bad_record_as_validate_reads_it() -> None:
    # found by the hunt: with --records-path, a record of the document longer than --max-record-size
    # was scanned into the draft (3 objects, 0 bad records), while validate, and infer's own
    # verification, refused it as too_large: the draft held a column only that record had
    doc = {"a": [{"id": 1, "only_big": "x" * 2000}, {"id": 2, "s": "y"}, {"id": 3, "s": "z"}]}
    data = json.dumps(doc).encode()
    r = infer(data, records_path="a", max_record_size=1024)
    assert (r.records, r.objects, r.bad_records) == (3, 2, 1), (r.records, r.objects, r.bad_records)
    assert [ex["record"] for ex in r.bad_examples] == [0] and "--max-record-size" in r.bad_examples[0]["reason"], r.bad_examples
    assert "only_big" not in r.presence, r.presence
    assert r.verified == {"records": 3, "refused": 1, "errors": {"too_large": 1}}, r.verified
    # as NDJSON of those records: the same
    lines = ndjson(*doc["a"])
    r2 = infer(lines, max_record_size=1024)
    assert (r2.records, r2.objects, r2.bad_records) == (3, 2, 1) and r2.body["schema"] == r.body["schema"]


DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

#: Each corpus of ../shared/data as a producer drafts a sink for it, and the records the draft refuses
#: on the data it was drafted from (each explained by a note: alt_baro's "ground", the installation
#: payloads' ISO times beside epochs, the 3 payloads without a sender).
CORPORA = [
    ("adsb/aircraft-piaware-2023-01-15.json", {"records_path": "aircraft"}, 118, 10),
    ("adsb/aircraft.ndjson", {}, 118, 10),
    ("adsb/aircraft-dump1090mqtt-2026-07-29.json", {"records_path": "aircraft"}, 44, 0),
    ("json-corpora/twitter.json", {"records_path": "statuses"}, 100, 0),
    ("json-corpora/twitter-statuses.ndjson", {}, 100, 0),
    ("json-corpora/github_events.json", {}, 30, 0),
    ("json-corpora/amazon_cellphones.objects.ndjson", {}, 792, 0),
    ("github-webhooks-ndjson/all-events.ndjson", {"primary_key_fields": "sender.login"}, 273, 5),
    ("github-webhooks-ndjson/installation.ndjson", {}, 6, 2),
]


@pytest.mark.parametrize(("rel", "options", "records", "refused"), CORPORA, ids=[c[0] for c in CORPORA])
def test_real_corpora_drafts_stand_on_their_data_and_say_why_of_each_refusal(rel: str, options: dict[str, Any], records: int, refused: int) -> None:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    r = infer(str(path), **options)
    assert mapper.check_sink(r.body).valid
    assert r.unusable is None and r.verified is not None
    assert (r.verified["records"], r.verified["refused"]) == (records, refused), r.verified
    report = mapper.compile_sink(r.body).validate(str(path), records_path=options.get("records_path"))
    assert report.failed_records == refused
    columns = {d["name"]: _dot(tuple(d["path"])) for d in r.body["schema"]["definition"]}
    for e in report.errors:
        said = columns.get(e.column)
        assert said is not None and any(n.startswith((f"{said}: ", f"identity {said} ")) for n in r.notes), (e, r.notes)
    assert not [w for w in report.warnings if w.kind == "row_wrapped"]


def test_strings_with_commas_beside_a_few_arrays_are_a_string_column_by_the_majority_rule() -> None:
    # found by the hunt: nine texts "Hello, world N" and one array of strings made a `strings`
    # column, which splits every text at its comma (validate: 9 comma_split warnings), where a
    # `string` column stores the nine as sent: the majority rule was not applied to a set type
    recs = [{"id": i, "t": f"Hello, world {i}"} for i in range(9)] + [{"id": 9, "t": ["a", "b"]}]
    data = ndjson(*recs)
    r = infer(data)
    assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["t"]] == ["string"], r.conflicts["t"]
    assert [t["type"] for t in r.conflicts["t"]["alternatives"]][:2] == ["string", "strings"], r.conflicts["t"]
    assert mapper.compile_sink(r.body).validate(data).warning_counts == {("t", "string_from_value"): 1}
    # mostly arrays (or texts without commas, which a strings column stores as sent): a strings column still
    for recs in (
        [{"id": i, "t": ["a", str(i)]} for i in range(9)] + [{"id": 9, "t": "x, y"}],
        [{"id": i, "t": f"w{i}"} for i in range(9)] + [{"id": 9, "t": ["a", "b"]}],
    ):
        r = infer(ndjson(*recs))
        assert [d["type"] for d in r.body["schema"]["definition"] if d["path"] == ["t"]] == ["strings"], r.conflicts["t"]


def test_an_epoch_timestamp_column_counts_integer_strings_stored_not_refused() -> None:
    # found by the hunt: a timestamp column of epochs (Unit s) takes integer strings as the numbers
    # they write (validate stores "007" as 7 s), but infer counted every string refused: "the endpoint
    # would refuse the 3 records holding the others (e.g. "007")" where validate refused 1 ("true")
    values = [1659981468] * 5 + ["007", "1659981469", "true"]
    data = ndjson(*({"id": i, "created_at": v} for i, v in enumerate(values)))
    r = infer(data)
    c = r.conflicts["created_at"]
    assert c["type"] == "timestamp" and c["alternatives"][0]["refused"] == 1, c
    assert c["example_refused"] == "true"
    report = mapper.compile_sink(r.body).validate(data)
    assert report.failed_records == 1 == r.verified["refused"]  # type: ignore[index]
    assert any(n.startswith("created_at: timestamp stores 7 of 8 values") and "the record holding the other" in n for n in r.notes), r.notes


def test_one_integer_beyond_2_53_does_not_count_every_integer_changed() -> None:
    # found by the hunt: nine altitudes, one integer beyond 2^53 and two "ground" made a string
    # column (every altitude stored as text): the int candidate's tally, read from the extremes, said
    # "0 stored as sent, 10 changed" where validate of an int column warns of the one integer only
    vals: list[Any] = [5] * 9 + [2**53 + 1] + ["ground"] * 2
    data = ndjson(*({"id": i, "alt": v} for i, v in enumerate(vals)))
    r = infer(data)
    c = r.conflicts["alt"]
    assert c["type"] == "int", c
    assert c["alternatives"][0] == {"type": "int", "config": {}, "exact": 9, "changed": 1, "refused": 2}, c
    report = mapper.compile_sink(r.body).validate(data)
    assert report.warning_counts == {("alt", "int_precision"): 1} and report.failed_records == 2


def test_an_id_field_null_in_every_record_does_not_suggest_a_primary_key_that_fails_alike() -> None:
    # found by the hunt: `--id-field n` on a field null in every record said "use
    # --primary-key-fields n instead", which failed in turn ("only null values: ... it cannot be a key")
    data = ndjson({"n": None, "s": "x"}, {"n": None, "s": "y"})
    with pytest.raises(InferError) as err:
        infer(data, id_field="n")
    assert "no value in any record" in str(err.value) and "--primary-key-fields n" not in str(err.value), str(err.value)
    with pytest.raises(InferError):
        infer(data, primary_key_fields="n")  # (the suggestion would have failed so)
