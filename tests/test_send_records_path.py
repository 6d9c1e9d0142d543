"""``mapper send --records-path``: a producer's documents holding the records (dump1090's
``aircraft.json``, a search API's ``{"statuses": [...]}``, a snapshot a line) sent as
``validate --records-path`` reads them, resumed from a checkpoint, compared with what
``serve`` stored.

Found by a bug hunt: ``send`` had no ``--records-path`` (a usage error), and sending such a
document without it said nothing of the option: one record, refused ("primary key field
'hex' is missing"), where ``validate`` of the same file notes the array and the option.
Servers are in-process on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from test_send_faults import answer, endpoint, success
from test_send_serve import EXIT_REJECTED, EXIT_USAGE, SINK, SINK_ID, aircraft, main_in_process, serving, shared_data

from mapper.store import Store


def snapshot(records: list[dict[str, Any]], now: float = 1.5) -> dict[str, Any]:
    return {"now": now, "messages": len(records), "aircraft": records}


def five() -> list[dict[str, Any]]:
    recs = [aircraft(i) for i in range(5)]
    recs[3]["data"]["altitude"] = "high"  # refused by pre-validation, alone
    return recs


def stored_ids(store: Store) -> list[str]:
    return sorted(str(r["_id"]) for r in store.rows(SINK_ID, limit=1000).rows)


def test_a_document_s_records_are_sent_stored_and_refused_as_validate_reads_them(tmp_path, capsys):
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps(snapshot(five()), indent=2))  # spread over lines, as jq . prints it
    rejects = tmp_path / "rejects.ndjson"
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, out, _err = main_in_process(
            capsys, "send", SINK, doc, "--records-path", "aircraft", "--endpoint", url, "--report", "json", "--rejects", rejects, "--body-records", "2"
        )
        ids = stored_ids(store)
    report = orjson.loads(out)
    assert rc == EXIT_REJECTED, out
    assert (report["records"], report["stored"], report["refused_prevalidation"], report["refused_service"]) == (5, 4, 1, 0)
    assert ids == ["r0", "r1", "r2", "r4"]
    # the dead letter names the record and the line validate names for it
    letter = orjson.loads(rejects.read_bytes())
    rc, vout, _ = main_in_process(capsys, "validate", SINK, doc, "--records-path", "aircraft", "--report", "json")
    (err,) = orjson.loads(vout)["errors"]
    assert (letter["record"], letter["line"], letter["source"]) == (3, err["line"], "pre-validation")
    assert letter["errors"][0]["path"] == "$.data.altitude"
    assert orjson.loads(letter["raw"]) == five()[3]


def test_a_snapshot_a_line_is_sent_with_a_document_without_the_array_refused_alone(tmp_path, capsys):
    lines = [snapshot([aircraft(0), aircraft(1)]), {"now": 2.0, "messages": 0}, snapshot([aircraft(2)])]
    docs = tmp_path / "snapshots.ndjson"
    docs.write_text("".join(json.dumps(d) + "\n" for d in lines))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, out, _ = main_in_process(capsys, "send", SINK, docs, "--records-path", "aircraft", "--endpoint", url, "--report", "json")
        ids = stored_ids(store)
    report = orjson.loads(out)
    assert ids == ["r0", "r1", "r2"]
    # the document without the array is one refusal, as validate counts it: nothing lost, nothing silent
    assert (rc, report["records"], report["stored"], report["refused_prevalidation"]) == (EXIT_REJECTED, 4, 3, 1)


def test_a_run_stopped_midway_resumes_after_the_last_acknowledged_body_of_the_document(tmp_path, capsys):
    recs = [aircraft(i) for i in range(6)]
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps(snapshot(recs), indent=1))
    stop = [True]

    def third_refused_once(conn: Any, _head: bytes, body: bytes, n: int) -> None:
        if n == 3 and stop[0]:
            stop[0] = False
            answer(conn, 400, b'{"code": "InvalidBody", "message": "not now"}')  # not retried: the run stops, nothing of it stored
        else:
            answer(conn, 200, success(body))

    ck = tmp_path / "ck.json"
    with endpoint(third_refused_once) as fake:
        args = ("send", SINK, doc, "--records-path", "aircraft", "--endpoint", fake.url, "--body-records", "2", "--checkpoint", ck, "--report", "json")
        rc, out, _ = main_in_process(capsys, *args)
        assert rc == EXIT_USAGE and orjson.loads(out)["stored"] == 4
        rc, out, _ = main_in_process(capsys, *args)
        report = orjson.loads(out)
        bodies = [[r["value"]["id"] for r in orjson.loads(b)["records"]] for b in fake.bodies]
    assert rc == 0 and report["completed"] and report["resumed_after"] == 3
    assert (report["records"], report["stored"], report["resent"]) == (6, 6, 0)
    assert bodies == [["r0", "r1"], ["r2", "r3"], ["r4", "r5"], ["r4", "r5"]]  # (the refused body sent again, alone)


def test_a_checkpoint_read_another_way_is_refused_not_resumed_from(tmp_path, capsys):
    # the position is the record's index among the records the path gives: read without the path
    # (or with another, or in another format), the same index is another record
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps(snapshot([aircraft(i) for i in range(4)])))
    ck = tmp_path / "ck.json"

    def first_only(conn: Any, _head: bytes, body: bytes, n: int) -> None:
        if n == 1:
            answer(conn, 200, success(body))
        else:
            answer(conn, 400, b'{"code": "InvalidBody", "message": "stop"}')

    with endpoint(first_only) as fake:
        base = ("send", SINK, doc, "--endpoint", fake.url, "--body-records", "2", "--checkpoint", ck)
        rc, _, _ = main_in_process(capsys, *base, "--records-path", "aircraft")
        assert rc == EXIT_USAGE and orjson.loads(ck.read_bytes())["position"]["index"] == 1
        sent = len(fake.bodies)
        for other in ((), ("--records-path", "data"), ("--records-path", "aircraft", "--input-format", "ndjson")):
            rc, _, err = main_in_process(capsys, *base, *other)
            assert rc == EXIT_USAGE and "another --records-path or --input-format" in err, err
        assert len(fake.bodies) == sent  # nothing sent by the refused resumes
        state = orjson.loads(ck.read_bytes())
        for odd in ({"input_format": "xml", "records_path": None}, {"input_format": "auto", "records_path": [1]}, []):
            ck.write_bytes(orjson.dumps({**state, "reading": odd}))
            rc, _, err = main_in_process(capsys, *base, "--records-path", "aircraft")
            assert rc == EXIT_USAGE and "is damaged (its reading)" in err, err
        # a checkpoint written before "reading" was kept: read without a records path
        del state["reading"]
        ck.write_bytes(orjson.dumps(state))
        rc, _, err = main_in_process(capsys, *base, "--records-path", "aircraft")
        assert rc == EXIT_USAGE and "with --input-format auto without --records-path" in err, err
        assert len(fake.bodies) == sent


def test_a_document_sent_without_the_records_path_is_told_of_the_option(tmp_path, capsys):
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps(snapshot(five())))
    rc, out, err = main_in_process(capsys, "send", SINK, doc, "--dry-run", "--report", "json")
    notes = orjson.loads(out)["notes"]
    assert rc == EXIT_REJECTED
    assert any("--records-path aircraft" in n for n in notes), notes
    assert "note: " in err and "--records-path aircraft" in err


def test_snapshots_a_line_sent_without_the_records_path_are_told_of_the_option_as_validate_tells_it(tmp_path, capsys):
    lines = tmp_path / "snapshots.ndjson"
    # (lines longer than the first bytes the format is told from: the note reads the first lines whole)
    lines.write_text("".join(json.dumps(snapshot(five() * 1000, now=i)) + "\n" for i in range(3)))
    rc, out, _ = main_in_process(capsys, "send", SINK, lines, "--dry-run", "--report", "json")
    notes = orjson.loads(out)["notes"]
    _, vout, _ = main_in_process(capsys, "validate", SINK, lines, "--report", "json")
    # (last, without --rejects: why the first refused record was)
    assert rc == EXIT_REJECTED and notes[:-1] == orjson.loads(vout)["notes"] and "--records-path aircraft" in notes[0], notes
    assert notes[-1].startswith("the first record refused ("), notes
    # records that are records get no such note
    good = tmp_path / "good.ndjson"
    good.write_text("".join(json.dumps(r) + "\n" for r in five()))
    rc, out, _ = main_in_process(capsys, "send", SINK, good, "--dry-run", "--report", "json")
    assert rc == EXIT_REJECTED and [n for n in orjson.loads(out)["notes"] if not n.startswith("the first record refused (")] == []


def test_records_path_and_a_request_body_do_not_go_together(tmp_path, capsys):
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps(snapshot(five())))
    rc, _, err = main_in_process(capsys, "send", SINK, doc, "--records-path", "aircraft", "--input-format", "endpoint", "--dry-run")
    assert rc == EXIT_USAGE and "--records-path does not go with --input-format endpoint" in err
    rc, _, err = main_in_process(capsys, "send", SINK, doc, "--records-path", " aircraft ", "--dry-run")
    assert rc == EXIT_USAGE and err.startswith("mapper send: --records-path"), err


def test_a_dump1090_snapshot_from_the_shared_data_is_stored_as_validate_counts_it(tmp_path, capsys):
    data = shared_data()
    snap = data / "adsb" / "aircraft-dump1090mqtt-2026-07-29.json" if data is not None else None
    if snap is None or not snap.is_file():
        pytest.skip("../shared/data is absent")
    sink = tmp_path / "sink.json"
    rc, out, _ = main_in_process(capsys, "infer", snap, "--records-path", "aircraft", "--primary-key-fields", "hex", "--name", "adsb", "-q")
    assert rc == 0
    sink.write_text(out)
    rc, vout, _ = main_in_process(capsys, "validate", sink, snap, "--records-path", "aircraft", "--report", "json")
    verdict = orjson.loads(vout)
    with serving(tmp_path, orjson.loads(out)) as (server, _app, store):
        rc, sout, _ = main_in_process(capsys, "send", sink, snap, "--records-path", "aircraft", "--endpoint", f"{server.url}/v2/sinks/adsb", "--report", "json")
        rows = store.rows("adsb", limit=1000)
    report = orjson.loads(sout)
    assert rc == 0 and report["completed"]
    assert report["records"] == verdict["records"] == 44
    assert report["stored"] == verdict["success_count"] == rows.total == 44  # (hex is unique in the snapshot)
    assert sorted(r["_id"] for r in rows.rows) == sorted(a["hex"] for a in orjson.loads(snap.read_bytes())["aircraft"])


def test_of_several_inputs_each_note_names_its_input(tmp_path, capsys):
    snaps = tmp_path / "snapshots.ndjson"
    snaps.write_text("".join(json.dumps(snapshot(five(), now=i)) + "\n" for i in range(3)))
    good = tmp_path / "good.ndjson"
    good.write_text("".join(json.dumps(r) + "\n" for r in five()))
    rc, out, _ = main_in_process(capsys, "send", SINK, snaps, good, snaps, "--dry-run", "--report", "json")
    notes = orjson.loads(out)["notes"]
    _, vout, _ = main_in_process(capsys, "validate", SINK, snaps, good, "--report", "json")
    # (snapshots.ndjson, given twice, is noted so first; its own note is said once)
    assert rc == EXIT_REJECTED and len(notes) == 3 and notes[0].startswith(f"{snaps} is given twice (inputs 1 and 3 of 3)"), notes
    assert notes[1].startswith(f"{snaps}: each record read looks like a document"), notes
    assert notes[2].startswith("the first record refused ("), notes  # (without --rejects)
    assert "--records-path aircraft" in notes[1] and "--records-path aircraft" in orjson.loads(vout)["notes"][0]


def test_a_checkpoint_s_records_path_starting_with_a_dash_is_said_as_an_option_argparse_takes(tmp_path, capsys):
    # the refusal says how the checkpoint read the inputs, as options to run with: a path
    # starting with "-" joined by "=" (argparse read "--records-path -planes" as two options)
    doc = tmp_path / "snapshot.json"
    doc.write_text(json.dumps({"now": 1.5, "-planes": [aircraft(i) for i in range(4)]}))
    ck = tmp_path / "ck.json"

    def first_only(conn: Any, _head: bytes, body: bytes, n: int) -> None:
        answer(conn, 200, success(body)) if n == 1 else answer(conn, 400, b'{"code": "InvalidBody", "message": "stop"}')

    with endpoint(first_only) as fake:
        base = ("send", SINK, doc, "--endpoint", fake.url, "--body-records", "2", "--checkpoint", ck)
        rc, _, err = main_in_process(capsys, *base, "--records-path=-planes")
        assert rc == EXIT_USAGE and orjson.loads(ck.read_bytes())["position"]["index"] == 1, err
        rc, _, err = main_in_process(capsys, *base)
    assert rc == EXIT_USAGE and "with --input-format auto --records-path=-planes: resuming" in err, err
