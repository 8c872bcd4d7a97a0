"""The vectorized bootstrap behind ``confidence=`` and ``check_improvement``, and its intervals.

Resampling rows with replacement and then counting the drawn rows per *cell*
(true class x predicted class, or true class x score value) gives a
multinomial draw over the cells with the observed cell frequencies. So the
bootstrap law of every metric that is a function of cell counts is drawn
exactly with ``n_resamples`` multinomial draws of a few cells, instead of
``n_resamples`` passes over all rows:

* label metrics (accuracy, balanced accuracy, MCC, kappa, precision, recall,
  F1): cells are the confusion matrix; exact, O(resamples x classes^2);
* binary score metrics (ROC-AUC, average precision, log loss, Brier): cells are
  the distinct scores; exact up to :data:`MAX_SCORE_CELLS` distinct values,
  quantile bins beyond (the interval is then re-centred on the exact value);
* sums of per-row values (regression errors, multiclass losses): rows are
  resampled exactly up to :data:`EXACT_ROW_DRAWS` draws in all; beyond, the
  rows each cell receives are an exact multinomial draw and the sum over them
  is drawn from the normal law with the cell's mean and covariance;
* macro ROC-AUC of 2-D probabilities: exact row resampling, or beyond
  :data:`EXACT_ROW_DRAWS` the bootstrap of its first-order (DeLong) expansion.

Rows are resampled as they were drawn, not within each true class: a new
sample's prevalence varies, and the metrics that depend on it (average
precision, MCC, precision, F1) need that variance for their intervals to
cover (a stratified bootstrap covered average precision 88-90% of the time
at 95%). :mod:`mlcheck.contracts.jackknife` turns draws into two-sided
intervals: BCa for score and regression metrics (with their exact jackknife),
the percentile interval for label metrics; ``docs/statistics.md`` has the
measured coverage.

The batch forms below re-express scikit-learn's definitions over many count
tables at once; the point values a check reports always come from
scikit-learn itself, and tests hold the batch forms equal to it and each
shortcut's law equal to plain row resampling.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterator, Mapping

import numpy as np

from mlcheck.contracts.predictions import PER_CLASS_METRICS, SCORE_METRICS, SUBJECT, Prepared

__all__ = [
    "MAX_SCORE_CELLS",
    "cell_resamples",
    "row_resamples",
    "confusion_batch",
    "auc_batch",
    "average_precision_batch",
    "score_cells",
    "interval",
    "safe_ratio",
    "bootstrap",
    "label_draws",
    "label_metric_draws",
    "row_score_draws",
    "regression_draws",
    "resampled_sums",
    "placement_values",
    "score_sums_draws",
    "PROPORTION_METRICS",
    "proportion_counts",
    "exact_interval",
]

#: Distinct scores kept as exact cells; more are pooled into this many quantile bins. Pooling
#: ties rows that are not tied, which can narrow the spread; 1,024 cells (4x finer than the first
#: version's 256) keep samples up to that size exact, at a quarter of exact cells' cost at 50,000 rows.
MAX_SCORE_CELLS = 1024
#: The key of the ROC-AUC's bootstrap-t draws beside the AUC's own draws (binary scores).
AUC_T = "roc_auc:t"
#: Exact row resampling up to this many row draws in all (rows x resamples); moment-matched cells beyond.
EXACT_ROW_DRAWS = 5_000_000
#: Elements per block of row counts (float64: 32 MiB).
_ROW_BLOCK = 1 << 22


def cell_resamples(counts: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap counts per cell: ``counts`` is (strata, cells); returns (resamples, strata, cells).

    Each stratum keeps its size (a stratified bootstrap); only its non-empty
    cells are drawn, so a sparse confusion matrix costs what its filled cells cost.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n_strata, n_cells = counts.shape
    drawn = np.zeros((n_resamples, n_strata, n_cells), dtype=np.int64)
    for stratum in range(n_strata):
        size = int(counts[stratum].sum())
        filled = np.flatnonzero(counts[stratum])
        if size == 0:
            continue
        if filled.size == 1:
            drawn[:, stratum, filled[0]] = size
            continue
        if size <= 2 * filled.size:  # about a row per cell (distinct scores): drawing rows is cheaper
            rows = np.repeat(filled, counts[stratum, filled])
            picks = rows[rng.integers(0, size, size=(n_resamples, size))]
            picks += (np.arange(n_resamples) * n_cells)[:, None]
            drawn[:, stratum] = np.bincount(picks.ravel(), minlength=n_resamples * n_cells).reshape(
                n_resamples, n_cells
            )
            continue
        drawn[:, stratum, filled] = rng.multinomial(size, counts[stratum, filled] / size, size=n_resamples)
    return drawn


def row_resamples(
    strata: np.ndarray, n_resamples: int, rng: np.random.Generator, *, block: int = _ROW_BLOCK
) -> Iterator[np.ndarray]:
    """Yield blocks (b, rows) of how often each row is drawn, resampling within each stratum."""
    strata = np.asarray(strata)
    n_rows = strata.size
    groups = [np.flatnonzero(strata == value) for value in np.unique(strata)]
    per_block = max(1, block // max(n_rows, 1))
    done = 0
    while done < n_resamples:
        size = min(per_block, n_resamples - done)
        weights = np.empty((size, n_rows), dtype=np.float64)
        for rows in groups:
            draws = rng.integers(0, rows.size, size=(size, rows.size))
            draws += (np.arange(size) * rows.size)[:, None]
            weights[:, rows] = np.bincount(draws.ravel(), minlength=size * rows.size).reshape(size, rows.size)
        yield weights
        done += size


# -- label metrics over many confusion matrices ------------------------------------------
def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator with 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, numerator / safe, 0.0)


def confusion_batch(matrices: np.ndarray) -> dict[str, np.ndarray]:
    """Label metrics of each confusion matrix in ``matrices`` (resamples, K, K), rows = truth.

    Returns scalars per resample (shape ``(B,)``) and per-class arrays
    ``precision_k``, ``recall_k``, ``f1_k`` of shape ``(B, K)``.
    """
    matrices = np.asarray(matrices, dtype=np.float64)
    true_totals = matrices.sum(axis=2)
    pred_totals = matrices.sum(axis=1)
    diagonal = np.diagonal(matrices, axis1=1, axis2=2)
    n = true_totals.sum(axis=1)
    correct = diagonal.sum(axis=1)
    precision = safe_ratio(diagonal, pred_totals)
    recall = safe_ratio(diagonal, true_totals)
    f1 = safe_ratio(2 * diagonal, true_totals + pred_totals)
    present = true_totals > 0
    balanced = np.where(present, recall, 0.0).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    cov_true_pred = correct * n - (true_totals * pred_totals).sum(axis=1)
    cov_pred = n**2 - (pred_totals**2).sum(axis=1)
    cov_true = n**2 - (true_totals**2).sum(axis=1)
    denominator = cov_true * cov_pred
    mcc = np.where(denominator > 0, cov_true_pred / np.sqrt(np.where(denominator > 0, denominator, 1)), 0.0)
    expected_agreement = (true_totals * pred_totals).sum(axis=1) / n**2
    observed_agreement = correct / n
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(
            expected_agreement < 1,
            (observed_agreement - expected_agreement) / (1 - expected_agreement),
            np.nan,
        )
    return {
        "accuracy": observed_agreement,
        "balanced_accuracy": balanced,
        "mcc": mcc,
        "cohen_kappa": kappa,
        "precision_macro": precision.mean(axis=1),
        "recall_macro": recall.mean(axis=1),
        "f1_macro": f1.mean(axis=1),
        "f1_weighted": (f1 * true_totals).sum(axis=1) / n,
        "precision_k": precision,
        "recall_k": recall,
        "f1_k": f1,
    }


# -- binary score metrics over many (positive, negative) count tables -----------------------
def auc_batch(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """ROC-AUC from counts per score cell, cells in ascending score order; ties count one half."""
    below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (below + 0.5 * negatives)).sum(axis=-1)
    auc: np.ndarray = wins / (positives.sum(axis=-1) * negatives.sum(axis=-1))
    return auc


def auc_standard_error_batch(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """DeLong's standard error of the ROC-AUC from counts per score cell (ascending), ties one half.

    DeLong, DeLong and Clarke-Pearson (1988), Biometrics 44(3): the AUC is the
    mean of the positives' placements ``V10`` (share of negatives below, ties
    one half) and of the negatives' ``V01``; its variance is
    ``var(V10) / P + var(V01) / N``.
    """
    n_pos = positives.sum(axis=-1, keepdims=True)
    n_neg = negatives.sum(axis=-1, keepdims=True)
    v10 = safe_ratio(np.cumsum(negatives, axis=-1) - 0.5 * negatives, n_neg * np.ones_like(negatives))
    v01 = safe_ratio(n_pos - np.cumsum(positives, axis=-1) + 0.5 * positives, n_pos * np.ones_like(positives))
    auc = safe_ratio((positives * v10).sum(axis=-1, keepdims=True), n_pos)
    s10 = safe_ratio((positives * (v10 - auc) ** 2).sum(axis=-1), n_pos[..., 0] - 1)
    s01 = safe_ratio((negatives * (v01 - auc) ** 2).sum(axis=-1), n_neg[..., 0] - 1)
    standard_error: np.ndarray = np.sqrt(safe_ratio(s10, n_pos[..., 0]) + safe_ratio(s01, n_neg[..., 0]))
    return standard_error


def average_precision_batch(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Average precision (scikit-learn's step sum) from counts per score cell, ascending."""
    true_positive = np.cumsum(positives[..., ::-1], axis=-1)[..., ::-1]
    predicted = true_positive + np.cumsum(negatives[..., ::-1], axis=-1)[..., ::-1]
    precision = safe_ratio(true_positive, predicted)
    average: np.ndarray = (positives * precision).sum(axis=-1) / positives.sum(axis=-1)
    return average


def score_cells(scores: np.ndarray, *, max_cells: int = MAX_SCORE_CELLS) -> tuple[np.ndarray, int, bool]:
    """Cell index of each score (ascending), the number of cells, and whether cells are exact values."""
    distinct = np.unique(scores)
    if distinct.size <= max_cells:
        return np.searchsorted(distinct, scores).astype(np.intp), int(distinct.size), True
    edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, max_cells + 1)[1:-1]))
    return np.searchsorted(edges, scores, side="right").astype(np.intp), int(edges.size + 1), False


def binary_score_losses(is_positive: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row log loss and Brier loss (the terms scikit-learn averages), for resampled means."""
    clipped = np.clip(scores, np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
    return {
        "log_loss": -np.where(is_positive, np.log(clipped), np.log1p(-clipped)),
        "brier": (scores - is_positive.astype(np.float64)) ** 2,
    }


def multiclass_score_losses(true_codes: np.ndarray, proba: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row multiclass log loss and Brier loss (scikit-learn's unscaled multiclass Brier)."""
    eps = np.finfo(np.float64).eps
    normalized = np.clip(proba, eps, 1 - eps)
    normalized = normalized / normalized.sum(axis=1, keepdims=True)
    rows = np.arange(true_codes.size)
    onehot = np.zeros_like(proba)
    onehot[rows, true_codes] = 1.0
    return {
        "log_loss": -np.log(normalized[rows, true_codes]),
        "brier": ((proba - onehot) ** 2).sum(axis=1),
    }


def score_indicator(is_positive: np.ndarray, scores: np.ndarray) -> tuple[Any, int]:
    """A sparse (rows, 2 x distinct scores) indicator: negatives' cells first, then positives'."""
    from scipy import sparse

    distinct, cell = np.unique(scores, return_inverse=True)
    n_cells = int(distinct.size)
    column = np.where(is_positive, cell + n_cells, cell)
    indicator = sparse.csc_matrix(
        (np.ones(scores.size), (np.arange(scores.size), column)), shape=(scores.size, 2 * n_cells)
    )
    return indicator, n_cells


def indicator_counts(weights: np.ndarray, indicator: Any, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Per resample, the drawn (positives, negatives) at each distinct score, ascending."""
    counts = np.asarray((indicator.T @ weights.T).T)
    return counts[:, n_cells:], counts[:, :n_cells]


def interval(
    values: np.ndarray,
    confidence: float,
    *,
    point: float | None = None,
    jackknife: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float]:
    """The two-sided bootstrap interval at ``confidence``: BCa when it can be, else percentile.

    With the point estimate and its jackknife (leave-one-out values and how
    many rows share each), the bias-corrected and accelerated interval of
    Efron (1987), "Better bootstrap confidence intervals", JASA 82(397):
    the percentile levels become ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` with
    ``z0 = Phi^-1(share of resamples below the estimate)`` (median bias) and
    the acceleration ``a = sum w d^3 / (6 (sum w d^2)^1.5)``, ``d`` the
    jackknife values' deviations from their mean. It corrects what the plain
    percentile interval gets wrong for skewed, biased statistics such as
    average precision. NaN bounds when every resample is undefined.
    """
    from scipy.special import ndtr, ndtri

    finite = np.sort(values[np.isfinite(values)])
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    levels = np.array([tail, 1.0 - tail])
    if point is not None and jackknife is not None and np.isfinite(point) and finite[0] < finite[-1]:
        loo, weights = jackknife
        keep = np.isfinite(loo) & (weights > 0)
        loo, weights = loo[keep], weights[keep].astype(np.float64)
        below = (np.searchsorted(finite, point, "left") + np.searchsorted(finite, point, "right")) / 2
        share = np.clip(below / finite.size, 0.5 / finite.size, 1 - 0.5 / finite.size)
        z0 = float(ndtri(share))
        deviation = np.average(loo, weights=weights) - loo if loo.size else np.zeros(0)
        spread = float((weights * deviation**2).sum())
        accel = float((weights * deviation**3).sum()) / (6 * spread**1.5) if spread > 0 else 0.0
        z = ndtri(levels)
        levels = ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    low, high = np.quantile(finite, levels)
    return float(low), float(high)


# -- proportions: the exact binomial interval --------------------------------------------
#: Label metrics that are one count over another (accuracy; precision and recall of one class,
#: so also specificity and NPV as the negative class's recall and precision).
PROPORTION_METRICS = ("accuracy", "precision", "recall")


def proportion_counts(prepared: Prepared, subject: str) -> tuple[int, int] | None:
    """(successes, trials) of a proportion subject on the confusion matrix, or None for any other.

    ``recall`` counts the class's rows predicted as it among its rows, ``precision``
    its rows among the rows predicted as it, ``accuracy`` the diagonal among all
    rows. Multiclass ``precision`` and ``recall`` (macro averages) are not proportions.
    """
    match = SUBJECT.match(subject)
    if prepared.task == "regression" or match is None or prepared.labels is None:
        return None
    metric, label = match.group("metric"), match.group("label")
    if metric not in PROPORTION_METRICS or (metric == "accuracy" and label is not None):
        return None
    cells = _confusion_cells(prepared)
    if metric == "accuracy":
        return int(np.trace(cells)), int(cells.sum())
    if label is not None:
        index = [str(value) for value in prepared.labels.tolist()].index(label)
    elif prepared.pos_index is not None:
        index = prepared.pos_index
    else:
        return None
    trials = cells[index, :].sum() if metric == "recall" else cells[:, index].sum()
    return int(cells[index, index]), int(trials)


def exact_interval(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """The two-sided exact (Clopper-Pearson) binomial interval of ``successes / trials``.

    Clopper and Pearson (1934), Biometrika 26(4), by ``scipy.stats.binomtest``:
    each end errs with probability at most ``(1 - confidence) / 2`` at every
    ``trials``, where a bootstrap collapses (5 of 5 found: every resample is
    1.0, the percentile interval [1, 1]; the exact lower end is 0.478).
    """
    from scipy.stats import binomtest

    found = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="exact")
    return float(found.low), float(found.high)


# -- draws of a validated problem -----------------------------------------------------
def resample_blocks(n_resamples: int, cells_per_resample: int) -> list[int]:
    """Resamples per block so that a block holds about :data:`_ROW_BLOCK` cells (many classes)."""
    size = max(1, _ROW_BLOCK // max(cells_per_resample, 1))
    return [min(size, n_resamples - start) for start in range(0, n_resamples, size)]


def concatenate_batches(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}


def _confusion_cells(prepared: Prepared) -> np.ndarray:
    assert prepared.true_codes is not None and prepared.pred_codes is not None
    k = prepared.n_classes
    return np.bincount(prepared.true_codes * k + prepared.pred_codes, minlength=k * k).reshape(k, k)


def label_draws(prepared: Prepared, n_resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """:func:`confusion_batch` of the resampled confusion matrices of a labelled problem.

    Rows are resampled as they were drawn (one multinomial over all K x K
    cells, not within each true class): the class counts then vary as they do
    from sample to sample, a variance that prevalence-dependent metrics (MCC,
    precision, F1, average precision) need for their intervals to cover.
    """
    k = prepared.n_classes
    cells = _confusion_cells(prepared).reshape(1, k * k)
    return concatenate_batches(
        [
            confusion_batch(cell_resamples(cells, size, rng).reshape(size, k, k))
            for size in resample_blocks(n_resamples, k * k)
        ]
    )


def label_metric_draws(batch: Mapping[str, np.ndarray], subject: str, prepared: Prepared) -> np.ndarray:
    """The bootstrap draws of one label-metric subject out of :func:`resampling.confusion_batch`."""
    match = SUBJECT.match(subject)
    assert match is not None and prepared.labels is not None
    metric, label = match.group("metric"), match.group("label")
    if label is not None:
        index = [str(value) for value in prepared.labels.tolist()].index(label)
        return batch[f"{metric}_k"][:, index]
    if metric in PER_CLASS_METRICS:
        if prepared.pos_index is not None:
            return batch[f"{metric}_k"][:, prepared.pos_index]
        return batch[f"{metric}_macro"]
    return batch[metric]


def _binary_score_draws(
    prepared: Prepared,
    names: list[str],
    points: Mapping[str, float],
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Score metrics from multinomial draws over (class, score cell); binned cells are re-centred."""
    pos, neg, cell_losses = _binary_cells(prepared, names)
    n_cells = pos.size
    stacked = np.concatenate([neg, pos])[None, :]  # rows resampled as drawn (see label_draws)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    pos_f, neg_f = pos[None].astype(np.float64), neg[None].astype(np.float64)
    exact = _binary_metrics(pos_f, neg_f, cell_losses, names)
    studentized = "roc_auc" in names
    if studentized:
        parts[AUC_T] = []
    for size in resample_blocks(n_resamples, 2 * n_cells):
        drawn = cell_resamples(stacked, size, rng)[:, 0].astype(np.float64)
        neg_drawn, pos_drawn = drawn[:, :n_cells], drawn[:, n_cells:]
        batch = _binary_metrics(pos_drawn, neg_drawn, cell_losses, names)
        for name, values in batch.items():
            parts[name].append(values)
        if studentized:  # the bootstrap-t statistic of the AUC, with DeLong's standard error per resample
            spread = auc_standard_error_batch(pos_drawn, neg_drawn)
            parts[AUC_T].append(safe_ratio(batch["roc_auc"] - exact["roc_auc"][0], spread))
    # pooled cells (beyond MAX_SCORE_CELLS distinct scores) tie rows that are not tied: re-centre on
    # the exact value so the interval sits around scikit-learn's number
    out = {
        name: np.concatenate(parts[name]) + (float(points.get(name, exact[name][0])) - exact[name][0])
        for name in names
    }
    if studentized:
        out[AUC_T] = np.concatenate(parts[AUC_T])
    return out


def _binary_cells(
    prepared: Prepared, names: list[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Positives and negatives per score cell (ascending), and each cell's mean loss per class."""
    assert prepared.y_score is not None and prepared.true_codes is not None
    positive = prepared.true_codes == prepared.pos_index
    cell, n_cells, _ = score_cells(prepared.y_score)
    pos = np.bincount(cell[positive], minlength=n_cells)
    neg = np.bincount(cell[~positive], minlength=n_cells)
    losses = binary_score_losses(positive, prepared.y_score) if {"log_loss", "brier"} & set(names) else {}
    cell_losses = {
        name: (
            safe_ratio(np.bincount(cell[positive], losses[name][positive], n_cells), pos),
            safe_ratio(np.bincount(cell[~positive], losses[name][~positive], n_cells), neg),
        )
        for name in losses
    }
    return pos, neg, cell_losses


def _binary_metrics(
    pos: np.ndarray, neg: np.ndarray, cell_losses: Mapping[str, tuple[np.ndarray, np.ndarray]], names: list[str]
) -> dict[str, np.ndarray]:
    """Score metrics of many (positives, negatives) count tables over the same cells."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name == "roc_auc":
            out[name] = auc_batch(pos, neg)
        elif name == "average_precision":
            out[name] = average_precision_batch(pos, neg)
        else:  # a mean loss: each row carries its cell's mean loss
            pos_mean, neg_mean = cell_losses[name]
            out[name] = (pos @ pos_mean + neg @ neg_mean) / (pos.sum(axis=-1) + neg.sum(axis=-1))
    return out


def row_score_draws(
    prepared: Prepared, names: list[str], n_resamples: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Score metrics from resampled row counts (exact, O(resamples x rows)).

    Two models resampled with identically seeded generators see the same rows
    in every resample, which is what a paired comparison needs.
    """
    assert prepared.y_score is not None and prepared.true_codes is not None
    codes, scores, n = prepared.true_codes, prepared.y_score, prepared.n_rows
    if prepared.task == "binary":
        positive = codes == prepared.pos_index
        losses = binary_score_losses(positive, scores)
        columns = [(positive, scores)]
    else:
        losses = multiclass_score_losses(codes, scores)
        columns = [(codes == k, scores[:, k]) for k in range(scores.shape[1])]
    ranked = any(name in ("roc_auc", "average_precision") for name in names)
    indicators = [score_indicator(is_pos, column) for is_pos, column in columns] if ranked else []
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    # rows resampled as drawn, not within classes (see label_draws)
    for weights in row_resamples(np.zeros(codes.size, dtype=np.int64), n_resamples, rng):
        counts = [indicator_counts(weights, indicator, n_cells) for indicator, n_cells in indicators]
        for name in names:
            if name == "roc_auc":
                parts[name].append(np.mean([auc_batch(p, q) for p, q in counts], axis=0))
            elif name == "average_precision":
                parts[name].append(np.mean([average_precision_batch(p, q) for p, q in counts], axis=0))
            else:
                parts[name].append(weights @ losses[name] / n)
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def resampled_sums(
    values: np.ndarray, key: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Column sums of ``values`` (rows, J) over resampled rows: (resamples, J).

    Up to :data:`EXACT_ROW_DRAWS` row draws in all, rows are resampled
    exactly. Beyond, rows are pooled into :data:`MAX_SCORE_CELLS` cells by
    quantiles of ``key``: the rows each cell receives are an exact multinomial
    draw, and the sum over a cell's drawn rows is drawn from the normal law with
    that cell's mean and covariance (its first two moments exactly; hundreds of
    rows per cell make the rest negligible). Cost O(resamples x cells x J^2).
    """
    n_rows, n_columns = values.shape
    if n_rows * n_resamples <= EXACT_ROW_DRAWS:
        return np.concatenate([w @ values for w in row_resamples(np.zeros(n_rows), n_resamples, rng)])
    cell, n_cells, _ = score_cells(key)
    counts = np.bincount(cell, minlength=n_cells).astype(np.float64)
    # float sums of each column per cell (bincount with weights; numpy's stubs say integers)
    means: np.ndarray = np.stack([np.bincount(cell, values[:, j], n_cells) for j in range(n_columns)], axis=1)
    means /= np.maximum(counts, 1)[:, None]
    centred = values - means[cell]
    covariance = np.zeros((n_cells, n_columns, n_columns))
    for a in range(n_columns):
        for b in range(a, n_columns):
            covariance[:, a, b] = covariance[:, b, a] = np.bincount(
                cell, centred[:, a] * centred[:, b], n_cells
            )
    covariance /= np.maximum(counts, 1)[:, None, None]
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # a square root that tolerates singular cells
    roots = eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))[:, None, :]
    drawn = cell_resamples(counts[None].astype(np.int64), n_resamples, rng)[:, 0].astype(np.float64)
    noise = rng.standard_normal((n_resamples, n_cells, n_columns)) * np.sqrt(drawn)[:, :, None]
    spread = np.matmul(noise.transpose(1, 0, 2), roots.transpose(0, 2, 1)).sum(axis=0)
    sums: np.ndarray = drawn @ means + spread
    return sums


def regression_draws(
    y_true: np.ndarray,
    predictions: list[np.ndarray],
    n_resamples: int,
    rng: np.random.Generator,
    n_features: int | None,
) -> list[dict[str, np.ndarray]]:
    """Regression metrics of each prediction over the same resampled rows (paired when several)."""
    values, key, nonnegative = _regression_columns(y_true, predictions)
    means = resampled_sums(values, key, n_resamples, rng) / y_true.size
    return _regression_metrics(means, y_true.size, nonnegative, n_features)


def _regression_columns(
    y_true: np.ndarray, predictions: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """Per-row terms whose means give every regression metric, a pooling key, and where RMSLE exists."""
    centred = y_true - y_true.mean()  # variance from centred sums: no cancellation for large targets
    columns = [centred, centred**2]
    nonnegative = []
    for y_pred in predictions:
        error = y_pred - y_true
        columns += [
            error**2,
            np.abs(error),
            np.abs(error) / np.maximum(np.abs(y_true), np.finfo(np.float64).eps),
        ]
        nonnegative.append(bool((y_true >= 0).all() and (y_pred >= 0).all()))
        columns.append(
            (np.log1p(y_pred) - np.log1p(y_true)) ** 2 if nonnegative[-1] else np.zeros_like(y_true)
        )
    columns.append(np.abs(y_true))  # last: WAPE's denominator
    key = sum(np.abs(y_pred - y_true) for y_pred in predictions)
    return np.column_stack(columns), np.asarray(key), nonnegative


def _regression_metrics(
    means: np.ndarray, n: int, nonnegative: list[bool], n_features: int | None
) -> list[dict[str, np.ndarray]]:
    """Regression metrics from rows of column means (resamples or leave-one-out samples)."""
    spread = means[:, 1] - means[:, 0] ** 2
    out = []
    for index, ok in enumerate(nonnegative):
        e2, ae, ape, le2 = (means[:, 2 + 4 * index + k] for k in range(4))
        r2 = np.where(spread > 0, 1 - safe_ratio(e2, spread), np.nan)
        draws = {"rmse": np.sqrt(np.clip(e2, 0, None)), "mae": ae, "mape": ape, "r2": r2}
        draws["wape"] = np.where(means[:, -1] > 0, safe_ratio(ae, means[:, -1]), np.nan)
        if ok:
            draws["rmsle"] = np.sqrt(np.clip(le2, 0, None))
        if n_features is not None and n - n_features - 1 > 0:
            draws["adjusted_r2"] = 1 - (1 - r2) * (n - 1) / (n - n_features - 1)
        out.append(draws)
    return out


def bootstrap(
    prepared: Prepared,
    points: Mapping[str, Any],
    subjects: list[str],
    *,
    n_resamples: int,
    rng: np.random.Generator,
    n_features: int | None,
) -> dict[str, np.ndarray]:
    """Bootstrap draws of every subject, keyed by subject."""
    if prepared.task == "regression":
        draws = regression_draws(prepared.y_true, [prepared.y_pred], n_resamples, rng, n_features)[0]
        return {subject: draws[subject] for subject in subjects}
    out: dict[str, np.ndarray] = {}
    label_subjects = [s for s in subjects if s not in SCORE_METRICS]
    if label_subjects:
        batch = label_draws(prepared, n_resamples, rng)
        out.update({s: label_metric_draws(batch, s, prepared) for s in label_subjects})
    score_subjects = [s for s in subjects if s in SCORE_METRICS]
    if score_subjects and prepared.task == "binary":
        out.update(_binary_score_draws(prepared, score_subjects, points, n_resamples, rng))
        return out
    for subject in score_subjects:
        if subject != "average_precision" and (
            subject != "roc_auc" or prepared.n_rows * n_resamples > EXACT_ROW_DRAWS
        ):
            out[subject] = score_sums_draws(
                [prepared], subject, [points.get(subject, 0.0)], n_resamples, rng
            )[0]
    exact = [s for s in score_subjects if s not in out]
    if exact:
        out.update(row_score_draws(prepared, exact, n_resamples, rng))
    return out


def placement_values(is_positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each row's share of the one-vs-rest AUC (ties count one half); they sum to twice the AUC."""
    positives, negatives = np.sort(scores[is_positive]), np.sort(scores[~is_positive])
    values = np.empty(scores.size)
    below = np.searchsorted(negatives, scores[is_positive], "left")
    tied = np.searchsorted(negatives, scores[is_positive], "right") - below
    values[is_positive] = (below + 0.5 * tied) / (negatives.size * positives.size)
    above = positives.size - np.searchsorted(positives, scores[~is_positive], "right")
    tied = np.searchsorted(positives, scores[~is_positive], "right") - np.searchsorted(
        positives, scores[~is_positive], "left"
    )
    values[~is_positive] = (above + 0.5 * tied) / (negatives.size * positives.size)
    return values


def _placement_share(prepared: Prepared) -> np.ndarray:
    """Per-row placement values of the (macro one-vs-rest) ROC-AUC; they sum to twice the AUC."""
    assert prepared.y_score is not None and prepared.true_codes is not None
    codes = prepared.true_codes
    if prepared.task == "binary":
        return placement_values(codes == prepared.pos_index, prepared.y_score)
    shares = [placement_values(codes == c, prepared.y_score[:, c]) for c in range(prepared.n_classes)]
    total: np.ndarray = sum(shares[1:], shares[0])
    return total / prepared.n_classes


def score_sums_draws(
    problems: list[Prepared], metric: str, points: list[float], n_resamples: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Score metrics that are sums over rows, for models scored on the same rows, on the same draws.

    Log loss and Brier are means of per-row losses. ROC-AUC is drawn as the
    bootstrap of its first-order (DeLong) expansion: resampling changes it, to
    first order, by the change in the resampled sum of the rows' placement
    values (error of order 1/rows; used beyond :data:`EXACT_ROW_DRAWS` row
    draws). Sums are drawn by :func:`resampled_sums`, over all rows for the
    losses, within each true class for the AUC (whose expansion assumes fixed
    class counts; to first order its law is the same).
    """
    first = problems[0]
    assert first.true_codes is not None
    columns = []
    for prepared in problems:
        assert prepared.y_score is not None and prepared.true_codes is not None
        if metric == "roc_auc":
            columns.append(_placement_share(prepared))
        elif prepared.task == "binary":
            positive = prepared.true_codes == prepared.pos_index
            columns.append(binary_score_losses(positive, prepared.y_score)[metric] / prepared.n_rows)
        else:
            columns.append(
                multiclass_score_losses(prepared.true_codes, prepared.y_score)[metric] / prepared.n_rows
            )
    values = np.column_stack(columns)
    key = values.sum(axis=1)
    if metric == "roc_auc":  # the placement expansion holds with class counts fixed; AUC ignores them
        parts = [
            resampled_sums(values[rows], key[rows], n_resamples, rng)
            for rows in (np.flatnonzero(first.true_codes == c) for c in range(first.n_classes))
            if rows.size
        ]
        total = sum(parts[1:], parts[0])
    else:  # mean losses: rows resampled as drawn (see label_draws)
        total = resampled_sums(values, key, n_resamples, rng)
    offsets = points if metric == "roc_auc" else [0.0] * len(problems)
    return [total[:, j] - offsets[j] for j in range(len(problems))]
