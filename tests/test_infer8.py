"""``mapper infer`` on paths named deeper than --max-depth, and on input that holds no records.

An identity named in dot notation (``--id-field``, ``--primary-key-fields``) is read whatever
--max-depth: a producer naming the identity expects it in the draft, as the other filters keep it
(it said "not a path of the records" of a path every record holds). A ``--type`` on a deeper path
that is not the identity stays an error naming the depth and --max-depth; a column name of a path
the scan did not read is said to be maybe deeper than --max-depth.

No records at all: said first what the reader found (lines ending in a lone CR; a record longer
than --max-record-size; invalid JSON), in validate's words, not "not JSON objects" of them all.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper.commands import verdict
from mapper.infer import InferError, infer
from tests.cli_inproc import run_main

ROOT = Path(__file__).resolve().parents[1]
DEEP = b'{"a": {"b": {"c": "x1", "d": 1, "e": true}}, "n": 1}\n{"a": {"b": {"c": "x2", "d": 2, "e": false}}, "n": 2}\n'


def _cli(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return run_main(*args, input=stdin, timeout=30)  # (python -m mapper ARGS, in this process; no traceback)


def _paths(result: mapper.InferResult) -> list[str]:
    return [".".join(e["path"]) for e in result.body["schema"]["definition"]]


def _stands(result: mapper.InferResult, data: bytes) -> None:
    assert mapper.check_sink(result.body).valid
    assert mapper.compile_sink(result.body).validate(data).verdict == "accepted"


def test_an_id_field_deeper_than_max_depth_is_followed() -> None:
    result = infer(DEEP, max_depth=2, id_field="a.b.d")
    assert result.body["schema"]["id_field"] == "a_b_d"
    assert _paths(result) == ["a.b.d", "n"]  # (only the identity is read that deep)
    assert "a.b.d is the identity: followed although 3 keys deep, deeper than --max-depth 2 (which leaves out the other paths that deep)" in result.notes
    assert result.skipped["a.b.*"] == "keys deeper than --max-depth 2 (but the identity a.b.d, followed)"
    _stands(result, DEEP)


def test_primary_key_fields_deeper_than_max_depth_are_followed() -> None:
    result = infer(DEEP, max_depth=1, primary_key_fields="a.b.c,n")
    assert result.body["schema"]["primary_key_fields"] == ["a_b_c", "n"]
    assert _paths(result) == ["a.b.c", "n"]
    assert result.skipped["a.b.*"].startswith("keys deeper than --max-depth 1 (but the identity a.b.c")
    _stands(result, DEEP)


def test_a_type_on_a_followed_identity_applies_and_on_another_deep_path_is_an_error() -> None:
    result = infer(DEEP, max_depth=2, id_field="a.b.d", types={"a.b.d": "int"})
    assert result.body["schema"]["definition"][0] == {"name": "a_b_d", "path": ["a", "b", "d"], "type": "int"}
    with pytest.raises(InferError) as err:
        infer(DEEP, max_depth=2, id_field="a.b.d", types={"a.b.e": "bool"})
    assert "--type 'a.b.e' is 3 keys deep: --max-depth 2 reads no keys that deep" in str(err.value)


def test_a_named_identity_missing_under_a_followed_object_is_no_path() -> None:
    with pytest.raises(InferError, match=r"^--primary-key-fields 'a\.b\.x' is not a path of the records \(nor a column name of the draft\)$"):
        infer(DEEP, max_depth=1, primary_key_fields=["a.b.x"])


def test_a_column_name_of_a_path_deeper_than_max_depth_says_how_to_name_it() -> None:
    with pytest.raises(InferError) as err:
        infer(DEEP, max_depth=2, id_field="a_b_d")
    assert str(err.value).endswith(
        "--id-field 'a_b_d' is not a path of the records (nor a column name of the draft); --max-depth 2 left out the keys "
        "deeper than 2: name a deeper path in dot notation (e.g. a.b.c), which is followed whatever --max-depth"
    )
    assert infer(DEEP, max_depth=3, id_field="a_b_d").body["schema"]["id_field"] == "a_b_d"  # (read: its name is known)


def test_an_identity_path_longer_than_mapper_takes_says_so() -> None:
    deep = ".".join(["k"] * 101)
    with pytest.raises(InferError, match=r"is 101 keys deep: mapper takes paths of at most 100 keys$"):
        infer(DEEP, id_field=deep)


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
_tree = st.recursive(_leaf, lambda inner: st.dictionaries(st.sampled_from(["p", "q", "r"]), inner, max_size=3), max_leaves=8)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_tree, min_size=1, max_size=4), st.integers(2, 5), st.integers(1, 4), st.booleans())
def test_a_followed_identity_is_as_without_max_depth(trees: list[object], depth: int, max_depth: int, as_key: bool) -> None:
    # the identity at depth `depth` under "k", beside random trees under "t"; read with a smaller --max-depth, the
    # draft has its column as a draft without --max-depth has it, and no other column deeper than --max-depth
    path = ["k"] + ["s"] * (depth - 1)
    rows = []
    for i, tree in enumerate(trees):
        node: dict[str, object] = {"t": tree}
        cur = node
        for key in path[:-1]:
            cur[key] = cur = {"other": i}
        cur[path[-1]] = f"v{i}" if as_key else i
        rows.append(node)
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    named = {"primary_key_fields": [".".join(path)]} if as_key else {"id_field": ".".join(path)}
    full = infer(data, **named)  # type: ignore[arg-type]
    cut = infer(data, max_depth=max_depth, **named)  # type: ignore[arg-type]
    assert cut.body["schema"]["definition"][0] == full.body["schema"]["definition"][0]
    kind = "primary_key_fields" if as_key else "id_field"
    assert cut.body["schema"][kind] == full.body["schema"][kind]  # (allow_missing_fields follows the other columns kept)
    deeper = [e["path"] for e in cut.body["schema"]["definition"][1:] if len(e["path"]) > max_depth]
    assert deeper == []
    assert [e for e in full.body["schema"]["definition"] if len(e["path"]) <= max_depth] == cut.body["schema"]["definition"][1:] or depth <= max_depth
    assert mapper.check_sink(cut.body).valid
    # the identity stands on every record (another column may refuse some: a conflict's chosen type, said in notes)
    ident = cut.body["schema"]["definition"][0]["name"]
    assert [e.message for e in mapper.compile_sink(cut.body).validate(data).errors if e.column == ident] == []


def test_the_cli_follows_a_deep_id_field() -> None:
    run = _cli("infer", "--max-depth", "2", "--id-field", "a.b.d", "-", stdin=DEEP)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["schema"]["id_field"] == "a_b_d"
    assert b"note: a.b.d is the identity: followed although 3 keys deep" in run.stderr


SINK = {
    "name": "s",
    "sink_details": {"database_id": "d", "table": "t"},
    "schema": {"type": "json", "primary_key_fields": ["a"], "allow_missing_fields": False, "definition": [{"name": "a", "path": ["a"], "type": "int"}]},
}
LONE_CR = "the lines end in a lone CR (carriage return) and NDJSON lines end in LF (\\n): convert them first, e.g. `tr '\\r' '\\n' < FILE`"


@pytest.mark.parametrize("data", [b'{"a":1}\r{"a":2}\r', b'{"a":1}\r{"a":2}\r\n{"a":3}\r{"a":4}\r\n'])
def test_lines_ending_in_a_lone_cr_are_said_first(data: bytes) -> None:
    # it began "1 record read, not JSON objects (record 0, line 1: Invalid JSON: ...; the lines end in a lone CR ...)"
    with pytest.raises(InferError) as err:
        infer(data)
    said = str(err.value)
    assert said.startswith(f"no records to infer a sink from: {LONE_CR} (")
    # validate's words for the first record, the hint said once (first)
    first = mapper.compile_sink(SINK).validate(data).errors[0]
    assert first.code == "invalid_json" and first.reason.endswith(f"; {LONE_CR}")
    assert said.endswith(f"; record 0, line 1: {first.reason[: -len(LONE_CR) - 2]})") and said.count("lone CR") == 1
    assert "not valid JSON" in said and "not JSON objects" not in said


def test_lone_cr_on_the_command_line() -> None:
    run = _cli("infer", "-", stdin=b'{"a":1}\r{"a":2}\r')
    assert run.returncode == 2 and run.stdout == b""
    piped = LONE_CR.replace("`tr '\\r' '\\n' < FILE`", "`... | tr '\\r' '\\n'`")  # (standard input: piped through it, no file to name)
    assert run.stderr.decode().startswith(f"mapper: no records to infer a sink from: {piped} (1 record read, not valid JSON; record 0, line 1: Invalid JSON:")


@pytest.mark.parametrize(
    ("data", "options", "what"),
    [
        (b'{"a": 1\n', {}, "1 record read, not valid JSON (record 0, line 1: Invalid JSON"),
        (b'{"a": 1\n{"b": \n', {}, "2 records read, not valid JSON (record 0, line 1: Invalid JSON"),
        (b"[1]\n[2]\n", {"input_format": "ndjson"}, "2 records read, not JSON objects (record 0, line 1: Expected `object`"),
        (b'{"a":\n[1]\n[2]\n', {}, "3 records read: 2 not JSON objects, 1 not valid JSON (record 0, line 1: Invalid JSON"),
        (
            b'{"a": "' + b"x" * 2000 + b'"}\n',
            {"max_record_size": 1024},
            "1 record read, longer than --max-record-size (record 0, line 1: the record is 2,009 bytes",
        ),
        (b'{"a":' * 20000 + b"\n", {}, "1 record read, nested too deeply (record 0, line 1:"),
    ],
)
def test_no_records_says_what_the_records_read_are(data: bytes, options: dict[str, object], what: str) -> None:
    # each was "N records read, not JSON objects": a record too long, or no JSON at all, is no "not JSON objects"
    with pytest.raises(InferError) as err:
        infer(data, **options)  # type: ignore[arg-type]
    assert str(err.value).startswith(f"no records to infer a sink from: {what}")


@pytest.mark.parametrize("data", [b"", b"\n \n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_no_records_at_all_is_said_in_validates_words(tmp_path: Path, data: bytes) -> None:
    # infer said "(it is empty, blank, or an empty array)"; validate, map and bench "(empty, blank lines only, or an empty array)"
    f = tmp_path / "r.ndjson"
    f.write_bytes(data)
    said = verdict(mapper.compile_sink(SINK).validate(f))  # (validate's verdict line)
    assert said.endswith(": the input holds none (empty, blank lines only, or an empty array), so nothing would be stored")
    with pytest.raises(InferError, match=r"^no records to infer a sink from: the input holds none \(empty, blank lines only, or an empty array\)$"):
        infer(f)
    with pytest.raises(InferError, match=r"^no records to infer a sink from: none of the 2 inputs holds any \(empty, blank lines only, or an empty array\)$"):
        infer([f, f])


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"{}\n{}\n", "the 2 records read are all empty objects"),
        (b"[{}]", "the record read is an empty object"),
        (b'{}\nnull\n{"a": 1\n', "the record read is an empty object (2 other records read: 1 not a JSON object, 1 not valid JSON)"),
        (
            b'{"a": null, "b": [], "c": {}}\n',
            "no path of the records can be a column (a: only null values: no type to infer; b: only empty arrays: no element type to infer; "
            "c: only empty objects: no keys to map)",
        ),
    ],
)
def test_records_with_no_column_say_so_not_that_no_field_is_the_identity(data: bytes, said: str) -> None:
    # it said "no field can be the record identity (...): give --id-field PATH ...", of records that hold no field at all
    with pytest.raises(InferError) as err:
        infer(data)
    assert str(err.value) == f"no columns to infer a sink from: {said}"
