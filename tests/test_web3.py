"""Small web UI problems of ``mapper serve`` found by a hunt: a sample record too big for a draft, the
413s of Send records, the live region of its answer, the placeholders of a schema-only source.

Route tests run without a browser; the page tests use ``tests/test_web_browser.py``'s fixtures
(Debian's chromium, skipped without it). Every server binds 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from mapper.endpoint import Limits
from tests.test_web import form, request, ui_server
from tests.test_web_browser import SEED, api, by_id, css, new_source, paste, text_of, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

# ---------------------------------------------------------------------------------------
# Routes


def _source(server: Any, name: str = "web3_src") -> str:
    out = orjson.loads(request(server, "POST", "/ui/api/draft", form(name=name, columns={"_id": {"path": "id"}}, allow_missing_fields=True))[2])
    status, _h, body = request(server, "POST", "/v1/sinks", out["body_text"].encode())
    assert status == 200, body
    return str(orjson.loads(body)["id"])


def test_a_paste_over_the_records_limit_says_to_send_it_in_parts() -> None:
    with ui_server(limits=Limits(records_per_s=5)) as server:
        sink_id = _source(server)
        text = "\n".join(json.dumps({"id": f"r{i}"}) for i in range(7))
        status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink_id}/send", {"text": text})
        assert status == 413
        message = orjson.loads(body)["message"]
        assert "the paste holds 7 records" in message
        assert message.endswith("send it in parts of at most 5 records"), message
        # five go in one request
        status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink_id}/send", {"text": "\n".join(text.splitlines()[:5])})
        assert status == 200 and orjson.loads(body)["written"] == 5


def test_the_other_413s_of_the_ui_say_how_to_proceed() -> None:
    with ui_server(max_body_bytes=2000) as server:
        sink_id = _source(server)
        # the records pasted make a body over the endpoint's limit (within the UI's cap)
        text = json.dumps({"id": "x" * 3000})
        status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink_id}/send", {"text": text})
        assert status == 413
        assert orjson.loads(body)["message"].endswith("send it in parts of at most 2,000 bytes")
        # the paste over the UI's cap
        status, _h, body = request(server, "POST", f"/ui/api/sinks/{sink_id}/send", {"text": "x" * 9000})
        assert status == 413
        assert orjson.loads(body)["message"].endswith("send it in parts of at most 2,000 bytes")
        # a draft over the cap: no "send it in parts" for a form
        status, _h, body = request(server, "POST", "/ui/api/draft", form(sample=json.dumps({"id": "x" * 9000})))
        assert status == 413
        message = orjson.loads(body)["message"]
        assert "parts" not in message and message.endswith("leave the sample record out (it is only previewed, never part of the source), or shorten the paths")


def test_the_config_gives_the_page_the_cap_of_a_ui_request() -> None:
    with ui_server(max_body_bytes=2000) as server:
        config = orjson.loads(request(server, "GET", "/ui/api/config")[2])
        assert config["max_body_bytes"] == 2000 and config["ui_body_bytes"] == 8000


# ---------------------------------------------------------------------------------------
# Pages


def test_a_sample_too_big_for_a_draft_is_left_out_and_create_works(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server(max_body_bytes=2000) as server:  # UI requests up to 8,000 bytes
        new_source(driver, server, "flights", "big_sample_ok", "aircraft", {"_id": "id"}, "continue", SEED)
        wait(driver, lambda d: 'with _id "PD2tRswoE3:0:0"' in text_of(d, "preview-summary"), "the seed's preview")
        paste(driver, "sample", json.dumps({"id": "x" * 9000}))
        wait(driver, lambda d: "too big to preview" in text_of(d, "preview-summary"), "the sample said too big")
        summary = text_of(driver, "preview-summary")
        assert "more than the 8,000 bytes this page takes" in summary and "2,000 bytes" in summary, summary
        assert text_of(driver, "create-result") == ""
        assert not css(driver, "#preview-table tbody tr")  # no stale preview of the seed
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        status, doc = api(server, "GET", "/v2/sinks/big_sample_ok")
        assert status == 200 and doc["name"] == "big_sample_ok"


def test_only_the_summary_of_a_send_is_live(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "flights", "live_send", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/live_send")
        wait(driver, lambda d: text_of(d, "source-name") == "live_send", "the source page")
        paste(driver, "records", '{"id": "a", "alt": 1}\n{"id": "b", "alt": "high"}\n{"id": "c", "alt": 3}')
        by_id(driver, "send").click()
        wait(driver, lambda d: len(css(d, "#send-records li.record")) == 3, "the answer")
        live = driver.execute_script(
            "return Array.from(document.querySelectorAll('[aria-live], [role=status], [role=alert], [role=log]'))"
            ".filter(function (e) { return e.contains(document.getElementById('send-records')); }).map(function (e) { return e.id; })"
        )
        assert live == [], f"the record list is inside a live region: {live}"
        assert text_of(driver, "send-summary") == "2 of 3 records stored, 1 refused."
        assert "success_count 2, error_count 1" in text_of(driver, "send-detail")
        assert by_id(driver, "send-summary").get_attribute("aria-live") == "polite"


def test_a_schema_only_source_shows_no_placeholders(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    driver = browser
    schema = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}
    path = tmp_path / "schema_only.json"
    path.write_text(json.dumps(schema))
    with browser_server() as server:
        info = server.app.store.create_sink(path, exist_ok=True)
        assert info.definition["sink_details"] == {"database_id": "<database_id>", "table": "<table>"}
        driver.get(server.url + "/ui/")
        wait(driver, lambda d: css(d, f'#sources tr[data-sink="{info.id}"]'), "the source listed")
        row = css(driver, f'#sources tr[data-sink="{info.id}"]')[0]
        database, table = row.find_elements("css selector", "td.database, td.table")
        assert database.text == "(not given)" and table.text == "(not given)"
        assert "<database_id>" in (database.get_attribute("title") or "")
        assert "<table>" in (table.get_attribute("title") or "")
        driver.get(server.url + "/ui/sources/" + info.id)
        wait(driver, lambda d: css(d, "#config dd"), "the source's details")
        dd = [e.text for e in css(driver, "#config dd")]
        assert dd[0] == "(not given)" and dd[1] == "(not given)", dd
        assert "<" not in text_of(driver, "config")
