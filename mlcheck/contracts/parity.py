"""Parity contracts: training and scoring give the same answers.

``check_parity`` holds a model to four promises, one outcome each:

- ``round_trip``: the in-memory model and its skops round trip (or the
  exported bundle's model) agree on the given rows;
- ``single_row``: scoring rows one at a time gives what scoring the batch
  gives; preprocessing that reads statistics of the scoring batch breaks it;
- ``generated_rows``: frames drawn with hypothesis from the schema (edge
  values, missing values, unseen categories, extreme magnitudes, garbage) never
  crash the scoring path and agree between the batch, single rows and the
  round trip;
- ``scoring_function`` (when given): the production scoring code reproduces
  the model's predictions.

:func:`golden_parity` compares a scoring job's output with the training-time
predictions stored in a bundle's ``golden.parquet``. Labels must match
exactly, scores within ``rtol``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from mlcheck._validation import SEVERITY, HasMethods, Interval, validate_options
from mlcheck.contracts import register_check
from mlcheck.errors import Reason, UsageError
from mlcheck.results import CheckResult, Outcome
from mlcheck.results.record import Severity

_COUNT = Interval(Integral, 0, None, description="an integer >= 0")
_RTOL = Interval(Real, 0, None, description="a relative tolerance >= 0")

__all__ = ["check_parity", "compare_outputs", "golden_parity", "model_input", "model_outputs"]

PREDICTION = "prediction"
SCORE_PREFIX = "score_"
_SHOWN_ROWS = 10


def model_input(model: Any, features: pd.DataFrame) -> Any:
    """``features`` in the form the model was fit on (:func:`mlcheck.contracts.conform.input_form`)."""
    from mlcheck.contracts.conform import as_input, input_form

    return as_input(features, input_form(model))


def model_outputs(model: Any, X: Any, *, scores: bool = True) -> pd.DataFrame:
    """The model's predictions (and class scores) as a frame with ``X``'s index.

    Columns: ``prediction`` (``prediction_<j>`` for a multi-output model) and,
    for a classifier with ``predict_proba``, ``score_<class>`` per class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlcheck.contracts.parity import model_outputs
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> list(model_outputs(model, X).columns)
    ['prediction', 'score_0', 'score_1']
    """
    index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else None
    final, features = _final_step(model, X, scores=scores)
    predicted = np.asarray(final.predict(features))
    data: dict[str, Any] = {}
    if predicted.ndim == 2:
        for j in range(predicted.shape[1]):
            data[f"{PREDICTION}_{j}"] = predicted[:, j]
    else:
        data[PREDICTION] = predicted
    if scores and hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        try:
            proba = np.asarray(final.predict_proba(features))
        except (AttributeError, NotImplementedError):  # e.g. an SVC fitted without probability
            proba = None
        classes = np.asarray(model.classes_)
        if proba is not None and proba.ndim == 2 and classes.ndim == 1 and proba.shape[1] == len(classes):
            for j, label in enumerate(classes.tolist()):
                data[f"{SCORE_PREFIX}{label}"] = proba[:, j]
    return pd.DataFrame(data, index=index)


def _final_step(model: Any, X: Any, *, scores: bool) -> tuple[Any, Any]:
    """(estimator, input) to ask for predictions: a pipeline's last step on the transformed ``X``
    when both predict and predict_proba are wanted, so the transformers run once, not twice.

    ``Pipeline.predict`` and ``predict_proba`` are exactly ``final.predict(transform(X))``
    and ``final.predict_proba(transform(X))``, so the outputs are the same.
    """
    steps = getattr(model, "steps", None)
    if not scores or not isinstance(steps, list) or len(steps) < 2 or not hasattr(model, "predict_proba"):
        return model, X
    final = steps[-1][1]
    if not hasattr(final, "predict_proba") or not hasattr(final, "classes_"):
        return model, X
    # The fitted transformers one by one, as Pipeline.transform does: a slice
    # (model[:-1]) is a new Pipeline that scikit-learn >= 1.8 calls unfitted.
    features = X
    for _, step in steps[:-1]:
        if step is not None and step != "passthrough":
            features = step.transform(features)
    return final, features


def _is_exact(series: pd.Series) -> bool:
    return series.dtype.kind not in "fc"


def compare_outputs(
    expected: pd.DataFrame, observed: pd.DataFrame, *, rtol: float = 1e-9
) -> tuple[int, list[dict[str, Any]]]:
    """(number of differing rows, the first differing cells) between two output frames.

    Rows are compared by position over the columns both frames have; labels
    exactly, floats within ``rtol`` (NaN equals NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.parity import compare_outputs
    >>> compare_outputs(pd.DataFrame({"prediction": [1, 0]}), pd.DataFrame({"prediction": [1, 1]}))[0]
    1
    """
    if len(expected) != len(observed):
        raise UsageError(f"cannot compare {len(expected)} expected rows with {len(observed)} observed rows")
    columns = [column for column in expected.columns if column in observed.columns]
    differs = np.zeros(len(expected), dtype=bool)
    cells: list[dict[str, Any]] = []
    labels = list(expected.index)
    for column in columns:
        want, got = expected[column], observed[column]
        if _is_exact(want) or _is_exact(got):
            mask = ~(want.to_numpy() == got.to_numpy())
            mask &= ~(pd.isna(want).to_numpy() & pd.isna(got).to_numpy())
        else:
            a = want.to_numpy(dtype="float64")
            b = got.to_numpy(dtype="float64")
            mask = ~np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True) & (a != b)
        differs |= mask
        for position in np.flatnonzero(mask)[: _SHOWN_ROWS - len(cells)].tolist():
            cells.append(
                {
                    "row": labels[position],
                    "column": column,
                    "expected": want.iloc[position],
                    "observed": got.iloc[position],
                }
            )
    return int(differs.sum()), cells


def _rows(X: Any, positions: Any) -> Any:
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[positions]
    return np.asarray(X)[positions]


def _round_trip(model: Any) -> Any:
    """The model after a skops dump and load; we dumped it, so its own types are trusted."""
    import skops.io as sio

    blob = sio.dumps(model)
    return sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))


def _outcome(subject: str, n_rows: int, n_differ: int, what: str) -> Outcome:
    passed = n_differ == 0
    return Outcome(
        subject,
        passed,
        n_differ,
        0,
        f"{n_rows} rows agree" if passed else f"{n_differ} of {n_rows} rows differ: {what}",
    )


def _edge_frame(schema: Any) -> pd.DataFrame | None:
    """Rows at the schema's edges, one column moved at a time from a typical row; None if none can be built.

    Numeric columns take 0, the ends of the reference range, values ten
    spans outside it and extreme magnitudes (the edges of
    :func:`mlcheck.contracts.strategies.column_values`), nullable ones also a
    missing value; the other columns keep a typical value (the middle
    of the range, the first level, False).
    """
    typical: dict[str, Any] = {}
    moves: list[tuple[str, Any]] = []
    for spec in schema.columns:
        if spec.kind in ("integer", "float") and spec.min is not None and spec.max is not None:
            middle = (float(spec.min) + float(spec.max)) / 2
            typical[spec.name] = round(middle) if spec.kind == "integer" else middle
            low, high = float(spec.min), float(spec.max)
            span = high - low or 1.0
            # the strategies' own edges: the range's ends, 0, far outside it, extreme magnitudes
            values = (
                [low, high, 0, 2**40, -(2**40)]
                if spec.kind == "integer"
                else [low, high, 0.0, low - 10 * span, high + 10 * span, 1e300, -1e300]
            )
            moves += [(spec.name, int(v) if spec.kind == "integer" else float(v)) for v in dict.fromkeys(values)]
        elif spec.kind == "categorical" and spec.levels:
            typical[spec.name] = spec.levels[0]
        elif spec.kind == "boolean":
            typical[spec.name] = False
        else:
            return None  # a kind without a typical value (datetime, text): leave it to hypothesis
        if spec.nullable:
            moves.append((spec.name, None))
    if not moves:
        return None
    rows = [{**typical, name: value} for name, value in moves]
    frame = pd.DataFrame(rows, columns=list(typical))
    for spec in schema.columns:
        if spec.kind == "float":
            frame[spec.name] = frame[spec.name].astype("float64")
        elif spec.kind == "integer" and frame[spec.name].notna().all():
            frame[spec.name] = frame[spec.name].astype(spec.dtype if spec.dtype.startswith(("int", "uint")) else "int64")
    return frame


def _probe_generated(
    model: Any, twin: Any, schema: Any, *, examples: int, seed: int, rtol: float
) -> tuple[int, dict[str, Any] | None]:
    """Draw frames from the schema and look for a crash or a disagreement; (frames tried, finding)."""
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample

    from mlcheck.contracts.schema import conform
    from mlcheck.contracts.strategies import frames

    tried = [0]

    def finding(frame: pd.DataFrame) -> dict[str, Any] | None:
        conformed = conform(frame, schema, warn=False)
        valid = conformed.features.loc[~conformed.bad]
        if not len(valid):
            return None
        X = model_input(model, valid)
        try:
            batch = model_outputs(model, X)
        except Exception as error:  # noqa: BLE001 - the model crashed on rows the schema accepted
            return {"kind": "crash", "error": f"{type(error).__name__}: {error}", "rows": valid}
        n_differ, cells = compare_outputs(batch, model_outputs(twin, X), rtol=rtol)
        if n_differ:
            return {"kind": "round trip differs", "cells": cells, "rows": valid}
        for position in range(len(valid)):
            single = model_outputs(model, _rows(X, [position]))
            n_differ, cells = compare_outputs(batch.iloc[[position]], single, rtol=rtol)
            if n_differ:
                return {"kind": "single row differs from batch", "cells": cells, "rows": valid}
        return None

    def condition(frame: pd.DataFrame) -> bool:
        tried[0] += 1
        return finding(frame) is not None

    # First a deterministic sweep of the schema's edges, one column at a time:
    # hypothesis seeds its draws with constants it finds in the loaded modules,
    # so which frames a seeded search draws depends on what else the process
    # imported; the edges (0, the range's ends, missing) must be tried whatever it is.
    def smallest(failing: pd.DataFrame) -> dict[str, Any] | None:
        """Drop rows one by one while the frame still fails: a small failing frame, cheaply."""
        position = 0
        while position < len(failing) and len(failing) > 1:
            smaller = failing.drop(index=failing.index[position])
            if finding(smaller) is not None:
                failing = smaller
            else:
                position += 1
        return finding(failing)

    edges = _edge_frame(schema)
    if edges is not None and finding(edges) is not None:
        return tried[0], smallest(edges)
    # generation only: hypothesis's shrinker would run the model on thousands of
    # candidates; smallest() gives a small failing frame cheaply
    probe_settings = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    try:
        failing = find(
            frames(schema, max_rows=6), condition, settings=probe_settings, random=random.Random(seed)
        )
    except NoSuchExample:
        return tried[0], None
    return tried[0], smallest(failing)


@register_check("check_parity")
@validate_options(
    {
        "model": [HasMethods("predict", description="a fitted model with .predict()")],
        "rtol": [_RTOL],
        "n_single": [_COUNT],
        "examples": [_COUNT],
        "score_fn": [None, "callable"],
        "seed": [_COUNT],
        "severity": [SEVERITY],
    }
)
def check_parity(
    model: Any,
    X: Any,
    *,
    bundle: Any = None,
    rtol: float = 1e-9,
    n_single: int = 100,
    examples: int = 30,
    score_fn: Callable[[Any], Any] | None = None,
    seed: int = 0,
    severity: Severity = "error",
) -> CheckResult:
    """Check that the model scores the same way in training, export and production.

    Parameters
    ----------
    model : fitted estimator
        The in-memory model.
    X : pandas.DataFrame or array
        Rows to score (e.g. the test set).
    bundle : Bundle, optional
        An exported bundle: its model replaces the skops round trip in (a), and
        its schema drives the generated rows in (c).
    rtol : float, default 1e-9
        Tolerance for scores; labels must match exactly.
    n_single : int, default 100
        How many rows (drawn with ``seed``) to score one at a time in (b); 0 skips it.
    examples : int, default 30
        How many hypothesis frames to try in (c); 0 skips it.
    score_fn : callable, optional
        The production scoring code, ``score_fn(X) -> predictions`` (array or
        frame with a ``prediction`` column); compared with the model.
    seed : int, default 0
    severity : {"error", "warning"}

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlcheck.contracts.parity import check_parity
    >>> X = pd.DataFrame({"x": np.linspace(-1, 1, 40)})
    >>> model = LogisticRegression().fit(X, X["x"] > 0)
    >>> check_parity(model, X, examples=5).passed
    True
    """
    n_rows = len(X)
    if n_rows == 0:
        raise UsageError(
            "check_parity needs at least one row in X to score", reason=Reason.INVALID_DATA, parameter="X"
        )
    outcomes: list[Outcome] = []
    shown: list[dict[str, Any]] = []
    details: dict[str, Any] = {"n_rows": n_rows, "rtol": rtol}
    expected = model_outputs(model, X)

    # (a) round trip
    try:
        twin = bundle.model if bundle is not None else _round_trip(model)
        n_differ, cells = compare_outputs(expected, model_outputs(twin, X), rtol=rtol)
        outcomes.append(_outcome("round_trip", n_rows, n_differ, "the exported model scores differently"))
        shown += [{"check": "round_trip", **cell} for cell in cells]
    except Exception as error:  # noqa: BLE001 - skops could not persist or restore the model
        twin = None
        outcomes.append(Outcome("round_trip", False, "error", 0, f"export round trip failed: {error}"))

    # (b) single rows against the batch
    if n_single > 0:
        rng = np.random.default_rng(seed)
        positions = np.sort(rng.choice(n_rows, size=min(int(n_single), n_rows), replace=False))
        singles = pd.concat([model_outputs(model, _rows(X, [p])) for p in positions.tolist()])
        n_differ, cells = compare_outputs(expected.iloc[positions], singles, rtol=rtol)
        outcomes.append(
            _outcome(
                "single_row",
                len(positions),
                n_differ,
                "scoring depends on the other rows of the batch (statistics of the scoring batch?)",
            )
        )
        shown += [{"check": "single_row", **cell} for cell in cells]

    # (c) generated rows
    if examples > 0 and twin is not None:
        from mlcheck.contracts.schema import infer_schema

        if bundle is not None:
            schema = bundle.schema
        elif isinstance(X, pd.DataFrame):
            schema = infer_schema(X)
        else:
            schema = infer_schema(pd.DataFrame(np.asarray(X)).rename(columns=str))
        tried, found = _probe_generated(model, twin, schema, examples=int(examples), seed=seed, rtol=rtol)
        details["generated_frames"] = tried
        if found is None:
            outcomes.append(
                Outcome("generated_rows", True, 0, 0, f"{tried} generated frames scored consistently")
            )
        else:
            message = found["kind"] + (f": {found['error']}" if "error" in found else "")
            outcomes.append(Outcome("generated_rows", False, len(found["rows"]), 0, message))
            details["generated_failure"] = {"kind": found["kind"], "rows": found["rows"].head(_SHOWN_ROWS)}
            shown += [{"check": "generated_rows", **cell} for cell in found.get("cells", [])]

    # (d) the production scoring code
    if score_fn is not None:
        produced = score_fn(X)
        observed = (
            produced
            if isinstance(produced, pd.DataFrame)
            else pd.DataFrame({PREDICTION: np.asarray(produced)}, index=expected.index)
        )
        if len(observed) != n_rows:
            outcomes.append(Outcome("scoring_function", False, len(observed), n_rows, "row count differs"))
        else:
            n_differ, cells = compare_outputs(expected, observed.set_axis(expected.index), rtol=rtol)
            outcomes.append(
                _outcome("scoring_function", n_rows, n_differ, "the scoring code disagrees with the model")
            )
            shown += [{"check": "scoring_function", **cell} for cell in cells]

    failed = [outcome for outcome in outcomes if not outcome.passed]
    details["differing_rows"] = shown[: 2 * _SHOWN_ROWS]
    return CheckResult(
        "check_parity",
        passed=not failed,
        severity=severity,
        observed=len(failed),
        threshold=0,
        details=details,
        message="training and scoring agree" if not failed else "; ".join(o.message for o in failed),
        outcomes=tuple(outcomes),
    )


@validate_options({"rtol": [_RTOL], "severity": [SEVERITY]})
def golden_parity(
    golden: pd.DataFrame, output: pd.DataFrame, *, rtol: float = 1e-9, severity: Severity = "error"
) -> CheckResult:
    """Compare a scoring job's output with the training-time predictions of the golden rows.

    Parameters
    ----------
    golden : pandas.DataFrame
        The expected outputs (``prediction`` and ``score_*`` columns), one row per golden input.
    output : pandas.DataFrame
        What the scoring job wrote; rows are matched by index when the output
        carries the golden index, else by position.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.parity import golden_parity
    >>> golden_parity(pd.DataFrame({"prediction": [1, 0]}), pd.DataFrame({"prediction": [1, 0]})).passed
    True
    """
    if PREDICTION not in output.columns:
        raise UsageError(
            f"the scoring output has no {PREDICTION!r} column (columns: {list(output.columns)[:12]}); "
            "write predictions with ScoreResult.write or name the column 'prediction'"
        )
    n_rows = len(golden)
    outcomes: list[Outcome] = []
    aligned = output
    if set(output.index) >= set(golden.index) and len(output) >= n_rows and not output.index.has_duplicates:
        aligned = output.loc[golden.index]
    elif len(output) != n_rows:
        missing = n_rows - len(output)
        outcomes.append(
            Outcome("golden:rows", False, len(output), n_rows, f"{missing} golden row(s) have no prediction")
        )
    cells: list[dict[str, Any]] = []
    if not outcomes:
        n_differ, cells = compare_outputs(golden, aligned.set_axis(golden.index), rtol=rtol)
        compared = [column for column in golden.columns if column in aligned.columns]
        outcomes.append(
            _outcome("golden", n_rows, n_differ, f"the scoring job disagrees with training on {compared}")
        )
    failed = [outcome for outcome in outcomes if not outcome.passed]
    return CheckResult(
        "check_parity",
        passed=not failed,
        severity=severity,
        observed=outcomes[0].observed,
        threshold=0,
        details={"n_rows": n_rows, "rtol": rtol, "differing_rows": cells},
        message=outcomes[0].message,
        outcomes=tuple(outcomes),
    )
