"""Wording gaps, second round: each message says why and names what it knows (the file, the base of a share, where an answer came from)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_inproc import run_main
from tests.test_words import SEVEN_BAD, SINK


def test_the_json_report_of_a_discarded_batch_says_why(tmp_path: Path) -> None:
    sink, data, missing = tmp_path / "sink.json", tmp_path / "r.ndjson", tmp_path / "m.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(SEVEN_BAD)
    over = json.loads(run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3", "--report", "json").out)
    assert (over["verdict"], over["reject_reason"]) == ("discarded", "7 records failed, more than max_errors allows (3)")
    strict = json.loads(json.dumps(SINK))
    strict["schema"]["allow_missing_fields"] = False
    sink.write_text(json.dumps(strict))
    missing.write_bytes(b'{"id": 1, "v": 1}\n{"id": 2}\n')
    lacking = json.loads(run_main("validate", sink, missing, "--report", "json").out)
    assert (lacking["verdict"], lacking["reject_reason"]) == ("discarded", "allow_missing_fields is false and 1 mapped value is missing")
    kept = json.loads(run_main("validate", sink, data, "--report", "json").out)
    assert (kept["verdict"], kept["reject_reason"]) == ("partial", None)  # (the key is there, null, when nothing is discarded)
