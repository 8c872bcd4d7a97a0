"""Run directories: where a job's files live, what its records say, how runs are found.

This module is the one home of the idea. Everything that writes or reads a run
(the runner, ``mlcheck history`` and ``report``, the export gate, the pytest
plugin, the JupyterLab server extension) goes through it.

Layout
------
``<runs_dir>/<notebook-stem>/<run-id>/`` holds

``output.ipynb``
    the executed notebook, saved whatever happens; its metadata says how the run ended;
``run.json``
    the :class:`RunRecord`: status, exit code, parameters, timings, provenance, results;
``report.html``
    the human-readable report;
``status.json``
    the :class:`StatusRecord`: progress while the job runs, the final status after;
``records/``
    the full record of each check, written by the kernel (``mlcheck.kernel.record_path``);
``.lock``
    locked (POSIX record lock) by the process that executes the run, for as long as it
    runs: :func:`mlcheck.runs.runlock.holder` names that process, so a run "is running"
    exactly when the lock has a holder.

While the job runs, hidden files (``.input.ipynb``, ``.output.partial.ipynb``)
hold the prepared and the partly executed notebook; they are gone when it ends.

Run ids are ``YYYYMMDDTHHMMSSffffffZ-xxxxxx``: the UTC start time to the
microsecond (so ids sort by start time) and six random hex digits (so two
processes never collide). A caller may choose its own id (``--run-id``): any
plain name, not hidden, without slashes.

Status and exit code
--------------------
:class:`Status` is the one vocabulary of how a run stands or ended; each final
status carries the exit code of ``mlcheck run`` and whether a scheduler should
retry. ``python -m mlcheck.runs.rundir --table`` prints the table and
``--schema`` the JSON Schema of both records (the JupyterLab frontend's types
are tested against it).

Strict JSON
-----------
Records are strict JSON: a non-finite number is written as the string
``"nan"``, ``"inf"`` or ``"-inf"`` (the rule of :func:`mlcheck.results.to_jsonable`),
never as the bare ``NaN`` that strict readers refuse.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from mlcheck.errors import MlcheckError, PathNotWritable, UsageError

if TYPE_CHECKING:
    from mlcheck.results import CheckResult

__all__ = [
    "OUTPUT_FILE",
    "REPORT_FILE",
    "RUN_FILE",
    "STATUS_FILE",
    "DamagedRun",
    "InfrastructureError",
    "Run",
    "RunRecord",
    "ScannedRun",
    "Status",
    "StatusRecord",
    "create_run_dir",
    "exit_code_table",
    "find_run",
    "json_schema",
    "latest",
    "new_run_id",
    "read_run",
    "read_status",
    "scan",
    "write_record",
    "write_status",
]

RUN_FILE, OUTPUT_FILE, REPORT_FILE, STATUS_FILE = "run.json", "output.ipynb", "report.html", "status.json"
#: the prepared notebook and papermill's partial output while the job runs (hidden; removed at the end)
INPUT_FILE, PARTIAL_FILE = ".input.ipynb", ".output.partial.ipynb"
#: version of the run.json layout; 1 = records written before this module (read all the same)
SCHEMA_VERSION = 2
#: ``kind`` of a run: a job (``mlcheck run``, a scheduler, the JupyterLab panel), a notebook run by the
#: pytest plugin, or a scoring run for golden parity; ``mlcheck history`` lists one kind at a time
RUN_KINDS = ("job", "ci", "golden")


class InfrastructureError(MlcheckError):
    """The machine failed the job (disk full, runs directory not writable, kernel did not start).

    Not the user's mistake and not a broken contract: exit code 6, worth a retry.
    """

    exit_code = 6


class DamagedRun(UsageError):
    """A run directory whose ``run.json`` is missing, unreadable or not a run record."""


class Status(str, enum.Enum):
    """How a run stands (``queued``, ``starting``, ``running``, ``cancelling``) or how it ended.

    Each final status carries the exit code of ``mlcheck run`` (:attr:`exit_code`)
    and whether a scheduler should retry (:attr:`retry`); :attr:`meaning` is
    the sentence the log and the ``--help`` table print.

    Examples
    --------
    >>> Status.FAILED.exit_code, Status.FAILED.retry
    (1, False)
    >>> Status.from_exit_code(4)
    <Status.TIMEOUT: 'timeout'>
    """

    exit_code: int | None
    retry: bool
    meaning: str

    def __new__(cls, word: str, exit_code: int | None, retry: bool, meaning: str) -> Self:
        member = str.__new__(cls, word)
        member._value_ = word
        member.exit_code = exit_code
        member.retry = retry
        member.meaning = meaning
        return member

    QUEUED = (
        "queued",
        None,
        False,
        "waiting for a free slot (the JupyterLab server runs a few jobs at a time)",
    )
    STARTING = ("starting", None, False, "the kernel is starting; no cell has run yet")
    RUNNING = ("running", None, False, "cells are running")
    CANCELLING = ("cancelling", None, False, "asked to stop; saving the executed notebook")
    SUCCEEDED = ("succeeded", 0, False, "every contract held")
    FAILED = (
        "failed",
        1,
        False,
        "a contract failed (a check, or the export gate refused); retrying will not change the data",
    )
    USAGE = (
        "usage",
        2,
        False,
        "bad usage, parameters or API use: fix and rerun; no retry",
    )
    ERROR = (
        "error",
        3,
        True,
        "a cell raised, a magic failed or the notebook called sys.exit(non-zero); may be transient",
    )
    TIMEOUT = ("timeout", 4, True, "the run or a cell timed out")
    DIED = ("died", 5, True, "the kernel died (e.g. out of memory)")
    INFRASTRUCTURE = (
        "infrastructure", 6, True,
        "the machine failed the job (disk full, I/O error, kernel did not start)",
    )  # fmt: skip
    INTEGRITY = (
        "integrity",
        7,
        False,
        "a bundle's files do not match its manifest (tampered or damaged); investigate, do not retry",
    )
    CANCELLED = ("cancelled", 130, False, "cancelled by a signal (SIGINT or SIGTERM)")

    @property
    def final(self) -> bool:
        """Whether the run has ended (every status with an exit code)."""
        return self.exit_code is not None

    @classmethod
    def lookup(cls, word: Any) -> Status | None:
        """The status spelled ``word``, or None."""
        for member in cls:
            if member.value == word:
                return member
        return None

    @classmethod
    def parse(cls, word: Any) -> Status:
        """The status spelled ``word``; :class:`DamagedRun` names the known words otherwise."""
        member = cls.lookup(word)
        if member is None:
            known = ", ".join(member.value for member in cls)
            raise DamagedRun(f"unknown run status {word!r}; known: {known}")
        return member

    @classmethod
    def from_exit_code(cls, code: int) -> Status:
        """The final status whose exit code is ``code`` (ValueError for a code outside the table)."""
        for member in cls:
            if member.exit_code == code:
                return member
        raise ValueError(f"no status has exit code {code}")


def exit_code_table() -> str:
    """The exit codes of ``mlcheck run`` as plain text, one line per code (for ``--help`` and the docs)."""
    lines = ["exit  status          retry  meaning"]
    for member in Status:
        if member.final:
            retry = "yes" if member.retry else "no"
            lines.append(f"{member.exit_code:>4}  {member.value:<14}  {retry:<5}  {member.meaning}")
    return "\n".join(lines)


# -- run ids and directories ----------------------------------------------------
def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time (UTC, microseconds) and is unique across processes.

    Examples
    --------
    >>> new_run_id(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc))[:23]
    '20260102T030405000006Z-'
    """
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond:06d}Z-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    """``run_id`` if it can name a run directory; UsageError otherwise."""
    if (
        not isinstance(run_id, str)
        or not run_id
        or any(ch in run_id for ch in "/\\\0")
        or run_id.startswith(".")
    ):
        raise UsageError(f"a run id must be a plain name (no slashes, not hidden), got {run_id!r}")
    return run_id


def notebook_folder(runs_dir: str | Path, notebook: str | Path) -> Path:
    """The folder that holds the runs of ``notebook``: ``<runs_dir>/<notebook-stem>``."""
    return Path(runs_dir) / Path(notebook).stem


def _infrastructure(action: str, path: Path, error: OSError) -> InfrastructureError:
    return InfrastructureError(
        f"cannot {action} {path}: {error.strerror or error}. "
        "Free some disk space or make the runs directory writable (or choose another with --runs-dir)."
    )


def _cannot_create(action: str, path: Path, error: OSError) -> MlcheckError:
    """A refused runs folder (read-only, no permission, a file in the way) is the user's path to fix
    (PathNotWritable, exit 2: retrying never helps); a full disk or I/O error is the machine's (exit 6)."""
    from mlcheck._atomic import _MACHINE_ERRNOS

    if error.errno in _MACHINE_ERRNOS or error.errno is None:
        return _infrastructure(action, path, error)
    raised = PathNotWritable(
        f"cannot {action} {path}: {error.strerror or error}; choose a runs directory you can write to "
        "with --runs-dir (or make this one writable)"
    )
    raised.errno, raised.strerror, raised.filename = error.errno, error.strerror, str(path)
    return raised


def create_run_dir(runs_dir: str | Path, notebook: str | Path, run_id: str | None = None) -> tuple[str, Path]:
    """Create the run directory of a new run of ``notebook``; return ``(run_id, path)``.

    Raises
    ------
    UsageError
        ``run_id`` is not a plain name, or its directory exists already.
    PathNotWritable
        The directory cannot be created for its path (read-only, no permission): exit code 2.
    InfrastructureError
        The directory cannot be created for the machine's sake (full disk, I/O error): exit code 6.
    """
    folder = notebook_folder(runs_dir, notebook)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_create("create the runs folder", folder, error) from None
    if run_id is not None:
        path = folder / check_run_id(run_id)
        try:
            path.mkdir()
        except FileExistsError:
            raise UsageError(f"run directory {path} exists already; choose another --run-id") from None
        except OSError as error:
            raise _cannot_create("create the run directory", path, error) from None
        return run_id, path
    while True:
        candidate = new_run_id()
        try:
            (folder / candidate).mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise _cannot_create("create the run directory", folder / candidate, error) from None
        return candidate, folder / candidate


# -- records --------------------------------------------------------------------
def _write(path: Path, data: Any) -> None:
    from mlcheck._atomic import atomic_write_json  # strict JSON: non-finite numbers as "nan", "inf", "-inf"

    try:
        atomic_write_json(path, data)
    except OSError as error:
        raise _infrastructure("write", path, error) from None


@dataclass
class StatusRecord:
    """``status.json``: how a run stands while it runs, and how it ended.

    ``cell`` is the user's number of the running cell (1-based among the
    notebook's own code cells, as JupyterLab shows them; injected cells are not
    counted) and ``n_cells`` how many such cells there are.
    """

    run_id: str
    notebook: str
    state: Status
    cell: int | None = None
    n_cells: int | None = None
    elapsed: float = 0.0
    pid: int | None = None
    exit_code: int | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["state"] = self.state.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatusRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["state"] = Status.parse(data.get("state"))
        return cls(**values)


def write_status(run_dir: Path, status: StatusRecord) -> None:
    """Replace ``status.json`` atomically (InfrastructureError when it cannot be written)."""
    _write(run_dir / STATUS_FILE, status.to_dict())


def read_status(run_dir: str | Path) -> StatusRecord | None:
    """The run's ``status.json``, or None when it is missing or not readable yet."""
    try:
        data = json.loads((Path(run_dir) / STATUS_FILE).read_text(encoding="utf-8"))
        return StatusRecord.from_dict(data)
    except (OSError, ValueError, TypeError, MlcheckError):
        return None


@dataclass
class RunRecord:
    """``run.json``: everything known about one finished run.

    ``failed_cell`` (when a cell stopped the run) and each result's
    ``details["cell"]`` hold the user's cell number: 1-based among the
    notebook's own code cells as JupyterLab shows them, injected cells not
    counted; ``cell_id`` is the cell's nbformat id, to find it in ``output.ipynb``.
    """

    run_id: str
    notebook: str
    status: Status
    exit_code: int
    message: str = ""
    retry: bool = False
    kind: str = "job"
    notebook_sha256: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    given_parameters: dict[str, Any] = field(default_factory=dict)
    seed: Any = None
    started: str = ""
    ended: str = ""
    duration: float = 0.0
    timeout: float | None = None
    kernel: str = ""
    #: the folder the kernel ran in (relative parameter paths are relative to it)
    cwd: str = ""
    n_cells: int | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)
    failed_cell: dict[str, Any] | None = None
    input_hashes: dict[str, Any] = field(default_factory=dict)
    git: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """Read a record, older layouts included; DamagedRun when it is not a run record."""
        if not isinstance(data, Mapping):
            raise DamagedRun(f"a run record is a JSON object, got {type(data).__name__}")
        missing = [name for name in ("run_id", "notebook", "status", "exit_code") if name not in data]
        if missing:
            raise DamagedRun(f"the run record lacks {', '.join(missing)}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = status = Status.parse(data["status"])
        try:
            values["exit_code"] = int(data["exit_code"])
        except (TypeError, ValueError):
            raise DamagedRun(f"exit_code must be an integer, got {data['exit_code']!r}") from None
        values.setdefault("retry", status.retry)
        values.setdefault("schema_version", 1)
        failed = values.get("failed_cell")
        if isinstance(failed, Mapping) and "cell" not in failed:  # layout 1 kept only the raw index
            values["failed_cell"] = {**failed, "cell": None}
        return cls(**values)


@dataclass
class Run:
    """One run: its record, where it lives, and its results as :class:`CheckResult` objects."""

    record: RunRecord
    run_dir: Path

    run_id = property(lambda self: self.record.run_id)
    status = property(lambda self: self.record.status.value)
    exit_code = property(lambda self: self.record.exit_code)
    message = property(lambda self: self.record.message)
    parameters = property(lambda self: self.record.parameters)
    values = property(lambda self: self.record.values)
    failed_cell = property(lambda self: self.record.failed_cell)
    started = property(lambda self: self.record.started)
    ended = property(lambda self: self.record.ended)
    duration = property(lambda self: self.record.duration)

    @property
    def notebook(self) -> Path:
        return Path(self.record.notebook)

    @property
    def results(self) -> list[CheckResult]:
        from mlcheck.results import CheckResult

        return [CheckResult.from_dict(r) for r in self.record.results]

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [result for result in self.results if result.failed]

    @property
    def output_path(self) -> Path:
        return self.run_dir / OUTPUT_FILE

    @property
    def report_path(self) -> Path:
        return self.run_dir / REPORT_FILE


def write_record(run_dir: Path, record: RunRecord) -> Run:
    """Write ``run.json`` atomically and return the run (InfrastructureError when it cannot be written)."""
    _write(run_dir / RUN_FILE, record.to_dict())
    return Run(record, run_dir)


def read_run(run_dir: str | Path) -> Run:
    """The run recorded in ``run_dir`` (from its ``run.json``; no kernel).

    Raises
    ------
    DamagedRun
        No ``run.json`` (the run is still going, or was killed), or one that is not a run record.
    """
    run_dir = Path(run_dir)
    path = run_dir / RUN_FILE
    if not path.is_file():
        if (run_dir / STATUS_FILE).is_file():
            raise DamagedRun(f"{run_dir} has no run.json yet: the run is still going or was killed")
        raise DamagedRun(
            f"{run_dir} is not a run directory (no {RUN_FILE}); runs live in runs/<notebook>/<run-id>/"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DamagedRun(f"{path} is not valid JSON ({error})") from None
    try:
        record = RunRecord.from_dict(data)
    except DamagedRun as error:
        raise DamagedRun(f"{path}: {error}") from None
    except TypeError as error:
        raise DamagedRun(f"{path} is not a run record ({error})") from None
    return Run(record, run_dir.resolve())


# -- finding runs ---------------------------------------------------------------
@dataclass
class ScannedRun:
    """A run directory found by :func:`scan`: its run, or why it could not be read."""

    run_dir: Path
    run: Run | None
    problem: str = ""

    @property
    def run_id(self) -> str:
        return self.run_dir.name


def _notebook_folders(runs_dir: Path, notebook: str | Path | None) -> list[Path]:
    if notebook is not None:
        folder = notebook_folder(runs_dir, notebook)
        return [folder] if folder.is_dir() else []
    return sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def scan(
    runs_dir: str | Path, notebook: str | Path | None = None, *, unfinished: bool = False
) -> Iterator[ScannedRun]:
    """Every run directory under ``runs_dir`` (of ``notebook``, or of all), newest run id first.

    A damaged ``run.json`` is yielded with ``run=None`` and the problem, never
    raised; a run directory without ``run.json`` (still going, or killed) is
    yielded only with ``unfinished=True``. Hidden folders (``.jobs``, ``.pytest``) are skipped.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return
    found: list[Path] = []
    for folder in _notebook_folders(runs_dir, notebook):
        found += [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for run_dir in sorted(found, key=lambda p: p.name, reverse=True):
        if not (run_dir / RUN_FILE).is_file():
            if unfinished:
                yield ScannedRun(run_dir, None, "no run.json: the run is still going or was killed")
            continue
        try:
            yield ScannedRun(run_dir, read_run(run_dir))
        except DamagedRun as error:
            yield ScannedRun(run_dir, None, str(error))


def same_notebook(recorded: str | Path, notebook: str | Path, runs_dir: str | Path) -> bool:
    """Whether a run that recorded the notebook path ``recorded`` is a run of ``notebook``.

    Runs are foldered by stem, so ``a/job.ipynb`` and ``b/job.ipynb`` sharing a
    runs directory share ``runs/job/``; each run's record names its notebook's
    absolute path. A project moved, copied or mounted elsewhere (with its runs)
    changes every absolute path but not where its notebooks sit relative to
    the runs directory's parent folder, so a run is ``notebook``'s when the
    recorded path is the same file, or ends with ``notebook``'s path relative
    to that folder (``a/job.ipynb``; just ``job.ipynb`` for the runs folder
    beside the notebook, the default).

    Examples
    --------
    >>> same_notebook("/old/proj/a/job.ipynb", "/new/proj/a/job.ipynb", "/new/proj/runs")
    True
    >>> same_notebook("/new/proj/b/job.ipynb", "/new/proj/a/job.ipynb", "/new/proj/runs")
    False
    """
    notebook = Path(notebook).resolve()
    recorded = Path(recorded)
    if recorded == notebook or recorded.resolve() == notebook:
        return True
    try:
        relative = notebook.relative_to(Path(runs_dir).resolve().parent)
    except ValueError:  # the runs live elsewhere: only the same path is the same notebook
        return False
    return recorded.parts[-len(relative.parts) :] == relative.parts


def latest(runs_dir: str | Path, notebook: str | Path, *, kind: str | None = "job") -> Run | None:
    """The finished run of ``notebook`` that started last, or None.

    Two notebooks in different folders may share a stem: only runs whose record
    names this notebook count (:func:`same_notebook`). ``kind`` keeps golden-parity runs apart (None: any).
    """
    best: Run | None = None
    for scanned in scan(runs_dir, notebook):
        run = scanned.run
        if run is None or (kind is not None and run.record.kind != kind):
            continue
        if not same_notebook(run.record.notebook, notebook, runs_dir):
            continue
        if best is None or (run.started, run.run_id) > (best.started, best.run_id):
            best = run
    return best


def find_run(runs_dir: str | Path, reference: str | Path, notebook: str | Path | None = None) -> Path:
    """The run directory ``reference`` names: a path, a run id, or ``latest`` (with ``notebook``).

    Raises
    ------
    UsageError
        Nothing matches; the message lists what would.
    """
    text = str(reference)
    candidate = Path(text)
    if (candidate / RUN_FILE).is_file() or (candidate / STATUS_FILE).is_file():
        return candidate
    runs_dir = Path(runs_dir)
    if text == "latest":
        if notebook is None:
            raise UsageError("`latest` needs the notebook: `mlcheck report latest NB`")
        # the newest job (scheduled or manual) first: a CI or golden-parity run of the pytest plugin is
        # "latest" only when the notebook has never run as a job
        run = latest(runs_dir, notebook, kind="job") or latest(runs_dir, notebook, kind=None)
        if run is None:
            raise UsageError(f"no finished run of {Path(notebook).name} under {runs_dir}")
        return run.run_dir
    if "/" not in text and "\\" not in text and not text.startswith(".") and runs_dir.is_dir():
        matches = [
            folder / text for folder in _notebook_folders(runs_dir, notebook) if (folder / text).is_dir()
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"run id {text!r} names runs of several notebooks; give the notebook too")
    raise UsageError(
        f"{text} is not a run directory, a run id under {runs_dir}, or `latest`; "
        "runs live in runs/<notebook>/<run-id>/ (list them with `mlcheck history`)"
    )


# -- schema -----------------------------------------------------------------------
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _property(annotation: str) -> dict[str, Any]:
    optional = annotation.endswith(" | None")
    base = annotation.removesuffix(" | None")
    if base == "Status":
        schema: dict[str, Any] = {"$ref": "#/$defs/status"}
    elif base in _JSON_TYPES:
        schema = {"type": _JSON_TYPES[base]}
    elif base.startswith("dict"):
        schema = {"type": "object"}
    elif base.startswith("list"):
        schema = {"type": "array", "items": {"type": "object"}}
    else:
        schema = {}
    if optional and schema:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _record_schema(cls: type, required: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _property(str(f.type)) for f in fields(cls)},
        "required": list(required),
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``run.json`` and ``status.json``, derived from the records above."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mlcheck run directory records",
        "$defs": {
            "status": {"enum": [member.value for member in Status]},
            "final_status": {"enum": [member.value for member in Status if member.final]},
            "exit_codes": {
                "type": "object",
                "description": "exit code and retry advice of each final status",
                "const": {
                    member.value: {"exit_code": member.exit_code, "retry": member.retry}
                    for member in Status
                    if member.final
                },
            },
            "cell": {
                "description": "the user's cell number: 1-based among the notebook's own code cells as "
                "JupyterLab shows them, injected cells not counted",
                "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
            },
            "failed_cell": {
                "type": "object",
                "properties": {
                    "cell": {"$ref": "#/$defs/cell"},
                    "cell_id": {"type": "string"},
                    "source": {"type": "string"},
                    "ename": {"type": "string"},
                    "evalue": {"type": "string"},
                    "traceback": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["cell", "cell_id", "source", "ename", "evalue", "traceback"],
            },
            "run": _record_schema(RunRecord, ("run_id", "notebook", "status", "exit_code")),
            "status_record": _record_schema(StatusRecord, ("run_id", "notebook", "state")),
        },
    }
    schema["$defs"]["run"]["properties"]["failed_cell"] = {
        "anyOf": [{"$ref": "#/$defs/failed_cell"}, {"type": "null"}]
    }
    schema["$defs"]["status_record"]["properties"]["cell"] = {"$ref": "#/$defs/cell"}
    return schema


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mlcheck.runs.rundir", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of run.json and status.json"
    )
    parser.add_argument("--table", action="store_true", help="print the exit-code table of `mlcheck run`")
    args = parser.parse_args(argv)
    if args.table:
        print(exit_code_table())
    if args.schema or not args.table:
        print(json.dumps(json_schema(), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
