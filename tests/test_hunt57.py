"""Hunt 57: the Python API a producer embeds, tried with hostile but realistic inputs.

Each test here failed before the fix it came with."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import mapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import first_refused  # noqa: E402

_ID = json.dumps(
    {
        "name": "deep",
        "sink_details": {"database_id": "x", "table": "t"},
        "schema": {"type": "json", "allow_missing_fields": True, "id_field": "id", "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
    }
)

#: orjson's reader takes 1,024 levels; the engine's decoders stop about 995 on Python 3.10 and
#: 3.11 (the recursion limit's), 1,497 on 3.12.1: a depth up to here covers the band between.
_PAST_ORJSON = 1_030


def _nested(depth: int, kind: type) -> Any:
    v: Any = 1
    for _ in range(depth):
        v = {"x": v} if kind is dict else kind([v])
    return v


# --- a dict nested past the engine's decoders, where nothing maps it: check says the batcher's verdict ---
# check of a mapping judges the JSON text Batcher.add sends for it (docs/python-api.md: "the batcher's
# verdict on a dict is check's"). The batcher judges that text with the engine's decoders, which on 3.10
# and 3.11 stop some 30 levels before orjson's reader (1,024), which check went by: a dict nested 998 to
# 1,023 levels where no column maps it was [] to check and refused invalid_json by Batcher.add.


def test_check_of_a_deep_mapping_is_the_batchers_verdict_at_every_depth() -> None:
    m = mapper.compile_sink(_ID)
    limit = first_refused(lambda d: not mapper.Batcher(m).add({"id": 1, "x": _nested(d, list)}).accepted)
    for kind in (dict, tuple):  # (a tuple: written by the walk that reads any mapping, a dict's by another)
        for depth in sorted({limit - 2, limit - 1, limit, limit + 1, 1_000, 1_010, 1_023, 1_024, _PAST_ORJSON}):
            record = {"id": 1, "x": _nested(depth, kind)}
            verdict = mapper.Batcher(m).add(record)
            said = [(p.code, p.message) for p in m.check(record)]
            assert said == [(e.code, e.message) for e in verdict.errors], (kind.__name__, depth, limit)
            assert verdict.accepted == (depth < limit), (kind.__name__, depth, limit)


# --- add_many of an array of bytes: the call its message names takes the record ---
# add_many refused a numpy uint8 array (or an array('B')) of one record's text as one record, "use add";
# add then refused the array itself (not_an_object: add takes a mapping or its text as str or bytes).


def test_add_many_of_an_array_of_bytes_names_a_call_that_takes_it() -> None:
    import array

    import numpy as np
    import pytest

    m = mapper.compile_sink(_ID)
    text = b'{"id": 7}'
    for one in (np.frombuffer(text, np.uint8), array.array("B", text)):
        b = mapper.Batcher(m)
        with pytest.raises(mapper.OptionError) as caught:
            b.add_many(one)
        said = str(caught.value)
        assert "add(bytes(array))" in said, said
        assert b.add(bytes(one)).accepted and b.add(one).errors[0].code == "not_an_object"
