"""Small rules of the producer's side, pinned where the mutation sample of ``producer``
(tests/mutation_run.py: batcher.py, endpoint.py) found them unwatched."""

from __future__ import annotations

import math

import pytest

import mapper
from mapper.batcher import Batcher
from mapper.endpoint import THROTTLED, TokenBucket, body_size, retryable
from mapper.errors import OptionError

SINK = {
    "id_field": "id",
    "allow_missing_fields": True,
    "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}],
}


@pytest.mark.parametrize(
    ("status", "code", "retried"),
    [
        (408, None, True),  # Request Timeout: nothing of the request was taken
        (409, None, False),
        (429, None, True),
        (500, None, True),
        (599, None, True),
        (600, None, False),  # no HTTP status: a refusal like any other
        (499, None, False),
        (400, THROTTLED, True),  # the service's throttling answer
        (399, THROTTLED, False),
        (400, "InvalidBody", False),
    ],
)
def test_which_answers_are_retried(status: int, code: str | None, retried: bool) -> None:
    assert retryable(status, code) is retried


@pytest.mark.parametrize(
    ("rate", "capacity", "said"),
    [
        (0, 1, "rate must be a finite number, above 0, not 0"),
        (1, 0, "capacity must be a finite number, above 0, not 0"),
        (-1, 1, "rate must be a finite number, above 0, not -1"),
        (1, -0.5, "capacity must be a finite number, above 0, not -0.5"),
    ],
)
def test_a_token_bucket_needs_a_positive_rate_and_capacity(rate: float, capacity: float, said: str) -> None:
    with pytest.raises(OptionError) as caught:
        TokenBucket(rate, capacity)
    assert str(caught.value) == f"a token bucket's {said}"


def test_a_token_bucket_of_the_least_capacity_is_made_full() -> None:
    bucket = TokenBucket(1, 1, clock=lambda: 0.0)
    assert bucket.tokens == 1.0


def test_max_bytes_names_the_least_it_takes_and_takes_it() -> None:
    least = body_size(1, 2)  # one record of two bytes, "{}": no record is smaller
    assert Batcher(SINK, max_bytes=least).add("{}").errors[0].code != "too_large"  # (it fits: refused for its missing id only)
    with pytest.raises(OptionError) as caught:
        Batcher(SINK, max_bytes=least - 1)
    assert f"at least {least} " in str(caught.value)


def test_a_body_with_no_room_left_for_the_smallest_record_is_sealed_at_once() -> None:
    rec = b'{"id": 1, "s": "x"}'
    # room for this record and two bytes more, not for another item ("{}" and its wrapping)
    b = Batcher(SINK, max_bytes=body_size(1, len(rec) + 2))
    assert b.add(rec).accepted
    bodies = b.ready()  # sealed when the record went in, not when the next one arrives
    assert [body.count for body in bodies] == [1]
    # with room for "{}" still, the body stays open
    b = Batcher(SINK, max_bytes=body_size(2, len(rec) + 2))
    assert b.add(rec).accepted
    assert b.ready() == [] and b.pending == 1


def test_a_deep_record_holding_nan_is_refused_for_the_nan() -> None:
    # deeper than orjson writes (255 levels): the batcher writes its text itself, and NaN has none
    record: dict = {"id": 1, "s": "x", "deep": math.nan}
    for _ in range(300):
        record = {"id": 1, "s": "x", "deep": record}
    verdict = mapper.Batcher(SINK).add(record)
    assert not verdict.accepted
    assert [e.code for e in verdict.errors] == ["invalid_json"]
    assert "NaN or infinity" in verdict.errors[0].reason


def test_a_body_is_filled_to_max_bytes_exactly() -> None:
    recs = [b'{"id": 1, "s": "x"}', b'{"id": 2, "s": "yy"}']
    limit = body_size(2, sum(map(len, recs)))  # both, to the byte
    b = Batcher(SINK, max_bytes=limit)
    assert all(b.add(r).accepted for r in recs)
    (body,) = b.flush()
    assert body.count == 2 and len(body.data) == limit
    b = Batcher(SINK, max_bytes=limit - 1)  # a byte short: two bodies
    assert all(b.add(r).accepted for r in recs)
    assert [body.count for body in b.flush()] == [1, 1]


def test_an_error_answer_that_is_not_the_service_s_is_shown_from_its_first_1000_bytes() -> None:
    from mapper.endpoint import error_of

    # (a proxy's page of megabytes is not decoded whole: its head only, cut to a line's length)
    assert error_of(502, b" " * 999 + b"ab") == ("HTTP502", "a")
    assert error_of(502, b"<html>" + b"x" * 5_000_000) == ("HTTP502", "<html>" + "x" * 194)


def test_the_body_limits_cannot_be_changed_once_records_are_taken_by_them() -> None:
    # lowered after a record was queued, flush packed it forever, the lock held (every thread hung);
    # raised, records between the limits were refused too_large "at most <the new limit>"
    b = Batcher(SINK, max_records=10, max_bytes=1_000)
    assert b.add(b'{"id": 1, "s": "' + b"x" * 500 + b'"}').accepted
    for name, value in (("max_bytes", 300), ("max_records", 0), ("max_bytes", 10_000)):
        with pytest.raises(AttributeError, match=f"{name} is fixed when the Batcher is made"):
            setattr(b, name, value)
    assert (b.max_records, b.max_bytes) == (10, 1_000)
    (body,) = b.flush()
    assert body.count == 1 and body.size <= 1_000
