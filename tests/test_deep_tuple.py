"""A record holding tuples nested thousands deep: orjson (3.13) counts no depth in tuples, and
writing a chain of some 1,800 of them overran its first buffer and aborted the process
("malloc(): invalid size", "free(): corrupted unsorted chunks"), in ``Mapper.check`` and
``Batcher.add`` of a dict (both write the record's text, ``mapper.engine.pyjson.mapping_text``).
The pickler that tells a record of builtin values stopped the chain at Python's C recursion
limit, but only where that limit is below orjson's breaking point: 1,000 levels on 3.10 and
3.11 with the default recursion limit, 1,500 on 3.12; on 3.13 (10,000 levels) and on 3.10 or
3.11 with ``sys.setrecursionlimit`` raised, the process still aborted. A record of tuples that
deep is now written as its lists are, and judged as they are.

Run in a child process: the failure was the process's end, which would end the test run too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sinks import column, id_sink

from mapper.engine import pyjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from depths import read_here  # noqa: E402

SINK = id_sink(column("s", "string"))

CHILD = r"""
import json, sys
import mapper
m = mapper.compile_sink(json.loads(sys.argv[1]))
if sys.argv[3] != "-":
    sys.setrecursionlimit(int(sys.argv[3]))
out = {}
for kind in ("tuple", "list"):
    t = () if kind == "tuple" else []
    for _ in range(int(sys.argv[2])):
        t = (t,) if kind == "tuple" else [t]
    record = {"id": 1, "s": "x", "deep": t}
    said = [e.code for e in m.check(record)]
    with mapper.Batcher(m) as b:
        verdict = b.add(record)
        b.flush()
    out[kind] = {"check": said, "accepted": verdict.accepted, "batcher": [e.code for e in verdict.errors]}
print(json.dumps(out))
"""


def _run(depth: int, recursion_limit: int | None = None) -> dict:
    limit = "-" if recursion_limit is None else str(recursion_limit)
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SINK), str(depth), limit], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-500:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("depth", [2_500, 6_000])
def test_a_chain_of_tuples_thousands_deep_is_judged_as_its_lists_not_the_process_aborted(depth):
    got = _run(depth)
    assert got["tuple"] == got["list"]
    # (the record's own object and the innermost empty tuple are levels too)
    if read_here(depth + 2):  # (3.13: its decoders read 9,998 levels)
        assert got["tuple"] == {"check": [], "accepted": True, "batcher": []}
    else:
        assert got["tuple"] == {"check": ["invalid_json"], "accepted": False, "batcher": ["invalid_json"]}


def test_a_chain_of_tuples_past_orjsons_breaking_point_with_the_recursion_limit_raised():
    # (on 3.10 and 3.11 the pickler then went as deep as the chain, and orjson aborted the process)
    got = _run(2_500, recursion_limit=30_000)
    assert got["tuple"] == got["list"]


def test_a_chain_of_tuples_as_deep_as_every_python_reads_is_taken():
    assert _run(500)["tuple"] == {"check": [], "accepted": True, "batcher": []}


def test_the_quick_test_passes_no_value_nested_as_deep_as_orjson_breaks(monkeypatch):
    chain: tuple = ()
    for _ in range(pyjson._ORJSON_DEPTH):
        chain = (chain,)
    assert not pyjson._pickled_builtins_only({"deep": chain})
    # the walk, as from 3.12 on (before it, the pickler stops at Python's recursion limit)
    monkeypatch.setattr(pyjson, "_PICKLER_AT_RECURSION_LIMIT", False)
    assert not pyjson._shallower_than_orjson_breaks({"deep": chain})
    assert pyjson._shallower_than_orjson_breaks({"deep": chain[0][0]})  # (the record, the chain's levels)
    mixed: object = ()
    for i in range(pyjson._ORJSON_DEPTH):
        mixed = [mixed] if i % 100 == 0 else {"k": mixed} if i % 100 == 1 else (mixed,)
    assert not pyjson._shallower_than_orjson_breaks({"deep": mixed})
    wide = {"many": [("y" * 100, (1, 2))] * 10_000, "s": "x" * 100_000}  # (a big pickle, shallow)
    assert pyjson._pickled_builtins_only(wide)
