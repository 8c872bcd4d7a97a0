"""mlcheck.testing: the conformance suite, run over every built-in check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcheck import CheckResult
from mlcheck.contracts import BUILTIN_CHECKS, CHECKS, register_check
from mlcheck.testing import Example, check_conformance, conformance_checks, parametrize_with_checks


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=400), "level": rng.choice(["a", "b", "c"], size=400)})
    current = pd.DataFrame(
        {"x": rng.normal(0.8, size=300), "level": rng.choice(["a", "b", "c"], p=[0.6, 0.3, 0.1], size=300)}
    )
    return reference, current


def _model() -> tuple[object, pd.DataFrame]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    return LogisticRegression().fit(X, X["a"] + 0.3 * X["b"] > 0), X


def _train(seed: int) -> object:
    from sklearn.ensemble import RandomForestClassifier

    X, y = _classification()
    return RandomForestClassifier(n_estimators=3, random_state=seed).fit(X, y)


def _classification() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    return X, (X[:, 0] > 0).astype(int)


def _labels() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    good = np.where(rng.random(300) < 0.85, y, 1 - y)
    poor = np.where(rng.random(300) < 0.65, y, 1 - y)
    scores = np.clip(y * 0.6 + rng.random(300) * 0.5, 0, 1)
    return y, good, poor, scores


def _shift() -> list[Example]:
    reference, current = _frames()
    return [
        Example((reference, current), {"max_kl": 0.1}),
        Example((reference, reference.iloc[:200]), {"max_kl": 0.5, "max_psi": 0.5}),
    ]


def _performance() -> list[Example]:
    y, good, _, scores = _labels()
    return [
        Example((y, good), {"min": {"recall": 0.6}}),
        Example((y, scores), {"min": {"roc_auc": 0.99}, "beat_baseline": True}),
        Example((y.astype(float) * 2.5, good * 2.0), {"max": {"rmse": 0.1}}),
    ]


def _improvement() -> list[Example]:
    y, good, poor, _ = _labels()
    return [Example((y, good, poor), {"n_resamples": 200}), Example((y, poor, good), {"n_resamples": 200})]


def _parity() -> list[Example]:
    model, X = _model()
    return [Example((model, X), {"examples": 3, "n_single": 5})]


def _schema() -> list[Example]:
    from mlcheck.contracts.schema import infer_schema

    reference, current = _frames()
    broken = current.drop(columns=["level"])
    return [Example((current, infer_schema(reference))), Example((broken, infer_schema(reference)))]


def _coverage() -> list[Example]:
    return [
        Example((np.array([1.0, 2.0, np.nan, 4.0]),), {"min": 0.7}),
        Example(([1.0, None, None],), {"min": 0.9}),
    ]


def _latency() -> list[Example]:
    model, X = _model()
    return [Example((model, X), {"p95_ms": 60_000, "n_single": 3, "repeats": 2}, deterministic=False)]


def _repeatable() -> list[Example]:
    X, _ = _classification()
    return [Example((_train, X), {"seed": 1})]


def _importance_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    reference = pd.DataFrame(
        {"importance": [0.3, 0.1, 0.0], "low": [0.28, 0.08, -0.01], "high": [0.32, 0.12, 0.01]},
        index=pd.Index(["a", "b", "c"], name="feature"),
    )
    return reference, reference.rename(index={"a": "c", "c": "a"})


def _importance() -> list[Example]:
    reference, swapped = _importance_tables()
    return [Example((reference, reference), {"top": 2}), Example((reference, swapped), {"top": 2})]


def _leakage() -> list[Example]:
    reference, _ = _importance_tables()
    return [Example((reference,), {"max_share": 0.9}), Example((reference,), {"max_share": 0.5})]


def _realized() -> list[Example]:
    rng = np.random.default_rng(0)
    truth = (rng.random(400) < 0.3).astype(int)
    predicted = np.where(rng.random(400) < 0.85, truth, 1 - truth)
    days = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(400) % 20, unit="D")
    log = pd.DataFrame({"id": range(400), "prediction": predicted, "batch_time": days})
    labels = pd.DataFrame({"id": range(400), "label": truth})
    return [
        Example((log, labels), {"key": "id", "min": {"recall": 0.6}, "n_resamples": 200}),
        Example((log, labels), {"key": "id", "min": {"recall": 0.99}, "n_resamples": 200}),
    ]


#: valid calls of every built-in check
EXAMPLES = {
    "check_shift": _shift,
    "check_performance": _performance,
    "check_improvement": _improvement,
    "check_parity": _parity,
    "check_schema": _schema,
    "check_coverage": _coverage,
    "check_latency": _latency,
    "check_repeatable": _repeatable,
    "check_importance": _importance,
    "check_leakage": _leakage,
    "check_realized": _realized,
}


def test_every_builtin_check_has_examples() -> None:
    assert set(EXAMPLES) == set(BUILTIN_CHECKS)


@parametrize_with_checks(EXAMPLES)
def test_builtin_checks_conform(conformance) -> None:
    conformance()


# -- the suite catches what it promises to catch ------------------------------------------------
@pytest.fixture
def registered():
    """Register throw-away checks under test names; forget them afterwards."""
    names: list[str] = []

    def register(name: str, function):
        names.append(name)
        return register_check(name)(function)

    yield register
    for name in names:
        CHECKS.unregister(name)


def test_a_conforming_third_party_check_passes(registered) -> None:
    def check_positive(values, *, min: float = 1.0, severity: str = "error") -> CheckResult:
        """Share of positive values.

        Parameters
        ----------
        values : list of float
        min : float
        severity : {"error", "warning"}
        """
        share = sum(v > 0 for v in values) / len(values)
        return CheckResult("check_positive", passed=share >= min, severity=severity, observed=share)

    registered("check_positive", check_positive)
    check_conformance("check_positive", [Example(([1, 2, -1],), {"min": 0.5})])


def _breaks(name: str, promise: str, examples) -> str:
    runs = dict(conformance_checks(name, examples))
    with pytest.raises(AssertionError) as caught:
        runs[promise]()
    return str(caught.value)


def test_the_suite_catches_a_check_that_modifies_its_input(registered) -> None:
    def check_sorting(values, *, severity: str = "error") -> CheckResult:
        values.sort()
        return CheckResult("check_sorting", passed=True, severity=severity)

    registered("check_sorting", check_sorting)
    message = _breaks("check_sorting", "leaves_inputs_unchanged", Example(([3, 1, 2],)))
    assert "modified its inputs" in message


def test_the_suite_catches_a_wrong_name_a_mutable_result_and_a_bare_value_error(registered) -> None:
    def check_sloppy(values, threshold=0.5, severity: str = "error"):
        if not isinstance(threshold, float):
            raise ValueError("bad threshold")  # noqa: TRY004 - the sloppiness under test
        return {"name": "sloppy", "passed": True}

    registered("check_sloppy", check_sloppy)
    assert "not a CheckResult" in _breaks("check_sloppy", "returns_a_check_result", Example(([1],)))
    assert "after *" in _breaks("check_sloppy", "options_are_keyword_only", Example(([1],)))
    assert "no docstring" in _breaks("check_sloppy", "is_documented", Example(([1],)))
    with pytest.raises(AssertionError, match="check_sloppy"):
        check_conformance("check_sloppy", Example(([1],)))


def test_the_suite_catches_nondeterminism_and_a_result_that_contradicts_its_outcomes(registered) -> None:
    from mlcheck.results import Outcome

    calls = iter(range(100))

    def check_drifting(values, *, severity: str = "error") -> CheckResult:
        n = next(calls)
        return CheckResult(
            "check_drifting",
            passed=True,
            severity=severity,
            observed=n,
            outcomes=(Outcome("x", False),),
        )

    registered("check_drifting", check_drifting)
    assert "different results" in _breaks("check_drifting", "is_deterministic", Example(([1],)))
    assert "outcomes say False" in _breaks("check_drifting", "passed_agrees_with_outcomes", Example(([1],)))


def test_entry_point_style_check_without_declared_constraints_still_refuses_bad_severity(registered) -> None:
    def check_plain(values, *, severity="error"):
        """Plain.

        Parameters
        ----------
        values : list
        """
        return CheckResult("check_plain", passed=True, severity=severity)

    registered("check_plain", check_plain)
    runs = dict(conformance_checks("check_plain", Example(([1],))))
    runs["refuses_a_bad_severity"]()
    runs["refuses_an_unknown_keyword"]()
