"""Runs over time: status, duration, what changed, and values that jump."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcheck.errors import UsageError
from mlcheck.runs.rundir import RUN_FILE, Run, Status, notebook_folder, scan

#: a value whose robust z-score against the other runs passes this is flagged
ANOMALY_Z = 3.5


@dataclass
class HistoryRow:
    run_id: str
    notebook: str
    status: str
    exit_code: int
    duration: float
    parameters: dict[str, Any]
    values: dict[str, Any]
    failed_checks: list[str]
    run_dir: Path
    changed: dict[str, Any] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)
    kind: str = "job"
    #: why the run's record could not be read ("" for a readable one)
    damaged: str = ""


def _row(run: Run) -> HistoryRow:
    record = run.record
    failed = [
        r["name"] + (f"[{o['subject']}]" if o.get("subject") else "")
        for r in record.results
        for o in (r.get("outcomes") or [{"subject": "", "passed": r.get("passed", True)}])
        if not o.get("passed", True)
    ]
    return HistoryRow(
        run_id=record.run_id,
        notebook=Path(record.notebook).name,
        status=record.status.value,
        exit_code=record.exit_code,
        duration=float(record.duration or 0.0),
        parameters=dict(record.parameters),
        values=dict(record.values),
        failed_checks=failed,
        run_dir=run.run_dir,
        kind=record.kind,
    )


def _robust_z(value: float, others: list[float]) -> float:
    median = statistics.median(others)
    mad = statistics.median(abs(x - median) for x in others)
    if mad == 0:
        return 0.0 if value == median else float("inf")
    return 0.6745 * (value - median) / mad


def _annotate(rows: list[HistoryRow]) -> None:
    """Mark parameters that differ between runs, and values far from the other runs'."""
    names = {name for row in rows for name in row.parameters}
    varying = {
        n
        for n in names
        if len({json.dumps(r.parameters.get(n), sort_keys=True, default=str) for r in rows}) > 1
    }
    for row in rows:
        row.changed = {n: row.parameters.get(n) for n in sorted(varying)}
    value_names = {
        n
        for row in rows
        for n, v in row.values.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    for name in sorted(value_names):
        series = [
            (row, float(row.values[name])) for row in rows if isinstance(row.values.get(name), (int, float))
        ]
        if len(series) < 5:  # too few runs to call anything unusual
            continue
        for row, value in series:
            others = [v for r, v in series if r is not row]
            if abs(_robust_z(value, others)) > ANOMALY_Z:
                row.anomalies.append(name)
    for older, newer in zip(rows[1:], rows):  # rows are newest first
        if newer.status != Status.SUCCEEDED.value and older.status == Status.SUCCEEDED.value:
            newer.anomalies.append(f"status {older.status} -> {newer.status}")


def history(
    runs_dir: str | Path = "runs", notebook: str | Path | None = None, *, kind: str | None = "job"
) -> list[HistoryRow]:
    """The runs under ``runs_dir`` (of one notebook, or of all), newest first.

    A run whose ``run.json`` is damaged is listed with ``status="damaged"`` and
    the reason in ``damaged``; it never hides the other runs. A run without
    ``run.json`` is ``"running"`` while a process holds its lock, else ``"killed"``
    (these two labels are history's own: such a run has recorded no status). ``kind`` keeps
    golden-parity runs (started by the pytest plugin) apart: ``"job"`` (the
    default) lists scheduled and interactive runs only, None lists all.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise UsageError(
            f"no runs directory at {runs_dir}; run a notebook with `mlcheck run NB` first, or pass --runs-dir"
        )
    if notebook is not None and not notebook_folder(runs_dir, notebook).is_dir():
        known = sorted(p.name for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        raise UsageError(
            f"no runs of {Path(notebook).name} under {runs_dir}; notebooks with runs: {', '.join(known) or '(none)'}"
        )
    from mlcheck.runs.runlock import holder

    rows = []
    for scanned in scan(runs_dir, notebook, unfinished=True):
        if scanned.run is None:
            label, problem = "damaged", scanned.problem
            if not (scanned.run_dir / RUN_FILE).exists():  # no record yet: still going, or killed outright
                pid = holder(scanned.run_dir)
                label = "running" if pid is not None else "killed"
                problem = (
                    f"running in process {pid}"
                    if pid is not None
                    else "no run.json and no process runs it: killed (e.g. SIGKILL)"
                )
            rows.append(
                HistoryRow(
                    run_id=scanned.run_id, notebook=scanned.run_dir.parent.name + ".ipynb", status=label,
                    exit_code=-1, duration=0.0, parameters={}, values={}, failed_checks=[],
                    run_dir=scanned.run_dir, damaged=problem,
                )
            )  # fmt: skip
        elif kind is None or scanned.run.record.kind == kind:
            rows.append(_row(scanned.run))
    by_notebook: dict[tuple[str, str], list[HistoryRow]] = {}
    for row in rows:
        if not row.damaged:
            by_notebook.setdefault((row.notebook, row.kind), []).append(row)
    for group in by_notebook.values():
        _annotate(group)
    return rows
