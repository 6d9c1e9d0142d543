"""A record holding tuples nested thousands deep: orjson (3.13) counts no depth in tuples, and
writing a chain of some 2,400 of them overran its buffer and aborted the process ("malloc():
invalid size"), in ``Mapper.check`` and ``Batcher.add`` of a dict (both write the record's text,
``mapper.engine.pyjson.mapping_text``). The pickler that tells a record of builtin values now
runs first and refuses the chain at Python's C recursion limit (1,000 levels on 3.10 and 3.11,
~1,500 on 3.12), so the record is refused as nested too deeply, as its lists would be.

Run in a child process: the failure was the process's end, which would end the test run too.
On Python 3.13 the C recursion limit is the stack's (about 10,000 levels), past orjson's
breaking point: there the child would still abort (docs/types.md says so).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SINK = {
    "name": "t",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
    "schema": {
        "type": "json",
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [{"name": "id", "path": ["id"], "type": "id"}, {"name": "s", "path": ["s"], "type": "string"}],
    },
}

CHILD = r"""
import json, sys
import mapper
m = mapper.compile_sink(json.loads(sys.argv[1]))
t = ()
for _ in range(int(sys.argv[2])):
    t = (t,)
record = {"id": 1, "s": "x", "deep": t}
said = [e.code for e in m.check(record)]
with mapper.Batcher(m) as b:
    verdict = b.add(record)
    b.flush()
print(json.dumps({"check": said, "accepted": verdict.accepted, "batcher": [e.code for e in verdict.errors]}))
"""


def _run(depth: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SINK), str(depth)], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-500:]
    return json.loads(proc.stdout)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's C recursion limit is past orjson's breaking point (docs/types.md)")
@pytest.mark.parametrize("depth", [2_500, 6_000])
def test_a_chain_of_tuples_thousands_deep_is_refused_not_the_process_aborted(depth):
    assert _run(depth) == {"check": ["invalid_json"], "accepted": False, "batcher": ["invalid_json"]}


def test_a_chain_of_tuples_as_deep_as_every_python_reads_is_taken():
    assert _run(500) == {"check": [], "accepted": True, "batcher": []}
