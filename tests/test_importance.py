"""mc.importance, check_importance and check_leakage (mlcheck/contracts/importance.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import mlcheck as mc
from mlcheck.contracts.importance import (
    check_importance,
    check_leakage,
    importance,
    importance_from_dict,
    importance_to_dict,
)
from mlcheck.errors import OptionError, UsageError


def _credit(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "history_months": rng.integers(1, 120, n).astype(float),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "noise": rng.normal(size=n),
        }
    )
    region_effect = X["region"].map({"north": 2.0, "south": -2.0, "east": 0.0, "west": 0.5})
    logit = 0.04 * (X["history_months"] - 60) + region_effect
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="default")
    return X, y


def _pipeline() -> object:
    encode = ColumnTransformer(
        [("num", StandardScaler(), ["history_months", "noise"]), ("cat", OneHotEncoder(), ["region"])]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=500))


def test_one_hot_columns_are_one_feature_and_ranked() -> None:
    X, y = _credit(1200, 0)
    model = _pipeline().fit(X[:600], y[:600])
    table = mc.importance(model, X[600:], y[600:], scoring="roc_auc", random_state=0)
    # one row per column the user gave, however many columns the encoder made of region
    assert sorted(table.index) == ["history_months", "noise", "region"]
    assert list(table.columns) == ["importance", "low", "high"]
    assert table.index[-1] == "noise"
    assert table.loc["region", "low"] > 0.02 and table.loc["history_months", "low"] > 0.02
    assert (table["low"] <= table["importance"]).all() and (table["importance"] <= table["high"]).all()
    assert table.attrs["n_repeats"] == 10 and table.attrs["n_rows"] == 600 and table.attrs["scoring"] == "roc_auc"
    assert list(X.columns) == ["history_months", "region", "noise"]  # input untouched


def test_arrays_get_positional_names_and_the_dict_form_round_trips() -> None:
    X, y = _credit(400, 1)
    numbers = X[["history_months", "noise"]].to_numpy()
    model = LogisticRegression().fit(numbers[:200], y[:200])
    table = importance(model, numbers[200:], y[200:], random_state=3)
    assert set(table.index) == {"x0", "x1"} and table.index[0] == "x0"
    again = importance_from_dict(importance_to_dict(table))
    pd.testing.assert_frame_equal(again, table, check_names=False)
    assert again.attrs == table.attrs


def test_the_interval_covers_the_mean_shuffle_drop_at_its_stated_rate() -> None:
    """95% t-interval from 10 shuffles vs the mean over 400 shuffles, over 200 seeds."""
    X, y = _credit(400, 2)
    numbers = X[["history_months", "noise"]].to_numpy()
    model = LogisticRegression().fit(numbers[:200], y[:200])
    held_X, held_y = numbers[200:], y[200:].to_numpy()
    truth = importance(model, held_X, held_y, n_repeats=400, random_state=12345)["importance"]
    covered = 0
    seeds = range(200)
    for seed in seeds:
        table = importance(model, held_X, held_y, n_repeats=10, random_state=seed)
        covered += bool(table.loc["x0", "low"] <= truth["x0"] <= table.loc["x0", "high"])
    # 95% nominal; the binomial 99.9% band of 200 draws at 0.95 is about [0.89, 0.99]
    assert 0.89 <= covered / len(seeds) <= 0.995


def test_bad_inputs_are_named() -> None:
    X, y = _credit(50, 3)
    model = _pipeline().fit(X, y)
    with pytest.raises(UsageError, match="2 row"):
        importance(model, X[:2], y[:3])
    with pytest.raises(OptionError, match="n_repeats"):
        importance(model, X, y, n_repeats=1)
    with pytest.raises(OptionError, match="model"):
        importance(object(), X, y)


def test_a_planted_leaky_column_is_caught_and_named() -> None:
    X, y = _credit(1200, 4)
    rng = np.random.default_rng(9)
    # recorded after the outcome: the label itself, lightly disguised
    leaky = X.assign(collections_flag=y.to_numpy() * 10 + rng.integers(0, 3, len(y)))
    model = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), ["history_months", "noise", "collections_flag"]),
                ("cat", OneHotEncoder(), ["region"]),
            ]
        ),
        LogisticRegression(max_iter=1000),
    ).fit(leaky[:600], y[:600])
    result = mc.check_leakage(importance(model, leaky[600:], y[600:], random_state=0))
    assert not result.passed
    assert result.details["feature"] == "collections_flag"
    assert "collections_flag" in result.message and "dwarfs" in result.message
    assert "noise" in result.details["unused"] and "noise" in result.message

    clean = _pipeline().fit(X[:600], y[:600])
    honest = check_leakage(importance(clean, X[600:], y[600:], random_state=0))
    assert honest.passed, honest.message
    assert honest.details["unused"] == ["noise"]


def test_check_importance_catches_a_model_leaning_on_another_feature() -> None:
    X, y = _credit(1600, 5)
    model = _pipeline().fit(X[:800], y[:800])
    reference = importance(model, X[800:1200], y[800:1200], random_state=0)
    same = importance(model, X[1200:], y[1200:], random_state=1)
    result = check_importance(reference, same, top=2)
    assert result.passed and result.observed == 1.0, result.message
    assert result.details["agreement_low"] <= result.details["agreement_high"]

    # the model now leans on noise, clearly: history and region fall below the cut, noise rises
    moved = pd.DataFrame(
        {"importance": [0.20, 0.05, 0.01], "low": [0.18, 0.04, 0.0], "high": [0.22, 0.06, 0.02]},
        index=["noise", reference.index[0], reference.index[1]],
    )
    failed = mc.check_importance(reference, moved, top=2)
    assert not failed.passed and failed.observed == 0.5
    assert failed.details["left"] == [reference.index[1]] and failed.details["entered"] == ["noise"]
    assert "noise" in failed.message and reference.index[1] in failed.message
    # within the intervals, a swap at the cut is not a clear change
    close = moved.assign(high=[0.22, 0.06, 0.05])
    assert check_importance(reference, close, top=2).passed


def test_check_importance_needs_the_same_features() -> None:
    table = pd.DataFrame({"importance": [0.2], "low": [0.1], "high": [0.3]}, index=["a"])
    other = table.rename(index={"a": "b"})
    with pytest.raises(UsageError, match="lacks the reference's features"):
        check_importance(table, other)
    with pytest.raises(UsageError, match="importance table"):
        check_leakage(pd.DataFrame({"x": [1]}))


def test_export_stores_the_importance_on_held_out_rows(tmp_path) -> None:
    import json

    X, y = _credit(800, 7)
    model = _pipeline().fit(X[:400], y[:400])
    bundle = mc.export(model, tmp_path / "credit", reference=X[:400], held_out=(X[400:], y[400:]))
    manifest = json.loads((bundle.path / "MANIFEST.json").read_text())
    assert "importance.json" in manifest["files"]
    expected = importance(model, X[400:], y[400:], random_state=0)
    pd.testing.assert_frame_equal(mc.load(bundle.path).importance, expected, check_names=False)
    # the bundle stands for its training importance in check_importance
    assert mc.check_importance(bundle, expected).passed
    # and in check_shift: the bundle's importance weighs its drift
    weighed = mc.check_shift(bundle.profile, X[400:], importance=bundle, min_importance=0.01)
    assert "importance" in weighed.details and weighed.details["min_importance"] == 0.01
    without = mc.export(model, tmp_path / "plain", reference=X[:400])
    assert without.importance is None and not (without.path / "importance.json").exists()
    with pytest.raises(UsageError, match="held_out"):
        mc.export(model, tmp_path / "bad", reference=X[:400], held_out=(X[400:],))


def test_drift_on_a_feature_the_model_ignores_is_reported_but_does_not_fail() -> None:
    X, y = _credit(1600, 8)
    model = _pipeline().fit(X[:800], y[:800])
    table = importance(model, X[800:], y[800:], random_state=0)
    assert table.loc["noise", "importance"] < 0.01 < table.loc["history_months", "importance"]
    rng = np.random.default_rng(10)
    batch = X[800:].assign(noise=rng.normal(3.0, 1.0, 800))  # only the unused column moved, far
    plain = mc.check_shift(X[:800], batch)
    assert not plain.passed and [o.subject for o in plain.outcomes if not o.passed] == ["noise"]

    weighed = mc.check_shift(X[:800], batch, importance=table, min_importance=0.01)
    assert weighed.passed, weighed.message
    assert weighed.details["ignored"] == ["noise"] and weighed.details["drifted_by_importance"] == ["noise"]
    assert "ignored by the model" in weighed.message and "noise" in weighed.message
    assert "barely relies on it" in next(o.message for o in weighed.outcomes if o.subject == "noise")

    # drift on a feature that matters still fails, ranked first
    both = batch.assign(history_months=batch["history_months"] + 40)
    result = mc.check_shift(X[:800], both, importance=table, min_importance=0.01)
    assert not result.passed
    assert result.details["drifted_by_importance"] == ["history_months", "noise"]
    assert [o.subject for o in result.outcomes if not o.passed] == ["history_months"]
    # ranked only, nothing forgiven, without min_importance
    assert not mc.check_shift(X[:800], batch, importance=table).passed
    with pytest.raises(OptionError, match="min_importance= needs importance="):
        mc.check_shift(X[:800], batch, min_importance=0.01)


def test_the_cards_draw_importance_bars_with_intervals_and_stay_small() -> None:
    from mlcheck.display.cards import render_html, result_bundle, saved_bytes

    many = pd.DataFrame(
        {
            "importance": np.linspace(0.5, 0.0, 300),
            "low": np.linspace(0.49, -0.01, 300),
            "high": np.linspace(0.51, 0.01, 300),
        },
        index=[f"feature_{i}" for i in range(300)],
    )
    leak = check_leakage(many)
    assert len(leak.details["table"]) == 300  # the record keeps every feature
    page = render_html(leak.to_dict())
    assert "feature_0" in page and "95% interval" in page and "more feature(s)" in page
    assert "feature_200" not in page.split("not measurably used")[0]
    assert saved_bytes(result_bundle(leak.to_dict())) < 20_000
    moved = check_importance(many, many.iloc[::-1].assign(importance=np.linspace(0.5, 0.0, 300)), top=3)
    page = render_html(moved.to_dict())
    assert "training" in page and "now" in page and "agreement" in page


def test_the_shift_card_shows_importance_beside_kl() -> None:
    from mlcheck.display.cards import render_html

    X, y = _credit(800, 11)
    model = _pipeline().fit(X[:400], y[:400])
    table = importance(model, X[400:], y[400:], random_state=0)
    batch = X[400:].assign(noise=np.random.default_rng(12).normal(3.0, 1.0, 400))
    result = mc.check_shift(X[:400], batch, importance=table, min_importance=0.01)
    page = render_html(result.to_dict())
    assert "<th>importance" in page and "(ignored)" in page
    plain = render_html(mc.check_shift(X[:400], batch).to_dict())
    assert "<th>importance" not in plain


def test_check_importance_rarely_fails_when_nothing_changed() -> None:
    """Seeded simulation: the same model on fresh batches from the training distribution."""
    rng = np.random.default_rng(13)
    n, weights = 300, np.array([1.5, 1.0, 0.6, 0.0, 0.0])

    def draw() -> tuple[pd.DataFrame, np.ndarray]:
        X = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"f{i}" for i in range(5)])
        return X, (rng.random(n) < 1 / (1 + np.exp(-(X.to_numpy() @ weights)))).astype(int)

    X, y = draw()
    model = LogisticRegression().fit(X, y)
    reference = importance(model, *draw(), n_repeats=5, random_state=0)
    draws = 40
    failed = sum(
        not check_importance(reference, importance(model, *draw(), n_repeats=5, random_state=seed), top=3).passed
        for seed in range(draws)
    )
    # the top 3 of the reference stay within reach of the top 3 in a fresh batch
    assert failed <= 2, f"{failed} of {draws} unchanged batches failed"


@pytest.fixture(scope="module")
def fitted() -> tuple[object, pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    return LogisticRegression().fit(X, y), X, y


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("unfitted", UsageError, r"LogisticRegression is not fitted; fit it on the training rows first"),
        ("bogus scoring", OptionError, r"scoring must be a scikit-learn scorer name .*got 'bogus'"),
        ("extra column", UsageError, r"not seen at fit \['d'\]\); pass X\[list\(model.feature_names_in_\)\]"),
        ("missing column", UsageError, r"missing \['b'\]"),
        ("other order", UsageError, r"in another order"),
        ("array too wide", UsageError, r"X has 3 column\(s\) but the model was fit on 2"),
        ("string labels", UsageError, r"none of y's labels \('no', 'yes'\) is a class the model predicts"),
        ("NaN in X", UsageError, r"missing or infinite values in X \(column\(s\) \['a'\]\).*imputer"),
        ("NaN in y", UsageError, r"y holds \d+ missing label\(s\); drop those rows"),
        ("one class", UsageError, r"roc_auc is undefined on these rows.*one class only \(0\)"),
    ],
)
def test_user_mistakes_are_named_with_their_fix(fitted, case, error, message) -> None:
    model, X, y = fitted
    calls = {
        "unfitted": lambda: importance(LogisticRegression(), X, y),
        "bogus scoring": lambda: importance(model, X, y, scoring="bogus"),
        "extra column": lambda: importance(model, X.assign(d=1.0), y),
        "missing column": lambda: importance(model, X[["a"]], y),
        "other order": lambda: importance(model, X[["b", "a"]], y),
        "array too wide": lambda: importance(model, X.assign(d=1.0).to_numpy(), y),
        "string labels": lambda: importance(model, X, y.map({0: "no", 1: "yes"})),
        "NaN in X": lambda: importance(model, X.assign(a=X["a"].where(X["a"] > -1)), y),
        "NaN in y": lambda: importance(model, X, y.astype(float).where(X["a"] > -1)),
        "one class": lambda: importance(model, X, np.zeros(len(X), int), scoring="roc_auc"),
    }
    with pytest.raises(error, match=message) as raised:
        calls[case]()
    assert raised.value.parameter in {"model", "scoring", "X", "y"}


def test_a_scorer_name_or_callable_is_taken_and_a_model_that_takes_nan_is_not_refused(fitted) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import get_scorer

    model, X, y = fitted
    assert importance(model, X, y, scoring="roc_auc", random_state=0).index[0] == "a"
    assert importance(model, X, y, scoring=get_scorer("accuracy"), random_state=0).index[0] == "a"
    holes = X.assign(b=X["b"].where(X["b"] > -1))
    tolerant = HistGradientBoostingClassifier(max_iter=20).fit(holes, y)
    assert importance(tolerant, holes, y, random_state=0).index[0] == "a"


def test_a_table_with_an_infinite_importance_is_refused_not_shown_as_nan_percent() -> None:
    table = pd.DataFrame(
        {"importance": [np.inf, 0.1], "low": [0.0, 0.0], "high": [np.inf, 0.2]}, index=["a", "b"]
    )
    with pytest.raises(UsageError, match="missing or infinite values"):
        check_leakage(table)
