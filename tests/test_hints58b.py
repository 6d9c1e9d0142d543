"""A sink whose paths no record holds says so, once, and what drafts one for the records (session hints58b).

Before, ``mapper validate`` gave one "missing" error per record and column, and no word that the
sink and the records may not belong together. Each test here failed before the note was added.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import sinks
from cli_inproc import run_main

ROOT = Path(__file__).parents[1]
PIAWARE = Path("/work/shared/data/adsb/aircraft-piaware-2023-01-15.json")
SAID = "the sink and the records may not belong together"


def _sink(allow_missing: bool = False) -> dict[str, Any]:
    return sinks.sink(
        sinks.column("trip_id", "string", path=["id"]),
        sinks.column("city", "string", path=["data", "city"]),
        sinks.column("fare", "int"),
        name="trips",
        primary_key_fields=["trip_id"],
        allow_missing=allow_missing,
    )


#: Records of another feed: "hex" in all 5, "alt" in 4, "squawk" in 2, and "id", which the identity reads.
OTHER = [{"id": f"r{i}", "hex": f"a{i}", **({"alt": 100 * i} if i else {}), **({"squawk": "7000"} if i < 2 else {})} for i in range(5)]


def _write(tmp_path: Path, records: list[Any], sink: dict[str, Any] | None = None) -> tuple[Path, Path]:
    (tmp_path / "sink.json").write_text(json.dumps(sink or _sink()))
    (tmp_path / "r.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path / "sink.json", tmp_path / "r.ndjson"


def _note(notes: list[str]) -> str:
    found = [n for n in notes if SAID in n]
    assert len(found) == 1, notes
    return found[0]


def _command(note: str, cwd: Path = ROOT) -> list[str]:
    """The words of the command the note gives, without its ``> sink.json``, which names no file
    in ``cwd`` (where it is pasted: never over the sink given, sink.json)."""
    match = re.search(r"`([^`]*) > (\S+)` drafts a sink", note)
    assert match is not None, note
    words = shlex.split(match[1])
    assert words[:2] == ["mapper", "infer"] and re.fullmatch(r"sink(-\d+)?\.json", match[2]), note
    assert not (cwd / match[2]).exists(), note
    return words[2:]


def test_records_holding_no_path_of_the_sink_are_told_their_keys_and_the_infer_command(tmp_path: Path) -> None:
    sink, records = _write(tmp_path, OTHER)
    ran = run_main("validate", sink, records, cwd=tmp_path)
    assert ran.returncode == 1, ran.err
    notes = [line.removeprefix("note: ") for line in ran.out.splitlines() if line.startswith("note: ")]
    note = _note(notes)
    assert "(each of its 2 columns besides the identity is missing in every record)" in note, note
    # the keys no column reads, the most held first ("id" is read by the identity: not named)
    assert 'hold keys no column reads, the most held first: "hex" (in 5), "alt" (in 4), "squawk" (in 2) (' in note, note
    assert '"id"' not in note, note
    assert _command(note, tmp_path) == [str(records)] and "> sink-2.json`" in note, note
    as_json = run_main("validate", sink, records, "--report", "json", cwd=tmp_path)
    assert _note(json.loads(as_json.out)["notes"]) == note


def test_the_infer_command_it_gives_drafts_a_sink_the_records_pass(tmp_path: Path) -> None:
    doc = tmp_path / "feed.json"
    doc.write_text(json.dumps({"now": 1, "aircraft": OTHER}))
    (tmp_path / "sink.json").write_text(json.dumps(_sink()))
    ran = run_main("validate", "sink.json", "feed.json", "--records-path", "aircraft", "--report", "json", cwd=tmp_path)
    note = _note(json.loads(ran.out)["notes"])
    words = _command(note, tmp_path)
    assert words == ["feed.json", "--records-path", "aircraft"], note
    drafted = run_main("infer", *words, cwd=tmp_path)
    assert drafted.returncode == 0, drafted.err
    (tmp_path / "drafted.json").write_text(drafted.out)
    again = run_main("validate", "drafted.json", "feed.json", "--records-path", "aircraft", "--report", "json", cwd=tmp_path)
    assert again.returncode == 0, again.out
    assert not [n for n in json.loads(again.out)["notes"] if SAID in n]


def test_records_missing_the_identity_too_are_told(tmp_path: Path) -> None:
    sink, records = _write(tmp_path, [{"hex": "a1"}, {"hex": "a2", "alt": 3}])
    note = _note(json.loads(run_main("validate", sink, records, "--report", "json").out)["notes"])
    assert '"hex" (in 2), "alt" (in 1)' in note, note


def test_records_from_standard_input_are_told_to_pipe_them_to_infer(tmp_path: Path) -> None:
    sink, records = _write(tmp_path, OTHER)
    ran = run_main("validate", sink, "-", "--report", "json", input=records.read_bytes())
    note = _note(json.loads(ran.out)["notes"])
    assert "`... | mapper infer - > sink.json`" in note, note


def test_map_says_it_with_the_refused_batch(tmp_path: Path) -> None:
    sink, records = _write(tmp_path, OTHER)
    ran = run_main("map", sink, records, "-o", tmp_path / "out.parquet", cwd=tmp_path)
    assert ran.returncode == 1
    assert SAID in ran.err and '"hex" (in 5)' in ran.err, ran.err


def test_a_run_cut_into_ranges_says_it_too(tmp_path: Path) -> None:
    """``--workers 2`` maps the file in worker processes: the note is the one-process run's."""
    sink = _sink()
    del sink["schema"]["definition"][1]  # (one column besides the identity: named)
    sink, records = _write(tmp_path, OTHER * 40, sink)
    ran = run_main("validate", sink, records, "--workers", "2", "--report", "json")
    assert "mapping in one process" not in ran.err, ran.err
    note = _note(json.loads(ran.out)["notes"])
    assert '(its one column besides the identity, "fare", is missing in every record)' in note, note
    assert '"hex" (in 100), "alt" (in 80)' in note and "the first 100 records" in note, note


@pytest.mark.parametrize(
    ("records", "instead"),
    [
        # each line a document holding the records: the sink may fit them (--records-path says where they are)
        ([{"now": 1, "aircraft": OTHER}] * 3, "use --records-path aircraft"),
        # the paths a key's case away: mistyped in the sink, which fits the records
        ([{"id": "a", "Fare": 1, "data": {"City": "Oslo"}}] * 2, "(is the path mistyped?)"),
    ],
)
def test_not_when_another_note_says_why_the_records_miss(tmp_path: Path, records: list[Any], instead: str) -> None:
    sink, path = _write(tmp_path, records)
    notes = json.loads(run_main("validate", sink, path, "--report", "json").out)["notes"]
    assert notes and all(SAID not in n for n in notes) and any(instead in n for n in notes), notes


@pytest.mark.parametrize(
    "records",
    [
        # one column found in one record: the others' misses are the records', not the sink's
        [*OTHER, {"id": "x", "fare": 3}],
        # the paths found (the records are the sink's), one value missing
        [{"id": "a", "data": {"city": "Oslo"}, "fare": 1}, {"id": "b", "data": {"city": "Rome"}}],
    ],
)
def test_not_when_only_some_columns_miss(tmp_path: Path, records: list[Any]) -> None:
    sink, path = _write(tmp_path, records)
    ran = run_main("validate", sink, path, "--report", "json")
    assert ran.returncode == 1
    assert not [n for n in json.loads(ran.out)["notes"] if SAID in n]


@pytest.mark.skipif(not PIAWARE.is_file(), reason="needs /work/shared/data")
def test_a_dump1090_snapshot_validated_against_the_example_sink_is_told_its_keys() -> None:
    ran = run_main("validate", ROOT / "examples" / "aircraft" / "sink.json", PIAWARE, "--records-path", "aircraft", "--report", "json")
    note = _note(json.loads(ran.out)["notes"])
    assert "each of its 13 columns besides the identity" in note and '"hex" (in 100)' in note, note
    assert _command(note) == [str(PIAWARE), "--records-path", "aircraft"], note
