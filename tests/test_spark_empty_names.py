"""``mapper spark-validate`` with an empty file name (a ``"$VAR"`` left unset), as every other command.

An empty SINK said ". is a directory, not a sink file", an empty PATH "no such file: ", and an
empty ``-o`` "cannot write : the input ... reads it, or is in it": each read '' as the working
directory or as nothing. Like the other commands' file arguments (docs/cli.md), it is
a parser error naming the argument, before Spark, Java or any file is looked at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mapper.cli import parse

ROOT = Path(__file__).resolve().parent.parent
SINK = str(ROOT / "examples" / "aircraft" / "sink.json")
RECORDS = str(ROOT / "examples" / "aircraft" / "records.ndjson")


@pytest.mark.parametrize(
    "args, option",
    [
        (["", RECORDS, "-o", "out"], "SINK"),
        ([SINK, "", "-o", "out"], "PATH"),
        ([SINK, "-o", "out", "--", ""], "PATH"),  # (after --, as mapper.cli marks an empty name there)
        ([SINK, RECORDS, "-o", ""], "-o/--output"),
        ([SINK, RECORDS, "--output", ""], "-o/--output"),
    ],
)
def test_spark_validate_refuses_an_empty_file_name_naming_the_argument(args: list[str], option: str, capsys: pytest.CaptureFixture[str]) -> None:
    # (parsed in process, as the command line parses it: without the fix, an empty -o went on to start Spark in the working directory)
    with pytest.raises(SystemExit) as exit_:
        parse(["spark-validate", *args])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert f"mapper spark-validate: error: argument {option}: takes a file name, not an empty one ('')" in err
    assert out == ""
