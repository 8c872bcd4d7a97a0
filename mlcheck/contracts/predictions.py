"""Labels, predictions and scores, validated once at the boundary of the metric checks.

Every performance and comparison check funnels its inputs through
:func:`prepare`, which turns lists, arrays and pandas series into a
:class:`Prepared` problem (task, class order, integer codes, scores) or raises
a :class:`~mlcheck.errors.UsageError` that says what was wrong and how to fix
it, before scikit-learn ever sees the data. The options every metric check
shares are validated here too, and :func:`threshold_curve` summarizes binary
scores as confusion counts at a hundred thresholds, for a live slider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np

from mlcheck._validation import Interval, Options
from mlcheck.errors import Reason, UsageError

Task = Literal["auto", "classification", "regression"]
ResolvedTask = Literal["binary", "multiclass", "regression"]

__all__ = [
    "Prepared",
    "prepare",
    "split_predictions",
    "class_subject",
    "MARGIN",
    "CONFIDENCE",
    "THRESHOLD",
    "N_RESAMPLES",
    "N_FEATURES",
    "TASK",
    "make_rng",
    "threshold_curve",
]

LABEL_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "mcc",
    "cohen_kappa",
    "precision",
    "recall",
    "f1",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "f1_weighted",
)
SCORE_METRICS = ("roc_auc", "average_precision", "log_loss", "brier")
REGRESSION_METRICS = ("rmse", "rmsle", "mae", "mape", "wape", "r2", "adjusted_r2")
PER_CLASS_METRICS = ("precision", "recall", "f1")
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "rmse", "rmsle", "mae", "mape", "wape"})
#: Per-class entries and the confusion matrix stay in a result up to this many classes (cards < 20 KB).
MAX_CLASSES_SHOWN = 20
SUBJECT = re.compile(r"^(?P<metric>[a-z0-9_]+)(\[class=(?P<label>.+)\])?$")

#: Probability rows may be off by float32 rounding, not more.
_ROW_SUM_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Prepared:
    """A validated problem: what the metric functions and the bootstrap consume."""

    task: ResolvedTask
    y_true: np.ndarray  # labels as given, or floats for regression
    y_pred: np.ndarray  # labels (as given or from scores), or floats for regression
    labels: np.ndarray | None = None  # class order (predict_proba column order)
    true_codes: np.ndarray | None = None  # index into labels, per row
    pred_codes: np.ndarray | None = None
    y_score: np.ndarray | None = None  # binary: positive-class score (n,); multiclass: (n, K)
    pos_index: int | None = None  # binary only: which of labels is the positive class
    threshold: float | None = None  # binary scores: positive when score >= threshold
    sample_weight: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.y_true.shape[0])

    @property
    def n_classes(self) -> int:
        return 0 if self.labels is None else int(self.labels.shape[0])

    @property
    def pos_label(self) -> Any:
        return None if self.pos_index is None or self.labels is None else _plain(self.labels[self.pos_index])


def class_subject(metric: str, label: Any) -> str:
    return f"{metric}[class={label}]"


# -- plain arrays ---------------------------------------------------------------
def _array(check: str, name: str, values: Any) -> np.ndarray:
    if values is None:
        raise UsageError(
            f"{check}: {name} is missing; pass one value per row",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    if hasattr(values, "to_numpy"):  # pandas Series / one-column frame
        if getattr(values, "ndim", 1) == 2 and values.shape[1] == 1:
            values = values.iloc[:, 0]
        array = values.to_numpy()
    else:
        array = np.asarray(values)
    if array.ndim == 0:
        raise UsageError(
            f"{check}: {name} must hold one value per row, got the scalar {array.item()!r}",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.dtype.kind == "O":
        array = _object_array(check, name, array)
    checked: np.ndarray = array
    return checked


def _object_array(check: str, name: str, array: np.ndarray) -> np.ndarray:
    """Object arrays: refuse missing values and mixtures; strings stay objects, numbers become numbers."""
    import pandas as pd

    flat = array.ravel()
    missing = pd.isna(flat)
    if missing.any():
        raise UsageError(
            f"{check}: {name} has {int(missing.sum())} missing value(s) (None/NaN) out of {flat.size}; "
            "drop or impute those rows before checking",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    kinds = {
        "str" if isinstance(v, str) else "num" if isinstance(v, (int, float, np.number)) else type(v).__name__
        for v in flat[:10_000]
    }
    if len(kinds) > 1 or not kinds <= {"str", "num"}:
        raise UsageError(
            f"{check}: {name} mixes value types {sorted(kinds)}; labels must be all strings or all numbers "
            "(convert with .astype(str) or .astype(int))",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    if kinds == {"num"}:
        return np.asarray(flat.tolist()).reshape(array.shape)
    return array


def _is_text(array: np.ndarray) -> bool:
    return array.dtype.kind in "OUS"


def _finite_numbers(check: str, name: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise UsageError(
            f"{check}: {name} must be numeric, got values of dtype {array.dtype}",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    values = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(values)
    if bad.any():
        raise UsageError(
            f"{check}: {name} has {int(bad.sum())} NaN or infinite value(s) out of {values.size}; "
            "a metric over them would be NaN; drop or fix those rows",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    return values


def _weights(check: str, sample_weight: Any, n_rows: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    weights = _finite_numbers(check, "sample_weight", _array(check, "sample_weight", sample_weight))
    if weights.shape != (n_rows,):
        raise UsageError(
            f"{check}: sample_weight has shape {weights.shape}, expected ({n_rows},) like y_true",
            reason=Reason.INVALID_DATA,
            parameter="sample_weight",
        )
    if (weights < 0).any() or weights.sum() <= 0:
        raise UsageError(
            f"{check}: sample_weight must be non-negative with a positive total",
            reason=Reason.INVALID_DATA,
            parameter="sample_weight",
        )
    return weights


def _codes(check: str, name: str, values: np.ndarray, labels: np.ndarray, hint: str) -> np.ndarray:
    """Index of each value in ``labels`` (any order); unknown values are refused."""
    if _is_text(values) != _is_text(labels):
        raise UsageError(
            f"{check}: {name} holds {'strings' if _is_text(values) else 'numbers'} but the labels "
            f"{_show(labels)} are {'strings' if _is_text(labels) else 'numbers'}; "
            "predictions must use the same label values as y_true",
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    positions = np.clip(np.searchsorted(sorted_labels, values), 0, len(labels) - 1)
    known = sorted_labels[positions] == values
    if not np.all(known):
        unknown = np.unique(values[~known])
        raise UsageError(
            f"{check}: {name} holds label(s) {_show(unknown)} that are not among the classes "
            f"{_show(labels)}; " + hint,
            reason=Reason.INVALID_DATA,
            parameter=name,
        )
    return order[positions].astype(np.intp)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _show(values: np.ndarray, limit: int = 8) -> str:
    items = [repr(_plain(v)) for v in values[:limit]]
    return "[" + ", ".join(items) + (", …]" if len(values) > limit else "]")


# -- the problem ------------------------------------------------------------------
def _resolve_task(check: str, y_true: np.ndarray, task: str, y_pred: np.ndarray | None) -> ResolvedTask:
    if task not in ("auto", "classification", "regression"):
        raise UsageError(f"{check}: task must be 'auto', 'classification' or 'regression', not {task!r}")
    if task == "regression":
        if _is_text(y_true):
            raise UsageError(f"{check}: task='regression' needs numeric y_true, got string labels")
        return "regression"
    if task == "auto" and not _is_text(y_true) and y_true.dtype.kind == "f":
        values = _finite_numbers(check, "y_true", y_true)
        if not np.all(values == np.round(values)):
            return "regression"
    if task == "auto" and not _is_text(y_true) and y_pred is not None and y_pred.ndim == 1:
        many_classes = np.unique(y_true).size > 2
        fractional = y_pred.dtype.kind == "f" and not np.all(np.isnan(y_pred) | (y_pred == np.round(y_pred)))
        if many_classes and fractional:
            return "regression"
    n_classes = np.unique(y_true).size
    return "binary" if n_classes <= 2 else "multiclass"


def prepare(
    check: str,
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    task: Task = "auto",
    labels: Any = None,
    pos_label: Any = None,
    sample_weight: Any = None,
    threshold: float = 0.5,
) -> Prepared:
    """Validate ``y_true`` with label predictions and/or scores; raise a UsageError on anything wrong."""
    truth = _array(check, "y_true", y_true)
    if truth.ndim != 1:
        raise UsageError(
            f"{check}: y_true must be 1-D (one label or value per row), got shape {truth.shape}",
            reason=Reason.INVALID_DATA,
            parameter="y_true",
        )
    if truth.size == 0:
        raise UsageError(
            f"{check}: y_true is empty; there is nothing to evaluate",
            reason=Reason.INVALID_DATA,
            parameter="y_true",
        )
    if y_pred is None and y_score is None:
        raise UsageError(f"{check}: pass y_pred (labels or values) and/or y_score (probabilities)")
    pred = None if y_pred is None else _array(check, "y_pred", y_pred)
    score = None if y_score is None else _array(check, "y_score", y_score)
    for name, values in (("y_pred", pred), ("y_score", score)):
        if values is not None and values.shape[0] != truth.shape[0]:
            raise UsageError(
                f"{check}: y_true has {truth.shape[0]} rows but {name} has {values.shape[0]}; "
                "they must describe the same rows in the same order"
            )
    if pred is not None and pred.dtype.kind == "f" and np.isnan(pred).any():
        raise UsageError(
            f"{check}: y_pred has {int(np.isnan(pred).sum())} NaN value(s) out of {pred.size}; "
            "a metric over NaN predictions is meaningless; fix the model or drop those rows"
        )
    weights = _weights(check, sample_weight, truth.shape[0])
    resolved = _resolve_task(check, truth, task, pred if pred is not None else score)
    if resolved == "regression":
        if pred is None:
            raise UsageError(f"{check}: a regression check needs predicted values (y_pred), not scores")
        if pred.ndim != 1:
            raise UsageError(f"{check}: regression predictions must be 1-D, got shape {pred.shape}")
        return Prepared(
            task="regression",
            y_true=_finite_numbers(check, "y_true", truth),
            y_pred=_finite_numbers(check, "y_pred", pred),
            sample_weight=weights,
        )
    return _classification(check, truth, pred, score, labels, pos_label, weights, threshold)


def _classification(
    check: str,
    truth: np.ndarray,
    pred: np.ndarray | None,
    score: np.ndarray | None,
    labels: Any,
    pos_label: Any,
    weights: np.ndarray | None,
    threshold: float,
) -> Prepared:
    if not _is_text(truth):
        _finite_numbers(check, "y_true", truth)
    present = np.unique(truth)
    if labels is None:
        classes = present if present.size >= 2 else _single_class_window(check, present, pred, score)
    else:
        classes = _array(check, "labels", labels)
        if np.unique(classes).size != classes.size:
            raise UsageError(f"{check}: labels has duplicates: {_show(classes)}")
        if classes.size < 2:
            raise UsageError(f"{check}: labels must list at least two classes, got {_show(classes)}")
    true_codes = _codes(check, "y_true", truth, classes, "pass labels=[...] listing every class")
    k = classes.size
    pos_index = None
    y_score = None
    if k == 2:
        pos_index = 1
        if pos_label is not None:
            matches = np.flatnonzero(classes == pos_label)
            if matches.size != 1:
                raise UsageError(
                    f"{check}: pos_label={pos_label!r} is not one of the classes {_show(classes)}"
                )
            pos_index = int(matches[0])
        elif _is_text(classes) and score is not None and score.ndim == 1:
            raise UsageError(
                f"{check}: y_true has string labels {_show(classes)}; say which class the 1-D scores are "
                f"the probability of, e.g. pos_label={_plain(classes[1])!r}"
            )
    if score is not None:
        y_score = _scores(check, score, k, pos_index)
    if pred is not None:
        if pred.ndim != 1:
            raise UsageError(
                f"{check}: y_pred must be 1-D labels, got shape {pred.shape}; pass scores as y_score"
            )
        pred_codes = _codes(
            check,
            "y_pred",
            pred,
            classes,
            "pass labels=[...] if the model knows classes absent from y_true "
            "(or task='regression' if these are numeric predictions)",
        )
    elif k == 2:
        assert y_score is not None and pos_index is not None  # y_pred or y_score is given (prepare checks)
        pred_codes = np.where(y_score >= threshold, pos_index, 1 - pos_index).astype(np.intp)
    else:
        assert y_score is not None
        pred_codes = np.argmax(y_score, axis=1).astype(np.intp)
    return Prepared(
        task="binary" if k == 2 else "multiclass",
        y_true=truth,
        y_pred=classes[pred_codes],
        labels=classes,
        true_codes=true_codes,
        pred_codes=pred_codes,
        y_score=y_score,
        pos_index=pos_index,
        threshold=float(threshold) if (k == 2 and y_score is not None) else None,
        sample_weight=weights,
    )


def _single_class_window(
    check: str, present: np.ndarray, pred: np.ndarray | None, score: np.ndarray | None
) -> np.ndarray:
    """The classes when y_true holds one class only (a quiet monitoring window).

    The predictions may name the other class; a 0/1 (or boolean) target with
    binary scores is binary. Metrics that need the absent class are then
    reported as undefined instead of raising; anything else needs ``labels=``.
    """
    if pred is not None and pred.ndim == 1 and _is_text(pred) == _is_text(present):
        union = np.unique(np.concatenate([present, pred]))
        if union.size >= 2:
            return union
    value = _plain(present[0]) if present.size else None
    binary_scores = score is None or score.ndim == 1 or (score.ndim == 2 and score.shape[1] == 2)
    if binary_scores and (isinstance(value, (bool, np.bool_)) or value in (0, 1)) and not _is_text(present):
        return np.array([False, True]) if present.dtype == bool else np.array([0, 1], dtype=present.dtype)
    raise UsageError(
        f"{check}: y_true holds a single class ({_show(present)}) and nothing says which other classes "
        "exist; pass labels=[...] with every class (labels=model.classes_): metrics that need an absent "
        "class are then reported as undefined"
    )


def _scores(check: str, score: np.ndarray, n_classes: int, pos_index: int | None) -> np.ndarray:
    values = _finite_numbers(check, "y_score", score)
    if values.ndim == 2 and values.shape[1] != n_classes:
        raise UsageError(
            f"{check}: y_score has {values.shape[1]} columns but y_true holds {n_classes} classes; "
            f"when a class is absent from y_true, pass labels= with every class the model knows, in its "
            f"predict_proba column order (labels=model.classes_)"
        )
    if values.ndim == 1 and n_classes != 2:
        raise UsageError(
            f"{check}: 1-D scores need a binary problem, but y_true has {n_classes} classes; "
            "pass the 2-D predict_proba array"
        )
    if values.ndim > 2:
        raise UsageError(f"{check}: y_score must be 1-D or 2-D, got shape {values.shape}")
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise UsageError(
            f"{check}: scores must be probabilities in [0, 1], but they range over [{low:.4g}, {high:.4g}]; "
            "pass predict_proba output, or map decision-function margins through a sigmoid first"
        )
    if values.ndim == 2:
        sums = values.sum(axis=1)
        worst = float(np.abs(sums - 1.0).max())
        if worst > _ROW_SUM_TOLERANCE:
            raise UsageError(
                f"{check}: each row of 2-D probabilities must sum to 1, but one is off by {worst:.3g}; "
                "pass predict_proba output, not raw scores"
            )
        if n_classes == 2:
            assert pos_index is not None
            return values[:, pos_index]
    return values


def split_predictions(
    check: str,
    y_true: Any,
    y_pred_or_scores: Any,
    *,
    task: Task = "auto",
    labels: Any = None,
    pos_label: Any = None,
    sample_weight: Any = None,
    threshold: float = 0.5,
) -> Prepared:
    """Tell labels from scores in one argument, then :func:`prepare`.

    2-D input is ``predict_proba`` output; 1-D input is labels when every value
    is a class of ``y_true`` (or of ``labels``), and positive-class scores
    otherwise (binary problems only).
    """
    truth = _array(check, "y_true", y_true)
    given = _array(check, "predictions", y_pred_or_scores)
    options: dict[str, Any] = dict(
        task=task, labels=labels, pos_label=pos_label, sample_weight=sample_weight, threshold=threshold
    )
    if given.ndim == 2:
        return prepare(check, truth, y_score=given, **options)
    if given.shape[0] != truth.shape[0]:
        raise UsageError(
            f"{check}: y_true has {truth.shape[0]} rows but the predictions have {given.shape[0]}; "
            "they must describe the same rows in the same order"
        )
    if _is_text(truth) and not _is_text(given) and given.dtype.kind != "b":
        if pos_label is not None:
            return prepare(check, truth, y_score=given, **options)
        raise UsageError(
            f"{check}: y_true has string labels but the predictions are numbers; pass predicted labels "
            "(model.predict), 2-D probabilities (model.predict_proba), or 1-D probabilities of one class "
            f"with pos_label=, e.g. pos_label={_plain(np.unique(truth)[-1])!r}"
        )
    if (
        _resolve_task(check, truth, task, given) == "regression"
        or _is_text(given)
        or given.dtype.kind in "biu"
    ):
        return prepare(check, truth, y_pred=given, **options)
    if given.dtype.kind == "f" and np.isnan(given).any():
        raise UsageError(
            f"{check}: the predictions have {int(np.isnan(given).sum())} NaN value(s) out of {given.size}; "
            "fix the model or drop those rows"
        )
    classes = np.unique(truth) if labels is None else _array(check, "labels", labels)
    if np.isin(given, classes).all():
        return prepare(check, truth, y_pred=given, **options)
    return prepare(check, truth, y_score=given, **options)


def threshold_curve(prepared: Prepared, *, n_points: int = 100) -> dict[str, list[float]]:
    """Confusion counts at up to ``n_points + 1`` thresholds (score quantiles plus the one in use).

    A row is predicted positive when its score is at or above the threshold,
    so a slider can recompute every label metric without the raw scores.
    """
    assert prepared.y_score is not None and prepared.true_codes is not None
    assert prepared.threshold is not None  # binary scores always carry the threshold in use
    scores = prepared.y_score
    positive = prepared.true_codes == prepared.pos_index
    quantiles = np.quantile(scores, np.linspace(0.0, 1.0, n_points))
    thresholds = np.unique(np.round(np.append(quantiles, prepared.threshold), 6))
    counts = {}
    for name, rows in (("pos", positive), ("neg", ~positive)):
        if prepared.sample_weight is None:  # a plain sort is several times faster than argsort + gather
            sorted_scores = np.sort(scores[rows])
            below = np.searchsorted(sorted_scores, thresholds, side="left").astype(np.float64)
            counts[name] = (sorted_scores.size - below, below)  # (at or above, below)
            continue
        order = np.argsort(scores[rows], kind="stable")
        sorted_scores = scores[rows][order]
        cumulative = np.concatenate([[0.0], np.cumsum(prepared.sample_weight[rows][order])])
        below = cumulative[np.searchsorted(sorted_scores, thresholds, side="left")]
        counts[name] = (cumulative[-1] - below, below)
    return {
        "thresholds": thresholds.tolist(),
        "tp": counts["pos"][0].tolist(),
        "fn": counts["pos"][1].tolist(),
        "fp": counts["neg"][0].tolist(),
        "tn": counts["neg"][1].tolist(),
    }


# -- options shared by the metric checks ----------------------------------------------------
#: the options every metric check shares, declared for :func:`mlcheck._validation.validate_options`
MARGIN = Interval(Real, 0, None, description="a finite number >= 0 (in the metric's units)")
CONFIDENCE = Interval(Real, 0, 1, closed="neither", description="a probability such as 0.95")
THRESHOLD = Interval(Real, 0, 1, description="a number in [0, 1]")
N_RESAMPLES = Interval(Integral, 100, None, description="an integer >= 100")
N_FEATURES = Interval(Integral, 0, None, description="a non-negative integer")
TASK = Options("auto", "classification", "regression")


def make_rng(check: str, random_state: Any) -> np.random.Generator:
    """The bootstrap's generator from a seed or a Generator (never numpy's global one)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, (int, np.integer))
        and not isinstance(random_state, bool)
        and random_state >= 0
    ):
        return np.random.default_rng(random_state)
    raise UsageError(
        f"{check}: random_state must be a non-negative int or a numpy Generator, got {random_state!r}"
    )
