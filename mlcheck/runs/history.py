"""Runs over time: status, duration, what changed, and values that jump."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcheck.errors import UsageError
from mlcheck.runs.rundir import RUN_FILE, Run, Status, notebook_folder, same_notebook, scan

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
    #: the largest drift figure of the run as ``(name, value)``, e.g. ``("psi[age]", 4.2)``; None when none
    drift: tuple[str, float] | None = None
    #: the notebook's path as the run recorded it ("" for a damaged run)
    path: str = ""


def number(value: Any) -> float | None:
    """``value`` as a float when it is a real number that fits one; None otherwise.

    A recorded value may be any JSON number: ``mc.record("big", 10**400)`` is an
    int no float holds, and ``float()`` of it raises OverflowError. Such a value
    is shown as recorded but takes no part in comparisons (anomalies, drift).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


#: words in a recorded value's name that mark it as a drift figure
DRIFT_WORDS = ("kl", "psi", "drift")


def largest_drift(values: dict[str, Any], results: list[dict[str, Any]]) -> tuple[str, float] | None:
    """The run's largest drift figure: from its check_shift results first, else from recorded values.

    A check_shift result keeps each feature's figures in ``details.features``;
    the statistic its threshold applies to is KL when the check was given
    ``max_kl`` alone, else PSI. Recorded values count when their name contains
    kl, psi or drift. Non-finite and unrepresentable values are skipped.
    """
    found: list[tuple[float, str]] = []
    for result in results:
        if result.get("name") != "check_shift":
            continue
        details = result.get("details") or {}
        figure = "kl" if details.get("max_kl") is not None and details.get("max_psi") is None else "psi"
        for feature, record in (details.get("features") or {}).items():
            value = number(record.get(figure)) if isinstance(record, dict) else None
            if value is not None and value == value and abs(value) != float("inf"):
                found.append((value, f"{figure}[{feature}]"))
    if not found:
        for name, raw in values.items():
            value = number(raw)
            if value is not None and value == value and any(w in name.lower() for w in DRIFT_WORDS):
                found.append((value, name))
    if not found:
        return None
    value, name = max(found)
    return name, value


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
        path=str(record.notebook),
        status=record.status.value,
        exit_code=record.exit_code,
        duration=float(record.duration or 0.0),
        parameters=dict(record.parameters),
        values=dict(record.values),
        failed_checks=failed,
        run_dir=run.run_dir,
        kind=record.kind,
        drift=largest_drift(dict(record.values), list(record.results)),
    )


def _robust_z(value: float, others: list[float]) -> float:
    median = statistics.median(others)
    mad = statistics.median(abs(x - median) for x in others)
    if mad == 0:
        return 0.0 if value == median else float("inf")
    return 0.6745 * (value - median) / mad


def _annotate(rows: list[HistoryRow]) -> None:
    """Mark parameters that differ from the run before, and values far from the other runs'.

    ``rows`` are one notebook's runs, newest first. A row's ``changed`` holds the
    parameters whose value differs from the previous (older) run's, so a run
    with its defaults after runs without them shows only what it changed back.
    """

    def spelled(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    for row, previous in zip(rows, rows[1:]):
        names = sorted(set(row.parameters) | set(previous.parameters))
        row.changed = {
            n: row.parameters.get(n)
            for n in names
            if spelled(row.parameters.get(n)) != spelled(previous.parameters.get(n))
        }
    value_names = {n for row in rows for n, v in row.values.items() if number(v) is not None}
    for name in sorted(value_names):
        series = [(row, value) for row in rows if (value := number(row.values.get(name))) is not None]
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

    # Runs are foldered by stem, so a/job.ipynb and b/job.ipynb share runs/job/: a notebook given as a
    # path keeps only its own runs (each record names its notebook), as `latest` does.
    own = notebook if notebook is not None and Path(notebook).is_file() else None
    rows = []
    for scanned in scan(runs_dir, notebook, unfinished=True):
        if own is not None and scanned.run is not None and not same_notebook(scanned.run.record.notebook, own, runs_dir):
            continue
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
        if not row.damaged:  # by the notebook's path: two notebooks sharing a name are not one series
            by_notebook.setdefault((row.path or row.notebook, row.kind), []).append(row)
    for group in by_notebook.values():
        _annotate(group)
    return rows
