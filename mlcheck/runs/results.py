"""Read results back from an executed notebook: plain JSON, no kernel."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import nbformat

from mlcheck.results import MIME_TYPE, CheckResult

ENVIRONMENT_KIND = "environment"


@dataclass
class NotebookResults:
    """Everything mlcheck emitted in one executed notebook."""

    results: list[CheckResult] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)


def iter_payloads(notebook: nbformat.NotebookNode) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(cell_index, payload)`` for every mlcheck output, in order."""
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", ()):
            data = output.get("data") or {}
            payload = data.get(MIME_TYPE)
            if isinstance(payload, dict):
                yield index, payload


def _full_record(payload: dict[str, Any], run_dir: str | Path | None) -> dict[str, Any]:
    """The full record a payload names (written beside the run by the kernel), else the card's view it holds."""
    record_id = payload.get("record")
    if run_dir is not None and isinstance(record_id, str) and record_id.isalnum():
        from mlcheck.kernel import record_path

        path = record_path(run_dir, record_id)
        if path.is_file():
            return dict(json.loads(path.read_text(encoding="utf-8")))
    return dict(payload["result"])


def collect(
    notebook: nbformat.NotebookNode | str | Path, run_dir: str | Path | None = None
) -> NotebookResults:
    """Every check result, recorded value and the kernel's environment in a notebook.

    Each result carries the user's number of the cell that produced it in
    ``details["cell"]`` (:func:`mlcheck.runs.outcome.cell_number`) and that
    cell's nbformat id in ``details["cell_id"]``, so a report can point at it. A notebook stores the
    card's bounded view of each result; given the ``run_dir`` of an ``mlcheck
    run`` job, the full records its kernel wrote there are read instead.
    """
    from mlcheck.runs.outcome import cell_number

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    assert isinstance(notebook, nbformat.NotebookNode)
    found = NotebookResults()
    for index, payload in iter_payloads(notebook):
        kind = payload.get("kind")
        if kind == "check" and isinstance(payload.get("result"), dict):
            result = CheckResult.from_dict(_full_record(payload, run_dir))
            cell = {
                "cell": cell_number(notebook.cells, index),
                "cell_id": str(notebook.cells[index].get("id", "")),
            }
            found.results.append(result.with_(details={**result.details, **cell}))
        elif kind == "record" and "name" in payload:
            found.values[str(payload["name"])] = payload.get("value")
        elif kind == ENVIRONMENT_KIND:
            found.environment = {k: v for k, v in payload.items() if k not in ("kind", "version")}
    return found


def read_results(notebook: nbformat.NotebookNode | str | Path) -> tuple[list[CheckResult], dict[str, Any]]:
    """The check results and recorded values of an executed notebook.

    Examples
    --------
    >>> import nbformat
    >>> from mlcheck.display.cards import record_bundle
    >>> nb = nbformat.v4.new_notebook()
    >>> out = nbformat.v4.new_output("display_data", data=record_bundle("auc", 0.9))
    >>> nb.cells.append(nbformat.v4.new_code_cell("mc.record('auc', 0.9)", outputs=[out]))
    >>> read_results(nb)
    ([], {'auc': 0.9})
    """
    found = collect(notebook)
    return found.results, found.values
