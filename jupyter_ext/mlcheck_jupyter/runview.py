"""Reading run directories for the server: summaries, the latest run, history, runs started elsewhere.

The layout, the records and the status words are :mod:`mlcheck.runs.rundir`'s;
this module adds only what a server needs on top: confinement and JSON replies.
Everything here reads, nothing writes. Run directories are looked for only
under the runs directory (itself inside the server root) and only as real
folders: a symbolic link in ``runs/`` (a notebook folder, a run folder or its
``run.json``) is skipped, so no reply is ever built from a file outside the
root. A run started elsewhere (``mlcheck run`` in a terminal, or by this server
before a restart) counts as running only while a process holds its
``.lock`` (:mod:`mlcheck.runs.runlock`), never on the word of ``status.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterator

__all__ = ["RunFolder", "jsonable", "read_json", "value_text"]

from mlcheck.runs.rundir import OUTPUT_FILE, RUN_FILE, STATUS_FILE


def jsonable(value: Any) -> Any:
    from mlcheck.results import to_jsonable

    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return to_jsonable(value)


def value_text(value: Any) -> str:
    """A parameter value as the text the panel's form holds (and ``mlcheck run -p`` reads back)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    try:
        return json.dumps(jsonable(value), allow_nan=False)  # JSON is YAML: lists and dicts read back
    except (TypeError, ValueError):
        return repr(value)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a regular file that is not a symbolic link, or None."""
    try:
        if path.is_symlink():
            return None
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None  # not written yet, or being replaced
    return data if isinstance(data, dict) else None


class RunFolder:
    """The runs directory of one server, read without ever leaving it."""

    def __init__(self, root: Path, runs_path: Path) -> None:
        self.root = root
        self.runs_path = runs_path

    def relative(self, path: Path | str | None) -> str | None:
        """``path`` relative to the server root in API form, or None when outside it (or not given)."""
        if not path:
            return None
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None

    # -- walking ---------------------------------------------------------------------
    def _real_dirs(self, folder: Path) -> Iterator[Path]:
        """Sub-folders of ``folder`` that are real (not links), not hidden, and inside the runs directory."""
        try:
            entries = list(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
                continue
            if not entry.resolve().is_relative_to(self.runs_path):
                continue  # a link further up the path
            yield entry

    def run_dirs(self, stem: str | None = None) -> Iterator[Path]:
        """Every run directory, or those of notebooks named ``<stem>.ipynb``."""
        runs = self.runs_path
        if runs.is_symlink() or not runs.is_dir():
            return
        if stem is not None:
            folder = runs / stem
            folders = [folder] if folder.is_dir() and not folder.is_symlink() else []
        else:
            folders = list(self._real_dirs(runs))
        for folder in folders:
            yield from self._real_dirs(folder)

    def find(self, run_id: str) -> Path | None:
        """The run directory named ``run_id`` (any notebook), or None."""
        if run_id.startswith("."):
            return None
        for folder in self._real_dirs(self.runs_path) if self.runs_path.is_dir() else ():
            candidate = folder / run_id
            if candidate.is_dir() and not candidate.is_symlink():
                return candidate
        return None

    # -- one run ---------------------------------------------------------------------
    def summary(self, run_dir: Path, *, with_results: bool = True) -> dict[str, Any] | None:
        """A finished run as JSON for the frontend (from run.json, no kernel), or None."""
        from mlcheck.runs.rundir import DamagedRun, read_run

        if read_json(run_dir / RUN_FILE) is None:  # also: not a link to a file elsewhere
            return None
        try:
            run = read_run(run_dir)
        except (DamagedRun, OSError):  # a damaged run.json must not break a listing
            return None
        record = run.record
        output, report = Path(run.output_path), Path(run.report_path)
        summary = {
            "id": run.run_id,
            "state": run.status,
            "run_id": run.run_id,
            "exit_code": run.exit_code,
            "retry": record.retry,
            "kind": record.kind,
            "path": self.relative(run.notebook),
            "run_dir": self.relative(run_dir),
            "output_path": self.relative(output) if output.is_file() and not output.is_symlink() else None,
            "report_path": self.relative(report) if report.is_file() and not report.is_symlink() else None,
            "parameters": jsonable(run.parameters),
            "given_parameters": jsonable(record.given_parameters),
            "message": run.message,
            "started": jsonable(run.started),
            "ended": jsonable(run.ended),
            "duration": jsonable(run.duration),
            "n_checks": len(record.results),  # counted from the record: no CheckResult built for a listing
            "n_failed": sum(1 for result in record.results if not result.get("passed")),
        }
        if with_results:
            summary.update(
                results=[result.to_dict() for result in run.results],
                values=jsonable(run.values),
                failed_cell=jsonable(run.failed_cell),
            )
        return summary

    @staticmethod
    def holder(run_dir: Path) -> int | None:
        """The pid of the process executing this run, proven by its lock, or None."""
        from mlcheck.runs.runlock import holder

        return holder(run_dir)

    def running(self, run_dir: Path) -> dict[str, Any] | None:
        """A run still executing (a process holds its lock), as a job; None otherwise."""
        if (run_dir / RUN_FILE).exists() or self.holder(run_dir) is None:
            return None
        status = self.status(run_dir)
        try:  # status.json changes when a cell starts; add the time since
            since = time.time() - (run_dir / STATUS_FILE).stat().st_mtime
        except OSError:
            since = 0.0
        return {
            "id": run_dir.name,
            "run_id": run_dir.name,
            "path": self.relative(status.notebook if status else None),
            "run_dir": self.relative(run_dir),
            "parameters": {},
            "started_elsewhere": True,
            "state": "running",
            "progress": self.progress(status, elapsed=(status.elapsed if status else 0.0) + since),
        }

    @staticmethod
    def status(run_dir: Path) -> Any:
        """The run's ``status.json`` (a :class:`~mlcheck.runs.rundir.StatusRecord`), or None; links are not read."""
        from mlcheck.runs.rundir import read_status

        if (run_dir / STATUS_FILE).is_symlink():
            return None
        return read_status(run_dir)

    @staticmethod
    def progress(status: Any, *, elapsed: float) -> dict[str, Any]:
        """What the panel shows while a run goes: its stage, cell i of n (the user's numbering), seconds."""
        return {
            "state": status.state.value if status else "starting",
            "cell": status.cell if status else None,
            "n_cells": status.n_cells if status else None,
            "elapsed": round(elapsed, 1),
        }

    def died(self, run_dir: Path) -> dict[str, Any]:
        """A run directory without run.json whose process is gone."""
        status = self.status(run_dir)
        return {
            "id": run_dir.name,
            "run_id": run_dir.name,
            "path": self.relative(status.notebook if status else None),
            "run_dir": self.relative(run_dir),
            "state": "died",
            "exit_code": None,
            "message": "the run's process is gone and it wrote no run.json (it was killed)",
            "results": [],
            "values": {},
            "failed_cell": None,
        }

    def by_id(self, run_id: str) -> dict[str, Any] | None:
        run_dir = self.find(run_id)
        if run_dir is None:
            return None
        return self.summary(run_dir) or self.running(run_dir) or self.died(run_dir)

    # -- many runs -------------------------------------------------------------------
    def _of_notebook(self, notebook: Path) -> Iterator[Path]:
        """The finished jobs of ``notebook``, newest run id first (ids sort by start time, as in rundir.scan).

        Same stem and same file (two notebooks in different folders may share a
        stem); golden-parity and CI runs are kept apart. Records are read lazily,
        so the newest few cost the same however many runs there are.
        """
        wanted = str(notebook)
        for run_dir in sorted(self.run_dirs(notebook.stem), key=lambda path: path.name, reverse=True):
            record = read_json(run_dir / RUN_FILE)
            if record is None or str(Path(str(record.get("notebook", ""))).resolve()) != wanted:
                continue
            if record.get("kind", "job") != "job":
                continue
            yield run_dir

    def latest(self, notebook: Path) -> dict[str, Any] | None:
        """The newest finished run of ``notebook``, or None.

        For the executed notebook of a run (``<run_dir>/output.ipynb``), that run.
        """
        own = self.run_of_output(notebook)
        if own is not None:
            return self.summary(own)
        for run_dir in self._of_notebook(notebook):
            summary = self.summary(run_dir)
            if summary is not None:
                return summary
        return None

    def history(self, notebook: Path, limit: int) -> list[dict[str, Any]]:
        """The finished runs of ``notebook``, newest first, without their results."""
        found: list[dict[str, Any]] = []
        for run_dir in self._of_notebook(notebook):
            summary = self.summary(run_dir, with_results=False)
            if summary is not None:
                found.append(summary)
            if len(found) >= limit:
                break
        return found

    def run_of_output(self, notebook: Path) -> Path | None:
        """The run directory whose ``output.ipynb`` is ``notebook``, or None."""
        run_dir = notebook.parent
        if notebook.name != OUTPUT_FILE or not run_dir.resolve().is_relative_to(self.runs_path):
            return None
        return run_dir if read_json(run_dir / RUN_FILE) is not None else None

    def external_runs(self, notebook: Path | None, skip: set[str]) -> list[dict[str, Any]]:
        """Runs still executing that this server did not start, e.g. ``mlcheck run`` in a terminal."""
        found = []
        for run_dir in self.run_dirs(notebook.stem if notebook is not None else None):
            if run_dir.name in skip:
                continue
            job = self.running(run_dir)
            if job is None:
                continue
            if notebook is not None and job["path"] != self.relative(notebook):
                continue
            found.append(job)
        return found
