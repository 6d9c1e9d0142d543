"""The Python API's options against the command line's: each option ``mapper validate`` /
``mapper map`` take for the records is a parameter of ``Mapper.validate`` / ``map`` /
``iter_batches`` (``ignore_warnings`` was the command line's and ``MapOptions``' only), checked
before anything is read; and ``max_record_size``, which applies to records read as text only,
says so when records come as Python objects rather than passing them without a word."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any, Iterator

import pytest

import mapper
from mapper import cli
from mapper.options import MAX_RECORD_SIZE

SINK = {
    "allow_missing_fields": True,
    "primary_key_fields": ["id"],
    "definition": [
        {"name": "id", "path": ["id"], "type": "string"},
        {"name": "s", "path": ["s"], "type": "string"},
        {"name": "lat", "path": ["lat"], "type": "decimal", "config": {"Scale": 4}},
    ],
}


def _records(n: int) -> list[dict[str, Any]]:
    """``n`` records warned about: ``empty_string``, ``string_from_value`` (s) and ``decimal_truncated`` (lat)."""
    return [{"id": f"r{i}", "s": ["", 5, "x"][i % 3], "lat": [4.12345, 1.5][i % 2]} for i in range(n)]


def _ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


@pytest.fixture(scope="module")
def m() -> mapper.Mapper:
    return mapper.compile_sink(SINK)


def _kinds(report: mapper.Report) -> set[str]:
    return {kind for _column, kind in report.warning_counts}


# --- parity with the command line ------------------------------------------------------

#: Options of ``mapper validate`` / ``mapper map`` that have no place in a call: how the text
#: report is printed, where outputs go (a Batch or a Report is returned), the sink's identity
#: (``compile_sink``'s parameters), argparse's own.
CLI_ONLY = {
    "help": "argparse's",
    "sink": "compile_sink's argument",
    "records": "the call's first argument",
    "report": "the text report's format: a Report is returned (report.to_dict(), report.endpoint_answer())",
    "output": "the file written: a Batch is returned (batch.to_arrow(), to_pandas(), the writers)",
    "group": "the text report's layout",
    "examples": "the text report's layout",
    "quiet": "stderr",
    "rejects": "report.rejected holds them (iter_batches for bounded memory)",
    "id_field": "compile_sink's",
    "primary_key_fields": "compile_sink's",
    "allow_missing": "compile_sink's allow_missing_fields",
}

#: The command line's name of an option -> the Python parameter's, where they differ.
PYTHON_NAME = {"ignore_warning": "ignore_warnings"}


def _cli_options(command: str) -> set[str]:
    parser = cli.build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest for a in sub.choices[command]._actions}


@pytest.mark.parametrize(("command", "method"), [("validate", "validate"), ("map", "map"), ("validate", "iter_batches")])
def test_each_records_option_of_the_command_line_is_a_parameter(command: str, method: str) -> None:
    params = set(__import__("inspect").signature(getattr(mapper.Mapper, method)).parameters)
    missing = sorted(
        PYTHON_NAME.get(dest, dest)
        for dest in _cli_options(command) - CLI_ONLY.keys()
        if PYTHON_NAME.get(dest, dest) not in params and not (method == "iter_batches" and dest == "workers")  # (one process: it streams)
    )
    assert missing == [], f"Mapper.{method} lacks {missing}, which mapper {command} takes"


def test_the_lists_of_command_line_options_name_real_ones() -> None:
    """The lists above are not stale (an option renamed would otherwise pass the test above unseen)."""
    seen = _cli_options("validate") | _cli_options("map")
    assert set(CLI_ONLY) <= seen and set(PYTHON_NAME) <= seen


def test_ignore_warnings_leaves_out_what_ignore_warning_does(m: mapper.Mapper, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    path = tmp_path / "r.ndjson"
    path.write_bytes(_ndjson(_records(12)))
    assert cli.main(["validate", _sink_file(tmp_path), str(path), "--ignore-warning", "empty_string", "--report", "json", "-q"]) == 0
    said = json.loads(capsys.readouterr().out)
    report = m.validate(path, ignore_warnings={"empty_string"})
    assert report.to_dict()["silenced_warnings"] == said["silenced_warnings"] == {"empty_string": 4}
    assert report.to_dict()["warning_counts"] == said["warning_counts"]
    assert "empty_string" not in _kinds(report) and {"string_from_value", "decimal_truncated"} <= _kinds(report)


def _sink_file(tmp_path: Any) -> str:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(SINK))
    return str(path)


# --- ignore_warnings: each entry point, each input -------------------------------------


@pytest.mark.parametrize("n", [12, 600])  # a few records (the quick ways) and a run
@pytest.mark.parametrize("form", ["dicts", "ndjson"])
@pytest.mark.parametrize("fast", [True, False])
def test_validate_and_map_leave_out_the_kinds_named_and_count_them(m: mapper.Mapper, n: int, form: str, fast: bool) -> None:
    recs = _records(n)
    records: Any = recs if form == "dicts" else _ndjson(recs)
    whole = m.validate(records, fast=fast)
    expected = whole.warning_counts.copy()
    silenced = {k: v for (_c, k), v in expected.items() if k in ("empty_string", "decimal_truncated")}
    for call in (m.validate, lambda r, **kw: m.map(r, **kw).report):
        report = call(records, fast=fast, ignore_warnings=["empty_string", "decimal_truncated"])
        assert report.silenced_warnings == silenced and sum(silenced.values()) == n // 3 + (n + 1) // 2
        assert _kinds(report) == {"string_from_value"} and all(w.kind == "string_from_value" for w in report.warnings)
        assert report.warning_counts == {k: v for k, v in expected.items() if k[1] == "string_from_value"}


def test_iter_batches_leaves_them_out_of_each_batch(m: mapper.Mapper) -> None:
    batches = list(m.iter_batches(_records(30), records=10, ignore_warnings=("string_from_value",)))
    assert len(batches) == 3
    for b, s in zip(batches, [3, 4, 3]):  # (records 1, 4, 7, ... have s: 5)
        assert b.report.silenced_warnings == {"string_from_value": s} and "string_from_value" not in _kinds(b.report)
    assert mapper.concat(batches).report.silenced_warnings == {"string_from_value": 10}


@pytest.mark.parametrize("record", [_records(1)[0], json.dumps(_records(1)[0])])
def test_check_leaves_out_the_kinds_named_and_never_an_error(m: mapper.Mapper, record: Any) -> None:
    assert {p.kind for p in m.check(record)} == {"empty_string", "decimal_truncated"}
    assert [p.kind for p in m.check(record, ignore_warnings={"empty_string"})] == ["decimal_truncated"]
    assert m.check(record, ignore_warnings={"all"}) == []
    strict = m.check(record, strict=True, ignore_warnings={"all"})  # (under strict they are errors: kept)
    assert strict and all(p.severity == "error" for p in strict)


@pytest.mark.parametrize(
    "kinds",
    [
        ["empty_string"],
        ("empty_string",),
        {"empty_string"},
        frozenset({"empty_string"}),
        {"empty_string": True},  # (a mapping: its keys)
        "gen",  # a generator, read once
    ],
    ids=["list", "tuple", "set", "frozenset", "dict", "generator"],
)
def test_any_iterable_of_kinds_is_taken(m: mapper.Mapper, kinds: Any) -> None:
    for _ in range(2):  # (the second call finds its options made: the same answer)
        given = (k for k in ["empty_string"]) if kinds == "gen" else kinds
        assert m.validate(_records(12), ignore_warnings=given).silenced_warnings == {"empty_string": 4}


def test_all_is_every_kind_as_on_the_command_line(m: mapper.Mapper) -> None:
    report = m.validate(_records(12), ignore_warnings={"all"})
    assert report.warnings == [] and report.silenced_warnings == {"empty_string": 4, "string_from_value": 4, "decimal_truncated": 6}
    with pytest.raises(mapper.OptionError, match="unknown warning kind 'typo'"):
        m.validate(_records(12), ignore_warnings={"all", "typo"})


class _Unread:
    """Records that fail the test if read: an option error comes before anything is read."""

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the records were read before the options were checked")


BAD_KINDS: list[tuple[Any, str]] = [
    ("empty_string", r"not a str: ignore_warnings=\{'empty_string'\}"),  # (its letters, or one kind? refused)
    ("empty_string,float_decimal", r"ignore_warnings=\{'empty_string', 'float_decimal'\}"),  # (--ignore-warning's commas)
    (b"empty_string", "not a bytes"),
    (None, "not None"),
    (1, "not 1"),
    (True, "not True"),
    ([1], "a warning kind is a str, not 1"),
    ([["empty_string"]], "a warning kind is a str"),
    (["empty_strin"], r"unknown warning kind 'empty_strin' \(did you mean 'empty_string'\?\)"),
    ({"nope"}, "unknown warning kind 'nope'.*the kinds are float_truncated"),
]


@pytest.mark.parametrize(("value", "said"), BAD_KINDS, ids=[repr(v) for v, _ in BAD_KINDS])
@pytest.mark.parametrize("method", ["map", "validate", "iter_batches", "check"])
def test_a_bad_ignore_warnings_is_an_option_error_before_anything_is_read(m: mapper.Mapper, method: str, value: Any, said: str) -> None:
    with pytest.raises(mapper.OptionError, match=said):
        out = getattr(m, method)(_Unread(), ignore_warnings=value)
        if method == "iter_batches":
            next(iter(out))


def test_a_bad_ignore_warnings_is_refused_even_with_options_seen_before(m: mapper.Mapper) -> None:
    """The options are kept by their arguments (``_options``): a kind once taken, then a typo."""
    m.validate(_records(3), ignore_warnings=frozenset({"empty_string"}))
    with pytest.raises(mapper.OptionError):
        m.validate(_records(3), ignore_warnings=frozenset({"empty_strin"}))


# --- max_record_size: texts, and dicts by the text a Batcher writes for a limit asked for ------------
# (until session 61 dicts were never measured, and a note said so: tests/test_api61.py)


def _big(i: int) -> dict[str, Any]:
    return {"id": f"r{i}", "s": "x" * 3000, "lat": 1.5}  # ~3 KB of JSON text


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("n", [2, 600])
def test_max_record_size_limits_texts_and_dicts_alike(m: mapper.Mapper, fast: bool, n: int) -> None:
    dicts = [_big(i) for i in range(n)]
    texts = [json.dumps(d) for d in dicts]
    as_text = m.validate(texts, max_record_size=2048, fast=fast)
    assert as_text.error_counts and all(e.code == "too_large" for e in as_text.errors) and as_text.failed_records == n
    for report in (m.validate(dicts, max_record_size=2048, fast=fast), m.map(dicts, max_record_size=2048, on_error="skip", fast=fast).report):
        assert report.failed_records == n and {e.code for e in report.errors} == {"too_large"}
        assert not [x for x in report.notes if x.startswith("max_record_size")]


def test_dicts_are_measured_only_for_a_limit_asked_for(m: mapper.Mapper) -> None:
    dicts = [_big(i) for i in range(600)]
    assert m.validate(dicts).accepted and m.validate(dicts, max_record_size=MAX_RECORD_SIZE).accepted
    mixed = m.validate([json.dumps(_records(1)[0]), _records(1)[0]], max_record_size=2048)
    assert mixed.failed_records == 0 and mixed.notes == []
    one = m.validate(_big(0), max_record_size=2048)  # one dict, alone
    assert [e.code for e in one.errors] == ["too_large"]


def test_each_batch_of_dicts_measures_them(m: mapper.Mapper) -> None:
    batches = list(m.iter_batches(iter([_big(i) for i in range(25)]), records=10, max_record_size=2048, on_error="skip"))
    assert [b.report.failed_records for b in batches] == [10, 10, 5] and [len(b) for b in batches] == [0, 0, 0]


def test_a_stream_read_as_text_is_measured_and_not_noted(m: mapper.Mapper) -> None:
    data = _ndjson([_big(0), _records(1)[0]])
    report = m.validate(io.BytesIO(data), max_record_size=2048)
    assert report.error_counts and report.errors[0].code == "too_large" and report.notes == []


def test_max_errors_given_as_a_numpy_integer_is_that_count(m: mapper.Mapper) -> None:
    # a count computed with numpy (np.int64) was refused as "not a count"; np.bool_ is still no count
    import numpy as np

    lines = b'{"id": "a", "lat": 1}\n{"id": "b", "lat": "x"}\n{"id": "c", "lat": "y"}\n'
    assert m.validate(lines, on_error="skip", max_errors=np.int64(2)).summary() == m.validate(lines, on_error="skip", max_errors=2).summary()
    with pytest.raises(mapper.BatchRejected):
        m.map(lines, on_error="skip", max_errors=np.uint8(1))
    with pytest.raises(mapper.OptionError, match="max_errors must be a count"):
        m.validate(lines, on_error="skip", max_errors=np.True_)
