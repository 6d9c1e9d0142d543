"""Project record batches into columns: a fast path over chunks, a careful path per record.

The input is cut into chunks of 64 KB or so. For each chunk the fast path

1. checks cheaply that the chunk is one JSON object per line (every newline is
   ``}\\n{``) and valid UTF-8;
2. decodes it with msgspec into Structs that hold *only the mapped fields* (no dicts,
   not tracked by the GC), first with a strict decoder (every field present and
   non-null), else with a lenient one (fields nullable and optional);
3. pulls each column out with the generated list comprehensions and converts whole
   lists with numpy, element by element only where a value is not plainly clean.

Whatever the fast path cannot take - a record that does not decode, a value of an
unexpected type - goes down the careful path alone: decoded by itself into plain
Python objects, walked by the generated ``walk`` and converted by the reference
converters of :mod:`mapper.types`, which locate every error. Both paths write into
the same preallocated columns at the record's row, so a chunk with one bad record
costs one more decode, not a slow chunk. Clean chunks pay nothing for error
reporting: locations are built only when something fails.
"""

from __future__ import annotations

import gc
import json
import re
import warnings
from collections import defaultdict
from time import perf_counter
from typing import Any, Callable

import msgspec
import numpy as np
from msgspec import UNSET

from .batch import Batch, ColumnBuilder, ColumnData
from .compiler import MISSING, Mapper, NotObject, PathFailure
from .errors import BatchRejected, MapperError
from .io import _NotAnItem
from .report import Report, ReportBuilder, ValueWarning
from .types import NO_VALUE, TWO51, TWO53, ConversionError, Converter, Lossy, go_text, show, type_name

_IDX_RE = re.compile(r"at `\$\[(\d+)\]")
_BYTE_RE = re.compile(r"\(byte (\d+)\)")
_DECODE_ANY = msgspec.json.Decoder()

CHUNK_SIZE = 256 * 1024
LITERAL_MAX = 256  # a string column with at most this many distinct values is decoded as a Literal


class _Seg:
    """Where the records of a decoded run sit: first row and the line of each record."""

    __slots__ = ("pos", "first_line", "lines")

    def __init__(self, pos: int, first_line: int | None, lines: list[int | None] | None = None):
        self.pos = pos
        self.first_line = first_line
        self.lines = lines

    def line(self, i: int) -> int | None:
        if self.lines is not None:
            return self.lines[i]
        return None if self.first_line is None else self.first_line + i


def _is_ascii(data: bytes | memoryview) -> bool:
    if isinstance(data, bytes):
        return data.isascii()
    return len(data) == 0 or int(np.frombuffer(data, dtype=np.uint8).max()) < 128


def _clean_lines(buf: np.ndarray, newlines: np.ndarray, ends_nl: bool) -> bool:
    """True when every line of a chunk is one object, ``{...}``, with no blank lines.

    Every newline sits between ``}`` (or ``}\\r``) and ``{``, so no object can span
    lines (a raw newline cannot be inside a JSON string, and ``}`` then ``{`` is
    never valid inside a value): decoding the chunk yields exactly one value per line.
    """
    if buf[0] != 123:  # "{"
        return False
    inner = newlines[:-1] if ends_nl else newlines
    if len(inner) and not (buf[inner + 1] == 123).all():
        return False
    if len(newlines):
        before = buf[newlines - 1]
        if not (before == 125).all():  # "}": else allow CRLF line ends
            if not (before == 13).all() or newlines[0] < 2 or not (buf[newlines - 2] == 125).all():
                return False
    if not ends_nl:
        return bool(buf[-1] == 125)
    return True


_DONE: Any = object()  # _attempt mapped the whole run


class Engine:
    """Maps one batch, chunk by chunk, into column builders and a report."""

    def __init__(
        self,
        mapper: Mapper,
        *,
        output: bool = True,
        on_error: str = "reject",
        max_errors: int | float | None = None,
        strict: bool = False,
        keep_rejected: bool = True,
        on_reject: Callable[[Any], None] | None = None,
        capacity: int = 1024,
        fast: bool = True,
    ):
        if on_error not in ("reject", "skip"):
            raise MapperError(f'on_error must be "reject" or "skip", not {on_error!r}')
        if max_errors is not None and (isinstance(max_errors, bool) or not isinstance(max_errors, (int, float)) or max_errors < 0):
            raise MapperError(f"max_errors must be a count (an int >= 0) or a ratio (a float below 1), not {max_errors!r}")
        self.m = mapper
        self.output = output
        self.on_error = on_error
        self.max_errors = max_errors
        self.strict = strict
        self.fast = fast and mapper.fast_unavailable is None
        self.rb = ReportBuilder(on_error=on_error, strict=strict, keep_rejected=keep_rejected, on_reject=on_reject)
        self.n = 0  # records seen: the next record's index
        self.convs = mapper.converters
        self.cols = mapper.columns
        self.names = tuple(c.name for c in self.cols)
        self.paths = mapper.jsonpaths
        self.stored = mapper.stored_index
        self.allow_missing = mapper.sink.allow_missing_fields
        self.builders: dict[int, ColumnBuilder] = {ci: ColumnBuilder(self.convs[ci].kind, capacity) for ci in self.stored}
        self.id_builder = ColumnBuilder("uint64" if mapper.sink.id_field is not None else "str", capacity)
        self.failed: list[int] = []
        self._pending_raw: dict[int, bytes] = {}  # raw text of records of the current unit, where split out
        self.next_line = 1
        self.capacity = 0  # rows every builder has room for
        self.expect_bytes = 0  # size of the whole input, when known, to reserve columns once
        self.times = [0.0, 0.0, 0.0]  # seconds spent decoding, extracting, converting (fast path)
        self.stats = {"fast_records": 0, "careful_records": 0, "strict_runs": 0, "lax_runs": 0, "lenient_runs": 0, "loose_runs": 0}
        self.tier = 0  # adaptive: the decoder to start a chunk with (0 strict, 1 lax, 2 lenient)
        self.tiers = list(mapper.tiers) if mapper.fast_unavailable is None else []
        # string columns that hold few distinct values: learnt from the first chunk, then
        # decoded as Literal types by the strict tier (see Mapper.tiers_with)
        self.literals: dict[int, tuple[str, ...]] | None = None
        self.literal_rebuilds = 0
        # only where a laxer tier is there to take a value outside the set
        has_next = len(self.tiers) > 1 and self.tiers[0][0] == "strict"
        self.literal_candidates = [ci for ci in self.stored if self.convs[ci].type == "string"] if has_next else []
        self.runs_since_tier = 0
        # identity (a workers part may leave it to another process)
        sink = mapper.sink
        self.with_identity = mapper.with_identity
        self.id_col = mapper.identity_index[0] if sink.id_field is not None and self.with_identity else None
        self.pk_cols = mapper.identity_index if sink.id_field is None and self.with_identity else ()
        self.pk_single_str = len(self.pk_cols) == 1
        self.pk_all_strings = bool(self.pk_cols) and all(self.cols[ci].type == "string" for ci in self.pk_cols)
        # vectorised converters per column
        used = set(self.stored) | (set(mapper.identity_index) if mapper.with_identity else set())
        ident = set(mapper.identity_index)
        vec_lenient = {ci: _vector_for(self.convs[ci], strict=False, identity=ci in ident) for ci in used}
        self.vecs = {
            "strict": {ci: _vector_for(self.convs[ci], strict=True, identity=ci in ident) for ci in used},
            "lax": vec_lenient,
            "lenient": vec_lenient,
            "loose": {ci: (_string_loose if self.convs[ci].type == "string" else v) for ci, v in vec_lenient.items()},
        }

    # ------------------------------------------------------------------ input units

    def feed_ndjson(self, data: bytes | memoryview, first_line: int | None = None, ascii: bool = False) -> int:
        """Map a chunk of NDJSON that ends at a line boundary (or at the end of input).

        ``first_line`` is the 1-based line number of its first line (None: the line
        after the previous chunk). Returns the line number after the chunk.
        """
        if first_line is None:
            first_line = self.next_line
        if not data:
            return first_line
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == 10)
        ends_nl = data[-1] == 10
        count = len(newlines) + (0 if ends_nl else 1)
        end_line = self.next_line = first_line + count
        if self.expect_bytes and self.output:
            # First chunk of a batch of known size: reserve what the whole batch will
            # likely need, so columns are not regrown (and copied) along the way.
            self._prepare(int(count * self.expect_bytes / len(data) * 1.02) + 64)
            self.expect_bytes = 0
        self._prepare(count)
        start = self.n
        if self.fast and _clean_lines(buf, newlines, ends_nl):
            self._decode_run(data, _Seg(self.n, first_line), kind="lines", count=count, ascii=ascii)

            def raw_of(rec: int) -> bytes | None:
                # A rejected record's raw text: line ``rec - start`` of a clean chunk.
                if rec in self._pending_raw:
                    return self._pending_raw[rec]
                i = rec - start
                lo = int(newlines[i - 1]) + 1 if i else 0
                hi = int(newlines[i]) if i < len(newlines) else len(data)
                return bytes(data[lo:hi]).rstrip(b"\r")

            self._close_chunk(raw_of)
        else:
            self._lines_one_by_one(bytes(data), first_line)
            self._close_chunk()
        return end_line

    def feed_raw(self, raws: list[bytes], lines: list[int | None] | None = None, bad: dict[int, str] | None = None) -> None:
        """Map records given as the raw JSON text of each (JSON array elements, endpoint values).

        ``bad`` marks elements that are not records at all (an endpoint body item that
        is not ``{"value": ...}``): each is an error of its own.
        """
        if not raws:
            return
        self._prepare(len(raws))
        if bad:
            for i, raw in enumerate(raws):
                pos, line = self.n, lines[i] if lines else None
                if i in bad:
                    self._pending_raw[pos] = raw
                    self.rb.error(pos, line, None, None, "not_an_object", bad[i])
                    self._blank_row(pos)
                else:
                    self._careful_raw(raw, pos, line)
                self.n += 1
        elif self.fast:
            data = b"[" + b",".join(raws) + b"]"
            seg = _Seg(self.n, None, lines)
            self._decode_run(data, seg, kind="array", raws=raws)
        else:
            for i, raw in enumerate(raws):
                self._careful_raw(raw, self.n, lines[i] if lines else None)
                self.n += 1
        self._close_chunk(raw_of=self._raw_getter(raws))

    def feed_objects(self, objs: list[Any]) -> None:
        """Map records given as Python objects (dicts)."""
        if not objs:
            return
        self._prepare(len(objs))
        for obj in objs:
            self._careful_obj(obj, self.n, None)
            self.n += 1
        self._close_chunk()

    def feed_broken(self, message: str, line: int | None) -> None:
        """A document (JSON array, request body) that does not parse at all."""
        self._prepare(1)
        self.rb.error(self.n, line, None, None, "invalid_json", message)
        self._blank_row(self.n)
        self.n += 1
        self._close_chunk()

    # ------------------------------------------------------------------ bookkeeping

    def _prepare(self, k: int) -> None:
        end = self.n + k
        if end <= self.capacity:
            return
        for b in self.builders.values():
            b.reserve(end)
        self.id_builder.reserve(end)
        self.capacity = self.id_builder.base + len(self.id_builder.valid)

    def _raw_getter(self, raws: list[bytes]) -> Callable[[int], bytes]:
        start = self.n - len(raws)
        return lambda rec: raws[rec - start]

    def _close_chunk(self, raw_of: Callable[[int], bytes | None] | None = None) -> None:
        failed = self.rb.close_records(raw_of if raw_of is not None else self._pending_raw.get)
        self._pending_raw = {}
        if failed and self.output:
            self.failed.extend(failed)
        if not self.output:
            for b in self.builders.values():
                b.reset(self.n)
            self.id_builder.reset(self.n)
            self.capacity = self.id_builder.base + len(self.id_builder.valid)

    # ------------------------------------------------------------------ NDJSON chunks

    def _lines_one_by_one(self, data: bytes, first_line: int) -> None:
        """A chunk that is not clean NDJSON: take its lines one at a time (blank lines skipped)."""
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        good: list[bytes] = []
        good_lines: list[int | None] = []
        for offset, line in enumerate(lines):
            text = line.rstrip(b"\r")
            if not text.strip(b" \t\r"):
                continue
            good.append(text)
            good_lines.append(first_line + offset)
        if not good:
            return
        self._pending_raw = {self.n + i: raw for i, raw in enumerate(good)}
        if self.fast:
            # Each line alone is a complete value or an error; decoding them as one
            # array keeps them apart (a line cannot swallow its neighbour's comma:
            # that would make the count differ and send the run to the careful path).
            data2 = b"[" + b",".join(good) + b"]"
            self._decode_run(data2, _Seg(self.n, None, good_lines), kind="array", raws=good)
        else:
            for text, lineno in zip(good, good_lines):
                self._careful_raw(text, self.n, lineno)
                self.n += 1

    # ------------------------------------------------------------------ the fast path

    def _decode_run(self, data: Any, seg: _Seg, *, kind: str, raws: list[bytes] | None = None, count: int = 0, ascii: bool = False) -> None:
        """Decode a run of records and map them; on failure, split the run at each failing record.

        The loop is iterative (a chunk full of bad records must not recurse), and after a
        few failures in one run the rest is decoded record by record, so the cost stays
        linear however many records fail.
        """
        if kind != "lines":
            count = len(raws or ())
        bad = self._attempt(data, seg, kind, raws, count, ascii)
        if bad is _DONE:
            return
        data = bytes(data)
        if raws is None:
            raws = data.split(b"\n")
            if data.endswith(b"\n"):
                raws.pop()
            raws = [r.rstrip(b"\r") for r in raws]
        lines = [seg.line(i) for i in range(count)]
        self._pending_raw.update({self.n + i: r for i, r in enumerate(raws)})
        i = failures = 0
        while i < count:
            if bad is None or not 0 <= bad < count - i:  # no position: the rest one by one
                self._one_by_one(raws[i:], lines[i:])
                return
            if bad:
                head = raws[i : i + bad]
                if self._attempt(b"[" + b",".join(head) + b"]", _Seg(self.n, None, lines[i : i + bad]), "array", head, bad) is not _DONE:
                    self._one_by_one(head, lines[i : i + bad])  # pragma: no cover - these decoded a moment ago
            self._careful_raw(raws[i + bad], self.n, lines[i + bad])
            self.n += 1
            i += bad + 1
            failures += 1
            if i >= count:
                return
            if failures >= 8:
                self._one_by_one(raws[i:], lines[i:])
                return
            rest = raws[i:]
            bad = self._attempt(b"[" + b",".join(rest) + b"]", _Seg(self.n, None, lines[i:]), "array", rest, len(rest))
            if bad is _DONE:
                return

    def _attempt(self, data: Any, seg: _Seg, kind: str, raws: list[bytes] | None, count: int, ascii: bool = False) -> Any:
        """Decode and map a run with the first decoder tier that takes it.

        Returns _DONE, or the index (within the run) of the record that no tier takes
        (None when the decoder gave no position).
        """
        if not ascii and not _is_ascii(data):
            # msgspec does not check UTF-8 in the parts it skips: check the run first.
            try:
                str(data, "utf-8")
            except UnicodeDecodeError as exc:
                return self._record_at(bytes(data), exc.start, kind, raws)
        tiers = self.tiers
        timer = perf_counter
        new_value = False  # a Literal-typed string column met a value outside its set
        for level in range(self.tier, len(tiers)):
            name, lines_decoder, list_decoder, extract, _tier = tiers[level]
            t0 = timer()
            try:
                recs = lines_decoder.decode_lines(data) if kind == "lines" else list_decoder.decode(data)
            except msgspec.ValidationError as exc:
                if level + 1 < len(tiers):
                    # A laxer decoder may take it; start there for the next chunks too.
                    self.tier = max(self.tier, level + 1)
                    new_value = new_value or str(exc).startswith("Invalid enum value")
                    continue
                return self._failing_index(str(exc), bytes(data), kind, raws, count)
            except (msgspec.DecodeError, ValueError, RecursionError) as exc:
                # ValueError: e.g. an integer of more than 4,300 digits
                return self._failing_index(str(exc), bytes(data), kind, raws, count)
            if len(recs) != count:  # cannot happen for clean runs; be safe
                return None
            self.stats[name + "_runs"] += 1
            self.stats["fast_records"] += count
            if level and level == self.tier:
                self.runs_since_tier += 1
                if self.runs_since_tier >= 8:  # try the stricter, quicker decoders again now and then
                    self.runs_since_tier = 0
                    self.tier = 0
            t1 = timer()
            lists = extract(recs)
            del recs
            if self.literal_candidates and (self.literals is None or new_value):
                self._learn_literals(lists, count)
            t2 = timer()
            self._fill(lists, seg, count, name)
            t3 = timer()
            st = self.times
            st[0] += t1 - t0
            st[1] += t2 - t1
            st[2] += t3 - t2
            self.n += count
            return _DONE
        return None  # pragma: no cover - the last tier returns above

    def _learn_literals(self, lists: tuple[list[Any], ...], count: int) -> None:
        """Find string columns with few distinct values and decode them as Literals from now on.

        Called on the first chunk, and whenever the strict decoder refused a chunk for
        a value outside a column's set: the set grows (or the column is dropped once it
        holds too many values); a few rebuilds at most per batch.
        """
        if count < 64 or self.literal_rebuilds >= 6:
            return
        current = dict(self.literals or {})
        changed = self.literals is None
        for ci in self.literal_candidates:
            values = {v for v in lists[ci] if v.__class__ is str and v}
            if self.literals is None:
                if 0 < len(values) <= LITERAL_MAX and len(values) * 8 <= count:
                    current[ci] = tuple(sorted(values))
            elif ci in current and not values <= set(current[ci]):
                merged = values | set(current[ci])
                if len(merged) <= LITERAL_MAX:
                    current[ci] = tuple(sorted(merged))
                else:
                    del current[ci]
                changed = True
        self.literals = current
        if not changed:
            return
        self.literal_rebuilds += 1
        self.tiers = list(self.m.tiers_with(current))
        self.tier = 0

    def _one_by_one(self, raws: list[bytes], lines: list[int | None]) -> None:
        """Decode records singly (many fail here): the good ones still take the fast path, in runs."""
        tier, _lines_decoder, list_decoder, extract, _name = self.tiers[-1]
        block: list[Any] = []
        block_lines: list[int | None] = []

        def flush() -> None:
            if block:
                k = len(block)
                self._fill(extract(block), _Seg(self.n, None, list(block_lines)), k, tier)
                self.stats["fast_records"] += k
                self.n += k
                block.clear()
                block_lines.clear()

        for raw, line in zip(raws, lines):
            self._pending_raw[self.n + len(block)] = raw
            good = raw.isascii()
            if not good:
                try:
                    raw.decode("utf-8")
                    good = True
                except UnicodeDecodeError:
                    pass
            if good:
                try:
                    decoded = list_decoder.decode(b"[" + raw + b"]")
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
                    decoded = None
                if decoded is not None and len(decoded) == 1:  # "{..},{..}" is two values: not one record
                    block.append(decoded[0])
                    block_lines.append(line)
                    continue
            flush()
            self._careful_raw(raw, self.n, line)
            self.n += 1
        flush()

    @staticmethod
    def _record_at(data: bytes, offset: int, kind: str, raws: list[bytes] | None) -> int | None:
        """The index of the record holding byte ``offset`` of a run."""
        if kind == "lines":
            return data.count(b"\n", 0, offset)
        pos = 1  # after the opening bracket
        for i, raw in enumerate(raws or ()):
            pos += len(raw)
            if offset < pos:
                return i
            pos += 1  # the comma
        return None

    def _failing_index(self, message: str, data: bytes, kind: str, raws: list[bytes] | None, count: int) -> int | None:
        m = _IDX_RE.search(message)
        if m:
            return int(m.group(1))
        m = _BYTE_RE.search(message)
        if m:
            return self._record_at(data, int(m.group(1)), kind, raws)
        if "truncated" in message:
            return count - 1
        return None

    def _fill(self, lists: tuple[list[Any], ...], seg: _Seg, k: int, tier: str) -> None:
        """Write the columns of ``k`` decoded records (by decoder ``tier``) at rows ``seg.pos ...``."""
        with np.errstate(all="ignore"):  # overflows are caught by the range checks, not warned about
            self._fill_columns(lists, seg, k, tier, self.vecs[tier])

    def _fill_columns(self, lists: tuple[list[Any], ...], seg: _Seg, k: int, tier: str, vecs: dict[int, Any]) -> None:
        for ci in self.stored:
            self._fill_column(ci, lists[ci], seg, k, self.builders[ci], vecs[ci])
        if self.id_col is not None:
            self._fill_column(self.id_col, lists[self.id_col], seg, k, self.id_builder, vecs[self.id_col], identity=True)
        elif self.pk_cols:
            self._fill_pk([lists[ci] for ci in self.pk_cols], seg, k, tier)

    def _fill_column(self, ci: int, lst: list[Any], seg: _Seg, k: int, b: ColumnBuilder, vec: Any, identity: bool = False) -> None:
        """Convert a column's list at once; redo only the elements the vector form cannot vouch for."""
        element = self._id_element if identity else (lambda v, pos, line: self._element(ci, v, pos, line, b))
        start = seg.pos - b.base
        result = vec(lst, b.values[start : start + k]) if vec is not None and b.sets is None else None
        if result is None:  # no vector form for this list: element by element
            for i, v in enumerate(lst):
                element(v, seg.pos + i, seg.line(i))
            return
        ok, lossy = result
        if ok is not None:
            for i in np.flatnonzero(~ok).tolist():
                element(lst[i], seg.pos + i, seg.line(i))
        if lossy:
            self._lossy(ci, lst, seg, lossy, element)

    def _lossy(self, ci: int, lst: list[Any], seg: _Seg, lossy: list[tuple[str, np.ndarray]], element: Any) -> None:
        """Report values the vector form computed right but the endpoint stores differently from how they were sent."""
        for kind, mask in lossy:
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            if self.strict:
                for i in idx.tolist():  # the scalar converter words the error
                    element(lst[i], seg.pos + i, seg.line(i))
            elif not self.rb.warnings_full:
                name, path, convert = self.names[ci], self.paths[ci], self.convs[ci].convert
                for i in idx.tolist():  # worded when read: most runs never read them
                    self.rb.warning_lazy(seg.pos + i, seg.line(i), name, path, kind, convert, lst[i])
            else:  # past the warnings kept in full, only count them
                key = (self.names[ci], kind)
                counts = self.rb.report.warning_counts
                counts[key] = counts.get(key, 0) + len(idx)

    def _fill_pk(self, lists: list[list[Any]], seg: _Seg, k: int, tier: str) -> None:
        b = self.id_builder
        start = seg.pos - b.base
        plain = tier == "strict" or all(all(lst) for lst in lists)
        if plain and tier == "loose":  # numbers and bools are truthy too: only strings will do
            plain = all(bool((_by_type(lst)[1] == STR).all()) for lst in lists)
        if self.pk_all_strings and plain:
            # string leaves hold str, None or UNSET; all() rules out None, UNSET and ""
            b.values[start : start + k] = lists[0] if self.pk_single_str else ["|".join(t) for t in zip(*lists)]
            return
        for i in range(k):
            self._pk_element([lst[i] for lst in lists], seg.pos + i, seg.line(i))

    # ------------------------------------------------------------------ the careful path

    def _careful_raw(self, raw: bytes, pos: int, line: int | None) -> None:
        self._pending_raw[pos] = raw
        if not raw:
            self.rb.error(pos, line, None, None, "not_an_object", 'the request body item has no "value"')
            self._blank_row(pos)
            return
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                col = len(raw[: exc.start].decode("utf-8", "replace")) + 1
                self.rb.error(pos, line, None, None, "invalid_json", f"Invalid UTF-8: byte 0x{raw[exc.start]:02x} at char {col}")
                self._blank_row(pos)
                return
        try:
            obj = _DECODE_ANY.decode(raw)
        except (msgspec.DecodeError, ValueError) as exc:
            obj = _lone_surrogates(raw)
            if obj is _FAIL:
                self.rb.error(pos, line, None, None, "invalid_json", _json_error_text(raw, str(exc)))
                self._blank_row(pos)
                return
        except RecursionError:
            self.rb.error(pos, line, None, None, "invalid_json", "Invalid JSON: nested too deeply")
            self._blank_row(pos)
            return
        self._careful_obj(obj, pos, line)

    def _careful_obj(self, obj: Any, pos: int, line: int | None) -> None:
        self.stats["careful_records"] += 1
        if isinstance(obj, _NotAnItem):
            what = 'has no "value"' if obj.item is None else f"is `{type_name(obj.item)}`, not an object with \"value\""
            self.rb.error(pos, line, None, None, "not_an_object", f"the request body item {what}")
            self._blank_row(pos)
            return
        if not isinstance(obj, dict):
            self.rb.error(pos, line, None, "$", "not_an_object", f"Expected `object`, got `{type_name(obj)}` {show(obj)}: a record must be a JSON object")
            self._blank_row(pos)
            return
        try:
            values = self.m.walk(obj)
        except RecursionError:  # pragma: no cover - absurdly deep records
            self.rb.error(pos, line, None, "$", "invalid_value", "record nested too deeply")
            self._blank_row(pos)
            return
        reported: set[tuple[str, ...]] = set()
        for ci in self.stored:
            v = values[ci]
            if isinstance(v, NotObject):
                if v.keys not in reported:
                    reported.add(v.keys)
                    self._not_object(ci, v, pos, line)
                self.builders[ci].put_missing(pos)
                continue
            self._element(ci, v, pos, line, self.builders[ci])
        if self.id_col is not None:
            v = values[self.id_col]
            if isinstance(v, NotObject):
                if v.keys not in reported:
                    self._not_object(self.id_col, v, pos, line)
                self.id_builder.put_missing(pos)
            else:
                self._id_element(v, pos, line)
        elif self.pk_cols:
            raw_vals = [values[ci] for ci in self.pk_cols]
            for ci, v in zip(self.pk_cols, raw_vals):
                if isinstance(v, NotObject) and v.keys not in reported:
                    reported.add(v.keys)
                    self._not_object(ci, v, pos, line)
            if any(isinstance(v, NotObject) for v in raw_vals):
                self.id_builder.put_missing(pos)
            else:
                self._pk_element(raw_vals, pos, line)

    def _not_object(self, ci: int, v: NotObject, pos: int, line: int | None) -> None:
        # The ingester's wording: element at ["data"] is not an object
        keys = json.dumps(list(v.keys), ensure_ascii=False)
        self.rb.error(
            pos,
            line,
            self.names[ci],
            self.paths[ci],
            "not_an_object",
            f"element at {keys} is not an object (got `{type_name(v.value)}` {show(v.value)})",
        )

    def _blank_row(self, pos: int) -> None:
        for b in self.builders.values():
            b.put_missing(pos)
        self.id_builder.put_missing(pos)

    def _element(self, ci: int, v: Any, pos: int, line: int | None, b: ColumnBuilder) -> None:
        """Convert one raw value into row ``pos`` of column ``ci`` (the reference path)."""
        if v is None:
            b.put_null(pos)
            return
        if v is MISSING or v is UNSET:
            b.put_missing(pos)
            if not self.allow_missing:
                self.rb.error(pos, line, self.names[ci], self.paths[ci], "missing", "Missing value (allow_missing_fields is false)")
            return
        if isinstance(v, PathFailure):
            b.put_missing(pos)
            self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_value", f"JMESPath expression failed: {v.message}")
            return
        notes: list[Lossy] = []
        try:
            stored = self.convs[ci].convert(v, notes)
        except ConversionError as exc:
            b.put_missing(pos)
            self.rb.error(pos, line, self.names[ci], self.paths[ci], exc.code, exc.reason)
            return
        except RecursionError:
            b.put_missing(pos)
            self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_value", f"`{type_name(v)}` value nested too deeply")
            return
        if stored is NO_VALUE:
            b.put_missing(pos)
        else:
            b.put(pos, stored)
        if notes:
            self._notes(ci, notes, pos, line)

    def _notes(self, ci: int | None, notes: list[Lossy], pos: int, line: int | None) -> None:
        name = self.names[ci] if ci is not None else "_id"
        path = self.paths[ci] if ci is not None else None
        for note in notes:
            if self.strict:
                reason = ValueWarning(pos, line, name, path, note.kind, note.sent, note.stored, note.hint).reason
                self.rb.error(pos, line, name, path, "lossy_value", reason)
            else:
                self.rb.warning(pos, line, name, path, note.kind, note.sent, note.stored, note.hint)

    def _id_element(self, v: Any, pos: int, line: int | None) -> None:
        ci = self.id_col
        assert ci is not None
        b = self.id_builder
        name, path = self.names[ci], self.paths[ci]
        if v is None or v is MISSING or v is UNSET:
            b.put_missing(pos)
            what = "null" if v is None else "missing"
            self.rb.error(pos, line, name, path, "invalid_id", f"the record's id ({self.m.sink.id_field}) is {what}")
            return
        notes: list[Lossy] = []
        try:
            stored = self.convs[ci].convert(v, notes)
        except ConversionError as exc:
            b.put_missing(pos)
            self.rb.error(pos, line, name, path, "invalid_id", exc.reason)
            return
        if stored is NO_VALUE:
            b.put_missing(pos)
            self.rb.error(pos, line, name, path, "invalid_id", "the record's id is an empty string")
            return
        if stored < 0:
            b.put_missing(pos)
            self.rb.error(pos, line, name, path, "invalid_id", f"can't use negative value {stored} as ID")
            return
        b.put(pos, stored)
        if notes and ci not in self.stored:
            self._notes(ci, notes, pos, line)

    def _pk_element(self, raw: list[Any], pos: int, line: int | None) -> None:
        b = self.id_builder
        for ci, v in zip(self.pk_cols, raw):
            if v is None or v is MISSING or v is UNSET:
                what = "null" if v is None else "missing"
                b.put_missing(pos)
                self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_id", f"primary key field {self.names[ci]!r} is {what}")
                return
            if isinstance(v, PathFailure):
                b.put_missing(pos)
                self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_id", f"JMESPath expression failed: {v.message}")
                return
        if self.pk_single_str and isinstance(raw[0], str):
            key = raw[0]
        else:
            try:
                texts = [go_text(v) for v in raw]
            except (ConversionError, RecursionError) as exc:
                b.put_missing(pos)
                ci = self.pk_cols[0]
                reason = exc.reason if isinstance(exc, ConversionError) else "a key value nested too deeply"
                self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_id", reason)
                return
            key = "|".join(texts)
            if any(_changed_text(v, t) for v, t in zip(raw, texts)):
                sent = raw[0] if len(raw) == 1 else raw
                self._notes(None, [Lossy("string_from_value", sent, key, "the key is made of the values as Go prints them")], pos, line)
        if key == "":
            b.put_missing(pos)
            ci = self.pk_cols[0]
            self.rb.error(pos, line, self.names[ci], self.paths[ci], "invalid_id", "the primary key is empty")
            return
        b.put(pos, key)

    # ------------------------------------------------------------------ the end

    def finish_part(self) -> tuple[dict[str, Any], Any, Report]:
        """Uncompacted arrays of this engine's columns (and _id, if it makes it), for workers=N."""
        report = self.rb.report
        report.records = self.n
        columns = {self.names[ci]: self.builders[ci].finish(self.n, None) for ci in self.stored}
        ids = self.id_builder.finish(self.n, None) if self.with_identity else None
        return columns, ids, report

    def finish(self) -> tuple[Batch | None, Report]:
        report = self.rb.report
        report.records = self.n
        decide(report, self.allow_missing, self.on_error, self.max_errors)
        if not self.output:
            return None, report
        if not report.accepted:
            return None, report
        keep = None
        if self.failed:
            keep = np.ones(self.n, dtype=bool)
            keep[np.asarray(self.failed, dtype=np.int64)] = False
        columns: dict[str, ColumnData] = {}
        for ci in self.stored:
            conv = self.convs[ci]
            arrays = self.builders[ci].finish(self.n, keep)
            columns[self.names[ci]] = ColumnData(self.names[ci], conv.type, arrays, scale=conv.scale, unit=conv.unit, digits=conv.digits)
        ids = self.id_builder.finish(self.n, keep).values
        record_index = np.arange(self.n, dtype=np.int64)
        if keep is not None:
            record_index = record_index[keep]
        return Batch(self.m.sink, ids, record_index, columns, report), report


def decide(report: Report, allow_missing: bool, on_error: str, limit: int | float | None) -> None:
    """Apply the batch policy: is the batch accepted, and if not, why."""
    if not report.failed_records:
        return
    if on_error == "reject":
        report.accepted = False
        if not allow_missing and any(code == "missing" for (_c, code) in report.error_counts):
            report.reject_reason = "allow_missing_fields is false and a record is missing a mapped value"
        else:
            report.reject_reason = "a record failed and on_error is reject"
    elif limit is not None:
        ratio = isinstance(limit, float) and limit < 1
        if report.failed_records > (limit * report.records if ratio else limit):
            report.accepted = False
            what = f"{limit:.0%} of {report.records} records" if ratio else f"{int(limit)} errors"
            report.reject_reason = f"{report.failed_records} records failed, more than max_errors ({what})"


_FAIL: Any = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogates(raw: bytes) -> Any:
    """A record msgspec refuses only for an unpaired ``\\ud800``-style escape.

    Go's decoder takes those and stores U+FFFD; Python's json module reads them as
    lone surrogates, which are replaced here. Anything else it cannot read stays an
    error (NaN and Infinity are not JSON for Go either).
    """
    if b"\\u" not in raw:
        return _FAIL

    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        obj = json.loads(raw, parse_constant=reject)
    except (ValueError, RecursionError):
        return _FAIL

    def fix(v: Any) -> Any:
        if isinstance(v, str):
            return _SURROGATE.sub("\ufffd", v)
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {fix(k): fix(x) for k, x in v.items()}
        return v

    try:
        return fix(obj)
    except RecursionError:  # pragma: no cover
        return _FAIL


def _changed_text(value: Any, text: str) -> bool:
    """Whether Go's %v text of a key value reads differently from the JSON number sent."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return "e" in text or (isinstance(value, int) and text != str(value))


def _json_error_text(raw: bytes, message: str) -> str:
    """msgspec's 'JSON is malformed: ... (byte N)' with the character position in the record."""
    m = _BYTE_RE.search(message)
    text = message.replace("JSON is malformed: ", "").replace("Input data was truncated", "unexpected end of the record (truncated)")
    if m:
        offset = int(m.group(1))
        col = len(raw[:offset].decode("utf-8", "replace")) + 1
        text = _BYTE_RE.sub(f"at char {col}", text)
    return f"Invalid JSON: {text}"


# ---------------------------------------------------------------------------------------
# Vector converters: whole lists at once, agreeing with the scalar converters.
#
# Each returns (values, ok, lossy) or None. ``values`` fills the column slice;
# elements where ``ok`` is False are redone by the scalar converter (errors,
# unusual types); ``lossy`` lists (kind, mask) of elements whose stored value is
# right but differs from what was sent (reported as warnings).

def _vector_for(conv: Converter, strict: bool, identity: bool = False) -> Callable[[list[Any], np.ndarray], Any] | None:
    """The vector form of a converter, for the strict or the lenient decoder's lists.

    It writes into ``out`` (the column's slice) and returns ``(ok, lossy)``, or None
    when the list needs the scalar converter throughout. For the identity column a
    negative value is never ok (it fails the record).
    """
    col = conv.column
    t = col.type
    if t in ("int", "signedIntBoolKey", "id"):
        if t == "id":
            lo, hi = 0, 2**64 - 1
        else:
            lo = col.config.min if col.config.min is not None else -(2**63)
            hi = col.config.max if col.config.max is not None else 2**63 - 1
        if identity:
            lo = max(lo, 0)
        return _int_strict(lo, hi) if strict else _int_lenient(lo, hi, signed=t != "id")
    if t == "decimal":
        return _decimal_vector(conv.scale or 0, strict)
    if t == "bool":
        return _bool_strict if strict else _bool_lenient
    if t == "string":
        return _string_strict if strict else _string_vector
    if t == "timestamp" and col.config.numeric_time:
        return _timestamp_vector(conv, strict)
    return None


def _int_strict(lo: int, hi: int) -> Callable[[list[Any], np.ndarray], Any]:
    # Ints within +-2**53 convert exactly through the endpoint's float64 decoding.
    lo53, hi53 = max(lo, -TWO53), min(hi, TWO53)

    def vec(lst: list[int], out: np.ndarray) -> Any:
        try:
            out[:] = lst  # the strict decoder only lets Python ints through
        except (OverflowError, ValueError, TypeError):
            return None
        if out.min() >= lo53 and out.max() <= hi53:
            return None, []
        return (out >= lo53) & (out <= hi53), []

    return vec


def _int_lenient(lo: int, hi: int, signed: bool = True) -> Callable[[list[Any], np.ndarray], Any]:
    lo53, hi53 = max(lo, -TWO53), min(hi, TWO53)
    # A float at +-2**53 may be an int above 2**53 rounded by numpy on the way in:
    # only floats strictly inside are vouched for (the scalar path words int_precision).
    flo, fhi = float(max(lo, -TWO53 + 1)), float(min(hi, TWO53 - 1))

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        # numpy's type inference is the quickest test for "all numbers", but on a list
        # with strings it formats every number as text first: look before leaping.
        arr = None if _has_strings(lst) else _as_array(lst)
        if arr is not None and arr.dtype.kind == "i":
            ok = (arr >= lo53) & (arr <= hi53)
            out[:] = np.where(ok, arr, 0)
            return (None if ok.all() else ok), []
        if arr is not None and arr.dtype.kind == "f":  # ints and floats: the endpoint's float64 truncation
            t = np.trunc(arr)
            ok = (t >= flo) & (t <= fhi)
            out[:] = np.where(ok, t, 0)
            frac = ok & (t != arr)
            return (None if ok.all() else ok), ([("float_truncated", frac)] if frac.any() else [])
        # Mixed: numeric strings, nulls, missing values. Sort the values by type at C
        # speed and convert each kind at once; only the rest goes element by element.
        objs, types = _by_type(lst)
        ok = np.zeros(len(lst), dtype=bool)
        lossy: list[tuple[str, np.ndarray]] = []
        is_str = types == STR
        is_float = types == FLOAT
        groups = [(str, is_str), (float, is_float), (int, types == INT)]
        for cls, mask in groups:
            sel = np.flatnonzero(mask)
            if not len(sel):
                continue
            sub = objs[sel]
            if cls is str:
                values = _digit_strings(sub, signed)
                if values is None:
                    continue
                good = (values >= lo) & (values <= hi)  # strings parse exactly: no 2**53 limit
                out[sel] = np.where(good, values, 0)
            elif cls is int:
                try:
                    values = sub.astype(np.int64)
                except OverflowError:
                    continue
                good = (values >= lo53) & (values <= hi53)
                out[sel] = np.where(good, values, 0)
            else:
                f = sub.astype(np.float64)
                t = np.trunc(f)
                good = (t >= flo) & (t <= fhi)
                out[sel] = np.where(good, t, 0)
                frac = good & (t != f)
                if frac.any():
                    full = np.zeros(len(lst), dtype=bool)
                    full[sel[frac]] = True
                    lossy.append(("float_truncated", full))
            ok[sel] = good
        return (None if ok.all() else ok), lossy

    return vec


def _digit_strings(texts: np.ndarray, signed: bool = True) -> np.ndarray | None:
    """int64 values of numeric strings as Go's ParseInt(TrimSpace(s)) reads them, or None.

    Every string must be an optional sign and ASCII digits, at most 18 characters
    (so nothing overflows): numpy's text parser then reads them in C exactly as
    Go would, and would otherwise be looser ("" and "-" read as 0, overflow
    saturates). Anything else (spaces, points, exponents, Unicode digits) goes to
    the scalar converter.
    """
    joined = "\n".join(texts.tolist())
    if not (_SIGNED_DIGITS if signed else _UNSIGNED_DIGITS).fullmatch(joined):  # ParseUint takes no sign
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(joined, dtype=np.int64, sep="\n")
        except (ValueError, DeprecationWarning):  # pragma: no cover - the pattern already vouched
            return None
    return values if len(values) == len(texts) else None


_SIGNED_DIGITS = re.compile(r"[+-]?[0-9]{1,18}(?:\n[+-]?[0-9]{1,18})*")
_UNSIGNED_DIGITS = re.compile(r"[0-9]{1,18}(?:\n[0-9]{1,18})*")


def _has_strings(lst: list[Any]) -> bool:
    """Whether a sample of the list holds strings (lax lists mix them in everywhere)."""
    return any(v.__class__ is str for v in lst[:16])


#: Kind codes of decoded JSON values (anything else: OTHER).
INT, FLOAT, STR, BOOL, OTHER = 0, 1, 2, 3, 4
_KIND: dict[type, int] = defaultdict(lambda: OTHER, {int: INT, float: FLOAT, str: STR, bool: BOOL})


def _by_type(lst: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The values as an object array, and each one's kind code (``kinds == STR`` ...), at C speed."""
    n = len(lst)
    return np.fromiter(lst, dtype=object, count=n), np.fromiter(map(_KIND.__getitem__, map(type, lst)), dtype=np.int8, count=n)


def _as_array(lst: list[Any]) -> np.ndarray | None:
    if not lst:
        return None
    try:
        arr = np.array(lst)
    except (ValueError, OverflowError, TypeError):
        return None
    return arr if arr.ndim == 1 else None


def _decimal_vector(scale: int, strict: bool) -> Callable[[list[Any], np.ndarray], Any]:
    factor = 10.0**scale

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        sel = None  # the elements handled here, when not all of them
        if strict:
            try:  # ints and floats only; ints round as the endpoint's decoder does
                arr = np.array(lst, dtype=np.float64)
            except (OverflowError, ValueError, TypeError):
                return None
        else:
            a = _as_array(lst)
            if a is not None and a.dtype.kind in "if":
                arr = a.astype(np.float64)
            else:  # strings, nulls, missing values: convert the numbers, leave the rest
                objs, types = _by_type(lst)
                sel = np.flatnonzero(types <= FLOAT)
                if not len(sel):
                    return None
                try:
                    arr = objs[sel].astype(np.float64)
                except OverflowError:
                    return None
        if sel is not None:
            part = np.zeros(len(sel), dtype=out.dtype)
            result = vec_numbers(arr, part)
            out[sel] = part
            ok = np.zeros(len(lst), dtype=bool)
            ok[sel] = True if result[0] is None else result[0]
            lossy = []
            for kind, mask in result[1]:
                full = np.zeros(len(lst), dtype=bool)
                full[sel[mask]] = True
                lossy.append((kind, full))
            return ok, lossy
        return vec_numbers(arr, out)

    def vec_numbers(arr: np.ndarray, out: np.ndarray) -> Any:
        product = arr * factor
        t = np.trunc(product)
        # Below 2**51 the float product is within 0.25 of the written number times
        # 10**scale, so rounding it recovers that number exactly and the tests below are
        # exact; bigger products (large values, high scales) go to the scalar converter.
        if np.abs(product).max() < TWO51:
            ok = None
            out[:] = t
        else:
            ok = np.abs(product) < TWO51
            out[:] = np.where(ok, t, 0.0)
        nearest = np.rint(product)
        short = nearest / factor == arr  # the written number has at most `scale` digits
        lossy = []
        changed = short & (t != nearest)
        if ok is not None:
            changed &= ok
            short |= ~ok
        if changed.any():
            lossy.append(("float_decimal", changed))
        if not short.all():
            lossy.append(("decimal_truncated", ~short))
        return ok, lossy

    return vec


def _bool_strict(lst: list[bool], out: np.ndarray) -> Any:
    out[:] = lst
    return None, []


def _bool_lenient(lst: list[Any], out: np.ndarray) -> Any:
    arr = _as_array(lst)
    if arr is not None and arr.dtype.kind == "b":
        out[:] = arr
        return None, []
    objs, types = _by_type(lst)
    ok = types == BOOL
    if not ok.any():
        return None
    out[ok] = objs[ok].astype(bool)
    return ok, []


def _string_vector(lst: list[Any], out: np.ndarray) -> Any:
    # The decoders only let str (or None / UNSET on the lenient path) through here, and
    # "", None and UNSET are the only falsy ones: all() finds them in one C-level pass.
    out[:] = lst
    if all(lst):
        return None, []
    ok = np.fromiter(map(bool, lst), dtype=bool, count=len(lst))
    return ok, []


def _string_strict(lst: list[str], out: np.ndarray) -> Any:
    out[:] = lst  # the strict decoder only lets non-empty strings through
    return None, []


def _string_loose(lst: list[Any], out: np.ndarray) -> Any:
    # Numbers and bools too: those (and "", None, UNSET) go to the scalar converter.
    out[:] = lst
    _objs, kinds = _by_type(lst)
    ok = (kinds == STR) & np.fromiter(map(bool, lst), dtype=bool, count=len(lst))
    return (None if ok.all() else ok), []


def _timestamp_vector(conv: Converter, strict: bool) -> Callable[[list[Any], np.ndarray], Any] | None:
    from .sink import TS_MAX_NANO_NS, TS_MAX_NS, TS_MIN_NANO_NS, TS_MIN_NS
    from .types import UNIT_NS

    cfg = conv.column.config
    gran_ns = UNIT_NS[cfg.granularity or "s"]
    unit_ns = UNIT_NS[cfg.unit or "s"]
    if cfg.epoch_ns % gran_ns:
        return None
    epoch_v = cfg.epoch_ns // gran_ns
    ratio = float(unit_ns) / float(gran_ns)
    lo, hi = (TS_MIN_NANO_NS, TS_MAX_NANO_NS) if gran_ns == 1 else (TS_MIN_NS, TS_MAX_NS)
    lo_v, hi_v = -(-lo // gran_ns), hi // gran_ns
    same = unit_ns == gran_ns and epoch_v == 0

    ints = _int_lenient(-(2**63), 2**63 - 1)

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        pre_ok = None
        if strict:
            try:
                v = np.array(lst, dtype=np.int64)
            except (OverflowError, ValueError, TypeError):
                return None
        else:
            v = np.zeros(len(lst), dtype=np.int64)
            r = ints(lst, v)
            if r is None:
                return None
            pre_ok, pre_lossy = r
            for _kind, mask in pre_lossy:  # truncated floats: the scalar path words both notes
                pre_ok = ~mask if pre_ok is None else pre_ok & ~mask
        if pre_ok is None and same and v.min() >= lo_v and v.max() <= hi_v and np.abs(v).max() <= TWO53:
            out[:] = v  # counted in the column's own unit from 1970: stored as sent
            return None, []
        small = np.abs(v) <= TWO53
        dur_f = v.astype(np.float64) * ratio
        fits = np.abs(dur_f) < 9.0e18
        dur = np.where(fits, dur_f, 0.0).astype(np.int64)
        stored = dur + epoch_v
        good = small & fits & ~(((dur >= 0) & (v < 0)) | ((dur < 0) & (v > 0))) & (stored >= lo_v) & (stored <= hi_v)
        if pre_ok is not None:
            good &= pre_ok
        out[:] = stored
        if unit_ns >= gran_ns:
            inexact = good & (dur != v * (unit_ns // gran_ns))
        else:
            k = gran_ns // unit_ns
            inexact = good & ((v % k != 0) | (dur != v // k))
        return (None if good.all() else good), ([("timestamp_truncated", inexact)] if inexact.any() else [])

    return vec


# ---------------------------------------------------------------------------------------
# Entry point


def run(mapper: Mapper, records: Any, **options: Any) -> Any:
    """Map or validate ``records`` (see :meth:`Mapper.map`).

    The cyclic garbage collector is paused meanwhile: mapping makes no reference
    cycles, and in a process that already holds millions of tracked objects each
    collection our allocations trigger would rescan them all (a GC cliff).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(mapper, records, **options)
    finally:
        if was_enabled:
            gc.enable()


def _run(mapper: Mapper, records: Any, *, output: bool, input_format: str = "auto", chunk_size: int = CHUNK_SIZE, workers: int = 1, **options: Any) -> Any:
    from .io import iter_units

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise MapperError(f"workers must be a positive integer, not {workers!r}")
    if workers > 1:
        from .parallel import can_fork, rereadable, run_parallel

        if can_fork() and rereadable(records) and len(mapper.stored_index) > 1:
            Engine(mapper, output=False, **options)  # check the options before forking
            batch, report = run_parallel(mapper, records, workers=workers, output=output, input_format=input_format, chunk_size=chunk_size, options=options)
            if not output:
                return report
            if batch is None:
                raise BatchRejected(report)
            return batch
    engine = Engine(mapper, output=output, **options)
    if isinstance(records, (bytes, bytearray, memoryview, str)):
        engine.expect_bytes = len(records)
    for unit in iter_units(records, input_format=input_format, chunk_size=chunk_size):
        unit.feed(engine)
    batch, report = engine.finish()
    if not output:
        return report
    if batch is None:
        raise BatchRejected(report)
    return batch
