"""Runs as a series: one row per run of a notebook, every recorded figure a column.

The run directories stay the source of truth (:mod:`mlcheck.runs.rundir`);
this module only reads them. A scheduled scoring notebook run every night
becomes a table that the detectors (:mod:`mlcheck.monitoring.detectors`), the
alert policy and the dashboard read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlcheck._validation import PATH, Options, validate_options
from mlcheck.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BATCH_TIME_PARAMETERS", "FEATURE_FIGURES", "find_runs_folder", "monitor", "run_row"]

#: parameter names read as the batch's time, first match wins (else the run's start)
BATCH_TIME_PARAMETERS = ("batch_time", "batch_date", "as_of", "run_date", "date")
#: per-feature drift figures, as ``<figure>[<feature>]`` columns
FEATURE_FIGURES = ("kl", "psi", "effect", "p_value", "drifted", "missing", "unseen")


def _number(value: Any) -> float | None:
    """A finite or non-finite float from a strict-JSON value ("nan", "inf" are strings there)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int no float holds (mc.record("big", 10**400)): NaN, never a crash
            return float("nan")
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return None


def _feature_figures(feature: str, record: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for figure in ("kl", "psi", "effect", "p_value"):
        if figure in record:
            row[f"{figure}[{feature}]"] = _number(record[figure])
    if "drifted" in record:
        row[f"drifted[{feature}]"] = bool(record["drifted"])
    bins = list(record.get("bins") or [])
    shares = record.get("current_pct") or []
    if "missing" in bins and len(shares) == len(bins):
        row[f"missing[{feature}]"] = float(shares[bins.index("missing")]) / 100
    elif bins and not any(str(label).endswith("more levels") for label in bins):
        row[f"missing[{feature}]"] = 0.0  # empty bins are left out of the record: none missing
    if record.get("unseen_share") is not None:
        row[f"unseen[{feature}]"] = _number(record["unseen_share"])
    return row


def _result_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """The columns one recorded check contributes."""
    name = result.get("name", "")
    details = result.get("details") or {}
    row: dict[str, Any] = {}
    if name == "check_shift":
        row["rows"] = details.get("n_current")
        for feature, record in (details.get("features") or {}).items():
            row.update(_feature_figures(feature, record))
    elif name == "check_coverage":
        row["coverage"] = _number(result.get("observed"))
        row.setdefault("rows", details.get("n_rows"))
        for reason, count in (details.get("reasons") or {}).items():
            row[f"rejected[{reason}]"] = count
    elif name == "check_latency":
        row["latency_p95"] = _number(result.get("observed"))
    elif name in ("check_performance", "check_improvement"):
        for outcome in result.get("outcomes") or ():
            if outcome.get("subject"):
                row[f"metric[{outcome['subject']}]"] = _number(outcome.get("observed"))
    elif name == "check_schema":
        row.setdefault("rows", details.get("n_rows"))
        for column, figures in (details.get("columns") or {}).items():
            if isinstance(figures, Mapping) and figures.get("outside") is not None:
                row[f"outside[{column}]"] = _number(figures["outside"])
    elif name == "check_realized":
        for outcome in result.get("outcomes") or ():
            if outcome.get("subject"):  # the interval's lower bound: what the contract judged
                row[f"realized[{outcome['subject']}]"] = _number(outcome.get("observed"))
    return row


def _failures(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why the run failed: ``check[subject]: message`` per failing subject of each failed check.

    A failed check without outcomes reads ``check: message``. Failed warnings
    are left out: they do not fail a run. A list, not joined text, because the
    checks' messages hold any punctuation.
    """
    items = []
    for result in results:
        if result.get("passed", True) or result.get("severity") == "warning":
            continue
        failed = [o for o in result.get("outcomes") or () if not o.get("passed", True)]
        if not failed:
            items.append(f"{result.get('name')}: {result.get('message') or 'failed'}")
        items += [f"{result.get('name')}[{o.get('subject')}]: {o.get('message') or 'failed'}" for o in failed]
    return items


#: an error's text is cut here in a row: a message, not a traceback (run.json keeps the whole)
MAX_ERROR_TEXT = 300


def _failed_cell(failed: Any) -> str | None:
    """Where and why a run stopped, from run.json's ``failed_cell``: "cell 3: FileNotFoundError: ...", or None."""
    if not isinstance(failed, Mapping):
        return None
    where = f"cell {failed['cell']}" if failed.get("cell") else "mlcheck's set-up"
    error = ": ".join(str(failed[part]) for part in ("ename", "evalue") if failed.get(part))
    error = " ".join(error.split())  # one line: an evalue may span several
    if len(error) > MAX_ERROR_TEXT:
        error = error[: MAX_ERROR_TEXT - 1] + "…"
    return f"{where}: {error}" if error else where


def _batch_time(parameters: Mapping[str, Any], started: str) -> Any:
    import pandas as pd

    for name in BATCH_TIME_PARAMETERS:
        value = parameters.get(name)
        if isinstance(value, str) and value:
            stamp = pd.to_datetime(value, errors="coerce", utc=True)
            if not pd.isna(stamp):
                return stamp
    return pd.to_datetime(started, errors="coerce", utc=True)


def run_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """One run's row: identity, status, timings, recorded values and every check's figures.

    Parameters
    ----------
    record : mapping
        A ``run.json`` as a dict (:meth:`mlcheck.runs.rundir.RunRecord.to_dict`).

    Returns
    -------
    dict
        Flat column -> value; drift per feature as ``psi[<feature>]`` and the
        other :data:`FEATURE_FIGURES`, metrics as ``metric[<name>]``, values
        given to ``mc.record`` as ``value[<name>]``.
    """
    parameters = record.get("parameters") or {}
    row: dict[str, Any] = {
        "batch_time": _batch_time(parameters, record.get("started", "")),
        "run_id": record.get("run_id"),
        "notebook": str(record.get("notebook") or ""),
        "status": str(record.get("status")),
        "exit_code": record.get("exit_code"),
        "started": record.get("started"),
        "duration": _number(record.get("duration")),
        "failed_checks": 0,
    }
    for result in record.get("results") or ():
        row.update(_result_figures(result))
        row["failed_checks"] += not result.get("passed", True)
    row["failures"] = _failures(record.get("results") or ())
    row["failed_cell"] = _failed_cell(record.get("failed_cell"))
    for name, value in (record.get("values") or {}).items():
        number = _number(value)
        row[f"value[{name}]"] = number if number is not None else (value if isinstance(value, str) else None)
    return row


def find_runs_folder(runs_dir: Path, notebook: str | Path | None, *, command_line: bool = False) -> Path:
    """The folder of ``notebook``'s runs in ``runs_dir`` (the only one when ``notebook`` is None).

    Raises
    ------
    UsageError
        When there is no such folder, or several and none was chosen; the fix is
        worded for ``mlcheck monitor`` when ``command_line`` is true, for the
        Python API otherwise.
    """
    folders = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")) if runs_dir.is_dir() else []
    where = "--runs-dir DIR" if command_line else "runs_dir="
    if notebook is not None:
        folder = runs_dir / Path(notebook).stem
        if not folder.is_dir():
            known = ", ".join(p.name for p in folders) or "none"
            raise UsageError(
                f"no runs of {Path(notebook).name} in {runs_dir}: runs are kept per notebook stem "
                f"(found: {known}); pass {where} where the scheduled job writes its runs"
            )
        return folder
    if len(folders) == 1:
        return folders[0]
    if not folders:
        raise UsageError(
            f"no runs in {runs_dir}: run a notebook with `mlcheck run NB` first, or pass {where} "
            "(runs are kept beside the notebook, in runs/, by default)"
        )
    names = ", ".join(p.name for p in folders)
    choose = (
        f"name one: `mlcheck monitor {folders[0].name} --runs-dir {runs_dir}` (a notebook's path or stem)"
        if command_line
        else f"pass notebook= to choose one, e.g. notebook={folders[0].name!r}"
    )
    raise UsageError(f"{runs_dir} holds runs of {len(folders)} notebooks ({names}): {choose}")


@validate_options({"runs_dir": [PATH], "notebook": [None, PATH], "kind": [Options("job", "ci", "golden")]})
def monitor(
    runs_dir: str | Path = "runs",
    notebook: str | Path | None = None,
    *,
    kind: Literal["job", "ci", "golden"] = "job",
) -> pd.DataFrame:
    """One row per run of a notebook, in batch-time order, every recorded figure a column.

    Parameters
    ----------
    runs_dir : str or Path, default "runs"
        The folder ``mlcheck run`` writes into (``runs/`` beside the notebook
        by default). When ``notebook`` is a path to an ``.ipynb`` file and
        ``runs_dir`` is left at its default, the runs beside that notebook are read.
    notebook : str or Path, optional
        The notebook (path or stem) whose runs to read; needed when
        ``runs_dir`` holds runs of several notebooks.
    kind : {"job", "ci", "golden"}, default "job"
        Which runs: scheduled and manual jobs, the pytest plugin's or the
        golden-parity ones; they are kept apart so CI never mixes into production.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``batch_time`` (UTC; the value of the first parameter named
        in :data:`BATCH_TIME_PARAMETERS`, else the run's start), sorted. Columns:
        ``run_id``, ``notebook`` (the path its record names), ``status``, ``exit_code``, ``started``, ``duration`` (s),
        ``failed_checks``, ``failures`` (a list: each failed check's failing
        subjects and what it saw, ``check[subject]: message``), ``failed_cell``
        (where and why the run stopped, ``cell 3: FileNotFoundError: ...``, or None),
        ``rows``, ``coverage``, ``latency_p95`` (s per row),
        per feature ``kl[f]``, ``psi[f]``, ``effect[f]``, ``p_value[f]``,
        ``drifted[f]``, ``missing[f]`` and ``unseen[f]`` (shares of the
        current batch), ``rejected[reason]`` counts, ``outside[column]``
        (``check_schema``'s share of values outside the training range or
        levels), ``realized[metric]`` (``check_realized``'s lower bound),
        ``metric[name]`` and ``value[name]`` for what the notebook recorded.
        ``frame.attrs["runs_folder"]`` is the folder the runs were read from, ``frame.attrs["killed"]`` the run ids that left no record (killed outright). Damaged run records are
        rows with status ``"damaged"`` and the problem in ``message``.

    Raises
    ------
    UsageError
        When the runs folder or the notebook's runs cannot be found, or
        several notebooks' runs are there and none was chosen.

    Examples
    --------
    >>> import mlcheck as mc
    >>> series = mc.monitor("runs", "score.ipynb")  # doctest: +SKIP
    >>> series["psi[age]"].plot()  # doctest: +SKIP
    """
    import pandas as pd

    if notebook is not None and str(notebook).endswith(".ipynb") and Path(runs_dir) == Path("runs"):
        beside = Path(notebook).parent / "runs"
        if beside.is_dir():
            runs_dir = beside
    runs_dir = Path(runs_dir)
    folder = find_runs_folder(runs_dir, notebook)
    rows = [row for row_kind, row in _indexed_rows(folder) if row_kind in (kind, "damaged")]
    if notebook is not None and Path(notebook).is_file():
        # a/job.ipynb and b/job.ipynb sharing a runs dir share runs/job/: keep this notebook's runs only,
        # as history and `latest` do (a moved or copied project keeps its runs: rundir.same_notebook)
        from mlcheck.runs.rundir import same_notebook

        rows = [row for row in rows if not row.get("notebook") or same_notebook(row["notebook"], notebook, runs_dir)]
    frame = pd.DataFrame(rows)
    killed = _killed(folder)
    if frame.empty:
        empty = pd.DataFrame(columns=["run_id", "status"], index=pd.DatetimeIndex([], name="batch_time", tz="UTC"))
        empty.attrs["runs_folder"] = str(folder)
        empty.attrs["killed"] = killed
        return empty
    # ISO 8601 per value: a batch date ("2026-01-01 00:00:00+00:00") and a run's start with microseconds
    # (the fallback for a batch parameter that is not a date) differ in format, which pandas' inferred
    # single format refused: one such run broke every later monitor
    frame["batch_time"] = pd.to_datetime(frame["batch_time"], utc=True, format="ISO8601")
    frame = frame.sort_values(["batch_time", "run_id"], na_position="first").set_index("batch_time")
    frame.attrs["runs_folder"] = str(folder)
    frame.attrs["killed"] = killed
    return frame


def _killed(folder: Path) -> list[str]:
    """Run ids in ``folder`` with no record and no process holding their lock: killed outright (SIGKILL,
    out of memory, a lost machine) before ``run.json`` was written, as ``mlcheck history`` labels them."""
    from mlcheck.runs.rundir import RUN_FILE, STATUS_FILE
    from mlcheck.runs.runlock import holder

    found = []
    for run_dir in folder.iterdir():
        if run_dir.name.startswith(".") or run_dir.is_symlink() or not run_dir.is_dir():
            continue
        # status.json is written only once the run holds its lock: a folder without it is a run
        # still being set up (created, not yet locked), not a dead one
        if (run_dir / RUN_FILE).exists() or not (run_dir / STATUS_FILE).exists():
            continue
        if holder(run_dir) is None:
            found.append(run_dir.name)
    return sorted(found)


#: the index of a notebook's runs, beside them: one row per run, keyed by run.json's mtime and size
INDEX_FILE = ".monitor-index.parquet"
#: bumped whenever run_row gains or changes a column, so rows cached by an older mlcheck are read again
ROW_VERSION = 6


def _indexed_rows(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(kind, row) of every finished run in ``folder``, from the index where run.json is unchanged.

    Parsing every run.json is most of the cost of a long series (1,000 runs of
    100 features are 60 MB of JSON); a run's row is 10x smaller. The index is
    a Parquet file (pyarrow is already a dependency, it is one file that any
    tool reads, and the rows are written whole, never updated in place); the
    run directories stay the source of truth: a run whose run.json changed,
    appeared or went away is read again, and an index that cannot be read or
    written (a read-only folder) is only a missed speed-up.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlcheck._atomic import write_with
    from mlcheck.runs import rundir

    index_path = folder / INDEX_FILE
    cached: dict[str, tuple[str, str, str]] = {}
    try:
        table = pq.read_table(index_path).to_pydict()
        cached = {
            run_id: (stamp, kind, row)
            for run_id, stamp, kind, row in zip(table["run_id"], table["stamp"], table["kind"], table["row"])
        }
    except (OSError, KeyError, pa.ArrowException):
        pass
    entries: dict[str, tuple[str, str, str]] = {}
    # a run writes its own folder and record: a symbolic link is not a run, and may point out of
    # a server's root (the JupyterLab Monitor view reads this too)
    for run_dir in sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    ):
        try:
            if (run_dir / rundir.RUN_FILE).is_symlink():
                continue
            stat = (run_dir / rundir.RUN_FILE).stat()
        except OSError:
            continue  # still going, or killed before its record: not yet part of the series
        stamp = f"{ROW_VERSION}:{stat.st_mtime_ns}:{stat.st_size}"
        hit = cached.get(run_dir.name)
        if hit is not None and hit[0] == stamp:
            entries[run_dir.name] = hit
            continue
        try:
            record = rundir.read_run(run_dir).record
            kind, row = record.kind, run_row(record.to_dict())
            row["batch_time"] = None if row["batch_time"] is None else str(row["batch_time"])
        except rundir.DamagedRun as error:
            kind, row = "damaged", {"batch_time": None, "run_id": run_dir.name, "status": "damaged", "message": str(error)}
        # Python's own JSON (NaN allowed): a private cache, read back only here
        entries[run_dir.name] = (stamp, kind, json.dumps(row, default=str))
    if entries != cached:
        table = pa.table(
            {
                "run_id": list(entries),
                "stamp": [e[0] for e in entries.values()],
                "kind": [e[1] for e in entries.values()],
                "row": [e[2] for e in entries.values()],
            }
        )
        try:
            write_with(index_path, lambda path: pq.write_table(table, path))
        except OSError:
            pass
    return [(kind, json.loads(row)) for _, kind, row in entries.values()]


def feature_columns(frame: pd.DataFrame, figure: str) -> dict[str, str]:
    """Feature name -> column of ``figure`` (e.g. "psi") in a :func:`monitor` frame."""
    prefix = f"{figure}["
    return {column[len(prefix) : -1]: column for column in frame.columns if column.startswith(prefix)}


def finite(values: Iterable[Any]) -> list[float]:
    """The finite floats among values (helper for plots and detectors)."""
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(float(v))]
