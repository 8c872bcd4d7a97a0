"""Jobs started from JupyterLab: one ``mlcheck run`` process per job.

A job is the same run as ``mlcheck run`` on the command line: a separate
Python process, started from an argument list (no shell; parameter values are
passed as data), in the notebook's own folder, writing a run directory
``<runs_dir>/<notebook-stem>/<run-id>/``. The server chooses the run id, so it
knows the run directory before the process starts; progress is read from the
run directory's ``status.json`` and the outcome from its ``run.json``.

Jobs run in their own session, so they outlive a server restart (their run
directories stay readable through ``/mlcheck/runs/latest``); cancel them from
the server that started them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import Float, Unicode
from traitlets.config import LoggingConfigurable

__all__ = ["Job", "JobManager", "PathRefused", "new_run_id", "resolve_inside"]

#: The states a finished run can end in (run.json ``status``), plus the server's own.
FINISHED = ("succeeded", "failed", "error", "timeout", "died", "cancelled")


class PathRefused(Exception):
    """A path names something outside the server root (or is empty)."""


def resolve_inside(root: Path, path: str) -> Path:
    """``path`` (relative to ``root``, or absolute) resolved, refusing anything outside ``root``.

    Symbolic links are followed before the check, so a link that points out of
    the root is refused too.
    """
    if not isinstance(path, str) or not path.strip():
        raise PathRefused("a path is required (a notebook path relative to the server root)")
    candidate = Path(path)
    full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        full.relative_to(root)
    except ValueError:
        raise PathRefused(f"path {path!r} is outside the server root; use a path inside it") from None
    return full


def new_run_id() -> str:
    """A run id that sorts by start time and does not collide between servers."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def _jsonable(value: Any) -> Any:
    from mlcheck.results import to_jsonable

    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return to_jsonable(value)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None  # not written yet, or being replaced
    return data if isinstance(data, dict) else None


@dataclass
class Job:
    """One ``mlcheck run`` process started by this server."""

    job_id: str
    notebook: Path
    parameters: dict[str, str]
    run_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.time)
    cancel_requested: bool = False
    final: dict[str, Any] | None = None


class JobManager(LoggingConfigurable):
    """Starts, watches and cancels the jobs of one Jupyter server."""

    runs_dir = Unicode(
        "runs", config=True, help="Where jobs write their run directories (relative to the server root)."
    )
    kill_after = Float(
        20.0,
        config=True,
        help="Seconds a cancelled job may take to save its notebook before it is killed.",
    )

    def __init__(self, *, root_dir: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root_dir).resolve()
        self.jobs: dict[str, Job] = {}

    # -- paths -------------------------------------------------------------
    @property
    def runs_path(self) -> Path:
        runs = Path(self.runs_dir)
        return (runs if runs.is_absolute() else self.root / runs).resolve()

    def relative(self, path: Path) -> str | None:
        """``path`` relative to the server root in API form, or None when outside it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def notebook(self, path: str) -> Path:
        """The notebook at API path ``path``; refuses paths outside the root and non-notebooks."""
        full = resolve_inside(self.root, path)
        if full.suffix != ".ipynb":
            raise FileNotFoundError(f"{path!r} is not a notebook (.ipynb)")
        if not full.is_file():
            raise FileNotFoundError(f"no notebook at {path!r}")
        return full

    # -- parameters --------------------------------------------------------
    def parameters(self, notebook: Path) -> list[dict[str, Any]]:
        """The notebook's parameters, read by the same code as ``mlcheck params``."""
        from mlcheck.runs import read_parameters

        return [
            {
                "name": entry["name"],
                "type_name": entry["type"],
                "default": entry["default"],
                "default_source": entry["default_source"],
                "comment": entry["comment"],
            }
            for entry in (parameter.to_dict() for parameter in read_parameters(notebook))
        ]

    def validate(self, notebook: Path, raw: dict[str, str]) -> None:
        """Coerce ``raw`` like ``mlcheck run -p`` would; ParameterError names the first bad one."""
        from mlcheck.errors import ParameterError
        from mlcheck.runs import coerce_parameters, read_parameters

        declared = read_parameters(notebook)
        for name, value in raw.items():  # one at a time, so the error is about this parameter
            try:
                coerce_parameters(declared, {name: value})
            except ParameterError as error:
                error.parameter = name  # type: ignore[attr-defined]
                raise
        coerce_parameters(declared, raw)

    # -- jobs --------------------------------------------------------------
    def start(self, notebook: Path, raw: dict[str, str]) -> Job:
        """Start ``mlcheck run`` on ``notebook`` in its own folder with parameters ``raw``."""
        self.validate(notebook, raw)
        job_id = new_run_id()
        runs = self.runs_path
        logs = runs / ".jobs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{job_id}.log"
        command = [
            sys.executable, "-m", "mlcheck", "run", str(notebook),
            "--run-id", job_id, "--runs-dir", str(runs), "--progress", "plain",
        ]  # fmt: skip
        for name, value in raw.items():
            command += ["-p", name, value]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=notebook.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the server does not reach the job
            )
        job = Job(
            job_id=job_id,
            notebook=notebook,
            parameters=dict(raw),
            run_dir=runs / notebook.stem / job_id,
            log_path=log_path,
            process=process,
        )
        self.jobs[job_id] = job
        self.log.info("mlcheck job %s started: %s (pid %d)", job_id, notebook, process.pid)
        return job

    def cancel(self, job: Job) -> None:
        """Ask the job to stop (SIGTERM: the runner saves the notebook), kill it if it lingers."""
        if job.process.poll() is not None:
            return
        job.cancel_requested = True
        job.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.kill_after

        def escalate() -> None:
            if job.process.poll() is None and time.monotonic() >= deadline:
                self.log.warning("mlcheck job %s ignored SIGTERM; killing it", job.job_id)
                try:
                    os.killpg(job.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        from tornado.ioloop import IOLoop

        IOLoop.current().call_later(self.kill_after, escalate)

    # -- state -------------------------------------------------------------
    def status(self, job: Job) -> dict[str, Any]:
        """What the job is doing now, or how it ended (with results once it has)."""
        if job.final is not None:
            return job.final
        returncode = job.process.poll()
        base: dict[str, Any] = {
            "id": job.job_id,
            "run_id": job.job_id,
            "path": self.relative(job.notebook),
            "run_dir": self.relative(job.run_dir),
            "parameters": job.parameters,
            "started": job.started,
        }
        if returncode is None:
            progress = _read_json(job.run_dir / "status.json") or {}
            base.update(
                state="cancelling" if job.cancel_requested else "running",
                progress={
                    "state": progress.get("state", "starting"),
                    "cell": progress.get("cell"),
                    "n_cells": progress.get("n_cells"),
                    "elapsed": round(time.time() - job.started, 1),  # status.json only changes per cell
                },
            )
            return base
        base.update(self._finished(job, returncode))
        job.final = base
        return base

    def _finished(self, job: Job, returncode: int) -> dict[str, Any]:
        run = self.run_summary(job.run_dir)
        if run is not None:
            return {**run, "exit_code": returncode if run.get("exit_code") is None else run["exit_code"]}
        # The runner never wrote run.json: it refused to start or crashed; its output says why.
        state = "cancelled" if job.cancel_requested else "error"
        return {
            "state": state,
            "exit_code": returncode,
            "message": self.log_tail(job) or f"mlcheck run exited with code {returncode}",
            "results": [],
            "values": {},
            "failed_cell": None,
        }

    def log_tail(self, job: Job, limit: int = 4000) -> str:
        try:
            text = job.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-limit:].strip()

    def run_summary(self, run_dir: Path) -> dict[str, Any] | None:
        """A finished run as JSON for the frontend (from run.json, no kernel), or None."""
        if not (run_dir / "run.json").is_file():
            return None
        from mlcheck.runs import read_run

        run = read_run(run_dir)
        output = Path(run.output_path)
        report = Path(run.report_path)
        return {
            "state": run.status,
            "run_id": run.run_id,
            "exit_code": run.exit_code,
            "path": self.relative(Path(run.notebook)),
            "run_dir": self.relative(run_dir),
            "output_path": self.relative(output) if output.is_file() else None,
            "report_path": self.relative(report) if report.is_file() else None,
            "parameters": _jsonable(run.parameters),
            "results": [result.to_dict() for result in run.results],
            "values": _jsonable(run.values),
            "failed_cell": _jsonable(run.failed_cell),
            "message": run.message,
            "started": _jsonable(run.started),
            "ended": _jsonable(run.ended),
            "duration": _jsonable(run.duration),
        }

    # -- runs this server did not start (a terminal, or a server before a restart) --
    @staticmethod
    def _live_pid(status: dict[str, Any]) -> int | None:
        """The pid in a ``status.json`` if that process still runs mlcheck, else None."""
        pid = status.get("pid")
        if not isinstance(pid, int) or pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists():  # Linux: make sure the pid was not reused by another program
            try:
                if b"mlcheck" not in cmdline.read_bytes():
                    return None
            except OSError:
                return None
        return pid

    def _external_status(self, run_dir: Path, status: dict[str, Any]) -> dict[str, Any]:
        try:  # status.json changes when a cell starts; add the time since
            since = time.time() - (run_dir / "status.json").stat().st_mtime
        except OSError:
            since = 0.0
        return {
            "id": run_dir.name,
            "run_id": run_dir.name,
            "path": self.relative(Path(str(status.get("notebook", "")))),
            "run_dir": self.relative(run_dir),
            "parameters": {},
            "started_elsewhere": True,
            "state": "running",
            "progress": {
                "state": status.get("state", "starting"),
                "cell": status.get("cell"),
                "n_cells": status.get("n_cells"),
                "elapsed": round(float(status.get("elapsed") or 0.0) + since, 1),
            },
        }

    def external_runs(self, notebook: Path | None = None) -> list[dict[str, Any]]:
        """Runs still going that this server did not start, e.g. ``mlcheck run`` in a terminal."""
        runs = self.runs_path
        if not runs.is_dir():
            return []
        folders = (
            [runs / notebook.stem] if notebook is not None else [f for f in runs.iterdir() if f.is_dir()]
        )
        found = []
        for folder in folders:
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            for run_dir in sorted(folder.iterdir()):
                if run_dir.name in self.jobs or (run_dir / "run.json").exists():
                    continue
                status = _read_json(run_dir / "status.json")
                if status is None or self._live_pid(status) is None:
                    continue
                if notebook is not None and Path(str(status.get("notebook", ""))) != notebook:
                    continue
                found.append(self._external_status(run_dir, status))
        return found

    def _run_dir_of(self, run_id: str) -> Path | None:
        runs = self.runs_path
        if run_id.startswith(".") or not runs.is_dir():
            return None
        for folder in runs.iterdir():
            if folder.is_dir() and not folder.name.startswith(".") and (folder / run_id).is_dir():
                return folder / run_id
        return None

    def status_by_id(self, job_id: str) -> dict[str, Any] | None:
        """A job of this server, or any run under the runs directory, by id; None when unknown."""
        job = self.jobs.get(job_id)
        if job is not None:
            return self.status(job)
        run_dir = self._run_dir_of(job_id)
        if run_dir is None:
            return None
        summary = self.run_summary(run_dir)
        if summary is not None:
            return {"id": job_id, **summary}
        status = _read_json(run_dir / "status.json") or {}
        if self._live_pid(status) is not None:
            return self._external_status(run_dir, status)
        return {
            "id": job_id,
            "run_id": job_id,
            "path": self.relative(Path(str(status.get("notebook", "")))) if status else None,
            "run_dir": self.relative(run_dir),
            "state": "died",
            "exit_code": None,
            "message": "the run's process is gone and it wrote no run.json (it was killed)",
            "results": [],
            "values": {},
            "failed_cell": None,
        }

    def cancel_by_id(self, job_id: str) -> dict[str, Any] | None:
        """Cancel a job of this server, or a run started elsewhere (SIGTERM to its process)."""
        job = self.jobs.get(job_id)
        if job is not None:
            self.cancel(job)
            return self.status(job)
        run_dir = self._run_dir_of(job_id)
        if run_dir is None:
            return None
        status = _read_json(run_dir / "status.json") or {}
        pid = self._live_pid(status)
        if pid is not None and not (run_dir / "run.json").exists():
            os.kill(pid, signal.SIGTERM)
            return {**self._external_status(run_dir, status), "state": "cancelling"}
        return self.status_by_id(job_id)

    def latest(self, notebook: Path) -> dict[str, Any] | None:
        """The finished run of ``notebook`` that started last, or None.

        For the executed notebook of a run (``<run_dir>/output.ipynb``), that run.
        """
        if notebook.name == "output.ipynb" and (notebook.parent / "run.json").is_file():
            return self.run_summary(notebook.parent)
        folder = self.runs_path / notebook.stem
        if not folder.is_dir():
            return None
        wanted = str(notebook)
        newest: tuple[str, Path] | None = None
        for run_dir in folder.iterdir():
            record = _read_json(run_dir / "run.json")
            # Two notebooks in different folders may share a stem: keep this one's runs.
            if record is None or str(Path(str(record.get("notebook", ""))).resolve()) != wanted:
                continue
            started = str(record.get("started") or "")
            if newest is None or (started, run_dir.name) > (newest[0], newest[1].name):
                newest = (started, run_dir)
        if newest is not None:
            return self.run_summary(newest[1])
        return None
