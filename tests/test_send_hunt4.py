"""``mapper send`` against an endpoint whose limits are lower than send's options said (a bug hunt).

Fake endpoints are the raw socket server of test_send_faults (127.0.0.1); every wait is bounded.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from test_send_faults import answer, endpoint, write_records
from test_send_serve import EXIT_USAGE, SINK, SINK_ID, main_in_process, serving


def test_a_413_says_which_options_make_smaller_bodies(tmp_path, capsys):
    # found by a bug hunt: a service whose body limit is below send's (a cloud service's own, a
    # serve --max-body-bytes) stopped the run with its words alone ("413 RequestEntityTooLarge:
    # request too large"): nothing said the bodies are send's to make smaller, nor how
    records = write_records(tmp_path / "r.ndjson", 4)

    def too_large(conn: Any, _head: bytes, _body: bytes, _n: int) -> None:
        answer(conn, 413, b'{"code": "RequestEntityTooLarge", "message": "request too large"}')

    with endpoint(too_large) as fake:
        rc, out, err = main_in_process(capsys, "send", SINK, records, "--endpoint", fake.url, "--body-records", "3", "--report", "json")
    error = orjson.loads(out)["error"]
    assert rc == EXIT_USAGE and len(fake.bodies) == 1  # (not retried)
    assert "413 RequestEntityTooLarge: request too large" in error
    assert "send smaller bodies: --body-records N, --body-bytes N; these held at most 3 records and 500,000 bytes" in error
    assert "--body-records N" in err


def test_a_serve_with_a_lower_body_cap_is_sent_to_with_the_options_the_413_names(tmp_path, capsys):
    records = write_records(tmp_path / "r.ndjson", 6)
    with serving(tmp_path, SINK, max_body_bytes=1500) as (server, _app, store):
        url = f"{server.url}/v2/sinks/{SINK_ID}"
        rc, _, err = main_in_process(capsys, "send", SINK, records, "--endpoint", url)
        assert rc == EXIT_USAGE and "--body-bytes N" in err
        rc, out, _ = main_in_process(capsys, "send", SINK, records, "--endpoint", url, "--body-bytes", "1500", "--report", "json")
        assert rc == 0 and orjson.loads(out)["stored"] == 6 == store.rows(SINK_ID).total


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_401_says_whether_a_token_was_sent_and_from_where_never_its_value(tmp_path, capsys, monkeypatch, token):
    # found by a bug hunt: "401 MissingAuthenticationToken: ..." or "401 Unauthorized: the token is
    # not valid" said nothing of where send takes the token from (FEATUREBASE_TOKEN, --token-env)
    records = write_records(tmp_path / "r.ndjson", 2)
    monkeypatch.delenv("FEATUREBASE_TOKEN", raising=False)
    args: tuple[str, ...] = ()
    if token is not None:
        monkeypatch.setenv("MY_TOKEN", token)
        args = ("--token-env", "MY_TOKEN")
    with serving(tmp_path, SINK, token="right") as (server, _app, store):
        rc, _, err = main_in_process(capsys, "send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/{SINK_ID}", *args)
        assert store.rows(SINK_ID).total == 0
    assert rc == EXIT_USAGE
    if token is None:
        assert "401 MissingAuthenticationToken" in err and "(no token was sent: FEATUREBASE_TOKEN is not set and no --token-env VAR was given)" in err
    else:
        assert "401 Unauthorized" in err and "(the token sent was the one in MY_TOKEN)" in err and "wrong" not in err


def test_a_url_naming_no_sink_says_what_the_endpoint_takes(tmp_path, capsys):
    # the table's name in the URL (the example sink's sink_details.table is "aircraft") stopped the
    # run with the service's "404 ResourceNotFound: no sink 'aircraft'" alone
    records = write_records(tmp_path / "r.ndjson", 2)
    with serving(tmp_path, SINK) as (server, _app, store):
        rc, _, err = main_in_process(capsys, "send", SINK, records, "--endpoint", f"{server.url}/v2/sinks/aircraft", "--retries", "0")
        assert store.rows(SINK_ID).total == 0
    assert rc == EXIT_USAGE and "404 ResourceNotFound: no sink 'aircraft'" in err
    assert "(--endpoint is the ingest URL, .../v2/sinks/<sink_id>: the id the sink was created with, not its table's name" in err
