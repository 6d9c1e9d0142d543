"""Compile a sink into generated accessor code, once: a :class:`CompiledSink`.

For one :class:`~mapper.model.Sink` the compiler writes one small Python module:

* ``walk(rec)`` - the careful path: walks one decoded record (a dict) once, sharing
  path prefixes, and returns every column's raw value with *missing*, *null* and
  "not an object" kept apart;
* for each decoder tier (:mod:`mapper.tiers`), msgspec Struct types holding only the
  mapped fields, and an extractor (``extract_required``, ``extract_optional_L`` ...)
  that turns a list of decoded Structs into one list per column, one list
  comprehension per path node.

Following attrs/cattrs, only identifiers the generator controls are written into
the source; keys from the definition are untrusted and reach the code as bound
constants (``_k3``), never as text. The module gets a ``<mapper generated sink ...>``
filename registered in :mod:`linecache` (made unique, as attrs does, by appending
``-2``, ``-3`` ... when another module already holds it), so tracebacks and
``inspect`` show its lines, and the source is kept (``mapper explain`` prints it).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import linecache
import operator
import re
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Literal, Mapping, Optional, Union

import msgspec
from msgspec import UNSET, UnsetType

from .checks import Checker, ConfigKeyWhere, check_config
from .errors import (
    SURROGATE,
    DefinitionError,
    OptionError,
    PathSyntaxError,
    Problem,
    article,
    as_unescaped,
    class_name,
    escape_controls,
    has_lone_surrogate,
    int_text,
    make_pointer,
    preview,
)
from .model import CONFIG_ATTRS, MISSING, Column, ColumnConfig, Sink
from .paths import EVALUATION_ERRORS, MAX_PATH_KEYS, Path, evaluation_failure, parse_path
from .sink import built_name_problems, unwritable_details
from .stack import full_stack
from .tiers import TIERS, Tier, renameable
from .types import TYPES, ColumnType, column_type, type_set

__all__ = ["CompiledSink", "CompiledTier", "NotObject", "PathFailure", "compile_definition"]


class NotObject:
    """Marks a path that walked into something that is not an object."""

    __slots__ = ("keys", "value")

    def __init__(self, keys: tuple[str, ...], value: Any):
        self.keys = keys
        self.value = value

    def __repr__(self) -> str:
        return f"NotObject({self.keys!r})"


class PathFailure:
    """A JMESPath expression that raised while being evaluated."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


# ---------------------------------------------------------------------------------------
# The path trie: columns sharing a prefix share its walk


@dataclass
class _Node:
    key: str | None
    id: int
    parent: _Node | None
    slot: int = 0  # position among its parent's children: the Struct field f<slot>
    children: dict[str, _Node] = field(default_factory=dict)
    columns: list[int] = field(default_factory=list)

    @property
    def keys(self) -> tuple[str, ...]:
        out: list[str] = []
        node: _Node | None = self
        while node is not None and node.key is not None:
            out.append(node.key)
            node = node.parent
        return tuple(reversed(out))


def _build_trie(columns: tuple[Column, ...]) -> tuple[_Node, list[_Node]]:
    counter = itertools.count()
    root = _Node(None, next(counter), None)
    nodes = [root]
    for col in columns:
        if col.path.keys is None:
            continue
        node = root
        for key in col.path.keys:
            child = node.children.get(key)
            if child is None:
                child = _Node(key, next(counter), node, len(node.children))
                node.children[key] = child
                nodes.append(child)
            node = child
        node.columns.append(col.index)
    return root, nodes


def _preorder(root: _Node) -> list[_Node]:
    """Every node below the root, parents before children (iteratively: paths may be deep)."""
    out: list[_Node] = []
    stack = list(reversed(root.children.values()))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children.values()))
    return out


#: Nodes per generated function. CPython's compiler takes superlinear time in the size
#: of one function (its flow analysis), so a sink with thousands of columns gets its
#: walk and extractors as several functions of this many path nodes, each re-walking the
#: few ancestors it needs, joined by one function that puts the columns in order.
PART_NODES = 200


def _parts(root: _Node) -> list[tuple[list[_Node], set[int]]]:
    """The path nodes cut into parts: (the nodes to emit, preorder, ancestors first; the ids the part owns)."""
    pre = _preorder(root)
    order = {n.id: i for i, n in enumerate(pre)}
    parts = []
    for start in range(0, max(len(pre), 1), PART_NODES):
        chunk = pre[start : start + PART_NODES]
        own = {n.id for n in chunk}
        need: dict[int, _Node] = {}
        for n in chunk:
            a = n.parent
            while a is not None and a.key is not None and a.id not in own and a.id not in need:
                need[a.id] = a
                a = a.parent
        parts.append((sorted([*need.values(), *chunk], key=lambda n: order[n.id]), own))
    return parts


class _Source:
    """Accumulates generated lines and the namespace they refer to, in sections: the lines
    from one :meth:`section` call to the next define the function it names (last, after
    its parts), compiled the first time that function is asked for (see :class:`CompiledSink`)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self.sections: list[tuple[str, int]] = []
        #: levels of indentation added to what :meth:`emit` is given (inside a :meth:`block`)
        self.depth = 0

    def section(self, name: str) -> None:
        self.sections.append((name, len(self.lines)))

    def bind(self, name: str, value: Any) -> str:
        assert name.isidentifier() and name not in self.namespace
        self.namespace[name] = value
        return name

    def bind_new(self, prefix: str, value: Any) -> str:
        """Bind ``value`` under a name not yet taken (``prefix`` and a number); return it."""
        return self.bind(f"{prefix}{len(self.namespace)}", value)

    def emit(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * (self.depth + indent) + line)

    @contextmanager
    def function(self, signature: str, doc: str) -> Iterator[None]:
        """``def signature:`` and its one-line docstring; the lines emitted inside are its body,
        and a blank line ends it."""
        self.lines.append(f"def {signature}:")
        self.emit(f'"""{doc}"""')
        yield
        self.lines.append("")

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """``header`` (``try:``) and, one level further in, the lines emitted inside."""
        self.emit(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


#: a generated function's body as it is, in no ``try`` (nullcontext does nothing: one serves all)
_UNGUARDED: AbstractContextManager[None] = nullcontext()


def _gen_joined(
    src: _Source,
    name: str,
    arg: str,
    parts: list[str],
    pieces: list[list[int]],
    extra: list[tuple[int, str]],
    columns: tuple[Column, ...],
    doc: str,
    guard: AbstractContextManager[None] = _UNGUARDED,
) -> None:
    """``name(arg)``: the parts' tuples joined and put in column order (None for columns no part has);
    its body emitted inside ``guard`` (walk's :func:`_record_guard`)."""
    position: dict[int, int] = {}
    k = 0
    for piece in pieces:
        for ci in piece:
            position[ci] = k
            k += 1
    for ci, _expr in extra:
        position[ci] = k
        k += 1
    none_at = k
    order = [position.get(c.index, none_at) for c in columns]
    # (itemgetter of one index gives the item, not a tuple of it: a sink of one column is taken apart so)
    perm = src.bind(f"_perm_{name}", operator.itemgetter(*order) if len(order) > 1 else _one_of(order[0]))
    defaults = [f"{p}={p}" for p in parts] + [f"{perm}={perm}"]
    defaults += sorted({expr.split("(")[0] + "=" + expr.split("(")[0] for _ci, expr in extra})
    joined = " + ".join([f"{p}({arg})" for p in parts] + [f"({', '.join(expr for _ci, expr in extra)},)" if extra else "()", "(None,)"])
    with src.function(f"{name}({arg}, {', '.join(defaults)})", doc), guard:
        src.emit(f"return {perm}({joined})")


def _one_of(at: int) -> Callable[[tuple[Any, ...]], tuple[Any]]:
    """The 1-tuple of item ``at`` of a tuple (what ``itemgetter`` of several indices makes of them)."""
    get = operator.itemgetter(at)

    def one(values: tuple[Any, ...]) -> tuple[Any]:
        return (get(values),)

    return one


# ---------------------------------------------------------------------------------------
# The careful path: walk(rec)


def _gen_walk(src: _Source, columns: tuple[Column, ...], root: _Node, nodes: list[_Node], active: set[int]) -> None:
    """``walk(rec)``: one decoded record (a dict) -> a tuple of raw values, one per column.

    Columns outside ``active`` (another process's share under ``workers``) are None.
    """
    for node in nodes[1:]:
        src.bind(f"_k{node.id}", node.key)
    jmes = [c for c in columns if c.path.keys is None and c.index in active]
    for col in jmes:
        src.bind(f"_jp{col.index}", _jmespath_getter(col))
    doc = "Walk one decoded record (a dict or another Mapping); return each column's raw value (MISSING, None, NotObject or the value)."
    # (the trie's first keys are read off rec itself: rec.get(_k1, _M) in the part walking them)
    guard = _record_guard(src, reads_keys=bool(root.children))
    parts = _parts(root)
    if len(parts) > 1:
        names, pieces = [], []
        for p, (emit_nodes, own) in enumerate(parts):
            names.append(f"_walk{p}")
            pieces.append(_gen_walk_part(src, f"_walk{p}", emit_nodes, own, [], "Walk one part of the paths."))
        _gen_joined(src, "walk", "rec", names, pieces, [(c.index, f"_jp{c.index}(rec)") for c in jmes], columns, doc, guard)
        return
    emit_nodes, own = parts[0]
    _gen_walk_part(src, "walk", emit_nodes, own, jmes, doc, columns, guard)


@contextmanager
def _record_guard(src: _Source, reads_keys: bool) -> Iterator[None]:
    """The body of ``walk`` emitted inside: ``walk`` of anything but a mapping
    (``m.walk("text")``, ``m.walk(None)``) is an :class:`OptionError` saying what it takes, not
    the AttributeError of ``rec.get``. A walk that ``reads_keys`` of ``rec`` has its body in a
    ``try`` (no cost on Python 3.11+ until something is raised; the careful path walks every
    record it judges), the record's type looked at only once it failed. One that gets no key of
    ``rec`` itself (JMESPath columns alone, which read a string as holding nothing) looks at it
    first: those columns' search costs far more than the look."""
    if not reads_keys:
        src.emit("if not _isdict(rec): raise _not_a_record(rec)")
        yield
        return
    with src.block("try:"):
        # a mapping other than a dict as the members its JSON text holds (see members)
        src.emit("if rec.__class__ is not dict: rec = _members(rec)")
        yield
    src.emit("except (AttributeError, TypeError):")
    src.emit("if not _isdict(rec): raise _not_a_record(rec) from None", 2)
    src.emit("raise", 2)


def _not_a_record(rec: Any) -> OptionError:
    """The error of ``walk`` given what is not a mapping (see :func:`_record_guard`)."""
    given = "None" if rec is None else type(rec).__name__ if type(rec).__module__ == "builtins" else class_name(rec)
    return OptionError(
        f"walk takes one decoded record, a dict (or another Mapping), not {given}: "
        "m.check(record) takes its JSON text too, and says what is wrong with anything else"
    )


def _gen_walk_part(
    src: _Source,
    name: str,
    emit_nodes: list[_Node],
    own: set[int],
    jmes: list[Column],
    doc: str,
    columns: tuple[Column, ...] | None = None,
    guard: AbstractContextManager[None] = _UNGUARDED,
) -> list[int]:
    """One walk function over ``emit_nodes``, its body emitted inside ``guard`` (the whole
    walk's :func:`_record_guard`); returns the columns (in its tuple's order) it yields.

    With ``columns`` it returns a value for every column (None for the inactive ones).
    """
    defaults = ["_M=_M", "_isdict=_isdict", "_down=_down", "_jg=_jg", "_members=_members"]
    defaults += [f"_k{n.id}=_k{n.id}" for n in emit_nodes]
    defaults += [f"_jp{c.index}=_jp{c.index}" for c in jmes]
    with src.function(f"{name}(rec, {', '.join(defaults)})", doc), guard:
        out: dict[int, str] = {}
        for node in emit_nodes:
            cvar = f"n{node.id}"
            parent = node.parent
            assert parent is not None
            # (a key a caller's key holding surrogates may arrive as is looked up as it arrives: joined_get)
            obj = "rec" if parent.key is None else f"n{parent.id}"
            get = f"_jg({obj}, _k{node.id}, _M)" if _joins(node.key) else f"{obj}.get(_k{node.id}, _M)"
            if parent.key is None:
                src.emit(f"{cvar} = {get}")
            else:
                src.emit(f"{cvar} = {get} if {obj}.__class__ is dict else {obj}")
            if node.id in own:
                for ci in node.columns:
                    if node.children:  # the value itself is a column, and the walk goes on inside it
                        src.emit(f"c{ci} = {cvar}")
                        out[ci] = f"c{ci}"
                    else:
                        out[ci] = cvar
            if node.children:  # (_down makes another mapping a dict: see members)
                src.emit(f"if {cvar}.__class__ is not dict: {cvar} = _down({cvar}, {node.id})")
        for col in jmes:
            src.emit(f"c{col.index} = _jp{col.index}(rec)")
            out[col.index] = f"c{col.index}"
        return _emit_return(src, columns, out)


def _jmespath_getter(col: Column) -> Callable[[Any], Any]:
    expr = col.path.compiled()

    def get(rec: Any) -> Any:
        try:
            value = full_stack(expr.search, rec)  # (as deep a value as any caller's: see mapper.stack)
        except EVALUATION_ERRORS as exc:  # the record's failure alone (ceil() of 1e400 overflows)
            return PathFailure(evaluation_failure(exc))
        return MISSING if value is None else value

    get.__qualname__ = get.__name__ = f"jmespath_{col.index}"
    return get


#: The characters a key holding UTF-16 surrogates arrives with: a pair is one character beyond
#: the Basic Multilingual Plane, an unpaired surrogate U+FFFD (:func:`~mapper.errors.as_unescaped`).
_JOINED = re.compile("[\U00010000-\U0010ffff\ufffd]")


def _joins(key: str | None) -> bool:
    """Whether a Python caller's key holding surrogates may arrive at the endpoint as path key ``key``."""
    return key is not None and not key.isascii() and _JOINED.search(key) is not None


_NOT_FOUND = object()


def joined_get(obj: Mapping[Any, Any], key: str, default: Any) -> Any:
    """The member ``key`` of a record's object as its JSON text reaches the endpoint, for a path
    key a key holding surrogates may arrive as (:func:`_joins`; every other key is a plain ``get``).

    A Python caller's key holding a surrogate pair as two code points (``"\\ud83d\\ude00"``, as
    UTF-16 decoded with ``surrogatepass`` holds it) is sent as their escapes, which the endpoint's
    decoder joins into the one character (``"😀"``), as it reads the same record's JSON text; an
    unpaired surrogate arrives as U+FFFD, half of a pair never as the character. Of keys arriving
    as one, the last counts, as Go's decoder keeps the last member of a name; the value is read
    through ``get`` (a mapping's own)."""
    if obj.__class__ is dict:
        try:
            if not has_lone_surrogate("".join(obj)):  # (the usual object: at C speed)
                return obj.get(key, default)
        except TypeError:  # a key that is not a string
            pass
    found: Any = _NOT_FOUND
    for k in obj:
        if k == key or (isinstance(k, str) and has_lone_surrogate(k) and as_unescaped(k) == key):
            found = k
    return default if found is _NOT_FOUND else obj.get(found, default)


def members(value: Any) -> Any:
    """A mapping other than a dict as the dict of the members its JSON text holds (anything else
    as it is): each key it lists, with what its ``get`` gives (a dict subclass's own ``get``; a
    key listed but not given, a ``KeyError`` inside, left out), as
    :func:`~mapper.types.as_json` reads it for that text, which :class:`mapper.Batcher` sends. A
    key ``get`` gives but the mapping does not list (a case-insensitive mapping's ``"n"`` for its
    ``"N"``) is no member: read through ``get`` alone, ``check`` and ``map`` stored a value the
    text sent for the record does not hold. A dict is walked as it is."""
    if not isinstance(value, Mapping):
        return value
    get = value.get
    return {k: v for k in value for v in (get(k, _NOT_FOUND),) if v is not _NOT_FOUND}


def _isdict(value: Any) -> bool:
    return value.__class__ is dict or isinstance(value, Mapping)  # any mapping a producer hands in


# ---------------------------------------------------------------------------------------
# The fast path for Python dicts


_DICTS = frozenset({dict})


def _all_dicts(values: list[Any]) -> bool:
    """Every value a plain dict (a C-speed test: the usual case of nested records)."""
    return type_set(values) <= _DICTS


def _get_each(values: list[Any], get: Callable[[Any], Any], bad: set[int]) -> list[Any]:
    """``get`` from each value that is a dict; None and UNSET pass down (null or missing below);
    anything else (a list, another kind of mapping) marks its record for the careful path."""
    out = []
    for i, x in enumerate(values):
        if x.__class__ is dict:
            out.append(get(x))
        elif x is None or x is UNSET:
            out.append(x)
        else:
            bad.add(i)
            out.append(UNSET)
    return out


def _emit_return(src: _Source, columns: Any, out: dict[int, str]) -> list[int]:
    """An extractor's last line: the column lists in column order (None for columns it does not make)."""
    order = [c.index for c in columns] if columns is not None else list(out)
    items = [out.get(ci, "None") for ci in order]
    src.emit(f"return ({', '.join(items)},)" if items else "return ()")  # (a part of path nodes alone makes no column)
    return order


def _gen_extract_dicts(src: _Source, columns: tuple[Column, ...], root: _Node) -> None:
    """``extract_dicts(recs, bad)``: a list of dicts -> one list per column (UNSET where missing).

    The children of a path node are read together, one ``map`` over its parent's list,
    so no bytecode runs per record: ``operator.itemgetter`` of all their keys, its tuples
    transposed (:func:`_columns`); when some dict lacks a key, each child alone
    (:func:`_column`: ``itemgetter(key)``, or ``dict.get`` with UNSET where some dict lacks
    that one). Both look the keys up as the dicts' own key objects. A parent list holding anything but
    dicts takes the careful per-element form instead, which adds the records it cannot
    walk to ``bad`` (they go the careful way).
    """
    doc = "Dicts of a run -> one list of raw values per column; records that are not walkable go to `bad`."
    parts = _parts(root)
    for emit_nodes, _own in parts:
        for node in emit_nodes:
            if f"_k{node.id}" not in src.namespace:  # (the key as walk binds it)
                src.bind(f"_k{node.id}", node.key)
            if f"_g{node.id}" not in src.namespace:
                get: Any = operator.methodcaller("get", node.key, UNSET)
                if node.key is not None and _joins(node.key):
                    get = functools.partial(joined_get, key=node.key, default=UNSET)
                src.bind(f"_g{node.id}", get)
    if len(parts) > 1:
        names, pieces = [], []
        for p, (emit_nodes, own) in enumerate(parts):
            names.append(f"_extract_dicts{p}")
            pieces.append(_gen_extract_dicts_part(src, f"_extract_dicts{p}", emit_nodes, own, "Extract one part of the columns."))
        _gen_joined(src, "extract_dicts", "recs, bad", names, pieces, [], columns, doc)
        return
    emit_nodes, own = parts[0]
    _gen_extract_dicts_part(src, "extract_dicts", emit_nodes, own, doc, columns)


def _gen_extract_dicts_part(src: _Source, name: str, emit_nodes: list[_Node], own: set[int], doc: str, columns: tuple[Column, ...] | None = None) -> list[int]:
    defaults = ["_map=map", "_list=list", "_all_dicts=_all_dicts", "_get_each=_get_each", "_columns=_columns", "_column=_column"]
    defaults += [f"{p}{n.id}={p}{n.id}" for n in emit_nodes for p in ("_k", "_g")]
    groups = _sibling_groups(emit_nodes)
    # (a key holding surrogates may arrive as a joining key: each dict is looked at, see joined_get)
    plain = {pid: [n for n in sib if not _joins(n.key)] for pid, sib in groups.items()}
    getters = {pid: src.bind_new("_m", tuple(n.key for n in sib)) for pid, sib in plain.items() if len(sib) > 1}
    defaults += [f"{g}={g}" for g in getters.values()]
    with src.function(f"{name}(recs, bad, {', '.join(defaults)})", doc):
        out: dict[int, str] = {}
        for parent_id, siblings in groups.items():
            parent = siblings[0].parent
            assert parent is not None
            target = {n.id: f"n{n.id}" if n.children else f"v{n.id}" for n in siblings}
            p, indent = ("recs", 1) if parent.key is None else (f"n{parent.id}", 2)  # the records: the caller passes only dicts
            if indent == 2:
                src.emit(f"if d{parent.id}:")
            for node in siblings:
                if _joins(node.key):
                    src.emit(f"{target[node.id]} = _list(_map(_g{node.id}, {p}))", indent)
            group = plain[parent_id]
            if parent_id in getters:  # every key at once, one tuple per record (each dict is read once)
                src.emit("try:", indent)
                src.emit(f"{', '.join(target[n.id] for n in group)} = _columns({p}, {getters[parent_id]})", indent + 1)
                src.emit("except KeyError:  # some dict lacks a key: key by key", indent)
                indent += 1
            for node in group:
                src.emit(f"{target[node.id]} = _column({p}, _k{node.id})", indent)
            if parent.key is not None:
                src.emit("else:")
                for node in siblings:
                    src.emit(f"{target[node.id]} = _get_each({p}, _g{node.id}, bad)", 2)
            for node in siblings:
                if node.children:
                    src.emit(f"d{node.id} = _all_dicts({target[node.id]})")
                if node.id in own:
                    for ci in node.columns:
                        out[ci] = target[node.id]
        return _emit_return(src, columns, out)


def _sibling_groups(emit_nodes: list[_Node]) -> dict[int, list[_Node]]:
    """The nodes to emit by parent, each group where its first node stands (preorder: a
    parent's group comes after the group that makes the parent's own list)."""
    groups: dict[int, list[_Node]] = {}
    for node in emit_nodes:
        assert node.parent is not None
        groups.setdefault(node.parent.id, []).append(node)
    return groups


def _columns(dicts: list[dict[Any, Any]], keys: tuple[str, ...]) -> list[list[Any]]:
    """The values of ``keys`` in each of ``dicts`` as one list per key (a ``KeyError`` when
    some dict lacks one).

    Reading every mapped key of a dict at once (one ``itemgetter`` of all of them) and
    transposing is quicker than one pass over the dicts per key: each dict is visited
    once (seed records in runs of 2,048, 15 mapped fields: 0.12 s against 0.22 s for
    200,000 records). Not for the decoders' Structs: their one list comprehension per
    field measured quicker than ``attrgetter`` and this (a tuple per record to make).
    The keys are looked up as the first dict's own key objects (:func:`_own_keys`).
    """
    get = operator.itemgetter(*_own_keys(keys, dicts[0])) if dicts else None
    cols = [list(c) for c in zip(*map(get, dicts))] if get is not None else []
    return cols if cols else [[] for _ in keys]


def _column(dicts: list[dict[Any, Any]], key: str) -> list[Any]:
    """The value of ``key`` in each of ``dicts``, UNSET where one lacks it (the key looked up
    as the first dict's own key object, see :func:`_own_keys`)."""
    if not dicts:
        return []
    (own,) = _own_keys((key,), dicts[0])
    try:
        return list(map(operator.itemgetter(own), dicts))
    except KeyError:  # some dict lacks the key
        return list(map(dict.get, dicts, itertools.repeat(own), itertools.repeat(UNSET)))


def _own_keys(keys: tuple[str, ...], first: dict[Any, Any]) -> list[str]:
    """``keys``, each one the dict ``first`` holds spelled as that dict's own key object.

    A dict finds a key that *is* its own key object without comparing text; records decoded
    by one decoder (orjson keeps one object per key text) or written in Python (literal keys
    are interned) share their key objects, never the sink's. Seed records, 200,000 in runs of
    2,048: 77 ms against 94 ms to read their 15 mapped keys. Only a ``str`` stands in for a
    ``str``: equal strings hash alike, so every dict finds the same value by either.
    """
    own = {k: k for k in first if type(k) is str}  # (type(): a key cannot pass for a str)
    return [own.get(k, k) if type(k) is str else k for k in keys]


# ---------------------------------------------------------------------------------------
# The fast path: msgspec Structs for the mapped fields only, per tier


def _fast_plan(ctypes: tuple[ColumnType, ...], columns: tuple[Column, ...], nodes: list[_Node], active: set[int]) -> str | None:
    """Why the fast path cannot serve this sink, or None when it can."""
    if any(c.path.keys is None for c in columns if c.index in active):
        return "a JMESPath column needs whole records"
    for node in nodes[1:]:
        if node.columns and node.children:
            return "a column's path goes inside another column's value"
        if not renameable(node.key or ""):
            return "a key contains a quote, backslash or control character"
        if SURROGATE.search(node.key or "") is not None:  # (only a Sink not made by load_sink, which refuses them: msgspec cannot encode one)
            return "a key holds a UTF-16 surrogate"
        if len(node.columns) > 1:
            if any(len({repr(ctypes[i].json_shape(tier)) for i in node.columns}) > 1 for tier in TIERS):
                return "two columns of different types read the same path"
    return None


def _gen_structs(src: _Source | None, ctypes: tuple[ColumnType, ...], root: _Node, tier: Tier, literals: dict[int, tuple[str, ...]] | None = None) -> Any:
    """Define one Struct per path node (children before parents) for ``tier``; return the root Struct."""

    def build(node: _Node) -> Any:
        fields: list[Any] = []
        rename: dict[str, str] = {}
        for j, child in enumerate(node.children.values()):
            name = f"f{j}"
            rename[name] = child.key or ""
            if child.children:
                ftype: Any = build(child)
            elif literals and child.columns[0] in literals:
                ftype = Literal[literals[child.columns[0]]]  # type: ignore[valid-type]
            else:
                ftype = ctypes[child.columns[0]].json_shape(tier)
            if tier.every_field:
                fields.append((name, ftype))
            else:
                fields.append((name, Optional[Union[ftype, UnsetType]], UNSET))
        cls = msgspec.defstruct(f"{tier.prefix}{node.id}", fields, rename=rename, gc=False)
        if src is not None:
            src.bind(f"_{tier.prefix}{node.id}", cls)
        return cls

    return build(root)


def _extractor_name(tier: Tier) -> str:
    # Tiers whose fields are all set share one extractor: it never looks at a Struct's class.
    return "extract_required" if tier.every_field else f"extract_optional_{tier.prefix}"


def _gen_extract(src: _Source, columns: tuple[Column, ...], root: _Node, tier: Tier) -> None:
    name = _extractor_name(tier)
    doc = f"Decoded Structs of a chunk -> one list of raw values per column ({'required, non-null' if tier.every_field else 'nullable, optional'} fields)."
    parts = _parts(root)
    if len(parts) > 1:
        names, pieces = [], []
        for p, (emit_nodes, own) in enumerate(parts):
            names.append(f"_{name}{p}")
            pieces.append(_gen_extract_part(src, f"_{name}{p}", tier, emit_nodes, own, "Extract one part of the columns."))
        _gen_joined(src, name, "recs", names, pieces, [], columns, doc)
        return
    emit_nodes, own = parts[0]
    _gen_extract_part(src, name, tier, emit_nodes, own, doc, columns)


def _gen_extract_part(
    src: _Source, name: str, tier: Tier, emit_nodes: list[_Node], own: set[int], doc: str, columns: tuple[Column, ...] | None = None
) -> list[int]:
    """One extractor over ``emit_nodes``; returns the columns (in its tuple's order) it yields."""
    internal = [n for n in emit_nodes if n.children]  # their Structs: a child's parent may be None or UNSET
    defaults = "" if tier.every_field else ", ".join(f"_{tier.prefix}{n.id}=_{tier.prefix}{n.id}" for n in internal)
    with src.function(f"{name}(recs{', ' + defaults if defaults else ''})", doc):
        out: dict[int, str] = {}
        for node in emit_nodes:
            parent = node.parent
            assert parent is not None
            target = f"n{node.id}" if node.children else f"v{node.id}"
            j = node.slot
            if parent.key is None:
                src.emit(f"{target} = [r.f{j} for r in recs]")
            elif tier.every_field:
                src.emit(f"{target} = [x.f{j} for x in n{parent.id}]")
            else:  # the parent may be None or UNSET: passed through as the value
                src.emit(f"{target} = [x.f{j} if x.__class__ is _{tier.prefix}{parent.id} else x for x in n{parent.id}]")
            if node.id in own:
                for ci in node.columns:
                    out[ci] = target
        return _emit_return(src, columns, out)


class CompiledTier:
    """A decoder tier of one sink: the record decoder (one text, or NDJSON lines at once) and the extractor.

    Both are made the first time they are used (most inputs never need some tiers: a
    definition of 3,000 columns took 1.4 s to compile whole, 0.2 s of it these decoders).
    """

    __slots__ = ("tier", "root", "_decoder", "_load", "_extract")

    def __init__(self, tier: Tier, root: Any, load: Callable[[str], Any]):
        self.tier = tier
        self.root = root  # the root Struct type
        self._load = load  # the sink's loader of generated functions by name
        self._decoder: msgspec.json.Decoder[Any] | None = None
        self._extract: Callable[[list[Any]], tuple[list[Any], ...]] | None = None

    @property
    def lines_decoder(self) -> msgspec.json.Decoder[Any]:
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = msgspec.json.Decoder(self.root)
        return decoder

    @property
    def extract(self) -> Callable[[list[Any]], tuple[list[Any], ...]]:
        """Decoded records -> one list of raw values per column."""
        extract = self._extract
        if extract is None:
            extract = self._extract = self._load(_extractor_name(self.tier))
        return extract

    def with_root(self, root: Any) -> CompiledTier:
        """The same tier decoding into other Structs of the same shape (literals): the same extractor."""
        return CompiledTier(self.tier, root, self._load)

    def __repr__(self) -> str:
        return f"<CompiledTier {self.tier.name}>"


def _unique_filename(base: str, lines: list[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ...: the first linecache name not holding other source."""
    name, n = base, 1
    while True:
        cached = linecache.cache.get(name)
        if cached is None or (len(cached) == 4 and cached[2] == lines):
            return name
        n += 1
        name = f"{base[:-1]}-{n}>"


def exec_generated(source: str, title: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run generated ``source`` in ``namespace`` (returned), its lines registered in
    :mod:`linecache` under ``<mapper generated sink TITLE>`` (made unique), so tracebacks
    and ``inspect.getsource`` show them. ``title``: the sink's label (see
    :attr:`CompiledSink.label`) and what the source is."""
    lines = source.splitlines(True)
    filename = _unique_filename(f"<mapper generated sink {title}>", lines)
    linecache.cache[filename] = (len(source), None, lines, filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


# ---------------------------------------------------------------------------------------


#: Decoder sets with literals kept per sink (a producer's small batches repeat the same few).
_LITERAL_SETS_KEPT = 16


class CompiledSink:
    """A sink compiled once: the column types, the generated walk, and the decoder tiers.

    ``part`` (used by ``workers=N``): the stored columns this compilation handles, and
    whether it makes ``_id``; the generated code then decodes only those fields.
    """

    def __init__(self, sink: Sink, part: tuple[frozenset[int], bool] | None = None):
        problems = hand_built_problems(sink)
        if problems:
            raise DefinitionError(problems, sink.source)
        self.sink = sink
        columns = sink.columns
        self.columns = columns
        self.stored = sink.stored_columns
        identity = tuple(c.index for c in sink.identity_columns)
        if part is None:
            self.handled = frozenset(c.index for c in self.stored)
            self.with_identity = True
        else:
            self.handled, self.with_identity = part
        active = set(self.handled) | (set(identity) if self.with_identity else set())
        self.ctypes: tuple[ColumnType, ...] = tuple(column_type(c) for c in columns)
        for ctype in self.ctypes:
            ctype.see_columns(columns)
        #: some value is printed as text (a string column, a primary key): the sign of an
        #: integer -0 then matters (Go decodes it as float64 -0, printed "-0")
        self.prints_numbers = any(self.ctypes[i].is_text for i in active) or (sink.primary_key_fields is not None and self.with_identity)
        self.jsonpaths = tuple(c.path.jsonpath() for c in columns)
        self.names = tuple(c.name for c in columns)
        self.pointers = tuple(c.pointer for c in columns)
        root, nodes = _build_trie(tuple(c for c in columns if c.index in active))
        self._root = root
        self._prefix_keys = {n.id: n.keys for n in nodes}

        src = _Source()
        src.bind("_M", MISSING)
        src.bind("_isdict", _isdict)
        src.bind("_down", self._down)
        src.bind("_members", members)
        src.bind("_jg", joined_get)
        src.bind("_not_a_record", _not_a_record)
        src.section("walk")
        _gen_walk(src, columns, root, nodes, active)
        self.fast_unavailable = _fast_plan(self.ctypes, columns, nodes, active)
        roots: dict[str, Any] = {}
        tiers: list[Tier] = []
        if self.fast_unavailable is None:
            src.bind("_all_dicts", _all_dicts)
            src.bind("_get_each", _get_each)
            src.bind("_columns", _columns)
            src.bind("_column", _column)
            src.section("extract_dicts")
            _gen_extract_dicts(src, columns, root)
            for tier in TIERS:
                if tier.values_as_text and not any(self.ctypes[i].is_text for i in active):
                    continue  # the loose tier only differs from lenient for text columns
                tiers.append(tier)
                roots[tier.name] = _gen_structs(src, self.ctypes, root, tier)
                if not tier.every_field or tier is TIERS[0]:
                    src.section(_extractor_name(tier))
                    _gen_extract(src, columns, root, tier)
        self.source = "\n".join(src.lines) + "\n"
        lines = self.source.splitlines(True)
        digest = hashlib.sha1(repr((sink.to_schema(), sorted(active))).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        # (a checked sink name is lowercase letters, digits, - and _; a Sink made otherwise may hold
        # anything, and the label is a filename: compile() takes no NUL, a traceback no newline)
        label = "".join(c if c.isprintable() and c not in "<>" else "?" for c in sink.name[:100]) if sink.name else "unnamed"
        self.filename = _unique_filename(f"<mapper generated sink {label} {digest}>", lines)
        linecache.cache[self.filename] = (len(self.source), None, lines, self.filename)
        #: the sink's name as generated code's filenames and qualnames show it (printable, no <>)
        self.label = label
        # each section is compiled the first time its function is asked for (a definition of
        # 3,000 columns: 0.95 s to compile whole, most of it for functions an input never uses)
        ends = [start for _name, start in src.sections[1:]] + [len(src.lines)]
        at = list(itertools.accumulate((len(line) + 1 for line in src.lines), initial=0))  # where each line starts in the source
        self._sections = {name: (start, at[start], at[end]) for (name, start), end in zip(src.sections, ends)}
        self.namespace = dict(src.namespace)
        self.tiers: tuple[CompiledTier, ...] = tuple(CompiledTier(t, roots[t.name], self._load) for t in tiers)
        self.dict_tier: Tier | None = self.tiers[-1].tier if self.tiers else None
        self.stored_index = tuple(c.index for c in self.stored if c.index in self.handled)
        self.identity_index = identity
        #: what later stages work out once per sink (the engine's plan, decoders with
        #: literals), so that a run of one record pays none of it; entries are
        #: deterministic, so two threads filling one at once is harmless
        self.memo: dict[Any, Any] = {}

    def _load(self, name: str) -> Any:
        """The generated function ``name``, its section compiled the first time (at its lines
        of :attr:`source`, so tracebacks point into it). Two threads doing so at once both
        define the same functions; the function is its section's last definition, so a
        thread that finds it finds its parts too."""
        namespace = self.namespace
        fn = namespace.get(name)
        if fn is None:
            line, begin, end = self._sections[name]
            text = "\n" * line + self.source[begin:end]
            exec(compile(text, self.filename, "exec"), namespace)
            fn = namespace[name]
        return fn

    @functools.cached_property
    def walk(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        """The careful path's walk of one record: its raw value per column (see _gen_walk)."""
        walk = self._load("walk")
        walk.__qualname__ = f"CompiledSink.walk[{self.label}]"
        return walk  # type: ignore[no-any-return]

    @functools.cached_property
    def extract_dicts(self) -> Callable[[list[Any], set[int]], tuple[list[Any], ...]] | None:
        """Dicts -> column lists (see _gen_extract_dicts), for the tier whose vector forms take them."""
        return self._load("extract_dicts") if "extract_dicts" in self._sections else None

    def extract_exact_of(self, wanted: tuple[int, ...]) -> Callable[[list[Any]], tuple[Any, ...]] | None:
        """An extractor of the exact tier's decoded records that makes the lists of the columns
        ``wanted`` only (None in the others' places): a few records' quick forms look at a few
        columns (:func:`~mapper.engine.fast.map_few`), and the tier's own extractor made a list
        of every one (10 seed records: 2.7 us, against 1.3 us for the 6 columns judged). None
        when the exact tier may leave fields unset, or the columns need more than
        :data:`PART_NODES` path nodes (the tier's extractor then). Made once per ``wanted``."""
        key = ("extract_exact_of", wanted)
        found = self.memo.get(key)
        if found is not None:
            return found if callable(found) else None
        fn: Any = False  # (memo: no such extractor)
        if self.tiers and self.tiers[0].tier.every_field:
            keep: set[int] = set()
            for node in _preorder(self._root):
                if not node.children and not set(wanted).isdisjoint(node.columns):
                    a: _Node | None = node
                    while a is not None and a.key is not None and a.id not in keep:
                        keep.add(a.id)
                        a = a.parent
            emit = [n for n in _preorder(self._root) if n.id in keep]
            if len(emit) <= PART_NODES:
                src = _Source()
                doc = "Decoded Structs of a few records -> the lists of the columns judged (None for the others)."
                _gen_extract_part(src, "extract_exact_of", self.tiers[0].tier, emit, {n.id for n in emit if not n.children}, doc, self.columns)
                fn = exec_generated("\n".join(src.lines) + "\n", f"{self.label} judged columns", {})["extract_exact_of"]
        self.memo[key] = fn
        return fn if callable(fn) else None

    def exact_slots(self, wanted: tuple[int, ...]) -> dict[int, tuple[int, ...]] | None:
        """Where the exact tier's decoded record holds each column of ``wanted``: its Struct
        fields' slots from the root (``(2, 1)``: ``record.f2.f1``), for generated code that
        reads a few records' values in place (:func:`~mapper.engine.fast.map_few`). None
        when the tier may leave fields unset, or a column is not at the end of a path (as
        :meth:`extract_exact_of` reads them), or on none."""
        if not self.tiers or not self.tiers[0].tier.every_field:
            return None
        nodes = self._leaf_nodes(wanted)
        if nodes is None:
            return None
        slots: dict[int, tuple[int, ...]] = {}
        for ci, node in nodes.items():
            path: list[int] = []
            a: _Node | None = node
            while a is not None and a.key is not None:
                path.append(a.slot)
                a = a.parent
            slots[ci] = tuple(reversed(path))
        return slots

    def dict_paths(self, wanted: tuple[int, ...]) -> dict[int, tuple[str, ...]] | None:
        """The keys from the root of each column of ``wanted`` in a caller's dict, for
        generated code that reads a few dicts' values in place (:func:`~mapper.engine.fast.vouch_dicts`).
        None when a column is not at the end of a path (as :attr:`extract_dicts` reads
        them), or a key on a path may arrive joined (:func:`_joins`: read by
        :func:`joined_get`), or on none."""
        if not wanted or any(_joins(node.key) for node in _preorder(self._root)):
            return None
        nodes = self._leaf_nodes(wanted)
        return None if nodes is None else {ci: node.keys for ci, node in nodes.items()}

    def _leaf_nodes(self, wanted: tuple[int, ...]) -> dict[int, _Node] | None:
        """The path node of each column of ``wanted``; None when one is not at the end of a
        path (a node with children), or one that no node holds."""
        nodes: dict[int, _Node] = {}
        asked = set(wanted)
        for node in _preorder(self._root):
            for ci in node.columns:
                if ci not in asked:
                    continue
                if node.children:
                    return None
                nodes[ci] = node
        return nodes if len(nodes) == len(asked) else None

    def tiers_with(self, literals: dict[int, tuple[str, ...]]) -> tuple[CompiledTier, ...]:
        """The decoder tiers with some string columns typed as the few values they hold.

        msgspec then hands back one shared str object per distinct value instead of
        allocating a new one for every record (keeping millions of small strings alive
        is the costliest part of decoding them). Only tiers that take literals are
        specialised (:attr:`mapper.tiers.Tier.takes_literals`); a value outside the set
        fails the tier, and the next one maps the chunk exactly as before. An inexact
        tier's string leaves take ``""`` too, so its set does.
        """
        key = ("tiers_with", tuple(sorted(literals.items())))
        cached = self.memo.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        out = []
        for ct in self.tiers:
            if ct.tier.takes_literals and literals:
                extra = () if ct.tier.exact_types else ("",)
                values = {ci: tuple(vs) + extra for ci, vs in literals.items()}
                ct = ct.with_root(_gen_structs(None, self.ctypes, self._root, ct.tier, literals=values))
            out.append(ct)
        kept = [k for k in list(self.memo) if isinstance(k, tuple) and k[0] == "tiers_with"]
        if len(kept) >= _LITERAL_SETS_KEPT:
            for k in kept:  # feeds whose sets keep changing: start again rather than grow
                self.memo.pop(k, None)
        self.memo[key] = result = tuple(out)
        return result

    def _down(self, value: Any, node_id: int) -> Any:
        if value is MISSING or value is None or isinstance(value, (NotObject, PathFailure)):
            return value
        if isinstance(value, Mapping):  # another mapping than a dict: its members (see members)
            return members(value)
        return NotObject(self._prefix_keys[node_id], value)

    def __repr__(self) -> str:
        return f"<CompiledSink {self.sink.summary()}>"


def hand_built_problems(sink: Sink) -> list[Problem]:
    """What makes a Sink uncompilable: nothing for one :func:`mapper.load_sink` made, but a Sink
    may be built or changed by hand (``dataclasses.replace``), and compiling one whose identity
    names no column or whose type is unknown raised a KeyError from deep inside."""
    problems: list[Problem] = []

    def error(pointer: str, message: str) -> None:
        problems.append(Problem("error", pointer, f"{message} (a Sink not made by mapper.load_sink)", "hand-built"))

    columns, shape = _columns_of(sink.columns)
    if shape is not None:
        error("", shape)
    if not isinstance(sink.allow_missing_fields, bool):  # ("no" is truthy: never taken for a policy)
        error("/allow_missing_fields", f"allow_missing_fields must be True or False, not {preview(repr(sink.allow_missing_fields))}")
    types: dict[str, str] = {}
    places: dict[str, int] = {}
    pointers: list[str] = []
    foreign = columns is not sink.columns  # (no tuple of columns, or one that is no Column: the names are not judged)
    for place, c in enumerate(columns):
        if not isinstance(c, Column):  # (its attributes were read: an AttributeError)
            pointers.append(f"/definition/{place}")
            error(pointers[-1], f"column {place} must be a mapper.Column, not {preview(repr(c))}")
            foreign = True
            continue
        at = c.pointer if isinstance(c.pointer, str) else f"/definition/{place}"  # (a pointer that is no str, None: the error's own text raised a TypeError)
        pointers.append(at)
        # (the compiled columns are looked up by index: another's type, or an IndexError; and the generated
        # code names a column's locals by it: only a plain int's text is its number, True's is "True")
        if c.index.__class__ is not int:
            error(at, f"the column's index must be an int (its place in columns, {place}), not {preview(repr(c.index))}")
        elif c.index != place:
            error(at, f"the column's index is {preview(repr(c.index))}, its place in columns {place}")
        if not isinstance(c.name, str) or not (c.name or c.type == "recordTime"):  # (before it is looked up: a list's is a TypeError)
            error(f"{at}/name", f"the column name must be a non-empty str, not {preview(repr(c.name))}")
        elif c.name in places:  # (its values went under the first one's name)
            error(at, f"the column name {preview(repr(c.name))} is given twice (columns {places[c.name]} and {place})")
        else:
            places[c.name] = place
            types[c.name] = c.type
        if not isinstance(c.type, str) or c.type not in TYPES:
            error(f"{at}/type", f"unknown type {preview(repr(c.type))}")
        elif not sink._checked:  # (a Sink load_sink made was checked: this costs a quarter of compiling 10,000 columns)
            for p in _column_problems(c, at):
                problems.append(replace(p, message=f"{p.message} (a Sink not made by mapper.load_sink)", code="hand-built"))
        keys = c.path.keys if isinstance(c.path, Path) else None
        if not isinstance(c.path, Path):  # (its keys were read: an AttributeError)
            error(f"{at}/path", f"the column's path must be a mapper.Path (mapper.parse_path makes one), not {preview(repr(c.path))}")
        elif keys is None and not isinstance(c.path.expression, str):
            error(f"{at}/path", "the path has neither keys nor an expression")
        elif keys is not None and not (isinstance(keys, tuple) and keys and all(isinstance(k, str) for k in keys)):
            error(f"{at}/path", "the path's keys must be a non-empty tuple of str")
        elif keys is not None and len(keys) > MAX_PATH_KEYS:  # (load_sink's limit: the decoders' Structs nest a level a key)
            error(f"{at}/path", f"the path has {len(keys):,} keys; mapper takes at most {MAX_PATH_KEYS}")
    if not sink._checked and not foreign:  # (names FeatureBase refuses: the endpoint would refuse the sink, as load_sink does)
        for p in built_name_problems(sink, pointers):
            problems.append(replace(p, message=f"{p.message} (a Sink not made by mapper.load_sink)", code="hand-built"))
    if not sink._checked:
        for at, said in _details_problems(sink.sink_details):
            error(at, said)
    if (sink.id_field is None) == (sink.primary_key_fields is None):
        error("", "give exactly one of id_field and primary_key_fields")
    elif sink.id_field is not None:
        if not isinstance(sink.id_field, str) or sink.id_field not in types:
            error("/id_field", f"id_field {preview(repr(sink.id_field))} names no column")
        elif types[sink.id_field] not in ("id", "int"):
            error("/id_field", f"id_field {preview(repr(sink.id_field))} is {article(preview(str(types[sink.id_field])))} column; it must be of type id or int")
    elif not isinstance(sink.primary_key_fields, (tuple, list)):  # (a str was read a character a key; a number raised a TypeError)
        error("/primary_key_fields", f"primary_key_fields must be a tuple of column names, not {preview(repr(sink.primary_key_fields))}")
    elif not sink.primary_key_fields:
        error("/primary_key_fields", "primary_key_fields is empty")
    else:
        for at, said in _key_field_problems(sink.primary_key_fields, types):
            error(at, said)
    return problems


def _key_field_problems(fields: tuple[Any, ...] | list[Any], types: Mapping[str, str]) -> list[tuple[str, str]]:
    """(pointer, words) of what is wrong with a hand-built Sink's primary key fields, given its
    columns' types by name: a field naming no column or a strings column (one listed twice is load_sink's warning, not refused)."""
    found: list[tuple[str, str]] = []
    for i, key in enumerate(fields):
        if not isinstance(key, str) or key not in types:
            found.append((f"/primary_key_fields/{i}", f"primary key field {preview(repr(key))} names no column"))
        elif types[key] == "strings":
            found.append((f"/primary_key_fields/{i}", f"primary key field {preview(repr(key))} is a strings column; a set of strings cannot be a key"))
    return found


def _columns_of(columns: Any) -> tuple[tuple[Any, ...] | list[Any], str | None]:
    """A hand-built Sink's ``columns`` to judge one by one, and what is wrong with them as a whole, or None."""
    if not isinstance(columns, (tuple, list)):  # (None, iterated, was a TypeError)
        return (), f"the sink's columns must be a tuple of mapper.Column, not {preview(repr(columns))}"
    return columns, None if columns else "the sink has no columns"


def _details_problems(details: Any) -> list[tuple[str, str]]:
    """(pointer, words) of what a hand-built Sink's ``sink_details`` hold that no JSON writer takes,
    as :func:`mapper.load_sink` leaves it out of a definition's: to_arrow, the writers and a Store
    raised json's or orjson's TypeError for it (``Object of type set is not JSON serializable``)."""
    if details is None:
        return []
    if not isinstance(details, Mapping):
        return [("/sink_details", f"sink_details must be a mapping (an object), not {preview(repr(details))}")]
    return [
        (make_pointer("sink_details", key), f"sink_details.{escape_controls(preview(key))} {why}")
        if isinstance(key, str) and not has_lone_surrogate(key)  # (a key that is no text is said by its escapes)
        else ("/sink_details", f"sink_details.{ascii(key)[:80] if isinstance(key, str) else escape_controls(preview(int_text(key)))} {why}")
        for key, (_code, why) in unwritable_details(details).items()
    ]


def _column_problems(c: Column, at: str) -> list[Problem]:
    """The errors the definition checker finds in a hand-built column's config (every value it
    sets, written as the config key that sets it) and JMESPath expression, at the column's pointer ``at``."""
    ck = Checker()
    cfg = c.config
    if not isinstance(cfg, ColumnConfig):
        ck.error(("config",), "wrong-type", f"the column's config must be a mapper.ColumnConfig, not {preview(repr(cfg))}")
    else:
        default = ColumnConfig()
        given = cfg.given if isinstance(cfg.given, tuple) else ()
        written = {key: getattr(cfg, attr) for key, attr in CONFIG_ATTRS.items() if key in given or getattr(cfg, attr) != getattr(default, attr)}
        check_config(ck, written, True, c.type, ("config",), ConfigKeyWhere({"config": written}), c.name if isinstance(c.name, str) else None)
    if isinstance(c.path, Path) and c.path.keys is None and isinstance(c.path.expression, str):
        try:
            parse_path(c.path.expression)
        except PathSyntaxError as exc:
            ck.error(("path",), "path-syntax", exc.message)
    return [replace(p, pointer=at + p.pointer) for p in ck.problems if p.severity == "error"]


def compile_definition(sink: Sink, part: tuple[frozenset[int], bool] | None = None) -> CompiledSink:
    """Compile a checked sink (see :class:`CompiledSink`)."""
    return CompiledSink(sink, part)
