"""mapper: map and validate JSON record batches the way a FeatureBase ingest endpoint does.

    >>> import mapper
    >>> m = mapper.compile_sink("examples/aircraft/sink.json")
    >>> batch = m.map(open("examples/aircraft/records.ndjson", "rb").read())
    >>> batch["altitude"].values

The pipeline, one layer per stage (``docs/architecture.md``): definition
(:mod:`mapper.sink`, :mod:`mapper.checks`, :mod:`mapper.table`, :mod:`mapper.model`,
:mod:`mapper.paths`) -> column types (:mod:`mapper.types`) -> compile
(:mod:`mapper.compiler`, :mod:`mapper.tiers`) -> engine (:mod:`mapper.engine`) ->
results (:mod:`mapper.batch`, :mod:`mapper.report`, :mod:`mapper.writers`) ->
interfaces (:mod:`mapper.api`, :mod:`mapper.cli`). This module only re-exports the
public names; everything else is implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ForwardRef

from . import _start  # noqa: F401 - first: Ctrl-C while the command line imports its modules is not a traceback
from ._version import __version__
from .api import BinaryReader, Mapper, Record, Records, compile_sink
from .batch import Batch, ColumnData, concat
from .batcher import Batcher, Body, Verdict
from .endpoint import ServiceError
from .errors import DefinitionError, InputError, MapperError, MissingDependencyError, OptionError, OutputError, PathSyntaxError, Problem
from .infer import InferError, InferResult, ProgressBar, infer  # (eager: importing the module mapper.infer would rebind mapper.infer)
from .model import MISSING, CheckResult, Column, ColumnConfig, Sink
from .options import MapOptions
from .paths import Path, parse_path
from .report import BatchRejected, RecordError, RejectedRecord, Report, ValueWarning
from .sink import SinkSource, check_sink, load_sink
from .table import Table, TableColumn, TableSyntaxError, parse_create_table
from .writers import read_batch

if TYPE_CHECKING:
    from .send import Ack, EndpointUnreachable, Sender, SendError
    from .store import IngestResult, RowsPage, SinkInfo, Store

#: Names whose modules are imported when first asked for (``mapper.Sender``): sending
#: (http.client, ssl) and the local endpoint's store (sqlite3) are ~30 ms of
#: ``import mapper``, paid by every ``mapper validate`` that never uses them.
_LAZY = {
    "Ack": "send",
    "EndpointUnreachable": "send",
    "Sender": "send",
    "SendError": "send",
    "Store": "store",
    "IngestResult": "store",
    "RowsPage": "store",
    "SinkInfo": "store",
}

#: Names a typed program annotates with (``def send(recs: mapper.Records)``, ``info:
#: mapper.SinkInfo``): what the calls take (the aliases and protocols) and give (Store's and
#: parse_create_table's results). Classes among them keep the module they are defined in
#: (not renamed ``mapper.X`` as the others are: pickles made before name them there, and
#: ``typing.get_type_hints(mapper.Table)`` looks up its ``Position`` there). ``Records`` is
#: ``Any`` at run time (see mapper.api).
_TYPES = frozenset({"BinaryReader", "IngestResult", "ProgressBar", "Record", "Records", "RowsPage", "SinkInfo", "SinkSource", "Table", "TableColumn"})


if not TYPE_CHECKING:  # (hidden from type checkers, which know the lazy names from the imports above:
    # a module __getattr__ made every name, a misspelt mapper.compile_snk too, an Any to mypy and pyright)

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'mapper' has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(f".{module}", __name__), name)
        if name not in _TYPES:
            _public(value)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Ack",
    "Batch",
    "BatchRejected",
    "Batcher",
    "BinaryReader",
    "Body",
    "CheckResult",
    "Column",
    "ColumnConfig",
    "ColumnData",
    "DefinitionError",
    "EndpointUnreachable",
    "InferError",
    "InferResult",
    "IngestResult",
    "InputError",
    "MISSING",
    "MapOptions",
    "Mapper",
    "MapperError",
    "MissingDependencyError",
    "OptionError",
    "OutputError",
    "Path",
    "PathSyntaxError",
    "Problem",
    "ProgressBar",
    "Record",
    "RecordError",
    "Records",
    "RejectedRecord",
    "Report",
    "RowsPage",
    "SendError",
    "Sender",
    "ServiceError",
    "Sink",
    "SinkInfo",
    "SinkSource",
    "Store",
    "Table",
    "TableColumn",
    "TableSyntaxError",
    "ValueWarning",
    "Verdict",
    "__version__",
    "check_sink",
    "compile_sink",
    "concat",
    "infer",
    "load_sink",
    "parse_create_table",
    "parse_path",
    "read_batch",
]


def _public(obj: Any) -> Any:
    """A public class is shown as ``mapper.Name`` (reprs, docs, pickles), wherever it is defined.

    Its annotations are still read where they are written: ``typing.get_type_hints`` reads a
    class's in the module its ``__module__`` names (here ``mapper``, which has no ``Severity``
    nor ``NDArray``: a NameError), but a ``ForwardRef`` that names its module in that module."""
    if isinstance(obj, type):
        annotations = obj.__dict__.get("__annotations__")
        if isinstance(annotations, dict):
            for name, hint in annotations.items():
                if isinstance(hint, str):
                    annotations[name] = ForwardRef(hint, is_argument=False, module=obj.__module__, is_class=True)
        try:
            obj.__module__ = "mapper"
        except (AttributeError, TypeError):  # pragma: no cover
            pass
    return obj


for _name in __all__:
    if _name not in _LAZY and _name not in _TYPES:
        _public(globals()[_name])
del _name
