"""mapper: map and validate JSON record batches the way a FeatureBase ingest endpoint does.

    >>> import mapper
    >>> m = mapper.compile_sink("examples/aircraft/sink.json")
    >>> batch = m.map(open("examples/aircraft/records.ndjson", "rb").read())
    >>> batch["altitude"].values

The pipeline: :mod:`mapper.sink` (load and check a definition) -> :mod:`mapper.paths`
-> :mod:`mapper.compiler` (generated accessors) -> :mod:`mapper.types` (one converter
per column type) -> :mod:`mapper.project` (fast and careful paths over chunks) ->
:mod:`mapper.batch` / :mod:`mapper.report` -> :mod:`mapper.cli`.
"""

from __future__ import annotations

from .batch import MISSING, Batch, ColumnData
from .compiler import Mapper, compile_sink
from .errors import BatchRejected, DefinitionError, InputError, MapperError, PathSyntaxError, Problem
from .paths import Path, parse_path
from .report import RecordError, RejectedRecord, Report, ValueWarning
from .sink import CheckResult, Column, ColumnConfig, Sink, check_sink, load_sink

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "BatchRejected",
    "CheckResult",
    "Column",
    "ColumnConfig",
    "ColumnData",
    "DefinitionError",
    "InputError",
    "MISSING",
    "Mapper",
    "MapperError",
    "Path",
    "PathSyntaxError",
    "Problem",
    "RecordError",
    "RejectedRecord",
    "Report",
    "Sink",
    "ValueWarning",
    "check_sink",
    "compile_sink",
    "load_sink",
    "parse_path",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        try:
            _obj.__module__ = "mapper"
        except (AttributeError, TypeError):  # pragma: no cover
            pass
del _name, _obj
