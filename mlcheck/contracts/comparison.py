"""Champion vs challenger: is the new model really better, and how long must an A/B test run?

``check_improvement`` compares two models on the *same* rows with a paired
stratified bootstrap: every resample draws one set of rows and scores both
models on it, so the noise they share cancels. For label predictions it also
runs McNemar's exact test on the rows where exactly one model is right.
``ab_sample_size`` is the textbook two-proportion sample size, so an online
test is read once, at the size fixed in advance.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Literal

import numpy as np

from mlcheck._validation import RANDOM_STATE, SEVERITY, Interval, Options, validate_options
from mlcheck.contracts import register_check
from mlcheck.contracts import resampling as rs
from mlcheck.contracts.performance import point_metric
from mlcheck.contracts.predictions import (
    LABEL_METRICS,
    LOWER_IS_BETTER,
    REGRESSION_METRICS,
    SCORE_METRICS,
    SUBJECT,
    Prepared,
    CONFIDENCE,
    MARGIN,
    N_RESAMPLES,
    TASK,
    THRESHOLD,
    Task,
    make_rng,
    split_predictions,
)
from mlcheck.results import CheckResult, Outcome, format_value
from mlcheck.errors import OptionError, Reason, UsageError

__all__ = ["check_improvement", "ab_sample_size", "mcnemar_exact"]


def mcnemar_exact(champion_correct: np.ndarray, challenger_correct: np.ndarray) -> dict[str, float]:
    """McNemar's exact test that the challenger is right more often than the champion (one-sided).

    Only discordant rows count: ``b`` where only the champion is right, ``c``
    where only the challenger is; under a tie ``c ~ Binomial(b + c, 1/2)``.

    Examples
    --------
    >>> import numpy as np
    >>> champion_right = np.array([True] * 90 + [False] * 10)
    >>> challenger_right = np.array([True] * 88 + [False] * 2 + [True] * 10)
    >>> mcnemar_exact(champion_right, challenger_right)["only_challenger_right"]
    10
    >>> round(mcnemar_exact(champion_right, challenger_right)["p_value"], 4)
    0.0193
    """
    from scipy.stats import binomtest

    only_champion = int(np.sum(champion_correct & ~challenger_correct))
    only_challenger = int(np.sum(~champion_correct & challenger_correct))
    discordant = only_champion + only_challenger
    p_value = (
        1.0
        if discordant == 0
        else float(binomtest(only_challenger, discordant, 0.5, alternative="greater").pvalue)
    )
    return {
        "only_champion_right": only_champion,
        "only_challenger_right": only_challenger,
        "p_value": p_value,
    }


def _paired_label_draws(
    challenger: Prepared, champion: Prepared, metric: str, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of a label metric for both models from one multinomial per class over the filled
    (champion, challenger) prediction pairs, so both confusion matrices come from the same rows."""
    assert challenger.true_codes is not None and champion.pred_codes is not None
    assert challenger.pred_codes is not None
    k = challenger.n_classes
    truth = challenger.true_codes
    strata = []
    for stratum in range(k):
        rows = truth == stratum
        if not rows.any():
            continue
        pairs, counts = np.unique(
            champion.pred_codes[rows] * k + challenger.pred_codes[rows], return_counts=True
        )
        strata.append((stratum, counts, np.eye(k)[pairs // k], np.eye(k)[pairs % k]))
    new_batches, old_batches = [], []
    for size in rs.resample_blocks(n_resamples, 2 * k * k):
        new_matrices, old_matrices = np.zeros((size, k, k)), np.zeros((size, k, k))
        for stratum, counts, old_onehot, new_onehot in strata:
            drawn = rs.cell_resamples(counts[None], size, rng)[:, 0].astype(np.float64)
            old_matrices[:, stratum] = drawn @ old_onehot
            new_matrices[:, stratum] = drawn @ new_onehot
        new_batches.append(rs.confusion_batch(new_matrices))
        old_batches.append(rs.confusion_batch(old_matrices))
    return (
        rs.label_metric_draws(rs.concatenate_batches(new_batches), metric, challenger),
        rs.label_metric_draws(rs.concatenate_batches(old_batches), metric, champion),
    )


def _paired_row_draws(
    challenger: Prepared,
    champion: Prepared,
    metric: str,
    points: list[float],
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of a score or regression metric for both models over the same resampled rows."""
    if challenger.task == "regression":
        new, old = rs.regression_draws(
            challenger.y_true, [challenger.y_pred, champion.y_pred], n_resamples, rng, None
        )
        return new[metric], old[metric]
    if metric != "average_precision" and (
        metric != "roc_auc" or challenger.n_rows * n_resamples > rs.EXACT_ROW_DRAWS
    ):
        new_sums, old_sums = rs.score_sums_draws([challenger, champion], metric, points, n_resamples, rng)
        return new_sums, old_sums
    seed = int(rng.integers(2**63))  # one seed for both: the same rows in every resample
    return tuple(  # type: ignore[return-value]
        rs.row_score_draws(prepared, [metric], n_resamples, np.random.default_rng(seed))[metric]
        for prepared in (challenger, champion)
    )


def _metric(check: str, metric: str, task: str) -> None:
    known = REGRESSION_METRICS if task == "regression" else LABEL_METRICS + SCORE_METRICS
    match = SUBJECT.match(metric) if isinstance(metric, str) else None
    if match is None or match.group("metric") not in known or metric == "adjusted_r2":
        names = [name for name in known if name != "adjusted_r2"]
        raise UsageError(f"{check}: unknown metric {metric!r}; known metrics for {task}: {', '.join(names)}")


@register_check("check_improvement")
@validate_options(
    {
        "metric": [str],
        "margin": [MARGIN],
        "confidence": [CONFIDENCE],
        "threshold": [THRESHOLD],
        "task": [TASK],
        "n_resamples": [N_RESAMPLES],
        "random_state": RANDOM_STATE,
        "severity": [SEVERITY],
    }
)
def check_improvement(
    y_true: Any,
    challenger: Any,
    champion: Any,
    *,
    metric: str = "balanced_accuracy",
    margin: float = 0.0,
    confidence: float = 0.95,
    threshold: float = 0.5,
    task: Task = "auto",
    labels: Any = None,
    pos_label: Any = None,
    n_resamples: int = 2000,
    random_state: int | np.random.Generator | None = 0,
    severity: Literal["error", "warning"] = "error",
) -> CheckResult:
    """Check that a challenger model beats the champion on the same rows, beyond noise.

    A paired stratified bootstrap draws rows (within each true class) and
    scores both models on each draw; the check passes when the lower end of
    the two-sided ``confidence`` interval of the challenger's lead is above
    ``margin`` (so a one-sided test at level ``(1 - confidence) / 2``: the
    meaning ``confidence`` has in :func:`mlcheck.evaluate` and
    :func:`mlcheck.check_performance` too). With labels and
    ``metric="accuracy"`` McNemar's exact one-sided test must also reject a
    tie at that level; for other metrics its p-value is reported, not gated
    (it tests accuracy, not e.g. balanced accuracy).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels or values of the rows both models scored.
    challenger, champion : array-like of shape (n,) or (n, n_classes)
        Each model's predicted labels, positive-class probabilities, ``predict_proba``
        output, or regression predictions, for the same rows in the same order.
    metric : str, default "balanced_accuracy"
        Any metric of :func:`mlcheck.evaluate` (for lower-is-better metrics
        such as ``log_loss`` or ``rmse`` the lead is champion minus challenger).
    margin : float, default 0.0
        The lead the challenger must have, in the metric's units.
    confidence : float, default 0.95
        Coverage of the two-sided interval of the lead; its lower end must exceed ``margin``.
    threshold, task, labels, pos_label
        As in :func:`mlcheck.evaluate`.
    n_resamples : int, default 2000
    random_state : int or numpy Generator, default 0
    severity : {"error", "warning"}

    Returns
    -------
    CheckResult
        Outcome ``improvement[METRIC]`` and, for ``metric="accuracy"`` on labels, ``mcnemar``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlcheck.contracts.comparison import check_improvement
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> champion = np.where(rng.random(2000) < 0.70, y, 1 - y)
    >>> challenger = np.where(rng.random(2000) < 0.80, y, 1 - y)
    >>> check_improvement(y, challenger, champion).passed
    True
    >>> check_improvement(y, champion, challenger).passed
    False
    """
    check = "check_improvement"
    options: dict[str, Any] = dict(task=task, labels=labels, pos_label=pos_label, threshold=float(threshold))
    new = split_predictions(check, y_true, challenger, **options)
    old = split_predictions(check, y_true, champion, **options)
    if new.task != old.task:
        raise UsageError(f"{check}: the challenger looks like {new.task} but the champion like {old.task}")
    _metric(check, metric, new.task)
    if metric in SCORE_METRICS and (new.y_score is None or old.y_score is None):
        raise UsageError(
            f"{check}: {metric} needs probabilities from both models; pass predict_proba output for both"
        )
    new_value, old_value = point_metric(new, metric), point_metric(old, metric)
    if new_value is None or old_value is None:
        reason = (
            "the metric names no class of this problem" if "[class=" in metric else "rmsle needs values >= 0"
        )
        raise UsageError(f"{check}: {metric!r} cannot be computed here: {reason}")
    rng = make_rng(check, random_state)
    if new.task != "regression" and metric not in SCORE_METRICS:
        new_draws, old_draws = _paired_label_draws(new, old, metric, n_resamples, rng)
    else:
        new_draws, old_draws = _paired_row_draws(new, old, metric, [new_value, old_value], n_resamples, rng)
    sign = -1.0 if SUBJECT.match(metric).group("metric") in LOWER_IS_BETTER else 1.0  # type: ignore[union-attr]
    lead = sign * (new_value - old_value)
    leads = sign * (new_draws - old_draws)
    finite = leads[np.isfinite(leads)]
    # one meaning of confidence across checks: the coverage of a two-sided interval, whose end is held
    interval = rs.interval(leads, confidence) if finite.size else (math.nan, math.nan)
    lower = float(interval[0])
    passed = math.isfinite(lower) and lower > margin
    level = f"{confidence:.0%}"
    outcomes = [
        Outcome(
            f"improvement[{metric}]",
            passed,
            lower,
            float(margin),
            f"challenger {format_value(new_value)} vs champion {format_value(old_value)}: "
            f"lead {format_value(lead)}, "
            f"lower end of its {level} interval {format_value(lower)} "
            + ("above" if passed else "not above")
            + f" the margin {margin:g}",
        )
    ]
    details: dict[str, Any] = {
        "metric": metric,
        "task": new.task,
        "n_rows": new.n_rows,
        "challenger": new_value,
        "champion": old_value,
        "lead": lead,
        "lower_bound": lower,
        "interval": list(interval),
        "confidence": confidence,
        "margin": float(margin),
        "n_resamples": n_resamples,
        "lower_is_better": sign < 0,
    }
    if new.task != "regression":
        assert new.true_codes is not None and new.pred_codes is not None and old.pred_codes is not None
        test = mcnemar_exact(old.pred_codes == old.true_codes, new.pred_codes == new.true_codes)
        details["mcnemar"] = test
        if metric == "accuracy":
            alpha = (1.0 - confidence) / 2.0
            outcomes.append(
                Outcome(
                    "mcnemar",
                    test["p_value"] <= alpha,
                    test["p_value"],
                    alpha,
                    f"{test['only_challenger_right']} rows only the challenger gets right vs "
                    f"{test['only_champion_right']} only the champion: "
                    f"exact one-sided p = {test['p_value']:.3g}",
                )
            )
    all_passed = all(outcome.passed for outcome in outcomes)
    message = (
        f"the challenger beats the champion on {metric} by more than {margin:g} at {level} confidence"
        if all_passed
        else f"no improvement on {metric} beyond {margin:g} at {level} confidence"
    )
    return CheckResult(
        check,
        passed=all_passed,
        severity=severity,
        observed=lower,
        threshold=float(margin),
        details=details,
        message=message,
        outcomes=tuple(outcomes),
    )


_OPEN_FRACTION = Interval(Real, 0, 1, closed="neither")


@validate_options(
    {
        "baseline_rate": [_OPEN_FRACTION],
        "min_detectable_effect": [Interval(Real, None, None)],
        "alpha": [_OPEN_FRACTION],
        "power": [_OPEN_FRACTION],
        "alternative": [Options("two-sided", "one-sided")],
        "relative": ["boolean"],
    }
)
def ab_sample_size(
    baseline_rate: float,
    min_detectable_effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: Literal["two-sided", "one-sided"] = "two-sided",
    relative: bool = False,
) -> int:
    """Observations per arm an A/B test on a rate needs before it may be read.

    The two-proportion z-test sample size: with ``p1`` the baseline rate,
    ``p2 = p1 + min_detectable_effect`` and ``p = (p1 + p2) / 2``::

        n = (z_alpha * sqrt(2 p (1 - p)) + z_power * sqrt(p1 (1 - p1) + p2 (1 - p2)))^2 / (p2 - p1)^2

    Fix ``n`` before the test starts and read the result once, at ``n`` per
    arm: stopping when it first looks significant inflates false positives.

    Parameters
    ----------
    baseline_rate : float
        The control arm's rate, in (0, 1).
    min_detectable_effect : float
        The smallest change worth detecting, absolute (0.02 = two points) or
        relative to ``baseline_rate`` when ``relative=True``.
    alpha : float, default 0.05
        False-positive rate.
    power : float, default 0.8
        Chance to detect an effect of exactly ``min_detectable_effect``.
    alternative : {"two-sided", "one-sided"}
    relative : bool, default False

    Returns
    -------
    int
        Observations per arm (rounded up).

    Examples
    --------
    >>> import mlcheck as mc
    >>> mc.ab_sample_size(0.10, 0.02)
    3841
    """
    from scipy.stats import norm

    effect = min_detectable_effect * baseline_rate if relative else min_detectable_effect
    treated = baseline_rate + effect
    if effect == 0 or not math.isfinite(effect) or not 0.0 < treated < 1.0:
        raise OptionError(
            f"ab_sample_size: the rate under the effect must stay in (0, 1) and differ from the baseline; "
            f"got {baseline_rate:g} -> {treated:g}",
            reason=Reason.CONFLICTING_OPTIONS,
            parameter="min_detectable_effect",
            value=min_detectable_effect,
        )
    z_alpha = norm.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha)
    z_power = norm.ppf(power)
    pooled = (baseline_rate + treated) / 2
    spread = z_alpha * math.sqrt(2 * pooled * (1 - pooled)) + z_power * math.sqrt(
        baseline_rate * (1 - baseline_rate) + treated * (1 - treated)
    )
    return int(math.ceil(spread**2 / effect**2 - 1e-9))
