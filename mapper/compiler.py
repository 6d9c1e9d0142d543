"""Compile a sink into generated accessor code, once.

For one :class:`~mapper.sink.Sink` the compiler writes one small Python module:

* ``walk(rec)`` - the careful path: walks one decoded record (a dict) once, sharing
  path prefixes, and returns every column's raw value with *missing*, *null* and
  "not an object" kept apart;
* ``extract_strict(recs)`` / ``extract_lenient(recs)`` - the fast path: take a list of
  msgspec Structs decoded from a chunk of input (only the mapped fields are
  decoded) and return one list per column, one list comprehension per path node.

Following attrs/cattrs, only identifiers the generator controls are written into
the source; keys from the definition are untrusted and reach the code as bound
constants (``_k3``), never as text. The module gets a ``<mapper generated sink ...>``
filename registered in :mod:`linecache`, so tracebacks and ``inspect`` show its
lines, and the source is kept on the :class:`Mapper` (``mapper explain`` prints it).
"""

from __future__ import annotations

import hashlib
import itertools
import linecache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterable, Literal, Optional, Union

import msgspec
from msgspec import UNSET, UnsetType

from .sink import Column, Sink, load_sink
from .types import Converter, converter_for

if TYPE_CHECKING:
    from .batch import Batch
    from .report import Report

__all__ = ["Mapper", "compile_sink", "MISSING", "NotObject"]


class _MissingType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


#: A key that is absent from the record (JSON ``null`` is ``None``).
MISSING: Any = _MissingType()


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
    import jmespath.exceptions

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


# ---------------------------------------------------------------------------------------
# The fast path: msgspec Structs for the mapped fields only


_NUMBER = Union[int, float, str]
_NONEMPTY_STR = Annotated[str, msgspec.Meta(min_length=1)]


def fast_leaf_type(col: Column, strict: bool = False, loose: bool = False) -> Any:
    """What the fast decoders accept for a column's value; anything else goes the careful way.

    The strict decoder takes only the plain JSON type of each column (an int for an
    ``int``, a string for a ``string``), so its lists convert without any type check;
    the lenient decoder also takes the forms the endpoint converts (numeric strings,
    floats, comma strings), which the vector converters sort out.
    """
    t = col.type
    numeric_time = t in ("timestamp", "recordTime") and col.config.numeric_time
    if t in ("id", "int", "signedIntBoolKey") or numeric_time:
        return int if strict else _NUMBER
    if t == "decimal":
        return Union[int, float] if strict else _NUMBER
    if t == "string" and loose:
        return Union[str, int, float, bool]  # the endpoint prints numbers and bools as text
    if t in ("string", "dateInt", "timestamp", "recordTime"):
        # "" means no value (or an error) for these types: the strict decoder leaves it out
        return _NONEMPTY_STR if strict else str
    if t == "strings":
        return list[str] if strict else Union[list[str], str]
    if t == "ids":
        return list[int] if strict else Union[list[int], str]
    if t == "bool":
        return bool if strict else Union[bool, int, float, str]
    raise AssertionError(t)  # pragma: no cover


def _renameable(key: str) -> bool:
    # msgspec cannot rename a field to a key containing '\\', '"' or control characters.
    return not any(c in key for c in '\\"') and all(ord(c) >= 0x20 for c in key)


def _fast_plan(columns: tuple[Column, ...], nodes: list[_Node], active: set[int]) -> str | None:
    """Why the fast path cannot serve this sink, or None when it can."""
    if any(c.path.keys is None for c in columns if c.index in active):
        return "a JMESPath column needs whole records"
    for node in nodes[1:]:
        if node.columns and node.children:
            return "a column's path goes inside another column's value"
        if not _renameable(node.key or ""):
            return "a key contains a quote, backslash or control character"
        if len(node.columns) > 1:
            if any(len({repr(fast_leaf_type(columns[i], strict, loose)) for i in node.columns}) > 1 for strict in (True, False) for loose in (True, False)):
                return "two columns of different types read the same path"
    return None


def _gen_structs(
    src: _Source | None,
    columns: tuple[Column, ...],
    root: _Node,
    prefix: str,
    *,
    exact: bool,
    required: bool,
    loose: bool = False,
    literals: dict[int, tuple[str, ...]] | None = None,
) -> Any:
    """Define one Struct per path node (children before parents); return the root Struct.

    ``exact``: leaves take only each column's plain JSON type (else the lax unions);
    ``required``: every field present and non-null (else optional and nullable).
    """

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
                ftype = fast_leaf_type(columns[child.columns[0]], exact, loose)
            if required:
                fields.append((name, ftype))
            else:
                fields.append((name, Optional[Union[ftype, UnsetType]], UNSET))
        cls = msgspec.defstruct(f"{prefix}{node.id}", fields, rename=rename, gc=False)
        if src is not None:
            src.bind(f"_{prefix}{node.id}", cls)
        return cls

    return build(root)


def _gen_extract(src: _Source, columns: tuple[Column, ...], root: _Node, strict: bool, active: set[int], prefix: str, name: str) -> None:
    internal = [n for n in _preorder(root) if n.children and n is not root]
    defaults = ", ".join(f"_{prefix}{n.id}=_{prefix}{n.id}" for n in internal)
    src.lines.append(f"def {name}(recs{', ' + defaults if defaults else ''}):")
    src.emit(f'"""Decoded Structs of a chunk -> one list of raw values per column ({"required, non-null" if strict else "nullable, optional"} fields)."""')
    out: dict[int, str] = {}

    def visit(node: _Node, var: str) -> None:
        for j, child in enumerate(node.children.values()):
            target = f"n{child.id}" if child.children else f"v{child.id}"
            if var == "recs":
                src.emit(f"{target} = [r.f{j} for r in recs]")
            elif strict:
                src.emit(f"{target} = [x.f{j} for x in {var}]")
            else:
                src.emit(f"{target} = [x.f{j} if x.__class__ is _{prefix}{node.id} else x for x in {var}]")
            for ci in child.columns:
                out[ci] = target
            if child.children:
                visit(child, target)

    visit(root, "recs")
    src.emit(f"return ({', '.join(out.get(c.index, 'None') for c in columns)},)")
    src.lines.append("")


def _preorder(node: _Node) -> Iterable[_Node]:
    yield node
    for child in node.children.values():
        yield from _preorder(child)


# ---------------------------------------------------------------------------------------


def _isdict(value: Any) -> bool:
    return isinstance(value, dict)


class Mapper:
    """A compiled sink: generated accessors plus one converter per column.

    Build it with :func:`compile_sink` (or ``load_sink(...).compile()``), then call
    :meth:`map` for a :class:`~mapper.batch.Batch` or :meth:`validate` for a
    :class:`~mapper.report.Report`.
    """

    def __init__(self, sink: Sink, part: tuple[frozenset[int], bool] | None = None):
        self.sink = sink
        columns = sink.columns
        self.columns = columns
        self.stored = sink.stored_columns
        identity = tuple(c.index for c in sink.identity_columns)
        # ``part`` (used by workers=N): the stored columns this mapper handles, and
        # whether it makes _id; the generated code then decodes only those fields.
        if part is None:
            self.handled = frozenset(c.index for c in self.stored)
            self.with_identity = True
        else:
            self.handled, self.with_identity = part
        active = set(self.handled) | (set(identity) if self.with_identity else set())
        self.converters: tuple[Converter, ...] = tuple(converter_for(c) for c in columns)
        self.jsonpaths = tuple(c.path.jsonpath() for c in columns)
        root, nodes = _build_trie(tuple(c for c in columns if c.index in active))
        self._root = root
        self._prefix_keys = {n.id: n.keys for n in nodes}

        src = _Source()
        src.bind("_M", MISSING)
        src.bind("_isdict", _isdict)
        src.bind("_down", self._down)
        _gen_walk(src, columns, root, nodes, active)
        self.fast_unavailable = _fast_plan(columns, nodes, active)
        if self.fast_unavailable is None:
            # Decoders tried in this order on a chunk: exact types, every field present;
            # the endpoint's lax forms (numeric strings, floats), every field present;
            # lax forms with nulls and missing fields; and, for sinks with string
            # columns, numbers and bools in them too (the endpoint prints them as text).
            roots = {
                "strict": _gen_structs(src, columns, root, "S", exact=True, required=True),
                "lax": _gen_structs(src, columns, root, "X", exact=False, required=True),
                "lenient": _gen_structs(src, columns, root, "L", exact=False, required=False),
            }
            if any(columns[i].type == "string" for i in active):
                roots["loose"] = _gen_structs(src, columns, root, "W", exact=False, required=False, loose=True)
            _gen_extract(src, columns, root, strict=True, active=active, prefix="S", name="extract_strict")
            _gen_extract(src, columns, root, strict=False, active=active, prefix="L", name="extract_lenient")
            if "loose" in roots:
                _gen_extract(src, columns, root, strict=False, active=active, prefix="W", name="extract_loose")
        self.source = "\n".join(src.lines) + "\n"
        digest = hashlib.sha1(repr(sink.to_schema()).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        label = sink.name if sink.name else "unnamed"
        self.filename = f"<mapper generated sink {label} {digest}>"
        code = compile(self.source, self.filename, "exec")
        namespace = dict(src.namespace)
        exec(code, namespace)
        linecache.cache[self.filename] = (len(self.source), None, self.source.splitlines(True), self.filename)
        self.walk: Callable[[dict[str, Any]], tuple[Any, ...]] = namespace["walk"]
        self.walk.__qualname__ = f"Mapper.walk[{label}]"
        if self.fast_unavailable is None:
            self.extract_strict = namespace["extract_strict"]
            self.extract_lenient = namespace["extract_lenient"]
            # (name, decoder for NDJSON chunks (decode_lines), decoder for "[rec,...]" runs,
            # extractor, whether the lists hold exact types)
            extract = {"strict": self.extract_strict, "lax": self.extract_strict, "lenient": self.extract_lenient, "loose": namespace.get("extract_loose")}
            self.tiers = tuple(
                (name, msgspec.json.Decoder(r), msgspec.json.Decoder(list[r]), extract[name], name)  # type: ignore[valid-type]
                for name, r in roots.items()
            )
            self.strict_decoder = self.tiers[0][1]
        self.namespace = namespace

        self.stored_index = tuple(c.index for c in self.stored if c.index in self.handled)
        self.identity_index = identity

    def tiers_with(self, literals: dict[int, tuple[str, ...]]) -> tuple[Any, ...]:
        """The decoder tiers with some string columns typed as the few values they hold.

        msgspec then hands back one shared str object per distinct value instead of
        allocating a new one for every record (keeping millions of small strings alive
        is the costliest part of decoding them). The strict and lax tiers are
        specialised (their string leaves take only ``str``; the lax one also takes ""):
        a value outside the set fails the tier, and the lenient tier (plain ``str``
        leaves) maps the chunk exactly as before.
        """
        shapes = {"strict": ("S", True, ()), "lax": ("X", False, ("",))}
        out = []
        for name, lines_decoder, list_decoder, extract, tier in self.tiers:
            if name in shapes and literals:
                prefix, exact, extra = shapes[name]
                values = {ci: tuple(vs) + extra for ci, vs in literals.items()}
                root = _gen_structs(None, self.columns, self._root, prefix, exact=exact, required=True, literals=values)
                lines_decoder, list_decoder = msgspec.json.Decoder(root), msgspec.json.Decoder(list[root])  # type: ignore[valid-type]
            out.append((name, lines_decoder, list_decoder, extract, tier))
        return tuple(out)

    def _down(self, value: Any, node_id: int) -> Any:
        if value is MISSING or value is None or isinstance(value, (NotObject, PathFailure)):
            return value
        return NotObject(self._prefix_keys[node_id], value)

    def __repr__(self) -> str:
        return f"<Mapper {self.sink.summary()}>"

    def map(
        self,
        records: Any,
        *,
        on_error: str = "reject",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
    ) -> Batch:
        """Map a batch into a :class:`~mapper.batch.Batch`; raise :class:`~mapper.errors.BatchRejected` if the endpoint would discard it.

        ``records``: NDJSON (bytes or str), a JSON array, the endpoint's request body
        ``{"records": [{"value": {...}}]}``, a ``pathlib.Path``, a binary file object,
        or an iterable of dicts.

        ``on_error``: ``"reject"`` (any bad record rejects the batch, as the endpoint
        does) or ``"skip"`` (keep the good records; the bad ones are in the report).
        ``max_errors``: with ``"skip"``, reject once more than this many records (an
        int) or this share of them (a float below 1) fail. ``strict``: values the
        endpoint would store differently are errors (``lossy_value``), not warnings.
        ``input_format``: ``auto``, ``ndjson``, ``json`` or ``endpoint``. ``workers``:
        processes to map with (see :mod:`mapper.parallel`). ``fast=False`` maps every
        record on the careful path (for debugging; same results, slower).
        """
        from .project import run

        return run(self, records, output=True, on_error=on_error, max_errors=max_errors, strict=strict, input_format=input_format, workers=workers, fast=fast)  # type: ignore[no-any-return]

    def validate(
        self,
        records: Any,
        *,
        on_error: str = "reject",
        max_errors: int | float | None = None,
        strict: bool = False,
        input_format: str = "auto",
        workers: int = 1,
        fast: bool = True,
    ) -> Report:
        """Validate a batch as the endpoint would and return the :class:`~mapper.report.Report`.

        Never raises for bad records (``report.accepted`` says whether the batch would
        be taken); the options are those of :meth:`map`. Columns are not kept, so any
        input size runs in bounded memory.
        """
        from .project import run

        return run(self, records, output=False, on_error=on_error, max_errors=max_errors, strict=strict, input_format=input_format, workers=workers, fast=fast)  # type: ignore[no-any-return]

    def explain(self) -> str:
        """The generated source, as compiled."""
        return self.source


def compile_sink(sink: Sink | Any, **load_options: Any) -> Mapper:
    """Compile a sink (a :class:`~mapper.sink.Sink`, or anything :func:`~mapper.sink.load_sink` takes)."""
    if not isinstance(sink, Sink):
        sink = load_sink(sink, **load_options)
    return Mapper(sink)

