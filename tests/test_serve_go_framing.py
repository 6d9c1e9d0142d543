"""``mapper serve``'s request framing answered as Go's net/http server (the service's) answers it, where serve followed
RFC 9112 with 400s: the Transfer-Encoding (``transferReader.parseTransferEncoding``: one header field saying ``chunked``,
else 501), an HTTP/1.0 request's Transfer-Encoding ignored, a Content-Length beside ``chunked`` dropped (``fixLength``),
a Content-Length beyond 2**63-1 (``parseContentLength``: 400), and a head bounded by its bytes alone (``MaxHeaderBytes``
and the 4 KiB ``initialReadLimitSize`` adds: 431), not by its lines' count or length; an empty line before a request line
read away after a POST alone (``lastMethod``), a chunked body's trailer (4 KiB, ``readTrailer``; ``fixTrailer``'s keys)
and size lines (``readChunkLine``: 4 KiB, CRLF), the 501 in Go's words with the body unread, and the request line as
``readRequest`` reads it (``parseRequestLine``, ``validMethod``, ``ParseHTTPVersion``, 505 for HTTP/0.x, two Hosts before
the framing, an absolute-form target without a path redirected to /); a request ``readRequest`` refuses closed with its body
unread (``conn.serve``); CONNECT routed as ServeMux routes it (``findHandler``: its authority a
host and no path); the HTTP/2 preface taken and answered 400 (``http1ServerSupportsRequest``,
``isH2Upgrade``, ServeMux's ``*``); and an unread body read away to keep the connection up to 256 KiB
(``maxPostHandlerReadBytes``: a chunked one before the answer).

Every server binds 127.0.0.1 on a free port in this process, and every socket has a timeout.
"""

from __future__ import annotations

import pytest
from test_serve_wire import PATH, answers, body, chunked, closes, connect, head, logged, rows, serving

import mapper.serve

# ---------------------------------------------------------------------------------------
# 1. Transfer-Encoding: one header field whose value is chunked (ASCII's case aside), else 501


@pytest.mark.parametrize(
    "codings",
    [
        [b"chunked", b"chunked"],
        [b"gzip", b"chunked"],
        [b"chunked,"],
        [b", chunked"],
        [b"chunked, chunked"],
        [b"gzip, chunked"],
        [b"chunked, gzip"],
        [b""],
        [b"gzip"],
        [b"identity"],
        [b"x"],
    ],
    ids=lambda c: " | ".join(v.decode() for v in c) or "empty",
)
def test_a_transfer_encoding_other_than_one_field_saying_chunked_is_501_as_the_service_answers_it(codings: list[bytes]) -> None:
    # serve decoded "gzip, chunked"'s neighbours ("chunked," and two fields of chunked, the last coding deciding) and answered the
    # rest 400; Go's parseTransferEncoding takes one field saying chunked alone, and its server answers any other 501
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(*(b"Transfer-Encoding: " + c for c in codings)) + chunked(data, [len(data)]))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (501, "NotImplemented"), answer
        assert answer["message"] == "Unsupported transfer encoding"  # (Go's words: what was sent is never quoted back)
        assert headers["connection"] == "close" and closes(s)
        assert rows(server) == 0


def test_two_transfer_encoding_fields_are_said_as_two_in_the_log_alone() -> None:
    data = body(1)
    with serving() as (server, log), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked") + chunked(data, [len(data)]))
        ((status, _, answer),) = answers(s, 1)
        assert (status, answer["message"]) == (501, "Unsupported transfer encoding")
        assert "Unsupported transfer encoding (2 Transfer-Encoding headers ('chunked', 'chunked')" in logged(log, " 501 ")


@pytest.mark.parametrize("coding", [b"chunked", b"CHUNKED", b"Chunked", b" \tchunked \t"])
def test_one_field_saying_chunked_in_any_ascii_case_is_decoded(coding: bytes) -> None:
    data = body(2)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: " + coding) + chunked(data, [5, len(data) - 5]))
        ((status, _, answer),) = answers(s, 1)
        assert (status, answer["success_count"]) == (200, 2), answer


# ---------------------------------------------------------------------------------------
# 2. An HTTP/1.0 request's Transfer-Encoding is ignored: its body is read by its Content-Length (Go's issue 12785)


@pytest.mark.parametrize("coding", [b"chunked", b"gzip", b"gzip, chunked"])
def test_an_http_1_0_requests_transfer_encoding_is_ignored_and_its_body_read_by_its_content_length(coding: bytes) -> None:
    # serve answered 400 ("an HTTP/1.0 request has none", RFC 9112 6.1); Go's server reads the body by its length
    data = body(2)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: " + coding, b"Content-Length: %d" % len(data), b"Connection: keep-alive", version=b"HTTP/1.0") + data)
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["success_count"]) == (200, 2), answer
        assert headers["connection"] == "keep-alive"  # (the body's end known: the connection kept, as asked)
        assert rows(server) == 2


def test_an_http_1_0_request_whose_content_length_is_short_says_so_though_it_has_a_transfer_encoding() -> None:
    # (the Transfer-Encoding is out of the headers the route reads, as Go takes it out of Request.Header: the cut is said)
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked", b"Content-Length: 20", version=b"HTTP/1.0") + data)
        ((status, _, answer),) = answers(s, 1)
        assert status == 400 and "20 bytes its Content-Length says" in answer["message"], answer


# ---------------------------------------------------------------------------------------
# 3. chunked with a Content-Length beside it: the length is checked, then dropped (Go's fixLength), the connection kept


def test_a_chunked_body_with_a_content_length_is_read_by_its_chunks_and_the_connection_kept() -> None:
    # serve closed the connection after the answer (RFC 9112 6.3); Go's server drops the length and keeps it
    data = body(2)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Content-Length: 5", b"Transfer-Encoding: chunked") + chunked(data, [len(data)]))
        s.sendall(head(b"Content-Length: %d" % len(body(1, 5)), b"Connection: close") + body(1, 5))
        (status, headers, answer), (status2, _, answer2) = answers(s, 2)
        assert (status, answer["success_count"]) == (200, 2) and headers.get("connection") != "close", (headers, answer)
        assert (status2, answer2["success_count"]) == (200, 1)
        assert rows(server) == 3


@pytest.mark.parametrize("lengths", [[b"abc"], [b"-1"], [b"5", b"6"], [b"9223372036854775808"]])
def test_a_chunked_body_with_a_content_length_that_is_no_length_is_400(lengths: list[bytes]) -> None:
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(*(b"Content-Length: " + n for n in lengths), b"Transfer-Encoding: chunked") + chunked(data, [len(data)]))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and "Content-Length" in answer["message"], answer
        assert headers["connection"] == "close"
        assert rows(server) == 0


# ---------------------------------------------------------------------------------------
# 4. A Content-Length beyond 2**63-1 is no length (strconv.ParseUint(cl, 10, 63)): 400, not 413


@pytest.mark.parametrize("length", [b"9223372036854775808", b"18446744073709551616", b"1" * 5000], ids=["2**63", "2**64", "5000-digits"])
def test_a_content_length_beyond_an_int64_is_400_as_the_service_answers_it(length: bytes) -> None:
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Content-Length: " + length))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest"), answer
        assert answer["message"].startswith("the Content-Length must be one number of bytes, digits 0-9 up to 9,223,372,036,854,775,807 (2**63-1")
        assert headers["connection"] == "close"


def test_a_content_length_of_2_to_the_63_minus_1_is_a_length_too_large_413() -> None:
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"POST " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 0009223372036854775807\r\n\r\n")
        ((status, _, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (413, "RequestEntityTooLarge"), answer


# ---------------------------------------------------------------------------------------
# 5. A head bounded by its bytes alone: 1 MiB and 4 KiB (Go's DefaultMaxHeaderBytes and initialReadLimitSize's slop)


def _get_head(pad: int, lines: bytes = b"") -> bytes:
    """A GET's head: its request line, Host, ``lines`` and an X-Pad header of ``pad`` bytes, and the empty line."""
    return b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n" + lines + b"X-Pad: " + b"p" * pad + b"\r\n\r\n"


def test_a_head_of_many_header_lines_is_served_as_the_service_serves_it() -> None:
    # serve answered 431 to a 100th header line (http.client's limit); Go's server has no limit on their number
    with serving() as (server, _), connect(server) as s:
        s.sendall(_get_head(1, b"".join(b"X-%d: 1\r\n" % i for i in range(2000))))
        ((status, _, answer),) = answers(s, 1)
        assert status == 200 and answer["sinks"], answer


def test_a_header_line_over_64_kib_is_served_as_the_service_serves_it() -> None:
    # serve answered 431 to a header line over 65,536 bytes (http.client's limit); Go's server has no limit on a line's length
    with serving() as (server, _), connect(server) as s:
        s.sendall(_get_head(500_000))
        ((status, _, answer),) = answers(s, 1)
        assert status == 200 and answer["sinks"], answer


def _head_of(size: int, lines: bytes = b"") -> bytes:
    """A GET's head of ``size`` bytes in all: ``lines`` and X-Pad headers of 50,000 bytes at most (under http.client's limits)."""
    pads = []
    left = size - len(_get_head(0, lines))
    while left > 50_000 + 12:
        pads.append(b"X-Pad%03d: " % len(pads) + b"p" * 50_000 + b"\r\n")
        left -= len(pads[-1])
    head = _get_head(left, lines + b"".join(pads))
    assert len(head) == size
    return head


def test_a_head_of_1_mib_and_4_kib_is_served_and_one_byte_more_is_431() -> None:
    # (serve counted the bytes read while reading the head, a buffer of the body read with it too, against 1 MiB and 8 KiB)
    most = (1 << 20) + 4096
    with serving() as (server, _log):
        with connect(server) as s:  # (a body after it, read with it, counts nothing against it: read away, the route takes none)
            s.sendall(_head_of(most, b"Content-Length: 10000\r\n") + b"b" * 10000)
            ((status, _, answer),) = answers(s, 1)
            assert status == 200 and answer["sinks"], answer
        with connect(server) as s:
            s.sendall(_head_of(most + 1))
            ((status, headers, answer),) = answers(s, 1)
            assert (status, answer["code"]) == (431, "RequestHeaderFieldsTooLarge"), answer
            assert answer["message"] == "the request line and headers are over 1,052,672 bytes (1 MiB and 4 KiB), the most this server reads, as the service"
            assert headers["connection"] == "close"


def test_a_request_line_over_64_kib_is_served_as_the_service_serves_it() -> None:
    # serve (http.server) answered 414 to a request line over 65,536 bytes; Go's server reads it as a header line, with
    # no bound of its own: the head's bytes alone are bounded (431 beyond), an empty line before it (after a POST) or not
    target = b"/v2/sinks/" + b"s" * 100_000
    post = b"POST /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"  # (405: the connection kept)
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + post + b"\r\nGET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        (status, _, answer), (posted, _, _), (status2, _, answer2) = answers(s, 3)
        assert (status, answer["code"]) == (404, "ResourceNotFound"), answer
        assert posted == 405 and (status2, answer2) == (status, answer)
    most = (1 << 20) + 4096
    for blank, n in ((b"", most - 17), (b"\r\n", most - 17), (b"", most), (b"\r\n", most)):
        with serving() as (server, _), connect(server) as s:
            line = b"GET /" + b"a" * n + b" HTTP/1.1\r\n"  # (most - 17: with the empty line that ends the head, one byte over)
            s.sendall(post + blank + line + b"\r\n")
            (posted, _, _), (status, headers, answer) = answers(s, 2)
            assert posted == 405 and (status, answer["code"]) == (431, "RequestHeaderFieldsTooLarge"), answer
            assert headers["connection"] == "close"


# ---------------------------------------------------------------------------------------
# 6. An empty line before a request line: read away after a POST on the connection alone, up to 4 CR or LF bytes (Go's
# readRequest: lastMethod == "POST", numLeadingCRorLF of a Peek(4)); anywhere else it is the request line: 400, closed

_GET = b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize("blank", [b"\r\n", b"\n", b"\r\n\r\n"], ids=["crlf", "lf", "two"])
def test_an_empty_line_as_a_connections_first_bytes_is_a_400_as_the_service_answers_it(blank: bytes) -> None:
    # serve read one empty line away wherever it came (RFC 9112 2.2), and closed the connection unanswered at a second one
    with serving() as (server, _), connect(server) as s:
        s.sendall(blank + _GET)
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("malformed HTTP request: the request line is empty")
        assert headers["connection"] == "close" and closes(s)


def test_an_empty_line_after_a_get_is_a_400_and_after_a_post_is_read_away() -> None:
    with serving() as (server, _):
        with connect(server) as s:
            s.sendall(_GET + b"\r\n" + _GET)
            (first, _, _), (status, _, answer) = answers(s, 2)
            assert (first, status, answer["code"]) == (200, 400, "BadRequest"), answer
            assert closes(s)
        with connect(server) as s:  # (a POST refused, 405, is a POST all the same: Go's lastMethod is the request's method)
            s.sendall(head(b"Content-Length: %d" % len(body(1))) + body(1) + b"\r\n" + b"POST /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + b"\r\n" + _GET)
            (stored, _, _), (refused, _, _), (status, _, answer) = answers(s, 3)
            assert (stored, refused, status) == (200, 405, 200) and answer["sinks"], answer
            assert rows(server) == 1


@pytest.mark.parametrize(("blank", "served"), [(b"\r\r\r\n", True), (b"\n\n\n\n", True), (b"\r\n\r\n\r\n", False), (b"\n\n\n\n\n", False)])
def test_four_cr_or_lf_bytes_after_a_post_are_read_away_and_no_more(blank: bytes, served: bool) -> None:
    # (serve read one line away, then took a second empty line for the request line and closed the connection unanswered)
    post = b"POST /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    with serving() as (server, _), connect(server) as s:
        s.sendall(post + blank + _GET)
        (refused, _, _), (status, _, answer) = answers(s, 2)
        assert refused == 405 and status == (200 if served else 400), answer


@pytest.mark.parametrize(
    ("before", "blank", "says"),
    [
        (b"", b" \t\r\n", "the request line is white space alone (' \\t'), no method, target or version"),
        (b"POST", b"\r\n  \r\n", "the request line is white space alone ('  '), no method, target or version"),
        (b"POST", b"\r\n\r\n\r\n", "the request line is empty: after a POST the service's Go server reads away 4 CR or LF bytes"),
        (b"GET", b"\r\n", "the request line is empty (an empty line before a request line is read away after a POST on the connection alone"),
    ],
    ids=["blanks", "blanks-after-a-post", "five-after-a-post", "after-a-get"],
)
def test_a_blank_request_line_is_said_as_what_came(before: bytes, blank: bytes, says: str) -> None:
    # (each was said "the request line is empty (an empty line ... is read away after a POST ...)": a line of spaces is not
    # empty, and after a POST the line ends past the 4 Go reads away were said as if they would have been read away)
    first = b"" if not before else before + b" /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    with serving() as (server, _), connect(server) as s:
        s.sendall(first + blank + _GET)
        *_, (status, _, answer) = answers(s, 2 if before else 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("malformed HTTP request: " + says), answer
        assert closes(s)


def test_a_crlf_after_a_post_then_silence_is_an_idle_connection_closed_unanswered_not_a_408() -> None:
    # (the old client's CRLF the tolerance reads away was counted as a request's head begun: when the connection then idled,
    # it was answered 408 "the request line and headers did not arrive", and logged so, where nothing of a request came)
    data = body(1)
    with serving(idle_timeout=0.5) as (server, log), connect(server) as s:
        s.sendall(head(b"Content-Length: %d" % len(data)) + data)
        ((status, _, _),) = answers(s, 1)
        s.sendall(b"\r\n")  # (after the answer: in the next request's time, as an old client sends it)
        assert status == 200 and closes(s)
        assert not [line for line in log if " 408 " in line], log


# ---------------------------------------------------------------------------------------
# 7. A chunked body's trailer: at most 4 KiB with the empty line that ends it, however many lines (Go's body.readTrailer finds
# the double CRLF within its reader's buffer); beyond, the body cannot be read: 400 and closed, never 431 (a head's status)


def _trailer(size: int) -> bytes:
    """Trailer lines of ``size`` bytes in all, the empty line ending them included: lines of ``X-T: 1``, the last padded."""
    lines = [b"X-T: 1\r\n"] * ((size - 2) // 8 - 1)
    pad = size - 2 - 8 * len(lines)
    return b"".join(lines) + b"X-P: " + b"p" * (pad - 7) + b"\r\n"


def test_a_trailer_of_4_kib_is_read_however_many_its_lines() -> None:
    # (serve refused a 101st trailer line 431, and read 100 lines of 8 KiB)
    data = body(1)
    assert len(_trailer(4096) + b"\r\n") == 4096 and _trailer(4096).count(b"\r\n") > 500
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + chunked(data, [len(data)], trailers=_trailer(4096)) + _GET)
        (status, _, answer), (status2, _, _) = answers(s, 2)
        assert (status, answer["success_count"], status2) == (200, 1, 200), answer


@pytest.mark.parametrize("trailer", [_trailer(4097), b"X-Big: " + b"b" * 5000 + b"\r\n"], ids=["lines", "one-line"])
def test_a_trailer_over_4_kib_is_a_400_and_closed_as_the_service_reads_it(trailer: bytes) -> None:
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + chunked(data, [len(data)], trailers=trailer))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest"), answer
        assert answer["message"].startswith("the trailer after the chunked body's last chunk is over 4,096 bytes")
        assert headers["connection"] == "close" and closes(s)
        assert rows(server) == 0


@pytest.mark.parametrize(
    ("trailer", "says"),
    [
        (b"bogus\r\n", "a line with no colon after 'bogus'"),
        (b" X-A: 1\r\n", "its first line starts with white space"),
        (b"X(A): 1\r\n", "the name 'X(A)' holds a character a field name cannot"),
        (b"X-A: a\x01b\r\n", "the field 'X-A' holds the control character '\\x01' in its value"),
        (b"X-A: 1\r\n\tb\x7f\r\n", "the field 'X-A' holds the control character '\\x7f' in its value"),
        (b"X-A: 1\n", "it does not end in CRLF and an empty line"),
        (b"", "it does not end in CRLF and an empty line"),
    ],
    ids=["no-colon", "folded-first", "name", "control", "folded-control", "bare-lf", "bare-lf-empty"],
)
def test_a_trailer_go_cannot_read_as_fields_is_a_400_and_closed(trailer: bytes, says: str) -> None:
    # serve read trailer lines and ignored them, whatever they held, and stored the body; Go's readTrailer reads them with
    # textproto's ReadMIMEHeader, after finding the CRLF CRLF that ends them, and fails the body's read
    data = body(1)
    end = b"\n" if trailer in (b"", b"X-A: 1\n") else b"\r\n"
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + chunked(data, [len(data)])[:-2] + trailer + end)
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest"), answer
        assert answer["message"].startswith("the trailer after the chunked body's last chunk cannot be read: " + says), answer["message"]
        assert headers["connection"] == "close" and rows(server) == 0


def test_trailer_fields_go_reads_are_taken_folded_lines_and_spaces_in_a_name_too() -> None:
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + chunked(data, [len(data)], trailers=b"X-A: 1\r\n\tmore\r\nX B : \xc3\xa9\t2\r\n") + _GET)
        (status, _, answer), (status2, _, _) = answers(s, 2)
        assert (status, answer["success_count"], status2) == (200, 1, 200), answer


@pytest.mark.parametrize("named", [b"Content-Length", b"x-a, transfer-encoding", b"TRAILER"])
def test_a_trailer_header_naming_a_framing_field_is_a_400_and_closed_as_the_service_answers_it(named: bytes) -> None:
    # Go's fixTrailer: "bad trailer key", before the Host checks; serve stored the body
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked", b"Trailer: " + named) + chunked(data, [len(data)]))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("bad trailer key: "), answer
        assert headers["connection"] == "close" and closes(s)
        assert rows(server) == 0
    with serving() as (server, _), connect(server) as s:  # (a Trailer naming other fields, or beside a Content-Length: served)
        s.sendall(head(b"Trailer: X-Sum, X-Other", b"Content-Length: %d" % len(data)) + data)
        ((status, _, answer),) = answers(s, 1)
        assert (status, answer["success_count"]) == (200, 1)


# ---------------------------------------------------------------------------------------
# 8. A Transfer-Encoding refused 501 closes the connection with the body unread, as Go's conn.serve does


def test_a_501_closes_the_connection_without_waiting_for_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    # serve read the declared body away first (up to 2 s a read: here 30, so a wait for it shows as the socket's time out)
    monkeypatch.setattr(mapper.serve, "LINGER", 30.0)
    with serving() as (server, log), connect(server) as s:
        s.settimeout(3)
        s.sendall(head(b"Transfer-Encoding: gzip", b"Content-Length: 100000"))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["message"], headers["connection"]) == (501, "Unsupported transfer encoding", "close")
        assert closes(s)


# ---------------------------------------------------------------------------------------
# 9. The request line as Go's readRequest reads it: cut at its first two spaces (parseRequestLine), a method any token
# (validMethod: handed to the handler, any case), a version HTTP/d.d (ParseHTTPVersion); else 400 and closed


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"GET  /v2/sinks HTTP/1.1", "malformed HTTP request"),
        (b"GET\t/v2/sinks HTTP/1.1", "malformed HTTP request"),
        (b"GET /v2/sinks HTTP/1.1 ", "malformed HTTP request"),
        (b"GET /v2/sinks\tHTTP/1.1", "malformed HTTP request"),
        (b"GET /v2/sinks HTTP/1.10", "malformed HTTP version ('HTTP/1.10')"),
        (b"GET /v2/sinks HTTP/01.1", "malformed HTTP version ('HTTP/01.1')"),
        (b"G(T /v2/sinks HTTP/1.1", "invalid method ('G(T')"),
        (b"G\x01T /v2/sinks HTTP/1.1", "invalid method ('G\\x01T')"),
    ],
)
def test_a_request_line_go_cannot_read_is_a_400_and_closed(line: bytes, says: str) -> None:
    # serve (http.server) split the line at any white space and read 1.10 as a version: served (200); a method no token was 501
    with serving() as (server, _), connect(server) as s:
        s.sendall(line + b"\r\nHost: 127.0.0.1\r\n\r\n")
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and says in answer["message"], answer
        assert headers["connection"] == "close" and closes(s)


@pytest.mark.parametrize("method", [b"get", b"Post", b"TRACE", b"BREW", b"M-SEARCH"])
def test_any_method_is_routed_as_go_hands_it_to_the_handler_405_on_a_known_path_and_404_elsewhere(method: bytes) -> None:
    # serve answered 501 to every method http.server had no do_ for (get, TRACE): Go's server answers none 501
    with serving() as (server, _), connect(server) as s:
        s.sendall(
            method + b" /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n" + method + b" /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + _GET
        )
        (status, headers, answer), (status2, _, answer2), (status3, _, _) = answers(s, 3)
        assert (status, answer["code"], headers["allow"]) == (405, "MethodNotAllowed", "GET, HEAD"), answer
        assert answer["message"].startswith(method.decode() + " is not allowed on /v2/sinks")
        assert (status2, answer2["code"], status3) == (404, "ResourceNotFound", 200), answer2


# ---------------------------------------------------------------------------------------
# 10. A chunk's size line as Go's readChunkLine reads it: within its reader's 4 KiB buffer, CRLF its end and no CR before


@pytest.mark.parametrize(("total", "taken"), [(4096, True), (4097, False)])
def test_a_chunk_size_line_of_4_kib_with_its_crlf_is_read_and_one_byte_more_is_a_400(total: int, taken: bool) -> None:
    # (serve read size lines of up to 8,192 bytes)
    data = body(1)
    size = b"%x;" % len(data)
    line = size + b"e" * (total - len(size) - 2) + b"\r\n"
    assert len(line) == total
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + line + data + b"\r\n0\r\n\r\n")
        ((status, headers, answer),) = answers(s, 1)
        if taken:
            assert (status, answer["success_count"]) == (200, 1), answer
        else:
            assert (status, answer["code"]) == (400, "BadRequest") and "longer than 4,096 bytes" in answer["message"], answer
            assert headers["connection"] == "close" and rows(server) == 0


@pytest.mark.parametrize("framing", [b"%x\n{data}\r\n0\r\n\r\n", b"%x\r\r\n{data}\r\n0\r\n\r\n", b"%x\r\n{data}\r\n0\n\r\n", b"%x\r;x\r\n{data}\r\n0\r\n\r\n"])
def test_a_chunk_size_line_ending_in_a_bare_lf_or_holding_a_cr_is_a_400_as_the_service_reads_it(framing: bytes) -> None:
    # serve read a bare LF as a line's end and a CR before it as white space, and stored the body; Go's readChunkLine refuses both
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + (framing % len(data)).replace(b"{data}", data))
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("a chunk's size line must end in CRLF"), answer
        assert headers["connection"] == "close" and closes(s)
        assert rows(server) == 0


@pytest.mark.parametrize("line", [b"%x\n", b"%x\r;x\r\n", b"%x\x01\r\n"])
def test_a_refused_chunk_size_line_is_quoted_as_sent_its_line_end_and_control_characters_escaped_once(line: bytes) -> None:
    # (each was escaped twice: printable's escape quoted with repr, so a bare LF was said '155\\n', a backslash too many)
    data = body(1)
    sent = line % len(data)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + sent + data + b"\r\n0\r\n\r\n")
        ((status, _, answer),) = answers(s, 1)
        assert status == 400, answer
        shown = sent.decode("latin-1") if b"\x01" not in sent else sent.rstrip(b"\r\n").decode("latin-1")
        assert f"not {shown!r}" in answer["message"], answer


@pytest.mark.parametrize("version", [b"HTTP/0.9", b"HTTP/0.5"])
def test_an_http_0_x_version_said_is_505_as_the_service_answers_it(version: bytes) -> None:
    # Go reads the version, then refuses a major version other than 1 (http1ServerSupportsRequest): 505; serve answered
    # HTTP/0.9 400 and served HTTP/0.5 as HTTP/1.0 (a line without a version, HTTP/0.9's own, is 400 to both)
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"GET /v2/sinks " + version + b"\r\nHost: 127.0.0.1\r\n\r\n")
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (505, "HTTPVersionNotSupported"), answer
        assert answer["message"].startswith("Invalid HTTP version (0.") and headers["connection"] == "close"


@pytest.mark.parametrize("framing", [b"Transfer-Encoding: gzip", b"Content-Length: x", b"Transfer-Encoding: chunked\r\nTrailer: Content-Length"])
def test_two_host_headers_are_refused_before_the_framing_as_go_reads_them(framing: bytes) -> None:
    # Go's readRequest says "too many Host headers" before readTransfer reads the framing; serve answered the framing's 501 or 400
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"POST " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n" + framing + b"\r\n\r\n")
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("too many Host headers: the request has 2"), answer
        assert headers["connection"] == "close"


# ---------------------------------------------------------------------------------------
# 11. An absolute-form target with no path: Go's URL has an empty path, which its ServeMux cleans to / and redirects to


@pytest.mark.parametrize(("target", "location"), [(b"http://127.0.0.1", b"/"), (b"http://localhost?x=1", b"/?x=1"), (b"HTTP://127.0.0.1:9", b"/")])
def test_an_absolute_form_target_without_a_path_is_a_301_to_slash_as_gos_servemux_answers_it(target: bytes, location: bytes) -> None:
    # serve read it as the path / and answered 404 "no such resource: /"
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 301 ") and b"\r\nLocation: " + location + b"\r\n" in reply, reply[:300]


# ---------------------------------------------------------------------------------------
# 8. What the client sent, quoted in a message: each character a terminal would act on escaped once, by repr (printable's
# escapes, quoted with repr, were said with two backslashes: a right-to-left override, U+202E, sent as UTF-8 was said '\\u202e')


def test_a_301s_body_quotes_the_target_its_characters_escaped_once() -> None:
    # (each is given the target as http.server reads it, Latin-1: here a right-to-left override sent as UTF-8. The server
    # percent-escapes a target's bytes beyond ASCII and refuses a control character before these, so none reaches them yet)
    rlo = "\u202e".encode().decode("latin-1")
    moved = mapper.serve._no_path_redirect("foo:bar" + rlo, "")
    assert b"the request target 'foo:bar\\u202e' names a scheme and no path" in moved.body, moved.body
    moved = mapper.serve._clean_path_redirect("//v2/sinks" + rlo, "/v2/sinks" + rlo, "")
    assert b"the path '//v2/sinks\\u202e' is not clean (an empty segment, . or ..): moved to '/v2/sinks\\u202e'," in moved.body, moved.body


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (b"v2/\xe2\x80\xae", "the request target 'v2/\\u202e' is not a path"),
        (b"http://127.0.0.1:\xe2\x80\xae/v2/sinks", "the request target's host '127.0.0.1:\\u202e' is malformed: its port ':\\u202e' is not digits"),
        (b"http://a{\xe2\x80\xae@127.0.0.1/v2/sinks", "the request target's host 'a{\\u202e@127.0.0.1' is malformed: its user 'a{\\u202e' holds a character"),
        (b"http://127.0.0.1:\xff/v2/sinks", "the request target's host '127.0.0.1:\\xff' is malformed: its port ':\\xff' is not digits"),
    ],
    ids=["not-a-path", "port", "user", "not-utf8"],
)
def test_a_refused_targets_message_quotes_it_its_characters_escaped_once(target: bytes, says: str) -> None:
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        ((status, _, answer),) = answers(s, 1)
    assert status == 400 and answer["message"].startswith(says), answer["message"]


def test_a_refused_trailers_field_name_is_quoted_its_characters_escaped_once() -> None:
    data = body(1)
    with serving() as (server, _), connect(server) as s:
        s.sendall(head(b"Transfer-Encoding: chunked") + chunked(data, [len(data)], trailers=b"X-\x01\xff: 1\r\n"))
        ((status, _, answer),) = answers(s, 1)
    assert status == 400 and "the name 'X-\\x01\\xff' holds a character a field name cannot" in answer["message"], answer["message"]


# 12. A request Go's readRequest refuses (a Host missing or malformed, two of them, a header value, a Content-Length that is
# no number, a target no URI) is answered and closed with its body unread, as Go's conn.serve closes it


@pytest.mark.parametrize(
    "lines",
    [
        b"POST /v2/sinks/aircraft_positions HTTP/1.1",
        b"POST /v2/sinks/aircraft_positions HTTP/1.1\r\nHost: a b",
        b"POST /v2/sinks/aircraft_positions HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: localhost",
        b"POST /v2/sinks/aircraft_positions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trace: a\x01",
        b"POST /v2/sinks/a%zz HTTP/1.1\r\nHost: 127.0.0.1",
    ],
    ids=["no-host", "bad-host", "two-hosts", "control-character", "bad-target"],
)
def test_a_request_refused_as_go_reads_it_is_closed_with_its_body_unread(monkeypatch: pytest.MonkeyPatch, lines: bytes) -> None:
    # serve read the body away first (LINGER: 2 s a pause), then closed; the body never comes here, and the pause is made longer
    # than the socket's timeout, so a server that waits for it is seen
    monkeypatch.setattr(mapper.serve, "LINGER", 60.0)
    with serving() as (server, _), connect(server) as s:
        s.sendall(lines + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        ((status, headers, _),) = answers(s, 1)
        assert status == 400 and headers["connection"] == "close"
        assert closes(s)  # (at once: within the socket's 5 s, not after the body's 60 s)


# ---------------------------------------------------------------------------------------
# 13. CONNECT: handed to the handler as any method (its target an authority, host:port, read as http://host:port: a URL with
# a host and no path), which Go's ServeMux neither cleans nor redirects: no route takes it, 404, or 405 where / has one


def _get_root(app: mapper.serve.App, req: mapper.serve.Request) -> mapper.serve.Response:
    return mapper.serve.Response(200, b"{}")


def test_connect_is_routed_as_go_routes_it_not_501() -> None:
    # serve answered 501 Unsupported method and closed; Go's server hands a CONNECT (no Host needed) to its handler
    with serving() as (server, log), connect(server) as s:
        s.sendall(b"CONNECT 127.0.0.1:8080 HTTP/1.1\r\n\r\n")  # (no Host: Go's readRequest asks none of a CONNECT)
        s.sendall(b"CONNECT /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # (a path, net/rpc's form: matched, not cleaned)
        s.sendall(b"CONNECT //v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
        (status, headers, answer), (status2, headers2, answer2), (status3, _, _) = answers(s, 3)
        assert (status, answer["code"]) == (404, "ResourceNotFound") and "connection" not in headers, (headers, answer)
        assert answer["message"].startswith("no such resource: 127.0.0.1:8080 (CONNECT names a host and port, and no path"), answer
        assert (status2, headers2["allow"]) == (405, "GET, HEAD") and "connection" not in headers2, answer2
        assert status3 == 404  # (not redirected to /v2/sinks: a CONNECT's path is not cleaned)
        server.app.add_route("GET", r"/", _get_root)  # (a route on /, as the web UI's: the authority's CONNECT is a 405)
        s.sendall(b"CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n")
        ((status, headers, answer),) = answers(s, 1)
        assert (status, headers["allow"]) == (405, "GET, HEAD"), answer
        assert headers["connection"] == "close" and closes(s)
        assert "501" not in " ".join(log)


@pytest.mark.parametrize(("target", "status"), [(b"127.0.0.1:x", 400), (b"evil.example:443", 421), (b"*", 400)])
def test_a_connects_authority_is_read_as_a_urls_host(target: bytes, status: int) -> None:
    # (a port not digits: Go's url.ParseRequestURI refuses http://127.0.0.1:x; another host on a loopback address: serve's own
    # 421, as for an absolute-form target; * is Go ServeMux's 400)
    with serving() as (server, _), connect(server) as s:
        s.sendall(b"CONNECT " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        ((got, _, answer),) = answers(s, 1)
        assert got == status, answer


# ---------------------------------------------------------------------------------------
# 14. PRI * HTTP/2.0, the HTTP/2 connection preface: a request Go's HTTP/1 server takes (http1ServerSupportsRequest), with
# no Host (isH2Upgrade), and hands to its ServeMux, which answers a target * 400 and closes (no h2c unless configured)


def test_the_http2_preface_is_a_400_as_gos_servemux_answers_it_not_505() -> None:
    # serve answered 505 (http.server refuses any version from 2.0 on); any other request of HTTP/2.0 stays 505, as Go's
    with serving() as (server, log), connect(server) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # (the preface, then a SETTINGS frame)
        ((status, headers, answer),) = answers(s, 1)
        assert (status, answer["code"]) == (400, "BadRequest") and answer["message"].startswith("PRI * HTTP/2.0 (the HTTP/2 connection preface"), answer
        assert headers["connection"] == "close" and closes(s)
        assert "PRI * 400 BadRequest" in logged(log, "PRI *")
    with serving() as (server, _):
        for line, status in ((b"PRI * HTTP/2.0\r\nX-A: 1", 400), (b"PRI /v2/sinks HTTP/2.0", 505), (b"GET /v2/sinks HTTP/2.0", 505), (b"PRI * HTTP/2.1", 505)):
            with connect(server) as s:
                s.sendall(line + b"\r\n\r\n")
                ((got, _, answer),) = answers(s, 1)
                # (a header but no Host: missing Host, as Go's readRequest asks one of an HTTP/2.0 request not the preface)
                assert got == status and (status != 400 or answer["message"].startswith("missing required Host header")), (line, answer)


# ---------------------------------------------------------------------------------------
# 15. An unread body read away to keep the connection as Go's server reads it (maxPostHandlerReadBytes, 256 KiB): a chunked
# one before the answer, kept when its data end within 256 KiB; a Content-Length of 256 KiB or more closes the connection


def _text_plain(*lines: bytes) -> bytes:
    return head(*lines).replace(b"Content-Type: application/json", b"Content-Type: text/plain")  # (refused 400 unread)


_NEXT = b"GET /v2/sinks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize(("size", "kept"), [(1000, True), (256 << 10, True), ((256 << 10) + 1, False)])
def test_a_chunked_body_refused_unread_keeps_the_connection_when_its_data_end_within_256_kib(size: int, kept: bool) -> None:
    # serve closed the connection after any chunked body refused unread (read away to its end first)
    data = b"x" * size
    with serving() as (server, _), connect(server) as s:
        s.sendall(_text_plain(b"Transfer-Encoding: chunked") + chunked(data, [size // 2, size - size // 2]) + (_NEXT if kept else b""))
        got = answers(s, 2 if kept else 1)
        ((status, headers, answer), *rest) = got
        assert (status, answer["code"]) == (400, "InvalidContentType"), answer
        if kept:
            assert "connection" not in headers and rest[0][0] == 200
        else:
            assert headers["connection"] == "close" and closes(s)  # (said in the answer, as Go's says it)


@pytest.mark.parametrize(("size", "kept"), [((256 << 10) - 1, True), (256 << 10, False)])
def test_a_content_length_body_refused_unread_keeps_the_connection_below_256_kib(size: int, kept: bool) -> None:
    # serve kept the connection for a body up to four times --max-body-bytes (4 MB by default), Go's server below 256 KiB
    with serving() as (server, _), connect(server) as s:
        s.sendall(_text_plain(b"Content-Length: %d" % size) + b"x" * size + (_NEXT if kept else b""))
        ((status, headers, _), *rest) = answers(s, 2 if kept else 1)
        assert status == 400 and (headers.get("connection") == "close") is not kept
        if kept:
            assert rest[0][0] == 200
        else:
            assert closes(s)
