"""Stop 61's leftovers of the web UI: why a source holds fewer rows than the records it stored
said only when upserts are why, the right-to-left keys and values a message quotes isolated,
a source of ~1,100 columns drawn in bounded time, and what using the pages as a newcomer found.

``tests/test_web_browser.py``'s fixtures (Debian's chromium, skipped without it). Every wait is bounded.
"""

from __future__ import annotations

import json
from typing import Any

from tests.test_web_browser import ROOT, SEED, api, rows_shown, wait
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server

SINK = json.loads((ROOT / "examples" / "aircraft" / "sink.json").read_text())
SID = SINK["name"]
MERGED = "records with the same _id are stored in one row, the later one updating it"
REMOVED = "%d of them removed by another program (this service removes none)."


def _record(n: int) -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(SEED)
    return seed | {"id": f"{seed['id']}-{n}"}


def test_fewer_rows_are_put_down_to_upserts_only_when_upserts_are_why(browser: Any) -> None:  # noqa: F811
    # the page said "4 records stored: records with the same _id are stored in one row, the later
    # one updating it" of any rows fewer than the records stored: rows removed by another program
    # (the service removes none) were put down to upserts too
    driver = browser
    with browser_server(refresh=0.2) as server:
        store = server.app.store
        assert api(server, "POST", "/v1/sinks", SINK)[0] == 200

        def send(*records: dict[str, Any]) -> None:
            assert api(server, "POST", f"/v2/sinks/{SID}", {"records": [{"value": r} for r in records]})[0] == 200

        send(_record(1), _record(2), _record(1))  # (the third an upsert of the first)
        driver.get(server.url + f"/ui/sources/{SID}")
        wait(driver, lambda d: rows_shown(d)[0] == f"Rows 1 to 2 of 2. 3 records stored: {MERGED}.", "the upsert said")

        table = store.db.execute("SELECT table_name FROM _mapper_sinks WHERE id = ?", (SID,)).fetchone()[0]
        store.db.execute(f'DELETE FROM "{table}" WHERE _id = ?', (_record(2)["id"],))  # (another program, by hand)
        send(_record(3))  # (the counts move: the rows are asked again)
        said = f"Rows 1 to 2 of 2. 4 records stored, 1 of them to an _id stored already ({MERGED}): 3 rows made, {REMOVED % 1}"
        wait(driver, lambda d: rows_shown(d)[0] == said, "the row removed said, not put down to upserts")
        assert api(server, "GET", f"/ui/api/sinks/{SID}/rows")[1]["records"] == {"stored": 4, "merged": 1}

        # a database of an earlier mapper did not count the upserts: both causes said, neither chosen
        store.db.execute("UPDATE _mapper_sinks SET records_merged = NULL")
        send(_record(4))
        said = f"Rows 1 to 3 of 3. 5 records stored: {MERGED}, or rows were removed by another program; which, is not known"
        wait(driver, lambda d: rows_shown(d)[0].startswith(said), "what is known said")

        # every row gone: not "No rows stored yet."
        store.db.execute(f'DELETE FROM "{table}"')
        store.db.execute("UPDATE _mapper_sinks SET records_merged = 1")
        send()  # (a request of no record: the counts' requests move)
        said = f"No rows. 5 records stored, 1 of them to an _id stored already ({MERGED}): 4 rows made, {REMOVED % 4}"
        wait(driver, lambda d: rows_shown(d)[0] == said, "no rows, and why")
        driver.get("about:blank")
