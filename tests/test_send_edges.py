"""``mapper send`` and ``mapper.Sender`` at the edges of HTTP framing and of the service's states.

Fault servers are the raw socket endpoint of test_send_faults (127.0.0.1, a thread per
connection); every wait is bounded well under a second or two.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from test_send_faults import BODY, answer, endpoint, success

import mapper
from mapper.endpoint import ServiceError

# ---------------------------------------------------------------------------------------
# Answers that carry no body by definition (RFC 9112 6.3: 204, 304, and answers to HEAD end at
# their blank line, whatever Transfer-Encoding or Content-Length they say)


@pytest.mark.parametrize(
    ("head", "late"),
    [
        (b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", b""),
        (b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", b""),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", b"hello"),
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", b"hello"),
        (b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
    ],
    ids=["204-chunked", "304-chunked", "204-length-and-bytes", "304-length-and-bytes", "204-chunks-after"],
)
def test_an_answer_without_a_body_by_definition_is_not_waited_for_nor_misframes_the_next(head, late):
    # found by a bug hunt: http.client reads a 204 or 304 that says "Transfer-Encoding: chunked" as
    # chunked, and waited for a chunk that never comes: the whole --timeout, then a lost answer (a
    # retry, a re-send). Bytes a server wrote after such a head anyway (its "body", a moment later)
    # were read as the start of the next answer on the kept-alive connection: "not HTTP".
    def odd(conn: socket.socket, _head: bytes, body: bytes, n: int) -> None:
        if n == 1:
            conn.sendall(head)
            if late:
                time.sleep(0.1)  # (after the client has read the head and written its next request)
                conn.sendall(late)
        else:
            answer(conn, 200, success(body))

    with endpoint(odd) as fake, mapper.Sender(fake.url, timeout=1.0, retries=0) as sender:
        t0 = time.monotonic()
        with pytest.raises(ServiceError) as info:
            sender.send(BODY)
        assert time.monotonic() - t0 < 0.5  # (not the --timeout)
        status = int(head.split()[1])
        assert info.value.status == status
        assert str(info.value).endswith("no per-record answer for a body of 1 record") if status == 204 else ("Not Modified" in str(info.value))
        ack: Any = sender.send(BODY)  # the next body: its own answer, not the bytes left of the last one
        assert ack.stored == 1 and ack.attempts == 1 and not ack.resent
    assert len(fake.bodies) == 2
