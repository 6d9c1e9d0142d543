"""How deep a record is read does not depend on the recursion limit a program set (docs/types.md).

Up to Python 3.11 the decoders (msgspec, ``json``, the C pickler) count their levels against
``sys.getrecursionlimit()``: with it raised to 1,000,000, a record text 11,000 levels deep was
accepted (Go's decoder refuses it: 10,000 levels a body, three of them the body's own) and one
40,000 deep ended the process (a segfault, exit -11) in ``check``, ``validate``, ``map`` and
``Batcher.add``. The engine's calls now run with the limit capped (mapper/stack.py,
``CAPPED_LIMIT``). Each run is a fresh interpreter: the limit is the process's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from sinks import column, id_sink

import mapper
from mapper import stack
from mapper.engine import pyjson

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from depths import DECODED, first_refused  # noqa: E402

_SINK = json.dumps(id_sink(column("n", "int", path=["a", "b"]), name="open", table="t", database_id="x"))


def _run(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])  # (before: -11, a segfault)
    return run.stdout


def test_a_text_nested_past_go_s_limit_is_refused_with_the_recursion_limit_raised() -> None:
    out = _run(
        f"""
        import sys
        sys.setrecursionlimit(1_000_000)
        import mapper
        m = mapper.compile_sink({_SINK!r})
        for depth in (11_000, 40_000):
            text = '{{"id":1,"x":' + '{{"x":' * depth + '1' + '}}' * depth + '}}'
            print([p.code for p in m.check(text)])
        print(sys.getrecursionlimit())
        """
    )
    # (before: [] at 11,000, which Go refuses; then a segfault at 40,000)
    assert out.split("\n")[:3] == ["['invalid_json']", "['invalid_json']", "1000000"]  # (the program's limit given back)


def test_the_record_decoder_called_outside_the_entry_points_is_capped_too() -> None:
    # (the web UI's draft decodes a pasted record itself: decode_record sends it where the limit is capped)
    out = _run(
        """
        import sys
        sys.setrecursionlimit(1_000_000)
        from mapper.engine.gojson import RecordDecodeError, decode_record
        for depth in (9_000, 11_000, 40_000):
            try:
                decode_record(b"[" * depth + b"]" * depth, False)
                print("read")
            except RecordDecodeError as exc:
                print(exc.message)
        """
    )
    read = "read" if not (3, 12) <= sys.version_info < (3, 13) else "Invalid JSON: nested too deeply"  # (3.12: C code's 1,500 levels)
    assert out.split("\n")[:3] == [read, "Invalid JSON: nested too deeply", "Invalid JSON: nested too deeply"]


#: Each door's verdict on a record nested ``depth`` levels (its own object counted), a text's
#: or a dict's, printed as JSON: {depth: {door: [[code, reason], ...]}}.
_DOORS = """
import json, os, sys
forks = []
os.register_at_fork(before=lambda: forks.append(1))
if LIMIT:
    sys.setrecursionlimit(LIMIT)
import mapper
if UNCAPPED:  # (the decoders' own limit past Go's depth, as 3.13's C limit is: the recursion limit raised and not capped)
    import mapper.api, mapper.batcher, mapper.engine.gojson, mapper.stack
    for module in (mapper.stack, mapper.api, mapper.batcher, mapper.engine.gojson):
        module.UNCAPPED = sys.maxsize
m = mapper.compile_sink(SINK)
out = {}
for depth in DEPTHS:
    text = '{"id":1,"x":' + '{"x":' * (depth - 2) + "[1]" + "}" * (depth - 2) + "}"
    value = [1]
    for _ in range(depth - 2):
        value = {"x": value}
    record = {"id": 1, "x": value}
    said = lambda errors: sorted({(e.code, e.reason) for e in errors})
    checked = lambda problems: sorted({(p.code, p.message.removesuffix(" (record 0)")) for p in problems})
    b = mapper.Batcher(m)
    pad = "".join('{"id":%d}\\n' % i for i in range(3, 20_000))  # (cut into ranges: a worker forked)
    out[depth] = {
        "check str": checked(m.check(text)),
        "check bytes": checked(m.check(text.encode())),
        "check dict": checked(m.check(record)),
        "validate bytes": said(m.validate((text + "\\n").encode()).errors),
        "validate str": said(m.validate(text).errors),
        "validate array": said(m.validate("[" + text + "]").errors),
        "validate after 8 bad lines": said([e for e in m.validate(("x\\n" * 8 + text + "\\n" + pad).encode()).errors if e.record == 8]),
        "validate body": said(m.validate('{"records":[{"value":' + text + "}]}", input_format="endpoint").errors),
        "map bytes": said(m.map((text + "\\n").encode(), on_error="skip").report.errors),
        "iter_batches": said([e for part in m.iter_batches((text + "\\n").encode(), on_error="skip") for e in part.report.errors]),
        "workers": said(m.validate((text + "\\n" + pad + text + "\\n").encode(), workers=2).errors),
        "Batcher.add text": said(b.add(text).errors),
        "Batcher.add dict": said(b.add(record).errors),
        "Batcher.add_many dicts": said(b.add_many([{"id": 2}, record])[1].errors),
    }
print(json.dumps({"verdicts": out, "forks": len(forks)}))
"""


def _verdicts(limit: int, depths: tuple[int, ...], uncapped: bool = False) -> dict[int, dict[str, Any]]:
    code = f"LIMIT, SINK, DEPTHS, UNCAPPED = {limit!r}, {_SINK!r}, {depths!r}, {uncapped!r}\n" + _DOORS
    said = json.loads(_run(code).splitlines()[-1])
    assert said["forks"] or not sys.platform.startswith("linux")  # (--workers: its ranges mapped by forked processes)
    return {int(k): v for k, v in said["verdicts"].items()}


_TOO_DEEP = [["invalid_json", "Invalid JSON: nested too deeply"]]


@pytest.mark.parametrize("limit", [0, 1_000_000], ids=["default limit", "limit raised"])
def test_a_record_past_go_s_depth_gets_one_verdict_at_every_door(limit: int) -> None:
    # Go's decoder reads GO_DEPTH (10,000) levels of a body (encoding/json's maxNestingDepth), three of
    # them the body's own ({"records":[{"value": ...}]}): a record of RECORD_DEPTH + 1 (9,998) levels or
    # more is refused with its whole body. Before, with the limit raised, 9,999 and 10,000 levels were
    # accepted everywhere, and at 10,001 a dict was refused in other words than its text; on 3.13, whose
    # decoders read 9,999 levels by C code's own limit, 9,998 and 9,999 were accepted at every door.
    depths = (stack.RECORD_DEPTH + 1, stack.RECORD_DEPTH + 2, stack.GO_DEPTH + 1)
    got = _verdicts(limit, depths)
    for depth in depths:
        said = {json.dumps(v) for v in got[depth].values()}
        assert said == {json.dumps(_TOO_DEEP)}, (depth, got[depth])  # refused in the same words at every door


@pytest.mark.skipif((3, 12) <= sys.version_info < (3, 13), reason="3.12's decoders stop at 1,500 levels (C code's limit), whatever the limit")
def test_decoders_reading_past_go_s_depth_refuse_a_record_at_it_by_the_engine_s_own_count() -> None:
    # the decoders' own limit let past RECORD_DEPTH (3.13's is C code's, 10,000 levels; here, on 3.10
    # and 3.11, the recursion limit raised and not capped): the record's depth is told by the engine
    # (mapper.stack.decoders_pass_record_depth), so the deepest record Go reads in a body is read and
    # the next refused at every door, whatever the decoders' limit (before: read to 9,999 on 3.13, to
    # the limit on 3.11 uncapped)
    depths = (stack.RECORD_DEPTH, stack.RECORD_DEPTH + 1)
    got = _verdicts(1_000_000, depths, uncapped=True)
    assert {json.dumps(v) for v in got[stack.RECORD_DEPTH].values()} == {"[]"}, got[stack.RECORD_DEPTH]
    assert {json.dumps(v) for v in got[stack.RECORD_DEPTH + 1].values()} == {json.dumps(_TOO_DEEP)}, got[stack.RECORD_DEPTH + 1]


def test_with_the_limit_raised_a_record_the_decoders_read_is_still_read() -> None:
    # the cap reads as deep as its limit lets the decoders (a few levels of its own frames):
    # 9,000 levels are read at every door on 3.10 and 3.11 with the limit raised
    # (on 3.12 C code stops at about 1,500 levels, whatever the limit)
    got = _verdicts(1_000_000, (9_000,))
    said = {json.dumps(v) for v in got[9_000].values()}
    assert said == {json.dumps(_TOO_DEEP if (3, 12) <= sys.version_info < (3, 13) else [])}, got


def test_the_cap_is_below_the_deepest_record_go_reads() -> None:
    assert (stack.GO_DEPTH, stack.RECORD_DEPTH) == (10_000, 9_997)
    assert stack.CAPPED_LIMIT <= stack.RECORD_DEPTH and stack.STACK_BYTES >= stack.CAPPED_LIMIT * stack.LEVEL_BYTES + stack.MARGIN_BYTES


def test_a_dict_past_the_walks_depth_is_said_as_its_text_and_one_holding_itself_as_such() -> None:
    deep: Any = 1
    for _ in range(10_001):
        deep = {"x": deep}
    shared: list[Any] = [1]
    for _ in range(30):
        shared = [shared, shared]  # (held twice a level, 2**30 paths: no cycle, walked once each)
    loop: dict[str, Any] = {"id": 1}
    loop["me"] = [{"again": loop}]
    assert pyjson._too_deep_why({"id": 1, "x": deep}) == "Invalid JSON: nested too deeply"
    assert not pyjson._holds_itself({"id": 1, "x": shared, "y": deep})
    assert pyjson._holds_itself(loop) and "holds itself" in pyjson._too_deep_why(loop)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the limit is capped on 3.10 and 3.11 only")
def test_with_the_limit_raised_a_roomy_main_thread_runs_its_calls_where_it_is() -> None:
    size = stack.thread_stack_bytes()
    if size is None or size < stack.CAPPED_LIMIT * stack.LEVEL_BYTES + stack.MARGIN_BYTES:
        pytest.skip("this main thread's stack does not hold CAPPED_LIMIT levels (ulimit -s)")
    # every engine call ran on a new thread once the limit was raised (about 60 times the cost a record); on a main
    # thread whose stack holds CAPPED_LIMIT levels (the usual 8 MiB) it runs here, the limit capped as it runs
    out = _run(
        f"""
        import sys
        sys.setrecursionlimit(1_000_000)
        import _thread, threading
        import mapper
        starts = []
        start = _thread.start_new_thread
        def counted(*args, **kwargs):
            starts.append(1)
            return start(*args, **kwargs)
        _thread.start_new_thread = threading._start_new_thread = counted
        m = mapper.compile_sink({_SINK!r})
        b = mapper.Batcher(m)
        for i in range(20):
            m.check('{{"id": %d, "a": {{"b": 1}}}}' % i)
            b.add({{"id": i, "a": {{"b": i}}}})
        m.validate(['{{"id": 1}}'])
        print(len(starts), len(b.flush()), sys.getrecursionlimit())
        text = '{{"id":1,"x":' + '{{"x":' * 11_000 + '1' + '}}' * 11_000 + '}}'
        print([p.code for p in m.check(text)], sys.getrecursionlimit())
        """
    )
    # (before: 41 threads started, one a call)
    assert out.split("\n")[:2] == ["0 1 1000000", "['invalid_json'] 1000000"], out


def test_a_wide_shallow_record_on_the_slow_path_is_not_decoded_again_for_its_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    # a record orjson does not write (a lone surrogate) is written by mapper (pyjson._flat_text) and judged:
    # read again by the engine's decoder only when it nests deeper than orjson writes (255 levels). Its
    # brackets were counted, not its depth: 300 objects side by side, 2 levels deep, were decoded twice
    from mapper.engine import gojson

    decoded: list[bytes] = []
    engine_loads = gojson._engine_loads
    monkeypatch.setattr(gojson, "_engine_loads", lambda raw: decoded.append(raw) or engine_loads(raw))
    wide = {"id": 1, "s": "\ud800", "xs": [{"a": i} for i in range(300)]}
    raw, why = pyjson.mapping_text(wide)
    assert raw is not None and raw.count(b"{") > 255 and why is None
    assert decoded == []  # (before: one decode more)
    deep: Any = [1]
    for _ in range(299):
        deep = [deep]
    raw, why = pyjson.mapping_text({"id": 1, "s": "\ud800", "x": deep})  # (a deep one still is: its answers as before)
    assert raw is not None and why is None and decoded == [raw]
    deeper: Any = [1]
    for _ in range(stack.GO_DEPTH):
        deeper = [deeper]
    assert pyjson.mapping_text({"id": 1, "s": "\ud800", "x": deeper}) == (None, "Invalid JSON: nested too deeply")


def _nested_text(depth: int) -> str:
    return '{"id":1,"x":' + '{"x":' * (depth - 2) + "[1]" + "}" * (depth - 2) + "}"


def _nested_dict(depth: int) -> dict[str, Any]:
    value: Any = [1]
    for _ in range(depth - 2):
        value = {"x": value}
    return {"id": 1, "x": value}


def _doors(m: Any, dicts: bool) -> dict[str, Any]:
    """Whether each door refuses a record ``d`` levels deep (its own object counted): its text's, or its dict's."""
    if dicts:
        return {
            "check dict": lambda d: bool(m.check(_nested_dict(d))),
            "Batcher.add dict": lambda d: not mapper.Batcher(m).add(_nested_dict(d)).accepted,
        }
    return {
        "check text": lambda d: bool(m.check(_nested_text(d))),
        "NDJSON line": lambda d: bool(m.validate((_nested_text(d) + "\n").encode()).errors),
        "in a body": lambda d: bool(m.validate('{"records":[{"value":' + _nested_text(d) + "}]}", input_format="endpoint").errors),
        "Batcher.add text": lambda d: not mapper.Batcher(m).add(_nested_text(d)).accepted,
    }


def _first_refused(m: Any) -> int:
    """The first depth refused at the first door, on this Python at its default recursion limit: never past
    Go's (RECORD_DEPTH + 1: a record 3 levels down in a body of GO_DEPTH levels), and that where the decoders
    read deeper (3.13: 9,999 levels), else by the decoders' own depth (:data:`depths.DECODED`)."""
    refused = first_refused(_doors(m, False)["check text"])
    assert refused == stack.RECORD_DEPTH + 1 if DECODED > stack.RECORD_DEPTH else abs(refused - DECODED) < 10, (refused, DECODED)
    return refused


def test_the_deepest_record_read_and_the_first_refused_are_the_same_at_every_door() -> None:
    m = mapper.compile_sink(_SINK)
    refused = _first_refused(m)
    doors = _doors(m, False)
    assert {door: (said(refused - 1), said(refused)) for door, said in doors.items()} == dict.fromkeys(doors, (False, True))


def test_a_dict_at_the_boundary_is_judged_as_its_text() -> None:
    # (before: on 3.11, a dict a level short of the first depth refused was refused, its text read:
    # the dict judged at a decoder's call not yet specialized, which reads a level less; gojson._warm_decoders)
    m = mapper.compile_sink(_SINK)
    refused = _first_refused(m)
    doors = _doors(m, True)
    assert {door: (said(refused - 1), said(refused)) for door, said in doors.items()} == dict.fromkeys(doors, (False, True))


def test_a_record_at_the_edge_gets_the_same_verdict_from_the_first_call_on() -> None:
    # Python 3.11 reads a level deeper at a decoder's call once its interpreter has specialized it (after
    # some 8 calls): a dict at the edge was refused by the first calls of a process and read by later ones.
    # Each depth about the edge in a process of its own, its first call the dict's
    for depth in range(DECODED - 1, DECODED + 3):
        out = _run(
            f"""
            import sys
            sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
            import mapper
            from test_depth_cap import _SINK, _nested_dict
            m = mapper.compile_sink(_SINK)
            print([bool(m.check(_nested_dict({depth}))) for _ in range(6)])
            """
        )
        assert out.splitlines()[-1] in (str([False] * 6), str([True] * 6)), (depth, out)
