"""The runs of one pytest session: a store its processes share, and the bundle a run exported.

The store is a folder ``<runs_dir>/.pytest/<session-token>/``. A process that
needs a run claims its key by creating ``<key>.claim`` exclusively, runs it,
and publishes ``<key>.json`` atomically; the others read that. See
:mod:`mlcheck.pytest.plugin` for why (pytest-xdist).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlcheck.pytest.config import Job

__all__ = ["STORE_FOLDER", "RunStore", "find_bundle", "store_entry"]

STORE_FOLDER = ".pytest"


class RunStore:
    """Results of one pytest session's runs, shared by the controller and its xdist workers.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> store = RunStore(Path(tempfile.mkdtemp()) / "session")
    >>> store.obtain("k", lambda: {"run_dir": "runs/a"}, steal=lambda: False)
    {'run_dir': 'runs/a'}
    >>> store.obtain("k", lambda: {"run_dir": "runs/b"}, steal=lambda: False)  # computed once
    {'run_dir': 'runs/a'}
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder  # made by the first claim: a session without notebooks leaves no trace
        self.me = f"{socket.gethostname()} {os.getpid()}"

    def read(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def claim(self, key: str) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(self.folder / f"{key}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(handle, "w") as stream:
            stream.write(self.me)
        return True

    def release_if_orphaned(self, key: str) -> None:
        """Drop a claim whose process on this host is gone, so another can take it over."""
        claim = self.folder / f"{key}.claim"
        try:
            host, pid = claim.read_text().split()
        except (OSError, ValueError):
            return
        if host != socket.gethostname() or (self.folder / f"{key}.json").exists():
            return
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            claim.unlink(missing_ok=True)
        except PermissionError:
            pass

    def publish(self, key: str, data: dict[str, Any]) -> None:
        from mlcheck._atomic import atomic_write_json

        atomic_write_json(self.folder / f"{key}.json", data)

    def entries(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return found

    def obtain(
        self, key: str, compute: Callable[[], dict[str, Any]], steal: Callable[[], bool]
    ) -> dict[str, Any]:
        """The published result for ``key``: computed here if nobody claimed it, else waited for."""
        while True:
            found = self.read(key)
            if found is not None:
                return found
            if self.claim(key):
                return self._compute(key, compute)
            self.release_if_orphaned(key)
            if not steal():
                time.sleep(0.1)

    def _compute(self, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            data = compute()
        except BaseException as error:
            if not isinstance(error, Exception):  # interrupted: let another process take it over
                (self.folder / f"{key}.claim").unlink(missing_ok=True)
                raise
            data = {"error": f"{type(error).__name__}: {error}"}
        self.publish(key, data)
        return data


def store_entry(job: Job, run: Any, *, read: bool = False) -> dict[str, Any]:
    return {
        "kind": "run",
        "notebook": str(job.notebook),
        "label": job.label,
        "run_dir": str(run.run_dir),
        "status": run.status,
        "exit_code": run.exit_code,
        "duration": run.duration,
        "started": run.started,
        "read": read,
    }


def find_bundle(run: Any, configured: Path | None) -> tuple[Path | None, str]:
    """The bundle ``run`` exported: ``configured``, else a parameter or recorded value naming it.

    A bundle counts only if its provenance names this run, so a bundle left by
    an earlier run is never taken for this one's. Returns ``(path, "")``, or
    ``(None, why)`` when there is none.

    Examples
    --------
    >>> import json, tempfile, types
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp()).resolve()
    >>> (folder / "credit").mkdir()
    >>> _ = (folder / "credit" / "provenance.json").write_text(json.dumps({"run": {"run_id": "r1"}}))
    >>> run = types.SimpleNamespace(run_id="r1", run_dir=folder / "runs", notebook=folder / "train.ipynb",
    ...                             parameters={"bundle_dir": "credit"}, values={})
    >>> find_bundle(run, None)[0] == folder / "credit"
    True
    >>> find_bundle(types.SimpleNamespace(**{**vars(run), "run_id": "r2"}), None)[0] is None
    True
    """
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured)
    else:
        for value in [*run.parameters.values(), *run.values.values()]:
            if isinstance(value, str) and value and len(value) < 4096:
                candidates.append((run.notebook.parent / value).resolve())
    for path in candidates:
        try:
            provenance = json.loads((path / "provenance.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if ((provenance.get("run") or {}).get("run_id")) == run.run_id:
            return path, ""
        if configured is not None:
            return None, (
                f"the bundle at {path} was not exported by this run ({run.run_id}): its provenance names "
                f"run {(provenance.get('run') or {}).get('run_id')!r}; does the notebook export to bundle = {str(path)!r}?"
            )
    if configured is not None:
        return (
            None,
            f"no bundle at {configured} (bundle = in [tool.mlcheck.notebook]) after the run {run.run_dir}",
        )
    return None, (
        f"the run {run.run_dir} exported no bundle that could be found: no parameter or recorded value of "
        f'{run.notebook.name} names a bundle whose provenance is this run; set bundle = "PATH" in '
        f'[tool.mlcheck.notebook."{run.notebook.name}"]'
    )
