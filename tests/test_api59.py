"""The API's consistency (session 59): every numeric option of a Sender, Limits and the local service
refused in one shape, naming the Python keyword, then the flag of mapper send or serve where there is
one (``timeout= (--timeout) must be ...``); the command lines name their flag alone."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

import mapper
from mapper.endpoint import Limits
from mapper.serve import App, Server
from mapper.store import Store
from tests.cli_inproc import run_main

URL = "http://127.0.0.1:9/v2/sinks/s"  # (nothing is sent: a Sender connects at its first body)


def _sender(**kw: Any) -> None:
    mapper.Sender(URL, **kw).close()


def _count(count: Any) -> None:
    with mapper.Sender(URL) as sender:
        sender.send(b'{"records": []}', count=count)


#: (the keyword, the flag of mapper send or serve or None, a call refusing the value)
REFUSED: list[tuple[str, str | None, Callable[[Any], Any]]] = [
    ("records_per_s", "--records-per-s", lambda v: _sender(records_per_s=v)),
    ("bytes_per_s", "--bytes-per-s", lambda v: _sender(bytes_per_s=v)),
    ("body_records", "--body-records", lambda v: _sender(body_records=v)),
    ("body_bytes", "--body-bytes", lambda v: _sender(body_bytes=v)),
    ("retries", "--retries", lambda v: _sender(retries=v)),
    ("timeout", "--timeout", lambda v: _sender(timeout=v)),
    ("backoff", "--backoff", lambda v: _sender(backoff=v)),
    ("max_backoff", "--max-backoff", lambda v: _sender(max_backoff=v)),
    ("count", None, _count),
    ("records_per_s", "--records-per-s", lambda v: Limits(records_per_s=v)),
    ("bytes_per_s", "--bytes-per-s", lambda v: Limits(bytes_per_s=v)),
    ("body_records", "--body-records", lambda v: Limits(body_records=v)),
    ("body_bytes", "--body-bytes", lambda v: Limits(body_bytes=v)),
    ("max_body_bytes", "--max-body-bytes", lambda v: App(Store(), max_body_bytes=v)),
    ("create_delay", "--create-delay", lambda v: App(Store(), create_delay=v)),
    ("port", "--port", lambda v: Server(App(Store()), port=v)),
    ("max_connections", "--max-connections", lambda v: Server(App(Store()), max_connections=v)),
    ("idle_timeout", None, lambda v: Server(App(Store()), idle_timeout=v)),
]


@pytest.mark.parametrize("value", [-1, math.nan, "5"], ids=["negative", "nan", "str"])
@pytest.mark.parametrize("keyword, flag, call", REFUSED, ids=[f"{i}-{r[0]}" for i, r in enumerate(REFUSED)])
def test_every_sender_limits_and_service_number_is_refused_in_one_shape(keyword: str, flag: str | None, call: Callable[[Any], Any], value: Any) -> None:
    """The rates said "the records per second limit (records_per_s, --records-per-s) must be", a body's limits "a
    body's limit (body_records, --body-records)", the service's "the CREATING delay (create_delay, --create-delay)",
    "the connection limit (max_connections)" and "the port", where every other option said ``timeout= (--timeout)``."""
    with pytest.raises(mapper.OptionError) as info:
        call(value)
    named = f"{keyword}= ({flag})" if flag else f"{keyword}="
    assert str(info.value).startswith(f"{named} must be a "), str(info.value)


def test_a_body_over_one_second_of_the_limits_names_the_keywords_from_python() -> None:
    """Sender(body_records=20, records_per_s=10) was told of --body-records and --records-per-s, flags it was not given."""
    with pytest.raises(mapper.OptionError) as info:
        _sender(records_per_s=10, body_records=20)
    assert str(info.value) == "a body must fit in one second of the limits: body_records= (--body-records) 20 is more than records_per_s= (--records-per-s) 10"


@pytest.mark.parametrize(
    "argv, said",
    [
        (["send", "--dry-run", "--records-per-s", "0"], "--records-per-s must be a finite number, at least 1 (to admit a body of one record), not 0"),
        (["send", "--dry-run", "--body-records", "0"], "--body-records must be a whole number, at least 1, not 0"),
        (["send", "--dry-run", "--body-bytes", "5"], "--body-bytes must be a whole number, at least 26 (a body holding the smallest record, {}), not 5"),
        (
            ["send", "--dry-run", "--records-per-s", "10", "--body-records", "20"],
            "a body must fit in one second of the limits: --body-records 20 is more than --records-per-s 10",
        ),
        (["serve", "--bytes-per-s", "10"], "--bytes-per-s must be a finite number, at least 26 (to admit a body of one record), not 10"),
        (["serve", "--max-connections", "0"], "--max-connections must be a whole number of connections, at least 1, not 0"),
        (["serve", "--create-delay", "-1"], "--create-delay must be a finite number of seconds, at least 0, at most 86,400, not -1"),
        (["serve", "--max-body-bytes", "0"], "--max-body-bytes must be a whole number of bytes, at least 1, not 0"),
        (["serve", "--port", "70000"], "--port must be a whole number, at least 0, at most 65,535 (0 picks a free one), not 70000"),
    ],
)
def test_the_command_lines_name_a_refused_number_by_its_flag_alone(argv: list[str], said: str) -> None:
    """mapper send and serve named the Python keyword of the rates, the body limits, the CREATING delay and the
    connection limit (``the connection limit (max_connections)``: no flag at all) beside or instead of the flag."""
    command, *options = argv
    inputs = ["examples/aircraft/sink.json", "examples/aircraft/records.ndjson"] if command == "send" else ["--db", ":memory:"]
    proc = run_main(command, *inputs, *options)
    assert proc.returncode == 2 and proc.err == f"mapper {command}: {said}\n", proc.err


# --- "-" is standard output for every writer of a batch -----------------------------------------------

SINK = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "n", "path": ["n"], "type": "string"}]
M = mapper.compile_sink(SINK, id_field="id", allow_missing_fields=True)


class _Stdout:
    """A text stream over bytes, as sys.stdout is, holding what was written to its buffer."""

    def __init__(self) -> None:
        import io

        self.buffer = io.BytesIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text.encode())

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("writer", ["write_npz", "write_ndjson", "write_parquet", "write_arrow"])
@pytest.mark.parametrize("dash", ["-", "path"])
def test_every_writer_writes_a_dash_to_standard_output(writer: str, dash: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_npz(batch, "-") wrote a file named ``-`` where write_ndjson, write_parquet and write_arrow wrote
    standard output, as ``mapper map -o -`` does and as ``m.map("-")`` reads standard input."""
    from pathlib import Path

    from mapper import writers

    pytest.importorskip("pyarrow")
    batch = M.map(b'{"id": 1, "n": "a"}\n{"id": 2, "n": "b"}\n')
    out = _Stdout()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdout", out)
    getattr(writers, writer)(batch, "-" if dash == "-" else Path("-"))
    assert list(tmp_path.iterdir()) == []  # (no file named -)
    data = out.buffer.getvalue()
    (tmp_path / f"back.{writer[6:]}").write_bytes(data)
    if writer == "write_ndjson":
        assert data == b'{"_id":1,"n":"a"}\n{"_id":2,"n":"b"}\n'
    else:
        assert mapper.read_batch(tmp_path / f"back.{writer[6:]}").equals(batch)


def test_a_file_named_dash_is_written_as_dot_slash_dash(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.writers import write_npz

    batch = M.map(b'{"id": 1, "n": "a"}\n')
    monkeypatch.chdir(tmp_path)
    write_npz(batch, "./-")
    assert [p.name for p in tmp_path.iterdir()] == ["-"] and (tmp_path / "-").read_bytes()[:2] == b"PK"


# --- one formatter of a number in a message (options.number_given) ----------------------------------------


def test_a_number_refused_from_python_and_from_the_command_line_is_said_alike() -> None:
    """Sender(backoff=86401) said "not 86401" where mapper send --backoff 86401 (a float to argparse) said "not 86,401".
    Since stop 61 each says the value as its caller gave it: Python the number, its thousands separated, the command
    line the text typed (it said 99,999 of a --port 99999 typed); the rule and its bound are said alike."""
    with pytest.raises(mapper.OptionError) as info:
        _sender(backoff=86401)
    proc = run_main("send", "examples/aircraft/sink.json", "examples/aircraft/records.ndjson", "--dry-run", "--backoff", "86401")
    assert str(info.value).endswith(", at most 86,400, not 86,401") and proc.err.endswith(", at most 86,400, not 86401\n"), (str(info.value), proc.err)


def test_the_limits_are_said_as_every_number_is() -> None:
    """The limits' own formatter (endpoint.number_said) cut a fractional limit to six digits (1,234.57 records/s) and
    said a body limit of 41 digits "an integer of 41 digits", where every refusal says "<an integer of 41 digits>"."""
    from mapper.serve import limits_said

    assert limits_said(Limits(records_per_s=1234.5678)) == "1,234.5678 records/s and 1,000,000 bytes/s"
    with pytest.raises(mapper.OptionError) as info:
        Limits(body_records=10**40)
    assert str(info.value).endswith(": body_records= (--body-records) <an integer of 41 digits> is more than records_per_s= (--records-per-s) 1,000")


# --- records of a surprising type: a MapperError naming them, never a dependency's traceback ----------------


@pytest.mark.parametrize("how", ["closed binary", "closed text", "write-only"])
def test_a_batchers_records_from_a_file_it_cannot_read_are_an_input_error_naming_it(how: str, tmp_path: Any) -> None:
    """Batcher.add_many(a closed file) was a ValueError, of a file opened for writing io.UnsupportedOperation, from
    the loop over its lines; validate, map and iter_batches said "cannot read FILE: ..." of the same files."""
    path = tmp_path / "r.ndjson"
    path.write_bytes(b'{"id": 1, "n": "a"}\n')
    fh = open(path, "ab") if how == "write-only" else open(path, "rb" if how == "closed binary" else "r")  # noqa: SIM115
    if how != "write-only":
        fh.close()
    try:
        batcher = mapper.Batcher(M)
        with pytest.raises(mapper.InputError) as info:
            batcher.add_many(fh)
        assert str(info.value).startswith(f"cannot read {path}: "), str(info.value)
        with pytest.raises(mapper.InputError) as same:
            M.validate(fh)
        assert str(same.value).startswith(f"cannot read {path}: ")
        assert batcher.add({"id": 2, "n": "b"}).accepted and batcher.added == 1  # (nothing of the file taken)
    finally:
        fh.close()


def _released() -> memoryview:
    view = memoryview(b'{"id": 1, "n": "a"}\n')
    view.release()
    return view


@pytest.mark.parametrize(
    "call, what, error",
    [
        (lambda: M.validate(_released()), "the records", mapper.InputError),
        (lambda: M.map(_released(), workers=2), "the records", mapper.InputError),
        (lambda: list(M.iter_batches(_released())), "the records", mapper.InputError),
        (lambda: M.validate([_released()]), "record 0's text", mapper.InputError),  # (by its number: tests/test_review59.py)
        (lambda: M.check(_released()), "the record", mapper.InputError),
        (lambda: mapper.Batcher(M).add(_released()), "a record's text", mapper.InputError),
        (
            lambda: mapper.Batcher(M).add_many([_released()]),
            "the text of add_many's record 0 (its place among the records given, from 0)",
            mapper.InputError,
        ),  # (by its place: tests/test_inputs59.py)
        (lambda: mapper.infer(_released()), "the records", mapper.InputError),
        (lambda: mapper.Batcher(_released()), "the sink definition", mapper.DefinitionError),
        (lambda: mapper.Sender(URL).send(_released()), "the request body", mapper.OptionError),
    ],
)
def test_a_released_memoryview_is_said_to_be_one(call: Callable[[], Any], what: str, error: type) -> None:
    """A memoryview released before it was given was a ValueError from inside (the engine, the reader, the checker,
    the batcher, the sink's reader, the body's) wherever bytes are taken."""
    with pytest.raises(error) as info:
        call()
    assert f"{what} came as a released memoryview: its bytes are gone" in str(info.value), str(info.value)
