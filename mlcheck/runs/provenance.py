"""Where a run came from: input file hashes, the notebook's hash, git state."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(path: Path) -> str:
    """One hash of a directory: its files' relative paths and contents, in sorted order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(sha256_file(file).encode())
    return digest.hexdigest()


def input_hashes(parameters: Mapping[str, Any], base: Path) -> dict[str, dict[str, str]]:
    """sha256 of every parameter value that names an existing file or folder.

    Relative paths are taken from ``base``, the notebook's folder, where the job runs.
    """
    hashes: dict[str, dict[str, str]] = {}
    for name, value in parameters.items():
        if not isinstance(value, str) or not value or len(value) > 4096 or "\n" in value:
            continue
        candidate = Path(value).expanduser()
        if not candidate.is_absolute():
            candidate = base / candidate
        try:
            if candidate.is_file():
                hashes[name] = {"path": value, "sha256": sha256_file(candidate)}
            elif candidate.is_dir() and any(candidate.iterdir()):
                hashes[name] = {"path": value, "sha256": sha256_tree(candidate), "kind": "directory"}
        except OSError:
            continue  # unreadable: nothing to vouch for
    return hashes


def git_state(folder: Path) -> dict[str, Any]:
    """Commit and dirty flag of the git work tree that holds ``folder`` (empty outside git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}
