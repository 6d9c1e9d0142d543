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

import hashlib
import itertools
import linecache
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Optional, Union

import jmespath.exceptions
import msgspec
from msgspec import UNSET, UnsetType

from .model import MISSING, Column, Sink
from .tiers import TIERS, Tier
from .types import ColumnType, column_type

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
                child = _Node(key, next(counter), node)
                node.children[key] = child
                nodes.append(child)
            node = child
        node.columns.append(col.index)
    return root, nodes


def _preorder(node: _Node) -> Iterable[_Node]:
    yield node
    for child in node.children.values():
        yield from _preorder(child)


class _Source:
    """Accumulates generated lines and the namespace they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}

    def bind(self, name: str, value: Any) -> str:
        assert name.isidentifier() and name not in self.namespace
        self.namespace[name] = value
        return name

    def emit(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)


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
    defaults = ["_M=_M", "_isdict=_isdict", "_down=_down"]
    defaults += [f"_k{n.id}=_k{n.id}" for n in nodes[1:]]
    defaults += [f"_jp{c.index}=_jp{c.index}" for c in jmes]
    src.lines.append(f"def walk(rec, {', '.join(defaults)}):")
    src.emit('"""Walk one decoded record; return each column\'s raw value (MISSING, None, NotObject or the value)."""')
    out: dict[int, str | None] = {c.index: None for c in columns}

    def visit(node: _Node, var: str) -> None:
        for child in node.children.values():
            cvar = f"n{child.id}"
            if var == "rec":
                src.emit(f"{cvar} = rec.get(_k{child.id}, _M)")
            else:
                src.emit(f"{cvar} = {var}.get(_k{child.id}, _M) if _isdict({var}) else {var}")
            for ci in child.columns:
                if child.children:  # the value itself is a column, and the walk goes on inside it
                    src.emit(f"c{ci} = {cvar}")
                    out[ci] = f"c{ci}"
                else:
                    out[ci] = cvar
            if child.children:
                src.emit(f"if not _isdict({cvar}): {cvar} = _down({cvar}, {child.id})")
                visit(child, cvar)

    visit(root, "rec")
    for col in jmes:
        src.emit(f"c{col.index} = _jp{col.index}(rec)")
        out[col.index] = f"c{col.index}"
    values = ", ".join(str(out[c.index]) for c in columns)
    src.emit(f"return ({values},)")
    src.lines.append("")


def _jmespath_getter(col: Column) -> Callable[[Any], Any]:
    expr = col.path.compiled()

    def get(rec: Any) -> Any:
        try:
            value = expr.search(rec)
        except jmespath.exceptions.JMESPathError as exc:
            return PathFailure(str(exc).splitlines()[0])
        except (TypeError, ValueError, RecursionError) as exc:
            return PathFailure(f"{exc.__class__.__name__}: {exc}")
        return MISSING if value is None else value

    get.__qualname__ = get.__name__ = f"jmespath_{col.index}"
    return get


def _isdict(value: Any) -> bool:
    return isinstance(value, dict)


# ---------------------------------------------------------------------------------------
# The fast path: msgspec Structs for the mapped fields only, per tier


def _renameable(key: str) -> bool:
    # msgspec cannot rename a field to a key containing '\\', '"' or control characters.
    return not any(c in key for c in '\\"') and all(ord(c) >= 0x20 for c in key)


def _fast_plan(ctypes: tuple[ColumnType, ...], columns: tuple[Column, ...], nodes: list[_Node], active: set[int]) -> str | None:
    """Why the fast path cannot serve this sink, or None when it can."""
    if any(c.path.keys is None for c in columns if c.index in active):
        return "a JMESPath column needs whole records"
    for node in nodes[1:]:
        if node.columns and node.children:
            return "a column's path goes inside another column's value"
        if not _renameable(node.key or ""):
            return "a key contains a quote, backslash or control character"
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
    internal = [n for n in _preorder(root) if n.children and n is not root]
    defaults = "" if tier.every_field else ", ".join(f"_{tier.prefix}{n.id}=_{tier.prefix}{n.id}" for n in internal)
    src.lines.append(f"def {name}(recs{', ' + defaults if defaults else ''}):")
    src.emit(
        f'"""Decoded Structs of a chunk -> one list of raw values per column ({"required, non-null" if tier.every_field else "nullable, optional"} fields)."""'
    )
    out: dict[int, str] = {}

    def visit(node: _Node, var: str) -> None:
        for j, child in enumerate(node.children.values()):
            target = f"n{child.id}" if child.children else f"v{child.id}"
            if var == "recs":
                src.emit(f"{target} = [r.f{j} for r in recs]")
            elif tier.every_field:
                src.emit(f"{target} = [x.f{j} for x in {var}]")
            else:  # the parent may be None or UNSET: passed through as the value
                src.emit(f"{target} = [x.f{j} if x.__class__ is _{tier.prefix}{node.id} else x for x in {var}]")
            for ci in child.columns:
                out[ci] = target
            if child.children:
                visit(child, target)

    visit(root, "recs")
    src.emit(f"return ({', '.join(out.get(c.index, 'None') for c in columns)},)")
    src.lines.append("")


@dataclass(frozen=True, slots=True)
class CompiledTier:
    """A decoder tier of one sink: decoders for NDJSON lines and for ``[rec,...]`` runs, and the extractor."""

    tier: Tier
    lines_decoder: msgspec.json.Decoder[Any]
    array_decoder: msgspec.json.Decoder[Any]
    extract: Callable[[list[Any]], tuple[list[Any], ...]]


def _compiled_tier(tier: Tier, root: Any, extract: Callable[[list[Any]], tuple[list[Any], ...]]) -> CompiledTier:
    return CompiledTier(tier, msgspec.json.Decoder(root), msgspec.json.Decoder(list[root]), extract)  # type: ignore[valid-type]


def _unique_filename(base: str, lines: list[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ...: the first linecache name not holding other source."""
    name, n = base, 1
    while True:
        cached = linecache.cache.get(name)
        if cached is None or (len(cached) == 4 and cached[2] == lines):
            return name
        n += 1
        name = f"{base[:-1]}-{n}>"


# ---------------------------------------------------------------------------------------


class CompiledSink:
    """A sink compiled once: the column types, the generated walk, and the decoder tiers.

    ``part`` (used by ``workers=N``): the stored columns this compilation handles, and
    whether it makes ``_id``; the generated code then decodes only those fields.
    """

    def __init__(self, sink: Sink, part: tuple[frozenset[int], bool] | None = None):
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
        #: some value is printed as text (a string column, a primary key): the sign of an
        #: integer -0 then matters (Go decodes it as float64 -0, printed "-0")
        self.prints_numbers = any(self.ctypes[i].is_text for i in active) or (sink.primary_key_fields is not None and self.with_identity)
        self.jsonpaths = tuple(c.path.jsonpath() for c in columns)
        root, nodes = _build_trie(tuple(c for c in columns if c.index in active))
        self._root = root
        self._prefix_keys = {n.id: n.keys for n in nodes}

        src = _Source()
        src.bind("_M", MISSING)
        src.bind("_isdict", _isdict)
        src.bind("_down", self._down)
        _gen_walk(src, columns, root, nodes, active)
        self.fast_unavailable = _fast_plan(self.ctypes, columns, nodes, active)
        roots: dict[str, Any] = {}
        tiers: list[Tier] = []
        if self.fast_unavailable is None:
            for tier in TIERS:
                if tier.values_as_text and not any(self.ctypes[i].is_text for i in active):
                    continue  # the loose tier only differs from lenient for text columns
                tiers.append(tier)
                roots[tier.name] = _gen_structs(src, self.ctypes, root, tier)
                if not tier.every_field or tier is TIERS[0]:
                    _gen_extract(src, columns, root, tier)
        self.source = "\n".join(src.lines) + "\n"
        lines = self.source.splitlines(True)
        digest = hashlib.sha1(repr((sink.to_schema(), sorted(active))).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        label = sink.name if sink.name else "unnamed"
        self.filename = _unique_filename(f"<mapper generated sink {label} {digest}>", lines)
        code = compile(self.source, self.filename, "exec")
        namespace = dict(src.namespace)
        exec(code, namespace)
        linecache.cache[self.filename] = (len(self.source), None, lines, self.filename)
        self.walk: Callable[[dict[str, Any]], tuple[Any, ...]] = namespace["walk"]
        self.walk.__qualname__ = f"CompiledSink.walk[{label}]"
        self.tiers: tuple[CompiledTier, ...] = tuple(_compiled_tier(t, roots[t.name], namespace[_extractor_name(t)]) for t in tiers)
        self.namespace = namespace
        self.stored_index = tuple(c.index for c in self.stored if c.index in self.handled)
        self.identity_index = identity

    def tiers_with(self, literals: dict[int, tuple[str, ...]]) -> tuple[CompiledTier, ...]:
        """The decoder tiers with some string columns typed as the few values they hold.

        msgspec then hands back one shared str object per distinct value instead of
        allocating a new one for every record (keeping millions of small strings alive
        is the costliest part of decoding them). Only tiers that take literals are
        specialised (:attr:`mapper.tiers.Tier.takes_literals`); a value outside the set
        fails the tier, and the next one maps the chunk exactly as before. An inexact
        tier's string leaves take ``""`` too, so its set does.
        """
        out = []
        for ct in self.tiers:
            if ct.tier.takes_literals and literals:
                extra = () if ct.tier.exact_types else ("",)
                values = {ci: tuple(vs) + extra for ci, vs in literals.items()}
                ct = _compiled_tier(ct.tier, _gen_structs(None, self.ctypes, self._root, ct.tier, literals=values), ct.extract)
            out.append(ct)
        return tuple(out)

    def _down(self, value: Any, node_id: int) -> Any:
        if value is MISSING or value is None or isinstance(value, (NotObject, PathFailure)):
            return value
        return NotObject(self._prefix_keys[node_id], value)

    def __repr__(self) -> str:
        return f"<CompiledSink {self.sink.summary()}>"


def compile_definition(sink: Sink, part: tuple[frozenset[int], bool] | None = None) -> CompiledSink:
    """Compile a checked sink (see :class:`CompiledSink`)."""
    return CompiledSink(sink, part)
