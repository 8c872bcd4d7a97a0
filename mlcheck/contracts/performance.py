"""Imbalance-aware performance: the metric set, its baselines, and ``check_performance``.

Every metric comes from :mod:`sklearn.metrics`. Label metrics are computed
once on the confusion matrix's cells (scikit-learn with the cell counts as
sample weights, which equals the row-level call), so a million rows cost one
pass. Every metric is computed for two baselines as well: the majority class
and the class prior in expectation (each class predicted at its base rate) for
classification, the mean and the median for regression. With
``confidence=...`` a threshold is held by the bound of a stratified bootstrap
interval (:mod:`mlcheck.contracts.resampling`), not by the point value.
"""

from __future__ import annotations

import builtins
import contextlib
import math
import warnings
from numbers import Real
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import numpy as np

from mlcheck._validation import RANDOM_STATE, SEVERITY, Interval, MappingOf, validate_options
from mlcheck.contracts import register_check
from mlcheck.contracts import resampling as rs
from mlcheck.contracts import jackknife as jk
from mlcheck.contracts.predictions import (
    LABEL_METRICS,
    PER_CLASS_METRICS,
    REGRESSION_METRICS,
    SCORE_METRICS,
    SUBJECT,
    Prepared,
    CONFIDENCE,
    MARGIN,
    N_FEATURES,
    N_RESAMPLES,
    TASK,
    THRESHOLD,
    Task,
    class_subject,
    make_rng,
    prepare,
    split_predictions,
    threshold_curve,
)
from mlcheck.results import CheckResult, Outcome, format_value
from mlcheck.errors import UsageError

__all__ = ["evaluate", "check_performance", "LABEL_METRICS", "SCORE_METRICS", "REGRESSION_METRICS"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # scikit-learn warns on undefined per-class values; mlcheck reports them itself
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- classification -------------------------------------------------------------
def _from_matrix(matrix: np.ndarray, prepared: Prepared) -> dict[str, float]:
    """Label metrics of one confusion matrix, by scikit-learn on its cells (counts as sample weights)."""
    from sklearn import metrics as skm

    k = matrix.shape[0]
    true_codes, pred_codes = np.divmod(np.arange(k * k), k)
    weights = matrix.ravel().astype(np.float64)
    keep = weights > 0
    true_codes, pred_codes, weights = true_codes[keep], pred_codes[keep], weights[keep]
    codes = np.arange(k)
    with _quiet():
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            true_codes, pred_codes, labels=codes, sample_weight=weights, zero_division=0
        )
        support = matrix.sum(axis=1)
        values = {
            "accuracy": skm.accuracy_score(true_codes, pred_codes, sample_weight=weights),
            "balanced_accuracy": skm.balanced_accuracy_score(true_codes, pred_codes, sample_weight=weights),
            "mcc": skm.matthews_corrcoef(true_codes, pred_codes, sample_weight=weights),
            "cohen_kappa": skm.cohen_kappa_score(true_codes, pred_codes, labels=codes, sample_weight=weights),
            "precision_macro": float(np.mean(precision)),
            "recall_macro": float(np.mean(recall)),
            "f1_macro": float(np.mean(f1)),
            "f1_weighted": float(np.average(f1, weights=support)) if support.sum() > 0 else math.nan,
        }
    # a class's recall is undefined (0/0) without rows of it, its precision when it is never
    # predicted; the averages above keep scikit-learn's zero_division=0 convention
    predicted = matrix.sum(axis=0)
    precision = np.where(predicted > 0, precision, np.nan)
    recall = np.where(support > 0, recall, np.nan)
    f1 = np.where((support > 0) | (predicted > 0), f1, np.nan)
    if prepared.pos_index is not None:
        index = prepared.pos_index
        values.update(precision=precision[index], recall=recall[index], f1=f1[index])
    else:  # multiclass: the unqualified names are the macro averages
        values.update(
            precision=values["precision_macro"], recall=values["recall_macro"], f1=values["f1_macro"]
        )
    assert prepared.labels is not None
    for index, label in enumerate(prepared.labels.tolist()):
        values[class_subject("precision", label)] = precision[index]
        values[class_subject("recall", label)] = recall[index]
        values[class_subject("f1", label)] = f1[index]
    return {name: float(value) for name, value in values.items()}


def _score_metrics(
    prepared: Prepared,
    scores: np.ndarray,
    weights: np.ndarray | None,
    truth: np.ndarray,
    notes: list[str],
    names: tuple[str, ...] = SCORE_METRICS,
) -> dict[str, float]:
    """ROC-AUC, average precision, log loss and Brier score (or those in ``names``) by scikit-learn."""
    from sklearn import metrics as skm
    from sklearn.preprocessing import label_binarize

    codes = np.arange(prepared.n_classes)
    if prepared.task == "binary":
        target: np.ndarray = truth == prepared.pos_index
        both = bool(target.any() and not target.all())
        if not both and {"roc_auc", "average_precision"} & set(names):
            notes.append("roc_auc and average_precision are undefined: y_true holds one class only")
        calls: dict[str, Callable[[], Any]] = {
            "roc_auc": lambda: skm.roc_auc_score(target, scores, sample_weight=weights) if both else math.nan,
            "average_precision": lambda: (
                skm.average_precision_score(target, scores, sample_weight=weights) if both else math.nan
            ),
            "log_loss": lambda: skm.log_loss(target, scores, sample_weight=weights, labels=[False, True]),
            "brier": lambda: skm.brier_score_loss(target, scores, sample_weight=weights, pos_label=True),
        }
    else:
        every_class = np.unique(truth).size == codes.size
        if not every_class and {"roc_auc", "average_precision"} & set(names):
            notes.append("roc_auc and average_precision are undefined: some classes never occur in y_true")
        ranked = every_class and bool({"roc_auc", "average_precision"} & set(names))
        onehot = label_binarize(truth, classes=codes) if ranked else None
        calls = {
            "roc_auc": lambda: (
                skm.roc_auc_score(onehot, scores, sample_weight=weights, average="macro")
                if every_class
                else math.nan
            ),
            "average_precision": lambda: (
                skm.average_precision_score(onehot, scores, sample_weight=weights, average="macro")
                if every_class
                else math.nan
            ),
            "log_loss": lambda: skm.log_loss(truth, scores, sample_weight=weights, labels=codes),
            "brier": lambda: skm.brier_score_loss(truth, scores, sample_weight=weights, labels=codes),
        }
    with _quiet():
        return {name: float(calls[name]()) for name in names}


def _classification(prepared: Prepared) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix

    k = prepared.n_classes
    assert prepared.labels is not None and prepared.true_codes is not None and prepared.pred_codes is not None
    matrix = confusion_matrix(
        prepared.true_codes, prepared.pred_codes, labels=np.arange(k), sample_weight=prepared.sample_weight
    )
    totals = matrix.sum(axis=1).astype(np.float64)
    prior = totals / totals.sum()
    majority = int(np.argmax(totals))
    majority_matrix = np.zeros((k, k))
    majority_matrix[:, majority] = totals
    prior_matrix = np.outer(totals, prior)  # class j predicted as k at k's base rate, in expectation
    notes: list[str] = []
    metrics = _from_matrix(matrix, prepared)
    # the prior's expected matrix gives MCC and kappa 0 up to float noise (4e-16): shown as 0
    baselines = {
        name: {metric: round(value, 12) for metric, value in _from_matrix(expected, prepared).items()}
        for name, expected in (("majority", majority_matrix), ("prior", prior_matrix))
    }
    if prepared.y_score is not None:
        metrics.update(
            _score_metrics(prepared, prepared.y_score, prepared.sample_weight, prepared.true_codes, notes)
        )
        # the baselines' scores are constant, so one weighted row per class computes them
        classes = np.arange(k)
        if prepared.task == "binary":
            pos = prepared.pos_index
            prior_scores = np.full(k, prior[pos])
            majority_scores = np.full(k, 1.0 if majority == pos else 0.0)
        else:
            prior_scores = np.tile(prior, (k, 1))
            majority_scores = np.tile(np.eye(k)[majority], (k, 1))
        present = totals > 0
        for name, scores in (("prior", prior_scores), ("majority", majority_scores)):
            baselines[name].update(
                _score_metrics(prepared, scores[present], totals[present], classes[present], [])
            )
    return {
        "task": prepared.task,
        "n_rows": prepared.n_rows,
        "labels": prepared.labels.tolist(),
        "pos_label": prepared.pos_label,
        "threshold": prepared.threshold,
        "metrics": metrics,
        "baselines": baselines,
        "per_class": {
            "precision": [metrics[class_subject("precision", c)] for c in prepared.labels.tolist()],
            "recall": [metrics[class_subject("recall", c)] for c in prepared.labels.tolist()],
            "f1": [metrics[class_subject("f1", c)] for c in prepared.labels.tolist()],
            "support": totals.tolist(),
        },
        "confusion_matrix": matrix.tolist(),
        "class_counts": totals.tolist(),
        "majority_rate": float(prior[majority]),
        "notes": notes,
    }


# -- regression -------------------------------------------------------------------
def _regression_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weights: np.ndarray | None,
    n_features: int | None,
    notes: list[str],
) -> dict[str, float | None]:
    from sklearn import metrics as skm

    values: dict[str, float | None] = {
        "rmse": float(skm.root_mean_squared_error(y_true, y_pred, sample_weight=weights)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred, sample_weight=weights)),
        "mape": None,
        "wape": None,
        "r2": float(skm.r2_score(y_true, y_pred, sample_weight=weights)),
        "rmsle": None,
        "adjusted_r2": None,
    }
    # MAPE divides by each target: a zero target makes it undefined (scikit-learn divides by
    # machine epsilon instead and reports ~1e14). WAPE, sum |error| / sum |y_true|
    # (Kolassa & Schütz 2007), stays defined and is the usable alternative.
    zeros = int(np.count_nonzero(y_true == 0))
    if zeros:
        notes.append(
            f"mape is undefined: {zeros} of {y_true.size} targets are zero and MAPE divides by each; "
            "use wape (sum |error| / sum |y_true|) instead"
        )
    else:
        values["mape"] = float(skm.mean_absolute_percentage_error(y_true, y_pred, sample_weight=weights))
    scale = float(np.average(np.abs(y_true), weights=weights))
    if scale > 0:
        values["wape"] = float(np.average(np.abs(y_true - y_pred), weights=weights)) / scale
    else:
        notes.append("wape is undefined: every target is zero")
    # RMSLE's domain as scikit-learn's: log1p needs values above -1
    if (y_true <= -1).any() or (y_pred <= -1).any():
        notes.append("rmsle is undefined: y_true or the predictions have values <= -1 (log1p needs > -1)")
    else:
        values["rmsle"] = float(skm.root_mean_squared_log_error(y_true, y_pred, sample_weight=weights))
    n = y_true.size
    if n_features is not None and n - n_features - 1 > 0:
        values["adjusted_r2"] = 1 - (1 - float(values["r2"])) * (n - 1) / (n - n_features - 1)  # type: ignore[arg-type]
    elif n_features is not None:
        notes.append(f"adjusted_r2 is undefined: {n} rows for {n_features} features")
    return values


def _weighted_median(values: np.ndarray, weights: np.ndarray | None) -> float:
    if weights is None:
        return float(np.median(values))
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _regression(prepared: Prepared, n_features: int | None) -> dict[str, Any]:
    y_true, weights = prepared.y_true, prepared.sample_weight
    notes: list[str] = []
    mean = float(np.average(y_true, weights=weights))
    median = _weighted_median(y_true, weights)
    return {
        "task": "regression",
        "n_rows": prepared.n_rows,
        "metrics": _regression_metrics(y_true, prepared.y_pred, weights, n_features, notes),
        "baselines": {
            "mean": _regression_metrics(y_true, np.full_like(y_true, mean), weights, 0, []),
            "median": _regression_metrics(y_true, np.full_like(y_true, median), weights, 0, []),
        },
        "baseline_values": {"mean": mean, "median": median},
        "notes": notes,
    }


def _evaluate_prepared(prepared: Prepared, n_features: int | None) -> dict[str, Any]:
    return _regression(prepared, n_features) if prepared.task == "regression" else _classification(prepared)


def point_metric(prepared: Prepared, metric: str) -> float | None:
    """One metric of the model alone (no baselines), for comparisons that need only it."""
    from sklearn.metrics import confusion_matrix

    if prepared.task == "regression":
        return _regression_metrics(prepared.y_true, prepared.y_pred, prepared.sample_weight, None, [])[metric]
    assert prepared.true_codes is not None
    if metric in SCORE_METRICS:
        assert prepared.y_score is not None
        return _score_metrics(
            prepared, prepared.y_score, prepared.sample_weight, prepared.true_codes, [], (metric,)
        )[metric]
    matrix = confusion_matrix(
        prepared.true_codes,
        prepared.pred_codes,
        labels=np.arange(prepared.n_classes),
        sample_weight=prepared.sample_weight,
    )
    return _from_matrix(matrix, prepared).get(metric)


@validate_options(
    {
        "task": [TASK],
        "n_features": [None, N_FEATURES],
        "threshold": [THRESHOLD],
        "confidence": [None, CONFIDENCE],
        "n_resamples": [N_RESAMPLES],
        "random_state": RANDOM_STATE,
    }
)
def evaluate(
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    task: Task = "auto",
    labels: Any = None,
    sample_weight: Any = None,
    n_features: int | None = None,
    threshold: float = 0.5,
    pos_label: Any = None,
    confidence: float | None = None,
    n_resamples: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> dict[str, Any]:
    """The imbalance-aware metric set, with the baselines' values beside the model's.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels (classification) or values (regression).
    y_pred : array-like of shape (n,), optional
        Predicted labels or values. For classification it may be left out when
        ``y_score`` is given: labels are then the scores at ``threshold``
        (binary) or their argmax (multiclass).
    y_score : array-like of shape (n,) or (n, n_classes), optional
        Probabilities: of the positive class (binary, 1-D) or ``predict_proba``
        output (2-D, columns in the order of ``labels``).
    task : {"auto", "classification", "regression"}
        "auto" takes non-integer targets, or integer targets with fractional
        predictions and more than two values, as regression.
    labels : array-like, optional
        Every class, in ``predict_proba`` column order (default: sorted classes of ``y_true``).
    sample_weight : array-like of shape (n,), optional
    n_features : int, optional
        Number of model features, for adjusted R² (regression).
    threshold : float, default 0.5
        Binary scores at or above it are predicted positive.
    pos_label : optional
        The positive class (default: the last of the sorted classes, e.g. 1 or True).
    confidence : float, optional
        Also report each metric's two-sided bootstrap interval at this level
        (e.g. 0.95: the interval covers the population value 95% of the
        time; BCa for score and regression metrics, percentile for label
        metrics, widened for proportions (accuracy, a class's precision and
        recall) to at least the exact Clopper-Pearson interval on the metric's
        denominator, which a bootstrap of a few rows cannot reach; rows
        resampled as drawn; see ``docs/statistics.md`` for the
        measured coverage). The same word
        means the same in :func:`check_performance` and ``check_improvement``.
    n_resamples : int, default 2000
        Bootstrap resamples (with ``confidence``).
    random_state : int or numpy Generator, default 0
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``task``, ``n_rows``, ``metrics`` (model), ``baselines`` (``majority``
        and ``prior``, or ``mean`` and ``median``, each the same metric names),
        and for classification ``labels``, ``per_class``,
        ``confusion_matrix`` (rows: truth), ``class_counts``, ``majority_rate``;
        with ``confidence``, ``intervals`` (metric name to ``[low, high]``),
        ``confidence`` and ``n_resamples``.

    Raises
    ------
    UsageError
        Bad options or predictions; ``confidence`` with ``sample_weight``.

    Examples
    --------
    >>> import mlcheck as mc
    >>> report = mc.evaluate([0, 0, 0, 1], y_pred=[0, 0, 0, 0])
    >>> report["metrics"]["accuracy"], report["metrics"]["balanced_accuracy"]
    (0.75, 0.5)
    >>> report["baselines"]["majority"]["accuracy"]
    0.75
    """
    prepared = prepare(
        "evaluate",
        y_true,
        y_pred=y_pred,
        y_score=y_score,
        task=task,
        labels=labels,
        pos_label=pos_label,
        sample_weight=sample_weight,
        threshold=float(threshold),
    )
    report = _evaluate_prepared(prepared, n_features)
    if confidence is None:
        return report
    if prepared.sample_weight is not None:
        raise UsageError("evaluate: confidence intervals do not support sample_weight; drop one of them")
    subjects = [
        name
        for name, value in report["metrics"].items()
        if value is not None and not (isinstance(value, float) and math.isnan(value))
    ]
    draws = _draws(prepared, report["metrics"], subjects, n_resamples, make_rng("evaluate", random_state), n_features)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # resamples without a class divide by zero
        found = jk.intervals(prepared, report["metrics"], draws, confidence, n_features)
    report["intervals"] = {name: list(found[name]) for name in subjects if name in found}
    report.update(confidence=confidence, n_resamples=n_resamples)
    return report


# -- thresholds -----------------------------------------------------------------------
def _subjects(
    check: str, report: Mapping[str, Any], bounds: Mapping[str, Any] | None, side: str, per_class: bool
) -> list[tuple[str, float]]:
    if bounds is None:
        return []
    if not isinstance(bounds, Mapping):
        raise UsageError(f"{check}: {side} must be a dict of metric name to bound, e.g. {{'recall': 0.6}}")
    task = report["task"]
    known = REGRESSION_METRICS if task == "regression" else LABEL_METRICS + SCORE_METRICS
    expanded: list[tuple[str, float]] = []
    for subject, bound in bounds.items():
        match = SUBJECT.match(str(subject))
        metric = match.group("metric") if match else str(subject)
        if metric not in known or (match and match.group("label") and metric not in PER_CLASS_METRICS):
            per_class_hint = (
                "" if task == "regression" else "; per class: precision[class=LABEL], recall[...], f1[...]"
            )
            raise UsageError(
                f"{check}: unknown metric {subject!r} in {side}=; known metrics for {task}: "
                f"{', '.join(known)}{per_class_hint}"
            )
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
            raise UsageError(
                f"{check}: the {side} bound for {subject!r} must be a finite number, got {bound!r}"
            )
        low, high = (-1.0, 1.0) if metric in ("mcc", "cohen_kappa") else (0.0, 1.0)
        fraction = metric in LABEL_METRICS or metric in ("roc_auc", "average_precision")
        if fraction and not low <= bound <= high:
            raise UsageError(
                f"{check}: {subject} lies in [{low:g}, {high:g}] but its {side} bound is {bound!r}; "
                f"write fractions, e.g. {bound / 100:g} for {bound:g}%"
            )
        if metric in SCORE_METRICS and subject not in report["metrics"]:
            raise UsageError(
                f"{check}: {subject} needs scores, but label predictions were given; "
                "pass predicted probabilities (model.predict_proba(X)) instead of labels"
            )
        if subject not in report["metrics"]:
            labels = ", ".join(str(label) for label in report.get("labels", []))
            raise UsageError(f"{check}: {subject!r} names no class of this problem; the classes are {labels}")
        if report["metrics"][subject] is None and metric == "adjusted_r2" and not _reason(subject, report):
            raise UsageError(
                f"{check}: adjusted_r2 needs n_features= (the number of model inputs); pass it"
            )
        if per_class and metric in PER_CLASS_METRICS and not match.group("label"):  # type: ignore[union-attr]
            expanded.extend((class_subject(metric, label), float(bound)) for label in report["labels"])
        else:
            expanded.append((str(subject), float(bound)))
    return expanded


# -- undefined values -----------------------------------------------------------------
def _reason(subject: str, report: Mapping[str, Any]) -> str:
    """Why ``subject`` has no value on this data ('' when no note says)."""
    match = SUBJECT.match(subject)
    metric = match.group("metric") if match else subject
    for note in report.get("notes", ()):
        both_scores = note.startswith("roc_auc and average_precision") and metric in ("roc_auc", "average_precision")
        if note.startswith(metric + " ") or both_scores:
            return str(note).split(": ", 1)[-1]
    label = match.group("label") if match and match.group("label") else None
    if label is None and report.get("task") == "binary" and metric in PER_CLASS_METRICS:
        label = str(report.get("pos_label") if report.get("pos_label") is not None else report["labels"][-1])
    if label is not None and metric == "recall":
        return f"y_true has no rows of class {label}"
    if label is not None and metric == "precision":
        return f"class {label} is never predicted"
    if label is not None and metric == "f1":
        return f"class {label} is neither in y_true nor predicted"
    return ""


def _draws(
    prepared: Prepared,
    points: Mapping[str, Any],
    subjects: list[str],
    n_resamples: int,
    rng: np.random.Generator,
    n_features: int | None,
) -> dict[str, np.ndarray]:
    """Bootstrap draws of ``subjects``; a metric the resampler does not compute gets no interval."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return rs.bootstrap(prepared, points, subjects, n_resamples=n_resamples, rng=rng, n_features=n_features)
        except KeyError:
            found: dict[str, np.ndarray] = {}
            for subject in subjects:
                try:
                    found.update(
                        rs.bootstrap(prepared, points, [subject], n_resamples=n_resamples, rng=rng, n_features=n_features)
                    )
                except KeyError:
                    continue
            return found


def _undefined(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


# -- bootstrap ------------------------------------------------------------------------


# -- the check ----------------------------------------------------------------------------
_BOUNDS = [None, MappingOf(Interval(Real, None, None), example="{'recall': 0.6}")]


@register_check("check_performance")
@validate_options(
    {
        "min": _BOUNDS,
        "max": _BOUNDS,
        "per_class": ["boolean"],
        "beat_baseline": ["boolean"],
        "margin": [MARGIN],
        "confidence": [None, CONFIDENCE],
        "threshold": [THRESHOLD],
        "task": [TASK],
        "n_features": [None, N_FEATURES],
        "n_resamples": [N_RESAMPLES],
        "random_state": RANDOM_STATE,
        "severity": [SEVERITY],
    }
)
def check_performance(
    y_true: Any,
    y_pred_or_scores: Any,
    *,
    min: Mapping[str, float] | None = None,  # noqa: A002 - the documented user-facing name
    max: Mapping[str, float] | None = None,  # noqa: A002
    per_class: bool = False,
    beat_baseline: bool = False,
    margin: float = 0.0,
    confidence: float | None = None,
    threshold: float = 0.5,
    task: Task = "auto",
    labels: Any = None,
    pos_label: Any = None,
    sample_weight: Any = None,
    n_features: int | None = None,
    n_resamples: int = 2000,
    random_state: int | np.random.Generator | None = 0,
    severity: Literal["error", "warning"] = "error",
) -> CheckResult:
    """Check a model's metrics against bounds and against the majority/prior baselines.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels or values.
    y_pred_or_scores : array-like of shape (n,) or (n, n_classes)
        Predicted labels, positive-class probabilities (binary, 1-D), or
        ``predict_proba`` output (2-D); regression: predicted values.
    min, max : dict of metric name to bound, optional
        E.g. ``min={"recall": 0.6}``, ``max={"rmse": 3.0}``. A per-class bound
        names its class: ``"recall[class=1]"``. Unknown names are refused with
        the list of known ones.
    per_class : bool, default False
        Apply each precision/recall/F1 bound to every class.
    beat_baseline : bool, default False
        Fail unless the model beats every baseline by more than ``margin`` on
        balanced accuracy and MCC (classification) or RMSE (regression).
    margin : float, default 0.0
        The lead over the best baseline, in the metric's units.
    confidence : float, optional
        Hold each bound (and the baseline lead) by the lower end of the
        two-sided bootstrap interval at this level (the upper end for
        ``max``), not by the point value: the interval of
        :func:`evaluate` with the same ``confidence``, so a bound is held at one-sided
        level ``(1 - confidence) / 2``, as in ``check_improvement``.
    threshold : float, default 0.5
        Binary scores at or above it are predicted positive.
    task, labels, pos_label, sample_weight, n_features
        As in :func:`evaluate`.
    n_resamples : int, default 2000
        Bootstrap resamples (with ``confidence``).
    random_state : int or numpy Generator, default 0
        Seed of the bootstrap.
    severity : {"error", "warning"}
        Whether a failure blocks the export gate.

    Returns
    -------
    CheckResult
        One outcome per bound (subject: the metric name) and, with
        ``beat_baseline``, ``beat_baseline[balanced_accuracy]`` and
        ``beat_baseline[mcc]`` (or ``beat_baseline[rmse]``).

    Examples
    --------
    >>> from mlcheck.contracts.performance import check_performance
    >>> y_true = [0] * 97 + [1] * 3
    >>> always_zero = [0] * 100
    >>> result = check_performance(y_true, always_zero, min={"accuracy": 0.95}, beat_baseline=True)
    >>> result.passed, [o.subject for o in result.outcomes if not o.passed]
    (False, ['beat_baseline[balanced_accuracy]', 'beat_baseline[mcc]'])
    """
    check = "check_performance"
    prepared = split_predictions(
        check,
        y_true,
        y_pred_or_scores,
        task=task,
        labels=labels,
        pos_label=pos_label,
        sample_weight=sample_weight,
        threshold=float(threshold),
    )
    report = _evaluate_prepared(prepared, n_features)
    bounds = [(s, b, "min") for s, b in _subjects(check, report, min, "min", per_class)]
    bounds += [(s, b, "max") for s, b in _subjects(check, report, max, "max", per_class)]
    if not bounds and not beat_baseline:
        raise UsageError(
            f"{check}: nothing to check; give min={{...}}, max={{...}} or beat_baseline=True "
            "(use mc.evaluate to only look at the metrics)"
        )
    regression = prepared.task == "regression"
    lead_metrics = ("rmse",) if regression else ("balanced_accuracy", "mcc")
    draws: dict[str, np.ndarray] = {}
    if confidence is not None:
        if prepared.sample_weight is not None:
            raise UsageError(f"{check}: confidence intervals do not support sample_weight; drop one of them")
        subjects = list(
            dict.fromkeys([s for s, _, _ in bounds] + (list(lead_metrics) if beat_baseline else []))
        )
        # an undefined value has no interval: its bound fails as undefined whatever the resamples say
        subjects = [s for s in subjects if not _undefined(report["metrics"][s])]
        draws = _draws(prepared, report["metrics"], subjects, n_resamples, make_rng(check, random_state), n_features)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # resamples without a class divide by zero
        intervals = (
            jk.intervals(prepared, report["metrics"], draws, confidence, n_features)
            if confidence is not None
            else {}
        )
    level = f"{confidence:.0%}" if confidence is not None else ""

    def held_value(subject: str, side: str) -> float:
        if _undefined(report["metrics"][subject]):
            return math.nan
        if subject in intervals:
            return intervals[subject][0 if side == "min" else 1]
        return float(report["metrics"][subject])

    def describe(subject: str) -> str:
        point = f"{subject} = {format_value(report['metrics'][subject])}"
        if subject in intervals:
            low, high = intervals[subject]
            point += f", {level} interval [{format_value(low)}, {format_value(high)}]"
        return point

    outcomes = []
    for subject, bound, side in bounds:
        value = held_value(subject, side)
        passed = math.isfinite(value) and (value >= bound if side == "min" else value <= bound)
        word = ("lower bound" if side == "min" else "upper bound") if subject in intervals else "value"
        message = (
            f"{describe(subject)}; the {word} must be {'>=' if side == 'min' else '<='} {bound:g}"
            if math.isfinite(value)
            else f"{subject} is undefined on this data" + (f": {_reason(subject, report)}" if _reason(subject, report) else "")
        )
        outcomes.append(Outcome(subject, passed, value, bound, message))
    if beat_baseline:
        for metric in lead_metrics:
            values = {name: base[metric] for name, base in report["baselines"].items()}
            best_name = (builtins.min if regression else builtins.max)(values, key=values.__getitem__)
            needed = values[best_name] - margin if regression else values[best_name] + margin
            value = held_value(metric, "max" if regression else "min")
            passed = math.isfinite(value) and (value < needed if regression else value > needed)
            message = (
                f"{describe(metric)} vs the {best_name} baseline's {format_value(values[best_name])}"
                f" (margin {margin:g}): " + ("beats it" if passed else "does not beat it")
            )
            outcomes.append(Outcome(f"beat_baseline[{metric}]", passed, value, needed, message))
    warnings_ = []
    if not regression and abs(report["metrics"]["accuracy"] - report["majority_rate"]) <= 0.01:
        warnings_.append(
            f"accuracy {report['metrics']['accuracy']:.3f} is within one point of the majority-class rate "
            f"{report['majority_rate']:.3f}: accuracy says little here; look at balanced accuracy and recall"
        )
    failed = [o.subject for o in outcomes if not o.passed]
    message = (
        f"{len(failed)} of {len(outcomes)} performance contract(s) failed: {', '.join(failed)}"
        if failed
        else f"all {len(outcomes)} performance contract(s) held"
    ) + (f". Warning: {warnings_[0]}" if warnings_ else "")
    details = dict(report)
    details.update(
        warnings=warnings_,
        beat_baseline=bool(beat_baseline),
        margin=float(margin),
        confidence=confidence,
        intervals={s: list(v) for s, v in intervals.items()},
    )
    if confidence is not None:
        details.update(
            n_resamples=n_resamples,
            random_state=random_state if isinstance(random_state, (int, type(None))) else "generator",
        )
    if prepared.task == "binary" and prepared.y_score is not None:
        details["threshold_curve"] = threshold_curve(prepared)
    return CheckResult(
        check,
        passed=not failed,
        severity=severity,
        observed={o.subject: o.observed for o in outcomes},
        threshold={o.subject: o.threshold for o in outcomes},
        details=details,
        message=message,
        outcomes=tuple(outcomes),
    )
