"""``mapper send`` against an endpoint that writes what no request asked for, and the lines it says as it retries.

Fault servers are the raw socket endpoint of test_send_faults (127.0.0.1, a thread per
connection); every wait is bounded well under a second or two.
"""

from __future__ import annotations

import re
import select
import socket
import threading
import time
from collections import Counter
from typing import Any

import orjson
import pytest
from test_send_faults import answer, endpoint
from test_send_serve import EXIT_REJECTED, SINK, aircraft, main_in_process

import mapper
import mapper.send

# ---------------------------------------------------------------------------------------
# An endpoint that answers one request twice: on a kept-alive connection the second answer was
# read as the answer of the next body (its records counted stored or refused by another body's
# answer: a refused record could be counted stored, and no dead letter written for it)

N = 10  # records r0..r9 in bodies of 2: the service refuses the odd ones, naming each by its id


def _its_answer(body: bytes) -> bytes:
    """The per-record answer to ``body``: r1, r3, ... refused with their own id as the message."""
    ids = [r["value"]["id"] for r in orjson.loads(body)["records"]]
    items = [{"status": "error", "error_code": "Odd", "error_message": i} if int(i[1:]) % 2 else {"status": "success"} for i in ids]
    return orjson.dumps({"records": items})


def _framed(payload: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload


def _answers_twice(how: str, stored: Counter[str], read: threading.Event) -> Any:
    """The second body's answer is written twice, as ``how`` says; the others once ("late": the
    second time once the client has ``read`` the first)."""
    last: list[bytes] = []

    def handler(conn: socket.socket, _head: bytes, body: bytes, n: int) -> None:
        ids = [r["value"]["id"] for r in orjson.loads(body)["records"]]
        stored.update(i for i in ids if not int(i[1:]) % 2)
        own = _framed(_its_answer(body))
        if how == "with-the-next" and n == 3:  # the second body's answer again, then the third's own: in one write
            conn.sendall(last[0] + own)
        elif how == "back-to-back" and n == 2:  # its own answer twice, in one write
            conn.sendall(own + own)
        elif how == "late" and n == 2:  # again a moment later, while the client waits to send the next body
            conn.sendall(own)
            read.wait(10)  # (not before: in the client's read of the first, it is "back-to-back")
            conn.sendall(own)
        else:
            conn.sendall(own)
        last[:] = [own]

    return handler


def _in_order(monkeypatch: pytest.MonkeyPatch, read: threading.Event) -> None:
    """The "late" case in order however slow the machine: the second body's answer read (then
    ``read`` is set), the late one there to be read on the connection, then the third body sent."""
    attempt = mapper.send.Sender._attempt
    attempts = [0]

    def in_order(self: mapper.Sender, data: bytes) -> Any:
        if attempts[0] == 2:
            sock = self._conn().sock
            assert sock is not None and select.select([sock], [], [], 10)[0], "the late answer did not come within 10 s"
        attempts[0] += 1
        try:
            return attempt(self, data)
        finally:
            if attempts[0] == 2:
                read.set()

    monkeypatch.setattr(mapper.send.Sender, "_attempt", in_order)


@pytest.mark.parametrize("how", ["with-the-next", "back-to-back", "late"])
def test_an_answer_written_twice_is_never_taken_for_another_body_s_and_every_record_is_accounted_for(tmp_path, capsys, monkeypatch, how):
    records = tmp_path / "r.ndjson"
    records.write_text("".join(orjson.dumps(aircraft(i)).decode() + "\n" for i in range(N)))
    rejects = tmp_path / "rejects.ndjson"
    stored: Counter[str] = Counter()
    read = threading.Event()
    if how == "late":
        _in_order(monkeypatch, read)
    with endpoint(_answers_twice(how, stored, read)) as fake:
        args = ("send", SINK, records, "--endpoint", fake.url, "--body-records", 2, "--rejects", rejects)
        rc, out, err = main_in_process(capsys, *args, "--backoff", 0.01, "--retries", 2, "--timeout", 2, "--report", "json", "-q")
        arrived = fake.ids()
    t = orjson.loads(out)
    letters = [orjson.loads(line) for line in rejects.read_text().splitlines()]
    assert rc == EXIT_REJECTED and t["completed"], err
    # each refusal is its own record's (the service named it by its id), and every record is in one place
    assert [(d["record"], d["error_message"]) for d in letters] == [(i, f"r{i}") for i in range(1, N, 2)]
    assert (t["records"], t["sent"], t["stored"], t["refused_service"], t["refused_prevalidation"]) == (N, N, N // 2, N // 2, 0)
    assert set(stored) == {f"r{i}" for i in range(0, N, 2)}
    assert t["resent"] == sum(arrived.values()) - N  # a body sent again is counted, and only then
    if how == "late":  # (seen before the next body was written: that connection is not used, nothing is sent again)
        assert t["resent"] == 0 and t["retried"] == 0
    else:  # (the body whose answer came with more after it is sent again on a new connection)
        assert t["resent"] == 2 and t["retried"] == 1


def test_an_answer_with_more_after_it_on_a_new_connection_is_the_request_s_own_and_later_connections_are_not_reused():
    # the first answer on a connection is its first request's: the bytes after it make the connection
    # unusable, not the answer doubtful. A server seen writing what was not asked for is not trusted
    # with a second request on a connection again: each body goes on a new one
    peers: set[Any] = set()

    def twice_always(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        peers.add(conn.getpeername())
        own = _framed(_its_answer(body))
        conn.sendall(own + own)

    bodies = [b'{"records":[{"value":{"id":"r%d"}}]}' % i for i in range(4)]
    with endpoint(twice_always) as fake, mapper.Sender(fake.url, retries=0) as sender:
        acks = [sender.send(b) for b in bodies]
    assert [(a.stored, a.refused, a.attempts, a.resent) for a in acks] == [(1 - i % 2, [(0, "Odd", f"r{i}")] * (i % 2), 1, False) for i in range(4)]
    assert len(fake.bodies) == 4 and len(peers) == 4


def test_a_connection_closed_right_after_its_answer_is_no_answer_written_twice():
    # (its end can be read as the answer ends: that is no byte anyone wrote, and the answer stands)
    def closes_after_the_second(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        conn.sendall(_framed(_its_answer(body)))
        return "close" if n == 2 else None

    bodies = [b'{"records":[{"value":{"id":"r%d"}}]}' % i for i in range(3)]
    with endpoint(closes_after_the_second) as fake, mapper.Sender(fake.url, retries=0) as sender:
        acks = []
        for i, b in enumerate(bodies):
            acks.append(sender.send(b))
            if i == 1:  # (the end is in before the next body, however slow the machine)
                sock = sender._conn().sock
                assert sock is None or select.select([sock], [], [], 10)[0], "the connection did not end within 10 s"
    assert [(a.stored, a.attempts, a.resent) for a in acks] == [(1, 1, False), (0, 1, False), (1, 1, False)] and len(fake.bodies) == 3
    assert sender._reuse


# ---------------------------------------------------------------------------------------
# A line for each retry: a run that waits on 429s, 503s or lost answers said nothing of it until its summary


def _unavailable_first(conn: socket.socket, _head: bytes, body: bytes, n: int) -> None:
    if n == 1:
        answer(conn, 503, b'{"code":"Unavailable","message":"try later \\u001b[2J"}')
    else:
        answer(conn, 200, _its_answer(body))


@pytest.mark.parametrize("quiet", [False, True])
def test_each_retry_says_on_stderr_what_was_answered_for_which_body_and_how_long_it_waits_unless_quiet(tmp_path, capsys, quiet):
    records = tmp_path / "r.ndjson"
    records.write_text("".join(orjson.dumps(aircraft(i)).decode() + "\n" for i in range(0, 6, 2)))  # (all stored)
    with endpoint(_unavailable_first) as fake:
        args = ("send", SINK, records, "--endpoint", fake.url, "--body-records", 2, "--backoff", 0.01, "--retries", 3, "--report", "json")
        rc, out, err = main_in_process(capsys, *args, *(["-q"] if quiet else []))
    t = orjson.loads(out)
    assert rc == 0 and (t["stored"], t["retried"], t["resent"]) == (3, 1, 0) and len(fake.bodies) == 3
    lines = [line for line in err.splitlines() if line.startswith("mapper send: body")]
    if quiet:
        assert err == ""
    else:  # (the service's words with their escapes shown, not sent to the terminal)
        assert len(lines) == 1, err
        assert re.fullmatch(r"mapper send: body 1 \(records 0-1\): 503 Unavailable: try later \\x1b\[2J; retry 1 of 3 in \d+ ms", lines[0]), lines


# ---------------------------------------------------------------------------------------
# Trailer lines without end after an answer's last chunk: each attempt was held the whole --timeout,
# then retried as a lost answer (8 retries of 30 s by default), where more than 100 header lines
# are an answer that is not HTTP at once


def test_trailer_lines_without_end_are_an_answer_that_is_not_http_not_a_wait_for_the_timeout():
    def trails(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> str:
        payload = _its_answer(body)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n" % (len(payload), payload))
        try:
            for _ in range(10_000):  # (11 MB at most: ends when the client goes)
                conn.sendall(b"X-Trailer: on and on\r\n" * 50)
        except OSError:
            pass
        return "close"

    with endpoint(trails) as fake, mapper.Sender(fake.url, retries=0, timeout=10) as sender:
        t0 = time.monotonic()
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(b'{"records":[{"value":{"id":"r0"}}]}')
        took = time.monotonic() - t0
    assert took < 5, took  # (not the timeout: half of it, room for a busy machine, not 1.5 s of 3)
    assert "answered what is not HTTP: more than 100 trailer lines" in str(info.value) and info.value.maybe_stored


def test_a_few_trailer_lines_are_read_past():
    def trails(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        payload = _its_answer(body)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n" % (len(payload), payload))

    with endpoint(trails) as fake, mapper.Sender(fake.url, retries=0) as sender:
        acks = [sender.send(b'{"records":[{"value":{"id":"r%d"}}]}' % i) for i in range(2)]
    assert [(a.stored, a.attempts) for a in acks] == [(1, 1), (0, 1)] and len(fake.bodies) == 2


def test_the_progress_line_counts_in_words_that_agree_with_their_numbers() -> None:
    import io

    from mapper.commands import Progress
    from mapper.send import SendTotals, _show_totals

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = Progress(True, out)
    progress.start -= 2.0  # (a line is due after a second)
    _show_totals(progress, SendTotals(sent=1, bodies=1, retried=1))
    assert "1 record sent  1 body " in out.getvalue() and out.getvalue().endswith("1 retry ")
