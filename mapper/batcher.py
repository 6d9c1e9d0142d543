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
``add`` took them (``Verdict.index``, from 0, with no gaps); bodies keep that order. A call
from a signal handler that lands while its thread is inside the batcher (judging, packing)
raises RuntimeError, nothing of it done: a handler sets a flag, the code it interrupted flushes.

At the end, ``close()`` (or leaving ``with Batcher(...) as b:``) judges what is pending
and seals the open body; ``add`` and ``add_many`` then raise
:class:`~mapper.errors.OptionError`, while ``ready()`` and ``flush()`` hand out the
bodies left, each once.
"""

from __future__ import annotations

import io
import threading
import weakref
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from itertools import accumulate, repeat
from operator import add
from sys import getrecursionlimit
from types import TracebackType
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar

import msgspec

from .api import Mapper, Record, _bytes_given, compile_sink
from .batch import Batch
from .endpoint import BODY_OVERHEAD, DEFAULT_BYTES_PER_S, DEFAULT_RECORDS_PER_S, ITEM_OVERHEAD, body_size, encode_body, json_problem
from .engine.check import beyond_float64, thread_checker
from .engine.core import Engine
from .engine.gojson import same_length_escapes, second_bom, without_bom
from .engine.pyjson import mapping_text
from .engine.reader import unreadable
from .errors import InputError, OptionError, given_bytes, no_set_reason, record_file_note, scalar_array_reason, show
from .model import Sink
from .options import MIN_RECORD_SIZE, MapOptions, body_record_limit, whole_number
from .report import RecordError, RejectedRecord, plural
from .sink import SinkSource
from .stack import ROOMY, UNCAPPED, on_roomy_stack
from .types import LOSSY_KINDS

__all__ = ["Batcher", "Body", "Verdict"]

#: Default body limits: half of what the endpoint takes in a second, so a paced producer
#: never arrives at the edge of the service's bucket (see :class:`mapper.endpoint.Pacer`).
DEFAULT_BODY_RECORDS = DEFAULT_RECORDS_PER_S // 2
DEFAULT_BODY_BYTES = DEFAULT_BYTES_PER_S // 2

#: Records judged together in one engine run (see :class:`Verdict`).
JUDGE_RECORDS = 1024

#: Error codes of the batcher's own (next to the engine's).
TOO_LARGE = "too_large"
INVALID_JSON = "invalid_json"


#: ``Batcher._state[0]`` while this thread is inside the batcher, changing its books (see
#: :meth:`Batcher._reentered`): a truthy mark, not True (the batcher is not closed).
_BUSY: Any = "busy"

#: Tags that cannot hold their verdict (see :class:`Verdict`).
_ATOMIC_TAGS = frozenset({type(None), int, str, bytes, float, bool})


class _Chunk:
    """The books of records judged together in one engine run (:data:`JUDGE_RECORDS` at
    most, as :meth:`Batcher.add` queues them; ``add_many``'s at once): ``failed`` is None
    until they are judged, then the errors of each refused record by its position;
    ``owner`` is a weak reference to the batcher until then (a verdict read early asks it
    to judge them; a batcher dropped with records queued judges them as it goes).

    Verdicts point at their chunk; the chunk never points at them, nor at their texts (a
    verdict kept, a refused one for its dead letter, keeps its own record's text only), nor
    at the batcher itself: an untracked verdict holding what reaches the batcher's tags
    would make a cycle the garbage collector cannot see (a verdict kept on the batcher, or in
    another record's tag), and the batcher would never be freed."""

    __slots__ = ("owner", "failed")

    def __init__(self, owner: weakref.ref[Batcher] | None, failed: dict[int, tuple[RecordError, ...]] | None = None):
        self.owner = owner
        self.failed = failed

    def __reduce__(self) -> tuple[Any, ...]:
        # A verdict pickled (put on a queue to another process) or copied carries its chunk's books
        # judged, as reading it would judge them: the weak reference to the batcher does not pickle
        # (a TypeError), and a deep copy of a pending chunk was never judged (its batcher judges its
        # own), so reading the copied verdict raised RuntimeError, saying its batcher was dropped.
        if self.failed is None:
            owner = self.owner
            batcher = None if owner is None else owner()
            if batcher is not None:
                batcher._judge_pending()
        return (_Chunk, (None, self.failed))


class Verdict(msgspec.Struct, gc=False, eq=False):
    """What the endpoint would do with one record: ``accepted``, or refused for ``errors``.

    ``index`` numbers the records in the order the batcher took them; ``tag`` is what the
    producer attached (a file position, a message id); ``raw`` the record's JSON text as
    it goes (or would have gone) into a body, None when it could not be encoded.

    A verdict from :meth:`Batcher.add` is judged with the records added around it, in
    one engine run per chunk (:data:`JUDGE_RECORDS`): reading ``accepted`` or
    ``errors`` before its chunk is full judges the chunk so far, at once.

    A verdict is one small object that points at its chunk's books: not one the garbage
    collector follows (a producer holding 200,000 of them pays no collections for them),
    except when its tag is an object that could hold the verdict (a producer's message
    keeping its verdict), which is followed, so such a cycle is freed.
    """

    index: int
    raw: bytes | None
    tag: Any
    _k: int  # the record's position in its chunk
    #: its chunk's books, a :class:`_Chunk` (annotated Any: the class is shown as ``mapper.Verdict``,
    #: where ``typing.get_type_hints`` looks names up, so ``inspect.signature`` and ``help()`` failed)
    _chunk: Any

    def _failed(self) -> dict[int, tuple[RecordError, ...]]:
        """The chunk's refused records (judging the chunk now if nobody has yet)."""
        chunk = self._chunk
        for _look in range(3):  # (a judging another thread had under way, interrupted, leaves the chunk unjudged: asked again)
            failed = chunk.failed
            if failed is not None:
                return failed
            owner = chunk.owner  # (cleared only once failed is set: read once, another thread may judge meanwhile)
            batcher = None if owner is None else owner()
            if batcher is not None:
                batcher._judge_pending()
        failed = chunk.failed
        if failed is None:  # (cannot be: a chunk loses its owner only once judged; its batcher, dropped, judges it)
            raise RuntimeError(f"record {self.index}: its chunk was never judged (its batcher was dropped and could not judge it)")
        return failed

    @property
    def accepted(self) -> bool:
        failed = self._chunk.failed
        return self._k not in (self._failed() if failed is None else failed)

    @property
    def errors(self) -> tuple[RecordError, ...]:
        failed = self._chunk.failed
        return (self._failed() if failed is None else failed).get(self._k, ())

    def __repr__(self) -> str:
        failed = self._chunk.failed
        if failed is None:
            return f"<Verdict {self.index} pending>"
        errors = failed.get(self._k)
        return f"<Verdict {self.index} {'accepted' if errors is None else f'refused {[e.code for e in errors]}'}>"

    def rejected(self) -> RejectedRecord:
        """The dead letter of a refused record (what ``--rejects`` writes)."""
        return RejectedRecord(self.index, None, list(self.errors), self.raw)


class _TaggedVerdict(Verdict, gc=True):
    """A verdict whose tag may hold it (see :class:`Verdict`): followed by the garbage collector."""


def _verdict(index: int, raw: bytes | None, tag: Any, k: int, chunk: _Chunk) -> Verdict:
    return (Verdict if tag.__class__ in _ATOMIC_TAGS else _TaggedVerdict)(index, raw, tag, k, chunk)


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
        """The body's records as columns, as the endpoint would store them.

        Every record the batcher put in the body is a row: no record is longer than its body,
        so the engine's size limit (16 MiB by default, which a body of a larger ``max_bytes``
        may pass) is raised to the body's size (a record the batcher took was refused
        ``too_large`` here, its row silently missing)."""
        return self.mapper.map(self.data, input_format="endpoint", max_record_size=body_record_limit(self.data))


#: ``with`` gives the batcher itself: a subclass's own type, to a type checker
_B = TypeVar("_B", bound="Batcher")


class Batcher:
    """Judge records one by one and pack the accepted ones into request bodies (see the module docs).

    ``sink`` is a :class:`mapper.Sink`, a :class:`mapper.Mapper`, or anything
    :func:`mapper.compile_sink` takes. ``strict``: values the endpoint would store
    differently refuse their record (``lossy_value``).
    """

    def __init__(self, sink: Mapper | Sink | SinkSource, *, max_records: int = DEFAULT_BODY_RECORDS, max_bytes: int = DEFAULT_BODY_BYTES, strict: bool = False):
        max_records = whole_number(max_records, "max_records", least=1, of="records")
        # (the least body that holds a record: the smallest record is "{}", 2 bytes, as Pacer's least body_bytes)
        max_bytes = whole_number(max_bytes, "max_bytes", least=body_size(1, 2), of="bytes", why=" (a body holding the smallest record, {})")
        self.mapper = sink if isinstance(sink, Mapper) else compile_sink(sink)
        self._max_records = max_records
        self._max_bytes = max_bytes
        # "skip": each record is refused for its own errors only, a missing value included
        # (the endpoint's policy would discard a whole body for it; such a record never
        # gets into a body, so each body is taken whole).
        # The size rule is the batcher's own (too_large: a record no body holds): the engine's
        # max_record_size (16 MiB by default, an option the batcher has not) must not cut in first
        # when bodies may be larger, refusing what check takes.
        # Warnings are not worded: a verdict holds errors only (under ``strict`` the values
        # warned of are errors, found where the warnings would be).
        self.options = MapOptions(on_error="skip", strict=strict, max_record_size=max(max_bytes, MIN_RECORD_SIZE), ignore_warnings=frozenset(LOSSY_KINDS))
        self._lock = threading.RLock()
        # Records taken so far: _base (judged, or refused as taken) + len(_queued). A queued
        # record's number is its place in the queue, so queueing it (one list append) is the
        # one change that numbers and takes it: an add interrupted anywhere leaves no gap.
        self._base = 0
        self._last_refusal: tuple[object, int] | None = None  # (mark, records taken then) of the last refusal as taken
        self._queued: list[
            tuple[bytes, Any, int, tuple[RecordError, ...] | None, bytes | None]
        ] = []  # (raw, tag, index, own, blanks before raw in the text given; None: a mapping's text, written here) of each record added, not yet judged (its text good JSON)
        self._chunk = _Chunk(weakref.ref(self))  # the queued records' books
        self._raws: list[bytes] = []
        self._indices: list[int] = []
        self._tags: list[Any] = []
        self._raw_bytes = 0
        self._ready: tuple[Body, ...] = ()  # sealed, not yet handed out
        self._accepted = self._refused = self._bodies = 0
        self._judged = 0  # judgings that went through
        self._too_big = max_bytes - body_size(1, 0)  # a record longer than this fits no body
        # [False] open, [True] closed, [_BUSY] this thread inside, changing the books (a list: its item
        # set at C speed, where an attribute stored twice an add cost 1.4% of a batcher's work)
        self._state: list[Any] = [False]
        self._closed = False  # (close() sets it with _state: the look an add takes before the lock)

    def __repr__(self) -> str:
        state = "closed; " if self._state[0] is True else ""
        return f"<Batcher {self.mapper.sink.summary()}; {state}{self._base + len(self._queued)} added, {self._accepted} accepted, {self._bodies} bodies>"

    def __del__(self) -> None:
        # Verdicts hold their batcher by a weak reference (see _Chunk): one dropped with records
        # queued judges them now, so their verdicts, kept, read judged.
        try:
            if self._queued:
                self._judge()
        except Exception:  # noqa: BLE001 - (at interpreter exit, or a batcher whose __init__ failed)
            pass

    def __enter__(self: _B) -> _B:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Judge what is pending and seal the open body: the batcher takes no more records
        (``add`` and ``add_many`` raise :class:`~mapper.errors.OptionError`), and ``ready()``
        and ``flush()`` hand out every body left, each once. Closing again does nothing.

        If the judging raises (Ctrl-C, MemoryError), the batcher stays open, nothing lost:
        close it again."""
        with self._lock:
            if self._state[0] is True:
                return
            self._judge_pending()
            self._seal()
            self._state[0] = self._closed = True

    @property
    def max_records(self) -> int:
        """Records a body holds at most (fixed when the batcher is made)."""
        return self._max_records

    @max_records.setter
    def max_records(self, value: int) -> None:
        self._fixed("max_records")

    @property
    def max_bytes(self) -> int:
        """Bytes a body holds at most (fixed when the batcher is made)."""
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._fixed("max_bytes")

    def _fixed(self, name: str) -> None:
        # (the records taken were measured, judged and packed by the limits: a lower one set after
        # a record was queued made packing it loop forever, the lock held, every thread hung)
        raise AttributeError(f"{name} is fixed when the Batcher is made (the records taken were measured by it): flush this one and make a new Batcher")

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (no more records are taken)."""
        return self._state[0] is True

    def _check_open(self) -> None:
        closed = self._state[0]
        if closed is _BUSY and self._lock._is_owned():  # type: ignore[attr-defined]  # (another thread's: it waits for the lock)
            raise self._reentered()
        if closed is True:
            raise OptionError("the batcher is closed: it takes no more records (its bodies are still handed out by ready() and flush())")

    def _reentered(self) -> RuntimeError:
        """The error of a call made while this thread is inside the batcher changing its books: from a
        signal handler (SIGTERM: flush what is left) or a finalizer run there. The lock is this
        thread's (an RLock), so the call went in, judged and sealed the records the interrupted
        call was judging, and both sent them: every record twice (an add there was lost)."""
        return RuntimeError(
            "the batcher was called from a signal handler (or a finalizer) while this thread was inside it, "
            "judging or packing records: nothing of that call was done; have the handler set a flag, and flush or add from the code it interrupted"
        )

    @property
    def added(self) -> int:
        """Records taken so far."""
        with self._lock:  # (a judging moves the queue's records to _base)
            return self._base + len(self._queued)

    @property
    def accepted(self) -> int:
        """Records accepted so far (judging what is pending)."""
        with self._lock:  # (read as judged: no other thread's records taken in between)
            self._judge_pending()
            return self._accepted

    @property
    def refused(self) -> int:
        """Records refused so far (judging what is pending)."""
        with self._lock:  # (read as judged: no other thread's records taken in between)
            self._judge_pending()
            return self._refused

    @property
    def bodies(self) -> int:
        """Bodies sealed so far (judging what is pending)."""
        with self._lock:  # (read as judged: no other thread's records taken in between)
            self._judge_pending()
            return self._bodies

    # ------------------------------------------------------------------ records in

    def add(self, record: Record, tag: Any = None) -> Verdict:
        """Take one record (a dict, or its JSON text as bytes or str); its verdict is judged
        with the records around it (see :class:`Verdict`), and if accepted it goes into a body.

        All or nothing: if ``add`` raises (a Ctrl-C wherever it lands in it, a MemoryError
        while it judges the records queued before it), the record was not taken: no number
        was used up, nothing counted, and adding it again numbers it next and sends it once.
        (One exception: with other threads adding to the same batcher on Python 3.10, a Ctrl-C
        in the instant after the record was queued can find another thread's record queued
        behind it; the record then stays taken, as a verdict nobody got says.)
        """
        if self._closed:  # (at once, before the record is written; again below, where it counts)
            self._check_open()
        # (a dict, the usual record, straight to its text, with no blanks before it: each step
        # of this path is paid once per record)
        plain = record.__class__ is dict
        if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):  # (see on_roomy_stack)
            raw, problem = mapping_text(record) if plain else _text(record)
        else:  # (a mapping's text is told by recursions in C, a level each: on a stack that holds the deepest record, see _texts)
            raw, problem = on_roomy_stack(_text, record)
        entry = None
        if problem is None and raw is not None and len(raw) <= self._too_big:
            own = self._own_errors(record, raw) if self.options.strict else None
            lead = None if plain else _blanks_before(record)  # (None: a mapping's, see _blanks_before)
            cls = Verdict if tag.__class__ in _ATOMIC_TAGS else _TaggedVerdict  # (see _verdict)
            try:
                with self._lock:
                    state = self._state
                    if state[0]:
                        self._check_open()
                    # (this thread inside, see _reentered: False again before the lock is let go, set back
                    # in the try, and in the handler as well, so a Ctrl-C at either line leaves it right)
                    try:
                        state[0] = _BUSY
                        items = self._queued
                        if len(items) >= JUDGE_RECORDS:  # a full chunk: judged before this one joins the next
                            self._judge()  # (interrupted, it leaves its records queued, and this one is not taken)
                            items = self._queued
                        k = len(items)
                        index = self._base + k
                        entry = (raw, tag, index, own, lead)
                        verdict = cls(index, raw, tag, k, self._chunk)
                        items.append(entry)  # the one change that takes the record
                        state[0] = False
                    except BaseException:
                        state[0] = False
                        raise
                return verdict
            except BaseException:
                # Interrupted after the append (a signal handler runs as a call returns, the
                # lock's release included): the record is untaken. Between the raise and the
                # lock taken again here no call runs, so on 3.11 and later no other thread can
                # come between (one that did would have queued behind it: see the docstring).
                if entry is not None:
                    with self._lock:
                        items = self._queued
                        if items and items[-1] is entry:
                            items.pop()
                raise
        if problem is not None:
            problem = _with_file_note(problem, record)
            found = self._checked(record, raw)
        else:
            found = ()
        mark = object()  # (this add's, to tell its refusal from another thread's)
        try:
            with self._lock:
                self._check_open()
                try:  # (this thread inside: as above)
                    self._state[0] = _BUSY
                    verdict = self._take(raw, problem, tag, found, mark)
                    self._state[0] = False
                except BaseException:
                    self._state[0] = False
                    raise
                return verdict
        except BaseException:
            with self._lock:  # refused, and counted, before the interruption: uncounted, if nothing was taken since
                last = self._last_refusal
                if last is not None and last[0] is mark and self._base + len(self._queued) == last[1]:
                    self.__dict__.update(_base=self._base - 1, _refused=self._refused - 1, _last_refusal=None)
            raise

    def add_many(self, records: Iterable[Record], tags: Iterable[Any] | None = None) -> list[Verdict]:
        """Take several records and judge them at once (their verdicts are final on return).

        ``records`` is an iterable of records: one record (a mapping, its text, or an array
        of its bytes: numpy's ``uint8``, an ``array.array('B')``, as :meth:`Mapper.map` reads
        one) is an :class:`~mapper.errors.OptionError` (iterated, its keys, characters or
        bytes were taken as records, each refused); :meth:`add` takes one (an array of bytes as ``bytes(records)``). A ``set`` of records (or of
        ``tags``) is an :class:`~mapper.errors.InputError` (it has no order): pass a list.

        All or nothing: if ``add_many`` raises before its judging went through (a Ctrl-C, a
        MemoryError in the engine), it took none of the records: add them again. A judging
        that went through cannot be taken back (its records are in bodies), so a Ctrl-C in
        the instant after it, on the way out, raises with every record taken, and the
        exception says so: its ``verdicts`` attribute holds their verdicts (``batcher.added``
        moved by as many)."""
        # (an array of bytes, numpy's uint8 or an array.array('B'), is one record's bytes, as map
        # reads it: iterated, each byte was a record, refused not_an_object)
        if isinstance(records, (str, bytes, bytearray, memoryview, Mapping)):
            raise OptionError(f"add_many takes an iterable of records, not one record ({type(records).__name__}): use add")
        if _bytes_given(records) is not records:  # (add takes a record's text as bytes, not as an array of them: not_an_object)
            raise OptionError(
                f"add_many takes an iterable of records, not one record ({type(records).__name__}): use add, with the array's bytes: add(bytes(array)) "
                "(add takes a record's JSON text as bytes or str, not as an array of bytes)"
            )
        if isinstance(records, (set, frozenset)):  # (bodies and record numbers in no set order)
            raise InputError(no_set_reason(records, "add_many"))
        if isinstance(tags, (set, frozenset)):  # (each record given another's tag)
            raise InputError(
                f"add_many was given the tags as a {type(tags).__name__}, which has no order: each record would get another's tag; "
                "pass them as a list, in the records' order"
            )
        for what, given in (("records", records), ("tags", tags)):
            if (given is not None or what == "records") and not isinstance(given, Iterable):  # (a TypeError from inside)
                raise OptionError(f"add_many takes its {what} as an iterable (a list, in the records' order), not {type(given).__name__}")
            if scalar_array_reason(given, "") is not None:  # (an Iterable whose iteration is numpy's TypeError)
                raise OptionError(f"add_many takes its {what} as an iterable (a list, in the records' order), not a 0-dimensional numpy array ({show(given)})")
        if isinstance(tags, (str, bytes, bytearray, memoryview)):  # (each record was given a character as its tag)
            raise OptionError(f"add_many takes the tags as a list, one per record, not one {type(tags).__name__}")
        self._check_open()
        if isinstance(records, io.IOBase):  # (a closed file was a ValueError from the loop over its lines, one opened for writing io.UnsupportedOperation)
            records = _file_lines(records)
        tagged = None if tags is None else list(tags)  # (any iterable, as records)
        if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):
            texts = self._texts(records)
        else:  # (see _texts; the records read here, a generator reading this thread's locals or context as it would anywhere)
            texts = on_roomy_stack(self._texts, records if isinstance(records, (list, tuple)) else list(records))
        if tagged is not None and len(tagged) != len(texts):
            raise OptionError(f"{plural(len(tagged), 'tag')} for {plural(len(texts), 'record')}: give one tag per record")
        out: list[Verdict] = []
        done = False  # (the judging went through: the records are in bodies)
        try:
            with self._lock:
                self._check_open()
                base, refused, queued, judged = self._base, self._refused, len(self._queued), self._judged
                try:
                    self._state[0] = _BUSY  # (this thread inside: as in add)
                    out = [
                        self._take(raw, problem, tagged[i] if tagged is not None else None, found, own=own, lead=lead)
                        for i, (raw, problem, found, own, lead) in enumerate(texts)
                    ]
                    self._judge()
                    self._state[0] = False
                except BaseException:
                    self._state[0] = False
                    if self._judged == judged:  # not judged (the engine leaves every record pending): untaken, lock held
                        self.__dict__.update(_base=base, _refused=refused)
                        del self._queued[queued:]
                    else:
                        done = True
                    raise
                done = True
            return out
        except BaseException as exc:
            if done:  # interrupted on its way out: the records are taken, and the exception says so
                exc.verdicts = out  # type: ignore[attr-defined]
            raise

    def _texts(self, records: Iterable[Record]) -> list[tuple[bytes | None, str | None, tuple[RecordError, ...], tuple[RecordError, ...] | None, bytes | None]]:
        """Each record's text, why it has none, its errors, for :meth:`add_many` (none taken yet).

        Run on a stack that holds the deepest record (:func:`~mapper.stack.on_roomy_stack`): a
        mapping's text is told by recursions in C, one level each (the pickler that tells a dict
        of builtin values, the encoders), as deep as Python lets C code go, 10,000 levels on
        3.13: on a thread a program gave 256 KiB, ``add`` of a dict nested 3,000 levels deep
        ended the process there (a segfault in the pickler, before any limit spoke)."""
        return [
            (raw, _with_file_note(problem, r), self._checked(r, raw), None, b"")
            if problem is not None
            else (raw, None, (), self._own_errors(r, raw), _blanks_before(r))
            for i, r in enumerate(records)
            for raw, problem in (_text(r, i),)
        ]

    def _checked(self, record: Any, raw: bytes | None) -> tuple[RecordError, ...]:
        """The errors of a record the batcher cannot send (its text ``raw`` is no JSON the service
        takes, or it has none), as :meth:`Mapper.check` says them: a mapping holding a value with
        no JSON form, or no mapping at all (a list, None: ``not_an_object``, as ``check`` and
        ``validate`` say); a number beyond float64 (``out_of_range``, at the column that maps it
        or where it is). None for other text: a record whose text is not JSON is that, and
        nothing else, to the engine too (``invalid_json``). ``check`` of a mapping judges the
        text the batcher sends (:func:`~mapper.engine.pyjson.mapping_text`), so its errors are
        the verdict whole: a mapping's own, or none (``invalid_json``, the text's problem)."""
        if isinstance(record, (bytes, bytearray, memoryview, str)):
            return () if not raw or beyond_float64(raw) is None else self._errors(record)
        return self._errors(record)

    def _errors(self, record: Any) -> tuple[RecordError, ...]:
        # (check's own checker: Mapper.check raises for a set, which add refuses as no record; the
        # batcher's size limit, not check's 16 MiB: the size rule is the batcher's own, see __init__)
        if not (
            ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home)
        ):  # (a thread whose stack cannot hold the deepest record, or a limit to cap: see on_roomy_stack)
            return on_roomy_stack(self._errors, record)
        checker = thread_checker(self.mapper.compiled, self.options.strict)
        return tuple(e for e in checker.check(record, self.options.max_record_size) if isinstance(e, RecordError))

    def _own_errors(self, record: Any, raw: bytes | None) -> tuple[RecordError, ...] | None:
        """The errors :meth:`Mapper.check` gives a mapping whose text cannot speak for it, to judge
        it by; None for the rest (judged by their text, with the records around them).

        Under ``strict``, a mapping holding a string with an unpaired surrogate: its text
        escapes it (``\\ud800``, which the endpoint reads as U+FFFD); the engine refuses such a
        text at the column that maps the value too, but says what was sent as the escape's
        place in the text (``escape \\ud800 at char 15``), where ``check`` of the mapping says
        the value the producer gave: the verdict is check's."""
        if not self.options.strict or raw is None or isinstance(record, (str, bytes, bytearray, memoryview)):
            return None
        if b"\\u" not in raw or same_length_escapes(raw) is raw:
            return None
        return self._errors(record)

    def _take(
        self,
        raw: bytes | None,
        problem: str | None,
        tag: Any,
        found: tuple[RecordError, ...] = (),
        mark: object = None,
        own: tuple[RecordError, ...] | None = None,
        lead: bytes | None = b"",
    ) -> Verdict:
        """Number one record and refuse it at once, or queue it to be judged (lock held).

        What is judged is the text taken now (a dict the producer changes after ``add``
        is judged, and sent, as it was when added). ``found``: a mapping with no JSON
        text is refused for the engine's errors in it, as :meth:`Mapper.check` words
        them, when it has any (a value with no JSON form in a mapped field). ``mark``: set
        beside the refusal's counts, to tell an interrupted ``add`` its record was taken.
        """
        if problem is None and raw is not None and len(raw) <= self._too_big:
            return self._queue(raw, tag, own, lead)
        index = self._base + len(self._queued)
        if problem is None and raw is not None:
            why = f"the record is {len(raw):,} bytes: a request body of at most {self._max_bytes:,} bytes cannot hold it"
            verdict = _refused(index, tag, raw, (RecordError(index, None, None, None, TOO_LARGE, why),))
        elif found:
            verdict = _refused(index, tag, raw, tuple(replace(e, record=index) for e in found))
        else:
            verdict = _refused(index, tag, raw, (RecordError(index, None, None, None, INVALID_JSON, problem or "the record has no JSON text"),))
        self.__dict__.update(_base=self._base + 1, _refused=self._refused + 1, _last_refusal=(mark, index + 1))  # the one change that takes it
        return verdict

    def _queue(self, raw: bytes, tag: Any, own: tuple[RecordError, ...] | None, lead: bytes | None = b"") -> Verdict:
        """Number one record and queue it to be judged with its chunk (lock held; :meth:`add`
        writes the same steps out, to untake the record if it is interrupted)."""
        items = self._queued
        k = len(items)
        index = self._base + k
        verdict = _verdict(index, raw, tag, k, self._chunk)
        items.append((raw, tag, index, own, lead))  # the one change that numbers and takes the record
        return verdict

    def _judge_pending(self) -> None:
        with self._lock:
            if self._state[0] is _BUSY:  # (the lock is this thread's: see _reentered)
                raise self._reentered()
            if self._queued:
                self._judge()

    def _judge(self) -> None:
        """:meth:`_judge_queued`, this thread marked inside the batcher meanwhile (see :meth:`_reentered`)."""
        was = self._state[0]
        try:  # (set back in the try and in the handler: a Ctrl-C at either line leaves it right)
            self._state[0] = _BUSY
            if ROOMY.roomy and (getrecursionlimit() < UNCAPPED or ROOMY.home):
                self._judge_queued()
            else:  # (the lock held here: the new thread's engine run takes none)
                on_roomy_stack(self._judge_queued)
            self._state[0] = was
        except BaseException:
            self._state[0] = was
            raise

    def _judge_queued(self) -> None:
        """Judge the queued records in one engine run; the accepted go into bodies, in order (lock held).

        Interruptible anywhere (Ctrl-C, MemoryError): everything up to the last statements
        only computes, and the books (queued records, open body, sealed bodies, counts)
        change in one statement, a single C call, or not at all. The chunk's verdicts read
        as judged just before; if the books then do not change, the chunk reads unjudged
        again (judged again, the same, next time), so no record queued after it reads a
        verdict nobody gave. An interrupted judging leaves its records queued, judged again the next time, never
        lost, and never taken by an ``add`` that raised (see :meth:`add_many`).
        """
        chunk, items = self._chunk, self._queued
        if not items:
            return
        found: dict[int, list[RecordError]] = {}

        def note(rejected: RejectedRecord) -> None:
            found[rejected.record] = rejected.errors

        raws, tags, indices, owns, leads = zip(*items)  # (the queue's columns, at C speed)
        options = self.options
        if any(leads):
            # each text judged with the blanks before it, as given: an error's or a warning's char
            # counts them; they are not sent, nor measured (a record fitting a body was too_large here)
            texts = [lead + raw if lead else raw for lead, raw in zip(leads, raws)]
            longest = max(map(len, texts))
            if longest > options.max_record_size:
                options = replace(options, max_record_size=longest)
        else:
            texts = list(raws)
        engine = Engine(self.mapper.compiled, options, output=False, keep_rejected=False, keep_failed=False, on_reject=note, capacity=len(items))
        # (a mapping's text, lead None, was written here: its numbers said as Python writes them, as check says them)
        engine.feed_raw(texts, written=lambda k: leads[k] is not None)
        engine.finish()
        if self.options.strict:  # judged by check of the record itself: see _own_errors
            for k, own in enumerate(owns):
                if own is not None:
                    if own:
                        found[k] = list(own)
                    else:
                        found.pop(k, None)
        failed = {k: tuple(replace(e, record=indices[k], line=None) for e in errors) for k, errors in found.items()}
        if failed:
            good = [k for k in range(len(items)) if k not in failed]
            raws, indices, tags = tuple(raws[k] for k in good), tuple(indices[k] for k in good), tuple(tags[k] for k in good)
        books = self._packed(raws, indices, tags)
        books.update(
            _queued=[],
            _base=self._base + len(items),
            _chunk=_Chunk(weakref.ref(self)),
            _judged=self._judged + 1,  # (the records are taken: see add_many)
            _refused=self._refused + len(failed),
            _accepted=self._accepted + len(raws),
        )
        owner = chunk.owner
        try:
            chunk.failed = failed  # its verdicts read judged from here (judged again, the same, if the books do not change)
            chunk.owner = None
            self.__dict__.update(books)  # the one change
        except BaseException:
            if self._chunk is chunk:  # the books did not change: the chunk stays the queue's, unjudged (records queued next must not read it judged)
                chunk.failed, chunk.owner = None, owner
            raise

    def _packed(self, raws: Sequence[bytes], indices: Sequence[int], tags: Sequence[Any], seal: bool = False) -> dict[str, Any]:
        """The books after putting accepted records into bodies, in order, sealing each body
        when full (and the open one if ``seal``); nothing of the batcher changes here.

        A body of ``c`` records of ``b`` bytes of text is ``body_size(c, b)`` bytes, that is
        ``BODY_OVERHEAD - 1 + sum(len(text) + ITEM_OVERHEAD)``: running sums of the
        per-record costs say how many of the next records fit, without a step per record.
        """
        open_raws, open_indices, open_tags, open_bytes = list(self._raws), list(self._indices), list(self._tags), self._raw_bytes
        sealed: list[Body] = []

        def seal_open() -> None:
            nonlocal open_raws, open_indices, open_tags, open_bytes
            if open_raws:
                sealed.append(Body(encode_body(open_raws), open_indices, open_tags, open_raws, self.mapper))
                open_raws, open_indices, open_tags, open_bytes = [], [], [], 0

        budget = self._max_bytes - BODY_OVERHEAD + 1  # for sum(len(text) + ITEM_OVERHEAD)
        cum = list(accumulate(map(add, map(len, raws), repeat(ITEM_OVERHEAD)), initial=0))  # (at C speed)
        i, n = 0, len(raws)
        while i < n:
            count = len(open_raws)
            used = open_bytes + count * ITEM_OVERHEAD
            j = min(bisect_right(cum, cum[i] + budget - used) - 1, i + self._max_records - count, n)
            if j <= i:  # the next record does not fit the open body (it fits an empty one)
                seal_open()
                continue
            open_raws.extend(raws[i:j])
            open_indices.extend(indices[i:j])
            open_tags.extend(tags[i:j])
            open_bytes += cum[j] - cum[i] - (j - i) * ITEM_OVERHEAD
            i = j
            # full: no room for another record, not even the smallest ("{}")
            count = len(open_raws)
            if count >= self._max_records or body_size(count + 1, open_bytes + 2) > self._max_bytes:
                seal_open()
        if seal:
            seal_open()
        return {
            "_raws": open_raws,
            "_indices": open_indices,
            "_tags": open_tags,
            "_raw_bytes": open_bytes,
            "_ready": (*self._ready, *sealed),
            "_bodies": self._bodies + len(sealed),
        }

    def _seal(self) -> None:
        """Seal the open body (lock held; one change of the books, as in :meth:`_judge`)."""
        if self._raws:
            was = self._state[0]
            try:  # (see _reentered; as in _judge)
                self._state[0] = _BUSY
                self.__dict__.update(self._packed([], [], [], seal=True))
                self._state[0] = was
            except BaseException:
                self._state[0] = was
                raise

    # ------------------------------------------------------------------ bodies out

    @property
    def pending(self) -> int:
        """Accepted records waiting in the open (not yet full) body (judging what is pending)."""
        with self._lock:
            self._judge_pending()
            return len(self._raws)

    def ready(self) -> list[Body]:
        """Take the full bodies (oldest first), judging what is pending; the open body stays open."""
        with self._lock:
            self._judge_pending()
            out, self._ready = self._ready, ()  # (taken with no call between: a signal handler's flush runs only at one)
        return list(out)

    def flush(self) -> list[Body]:
        """Judge what is pending, seal the open body and take every body."""
        with self._lock:
            self._judge_pending()
            self._seal()
            out, self._ready = self._ready, ()  # (as in ready)
        return list(out)


def _file_lines(stream: io.IOBase) -> Iterator[Any]:
    """The lines of a file given to :meth:`Batcher.add_many` as its records, a read that fails an InputError
    naming the file, as :meth:`Mapper.validate` says it of the same file (``cannot read r.ndjson: I/O
    operation on closed file``)."""
    try:
        lines = iter(stream)
    except (OSError, ValueError) as exc:
        raise unreadable(stream, exc, "add_many's records") from None
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except (OSError, ValueError) as exc:  # (io.UnsupportedOperation is both)
            raise unreadable(stream, exc, "add_many's records") from None
        yield line


def _text(record: Any, at: int | None = None) -> tuple[bytes | None, str | None]:
    """A record's JSON text (surrounding whitespace dropped), or why there is none. ``at``: its place
    among the records given to :meth:`Batcher.add_many` (from 0), which a released memoryview's
    InputError names (``a record's text`` named none of a list of thousands).

    Text is checked with the service's decoder (:func:`mapper.endpoint.json_problem`).
    A mapping's text is :func:`mapper.engine.pyjson.mapping_text`: what the engine reads it
    as, so the verdict and what is sent agree with :meth:`Mapper.check` of the same mapping
    (which judges it by the same text); what has no JSON form (a datetime, an Enum member,
    a UUID, NaN) refuses the record rather than being sent changed.
    """
    if record.__class__ is dict:
        return mapping_text(record)
    if isinstance(record, (bytes, bytearray, memoryview)):
        try:
            data = given_bytes(record, "a record's text")
        except InputError:  # (a released memoryview: said by its place, looked for again; nothing paid by texts that are read)
            if at is None:
                raise
            data = given_bytes(record, f"the text of add_many's record {at:,} (its place among the records given, from 0)")
        text = without_bom(data).rstrip(b" \t\r\n")
    elif isinstance(record, str):
        text = record.removeprefix("\ufeff").rstrip(" \t\r\n").encode("utf-8", "surrogatepass")
    elif isinstance(record, Mapping):
        return mapping_text(record)
    else:
        return None, f"a record is a dict or its JSON text (bytes or str), not {type(record).__name__}"
    raw = text.lstrip(b" \t\r\n")
    if not raw:
        return raw, "the record is empty"
    # judged with the blanks before it: an error's char counts them, as check and validate of the text do
    problem = json_problem(text) if len(text) != len(raw) else json_problem(raw)
    # (a mark at char 1: the text's first was taken off, this is a second, as check says it)
    return raw, None if problem is None else second_bom(problem)


_BLANKS = " \t\r\n"


def _blanks_before(record: Any) -> bytes | None:
    """The blanks before a record given as text (JSON's whitespace, as :func:`_text` drops
    them from what is sent), to judge the text with: an error's char counts them. None for a
    record given as a Python mapping, whose text the batcher writes: its floats are said as
    Python writes them (``1e-06``, not the text's ``1e-6``), as ``check`` of the mapping says them."""
    if isinstance(record, str):
        record = record.removeprefix("\ufeff")  # (a mark it opens with is no part of it: without_bom)
        if record[:1] and record[:1] in _BLANKS:
            return record[: len(record) - len(record.lstrip(_BLANKS))].encode()
    elif isinstance(record, (bytes, bytearray, memoryview)):
        head = bytes(record[:1])
        if head and head in b" \t\r\n\xef":  # (blanks, or a byte order mark the blanks may follow)
            text = without_bom(bytes(record))
            return text[: len(text) - len(text.lstrip(b" \t\r\n"))]
    else:
        return None
    return b""


def _with_file_note(problem: str, record: Any) -> str:
    """A refusal's reason, with why a record that names a file was not read from it."""
    note = record_file_note(record)
    return problem if note is None else f"{problem} ({note})"


def _refused(index: int, tag: Any, raw: bytes | None, errors: tuple[RecordError, ...]) -> Verdict:
    """The verdict of a record refused as it is taken (a chunk of its own, judged)."""
    return _verdict(index, raw, tag, 0, _Chunk(None, {0: errors}))
