"""review10: fixes found reviewing the session's change (see each test's docstring)."""

from __future__ import annotations

import json

from mapper.engine.reader import BOM, HEAD_BYTES, input_note


def _snapshot_lines(n: int) -> bytes:
    """``n`` lines, each a dump1090 snapshot of about 1.8 MB: three of them run past HEAD_BYTES."""
    doc = {"now": 1, "aircraft": [{"hex": f"abc{i:05d}", "alt": i, "flight": "XYZ"} for i in range(40000)]}
    line = json.dumps(doc, separators=(",", ":")).encode()
    return b"\n".join([line] * n) + b"\n"


def test_input_note_bom_led_head_cut_at_head_bytes():
    """A BOM-led head cut at HEAD_BYTES gets the note its text without the BOM gets: input_note
    stripped the BOM before head_lines, which then took the shorter head for a whole input and
    its cut last line for a line (not JSON: no note at all)."""
    data = _snapshot_lines(5)
    plain = input_note(data[:HEAD_BYTES], 5, 5, 0)
    assert "arrays of objects are at `aircraft`" in plain
    assert input_note((BOM + data)[:HEAD_BYTES], 5, 5, 0) == plain


def _string_batch():
    import mapper

    m = mapper.compile_sink(
        [{"name": "id", "path": "id", "type": "id"}, {"name": "a", "path": "a", "type": "string"}], id_field="id", allow_missing_fields=True
    )
    return m.map(b'{"id":1,"a":"x"}\n{"id":2,"a":"y"}\n{"id":3}')


def test_utf8_of_objects_names_the_row_check_names():
    """ColumnData.utf8 of a string column given objects by hand names the row that holds no str
    as check() does: it looked for the first non-str in any row, a row its valid mask says stores
    nothing (its value never written) before the one that failed."""
    import numpy as np
    import pytest

    from mapper.errors import OutputError

    batch = _string_batch()
    col = batch["a"]
    col.valid = np.array([False, True, False])
    col.present = np.array([True, True, False])
    col.stored = np.array([5, 7, None], dtype=object)
    with pytest.raises(OutputError, match=r"column 'a' .*row 1 \(counting from 0\) holds an int, 7,"):
        col.utf8  # noqa: B018
    with pytest.raises(OutputError, match=r"row 1 \(counting from 0\) holds an int, 7,"):
        batch.check()


def test_utf8_of_objects_refuses_none_where_a_value_is_stored():
    """None in a row its valid mask says stores a value is refused by utf8 as by check() (and every
    writer): utf8 encoded it as an empty string, a value the row does not hold."""
    import numpy as np
    import pytest

    from mapper.errors import OutputError

    col = _string_batch()["a"]
    col.stored = np.array([None, "y", None], dtype=object)
    with pytest.raises(OutputError, match=r"row 0 \(counting from 0\) holds None"):
        col.utf8  # noqa: B018
    col.stored = np.array(["x", "y", None], dtype=object)
    data, offsets = col.utf8
    assert bytes(data) == b"xy" and offsets.tolist() == [0, 1, 2, 2]


def _said(found: object) -> str:
    return "" if found is None else str(getattr(found, "message", found))


def test_web_request_places_a_byte_no_utf8_as_a_lone_surrogate():
    """A UI request's field opening with a byte order mark places a byte that is not UTF-8 as it
    places half a surrogate pair, and as validate counts characters: the BOM is no character
    (the two messages had their own copies of the line and char reckoning; the byte's counted it)."""
    from mapper.web.app import _lone_surrogate

    assert "the records: line 1 char 3 holds U+D800" in _said(_lone_surrogate(b'{"text": "\\ufeffab\\ud800"}'))
    assert "the records: line 1 char 3 holds the byte 0xFF" in _said(_lone_surrogate(b'{"text": "\xef\xbb\xbfab\xff"}'))
    assert "the records: line 2 char 2 holds the byte 0xFF" in _said(_lone_surrogate(b'{"text": "\xef\xbb\xbfab\\nc\xff"}'))


def test_jq_path_one_spelling_for_spark_and_the_web_ui():
    """spark-validate and the web UI advise the same jq path (spark wrote ``.data."a.b"``, the UI
    ``.data["a.b"]``, each from its own copy of the rule)."""
    from mapper.paths import jq_path

    assert jq_path(("aircraft",)) == ".aircraft"
    assert jq_path(("data", "a.b")) == '.data["a.b"]'
    assert jq_path(("my feed", "items")) == '.["my feed"].items'
    assert jq_path(("données",)) == '.["données"]'
