"""A producer in Python: records judged one at a time, the good ones sent in full bodies.

Dry run (prints a line per body, sends nothing):

    python examples/producer.py examples/aircraft/sink.json examples/aircraft/records.ndjson

To a service (``mapper serve examples/aircraft/sink.json`` in another shell is a local one):

    python examples/producer.py examples/aircraft/sink.json examples/aircraft/records.ndjson \
        --endpoint http://127.0.0.1:8080/v2/sinks/aircraft_positions

The token, if the service wants one, comes from the environment (FEATUREBASE_TOKEN).
A refused record is a dead letter on stderr: where it came from and why, in the words
``mapper validate`` uses. Exit status: 0 every record stored (or, dry, would be),
1 some refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Iterator

import mapper


def read_records(path: str) -> Iterator[tuple[int, mapper.Record]]:
    """Your source goes here (a queue, a socket, a cursor): (where it came from, the record).

    A record is a dict or its JSON text; the text is sent exactly as it came.
    """
    with open(path, "rb") as fh:
        for line_number, line in enumerate(fh, start=1):
            if line.strip():
                yield line_number, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("sink", help="the sink definition (the POST /v1/sinks body)")
    parser.add_argument("records", help="NDJSON records")
    parser.add_argument("--endpoint", help="the ingest URL, .../v2/sinks/<sink_id> (without it: a dry run)")
    args = parser.parse_args(argv)

    # Bodies of at most 500 records and 500 KB: half a second of the endpoint's limits.
    batcher = mapper.Batcher(args.sink, max_records=500, max_bytes=500_000)
    sender = mapper.Sender(args.endpoint, token=os.environ.get("FEATUREBASE_TOKEN") or None) if args.endpoint else None
    verdicts: list[mapper.Verdict] = []
    stored = refused = 0

    def refuse(where: object, errors: list[str]) -> None:
        nonlocal refused
        refused += 1
        print(json.dumps({"line": where, "errors": errors}), file=sys.stderr)

    def ship(bodies: list[mapper.Body]) -> None:
        nonlocal stored
        for body in bodies:
            if sender is None:
                print(f"body: {body.count} records, {body.size:,} bytes, lines {body.tags[0]}-{body.tags[-1]}")
                stored += body.count
                continue
            ack = sender.send(body)  # paced, retried; the service answers record by record
            stored += ack.stored
            for position, code, message in ack.refused:
                refuse(body.tags[position], [f"{code}: {message}"])

    for line_number, record in read_records(args.records):
        verdicts.append(batcher.add(record, tag=line_number))
        ship(batcher.ready())
    ship(batcher.flush())
    for verdict in verdicts:  # judged by now: each record on its own, as the endpoint judges it
        if not verdict.accepted:
            refuse(verdict.tag, [e.message for e in verdict.errors])
    if sender is not None:
        sender.close()
    print(f"{stored} stored{' (dry run: would be)' if sender is None else ''}, {refused} refused", file=sys.stderr)
    return 0 if refused == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
