"""Consistency of the Python API (bug hunt 57): every integer option reads a value the same way,
``Batch.check`` refuses what ``read_batch`` refuses, a refused record's ``raw`` is the same
whichever door it came in by, and ``check_sink`` says one key's problems in one warning."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import numpy as np
import pytest
from sinks import column, id_schema

import mapper
from mapper.endpoint import Limits
from mapper.serve import App, Server
from mapper.store import Store

SINK = id_schema(column("n", "int"), column("s", "string"))
M = mapper.compile_sink(json.dumps(SINK))
RECORDS = [{"id": 1, "n": 1, "s": "a"}, {"id": 2, "n": 2, "s": "b"}]
URL = "http://127.0.0.1:9/v2/sinks/x"


# --- 1. every integer option reads a value the same way ---------------------------------------------


def _rows(**kw: Any) -> Any:
    st = Store(":memory:")
    try:
        st.create_sink(json.dumps(SINK), sink_id="x")
        if "page" in kw:
            return list(st.iter_rows("x", **kw))
        return st.rows("x", **kw)
    finally:
        st.close()


def _app(**kw: Any) -> Any:
    st = Store(":memory:")
    try:
        return App(st, **kw)
    finally:
        st.close()


def _server(**kw: Any) -> Any:
    st = Store(":memory:")
    try:
        server = Server(App(st), **kw)
        server.httpd.server_close()
        return server
    finally:
        st.close()


#: every integer option of the public API: (name as its message says it, a call given the value, a value
#: taken, whether None is taken: the option's default, no limit)
INTEGER_OPTIONS: list[tuple[str, Callable[[Any], Any], int, bool]] = [
    ("workers", lambda v: M.map(RECORDS, workers=v), 1, False),
    ("max_record_size", lambda v: M.map(RECORDS, max_record_size=v), 4096, False),
    ("max_record_size", lambda v: M.validate(RECORDS, max_record_size=v), 4096, False),
    ("max_record_size", lambda v: M.check(RECORDS[0], max_record_size=v), 4096, True),
    ("max_record_size", lambda v: mapper.MapOptions(max_record_size=v), 4096, False),
    ("workers", lambda v: mapper.MapOptions(workers=v), 2, False),
    ("records", lambda v: list(M.iter_batches(RECORDS, records=v)), 1, False),
    ("max_records", lambda v: mapper.Batcher(M, max_records=v), 10, False),
    ("max_bytes", lambda v: mapper.Batcher(M, max_bytes=v), 1000, False),
    ("body_records", lambda v: Limits(body_records=v), 10, True),
    ("body_bytes", lambda v: Limits(body_bytes=v), 1000, True),
    ("retries=", lambda v: mapper.Sender(URL, retries=v), 2, False),
    ("body_records=", lambda v: mapper.Sender(URL, body_records=v), 10, True),
    ("body_bytes=", lambda v: mapper.Sender(URL, body_bytes=v), 1000, True),
    ("offset=", lambda v: _rows(offset=v), 0, False),
    ("limit=", lambda v: _rows(limit=v), 5, True),
    ("page=", lambda v: _rows(page=v), 5, False),
    ("max_body_bytes", lambda v: _app(max_body_bytes=v), 1000, True),
    ("port=", lambda v: _server(port=v), 0, False),
    ("max_connections", lambda v: _server(max_connections=v), 4, False),
    ("max_depth", lambda v: mapper.infer([b'{"id": 1, "a": {"b": 1}}', b'{"id": 2, "a": {"b": 2}}'], max_depth=v), 1, True),
]
IDS = [f"{i}-{o[0]}" for i, o in enumerate(INTEGER_OPTIONS)]


@pytest.mark.parametrize(("name", "call", "good", "none_taken"), INTEGER_OPTIONS, ids=IDS)
@pytest.mark.parametrize("kind", [int, np.int64, np.int32, np.uint16])
def test_every_integer_option_takes_an_integer_of_any_kind(name: str, call: Callable[[Any], Any], good: int, none_taken: bool, kind: Any) -> None:
    """``max_errors`` took np.int64(5) and ``records=``, ``workers=``, ``max_record_size=``, ... refused it:
    every integer option takes what ``operator.index`` reads as an integer."""
    call(kind(good))


@pytest.mark.parametrize(("name", "call", "good", "none_taken"), INTEGER_OPTIONS, ids=IDS)
@pytest.mark.parametrize("bad", [True, np.True_, 2.0, np.float64(2.0), "2", None, [2]])
def test_every_integer_option_refuses_bools_and_floats_in_one_shape(name: str, call: Callable[[Any], Any], good: int, none_taken: bool, bad: Any) -> None:
    """A bool (Python's or numpy's) or a float is refused by every integer option, with one message shape
    naming the option and the value (``None`` too, where None is not the option's default)."""
    if bad is None and none_taken:
        call(bad)
        return
    with pytest.raises(mapper.OptionError) as info:
        call(bad)
    said = str(info.value)
    assert re.search(rf"{re.escape(name)}.* must be a whole number\b.*, not {re.escape(repr(bad))}$", said), said


@pytest.mark.parametrize("bad", [True, 2.0, np.float64(2.0), "2"])
def test_senders_count_refuses_bools_and_floats_in_the_same_shape(bad: Any) -> None:
    """``Sender.send``'s ``count`` (checked before anything is sent) reads as the other integer options."""
    with pytest.raises(mapper.OptionError, match=rf"^count= must be a whole number of the body's records, at least 0 \(or None\), not {re.escape(repr(bad))}$"):
        mapper.Sender(URL).send(b'{"records": []}', count=bad)


def test_an_integer_option_holds_an_int_not_the_numpy_scalar() -> None:
    """The value taken is held as an int (a MapOptions compares, hashes and pickles as one given 2)."""
    options = mapper.MapOptions(workers=np.int64(2), max_record_size=np.int32(4096))
    assert type(options.workers) is int and type(options.max_record_size) is int
    assert options == mapper.MapOptions(workers=2, max_record_size=4096)
    assert type(Limits(body_records=np.int64(5)).body_records) is int
    assert mapper.Batcher(M, max_records=np.int64(3)).max_records == 3
    assert [b.report.records for b in M.iter_batches(RECORDS, records=np.int64(1))] == [1, 1]


# --- 2. Batch.check refuses a negative record index, as read_batch refuses its file -----------------


def test_batch_check_refuses_a_negative_record_index_as_read_batch_does(tmp_path: Any) -> None:
    """A hand-edited ``record_index`` holding -7 passed ``check()`` (and was written), and only
    ``read_batch`` of the file refused it: ``check()`` refuses it now, naming the array and the row."""
    from mapper.writers import npz_arrays, write_npz

    batch = M.map([*RECORDS, {"id": 3, "n": 3}])
    batch.check()
    arrays = npz_arrays(batch)
    arrays["_record_index"] = np.array([0, -7, -9])
    np.savez(tmp_path / "edited.npz", **arrays)
    with pytest.raises(mapper.InputError) as read:
        mapper.read_batch(tmp_path / "edited.npz")
    assert "its _record_index holds -7 in row 1 (counting from 0): a record's index in its input is never negative" in str(read.value)

    batch.record_index[1:] = [-7, -9]
    for call in (batch.check, batch.to_rows, batch.to_arrow, lambda: write_npz(batch, tmp_path / "out.npz")):
        with pytest.raises(mapper.OutputError) as caught:
            call()
        assert (
            str(caught.value)
            == "the batch cannot be read: its record_index holds -7 in row 1 (counting from 0): a record's index in its input is never negative"
        )
    assert not (tmp_path / "out.npz").exists()


# --- 3. a refused record's raw is its own text, whichever door it came in by ------------------------

#: a file's text: refused records (a wrong value, no JSON, no object) ending LF, CRLF, and none
FILE = b'{"id": 1, "n": "x"}\n{"id": 2, "n": 2}\r\n{"id": 3, "n": [1]}\r\n{"id": 4,\n[5]\r\n{"id": 6, "n": "y"}'
OWN = [b'{"id": 1, "n": "x"}', b'{"id": 3, "n": [1]}', b'{"id": 4,', b"[5]", b'{"id": 6, "n": "y"}']


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    "door",
    [
        lambda: FILE,
        lambda: FILE.decode().splitlines(keepends=True),  # (what readlines() of the file gives)
        lambda: FILE.splitlines(keepends=True),
        lambda: [np.str_(t) for t in FILE.decode().splitlines(keepends=True)],
        lambda: [*FILE.decode().splitlines(keepends=True)] * 600,  # (past the careful path's few: the fast path's run)
    ],
    ids=["ndjson", "list of str", "list of bytes", "numpy str", "many str"],
)
def test_a_refused_records_raw_is_its_own_text_at_every_door(door: Callable[[], Any], workers: int) -> None:
    """A str or bytes item's raw kept its ``\\n`` or ``\\r\\n``, where the NDJSON line's did not:
    each door gives the record's own text, as the file's line does (lines as before)."""
    report = M.validate(door(), on_error="skip", workers=workers)
    raws = [r.raw for r in report.rejected]
    assert raws == OWN * (len(raws) // len(OWN)) and raws
    assert [r.line for r in report.rejected][:5] == [1, 3, 4, 5, 6]


def test_the_batchers_raw_is_the_same_text() -> None:
    """Batcher.add of each line (str or bytes, with its line end) holds, and refuses, the same text."""
    with mapper.Batcher(M) as batcher:
        verdicts = [batcher.add(t) for t in FILE.splitlines(keepends=True)] + [batcher.add(t) for t in FILE.decode().splitlines(keepends=True)]
        assert [v.raw for v in verdicts if not v.accepted] == OWN * 2
        assert [v.rejected().raw for v in verdicts if not v.accepted] == OWN * 2  # type: ignore[union-attr]


def test_an_items_blanks_on_its_own_line_are_kept_as_a_lines_are() -> None:
    """An item stands for a line: the blank lines around it and its line end go, as the file's reading
    drops them; blanks beside the record on its line stay, as a line's raw keeps them."""
    text = '\n\n  {"id": 1, "n": "x"}\t\r\n\n'
    from_items = M.validate([text, '{"id": 2, "n": "x"}\r'], on_error="skip").rejected
    from_file = M.validate(f'{text}{{"id": 2, "n": "x"}}\r'.encode(), on_error="skip").rejected
    assert [r.raw for r in from_items] == [r.raw for r in from_file] == [b'  {"id": 1, "n": "x"}\t', b'{"id": 2, "n": "x"}']
    assert [r.line for r in from_items] == [r.line for r in from_file] == [3, 5]


# --- 4. one sink_details key, one warning -----------------------------------------------------------

BODY = '{"name": "a", "sink_details": {"database_id": "%s", "table": "t", "tabel": 1e400, "x": 1, "big": [1e999]}, "schema": %s}'
DB = "0b6b8f5e-0000-4000-8000-000000000000"


def test_an_unknown_sink_details_key_holding_a_huge_number_is_one_warning(tmp_path: Any) -> None:
    """``check_sink`` warned twice about one key ("unknown key 'tabel' ...; it is ignored", then, after
    the errors, "sink_details.tabel holds the number 1e400 ...: it is left out"): one warning says both."""
    from tests.cli_inproc import run_main

    body = BODY % (DB, json.dumps(SINK))
    problems = mapper.check_sink(body).problems
    said = [(p.pointer, p.code, p.message) for p in problems]
    assert said == [
        (
            "/sink_details/tabel",
            "unknown-key",  # (as every unknown key: test_api58)
            "unknown key sink_details.tabel (did you mean 'table'?) holds the number 1e400, beyond the float64 range the service"
            " decodes numbers into (its POST /v1/sinks refuses the body): it is left out",
        ),
        ("/sink_details/x", "unknown-key", "unknown key 'x' in sink_details; it is ignored"),
        (
            "/sink_details/big",
            "unknown-key",
            "unknown key sink_details.big holds the number 1e999, beyond the float64 range the service"
            " decodes numbers into (its POST /v1/sinks refuses the body): it is left out",
        ),
    ]
    assert dict(mapper.load_sink(body).sink_details) == {"database_id": DB, "table": "t", "x": 1}
    (tmp_path / "sink.json").write_text(body)
    ran = run_main("check", tmp_path / "sink.json")
    assert ran.returncode == 0 and (ran.out + ran.err).count("/sink_details/tabel") == 1, ran.out + ran.err


def test_a_sink_details_key_that_is_no_string_is_one_warning() -> None:
    """A Python mapping's key that is no string was "the key 5 in sink_details is not a string ...; it
    is ignored" and "sink_details.5 is a key that is not a string: it is left out": one warning."""
    body = {"name": "a", "sink_details": {"database_id": DB, "table": "t", 5: "x"}, "schema": SINK}
    assert [(p.pointer, p.message) for p in mapper.check_sink(body).problems] == [
        ("/sink_details/5", "sink_details.5 is a key that is not a string: it is left out")
    ]


# --- records changed after they are yielded (docs/python-api.md, next to iterables) ------------------

NESTED = mapper.compile_sink(json.dumps(id_schema(column("v", "int", path=["d", "v"]))))


def _refilled(n: int, fresh: bool = False) -> Any:
    """Fresh outer dicts; the nested one shared and refilled for each record (unless ``fresh``)."""
    shared: dict[str, int] = {}
    for i in range(n):
        if fresh:
            shared = {}
        shared["v"] = i
        yield {"id": i, "d": shared}


def test_records_are_taken_a_chunk_at_a_time_and_read_after_so_a_refilled_nested_dict_maps_its_last_value() -> None:
    """The documented promise: an iterator's records are taken OBJECT_CHUNK (2,048) at a time, at most
    iter_batches' ``records`` at a time, and only then read: a record changed after it is yielded (its
    nested dict refilled for the next) is read as it stands then, every record of a chunk the last
    filling, with no error. Not detected: what a record holds is not compared."""
    from mapper.engine.reader import OBJECT_CHUNK

    assert OBJECT_CHUNK == 2048  # (the number docs/python-api.md says)
    n = OBJECT_CHUNK + 2
    values = NESTED.map(_refilled(n))["v"].values.tolist()
    assert values == [OBJECT_CHUNK - 1] * OBJECT_CHUNK + [n - 1] * 2
    assert [b["v"].values.tolist() for b in NESTED.iter_batches(_refilled(5), records=2)] == [[1, 1], [3, 3], [4]]
    assert NESTED.map(_refilled(n, fresh=True))["v"].values.tolist() == list(range(n))  # (a nested dict of its own: each as given)
