"""Messages that count: one record is "1 record", and the summary of one reads as English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.endpoint import Limits, Pacer
from mapper.errors import OptionError
from mapper.web.draft import preview_record

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
M = mapper.compile_sink(SINK)


def aircraft(**over: Any) -> bytes:
    data = {"aircraftId": "A1", "lat": 45.1, "long": -43.4, "track": 1, "altitude": 1000, "speed": 400, "type": "B788", "reg": "G-ZBJA"}
    data.update(origin="LHR", destination="BNA", icaoId="BAW223N", airline="BAW")
    data.update(over)
    return json.dumps({"id": "r1", "timestamp": 1659981468260, "data": data}).encode()


def test_add_many_counts_its_tags_and_records_in_english() -> None:
    # said "2 tags for 1 records"
    b = mapper.Batcher(SINK)
    with pytest.raises(OptionError, match=r"^2 tags for 1 record: give one tag per record$"):
        b.add_many([aircraft()], tags=["a", "b"])
    with pytest.raises(OptionError, match=r"^1 tag for 2 records: give one tag per record$"):
        b.add_many([aircraft(), aircraft()], tags=["a"])
    b.close()


def test_the_summary_of_one_record_says_it_not_all_or_none_of() -> None:
    # said "accepted: 1 record, all would be stored" and "discarded: none of 1 record would be stored"
    assert M.validate(aircraft()).summary() == "accepted: 1 record, it would be stored"
    assert M.validate(aircraft() + b"\n" + aircraft()).summary() == "accepted: 2 records, all would be stored"
    discarded = M.validate(aircraft(altitude="high"), on_error="reject").summary()
    assert discarded.startswith("discarded: 1 record, it would not be stored: "), discarded
    two = M.validate(aircraft(altitude="high") + b"\n" + aircraft(), on_error="reject").summary()
    assert two.startswith("discarded: none of 2 records would be stored: "), two


def test_a_body_over_the_limits_counts_in_english() -> None:
    # said "(1 records, ...)"
    pacer = Pacer(Limits(records_per_s=1))
    with pytest.raises(OptionError, match=r"^a body of 2 records and 1 byte exceeds the body limits \(1 record, "):
        pacer.acquire(2, 1)


def test_a_sample_that_is_an_array_of_one_record_is_told_to_paste_it() -> None:
    # said "the array holds 1 records; paste one of them"
    error = preview_record('[{"id": "a"}]', None, {}, None, None)["error"]  # type: ignore[arg-type]
    assert error == (
        "the sample record must be a JSON object, not an array: the array holds 1 record; paste it without the brackets (`jq -c '.[0]' FILE` prints it)"
    )


def test_a_dry_run_body_of_one_record_and_infers_notes_of_one_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # said "(1 records), 351 bytes", "the draft refuses 1 of 1 records", "stores 0 of 1 values"
    from mapper.cli import main

    one = tmp_path / "one.ndjson"
    one.write_bytes(aircraft() + b"\n")
    assert main(["send", str(SINK), str(one), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("body 1: records 0-0 (1 record), ") and out.splitlines()[0].endswith(" bytes"), out
    typed = tmp_path / "typed.ndjson"
    typed.write_text('{"id": "a", "n": "x"}\n')
    main(["infer", str(typed), "--type", "n=int"])
    err = capsys.readouterr().err
    assert "n: int (--type) stores 0 of 1 value as sent" in err, err
    assert "the draft refuses 1 of 1 record (invalid_value 1" in err, err


def test_serves_request_limit_of_one_record_is_said_so() -> None:
    # said "a request holds at most 1 records"
    from mapper.endpoint import ServiceError
    from mapper.serve import App
    from mapper.store import Store

    app = App(Store(":memory:"), limits=Limits(records_per_s=1))
    with pytest.raises(ServiceError, match=r"a request holds at most 1 record \(the endpoint's limit per second\), not 2$"):
        app.admit("s", 2, 10)
