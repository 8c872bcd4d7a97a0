"""check_improvement and ab_sample_size: no false wins on ties, real wins found, the textbook sample size."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm
from sklearn import metrics as skm

import mlcheck as mc
from mlcheck.display.cards import render_html
from mlcheck.contracts import get_check
from mlcheck.contracts import resampling as rs
from mlcheck.contracts.comparison import _paired_label_draws, ab_sample_size, check_improvement, mcnemar_exact
from mlcheck.contracts.predictions import prepare
from mlcheck.errors import UsageError


def _noisy_labels(y: np.ndarray, right: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(y.size) < right, y, 1 - y)


def test_a_tie_is_not_called_an_improvement_more_often_than_alpha() -> None:
    """Two models of the same quality: the check may only pass at about its 5% false-positive rate."""
    trials, wins_bootstrap, wins_mcnemar = 200, 0, 0
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        y = (rng.random(600) < 0.3).astype(int)
        first, second = _noisy_labels(y, 0.8, rng), _noisy_labels(y, 0.8, rng)
        result = check_improvement(y, first, second, n_resamples=500, random_state=seed)
        wins_bootstrap += result.passed
        wins_mcnemar += result.details["mcnemar"]["p_value"] <= 0.05
    assert 0.01 <= wins_bootstrap / trials <= 0.10  # nominal 0.05; the percentile bootstrap runs slightly hot
    assert wins_mcnemar / trials <= 0.08  # exact test: at most alpha, up to sampling noise


def test_a_real_improvement_passes_and_its_reverse_fails() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(3000) < 0.25).astype(int)
    champion, challenger = _noisy_labels(y, 0.75, rng), _noisy_labels(y, 0.82, rng)
    result = mc.check_improvement(y, challenger, champion, metric="accuracy")
    assert result.passed and [o.subject for o in result.outcomes] == ["improvement[accuracy]", "mcnemar"]
    assert result.details["lead"] == pytest.approx(
        skm.accuracy_score(y, challenger) - skm.accuracy_score(y, champion)
    )
    assert not check_improvement(y, champion, challenger, metric="accuracy").passed
    assert not check_improvement(y, challenger, champion, metric="accuracy", margin=0.2).passed


def test_paired_label_draws_follow_a_plain_paired_row_loop() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(400) < 0.3).astype(int)
    first, second = _noisy_labels(y, 0.8, rng), _noisy_labels(y, 0.75, rng)
    new, old = prepare("t", y, y_pred=first), prepare("t", y, y_pred=second)
    a, b = _paired_label_draws(new, old, "balanced_accuracy", 4000, np.random.default_rng(0))
    rows = [np.flatnonzero(y == k) for k in (0, 1)]
    naive = []
    for _ in range(800):
        idx = np.concatenate([rng.choice(r, size=r.size) for r in rows])
        naive.append(
            skm.balanced_accuracy_score(y[idx], first[idx]) - skm.balanced_accuracy_score(y[idx], second[idx])
        )
    assert np.mean(a - b) == pytest.approx(np.mean(naive), abs=0.003)
    assert np.std(a - b) == pytest.approx(np.std(naive), rel=0.1)
    unpaired = np.std(a) ** 2 + np.std(b) ** 2
    assert np.var(a - b) < unpaired  # pairing removes the noise both models share


def test_scores_and_regression_are_compared_on_the_same_rows() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(1500) < 0.2).astype(int)
    sharp = 1 / (1 + np.exp(-(rng.normal(size=1500) + 2.0 * y - 1)))
    blunt = 1 / (1 + np.exp(-(rng.normal(size=1500) + 1.0 * y - 1)))
    auc = check_improvement(y, sharp, blunt, metric="roc_auc", n_resamples=500)
    assert auc.passed and auc.details["lead"] == pytest.approx(
        skm.roc_auc_score(y, sharp) - skm.roc_auc_score(y, blunt)
    )
    assert not check_improvement(y, blunt, sharp, metric="log_loss", n_resamples=500).passed
    assert check_improvement(y, sharp, blunt, metric="log_loss", n_resamples=500).details["lower_is_better"]
    target = rng.normal(size=800)
    close, far = target + rng.normal(0, 0.5, 800), target + rng.normal(0, 0.7, 800)
    assert check_improvement(target, close, far, metric="rmse", n_resamples=500).passed
    assert not check_improvement(target, far, close, metric="rmse", n_resamples=500).passed


def test_mcnemar_exact_matches_the_binomial_test() -> None:
    truth = np.ones(20, dtype=bool)
    champion = np.r_[np.zeros(6, bool), np.ones(14, bool)]  # wrong on 6 rows the challenger gets right
    challenger = np.ones(20, dtype=bool)
    test = mcnemar_exact(champion == truth, challenger == truth)
    assert test["only_challenger_right"] == 6 and test["only_champion_right"] == 0
    assert test["p_value"] == pytest.approx(0.5**6)
    mixed = mcnemar_exact(
        np.r_[np.ones(3, bool), np.zeros(9, bool)], np.r_[np.zeros(3, bool), np.ones(9, bool)]
    )
    assert mixed["p_value"] == pytest.approx(binomtest(9, 12, 0.5, alternative="greater").pvalue)


def test_card_and_registry() -> None:
    rng = np.random.default_rng(4)
    y = (rng.random(500) < 0.4).astype(int)
    result = check_improvement(y, _noisy_labels(y, 0.9, rng), _noisy_labels(y, 0.7, rng), n_resamples=300)
    card = render_html(result.to_dict())
    assert "McNemar" in card and "challenger" in card and len(result.to_json()) < 5_000
    assert get_check("check_improvement") is check_improvement


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"metric": "auc"}, "known metrics for binary"),
        ({"metric": "roc_auc"}, "needs probabilities from both models"),
        ({"confidence": 1.5}, "confidence must be"),
        ({"margin": -0.1}, "margin must be"),
        ({"n_resamples": 10}, "n_resamples"),
    ],
)
def test_bad_arguments(kwargs, needle) -> None:
    y = np.array([0, 1] * 50)
    with pytest.raises(UsageError, match=needle):
        check_improvement(y, y, 1 - y, **kwargs)


def test_rows_must_line_up() -> None:
    y = np.array([0, 1] * 50)
    with pytest.raises(UsageError, match="100 rows but the predictions have 99"):
        check_improvement(y, y, y[:-1])


# -- the A/B sample size -------------------------------------------------------------------------
def test_ab_sample_size_is_the_textbook_two_proportion_formula() -> None:
    assert ab_sample_size(0.10, 0.02) == 3841  # 10% -> 12%, alpha 5% two-sided, power 80%
    p1, p2, alpha, power = 0.05, 0.04, 0.01, 0.9
    p = (p1 + p2) / 2
    z_a, z_b = norm.ppf(1 - alpha / 2), norm.ppf(power)
    expected = (z_a * math.sqrt(2 * p * (1 - p)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (
        p1 - p2
    ) ** 2
    assert ab_sample_size(p1, -0.01, alpha=alpha, power=power) == math.ceil(expected)
    assert ab_sample_size(0.10, 0.2, relative=True) == ab_sample_size(0.10, 0.02)
    assert ab_sample_size(0.10, 0.02, alternative="one-sided") < ab_sample_size(0.10, 0.02)
    assert mc.ab_sample_size is ab_sample_size


def test_ab_sample_size_gives_the_promised_power_and_alpha_in_simulation() -> None:
    n = ab_sample_size(0.10, 0.02)
    rng = np.random.default_rng(5)
    sims = 20_000

    def rejects(p_control: float, p_treated: float) -> float:
        a = rng.binomial(n, p_control, sims) / n
        b = rng.binomial(n, p_treated, sims) / n
        pooled = (a + b) / 2
        z = (b - a) / np.sqrt(2 * pooled * (1 - pooled) / n)
        return float(np.mean(np.abs(z) > norm.ppf(0.975)))

    assert rejects(0.10, 0.12) == pytest.approx(0.80, abs=0.015)
    assert rejects(0.10, 0.10) == pytest.approx(0.05, abs=0.008)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0.0, 0.1), {}),
        ((0.5, 0.0), {}),
        ((0.95, 0.1), {}),
        ((0.1, 0.02), {"power": 1.0}),
        ((0.1, 0.02), {"alternative": "less"}),
        ((0.1, "2%"), {}),
    ],
)
def test_ab_sample_size_refuses_impossible_designs(args, kwargs) -> None:
    with pytest.raises(UsageError, match="ab_sample_size"):
        ab_sample_size(*args, **kwargs)


def test_interval_is_reported_two_sided_with_the_one_sided_bound_inside() -> None:
    rng = np.random.default_rng(6)
    y = (rng.random(800) < 0.3).astype(int)
    result = check_improvement(y, _noisy_labels(y, 0.85, rng), _noisy_labels(y, 0.8, rng), n_resamples=1000)
    low, high = result.details["interval"]
    assert low <= result.details["lower_bound"] <= result.details["lead"] <= high
    assert rs.interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))


def test_identical_models_differ_by_exactly_zero_in_every_resample() -> None:
    """Pairing is exact: the same predictions on the same resampled rows give the same metric."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 30, size=3000)
    model = np.where(rng.random(3000) < 0.6, y, rng.integers(0, 30, size=3000))
    new, old = prepare("t", y, y_pred=model), prepare("t", y, y_pred=model.copy())
    a, b = _paired_label_draws(new, old, "balanced_accuracy", 500, np.random.default_rng(0))
    assert np.array_equal(a, b) and a.std() > 0
    result = check_improvement(y, model, model, metric="f1_macro", n_resamples=300)
    assert not result.passed and result.details["lower_bound"] == 0.0


def test_paired_score_sums_at_scale_follow_exact_paired_resampling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond EXACT_ROW_DRAWS: ROC-AUC by its placement-value expansion, losses by cells, still paired."""
    rng = np.random.default_rng(8)
    y = (rng.random(4000) < 0.2).astype(int)
    sharp = 1 / (1 + np.exp(-(rng.normal(size=4000) + 1.5 * y - 1)))
    nudged = np.clip(sharp + rng.normal(0, 0.1, size=4000), 0, 1)
    new, old = prepare("t", y, y_score=sharp), prepare("t", y, y_score=nudged)
    seed = 11
    for metric, point in (("roc_auc", skm.roc_auc_score), ("log_loss", skm.log_loss)):
        exact = [
            rs.row_score_draws(p, [metric], 800, np.random.default_rng(seed))[metric] for p in (new, old)
        ]
        points = [point(y, sharp), point(y, nudged)]
        monkeypatch.setattr(rs, "EXACT_ROW_DRAWS", 1000)
        fast = rs.score_sums_draws([new, old], metric, points, 2000, np.random.default_rng(0))
        monkeypatch.undo()
        lead, exact_lead = fast[0] - fast[1], exact[0] - exact[1]
        assert np.std(lead) == pytest.approx(np.std(exact_lead), rel=0.12), metric
        assert np.median(lead) == pytest.approx(points[0] - points[1], abs=np.std(exact_lead) / 4), metric
        if metric == "roc_auc":  # shared noise cancels: far below the spread of independent draws
            assert np.std(lead) < 0.5 * np.hypot(np.std(fast[0]), np.std(fast[1]))
