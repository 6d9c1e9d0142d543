"""A program that gives its threads a small stack (``threading.stack_size(256 * 1024)``, as
some servers and embedded runtimes do) and maps or checks a deeply nested record on one:
the decoders (msgspec, orjson, ``json``) recurse in C once per level and stop at a count of
levels, not at the stack's end, so a record nested 900 levels deep ended the process (a
segfault in msgspec) in ``Mapper.check`` of its text, ``validate``, ``map`` of bytes and
``Batcher.add``, before any depth limit spoke. The engine's entry points now run on a new
thread's stack when the caller's cannot hold the deepest record (``mapper.stack.on_roomy_stack``).
On 3.13, where C code may recurse 10,000 levels, ``Batcher.add`` of such a dict still ended it (in
the pickler that tells its text, on the caller's thread): that runs on the large stack too, as
``infer`` and ``check_sink`` do (their texts decoded before any depth was told).

The crash is tested in a child process (it would end the test run too), once for every entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from sinks import column, id_sink

import mapper
from mapper import stack

SINK = id_sink(column("s", "string"))

CHILD = r"""
import json, sys, threading
import mapper
m = mapper.compile_sink(json.loads(sys.argv[1]))

def codes(problems):
    return [p.code for p in problems]

def calls(depth):
    text = b'{"id":1,"s":"x","data":' + b"[" * depth + b"]" * depth + b"}"
    deep = []
    for _ in range(depth - 2):
        deep = [deep]
    record = {"id": 1, "s": "x", "data": deep}
    out = {"check_text": codes(m.check(text)), "check_dict": codes(m.check(record)), "validate": codes(m.validate(text).errors)}
    out["map"] = len(m.map(text + b"\n" + text, on_error="skip"))
    out["map_dicts"] = len(m.map([record, record], on_error="skip"))
    out["iter_batches"] = [len(b) for b in m.iter_batches(text + b"\n" + text, records=1, on_error="skip")]
    with mapper.Batcher(m) as b:
        verdicts = [b.add(record), b.add(text), *b.add_many([text, record])]
        b.flush()
    out["batcher"] = [codes(v.errors) for v in verdicts]
    return out

said = {}
def run():
    said["thread"] = {d: calls(d) for d in (900, 3000)}
threading.stack_size(256 * 1024)
t = threading.Thread(target=run)
t.start()
t.join()
said["main"] = {d: calls(d) for d in (900, 3000)}
print(json.dumps(said))
"""


def test_a_deep_record_on_a_thread_with_a_small_stack_is_judged_as_on_the_main_thread_not_a_segfault():
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SINK)], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-500:]
    said = json.loads(proc.stdout)
    assert said["thread"] == said["main"]
    assert said["thread"]["900"]["check_text"] == []  # (read: well within every decoder's limit)
    assert said["thread"]["900"]["batcher"] == [[], [], [], []]
    assert said["thread"]["3000"]["validate"] == (["invalid_json"] if sys.version_info < (3, 13) else [])  # (3.13 reads 9,998 levels)


def _on_thread(fn, size):
    got = []
    old = threading.stack_size(size)
    try:
        t = threading.Thread(target=lambda: got.append(fn()))
        t.start()
    finally:
        threading.stack_size(old)
    t.join()
    return got[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the stack's size told on Linux")
def test_a_thread_tells_its_own_stack_and_a_small_one_is_not_roomy():
    # (glibc may give a thread a cached stack up to 4 times the size asked for: the size it has is told)
    for asked in (256 * 1024, 4 << 20):
        size, roomy = _on_thread(lambda: (stack.thread_stack_bytes(), stack.ROOMY.roomy), asked)
        assert asked <= size <= 4 * asked and roomy == (size >= stack.needed_bytes())
    assert stack.needed_bytes() > 2 * 256 * 1024  # (the stack the crash was seen on is not roomy)
    assert stack.needed_bytes() >= stack.deepest_decoded() * stack.LEVEL_BYTES >= 1_000 * stack.LEVEL_BYTES


def test_on_a_small_stack_the_call_runs_on_a_large_one_its_result_and_exception_handed_back(monkeypatch):
    assert stack.on_roomy_stack(threading.get_ident) == threading.get_ident()  # (roomy: here)
    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)
    ident, size, roomy = stack.on_roomy_stack(lambda: (threading.get_ident(), stack.thread_stack_bytes(), stack.ROOMY.roomy))
    assert ident != threading.get_ident() and roomy
    if sys.platform.startswith("linux"):
        assert size == stack.STACK_BYTES
    with pytest.raises(KeyError, match="k"):
        stack.on_roomy_stack({}.__getitem__, "k")
    m = mapper.compile_sink(SINK)
    deeper = stack.deepest_decoded() + 1  # (past what any decoder reads on this Python: 1,500 levels are read on 3.13)
    assert [p.code for p in m.check(b'{"id":1,"s":"x","d":' + b"[" * deeper + b"]" * deeper + b"}")] == ["invalid_json"]


def test_on_a_small_stack_a_batcher_tells_a_mappings_text_on_a_large_one(monkeypatch):
    # The pickler that tells a dict of builtin values recurses in C a level each, as deep as Python
    # lets C code go (10,000 levels on 3.13): add of a dict nested 3,000 deep ended the process on a
    # 256 KiB thread there (on 3.10-3.12 too, with the recursion limit raised). Told where it is.
    from mapper.engine import pyjson

    told = []

    def spy(value):
        told.append((threading.get_ident(), stack.thread_stack_bytes()))
        return pickled(value)

    pickled = pyjson._builtins_only
    assert pickled is not None  # (the C pickler: the quick test is there)
    monkeypatch.setattr(pyjson, "_builtins_only", spy)
    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)
    record = {"id": 1, "s": "x"}
    with mapper.Batcher(mapper.compile_sink(SINK)) as b:
        verdicts = [b.add(record), *b.add_many([record, record])]
        b.flush()
    assert [v.accepted for v in verdicts] == [True, True, True]
    assert len(told) == 3 and all(ident != threading.get_ident() for ident, _ in told)
    if sys.platform.startswith("linux"):
        assert {size for _, size in told} == {stack.STACK_BYTES}


def test_on_a_small_stack_infer_and_check_sink_read_on_a_large_one(monkeypatch):
    # infer decoded a record's text (msgspec), check_sink a definition's (json), a level each in C
    # before any depth was told: infer of a text nested 3,000 deep ended the process on a 256 KiB
    # thread (3.11 and 3.13), load_sink of such a definition too (3.13). Both run on a large stack.
    import mapper.sink

    seen = []

    def records():
        seen.append(("infer", threading.get_ident(), stack.thread_stack_bytes()))
        yield {"id": 1, "s": "x"}

    read = mapper.sink.read_json_document

    def spy(*args):
        seen.append(("check_sink", threading.get_ident(), stack.thread_stack_bytes()))
        return read(*args)

    monkeypatch.setattr(mapper.sink, "read_json_document", spy)
    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)
    assert mapper.infer(records()).records == 1
    assert mapper.load_sink(json.dumps(SINK)).name == "t"
    assert [what for what, _, _ in seen] == ["infer", "check_sink"]
    assert all(ident != threading.get_ident() for _, ident, _ in seen)
    if sys.platform.startswith("linux"):
        assert {size for _, _, size in seen} == {stack.STACK_BYTES}


def _interrupt_wait(monkeypatch, call, waiting):
    """Make the caller's wait for the ``call``-th run on a new stack raise KeyboardInterrupt, as a
    Ctrl-C landing there does (a main thread's lock wait is interruptible); ``waiting`` is set
    when the caller waits for it again."""
    import _thread
    from types import SimpleNamespace

    runs = []

    class Done:
        def __init__(self):
            self.lock, self.acquired = _thread.allocate_lock(), 0
            runs.append(self)

        def acquire(self):
            self.acquired += 1  # (1: taken when made; 2: the caller's wait)
            if len(runs) == call and self.acquired == 2:
                raise KeyboardInterrupt
            if len(runs) == call and self.acquired > 2:
                waiting.set()
            return self.lock.acquire()

        def release(self):
            self.lock.release()

    fake = SimpleNamespace(allocate_lock=Done, stack_size=_thread.stack_size, start_new_thread=_thread.start_new_thread)
    monkeypatch.setattr(stack, "_thread", fake)
    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)


def test_an_interrupted_wait_raises_once_the_call_on_the_large_stack_is_over(monkeypatch):
    # Ctrl-C while the caller waited raised at once, the call going on on the new thread
    # (unlocked, changing what the caller had been told was untouched): it is raised once it is over.
    over = []
    waiting = threading.Event()

    def call():
        waiting.wait(5)  # (until the caller waits again: before, it never did)
        over.append(threading.get_ident())

    _interrupt_wait(monkeypatch, 1, waiting)
    try:
        with pytest.raises(KeyboardInterrupt):
            stack.on_roomy_stack(call)
        assert len(over) == 1 and over[0] != threading.get_ident()
    finally:
        waiting.set()


def test_a_batcher_interrupted_while_its_judging_runs_on_a_large_stack_keeps_its_promise(monkeypatch):
    # add_many untook its records (no verdicts on the exception, added 0) while the judging went
    # on on the new thread and then put them into a body: records sent that add_many said it had not taken.
    waiting = threading.Event()
    b = mapper.Batcher(mapper.compile_sink(SINK))
    packed = b._packed

    def slow_packed(*args, **kwargs):
        waiting.wait(5)  # (until the caller waits again)
        return packed(*args, **kwargs)

    monkeypatch.setattr(b, "_packed", slow_packed)
    _interrupt_wait(monkeypatch, 2, waiting)  # (the first run on a new stack writes the texts, the second judges)
    record = {"id": 1, "s": "x"}
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            b.add_many([record, record])
    finally:
        waiting.set()
    assert [v.index for v in getattr(caught.value, "verdicts", [])] == [0, 1]  # (the judging went through: taken, and said so)
    assert b.added == 2
    assert [body.indices for body in b.flush()] == [[0, 1]]


def test_on_a_small_stack_add_many_reads_its_records_on_the_callers_thread(monkeypatch):
    # the generator given was run on the new thread: its thread-locals and context variables were that thread's
    import contextvars

    source = contextvars.ContextVar("source", default="none")
    token = source.set("the caller's")
    seen = []

    def records():
        for i in range(2):
            seen.append((threading.get_ident(), source.get()))
            yield {"id": i, "s": "x"}

    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)
    try:
        with mapper.Batcher(mapper.compile_sink(SINK)) as b:
            verdicts = b.add_many(records())
    finally:
        source.reset(token)
    assert [v.accepted for v in verdicts] == [True, True]
    assert seen == [(threading.get_ident(), "the caller's")] * 2


def test_on_a_small_stack_mapper_check_of_standard_input_reads_on_a_large_one(monkeypatch):
    # `mapper check -` reads its text through check_stdin_sink, which went round check_sink's guard:
    # its text decoded on the caller's small stack (the crash load_sink had on 3.13)
    import mapper.sink

    seen = []
    read = mapper.sink.read_json_document

    def spy(*args):
        seen.append((threading.get_ident(), stack.thread_stack_bytes()))
        return read(*args)

    monkeypatch.setattr(mapper.sink, "read_json_document", spy)
    monkeypatch.setattr(stack.ROOMY, "roomy", False)  # (this thread's only)
    assert mapper.sink.check_stdin_sink(json.dumps(SINK).encode()).valid
    assert len(seen) == 1 and seen[0][0] != threading.get_ident()
    if sys.platform.startswith("linux"):
        assert seen[0][1] == stack.STACK_BYTES
