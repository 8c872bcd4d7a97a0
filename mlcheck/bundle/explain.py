"""Why each prediction: signed contributions of every input column, adding up to the score.

:func:`explain` returns, for each row, one contribution per input column
(the column the user gave: a one-hot encoded column is one contribution)
and a ``base_value``, such that ``base_value + sum(contributions)`` is the
model's score for the row. Which score, and how the contributions are found,
depends on the model:

=====================  ==========================================  =====================================
model                  score explained (``attrs["scale"]``)        method (``attrs["method"]``)
=====================  ==========================================  =====================================
linear (``coef_``)     ``decision_function``: the log-odds of the  exact: each coefficient times the
                       class for a logistic model, the prediction  transformed value's distance from its
                       for a regressor                             mean over the background rows, summed
                                                                   over the columns an input became
tree ensemble          the log-odds for gradient boosting, the     exact: shap's ``TreeExplainer``
                       class probability for forests and single    (path-dependent TreeSHAP, Lundberg
                       trees, the prediction for regressors        et al. 2020), grouped the same way
anything else          the class probability (``predict_proba``)   approximate: shap's
                       or the prediction                           ``PermutationExplainer`` (sampled
                                                                   Shapley values, interventional, the
                                                                   background rows as the baseline);
                                                                   additivity still exact
=====================  ==========================================  =====================================

For a linear model the contribution of input ``j`` is
``sum over c in out(j) of coef_c * (z_c - mean_background(z_c))``: the exact
SHAP value of a linear model under independent features (Lundberg and Lee
2017, linear SHAP), and ``base_value = intercept + coef . mean(z)``. The
columns an input became (``out(j)``) are read from the preprocessing's
``get_feature_names_out``: an output named after the input (``num__age``) or
after the input and a level (``cat__region_north``) belongs to that input. A
pipeline whose outputs mix inputs (polynomial features, PCA) is explained by
the model-agnostic path instead.

shap is an optional extra: ``pip install 'mlcheck[explain]'``; linear models
need only scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlcheck.errors import Reason, UsageError

__all__ = [
    "BASE_VALUE",
    "NOT_EXPLAINED",
    "drivers",
    "explain",
    "explain_conformed",
    "explain_frame",
    "model_score",
    "with_drivers",
]

BASE_VALUE = "base_value"
#: Column of :meth:`Bundle.explain`: why a row has no explanation (None when it has one).
NOT_EXPLAINED = "not_explained"
#: Background rows the permutation explainer averages over (shap's own default is 100).
AGNOSTIC_BACKGROUND = 100
#: Antithetic permutations per row: 2 * n_features + 1 model calls on the background each.
AGNOSTIC_PERMUTATIONS = 10


def _split(model: Any) -> tuple[Any, Any]:
    """(preprocessing or None, final estimator) of a pipeline; (None, model) otherwise."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1:
        return model[:-1], steps[-1][1]
    if isinstance(steps, list) and steps:
        return None, steps[-1][1]
    return None, model


def _class_index(final: Any, target: Any) -> tuple[int | None, str]:
    """The column of the class explained, and how to name it; (None, "") for a regressor."""
    classes = getattr(final, "classes_", None)
    if classes is None:
        return None, ""
    labels = list(np.asarray(classes).tolist())
    if target is None:
        index = len(labels) - 1  # the positive class of a binary model: its log-odds and probability
    elif target in labels:
        index = labels.index(target)
    else:
        raise UsageError(
            f"target={target!r} is not a class of the model; its classes are {labels}",
            reason=Reason.INVALID_DATA,
            parameter="target",
        )
    return index, repr(labels[index])


def _scorer(final: Any, method: str, target: Any) -> tuple[Any, str]:
    """``score(Z) -> (n,)`` on the final estimator's input, and the scale's description."""
    index, label = _class_index(final, target)
    if index is None:
        return (lambda Z: np.asarray(final.predict(Z), dtype="float64").ravel()), "the prediction"
    n_classes = len(final.classes_)
    use_decision = hasattr(final, "decision_function") and method in ("linear", "tree")
    if use_decision:

        def decision(Z: Any) -> np.ndarray:
            values = np.asarray(final.decision_function(Z), dtype="float64")
            if values.ndim == 1:  # binary: the log-odds of classes_[1]
                return values if index == 1 else -values
            return values[:, index]

        what = "log-odds" if n_classes == 2 else "decision function (logit)"
        return decision, f"{what} of class {label} (decision_function)"

    def probability(Z: Any) -> np.ndarray:
        return np.asarray(final.predict_proba(Z), dtype="float64")[:, index]

    return probability, f"probability of class {label} (predict_proba)"


def model_score(model: Any, X: Any, *, target: Any = None) -> tuple[np.ndarray, str]:
    """The score :func:`explain` explains for ``model`` on ``X``, and its scale, shape (n_rows,)."""
    pre, final = _split(model)
    method = _method(final)
    score, scale = _scorer(final, method, target)
    Z = pre.transform(X) if pre is not None else X
    return score(Z), scale


def _method(final: Any) -> str:
    if hasattr(final, "coef_") and hasattr(final, "intercept_") and hasattr(final, "decision_function") or (
        hasattr(final, "coef_") and hasattr(final, "intercept_") and not hasattr(final, "classes_")
    ):
        return "linear"
    module = type(final).__module__
    if module.startswith(("sklearn.ensemble", "sklearn.tree", "xgboost", "lightgbm", "catboost")) and not any(
        name in type(final).__name__ for name in ("Voting", "Stacking", "Bagging", "AdaBoost")
    ):
        return "tree"
    return "agnostic"


def _groups(pre: Any, inputs: Sequence[str], n_out: int) -> np.ndarray | None:
    """Input index of each transformed column, or None when an output does not belong to one input."""
    if pre is None:
        return np.arange(len(inputs)) if n_out == len(inputs) else None
    try:
        names = [str(name) for name in pre.get_feature_names_out()]
    except Exception:  # noqa: BLE001 - a transformer that cannot name its outputs: no grouping
        return None
    if len(names) != n_out:
        return None
    position = {name: i for i, name in enumerate(inputs)}
    by_length = sorted(inputs, key=len, reverse=True)
    owners = np.empty(n_out, dtype=np.int64)
    for c, name in enumerate(names):
        # ColumnTransformer prefixes "transformer__": an exact name first, then the name without the
        # prefix, then a level after the input's name (the prefix stripped first, so an input named
        # like a transformer, "cat", never claims "cat__region_north")
        texts = (name.split("__", 1)[1], name) if "__" in name else (name,)
        owner = next((position[text] for text in (name, *texts) if text in position), None)
        if owner is None:
            match = next((f for text in texts for f in by_length if text.startswith(f + "_")), None)
            owner = None if match is None else position[match]
        if owner is None:
            return None
        owners[c] = owner
    return owners


def _dense(Z: Any) -> np.ndarray:
    return np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z, dtype="float64")


def _grouped(values: Any, owners: np.ndarray, n_inputs: int) -> np.ndarray:
    """Sum the columns of ``values`` (n, n_out) into their inputs: (n, n_inputs)."""
    from scipy import sparse

    indicator = sparse.csr_matrix(
        (np.ones(len(owners)), (np.arange(len(owners)), owners)), shape=(len(owners), n_inputs)
    )
    grouped = values @ indicator
    return np.asarray(grouped.toarray() if hasattr(grouped, "toarray") else grouped, dtype="float64")


def _linear(final: Any, Z: Any, background: Any, owners: np.ndarray, n_inputs: int, target: Any) -> tuple[np.ndarray, np.ndarray]:
    index, _ = _class_index(final, target)
    coef = np.asarray(final.coef_, dtype="float64")
    intercept = np.atleast_1d(np.asarray(final.intercept_, dtype="float64"))
    if coef.ndim == 2 and coef.shape[0] == 1:  # binary: one row of coefficients for classes_[1]
        sign = 1.0 if index in (None, 1) else -1.0
        weights, bias = sign * coef[0], sign * intercept[0]
    elif coef.ndim == 2:
        weights, bias = coef[index if index is not None else 0], intercept[index if index is not None else 0]
    else:
        weights, bias = coef, intercept[0]
    mean = np.asarray(_dense(background).mean(axis=0)).ravel()
    from scipy import sparse

    if sparse.issparse(Z):  # sparse (a one-hot encoder's output): stays sparse
        weighted = Z.multiply(weights).tocsr()
        contributions = _grouped(weighted, owners, n_inputs) - _grouped((mean * weights)[None, :], owners, n_inputs)
    else:
        contributions = _grouped((np.asarray(Z, dtype="float64") - mean) * weights, owners, n_inputs)
    base = np.full(Z.shape[0], bias + float(mean @ weights))
    return contributions, base


def _tree(final: Any, Z: Any, owners: np.ndarray, n_inputs: int, target: Any) -> tuple[np.ndarray, np.ndarray]:
    explainer = _tree_explainer(final)
    found = explainer.shap_values(_dense(Z), check_additivity=False)
    # one array per class in older shap releases, one (n, n_out, n_classes) array since 0.45
    values = np.stack(found, axis=-1) if isinstance(found, list) else np.asarray(found)
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype="float64"))
    index, _ = _class_index(final, target)
    if values.ndim == 3:  # (n, n_out, n_classes)
        values, expected_value = values[:, :, index or 0], expected[index or 0]
    else:
        expected_value = expected[0]
        if index == 0 and len(final.classes_) == 2:  # shap explains classes_[1]'s log-odds
            values, expected_value = -values, -expected_value
    return _grouped(values, owners, n_inputs), np.full(values.shape[0], float(expected_value))


def _tree_explainer(final: Any) -> Any:
    shap = _shap()
    # no data: the trees' own cover is the background (path-dependent TreeSHAP), exact and fast
    return shap.TreeExplainer(final, feature_perturbation="tree_path_dependent")


def _shap() -> Any:
    try:
        import shap
    except ImportError:
        raise UsageError(
            "explaining a tree ensemble or a non-linear model needs the shap library: "
            "pip install 'mlcheck[explain]'",
            reason=Reason.USAGE,
        ) from None
    return shap


class _Codes:
    """Every input column as float codes (shap's maskers take numbers), and back."""

    def __init__(self, template: pd.DataFrame, frames: Sequence[pd.DataFrame]) -> None:
        self.template = template.iloc[:0]
        self.levels: dict[str, np.ndarray] = {}
        for name in template.columns:
            if template[name].dtype.kind not in "iuf":
                joined = pd.concat([frame[name] for frame in frames], ignore_index=True)
                self.levels[name] = pd.unique(joined.astype(object).to_numpy())

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        columns = []
        for name in frame.columns:
            if name in self.levels:
                codes = pd.Index(self.levels[name]).get_indexer(frame[name].astype(object).to_numpy())
                columns.append(codes.astype("float64"))
            else:
                columns.append(frame[name].to_numpy(dtype="float64", na_value=np.nan))
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))

    def decode(self, array: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, name in enumerate(self.template.columns):
            dtype = self.template[name].dtype
            if name in self.levels:
                data[name] = pd.Series(self.levels[name][array[:, j].astype(np.int64)]).astype(dtype)
            else:
                data[name] = pd.Series(array[:, j]).astype(dtype) if dtype.kind in "iu" else array[:, j]
        return pd.DataFrame(data)


def _agnostic(
    model: Any, X: pd.DataFrame, background: pd.DataFrame, form: str, target: Any, random_state: int
) -> tuple[np.ndarray, np.ndarray, str, str]:
    shap = _shap()
    _, final = _split(model)
    score, scale = _scorer(model if hasattr(model, "classes_") else final, "agnostic", target)
    sample = background.sample(n=min(AGNOSTIC_BACKGROUND, len(background)), random_state=random_state)
    codes = _Codes(X, [X, sample])

    def f(array: np.ndarray) -> np.ndarray:
        frame = codes.decode(array)
        return np.asarray(score(frame if form == "frame" else frame.to_numpy()), dtype="float64")

    masker = shap.maskers.Independent(codes.encode(sample), max_samples=len(sample))
    explainer = shap.explainers.Permutation(f, masker, seed=random_state)
    max_evals = AGNOSTIC_PERMUTATIONS * (2 * X.shape[1] + 1)
    found = explainer(codes.encode(X), max_evals=max_evals, silent=True)
    approximation = (
        f"sampled Shapley values (shap's PermutationExplainer, {AGNOSTIC_PERMUTATIONS} antithetic "
        f"permutations per row, {len(sample)} "
        "background rows as the baseline, features treated as independent); each contribution has "
        "sampling error, their sum is exact"
    )
    return np.asarray(found.values, dtype="float64"), np.asarray(found.base_values, dtype="float64").ravel(), scale, approximation


def explain_conformed(
    model: Any,
    X: pd.DataFrame,
    *,
    background: pd.DataFrame,
    form: str = "frame",
    target: Any = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """Contributions of each column of ``X`` (already in the model's columns and dtypes); see :func:`explain`."""
    inputs = [str(name) for name in X.columns]
    pre, final = _split(model)
    method = _method(final)
    approximation = "exact"
    owners = None
    if method in ("linear", "tree"):
        fed, fed_background = (X, background) if form == "frame" else (X.to_numpy(), background.to_numpy())
        Z = pre.transform(fed) if pre is not None else fed
        # a model fit on an array names its inputs x0, x1, ... (or as its feature_names_in_)
        named = inputs if form == "frame" else [str(n) for n in getattr(model, "feature_names_in_", [])] or [
            f"x{i}" for i in range(len(inputs))
        ]
        owners = _groups(pre, named, Z.shape[1])
    if owners is None:
        method = "agnostic"
    if method == "linear" and owners is not None:
        Zb = pre.transform(fed_background) if pre is not None else fed_background
        values, base = _linear(final, Z, Zb, owners, len(inputs), target)
        _, scale = _scorer(final, "linear", target)
    elif method == "tree" and owners is not None:
        values, base = _tree(final, Z, owners, len(inputs), target)
        _, scale = _scorer(final, "tree", target)
    else:
        values, base, scale, approximation = _agnostic(model, X, background, form, target, random_state)
    table = pd.DataFrame(values, index=X.index, columns=inputs)
    table[BASE_VALUE] = base
    table.attrs.update(scale=scale, method=method, approximation=approximation)
    return table


def explain(
    model: Any,
    X: pd.DataFrame,
    *,
    background: pd.DataFrame,
    form: str = "frame",
    target: Any = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """Signed contribution of each input column to the model's score, per row.

    Parameters
    ----------
    model : fitted estimator or pipeline
    X : pandas.DataFrame of shape (n_rows, n_features)
        Rows in the columns and dtypes the model was fit on.
    background : pandas.DataFrame
        Rows that stand for the training data (a bundle's golden rows): the
        mean a linear contribution is measured from, the baseline of the
        model-agnostic explainer. Tree ensembles use their own cover instead.
    form : {"frame", "array"}
        Whether the model is fed a frame or an array (``bundle.input_form``).
    target : class label, optional
        The class whose score is explained (default the last of
        ``classes_``: the positive class of a binary model).
    random_state : int, default 0
        Seed of the model-agnostic explainer's permutations and background sample.

    Returns
    -------
    pandas.DataFrame
        Same index as ``X``; one column per input column (its contribution,
        in the units of the score) and ``base_value``; ``base_value +
        sum(contributions) == model_score(model, X)`` (exact up to rounding).
        ``attrs`` holds ``scale`` (which score), ``method`` (``"linear"``,
        ``"tree"`` or ``"agnostic"``) and ``approximation``.

    Raises
    ------
    UsageError
        shap is needed and not installed, or ``target`` is not a class.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlcheck.bundle.explain import explain, model_score
    >>> X = pd.DataFrame({"months": [1.0, 5.0, 20.0, 40.0], "debt": [9.0, 3.0, 2.0, 1.0]})
    >>> model = LogisticRegression().fit(X, [1, 1, 0, 0])
    >>> table = explain(model, X, background=X)
    >>> list(table.columns), table.attrs["method"]
    (['months', 'debt', 'base_value'], 'linear')
    >>> score, scale = model_score(model, X)
    >>> bool(abs(table.sum(axis=1) - score).max() < 1e-9), scale
    (True, 'log-odds of class 1 (decision_function)')
    """
    return explain_conformed(model, X, background=background, form=form, target=target, random_state=random_state)


def _number(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _signed(value: float) -> str:
    return f"{value:+.2f}" if 0.005 <= abs(value) < 1e4 else f"{value:+.2g}"


def drivers(table: pd.DataFrame, X: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` largest contributions per row as text, ``"months = 10: +0.14"``, in ``driver_1..k``.

    Ranked by absolute contribution; a row with fewer than ``k`` features
    gets empty strings after its last one.
    """
    names = [name for name in table.columns if name not in (BASE_VALUE, NOT_EXPLAINED)]
    values = table[names].to_numpy(dtype="float64")
    k = min(k, len(names))
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    inputs = X.reindex(columns=names)  # a batch missing a column has every row rejected: none is read
    out: dict[str, list[str]] = {f"driver_{i + 1}": [] for i in range(k)}
    for row in range(len(table)):
        for rank in range(k):
            column = order[row, rank]
            name = names[column]
            out[f"driver_{rank + 1}"].append(
                f"{name} = {_number(inputs.iat[row, column])}: {_signed(values[row, column])}"
            )
    return pd.DataFrame(out, index=table.index)


def explain_frame(
    model: Any,
    schema: Any,
    frame: pd.DataFrame,
    *,
    background: pd.DataFrame,
    form: str,
    target: Any = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """:func:`explain` behind the bundle's schema: rejected rows get NaN and their reason in ``not_explained``."""
    from mlcheck.contracts.conform import conform

    if not isinstance(frame, pd.DataFrame):
        raise UsageError(
            f"Bundle.explain expects a pandas DataFrame, got {type(frame).__name__}"
            + ("; call .compute() on a Dask frame first, or explain it partition by partition"
               if type(frame).__module__.startswith("dask") else ""),
            reason=Reason.INVALID_TYPE,
        )
    # a missing column rejects every row, as Bundle.score does: the rows get their reason, no crash
    conformed = conform(frame, schema, keep=tuple(schema.keys), warn=False, missing="reject")
    reference = conform(background, schema, warn=False)
    reference_rows = reference.features.iloc[np.flatnonzero(~reference.bad)]
    good = np.flatnonzero(~conformed.bad)
    rows = conformed.features if len(good) == len(frame) else conformed.features.iloc[good]
    # with no row to explain, one background row still tells the scale and the method
    table = explain_conformed(
        model, rows if len(good) else reference_rows.iloc[:1], background=reference_rows, form=form,
        target=target, random_state=random_state,
    )
    values = np.full((len(frame), table.shape[1]), np.nan)
    if len(good):
        values[good] = table.to_numpy(dtype="float64")
    out = pd.DataFrame(values, index=frame.index, columns=table.columns)
    why = np.full(len(frame), None, dtype=object)
    if conformed.parts:
        text = conformed.reason_text()
        why[text.index.to_numpy(dtype=np.int64)] = [f"rejected by the schema: {reason}" for reason in text]
    out[NOT_EXPLAINED] = pd.Series(why, index=out.index, dtype=object)  # None stays None, not NaN
    out.attrs.update(table.attrs)
    return out


def with_drivers(result: Any, frame: pd.DataFrame, k: int, explain_rows: Any) -> Any:
    """``result`` (a ScoreResult) with ``driver_1..k`` on its predictions; see :meth:`Bundle.score`.

    Only the rows the model scored are explained (``explain_rows`` is
    :meth:`Bundle.explain`), so a row the schema or the model rejected costs
    nothing and, when a fallback shows it, says why in ``driver_1``.
    """
    from dataclasses import replace

    rejects = result.rejects
    rejected = np.unique(rejects["row"].to_numpy(dtype=np.int64)) if len(rejects) else np.array([], dtype=np.int64)
    scored = np.setdiff1d(np.arange(len(frame)), rejected)
    explanation = explain_rows(frame.iloc[scored])
    has_fallback = "fallback" in result.predictions.columns
    positions = np.arange(len(frame)) if has_fallback else scored  # the predictions' rows, in input order
    explained = np.isin(positions, scored)
    texts = drivers(explanation, frame.iloc[scored], k)
    columns = {name: np.full(len(positions), "", dtype=object) for name in texts.columns}
    for name in columns:
        columns[name][explained] = texts[name].to_numpy()
    if columns and not explained.all():
        by_row = rejects.drop_duplicates("row").set_index("row")
        first = next(iter(columns))
        for i in np.flatnonzero(~explained):
            reason = str(by_row.loc[int(positions[i]), "reason"])
            code = str(by_row.loc[int(positions[i]), "reason_code"])
            where = "" if "model_error" in code else "rejected by the schema: "
            columns[first][i] = f"not explained: {where}{reason}"
    predictions = result.predictions.assign(**columns)
    features = [c for c in explanation.columns if c not in (BASE_VALUE, NOT_EXPLAINED)]
    note = (
        f"drivers: the {min(k, len(features))} largest contributions to the {explanation.attrs['scale']}; "
        f"{explanation.attrs['method']} explanation, {explanation.attrs['approximation']}"
    )
    return replace(result, predictions=predictions, notes=(*result.notes, note))
