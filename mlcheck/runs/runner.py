"""Execute a notebook as a job: parameters checked first, papermill runs it, a run directory keeps it all.

A run directory ``<runs_dir>/<notebook-stem>/<run-id>/`` holds ``output.ipynb``
(saved whatever happens, its metadata saying truthfully how the run ended),
``run.json`` (parameters, status, timings, provenance, results), ``report.html``
and, while the job runs, ``status.json`` with its progress.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import nbformat

from mlcheck.results import CheckResult
from mlcheck.errors import UsageError
from mlcheck.runs import outcome as outcomes
from mlcheck.runs import runlock
from mlcheck._atomic import atomic_write_json, atomic_write_text
from mlcheck.runs.parameters import (
    coerce_parameters,
    load_notebook,
    load_parameter_file,
    read_parameters,
)
from mlcheck.kernel import RUN_DIR_ENV, RUN_ID_ENV

Progress = Callable[[Mapping[str, Any]], None]

RUN_FILE, OUTPUT_FILE, REPORT_FILE, STATUS_FILE = "run.json", "output.ipynb", "report.html", "status.json"
INJECTED_TAG = "mlcheck-injected"

# Runs first in the job's kernel: the interpreter and package versions *as the
# kernel sees them*. Self-contained, so it works in a kernel without mlcheck.
_ENVIRONMENT_PROBE = """\
def _mlcheck_environment():
    import importlib.metadata as metadata, platform, sys
    from IPython.display import publish_display_data
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    publish_display_data({"application/vnd.mlcheck.result+json": {
        "version": 1, "kind": "environment", "python": platform.python_version(),
        "implementation": platform.python_implementation(), "executable": sys.executable,
        "platform": platform.platform(), "packages": dict(sorted(packages.items()))},
        "text/plain": ""})
_mlcheck_environment(); del _mlcheck_environment
"""


class RunWarning(UserWarning):
    """Something around a run went wrong without changing how the run itself ended."""


def _warm_report_imports() -> None:
    """Import nbconvert while the kernel works, so the report renders without waiting for it."""
    try:
        from nbconvert import HTMLExporter

        HTMLExporter(template_name="lab")
    except Exception:  # noqa: BLE001 - only a head start; render_report reports real problems
        pass


@dataclass
class Run:
    """One execution of a notebook, as its ``run.json`` describes it."""

    run_id: str
    run_dir: Path
    notebook: Path
    status: str
    exit_code: int
    parameters: dict[str, Any] = field(default_factory=dict)
    results: list[CheckResult] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    failed_cell: dict[str, Any] | None = None
    message: str = ""
    started: str = ""
    ended: str = ""
    duration: float = 0.0
    record: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def output_path(self) -> Path:
        return self.run_dir / OUTPUT_FILE

    @property
    def report_path(self) -> Path:
        return self.run_dir / REPORT_FILE

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [result for result in self.results if result.failed]

    @classmethod
    def from_record(cls, run_dir: Path, record: Mapping[str, Any]) -> Run:
        return cls(
            run_id=record["run_id"],
            run_dir=run_dir,
            notebook=Path(record["notebook"]),
            status=record["status"],
            exit_code=int(record["exit_code"]),
            parameters=dict(record.get("parameters") or {}),
            results=[CheckResult.from_dict(r) for r in record.get("results") or ()],
            values=dict(record.get("values") or {}),
            failed_cell=record.get("failed_cell"),
            message=record.get("message", ""),
            started=record.get("started", ""),
            ended=record.get("ended", ""),
            duration=float(record.get("duration") or 0.0),
            record=dict(record),
        )


def read_run(run_dir: str | Path) -> Run:
    """The run recorded in ``run_dir`` (from its ``run.json``; no kernel)."""
    import json

    run_dir = Path(run_dir)
    path = run_dir / RUN_FILE
    if not path.is_file():
        if (run_dir / STATUS_FILE).is_file():
            raise UsageError(f"{run_dir} has no run.json yet: the run is still going or was killed")
        raise UsageError(f"{run_dir} is not a run directory (no {RUN_FILE}); runs live in runs/<notebook>/<run-id>/")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise UsageError(f"{path} is not valid JSON ({error})") from None
    return Run.from_record(run_dir.resolve(), record)


def new_run_id() -> str:
    """A run id that sorts by start time (UTC, microseconds) and is unique across processes."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond:06d}Z-{secrets.token_hex(3)}"


def _create_run_dir(folder: Path, run_id: str | None) -> tuple[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if run_id is not None:
        if not run_id or any(ch in run_id for ch in "/\\") or run_id.startswith("."):
            raise UsageError(f"--run-id must be a plain name (no slashes, not hidden), got {run_id!r}")
        path = folder / run_id
        try:
            path.mkdir()
        except FileExistsError:
            raise UsageError(f"run directory {path} exists already; choose another --run-id") from None
        return run_id, path
    while True:
        candidate = new_run_id()
        try:
            (folder / candidate).mkdir()
            return candidate, folder / candidate
        except FileExistsError:
            continue


def _prepared(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    prepared = nbformat.from_dict(notebook)
    probe = nbformat.v4.new_code_cell(
        _ENVIRONMENT_PROBE,
        metadata={"tags": [INJECTED_TAG], "jupyter": {"source_hidden": True, "outputs_hidden": True}},
    )
    prepared.cells.insert(0, probe)
    for cell in prepared.cells:  # outputs of an earlier interactive session are not this run's
        if cell.get("cell_type") == "code":
            cell.outputs = []
            cell.execution_count = None
    return prepared


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    runs_dir: str | Path = "runs",
    parameter_file: str | Path | None = None,
    timeout: float | None = None,
    cell_timeout: float | None = None,
    kernel: str | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
    report: bool = True,
) -> Run:
    """Execute ``notebook`` with papermill into a new run directory.

    Parameters are checked before anything runs; the job runs in the notebook's
    own folder, in the current interpreter's kernel unless ``kernel`` names another.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` to execute (it is never modified).
    parameters : mapping, optional
        Values by name; strings are coerced to each parameter's declared type.
    runs_dir : path, default "runs"
        Where run directories go (``<runs_dir>/<notebook-stem>/<run-id>/``).
    parameter_file : path, optional
        A YAML or JSON mapping of parameters; ``parameters`` override it.
    timeout, cell_timeout : float, optional
        Seconds for the whole run, and for any one cell.
    kernel : str, optional
        A kernelspec name; by default the interpreter mlcheck runs in.
    progress : callable, optional
        Called with the status mapping each time a cell starts and at the end.
    run_id : str, optional
        Use this run id instead of a new one (the directory must not exist).
    report : bool, default True
        Render ``report.html``.

    Returns
    -------
    Run
        Its ``exit_code`` is 0 when every check held, 1 when a check failed,
        3 when a cell raised, 4 on timeout, 5 when the kernel died, 130 when cancelled.

    Raises
    ------
    ParameterError, NotebookError, UsageError
        Before any cell runs, for an unknown or ill-typed parameter, a missing or
        invalid notebook, or bad options.

    Examples
    --------
    >>> run = run_notebook("train.ipynb", {"sample": "0.2"}, timeout=600)  # doctest: +SKIP
    >>> run.exit_code, run.run_dir  # doctest: +SKIP
    """
    notebook_path = Path(notebook).expanduser().resolve()
    source = load_notebook(notebook_path)
    declared = read_parameters(source)
    raw: dict[str, Any] = dict(load_parameter_file(parameter_file)) if parameter_file is not None else {}
    raw.update(parameters or {})
    coerced = coerce_parameters(declared, raw, notebook=notebook_path.name)
    for option, value in (("timeout", timeout), ("cell timeout", cell_timeout)):
        if value is not None and not value > 0:
            raise UsageError(f"the {option} must be a positive number of seconds, got {value!r}")

    from mlcheck.runs.kernels import resolve_kernel

    kernel_name = resolve_kernel(kernel)
    run_id, run_dir = _create_run_dir(Path(runs_dir).expanduser().resolve() / notebook_path.stem, run_id)
    job = _Job(notebook_path, source, declared, coerced, run_id, run_dir, kernel_name, progress)
    return job.execute(timeout=timeout, cell_timeout=cell_timeout, report=report)


class _Job:
    """The state of one run while it executes."""

    def __init__(self, notebook_path, source, declared, coerced, run_id, run_dir, kernel_name, progress):  # type: ignore[no-untyped-def]
        self.notebook_path: Path = notebook_path
        self.source = source
        self.declared = declared
        self.coerced: dict[str, Any] = coerced
        self.run_id: str = run_id
        self.run_dir: Path = run_dir
        self.kernel_name: str = kernel_name
        self.progress: Progress | None = progress
        self.started_wall = datetime.now(timezone.utc)
        self.started = time.monotonic()
        prepared = _prepared(source)
        self.n_cells = sum(1 for cell in source.cells if outcomes.own_code_cell(cell))
        self.cells_started = 0
        self.current_cell: int | None = None
        self.input_path = run_dir / ".input.ipynb"
        self.partial_path = run_dir / ".output.partial.ipynb"
        # held until the run ends: the proof, for whoever cancels it, that this process is the run
        self.lock = runlock.hold(run_dir)
        atomic_write_text(self.input_path, nbformat.writes(prepared))

    def status(self, state: str, **extra: Any) -> None:
        status = {
            "run_id": self.run_id,
            "notebook": str(self.notebook_path),
            "state": state,
            "cell": self.cells_started,
            "n_cells": self.n_cells,
            "cell_index": self.current_cell,
            "elapsed": round(time.monotonic() - self.started, 3),
            "pid": os.getpid(),
            **extra,
        }
        atomic_write_json(self.run_dir / STATUS_FILE, status)
        if self.progress is not None:
            self.progress(status)

    def _cell_started(self, cell_index: int, n_cells: int) -> None:
        self.cells_started += 1
        self.n_cells = n_cells
        self.current_cell = cell_index
        self.status("running")

    def execute(self, *, timeout: float | None, cell_timeout: float | None, report: bool) -> Run:
        from mlcheck.runs.kernels import start_kernel, stop_kernel

        deadline = self.started + timeout if timeout else None
        self.status("starting")
        # The kernel boots while this process imports papermill and nbconvert.
        environment = {**os.environ, RUN_ID_ENV: self.run_id, RUN_DIR_ENV: str(self.run_dir)}
        # hypothesis (behind check_parity) keeps a cache in the working directory, which is the
        # user's notebook folder; a job gives it a scratch folder instead
        scratch = tempfile.mkdtemp(prefix="mlcheck-job-")
        environment.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", scratch)
        manager = start_kernel(self.kernel_name, cwd=str(self.notebook_path.parent), env=environment)
        if report:
            threading.Thread(target=_warm_report_imports, name="mlcheck-warm-imports", daemon=True).start()
        try:
            ending, error, watch = self._execute_with(manager, deadline, cell_timeout, timeout)
        finally:
            stop_kernel(manager)
            shutil.rmtree(scratch, ignore_errors=True)
        return self._finish(ending, error, watch, timeout=timeout, report=report)

    def _execute_with(self, manager: Any, deadline: float | None, cell_timeout: float | None, timeout: float | None):  # type: ignore[no-untyped-def]
        import papermill
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        from mlcheck.runs.engine import ENGINE_NAME, ExecutionWatch

        watch = ExecutionWatch(deadline=deadline, cell_timeout=cell_timeout, on_cell_start=self._cell_started)
        ending, error = "completed", None
        remaining = (deadline - time.monotonic()) if deadline is not None else None
        try:
            papermill.execute_notebook(
                str(self.input_path),
                str(self.partial_path),
                parameters=self.coerced or None,
                engine_name=ENGINE_NAME,
                kernel_name=self.kernel_name,
                progress_bar=False,
                start_timeout=max(min(60, math.ceil(remaining)), 1) if remaining is not None else 60,
                km=manager,
                watch=watch,
            )
        except PapermillExecutionError as exc:
            ending, error = "raised", exc
        except CellTimeoutError as exc:
            ending, error = "timeout", exc
        except DeadKernelError as exc:
            ending, error = "died", exc
        except KeyboardInterrupt as exc:
            ending, error = "cancelled", exc
        except RuntimeError as exc:  # nbclient: "Kernel died before replying to kernel_info"
            if "kernel" not in str(exc).lower():
                raise
            ending, error = ("timeout" if deadline is not None and time.monotonic() >= deadline else "died"), exc
        if watch.timed_out:
            ending = "timeout"
        return ending, error, watch

    def _render_report(self) -> None:
        """Render report.html; a rendering problem is reported, never allowed to sink a finished run."""
        from mlcheck.runs.report import render_report

        try:
            render_report(self.run_dir)
        except Exception as error:  # noqa: BLE001 - the run, output.ipynb and run.json are already saved
            warnings.warn(
                f"report.html was not rendered ({type(error).__name__}: {error}); the run is complete. "
                f"Try again with `mlcheck report {self.run_dir}`.",
                RunWarning,
                stacklevel=2,
            )

    def _finish(self, ending: str, error: BaseException | None, watch: Any, *, timeout: float | None, report: bool) -> Run:
        from mlcheck.runs.provenance import git_state, input_hashes, sha256_file
        from mlcheck.runs.results import collect

        ended_wall = datetime.now(timezone.utc)
        duration = time.monotonic() - self.started
        executed_path = self.partial_path if self.partial_path.exists() else self.input_path
        executed = nbformat.read(str(executed_path), as_version=4)
        failing_index = watch.timeout_cell if ending == "timeout" else self.current_cell
        verdict = outcomes.settle(
            executed, ending, error, failing_index,
            timeout=timeout, cell_timeout=watch.cell_timeout, binding_limit=watch.binding_limit,
        )
        found = collect(executed)
        exit_code, status, message = outcomes.exit_status(verdict, found.results)
        outcomes.mark_notebook(executed, self.run_id, status, exit_code, message, verdict)
        atomic_write_text(self.run_dir / OUTPUT_FILE, nbformat.writes(executed))
        for leftover in (self.partial_path, self.input_path):
            leftover.unlink(missing_ok=True)

        effective = {p.name: p.default for p in self.declared}
        effective.update(self.coerced)
        record = {
            "run_id": self.run_id,
            "notebook": str(self.notebook_path),
            "notebook_sha256": sha256_file(self.notebook_path),
            "status": status,
            "exit_code": exit_code,
            "message": message,
            "parameters": effective,
            "given_parameters": self.coerced,
            "seed": effective.get("seed"),
            "started": self.started_wall.isoformat(),
            "ended": ended_wall.isoformat(),
            "duration": round(duration, 3),
            "timeout": timeout,
            "kernel": self.kernel_name,
            "cells": outcomes.cell_timings(executed),
            "failed_cell": verdict.failed_cell,
            "input_hashes": input_hashes(effective, self.notebook_path.parent),
            "git": git_state(self.notebook_path.parent),
            "environment": found.environment,
            "results": [r.to_dict() for r in found.results],
            "values": found.values,
        }
        atomic_write_json(self.run_dir / RUN_FILE, record)
        run = Run.from_record(self.run_dir, record)
        if report:
            self._render_report()
        self.status(status, exit_code=exit_code, message=message)
        runlock.release(self.run_dir, self.lock)
        return run
