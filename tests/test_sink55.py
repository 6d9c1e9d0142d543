"""Stop 55 consistency fixes: every Sink holds its sink_details read-only in depth however it was made;
a sink file's second byte order mark said as a records file's is; pasted file names that start with '-'."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import mapper

BODY: dict[str, Any] = {
    "name": "a",
    "sink_details": {"database_id": "d", "table": "a", "x": {"y": [1, {"z": 2}]}},
    "schema": {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
}


def _details() -> dict[str, Any]:
    return {"database_id": "d", "table": "a", "x": {"y": [1, {"z": 2}]}}


# ---------------------------------------------------------------------------------------
# 1. a hand-built Sink's sink_details


def test_a_hand_built_sink_holds_its_own_read_only_sink_details() -> None:
    """``mapper.Sink(..., sink_details=d)`` held ``d`` itself: editing ``d`` afterwards changed the sink
    and its to_body(), and its lists made it unequal to the loaded sink (tuples) while hashing the same."""
    loaded = mapper.load_sink(BODY)
    d = _details()
    built = mapper.Sink(columns=loaded.columns, allow_missing_fields=True, id_field="id", name="a", sink_details=d, form=loaded.form)
    d["x"]["y"].append(3)
    d["table"] = "b"
    assert built.to_body()["sink_details"] == BODY["sink_details"]
    assert built == dataclasses.replace(loaded, problems=(), source=None) and hash(built) == hash(loaded)
    with pytest.raises(TypeError):
        built.sink_details["x"]["y"][1]["z"] = 5  # type: ignore[index]
    assert built.sink_details["x"]["y"] == (1, {"z": 2})


def test_a_replaced_sink_holds_its_own_sink_details_and_copies_keep_them() -> None:
    """``dataclasses.replace(sink, sink_details=d)`` held ``d`` itself; pickled and deep copies stay equal and read-only."""
    loaded = mapper.load_sink(BODY)
    d = _details()
    changed = dataclasses.replace(loaded, sink_details=d)
    d["x"]["y"][1]["z"] = 9
    assert changed == loaded and changed.to_body() == loaded.to_body()
    for twin in (pickle.loads(pickle.dumps(changed)), copy.deepcopy(changed)):
        assert twin == loaded and hash(twin) == hash(loaded)
        with pytest.raises(TypeError):
            twin.sink_details["table"] = "b"  # type: ignore[index]


# ---------------------------------------------------------------------------------------
# 2. a sink definition opening with two byte order marks


@pytest.mark.parametrize("source", ["\ufeff\ufeff{}", b"\xef\xbb\xbf\xef\xbb\xbf{}", "\ufeff\ufeff" + '{"name": "a"}'])
def test_a_definition_opening_with_two_byte_order_marks_says_the_second_as_a_records_file_does(source: str | bytes) -> None:
    """It said 'a byte order mark (U+FEFF) stands where a value should at line 1 column 1', where records
    say of theirs 'a second byte order mark (U+FEFF): the input's first, which may open it, is taken off and not counted'."""
    from mapper.engine.gojson import SECOND_BOM_NOTE

    problems = mapper.check_sink(source).problems
    assert [(p.severity, p.code, p.message) for p in problems] == [
        ("error", "invalid-json", f"sink definition is not valid JSON at line 1 column 1{SECOND_BOM_NOTE}")
    ]
    rec = mapper.compile_sink(mapper.load_sink(BODY)).check(b"\xef\xbb\xbf\xef\xbb\xbf{}")
    assert SECOND_BOM_NOTE in str(rec), rec  # (the records' words, shared)


# ---------------------------------------------------------------------------------------
# 3. a file name a hint offers to paste, starting with '-'


def test_a_name_to_paste_starting_with_a_dash_is_not_read_as_an_option() -> None:
    """``-records.ndjson`` pasted from a hint was read as an option: such a relative name has ``./`` before it."""
    from mapper.errors import pasted_name, shell_file, text_command

    assert pasted_name("-records.ndjson") == "./-records.ndjson"
    assert pasted_name("-my records.ndjson") == "'./-my records.ndjson'"
    assert shell_file("-records.ndjson") == "./-records.ndjson"
    assert text_command("jq -c '.[]'", "-records.ndjson") == "jq -c '.[]' ./-records.ndjson"
    # (others as they were)
    assert pasted_name("a-b.ndjson") == "a-b.ndjson" and pasted_name("/tmp/-x") == "/tmp/-x" and shell_file("-") == "FILE"


def test_did_you_mean_names_a_file_starting_with_a_dash_so_it_pastes(tmp_path: Path) -> None:
    from cli_inproc import run_main

    (tmp_path / "sink.json").write_text(json.dumps(BODY))
    (tmp_path / "-records.ndjson").write_text('{"id": 1}\n')
    p = run_main("validate", "sink.json", "--", "-record.ndjson", cwd=tmp_path)
    assert p.returncode == 2 and p.err == "mapper: no such file: -record.ndjson (did you mean ./-records.ndjson?)\n", p.err
