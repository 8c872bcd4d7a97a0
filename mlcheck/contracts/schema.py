"""Schema contracts: what a frame must look like for the model to score it.

A :class:`Schema` is inferred from the reference (training) frame: for each
column its dtype, whether it may be missing (and how often it was), its range
and, for a categorical or string column, its levels. It serializes to plain
JSON (the bundle's ``schema.json``) and is used three ways:

- :func:`check_schema` compares a whole batch to it with proportional
  thresholds (null fractions, out-of-range and unseen-level fractions);
- :func:`conform` turns a batch into the model's input row by row for
  ``Bundle.score``: columns in the reference order, dtypes coerced when that
  is lossless, and a reason for every row that cannot be scored;
- :func:`mlcheck.contracts.strategies.frames` draws hypothesis frames from it.

Everything here is pure computation on frames; nothing reads or writes files.

Why not pandera: we tried it (0.35, with pandas 3). Its JSON form drops
column metadata (the reference null fractions and levels that the proportional
thresholds need) and writes pandas 3's ``str`` dtype as ``string[pyarrow]``;
its validation raises one error with failure cases per check, while scoring
needs one boolean per row and a reason per rejected row in a single vectorized
pass (the 1.15x overhead budget at a million rows); and its strategies draw only
valid frames, while parity needs edge and garbage rows too. So the schema is
this small JSON record, masks are plain pandas/NumPy, and rows are drawn with
hypothesis directly (:mod:`mlcheck.contracts.strategies`).
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlcheck.display.cards import register_card
from mlcheck.contracts import register_check
from mlcheck.results import CheckResult, Outcome
from mlcheck.errors import UsageError

__all__ = [
    "ColumnSchema",
    "Conformed",
    "ExtraColumnsWarning",
    "Schema",
    "check_schema",
    "conform",
    "infer_schema",
]

Kind = Literal["float", "integer", "boolean", "categorical", "datetime", "other"]
SCHEMA_VERSION = 1
#: A string column with more distinct values than this is free text: no level check.
MAX_LEVELS = 1000


class ExtraColumnsWarning(UserWarning):
    """A scored frame had columns the model was not trained on; they were dropped."""


@dataclass(frozen=True)
class ColumnSchema:
    """What one column looked like in the reference frame."""

    name: str
    dtype: str
    kind: Kind
    nullable: bool
    null_fraction: float = 0.0
    min: float | None = None
    max: float | None = None
    levels: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "kind": self.kind,
            "nullable": self.nullable,
            "null_fraction": self.null_fraction,
            "min": self.min,
            "max": self.max,
            "levels": list(self.levels) if self.levels is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSchema:
        levels = data.get("levels")
        return cls(
            name=str(data["name"]),
            dtype=str(data["dtype"]),
            kind=data["kind"],
            nullable=bool(data["nullable"]),
            null_fraction=float(data.get("null_fraction", 0.0)),
            min=None if data.get("min") is None else float(data["min"]),
            max=None if data.get("max") is None else float(data["max"]),
            levels=None if levels is None else tuple(str(level) for level in levels),
        )


@dataclass(frozen=True)
class Schema:
    """The columns a model was trained on, in order, with their reference statistics.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import Schema, infer_schema
    >>> schema = infer_schema(pd.DataFrame({"age": [31.0, 45.0], "city": ["Oslo", "Bergen"]}))
    >>> schema.names
    ('age', 'city')
    >>> Schema.from_dict(schema.to_dict()) == schema
    True
    """

    columns: tuple[ColumnSchema, ...]
    n_reference_rows: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def __getitem__(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "mlcheck-schema",
            "version": SCHEMA_VERSION,
            "n_reference_rows": self.n_reference_rows,
            "columns": [column.to_dict() for column in self.columns],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        if data.get("format") != "mlcheck-schema":
            raise UsageError("not an mlcheck schema: expected a mapping with format 'mlcheck-schema'")
        if int(data.get("version", 0)) > SCHEMA_VERSION:
            raise UsageError(
                f"schema version {data.get('version')} is newer than this mlcheck understands "
                f"({SCHEMA_VERSION}); upgrade mlcheck"
            )
        return cls(
            columns=tuple(ColumnSchema.from_dict(column) for column in data["columns"]),
            n_reference_rows=int(data.get("n_reference_rows", 0)),
            metadata=dict(data.get("metadata") or {}),
        )


# -- inference ----------------------------------------------------------------
def _kind(dtype: Any) -> Kind:
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        return "categorical"
    return "other"


def _finite_bound(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def infer_schema(reference: pd.DataFrame, *, max_levels: int = MAX_LEVELS) -> Schema:
    """Infer the schema of ``reference``: dtypes, nullability, ranges and levels.

    Parameters
    ----------
    reference : pandas.DataFrame
        The frame the model was trained on (features only).
    max_levels : int, default 1000
        A string or categorical column with more distinct values than this is
        treated as free text and gets no level check.

    Returns
    -------
    Schema

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import infer_schema
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, None, 3.0]}))
    >>> schema["x"].nullable, schema["x"].min, schema["x"].max
    (True, 1.0, 3.0)
    """
    if not isinstance(reference, pd.DataFrame):
        raise UsageError(f"infer_schema expects a pandas DataFrame, got {type(reference).__name__}")
    if reference.columns.duplicated().any():
        duplicated = sorted(set(map(str, reference.columns[reference.columns.duplicated()])))
        raise UsageError(f"reference has duplicated column names {duplicated}; give every column one name")
    n_rows = len(reference)
    columns = []
    for name in reference.columns:
        series = reference[name]
        kind = _kind(series.dtype)
        n_null = int(series.isna().sum())
        low = high = None
        levels = None
        if kind in ("float", "integer") and n_rows > n_null:
            low, high = _finite_bound(series.min()), _finite_bound(series.max())
        elif kind == "categorical":
            present = series.dropna()
            if isinstance(series.dtype, pd.CategoricalDtype):
                observed = [str(level) for level in series.cat.categories]
            else:
                observed = sorted({str(value) for value in present.unique()[: max_levels + 1]})
            levels = tuple(observed) if len(observed) <= max_levels else None
        columns.append(
            ColumnSchema(
                name=str(name),
                dtype=str(series.dtype),
                kind=kind,
                nullable=n_null > 0,
                null_fraction=n_null / n_rows if n_rows else 0.0,
                min=low,
                max=high,
                levels=levels,
            )
        )
    return Schema(columns=tuple(columns), n_reference_rows=n_rows)


def as_schema(schema: Any) -> Schema:
    """A :class:`Schema` from a Schema, its dict form, or a reference frame."""
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, pd.DataFrame):
        return infer_schema(schema)
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    raise UsageError(
        "expected a schema: an mlcheck Schema (bundle.schema), its dict form, or a reference "
        f"DataFrame to infer one from; got {type(schema).__name__}"
    )


# -- conforming a batch row by row -------------------------------------------
@dataclass(frozen=True)
class Conformed:
    """A batch turned into model input: ``features`` plus the rows that cannot be scored."""

    features: pd.DataFrame
    bad: np.ndarray  # bool per row: True when the row cannot be scored
    parts: tuple[pd.Series, ...]  # one per problem found: row position -> reason text
    extra_columns: tuple[str, ...]
    coerced: dict[str, str]  # column -> "from -> to"

    @property
    def reasons(self) -> dict[int, list[str]]:
        """Row position -> every reason it cannot be scored."""
        found: dict[int, list[str]] = {}
        for part in self.parts:
            for position, text in zip(part.index.tolist(), part.tolist()):
                found.setdefault(position, []).append(text)
        return dict(sorted(found.items()))

    def reason_text(self) -> pd.Series:
        """Row position -> its reasons joined by ``"; "``, sorted by position (vectorized)."""
        if not self.parts:
            return pd.Series([], index=pd.Index([], dtype=np.int64), dtype=object)
        joined = pd.concat(self.parts)
        if joined.index.has_duplicates:
            joined = joined.groupby(level=0, sort=True).agg("; ".join)
        return joined.sort_index()


class _Reasons:
    """Collects per-row reasons, touching only the rows that have a problem."""

    def __init__(self, n_rows: int) -> None:
        self.bad = np.zeros(n_rows, dtype=bool)
        self.parts: list[pd.Series] = []

    def add(self, mask: np.ndarray, column: str, what: str, values: pd.Series | None = None) -> None:
        if not mask.any():
            return
        self.bad |= mask
        positions = np.flatnonzero(mask)
        if values is None:
            texts: Any = f"{column}: {what}"
        else:
            texts = [f"{column}: {what} {value!r}" for value in values.iloc[positions].tolist()]
        self.parts.append(pd.Series(texts, index=positions, dtype=object))


def _conform_numeric(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    target = pd.api.types.pandas_dtype(spec.dtype)
    unparsed = None
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series
    else:  # strings, objects, categories holding numbers: parse, and say which did not parse
        values = pd.to_numeric(series.astype(object), errors="coerce")
        unparsed = (values.isna() & series.notna()).to_numpy()
        collect.add(unparsed, spec.name, "not a number:", series)
    array = values.to_numpy(dtype="float64", na_value=np.nan)
    null = np.isnan(array)
    if unparsed is not None:
        null &= ~unparsed  # already rejected with a better reason
    if not spec.nullable:
        collect.add(null, spec.name, "missing value (none in the training data)")
    collect.add(np.isinf(array), spec.name, "infinite value")
    fractional = np.zeros(len(array), dtype=bool)
    if spec.kind == "integer":
        fractional = np.isfinite(array) & (np.floor(array) != array)
        collect.add(fractional, spec.name, "not an integer:", series)
        too_large = np.isfinite(array) & (np.abs(array) >= 2.0**63)
        collect.add(too_large, spec.name, "too large for a 64-bit integer:", series)
        fractional |= too_large
    if values.dtype == target:
        return values
    if spec.kind == "integer":
        # rows that cannot be cast are rejected above; a stand-in keeps the cast valid
        if isinstance(target, np.dtype):  # numpy integers hold no missing values
            safe = np.where(np.isfinite(array) & ~fractional, array, 0.0)
            return pd.Series(safe.astype(target), index=series.index, name=series.name)
        safe = np.where(np.isinf(array) | fractional, np.nan, array)
        return pd.Series(safe, index=series.index, name=series.name).astype(target)
    return pd.Series(array, index=series.index, name=series.name).astype(target)


def _conform_categorical(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    if not spec.nullable:
        collect.add(null, spec.name, "missing value (none in the training data)")
    unseen = np.zeros(len(series), dtype=bool)
    if spec.levels is not None:
        unseen = ~series.isin(spec.levels).to_numpy() & ~null
        if unseen.any() and not pd.api.types.is_string_dtype(series.dtype):
            unseen &= ~series.astype(str).isin(spec.levels).to_numpy()  # 3 for "3" is not unseen
        collect.add(unseen, spec.name, "unseen category", series)
    if spec.dtype == "category":
        values = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
        if spec.levels is not None and list(map(str, values.cat.categories)) != list(spec.levels):
            known = pd.Series(~null & ~unseen, index=series.index)  # the rest is rejected
            values = series.astype(str).where(known).astype(pd.CategoricalDtype(list(spec.levels)))
        return values
    target = pd.api.types.pandas_dtype(spec.dtype)
    if series.dtype == target:
        return series
    if pd.api.types.is_string_dtype(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(target)
    return series.astype(str).where(~null).astype(target)


def _conform_boolean(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    if not spec.nullable:
        collect.add(null, spec.name, "missing value (none in the training data)")
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    numeric = pd.to_numeric(series.astype(object), errors="coerce")
    ok = numeric.isin([0, 1]).to_numpy()
    collect.add(~ok & ~null, spec.name, "not a boolean:", series)
    return pd.Series(
        numeric.to_numpy(dtype="float64", na_value=0.0) == 1.0, index=series.index, name=series.name
    )


def _conform_datetime(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    if not spec.nullable:
        collect.add(null, spec.name, "missing value (none in the training data)")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    values = pd.to_datetime(series, errors="coerce")
    collect.add(values.isna().to_numpy() & ~null, spec.name, "not a date:", series)
    return values


_CONFORMERS = {
    "float": _conform_numeric,
    "integer": _conform_numeric,
    "categorical": _conform_categorical,
    "boolean": _conform_boolean,
    "datetime": _conform_datetime,
}


def conform(
    frame: pd.DataFrame, schema: Schema, *, keep: tuple[str, ...] = (), warn: bool = True
) -> Conformed:
    """Turn ``frame`` into the model's input and find the rows that cannot be scored.

    Columns come back in the schema's order; columns the schema does not know
    are dropped (with an :class:`ExtraColumnsWarning` unless listed in ``keep``);
    dtypes are coerced when that loses nothing. A row cannot be scored when a
    value does not parse as its column's type, is missing where the reference
    never was, is infinite, or is a category the model never saw. A missing
    column raises :class:`~mlcheck.errors.UsageError`.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import conform, infer_schema
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    >>> out = conform(pd.DataFrame({"c": ["a", "z"], "x": [1, 2]}), schema)
    >>> list(out.features.columns), out.bad.tolist(), out.reasons[1]
    (['x', 'c'], [False, True], ["c: unseen category 'z'"])
    """
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"expected a pandas DataFrame to score, got {type(frame).__name__}")
    labels = {str(label): label for label in frame.columns}  # schema names are text; frames may use ints
    missing = [name for name in schema.names if name not in labels]
    if missing:
        raise UsageError(
            f"the frame lacks {len(missing)} column(s) the model was trained on: {missing}; "
            f"expected the columns {list(schema.names)}, got {list(map(str, frame.columns))}. "
            "Add the missing columns (a column may hold missing values if the schema allows them)."
        )
    extra = tuple(str(name) for name in frame.columns if str(name) not in set(schema.names) | set(keep))
    if extra and warn:
        warnings.warn(
            f"dropped {len(extra)} column(s) the model was not trained on: {list(extra)[:10]}",
            ExtraColumnsWarning,
            stacklevel=3,
        )
    collect = _Reasons(len(frame))
    columns: dict[str, pd.Series] = {}
    coerced: dict[str, str] = {}
    for spec in schema.columns:
        series = frame[labels[spec.name]]
        conformer = _CONFORMERS.get(spec.kind)
        values = conformer(series, spec, collect) if conformer else series
        if str(values.dtype) != str(series.dtype):
            coerced[spec.name] = f"{series.dtype} -> {values.dtype}"
        columns[spec.name] = values
    if not coerced and list(frame.columns) == list(schema.names):
        features = frame
    else:
        features = pd.DataFrame(columns, index=frame.index, copy=False)
    return Conformed(features, collect.bad, tuple(collect.parts), extra, coerced)


# -- the check ------------------------------------------------------------------
def _dtype_verdict(series: pd.Series, spec: ColumnSchema) -> tuple[bool, str]:
    seen = str(series.dtype)
    if seen == spec.dtype:
        return True, ""
    kind = _kind(series.dtype)
    if spec.kind == "float" and kind == "float":
        seen_bits = np.dtype(series.dtype).itemsize if isinstance(series.dtype, np.dtype) else 8
        expected_bits = (
            np.dtype(spec.dtype).itemsize if spec.dtype in ("float16", "float32", "float64") else 8
        )
        if seen_bits < expected_bits:
            return False, f"{seen} carries fewer digits than the {spec.dtype} the model was trained on"
        return True, ""
    if spec.kind == kind or (spec.kind == "float" and kind in ("integer", "boolean")):
        return True, ""
    return False, f"expected {spec.dtype} ({spec.kind}), got {seen} ({kind})"


@register_check("check_schema")
def check_schema(
    frame: pd.DataFrame,
    schema: Any,
    *,
    max_null_increase: float = 0.01,
    max_out_of_range: float = 0.01,
    severity: str = "error",
) -> CheckResult:
    """Check a batch against the schema of the data the model was trained on.

    One outcome per column, named by the column, that holds when every aspect
    holds: the column is present; its dtype loses nothing against the
    reference's (so float32 for a float64 column fails); its fraction of
    missing values exceeds the reference's by at most ``max_null_increase``;
    and at most ``max_out_of_range`` of its values fall outside the reference
    range or are categories the reference never had. A failed outcome's
    ``observed`` and ``threshold`` hold only the aspects that failed and its
    message names each of them; a passed one holds the missing fraction.
    Columns the schema does not know make one passing ``extra_columns``
    outcome. ``details["failing"]`` maps each failing column to what broke,
    and nothing is kept for the columns that held, so the result stays small
    over many columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The batch to check.
    schema : Schema, dict or pandas.DataFrame
        ``bundle.schema``, its dict form, or a reference frame to infer it from.
    max_null_increase : float, default 0.01
        Allowed rise of a column's missing fraction over the reference's.
    max_out_of_range : float, default 0.01
        Allowed fraction of values outside the reference range or levels.
    severity : {"error", "warning"}

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import check_schema
    >>> reference = pd.DataFrame({"x": [0.0, 1.0, 2.0], "c": ["a", "b", "a"]})
    >>> result = check_schema(pd.DataFrame({"x": [0.5, 1.5], "c": ["a", "z"]}), reference)
    >>> result.passed, [(o.subject, o.message) for o in result.outcomes if not o.passed]
    (False, [('c', "50% of values unseen in training: 'z'")])
    """
    for label, value in (("max_null_increase", max_null_increase), ("max_out_of_range", max_out_of_range)):
        if not 0.0 <= float(value) <= 1.0:
            raise UsageError(f"check_schema: {label} must be a fraction in [0, 1], got {value!r}")
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"check_schema expects a pandas DataFrame, got {type(frame).__name__}")
    spec_schema = as_schema(schema)
    n_rows = len(frame)
    labels = {str(label): label for label in frame.columns}
    outcomes: list[Outcome] = []
    failing: dict[str, str] = {}  # column -> what broke, one short line each
    for spec in spec_schema.columns:
        if spec.name not in labels:
            outcomes.append(
                Outcome(spec.name, False, {"present": False}, {"present": True}, "column is missing")
            )
            failing[spec.name] = "column is missing"
            continue
        outcome = _column_outcome(
            frame[labels[spec.name]], spec, float(max_null_increase), float(max_out_of_range)
        )
        outcomes.append(outcome)
        if not outcome.passed:
            failing[spec.name] = outcome.message
    extra = [str(name) for name in frame.columns if str(name) not in set(spec_schema.names)]
    if extra:
        shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
        outcomes.append(Outcome("extra_columns", True, len(extra), None, f"ignored: {shown}"))
    failed = [outcome for outcome in outcomes if not outcome.passed]
    n_columns = len(spec_schema.columns)
    if not failed:
        message = f"{n_rows} rows match the schema of {n_columns} columns"
    else:
        # one failing column is named with what broke; several are named only (each outcome
        # says what broke), so the headline stays one line in the card, the text and the JSON
        named = (
            f"{failed[0].subject} ({failed[0].message})"
            if len(failed) == 1
            else ", ".join(o.subject for o in failed[:8]) + (", …" if len(failed) > 8 else "")
        )
        message = f"{len(failed)} of {n_columns} columns break the schema: {named}"
    return CheckResult(
        "check_schema",
        passed=not failed,
        severity=severity,  # type: ignore[arg-type]
        observed=len(failed),
        threshold=0,
        details={
            "n_rows": n_rows,
            "n_columns": n_columns,
            "failing": failing,
            "extra_columns": extra[:MAX_EXTRA_LISTED],
            "n_extra_columns": len(extra),
        },
        message=message,
        outcomes=tuple(outcomes),
    )


#: at most this many extra columns are named in a result's details
MAX_EXTRA_LISTED = 20


def _share(fraction: float) -> str:
    """A fraction as a short percent: 0.1216 -> '12%', 0.005 -> '0.5%'."""
    return f"{float(f'{fraction * 100.0:.2g}'):g}%"


def _column_outcome(
    series: pd.Series, spec: ColumnSchema, max_null_increase: float, max_out_of_range: float
) -> Outcome:
    """One verdict over every aspect of a present column; only failed aspects are reported."""
    observed: dict[str, Any] = {}
    threshold: dict[str, Any] = {}
    problems: list[str] = []
    dtype_ok, _ = _dtype_verdict(series, spec)
    if not dtype_ok:
        observed["dtype"], threshold["dtype"] = str(series.dtype), spec.dtype
        problems.append(f"dtype {series.dtype}, expected {spec.dtype}")
    null_fraction = float(series.isna().mean()) if len(series) else 0.0
    null_limit = min(1.0, spec.null_fraction + max_null_increase)
    if null_fraction > null_limit:
        observed["nulls"], threshold["nulls"] = _round(null_fraction), _round(null_limit)
        had = "none" if spec.null_fraction == 0 else _share(spec.null_fraction)
        problems.append(f"{_share(null_fraction)} missing, training had {had}")
    outside, what, examples = _outside_fraction(series, spec)
    if outside is not None and outside > max_out_of_range:
        observed["outside"], threshold["outside"] = _round(outside), max_out_of_range
        shown = ", ".join(repr(value) for value in examples)
        problems.append(f"{_share(outside)} of values {what}" + (f": {shown}" if shown else ""))
    if not problems:  # the headline aspect as bare numbers: 85 columns fit a small saved card
        return Outcome(spec.name, True, _round(null_fraction), _round(null_limit))
    return Outcome(spec.name, False, observed, threshold, "; ".join(problems))


def _round(value: float) -> float | int:
    """Four significant digits: enough to read, short in the saved JSON (0.0 is written 0)."""
    number = float(f"{value:.4g}")
    return 0 if number == 0 else number


#: a failing categorical column names at most this many of its unseen values
UNSEEN_EXAMPLES = 3


def _outside_fraction(series: pd.Series, spec: ColumnSchema) -> tuple[float | None, str, list[Any]]:
    """Fraction of present values outside the reference range (numeric) or levels (categorical).

    Also says what "outside" means for the column and, for a categorical one,
    gives the most frequent unseen values.
    """
    present = series.dropna()
    if not len(present):
        return (0.0, "", []) if spec.min is not None or spec.levels is not None else (None, "", [])
    if spec.kind in ("float", "integer") and spec.min is not None and spec.max is not None:
        numbers = (
            pd.to_numeric(present.astype(object), errors="coerce")
            if not pd.api.types.is_numeric_dtype(present.dtype)
            else present
        )
        array = numbers.to_numpy(dtype="float64", na_value=np.nan)
        outside = ~((array >= spec.min) & (array <= spec.max))  # NaN (unparsable) counts as outside
        return float(outside.mean()), f"outside the training range [{spec.min:.6g}, {spec.max:.6g}]", []
    if spec.kind == "categorical" and spec.levels is not None:
        text = present.astype(str)
        unseen = ~text.isin(spec.levels).to_numpy()
        examples = text[unseen].value_counts().index[:UNSEEN_EXAMPLES].tolist() if unseen.any() else []
        return float(unseen.mean()), "unseen in training", examples
    return None, "", []


#: a card names at most this many failing columns (every failing one is an outcome anyway)
CARD_COLUMNS = 20


def _schema_card(result: Mapping[str, Any]) -> str:
    """The failing columns with what broke, then how many columns held.

    It replaces the shared outcome table: over 85 columns a row per passing
    column would make the saved card too big, and the passing ones say nothing.
    """
    details = result.get("details") or {}
    outcomes = [o for o in result.get("outcomes") or () if o.get("subject") != "extra_columns"]
    failed = [o for o in outcomes if not o.get("passed")]
    color = "#cf222e" if result.get("severity", "error") == "error" else "#9a6700"
    rows = "".join(
        f'<tr><td style="color:{color}">✗<td><b>{html.escape(str(o["subject"]))}</b>'
        f"<td>{html.escape(str(o.get('message') or ''))}"
        for o in failed[:CARD_COLUMNS]
    )
    if len(failed) > CARD_COLUMNS:
        rows += f'<tr><td><td colspan="2">… {len(failed) - CARD_COLUMNS} more failing columns'
    table = f'<table cellpadding="2" style="font-size:12px;margin-top:4px">{rows}</table>' if rows else ""
    line = (
        f"{len(outcomes) - len(failed)} of {len(outcomes)} columns hold over {details.get('n_rows', 0)} rows"
    )
    n_extra = int(details.get("n_extra_columns") or len(details.get("extra_columns") or ()))
    if n_extra:
        line += f"; {n_extra} extra column(s) ignored"
    return table + f'<div style="font-size:12px;color:#57606a">{html.escape(line)}</div>'


register_card("check_schema", _schema_card, shows_outcomes=True)
