"""Follow-ups of the last hunt of ``mapper infer`` and the CLI: floats judged one by one into a
decimal, ``""`` and times out of range among time strings, messages that name what they speak of,
a temporary copy of standard input that cannot be written, and validate's word on a records path
its lines do not hold."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sinks

import mapper
from mapper.engine.reader import records_path_off_note
from mapper.infer import InferError, infer

ROOT = Path(__file__).resolve().parent.parent


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def column(r: Any, path: str) -> dict[str, Any]:
    return next(c for c in r.body["schema"]["definition"] if ".".join(c["path"]) == path)


# ---------------------------------------------------------------------------------------
# 1. floats into a decimal, each judged as the column stores it


def test_one_float_a_decimal_stores_changed_does_not_count_every_float_changed() -> None:
    # the tally judged every float by the extremes: one 4.35 (stored 4.34 at Scale 2) made all
    # ten floats "changed", so the string column won over a decimal storing nine of 12 as sent
    records = [{"id": i, "x": 5.5} for i in range(9)] + [{"id": 9, "x": 4.35}, {"id": 10, "x": "ground"}, {"id": 11, "x": "ground"}]
    data = ndjson(*records)
    r = infer(data)
    assert column(r, "x")["type"] == "decimal" and column(r, "x")["config"] == {"Scale": 2}
    chosen = r.conflicts["x"]["alternatives"][0]
    assert (chosen["type"], chosen["exact"], chosen["changed"], chosen["refused"]) == ("decimal", 9, 1, 2)
    # as validate finds it: one float_decimal warning, the two "ground" records refused
    report = mapper.compile_sink(r.body).validate(data, on_error="skip")
    assert report.failed_records == 2
    assert sum(n for (_c, kind), n in report.warning_counts.items() if kind == "float_decimal") == 1


def test_the_float_tally_agrees_with_validate_value_by_value() -> None:
    # floats stored as sent, changed by float arithmetic (0.29, 4.35), and too large for the Scale
    floats = [0.5, 0.29, 4.35, 1.25, 0.29, 2.0, -3.75, 1e15, 0.1, 0.7]
    records = [{"id": i, "x": v} for i, v in enumerate(floats)] + [{"id": 99, "x": "n/a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": "decimal"})
    tally = next(t for t in r.conflicts["x"]["alternatives"] if t["type"] == "decimal")
    report = mapper.compile_sink(r.body).validate(data, on_error="skip")
    warned = {w.record for w in report.warnings if w.column == "x"}
    refused = {e.record for e in report.errors if e.column == "x" or e.column is None}
    assert tally["refused"] == len(refused) == report.failed_records
    assert tally["changed"] == len(warned - refused)
    assert tally["exact"] == len(records) - len(warned | refused)


def test_floats_beyond_the_distinct_ones_kept_are_judged_by_their_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    infer_module = sys.modules["mapper.infer"]
    monkeypatch.setattr(infer_module, "FLOAT_VALUES", 1)
    records = [{"id": i, "x": v} for i, v in enumerate([5.5, 5.25, 5.5, 5.125, 6.5])] + [{"id": 9, "x": "a"}]
    r = infer(ndjson(*records), types={"x": "decimal"})
    tally = next(t for t in r.conflicts["x"]["alternatives"] if t["type"] == "decimal")
    assert (tally["exact"], tally["changed"], tally["refused"]) == (5, 0, 1), tally  # (Scale 3 holds each)


# ---------------------------------------------------------------------------------------
# 2. "" and times out of range among time strings


def test_an_empty_string_among_timestamps_is_said_as_what_it_is_wherever_it_comes() -> None:
    times = ["2024-01-02T03:04:05Z"] * 5
    for values in (times + [""], [""] + times):
        r = infer(ndjson(*[{"id": i, "t": v} for i, v in enumerate(values)]))
        assert column(r, "t")["type"] == "string"
        # (the string column's "", which validate warns of, has a note of its own: test_infer57)
        (note,) = [n for n in r.notes if n.startswith("t: ") and not n.startswith('t: "" in ')]
        assert '1 empty string ""' in note and "send null or leave the key out" in note, note
        assert "layout" not in note, note  # (no layout is to blame: every time string parses with one)
        assert "--type t=timestamp" in note
    # without the "": a timestamp column
    assert column(infer(ndjson(*[{"id": i, "t": v} for i, v in enumerate(times)])), "t")["type"] == "timestamp"


def test_a_time_out_of_range_seen_first_is_noted() -> None:
    values = ["0000-01-01T00:00:00Z"] + ["2024-01-02T03:04:05Z"] * 5
    data = ndjson(*[{"id": i, "t": v} for i, v in enumerate(values)])
    r = infer(data)
    assert column(r, "t")["type"] == "string"
    (note,) = [n for n in r.notes if n.startswith("t: ")]
    assert "5 values read as timestamps" in note and 'outside the range FeatureBase takes (e.g. "0000-01-01T00:00:00Z")' in note, note
    # --type t=timestamp takes the others, and its note names the one refused
    r = infer(data, types={"t": "timestamp"})
    assert any('refuse the record holding the other (e.g. "0000-01-01T00:00:00Z")' in n for n in r.notes), r.notes
    assert r.verified is not None and r.verified["refused"] == 1


def test_a_timestamp_type_names_an_empty_string_it_refuses() -> None:
    data = ndjson(*[{"id": i, "t": v} for i, v in enumerate(["2024-01-02T03:04:05Z"] * 3 + [""])])
    r = infer(data, types={"t": "timestamp"})
    assert any('(e.g. "", which is no time: send null or leave the key out)' in n for n in r.notes), r.notes
    assert r.verified is not None and r.verified["refused"] == 1


# ---------------------------------------------------------------------------------------
# 3. messages that name what they speak of


def test_an_identity_missing_in_some_records_names_the_first() -> None:
    data = b'{"id": 1, "k": "a"}\nnot json\n{"k": "b"}\n{"id": null, "k": "c"}\n{"id": 4, "k": "d"}\n{"k": "e"}\n'
    r = infer(data, id_field="id")
    assert (
        "identity id is missing in 2 (first: record 2, line 3), null in 1 (first: record 3, line 4) of 5 records: the endpoint fails those records" in r.notes
    ), r.notes
    # the key held by the first records only: the first after them
    r = infer(ndjson({"id": 1}, {"id": 2}, {"x": 3}), id_field="id")
    assert any("missing in 1 (first: record 2, line 3)" in n for n in r.notes), r.notes


def test_an_id_field_of_numbers_beyond_float64_says_what_they_are() -> None:
    with pytest.raises(InferError) as err:
        infer(b'{"id": 1e400, "k": "a"}\n{"id": 1e400, "k": "b"}\n', id_field="id")
    text = str(err.value)
    assert "null" not in text and "beyond the float64 range" in text and "1e400" in text, text
    assert "--primary-key-fields" not in text  # (a primary key of them fails alike)


def test_a_json_array_of_records_read_with_a_records_path_is_told_to_leave_it_out() -> None:
    with pytest.raises(InferError) as err:
        infer(b'[{"id": 1, "k": "a"}, {"id": 2, "k": "b"}]', records_path="data")
    text = str(err.value)
    assert "its elements are 2 objects: if those are the records, leave --records-path out" in text, text
    assert "no document read holds an array of objects" not in text


def test_an_object_path_beside_values_says_why_none_of_its_keys_is_mapped() -> None:
    r = infer(b'{"id":1,"a":{"b":1}}\n{"id":2,"a":2}\n', max_depth=1)
    assert "0 paths" not in r.skipped["a.*"] and "deeper than --max-depth 1" in r.skipped["a.*"], r.skipped
    r = infer(b'{"id":1,"a":{}}\n{"id":2,"a":2}\n{"id":3,"a":3}\n')
    assert "0 paths" not in r.skipped["a.*"] and "empty" in r.skipped["a.*"], r.skipped
    r = infer(b'{"id":1,"a":{"b":1}}\n{"id":2,"a":2}\n')
    assert "(1 path)" in r.skipped["a.*"], r.skipped


# ---------------------------------------------------------------------------------------
# 4. the temporary copy of standard input


def _small_fsize() -> None:  # (in the child: a write beyond 16 KiB fails EFBIG, not SIGXFSZ)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 14, 1 << 14))


def test_a_temporary_copy_of_stdin_that_cannot_be_written_is_said_as_such(tmp_path: Path) -> None:
    # infer keeps stdin to validate its draft on; past its memory share the copy is a temporary
    # file, and a full disk (here a file-size limit) was "cannot read -: [Errno 27] File too large"
    code = (
        "import sys, tempfile\n"
        "class Small(tempfile.SpooledTemporaryFile):\n"
        "    def __init__(self, max_size=0, *a, **k):\n"
        "        super().__init__(1 << 16, *a, **k)\n"
        "tempfile.SpooledTemporaryFile = Small\n"
        "from mapper.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    data = ndjson(*[{"id": i, "name": "x" * 50} for i in range(3000)])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", code, "infer", "-", "-q"], input=data, capture_output=True, preexec_fn=_small_fsize, timeout=60, env=env)
    err = p.stderr.decode()
    assert p.returncode == 2, err
    assert "Traceback" not in err and "[Errno" not in err and "cannot read -" not in err, err
    assert "standard input" in err and str(tmp_path) in err and "File too large" in err and "TMPDIR" in err, err


# ---------------------------------------------------------------------------------------
# 5. validate with a records path each line is a record without


def test_validate_of_records_read_with_a_records_path_says_to_leave_it_out(tmp_path: Path) -> None:
    body = sinks.id_sink(sinks.column("k", "string"), name="s", table="t", database_id="d")
    sink = mapper.compile_sink(body)
    data = ndjson({"id": 1, "k": "a"}, {"id": 2, "k": "b"})
    report = sink.validate(data, records_path="data")
    assert report.failed_records == 2 and records_path_off_note() in report.notes, report.notes
    # one wording, infer's too
    with pytest.raises(InferError) as err:
        infer(data, records_path="data")
    assert records_path_off_note() in str(err.value)
    # documents of which some hold the array, or that hold arrays of objects elsewhere: not said
    mixed = ndjson({"data": [{"id": 1, "k": "a"}]}, {"id": 2, "k": "b"})
    assert records_path_off_note() not in sink.validate(mixed, records_path="data").notes
    elsewhere = ndjson({"planes": [{"id": 1}]}, {"planes": [{"id": 2}]})
    assert records_path_off_note() not in sink.validate(elsewhere, records_path="data").notes
    # --workers 2 on a file: the merged report says it as one process does
    path = tmp_path / "recs.ndjson"
    path.write_bytes(data * 2000)
    sink_path = tmp_path / "sink.json"
    sink_path.write_text(json.dumps(body))
    p = subprocess.run(
        [sys.executable, "-m", "mapper", "validate", str(sink_path), str(path), "--records-path", "data", "--workers", "2", "--report", "json"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert records_path_off_note() in json.loads(p.stdout)["notes"], p.stderr.decode()
