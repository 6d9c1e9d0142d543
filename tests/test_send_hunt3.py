"""``mapper send`` under a Ctrl-C or SIGTERM wherever it lands (a bug hunt by fault injection).

A trace function raises KeyboardInterrupt (or calls ``mapper send``'s own signal handler) at
each place in the code where CPython runs a signal handler: as a call returns, as a function
starts, at a backward jump. Fake endpoints are the raw socket server of test_send_faults
(127.0.0.1, a thread per connection); every wait is bounded.
"""

from __future__ import annotations

import dis
import sys
from pathlib import Path
from typing import Any, Callable

from mapper import send


def _at_check(n: int, where: Callable[[Any], bool], act: Callable[[], None]) -> tuple[Any, list[int]]:
    """A trace function calling ``act`` (which raises, or notes a signal) at the n-th place a signal
    handler can run in the frames ``where`` picks: so a loop over n tries every place one can land."""
    seen = [0]
    names: dict[Any, dict[int, str]] = {}
    last: dict[int, str] = {}  # id(frame) -> the instruction it ran last (not the frame: that would keep its locals)

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            code = frame.f_code
            if code not in names:
                names[code] = {i.offset: i.opname for i in dis.get_instructions(code)}
            before = last.get(id(frame))
            last[id(frame)] = names[code].get(frame.f_lasti, "")
            if before is None or "CALL" in before or before in ("RESUME", "JUMP_BACKWARD", "JUMP_ABSOLUTE"):
                seen[0] += 1
                if seen[0] == n:
                    act()
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if not where(frame.f_code):
            return None
        last.pop(id(frame), None)  # (a new frame: its id may be a finished one's)
        frame.f_trace_opcodes = True
        return local

    return tracer, seen


def _interrupt() -> None:
    raise KeyboardInterrupt


def test_a_ctrl_c_while_the_checkpoint_is_locked_or_let_go_never_leaves_it_locked(tmp_path: Path) -> None:
    # found by a bug hunt: the lock was a bare file descriptor; a Ctrl-C after it was taken and
    # before it was recorded, or after release() had forgotten it and before it closed it, left
    # it open, and locked, for the life of the process: a run resumed from Python (or the next
    # run of a long-lived producer) stopped with "another mapper send is running"
    path = str(tmp_path / "ck")
    in_ours = lambda code: code.co_filename == send.__file__ and code.co_name in ("load", "_lock", "release")  # noqa: E731
    interrupted = 0
    for n in range(1, 1000):
        tracer, seen = _at_check(n, in_ours, _interrupt)
        ck = send.Checkpoint(path)
        sys.settrace(tracer)
        try:
            ck.load()
            ck.release()
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            sys.settrace(None)
        del ck  # (a run that stopped drops its checkpoint object)

        again = send.Checkpoint(path)
        again.load()  # not "another mapper send is running with the checkpoint"
        again.release()
        if seen[0] < n:
            break
    assert interrupted > 5, interrupted
