"""``report.html``: the table of checks first, then the executed notebook (rendered by nbconvert).

nbconvert's first rendering in a process costs several tenths of a second
beyond its import (compiling the ``lab`` templates, the code highlighter's
patterns, the CSS selectors its HTML post-processing runs); later ones cost a
few hundredths. So one exporter serves the whole process, and
:func:`warm_up` pays that first rendering while a job's kernel boots.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlcheck._atomic import atomic_write_text
from mlcheck.display.cards import format_value, status_word

#: the process's one HTMLExporter (its compiled templates are cached on it), built on first use
_EXPORTER: list[Any] = []
#: an exporter registers per-notebook filters on itself: one rendering at a time
_EXPORTER_LOCK = threading.Lock()


def _status_color(word: str) -> str:
    """Green for success, grey for a cancel, amber when a retry may help, red otherwise."""
    from mlcheck.runs.rundir import Status

    status = Status.lookup(word)
    if status is None:
        return "#57606a"
    if status is Status.SUCCEEDED:
        return "#1a7f37"
    if status is Status.CANCELLED or not status.final:
        return "#57606a"
    return "#9a6700" if status.retry else "#cf222e"


def _outcome_row(result: Mapping[str, Any], outcome: Mapping[str, Any]) -> str:
    word = status_word({**result, "passed": outcome["passed"]})
    color = "#1a7f37" if word == "PASS" else ("#9a6700" if word == "WARN" else "#cf222e")
    name = result["name"] + (f"[{outcome['subject']}]" if outcome.get("subject") else "")
    return (
        f"<tr><td style='color:{color};font-weight:600'>{word}</td><td>{html.escape(name)}</td>"
        f"<td>{html.escape(format_value(outcome.get('observed')))}</td>"
        f"<td>{html.escape(format_value(outcome.get('threshold')))}</td>"
        f"<td style='color:#57606a'>{html.escape(str(outcome.get('message') or ''))}</td></tr>"
    )


def _check_block(result: Mapping[str, Any], cell_ids: Sequence[str]) -> str:
    """One check: its verdict and message, its failed subjects, the rest folded away."""
    outcomes = list(result.get("outcomes") or ()) or [
        {
            "subject": "",
            "passed": result["passed"],
            "observed": result.get("observed"),
            "threshold": result.get("threshold"),
        }
    ]
    failed = [o for o in outcomes if not o["passed"]]
    held = [o for o in outcomes if o["passed"]]
    word = status_word(result)
    color = "#1a7f37" if word == "PASS" else ("#9a6700" if word == "WARN" else "#cf222e")
    details = result.get("details") or {}
    cell, cell_id = details.get("cell"), details.get("cell_id")
    anchor = ""
    if isinstance(cell, int) and cell_id and cell_id in cell_ids:
        anchor = f' · <a href="#cell-id={html.escape(str(cell_id))}">cell {cell}</a>'
    head = (
        f"<div style='margin-top:8px'><span style='color:{color};font-weight:700'>{word}</span> "
        f"<b>{html.escape(str(result['name']))}</b> <span style='color:#57606a'>{len(held)}/{len(outcomes)} held"
        f"{anchor}</span><br>{html.escape(str(result.get('message') or ''))}</div>"
    )
    table = (
        "<table class='mlcheck-checks'><tbody>"
        + "".join(_outcome_row(result, o) for o in failed)
        + "</tbody></table>"
        if failed
        else ""
    )
    folded = (
        f"<details><summary style='color:#57606a'>{len(held)} held</summary><table class='mlcheck-checks'><tbody>"
        + "".join(_outcome_row(result, o) for o in held)
        + "</tbody></table></details>"
        if held and len(outcomes) > 1
        else ""
    )
    return head + table + folded


def summary_html(record: Mapping[str, Any], cell_ids: Sequence[str] = ()) -> str:
    """The head of the report: how the run ended, its parameters, and every check.

    ``cell_ids`` (the executed notebook's cell ids) make each check link to the
    cell that produced it; cells are named by the user's number (``details["cell"]``).
    """
    status = str(record.get("status", "?"))
    color = _status_color(status)
    checks = "".join(_check_block(result, cell_ids) for result in record.get("results") or ())
    if not checks:
        checks = "<p>No checks were recorded.</p>"
    parameters = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td><code>{html.escape(json.dumps(v, default=str))}</code></td></tr>"
        for k, v in (record.get("parameters") or {}).items()
    )
    failed = record.get("failed_cell")
    failure = ""
    if failed:
        trace = "\n".join(failed.get("traceback") or []) or f"{failed.get('ename')}: {failed.get('evalue')}"
        failure = (
            f"<h3>Failing cell ({failed.get('cell') or 'set-up'})</h3><pre>{html.escape(str(failed.get('source', '')))}</pre>"
            f"<pre style='color:#cf222e'>{html.escape(trace)}</pre>"
        )
    values = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(format_value(v))}</td></tr>"
        for k, v in (record.get("values") or {}).items()
    )
    return (
        "<section class='mlcheck-summary' style='font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
        "margin:16px auto;max-width:1000px;padding:12px 16px;border:1px solid #d0d7de;border-radius:6px'>"
        "<style>.mlcheck-summary table{border-collapse:collapse;font-size:13px}"
        ".mlcheck-summary td,.mlcheck-summary th{padding:3px 10px;text-align:left;border-bottom:1px solid #eaeef2}</style>"
        f"<h2 style='margin:0'>{html.escape(Path(str(record.get('notebook', ''))).name)} · "
        f"<span style='color:{color}'>{html.escape(status)}</span> (exit {record.get('exit_code')})</h2>"
        f"<p>{html.escape(str(record.get('message', '')))}</p>"
        f"<p style='color:#57606a'>run {html.escape(str(record.get('run_id')))} · started {html.escape(str(record.get('started')))}"
        f" · {float(record.get('duration') or 0):.1f} s · git {html.escape(str((record.get('git') or {}).get('commit', '—'))[:12])}"
        f"{' (dirty)' if (record.get('git') or {}).get('dirty') else ''}</p>"
        f"<h3>Checks</h3>{checks}{failure}"
        + (f"<h3>Recorded values</h3><table>{values}</table>" if values else "")
        + (f"<h3>Parameters</h3><table>{parameters}</table>" if parameters else "")
        + "</section>"
    )


def _exporter() -> Any:
    """The process's HTMLExporter (``lab`` template, mlcheck's injected cells removed)."""
    if not _EXPORTER:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        config = Config()
        config.TagRemovePreprocessor.remove_cell_tags = ("mlcheck-injected",)
        config.TagRemovePreprocessor.enabled = True
        _EXPORTER.append(HTMLExporter(config=config, template_name="lab"))
    return _EXPORTER[0]


def _to_html(notebook: Any) -> str:
    with _EXPORTER_LOCK:
        body, _ = _exporter().from_notebook_node(notebook)
    return str(body)


def warm_up() -> None:
    """Render a small notebook once, so that a run's report costs only its own rendering.

    Called while a job's kernel boots (:mod:`mlcheck.runs.runner`): the
    notebook has what a report has (code with output, markdown, Python
    highlighting), so the templates, highlighter and selectors it compiles
    are the ones the real report uses.
    """
    import nbformat.v4 as v4

    cell = v4.new_code_cell("x = 1\nprint(x)", execution_count=1)
    cell.outputs = [v4.new_output("stream", name="stdout", text="1\n")]
    notebook = v4.new_notebook(cells=[v4.new_markdown_cell("# report"), cell])
    notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    _to_html(notebook)


def render_report(run_dir: str | Path) -> Path:
    """Render ``report.html`` of a run directory again and return its path."""
    import nbformat

    from mlcheck.runs.rundir import REPORT_FILE, read_run

    run = read_run(run_dir)
    notebook = nbformat.read(str(run.output_path), as_version=4)
    cell_ids = [str(cell.get("id", "")) for cell in notebook.cells]
    body = _to_html(notebook)
    summary = summary_html(run.record.to_dict(), cell_ids)
    marker = body.find("<main")
    if marker == -1:
        marker = body.find("<body")
    insert_at = body.find(">", marker) + 1 if marker != -1 else 0
    page = body[:insert_at] + summary + body[insert_at:]
    path = Path(run_dir) / REPORT_FILE
    atomic_write_text(path, page)  # report.html is re-rendered freely: no fsync
    return path
