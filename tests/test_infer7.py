"""An infer option that has no effect on the draft is said, never silently dropped: a --type on a path
the filters leave out (a note; an error for --max-depth, whose deeper keys are not read), and a records
path whose spaces around its keys JMESPath would drop (refused, as the sink path string gets a warning)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mapper.errors import OptionError
from mapper.infer import InferError, infer
from mapper.paths import records_path_keys
from tests.cli_inproc import run_main

ROOT = Path(__file__).resolve().parents[1]
DATA = b'{"id": 1, "a": {"b": 2, "c": "x"}, "d": 1}\n{"id": 2, "a": {"b": 3, "c": "y"}}\n'


def _cli(*args: str, stdin: bytes = DATA) -> subprocess.CompletedProcess[bytes]:
    return run_main(*args, input=stdin, timeout=30)  # (python -m mapper ARGS, in this process; no traceback)


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"exclude": "a.b"}, "excluded by --exclude a.b"),
        ({"include": ["id", "a.c"]}, "not matched by --include id a.c"),
    ],
)
def test_a_type_on_a_filtered_path_is_noted(options: dict[str, object], why: str) -> None:
    result = infer(DATA, types={"a.b": "int"}, **options)  # type: ignore[arg-type]
    assert ["a", "b"] not in [e["path"] for e in result.body["schema"]["definition"]]
    said = [n for n in result.notes if n.startswith("--type a.b=int")]
    assert said == [f"--type a.b=int: a.b is left out of the draft ({why}), so the type has no effect"]


def test_a_type_below_min_presence_is_noted_on_stderr_and_in_the_json_report() -> None:
    run = _cli("infer", "--min-presence", "0.9", "--type", "d=string", "--report", "json", "-")
    assert run.returncode == 0, run.stderr
    note = "--type d=string: d is left out of the draft (present in 50.0% of the 2 records, below --min-presence 0.9), so the type has no effect"
    assert note in json.loads(run.stdout)["notes"]
    assert note in run.stderr.decode()


def test_a_type_on_a_kept_path_has_no_such_note() -> None:
    result = infer(DATA, types={"a.b": "string"})
    assert not [n for n in result.notes if n.startswith("--type")]


def test_a_type_deeper_than_max_depth_says_so() -> None:
    with pytest.raises(InferError) as err:
        infer(DATA, max_depth=1, types={"a.b": "int"})
    assert "--type 'a.b' is 2 keys deep: --max-depth 1 reads no keys that deep" in str(err.value)


@pytest.mark.parametrize(
    ("value", "read", "keep"),
    [(" a ", '["a"]', "'\" a \"'"), ("a . b", '["a", "b"]', '\'"a "." b"\'')],
)
def test_a_records_path_with_spaces_around_its_keys_is_refused(value: str, read: str, keep: str) -> None:
    with pytest.raises(OptionError) as err:
        records_path_keys(value)
    text = str(err.value)
    assert f"records_path {value!r} would read the keys {read}" in text and keep in text


def test_records_path_spaces_on_the_command_line_is_a_usage_error() -> None:
    doc = b'{" a ": [{"id": 1}], "a": [{"id": 2}]}\n'
    run = _cli("infer", "--records-path", " a ", "-", stdin=doc)
    assert run.returncode == 2 and run.stdout == b""
    assert "--records-path ' a ' would read the keys [\"a\"]" in run.stderr.decode() and "'\" a \"'" in run.stderr.decode()
    quoted = _cli("infer", "--records-path", '" a "', "--report", "json", "-", stdin=doc)  # the way to keep them
    assert quoted.returncode == 0, quoted.stderr


def test_records_path_without_stray_spaces_is_read() -> None:
    assert records_path_keys('" a "') == (" a ",)
    assert records_path_keys([" a "]) == (" a ",)
    assert records_path_keys("data.items") == ("data", "items")
