"""Hypothesis strategies that draw frames from a :class:`~mlcheck.contracts.schema.Schema`.

The frames mix valid values with the values that break scoring in practice:
the edges of the reference range, missing values, categories the model never
saw, extreme magnitudes and plain garbage (text in a numeric column). Valid
values come first in every choice, so hypothesis shrinks a failing frame
towards the valid rows that still fail.
"""

from __future__ import annotations

import datetime as dt
import math
from numbers import Integral
from typing import Any, Literal

import pandas as pd
from hypothesis import strategies as st

from mlcheck._validation import Interval, Options, validate_options
from mlcheck.contracts.schema import ColumnSchema, Schema
from mlcheck.errors import OptionError, Reason

__all__ = ["column_values", "frames"]

_EXTREME_FLOATS = (1e15, -1e15, 1e300, -1e300, 5e-324, float("inf"), float("-inf"))


def _float_range(spec: ColumnSchema) -> tuple[float, float]:
    low = spec.min if spec.min is not None else -1e6
    high = spec.max if spec.max is not None else 1e6
    return (low, high) if low <= high else (high, low)


#: which values a strategy draws: valid ones, the schema's edges, or also what it refuses
Mode = Literal["valid", "edge", "wild"]


@validate_options({"spec": [ColumnSchema], "mode": [Options("valid", "edge", "wild")]})
def column_values(spec: ColumnSchema, *, mode: Mode = "wild") -> st.SearchStrategy[Any]:
    """Values for one column.

    ``mode="valid"`` draws values the reference could have held; ``"edge"``
    adds what the schema accepts but training rarely saw (range edges, extreme
    finite magnitudes, missing values where allowed); ``"wild"`` adds what the
    schema refuses (missing where never seen, infinities, unseen categories,
    text in a numeric column). Valid values come first so failures shrink to them.

    Examples
    --------
    >>> from hypothesis import find
    >>> from mlcheck.contracts.schema import ColumnSchema
    >>> from mlcheck.contracts.strategies import column_values
    >>> spec = ColumnSchema("x", "float64", "float", nullable=False, min=0.0, max=1.0)
    >>> find(column_values(spec, mode="valid"), lambda value: value > 0.5) <= 1.0
    True
    """
    missing = st.sampled_from([None, float("nan")])
    edge: list[st.SearchStrategy[Any]] = []
    wild: list[st.SearchStrategy[Any]] = [missing]
    if spec.kind in ("float", "integer"):
        low, high = _float_range(spec)
        if spec.kind == "integer":
            valid: st.SearchStrategy[Any] = st.integers(math.ceil(low), math.floor(high))
            edge.append(st.sampled_from([int(low), int(high), 0, 2**40, -(2**40)]))
            # lossless casts both check_schema and scoring accept: whole floats, numbers as text
            edge.append(valid.map(float))
            edge.append(valid.map(str))
            wild += [st.sampled_from([0.5, float("inf")]), st.text(max_size=4)]
        else:
            valid = st.floats(low, high, allow_nan=False)
            span = (high - low) or 1.0
            edge.append(st.sampled_from([low, high, 0.0, -0.0, low - 10 * span, high + 10 * span]))
            edge.append(st.sampled_from([x for x in _EXTREME_FLOATS if math.isfinite(x)]))
            wild += [st.sampled_from([float("inf"), float("-inf")]), st.text(max_size=4)]
    elif spec.kind == "categorical":
        levels = list(spec.levels or ())
        valid = st.sampled_from(levels) if levels else st.text(max_size=8)
        wild += [
            st.text(min_size=1, max_size=6).filter(lambda value: value not in set(levels)),
            st.integers(-3, 3),
        ]
    elif spec.kind == "boolean":
        valid = st.booleans()
        edge.append(st.sampled_from(["True", "False", "true", "FALSE", 1, 0]))  # lossless casts
        wild.append(st.sampled_from([2, "yes"]))
    elif spec.kind == "datetime":
        valid = st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1))
        wild.append(st.text(max_size=4))
    else:
        valid = st.one_of(st.integers(), st.text(max_size=4))
    if spec.nullable:
        edge.append(missing)
    if mode == "valid":
        return valid
    if mode == "edge":
        return st.one_of(valid, *edge)
    return st.one_of(valid, *edge, *wild)


_NULLABLE = {"integer": "Int64", "float": "Float64", "boolean": "boolean", "categorical": "string"}


def _to_frame(
    rows: list[tuple[Any, ...]], schema: Schema, storage: tuple[str, ...] = ()
) -> pd.DataFrame:
    columns = {}
    for position, spec in enumerate(schema.columns):
        values = [row[position] for row in rows]
        series = pd.Series(values, dtype=object)
        try:  # a column whose draws all fit its type looks the way a real batch would
            if spec.kind in ("float", "integer") and all(
                value is None or isinstance(value, (int, float)) for value in values
            ):
                series = pd.to_numeric(series)
            elif spec.kind == "categorical" and all(
                value is None or isinstance(value, str) for value in values
            ):
                series = series.astype(spec.dtype if spec.dtype != "object" else object)
        except (TypeError, ValueError, OverflowError):
            pass
        if position < len(storage) and storage[position] == "nullable" and spec.kind in _NULLABLE:
            try:  # pandas' nullable dtypes, where every drawn value fits one
                series = series.astype(_NULLABLE[spec.kind])
            except (TypeError, ValueError, OverflowError):
                pass
        columns[spec.name] = series
    return pd.DataFrame(columns)


@validate_options(
    {
        "schema": [Schema],
        "min_rows": [Interval(Integral, 0, None)],
        "max_rows": [Interval(Integral, 1, None)],
        "garbage": ["boolean"],
        "casts": ["boolean"],
    }
)
def frames(
    schema: Schema, *, min_rows: int = 1, max_rows: int = 20, garbage: bool = True, casts: bool = True
) -> st.SearchStrategy[pd.DataFrame]:
    """Frames with the schema's columns; each row is valid, at the edges, or (with ``garbage``) wild.

    Parameters
    ----------
    schema : Schema
        The columns to draw (``bundle.schema`` or ``infer_schema(reference)``).
    min_rows, max_rows : int
        Bounds on the number of rows.
    garbage : bool, default True
        Also draw rows the schema refuses (see :func:`column_values`).
    casts : bool, default True
        Also store columns in pandas' nullable dtypes (``Int64``, ``boolean``,
        ``string``, ``Float64``) when their values fit, as readers often do.

    Examples
    --------
    >>> import pandas as pd
    >>> from hypothesis import find
    >>> from mlcheck.contracts.schema import infer_schema
    >>> from mlcheck.contracts.strategies import frames
    >>> schema = infer_schema(pd.DataFrame({"x": [0.0, 1.0], "c": ["a", "b"]}))
    >>> list(find(frames(schema, max_rows=3), lambda frame: len(frame) == 2).columns)
    ['x', 'c']
    """
    modes: tuple[Mode, ...] = ("valid", "edge", "wild") if garbage else ("valid", "edge")
    row = st.one_of(
        *(st.tuples(*(column_values(spec, mode=mode) for spec in schema.columns)) for mode in modes)
    )
    if min_rows > max_rows:
        raise OptionError(
            f"frames: min_rows ({min_rows}) is above max_rows ({max_rows}); swap them",
            reason=Reason.CONFLICTING_OPTIONS,
            parameter="min_rows",
            value=min_rows,
        )
    rows = st.lists(row, min_size=min_rows, max_size=max_rows)
    if not casts:
        return rows.map(lambda drawn: _to_frame(drawn, schema))
    storage = st.tuples(*(st.sampled_from(["plain", "nullable"]) for _ in schema.columns))
    return st.tuples(rows, storage).map(lambda drawn: _to_frame(drawn[0], schema, drawn[1]))
