"""Error rates of the statistical decisions, by seeded simulation (issue 14's acceptance, scaled down).

Each test replays a small slice of ``bench/calibration.py``'s grid; the full
grid and its numbers are in ``docs/statistics.md``. Bounds are exact binomial
bounds (one in a thousand or rarer to fail by chance), so a failure means a
rate is wrong, not bad luck; the seeds are fixed, so a run is reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlcheck as mc
from mlcheck.contracts.performance import check_performance

ALPHA = 0.01


def _zipf(levels: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, levels + 1)
    return weights / weights.sum()


ZIPF_50, ZIPF_2000 = _zipf(50), _zipf(2000)


def _feature(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if name == "normal":
        return rng.normal(0, 1, n)
    if name == "lognormal":
        return rng.lognormal(0, 1, n)
    if name == "poisson3":
        return rng.poisson(3, n)
    if name == "zipf50":
        return np.array([f"l{i}" for i in range(50)], dtype=object)[rng.choice(50, n, p=ZIPF_50)]
    if name == "zipf2000":
        return np.array([f"z{i}" for i in range(2000)], dtype=object)[rng.choice(2000, n, p=ZIPF_2000)]
    if name == "bool05":
        return rng.random(n) < 0.05
    values = rng.normal(0, 1, n)  # "missing30"
    values[rng.random(n) < 0.3] = np.nan
    return values


FEATURES = ["normal", "lognormal", "poisson3", "zipf50", "zipf2000", "bool05", "missing30"]


def _unchanged(n_reference: int, n_current: int, reps: int, seed: int) -> pd.DataFrame:
    """Per-feature reports of ``reps`` comparisons where nothing changed, stacked."""
    reports = []
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        reference = pd.DataFrame({f: _feature(f, n_reference, rng) for f in FEATURES})
        current = pd.DataFrame({f: _feature(f, n_current, rng) for f in FEATURES})
        reports.append(mc.shift_report(reference, current, multiplicity="none", random_state=rep))
    return pd.concat(reports)


def _at_most(rate: float, trials: int) -> int:
    """The count a binomial(trials, rate) exceeds with probability below 1/1000."""
    return int(stats.binom.isf(0.001, trials, rate))


@pytest.mark.parametrize(("n_reference", "n_current", "reps"), [(50, 50, 60), (300, 300, 60)])
def test_no_feature_shape_raises_false_alarms_above_alpha(n_reference, n_current, reps):
    reports = _unchanged(n_reference, n_current, reps, seed=n_reference)
    for feature, rows in reports.groupby(level=0):
        assert rows["drifted"].sum() <= _at_most(ALPHA, reps), feature
        assert (rows["p_value"] < ALPHA).sum() <= _at_most(ALPHA, reps), feature
    assert reports["drifted"].sum() <= _at_most(ALPHA, len(reports))
    # the effect is centred: its mean under no change is 0 within sampling error, at any n
    assert abs(reports["effect"].mean()) < 0.02


def test_p_values_are_uniform_under_no_change_from_300_rows():
    reports = _unchanged(300, 300, 60, seed=11)
    p_values = reports["p_value"].to_numpy()
    assert stats.kstest(p_values, "uniform").pvalue > 0.001
    for feature, rows in reports.groupby(level=0):
        assert stats.kstest(rows["p_value"], "uniform").pvalue > 0.001, feature


@pytest.mark.parametrize(("n_reference", "n_current"), [(200, 20_000), (20_000, 200)])
def test_a_small_side_against_a_large_one_raises_no_more_false_alarms(n_reference, n_current):
    reports = _unchanged(n_reference, n_current, 25, seed=3)
    assert (reports["p_value"] < ALPHA).sum() <= _at_most(ALPHA, len(reports))
    assert reports["drifted"].sum() <= _at_most(ALPHA, len(reports))


def test_the_whole_check_falsely_fails_at_most_alpha_with_ten_unchanged_features():
    shapes = [*FEATURES, "normal", "lognormal", "zipf50"]
    reps, fails = 60, 0
    for rep in range(reps):
        rng = np.random.default_rng([5, rep])
        reference = pd.DataFrame({f"{f}_{i}": _feature(f, 300, rng) for i, f in enumerate(shapes)})
        current = pd.DataFrame({f"{f}_{i}": _feature(f, 300, rng) for i, f in enumerate(shapes)})
        fails += not mc.check_shift(reference, current, random_state=rep).passed
    assert fails <= _at_most(ALPHA, reps)


def _changed(case: str, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    if case == "mean shift 0.5 sigma":
        reference, current = rng.normal(0, 1, n), rng.normal(0.5, 1, n)
    elif case == "10% level disappears":
        levels = np.array(list("abcdefghij"), dtype=object)
        reference = levels[rng.choice(10, n, p=[0.1] + [0.1] * 9)]
        current = levels[1:][rng.choice(9, n)]
    elif case == "missing 0% -> 5%":
        reference, current = rng.normal(0, 1, n), rng.normal(0, 1, n)
        current[rng.random(n) < 0.05] = np.nan
    else:  # only levels the reference never saw, in a 3,000-level column
        reference = np.array([f"a{i}" for i in rng.integers(0, 3000, n)], dtype=object)
        current = np.array([f"b{i}" for i in rng.integers(0, 3000, n)], dtype=object)
    return pd.DataFrame({"x": reference}), pd.DataFrame({"x": current})


@pytest.mark.parametrize(
    "case", ["mean shift 0.5 sigma", "10% level disappears", "missing 0% -> 5%", "only unseen levels"]
)
def test_real_changes_at_5000_rows_are_flagged(case):
    flagged = [
        not mc.check_shift(*_changed(case, 5000, np.random.default_rng([9, rep])), random_state=rep).passed
        for rep in range(8)
    ]
    assert all(flagged)


def _classifier(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(n) < 0.06).astype(int)
    return y, 1 / (1 + np.exp(-(rng.normal(0, 1, n) + 1.5 * y - 2.0)))


METRICS = ["recall", "balanced_accuracy", "roc_auc", "average_precision", "mcc"]


@pytest.fixture(scope="module")
def population() -> dict[str, float]:
    y, scores = _classifier(2_000_000, np.random.default_rng(2024))
    return {m: float(v) for m, v in mc.evaluate(y, y_score=scores, threshold=0.3)["metrics"].items()}


def test_bootstrap_intervals_cover_at_their_nominal_rate(population):
    """95% intervals at n = 1,000 (60 positives); the full grid (n = 300 to 5,000) is in the docs."""
    reps = 60
    covered = {m: 0 for m in METRICS}
    for rep in range(reps):
        y, scores = _classifier(1000, np.random.default_rng([1000, rep]))
        result = check_performance(
            y,
            scores,
            min={m: -1.0 if m == "mcc" else 0.0 for m in METRICS},
            threshold=0.3,
            confidence=0.95,
            n_resamples=600,
            random_state=rep,
        )
        for metric in METRICS:
            low, high = result.details["intervals"][metric]
            covered[metric] += low <= population[metric] <= high
    for metric in METRICS:
        # at 95% nominal, 60 trials: fewer than 51 covered happens with probability < 1/1000
        assert covered[metric] >= 51, (metric, covered[metric])
