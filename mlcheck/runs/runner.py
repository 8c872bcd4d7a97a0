"""Execute a notebook as a job: parameters checked first, papermill runs it, a run directory keeps it all.

The run directory (layout, records, status words: :mod:`mlcheck.runs.rundir`)
holds ``output.ipynb`` (saved whatever happens, its metadata saying truthfully
how the run ended), ``run.json``, ``report.html`` and ``status.json``.

Cancelling (SIGINT, SIGTERM) is safe at any moment: while cells run or the
kernel starts, the kernel is interrupted and killed; while records are being
written, the signal waits until they are complete. Either way the job ends
with a record whose status is ``cancelled`` (exit 130), or, when the cancel
came after the last cell, with the run's own status and no report. No kernel
and no temporary file outlive the job; a job killed outright (SIGKILL) leaves
one temporary folder, which the next job removes.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import nbformat

from mlcheck.errors import UsageError
from mlcheck.kernel import RUN_DIR_ENV, RUN_ID_ENV
from mlcheck.runs import outcome as outcomes
from mlcheck.runs import runlock
from mlcheck.runs.parameters import (
    Forms,
    coerce_parameters,
    inject_parameters,
    load_notebook,
    load_parameter_file,
    read_parameters,
    require_python_kernel,
)
from mlcheck.runs.rundir import (
    INPUT_FILE,
    RUN_KINDS,
    OUTPUT_FILE,
    PARTIAL_FILE,
    REPORT_FILE,
    RUN_FILE,
    STATUS_FILE,
    InfrastructureError,
    Run,
    RunRecord,
    Status,
    StatusRecord,
    create_run_dir,
    new_run_id,
    read_run,
    write_record,
    write_status,
)

__all__ = ["Run", "RunWarning", "new_run_id", "read_run", "run_notebook"]
# kept importable from here for code written before rundir existed
_ = (OUTPUT_FILE, REPORT_FILE, RUN_FILE, STATUS_FILE)

Progress = Callable[[Mapping[str, Any]], None]
INJECTED_TAG = outcomes.INJECTED_TAG
#: prefix of the per-job temporary folder (kernel sockets, connection file, scratch)
TEMP_PREFIX = "mlcheck-job-"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

# Runs first in the job's kernel: the interpreter and package versions *as the
# kernel sees them*. Self-contained, so it works in a kernel without mlcheck.
_ENVIRONMENT_PROBE = """\
def _mlcheck_environment():
    import importlib.metadata as metadata, platform, sys
    from IPython.display import publish_display_data
    packages = {}
    for dist in metadata.distributions():
        meta = dist.metadata  # parsed once: dist.version would parse the file again
        name = meta["Name"]
        if name:
            packages[name.lower()] = meta["Version"]
    publish_display_data({"application/vnd.mlcheck.result+json": {
        "version": 1, "kind": "environment", "python": platform.python_version(),
        "implementation": platform.python_implementation(), "executable": sys.executable,
        "platform": platform.platform(), "packages": dict(sorted(packages.items()))},
        "text/plain": ""})
_mlcheck_environment(); del _mlcheck_environment

def _mlcheck_strict_cd():
    # IPython's %cd prints a failure ("[Errno 2] No such file or directory") and carries on in
    # the old folder, so every later cell would read and write in the wrong place. A job stops
    # there instead: a %cd that does not reach its folder is a failed cell.
    import os
    from IPython import get_ipython
    from IPython.core.error import UsageError
    shell = get_ipython()
    original = shell.find_line_magic("cd") if shell is not None else None
    if original is None:
        return
    def cd(line=""):
        before = os.getcwd()
        result = original(line)
        target = line.strip()
        if target and not target.startswith("-") and os.getcwd() == before:
            path = os.path.expanduser(target.strip(chr(39) + chr(34)))  # quotes around the folder
            if not (os.path.isdir(path) and os.path.samefile(path, before)):
                raise UsageError(f"%cd {target}: no such folder; the job stops here")
        return result
    cd.__doc__ = original.__doc__
    shell.register_magic_function(cd, "line", "cd")
_mlcheck_strict_cd(); del _mlcheck_strict_cd
"""


class RunWarning(UserWarning):
    """Something around a run went wrong without changing how the run itself ended."""


class Cancelled(KeyboardInterrupt):
    """A job cancelled by SIGINT or SIGTERM.

    A subclass, so every ``except KeyboardInterrupt`` treats it as Ctrl-C; not
    KeyboardInterrupt itself, because CPython remembers a KeyboardInterrupt that
    passed through code run by ``exec`` of a string (dataclasses, namedtuples)
    and, even when it was caught, makes the process die of SIGINT at exit
    instead of exiting with the run's code.
    """


class _Signals:
    """SIGINT and SIGTERM during a job: interrupt the work where that is safe, hold them elsewhere.

    The handler raises KeyboardInterrupt only inside :meth:`interruptible`
    blocks (waiting for the kernel, running cells), and only for the first
    signal; any other signal is remembered in :attr:`pending` and acted on at
    the next safe point. So a cancel is never lost, and never cuts a record in
    half or leaves a kernel launched but unmanaged.
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self._interruptible = False
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; the embedding program handles them
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Put the caller's handlers back, then hand them a signal that arrived meanwhile.

        The run is recorded by now; the caller decides what the signal means to
        it (``mlcheck run`` exits with the run's code, pytest stops, a default
        SIGTERM ends the process), so an interrupt is never swallowed.
        """
        installed = bool(self._previous)
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
        if installed and self.pending is not None:
            signal.raise_signal(self.pending)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.pending is None
        self.pending = self.pending or signum
        if first and self._interruptible:
            self._interruptible = False
            raise Cancelled(f"signal {signum}")

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        if self.pending is not None:
            raise Cancelled(f"signal {self.pending}")
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


def _warn_if_shared(runs_path: Path, notebook_path: Path) -> None:
    """Warn when the stem's folder already holds runs of another notebook of the same name.

    Runs are foldered by stem (``runs/job/``): ``a/job.ipynb`` and ``b/job.ipynb``
    with one ``--runs-dir`` share it. History and ``latest`` keep them apart by
    the path each record names, but a shared folder is easy to misread, so say so once per run.
    """
    from mlcheck.runs.rundir import notebook_folder, same_notebook, scan

    for scanned in scan(runs_path, notebook_path):  # newest first: one readable record is enough
        if scanned.run is None:
            continue
        other = Path(scanned.run.record.notebook)
        if not same_notebook(other, notebook_path, runs_path):  # a moved or copied project is the same one
            warnings.warn(
                f"{notebook_folder(runs_path, notebook_path)} also holds runs of {other}, another notebook "
                f"named {notebook_path.name}: give each its own --runs-dir to keep their runs apart",
                RunWarning,
                stacklevel=3,
            )
        return


def _check_runs_dir(runs_dir: str | Path | None, notebook_path: Path) -> Path:
    """The absolute runs directory: beside the notebook by default; relative paths from the current folder."""
    if runs_dir is None:
        return notebook_path.parent / "runs"
    if _URL.match(str(runs_dir)):
        raise UsageError(
            f"--runs-dir must be a local folder, got the URL {str(runs_dir)!r}; run directories are written "
            "locally (copy them to object storage afterwards, e.g. with your storage's sync command)"
        )
    return Path(runs_dir).expanduser().resolve()


def _prepared(notebook: nbformat.NotebookNode, kernel_language: str | None) -> nbformat.NotebookNode:
    prepared: nbformat.NotebookNode = nbformat.from_dict(notebook)
    prepared.nbformat_minor = max(int(prepared.get("nbformat_minor", 5)), 5)
    for cell in prepared.cells:  # cell ids (nbformat 4.5) let every record point at a cell
        if not cell.get("id"):
            cell["id"] = secrets.token_hex(4)  # nbformat's own form: 8 characters of [0-9a-f]
    # papermill picks its parameter translator by the notebook's language; a notebook
    # that names none runs in the kernel we chose, so it speaks that kernel's language
    spec = prepared.metadata.setdefault("kernelspec", {})
    if kernel_language and not spec.get("language"):
        spec["language"] = kernel_language
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


def _host_tag() -> str:
    """Six hex digits naming this machine: a job sweeps only its own machine's leftovers.

    A shared temporary folder (two containers, one volume) must not lose a live
    job's kernel files because its pid means nothing in another pid namespace.
    """
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _temporary_prefix() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-{_host_tag()}-"


def _sweep_temporaries() -> None:
    """Remove the temporary folders this machine's jobs left when killed outright (their pid is gone)."""
    root = Path(tempfile.gettempdir())
    try:
        entries = list(root.glob(f"{TEMP_PREFIX}*-{_host_tag()}-*"))
    except OSError:
        return
    for entry in entries:
        try:
            pid = int(entry.name[len(TEMP_PREFIX) :].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    runs_dir: str | Path | None = None,
    parameter_file: str | Path | None = None,
    timeout: float | None = None,
    cell_timeout: float | None = None,
    kernel: str | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
    report: bool = True,
    cwd: str | Path | None = None,
    log_output: bool = False,
    kind: str = "job",
) -> Run:
    """Execute ``notebook`` with papermill into a new run directory.

    Parameters are checked before anything runs; the job runs in the notebook's
    own folder (or ``cwd``), in the current interpreter's kernel unless
    ``kernel`` names another.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` to execute (it is never modified).
    parameters : mapping, optional
        Values by name; strings are coerced to each parameter's declared type.
    runs_dir : path, optional
        Where run directories go (``<runs_dir>/<notebook-stem>/<run-id>/``); by
        default ``runs/`` beside the notebook. A relative path is taken from the
        current folder, like every path given on the command line. URLs are refused.
    parameter_file : path, optional
        A YAML or JSON mapping of parameters; ``parameters`` override it.
    timeout, cell_timeout : float, optional
        Seconds for the whole run (kernel start-up included), and for any one cell.
    kernel : str, optional
        A kernelspec name; by default the interpreter mlcheck runs in.
    progress : callable, optional
        Called with the ``status.json`` mapping each time a cell starts and at the end.
    run_id : str, optional
        Use this run id instead of a new one (the directory must not exist).
    report : bool, default True
        Render ``report.html``.
    cwd : path, optional
        The kernel's working folder (papermill's ``--cwd``); by default the notebook's folder.
    log_output : bool, default False
        Stream the notebook's own output (prints, logging) to this process's stderr as cells run.
    kind : {"job", "ci", "golden"}, default "job"
        Recorded in ``run.json``; ``mlcheck history`` keeps test (``ci``) and
        golden-parity runs apart from the notebook's own jobs.

    Returns
    -------
    Run
        Its ``exit_code`` follows :class:`mlcheck.runs.rundir.Status` (see
        ``mlcheck run --help``): 0 every check held, 1 a check failed, 3 a cell
        raised, 4 timeout, 5 the kernel died, 6 infrastructure, 7 bundle integrity, 130 cancelled.

    Raises
    ------
    ParameterError, NotebookError, UsageError
        Before any cell runs, for an unknown or ill-typed parameter, a missing or
        invalid notebook, or bad options (exit code 2).
    PathNotWritable
        The run directory cannot be created for its path (read-only, no permission; exit code 2).
    InfrastructureError
        The run directory cannot be created for the machine's sake (full disk; exit code 6).

    Examples
    --------
    >>> run = run_notebook("train.ipynb", {"sample": "0.2"}, timeout=600)  # doctest: +SKIP
    >>> run.exit_code, run.run_dir  # doctest: +SKIP
    """
    if kind not in RUN_KINDS:
        raise UsageError(f"kind must be one of {', '.join(RUN_KINDS)}, got {kind!r}")
    notebook_path = Path(notebook).expanduser().resolve()
    source = load_notebook(notebook_path)
    declared = read_parameters(source)
    raw: dict[str, Any] = dict(load_parameter_file(parameter_file)) if parameter_file is not None else {}
    raw.update(parameters or {})
    file_forms = (
        Forms("json" if str(parameter_file).lower().endswith(".json") else "yaml", where=str(parameter_file))
        if parameter_file is not None
        else None
    )  # a refusal of a file's value shows the file's syntax and names it
    coerced = coerce_parameters(declared, raw, notebook=notebook_path.name, file_forms=file_forms)
    for option, value in (("timeout", timeout), ("cell timeout", cell_timeout)):
        # inf is refused too: it reached math.ceil as an OverflowError (exit 3, retried); omit it for no limit
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(
                f"the {option} must be a positive, finite number of seconds (omit it for no limit), got {value!r}"
            )
    workdir = Path(cwd).expanduser().resolve() if cwd is not None else notebook_path.parent
    if not workdir.is_dir():
        raise UsageError(f"--cwd {cwd} is not a folder")
    runs_path = _check_runs_dir(runs_dir, notebook_path)
    _warn_if_shared(runs_path, notebook_path)

    from mlcheck.runs.kernels import kernel_language, resolve_kernel

    kernel_name = resolve_kernel(kernel)
    require_python_kernel(kernel_name, kernel_language(kernel_name))
    language = kernel_language(kernel_name)
    # From here on a cancel is held, not raised, except while the kernel works: the run
    # directory, once made, always gets its record
    signals = _Signals()
    signals.install()
    try:
        run_id, run_dir = create_run_dir(runs_path, notebook_path, run_id)
        job = _Job(notebook_path, source, declared, coerced, run_id, run_dir, kernel_name, progress)
        job.kind, job.workdir, job.log_output, job.signals = kind, workdir, log_output, signals
        return job.execute(timeout=timeout, cell_timeout=cell_timeout, report=report, language=language)
    finally:
        signals.restore()


class _Job:
    """The state of one run while it executes."""

    def __init__(
        self,
        notebook_path: Path,
        source: nbformat.NotebookNode,
        declared: list[Any],
        coerced: dict[str, Any],
        run_id: str,
        run_dir: Path,
        kernel_name: str,
        progress: Progress | None,
    ) -> None:
        self.notebook_path: Path = notebook_path
        self.source = source
        self.declared = declared
        self.coerced: dict[str, Any] = coerced
        self.run_id: str = run_id
        self.run_dir: Path = run_dir
        self.kernel_name: str = kernel_name
        self.progress: Progress | None = progress
        self.kind = "job"
        self.workdir: Path = notebook_path.parent
        self.log_output = False
        self.started_wall = datetime.now(timezone.utc)
        self.started = time.monotonic()
        self.n_cells = outcomes.count_user_cells(source.cells)
        self.cell_number: int | None = None
        self.current_cell_id: str | None = None
        self.input_path = run_dir / INPUT_FILE
        self.partial_path = run_dir / PARTIAL_FILE
        self.signals = _Signals()
        self.lock: int | None = None

    def status(self, state: Status, **extra: Any) -> None:
        record = StatusRecord(
            run_id=self.run_id,
            notebook=str(self.notebook_path),
            state=state,
            cell=self.cell_number,
            n_cells=self.n_cells,
            elapsed=round(time.monotonic() - self.started, 3),
            pid=os.getpid(),
            **extra,
        )
        write_status(self.run_dir, record)
        if self.progress is not None:
            self.progress(record.to_dict())

    def _cell_started(self, cell_id: str, number: int, n_cells: int) -> None:
        self.current_cell_id, self.cell_number, self.n_cells = cell_id, number, n_cells
        try:
            self.status(Status.RUNNING)
        except InfrastructureError as error:  # progress is a courtesy; the run goes on
            warnings.warn(str(error), RunWarning, stacklevel=2)

    def execute(
        self, *, timeout: float | None, cell_timeout: float | None, report: bool, language: str | None
    ) -> Run:
        try:
            return self._execute(timeout=timeout, cell_timeout=cell_timeout, report=report, language=language)
        finally:
            runlock.release(self.run_dir, self.lock)  # the run is over, report included

    def _execute(
        self, *, timeout: float | None, cell_timeout: float | None, report: bool, language: str | None
    ) -> Run:
        from mlcheck.runs.outcome import ExecutionWatch  # not engine: papermill loads while the kernel boots
        from mlcheck.runs.kernels import start_kernel, stop_kernel
        from mlcheck.runs.provenance import git_state  # noqa: F401 - imported before any cancel can arrive
        from mlcheck.runs.results import collect  # noqa: F401

        deadline = self.started + timeout if timeout else None
        watch = ExecutionWatch(deadline=deadline, cell_timeout=cell_timeout, on_cell_start=self._cell_started)
        ending, error = "completed", None
        manager = None
        scratch: Path | None = None
        try:
            try:
                from mlcheck._atomic import atomic_write_text

                _sweep_temporaries()
                try:  # one folder for the kernel's sockets, connection file and scratch space
                    scratch = Path(tempfile.mkdtemp(prefix=_temporary_prefix()))
                except OSError as exc:
                    raise InfrastructureError(
                        f"cannot create a temporary folder: {exc.strerror or exc}"
                    ) from None

                try:  # held until the run ends: the proof, for whoever cancels it, that this process is the run
                    self.lock = runlock.hold(self.run_dir)
                except OSError:  # a file system without record locks: only the run's starter can cancel it
                    self.lock = None
                try:
                    atomic_write_text(
                        self.input_path,
                        nbformat.writes(inject_parameters(_prepared(self.source, language), self.coerced)),
                    )
                except OSError as exc:
                    raise InfrastructureError(
                        f"cannot write {self.input_path}: {exc.strerror or exc}"
                    ) from None
                self.status(Status.STARTING)
                environment = {**os.environ, RUN_ID_ENV: self.run_id, RUN_DIR_ENV: str(self.run_dir)}
                # hypothesis (behind check_parity) keeps a cache in the working directory, which is the
                # user's notebook folder; a job gives it a scratch folder instead
                environment.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(scratch / "hypothesis"))
                # launching is never interrupted: a kernel launched but not yet managed would be orphaned
                manager = start_kernel(
                    self.kernel_name, cwd=str(self.workdir), env=environment, folder=scratch
                )
                # papermill and nbconvert load here while the kernel boots, in this thread: an
                # import thread could hold the import lock that an interrupted main thread waits for
                import papermill  # noqa: F401

                if report:
                    _warm_report_imports()
                with self.signals.interruptible():
                    ending, error = self._execute_with(manager, watch, timeout)
            except KeyboardInterrupt as exc:
                ending, error = "cancelled", exc
                try:  # what the panel and the progress line show while the kernel is stopped
                    self.status(Status.CANCELLING)
                except InfrastructureError:
                    pass
            except InfrastructureError as exc:
                ending, error = "infrastructure", exc
            except Exception as exc:  # noqa: BLE001 - a bug in mlcheck or papermill must still leave a record
                import traceback

                traceback.print_exc(file=sys.stderr)
                ending, error = "crashed", exc
        finally:
            if manager is not None:
                stop_kernel(manager)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        if self.signals.pending is not None and ending == "completed" and self.cell_number is None:
            ending = "cancelled"  # cancelled before the first cell: a record that no cell ran
        run = self._finish(ending, error, watch, timeout=timeout)
        if report and self.signals.pending is None:
            self._render_report()
        elif report:
            warnings.warn(
                f"the job was cancelled, so report.html was not rendered (`mlcheck report {self.run_dir}` renders it)",
                RunWarning,
                stacklevel=3,
            )
        return run

    def _execute_with(
        self, manager: Any, watch: Any, timeout: float | None
    ) -> tuple[str, BaseException | None]:
        import papermill
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        from mlcheck.runs.engine import ENGINE_NAME

        remaining = (watch.deadline - time.monotonic()) if watch.deadline is not None else None
        try:
            papermill.execute_notebook(
                str(self.input_path),
                str(self.partial_path),
                parameters=None,  # injected by inject_parameters (papermill's translator writes tuples as text)
                engine_name=ENGINE_NAME,
                kernel_name=self.kernel_name,
                progress_bar=False,
                # the notebook's own output, streamed as it comes (papermill's --log-output, without its logger)
                stderr_file=sys.stderr if self.log_output else None,
                stdout_file=sys.stderr if self.log_output else None,
                start_timeout=max(min(60, math.ceil(remaining)), 1) if remaining is not None else 60,
                km=manager,
                watch=watch,
            )
            ending, error = "completed", None
        except PapermillExecutionError as exc:
            ending, error = "raised", exc
        except CellTimeoutError as exc:
            ending, error = "timeout", exc
        except DeadKernelError as exc:
            ending, error = "died", exc
        except OSError as exc:  # papermill saving the notebook: a full disk, a read-only folder
            ending, error = "infrastructure", exc
        except RuntimeError as exc:  # nbclient: "Kernel died before replying to kernel_info"
            if "kernel" not in str(exc).lower():
                raise
            if watch.deadline is not None and time.monotonic() >= watch.deadline:
                ending, error = "timeout", exc
            else:  # no cell ran: the kernel failed to start, which is the machine's fault, not the notebook's
                ending, error = ("died" if self.cell_number is not None else "infrastructure"), exc
        if watch.timed_out:
            ending = "timeout"
        return ending, error

    def _render_report(self) -> None:
        """Render report.html; a rendering problem (or a cancel) is reported, never allowed to sink a finished run."""
        from mlcheck.runs.report import render_report

        try:
            with self.signals.interruptible():
                render_report(self.run_dir)
        except KeyboardInterrupt:
            (self.run_dir / REPORT_FILE).unlink(missing_ok=True)
            warnings.warn(
                f"cancelled while rendering report.html; the run is complete. Render it with `mlcheck report {self.run_dir}`.",
                RunWarning,
                stacklevel=3,
            )
        except Exception as error:  # noqa: BLE001 - the run, output.ipynb and run.json are already saved
            warnings.warn(
                f"report.html was not rendered ({type(error).__name__}: {error}); the run is complete. "
                f"Try again with `mlcheck report {self.run_dir}`.",
                RunWarning,
                stacklevel=3,
            )

    def _executed(self) -> nbformat.NotebookNode:
        """The executed notebook: papermill's partial output, or the prepared input if none is readable."""
        for path in (self.partial_path, self.input_path):
            try:
                executed: nbformat.NotebookNode = nbformat.read(str(path), as_version=4)
                return executed
            except Exception:  # noqa: BLE001, S112 - a write cut short by the cancel; fall back to the input
                continue
        return _prepared(self.source, None)

    def _finish(self, ending: str, error: BaseException | None, watch: Any, *, timeout: float | None) -> Run:
        """Write output.ipynb, run.json and the final status.json (a cancel waits until they are written)."""
        from mlcheck.runs.provenance import git_state, input_hashes, sha256_file
        from mlcheck.runs.results import collect

        ended_wall = datetime.now(timezone.utc)
        duration = time.monotonic() - self.started
        executed = self._executed()
        running = (
            watch.timeout_cell_id if ending == "timeout" and watch.timeout_cell_id else self.current_cell_id
        )
        verdict = outcomes.settle(
            executed, ending, error, running,
            timeout=timeout, cell_timeout=watch.cell_timeout, binding_limit=watch.binding_limit,
        )  # fmt: skip
        found = collect(executed, self.run_dir)  # the full records the kernel wrote, not the cards' views
        status, message = outcomes.exit_status(verdict, found.results)
        outcomes.mark_notebook(executed, self.run_id, status, message, verdict)
        problems = []
        try:
            from mlcheck._atomic import atomic_write_text

            atomic_write_text(self.run_dir / OUTPUT_FILE, nbformat.writes(executed))
        except OSError as exc:
            problems.append(f"output.ipynb could not be written ({exc.strerror or exc})")
        for leftover in (self.partial_path, self.input_path):
            leftover.unlink(missing_ok=True)
        if problems:
            status, message = Status.INFRASTRUCTURE, f"{'; '.join(problems)}; the run itself: {message}"

        effective = {p.name: p.default for p in self.declared}
        effective.update(self.coerced)
        record = RunRecord(
            run_id=self.run_id,
            notebook=str(self.notebook_path),
            status=status,
            exit_code=int(status.exit_code or 0),
            message=message,
            retry=status.retry,
            kind=self.kind,
            notebook_sha256=_best_effort(sha256_file, self.notebook_path) or "",
            parameters=effective,
            given_parameters=self.coerced,
            seed=effective.get("seed"),
            started=self.started_wall.isoformat(),
            ended=ended_wall.isoformat(),
            duration=round(duration, 3),
            timeout=timeout,
            kernel=self.kernel_name,
            cwd=str(self.workdir),
            n_cells=self.n_cells,
            cells=outcomes.cell_timings(executed),
            failed_cell=verdict.failed_cell,
            input_hashes=_best_effort(input_hashes, effective, self.workdir),
            git=_best_effort(git_state, self.notebook_path.parent),
            environment=found.environment,
            results=[r.to_dict() for r in found.results],
            values=found.values,
        )
        try:
            run = write_record(self.run_dir, record)
        except InfrastructureError as exc:
            record.status, record.exit_code, record.retry = Status.INFRASTRUCTURE, 6, True
            record.message = f"{exc}; the run itself: {message}"
            run = Run(record, self.run_dir)
            warnings.warn(str(exc), RunWarning, stacklevel=3)
            return run
        try:
            self.status(record.status, exit_code=record.exit_code, message=record.message)
        except InfrastructureError as exc:
            warnings.warn(str(exc), RunWarning, stacklevel=3)
        return run


def _best_effort(compute: Callable[..., Any], *args: Any) -> Any:
    """Provenance that cannot be read (a file gone, git broken) is recorded as missing, never sinks the record."""
    try:
        return compute(*args)
    except Exception as error:  # noqa: BLE001 - the record must be written whatever provenance does
        warnings.warn(f"provenance not recorded: {type(error).__name__}: {error}", RunWarning, stacklevel=2)
        return {}


def _warm_report_imports() -> None:
    """Import nbconvert and render once while the kernel boots, so the report costs only its own rendering."""
    try:
        from mlcheck.runs.report import warm_up

        warm_up()
    except Exception:  # noqa: BLE001, S110 - only a head start; render_report reports real problems
        pass
