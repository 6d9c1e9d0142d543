"""``mapper send``'s accounting across resumes, and its reading of answers (a code-reading review).

Fake endpoints are the raw socket server of test_send_faults (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from test_send_faults import SINK, answer, endpoint, success, write_records

import mapper


def _run(url: str, records: Any, checkpoint: Any, retries: int = 1, body: int = 20) -> mapper.send.SendRun:
    sender = mapper.Sender(url, retries=retries, sleep=lambda _s: None, body_records=body)
    return mapper.send.SendRun(
        mapper.Batcher(mapper.load_sink(SINK), max_records=body), sender, [str(records)], checkpoint=mapper.send.Checkpoint(str(checkpoint))
    )


@pytest.mark.parametrize("second", ["refused", "unreachable", "smaller-bodies"])
def test_a_resume_stopped_again_before_the_old_in_flight_body_is_taken_keeps_it_to_count_as_re_sent(tmp_path, second):
    # run 1 stops with body 2 (records 20-39) in flight, its answer lost (502: a gateway lost it);
    # run 2 resumes and stops at once on that body with an answer that says "not stored" (a 400, or
    # 503s past the retries): it cleared in_flight, so run 3 sent records 20-39 again, the service
    # holding them twice, and counted none of them re-sent (the docs: "counts the records of the
    # old in_flight body that it sends again as re-sent"); so too when run 2, with smaller bodies,
    # had part of them acknowledged before it stopped (the rest left in flight)
    records = write_records(tmp_path / "r.ndjson", 40)
    checkpoint = tmp_path / "c.json"
    mode = {"run": 1}

    def handler(conn: socket.socket, _head: bytes, body: bytes, n: int) -> Any:
        if mode["run"] == 1 and n > 1:
            return answer(conn, 502, b'{"code": "BadGateway", "message": "lost"}')
        if mode["run"] == 2:
            if second == "smaller-bodies" and n == 3:  # (run 2's first request)
                return answer(conn, 200, success(body))
            if second != "unreachable":
                return answer(conn, 400, b'{"code": "InvalidParameter", "message": "try later"}')
            return answer(conn, 503, b'{"code": "Unavailable", "message": "busy"}')
        return answer(conn, 200, success(body))

    with endpoint(handler) as fake:
        first = _run(fake.url, records, checkpoint, retries=0)
        with pytest.raises(mapper.EndpointUnreachable):
            first.run()
        first.sender.close()
        assert json.loads(checkpoint.read_text())["in_flight"] == {"first": 20, "last": 39}
        mode["run"] = 2
        again = _run(fake.url, records, checkpoint, body=10 if second == "smaller-bodies" else 20)
        with pytest.raises((mapper.EndpointUnreachable, mapper.ServiceError)):
            again.run()
        again.sender.close()
        left = 30 if second == "smaller-bodies" else 20
        assert json.loads(checkpoint.read_text())["in_flight"] == {"first": left, "last": 39}  # (still: run 1's attempt may have been stored)
        mode["run"] = 3
        last = _run(fake.url, records, checkpoint)
        t = last.run()
        last.sender.close()
    assert t.stored == t.sent == 40 and t.resent == 20
