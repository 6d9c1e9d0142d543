"""Deterministic seed-shaped records for benchmarks, and the sink that maps them.

The record shape is the seed page's aircraft envelope::

    {"id": "PD2tRswoE3:0:0", "timestamp": 1659981468260, "encoding": "json",
     "data": {"aircraftId": "40688E", "lat": 45.1199, "long": -43.416, "track": 250,
              "altitude": 37996, "speed": 495, "type": "B788", "reg": "G-ZBJA",
              "origin": "LHR", "destination": "BNA", "iataId": "", "icaoId": "BAW223N",
              "airline": "BAW"}, "name": "data"}

with varied, realistic values (about 330 bytes a record). Variants:

* ``clean`` - every value well typed;
* ``lax`` - numeric strings and integral floats in the int columns everywhere
  (``"track": "250"``, ``"altitude": 37996.0``), which the endpoint accepts;
* ``bad`` - 1% of records broken: a missing value or a wrongly typed one;
* ``missing`` - every record holds its ``id`` and ``data.aircraftId`` alone: 12 mapped
  values missing each, under ``allow_missing_fields: false`` (the error path: a producer
  sending another shape);
* ``numbers`` - every record's ``data.aircraftId`` (a ``string`` column) sent as a number,
  the hex id's value (``"40688E"`` -> ``4221070``, stored as ``"4.22107e+06"`` with a
  ``string_from_value`` warning: a producer that parsed the id);
* ``floats`` - the same with a float, the hex id's value / 64 (``"40688E"`` -> ``65954.21875``,
  stored as ``"65954.21875"``): Go's ``%v`` of a float64.

Usage: ``python -m benchmarks.gen N [--variant clean|lax|bad|missing|numbers|floats] > records.ndjson``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any

AIRLINES = ["BAW", "AAL", "DAL", "UAL", "KLM", "AFR", "DLH", "RYR", "EZY", "SWA", "UAE", "QTR", "SIA", "ACA", "IBE"]
TYPES = ["B788", "A320", "B738", "A359", "B77W", "A21N", "E190", "CRJ9", "A333", "B39M", "AT76", "DH8D"]
AIRPORTS = ["LHR", "BNA", "JFK", "LAX", "CDG", "FRA", "AMS", "ATL", "ORD", "DFW", "SFO", "SEA", "DXB", "SIN", "HND", "MAD", "DUB", "YYZ"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
REG_PREFIX = ["G-", "N", "D-", "F-", "EI-", "PH-", "C-", "VH-"]

#: The sink that maps the seed record: a string key from ``id``, ``timestamp`` in ms,
#: decimals for lat/long, ints, strings: 14 columns.
SINK: dict[str, Any] = {
    "name": "aircraft_bench",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "aircraft"},
    "schema": {
        "type": "json",
        "primary_key_fields": ["record_id"],
        "allow_missing_fields": False,
        "definition": [
            {"name": "record_id", "path": ["id"], "type": "string"},
            {"name": "ts", "path": ["timestamp"], "type": "timestamp", "config": {"Unit": "ms", "Granularity": "ms"}},
            {"name": "aircraft_id", "path": ["data", "aircraftId"], "type": "string", "config": {"Mutex": True}},
            {"name": "lat", "path": ["data", "lat"], "type": "decimal", "config": {"Scale": 4}},
            {"name": "long", "path": ["data", "long"], "type": "decimal", "config": {"Scale": 4}},
            {"name": "track", "path": ["data", "track"], "type": "int", "config": {"Min": 0, "Max": 360}},
            {"name": "altitude", "path": ["data", "altitude"], "type": "int", "config": {"Min": -2000, "Max": 60000}},
            {"name": "speed", "path": ["data", "speed"], "type": "int", "config": {"Min": 0, "Max": 2000}},
            {"name": "type", "path": ["data", "type"], "type": "string", "config": {"Mutex": True}},
            {"name": "reg", "path": ["data", "reg"], "type": "string", "config": {"Mutex": True}},
            {"name": "origin", "path": ["data", "origin"], "type": "string", "config": {"Mutex": True}},
            {"name": "destination", "path": ["data", "destination"], "type": "string", "config": {"Mutex": True}},
            {"name": "icao_id", "path": ["data", "icaoId"], "type": "string", "config": {"Mutex": True}},
            {"name": "airline", "path": ["data", "airline"], "type": "string", "config": {"Mutex": True}},
        ],
    },
}


def record(i: int, rnd: random.Random) -> dict[str, Any]:
    airline = AIRLINES[rnd.randrange(len(AIRLINES))]
    origin = AIRPORTS[rnd.randrange(len(AIRPORTS))]
    dest = AIRPORTS[rnd.randrange(len(AIRPORTS))]
    return {
        "id": f"PD2tRswoE3:{i // 1000}:{i % 1000}",
        "timestamp": 1659981468260 + i * 37 + rnd.randrange(37),
        "encoding": "json",
        "data": {
            "aircraftId": f"{rnd.randrange(0x1000000):06X}",
            "lat": round(rnd.uniform(-89.9, 89.9), 4),
            "long": round(rnd.uniform(-179.9, 179.9), 4),
            "track": rnd.randrange(360),
            "altitude": rnd.choice((rnd.randrange(0, 45000), 37000, 35000, 0)),
            "speed": rnd.randrange(0, 600),
            "type": TYPES[rnd.randrange(len(TYPES))],
            "reg": REG_PREFIX[rnd.randrange(len(REG_PREFIX))] + "".join(LETTERS[rnd.randrange(26)] for _ in range(4)),
            "origin": origin,
            "destination": dest,
            "iataId": "" if rnd.random() < 0.3 else f"{airline[:2]}{rnd.randrange(1, 9999)}",
            "icaoId": f"{airline}{rnd.randrange(1, 9999)}{LETTERS[rnd.randrange(26)] if rnd.random() < 0.2 else ''}",
            "airline": airline,
        },
        "name": "data",
    }


def make_lax(rec: dict[str, Any], rnd: random.Random) -> None:
    data = rec["data"]
    for key in ("track", "altitude", "speed"):
        data[key] = str(data[key]) if rnd.random() < 0.5 else float(data[key])
    rec["timestamp"] = str(rec["timestamp"]) if rnd.random() < 0.5 else float(rec["timestamp"])


def make_bad(rec: dict[str, Any], rnd: random.Random) -> None:
    data = rec["data"]
    choice = rnd.randrange(4)
    if choice == 0:
        del data["altitude"]
    elif choice == 1:
        data["altitude"] = "ground"
    elif choice == 2:
        data["speed"] = None if rnd.random() < 0.5 else "fast"
    else:
        del rec["timestamp"]


def generate(n: int, variant: str = "clean", seed: int = 42) -> bytes:
    """``n`` records as NDJSON bytes."""
    rnd = random.Random(seed)
    lines = []
    dumps = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=False).encode
    for i in range(n):
        lines.append(dumps(variant_record(i, rnd, variant)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def variant_record(i: int, rnd: random.Random, variant: str) -> dict[str, Any]:
    """Record ``i`` of a variant: lax everywhere, bad for about 1 in 100, missing most values, or a number for a string."""
    rec = record(i, rnd)
    if variant == "missing":
        return {"id": rec["id"], "data": {"aircraftId": rec["data"]["aircraftId"]}}
    if variant == "numbers":
        rec["data"]["aircraftId"] = int(rec["data"]["aircraftId"], 16)
    if variant == "floats":
        rec["data"]["aircraftId"] = int(rec["data"]["aircraftId"], 16) / 64
    if variant == "lax":
        make_lax(rec, rnd)
    elif variant == "bad" and rnd.random() < 0.01:
        make_bad(rec, rnd)
    return rec


#: The variants :func:`generate` makes.
VARIANTS = ("clean", "lax", "bad", "missing", "numbers", "floats")


def positive_int(text: str) -> int:
    """An argparse type: a count above 0 (0 or fewer records, rounds or clients measure nothing, or fail far from the flag)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a size above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a size above 0")
    return value


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gen", description=__doc__.splitlines()[0])
    p.add_argument("n", type=int)
    p.add_argument("--variant", choices=VARIANTS, default="clean")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--sink", action="store_true", help="print the sink definition instead")
    args = p.parse_args(argv)
    if args.sink:
        print(json.dumps(SINK, indent=2))
        return
    sys.stdout.buffer.write(generate(args.n, args.variant, args.seed))


if __name__ == "__main__":
    main()
