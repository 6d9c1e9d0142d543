"""``mapper send`` and ``mapper.Sender`` against a fake endpoint that misbehaves (a bug hunt by fault injection).

The fake endpoint is a raw socket server on 127.0.0.1 (an OS-chosen port, a thread per
connection): it keeps every request body it read, and a handler decides each answer, so
a test can compare what arrived with what was sent. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import mapper
from mapper.errors import OptionError
from tests.cli_inproc import run_main

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SEED = ROOT / "examples" / "aircraft" / "records.ndjson"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

#: handler(connection, request head, request body, request number from 1): None to keep the
#: connection, "close" to close it
Handler = Callable[[socket.socket, bytes, bytes, int], Any]


class FakeEndpoint:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v2/sinks/aircraft_positions"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(15)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = next((int(v) for k, _, v in (x.partition(b":") for x in head.split(b"\r\n")[1:]) if k.strip().lower() == b"content-length"), 0)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.bodies.append(body)
                    n = len(self.bodies)
                if self.handler(conn, head, body, n) == "close":
                    return
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        close_listening(self.sock)

    def ids(self) -> Counter[str]:
        """How often each record id arrived."""
        with self.lock:
            return Counter(r["value"]["id"] for b in self.bodies for r in json.loads(b)["records"])


def close_listening(sock: socket.socket) -> None:
    """Close a listening socket and wake the thread blocked in its ``accept`` (a close alone leaves
    it blocked for good on Linux, with the socket: a test file's run left dozens of both)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@contextmanager
def endpoint(handler: Handler) -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint(handler)
    try:
        yield fake
    finally:
        fake.close()


def answer(conn: socket.socket, status: int, payload: bytes, headers: bytes = b"") -> None:
    conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (status, len(payload), headers) + payload)


def success(body: bytes) -> bytes:
    n = len(json.loads(body)["records"])
    return json.dumps({"success_count": n, "error_count": 0, "records": [{"status": "success"}] * n}).encode()


def stores(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
    answer(conn, 200, success(body))


def cli(*args: Any, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m mapper ARGS`` run in this process (:func:`tests.cli_inproc.run_main`; no traceback on its streams)."""
    return run_main(*args, timeout=timeout)


def report_of(proc: subprocess.CompletedProcess) -> dict[str, Any]:
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def write_records(path: Path, n: int) -> Path:
    """n copies of the seed's record, ids r0..r{n-1} (all accepted)."""
    base = json.loads(SEED.read_text().splitlines()[0])
    path.write_text("".join(json.dumps({**base, "id": f"r{i}"}) + "\n" for i in range(n)))
    return path


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "bad"),
    [
        ("http://127.0.0.1:{port}/v2/sinks/my sink", "' '"),  # was retried as a lost answer (a possible re-send), then "gave up"
        ("http://127.0.0.1:{port}/v2/sinks/caf\u00e9", "'\u00e9'"),  # was a UnicodeEncodeError traceback
        ("http://exa mple.com:{port}/v2/sinks/x", "' '"),  # was an InvalidURL traceback
    ],
)
def test_an_endpoint_url_a_request_cannot_carry_is_a_usage_error_naming_it(tmp_path, url, bad):
    with endpoint(stores) as fake:
        url = url.format(port=fake.port)
        with pytest.raises(OptionError, match="percent-encode") as info:
            mapper.Sender(url)
        assert bad in str(info.value) and url in str(info.value)
        records = write_records(tmp_path / "r.ndjson", 3)
        proc = cli("send", SINK, records, "--endpoint", url, "--retries", 2, "--backoff", 0.01)
        assert proc.returncode == EXIT_USAGE and "Traceback" not in proc.err, proc.err
        assert "percent-encode" in proc.err and url in proc.err
        assert fake.bodies == []


def test_the_timeout_bounds_the_whole_answer_not_each_read():
    # found by a bug hunt: --timeout bounded each read of the answer, so an endpoint (or a proxy)
    # dribbling its answer a byte at a time held a send for as long as it liked (--timeout 1:
    # 44 s for one body); the answer must be in within --timeout, else it is a lost answer
    def dribbles_first(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        payload = success(body)
        data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload
        if n > 1:
            return conn.sendall(data)
        for i in range(len(data)):  # ~25 s in all: stops when the client goes
            conn.sendall(data[i : i + 1])
            time.sleep(0.15)
        return "close"

    body = b'{"records":[{"value":{"id":"a"}},{"value":{"id":"b"}}]}'
    with endpoint(dribbles_first) as fake:
        # (the second attempt's answer too must be in within the timeout: 0.6 s left a busy machine
        # little room, a third attempt then; each read bounded alone, the first took ~25 s)
        sender = mapper.Sender(fake.url, timeout=2, backoff=0.01, retries=2)
        t0 = time.monotonic()
        ack = sender.send(body)
        took = time.monotonic() - t0
        sender.close()
    assert took < 10, took
    assert ack.stored == 2 and ack.attempts == 2
    assert ack.resent  # the dribbled answer was lost after the body was read: it may have been stored
    assert len(fake.bodies) == 2


def test_a_long_answer_on_a_connection_that_closes_after_it_is_read_whole():
    # http.client closes a connection that will close once the answer's head is in, and reads the
    # answer on through the socket's file: the answer read within a deadline must keep the socket
    # open as that file does (a 500-record answer is over 10 KB: past the first read)
    def answers_and_closes(conn: socket.socket, _head: bytes, _body: bytes, _n: int) -> str:
        payload = json.dumps({"records": [{"status": "success", "note": "x" * 100_000}]}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
        return "close"

    with endpoint(answers_and_closes) as fake, mapper.Sender(fake.url, retries=0) as sender:
        for _ in range(2):
            ack = sender.send(b'{"records":[{"value":{"id":"a"}}]}')
            assert ack.stored == 1 and ack.attempts == 1 and len(ack.answer["records"][0]["note"]) == 100_000


def scripted(script: list[str]) -> Handler:
    """Answers in turn as ``script`` says ("503", "400", "ok"), then "ok"."""

    def handler(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        what = script[n - 1] if n <= len(script) else "ok"
        if what == "503":
            answer(conn, 503, b'{"code":"Unavailable","message":"try later"}')
        elif what == "400":
            answer(conn, 400, b'{"code":"InvalidBody","message":"not taken"}')
        else:
            answer(conn, 200, success(body))

    return handler


@pytest.mark.parametrize("retries, said", [(0, "after 1 attempt: 503"), (1, "after 2 attempts: 503")])
def test_the_attempts_a_body_took_are_counted_in_the_stop_message(retries, said):
    with endpoint(scripted(["503"] * 3)) as fake, mapper.Sender(fake.url, retries=retries, backoff=0.01) as sender:
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert said in str(info.value) and len(fake.bodies) == retries + 1


@pytest.mark.parametrize("refusal", ["503", "400"])
def test_a_body_the_service_never_took_is_not_counted_as_re_sent_on_resume(tmp_path, refusal):
    # found by a bug hunt: the body in flight when a run stopped was counted as re-sent on resume
    # even when every attempt of it had been answered "not stored" (503s until the retries ran
    # out, a 400) or had not connected: each record arrived once, and the summary said 20 re-sent
    records = write_records(tmp_path / "r.ndjson", 50)
    checkpoint = tmp_path / "c.json"
    script = [refusal] * 3 if refusal == "503" else ["ok", refusal]
    with endpoint(scripted(script)) as fake:
        args = ["send", SINK, records, "--endpoint", fake.url, "--body-records", 20, "--checkpoint", checkpoint]
        args += ["--retries", 2, "--backoff", 0.01, "--report", "json"]
        first = cli(*args)
        assert first.returncode == EXIT_USAGE and report_of(first)["completed"] is False, first.err
        assert json.loads(checkpoint.read_text())["in_flight"] is None  # nothing of it may have been stored
        again = cli(*args)
        assert again.returncode == EXIT_OK, again.err
        t = report_of(again)
        stored_by_fake = fake.ids()  # each record's arrivals in bodies answered 200
        refused_bodies = [json.loads(b) for b, what in zip(fake.bodies, script) if what != "ok"]
        for b in refused_bodies:
            for r in b["records"]:
                stored_by_fake[r["value"]["id"]] -= 1
    assert t["sent"] == t["stored"] == 50 and t["resent"] == 0
    assert set(stored_by_fake.values()) == {1} and len(stored_by_fake) == 50


def test_the_totals_count_the_last_body_and_a_stopped_run_s_retries_and_time(tmp_path):
    # found by a bug hunt: seconds were taken after each group of records read, so a body sent
    # at the end (all of a small input) was not in them ("in 0.0 s" after a 0.5 s answer); and
    # the checkpoint kept the totals of the last acknowledged body, so the retries and the time
    # of a run that stopped were missing from the totals of the run that resumed it
    def slow(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        time.sleep(0.5)
        answer(conn, 200, success(body))

    records = write_records(tmp_path / "r.ndjson", 3)
    with endpoint(slow) as fake:
        proc = cli("send", SINK, records, "--endpoint", fake.url, "--report", "json")
    assert proc.returncode == EXIT_OK, proc.err
    assert report_of(proc)["seconds"] >= 0.5

    checkpoint = tmp_path / "c.json"
    with endpoint(scripted(["503"] * 3)) as fake:
        args = ["send", SINK, records, "--endpoint", fake.url, "--checkpoint", checkpoint, "--retries", 2, "--backoff", 0.2, "--report", "json"]
        first = report_of(cli(*args))
        assert first["retried"] == 2 and first["seconds"] >= 0.3 and first["completed"] is False  # two waits: >= 0.1 + 0.2 s
        t = report_of(cli(*args))
    assert t["completed"] is True and t["stored"] == 3
    assert t["retried"] == 2 and t["seconds"] >= 0.3  # cumulative over both runs (the second alone takes milliseconds)


@pytest.mark.parametrize("item", [{"status": "SUCCESS"}, {"status": "stored"}, {}, {"error_code": "InvalidBody"}])
def test_a_per_record_answer_of_an_unknown_status_is_an_invalid_answer_not_a_refusal(item):
    # found by a bug hunt: every answer item but "success" was taken for a refusal (error_code
    # "error" when it had none): an answer of another shape turned records the service may have
    # stored into dead letters "refused by the service", exit 1, where an item that is not an
    # object already stopped the run as an invalid answer (the body stays in flight)
    def answers(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        n = len(json.loads(body)["records"])
        answer(conn, 200, json.dumps({"records": [{"status": "success"}] * (n - 1) + [item]}).encode())

    with endpoint(answers) as fake:
        sender = mapper.Sender(fake.url, retries=0)
        with pytest.raises(mapper.ServiceError, match=r"InvalidAnswer.*answer 1 .*status") as info:
            sender.send(b'{"records":[{"value":{"id":"a"}},{"value":{"id":"b"}}]}')
        assert info.value.maybe_stored
        sender.close()


@pytest.mark.parametrize("status", [400, 503])
def test_the_service_s_words_reach_the_terminal_with_their_control_characters_escaped(tmp_path, status):
    # found by a bug hunt: the code and message of an error answer were printed as they came, so
    # an endpoint (or whatever answers at its address) could clear the screen, retitle the
    # terminal or rewrite the line before (serve's log already escapes what a client sends)
    said = {"code": "InvalidBody\x1b[2J", "message": "bad\r\x1b]0;owned\x07 value\u202e"}

    def hostile(conn: socket.socket, _head: bytes, _body: bytes, _n: int) -> None:
        answer(conn, status, json.dumps(said).encode())

    records = write_records(tmp_path / "r.ndjson", 2)
    with endpoint(hostile) as fake:
        proc = cli("send", SINK, records, "--endpoint", fake.url, "--retries", 0, "--report", "json")
    assert proc.returncode == EXIT_USAGE
    assert not any(c in proc.err for c in "\x1b\x07\r\u202e"), repr(proc.err)
    assert "InvalidBody\\x1b[2J: bad\\r\\x1b]0;owned\\x07 value\\u202e" in proc.err
    assert "InvalidBody\x1b[2J: bad\r\x1b]0;owned\x07 value\u202e" in report_of(proc)["error"]  # the JSON report keeps them, escaped by JSON


@pytest.mark.parametrize("status", [301, 307, 308])
def test_a_redirect_stops_the_run_naming_where_it_points(tmp_path, status):
    # found by a bug hunt: a redirect (an http:// endpoint moved to https://, a sink moved) stopped
    # the run with "307 HTTP307: " and nothing more; it is not followed (the body and the token
    # would go where the answer says), so the message must say where it points
    def moved(conn: socket.socket, _head: bytes, _body: bytes, _n: int) -> None:
        answer(conn, status, b"", b"Location: https://elsewhere.example/v2/sinks/aircraft_positions\r\n")

    records = write_records(tmp_path / "r.ndjson", 2)
    with endpoint(moved) as fake:
        proc = cli("send", SINK, records, "--endpoint", fake.url, "--retries", 3, "--backoff", 0.01)
        assert len(fake.bodies) == 1  # not retried
    assert proc.returncode == EXIT_USAGE
    assert f"{status} " in proc.err and "https://elsewhere.example/v2/sinks/aircraft_positions" in proc.err
    assert "--endpoint" in proc.err


def test_the_token_is_not_shown_when_the_answer_echoes_the_request(tmp_path):
    # found by a bug hunt: an answer that repeats the request's headers (a debugging proxy, a
    # misconfigured gateway, an echo service at a wrong URL) put the bearer token on stderr, in
    # the JSON report and in the dead letters, which are documented never to show it
    secret = "tok-9c1e7a-never-print-me"

    def echoes(conn: socket.socket, head: bytes, body: bytes, n: int) -> None:
        said = head.decode("latin-1")
        if n == 1:  # per record: the second record refused with the request's head as the reason
            k = len(json.loads(body)["records"])
            items = [{"status": "success"}] * (k - 1) + [{"status": "error", "error_code": "InvalidBody", "error_message": said}]
            return answer(conn, 200, json.dumps({"records": items}).encode())
        return answer(conn, 503 if n == 2 else 400, json.dumps({"code": "Echo", "message": said}).encode())

    records = write_records(tmp_path / "r.ndjson", 4)
    rejects = tmp_path / "rejects.ndjson"
    with endpoint(echoes) as fake:
        env = {**os.environ, "MY_TOKEN": secret}
        args = [sys.executable, "-m", "mapper", "send", SINK, records, "--endpoint", fake.url, "--token-env", "MY_TOKEN", "--body-records", 2]
        args += ["--rejects", rejects, "--report", "json", "--retries", 1, "--backoff", 0.01]
        proc = subprocess.run(list(map(str, args)), capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == EXIT_USAGE
    out, err, letters = proc.stdout.decode(), proc.stderr.decode(), rejects.read_text()
    assert "Echo" in err and "InvalidBody" in letters  # the answers' words are there
    assert secret not in out + err + letters


def test_a_tls_handshake_the_endpoint_refuses_is_not_retried():
    # found by a bug hunt: an https:// URL at a plain HTTP port (or a certificate that does not
    # verify) was retried as a connection error, with backoff: with the defaults, a minute or more
    # of retries before the run stopped, though no retry can change the answer
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)  # answers a TLS hello with a 400
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    retries: list[str] = []
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}/v2/sinks/aircraft_positions"
        sender = mapper.Sender(url, timeout=3, on_retry=lambda reason, _delay: retries.append(reason))  # 8 retries from 0.5 s
        t0 = time.monotonic()
        with pytest.raises(mapper.EndpointUnreachable, match="TLS") as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
        assert time.monotonic() - t0 < 3 and retries == []
        assert url in str(info.value) and not info.value.maybe_stored
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_kept_alive_connection_the_server_closed_is_not_reused():
    # found by a bug hunt: only a connection idle for 15 s was replaced before a request, but many
    # servers close idle ones sooner (gunicorn after 2 s, uvicorn and Node after 5 s) without
    # saying so in the answer: the next body was written to a closed connection, failed after it
    # was sent, and was retried and counted as a possible re-send though nothing had reached the service
    closed = threading.Event()

    def answers_then_closes(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> str:
        answer(conn, 200, success(body))
        time.sleep(0.2)  # (the answer read, the connection idle in the sender's hands)
        conn.close()
        closed.set()
        return "close"

    body = b'{"records":[{"value":{"id":"a"}}]}'
    with endpoint(answers_then_closes) as fake, mapper.Sender(fake.url, backoff=0.01) as sender:
        first = sender.send(body)
        assert closed.wait(30)  # the server has closed the connection meanwhile (waited for: a fixed 0.6 s could pass first on a busy machine)
        second = sender.send(body)
        assert len(fake.bodies) == 2
    assert first.attempts == second.attempts == 1 and not second.resent


@pytest.mark.parametrize("status", [200, 503])
def test_an_endless_answer_is_not_read_to_its_end(status):
    # found by a bug hunt: the answer was read whole, whatever its length, so an endpoint
    # answering with a body of gigabytes (a misrouted download, a hostile server) had the
    # sender hold all of it in memory before judging it; it reads a bounded prefix and drops
    # the connection
    sent = [0]
    total = 256 * 1024 * 1024

    def floods(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> str:
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (status, total))
        chunk = b" " * (1 << 20)
        try:
            while sent[0] < total:
                conn.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass
        return "close"

    with endpoint(floods) as fake, mapper.Sender(fake.url, retries=0, timeout=20) as sender:
        with pytest.raises((mapper.ServiceError, mapper.EndpointUnreachable)) as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
        time.sleep(0.2)
    if status == 200:  # an answer to a body it cannot read: the body may have been stored
        assert "more than 16 MiB" in str(info.value) and info.value.maybe_stored
    assert sent[0] < 64 * 1024 * 1024, sent[0]


def _read_until(proc: subprocess.Popen, text: bytes, limit: float) -> bytes:
    """``proc``'s stderr until it holds ``text`` (or ends), at most ``limit`` s."""
    import select

    assert proc.stderr is not None
    fd, got = proc.stderr.fileno(), b""
    deadline = time.monotonic() + limit
    while text not in got and (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            got += chunk
    return got


def test_a_ctrl_c_as_a_retry_is_said_is_one_in_the_wait_before_it(monkeypatch):
    # a Ctrl-C that came as the retry's line was printed (on_retry: a terminal held by Ctrl-S
    # holds it there) was outside the wait: a body answered 503, never stored, stayed in flight
    # and a resume counted it re-sent
    def interrupted(_reason: str, _delay: float) -> None:
        raise KeyboardInterrupt

    with endpoint(scripted(["503"])) as fake, mapper.Sender(fake.url, on_retry=interrupted, sleep=lambda _s: None) as sender:
        with pytest.raises(KeyboardInterrupt) as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert getattr(info.value, "maybe_stored", "unsaid") is False


def test_a_run_interrupted_while_it_waits_to_retry_a_body_never_taken_does_not_count_it_re_sent(tmp_path):
    # found by a bug hunt: Ctrl-C while the run waited to retry a body answered 503 left the body
    # in flight, and the resume counted its records as re-sent, though each reached the service once
    records = write_records(tmp_path / "r.ndjson", 5)
    checkpoint = tmp_path / "c.json"
    with endpoint(scripted(["503"] * 2)) as fake:
        args = ["send", SINK, records, "--endpoint", fake.url, "--checkpoint", checkpoint, "--report", "json"]
        proc = subprocess.Popen([sys.executable, "-m", "mapper", *map(str, args + ["--backoff", 5])], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # answered 503: waiting 2.5-5 s to retry once its line is said (a fixed 0.3 s after the body
            # came, a slow machine could still be reading the answer: the body in flight then)
            said = _read_until(proc, b"retry 1 of", limit=30)
            assert b"retry 1 of" in said, said
            proc.send_signal(signal.SIGINT)
            out, _err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
        assert proc.returncode == EXIT_USAGE and json.loads(out)["error"] == "interrupted"
        assert json.loads(checkpoint.read_text())["in_flight"] is None
        t = report_of(cli(*args, "--backoff", 0.01))  # answered 503 once more, then taken
    assert t["completed"] and t["stored"] == 5 and t["resent"] == 0
    assert fake.ids() == Counter({f"r{i}": 3 for i in range(5)})  # twice answered 503, once taken


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.pop("position"),
        lambda s: s["position"].update(index="7"),
        lambda s: s["position"].update(file=5),
        lambda s: s.update(in_flight={"first": 0}),
        lambda s: s["totals"].update(bogus=1),
        lambda s: s.update(totals=[]),
        lambda s: s.update(rejects={"path": None, "bytes": "x"}),
    ],
)
def test_a_damaged_checkpoint_is_a_usage_error_not_a_traceback(tmp_path, damage):
    # found by a bug hunt: a checkpoint edited by hand (or written by something else) with its
    # version right but a field missing or of another type stopped the resume with a traceback
    # (KeyError, TypeError, IndexError) instead of saying which file is unusable
    records = write_records(tmp_path / "r.ndjson", 3)
    checkpoint = tmp_path / "c.json"
    with endpoint(scripted(["400"])) as fake:
        args = ["send", SINK, records, "--endpoint", fake.url, "--checkpoint", checkpoint]
        assert cli(*args).returncode == EXIT_USAGE  # stopped by the 400: the checkpoint is there
        state = json.loads(checkpoint.read_text())
        damage(state)
        checkpoint.write_text(json.dumps(state))
        proc = cli(*args)
        assert len(fake.bodies) == 1  # nothing more sent
    assert proc.returncode == EXIT_USAGE and "Traceback" not in proc.err, proc.err
    assert f"the checkpoint {checkpoint} is damaged" in proc.err


@pytest.mark.parametrize(
    ("retry_after", "waits"),
    [
        (12, 12.0),  # the date, counted from now
        (3600, 30.0),  # clamped to max_backoff, as a number of seconds is
        (-3600, 0.005),  # past: retry now (after the backoff)
        ("soon", 0.005),  # neither form: the backoff decides
    ],
)
def test_a_retry_after_given_as_an_http_date_is_honoured(retry_after, waits):
    # found in review: only delta-seconds was read; RFC 9110 allows an HTTP date too
    # (Retry-After: Wed, 21 Oct 2026 07:28:00 GMT), and one was ignored for the backoff
    from email.utils import formatdate

    now = 1_790_000_000.0  # a whole second: HTTP dates have no fractions
    value = formatdate(now + retry_after, usegmt=True) if isinstance(retry_after, int) else retry_after

    def throttles_first(conn: socket.socket, _head: bytes, body: bytes, n: int) -> None:
        if n == 1:
            return answer(conn, 503, b'{"code":"Unavailable","message":"later"}', b"Retry-After: %s\r\n" % value.encode())
        return answer(conn, 200, success(body))

    delays: list[float] = []
    with endpoint(throttles_first) as fake:
        sender = mapper.Sender(fake.url, backoff=0.01, max_backoff=30, rand=lambda: 0.0, sleep=delays.append, wall_clock=lambda: now)
        with sender:
            ack = sender.send(b'{"records":[{"value":{"id":"a"}}]}')
        assert len(fake.bodies) == 2
    assert ack.stored == 1 and ack.retries == 1
    assert delays == [pytest.approx(waits)]


def resolving(monkeypatch: Any, answer_for_invalid: Callable[..., Any]) -> None:
    """socket.getaddrinfo with the reserved ``.invalid`` names (RFC 6761: never resolved) answered
    by ``answer_for_invalid`` at once: no resolver is asked, so no test waits on one."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            return answer_for_invalid(real, *args, **kw)
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def no_such_name(_real: Any, *_args: Any, **_kw: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def resolver_down(_real: Any, *_args: Any, **_kw: Any) -> Any:
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


def test_a_host_name_that_does_not_exist_fails_at_once_and_a_resolver_that_cannot_answer_is_retried(monkeypatch):
    # found in review: a host name that does not resolve (a typo in --endpoint) was retried as a
    # transient connection error, with backoff: with the defaults, two minutes of retries before
    # the run stopped, though no retry makes the name exist
    body = b'{"records":[{"value":{"id":"a"}}]}'
    retries: list[str] = []
    resolving(monkeypatch, no_such_name)
    sender = mapper.Sender("http://sink.invalid/v2/sinks/x", backoff=0.01, on_retry=lambda reason, _delay: retries.append(reason))
    t0 = time.monotonic()
    with pytest.raises(mapper.EndpointUnreachable, match=r"the host name sink\.invalid does not resolve \(Name or service not known\)") as info:
        sender.send(body)
    assert time.monotonic() - t0 < 2 and retries == [] and not info.value.maybe_stored

    resolving(monkeypatch, resolver_down)  # EAI_AGAIN: the resolver may answer on a retry
    sender = mapper.Sender("http://sink.invalid/v2/sinks/x", retries=2, backoff=0.01, on_retry=lambda reason, _delay: retries.append(reason))
    with pytest.raises(
        mapper.EndpointUnreachable,
        match=r"after 3 attempts: cannot connect to sink\.invalid:80: its name does not resolve now \(Temporary failure in name resolution\)",
    ) as info:
        sender.send(body)
    assert len(retries) == 2 and not info.value.maybe_stored


def test_a_send_to_a_host_name_that_does_not_exist_stops_with_one_line_and_resumes_without_loss(tmp_path, monkeypatch, capsys):
    from mapper.cli import main

    records = write_records(tmp_path / "r.ndjson", 30)
    checkpoint = tmp_path / "c.json"
    with endpoint(stores) as fake:
        url = f"http://sink.invalid:{fake.port}/v2/sinks/aircraft_positions"
        args = ["send", str(SINK), str(records), "--endpoint", url, "--checkpoint", str(checkpoint), "--body-records", 10, "--report", "json"]
        args += ["--retries", 3, "--backoff", 0.01]
        resolving(monkeypatch, no_such_name)
        capsys.readouterr()
        assert main(list(map(str, args))) == EXIT_USAGE
        out, err = capsys.readouterr()
        stopped = [line for line in err.splitlines() if "stopped" in line]
        assert "Traceback" not in err and stopped == [
            f"mapper send: stopped: gave up: the endpoint {url} cannot be reached: the host name sink.invalid does not resolve (Name or service not known)"
        ], err
        first = json.loads(out)
        assert first["completed"] is False and first["retried"] == 0 and first["sent"] == 0
        state = json.loads(checkpoint.read_text())
        assert state["in_flight"] is None and state["position"]["index"] == -1  # nothing was sent: the resume sends all, none as re-sent

        resolving(monkeypatch, lambda real, *a, **kw: real("127.0.0.1", *a, **kw))  # the name exists now
        assert main(list(map(str, args))) == EXIT_OK
        t = json.loads(capsys.readouterr().out)
        assert fake.ids() == Counter({f"r{i}": 1 for i in range(30)})
    assert t["completed"] and t["sent"] == t["stored"] == 30 and t["resent"] == 0


@pytest.mark.parametrize("where", ["marking the body in flight", "connecting"])
def test_a_ctrl_c_before_a_body_is_written_does_not_leave_it_in_flight(tmp_path, monkeypatch, capsys, where):
    # found in review: a Ctrl-C while the checkpoint was marking the first body in flight, or while
    # its connection was being opened (resolving the name, a connect to a host that does not
    # answer: up to --timeout), left the body in flight: nothing of it had been written, yet the
    # resume counted its records as re-sent
    from mapper import send
    from mapper.cli import main

    records = write_records(tmp_path / "r.ndjson", 30)
    checkpoint = tmp_path / "c.json"
    to_localhost = lambda real, *a, **kw: real("127.0.0.1", *a, **kw)  # noqa: E731
    with endpoint(stores) as fake:
        url = f"http://sink.invalid:{fake.port}/v2/sinks/aircraft_positions"
        args = ["send", SINK, records, "--endpoint", url, "--checkpoint", checkpoint, "--body-records", 10, "--report", "json"]
        if where == "connecting":
            resolving(monkeypatch, lambda *_a, **_kw: send._interrupt(signal.SIGINT, None))  # (mapper send's handler: a KeyboardInterrupt)
        else:
            resolving(monkeypatch, to_localhost)
            real_fsync, calls = os.fsync, []

            def fsync(fd: int) -> None:  # the first: the mark's checkpoint, in its temporary file
                calls.append(fd)
                if len(calls) == 1:
                    send._interrupt(signal.SIGINT, None)
                real_fsync(fd)

            monkeypatch.setattr(send.os, "fsync", fsync)
        capsys.readouterr()
        assert main(list(map(str, args))) == EXIT_USAGE
        assert json.loads(capsys.readouterr().out)["error"] == "interrupted"
        state = json.loads(checkpoint.read_text())
        assert state["in_flight"] is None and state["position"]["index"] == -1
        assert fake.bodies == []
        monkeypatch.undo()
        resolving(monkeypatch, to_localhost)
        assert main(list(map(str, args))) == EXIT_OK
        t = json.loads(capsys.readouterr().out)
        assert fake.ids() == Counter({f"r{i}": 1 for i in range(30)})
    assert t["completed"] and t["sent"] == t["stored"] == 30 and t["resent"] == 0
    assert list(tmp_path.glob(".c.json.*.tmp")) == []


def test_a_second_ctrl_c_while_a_stopped_run_saves_its_checkpoint_waits_for_the_save(tmp_path, monkeypatch):
    # the checkpoint is replaced atomically (a temporary file, fsynced, renamed), and the save of
    # a run that stops takes a SIGINT/SIGTERM after it: a second Ctrl-C while the checkpoint of the
    # first is written neither cuts it (the last body's fate, the retries) nor leaves half a file
    from mapper import send

    records = write_records(tmp_path / "r.ndjson", 30)
    checkpoint = tmp_path / "c.json"
    stopping: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stopping == [1]:  # the stop's checkpoint, written to its temporary file, not yet renamed
            stopping.append(2)
            send._interrupt(signal.SIGINT, None)  # the second Ctrl-C (mapper send's handler)
        real_fsync(fd)

    retried: list[str] = []

    def sleep(seconds: float) -> None:
        if retried and not stopping:  # the wait to retry the second body, answered 503: the first Ctrl-C
            stopping.append(1)
            send._interrupt(signal.SIGINT, None)
        time.sleep(seconds)

    monkeypatch.setattr(send.os, "fsync", fsync)
    with endpoint(scripted(["ok", "503"])) as fake:

        def run(**kw: Any) -> Any:
            sender = mapper.Sender(fake.url, body_records=10, backoff=0.01, **kw)
            return send.SendRun(mapper.Batcher(SINK, max_records=10), sender, [str(records)], checkpoint=send.Checkpoint(str(checkpoint))).run()

        with pytest.raises(KeyboardInterrupt):
            run(sleep=sleep, on_retry=lambda reason, _delay: retried.append(reason))
        assert stopping == [1, 2]
        state = json.loads(checkpoint.read_text())
        assert state["in_flight"] is None and state["position"]["index"] == 9  # the 503 said: not stored
        assert state["totals"]["sent"] == 10 and state["totals"]["retried"] == 1
        assert list(tmp_path.glob(".c.json.*.tmp")) == []
        totals = run()
        assert fake.ids() == Counter({f"r{i}": 2 if 10 <= i < 20 else 1 for i in range(30)})  # r10-r19: answered 503, then taken
    assert totals.sent == totals.stored == 30 and totals.resent == 0 and totals.retried == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dead_letters_that_cannot_be_written_stop_the_run_with_a_line_naming_them_and_are_counted_once(tmp_path):
    # found in review: a --rejects file that could not be written (a full disk) ended the run with
    # "mapper: cannot write standard output: No space left on device", naming the wrong file, and
    # without the summary (--report json: nothing on stdout); a checkpoint that could not be
    # written, the same
    base = json.loads(SEED.read_text().splitlines()[0])
    bad = {3, 15, 25}  # refused by pre-validation
    records = tmp_path / "r.ndjson"
    records.write_text(
        "".join(json.dumps({**base, "id": f"r{i}", "data": {**base["data"], "altitude": "high"} if i in bad else base["data"]}) + "\n" for i in range(30))
    )
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    with endpoint(stores) as fake:
        args = ["send", SINK, records, "--endpoint", fake.url, "--checkpoint", checkpoint, "--body-records", 10, "--report", "json"]
        first = cli(*args, "--rejects", "/dev/full")
        assert first.returncode == EXIT_USAGE and "Traceback" not in first.err, first.err
        assert "mapper send: stopped: cannot write the dead letters /dev/full: No space left on device" in first.err.splitlines()
        assert report_of(first)["completed"] is False
        again = cli(*args, "--rejects", rejects)  # the first body's letter was not written: its body is sent again
        assert again.returncode == EXIT_REJECTED, again.err
    t = report_of(again)
    assert t["completed"] and t["refused_prevalidation"] == 3 and t["sent"] == t["stored"] == 27
    assert sorted(json.loads(x)["record"] for x in rejects.read_text().splitlines()) == sorted(bad)

    from mapper.errors import OutputError
    from mapper.send import Checkpoint

    with pytest.raises(OutputError, match=f"cannot write the checkpoint {tmp_path / 'gone' / 'c.json'}: No such file or directory"):
        Checkpoint(str(tmp_path / "gone" / "c.json")).save({"version": 1})


@pytest.mark.parametrize("host", ["a..b.invalid", "a" * 64 + ".invalid", ".invalid"])
def test_an_endpoint_host_with_an_empty_or_overlong_label_is_a_usage_error_not_a_traceback(tmp_path, host):
    # found in review: such a name passed the URL checks and, at the first connect, the resolver's
    # IDNA encoding raised a UnicodeError: a traceback after the inputs were read
    url = f"http://{host}/v2/sinks/aircraft_positions"
    with pytest.raises(OptionError, match="is not a host name"):
        mapper.Sender(url)
    if host == ".invalid":
        proc = cli("send", SINK, write_records(tmp_path / "r.ndjson", 2), "--endpoint", url, "--retries", 1, "--backoff", 0.01)
        assert proc.returncode == EXIT_USAGE and "Traceback" not in proc.err, proc.err
        assert "is not a host name" in proc.err


@pytest.mark.parametrize("interim", [b"102 Processing", b"103 Early Hints"])
def test_an_interim_1xx_answer_is_read_past_to_the_final_one(interim):
    # found by a bug hunt: http.client skips only a 100 Continue; a 102 or a 103 (from the
    # service or a proxy in front of it) was taken as the answer: the run stopped on "103
    # HTTP103", and the body, stored by the 200 that followed, was marked not stored (a resume
    # sent it again without counting it re-sent)
    def hints_first(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        conn.sendall(b"HTTP/1.1 " + interim + b"\r\nLink: </a.css>; rel=preload\r\n\r\n" + b"HTTP/1.1 " + interim + b"\r\n\r\n")
        answer(conn, 200, success(body))

    with endpoint(hints_first) as fake, mapper.Sender(fake.url, retries=0) as sender:
        for _ in range(2):  # the connection is kept: nothing of the answers is left over for the next
            ack = sender.send(b'{"records":[{"value":{"id":"a"}},{"value":{"id":"b"}}]}')
            assert ack.status == 200 and ack.stored == 2 and ack.attempts == 1
    assert len(fake.bodies) == 2


def test_an_error_answer_written_before_the_body_was_read_is_the_answer_not_a_lost_one():
    # found by a bug hunt: a service (or its gateway) that refuses a request on its head (413 for
    # a body too big, 401) answers before reading the body and closes; the write then failed
    # (a broken pipe), the answer was never read: the refusal was retried as a lost answer,
    # counted as a possible re-send, and the run stopped on "Broken pipe", not the service's words
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # (the body cannot sit in buffers: the write must fail)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    connections = []

    def refuse_on_the_head() -> None:
        while True:
            try:
                conn, _addr = server.accept()
            except OSError:
                return
            connections.append(conn)
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1024) or b"\r\n\r\n"
            payload = b'{"code":"RequestEntityTooLarge","message":"a body holds at most 1,000,000 bytes"}'
            conn.sendall(b"HTTP/1.1 413 X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(payload) + payload)
            conn.close()  # the body unread: a reset

    threading.Thread(target=refuse_on_the_head, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/v2/sinks/aircraft_positions"
    body = b'{"records":[{"value":{"id":"' + b"x" * 8_000_000 + b'"}}]}'
    try:
        with mapper.Sender(url, retries=2, backoff=0.01, bytes_per_s=10_000_000, body_bytes=10_000_000) as sender:
            with pytest.raises(mapper.ServiceError) as info:
                sender.send(body)
    finally:
        close_listening(server)
    assert info.value.status == 413 and "at most 1,000,000 bytes" in info.value.message
    assert info.value.maybe_stored is False and len(connections) == 1  # not retried, and known not stored


def test_an_error_answer_of_megabytes_is_said_in_a_line_and_the_token_is_hidden_before_the_cut():
    # found by a bug hunt: the code and message of an error answer were said whole: an answer of
    # 5 MB was a 5 MB line on the terminal, in the report and in each retry's note; and a redirect's
    # Location, which may repeat the request, was said without the token hidden
    secret = "tok-5b0d-never-print-me"

    def floods(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> None:
        if n == 1:
            return answer(conn, 503, json.dumps({"code": "C" * 10_000, "message": "m" * 2_000_000 + secret}).encode())
        if n == 2:
            return answer(conn, 400, json.dumps({"code": "InvalidBody", "message": "x" * 990 + secret}).encode())
        return answer(conn, 307, b"", b"Location: https://elsewhere.example/?echo=" + secret.encode() + b"\r\n")

    reasons: list[str] = []
    with endpoint(floods) as fake, mapper.Sender(fake.url, token=secret, retries=1, backoff=0.01, on_retry=lambda why, _s: reasons.append(why)) as sender:
        with pytest.raises(mapper.ServiceError) as refused:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
        with pytest.raises(mapper.ServiceError) as moved:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert len(reasons) == 1 and len(reasons[0]) < 1300 and "characters)" in reasons[0]
    said = str(refused.value)
    assert len(said) < 1200 and secret not in said and secret[:6] not in said[-40:]  # hidden, then cut: no half of it either
    assert "[the token]" in said or said.endswith("characters)")
    assert "elsewhere.example" in str(moved.value) and secret not in str(moved.value)


def test_a_408_request_timeout_is_retried_and_not_counted_as_a_re_send():
    # found by a bug hunt: a 408 (a load balancer's answer to a request that did not arrive whole
    # in its time; RFC 9110 says repeat it) stopped the run as a refusal of the body
    def times_out_first(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        if n == 1:
            answer(conn, 408, b"<html>Request Timeout</html>", b"Connection: close\r\n")
            return "close"
        return answer(conn, 200, success(body))

    with endpoint(times_out_first) as fake, mapper.Sender(fake.url, retries=1, backoff=0.01) as sender:
        ack = sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert ack.stored == 1 and ack.retries == 1 and not ack.resent and len(fake.bodies) == 2


def test_an_answer_quoting_invalid_utf8_or_a_lone_surrogate_is_read_as_go_reads_it():
    # found by a bug hunt: a per-record answer whose message quoted a record's bad bytes (invalid
    # UTF-8, or a lone surrogate escape \ud800: JSON Go's decoder reads, as U+FFFD) was refused
    # whole by orjson: "no per-record answer", the run stopped, the body left in flight
    def quotes(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> None:
        items = b'[{"status":"success"},{"status":"error","error_code":"InvalidBody","error_message":"bad \\ud800 and \xff"}]'
        if n == 1:
            return answer(conn, 200, b'{"records":' + items + b"}")
        return answer(conn, 400, b'{"code":"InvalidBody","message":"no \\udc80 \xfe"}')

    with endpoint(quotes) as fake, mapper.Sender(fake.url, retries=0) as sender:
        ack = sender.send(b'{"records":[{"value":{"id":"a"}},{"value":{"id":"b"}}]}')
        with pytest.raises(mapper.ServiceError) as refused:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert ack.stored == 1 and ack.refused == [(1, "InvalidBody", "bad \ufffd and \ufffd")]
    assert refused.value.code == "InvalidBody" and refused.value.message == "no \ufffd \ufffd"


@pytest.mark.parametrize(
    ("says", "named"),
    [
        (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 101 + b"Content-Length: 2\r\n\r\n{}", "more than 100 header lines"),
        (b"SSH-2.0-OpenSSH_9.6\x1b[2J\r\n", "not an HTTP status line: 'SSH-2.0-OpenSSH_9.6\\x1b[2J'"),
        (b"HTTP/1.1 200 OK\r\nX-A: " + b"b" * 70_000 + b"\r\n\r\n", "a header line of more than 65,536 bytes"),
        (b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", "another protocol: 'HTTP/2.0'"),
    ],
    ids=["101-headers", "ssh-greeting", "long-header-line", "http2"],
)
def test_an_answer_that_is_not_http_stops_the_send_after_three_attempts_naming_what_is_wrong(says, named):
    # found in review: an answer http.client cannot read (a server at the wrong port, a proxy in
    # the way) was retried as a lost answer through every retry's backoff, ~90 s by default, then
    # "no answer"; no retry changes what is at that address: three such answers stop the body,
    # which stays "may have been stored" (its bytes were read by whatever answered)
    def speaks_otherwise(conn: socket.socket, _head: bytes, _body: bytes, _n: int) -> str:
        conn.sendall(says)
        return "close"

    waits: list[float] = []
    with endpoint(speaks_otherwise) as fake, mapper.Sender(fake.url, sleep=waits.append) as sender:  # (8 retries by default)
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    said = str(info.value)
    assert len(fake.bodies) == 3 and len(waits) == 2 and info.value.maybe_stored
    assert fake.url in said and "3 times with what is not HTTP" in said and named in said and "\x1b" not in said


def test_a_run_stopped_by_answers_that_are_not_http_keeps_the_body_in_flight_and_resumes_without_loss(tmp_path):
    # the body stopped by unreadable answers may have been stored: the checkpoint keeps it in
    # flight, and the resumed run sends it again counted as re-sent; every record accounted for
    records = write_records(tmp_path / "r.ndjson", 50)
    checkpoint, rejects = tmp_path / "c.json", tmp_path / "rejects.ndjson"
    garbled = {"on": True}

    def garbles_the_second_body(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        if garbled["on"] and n > 1:
            conn.sendall(b"\x15\x03\x01\x00\x02\x02\x16")  # a TLS alert: an https:// port asked in plain HTTP
            return "close"
        return answer(conn, 200, success(body))

    sink = mapper.load_sink(SINK)

    def run() -> mapper.send.SendRun:
        batcher = mapper.Batcher(sink, max_records=20)
        sender = mapper.Sender(fake.url, backoff=0.001, body_records=20)
        return mapper.send.SendRun(batcher, sender, [str(records)], checkpoint=mapper.send.Checkpoint(str(checkpoint)), rejects=str(rejects))

    with endpoint(garbles_the_second_body) as fake:
        first = run()
        with pytest.raises(mapper.EndpointUnreachable, match="not HTTP"):
            first.run()
        first.sender.close()
        state = json.loads(checkpoint.read_text())
        assert state["in_flight"] == {"first": 20, "last": 39} and state["position"]["index"] == 19
        assert first.totals.stored == 20 and first.totals.retried == 2
        garbled["on"] = False
        again = run()
        t = again.run()
        again.sender.close()
        arrived = fake.ids()
    assert t.stored == t.sent == 50 and t.resent == 20 and t.refused_service == t.refused_prevalidation == 0
    assert set(arrived) == {f"r{i}" for i in range(50)} and sum(arrived.values()) == 50 + 3 * 20
    assert not rejects.exists() or rejects.read_text() == ""


@pytest.mark.parametrize(
    ("url", "host", "header"),
    [
        ("http://[fe80::1%25eth0]:8080/v2/sinks/s", "fe80::1%eth0", b"[fe80::1]:8080"),  # RFC 6874's spelling
        ("http://[FE80::1%25Eth0]/v2/sinks/s", "fe80::1%Eth0", b"[fe80::1]"),  # (an interface name keeps its case)
        ("http://[fe80::1%eth0]:8443/v2/sinks/s", "fe80::1%eth0", b"[fe80::1]:8443"),  # the bare % browsers and curl take
        ("http://[fe80::1%2525]:8080/v2/sinks/s", "fe80::1%25", b"[fe80::1]:8080"),  # zone "25"
    ],
)
def test_an_ipv6_zone_id_in_the_endpoint_is_decoded_and_left_out_of_the_host_header(monkeypatch, url, host, header):
    # found in review: the zone of a link-local address was given to the resolver as written in
    # the URL, %25 and all ("fe80::1%25eth0": a host name that does not exist, the run stopped);
    # and http.client would have written it into the Host header, where no server can read it
    heads: list[bytes] = []

    def keeps_head(conn: socket.socket, head: bytes, body: bytes, _n: int) -> None:
        heads.append(head)
        answer(conn, 200, success(body))

    asked: list[Any] = []
    real = socket.create_connection

    with endpoint(keeps_head) as fake:

        def to_the_fake(address: Any, *args: Any, **kw: Any) -> socket.socket:  # (no network to fe80::: the address asked is kept)
            asked.append(address)
            return real(("127.0.0.1", fake.port), *args, **kw)

        monkeypatch.setattr(socket, "create_connection", to_the_fake)
        sender = mapper.Sender(url, retries=0)
        assert sender.host == host and sender.url == url
        ack = sender.send(b'{"records":[{"value":{"id":"a"}}]}')
        sender.close()
    port = int(header.rpartition(b":")[2]) if b"]:" in header else 80
    assert ack.stored == 1 and asked == [(host, port)]
    assert [h for h in heads[0].split(b"\r\n") if h.lower().startswith(b"host:")] == [b"Host: " + header]


@pytest.mark.parametrize("url", ["http://[fe80::1%25]:8080/x", "http://[fe80::1%25a!b]:8080/x"])
def test_an_ipv6_zone_that_is_no_interface_name_is_a_usage_error(url):
    with pytest.raises(OptionError, match="IPv6 zone"):
        mapper.Sender(url)


@pytest.mark.parametrize("interims", [10, 11])  # (mapper.send.MAX_INTERIM: 10)
def test_interim_answers_without_end_are_an_answer_that_is_not_http(interims):
    # found by a bug hunt: interim answers were read past without a bound, so an endpoint sending
    # 102s without end held each attempt for the whole --timeout, retried as a lost answer (about
    # 5 minutes with the defaults); past MAX_INTERIM of them the answer is one that is not HTTP
    def keeps_processing(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> str:
        conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n" * interims)
        if interims <= 10:
            answer(conn, 200, success(body))
        conn.recv(1)  # (until the client goes)
        return "close"

    # (the timeout bounds the fake endpoint's answer here, not the test's subject: at 0.5 s a loaded
    # machine's endpoint thread once answered late, a timed-out attempt, in this test's siblings below)
    with endpoint(keeps_processing) as fake, mapper.Sender(fake.url, timeout=5, sleep=lambda _s: None) as sender:
        if interims <= 10:
            assert sender.send(b'{"records":[{"value":{"id":"a"}}]}').stored == 1
            return
        with pytest.raises(mapper.EndpointUnreachable, match=r"3 times with what is not HTTP .*more than 10 interim \(1xx\) answers"):
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert len(fake.bodies) == 3


@pytest.mark.parametrize("length", [b"-1", b"abc", b"5, 5", b"1_0", b"\xb2"])
def test_an_answer_whose_content_length_is_not_one_number_is_not_http(length):
    # found by a bug hunt: http.client takes a Content-Length it cannot read ("-1", "abc", copies
    # "5, 5") for none and reads until the connection closes: on a kept-alive connection each
    # attempt waited the whole --timeout and was retried as a lost answer; and "1_0" (Python's
    # int) was read as 10 bytes. Such an answer is one that is not HTTP (RFC 9112 6.3).
    def says_a_bad_length(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> str:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + length + b"\r\n\r\n" + success(body))
        conn.recv(1)  # (kept open until the client goes)
        return "close"

    with endpoint(says_a_bad_length) as fake, mapper.Sender(fake.url, timeout=5, retries=2, sleep=lambda _s: None) as sender:
        with pytest.raises(mapper.EndpointUnreachable, match="not HTTP .*a Content-Length that is not one number") as info:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert info.value.maybe_stored and len(fake.bodies) == 3


def test_a_status_past_599_is_no_server_error_to_retry():
    # found in review: every status from 500 up was retried, so an endpoint answering 700
    # (no HTTP status: http.client reads three digits) had the body sent --retries more times
    def odd(conn: socket.socket, _head: bytes, _body: bytes, _n: int) -> None:
        answer(conn, 700, b'{"code":"Odd","message":"what is this"}')

    with endpoint(odd) as fake, mapper.Sender(fake.url, retries=3, backoff=0.01) as sender:
        with pytest.raises(mapper.ServiceError) as refused:
            sender.send(b'{"records":[{"value":{"id":"a"}}]}')
    assert refused.value.status == 700 and refused.value.code == "Odd" and len(fake.bodies) == 1


BODY = b'{"records":[{"value":{"id":"a"}}]}'


def says(raw: Callable[[bytes], bytes]) -> Handler:
    """A handler writing raw(request body) as the answer, then keeping the connection until the client goes."""

    def handler(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> str:
        conn.sendall(raw(body))
        conn.recv(1)
        return "close"

    return handler


def chunked(size: bytes, payload: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\n" + payload + b"\r\n0\r\n\r\n"


@pytest.mark.parametrize("size", [b"zz", b"-%x", b"0x%x", b"+%x", b"%x_0", b"0" * 17 + b"%x", b""])
def test_a_chunk_size_that_is_not_hexadecimal_is_an_answer_that_is_not_http(size):
    # found by a bug hunt: http.client reads a chunk size with Python's int(), and called what it
    # could not read an answer cut short: retried as a lost answer through every retry (and "-1"
    # read on to the connection's end: the whole --timeout each time); "0x24" and "+24" it read
    def odd_chunk(body: bytes) -> bytes:
        payload = success(body)
        return chunked(size.replace(b"%x", b"%x" % len(payload)), payload)

    with endpoint(says(odd_chunk)) as fake, mapper.Sender(fake.url, timeout=5, sleep=lambda _s: None) as sender:  # (8 retries)
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(BODY)
    assert "3 times with what is not HTTP" in str(info.value) and "a chunk size that is not a hexadecimal number: " in str(info.value)
    assert info.value.maybe_stored and len(fake.bodies) == 3


def test_chunk_sizes_with_extensions_or_leading_zeros_are_read_and_a_chunk_cut_by_the_connection_is_a_lost_answer():
    def chunks(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        payload = success(body)
        if n == 1:  # the connection ends inside a chunk size line: an answer lost, not one that is not HTTP
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1")
            return "close"
        half = len(payload) // 2
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%04X ; name=value\r\n" % half
            + payload[:half]
            + b"\r\n%x\r\n" % (len(payload) - half)
            + payload[half:]
            + b"\r\n0\r\n\r\n"
        )
        return None

    with endpoint(chunks) as fake, mapper.Sender(fake.url, retries=2, sleep=lambda _s: None) as sender:
        ack = sender.send(BODY)
        again = sender.send(BODY)  # (the chunked answer was read to its end: the connection is used again)
    assert ack.stored == 1 and ack.retries == 1 and ack.resent and again.stored == 1 and not again.resent


def test_a_101_switching_protocols_to_a_post_that_asked_no_upgrade_is_an_answer_that_is_not_http():
    # found by a bug hunt: a 101 was taken as the answer, a refusal "101 HTTP101:" with no words,
    # the body marked not stored though whatever answered had read it
    def switches(_body: bytes) -> bytes:
        return b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\x1b[2J\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"

    with endpoint(says(switches)) as fake, mapper.Sender(fake.url, timeout=5, sleep=lambda _s: None) as sender:
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(BODY)
    assert "3 times with what is not HTTP" in str(info.value) and "101 Switching Protocols to 'websocket\\x1b[2J'" in str(info.value)
    assert info.value.maybe_stored and len(fake.bodies) == 3


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"Garbage\r\nContent-Length: %d", "a header line that is not 'name: value': 'Garbage'"),
        (b"Content-Length : %d", "a header line that is not 'name: value': 'Content-Length : "),
        (b" X-Folded: a\r\nContent-Length: %d", "a header line that is not 'name: value': ' X-Folded: a'"),
        (b"Transfer-Encoding: gzip, chunked", "a Transfer-Encoding other than chunked: 'gzip, chunked'"),
        (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "a Transfer-Encoding other than chunked: 'chunked, chunked'"),
    ],
    ids=["no-colon", "space-before-colon", "first-line-folded", "gzip-chunked", "chunked-twice"],
)
def test_a_header_line_that_is_none_or_a_transfer_encoding_besides_chunked_is_not_http(head, named):
    # found by a bug hunt: http.client's parser dropped a line that is not "name: value" and every
    # header after it (the Content-Length too: on a kept-alive connection each attempt waited the
    # whole --timeout, retried as a lost answer), and read "gzip, chunked" as no framing at all
    def odd_head(body: bytes) -> bytes:
        payload = success(body)
        return b"HTTP/1.1 200 OK\r\n" + (head % len(payload) if b"%d" in head else head) + b"\r\n\r\n" + payload

    # (under the timeout: no attempt waited for it; a timeout of 0.5 s, the three attempts' whole
    # bound then, left a busy machine no time of its own)
    with endpoint(says(odd_head)) as fake, mapper.Sender(fake.url, timeout=5, sleep=lambda _s: None) as sender:
        t0 = time.monotonic()
        with pytest.raises(mapper.EndpointUnreachable) as info:
            sender.send(BODY)
    assert "3 times with what is not HTTP" in str(info.value) and named in str(info.value) and time.monotonic() - t0 < 5
    assert info.value.maybe_stored and len(fake.bodies) == 3


def test_a_transfer_encoding_of_chunked_written_loosely_is_read_as_chunked():
    # ("chunked " or "Chunked,": http.client matched the value whole and read the chunks' sizes as text)
    def loose(conn: socket.socket, _head: bytes, body: bytes, _n: int) -> None:
        payload = success(body)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked ,\r\n\r\n%x\r\n" % len(payload) + payload + b"\r\n0\r\n\r\n")

    with endpoint(loose) as fake, mapper.Sender(fake.url, timeout=5, retries=0) as sender:
        assert sender.send(BODY).stored == 1 and sender.send(BODY).stored == 1  # (and the connection is used again)
    assert len(fake.bodies) == 2


def test_an_answer_cut_short_of_its_content_length_or_in_its_head_is_a_lost_answer():
    # found by a bug hunt: http.client returns what came of a body when the connection closes short
    # of its Content-Length, unsaid, and takes a head the connection ended for a whole one: a 200's
    # answer cut so was "no per-record answer", a refusal that stopped the run
    def cuts(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        if n == 1:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + success(body)[:10])
            return "close"
        if n == 2:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
            return "close"
        if n == 3:
            conn.sendall(b"HTTP/1.1 400 X\r\nContent-Length: 100\r\n\r\n" + b'{"code":"InvalidBody"')  # (not its words: lost too)
            return "close"
        return answer(conn, 200, success(body))

    reasons: list[str] = []
    with endpoint(cuts) as fake, mapper.Sender(fake.url, retries=3, sleep=lambda _s: None, on_retry=lambda why, _d: reasons.append(why)) as sender:
        ack = sender.send(BODY)
    assert ack.stored == 1 and ack.retries == 3 and ack.resent and len(fake.bodies) == 4
    assert reasons[0].endswith("the connection closed 10 bytes into an answer of 100")
    assert reasons[1].endswith("RemoteDisconnected: the connection closed in the answer's head")
    assert reasons[2].endswith("the connection closed 21 bytes into an answer of 100")


def test_an_error_answer_without_words_says_its_reason_phrase_read_as_utf8():
    # found by a bug hunt: an error answer of no body said "418 HTTP418: " and no more; its status
    # line's reason says what it is (written in UTF-8, read back from http.client's Latin-1)
    def wordless(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> None:
        reason = "Überlastet \x1b[2J" if n == 1 else "I'm a teapot" if n == 2 else ""
        conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n" % (503 if n == 1 else 418, reason.encode()))

    reasons: list[str] = []
    with endpoint(wordless) as fake, mapper.Sender(fake.url, retries=1, sleep=lambda _s: None, on_retry=lambda why, _d: reasons.append(why)) as sender:
        with pytest.raises(mapper.ServiceError) as teapot:
            sender.send(BODY)
        with pytest.raises(mapper.ServiceError) as bare:
            sender.send(BODY)
    assert reasons == ["503 HTTP503: Überlastet \\x1b[2J"]
    assert str(teapot.value) == "418 HTTP418: I'm a teapot" and str(bare.value) == "418 HTTP418: an answer without a body or a reason"


def test_an_answer_in_gzip_or_deflate_is_read_and_one_in_another_coding_names_it():
    # found by a bug hunt: an answer with a Content-Encoding (a proxy compressing whatever passes)
    # was read as it came: a 200 was "no per-record answer", a refusal's message was the compressed
    # bytes shown as text. gzip and deflate are read; another coding is named.
    import gzip
    import zlib

    heads: list[bytes] = []

    def encodes(conn: socket.socket, head: bytes, body: bytes, n: int) -> None:
        heads.append(head)
        refusal = b'{"code":"InvalidBody","message":"not this one"}'
        raw_deflate = zlib.compressobj(wbits=-15)
        if n == 1:
            return answer(conn, 200, gzip.compress(success(body)), b"Content-Encoding: gzip\r\n")
        if n == 2:
            return answer(conn, 200, gzip.compress(success(body)[:9]) + gzip.compress(success(body)[9:]), b"Content-Encoding: GZIP, identity\r\n")
        if n == 3:
            return answer(conn, 400, zlib.compress(refusal), b"Content-Encoding: deflate\r\n")
        if n == 4:
            return answer(conn, 400, raw_deflate.compress(refusal) + raw_deflate.flush(), b"Content-Encoding: deflate\r\n")
        if n == 5:
            return answer(conn, 503, b"\x1b\x0e\x00\xf8\x8d\x94", b"Content-Encoding: br\r\n")
        if n == 6:
            return answer(conn, 400, b"\x8b\x02\x80not brotli\x03", b"Content-Encoding: br\r\n")
        if n == 7:
            return answer(conn, 200, gzip.compress(success(body))[:-12], b"Content-Encoding: gzip\r\n")  # cut
        return answer(conn, 200, gzip.compress(b" " * (17 << 20)), b"Content-Encoding: gzip\r\n")  # 17 MiB from 17 KB

    retried: list[str] = []
    with endpoint(encodes) as fake, mapper.Sender(fake.url, retries=1, sleep=lambda _s: None, on_retry=lambda why, _d: retried.append(why)) as sender:
        assert sender.send(BODY).stored == 1
        assert sender.send(BODY).stored == 1
        errors = []
        for _ in range(5):
            with pytest.raises(mapper.ServiceError) as info:
                sender.send(BODY)
            errors.append(info.value)
    deflated, raw, br, cut, bomb = errors
    assert deflated.code == raw.code == "InvalidBody" and deflated.message == raw.message == "not this one"
    assert retried == ["503 HTTP503: its body is br-encoded (Content-Encoding: br), which mapper send did not ask for and cannot read"]
    assert br.status == 400 and br.message == "its body is br-encoded (Content-Encoding: br), which mapper send did not ask for and cannot read"
    assert cut.status == 200 and cut.code == "InvalidAnswer" and "is not the gzip its Content-Encoding says (gzip)" in cut.message and cut.maybe_stored
    assert bomb.code == "InvalidAnswer" and "more than 16 MiB" in bomb.message and bomb.maybe_stored
    assert all(b"\r\nAccept-Encoding: identity" in h for h in heads)  # (what mapper send asks for: no coding)


@pytest.mark.parametrize(
    ("url", "host", "port", "header"),
    [
        ("https://[fe80::1%25eth0]:8443/v2/sinks/s", "fe80::1%eth0", 8443, b"[fe80::1]:8443"),
        ("https://[fe80::1%25eth0]/v2/sinks/s", "fe80::1%eth0", 443, b"[fe80::1]"),  # (443: the scheme's port, not written)
        ("https://[fe80::1%eth0]:443/v2/sinks/s", "fe80::1%eth0", 443, b"[fe80::1]"),
    ],
)
def test_an_https_endpoint_with_an_ipv6_zone_checks_its_certificate_for_the_address_without_the_zone(monkeypatch, url, host, port, header):
    # found in review: http.client gave TLS the resolver's "fe80::1%eth0" as the server's name, and
    # no certificate is for that name (an address's is fe80::1): every https:// endpoint with a zone
    # stopped on "Hostname mismatch". (No TLS here: the handshake is where the name is given.)
    heads: list[bytes] = []

    def keeps_head(conn: socket.socket, head: bytes, body: bytes, _n: int) -> None:
        heads.append(head)
        answer(conn, 200, success(body))

    asked: list[Any] = []
    names: list[Any] = []
    real = socket.create_connection

    with endpoint(keeps_head) as fake:

        def to_the_fake(address: Any, *args: Any, **kw: Any) -> socket.socket:
            asked.append(address)
            return real(("127.0.0.1", fake.port), *args, **kw)

        def no_tls(_context: Any, sock: socket.socket, server_hostname: Any = None, **_kw: Any) -> socket.socket:
            names.append(server_hostname)
            return sock

        monkeypatch.setattr(socket, "create_connection", to_the_fake)
        monkeypatch.setattr(ssl.SSLContext, "wrap_socket", no_tls)
        with mapper.Sender(url, retries=0) as sender:
            assert sender.host == host and sender.port == port and sender.url == url
            ack = sender.send(BODY)
    assert ack.stored == 1 and asked == [(host, port)] and names == ["fe80::1"]
    assert [h for h in heads[0].split(b"\r\n") if h.lower().startswith(b"host:")] == [b"Host: " + header]


@pytest.mark.parametrize(
    ("says_back", "stops", "attempts"),
    [
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "3 times with what is not HTTP", 3),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "3 times with what is not HTTP", 3),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x8b\x01\x80\x03", "br-encoded", 1),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b'{"records":[', "did not take a body after 3 attempts", 3),
    ],
    ids=["101", "chunk-size", "br", "cut-short"],
)
def test_a_body_whose_answer_was_never_judged_stays_in_flight_and_a_resume_counts_it_re_sent(tmp_path, says_back, stops, attempts):
    # nothing lost: a body stopped by an answer that is not HTTP, one that cannot be decoded or one
    # cut short may have been stored; it is never counted stored, and the resumed run sends it again
    records = write_records(tmp_path / "r.ndjson", 40)
    checkpoint = tmp_path / "c.json"
    odd = {"on": True}

    def second_body_odd(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        if odd["on"] and n > 1:
            conn.sendall(says_back)
            return "close"
        return answer(conn, 200, success(body))

    sink = mapper.load_sink(SINK)

    def run() -> mapper.send.SendRun:
        sender = mapper.Sender(fake.url, retries=2, sleep=lambda _s: None, body_records=20)
        return mapper.send.SendRun(mapper.Batcher(sink, max_records=20), sender, [str(records)], checkpoint=mapper.send.Checkpoint(str(checkpoint)))

    with endpoint(second_body_odd) as fake:
        first = run()
        with pytest.raises((mapper.EndpointUnreachable, mapper.ServiceError), match=stops):
            first.run()
        first.sender.close()
        assert json.loads(checkpoint.read_text())["in_flight"] == {"first": 20, "last": 39} and first.totals.stored == 20
        odd["on"] = False
        again = run()
        t = again.run()
        again.sender.close()
        arrived = fake.ids()
    assert t.stored == t.sent == 40 and t.resent == 20
    assert set(arrived) == {f"r{i}" for i in range(40)} and sum(arrived.values()) == 40 + attempts * 20


def test_a_port_where_nothing_listens_is_said_so_not_in_pythons_words():
    # a refused connection (mapper serve not started, a wrong port) says what it means and what
    # to look at; Python's "ConnectionRefusedError: [Errno 111] Connection refused" did not
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # (closed again: nothing listens there)
    sender = mapper.Sender(f"http://127.0.0.1:{port}/v2/sinks/x", retries=1, backoff=0.01)
    body = b'{"records": [{"value": {"id": 1}}]}'
    with pytest.raises(mapper.EndpointUnreachable) as info:
        sender.send(body)
    said = str(info.value)
    assert f"cannot connect to 127.0.0.1:{port}: nothing listens there (connection refused: is the service, or mapper serve, running at that port?)" in said
    assert "Errno" not in said and "ConnectionRefusedError" not in said and not info.value.maybe_stored
