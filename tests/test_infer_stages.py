"""The order of infer's notes across the stages of its draft (mapper.infer._draft): each path's
own notes, then those of the --type options (a typed path's notes said again after the others),
the values each type refuses, the identity's, a --type without effect, the placeholders, allow_missing_fields false, then the
identity's missing values, and last the empty strings. Pinned whole, so that moving a stage shows."""

from __future__ import annotations

import importlib

infer_module = importlib.import_module("mapper.infer")
infer = infer_module.infer

BIG = 9007199254740993  # 2^53 + 1: a float64 does not hold it

PLACEHOLDERS = "sink_details holds placeholders: fill in <database_id> and <table> before creating the sink (POST /v1/sinks)"


def _none_missing(n: int) -> str:
    return (
        f"allow_missing_fields is false: each of the {n} records read holds every mapped path; a later record missing one makes the "
        "endpoint discard the whole batch it is sent in (every record of it, not that one alone): set allow_missing_fields true "
        "if a record may lack a key, and the endpoint stores null for it"
    )


def _beyond(path: str, example: str) -> str:
    return (
        f"{path}: integers beyond 2^53 (e.g. {example}): the endpoint decodes numbers as float64, "
        "and stores such integers changed unless a float64 holds them exactly: send them as strings to keep them exact"
    )


def test_notes_follow_the_stages_in_order() -> None:
    records = [
        {"id": 1, "aa": BIG, "big": BIG, "t": "a", "gone": 1, "e": ""},
        {"id": 2, "aa": BIG + 2, "big": BIG + 2, "t": 2, "gone": 2, "e": "y"},
        {"aa": 3, "big": 3, "t": 3, "gone": 3, "e": "z"},
    ]
    result = infer(records, id_field="id", exclude=["gone"], types={"aa": "int", "t": "int", "gone": "string"})
    assert result.notes == [
        _beyond("big", "9007199254740995, stored as 9007199254740996"),
        # aa's note, said first for infer's type, is said again for the --type, after big's
        _beyond("aa", "9007199254740995, stored as 9007199254740996"),
        't: int (--type) stores 2 of 3 values as sent; the endpoint would refuse the record holding the other (e.g. "a"); '
        "--type t=string takes them all (2 changed)",
        "--type gone=string: gone is left out of the draft (excluded by --exclude gone), so the type has no effect",
        PLACEHOLDERS,
        "identity id is missing in 1 (first: record 2) of 3 records: the endpoint fails those records",
        'e: "" in 1 of 3 records (first: record 0): the endpoint stores no value for it, and validate warns empty_string '
        '("empty string taken as no value") for each (--ignore-warning empty_string silences them)',
    ]
    assert result.skipped == {"gone": "excluded by --exclude gone"}
    assert [c["name"] for c in result.body["schema"]["definition"]] == ["id", "aa", "big", "t", "e"]


def test_an_identity_the_filters_left_out_keeps_its_notes() -> None:
    # The notes of the paths left out are dropped only once the identity is known: an identity
    # path --exclude left out is mapped all the same, and its own notes stay (before the identity's).
    records = [{"k": BIG + i, "v": i} for i in range(4)]  # (2^53 + 3 and 2^53 + 4 are one float64: the _ids repeat)
    result = infer(records, primary_key_fields=["k"], exclude=["k"])
    assert result.notes == [
        _beyond("k", "9007199254740996"),
        "identity k: its values repeat, so records share an _id: the endpoint keeps one row per _id (a later record "
        "overwrites the values it sends); choose another with --id-field or --primary-key-fields if that is not meant",
        "k is the identity: kept in the draft although excluded by --exclude k",
        PLACEHOLDERS,
        _none_missing(4),
    ]
    assert result.skipped == {}
    assert result.body["schema"]["primary_key_fields"] == ["k"]


def test_a_path_left_out_loses_its_notes() -> None:
    records = [{"id": i, "k": BIG + i} for i in range(3)]
    result = infer(records, id_field="id", exclude=["k"])
    assert result.notes == [PLACEHOLDERS, _none_missing(3)]
    assert result.skipped == {"k": "excluded by --exclude k"}
