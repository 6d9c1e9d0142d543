"""Small gaps found by review: an unpack hint written over records.ndjson, decimal options that
took what Python's float() takes, a records-path hint quoting keys whole, fractional limits.

All in-process and cheap: no JVM, no sockets, no sleeps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import mapper

# ---------------------------------------------------------------------------------------
# 1. spark-validate's hint for an lz4/snappy frame-format file: beside the input, never over a file


@pytest.mark.parametrize("name, tool, out", [("frame.ndjson.lz4", "lz4", "frame.ndjson"), ("framed.ndjson.snappy", "snzip", "framed.ndjson")])
def test_frame_format_hint_unpacks_beside_the_input_never_over_a_file(tmp_path: Path, monkeypatch: Any, name: str, tool: str, out: str) -> None:
    from mapper.spark import check_inputs

    magic = b"\x04\x22\x4d\x18" if tool == "lz4" else b"\xff\x06\x00\x00sNaPpY"
    (tmp_path / name).write_bytes(magic + b"\x00" * 12)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "records.ndjson").write_text("keep\n")  # (the hint's old target, in the current directory)
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(tmp_path / name)])
    text = str(info.value)
    assert f"unpack it first ({tool} -dc {tmp_path / name} > {tmp_path / out})" in text
    assert "records.ndjson" not in text
    (tmp_path / out).write_text("there\n")  # a file of that name: not written over
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(tmp_path / name)])
    assert f"{tool} -dc {tmp_path / name} > {tmp_path / out.replace('.ndjson', '-2.ndjson')})" in str(info.value)  # (not {name}.ndjson: hints58)


# ---------------------------------------------------------------------------------------
# 2. one parser for every decimal option: ASCII digits, as the integer options

DECIMAL_OPTIONS = [
    ["infer", "r", "--min-presence"],
    ["send", "s.json", "r", "--records-per-s"],
    ["send", "s.json", "r", "--bytes-per-s"],
    ["send", "s.json", "r", "--timeout"],
    ["send", "s.json", "r", "--backoff"],
    ["send", "s.json", "r", "--max-backoff"],
    ["serve", "--records-per-s"],
    ["serve", "--bytes-per-s"],
    ["serve", "--create-delay"],
    ["serve", "--lock-wait"],
]


@pytest.mark.parametrize("value", ["1_0", "\u0663", "\uff15", " 5", "5 ", "+5", "1..0", "1e", "0x10", ".", "1e1_0", "infx"])
@pytest.mark.parametrize("argv", DECIMAL_OPTIONS, ids=lambda a: f"{a[0]} {a[-1]}")
def test_a_decimal_option_takes_ascii_digits_only(capsys: pytest.CaptureFixture[str], argv: list[str], value: str) -> None:
    from mapper.cli import parse

    with pytest.raises(SystemExit) as exit_:
        parse([*argv, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"argument {argv[-1]}" in err and "ASCII digits" in err, err


@pytest.mark.parametrize(
    "value, read", [("007", 7.0), ("0.5", 0.5), (".5", 0.5), ("5.", 5.0), ("-1.5", -1.5), ("1e3", 1000.0), ("2.5E-1", 0.25), ("1e+2", 100.0)]
)
def test_a_decimal_option_reads_its_digits(value: str, read: float) -> None:
    from mapper.cli import parse

    for argv in DECIMAL_OPTIONS:
        args = parse([*argv, value] if not value.startswith("-") else [*argv[:-1], f"{argv[-1]}={value}"])
        assert getattr(args, argv[-1].lstrip("-").replace("-", "_")) == read


def test_inf_and_nan_are_read_as_before_and_refused_where_they_were() -> None:
    import math

    from mapper.commands import decimal

    assert decimal("inf") == math.inf and decimal("-Infinity") == -math.inf and math.isnan(decimal("nan"))
    from mapper.cli import parse

    assert parse(["send", "s.json", "r", "--timeout", "inf"]).timeout == math.inf  # (send's own check refuses it, naming the option)


def test_a_float_typed_option_is_caught_where_it_is_added() -> None:
    import argparse

    from mapper.commands import unicode_values

    parser = argparse.ArgumentParser()
    with pytest.raises(AssertionError, match="mapper.commands.decimal"):
        unicode_values(parser.add_argument("--ratio", type=float))


# ---------------------------------------------------------------------------------------
# 3. the --records-path hint names a document's keys cut, as other messages do


def test_the_records_path_hint_cuts_a_long_key() -> None:
    from mapper.engine.reader import document_hint

    key = "k" * 100_000
    hint = document_hint({key: [{"a": 1}, {"a": 2}, {"a": 3}], "n": 1})
    assert "arrays of objects are at `kkk" in hint and "(100,000 characters)" in hint
    assert len(hint) < 1_000, len(hint)  # (was 300,000 characters: the key three times)
    assert key not in hint and "--records-path 'kkk" not in hint  # (no command that is not the real path)
    short = document_hint({"aircraft": [{"a": 1}, {"a": 2}], "now": 1})  # a key of a usual length: the command, as before
    assert "use --records-path aircraft (records_path='aircraft')" in short


# ---------------------------------------------------------------------------------------
# 4. a fractional body limit, a numeric string as a bucket's rate


@pytest.mark.parametrize("option", ["body_records", "body_bytes"])
@pytest.mark.parametrize("value", [2.5, 2000.0, "5"])
def test_limits_refuse_a_body_limit_that_is_no_whole_number_as_sender_does(option: str, value: Any) -> None:
    from mapper.endpoint import Limits
    from mapper.errors import OptionError

    with pytest.raises(
        OptionError, match=rf"{option}= \(--{option.replace('_', '-')}\) must be a whole number, at least \d+( \(.*\))?, not {re.escape(repr(value))}"
    ):
        Limits(**{option: value})
    assert Limits(body_records=5, body_bytes=2000).max_records == 5  # (whole numbers, as before)


@pytest.mark.parametrize("rate, capacity, named", [("5", 5, "rate"), (5, "5", "capacity"), (b"5", 5, "rate"), (5, [5], "capacity")])
def test_a_token_bucket_refuses_what_is_no_number(rate: Any, capacity: Any, named: str) -> None:
    from mapper.endpoint import TokenBucket
    from mapper.errors import OptionError

    with pytest.raises(
        OptionError, match=rf"a token bucket's {named} must be a finite number, above 0, not {re.escape(repr(rate if named == 'rate' else capacity))}"
    ):
        TokenBucket(rate, capacity)
    assert TokenBucket(5, 2.5).rate == 5.0


def test_the_web_uis_paste_hint_cuts_a_long_key() -> None:
    # the same hint, the web UI's (a paste, the sample record): its jq command and the path quoted whole
    from mapper.web.draft import _records_inside

    key = "k" * 100_000
    doc = {key: [{"a": 1}, {"a": 2}, {"a": 3}], "n": 1}
    for one in (False, True):
        hint = _records_inside("the paste is one JSON object, sent as one record", doc, one=one)
        assert "(100,000 characters)" in hint and key not in hint and len(hint) < 1_000, len(hint)
    assert "`jq -c '.aircraft[]' FILE` prints those of `aircraft`" in _records_inside("x", {"aircraft": [{"a": 1}, {"a": 2}], "now": 1})


def test_spark_validates_document_hint_cuts_a_long_key(tmp_path: Path) -> None:
    # the same, spark-validate's: a JSON document's arrays named, and the jq that extracts them
    import json

    from mapper.spark import check_inputs

    key = "k" * 100_000
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({key: [{"a": 1}, {"a": 2}, {"a": 3}], "n": 1}, indent=1))
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(doc)])
    text = str(info.value)
    assert "(100,000 characters)" in text and key not in text and len(text) < 1_000, len(text)
