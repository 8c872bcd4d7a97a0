"""The monitoring part of ``mlcheck demo``: run once for real, then the monitor asked as a scheduler would."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mlcheck.cli import main
from mlcheck.cli.demo import DEMO_FILES, PART_FILES
from mlcheck.cli.demo_monitoring import (
    BUSY_AT,
    FAULT_FROM,
    MONITORING_FILES,
    N_WEEKS,
    SCORE_NOTEBOOK,
    fahrenheit,
    weeks,
)
from mlcheck.runs import read_run

ROOT = Path(__file__).resolve().parent.parent
HOURS = ROOT / "example_notebooks" / "data" / "bikeshare.parquet"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """``mlcheck demo --part monitoring --quick`` once: (exit code, what it printed, folder)."""
    folder = tmp_path_factory.mktemp("demo") / "monitoring"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--part", "monitoring", "--dir", str(folder), "--quick"])
    return code, printed.getvalue(), folder


def _score_runs(folder: Path) -> list:
    runs = [read_run(path.parent) for path in (folder / "runs" / "bikeshare_score").glob("*/run.json")]
    return sorted(runs, key=lambda run: run.parameters["batch_time"])


def _monitor(runs: list, into: Path) -> tuple[int, str]:
    """``mlcheck monitor`` over copies of ``runs`` only: what a scheduler sees right after the last of them."""
    for run in runs:
        shutil.copytree(run.run_dir, into / "bikeshare_score" / run.run_dir.name)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["monitor", SCORE_NOTEBOOK, "--runs-dir", str(into)])
    return code, printed.getvalue()


def test_the_demo_scores_26_weeks_and_only_the_faulty_ones_fail(demo: tuple[int, str, Path]) -> None:
    code, printed, folder = demo
    assert code == 0, printed
    runs = _score_runs(folder)
    assert [run.parameters["batch_time"] for run in runs] == [f"{week:%Y-%m-%d}" for week in weeks()]
    faulty = [run.parameters["batch_time"] >= FAULT_FROM for run in runs]
    assert sum(faulty) == 4 and len(runs) == N_WEEKS == 26
    assert [run.exit_code for run in runs] == [1 if bad else 0 for bad in faulty]
    for run in runs:
        if run.exit_code:
            [failed] = run.failed_checks
            assert failed.name == "check_schema"
            assert [o.subject for o in failed.outcomes if not o.passed] == ["temp"]
    # realized performance is judged from the third week on (labels arrive a week after a week ends)
    realized = [any(r.name == "check_realized" for r in run.results) for run in runs]
    assert realized == [False, False] + [True] * (N_WEEKS - 2)
    assert "22 clean weeks: 0 alert(s), 0 failed job(s); the fault: caught on its first week" in printed


def test_the_monitor_is_quiet_through_the_clean_weeks_and_alerts_on_the_first_faulty_one(
    demo: tuple[int, str, Path], tmp_path: Path
) -> None:
    _, _, folder = demo
    runs = _score_runs(folder)
    first_fault = next(i for i, run in enumerate(runs) if run.parameters["batch_time"] >= FAULT_FROM)

    code, quiet = _monitor(runs[:first_fault], tmp_path / "clean")
    assert code == 0, quiet
    assert "ALERT" not in quiet and "no alert" in quiet

    code, alerted = _monitor(runs[: first_fault + 1], tmp_path / "fault")
    assert code == 1, alerted
    fault_run = runs[first_fault].run_dir.name
    [line] = [line for line in alerted.splitlines() if "ALERT" in line]
    assert "check_schema[temp]" in line and "100% of values outside the training range" in line
    assert f"since run {fault_run} (2011-12-03" in alerted
    assert str(tmp_path / "fault" / "bikeshare_score" / fault_run) in alerted  # the folder to open

    # the next faulty week is the same cause: ongoing, not a new page
    code, ongoing = _monitor(runs[first_fault + 1 : first_fault + 2], tmp_path / "fault")
    assert code == 0 and "still status: check_schema[temp]" in ongoing


def test_the_demo_writes_the_dashboard_and_labels_a_week_late(demo: tuple[int, str, Path]) -> None:
    _, printed, folder = demo
    dashboard = folder / "monitor.html"
    assert f"the dashboard: {dashboard}" in printed
    page = dashboard.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "outside[temp]" in page and "realized[roc_auc]" in page
    labels = sorted((folder / "weekly" / "labels").glob("*.parquet"))
    # the label files of every week before the last pair of jobs are delivered; the last weeks' are not
    assert [path.stem for path in labels] == [f"{week:%Y-%m-%d}" for week in weeks()[: N_WEEKS - 2]]
    first = pd.read_parquet(labels[0])
    hours = pd.read_parquet(HOURS)
    week = hours[(hours["time"] >= "2011-07-02") & (hours["time"] < "2011-07-09")]
    assert first["time"].tolist() == week["time"].tolist()
    assert first["busy"].tolist() == (week["bikers"] >= BUSY_AT).tolist()
    batch = pd.read_parquet(folder / "weekly" / "batches" / f"{FAULT_FROM}.parquet")
    assert not {"bikers", "casual", "registered"} & set(batch.columns)  # no answers in a batch


def test_fahrenheit_is_the_celsius_reading_converted_and_normalized_as_celsius() -> None:
    celsius = pd.Series([-8.0, 0.0, 15.0, 39.0])
    normalized = (celsius + 8) / 47  # UCI's normalization of temp
    sent = fahrenheit(normalized) * 47 - 8  # what the feed's number reads as, in "Celsius"
    assert sent.round(9).tolist() == [17.6, 32.0, 59.0, 102.2]


def test_the_monitoring_files_are_shipped_and_listed() -> None:
    assert set(MONITORING_FILES) <= set(DEMO_FILES)
    assert set(MONITORING_FILES) <= set(PART_FILES["monitoring"])
    assert not set(MONITORING_FILES) & set(PART_FILES["contracts"])
    hours = pd.read_parquet(HOURS)
    assert len(hours) == 8645 and hours["time"].is_unique and hours["time"].is_monotonic_increasing
    notebook = json.loads((ROOT / "example_notebooks" / "bikeshare_score.ipynb").read_text(encoding="utf-8"))
    shipped = json.loads((ROOT / "example_notebooks" / "score.ipynb").read_text(encoding="utf-8"))
    assert notebook["metadata"] == shipped["metadata"]


def test_the_kernels_get_one_openmp_thread_unless_told_and_the_setting_is_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlcheck.cli.demo_monitoring import _one_thread_per_kernel

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with _one_thread_per_kernel():
        assert os.environ["OMP_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's own setting wins and stays
    with _one_thread_per_kernel():
        assert os.environ["OMP_NUM_THREADS"] == "2"
    assert os.environ["OMP_NUM_THREADS"] == "2"
