"""``mapper infer``: the record size limit, ``--type`` on the identity, and string identities
compared as the endpoint makes their keys (Go's ``%v`` of numbers)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.cli import build_parser, main
from mapper.commands import max_record_size_option
from mapper.errors import MapperError, OptionError
from mapper.infer import _CODE_WORDS, infer
from mapper.report import too_large_reason


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


# ---------------------------------------------------------------------------------------
# --max-record-size

#: a record of about 3,000 bytes between two small ones: too large under a 2K limit only
MID = ndjson({"id": 1, "v": "x"}, {"id": 2, "v": "y" * 3000}, {"id": 3, "v": "z"})


def _infer_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["infer", "--report", "json", "-q", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_infer_takes_max_record_size_and_its_verification_uses_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mid.ndjson"
    f.write_bytes(MID)
    code, got = _infer_json(capsys, str(f))
    assert code == 0 and got["bad_records"] == 0 and got["verified"]["refused"] == 0
    code, got = _infer_json(capsys, str(f), "--max-record-size", "2K")
    assert code == 0 and got["records"] == 3 and got["objects"] == 2 and got["bad_records"] == 1
    assert got["bad_examples"][0]["record"] == 1 and "more than the 2,048" in got["bad_examples"][0]["reason"]
    # validated with the same limit: the draft refuses the record as validate --max-record-size 2K does
    assert got["verified"] == {"records": 3, "refused": 1, "errors": {"too_large": 1}}
    # the text report names the option, which infer takes
    assert main(["infer", str(f), "--max-record-size", "2K"]) == 0
    err = capsys.readouterr().err
    assert "too_large 1: longer than --max-record-size" in err
    # the bad records' line says what they are (it said "not JSON, or not JSON objects" of any)
    assert "bad records (longer than --max-record-size: 1; validate refuses them alike): 1" in err and "not JSON" not in err


def test_infer_parses_max_record_size_as_validate_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mid.ndjson"
    f.write_bytes(MID)
    for text in ("512", "2x", "-1K"):
        with pytest.raises(OptionError) as exc:
            max_record_size_option(text)
        assert main(["infer", str(f), f"--max-record-size={text}"]) == 2
        err = capsys.readouterr().err
        assert err.strip() == f"mapper: {exc.value}", err
    # the same suffixes, the same floor (1K)
    code, got = _infer_json(capsys, str(f), "--max-record-size", "1K")
    assert code == 0 and got["bad_records"] == 1
    code, got = _infer_json(capsys, str(f), "--max-record-size", "4KiB")
    assert code == 0 and got["bad_records"] == 0


def test_infer_api_takes_max_record_size() -> None:
    r = infer(MID, max_record_size=2048)
    assert r.bad_records == 1 and r.verified is not None and r.verified["errors"] == {"too_large": 1}
    assert infer(MID).bad_records == 0
    # a stream, kept as it is read and read again to verify the draft: with the same limit
    r = infer(io.BytesIO(MID), max_record_size=2048)
    assert r.bad_records == 1 and r.verified == {"records": 3, "refused": 1, "errors": {"too_large": 1}}
    for bad in (1023, True, "2K", None):
        with pytest.raises(OptionError, match="max_record_size"):
            infer(MID, max_record_size=bad)  # type: ignore[arg-type]


def test_every_option_infer_names_in_its_words_is_one_it_takes() -> None:
    parser = build_parser("infer")
    infer_parser = parser.get_default("commands")["infer"]
    taken = {s for a in infer_parser._actions for s in a.option_strings}
    named = set(re.findall(r"--[a-z][a-z-]*", " ".join(_CODE_WORDS.values()) + too_large_reason(2, 1)))
    assert named and named <= taken, named - taken


# ---------------------------------------------------------------------------------------
# --type on the field infer picks as the identity

NAMES = ndjson({"name": "a", "v": 1.5}, {"name": "b", "v": 2})


@pytest.mark.parametrize("ctype", ["int", "id", "bool", "decimal", "string"])
def test_a_type_given_to_the_fallback_identity_stands_and_it_stays_the_key(ctype: str) -> None:
    # found by a bug hunt: --type name=int on the string field infer picks as the primary key
    # took it out of the running: "no field can be the record identity ... the closest: name"
    r = infer(NAMES, types={"name": ctype})
    assert r.body["schema"]["primary_key_fields"] == ["name"]
    assert {k: v for k, v in r.body["schema"]["definition"][0].items() if k != "config"} == {"name": "name", "path": ["name"], "type": ctype}
    said = [n for n in r.notes if n.startswith("no id, _id, uuid or key field")]
    assert said and f"typed {ctype} by --type name={ctype}" in said[0], r.notes


@pytest.mark.parametrize("ctype", ["strings", "ids"])
def test_a_set_type_given_to_the_fallback_identity_is_an_error_naming_the_option_and_the_field(ctype: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MapperError) as exc:
        infer(NAMES, types={"name": ctype})
    message = str(exc.value)
    assert f"--type name={ctype}" in message and "name, a string field in every record, would be its primary key" in message
    assert "cannot be a key" in message and "the closest" not in message
    # another string field in every record is the key instead
    r = infer(ndjson({"name": "a", "city": "x"}, {"name": "b", "city": "y"}), types={"name": ctype})
    assert r.body["schema"]["primary_key_fields"] == ["city"]


@pytest.mark.parametrize("ctype", ["strings", "ids"])
def test_a_set_type_given_to_an_id_field_sends_infer_elsewhere_and_says_why(ctype: str) -> None:
    # ids was taken as a key type ("--type id=ids": every record refused); strings sent infer elsewhere
    # saying "no id, _id, uuid or key field in every record" of an id that is in every record
    r = infer(ndjson({"id": 1, "name": "a"}, {"id": 2, "name": "b"}), types={"id": ctype})
    assert r.body["schema"]["primary_key_fields"] == ["name"]
    said = [n for n in r.notes if n.startswith("no id, _id, uuid or key field")]
    assert said and f"id is typed {ctype} by --type id={ctype}: a set cannot be a key" in said[0], r.notes
    with pytest.raises(MapperError, match=f"id is typed {ctype} by --type id={ctype}: a set cannot be a key"):
        infer(ndjson({"id": 1, "v": 1}, {"id": 2, "v": 2}), types={"id": ctype})


def test_type_on_the_identity_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "names.ndjson"
    f.write_bytes(NAMES)
    assert main(["infer", str(f), "--type", "name=strings", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mapper: no field can be the record identity: name") and "--type name=strings" in err
    assert main(["infer", str(f), "--type", "name=string", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"]["primary_key_fields"] == ["name"]


# ---------------------------------------------------------------------------------------
# A string identity's repeats, its numbers compared as the endpoint prints them into the key

REPEATS = "its values repeat"


def _key_repeats(values: list[Any], **options: Any) -> bool:
    """Whether infer says the identity ``k`` (a primary key typed string) repeats."""
    options = options or {"primary_key_fields": ["k"], "types": {"k": "string"}}
    r = infer(ndjson(*({"k": v, "n": i} for i, v in enumerate(values))), **options)
    return any(REPEATS in n for n in r.notes)


def _engine_repeats(values: list[Any], **options: Any) -> bool:
    """Whether the draft's _ids repeat when the engine maps the same records."""
    import mapper

    data = ndjson(*({"k": v, "n": i} for i, v in enumerate(values)))
    options = options or {"primary_key_fields": ["k"], "types": {"k": "string"}}
    ids = [row["_id"] for row in mapper.compile_sink(infer(data, **options).body).map(data, on_error="skip").to_rows()]
    return len(set(ids)) < len(ids)


@pytest.mark.parametrize(
    "values",
    [
        [1000000, "1e+06"],  # Go prints the number 1000000 as 1e+06
        [15000000, "1.5e+07"],
        [-1000000, "-1e+06"],
        [999999, "999999"],  # below 10^6 Go prints the digits
        [12345678901234567, "1.2345678901234568e+16"],  # the float64 nearest, as Go prints it
        [2**64, "1.8446744073709552e+19"],  # beyond int64
        [2**53, 2**53 + 1],  # one float64
    ],
)
def test_a_string_key_repeats_when_a_number_prints_as_another_value(values: list[Any]) -> None:
    # found by a bug hunt: the number 1000000 and the string "1e+06" are one key ("1e+06") at
    # the endpoint, but infer compared the number with "1000000" and said nothing
    assert _engine_repeats(values)
    assert _key_repeats(values) and _key_repeats(values[::-1])


@pytest.mark.parametrize(
    "values",
    [
        [1000000, "1000000"],  # the key of the number is "1e+06": two keys (infer said they repeat)
        [1000000, "1e+6"],  # not as Go prints it
        [1000000, "1.0e+06"],
        [1234567, "1.234567e+06 "],
        [2**64, "18446744073709551616"],
        [7, "007"],
        [1500000, "1.5e+07"],
        [12345678, "1.2345677e+07", 12345679],  # distinct numbers and texts of numbers
    ],
)
def test_a_string_key_does_not_repeat_when_the_texts_differ(values: list[Any]) -> None:
    assert not _engine_repeats(values)
    assert not _key_repeats(values) and not _key_repeats(values[::-1])


def test_a_key_of_any_type_is_the_text_of_its_values_and_an_id_field_their_integers() -> None:
    # the _id of a primary key is the value's text whatever the column's type: "007" and 7 are
    # two keys in an int column too (infer said they repeat); as an id_field they are one id
    pk = {"primary_key_fields": ["k"]}
    assert not _engine_repeats(["007", 7], **pk) and not _key_repeats(["007", 7], **pk)
    idf = {"id_field": "k"}
    for values in (["007", 7], [1000000, "1000000"]):
        assert _engine_repeats(values, **idf) and _key_repeats(values, **idf)
    # "1e+06" is no id (refused): it repeats nothing as an id_field
    assert not _key_repeats([1000000, "1e+06"], **{"types": {"k": "id"}, "id_field": "k"})


def test_repeats_are_found_past_the_first_thousands_of_values() -> None:
    # the scan compares at powers of two from 1024 on, and drops a view once it repeats
    values: list[Any] = list(range(999_000, 1_002_000))  # 3,000 numbers, 1000000 among them
    assert not _key_repeats(values)
    assert _key_repeats([*values, "1e+06"]) and _key_repeats(["1e+06", *values])
    assert not _key_repeats([*values, "1000000"])  # the number's key is "1e+06"
    assert _key_repeats([*values, "1000000"], id_field="k")  # one id
    assert _key_repeats(["007", *values[:2000], "7"], id_field="k")  # one id
    assert not _key_repeats(["007", *values[:2000], "7"], primary_key_fields=["k"], types={"k": "string"})  # two keys


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from([0, 7, 999999, 10**6, 1500000, 15000000, 2**53, 2**53 + 1, 12345678901234567, 2**64, -(10**6)]),
            st.integers(min_value=-(2**70), max_value=2**70),
            st.sampled_from(["7", "007", "999999", "1000000", "1e+06", "1.5e+06", "1.5e+07", "-1e+06", "1e+6", "9.007199254740992e+15"]),
            st.sampled_from(["1.2345678901234568e+16", "1.8446744073709552e+19", "18446744073709551616", "a"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_string_keys_repeats_are_the_engines(values: list[Any]) -> None:
    assert _key_repeats(values) == _engine_repeats(values), values


TWINS = ndjson({"id": 2**60 + 1, "id_str": str(2**60 + 1), "v": "a"}, {"id": 2**60 + 3, "id_str": str(2**60 + 3), "v": "b"})


def test_a_type_given_to_the_exact_string_twin_keeps_it_the_identity() -> None:
    # id (beyond 2^53) gives way to id_str; a --type on id_str took it out of the running, and the
    # note said "id is typed nothing"
    assert infer(TWINS).body["schema"]["id_field"] == "id_str"
    assert infer(TWINS, types={"id_str": "int"}).body["schema"]["id_field"] == "id_str"
    assert infer(TWINS, types={"id_str": "string"}).body["schema"]["primary_key_fields"] == ["id_str"]
    r = infer(TWINS, types={"id_str": "strings"})
    assert r.body["schema"]["primary_key_fields"] == ["v"]
    (said,) = [n for n in r.notes if n.startswith("no id, _id, uuid or key field")]
    assert "id_str is typed strings by --type id_str=strings: a set cannot be a key" in said
    assert "id is not mapped (integers beyond 2^53" in said and "typed nothing" not in said
