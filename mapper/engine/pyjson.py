"""A caller's Python record as the JSON text a producer sends: what the endpoint reads of it.

The engine reads only the mapped values of a Python record; the endpoint reads the whole
JSON text the producer sends, and refuses the whole record for what has no JSON form
anywhere in it (a float NaN or infinity, a key that is not a string, a ``set``, a
``datetime``, an ``Enum`` member, a ``UUID``, ``bytes``) or a number beyond float64
(a 400-digit integer). :func:`mapping_text` is that text, or why there is none: the text
:class:`mapper.Batcher` sends, and what :meth:`mapper.Mapper.check` of a mapping judges.

A mapping is read as the engine reads it (:func:`mapper.types.as_json`, exact: subclasses
as their builtin type, tuples as arrays, other mappings as objects); what has no JSON form
is refused rather than written changed (orjson would write each its own way). A dict of
builtin values only, the usual record, is written by orjson at once, once the C pickler has
found nothing else in it (:func:`_pickled_builtins_only`, the type walk at C speed).
"""

from __future__ import annotations

import json
import math
import pickle
import re
import sys
from collections import deque
from typing import Any, Collection, Mapping

import orjson

from ..errors import int_text, preview
from ..stack import full_stack
from ..types import DEEPEST_JSON, ConversionError, as_json, located
from .gojson import NESTED_TOO_DEEPLY, deeper_than, engine_too_deep, json_problem

__all__ = ["NON_FINITE", "mapping_text"]

#: Why a record holding a float NaN or infinity has no JSON text.
NON_FINITE = "the record holds a float NaN or infinity, which JSON cannot carry"


def mapping_text(record: Any, keep: bool = True) -> tuple[bytes | None, str | None]:
    """A mapping's JSON text, or why there is none: ``(text, None)``; ``(None, why)`` when it has
    no JSON text; ``(text, why)`` when it has one the service's decoder refuses
    (:func:`~mapper.engine.gojson.json_problem`: a number beyond float64, nesting deeper
    than the engine's decoders read).

    ``keep``: the text is kept (a batcher holds every record's text until its body is taken),
    so it is copied to its size: orjson (3.12 on) returns its text in a buffer of at least
    4 KB (copied by ``b"%b" % raw``: 0.1 us less a seed record than ``bytes(memoryview(raw))``).
    Without it, a dict of builtin values costs one ``orjson.dumps`` and one pickling that keeps
    nothing (:func:`_pickled_builtins_only`; about 0.75 us for a seed record, against 1 us with
    the type walk :func:`_plain`, which the rest takes).
    """
    if record.__class__ is dict:
        try:
            # builtin values only (their orjson text is their JSON text): the usual record,
            # told at C speed by the pickler (see _builtins_only), else by the type walk.
            # Told before orjson writes it: orjson 3.13 counts no depth in tuples, and a chain
            # of some 1,800 tuples nested in one another overran its buffer and aborted the
            # process (heap corruption); the quick test passes no record nested that deep
            # (_ORJSON_DEPTH), and the rest's text is written from lists (as_json), which
            # orjson counts
            plain = _builtins_only(record) if _builtins_only is not None else _plain(record.values())
            if plain:
                raw = orjson.dumps(record)
        except TypeError as exc:  # a key orjson does not write, a str it does not, an int beyond 64 bits: below
            if "Recursion limit" in str(exc) and _plain_within_depth(record.values()):
                # deeper than orjson writes (255 levels): builtin values only, so the
                # standard library's encoder writes the same text (NaN refused there)
                return _deep_text(record)
        except RecursionError:  # (the walk, past the depth a text can be read at: below)
            pass
        else:
            if plain:
                if b"null" in raw and _non_finite_in(record, plain):  # (orjson writes a NaN as null)
                    return None, NON_FINITE
                return (b"%b" % raw if keep else raw), None
    return _exact_text(record)


#: The scalars orjson writes exactly as the engine reads them (subclasses, enums and the rest are not).
_EXACT = frozenset({str, int, float, bool, type(None)})
_EXACT_OR_NESTED = _EXACT | {dict, list}


#: How deep :func:`_plain` and :func:`_flat_text` go, as :func:`mapper.types.as_json` does (a
#: text deeper than the engine's decoders read is refused there, invalid_json, as a text added
#: as such is): a value holding itself stops here (RecursionError).
_DEEPEST = DEEPEST_JSON


def _plain(values: Collection[Any]) -> bool:
    """Whether values (a dict's, a list's) are only dicts, lists and the builtin scalars, all the
    way down (their orjson text is their JSON text). Iterative, to any depth the text can be read
    at (a recursion ran out 4 levels before the engine's decoder did, from a stack's bottom);
    RecursionError past :data:`_DEEPEST` (a value holding itself)."""
    todo = [(values, 1)]
    while todo:
        vals, depth = todo.pop()
        types = set(map(type, vals))  # (the types at C speed: a dict of scalars is one step)
        if types <= _EXACT:
            continue
        if not types <= _EXACT_OR_NESTED:
            return False
        if depth >= _DEEPEST:
            raise RecursionError("nested too deeply")
        for v in vals:
            c = v.__class__
            if c is dict:
                todo.append((v.values(), depth + 1))
            elif c is list:
                todo.append((v, depth + 1))
    return True


def _plain_within_depth(values: Collection[Any]) -> bool:
    """:func:`_plain`, False past :data:`_DEEPEST` levels (a value holding itself)."""
    try:
        return _plain(values)
    except RecursionError:
        return False


class _NotBuiltin(Exception):
    """Raised by :class:`_BuiltinsPickler` for a value that is no builtin one."""


#: Fewer levels of nesting than this, and orjson writes a value of builtins whatever it holds.
#: orjson (3.13) counts no depth in tuples: a chain of 1,760 or more nested in one another
#: overran its first 4 KB buffer and aborted the process ("malloc(): corrupted ..."), on every
#: Python; dicts and lists it refuses past 255 levels itself (TypeError).
_ORJSON_DEPTH = 1_200

#: The containers orjson writes the members of (a set it refuses before reading them).
_NESTED = frozenset({dict, list, tuple})

#: Whether the C pickler stops at Python's recursion limit (3.10, 3.11: one count for Python
#: and C); from 3.12 C code has its own (1,500 levels on 3.12, 10,000 on 3.13, the stack's on 3.14).
_PICKLER_AT_RECURSION_LIMIT = sys.version_info < (3, 12)


def _shallower_than_orjson_breaks(value: Any, pickled: bytes | None = None) -> bool:
    """Whether a value the pickler passed (its pickle :data:`_ORJSON_DEPTH` bytes or more: each
    level pickles to a byte at least) nests fewer than :data:`_ORJSON_DEPTH` levels. Before
    3.12 the pickler itself stopped at Python's recursion limit; else fewer containers than
    that in its pickle (``pickled``, whole), counted by the bytes that open one; else a walk,
    level by level (a container of scalars only at C speed)."""
    if _PICKLER_AT_RECURSION_LIMIT and sys.getrecursionlimit() < _ORJSON_DEPTH:
        return True
    if pickled is not None and len(pickled.translate(None, _NOT_CONTAINER_OPENERS)) < _ORJSON_DEPTH:
        return True
    level: list[Any] = [value]
    for _ in range(_ORJSON_DEPTH):
        nested: list[Any] = []
        for c in level:
            members = c.values() if c.__class__ is dict else c
            if not _NESTED.isdisjoint(map(type, members)):
                nested += [v for v in members if v.__class__ in _NESTED]
        if not nested:
            return True
        level = nested
    return False


class _Written:
    """A pickler's file: ``write`` puts each piece it is given in a deque of the last two."""

    __slots__ = ("write",)

    def __init__(self, pieces: deque[bytes]) -> None:
        self.write = pieces.append


class _BuiltinsPickler(pickle.Pickler):
    """A pickler that writes only what it writes itself: ``None``, ``bool`` and exact ``int``,
    ``float``, ``str``, ``bytes``, ``dict``, ``list``, ``tuple``, ``set``, ``frozenset``,
    ``bytearray``. The C pickler calls :meth:`reducer_override` for every other object
    (a subclass, an Enum member, a UUID, an ``orjson.Fragment``, a datetime), which refuses it.

    What it writes goes to :attr:`pieces`, the last two pieces, only to tell its size: a
    record's pickle is one piece, written at the end of ``dump``, unless it fills frames of
    64 KB or holds a str or bytes as big (then two or more)."""

    __slots__ = ("pieces",)

    def __init__(self) -> None:
        self.pieces: deque[bytes] = deque(maxlen=2)
        # protocol 4: its frames go to the file as they fill, and a big str or bytes straight to it,
        # so one big record leaves no big buffer behind (under 3 the output buffer grows to the
        # biggest record's pickle, and every later record allocated that much: 0.2 us -> 70 us after
        # a 20 MB string)
        super().__init__(_Written(self.pieces), protocol=4)
        self.fast = True  # (no memo: nothing kept from one record to the next)

    def reducer_override(self, obj: Any) -> Any:
        raise _NotBuiltin


#: Picklers not in use (one taken per call: a pickler is not to be used by two calls at once,
#: by two threads or by a signal handler adding a record while one is under way).
_PICKLERS: list[_BuiltinsPickler] = []


#: Every byte but the opcodes that open a container in a protocol 4 pickle: an empty dict, list or
#: tuple, a mark (a tuple of 4 or more items, a batch of a dict's or a list's), a tuple of 1 to 3.
#: What is left of a pickle without them counts its containers, or more (a str holds such bytes).
_NOT_CONTAINER_OPENERS = bytes(sorted(set(range(256)) - set(b"}])(\x85\x86\x87")))

#: The start of a float NaN or infinity pickled (BINFLOAT, then 8 bytes big-endian: the sign, and
#: the exponent's 11 bits all set), or of other bytes alike (a str's): then :func:`_non_finite` tells.
_NON_FINITE_FLOAT = re.compile(b"G[\x7f\xff][\xf0-\xff]")


def _pickled_builtins_only(value: Any) -> bytes | bool:
    """Whether ``value`` holds only what :class:`_BuiltinsPickler` writes itself, all the way
    down, and nests fewer than :data:`_ORJSON_DEPTH` levels: with a value orjson wrote (which
    refuses ``bytes``, sets, ``bytearray``, keys that are not strings), only dicts, lists,
    tuples and the builtin scalars, the values :func:`_plain` takes (and tuples, which orjson
    writes as the arrays :func:`mapping_text`'s walk makes of them), none so deep that orjson
    breaks on it. The same answer as the walk at C speed (about 0.5 us for a seed record,
    against 0.8 us): False when not; else its pickle when it is one piece (a record under
    64 KB), for :func:`_non_finite_in` to read its floats from; else True.

    Its depth too is read from such a pickle, by a count of the bytes that open a container
    (:func:`_shallower_than_orjson_breaks`): a GitHub webhook's 7 KB took a 12 us walk on
    3.12 and later, and 27 us more for its nulls (now :func:`_non_finite_in`): 56-80 us -> 13-20 us."""
    pool = _PICKLERS
    try:
        pickler = pool.pop()
    except IndexError:
        pickler = _BuiltinsPickler()
    try:
        pickler.dump(value)
    except Exception:  # noqa: BLE001 - _NotBuiltin; a RecursionError, a cycle: the walk tells (the pickler is dropped)
        return False
    pieces = pickler.pieces
    piece = pieces.pop()
    if pieces:  # (written in frames of 64 KB, or a big str straight out: not all of it at hand)
        pieces.clear()
        pool.append(pickler)
        return _shallower_than_orjson_breaks(value)
    pool.append(pickler)
    return piece if len(piece) < _ORJSON_DEPTH or _shallower_than_orjson_breaks(value, piece) else False


def _non_finite_in(value: Any, pickled: bytes | bool) -> bool:
    """:func:`_non_finite`, told at once when ``pickled`` (what :func:`_pickled_builtins_only` said of
    the value) is its pickle without a float NaN or infinity in it."""
    if isinstance(pickled, bytes) and (b"\x7f" not in pickled and b"\xff" not in pickled or not _NON_FINITE_FLOAT.search(pickled)):
        return False  # (no such start at all, the bytes found at memchr's speed, else none by the pattern)
    return _non_finite(value)


def _pickler_usable() -> bool:
    """Whether :class:`_BuiltinsPickler` behaves as :func:`_pickled_builtins_only` needs (the C
    pickler: the pure-Python one calls ``reducer_override`` for dicts too)."""
    try:
        if not _pickled_builtins_only({"a": [1, 1.5, "x", None, True, {"b": (2,)}]}):
            return False
    except Exception:  # noqa: BLE001 - (no fast mode, another pickler)
        return False

    class _Sub(str):
        pass

    return not any(_pickled_builtins_only([v]) for v in (_Sub("x"), object(), math))


#: The quick test of :func:`mapping_text` (None where the pickler cannot serve: the walk alone).
_builtins_only = _pickled_builtins_only if _pickler_usable() else None


def _deep_text(record: dict[str, Any]) -> tuple[bytes | None, str | None]:
    """The JSON text of a record of builtin values nested deeper than orjson writes."""
    try:
        raw = _flat_text(record)
    except ValueError:
        return None, NON_FINITE
    except RecursionError:
        return None, _too_deep_why(record)
    except TypeError:  # a key that is not a string (the values alone were looked at): the walk says where it is
        return _exact_text(record)
    return raw, _read_problem(raw)


def _read_problem(raw: bytes) -> str | None:
    """Why a text written here (deeper than orjson writes, or holding what it does not write) is
    refused: the service's decoder's reason (:func:`json_problem`), else the engine's decoders',
    which judge it in the batcher (on Python 3.10 and 3.11 they stop some 30 levels before
    orjson's reader, which :func:`json_problem` goes by: a dict nested 1,000 levels deep where
    nothing maps it was [] to ``check`` and refused by ``Batcher.add``). A text nesting no deeper
    than orjson writes is not read again (a lone surrogate's, a big integer's: a wide one of
    more brackets than that, 5.8 KB, was decoded twice, 67 us)."""
    problem = json_problem(raw)
    if problem is None and deeper_than(raw, _ORJSON_WRITES):
        return engine_too_deep(raw)
    return problem


#: Levels orjson writes (a dict or list deeper is its TypeError): a text no deeper is read by the
#: engine's decoders, which go about 995 levels at Python's default recursion limit.
_ORJSON_WRITES = 255


class _Token(str):
    """Text :func:`_flat_text` writes as it is (a bracket, a key and its colon, a comma)."""


class _Close(str):
    """A closing bracket (:func:`_flat_text`: one level up)."""


_END_OBJECT, _END_ARRAY, _COMMA = _Close("}"), _Close("]"), _Token(",")


def _flat_text(value: Any) -> bytes:
    """The standard library's JSON text of a value of dicts (string keys), lists and builtin
    scalars (``json.dumps`` with ``separators=(",", ":")``: a lone surrogate as its escape,
    an integer beyond 64 bits with all its digits; NaN: ValueError), written without recursion:
    ``json.dumps`` ran out of stack 4 levels before the engine's decoder did, so a record
    ``check`` took was refused by ``Batcher.add`` as having no JSON text. RecursionError past
    :data:`_DEEPEST` levels (a value holding itself)."""
    string = json.encoder.encode_basestring_ascii
    parts: list[str] = []
    todo: list[Any] = [value]
    depth = 0
    while todo:
        v = todo.pop()
        c = v.__class__
        if c is _Token:
            parts.append(v)
        elif c is _Close:
            parts.append(v)
            depth -= 1
        elif c is str:
            parts.append(string(v))
        elif c is dict or c is list:
            if not v:
                parts.append("{}" if c is dict else "[]")
                continue
            depth += 1
            if depth > _DEEPEST:
                raise RecursionError("nested too deeply")
            items: list[Any] = []
            if c is dict:
                parts.append("{")
                for k, x in v.items():
                    if k.__class__ is not str:
                        raise TypeError(f"a key {preview(int_text(k, repr))} is not a string")
                    items += (_Token(f"{',' if items else ''}{string(k)}:"), x)
                todo.append(_END_OBJECT)
            else:
                parts.append("[")
                for x in v:
                    if items:
                        items.append(_COMMA)
                    items.append(x)
                todo.append(_END_ARRAY)
            todo.extend(reversed(items))
        elif c is int:
            try:
                parts.append(int.__repr__(v))
            except ValueError:  # more digits than Python prints (4,300): JSON's text of it is all of them
                from decimal import Decimal  # (here: such an int is rare)

                parts.append(str(Decimal(v)))
        elif c is float and math.isfinite(v):
            parts.append(float.__repr__(v))
        else:  # another builtin scalar (the callers' values hold nothing else); NaN: ValueError
            parts.append(json.dumps(v, allow_nan=False))
    return "".join(parts).encode("ascii")


def _exact_text(record: Any) -> tuple[bytes | None, str | None]:
    """The JSON text of a record as the engine reads it, or why it has none."""
    try:
        return full_stack(_exact_text_here, record)
    except RecursionError:  # nested deeper than Python recurses from the bottom of a stack, or holding itself
        return None, _too_deep_why(record)


#: Why a record that holds itself (a container inside itself) has no JSON text.
_HOLDS_ITSELF = "the record cannot be encoded as JSON: it is nested too deeply, or holds itself"


def _too_deep_why(record: Any) -> str:
    """Why a record the walks stopped in (past :data:`_DEEPEST` levels) has no text the service
    reads: :data:`_HOLDS_ITSELF` when it holds itself, else the words its text gets from the
    decoders (:data:`~mapper.engine.gojson.NESTED_TOO_DEEPLY`: nested past Go's 10,000 levels, so
    refused alike as a dict and as its text, whatever the recursion limit)."""
    return _HOLDS_ITSELF if _holds_itself(record) else NESTED_TOO_DEEPLY


def _holds_itself(value: Any) -> bool:
    """Whether a value (dicts, lists, tuples and other mappings) holds itself: a container found
    again below itself. Walked without recursion, each container once (a list held twice side
    by side is no cycle); only on the path of a record the walks refused."""
    on_path: set[int] = set()
    done: set[int] = set()
    todo: list[tuple[Any, bool]] = [(value, False)]
    while todo:
        v, leaving = todo.pop()
        key = id(v)
        if leaving:
            on_path.discard(key)
            done.add(key)
            continue
        if key in on_path:
            return True
        if key in done or not isinstance(v, (list, tuple, Mapping)):
            continue
        on_path.add(key)
        todo.append((v, True))
        try:
            todo.extend((x, False) for x in (v.values() if isinstance(v, Mapping) else v))
        except Exception:  # noqa: BLE001 - (a mapping whose reading fails: the walks said so first, not here)
            continue
    return False


def _exact_text_here(record: Any) -> tuple[bytes | None, str | None]:
    """:func:`_exact_text` on the caller's stack (RecursionError if it runs out). What a
    mapping's own code raises while it is read propagates, as from :meth:`Mapper.check`."""
    try:
        value = as_json(record, exact=True)
    except ConversionError as exc:  # (where: the object holding a key that is not a string, a value with no JSON form)
        return None, f"the record cannot be encoded as JSON: {located(exc, ())}"
    if _non_finite(value):
        return None, NON_FINITE
    try:
        return b"%b" % orjson.dumps(value), None  # to its size (see mapping_text)
    except TypeError:  # a str holding an unpaired surrogate, an integer beyond 64 bits: JSON has a form for them
        try:
            raw = _flat_text(value)
        except ValueError:  # a float json refuses (allow_nan) that the test above did not see
            return None, NON_FINITE
    return raw, _read_problem(raw)


def _non_finite(value: Any) -> bool:
    """Whether a JSON value (dicts, lists and builtin scalars; one that holds itself never
    comes here: orjson and :func:`~mapper.types.as_json` refuse it) holds a float NaN or
    infinity. Iterative, as deep as the value goes (a recursion ran out at half the depth
    the engine's decoder reads)."""
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, float):  # (OutOfRangeNumber, the careful path's 1e400, is an infinite float)
            if not math.isfinite(v):
                return True
        elif v.__class__ is dict:
            todo.extend(v.values())
        elif v.__class__ is list or v.__class__ is tuple:  # (a tuple: mapping_text's quick path)
            todo.extend(v)
    return False
