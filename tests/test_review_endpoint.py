"""A review of ``mapper.endpoint`` (the wire protocol of send and serve) and ``mapper.model`` (the Sink).

Each test names what was wrong before it; all in-process, no sockets, no sleeps (clocks are injected).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle

import orjson
import pytest

import mapper
from mapper.endpoint import Limits, Pacer, ServiceError, TokenBucket, body_size, encode_body, not_json_said, parse_body
from mapper.errors import OptionError
from mapper.model import Sink

SINK = {
    "name": "s",
    "sink_details": {"database_id": "x", "table": "t", "tags": {"env": "prod", "teams": ["a"]}},
    "schema": {
        "type": "json",
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}],
    },
}


# ---------------------------------------------------------------------------------------
# TokenBucket and Pacer


@pytest.mark.parametrize("start", [123_456.789, 1e6, 1e12])
def test_pacer_ends_when_a_wait_is_below_what_the_clock_can_tell(start):
    # Found by review: the pacer re-measures after each sleep; rounding left a sliver of a token
    # missing (0.99999999998 of 1 at a clock of 123,456 s, 1.4 days of uptime), so it asked for
    # 1e-11 s, which added to the clock changes nothing: with an injected clock that moves by what
    # is slept (Sender(clock=..., sleep=...), as the docs offer for tests), acquire never returned.
    t = [start]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        if len(sleeps) > 100:
            raise AssertionError(f"acquire spins: {sleeps[-3:]}")
        t[0] += s

    pacer = Pacer(Limits(3, 1e6), clock=lambda: t[0], sleep=sleep)
    for _ in range(9):
        pacer.acquire(1, 100)
    # the first 3 (the bucket starts with one body's worth: 3 records), then 6 more at 3/s: 2 s
    assert t[0] - start == pytest.approx(2.0, abs=1e-3)
    assert len(sleeps) <= 2 * 6


@pytest.mark.parametrize(("rate", "capacity"), [(math.nan, 1), (1, math.nan), (math.inf, 1), (1, math.inf)])
def test_a_token_bucket_refuses_a_rate_or_capacity_that_is_not_a_positive_finite_number(rate, capacity):
    # Found by review: NaN passed `rate <= 0`: every wait_time was nan, every try_take False (a
    # server that throttles every request, saying "retry in nan s"), and an infinite capacity
    # admitted everything
    named = "rate" if not math.isfinite(rate) else "capacity"
    with pytest.raises(OptionError, match=rf"\Aa token bucket's {named} must be a finite number, above 0, not (nan|inf)\Z"):
        TokenBucket(rate, capacity, clock=lambda: 0.0)


@pytest.mark.parametrize("option", ["records_per_s", "bytes_per_s", "timeout", "backoff", "max_backoff"])
def test_an_integer_beyond_a_floats_range_is_an_option_error_naming_the_option(option):
    # Found by review: Sender(bytes_per_s=10**400) (and Limits, TokenBucket) raised "OverflowError: int
    # too large to convert to float" from math.isfinite: no option named, a traceback
    with pytest.raises(OptionError) as info:
        mapper.Sender("http://127.0.0.1:9/v2/sinks/x", **{option: 10**400})
    said = str(info.value)
    assert f"{option}, --" in said or f"{option}= (--" in said, said
    assert " must be a finite number" in said and said.endswith(", not <an integer of 401 digits>"), said


def test_a_senders_nan_or_infinity_names_the_keyword_it_was_given() -> None:
    # Sender(records_per_s=nan) from Python said "--records-per-s must be a finite number": a flag
    # the caller never gave, the keyword unnamed (mapper send says its flag: test_send_serve)
    # (the two rates named as every option is, the keyword and the flag)
    for option, value, words in (
        ("records_per_s", math.nan, "records_per_s= (--records-per-s) must be a finite number, at least 1"),
        ("bytes_per_s", math.inf, "bytes_per_s= (--bytes-per-s) must be a finite number, at least 26"),
        ("timeout", -math.inf, "timeout= (--timeout) must be a finite number of seconds, above 0, at most 86,400"),
        ("backoff", math.nan, "backoff= (--backoff) must be a finite number of seconds, at least 0, at most 86,400"),
        ("max_backoff", math.inf, "max_backoff= (--max-backoff) must be a finite number of seconds, at least 0, at most 86,400"),
    ):
        with pytest.raises(OptionError) as info:
            mapper.Sender("http://127.0.0.1:9/v2/sinks/x", **{option: value})
        assert str(info.value).startswith(words) and str(info.value).endswith(f", not {value!r}"), str(info.value)


def test_a_senders_other_checks_name_the_keyword_it_was_given() -> None:
    # Sender(timeout=0), (retries=-1), (backoff=1e6) from Python said "--timeout must be > 0", ...: a flag the
    # caller never gave (mapper send says its flag alone: test_send_serve's "--timeout must be > 0, not 0")
    for option, value, words in (
        ("retries", -1, "must be a whole number, at least 0, not -1"),
        ("timeout", 0, "must be a finite number of seconds, above 0, at most 86,400, not 0"),
        ("backoff", -0.5, "must be a finite number of seconds, at least 0, at most 86,400, not -0.5"),
        ("max_backoff", -1, "must be a finite number of seconds, at least 0, at most 86,400, not -1"),
        ("timeout", 1e6, "must be a finite number of seconds, above 0, at most 86,400, not 1,000,000"),
        ("backoff", 86401, "must be a finite number of seconds, at least 0, at most 86,400, not 86,401"),
        ("max_backoff", 1e300, "must be a finite number of seconds, at least 0, at most 86,400, not 1e+300"),
    ):
        with pytest.raises(OptionError) as info:
            mapper.Sender("http://127.0.0.1:9/v2/sinks/x", **{option: value})
        assert str(info.value) == f"{option}= (--{option.replace('_', '-')}) {words}", str(info.value)


@pytest.mark.parametrize("given", [{"records_per_s": 10**400}, {"bytes_per_s": -(10**5000)}, {"body_records": 10**5000}])
def test_limits_of_integers_beyond_a_floats_range_are_option_errors(given):
    # (Limits' own messages formatted them with :g, an OverflowError, or :, past 4,300 digits a ValueError)
    with pytest.raises(OptionError, match="integer of [0-9,]+ digits"):
        Limits(**given)
    with pytest.raises(OptionError, match=r"a token bucket's rate must be a finite number, above 0, not <an integer of 401 digits>"):
        TokenBucket(10**400, 1)


def test_a_token_bucket_says_an_amount_over_its_capacity_never_fits():
    # Found by review: wait_time answered (amount - tokens) / rate, a finite wait after which the
    # tokens were still not there (the bucket never holds more than its capacity): a caller that
    # slept it and asked again waited for ever
    bucket = TokenBucket(10, 5, clock=lambda: 0.0)
    assert bucket.wait_time(6) == math.inf
    assert bucket.wait_time(5) == 0.0
    assert not bucket.try_take(6)


def test_a_token_bucket_refills_after_its_clock_steps_back():
    # Found by review: the bucket refilled only once the clock passed the time of its last reading,
    # so a clock stepped back an hour (a wall clock given as the clock) refilled nothing for an
    # hour: every body waited for it
    t = [10_000.0]
    bucket = TokenBucket(10, 10, clock=lambda: t[0])
    assert bucket.try_take(10)
    t[0] -= 3600.0  # stepped back
    assert bucket.wait_time(10) == pytest.approx(1.0)
    t[0] += 1.0  # a second later, by the clock as it now reads
    assert bucket.try_take(10)


# ---------------------------------------------------------------------------------------
# Bodies


@pytest.mark.parametrize("data", [b"", b" \r\n\t"])
def test_an_empty_request_body_is_said_empty_not_truncated(data):
    # Found by review: `curl -d ''` to mapper serve (or Store.ingest of b"") was answered "the
    # request body is truncated": nothing had been cut, nothing was sent
    with pytest.raises(ServiceError) as info:
        parse_body(data)
    assert (info.value.status, info.value.code) == (400, "InvalidBody")
    assert "empty" in info.value.message
    assert "truncated" not in info.value.message


@pytest.mark.parametrize("data", [b"\x0c", b" \x0b "])
def test_a_form_feed_or_vertical_tab_is_no_empty_body_to_the_web_uis_words(data):
    # Found by review: not_json_said stripped Python's white space (bytes.strip: \v and \f too), not
    # JSON's, and said "the request body is empty" of a body the decoder refuses for its character
    said = not_json_said(data, "fallback")
    assert "empty" not in said and "invalid character U+000" in said


def test_body_size_is_the_encoded_size_and_a_body_may_fill_max_bytes_exactly():
    # (checked sound: held here as a guard) multi-byte UTF-8 and escapes count as bytes, and the
    # batcher packs to the byte: a body of exactly max_bytes is one body, a byte over is two
    raws = [b'{"id":1,"s":"\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"}', b'{"id":2,"s":"\\n\\"\\u2028"}']
    body = encode_body(raws)
    assert len(body) == body_size(2, sum(map(len, raws)))
    assert parse_body(body) == 2
    assert encode_body([]) == b'{"records":[]}' and body_size(0, 0) == len(encode_body([]))
    texts = [r.decode() for r in raws]
    exact = mapper.Batcher(SINK, max_bytes=len(body))
    exact.add_many(texts)
    assert [b.data for b in exact.flush()] == [body]
    short = mapper.Batcher(SINK, max_bytes=len(body) - 1)
    short.add_many(texts)
    assert [b.count for b in short.flush()] == [1, 1]


def test_a_service_error_with_a_lone_surrogate_in_its_words_is_still_answered():
    # Found by review: to_json raised "TypeError: str is not valid UTF-8: surrogates not allowed"
    # (orjson) for a message quoting a Python str with a lone surrogate: the error answer itself failed
    err = ServiceError(400, "InvalidParameter", "sink 'a\ud800b' is unknown")
    assert orjson.loads(err.to_json()) == {"code": "InvalidParameter", "message": "sink 'a\ufffdb' is unknown"}


# ---------------------------------------------------------------------------------------
# The Sink model


def test_a_loaded_sink_is_hashable_and_equal_sinks_hash_the_same():
    # Found by review: a frozen dataclass whose hash raised "TypeError: unhashable type:
    # 'mappingproxy'" (its sink_details) for every sink loaded from a body or a UI mapping: no
    # sink as a dict key, in a set, or as an argument of a functools.lru_cache'd function
    a, b = mapper.load_sink(SINK), mapper.load_sink(SINK)
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    ui = mapper.load_sink("examples/aircraft/table-mapping.json")
    assert hash(ui) == hash(pickle.loads(pickle.dumps(ui)))
    assert {a: 1}[b] == 1


def test_a_sinks_details_are_its_own_not_the_callers_nor_to_bodys():
    # Found by review: sink_details was a read-only view of the caller's own nested values, so
    # the "immutable" sink changed when the definition dict it was loaded from changed, or when
    # the body to_body() returned was edited before posting it
    doc = {**SINK, "sink_details": {"database_id": "x", "table": "t", "tags": {"env": "prod", "teams": ["a"]}}}
    sink = mapper.load_sink(doc)
    doc["sink_details"]["tags"]["env"] = "changed"
    doc["sink_details"]["tags"]["teams"].append("b")
    body = sink.to_body()
    body["sink_details"]["tags"]["env"] = "edited"
    body["sink_details"]["tags"]["teams"].append("c")
    # (read-only in depth: its arrays are tuples, to_body's lists)
    assert dict(sink.sink_details) == {"database_id": "x", "table": "t", "tags": {"env": "prod", "teams": ("a",)}}
    assert sink.to_body()["sink_details"]["tags"] == {"env": "prod", "teams": ["a"]}


class _NamedSink(Sink):
    """A subclass of Sink, as a program may make one to add its own methods."""

    def shout(self) -> str:
        return (self.name or "").upper()


def test_a_sink_subclass_stays_itself_when_copied_or_pickled():
    # Found by review: Sink.__reduce__ made every copy a plain Sink: a subclass's deepcopy, or its
    # pickled copy in a worker process, lost the subclass's methods (AttributeError there)
    loaded = mapper.load_sink(SINK)
    mine = _NamedSink(**{f.name: getattr(loaded, f.name) for f in dataclasses.fields(Sink) if f.init})
    for copied in (copy.deepcopy(mine), pickle.loads(pickle.dumps(mine))):
        assert type(copied) is _NamedSink and copied.shout() == "S" and copied == mine
    assert type(pickle.loads(pickle.dumps(loaded))) is Sink
