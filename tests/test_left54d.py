"""Small gaps found by review: a token no header can carry, bools as limits, a request that can
never fit serve's buckets, a FIFO as send's checkpoint, and path strings of megabytes.

All in-process and cheap: no sockets but none, no sleeps."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.endpoint import Limits, ServiceError, TokenBucket
from mapper.errors import InputError, OptionError
from mapper.paths import MAX_EXPRESSION_LENGTH
from mapper.send import Checkpoint
from mapper.serve import App
from mapper.store import Store

ROOT = Path(__file__).parents[1]
URL = "http://127.0.0.1:9/v2/sinks/x"  # (never reached: each refusal comes before any request)


# ---------------------------------------------------------------------------------------
# 1. A token no Authorization header can carry


@pytest.mark.parametrize(
    "token, said",
    [
        ("\u2028secret", "a line break"),
        ("sec\nret", "a line break"),
        ("sec\x00ret", "a control character"),
        ("sec\x85ret", "a control character"),
        ("sec ret", "a space"),
        ("s\u00e9cret", "a character beyond ASCII"),
        ("s\ud800cret", "a character beyond ASCII"),  # (a lone surrogate: a UnicodeEncodeError traceback before)
        ("s\udcffcret", "a character beyond ASCII"),  # (an environment variable's byte that is not UTF-8)
    ],
)
def test_a_token_a_header_cannot_carry_is_refused_naming_the_option_never_the_token(token: str, said: str) -> None:
    # Found by review: "\u2028secret" (and any character beyond ASCII) was sent as UTF-8 without a word; a lone
    # surrogate failed inside the encoder; an FeatureBase IdToken (a JWT) is visible ASCII, RFC 6750's b64token
    with pytest.raises(OptionError) as info:
        mapper.Sender(URL, token=token)
    message = str(info.value)
    assert message.startswith("token= holds ") and said in message, message
    assert "visible ASCII" in message
    assert "secret" not in message and "cret" not in message  # never the secret itself


def test_a_bearer_token_of_visible_ascii_is_sent_as_it_is() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_~+/=="
    for token in (jwt, f"  {jwt}\r\n", "pa$$w0rd!"):  # (white space around it is dropped, as before)
        sender = mapper.Sender(URL, token=token)
        assert sender._headers["Authorization"] == b"Bearer " + token.strip().encode()


def test_send_names_the_variable_a_token_it_refuses_came_from(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mapper.cli import main

    monkeypatch.chdir(ROOT)
    sink, records = "examples/aircraft/sink.json", "examples/aircraft/records.ndjson"
    monkeypatch.setenv("MY_TOKEN", "tok\u2028en")
    assert main(["send", sink, records, "--endpoint", URL, "--token-env", "MY_TOKEN", "--retries", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "the token in the environment variable MY_TOKEN (--token-env) holds a line break" in err, err
    assert "tok" not in err.replace("token", "")
    monkeypatch.setenv("FEATUREBASE_TOKEN", "tok en")  # the default variable, read without --token-env
    assert main(["send", sink, records, "--endpoint", URL, "--retries", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "the token in the environment variable FEATUREBASE_TOKEN (read when no --token-env is given) holds a space" in err, err


# ---------------------------------------------------------------------------------------
# 2. A bool is no limit


@pytest.mark.parametrize("option", ["records_per_s", "bytes_per_s", "body_records", "body_bytes"])
def test_limits_refuse_a_bool_as_sender_does(option: str) -> None:
    # Found by review: Limits(records_per_s=True) was a limit of 1 record/s, body_records=True a body of 1 record
    with pytest.raises(OptionError, match=rf"{option}= \(--{option.replace('_', '-')}\).*not True"):
        Limits(**{option: True})


def test_a_token_bucket_refuses_a_bool() -> None:
    with pytest.raises(OptionError, match="rate must be a finite number, above 0, not True"):
        TokenBucket(True, 5)
    with pytest.raises(OptionError, match="capacity must be a finite number, above 0, not False"):
        TokenBucket(5, False)


# ---------------------------------------------------------------------------------------
# 3. A request serve's buckets can never hold


def test_admit_answers_413_for_a_request_over_what_the_buckets_hold() -> None:
    # Found by review: TokenBucket.wait_time answers inf for more than the bucket holds, and admit took
    # math.ceil(inf) for its Retry-After: an OverflowError (a 500) for a request that can never fit
    app = App(Store(":memory:"), limits=Limits(10, 1000), max_body_bytes=1000, clock=lambda: 0.0)
    with pytest.raises(ServiceError) as info:
        app.admit("s", 1, 5000)
    assert info.value.status == 413 and info.value.code == "RequestEntityTooLarge"
    assert "5,000 bytes" in info.value.message and "1,000" in info.value.message
    assert "Retry-After" not in info.value.headers
    app.admit("s", 1, 1000)  # what fits is admitted, and a second one waits: throttled with a finite Retry-After
    with pytest.raises(ServiceError) as info:
        app.admit("s", 1, 1000)
    assert info.value.status == 400 and info.value.headers["Retry-After"] == "1"


# ---------------------------------------------------------------------------------------
# 4. A checkpoint that is no regular file


def test_a_fifo_as_the_checkpoint_is_refused_not_waited_on(tmp_path: Path) -> None:
    # Found by review: Checkpoint.load read a FIFO planted at the checkpoint's name: blocked for ever
    fifo = tmp_path / "c.json"
    os.mkfifo(fifo)
    done: list[Any] = []

    def load() -> None:
        try:
            done.append(Checkpoint(str(fifo)).load())
        except BaseException as exc:
            done.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # (unblock it: a writer opening the FIFO ends the read)
        with open(fifo, "wb"):
            pass
        worker.join(5)
        pytest.fail("Checkpoint.load waited on the FIFO")
    (exc,) = done
    assert isinstance(exc, InputError) and str(exc) == f"cannot use {fifo} as the checkpoint: it is a FIFO, not a regular file", exc
    assert not (tmp_path / ".c.json.lock").exists()  # refused before a lock file is made beside it


def test_a_directory_or_a_device_as_the_checkpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="it is a directory, not a regular file"):
        Checkpoint(str(tmp_path)).load()
    with pytest.raises(InputError, match="/dev/null as the checkpoint: it is a device, not a regular file"):
        Checkpoint("/dev/null").load()
    assert not os.path.exists("/dev/.null.lock")


def test_a_link_to_a_regular_checkpoint_is_read_through(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text('{"version": 1}')
    (tmp_path / "c.json").symlink_to(real)
    cp = Checkpoint(str(tmp_path / "c.json"))
    try:
        assert cp.load() == {"version": 1}
    finally:
        cp.release()


# ---------------------------------------------------------------------------------------
# 5. A path string of megabytes


def _huge(n: int = 200_000) -> str:
    return "a || " * n + " b c"  # (JMESPath: a syntax error at its very end)


def test_a_jmespath_expression_over_the_limit_is_refused_before_it_is_parsed() -> None:
    # Found by review: 1 MB of `a || a || ...` took 2.5 s to parse, and check and the UI's preview parsed it twice
    text = _huge()
    started = time.process_time()
    with pytest.raises(mapper.PathSyntaxError) as info:
        mapper.parse_path(text)
    assert time.process_time() - started < 0.5
    assert info.value.message == (
        f"invalid path: the expression is {len(text):,} characters; mapper takes JMESPath expressions of at most {MAX_EXPRESSION_LENGTH:,}"
    )
    assert str(info.value).splitlines()[1].startswith("  a || a || ")  # (its start, shown under the message: at no one character)
    assert "at character" not in str(info.value)
    # at the limit: parsed (a key chain of any length is no expression)
    longest = "a || '" + "x" * (MAX_EXPRESSION_LENGTH - 7) + "'"
    assert len(longest) == MAX_EXPRESSION_LENGTH and mapper.parse_path(longest).expression == longest
    with pytest.raises(mapper.PathSyntaxError, match="65,537 characters"):
        mapper.parse_path(longest + " ")
    assert mapper.parse_path("a." + "L" * 2 * MAX_EXPRESSION_LENGTH).keys is not None


def test_check_names_the_column_of_a_path_over_the_limit() -> None:
    schema = {
        "id_field": "k",
        "allow_missing_fields": True,
        "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "c", "path": _huge(), "type": "string"}],
    }
    started = time.process_time()
    problems = {p.pointer: p.message for p in mapper.check_sink(schema).problems if p.severity == "error"}
    assert time.process_time() - started < 0.5
    assert problems["/definition/1/path"] == (
        f"invalid path: the expression is 1,000,004 characters; mapper takes JMESPath expressions of at most {MAX_EXPRESSION_LENGTH:,}"
    ), problems
    assert len(problems["/definition/1/path"]) < 1000


def test_the_drafts_preview_does_not_parse_again_a_path_the_check_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_web import catalog, form

    draft_module = sys.modules["mapper.web.draft"]  # (mapper.web.draft is the function too)

    asked: list[str] = []
    found = draft_module._found
    monkeypatch.setattr(draft_module, "_found", lambda record, text: asked.append(text) or found(record, text))
    columns = {"_id": {"path": "id"}, "lat": {"path": "lat"}, "altitude": {"path": "@ @"}}
    out = draft_module.draft(form(columns=columns, sample='{"id": "x", "lat": 1.5}'), catalog())
    assert not out["valid"]
    (problem,) = [p for p in out["problems"] if p["column"] == "altitude"]
    cols = {c["column"]: c for c in out["preview"]["columns"]}
    assert cols["altitude"]["found"] == {"kind": "bad_path", "text": problem["message"].splitlines()[0]}
    assert cols["lat"]["found"] == {"kind": "value", "text": "1.5"}
    assert "@ @" not in asked and "lat" in asked
