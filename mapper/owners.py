"""Temporaries named by their owner: what a killed run leaves, the next run removes, and only that.

A run's temporaries (an output's temporary file beside it, :func:`mapper.writers.atomic_output`;
``spark-validate``'s staging and driver directories, :mod:`mapper.spark`) carry the process
that made them: ``<boot id>.<pid namespace>.<pid>.<start time>`` (Linux, :func:`owner`).
A SIGKILL, a crash or a power cut leaves them behind; a later run removes those whose
owner is gone (:func:`owner_gone`), and only those: same boot and pid namespace (so the pid
means the same process), and no such process any more, or another one under that pid (its
start time differs). Anything else may belong to a live run and is kept: another machine
or container sharing the volume (another boot or pid namespace, where the pid names another
process or none), an earlier boot, a name without an owner (a system without ``/proc``,
or a temporary of an older version, named by its pid alone).
"""

from __future__ import annotations

import os
import re

__all__ = ["OWNER", "owner", "owner_gone", "start_time"]

#: ``<boot id, 32 hex>.<pid namespace inode>.<pid>.<start time in clock ticks since boot>``
OWNER = re.compile(r"([0-9a-f]{32})\.(\d+)\.(\d+)\.(\d+)")


def start_time(pid: int) -> str:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat``, field 22)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    return stat[stat.rindex(b")") + 2 :].split()[19].decode("ascii")  # (after the command name, which may hold spaces)


def owner(pid: int | None = None) -> str | None:
    """Process ``pid`` (this one by default) as a temporary's owner, or None where the system
    does not say (no ``/proc``: the temporary is then never judged stale)."""
    pid = os.getpid() if pid is None else pid
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip().replace("-", "")
        found = re.fullmatch(r"pid:\[(\d+)\]", os.readlink("/proc/self/ns/pid"))
        start = start_time(pid)
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None
    token = f"{boot}.{found.group(1) if found else ''}.{pid}.{start}"
    return token if OWNER.fullmatch(token) else None


def owner_gone(owner: str | None, me: str | None) -> bool | None:
    """True when ``owner``'s process has ended, False when it runs, None when this process
    (``me``, :func:`owner`) cannot tell (no owner, another machine or boot, another pid namespace)."""
    mine = OWNER.fullmatch(me or "")
    theirs = OWNER.fullmatch(owner or "")
    if mine is None or theirs is None or theirs.group(1, 2) != mine.group(1, 2):
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
