"""Temporaries named by their owner: what a killed run leaves, the next run removes, and only that.

A run's temporaries (an output's temporary file beside it, :func:`mapper.writers.atomic_output`;
the pair markers of ``map -o ROWS --rejects FILE``, :func:`mapper.writers.keep_together`;
``spark-validate``'s staging and driver directories, :mod:`mapper.spark`) carry the process
that made them, its owner (:func:`owner`). A SIGKILL, a crash or a power cut leaves them behind;
a later run removes those whose owner is gone (:func:`owner_gone`), and only those. An owner is
named one of two ways:

* ``<boot id>.<pid namespace>.<pid>.<start time>``, read from ``/proc`` (Linux). Gone: same
  boot and pid namespace as the judging process (so the pid means the same process), and no
  such process any more, or another one under that pid (its start time differs).
* ``flock.<32 hex>`` where ``/proc`` does not say (macOS, the BSDs, a container with ``/proc``
  hidden, or a ``/proc`` of another pid namespace than the process's, whose ``self`` is not its
  pid: ``unshare --pid --fork`` without ``--mount-proc``): a random token, and a lock file the process made for it,
  ``$TMPDIR/mapper-owners-<uid>/<token hex>.lock`` (``/tmp`` without ``TMPDIR``; the directory
  this user's alone, mode 0700), which it holds (an exclusive ``flock``) as long as it runs: the
  kernel lets go of the lock when the process ends, however it ends. Gone: that lock file is in
  this user's lock directory, was made on this machine (its host name, written in it, is this
  one's), and its lock can be taken (non-blocking; let go at once). A process forked from the
  owner (``--workers``) is not the owner: it closes its copy of the descriptor (which lets no
  lock go: the owner's own stays open) and, should it make temporaries, names them by a token
  of its own. A process that ends normally removes its lock file (its temporaries are gone by
  then); a killed one's stays, so that each of its temporaries is judged, wherever it is, and
  is removed once its lock is free and 7 days have passed since its owner last named a
  temporary by it (:data:`LOCK_KEPT`).

The same lock directory holds the locks of output directories (:func:`directory_lock`):
``dir.<device>.<inode>.lock``, locked while a run renames outputs into that directory
(:func:`mapper.writers.renames_locked`: two runs' renames of the same outputs never between
each other's), removed as the run lets go.

Anything else may belong to a live run and is kept: another machine or container sharing the
volume (another boot or pid namespace, where the pid names another process or none; a token
whose lock file is not in this machine's lock directory, or says another host, so that a
``flock`` that a network file system keeps to one machine is never taken for the owner's end),
an earlier boot, another user's token, a lock that cannot be tried (a file system without
locks), a name without an owner (a system with neither ``/proc`` nor ``fcntl``: Windows; or a
temporary of an older version, named by its pid alone), or a token that does not parse.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import stat
import tempfile
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no owner, temporaries never judged stale
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCKED", "LOCK_KEPT", "OWNER", "directory_lock", "lock_directory", "owner", "owner_gone", "start_time", "touch"]

#: Where a process's ``/proc`` is read (tests point it elsewhere to be a system without one).
_PROC = "/proc"

#: The start of an owner named by its lock (where ``/proc`` does not say).
LOCKED = "flock."

#: An owner, either way: ``<boot id, 32 hex>.<pid namespace inode>.<pid>.<start time in clock
#: ticks since boot>`` (groups 1 to 4), or ``flock.<32 hex>`` (group 5). Only as :func:`owner`
#: writes them: each number in ASCII digits, no zero before it (``\d`` took any script's digits,
#: which ``int`` reads, and a start time ``026`` is no process's ``26``: a file named so, a
#: user's, was judged its running owner's left-over, and removed).
OWNER = re.compile(r"(?:([0-9a-f]{32})\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)|flock\.([0-9a-f]{32}))")

#: Seconds a killed owner's lock file is kept (its lock free) before a new owner removes it.
LOCK_KEPT = 7 * 24 * 3600


def start_time(pid: int) -> str:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat``, field 22)."""
    with open(f"{_PROC}/{pid}/stat", "rb") as f:
        stat = f.read()
    return stat[stat.rindex(b")") + 2 :].split()[19].decode("ascii")  # (after the command name, which may hold spaces)


def owner(pid: int | None = None) -> str | None:
    """Process ``pid`` (this one by default) as a temporary's owner: from ``/proc``, or, where
    it does not say, this process's lock token (:func:`_locked_owner`; none for another pid).
    None where neither can be had (the temporary is then never judged stale)."""
    mine = pid is None or pid == os.getpid()
    pid = os.getpid() if pid is None else pid
    try:
        if os.readlink(f"{_PROC}/self") != str(os.getpid()):
            # a /proc of another pid namespace (one entered without a /proc of its own: unshare
            # --pid --fork): its pids are not this process's, /proc/PID another process, or none
            raise ValueError(_PROC)
        with open(f"{_PROC}/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip().replace("-", "")
        found = re.fullmatch(r"pid:\[(\d+)\]", os.readlink(f"{_PROC}/self/ns/pid"))
        start = start_time(pid)
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return _locked_owner() if mine else None
    token = f"{boot}.{found.group(1) if found else ''}.{pid}.{start}"
    if OWNER.fullmatch(token):
        return token
    return _locked_owner() if mine else None  # (no pid namespace said)


def owner_gone(owner: str | None, me: str | None) -> bool | None:
    """True when ``owner``'s process has ended, False when it runs, None when this process
    (``me``, :func:`owner`) cannot tell (no owner, another machine or boot, another pid namespace;
    a lock token: see :func:`_lock_gone`, ``me`` not needed)."""
    theirs = OWNER.fullmatch(owner or "")
    if theirs is not None and theirs.group(5) is not None:
        return _lock_gone(theirs.group(5))
    mine = OWNER.fullmatch(me or "")
    if mine is None or theirs is None or mine.group(1) is None or theirs.group(1, 2) != mine.group(1, 2):
        return None
    pid = int(theirs.group(3))
    if pid <= 0:  # (kill(0) would be this process group)
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process: it exists
    except (OSError, OverflowError):
        return None
    try:
        return start_time(pid) != theirs.group(4)  # the pid taken again by another process
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return False  # there, but not readable (/proc mounted hidepid): taken as the owner, running


# ---------------------------------------------------------------------------------------
# The owner where /proc does not say: a lock held as long as the process runs

#: This process's lock: (its pid, its token, the descriptor holding the lock, the lock file), made on first use.
_mine: tuple[int, str, int, str] | None = None
_making = threading.Lock()


def lock_directory(make: bool = False) -> str | None:
    """This user's lock directory (``$TMPDIR/mapper-owners-<uid>``), made (``make``) if missing;
    None where it is not to be trusted: not a directory (a link), another user's, or open to
    others (any user may make a directory under ``/tmp``, and name it so first)."""
    if fcntl is None or not hasattr(os, "getuid"):  # pragma: no cover - Windows
        return None
    path = os.path.join(tempfile.gettempdir(), f"mapper-owners-{os.getuid()}")
    try:
        if make:
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return path


def _host() -> str:
    return os.uname().nodename


def _locked_owner() -> str | None:
    """This process's lock token (``flock.<32 hex>``), made on first use (:func:`_new_lock`) and
    kept for the process's life; a forked child makes its own. None: no lock can be held here."""
    global _mine
    with _making:
        if _mine is not None and _mine[0] == os.getpid():
            touch(_mine[2])
            return _mine[1]
        made = _new_lock()
        if made is None:
            return None
        _mine = (os.getpid(), *made)
        return made[0]


def touch(fd: int) -> None:
    """The lock file's time made now, at most once an hour, as its owner names a temporary by
    it: it is kept :data:`LOCK_KEPT` seconds from its owner's last temporary, not from its
    start (a run of more than 7 days, killed, had its lock file removed by the next run,
    before its temporaries were judged: kept for ever)."""
    try:
        if os.fstat(fd).st_mtime < time.time() - 3600:
            os.utime(fd)
    except (OSError, NotImplementedError, ValueError):  # (no futimes: the time stays that of its start)
        pass


def _new_lock() -> tuple[str, int, str] | None:
    """A new token, the descriptor holding its lock file's lock (open until closed: the
    process's end), and that file. The file is made and locked under a name of its own, then renamed to the
    token's: no other process can try its lock before it is held. The killed owners' lock
    files of :data:`LOCK_KEPT` seconds ago or more go first (:func:`_prune`)."""
    directory = lock_directory(make=True)
    if directory is None:
        return None
    _prune(directory)
    token = secrets.token_hex(16)
    path, new = os.path.join(directory, f"{token}.lock"), os.path.join(directory, f".{token}.new")
    try:
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{_host()}\n{os.getpid()}\n".encode("utf-8", "surrogateescape"))
        os.rename(new, path)
    except OSError:  # (a file system without locks: ENOLCK, EOPNOTSUPP)
        os.close(fd)
        try:
            os.unlink(new)
        except OSError:
            pass
        return None
    return LOCKED + token, fd, path


def _lock_gone(token: str) -> bool | None:
    """Whether the owner of lock token ``token`` (hex) has ended: True when its lock file, this
    machine's, can be locked; False when its lock is held; None when this process cannot tell
    (no such lock file here: another machine's, user's or temporary directory's, or removed;
    another host's; a lock that cannot be tried)."""
    mine = _mine
    if mine is not None and mine[0] == os.getpid() and mine[1] == LOCKED + token:
        # this process's own: running. Never its lock tried, nor its file opened and closed: where
        # flock is fcntl's record lock (Linux on NFS, systems without flock) a process's own lock
        # never stops it, and closing any descriptor of the file lets that lock go
        return False
    directory = lock_directory()
    if directory is None:
        return None
    try:
        fd = os.open(os.path.join(directory, f"{token}.lock"), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return None
        if os.read(fd, 4096).split(b"\n", 1)[0] != _host().encode("utf-8", "surrogateescape"):
            return None  # (a temporary directory shared with another machine, whose lock this one may not see)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # (the lock taken, if it was, let go)


def _prune(directory: str) -> None:
    """Remove the lock files of killed owners (their lock free) not written for :data:`LOCK_KEPT`
    seconds: a temporary of theirs found after that is kept (its owner can no longer be told)."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    old = time.time() - LOCK_KEPT
    for entry in entries:
        m = re.fullmatch(r"\.?[0-9a-f]{32}\.(?:lock|new)|dir\.[0-9]+\.[0-9]+\.lock", entry)  # (tokens', and directory_lock's)
        if m is None:
            continue
        path = os.path.join(directory, entry)
        try:
            if os.lstat(path).st_mtime > old:
                continue
            fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)  # (while held: a judge that opened it meanwhile finds it running, and keeps)
        except OSError:
            pass
        finally:
            os.close(fd)


#: The process that pruned the lock directory for :func:`directory_lock` (once a process).
_pruned: int | None = None


def directory_lock(directory: os.stat_result) -> str | None:
    """The lock file of an output directory (its device and inode), ``dir.<dev>.<ino>.lock`` in
    this user's lock directory (made if missing): what :func:`mapper.writers.renames_locked`
    locks for the renames into it, in a directory no other user can open (a lock on the output
    directory itself, which any user who can read it can take, let any user hold every run's
    renames there). None: no lock directory to be trusted here. A run removes the lock file it
    holds as it lets go; one a killed run left is removed :data:`LOCK_KEPT` seconds after its
    last use (:func:`touch`) by the next process's :func:`_prune`, while locked, as is every
    removal: a process that locks one checks that its name still names it."""
    global _pruned
    locks = lock_directory(make=True)
    if locks is None:
        return None
    if _pruned != os.getpid():
        _pruned = os.getpid()
        _prune(locks)
    return os.path.join(locks, f"dir.{directory.st_dev}.{directory.st_ino}.lock")


def _release() -> None:
    """As this process ends normally: its lock file removed, then its lock let go. Never a
    forked child's doing for its parent's lock (it holds none of its own: :func:`_after_fork`)."""
    global _mine
    with _making:
        mine, _mine = _mine, None
    if mine is None or mine[0] != os.getpid():
        return
    try:
        os.unlink(mine[3])  # (where it was made: $TMPDIR may have changed since)
    except OSError:
        pass
    try:
        os.close(mine[2])
    except OSError:
        pass


def _after_fork() -> None:
    """A forked child: not its parent's owner. Its copy of the descriptor closed (closing lets
    go of no lock while the parent's stays open: a flock belongs to the open file, and no
    ``LOCK_UN`` is ever sent), so that the parent, killed, is seen gone though the child runs."""
    global _mine, _making
    _making = threading.Lock()  # (another thread may have held it at the fork)
    mine, _mine = _mine, None
    if mine is not None:
        try:
            os.close(mine[2])
        except OSError:
            pass


atexit.register(_release)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
