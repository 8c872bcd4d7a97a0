"""Atomic file writes, the one implementation mlcheck uses wherever it writes a file.

A file is written to a temporary file in the same folder and renamed over the
target (``os.replace``, atomic on POSIX and Windows), so a reader sees the old
file or the new one, never half of one, and a write cut short (an exception, a
cancel, a full disk) leaves the target as it was and no temporary file behind.
Only a process killed outright (SIGKILL, power cut) can leave its hidden
``.<name>.*.tmp`` file in the target's folder.

A symbolic link is written through: its target is replaced and the link stays.
A device, pipe or socket (``-o /dev/null``, a FIFO) cannot be renamed over
without destroying it, so it is written into, as a shell's redirection does
(not atomic, as nothing written to a device can be).

:func:`atomic_directory` does the same for a whole folder (a Parquet data set
written by Dask workers), renamed into place when complete.

Every write that the system refuses (permission denied, read-only file system,
full disk, no such folder) raises :class:`mlcheck.errors.WriteError` naming the
path and the fix, never a bare ``OSError``: a refused path (permission, read-only,
no such folder) is its subclass :class:`~mlcheck.errors.PathNotWritable`, exit
code 2 on the command line (fix the path; a retry never helps), a full disk or
an I/O error exit code 6 (the machine's; retry once mended).

``fsync=True`` also flushes the data to disk before the rename, so the new file
survives a power cut (at the cost of a disk flush): used for predictions, which
a downstream system consumes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlcheck.errors import PathNotWritable, WriteError

__all__ = [
    "atomic_copy",
    "atomic_directory",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_writer",
    "refused_writes",
    "strict_json",
    "write_with",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: The system's reasons a write fails that say nothing about mlcheck: a path to fix or a machine to mend.
_WRITE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "ENOENT", "ENOTDIR", "EISDIR", "EIO", "EFBIG", "ENXIO")
    if hasattr(errno, name)
)


#: Of those, the ones a retry may cure once the machine is mended (the rest name a path to fix).
_MACHINE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EIO", "EFBIG") if hasattr(errno, name)
)


def cannot_write(path: Path, error: OSError) -> WriteError:
    """``error`` (from writing ``path``) as a :class:`~mlcheck.errors.WriteError` that names the path and the fix."""
    folder = path.parent
    if error.errno in (errno.ENOENT, errno.ENOTDIR) and not folder.is_dir():
        fix = f"the folder {folder} does not exist: create it or choose another path"
    elif error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        fix = "the disk is full: free some space and retry"
    else:
        fix = f"choose a path in a folder you can write to (the folder is {folder})"
    # A refused path is the user's to fix (exit 2); a full disk or I/O error is the machine's (exit 6, retry).
    kind = WriteError if error.errno in _MACHINE_ERRNOS else PathNotWritable
    raised = kind(f"cannot write {path}: {error.strerror or error}; {fix}")
    raised.errno, raised.strerror, raised.filename = error.errno, error.strerror, str(path)
    return raised


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    """Turn the system's write failures (permission, read-only, full disk, no folder) into a WriteError."""
    try:
        yield
    except WriteError:
        raise
    except OSError as error:
        if error.errno not in _WRITE_ERRNOS:
            raise
        raise cannot_write(path, error) from error


def refused_writes(path: str | Path) -> Any:
    """A context in which the system's write failures become a :class:`~mlcheck.errors.WriteError` naming ``path``.

    For writers that cannot go through :func:`atomic_writer` (a bundle staged
    file by file and moved into place whole): a full disk is exit 6, a refused
    path (:class:`~mlcheck.errors.PathNotWritable`) exit 2, never a bare ``OSError``.
    """
    return _translated(Path(path))


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A fresh temporary file beside ``path`` (the usual file mode), removed at the end if still there."""
    with _translated(path):
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        os.close(handle)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def _resolved(path: Path) -> Path:
    """Where a write to ``path`` lands: through symbolic links to their target, so a link stays a link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _is_special(path: Path) -> bool:
    """Whether ``path`` is a device, a pipe or a socket (``/dev/null``, ``/dev/stdout``, a FIFO)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@contextmanager
def atomic_writer(path: str | Path, *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error it replaces ``path``.

    For writers that want a path of their own (``frame.to_parquet(tmp)``). On
    any exception, KeyboardInterrupt included, the temporary file is removed
    and ``path`` is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_writer(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['out.txt'])
    """
    path = _resolved(Path(path))
    if _is_special(path):
        # -o /dev/null, /dev/stdout or a FIFO: written into, as a shell's redirection does. A rename
        # would replace the device with a regular file (as root, /dev/null for every process).
        with _temporary(Path(tempfile.gettempdir()) / path.name) as temporary:
            yield temporary
            with _translated(path), open(temporary, "rb") as source, open(path, "wb") as sink:
                shutil.copyfileobj(source, sink)  # /dev/full: ENOSPC, a WriteError
        return
    with _temporary(path) as temporary:
        yield temporary
        with _translated(path):
            if fsync:
                with open(temporary, "rb+") as stream:
                    os.fsync(stream.fileno())
            os.replace(temporary, path)


def atomic_write_bytes(path: str | Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    with atomic_writer(path, fsync=fsync) as temporary, _translated(Path(path)), open(temporary, "wb") as stream:
        stream.write(data)  # a full disk shows here


def atomic_write_text(path: str | Path, text: str, *, fsync: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def strict_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as strict JSON: numpy values made plain, non-finite numbers as ``"nan"``, ``"inf"``, ``"-inf"``.

    The encoding of :func:`mlcheck.results.to_jsonable`; strict readers
    (JavaScript's ``JSON.parse``, ``jq``) refuse the bare ``NaN`` Python writes by default.

    Examples
    --------
    >>> strict_json({"threshold": float("nan")}, indent=None)
    '{"threshold": "nan"}'
    """
    from mlcheck.results import to_jsonable

    return json.dumps(to_jsonable(data), indent=indent, allow_nan=False)


def atomic_write_json(path: str | Path, data: Any, *, fsync: bool = False) -> None:
    """Write ``data`` as strict JSON (:func:`strict_json`) to ``path`` atomically."""
    atomic_write_text(path, strict_json(data) + "\n", fsync=fsync)


def atomic_copy(source: str | Path, target: str | Path, *, overwrite: bool = True) -> None:
    """Copy ``source`` to ``target`` through a temporary file in the target's folder.

    With ``overwrite=False`` an existing ``target`` is never replaced, even one
    that appears while copying: the last step is a hard link, which fails then
    (FileExistsError); where hard links are not supported, an exclusive create.
    """
    target = Path(target)
    if overwrite:
        with atomic_writer(target) as temporary, _translated(target):
            shutil.copyfile(source, temporary)  # a full disk shows here
        return
    with _temporary(target) as temporary:
        with _translated(target):
            shutil.copyfile(source, temporary)
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive create, then copy
            with open(temporary, "rb") as copied, open(target, "xb") as created:
                shutil.copyfileobj(copied, created)


def write_with(path: str | Path, write: Callable[[Path], None], *, fsync: bool = False) -> None:
    """Call ``write(temporary_path)`` and move the result onto ``path`` atomically."""
    with atomic_writer(path, fsync=fsync) as temporary, _translated(Path(path)):
        write(temporary)  # a full disk shows here


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary folder beside ``path``; when the block ends without error it becomes ``path``.

    For writers of a whole data set (a partitioned Parquet folder written by
    Dask workers): a reader sees the old data set or the new one, never part
    of one. A folder cannot be renamed over a non-empty one, so an existing
    ``path`` (folder or file) is first renamed aside, the new folder renamed
    in, and the old one removed; between the two renames ``path`` is briefly
    absent (a reader finds nothing rather than half). On any exception the
    temporary folder is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.parquet"
    >>> with atomic_directory(target) as folder:
    ...     _ = (folder / "part.0.parquet").write_text("rows")
    >>> sorted(p.name for p in target.iterdir()), sorted(p.name for p in target.parent.iterdir())
    (['part.0.parquet'], ['out.parquet'])
    """
    path = _resolved(Path(path))
    if _is_special(path):
        raise cannot_write(path, OSError(errno.ENOTDIR, "a device or pipe, not a folder"))
    with _translated(path):
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(temporary, 0o777 & ~_umask())  # mkdtemp makes 0700
        yield temporary
        aside = None
        if path.exists() or path.is_symlink():
            aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, aside / path.name)
        os.replace(temporary, path)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
