"""Proof that a process is the one executing a run: it holds a lock on the run directory.

A run writes its ``pid`` into ``status.json``, but a file proves nothing: it can
be stale (the run was killed and the pid reused by another program) or forged.
Whoever wants to stop a run it did not start (the JupyterLab server after a
restart, or for ``mlcheck run`` in a terminal) asks the kernel instead: the
executing process holds an exclusive POSIX record lock on ``<run_dir>/.lock``
for as long as it runs, and ``fcntl(F_GETLK)`` names the process that holds it.
The kernel drops the lock when that process exits, so a dead run has no holder,
and no other process can be named by a file anybody wrote.

POSIX record locks belong to a process, are not inherited by children (the
kernel process does not hold it) and vanish with the process; Linux and macOS
both have them. Where ``fcntl`` is missing (Windows) nothing is locked and no
run can be proven, so nothing is signalled.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

__all__ = ["LOCK_FILE", "hold", "holder", "release"]

LOCK_FILE = ".lock"

#: run directories whose lock this process holds -> the descriptor. POSIX record locks do not
#: conflict with their own process, so F_GETLK cannot name this process; and closing any
#: descriptor of the file drops them, so :func:`holder` must not open a lock this process holds.
_HELD: dict[str, int] = {}


def _key(run_dir: str | Path) -> str:
    return os.path.realpath(Path(run_dir) / LOCK_FILE)


def hold(run_dir: str | Path) -> int | None:
    """Lock ``<run_dir>/.lock`` for this process; returns the descriptor to pass to :func:`release`.

    Returns None where record locks are not available. The descriptor is not
    inherited by child processes (Python opens files non-inheritable).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    path = Path(run_dir) / LOCK_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    _HELD[_key(run_dir)] = fd
    return fd


def release(run_dir: str | Path, fd: int | None) -> None:
    """Drop the lock taken by :func:`hold` and remove the lock file."""
    if fd is None:
        return
    _HELD.pop(_key(run_dir), None)
    try:
        (Path(run_dir) / LOCK_FILE).unlink(missing_ok=True)
    finally:
        os.close(fd)  # closing any descriptor of the file drops this process's lock


# struct flock: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid (+ padding).
# Linux puts l_pid last; the BSDs and macOS put it before l_type.
_FLOCK_LINUX = "hhqqi4x"
_FLOCK_BSD = "qqihh"


def holder(run_dir: str | Path) -> int | None:
    """The pid of the process holding ``<run_dir>/.lock``, or None when no process does.

    A lock file that is a symbolic link is not followed (a link could point at
    another run's lock), and a missing one means nobody holds it. A lock this
    process holds is answered from memory (see ``_HELD``).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    if not (Path(run_dir) / LOCK_FILE).is_symlink() and _key(run_dir) in _HELD:
        return os.getpid()
    try:
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if sys.platform.startswith("linux"):
            query = struct.pack(_FLOCK_LINUX, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
            l_type, _, _, _, pid = struct.unpack(_FLOCK_LINUX, fcntl.fcntl(fd, fcntl.F_GETLK, query))
        else:  # pragma: no cover - macOS and the BSDs
            query = struct.pack(_FLOCK_BSD, 0, 0, 0, fcntl.F_WRLCK, os.SEEK_SET)
            _, _, pid, l_type, _ = struct.unpack(_FLOCK_BSD, fcntl.fcntl(fd, fcntl.F_GETLK, query))
    except OSError:
        return None
    finally:
        os.close(fd)
    if l_type == fcntl.F_UNLCK or pid <= 0:
        return None
    return int(pid)
