"""Models with planted defects, shared by the bundle, parity and operations tests.

They live in an importable module (not in a test function) so that skops can
persist the custom transformers by name, as it would a user's own module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "income", "tenure"]
CATEGORICAL = ["city", "plan"]
CITIES = ["Oslo", "Bergen", "Trondheim", "Tromso"]
PLANS = ["basic", "plus", "pro"]


def credit_frame(n_rows: int, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A small credit-like frame (3 numeric, 2 string columns) and a binary target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n_rows).round(1),
            "income": rng.lognormal(10, 0.5, n_rows),
            "tenure": rng.integers(0, 30, n_rows),
            "city": pd.Series(rng.choice(CITIES, n_rows), dtype="str"),
            "plan": pd.Series(rng.choice(PLANS, n_rows), dtype="str"),
        }
    )
    logit = 0.05 * (frame["age"] - 40) + 0.8 * (frame["plan"] == "pro") - 0.3 * (frame["city"] == "Oslo")
    target = (logit + rng.normal(0, 1, n_rows) > 0).to_numpy().astype(int)
    return frame, target


def clean_pipeline(*, boosting: bool = False, handle_unknown: str = "ignore") -> Pipeline:
    """The pipeline the demo notebooks use: scaled numerics, one-hot categories, a classifier."""
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown=handle_unknown), CATEGORICAL),
        ]
    )
    classifier = (
        HistGradientBoostingClassifier(max_iter=20, random_state=0) if boosting else LogisticRegression()
    )
    return Pipeline([("pre", pre), ("clf", classifier)])


class BatchMeanCentering(BaseEstimator, TransformerMixin):
    """Planted defect: centres each column on the mean of the batch it is given, not of training."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        values = np.asarray(X, dtype="float64")
        return values - values.mean(axis=0)


def batch_mean_pipeline() -> Pipeline:
    pre = ColumnTransformer(
        [("num", BatchMeanCentering(), NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=5000))])  # centred, not scaled


def refit_scaler_scoring(model: Pipeline):
    """Planted defect: scoring code that re-fits the scaler on the scoring batch."""

    def score(frame: pd.DataFrame) -> np.ndarray:
        pre = model.named_steps["pre"]
        numeric = StandardScaler().fit_transform(frame[NUMERIC])  # the bug: statistics of this batch
        categorical = pre.named_transformers_["cat"].transform(frame[CATEGORICAL])
        categorical = categorical.toarray() if hasattr(categorical, "toarray") else categorical
        return model.named_steps["clf"].predict(np.hstack([numeric, categorical]))

    return score


class ExtremeIncomeCrash(BaseEstimator):
    """Planted defect: a model that raises on incomes far above anything seen in training."""

    def __init__(self, model=None, limit: float = 1e7):
        self.model = model
        self.limit = limit

    @property
    def feature_names_in_(self):
        return self.model.feature_names_in_

    def predict(self, X):
        if (np.asarray(X["income"], dtype="float64") > self.limit).any():
            raise ValueError("income out of the supported range")
        return self.model.predict(X)
