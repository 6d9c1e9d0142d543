"""The producer's batcher: records in one at a time, a verdict for each, full request bodies out.

    >>> b = mapper.Batcher("examples/aircraft/sink.json", max_records=500, max_bytes=500_000)
    >>> verdict = b.add({"id": "a1", "timestamp": 1659981468260, "data": {...}})
    >>> verdict.accepted, verdict.errors
    >>> for body in b.ready():          # full bodies; b.flush() also seals the last one
    ...     post(body.data)             # only records the endpoint would take
    ...     batch = body.to_batch()     # the same records as columns (mapper.Batch)

Each record is judged on its own, as the endpoint judges each record of a request: the
engine's errors for it (``Verdict.errors``), or accepted. Only accepted records go into
bodies, so the endpoint takes every record of every body (a record lacking a mapped
value under ``allow_missing_fields: false`` would make it discard the whole body: the
batcher keeps it out). A body holds at most ``max_records`` records and ``max_bytes``
bytes; a record too big for any body is refused on its own (``too_large``).

Before the engine, each record's text must be JSON the service's decoder takes
(:func:`mapper.endpoint.json_problem`): the engine decodes only the mapped fields, and a
number out of float64 range in a field nobody maps would make the service refuse the
whole body.

Thread-safe: producer threads may share one batcher. Records are numbered in the order
``add`` took them (``Verdict.index``); bodies keep that order.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

import orjson

from .api import Mapper, compile_sink
from .batch import Batch
from .endpoint import DEFAULT_BYTES_PER_S, DEFAULT_RECORDS_PER_S, body_size, encode_body, json_problem
from .engine.core import Engine
from .errors import OptionError
from .options import MapOptions
from .report import RecordError, RejectedRecord

__all__ = ["Batcher", "Body", "Verdict"]

#: Default body limits: half of what the endpoint takes in a second, so a paced producer
#: never arrives at the edge of the service's bucket (see :class:`mapper.endpoint.Pacer`).
DEFAULT_BODY_RECORDS = DEFAULT_RECORDS_PER_S // 2
DEFAULT_BODY_BYTES = DEFAULT_BYTES_PER_S // 2

#: Error codes of the batcher's own (next to the engine's).
TOO_LARGE = "too_large"
INVALID_JSON = "invalid_json"


@dataclass(frozen=True)
class Verdict:
    """What the endpoint would do with one record: ``accepted``, or refused for ``errors``.

    ``index`` numbers the records in the order the batcher took them; ``tag`` is what the
    producer attached (a file position, a message id); ``raw`` the record's JSON text as
    it goes (or would have gone) into a body, None when it could not be encoded.
    """

    index: int
    accepted: bool
    errors: tuple[RecordError, ...] = ()
    tag: Any = None
    raw: bytes | None = None

    def rejected(self) -> RejectedRecord:
        """The dead letter of a refused record (what ``--rejects`` writes)."""
        return RejectedRecord(self.index, None, list(self.errors), self.raw)


@dataclass
class Body:
    """One request body: ``data`` is ready to POST; ``indices``/``tags``/``raws`` are its records in order."""

    data: bytes
    indices: list[int]
    tags: list[Any]
    raws: list[bytes]
    mapper: Mapper = field(repr=False)

    @property
    def count(self) -> int:
        """Records in the body."""
        return len(self.indices)

    @property
    def size(self) -> int:
        """Bytes of the body."""
        return len(self.data)

    def __len__(self) -> int:
        return self.count

    def to_batch(self) -> Batch:
        """The body's records as columns, as the endpoint would store them."""
        return self.mapper.map(self.data, input_format="endpoint")


class Batcher:
    """Judge records one by one and pack the accepted ones into request bodies (see the module docs).

    ``sink`` is a :class:`mapper.Sink`, a :class:`mapper.Mapper`, or anything
    :func:`mapper.compile_sink` takes. ``strict``: values the endpoint would store
    differently refuse their record (``lossy_value``).
    """

    def __init__(self, sink: Any, *, max_records: int = DEFAULT_BODY_RECORDS, max_bytes: int = DEFAULT_BODY_BYTES, strict: bool = False):
        if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
            raise OptionError(f"max_records must be a positive integer, not {max_records!r}")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < body_size(1, 1):
            raise OptionError(f"max_bytes must be an integer of at least {body_size(1, 1)}, not {max_bytes!r}")
        self.mapper = sink if isinstance(sink, Mapper) else compile_sink(sink)
        self.max_records = max_records
        self.max_bytes = max_bytes
        # "skip": each record is refused for its own errors only, a missing value included
        # (the endpoint's policy would discard a whole body for it; such a record never
        # gets into a body, so each body is taken whole).
        self.options = MapOptions(on_error="skip", strict=strict)
        self._lock = threading.Lock()
        self._next = 0
        self._raws: list[bytes] = []
        self._indices: list[int] = []
        self._tags: list[Any] = []
        self._raw_bytes = 0
        self._ready: deque[Body] = deque()
        #: records taken, accepted and refused so far, and bodies sealed
        self.added = self.accepted = self.refused = self.bodies = 0

    def __repr__(self) -> str:
        return f"<Batcher {self.mapper.sink.summary()}; {self.added} added, {self.accepted} accepted, {self.bodies} bodies>"

    # ------------------------------------------------------------------ records in

    def add(self, record: Any, tag: Any = None) -> Verdict:
        """Judge one record (a dict, or its JSON text as bytes or str); keep it for a body if accepted."""
        return self.add_many([record], [tag])[0]

    def add_many(self, records: Iterable[Any], tags: Sequence[Any] | None = None) -> list[Verdict]:
        """Judge several records at once (one engine run: much faster than one by one)."""
        texts = [_text(r) for r in records]
        if tags is not None and len(tags) != len(texts):
            raise OptionError(f"{len(tags)} tags for {len(texts)} records")
        too_big = self.max_bytes - body_size(1, 0)
        with self._lock:
            base = self._next
            self._next += len(texts)
            verdicts: list[Verdict | None] = [None] * len(texts)
            good: list[bytes] = []
            where: list[int] = []
            for i, (raw, problem) in enumerate(texts):
                tag = tags[i] if tags is not None else None
                if problem is None and raw is not None and len(raw) > too_big:
                    problem = f"the record is {len(raw):,} bytes: a request body of at most {self.max_bytes:,} bytes cannot hold it"
                    verdicts[i] = _refused(base + i, TOO_LARGE, problem, tag, raw)
                    continue
                if problem is None and raw is not None:
                    problem = json_problem(raw)
                if problem is not None:
                    verdicts[i] = _refused(base + i, INVALID_JSON, problem, tag, raw)
                    continue
                assert raw is not None
                good.append(raw)
                where.append(i)
            failed: dict[int, list[RecordError]] = {}
            if good:

                def note(rejected: RejectedRecord) -> None:
                    failed[rejected.record] = rejected.errors

                engine = Engine(self.mapper.compiled, self.options, output=False, keep_rejected=False, keep_failed=False, on_reject=note)
                engine.feed_raw(good)
                engine.finish()
            for k, i in enumerate(where):
                tag = tags[i] if tags is not None else None
                errs = failed.get(k)
                if errs:
                    verdicts[i] = Verdict(base + i, False, tuple(replace(e, record=base + i, line=None) for e in errs), tag, good[k])
                else:
                    verdicts[i] = Verdict(base + i, True, (), tag, good[k])
                    self._append(good[k], base + i, tag)
            out = [v for v in verdicts if v is not None]
            assert len(out) == len(texts)
            self.added += len(out)
            n_ok = sum(1 for v in out if v.accepted)
            self.accepted += n_ok
            self.refused += len(out) - n_ok
            return out

    def _append(self, raw: bytes, index: int, tag: Any) -> None:
        if self._raws and (len(self._raws) + 1 > self.max_records or body_size(len(self._raws) + 1, self._raw_bytes + len(raw)) > self.max_bytes):
            self._seal()
        self._raws.append(raw)
        self._indices.append(index)
        self._tags.append(tag)
        self._raw_bytes += len(raw)
        # full: no room for another record, not even the smallest ("{}")
        if len(self._raws) >= self.max_records or body_size(len(self._raws) + 1, self._raw_bytes + 2) > self.max_bytes:
            self._seal()

    def _seal(self) -> None:
        if not self._raws:
            return
        self._ready.append(Body(encode_body(self._raws), self._indices, self._tags, self._raws, self.mapper))
        self.bodies += 1
        self._raws, self._indices, self._tags, self._raw_bytes = [], [], [], 0

    # ------------------------------------------------------------------ bodies out

    @property
    def pending(self) -> int:
        """Accepted records waiting in the open (not yet full) body."""
        with self._lock:
            return len(self._raws)

    def ready(self) -> list[Body]:
        """Take the full bodies (oldest first); the open body stays open."""
        with self._lock:
            out = list(self._ready)
            self._ready.clear()
            return out

    def flush(self) -> list[Body]:
        """Seal the open body and take every body."""
        with self._lock:
            self._seal()
            out = list(self._ready)
            self._ready.clear()
            return out


def _text(record: Any) -> tuple[bytes | None, str | None]:
    """A record's JSON text (surrounding whitespace dropped), or why there is none."""
    if isinstance(record, (bytes, bytearray, memoryview)):
        raw = bytes(record).strip(b" \t\r\n")
    elif isinstance(record, str):
        raw = record.strip(" \t\r\n").encode("utf-8", "surrogatepass")
    elif isinstance(record, dict):
        try:
            raw = orjson.dumps(record)
        except TypeError as exc:  # orjson.JSONEncodeError: a key or value JSON has no form for
            return None, f"the record cannot be encoded as JSON: {exc}"
    else:
        return None, f"a record is a dict or its JSON text (bytes or str), not {type(record).__name__}"
    if not raw:
        return raw, "the record is empty"
    return raw, None


def _refused(index: int, code: str, reason: str, tag: Any, raw: bytes | None) -> Verdict:
    return Verdict(index, False, (RecordError(index, None, None, None, code, reason),), tag, raw)
