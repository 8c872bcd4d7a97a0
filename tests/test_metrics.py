"""Undefined metrics: reported as undefined with a reason, a bound on them fails (exit 1), never raises."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import mlcheck as mc
from mlcheck.errors import UsageError


def _regression(n: int = 1000, zeros: int = 47) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y_true = rng.uniform(1, 10, n)
    y_true[:zeros] = 0.0
    return y_true, y_true + rng.normal(0, 0.5, n)


# -- item 12: MAPE with zero targets ----------------------------------------------------------------------
def test_mape_with_zero_targets_is_undefined_and_wape_is_offered() -> None:
    y_true, y_pred = _regression()
    report = mc.evaluate(y_true, y_pred=y_pred)
    assert report["metrics"]["mape"] is None  # was 1.05e14 with no note
    assert any("47 of 1000 targets are zero" in note and "wape" in note for note in report["notes"])
    expected = np.abs(y_true - y_pred).sum() / np.abs(y_true).sum()
    assert report["metrics"]["wape"] == pytest.approx(expected, rel=1e-12)
    result = mc.check_performance(y_true, y_pred, max={"mape": 0.2, "wape": 0.2})
    mape, wape = result.outcomes
    assert not mape.passed and "mape is undefined on this data: 47 of 1000 targets are zero" in mape.message
    assert wape.passed
    clean = _regression(zeros=0)
    assert mc.evaluate(*clean[:1], y_pred=clean[1])["metrics"]["mape"] == pytest.approx(
        skm.mean_absolute_percentage_error(*clean)
    )


# -- item 13: RMSLE's domain as scikit-learn's ----------------------------------------------------------------
def test_rmsle_is_computed_for_targets_above_minus_one() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.uniform(-0.9, 3, 300)
    y_pred = y_true + 0.05
    got = mc.evaluate(y_true, y_pred=y_pred)["metrics"]["rmsle"]
    assert got == pytest.approx(skm.root_mean_squared_log_error(y_true, y_pred), rel=1e-12)  # was withheld
    with pytest.raises(ValueError):  # scikit-learn's own domain ends at -1, and so does ours
        skm.root_mean_squared_log_error(y_true - 1.0, y_pred)
    assert mc.evaluate(y_true - 1.0, y_pred=y_pred)["metrics"]["rmsle"] is None


# -- item 14: a bound on an undefined metric is a failed outcome ------------------------------------------------
def test_a_quiet_window_with_one_class_fails_a_recall_bound_instead_of_raising() -> None:
    y_true = np.zeros(200, dtype=int)  # no positive in this window
    y_pred = np.zeros(200, dtype=int)
    y_pred[:5] = 1
    result = mc.check_performance(y_true, y_pred, min={"recall": 0.6})  # was a UsageError (exit 3 in a job)
    (outcome,) = result.outcomes
    assert result.failed and not outcome.passed and np.isnan(outcome.observed)
    assert outcome.message == "recall is undefined on this data: y_true has no rows of class 1"
    accuracy = mc.check_performance(y_true, y_pred, min={"accuracy": 0.9})
    assert accuracy.passed and accuracy.outcomes[0].observed == pytest.approx(0.975)


def test_one_class_with_scores_and_intervals_fails_roc_auc_as_undefined() -> None:
    rng = np.random.default_rng(2)
    y_true = np.zeros(300, dtype=int)
    scores = rng.uniform(0, 0.4, 300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy or scikit-learn warning leaks
        result = mc.check_performance(y_true, scores, min={"roc_auc": 0.7, "accuracy": 0.9}, confidence=0.9)
    roc, accuracy = result.outcomes
    assert not roc.passed and "roc_auc is undefined on this data: y_true holds one class only" in roc.message
    assert accuracy.passed and "interval" in accuracy.message


def test_an_rmsle_bound_with_predictions_at_or_below_minus_one_fails() -> None:
    y_true = np.array([1.5, 2.0, 3.1, 0.4] * 10)
    y_pred = y_true - 2.0  # some predictions <= -1
    result = mc.check_performance(y_true, y_pred, max={"rmsle": 1.0})  # was a UsageError
    assert result.failed and "rmsle is undefined on this data" in result.outcomes[0].message


def test_an_undefined_bound_exits_1_in_a_job(tmp_path) -> None:
    import nbformat

    from mlcheck.runs import run_notebook

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np, mlcheck as mc\n"
            "mc.check_performance(np.zeros(50, int), np.zeros(50, int), min={'recall': 0.5})"
        )
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "window.ipynb"
    nbformat.write(notebook, path)
    run = run_notebook(path, {}, runs_dir=tmp_path / "runs", timeout=600)
    assert run.exit_code == 1  # a failed contract, not a crash the scheduler retries (was 3)


# -- item 15: multiclass with a class absent from y_true ---------------------------------------------------
def test_a_class_absent_from_y_true_points_to_labels() -> None:
    rng = np.random.default_rng(3)
    y_true = np.array([0, 1] * 60)
    scores = rng.dirichlet([1, 1, 1], 120)
    with pytest.raises(UsageError, match=r"labels=model\.classes_"):
        mc.check_performance(y_true, scores, min={"f1_macro": 0.2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was a RuntimeWarning from the bootstrap
        result = mc.check_performance(
            y_true, scores, labels=[0, 1, 2], min={"roc_auc": 0.5, "recall[class=2]": 0.1}, confidence=0.9
        )
    roc, recall = result.outcomes
    assert "roc_auc is undefined on this data: some classes never occur in y_true" in roc.message
    assert recall.message == "recall[class=2] is undefined on this data: y_true has no rows of class 2"


def test_evaluate_reports_undefined_per_class_values_without_warnings() -> None:
    y_true = np.array([0, 1, 0, 1])
    y_pred = np.array([0, 0, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = mc.evaluate(y_true, y_pred=y_pred, confidence=0.9, n_resamples=200)
    assert np.isnan(report["metrics"]["precision[class=1]"])  # class 1 is never predicted: 0/0
    assert report["metrics"]["precision_macro"] == pytest.approx(0.25)  # scikit-learn's zero_division=0
