"""The bundle on disk: its manifest, and replacing a bundle directory atomically.

A bundle is written whole into a hidden temporary directory beside its final
path, every file and the directory fsynced, and then moved into place in one
step: a first export is one ``rename``; an overwrite swaps the two directories
with ``renameat2(RENAME_EXCHANGE)`` on Linux, so the path always names either
the complete old bundle or the complete new one. Where the exchange is not
available, the old bundle is renamed aside first and a later export or load
puts it back if the process died between the two renames.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlcheck.errors import BundleIntegrityError, UsageError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "MANIFEST_CHECKSUM",
    "manifest_checksum",
    "move_into_place",
    "new_staging_dir",
    "read_verified",
    "recover",
    "sha256_bytes",
    "write_file",
]

MANIFEST = "MANIFEST.json"
#: sha256 of MANIFEST.json, in ``sha256sum`` format: the manifest's own checksum
MANIFEST_CHECKSUM = "MANIFEST.sha256"
FORMAT = "mlcheck-bundle"
#: 2: MANIFEST.sha256 is written and required; 1 (read still): no manifest checksum
FORMAT_VERSION = 2
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STAGING = ".{name}.mlcheck-tmp-{pid}-{token}"
_ASIDE = ".{name}.mlcheck-old-{pid}-{token}"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.mlcheck-(?P<what>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_checksum(manifest_bytes: bytes) -> bytes:
    """The content of ``MANIFEST.sha256`` for these manifest bytes (``sha256sum -c`` reads it)."""
    return f"{sha256_bytes(manifest_bytes)}  {MANIFEST}\n".encode()


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":  # directories cannot be opened for fsync there
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_file(folder: Path, name: str, data: bytes) -> dict[str, Any]:
    """Write ``data`` to ``folder/name`` durably; its manifest entry."""
    with open(folder / name, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return {"sha256": sha256_bytes(data), "size": len(data)}


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(path: Path) -> None:
    """Clean up after an export that died: restore a bundle left aside, remove dead staging dirs."""
    parent = path.parent
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if not match or match["name"] != path.name or _alive(int(match["pid"])):
            continue
        if match["what"] == "old" and not path.exists():
            os.replace(entry, path)  # the exporter died between its two renames: put the old bundle back
        else:
            shutil.rmtree(entry, ignore_errors=True)


def new_staging_dir(path: Path) -> Path:
    """A fresh hidden directory beside ``path`` to build the bundle in."""
    from mlcheck._atomic import cannot_write

    staging = path.parent / _STAGING.format(name=path.name, pid=os.getpid(), token=secrets.token_hex(4))
    try:
        staging.mkdir(parents=False)
    except OSError as error:  # a read-only or missing folder: the path and the fix, not a traceback
        raise cannot_write(path, error) from error
    return staging


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def move_into_place(staging: Path, path: Path) -> None:
    """Make ``path`` the bundle built in ``staging``, replacing any bundle there in one step."""
    _fsync_dir(staging)
    if not path.exists():
        os.rename(staging, path)
    elif _exchange(staging, path):
        shutil.rmtree(staging)  # now holds the old bundle
    else:
        aside = path.parent / _ASIDE.format(name=path.name, pid=os.getpid(), token=secrets.token_hex(4))
        os.rename(path, aside)
        os.rename(staging, path)
        shutil.rmtree(aside)
    _fsync_dir(path.parent)


def _integrity(path: Path, what: str) -> BundleIntegrityError:
    return BundleIntegrityError(f"{what} (bundle at {path}); export the bundle again")


def _check_manifest(manifest: Any, path: Path) -> None:
    """Every field load relies on, of the right type; else an error naming MANIFEST.json."""
    if not isinstance(manifest, Mapping) or manifest.get("format") != FORMAT:
        raise BundleIntegrityError(f"{MANIFEST} in {path} is not an mlcheck bundle manifest")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _integrity(path, f"{MANIFEST}: version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise UsageError(
            f"bundle format {version} at {path} is newer than this mlcheck reads ({FORMAT_VERSION}); "
            "upgrade mlcheck"
        )
    for field, kinds in (("name", (str, type(None))), ("created", (str, type(None)))):
        if not isinstance(manifest.get(field), kinds):
            raise _integrity(path, f"{MANIFEST}: {field} must be text, got {manifest.get(field)!r}")
    files = manifest.get("files")
    if not isinstance(files, Mapping) or not files:
        raise _integrity(path, f"{MANIFEST}: files must be a non-empty mapping of file name to checksum")
    for name, entry in files.items():
        if (
            not isinstance(name, str)
            or Path(name).name != name
            or name in ("", ".", "..", MANIFEST, MANIFEST_CHECKSUM)
        ):
            raise _integrity(path, f"{MANIFEST} lists an unsafe file name {name!r}")
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("sha256"), str)
            or not _SHA256.match(entry["sha256"])
        ):
            raise _integrity(path, f"{MANIFEST}: the entry of {name} needs a sha256 of 64 hex digits")
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _integrity(path, f"{MANIFEST}: the entry of {name} needs a size in bytes, got {size!r}")
    model = manifest.get("model")
    if not isinstance(model, Mapping):
        raise _integrity(path, f"{MANIFEST}: model must be a mapping")
    untrusted = model.get("untrusted_types")
    if not isinstance(untrusted, list) or not all(isinstance(t, str) for t in untrusted):
        raise _integrity(path, f"{MANIFEST}: model.untrusted_types must be a list of type names")
    for field in ("file", "class", "sklearn_version", "skops_version", "input"):
        if not isinstance(model.get(field), (str, type(None))):
            raise _integrity(path, f"{MANIFEST}: model.{field} must be text, got {model.get(field)!r}")


def read_verified(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every file's bytes, each checked against the manifest.

    The manifest is checked first against ``MANIFEST.sha256`` (required from
    format 2 on) and for the type of every field; then each file's size and
    sha256. Raises :class:`~mlcheck.errors.BundleIntegrityError` naming the
    first file that is missing, differs, is malformed or is not listed.
    """
    if not path.exists():
        recover(path)
    if not path.is_dir():
        raise UsageError(f"no bundle at {path}: expected a directory written by mlcheck.export")
    manifest_path = path / MANIFEST
    try:
        manifest_bytes = manifest_path.read_bytes()
    except FileNotFoundError:
        raise BundleIntegrityError(
            f"{path} has no {MANIFEST}: it is not a complete mlcheck bundle; export it again"
        ) from None
    except OSError as error:
        raise _integrity(path, f"{MANIFEST} cannot be read ({error})") from None
    checksum_path = path / MANIFEST_CHECKSUM
    has_checksum = checksum_path.is_file()
    if has_checksum and checksum_path.read_bytes() != manifest_checksum(manifest_bytes):
        raise _integrity(
            path,
            f"{MANIFEST} differs from its checksum in {MANIFEST_CHECKSUM}: the manifest was changed or "
            "damaged after export",
        )
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as error:
        raise _integrity(path, f"{MANIFEST} is not valid JSON ({error})") from None
    _check_manifest(manifest, path)
    if not has_checksum and manifest["version"] >= 2:
        raise _integrity(path, f"{MANIFEST_CHECKSUM} is missing (the manifest's own checksum)")
    files: Mapping[str, Mapping[str, Any]] = manifest["files"]
    contents: dict[str, bytes] = {}
    for name, entry in files.items():
        try:
            data = (path / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BundleIntegrityError(
                f"{name} is missing from the bundle at {path} (the manifest lists it); export the bundle again"
            ) from None
        if len(data) != entry["size"]:
            raise BundleIntegrityError(
                f"{name} in the bundle at {path} has {len(data)} bytes, its manifest says {entry['size']}; "
                "the file was changed or damaged after export"
            )
        seen = sha256_bytes(data)
        if seen != entry["sha256"]:
            raise BundleIntegrityError(
                f"{name} in the bundle at {path} differs from its manifest: sha256 {seen[:16]}…, "
                f"expected {str(entry.get('sha256'))[:16]}…; the file was changed or damaged after export"
            )
        contents[name] = data
    unlisted = sorted(
        entry.name
        for entry in path.iterdir()
        if entry.name not in (MANIFEST, MANIFEST_CHECKSUM) and entry.name not in files
    )
    if unlisted:
        raise BundleIntegrityError(
            f"the bundle at {path} holds file(s) its manifest does not list: {unlisted}; "
            "a bundle must not be edited after export"
        )
    return dict(manifest), contents
