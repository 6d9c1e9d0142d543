"""Wording a newcomer met: each message says a thing once, plainly, with the names it knows."""

from __future__ import annotations

import json
from pathlib import Path

import mapper
from tests.cli_inproc import run_main

SINK = {
    "name": "s",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
    "schema": {
        "type": "json",
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "v", "path": ["v"], "type": "int"}],
    },
}
# 7 of 10 records fail
SEVEN_BAD = b"".join(b'{"id": %d, "v": %s}\n' % (i, b'"x"' if i < 7 else b"1") for i in range(10))


def test_more_than_max_errors_is_said_once_in_every_report(tmp_path: Path) -> None:
    m = mapper.compile_sink(SINK)
    for limit, allows in ((3, "(3)"), (0, "(0)"), (0.3, "(3: 30% of 10 records)")):
        report = m.validate(SEVEN_BAD, on_error="skip", max_errors=limit)
        assert report.reject_reason == f"7 records failed, more than max_errors allows {allows}"
        assert report.summary() == f"discarded: none of 10 records would be stored: 7 records failed (invalid_value 7), more than max_errors allows {allows}"
        assert "failed record" not in report.summary()
    sink, data = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(SEVEN_BAD)
    said = "7 records failed (invalid_value 7), more than max_errors allows (3)"
    text = run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3")
    assert text.out.startswith(f"DISCARDED: none of 10 records would be stored: {said}\n")
    assert text.out.count("failed") == 1
    answer = json.loads(run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3", "--report", "endpoint").out)
    assert answer["records"][9]["error_message"] == "the batch was discarded: 7 records failed, more than max_errors allows (3)"
    written = run_main("map", sink, data, "--on-error", "skip", "--max-errors", "3", "-o", tmp_path / "o.npz")
    assert said in written.err and written.err.count("failed") == 1
