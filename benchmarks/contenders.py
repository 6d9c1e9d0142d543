"""The peers ``mapper`` is measured against: same input, same sink, numpy columns out.

Every contender is a small class with one interface, so the benchmark runner
(``python -m benchmarks.run``, also ``--sink SINK --data RECORDS`` on your own) can run
them side by side in one process (``mapper bench`` times mapper alone):

* :meth:`Contender.available` - can it run here (optional packages are imported
  lazily, so a missing one is a note, not an ImportError)?
* :meth:`Contender.prepare` - untimed: build schemas, decoders and getters from the
  sink. Raises :class:`Unsupported` when the contender cannot express the sink
  (a JMESPath path for a schema-driven reader, say).
* :meth:`Contender.run` - timed: map NDJSON bytes into one numpy array per mapped
  column, return the record count. The output is kept on the contender
  (:attr:`Contender.last`, :meth:`Contender.column`) until :meth:`Contender.clear`,
  so the runner can leave freeing it out of the timing and tests can compare columns.

Only :class:`MapperContender` validates and converts the way the endpoint does; the
others are floors and peers that parse and type the same fields with less checking.
Sink column types map onto plain types for them (:func:`leaf_kind`).
"""

from __future__ import annotations

import io
import operator
import os
import sys
from importlib import metadata
from typing import Any, Callable, ClassVar, Iterable, Union

import numpy as np

from mapper._version import DISTRIBUTION
from mapper.model import Column, Sink

__all__ = [
    "CONTENDERS",
    "Contender",
    "MapperContender",
    "MsgspecStructsContender",
    "NaiveJmespathContender",
    "OrjsonLoadsContender",
    "PolarsContender",
    "PyarrowContender",
    "PyarrowThreadsContender",
    "Unsupported",
    "get_contenders",
    "leaf_kind",
    "schema_tree",
]


class Unsupported(Exception):
    """The contender cannot express this sink (the message says why)."""


# ---------------------------------------------------------------------------------------
# Sink -> plain types

#: numpy dtype of each plain kind (lists and strings become object arrays).
NUMPY_DTYPES: dict[str, Any] = {
    "uint64": np.uint64,
    "int64": np.int64,
    "float64": np.float64,
    "bool": np.bool_,
    "string": object,
    "list[string]": object,
    "list[uint64]": object,
}


def leaf_kind(col: Column) -> str:
    """The plain type a schema-driven reader decodes a column's value into.

    ``id`` -> uint64; ``int``/``signedIntBoolKey`` -> int64; ``decimal`` -> float64;
    ``bool``; ``string``; ``timestamp`` (and ``recordTime``) with ``Unit``/``Epoch``
    -> int64, else a string (a layout); ``dateInt`` -> string; ``strings`` and ``ids``
    -> lists. recordTime follows the engine's own fast path
    (:meth:`mapper.types.ColumnType.json_shape`), which reads numbers when Unit or Epoch is set.
    """
    t = col.type
    if t == "id":
        return "uint64"
    if t in ("int", "signedIntBoolKey"):
        return "int64"
    if t == "decimal":
        return "float64"
    if t == "bool":
        return "bool"
    if t in ("timestamp", "recordTime"):
        return "int64" if col.config.numeric_time else "string"
    if t in ("string", "dateInt"):
        return "string"
    if t == "strings":
        return "list[string]"
    if t == "ids":
        return "list[uint64]"
    raise Unsupported(f"column {col.name!r} has type {t!r}, which this contender has no plain type for")


#: A tree of the mapped keys: a key maps to a sub-tree (an object) or to a leaf kind.
Tree = dict[str, Union["Tree", str]]


def schema_tree(sink: Sink) -> Tree:
    """The mapped paths of ``sink`` as nested objects with typed leaves.

    Raises :class:`Unsupported` for what a fixed nested schema cannot say: a
    JMESPath path, one path read as two plain types, or a column whose path goes
    inside another column's value.
    """
    root: Tree = {}
    for col in sink.columns:
        keys = col.path.keys
        if keys is None:
            raise Unsupported(f"column {col.name!r} has a JMESPath path ({col.path.text}); a fixed schema cannot evaluate it")
        kind = leaf_kind(col)
        node = root
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            found = node.get(key)
            if last:
                if found is None:
                    node[key] = kind
                elif isinstance(found, dict):
                    raise Unsupported(f"column {col.name!r} maps an object that other columns read inside")
                elif found != kind:
                    raise Unsupported(f"column {col.name!r} reads {col.path.jsonpath()} as {kind}, another column as {found}")
            else:
                if found is None:
                    found = node[key] = {}
                elif not isinstance(found, dict):
                    raise Unsupported(f"column {col.name!r} reads inside another column's value at {col.path.jsonpath()}")
                node = found
    return root


def _object_array(values: Iterable[Any], count: int) -> np.ndarray:
    # np.array(list_of_equal_length_lists, dtype=object) would make a 2-D array.
    return np.fromiter(values, dtype=object, count=count)


def _to_numpy(values: list[Any], kind: str) -> np.ndarray:
    """A list of decoded values as the column's numpy array."""
    if kind.startswith("list["):
        return _object_array(values, len(values))
    return np.array(values, dtype=NUMPY_DTYPES[kind])


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _missing(package: str) -> tuple[bool, str]:
    return False, f"{package} is not installed (pip install '{DISTRIBUTION}[bench]')"


# ---------------------------------------------------------------------------------------
# The interface


class Contender:
    """One way of turning NDJSON bytes into numpy columns for a sink."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: distributions whose versions matter for this contender
    packages: ClassVar[tuple[str, ...]] = ("numpy",)

    def __init__(self) -> None:
        self.sink: Sink | None = None
        #: the output of the last run (columns), kept until :meth:`clear`
        self.last: Any = None

    def available(self) -> tuple[bool, str]:
        """``(True, "")``, or ``(False, why)`` when a package is missing or misconfigured."""
        return True, ""

    def versions(self) -> dict[str, str]:
        """Versions of the packages this contender runs on."""
        return {p: _version(p) for p in self.packages}

    def prepare(self, sink: Sink, data: bytes) -> None:
        """Untimed set-up from the sink (``data`` is there for contenders that need a sample)."""
        self.sink = sink

    def run(self, data: bytes) -> int:
        """Timed: map ``data`` (NDJSON) into numpy columns; return the number of records."""
        raise NotImplementedError

    def column(self, name: str) -> np.ndarray:
        """The numpy array of column ``name`` from the last run."""
        if not isinstance(self.last, dict) or name not in self.last:
            raise KeyError(f"{self.name} has no column {name!r} from its last run")
        return self.last[name]

    def clear(self) -> None:
        """Drop the last output (the runner frees it outside the timing)."""
        self.last = None

    def __repr__(self) -> str:
        return f"<contender {self.name}>"


# ---------------------------------------------------------------------------------------
# 1. mapper


class MapperContender(Contender):
    """``compile_sink(sink).map(data)``: full validation, endpoint conversions, numpy columns."""

    name = "mapper"
    description = "mapper: compile_sink(sink).map(data) - full validation, endpoint conversions, numpy columns"
    packages = ("mapper", "numpy", "msgspec", "orjson")

    def __init__(self, **map_options: Any) -> None:
        """``map_options`` go to :meth:`mapper.Mapper.map` (``on_error="skip"`` for bad batches, ``workers``)."""
        super().__init__()
        self.map_options = map_options
        self.mapper: Any = None
        #: the last run's records, the records the endpoint would store and those refused
        #: (with an error of their own): kept past :meth:`clear`, as ``mapper bench`` reports them
        self.outcome: tuple[int, int, int] | None = None

    def prepare(self, sink: Sink, data: bytes) -> None:
        from mapper import compile_sink

        super().prepare(sink, data)
        self.mapper = compile_sink(sink)

    def run(self, data: bytes) -> int:
        from mapper import BatchRejected

        try:
            batch = self.mapper.map(data, **self.map_options)
        except BatchRejected as exc:
            # The endpoint would discard the batch (allow_missing_fields false and a field missing,
            # on_error reject, skip's limit): mapping it was still done, and timed, as mapper bench
            # times it; the runner says what the figure is of (no columns: self.last stays None).
            self.last = None
            report = exc.report
        else:
            self.last = batch
            report = batch.report
        self.outcome = (int(report.records), int(report.success_count), int(report.failed_records))
        # With on_error="skip" the batch holds fewer rows than records were read.
        return int(report.records)

    def column(self, name: str) -> np.ndarray:
        batch = self.last
        if batch is None:
            raise KeyError(f"{self.name} has not run")
        if name in batch.columns:
            return batch[name].values  # type: ignore[no-any-return]
        # The id_field / single string primary key is not stored: it is the batch's _id.
        if self.sink is not None and any(c.name == name for c in self.sink.identity_columns):
            return batch.ids  # type: ignore[no-any-return]
        raise KeyError(f"mapper's batch has no column {name!r}")


# ---------------------------------------------------------------------------------------
# 2. orjson.loads per line


class OrjsonLoadsContender(Contender):
    """``orjson.loads`` of every line into a list of dicts: parse only, the default GC.

    A floor for anything that goes through Python dicts; it slows down as the
    batch grows because the cyclic GC keeps scanning the live dicts, so its
    figure is only meaningful with its record count.
    """

    name = "orjson-loads"
    description = "orjson.loads per line into a list of dicts (parse only, default gc): a dict-based floor"
    packages = ("orjson",)

    def available(self) -> tuple[bool, str]:
        try:
            import orjson  # noqa: F401
        except ImportError:
            return _missing("orjson")
        return True, ""

    def prepare(self, sink: Sink, data: bytes) -> None:
        import orjson

        super().prepare(sink, data)
        self._loads = orjson.loads

    def run(self, data: bytes) -> int:
        loads = self._loads
        records = [loads(line) for line in data.splitlines() if line]
        self.last = records
        return len(records)

    def column(self, name: str) -> np.ndarray:
        raise KeyError("orjson-loads only parses: it makes no columns")


# ---------------------------------------------------------------------------------------
# 3. naive: orjson + jmespath + numpy.array


def _jmespath_expression(col: Column) -> str:
    if col.path.keys is None:
        return col.path.expression or ""
    # Quoted identifiers take any key (dots, spaces, quotes) as data.
    import json

    return ".".join(json.dumps(k, ensure_ascii=False) for k in col.path.keys)


class NaiveJmespathContender(Contender):
    """What one writes first: ``orjson.loads`` per line, a JMESPath search per field per record, ``numpy.array`` per column.

    No validation: a value of the wrong type makes ``numpy.array`` raise (the
    runner reports the failure), and a missing one is ``None``.
    """

    name = "naive-jmespath"
    description = "orjson.loads per line + jmespath search per field per record + numpy.array per column"
    packages = ("orjson", "jmespath", "numpy")

    def available(self) -> tuple[bool, str]:
        try:
            import jmespath  # noqa: F401
            import orjson  # noqa: F401
        except ImportError as exc:
            return _missing(exc.name or "jmespath")
        return True, ""

    def prepare(self, sink: Sink, data: bytes) -> None:
        import jmespath
        import orjson

        super().prepare(sink, data)
        self._loads = orjson.loads
        # Compiled once per column; each record still pays a tree-walking search per field.
        self._columns = [(c.name, jmespath.compile(_jmespath_expression(c)).search, _naive_kind(c)) for c in sink.columns]

    def run(self, data: bytes) -> int:
        loads = self._loads
        values: list[list[Any]] = [[] for _ in self._columns]
        searches = [(search, out.append) for (_n, search, _k), out in zip(self._columns, values)]
        count = 0
        for line in data.splitlines():
            if not line:
                continue
            rec = loads(line)
            for search, append in searches:
                append(search(rec))
            count += 1
        self.last = {name: _to_numpy(vals, kind) for (name, _s, kind), vals in zip(self._columns, values)}
        return count


def _naive_kind(col: Column) -> str:
    try:
        return leaf_kind(col)
    except Unsupported:
        return "string"  # a JMESPath result of an unusual type: keep the objects


# ---------------------------------------------------------------------------------------
# 4./5. pyarrow.json


class PyarrowContender(Contender):
    """``pyarrow.json.read_json`` with an explicit nested schema, then ``to_numpy()`` per column.

    The schema follows the sink's paths (structs for objects); fields the sink does
    not map are ignored. pyarrow raises on a value of another type than the
    schema's (a numeric string in an int64 column), so lax and bad batches fail.
    """

    name = "pyarrow"
    description = "pyarrow.json.read_json (explicit schema, use_threads=False) + to_numpy() per mapped column"
    packages = ("pyarrow", "numpy")
    use_threads: ClassVar[bool] = False

    def available(self) -> tuple[bool, str]:
        try:
            import pyarrow.json  # noqa: F401
        except ImportError:
            return _missing("pyarrow")
        return True, ""

    def prepare(self, sink: Sink, data: bytes) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.json as pj

        super().prepare(sink, data)
        tree = schema_tree(sink)
        schema = pa.schema(_arrow_fields(tree, pa))
        self._pa = pa
        self._pc = pc
        self._read_json = pj.read_json
        self._read_options = pj.ReadOptions(use_threads=self.use_threads)
        self._parse_options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        # Each column as (top-level field, field indices inside it): one struct_field call flattens it.
        self._paths: list[tuple[str, str, list[int]]] = []
        for col in sink.columns:
            keys = col.path.keys
            assert keys is not None
            indices: list[int] = []
            node: Any = tree[keys[0]]
            for key in keys[1:]:
                indices.append(list(node).index(key))
                node = node[key]
            self._paths.append((col.name, keys[0], indices))

    def run(self, data: bytes) -> int:
        table = self._read_json(self._pa.BufferReader(data), read_options=self._read_options, parse_options=self._parse_options)
        struct_field = self._pc.struct_field
        out: dict[str, np.ndarray] = {}
        for name, top, indices in self._paths:
            arr = table.column(top)
            if indices:
                arr = struct_field(arr, indices)
            out[name] = arr.to_numpy()
        self.last = out
        return int(table.num_rows)


class PyarrowThreadsContender(PyarrowContender):
    """:class:`PyarrowContender` with ``use_threads=True`` (every core)."""

    name = "pyarrow-threads"
    description = "pyarrow.json.read_json (explicit schema, use_threads=True) + to_numpy() per mapped column"
    use_threads = True


def _arrow_fields(tree: Tree, pa: Any) -> list[Any]:
    types = {
        "uint64": pa.uint64(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "list[string]": pa.list_(pa.string()),
        "list[uint64]": pa.list_(pa.uint64()),
    }
    return [pa.field(key, pa.struct(_arrow_fields(sub, pa)) if isinstance(sub, dict) else types[sub]) for key, sub in tree.items()]


# ---------------------------------------------------------------------------------------
# 6. polars


def _polars_threads(pl: Any) -> int:
    for name in ("thread_pool_size", "threadpool_size"):  # renamed in polars 0.20
        fn = getattr(pl, name, None)
        if fn is not None:
            return int(fn())
    return -1


class PolarsContender(Contender):
    """``polars.read_ndjson`` with a schema on one thread, then ``to_numpy()`` per column.

    polars sizes its thread pool from ``POLARS_MAX_THREADS`` when it is first
    imported: if polars is not imported yet this contender sets it to 1 (unless
    already set), and reports itself unavailable when polars runs more threads.
    """

    name = "polars"
    description = "polars.read_ndjson (schema, POLARS_MAX_THREADS=1) + to_numpy() per mapped column"
    packages = ("polars", "numpy")

    def available(self) -> tuple[bool, str]:
        if "polars" not in sys.modules:
            os.environ.setdefault("POLARS_MAX_THREADS", "1")
        try:
            import polars as pl
        except ImportError:
            return _missing("polars")
        threads = _polars_threads(pl)
        if threads != 1:
            return False, f"polars runs {threads} threads: set POLARS_MAX_THREADS=1 before polars is first imported"
        return True, ""

    def versions(self) -> dict[str, str]:
        out = super().versions()
        if out["polars"] == "not installed":  # polars 1.x may ship as polars-runtime-*
            try:
                import polars as pl

                out["polars"] = str(pl.__version__)
            except ImportError:
                pass
        return out

    def prepare(self, sink: Sink, data: bytes) -> None:
        import polars as pl

        super().prepare(sink, data)
        tree = schema_tree(sink)
        self._pl = pl
        self._schema = {key: _polars_type(sub, pl) for key, sub in tree.items()}
        self._paths = [(c.name, c.path.keys) for c in sink.columns]

    def run(self, data: bytes) -> int:
        df = self._pl.read_ndjson(io.BytesIO(data), schema=self._schema)
        out: dict[str, np.ndarray] = {}
        for name, keys in self._paths:
            assert keys is not None
            s = df.get_column(keys[0])
            for key in keys[1:]:
                s = s.struct.field(key)
            out[name] = s.to_numpy()
        self.last = out
        return int(df.height)


def _polars_type(sub: Any, pl: Any) -> Any:
    if isinstance(sub, dict):
        return pl.Struct([pl.Field(k, _polars_type(v, pl)) for k, v in sub.items()])
    string = getattr(pl, "String", None) or pl.Utf8  # pl.String is polars >= 0.20
    return {
        "uint64": pl.UInt64,
        "int64": pl.Int64,
        "float64": pl.Float64,
        "bool": pl.Boolean,
        "string": string,
        "list[string]": pl.List(string),
        "list[uint64]": pl.List(pl.UInt64),
    }[sub]


# ---------------------------------------------------------------------------------------
# 7. msgspec Structs


class MsgspecStructsContender(Contender):
    """msgspec typed decoding of the mapped fields into Structs, then a numpy array per column.

    The Structs follow the sink's paths (unmapped fields are skipped by the
    decoder), are not tracked by the GC (``gc=False``) and decode with
    ``strict=False`` (numeric strings and integral floats become ints, as the
    endpoint's lax conversions do). Every mapped field is required: a missing or
    mistyped value fails the whole batch.
    """

    name = "msgspec-structs"
    description = "msgspec.json.Decoder(Struct, strict=False).decode_lines (gc=False Structs of the mapped fields) + numpy.array per column"
    packages = ("msgspec", "numpy")

    def available(self) -> tuple[bool, str]:
        try:
            import msgspec  # noqa: F401
        except ImportError:
            return _missing("msgspec")
        return True, ""

    def prepare(self, sink: Sink, data: bytes) -> None:
        import msgspec

        super().prepare(sink, data)
        tree = schema_tree(sink)
        counter = iter(range(1 << 30))
        # Field names are generated identifiers renamed to the JSON keys, so any key works
        # and attrgetter("f0.f3") reaches a nested value in C.
        names: dict[tuple[str, ...], str] = {}

        def build(node: Tree, prefix: tuple[str, ...]) -> Any:
            fields = []
            rename = {}
            for j, (key, sub) in enumerate(node.items()):
                fname = f"f{j}"
                rename[fname] = key
                names[prefix + (key,)] = (names[prefix] + "." if prefix else "") + fname
                ftype = build(sub, prefix + (key,)) if isinstance(sub, dict) else _msgspec_type(sub)
                fields.append((fname, ftype))
            return msgspec.defstruct(f"S{next(counter)}", fields, rename=rename, gc=False)

        root = build(tree, ())
        self._decoder = msgspec.json.Decoder(root, strict=False)
        self._getters: list[tuple[str, Callable[[Any], Any], str]] = []
        for col in sink.columns:
            keys = col.path.keys
            assert keys is not None
            self._getters.append((col.name, operator.attrgetter(names[keys]), leaf_kind(col)))

    def run(self, data: bytes) -> int:
        recs = self._decoder.decode_lines(data)
        self.last = {name: _to_numpy(list(map(get, recs)), kind) for name, get, kind in self._getters}
        return len(recs)


def _msgspec_type(kind: str) -> Any:
    return {
        "uint64": int,
        "int64": int,
        "float64": float,
        "bool": bool,
        "string": str,
        "list[string]": list[str],
        "list[uint64]": list[int],
    }[kind]


# ---------------------------------------------------------------------------------------

#: Every contender, in the order the issue lists them (mapper first: ratios are against it).
CONTENDERS: list[type[Contender]] = [
    MapperContender,
    OrjsonLoadsContender,
    NaiveJmespathContender,
    PyarrowContender,
    PyarrowThreadsContender,
    PolarsContender,
    MsgspecStructsContender,
]


def get_contenders(names: Iterable[str] | None = None, *, mapper_options: dict[str, Any] | None = None) -> list[Contender]:
    """Instances of the named contenders (all when ``names`` is None), in the order given.

    ``mapper_options`` go to the mapper contender's ``map`` call (``on_error``, ``workers``).
    Unknown names raise ``ValueError`` listing the known ones.
    """
    by_name = {cls.name: cls for cls in CONTENDERS}
    chosen = list(by_name) if names is None else list(names)
    unknown = [n for n in chosen if n not in by_name]
    if unknown:
        raise ValueError(f"unknown contender(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    out: list[Contender] = []
    for n in chosen:
        cls = by_name[n]
        out.append(MapperContender(**(mapper_options or {})) if cls is MapperContender else cls())
    return out


if __name__ == "__main__":  # a library: run as a script it measured nothing and exited 0, which read as a pass
    print(
        "benchmarks.contenders is a library (the contenders the runner measures), not a script: "
        "run python -m benchmarks.run (every contender side by side; --sink SINK --data RECORDS for your own), "
        "or python -m benchmarks.rss --contender NAME (one contender's peak RSS); benchmarks/README.md lists the others",
        file=sys.stderr,
    )
    sys.exit(2)
