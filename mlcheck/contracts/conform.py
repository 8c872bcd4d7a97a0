"""The one conform step: a batch turned into the model's input, row by row, with a reason per reject.

Both :func:`mlcheck.check_schema` and ``Bundle.score`` call :func:`conform`,
so a row that one accepts the other scores, and a row that one refuses the
other rejects with the same reason code (:class:`RejectReason`). A cast that loses
nothing is accepted by both with a note in :attr:`Conformed.casts`:

- whole-valued floats into an integer column (what a NaN upstream or a CSV
  file makes of integers), numbers written as text;
- ``"True"``/``"False"`` (any case) and ``1``/``0`` into a boolean column;
- pandas' nullable dtypes (``Int64``, ``boolean``, ``string``) into their
  NumPy counterparts, and back;

A lossy one is refused by both, per row: a fraction into an integer column
(``not_an_integer``), text that is no number or a boolean where training had
numbers (``not_a_number``: True/False mean something else than 1/0), a value
that is no boolean or date, an infinity, a missing value where training
had none, or a level training never saw when the model cannot take it.

Levels are compared by their label (:func:`mlcheck.kinds.labels_of`), so
``2``, ``2.0`` and ``"2"`` are one level, and the schema keeps every
training level at any cardinality: the level check is exact, never dropped.
"""

from __future__ import annotations

import difflib
import enum
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlcheck.errors import UsageError
from mlcheck.kinds import label_of, labels_of

if TYPE_CHECKING:
    from mlcheck.contracts.schema import ColumnSchema, Schema

__all__ = [
    "TYPE_REASONS",
    "Conformed",
    "ExtraColumnsWarning",
    "RejectReason",
    "as_input",
    "conform",
    "describe_missing",
    "input_form",
    "near_match",
]


InputForm = Literal["frame", "array"]


class ExtraColumnsWarning(UserWarning):
    """A scored frame had columns the model was not trained on; they were dropped."""


class RejectReason(str, enum.Enum):
    """Why a row cannot be scored: one code per problem, written to ``rejects["reason_code"]``."""

    MISSING_COLUMN = "missing_column"
    MISSING_VALUE = "missing_value"
    NOT_A_NUMBER = "not_a_number"
    NOT_AN_INTEGER = "not_an_integer"
    TOO_LARGE = "too_large"
    INFINITE = "infinite"
    NOT_A_BOOLEAN = "not_a_boolean"
    NOT_A_DATE = "not_a_date"
    UNSEEN_CATEGORY = "unseen_category"
    MODEL_ERROR = "model_error"


#: Codes that mean the value is not of its column's type: the cast would lose something.
TYPE_REASONS = frozenset(
    {
        RejectReason.NOT_A_NUMBER,
        RejectReason.NOT_AN_INTEGER,
        RejectReason.TOO_LARGE,
        RejectReason.NOT_A_BOOLEAN,
        RejectReason.NOT_A_DATE,
    }
)
_TRUE_TEXT = frozenset({"true", "1", "1.0"})
_FALSE_TEXT = frozenset({"false", "0", "0.0"})


@dataclass(frozen=True)
class Conformed:
    """A batch turned into model input: ``features`` plus the rows that cannot be scored.

    Attributes
    ----------
    features : pandas.DataFrame
        The schema's columns in its order, cast to the training dtypes; rows
        flagged in ``bad`` hold stand-in values and must not be scored.
    bad : numpy.ndarray of bool, shape (n_rows,)
        True for a row that cannot be scored.
    parts : tuple of pandas.Series
        One per problem found: row position -> reason text.
    codes : tuple of (RejectReason, numpy.ndarray of int)
        One per problem found: its code and the row positions it touches.
    counts : dict
        ``(column, RejectReason) -> number of rows``.
    extra_columns : tuple of str
        Columns dropped because the schema does not know them.
    coerced : dict
        Column -> ``"from -> to"`` dtype, for every column cast.
    casts : dict
        Column -> note, for every lossless cast of values (a float column
        of whole numbers into an integer one, text booleans, ...).
    unseen_passed : dict
        Column -> number of rows whose unseen level was passed to the model
        because the model handles unknown levels (see ``ColumnSchema.unknown``).
    """

    features: pd.DataFrame
    bad: np.ndarray
    parts: tuple[pd.Series, ...]
    extra_columns: tuple[str, ...]
    coerced: dict[str, str]
    codes: tuple[tuple[RejectReason, np.ndarray], ...] = ()
    counts: Mapping[tuple[str, RejectReason], int] = field(default_factory=dict)
    casts: Mapping[str, str] = field(default_factory=dict)
    unseen_passed: Mapping[str, int] = field(default_factory=dict)

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
        return _joined(self.parts, "; ")

    def reason_codes(self) -> pd.Series:
        """Row position -> its distinct reason codes joined by ``";"``, sorted by position."""
        parts = [pd.Series(code.value, index=positions, dtype=object) for code, positions in self.codes]
        joined = _joined(parts, ";")
        if len(joined) and joined.str.contains(";", regex=False).any():
            joined = joined.map(lambda text: ";".join(dict.fromkeys(text.split(";"))))
        return joined


def _joined(parts: list[pd.Series] | tuple[pd.Series, ...], separator: str) -> pd.Series:
    if not parts:
        return pd.Series([], index=pd.Index([], dtype=np.int64), dtype=object)
    joined = pd.concat(parts)
    if joined.index.has_duplicates:
        joined = joined.groupby(level=0, sort=True).agg(separator.join)
    return joined.sort_index()


class _Reasons:
    """Collects per-row reasons, touching only the rows that have a problem."""

    def __init__(self, n_rows: int) -> None:
        self.bad = np.zeros(n_rows, dtype=bool)
        self.parts: list[pd.Series] = []
        self.codes: list[tuple[RejectReason, np.ndarray]] = []
        self.counts: dict[tuple[str, RejectReason], int] = {}
        self.casts: dict[str, str] = {}
        self.unseen_passed: dict[str, int] = {}

    def add(
        self, mask: np.ndarray, column: str, code: RejectReason, what: str, values: pd.Series | None = None
    ) -> None:
        if not mask.any():
            return
        self.bad |= mask
        positions = np.flatnonzero(mask)
        if values is None:
            texts: Any = f"{column}: {what}"
        else:
            texts = [f"{column}: {what} {value!r}" for value in values.iloc[positions].tolist()]
        self.parts.append(pd.Series(texts, index=positions, dtype=object))
        self.codes.append((code, positions))
        self.counts[(column, code)] = self.counts.get((column, code), 0) + len(positions)


def _missing(series: pd.Series, spec: ColumnSchema, collect: _Reasons, null: np.ndarray) -> None:
    if not spec.nullable:
        collect.add(null, spec.name, RejectReason.MISSING_VALUE, "missing value (none in the training data)")


def _conform_numeric(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    target = pd.api.types.pandas_dtype(spec.dtype)
    unparsed = None
    if pd.api.types.is_bool_dtype(series.dtype):
        # True/False where training had numbers: a different meaning, not a lossless cast; refused
        # per row like text that is no number (it was scored as 1/0 with a note about float64)
        values = series.astype("float64") if not series.hasnans else series.astype("Float64")
        unparsed = series.notna().to_numpy()
        collect.add(
            unparsed, spec.name, RejectReason.NOT_A_NUMBER, f"a {series.dtype}, not a number:", series
        )
    elif pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series
    else:  # strings, objects, categories holding numbers: parse, and say which did not parse
        values = pd.to_numeric(series.astype(object), errors="coerce")
        unparsed = (values.isna() & series.notna()).to_numpy()
        collect.add(unparsed, spec.name, RejectReason.NOT_A_NUMBER, "not a number:", series)
        if (~unparsed & series.notna().to_numpy()).any():
            collect.casts.setdefault(spec.name, f"numbers written as {series.dtype} parsed")
    array = values.to_numpy(dtype="float64", na_value=np.nan)
    null = np.isnan(array)
    if unparsed is not None:
        null &= ~unparsed  # already rejected with a better reason
    _missing(series, spec, collect, null)
    collect.add(np.isinf(array), spec.name, RejectReason.INFINITE, "infinite value")
    fractional = np.zeros(len(array), dtype=bool)
    if spec.kind == "integer":
        fractional = np.isfinite(array) & (np.floor(array) != array)
        collect.add(fractional, spec.name, RejectReason.NOT_AN_INTEGER, "not an integer:", series)
        too_large = np.isfinite(array) & (np.abs(array) >= 2.0**63)
        collect.add(too_large, spec.name, RejectReason.TOO_LARGE, "too large for a 64-bit integer:", series)
        fractional |= too_large
        cast = np.isfinite(array) & ~fractional & (~unparsed if unparsed is not None else True)
        if pd.api.types.is_float_dtype(values.dtype) and cast.any():
            collect.casts.setdefault(spec.name, f"whole-valued {values.dtype} cast to {spec.dtype}")
    if values.dtype == target:
        return values
    if spec.kind == "integer":
        # rows that cannot be cast are rejected above; a stand-in keeps the cast valid
        if isinstance(target, np.dtype):  # numpy integers hold no missing values
            safe = np.where(np.isfinite(array) & ~fractional, array, 0.0)
            return pd.Series(safe.astype(target), index=series.index, name=series.name)
        safe = np.where(np.isinf(array) | fractional, np.nan, array)
        return pd.Series(safe, index=series.index, name=series.name).astype(target)
    if not pd.api.types.is_numeric_dtype(target):  # a numeric kind stored as object: keep the numbers
        return pd.Series(array, index=series.index, name=series.name).astype(object)
    return pd.Series(array, index=series.index, name=series.name).astype(target)


def _conform_categorical(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    _missing(series, spec, collect, null)
    unseen = np.zeros(len(series), dtype=bool)
    if spec.levels is not None:
        known = set(spec.levels)
        labels = labels_of(series)
        unseen = ~labels.isin(known).to_numpy() & ~null
        if unseen.any() and spec.legacy_levels:  # schema v1 spelled levels with str(): 2.0 read "2.0"
            unseen &= ~series.astype(str).isin(known).to_numpy()
        if spec.unknown == "model":
            if unseen.any():
                collect.unseen_passed[spec.name] = int(unseen.sum())
            unseen = np.zeros(len(series), dtype=bool)
        else:
            collect.add(unseen, spec.name, RejectReason.UNSEEN_CATEGORY, "unseen category", series)
    if spec.dtype == "category":
        return _as_training_categories(series, spec, ~null & ~unseen)
    target = pd.api.types.pandas_dtype(spec.dtype)
    if series.dtype == target:
        return series
    if pd.api.types.is_string_dtype(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(target)
    return labels_of(series).where(~null).astype(target)


def _as_training_categories(series: pd.Series, spec: ColumnSchema, keep: np.ndarray) -> pd.Series:
    """A category column with training's categories in training's order.

    The schema holds the levels as labels; each is mapped back to the batch's
    own value of that label (a float category stays a float), so the model
    sees what it was fit on. A value outside training's levels cannot be held
    by that dtype and becomes missing (its row is rejected unless the model
    handles unknown levels, which then sees a missing value).
    """
    values = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
    if spec.levels is None:
        return values
    legacy = spec.legacy_levels
    spell = str if legacy else label_of
    categories = list(values.cat.categories)
    if [spell(category) for category in categories] == list(spec.levels):
        return values
    by_label = {spell(category): category for category in categories}
    wanted = [by_label.get(level, level) for level in spec.levels]
    try:
        dtype = pd.CategoricalDtype(wanted)
    except (TypeError, ValueError):  # mixed or duplicated values: the labels themselves
        wanted, dtype = list(spec.levels), pd.CategoricalDtype(list(spec.levels))
    labels = series.astype(str).where(series.notna(), None) if legacy else labels_of(series)
    known = labels.isin(set(spec.levels)).to_numpy() & keep
    mapped = labels.where(known).map(dict(zip(spec.levels, wanted)), na_action="ignore")
    return mapped.astype(dtype)


def _conform_boolean(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    _missing(series, spec, collect, null)
    target = pd.api.types.pandas_dtype(spec.dtype)
    if pd.api.types.is_bool_dtype(series.dtype):
        if series.dtype == target or not isinstance(target, np.dtype):
            return series if series.dtype == target else series.astype(target)
        return pd.Series(series.fillna(False).to_numpy(dtype=bool), index=series.index, name=series.name)
    text = series.astype(object).map(lambda value: str(value).strip().lower(), na_action="ignore")
    truth = text.isin(_TRUE_TEXT).to_numpy()
    falsity = text.isin(_FALSE_TEXT).to_numpy()
    collect.add(~truth & ~falsity & ~null, spec.name, RejectReason.NOT_A_BOOLEAN, "not a boolean:", series)
    if (truth | falsity).any():
        collect.casts.setdefault(spec.name, f"{series.dtype} values read as booleans (True/False, 1/0)")
    values = pd.Series(truth, index=series.index, name=series.name)
    if not isinstance(target, np.dtype):  # a nullable boolean column keeps its missing values
        return values.astype(target).where(~pd.Series(null, index=series.index))
    return values


def _conform_datetime(series: pd.Series, spec: ColumnSchema, collect: _Reasons) -> pd.Series:
    null = series.isna().to_numpy()
    _missing(series, spec, collect, null)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    values = pd.to_datetime(series, errors="coerce")
    collect.add(values.isna().to_numpy() & ~null, spec.name, RejectReason.NOT_A_DATE, "not a date:", series)
    return values


_CONFORMERS = {
    "float": _conform_numeric,
    "integer": _conform_numeric,
    "categorical": _conform_categorical,
    "boolean": _conform_boolean,
    "datetime": _conform_datetime,
}


def column_labels(frame: pd.DataFrame, *, where: str) -> dict[str, Any]:
    """Column name as text -> the frame's own label; duplicated names are refused."""
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"{where} expects a pandas DataFrame, got {type(frame).__name__}")
    names = [str(label) for label in frame.columns]
    if len(set(names)) != len(names):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise UsageError(
            f"{where}: the frame has duplicated column names {duplicated}; every column needs its own "
            "name. Rename them or drop the copies (frame.loc[:, ~frame.columns.duplicated()])"
        )
    return {str(label): label for label in frame.columns}


def near_match(name: str, candidates: list[str]) -> str | None:
    """The candidate ``name`` was most likely meant as: same text up to case and padding, else the closest.

    ``difflib.get_close_matches`` (ratio of matching characters >= 0.8) finds
    a renamed or mistyped column: ``'MAUT1 '`` for ``'MAUT1'``.
    """
    folded = name.strip().casefold()
    for candidate in candidates:
        if candidate.strip().casefold() == folded:
            return candidate
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def describe_missing(missing: list[str], labels: list[str], *, shown: int = 5) -> str:
    """Short text naming the first ``shown`` missing columns, each with a near-match hint among ``labels``."""
    parts = []
    for name in missing[:shown]:
        hint = near_match(name, labels)
        parts.append(f"{name!r}" + (f" (did you mean {hint!r}?)" if hint is not None else ""))
    more = f" and {len(missing) - shown} more" if len(missing) > shown else ""
    return ", ".join(parts) + more


def conform(
    frame: pd.DataFrame,
    schema: Schema,
    *,
    keep: tuple[str, ...] = (),
    warn: bool = True,
    columns: tuple[str, ...] | None = None,
    missing: Literal["raise", "reject"] = "raise",
) -> Conformed:
    """Turn ``frame`` into the model's input and find the rows that cannot be scored.

    Columns come back in the schema's order; columns the schema does not know
    are dropped (with an :class:`ExtraColumnsWarning` unless listed in ``keep``
    or among the schema's key columns); dtypes are coerced when that loses
    nothing (see the module docstring). A row cannot be scored when a value
    does not parse as its column's type, is missing where the reference never
    was, is infinite, or is a level the model never saw and cannot take.

    Parameters
    ----------
    frame : pandas.DataFrame
    schema : Schema
    keep : tuple of str
        Further columns to pass over quietly (key columns).
    warn : bool, default True
        Warn about dropped columns.
    columns : tuple of str, optional
        Conform only these schema columns (``check_schema`` reports a missing
        column as an outcome instead of raising).
    missing : {"raise", "reject"}, default "raise"
        A schema column the frame lacks: ``"raise"`` a UsageError;
        ``"reject"`` every row with reason code ``missing_column`` (what
        ``Bundle.score`` does, so a bad batch fails ``check_coverage``, the
        same decision ``check_schema`` makes). Either way the text names at
        most 5 missing columns, each with its near match in the frame
        (``did you mean 'MAUT1 '?``).

    Raises
    ------
    UsageError
        The frame lacks a column of the schema (``missing="raise"``), has
        duplicated column names, or is not a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import conform, infer_schema
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]}))
    >>> out = conform(pd.DataFrame({"c": ["a", "z"], "x": [1, 2]}), schema)
    >>> list(out.features.columns), out.bad.tolist(), out.reasons[1], out.reason_codes().tolist()
    (['x', 'c'], [False, True], ["c: unseen category 'z'"], ['unseen_category'])
    """
    labels = column_labels(frame, where="conform")
    wanted = schema.names if columns is None else columns
    absent = [name for name in wanted if name not in labels]
    known = set(schema.names) | set(keep) | set(schema.keys)
    extra = tuple(name for name in labels if name not in known)
    if absent and missing == "raise":
        raise UsageError(
            f"the frame lacks {len(absent)} of the model's {len(schema.names)} columns: "
            f"{describe_missing(absent, list(extra))}. Add or rename them (a column may hold missing "
            "values if the schema allows them); bundle.schema.names lists every column"
        )
    if extra and warn:
        warnings.warn(
            f"dropped {len(extra)} column(s) the model was not trained on: {list(extra)[:10]}",
            ExtraColumnsWarning,
            stacklevel=3,
        )
    collect = _Reasons(len(frame))
    if absent and len(frame):  # every row rejected with one short reason; check_schema counts the same
        every = np.arange(len(frame))
        collect.bad[:] = True
        collect.parts.append(
            pd.Series(f"missing column {describe_missing(absent, list(extra))}", index=every)
        )
        collect.codes.append((RejectReason.MISSING_COLUMN, every))
        collect.counts.update({(name, RejectReason.MISSING_COLUMN): len(frame) for name in absent})
    out: dict[str, pd.Series] = {}
    coerced: dict[str, str] = {}
    for spec in schema.columns:
        if spec.name not in wanted:
            continue
        if spec.name not in labels:  # a stand-in: every row is rejected above
            out[spec.name] = pd.Series(np.nan, index=frame.index, name=spec.name, dtype="float64")
            continue
        series = frame[labels[spec.name]]
        conformer = _CONFORMERS.get(spec.kind)
        values = conformer(series, spec, collect) if conformer else series
        if str(values.dtype) != str(series.dtype):
            coerced[spec.name] = f"{series.dtype} -> {values.dtype}"
        out[spec.name] = values
    if (
        not coerced
        and [str(c) for c in frame.columns] == list(wanted)
        and list(frame.columns) == list(wanted)
    ):
        features = frame
    else:
        features = pd.DataFrame(out, index=frame.index, copy=False)
    return Conformed(
        features,
        collect.bad,
        tuple(collect.parts),
        extra,
        coerced,
        codes=tuple(collect.codes),
        counts=dict(collect.counts),
        casts=dict(collect.casts),
        unseen_passed=dict(collect.unseen_passed),
    )


# -- the form the model takes its input in ---------------------------------------------
def _first_step(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[0], tuple):
        return _first_step(steps[0][1])
    return model


def input_form(model: Any) -> InputForm:
    """The form the model takes its input in: ``"frame"`` (column names) or ``"array"``.

    A model that recorded ``feature_names_in_`` was fit on a frame. A model
    whose first step is not scikit-learn's (the user's own transformer, which
    may select columns by name) gets the frame too: a frame is what it was
    most likely fit on, and what scikit-learn's own steps also accept. Only a
    scikit-learn model that recorded no column names was fit on an array.
    """
    if hasattr(model, "feature_names_in_"):
        return "frame"
    first = _first_step(model)
    module = type(first).__module__ or ""
    return "array" if module.split(".")[0] == "sklearn" else "frame"


def as_input(features: pd.DataFrame, form: str) -> Any:
    """``features`` in the given form."""
    return features if form == "frame" else features.to_numpy()
