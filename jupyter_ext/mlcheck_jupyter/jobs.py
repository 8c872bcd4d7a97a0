"""Jobs started from JupyterLab: one ``mlcheck run`` process per job, a bounded number at a time.

A job is the same run as ``mlcheck run`` on the command line: a separate
Python process, started from an argument list (no shell) in the notebook's own
folder, writing a run directory ``<runs_dir>/<notebook-stem>/<run-id>/``. The
parameter values travel in a YAML file given with ``--parameter-file``, each
tagged ``!text`` so the job reads it exactly as ``-p NAME VALUE`` (and as
``POST /mlcheck/parameters`` checked it); never as arguments, so a value such
as ``-1e-3`` or ``--help`` cannot be taken for an option. The server
chooses the run id, so it knows the run directory before the process starts;
progress is read from the run directory's ``status.json`` and the outcome from
its ``run.json``.

At most ``max_concurrent_jobs`` jobs run at once; the others wait in a queue
(``max_queued_jobs`` long) and start as slots free up. A second start of a
notebook that has a job queued or running is refused unless asked for.
Queued jobs live in the server's memory: a restart drops those not yet started
(jobs already running go on in their own sessions, and their runs stay listed).

Signals go only to processes this server started (through their
``subprocess.Popen``, whose pid cannot be reused while it is not reaped), or
to the process that *holds the lock* of a run directory
(:mod:`mlcheck.runs.runlock`), which the operating system names; never to a
pid read from a file.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import Float, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from mlcheck.runs.rundir import Status
from mlcheck_jupyter.runview import RunFolder, value_text

__all__ = ["Job", "JobManager", "RequestError", "check_job_id", "check_path", "resolve_inside"]

#: a job's states before it ends (the words are mlcheck.runs.rundir.Status's)
ACTIVE = (Status.QUEUED.value, Status.RUNNING.value, Status.CANCELLING.value)
#: Linux's limits on a path and on one of its components (PATH_MAX, NAME_MAX).
MAX_PATH_CHARS, MAX_NAME_CHARS = 4096, 255
MAX_ID_CHARS = 128
#: Finished jobs remembered in memory (those that made no run directory can only be told from there).
KEEP_FINISHED = 200
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class RequestError(Exception):
    """A request the server refuses: an HTTP status, a message and the request field at fault."""

    def __init__(self, status: int, message: str, *, field: str | None = None, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field
        self.parameter = parameter


def check_text(
    value: Any, what: str, *, limit: int, field: str | None = None, parameter: str | None = None
) -> str:
    """``value`` if it is a string without NUL bytes of at most ``limit`` characters; else a 400."""
    where = {"field": field, "parameter": parameter}
    if not isinstance(value, str):
        raise RequestError(400, f"{what} must be a string, got {type(value).__name__}", **where)
    if "\x00" in value:
        raise RequestError(400, f"{what} contains a NUL byte; remove it", **where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(400, f"{what} is not valid text (a lone UTF-16 surrogate)", **where) from None
    if len(value) > limit:
        raise RequestError(400, f"{what} is {len(value):,} characters long; the limit is {limit:,}", **where)
    return value


def check_path(value: Any, field: str = "path") -> str:
    """A request's notebook path: a non-empty string a file system could hold; else a 400 naming ``field``."""
    if value is None or value == "":
        raise RequestError(
            400, f"{field} is required (a notebook path relative to the server root)", field=field
        )
    path = check_text(value, field, limit=MAX_PATH_CHARS, field=field)
    longest = max(path.split("/"), key=len)
    if len(longest) > MAX_NAME_CHARS:
        raise RequestError(
            400,
            f"{field} has a name of {len(longest):,} characters; file names stop at {MAX_NAME_CHARS}",
            field=field,
        )
    return path


def check_job_id(job_id: str) -> str:
    """A job or run id from a URL: a plain name (letters, digits, ``_.-``), at most 128 characters."""
    if len(job_id) > MAX_ID_CHARS or not _ID_PATTERN.fullmatch(job_id):
        raise RequestError(
            400,
            f"job id {job_id[:40]!r}{'…' if len(job_id) > 40 else ''} is not a run id "
            f"(letters, digits, '_', '.', '-'; at most {MAX_ID_CHARS} characters)",
            field="id",
        )
    return job_id


def resolve_inside(root: Path, path: str) -> Path:
    """``path`` (relative to ``root``, or absolute) resolved, refusing anything outside ``root``.

    Symbolic links are followed before the check, so a link that points out of
    the root is refused too.
    """
    candidate = Path(check_path(path))
    try:
        full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symbolic link loop (Python < 3.13)
        raise RequestError(404, f"path {path!r} cannot be followed: {error}", field="path") from None
    if not full.is_relative_to(root):
        raise RequestError(
            403, f"path {path!r} is outside the server root; use a path inside it", field="path"
        )
    return full


def new_run_id() -> str:
    """A run id in the command line's format (sorts by start time, unique across processes)."""
    from mlcheck.runs.rundir import new_run_id as rundir_run_id

    return rundir_run_id()


def _as_text(name: str, value: Any) -> str:
    """A parameter value from JSON as the string ``mlcheck run -p NAME VALUE`` would get."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return repr(value)
    raise RequestError(
        400, f"parameter {name!r}: send the value as a string, got {type(value).__name__}", parameter=name
    )


@dataclass
class Job:
    """One ``mlcheck run`` process of this server (queued, running or finished)."""

    job_id: str
    notebook: Path
    parameters: dict[str, str]
    run_dir: Path
    log_path: Path
    parameter_file: Path
    queued: float = field(default_factory=time.time)
    process: subprocess.Popen[bytes] | None = None
    started: float | None = None
    cancel_requested: bool = False
    final: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        if self.final is not None:
            return str(self.final["state"])
        if self.process is None:
            return "queued"
        return "cancelling" if self.cancel_requested else "running"


class JobManager(LoggingConfigurable):
    """Starts, queues, watches and cancels the jobs of one Jupyter server."""

    runs_dir = Unicode(
        "runs",
        config=True,
        help="Where jobs write their run directories (relative to the server root, and inside it).",
    )
    kill_after = Float(
        20.0, config=True, help="Seconds a cancelled job may take to save its notebook before it is killed."
    )
    max_concurrent_jobs = Int(
        config=True, help="Jobs that run at once; more wait in a queue. Default: the number of CPUs."
    )
    max_queued_jobs = Int(50, config=True, help="Jobs that may wait for a slot; a start beyond is refused.")
    max_value_chars = Int(
        65536,
        config=True,
        help="Longest parameter value accepted (characters); pass big data as a file path.",
    )

    @default("max_concurrent_jobs")
    def _cpu_count(self) -> int:
        try:
            return max(len(os.sched_getaffinity(0)), 1)  # the CPUs this server may use
        except AttributeError:  # pragma: no cover - macOS, Windows
            return max(os.cpu_count() or 1, 1)

    def __init__(
        self, *, root_dir: str, allow_hidden: Callable[[], bool] = lambda: False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.root = Path(root_dir).resolve()
        self.allow_hidden = allow_hidden
        self.jobs: dict[str, Job] = {}
        self._ticker: Any = None
        runs = Path(self.runs_dir)
        # resolved once: a link put in its place later is refused, not followed
        self._runs_path = (runs if runs.is_absolute() else self.root / runs).resolve()
        if not self.runs_path.is_relative_to(self.root):
            raise ValueError(
                f"JobManager.runs_dir {self.runs_dir!r} resolves to {self.runs_path}, outside the server root "
                f"{self.root}; choose a folder inside it"
            )
        self.folder = RunFolder(self.root, self.runs_path)

    # -- paths -------------------------------------------------------------
    @property
    def runs_path(self) -> Path:
        return self._runs_path

    def relative(self, path: Path | None) -> str | None:
        return self.folder.relative(path)

    def notebook(self, path: Any) -> Path:
        """The notebook at API path ``path``, or a RequestError.

        Refuses (400) what is not a usable path string, (403) what is outside the
        root or hidden while the server hides hidden files, (404) what is not a
        notebook file.
        """
        from jupyter_core.paths import is_hidden

        full = resolve_inside(self.root, path)
        if not self.allow_hidden():
            given = Path(path)
            as_given = given if given.is_absolute() else self.root / given
            if is_hidden(os.path.normpath(as_given), self.root) or is_hidden(full, self.root):
                raise RequestError(
                    403,
                    f"{path!r} is hidden (a name starting with '.'), and this server does not serve hidden "
                    "files; set ContentsManager.allow_hidden = True to allow it",
                    field="path",
                )
        if full.suffix != ".ipynb":
            raise RequestError(404, f"{path!r} is not a notebook (.ipynb)", field="path")
        if not full.is_file():
            raise RequestError(404, f"no notebook at {path!r}", field="path")
        return full

    # -- parameters --------------------------------------------------------
    def parameters(self, notebook: Path) -> dict[str, Any]:
        """The notebook's parameters (read by the same code as ``mlcheck params``).

        For the executed notebook of a run, also ``run``: the run's id, the values
        it used (as form text) and the notebook it ran, to run again with them.
        """
        from mlcheck.runs import read_parameters

        declared = read_parameters(notebook)
        reply: dict[str, Any] = {
            "path": self.relative(notebook),
            "parameters": [
                {
                    "name": entry["name"],
                    "type_name": entry["type"],
                    "default": entry["default"],
                    "default_source": entry["default_source"],
                    "comment": entry["comment"],
                    "range": entry["range"],  # from `# in [0, 1]`; the form sets min and max from it
                    "note": entry["note"],  # a comment that looks like a range but is help text, shown under the field
                }
                for entry in (parameter.to_dict() for parameter in declared)
            ],
            "run": None,
        }
        run_dir = self.folder.run_of_output(notebook)
        summary = self.folder.summary(run_dir, with_results=False) if run_dir is not None else None
        if summary is not None:
            used = summary["parameters"] or {}
            reply["run"] = {
                "run_id": summary["run_id"],
                "source_path": summary["path"],
                "values": {name: value_text(used[name]) for name in used},
                "given": sorted(summary["given_parameters"] or {}),
            }
        return reply

    def _validate(self, notebook: Path, given: Any) -> dict[str, str]:
        """The request's parameters as ``-p`` strings, each checked like ``mlcheck run -p`` checks it."""
        import yaml

        from mlcheck.errors import ParameterError
        from mlcheck.runs import coerce_parameters, read_parameters
        from mlcheck.runs.parameters import Forms, TextValue

        if given is None:
            return {}
        if not isinstance(given, dict):
            raise RequestError(400, "parameters must be an object {name: value}", field="parameters")
        raw: dict[str, str] = {}
        for name, value in given.items():
            check_text(name, "a parameter name", limit=MAX_NAME_CHARS, field="parameters")
            text = _as_text(name, value)
            check_text(text, f"parameter {name!r}", limit=self.max_value_chars, parameter=name)
            raw[name] = text
        declared = read_parameters(notebook)
        for name, value in raw.items():  # one at a time, so the error is about this parameter
            try:
                coerce_parameters(  # read as `-p` reads it; the examples are what to type in the field
                    declared, {name: TextValue(value)}, notebook=notebook.name, text_forms=Forms("form")
                )
            except ParameterError as error:
                raise RequestError(400, str(error), parameter=name) from None
            except yaml.YAMLError as error:  # a malformed list/dict or a YAML tag
                first = str(error).splitlines()[0]
                raise RequestError(
                    400, f"parameter {name!r} is not valid YAML: {first}", parameter=name
                ) from None
        return raw

    def check(self, notebook: Path, given: Any) -> dict[str, Any]:
        """Check ``given`` as :meth:`start` would; the coerced values, as JSON, by name."""
        from mlcheck.runs import coerce_parameters, read_parameters
        from mlcheck.runs.parameters import TextValue
        from mlcheck_jupyter.runview import jsonable

        raw = self._validate(notebook, given)
        texts = {name: TextValue(value) for name, value in raw.items()}  # read as `-p` reads it
        checked: dict[str, Any] = jsonable(
            coerce_parameters(read_parameters(notebook), texts, notebook=notebook.name)
        )
        return checked

    # -- jobs --------------------------------------------------------------
    def active(self, notebook: Path | None = None) -> list[Job]:
        return [
            job for job in self.jobs.values()
            if job.state in ACTIVE and (notebook is None or job.notebook == notebook)
        ]  # fmt: skip

    def start(self, notebook: Path, given: Any, *, allow_duplicate: bool = False) -> Job:
        """Queue ``mlcheck run`` on ``notebook`` with parameters ``given``; it starts when a slot is free.

        Raises RequestError (400 for a bad parameter, 409 for a duplicate, 429
        for a full queue) before anything is written.
        """
        raw = self._validate(notebook, given)
        self._tick()
        if not allow_duplicate:
            busy = self.active(notebook) or self.folder.external_runs(notebook, set(self.jobs))
            if busy:
                other = busy[0]
                identifier = other.job_id if isinstance(other, Job) else other["id"]
                raise RequestError(
                    409,
                    f"{self.relative(notebook)} already has job {identifier} queued or running; wait for it, "
                    'cancel it, or start another one with "allow_duplicate": true',
                    field="path",
                )
        if sum(1 for job in self.jobs.values() if job.state == "queued") >= self.max_queued_jobs:
            raise RequestError(
                429,
                f"{self.max_queued_jobs} jobs are already waiting; try again when some have finished "
                "(JobManager.max_queued_jobs sets the limit)",
            )
        job_id = new_run_id()
        logs = self.runs_path / ".jobs"
        job = Job(
            job_id=job_id,
            notebook=notebook,
            parameters=raw,
            run_dir=self.runs_path / notebook.stem / job_id,
            log_path=logs / f"{job_id}.log",
            parameter_file=logs / f"{job_id}.parameters.yaml",
        )
        self.jobs[job_id] = job
        self._tick()
        return job

    def _launch(self, job: Job) -> None:
        """Start the queued ``job``'s process; a launch that fails finishes the job as an error."""
        from mlcheck._atomic import atomic_write_text
        from mlcheck.runs.parameters import parameter_file_text

        command = [
            sys.executable, "-m", "mlcheck", "run", str(job.notebook), "--run-id", job.job_id,
            "--runs-dir", str(self.runs_path), "--progress", "plain",
        ]  # fmt: skip
        try:
            if self.runs_path.is_symlink():
                raise OSError(f"the runs directory {self.runs_path} was replaced by a symbolic link")
            job.log_path.parent.mkdir(parents=True, exist_ok=True)
            if job.parameters:
                # each form value tagged !text: `mlcheck run -f` reads it exactly as `-p NAME VALUE`
                # (and as _validate checked it)
                text = parameter_file_text(job.parameters, as_text=True)
                atomic_write_text(job.parameter_file, text)
                command += ["--parameter-file", str(job.parameter_file)]
            with open(job.log_path, "wb") as log:
                job.process = subprocess.Popen(
                    command,
                    cwd=job.notebook.parent,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C at the server does not reach the job
                )
        except OSError as error:
            for leftover in (job.log_path, job.parameter_file):
                leftover.unlink(missing_ok=True)
            job.final = self._ended(
                job, state="error", exit_code=None, message=f"the job could not start: {error}"
            )
            self.log.error("mlcheck job %s could not start: %s", job.job_id, error)
            return
        job.started = time.time()
        self.log.info("mlcheck job %s started: %s (pid %d)", job.job_id, job.notebook, job.process.pid)

    def _tick(self) -> None:
        """Settle finished jobs and start queued ones while slots are free; keep ticking while busy."""
        running = 0
        for job in self.jobs.values():
            if job.process is not None and job.final is None:
                if job.process.poll() is None:
                    running += 1
                else:
                    self.status(job)  # settles job.final
        for job in list(self.jobs.values()):
            if running >= self.max_concurrent_jobs:
                break
            if job.state == "queued":
                self._launch(job)
                running += job.process is not None and job.final is None
        self._forget_old()
        busy = any(job.state in ACTIVE for job in self.jobs.values())
        if busy and self._ticker is None:
            from tornado.ioloop import PeriodicCallback

            self._ticker = PeriodicCallback(self._tick, 500)
            self._ticker.start()
        elif not busy and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _forget_old(self) -> None:
        """Keep the newest KEEP_FINISHED finished jobs in memory; older ones are read from their run directories."""
        done = [job_id for job_id, job in self.jobs.items() if job.final is not None]
        for job_id in done[: max(len(done) - KEEP_FINISHED, 0)]:
            del self.jobs[job_id]

    def stop(self) -> None:
        """Stop watching (the server shuts down); running jobs go on in their own sessions."""
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def cancel(self, job: Job) -> None:
        """Cancel a queued job (it never starts) or stop a running one (SIGTERM; SIGKILL if it lingers)."""
        if job.state == "queued":
            job.cancel_requested = True
            job.final = self._ended(
                job, state="cancelled", exit_code=None, message="cancelled before it started"
            )
            return
        if job.final is not None or job.process is None or job.process.poll() is not None:
            self.status(job)
            raise RequestError(409, f"job {job.job_id} has already finished ({job.state}); nothing to cancel")
        job.cancel_requested = True
        job.process.send_signal(signal.SIGTERM)  # Popen: our child, not yet reaped, so the pid is ours
        process = job.process

        def escalate() -> None:
            if process.poll() is None:  # still our unreaped child: its process group is its own session
                self.log.warning("mlcheck job %s ignored SIGTERM; killing it", job.job_id)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        from tornado.ioloop import IOLoop

        IOLoop.current().call_later(self.kill_after, escalate)

    def cancel_external(self, run_dir: Path) -> dict[str, Any]:
        """Stop a run this server did not start, if the operating system proves which process runs it."""
        from mlcheck.runs.runlock import holder

        pid = holder(run_dir)
        if pid is None:
            raise RequestError(
                409, f"run {run_dir.name} is not running (no process holds its lock); nothing to cancel"
            )
        try:
            handle = os.pidfd_open(pid)  # pins this process: its pid cannot be reused while we hold it
        except (AttributeError, OSError):
            raise RequestError(409, f"run {run_dir.name} ended meanwhile; nothing to cancel") from None
        try:
            if holder(run_dir) != pid:  # checked again now that the pid is pinned
                raise RequestError(409, f"run {run_dir.name} ended meanwhile; nothing to cancel")
            signal.pidfd_send_signal(handle, signal.SIGTERM)
        finally:
            os.close(handle)
        job = self.folder.running(run_dir) or self.folder.by_id(run_dir.name) or {}
        return {**job, "state": "cancelling"}

    # -- state -------------------------------------------------------------
    def _base(self, job: Job) -> dict[str, Any]:
        return {
            "id": job.job_id,
            "run_id": job.job_id,
            "path": self.relative(job.notebook),
            "run_dir": self.relative(job.run_dir) if job.run_dir.is_dir() else None,
            "parameters": job.parameters,
            "given_parameters": job.parameters,
            "queued": job.queued,
            "started": job.started,
        }

    def _ended(self, job: Job, *, state: str, exit_code: int | None, message: str) -> dict[str, Any]:
        return {
            **self._base(job),
            "state": state,
            "exit_code": exit_code,
            "message": message,
            "results": [],
            "values": {},
            "failed_cell": None,
            "ended": time.time(),
        }

    def status(self, job: Job) -> dict[str, Any]:
        """What the job is doing now, or how it ended (with results once it has)."""
        if job.final is not None:
            return job.final
        base = self._base(job)
        if job.process is None:
            waiting = [j for j in self.jobs.values() if j.state == "queued"]
            return {**base, "state": "queued", "position": waiting.index(job) + 1}
        returncode = job.process.poll()
        if returncode is None:
            status = self.folder.status(job.run_dir)
            elapsed = time.time() - (job.started or time.time())  # status.json only changes per cell
            return {**base, "state": job.state, "progress": self.folder.progress(status, elapsed=elapsed)}
        summary = self.folder.summary(job.run_dir)
        if summary is not None:
            job.final = {**base, **summary}
        else:  # the runner never wrote run.json: it refused to start or crashed; its output says why
            from mlcheck.runs.rundir import Status

            if job.cancel_requested:
                state = Status.CANCELLED
                message = self.log_tail(job) or "cancelled before the run began; it made no run directory"
            else:
                try:  # mlcheck run's exit code says which (2: usage, 6: infrastructure, ...)
                    state = Status.from_exit_code(returncode)
                except ValueError:  # killed by a signal, or a crash outside the table
                    state = Status.ERROR
                message = self.log_tail(job) or f"mlcheck run exited with code {returncode}"
            job.final = {
                **self._ended(job, state=state.value, exit_code=returncode, message=message),
                "retry": state.retry,
            }
        job.parameter_file.unlink(missing_ok=True)  # read by the job at its start; run.json keeps the values
        return job.final

    def log_tail(self, job: Job, limit: int = 4000) -> str:
        try:
            text = job.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-limit:].strip()

    def listing(self, notebook: Path | None) -> list[dict[str, Any]]:
        """Jobs queued or running: this server's, then runs started elsewhere."""
        self._tick()
        own = [self.status(job) for job in self.active(notebook)]
        return own + self.folder.external_runs(notebook, set(self.jobs))

    def history(self, notebook: Path, limit: int = 20) -> list[dict[str, Any]]:
        """Finished runs of ``notebook``, newest first, and this server's jobs that ended without one."""
        self._tick()
        runs = self.folder.history(notebook, limit)
        seen = {run["run_id"] for run in runs}
        for job in self.jobs.values():
            if job.notebook == notebook and job.final is not None and job.job_id not in seen:
                runs.append(job.final)
        runs.sort(key=lambda run: _sort_time(run), reverse=True)
        return runs[:limit]

    def status_by_id(self, job_id: str) -> dict[str, Any] | None:
        """A job of this server, or any run under the runs directory, by id; None when unknown."""
        self._tick()
        job = self.jobs.get(job_id)
        if job is not None:
            return self.status(job)
        return self.folder.by_id(job_id)

    def cancel_by_id(self, job_id: str) -> dict[str, Any] | None:
        """Cancel a job of this server, or a run started elsewhere whose process is proven; None when unknown."""
        job = self.jobs.get(job_id)
        if job is not None:
            self.cancel(job)
            self._tick()
            return self.status(job)
        run_dir = self.folder.find(job_id)
        if run_dir is None:
            return None
        if (run_dir / "run.json").exists():
            raise RequestError(409, f"run {job_id} has already finished; nothing to cancel")
        return self.cancel_external(run_dir)

    def latest(self, notebook: Path) -> dict[str, Any] | None:
        return self.folder.latest(notebook)


def _sort_time(run: dict[str, Any]) -> float:
    """Seconds since the epoch a run started (run.json keeps ISO text, jobs keep numbers)."""
    started = run.get("started") or run.get("queued")
    if isinstance(started, (int, float)):
        return float(started)
    if isinstance(started, str):
        from datetime import datetime

        try:
            return datetime.fromisoformat(started).timestamp()
        except ValueError:
            return 0.0
    return 0.0
