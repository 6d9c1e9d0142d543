"""``mapper send``: the producer's last mile, from record files to an ingest endpoint; and :class:`Sender`, its Python API.

    mapper send SINK RECORDS... --endpoint URL [--checkpoint FILE] [--rejects FILE]

Records are judged one by one with the engine (:class:`mapper.Batcher`); only those the
endpoint would take are sent, packed into request bodies within the endpoint's limits
and paced by a token bucket on records/s and bytes/s (:class:`mapper.endpoint.Pacer`).
Every record is accounted for: stored, refused by pre-validation, or refused by the
service (its per-record answer); refused ones go to the dead-letter file with a
``source`` field saying which.

The token comes from an environment variable (``--token-env``, default
``FEATUREBASE_TOKEN``), never from the command line (it would show in ``ps``), and is
never printed or logged.

Delivery is at least once: connection errors, timeouts, 408, 429, 5xx and the service's
throttling answer (400 ``ResourceThroughputExceeded``) are retried with exponential
backoff and jitter, up to ``--retries`` times (each said in a line on stderr, unless ``--quiet``), and so is a 400 naming the sink's state
CREATING (a sink just created; past the retries the run stops saying so); a body whose answer was lost may have
been stored and is sent again (an answer that is not HTTP, at most three times: no retry
changes what answers at an address). Records are keyed by ``_id``, so storing one twice
writes the same row again (harmless); re-sent records are counted. ``--checkpoint``
records the input position after each acknowledged body, atomically, so a killed run
started again goes on after the last acknowledged body.

Exit codes: 0 every record was stored; 1 at least one was refused (by pre-validation or
by the service); 2 usage errors, an invalid sink, unreadable input, an unreachable
endpoint (retries exhausted), an error answer the service does not want retried (the
run stops with its message), a 2xx that is no per-record answer (the body stays in
flight), or an interrupted run.
"""

from __future__ import annotations

import argparse
import base64
import email.errors
import email.utils
import errno
import hashlib
import html
import http.client
import io
import json
import math
import os
import random
import re
import selectors
import signal
import socket
import ssl
import stat
import sys
import threading
import time
import urllib.parse
import zlib
from collections import deque
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import timezone
from itertools import repeat
from pathlib import Path
from typing import IO, Any, BinaryIO, Callable, Iterable, Iterator, NamedTuple, TypeVar

import orjson

from .batcher import DEFAULT_BODY_BYTES, DEFAULT_BODY_RECORDS, Batcher, Body
from .commands import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Progress,
    archives_said,
    check_archives,
    check_inputs,
    check_paths,
    decimal,
    file_name,
    inputs_twice,
    integer,
    load_cli_sink,
    records_path_option,
    stdout_on_input,
)
from .endpoint import (
    DEFAULT_BYTES_PER_S,
    DEFAULT_RECORDS_PER_S,
    TOKEN_CHARACTERS,
    TOKEN_SPACE,
    Limits,
    Pacer,
    ServiceError,
    body_data,
    check_fit,
    env_token,
    error_of,
    parse_body,
    printable,
    read_numbers,
    retryable,
    service_loads,
    token_problem,
)
from .engine.gojson import SECOND_BOM_NOTE, bom_note
from .engine.reader import (
    BOM,
    CHUNK_SIZE,
    HEAD_SIZE,
    MAGIC_SIZE,
    BrokenDocument,
    FirstLines,
    Notice,
    OversizedRecord,
    RawRecords,
    Readable,
    Unit,
    counted,
    document_units,
    endpoint_units,
    format_head,
    format_notice,
    format_of,
    hints_named,
    input_note,
    line_text,
    lone_cr_notice,
    lone_object_notice,
    open_input,
    read_head,
    refuse_archive,
    stream_units,
    unpacked,
    unpacker,
)
from .errors import (
    ArchiveInput,
    InputError,
    MapperError,
    OptionError,
    OutputError,
    check_function,
    compression_of,
    escaped_json,
    option_text,
    preview,
    shown_name,
)
from .options import INPUT_FORMATS, MAX_RECORD_SIZE, RECORDS_PATH_AND_BODY
from .paths import to_dot_notation
from .report import RecordError, plural
from .writers import json_bytes, json_line, new_temp, planted_link_said, remove_temp, sync_directory, sync_file, temp_kept, temp_stem

__all__ = ["Ack", "EndpointUnreachable", "SendError", "SendTotals", "Sender", "add_send_parser", "cmd_send"]

DEFAULT_TOKEN_ENV = "FEATUREBASE_TOKEN"
#: Seconds a kept-alive connection may sit idle before a request opens a new one
#: (servers close idle connections: mapper serve after 30 s, load balancers after 60).
IDLE_RECONNECT = 15.0


#: The most of an answer read (a per-record answer to a 500-record body is some 50 KB): an endpoint
#: answering with gigabytes would otherwise be held in memory whole before it is judged.
MAX_ANSWER = 16 << 20

#: Answers that are not HTTP (a status line that is none, more than 100 header lines, a line over
#: 64 KiB, another protocol's greeting) one body may get before the run stops: no retry changes
#: what a server at that address speaks (a wrong port, a proxy in the way), and the backoff of
#: --retries retries took about 90 s. Two retries all the same, for an answer cut in its head.
UNREADABLE_ATTEMPTS = 3

#: A refusal because the sink is not ACTIVE yet (the spec: "Only sinks in state ACTIVE accept data (a
#: new sink is CREATING for a few moments)"; what the service answers is not documented, mapper serve
#: answers 400 InvalidParameter "sink 'x' is CREATING: ..."): a 400 whose message names the state
#: CREATING is retried as throttling is, within --retries (about a minute by default), then stops
#: the run saying so. A body sent right after POST /v1/sinks stopped the run on the first answer.
_CREATING = re.compile(r"\bCREATING\b")

#: Interim (1xx) answers read past before the final answer, at most (Go's client takes 5).
MAX_INTERIM = 10

#: getaddrinfo's answers that a host name does not exist (not "try again": EAI_AGAIN is retried).
_NO_SUCH_HOST = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name))


class SendError(MapperError):
    """A send that could not be completed (see :class:`EndpointUnreachable`)."""


class InputStopped(SendError, InputError):
    """An input could not be read (on): what was read before it was sent and checkpointed
    (an :class:`InputError` too, as it was before the run sent what it had read). ``archives``: the
    inputs the reader refused as archives (:class:`~mapper.errors.ArchiveInput`), said again by the
    command with its own command line (:func:`~mapper.commands.archives_said`); else None."""

    archives: dict[str, tuple[str, str | None]] | None = None


class OutputStopped(SendError, OutputError):
    """The dead letters or the checkpoint could not be written (a full disk, a file system gone
    read-only): the run stops, its totals said (an :class:`OutputError` too)."""


class EndpointUnreachable(SendError):
    """The endpoint did not take a body within the retries (connection errors, timeouts, throttling, 5xx),
    or answered what is not HTTP :data:`UNREADABLE_ATTEMPTS` times.

    ``maybe_stored``: whether an attempt may have reached the service (its answer lost), or
    every one was refused before it was sent or answered "not stored".
    """

    def __init__(self, message: str, maybe_stored: bool = True):
        super().__init__(message)
        self.maybe_stored = maybe_stored


@dataclass
class Ack:
    """The service's answer to one body.

    ``stored``: records it answered ``success``; ``refused``: (position in the body,
    ``error_code``, ``error_message``) of the others. ``attempts`` HTTP requests were
    made (``retries`` of them again after a retryable failure); ``resent`` is True when an
    earlier attempt may have reached the service (its answer was lost), so the body may
    have been stored twice (harmless: writes are keyed by ``_id``).
    """

    status: int
    answer: dict[str, Any]
    stored: int
    refused: list[tuple[int, str, str]]
    attempts: int
    retries: int
    resent: bool
    seconds: float


class _Reader(io.RawIOBase):
    """A socket's answer, read within one deadline: each read waits only for the time left."""

    def __init__(self, sock: Any, deadline: float, held: Any):
        self.sock, self.deadline = sock, deadline
        self.held = held  # the socket's own file: the socket stays open until the answer is read (http.client
        # closes a connection that will close as soon as the answer's head is in, and lets the answer read on)
        self.received = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """The bytes received: the buffer above it tells how many of them it has not handed out."""
        return self.received

    def close(self) -> None:
        if not self.closed:
            self.held.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        if self.deadline < math.inf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            self.sock.settimeout(left)
        n = int(self.sock.recv_into(buffer))
        self.received += n
        return n


class _Buffered(io.BufferedReader):
    """An answer's bytes, the last line read remembered: a head that ends without its blank line
    ended with the connection (a lost answer), not with the answer's head."""

    last_line = b""

    def readline(self, size: int | None = -1) -> bytes:
        self.last_line = super().readline(size)
        return self.last_line


class _NotHTTP(http.client.HTTPException):
    """An answer's head or framing that no HTTP server writes: what is wrong with it, in words."""


#: The hexadecimal digits of a chunk size (RFC 9112 7.1: 1*HEXDIG).
_HEX = frozenset(b"0123456789abcdefABCDEF")


class _Response(http.client.HTTPResponse):
    """An answer that must be in whole within the connection's timeout of its request being
    written: the socket's own timeout bounds each read, and an endpoint dribbling its answer
    a byte at a time held a send as long as it liked.

    ``unasked``: bytes that came after the answer's end in the same reads (what was read ahead
    of it, dropped with the answer: a second answer to one request, or a Content-Length short
    of what was written); 0 for an answer whose head says bytes may follow (a framed 204)."""

    unasked = 0

    def __init__(self, sock: Any, *args: Any, **kw: Any):
        super().__init__(sock, *args, **kw)
        timeout = sock.gettimeout()
        self.fp = _Buffered(_Reader(sock, time.monotonic() + timeout if timeout is not None else math.inf, self.fp))
        self.trailing = False  # a head that says bytes follow which are not its body (see begin)

    def _close_conn(self) -> None:
        fp = self.fp
        if isinstance(fp, _Buffered) and not fp.closed and not self.trailing:
            self.unasked = fp.raw.tell() - fp.tell()  # (read ahead past the answer's end, dropped with its buffer)
        super()._close_conn()  # type: ignore[misc]

    def begin(self) -> None:
        """The answer's head; a Content-Length that is not one number of plain digits is an answer that is
        not HTTP (RFC 9112 6.3): http.client took "-1", "abc" or "5, 5" for no length and read until the
        connection closed, so an answer on a kept-alive connection was waited for the whole --timeout and
        retried as a lost one, and it read "1_0" (Python's int) as 10.

        So are a header line that is not ``name: value`` (http.client's parser dropped it and every
        header after it, the Content-Length too) and a Transfer-Encoding other than ``chunked`` alone
        (http.client read ``gzip, chunked`` as no framing: the chunks' sizes became the answer's text).
        A head the connection ended before its blank line is a lost answer (it was read as a whole
        answer of no body: "no per-record answer", a refusal that stopped the run).

        A 204, a 304 or an answer to HEAD has no body whatever its head says (RFC 9112 6.3): http.client
        read one that said ``Transfer-Encoding: chunked`` as chunked and waited for a chunk that never
        comes, the whole --timeout (then a lost answer: a retry, a re-send). Its framing is ignored; a
        connection whose server said one (or wrote bytes after the head anyway) is not used again, as
        those bytes would be read as the start of the next answer."""
        super().begin()
        if not getattr(self.fp, "last_line", b"\n").endswith(b"\n"):
            raise http.client.RemoteDisconnected("the connection closed in the answer's head")
        for defect in self.headers.defects:
            if isinstance(defect, (email.errors.MissingHeaderBodySeparatorDefect, email.errors.FirstHeaderLineIsContinuationDefect)):
                line = (str(getattr(defect, "line", None) or self.headers.get_payload() or "").splitlines() or [""])[0]
                raise _NotHTTP(f"a header line that is not 'name: value': {line[:60]!r}")
        if self.status in (204, 304) or self._method == "HEAD":  # type: ignore[attr-defined]
            framed = "Transfer-Encoding" in self.headers or any(v.strip() != "0" for v in self.headers.get_all("Content-Length") or [])
            self.chunked, self.chunk_left, self.length = False, None, 0
            if framed:
                self.will_close = self.trailing = True
            return
        codings = self.headers.get_all("Transfer-Encoding") or []
        if codings:
            said = [c.strip().lower() for value in codings for c in value.split(",") if c.strip()]
            if said != ["chunked"]:
                raise _NotHTTP(f"a Transfer-Encoding other than chunked: {', '.join(codings)[:60]!r}")
            if not self.chunked:  # ("chunked " or "chunked,": http.client matches the value whole)
                self.chunked, self.chunk_left, self.length = True, None, None
                self.will_close = self._check_close()  # type: ignore[attr-defined]
        lengths = self.headers.get_all("Content-Length") or []
        if (
            lengths
            and self.chunked is False
            and (len({v.strip() for v in lengths}) != 1 or not lengths[0].strip().isdigit() or not lengths[0].strip().isascii())
        ):
            raise http.client.HTTPException(f"a Content-Length that is not one number: {', '.join(lengths)[:60]!r}")

    def _read_status(self) -> tuple[str, int, str]:
        """The final answer's status line: interim answers before it (102 Processing, 103 Early
        Hints, from the service or a proxy) are read past, as RFC 9110 15.2 asks. http.client
        skips only a 100: a 103 was taken as the answer, a refusal that stopped the run, and
        the body, stored by the 200 after it, was sent again on resume not counted as re-sent.

        A 101 Switching Protocols is an answer that is not HTTP: the connection speaks another
        protocol from there on, and no request of mapper send asks for one (RFC 9110 15.2.2: a
        server switches only to a protocol the request's Upgrade names). It was taken as a refusal,
        "101 HTTP101:" with no words, the body marked not stored."""
        for _ in range(MAX_INTERIM + 1):
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if status == 101:
                upgrade = http.client.parse_headers(self.fp).get("Upgrade")
                to = f" to {upgrade.strip()[:40]!r}" if upgrade and upgrade.strip() else ""  # (repr: escaped)
                raise _NotHTTP(f"101 Switching Protocols{to}, an upgrade that no request of mapper send asks for")
            if not 100 <= status < 200:
                return version, status, reason
            http.client.parse_headers(self.fp)  # its headers (bounded as the final answer's are), then the next status line
        # an endpoint sending interim answers without end held each attempt for the whole --timeout,
        # retried as a lost answer (minutes): it is an answer that is not HTTP, as Go's client takes it
        raise http.client.HTTPException(f"more than {MAX_INTERIM} interim (1xx) answers before the final one")

    def _read_and_discard_trailer(self) -> None:
        """The trailer after the last chunk (RFC 9112 7.1.2): header lines, at most as many as a head's
        (http.client's 100), then a blank line. http.client read lines until the blank one however many
        came: an endpoint writing trailer lines without end held each attempt for the whole --timeout, then
        was retried as a lost answer (minutes, by default); it is an answer that is not HTTP, as a head of
        more than 100 lines is. (A connection ended in the trailer: the answer is whole, as http.client
        takes it.)"""
        for _ in range(http.client._MAXHEADERS + 1):  # type: ignore[attr-defined]
            line = self.fp.readline(http.client._MAXLINE + 1)  # type: ignore[attr-defined]
            if len(line) > http.client._MAXLINE:  # type: ignore[attr-defined]
                raise http.client.LineTooLong("trailer line")
            if line in (b"\r\n", b"\n", b""):
                return
        raise _NotHTTP(f"more than {http.client._MAXHEADERS} trailer lines")  # type: ignore[attr-defined]

    def _read_next_chunk_size(self) -> int:
        """The next chunk's size (RFC 9112 7.1): hexadecimal digits, at most 16 (64 bits, as Go's
        client reads them), then extensions after a ";". Anything else is an answer that is not HTTP:
        http.client took any text Python's int() reads ("0x1b", "-1", "1_0") and called the rest an
        answer cut short, retried as a lost one (a "-1" read on to the connection's end: the whole
        --timeout). A line the connection ended is an answer cut short (lost) all the same."""
        line = self.fp.readline(http.client._MAXLINE + 1)  # type: ignore[attr-defined]
        if len(line) > http.client._MAXLINE:  # type: ignore[attr-defined]
            raise http.client.LineTooLong("chunk size")
        if not line.endswith(b"\n"):
            raise http.client.IncompleteRead(b"")
        size = line.partition(b";")[0].strip(b" \t\r\n")
        if not 0 < len(size) <= 16 or not _HEX.issuperset(size):
            self._close_conn()  # type: ignore[attr-defined]
            written = line.rstrip(b"\r\n")[:40].decode("latin-1")
            raise _NotHTTP(f"a chunk size that is not a hexadecimal number: {written!r}")
        return int(size, 16)


class _HTTPSConnection(http.client.HTTPSConnection):
    """A TLS connection whose certificate is checked against the host without an IPv6 zone: http.client
    gave the resolver's ``fe80::1%eth0`` to TLS as the server's name, which no certificate holds (an
    address's is ``fe80::1``): https:// to a link-local address always stopped on "Hostname mismatch"."""

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host.partition("%")[0])  # type: ignore[attr-defined]


class _Answer(NamedTuple):
    """An answer read whole: its status line's code and reason, its head, and its body (decoded as its
    Content-Encoding says); ``undecoded`` says why the body could not be decoded, or is None."""

    status: int
    reason: str
    headers: http.client.HTTPMessage
    payload: bytes
    undecoded: str | None


class _Failure(Exception):
    """One failed attempt: why, and whether the request may have reached the service."""

    def __init__(self, reason: str, maybe_stored: bool, final: bool = False, unreadable: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.maybe_stored = maybe_stored
        self.final = final  # no retry can change it
        self.unreadable = unreadable  # an answer came, and it is not HTTP: what is wrong with it


#: ``with`` gives the sender itself: a subclass's own type, to a type checker
_S = TypeVar("_S", bound="Sender")


def _send_limits(records_per_s: float, bytes_per_s: float, body_records: int | None, body_bytes: int | None) -> Limits:
    """The limits a sender keeps: a body size not given is half the per-second limit, at most
    :data:`DEFAULT_BODY_RECORDS` and :data:`DEFAULT_BODY_BYTES`, at least one record and 64 bytes,
    and never more than the limit itself (``--bytes-per-s 50`` alone failed on ``--body-bytes (64)``,
    an option not given, its floor over the limit; a limit too small for any body says so as such)."""
    return Limits(
        records_per_s,
        bytes_per_s,
        body_records if body_records is not None else max(1, min(DEFAULT_BODY_RECORDS, int(records_per_s / 2))),
        body_bytes if body_bytes is not None else min(max(64, min(DEFAULT_BODY_BYTES, int(bytes_per_s / 2))), int(bytes_per_s)),
    )


class Sender:
    """POST request bodies to one ingest endpoint, paced within its limits, retrying what may be retried.

        >>> sender = mapper.Sender("https://.../v2/sinks/ID", token=os.environ["FEATUREBASE_TOKEN"])
        >>> for body in batcher.flush():
        ...     ack = sender.send(body)      # raises EndpointUnreachable or ServiceError
        ...     ack.stored, ack.refused

    ``records_per_s``/``bytes_per_s`` are the endpoint's limits (the documented ones by
    default); bodies may hold at most ``body_records`` records and ``body_bytes`` bytes
    (half the limits by default, see :class:`mapper.endpoint.Pacer`). ``retries``: how
    many times one body is tried again (exponential backoff from ``backoff`` seconds,
    doubling up to ``max_backoff``, with jitter; a ``Retry-After``, in seconds or an HTTP
    date, is honoured up to ``max_backoff``). ``timeout``: seconds to connect, and for the whole answer
    once a body is written (not for each read: an answer dribbled out is a lost answer). ``clock``,
    ``sleep``, ``rand`` and ``wall_clock`` (the time a ``Retry-After`` date is counted from) are injectable for tests; ``on_retry(reason, delay)`` is told
    of each retry. Thread-safe: producer threads may share one sender (one connection
    per thread, one pacer for all). A connection is kept alive from body to body, until the
    server writes what no request asked for (a second answer to one request): from then on
    each request goes on a new connection (see docs/send-serve.md, "Retries").
    """

    def __init__(
        self,
        endpoint: str,
        *,
        token: str | None = None,
        records_per_s: float = DEFAULT_RECORDS_PER_S,
        bytes_per_s: float = DEFAULT_BYTES_PER_S,
        body_records: int | None = None,
        body_bytes: int | None = None,
        retries: int = 8,
        timeout: float = 30.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        on_retry: Callable[[str, float], None] | None = None,
    ):
        # (from Python: a wrong type was a TypeError or AttributeError from the checks below, or from urllib)
        for name, func in (("clock", clock), ("sleep", sleep), ("rand", rand), ("wall_clock", wall_clock), ("on_retry", on_retry)):
            check_function(name, func, optional=name == "on_retry")  # (a TypeError at the first retry, mid-send)
        if not isinstance(endpoint, str):
            raise OptionError(f"the endpoint is a URL (a str), not {type(endpoint).__name__}")
        if token is not None and not isinstance(token, str):
            raise OptionError(f"token= is a str (or None), not {type(token).__name__}")
        # (each read as every number of the API is: np.int64(3) taken, as np.float32(0.5) is)
        read = read_numbers(
            {
                "records_per_s": records_per_s,
                "bytes_per_s": bytes_per_s,
                "body_records": body_records,
                "body_bytes": body_bytes,
                "retries": retries,
                "timeout": timeout,
                "backoff": backoff,
                "max_backoff": max_backoff,
            }
        )
        records_per_s, bytes_per_s, body_records, body_bytes = read["records_per_s"], read["bytes_per_s"], read["body_records"], read["body_bytes"]
        retries, timeout, backoff, max_backoff = read["retries"], read["timeout"], read["backoff"], read["max_backoff"]
        try:
            parts = urllib.parse.urlsplit(endpoint)
        except ValueError as exc:  # e.g. an unclosed [ of an IPv6 host
            raise OptionError(f"the endpoint is not a URL ({exc}): {endpoint[:100]!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            if parts.scheme in ("http", "https"):  # (http:///v2/sinks/x: told "must be an http:// URL", which it is)
                raise OptionError(f"the endpoint names no host: {endpoint[:100]!r} (an ingest URL is http://HOST[:PORT]/v2/sinks/<sink_id>)")
            # (localhost:8080/v2/sinks/x, the scheme left out, as curl takes it: what was meant; localhost:8080
            # alone, a service's address as it is often written: the ingest URL on it; got no hint before)
            hostport = None if "://" in endpoint else re.match(r"(?:[\w.-]+|\[[0-9A-Fa-f:.]+\]):\d+(/|\Z)", endpoint)
            meant = ""
            if hostport:
                meant = f" (did you mean {'http://' + endpoint[:100] + ('' if hostport.group(1) else '/v2/sinks/<sink_id>')!r}?)"
            raise OptionError(f"the endpoint must be an http:// or https:// URL, not {endpoint[:100]!r}{meant}")
        if parts.username or parts.password:
            raise OptionError("the endpoint URL must not carry credentials: give the token in an environment variable")
        # http.client refuses a space or a control character in the host or the path, and writes
        # the path as ASCII: each was a traceback, or a failure retried as a lost answer
        path_query = parts.path + parts.query
        bad = next((c for c in parts.netloc + path_query if c <= " " or c == "\x7f"), None) or next((c for c in path_query if not c.isascii()), None)
        if bad is None:
            try:  # (how http.client writes a host beyond ASCII, and how the resolver is asked for any: an empty
                # label, a.b..c, or one of more than 63 characters was a UnicodeError traceback at the first connect)
                parts.hostname.encode("idna")
            except UnicodeError:
                raise OptionError(f"the endpoint's host is not a host name: {endpoint[:100]!r}") from None
        if bad is not None:
            raise OptionError(f"the endpoint URL holds {bad!r}, which a request cannot carry there: percent-encode it ({endpoint[:100]!r})")
        try:
            port = parts.port
        except ValueError:
            raise OptionError(f"the endpoint's port must be a number from 1 to 65535: {endpoint[:100]!r}") from None
        if port == 0:  # (no service listens on port 0: it is not "the scheme's port")
            raise OptionError(f"the endpoint's port must be 1-65535, not 0: {endpoint[:100]!r}")
        self.port = port or (443 if parts.scheme == "https" else 80)
        self.scheme = parts.scheme
        self.host, host_header = _host_of(parts, self.port, endpoint)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        self.limits = _send_limits(records_per_s, bytes_per_s, body_records, body_bytes)
        self.pacer = Pacer(self.limits, clock=clock, sleep=sleep)
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock, self.sleep, self.rand, self.wall_clock = clock, sleep, rand, wall_clock
        self.on_retry = on_retry
        self._headers: dict[str, str | bytes] = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "mapper-send"}
        if host_header is not None:
            self._headers["Host"] = host_header  # (given, http.client writes no Host of its own)
        if token is not None:
            if not token.strip(TOKEN_SPACE):  # ("" sent no Authorization header without a word, " " was refused: App(token="") is refused too)
                raise OptionError("token= is empty or white space: give a token, or None to send without one")
            token = token.strip(TOKEN_SPACE)  # (read from a file with its line end: no header value has one)
            problem = token_problem(token)
            if problem is not None:
                # (a line break or a control character: http.client's ValueError at the first request; U+2028,
                # a character beyond ASCII, went as UTF-8 without a word, a lone surrogate was a UnicodeEncodeError)
                raise OptionError(f"token= {problem}: {TOKEN_CHARACTERS}; give the token alone")
            self._headers["Authorization"] = b"Bearer " + token.encode("ascii")
        self._token = token or None  # (only to keep it out of what an answer says: see _hide)
        self._local = threading.local()
        self._reuse = True  # False once the server wrote what no request asked for: a new connection per request
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"<Sender {self.url} {self.limits.records_per_s:g} records/s {self.limits.bytes_per_s:g} bytes/s>"

    @property
    def has_token(self) -> bool:
        """Whether requests carry a bearer token (its value stays out of reach)."""
        return self._token is not None

    @property
    def max_records(self) -> int:
        """Records a body may hold."""
        return self.limits.max_records

    @property
    def max_bytes(self) -> int:
        """Bytes a body may hold."""
        return self.limits.max_bytes

    # ------------------------------------------------------------------ connections

    def _conn(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.scheme == "https":
                conn = _HTTPSConnection(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.response_class = _Response
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _attempt(self, data: bytes) -> _Answer:
        conn = self._conn()
        # A keep-alive connection idle for long may have been closed by the service; a request
        # on it would fail after being written, and count as a possible re-send. Start afresh
        # (and at once when the service has closed it already: many do after a few seconds).
        now = time.monotonic()
        if conn.sock is not None:
            readable = _closed_by_peer(conn.sock)
            unasked = _unasked(conn.sock)  # (looked at second: what made it readable is there to see)
            if unasked:  # an answer after the last one: this server's answers can be a request behind (see below)
                self._reuse = False
            if readable or unasked or now - getattr(self._local, "used", now) > IDLE_RECONNECT:
                conn.close()
        self._local.used = now
        fresh = conn.sock is None  # (a new connection's first answer is its request's, whatever comes after it)
        try:
            if fresh:
                conn.connect()
        except KeyboardInterrupt:  # while resolving, connecting, in the TLS handshake: nothing of the body was sent (see send)
            self._drop()
            raise
        except OSError as exc:  # refused, unreachable, DNS, connect timeout: nothing was sent
            self._drop()
            if isinstance(exc, ssl.SSLError) and not isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)):
                # the two ends disagree (a certificate that does not verify, https:// at a plain HTTP port): not transient
                raise _Failure(
                    f"the TLS handshake with {self.host}:{self.port} failed: {_oserror(exc, self.timeout)}", maybe_stored=False, final=True
                ) from None
            if isinstance(exc, socket.gaierror) and exc.errno in _NO_SUCH_HOST:
                # the name does not exist (a typo, a sink's host gone): no retry can change that; a
                # resolver that cannot answer now (EAI_AGAIN) is retried as any connection error
                raise _Failure(f"the host name {self.host} does not resolve ({exc.strerror or exc})", maybe_stored=False, final=True) from None
            if isinstance(exc, socket.gaierror):
                why = f"its name does not resolve now ({exc.strerror or exc})"
            elif isinstance(exc, ConnectionRefusedError):  # (retried: a service restarting refuses for a moment)
                why = "nothing listens there (connection refused: is the service, or mapper serve, running at that port?)"
            else:
                why = _oserror(exc, self.timeout)
            raise _Failure(f"cannot connect to {self.host}:{self.port}: {why}", maybe_stored=False) from None
        try:
            assert conn.sock is not None
            conn.sock.settimeout(self.timeout)  # (the last answer's read left its deadline's rest there)
            self._local.begun = self.requests_begun() + 1  # (before its first byte: a Ctrl-C from here on may follow a written body)
            try:
                conn.request("POST", self.path, body=data, headers=self._headers)
            except OSError as exc:
                early = self._early_answer(conn) if isinstance(exc, (BrokenPipeError, ConnectionResetError)) else None
                if early is not None:
                    return early
                # The write failed (a reset, a service that stopped reading for the timeout): the body never
                # got there whole, and a service stores nothing of a body it did not read whole. Retried, and
                # no re-send (a reset was counted a lost answer, and its retry a re-send of every record).
                self._drop()
                raise _Failure(f"{self.host}:{self.port} did not take the body whole: {_oserror(exc, self.timeout)}", maybe_stored=False) from None
            resp = conn.getresponse()
            payload = _read_answer(resp, MAX_ANSWER + 1)
        except (OSError, http.client.HTTPException) as exc:
            # timeouts, resets, a connection closed mid-answer: the service may have stored the body
            self._drop()
            what = _not_http(exc)
            if what is not None:  # (the body was written whole and something read it: it may have been stored)
                raise _Failure(f"{self.host}:{self.port} answered what is not HTTP: {what}", maybe_stored=True, unreadable=what) from None
            raise _Failure(f"no answer from {self.host}:{self.port}: {_oserror(exc, self.timeout)}", maybe_stored=True) from None
        whole = len(payload) <= MAX_ANSWER
        # Bytes after the answer that no request asked for (read ahead with it, or there to be read): a server
        # that answered a request twice, or wrote more than its Content-Length. On a kept-alive connection the
        # answer read may then be an earlier request's, its second (the previous body's answer taken for this
        # one's: records counted stored that the service refused, or the other way round), and this body's
        # own answer is the bytes after it. That answer is lost, as a reset's is: the body may have been
        # stored and goes again, on a new connection; and this server gets a new connection for every
        # request from now on, where the first answer is surely the request's.
        unasked = whole and ((isinstance(resp, _Response) and resp.unasked > 0) or (not resp.will_close and conn.sock is not None and _unasked(conn.sock)))
        if not whole or resp.will_close or unasked or not self._reuse:  # (the rest is not read: the connection cannot be used again)
            self._drop()
        if unasked:
            self._reuse = False
            if not fresh:
                raise _Failure(
                    f"{self.host}:{self.port} wrote more than its answer on a kept-alive connection (two answers to one request, or a Content-Length"
                    " short of what it wrote): the answer read may be an earlier request's",
                    maybe_stored=True,
                )
        if not whole and 200 <= resp.status < 300:
            raise _too_long(resp.status)
        # (of an error answer too long, its start: its code and message are there)
        payload, undecoded = _decoded(resp.headers, payload[:MAX_ANSWER], MAX_ANSWER + 1, whole)
        if len(payload) > MAX_ANSWER:  # (decoded: a few KB of gzip make megabytes)
            if 200 <= resp.status < 300:
                raise _too_long(resp.status)
            payload = payload[:MAX_ANSWER]
        return _Answer(resp.status, resp.reason, resp.headers, payload, undecoded)

    def _early_answer(self, conn: http.client.HTTPConnection) -> _Answer | None:
        """The error answer a service wrote before it had read the whole body, and closed (413 for a body too
        big, 401 for a token it does not take): the write failed, but the answer is there to read, as curl and
        urllib3 read it. Without it the run retried a refusal as a lost answer, counted a re-send and stopped
        with "Broken pipe" instead of the service's words. None when there is no such answer (a 2xx to a body
        not written whole is none either: the write's failure stands)."""
        try:
            if conn.sock is None:
                return None
            resp = conn.getresponse()
            payload = _read_answer(resp, MAX_ANSWER)  # (an error answer: its code and message are at its start)
        except (OSError, http.client.HTTPException):
            return None
        finally:
            self._drop()  # (the connection is broken either way)
        if 200 <= resp.status < 300:
            return None
        payload, undecoded = _decoded(resp.headers, payload, MAX_ANSWER, whole=len(payload) < MAX_ANSWER)
        return _Answer(resp.status, resp.reason, resp.headers, payload, undecoded)

    # ------------------------------------------------------------------ sending

    def send(self, body: Body | bytes | str, count: int | None = None, *, before_sending: Callable[[], None] | None = None) -> Ack:
        """POST one body (a :class:`mapper.Body`, or the body as bytes or str) and read the service's answer record by record.

        ``before_sending`` is called once, when the pacing lets the body go, just before
        its first request (a checkpoint marks the body in flight there). A KeyboardInterrupt
        raised while it waits or tries says ``maybe_stored``: whether a request of the body was
        begun and not answered "not stored" (one raised as ``send`` starts or returns says
        nothing: :meth:`requests_begun` before and after tells). Raises :class:`EndpointUnreachable` when the retries are spent, and
        :class:`~mapper.endpoint.ServiceError` for an error answer that is not retried
        (any 4xx but 408, 429 and the throttling answer): the service's code and message. A 400
        naming the sink's state CREATING is retried within the retries, then raised so.
        ``count``: the records in a body given as bytes or str, for the pacing (counted from
        the body when None; a whole number, 0 or more: anything else is an
        :class:`~mapper.errors.OptionError`, a negative count having paid the pacer back).
        """
        if count is not None:
            count = read_numbers({"count": count})["count"]
        check_function("before_sending", before_sending)
        if isinstance(body, Body):
            data, n = body.data, body.count
        else:
            data = body_data(body)
            n = count if count is not None else _count(data)
        start = self.clock()
        attempts = retries = unreadable = 0
        maybe_stored = resent = False
        begun = self.requests_begun()  # (of this thread: one begun since, and not answered, may have been stored)
        while True:
            try:
                self.pacer.acquire(n, len(data))
                if not attempts and before_sending is not None:
                    before_sending()
                resent = resent or maybe_stored
                attempts += 1
                retry_after: float | None = None
                try:
                    status, reason_phrase, headers, payload, undecoded = self._attempt(data)
                except _Failure as failure:
                    reason = failure.reason
                    maybe_stored = maybe_stored or failure.maybe_stored
                    if failure.final:
                        raise EndpointUnreachable(f"the endpoint {self.url} cannot be reached: {reason}", maybe_stored) from None
                    if failure.unreadable is not None:
                        unreadable += 1
                        if unreadable >= UNREADABLE_ATTEMPTS:
                            raise EndpointUnreachable(
                                f"the endpoint {self.url} answered {unreadable} times with what is not HTTP (is it the service's address?): {failure.unreadable}",
                                maybe_stored,
                            ) from None
                else:
                    if 200 <= status < 300:
                        if undecoded is not None:  # (it may have been stored: the body stays in flight)
                            raise ServiceError(status, "InvalidAnswer", f"the service answered {status} with a body that {undecoded}")
                        given = data if count is not None and not isinstance(body, Body) else None
                        return self._ack(status, payload, n, attempts, retries, resent, self.clock() - start, given=given)
                    code, message = error_of(status, payload, self._hide) if undecoded is None else (f"HTTP{status}", f"its body {undecoded}")
                    # (a body that is not the service's {"code", "message"}: a proxy's HTML page, say; error_of's
                    # own code for it. Its words said plainly, the status once: not "502 HTTP502: <html>\r\n...")
                    foreign = undecoded is None and code == f"HTTP{status}" and bool(message)
                    if foreign:
                        message = _foreign_answer(status, reason_phrase, headers, payload, self._hide)
                    if not message:  # (no body, or one without words: the status line's reason, not "503 HTTP503:" alone)
                        message = _reason(reason_phrase, self._hide) or "an answer without a body or a reason"
                    if 300 <= status < 400 and headers.get("Location"):  # not followed: the body and the token would go where it says
                        message = f"redirected to {self._hide(headers['Location'])[:200]} (not followed: give that URL as --endpoint if it is the service's)"
                    creating = status == 400 and _CREATING.search(message) is not None
                    if creating and retries >= self.retries:
                        message += f" (still CREATING after {plural(attempts, 'attempt')} in {self.clock() - start:,.1f} s: run again once GET /v2/sinks lists it ACTIVE)"
                    if not retryable(status, code) and (not creating or retries >= self.retries):
                        refused = ServiceError(status, code, message)
                        if foreign:  # (the message says the status itself)
                            refused.args = (message,)
                            refused.foreign = True
                        refused.maybe_stored = maybe_stored  # (this answer says not stored; an earlier one may have been lost)
                        raise refused
                    reason = message if foreign else f"{status} {code}" + (f": {message}" if message else "")
                    if status in (502, 504):  # a gateway lost the answer: the service may have stored the body
                        maybe_stored = True
                    retry_after = _retry_after(headers.get("Retry-After"), self.wall_clock())
                begun = self.requests_begun()  # (this attempt's fate is in maybe_stored now)
                if retries >= self.retries:
                    raise EndpointUnreachable(
                        f"the endpoint {self.url} did not take a body after {attempts} attempt{'' if attempts == 1 else 's'}: {reason}", maybe_stored
                    )
                delay = min(self.max_backoff, self.backoff * 2.0 ** min(retries, 64)) * (0.5 + 0.5 * self.rand())
                if retry_after is not None:
                    delay = max(delay, min(retry_after, self.max_backoff))
                retries += 1
                if self.on_retry is not None:
                    self.on_retry(reason, delay)
                self.sleep(delay)
            except KeyboardInterrupt as stop:
                # Wherever it lands in a wait or an attempt: the body may have been stored if an attempt
                # said so, or if a request was begun since the last attempt's fate was known (one
                # stopped before its first byte, while connecting say, was not sent).
                stop.maybe_stored = maybe_stored or self.requests_begun() != begun  # type: ignore[attr-defined]
                raise

    def requests_begun(self) -> int:
        """Requests this thread began to write (a body's fate after a Ctrl-C: see :meth:`send`)."""
        return getattr(self._local, "begun", 0)  # type: ignore[no-any-return]

    def _hide(self, text: str) -> str:
        """An answer's words without the token: one that repeats the request (a debugging proxy, an echo
        service at a wrong URL) would put it on the terminal, in the report and in the dead letters."""
        return text.replace(self._token, "[the token]") if self._token else text

    def _ack(self, status: int, payload: bytes, n: int, attempts: int, retries: int, resent: bool, seconds: float, *, given: bytes | None = None) -> Ack:
        """The :class:`Ack` of a 2xx answer to a body of ``n`` records, or a ServiceError ``InvalidAnswer``.
        ``given``: the body, when ``n`` is the count its caller gave (``send(body, count=n)``), told apart
        from the service's fault when the answer's number of records is not it."""
        try:  # read as Go's decoder reads JSON: a message quoting a record's invalid UTF-8 or a lone surrogate escape as
            answer = service_loads(payload)  # U+FFFD (orjson refused the whole answer: a run stopped on "no per-record answer")
        except (orjson.JSONDecodeError, RecursionError):
            answer = None
        records = answer.get("records") if isinstance(answer, dict) else None
        # each item says "success" or "error" (another is no answer for the record: it may have been stored)
        if not isinstance(records, list) or len(records) != n or not all(isinstance(r, dict) and r.get("status") in ("success", "error") for r in records):
            if not isinstance(records, list):  # (what came instead: a proxy's page, another API at a wrong path)
                start = printable(self._hide(payload[:4096].decode("utf-8", "replace"))[:60])
                got = f"no per-record answer (its body begins '{start}')" if payload.strip() else "no per-record answer (an empty body)"
            elif len(records) != n:
                got = plural(len(records), "answer")
                held = _held(given) if given is not None else None
                if held == len(records):  # (the caller's count, not the service, was wrong: the answer is the body's)
                    got += (
                        f" for a body of {plural(n, 'record')}, as count={n} said, but the body holds {held}: all {held} were sent and answered "
                        "(give the body's count, or leave count= out: send counts them)"
                    )
                    raise ServiceError(status, "InvalidAnswer", f"the service answered {status} with {got}")
            else:
                odd = next(i for i, r in enumerate(records) if not isinstance(r, dict) or r.get("status") not in ("success", "error"))
                item = records[odd]
                got = (
                    f"answer {odd} not an object ({type(item).__name__})"
                    if not isinstance(item, dict)
                    else f"answer {odd} without a status 'success' or 'error'"
                    if item.get("status") is None
                    else f"answer {odd} of status {str(item['status'])[:40]!r}, not 'success' or 'error'"
                )
            raise ServiceError(status, "InvalidAnswer", f"the service answered {status} with {got} for a body of {plural(n, 'record')}")
        assert isinstance(answer, dict)
        refused = []
        for i, rec in enumerate(records):
            if rec["status"] == "error":
                refused.append((i, self._hide(str(rec.get("error_code") or "error")), self._hide(str(rec.get("error_message") or ""))))
        return Ack(status, answer, n - len(refused), refused, attempts, retries, resent, seconds)


def _closed_by_peer(sock: Any) -> bool:
    """Whether an idle kept-alive connection can be read from before a request is written: the
    other end has closed it (or sent what no request asked for). Either way it is not reused."""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            return bool(sel.select(0))
    except (OSError, ValueError):
        return True


def _unasked(sock: Any) -> bool:
    """Whether bytes are there to be read on a connection between its answers, which no request asked for
    (a connection's end is not: a server may close one after any answer). Never waits; a byte of a TLS
    connection's is read to know (the connection is not used again then), a plain one's only peeked at."""
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if not isinstance(sock, ssl.SSLSocket):
            with selectors.DefaultSelector() as sel:
                sel.register(sock, selectors.EVENT_READ)
                if not sel.select(0):
                    return False
        timeout = sock.gettimeout()
        sock.settimeout(0)
        try:  # (a TLS record that holds no data, a session ticket or its close_notify: SSLWantReadError, or b"")
            return bool(sock.recv(1) if isinstance(sock, ssl.SSLSocket) else sock.recv(1, socket.MSG_PEEK))
        finally:
            sock.settimeout(timeout)
    except (OSError, ValueError):  # (broken: said by the next request's check, or by its write)
        return False


def _held(data: bytes) -> int | None:
    """The records the body ``data`` holds, or None when it cannot be read as one."""
    try:
        return parse_body(data)
    except ServiceError:
        return None


def _count(data: bytes) -> int:
    try:
        return parse_body(data)
    except ServiceError as exc:
        raise InputError(f"not a request body: {exc.message}") from None


#: What RFC 6874 lets a zone id hold (unreserved characters), once its escapes are decoded.
_ZONE = re.compile(r"[A-Za-z0-9._~-]+")


def _host_of(parts: urllib.parse.SplitResult, port: int, endpoint: str) -> tuple[str, str | None]:
    """The host to connect to, and the Host header to send when http.client's own would be wrong.

    An IPv6 zone id is written ``%25`` in a URL (RFC 6874: ``http://[fe80::1%25eth0]:8080/``), and
    was given to the resolver so, escaped: a name that does not resolve. It is decoded (the bare
    ``%eth0`` that browsers and curl take too), its case kept (interface names have case), and left
    out of the Host header, as Go's client leaves it out (and http.client since Python 3.11.4, not
    before): the zone means something only on this machine, and ``[fe80::1%eth0]`` is not a host a
    server can read."""
    host = parts.hostname or ""
    if "%" not in host or not parts.netloc.rpartition("@")[2].startswith("["):
        return host, None
    address = host.partition("%")[0]
    written = parts.netloc.rpartition("@")[2][1:].partition("]")[0].partition("%")[2]  # (as written: hostname lowers its case)
    zone = urllib.parse.unquote(written[2:] if written.startswith("25") else written)
    if not _ZONE.fullmatch(zone):
        raise OptionError(
            f"the endpoint's IPv6 zone is not an interface name or number (write it %25 then the name, as in [fe80::1%25eth0]): {endpoint[:100]!r}"
        )
    default = 443 if parts.scheme == "https" else 80
    return f"{address}%{zone}", f"[{address}]" + (f":{port}" if port != default else "")


class _AnswerCut(ConnectionError):
    """The connection closed before the answer's Content-Length was in: a lost answer."""


def _read_answer(resp: http.client.HTTPResponse, limit: int) -> bytes:
    """An answer's body, at most ``limit`` bytes of it. One the connection ended before its Content-Length
    is an answer lost (:class:`_AnswerCut`): http.client returns what came, unsaid, and the start of a
    200's answer was judged "no per-record answer", a refusal that stopped the run; an error answer's
    start was taken as its words."""
    expected = resp.length  # (None: chunked, whose cuts http.client says, or read to the connection's end)
    payload = resp.read(limit)
    if expected is not None and len(payload) < min(expected, limit):
        raise _AnswerCut(f"the connection closed {len(payload):,} bytes into an answer of {expected:,}")
    return payload


#: The content codings mapper send reads (it asks for none: http.client sends Accept-Encoding: identity),
#: with zlib's window bits for each: a proxy may compress answers all the same.
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _too_long(status: int) -> ServiceError:
    return ServiceError(status, "InvalidAnswer", f"the service answered {status} with more than {MAX_ANSWER >> 20} MiB")


def _decoded(headers: http.client.HTTPMessage, payload: bytes, limit: int, whole: bool = True) -> tuple[bytes, str | None]:
    """An answer's body decoded as its Content-Encoding says (gzip and deflate, at most ``limit`` bytes
    of it: a small answer may inflate to gigabytes), and None; or the body as it came, and why it
    could not be decoded (a coding mapper send does not read, br or zstd; a gzip that is none). The
    body was read as it came: a 200 was "no per-record answer", an error answer's message was the
    compressed bytes shown as text. ``whole``: False for the start of a body (its end is not
    looked for)."""
    if "Content-Encoding" not in headers:
        return payload, None
    said = [value for value in headers.get_all("Content-Encoding") or [] if value.strip()]
    codings = [c.strip().lower() for value in said for c in value.split(",") if c.strip() and c.strip().lower() != "identity"]
    if not codings or not payload:
        return payload, None
    header = printable(", ".join(said)[:60])
    if len(codings) > 2:  # (each decoding may make 16 MiB of the last: a few, not thousands)
        return payload, f"is encoded {len(codings)} times (Content-Encoding: {header}), which mapper send did not ask for and cannot read"
    for coding in reversed(codings):  # (the last applied is listed last)
        if coding not in _CODINGS:
            return payload, f"is {printable(coding[:20])}-encoded (Content-Encoding: {header}), which mapper send did not ask for and cannot read"
        try:
            payload = _inflate(payload, _CODINGS[coding], limit, whole)
        except zlib.error as exc:
            return payload, f"is not the {coding} its Content-Encoding says ({header}): {exc}"
    return payload, None


def _inflate(data: bytes, wbits: int, limit: int, whole: bool) -> bytes:
    """``data`` decompressed, at most ``limit`` bytes of it (zlib.error when it is not whole; a gzip of
    several members is read on). A deflate without zlib's header (raw, as some servers write it) is
    read too, as browsers and curl read it."""
    try:
        inflate = zlib.decompressobj(wbits)
        out = inflate.decompress(data, limit)
    except zlib.error:
        if wbits != zlib.MAX_WBITS:
            raise
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        out = inflate.decompress(data, limit)
    while inflate.eof and inflate.unused_data and wbits > zlib.MAX_WBITS and len(out) < limit:
        rest = inflate.unused_data
        inflate = zlib.decompressobj(wbits)
        out += inflate.decompress(rest, limit - len(out))
    if whole and not inflate.eof and len(out) < limit:
        raise zlib.error("its compressed data ends short of its end")
    return out


#: what of a page is not its words: scripts, styles and comments whole, then every tag
_NOT_WORDS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)


def _foreign_answer(status: int, reason: str, headers: http.client.HTTPMessage, payload: bytes, hide: Callable[[str], str]) -> str:
    """An error answer whose body is not the service's ``{"code", "message"}`` (a proxy's or a load
    balancer's page): its status, its content type and the start of its words, tags stripped and
    whitespace collapsed: ``the endpoint answered 502 Bad Gateway (text/html): "502 Bad Gateway nginx"``."""
    kind = printable((headers.get("Content-Type") or "").partition(";")[0].strip()[:60]) or "no Content-Type"
    text = hide(payload[: 64 << 10].decode("utf-8", "replace"))
    if "html" in kind.lower() or "xml" in kind.lower() or text.lstrip().startswith("<"):
        text = html.unescape(_NOT_WORDS.sub(" ", text))
    words = preview(printable(hide(" ".join(text.split()))), 200)
    said = " ".join(x for x in (str(status), _reason(reason, hide)) if x)
    return f'the endpoint answered {said} ({kind}): "{words}"' if words else f"the endpoint answered {said} ({kind}, a body of no words)"


def _reason(reason: str, hide: Callable[[str], str]) -> str:
    """An answer's reason phrase as words on a line: http.client reads the status line as Latin-1,
    so a reason written in UTF-8 (``Überlastet``) is read back as such."""
    try:
        reason = reason.encode("latin-1").decode("utf-8")
    except UnicodeError:  # (Latin-1 it is, or bytes of neither: each byte its character)
        pass
    return printable(hide(reason.strip())[:200])


def _not_http(exc: BaseException) -> str | None:
    """What is wrong with an answer http.client could not read as HTTP, or None when the answer
    was lost rather than unreadable (a timeout, a reset, a connection closed before or during it)."""
    if isinstance(exc, (OSError, http.client.IncompleteRead, http.client.ImproperConnectionState)):  # (RemoteDisconnected is an OSError)
        return None
    if isinstance(exc, http.client.BadStatusLine):
        return f"its first line is not an HTTP status line: {str(exc.args[0] if exc.args else '').strip()[:100]!r}"  # (repr: escaped)
    if isinstance(exc, http.client.UnknownProtocol):
        return f"its status line names another protocol: {str(exc.args[0] if exc.args else exc)[:40]!r}"
    if isinstance(exc, http.client.LineTooLong):
        return f"a {str(exc).rpartition('when reading ')[2] or 'line'} of more than {http.client._MAXLINE:,} bytes"  # type: ignore[attr-defined]
    if type(exc) is http.client.HTTPException and str(exc).startswith("got more than"):
        return f"more than {http.client._MAXHEADERS} header lines"  # type: ignore[attr-defined]
    return printable(str(exc)[:200]) or type(exc).__name__


def _oserror(exc: BaseException, timeout: float) -> str:
    """An OSError in words; a time out says how long it waited (the ``timeout``: to connect, to write
    the body, for the whole answer), so a run that gave up says what bound it hit."""
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s (the timeout)"
    text = str(exc) or type(exc).__name__
    return text if type(exc).__name__ in text or isinstance(exc, _AnswerCut) else f"{type(exc).__name__}: {text}"


_DIGITS = re.compile(r"[0-9]+")


def _retry_after(value: str | None, now: float) -> float | None:
    """The seconds a ``Retry-After`` asks for (RFC 9110 10.2.3): delta-seconds, or an HTTP date
    less ``now`` (wall-clock seconds; a date past is 0: retry now); None when there is none or
    it is neither (the backoff decides). delay-seconds is ASCII digits alone (``1*DIGIT``): float()
    read ``1_0`` and ``1e1`` as 10, ``inf`` as waiting the longest, and other scripts' digits."""
    if not value:
        return None
    digits = value.strip(" \t")
    if _DIGITS.fullmatch(digits):
        return float(digits)  # (float, not int: int() refuses more than 4,300 digits; these are inf)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": UTC, its source's zone unknown
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------
# Reading the inputs, with positions a checkpoint can resume from


@dataclass(frozen=True)
class Position:
    """Where a record is: input ``file`` (index), ``offset`` after its line (NDJSON), its ``line``,
    its index in the file (``record``) and in the whole run (``index``)."""

    file: int
    offset: int | None
    line: int | None
    record: int
    index: int
    #: the characters before the record on its line (an indent, an array's ``[``, a request body's
    #: ``{"value": ``): an error's char counts them, as validate's does (a document's records only)
    column: int = 0
    #: its line has no line end (an NDJSON input's last line): ``offset`` is then one byte past
    #: the input's end, and the input read to it is ``offset - 1`` bytes (a checkpoint's ``prefix``)
    unended: bool = False


@dataclass(frozen=True)
class Resume:
    """Where to start reading: after the record at this position (all -1/0 at the start)."""

    file: int = 0
    offset: int = 0
    line: int = 0
    record: int = -1
    index: int = -1


_BLOCK = 1 << 20
_GROUP = 2000  # records judged per engine run

#: Why an input item is not a record at all: (error code, message), or None.
NotARecord = tuple[str, str] | None


def read_records(
    names: list[str],
    input_format: str,
    start: Resume,
    notices: list[tuple[int, Notice]] | None = None,
    records_path: tuple[str, ...] | None = None,
    heads: dict[int, FirstLines] | None = None,
    hold_cut: bool = False,
    ends: dict[int, int] | None = None,
) -> Iterator[list[tuple[bytes | None, Position, NotARecord]]]:
    """Groups of (record text, position, why it is not a record) from every input, from ``start`` on (each group of one input).

    ``notices``: where the reader's notes on an input go, with the input's index (on its format,
    :func:`~mapper.engine.reader.format_notice`; a document read as one record that seems to hold
    the records; as validate gives them). ``records_path``: the records are the array at these
    keys of each document (the input's one document, or each line's), read as validate reads them.
    ``heads``: where the first lines of an NDJSON input read from its start go, with its index
    (to explain its records if they fail, kept as validate keeps a stream's:
    :class:`~mapper.engine.reader.FirstLines`). ``hold_cut``: the last input's last line, when it
    has no line end and its JSON stops short (a record its producer is still writing), is not
    read, and a note says so in ``notices`` (a run with a checkpoint: the next run reads it again
    from its start, see :func:`_cut_short`). ``ends``: where the bytes read of each input read to
    its end go, by its index (a regular file, not compressed: what a later resume, which reads
    it no more, holds against its size)."""
    index = start.index + 1
    for fi in range(start.file, len(names)):
        resume = start if fi == start.file else Resume(fi)
        fh = open_input(names[fi])
        try:
            regular = _regular(fh)
            source = (
                _at_records_path(fi, fh, input_format, records_path, resume, index, notices)
                if records_path is not None
                else _plain(fi, fh, input_format, resume, index, notices, heads, hold_cut and regular and fi == len(names) - 1)
            )
            group: list[tuple[bytes | None, Position, NotARecord]] = []
            try:
                for item in source:
                    group.append(item)
                    index = item[1].index + 1
                    if len(group) >= _GROUP:
                        yield group
                        group = []
            except InputError:
                # (the input cannot be read on, a gzip cut short: the records read before it are judged and sent
                # first, as the run promises; they were dropped with their group, and a resume of the same file
                # stopped at the same place, so they were never sent)
                if group:
                    yield group
                raise
            if ends is not None and regular:
                ends[fi] = fh.tell()  # (read to its end: what was appended after this is not read)
            if group:
                yield group
        finally:
            if fh is not getattr(sys.stdin, "buffer", None):
                fh.close()


def _regular(fh: BinaryIO) -> bool:
    """Whether ``fh`` is open_input's own file on a regular file (not stdin, a pipe or FIFO, nor
    unpacked): one a next run reads again, at the same offsets. A cut last line is held only there
    (elsewhere no run would read it again: a compressed input's done checkpoint is not read on), and
    only its tell() says where it was read to (a pipe's raises: Illegal seek)."""
    if type(fh) is not io.BufferedReader or fh is getattr(sys.stdin, "buffer", None):
        return False
    try:
        return stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _plain(
    fi: int,
    fh: BinaryIO,
    input_format: str,
    resume: Resume,
    index: int,
    notices: list[tuple[int, Notice]] | None,
    heads: dict[int, FirstLines] | None,
    hold_cut: bool = False,
) -> Iterator[tuple[bytes | None, Position, NotARecord]]:
    """The records of an input read without a records path (see :func:`read_records`): NDJSON line
    by line, a document or a request body read whole."""
    # (read as the engine's reader reads: a compressed input's read error names the last line read whole, the text before it given first)
    reader = counted(fh)
    head = read_head(reader, HEAD_SIZE + 1)
    text = unpacked(head, fh)  # gzip, bzip2 or xz on stdin (files are unwrapped by open_input)
    rest = fh if text is None else text
    packed = None if text is None else compression_of(head[:MAGIC_SIZE])
    if text is not None:
        reader = counted(text)
        head = read_head(reader, HEAD_SIZE + 1)
    refuse_archive(head, fh, packed)
    fmt = input_format
    if input_format == "auto":
        head = format_head(reader, head)  # (more than HEAD_SIZE when the first line runs on past it)
        fmt = format_of(head)
        notice = format_notice(head)
        if notice is not None and notices is not None:
            notices.append((fi, notice))
    if fmt == "ndjson":
        kept = None
        if heads is not None and not resume.offset:
            kept = heads[fi] = FirstLines()
        return _ndjson(fi, head, rest, resume, index, kept, notices if hold_cut else None, reader)
    data = head + reader.read()
    del head  # (not held while the document is read: a first line followed to its end may be megabytes)
    if data.startswith(b"\xef\xbb\xbf"):  # a byte order mark is the file's, not the document's (as validate reads it)
        data = data[3:]
    return _document(fi, data, fmt, resume, index, notices)


def _ndjson(
    fi: int,
    head: bytes,
    rest: BinaryIO | None,
    resume: Resume,
    index: int,
    kept: FirstLines | None = None,
    held: list[tuple[int, Notice]] | None = None,
    reader: Readable | None = None,
) -> Iterator[tuple[bytes | None, Position, NotARecord]]:
    """NDJSON from ``resume`` on; ``kept``: where its first lines go (see :func:`read_records`);
    ``reader``: what ``rest`` is read by (:func:`~mapper.engine.reader.counted`: the head was read by it).

    The last line, when it has no line end, is a record all the same (a file written without
    the final one), its position marked ``unended``; ``held``: where the note goes on such a line
    whose JSON stops short, which is then left unread (see :func:`read_records`)."""
    offset, line, record = 0, 0, -1
    buf = head
    if resume.offset:
        if rest is None or not hasattr(rest, "seek"):
            raise InputError("cannot resume inside this input: it is not a file")
        try:
            rest.seek(resume.offset)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot resume inside this input: {exc}") from None
        offset, line, record, buf = resume.offset, resume.line, resume.record, b""
        reader = counted(rest, line)  # (its lines counted from the resume's: the head read before is not the input's there)
    if reader is None and rest is not None:
        reader = counted(rest)
    parts = [buf]  # the text not yet split: joined once a line end is in (a line of 100 MB, 100 blocks, was
    # copied and scanned again with each block: seconds per 100 MB, growing with the square of its length)
    failed: InputError | None = None
    while True:
        try:
            block = reader.read(_BLOCK) if reader is not None else b""
        except InputError as exc:  # (a compressed input cut or damaged: the whole lines before are records, as validate maps them)
            failed, block = exc, b""
        if block:
            parts.append(block)
            if b"\n" not in block:
                continue
            lines = b"".join(parts).split(b"\n")
            parts = [lines.pop()]  # a line not yet ended: wait for the next block
        else:
            buf = b"".join(parts)
            lines = buf.split(b"\n") if buf else []
            if failed is not None and lines:
                lines.pop()  # (what follows the last line end: a line the failure cut, never read whole)
        unended = len(lines) - 1 if not block and failed is None else -1  # (at the end: the last piece has no line end; b"" after a final one)
        for i, text in enumerate(lines):
            if kept is not None and kept.keep:  # (the first lines only)
                kept.take(text)
                kept.take(b"\n")
            start = offset
            offset += len(text) + 1
            line += 1
            if start == 0 and text.startswith(b"\xef\xbb\xbf"):
                text = text[3:]
            text = line_text(text)  # as sent: only a CRLF's CR goes (dead letters keep the raw text exactly, as validate's)
            if not text.strip(b" \t\r"):
                continue  # blank lines are skipped, as validate skips them
            if i == unended and held is not None and _cut_short(text):
                held.append((fi, Notice(_held_note(line), if_failed=False, kind="held")))
                return  # (neither judged nor passed: the position stays before it)
            record += 1
            yield text, Position(fi, offset, line, record, index, unended=i == unended), None
            index += 1
        if not block:
            if failed is not None:
                raise failed
            return


def _cut_short(text: bytes) -> bool:
    """Whether an NDJSON line's JSON stops short: a prefix of a JSON text, not a whole one (cut
    anywhere: in a string, a number, ``tru``, an escape, a UTF-8 character). A record its producer
    is still writing has no line end yet and is such a line; one whole but for its line end is
    not (it is read, and whatever comes after it on its line later is read as the line's rest)."""
    try:
        orjson.loads(text)
        return False
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("unexpected end of data"):
            return True
    # a character cut in two (orjson refuses the invalid UTF-8 before its end), or an unpaired
    # surrogate escape orjson stops at (Go takes it as U+FFFD): the text as Go reads it
    repaired = text.decode("utf-8", "replace")
    try:
        json.loads(repaired)
    except json.JSONDecodeError as exc:
        return exc.msg.startswith("Unterminated string") or exc.pos >= len(repaired.rstrip())
    except (ValueError, RecursionError):
        return False
    return False


def _held_note(line: int) -> str:
    return (
        f"line {line:,}, the last, has no line end and its JSON stops short (a record still being written?): not sent nor refused;"
        " the next run with this checkpoint reads it again from its start"
    )


def _document(
    fi: int, data: bytes, fmt: str, resume: Resume, index: int, notices: list[tuple[int, Notice]] | None = None
) -> Iterator[tuple[bytes | None, Position, NotARecord]]:
    """A JSON document (an array, one object) or a request body: read whole; positions are element indices.

    Each record keeps the line it starts on (a body's item: the line its ``"value"`` starts
    on), as ``validate`` places it, for its dead letter and its errors' messages. ``notices``:
    where the reader's note on a document that seems to hold the records goes (validate's:
    ``use --records-path aircraft``, which send takes too), and validate's on lines ending in a lone
    CR (:func:`~mapper.engine.reader.lone_cr_notice`: its records' lines count LF ends only).
    """
    if notices is not None and (lone_cr := lone_cr_notice(data)) is not None and (fi, lone_cr) not in notices:
        notices.append((fi, lone_cr))
    return _items(fi, document_units(data) if fmt == "json" else endpoint_units(data), resume, index, notices)


def _at_records_path(
    fi: int, fh: BinaryIO, input_format: str, keys: tuple[str, ...], resume: Resume, index: int, notices: list[tuple[int, Notice]] | None
) -> Iterator[tuple[bytes | None, Position, NotARecord]]:
    """The records at ``keys`` of an input's documents, cut by the engine's reader as validate reads
    them (one document, a document a line, documents one after another; compressed too); positions
    are the records' indices in the input, as a document's (a resume reads the input again to there)."""
    return _items(fi, stream_units(fh, input_format, CHUNK_SIZE, MAX_RECORD_SIZE, keys), resume, index, notices)


def _items(
    fi: int, units: Iterable[Unit], resume: Resume, index: int, notices: list[tuple[int, Notice]] | None
) -> Iterator[tuple[bytes | None, Position, NotARecord]]:
    record = -1
    for unit in units:
        items: list[tuple[bytes | None, NotARecord, int | None, int]]
        if isinstance(unit, Notice):  # (a document read as one record that seems to hold the records: validate's note)
            if notices is not None and (fi, unit) not in notices:
                notices.append((fi, unit))
            continue
        if isinstance(unit, BrokenDocument):  # (one of several documents keeps its text for its dead letter)
            items = [(bytes(unit.raw) if unit.one_record and unit.raw else None, (unit.code, unit.message), unit.line, 0)]
        elif isinstance(unit, OversizedRecord):
            items = [(None, ("too_large", unit.reason), unit.first_line, 0)]
        elif isinstance(unit, RawRecords):
            bad = unit.bad or {}
            lines, cols = unit.lines, unit.cols
            items = [
                (bytes(raw), ("not_an_object", bad[i]) if i in bad else None, None if lines is None else lines[i], 0 if cols is None else cols[i])
                for i, raw in enumerate(unit.raws)
            ]
        else:  # pragma: no cover - the reader grew a unit kind (NDJSON chunks are read by _ndjson)
            raise TypeError(f"unknown input unit {type(unit).__name__}")
        for raw, problem, line, column in items:
            record += 1
            if record <= resume.record:
                continue
            yield raw, Position(fi, None, line, record, index, column), problem
            index += 1


# ---------------------------------------------------------------------------------------
# The run: totals, dead letters, checkpoint


@dataclass
class SendTotals:
    """The account of a run: of one run, and of its resumes from an unfinished checkpoint (a run
    interrupted, then resumed, is one run). A run that reads on from a checkpoint marked done (a
    log grown since a completed run) is a new run: its totals are its own records'."""

    records: int = 0  # records judged (up to the last acknowledged body while a run goes on; at a stop, to the body in doubt's end)
    bodies: int = 0  # bodies acknowledged
    bytes: int = 0  # bytes of the acknowledged bodies
    sent: int = 0  # records in acknowledged bodies
    stored: int = 0  # records the service answered "success"
    refused_prevalidation: int = 0  # records pre-validation refused (never sent)
    refused_service: int = 0  # records the service answered "error"
    retried: int = 0  # HTTP attempts made again after a retryable failure
    resent: int = 0  # records sent again after an attempt whose answer was lost, or after a resume
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _file_id(path: str) -> list[int] | None:
    """A file's device and inode, a symbolic link followed (None: none there, or no regular file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino] if stat.S_ISREG(st.st_mode) else None


class _RejectsClaim:
    """One ``--rejects`` file per checkpoint, held: a file beside the dead letters
    (``.<name>.claim``, their symbolic link followed), locked while a run writes them and naming
    the checkpoint of the run that wrote them last (``{"checkpoint": path}``, null without one)
    until that run completes. A resume cuts the letters back to what its checkpoint counted:
    another run's letters written to the same file meanwhile (at the same time, or after the
    first was stopped or killed and before it was resumed) were cut with them, silently. Now a
    run naming a file another run is writing is refused, and so is one naming the letters of
    a stopped run of another checkpoint, until that run is resumed to its end."""

    def __init__(self, rejects: str, checkpoint: str | None):
        self.fh: IO[bytes] | None = None
        self.path: Path | None = None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Windows
            return
        target = Path(os.path.realpath(rejects))
        if os.path.exists(target) and not target.is_file():  # (a FIFO, /dev/stderr: written through, never cut)
            return
        mine = os.path.realpath(checkpoint) if checkpoint is not None else None
        self.path = target.parent / f"{temp_stem(target.name)}claim"
        # never through a link, nor a FIFO (any user may make either first in /tmp, as for the
        # checkpoint's lock: a FIFO's read of the claim waited for ever, a link's target was emptied
        # and written): a regular file, which only a run makes
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        for _ in range(100):
            try:
                fd = os.open(self.path, flags, 0o666)
            except OSError as exc:  # (a directory this run cannot write: the letters' own open says so)
                if exc.errno == errno.ELOOP:
                    raise InputError(f"cannot claim the dead letters {shown_name(rejects)} with {shown_name(str(self.path))}: it is a symbolic link") from None
                self.path = None
                return
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise InputError(f"cannot claim the dead letters {shown_name(rejects)} with {shown_name(str(self.path))}: it is not a regular file")
            fh = open(fd, "a+b", buffering=0)  # noqa: SIM115 - (kept open while the run holds it)
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.close()
                self.path = None
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OptionError(
                        f"--rejects {shown_name(rejects)}: another mapper send is writing these dead letters: one run writes a --rejects file at a time"
                        " (one --rejects per checkpoint: a resume cuts its file back to what its checkpoint counted); name another --rejects file"
                    ) from None
                return  # a file system without locks: unclaimed, as before claims
            held = os.fstat(fh.fileno())
            if _file_id(str(self.path)) == [held.st_dev, held.st_ino]:
                break
            # (the run that held it completed and removed it between this open and this lock: the
            # file locked is under no name, and another run may hold the one there now)
            fh.close()
        else:  # pragma: no cover - (claims made and removed without end: unclaimed, as on a file system without locks)
            self.path = None
            return
        self.fh = fh
        try:
            fh.seek(0)
            said = json.loads(fh.read() or b"{}")
            other = said.get("checkpoint") if isinstance(said, dict) else None
        except (OSError, ValueError):
            other = None
        if isinstance(other, str) and other != mine and _unfinished_with(other, str(target)):
            self.release(keep=True)
            raise OptionError(
                f"--rejects {shown_name(rejects)}: these dead letters are those of the stopped run of the checkpoint {shown_name(other)},"
                " which its resume cuts back to what it counted (letters written here since would be lost): resume that run to its end first"
                " (the same command, with that --checkpoint), or name another --rejects file (one --rejects per checkpoint)"
            )
        self._say(mine)

    def _say(self, checkpoint: str | None) -> None:
        if self.fh is None:
            return
        try:
            self.fh.truncate(0)
            self.fh.write(json.dumps({"checkpoint": checkpoint}).encode("utf-8", "surrogateescape"))
            sync_file(self.fh.fileno())
        except OSError:
            pass

    def release(self, keep: bool) -> None:
        """Let go of the file; ``keep`` false (the run completed, or had no checkpoint): its claim
        is removed too, the letters free for any run."""
        fh, self.fh = self.fh, None
        if fh is None:
            return
        if not keep and self.path is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        fh.close()


def _unfinished_with(checkpoint: str, rejects: str) -> bool:
    """Whether ``checkpoint`` is a run stopped before its end whose dead letters are the file ``rejects`` (a real path)."""
    try:
        state = json.loads(Path(checkpoint).read_bytes())
        recorded = state["rejects"]
        if state.get("done") or not isinstance(recorded, dict):
            return False
        there = recorded.get("file")
        return os.path.realpath(recorded["path"]) == rejects or (isinstance(there, list) and there == _file_id(rejects))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):  # (gone, damaged: no run to resume)
        return False


class _DeadLetters:
    """The ``--rejects`` file: NDJSON, one refused record a line, written as the run goes (a killed run keeps what it had)."""

    def __init__(self, path: str | None, append: bool, keep: int | None = None, digest: str | None = None):
        """``keep``: on resume, the bytes the checkpoint covers (letters written after it, by a
        run killed before its checkpoint, are cut off: the resumed run writes them again);
        ``digest``: the checkpoint's digest of those bytes (:func:`_prefix_digest`), when it has one:
        a file whose first ``keep`` bytes are not those (written anew by another run since, edited)
        is refused, not cut (the cut would drop the other run's letters, or leave half of one)."""
        self.fh: IO[bytes] | None = None
        self.size = 0  # bytes in the file
        self.regular = False  # a regular file (a pipe, /dev/stderr: written, not measured, cut or synced)
        if path is not None:
            planted = planted_link_said(path)  # (as every output's: a SendRun made in Python is not checked as the command's outputs are)
            if planted is not None:
                raise InputError(planted)
            try:
                self.fh = open(path, "ab" if append else "wb")  # noqa: SIM115 - closed by close()
                self.regular = stat.S_ISREG(os.fstat(self.fh.fileno()).st_mode)
                if self.regular:
                    self.size = self.fh.seek(0, os.SEEK_END)
                    if keep is not None and digest is not None and self.size >= keep and (_prefix_digest(path, keep) or (0, None))[1] != digest:
                        self.fh.close()
                        raise OptionError(
                            f"the dead letters {shown_name(path)} are not those the checkpoint counted (their first {keep:,} bytes changed since:"
                            " another run wrote the file anew, or it was edited): cutting it back would lose letters; restore the file,"
                            " or name another --rejects file"
                        )
                    if keep is not None and self.size > keep:
                        self.fh.truncate(keep)
                        self.size = keep
            except OSError as exc:
                raise InputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
            if keep is not None and self.regular and self.size < keep:
                self.fh.close()
                raise OptionError(
                    f"the dead letters {shown_name(path)} hold {self.size:,} bytes where the checkpoint says {keep:,}: letters of the earlier run are"
                    " missing (restore the file, or name another --rejects file)"
                )

    def write(self, letters: list[dict[str, Any]]) -> None:
        if self.fh is None or not letters:
            return
        data = b"".join(map(json_line, letters))
        try:
            self.fh.write(data)
            self.fh.flush()
            if self.regular:
                sync_file(self.fh.fileno())
        except OSError as exc:  # (a letter half written is cut off on resume: the checkpoint says the size before it)
            fh, self.fh = self.fh, None
            try:
                fh.close()  # (its buffer is dropped: closing would try to write it again)
            except OSError:
                pass
            raise OutputStopped(f"cannot write the dead letters {shown_name(fh.name)}: {exc.strerror or exc}") from None
        # where this letter ends in the file: another writer appending to it meanwhile (a second send
        # sharing the file) put its bytes before, and a resume must cut after this run's, not inside them
        self.size = self.fh.tell() if self.regular else self.size + len(data)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _letter(pos: Position, names: list[str], errors: list[dict[str, Any]], raw: bytes | None, source: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"record": pos.index, "line": pos.line}
    if len(names) > 1:
        out["file"] = names[pos.file]
    out["source"] = source
    out.update(extra)
    out["errors"] = errors
    if raw is not None:
        try:
            out["raw"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            out["raw_base64"] = base64.b64encode(raw).decode("ascii")
    return out


def _refused_note(letter: dict[str, Any]) -> str:
    """Why the first refused record was refused, for a run without ``--rejects`` (its summary
    only counted them): its first error, and where every refusal can be had."""
    errors = letter["errors"]
    first = errors[0] if errors else {}
    by = "pre-validation"
    if letter["source"] == "service":  # (its message is in the body's terms: the input's place is said first)
        file, line = letter.get("file"), letter["line"]
        by = f"the service, {f'file {shown_name(file)}, ' if file else ''}record {letter['record']}{f', line {line}' if line is not None else ''}"
    count = letter.get("error_count", len(errors))
    more = f", and {plural(count - 1, 'other error')} of the record" if count > 1 else ""
    also = ", mapper validate SINK RECORDS reports them all" if letter["source"] != "service" else ""
    why = preview(f"{first.get('message')}{more}", 500)  # (a pre-validation message places itself: record, line, column, file of several)
    return f"the first record refused ({first.get('code')}, by {by}): {why}; --rejects FILE writes every refused record with its errors{also}"


def _first_refused(kept: Any) -> dict[str, Any] | None:
    """A checkpoint's ``first_refused`` (the first dead letter of the run, without its text), or None
    when it has none or it is not one (edited by hand: the note is left out, the resume goes on)."""
    if not isinstance(kept, dict) or kept.get("source") not in ("pre-validation", "service"):
        return None
    errors, count = kept.get("errors"), kept.get("error_count")
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors) or not isinstance(kept.get("record"), int):
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < len(errors):
        return None
    return kept


def _mark_within(errors: tuple[RecordError, ...], pos: Position) -> tuple[RecordError, ...]:
    """The batcher's errors of a record opening with a byte order mark (given it with one more: see
    :meth:`Sender._judge`): a second mark only at the input's start (line 1, char 1: the reader took
    its first off), else a mark opening a record within the input, as validate says each."""
    if pos.line == 1 and not pos.column:
        return errors
    within = bom_note("record")
    return tuple(replace(e, reason=e.reason.replace(SECOND_BOM_NOTE, within)) for e in errors)


def _relocate(errors: tuple[RecordError, ...], pos: Position, names: list[str]) -> list[dict[str, Any]]:
    """The batcher numbers records its own way: give each error the run's index, line and file
    (and the command its hint gives the input's name, where the reader knew none: :func:`hints_named`)."""
    file = names[pos.file] if len(names) > 1 else None
    return [replace(e, record=pos.index, line=pos.line, file=file, reason=hints_named(e.reason, names[pos.file])).to_dict() for e in errors]


class Checkpoint:
    """The resume point of a run, in a small JSON file replaced atomically (write, fsync, rename).

    ``position``: the last record of the last acknowledged body (and of everything before
    it: pre-validation refusals up to there are counted and written); ``in_flight``: the
    record indices of the body being sent, whose fate a killed run does not know (on
    resume they are sent again, and counted as re-sent); ``totals``: the run so far (with
    what it did before an interruption: a resume finishes the one run); ``earlier_runs``: the
    totals of the completed runs before it added up, with their number in ``runs`` (null
    before a second run), kept for the record only: no summary or exit status counts them.
    """

    def __init__(self, path: str | None):
        self.path = path
        self._lock_file: IO[bytes] | None = None

    def _target(self) -> Path:
        """The file the checkpoint is: a symbolic link's target (the link stays, as an output's
        does; renamed over, the link was replaced and the target never written)."""
        assert self.path is not None
        planted = planted_link_said(self.path)  # (as every output's: a SendRun made in Python is not checked as the command's outputs are)
        if planted is not None:
            raise InputError(planted)
        return Path(os.path.realpath(self.path))

    def load(self) -> dict[str, Any] | None:
        if self.path is None:
            return None
        self._regular(lambda: os.stat(self.path or ""))  # (before a lock file is made beside it: /dev/.null.lock)
        self._lock()
        self._clean()
        if not os.path.exists(self.path):
            return None
        try:
            # never a FIFO's open waited on, nor a device read for ever (any user may make a FIFO first in /tmp):
            # opened without waiting, and read only once it is seen to be a regular file (a link to one is the user's: followed)
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
            with open(fd, "rb") as fh:
                self._regular(lambda: os.fstat(fh.fileno()))
                data = fh.read()
            try:
                state = orjson.loads(data)
            except orjson.JSONDecodeError:  # (an input name's byte that is not UTF-8, saved as its escape: see _save)
                state = json.loads(data)
        except (OSError, ValueError, RecursionError) as exc:  # (RecursionError: json's, of a file nested too deep for orjson too)
            raise InputError(f"cannot read the checkpoint {shown_name(self.path)}: {exc}") from None
        if not isinstance(state, dict) or state.get("version") != 1:
            raise InputError(f"{shown_name(self.path)} is not a mapper send checkpoint")
        return state

    def _regular(self, status: Callable[[], os.stat_result]) -> None:
        """Refuse a checkpoint that is there but no regular file (``status``: its stat; not there is fine, the run makes it)."""
        try:
            mode = status().st_mode
        except OSError:  # (not there: the run makes it; another failure is said as the read says it)
            return
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a directory"
                if stat.S_ISDIR(mode)
                else "a socket"
                if stat.S_ISSOCK(mode)
                else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a special file"
            )
            raise InputError(f"cannot use {shown_name(self.path or '')} as the checkpoint: it is {kind}, not a regular file")

    def _lock(self) -> None:
        """Hold the checkpoint for this run: two runs on one checkpoint each sent the same records
        and wrote the same dead letters (and removed each other's temporary files). The lock
        is a file beside it (``.<name>.lock``), let go when the run ends or its process dies.

        Held by a file object, not a bare descriptor: one a Ctrl-C leaves unrecorded (taken,
        not yet kept here) or unclosed (forgotten by :meth:`release`, not yet closed) is closed,
        and the lock let go, when the stopped run's objects go, not at the process's end."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Windows
            return
        assert self.path is not None
        target = self._target()
        name = target.parent / f"{temp_stem(target.name)}lock"
        # never through a link, nor a FIFO's open waited on (any user may make either first in
        # /tmp: a FIFO held the run for ever, a link was followed and its target made): a regular file
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(name, flags, 0o666)
        except OSError as exc:
            why = "it is a symbolic link" if exc.errno == errno.ELOOP else "it is a FIFO" if exc.errno == errno.ENXIO else exc.strerror
            raise InputError(f"cannot lock the checkpoint {shown_name(self.path)} with {shown_name(str(name))}: {why}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InputError(f"cannot lock the checkpoint {shown_name(self.path)} with {shown_name(str(name))}: it is not a regular file")
        lock = open(fd, "ab", buffering=0)  # noqa: SIM115 - (kept open while the run holds it)
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise InputError(f"another mapper send is running with the checkpoint {shown_name(self.path)}: one run at a time resumes it") from None
            return  # a file system without locks (ENOLCK, EOPNOTSUPP): the run goes on unlocked, as before locks
        self._lock_file = lock

    def release(self) -> None:
        """Let go of the checkpoint (see :meth:`_lock`)."""
        lock, self._lock_file = self._lock_file, None
        if lock is not None:
            lock.close()

    def _clean(self) -> None:
        """Remove the temporary files of saves a killed run left (never under the checkpoint's name)."""
        assert self.path is not None
        target = self._target()
        # exactly what _save's mkstemp names (its 8 random characters): a sibling checkpoint's
        # (c.json.x beside c.json: .c.json.x.<8>.tmp) are not this one's, and may be a live run's
        pattern = re.compile(re.escape(temp_stem(target.name)) + r"[a-z0-9_]{8}\.tmp")
        directory = target.parent if str(target.parent) else Path(".")
        try:
            entries = os.listdir(directory)
        except OSError:
            return
        for entry in entries:
            if pattern.fullmatch(entry):
                try:
                    (directory / entry).unlink()
                except OSError:
                    pass

    def save(self, state: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            self._save(state)
        except OSError as exc:  # (the checkpoint before stays whole: the new one is renamed over it only once written)
            raise OutputStopped(f"cannot write the checkpoint {shown_name(self.path)}: {exc.strerror or exc}") from None

    def _save(self, state: dict[str, Any]) -> None:
        assert self.path is not None
        target = self._target()
        fd, tmp = _new_temp(target)  # (registered: one an interruption leaves is removed as outputs' are, mapper.writers.remove_left_temps)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(json_bytes(state, indent=True))  # (an input name's byte that is not UTF-8 as its escape: load reads it back)
                fh.flush()
                sync_file(fh.fileno())  # (a file system that cannot sync, some FUSE ones: saved unsynced, as outputs are)
            os.replace(tmp, target)
            temp_kept(tmp)
        except BaseException:
            remove_temp(tmp)
            raise
        sync_directory(str(target.parent) if str(target.parent) else ".")  # the rename itself survives a crash once the directory is synced


def _new_temp(target: Path) -> tuple[int, str]:
    """A new temporary file beside the checkpoint ``target``, as :meth:`Checkpoint._clean` knows
    them (``.<name>.<8 characters>.tmp``, readable by its owner alone, as ``tempfile.mkstemp``
    made them), open for writing, and its name. Made by :func:`mapper.writers.new_temp`, as an
    output's is: registered before it is made, removed if an interruption comes as it is made
    or before :meth:`Checkpoint._save` holds it."""
    directory = str(target.parent) if str(target.parent) else "."
    for _ in range(100):  # (as mkstemp tries)
        tmp = os.path.join(directory, f"{temp_stem(target.name)}{''.join(_TEMP_RANDOM.choices(_TEMP_CHARS, k=8))}.tmp")
        try:
            return new_temp(tmp, 0o600), tmp
        except FileExistsError:
            continue  # (another run's, or a killed one's: not this one's to remove)
    raise FileExistsError(errno.EEXIST, "no unused temporary file name beside it")


#: The characters of a checkpoint's temporary file's name (mkstemp's, which :meth:`Checkpoint._clean` matches).
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMP_RANDOM = random.SystemRandom()  # (not the random module's: a program that seeds it, or two processes forked with one state, draw other names)


def _damaged(state: dict[str, Any]) -> str | None:
    """The field that makes a checkpoint of version 1 unusable (edited by hand, written by
    something else), or None: each was a traceback, or a resume from nowhere."""

    def ints(d: Any, keys: tuple[str, ...], nullable: tuple[str, ...] = (), least: float = -1) -> bool:
        return isinstance(d, dict) and all(
            (type(d.get(k)) is int and d[k] >= least) or (k in nullable and d.get(k) is None) for k in keys
        )  # (bool is not an int here)

    inputs, files, totals, rejects = state.get("inputs"), state.get("input_files"), state.get("totals"), state.get("rejects")
    if not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs):
        return "inputs"
    pos: Any = state.get("position")
    if not ints(pos, ("file", "record", "index", "offset", "line"), nullable=("offset", "line")) or not 0 <= pos["file"] < max(1, len(inputs)):
        return "position"
    if state.get("in_flight") is not None and not ints(state["in_flight"], ("first", "last")):
        return "in_flight"
    names = {f.name for f in fields(SendTotals)}
    if not isinstance(totals, dict) or not set(totals) <= names or not all(type(v) in (int, float) for v in totals.values()):
        return "totals"
    earlier = state.get("earlier_runs")
    if earlier is not None and not (
        isinstance(earlier, dict)
        and set(earlier) <= names | {"runs"}
        and all(type(v) in (int, float) for v in earlier.values())
        and type(earlier.get("runs")) is int
        and earlier["runs"] >= 1
    ):
        return "earlier_runs"
    if files is not None and not (
        isinstance(files, list)
        and all(f is None or (ints(f, ("size", "mtime_ns", "inode"), least=-math.inf) and ints(f, ("read",), nullable=("read",), least=0)) for f in files)
        and len(files) == len(inputs)
    ):
        return "input_files"
    reading = state.get("reading")
    if reading is not None and not (
        isinstance(reading, dict)
        and set(reading) == {"input_format", "records_path"}
        and reading["input_format"] in INPUT_FORMATS
        and (reading["records_path"] is None or (isinstance(reading["records_path"], list) and all(isinstance(k, str) for k in reading["records_path"])))
    ):
        return "reading"
    if rejects is not None and not (
        isinstance(rejects, dict)
        and isinstance(rejects.get("path"), (str, type(None)))
        and type(rejects.get("bytes")) is int
        and (rejects.get("blake2b") is None or (isinstance(rejects["blake2b"], str) and re.fullmatch(r"[0-9a-f]{32}", rejects["blake2b"]) is not None))
    ):
        return "rejects"
    prefix = state.get("prefix")
    if prefix is not None and not (
        ints(prefix, ("file", "bytes"), least=0)
        and prefix["file"] < len(inputs)
        and isinstance(prefix.get("blake2b"), str)
        and re.fullmatch(r"[0-9a-f]{32}", prefix["blake2b"]) is not None
    ):
        return "prefix"
    return None


def _identity(name: str) -> dict[str, int] | None:
    """What says an input file is the one a checkpoint was written for (None: stdin, or unreadable)."""
    if name == "-":
        return None
    try:
        st = os.stat(name)
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


#: Bytes of an input's start, and of its end before the position, a checkpoint's digest covers.
_SAMPLE = 64 * 1024


def _prefix_digest(name: str, length: int) -> tuple[int, str] | None:
    """(inode, digest) of the first ``length`` bytes of the file ``name``: blake2b of that length, of
    their first 64 KiB and of their last 64 KiB (all of them up to 128 KiB). None when it is not a
    regular file holding that many bytes, or is compressed (a position counts its unpacked bytes).

    Samples, not the whole: a checkpoint is saved after every body and checked by every resume, and
    a log sent from cron grows to gigabytes (blake2b of 100 MB took 230 ms from the page cache, these
    two samples 0.13 ms). A file replaced, truncated and written again, or rewritten from its start
    or just before the position, changes them; a change only in between, its size and modification
    time kept, does not."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # (never waits on a FIFO put in its place)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size < length or unpacker(os.pread(fd, MAGIC_SIZE, 0)) is not None:
            return None
        head = _pread(fd, min(_SAMPLE, length), 0)
        tail_at = max(len(head), length - _SAMPLE)
        tail = _pread(fd, length - tail_at, tail_at)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(head) + len(tail) != min(length, 2 * _SAMPLE):  # (cut short meanwhile)
        return None
    digest = hashlib.blake2b(length.to_bytes(8, "big"), digest_size=16)
    digest.update(head)
    digest.update(tail)
    return st.st_ino, digest.hexdigest()


def _pread(fd: int, size: int, at: int) -> bytes:
    parts = []
    while size > 0:
        part = os.pread(fd, size, at)
        if not part:
            break
        parts.append(part)
        size -= len(part)
        at += len(part)
    return b"".join(parts)


def _unlike(name: str, was: dict[str, int], prefix: dict[str, Any] | None, by_offset: bool) -> str | None:
    """Why the input ``name`` is not the one a checkpoint's position is in (``was``: its identity
    when that run began), or None. With a ``prefix`` (the bytes read to the position, digested):
    the same file (inode) whose first bytes are those read; for a position that is a byte offset
    (NDJSON) the file may have grown (a log appended to: read on from the position), for a
    document's record it is the same size and modification time. Without one (a checkpoint
    written before prefixes were kept, a compressed input) it is the same size, modification time
    and inode, as it was then."""
    now = _identity(name)
    if prefix is None or now is None or now["inode"] != was["inode"]:
        return None if now == was else _changed(was, now)
    if not by_offset and now != was:
        return _changed(was, now)
    if now["size"] < was["size"]:
        return _changed(was, now)
    if now["size"] < prefix["bytes"]:
        return f"{prefix['bytes']:,} bytes read to the position then, {now['size']:,} now"
    if _prefix_digest(name, prefix["bytes"]) != (now["inode"], prefix["blake2b"]):
        return f"rewritten: its first {prefix['bytes']:,} bytes, read to the position, are not those read then"
    return None


def _read_from(start: Resume, prefix: dict[str, Any] | None) -> Resume:
    """Where reading resumes for a checkpoint's position ``start``: after its record, or, when that
    record's line had no line end (the input's last line then: its offset one byte past the bytes
    read), at the end of those bytes, in that line: whatever has come after it since on the same
    line is that line's rest (blank: skipped; else read as a record of that line)."""
    if prefix is not None and prefix["file"] == start.file and start.offset and start.offset == prefix["bytes"] + 1:
        return replace(start, offset=prefix["bytes"], line=start.line - 1)
    return start


def _changed(was: dict[str, int], now: dict[str, int] | None) -> str:
    if now is None:
        return "it cannot be read now"
    if now["inode"] != was["inode"]:
        return "it is another file now"
    if now["size"] != was["size"]:
        return f"{was['size']:,} bytes then, {now['size']:,} now"
    return "modified since"


def _added(earlier: dict[str, Any] | None, totals: SendTotals) -> dict[str, Any]:
    """A checkpoint's ``earlier_runs`` with a completed run's ``totals`` added (one run more)."""
    out: dict[str, Any] = {"runs": 0, **SendTotals().to_json()}
    out.update(earlier or {})
    out["runs"] += 1
    for key, value in totals.to_json().items():
        out[key] += value
    return out


def _place_of(pos: dict[str, Any], names: list[str]) -> str:
    """Where a checkpoint's position is, in words: ``line 7 of log.ndjson`` (NDJSON), else the input's name."""
    name = shown_name(names[pos["file"]])
    return f"line {pos['line']:,} of {name}" if pos.get("line") else name


def _show_totals(progress: Progress, totals: SendTotals) -> None:
    """records, bodies, records/s and retries on the progress line."""
    elapsed = progress.due()
    if elapsed is not None:
        progress.show(
            f"{plural(totals.sent, 'record')} sent  {plural(totals.bodies, 'body', 'bodies')}  {totals.sent / elapsed:,.0f} records/s  {plural(totals.retried, 'retry', 'retries')}"
        )


@dataclass
class SendRun:
    """One ``mapper send`` run: judge, pack, send, account, checkpoint (the CLI's engine, usable from Python)."""

    batcher: Batcher
    sender: Sender | None  # None: a dry run
    names: list[str]
    input_format: str = "auto"
    checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint(None))
    rejects: str | None = None
    progress: bool = False
    dry_run_out: IO[str] | None = None
    retry_out: IO[str] | None = None  # a line for each retry (the command: stderr, unless --quiet)
    totals: SendTotals = field(default_factory=SendTotals)
    resumed_at: int | None = None  # the run index resumed after, when resumed (an unfinished run: its totals go on)
    #: when the checkpoint was marked done (a new run, reading on in a log grown since): the run index
    #: the earlier runs read to (-1: none), and where that record is, ``line N of FILE`` or ``FILE``
    read_on: tuple[int, str] | None = None
    #: (body number, first and last record, records) of the body a stopped run may have had stored (its answer lost)
    in_doubt: tuple[int, int, int, int] | None = None
    #: the body in doubt was answered, the run stopping before it was counted (a signal, its dead letters unwritten)
    in_doubt_answered: bool = False
    #: the reader's notes on the inputs (an input whose format could not be told), each with its input's index
    notices: list[tuple[int, Notice]] = field(default_factory=list)
    #: the records are the array at these keys of each document (``--records-path``), or None
    records_path: tuple[str, ...] | None = None
    #: the first lines of each NDJSON input read from its start, by input index (let go once it is read: _explain)
    heads: dict[int, FirstLines] = field(default_factory=dict)
    #: records judged in this run, refused by pre-validation, and of those not JSON objects, by input index
    judged: dict[int, list[int]] = field(default_factory=dict)
    #: the note on an NDJSON input's refused records its first lines gave, by input index
    head_notes: dict[int, str] = field(default_factory=dict)
    #: the dead letter of the first record this run refused (by pre-validation or the service), its
    #: text left out: without ``rejects`` the summary's note says why it was refused (:meth:`notes`)
    first_refused: dict[str, Any] | None = None
    #: the notes on a file given twice among the inputs (:func:`~mapper.commands.inputs_twice`), made as the run starts
    twice: list[str] = field(default_factory=list, init=False, repr=False)
    #: the notes of a stop: dead letters it could not write (:meth:`_stop_account`)
    stop_notes: list[str] = field(default_factory=list, init=False, repr=False)
    _rejects_abs: str | None = field(default=None, init=False, repr=False)
    _rejects_digest: tuple[int, str | None] | None = field(default=None, init=False, repr=False)
    _claim: _RejectsClaim | None = field(default=None, init=False, repr=False)

    def notes(self) -> list[str]:
        """The notes the run's summary gives: first, of a file given twice among the inputs (read
        and sent twice); then each of the reader's always, or when pre-validation refused a record
        (:attr:`~mapper.engine.reader.Notice.if_failed`, as validate keeps them); of several
        inputs, each names its input. An NDJSON input whose records were refused and whose first
        lines say why (a document a line holding the records, arrays, another encoding) gets
        validate's note on them (:func:`~mapper.engine.reader.input_note`). Last, when records
        were refused and no ``rejects`` file keeps them, why the first was (the summary only counts them)."""
        found = [(fi, notice.message) for fi, notice in self.notices if not notice.if_failed or self.totals.refused_prevalidation]
        noted = {fi for fi, _ in found}
        self._explain(len(self.names))
        found += [(fi, said) for fi, said in sorted(self.head_notes.items()) if fi not in noted]
        out: list[str] = list(self.twice)
        for fi, message in found:
            message = hints_named(message, self.names[fi])  # (the reader's, naming no file: the lone-CR note's tr command)
            note = f"{shown_name(self.names[fi])}: {message}" if len(self.names) > 1 else message
            if note not in out:
                out.append(note)
        if self.rejects is None and self.first_refused is not None and (self.totals.refused_prevalidation or self.totals.refused_service):
            out.append(_refused_note(self.first_refused))
        return out + self.stop_notes

    def run(self) -> SendTotals:
        """Send every input; return the totals (raises SendError/ServiceError/InputError, the checkpoint kept)."""
        # (before reading: a file named twice is read twice, its records sent twice, which the totals alone hide)
        self.twice = inputs_twice(self.names, "read and sent" if self.sender is not None else "read and counted")
        try:
            return self._run()
        finally:
            claim, self._claim = self._claim, None
            if claim is not None:  # (a run stopped keeps its claim on the letters until it is resumed to its end)
                state = getattr(self, "_state", None)
                claim.release(keep=self.checkpoint.path is not None and not (isinstance(state, dict) and state.get("done")))
            self.checkpoint.release()

    def _run(self) -> SendTotals:
        state = self.checkpoint.load()
        start = read_from = Resume()
        resend_upto = -1
        earlier: dict[str, Any] | None = None  # the totals of the completed runs before this one (the checkpoint's earlier_runs)
        if state is not None:
            damaged = _damaged(state)
            if damaged is not None:
                raise InputError(
                    f"the checkpoint {shown_name(str(self.checkpoint.path))} is damaged (its {damaged}): restore it, or use another checkpoint file"
                )
            self._check_same_run(state)
            pos = state["position"]
            start = Resume(pos["file"], pos["offset"] or 0, pos["line"] or 0, pos["record"], pos["index"])
            read_from = _read_from(start, state.get("prefix"))
            self.totals = SendTotals(**state["totals"])
            earlier = state.get("earlier_runs")
            if state.get("done"):  # a new run: the earlier one completed, and said its own counts and exit status
                earlier = _added(earlier, self.totals)
                self.totals = SendTotals()
                self.read_on = (pos["index"], _place_of(pos, self.names))
            else:  # (the same run goes on: its refusals before the interruption still count, and make its exit status)
                self.resumed_at = pos["index"]  # (-1: nothing was acknowledged before)
                self.first_refused = _first_refused(state.get("first_refused"))  # (and its notes say why the first was)
            if state.get("in_flight"):
                resend_upto = state["in_flight"]["last"]
            if state.get("done") and not self._grown(state):
                return self.totals
        rejects = os.path.abspath(self.rejects) if self.rejects is not None else None
        recorded = state.get("rejects") if state is not None and not state.get("done") else None
        # (a resume cuts the letters back to its checkpoint's; after a completed run, whose letters are all
        # written, a new run appends to the file as it is: moved away or emptied once handed on, or not)
        self._rejects_abs, self._rejects_digest = rejects, None  # (the letters' path, and (length, digest) last computed: _rejects_state)
        same = self._same_rejects(recorded, rejects)
        if self.rejects is not None and not self._dry_run_letters():
            self._claim = _RejectsClaim(self.rejects, self.checkpoint.path)
        keep = same["bytes"] if same is not None else None
        self._letters = _DeadLetters(self.rejects, append=state is not None, keep=keep, digest=same.get("blake2b") if same is not None else None)
        self._state: dict[str, Any] = {
            "version": 1,
            "endpoint": self.sender.url if self.sender is not None else None,
            "inputs": [os.path.abspath(n) if n != "-" else "-" for n in self.names],
            "input_files": [_identity(n) for n in self.names],
            "position": asdict(start),
            # the input read to the position, for a resume to know it is the same (_prefix_digest)
            "prefix": state.get("prefix") if state is not None else None,
            # how the inputs are read: a position's record index means another record read another way
            "reading": self._reading(),
            # the body in flight when the run resumed stopped, while its records are not acknowledged again (_in_doubt)
            "in_flight": state["in_flight"] if state is not None and not state.get("done") and resend_upto > start.index else None,
            "totals": self.totals.to_json(),
            "earlier_runs": earlier,
            "rejects": self._rejects_state(rejects),
            "done": False,
        }
        if self.first_refused is not None:
            self._state["first_refused"] = self.first_refused
        if state is not None and state.get("input_files"):  # the inputs before the position are not read again: as they were read
            self._state["input_files"][: start.file] = state["input_files"][: start.file]
        self._ends: dict[int, int] = {}  # bytes read of each input read to its end (read_records)
        self._resend_upto = resend_upto
        self._pending: list[tuple[int, dict[str, Any]]] = []  # pre-validation refusals not yet written
        self._unacked: deque[int] = deque()  # run indices of the accepted records not yet in an acknowledged body
        self._early = 0  # refusals written before the checkpoint passed them (counted when it does)
        self._seen = start.index + 1  # records judged: the next run index
        # the run index of this run's first record, less those an interrupted run judged before it:
        # `records` is the next run index less this (a new run after a done one starts at no record)
        self._first = start.index + 1 - self.totals.records
        self._last: Position | None = None  # the last record judged
        self._progress = Progress(self.progress)
        self._sending = (0, -1, -1)  # the body being sent: its number, its first and last record (said by a retry's line)
        self._body_retries = 0
        if self.sender is not None:
            told = self.sender.on_retry

            def on_retry(reason: str, delay: float) -> None:
                self.totals.retried += 1  # counted as they happen: a run that gives up still says how often it tried
                self._body_retries += 1
                if self.retry_out is not None:
                    self._say_retry(reason, delay)
                if told is not None:
                    told(reason, delay)

            self.sender.on_retry = on_retry
        self._t0, self._base_seconds = time.monotonic(), self.totals.seconds
        # a new run's dead letters start where the file ends now, said before one is written (_write_letters):
        # a run killed after writing one and before its first save left the checkpoint marked done, and the
        # next run, reading on again, appended the same letters a second time (a resume cuts them back). Not
        # before: a run that reads nothing new (blank lines, a line held) leaves the checkpoint as it was
        self._unmarked = self.read_on is not None and self.rejects is not None and self.sender is not None
        try:
            try:
                hold_cut = self.sender is not None and self.checkpoint.path is not None  # (a next run reads a held line again)
                for group in read_records(self.names, self.input_format, read_from, self.notices, self.records_path, self.heads, hold_cut, self._ends):
                    self._judge(group)
                    for body in self.batcher.ready():
                        self._send(body)
                    self._release()
                    self._tick()
                    _show_totals(self._progress, self.totals)
                    _interruption_lost()  # (a signal whose KeyboardInterrupt a library dropped, judging the group: taken here)
            except InputError as exc:  # an input that cannot be read (on): what was read before it is sent first
                self._finish(done=False)
                stopped = InputStopped(str(exc))
                stopped.archives = exc.archives if isinstance(exc, ArchiveInput) else None
                raise stopped from None
            self._finish(done=True)
        except (ServiceError, SendError, KeyboardInterrupt):
            self._stopped()
            raise
        finally:
            self._progress.close()
            self._letters.close()
            self._tick()
        return self.totals

    def _say_retry(self, reason: str, delay: float) -> None:
        """A line for a retry: the body and its records, what was answered, the wait and how many of the
        retries it is (a run waiting on 429s, 503s or lost answers said nothing until its summary)."""
        assert self.retry_out is not None and self.sender is not None
        number, first, last = self._sending
        wait = f"{delay:,.1f} s" if delay >= 1 else f"{delay * 1000:.0f} ms"
        self._progress.clear()  # (a terminal's progress line: the next update draws it again, below)
        self.retry_out.write(
            f"mapper send: body {number:,} (records {first}-{last}): {printable(preview(reason, 300))}; retry {self._body_retries} of {self.sender.retries} in {wait}\n"
        )
        self.retry_out.flush()

    def _tick(self) -> None:
        """The run's seconds so far (with those of the runs it resumes)."""
        self.totals.seconds = self._base_seconds + time.monotonic() - self._t0

    def _finish(self, done: bool) -> None:
        """Send what is judged, write every refusal, and checkpoint after the last record judged
        (``done``: the run is over; else stopped at an input that cannot be read, resumed after it)."""
        for body in self.batcher.flush():
            self._send(body)
        _interruption_lost()  # (one a library dropped as the last records were judged: the run not said complete)
        with uninterrupted():
            self._pass()
            self.totals.records = max(self.totals.records, self._seen - self._first)
            self._tick()
            self._state["done"] = done
            if self._last is not None:
                self._place(self._last)
            self._state["totals"] = self.totals.to_json()
            self._state["rejects"] = self._rejects_state(self._rejects_abs)
            # (a new run that judged no record, the bytes past the position blank lines or a line held, or an
            # input after it touched: nothing new, the checkpoint left as it was, not one run more in earlier_runs)
            if self.sender is not None and not (done and self.read_on is not None and self._last is None):
                self.checkpoint.save(self._state)

    def _stopped(self) -> None:
        """The run stops (an error answer, the retries spent, a signal): the checkpoint says
        what is known, a body in flight only if it may have reached the service, and the
        totals: the position's, with the retries and the seconds of this run to the stop."""
        if self.sender is not None:
            with uninterrupted():
                self._tick()
                self._state["totals"] = self.totals.to_json()
                self.checkpoint.save(self._state)
        with uninterrupted():
            self._stop_account()

    def _stop_account(self) -> None:
        """The stop's summary counts the records past the last acknowledged body whose fate is known: those
        pre-validation refused up to the body in doubt's last record (else up to the first record not yet
        acknowledged), their dead letters written, so that ``records = sent + refused_prevalidation + the body
        in doubt's records``. (Before, those inside the body in doubt's range were in no total and no letter.)
        After the checkpoint's save, which keeps its totals as of its position: a resume judges them again
        and counts them then (it cuts the letters back to the checkpoint's, and writes them again)."""
        doubt = self.in_doubt
        upto = doubt[2] if doubt is not None else self._unacked[0] - 1 if self._unacked else self._seen - 1
        k = next((i for i, (idx, _d) in enumerate(self._pending) if idx > upto), len(self._pending))
        letters = [d for _idx, d in self._pending[:k]]
        del self._pending[:k]
        try:
            self._write_letters(letters)
        except OutputStopped as exc:  # (the run stops for another reason, which its summary says: this one is a note)
            self.stop_notes.append(f"{exc}: no dead letter was written for {plural(len(letters), 'record')} pre-validation refused (counted)")
        t = self.totals
        t.refused_prevalidation += len(letters) + self._early
        self._early = 0
        t.records = max(t.records, upto + 1 - self._first)

    def _dry_run_letters(self) -> bool:
        """A dry run's letters (no checkpoint, never cut, a file refused unless empty): not claimed."""
        return self.sender is None

    def _same_rejects(self, recorded: Any, rejects: str | None) -> dict[str, Any] | None:
        """The checkpoint's ``rejects`` when this run's ``--rejects`` is its file (None: no letters
        to cut back): named by the same path, or another naming the same file (a symbolic link,
        a relative path from elsewhere, a hard link: the same real path, or device and inode; a
        file under the recorded name is its file when its first bytes are: :class:`_DeadLetters`).
        A resume whose ``--rejects`` is another file is refused naming both: the run's letters
        past its checkpoint would stay in the first and be written again into the other. So is one
        without ``--rejects`` while that file is there: the rest of the run's letters were written
        nowhere, and the checkpoint, forgetting the file, let a later resume naming it again
        append the letters past the checkpoint a second time."""
        if not isinstance(recorded, dict):
            return None
        was, there = recorded.get("path"), recorded.get("file")
        if not isinstance(was, str):
            return None
        if rejects is None:
            if os.path.isfile(was):
                raise OptionError(
                    f"the run this checkpoint resumes wrote its dead letters to {shown_name(was)}, and a resume writes the rest there"
                    f" (cut back to what the checkpoint counted first): give --rejects {shown_name(was)} (one --rejects per checkpoint)"
                )
            return None
        now = _file_id(rejects)
        named = was == rejects or os.path.realpath(was) == os.path.realpath(rejects)
        if named or (isinstance(there, list) and now == there):
            return recorded
        if (there is not None or recorded.get("blake2b") is not None) and os.path.isfile(was):  # (a device, a FIFO: written through, never cut)
            raise OptionError(
                f"--rejects {shown_name(self.rejects or rejects)} is not the dead letters of the run this checkpoint resumes, {shown_name(was)}:"
                " a resume cuts its letters back to what the checkpoint counted and writes the rest again, into that file;"
                f" give --rejects {shown_name(was)} (one --rejects per checkpoint)"
            )
        return None

    def _rejects_state(self, path: str | None) -> dict[str, Any] | None:
        """The checkpoint's ``rejects``: the dead letters' path, their length, and a digest of them
        (:func:`_prefix_digest`; None for a file that is no regular one): a resume cuts back to that
        length only a file whose first bytes are still those (see :class:`_DeadLetters`)."""
        if path is None:
            return None
        size = self._letters.size
        if self._rejects_digest is None or self._rejects_digest[0] != size:  # (computed again only when letters were written)
            found = _prefix_digest(path, size) if self._letters.regular else None
            self._rejects_digest = (size, found[1] if found is not None else None)
        out: dict[str, Any] = {"path": path, "bytes": size, "blake2b": self._rejects_digest[1]}
        if self._letters.regular and self._letters.fh is not None:
            try:
                st = os.fstat(self._letters.fh.fileno())
                out["file"] = [st.st_dev, st.st_ino]  # (a resume knows the file by it, whatever path names it: _same_rejects)
            except OSError:
                pass
        return out

    def _place(self, last: Position) -> None:
        """The checkpoint's position after record ``last``, and its ``prefix``: the length of its input
        read to there (the whole input for a document's records, read whole) and a digest of those
        bytes (:func:`_prefix_digest`; None for an input that is no regular file, compressed, or
        replaced since the run began: the identity in ``input_files`` alone says it is the same)."""
        self._state["position"] = asdict(Resume(last.file, last.offset or 0, last.line or 0, last.record, last.index))
        for fi, read in self._ends.items():  # (inputs read whole before it: a resume checks none grew since, _check_same_run)
            if fi < last.file and self._state["input_files"][fi] is not None:
                self._state["input_files"][fi]["read"] = read
        was = self._state["input_files"][last.file]
        prefix = None
        if was is not None:
            length = was["size"] if not last.offset else last.offset - 1 if last.unended else last.offset
            found = _prefix_digest(self.names[last.file], length)
            if found is not None and found[0] == was["inode"]:
                prefix = {"file": last.file, "bytes": length, "blake2b": found[1]}
        self._state["prefix"] = prefix

    def _grown(self, state: dict[str, Any]) -> bool:
        """Whether the inputs of a checkpoint marked done may hold records not read yet: the input
        of its position longer than the bytes read to it (checked the same up to there by
        :meth:`_check_same_run`: a log appended to, a last line held), not empty when no record
        was read yet, or an input after it changed (those gave no record, so their records, if
        any now, are all new). Read on, they are sent as a resume's."""
        pos, files, prefix = state["position"], state.get("input_files") or [], state.get("prefix")
        for fi in range(pos["file"], len(self.names)):
            now = _identity(self.names[fi])
            if now is None:
                continue
            if fi == pos["file"] and pos["index"] < 0:  # (nothing of the inputs judged yet: an empty log, one line held)
                if now["size"] > 0:
                    return True
            elif fi == pos["file"]:
                if prefix is not None and prefix["file"] == fi and pos["offset"] and now["size"] > prefix["bytes"]:
                    return True
            elif now != (files[fi] if fi < len(files) else None):
                return True
        return False

    def _reading(self) -> dict[str, Any]:
        return {"input_format": self.input_format, "records_path": None if self.records_path is None else list(self.records_path)}

    def _check_same_run(self, state: dict[str, Any]) -> None:
        inputs = [os.path.abspath(n) if n != "-" else "-" for n in self.names]
        if state.get("inputs") != inputs:
            raise OptionError(
                f"the checkpoint {shown_name(str(self.checkpoint.path))} is for other inputs ({', '.join(map(shown_name, state.get('inputs') or []))}): use another checkpoint file"
            )
        # a position is the index of a record among those the inputs give read one way: read another
        # (without the records path, or with another; another format) that index is another record,
        # or a byte offset is read as an element's index (a checkpoint without "reading" was written
        # before it was kept: without a records path, its format unknown)
        was = state.get("reading") or {"input_format": self.input_format, "records_path": None}
        if was != self._reading():
            path = was["records_path"]
            how = f"--input-format {was['input_format']}" + (
                f" {option_text('--records-path', to_dot_notation(tuple(path)))}" if path is not None else " without --records-path"
            )
            raise OptionError(
                f"the checkpoint {shown_name(str(self.checkpoint.path))} was written reading the inputs with {how}: resuming with another"
                " --records-path or --input-format would skip or repeat records; run with those options, or use another checkpoint file"
            )
        # the position is a byte offset in the input it is in: that input changed since
        # (replaced, cut short, rewritten) would be read from the middle of a record, or
        # not at all (inputs before it are not read again; those after it not yet read);
        # one appended to is read on from the position (_unlike)
        pos, files = state["position"], state.get("input_files")
        for fi, was in enumerate((files or [])[: pos["file"]]):
            # an input before the position's is not read again: grown since it was read (a log of
            # several appended to), what was appended would be sent by no run with this checkpoint
            now = _identity(self.names[fi]) if was is not None and was.get("read") is not None else None
            if was is not None and now is not None and now["inode"] == was["inode"] and now["size"] > was["read"]:
                raise OptionError(
                    f"{shown_name(self.names[fi])} grew since it was read to its end for the checkpoint {shown_name(str(self.checkpoint.path))}"
                    f" ({was['read']:,} bytes read, {now['size']:,} now), and a resume reads on in {shown_name(self.names[pos['file']])}, after it:"
                    " what was appended would not be sent; use another checkpoint file to send the inputs again from the start, and"
                    " give a log that grows a checkpoint of its own"
                )
        if files and pos["index"] >= 0 and pos["file"] < len(files):
            name, was = self.names[pos["file"]], files[pos["file"]]
            prefix = state.get("prefix")
            why = _unlike(name, was, prefix if prefix is not None and prefix["file"] == pos["file"] else None, bool(pos["offset"])) if was is not None else None
            if why is not None:
                raise OptionError(
                    f"{shown_name(name)} changed since the checkpoint {shown_name(str(self.checkpoint.path))} was written ({why}): resuming would skip or"
                    " repeat records; use another checkpoint file to send it from the start"
                )
        if self.sender is not None and state.get("endpoint") != self.sender.url:
            raise OptionError(
                f"the checkpoint {shown_name(str(self.checkpoint.path))} is for another endpoint ({state.get('endpoint')}): use another checkpoint file"
            )

    def _judge(self, group: list[tuple[bytes | None, Position, NotARecord]]) -> None:
        texts = [(raw, pos) for raw, pos, problem in group if problem is None]
        for raw, pos, problem in group:
            if problem is not None:
                err = RecordError(pos.index, pos.line, None, None, problem[0], problem[1])
                self._refused(pos.file, problem[0] == "not_an_object")
                self._pending.append((pos.index, _letter(pos, self.names, _relocate((err,), pos, self.names), raw, "pre-validation")))
        # (judged with as many blanks before it as characters stand before it on its line: an
        # error's char counts from the line's start, as validate's; the blanks are not sent)
        # (raw is None only with a problem: None, were it given, would be refused not_an_object)
        judged = [b" " * pos.column + raw if pos.column and raw else raw for raw, pos in texts]
        if any(map(bytes.startswith, judged, repeat(BOM))):  # type: ignore[arg-type]
            # (a mark opening a record inside an input is refused, as validate refuses it: the batcher takes
            # one off a text given alone, its own, so a second stands first; the input's own the reader took off)
            judged = [BOM + raw if raw.startswith(BOM) else raw for raw in judged]  # type: ignore[union-attr,operator]
        verdicts = self.batcher.add_many(judged, [pos for _raw, pos in texts])  # type: ignore[arg-type]
        for v, (raw, pos) in zip(verdicts, texts):
            if v.accepted:
                self._unacked.append(pos.index)
            else:  # (the letter keeps the text as it came; the batcher's is trimmed for a body)
                self._refused(pos.file, any(e.code == "not_an_object" for e in v.errors))
                errors = _mark_within(v.errors, pos) if raw.startswith(BOM) else v.errors  # type: ignore[union-attr]
                self._pending.append((pos.index, _letter(pos, self.names, _relocate(errors, pos, self.names), raw, "pre-validation")))
        self._pending.sort(key=lambda p: p[0])
        if group:
            fi = group[0][1].file  # (a group is of one input: read_records)
            self.judged.setdefault(fi, [0, 0, 0])[0] += len(group)  # (counted a group at a time, not a record)
            self._explain(fi)  # (the inputs before this group's are read and judged)
            self._last = group[-1][1]
            self._seen = self._last.index + 1

    def _explain(self, upto: int) -> None:
        """The notes of the NDJSON inputs before input ``upto`` (read whole, their records judged) whose
        records were refused, from their first lines; which are let go (of many inputs, each kept
        some megabytes when its lines are long)."""
        for fi in [k for k in self.heads if k < upto]:
            head = self.heads.pop(fi).head
            records, failed, not_objects = self.judged.get(fi, (0, 0, 0))
            if failed:
                lone = lone_object_notice(bytes(head)) if records == 1 else None  # (one object on one line holding the records)
                said = lone.message if lone is not None else input_note(head, records, failed, not_objects, self.names[fi])
                if said:
                    self.head_notes[fi] = said

    def _refused(self, fi: int, not_an_object: bool) -> None:
        """One record of input ``fi`` refused by pre-validation (``not_an_object``: a JSON value that is no object)."""
        counts = self.judged.setdefault(fi, [0, 0, 0])
        counts[1] += 1
        counts[2] += not_an_object

    def _pass(self) -> None:
        """Write and count every pre-validation refusal not yet written (taken off the pending once written: a write
        that fails leaves them to the stop's account, :meth:`_stop_account`)."""
        out = [d for _idx, d in self._pending]
        self._write_letters(out)
        self._pending.clear()
        self.totals.refused_prevalidation += len(out) + self._early
        self._early = 0

    def _write_letters(self, letters: list[dict[str, Any]]) -> None:
        """Write dead letters (in record order), keeping the first of the run for :meth:`notes`."""
        if letters and self.first_refused is None:
            first = {k: v for k, v in letters[0].items() if k not in ("raw", "raw_base64")}  # (a record may be 16 MiB)
            # its first error and their count (the note says no more): kept in the checkpoint, for the
            # resume that finishes the run to say why its first refusal was, made before the stop
            self.first_refused = {**first, "errors": first["errors"][:1], "error_count": len(first["errors"])}
            self._state["first_refused"] = self.first_refused
        if letters and self._unmarked:  # (a new run's first letter: its checkpoint unfinished first, see _run)
            self.checkpoint.save(self._state)
            self._unmarked = False
        self._letters.write(letters)

    def _release(self) -> None:
        """Write the pre-validation refusals that no record still to be acknowledged comes before (the
        dead letters stay in record order). They were held until the next acknowledged body: an input
        of refusals alone (a wrong sink, a dry run) was held whole in memory, 800 MB for a 96 MB input.
        They are counted once the checkpoint passes them: letters written past it are cut off on resume
        (the checkpoint says the size before them) and written again, as a killed run's are."""
        upto = self._unacked[0] if self._unacked else None
        k = len(self._pending) if upto is None else next((i for i, (idx, _d) in enumerate(self._pending) if idx > upto), len(self._pending))
        if not k:
            return
        with uninterrupted():
            self._write_letters([d for _idx, d in self._pending[:k]])
            del self._pending[:k]
            self._early += k

    def _send(self, body: Body) -> None:
        first, last = body.tags[0], body.tags[-1]
        if self.sender is None:
            if self.dry_run_out is not None:
                self.dry_run_out.write(
                    f"body {self.totals.bodies + 1}: records {first.index}-{last.index} ({plural(body.count, 'record')}), {plural(body.size, 'byte')}\n"
                )
            self.totals.bodies += 1
            self.totals.bytes += body.size
            self.totals.sent += body.count
            self._acknowledged(last.index)
            return

        def mark() -> None:  # in flight once the pacing lets it go: a run stopped while it waits has sent nothing of it
            self._state["in_flight"] = {"first": first.index, "last": max(last.index, self._resend_upto)}  # (and the rest of one in doubt)
            self.checkpoint.save(self._state)
            self._unmarked = False  # (unfinished now: its letters are cut back to the length it found)

        self._sending, self._body_retries = (self.totals.bodies + 1, first.index, last.index), 0
        begun, counted = self.sender.requests_begun(), self.totals.bodies
        ack: Ack | None = None
        try:
            ack = self.sender.send(body, before_sending=mark)
            # account: the body, its refusals, the pre-validation refusals before its end; the
            # dead letters and the checkpoint after them are written together (a SIGTERM waits)
            with uninterrupted():
                self._account(body, ack, first, last)
        except (ServiceError, SendError, KeyboardInterrupt) as exc:  # (SendError: EndpointUnreachable, or the mark's save failing)
            if self.totals.bodies != counted:  # (accounted: a signal taken as the accounting ended, its checkpoint unsaved)
                raise
            maybe_stored = ack is not None or getattr(exc, "maybe_stored", None)
            if maybe_stored is None:  # (a Ctrl-C as send started or returned, an answer it could not read, the mark unsaved: was a request begun?)
                maybe_stored = self.sender.requests_begun() != begun
            if not maybe_stored:  # nothing of it was sent, or every attempt was answered "not stored"
                self._state["in_flight"] = self._in_doubt(first.index - 1)  # (a resume sends it again, not as a re-send)
            else:  # (counted nowhere: the stop says so, or its records were in no total and no message)
                # (answered but not accounted: a Ctrl-C as the answer came, its dead letters unwritten (ENOSPC);
                # the checkpoint keeps it in flight all the same, so the summary names it as a resume counts it)
                self.in_doubt = (self._sending[0], first.index, last.index, body.count)
                self.in_doubt_answered = ack is not None
            raise

    def _in_doubt(self, after: int) -> dict[str, int] | None:
        """The checkpoint's ``in_flight`` when no body of this run is: the records after run index ``after``
        of the body in flight when the run it resumes stopped (they may have been stored then), until
        they are acknowledged again. Cleared, a resume stopped again before that (a refusal, 503s past
        the retries, a Ctrl-C) had the next one send them uncounted as re-sent."""
        if self._resend_upto <= after:
            return None
        return {"first": after + 1, "last": self._resend_upto}

    def _acknowledged(self, last: int) -> None:
        while self._unacked and self._unacked[0] <= last:
            self._unacked.popleft()

    def _account(self, body: Body, ack: Any, first: Any, last: Any) -> None:
        # (taken off the pending once written: a write that fails leaves them to the stop's account)
        k = next((i for i, (idx, _d) in enumerate(self._pending) if idx > last.index), len(self._pending))
        letters = [d for _idx, d in self._pending[:k]]
        prevalidation = len(letters)
        for i, code, message in ack.refused:
            pos = body.tags[i]
            letters.append(
                _letter(pos, self.names, [{"code": code, "message": message}], body.raws[i], "service", error_code=code, error_message=message),
            )
        letters.sort(key=lambda d: d["record"])
        self._write_letters(letters)
        del self._pending[:k]
        t = self.totals
        t.refused_prevalidation += prevalidation + self._early
        self._early = 0
        self._acknowledged(last.index)
        t.records = max(t.records, last.index + 1 - self._first)  # judged up to the checkpoint (the rest is read again on resume)
        t.bodies += 1
        t.bytes += body.size
        t.sent += body.count
        t.stored += ack.stored
        t.refused_service += len(ack.refused)
        if ack.resent:
            t.resent += body.count
        elif self._resend_upto >= first.index:
            t.resent += sum(1 for p in body.tags if p.index <= self._resend_upto)
        self._place(last)
        self._state["in_flight"] = self._in_doubt(last.index)
        self._tick()
        self._state["totals"] = t.to_json()
        self._state["rejects"] = self._rejects_state(self._rejects_abs)
        self.checkpoint.save(self._state)


# ---------------------------------------------------------------------------------------
# The command


def add_send_parser(sub: Any, identity_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("send", help="pre-validate records and send the good ones to an ingest endpoint (exit 0 all stored, 1 some refused, 2 aborted)")
    p.add_argument("sink", metavar="SINK", type=file_name, help="sink definition file")
    p.add_argument(
        "records", metavar="RECORDS", nargs="+", type=file_name, help="record files (NDJSON, JSON array, request body; gzip, bzip2, xz ok), '-' for stdin"
    )
    p.add_argument("--endpoint", metavar="URL", help="the ingest URL: https://.../v2/sinks/<sink_id> (not needed with --dry-run)")
    p.add_argument("--token-env", metavar="VAR", help=f"environment variable holding the bearer token (default {DEFAULT_TOKEN_ENV}, if set)")
    p.add_argument(
        "--records-per-s", type=decimal, default=DEFAULT_RECORDS_PER_S, metavar="N", help=f"the endpoint's records/s limit (default {DEFAULT_RECORDS_PER_S:,})"
    )
    p.add_argument(
        "--bytes-per-s", type=decimal, default=DEFAULT_BYTES_PER_S, metavar="N", help=f"the endpoint's bytes/s limit (default {DEFAULT_BYTES_PER_S:,})"
    )
    p.add_argument("--body-records", type=integer, metavar="N", help="records per body at most (default: half the records/s limit, at most 500)")
    p.add_argument(
        "--body-bytes",
        type=integer,
        metavar="N",
        help="bytes per body at most (default: half the bytes/s limit, at most 500,000, at least 64 unless the limit is less)",
    )
    p.add_argument("--retries", type=integer, default=8, metavar="N", help="retries of one body before the run stops (default 8)")
    p.add_argument("--timeout", type=decimal, default=30.0, metavar="S", help="seconds to wait to connect and for an answer (default 30)")
    p.add_argument("--backoff", type=decimal, default=0.5, metavar="S", help="first retry delay, doubled each retry, with jitter (default 0.5)")
    p.add_argument("--max-backoff", type=decimal, default=30.0, metavar="S", help="longest retry delay (default 30)")
    p.add_argument("--checkpoint", metavar="FILE", type=file_name, help="record the input position after each acknowledged body; resume from it when it exists")
    p.add_argument("--rejects", metavar="FILE", type=file_name, help="dead letters: every refused record as NDJSON, with source pre-validation or service")
    p.add_argument("--dry-run", action="store_true", help="judge and pack, print each body's records and size (on stderr with --report json), send nothing")
    p.add_argument("--report", choices=("text", "json"), default="text", help="the final summary: a line on stderr (text) or a JSON object on stdout")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default="auto", help="input format (default: detected)")
    p.add_argument(
        "--records-path",
        metavar="PATH",
        help='the records are the array at PATH of each JSON document (aircraft for dump1090\'s {"now": ..., "aircraft": [...]}; data.items)',
    )
    p.add_argument("--strict", action="store_true", help="values the endpoint would store differently refuse their record")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no line per retry and no summary on stderr")
    identity_options(p)


def _dry_run_out(args: argparse.Namespace) -> IO[str] | None:
    """Where a dry run's body lines go: they are its output, but with ``--report json``
    standard output holds the JSON alone (stderr then, nowhere with ``-q``)."""
    if not args.dry_run or (args.report != "text" and args.quiet):
        return None
    return sys.stdout if args.report == "text" else sys.stderr


def _token(args: argparse.Namespace) -> str | None:
    """The token send is given (``--token-env VAR``, or :data:`DEFAULT_TOKEN_ENV` if set), or an OptionError
    naming the variable of one no header can carry (:func:`~mapper.endpoint.token_problem`; never its value)."""
    if args.token_env:
        token: str | None = env_token(args.token_env)
        where = f"{args.token_env} (--token-env)"
    else:
        token = os.environ.get(DEFAULT_TOKEN_ENV) or None
        where = f"{DEFAULT_TOKEN_ENV} (read when no --token-env is given)"
    problem = None if token is None else token_problem(token.strip(TOKEN_SPACE))
    if problem is not None:
        raise OptionError(f"the token in the environment variable {where} {problem}: {TOKEN_CHARACTERS}")
    return token


def cmd_send(args: argparse.Namespace) -> int:
    if not args.dry_run and not args.endpoint:
        print("mapper send: --endpoint URL is required (or --dry-run)", file=sys.stderr)
        return EXIT_USAGE
    if args.checkpoint and "-" in args.records:
        print("mapper send: --checkpoint needs record files: stdin cannot be read again", file=sys.stderr)
        return EXIT_USAGE
    try:
        if "-" in (args.rejects, args.checkpoint):
            raise OptionError("--rejects and --checkpoint take file names, not '-'")
        check_inputs(args.records)  # (every file readable, before any is read, and sent)
        # neither may write over an input, the sink file or each other (as validate and map refuse)
        outputs = [(flag, path) for flag, path in (("--checkpoint", args.checkpoint), ("--rejects", args.rejects)) if path]
        check_paths(args.sink, args.records, outputs, in_place=("--rejects",))  # (the dead letters are appended to: _DeadLetters)
        # (> r.ndjson: the shell emptied it, and send said "0 records sent", exit 0, as validate did)
        said = "--dry-run writes the bodies" if args.dry_run else "--report json writes the report" if args.report == "json" else None
        stdout_on_input([args.sink, *args.records], said, "them" if args.dry_run else "it")
        # (checked here, so that each refused is named by its flag alone, not by a Sender's keyword)
        numbers = ("records_per_s", "bytes_per_s", "body_records", "body_bytes", "retries", "timeout", "backoff", "max_backoff")
        given = {name: getattr(args, name) for name in numbers}
        read_numbers(given, keywords=False)
        # (the values as given, not as read: a refusal quotes the text typed, --body-bytes 10000000000000)
        check_fit(given["records_per_s"], given["bytes_per_s"], given["body_records"], given["body_bytes"], keywords=False)
        if args.records_path is not None and args.input_format == "endpoint":
            raise OptionError(f"--records-path does not go with --input-format endpoint: {RECORDS_PATH_AND_BODY}")
        records_path = records_path_option(args.records_path, args.records)
    except MapperError as exc:
        print(f"mapper send: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        return EXIT_USAGE
    try:
        check_archives(args.records, args)  # (once the outputs and the sink are checked: standard input's first read is waited for)
    except MapperError as exc:
        print(f"mapper send: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run and args.rejects and os.path.exists(args.rejects) and os.path.getsize(args.rejects) > 0:
        # (a run's dead letters, the service's refusals among them, cannot be made again)
        print(f"mapper send: --rejects {shown_name(args.rejects)} holds dead letters: a dry run does not write over them (name another file)", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run and args.checkpoint and not args.quiet:
        print(f"mapper send: --dry-run neither reads nor writes the checkpoint {shown_name(args.checkpoint)}", file=sys.stderr)
    run: SendRun | None = None
    # (an inherited SIG_IGN stays, as every command keeps it: a non-interactive shell's `mapper send ... &`
    # is started with SIGINT ignored, so that a Ctrl-C meant for the script's foreground command leaves it be)
    previous = {sig: handler for sig in (signal.SIGTERM, signal.SIGINT) if (handler := signal.getsignal(sig)) is not signal.SIG_IGN}
    try:
        for sig in previous:
            signal.signal(sig, _interrupt)
        _Deferred.raised = []
    except ValueError:  # not the main thread (called from Python): leave signals alone
        previous = {}
    try:
        try:
            sender = None
            if not args.dry_run:
                sender = Sender(
                    args.endpoint,
                    token=_token(args),
                    records_per_s=args.records_per_s,
                    bytes_per_s=args.bytes_per_s,
                    body_records=args.body_records,
                    body_bytes=args.body_bytes,
                    retries=args.retries,
                    timeout=args.timeout,
                    backoff=args.backoff,
                    max_backoff=args.max_backoff,
                )
                limits = sender.limits
            else:
                limits = _send_limits(args.records_per_s, args.bytes_per_s, args.body_records, args.body_bytes)
            batcher = Batcher(sink, max_records=limits.max_records, max_bytes=limits.max_bytes, strict=args.strict)
            run = SendRun(
                batcher,
                sender,
                list(args.records),
                args.input_format,
                Checkpoint(args.checkpoint if not args.dry_run else None),
                args.rejects,  # a dry run writes the records pre-validation refuses too
                progress=not args.quiet,
                dry_run_out=_dry_run_out(args),
                retry_out=None if args.quiet else sys.stderr,
                records_path=records_path,
            )
            try:
                totals = run.run()
            finally:
                if sender is not None:
                    sender.close()
        except (ServiceError, SendError) as exc:
            if isinstance(exc, OutputStopped):
                _summary(run, args, aborted=str(exc))
                return EXIT_USAGE
            told = ""
            if isinstance(exc, ServiceError):  # (a 2xx it could not read is no refusal: the body may well be stored, and stays in flight)
                what = (
                    "the service's answer could not be read (the body may have been stored)"
                    if 200 <= exc.status < 300
                    # (a page that is not the service's JSON: whatever answers at that address, maybe not the service)
                    else "a body was refused at the endpoint's address, not in the service's words: it may not be the service (a proxy or another server)"
                    if exc.foreign
                    else "the service refused a body"
                )
                if exc.status == 413:  # (the endpoint's limits are lower than the options said: what to change)
                    told = (
                        f" (send smaller bodies: --body-records N, --body-bytes N; these held at most {plural(limits.max_records, 'record')}"
                        f" and {limits.max_bytes:,} bytes; or give the endpoint's limits, --records-per-s, --bytes-per-s)"
                    )
                elif exc.status in (404, 405):  # (no sink at that URL: "404 ResourceNotFound: no sink 'aircraft'" said nothing of what the URL takes)
                    told = (
                        " (--endpoint is the ingest URL, .../v2/sinks/<sink_id>: the id the sink was created with, not its table's name;"
                        " GET /v2/sinks lists the sinks)"
                    )
                elif exc.status == 401:  # (which token was sent, if any: the variable's name, never its value)
                    var = args.token_env or DEFAULT_TOKEN_ENV
                    told = (
                        f" (no token was sent: {DEFAULT_TOKEN_ENV} is not set and no --token-env VAR was given)"
                        if sender is None or not sender.has_token
                        else f" (the token sent was the one in {var})"
                    )
            else:
                what = "an input could not be read" if isinstance(exc, InputStopped) else "gave up"
                if isinstance(exc, InputStopped) and exc.archives:  # (said as check_archives says it, with this command line)
                    exc = InputStopped(archives_said(list(args.records), exc.archives, args))
            _summary(run, args, aborted=f"{what}: {exc}{told}")
            return EXIT_USAGE
        except KeyboardInterrupt:
            _summary(run, args, aborted="interrupted")
            return EXIT_USAGE
        except MapperError as exc:
            print(f"mapper send: {exc}", file=sys.stderr)
            return EXIT_USAGE
        # said with send's handlers still in place: a signal while the summary is written (a JSON
        # report into a slow pipe) is an interrupted run, exit 2, as anywhere else in the run (given
        # back before, a Ctrl-C there was Python's KeyboardInterrupt, 130, and a SIGTERM killed it)
        _summary(run, args, aborted=None)
    except KeyboardInterrupt:  # (the run's own accounting is done: the checkpoint is as the summary says)
        print("mapper send: stopped: interrupted", file=sys.stderr)
        return EXIT_USAGE
    finally:
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)
        _Deferred.raised = None  # (a program calling main: its next run starts with nothing taken)
    if totals.refused_prevalidation or totals.refused_service:
        return EXIT_REJECTED
    return EXIT_OK


class _Deferred:
    """SIGTERM/SIGINT inside :func:`uninterrupted`: noted, raised when the section ends."""

    depth = 0
    pending = False
    #: The signals :func:`_interrupt` raised a KeyboardInterrupt for while ``cmd_send``'s handlers are in
    #: place (None: none are). That one can be lost: where a library calls Python code and drops what it
    #: raises (msgspec, building a decoder, hashes the type's metadata), the run went on to its end and
    #: said it completed; the run takes it after the group of records it was judging (:func:`_interruption_lost`).
    raised: list[int] | None = None


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A section a SIGTERM or SIGINT does not cut: it is taken at the end (``mapper send`` installs the handler)."""
    _Deferred.depth += 1
    try:
        yield
    finally:
        _Deferred.depth -= 1
        if not _Deferred.depth and _Deferred.pending:
            _Deferred.pending = False
            raise KeyboardInterrupt


def _interrupt(signum: int, frame: Any) -> None:
    if _Deferred.depth:
        _Deferred.pending = True
        return
    if _Deferred.raised is not None:
        _Deferred.raised.append(signum)  # (what this raises may be lost in a library: _interruption_lost)
    raise KeyboardInterrupt


def _interruption_lost() -> None:
    """A safe point of the run (a group of records judged and sent): a KeyboardInterrupt that
    :func:`_interrupt` raised and a library dropped (:attr:`_Deferred.raised`) is raised here, as if
    the signal came now; it stops the run as interrupted (its summary, exit 2)."""
    if _Deferred.raised:
        raise KeyboardInterrupt


def _summary(run: SendRun | None, args: argparse.Namespace, aborted: str | None) -> None:
    """The run's summary: a line on stderr, or with ``--report json`` an object on stdout.

    The object holds the totals (:class:`SendTotals`), ``completed``, ``dry_run``, ``error``
    when the run stopped, ``resumed_after`` when it resumed an unfinished run (its totals then
    those of the run before the interruption too), ``read_on_after`` when it read on from a
    checkpoint marked done (a new run, its totals its own: the run index earlier runs read to,
    null when they read none), and ``in_doubt``: the body a
    stopped run may have had stored (no answer said what became of it), as
    ``[{"body", "first", "last", "records"}]`` (its number, first and last record index and
    record count, as the stderr line names it), else ``[]``. Its records are in no total but
    ``records``: sent again (a resume counts them re-sent), they are written again by ``_id``.
    The totals add up: ``records = sent + refused_prevalidation + in_doubt's records``
    (:meth:`SendRun._stop_account`).
    """
    t = run.totals if run is not None else SendTotals()
    if args.report == "json":
        out = t.to_json()
        out["completed"] = aborted is None
        out["dry_run"] = bool(args.dry_run)
        doubt = run.in_doubt if run is not None else None
        # (a list: one body at most today, as one is sent at a time; a list holds more without a new field)
        out["in_doubt"] = [dict(zip(("body", "first", "last", "records"), doubt))] if doubt is not None else []
        if aborted:
            out["error"] = aborted
        if run is not None and run.resumed_at is not None:
            out["resumed_after"] = run.resumed_at if run.resumed_at >= 0 else None  # (null: resumed before any body was acknowledged)
        if run is not None and run.read_on is not None:  # (a new run: the totals are its own)
            out["read_on_after"] = run.read_on[0] if run.read_on[0] >= 0 else None  # (null: the earlier runs read no record)
        out["notes"] = run.notes() if run is not None else []
        sys.stdout.write(escaped_json(orjson.dumps(out).decode()) + "\n")
        sys.stdout.flush()
    if aborted:
        print(f"mapper send: stopped: {printable(aborted)}", file=sys.stderr)  # (the service's words: no terminal escapes)
        if run is not None and run.in_doubt is not None:
            number, first, last, count = run.in_doubt
            again = "a resume sends them again, counted re-sent" if args.checkpoint else "sent again, they are written again by _id"
            fate = (
                "was answered, but the run stopped before it was counted: its records are in no total"
                if run.in_doubt_answered
                else "may have been stored: no answer said what became of it"
            )
            print(f"mapper send: body {number:,} (records {first}-{last}, {plural(count, 'record')}) {fate} ({again})", file=sys.stderr)
        if args.checkpoint and run is not None:
            print(f"mapper send: run it again with --checkpoint {shown_name(args.checkpoint)} to resume after the last acknowledged body", file=sys.stderr)
    if args.quiet:
        return
    for note in run.notes() if run is not None else []:
        print(f"mapper send: note: {printable(note)}", file=sys.stderr)
    if args.dry_run:
        rate = max(t.sent / args.records_per_s, t.bytes / args.bytes_per_s)
        print(
            f"dry run: {plural(t.records, 'record')} read, {t.sent:,} would be sent in {plural(t.bodies, 'body', 'bodies')} ({t.bytes:,} bytes, at least {rate:,.1f} s at the limits), "
            f"{t.refused_prevalidation:,} refused by pre-validation",
            file=sys.stderr,
        )
        return
    resumed = ""
    if run is not None and run.resumed_at is not None:
        resumed = f" (resumed after record {run.resumed_at:,})" if run.resumed_at >= 0 else " (resumed: nothing was acknowledged before)"
    elif run is not None and run.read_on is not None:
        index, where = run.read_on
        what = "read on" if t.records else "nothing new"
        resumed = (
            f" (a new run: {what} after record {index:,}, {where}, which earlier runs read)"
            if index >= 0
            else f" (a new run: {what}; earlier runs read no record)"
        )
    print(
        f"mapper send: {plural(t.sent, 'record')} sent in {plural(t.bodies, 'body', 'bodies')} ({t.bytes:,} bytes) in {t.seconds:,.1f} s{resumed}: "
        f"{t.stored:,} stored, {t.refused_service:,} refused by the service, {t.refused_prevalidation:,} refused by pre-validation; "
        f"{plural(t.retried, 'retry', 'retries')}, {plural(t.resent, 'record')} re-sent",
        file=sys.stderr,
    )
