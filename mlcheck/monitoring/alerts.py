"""Alerts without fatigue: from a series of runs to the few things worth a page.

Pure computation on a :func:`mlcheck.monitoring.series.monitor` frame, no I/O.
The policy, each point a lesson from teams that stopped reading their alerts:

- **State changes, not levels.** A cause alerts on the run where it turns bad
  and not again while it stays bad; the run where it turns good again is
  reported as resolved (not an alert).
- **Grouped by cause.** Twelve features drifting on the same run are one
  alert ("drift in 12 features"), not twelve.
- **Small batches are not pages.** A run with far fewer rows than usual (under
  ``min_rows_share`` of the median of the runs before it) raises no drift or
  anomaly alert: its figures are noise; its size is the one anomaly reported.
  Batch size is judged in proportion (under ``min_rows_share``, or over its
  inverse, of the usual), never by a test: a nearly constant count would make
  a one-row difference significant.
- **What matters first.** Features are weighted by importance (the bundle's,
  or the user's weights); features under ``min_weight`` are reported but never alert.
- **Actionable.** Every alert says what moved, since which run, how far
  (against what) and which run directories to open.

Causes: ``status`` (the run did not succeed: exit code not 0; a run whose
contracts failed is named by each failing ``check[subject]`` and what it saw,
e.g. ``check_schema[temp]: 100% of values outside the training range``, so a
run failing for a new reason is a new alert; any other by its status and the
cell that stopped it, e.g. ``error, exit code 3: cell 3: FileNotFoundError: ...``; a ``check_shift[f]`` failure the
drift cause reports is left to it), ``drift``
(features the run's own ``check_shift`` found drifted), ``anomaly`` and
``breakout`` (positions from :func:`~mlcheck.monitoring.detectors.anomalies`
and :func:`~mlcheck.monitoring.detectors.breakouts` on each watched series:
coverage, latency, metrics and recorded values; batch size and duration are
judged in proportion instead: a run over :data:`SLOW_RATIO` times the usual
duration and at least :data:`MIN_SLOWDOWN` seconds slower is an anomaly;
smaller slowdowns are the machine's other load).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcheck.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Alert", "MonitorState", "evaluate_alerts", "format_state", "summary", "WATCHED"]

#: the series watched for anomalies and breakouts (besides metric[...] and value[...] columns);
#: rows and duration are judged in proportion to the usual, not by the detectors
WATCHED = ("rows", "coverage", "duration", "latency_p95")
#: a run taking more than this many times the median duration of the runs before it is an anomaly,
SLOW_RATIO = 2.0
#: ... when it is also at least this many seconds slower: schedulers run jobs at minute resolution
#: (cron), so a slowdown under a minute cannot make a job miss its slot; a 5 s job taking 11 s on a
#: busy machine is not a page
MIN_SLOWDOWN = 60.0
#: runs before a proportional rule (duration) has a usual to compare with
MIN_USUAL = 3


@dataclass(frozen=True)
class Alert:
    """One cause that turned bad on the latest run.

    Attributes
    ----------
    cause : {"status", "drift", "anomaly", "breakout", "missing"}
    subjects : tuple of str
        What moved: features, series or the run's status word.
    since : str
        Run id of the first run of the current bad streak.
    since_time : str
        That run's batch time (ISO 8601).
    message : str
        What moved, how far and against what, in one line.
    runs : tuple of str
        Run ids to open, newest first.
    """

    cause: str
    subjects: tuple[str, ...]
    since: str
    since_time: str
    message: str
    runs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MonitorState:
    """The state of a monitored notebook at its latest run."""

    notebook: str
    n_runs: int
    latest_run: str | None
    latest_time: str | None
    alerts: list[Alert] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: cause -> subjects currently bad (alerted earlier or now)
    ongoing: dict[str, list[str]] = field(default_factory=dict)
    #: cause -> since when it is bad: ``since`` (run id of the streak's first run), ``since_time``
    #: (its batch time) and ``runs`` (how many runs the streak has lasted, the latest included)
    ongoing_since: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the folder holding the runs (``<runs_dir>/<notebook stem>``), so run ids become paths to open
    runs_folder: str = ""
    #: alerts of the latest run that an earlier ``mlcheck monitor`` delivered (not sent again),
    #: each as :meth:`Alert.to_dict` with ``delivered_at`` (ISO 8601, UTC); see :mod:`mlcheck.monitoring.delivery`
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["alerts"] = [alert.to_dict() for alert in self.alerts]
        return data


def _usual_rows(frame: pd.DataFrame) -> list[float]:
    """Per run: the median rows of the runs before it (NaN for the first, or without rows)."""
    if "rows" not in frame:
        return [math.nan] * len(frame)
    rows = frame["rows"].astype(float).tolist()
    usual: list[float] = []
    for i in range(len(rows)):
        before = sorted(r for r in rows[:i] if math.isfinite(r))
        half = len(before) // 2
        usual.append(math.nan if not before else before[half] if len(before) % 2 else (before[half - 1] + before[half]) / 2)
    return usual


def _small_batches(frame: pd.DataFrame, min_rows_share: float) -> list[bool]:
    """Per run: were its rows under ``min_rows_share`` of the median of the runs before it?"""
    if "rows" not in frame:
        return [False] * len(frame)
    rows = frame["rows"].astype(float).tolist()
    return [
        math.isfinite(value) and math.isfinite(usual) and value < min_rows_share * usual
        for value, usual in zip(rows, _usual_rows(frame))
    ]


#: one item of a run's failures: "check[subject]: message" or "check: message" (the message may hold ": ")
_FAILURE = re.compile(r"(?P<key>[^\[:\s]+(?:\[.*?\])?): (?P<saw>.*)", re.DOTALL)


def _failed_items(failures: Any) -> dict[str, str]:
    """``check[subject]`` -> what it saw, from a run's ``failures`` list (see :func:`mlcheck.monitor`)."""
    if not isinstance(failures, (list, tuple)):
        return {}
    items: dict[str, str] = {}
    for item in failures:
        match = _FAILURE.fullmatch(str(item))
        items[match["key"] if match else str(item)] = match["saw"] if match else ""
    return items


def _watched_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in WATCHED or c.startswith(("metric[", "value["))]


def _flags(
    frame: pd.DataFrame,
    small: list[bool],
    weights: Mapping[str, float],
    min_weight: float,
    *,
    period: int | None,
    min_rows_share: float,
) -> list[dict[str, dict[str, str]]]:
    """Per run: cause -> {subject: how far}, for every run of the series."""
    import numpy as np

    from mlcheck.monitoring.detectors import anomalies, breakouts, without

    flags: list[dict[str, dict[str, str]]] = [{} for _ in range(len(frame))]
    statuses = frame["status"].astype(str).tolist()
    failures = frame["failures"].tolist() if "failures" in frame else [None] * len(frame)
    stopped: list[Any] = frame["failed_cell"].tolist() if "failed_cell" in frame else [None] * len(frame)
    for i, status in enumerate(statuses):
        if status not in ("succeeded", "nan"):
            try:  # numpy ints, or floats when some run lacks one (NaN): shown as a plain integer
                shown = str(int(frame["exit_code"].iloc[i]))
            except (TypeError, ValueError):
                shown = "unknown"
            failed = _failed_items(failures[i]) if status == "failed" else {}
            # a failed contract is named by check and subject, so the alert says what broke
            # and a run failing for a new reason is a new alert; anything else by its status,
            # with the cell that stopped it and its error (a crash says why, as a failed check does)
            cell = stopped[i] if isinstance(stopped[i], str) else ""
            for subject, seen in (failed or {status: cell}).items():
                flags[i].setdefault("status", {})[subject] = f"{status}, exit code {shown}" + (f": {seen}" if seen else "")
    for column in [c for c in frame.columns if c.startswith("drifted[")]:
        feature = column[len("drifted[") : -1]
        if weights and weights.get(feature, 0.0) < min_weight:
            continue
        psi = frame.get(f"psi[{feature}]")
        for i, drifted in enumerate(frame[column].tolist()):
            if drifted is True and not small[i]:
                far = f"PSI {psi.iloc[i]:.3g}" if psi is not None and isinstance(psi.iloc[i], float) else "drifted"
                flags[i].setdefault("drift", {})[feature] = far
                # one cause, one alert: the drift alert says how far; the status one would repeat it
                failed = flags[i].get("status", {})
                failed.pop(f"check_shift[{feature}]", None)
                if "status" in flags[i] and not failed:
                    del flags[i]["status"]
    if "rows" in frame:
        # Batch size is judged proportionally, not statistically: a count that
        # is almost constant makes any one-row difference "significant".
        rows = frame["rows"].to_numpy(dtype=float, na_value=np.nan)
        for i in range(len(rows)):
            earlier = rows[:i][np.isfinite(rows[:i])]
            if earlier.size and np.isfinite(rows[i]):
                usual = float(np.median(earlier))
                if small[i] or (min_rows_share > 0 and rows[i] > usual / min_rows_share):
                    flags[i].setdefault("anomaly", {})["rows"] = f"{rows[i]:.0f} rows (usually {usual:.0f})"
    if "duration" in frame:
        # Duration, like batch size, is judged in proportion: on a shared machine
        # identical jobs take 5 to 12 s with the neighbours' load (measured in the
        # monitoring demo), so a statistical detector finds the neighbours, not the job.
        seconds = frame["duration"].to_numpy(dtype=float, na_value=np.nan)
        for i in range(len(seconds)):
            earlier = seconds[:i][np.isfinite(seconds[:i])]
            if earlier.size >= MIN_USUAL and np.isfinite(seconds[i]) and not small[i]:
                usual = float(np.median(earlier))
                if usual > 0 and seconds[i] > SLOW_RATIO * usual and seconds[i] - usual >= MIN_SLOWDOWN:
                    flags[i].setdefault("anomaly", {})["duration"] = f"{seconds[i]:.3g} s (usually {usual:.3g} s)"
    for column in _watched_columns(frame):
        if column in ("rows", "duration"):
            continue
        values = frame[column].to_numpy(dtype=float, na_value=np.nan) if frame[column].dtype != object else None
        if values is None or np.isfinite(values).sum() < 14:
            continue  # two weeks of daily runs before a series has a normal to depart from
        spots = anomalies(values, period=period)
        for i in spots.tolist():
            if not small[i]:
                baseline = float(np.nanmedian(values))
                flags[i].setdefault("anomaly", {})[column] = f"{values[i]:.4g} (median {baseline:.4g})"
        # A breakout is seen only once min_size runs at the new level exist, so
        # it is news on the run where it is first found, not on the run it starts.
        # anomalies left out: one run far off is not a new level, and would drag the fit
        level_values = without(values, spots)
        earlier = breakouts(level_values[:-1], period=period).tolist()
        for start in breakouts(level_values, period=period).tolist():
            if any(abs(start - seen) <= 2 for seen in earlier):
                continue
            level_before = float(np.nanmean(values[max(0, start - 7) : start]))
            level_after = float(np.nanmean(values[start:]))
            flags[-1].setdefault("breakout", {})[column] = (
                f"level {level_before:.4g} -> {level_after:.4g} since run {frame['run_id'].iloc[start]}"
            )
    return flags


def evaluate_alerts(
    frame: pd.DataFrame,
    *,
    notebook: str = "",
    weights: Mapping[str, float] | None = None,
    min_weight: float = 0.0,
    min_rows_share: float = 0.5,
    period: int | None = None,
    expect_every: timedelta | None = None,
    now: datetime | None = None,
) -> MonitorState:
    """The state at the latest run and the alerts it raises, by the policy above.

    Parameters
    ----------
    frame : pandas.DataFrame
        A :func:`mlcheck.monitor` frame, one row per run in batch-time order.
    notebook : str
        The notebook's name, for the messages.
    weights : mapping of str to float, optional
        Feature -> importance (any non-negative scale); drift of features
        under ``min_weight`` never alerts.
    min_weight : float, default 0
        See ``weights``.
    min_rows_share : float, default 0.5
        A run with fewer rows than this share of the median of earlier runs
        raises no drift or anomaly alert.
    period : int, optional
        Season length in runs for the detectors (detected when not given).
    expect_every : datetime.timedelta, optional
        How often a run should start (a nightly job: one day). When the
        newest run started more than 1.5 times that long before ``now``, a
        ``missing`` alert says since when no run came: the job that stopped
        running (a killed job leaves no record, so it counts as missing too).
        Judged on the runs' start times, not their batch times.
    now : datetime.datetime, optional
        When lateness is judged (timezone-aware; default: the current time).

    Returns
    -------
    MonitorState

    Raises
    ------
    UsageError
        For options out of range.
    """
    if not 0 <= min_rows_share <= 1:
        raise UsageError(f"min_rows_share must be in [0, 1], got {min_rows_share!r}")
    if expect_every is not None and expect_every <= timedelta(0):
        raise UsageError(f"expect_every must be a positive duration (e.g. 1 day), got {expect_every}")
    if weights and any(not isinstance(w, (int, float)) or w < 0 for w in weights.values()):
        raise UsageError("weights must map feature names to non-negative numbers")
    runs = frame[frame["status"].astype(str) != "damaged"] if "status" in frame else frame
    state = MonitorState(notebook=notebook, n_runs=len(runs), latest_run=None, latest_time=None,
                         runs_folder=str(frame.attrs.get("runs_folder", "")))  # fmt: skip
    damaged = len(frame) - len(runs)
    if damaged:
        state.notes.append(f"{damaged} run record(s) damaged and left out (see `mlcheck history`)")
    if runs.empty:
        state.notes.append("no finished runs yet")
        _killed(state, frame, [])
        return state
    run_ids = runs["run_id"].astype(str).tolist()
    times = [str(t) for t in runs.index]
    state.latest_run, state.latest_time = run_ids[-1], times[-1]
    small = _small_batches(runs, min_rows_share)
    if small[-1]:
        # the size itself is an anomaly of the rows series (alerted as such): say what is left out, and why
        state.notes.append(
            f"the latest batch is small ({runs['rows'].iloc[-1]:.0f} rows, usually {_usual_rows(runs)[-1]:.0f}): "
            "its size is the one anomaly judged; its drift and other series raise no alert (too few rows to tell)"
        )
    flags = _flags(runs, small, weights or {}, min_weight, period=period, min_rows_share=min_rows_share)
    last = len(runs) - 1
    latest_flags = flags[last]
    before = flags[last - 1] if last > 0 else {}
    for cause in ("status", "drift", "anomaly", "breakout"):
        current = latest_flags.get(cause, {})
        previous = before.get(cause, {})
        if current:
            state.ongoing[cause] = sorted(current)
            start = last
            while start > 0 and any(s in flags[start - 1].get(cause, {}) for s in current):
                start -= 1
            state.ongoing_since[cause] = {"since": run_ids[start], "since_time": times[start], "runs": last - start + 1}
        # anomalies and breakouts are events of one run: always new on the run they mark
        fresh = sorted(current) if cause in ("anomaly", "breakout") else sorted(set(current) - set(previous))
        for subject in sorted(set(previous) - set(current)):
            if cause in ("status", "drift"):
                state.resolved.append(f"{cause}: {subject}")
        if not fresh:
            continue
        if weights:
            fresh.sort(key=lambda s: -weights.get(s, 0.0))
        streak_start = last
        while streak_start > 0 and any(s in flags[streak_start - 1].get(cause, {}) for s in fresh):
            streak_start -= 1
        shown = ", ".join(f"{s} ({current[s]})" for s in fresh[:6]) + (f", +{len(fresh) - 6} more" if len(fresh) > 6 else "")
        label = {"status": "run did not succeed", "drift": f"drift in {len(fresh)} feature(s)",
                 "anomaly": f"anomaly in {len(fresh)} series", "breakout": f"new level in {len(fresh)} series"}[cause]  # fmt: skip
        state.alerts.append(
            Alert(
                cause=cause,
                subjects=tuple(fresh),
                since=run_ids[streak_start],
                since_time=times[streak_start],
                message=f"{label}: {shown}",
                runs=tuple(reversed(run_ids[streak_start:])),
            )
        )
    _killed(state, frame, run_ids)
    if expect_every is not None:
        _missing(state, runs, expect_every, now)
    return state


def _killed(state: MonitorState, frame: pd.DataFrame, run_ids: list[str]) -> None:
    """Runs that left no record: a note, and a ``status`` alert when the newest run of all is one.

    Run ids sort by start time, so a killed run newer than every recorded one
    is the job's latest attempt, ended by SIGKILL, the kernel's or the
    machine's death before ``run.json``: the series would otherwise end on an
    older, good run and say nothing.
    """
    killed = [str(run_id) for run_id in frame.attrs.get("killed") or ()]
    if not killed:
        return
    shown = ", ".join(killed[-3:]) + (f" and {len(killed) - 3} earlier" if len(killed) > 3 else "")
    state.notes.append(f"{len(killed)} run(s) left no record (killed before run.json): {shown}")
    newest = killed[-1]
    if not run_ids or newest > max(run_ids):
        state.ongoing["status"] = sorted({*state.ongoing.get("status", []), "killed"})
        state.alerts.append(
            Alert(
                cause="status",
                subjects=("killed",),
                since=newest,
                since_time="",
                message=(
                    f"the newest run, {newest}, left no record: killed before it finished "
                    "(no run.json and no process holds it; out of memory or SIGKILL?)"
                ),
                runs=(newest,),
            )
        )


def _missing(state: MonitorState, runs: pd.DataFrame, expect_every: timedelta, now: datetime | None) -> None:
    """A ``missing`` alert when the newest run started over 1.5 ``expect_every`` before ``now``."""
    import pandas as pd

    started = pd.to_datetime(runs["started"], utc=True, errors="coerce", format="ISO8601")
    if started.isna().all():
        return
    position = int(started.to_numpy().argmax())
    newest = started.iloc[position]
    moment = pd.Timestamp(now if now is not None else datetime.now(timezone.utc))
    if moment.tzinfo is None:
        raise UsageError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    late = moment - newest
    if late <= 1.5 * pd.Timedelta(expect_every):
        return
    run_id = str(runs["run_id"].iloc[position])
    state.ongoing["missing"] = ["runs"]
    state.alerts.append(
        Alert(
            cause="missing",
            subjects=("runs",),
            since=run_id,
            since_time=str(newest),
            message=(
                f"no run has started for {_duration(late)} (expected every {_duration(pd.Timedelta(expect_every))}): "
                f"the newest started {newest:%Y-%m-%d %H:%M} UTC; is the scheduler still running it?"
            ),
            runs=(run_id,),
        )
    )


def _duration(span: Any) -> str:
    """A duration as people say it: 3 days 4 h, 5 h 12 min, 40 min."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{max(minutes, 1)} min"


def _when(time: str) -> str:
    """A batch time as people write it: the date alone at midnight UTC (a daily or weekly batch)."""
    return time[: -len(" 00:00:00+00:00")] if time.endswith(" 00:00:00+00:00") else time


def summary(state: MonitorState) -> str:
    """One line: the new alerts, then the causes still bad since an earlier run.

    E.g. ``no new alert; 1 ongoing: status since 2011-12-03 (4 runs)``: a job
    failing for weeks is not "no alert", though it is paged only once.
    """
    alerted = {alert.cause for alert in state.alerts}
    ongoing = [
        f"{cause} since {_when(str(streak['since_time']))} ({streak['runs']} run{'s' if streak['runs'] != 1 else ''})"
        for cause, streak in state.ongoing_since.items()
        if cause not in alerted
    ]
    news = f"{len(state.alerts)} new alert(s)" if state.alerts else "no new alert" if ongoing else "no alert"
    return news + (f"; {len(ongoing)} ongoing: {', '.join(ongoing)}" if ongoing else "")


def format_state(state: MonitorState) -> list[str]:
    """Lines for the terminal and the log: alerts first, then what is ongoing, resolved and noted."""
    lines = [
        f"{state.notebook or 'runs'}: {state.n_runs} run(s), latest {state.latest_run or '-'} ({state.latest_time or '-'})"
    ]
    for alert in state.alerts:
        lines.append(f"  ALERT {alert.cause:<9} {alert.message}")
        lines.append(f"        since run {alert.since} ({alert.since_time}), {len(alert.runs)} run(s)")
        for run_id in alert.runs[:3]:
            lines.append(f"        open {Path(state.runs_folder, run_id) if state.runs_folder else run_id}")
    for earlier in state.delivered:
        lines.append(f"  alerted  {earlier['cause']:<9} {earlier['message']}")
        lines.append(f"        delivered {earlier['delivered_at']}: not sent again (one alert per state change)")
    for cause, subjects in state.ongoing.items():
        if not any(a.cause == cause for a in state.alerts):
            streak = state.ongoing_since.get(cause)
            since = f", since run {streak['since']} ({streak['since_time']}), {streak['runs']} run(s)" if streak else ""
            lines.append(f"  still {cause}: {', '.join(subjects[:8])}" + (" …" if len(subjects) > 8 else "") + since)
    for item in state.resolved:
        lines.append(f"  resolved {item}")
    for note in state.notes:
        lines.append(f"  note: {note}")
    if not state.alerts:
        lines.append(f"  {summary(state)}")
    return lines


def alert_lines(state: MonitorState) -> Sequence[dict[str, Any]]:
    """One JSON object per alert, for a JSON-lines log."""
    return [{"notebook": state.notebook, "latest_run": state.latest_run, **alert.to_dict()} for alert in state.alerts]
