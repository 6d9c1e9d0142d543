"""Fixes found reviewing the changes since 752cf67: each a case that failed before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_like_input_with_a_field_past_the_csv_modules_limit_is_no_traceback(tmp_path, capsys):
    # (the csv module refuses a field over 128 KiB, "field larger than field limit": its csv.Error
    # escaped the CSV note as a traceback, from validate and from the API's explained failures)
    path = tmp_path / "r.csv"
    big = "a" * 200_000
    path.write_text(f'name,text\nx,"{big}"\ny,"{big}"\n')
    code, out, err = cli(capsys, "validate", SINK, path)
    assert code == 1, err
    assert "Traceback" not in err and "invalid_json" in out, err


# -- the mistyped-path note: a key another key extends is no typo of it ------------------------------

# (seen validating GitHub webhook files of one event each with a sink drafted from all of them: the
# push file's records lack the workflow_job event's keys, and hold "workflow", "branches")
_RECORD = b'{"workflow": {"id": 1, "name": "ci"}, "workflow_run": {"id": 2}, "branches": ["main"], "merged_at": null, "latitude": 1.5, "timestamp": 3}\n'


@pytest.mark.parametrize(
    ("keys", "record"),
    [
        (("workflow_job", "id"), _RECORD),
        (("workflow",), b'{"workflow_run": {"id": 2}}'),
        (("branch",), _RECORD),
        (("merged",), _RECORD),
    ],
    ids=["workflow_job held as workflow", "workflow held as workflow_run", "branch held as branches", "merged held as merged_at"],
)
def test_a_path_whose_key_is_another_key_shortened_or_extended_is_not_called_mistyped(keys, record):
    from mapper.engine.reader import mistyped_paths_notes

    assert mistyped_paths_notes([record.rstrip(b"\n")], 1, [("x", keys)]) == []


@pytest.mark.parametrize(
    ("keys", "near"),
    [(("lattitude",), '["latitude"]'), (("timestmap",), '["timestamp"]'), (("Latitude",), '["latitude"]'), (("workflow", "nmae"), '["workflow", "name"]')],
    ids=["a letter doubled", "two letters swapped", "case", "a nested key's letters swapped"],
)
def test_a_path_a_typo_away_is_still_noted(keys, near):
    from mapper.engine.reader import mistyped_paths_notes

    notes = mistyped_paths_notes([_RECORD.rstrip(b"\n")], 1, [("x", keys)])
    assert notes == [f"x: no record holds its path {json.dumps(list(keys))}; they hold {near} (is the path mistyped?)"]


def test_validate_with_a_sink_of_other_events_keys_says_no_mistyped_path(tmp_path, capsys):
    sink = json.loads(SINK.read_text())
    sink["schema"]["allow_missing_fields"] = True
    sink["schema"]["definition"].append({"name": "workflow_job_id", "path": ["workflow_job", "id"], "type": "int"})
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(sink))
    records = tmp_path / "r.ndjson"
    records.write_bytes(
        b"".join(
            line.rstrip(b"}") + b', "workflow": {"id": 7}}\n'
            for line in (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes().splitlines()
            if line.strip()
        )
    )
    code, out, err = cli(capsys, "validate", path, records)
    assert code == 0, out + err
    assert "mistyped" not in out + err, out + err
