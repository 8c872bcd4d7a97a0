"""Operational contracts: coverage, latency and repeatability.

``check_coverage`` reads the fraction of rows that got a real prediction (from
values, or from a ``ScoreResult``'s ``n_rows``/``n_scored``);
``check_latency`` times the model per row and per batch; ``check_repeatable``
trains twice with the same seed and compares the predictions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

from mlcheck._dask import is_dask, reduce_partitions
from mlcheck._validation import SEVERITY, HasMethods, Interval, validate_options
from mlcheck.contracts import register_check
from mlcheck.results import CheckResult, Outcome
from mlcheck.results.record import Severity
from mlcheck.errors import Reason, UsageError


def _coverage_counts(values: Any) -> tuple[int, int]:
    """(rows with a real value, all rows) of a sequence, array, series or frame (pandas or Dask)."""
    if is_dask(values):  # counted per partition on the workers; only the two counts come back
        return reduce_partitions(values, _coverage_counts, _added)
    if hasattr(values, "columns"):  # a frame: a row counts when all of its values are real
        mask = values.notna().all(axis=1).to_numpy()
        numeric = values.select_dtypes("number")
        if numeric.shape[1]:
            mask = mask & np.isfinite(numeric.to_numpy(dtype="float64")).all(
                axis=1
            )  # to_numpy may be read-only
        return int(mask.sum()), int(mask.size)
    array = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if array.ndim != 1:
        raise UsageError(
            f"check_coverage expects one value per row (1-D), got an array of shape {array.shape}"
        )
    if array.dtype.kind in "fc":
        return int(np.isfinite(array).sum()), int(array.size)
    if array.dtype.kind == "O":
        import pandas as pd

        series = pd.Series(array)
        mask = ~series.isna().to_numpy()
        numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        mask = mask & ~np.isinf(numeric)
        return int(mask.sum()), int(array.size)
    return int(array.size), int(array.size)


def _added(first: tuple[int, int], second: tuple[int, int]) -> tuple[int, int]:
    return first[0] + second[0], first[1] + second[1]


@register_check("check_coverage")
@validate_options({"min": [Interval(Real, 0, 1, description="a fraction in [0, 1]")], "severity": [SEVERITY]})
def check_coverage(values: Any, *, min: float = 0.99, severity: Severity = "error") -> CheckResult:
    """Check that enough rows got a real prediction.

    Coverage is the fraction of values that are present and finite (not None,
    NaN or infinite). A scoring result that has ``n_rows`` and ``n_scored``
    counts uses those instead.

    Parameters
    ----------
    values : array-like, pandas or Dask Series or DataFrame, or a scoring result
        One prediction per row (a Dask one is counted partition by partition).
    min : float, default 0.99
        The smallest acceptable coverage, in [0, 1].
    severity : {"error", "warning"}
        Whether a failure blocks the export gate.

    Examples
    --------
    >>> from mlcheck.contracts.operations import check_coverage
    >>> check_coverage([1.0, 2.0, float("nan"), 4.0], min=0.7).observed
    0.75
    """
    if hasattr(values, "n_rows") and hasattr(values, "n_scored"):
        covered, total = int(values.n_scored), int(values.n_rows)
    else:
        covered, total = _coverage_counts(values)
    if total == 0:
        return CheckResult(
            "check_coverage",
            passed=False,
            severity=severity,
            observed=None,
            threshold=float(min),
            details={"n_rows": 0, "n_covered": 0},
            message="no rows to score: coverage of an empty batch is undefined",
            outcomes=(Outcome("coverage", False, None, float(min), "empty batch"),),
        )
    coverage = covered / total
    passed = coverage >= float(min)
    message = f"{covered} of {total} rows have a prediction ({coverage:.2%})" + (
        "" if passed else f", below the required {float(min):.2%}"
    )
    return CheckResult(
        "check_coverage",
        passed=passed,
        severity=severity,
        observed=coverage,
        threshold=float(min),
        details={"n_rows": total, "n_covered": covered, "n_missing": total - covered},
        message=message,
        outcomes=(Outcome("coverage", passed, coverage, float(min), "" if passed else message),),
    )


def _rows(X: Any, positions: Any) -> Any:
    return X.iloc[positions] if hasattr(X, "iloc") else np.asarray(X)[positions]


_FITTED_MODEL = HasMethods("predict", description="a fitted model with .predict()")
_POSITIVE_MS = Interval(Real, 0, None, closed="neither", description="a positive number of milliseconds")


@register_check("check_latency")
@validate_options(
    {
        "model": [_FITTED_MODEL],
        "p95_ms": [_POSITIVE_MS],
        "batch_p95_ms": [None, _POSITIVE_MS],
        "n_single": [Interval(Integral, 1, None)],
        "repeats": [Interval(Integral, 1, None)],
        "seed": [Interval(Integral, 0, None)],
        "severity": [SEVERITY],
    }
)
def check_latency(
    model: Any,
    X: Any,
    *,
    p95_ms: float,
    batch_p95_ms: float | None = None,
    n_single: int = 100,
    repeats: int = 5,
    seed: int = 0,
    severity: Severity = "error",
) -> CheckResult:
    """Check how long the model takes to score one row, and a batch.

    Scores ``n_single`` rows of ``X`` (drawn with ``seed``) one at a time and
    reports the p50 and p95 latency per row; scores all of ``X`` ``repeats``
    times and reports the p95 per batch and the rows per second.

    Parameters
    ----------
    model : fitted estimator
    X : pandas.DataFrame or array
        Representative rows.
    p95_ms : float
        The largest acceptable 95th-percentile latency of one row, in milliseconds.
    batch_p95_ms : float, optional
        The largest acceptable 95th-percentile time to score all of ``X``.
    n_single, repeats, seed : int
        How many single rows to time, how often to time the batch, and the draw's seed.
    severity : {"error", "warning"}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from mlcheck.contracts.operations import check_latency
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> check_latency(LinearRegression().fit(X, X[:, 0]), X, p95_ms=10_000).passed
    True
    """
    n_rows = len(X)
    if n_rows == 0:
        raise UsageError(
            "check_latency needs at least one row in X to time", reason=Reason.INVALID_DATA, parameter="X"
        )
    rng = np.random.default_rng(seed)
    positions = rng.choice(n_rows, size=min(int(n_single), n_rows), replace=False).tolist()
    model.predict(_rows(X, positions[:1]))  # warm-up: first calls pay for lazy imports and caches
    single_ms = []
    for position in positions:
        row = _rows(X, [position])
        started = time.perf_counter()
        model.predict(row)
        single_ms.append((time.perf_counter() - started) * 1000.0)
    batch_ms = []
    for _ in range(int(repeats)):
        started = time.perf_counter()
        model.predict(X)
        batch_ms.append((time.perf_counter() - started) * 1000.0)
    row_p50, row_p95 = (float(v) for v in np.percentile(single_ms, [50, 95]))
    batch_p95 = float(np.percentile(batch_ms, 95))
    rows_per_second = n_rows / (float(np.median(batch_ms)) / 1000.0) if np.median(batch_ms) > 0 else None
    outcomes = [
        Outcome("row_p50", True, row_p50, None, "median latency of one row, ms"),
        Outcome(
            "row_p95",
            row_p95 <= float(p95_ms),
            row_p95,
            float(p95_ms),
            "" if row_p95 <= float(p95_ms) else f"one row takes {row_p95:.3g} ms at p95",
        ),
    ]
    if batch_p95_ms is not None:
        ok = batch_p95 <= float(batch_p95_ms)
        outcomes.append(
            Outcome(
                "batch_p95",
                ok,
                batch_p95,
                float(batch_p95_ms),
                "" if ok else f"a batch of {n_rows} rows takes {batch_p95:.3g} ms at p95",
            )
        )
    failed = [outcome for outcome in outcomes if not outcome.passed]
    return CheckResult(
        "check_latency",
        passed=not failed,
        severity=severity,
        observed=row_p95,
        threshold=float(p95_ms),
        details={
            "row_ms": {"p50": row_p50, "p95": row_p95, "max": float(max(single_ms)), "n": len(single_ms)},
            "batch_ms": {"p95": batch_p95, "median": float(np.median(batch_ms)), "n_rows": n_rows},
            "rows_per_second": rows_per_second,
        },
        message=(
            f"one row p50 {row_p50:.3g} ms, p95 {row_p95:.3g} ms; batch of {n_rows} rows p95 {batch_p95:.3g} ms"
            + ("" if not failed else " (too slow)")
        ),
        outcomes=tuple(outcomes),
    )


@register_check("check_repeatable")
@validate_options(
    {
        "train_fn": ["callable"],
        "seed": [Interval(Integral, 0, None)],
        "rtol": [Interval(Real, 0, None)],
        "severity": [SEVERITY],
    }
)
def check_repeatable(
    train_fn: Callable[[int], Any],
    X: Any,
    *,
    seed: int,
    rtol: float = 1e-9,
    severity: Severity = "error",
) -> CheckResult:
    """Check that training twice with the same seed gives the same predictions.

    ``train_fn(seed)`` must return a fitted model; it is called twice with
    ``seed`` and both models score ``X``. Labels must match exactly and scores
    within ``rtol``. A training routine that draws from the global random
    generator, or from an unseeded source, fails.

    Parameters
    ----------
    train_fn : callable
        ``train_fn(seed) -> fitted model``.
    X : pandas.DataFrame or array
        Rows to compare the two models on.
    seed : int
    rtol : float, default 1e-9
    severity : {"error", "warning"}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from mlcheck.contracts.operations import check_repeatable
    >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0] > 0
    >>> train = lambda seed: RandomForestClassifier(n_estimators=5, random_state=seed).fit(X, y)
    >>> check_repeatable(train, X, seed=1).passed
    True
    """
    from mlcheck.contracts.parity import compare_outputs, model_outputs

    first, second = train_fn(seed), train_fn(seed)
    for model in (first, second):
        if not hasattr(model, "predict"):
            raise UsageError(
                f"check_repeatable: train_fn returned {type(model).__name__}, not a fitted model",
                reason=Reason.INVALID_DATA,
                parameter="train_fn",
            )
    expected, observed = model_outputs(first, X), model_outputs(second, X)
    n_differ, cells = compare_outputs(expected, observed, rtol=rtol)
    n_rows = len(expected)
    passed = n_differ == 0
    message = (
        f"two trainings with seed {seed} agree on all {n_rows} rows"
        if passed
        else f"two trainings with seed {seed} disagree on {n_differ} of {n_rows} rows: "
        "some randomness is not seeded (global RNG, unseeded estimator, thread races)"
    )
    return CheckResult(
        "check_repeatable",
        passed=passed,
        severity=severity,
        observed=n_differ,
        threshold=0,
        details={"n_rows": n_rows, "seed": seed, "rtol": rtol, "differing_rows": cells},
        message=message,
        outcomes=(Outcome("predictions", passed, n_differ, 0, "" if passed else message),),
    )
