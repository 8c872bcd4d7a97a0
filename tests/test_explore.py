"""mlcheck.display.explore: the ipywidgets views of shift and performance results."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics

from mlcheck.contracts.performance import check_performance
from mlcheck.contracts.shift import check_shift
from mlcheck.errors import UsageError
from mlcheck.display.explore import explore, moved_bins, shift_features, threshold_metrics

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(7)
    y_true = (rng.random(600) < 0.08).astype(int)  # imbalanced: 8% positives
    y_score = np.clip(0.45 * y_true + 0.55 * rng.random(600), 0, 1)
    return y_true, y_score, check_performance(y_true, y_score, min={"recall": 0.6})


@pytest.fixture(scope="module")
def shifted():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"age": rng.normal(40, 10, 800), "city": rng.choice(["a", "b", "c"], 800)})
    current = pd.DataFrame({"age": rng.normal(46, 10, 800), "city": rng.choice(["a", "b", "c"], 800)})
    return check_shift(reference, current, max_kl=0.05)


@settings(max_examples=40, deadline=None)
@given(threshold=st.floats(0.0, 1.0))
def test_threshold_metrics_equal_sklearn_on_the_thresholded_scores(scored, threshold):
    y_true, y_score, result = scored
    numbers = threshold_metrics(result.details["threshold_curve"], threshold)
    assert numbers["threshold"] <= max(threshold, min(result.details["threshold_curve"]["thresholds"]))
    y_pred = (y_score >= numbers["threshold"]).astype(int)
    assert numbers["confusion_matrix"] == metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist()
    assert numbers["precision"] == pytest.approx(metrics.precision_score(y_true, y_pred, zero_division=0))
    assert numbers["recall"] == pytest.approx(metrics.recall_score(y_true, y_pred, zero_division=0))
    assert numbers["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y_true, y_pred))
    assert numbers["mcc"] == pytest.approx(metrics.matthews_corrcoef(y_true, y_pred))


def cells(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r'data-cell="(\w+)">(\d+)<', html)}


def test_moving_the_threshold_slider_updates_the_matrix_and_the_code(scored):
    y_true, _, result = scored
    box = result.explore()
    slider, matrix, code = box.children
    assert slider.value == pytest.approx(result.details["threshold"])  # starts at the check's threshold
    before = cells(matrix.value)
    assert before == dict(
        zip(["tn", "fp", "fn", "tp"], np.ravel(result.details["confusion_matrix"]).tolist())
    )
    stops = [value for _, value in slider.options]
    assert stops == sorted(stops) and len(stops) > 20
    assert set(stops) <= set(result.details["threshold_curve"]["thresholds"])  # exact operating points
    assert result.details["threshold"] in stops  # the check's own threshold is a stop
    chosen = max(t for t in stops if t <= 0.8)
    slider.value = chosen
    after = cells(matrix.value)
    assert after != before
    assert after["tp"] + after["fp"] < before["tp"] + before["fp"]  # a higher threshold calls fewer positives
    assert after == dict(
        zip(
            ["tn", "fp", "fn", "tp"],
            np.ravel(
                threshold_metrics(result.details["threshold_curve"], chosen)["confusion_matrix"]
            ).tolist(),
        )
    )
    assert f"y_pred = (y_score &gt;= {chosen:.6g}).astype(int)" in code.value
    assert sum(after.values()) == len(y_true)


def test_shift_explorer_picks_features_most_shifted_first(shifted):
    box = explore(shifted)
    picker, plot, moved = box.children
    features = shift_features(shifted.details)
    kls = [features[name]["kl"] for name in features]
    assert kls == sorted(kls, reverse=True)
    assert [value for _, value in picker.options] == list(features)
    assert picker.value == "age"  # the planted drift
    assert "age: share per bin" in plot.value
    first = plot.value
    picker.value = "city"
    assert "city: share per bin" in plot.value and plot.value != first
    assert "<td>" in moved.value


def test_moved_bins_are_the_largest_changes(shifted):
    feature = shift_features(shifted.details)["age"]
    rows = moved_bins(feature, k=3)
    changes = np.abs(np.asarray(feature["current"]) - np.asarray(feature["reference"]))
    assert [abs(row["change"]) for row in rows] == pytest.approx(sorted(changes, reverse=True)[:3])
    assert sum(feature["reference"]) == pytest.approx(1.0, abs=1e-3)  # shares, not percents


def test_results_without_an_explorer_are_refused():
    from mlcheck.contracts.operations import check_coverage

    with pytest.raises(UsageError, match="check_shift and check_performance"):
        explore(check_coverage([1.0, 2.0], min=0.5))
    labels_only = check_performance([0, 1, 0, 1], [0, 1, 1, 1], min={"recall": 0.5})
    with pytest.raises(UsageError, match="threshold curve"):
        explore(labels_only)
    with pytest.raises(UsageError, match="CheckResult"):
        explore(42)


def test_mlcheck_imports_and_checks_without_ipywidgets():
    code = (
        "import sys; sys.modules['ipywidgets'] = None\n"
        "import mlcheck as mc\n"
        "r = mc.check_coverage([1.0, 2.0], min=0.5)\n"
        "assert r.passed\n"
        "from mlcheck.contracts.shift import check_shift\n"
        "import pandas as pd\n"
        "r = check_shift(pd.DataFrame({'x': [1.0, 2.0, 3.0] * 20}), pd.DataFrame({'x': [1.0, 2.0, 3.0] * 20}))\n"
        "try:\n    r.explore()\nexcept mc.UsageError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install ipywidgets" in done.stdout


def test_the_performance_explorer_names_the_classes_as_the_card_does():
    """Issue 13 item 15: the matrix said 0/1 while the card said No/Yes."""
    rng = np.random.default_rng(3)
    y_true = np.where(rng.random(400) < 0.2, "Yes", "No")
    y_score = np.clip((y_true == "Yes") * 0.4 + rng.random(400) * 0.6, 0, 1)
    result = check_performance(y_true, y_score, min={"recall": 0.5}, pos_label="Yes")
    _, matrix, _ = result.explore().children
    assert "predicted No" in matrix.value and "true Yes" in matrix.value
    assert "predicted 0" not in matrix.value
