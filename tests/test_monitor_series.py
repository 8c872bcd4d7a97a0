"""mlcheck.monitoring.series: run directories read back as one row per run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlcheck as mc
from mlcheck.errors import UsageError
from mlcheck.monitoring.series import INDEX_FILE, feature_columns, monitor, run_row
from mlcheck.runs import run_notebook

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture(scope="module")
def three_batches(tmp_path_factory) -> Path:
    """Three real runs, started out of batch order: the third day drifted."""
    folder = tmp_path_factory.mktemp("monitor")
    notebook = folder / "batch.ipynb"
    shutil.copy(NOTEBOOKS / "monitor" / "batch.ipynb", notebook)
    for day, shift_by in (("2026-01-03", 1.0), ("2026-01-01", 0.0), ("2026-01-02", 0.0)):
        run = run_notebook(notebook, {"batch_date": day, "shift_by": shift_by}, report=False)
        assert run.exit_code in (0, 1), run.message
    return folder


def test_one_row_per_run_in_batch_time_order(three_batches):
    series = mc.monitor(notebook=three_batches / "batch.ipynb")
    assert list(series.index.strftime("%Y-%m-%d")) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert series.index.name == "batch_time"
    assert list(series["status"]) == ["succeeded", "succeeded", "failed"]
    assert list(series["exit_code"]) == [0, 0, 1]
    assert (series["rows"] == 500).all()
    assert series["coverage"].tolist() == pytest.approx([0.99] * 3)
    assert set(feature_columns(series, "psi")) == {"age", "plan"}
    assert series["drifted[age]"].tolist() == [False, False, True]
    assert series["psi[age]"].iloc[2] > 0.5 > series["psi[age]"].iloc[0]
    assert series["missing[age]"].tolist() == [0.0, 0.0, 0.0]
    assert np.isfinite(series["value[mean_age]"]).all()
    assert series["failed_checks"].tolist() == [0, 0, 1]


def test_damaged_records_are_rows_not_errors(three_batches, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(three_batches / "runs", runs)
    victim = sorted(p for p in (runs / "batch").iterdir() if p.is_dir())[0]
    (victim / "run.json").write_text("{not json", encoding="utf-8")
    series = monitor(runs, "batch")
    assert len(series) == 3
    damaged = series[series["status"] == "damaged"]
    assert list(damaged["run_id"]) == [victim.name] and damaged["message"].iloc[0]


def test_the_index_follows_the_run_directories(three_batches, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(three_batches / "runs", runs)
    first = monitor(runs, "batch")
    assert (runs / "batch" / INDEX_FILE).is_file()
    assert monitor(runs, "batch").equals(first)  # from the index
    newest = sorted(p for p in (runs / "batch").iterdir() if p.is_dir())[-1]
    shutil.rmtree(newest)
    assert len(monitor(runs, "batch")) == 2
    (runs / "batch" / INDEX_FILE).write_bytes(b"garbage")  # a damaged index is only a missed speed-up
    assert len(monitor(runs, "batch")) == 2


def test_other_kinds_of_runs_are_kept_apart(three_batches):
    assert len(monitor(three_batches / "runs", "batch", kind="golden")) == 0


def test_which_notebook_must_be_said_when_several(tmp_path):
    (tmp_path / "runs" / "train").mkdir(parents=True)
    (tmp_path / "runs" / "score").mkdir()
    with pytest.raises(UsageError, match="pass notebook="):
        monitor(tmp_path / "runs")
    with pytest.raises(UsageError, match="found: score, train"):
        monitor(tmp_path / "runs", "nightly.ipynb")
    with pytest.raises(UsageError, match="no runs in"):
        monitor(tmp_path / "empty")


def test_batch_time_falls_back_to_the_start_and_non_finite_values_are_read():
    row = run_row(
        {
            "run_id": "r1",
            "status": "succeeded",
            "started": "2026-02-01T10:00:00+00:00",
            "parameters": {"input_path": "x.parquet"},
            "values": {"loss": "nan", "note": "text"},
            "results": [{"name": "check_latency", "passed": True, "observed": 0.002}],
        }
    )
    assert row["batch_time"] == pd.Timestamp("2026-02-01T10:00:00Z")
    assert np.isnan(row["value[loss]"]) and row["value[note]"] == "text"
    assert row["latency_p95"] == 0.002
    json.dumps({k: str(v) for k, v in row.items()})
