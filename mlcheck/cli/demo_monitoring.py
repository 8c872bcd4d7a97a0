"""The monitoring part of ``mlcheck demo``: half a year of weekly scoring jobs, watched.

Capital Bikeshare's hours of 2011 (``data/bikeshare.parquet``, see its
README): ``bikeshare_train.ipynb`` learns from January to June whether an hour
is busy; then, for each of the 26 weeks from 2 July to 30 December, the demo
does what a scheduler and a label feed would do:

1. writes the true labels of the weeks already scored (``weekly/labels/``);
   a week's labels are complete when it ends and arrive a week later, so the
   notebook uses those of weeks that ended at least 7 days before its batch:
   the job of week *t* judges weeks up to *t - 2*;
2. writes the week's hours as a batch (``weekly/batches/``), without the
   rentals; from :data:`FAULT_FROM` on, the temperature feed reports
   Fahrenheit, normalized as if it were Celsius (the planted fault);
3. runs ``bikeshare_score.ipynb`` on it as a job (a real kernel, through
   :func:`mlcheck.runs.run_notebook`), with the week's first day as
   ``batch_time``, two weeks at a time (each needs only the predictions of
   weeks the pair before scored);
4. asks the monitor (:func:`mlcheck.monitor` and the alert policy of
   :mod:`mlcheck.monitoring.alerts`, what ``mlcheck monitor`` prints) for
   the state, as a scheduler would after each job.

It prints one line per week, the monitor's full state after the last clean
week and after the first faulty one, and writes the dashboard. Why these
contracts and thresholds, and what this monitor cannot see: ``docs/monitoring.md``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlcheck.monitoring.alerts import MonitorState

#: the monitoring demo's files, as shipped (the wheel maps each to mlcheck/_data/example_notebooks/)
MONITORING_FILES = ("bikeshare_train.ipynb", "bikeshare_score.ipynb", "data/bikeshare.parquet")
TRAIN_NOTEBOOK, SCORE_NOTEBOOK = "bikeshare_train.ipynb", "bikeshare_score.ipynb"
#: the first scored week starts here; the model learns from every hour before it
FIRST_WEEK = "2011-07-02"
N_WEEKS = 26
#: from this week on the temperature feed reports Fahrenheit (week 23 of the 26 scored)
FAULT_FROM = "2011-12-03"
#: an hour is busy when at least this many bikes were rented (the label; the train notebook's busy_at)
BUSY_AT = 200
#: the columns a scoring batch does not have: the rentals are what the labels are made of
RENTALS = ("casual", "registered", "bikers")
WEEKLY = "weekly"
#: UCI's normalization of temp: (t - T_MIN) / (T_MAX - T_MIN), t in degrees Celsius
T_MIN, T_MAX = -8.0, 39.0
#: the training job's settings: generated parity rows are the contracts part's subject (they cost
#: half a minute with these trees), so this part leaves them out; --quick bootstraps less
TRAIN = {"n_resamples": 1000, "parity_examples": 0}
QUICK_TRAIN = {"n_resamples": 300, "parity_examples": 0}
#: weekly jobs run two at a time: a job needs the predictions of two weeks back
#: (labels arrive a week after a week ends), which the pair before wrote
JOBS_AT_ONCE = 2
OMP_THREADS = "OMP_NUM_THREADS"


def fahrenheit(temp: Any) -> Any:
    """The planted fault: a normalized Celsius ``temp`` as a feed reporting Fahrenheit would send it.

    The reading ``t`` (degrees Celsius, from UCI's normalization) becomes
    ``1.8 t + 32`` and is normalized as if it were Celsius: 15 C (0.49) is
    sent as 59 (1.43); at 2.3 C (0.22) and below the value stays inside
    January-to-June's range of ``temp``.
    """
    celsius = temp * (T_MAX - T_MIN) + T_MIN
    return (celsius * 1.8 + 32 - T_MIN) / (T_MAX - T_MIN)


def weeks() -> list[pd.Timestamp]:
    """The first day of each scored week."""
    import pandas as pd

    return list(pd.date_range(FIRST_WEEK, periods=N_WEEKS, freq="7D"))


def week_hours(hours: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    import pandas as pd

    return hours[(hours["time"] >= start) & (hours["time"] < start + pd.Timedelta(days=7))]


def write_batch(hours: pd.DataFrame, start: pd.Timestamp, folder: Path, *, fault: bool) -> Path:
    """The week's hours without the rentals (and with the fault when ``fault``), as Parquet."""
    from mlcheck._atomic import write_with

    batch = week_hours(hours, start).drop(columns=list(RENTALS)).reset_index(drop=True)
    if fault:
        batch["temp"] = fahrenheit(batch["temp"])
    path = folder / WEEKLY / "batches" / f"{start:%Y-%m-%d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_with(path, lambda target: batch.to_parquet(target, index=False))
    return path


def write_labels(hours: pd.DataFrame, start: pd.Timestamp, folder: Path) -> Path:
    """The week's true labels (``time``, ``busy``), as the label feed delivers them a week later."""
    from mlcheck._atomic import write_with

    week = week_hours(hours, start)
    labels = week[["time"]].assign(busy=week["bikers"] >= BUSY_AT).reset_index(drop=True)
    path = folder / WEEKLY / "labels" / f"{start:%Y-%m-%d}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_with(path, lambda target: labels.to_parquet(target, index=False))
    return path


@dataclass
class Week:
    """One scored week: its job and the monitor's state after it."""

    start: pd.Timestamp
    faulty: bool
    exit_code: int
    run_dir: Path
    seconds: float
    failed: list[str]
    state: MonitorState
    alerts: int = field(init=False)

    def __post_init__(self) -> None:
        self.alerts = len(self.state.alerts)


def monitor_state(folder: Path) -> tuple[pd.DataFrame, MonitorState]:
    """What ``mlcheck monitor bikeshare_score.ipynb`` computes in ``folder``: the series and its state."""
    from mlcheck.monitoring.alerts import evaluate_alerts
    from mlcheck.monitoring.series import monitor

    frame = monitor(folder / "runs", SCORE_NOTEBOOK)
    return frame, evaluate_alerts(frame, notebook=SCORE_NOTEBOOK)


def _failed_subjects(run: Any) -> list[str]:
    failed = []
    for check in run.failed_checks:
        subjects = [outcome.subject for outcome in (check.outcomes or ()) if not outcome.passed]
        failed.append(f"{check.name} ({', '.join(subjects)})" if subjects else check.name)
    return failed


def _week(folder: Path, start: pd.Timestamp, fault_from: pd.Timestamp, run: Any) -> Week:
    """The week's job and what the monitor says once it is in the series (later weeks left out)."""
    from mlcheck.monitoring.alerts import evaluate_alerts

    frame, _ = monitor_state(folder)
    frame = frame[frame.index <= start.tz_localize("UTC")]  # what a scheduler saw right after this job
    state = evaluate_alerts(frame, notebook=SCORE_NOTEBOOK)
    return Week(start, start >= fault_from, run.exit_code, run.run_dir, run.duration, _failed_subjects(run), state)


def _print_week(week: Week, fault_from: pd.Timestamp) -> None:
    """The week's line; the monitor's whole state after the last clean week and the first faulty one."""
    import pandas as pd

    from mlcheck.monitoring.alerts import format_state, summary

    state = week.state
    said = "; ".join(f"ALERT {alert.cause}: {alert.message}" for alert in state.alerts)
    if not said:
        said = summary(state)  # "no new alert; 1 ongoing: status since 2011-12-03 (2 runs)", as mlcheck monitor says
    failed = f" failed: {', '.join(week.failed)}" if week.failed else ""
    print(f"  {week.start:%Y-%m-%d}{' (fault)' if week.faulty else '        '} exit {week.exit_code}{failed}  monitor: {said}")
    code = 1 if state.alerts else 0
    if week.start + pd.Timedelta(days=7) == fault_from:
        print(f"\n  the monitor after the last clean week (mlcheck monitor exits {code}):")
        print("\n".join("    " + line for line in format_state(state)) + "\n")
    if week.start == fault_from:
        print(f"\n  the monitor after the first faulty week (mlcheck monitor exits {code}):")
        print("\n".join("    " + line for line in format_state(state)) + "\n")


@contextmanager
def _one_thread_per_kernel() -> Iterator[None]:
    """The jobs' kernels (they inherit this environment) use one OpenMP thread unless told otherwise.

    Two jobs run at a time on a small machine; each kernel's OpenMP pool (the
    gradient-boosted trees) would start a thread per core and fight the other
    for them. Measured under load here: 100 single-row predictions took 4.6 to
    17 s with the default pools, 0.4 to 0.6 s with one thread.
    """
    before = os.environ.get(OMP_THREADS)
    os.environ.setdefault(OMP_THREADS, "1")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(OMP_THREADS, None)


def run_monitoring(folder: Path, *, quick: bool, timeout: float) -> int:
    """Train, score 26 weeks with a fault in the last four, watch; 0 when the monitor did what it should.

    ``folder`` already holds :data:`MONITORING_FILES`. Returns 1 when a clean
    week raised an alert or failed, or when the first faulty week raised no
    alert; the training job's own exit code when it failed.
    """
    with _one_thread_per_kernel():
        return _run_monitoring(folder, quick=quick, timeout=timeout)


def _run_monitoring(folder: Path, *, quick: bool, timeout: float) -> int:
    import pandas as pd

    from mlcheck.cli.demo import summary_lines
    from mlcheck.monitoring.dashboard import write_dashboard
    from mlcheck.runs import run_notebook

    runs_dir = folder / "runs"
    started = time.monotonic()
    print("monitoring: Capital Bikeshare's hours of 2011 (ISLP, from UCI); see data/README.md")
    parameters: dict[str, Any] = {"busy_at": BUSY_AT, "train_until": FIRST_WEEK, **(QUICK_TRAIN if quick else TRAIN)}
    given = " ".join(f"-p {name} {value}" for name, value in parameters.items())
    print(f"[1/3] learn from January to June whether an hour is busy: mlcheck run {TRAIN_NOTEBOOK} {given}")
    train = run_notebook(folder / TRAIN_NOTEBOOK, parameters, runs_dir=runs_dir, timeout=timeout)
    print("\n".join(summary_lines(train.results)))
    print(f"  exit code {train.exit_code} ({train.status}) in {train.duration:.1f} s\n")
    if train.exit_code != 0:
        print(f"the demo stopped: {TRAIN_NOTEBOOK} ended with exit code {train.exit_code}: {train.message}")
        print(f"look at {train.output_path}")
        return train.exit_code or 1

    hours = pd.read_parquet(folder / "data" / "bikeshare.parquet")
    fault_from = pd.Timestamp(FAULT_FROM)
    print(
        f"[2/3] score {N_WEEKS} weeks, {FIRST_WEEK} to {weeks()[-1] + pd.Timedelta(days=6):%Y-%m-%d}, one job a week; "
        f"labels arrive a week after each week ends; from {FAULT_FROM} the temperature feed reports Fahrenheit (planted)"
    )
    print(f"  mlcheck run {SCORE_NOTEBOOK} -p batch_time WEEK -p input_path {WEEKLY}/batches/WEEK.parquet "
          f"-p output_path {WEEKLY}/predictions/WEEK.parquet, then mlcheck monitor {SCORE_NOTEBOOK}")  # fmt: skip
    history: list[Week] = []
    scoring_started = time.monotonic()
    starts = weeks()

    def score(start: pd.Timestamp) -> Any:
        day = f"{start:%Y-%m-%d}"
        batch = write_batch(hours, start, folder, fault=start >= fault_from)
        return run_notebook(
            folder / SCORE_NOTEBOOK,
            {"batch_time": day, "input_path": str(batch.relative_to(folder)),
             "output_path": f"{WEEKLY}/predictions/{day}.parquet", "labels_dir": f"{WEEKLY}/labels"},
            runs_dir=runs_dir,
            timeout=timeout,
            report=False,  # 26 HTML reports would cost more than the jobs; `mlcheck report RUN` renders one
        )  # fmt: skip

    labelled = 0
    with ThreadPoolExecutor(max_workers=JOBS_AT_ONCE) as pool:
        for first in range(0, len(starts), JOBS_AT_ONCE):
            group = starts[first : first + JOBS_AT_ONCE]
            # A week's labels are complete when it ends and arrive a week later; the
            # notebook uses only those that had arrived by its batch time, so the label
            # files of every week before this group may be on disk already.
            for start in starts[labelled:first]:
                write_labels(hours, start, folder)
            labelled = first
            for start, run in zip(group, pool.map(score, group)):
                history.append(_week(folder, start, fault_from, run))
                _print_week(history[-1], fault_from)
    scoring_seconds = time.monotonic() - scoring_started

    frame, state = monitor_state(folder)
    dashboard = write_dashboard(folder / "monitor.html", frame, state)
    clean = [week for week in history if not week.faulty]
    first_fault = next(week for week in history if week.faulty)
    false_alerts = sum(week.alerts for week in clean)
    failed_clean = [week for week in clean if week.exit_code != 0]
    caught = any(
        alert.since == first_fault.run_dir.name and "temp" in alert.message for alert in first_fault.state.alerts
    )
    print(f"[3/3] the dashboard: {dashboard}")
    print(f"  the same from the command line: cd {folder} && mlcheck monitor {SCORE_NOTEBOOK} --html monitor.html")
    print(
        f"  {len(clean)} clean weeks: {false_alerts} alert(s), {len(failed_clean)} failed job(s); "
        f"the fault: {'caught on its first week' if caught else 'NOT caught on its first week'}; "
        f"scoring and monitoring took {scoring_seconds:.0f} s, the whole part {time.monotonic() - started:.0f} s"
    )
    return 0 if caught and not false_alerts and not failed_clean else 1
