"""Sinks whose columns have names FeatureBase refuses (``a.present``, a NUL, 239 characters):
``check`` refuses such a definition (``column-name``: no FeatureBase table has the column), and
so does compiling a :class:`mapper.Sink` built in Python; but the sink a batch file holds, written
by an earlier mapper that took such names, is read with them (``stored_sink_names``: warnings),
and every writer must still keep them apart. Tests of the writers make them here."""

from __future__ import annotations

from typing import Any

import mapper
from mapper.checks import stored_sink_names


def odd_named(definition: dict[str, Any]) -> mapper.Sink:
    """The Sink of ``definition`` (a schema, or a POST /v1/sinks body), its columns named as its
    entries are, whatever FeatureBase's name rule says: loaded as a batch file's sink is."""
    with stored_sink_names():
        return mapper.load_sink(definition)
