"""msgspec's errors on a document's shape, read by one parser (reader._msgspec_shape) and worded
by mapper for a request body and for a records path alike (test_polish asserts the path's words)."""

from __future__ import annotations

import msgspec
import pytest

from mapper.engine.reader import _Body, _body_reason, _msgspec_path_reason, _msgspec_shape


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"records": 5}', "the value at `records` is a number, not an array of items"),
        (b'{"records": "x"}', "the value at `records` is a string, not an array of items"),
        (b'{"x": 1}', "no key `records`"),
        (b"[1]", "the body is an array, not an object"),
        (b"true", "the body is a boolean, not an object"),
    ],
)
def test_the_body_decoders_errors_in_mapper_words(body: bytes, why: str) -> None:
    with pytest.raises(msgspec.ValidationError) as exc:
        msgspec.json.decode(body, type=_Body)
    assert _body_reason(str(exc.value)) == why
    assert "Expected `" not in why


def test_what_the_parser_does_not_know_is_kept_as_said() -> None:
    for said in ("Expected `int`, got `str` - at `$.a`", "Object contains unknown field `x`", "something else"):
        assert _msgspec_shape(said) is None
        assert _body_reason(said) == said == _msgspec_path_reason(("a",), said)
    # a key missing somewhere else than the body's records: as said
    assert _body_reason("Object missing required field `b` - at `$.a`") == "Object missing required field `b` - at `$.a`"


def test_the_parts() -> None:
    shape = _msgspec_shape("Expected `array | null`, got `int` - at `$.a.b`")
    assert shape is not None and (shape.kind, shape.array, shape.key, shape.at) == ("int", True, None, "$.a.b")
    shape = _msgspec_shape("Expected `object`, got `str`")
    assert shape is not None and (shape.kind, shape.array, shape.key, shape.at) == ("str", False, None, "$")
    shape = _msgspec_shape("Object missing required field `b` - at `$.a`")
    assert shape is not None and (shape.kind, shape.array, shape.key, shape.at) == (None, False, "b", "$.a")
