"""Python objects as input: dicts from producers map exactly as their JSON text does.

The dict path has its own generated extractor (``extract_dicts``) and picks vector
forms by the Python types it finds; these tests hold it to the bytes path and to the
careful path, record for record, on messy data.
"""

from __future__ import annotations

import json
from collections import OrderedDict, UserDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sinks import column, id_schema, schema

import mapper
from tests.test_mapping_cases import CASES, load_case
from tests.test_properties import FULL_SINK, SETTINGS, messy_records

# The three agreement properties below run each example through several entry points
# (about 0.15 s an example): 40 examples each keep the suite's CI time in bounds (60 until stop 54, when CI came within 8 s of its 10 minutes);
# test_properties runs the same record strategy 150 times against the engine itself.
OBJECT_SETTINGS = settings(SETTINGS, max_examples=40)

SIMPLE = id_schema(column("name", "string", path=["data", "name"]), column("n", "int", path=["data", "n"]), column("tags", "strings"))


def outcome(batch: mapper.Batch, lines: bool = False) -> tuple[Any, ...]:
    """Everything a caller can see of a batch, line numbers only when asked."""
    rep = batch.report
    return (
        batch.to_rows(),
        batch.record_index.tolist(),
        [(e.record, e.line if lines else None, e.column, e.path, e.code, e.reason) for e in rep.errors],
        [(w.record, w.column, w.kind, repr(w.sent), repr(w.stored)) for w in rep.warnings],
        rep.verdict,
    )


@OBJECT_SETTINGS
@given(messy_records())
def test_dicts_map_as_their_json_text_does(recs):
    m = mapper.compile_sink(FULL_SINK)
    data = "\n".join(json.dumps(r) for r in recs).encode() + b"\n"
    from_bytes = outcome(m.map(data, on_error="skip"))
    from_dicts = outcome(m.map(recs, on_error="skip"))
    careful_dicts = outcome(m.map(recs, on_error="skip", fast=False))
    assert from_dicts == from_bytes
    assert careful_dicts == from_bytes


def test_dicts_take_the_fast_path():
    m = mapper.compile_sink(SIMPLE)
    recs = [{"id": i, "data": {"name": f"n{i}", "n": i}, "tags": ["a", "b"]} for i in range(5000)]
    from mapper.engine.core import Engine

    engine = Engine(m.compiled, mapper.MapOptions())
    engine.feed_objects(recs)
    batch, _report = engine.finish()
    assert engine.stats["fast_records"] == 5000 and engine.stats["careful_records"] == 0
    assert batch is not None
    assert batch["n"].values.tolist() == list(range(5000))
    assert batch.to_rows()[7] == {"_id": 7, "name": "n7", "n": 7, "tags": ["a", "b"]}


def test_a_record_the_extractor_cannot_walk_goes_the_careful_way_and_keeps_its_place():
    m = mapper.compile_sink(SIMPLE)
    recs: list[Any] = [{"id": i, "data": {"name": "x", "n": i}} for i in range(10)]
    recs[3] = {"id": 3, "data": ["not", "an", "object"]}
    recs[6] = 6  # (a str item is a record's JSON text: test_records_given_as_their_json_texts_in_a_list_are_read_as_records)
    batch = m.map(recs, on_error="skip")
    # a path through an array is the ingester's "not an object" error, as is a record that is no object
    assert batch.record_index.tolist() == [0, 1, 2, 4, 5, 7, 8, 9]
    assert [(e.record, e.column, e.code) for e in batch.report.errors] == [(3, "name", "not_an_object"), (6, None, "not_an_object")]
    assert batch.to_rows()[3] == {"_id": 4, "name": "x", "n": 4}


@pytest.mark.parametrize(
    "wrap",
    [OrderedDict, MappingProxyType, lambda d: UserDict(d)],
    ids=["OrderedDict", "MappingProxyType", "UserDict"],
)
def test_other_mappings_are_records_too(wrap):
    m = mapper.compile_sink(SIMPLE)
    plain = [{"id": i, "data": {"name": f"n{i}", "n": -i}, "tags": ["t"]} for i in range(50)]
    wrapped = [wrap({"id": r["id"], "data": wrap(r["data"]), "tags": r["tags"]}) for r in plain]
    assert outcome(m.map(wrapped)) == outcome(m.map(plain))


def test_tuples_are_arrays_and_mappings_objects_as_in_json():
    m = mapper.compile_sink(SIMPLE)
    got = m.map([{"id": 1, "tags": ("a", "b"), "data": {"name": ("x", 1, OrderedDict(b=2, a=(3,)))}}])
    assert got.to_rows() == [{"_id": 1, "tags": ["a", "b"], "name": "[x 1 map[a:[3] b:2]]"}]
    as_text = m.map(json.dumps([{"id": 1, "tags": ["a", "b"], "data": {"name": ["x", 1, {"b": 2, "a": [3]}]}}]).encode())
    assert as_text.to_rows() == got.to_rows()


@pytest.mark.parametrize(
    "value, words",
    [({1: "a"}, "mapping key 1 is not a string"), (["ok", {2}], "builtins.set is not a JSON value"), ((np.int64(1),), "numpy.int64 is not a JSON value")],
    ids=["int-key", "set-inside", "numpy-inside"],
)
def test_non_json_values_inside_containers_are_refused_not_printed(value, words):
    m = mapper.compile_sink(SIMPLE)
    batch = m.map([{"id": 1, "data": {"name": value}}], on_error="skip")
    (err,) = batch.report.errors
    assert err.column == "name" and err.code == "invalid_value" and words in err.reason


def test_a_cyclic_value_is_an_error_not_a_crash():
    m = mapper.compile_sink(SIMPLE)
    cyclic: list[Any] = ["a"]
    cyclic.append(cyclic)
    batch = m.map([{"id": 1, "data": {"name": cyclic}}, {"id": 2}], on_error="skip")
    (err,) = batch.report.errors
    assert err.record == 0 and "nested too deeply" in err.reason
    assert batch.ids.tolist() == [2]


@pytest.mark.parametrize(
    "value",
    [np.int64(3), np.float32(1.5), np.array([1, 2]), object(), {1, 2}, b"bytes"],
    ids=["np.int64", "np.float32", "ndarray", "object", "set", "bytes"],
)
def test_non_json_python_values_are_refused_by_name_not_guessed(value):
    m = mapper.compile_sink(SIMPLE)
    batch = m.map([{"id": 1, "data": {"n": value}}, {"id": 2, "data": {"n": 5}}], on_error="skip")
    (err,) = batch.report.errors
    assert (err.record, err.column, err.code) == (0, "n", "invalid_value")
    assert type(value).__qualname__ in err.message and "not a JSON value" in err.message
    assert batch.to_rows() == [{"_id": 2, "n": 5}]


@pytest.mark.parametrize("value", [np.str_("k"), np.array(["a", "b"]), 3.5, None, ""], ids=["np.str_", "ndarray", "float", "null", "empty"])
def test_primary_keys_from_dicts_are_checked_like_any_other_value(value):
    sink = schema(column("k", "string"), column("j", "string"), primary_key_fields=["k", "j"])
    m = mapper.compile_sink(sink)
    recs = [{"k": "a", "j": "b"}, {"k": value, "j": "c"}]
    from_dicts = m.map(recs, on_error="skip")
    assert from_dicts.to_rows()[0]["_id"] == "a|b"
    if isinstance(value, (np.ndarray, np.generic)) and not isinstance(value, str):
        # refused as the stored column "k" and as the key
        assert [(e.record, e.code) for e in from_dicts.report.errors] == [(1, "invalid_value"), (1, "invalid_id")]
        assert all("numpy.ndarray is not a JSON value" in e.reason for e in from_dicts.report.errors)
    elif isinstance(value, np.str_):  # a str subclass: a string, as in JSON
        assert from_dicts.to_rows()[1]["_id"] == "k|c"
    else:  # JSON values: the same as their text
        from_text = m.map("\n".join(json.dumps(r) for r in recs).encode(), on_error="skip")
        assert outcome(from_dicts) == outcome(from_text)


def test_dicts_arrays_and_request_bodies_agree():
    m = mapper.compile_sink(SIMPLE)
    recs = [{"id": i, "data": {"name": f"n{i}", "n": i if i % 7 else "x"}, "tags": ["a"] if i % 3 else None} for i in range(300)]
    expected = outcome(m.map(recs, on_error="skip"))
    as_array = json.dumps(recs).encode()
    as_body = json.dumps({"records": [{"value": r} for r in recs]}).encode()
    for data in (as_array, as_body):
        assert outcome(m.map(data, on_error="skip")) == expected


# --- one record at a time: Mapper.check ------------------------------------------------


def _problems(batch_or_report: Any) -> list[tuple[Any, ...]]:
    rep = getattr(batch_or_report, "report", batch_or_report)
    return [(e.severity, e.column, e.path, e.code, e.reason) for e in rep.errors] + [
        (w.severity, w.column, w.path, w.kind, repr(w.sent), repr(w.stored)) for w in rep.warnings
    ]


def _checked(problems: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (p.severity, p.column, p.path, p.code, p.reason) if p.severity == "error" else (p.severity, p.column, p.path, p.kind, repr(p.sent), repr(p.stored))
        for p in problems
    ]


@OBJECT_SETTINGS
@given(messy_records(max_records=5))  # (only as many records as are checked: drawing them is most of the time)
def test_check_says_what_a_batch_of_that_one_record_says(recs):
    m = mapper.compile_sink(FULL_SINK)
    for strict in (False, True):
        for rec in recs:
            expected = _problems(m.validate([rec], on_error="skip", strict=strict))
            assert _checked(m.check(rec, strict=strict)) == expected
            assert _checked(m.check(json.dumps(rec), strict=strict)) == expected
            assert _checked(m.check(json.dumps(rec).encode() + b"\n", strict=strict)) == expected


def test_check_of_a_clean_record_is_empty_and_of_a_bad_one_names_the_place():
    m = mapper.compile_sink(SIMPLE)
    assert m.check({"id": 1, "data": {"name": "a", "n": 5}, "tags": ["x"]}) == []
    (err,) = m.check({"id": 1, "data": {"n": "five"}})
    assert (err.severity, err.column, err.path, err.code) == ("error", "n", "$.data.n", "invalid_value")
    (warn,) = m.check({"id": 1, "data": {"n": 2**60 + 1}})
    assert (warn.severity, warn.kind) == ("warning", "int_precision")
    (strict_err,) = m.check({"id": 1, "data": {"n": 2**60 + 1}}, strict=True)
    assert strict_err.code == "lossy_value"


@pytest.mark.parametrize(
    "text, code",
    [(b"", "invalid_json"), (b"  \n", "invalid_json"), (b'{"id": 1', "invalid_json"), (b"[1, 2]", "not_an_object"), (b'{"id": 1}\n{"id": 2}', "invalid_json")],
    ids=["empty", "blank", "truncated", "array", "two-records"],
)
def test_check_of_text_that_is_not_one_record(text, code):
    m = mapper.compile_sink(SIMPLE)
    problems = m.check(text)
    assert problems and problems[0].code == code and problems[0].severity == "error"


def _in_threads(work: Any, count: int = 4) -> None:
    """``work(t)`` for t in 0..count-1, each on its own thread, all at once."""
    import threading

    threads = [threading.Thread(target=work, args=(t,)) for t in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_check_from_threads_keeps_each_threads_answers_apart():
    m = mapper.compile_sink(SIMPLE)
    failures: list[str] = []

    def work(t: int) -> None:
        for i in range(400):
            bad = (i + t) % 3 == 0
            rec = {"id": i, "data": {"n": f"x{t}" if bad else i}}
            got = m.check(rec)
            if bad != bool(got) or (bad and f'"x{t}"' not in got[0].reason):
                failures.append(f"thread {t} record {i}: {got}")

    _in_threads(work)
    assert failures == []


class Hooked(Mapping):  # type: ignore[type-arg]
    """A mapping that calls ``hook`` each time a key is read (a caller's code running mid-walk)."""

    def __init__(self, d: dict[str, Any], hook: Any) -> None:
        self.d, self.hook = d, hook

    def __getitem__(self, key: str) -> Any:
        self.hook()
        return self.d[key]

    def __iter__(self) -> Any:
        return iter(self.d)

    def __len__(self) -> int:
        return len(self.d)


def test_check_of_a_mapping_whose_get_checks_or_validates_keeps_its_own_answer():
    # the thread's one checker was taken again from inside a mapping's get (a hook that
    # checks or validates something else): the outer record's errors went to the inner
    # call's collector, and a bad record came back with no problems
    m = mapper.compile_sink(SIMPLE)
    rec = {"id": 1, "data": {"n": "x", "name": 5}}
    want = [p.message for p in m.check(rec)]
    assert len(want) == 2
    hooks = [lambda: m.check({"id": 2, "data": {"n": 1}}), lambda: m.check(b'{"id": 3, "data": {"n": "y"}}'), lambda: m.validate(b'{"id": 4}')]
    for hook in hooks:
        assert [p.message for p in m.check(Hooked(rec, hook))] == want
        assert [p.message for p in m.check(rec)] == want  # and the thread's checker is whole after


# --- a str names a file unless it holds JSON ------------------------------------------------


def test_a_str_is_a_file_name_unless_it_holds_json(tmp_path, monkeypatch):
    m = mapper.compile_sink(SIMPLE)
    (tmp_path / "records.ndjson").write_bytes(b'{"id": 1}\n{"id": 2}\n')
    monkeypatch.chdir(tmp_path)
    assert m.map("records.ndjson").ids.tolist() == [1, 2]
    assert m.map(str(tmp_path / "records.ndjson")).ids.tolist() == [1, 2]
    assert m.map('{"id": 3}').ids.tolist() == [3]  # JSON text
    assert m.map('  [{"id": 4}]').ids.tolist() == [4]
    with pytest.raises(mapper.InputError, match="no such file: nothere.ndjson .a str is a file name unless it holds JSON"):
        m.map("nothere.ndjson")


# --- big inputs in batches: Mapper.iter_batches -------------------------------------------


def _skip_sink() -> mapper.Mapper:
    return mapper.compile_sink(SIMPLE)


def _records(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "data": {"name": f"n{i}", "n": "bad" if i % 97 == 5 else i}, "tags": ["a"]} for i in range(n)]


@pytest.mark.parametrize("form", ["ndjson", "array", "body", "dicts", "generator", "file"])
@pytest.mark.parametrize("size", [1, 7, 1000, 5000])
def test_batches_together_are_the_whole_input(form, size, tmp_path):
    m = _skip_sink()
    recs = _records(2345)
    ndjson = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    source: Any = {
        "ndjson": ndjson,
        "array": json.dumps(recs).encode(),
        "body": json.dumps({"records": [{"value": r} for r in recs]}).encode(),
        "dicts": recs,
        "generator": (r for r in recs),
        "file": tmp_path / "r.ndjson",
    }[form]
    (tmp_path / "r.ndjson").write_bytes(ndjson)
    batches = list(m.iter_batches(source, records=size))
    assert [b.report.records for b in batches] == [min(size, 2345 - i) for i in range(0, 2345, size)]
    whole = m.map(ndjson)  # the endpoint policy: bad records refused alone
    assert np.concatenate([b.ids for b in batches]).tolist() == whole.ids.tolist()
    assert sum((b["n"].values.tolist() for b in batches), []) == whole["n"].values.tolist()
    errors = [(e.record + k * size, e.code) for k, b in enumerate(batches) for e in b.report.errors]
    assert errors == [(e.record, e.code) for e in whole.report.errors]
    if form in ("ndjson", "file"):  # lines are the input's
        lines = [e.line for b in batches for e in b.report.errors]
        assert lines == [e.line for e in whole.report.errors] == [i + 1 for i in range(2345) if i % 97 == 5]


def test_a_batch_the_endpoint_would_discard_comes_out_empty_and_the_next_goes_on():
    sink = dict(SIMPLE, allow_missing_fields=False)
    m = mapper.compile_sink(sink)
    recs = [{"id": i, "data": {"name": "x", "n": i}, "tags": []} for i in range(30)]
    del recs[12]["data"]["n"]
    batches = list(m.iter_batches(recs, records=10))
    assert [(len(b), b.report.verdict) for b in batches] == [(10, "accepted"), (0, "discarded"), (10, "accepted")]
    assert batches[1].report.errors[0].record == 2 and batches[1]["n"].values.dtype == np.int64


def test_batches_are_read_as_they_are_asked_for():
    m = _skip_sink()
    read = []

    class Counting:
        def __init__(self, data: bytes):
            self.f = __import__("io").BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            out = self.f.read(n)
            read.append(len(out))
            return out

    data = b"".join(json.dumps(r).encode() + b"\n" for r in _records(200_000))
    it = m.iter_batches(Counting(data), records=1000)
    first = next(it)
    assert len(first) == 1000 - sum(1 for i in range(1000) if i % 97 == 5)
    assert sum(read) < len(data) / 2  # not the whole input for the first batch
    assert sum(b.report.records for b in it) == 199_000


def test_an_iterator_is_read_no_further_ahead_than_a_batch_and_its_error_comes_after_the_batches_before_it():
    # 2,048 records were pulled for a batch of 2, and a generator failing after a full
    # batch lost that batch (its look-ahead raised before the batch was yielded)
    m = _skip_sink()
    recs = _records(10)
    pulled = []

    def records() -> Any:
        for r in recs:
            pulled.append(r)
            yield r
        raise KeyError("the caller's own")

    it = m.iter_batches(records(), records=2)
    assert next(it).ids.tolist() == [0, 1] and len(pulled) <= 4
    assert [b.ids.tolist() for b in (next(it) for _ in range(4))] == [[2, 3], [4], [6, 7], [8, 9]]  # record 5 is refused
    with pytest.raises(KeyError, match="the caller's own"):
        next(it)


@pytest.mark.parametrize("size", [2, 3, 10])
def test_the_records_an_iterator_gave_before_it_failed_inside_a_batch_come_out_before_its_error(size):
    # found by a bug hunt: a generator failing part way into a batch lost the records it
    # had given for that batch (taken from it, never mapped nor reported): 0-4 with 10 a batch
    m = _skip_sink()

    def records() -> Any:
        yield from _records(5)
        raise KeyError("the caller's own")

    got = []
    with pytest.raises(KeyError, match="the caller's own"):
        for batch in m.iter_batches(records(), records=size):
            got.append(batch.ids.tolist())
    assert sum(got, []) == [0, 1, 2, 3, 4]
    assert got == [[0, 1, 2, 3, 4][i : i + size] for i in range(0, 5, size)]


def test_a_cut_gzip_stream_gives_the_records_read_before_the_cut_then_its_error():
    import gzip
    import io

    m = _skip_sink()
    data = b"".join(json.dumps({"id": i, "data": {"name": "x", "n": i}, "tags": []}).encode() + b"\n" for i in range(60_000))
    cut = gzip.compress(data)[:-100]
    got = []
    with pytest.raises(mapper.InputError, match="cannot read the input"):
        for batch in m.iter_batches(io.BytesIO(cut), records=50_000):
            got.append(len(batch))
    assert got[0] == 50_000 and len(got) == 2 and got[1] > 0  # the second batch: what was read before the cut


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_iter_batches_wants_a_whole_number_of_records(bad):
    with pytest.raises(mapper.OptionError, match="records must be a whole number"):
        _skip_sink().iter_batches(b"", records=bad)


def test_an_empty_input_gives_no_batches():
    assert list(_skip_sink().iter_batches(b"", records=10)) == []
    assert list(_skip_sink().iter_batches([], records=10)) == []


# --- one NDJSON line: validate takes the record checker's way, and says what a run says ----------


def _engine_report(m: mapper.Mapper, data: bytes, **options: Any) -> mapper.Report:
    """The reference: a full engine run over the input (units, builders, report), as any batch takes, with the
    note the API adds after either route on why records failed (``--input-format ndjson`` of JSON spread over lines)."""
    from mapper.api import _explain
    from mapper.engine.core import Engine
    from mapper.engine.reader import units_for
    from mapper.options import MapOptions

    opts = MapOptions(**options)
    engine = Engine(m.compiled, opts, output=False)
    for unit in units_for(data, opts):
        engine.feed(unit)
    report = engine.finish()[1]
    _explain(report, data, opts)
    return report


def _everything(rep: mapper.Report) -> tuple[Any, ...]:
    return (
        rep.records,
        rep.accepted,
        rep.reject_reason,
        rep.verdict,
        [(e.record, e.line, e.column, e.path, e.code, e.reason, e.pointer) for e in rep.errors],
        [(w.record, w.line, w.column, w.kind, repr(w.sent), repr(w.stored), w.reason) for w in rep.warnings],
        sorted(rep.error_counts.items(), key=repr),
        sorted(rep.warning_counts.items(), key=repr),
        rep.failed_records,
        list(rep.failed),
        bytes(rep.failed_only_missing),
        [(r.record, r.line, r.raw, [e.code for e in r.errors]) for r in rep.rejected],
        rep.notes,
    )


@OBJECT_SETTINGS
@given(messy_records(max_records=4))
def test_validate_of_one_line_says_what_an_engine_run_says(recs):
    m = mapper.compile_sink(FULL_SINK)
    for rec in recs:
        line = json.dumps(rec).encode()
        for text in (line, line + b"\n", line + b"\r\n"):
            for opts in ({}, {"strict": True}, {"on_error": "reject"}, {"on_error": "skip", "max_errors": 0}):
                assert _everything(m.validate(text, **opts)) == _everything(_engine_report(m, text, **opts)), (text, opts)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_validate_of_each_golden_line_alone_says_what_an_engine_run_says(path):
    sink, records, _expected, options = load_case(path)
    m = mapper.compile_sink(sink)
    options.pop("workers", None)
    for line in records.split(b"\n"):
        if line.strip():
            assert _everything(m.validate(line, **options)) == _everything(_engine_report(m, line, **options)), line


def test_a_few_lines_take_the_checker_way_and_anything_else_the_engine(monkeypatch):
    from mapper.engine import runner
    from mapper.engine.check import SMALL_INPUT

    m = mapper.compile_sink(SIMPLE)
    line = b'{"id": 1, "data": {"n": "five"}}'
    built: list[int] = []
    real = runner.Engine

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "Engine", counting)
    most = (line + b"\n") * (SMALL_INPUT - 1) + line  # (no final newline)
    for text in (line, line + b"\n", line.decode(), line + b"\r\n" + line, (line + b"\n") * SMALL_INPUT, most):
        rep = m.validate(text)
        n = len((text.encode() if isinstance(text, str) else text).rstrip(b"\n").split(b"\n"))
        assert (rep.records, rep.failed_records, rep.errors[-1].line, rep.rejected[-1].raw) == (n, n, n, line)
    assert built == []
    # too many lines, a blank line, a request body, a records path, a map (a Batch), a leading blank: a run of the engine
    m.validate((line + b"\n") * (SMALL_INPUT + 1))
    m.validate(most + b"\n" + line)
    m.validate(line + b"\n\n" + line)
    m.validate(line + b"\n \t\n")
    m.validate(b'{"records": [{"value": {"id": 1}}]}')
    m.validate(b'{"items": [{"id": 1}]}', records_path="items")
    m.map(b'{"id": 1}')
    m.validate(b' {"id": 1}')
    assert len(built) == 8


#: FULL_SINK without the columns whose quick form is their converter (a timestamp layout,
#: dateInt): the few-lines route judges records by the quick forms; keyed by a string and by an id
QUICK_SINK = dict(FULL_SINK, definition=[c for c in FULL_SINK["definition"] if c["name"] not in ("tsl", "di")])
QUICK_ID_SINK = {k: v for k, v in QUICK_SINK.items() if k != "primary_key_fields"} | {"id_field": "u"}


_FEW_LINES_ENDS = (b"\n", b"\n\n", b"\r\n")  # (joined by the first two bytes; the second ends the text with a newline)
_FEW_LINES_OPTIONS = ({}, {"strict": True}, {"on_error": "reject"}, {"on_error": "skip", "max_errors": 1})


@settings(SETTINGS, max_examples=80)  # (one line ending and one set of options each)
@given(messy_records(max_records=12), st.sampled_from(_FEW_LINES_ENDS), st.sampled_from(_FEW_LINES_OPTIONS))
def test_validate_of_a_few_lines_says_what_an_engine_run_says(recs, ends, opts):
    # the quick forms vouch for some records, the careful path takes the others: the
    # report is the engine's, with record indices and lines in order (each example one line
    # ending and one set of options, drawn: all twelve for each example took 23 s of CI)
    from mapper.engine.fast import plan_for

    lines = [json.dumps(rec).encode() for rec in recs]
    text = b"\n".join(lines) + b"\n" if ends == b"\n\n" else ends.join(lines)
    for sink in (FULL_SINK, QUICK_SINK, QUICK_ID_SINK):
        m = mapper.compile_sink(sink)
        assert plan_for(m.compiled).quick is not None  # (else this compares the engine with itself)
        assert _everything(m.validate(text, **opts)) == _everything(_engine_report(m, text, **opts)), (text, opts)


#: Values of QUICK_SINK's columns of the exact tier's types: typical ones, and (one in
#: twenty) ones near the quick forms' edges (ranges, 2**53, float products that truncate)
_EXACT_TYPED = {
    "id": (st.text(min_size=1, max_size=3), st.sampled_from(["", "\u00e9"])),
    "ts": (st.integers(0, 2**45), st.sampled_from([-(2**53), 2**53, 2**53 + 1, -62135596799001, 253402300799999, 253402300800000])),
    "i": (st.integers(-1000, 1000), st.sampled_from([-1000000, 1000000, 1000001, -1000001])),
    "big": (st.integers(-(2**53), 2**53), st.sampled_from([2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**64])),
    "u": (st.integers(0, 2**53), st.sampled_from([2**53 + 1, -1, 2**64])),
    "dec": (
        st.one_of(st.integers(-(10**6), 10**6), st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(float)),
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([-43.416, 4.1255, 2.0**51 / 1000, 1e15, 9.2e15, 2**53 + 1])),
    ),
    "b": (st.booleans(), st.booleans()),
    "s": (st.text(min_size=1, max_size=3), st.sampled_from(["\u00e9", "\U0001f600"])),
    "ss": (st.lists(st.text(min_size=1, max_size=2), max_size=3), st.lists(st.text(max_size=2), max_size=3)),
    "ii": (st.lists(st.integers(0, 99), max_size=3), st.lists(st.sampled_from([0, 2**53, 2**53 + 1, 2**64 - 1]), max_size=3)),
    "x": (st.integers(-50, 50), st.sampled_from([2**53, -(2**53) - 1])),
}


@st.composite
def exact_typed_records(draw: Any) -> dict[str, Any]:
    def value(key: str) -> Any:
        typical, edge = _EXACT_TYPED[key]
        pick = draw(st.integers(0, 79))
        return draw(typical) if pick >= 4 else draw(edge) if pick else draw(st.sampled_from([None, "7", 1.5]))

    rec: dict[str, Any] = {"id": value("id"), "ts": value("ts"), "d": {}, "e": {}}
    for key in ("i", "big", "u", "dec", "b", "s"):
        if draw(st.integers(0, 39)):  # now and then missing
            rec["d"][key] = value(key)
    for key in ("ss", "ii", "x"):
        rec["e"][key] = value(key)
    return rec


@OBJECT_SETTINGS
@given(st.lists(exact_typed_records(), min_size=1, max_size=10))
def test_validate_of_a_few_exact_typed_lines_says_what_an_engine_run_says(recs):
    # records the exact tier decodes: the quick forms judge each column's list, and
    # value by value when a list has a value they do not vouch for
    lines = [json.dumps(rec).encode() for rec in recs]
    text = b"\n".join(lines)
    for sink in (QUICK_SINK, QUICK_ID_SINK):
        m = mapper.compile_sink(sink)
        for opts in ({}, {"strict": True}, {"on_error": "skip", "max_errors": 1}):
            assert _everything(m.validate(text, **opts)) == _everything(_engine_report(m, text, **opts)), (text, opts)
        for rec, line in zip(recs, lines):  # check of the text (the quick forms) and of the dict (the careful path)
            for strict in (False, True):
                assert m.check(line, strict=strict) == m.check(rec, strict=strict), (line, strict)


@OBJECT_SETTINGS
@given(st.lists(exact_typed_records(), min_size=3, max_size=8), st.data())
def test_a_few_lines_holding_two_values_or_half_of_one_are_what_the_engine_says(recs, data):
    # the few-lines route decoded the lines with decode_lines and counted the values: a
    # line holding two objects beside a record spread over two lines made as many values
    # as lines, and both lines, invalid_json to the engine, were accepted (found by review)
    lines = [json.dumps(rec).encode() for rec in recs]
    i = data.draw(st.integers(0, len(lines) - 2))
    lines[i : i + 2] = [lines[i] + data.draw(st.sampled_from([b" ", b"", b"\t", b",", b", "])) + lines[i + 1]]
    j = data.draw(st.integers(0, len(lines) - 1))
    cut = lines[j].index(b",") + 1
    # the comma kept or dropped: dropped, the lines joined with one ("[" + lines + "]", as the
    # route decoded them once) are one whole object, so a line of two (", " above) made as
    # many values as lines, and two broken lines were accepted (found by review)
    lines[j : j + 1] = [lines[j][: cut - data.draw(st.integers(0, 1))], lines[j][cut:].lstrip()]
    text = b"\n".join(lines)
    for sink in (QUICK_SINK, QUICK_ID_SINK):
        m = mapper.compile_sink(sink)
        for opts in ({}, {"on_error": "reject"}, {"input_format": "ndjson"}):
            assert _everything(m.validate(text, **opts)) == _everything(_engine_report(m, text, **opts)), (text, opts)


def test_the_quick_forms_vouch_for_clean_values_and_the_careful_path_words_the_rest(monkeypatch):
    from mapper.engine import careful

    m = mapper.compile_sink(QUICK_SINK)
    good = {"id": "a", "ts": 1659981468260, "d": {"i": 5, "big": 7, "u": 3, "dec": 4.125, "b": True, "s": "x"}, "e": {"ss": ["p"], "ii": [1], "x": 2}}
    lines = [json.dumps(dict(good, id=f"r{i}")).encode() for i in range(6)]
    lines[2] = lines[2].replace(b'"dec": 4.125', b'"dec": 4.1255')  # Scale 3: truncated, a warning
    lines[4] = lines[4].replace(b'"i": 5', b'"i": "five"')  # an error
    lines[5] = lines[5].replace(b'"x"', b'"\xff"')  # not UTF-8: decoded line by line
    seen: list[tuple[str, int]] = []
    for name in ("raw", "element"):
        real = getattr(careful.CarefulPath, name)
        monkeypatch.setattr(
            careful.CarefulPath, name, lambda self, *a, _real=real, _name=name: (seen.append((_name, a[2] if _name == "element" else a[1])), _real(self, *a))[1]
        )
    rep = m.validate(b"\n".join(lines))
    # the undecodable records whole (each of their values too); the one lossy value is not
    # converted: its warning is the vector form's, worded when read (ColumnType.quick_lossy)
    whole = {pos for name, pos in seen if name == "raw"}
    assert whole == {4, 5} and [pos for name, pos in seen if name == "element" and pos not in whole] == []
    assert [(w.record, w.line, w.column, w.kind) for w in rep.warnings] == [(2, 3, "dec", "decimal_truncated"), (5, 6, None, "utf8_replaced")]
    assert [(e.record, e.line, e.column) for e in rep.errors] == [(4, 5, "i")]
    assert (rep.records, rep.failed_records) == (6, 1)
    monkeypatch.undo()
    assert _everything(m.validate(b"\n".join(lines), fast=False)) == _everything(rep)  # every record carefully: the same report


def test_validate_of_one_line_from_threads_keeps_each_threads_report():
    m = mapper.compile_sink(SIMPLE)
    failures: list[str] = []

    def work(t: int) -> None:
        for i in range(300):
            bad = (i + t) % 3 == 0
            line = json.dumps({"id": i, "data": {"n": f"x{t}" if bad else i}}).encode()
            rep = m.validate(line)
            if rep.failed_records != bad or (bad and (f'"x{t}"' not in rep.errors[0].reason or rep.rejected[0].raw != line)):
                failures.append(f"thread {t} record {i}: {rep.errors}")

    _in_threads(work)
    assert failures == []


def test_jmespath_columns_read_a_callers_record_as_its_json_text():
    # the jmespath library walks dict and list only: a tuple or another Mapping was missing
    # (or a "invalid type" error), and a bytes leaf was read as missing instead of refused
    import types

    def sink(path, allow_missing=True):
        definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "c", "path": path, "type": "string"}]
        return mapper.compile_sink({"id_field": "id", "allow_missing_fields": allow_missing, "definition": definition})

    cases = [
        ("a[0]", {"id": 1, "a": ("x", "y")}),
        ("length(a)", {"id": 1, "a": ("x", "y")}),
        ("keys(a)[0]", {"id": 1, "a": types.MappingProxyType({"k": 1})}),
        ("a.b[1].c", types.MappingProxyType({"id": 1, "a": {"b": ({"c": "p"}, types.MappingProxyType({"c": "q"}))}})),
    ]
    for path, rec in cases:
        as_text = json.dumps(
            {"id": 1, **{k: v for k, v in rec.items() if k != "id"}}, default=lambda o: dict(o) if isinstance(o, types.MappingProxyType) else list(o)
        )
        for m in (sink(path), sink(path, allow_missing=False)):
            want = m.map(as_text).to_rows()
            assert want[0].get("c") is not None, (path, want)
            assert m.map([rec]).to_rows() == want and m.map([rec] * 40).to_rows() == want * 40, path
            assert m.check(rec) == m.check(as_text) and not [p for p in m.check(rec) if isinstance(p, mapper.RecordError)], path
    # no JSON text: refused by name, as a plain path refuses the value
    report = sink("a[0]").validate([{"id": 1, "a": b"xy"}] * 3)
    assert report.error_counts == {("c", "invalid_value"): 3}
    assert "no JSON text, which a JMESPath expression reads whole: a Python builtins.bytes is not a JSON value" in report.errors[0].message
    assert sink(["a"]).validate([{"id": 1, "a": b"xy"}]).errors[0].code == "invalid_value"
    report = sink("to_string(a)").validate([{"id": 1, "a": "x", 7: "y"}])  # (a plain path reads only its own keys)
    assert "a Python mapping key 7 is not a string" in report.errors[0].message
    # what json.dumps writes as JSON is read so: str and list subclasses; a cycle is refused, not a crash

    class Key(str):
        pass

    class Items(list):
        pass

    assert sink("to_string(a.b)").map([{"id": 1, "a": {Key("b"): "v"}}]).to_rows() == [{"_id": 1, "c": "v"}]
    assert sink("a[0]").map([{"id": 1, "a": Items(["x"])}]).to_rows() == [{"_id": 1, "c": "x"}]
    cyclic: dict[str, Any] = {"id": 1, "a": "x"}
    cyclic["self"] = cyclic
    report = sink("to_string(a)").validate([cyclic])
    assert report.error_counts == {("c", "invalid_value"): 1} and "holds itself" in report.errors[0].message
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    assert sink("a").map([{"id": 1, "a": Level.HIGH}]).to_rows() == sink("a").map('{"id": 1, "a": 3}').to_rows()


def test_jmespath_functions_take_a_callers_subclasses_as_their_builtin_types():
    # the jmespath library types arguments by class name: a list or str subclass or an IntEnum was "unknown"
    import enum

    class Tags(list):
        pass

    class Text(str):
        pass

    class Level(enum.IntEnum):
        LOW = -3

    def sink(path):
        definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "c", "path": path, "type": "string"}]
        return mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})

    rec = {"id": 1, "tags": Tags(["b", "a"]), "s": Text("xyz"), "e": Level.LOW, Text("k"): {"x": 1}}
    text = '{"id": 1, "tags": ["b", "a"], "s": "xyz", "e": -3, "k": {"x": 1}}'
    for path in ("length(tags)", "length(s)", "abs(e)", "sort(tags)[0]", "k.x"):
        assert sink(path).map([rec]).to_rows() == sink(path).map(text).to_rows(), path
        assert not sink(path).validate([rec]).errors, path


# ---------------------------------------------------------------------------------------
# Found by a hunt of the Python API with producers' values (each failed before its fix)

FLAT = id_schema(column("s", "string"), column("t", "strings"))


def test_any_mapping_alone_is_one_record_and_bodies_take_tuples_and_mappings():
    m = mapper.compile_sink(FLAT)
    rec = {"id": 1, "s": "a"}
    expected = m.map([rec]).to_rows()
    # a MappingProxyType given alone was iterated: one not_an_object record per key
    assert m.map(MappingProxyType(rec)).to_rows() == expected
    assert [b.to_rows() for b in m.iter_batches(MappingProxyType(rec))] == [expected]
    body = {"records": [{"value": rec}]}
    for odd in ({"records": ({"value": rec},)}, {"records": [MappingProxyType({"value": rec})]}, MappingProxyType(body)):
        assert m.map(odd).to_rows() == expected, odd


class Trickle:
    """An unbuffered stream (a pipe, a socket): each read answers with at most ``step`` bytes."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step = data, step

    def read(self, n: int = -1) -> bytes:
        k = len(self.data) if n < 0 else min(n, self.step)
        out, self.data = self.data[:k], self.data[k:]
        return out


def test_a_short_first_read_is_not_the_whole_input():
    m = mapper.compile_sink(FLAT)
    recs = [{"id": i, "s": "x", "t": ["a", "b"]} for i in range(1, 4)]
    pretty = "\n".join(json.dumps(r, indent=2) for r in recs).encode()  # several records, each over lines (jq's output)
    body = json.dumps({"records": [{"value": r} for r in recs]}).encode()
    expected = m.map(recs).to_rows()
    for data in (pretty, body, json.dumps(recs, indent=1).encode()):
        for step in (1, 10, 20):
            assert m.map(Trickle(data, step)).to_rows() == expected, (data[:20], step)


def test_a_non_blocking_stream_with_nothing_ready_is_an_input_error():
    class Empty:
        def read(self, n: int = -1) -> None:
            return None

    with pytest.raises(mapper.InputError, match="non-blocking"):
        mapper.compile_sink(FLAT).validate(Empty())


def test_a_stream_may_read_into_any_bytes_like_object_and_one_that_reads_no_bytes_is_an_input_error():
    # found by a bug hunt: a read() answering a memoryview (zero-copy readers) raised
    # AttributeError from the format's detection; a bytearray was taken
    m = mapper.compile_sink(FLAT)
    recs = [{"id": i, "s": "x", "t": ["a"]} for i in range(1, 4000)]
    expected = m.map(recs).to_rows()

    class Views(Trickle):
        def read(self, n: int = -1) -> Any:
            return memoryview(super().read(n))

    for data in (b"".join(json.dumps(r).encode() + b"\n" for r in recs), json.dumps(recs).encode()):
        assert m.map(Views(data, 1 << 20)).to_rows() == m.map(Views(data, 4096)).to_rows() == expected
        assert [b.to_rows() for b in m.iter_batches(Views(data, 4096), records=5000)] == [expected]

    class Numbers:
        def read(self, n: int = -1) -> int:
            return 5

    with pytest.raises(mapper.InputError, match="read.. returned an int, not bytes"):
        m.validate(Numbers())


def test_reasons_hold_no_unpaired_surrogate_and_odd_keys_are_refused_not_raised():
    m = mapper.compile_sink(FLAT)
    for records in ([{"id": "\ud800"}], [{"id": 1, "s": {"x": "\ud800"}}, "\udc00"], [{"id": 1, "t": ["\ud800", 5]}]):
        report = m.validate(records)
        assert report.errors
        json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # raised UnicodeEncodeError: a raw surrogate in a reason
    # a mapping with a key JSON has no form for, holding an unpaired surrogate: a TypeError from json.dumps before
    for value in ({(1,): "\ud800"}, [{(1,): "\ud800"}]):
        for col in ("s", "t", "id"):
            (err,) = [p for p in m.check({"id": 1, col: value}) if isinstance(p, mapper.RecordError)]
            assert "not a string, as JSON object keys are" in err.reason and err.column == col
    pk = mapper.compile_sink(schema(column("k", "string"), primary_key_fields=["k"]))
    (err,) = pk.check({"k": {(1,): "\ud800"}})
    assert err.code == "invalid_id" and "not a string" in err.reason


def test_subclasses_are_stored_as_the_builtin_type_their_json_text_decodes_to():
    import enum

    class Kind(str, enum.Enum):
        A = "t"

    class Odd(int):
        def __str__(self) -> str:
            return "weird"

    m = mapper.compile_sink(FLAT)
    batch = m.map([{"id": 1, "s": Kind.A}, {"id": 2, "s": np.str_("u")}])
    assert [type(v) for v in batch["s"].values] == [str, str] and batch.to_rows() == [{"_id": 1, "s": "t"}, {"_id": 2, "s": "u"}]
    pk = mapper.compile_sink(schema(column("k", "string"), column("s", "string"), primary_key_fields=["k", "s"]))
    rec = {"k": Odd(5), "s": Kind.A}
    text = json.dumps({"k": 5, "s": "t"})
    assert pk.check(rec) == pk.check(text)  # a spurious string_from_value warning on _id (str() of the subclass)
    assert pk.map([rec]).ids.tolist() == pk.map(text).ids.tolist() == ["5|t"]
    assert type(pk.map([{"k": Kind.A, "s": "x"}]).ids[0]) is str


def test_validating_dicts_holds_no_set_rows_during_or_after_the_run():
    # a validate of dicts with big comma strings held each unit's set rows (2,048
    # records: ~7x the input; 98 MB for 14 MB of comma strings) in the scratch builders,
    # and kept them after returning (the builders are pooled): nothing reads a
    # validate-only run's rows back
    import gc
    import tracemalloc

    m = mapper.compile_sink(schema(column("k", "string"), column("tags", "strings"), primary_key_fields=["k"]))
    recs = [{"k": f"r{i}", "tags": ",".join(f"t{i}-{j}" for j in range(1000))} for i in range(200)]
    sent = sum(len(r["tags"]) for r in recs)  # ~2 MB
    gc.collect()
    tracemalloc.start()
    try:
        report = m.validate(recs)
        assert report.accepted and report.records == 200 and report.warning_counts == {("tags", "comma_split"): 200}
        del report  # (its kept warnings hold their stored sets: bounded by report.KEEP_BYTES)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < sent / 2, (held, sent)  # (the old code held ~6x the input here)
    # during the run too: the pooled builders of a set column never held a row
    pools = m.compiled.memo["scratch_builders"].free
    assert pools and all(not any(b.sets or ()) for builders, _ids in pools for b in builders.values())
    # a map keeps them, as it must
    batch = m.map(recs[:3])
    assert [len(row["tags"]) for row in batch.to_rows()] == [1000] * 3


def test_a_file_may_be_any_os_pathlike_one_naming_it_in_bytes_too(tmp_path):
    # found by a bug hunt: os.scandir(b"dir") gives entries whose os.fspath is bytes; the
    # sink, the records and read_batch each raised pathlib's TypeError for them
    import os

    pytest.importorskip("pyarrow")
    (tmp_path / "sink.json").write_text(json.dumps(SIMPLE))
    (tmp_path / "r.ndjson").write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in _records(300)))
    entries = {e.name: e for e in os.scandir(os.fsencode(tmp_path))}
    assert isinstance(os.fspath(entries[b"sink.json"]), bytes)
    m = mapper.compile_sink(entries[b"sink.json"])
    assert mapper.check_sink(entries[b"sink.json"]).valid
    records = entries[b"r.ndjson"]
    whole = m.map(tmp_path / "r.ndjson")
    assert m.map(records).to_rows() == whole.to_rows()
    assert m.map(records, workers=2).to_rows() == whole.to_rows()
    assert m.validate(records).error_counts == whole.report.error_counts
    assert sum(len(b) for b in m.iter_batches(records, records=100)) == len(whole)
    whole.to_arrow()  # (the extra is there)
    out = tmp_path / "out.parquet"
    __import__("pyarrow.parquet").parquet.write_table(whole.to_arrow(), out)
    assert mapper.read_batch(os.fsencode(out)).to_rows() == whole.to_rows()
    assert mapper.read_batch({e.name: e for e in os.scandir(os.fsencode(tmp_path))}[b"out.parquet"]).to_rows() == whole.to_rows()

    class BytesPath(os.PathLike):  # type: ignore[type-arg]
        def __fspath__(self) -> bytes:
            return os.fsencode(tmp_path / "none.ndjson")

    with pytest.raises(mapper.InputError, match=r"no such file: .*none\.ndjson$"):
        m.map(BytesPath())
    with pytest.raises(mapper.DefinitionError, match=r"no such file: .*none\.ndjson"):
        mapper.load_sink(BytesPath())
    with pytest.raises(mapper.InputError, match="read_batch reads"):
        mapper.read_batch(None)  # type: ignore[arg-type]


def test_a_column_the_batch_does_not_hold_is_a_key_error_saying_what_it_holds() -> None:
    # found by a bug hunt: batch["id"] of the id_field column was a bare KeyError('id')
    m = mapper.compile_sink(id_schema(column("b", "bool")))
    batch = m.map([{"id": 1, "b": True}])
    with pytest.raises(KeyError, match=r"no column 'id' in the batch \(columns: 'b'\); 'id' only makes the record's _id: batch.ids"):
        batch["id"]
    with pytest.raises(KeyError, match=r"no column 'nope' in the batch \(columns: 'b'\)\"?$"):
        batch["nope"]
    assert batch["b"].values.tolist() == [True]


def test_the_options_of_a_call_are_its_own_however_alike_the_calls_before() -> None:
    # the options are made once per distinct arguments: -0.0 == 0.0 (and hashes alike), but a
    # share of -0.0 is reported as such, as MapOptions(max_errors=-0.0) holds it
    m = mapper.compile_sink(SIMPLE)
    line = b'{"id": 1, "data": {"n": "five"}}'
    for first, then in ((0.0, -0.0), (-0.0, 0.0)):
        m.validate(line, on_error="skip", max_errors=first)
        rep = m.validate(line, on_error="skip", max_errors=then)
        assert rep.reject_reason == f"1 record failed, more than max_errors allows (0: {then * 100:g}% of 1 record)", (first, then)
    nan = float("nan")
    with pytest.raises(mapper.OptionError, match="max_errors"):
        m.validate(line, on_error="skip", max_errors=nan)


@OBJECT_SETTINGS
@given(
    st.lists(
        st.one_of(
            exact_typed_records().map(lambda r: json.dumps(r).encode()),
            st.sampled_from([b"{", b"[", b"{}", b"[1]", b'{"records": [{"value": {}}]}', b'{"a": 1e400}', b'{"a": "\xff"}', b" ", b"{ ", b'{"a": [', b"}"]),
        ),
        min_size=2,
        max_size=6,
    )
)
def test_a_few_lines_told_ndjson_by_the_exact_decoder_are_ndjson_by_the_general_rule(lines):
    # few_lines skips detect_format when the sink's exact decoder takes the first line and
    # the next starts with "{": the general rule must say NDJSON for every such input
    from mapper.engine.check import _usual_ndjson
    from mapper.engine.reader import HEAD_SIZE, format_of

    text = b"\n".join(lines)
    nl = text.find(b"\n")
    for sink in (QUICK_SINK, QUICK_ID_SINK):
        compiled = mapper.compile_sink(sink).compiled
        if _usual_ndjson(compiled, text, nl, text.split(b"\n")):
            assert format_of(text[: HEAD_SIZE + 1]) == "ndjson", text


def test_records_given_as_their_json_texts_in_a_list_are_read_as_records():
    # Mapper.map(["{...}", ...]) refused each item ("Expected `object`, got `str`"), while
    # mapper.infer read the same list as records, and Batcher.add_many and check took JSON text
    m = mapper.compile_sink(SIMPLE)
    records = [{"id": 1, "data": {"name": "a", "n": 5}, "tags": ["x"]}, {"id": 2, "data": {"n": "many"}}, {"id": 3, "data": {"name": "c\ud800"}}]
    texts = [json.dumps(r) for r in records]
    ndjson = ("\n".join(texts) + "\n").encode("utf-8", "surrogatepass")

    def outcome(report: Any) -> Any:
        return report.records, [(e.record, e.column, e.code) for e in report.errors], [(w.record, w.column, w.kind) for w in report.warnings]

    expected = outcome(m.validate(ndjson))
    assert expected[0] == 3 and expected[1] == [(1, "n", "invalid_value")] and [(w[0], w[2]) for w in expected[2]] == [(2, "utf8_replaced")]
    pretty = [json.dumps(r, indent=2) for r in records]  # a record's text over lines is one record
    for items in (texts, tuple(texts), iter(texts), [t.encode("utf-8", "surrogatepass") for t in texts], pretty, [texts[0], records[1], texts[2]]):
        assert outcome(m.validate(items)) == expected
    assert m.map(texts, on_error="skip").to_rows() == m.map(ndjson, on_error="skip").to_rows()
    assert [b.report.records for b in m.iter_batches(texts * 3, records=4)] == [4, 4, 1]
    # a text that is not a record: refused as the same line of a file is, on the line of the NDJSON the texts would make
    report = m.validate(['{"id": 1', "[1, 2]", "records.ndjson", texts[0]])
    assert [(e.record, e.code, e.line) for e in report.errors] == [(0, "invalid_json", 1), (1, "not_an_object", 2), (2, "invalid_json", 3)]
    assert report.success_count == 1
    # with records_path, each text is a document
    docs = [json.dumps({"now": 1, "items": records[:2]}), json.dumps({"now": 2, "items": records[2:]})]
    assert outcome(m.validate(docs, records_path="items")) == expected
    # a str inside a Python request body or document is the JSON string it is there: no record
    for body, kw in (
        ({"records": [{"value": texts[0]}]}, {"input_format": "endpoint"}),
        ({"records": [{"value": texts[0]}]}, {}),
        ({"items": texts}, {"records_path": "items"}),
    ):
        report = m.validate(body, **kw)
        assert report.success_count == 0 and {e.code for e in report.errors} == {"not_an_object"}, (body, kw)
    # mapper.infer reads them alike, and its draft takes them
    result = mapper.infer(texts, id_field="id")
    assert result.records == 3 and result.bad_records == 0 and result.verified == {"records": 3, "refused": 0, "errors": {}}
    assert mapper.compile_sink(result.body).validate(texts).records == 3
    assert mapper.infer(docs, records_path="items", id_field="id").records == 3


def test_a_blank_json_text_among_records_given_as_texts_is_refused_as_check_refuses_it():
    # a blank str item was read as a request body's item without "value" ('the request body item
    # has no "value"'), as was a blank one in mapper.infer's list of records
    m = mapper.compile_sink(SIMPLE)
    report = m.validate(["", '{"id": 1}', "  \n", b"", '{"id": 2}'])
    assert report.records == 5 and report.success_count == 2
    reason = m.check("")[0].reason
    assert reason == "no record: the text is empty"
    assert [(e.record, e.code, e.reason, e.line) for e in report.errors] == [(i, "invalid_json", reason, i + 1) for i in (0, 2, 3)]
    result = mapper.infer([{"id": "a"}, "", '{"id": "b"}'])
    assert result.records == 3 and result.objects == 2 and result.bad_examples == [{"record": 1, "line": 2, "reason": reason}]
    assert result.bad_kinds == {"not valid JSON": 1}


# A sink whose path nodes have several children at two levels: the dict extractor reads a
# node's keys together (one itemgetter of all of them, then transposed), and falls back to
# key by key when some dict lacks one; split into parts (PART_NODES), a node's children
# are read in several groups.
SIBLINGS = id_schema(
    column("a", "string"),
    column("x", "int", path=["d", "x"]),
    column("y", "string", path=["d", "y"]),
    column("p", "int", path=["d", "e", "p"]),
    column("q", "bool", path=["d", "e", "q"]),
    column("z", "decimal", path=["d", "z"], Scale=2),
)


def _sibling_records(n: int, seed: int) -> list[dict[str, Any]]:
    import random

    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        e: Any = {"p": i, "q": i % 2 == 0}
        d: Any = {"x": i, "y": f"y{i}", "e": e, "z": i / 4}
        rec: dict[str, Any] = {"id": i, "a": f"a{i}", "d": d}
        kind = rnd.randrange(12)
        if kind == 0:
            del rec["a"]  # a key missing at the top
        elif kind == 1:
            del d["y"]  # ... in a nested dict
        elif kind == 2:
            del e["q"]  # ... two levels down
        elif kind == 3:
            rec["d"] = None  # null where the walk goes on
        elif kind == 4:
            d["e"] = [1, 2]  # not an object where the walk goes on
        elif kind == 5:
            rec["extra"] = {"x": 1}  # keys nobody maps
        recs.append(rec)
    return recs


@pytest.mark.parametrize("part_nodes", [1, 2, 3, 200])
@pytest.mark.parametrize("seed", [1, 2])
def test_dicts_with_keys_missing_here_and_there_map_as_their_json_text(part_nodes: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import mapper.compiler

    monkeypatch.setattr(mapper.compiler, "PART_NODES", part_nodes)
    m = mapper.compile_sink(SIBLINGS)
    recs = _sibling_records(300, seed)
    data = "\n".join(json.dumps(r) for r in recs).encode() + b"\n"
    from_dicts = m.map(recs, on_error="skip")
    assert outcome(from_dicts) == outcome(m.map(data, on_error="skip")) == outcome(m.map(recs, on_error="skip", fast=False))
    # and the values are the records' own (not another key's, not another record's)
    rows = {r["_id"]: r for r in from_dicts.to_rows()}
    for rec in recs:
        d = rec.get("d")
        if rec["id"] in rows and isinstance(d, dict):
            row = rows[rec["id"]]
            assert (row.get("a"), row["x"], row.get("y")) == (rec.get("a"), d["x"], d.get("y"))  # (a missing value: no key)
            if isinstance(d["e"], dict):
                assert (row["p"], row.get("q")) == (d["e"]["p"], d["e"].get("q"))
    # every group read at once, where no dict lacks a key
    whole = [r for r in _sibling_records(50, seed) if "a" in r and isinstance(r["d"], dict) and set(r["d"]) == {"x", "y", "e", "z"}]
    whole = [r for r in whole if isinstance(r["d"]["e"], dict) and "q" in r["d"]["e"]]
    assert outcome(m.map(whole)) == outcome(m.map("\n".join(json.dumps(r) for r in whole) + "\n"))
