"""Generators and outcome snapshots for tests/test_difffuzz.py: random sinks x random records.

The records are made as JSON *text* (so duplicate keys, ``-0``, huge exponents and other
spellings a dict cannot hold reach the decoders) and, where the text is plain, as the dicts
it decodes to.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

import mapper

KEYS = ["a", "b", "c", "é", "k k", "日"]

# --- sinks -------------------------------------------------------------------------------------

UNITS = ["d", "h", "m", "s", "ms", "us", "ns"]
GRANULARITIES = ["s", "ms", "us", "ns"]
TS_LAYOUTS = ["2006-01-02T15:04:05Z07:00", "2006-01-02", "2006-01-02 15:04:05", "20060102", "Jan _2 2006"]
DATE_LAYOUTS = ["2006-01-02", "20060102", "01/02/2006", "2006-01"]
EPOCHS = ["1970-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "1900-06-01T12:00:00+02:00"]


@st.composite
def column(draw: Any, name: str, path: list[str]) -> dict[str, Any]:
    ctype = draw(st.sampled_from(["id", "ids", "string", "strings", "bool", "int", "decimal", "timestamp", "recordTime", "dateInt", "signedIntBoolKey"]))
    config: dict[str, Any] = {}
    if ctype in ("id", "string") and draw(st.booleans()):
        config["Mutex"] = True
    elif ctype in ("id", "string", "ids", "strings") and draw(st.booleans()):
        config["Quantum"] = draw(st.sampled_from(["Y", "YMDH", "D", "H"]))  # (recordTime's local_time, zero_time)
        if draw(st.booleans()):
            config["TTL"] = "24h"
    elif ctype == "int":
        if draw(st.booleans()):
            lo = draw(st.sampled_from([-(2**63), -100, 0, 5]))
            config["Min"] = lo
            if draw(st.booleans()):
                config["Max"] = draw(st.sampled_from([lo, lo + 1, 100, 2**53, 2**63 - 1]))
    elif ctype == "decimal":
        config["Scale"] = draw(st.integers(0, 19))
    elif ctype in ("timestamp", "recordTime"):
        if draw(st.booleans()):
            config["Unit"] = draw(st.sampled_from(UNITS))
        if draw(st.integers(0, 3)) == 0:
            config["Epoch"] = draw(st.sampled_from(EPOCHS))
        if ctype == "timestamp" and draw(st.booleans()):
            config["Granularity"] = draw(st.sampled_from(GRANULARITIES))
        if draw(st.integers(0, 2)) == 0:
            config["Layout"] = draw(st.sampled_from(TS_LAYOUTS))
    elif ctype == "dateInt":
        if draw(st.booleans()):
            config["Layout"] = draw(st.sampled_from(DATE_LAYOUTS))
        unit = draw(st.sampled_from([None, "s", "d", "h", "c"]))
        if unit:
            config["Unit"] = unit
        if unit == "c":
            config["CustomUnit"] = draw(st.sampled_from(["24h", "1h30m", "-24h", "1s"]))
        if draw(st.integers(0, 2)) == 0:
            config["Epoch"] = draw(st.sampled_from(EPOCHS))
    entry: dict[str, Any] = {"name": name, "path": path, "type": ctype}
    if config:
        entry["config"] = config
    return entry


WILD_KEYS = [*KEYS, 'q"', "b\\s", "n\nl", "a.b", "", "0"]


JMES = ["P", "P[0]", "P[-1]", "length(P)", "P || `7`", "to_string(P)", "P | [0]", "not_null(P, `null`)", "P.*", "[P][0]", "P[?@ != `0`] | [0]"]


@st.composite
def sinks(draw: Any, wild: bool = False) -> tuple[dict[str, Any], list[list[str]]]:
    """A valid sink definition and its columns' key paths (``wild``: keys with quotes, backslashes,
    dots, control characters or nothing, two columns on one path, one path inside another's value)."""
    keys = WILD_KEYS if wild else KEYS
    n = draw(st.integers(1, 5))
    paths: list[list[str]] = []
    for _ in range(n * 3):
        if len(paths) == n:
            break
        if paths and draw(st.booleans()):  # share a prefix with an earlier path
            base = draw(st.sampled_from(paths))
            cut = draw(st.integers(0, len(base) - 1))
            p = base[:cut] + draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4 - cut))
        else:
            p = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4))
        # no path inside another's value (that is the careful path only; test_properties covers it)
        if not wild and any(p[: len(q)] == q or q[: len(p)] == p for q in paths):
            continue
        paths.append(p)
    definition = []
    for i, p in enumerate(paths):
        entry = draw(column(f"c{i}", p))
        if draw(st.integers(0, 5)) == 0 and all(k.isalpha() and k.isascii() for k in p):
            entry["path"] = ".".join(p)  # the UI's dot notation
        elif wild and draw(st.integers(0, 4)) == 0:
            entry["path"] = draw(st.sampled_from(JMES)).replace("P", ".".join(json.dumps(k, ensure_ascii=False) for k in p))
        definition.append(entry)
    sink: dict[str, Any] = {"allow_missing_fields": draw(st.booleans()), "definition": definition}
    keyable = [e["name"] for e in definition if e["type"] not in ("strings", "recordTime")]
    idable = [e["name"] for e in definition if e["type"] in ("id", "int")]
    how = draw(st.sampled_from(["id", "pk", "pk2"]))
    if how == "id" and idable:
        sink["id_field"] = draw(st.sampled_from(idable))
    elif how == "pk2" and len(keyable) >= 2:
        sink["primary_key_fields"] = draw(st.lists(st.sampled_from(keyable), min_size=2, max_size=2, unique=True))
    elif keyable:
        sink["primary_key_fields"] = [draw(st.sampled_from(keyable))]
    else:
        definition.append({"name": "kk", "path": ["kk"], "type": "string"})
        paths.append(["kk"])
        sink["primary_key_fields"] = ["kk"]
    return sink, paths


# --- values, as JSON text ----------------------------------------------------------------------

NUMBER_TEXTS = [
    "0",
    "-0",
    "-0.0",
    "1",
    "-1",
    "12.9",
    "-12.9",
    "0.29",
    "4.35",
    "1e308",
    "-1e308",
    "1e-320",
    "1e400",
    "-1e400",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "17592186044416",
    "1E2",
    "1e+2",
    "100e-2",
    "0.1e1",
    "123456789012345678901234567890",
    "1.5e-7",
    "2.9999999999999999",
    "1659981468260",
    "86400",
    "-86400",
    "0.5",
    "1e19",
    "1e20",
    "253402300799",
    "-62135596800",
]
STRING_VALUES = [
    "",
    " ",
    "0",
    "-0",
    "+12",
    " 12 ",
    "007",
    "12.0",
    "1e3",
    "-1",
    "4.35",
    "4.359",
    "1.2345678901234567890E-5",
    "x",
    "t",
    "TRUE",
    " false ",
    "f",
    "1,2",
    "[1,2]",
    "1,,2",
    " 3 , 4",
    "a,b",
    "[a,b]",
    "a, b",
    ",",
    "[]",
    "2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05.123456789+05:30",
    "2020-01-02T03:04:05.1234567891Z",
    "2020-01-02",
    "20200102",
    "01/02/2020",
    "2020-01",
    "0000-00-00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2020-01-02 03:04:05",
    "Jan  2 2020",
    "1659981468260",
    "18446744073709551615",
    "17592186044421",
    "é中",
    "\ud800",
    "0.0000000000000000001",
    "99999999999999999",
    "10",
    "100000000000000000000",
]


def _text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if not (isinstance(v, str) and v == "\ud800") else '"\\ud800"'


leaf_text = st.one_of(
    st.sampled_from(NUMBER_TEXTS),
    st.sampled_from(STRING_VALUES).map(_text),
    st.sampled_from(["null", "true", "false", "[]", "{}", "[1,2]", '["a","b"]', '["a",1]', '[""]', "[null]", "[[1]]", '{"a":1}', "[1.5]", '["1"," 2"]']),
    st.integers(-(2**65), 2**65).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=5).map(_text),
)


@st.composite
def record_texts(draw: Any, paths: list[list[str]]) -> tuple[str, bool]:
    """One record's JSON text, and whether it is plain (its dict maps as it does: no duplicate key, no number
    a float cannot hold, no -0, no lone surrogate, no odd spelling of a number)."""
    tree: dict[str, Any] = {}
    for p in paths:
        how = draw(st.integers(0, 9))
        if how == 0:
            continue  # missing
        node = tree
        for key in p[:-1]:
            if how == 1 and draw(st.integers(0, len(p))) == 0:  # something other than an object on the way
                node[key] = ("raw", draw(st.sampled_from(["null", "1", '"x"', "[]", "[{}]"])))
                break
            nxt = node.get(key)
            if not isinstance(nxt, dict):
                if nxt is not None:
                    break
                nxt = node[key] = {}
            node = nxt
        else:
            node[p[-1]] = ("raw", draw(leaf_text))
    if draw(st.integers(0, 3)) == 0:
        tree["zz"] = ("raw", draw(leaf_text))  # unmapped
    dup = draw(st.integers(0, 5)) == 0

    def write(node: Any) -> str:
        if isinstance(node, tuple):
            return node[1]
        items = [f"{json.dumps(k, ensure_ascii=False)}:{write(v)}" for k, v in node.items()]
        if dup and node:
            k = next(iter(node))
            items.insert(0, f"{json.dumps(k, ensure_ascii=False)}:{draw(leaf_text)}")  # the last one counts
        return "{" + ",".join(items) + "}"

    text = write(tree)
    try:
        value = json.loads(text)
    except ValueError:
        return text, False
    plain = not dup and "\\ud800" not in text and json.dumps(value, ensure_ascii=False, separators=(",", ":")) == text
    return text, plain


@st.composite
def cases(draw: Any, max_records: int = 8, wild: bool = False) -> tuple[dict[str, Any], list[str], bool]:
    sink, paths = draw(sinks(wild))
    recs = draw(st.lists(record_texts(paths), min_size=1, max_size=max_records))
    return sink, [t for t, _ in recs], all(p for _, p in recs)


# --- outcome snapshots -------------------------------------------------------------------------


def errors_of(report: mapper.Report) -> list[tuple[int, str | None, str]]:
    return sorted({(e.record, e.column, e.code) for e in report.errors}, key=repr)


def warnings_of(report: mapper.Report) -> list[tuple[int, str | None, str]]:
    return sorted({(w.record, w.column, w.kind) for w in report.warnings}, key=repr)


def masks(batch: mapper.Batch) -> dict[str, Any]:
    out = {}
    for name, col in batch.columns.items():
        out[name] = (col.valid.tolist(), col.present.tolist())
    return out


def snapshot(batch: mapper.Batch) -> dict[str, Any]:
    r = batch.report
    return {
        "rows": batch.to_rows(),
        "ids": list(batch.ids),
        "record_index": batch.record_index.tolist(),
        "masks": masks(batch),
        "errors": errors_of(r),
        "warnings": warnings_of(r),
        "verdict": r.verdict,
        "counts": (r.records, r.success_count, r.failed_records),
    }


def report_snapshot(r: mapper.Report) -> dict[str, Any]:
    return {"errors": errors_of(r), "warnings": warnings_of(r), "verdict": r.verdict, "counts": (r.records, r.success_count, r.failed_records)}


def beyond_float(text: str) -> bool:
    """Whether the JSON text holds a number float64 cannot hold (``1e400``): a request body holding one is
    refused whole, and ``check`` of the text says it wherever it is (docs/types.md, deliberate deviations)."""
    found = []

    def flt(s: str) -> float:
        v = float(s)
        if v in (float("inf"), float("-inf")):
            found.append(s)
        return v

    def num(s: str) -> int:
        if len(s) > 308:
            found.append(s)
        return int(s)

    try:
        json.loads(text, parse_float=flt, parse_int=num)
    except ValueError:
        return False
    return bool(found)


@st.composite
def repeated_cases(draw: Any, max_records: int = 60) -> tuple[dict[str, Any], list[str], bool]:
    """As :func:`cases`, but many records drawn from a few: repeats are what the fast path learns from
    (string literals, the quick forms of a few records, vector forms of a column)."""
    sink, paths = draw(sinks())
    pool = draw(st.lists(record_texts(paths), min_size=1, max_size=5))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=max_records))
    return sink, [pool[i][0] for i in picks], all(pool[i][1] for i in picks)


def _num_texts(n: int | float) -> list[str]:
    """``n`` as JSON texts: the number, a float spelling, a string, a string with spaces and a sign."""
    out = [json.dumps(n)]
    if isinstance(n, int):
        out += [f"{n}.0", f'"{n}"', f'" {n} "', f'"+{n}"' if n >= 0 else f'"{n}"', f'"00{n}"' if n >= 0 else f'"-00{-n}"', f"{n}e0"]
    else:
        out += [f'"{n!r}"']
    return out


@st.composite
def typed_leaf(draw: Any, entry: dict[str, Any], clean: bool = False) -> str:
    """A value for this column, mostly one it takes (at its edges), sometimes anything (``clean``: rarely)."""
    if draw(st.integers(0, 30 if clean else 4)) == 0:
        return draw(leaf_text)
    ctype, cfg = entry["type"], entry.get("config", {})
    if ctype in ("id", "int", "signedIntBoolKey"):
        lo = cfg.get("Min", 0 if ctype == "id" else -(2**63))
        hi = cfg.get("Max", 2**64 - 1 if ctype == "id" else 2**63 - 1)
        n = draw(
            st.one_of(
                st.sampled_from([lo, lo - 1, lo + 1, hi, hi + 1, hi - 1, 2**44 - 1, 2**44, 2**53, 2**53 + 1, -(2**53) - 1, 0]), st.integers(-(10**6), 10**6)
            )
        )
        return draw(st.sampled_from(_num_texts(n) + [json.dumps(n + 0.5), json.dumps(float(n))]))
    if ctype == "ids":
        xs = draw(st.lists(st.integers(0, 2**45), max_size=4))
        return draw(
            st.sampled_from([json.dumps(xs), json.dumps(",".join(map(str, xs))), json.dumps(" , ".join(map(str, xs))), json.dumps([str(x) for x in xs])])
        )
    if ctype in ("string", "strings"):
        xs = draw(st.lists(st.text(alphabet="ab ,[]é\t\x00", max_size=4), max_size=3))
        return draw(st.sampled_from([json.dumps(xs[0] if xs else ""), json.dumps(xs), json.dumps(",".join(xs)), json.dumps("[" + ",".join(xs) + "]")]))
    if ctype == "bool":
        return draw(st.sampled_from(["true", "false", "0", "1", "-0", "0.5", "-0.5", '"T"', '" True "', '"yes"', '"0"', '""', "2"]))
    if ctype == "decimal":
        scale = cfg.get("Scale", 0)
        digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=21))
        frac = draw(st.text(alphabet="0123456789", max_size=22))
        sign = draw(st.sampled_from(["", "-", "+"]))
        s = sign + digits + ("." + frac if frac or draw(st.booleans()) else "")
        f = draw(st.floats(-(10 ** (19 - scale)), 10 ** (19 - scale), allow_nan=False))
        bare = s if sign != "+" and (digits == "0" or not digits.startswith("0")) and not s.endswith(".") else "1"  # as JSON spells a number
        return draw(st.sampled_from([json.dumps(s), json.dumps(f), bare, json.dumps(round(f, scale))]))
    if ctype in ("timestamp", "recordTime"):
        if "Unit" in cfg or "Epoch" in cfg:
            n = draw(
                st.one_of(
                    st.integers(-(2**63), 2**63), st.integers(-(10**12), 10**12), st.sampled_from([0, 253402300799, 253402300800, -62135596799, -62135596800])
                )
            )
            return draw(st.sampled_from(_num_texts(n) + [json.dumps(n / 7)]))
        y = draw(st.integers(1971, 2100) if clean else st.integers(0, 10000))
        frac = draw(st.text(alphabet="0123456789", max_size=11))
        off = draw(st.sampled_from(["Z", "+05:30", "-08:00"] if clean else ["Z", "+05:30", "-00:00", "+25:00", "z", ""]))
        layout = cfg.get("Layout", "")
        base = f"{y:04d}-{draw(st.integers(1, 12) if clean else st.integers(0, 13)):02d}-{draw(st.integers(1, 28) if clean else st.integers(0, 32)):02d}"
        if layout in ("", "2006-01-02T15:04:05Z07:00"):
            return json.dumps(f"{base}T{draw(st.integers(0, 23 if clean else 24)):02d}:05:06" + (f".{frac[: 9 if clean else 11]}" if frac else "") + off)
        return json.dumps(draw(st.sampled_from([base, base.replace("-", ""), f"{base} 01:02:03", "Jan  2 2020", "Feb 29 2021", base + " "])))
    if ctype == "dateInt":
        y = draw(st.integers(1900, 2100) if clean else st.integers(0, 9999))
        m, d = draw(st.integers(1, 12) if clean else st.integers(0, 13)), draw(st.integers(1, 28) if clean else st.integers(0, 32))
        return json.dumps(
            draw(st.sampled_from([f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}{m:02d}{d:02d}", f"{m:02d}/{d:02d}/{y:04d}", f"{y:04d}-{m:02d}", "0000-00-00"]))
        )
    return draw(leaf_text)


@st.composite
def typed_cases(draw: Any, max_records: int = 30, wild: bool = False) -> tuple[dict[str, Any], list[str], bool]:
    """Records whose values are mostly of their columns' types: the vector forms' ground."""
    sink, paths = draw(sinks(wild))
    clean = draw(st.booleans())
    entries = {tuple(e["path"]) if isinstance(e["path"], list) else tuple(e["path"].split(".")): e for e in sink["definition"]}
    out = []
    plain = True
    for _ in range(draw(st.integers(1, max_records))):
        rec: dict[str, Any] = {}
        for p, e in entries.items():
            if draw(st.integers(0, 40 if clean else 9)) == 0:
                continue
            node = rec
            for key in p[:-1]:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    break
            else:
                node[p[-1]] = ("raw", draw(typed_leaf(e, clean)))

        def write(node: Any) -> str:
            if isinstance(node, tuple):
                return node[1]
            return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{write(v)}" for k, v in node.items()) + "}"

        text = write(rec)
        try:
            ok = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")) == text and "\\ud800" not in text
        except ValueError:
            ok = False
        plain = plain and ok
        out.append(text)
    return sink, out, plain
