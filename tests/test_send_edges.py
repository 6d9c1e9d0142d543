"""``mapper send`` and ``mapper.Sender`` at the edges of HTTP framing and of the service's states.

Fault servers are the raw socket endpoint of test_send_faults (127.0.0.1, a thread per
connection); every wait is bounded well under a second or two.
"""

from __future__ import annotations

import email.utils
import re
import socket
import time
from collections import Counter
from typing import Any

import orjson
import pytest
from test_send_faults import BODY, answer, endpoint, success
from test_send_serve import EXIT_USAGE, SINK, SINK_ID, aircraft, main_in_process, request, serving

import mapper
from mapper.endpoint import ServiceError, encode_body

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

    timeout = 5.0  # (what the bug waited: far past what reading a head takes, even on a loaded machine)
    with endpoint(odd) as fake, mapper.Sender(fake.url, timeout=timeout, retries=0) as sender:
        t0 = time.monotonic()
        with pytest.raises(ServiceError) as info:  # (not a lost answer: with no retries, the bug's wait ended in one)
            sender.send(BODY)
        assert time.monotonic() - t0 < timeout / 2  # (not the --timeout)
        status = int(head.split()[1])
        assert info.value.status == status
        assert str(info.value).endswith("no per-record answer (an empty body) for a body of 1 record") if status == 204 else ("Not Modified" in str(info.value))
        ack: Any = sender.send(BODY)  # the next body: its own answer, not the bytes left of the last one
        assert ack.stored == 1 and ack.attempts == 1 and not ack.resent
    assert len(fake.bodies) == 2


# ---------------------------------------------------------------------------------------
# A sink still CREATING (the spec: only an ACTIVE sink takes data; a new one is CREATING for a
# few moments). mapper serve answers 400 InvalidParameter naming the state.


def test_a_sink_still_creating_is_waited_for_within_the_retries_and_nothing_is_counted_re_sent(tmp_path):
    # found by a bug hunt: a body sent right after POST /v1/sinks stopped the run on the 400, though
    # the sink turns ACTIVE a moment later: a producer that creates then sends had to sleep and guess
    now = [1_700_000_000.0]
    retried: list[str] = []

    def sleep(seconds: float) -> None:  # the backoff moves the store's clock, not the test's
        now[0] += seconds

    with serving(tmp_path, create_delay=2.0, store_clock=lambda: now[0]) as (server, _app, _store):
        assert request(server.url, "POST", "/v1/sinks", SINK.read_bytes())[2]["state"] == "CREATING"
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        with mapper.Sender(url, backoff=1.0, rand=lambda: 1.0, sleep=sleep, on_retry=lambda why, _d: retried.append(why)) as sender:
            ack = sender.send(encode_body([orjson.dumps(aircraft(1))]))
    assert ack.stored == 1 and ack.retries == 2 and not ack.resent  # (1 s, then 2 s: ACTIVE at 2 s)
    assert all(why.startswith("400 InvalidParameter: ") and "is CREATING" in why for why in retried)


def test_a_sink_that_stays_creating_stops_the_run_saying_so_and_what_to_do(tmp_path, capsys):
    # the wait is the retries' (--retries, --backoff): past them the run stops, naming the state, and
    # the body is not left in flight (the service said it stored nothing): a resume sends it afresh
    records = tmp_path / "r.ndjson"
    records.write_text("".join(orjson.dumps(aircraft(i)).decode() + "\n" for i in range(3)))
    with serving(tmp_path, create_delay=3600.0) as (server, _app, _store):
        assert request(server.url, "POST", "/v1/sinks", SINK.read_bytes())[2]["state"] == "CREATING"
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        t0 = time.monotonic()
        args = ("send", SINK, records, "--endpoint", url, "--retries", "2", "--backoff", "0.01", "--checkpoint", tmp_path / "ck", "--report", "json")
        rc, out, err = main_in_process(capsys, *args)
    report = orjson.loads(out)
    # the waits are the retries' (5-10 ms, then 10-20 ms), as each retry's line says; the whole run
    # (the sink compiled, three attempts) bounded apart, for a loaded machine (1.1 s once, under 1 s due)
    waits = [int(ms) for ms in re.findall(r"; retry \d of 2 in (\d+) ms\n", err)]
    assert len(waits) == 2 and all(w <= 20 for w in waits), err
    assert rc == EXIT_USAGE and time.monotonic() - t0 < 10
    assert "is CREATING" in report["error"] and "still CREATING after 3 attempts" in report["error"]
    assert "once GET /v2/sinks lists it ACTIVE" in report["error"]
    assert (report["retried"], report["sent"], report["stored"], report["resent"]) == (2, 0, 0, 0)
    assert orjson.loads((tmp_path / "ck").read_bytes())["in_flight"] is None


# ---------------------------------------------------------------------------------------
# A 2xx whose answer cannot be read


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        (b"<html><body>Accepted</body></html>", "no per-record answer (its body begins '<html><body>Accepted</body></html>')"),
        (b"", "no per-record answer (an empty body)"),
        (b'{"message": "ok \x1b[31m"}', 'no per-record answer (its body begins \'{"message": "ok \\x1b[31m"}\')'),
    ],
    ids=["html", "empty", "escape"],
)
def test_a_2xx_that_is_no_per_record_answer_says_what_came_and_is_not_called_a_refusal(tmp_path, capsys, payload, said):
    # found by a bug hunt: a 200 whose body is not the per-record answer (a proxy's page, another API
    # at a wrong path) stopped the run with "the service refused a body: ... no per-record answer":
    # neither what came nor that the body may well have been stored (it is left in flight)
    records = tmp_path / "r.ndjson"
    records.write_text("".join(orjson.dumps(aircraft(i)).decode() + "\n" for i in range(4)))

    def odd(conn: socket.socket, _head: bytes, body: bytes, n: int) -> None:
        answer(conn, 200, success(body) if n == 1 else payload)

    with endpoint(odd) as fake:
        args = ("send", SINK, records, "--endpoint", fake.url, "--body-records", 2, "--retries", 0, "--checkpoint", tmp_path / "ck", "--report", "json")
        rc, out, _err = main_in_process(capsys, *args)
    report = orjson.loads(out)
    assert rc == EXIT_USAGE and (report["sent"], report["stored"], report["records"]) == (2, 2, 4)  # (2 sent, 2 in doubt)
    assert report["in_doubt"] == [{"body": 2, "first": 2, "last": 3, "records": 2}]
    assert (
        report["error"]
        == f"the service's answer could not be read (the body may have been stored): 200 InvalidAnswer: the service answered 200 with {said} for a body of 2 records"
    )
    assert orjson.loads((tmp_path / "ck").read_bytes())["in_flight"] == {"first": 2, "last": 3}  # (a resume sends it again, counted re-sent)


# ---------------------------------------------------------------------------------------
# Nothing lost, whatever the endpoint does: every input record ends stored, refused with its reason
# (a dead letter), or re-sent and counted; the totals add up to the input at every stop.

N = 14  # records 5 and 11 are refused by pre-validation, r7 by the service
TIMEOUT = 1.0  # the runs' --timeout: the "slow" faults answer past it, every other answer well within it


def _faulty(fault: str, stored: Counter[str]) -> Any:
    """The endpoint: the second request meets ``fault``; ``stored`` counts each record's stores."""

    def handler(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        ids = [r["value"]["id"] for r in orjson.loads(body)["records"]]
        items = [{"status": "error", "error_code": "InvalidBody", "error_message": "sevens"} if i.endswith("7") else {"status": "success"} for i in ids]
        ok = orjson.dumps({"records": items})
        if not (n == 2 and fault in ("429-seconds", "503-date")):  # (those say "not stored"; the others stored it)
            stored.update(i for i in ids if not i.endswith("7"))
        if fault == "slow-twice" and n == 3:  # (the body's second attempt too: it is sent three times)
            time.sleep(TIMEOUT + 0.1)
            return answer(conn, 200, ok)
        if n != 2 or fault == "none":
            return answer(conn, 200, ok)
        if fault == "reset-mid-answer":  # (after the head and some of the answer: an answer lost)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(ok) + ok[:8])
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return "close"
        if fault == "429-seconds":
            return answer(conn, 429, b'{"code":"TooManyRequests","message":"slow down"}', b"Retry-After: 1\r\n")
        if fault == "503-date":
            return answer(conn, 503, b"", b"Retry-After: " + email.utils.formatdate(time.time() + 1, usegmt=True).encode() + b"\r\n")
        if fault == "200-not-json":
            return answer(conn, 200, b"<html>OK</html>")
        if fault in ("slow", "slow-twice"):  # past --timeout (from the body's end, which the sender wrote first): an answer lost, the body sent again
            time.sleep(TIMEOUT + 0.1)
            return answer(conn, 200, ok)
        if fault == "too-many-answers":
            return answer(conn, 200, orjson.dumps({"records": items * 2}))
        assert fault == "short-of-length"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(ok) + 40) + ok)
        return "close"

    return handler


@pytest.mark.parametrize(
    "fault", ["none", "reset-mid-answer", "429-seconds", "503-date", "200-not-json", "slow", "slow-twice", "too-many-answers", "short-of-length"]
)
def test_every_record_ends_stored_refused_or_counted_re_sent_whatever_the_endpoint_does(tmp_path, capsys, fault):
    lines = [orjson.dumps(aircraft(i)).decode() for i in range(N)]
    lines[5], lines[11] = "[1]", "{not json"
    records = tmp_path / "r.ndjson"
    records.write_text("\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.ndjson"
    stored: Counter[str] = Counter()
    with endpoint(_faulty(fault, stored)) as fake:
        args = ("send", SINK, records, "--endpoint", fake.url, "--body-records", 3, "--checkpoint", tmp_path / "ck", "--rejects", rejects)
        args += ("--timeout", TIMEOUT, "--backoff", 0.01, "--max-backoff", 0.05, "--retries", 2, "--report", "json", "-q")
        runs = []
        for _ in range(2):  # a run the fault stopped, then its resume
            rc, out, err = main_in_process(capsys, *args)
            t = orjson.loads(out)
            letters = [orjson.loads(line) for line in rejects.read_text().splitlines()]
            # at every stop: what was judged is sent, refused or in doubt, what was sent is answered, every refusal is a letter
            doubt = sum(d["records"] for d in t["in_doubt"])
            assert t["records"] == t["sent"] + t["refused_prevalidation"] + doubt and t["sent"] == t["stored"] + t["refused_service"], t
            assert len(letters) == t["refused_prevalidation"] + t["refused_service"]
            assert "Traceback" not in err and "http.client" not in err and "socket" not in err
            runs.append(rc)
            if rc != EXIT_USAGE:
                break
    assert runs[-1] == 1 and runs[:-1] == ([EXIT_USAGE] if fault in ("200-not-json", "too-many-answers") else [])
    assert (t["records"], t["stored"], t["refused_service"], t["refused_prevalidation"]) == (N, N - 3, 1, 2)
    assert sorted(d["record"] for d in letters) == [5, 7, 11]
    assert all(d.get("error_code") == "InvalidBody" for d in letters if d["source"] == "service")
    assert set(stored) == {f"r{i}" for i in range(N) if i not in (5, 7, 11)}  # every record the service takes is stored
    # and each record stored more than once is counted re-sent, once however often it was sent again (a
    # body whose answer was lost twice: "slow-twice", and any fault's on a loaded machine once its
    # --timeout was 0.3 s, where this oracle counted each store past the first, 6 for 3 records)
    assert t["resent"] == sum(1 for n in stored.values() if n > 1)
    assert fault != "slow-twice" or max(stored.values()) >= 3  # (its body was sent three times)
