"""How a run ended, told truthfully: status, exit code, the failing cell and its number.

papermill marks a timed-out or dead-kernel run's unexecuted cells as completed,
and IPython reports a failed line magic (``%cd /no/such/dir``) as stream text,
not as an error output; these functions record what really happened in the
executed notebook.

Cell numbers
------------
A cell's *number* is the one a user counts: its 1-based position among the
notebook's own code cells as JupyterLab shows them. Empty code cells count
(the user sees them); markdown cells and the cells mlcheck and papermill inject
do not. Progress, messages, timeouts, ``run.json``, the report, the pytest
plugin and the JupyterLab panel all use this number (:func:`cell_number`), and
``cell_id`` (the nbformat id) to find the cell again in ``output.ipynb``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nbformat

from mlcheck.results import CheckResult
from mlcheck.runs.rundir import Status

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INJECTED_TAG = "mlcheck-injected"
INJECTED_TAGS = frozenset({INJECTED_TAG, "injected-parameters"})
#: exceptions that mean "the bundle is not what was exported": not a bug to retry
INTEGRITY_ERRORS = frozenset({"BundleIntegrityError"})
#: mlcheck's user-mistake errors (:class:`mlcheck.errors.UsageError` and its subclasses): raised in a
#: cell they end the run as "usage" (exit 2), since retrying a wrong option, parameter or path never helps.
#: A cell's error output names only the class, so these are names; tests keep the set in step with the classes.
USAGE_ERRORS = frozenset(
    {"UsageError", "OptionError", "RegistryError", "ParameterError", "NotebookError", "DamagedRun", "PathNotWritable"}
)


@dataclass
class ExecutionWatch:
    """What the runner wants to know while and after cells run."""

    deadline: float | None = None  # time.monotonic() value, or None
    cell_timeout: float | None = None
    #: called as each user cell starts with (cell id, the user's cell number, user cells in all)
    on_cell_start: Callable[[str, int, int], None] | None = None
    timed_out: bool = False
    timeout_cell_id: str | None = None
    binding_limit: str = "cell"  # which limit the running cell is held to: "cell" or "run"

    def cell_time_limit(self) -> float | None:
        remaining = max(self.deadline - time.monotonic(), 0.05) if self.deadline is not None else None
        if remaining is not None and (not self.cell_timeout or remaining < self.cell_timeout):
            self.binding_limit = "run"
            return remaining
        self.binding_limit = "cell"
        return self.cell_timeout


def user_code_cell(cell: Any) -> bool:
    """Whether a cell is one of the notebook's own code cells (injected cells are not)."""
    tags = cell.get("metadata", {}).get("tags", ())
    return cell.get("cell_type") == "code" and not INJECTED_TAGS.intersection(tags)


def own_code_cell(cell: Any) -> bool:
    """Whether a cell is a user code cell that executes (not empty, not injected)."""
    return user_code_cell(cell) and bool(cell.get("source", "").strip())


def cell_number(cells: Sequence[Any], index: int) -> int | None:
    """The user's number of ``cells[index]`` (1-based among user code cells), None for any other cell.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell
    >>> injected = new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]})
    >>> cells = [injected, new_markdown_cell("# title"), new_code_cell(""), new_code_cell("y = 2")]
    >>> [cell_number(cells, i) for i in range(4)]
    [None, None, 1, 2]
    """
    if not 0 <= index < len(cells) or not user_code_cell(cells[index]):
        return None
    return sum(1 for cell in cells[: index + 1] if user_code_cell(cell))


def count_user_cells(cells: Sequence[Any]) -> int:
    """How many cells a user counts (the ``n`` of "cell 3 of n")."""
    return sum(1 for cell in cells if user_code_cell(cell))


def index_of(cells: Sequence[Any], cell_id: str | None) -> int | None:
    """Position of the cell with nbformat id ``cell_id``, or None."""
    if cell_id is None:
        return None
    for index, cell in enumerate(cells):
        if cell.get("id") == cell_id:
            return index
    return None


def describe(cells: Sequence[Any], index: int | None) -> str:
    """ "cell 3" for a user cell, "mlcheck's set-up" for an injected one, "start-up" when none ran."""
    if index is None:
        return "start-up, before any cell ran"
    number = cell_number(cells, index)
    if number is not None:
        return f"cell {number}"
    tags = cells[index].get("metadata", {}).get("tags", ())
    return "the injected parameters cell" if "injected-parameters" in tags else "mlcheck's set-up cell"


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Verdict:
    """How execution ended, before the checks are counted.

    ``ending`` is ``completed``, ``raised``, ``usage`` (a cell raised one of mlcheck's
    :data:`USAGE_ERRORS`), ``integrity``, ``timeout``, ``died``, ``cancelled`` or ``infrastructure``; ``index`` is where ``failed_cell`` sits in the executed notebook.
    """

    ending: str
    failed_cell: dict[str, Any] | None
    message: str
    index: int | None = None


def _stream_text(cell: Any, name: str = "stderr") -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", ())
        if o.get("output_type") == "stream" and o.get("name") == name
    )


_IN_PROMPT = re.compile(r"Cell In\[(\d+)\]")


def renumber_traceback(lines: Sequence[str], cells: Sequence[Any]) -> list[str]:
    """IPython's ``Cell In[7]`` (an execution count, injected cells included) followed by the user's cell number.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> cells = [new_code_cell("setup", execution_count=1, metadata={"tags": ["mlcheck-injected"]}),
    ...          new_code_cell("x = 1", execution_count=2), new_code_cell("1/0", execution_count=3)]
    >>> renumber_traceback(["Cell In[3], line 1"], cells)
    ['Cell In[3] (cell 2), line 1']
    """
    numbers = {}
    for index, cell in enumerate(cells):
        count, number = cell.get("execution_count"), cell_number(cells, index)
        if isinstance(count, int) and number is not None:
            numbers[count] = number

    def name(match: re.Match[str]) -> str:
        number = numbers.get(int(match.group(1)))
        return f"{match.group(0)} (cell {number})" if number is not None else match.group(0)

    return [_IN_PROMPT.sub(name, line) for line in lines]


def _first_failure(notebook: nbformat.NotebookNode) -> tuple[int, dict[str, Any]] | None:
    """The first cell that did not run to its end: an error output, or papermill's exception flag.

    A failed line magic leaves no error output, only stderr text and an
    execute reply with status "error", which papermill records as the cell's
    ``exception`` flag.
    """
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "error":
                return index, {
                    "ename": output.get("ename", ""),
                    "evalue": output.get("evalue", ""),
                    "traceback": renumber_traceback(
                        [strip_ansi(line) for line in output.get("traceback", [])], notebook.cells
                    ),
                }
        if cell.get("metadata", {}).get("papermill", {}).get("exception") is True:
            text = strip_ansi(_stream_text(cell)).strip()
            return index, {
                "ename": "MagicError",
                "evalue": text.splitlines()[-1] if text else "the cell failed without an error output",
                "traceback": text.splitlines(),
            }
    return None


def _cell_info(notebook: nbformat.NotebookNode, index: int | None, **extra: Any) -> dict[str, Any] | None:
    if index is None or not 0 <= index < len(notebook.cells):
        return None
    cell = notebook.cells[index]
    return {
        "cell": cell_number(notebook.cells, index),
        "cell_id": str(cell.get("id", "")),
        "source": cell.get("source", ""),
        **extra,
    }


def settle(
    notebook: nbformat.NotebookNode,
    ending: str,
    error: BaseException | None,
    running_cell_id: str | None,
    *,
    timeout: float | None,
    cell_timeout: float | None = None,
    binding_limit: str = "run",
) -> Verdict:
    """Decide how the run ended from what papermill raised and what the notebook holds.

    ``running_cell_id`` is the id of the cell that was running when execution stopped.
    """
    cells = notebook.cells
    if ending in ("completed", "raised"):
        first = _first_failure(notebook)
        if first is None:
            return Verdict("completed", None, "")
        index, info = first
        where = describe(cells, index)
        if info["ename"] == "SystemExit" and info["evalue"] in ("", "0", "None"):
            return Verdict("completed", None, f"stopped early by sys.exit() in {where}", None)
        if info["ename"] == "SystemExit":
            message = f"{where} called sys.exit({info['evalue']})"
        elif info["ename"] == "MagicError":
            message = f"{where} failed: {info['evalue']}"
        else:
            message = f"{where} raised {info['ename']}: {info['evalue']}"
        ending = (
            "integrity"
            if info["ename"] in INTEGRITY_ERRORS
            else "usage"
            if info["ename"] in USAGE_ERRORS
            else "raised"
        )
        return Verdict(ending, _cell_info(notebook, index, **info), message, index)
    running = index_of(cells, running_cell_id)
    where = describe(cells, running)
    if ending == "timeout":
        if binding_limit == "run" and timeout:
            limit = f"the {timeout:g} s run timeout"
        else:
            limit = f"the {cell_timeout or 0:g} s cell timeout"
        message = f"timed out: {where} was still running at {limit}"
        return Verdict(
            "timeout",
            _cell_info(notebook, running, ename="Timeout", evalue=message, traceback=[]),
            message,
            running,
        )
    if ending == "died":
        detail = str(error) if error is not None else "kernel died"
        message = f"the kernel died while running {where} ({detail})"
        return Verdict(
            "died",
            _cell_info(notebook, running, ename="DeadKernelError", evalue=detail, traceback=[]),
            message,
            running,
        )
    if ending == "crashed":
        message = f"mlcheck failed while running {where}: {type(error).__name__}: {error}"
        return Verdict(
            "raised",
            _cell_info(notebook, running, ename=type(error).__name__, evalue=str(error), traceback=[]),
            message,
            running,
        )
    if ending == "infrastructure":
        detail = str(error) if error is not None else "the kernel did not start"
        message = f"the machine failed the job during {where}: {detail}"
        return Verdict("infrastructure", None, message, None)
    message = f"cancelled while running {where}"
    return Verdict(
        "cancelled",
        _cell_info(notebook, running, ename="Cancelled", evalue=message, traceback=[]),
        message,
        running,
    )


def _status_of(ending: str) -> Status | None:
    """The status an ending gives by itself; None for a completed run (its checks decide)."""
    return None if ending == "completed" else Status.ERROR if ending == "raised" else Status.parse(ending)


def exit_status(verdict: Verdict, results: Sequence[CheckResult]) -> tuple[Status, str]:
    """(status, message) from how the run ended and what its checks found; ``status.exit_code`` is the code."""
    blocking = [r for r in results if r.blocking]
    refused = verdict.failed_cell is not None and verdict.failed_cell.get("ename") == "ContractViolation"
    if verdict.ending == "raised" and refused and blocking:
        # the export gate stopped the notebook because checks failed: a broken contract, not a bug
        names = ", ".join(r.name for r in blocking)
        where = f"cell {verdict.failed_cell['cell']}" if verdict.failed_cell else "a cell"
        return Status.FAILED, f"the export gate refused in {where}: {names} failed"
    status = _status_of(verdict.ending)
    if status is not None:
        return status, verdict.message
    if blocking:
        names = ", ".join(r.name for r in blocking)
        return Status.FAILED, f"{len(blocking)} of {len(results)} checks failed: {names}"
    held = f"all {len(results)} checks held" if results else "no checks were recorded"
    message = f"{held}; {verdict.message}" if verdict.message else held
    return Status.SUCCEEDED, message


def mark_notebook(
    notebook: nbformat.NotebookNode, run_id: str, status: Status, message: str, verdict: Verdict
) -> None:
    """Write the truth into the executed notebook's metadata (papermill's flags included)."""
    failed = verdict.failed_cell
    notebook.metadata["mlcheck"] = {
        "run_id": run_id,
        "status": status.value,
        "exit_code": status.exit_code,
        "retry": status.retry,
        "message": message,
        "failed_cell": failed["cell"] if failed else None,
        "failed_cell_id": failed["cell_id"] if failed else None,
    }
    papermill = notebook.metadata.setdefault("papermill", {})
    papermill["exception"] = verdict.ending != "completed"
    if verdict.index is None:
        return
    for index, cell in enumerate(notebook.cells):
        meta = cell.setdefault("metadata", {}).setdefault("papermill", {})
        if index == verdict.index:
            meta["status"] = "failed"
            meta["exception"] = True
        elif index > verdict.index and cell.get("cell_type") == "code":
            meta["status"] = "pending"  # never ran, whatever papermill's clean-up claims
            meta["exception"] = False


def cell_timings(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Per code cell: its number (None when injected), id, papermill status and duration in seconds."""
    timings = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("papermill", {})
        timings.append(
            {
                "cell": cell_number(notebook.cells, index),
                "cell_id": str(cell.get("id", "")),
                "status": meta.get("status", "pending"),
                "duration": meta.get("duration"),
                "injected": not user_code_cell(cell),
            }
        )
    return timings
