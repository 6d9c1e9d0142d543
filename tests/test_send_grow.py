"""``mapper send --checkpoint`` on a log its producer appends to (NDJSON, sent from cron).

Each run sends the lines added since the last: nothing repeated, nothing skipped, each run's
totals and exit status its own (a run reading on from a checkpoint marked done is a new run; one
resuming an unfinished checkpoint finishes the run it resumes). A record the producer is still writing (the last line, no line end, its
JSON cut short) is held for the next run; one whole but for its line end is sent, and what
comes after it on its line later is read as that line's rest. A log replaced, cut short, or
rewritten before the position is refused, as is a same-size rewrite whose modification
time was kept (``cp -p``, ``touch -r``), by a digest of the bytes read to the position.

Everything runs in this process against ``mapper serve`` on 127.0.0.1 (bounded: small files,
no waits).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_send_serve import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, SINK, SINK_ID, _Killed, _KilledAfter, aircraft, main_in_process, rows_in, serving

import mapper
from mapper.send import Checkpoint, SendRun, _cut_short


def line(i: int, **over: Any) -> bytes:
    """Record ``i`` as an NDJSON line's text (no line end), with text a cut can fall inside of:
    an escape, characters of 2, 3 and 4 bytes in UTF-8, literals."""
    rec = aircraft(i, **over)
    rec["note"] = {"text": 'é "q" \\ \u2708 \U0001f6eb', "seen": True, "gone": None, "ratio": -1.5e-3}
    return orjson.dumps(rec)


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(data)


def stored_ids(store: Any) -> list[str]:
    return sorted(r["_id"] for r in rows_in(store, SINK_ID))


def send(capsys: Any, url: str, *paths: Path, checkpoint: Path, rejects: Path | None = None) -> tuple[int, dict[str, Any], str]:
    args: list[Any] = ["send", SINK, *paths, "--endpoint", url, "--checkpoint", checkpoint, "--report", "json"]
    if rejects is not None:
        args += ["--rejects", rejects]
    rc, out, err = main_in_process(capsys, *args)
    return rc, json.loads(out), err


def test_a_log_appended_to_sends_only_its_new_lines_each_run(tmp_path, capsys):
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(b"".join(line(i) + b"\n" for i in range(4)))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and t["sent"] == t["stored"] == 4, err
        # a blank line, a record pre-validation refuses (line 7), two good ones
        append(log, b"\n" + line(4) + b"\n" + line(5, altitude="high") + b"\n" + line(6) + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and t["read_on_after"] == 3, err
        assert (t["records"], t["sent"], t["stored"], t["refused_prevalidation"], t["resent"]) == (3, 2, 2, 1, 0)  # (this run's: a new one)
        assert store.sink(SINK_ID).records_stored == 6  # each record written once: none sent again
        letters = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert [(d["record"], d["line"]) for d in letters] == [(5, 7)]
        # nothing new: nothing sent, the checkpoint stays done
        rc, t, _err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and t["sent"] == 0 and store.sink(SINK_ID).records_stored == 6
        append(log, line(7) + b"\n")
        rc, t, _err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert (rc, t["records"], t["sent"], t["read_on_after"]) == (EXIT_OK, 1, 1, 6) and store.sink(SINK_ID).records_stored == 7
        assert [(d["record"], d["line"]) for d in map(json.loads, rejects.read_text().splitlines())] == [(5, 7)]  # (written once)
        assert stored_ids(store) == sorted(f"r{i}" for i in (0, 1, 2, 3, 4, 6, 7))
        state = json.loads(checkpoint.read_text())
        assert state["done"] is True and state["prefix"]["bytes"] == log.stat().st_size == state["position"]["offset"]


def test_a_log_first_sent_empty_sends_its_lines_once_it_has_some(tmp_path, capsys):
    # a cron job set up before the producer wrote anything: the first run read nothing and was done
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    log.write_bytes(b"")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[1]["sent"] == 0
        append(log, line(0) + b"\n" + line(1) + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint)
        assert rc == EXIT_OK and t["sent"] == t["stored"] == 2 and store.sink(SINK_ID).records_stored == 2, err


def test_a_record_cut_mid_write_is_held_until_its_line_is_whole(tmp_path, capsys):
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    third = line(2)
    cut = third.index("✈".encode()) + 1  # (inside a character, inside a string)
    log.write_bytes(line(0) + b"\n" + line(1) + b"\n" + third[:cut])
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        # neither sent half (the service would refuse it) nor refused by pre-validation (a dead letter, then skipped)
        assert rc == EXIT_OK and (t["records"], t["sent"], t["refused_prevalidation"]) == (2, 2, 0), err
        assert t["notes"] == [
            "line 3, the last, has no line end and its JSON stops short (a record still being written?): not sent nor refused;"
            " the next run with this checkpoint reads it again from its start"
        ]
        assert "note: line 3, the last, has no line end" in err and rejects.read_bytes() == b""
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)  # still cut: still held, said again
        assert t["sent"] == 0 and len(t["notes"]) == 1 and store.sink(SINK_ID).records_stored == 2
        append(log, third[cut:] + b"\n" + line(3) + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and (t["records"], t["sent"], t["stored"], t["resent"]) == (2, 2, 2, 0) and t["notes"] == [], err
        assert stored_ids(store) == ["r0", "r1", "r2", "r3"] and store.sink(SINK_ID).records_stored == 4


def test_without_a_checkpoint_a_cut_last_line_is_refused_as_before(tmp_path, capsys):
    # no next run reads it again: it is judged, and refused (a dead letter), as validate judges it
    log = tmp_path / "log.ndjson"
    log.write_bytes(line(0) + b"\n" + line(1)[:30])
    rc, out, _err = main_in_process(capsys, "send", SINK, log, "--dry-run", "--report", "json")
    t = json.loads(out.splitlines()[-1])
    assert rc == EXIT_REJECTED and (t["records"], t["refused_prevalidation"]) == (2, 1)


@pytest.mark.parametrize(
    ("rest", "then_sent", "line_of_next"),
    [
        (b"\n", 1, 3),  # the line end written late
        (b"\r\n", 1, 3),  # a CRLF
        (b"  \t\n", 1, 3),  # blanks, then the line end
        (b"\n\n", 1, 4),  # and a blank line
    ],
    ids=["lf", "crlf", "blanks", "blank-line"],
)
def test_a_last_line_whole_but_for_its_line_end_is_sent_once(tmp_path, capsys, rest, then_sent, line_of_next):
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(line(0) + b"\n" + line(1))  # (a buffered write stopped right after the record's "}")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and t["sent"] == 2 and t["notes"] == [], err
        state = json.loads(checkpoint.read_text())
        assert state["position"]["offset"] == log.stat().st_size + 1 and state["prefix"]["bytes"] == log.stat().st_size
        # the rest of line 2, then a good record and one pre-validation refuses
        append(log, rest + line(2) + b"\n" + line(3, altitude="high") + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["sent"], t["stored"], t["resent"], t["refused_prevalidation"]) == (then_sent, then_sent, 0, 1), err  # (this run's)
        assert store.sink(SINK_ID).records_stored == 3 and stored_ids(store) == ["r0", "r1", "r2"]
        letters = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert [(d["record"], d["line"]) for d in letters] == [(3, line_of_next + 1)]  # (its line as validate numbers it)


def test_what_follows_a_whole_last_record_on_its_line_is_read_as_that_lines_rest(tmp_path, capsys):
    # a producer that wrote no line end between two records: the second is read, on the first's line
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(line(0))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)[1]["sent"] == 1
        append(log, line(1) + b"\n" + b"junk\n")
        rc, t, _err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["sent"], t["refused_prevalidation"]) == (1, 1)
        assert stored_ids(store) == ["r0", "r1"] and store.sink(SINK_ID).records_stored == 2
        letters = [json.loads(x) for x in rejects.read_text().splitlines()]
        assert [(d["record"], d["line"], d["raw"]) for d in letters] == [(2, 2, "junk")]


def _same_size_mtime_kept(path: Path, data: bytes) -> None:
    """Rewrite ``path`` in place (its inode kept) with ``data`` of its size, its times put back (``cp -p``, ``touch -r``)."""
    st = path.stat()
    assert len(data) == st.st_size
    with path.open("r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)


def _other(data: bytes, at: int) -> bytes:
    """``data`` with the digit at or after ``at`` changed (another record id, the size the same)."""
    k = next(i for i in range(at, len(data)) if data[i : i + 1].isdigit())
    return data[:k] + (b"7" if data[k : k + 1] != b"7" else b"8") + data[k + 1 :]


@pytest.mark.parametrize(
    "change",
    ["replaced", "cut-short", "cut-short-and-regrown", "rewritten-at-start-and-grown", "same-size-mtime-kept", "same-size-mtime-kept-near-the-position"],
)
def test_a_log_replaced_cut_short_or_rewritten_before_the_position_is_refused(tmp_path, capsys, change):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    n = 600 if change.endswith("near-the-position") else 6  # (over 128 KiB: the digest's two samples, not the whole)
    log.write_bytes(b"".join(line(i) + b"\n" for i in range(n)))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[0] == EXIT_OK
        data = log.read_bytes()
        more = line(n) + b"\n"
        if change == "replaced":  # (a rotation: another file by the name, the old lines and more)
            new = tmp_path / "new.ndjson"
            new.write_bytes(data + more)
            new.replace(log)
            said = "it is another file now"
        elif change == "cut-short":
            log.write_bytes(data[: len(data) // 2])
            said = "bytes then"
        elif change == "cut-short-and-regrown":  # (copytruncate, then more lines than before)
            log.write_bytes(b"".join(line(100 + i) + b"\n" for i in range(n + 2)))
            said = "rewritten: its first"
        elif change == "rewritten-at-start-and-grown":
            log.write_bytes(_other(data, 0) + more)
            said = "rewritten: its first"
        elif change == "same-size-mtime-kept":
            _same_size_mtime_kept(log, _other(data, 0))
            said = "rewritten: its first"
        else:  # a change in the last line before the position, far from the start
            _same_size_mtime_kept(log, _other(data, len(data) - len(more)))
            said = "rewritten: its first"
        rc, _out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "changed since the checkpoint" in err and said in err and "use another checkpoint file" in err, err
        assert store.sink(SINK_ID).records_stored == n


def test_a_json_array_rewritten_to_the_same_size_with_its_mtime_kept_is_refused(tmp_path, capsys):
    # a document's position is a record index: read another way, another record; the digest covers the file read whole
    doc, checkpoint = tmp_path / "batch.json", tmp_path / "cp.json"
    doc.write_bytes(b"[" + b",\n".join(line(i) for i in range(5)) + b"]")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, doc, checkpoint=checkpoint)[0] == EXIT_OK
        assert json.loads(checkpoint.read_text())["prefix"]["bytes"] == doc.stat().st_size
        assert send(capsys, url, doc, checkpoint=checkpoint)[0] == EXIT_OK  # unchanged: done, nothing sent
        _same_size_mtime_kept(doc, _other(doc.read_bytes(), 0))
        rc, _out, err = main_in_process(capsys, "send", SINK, doc, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "rewritten: its first" in err, err
        # grown, it is refused as before: a document's records are not read on from a byte offset
        doc.write_bytes(b"[" + b",\n".join(line(i) for i in range(6)) + b"]")
        rc, _out, err = main_in_process(capsys, "send", SINK, doc, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "changed since the checkpoint" in err, err
        assert store.sink(SINK_ID).records_stored == 5


def test_a_checkpoint_written_before_the_prefix_keeps_the_old_rule(tmp_path, capsys):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    log.write_bytes(b"".join(line(i) + b"\n" for i in range(3)))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[0] == EXIT_OK
        state = json.loads(checkpoint.read_text())
        del state["prefix"]
        checkpoint.write_text(json.dumps(state))
        assert send(capsys, url, log, checkpoint=checkpoint)[1]["sent"] == 0  # unchanged: done, nothing new
        append(log, line(3) + b"\n")
        rc, _out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "bytes then" in err and store.sink(SINK_ID).records_stored == 3, err


@pytest.mark.parametrize(
    "prefix", [{"file": 0, "bytes": 10, "blake2b": "xyz"}, {"file": 3, "bytes": 10, "blake2b": "0" * 32}, {"file": 0, "bytes": -1, "blake2b": "0" * 32}, []]
)
def test_a_damaged_prefix_is_refused_naming_it(tmp_path, capsys, prefix):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    log.write_bytes(line(0) + b"\n")
    with serving(tmp_path, SINK) as (server, _app, _store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[0] == EXIT_OK
        state = json.loads(checkpoint.read_text())
        state["prefix"] = prefix
        checkpoint.write_text(json.dumps(state))
        rc, _out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "is damaged (its prefix)" in err, err


def test_a_run_killed_midway_resumes_over_lines_appended_meanwhile(tmp_path):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    log.write_bytes(b"".join(line(i) + b"\n" for i in range(25)))
    with serving(tmp_path, SINK) as (server, _app, store):

        def make_run(cp: Any) -> SendRun:
            sender = mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", body_records=10)
            return SendRun(mapper.Batcher(SINK, max_records=10), sender, [str(log)], checkpoint=cp)

        with pytest.raises(_Killed):  # killed as the third body is marked in flight (saves: mark, ack, mark, ack, mark)
            make_run(_KilledAfter(checkpoint, 5)).run()
        state = json.loads(checkpoint.read_text())
        assert state["position"]["index"] == 19 and state["in_flight"] is None and store.sink(SINK_ID).records_stored == 20
        append(log, b"".join(line(i) + b"\n" for i in range(25, 30)))
        totals = make_run(Checkpoint(str(checkpoint))).run()
        assert (totals.records, totals.sent, totals.stored, totals.resent) == (30, 30, 30, 0)
        assert store.sink(SINK_ID).records_stored == 30


@pytest.mark.parametrize("text", [line(0), b'{"a": [1, 2.5e-3, true, false, null, "\\u00e9\\ud800"], "b": {}}', '{"é": "✈\U0001f6eb"}'.encode()])
def test_every_cut_of_a_record_stops_short_and_the_whole_does_not(text):
    assert not _cut_short(text)
    for k in range(1, len(text)):
        if text[:k].strip():
            assert _cut_short(text[:k]), text[:k]


@pytest.mark.parametrize("text", [b"junk", b'{"a":1}}', b'{"a":tx}', b"[1,]", b'{"a":1e400}', b"12"])
def test_a_line_wrong_before_its_end_does_not_stop_short(text):
    assert not _cut_short(text)  # (judged and refused as before: holding it would hold it for ever)


@st.composite
def writes(draw: Any) -> tuple[list[bytes], list[int]]:
    """Records, some refused by pre-validation, and the byte offsets where the producer's writes stop."""
    n = draw(st.integers(2, 8))
    bad = draw(st.sets(st.integers(0, n - 1), max_size=2))
    recs = [line(i, altitude="high") if i in bad else line(i) for i in range(n)]
    data = b"".join(r + b"\n" for r in recs)
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=5)))
    return recs, [*cuts, len(data)]


@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(writes())
def test_a_log_written_in_pieces_cut_anywhere_is_sent_whole_each_record_once(case):
    # after each write a run sends what the log holds: every record whole there (its line ended,
    # or whole but for the line end) and not yet sent; at the end each exactly once, the refused
    # ones once as dead letters, no record half
    recs, stops = case
    data = b"".join(r + b"\n" for r in recs)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        log, checkpoint, rejects = tmp / "log.ndjson", tmp / "cp.json", tmp / "rejects.ndjson"
        log.write_bytes(b"")
        with serving(tmp, SINK) as (server, _app, store):
            at = before = 0
            for stop in stops:
                append(log, data[at:stop])
                at = stop
                sender = mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", body_records=3)
                totals = SendRun(mapper.Batcher(SINK, max_records=3), sender, [str(log)], checkpoint=Checkpoint(str(checkpoint)), rejects=str(rejects)).run()
                whole = [r for r in data[:stop].split(b"\n")[:-1]]
                last = data[:stop].rsplit(b"\n", 1)[-1]
                if last and len(whole) < len(recs) and last == recs[len(whole)]:  # (whole but for its line end: any shorter is cut)
                    whole.append(last)
                assert whole == recs[: len(whole)]
                new = whole[before:]  # (each run's totals are its own: the records whole since the last run)
                refused = sum(1 for r in new if b'"high"' in r)
                assert (totals.records, totals.sent, totals.refused_prevalidation, totals.resent) == (len(new), len(new) - refused, refused, 0)
                assert store.sink(SINK_ID).records_stored == sum(1 for r in whole if b'"high"' not in r)
                before = len(whole)
            letters = [json.loads(x) for x in rejects.read_text().splitlines()]
            assert [d["record"] for d in letters] == [i for i, r in enumerate(recs) if b'"high"' in r]
            assert all(d["line"] == d["record"] + 1 for d in letters)
            assert stored_ids(store) == sorted(f"r{i}" for i, r in enumerate(recs) if b'"high"' not in r)


def test_a_compressed_log_keeps_the_old_rule(tmp_path, capsys):
    # a position counts its unpacked bytes: no digest of the file's; appended to (a gzip member more), it is refused as before
    import gzip

    log, checkpoint = tmp_path / "log.ndjson.gz", tmp_path / "cp.json"
    log.write_bytes(gzip.compress(line(0) + b"\n"))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[0] == EXIT_OK
        assert json.loads(checkpoint.read_text())["prefix"] is None
        append(log, gzip.compress(line(1) + b"\n"))
        rc, _out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "bytes then" in err and store.sink(SINK_ID).records_stored == 1, err


def test_an_earlier_log_of_several_grown_since_it_was_read_is_refused_not_skipped(tmp_path, capsys):
    # the position is one for the run: inputs before its input are not read again, so lines appended
    # to one were sent by no run with the checkpoint, and nothing said so
    a, b, checkpoint = tmp_path / "a.ndjson", tmp_path / "b.ndjson", tmp_path / "cp.json"
    a.write_bytes(line(0) + b"\n")
    b.write_bytes(line(1) + b"\n")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, a, b, checkpoint=checkpoint)[1]["sent"] == 2
        assert json.loads(checkpoint.read_text())["input_files"][0]["read"] == a.stat().st_size
        append(b, line(2) + b"\n")  # the last one grows: read on
        rc, t, err = send(capsys, url, a, b, checkpoint=checkpoint)
        assert rc == EXIT_OK and t["sent"] == 1 and store.sink(SINK_ID).records_stored == 3, err
        append(a, line(3) + b"\n")  # (kept from the first run's reading: this one did not read it)
        rc, _out, err = main_in_process(capsys, "send", SINK, a, b, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and f"{a} grew since it was read to its end" in err and "would not be sent" in err, err
        assert store.sink(SINK_ID).records_stored == 3


def test_a_log_whose_only_line_is_being_written_is_held_and_said_each_run(tmp_path, capsys):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    whole = line(0)
    log.write_bytes(whole[:40])
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        for _ in range(2):  # (the second run, on the same bytes, says it again: nothing was judged, nothing is forgotten)
            rc, t, err = send(capsys, url, log, checkpoint=checkpoint)
            assert rc == EXIT_OK and t["records"] == 0 and t["notes"] and t["notes"][0].startswith("line 1, the last, has no line end"), err
        append(log, whole[40:] + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint)
        assert rc == EXIT_OK and t["sent"] == t["stored"] == 1 and t["notes"] == [] and store.sink(SINK_ID).records_stored == 1, err


def test_each_cron_run_over_a_log_counts_and_exits_for_its_own_records(tmp_path, capsys):
    # a run resuming a checkpoint marked done is a new run: the earlier one said its own counts and
    # exit status. Summed over every run, one refusal ever made every later run exit 1, even one
    # that sent only good new lines, or nothing
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(line(0) + b"\n" + line(1, altitude="high") + b"\n" + line(2) + b"\n")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["records"], t["sent"], t["refused_prevalidation"]) == (3, 2, 1), err
        assert "resumed_after" not in t and "read_on_after" not in t
        append(log, line(3) + b"\n" + line(4) + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK, err
        counts = ("records", "bodies", "sent", "stored", "refused_prevalidation", "refused_service", "resent")
        assert tuple(t[k] for k in counts) == (2, 1, 2, 2, 0, 0, 0), t
        assert t["read_on_after"] == 2 and "resumed_after" not in t
        assert "2 records sent in 1 body" in err and "(a new run: read on after record 2, line 3 of" in err, err
        assert store.sink(SINK_ID).records_stored == 4
        # nothing appended: nothing sent, and said so
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and tuple(t[k] for k in counts) == (0, 0, 0, 0, 0, 0, 0) and t["read_on_after"] == 4, err
        assert "(a new run: nothing new after record 4, line 5 of" in err, err
        # a bad line again: this run's refusal, this run's exit 1; the letters appended, each once
        append(log, line(5, altitude="high") + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["records"], t["sent"], t["refused_prevalidation"]) == (1, 0, 1), err
        assert [(d["record"], d["line"]) for d in map(json.loads, rejects.read_text().splitlines())] == [(1, 2), (5, 6)]
        # the checkpoint keeps this run's totals, and those of the runs before it apart, named so
        state = json.loads(checkpoint.read_text())
        assert state["done"] is True and state["totals"]["refused_prevalidation"] == 1 and state["totals"]["records"] == 1
        earlier = state["earlier_runs"]
        # (the run that found nothing new left the checkpoint as it was: two runs before this one)
        assert (earlier["runs"], earlier["records"], earlier["sent"], earlier["refused_prevalidation"]) == (2, 5, 4, 1)
        assert store.sink(SINK_ID).records_stored == 4 and stored_ids(store) == ["r0", "r2", "r3", "r4"]


def test_a_later_cron_run_interrupted_and_resumed_counts_its_own_refusals_not_the_earlier_runs(tmp_path, capsys):
    # resuming an unfinished run finishes that one run: a refusal before the interruption still makes
    # it exit 1; the records of the completed run before it are not in its totals
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(b"".join(line(i) + b"\n" for i in range(3)))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)[0] == EXIT_OK
        # 25 more, the second of them refused by pre-validation
        append(log, b"".join((line(i, altitude="high") if i == 4 else line(i)) + b"\n" for i in range(3, 28)))

        def make_run(cp: Any) -> SendRun:
            sender = mapper.Sender(f"{server.url}/v2/sinks/{SINK_ID}", body_records=10)
            return SendRun(mapper.Batcher(SINK, max_records=10), sender, [str(log)], checkpoint=cp, rejects=str(rejects))

        with pytest.raises(_Killed):  # killed as its second body is marked in flight (saves: mark, ack, mark; the first marks the new run unfinished)
            make_run(_KilledAfter(checkpoint, 3)).run()
        state = json.loads(checkpoint.read_text())
        assert state["done"] is False and state["totals"]["refused_prevalidation"] == 1 and state["position"]["index"] >= 4
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED, err  # (the refusal was before the interruption)
        assert (t["records"], t["sent"], t["stored"], t["refused_prevalidation"]) == (25, 24, 24, 1), t
        assert t["resumed_after"] == state["position"]["index"] and "read_on_after" not in t
        assert store.sink(SINK_ID).records_stored == 27
        assert [d["record"] for d in map(json.loads, rejects.read_text().splitlines())] == [4]
        append(log, line(28) + b"\n")  # and the next cron run: its own again
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_OK and (t["records"], t["sent"], t["refused_prevalidation"]) == (1, 1, 0), err
        assert json.loads(checkpoint.read_text())["earlier_runs"]["runs"] == 2


def test_dead_letters_moved_away_after_a_completed_run_do_not_stop_the_next(tmp_path, capsys):
    # a cron job that hands each run's dead letters on (moves the file away) was refused for good:
    # "letters of the earlier run are missing". The earlier run completed and wrote them all; only
    # an unfinished run's resume needs the letters it wrote before its checkpoint
    log, checkpoint, rejects = tmp_path / "log.ndjson", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(line(0, altitude="high") + b"\n" + line(1) + b"\n")
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)[0] == EXIT_REJECTED
        rejects.rename(tmp_path / "handed-on.ndjson")
        append(log, line(2) + b"\n" + line(3, altitude="high") + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["sent"], t["refused_prevalidation"]) == (1, 1), err
        assert [d["record"] for d in map(json.loads, rejects.read_text().splitlines())] == [3]
        # one cut short by hand (emptied) is appended to, as it is
        rejects.write_bytes(b"")
        append(log, line(4, altitude="high") + b"\n")
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and [d["record"] for d in map(json.loads, rejects.read_text().splitlines())] == [4], err
        assert stored_ids(store) == ["r1", "r2"]


@pytest.mark.parametrize("earlier", [{"runs": 0}, {"runs": 2, "sent": "3"}, {"runs": 1, "other": 1}, [1]])
def test_damaged_earlier_runs_are_refused_naming_them(tmp_path, capsys, earlier):
    log, checkpoint = tmp_path / "log.ndjson", tmp_path / "cp.json"
    log.write_bytes(line(0) + b"\n")
    with serving(tmp_path, SINK) as (server, _app, _store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        assert send(capsys, url, log, checkpoint=checkpoint)[0] == EXIT_OK
        state = json.loads(checkpoint.read_text())
        state["earlier_runs"] = earlier
        checkpoint.write_text(json.dumps(state))
        rc, _out, err = main_in_process(capsys, "send", SINK, log, "--endpoint", url, "--checkpoint", checkpoint)
        assert rc == EXIT_USAGE and "is damaged (its earlier_runs)" in err, err


def test_a_compressed_inputs_cut_last_line_is_refused_not_held(tmp_path, capsys):
    # a compressed input has no digest of its bytes to read on from (a done checkpoint on it reads it no
    # more): a cut last line held there was said to be read again by a next run that never read it,
    # neither sent nor refused by any run; it is judged, and refused, as without a checkpoint
    import gzip

    log, checkpoint, rejects = tmp_path / "log.ndjson.gz", tmp_path / "cp.json", tmp_path / "rejects.ndjson"
    log.write_bytes(gzip.compress(line(0) + b"\n" + line(1)[:30]))
    with serving(tmp_path, SINK) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)
        assert rc == EXIT_REJECTED and (t["records"], t["sent"], t["refused_prevalidation"]) == (2, 1, 1) and t["notes"] == [], err
        assert [json.loads(x)["line"] for x in rejects.read_text().splitlines()] == [2]
        rc, t, err = send(capsys, url, log, checkpoint=checkpoint, rejects=rejects)  # (done: nothing new)
        assert rc == EXIT_OK and t["records"] == 0 and store.sink(SINK_ID).records_stored == 1, err
