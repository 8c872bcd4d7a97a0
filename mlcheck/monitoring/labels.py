"""Delayed labels: realized performance per period, once the truth arrives.

Labels come days or weeks after scoring (a claim is filed, a loan defaults).
The prediction log that :meth:`mlcheck.bundle.ScoreResult.write` puts beside
each batch's predictions (``<stem>.log.parquet``: key, prediction, scores,
batch time, run id, bundle) is joined with the labels by key, and the
imbalance-aware metrics of :func:`mlcheck.evaluate` are computed per period,
each with its bootstrap interval. A business figure recorded beside the labels
(revenue, losses) is summed per period, and :func:`comovement` says whether
it moves with the model's metric.

:func:`check_realized` turns it into a contract over time: "recall over the
last 4 weeks at least 0.6, on the interval's lower bound".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numbers import Integral, Number, Real
from typing import Literal

from mlcheck._validation import NAME, SEVERITY, Interval, MappingOf, SequenceOf, validate_options
from mlcheck.contracts import register_check
from mlcheck.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from mlcheck.results import CheckResult

__all__ = ["check_realized", "comovement", "latest_per_key", "read_prediction_logs", "realized_performance"]


def read_prediction_logs(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """The prediction logs of many batches as one frame.

    Parameters
    ----------
    paths : path, folder or iterable of paths
        ``*.log.parquet`` files, or a folder searched for them (recursively).

    Returns
    -------
    pandas.DataFrame
        The rows of every log, in file-name order.

    Raises
    ------
    UsageError
        When no log is found or a file is not a prediction log.
    """
    import pandas as pd

    if isinstance(paths, (str, Path)):
        root = Path(paths)
        if not root.exists():
            raise UsageError(f"{root} does not exist: pass the folder or files the prediction logs were written to")
        files = sorted(root.rglob("*.log.parquet")) if root.is_dir() else [root]
    else:
        files = sorted(Path(p) for p in paths)
    if not files:
        raise UsageError(f"no prediction logs (*.log.parquet) under {paths}: write predictions with result.write(path)")
    frames = []
    for file in files:
        try:
            frame = pd.read_parquet(file)
        except (OSError, ValueError) as error:
            raise UsageError(f"{file} is not a readable prediction log: {error}") from None
        if not {"prediction", "batch_time"} <= set(frame.columns):
            raise UsageError(f"{file} is not a prediction log: it has no prediction/batch_time columns")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def latest_per_key(log: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """One prediction per key: the latest by batch time, then by run id; and the copies dropped per kept row.

    A key logged twice (a batch scored twice, a job retried) is one scored row
    with one label: counting each copy would weigh it twice and narrow the
    bootstrap intervals with evidence that is not independent. The latest
    copy wins (a retry's prediction is the one delivered); run ids sort by
    start time (:mod:`mlcheck.runs.rundir`), so among copies of the same batch
    time the later run wins.

    Parameters
    ----------
    log : pandas.DataFrame
        A prediction log, shape (n_rows, n_columns), with ``batch_time`` and
        the ``keys`` columns (``run_id`` used when present).
    keys : sequence of str
        The columns that identify a scored row.

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        The kept rows in their original order, and per kept row (same index)
        how many other copies of its key were dropped.
    """
    import pandas as pd

    order = pd.DataFrame(
        {
            "time": pd.to_datetime(log["batch_time"], utc=True),
            "run": log["run_id"].astype(str) if "run_id" in log.columns else "",
        },
        index=log.index,
    )
    ranked = log.loc[order.sort_values(["time", "run"], kind="mergesort", na_position="first").index]
    kept = ranked.drop_duplicates(list(keys), keep="last").sort_index()
    copies = ranked.groupby(list(keys), sort=False, dropna=False).size()
    dropped = kept.set_index(list(keys)).index.map(copies).to_numpy() - 1
    return kept, pd.Series(dropped, index=kept.index, dtype="int64")


def _duplicates_note(dropped: int) -> str:
    return (
        f"{dropped} repeated prediction(s) of a key already logged dropped "
        "(a batch scored twice or a retried job; the latest by batch time, then run, kept)"
    )


def _positive_score(log: pd.DataFrame, positive: Any) -> str | None:
    wanted = f"score_{positive}"
    if wanted in log.columns:
        return wanted
    scores = sorted(c for c in log.columns if c.startswith("score_"))
    return scores[-1] if len(scores) == 2 else None


def _classes_and_score(labelled: pd.DataFrame, label: str, pos_label: Any) -> tuple[Any, str | None]:
    """(pos_label to use, the positive class's score column or None) for labelled rows."""
    truth, predicted = labelled[label].tolist(), labelled["prediction"].tolist()
    kinds = {type(v).__name__ for v in truth} - {type(v).__name__ for v in predicted}
    try:
        classes = sorted(set(truth) | set(predicted))
    except TypeError:
        raise UsageError(
            f"the labels ({', '.join(sorted(kinds)) or 'mixed'} values such as {truth[0]!r}) are not of the "
            f"model's classes (predictions such as {predicted[0]!r}): give labels as the model predicts them"
        ) from None
    if pos_label is None and len(classes) == 2 and not all(isinstance(c, Number) for c in classes):
        raise UsageError(
            f"which class is positive? the classes are {classes}: pass pos_label=, e.g. pos_label={classes[-1]!r}"
        )
    positive = classes[-1] if pos_label is None else pos_label
    score = _positive_score(labelled, positive) if len(classes) == 2 else None
    return (positive if len(classes) == 2 else pos_label), score


def _evaluate(
    labelled: pd.DataFrame, label: str, pos_label: Any, confidence: float, n_resamples: int, random_state: int
) -> dict[str, Any]:
    """mc.evaluate of the labelled rows' predictions (and positive scores, when logged) with intervals."""
    from mlcheck.contracts.performance import evaluate

    positive, score = _classes_and_score(labelled, label, pos_label)
    return evaluate(
        labelled[label].to_numpy(),
        y_pred=labelled["prediction"].to_numpy(),
        y_score=labelled[score].to_numpy() if score else None,
        pos_label=positive,
        confidence=confidence,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def realized_performance(
    log: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    key: str | Sequence[str],
    label: str = "label",
    period: str = "W",
    business: str | None = None,
    confidence: float = 0.95,
    pos_label: Any = None,
    n_resamples: int = 1000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Model metrics per period on the rows whose labels have arrived.

    Parameters
    ----------
    log : pandas.DataFrame
        Prediction logs (:func:`read_prediction_logs`): key columns,
        ``prediction``, optional ``score_<class>``, ``batch_time``.
    labels : pandas.DataFrame
        Key columns and the true ``label`` (and ``business`` when given).
        Keys seen twice keep their last label (a corrected label wins).
    key : str or list of str
        The columns that identify a scored row in both frames.
    label : str, default "label"
    period : str, default "W"
        A pandas period alias for the batch time ("D", "W", "M").
    business : str, optional
        A column of ``labels`` summed per period (revenue, losses).
    confidence : float, default 0.95
        Two-sided bootstrap intervals, as in :func:`mlcheck.evaluate`.
    pos_label : optional
        The positive class for binary metrics; needed when the classes are
        not numbers or booleans (e.g. "Yes"/"No").
    n_resamples, random_state
        Bootstrap resamples and seed.

    Returns
    -------
    pandas.DataFrame
        One row per period (a ``PeriodIndex``): ``n_scored`` (distinct keys:
        a key logged more than once counts once, its latest prediction by batch
        time then run, see :func:`latest_per_key`), ``n_duplicates`` (the
        copies dropped), ``n_labelled``,
        ``label_coverage`` (share of scored rows with a label), then each metric
        of :func:`mlcheck.evaluate` with ``<metric>_low`` and ``<metric>_high``
        (NaN where undefined on that period, e.g. recall with no positive), and
        ``business`` when asked. ``frame.attrs["n_duplicates"]`` is the total
        dropped and ``frame.attrs["note"]`` says so when any were.

    Raises
    ------
    UsageError
        When a key or label column is missing.
    """
    import pandas as pd

    keys = [key] if isinstance(key, str) else list(key)
    for name, frame, needed in (("log", log, [*keys, "batch_time"]), ("labels", labels, [*keys, label])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise UsageError(f"{name} has no column(s) {missing}: pass key= and label= naming its columns")
    if business is not None and business not in labels.columns:
        raise UsageError(f"labels has no column {business!r} for business=")
    truth = labels.drop_duplicates(keys, keep="last")
    log, dropped = latest_per_key(log, keys)
    log = log.assign(_copies=dropped)
    joined = log.merge(truth[[*keys, label, *([business] if business else [])]], on=keys, how="left")
    stamps = pd.to_datetime(joined["batch_time"], utc=True)
    joined["period"] = stamps.dt.tz_localize(None).dt.to_period(period)
    rows: list[dict[str, Any]] = []
    for when, group in joined.groupby("period", sort=True):
        labelled = group[group[label].notna()]
        row: dict[str, Any] = {
            "period": when,
            "n_scored": len(group),
            "n_duplicates": int(group["_copies"].sum()),
            "n_labelled": len(labelled),
            "label_coverage": len(labelled) / len(group) if len(group) else math.nan,
        }
        if business is not None:
            row["business"] = float(labelled[business].sum())
        if len(labelled) >= 2:
            try:
                report = _evaluate(labelled, label, pos_label, confidence, n_resamples, random_state)
            except UsageError as error:
                row["note"] = str(error)
            else:
                for metric, value in report["metrics"].items():
                    row[metric] = value if isinstance(value, (int, float)) and value is not None else math.nan
                    low, high = (report.get("intervals") or {}).get(metric, (math.nan, math.nan))
                    row[f"{metric}_low"] = math.nan if low is None else low
                    row[f"{metric}_high"] = math.nan if high is None else high
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame = frame.set_index("period") if not frame.empty else frame
    frame.attrs["n_duplicates"] = int(dropped.sum())
    if frame.attrs["n_duplicates"]:
        frame.attrs["note"] = _duplicates_note(frame.attrs["n_duplicates"])
    return frame


def comovement(frame: pd.DataFrame, metric: str, business: str = "business") -> dict[str, Any]:
    """Whether a model metric and a business figure move together over periods.

    Spearman's rank correlation of the two columns over the periods where
    both are defined (scipy.stats.spearmanr), with its two-sided p-value.

    Returns
    -------
    dict
        ``rho``, ``p_value``, ``n_periods`` and ``together``: True when rho > 0
        and p < 0.05, False when rho < 0 and p < 0.05, None when the data
        cannot tell (fewer than 4 periods, or p >= 0.05).
    """
    from scipy.stats import spearmanr

    both = frame[[metric, business]].dropna()
    if len(both) < 4 or both[metric].nunique() < 2 or both[business].nunique() < 2:
        return {"rho": None, "p_value": None, "n_periods": len(both), "together": None}
    rho, p_value = spearmanr(both[metric], both[business])
    together = None if p_value >= 0.05 else bool(rho > 0)
    return {"rho": float(rho), "p_value": float(p_value), "n_periods": len(both), "together": together}


_KEY = [NAME, SequenceOf(NAME, description="a column name or a list of them")]


@register_check("check_realized")
@validate_options(
    {
        "key": _KEY,
        "min": [MappingOf(Interval(Real, None, None), example="{'recall': 0.6}")],
        "label": [NAME],
        "window": [NAME],
        "confidence": [Interval(Real, 0, 1, closed="neither", description="a level in (0, 1), e.g. 0.95")],
        "min_labelled": [Interval(Integral, 2, None)],
        "n_resamples": [Interval(Integral, 100, None)],
        "random_state": [Interval(Integral, 0, None)],
        "severity": [SEVERITY],
    }
)
def check_realized(
    log: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    key: str | Sequence[str],
    min: Mapping[str, float],
    label: str = "label",
    window: str = "28D",
    confidence: float = 0.95,
    min_labelled: int = 30,
    pos_label: Any = None,
    n_resamples: int = 1000,
    random_state: int = 0,
    severity: Literal["error", "warning"] = "error",
) -> CheckResult:
    """Realized performance over the last ``window`` of batches, on the interval's lower bound.

    The rows scored in the last ``window`` (before the newest batch time) whose
    labels have arrived are evaluated together, one per key (a key logged more
    than once keeps its latest prediction, see :func:`latest_per_key`; the
    copies dropped are ``details["n_duplicates"]`` and named in the message); each bound in ``min`` holds
    when the lower end of the metric's two-sided ``confidence`` interval is at
    least the bound. A window with fewer than ``min_labelled`` labelled rows
    fails with "not enough labels yet" rather than guess.

    Parameters
    ----------
    log, labels, key, label
        As in :func:`realized_performance`.
    min : mapping of str to float
        Metric name (any of :func:`mlcheck.evaluate`'s) to its lower bound.
    window : str, default "28D"
        A pandas offset: how far back from the newest batch to look.
    confidence : float, default 0.95
    min_labelled : int, default 30
    pos_label : optional
        As in :func:`realized_performance`.
    n_resamples, random_state
        Bootstrap resamples and seed.
    severity : {"error", "warning"}

    Returns
    -------
    CheckResult
        ``check_realized``, one outcome per bound (observed: the lower bound).

    Raises
    ------
    UsageError
        For bad options or missing columns.
    """
    import pandas as pd

    from mlcheck.results import CheckResult, Outcome

    if not min:
        raise UsageError("check_realized needs at least one bound in min=, e.g. min={'recall': 0.6}")
    try:
        pd.Timedelta(window)
    except ValueError:
        raise UsageError(f"window must be a duration such as '28D' or '4W', got {window!r}") from None
    keys = [key] if isinstance(key, str) else list(key)
    for name, frame, needed in (("log", log, [*keys, "batch_time", "prediction"]), ("labels", labels, [*keys, label])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise UsageError(f"{name} has no column(s) {missing}: pass key= and label= naming its columns")
    log, copies = latest_per_key(log, keys)  # a key logged twice is one row, one label: not twice the evidence
    dropped = int(copies.sum())
    stamps = pd.to_datetime(log["batch_time"], utc=True)
    newest = stamps.max()
    if pd.isna(newest):
        raise UsageError("the prediction log has no batch times: write predictions with result.write(path)")
    start = newest - pd.Timedelta(window)
    recent = log[stamps > start]
    truth = labels.drop_duplicates(keys, keep="last")[[*keys, label]]
    labelled = recent.merge(truth, on=keys, how="inner")
    labelled = labelled[labelled[label].notna()]
    details: dict[str, Any] = {
        "window": window,
        "from": str(start),
        "to": str(newest),
        "n_scored": len(recent),
        "n_labelled": len(labelled),
        "n_duplicates": dropped,
        "confidence": confidence,
    }
    repeated = f"; {_duplicates_note(dropped)}" if dropped else ""
    if len(labelled) < min_labelled:
        outcomes = tuple(
            Outcome(metric, False, None, bound, f"not enough labels yet: {len(labelled)} of {min_labelled}")
            for metric, bound in min.items()
        )
        message = f"{len(labelled)} labelled rows in the last {window}: not enough to judge (need {min_labelled}){repeated}"
        return CheckResult("check_realized", passed=False, severity=severity, observed=None,
                           threshold=dict(min), details=details, message=message, outcomes=outcomes)  # fmt: skip
    report = _evaluate(labelled, label, pos_label, confidence, n_resamples, random_state)
    outcomes_list = []
    for metric, bound in min.items():
        if metric not in report["metrics"]:
            raise UsageError(f"unknown metric {metric!r}; known: {', '.join(sorted(report['metrics']))}")
        low = (report.get("intervals") or {}).get(metric, (None, None))[0]
        value = report["metrics"][metric]
        if low is None or (isinstance(low, float) and math.isnan(low)):
            outcomes_list.append(Outcome(metric, False, None, bound, "undefined on these rows"))
            continue
        held = low >= bound
        text = f"{metric} {value:.3g}, {confidence:.0%} interval from {low:.3g}" + ("" if held else f" < {bound}")
        outcomes_list.append(Outcome(metric, held, round(float(low), 6), bound, text))
    outcomes = tuple(outcomes_list)
    failed = [o for o in outcomes if not o.passed]
    details["metrics"] = {m: report["metrics"][m] for m in min}
    details["intervals"] = {m: (report.get("intervals") or {}).get(m) for m in min}
    message = (
        f"realized performance over the last {window} ({len(labelled)} labelled rows): "
        + ("; ".join(o.message for o in failed) if failed else "all bounds held on the lower end")
        + repeated
    )
    return CheckResult("check_realized", passed=not failed, severity=severity,
                       observed=outcomes[0].observed, threshold=dict(min), details=details,
                       message=message, outcomes=outcomes)  # fmt: skip
