"""Operational contracts: coverage (and, with the bundle, latency and repeatability)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcheck.contracts import register_check
from mlcheck.contracts.result import CheckResult, Outcome
from mlcheck.errors import UsageError


def _coverage_counts(values: Any) -> tuple[int, int]:
    """(rows with a real value, all rows) of a sequence, array, series or frame."""
    if hasattr(values, "columns"):  # a frame: a row counts when all of its values are real
        mask = values.notna().all(axis=1).to_numpy()
        numeric = values.select_dtypes("number")
        if numeric.shape[1]:
            mask &= np.isfinite(numeric.to_numpy(dtype="float64")).all(axis=1)
        return int(mask.sum()), int(mask.size)
    array = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if array.ndim != 1:
        raise UsageError(f"check_coverage expects one value per row (1-D), got an array of shape {array.shape}")
    if array.dtype.kind in "fc":
        return int(np.isfinite(array).sum()), int(array.size)
    if array.dtype.kind == "O":
        import pandas as pd

        series = pd.Series(array)
        mask = ~series.isna().to_numpy()
        numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        mask &= ~np.isinf(numeric)
        return int(mask.sum()), int(array.size)
    return int(array.size), int(array.size)


@register_check("check_coverage")
def check_coverage(values: Any, *, min: float = 0.99, severity: str = "error") -> CheckResult:
    """Check that enough rows got a real prediction.

    Coverage is the fraction of values that are present and finite (not None,
    NaN or infinite). A scoring result that has ``n_rows`` and ``n_scored``
    counts uses those instead.

    Parameters
    ----------
    values : array-like, pandas Series or DataFrame, or a scoring result
        One prediction per row.
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
    if not 0.0 <= float(min) <= 1.0:
        raise UsageError(f"check_coverage: min must be a fraction in [0, 1], got {min!r}")
    if hasattr(values, "n_rows") and hasattr(values, "n_scored"):
        covered, total = int(values.n_scored), int(values.n_rows)
    else:
        covered, total = _coverage_counts(values)
    if total == 0:
        return CheckResult(
            "check_coverage",
            passed=False,
            severity=severity,  # type: ignore[arg-type]
            observed=None,
            threshold=float(min),
            details={"n_rows": 0, "n_covered": 0},
            message="no rows to score: coverage of an empty batch is undefined",
            outcomes=(Outcome("coverage", False, None, float(min), "empty batch"),),
        )
    coverage = covered / total
    passed = coverage >= float(min)
    message = (
        f"{covered} of {total} rows have a prediction ({coverage:.2%})"
        + ("" if passed else f", below the required {float(min):.2%}")
    )
    return CheckResult(
        "check_coverage",
        passed=passed,
        severity=severity,  # type: ignore[arg-type]
        observed=coverage,
        threshold=float(min),
        details={"n_rows": total, "n_covered": covered, "n_missing": total - covered},
        message=message,
        outcomes=(Outcome("coverage", passed, coverage, float(min), "" if passed else message),),
    )
