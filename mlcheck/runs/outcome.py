"""How a run ended, told truthfully: status, exit code, the failing cell.

papermill marks a timed-out or dead-kernel run's unexecuted cells as completed;
these functions record what really happened in the executed notebook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import nbformat

from mlcheck.results import CheckResult

EXIT_CODES = {"succeeded": 0, "failed": 1, "error": 3, "timeout": 4, "died": 5, "cancelled": 130}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INJECTED_TAGS = frozenset({"mlcheck-injected", "injected-parameters"})


def own_code_cell(cell: Any) -> bool:
    """Whether a cell is one of the notebook's own code cells (not empty, not injected)."""
    tags = cell.get("metadata", {}).get("tags", ())
    return cell.get("cell_type") == "code" and bool(cell.get("source", "").strip()) and not INJECTED_TAGS.intersection(tags)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Verdict:
    """How execution ended: ``completed``, ``raised``, ``timeout``, ``died`` or ``cancelled``."""

    ending: str
    failed_cell: dict[str, Any] | None
    message: str


def _first_error(notebook: nbformat.NotebookNode) -> tuple[int, Any] | None:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "error":
                return index, output
    return None


def _cell_info(notebook: nbformat.NotebookNode, index: int | None, **extra: Any) -> dict[str, Any] | None:
    if index is None or not 0 <= index < len(notebook.cells):
        return None
    cell = notebook.cells[index]
    return {
        "index": index,
        "execution_count": cell.get("execution_count"),
        "source": cell.get("source", ""),
        **extra,
    }


def _error_info(output: Any) -> dict[str, Any]:
    return {
        "ename": output.get("ename", ""),
        "evalue": output.get("evalue", ""),
        "traceback": [strip_ansi(line) for line in output.get("traceback", [])],
    }


def settle(
    notebook: nbformat.NotebookNode,
    ending: str,
    error: BaseException | None,
    running_index: int | None,
    *,
    timeout: float | None,
    cell_timeout: float | None = None,
    binding_limit: str = "run",
) -> Verdict:
    """Decide how the run ended from what papermill raised and what the notebook holds."""
    if ending in ("completed", "raised"):
        first = _first_error(notebook)
        if first is None:
            return Verdict("completed", None, "")
        index, output = first
        info = _error_info(output)
        if info["ename"] == "SystemExit" and info["evalue"] in ("", "0", "None"):
            return Verdict("completed", None, f"stopped early by sys.exit() in cell {index}")
        if info["ename"] == "SystemExit":
            message = f"cell {index} called sys.exit({info['evalue']})"
        else:
            message = f"cell {index} raised {info['ename']}: {info['evalue']}"
        return Verdict("raised", _cell_info(notebook, index, **info), message)
    where = f"cell {running_index}" if running_index is not None else "start-up, before any cell ran"
    if ending == "timeout":
        if binding_limit == "run" and timeout:
            limit = f"the {timeout:g} s run timeout"
        else:
            limit = f"the {cell_timeout or 0:g} s cell timeout"
        message = f"timed out: {where} was still running at {limit}"
        return Verdict("timeout", _cell_info(notebook, running_index, ename="Timeout", evalue=message, traceback=[]), message)
    if ending == "died":
        detail = str(error) if error is not None else "kernel died"
        message = f"the kernel died while running {where} ({detail})"
        return Verdict("died", _cell_info(notebook, running_index, ename="DeadKernelError", evalue=detail, traceback=[]), message)
    message = f"cancelled while running {where}"
    return Verdict("cancelled", _cell_info(notebook, running_index, ename="Cancelled", evalue=message, traceback=[]), message)


def exit_status(verdict: Verdict, results: Sequence[CheckResult]) -> tuple[int, str, str]:
    """(exit code, status, message) from how the run ended and what its checks found."""
    blocking = [r for r in results if r.blocking]
    refused = verdict.failed_cell is not None and verdict.failed_cell.get("ename") == "ContractViolation"
    if verdict.ending == "raised" and refused and blocking:
        # the export gate stopped the notebook because checks failed: a broken contract, not a bug
        names = ", ".join(r.name for r in blocking)
        return EXIT_CODES["failed"], "failed", f"the export gate refused in cell {verdict.failed_cell['index']}: {names} failed"
    status = {"raised": "error", "timeout": "timeout", "died": "died", "cancelled": "cancelled"}.get(verdict.ending)
    if status is not None:
        return EXIT_CODES[status], status, verdict.message
    if blocking:
        names = ", ".join(r.name for r in blocking)
        return EXIT_CODES["failed"], "failed", f"{len(blocking)} of {len(results)} checks failed: {names}"
    held = f"all {len(results)} checks held" if results else "no checks were recorded"
    message = f"{held}; {verdict.message}" if verdict.message else held
    return EXIT_CODES["succeeded"], "succeeded", message


def mark_notebook(
    notebook: nbformat.NotebookNode, run_id: str, status: str, exit_code: int, message: str, verdict: Verdict
) -> None:
    """Write the truth into the executed notebook's metadata."""
    failed_index = verdict.failed_cell["index"] if verdict.failed_cell else None
    notebook.metadata["mlcheck"] = {
        "run_id": run_id,
        "status": status,
        "exit_code": exit_code,
        "message": message,
        "failed_cell": failed_index,
    }
    papermill = notebook.metadata.setdefault("papermill", {})
    papermill["exception"] = verdict.ending not in ("completed",)
    if failed_index is None:
        return
    for index, cell in enumerate(notebook.cells):
        meta = cell.setdefault("metadata", {}).setdefault("papermill", {})
        if index == failed_index:
            meta["status"] = "failed"
            meta["exception"] = True
        elif index > failed_index and cell.get("cell_type") == "code":
            meta["status"] = "pending"  # never ran, whatever papermill's clean-up claims


def cell_timings(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Per code cell: index, papermill status and duration in seconds."""
    timings = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("papermill", {})
        timings.append(
            {
                "index": index,
                "status": meta.get("status", "pending"),
                "duration": meta.get("duration"),
                "injected": bool(INJECTED_TAGS.intersection(cell.get("metadata", {}).get("tags", []))),
            }
        )
    return timings
