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

import re
from typing import Any, Callable, Iterable, Iterator

import msgspec
import numpy as np
from msgspec import UNSET

from .batch import Batch, ColumnBuilder, ColumnData
from .compiler import MISSING, Mapper, NotObject, PathFailure
from .errors import BatchRejected, MapperError
from .io import _NotAnItem
from .report import Report, ReportBuilder
from .types import NO_VALUE, TWO53, ConversionError, Converter, Lossy, go_text, show, type_name

_IDX_RE = re.compile(r"at `\$\[(\d+)\]")
_BYTE_RE = re.compile(r"\(byte (\d+)\)")
_DECODE_ANY = msgspec.json.Decoder()

CHUNK_SIZE = 64 * 1024


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
        self.stats = {"fast_records": 0, "careful_records": 0, "strict_runs": 0, "lenient_runs": 0}
        self.lenient_next = False  # adaptive: start with the lenient decoder after a strict failure
        self.strict_misses = 0
        # identity
        sink = mapper.sink
        self.id_col = mapper.identity_index[0] if sink.id_field is not None else None
        self.pk_cols = mapper.identity_index if sink.id_field is None else ()
        self.pk_single_str = len(self.pk_cols) == 1
        # vectorised converters per column
        self.vec = {ci: _vector_for(self.convs[ci]) for ci in set(self.stored) | set(mapper.identity_index)}

    # ------------------------------------------------------------------ input units

    def feed_ndjson(self, data: bytes, first_line: int) -> int:
        """Map a chunk of NDJSON that ends at a line boundary (or at the end of input).

        ``first_line`` is the 1-based line number of its first line. Returns the line
        number after the chunk.
        """
        nl = data.count(b"\n")
        end_line = first_line + nl + (0 if data.endswith(b"\n") or not data else 1)
        if not data:
            return end_line
        self._prepare(end_line - first_line)
        start = self.n
        if self.fast and self._clean_lines(data, nl):
            self._decode_run(data, _Seg(self.n, first_line), kind="lines")
            lines: list[bytes] = []

            def raw_of(rec: int) -> bytes | None:
                if rec in self._pending_raw:
                    return self._pending_raw[rec]
                if not lines:
                    lines.extend(data.split(b"\n"))
                return lines[rec - start].rstrip(b"\r")

            self._close_chunk(raw_of)
        else:
            self._lines_one_by_one(data, first_line)
            self._close_chunk()
        return end_line

    def feed_raw(self, raws: list[bytes], lines: list[int | None] | None = None) -> None:
        """Map records given as the raw JSON text of each (JSON array elements, endpoint values)."""
        if not raws:
            return
        self._prepare(len(raws))
        if self.fast:
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

    def _prepare(self, k: int) -> bool:
        end = self.n + k
        for b in self.builders.values():
            b.reserve(end)
        self.id_builder.reserve(end)
        return True

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

    # ------------------------------------------------------------------ NDJSON chunks

    @staticmethod
    def _clean_lines(data: bytes, nl: int) -> bool:
        """True when every line of ``data`` is one object, ``{...}``, with no blank lines.

        Every newline sits between ``}`` and ``{``, so no object can span lines (a raw
        newline cannot be inside a JSON string, and ``}`` then ``{`` is never valid
        inside a value): decoding the chunk then yields exactly one value per line.
        """
        if data[:1] != b"{":
            return False
        ends_nl = data.endswith(b"\n")
        if nl:
            crlf = data.count(b"}\r\n")
            if data.count(b"}\n") + crlf != nl or data.count(b"\n{") != nl - ends_nl:
                return False
        tail = data.rstrip(b"\r\n") if ends_nl else data
        return tail.endswith(b"}")

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
            for raw, line in zip(good, good_lines):
                self._careful_raw(raw, self.n, line)
                self.n += 1

    # ------------------------------------------------------------------ the fast path

    def _decode_run(self, data: bytes, seg: _Seg, *, kind: str, raws: list[bytes] | None = None) -> None:
        """Decode a run of records and map them; on failure, split the run at the failing record."""
        count = (data.count(b"\n") + (0 if data.endswith(b"\n") else 1)) if kind == "lines" else len(raws or ())
        if not data.isascii():
            # msgspec does not check UTF-8 in the parts it skips: check the run first.
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._split_run(data, seg, kind, raws, count, self._record_at(data, exc.start, kind, raws))
                return
        strict_first = not self.lenient_next
        m = self.m
        if kind == "lines":
            decoders = [(m.strict_decoder, m.extract_strict, True), (m.lenient_decoder, m.extract_lenient, False)]
        else:
            decoders = [(m.strict_list_decoder, m.extract_strict, True), (m.lenient_list_decoder, m.extract_lenient, False)]
        if not strict_first:
            decoders = decoders[1:]
        for decoder, extract, is_strict in decoders:
            try:
                recs = decoder.decode_lines(data) if kind == "lines" else decoder.decode(data)
            except msgspec.ValidationError as exc:
                if is_strict:
                    self.strict_misses += 1
                    self.lenient_next = True
                    continue
                bad = self._failing_index(str(exc), data, kind, raws, count)
                self._split_run(data, seg, kind, raws, count, bad)
                return
            except msgspec.DecodeError as exc:
                bad = self._failing_index(str(exc), data, kind, raws, count)
                self._split_run(data, seg, kind, raws, count, bad)
                return
            if len(recs) != count:  # cannot happen for clean runs; be safe
                self._split_run(data, seg, kind, raws, count, None)
                return
            self.stats["strict_runs" if is_strict else "lenient_runs"] += 1
            self.stats["fast_records"] += count
            if is_strict:
                self.strict_misses = 0
            elif self.strict_misses and self.n % 64 == 0:
                self.lenient_next = False  # try the strict decoder again now and then
            self._fill(extract(recs), seg, count)
            self.n += count
            return

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

    def _split_run(self, data: bytes, seg: _Seg, kind: str, raws: list[bytes] | None, count: int, bad: int | None) -> None:
        """Map records before ``bad`` fast, ``bad`` carefully, and go on after it."""
        if raws is None:
            raws = data.split(b"\n")
            if data.endswith(b"\n"):
                raws.pop()
            raws = [r.rstrip(b"\r") for r in raws]
        lines = [seg.line(i) for i in range(count)]
        if bad is None or not 0 <= bad < count:
            # No position: take every record carefully.
            for i, raw in enumerate(raws):
                self._careful_raw(raw, self.n, lines[i])
                self.n += 1
            return
        self._pending_raw.update({self.n + i: r for i, r in enumerate(raws)})
        if bad:
            head = raws[:bad]
            self._decode_run(b"[" + b",".join(head) + b"]", _Seg(self.n, None, lines[:bad]), kind="array", raws=head)
        self._careful_raw(raws[bad], self.n, lines[bad])
        self.n += 1
        rest = raws[bad + 1 :]
        if rest:
            self._decode_run(b"[" + b",".join(rest) + b"]", _Seg(self.n, None, lines[bad + 1 :]), kind="array", raws=rest)

    def _fill(self, lists: tuple[list[Any], ...], seg: _Seg, k: int) -> None:
        """Write the columns of ``k`` decoded records at rows ``seg.pos ...``."""
        for ci in self.stored:
            self._fill_column(ci, lists[ci], seg, k, self.builders[ci])
        if self.id_col is not None:
            self._fill_id(lists[self.id_col], seg, k)
        else:
            self._fill_pk([lists[ci] for ci in self.pk_cols], seg, k)

    def _fill_column(self, ci: int, lst: list[Any], seg: _Seg, k: int, b: ColumnBuilder) -> None:
        vec = self.vec[ci]
        result = vec(lst) if vec is not None else None
        start = seg.pos - b.base
        if result is None:  # no vector form for this list: element by element
            for i, v in enumerate(lst):
                self._element(ci, v, seg.pos + i, seg.line(i), b)
            return
        values, ok, lossy = result
        if b.sets is None:
            b.values[start : start + k] = values
        b.valid[start : start + k] = True
        b.present[start : start + k] = True
        if ok is not None:
            for i in np.flatnonzero(~ok).tolist():
                self._element(ci, lst[i], seg.pos + i, seg.line(i), b)
        if lossy:
            self._lossy(ci, lst, seg, lossy, b)

    def _lossy(self, ci: int, lst: list[Any], seg: _Seg, lossy: list[tuple[str, np.ndarray]], b: ColumnBuilder) -> None:
        """Report values the vector path computed correctly but the endpoint changes."""
        conv = self.convs[ci]
        for kind, mask in lossy:
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            if self.strict or not self.rb.warnings_full:
                for i in idx.tolist():
                    self._element(ci, lst[i], seg.pos + i, seg.line(i), b)
            else:
                key = (conv.column.name, kind)
                counts = self.rb.report.warning_counts
                counts[key] = counts.get(key, 0) + len(idx)

    def _fill_id(self, lst: list[Any], seg: _Seg, k: int) -> None:
        ci = self.id_col
        assert ci is not None
        b = self.id_builder
        start = seg.pos - b.base
        vec = self.vec[ci]
        result = vec(lst) if vec is not None else None
        if result is not None:
            values, ok, lossy = result
            if ok is None:
                ok_all = values >= 0 if values.dtype.kind == "i" else None
                if ok_all is None or bool(ok_all.all()):
                    b.values[start : start + k] = values
                    b.valid[start : start + k] = True
                    b.present[start : start + k] = True
                    if lossy:
                        self._lossy_id(lst, seg, lossy)
                    return
        for i, v in enumerate(lst):
            self._id_element(v, seg.pos + i, seg.line(i))

    def _lossy_id(self, lst: list[Any], seg: _Seg, lossy: list[tuple[str, np.ndarray]]) -> None:
        for _kind, mask in lossy:
            for i in np.flatnonzero(mask).tolist():
                self._id_element(lst[i], seg.pos + i, seg.line(i))

    def _fill_pk(self, lists: list[list[Any]], seg: _Seg, k: int) -> None:
        b = self.id_builder
        start = seg.pos - b.base
        if self.pk_single_str:
            lst = lists[0]
            if all(type(v) is str for v in lst) and "" not in lst:
                b.values[start : start + k] = lst
                b.valid[start : start + k] = True
                b.present[start : start + k] = True
                return
        elif all(all(type(v) is str for v in lst) for lst in lists):
            b.values[start : start + k] = ["|".join(t) for t in zip(*lists)]
            b.valid[start : start + k] = True
            b.present[start : start + k] = True
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
        else:
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
        from .paths import jsonpath_of

        self.rb.error(
            pos,
            line,
            self.names[ci],
            self.paths[ci],
            "not_an_object",
            f"element at {jsonpath_of(v.keys)} is not an object (got `{type_name(v.value)}` {show(v.value)})",
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
                from .report import ValueWarning

                text = ValueWarning(pos, line, name, path, note.kind, note.sent, note.stored, note.hint).message.split(" - at `")[0].split(" (record ")[0]
                self.rb.error(pos, line, name, path, "lossy_value", text)
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
            texts = [go_text(v) for v in raw]
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

    def finish(self) -> tuple[Batch | None, Report]:
        report = self.rb.report
        report.records = self.n
        limit = self.max_errors
        if report.failed_records:
            if self.on_error == "reject":
                report.accepted = False
                if not self.allow_missing and any(code == "missing" for (_c, code) in report.error_counts):
                    report.reject_reason = "allow_missing_fields is false and a record is missing a mapped value"
                else:
                    report.reject_reason = "a record failed and on_error is reject"
            elif limit is not None:
                exceeded = report.failed_records > limit if (isinstance(limit, int) or limit >= 1) else report.failed_records > limit * report.records
                if exceeded:
                    report.accepted = False
                    shown = f"{limit:g}" if isinstance(limit, float) and limit < 1 else str(int(limit))
                    what = f"{limit:.0%} of {report.records} records" if isinstance(limit, float) and limit < 1 else f"{shown} errors"
                    report.reject_reason = f"{report.failed_records} records failed, more than max_errors ({what})"
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

VecResult = "tuple[np.ndarray | list[Any], np.ndarray | None, list[tuple[str, np.ndarray]]]"


def _vector_for(conv: Converter) -> Callable[[list[Any]], Any] | None:
    col = conv.column
    t = col.type
    if t in ("int", "signedIntBoolKey"):
        lo = col.config.min if col.config.min is not None else -(2**63)
        hi = col.config.max if col.config.max is not None else 2**63 - 1
        return _int_vector(lo, hi)
    if t == "id":
        return _int_vector(0, 2**64 - 1)
    if t == "decimal":
        return _decimal_vector(conv.scale or 0)
    if t == "bool":
        return _bool_vector
    if t == "string":
        return _string_vector
    if t == "timestamp" and col.config.numeric_time:
        return _timestamp_vector(conv)
    return None


def _as_array(lst: list[Any]) -> np.ndarray | None:
    if not lst:
        return None
    try:
        arr = np.array(lst)
    except (ValueError, OverflowError, TypeError):
        return None
    return arr if arr.ndim == 1 else None


def _int_vector(lo: int, hi: int) -> Callable[[list[Any]], Any]:
    flo, fhi = float(max(lo, -TWO53)), float(min(hi, TWO53))

    def vec(lst: list[Any]) -> Any:
        arr = _as_array(lst)
        if arr is None:
            return None
        kind = arr.dtype.kind
        if kind == "i":
            ok = (arr >= max(lo, -TWO53)) & (arr <= min(hi, TWO53))
            return arr, (None if ok.all() else ok), []
        if kind == "f":
            t = np.trunc(arr)
            ok = (t >= flo) & (t <= fhi)
            values = np.where(ok, t, 0).astype(np.int64)
            frac = ok & (t != arr)
            return values, (None if ok.all() else ok), ([("float_truncated", frac)] if frac.any() else [])
        return None

    return vec


def _decimal_vector(scale: int) -> Callable[[list[Any]], Any]:
    factor = 10.0**scale
    int_limit = TWO53 // 10**scale

    def vec(lst: list[Any]) -> Any:
        arr = _as_array(lst)
        if arr is None:
            return None
        kind = arr.dtype.kind
        if kind == "i":
            ok = (arr >= -int_limit) & (arr <= int_limit)
            values = np.where(ok, arr, 0) * (10**scale)
            return values, (None if ok.all() else ok), []
        if kind == "f":
            product = arr * factor
            ok = np.abs(product) < TWO53
            t = np.trunc(np.where(ok, product, 0.0))
            values = t.astype(np.int64)
            nearest = np.round(product)
            short = ok & (nearest / factor == arr)  # the written number has <= scale digits
            lossy = []
            changed = short & (t != nearest)
            if changed.any():
                lossy.append(("float_decimal", changed))
            longer = ok & ~short
            if longer.any():
                lossy.append(("decimal_truncated", longer))
            return values, (None if ok.all() else ok), lossy
        return None

    return vec


def _bool_vector(lst: list[Any]) -> Any:
    arr = _as_array(lst)
    if arr is None or arr.dtype.kind != "b":
        return None
    return arr, None, []


def _string_vector(lst: list[Any]) -> Any:
    # The decoders only let str (or None / UNSET on the lenient path) through here.
    if "" in lst or None in lst or UNSET in lst:
        return None
    return lst, None, []


def _timestamp_vector(conv: Converter) -> Callable[[list[Any]], Any] | None:
    from .types import UNIT_NS

    cfg = conv.column.config
    gran_ns = UNIT_NS[cfg.granularity or "s"]
    unit_ns = UNIT_NS[cfg.unit or "s"]
    if cfg.epoch_ns % gran_ns:
        return None
    epoch_v = cfg.epoch_ns // gran_ns
    ratio = float(unit_ns) / float(gran_ns)
    ints = _int_vector(-(2**63), 2**63 - 1)
    from .sink import TS_MAX_NANO_NS, TS_MAX_NS, TS_MIN_NANO_NS, TS_MIN_NS

    lo, hi = (TS_MIN_NANO_NS, TS_MAX_NANO_NS) if gran_ns == 1 else (TS_MIN_NS, TS_MAX_NS)
    lo_v, hi_v = -(-lo // gran_ns), hi // gran_ns

    def vec(lst: list[Any]) -> Any:
        r = ints(lst)
        if r is None:
            return None
        v, ok, lossy = r
        if lossy:  # floats truncated: let the scalar path word the warnings
            return None
        dur_f = v.astype(np.float64) * ratio
        fits = np.abs(dur_f) < 9.0e18
        dur = np.where(fits, dur_f, 0.0).astype(np.int64)
        stored = dur + epoch_v
        good = fits & ~(((dur >= 0) & (v < 0)) | ((dur < 0) & (v > 0))) & (stored >= lo_v) & (stored <= hi_v)
        if ok is not None:
            good &= ok
        if unit_ns >= gran_ns:
            exact = v * (unit_ns // gran_ns)
            inexact = good & (dur != exact)
        else:
            k = gran_ns // unit_ns
            inexact = good & ((v % k != 0) | (dur != v // k))
        return stored, (None if good.all() else good), ([("timestamp_truncated", inexact)] if inexact.any() else [])

    return vec


# ---------------------------------------------------------------------------------------
# Entry point


def run(mapper: Mapper, records: Any, *, output: bool, input_format: str = "auto", chunk_size: int = CHUNK_SIZE, **options: Any) -> Any:
    """Map or validate ``records`` (see :meth:`Mapper.map`)."""
    from .io import iter_units

    engine = Engine(mapper, output=output, **options)
    for unit in iter_units(records, input_format=input_format, chunk_size=chunk_size):
        unit.feed(engine)
    batch, report = engine.finish()
    if not output:
        return report
    if batch is None:
        raise BatchRejected(report)
    return batch
