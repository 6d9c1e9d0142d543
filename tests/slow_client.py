"""A client that sends a request's body a little at a time, for the tests of how ``mapper serve`` closes a
connection whose refused body is still coming (tests/test_serve3.py: chunked; tests/test_serve4.py: Content-Length)."""

from __future__ import annotations

import socket
import time


def trickle(port: int, opening: bytes, drip: bytes, seconds: float, drips: int | None = None) -> tuple[bytes, float | None, float | None]:
    """Send ``opening``, then ``drip`` every 0.1 s (each pause well within LINGER) for at most ``seconds`` (and at most
    ``drips`` times, when given: a body of that many drips, then only read); what the server wrote, when its answer's
    head came and when it closed (seconds from the opening; None: never)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(opening)
        start = time.monotonic()
        got = b""
        answered = None
        s.settimeout(0.1)
        sent = 0
        while time.monotonic() - start < seconds:
            if drips is None or sent < drips:
                try:
                    s.sendall(drip)
                    sent += 1
                except OSError:  # (closed by the server: what it wrote is still there to read)
                    pass
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return got, answered, time.monotonic() - start
            if not chunk:
                return got, answered, time.monotonic() - start
            got += chunk
            if answered is None and b"\r\n\r\n" in got:
                answered = time.monotonic() - start
        return got, answered, None
