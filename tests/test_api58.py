"""Every numeric option of the public API takes the same values: an integer option (options.whole_number)
an int or numpy's np.int64, never a float, a bool or a str; a fractional one (options.real_number: a
rate, seconds, a share) any real number, numpy's too, never a bool, a str, NaN or an infinity. Each
refusal is an OptionError of one shape naming the option. (Sender and Limits refused np.int64(1000)
as a rate while taking np.float64; Batch.slice read its integers its own way.)"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np
import pytest

import mapper
from mapper.endpoint import Limits, TokenBucket
from mapper.options import MapOptions
from mapper.serve import App, Server
from mapper.store import Store

SINK = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "string"}]
M = mapper.compile_sink(SINK, id_field="id", allow_missing_fields=True)
URL = "http://127.0.0.1:9/v2/sinks/s"  # (nothing is sent: a Sender connects at its first body)
BATCH = M.map(b"".join(b'{"id": %d, "n": "x"}\n' % i for i in range(10)))


def _sender(**kw: Any) -> Any:
    sender = mapper.Sender(URL, **kw)
    sender.close()
    return sender


def _send_count(count: Any) -> None:
    """``Sender.send(body, count=...)``: a count taken is sent (to no one: port 9 refuses, no retry)."""
    with mapper.Sender(URL, retries=0, timeout=1) as sender:
        try:
            sender.send(b'{"records": [{"value": {"id": 1}}]}', count=count)
        except mapper.EndpointUnreachable:
            pass


def _server(**kw: Any) -> None:
    """A local service made (listening on a free port) and stopped unstarted."""
    Server(App(Store()), **kw).stop(timeout=0)


def _store_rows(**kw: Any) -> Any:
    with Store() as store:
        store.create_sink({"name": "s", "sink_details": {"database_id": "<database_id>", "table": "t"}, "schema": {**BODY_SCHEMA}}, activate_after=0)
        return store.rows("s", **kw)


def _store_iter_rows(**kw: Any) -> Any:
    with Store() as store:
        store.create_sink({"name": "s", "sink_details": {"database_id": "<database_id>", "table": "t"}, "schema": {**BODY_SCHEMA}}, activate_after=0)
        return list(store.iter_rows("s", **kw))


def _activate_after(value: Any) -> Any:
    with Store() as store:
        return store.create_sink({"name": "s", "sink_details": {"database_id": "<database_id>", "table": "t"}, "schema": {**BODY_SCHEMA}}, activate_after=value)


def _tenth(value: Any) -> Any:
    """A share of the records from a value of the table: a number's tenth (3 is 0.3), anything else as it is."""
    return value / 10 if isinstance(value, numbers.Real) and not isinstance(value, bool) else value


BODY_SCHEMA = {"id_field": "id", "allow_missing_fields": True, "definition": SINK}

#: (option, call with the value, a value in range, the least taken (None: any), whether the least itself is taken, integer option)
OPTIONS: list[tuple[str, Callable[[Any], Any], int, int | None, bool, bool]] = [
    ("workers", lambda v: MapOptions(workers=v), 2, 1, True, True),
    ("max_record_size", lambda v: MapOptions(max_record_size=v), 2048, 1024, True, True),
    ("records", lambda v: list(M.iter_batches(b"", records=v)), 5, 1, True, True),
    ("max_record_size", lambda v: M.check('{"id": 1}', max_record_size=v), 2048, 1024, True, True),
    ("max_depth", lambda v: mapper.infer([b'{"id": 1}\n'], max_depth=v), 3, 1, True, True),
    ("max_record_size", lambda v: mapper.infer([b'{"id": 1}\n'], max_record_size=v), 2048, 1024, True, True),
    ("max_records", lambda v: mapper.Batcher(M, max_records=v), 5, 1, True, True),
    ("max_bytes", lambda v: mapper.Batcher(M, max_bytes=v), 5000, 26, True, True),
    ("body_records", lambda v: _sender(body_records=v), 5, 1, True, True),
    ("body_bytes", lambda v: _sender(body_bytes=v), 5000, 26, True, True),
    ("retries", lambda v: _sender(retries=v), 3, 0, True, True),
    ("count", _send_count, 1, 0, True, True),
    ("body_records", lambda v: Limits(body_records=v), 5, 1, True, True),
    ("body_bytes", lambda v: Limits(body_bytes=v), 5000, 26, True, True),
    ("offset", lambda v: _store_rows(offset=v), 3, 0, True, True),
    ("limit", lambda v: _store_rows(limit=v), 3, 0, True, True),
    ("page", lambda v: _store_iter_rows(page=v), 3, 1, True, True),
    ("offset", lambda v: BATCH.slice(v), 3, None, True, True),
    ("length", lambda v: BATCH.slice(0, v), 3, 0, True, True),
    ("start", lambda v: BATCH[v:], 3, None, True, True),
    ("stop", lambda v: BATCH[:v], 3, None, True, True),
    ("records_per_s", lambda v: _sender(records_per_s=v), 500, 1, True, False),
    ("bytes_per_s", lambda v: _sender(bytes_per_s=v), 50_000, 26, True, False),
    ("timeout", lambda v: _sender(timeout=v), 3, 0, False, False),
    ("backoff", lambda v: _sender(backoff=v), 3, 0, True, False),
    ("max_backoff", lambda v: _sender(max_backoff=v), 3, 0, True, False),
    ("records_per_s", lambda v: Limits(records_per_s=v), 500, 1, True, False),
    ("bytes_per_s", lambda v: Limits(bytes_per_s=v), 50_000, 26, True, False),
    ("rate", lambda v: TokenBucket(v, 10), 3, 0, False, False),
    ("capacity", lambda v: TokenBucket(10, v), 3, 0, False, False),
    ("activate_after", _activate_after, 3, 0, True, False),
    ("create_delay", lambda v: App(Store(), create_delay=v), 3, 0, True, False),
    ("idle_timeout", lambda v: _server(idle_timeout=v), 3, 0, False, False),
    ("max_connections", lambda v: _server(max_connections=v), 3, 1, True, True),
    ("min_presence", lambda v: mapper.infer([b'{"id": 1}\n'], min_presence=_tenth(v)), 3, 0, True, False),
    ("max_errors", lambda v: MapOptions(on_error="skip", max_errors=v), 3, 0, True, True),
    ("max_errors", lambda v: MapOptions(on_error="skip", max_errors=_tenth(v)), 3, 0, True, False),
]


def _values(base: int, least: int | None, least_taken: bool, integer: bool) -> list[tuple[str, Any, bool]]:
    """(what, value, taken) for one option."""
    values = [
        ("int", base, True),
        ("np.int64", np.int64(base), True),
        ("np.int32", np.int32(base), True),
        ("float", float(base) + (0 if integer else 0.5), not integer),
        ("np.float64", np.float64(base), not integer),
        ("np.float32", np.float32(base), not integer),
        ("bool", True, False),
        ("np.bool_", np.True_, False),
        ("str", "1", False),
        ("nan", math.nan, False),
        ("inf", math.inf, False),
        ("-inf", -math.inf, False),
        ("None", None, False),
    ]
    if least is None or least <= -1:
        values.append(("-1", -1, True))
    elif least >= 0:
        values.append(("-1", -1, False))
    if least is not None:
        values.append(("the least", least, least_taken))
    return values


CASES = [
    pytest.param(call, value, taken, name, integer, id=f"{name}-{i}-{what}")
    for i, (name, call, base, least, least_taken, integer) in enumerate(OPTIONS)
    for what, value, taken in _values(base, least, least_taken, integer)
    # (None is an option's "not given" where it has one: the body limits, a page's limit, max_errors, a slice's bounds)
    if not (value is None and name in ("body_records", "body_bytes", "limit", "length", "max_errors", "start", "stop", "max_depth", "count", "idle_timeout"))
    and not (value is None and name == "max_record_size" and i == 3)
]


@pytest.mark.parametrize("call, value, taken, name, integer", CASES)
def test_every_numeric_option_takes_the_same_numbers(call: Callable[[Any], Any], value: Any, taken: bool, name: str, integer: bool) -> None:
    if taken:
        call(value)
        return
    with pytest.raises(mapper.OptionError) as info:
        call(value)
    message = str(info.value)
    assert name in message, message
    if name == "max_errors":  # (the one option taking either: a count, or a share)
        assert "must be a count (an int >= 0) or a share of the records (a float from 0.0 to 1.0), not " in message, message
    else:
        assert f"must be a {'whole' if integer else 'finite'} number" in message, message
    assert "Traceback" not in message and not isinstance(info.value.__context__, (TypeError, AttributeError)), message


@pytest.mark.parametrize("value", [np.int64(500), np.int32(500), np.float32(500), 500, 500.0])
def test_a_senders_rates_read_from_numpy_are_its_limits_as_floats(value: Any) -> None:
    """Sender(records_per_s=np.int64(500)) was "records_per_s= is a number, not np.int64(500)" while np.float64 passed."""
    sender = _sender(records_per_s=value, bytes_per_s=value * 100, timeout=value / 100)
    assert sender.limits.records_per_s == 500.0 and type(sender.limits.records_per_s) is float
    assert sender.limits.bytes_per_s == 50_000.0 and sender.timeout == 5.0 and type(sender.timeout) is float
    assert "500 records/s" in repr(sender)


def test_the_fractional_options_message_has_one_shape() -> None:
    with pytest.raises(mapper.OptionError) as info:
        _sender(timeout=math.nan)
    assert str(info.value) == "timeout= (--timeout) must be a finite number of seconds, above 0, at most 86,400, not nan"
    with pytest.raises(mapper.OptionError) as info:
        _sender(backoff=np.int64(-1))
    assert str(info.value) == "backoff= (--backoff) must be a finite number of seconds, at least 0, at most 86,400, not np.int64(-1)"
    with pytest.raises(mapper.OptionError) as info:
        Limits(records_per_s=True)
    assert str(info.value) == "records_per_s= (--records-per-s) must be a finite number, at least 1 (to admit a body of one record), not True"
    with pytest.raises(mapper.OptionError) as info:
        Limits(bytes_per_s=10**400)
    assert str(info.value).endswith("must be a finite number, at least 26 (to admit a body of one record), not <an integer of 401 digits>")


def test_a_slices_bounds_are_read_as_integer_options_are() -> None:
    """Batch.slice took np.integer only (an object with __index__ refused) and batch[True:] as row 1."""

    class Index:
        def __index__(self) -> int:
            return 2

    assert BATCH.slice(Index(), Index()).record_index.tolist() == [2, 3] == BATCH[Index() : 4].record_index.tolist()
    with pytest.raises(mapper.OptionError, match=r"\Athe start of a batch's rows \(batch\[start:stop\]\) must be a whole number \(or None\), not True\Z"):
        BATCH[True:]
    with pytest.raises(mapper.OptionError, match=r"\ABatch.slice\(\)'s length must be a whole number of rows, at least 0 \(or None: to the end\), not -1\Z"):
        BATCH.slice(0, -1)


# --- a definition's problems: one code per kind --------------------------------------------------------

DB = "0b6b8f5e-0000-4000-8000-000000000000"


def test_every_sink_details_key_nothing_reads_is_an_unknown_key_warning_whatever_its_value() -> None:
    """An unknown key of sink_details whose value is left out (inf, a set, an integer of 5,001 digits, a
    key that is no string) is one warning saying both: its code was the value's (not-json, long-integer),
    so the unknown keys found by their code missed these; a key that is no string in the schema or an
    entry is unknown-key there. A known key's value left out keeps the value's code."""
    details = {"database_id": DB, "table": "t", "x": 1, "tabel": float("inf"), "big": 10**5000, "s": {1, 2}, 5: "y"}
    body = {"name": "a", "sink_details": details, "schema": {"id_field": "id", "allow_missing_fields": True, "definition": SINK, 7: 1}}
    problems = [(p.pointer, p.code) for p in mapper.check_sink(body).problems]
    assert problems == [
        ("/sink_details/x", "unknown-key"),
        ("/sink_details/tabel", "unknown-key"),
        ("/sink_details/big", "unknown-key"),
        ("/sink_details/s", "unknown-key"),
        ("/sink_details/5", "unknown-key"),
        ("/schema/7", "unknown-key"),
    ], problems
    said = {p.pointer: p.message for p in mapper.check_sink(body).problems}
    assert said["/sink_details/tabel"].startswith(
        "unknown key sink_details.tabel (did you mean 'table'?) holds inf, which JSON has no text for: it is left out"
    )
    assert said["/sink_details/s"] == "unknown key sink_details.s holds a set, which JSON has no type for: it is left out"
    known = {
        "name": "a",
        "sink_details": {"database_id": DB, "table": float("nan")},
        "schema": {"id_field": "id", "allow_missing_fields": True, "definition": SINK},
    }
    assert ("/sink_details/table", "warning", "not-json") in [(p.pointer, p.severity, p.code) for p in mapper.check_sink(known).problems]


# --- a blank line: no record in a file, a record refused among items (docs/python-api.md) -------------


def test_a_blank_items_record_number_counts_it_where_a_files_blank_line_is_none() -> None:
    """Kept as it is: a record's number indexes what was given (items[r.record] is the refused item), and a
    blank item is refused where a file's blank line is skipped; numbering the two alike would drop the
    blank item's refusal or make every file's blank lines records. The line numbers agree."""
    text = b'{"id": 1, "n": "a"}\n\n{"id": "x"}\n'
    items = text.splitlines(keepends=True)
    from_file = M.validate(text, on_error="skip").rejected
    from_items = M.validate(items, on_error="skip").rejected
    assert [(r.record, r.line) for r in from_file] == [(1, 3)]
    assert [(r.record, r.line, r.errors[0].code) for r in from_items] == [(1, 2, "invalid_json"), (2, 3, "invalid_id")]
    assert [items[r.record] for r in from_items] == [b"\n", b'{"id": "x"}\n']
