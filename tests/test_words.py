"""Wording a newcomer met: each message says a thing once, plainly, with the names it knows."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sinks import column, id_sink

import mapper
from tests.cli_inproc import run_main
from tests.test_send_faults import endpoint

SINK = id_sink(column("v", "int"), name="s", table="t")
# 7 of 10 records fail
SEVEN_BAD = b"".join(b'{"id": %d, "v": %s}\n' % (i, b'"x"' if i < 7 else b"1") for i in range(10))


def test_more_than_max_errors_is_said_once_in_every_report(tmp_path: Path) -> None:
    m = mapper.compile_sink(SINK)
    for limit, allows in ((3, "(3)"), (0, "(0)"), (0.3, "(3: 30% of 10 records)")):
        report = m.validate(SEVEN_BAD, on_error="skip", max_errors=limit)
        assert report.reject_reason == f"7 records failed, more than max_errors allows {allows}"
        assert report.summary() == f"discarded: none of 10 records would be stored: 7 records failed (invalid_value 7), more than max_errors allows {allows}"
        assert "failed record" not in report.summary()
    sink, data = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(SEVEN_BAD)
    said = "7 records failed (invalid_value 7), more than max_errors allows (3)"
    text = run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3")
    assert text.out.startswith(f"DISCARDED: none of 10 records would be stored: {said}\n")
    assert text.out.count("failed") == 1
    answer = json.loads(run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3", "--report", "endpoint").out)
    assert answer["records"][9]["error_message"] == "the batch was discarded: 7 records failed, more than max_errors allows (3)"
    written = run_main("map", sink, data, "--on-error", "skip", "--max-errors", "3", "-o", tmp_path / "o.npz")
    assert said in written.err and written.err.count("failed") == 1


def test_an_error_answer_that_is_no_json_says_its_status_type_and_words() -> None:
    page = (
        b"<html>\r\n<head><title>502 Bad Gateway</title><style>body { color: red }</style></head>\r\n"
        b"<body><!-- a comment --><script>var x = '<b>';</script>\r\n<center><h1>502 Bad&nbsp;Gateway</h1></center>\r\n"
        b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )

    def proxy(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> None:
        status, kind, payload = [(502, b"text/html; charset=utf-8", page), (404, b"text/html", page), (403, b"text/plain", b"no " * 500)][(n - 1) % 3]
        conn.sendall(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (status, {502: b"Bad Gateway", 404: b"Not Found", 403: b"Forbidden"}[status], kind, len(payload))
            + payload
        )

    retried: list[str] = []
    body = b'{"records":[{"value":{"id":"a"}}]}'
    with endpoint(proxy) as fake, mapper.Sender(fake.url, retries=1, sleep=lambda _s: None, on_retry=lambda why, _d: retried.append(why)) as sender:
        with pytest.raises(mapper.ServiceError) as not_found:
            sender.send(body)  # 502, retried; then 404
        with pytest.raises(mapper.ServiceError) as forbidden:
            sender.send(body)
    assert retried == ['the endpoint answered 502 Bad Gateway (text/html): "502 Bad Gateway 502 Bad Gateway nginx"']
    assert str(not_found.value) == 'the endpoint answered 404 Not Found (text/html): "502 Bad Gateway 502 Bad Gateway nginx"'
    assert (not_found.value.status, not_found.value.code) == (404, "HTTP404")
    said = str(forbidden.value)
    assert said.startswith('the endpoint answered 403 Forbidden (text/plain): "no no no') and said.endswith('...(1,499 characters)"') and len(said) < 300


def test_a_file_given_twice_among_the_inputs_is_noted_with_its_places(tmp_path: Path) -> None:
    sink, data, other = tmp_path / "sink.json", tmp_path / "r.ndjson", tmp_path / "other.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(b'{"id": 1, "v": 1}\n')
    other.write_bytes(b'{"id": 2, "v": 2}\n')
    (tmp_path / "link.ndjson").symlink_to(data)
    same = run_main("validate", "sink.json", "r.ndjson", "other.ndjson", "r.ndjson", cwd=tmp_path)
    assert same.out.startswith("ACCEPTED: 3 records")  # (not an error: it may be meant)
    assert "note: r.ndjson is given twice (inputs 1 and 3 of 3): its records are read and mapped twice\n" in same.out
    linked = run_main("map", "sink.json", "./link.ndjson", "r.ndjson", "-o", "o.npz", cwd=tmp_path)
    assert "./link.ndjson (input 1) and r.ndjson (input 2) are the same file: its records are read and mapped twice" in linked.err
    report = json.loads(run_main("validate", "sink.json", "r.ndjson", "other.ndjson", "--report", "json", cwd=tmp_path).out)
    assert report["notes"] == []


def test_the_zstd_and_utf16_hints_name_the_file_shell_quoted_and_pipe_stdin(tmp_path: Path) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    wide, packed = tmp_path / "my wide.ndjson", tmp_path / "it's.ndjson.zst"
    wide.write_bytes(b'{"id": 1, "v": 1}\n{"id": 2, "v": 2}\n'.decode().encode("utf-16"))
    packed.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))
    said = run_main("validate", "sink.json", "my wide.ndjson", cwd=tmp_path).out
    assert "convert it first, e.g. `iconv -f UTF-16 -t UTF-8 'my wide.ndjson'`" in said
    assert "`... | iconv -f UTF-16 -t UTF-8`" in run_main("validate", "sink.json", input=wide.read_bytes(), cwd=tmp_path).out
    assert "`iconv -f UTF-16 -t UTF-8 'my wide.ndjson'`" in run_main("infer", "my wide.ndjson", cwd=tmp_path).err
    refused = run_main("validate", "sink.json", "it's.ndjson.zst", cwd=tmp_path)
    assert (
        refused.err
        == "mapper: it's.ndjson.zst is zstd-compressed, which mapper cannot unpack: give it unpacked (zstd -dc 'it'\"'\"'s.ndjson.zst' | mapper ... -)\n"
    )
    from_stdin = run_main("validate", "sink.json", "-", input=packed.read_bytes(), cwd=tmp_path)
    assert "the input is zstd-compressed, which mapper cannot unpack: give it unpacked (... | zstd -dc | mapper ... -)" in from_stdin.err
    (tmp_path / "sink 16.json").write_bytes(sink.read_text().encode("utf-16"))
    assert "`iconv -f UTF-16 -t UTF-8 'sink 16.json'`" in run_main("check", "sink 16.json", cwd=tmp_path).out


def test_infer_without_an_identity_says_the_bad_records_it_skipped_and_the_share_s_base() -> None:
    from mapper.infer import InferError, infer

    data = b'{"a": 1, "b": 1.5}\n{"a": 2, "b": 2.5}\nnot json\n{"a": 3, "b": null}\n[1]\n'
    with pytest.raises(InferError) as err:
        infer(data)
    said = str(err.value)
    assert "; the closest: a (in 100.0% of the 3 records that parsed; as an id_field or a primary key: every value distinct)" in said
    assert said.endswith("; 2 bad records were skipped (not valid JSON: 1, not a JSON object: 1)")
    with pytest.raises(InferError) as clean:
        infer(b'{"a": 1, "b": 1.5}\n{"a": 2}\n')
    assert "the closest: a (in 100.0% of the 2 records; " in str(clean.value) and "skipped" not in str(clean.value)
