"""How deep a record may nest on the Python running the tests (docs/types.md).

Go's decoder (the service's) takes ``mapper.stack.GO_DEPTH`` (10,000) levels of a whole body, three
of them the body's own (``{"records":[{"value": ...}]}``): a record, its own object counted, of
``mapper.stack.RECORD_DEPTH`` (9,997) levels at most, and mapper refuses a deeper one on every
Python (by its own count where its decoders read deeper: 3.13's). mapper's decoders may read fewer: as deep as
Python lets them recurse from the bottom of a new thread's stack (mapper/stack.py), about
995 levels on 3.10 and 3.11 (Python's recursion limit, 1,000), and from 3.12 on as deep as
C code's own limit lets them: 1,497 on 3.12.1, 9,998 on 3.13.0. So a depth between the two
is read on one Python and refused on another; the tests say which from :data:`DECODED`,
measured here with the engine's decoder itself (msgspec), not with mapper.
"""

from __future__ import annotations

import threading
from typing import Callable

import msgspec

from mapper.stack import GO_DEPTH, RECORD_DEPTH

#: A record this deep is read on every Python.
READ_EVERYWHERE = 900

#: A text this deep is refused on every Python, as a record, a body or any document, as the service
#: refuses it (past the levels Go reads of a whole body; a record is refused from RECORD_DEPTH + 1 on).
REFUSED_EVERYWHERE = GO_DEPTH + 1


def _decodes(depth: int) -> bool:
    """Whether msgspec decodes ``depth`` nested arrays at the bottom of a new 16 MiB thread's stack."""
    text = b"[" * depth + b"]" * depth
    got: list[bool] = []

    def run() -> None:
        try:
            msgspec.json.decode(text)
            got.append(True)
        except RecursionError:
            got.append(False)

    size = threading.stack_size(16 << 20)
    try:
        t = threading.Thread(target=run)
        t.start()
    finally:
        threading.stack_size(size)
    t.join(60)
    return got[0]


def _deepest_decoded() -> int:
    lo, hi = 10, REFUSED_EVERYWHERE  # decoded, not decoded (by any Python's limit)
    assert _decodes(lo) and not _decodes(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _decodes(mid) else (lo, mid)
    return lo


#: The most levels of nesting the engine's decoder reads on this Python (about 998 on 3.10
#: and 3.11, 1,498 on 3.12.1, 9,999 on 3.13.0): a record of about this many levels or more
#: is refused (a few less: the record's own frames), one of some tens fewer is read.
DECODED = _deepest_decoded()


def read_here(levels: int) -> bool:
    """Whether a record nesting ``levels`` levels (its own object counted) is read on this
    Python: only for depths far (50 levels or more) from :data:`DECODED`."""
    assert abs(levels - DECODED) >= 50, (levels, DECODED)
    return levels < DECODED and levels <= RECORD_DEPTH


def first_refused(refused: Callable[[int], bool]) -> int:
    """The least depth from 10 to :data:`REFUSED_EVERYWHERE` for which ``refused(depth)`` holds
    (it must hold from there on), found by halving."""
    lo, hi = 10, REFUSED_EVERYWHERE
    assert not refused(lo) and refused(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if refused(mid) else (mid, hi)
    return hi
