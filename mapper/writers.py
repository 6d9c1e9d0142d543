"""Writing mapped batches: NDJSON rows, ``.npz``, Parquet and Arrow files, and the dead-letter file.

Every file is written atomically: to a temporary file next to the target, renamed
into place once complete, so a crash or a kill never leaves a half-written file under
the final name.
"""

from __future__ import annotations

import atexit
import base64
import errno
import hashlib
import io
import json
import os
import re
import secrets
import signal
import stat
import sys
import threading
import time
import zipfile
from array import array
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import numpy as np
import orjson

from ._start import interruption_lost, keep_to_exit, signals_blocked
from .batch import (
    MAPPED_KEY,
    MEANING_KEY,
    RECORDS_KEY,
    Batch,
    ColumnArrays,
    ColumnData,
    Inputs,
    Strings,
    check_arrays,
    check_id_objects,
    check_same_sink,
    check_text,
    first_line,
    from_runs,
    inputs_said,
    mapped_said,
    negative_record_index,
    refused_records,
    text_fault,
    text_refused,
    utf8_fault,
)
from .checks import json_type, stored_sink_names
from .errors import DefinitionError, InputError, OutputError, and_list, article, optional_import, pasted_name, preview, shown_name
from .options import ON_ERROR
from .owners import OWNER, directory_lock, owner, owner_gone, touch
from .report import RejectedRecord, Report
from .sink import load_sink
from .types import ColumnType, column_type, text_span

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: renames unlocked
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "ROW_GROUP",
    "AtomicFile",
    "Kept",
    "BatchWriter",
    "RejectsWriter",
    "open_writer",
    "read_batch",
    "atomic_output",
    "keep_together",
    "check_output",
    "end_unwritten",
    "npz_arrays",
    "npz_pieces",
    "names_stdout",
    "new_temp",
    "remove_temp",
    "replaces_stdout",
    "same_file",
    "signals_held",
    "sync_directory",
    "sync_file",
    "temp_kept",
    "temp_stem",
    "write_arrow",
    "write_ndjson",
    "write_npz",
    "write_parquet",
    "write_whole",
]


_TMP_SUFFIX = ".mapper-tmp"


def temp_stem(name: str) -> str:
    """The start of a temporary file's name for output ``name``: a long name (which with the
    owner, a token and the suffix would pass the 255 bytes a file name may have) is hashed."""
    if len(name.encode("utf-8", "surrogateescape")) <= 160:  # (+2, + an owner of at most 72, + 20: 254)
        return f".{name}."
    return f".{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}."


def _temp_name(name: str) -> str:
    """A new temporary file's name for output ``name``: ``.<name>.<owner>.<token>.mapper-tmp``,
    the owner this process (:func:`mapper.owners.owner`: from ``/proc``, or its lock token where
    there is none; its pid alone where neither can be had)."""
    return f"{temp_stem(name)}{owner() or os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"


#: The temporary files in progress in this process (:func:`new_temp`: outputs', :class:`AtomicFile`,
#: and ``send`` checkpoints'), each with the process and thread that made it: registered before
#: the file is made, let go once it is renamed into place or removed. An interruption may come
#: between any two steps (Ctrl-C, or the command line's SIGTERM taken as one) and the code that
#: would remove the file never run (it came between the file made and the ``try`` that drops it,
#: or before a writer had kept the AtomicFile it made): :func:`remove_left_temps` removes them then.
_LIVE_TEMPS: dict[str, tuple[int, int]] = {}


def remove_left_temps(thread: int | None = None) -> None:
    """Remove the temporary files this process made and neither kept nor removed (an
    interruption came first): ``thread``'s alone (the command line's, as its interruption is
    said: a program calling ``mapper.cli.main`` may be writing in other threads), or all of them
    (as the process ends: run by :mod:`atexit`). Never another process's (a worker forked from
    this one has a copy of the table)."""
    pid = os.getpid()
    for tmp, (owner_pid, owner_thread) in list(_LIVE_TEMPS.items()):
        if owner_pid == pid and (thread is None or owner_thread == thread):
            remove_temp(tmp)


atexit.register(remove_left_temps)


def _clean_stale(directory: str, name: str, pairs: bool = True) -> None:
    """Remove the temporary files killed runs left next to ``name``: those whose owner is gone
    (:func:`mapper.owners.owner_gone`, as ``spark-validate`` judges its staging directories).
    One of a live run, or whose owner cannot be judged (named by a pid alone: an older
    version's, or made where neither ``/proc`` nor a lock says; another machine's or
    container's; a lock token whose lock file is not this machine's) is left: a pid alone may
    be another process's, or another pid namespace's. ``pairs``: a
    killed run's pair markers beside ``name`` are completed first (:func:`_complete_pair`)."""
    pattern = re.compile(re.escape(temp_stem(name)) + f"({OWNER.pattern})" + r"\.[0-9a-f]+" + re.escape(_TMP_SUFFIX))
    pair = re.compile(re.escape(temp_stem(name)) + f"({OWNER.pattern})" + r"\.[0-9a-f]+" + re.escape(_PAIR_SUFFIX))
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    me = None
    completed = False
    for entry in entries if pairs else ():  # a run killed between the renames of outputs kept together: completed first (_pair_marker)
        m = pair.fullmatch(entry)
        if m is not None:
            me = me or owner()
            if owner_gone(m.group(1), me):
                _complete_pair(os.path.join(directory, entry))
                completed = True
    if completed:
        try:
            entries = os.listdir(directory)
        except OSError:
            return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is None:
            continue
        me = me or owner()
        if owner_gone(m.group(1), me):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


def check_output(path: str, replaced: bool = True) -> None:
    """Refuse, before any mapping, an output that cannot be written (raises :class:`OutputError`).

    ``replaced``: the output is written atomically (:func:`atomic_output`), a file renamed over
    the one there, not opened in place (``mapper send``'s dead letters, which are appended to)."""
    if path == "-":
        return
    planted = planted_link_said(path)
    if planted is not None:
        raise OutputError(planted)
    if _special(path):
        try:
            socket = _descriptor(path) is None and stat.S_ISSOCK(os.stat(path).st_mode)
        except OSError:  # pragma: no cover - there a moment ago
            socket = False
        if socket:  # (opened, it fails, "No such device or address": after the whole input was mapped)
            raise OutputError(f"cannot write {shown_name(path)}: it is a socket, not a file, a FIFO or a device")
        return  # a device or a FIFO: written through
    real = os.path.realpath(path)
    if os.path.isdir(real):
        raise OutputError(f"cannot write {shown_name(path)}: it is a directory")
    if path.endswith(("/", os.sep)):  # (realpath drops the slash: x.parquet/ would be written as the file x.parquet)
        raise OutputError(f"cannot write {shown_name(path)}: a name ending in {path[-1]} is a directory's, and there is no such directory")
    directory = os.path.dirname(real) or "."
    # (and the directory as the system reaches it: realpath also drops a last /. and a
    # missing directory before .., so x.ndjson/. or gone/../x.ndjson would write x.ndjson)
    if not os.path.isdir(directory) or not os.path.isdir(os.path.dirname(path) or "."):
        shown = directory if os.path.islink(path) else os.path.dirname(path) or "."  # a link's target's directory
        if os.path.exists(shown) and not os.path.isdir(shown):  # (x.ndjson/out.npz: there, but a file)
            raise OutputError(f"cannot write {shown_name(path)}: {shown_name(shown)} is a file, not a directory")
        raise OutputError(f"cannot write {shown_name(path)}: no such directory {shown_name(shown)}")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write {shown_name(path)}: permission denied (the directory {shown_name(directory)} is not writable)")
    try:
        there = os.stat(path)
    except FileNotFoundError:  # (the run makes it)
        there = None
    except OSError as exc:  # a name past the 255 bytes a file's may have, a loop of links: said now, not after the mapping
        raise OutputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
    if replaced:
        if there is not None:
            _replaceable(path, there, directory)
        _temp_made(path, real, directory)


def _temp_made(path: str, real: str, directory: str) -> None:
    """Refuse an output whose temporary file cannot be made beside it, before any mapping: the
    directory may be writable by its mode and still take no new file (``/proc``, a file system
    full or out of inodes, or read-only while ``os.access`` is not told). The file is made as the
    run will make it (:func:`new_temp`) and removed at once; before this, such an output was
    refused only once the first part had been mapped."""
    tmp = os.path.join(directory, _temp_name(os.path.basename(real)))
    try:
        fd = new_temp(tmp, 0o600)
    except OSError as exc:
        raise OutputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
    os.close(fd)
    remove_temp(tmp)


def planted_link_said(path: str) -> str | None:
    """Why ``path`` is not written: it is, or leads through, a link :func:`_planted_link` finds
    (the words of every output's refusal: :func:`check_output`, ``mapper send``'s checkpoint and
    dead letters, which the Python API writes without it); None: no such link."""
    found = _planted_link(path)
    if found is None:
        return None
    link, planted = found
    # (a link further on the way is named: "out.ndjson: it is a symbolic link of another user's in /tmp"
    # was said of this user's own link to /tmp/x.ndjson, in a directory it is not in)
    what = "it is" if link == path else f"it leads through {shown_name(link)},"
    return (
        f"cannot write {shown_name(path)}: {what} a symbolic link of another user's in {shown_name(planted)}, a directory any user may write to "
        "(anyone may have made it, to have this run write where it points): name the file itself"
    )


def _planted_link(path: str) -> tuple[str, str] | None:
    """A symbolic link on ``path``'s way (the name itself, or a link it names), and its directory,
    that the system's own rule (Linux's ``fs.protected_symlinks``) would not follow: another
    user's, in a sticky directory any user may write to (``/tmp``), not of that directory's
    owner. The output's name is resolved here (:func:`os.path.realpath`, which reads links,
    never follows them), then written where it points: a link planted in /tmp, followed, had
    this user's run write over a file of theirs anywhere (``/tmp/out.ndjson`` pointing to
    ``~/.bashrc``). The link is ``path`` itself, or named as the link before it points to it
    (joined to that one's directory). None: no such link (or no users here)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows
        return None
    euid = os.geteuid()
    at = path
    for _ in range(40):  # (the system's own limit on links followed)
        try:
            st = os.lstat(at)
        except OSError:
            return None
        if not stat.S_ISLNK(st.st_mode):
            return None
        directory = os.path.dirname(os.path.abspath(at)) or "."
        try:
            st_dir = os.stat(directory)
        except OSError:
            return None
        if st.st_uid != euid and st.st_uid != st_dir.st_uid and st_dir.st_mode & stat.S_ISVTX and st_dir.st_mode & stat.S_IWOTH:
            return at, directory
        try:
            at = os.path.join(directory, os.readlink(at))
        except OSError:
            return None
    return None


def _replaceable(path: str, there: os.stat_result, directory: str) -> None:
    """Refuse an existing file that the temporary file cannot be renamed over: in a sticky directory
    (``/tmp``), only the file's owner (or the directory's) may replace it, and the rename failed
    with "Operation not permitted" once the whole input was mapped."""
    euid = os.geteuid() if hasattr(os, "geteuid") else 0
    if euid == 0 or there.st_uid == euid:
        return
    try:
        st_dir = os.stat(directory)
    except OSError:  # pragma: no cover - checked just before
        return
    if st_dir.st_mode & stat.S_ISVTX and st_dir.st_uid != euid:
        raise OutputError(
            f"cannot write {shown_name(path)}: permission denied (it belongs to another user, and in its directory {shown_name(directory)}, which is sticky, "
            "only a file's owner may replace it)"
        )


def _special(path: str) -> bool:
    """Whether ``path`` is written through, not replaced: a descriptor the process holds
    (``/dev/stdout`` redirected to a file too, see :func:`_descriptor`), or a path that is
    there and is not a regular file or a directory (a device, a FIFO, ``/dev/stderr`` on a
    pipe: stat follows its link, which realpath cannot name)."""
    if _descriptor(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


_FD_PATH = re.compile(r"/dev/fd/(\d+)|/proc/(?:self|thread-self|(\d+))/fd/(\d+)")
_STD_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _descriptor(path: str) -> int | None:
    """The open descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``,
    or a link to one), or None. Such a path is written through that descriptor: with
    ``--rejects /dev/stdout >> log``, opening the path would truncate ``log`` (Linux opens
    the file anew) and an atomic rename would replace it; the descriptor appends where the
    shell said."""
    for _ in range(40):  # links to links, as the kernel follows them
        fd = _STD_PATHS.get(path)
        found = _FD_PATH.fullmatch(path)
        if found is not None and found.group(2) in (None, str(os.getpid())):
            fd = int(found.group(1) or found.group(3))
        if fd is not None:
            try:
                os.fstat(fd)
            except OSError:
                return None
            return fd
        if not os.path.islink(path):
            return None
        try:
            target = os.readlink(path)
        except OSError:
            return None
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return None


def names_stdin(path: str) -> bool:
    """Whether ``path`` is standard input: ``-``, or a name of descriptor 0 (``/dev/stdin``, ``/dev/fd/0``, a link to one)."""
    return path == "-" or _descriptor(path) == 0


def names_stdout(path: str) -> bool:
    """Whether writing ``path`` writes where standard output goes: a name of descriptor 1
    (``/dev/stdout``, ``/dev/fd/1``, a link to one), or the pipe or file standard output is
    open on (``3>&1`` and ``/dev/fd/3``; ``> out.ndjson`` and ``out.ndjson``, which an atomic
    write would replace). A terminal or another device is not (what goes there overwrites nothing)."""
    if path == "-" or _descriptor(path) == 1:
        return True
    try:
        a, b = os.stat(path), os.fstat(1)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and (stat.S_ISREG(a.st_mode) or stat.S_ISFIFO(a.st_mode))


def replaces_stdout(path: str) -> bool:
    """Whether writing ``path`` (atomically: a temporary file renamed into place) would replace
    the regular file standard output is open on (``> f`` with ``f`` named): what was written
    to standard output would be lost. A name of a descriptor (``/dev/stdout``) is written
    through, after what is there, and is not."""
    if path == "-" or _descriptor(path) is not None:
        return False
    try:
        a, b = os.stat(path), os.fstat(1)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and stat.S_ISREG(a.st_mode)


def _null_device(path: str) -> bool:
    """Whether ``path`` is the null device (``-o /dev/null``: nobody reads it, so nothing is held for it)."""
    try:
        a, b = os.stat(path), os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(a.st_mode) and a.st_rdev == b.st_rdev


def clean_stale(path: str) -> None:
    """Remove the temporary files a killed run writing ``path`` left (``-`` and devices have none)."""
    if path != "-" and not _special(path):
        real = os.path.realpath(path)
        _clean_stale(os.path.dirname(real) or ".", os.path.basename(real))


class AtomicFile:
    """An output written atomically: to a temporary file next to ``path``, renamed into place
    when kept (:meth:`keep`, :meth:`close`), removed when dropped (:meth:`abort`). See
    :func:`atomic_output`, which writes one in a ``with`` block; :meth:`keep` also says how to
    take the rename back (:class:`Kept`), so outputs that stand or fall together
    (:func:`keep_together`) may be any of them.

    Symlinks are followed (the link stays a link, its target gets the output), an existing
    file keeps its mode, and a target that is not a regular file (``/dev/stdout``, a FIFO)
    is written through instead of replaced (:attr:`through`): what went there cannot be
    taken back. ``holds`` says what the output holds, as a message says it, a plural (``"rows"``: "the rows went to standard output")."""

    def __init__(self, path: str, mode: str = "wb", holds: str = "data"):
        check_output(path)
        self.path, self.holds = path, holds
        self.through = _special(path)
        self._tmp: str | None = None
        self._real: str | None = None
        if self.through:
            fd = _descriptor(path)
            try:
                self.fh: Any = open(path, mode) if fd is None else os.fdopen(os.dup(fd), mode)  # noqa: SIM115 - closed by keep or abort
            except OSError as exc:
                raise OutputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
            return
        real = os.path.realpath(path)
        try:
            st: os.stat_result | None = os.stat(real)
        except FileNotFoundError:
            st = None
        directory, name = os.path.dirname(real) or ".", os.path.basename(real)
        _clean_stale(directory, name)
        tmp = os.path.join(directory, _temp_name(name))  # (its own: its owner, a new token)
        try:
            fd = new_temp(tmp, 0o666)  # the umask applies, as to any new file
        except OSError as exc:
            raise OutputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
        try:
            if st is not None:
                os.chmod(tmp, stat.S_IMODE(st.st_mode))  # the output keeps the mode it had
            self.fh = os.fdopen(fd, mode)
        except BaseException as exc:
            os.close(fd)
            remove_temp(tmp)
            if isinstance(exc, OSError):
                raise OutputError(f"cannot write {shown_name(path)}: {exc.strerror or exc}") from None
            raise
        self._tmp, self._real = tmp, real

    @property
    def shown(self) -> str:
        """The output as a message names it."""
        return shown_name(self.path)

    def staged(self) -> tuple[str, str] | None:
        """The temporary file and the path it is to be renamed to (None: written through, or kept or dropped already)."""
        return None if self._tmp is None or self._real is None or self.fh is None else (self._tmp, self._real)

    def close(self) -> None:
        """Keep the output (renamed into place), for good. A failure is an :class:`OutputError`, no file under the name changed."""
        self._keep(hold=False)

    def keep(self) -> Kept:
        """Keep the output (renamed into place), and say how to take that back: the file renamed
        over is held meanwhile (a hard link to it beside it, named as a temporary file is: a
        killed run's is removed by the next), to be put back (:meth:`Kept.undo`) or let go
        (:meth:`Kept.forget`). A failure is an :class:`OutputError`, the file there as it was."""
        return self._keep(hold=True)

    def _keep(self, hold: bool) -> Kept:
        fh, self.fh = self.fh, None
        if fh is None:  # (kept or dropped already)
            return Kept(None, None)
        if self._tmp is None or self._real is None:  # written through as it came: nothing to take back
            try:
                fh.close()
            except OSError as exc:
                raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from None
            return Kept(None, None)
        tmp, real = self._tmp, self._real
        self._tmp = None
        directory = os.path.dirname(real) or "."
        kept = Kept(real, None)
        try:
            with fh:
                # on the disk before its name is: renamed unsynced, a crash of the machine could leave
                # an empty or partial file under the name, and a write error the disk reports only as
                # it writes the data back (EIO, a thin volume full) went unseen
                fh.flush()
                sync_file(fh.fileno())
            interruption_lost()  # (one a library dropped: the output dropped, as if it came now)
            with renames_locked([real]):  # (another run's renames, or a killed run's pair completed, never between: renames_locked)
                if hold and os.path.lexists(real):
                    kept.backup = os.path.join(directory, _temp_name(os.path.basename(real)))
                    try:
                        os.link(real, kept.backup)
                    except OSError:  # (a file system without hard links, a directory now under the name): kept all the same, and said if it must be taken back
                        kept.backup, kept.undoable = None, False
                os.replace(tmp, real)
                temp_kept(tmp)
                sync_directory(directory)
        except BaseException as exc:
            remove_temp(tmp)
            kept.forget()
            if isinstance(exc, OSError):
                raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from None
            raise
        return kept

    def abort(self) -> None:
        """Drop the output: the temporary file removed (one written through is closed, what went
        there gone out). What fails meanwhile (a full disk flushing the buffer) is no news."""
        fh, self.fh = self.fh, None
        if fh is not None:
            try:
                fh.close()
            except (OSError, ValueError):
                pass
        tmp, self._tmp = self._tmp, None
        if tmp is not None:
            remove_temp(tmp)


#: Seconds a rename waits for its directory's lock (:func:`renames_locked`), which another run
#: holds for its renames alone (milliseconds), before the output is said not written.
LOCK_WAIT = 60.0

#: The directories this thread holds locked (:func:`renames_locked`), as (device, inode).
_locked = threading.local()


@contextmanager
def renames_locked(paths: Iterable[str]) -> Iterator[None]:
    """The directories of ``paths`` (outputs' final names) locked while the body renames into
    them, so that two runs' renames of the same outputs (and a completion of a killed run's pair,
    :func:`_complete_pair`) come one after the other, never between each other's: an exclusive
    ``flock`` on each directory's lock file (:func:`mapper.owners.directory_lock`, in this user's
    lock directory), taken in one order (device, inode). A ``flock`` is the open file's: two
    threads of one process exclude each other too; a directory this thread holds already is not
    locked again. The kernel lets go of it when the process ends, however it ends. A lock another
    run holds is waited for, :data:`LOCK_WAIT` seconds at most (an :class:`OutputError`: nothing
    renamed); where no lock can be had (no lock directory to be trusted, a file system without
    ``flock``: Windows) the renames are made unlocked, as before there were locks. The lock is
    this user's (with this ``TMPDIR``): another user's runs are not held off, as their pair
    markers are not obeyed (:func:`_complete_pair`)."""
    held: set[tuple[int, int]] = _locked.__dict__.setdefault("keys", set())
    wanted: dict[tuple[int, int], tuple[os.stat_result, str]] = {}
    taken: list[tuple[tuple[int, int], int, str]] = []
    try:
        for path in paths if fcntl is not None else ():
            try:
                st = os.stat(os.path.dirname(path) or ".")
            except OSError:  # (no such directory now: the rename fails, and says so)
                continue
            key = (st.st_dev, st.st_ino)
            if key not in held:
                wanted.setdefault(key, (st, path))
        for key in sorted(wanted):
            lock = _lock(*wanted[key])
            if lock is not None:
                taken.append((key, *lock))
                held.add(key)
        yield
    finally:
        for key, fd, name in taken:
            held.discard(key)
            _remove(name)  # (while held: a run waiting for it finds its name another file's, and tries again)
            os.close(fd)  # (the lock let go)


def _lock(directory: os.stat_result, path: str) -> tuple[int, str] | None:
    """The descriptor holding the lock of output ``path``'s directory (``directory``, its
    :func:`os.stat`), once another run's renames there are done, and its lock file; None where it
    cannot be locked; an :class:`OutputError` after :data:`LOCK_WAIT` seconds. A lock file is
    removed by the run that holds it as it lets go (:func:`renames_locked`): one locked here is
    checked to be the file its name names still, else it is another's, and tried again."""
    name = directory_lock(directory)
    start = time.monotonic()
    while name is not None:
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if not _lock_waits(time.monotonic() - start):
                raise OutputError(
                    f"cannot write {shown_name(path)}: another mapper has held the lock of its directory,"
                    f" {shown_name(os.path.dirname(path) or '.')}, for {LOCK_WAIT:g} s ({name}: stopped or hung?)"
                ) from None
            continue
        except OSError:  # (ENOLCK, EOPNOTSUPP: a file system without flock, where no run holds one: removed)
            _remove(name)
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.lstat(name).st_ino
        except OSError:
            same = False
        if same:
            touch(fd)  # (used: a killed run's left, pruned LOCK_KEPT seconds after)
            return fd, name
        os.close(fd)  # (removed as its holder let go: its name is another file's, or none)
    return None


def _lock_waits(waited: float) -> bool:
    """One pause while another run holds a directory's lock (:func:`_lock`); False: waited long enough."""
    if waited >= LOCK_WAIT:
        return False
    time.sleep(0.002 if waited < 0.1 else 0.05)
    return True


def _remove(path: str) -> None:
    """Remove a file if it is there (a temporary file, a held link)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def new_temp(tmp: str, mode: int) -> int:
    """Make the temporary file ``tmp``, a name drawn new for this run (none may be there), open
    for writing (``mode``: as ``os.open``'s, the umask applied): its descriptor. It is registered
    (:data:`_LIVE_TEMPS`) before it is made, so that :func:`remove_left_temps` removes it if an
    interruption skips the cleanup of the code that holds it; :func:`temp_kept` lets it go once
    it is renamed into place, :func:`remove_temp` removes it. One scheme for every temporary file
    this process writes: an output's (:class:`AtomicFile`), a ``send`` checkpoint's.

    An OSError: not made (a file there already under this name is not this run's), nothing registered."""
    _LIVE_TEMPS[tmp] = (os.getpid(), threading.get_ident())
    try:
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except OSError:
        _LIVE_TEMPS.pop(tmp, None)
        raise
    except BaseException:
        # a Ctrl-C or SIGTERM that came during the call is raised as it returns, the file made
        # and its descriptor lost: the name is this run's own, so removed
        remove_temp(tmp)
        raise


def temp_kept(tmp: str) -> None:
    """A temporary file (:func:`new_temp`) renamed into place: no longer one to remove."""
    _LIVE_TEMPS.pop(tmp, None)


def remove_temp(tmp: str) -> None:
    """Remove a temporary file (:func:`new_temp`), if it is there, and let go of its name."""
    _remove(tmp)
    _LIVE_TEMPS.pop(tmp, None)


class Kept:
    """An output renamed into place that may be taken back (:meth:`AtomicFile.keep`): ``real``
    names it (None: it was written through, as it came, and nothing can be taken back), and
    ``backup`` the file it replaced, held as a hard link beside it (None: there was none, or
    it could not be held, ``undoable`` false)."""

    def __init__(self, real: str | None, backup: str | None, undoable: bool = True):
        self.real, self.backup, self.undoable = real, backup, undoable

    @property
    def through(self) -> bool:
        """Whether the output was written through (standard output, a FIFO, a device): nothing to take back."""
        return self.real is None

    def undo(self) -> None:
        """Put back what was there before (no file: none); an OSError when it cannot be."""
        if self.real is None:
            raise OSError(errno.EPERM, "it was written through, as it came")
        if not self.undoable:
            raise OSError(errno.EPERM, "the file it replaced was not kept")
        if self.backup is not None:
            os.replace(self.backup, self.real)
            self.backup = None
        else:
            os.unlink(self.real)
        sync_directory(os.path.dirname(self.real) or ".")

    def forget(self) -> None:
        """Let go of the file replaced (the output stays)."""
        backup, self.backup = self.backup, None
        if backup is not None:
            _remove(backup)


@contextmanager
def atomic_output(path: str, mode: str = "wb") -> Iterator[Any]:
    """Write ``path`` atomically (:class:`AtomicFile`): to a temporary file next to it, renamed
    into place when the block ends, removed if it raises.

    A failure (a full disk, a read-only directory) is an :class:`OutputError` and leaves no
    file under the final name. Temporary files are named after their owner, the process
    (:mod:`mapper.owners`), so a run that was killed has its left-overs removed by the next
    one, and a running one's are left.
    """
    out = AtomicFile(path, mode)
    try:
        yield out.fh
    except BaseException as exc:
        out.abort()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {out.shown}: {exc.strerror or exc}") from None
        raise
    out.close()


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held off while the body runs (the renames of two outputs that stand or
    fall together: ``map -o rows --rejects letters``); one that comes meanwhile goes, as the body
    ends, to the handler it would have gone to (Ctrl-C's KeyboardInterrupt after both renames,
    not between them). A signal ignored, or handled outside Python, is left as it is.

    In the main thread, where Python runs its handlers (and lets them be set), each is swapped
    for one that notes the signal, a default action included (SIGTERM's ends the process once
    the body is done). In another thread (a program calling ``mapper.cli.main`` from one) no
    handler can be set (``signal.signal`` raises ValueError there), and none is needed for
    Python's: they run in the main thread, never cutting this body (the main thread takes
    them meanwhile). Both signals are blocked in this thread instead, so one sent to it, or to
    the process while every other thread blocks it (a program that waits for its signals in
    one thread), waits for the body's end and is taken then. What cannot be held from here: a
    signal whose action is the default, taken by another thread, ends the process where it
    stands, as SIGKILL does anywhere."""
    if threading.current_thread() is not threading.main_thread():
        with signals_blocked((signal.SIGINT, signal.SIGTERM)):
            yield
        return
    came: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        came.append(signum)

    previous: dict[int, Any] = {}
    try:
        for held in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(held) not in (signal.SIG_IGN, None):
                previous[held] = signal.signal(held, hold)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if came:
            handler = previous[came[0]]
            if callable(handler):
                handler(came[0], None)
            else:  # SIG_DFL: what it does (SIGTERM ends the process)
                os.kill(os.getpid(), came[0])


#: What ``fsync`` answers on a file system that cannot sync (some FUSE ones): written as before, unsynced.
_NO_SYNC = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


def sync_file(fd: int) -> None:
    """A file's data on the disk (an error the disk reports as it writes it back is raised)."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_SYNC:
            raise


def sync_directory(directory: str) -> None:
    """The rename into ``directory`` on the disk too (best effort: not every file system syncs a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - it was just written into
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a file system that does not
        pass
    finally:
        os.close(fd)


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through symlinks and hard links), or would.

    Pass standard input as ``/dev/stdin``: redirected from a file, it is that file, and a
    pipe read from is one too. A terminal or another device is never "the same file"
    (writing to it overwrites nothing). ``-`` (standard output, as an output) is none.
    """
    if a == "-" or b == "-":
        return False
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
    if (sa.st_dev, sa.st_ino) != (sb.st_dev, sb.st_ino):
        return False
    return stat.S_ISREG(sa.st_mode) or stat.S_ISFIFO(sa.st_mode) or stat.S_ISDIR(sa.st_mode)


def json_line(obj: Any) -> bytes:
    """``obj`` as one line of NDJSON (a dead letter): :func:`json_bytes`."""
    return json_bytes(obj) + b"\n"


def json_bytes(obj: Any, indent: bool = False) -> bytes:
    """``obj`` as JSON text (``indent``: by two spaces, as a checkpoint is saved). A lone surrogate,
    which orjson refuses, is a file name's byte that is not UTF-8 (a record's ``"file"``, as
    ``os.fsdecode`` makes 0xff U+DCFF): it is written as its escape, ``\\udcff``, which
    ``os.fsencode`` makes the byte again."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else None)
    except TypeError:
        return (json.dumps(obj, indent=2) if indent else json.dumps(obj, separators=(",", ":"))).encode("ascii")


class RejectsWriter:
    """The dead-letter file: one JSON line per rejected record, with its raw text exactly as it came."""

    holds = "refused records"

    def __init__(self, path: str):
        self.path = path
        self._file: AtomicFile | None = AtomicFile(path, "wb", self.holds)
        self.fh = self._file.fh
        self.through = self._file.through
        self.count = 0

    @property
    def shown(self) -> str:
        """The file as a message names it."""
        return shown_name(self.path)

    def __call__(self, rejected: RejectedRecord) -> None:
        out: dict[str, Any] = {"record": rejected.record, "line": rejected.line, "errors": [e.to_dict() for e in rejected.errors]}
        raw = rejected.raw
        if raw is not None:
            try:
                out["raw"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                out["raw_base64"] = base64.b64encode(raw).decode("ascii")
        try:
            self.fh.write(json_line(out))
        except OSError as exc:  # (a full disk: said naming this file, as the rows' file is)
            raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from None
        self.count += 1

    def flush(self) -> None:
        """Write out what is buffered, and sync it: a full disk, or a write error the disk reports
        only as it writes the data back, shows here, before the rows (written with these letters)
        are renamed into place, not as this file is closed after them."""
        try:
            self.fh.flush()
            sync_file(self.fh.fileno())
        except OSError as exc:
            raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from None

    def close(self, ok: bool = True) -> None:
        """Keep the file (renamed into place), or with ``ok`` false drop it (:meth:`abort`)."""
        if ok:
            self.keep().forget()
        else:
            self.abort()

    def staged(self) -> tuple[str, str] | None:
        """As :meth:`AtomicFile.staged`."""
        return None if self._file is None else self._file.staged()

    def keep(self) -> Kept:
        """Keep the file, in a way that can be taken back (:meth:`AtomicFile.keep`)."""
        file, self._file = self._file, None
        return Kept(None, None) if file is None else file.keep()  # (None: closed already, renamed with the rows: keep_together)

    def abort(self) -> None:
        """Drop the file: what fails as it is dropped (its buffer, on a full disk) is no news, and
        never hides the error that failed the run."""
        file, self._file = self._file, None
        if file is not None:
            file.abort()


class Keepable(Protocol):
    """An output :func:`keep_together` keeps: an :class:`AtomicFile`, a :class:`BatchWriter`, a :class:`RejectsWriter`."""

    @property
    def shown(self) -> str: ...  # the output as a message names it

    holds: str  # what it holds, as a message says it ("rows": "the rows went to standard output")
    through: bool  # written through (standard output, a FIFO, a device): what went there cannot be taken back

    def keep(self) -> Kept: ...

    def abort(self) -> None: ...


def keep_together(*outputs: Keepable) -> None:
    """Keep outputs that stand or fall together, each finished and on the disk: all renamed into
    place, or none. The first is the main one (``map -o ROWS --rejects LETTERS``: the rows, then
    the refused records); it is renamed last, so that it appears under its name only once what
    goes with it is in place.

    When a rename fails (the directory removed or made read-only meanwhile, a directory now
    under the name), the run fails (:class:`OutputError`) with none kept: those renamed already
    are put back as they were (:meth:`Kept.undo`), the others dropped. The error says what was
    written and what not where that cannot hold: an output written through (standard output,
    a FIFO) went out as it was written, and a file replaced that could not be held (a file
    system without hard links) cannot be put back."""
    kept: list[tuple[Keepable, Kept]] = []
    staged = [getattr(o, "staged", lambda: None)() for o in outputs]
    with ExitStack() as locked:
        try:  # (the markers, the renames and the markers' removal one run's at a time: renames_locked)
            locked.enter_context(renames_locked(s[1] for s in staged if s is not None))
        except BaseException as exc:
            for output in outputs:
                output.abort()
            if isinstance(exc, OutputError):
                raise OutputError(_none_kept(exc, outputs, outputs[-1], outputs[:-1], [])) from None
            raise
        _keep_all(outputs, kept)


def _keep_all(outputs: tuple[Keepable, ...], kept: list[tuple[Keepable, Kept]]) -> None:
    """:func:`keep_together`'s renames, their directories locked: the markers, the outputs renamed, the markers removed."""
    markers = _pair_marker(outputs)
    try:
        for i in reversed(range(len(outputs))):
            try:
                kept.append((outputs[i], outputs[i].keep()))
            except BaseException as exc:
                for waiting in outputs[:i]:
                    waiting.abort()
                if isinstance(exc, OutputError):
                    raise OutputError(_none_kept(exc, outputs, outputs[i], outputs[:i], kept)) from None
                for _, k in kept:  # (a KeyboardInterrupt, where signals are not held: none kept all the same, as far as can be)
                    if not k.through:
                        try:
                            k.undo()
                        except OSError:
                            pass
                raise
    finally:
        for _, k in kept:
            k.forget()
        for marker in markers:
            remove_temp(marker)


#: The suffix of a pair marker (:func:`_pair_marker`).
_PAIR_SUFFIX = ".mapper-pair"


def _identity(path: str) -> list[int] | None:
    """A file as a pair marker knows it: device, inode, size and time of its last write (an inode
    freed is soon another file's); None: no file there."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def _pair_marker(outputs: tuple[Keepable, ...]) -> list[str]:
    """Before the renames of outputs that stand or fall together (``map -o ROWS --rejects
    LETTERS``), each whole and on the disk: a marker beside each,
    ``.<name>.<owner>.<token>.mapper-pair``, all removed once every output is in place
    (:func:`keep_together`). A run killed between the renames (SIGKILL, a crash of the machine)
    leaves them, and the next run writing either output completes the killed run's renames
    first (:func:`_complete_pair`): the outputs are again one run's. Each holds, in the order
    they are renamed, each output's temporary file, its path, and the identity (device, inode,
    size, last write) of the temporary and of the file its path names now (None: none), so that a path written
    since by anything else is left alone; and the markers' names. None made: fewer than two
    outputs to rename (standard output and a FIFO are written through), or a marker that cannot
    be written (the renames go on unmarked)."""
    staged = [getattr(o, "staged", lambda: None)() for o in outputs]
    if sum(s is not None for s in staged) < 2:
        return []
    order = [s for s in reversed(staged) if s is not None]  # (the order keep_together renames them in)
    me = owner() or os.getpid()
    markers = list(
        dict.fromkeys(
            os.path.join(os.path.dirname(real) or ".", f"{temp_stem(os.path.basename(real))}{me}.{secrets.token_hex(4)}{_PAIR_SUFFIX}") for _tmp, real in order
        )
    )
    entries = [{"temp": tmp, "path": real, "temp_id": _identity(tmp), "was": _identity(real)} for tmp, real in order]
    body = json.dumps({"outputs": entries, "markers": markers}).encode("utf-8", "surrogateescape")
    made: list[str] = []
    try:
        for marker in markers:
            fd = new_temp(marker, 0o600)
            made.append(marker)
            try:
                os.write(fd, body)
                sync_file(fd)
            finally:
                os.close(fd)
        for directory in dict.fromkeys(os.path.dirname(m) or "." for m in markers):
            sync_directory(directory)
    except OSError:  # (no room for one: the renames go on, unmarked, as they did before markers)
        for marker in made:
            remove_temp(marker)
        return []
    return made


def _pair_state(output: dict[str, Any]) -> str | None:
    """Where one output of a killed run's pair stands (:func:`_complete_pair`): ``"pending"``, its
    temporary file the one marked and its path naming the file it named then; ``"renamed"``, its
    temporary file gone and its path naming the file that was it; None, anything else (a file
    written, edited or removed since: the pair is not completed)."""
    now = _identity(output["temp"])
    if now is not None:
        return "pending" if now == output["temp_id"] and _identity(output["path"]) == output["was"] else None
    return "renamed" if output["temp_id"] is not None and _identity(output["path"]) == output["temp_id"] else None


def _complete_pair(marker: str) -> None:
    """The renames a killed run left undone (its :func:`_pair_marker`): each output whose temporary
    file is still there is renamed into place, when every output stands as the marker knew it
    (:func:`_pair_state`: renamed already, or its temporary file and its path the files they were;
    else something wrote, edited or removed one since, and renaming the others alone would make a
    pair of two runs: nothing is renamed, the temporary files left to be removed as stale); then
    its markers are removed. A marker is obeyed only if it is this user's, and each file it says to
    rename a temporary file of its output beside it (:func:`_own_temporary`), each marker it lists
    one of theirs: planted in a directory open to others, it had this user's run move the
    planter's file over any of this user's, and remove any file named ``*.mapper-pair``."""
    markers, paths = [marker], []
    try:
        # never a link (followed, its target's owner is checked, not the link's), nor a FIFO (any
        # user may make one in /tmp named so: opened to be read, it waited for ever): not opened
        # as one, nor read, for a marker is a regular file a run made (new_temp)
        fd = os.open(marker, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not _this_users(st):  # (another user's, or planted: obeyed, it would move their files over this user's)
                raise ValueError(marker)
            said = json.loads(fh.read().decode("utf-8", "surrogateescape"))
        outputs = said["outputs"]
        if not all(_own_temporary(o["temp"], o["path"]) for o in outputs):  # (each renamed within its directory, and only a temporary of its own)
            raise ValueError(marker)
        paths = [o["path"] for o in outputs]
        markers += [m for m in said["markers"] if m != marker and any(_own_marker(m, path) for path in paths)]
        # checked and renamed with no other run's renames between (a live run's pair put in place
        # after the check had the killed run's files renamed over it: renames_locked); a lock
        # waited for in vain is the run's OutputError, the markers left for the next run
        with renames_locked(paths):
            states = [_pair_state(o) for o in outputs] if os.path.lexists(marker) else [None]  # (gone: completed meanwhile)
            if None not in states:
                for o in (o for o, state in zip(said["outputs"], states) if state == "pending"):
                    os.replace(o["temp"], o["path"])
                    sync_directory(os.path.dirname(o["path"]) or ".")
    except (OSError, ValueError, TypeError, KeyError, AttributeError):  # (a marker cut short or edited: none completed)
        pass
    for m in markers:
        _remove(m)
    for path in paths:  # (what else the killed run left beside its outputs: the files it replaced, held; its markers
        # not read again: one that could not be removed, a directory read-only since, was completed for ever)
        _clean_stale(os.path.dirname(path) or ".", os.path.basename(path), pairs=False)


def _this_users(st: os.stat_result) -> bool:
    """Whether a file is this process's user's (where users are: a pair marker to be obeyed)."""
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def _own_temporary(temp: Any, path: Any) -> bool:
    """Whether ``temp``, as a pair marker says it, is a temporary file of output ``path``: beside
    it, named as this module names them (:func:`_temp_name`), and this user's."""
    if not isinstance(temp, str) or not isinstance(path, str) or os.path.dirname(temp) != os.path.dirname(path):
        return False
    named = re.escape(temp_stem(os.path.basename(path))) + f"(?:{OWNER.pattern})" + r"\.[0-9a-f]+" + re.escape(_TMP_SUFFIX)
    if re.fullmatch(named, os.path.basename(temp)) is None:
        return False
    try:
        return _this_users(os.lstat(temp))
    except FileNotFoundError:  # (renamed into place already: its path is judged by its identity, _pair_state)
        return True
    except OSError:
        return False


def _own_marker(marker: Any, path: str) -> bool:
    """Whether ``marker``, as a pair marker lists it, is a pair marker of output ``path``: beside it, named as :func:`_pair_marker` names them."""
    if not isinstance(marker, str) or os.path.dirname(marker) != os.path.dirname(path):
        return False
    named = re.escape(temp_stem(os.path.basename(path))) + f"(?:{OWNER.pattern})" + r"\.[0-9a-f]+" + re.escape(_PAIR_SUFFIX)
    return re.fullmatch(named, os.path.basename(marker)) is not None


def _none_kept(exc: OutputError, outputs: tuple[Keepable, ...], failed: Keepable, waiting: tuple[Keepable, ...], kept: list[tuple[Keepable, Kept]]) -> str:
    """The error of :func:`keep_together` once ``failed``'s rename failed: those ``kept`` are put
    back, and what cannot be (written through, not held, a rename back that fails) is said."""
    said = []
    out = [w for w in waiting if w.through]  # (went out as they were written, before this rename)
    if out:
        said.append(f"{and_list([f'the {w.holds} went to {w.shown}' for w in out])} all the same, so the {failed.holds} are in no file")
    for output, k in kept:
        if k.through:
            said.append(f"the {output.holds} went to {output.shown} all the same")
            continue
        try:
            k.undo()
        except OSError as undo:
            said.append(f"{output.shown} holds this run's {output.holds} all the same (what it held before could not be put back: {undo.strerror or undo})")
    if said:
        return f"{exc}; {'; '.join(said)}"
    if len(outputs) == 1:
        return str(exc)
    none = "neither output was" if len(outputs) == 2 else "no output was"
    return f"{exc}; {none} written: {and_list([o.shown for o in outputs])} are as they were"


#: Rows per Parquet row group (``map`` streams parts of as many records: see mapper.commands).
ROW_GROUP = 65_536


def _out_name(out: str | os.PathLike[str]) -> str:
    """The file name ``out`` gives (a ``pathlib.Path`` too), or an OutputError naming what it is."""
    try:
        name = os.fspath(out)
    except TypeError:
        raise OutputError(f"cannot write a batch to a {type(out).__name__}: give a file name (a str or os.PathLike)") from None
    if not isinstance(name, str):  # (bytes: a PathLike naming it in bytes)
        name = os.fsdecode(name)
    return name


def _check_batch(batch: Any, shown: str) -> None:
    """An OutputError unless ``batch`` is a :class:`Batch` (a list of them, or None, was an
    AttributeError from inside the writer, or said to be "joined" to a batch)."""
    if not isinstance(batch, Batch):
        several = " (several batches are written as one: mapper.concat(batches))" if isinstance(batch, (list, tuple)) or hasattr(batch, "__next__") else ""
        raise OutputError(f"cannot write {article(type(batch).__name__)} to {shown}: a batch is written (a mapper.Batch, as Mapper.map gives){several}")


def write_ndjson(batch: Batch, out: str | os.PathLike[str]) -> None:
    """Canonical rows, one JSON object per line."""
    out = _out_name(out)
    _written(NdjsonWriter(out), batch)


def _written(writer: BatchWriter, batch: Batch) -> None:
    """``batch`` written by ``writer`` and kept; dropped if that fails, before a byte went
    out too (a list given for a batch): a FIFO's reader is given its end of file, not left waiting."""
    try:
        writer.write(batch)
        writer.close()
    except BaseException:
        writer.abort()
        raise


def npz_arrays(batch: Batch) -> dict[str, Any]:
    """The arrays ``write_npz`` stores, by key (see :func:`npz_pieces`)."""
    return {key: pieces[0] if len(pieces) == 1 else np.concatenate(pieces) for key, pieces in npz_pieces([batch]).items()}


def npz_pieces(parts: list[Batch]) -> dict[str, list[np.ndarray]]:
    """The arrays ``write_npz`` stores for the parts' rows one after the other, by key, each
    as its pieces in order (offsets shifted): written one after the other into one member,
    nothing is joined in memory.

    Strings are stored as UTF-8 bytes (``<key>.utf8``, uint8) with int64 offsets
    (``<key>.utf8_offsets``, one more than values), the header saying ``"strings":
    "utf8"``: a file that loads without pickle, sized by its bytes (fixed-width
    unicode would size every value by the longest one). Keys are unique: a column whose
    name is not ASCII letters, digits, ``_`` and ``-`` (or starts with ``_``), or is longer
    than :data:`NPZ_KEY_MAX`, gets ``col<i>``, and a key already taken gets ``_`` appended
    (the header names each column).
    Each part is checked first (:meth:`Batch.check`), as ``to_arrow`` checks it: a batch edited
    by hand was written as it stood, wrong offsets and all.
    """
    first = parts[0]
    for p in parts:
        check_same_sink(first, p)
        check_arrays(p)  # (an _id that is no str is named where its conversion fails, below)
    header: dict[str, Any] = {
        "format": "mapper-npz/1",
        "rows": sum(p.count for p in parts),
        "id": {"key": "_id", "kind": first.sink.id_kind},
        "columns": [],
        "sink": first.sink.to_body(),
    }
    mapped = mapped_said(first.report)
    if mapped is not None:  # (see mapper.batch.MAPPED_KEY)
        header["mapped"] = mapped
    covered = inputs_said(parts)
    if covered is not None:  # (see mapper.batch.RECORDS_KEY)
        header["records"] = covered
    pieces: dict[str, list[np.ndarray]] = {"_record_index": [p.record_index for p in parts]}
    try:
        header["id"]["strings"] = _put_values(pieces, "_id", [p.id_values for p in parts], "its _id")
    except TypeError:  # (an _id that is no str, edited in place: the join's words name no row)
        for p in parts:
            check_id_objects(p, "cannot be written")
        raise
    used = {"_id", "_record_index", "__header__"}
    for i, (name, col) in enumerate(first.columns.items()):
        plain = name.replace("_", "").replace("-", "").isalnum() and name.isascii() and not name.startswith("_") and len(name) <= NPZ_KEY_MAX
        key = name if plain else f"col{i}"
        while key in used:
            key = f"{key}_"
        used.add(key)
        meta: dict[str, Any] = {"name": name, "key": key, **col.ctype.meaning()}
        cols = [p.columns[name] for p in parts]
        # (objects given by hand read by their valid mask, as to_arrow reads them)
        strings = _put_values(pieces, key, [c._held() for c in cols], f"column {name!r}", [c.offsets for c in cols])
        if strings:
            meta["strings"] = strings
        pieces[f"{key}.valid"] = [c.valid for c in cols]
        pieces[f"{key}.present"] = [c.present for c in cols]
        if col.offsets is not None:
            pieces[f"{key}.offsets"] = _offset_pieces([c.offsets for c in cols])  # type: ignore[misc]
        header["columns"].append(meta)
    pieces["__header__"] = [np.array(json.dumps(header, ensure_ascii=False))]
    return pieces


#: The longest column name that is its own key in an ``.npz``: with the longest suffix a key
#: takes (``.utf8_offsets.npy``) its members' names are file names (255 bytes), as ``unzip``
#: writes them out; a zip member's name cannot pass 65,535 bytes at all (zipfile's struct.error).
NPZ_KEY_MAX = 255 - len(".utf8_offsets.npy")


#: What a file says of each column, beside its values, that the sink it holds must say too
#: (:meth:`ColumnType.meaning`). The first three every ``.npz`` mapper wrote says; the others
#: (a dateInt's) only newer files.
_MEANING = ("type", "scale", "unit")
_MEANING_IF_SAID = ("custom_unit_ns", "epoch")


def _put_values(pieces: dict[str, list[np.ndarray]], key: str, values: list[Any], what: str, rows: list[Any] | None = None) -> str | None:
    """Store the parts' ``values`` under ``key``; for strings, return how (``utf8``). Text that is
    not UTF-8 is :func:`text_refused` naming ``what`` (its column) and the row (``rows``: each
    part's set offsets), as Arrow's writers refuse it: read from the bytes made (a pass of numpy's
    over ASCII), so a str edited into string ids held as objects, which no check before the
    conversion reads, is found too."""
    if not any(isinstance(v, Strings) or v.dtype == object for v in values):
        pieces[key] = values
        return None
    datas, offsets = [], []
    for i, v in enumerate(values):
        strings = v if isinstance(v, Strings) else Strings.from_objects(v)
        for chunk in strings.chunks or [strings]:  # (a workers part: each chunk in its own form, nothing joined)
            data, offs = chunk.utf8
            datas.append(data)
            offsets.append(offs)
        where = text_fault(strings, None if rows is None else rows[i])
        if where is not None:
            raise text_refused(what, where)
    pieces[f"{key}.utf8"] = datas
    pieces[f"{key}.utf8_offsets"] = _offset_pieces(offsets)
    return "utf8"


def _offset_pieces(offsets: list[np.ndarray]) -> list[np.ndarray]:
    """Offsets (``n + 1`` each, from 0) of parts one after the other, as pieces of the whole's."""
    out, base = [offsets[0]], int(offsets[0][-1])
    for o in offsets[1:]:
        out.append(o[1:] + base)
        base += int(o[-1])
    return out


def write_npz(batch: Batch, out: str | os.PathLike[str]) -> None:
    """The batch as an ``.npz`` (a zip of ``.npy`` arrays, see :func:`npz_pieces`), whatever ``out``'s extension;
    ``-`` is standard output, as every writer of a batch takes it (a file named ``-`` is ``./-``)."""
    out = _out_name(out)
    try:
        _check_batch(batch, "standard output" if out == "-" else shown_name(out))
        pieces = npz_pieces([batch])
    except BaseException:
        end_unwritten(out)
        raise
    if out == "-":  # (a file named - was written, where write_ndjson, write_parquet and write_arrow wrote standard output)
        try:
            fh = binary_stdout()
            _savez(fh, pieces)
            fh.flush()
        except BrokenPipeError:  # (a closed pipe as it is, as the other writers raise it)
            raise
        except OSError as exc:
            raise OutputError(f"cannot write standard output: {exc.strerror or exc}") from None
        return
    with atomic_output(out) as fh:
        _savez(fh, pieces)


#: From these on, a zip member's size or offset (4 GiB) and the archive's count of members are
#: held in ZIP64 records, the field saying 0xFFFFFFFF (0xFFFF) instead (module constants: the
#: tests lower them to write those records small).
_ZIP64_LIMIT = 0xFFFFFFFF
_ZIP_COUNT_LIMIT = 0xFFFF
#: 1980-01-01 00:00:00 as DOS date and time, the date ``zipfile`` gives a member it names
#: (``np.savez``'s): an ``.npz`` holds the same bytes whenever it is written.
_ZIP_DATE, _ZIP_TIME = (0 << 9) | (1 << 5) | 1, 0
_ZIP_EXTERNAL = 0o600 << 16  # (-rw-------, as zipfile gives a member written through open())


def _npy_member(parts: list[np.ndarray], headers: dict[Any, bytes]) -> list[Any]:
    """The ``.npy`` bytes of the array written from ``parts`` in order: its header, then each
    part's buffer (nothing joined). ``headers`` keeps the headers made, by dtype and shape: a
    batch of many columns has a few kinds of arrays, each of the same length, and numpy makes a
    header through a dict's repr and a dozen calls."""
    first = parts[0]
    if first.ndim != 1 or first.dtype.hasobject or first.dtype.names is not None:
        out = io.BytesIO()  # (what write_array makes of it: an object array refused, as np.save without pickle)
        np.lib.format.write_array(out, np.asanyarray(first if len(parts) == 1 else np.concatenate(parts)), allow_pickle=False)
        return [out.getvalue()]
    dtype = first.dtype if len(parts) == 1 else np.result_type(*parts)  # (as np.concatenate would make it)
    rows = sum(len(p) for p in parts)
    header = headers.get((dtype, rows))
    if header is None:
        out = io.BytesIO()
        head = np.lib.format.header_data_from_array_1_0(np.empty(0, dtype=dtype))
        head["shape"] = (rows,)
        np.lib.format.write_array_header_1_0(out, head)  # (a 1-d array of a plain dtype: a header of a few dozen bytes)
        header = headers[(dtype, rows)] = out.getvalue()
    out_chunks: list[Any] = [header]
    out_chunks.extend(memoryview(np.ascontiguousarray(p, dtype=dtype)).cast("B") for p in parts if len(p))  # type: ignore[arg-type]  # (numpy arrays are buffers)
    return out_chunks


def _savez(fh: Any, pieces: dict[str, list[np.ndarray]]) -> None:
    """What ``np.savez(fh, **arrays)`` writes (a zip of ``<key>.npy``, stored), each array written
    from its pieces in order (one .npy header for their whole length), and without passing keys as
    keyword arguments: a column named ``file`` or ``allow_pickle`` is a key, not one of savez's own parameters.

    The zip is written here, not by ``zipfile``: each member's size and CRC are known before it is
    written (its arrays are in memory), so its header is written once, with them, and the file is
    written straight through. ``zipfile`` writes a member's header, then seeks back to write it
    again with its CRC, five calls on the file and two headers made a member: 3 s of a batch of
    10,000 columns' 1.3 s write (three members a column). Members are named in ASCII (keys are:
    see :func:`npz_pieces`), ZIP64 extra fields kept where a size or offset needs them (and in
    every local header, as ``zipfile``'s ``force_zip64`` writes them)."""
    import struct
    import zlib

    pack = struct.pack
    try:
        at = fh.tell()
    except (OSError, AttributeError):  # (a FIFO, standard output: written from its start)
        at = 0
    central: list[bytes] = []
    headers: dict[Any, bytes] = {}
    for key, parts in pieces.items():
        chunks = _npy_member(parts, headers)
        crc, size = 0, 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk) if isinstance(chunk, bytes) else chunk.nbytes
        name = f"{key}.npy".encode("ascii")  # (npz_pieces makes every key ASCII: no UTF-8 name flag)
        flags = 0
        # local header: sizes in the ZIP64 extra field (id 1: size, compressed size)
        fh.write(pack("<4s2B4H3L2H", b"PK\x03\x04", 45, 0, flags, 0, _ZIP_TIME, _ZIP_DATE, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), 20))
        fh.write(name)
        fh.write(pack("<2H2Q", 1, 16, size, size))
        for chunk in chunks:
            fh.write(chunk)
        extra = [v for v in (size, size, at) if v >= _ZIP64_LIMIT]
        big = [size >= _ZIP64_LIMIT, size >= _ZIP64_LIMIT, at >= _ZIP64_LIMIT]
        fields = [0xFFFFFFFF if b else v for b, v in zip(big, (size, size, at))]
        extra_bytes = pack(f"<2H{len(extra)}Q", 1, 8 * len(extra), *extra) if extra else b""
        central.append(
            pack(
                "<4s4B4H3L5H2L",
                b"PK\x01\x02",
                45,
                3,
                45,
                0,
                flags,
                0,
                _ZIP_TIME,
                _ZIP_DATE,
                crc,
                fields[0],
                fields[1],
                len(name),
                len(extra_bytes),
                0,
                0,
                0,
                _ZIP_EXTERNAL,
                fields[2],
            )
            + name
            + extra_bytes
        )
        at += 30 + len(name) + 20 + size
    directory = b"".join(central)
    fh.write(directory)
    count, dir_size, dir_at = len(central), len(directory), at  # (offsets from the file's start, as zipfile writes them)
    end_at = at + dir_size
    if count >= _ZIP_COUNT_LIMIT or dir_size >= _ZIP64_LIMIT or dir_at >= _ZIP64_LIMIT:
        fh.write(pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, dir_size, dir_at))  # ZIP64 end of central directory
        fh.write(pack("<4sLQL", b"PK\x06\x07", 0, end_at, 1))  # its locator
        count = 0xFFFF if count >= _ZIP_COUNT_LIMIT else count
        dir_size = 0xFFFFFFFF if dir_size >= _ZIP64_LIMIT else dir_size
        dir_at = 0xFFFFFFFF if dir_at >= _ZIP64_LIMIT else dir_at
    fh.write(pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, dir_size, dir_at, 0))


def write_parquet(batch: Batch, out: str | os.PathLike[str]) -> None:
    """The batch as a Parquet file, whatever ``out``'s extension (:func:`open_writer` goes by it)."""
    out = _out_name(out)
    check_output(out)
    writer = ArrowWriter(out, parquet=True)
    writer.whole = True
    _written(writer, batch)


def write_arrow(batch: Batch, out: str | os.PathLike[str]) -> None:
    """The batch as an Arrow IPC file, whatever ``out``'s extension."""
    out = _out_name(out)
    check_output(out)
    writer = ArrowWriter(out, parquet=False)
    _written(writer, batch)


# ---------------------------------------------------------------------------------------
# Writing a batch part by part (``map`` streams: its memory is a part's, not the batch's)


class BatchWriter:
    """Writes a batch as it is mapped, part after part, into one output (see :func:`open_writer`).

    :meth:`close` keeps the output (renamed into place); :meth:`abort` drops it (a
    batch the endpoint would discard leaves no file). Rows go out in the parts' order.
    """

    holds = "rows"

    def __init__(self, out: str):
        self.out = out
        self.rows = 0
        # the input records the parts cover (kept in a columnar file: see mapper.batch.RECORDS_KEY);
        # None once a part's report is not a Report (a batch made by hand): the file says nothing
        self.inputs: Inputs | None = Inputs()
        self._first: Batch | None = None
        self._file: AtomicFile | None = None
        self.fh: Any = None
        self._finished = False
        self._ended = False  # kept or dropped: a later abort does nothing (a FIFO's reader is given one end of file)
        # standard output, a FIFO, a device: what was written cannot be taken back, so
        # nothing is written until the batch is known to be kept (NdjsonWriter.held, ArrowWriter.buffer)
        self.through = out == "-" or _special(out)  # written through, not to a temporary file renamed into place
        self.stream = self.through and (out == "-" or not _null_device(out))
        clean_stale(out)  # now: the file itself is opened only when a part comes (a discarded batch opens none)

    @property
    def shown(self) -> str:
        """The output as a message names it."""
        return "standard output" if self.out == "-" else shown_name(self.out)

    def _open(self) -> Any:
        if self.fh is None:
            if self.out == "-":
                self.fh = binary_stdout()
            else:
                self._file = AtomicFile(self.out, "wb", self.holds)
                self.fh = self._file.fh
        return self.fh

    @contextmanager
    def _said(self) -> Iterator[None]:
        """A failed write drops the output (whoever called) and is raised: pyarrow's or the
        file's own (a full disk, a file size limit) as an OutputError naming the output, a
        closed pipe as it is (``-o - | head`` ends quietly)."""
        try:
            yield
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
                raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from None
            raise

    def write(self, part: Batch) -> None:
        _check_batch(part, self.shown)
        if self._first is None:
            self._first = part
        else:
            check_same_sink(self._first, part)  # (a part of another sink's columns is no part of this file)
        self.rows += part.count
        if self.inputs is not None:
            if isinstance(part.report, Report):
                self.inputs.add(part)
            else:
                self.inputs = None
        with self._said():
            self._write(part)

    def _write(self, part: Batch) -> None:  # pragma: no cover - every writer has its own
        raise NotImplementedError

    def _finish(self) -> None:
        """Write what closes the file (footers)."""

    def _drop(self) -> None:
        """Let go of what writes into the file, which is about to be removed."""

    def finish(self) -> None:
        """Write what closes the output and put a file's bytes on the disk, not yet under its
        name (:meth:`close` renames it into place, at once): a failure (a full disk) shows here,
        before an output that goes with this one (``--rejects``) is renamed."""
        if self._finished:
            return
        # (what waits for a reader, standard output's full pipe or a FIFO's, waits here: not in
        # close, whose renames may hold Ctrl-C off)
        with self._said():
            self._finish()
            if self._file is not None:
                self.fh.flush()
                if not self.through:
                    sync_file(self.fh.fileno())
        if self._file is None and self.fh is not None:
            self.fh.flush()
        self._finished = True

    def close(self) -> None:
        """Keep the output: finished (:meth:`finish`), and renamed into place."""
        self.keep().forget()

    def staged(self) -> tuple[str, str] | None:
        """As :meth:`AtomicFile.staged`."""
        return None if self._file is None else self._file.staged()

    def keep(self) -> Kept:
        """Keep the output, in a way that can be taken back (:meth:`AtomicFile.keep`): finished
        (:meth:`finish`), and renamed into place, the file it replaced held."""
        self.finish()
        self._ended = True
        if self._file is not None:
            file, self._file = self._file, None
            return file.keep()
        if self.fh is not None:
            self.fh.flush()
        return Kept(None, None)  # (standard output: written through)

    def abort(self) -> None:
        """Drop the output: nothing kept under its name; a FIFO or device nothing was written to
        is opened and closed, its reader given its end of file. Once kept or dropped, nothing."""
        if self._ended:
            return
        self._ended = True
        self._drop()
        if self._file is not None:
            file, self._file = self._file, None
            file.abort()
        elif self.stream and self.out != "-":
            _end_unopened(self.out)


def end_unwritten(path: str) -> None:
    """An output that will not be written (the run failed before it was opened): a FIFO's
    reader is given its end of file, not left waiting for ever (``-`` and files: nothing to do)."""
    if path != "-" and _descriptor(path) is None and _special(path) and not _null_device(path):
        _end_unopened(path)


def _end_unopened(path: str) -> None:
    """Open and close a FIFO or device nothing was written to: a reader waiting on a FIFO gets
    its end of file (without a reader, opening fails at once and nothing is done)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


#: Rows made into NDJSON text at once (see :meth:`NdjsonWriter._write`).
ROWS_PER_JOIN = 1024


class NdjsonWriter(BatchWriter):
    """Canonical rows, one JSON object per line.

    To a file, each part is written as it comes (the file is dropped if the batch is
    discarded); to standard output, a FIFO or a device, which cannot be taken back, the
    rows are held until the batch is known to be kept.
    """

    def __init__(self, out: str):
        super().__init__(out)
        self.held: list[bytes] = []

    def _write(self, part: Batch) -> None:
        rows = part.to_rows()
        if not rows:
            return
        # joined a thousand rows at a time: orjson (3.12 on) keeps each result in a buffer of
        # at least 4 KB, so a part's 65,536 results held at once took ~500 MB (and the
        # allocator's churn made the time per row grow with the part)
        step = ROWS_PER_JOIN
        try:
            text = b"".join([b"\n".join(map(orjson.dumps, rows[i : i + step])) + b"\n" for i in range(0, len(rows), step)])
        except TypeError as exc:  # (a str UTF-8 has no form for, which orjson refuses naming no place: text_refused names it)
            check_text(part)
            raise OutputError(f"cannot write {self.shown}: {exc}") from None
        if self.stream:
            self.held.append(text)
        else:
            self._open().write(text)

    def _finish(self) -> None:
        fh = self._open()  # an empty batch still makes an (empty) file
        for text in self.held:
            write_whole(fh, text)
        self.held = []

    def _drop(self) -> None:
        self.held = []


class _TextOnly:
    """Standard output that is a text stream alone, without the ``buffer`` Python's has (a
    ``StringIO`` a program calling :func:`mapper.cli.main` redirected it to, a notebook's
    stream): the bytes written to it are UTF-8 text, written as text."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: Any) -> int:
        self.stream.write(bytes(data).decode("utf-8", "surrogateescape"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


def binary_stdout() -> Any:
    """Standard output to write bytes to: ``sys.stdout.buffer``, or over a text stream without
    one, :class:`_TextOnly` (``map -o -`` raised AttributeError, a traceback, out of ``main``)."""
    out = sys.stdout
    if out is None:  # (started without one: said as a failed write of standard output)
        raise OSError(errno.EBADF, "standard output is closed")
    buffer = getattr(out, "buffer", None)
    return buffer if buffer is not None else _TextOnly(out)


def write_whole(fh: Any, data: bytes) -> None:
    """Write all of ``data`` to ``fh``: standard output may be a raw file (``PYTHONUNBUFFERED=1``,
    as many container images set it), whose write takes what it can (a full disk's last bytes,
    a pipe's when a signal comes) and says how much; the rest was lost without a word. What
    cannot be written at all raises, as the next write shows it (ENOSPC, EPIPE)."""
    view = memoryview(data)
    while view:
        n = fh.write(view)
        if n is None:  # (a raw file in non-blocking mode that took nothing)
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        if n >= len(view):  # (a buffered file takes all, or raises)
            return
        view = view[n:]


#: Rows of the first part looked at to tell a column of few distinct values from one of many.
_DICTIONARY_SAMPLE = 4096


def _repeating(table: Any, pa: Any) -> list[str]:
    """The columns given a Parquet dictionary: those whose first rows hold few distinct values
    (at most one in ten; not bools, which need none). pyarrow's default, a dictionary for
    every column, tries one for ids and registrations too, and falls back to plain when it
    fills: on the seed's 200,000 records that took the write from 0.12 s to 0.20 s of CPU
    and made the file 13.3 MB instead of 10.5 MB."""
    import pyarrow.compute as pc

    sample = table.slice(0, _DICTIONARY_SAMPLE)
    out = []
    for field, column in zip(sample.schema, sample.columns):
        if pa.types.is_boolean(field.type) or pa.types.is_nested(field.type):
            continue
        try:
            distinct = pc.count_distinct(column, mode="all").as_py()
        except pa.ArrowNotImplementedError:  # pragma: no cover - a type without a hash kernel: no dictionary
            continue
        if distinct * 10 <= max(sample.num_rows, 1):
            out.append(field.name)
    return out


class ArrowWriter(BatchWriter):
    """An Arrow IPC file (``.arrow``, a record batch per part) or a Parquet file
    (``.parquet``, row groups of :data:`ROW_GROUP` rows whatever the parts: the rows after
    a part's last whole group wait for the next part)."""

    def __init__(self, out: str, parquet: bool):
        super().__init__(out)
        self.pa = optional_import("pyarrow", "arrow", "writing .parquet or .arrow")
        self.pq = optional_import("pyarrow.parquet", "arrow", "writing .parquet") if parquet else None
        self.writer: Any = None
        self.schema: Any = None
        self.buffer: Any = None
        self.tail: Any = None  # (Parquet) the rows of the last part past its last whole row group
        #: the batch written is the whole (write_parquet): the records it covers are known at its
        #: first write, and go in the schema where pyarrow (before 17) cannot add them to the footer
        #: at close; a stream of parts (``map -o x.parquet``) there writes a file that does not say them
        self.whole = False

    def _write(self, part: Batch) -> None:
        table = part.to_arrow()
        # the input records this part covers go: the file says those of all its parts, once, when
        # they are known (_finish; _start before pyarrow 17), and a first part's own count in the
        # file's schema would say less, or a second time in a Parquet footer
        meta = table.schema.metadata or {}
        if RECORDS_KEY in meta:
            table = table.replace_schema_metadata({k: v for k, v in meta.items() if k != RECORDS_KEY})
        if self.writer is None:
            # (the first part's schema is the file's, its fields saying what their values mean: Batch.to_arrow)
            self.schema = self.schema or table.schema
            if self.pq is not None and not table.num_rows:
                # Parquet's dictionaries are chosen from the first rows: a part of none (a first
                # chunk whose records all failed) gave every column one (13.3 MB for the seed's
                # 200,000 records instead of 10.8). The writer waits for rows, or for close.
                return
            self._start(table)
        if not table.schema.equals(self.schema):  # e.g. large_string in one part: one schema for the file
            table = self._in_schema(table)
        if self.pq is None:
            self.writer.write_table(table)
            return
        _parquet_times(part)
        if self.tail is not None:
            table = self.pa.concat_tables([self.tail, table])  # (chunks, not copied)
        whole = table.num_rows - table.num_rows % ROW_GROUP
        if whole:
            self.writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP)
        self.tail = table.slice(whole) if whole < table.num_rows else None

    def _in_schema(self, table: Any) -> Any:
        """``table`` (a part) cast to the file's schema, its first part's. A part whose text passes
        2 GiB in a column holds it as ``large_string`` (64-bit offsets), which the file's ``string``
        fields (32-bit) take only in pieces under it: the part is cut in halves until each piece
        fits, each piece's text copied anew (a slice keeps its offsets into the whole text, and
        Arrow's cast checks those, not the slice's own span)."""
        rows = table.num_rows
        if rows > 1 and max((sum(text_span(chunk, self.pa) for chunk in column.chunks) for column in table.columns), default=0) >= 2**31 - 1:
            half = rows // 2
            pieces = [table.slice(0, half), table.slice(half)]
            return self.pa.concat_tables([self._in_schema(piece.take(np.arange(piece.num_rows))) for piece in pieces])
        try:
            return table.cast(self.schema)
        except self.pa.ArrowInvalid:
            if rows == 1:  # (one row's text alone past 2 GiB: no piece of it fits)
                raise OutputError(
                    f"cannot write {self.shown}: a row holds more than 2 GiB of text in a column, more than the file's string fields "
                    "(as its first rows made them) can hold; write .npz, or map that record apart"
                ) from None
            raise

    def _start(self, sample: Any) -> None:
        """Open the file's writer with its schema, a Parquet file's dictionaries chosen from the rows of ``sample``."""
        # to a stream (a FIFO, a device), in memory until the batch is known to be kept: its
        # footer would make a file of the parts written so far look whole to the reader
        fh = self.pa.BufferOutputStream() if self.stream else self._open()
        self.buffer = fh if self.stream else None
        if self.pq is not None:
            schema = self.schema
            if self.whole and self.inputs is not None and not hasattr(self.pq.ParquetWriter, "add_key_value_metadata"):  # (pyarrow before 17)
                schema = schema.with_metadata({**(schema.metadata or {}), RECORDS_KEY: json.dumps(self.inputs.said()).encode()})
            self.writer = self.pq.ParquetWriter(fh, schema, use_dictionary=_repeating(sample, self.pa), **_page_checksums(self.pa, "write_page_checksum"))
        else:
            self.writer = self.pa.ipc.new_file(fh, self.schema)

    def _finish(self) -> None:
        if self.writer is None:
            if self.schema is None:
                raise _no_part(self.out)
            self._start(self.schema.empty_table())  # (only parts of no rows: a file of the columns)
        if self.tail is not None:
            tail, self.tail = self.tail, None
            self.writer.write_table(tail, row_group_size=ROW_GROUP)
        if self.inputs is not None:  # how many input records the rows cover, known now (see mapper.batch.RECORDS_KEY)
            said = {RECORDS_KEY: json.dumps(self.inputs.said()).encode()}
            if self.pq is None:  # (an IPC file's schema went first: a last record batch of no rows carries it, which other readers read as none)
                self.writer.write_batch(self.pa.RecordBatch.from_pylist([], schema=self.schema), custom_metadata=said)
            elif hasattr(self.writer, "add_key_value_metadata"):  # (pyarrow 17 on: into the footer, written at close)
                self.writer.add_key_value_metadata(said)
        writer, self.writer = self.writer, None
        writer.close()
        if self.buffer is not None:
            buffer, self.buffer = self.buffer, None
            self._open().write(memoryview(buffer.getvalue()))

    def _drop(self) -> None:
        self.buffer = None
        self.tail = None
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.close()
            except Exception:  # noqa: BLE001, S110 - the file goes anyway
                pass


#: The greatest count of seconds a Parquet file holds: it stores a time of seconds as milliseconds
#: (int64), pyarrow's cast past this an ArrowInvalid from inside its writer, naming no column.
_PARQUET_SECONDS = (2**63 - 1) // 1000


def _parquet_times(part: Batch) -> None:
    """An OutputError naming the first ``timestamp`` column of seconds, and its row, holding a time
    past :data:`_PARQUET_SECONDS` (edited by hand: mapping stores none past 9999-12-31)."""
    for name, col in part.columns.items():
        values = col.stored
        if col.unit != "s" or col.ctype.type != "timestamp" or not isinstance(values, np.ndarray) or not len(values):
            continue
        past = ((values > _PARQUET_SECONDS) | (values < -_PARQUET_SECONDS)) & col.valid
        if past.any():
            row = int(np.argmax(past))
            raise OutputError(
                f"column {name!r} holds {col.ctype.render()(int(values[row]))} in row {row} (counting from 0), which a Parquet file cannot hold: "
                "it stores a time of seconds as milliseconds, in 64 bits (mapping stores none past 9999-12-31); .arrow and .npz hold it"
            )


class NpzWriter(BatchWriter):
    """``.npz`` is a zip of whole arrays: the parts are kept and written at the end."""

    def __init__(self, out: str):
        super().__init__(out)
        self.parts: list[Batch] = []

    def _write(self, part: Batch) -> None:
        self.parts.append(part)

    def _finish(self) -> None:
        if not self.parts:
            raise _no_part(self.out)
        parts, self.parts = self.parts, []
        _savez(self._open(), npz_pieces(parts))  # (written part after part into each array: nothing joined)
        keep_to_exit(parts)  # (the command line's: freed by its end, not string by string)


def _no_part(out: str) -> OutputError:
    """A columnar file closed before any batch came: its columns come from a batch's sink."""
    return OutputError(
        f"cannot write {shown_name(out)}: no batch was written to it (an input with no records still makes one: "
        "write m.map(b'') to get a file with the sink's columns and no rows)"
    )


def _extension(name: str) -> str:
    """The extension that says a file's format, lower-cased: a name that is only one (``.npz``),
    a dot file to :attr:`Path.suffix`, which finds none in it, is that format's too."""
    base = Path(name).name
    suffix = Path(name).suffix or (base if base.startswith(".") and base.count(".") == 1 else "")
    return suffix.lower()


def _renamed(name: str, ext: str) -> str:
    """The file name ``name`` would have with extension ``ext`` in place of its own (as a message says it).
    A stem that ends in ``ext`` already is the name (``w.parquet.gz`` holding Parquet: ``w.parquet``,
    not ``w.parquet.parquet``)."""
    base = os.path.basename(name)
    stem = base[: -len(_extension(name))] if _extension(name) else base
    if _extension(stem) == ext:
        return stem
    return f"{stem}{ext}"  # (".npz" holding Parquet: ".parquet", a name that is only an extension too)


#: The extensions of compressed files (``out.npz.gz``): mapper writes and reads batches uncompressed.
_COMPRESSED = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd", ".xz": "xz", ".bz2": "bzip2", ".lz4": "lz4"}

#: How each compression a file's first bytes say is unpacked (:data:`_CONTENTS`), keeping the file.
_UNPACK = {"gzip-compressed": "gzip -dk", "zstd-compressed": "zstd -d", "xz-compressed": "xz -dk"}


def open_writer(out: str) -> BatchWriter:
    """The writer for an output name by its suffix (``-``: NDJSON on stdout); OutputError if none,
    or if ``out`` cannot be written (:func:`check_output`: a directory is said to be one)."""
    check_output(out)
    suffix = _extension(out)
    if out == "-" or suffix in (".ndjson", ".jsonl") or (not suffix and _null_device(out)):  # (/dev/null: nothing kept, in any format)
        return NdjsonWriter(out)
    if suffix in (".parquet", ".arrow"):
        return ArrowWriter(out, parquet=suffix == ".parquet")
    if suffix == ".npz":
        return NpzWriter(out)
    packed = _COMPRESSED.get(suffix)
    if packed is not None:
        plain = out[: -len(suffix)]
        if _extension(plain) not in (".npz", ".ndjson", ".jsonl", ".parquet", ".arrow"):
            plain += ".npz"
        raise OutputError(
            f"cannot write {out!r}: mapper writes no {packed}-compressed output; write {pasted_name(plain)}"
            f" and compress it afterwards ({packed} {pasted_name(plain)})"
        )
    near = _NEAR_FORMATS.get(suffix)
    meant = f" (did you mean {pasted_name(os.path.join(os.path.dirname(out), _renamed(out, near[0])))}? {near[1]})" if near else ""
    raise FormatUnknown(f"cannot tell the output format of {out!r}: use .npz, .ndjson, .parquet, .arrow or - (NDJSON on stdout){meant}")


class FormatUnknown(OutputError):
    """:func:`open_writer`'s refusal of an output name that tells no format (``out.txt``, ``/dev/stdout``)."""


#: Extensions of formats near one mapper writes: that one's, and what it is.
_NEAR_FORMATS = {
    ".json": (".ndjson", "JSON rows, one a line"),
    ".feather": (".arrow", "the Arrow IPC file, which Feather v2 is"),
    ".ipc": (".arrow", "the Arrow IPC file"),
    ".pq": (".parquet", "Parquet"),
    ".npy": (".npz", "numpy arrays, one per column"),
}


#: What an output's extension says it holds, of the formats that are not NDJSON text (:func:`not_ndjson`).
_NOT_NDJSON = {".npz": "npz", ".parquet": "Parquet", ".arrow": "Arrow"}


def not_ndjson(name: str) -> str | None:
    """What the name of an output written as plain NDJSON (``--rejects``) says it holds instead:
    another format (``Parquet`` for ``bad.parquet``) or a compression (``gzip-compressed`` for
    ``bad.ndjson.gz``); None for any other name (``.ndjson``, ``.json``, ``.log``, none, ``-``)."""
    if name == "-":
        return None
    ext = _extension(name)
    packed = _COMPRESSED.get(ext)
    return _NOT_NDJSON.get(ext) or (f"{packed}-compressed" if packed else None)


def ndjson_name(name: str) -> str:
    """``name`` with ``.ndjson`` for the extension :func:`not_ndjson` found (``bad.ndjson.gz``: ``bad.ndjson``), as a message
    suggests it: in ``name``'s directory (``out/bad.ndjson.gz``: ``out/bad.ndjson``; the name alone wrote into the current one)."""
    stem = os.path.basename(name)[: -len(_extension(name))]
    if not (_extension(name) in _COMPRESSED and _extension(stem) in (".ndjson", ".jsonl", ".json")):  # (bad.jsonl.gz: bad.jsonl)
        stem = _renamed(name, ".ndjson")
    return os.path.join(os.path.dirname(name), stem)


# ---------------------------------------------------------------------------------------
# Reading a written batch back


def read_batch(path: str | os.PathLike[Any]) -> Batch:
    """A batch written by ``mapper map`` (``.npz``, ``.arrow`` or ``.parquet``), as it was mapped.

    Values, null and missing (the ``<name>.present`` convention), ``_id`` and
    ``_record_index`` come back; the sink is read from the file (``.npz`` header,
    Arrow/Parquet schema metadata). The report is not kept in files, only what joining needs:
    the batch's report says the ``on_error`` and ``strict`` the batch was mapped with (so
    :func:`mapper.concat` joins it with batches mapped so: the one it was written from, say),
    as the file says them (a file of an older mapper: the defaults), and counts the input
    records the batch covered, ``records`` (refused ones after its last row too) and
    ``failed_records``, as the file says them; which records were refused, and why, is not
    kept (its ``errors`` are empty). So :func:`mapper.concat` of batches read back gives the
    ``record_index`` that of the batches written gives.

    A file that does not say how many records its batch covered (written by an older mapper,
    or by another tool) still reads: its ``records`` are taken up to its last
    ``_record_index`` (the most that can be known), those not in its rows as ``failed_records``,
    and ``report.notes`` says so. Records refused after its last row are then not counted:
    joined after it (:func:`mapper.concat`), a batch's indices may come out lower than they
    were, and the joined report keeps the note.

    Raises :class:`~mapper.errors.InputError` for a file that is not one of these.
    """
    try:
        name = os.fsdecode(path)  # (a PathLike may name it in bytes: os.scandir(b"dir"))
    except TypeError:
        raise InputError(f"cannot read a batch from a {type(path).__name__}: read_batch reads .npz, .arrow and .parquet files written by mapper") from None
    if "\x00" in name:  # (no file name holds one: os.stat's ValueError "embedded null byte"; a file's bytes passed for its name, say)
        raise InputError(
            f"cannot read a batch from {name[:60]!r}{'...' if len(name) > 60 else ''}: a file name holds no NUL character (read_batch takes the name of a file, not its content)"
        )
    suffix = _extension(name)
    if suffix in (".npz", ".arrow", ".parquet"):  # (said alike, not in each library's words: a dataset directory was "cut short")
        if os.path.isdir(name):
            raise InputError(
                f"cannot read {shown_name(name)} as a mapper batch: it is a directory, not a file (read_batch reads one .npz, .arrow or .parquet file; "
                "a Parquet dataset's part files one at a time)"
            )
        try:
            mode = os.stat(name).st_mode
        except FileNotFoundError:  # (a link to nothing too)
            raise InputError(f"cannot read {shown_name(name)} as a mapper batch: no such file") from None
        except OSError as exc:  # a loop of links, a name too long: not "no such file", as os.path.exists said them
            said = exc.strerror or str(exc)
            raise InputError(f"cannot read {shown_name(name)} as a mapper batch: {said[:1].lower()}{said[1:]}") from None
        if not stat.S_ISREG(mode):  # (a FIFO's open waits for a writer; a device reads as an empty file, or without end)
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise InputError(
                f"cannot read {shown_name(name)} as a mapper batch: it is {kind}, not a regular file (read_batch reads a file it can seek in, "
                "a Parquet footer or a zip directory at its end first: save what comes through it to a file)"
            )
        try:  # (said alike too: pyarrow's words were "Failed to open local file '...'. Detail: [errno 13] Permission denied")
            with open(name, "rb"):
                pass
        except PermissionError:
            raise InputError(f"cannot read {shown_name(name)} as a mapper batch: permission denied (this user may not read it)") from None
        except OSError:  # (said below by the reader, as before)
            pass
        _check_content(name, suffix)
    try:
        if suffix == ".npz":
            return _read_npz(name)
        if suffix in (".arrow", ".parquet"):
            return _read_arrow(name, parquet=suffix == ".parquet")
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:  # pyarrow's errors are ValueError or TypeError too
        raise InputError(f"cannot read {shown_name(name)} as a mapper batch: {exc or type(exc).__name__}") from None
    except DefinitionError as exc:  # the sink the file names
        raise InputError(f"cannot read {shown_name(name)} as a mapper batch: the sink it holds: {exc}") from None
    except Exception as exc:  # pyarrow's other errors (ArrowNotImplementedError of an impossible cast)
        if type(exc).__module__.startswith("pyarrow"):
            raise InputError(f"cannot read {shown_name(name)} as a mapper batch: {exc}") from None
        raise
    raise InputError(
        f"cannot tell the format of {name!r} by its name: read_batch reads .npz, .arrow and .parquet files written by mapper{_named_otherwise(name, suffix)}"
    )


#: What a file's first bytes say it is, and the extension ``read_batch`` reads it by (None: no
#: batch). Each magic is one no Arrow IPC stream of before 0.15 starts with (its schema's length,
#: 4 bytes, little-endian: ``{`` is 123): gzip's third byte is its method, 8 (a schema of 0.5 MB).
_CONTENTS: tuple[tuple[bytes, str, str | None], ...] = (
    (b"PK\x03\x04", "a zip archive (as an .npz is)", ".npz"),
    (b"PK\x05\x06", "a zip archive (as an .npz is)", ".npz"),  # (an empty one)
    (b"ARROW1", "an Arrow IPC file", ".arrow"),
    (b"\xff\xff\xff\xff", "an Arrow IPC stream", ".arrow"),
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"\x93NUMPY", "one .npy array", None),
    (b"\x1f\x8b\x08", "gzip-compressed", None),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", None),
    (b"\xfd7zXZ\x00", "xz-compressed", None),
)

#: What ``read_batch`` takes a file of each extension for, as a message says it.
_FORMATS = {".npz": "an .npz (a zip of .npy arrays)", ".arrow": "an Arrow IPC file or stream", ".parquet": "a Parquet file"}


def _content(name: str) -> tuple[str, str | None] | None:
    """What the first bytes of file ``name`` say it is and the extension it is read by, or None
    (unknown, or unreadable: its reader says why). A pickle is said as one: numpy's own words
    for it (``If you trust the file you can load it unsafely``) are no advice to pass on."""
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):  # (a FIFO's open waits for a writer)
            return None
        with open(name, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return None
    for magic, what, ext in _CONTENTS:
        if head.startswith(magic):
            return what, ext
    if len(head) >= 3 and head[0] == 0x80 and 2 <= head[1] <= 5 and head[2]:  # (pickle protocols 2 to 5, then an opcode: none is 0)
        return "a Python pickle (read_batch never loads one: loading runs whatever code it names)", None
    text = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    if text[:1] in (b"{", b"[") and not any(b < 0x20 and b not in b"\t\r\n" for b in text):  # (text: no control bytes)
        return "JSON text (canonical rows, or a sink), not a batch", None
    return None


def _named_otherwise(name: str, suffix: str) -> str:
    """For a file ``read_batch`` cannot tell the format of by its name: what the file is, if its
    first bytes say, and the name to read it by ("" when they say nothing)."""
    if suffix in (".ndjson", ".jsonl", ".json"):
        return (
            f"; {suffix} rows (mapper map -o x{suffix}) are the canonical rows, without the sink, _record_index or what each column's numbers mean: "
            "no batch is read back from them (map the records again, or write .npz, .arrow or .parquet)"
        )
    found = _content(name)
    if found is None:
        return ""
    what, ext = found
    if what in _UNPACK:  # (mapper writes no compressed batch: unpacked, it may be one)
        return f"; its content is {what}: read_batch reads batches uncompressed; unpack it first ({_UNPACK[what]} {shown_name(os.path.basename(name))})"
    return f"; its content is {what}" + (f": name it {shown_name(_renamed(name, ext))}" if ext else "")


def _check_content(name: str, suffix: str) -> None:
    """Refuse a file whose first bytes say it is another format than its name's (a Parquet file
    named ``.arrow``, a pickle named ``.npz``), before any reader opens it: read as its name says,
    each reader's own words ("Expected to read 827474256 metadata bytes") would not say the file
    is whole, only named otherwise (and numpy's, of a pickle, say to load it unsafely)."""
    found = _content(name)
    if found is None or found[1] == suffix:
        return
    what, ext = found
    rename = f": rename it {shown_name(_renamed(name, ext))}" if ext else ""
    raise InputError(f"cannot read {shown_name(name)} as a mapper batch: its first bytes say it is {what}, not {_FORMATS[suffix]} as its name says{rename}")


#: The numpy dtype of each storage's values (strings are held as UTF-8: :class:`Strings`).
_STORED_DTYPES = {"int64": np.dtype(np.int64), "uint64": np.dtype(np.uint64), "bool": np.dtype(bool), "uint64set": np.dtype(np.uint64)}


def _uint64_ids(ids: np.ndarray) -> np.ndarray:
    """The uint64 ids of an ``_id`` another tool wrote as other integers (pandas, polars, Spark
    and Parquet writers without unsigned types write int64): read when none is negative, else a
    ValueError naming the first row that is."""
    if ids.dtype.kind == "i" and len(ids) and int(ids.min()) < 0:
        row = int(np.flatnonzero(ids < 0)[0])
        raise ValueError(f"its _id holds {int(ids[row])} in row {row} (counting from 0): the ids of its sink are uint64, never negative")
    return ids.astype(np.uint64)


def _batch_of(
    sink_body: Any,
    rows: int,
    ids: np.ndarray | Strings,
    record_index: np.ndarray,
    arrays: dict[str, ColumnArrays],
    described: dict[str, Any] | None = None,
    mapped: Any = None,
    covered: Any = None,
    shown: str = "the file",
) -> Batch:
    """The batch a file holds, once its arrays are seen to fit its sink (a file written otherwise, or edited, is refused).

    ``described``: an ``.npz`` header's entry for each column, which says what its numbers
    mean (:meth:`ColumnType.meaning`): the sink must say the same (:func:`_check_meaning`).

    Offsets (of sets, and of strings held as UTF-8) are checked once, by :meth:`Batch.check`
    (:func:`mapper.batch.check_offsets`, as a conversion checks a batch's), before any text is
    decoded: its OutputError is said as the file's fault.

    ``mapped``: what the file says of how the batch was mapped (``{"on_error", "strict"}``), None
    when it says nothing (a file of an older mapper): its report's options.

    ``covered``: what the file says of the input records the batch covered (``{"records",
    "failed_records"}``, :data:`mapper.batch.RECORDS_KEY`), None when it says nothing: its
    report's counts (:func:`_counts`; ``shown``, the file as the note then names it)."""
    on_error, strict = _mapped(mapped)
    with stored_sink_names():  # (names FeatureBase refuses, as an earlier mapper's file has them: read by them)
        sink = load_sink(sink_body)
    if not isinstance(rows, int) or len(ids) == len(record_index) != rows:
        raise ValueError(f"it says {rows!r} rows but holds {len(ids)} ids and {len(record_index)} record indexes")
    _check_length("_id", ids, rows, "id")
    _check_length("_record_index", record_index, rows, "value")
    numbers = sink.id_kind == "uint64"
    if numbers and isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" and ids.dtype != np.uint64:
        ids = _uint64_ids(ids)
    if (not numbers and not isinstance(ids, Strings)) or (numbers and (isinstance(ids, Strings) or ids.dtype != np.uint64)):
        held = "string" if isinstance(ids, Strings) else ids.dtype
        raise ValueError(f"its _id holds {held} values, not the {'uint64' if numbers else 'string'} ids of its sink")
    if record_index.dtype != np.int64:
        raise ValueError(f"its _record_index holds {record_index.dtype} values, not int64")
    negative = negative_record_index(record_index, "_record_index")
    if negative:
        raise ValueError(negative)
    columns = {}
    for c in sink.stored_columns:
        ctype = column_type(c)
        a = arrays.get(c.name)
        if a is None:
            raise ValueError(f"it holds no column {c.name!r}, a {c.type} column of its sink (a batch holds every column its sink stores)")
        entry = (described or {}).get(c.name)
        if isinstance(entry, dict):
            _check_meaning(ctype, entry, "header")
        if (a.offsets is not None) != (ctype.storage in ("uint64set", "strset")):
            has = "has offsets" if a.offsets is not None else "has no offsets"
            raise ValueError(f"column {c.name!r} {has}, and {article(c.type)} column {'does not hold sets' if a.offsets is not None else 'holds a set a row'}")
        values = a.values
        held = "strings" if isinstance(values, Strings) else values.dtype
        if held != _STORED_DTYPES.get(ctype.storage, "strings"):
            raise ValueError(f"column {c.name!r} holds {held} values, not those of {article(c.type)} column")
        _check_lengths(c.name, a, rows)
        if a.valid.dtype != np.bool_ or a.present.dtype != np.bool_:
            raise ValueError(f"column {c.name!r} has masks of {a.valid.dtype} and {a.present.dtype}, not bool")
        unsent = np.flatnonzero(a.valid & ~a.present)
        if len(unsent):  # (to_rows would leave the value out: a missing value has no key)
            raise ValueError(
                f"column {c.name!r} holds a value in row {int(unsent[0])} (counting from 0) that its presence mask says was not sent: a stored value is always present"
            )
        if ctype.on_null != "clear" and ctype.on_missing != "clear":  # (to_rows would show a JSON null the endpoint never gets)
            cleared = np.flatnonzero(a.present & ~a.valid)
            if len(cleared):
                raise ValueError(
                    f"column {c.name!r} has no value in row {int(cleared[0])} (counting from 0) where its presence mask says one was sent (a clear), "
                    f"and mapping never clears this {c.type} column: a null or missing value leaves it alone, or fails the record"
                )
        if a.offsets is None:
            _check_range(ctype, values, a.valid)  # type: ignore[arg-type]  # (a string column has no range)
        columns[c.name] = ColumnData(c.name, ctype, a)
    records, failed, note = _counts(covered, rows, record_index, shown)
    report = Report(records=records, failed_records=failed, on_error=on_error, strict=strict, notes=[note] if note else [])
    report.input_token = _input_said(covered)
    discarded = _discarded_said(covered)
    if discarded is not None:  # (a batch the endpoint would discard: none of its records stored)
        report.accepted, report.reject_reason = False, discarded
    try:  # which records failed: as the file says (and how each is answered), else those in no row, as the report's answer needs them
        listed = _refused_said(covered, records, failed, record_index)
        refused = listed[0] if listed is not None else refused_records(records, failed, record_index)
    except MemoryError:  # (numpy's, of a count no run could have made: 1e15 records are 7 PiB of indices)
        raise ValueError(
            f"it says its batch covered {records:,} input records, {failed:,} of them refused: too many to list in memory (edited or damaged)"
        ) from None
    if refused is not None:
        report.failed = array("q", refused.tobytes())
        report.failed_only_missing = listed[1] if listed is not None else bytearray(failed)
    batch = Batch(sink, ids, record_index, columns, report)
    batch.sliced = report.input_token is not None  # (of a file of a slice: written again, it names its input again)
    try:
        batch.check()  # (what the conversions check first; of a file, its offsets)
    except OutputError as exc:
        raise ValueError(str(exc)) from None
    _check_text(batch)
    return batch


def _counts(said: Any, rows: int, record_index: np.ndarray, shown: str) -> tuple[int, int, str | None]:
    """The ``records`` and ``failed_records`` of a batch read from a file, as the file says them
    (``said``), and a note when it says nothing; a ValueError when it says them wrongly.

    A file that does not say (an older mapper's, another tool's) is taken to cover its records
    up to its last ``_record_index`` (the most that is known: a record refused after its last
    row is in no row), those not in its rows as refused; the note says so, and :func:`mapper.concat`
    keeps it in the report of the batches it joins."""
    top = int(record_index.max()) + 1 if rows else 0
    if said is None:
        records = max(top, rows)
        note = (
            f"{shown} does not say how many input records its batch covered (written by an older mapper, by another tool, or as a table without its record index): "
            f"taken as {records:,}, up to its last _record_index; records refused after its last row are not counted "
            "(mapper.concat moves the record indices of a batch joined after it by that many)"
        )
        return records, records - rows, note
    if (
        not isinstance(said, dict)
        or not all(isinstance(said.get(k), int) and not isinstance(said.get(k), bool) for k in ("records", "failed_records"))
        or not 0 <= said["failed_records"] <= said["records"]
    ):
        raise ValueError(
            f"it says how many input records its batch covered wrongly ({said!r}: mapper writes records and failed_records, "
            "whole numbers, failed_records at most records)"
        )
    if said["records"] > _INT64_MAX:  # (numpy said "Maximum allowed size exceeded" listing the refused ones)
        raise ValueError(f"it says its batch covered {said['records']:,} input records, more than a record index (int64) counts: edited or damaged")
    if said["records"] < top:
        raise ValueError(
            f"it says its batch covered {said['records']:,} input records, and holds a row of record {top - 1:,} (counting from 0): edited or damaged"
        )
    return said["records"], said["failed_records"], None


_INT64_MAX = 2**63 - 1


def _refused_said(said: Any, records: int, failed: int, record_index: np.ndarray) -> tuple[np.ndarray, bytearray] | None:
    """Which of its ``records`` input records a file says failed, and which of those failed for
    missing values only (``MissingField``: 1 in the bytearray), as :meth:`mapper.batch.Inputs.said`
    writes them; None when it does not say (an older mapper's file: the records in no row are
    taken), a ValueError when it says them wrongly (not ``failed`` of them, or one with a row)."""
    if not isinstance(said, dict) or "refused" not in said:
        if isinstance(said, dict) and "missing" in said:
            raise ValueError("it says which refused records lacked a value (missing) but not which records were refused (refused), edited or damaged")
        return None
    refused = from_runs(said["refused"], failed, records, "which records were refused (refused)")
    only_missing = bytearray(failed)
    if "missing" in said:
        missing = from_runs(said["missing"], None, failed, "which refused records lacked a value (missing)")
        np.frombuffer(only_missing, dtype=np.uint8)[missing] = 1
    if len(refused) and len(record_index):
        stored = np.isin(record_index, refused)
        if stored.any():
            row = int(np.argmax(stored))
            raise ValueError(f"it says record {int(record_index[row]):,} was refused, and holds its row {row} (counting from 0): edited or damaged")
    return refused, only_missing


def _discarded_said(said: Any) -> str | None:
    """Why a file says its batch was discarded (:meth:`mapper.batch.Inputs.said`), None when it says
    it was not (it says nothing), or a ValueError when it says it wrongly (mapper writes a reason)."""
    reason = said.get("discarded") if isinstance(said, dict) else None
    if reason is None:
        return None
    if not isinstance(reason, str) or not reason:
        raise ValueError(f"it says why its batch was discarded wrongly ({reason!r}: mapper writes the reason, a text), edited or damaged")
    return reason


def _input_said(said: Any) -> str | None:
    """The input a file says its batch is of (:func:`mapper.batch.input_token`: files of one input's
    slices join as the slices do), None when it says none (several inputs, an older mapper's file),
    or a ValueError when it says it wrongly (mapper writes 32 hexadecimal digits)."""
    token = said.get("input") if isinstance(said, dict) else None
    if token is None:
        return None
    if not isinstance(token, str) or len(token) != 32 or token.strip("0123456789abcdef"):
        raise ValueError(f"it says which input its batch is of wrongly ({preview(repr(token))}: mapper writes 32 hexadecimal digits)")
    return token


def _mapped(said: Any) -> tuple[str, bool]:
    """The ``on_error`` and ``strict`` a file says its batch was mapped with (the defaults when it
    says nothing), or a ValueError: they are one of the policies and a bool, as mapper writes them."""
    if said is None:
        return "endpoint", False
    if not isinstance(said, dict) or said.get("on_error") not in ON_ERROR or not isinstance(said.get("strict"), bool):
        raise ValueError(
            f"it says how its batch was mapped wrongly ({said!r}: mapper writes on_error, one of {', '.join(ON_ERROR)}, and strict, true or false)"
        )
    return said["on_error"], said["strict"]


def _check_lengths(name: str, a: ColumnArrays, rows: int) -> None:
    """Refuse a column whose arrays do not hold the batch's ``rows`` rows (a file edited, or
    arrays of two files mixed), naming the array and what it holds: read as they are, numpy
    would pair one row's mask with another's value, or fail in its own words. The offsets'
    soundness (from 0, never going back) is :func:`mapper.batch.check_offsets`'s, later."""
    what = f"column {name!r}"
    for mask, which in ((a.valid, "valid"), (a.present, "presence")):
        if len(mask) != rows:
            raise ValueError(f"{what}: its {which} mask holds {_many(len(mask), 'row')}, the batch has {_many(rows, 'row')}")
    if a.offsets is None:
        _check_length(what, a.values, rows, "value")
        return
    if len(a.offsets) != rows + 1:
        raise ValueError(f"{what}: its set offsets hold {_bounds(len(a.offsets), 'row')}, the batch has {_many(rows, 'row')} ({rows + 1} offsets)")
    end, values = int(a.offsets[-1]), a.values
    if isinstance(values, Strings) and values.n != end:
        raise ValueError(f"{what}: its set offsets end at element {end}, and its elements' string offsets hold {_bounds(values.n + 1, 'string')}")
    if len(values) != end:
        raise ValueError(f"{what}: its set offsets end at element {end}, and it holds {_many(len(values), 'element')}")


def _check_length(what: str, values: np.ndarray | Strings, rows: int, item: str) -> None:
    """Refuse ``values`` (``what``: whose) that are not one a row: a value array's length, or
    the bounds its string offsets hold."""
    if isinstance(values, Strings):
        if values.n != rows:
            raise ValueError(f"{what}: its string offsets hold {_bounds(values.n + 1, 'string')}, the batch has {_many(rows, 'row')} ({rows + 1} offsets)")
    elif len(values) != rows:
        raise ValueError(f"{what}: it holds {_many(len(values), item)}, the batch has {_many(rows, 'row')}")


def _bounds(offsets: int, item: str) -> str:
    """What ``offsets`` offsets bound, for a message: ``"2 rows' bounds (3 offsets)"``."""
    k = max(offsets - 1, 0)
    return f"{k} {item}{'' if k == 1 else 's'}' bounds ({_many(offsets, 'offset')})"


def _many(k: int, item: str) -> str:
    """``"1 row"``, ``"3 rows"``."""
    return f"{k} {item}{'' if k == 1 else 's'}"


def _check_text(batch: Batch) -> None:
    """Refuse text a file holds that is not UTF-8 (the rule of :func:`mapper.batch.text_fault`: a lone
    surrogate too, as an older mapper wrote one as ``surrogatepass`` encodes it), naming the row and, of a set, the element,
    and offsets that leave bytes of its text out of every string (mapper's run from 0 to its end).
    After :meth:`Batch.check`: the offsets it cuts the text at are sound."""
    held: list[tuple[str, Any, np.ndarray | None]] = [("its _id", batch.id_values, None)]
    held += [(f"column {name!r}", col.stored, col.offsets) for name, col in batch.columns.items()]
    for what, values, rows in held:
        if isinstance(values, Strings):
            data, offsets = values.held_utf8 or values.utf8  # (as the file holds them: utf8 gives the bytes they cover)
            if len(offsets) and (offsets[0] != 0 or offsets[-1] != len(data)):  # (a batch's may cut a longer text; a file's, as mapper writes it, may not)
                raise ValueError(
                    f"{what} cannot be read: its string offsets run from {int(offsets[0])} to {int(offsets[-1])}, "
                    f"not over its {len(data)} bytes of text, from 0 to the end (bytes of no string: edited or damaged)"
                )
            fault = utf8_fault(data, offsets, rows)
            if fault is not None:
                raise ValueError(f"{what} holds text that is not UTF-8 in {fault[0]} ({fault[1]})")


def _check_meaning(ctype: ColumnType, said: dict[str, Any], where: str) -> None:
    """Refuse a column whose file says its values mean otherwise (``said``, of
    :meth:`ColumnType.meaning`) than the sink in its ``where`` makes them: one of the two was
    edited, and read as the sink says, every number would silently mean another."""
    meaning = ctype.meaning()
    keys = _MEANING + tuple(k for k in _MEANING_IF_SAID if k in said)
    differ = ", ".join(f"{k} {said.get(k)!r} (its sink: {meaning.get(k)!r})" for k in keys if said.get(k) != meaning.get(k))
    if differ:
        raise ValueError(f"column {ctype.column.name!r} is held with {differ}, not as the sink in its {where} makes it: one of them was edited")


def _check_range(ctype: ColumnType, values: np.ndarray, valid: np.ndarray) -> None:
    """Refuse a stored value the column's type could never have produced (an edited file's far-out
    timestamp, an int past its Max): mapping refuses such a record, so a batch never holds one."""
    bounds = ctype.stored_range()
    if bounds is None or not len(values):
        return
    lo, hi = bounds
    outside = ((values < lo) | (values > hi)) & valid
    if outside.any():
        row = int(np.argmax(outside))
        render = ctype.render()
        raise ValueError(
            f"column {ctype.column.name!r} holds {render(int(values[row]))} in row {row} (counting from 0), outside the {render(lo)}..{render(hi)} "
            f"{article(ctype.type)} column is stored with: mapping refuses such a value"
        )


def _utf8_strings(data: np.ndarray, offsets: np.ndarray, valid: np.ndarray | None, what: str) -> Strings:
    """Strings held as UTF-8 in a file, not yet decoded: :func:`_batch_of` checks their
    offsets (:meth:`Batch.check`), then their text (:func:`_check_text`)."""
    if data.dtype != np.uint8:
        raise ValueError(f"{what} holds {data.dtype} text, not UTF-8 bytes")
    if offsets.dtype != np.int64 or not len(offsets):  # (its count of strings is one less)
        raise ValueError(f"{what} has {offsets.dtype} string offsets of shape {offsets.shape}, not int64 (one more than its strings)")
    return Strings.from_utf8(data, offsets, valid)


@contextmanager
def _open_npz(name: str) -> Iterator[Any]:
    """``np.load`` of an .npz, open while the ``with`` lasts, or a ValueError saying what the file is instead.
    The file is opened here, and closed here: ``np.load`` of the name lost the file it opened when
    the zip could not be read (cut short), left open for the garbage collector (a ResourceWarning)."""
    with open(name, "rb") as fh, _npz_of(fh, name) as z:
        yield z


def _npz_of(fh: Any, name: str) -> Any:
    """``np.load`` of the .npz open as ``fh`` (see :func:`_open_npz`)."""
    try:
        z = np.load(fh, allow_pickle=False)
    except (
        zipfile.BadZipFile,
        EOFError,
        ValueError,
        UnicodeDecodeError,
        NotImplementedError,
    ) as exc:  # (NotImplementedError: a directory entry asking for a zip version zipfile lacks)
        if os.path.getsize(name) == 0:
            raise ValueError("it is empty") from None
        found = _content(name)
        if found is None or found[1] != ".npz":  # (numpy's words for what is no zip are of pickles: "you can load it unsafely")
            what = "not a zip archive" if found is None else f"{found[0]}, not a zip archive"
            raise ValueError(f"it is {what}; an .npz is a zip of .npy arrays") from None
        raise ValueError(
            f"it is a zip archive cut short or damaged (its directory, at the end, cannot be read); an .npz is a zip of .npy arrays ({exc or type(exc).__name__})"
        ) from None
    if not hasattr(z, "files"):  # a plain .npy renamed
        raise ValueError("it is one .npy array, not an .npz (a zip of .npy arrays)")
    return z


def _holds_objects(z: Any, key: str) -> bool:
    """Whether the ``.npy`` header of member ``key`` of an open ``.npz`` says it holds Python
    objects (pickled: ``allow_pickle=False`` refuses them, in numpy's words); False when the
    header cannot be read (the member is damaged: said so)."""
    member = f"{key}.npy" if f"{key}.npy" in z.zip.namelist() else key
    try:
        with z.zip.open(member) as fh:
            version = np.lib.format.read_magic(fh)
            read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:  # (3.0, a UTF-8 header: numpy has no public reader of it)
                return False
            return bool(read(fh)[2].hasobject)
    except Exception:  # noqa: BLE001 - a damaged header, in whichever of numpy's or zipfile's words
        return False


def _read_npz(name: str) -> Batch:
    with _open_npz(name) as z:
        # (looked up in a dict: numpy's z.files is a list, and a lookup a member in it took time
        # growing with the square of the columns: 15 s of a 10,000-column file's 20; so did
        # numpy's own z[key] before numpy 2.3, the newest on Python 3.10: each member read
        # from the zip here, as z[key] reads it)
        there = {(n[:-4] if n.endswith(".npy") else n): n for n in z.zip.namelist()}

        def array(key: str, held: str) -> np.ndarray:
            """The array ``key``, or what is missing, whose, and what the file holds for it (``held``)."""
            if key not in there:
                raise ValueError(f"it has no array {key!r}: {held}")
            return member(key)

        def member(key: str) -> np.ndarray:
            """The array ``key`` (listed), or which member cannot be read and why: a cut or damaged
            member raises zipfile's, zlib's, numpy's or struct's own errors, each its own way."""
            try:
                with z.zip.open(there[key]) as fh:
                    got = np.lib.format.read_array(fh, allow_pickle=False)
            except Exception as exc:  # (MemoryError: a damaged .npy header asking for an impossible shape)
                if _holds_objects(z, key):
                    raise ValueError(
                        f"its array {key!r} (the member {key}.npy) holds Python objects (a pickle), which mapper never writes "
                        "and read_batch never loads (loading one runs whatever code it names)"
                    ) from None
                raise ValueError(f"its array {key!r} (the member {key}.npy) cannot be read, damaged or cut short: {exc or type(exc).__name__}") from None
            if got.ndim != (0 if key == "__header__" else 1):  # (a 2-d array's len() is its rows: it read as rows of pairs)
                raise ValueError(f"its array {key!r} has the shape {got.shape}: mapper writes {'one string' if key == '__header__' else 'one dimension'}")
            return got

        text = str(array("__header__", "the header (sink, rows, columns) of an .npz written by mapper map; this is not an .npz written by mapper"))
        try:
            header = json.loads(text)
        except (ValueError, RecursionError) as exc:  # (RecursionError: nested past Python's limit, as no header mapper writes)
            raise ValueError(f"its header (__header__) is not JSON, damaged or edited: {exc}") from None
        if not isinstance(header, dict):
            raise ValueError(f"its header (__header__) is a JSON {type(header).__name__}, not the object mapper writes (rows, id, columns and sink)")
        if "sink" not in header:
            raise ValueError("its header holds no sink (written by an older mapper)")
        for item, kind in (("rows", int), ("id", dict), ("columns", list)):
            if not isinstance(header.get(item), kind):
                got = f"no {item!r}" if item not in header else f"{item!r} of the wrong kind ({type(header[item]).__name__})"
                raise ValueError(f"its header has {got} (the header of an .npz written by mapper map holds rows, id, columns and sink)")

        def values(key: str, how: str | None, valid: np.ndarray | None, held: str, what: str) -> Any:
            if how == "utf8":
                return _utf8_strings(array(f"{key}.utf8", held), array(f"{key}.utf8_offsets", held), valid, what)
            return array(key, held)

        arrays = {}
        for i, meta in enumerate(header["columns"], 1):
            for item in ("name", "key"):
                if not isinstance(meta, dict) or item not in meta:
                    raise ValueError(f"its header's entry for column {i} has no {item!r} (each column's entry holds its name and key)")
                if not isinstance(meta[item], str):  # (a name is a dict key, a key the start of member names)
                    raise ValueError(f"its header's entry for column {i} has {item!r} of the wrong kind ({type(meta[item]).__name__}, not a string)")
            key, how = meta["key"], meta.get("strings")
            stored = [f"{key}.utf8", f"{key}.utf8_offsets"] if how == "utf8" else [key]
            held = f"column {meta['name']!r} ({meta.get('type', 'of its sink')}) is held as {', '.join(stored)}, {key}.valid and {key}.present"
            valid, present = array(f"{key}.valid", held), array(f"{key}.present", held)
            offsets = member(f"{key}.offsets") if f"{key}.offsets" in there else None
            what = f"column {meta['name']!r}"
            arrays[meta["name"]] = ColumnArrays(values(key, how, valid if offsets is None else None, held, what), valid, present, offsets)
        ids = values("_id", header["id"].get("strings"), None, "the rows' _id is held as _id.utf8 and _id.utf8_offsets (strings), or _id (numbers)", "its _id")
        described = {meta["name"]: meta for meta in header["columns"]}
        return _batch_of(
            header["sink"],
            header["rows"],
            ids,
            array("_record_index", "the record index of its rows"),
            arrays,
            described,
            header.get("mapped"),
            header.get("records"),
            shown_name(name),
        )


def _read_arrow(name: str, parquet: bool) -> Batch:
    shown = shown_name(name)
    pa = optional_import("pyarrow", "arrow", "read_batch()")
    table = _read_parquet(name, optional_import("pyarrow.parquet", "arrow", "read_batch()"), pa) if parquet else _read_ipc(name, pa)
    meta = table.schema.metadata or {}
    if b"mapper.sink" not in meta:
        raise ValueError("its schema metadata holds no sink (not written by mapper map)")
    body = _metadata_json(meta, b"mapper.sink", "the sink")
    with stored_sink_names():  # (names FeatureBase refuses, as an earlier mapper's file has them: read by them)
        sink = load_sink(body)
    # mapper's own fields: named in the metadata (a column may own the usual name), else by convention
    fields = _metadata_json(meta, b"mapper.fields", "the names of mapper's fields") if b"mapper.fields" in meta else {}
    if meta.get(b"mapper.presence", b"<column>.present") == b"":
        raise ValueError("it was written without presence fields (to_arrow(presence=False)): its nulls cannot be told from missing values")
    presence = fields.get("presence") or {} if isinstance(fields, dict) else None
    index_field = fields.get("record_index", "_record_index") if isinstance(fields, dict) else None
    if index_field is None and isinstance(fields, dict):  # written without it (to_arrow(record_index=False)): rows in input order
        index_field = ""
    if not isinstance(presence, dict) or not isinstance(index_field, str):
        raise ValueError("its schema metadata names mapper's fields wrongly (mapper.fields)")
    for col, field in presence.items():  # (a field name is looked up, and held beside the others: a list or an object is neither)
        if not isinstance(field, str):
            raise ValueError(
                f"its schema metadata names mapper's fields wrongly (mapper.fields): the presence of column {col!r} is {json_type(field)}, not a field's name"
            )
    names = table.column_names  # (once: pyarrow builds the list on each call, 3 ms for 6,000 fields)
    fields_there = set(names)
    if "_id" not in fields_there:
        raise ValueError("it has no field '_id': the rows' ids")
    _check_fields_once(names, sink, presence, index_field)
    if index_field and index_field not in fields_there and "record_index" in fields:
        raise ValueError(f"it has no field {index_field!r}, which its metadata names (mapper.fields) as the record index of its rows")
    for name in ("_id", index_field):
        if name in fields_there and table.column(name).null_count:
            raise ValueError(f"its {name} holds nulls")
    arrays = {}
    n = table.num_rows
    for column in sink.stored_columns:
        col = column.name
        if col not in fields_there:
            present_field = presence.get(col, f"{col}.present")
            raise ValueError(
                f"it has no field {col!r}: column {col!r} ({column.type}) of the sink in its metadata is held as the fields {col} and {present_field}"
            )
        field_meta = table.schema.field(col).metadata or {}
        if MEANING_KEY in field_meta:  # (a file of an older mapper says nothing: read as its sink says)
            said = _metadata_json(field_meta, MEANING_KEY, f"what column {col!r} holds", f"its field {col!r}'s metadata")
            if not isinstance(said, dict):
                raise ValueError(f"its field {col!r}'s metadata says what the column holds wrongly ({MEANING_KEY.decode()} is not a JSON object)")
            _check_meaning(column_type(column), said, "schema metadata")  # (before any cast: a granularity edited is said as such)
        arr = _whole(table, col, pa, f"column {col!r}")
        # the type mapper writes (Parquet keeps no second timestamps: they come back in ms);
        # a column of another type (a file written otherwise, or edited) is read if every value reads exactly
        want = column_type(column).arrow_type(pa)
        if arr.type != want and not _same_layout(arr.type, want, pa):
            arr = _cast_exactly(arr, want, pa, f"column {col!r} holds {arr.type}, not the {want} of {article(column.type)} column")
        valid = ~np.asarray(arr.is_null(), dtype=bool) if arr.null_count else np.ones(n, dtype=bool)
        present_field = presence.get(col, f"{col}.present")
        if not isinstance(present_field, str) or present_field not in fields_there:  # (its nulls would come back as missing values)
            raise ValueError(f"column {col!r} has no presence field {present_field!r}: its nulls cannot be told from missing values")
        present_column = table.column(present_field)
        if present_column.null_count:
            raise ValueError(f"column {col!r} has nulls in its presence {present_field!r}")
        present = present_column.to_numpy()  # (not bool: refused with every format's masks in _batch_of)
        offsets = None
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            if arr.values.null_count:  # (read as 0 or "": a set of mapper's holds no nulls)
                _refuse_null_elements(arr, pa, f"column {col!r}")
            offsets = np.asarray(arr.offsets, dtype=np.int64)
            values = _arrow_values(arr.values, pa, None, f"column {col!r}")
        else:
            values = _arrow_values(arr, pa, valid, f"column {col!r}")
        arrays[col] = ColumnArrays(values, valid, present, offsets)
    id_arr = _whole(table, "_id", pa, "its _id")
    if sink.id_kind == "uint64" and pa.types.is_decimal(id_arr.type):
        # (Spark, which has no uint64, writes them as decimal(20, 0): read if every one is a whole uint64;
        # text or floats are refused below as before, a string-keyed sink's file or ids rounded past 2**53)
        id_arr = _cast_exactly(id_arr, pa.uint64(), pa, f"its _id holds {id_arr.type}, not the uint64 ids of its sink")
    ids = _arrow_values(id_arr, pa, None, "its _id")
    record_index = _own(table.column(index_field).to_numpy()) if index_field in fields_there else np.arange(n, dtype=np.int64)
    mapped = _metadata_json(meta, MAPPED_KEY, "how its batch was mapped") if MAPPED_KEY in meta else None
    covered = _metadata_json(meta, RECORDS_KEY, "how many input records its batch covered", "its metadata") if RECORDS_KEY in meta else None
    return _batch_of(body, n, ids, record_index, arrays, mapped=mapped, covered=covered, shown=shown)


def _check_fields_once(names: list[str], sink: Any, presence: dict[str, Any], index_field: str) -> None:
    """Refuse a table with two fields of one name, or whose metadata (``mapper.fields``) names
    one field as two things (a column's presence as another column's values, or presence):
    mapper writes each once, and the field would be read for both."""
    twice = _named_twice(names)
    if twice is not None:
        raise ValueError(twice)
    claimed = {"_id": "the rows' ids", **({index_field: "the record index of its rows"} if index_field else {})}
    for column in sink.stored_columns:
        for field, what in (
            (column.name, f"the values of column {column.name!r}"),
            (presence.get(column.name, f"{column.name}.present"), f"the presence of column {column.name!r}"),
        ):
            if isinstance(field, str) and field in claimed:
                raise ValueError(f"its metadata (mapper.fields) makes the field {field!r} both {claimed[field]} and {what}")
            claimed[field] = what


def _named_twice(names: list[str]) -> str | None:
    """What a table holding two fields of one name is said to hold, or None: mapper writes each once."""
    seen: set[str] = set()
    for field in names:
        if field in seen:
            return f"it has {names.count(field)} fields named {field!r} (mapper writes each field once)"
        seen.add(field)
    return None


def _read_parquet(name: str, pq: Any, pa: Any) -> Any:
    """The table of a Parquet file, or a ValueError naming what cannot be read: the file (no
    footer: cut short, or not Parquet) or the column and row group whose data is damaged."""
    if os.path.getsize(name) == 0:
        raise ValueError("it is empty")
    # (opened by its bytes: pyarrow encodes a str name as UTF-8, and one holding a byte that is
    # not, as os.fsdecode escapes it, failed "surrogates not allowed", said as a file cut short)
    with pa.OSFile(os.fsencode(name)) as source:
        return _parquet_table(source, pq, pa)


def _parquet_table(source: Any, pq: Any, pa: Any) -> Any:
    """The table of the Parquet file open as ``source`` (see :func:`_read_parquet`)."""
    checked = _page_checksums(pa, "page_checksum_verification")
    try:
        pf = pq.ParquetFile(source, **checked)
    except (OSError, ValueError, TypeError) as exc:  # ArrowInvalid (a ValueError), OSError
        raise ValueError(f"it is not a whole Parquet file: cut short, or not Parquet (its footer, at the end, cannot be read: {first_line(exc)})") from None
    twice = _named_twice(pf.schema_arrow.names)
    if twice is not None:  # (pyarrow's read of such a file fails, "Multiple matches for FieldRef.Name(n)", said as damaged data)
        raise ValueError(twice)
    try:
        table = pq.read_table(source, **checked)  # (as before: the Arrow schema it stores is read as pyarrow reads it)
    except Exception as whole:  # pyarrow's errors: which column of which row group, read alone, fails
        names = pf.schema_arrow.names
        for group in range(pf.num_row_groups):
            for column in names:
                try:
                    pf.read_row_group(group, columns=[column])
                except Exception as exc:
                    raise ValueError(
                        f"its column {column!r} cannot be read in row group {group + 1} of {pf.num_row_groups} (damaged or cut short): {first_line(exc)}"
                    ) from None
        raise ValueError(f"its data cannot be read (damaged or cut short): {first_line(whole)}") from None
    said = pf.metadata.metadata or {}  # (the footer's key-value metadata: the Arrow schema's, read as the table's, is another)
    if RECORDS_KEY in said:  # the records the batch covered (see mapper.batch.RECORDS_KEY)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), RECORDS_KEY: said[RECORDS_KEY]})
    return table


def _page_checksums(pa: Any, option: str) -> dict[str, bool]:
    """``{option: True}`` where pyarrow (15 on) writes and checks a CRC of each Parquet page: a bit
    of a page's data changed on the way (a disk's, a copy's) read back as another value without a
    word. A file written without them (an older mapper's, another tool's) reads as before."""
    try:
        major = int(pa.__version__.split(".")[0])
    except ValueError:  # pragma: no cover - a version that is not numbers
        return {}
    return {option: True} if major >= 15 else {}


#: The first bytes of an Arrow IPC file (the stream format has none).
_ARROW_MAGIC = b"ARROW1"


def _read_ipc(name: str, pa: Any) -> Any:
    """The table of an Arrow IPC file (or stream: ``pa.ipc.new_stream``, Arrow's own .arrows),
    or a ValueError naming what cannot be read: the file's footer, or which record batch."""
    # (by its bytes: see _read_parquet; read into memory, not mapped: the arrays of a batch read from
    # a mapped file were views of it, changed by a later write over the file and, once it was cut
    # short, a crash (SIGBUS) at the next read of the batch)
    with pa.OSFile(os.fsencode(name)) as source:
        if source.size() == 0:
            raise ValueError("it is empty")
        file_format = source.read(len(_ARROW_MAGIC)) == _ARROW_MAGIC
        source.seek(0)
        kind = "Arrow IPC file" if file_format else "Arrow IPC stream"
        try:
            reader = pa.ipc.open_file(source) if file_format else pa.ipc.open_stream(source)
        except (OSError, ValueError, TypeError) as exc:
            if file_format:
                raise ValueError(f"it is an {kind} cut short or damaged (its footer, at the end, cannot be read: {first_line(exc)})") from None
            raise ValueError(
                f"it is not an Arrow IPC file, and as an Arrow IPC stream its schema cannot be read (cut short, or not Arrow: {first_line(exc)})"
            ) from None
        batches: list[Any] = []
        count: int | None = reader.num_record_batches if file_format else None
        try:
            if count is not None:
                batches.extend(reader.get_batch(i) for i in range(count))
            else:
                batches.extend(reader)
        except (OSError, ValueError, TypeError) as exc:  # the batch after those read
            of = f" of {count}" if count is not None else ""
            field = _failing_field(source, file_format, len(batches), reader.schema.names, pa)
            which = f"its field {field!r} in record batch" if field is not None else "its record batch"
            raise ValueError(f"{which} {len(batches) + 1}{of} cannot be read ({kind} damaged or cut short): {first_line(exc)}") from None
        table = pa.Table.from_batches(batches, schema=reader.schema)
        last = getattr(reader, "get_batch_with_custom_metadata", None)  # (not in an IPC stream's reader: mapper writes none)
        if last is not None and count:  # the records the batch covered, in its last record batch (see mapper.batch.RECORDS_KEY)
            try:
                said = last(count - 1).custom_metadata
            except (OSError, ValueError, TypeError):  # pragma: no cover - read a moment ago
                said = None
            if said is not None and RECORDS_KEY in said:
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), RECORDS_KEY: said[RECORDS_KEY]})
        return table


def _failing_field(source: Any, file_format: bool, k: int, names: list[str], pa: Any) -> str | None:
    """The first field whose part of record batch ``k`` (counted from 0) cannot be read alone,
    as :func:`_read_parquet` finds a column: pyarrow's message of the whole batch ("Array length
    did not match record batch length") names none. None if each reads alone, or none does
    (the batch's body itself is cut short or damaged: no one field is to blame)."""
    failing = []
    for i, name in enumerate(names):
        source.seek(0)
        options = pa.ipc.IpcReadOptions(included_fields=[i])
        try:
            if file_format:
                pa.ipc.open_file(source, options=options).get_batch(k)
            else:
                for j, _ in enumerate(pa.ipc.open_stream(source, options=options)):
                    if j == k:
                        break
        except Exception:  # noqa: BLE001 - pyarrow's, whichever
            failing.append(name)
    return failing[0] if 0 < len(failing) < len(names) else None


def _metadata_json(meta: dict[bytes, bytes], key: bytes, what: str, whose: str = "its schema metadata") -> Any:
    """A JSON item of a table's schema (or a field's) metadata, or a ValueError saying which is damaged."""
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError) as exc:  # (UnicodeDecodeError too; RecursionError: nested past Python's limit)
        raise ValueError(f"{whose}'s {key.decode()} ({what}) is not JSON, damaged or edited: {exc}") from None


def _whole(table: Any, name: str, pa: Any, what: str) -> Any:
    """A field of a table read from a file, in one chunk, once each chunk's buffers are seen to
    be sound: pyarrow reads a file's offsets as they are, so a damaged file's would join or read
    as other rows' bytes (or past the buffer, crashing pyarrow, pandas or polars later). Text is
    checked as binary here (a lone surrogate, as an older mapper wrote one as ``surrogatepass``
    does, is no UTF-8 to pyarrow): :func:`_utf8_strings` refuses it naming its row."""
    column = table.column(name)
    as_bytes = _as_binary(column.type, pa)
    for chunk in column.chunks:
        try:
            (chunk.view(as_bytes) if as_bytes != column.type else chunk).validate(full=True)
        except (ValueError, TypeError) as exc:  # ArrowInvalid
            raise ValueError(f"{what} is damaged: {first_line(exc)}") from None
    if column.num_chunks > 1:
        # chunks of text (record batches, row groups: mapper writes a part at a time) whose text
        # passes 2 GiB together are joined as large strings: a string's 32-bit offsets stop there
        large = _large_layout(column.type, pa)
        if large != column.type and sum(text_span(chunk, pa) for chunk in column.chunks) >= 2**31 - 1:
            column = column.cast(large)
    return _decoded(column.combine_chunks(), pa)


def _large_layout(t: Any, pa: Any) -> Any:
    """The type ``t`` with 64-bit offsets for its text (a list's elements' too), as Arrow's large types hold it."""
    if pa.types.is_string(t):
        return pa.large_string()
    if pa.types.is_binary(t):
        return pa.large_binary()
    if pa.types.is_list(t):
        return pa.list_(_large_layout(t.value_type, pa))
    if pa.types.is_large_list(t):
        return pa.large_list(_large_layout(t.value_type, pa))
    return t


def _decoded(arr: Any, pa: Any) -> Any:
    """A field in a layout another tool may write for plain strings, as those strings: dictionary-encoded
    (pyarrow's ``dictionary_encode``, a pandas category, a polars Categorical) or as views (Arrow's
    ``string_view``, which polars writes); a set's elements so written too. mapper writes neither,
    but its ids and text read as the strings they are."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    plain = _plain_layout(arr.type, pa)
    return arr if plain is None else arr.cast(plain)


def _plain_layout(t: Any, pa: Any) -> Any:
    """The type :func:`_arrow_values` reads for ``t`` when it holds strings in another layout (see :func:`_decoded`); None when it is one already."""
    if pa.types.is_dictionary(t):
        return _plain_layout(t.value_type, pa) or t.value_type
    view = getattr(pa.types, "is_string_view", None)  # (pyarrow 16 on)
    if view is not None and view(t):
        return pa.large_string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _plain_layout(t.value_type, pa)
        if inner is not None:
            return pa.list_(inner) if pa.types.is_list(t) else pa.large_list(inner)
    return None


def _as_binary(t: Any, pa: Any) -> Any:
    """The type ``t`` with its strings as bytes (the same buffers)."""
    if pa.types.is_string(t):
        return pa.binary()
    if pa.types.is_large_string(t):
        return pa.large_binary()
    if pa.types.is_list(t):
        return pa.list_(_as_binary(t.value_type, pa))
    if pa.types.is_large_list(t):
        return pa.large_list(_as_binary(t.value_type, pa))
    return t


def _same_layout(got: Any, want: Any, pa: Any) -> bool:
    """Types :func:`_arrow_values` reads alike: string and large_string, list and large_list of such."""
    if (pa.types.is_string(got) or pa.types.is_large_string(got)) and pa.types.is_string(want):
        return True
    if (pa.types.is_list(got) or pa.types.is_large_list(got)) and pa.types.is_list(want):
        return bool(got.value_type == want.value_type or _same_layout(got.value_type, want.value_type, pa))
    return False


def _cast_exactly(arr: Any, want: Any, pa: Any, said: str) -> Any:
    """``arr`` cast to the type mapper writes, if every value reads exactly; else a ValueError
    (``said``: what the column holds, and what mapper writes) naming the first row that does not.

    pyarrow's safe casts still change values without a word: text is parsed ("007" reads as 7,
    "1.5" as a decimal's 1.500), a float rounded to a decimal's scale, an int read as a bool. So
    the cast is undone and compared: a value that does not come back is not read. Text is read
    only from text (a number has many texts: 7.0 would read as "7")."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):  # (its values, as they are)
        arr = arr.dictionary_decode()
        if arr.type == want or _same_layout(arr.type, want, pa):
            return arr
    if pa.types.is_null(arr.type):  # (a field of nulls only, as some writers type one: read as it is, all nulls)
        return arr.cast(want)
    listed = pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)
    got_t, want_t = (arr.type.value_type, want.value_type) if listed and pa.types.is_list(want) else (arr.type, want)
    if _is_text(want_t, pa) and not _is_text(got_t, pa):
        many = (
            " (a number has many texts: 7.0 would read as '7')"
            if pa.types.is_integer(got_t) or pa.types.is_floating(got_t) or pa.types.is_decimal(got_t)
            else ""
        )
        raise ValueError(f"{said}: mapper reads text only from text{many}")
    if pa.types.is_boolean(got_t) and not pa.types.is_boolean(want_t):  # (true casts to 1 and back: no column of numbers stores true)
        raise ValueError(f"{said}: mapper reads numbers and times only from numbers and times, not from booleans (true would read as 1)")
    if pa.types.is_temporal(got_t) and not pa.types.is_timestamp(want_t):  # (a time is read into a time column, as the same instant)
        raise ValueError(
            f"{said}: mapper reads numbers only from numbers, not from times (a time's count depends on its unit, which a file may change: "
            "Parquet keeps no seconds, so a time in s would read as 1000 times its count)"
        )
    try:
        cast = arr.cast(want)
    except (ValueError, TypeError, NotImplementedError) as exc:  # ArrowInvalid, ArrowNotImplementedError, ...
        failing = _first_failing_row(arr, want)
        if failing is None:
            raise ValueError(f"{said} ({first_line(exc)})") from None
        row, why = failing
        raise ValueError(f"{said}, and row {row} (counting from 0) holds {_shown(arr, row, pa)}, which cannot be read as {want} ({why})") from None
    flat, flat_cast = (arr.flatten(), cast.flatten()) if listed else (arr, cast)
    try:
        changed = np.asarray(pc.not_equal(flat_cast.cast(flat.type), flat).fill_null(False), dtype=bool)
    except (ValueError, TypeError, NotImplementedError) as exc:  # (a cast that cannot be undone cannot be checked)
        raise ValueError(f"{said}, and its values cannot be checked to read exactly ({first_line(exc)})") from None
    at = np.flatnonzero(changed)
    if len(at):
        k = int(at[0])
        where = f"row {k} (counting from 0)"
        if listed:
            parents = np.asarray(pc.list_parent_indices(arr))
            row = int(parents[k])
            where = f"row {row} (counting from 0), its element {k - int(np.searchsorted(parents, row))},"
        raise ValueError(f"{said}, and {where} holds {_shown(flat, k, pa)}, which it would read as {_shown(flat_cast, k, pa)}")
    return cast


def _refuse_null_elements(arr: Any, pa: Any, what: str) -> None:
    """A ValueError naming the first null element of a list array's rows (a null row's elements are not read)."""
    import pyarrow.compute as pc

    elements = arr.flatten()
    nulls = np.flatnonzero(np.asarray(elements.is_null(), dtype=bool))
    if len(nulls):
        k = int(nulls[0])
        parents = np.asarray(pc.list_parent_indices(arr))
        row = int(parents[k])
        raise ValueError(
            f"{what} holds a null in row {row} (counting from 0), its element {k - int(np.searchsorted(parents, row))}: a set's elements are values"
        )


def _shown(arr: Any, k: int, pa: Any) -> str:
    """Value ``k`` of an Arrow array for a message: a time as its count of units (a datetime
    cannot hold one far out), a decimal as its digits, text as its repr."""
    if pa.types.is_timestamp(arr.type):
        return f"{arr.cast(pa.int64())[k].as_py()} ({arr.type.unit} since 1970)"
    if pa.types.is_decimal(arr.type):
        try:
            return str(arr[k].as_py())
        except ArithmeticError:  # (decimal.InvalidOperation: a scale past 38, decimal128(38, 40), which pyarrow cannot turn into a Decimal)
            width = arr.type.bit_width // 8
            at = (arr.offset + k) * width
            unscaled = int.from_bytes(arr.buffers()[1].to_pybytes()[at : at + width], "little", signed=True)
            return str(Decimal(f"{unscaled}E{-arr.type.scale}"))
    return repr(arr[k].as_py())


def _is_text(t: Any, pa: Any) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t))


def _first_failing_row(arr: Any, want: Any) -> tuple[int, str] | None:
    """The first row whose value pyarrow cannot cast to ``want``, and why (pyarrow's message
    of the whole column may be another row's); None: the cast fails whatever the values."""
    try:
        arr.slice(0, 0).cast(want)
    except Exception:  # noqa: BLE001 - the types themselves
        return None
    lo, hi = 0, len(arr)  # arr[:lo] casts, arr[:hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            arr.slice(0, mid).cast(want)
            lo = mid
        except Exception:  # noqa: BLE001 - pyarrow's, whichever
            hi = mid
    try:
        arr.slice(lo, 1).cast(want)
    except Exception as exc:  # noqa: BLE001
        return lo, first_line(exc)
    return lo, "as part of its column"  # pragma: no cover - a row that fails only beside others


def _arrow_values(arr: Any, pa: Any, valid: np.ndarray | None, what: str) -> Any:
    """A column's stored values from an Arrow array (the reverse of ``ColumnType.to_arrow``).

    Strings are read as an ``.npz``'s are: UTF-8 as mapper writes it (:func:`_utf8_strings`)."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        arr = arr.cast(pa.large_string())
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=len(arr) + 1, offset=arr.offset * 8).copy()
        data_buf = arr.buffers()[2]
        data = np.frombuffer(data_buf, dtype=np.uint8).copy() if data_buf is not None else np.empty(0, dtype=np.uint8)
        return _utf8_strings(data[offsets[0] : offsets[-1]], offsets - offsets[0], valid, what)
    if pa.types.is_decimal(t):
        words = np.frombuffer(arr.buffers()[1], dtype="<i8", count=2 * (len(arr) + arr.offset)).reshape(-1, 2)[arr.offset :]
        beyond = words[:, 1] != words[:, 0] >> 63  # (the high word is not the low one's sign: past int64)
        if valid is not None:
            beyond &= valid
        if beyond.any():
            row = int(np.flatnonzero(beyond)[0])
            raise ValueError(f"{what} holds {arr[row].as_py()} in row {row} (counting from 0): past the 64-bit integer a decimal is stored as, at its scale")
        out = words[:, 0].copy()
        if valid is not None:
            out[~valid] = 0
        return out
    if pa.types.is_timestamp(t):
        arr = arr.cast(pa.int64())
    filled = arr.fill_null(False if pa.types.is_boolean(arr.type) else 0) if arr.null_count else arr
    return _own(np.asarray(filled.to_numpy(zero_copy_only=False)))


def _own(values: np.ndarray) -> np.ndarray:
    """``values``, or a copy where they are a read-only view of pyarrow's buffers: a batch's numbers
    are its own arrays, which an edit changes (a mapped batch's, an ``.npz``'s), not numpy's
    "assignment destination is read-only"."""
    return values if values.flags.writeable else values.copy()
