"""The ingest service's wire protocol and limits, shared by ``mapper send`` (the client) and ``mapper serve`` (a local service).

What lives here is what both ends must agree on, so it has one home:

* the request body ``{"records": [{"value": {...}}, ...]}``: how it is assembled from
  each record's JSON text (:func:`encode_body`), how big it is (:func:`body_size`),
  and what JSON the service's decoder takes (:func:`json_problem`, :func:`parse_body`);
* the service's errors, ``{"code", "message"}`` with an HTTP status
  (:class:`ServiceError`), and which of them a client retries (:func:`retryable`);
* the documented limits per endpoint (1,000 records/s and 1 MB/s) and the token bucket
  that both paces a client and throttles a server (:class:`TokenBucket`, :class:`Limits`).

Facts from the service's documentation are in ``../shared/spec/featurebase-sink.md``
section 4; the choices where it is silent are in ``docs/send-serve.md``.
"""

from __future__ import annotations

import functools
import math
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import msgspec
import orjson

from .engine.gojson import BODY_BOM_PROBLEM, huge_number_in, json_problem, service_loads, too_deep
from .engine.gojson import go_loads as _loads
from .engine.reader import BOM, BrokenDocument, endpoint_units, huge_number_said, request_items
from .errors import MapperError, OptionError, preview, released_reason
from .options import number_given, real_number, whole_number
from .report import plural

__all__ = [
    "DEFAULT_BYTES_PER_S",
    "DEFAULT_RECORDS_PER_S",
    "Limits",
    "MAX_WAIT",
    "ServiceError",
    "NUMBERS",
    "TokenBucket",
    "body_data",
    "body_problem",
    "body_size",
    "check_fit",
    "encode_body",
    "env_token",
    "json_problem",
    "option_said",
    "parse_body",
    "read_numbers",
    "refused_for_depth",
    "retryable",
    "token_problem",
    "TOKEN_SPACE",
]

#: The documented limits of one endpoint.
DEFAULT_RECORDS_PER_S = 1000
DEFAULT_BYTES_PER_S = 1_000_000

#: White space a token may be read with (a file's line end, a stray space) that no header's
#: value begins or ends with (RFC 9110 5.5): dropped by ``send`` and by ``serve`` alike.
TOKEN_SPACE = " \t\r\n"

# The service's error codes (the documented ones, then the choices of `mapper serve`
# where the documentation names none: see docs/send-serve.md).
INVALID_BODY = "InvalidBody"
INVALID_PARAMETER = "InvalidParameter"
MISSING_PARAMETER = "MissingParameter"
INVALID_CONTENT_TYPE = "InvalidContentType"
THROTTLED = "ResourceThroughputExceeded"
UNAUTHORIZED = "Unauthorized"
MISSING_TOKEN = "MissingAuthenticationToken"
NOT_FOUND = "ResourceNotFound"
ALREADY_EXISTS = "ResourceAlreadyExists"
TOO_LARGE = "RequestEntityTooLarge"
METHOD_NOT_ALLOWED = "MethodNotAllowed"
INTERNAL = "InternalError"
UNAVAILABLE = "ServiceUnavailable"

# The body's fixed parts. A record's JSON text goes in verbatim: the service decodes the
# very bytes the producer validated (re-encoding would change number spellings).
_BODY_HEAD = b'{"records":['
_BODY_TAIL = b"]}"
_ITEM_HEAD = b'{"value":'
_ITEM_TAIL = b"}"
_BETWEEN_ITEMS = _ITEM_TAIL + b"," + _ITEM_HEAD
#: Bytes a record adds to a body besides its own text (the item wrapper and a comma).
ITEM_OVERHEAD = len(_ITEM_HEAD) + len(_ITEM_TAIL) + 1
#: Bytes of an empty body.
BODY_OVERHEAD = len(_BODY_HEAD) + len(_BODY_TAIL)

#: The longest wait an option may set, in seconds (a day): mapper send's ``--timeout``, ``--backoff`` and
#: ``--max-backoff``, serve's idle timeout. A socket's timeout and ``time.sleep`` overflow far below a
#: float's range (``Server(idle_timeout=1e10)`` ended every connection on an OverflowError).
MAX_WAIT = 86_400
#: The body's shape, as messages say it.
BODY_SHAPE = '{"records": [{"value": {...}}, ...]}'


def encode_body(raws: list[bytes]) -> bytes:
    """The request body holding these records' JSON texts, in order."""
    if not raws:
        return _BODY_HEAD + _BODY_TAIL
    # (one join at C speed: the items' wrappers are the separator, {"value":...},{"value":...})
    return _BODY_HEAD + _ITEM_HEAD + _BETWEEN_ITEMS.join(raws) + _ITEM_TAIL + _BODY_TAIL


def body_size(count: int, raw_bytes: int) -> int:
    """The size of :func:`encode_body` for ``count`` records whose texts total ``raw_bytes``."""
    return BODY_OVERHEAD + raw_bytes + count * ITEM_OVERHEAD - (1 if count else 0)


def body_data(body: Any) -> bytes:
    """A request body given from Python as the bytes that go on the wire: bytes-like as they are, a
    ``str`` as its UTF-8 (a lone surrogate as the bytes Go reads as U+FFFD). Anything else is an
    :class:`~mapper.errors.OptionError` naming its type: a ``str`` was a TypeError from inside numpy,
    a dict an AttributeError, an ``int`` n sent as n NUL bytes."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        released = released_reason(body, "the request body")
        if released is not None:  # (a ValueError from inside)
            raise OptionError(released)
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    raise OptionError(f"a request body is bytes or str (its JSON text), not {type(body).__name__}")


def parse_body(data: bytes) -> int:
    """Check a request body as the service's decoder would; return how many records it holds.

    Raises :class:`ServiceError` 400 ``InvalidBody`` for anything that is not strict
    JSON of the shape ``{"records": [...]}``: the service refuses such a body whole. Its
    keys are matched as the service's decoder (Go's, into a struct) matches them:
    ``"Records"`` is ``records`` too, and of several the last counts.
    (An item that is not ``{"value": {...}}`` is refused alone, in the per-record answer.)
    """
    if not data.strip(b" \t\r\n"):  # (said "truncated": nothing was cut, nothing was sent)
        raise ServiceError(400, INVALID_BODY, f"the request body is empty{' (white space only)' if data else ''}: send {BODY_SHAPE}")
    try:
        doc = _loads(data)
    except orjson.JSONDecodeError as exc:
        deep = refused_for_depth(exc)  # (orjson's words: the one refusal its message says no more of)
        raise ServiceError(400, INVALID_BODY, _not_json(data, f"the request body is not valid JSON: {exc}", deep)) from None
    except RecursionError:  # pragma: no cover - orjson stops at its own depth limit first
        raise ServiceError(400, INVALID_BODY, "the request body is nested too deeply") from None
    shape = f"the request body must be {BODY_SHAPE}"
    if not isinstance(doc, dict):
        raise ServiceError(400, INVALID_BODY, shape)
    try:  # "records" found as the engine finds it (as Go's decoder matches a struct's field: "Records" too, the last given)
        return len(request_items(data))
    except (msgspec.DecodeError, ValueError):  # (a ValidationError is a DecodeError)
        raise ServiceError(400, INVALID_BODY, shape) from None
    except RecursionError:  # pragma: no cover - orjson stops at its own depth limit first
        raise ServiceError(400, INVALID_BODY, "the request body is nested too deeply") from None


def body_problem(data: bytes) -> str | None:
    """:func:`json_problem` of a request body (``POST /v1/sinks``'s): one opening with a byte order
    mark is worded for a body, not for a record or an input (whose first bytes may be one)."""
    problem = json_problem(data)
    if problem is not None and data[:3] == BOM:
        return f"Invalid JSON: {BODY_BOM_PROBLEM}"
    return problem


def _not_json(data: bytes, fallback: str, deep: bool = False, deepest: int | None = None) -> str:
    """Why a body the decoder refused is not JSON, in the words ``mapper validate`` gives the same
    body (``the request body's number 1e400 is beyond the float64 range ... (at $.records[0].value.u,
    line 1, char 34)``, ``... trailing comma in object at char 39``, its characters counted from 1
    as an editor shows them), not orjson's (``number is infinity when parsed as double: line 1
    column 34 (char 33)``); ``fallback`` where the reader finds the body whole (read only on this
    error's path). ``deep``: the decoder refused it for its nesting, said where it passes ``deepest`` levels (None:
    :func:`body_depth`, an ingest body's; the web UI's requests, read with orjson alone, :data:`BODY_DEPTH`)."""
    if data[:3] == BOM:  # (a file's mark is taken off as it is read: as the reader words it, a body's read "an input")
        return f"the request body is not valid JSON: {BODY_BOM_PROBLEM}"
    deepest = body_depth() if deepest is None else deepest
    at = _too_deep_at(data, deepest) if deep else None
    if at is not None:  # (read record by record by the reader, the body is no broken document to it: orjson's words were answered)
        start = data.rfind(b"\n", 0, at) + 1
        char = len(data[start:at].decode("utf-8", "mapper-go-replace")) + 1  # (as an editor counts: an invalid byte one, as Go's U+FFFD)
        line = data.count(b"\n", 0, at) + 1
        where = f"at line {line} char {char}" if start else f"at char {char}"
        return (
            f"the request body is not valid JSON: nested too deeply {where} (more than {deepest:,} levels of arrays and objects, "
            "the most the service's decoder is taken to read here: the whole body is refused)"
        )
    unit = next(iter(endpoint_units(data)), None)
    failure = unit.failure if isinstance(unit, BrokenDocument) else None
    if failure is None or not failure.invalid:
        return fallback
    return f"{failure.read} is not valid JSON: {failure.detail}" if failure.read else failure.detail


def not_json_said(data: bytes, fallback: str, deep: bool = False) -> str:
    """Why ``data``, a request body of any shape the decoder refused (the web UI's own requests,
    not ingest bodies), is not JSON, in the words :func:`_not_json` gives an ingest body (``the
    request body is not valid JSON: invalid character '}' at char 10: a value was expected``);
    ``fallback`` where they are not of its JSON text (an ingest body's shape: ``no key `records```).
    ``deep``: orjson refused it for its nesting (:func:`~mapper.engine.gojson.too_deep`), said where it
    passes orjson's :data:`BODY_DEPTH` levels, as an ingest body's (``nested too deeply at char 1033``)."""
    if not data.strip(b" \t\r\n"):  # (JSON's white space: a \v or \f is a character the decoder refuses)
        return "the request body is empty"
    said = _not_json(data, fallback, deep, BODY_DEPTH)
    if said.startswith("the request body is "):
        return said
    # JSON whose number is beyond float64 (1e400, 400 digits), which orjson refused in its own words ("number is infinity
    # when parsed as double: line 1 column 10 (char 9)"): said as an ingest body's is, with where
    found = huge_number_in(data)
    return fallback if found is None else f"{huge_number_said(data, found)[0]}: the whole request is refused"


def refused_for_depth(exc: orjson.JSONDecodeError) -> bool:
    """Whether orjson may have refused a text for its nesting: :func:`~mapper.engine.gojson.too_deep`, or "failed to
    allocate memory", its words for a text cut short inside some hundreds of levels (``[`` 1,100 times: no "depth limit
    exceeded"). Where the text does pass the levels read (:func:`_too_deep_at`), the answer says where; else as before."""
    return too_deep(exc) or str(exc).startswith("failed to allocate memory")


#: Levels of arrays and objects a body may nest before Python 3.12 (orjson's limit, below Go's 10,000:
#: docs/send-serve.md, *The batcher*); from 3.12 on, as deep as the engine's decoders read (:func:`body_depth`).
BODY_DEPTH = 1024


@functools.lru_cache(maxsize=1)
def body_depth() -> int:
    """The most levels of arrays and objects a body is read with on this Python (``go_loads``):
    :data:`BODY_DEPTH` before 3.12; from 3.12 on, as deep as the engine's decoders read past
    orjson's limit (about 1,497 levels on 3.12.1, 9,998 on 3.13.0), measured once, on the path of
    a body refused for its nesting (a few calls, a bracket more each time than the last read)."""

    def read(levels: int) -> bool:
        try:
            _loads(b"[" * levels + b"]" * levels)
        except (orjson.JSONDecodeError, RecursionError):
            return False
        return True

    lo, hi = BODY_DEPTH, 10_001  # read, not read (Go's own limit is 10,000)
    if not read(lo + 1):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if read(mid) else (lo, mid)
    return lo


#: A JSON string (skipped whole: the brackets in it are no levels) or a bracket.
_LEVELS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep_at(data: bytes, deepest: int) -> int | None:
    """The byte of ``data`` where its nesting passes ``deepest`` levels (the bracket opening one level
    more), or None: orjson says it in its own words, a char counted from 0 and a column one past it."""
    depth = 0
    for m in _LEVELS.finditer(data):
        c = data[m.start()]
        if c in b"[{":
            depth += 1
            if depth > deepest:
                return m.start()
        elif c in b"]}":
            depth -= 1
    return None


# ---------------------------------------------------------------------------------------
# Errors


class ServiceError(MapperError):
    """An error answer of the service: HTTP ``status`` with ``{"code", "message"}``.

    ``mapper serve`` raises it to answer; ``mapper send`` raises it when the service
    answered with an error it does not retry (the run stops with the service's message).
    """

    #: (``mapper send``) whether the body may have been stored all the same: an earlier
    #: attempt's answer was lost, or a 2xx answer could not be read
    maybe_stored = True
    #: (``mapper send``) whether the answer was not the service's ``{"code", "message"}`` (a proxy's
    #: or another server's page at the endpoint's address): then it may not be the service's refusal
    foreign = False

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")

    def to_json(self) -> bytes:
        """The service's error body (a lone surrogate of its words written U+FFFD, as Go writes one:
        orjson refused it with a TypeError, and the answer itself failed)."""
        try:
            return orjson.dumps({"code": self.code, "message": self.message})
        except TypeError:
            return orjson.dumps({"code": _SURROGATES.sub("\ufffd", self.code), "message": _SURROGATES.sub("\ufffd", self.message)})


_SURROGATES = re.compile("[\ud800-\udfff]")


def retryable(status: int, code: str | None) -> bool:
    """Whether a client retries this answer: 408, 429, 5xx, and the service's throttling answer.

    (408 Request Timeout: the request did not arrive whole in the server's time, so nothing of it
    was taken; a load balancer in front of a service answers it, and RFC 9110 15.5.9 says retry.
    A status past 599 is no server error: no HTTP status, a refusal like any other.)"""
    return status in (408, 429) or 500 <= status <= 599 or (status == 400 and code == THROTTLED)


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as a Python escape (``\\x1b``, ``\\u202e``), as http.server's log does:
    what the other end sent, on a terminal (serve's log of a request line; send's line of an error answer)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text)


def error_of(status: int, payload: bytes, hide: Callable[[str], str] = str) -> tuple[str, str]:
    """(code, message) of an error answer, whatever its body holds, each cut to a line's length
    (an answer of megabytes was one line of megabytes on the terminal and in the report);
    ``hide`` is applied before the cut (a secret cut in two would not be found)."""
    try:
        doc: Any = service_loads(payload)  # (invalid UTF-8, a lone surrogate escape: U+FFFD, as Go reads them)
    except (orjson.JSONDecodeError, RecursionError):
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("code"), str):
        message = doc.get("message")
        return preview(hide(doc["code"]), 100), preview(hide(message), 1000) if isinstance(message, str) else ""
    return f"HTTP{status}", hide(payload[:1000].decode("utf-8", "replace").strip())[:200]  # (an HTML page's start)


# ---------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True)
class Limits:
    """An endpoint's throughput limits, and the largest body that fits them.

    A body may hold at most ``body_records`` records and ``body_bytes`` bytes; both
    default to the per-second limits (one second's worth), so a body can always be
    admitted by a bucket holding one second of tokens.
    """

    records_per_s: float = DEFAULT_RECORDS_PER_S
    bytes_per_s: float = DEFAULT_BYTES_PER_S
    body_records: int | None = None
    body_bytes: int | None = None

    def __post_init__(self) -> None:
        # each read and said as every option of a Sender and the local service is (read_numbers: the keyword, then
        # mapper send's and serve's flag): a bucket holds one second of each, so below one record, or one body of
        # "{}", nothing is ever admitted; a body of 0 records, or of fewer bytes than "{}" takes, holds no record
        # (True was a body of 1 record, 2.5 a body of 2.5 records; np.int64(500), read from an array, is held as an int)
        read = read_numbers(
            {"records_per_s": self.records_per_s, "bytes_per_s": self.bytes_per_s, "body_records": self.body_records, "body_bytes": self.body_bytes}
        )
        for name, value in read.items():
            object.__setattr__(self, name, value)
        # (the service admits one second's worth at most: a bigger body is throttled however long it
        # waits, or refused 413; mapper send's options said so, a Sender made in Python let it be sent)
        check_fit(self.records_per_s, self.bytes_per_s, self.body_records, self.body_bytes)

    @property
    def max_records(self) -> int:
        """Records a body may hold."""
        return self.body_records if self.body_records is not None else max(1, int(self.records_per_s))

    @property
    def max_bytes(self) -> int:
        """Bytes a body may hold."""
        return self.body_bytes if self.body_bytes is not None else max(BODY_OVERHEAD + ITEM_OVERHEAD + 1, int(self.bytes_per_s))


@dataclass(frozen=True)
class _Number:
    """How one numeric option is read (:func:`~mapper.options.whole_number` or :func:`~mapper.options.real_number`,
    with these bounds), whether None is taken from Python and what it means, and whether the command line has it."""

    whole: bool
    least: float | None = None
    above: float | None = None
    most: float | None = None
    of: str = ""
    why: str = ""
    #: what None means where a Python caller may give it ("": None is no value of it)
    none: str = ""
    flag: bool = True


#: The smallest body: one record, ``{}`` (``{"records":[{"value":{}}]}``)
_SMALLEST_BODY = BODY_OVERHEAD + ITEM_OVERHEAD + 1
_ONE_RECORD = "to admit a body of one record"

#: Every numeric option of a :class:`mapper.Sender`, :class:`Limits` and the local service (``App``,
#: ``Server``), by its Python keyword: read and said one way by :func:`read_numbers`, from Python and
#: from ``mapper send`` and ``serve`` alike.
NUMBERS: dict[str, _Number] = {
    "records_per_s": _Number(whole=False, least=1, why=_ONE_RECORD),
    "bytes_per_s": _Number(whole=False, least=_SMALLEST_BODY, why=_ONE_RECORD),
    "body_records": _Number(whole=True, least=1, none="or None"),
    "body_bytes": _Number(whole=True, least=_SMALLEST_BODY, why="a body holding the smallest record, {}", none="or None"),
    "retries": _Number(whole=True, least=0),
    "timeout": _Number(whole=False, above=0, most=MAX_WAIT, of="seconds"),
    "backoff": _Number(whole=False, least=0, most=MAX_WAIT, of="seconds"),
    "max_backoff": _Number(whole=False, least=0, most=MAX_WAIT, of="seconds"),
    "count": _Number(whole=True, least=0, of="the body's records", none="or None", flag=False),
    "max_body_bytes": _Number(whole=True, least=1, of="bytes", none="or None: the bytes per second limit"),
    "create_delay": _Number(whole=False, least=0, most=MAX_WAIT, of="seconds"),
    "lock_wait": _Number(whole=False, least=0, most=MAX_WAIT, of="seconds"),
    "port": _Number(whole=True, least=0, most=65535, why="0 picks a free one"),
    "max_connections": _Number(whole=True, least=1, of="connections"),
    "idle_timeout": _Number(whole=False, above=0, most=MAX_WAIT, of="seconds", none="or None: no timeout", flag=False),
}


def option_said(name: str, keywords: bool = True) -> str:
    """An option of :data:`NUMBERS` as a refusal names it: as the Python caller gave it, then the command
    line's flag where there is one (``timeout= (--timeout)``, ``count=``), or, not ``keywords``, as the
    command line spells it (``--timeout``: mapper send and serve check their flags before they make a
    Sender or a service, so a refusal names no keyword the user did not give)."""
    flag = f"--{name.replace('_', '-')}"
    if not keywords:
        return flag
    return f"{name}= ({flag})" if NUMBERS[name].flag else f"{name}="


def read_numbers(values: dict[str, Any], keywords: bool = True) -> dict[str, Any]:
    """``values``, options of :data:`NUMBERS` by keyword, read as every number of the API is
    (:func:`~mapper.options.real_number`, :func:`~mapper.options.whole_number`: np.int64 and np.float32
    taken, a bool, a str, NaN and infinities refused) within their bounds, or an OptionError of one shape
    naming the first refused (:func:`option_said`): ``timeout= (--timeout) must be a finite number of
    seconds, above 0, at most 86,400, not nan``. None stays None where an option takes it."""
    read: dict[str, Any] = {}
    for name, value in values.items():
        spec = NUMBERS[name]
        if value is None and spec.none:
            read[name] = None
            continue
        notes = [note for note in (spec.why, spec.none if keywords else "") if note]
        why = f" ({'; '.join(notes)})" if notes else ""
        said = option_said(name, keywords)
        if spec.whole:
            least, most = (None if bound is None else int(bound) for bound in (spec.least, spec.most))
            read[name] = whole_number(value, said, least=least, most=most, of=spec.of, why=why)
        else:
            read[name] = real_number(value, said, above=spec.above, least=spec.least, most=spec.most, of=spec.of, why=why)
    return read


def check_fit(records_per_s: float, bytes_per_s: float, body_records: int | None, body_bytes: int | None, keywords: bool = True) -> None:
    """An OptionError unless a body of the sizes given (None: not given) fits in one second of the limits, naming
    each size that does not and its limit as :func:`option_said` names them (the other, met, named an option the
    user may not have given)."""
    over = [
        f"{option_said(f'body_{unit}', keywords)} {number_given(size)} is more than {option_said(f'{unit}_per_s', keywords)} {number_given(limit)}"
        for unit, size, limit in (("records", body_records, records_per_s), ("bytes", body_bytes, bytes_per_s))
        if size is not None and size > limit
    ]
    if over:
        raise OptionError(f"a body must fit in one second of the limits: {' and '.join(over)}")


class TokenBucket:
    """Tokens that refill at ``rate`` per second up to ``capacity``: a client's pacing, a server's throttle.

    ``clock`` (seconds, monotonic) and ``sleep`` are injectable, so pacing is tested
    without waiting. Thread-safe: several producer threads (or request handlers) share one.
    The bucket starts full.
    """

    def __init__(self, rate: float, capacity: float, *, clock: Callable[[], float] = time.monotonic):
        # (a str passed a check of float(value), float("5"), and was taken as the rate; NaN passed `rate <= 0`: every
        # wait nan, every take refused; an infinite capacity admitted all; True was a rate of 1): read as
        # every fractional option of the API is, each named
        self.rate = real_number(rate, "a token bucket's rate", above=0)
        self.capacity = real_number(capacity, "a token bucket's capacity", above=0)
        self.clock = clock
        self.tokens = self.capacity
        self.stamp = clock()
        self.lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        # (a clock stepped back is read on from where it now is: kept at the later time, the bucket
        # refilled nothing until the clock had caught up with it, an hour for a clock set back an hour)
        self.stamp = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` tokens are there (0 when they are now; ``math.inf`` for more than
        the bucket holds: they never are, where a finite wait was answered, slept, and asked again)."""
        if amount > self.capacity:
            return math.inf
        with self.lock:
            self._refill(self.clock())
            return max(0.0, (amount - self.tokens) / self.rate)

    def try_take(self, amount: float) -> bool:
        """Take ``amount`` tokens if they are there now; never waits."""
        with self.lock:
            self._refill(self.clock())
            if amount <= self.tokens:
                self.tokens -= amount
                return True
            return False

    def give_back(self, amount: float) -> None:
        """Return ``amount`` tokens taken for something that did not happen (up to the capacity)."""
        with self.lock:
            self._refill(self.clock())
            self.tokens = min(self.capacity, self.tokens + amount)

    def take(self, amount: float) -> None:
        """Take ``amount`` tokens whether or not they are all there: what is short is owed, waited
        for by the next taker (:class:`Pacer`, once it has waited what the bucket asked)."""
        with self.lock:
            self._refill(self.clock())
            self.tokens -= amount


class Pacer:
    """Two buckets, records/s and bytes/s: :meth:`acquire` waits until a body fits both.

    The buckets hold one body's worth (``burst`` records and bytes), not a second's: a
    client that starts with a full second of tokens would spend the service's burst
    allowance at once, and then every body would arrive at the edge of the service's
    bucket, throttled by the smallest network jitter.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.limits = limits
        self.records = TokenBucket(limits.records_per_s, limits.max_records, clock=clock)
        self.bytes = TokenBucket(limits.bytes_per_s, limits.max_bytes, clock=clock)
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()  # one waiter at a time: bodies leave in the order they asked

    def acquire(self, records: int, nbytes: int) -> float:
        """Wait until a body of ``records`` records and ``nbytes`` bytes may leave; return the seconds waited."""
        if records > self.records.capacity or nbytes > self.bytes.capacity:
            raise OptionError(
                f"a body of {plural(records, 'record')} and {plural(nbytes, 'byte')} exceeds the body limits ({plural(self.limits.max_records, 'record')}, {plural(self.limits.max_bytes, 'byte')})"
            )
        waited = 0.0
        with self.lock:
            while True:
                wait = max(self.records.wait_time(records), self.bytes.wait_time(nbytes))
                if wait <= 0:
                    # Both are there: take them (no one else takes while we hold the lock).
                    self.records.try_take(records)
                    self.bytes.try_take(nbytes)
                    return waited
                before = self.clock()
                self.sleep(wait)
                waited += wait
                if not self.clock() > before:
                    # The clock did not move over the wait: one shorter than it can tell, for a sliver of a
                    # token that rounding left short (1e-11 s of a clock at 1e6 s). The wait was kept: the
                    # tokens are taken, the sliver owed (asked again, the same wait was slept for ever).
                    self.records.take(records)
                    self.bytes.take(nbytes)
                    return waited


#: What a bearer token is said to be, where one is refused for a character outside it.
TOKEN_CHARACTERS = "a bearer token is visible ASCII: letters, digits and punctuation (a FeatureBase IdToken, a JWT, is so: RFC 6750's b64token)"


def token_problem(token: str) -> str | None:
    """Why ``token`` (the white space around it already dropped: :data:`TOKEN_SPACE`) cannot be sent as
    ``Authorization: Bearer <token>``, never quoting it (a secret): ``holds a space (character 4)``; None
    when it can. A token is visible ASCII (RFC 9110's ``field-vchar`` without ``obs-text``; RFC 6750's
    ``b64token``, a JWT, is within it): a line break would end the header, a control character is refused
    by http.client, and a character beyond ASCII (``U+2028``, ``é``, a lone surrogate) has no one encoding
    in a header (sent as UTF-8, a server reading latin-1, as http.server does, matches another token)."""
    if not token:
        return "is empty"
    at = next((i for i, c in enumerate(token) if not "!" <= c <= "~"), None)
    if at is None:
        return None
    c = token[at]
    kind = (
        "a line break"
        if c in "\r\n\u2028\u2029"
        else "a control character"
        if c < " " or "\x7f" <= c <= "\x9f"
        else "a space"
        if c == " "
        else "a character beyond ASCII"
    )
    return f"holds {kind} (character {at + 1:,})"


def env_token(var: str) -> str:
    """The token held in the environment variable ``var`` (``--token-env`` of send and serve), or an
    OptionError naming the variable: not set, set but empty, or white space only."""
    token = os.environ.get(var)
    if not token:
        raise OptionError(f"the environment variable {var} (--token-env) is {'empty' if var in os.environ else 'not set'}")
    if not token.strip(TOKEN_SPACE):
        raise OptionError(f"the environment variable {var} (--token-env) holds only white space: set it to the token")
    return token
