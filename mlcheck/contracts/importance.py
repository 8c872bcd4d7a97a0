"""What the model relies on: permutation importance and the contracts built on it.

``importance`` measures, on held-out rows, how much the model's score drops
when one input column is shuffled (scikit-learn's ``permutation_importance``).
The column shuffled is the column the user gave, so a one-hot encoded or
otherwise expanded column inside a pipeline is measured as one feature: its
expanded columns move together.

Two checks read such a table:

- ``check_importance`` compares the features a model relies on in a labelled
  batch with those it relied on at training (agreement of the top features,
  with an interval from the repeats), so a model that now leans on another
  feature is caught;
- ``check_leakage`` fails when one feature's importance dwarfs the rest (an
  id, a column recorded after the outcome) and names it; features the model
  does not measurably use are reported without failing.

The interval
------------
``low`` and ``high`` are a two-sided 95% Student-t interval for the mean
importance over the ``n_repeats`` shuffles (mean +- t(0.975, n-1) * sd /
sqrt(n)). It covers the randomness of the shuffles on *these* held-out rows,
not the sampling of the rows themselves: a new held-out set moves the means by
more than the interval shows when it is small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from mlcheck._validation import SEVERITY, Constraint, HasMethods, Interval, validate_options
from mlcheck.contracts import register_check
from mlcheck.errors import Reason, UsageError
from mlcheck.results import CheckResult, Outcome
from mlcheck.results.record import Severity

__all__ = [
    "COLUMNS",
    "CONFIDENCE",
    "check_importance",
    "check_leakage",
    "importance",
    "importance_from_dict",
    "importance_to_dict",
    "weigh_shift",
]

#: The columns of an importance table, in order.
COLUMNS = ("importance", "low", "high")
#: The coverage of the ``low``/``high`` interval.
CONFIDENCE = 0.95
_FITTED_MODEL = HasMethods("predict", description="a fitted model with .predict()")


class _ScorerName(Constraint):
    """A scikit-learn scorer name (``sklearn.metrics.get_scorer_names()``), read when a value is checked."""

    reason = Reason.NOT_AN_OPTION

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        from sklearn.metrics import get_scorer_names

        return value in get_scorer_names()

    def failure_reason(self, value: Any) -> Reason | None:
        return Reason.NOT_AN_OPTION if isinstance(value, str) else None

    def __str__(self) -> str:
        return (
            "a scikit-learn scorer name (one of sklearn.metrics.get_scorer_names(): 'accuracy', "
            "'balanced_accuracy', 'roc_auc', 'neg_log_loss', 'r2', 'neg_mean_absolute_error', ...)"
        )

    def invalid_examples(self) -> list[Any]:
        return ["__not_a_scorer__"]


def _refuse(message: str, parameter: str) -> UsageError:
    return UsageError(f"importance: {message}", reason=Reason.INVALID_DATA, parameter=parameter)


def _check_fitted(model: Any) -> None:
    """Refuse an estimator that was never fit (scikit-learn's own test of fitted attributes)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise _refuse(
            f"the {type(model).__name__} is not fitted; fit it on the training rows first "
            "(model.fit(X_train, y_train)), then measure importance on held-out rows",
            "model",
        ) from None
    except TypeError:  # not a scikit-learn estimator: it has .predict, the call itself will tell
        return


def _check_columns(model: Any, X: Any) -> None:
    """The columns the model was fit on, in that order (scikit-learn's ``feature_names_in_``)."""
    fitted_names = getattr(model, "feature_names_in_", None)
    if fitted_names is not None and hasattr(X, "columns"):
        expected = [str(name) for name in fitted_names]
        given = [str(name) for name in X.columns]
        if given == expected:
            return
        missing = [name for name in expected if name not in given]
        extra = [name for name in given if name not in expected]
        problem = "; ".join(
            part
            for part in (
                f"missing {missing}" if missing else "",
                f"not seen at fit {extra}" if extra else "",
                "in another order" if not missing and not extra else "",
            )
            if part
        )
        raise _refuse(
            f"X's columns differ from those the model was fit on ({problem}); pass "
            "X[list(model.feature_names_in_)], the fit's columns in the fit's order",
            "X",
        )
    width = getattr(model, "n_features_in_", None)
    shape = np.shape(X)
    if isinstance(width, Integral) and len(shape) == 2 and shape[1] != width:
        raise _refuse(
            f"X has {shape[1]} column(s) but the model was fit on {int(width)}; pass the columns it was fit on",
            "X",
        )


def _check_labels(model: Any, y: Any) -> None:
    """Labels present, and of the kind the model predicts (a classifier's ``classes_``)."""
    values = pd.Series(np.asarray(y, dtype=object).ravel())
    missing = int(values.isna().sum())
    if missing:
        raise _refuse(
            f"y holds {missing} missing label(s); drop those rows from X and y (a row without its "
            "label cannot be scored)",
            "y",
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        return
    known = set(np.asarray(classes).tolist())
    given = set(values.tolist())
    if given and not given & known:
        shown = sorted(map(repr, given))[:5]
        raise _refuse(
            f"none of y's labels ({', '.join(shown)}) is a class the model predicts "
            f"({', '.join(sorted(map(repr, known))[:5])}); give y in the labels the model was fit on "
            "(for example y.map({'no': 0, 'yes': 1}))",
            "y",
        )


def _scoring_failed(error: ValueError, X: Any) -> UsageError:
    """A user's mistake the model or scorer refused while scoring, said plainly."""
    text = str(error)
    first = text.splitlines()[0] if text else type(error).__name__
    if "NaN" in text or "infinity" in text:
        frame = pd.DataFrame(X)
        numeric = frame.select_dtypes("number")
        bad = [str(c) for c in numeric.columns if not np.isfinite(numeric[c].to_numpy(dtype=float)).all()]
        bad += [str(c) for c in frame.columns if c not in numeric.columns and frame[c].isna().any()]
        named = f" (column(s) {bad[:10]})" if bad else ""
        return _refuse(
            f"the model cannot take missing or infinite values in X{named}: {first} Fill them as at "
            "training (an imputer inside the pipeline) or drop those rows",
            "X",
        )
    return _refuse(
        f"the model could not score these rows ({type(error).__name__}: {first}); pass held-out rows "
        "in the form and columns the model was fit on, with labels of the kind it predicts",
        "X",
    )


def _scoring_name(scoring: Any) -> str:
    if scoring is None:
        return "the model's score method (accuracy for classifiers, R^2 for regressors)"
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", type(scoring).__name__)


@validate_options(
    {
        "model": [_FITTED_MODEL],
        "scoring": [None, _ScorerName(), "callable"],
        "n_repeats": [Interval(Integral, 2, None, description="an integer >= 2 (the interval needs two)")],
        "random_state": [None, Interval(Integral, 0, None)],
    },
    name="importance",
)
def importance(
    model: Any,
    X: Any,
    y: Any,
    *,
    scoring: Any = None,
    n_repeats: int = 10,
    random_state: int | None = None,
) -> pd.DataFrame:
    """Permutation importance of each input column, on held-out rows.

    Each column of ``X`` is shuffled ``n_repeats`` times and the drop of the
    model's score is recorded (scikit-learn's
    :func:`sklearn.inspection.permutation_importance`; Breiman 2001, Fisher,
    Rudin and Dominici 2019). Columns are shuffled as the user gave them, so a
    column a pipeline one-hot encodes (or expands otherwise) is one feature here.

    Parameters
    ----------
    model : fitted estimator
        Anything with ``predict`` (a scikit-learn pipeline included).
    X : pandas.DataFrame or array of shape (n_rows, n_features)
        Held-out rows the model was not fit on (importance on training rows
        rewards overfitting).
    y : array-like of shape (n_rows,)
        Their true labels or values.
    scoring : str or callable, optional
        A scikit-learn scorer name (``"roc_auc"``, ``"neg_log_loss"``) or
        callable; default the model's ``score`` method.
    n_repeats : int, default 10
        Shuffles per column (at least 2, for the interval).
    random_state : int, optional
        Seed of the shuffles; give one for repeatable results.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature (the column names of ``X``; ``x0``, ``x1``... for an
        array), sorted by decreasing importance, with columns ``importance``
        (mean drop of the score over the repeats, in the scorer's units),
        ``low`` and ``high`` (the 95% t-interval of that mean, see the module
        docstring). ``.attrs`` records ``scoring``, ``n_repeats``, ``n_rows``
        and ``interval``.

    Raises
    ------
    OptionError
        ``model`` has no ``predict``, or ``scoring`` (not a scikit-learn
        scorer name nor a callable), ``n_repeats`` or ``random_state`` is invalid.
    UsageError
        ``X`` and ``y`` differ in length or are empty; the model is not fitted;
        ``X``'s columns are not those the model was fit on (names and order, or
        their number); ``y`` has missing labels or none of the model's classes;
        the model cannot score ``X`` (missing values it does not take); the
        score is undefined on these rows (``roc_auc`` on one class).

    Examples
    --------
    >>> import numpy as np, pandas as pd, mlcheck as mc
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    >>> y = (X["signal"] > 0).astype(int)
    >>> model = LogisticRegression().fit(X[:200], y[:200])
    >>> table = mc.importance(model, X[200:], y[200:], random_state=0)
    >>> table.index.tolist(), list(table.columns)
    (['signal', 'noise'], ['importance', 'low', 'high'])
    >>> bool(table.loc["signal", "low"] > 0.3)
    True
    """
    import warnings

    from scipy import stats
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.inspection import permutation_importance

    n_rows = len(X)
    if n_rows == 0 or len(y) != n_rows:
        raise UsageError(
            f"importance needs held-out rows with one label each: got {n_rows} row(s) and {len(y)} label(s)",
            reason=Reason.INVALID_DATA,
        )
    names = (
        [str(column) for column in X.columns]
        if hasattr(X, "columns")
        else [f"x{i}" for i in range(np.shape(X)[1])]
    )
    _check_fitted(model)
    _check_columns(model, X)
    _check_labels(model, y)
    with warnings.catch_warnings():
        # an undefined score (roc_auc on one class) is refused below, once, not warned per shuffle
        warnings.filterwarnings("ignore", category=UndefinedMetricWarning)
        try:
            found = permutation_importance(
                model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=random_state
            )
        except ValueError as error:
            raise _scoring_failed(error, X) from None
    drops = np.asarray(found.importances, dtype="float64")  # (n_features, n_repeats)
    mean = drops.mean(axis=1)
    if not np.isfinite(mean).any():
        classes = pd.unique(np.asarray(y, dtype=object).ravel())
        hint = f"; y holds one class only ({classes[0]!r})" if len(classes) == 1 else ""
        raise _refuse(
            f"{_scoring_name(scoring)} is undefined on these rows, every shuffle scored NaN{hint}. "
            "Pass held-out rows holding every class, or another scoring",
            "y",
        )
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n_repeats - 1) * drops.std(axis=1, ddof=1) / math.sqrt(n_repeats)
    table = pd.DataFrame({"importance": mean, "low": mean - half, "high": mean + half}, index=names)
    table.index.name = "feature"
    table = table.sort_values("importance", ascending=False, kind="stable")
    table.attrs.update(
        scoring=_scoring_name(scoring),
        n_repeats=int(n_repeats),
        n_rows=int(n_rows),
        interval=f"{CONFIDENCE:.0%} t-interval of the mean over the repeats (shuffle noise only)",
    )
    return table


def importance_to_dict(table: pd.DataFrame) -> dict[str, Any]:
    """An importance table as JSON-ready data (``importance.json`` in a bundle)."""
    return {
        "version": 1,
        "features": [
            {"feature": str(name), **{column: float(table.loc[name, column]) for column in COLUMNS}}
            for name in table.index
        ],
        **{key: table.attrs[key] for key in ("scoring", "n_repeats", "n_rows", "interval") if key in table.attrs},
    }


def importance_from_dict(data: Mapping[str, Any]) -> pd.DataFrame:
    """The table :func:`importance_to_dict` wrote; a malformed one raises ``ValueError``."""
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError("expected an object with a list of 'features'")
    table = pd.DataFrame(
        {column: [float(entry[column]) for entry in features] for column in COLUMNS},
        index=pd.Index([str(entry["feature"]) for entry in features], name="feature"),
    )
    table.attrs.update({key: data[key] for key in ("scoring", "n_repeats", "n_rows", "interval") if key in data})
    return table


def _as_table(value: Any, where: str) -> pd.DataFrame:
    """An importance table from a table, a bundle that stores one, or the dict form."""
    # a bundle carries its table as .importance (a DataFrame's .importance is a column)
    table = value if isinstance(value, pd.DataFrame) else getattr(value, "importance", value)
    if isinstance(table, Mapping):
        table = importance_from_dict(table)
    if not isinstance(table, pd.DataFrame) or not set(COLUMNS) <= set(table.columns):
        raise UsageError(
            f"{where} must be an importance table from mc.importance(model, X_held_out, y_held_out) "
            f"(columns {list(COLUMNS)}) or a bundle exported with held-out labels; got {type(value).__name__}",
            reason=Reason.INVALID_DATA,
        )
    values = table[list(COLUMNS)].to_numpy(dtype="float64", na_value=np.nan)
    if len(table) == 0 or not np.isfinite(values).all():  # inf made shares NaN ("nan%" of the importance)
        raise UsageError(
            f"{where} is empty or holds missing or infinite values; pass the table mc.importance returns",
            reason=Reason.INVALID_DATA,
        )
    return table.sort_values("importance", ascending=False, kind="stable")


@register_check("check_importance")
@validate_options(
    {
        "top": [Interval(Integral, 1, None)],
        "min_agreement": [Interval(Real, 0, 1, description="a fraction in [0, 1]")],
        "severity": [SEVERITY],
    }
)
def check_importance(
    reference: Any,
    current: Any,
    *,
    top: int = 5,
    min_agreement: float = 0.6,
    severity: Severity = "error",
) -> CheckResult:
    """Check that the features the model relies on still match training.

    Agreement is the share of the reference's ``top`` most important features
    that are still among the current ``top``. Its interval uses the
    importances' own intervals: the low end counts only features still in the
    current top; the high end also counts a feature whose current interval
    reaches the interval of the current ``top``-th feature (it is not clearly
    below the cut). The check fails only when the high end is below
    ``min_agreement``: the model clearly leans on other features now.

    Parameters
    ----------
    reference : pandas.DataFrame or Bundle
        The training-time importance (``mc.importance`` on held-out rows, or
        a bundle exported with held-out labels: ``bundle.importance``).
    current : pandas.DataFrame
        ``mc.importance(bundle.model, X_batch, y_batch)`` on a labelled batch.
    top : int, default 5
        How many of the most important features to compare (fewer when the
        reference has fewer).
    min_agreement : float, default 0.6
        The smallest acceptable share of the reference's top features still on top.
    severity : {"error", "warning"}

    Returns
    -------
    CheckResult
        ``observed`` is the agreement, ``details`` holds its interval
        (``agreement_low``, ``agreement_high``), the features that left the top
        (``left``) and came in (``entered``), and Kendall's tau of the
        reference's top features' importances in both tables.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.importance import check_importance
    >>> ref = pd.DataFrame({"importance": [0.3, 0.1, 0.0], "low": [0.28, 0.08, -0.01],
    ...                     "high": [0.32, 0.12, 0.01]}, index=["a", "b", "c"])
    >>> now = ref.rename(index={"a": "c", "c": "a"})
    >>> check_importance(ref, now, top=2).passed
    False
    """
    ref = _as_table(reference, "reference")
    cur = _as_table(current, "current")
    absent = [name for name in ref.index if name not in cur.index]
    if absent:
        raise UsageError(
            f"the current importance lacks the reference's features {absent[:10]}: compute it on a batch "
            "with the same columns as training",
            reason=Reason.INVALID_DATA,
        )
    k = min(int(top), len(ref), len(cur))
    reference_top = list(ref.index[:k])
    current_top = list(cur.index[:k])
    cut_low = float(cur["low"].iloc[k - 1])
    kept = [name for name in reference_top if name in current_top]
    plausible = [name for name in reference_top if name in current_top or float(cur.loc[name, "high"]) >= cut_low]
    low, high = len(kept) / k, len(plausible) / k
    left = [name for name in reference_top if name not in plausible]
    entered = [name for name in current_top if name not in reference_top]
    from scipy import stats

    tau = (
        float(stats.kendalltau(ref.loc[reference_top, "importance"], cur.loc[reference_top, "importance"])[0])
        if k >= 2
        else None
    )
    passed = high >= float(min_agreement)
    message = (
        f"{len(kept)} of the training's top {k} features are still on top (agreement {low:.0%}, "
        f"interval {low:.0%} to {high:.0%})"
        + ("" if not left else f"; clearly dropped: {', '.join(left)}")
        + ("" if not entered else f"; now on top: {', '.join(entered)}")
        + ("" if passed else f"; below the required {float(min_agreement):.0%}")
    )
    outcomes = tuple(
        Outcome(name, name in plausible, float(cur.loc[name, "importance"]), float(ref.loc[name, "importance"]),
                "" if name in plausible else f"{name} left the top {k}")
        for name in reference_top
    )
    if not passed and all(outcome.passed for outcome in outcomes):  # the agreement itself fails
        outcomes = (*outcomes, Outcome("agreement", False, high, float(min_agreement), message))
    elif passed and not all(outcome.passed for outcome in outcomes):
        # a feature left the top but the agreement still holds: report it without failing
        outcomes = tuple(Outcome(o.subject, True, o.observed, o.threshold, o.message) for o in outcomes)
    return CheckResult(
        "check_importance",
        passed=passed,
        severity=severity,
        observed=low,
        threshold=float(min_agreement),
        details={
            "top": k,
            "agreement_low": low,
            "agreement_high": high,
            "reference_top": reference_top,
            "current_top": current_top,
            "left": left,
            "entered": entered,
            "kendall_tau": tau,
            # the features either table ranks on top, for the card's bars
            "table": [
                {
                    "feature": str(name),
                    "reference": float(ref.loc[name, "importance"]),
                    "current": float(cur.loc[name, "importance"]),
                    "current_low": float(cur.loc[name, "low"]),
                    "current_high": float(cur.loc[name, "high"]),
                }
                for name in dict.fromkeys([*reference_top, *current_top])
            ],
            "interval": ref.attrs.get("interval", f"{CONFIDENCE:.0%} t-interval of the mean over the repeats"),
        },
        message=message,
        outcomes=outcomes,
    )


@register_check("check_leakage")
@validate_options(
    {
        "max_share": [Interval(Real, 0, 1, closed="neither", description="a fraction in (0, 1)")],
        "severity": [SEVERITY],
    }
)
def check_leakage(table: Any, *, max_share: float = 0.8, severity: Severity = "error") -> CheckResult:
    """Check that no single feature dwarfs the rest (a leak), and report unused features.

    A feature's share is its importance over the sum of the positive
    importances. The top feature's share is taken at the low end of its
    interval (``low / (low + the others' positive importance)``), so the check
    fails only when the feature clearly carries more than ``max_share`` of
    what the model relies on: typically an id, or a column recorded after the
    outcome. Features whose interval reaches down to zero (``low <= 0``) are
    reported as unused (the model does not measurably rely on them); they do not fail.

    Parameters
    ----------
    table : pandas.DataFrame or Bundle
        An importance table from :func:`importance` on held-out rows.
    max_share : float, default 0.8
        The largest acceptable share of one feature, in (0, 1).
    severity : {"error", "warning"}

    Returns
    -------
    CheckResult
        ``observed`` is the top feature's share (at its interval's low end);
        ``details`` names the top feature and lists the unused ones.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.importance import check_leakage
    >>> table = pd.DataFrame({"importance": [0.45, 0.01, 0.0], "low": [0.44, 0.0, -0.01],
    ...                       "high": [0.46, 0.02, 0.01]}, index=["customer_id", "income", "age"])
    >>> result = check_leakage(table)
    >>> result.passed, result.details["feature"], result.details["unused"]
    (False, 'customer_id', ['income', 'age'])
    """
    ordered = _as_table(table, "table")
    positive = ordered["importance"].clip(lower=0.0)
    name = str(ordered.index[0])
    top_low = max(float(ordered["low"].iloc[0]), 0.0)
    rest = float(positive.iloc[1:].sum())
    share = top_low / (top_low + rest) if top_low + rest > 0 else 0.0
    point = float(positive.iloc[0] / positive.sum()) if positive.sum() > 0 else 0.0
    unused = [str(feature) for feature in ordered.index[ordered["low"].to_numpy() <= 0.0]]
    passed = len(ordered) < 2 or share <= float(max_share)
    message = (
        f"{name} carries {point:.0%} of the model's importance (at least {share:.0%})"
        + (
            ""
            if passed
            else f", more than {float(max_share):.0%}: it dwarfs the rest. Check that {name} is known "
            "before the outcome and is not an id or a copy of the label"
        )
        + (f"; not measurably used: {', '.join(unused[:10])}" + (" ..." if len(unused) > 10 else "") if unused else "")
    )
    outcomes = (
        Outcome(
            name,
            passed,
            share,
            float(max_share),
            "" if passed else f"carries at least {share:.0%} of the importance: it dwarfs the rest",
        ),
    )
    return CheckResult(
        "check_leakage",
        passed=passed,
        severity=severity,
        observed=share,
        threshold=float(max_share),
        details={
            "feature": name,
            "share": point,
            "share_low": share,
            "unused": unused,
            "n_features": len(ordered),
            "table": [
                {"feature": str(feature), **{column: float(ordered.loc[feature, column]) for column in COLUMNS}}
                for feature in ordered.index
            ],
        },
        message=message,
        outcomes=outcomes,
    )


def weigh_shift(result: CheckResult, importance: Any, min_importance: float | None) -> CheckResult:
    """``check_shift``'s result with its drifted features ranked by importance (``check_shift(importance=)``).

    A drifted feature whose importance (the mean over the repeats) is below
    ``min_importance`` is reported in ``details["ignored"]`` and its outcome
    passes: the model does not rely on it, so its drift pages no one. A
    feature the importance table does not list counts as important (it
    fails as before). Without ``min_importance`` the ranking is added and
    nothing else changes.
    """
    import dataclasses

    table = _as_table(importance, "importance")
    weights = {str(name): float(value) for name, value in table["importance"].items()}
    floor = None if min_importance is None else float(min_importance)

    def matters(feature: str) -> bool:
        return floor is None or feature not in weights or weights[feature] >= floor

    ignored = [o.subject for o in result.outcomes if not o.passed and not matters(o.subject)]
    outcomes = tuple(
        dataclasses.replace(
            outcome,
            passed=True,
            message=f"drifted, but the model barely relies on it (importance {weights[outcome.subject]:.3g} "
            f"< min_importance {floor:.3g}); {outcome.message}",
        )
        if outcome.subject in ignored and floor is not None
        else outcome
        for outcome in result.outcomes
    )
    failing = [o.subject for o in outcomes if not o.passed]
    # drifted features, the ones the model relies on most first
    drifted = sorted(
        (o.subject for o in result.outcomes if not o.passed),
        key=lambda name: -weights.get(name, math.inf),
    )
    message = result.message
    if ignored:
        message = (
            (f"{len(failing)} drifted feature(s) the model relies on: {', '.join(failing[:8])}" if failing
             else "no feature the model relies on drifted")
            + f"; drifted but ignored by the model (importance < {floor:.3g}): {', '.join(ignored[:8])}"
        )
    elif drifted:
        message += f"; by importance: {', '.join(f'{name} ({weights[name]:.3g})' if name in weights else name for name in drifted[:8])}"
    details = {
        **result.details,
        "importance": {name: weights.get(name) for name in result.details.get("features", weights)},
        "min_importance": floor,
        "drifted_by_importance": drifted,
        "ignored": ignored,
    }
    passed = bool(result.details.get("n_features", len(outcomes))) and not failing
    return dataclasses.replace(result, passed=passed, outcomes=outcomes, message=message, details=details)
