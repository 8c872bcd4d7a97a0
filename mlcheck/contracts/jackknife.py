"""The jackknife of each metric, and the two-sided intervals built from bootstrap draws.

:mod:`mlcheck.contracts.resampling` draws the bootstrap law of every metric;
this module turns the draws into the interval ``confidence=`` reports. Score
and regression metrics get Efron's BCa interval (``resampling.interval``
with the point and the jackknife), whose acceleration needs each row's
leave-one-out value: rows sharing a cell (a confusion cell, or a score cell
and class) share it, so the jackknife costs one value per filled cell, in
closed form for ROC-AUC, average precision and mean losses, and by column
means for regression metrics. Label metrics keep the percentile interval
(see :func:`intervals`); ``docs/statistics.md`` has the measured coverage.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import numpy as np

from mlcheck.contracts.predictions import SCORE_METRICS, Prepared
from mlcheck.contracts.resampling import (
    AUC_T,
    _binary_cells,
    _confusion_cells,
    _regression_columns,
    _regression_metrics,
    auc_standard_error_batch,
    confusion_batch,
    exact_interval,
    interval,
    label_metric_draws,
    proportion_counts,
    safe_ratio,
)

__all__ = ["intervals", "jackknife"]


def _label_jackknife(prepared: Prepared, subjects: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Leave-one-out values of label metrics: one per filled confusion cell, weighted by its count."""
    cells = _confusion_cells(prepared)
    k = cells.shape[0]
    filled = np.flatnonzero(cells.ravel())
    left_out = np.repeat(cells.ravel()[None], filled.size, axis=0)
    left_out[np.arange(filled.size), filled] -= 1
    batch = confusion_batch(left_out.reshape(filled.size, k, k))
    weights = cells.ravel()[filled]
    return {s: (label_metric_draws(batch, s, prepared), weights) for s in subjects}


def _binary_jackknife(prepared: Prepared, names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Leave-one-out score metrics in closed form, one value per filled (class, score cell)."""
    pos, neg, cell_losses = _binary_cells(prepared, names)
    pos, neg = pos.astype(np.float64), neg.astype(np.float64)
    n_pos, n_neg = pos.sum(), neg.sum()
    weights = np.concatenate([pos, neg])
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        if name == "roc_auc":
            wins = (pos * (np.cumsum(neg) - 0.5 * neg)).sum()
            above = pos.sum() - np.cumsum(pos)
            without_pos = safe_ratio(
                wins - (np.cumsum(neg) - 0.5 * neg), np.full_like(pos, (n_pos - 1) * n_neg)
            )
            without_neg = safe_ratio(wins - (above + 0.5 * pos), np.full_like(neg, n_pos * (n_neg - 1)))
            values = np.concatenate([without_pos, without_neg])
        elif name == "average_precision":
            true_pos = np.cumsum(pos[::-1])[::-1]
            predicted = true_pos + np.cumsum(neg[::-1])[::-1]
            kept = safe_ratio(pos * true_pos, predicted)
            drop_one = safe_ratio(pos * true_pos, predicted - 1)
            drop_pos = safe_ratio(pos * (true_pos - 1), predicted - 1)
            own = safe_ratio((pos - 1) * (true_pos - 1), predicted - 1)
            after = kept.sum() - np.cumsum(kept)  # cells above c0 keep their precision
            without_neg = (np.cumsum(drop_one) + after) / n_pos
            without_pos = safe_ratio(
                np.cumsum(drop_pos) - drop_pos + own + after, np.full_like(pos, n_pos - 1)
            )
            values = np.concatenate([without_pos, without_neg])
        else:
            pos_mean, neg_mean = cell_losses[name]
            total = pos @ pos_mean + neg @ neg_mean
            values = (total - np.concatenate([pos_mean, neg_mean])) / (n_pos + n_neg - 1)
        out[name] = (values, weights)
    return out


def jackknife(
    prepared: Prepared, subjects: list[str], n_features: int | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Leave-one-out values of the subjects that have a cheap exact jackknife, with their row weights.

    Rows sharing a cell (confusion cell, score cell and class) share their
    leave-one-out value, so each value comes with the number of rows it stands
    for; regression metrics are functions of column means, whose leave-one-out
    values are ``(sum - x_i) / (n - 1)``. Multiclass score metrics have none
    here (their intervals stay percentile intervals).
    """
    if prepared.task == "regression":
        values, _, nonnegative = _regression_columns(prepared.y_true, [prepared.y_pred])
        n = values.shape[0]
        if n < 3:
            return {}
        left_out = (values.sum(axis=0)[None, :] - values) / (n - 1)
        metrics = _regression_metrics(left_out, n - 1, nonnegative, n_features)[0]
        ones = np.ones(n)
        return {s: (metrics[s], ones) for s in subjects if s in metrics}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    label_subjects = [s for s in subjects if s not in SCORE_METRICS]
    if label_subjects:
        out.update(_label_jackknife(prepared, label_subjects))
    score_subjects = [s for s in subjects if s in SCORE_METRICS]
    if score_subjects and prepared.task == "binary":
        out.update(_binary_jackknife(prepared, score_subjects))
    return out


def intervals(
    prepared: Prepared,
    points: Mapping[str, Any],
    draws: Mapping[str, np.ndarray],
    confidence: float,
    n_features: int | None,
) -> dict[str, tuple[float, float]]:
    """The two-sided ``confidence`` interval of every drawn subject.

    The binary ROC-AUC gets the bootstrap-t interval with DeLong's standard
    error (Efron and Tibshirani 1993, ch. 12): with 18 positives its
    percentile interval covered 91% and BCa 92.5% at 95%. Other score metrics
    and regression metrics get BCa (skewed, biased statistics such as average
    precision); label metrics the percentile interval: ratios of confusion
    counts whose bootstrap law is a lattice, where BCa's corrections widened
    recall's and balanced accuracy's intervals to 98-99% coverage with 18
    positives while the percentile interval covers 94-96% (``docs/statistics.md``).
    Proportions (accuracy, a class's precision and recall) get the wider of that
    interval and the exact binomial one on the metric's own denominator
    (:func:`~mlcheck.contracts.resampling.exact_interval`): at a handful of
    positives every resample can be identical and the bootstrap collapses.
    """
    label_metrics = prepared.task != "regression"
    loo = jackknife(
        prepared, [s for s in draws if not (label_metrics and s not in SCORE_METRICS)], n_features
    )
    out: dict[str, tuple[float, float]] = {}
    for subject, values in draws.items():
        point = points.get(subject)
        if subject == AUC_T:
            continue
        if subject == "roc_auc" and AUC_T in draws and point is not None:
            out[subject] = _studentized_auc(prepared, float(point), draws[AUC_T], values, confidence)
            continue
        out[subject] = interval(
            values,
            confidence,
            point=None if point is None else float(point),
            jackknife=loo.get(subject),
        )
        counts = proportion_counts(prepared, subject) if label_metrics else None
        if counts is not None and counts[1] > 0:
            exact_low, exact_high = exact_interval(*counts, confidence)
            low, high = out[subject]
            out[subject] = (
                exact_low if np.isnan(low) else min(low, exact_low),
                exact_high if np.isnan(high) else max(high, exact_high),
            )
    return out


def _studentized_auc(
    prepared: Prepared, point: float, t_draws: np.ndarray, draws: np.ndarray, confidence: float
) -> tuple[float, float]:
    """``[AUC - t*_(1 - a/2) se, AUC - t*_(a/2) se]`` from the bootstrap-t draws, within [0, 1]."""
    pos, neg, _ = _binary_cells(prepared, ["roc_auc"])
    spread = float(auc_standard_error_batch(pos[None].astype(np.float64), neg[None].astype(np.float64))[0])
    finite = t_draws[np.isfinite(t_draws)]
    if spread <= 0 or finite.size == 0:  # perfectly separated or one class: nothing to studentize
        return interval(draws, confidence)
    tail = (1.0 - confidence) / 2.0
    low_t, high_t = np.quantile(finite, [tail, 1.0 - tail])
    return float(max(point - high_t * spread, 0.0)), float(min(point - low_t * spread, 1.0))
