"""workers=N gives exactly what one process gives: rows, indices, errors, warnings, policy."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_schema, schema

import mapper
from mapper.batch import Strings
from mapper.engine.parallel import can_fork, cut_points
from tests.cli_inproc import run_main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.gen import SINK, generate  # noqa: E402

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers need fork")


def snapshot(result):
    report = result.report if isinstance(result, mapper.Batch) else result
    out = {
        "accepted": report.accepted,
        "verdict": report.verdict,
        "records": report.records,
        "failed": report.failed_records,
        "errors": [e.to_dict() for e in report.errors],
        "warnings": [w.to_dict() for w in report.warnings],
        "error_counts": report.error_counts,
        "warning_counts": report.warning_counts,
    }
    if isinstance(result, mapper.Batch):
        out["rows"] = result.to_rows()
        out["index"] = result.record_index.tolist()
    return out


@pytest.fixture(scope="module")
def m():
    return mapper.compile_sink(SINK)


@pytest.fixture(scope="module")
def messy() -> bytes:
    data = generate(6000, "bad", seed=7).splitlines()
    extra = [b"not json", b"[1, 2]", b'{"id": "x", "data": 5, "timestamp": 1}', b"", b'{"id": "y", "timestamp": "soon", "data": {"lat": 1.5}}']
    for i, line in enumerate(extra):
        data.insert(100 + 37 * i, line)
    return b"\n".join(data) + b"\n"


@pytest.mark.parametrize("workers", [2, 3])
def test_skip_mode_matches_one_process(m, messy, workers):
    one = m.map(messy, on_error="skip")
    many = m.map(messy, on_error="skip", workers=workers)
    assert snapshot(many) == snapshot(one)
    assert one.report.failed_records > 40  # the data really is messy (1% bad + 4 broken lines)


def test_reject_and_validate_match(m, messy):
    with pytest.raises(mapper.BatchRejected) as one:
        m.map(messy)
    with pytest.raises(mapper.BatchRejected) as many:
        m.map(messy, workers=2)
    assert snapshot(many.value.report) == snapshot(one.value.report)
    assert snapshot(m.validate(messy, workers=2)) == snapshot(m.validate(messy))


def test_clean_batch_columns_identical(m):
    data = generate(5000)
    one, many = m.map(data), m.map(data, workers=2)
    assert list(many.columns) == list(one.columns)
    for name in one.columns:
        a, b = one[name], many[name]
        assert a.values.dtype == b.values.dtype
        assert a.values.tolist() == b.values.tolist()
        assert a.valid.tolist() == b.valid.tolist() and a.present.tolist() == b.present.tolist()
    assert one.ids.tolist() == many.ids.tolist()


def test_max_errors_applies_to_the_whole_batch(m, messy):
    one = m.validate(messy, on_error="skip", max_errors=0.001)
    many = m.validate(messy, on_error="skip", max_errors=0.001, workers=2)
    assert not one.accepted and not many.accepted
    assert many.reject_reason == one.reject_reason


def test_file_and_json_array_inputs(m, tmp_path):
    data = generate(3000, "bad", seed=3)
    path = tmp_path / "records.ndjson"
    path.write_bytes(data)
    assert snapshot(m.map(path, on_error="skip", workers=2)) == snapshot(m.map(data, on_error="skip"))
    array = json.dumps([json.loads(line) for line in data.splitlines()]).encode()
    assert snapshot(m.map(array, on_error="skip", workers=2)) == snapshot(m.map(array, on_error="skip"))  # one process
    assert snapshot(m.map(str(path), on_error="skip", workers=2)) == snapshot(m.map(data, on_error="skip"))  # a str file name


def test_sets_and_nulls(tmp_path):
    sink = schema(
        column("k", "id"), column("tags", "strings", path=["t"]), column("nums", "ids", path=["n"]), column("v", "int"), column("b", "bool"), id_field="k"
    )
    m = mapper.compile_sink(sink)
    recs = []
    for i in range(2000):
        rec = {"k": i, "t": ["a", str(i % 7)] if i % 3 else None, "n": [i, i + 1] if i % 5 else "1,2", "v": None if i % 11 == 0 else i}
        if i % 4:
            rec["b"] = bool(i % 2)
        recs.append(rec)
    recs[500]["v"] = "bad"
    data = "\n".join(json.dumps(r) for r in recs).encode()
    assert snapshot(m.map(data, on_error="skip", workers=2)) == snapshot(m.map(data, on_error="skip"))


def test_ranges_are_cut_after_newlines_and_cover_the_input():
    data = b"".join(b'{"i": %d, "pad": "%s"}\n' % (i, b"x" * (i % 17)) for i in range(500))
    for parts in (1, 2, 3, 7):
        cuts = cut_points(data, parts)
        assert cuts[0] == 0 and cuts[-1] == len(data) and cuts == sorted(set(cuts))
        assert all(data[c - 1 : c] == b"\n" for c in cuts[1:-1])
        assert len(cuts) - 1 <= parts
    assert cut_points(b'{"one": "line, no newline"}', 4) == [0, 27]
    assert cut_points(b"", 2) == [0, 0]


def test_workers_strings_come_back_as_utf8_not_objects(m):
    data = generate(4000)
    many = m.map(data, workers=2)
    stored = many["reg"].stored
    assert isinstance(stored, Strings) and not stored.has_objects  # made only when asked for
    assert many["reg"].values.tolist() == m.map(data)["reg"].values.tolist()


def test_workers_string_ids_stay_utf8_until_read_and_write_as_one_process(m, tmp_path):
    data = generate(4000, "bad", seed=3)  # some records fail: their ids are dropped
    one, many = m.map(data, on_error="skip"), m.map(data, on_error="skip", workers=2)
    held = many.id_values
    assert isinstance(held, Strings) and not held.has_objects
    pa = pytest.importorskip("pyarrow")
    assert many.to_arrow().column("_id").equals(pa.chunked_array([pa.array(one.ids.tolist(), type=pa.string())]))
    assert not held.has_objects  # Arrow took the UTF-8 as it is
    from mapper.writers import write_npz

    write_npz(many, str(tmp_path / "many.npz"))
    write_npz(one, str(tmp_path / "one.npz"))
    assert mapper.read_batch(tmp_path / "many.npz").ids.tolist() == mapper.read_batch(tmp_path / "one.npz").ids.tolist() == one.ids.tolist()
    from mapper.batch import concat_batches

    twice = concat_batches([many, many])  # (the .npz writer joins its parts so)
    assert isinstance(twice.id_values, Strings) and not twice.id_values.has_objects
    assert twice.ids.tolist() == one.ids.tolist() * 2
    assert many.ids.tolist() == one.ids.tolist() and len(one) < 4000


def test_every_range_of_bytes_is_read_in_place(m, monkeypatch):
    from mapper.engine import parallel

    real = parallel._map_range
    data = b"\xef\xbb\xbf" + generate(3000)  # a byte order mark: skipped, and the range still ends at its cut
    ranges: list[int] = []

    def in_place(compiled, got, *args, **kw):  # (patched before the fork: the worker runs it too)
        if got is not data:  # a worker's range copied out of the parent's bytes (0.05 s for 135 MB)
            raise AssertionError(f"range copied out: {type(got).__name__} of {len(got)} bytes")
        ranges.append(kw.get("start", 0))  # (in this process: the workers' calls are in theirs)
        return real(compiled, got, *args, **kw)

    monkeypatch.setattr(parallel, "_map_range", in_place)
    many = m.map(data, workers=2)
    assert ranges == [0]  # the first range, here
    assert len(many.id_values.chunks or ()) == 2  # (mapped by two processes)
    assert snapshot(many) == snapshot(m.map(data))
    assert many.report.records == 3000


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_lines_and_records_at_the_cuts_keep_their_numbers(workers):
    sink = schema(column("k", "id"), column("v", "int"), id_field="k")
    m = mapper.compile_sink(sink)
    lines = []
    for i in range(900):
        if i % 50 == 7:
            lines.append(b"")  # blank lines count as lines, not records
        lines.append(b'{"k": %d, "v": %s}' % (i, b'"bad"' if i % 37 == 0 else b"%d" % i))
        if i % 111 == 3:
            lines.append(b"not json at all")
    data = b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n"
    assert snapshot(m.map(data, on_error="skip", workers=workers)) == snapshot(m.map(data, on_error="skip"))
    assert snapshot(m.validate(data, workers=workers)) == snapshot(m.validate(data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n\n",
        b'{"k": 1}',
        b'{"k": 1}\n{"k": 2}',
        b'{"k": 1}\r\n\r\n{"k": 2}\r\n',
        b"\xef\xbb\xbf" + b'{"k": 1}\n' * 3,
        b'{"k": 1}\n' + b'{"k": "' + b"x" * 3000 + b'"}\n' + b'{"k": 2}\n',  # a line past the record limit
        b'{"k": 1}\n' + b'{"k": "' + b"x" * 3000 + b'"}',  # ... last, without its newline
        b'{"k": "' + b"y" * 300_000 + b'"}\n{"k": 3}\n',  # a line longer than a chunk
    ],
)
def test_a_range_counts_its_lines_as_the_engine_numbered_them(data, tmp_path):
    # the lines of a range shift the next range's line numbers: the engine's count, not a recount of the bytes
    from mapper.engine.parallel import FileRange, _map_range
    from mapper.options import MapOptions

    m = mapper.compile_sink(schema(column("k", "id"), id_field="k"))
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    expected = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    for output in (True, False):
        part = _map_range(m.compiled, data, MapOptions(max_record_size=2048), output, first=True)
        assert part.lines == expected
        # a file's range (a worker's, or the caller's of a file), read without counting
        part = _map_range(m.compiled, FileRange(path, 0, len(data), count_lines=False), MapOptions(max_record_size=2048), output, first=True)
        assert part.lines == expected


def test_bad_workers_value(m):
    with pytest.raises(mapper.MapperError):
        m.map(b"{}", workers=0)


def test_cli_workers_option_gives_the_same_report_and_rows(tmp_path):
    # (python -m mapper, run in this process: run_main, which checks that no traceback is printed)
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    records = tmp_path / "records.ndjson"
    records.write_bytes(generate(4000, "bad", seed=11))
    outs = {}
    for w in ("1", "2"):
        rep = run_main("validate", sink, records, "--on-error", "skip", "--report", "json", "--workers", w, "--rejects", tmp_path / f"rej{w}.ndjson")
        assert rep.returncode == 1  # 1: some records are refused
        rows = run_main("map", sink, records, "--on-error", "skip", "--workers", w, "-o", tmp_path / f"rows{w}.ndjson", "-q")
        assert rows.returncode == 1
        outs[w] = (rep.out, (tmp_path / f"rej{w}.ndjson").read_bytes(), (tmp_path / f"rows{w}.ndjson").read_bytes())
    assert outs["1"] == outs["2"]
    assert json.loads(outs["1"][0])["error_count"] > 0 and outs["1"][1]


def test_error_order_within_a_record_matches_one_process():
    sink = schema(column("k", "string"), column("a", "int"), column("s", "string"), column("u", "id"), primary_key_fields=["k"])
    m = mapper.compile_sink(sink)
    recs = [{"a": "x", "u": -1, "s": 5} if i % 7 == 0 else {"k": f"r{i}", "a": i, "u": 12.5, "s": "v"} for i in range(700)]
    data = "\n".join(json.dumps(r) for r in recs).encode()
    one = m.validate(data, on_error="skip")
    many = m.validate(data, on_error="skip", workers=2)
    assert [e.to_dict() for e in many.errors] == [e.to_dict() for e in one.errors]
    assert [w.to_dict() for w in many.warnings] == [w.to_dict() for w in one.warnings]
    assert many.endpoint_answer() == one.endpoint_answer()


def test_cli_says_when_the_input_cannot_be_cut_into_ranges(tmp_path):
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    array = tmp_path / "records.json"
    array.write_bytes(json.dumps([json.loads(line) for line in generate(50).splitlines()]).encode())
    out = tmp_path / "rows.ndjson"
    p = run_main("map", sink, array, "-o", out, "--workers", "2", timeout=120)  # (python -m mapper, in this process)
    assert p.returncode == 0 and "the input is not NDJSON" in p.err and "mapping in one process" in p.err
    assert len(out.read_text().splitlines()) == 50


# --- found by a bug hunt: what the workers' ranges did not carry --------------------------

SMALL_SINK = id_schema(column("n", "int", Min=0, Max=100), column("s", "string"))


def test_records_path_lines_and_small_record_limits_and_notes_are_the_same_with_workers():
    m = mapper.compile_sink(SMALL_SINK)
    # NDJSON of documents: lines started again at 1 in each worker's range
    docs = b"".join(json.dumps({"items": [{"id": i, "n": 500}]}).encode() + b"\n" for i in range(6))
    one, two = m.validate(docs, records_path="items"), m.validate(docs, records_path="items", workers=2)
    assert [(e.record, e.line) for e in two.errors] == [(e.record, e.line) for e in one.errors] == [(i, i + 1) for i in range(6)]
    # --max-record-size below the 256 KiB chunk was not applied in a worker's range
    data = b"".join(b'{"id":%d,"s":"%s"}\n' % (i, b"x" * (1500 if i % 3 == 0 else 10)) for i in range(12))
    one, two = m.validate(data, max_record_size=1024), m.validate(data, max_record_size=1024, workers=2)
    assert snapshot(two) == snapshot(one) and one.error_counts == {(None, "too_large"): 4}
    # the one-line-document note was lost with workers and in a full iter_batches batch
    doc = b'{"aircraft":[{"id":1},{"id":2}],"now":5}\n'
    note = m.validate(doc).notes
    assert note and "--records-path aircraft" in note[0]
    assert m.validate(doc, workers=2).notes == note
    assert [b.report.notes for b in m.iter_batches(doc, records=1)] == [note]


@pytest.mark.parametrize(("lead", "tail"), [(b"", b"\n\n"), (b"", b"\n \n\r\n\t"), ((b" " * 100 + b"\n") * 20, b"\n")])
def test_a_one_object_input_followed_by_blank_lines_gets_its_note_every_way(lead, tail, tmp_path):
    # the workers cut the blank lines off as a range of their own (so the object was no
    # longer the whole input), and iter_batches closed the batch before the note that
    # follows them: both said nothing where one process names the records' key; blank
    # lines before the object were a first range of their own
    m = mapper.compile_sink(SMALL_SINK)
    data = lead + b'{"aircraft":[{"id":1},{"id":2}],"now":5}' + tail
    path = tmp_path / "one.ndjson"
    path.write_bytes(data)
    note = m.validate(data).notes
    assert len(note) == 1 and "--records-path aircraft" in note[0]
    for source in (data, path):
        assert m.validate(source, workers=2).notes == note
        assert m.validate(source, workers=2, input_format="ndjson").notes == note
        assert [b.report.notes for b in m.iter_batches(source, records=1)] == [note]
    assert [e.line for e in m.validate(data + b'{"id": "x"}\n', workers=2).errors] == [lead.count(b"\n") + 1, len(data.split(b"\n"))]
    if lead:
        assert cut_points(data, 2) == [0, len(data)]


def test_a_broken_or_too_long_document_line_is_placed_on_its_line_with_or_without_workers():
    # a document line that was not JSON named the line within the worker's range in its
    # message ("at line 2" for line 5); a too-long one was at line 1 in one process (the
    # engine counts no lines of documents) and at another wrong line with workers
    m = mapper.compile_sink(SMALL_SINK)
    docs = [json.dumps({"items": [{"id": i, "n": 1}]}) for i in range(8)]
    docs[4] = '  {"items": [{"id": 4}], x}'
    docs[6] = json.dumps({"items": [{"id": 6, "s": "y" * 2000}]})
    data = ("\n".join(docs) + "\n").encode()
    for workers in (1, 2):
        rep = m.validate(data, records_path="items", workers=workers, max_record_size=1024, on_error="skip")
        found = [(e.record, e.line, e.code, e.reason) for e in rep.errors]
        assert found[0] == (
            4,
            5,
            "invalid_json",
            "Invalid JSON: the JSON document is not valid JSON: invalid character 'x' at char 26 where an object key (a string in double quotes) was expected",
        ), workers
        assert found[1][:3] == (6, 7, "too_large"), workers
        assert len(found) == 2 and rep.records == 8


def test_a_long_first_line_is_not_taken_for_a_one_line_input_by_the_workers(tmp_path):
    # the first range alone (a file's is read apart; a BOM is cut off) looked like the whole input
    m = mapper.compile_sink(SMALL_SINK)
    lines = [json.dumps({"id": i, "n": i}).encode() for i in range(50)]
    doc = json.dumps({"items": [{"id": i} for i in range(4000)]}).encode()
    data = doc + b"\n" + b"\n".join(lines) + b"\n"
    path = tmp_path / "long-first.ndjson"
    path.write_bytes(data)
    for source in (path, data, b"\xef\xbb\xbf" + data):
        assert m.validate(source).notes == m.validate(source, workers=2).notes == [], type(source)


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _children(pid: int) -> list[int]:
    """The processes ``pid``'s main thread forked (its workers), read from /proc."""
    try:
        return [int(c) for c in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()]
    except FileNotFoundError:  # (a kernel without CONFIG_PROC_CHILDREN: every process's parent read)
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
        return found


def _stopped(pid: int) -> bool:
    """Whether ``pid`` is stopped (or gone): a SIGSTOP has taken effect."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] in "TtZX"
    except OSError:
        return True


def _write_calls(pid: int) -> int:
    """The write system calls ``pid`` has made: a worker of ``map -q`` (no refused records to
    spool) makes none before it writes its segment, which comes before its answer."""
    for line in (Path("/proc") / str(pid) / "io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise AssertionError(f"no syscw in /proc/{pid}/io")


def _stop_the_worker_before_it_answers(proc: subprocess.Popen[bytes]) -> int | None:
    """Stop (SIGSTOP) the one worker of ``proc`` (a ``map --workers 2 -q``) before it has begun its
    answer, and return its id: the run cannot finish until it is continued, however loaded the
    machine. None, the worker continued: the run ended before its worker was seen, or the worker
    had begun writing its segment when it stopped (the test, slowed down on a loaded machine
    more than the run, came too late). (A fixed sleep before the signal let a slowed-down test
    signal a finished run; so did a check that its segment did not exist yet, since the parent
    removes the segment's name once it has taken the answer: exit 143, the output in place.)"""
    import signal
    import time

    if not Path("/proc/self/io").exists():
        pytest.skip("needs /proc/PID/io (Linux)")
    deadline = time.monotonic() + 30
    while not (workers := _children(proc.pid)):  # the worker is forked
        if proc.poll() is not None:
            return None
        assert time.monotonic() < deadline, "no worker was forked"
        time.sleep(0.001)
    # (stopped wherever it is: one that had not set its own handling yet holds a signal till it has)
    os.kill(workers[0], signal.SIGSTOP)
    while not _stopped(workers[0]):  # (a write it was making is counted once it has stopped)
        assert time.monotonic() < deadline, "the worker did not stop"
        time.sleep(0.001)
    try:
        late = _write_calls(workers[0]) > 0
    except FileNotFoundError:  # (gone: it had answered and ended)
        late = True
    if late:
        with contextlib.suppress(ProcessLookupError):
            os.kill(workers[0], signal.SIGCONT)
        return None
    return workers[0]


def _run_with_its_worker_stopped(argv: list[str], out: Path, **popen: Any) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``argv`` (a ``map --workers 2 -q -o out``) and stop its worker before its answer
    (:func:`_stop_the_worker_before_it_answers`). A run whose worker this test came too late for
    is let finish, and started again: at most 5 runs."""
    for _ in range(5):
        proc = subprocess.Popen(argv, **popen)
        worker = _stop_the_worker_before_it_answers(proc)
        if worker is not None:
            return proc, worker
        proc.communicate(timeout=60)
        out.unlink(missing_ok=True)
    raise AssertionError("in 5 runs the worker answered before this test could stop it: the machine is too loaded for this test")


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_killed_parent_leaves_no_worker_waiting_and_no_shared_memory(sig, tmp_path):
    # a worker held its own pipe's read end: with the parent dead, its answer waited forever
    # (and its shared-memory segment stayed); an interrupted parent left the segment of an answer it never read
    import signal
    import time

    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(15_000, "clean") * 10)  # long enough to be killed mid-run (generating 150,000 took 3 s)
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    out = tmp_path / "out.npz"
    shm = Path("/dev/shm")
    before = set(shm.iterdir()) if shm.is_dir() else set()
    proc, worker = _run_with_its_worker_stopped([sys.executable, "-m", "mapper", "map", str(sink), str(records), "-o", str(out), "--workers", "2", "-q"], out)
    try:
        proc.send_signal(getattr(signal, sig))  # pending now: taken at the parent's next step
    finally:
        with contextlib.suppress(ProcessLookupError):  # (ended by the parent already)
            os.kill(worker, signal.SIGCONT)  # (the parent stops it, or its answer finds no reader)
    assert proc.wait(timeout=30) != 0
    deadline = time.monotonic() + 30  # its own bound: the start may have used much of the first one on a loaded machine
    while _processes_mentioning(str(out)):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.1)
    # a leaked segment stays; another test's (running beside this one) is gone in a moment. Every
    # process of this run has ended: a segment made after this point is another test's, not a leak
    leaked = {p for p in (set(shm.iterdir()) if shm.is_dir() else set()) - before if p.name.startswith("psm_")}
    for _ in range(50):
        leaked &= set(shm.iterdir()) if shm.is_dir() else set()
        if not leaked:
            break
        time.sleep(0.1)
    assert not leaked
    assert not out.exists()


def test_a_worker_stopped_while_its_segment_is_unsent_leaves_no_segment(monkeypatch, tmp_path):
    # the caller, interrupted, stopped a worker that had made its segment but not yet sent
    # its name: nobody knew the name and the segment stayed (seen once in ~40 Ctrl-C runs)
    import time

    from mapper.engine import parallel

    made = tmp_path / "made"
    real_to_shared, real_map_range = parallel._to_shared, parallel._map_range
    seen: list[str] = []

    def slow_to_shared(obj, name=None):  # in the worker: segment made, then stopped before sending
        payload, made_name, spans = real_to_shared(obj, name) if name else real_to_shared(obj)
        made.write_text(made_name or "")
        time.sleep(30)
        return payload, made_name, spans

    def interrupted_map_range(compiled, data, options, output, first, end=None, whole=False, **kw):
        if first:  # the caller: interrupted once the worker's segment exists
            deadline = time.monotonic() + 20
            while not made.exists() or not made.read_text():
                assert time.monotonic() < deadline
                time.sleep(0.01)
            seen.append(made.read_text())
            raise KeyboardInterrupt
        return real_map_range(compiled, data, options, output, first, end, whole, **kw)

    monkeypatch.setattr(parallel, "_to_shared", slow_to_shared)
    monkeypatch.setattr(parallel, "_map_range", interrupted_map_range)
    m = mapper.compile_sink(SMALL_SINK)
    data = b"".join(json.dumps({"id": i, "n": i}).encode() + b"\n" for i in range(2000))
    with pytest.raises(KeyboardInterrupt):
        m.map(data, workers=2)
    assert seen and seen[0].startswith("psm_")
    assert not (Path("/dev/shm") / seen[0]).exists()


def test_a_validate_worker_keeps_no_columns_of_its_range():
    # validate --workers N: each worker built every column of its range and then dropped
    # them (peak memory grew with the input: 629 MB for 268 MB of records, one worker 48 MB)
    import tracemalloc
    from dataclasses import replace

    from mapper.engine import parallel
    from mapper.options import MapOptions

    m = mapper.compile_sink(SINK)
    data = generate(20_000, "bad", seed=5)
    peaks = {}
    for output in (True, False):
        tracemalloc.start()
        try:
            part = parallel._map_range(m.compiled, data, replace(MapOptions(), workers=2), output, first=True)
            _, peaks[output] = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (part.columns == {}) is (not output) and part.report.records == 20_000
    assert peaks[False] < peaks[True] / 2, peaks
    # the same report either way
    assert mapper.compile_sink(SINK).validate(data, workers=2).error_counts == m.validate(data).error_counts


@pytest.mark.parametrize("output", [True, False])
@pytest.mark.parametrize("shape", ["plain", "bom-crlf-no-final-newline", "oversized", "documents"])
def test_a_files_range_is_read_chunk_by_chunk_and_maps_as_the_same_bytes(m, messy, tmp_path, shape, output):
    # a worker (and the caller, for a file) read its whole range into memory first:
    # validate --workers N held about 1/N of the input per process however big it was
    from dataclasses import replace

    from mapper.engine import parallel
    from mapper.engine.reader import CHUNK_SIZE
    from mapper.options import MapOptions

    options = replace(MapOptions(), workers=2)
    first = True
    data = messy
    if shape == "bom-crlf-no-final-newline":
        data = b"\xef\xbb\xbf" + messy.replace(b"\n", b"\r\n").rstrip(b"\r\n")
    elif shape == "oversized":
        options = replace(options, max_record_size=1024)
        data = messy.replace(b"not json", b"x" * 3000)  # a line past the limit
    elif shape == "documents":
        data = b"".join(
            b'{"now": 1, "items": [' + b",".join(messy.splitlines()[i : i + 50]) + b"]}\n"
            for i in range(0, 600, 50)
            if b"not json" not in b"".join(messy.splitlines()[i : i + 50])
        )
        options = replace(options, records_path=("items",))
        first = False  # (a later range: a byte order mark would be its line's)
    path = tmp_path / "records.ndjson"
    path.write_bytes(data)
    reads: list[int] = []
    real_read = parallel.FileRange.read

    def counted(self, n=-1):
        block = real_read(self, n)
        reads.append(len(block))
        return block

    parallel.FileRange.read = counted  # type: ignore[method-assign]
    try:
        streamed = parallel._map_range(m.compiled, parallel.FileRange(path, 0, len(data)), options, output, first=first)
    finally:
        parallel.FileRange.read = real_read  # type: ignore[method-assign]
    whole = parallel._map_range(m.compiled, data, options, output, first=first)
    assert streamed.lines == whole.lines == len(data.splitlines())
    assert snapshot(streamed.report) == snapshot(whole.report) and streamed.report.records > 100
    assert streamed.columns.keys() == whole.columns.keys()
    for name, arrays in whole.columns.items():
        assert arrays.valid.tolist() == streamed.columns[name].valid.tolist(), name
    assert len(reads) > 1 and max(reads) <= CHUNK_SIZE, reads[:5]


def test_validate_with_workers_on_a_file_holds_a_chunk_not_its_range(m, tmp_path):
    import tracemalloc
    from dataclasses import replace

    from mapper.engine import parallel
    from mapper.options import MapOptions

    data = generate(40_000, "clean")  # ~13 MB
    path = tmp_path / "records.ndjson"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        part = parallel._map_range(m.compiled, parallel.FileRange(path, 0, len(data)), replace(MapOptions(), workers=2), False, first=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert part.report.records == 40_000
    assert peak < len(data) / 4, (peak, len(data))
    assert snapshot(m.validate(path, workers=2)) == snapshot(m.validate(data))


@pytest.mark.parametrize("change", ["truncated", "replaced"])
def test_a_file_changed_after_it_was_cut_into_ranges_is_an_input_error(m, tmp_path, monkeypatch, change):
    # a range read short was taken for the end of the file (7,270 of 12,000 records gone
    # without a word), and each chunk reopened the name (a file replaced meanwhile was
    # read half from each): now each range opens the file once and checks it
    from mapper.engine import parallel

    data = generate(12_000, "clean")
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    other = tmp_path / "other.ndjson"
    other.write_bytes(generate(12_000, "bad", seed=3))
    real = parallel.cut_points

    def cut_then_change(view, parts, first_share=1.0):
        cuts = real(view, parts, first_share)
        if change == "truncated":
            os.truncate(path, cuts[1])
        else:
            os.replace(other, path)
        return cuts

    monkeypatch.setattr(parallel, "cut_points", cut_then_change)
    with pytest.raises(mapper.InputError, match="changed while it was read"):
        m.validate(path, workers=3)


def test_a_file_removed_after_it_was_cut_into_ranges_is_an_input_error(m, tmp_path, monkeypatch):
    from mapper.engine import parallel

    data = generate(12_000, "clean")
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)
    real = parallel.cut_points

    def cut_then_remove(view, parts, first_share=1.0):
        cuts = real(view, parts, first_share)
        path.unlink()
        return cuts

    monkeypatch.setattr(parallel, "cut_points", cut_then_remove)
    with pytest.raises(mapper.InputError, match="cannot be opened"):
        m.validate(path, workers=2)


def test_sigterm_to_the_process_group_ends_the_workers_without_tracebacks(tmp_path):
    # (a review) the command line takes SIGTERM as Ctrl-C; forked workers inherited that and
    # printed 'Process ForkProcess-1: Traceback ... Terminated' when the group was signalled
    import os
    import signal
    import subprocess

    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(15_000, "clean") * 10)
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    for attempt in range(2):
        out = tmp_path / f"out{attempt}.parquet"
        proc, worker = _run_with_its_worker_stopped(
            [sys.executable, "-m", "mapper", "map", str(sink), str(records), "-o", str(out), "--workers", "2", "-q"],
            out,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            # (the stopped worker ends at once, its SIGTERM the default action's; one stopped before
            # it had set that holds the signal till it has: the worker is continued)
            os.killpg(proc.pid, signal.SIGTERM)
        finally:
            with contextlib.suppress(ProcessLookupError):  # (ended, and waited for by the parent)
                os.kill(worker, signal.SIGCONT)
        _out, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]
        assert (proc.returncode, err) == (143, b"terminated\n")
        assert not out.exists()


def _answered(worker: int) -> bool:
    """Whether a forked worker has sent its answer: it has exited, or sleeps reading its socket
    (the parent's word that the segment is taken; it reads nothing else from a socket)."""
    proc = Path("/proc") / str(worker)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in "ZX":
            return True
        call = (proc / "syscall").read_text().split()
        return state == "S" and len(call) > 1 and os.readlink(proc / "fd" / str(int(call[1], 16))).startswith("socket:")
    except (OSError, ValueError):
        return True  # (gone)


def test_a_parent_killed_after_a_worker_answered_leaves_no_shared_memory(tmp_path):
    # a small answer fits the pipe: the worker sent it and exited, and the parent, killed
    # before reading it, left the worker's segment in /dev/shm for good
    import re
    import subprocess
    import time

    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm to look in")
    records = tmp_path / "r.ndjson"
    # decimals as strings: no lossy-value warnings, so the worker's answer is small enough to fit the pipe
    records.write_bytes(re.sub(rb'"(lat|long)": (-?[0-9.]+)', rb'"\1": "\2"', generate(20_000, "clean")))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    # the caller is slow on its own range: the worker has answered long before it reads
    script = (
        "import time, mapper\n"
        "from mapper.engine import parallel\n"
        "real = parallel._map_range\n"
        "def slow(compiled, data, options, output, first, end=None, whole=False, **kw):\n"
        "    if first:\n"
        "        time.sleep(60)\n"
        "    return real(compiled, data, options, output, first, end, whole, **kw)\n"
        "parallel._map_range = slow\n"
        f"mapper.compile_sink({str(sink)!r}).map({str(records)!r}, workers=2, on_error='skip')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    prefix = f"psm_{proc.pid:x}_"
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(prefix) for p in shm.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, "no segment made"
            time.sleep(0.01)
        # the answer sent (a fixed 0.5 s was not always enough on a loaded machine, and the test then
        # passed whatever the worker did): the worker waits, reading its socket, for the parent's
        # word, or (the old worker) has exited
        workers = [pid for pid in _processes_mentioning(str(records)) if pid != proc.pid]  # (none: it has exited)
        while workers and not _answered(workers[0]):
            assert proc.poll() is None and time.monotonic() < deadline, "the worker never answered"
            time.sleep(0.01)
        assert proc.poll() is None, "the caller finished before it could be killed"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while any(p.name.startswith(prefix) for p in shm.iterdir()):
        assert time.monotonic() < deadline, "the worker's segment was left behind"
        time.sleep(0.05)


def test_refused_records_are_handed_on_in_order_not_kept_when_asked(tmp_path):
    # validate --workers kept every refused record's text in each part and sent it back
    # through the pipe (471 MB for 100 MB of refused records, 49 MB in one process), and
    # wrote --rejects only at the end: now each worker spools them and the caller passes
    # them on in record order

    from mapper.engine.parallel import Keep, run_parallel

    m = mapper.compile_sink(SINK)
    data = generate(6000, "bad")
    data = data.replace(b'"speed": 1', b'"speed": "x1"')  # many more refused records
    want = m.validate(data, on_error="skip")
    assert len(want.rejected) > 500
    path = tmp_path / "bad.ndjson"
    path.write_bytes(data)
    for source in (data, path):
        got: list = []
        options = mapper.MapOptions(on_error="skip", workers=3)
        batch, report = run_parallel(m.compiled, source, options, output=False, keep=Keep(False, False, got.append))
        assert batch is None and not report.rejected and not len(report.failed)
        assert [(r.record, r.line, r.raw, [(e.code, e.record, e.line) for e in r.errors]) for r in got] == [
            (r.record, r.line, r.raw, [(e.code, e.record, e.line) for e in r.errors]) for r in want.rejected
        ]
        assert (report.records, report.failed_records, report.error_counts) == (want.records, want.failed_records, want.error_counts)
    # the command line: the same --rejects file, in one process and with workers
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    outs = []
    for workers in ("1", "3"):
        out = tmp_path / f"rejects{workers}.ndjson"
        assert run_main("validate", sink, path, "-q", "--on-error", "skip", "--workers", workers, "--rejects", out, timeout=120).returncode == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\n") == len(want.rejected)


def test_map_with_workers_writes_parquet_in_row_groups(monkeypatch, tmp_path):
    # the workers' joined batch was written as one row group (594,763 rows), where one
    # process writes a row group per 65,536 records
    pq = pytest.importorskip("pyarrow.parquet")
    import mapper.writers
    from mapper.cli import main

    monkeypatch.setattr(mapper.writers, "ROW_GROUP", 700)
    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(3000, "clean"))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    out = tmp_path / "out.parquet"
    assert main(["map", str(sink), str(records), "-o", str(out), "--workers", "2", "-q"]) == 0
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [700, 700, 700, 700, 200]


def _under_file_size_limit(limit: int):
    """For preexec_fn: the child's files (a shared-memory segment is one) may not grow beyond ``limit``
    bytes; SIGXFSZ ignored (as Python ignores it), so a write beyond it fails with EFBIG."""
    import resource
    import signal

    def set_limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return set_limit


def _run_limited(args: list[str], tmp_path: Path, limit: int):
    """``python -m mapper ARGS`` under a file size limit, its temporary files in ``tmp_path/tmp``:
    (its exit status, stdout, stderr, that directory, its process id). No bytecode is written (a
    .pyc written under the limit is cut short, and breaks the next run)."""
    import subprocess

    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "mapper", *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_under_file_size_limit(limit), cwd=Path(__file__).parents[1]
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
    return proc.returncode, out, err, temp, proc.pid


def _segments_of(pid: int) -> list[str]:
    """The shared-memory segments named for the process ``pid`` (parallel.segment_name) still in /dev/shm."""
    shm = Path("/dev/shm")
    return sorted(p.name for p in shm.iterdir() if p.name.startswith(f"psm_{pid:x}_")) if shm.is_dir() else []


@pytest.mark.parametrize("out", ["out.npz", "out.ndjson"])
def test_a_segment_beyond_the_file_size_limit_is_a_one_line_error_that_leaves_nothing(tmp_path, out):
    # under `ulimit -f` a worker's segment (a file to the kernel) could not be sized: the
    # worker's OSError came back as "a worker process failed" with its traceback, and the
    # resource tracker printed a KeyError traceback of its own

    records = tmp_path / "r.ndjson"
    records.write_bytes(b"".join(json.dumps({"id": i, "n": i % 100}).encode() + b"\n" for i in range(40_000)))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SMALL_SINK))
    target = tmp_path / out
    # below the worker's segment (its share of 40,000 rows: ~300 KB), above the sink and the modules
    code, out_text, err, temp, pid = _run_limited(["map", str(sink), str(records), "-o", str(target), "--workers", "2", "-q"], tmp_path, 100_000)
    assert code == 2 and out_text == "", (out_text, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("mapper: a worker process could not make its shared-memory segment of ") and "the file size limit (ulimit -f) is 100000 bytes" in err
    assert "--workers 1" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.ndjson", "sink.json", "tmp"])  # no output, whole or in part
    assert list(temp.iterdir()) == [] and _segments_of(pid) == []


def test_a_workers_refused_records_beyond_the_file_size_limit_are_a_one_line_error(tmp_path):
    # validate --workers --rejects: a worker spools its refused records to a temporary file; one
    # that could not be written came back as "a worker process failed" with its traceback (and
    # the worker's own, from closing the file again on its way out)
    records = tmp_path / "r.ndjson"
    records.write_bytes(b"".join(json.dumps({"id": i, "n": "x" * 40}).encode() + b"\n" for i in range(40_000)))  # every record refused
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SMALL_SINK))
    args = ["validate", str(sink), str(records), "--workers", "2", "-q", "--on-error", "skip", "--rejects", "/dev/null"]
    code, out, err, temp, pid = _run_limited(args, tmp_path, 1_000_000)  # the spool of ~17,000 refused records: ~2.5 MB
    assert code == 2 and out == "", (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"mapper: a worker process could not write its refused records to its temporary file in {temp}: ")
    assert ": File too large; " in err and "--workers 1" in err
    assert list(temp.iterdir()) == [] and _segments_of(pid) == []
    # the same in one process, as the message says: --rejects /dev/null needs no temporary file
    args[args.index("--workers") + 1] = "1"
    code, out, err, temp, pid = _run_limited(args, tmp_path, 1_000_000)
    assert code == 1 and err == "", err


def test_a_full_dev_shm_is_a_one_line_error_not_a_worker_killed_by_sigbus(tmp_path):
    # a segment is sized without its memory: with /dev/shm full, the worker's first write into
    # it raised SIGBUS, and the run ended with "a worker process died without an answer"
    import shutil
    import subprocess

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-m", "true"], capture_output=True, timeout=30).returncode != 0:
        pytest.skip("needs unshare -m (root): a /dev/shm of its own, too small")
    records = tmp_path / "r.ndjson"
    records.write_bytes(b"".join(json.dumps({"id": i, "n": i % 100}).encode() + b"\n" for i in range(40_000)))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SMALL_SINK))
    out = tmp_path / "out.npz"
    script = 'mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "$@"'
    cmd = [unshare, "-m", "sh", "-c", script, "sh", sys.executable, "-m", "mapper", "map", str(sink), str(records), "-o", str(out), "--workers", "2", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("mapper: a worker process could not make its shared-memory segment of ")
    assert "No space left on device (/dev/shm is full); " in proc.stderr and "--workers 1" in proc.stderr
    assert not out.exists()


def test_the_callers_share_is_smaller_when_the_parts_go_to_a_writer(monkeypatch, tmp_path):
    # the caller of map -o also makes its strings' UTF-8 for the writer (the workers make
    # theirs as they pack): its range is cut smaller there than for validate
    from mapper.cli import main
    from mapper.engine import parallel

    shares: list[float] = []
    real = parallel.cut_points

    def noting(view, parts, first_share=1.0):
        shares.append(first_share)
        return real(view, parts, first_share)

    monkeypatch.setattr(parallel, "cut_points", noting)
    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(2000, "clean"))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    assert main(["map", str(sink), str(records), "-o", str(tmp_path / "out.npz"), "--workers", "2", "-q"]) == 0
    assert main(["validate", str(sink), str(records), "--workers", "2", "-q"]) == 0
    assert shares == [parallel.WRITER_CALLER_SHARE, parallel.CALLER_SHARE] and parallel.WRITER_CALLER_SHARE < parallel.CALLER_SHARE


def test_more_workers_than_cpus_start_one_process_per_cpu_and_say_so(monkeypatch):
    # workers=100000 forked a process per range until the machine ran out of memory
    from mapper.engine import parallel

    asked: list[int] = []
    real = parallel.cut_points

    def counted(view, parts, first_share=1.0):
        asked.append(parts)
        assert parts <= 64, "a process per range would be forked"  # (stops a regression before it forks them)
        return real(view, parts, first_share)

    monkeypatch.setattr(parallel, "cut_points", counted)
    m = mapper.compile_sink(SINK)
    data = generate(3000, "clean")
    report = m.validate(data, workers=100_000)
    assert asked == [parallel.most_workers()] and 2 <= asked[0] <= (os.cpu_count() or 1) + 2
    assert report.records == 3000 and report.accepted
    assert any(n.startswith("workers=100000: mapped with") for n in report.notes), report.notes
    asked.clear()
    assert not m.validate(data, workers=2).notes and asked == [2]  # (at most the CPUs, at least 2: as asked)


def test_a_worker_takes_sigterm_though_the_calling_thread_blocks_it(tmp_path):
    # a program that waits for its signals in a thread of its own blocks SIGTERM in the others: a
    # worker forked from one inherited the blocked signal, and its parent's SIGTERM (stopping it
    # on an interruption or a failure) waited for reap's 10 s and a SIGKILL
    import signal
    import subprocess

    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(2_000, "clean"))
    script = (
        "import signal, sys\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\n"
        "import mapper\n"
        "from mapper.engine import parallel\n"
        "real = parallel._map_range\n"
        "def noted(compiled, data, options, output, first, *args, **kw):\n"
        "    if not first:  # (the worker: its blocked signals, as the kernel has them)\n"
        "        blocked = [line.split()[1] for line in open('/proc/self/status') if line.startswith('SigBlk:')][0]\n"
        "        print('worker blocks', blocked, file=sys.stderr, flush=True)\n"
        "    return real(compiled, data, options, output, first, *args, **kw)\n"
        "parallel._map_range = noted\n"
        f"mapper.compile_sink({json.dumps(SINK)!r}).map({str(records)!r}, workers=2)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stderr.splitlines() if line.startswith("worker blocks ")]
    assert len(lines) == 1, p.stderr
    assert not int(lines[0].split()[2], 16) & (1 << (signal.SIGTERM - 1))


def test_a_program_blocking_sigterm_gets_the_workers_death_as_a_mapper_error_its_signal_left_pending(tmp_path):
    # a program that waits for its signals in a thread of its own (SIGTERM blocked in the others):
    # the group's SIGTERM killed the worker and waits, pending, in the program. The call raised
    # mapper._start.Terminated (a KeyboardInterrupt the program's own code never raises, and the
    # Python API never documents: only MapperError subclasses escape); it is the call's failure, a
    # MapperError naming the signal, and the signal is left for the program to take its own way
    import subprocess

    records = tmp_path / "r.ndjson"
    records.write_bytes(generate(2_000, "clean"))
    script = (
        "import os, signal\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # (before any thread is made: each blocks it)\n"
        "import multiprocessing.util as u\n"
        "import mapper\n"
        "class Hook: pass\n"
        "hook = Hook()\n"
        "u.register_after_fork(hook, lambda _: (os.kill(os.getppid(), signal.SIGTERM), os.kill(os.getpid(), signal.SIGTERM)))\n"
        "try:\n"
        f"    mapper.compile_sink({json.dumps(SINK)!r}).map({str(records)!r}, workers=2)\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__, isinstance(exc, mapper.MapperError), signal.SIGTERM in signal.sigpending())\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    said = "a worker process died without a whole answer (killed by SIGTERM), a signal this process got too: it waits, blocked in the calling thread, for the program to take it"
    assert (p.returncode, p.stdout, p.stderr) == (0, f"MapperError True True\n{said}\n", "")  # (the signal left pending, for the program to take)
