"""Your own feature code, in a module the scoring process can import: the custom-transformer story.

A model that contains your own code (a transformer class, a function given to
``FunctionTransformer``) can only be loaded by a process that can import that
code. A class defined in a notebook cell lives in the notebook's ``__main__``
and a lambda has no importable name: the scoring notebook, a scheduler or a
colleague's machine cannot rebuild them, so ``mc.export`` refuses such a model
before writing anything and names each type. The fix is this file:

1. Put the code in a module next to your notebooks (this file, renamed to
   your liking) or in a package you install.
2. Import it in the training notebook (``from features import DebtRatio``)
   and build the pipeline from it; ``mc.export`` then accepts the model.
3. Load the bundle naming the types you trust:
   ``mc.load(model_dir, trusted=["features.DebtRatio", "features.log_income"])``
   (the error of a plain ``mc.load`` prints this exact list). The scoring
   process must be able to import ``features``: run it from this folder, or
   install the package.

The transformer below works on column names, so the pipeline is fit on a
frame and scored on a frame: the bundle records that (``bundle.input_form``
is ``"frame"``) and feeds every batch with its column names.

Examples
--------
>>> import pandas as pd
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import make_pipeline
>>> X = pd.DataFrame({"debt": [1.0, 4.0, 2.0, 8.0], "income": [10.0, 10.0, 5.0, 5.0]})
>>> model = make_pipeline(DebtRatio(), LogisticRegression()).fit(X, [0, 1, 0, 1])
>>> DebtRatio().fit(X).transform(X)["debt_ratio"].tolist()
[0.1, 0.4, 0.4, 1.6]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["DebtRatio", "log_income"]


class DebtRatio(TransformerMixin, BaseEstimator):
    """Adds ``debt_ratio = debt / income`` (missing where income is zero) to a frame.

    Parameters
    ----------
    debt, income : str
        The names of the two columns.
    """

    def __init__(self, debt: str = "debt", income: str = "income") -> None:
        self.debt = debt
        self.income = income

    def fit(self, X: pd.DataFrame, y: Any = None) -> DebtRatio:
        # like most hand-written transformers it records no feature_names_in_, so the pipeline
        # has none either: the bundle still feeds it a frame, the form it was fit on
        if not isinstance(X, pd.DataFrame):
            raise TypeError("DebtRatio works on column names: fit it on a pandas DataFrame")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        income = X[self.income].astype("float64")
        ratio = X[self.debt].astype("float64") / income.where(income != 0)
        return X.assign(debt_ratio=ratio.fillna(0.0))


def log_income(X: pd.DataFrame) -> pd.DataFrame:
    """``log1p`` of the income column, for ``FunctionTransformer(log_income)`` (never a lambda)."""
    return X.assign(income=np.log1p(X["income"].clip(lower=0)))
