"""Bundle.explain and Bundle.score(explain=k) (mlcheck/bundle/explain.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, PolynomialFeatures, StandardScaler

import mlcheck as mc
from mlcheck.bundle.explain import BASE_VALUE, NOT_EXPLAINED, explain, model_score
from mlcheck.errors import UsageError

FEATURES = ["history_months", "debt", "region"]


def _frame(seed: int, n: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "history_months": rng.integers(1, 120, n).astype(float),
            "debt": rng.gamma(2.0, 1000.0, n),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    logit = -0.03 * (X["history_months"] - 60) + 0.0004 * (X["debt"] - 2000) + (X["region"] == "north")
    return X, pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))


def _encoder(one_hot: bool, sparse: bool = False) -> ColumnTransformer:
    categorical = OneHotEncoder(handle_unknown="ignore") if one_hot else OrdinalEncoder()
    return ColumnTransformer(
        [("num", StandardScaler(), ["history_months", "debt"]), ("cat", categorical, ["region"])],
        sparse_threshold=1.0 if sparse else 0.3,  # 1.0: the one-hot output stays a sparse matrix
    )


MODELS = {
    "logistic": lambda seed: make_pipeline(_encoder(True), LogisticRegression(C=1.0 + seed % 3)),
    "logistic_sparse": lambda seed: make_pipeline(_encoder(True, sparse=True), LogisticRegression()),
    "ridge": lambda seed: make_pipeline(_encoder(True), Ridge(alpha=1.0 + seed % 5)),
    "boosting": lambda seed: make_pipeline(
        _encoder(True), GradientBoostingClassifier(n_estimators=15, max_depth=2, random_state=seed)
    ),
    "forest": lambda seed: make_pipeline(
        _encoder(False), RandomForestClassifier(n_estimators=8, max_depth=4, random_state=seed)
    ),
    "hist_regressor": lambda seed: make_pipeline(
        _encoder(False), HistGradientBoostingRegressor(max_iter=10, random_state=seed)
    ),
}


def _fit(kind: str, seed: int, X: pd.DataFrame, y: pd.Series) -> object:
    model = MODELS[kind](seed)
    target = X["debt"] / 1000 + (X["region"] == "north") if kind in ("ridge", "hist_regressor") else y
    return model.fit(X, target)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(MODELS)), seed=st.integers(0, 10_000), n=st.integers(40, 160))
def test_contributions_add_up_to_the_score(kind: str, seed: int, n: int) -> None:
    X, y = _frame(seed, n)
    model = _fit(kind, seed, X, y)
    rows = _frame(seed + 1, 30)[0]
    table = explain(model, rows, background=X)
    score, scale = model_score(model, rows)
    assert list(table.columns) == [*FEATURES, BASE_VALUE]
    assert table.index.equals(rows.index)
    assert table.attrs["method"] == ("linear" if kind in ("logistic", "logistic_sparse", "ridge") else "tree")
    assert table.attrs["scale"] == scale
    np.testing.assert_allclose(table.sum(axis=1).to_numpy(), score, rtol=0, atol=1e-6)


def test_the_scale_is_the_log_odds_for_logistic_and_boosting_and_the_probability_for_forests() -> None:
    X, y = _frame(0, 300)
    for kind, scale in (
        ("logistic", "log-odds of class 1 (decision_function)"),
        ("boosting", "log-odds of class 1 (decision_function)"),
        ("forest", "probability of class 1 (predict_proba)"),
        ("ridge", "the prediction"),
    ):
        model = _fit(kind, 0, X, y)
        assert explain(model, X[:5], background=X).attrs["scale"] == scale
        if kind == "logistic":
            proba = model.predict_proba(X[:5])[:, 1]
            np.testing.assert_allclose(model_score(model, X[:5])[0], np.log(proba / (1 - proba)), atol=1e-9)


def test_one_hot_columns_are_grouped_back_to_their_input_exactly() -> None:
    X, y = _frame(1, 400)
    model = _fit("logistic", 1, X, y)
    rows = X[:20]
    table = explain(model, rows, background=X)
    # the region contribution is the sum over its one-hot columns of coef * (z - mean z)
    encoded = model[:-1].transform(X)
    names = list(model[:-1].get_feature_names_out())
    region = [i for i, name in enumerate(names) if name.startswith("cat__region_")]
    assert len(region) == 3
    coef = model[-1].coef_[0]
    mean = encoded.mean(axis=0)
    expected = ((model[:-1].transform(rows) - mean)[:, region] * coef[region]).sum(axis=1)
    np.testing.assert_allclose(table["region"].to_numpy(), expected, atol=1e-12)
    # rows of the same region get the same region contribution; months moves with the months only
    by_region = table.groupby(rows["region"].to_numpy())["region"].nunique()
    assert (by_region == 1).all()


def test_other_models_are_explained_by_the_agnostic_path_with_exact_additivity() -> None:
    X, y = _frame(2, 200)
    knn = make_pipeline(_encoder(True), KNeighborsClassifier(5)).fit(X, y)
    poly = make_pipeline(
        ColumnTransformer([("num", PolynomialFeatures(2), ["history_months", "debt"])], remainder="drop"),
        LogisticRegression(max_iter=2000),
    ).fit(X, y)
    rows = X[:3]
    for model in (knn, poly):
        table = explain(model, rows, background=X[:60], random_state=1)
        assert table.attrs["method"] == "agnostic"
        assert "sampled Shapley values" in table.attrs["approximation"]
        assert table.attrs["scale"] == "probability of class 1 (predict_proba)"
        np.testing.assert_allclose(table.sum(axis=1), model.predict_proba(rows)[:, 1], atol=1e-6)
    # the polynomial model ignores region: its sampled contribution is exactly zero
    assert (table["region"] == 0).all()


def test_a_target_that_is_not_a_class_is_named() -> None:
    X, y = _frame(3, 100)
    with pytest.raises(UsageError, match="target='yes' is not a class of the model; its classes are \\[0, 1\\]"):
        explain(_fit("logistic", 3, X, y), X[:3], background=X, target="yes")
    table = explain(_fit("logistic", 3, X, y), X[:3], background=X, target=0)
    np.testing.assert_allclose(table.sum(axis=1), -_fit("logistic", 3, X, y).decision_function(X[:3]), atol=1e-9)


@pytest.fixture
def bundle(tmp_path):
    X, y = _frame(4, 600)
    model = _fit("boosting", 4, X, y)
    return mc.export(model, tmp_path / "credit", reference=X)


def test_bundle_explain_keeps_the_index_and_says_why_rejected_rows_have_none(bundle) -> None:
    batch = _frame(5, 4)[0].set_axis(["a", "b", "c", "d"])
    batch.loc["b", "history_months"] = None
    batch.loc["c", "debt"] = float("inf")
    before = batch.copy()
    table = bundle.explain(batch)
    pd.testing.assert_frame_equal(batch, before)
    assert table.index.tolist() == ["a", "b", "c", "d"]
    assert list(table.columns) == [*FEATURES, BASE_VALUE, NOT_EXPLAINED]
    assert table.loc[["a", "d"], NOT_EXPLAINED].isna().all()
    assert table.loc["b", NOT_EXPLAINED] == "rejected by the schema: history_months: missing value (none in the training data)"
    assert table.loc["c", NOT_EXPLAINED].startswith("rejected by the schema: debt")
    assert table.loc[["b", "c"], FEATURES].isna().all().all()
    score, _ = model_score(bundle.model, batch.loc[["a", "d"]])
    np.testing.assert_allclose(table.loc[["a", "d"], [*FEATURES, BASE_VALUE]].sum(axis=1), score, atol=1e-6)


def test_score_adds_reason_codes_as_readable_text(bundle) -> None:
    batch = _frame(6, 5)[0]
    batch.loc[2, "debt"] = float("inf")
    result = bundle.score(batch, explain=2)
    assert result.n_scored == 4
    assert list(result.predictions.columns) == ["prediction", "driver_1", "driver_2"]
    table = bundle.explain(batch)
    first = table.loc[0, FEATURES].abs().idxmax()
    value = batch.loc[0, first]
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    assert result.predictions.loc[0, "driver_1"] == f"{first} = {shown}: {table.loc[0, first]:+.2f}"
    assert any("drivers: the 2 largest contributions to the log-odds of class 1" in note for note in result.notes)
    with_fallback = bundle.score(batch, explain=1, fallback=0)
    assert with_fallback.predictions.loc[2, "driver_1"].startswith("not explained: rejected by the schema: debt")
    with pytest.raises(mc.OptionError, match="explain"):
        bundle.score(batch, explain=0)


def test_a_scorecard_shows_one_rows_drivers_and_adds_up(bundle) -> None:
    batch = _frame(7, 3)[0].set_axis(["x", "y", "z"])
    batch.loc["z", "debt"] = None
    table = bundle.explain(batch)
    card = mc.scorecard(table, batch, "y", top=2)
    assert card.score == pytest.approx(float(model_score(bundle.model, batch.loc[["y"]])[0][0]), abs=1e-6)
    text = repr(card)
    assert text.startswith("row 'y': score ") and "= probability " in text and "1 other feature(s)" in text
    first = table.loc["y", FEATURES].abs().idxmax()
    assert text.splitlines()[2].startswith(f"  {first} = ")
    page = card._repr_html_()
    assert "base value" in page and "red pushes the score up" in page
    with pytest.raises(UsageError, match="row 'z' has no explanation \\(rejected by the schema: debt"):
        mc.scorecard(table, batch, "z")
    with pytest.raises(UsageError, match="not in the explanation"):
        mc.scorecard(table, batch, "nope")


def test_grouping_by_name_is_not_fooled_by_an_input_named_like_a_transformer() -> None:
    X, y = _frame(8, 300)
    X = X.assign(cat=np.random.default_rng(8).normal(size=300))  # "cat" is also the encoder's name
    model = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), ["history_months", "debt", "cat"]), ("cat", OneHotEncoder(), ["region"])]
        ),
        LogisticRegression(),
    ).fit(X, y)
    table = explain(model, X[:10], background=X)
    assert table.attrs["method"] == "linear"
    coef = model[-1].coef_[0]
    scaled = model[:-1].transform(X[:10])[:, 2] - model[:-1].transform(X)[:, 2].mean()
    np.testing.assert_allclose(table["cat"], coef[2] * scaled, atol=1e-12)  # the numeric column alone


def test_a_model_fit_on_an_array_is_grouped_by_position(tmp_path) -> None:
    X, y = _frame(9, 300)
    numbers = X[["history_months", "debt"]]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(numbers.to_numpy(), y)
    bundle = mc.export(model, tmp_path / "arrays", reference=numbers)
    assert bundle.input_form == "array"
    table = bundle.explain(numbers[:5])
    assert table.attrs["method"] == "linear"
    np.testing.assert_allclose(
        table[["history_months", "debt", BASE_VALUE]].sum(axis=1), model.decision_function(numbers[:5].to_numpy()),
        atol=1e-9,
    )


def test_rows_the_model_raises_on_are_not_explained_and_say_why(tmp_path) -> None:
    from sklearn.base import BaseEstimator, ClassifierMixin

    X, y = _frame(10, 200)
    numbers = X[["history_months", "debt"]]
    model = LogisticRegression().fit(numbers, y)
    bundle = mc.export(model, tmp_path / "plain", reference=numbers)

    class Picky(BaseEstimator, ClassifierMixin):  # refuses rows with a huge debt, as a real model might
        def __init__(self, inner=None):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.__dict__["inner"], name)

        def predict(self, rows):
            if (np.asarray(rows)[:, 1] > 1e6).any():
                raise ValueError("debt out of the model's range")
            return self.inner.predict(rows)

    bundle.model = Picky(model)
    batch = numbers[:4].copy()
    batch.iloc[1, 1] = 5e6
    result = bundle.score(batch, explain=1, fallback=0)
    assert result.n_rejected == 1
    assert result.predictions["driver_1"].iloc[1] == "not explained: model raised ValueError: debt out of the model's range"
    assert all(text.startswith(("history_months = ", "debt = ")) for text in result.predictions["driver_1"].iloc[[0, 2, 3]])
