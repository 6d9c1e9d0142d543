"""A byte that is not UTF-8 in any option's value is named, as a usage error, by one check in the
parser (file names exempt); and ``Batch.to_arrow()`` carries the figures ``read_batch`` reads
back, so a table a user writes himself keeps its record count (run in this process: fast)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from mapper.cli import build_parser, main, parse
from mapper.commands import file_name

COMMANDS = {"check", "explain", "validate", "map", "infer", "bench", "send", "serve", "spark-validate"}

#: ``$'a\xff'`` as Python hands it over (os.fsdecode's escape of the byte 0xff)
NOT_UTF8 = os.fsdecode(b"a\xff")

#: what every text option says of it (the byte at character 2 of "a\xff", counted from 1)
SAID = "the value holds the byte \\xff, which is not UTF-8 (at character 2): an option's value is Unicode text; give it in UTF-8"


def _command_parsers() -> dict[str, argparse.ArgumentParser]:
    parsers: dict[str, argparse.ArgumentParser] = build_parser().get_default("commands")
    return parsers


def _required(parser: argparse.ArgumentParser) -> list[str]:
    """Arguments that make the command line complete: a file per positional, each required option."""
    args = []
    for action in parser._actions:
        if not action.option_strings:
            args.append("x.json")
        elif action.required:
            args += [action.option_strings[-1], "out.x"]
    return args


def _options(typed_file: bool) -> list[tuple[str, str]]:
    """(command, option) for every option taking a value; file options (``typed_file``) or the others."""
    found = []
    for name, parser in _command_parsers().items():
        for action in parser._actions:
            if action.option_strings and action.nargs != 0 and (action.type is file_name) == typed_file:
                found.append((name, action.option_strings[-1]))
    return found


TEXT_OPTIONS = _options(typed_file=False)
FILE_OPTIONS = _options(typed_file=True)


def test_the_options_enumerated_are_those_of_every_command() -> None:
    # (the parametrized tests below cannot pass by finding no option)
    assert set(_command_parsers()) == COMMANDS
    assert {name for name, _ in TEXT_OPTIONS} == COMMANDS
    for expected in [
        ("infer", "--include"),
        ("infer", "--exclude"),
        ("infer", "--type"),
        ("validate", "--id-field"),
        ("validate", "--ignore-warning"),
        ("map", "--records-path"),
        ("map", "--on-error"),
        ("send", "--endpoint"),
        ("send", "--token-env"),
        ("serve", "--host"),
        ("serve", "--query"),
        ("spark-validate", "--conf"),
        ("bench", "--max-errors"),
        ("check", "--primary-key-fields"),
        ("explain", "--id-field"),
    ]:
        assert expected in TEXT_OPTIONS
    assert ("map", "--output") in FILE_OPTIONS and ("serve", "--db") in FILE_OPTIONS


@pytest.mark.parametrize(("command", "option"), TEXT_OPTIONS, ids=[f"{c} {o}" for c, o in TEXT_OPTIONS])
def test_every_text_option_names_a_byte_that_is_not_utf8(capsys: pytest.CaptureFixture[str], command: str, option: str) -> None:
    parser = _command_parsers()[command]
    with pytest.raises(SystemExit) as exit_:
        parse([command, *_required(parser), option, NOT_UTF8])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "udcff" not in err and "surrogate" not in err
    names = next("/".join(a.option_strings) for a in parser._actions if option in a.option_strings)
    assert f"mapper {command}: error: argument {names}: {SAID}" in err


@pytest.mark.parametrize(("command", "option"), FILE_OPTIONS, ids=[f"{c} {o}" for c, o in FILE_OPTIONS])
def test_a_file_option_takes_any_bytes(command: str, option: str) -> None:
    # a file may be named by any bytes: the name is kept as given
    parser = _command_parsers()[command]
    action = next(a for a in parser._actions if option in a.option_strings)
    args = parse([command, *_required(parser), option, NOT_UTF8])
    value = getattr(args, action.dest)
    assert NOT_UTF8 in (value if isinstance(value, list) else [value])


def test_a_file_argument_takes_any_bytes() -> None:
    args = parse(["validate", NOT_UTF8, "--", NOT_UTF8 + ".ndjson"])
    assert args.sink == NOT_UTF8 and args.records == [NOT_UTF8 + ".ndjson"]


def _sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(sinks.sink(sinks.column("id", "int"), sinks.column("s", "string"), id_field="id")))
    return path


@pytest.mark.parametrize(
    "option",
    [["infer", "{records}", "--include"], ["validate", "{sink}", "{records}", "--id-field"], ["validate", "{sink}", "{records}", "--ignore-warning"]],
    ids=["infer --include", "validate --id-field", "validate --ignore-warning"],
)
def test_the_messages_that_showed_the_escape_name_the_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    # they said "not matched by --include \udcff", "id_field '\udcff' names no column",
    # "unknown warning kind '\udcff'": the byte typed is \xff
    records = tmp_path / "r.ndjson"
    records.write_text('{"id": 1, "s": "a"}\n')
    argv = [a.format(sink=_sink(tmp_path), records=records) for a in option]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, os.fsdecode(b"\xff")])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert "udcff" not in err
    assert f"argument {option[-1]}: the value holds the byte \\xff, which is not UTF-8 (at character 1)" in err


def test_a_command_name_holding_such_a_byte_is_named_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse([NOT_UTF8])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2 and "udcff" not in err and "the byte \\xff" in err


def _skip_batch(tmp_path: Path) -> Any:
    sink = mapper.compile_sink(json.loads(_sink(tmp_path).read_text()))
    # (the last ones refused: past the last row, no _record_index tells of them)
    records = [{"id": 1, "s": "a"}, {"id": "x", "s": "b"}, {"id": 3, "s": "c"}, {"id": 4, "s": 5}, {"id": "y", "s": "e"}]
    return sink.map(records, on_error="skip")


def _write_own(table: Any, path: Path) -> None:
    """The table saved as a user saves it, with pyarrow alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        pq.write_table(table, path)
        return
    with pa.ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table)


@pytest.mark.parametrize("ext", [".parquet", ".arrow"])
def test_to_arrow_carries_what_read_batch_reads_back(tmp_path: Path, ext: str) -> None:
    # a table saved with pyarrow.parquet.write_table was read back with its count unknown ("does
    # not say how many input records its batch covered"): 4 records, 1 refused, not 5 and 2
    pytest.importorskip("pyarrow")
    batch = _skip_batch(tmp_path)
    assert (batch.report.records, batch.report.failed_records, batch.count) == (5, 2, 3)  # (the last record refused: past every row)
    path = tmp_path / f"own{ext}"
    _write_own(batch.to_arrow(), path)
    back = mapper.read_batch(path)
    assert (back.report.records, back.report.failed_records) == (5, 2)
    assert back.report.on_error == batch.report.on_error == "skip"
    assert back.report.strict is batch.report.strict is False
    assert not any("does not say how many input records" in n for n in back.report.notes)
    assert back.to_rows() == batch.to_rows()
    assert mapper.concat([batch, back]).report.records == 10  # (joined as the batch it was written from)


def test_a_slice_says_the_records_of_its_input(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    batch = _skip_batch(tmp_path)
    path = tmp_path / "slice.parquet"
    _write_own(batch[0:1].to_arrow(), path)
    back = mapper.read_batch(path)
    assert (back.report.records, back.report.failed_records) == (5, 2)  # (as mapper writes a slice: mapper.batch.Inputs)


@pytest.mark.parametrize("ext", [".parquet", ".arrow"])
def test_files_mapper_writes_say_the_records_of_all_parts_once(tmp_path: Path, ext: str) -> None:
    # the writers build on to_arrow: the first part's own count is not the file's (nor said twice)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from mapper.batch import RECORDS_KEY
    from mapper.writers import open_writer

    first, second = _skip_batch(tmp_path), _skip_batch(tmp_path)
    out = tmp_path / f"two{ext}"
    writer = open_writer(str(out))
    writer.write(first)
    writer.write(second)
    writer.close()
    whole = json.dumps(
        {"records": 10, "failed_records": 4, "refused": [2, 3, 2, 3]}
    ).encode()  # (records 1, 4, 6, 9, each a step from the one before: each input's 1 and 4)
    if ext == ".parquet":
        footer = pq.ParquetFile(out).metadata
        said = [v for k, v in (footer.metadata or {}).items() if k == RECORDS_KEY]
        assert said == [whole]
        assert RECORDS_KEY not in (pq.read_schema(out).metadata or {})
    else:
        with pa.ipc.open_file(str(out)) as reader:
            assert RECORDS_KEY not in (reader.schema.metadata or {})
            assert reader.get_batch_with_custom_metadata(reader.num_record_batches - 1).custom_metadata[RECORDS_KEY] == whole
    back = mapper.read_batch(out)
    assert (back.report.records, back.report.failed_records, back.count) == (10, 4, 6)


def test_pandas_and_polars_still_take_the_table(tmp_path: Path) -> None:
    batch = _skip_batch(tmp_path)
    pytest.importorskip("pyarrow")
    if importlib.util.find_spec("pandas"):
        assert batch.to_pandas()["_id"].tolist() == [1, 3, 4]
    if importlib.util.find_spec("polars"):
        assert batch.to_polars()["_id"].to_list() == [1, 3, 4]


def test_the_parser_overrides_no_private_method_of_argparse() -> None:
    # The check is made by each option's type (argparse's public door for a value's text): it
    # was an override of ArgumentParser._get_value, which a Python reworking argparse's
    # internals could rename or bypass, the check silently gone with it.
    from mapper.cli import _Parser

    private = {n for n in vars(_Parser) if n.startswith("_") and not n.endswith("__") and hasattr(argparse.ArgumentParser, n)}
    assert private == set()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["validate", "s.json", "--examples", "x"], "argument --examples: invalid int value: 'x'"),
        (["send", "s.json", "--timeout", "x"], "argument --timeout: invalid float value: 'x'"),
        (["infer", "r.json", "--min-presence", "x"], "argument --min-presence: invalid float value: 'x'"),
        (["validate", "s.json", "--id-field", " "], "argument --id-field: takes a name, not ' '"),
        (["infer", "r.json", "--include", ""], "argument --include: takes a glob on dot paths (data.*), not an empty one ('')"),
        (["validate", "s.json", "--group", "x"], "argument --group: invalid choice: 'x' (choose from 'column', 'record')"),
        (["map", "s.json", "-o", ""], "argument -o/--output: takes a file name, not an empty one ('')"),
        (["nosuch"], "argument COMMAND: invalid choice: 'nosuch'"),
    ],
    ids=["int", "float", "float in infer", "own type", "own type in infer", "choices", "file name", "command"],
)
def test_an_option_s_own_type_still_says_its_own_message(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    # wrapped by the check, a type keeps its messages: argparse names a ValueError's type by
    # the type's __name__ ("invalid int value"), an ArgumentTypeError's text is kept
    with pytest.raises(SystemExit) as exit_:
        parse(argv)
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert f"error: {said}" in err


def test_an_option_s_own_type_still_reads_its_value() -> None:
    args = parse(["validate", "s.json", "--examples", "7", "--id-field", " id ", "--group", "record", "--ignore-warning", "a", "--ignore-warning", "b"])
    assert args.examples == 7 and args.id_field == "id" and args.group == "record" and args.ignore_warning == ["a", "b"]
    args = parse(["send", "s.json", "r.json", "--timeout", "2.5"])
    assert args.timeout == 2.5 and args.retries == 8 and args.report == "text"
