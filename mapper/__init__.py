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

from ._version import __version__
from .api import Mapper, compile_sink
from .batch import Batch, ColumnData
from .batcher import Batcher, Body, Verdict
from .endpoint import ServiceError
from .errors import DefinitionError, InputError, MapperError, MissingDependencyError, OptionError, PathSyntaxError, Problem
from .infer import InferError, InferResult, infer
from .model import MISSING, CheckResult, Column, ColumnConfig, Sink
from .options import MapOptions
from .paths import Path, parse_path
from .report import BatchRejected, RecordError, RejectedRecord, Report, ValueWarning
from .send import Ack, EndpointUnreachable, Sender, SendError
from .sink import check_sink, load_sink
from .store import Store
from .table import TableSyntaxError, parse_create_table
from .writers import read_batch

__all__ = [
    "Ack",
    "Batch",
    "BatchRejected",
    "Batcher",
    "Body",
    "CheckResult",
    "Column",
    "ColumnConfig",
    "ColumnData",
    "DefinitionError",
    "EndpointUnreachable",
    "InferError",
    "InferResult",
    "InputError",
    "MISSING",
    "MapOptions",
    "Mapper",
    "MapperError",
    "MissingDependencyError",
    "OptionError",
    "Path",
    "PathSyntaxError",
    "Problem",
    "RecordError",
    "RejectedRecord",
    "Report",
    "SendError",
    "Sender",
    "ServiceError",
    "Sink",
    "Store",
    "TableSyntaxError",
    "ValueWarning",
    "Verdict",
    "__version__",
    "check_sink",
    "compile_sink",
    "infer",
    "load_sink",
    "parse_create_table",
    "parse_path",
    "read_batch",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        try:
            _obj.__module__ = "mapper"
        except (AttributeError, TypeError):  # pragma: no cover
            pass
del _name, _obj
