"""check_coverage (values and ScoreResult), check_latency, check_repeatable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from mlcheck.bundle import ScoreResult
from mlcheck.contracts.operations import check_coverage, check_latency, check_repeatable
from mlcheck.errors import UsageError


# -- coverage ------------------------------------------------------------------------------
def test_coverage_of_values_counts_present_finite_values() -> None:
    result = check_coverage([1.0, np.nan, np.inf, 4.0, None], min=0.3)
    assert result.observed == pytest.approx(0.4) and result.passed
    assert check_coverage(pd.Series([1, 2, 3]), min=1.0).passed
    frame = pd.DataFrame({"prediction": [1.0, np.nan], "score": [0.2, 0.4]})
    assert check_coverage(frame, min=0.6).failed


def test_coverage_of_a_score_result_uses_its_counts() -> None:
    predictions = pd.DataFrame({"prediction": [1, 0, -1, -1], "fallback": [False, False, True, True]})
    result = ScoreResult(
        predictions, pd.DataFrame({"reason": ["a", "b"]}), n_rows=4, n_scored=2, n_rejected=2
    )
    coverage = check_coverage(result, min=0.9)
    assert coverage.failed and coverage.observed == 0.5
    assert coverage.details == {"n_rows": 4, "n_covered": 2, "n_missing": 2}
    assert check_coverage(result, min=0.5).passed


def test_coverage_of_an_empty_batch_fails_and_bad_min_is_refused() -> None:
    empty = ScoreResult(pd.DataFrame(), pd.DataFrame(), n_rows=0, n_scored=0, n_rejected=0)
    assert check_coverage(empty).failed
    with pytest.raises(UsageError, match="fraction"):
        check_coverage([1.0], min=1.5)
    with pytest.raises(UsageError, match="1-D"):
        check_coverage(np.ones((2, 2)))


# -- latency ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def regression():
    X = np.random.default_rng(0).normal(size=(500, 4))
    return LinearRegression().fit(X, X @ [1.0, 2.0, 0.0, -1.0]), X


def test_latency_reports_row_and_batch_percentiles(regression) -> None:
    model, X = regression
    result = check_latency(model, X, p95_ms=60_000, batch_p95_ms=60_000, n_single=30, repeats=3)
    assert result.passed
    assert [o.subject for o in result.outcomes] == ["row_p50", "row_p95", "batch_p95"]
    row = result.details["row_ms"]
    assert 0 < row["p50"] <= row["p95"] <= row["max"] and row["n"] == 30
    assert result.details["rows_per_second"] > 0


def test_latency_fails_a_bound_no_model_can_meet(regression) -> None:
    model, X = regression
    result = check_latency(model, X, p95_ms=1e-9, n_single=10, repeats=1)  # one femtosecond per row
    assert result.failed and "too slow" in result.message
    assert next(o for o in result.outcomes if o.subject == "row_p95").passed is False


def test_latency_refuses_bad_arguments(regression) -> None:
    model, X = regression
    with pytest.raises(UsageError, match="positive"):
        check_latency(model, X, p95_ms=0)
    with pytest.raises(UsageError, match="fitted model"):
        check_latency(object(), X, p95_ms=1)
    with pytest.raises(UsageError, match="at least one row"):
        check_latency(model, X[:0], p95_ms=1)


# -- repeatability -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def classification():
    X = np.random.default_rng(1).normal(size=(300, 5))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def test_seeded_training_is_repeatable(classification) -> None:
    X, y = classification

    def train(seed: int):
        return RandomForestClassifier(n_estimators=10, random_state=seed).fit(X, y)

    result = check_repeatable(train, X, seed=3)
    assert result.passed and result.observed == 0


def test_training_that_ignores_the_seed_is_caught(classification) -> None:
    X, y = classification
    draws = np.random.SeedSequence(12345).spawn(2)  # two different streams: the seed is ignored
    calls = iter(draws)

    def train(seed: int):
        stream = np.random.default_rng(next(calls))
        return RandomForestClassifier(n_estimators=10, random_state=int(stream.integers(2**31))).fit(X, y)

    result = check_repeatable(train, X, seed=3)
    assert result.failed and result.observed > 0
    assert "not seeded" in result.message and result.details["differing_rows"]


def test_repeatable_refuses_a_train_fn_that_returns_no_model(classification) -> None:
    X, _ = classification
    with pytest.raises(UsageError, match="not a fitted model"):
        check_repeatable(lambda seed: None, X, seed=0)
    with pytest.raises(UsageError, match="train_fn"):
        check_repeatable("train", X, seed=0)  # type: ignore[arg-type]
