"""Read results back from an executed notebook: plain JSON, no kernel."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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


def iter_payloads(notebook: nbformat.NotebookNode):
    """Yield ``(cell_index, payload)`` for every mlcheck output, in order."""
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", ()):
            data = output.get("data") or {}
            payload = data.get(MIME_TYPE)
            if isinstance(payload, dict):
                yield index, payload


def collect(notebook: nbformat.NotebookNode | str | Path) -> NotebookResults:
    """Every check result, recorded value and the kernel's environment in a notebook.

    Each result carries the index of the cell that produced it in
    ``details["cell"]``, so a report can point at it.
    """
    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    found = NotebookResults()
    for index, payload in iter_payloads(notebook):
        kind = payload.get("kind")
        if kind == "check" and isinstance(payload.get("result"), dict):
            result = CheckResult.from_dict(payload["result"])
            found.results.append(result.with_(details={**result.details, "cell": index}))
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
