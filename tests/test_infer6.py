"""infer's options name a column as the written draft names it: the options are resolved over every
path, the draft names only the kept ones (--include/--exclude, --min-presence), so a name that
differs between the two is refused, never applied to another column than the one named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper.infer import InferError, infer

ROOT = Path(__file__).resolve().parents[1]

# three paths named a_b: a.b (first), "a.b" (a_b_2 among all), a_b (a_b_3 among all)
THREE = b'{"id": 1, "a": {"b": "x"}, "a.b": "5", "a_b": "7"}\n{"id": 2, "a": {"b": "y"}, "a.b": "6", "a_b": "8"}\n'
# two: a.b and "a.b"
TWO = b'{"id": 1, "a": {"b": "x"}, "a.b": "5"}\n{"id": 2, "a": {"b": "y"}, "a.b": "6"}\n'


def _columns(body: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], str]]:
    return {e["name"]: (tuple(e["path"]), e["type"]) for e in body["schema"]["definition"]}


def test_a_suffixed_name_that_is_another_kept_columns_name_is_refused() -> None:
    # with a.b excluded the draft names "a.b" a_b and the key a_b a_b_2: --type a_b_2 typed "a.b"
    with pytest.raises(InferError) as err:
        infer(THREE, exclude="a.b", types={"a_b_2": "int"})
    text = str(err.value)
    assert "--type a_b_2=int" in text and 'the path "a.b"' in text and "the draft's column a_b_2 is the path a_b" in text
    assert "'\"a_b\"'" in text  # how to name the key a_b unambiguously


def test_a_suffixed_name_the_kept_draft_does_not_hold_is_refused() -> None:
    # with a.b excluded the draft names "a.b" a_b: a_b_2 is no column of it
    with pytest.raises(InferError) as err:
        infer(TWO, exclude="a.b", types={"a_b_2": "int"})
    text = str(err.value)
    assert "names it a_b" in text and "excluded by --exclude a.b" in text and "'\"a.b\"'" in text


def test_a_suffixed_name_with_min_presence_is_refused_too() -> None:
    data = b'{"id": 1, "a": {"b": "x"}, "a.b": "5"}\n{"id": 2, "a.b": "6"}\n{"id": 3, "a.b": "7"}\n'
    with pytest.raises(InferError, match="names it a_b"):
        infer(data, min_presence=0.5, types={"a_b_2": "int"})


def test_the_identity_options_are_checked_alike() -> None:
    with pytest.raises(InferError, match=r"--primary-key-fields a_b_2: .*the draft's column a_b_2 is the path a_b"):
        infer(THREE, exclude="a.b", primary_key_fields=["a_b_2"])
    with pytest.raises(InferError, match=r"--id-field a_b_2: .*names it a_b"):
        infer(b'{"a": {"b": 1}, "a.b": 5}\n{"a": {"b": 2}, "a.b": 6}\n', exclude="a.b", id_field="a_b_2")


def test_a_key_that_is_another_paths_column_name_is_refused() -> None:
    # the draft's column a_b is a.b; the key a_b is its a_b_3
    with pytest.raises(InferError, match=r"'a_b' is taken for the path a_b \(the draft's column a_b_3\), but the draft's column a_b is the path a\.b"):
        infer(THREE, types={"a_b": "int"})


def test_names_the_draft_holds_and_dot_paths_still_work() -> None:
    cols = _columns(infer(THREE, types={"a_b_2": "int", "a_b_3": "int"}).body)
    assert cols["a_b_2"] == (("a.b",), "int") and cols["a_b_3"] == (("a_b",), "int") and cols["a_b"][1] == "string"
    cols = _columns(infer(THREE, exclude="a.b", types={'"a.b"': "int", '"a_b"': "int"}).body)
    assert cols["a_b"] == (("a.b",), "int") and cols["a_b_2"] == (("a_b",), "int")
    # a name the same with or without the filter
    cols = _columns(infer(THREE, exclude="a_b", types={"a_b_2": "int"}).body)
    assert cols["a_b_2"] == (("a.b",), "int")


def test_the_cli_refuses_it_as_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "r.ndjson"
    f.write_bytes(THREE)
    run = subprocess.run(
        [sys.executable, "-m", "mapper", "infer", str(f), "--exclude", "a.b", "--type", "a_b_2=int", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == "" and "the draft's column a_b_2 is the path a_b" in run.stderr
