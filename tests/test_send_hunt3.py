"""``mapper send`` under a Ctrl-C or SIGTERM wherever it lands (a bug hunt by fault injection).

A trace function raises KeyboardInterrupt (or calls ``mapper send``'s own signal handler) at
each place in the code where CPython runs a signal handler: as a call returns, as a function
starts, at a backward jump. The endpoint is a raw socket server on 127.0.0.1 that counts the
bytes it receives; every wait is bounded.
"""

from __future__ import annotations

import dis
import signal
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest
from test_send_serve import SINK, aircraft

from mapper import send
from mapper.endpoint import encode_body

#: Where the last interruption landed (function, line, the instruction before): said by a failing assertion.
HIT: list[Any] = []


def _at_check(n: int, where: Callable[[Any], bool], act: Callable[[], None]) -> tuple[Any, list[int]]:
    """A trace function calling ``act`` (which raises, or notes a signal) at the n-th place a signal
    handler can run in the frames ``where`` picks: so a loop over n tries every place one can land."""
    # (3.12 turns opcode events on at sys.settrace only once a frame has asked for them, ever, in
    # the process: the first traced add saw no instruction, and the loop ended at n=1 with none
    # interrupted; asked (and let go) here, before the caller's settrace)
    here = sys._getframe()
    here.f_trace_opcodes = True
    here.f_trace_opcodes = False
    seen = [0]
    names: dict[Any, dict[int, str]] = {}
    last: dict[int, str] = {}  # id(frame) -> the instruction it ran last (not the frame: that would keep its locals)

    def local(frame: Any, event: str, arg: Any) -> Any:
        # (3.13 turns opcode events on only when asked in a local trace call; 3.11 when asked
        # in the call event too, the first opcode included)
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            if code not in names:
                names[code] = {i.offset: i.opname for i in dis.get_instructions(code)}
            before = last.get(id(frame))
            last[id(frame)] = now = names[code].get(frame.f_lasti, "")
            # (3.11's PRECALL followed by CALL is a call not yet made: PRECALL checks only when it makes the call itself)
            if before is None or ("CALL" in before and (before, now) != ("PRECALL", "CALL")) or before in ("RESUME", "JUMP_BACKWARD", "JUMP_ABSOLUTE"):
                seen[0] += 1
                if seen[0] == n:
                    HIT.append((code.co_name, frame.f_lineno, before))
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
        previous = sys.gettrace()  # (coverage's, under --cov: given back, not dropped)
        sys.settrace(tracer)
        try:
            ck.load()
            ck.release()
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            sys.settrace(previous)
        del ck  # (a run that stopped drops its checkpoint object)

        again = send.Checkpoint(path)
        again.load()  # not "another mapper send is running with the checkpoint"
        again.release()
        if seen[0] < n:
            break
    assert interrupted > 5, interrupted


class _CountingEndpoint:
    """Takes requests on 127.0.0.1 and answers each "all stored"; counts the bytes that arrived."""

    def __init__(self) -> None:
        self.received = 0
        self.open = 0
        self.bodies = 0  # answered since reset()
        self.first = 0  # bytes received by the end of the first body answered
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v2/sinks/aircraft_positions"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.open += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buf = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                with self.lock:
                    self.received += len(data)
                buf += data
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
                    if len(rest) < length:
                        break
                    body, buf = rest[:length], rest[length:]
                    n = len(orjson.loads(body)["records"])
                    payload = orjson.dumps({"records": [{"status": "success"}] * n})
                    with self.lock:
                        self.bodies += 1
                        if self.bodies == 1:
                            self.first = self.received - len(buf)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
        except OSError:
            return
        finally:
            conn.close()
            with self.lock:
                self.open -= 1

    def reset(self) -> None:
        with self.lock:
            self.received = self.bodies = self.first = 0

    def settled(self) -> int:
        """The bytes received, once every connection has ended (bounded)."""
        deadline = time.monotonic() + 3
        while self.open and time.monotonic() < deadline:
            time.sleep(0.002)
        with self.lock:
            return self.received

    def close(self) -> None:
        self.sock.close()


def test_a_ctrl_c_leaves_a_body_in_flight_exactly_when_some_of_it_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by a bug hunt: a Ctrl-C (or SIGTERM) that landed after the body was marked in flight
    # and before its request was written (as the mark's wait ended, in the checks of a
    # kept-alive connection, while a new connection was made ready) left the body in flight:
    # nothing of it had been written, yet the resume counted its records re-sent
    import mapper

    monkeypatch.setattr(send.os, "fsync", lambda fd: None)  # (hundreds of runs: the checkpoint's writes need not reach the disk)
    m = mapper.compile_sink(SINK)
    records = tmp_path / "r.ndjson"
    records.write_bytes(b"".join(orjson.dumps(aircraft(i)) + b"\n" for i in range(6)))
    second = len(encode_body([orjson.dumps(aircraft(i)) for i in range(3, 6)]))
    fake = _CountingEndpoint()
    # (the sending of the second body, up to its answer: reading the answer, and the accounting, are many more places)
    steps = {"_send", "mark", "send", "requests_begun", "_attempt", "_conn", "_closed_by_peer", "_unasked", "_drop"}
    sending_second = lambda code: code.co_filename == send.__file__ and code.co_name in steps and fake.bodies >= 1  # noqa: E731
    results: Counter[str] = Counter()
    try:
        for n in range(1, 5000):
            checkpoint = tmp_path / f"ck{n}"
            run = send.SendRun(mapper.Batcher(m, max_records=3), send.Sender(fake.url, timeout=5), [str(records)], checkpoint=send.Checkpoint(str(checkpoint)))
            fake.reset()
            tracer, seen = _at_check(n, sending_second, lambda: send._interrupt(signal.SIGINT, None))  # (mapper send's handler)
            send._Deferred.depth, send._Deferred.pending = 0, False
            previous = sys.gettrace()
            sys.settrace(tracer)
            try:
                run.run()
                stopped = False
            except KeyboardInterrupt:
                stopped = True
            finally:
                sys.settrace(previous)
                assert run.sender is not None
                run.sender.close()
            arrived = fake.settled() - fake.first
            state = orjson.loads(checkpoint.read_bytes())
            if stopped and state["position"]["index"] == 2:  # stopped while the second body was being sent
                if arrived == 0:
                    assert state["in_flight"] is None, (n, HIT[-1])  # nothing of it was written: not in flight
                    results["unsent"] += 1
                elif arrived >= second:
                    assert state["in_flight"] == {"first": 3, "last": 5}, n  # all of it was written: it may be stored
                    results["sent"] += 1
            if seen[0] < n:
                break
    finally:
        fake.close()
    assert results["unsent"] > 5 and results["sent"] > 5, (results, n)


def test_a_checkpoint_that_cannot_mark_a_body_in_flight_does_not_leave_it_in_flight(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # found by a bug hunt: the mark's save failing (a full disk, for a moment) stopped the run
    # before anything of the body was written, but the mark stayed in the run's state; the save
    # as the run stopped then wrote it, and the resume counted the body's records re-sent
    import errno

    from test_send_faults import endpoint, stores, write_records
    from test_send_serve import main_in_process

    records = write_records(tmp_path / "r.ndjson", 9)
    checkpoint = tmp_path / "ck"
    real = send.Checkpoint._save
    failed: list[int] = []

    def full_once(self: send.Checkpoint, state: dict[str, Any]) -> None:
        if state.get("in_flight") is not None and not failed:
            failed.append(1)
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, state)

    with endpoint(stores) as fake:
        args = ("send", SINK, records, "--endpoint", fake.url, "--body-records", 3, "--checkpoint", checkpoint, "--report", "json", "-q")
        with monkeypatch.context() as mp:
            mp.setattr(send.Checkpoint, "_save", full_once)
            rc, out, err = main_in_process(capsys, *args)
        assert rc == 2 and "cannot write the checkpoint" in err and failed
        assert fake.bodies == []  # nothing of it was written
        assert orjson.loads(checkpoint.read_bytes())["in_flight"] is None
        rc, out, _err = main_in_process(capsys, *args)
        t = orjson.loads(out)
    assert rc == 0 and (t["sent"], t["stored"], t["resent"]) == (9, 9, 0)
    assert fake.ids() == Counter({f"r{i}": 1 for i in range(9)})


def test_a_connection_reset_while_the_body_is_written_is_retried_but_no_re_send() -> None:
    # found by a bug hunt: a connection reset while the body was still being written (the
    # service read a little of it, then closed) counted as a lost answer, "may have been
    # stored", and the retry as a re-send of every record; a write that failed never put the
    # whole body there, and the service stores nothing of a body it did not read whole
    body = encode_body([orjson.dumps({"id": f"r{i}", "pad": "x" * 3000}) for i in range(2000)])  # (6 MB: more than the socket buffers hold)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    got: list[int] = []

    def serve() -> None:
        for k in range(2):
            conn, _ = listener.accept()
            conn.settimeout(10)
            with conn:
                if k == 0:  # a little of the body, then a reset
                    conn.recv(1000)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    continue
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, rest = data.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
                while len(rest) < length:
                    rest += conn.recv(1 << 20)
                got.append(len(rest))
                payload = orjson.dumps({"records": [{"status": "success"}] * 2000})
                conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v2/sinks/x"
        with send.Sender(url, bytes_per_s=100_000_000, records_per_s=100_000, body_bytes=len(body), body_records=2000, backoff=0.01, timeout=10) as sender:
            ack = sender.send(body)
        thread.join(10)
    finally:
        listener.close()
    assert got == [len(body)] and ack.stored == 2000 and ack.retries == 1
    assert not ack.resent  # the first attempt never wrote the body whole: nothing of it can have been stored
