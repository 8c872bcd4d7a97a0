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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlcheck._validation import SEVERITY, InstanceOf, Interval, SequenceOf, validate_options
from mlcheck._dask import DASK_FRAME, is_dask, reduce_partitions
from mlcheck.contracts import register_check
from mlcheck.contracts.conform import (
    TYPE_REASONS,
    Conformed,
    ExtraColumnsWarning,
    RejectReason,
    column_labels,
    conform,
    near_match,
)
from mlcheck.contracts.schema_tally import MAX_ROWS_LISTED, ColumnTally, SchemaTally, measure
from mlcheck.errors import UsageError
from mlcheck.kinds import Kind, kind_of, kind_of_values, label_of, labels_of
from mlcheck.results import CheckResult, Outcome
from mlcheck.results.record import Severity

__all__ = [
    "ColumnSchema",
    "Conformed",
    "ExtraColumnsWarning",
    "RejectReason",
    "Schema",
    "check_schema",
    "conform",
    "infer_schema",
]

#: Version 2 spells levels with :func:`mlcheck.kinds.label_of` and keeps every level;
#: version 1 spelled them with ``str()`` and dropped them above 1,000 (still read).
SCHEMA_VERSION = 2
#: How scoring treats a level training never saw: refuse the row, or pass it to a model that handles it.
Unknown = Literal["reject", "model"]


@dataclass(frozen=True)
class ColumnSchema:
    """What one column looked like in the reference frame.

    ``kind`` is the column's kind in :mod:`mlcheck.kinds`' vocabulary (the same
    word the profile writes); ``levels`` are every training level of a
    categorical column, spelled by :func:`mlcheck.kinds.label_of`; ``unknown``
    says whether scoring refuses a row with an unseen level (``"reject"``) or
    passes it to the model, which handles unknown levels itself (``"model"``,
    read from its encoder at export).
    """

    name: str
    dtype: str
    kind: Kind
    nullable: bool
    null_fraction: float = 0.0
    min: float | None = None
    max: float | None = None
    levels: tuple[str, ...] | None = None
    unknown: Unknown = "reject"
    #: read from a version 1 schema: levels spelled with str() ("2.0"), compared both ways
    legacy_levels: bool = field(default=False, compare=False)

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
            "unknown": self.unknown,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int = SCHEMA_VERSION) -> ColumnSchema:
        if not isinstance(data, Mapping):
            raise TypeError(f"a schema column must be a mapping, got {type(data).__name__}")
        levels = data.get("levels")
        kind = data["kind"]
        if kind not in ("float", "integer", "boolean", "categorical", "datetime", "other"):
            raise ValueError(f"column {data.get('name')!r}: unknown kind {kind!r}")
        unknown = data.get("unknown", "reject")
        if unknown not in ("reject", "model"):
            raise ValueError(
                f"column {data.get('name')!r}: unknown must be 'reject' or 'model', got {unknown!r}"
            )
        if levels is not None and (isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence)):
            raise TypeError(f"column {data.get('name')!r}: levels must be a list")
        return cls(
            name=str(data["name"]),
            dtype=str(data["dtype"]),
            kind=kind,
            nullable=bool(data["nullable"]),
            null_fraction=float(data.get("null_fraction", 0.0)),
            min=None if data.get("min") is None else float(data["min"]),
            max=None if data.get("max") is None else float(data["max"]),
            levels=None if levels is None else tuple(str(level) for level in levels),
            unknown=unknown,
            legacy_levels=version < 2,
        )


@dataclass(frozen=True)
class Schema:
    """The columns a model was trained on, in order, with their reference statistics.

    ``keys`` names the columns that identify a row (an id): they are not
    features, but a batch may carry them without a warning, and scoring
    copies them to its predictions and rejects.

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
    keys: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def __getitem__(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def replace_columns(self, columns: Sequence[ColumnSchema]) -> Schema:
        """The same schema with ``columns`` instead of its own."""
        return Schema(tuple(columns), self.n_reference_rows, dict(self.metadata), self.keys)

    def to_dict(self) -> dict[str, Any]:
        legacy = any(column.legacy_levels for column in self.columns)
        return {
            "format": "mlcheck-schema",
            "version": 1 if legacy else SCHEMA_VERSION,
            "n_reference_rows": self.n_reference_rows,
            "columns": [column.to_dict() for column in self.columns],
            "keys": list(self.keys),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        if not isinstance(data, Mapping) or data.get("format") != "mlcheck-schema":
            raise UsageError("not an mlcheck schema: expected a mapping with format 'mlcheck-schema'")
        version = data.get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise UsageError(f"not an mlcheck schema: version must be a positive integer, got {version!r}")
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"schema version {data.get('version')} is newer than this mlcheck understands "
                f"({SCHEMA_VERSION}); upgrade mlcheck"
            )
        try:
            columns = data["columns"]
            if not isinstance(columns, list):
                raise TypeError(f"schema columns must be a list, got {type(columns).__name__}")
            keys = data.get("keys") or []
            if not isinstance(keys, list):
                raise TypeError(f"schema keys must be a list, got {type(keys).__name__}")
            metadata = data.get("metadata") or {}
            if not isinstance(metadata, Mapping):
                raise TypeError(f"schema metadata must be a mapping, got {type(metadata).__name__}")
            return cls(
                columns=tuple(ColumnSchema.from_dict(column, version=version) for column in columns),
                n_reference_rows=int(data.get("n_reference_rows", 0)),
                metadata=dict(metadata),
                keys=tuple(str(key) for key in keys),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(
                f"malformed mlcheck schema: {error!s} (a missing or wrong-typed field); "
                "infer it again from the reference frame (mc.infer_schema) or export the bundle again"
            ) from None


# -- inference ----------------------------------------------------------------
def _finite_bound(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _names(option: str | Sequence[str] | None, label: str) -> tuple[str, ...]:
    if option is None:
        return ()
    if isinstance(option, str):
        return (option,)
    if not isinstance(option, Sequence) or not all(isinstance(name, str) for name in option):
        raise UsageError(f"{label} must be a column name or a list of column names, got {option!r}")
    return tuple(option)


def infer_schema(
    reference: pd.DataFrame,
    *,
    keys: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Schema:
    """Infer the schema of ``reference``: kinds, dtypes, nullability, ranges and levels.

    Every level of a categorical column is kept, at any cardinality, so the
    level check of :func:`check_schema` and of scoring stays exact (a column
    of free text or ids belongs in ``keys`` or ``exclude``, not in the schema).

    Parameters
    ----------
    reference : pandas.DataFrame
        The frame the model was trained on.
    keys : str or list of str, optional
        Columns that identify a row (ids): recorded as keys, not as features.
    exclude : str or list of str, optional
        Columns that are neither features nor keys (the label, say): left out.

    Returns
    -------
    Schema

    Raises
    ------
    UsageError
        ``reference`` is not a DataFrame, has duplicated column names, or
        ``keys``/``exclude`` name columns it lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import infer_schema
    >>> schema = infer_schema(pd.DataFrame({"x": [1.0, None, 3.0], "c": [2.0, 1, "a"]}))
    >>> schema["x"].nullable, schema["x"].min, schema["x"].max, schema["c"].levels
    (True, 1.0, 3.0, ('1', '2', 'a'))
    """
    labels = column_labels(reference, where="infer_schema")
    key_names, excluded = _names(keys, "keys"), _names(exclude, "exclude")
    unknown = [name for name in (*key_names, *excluded) if name not in labels]
    if unknown:
        raise UsageError(
            f"infer_schema: keys/exclude name columns the reference lacks: {unknown}; "
            f"its columns are {list(labels)[:20]}"
        )
    n_rows = len(reference)
    columns = []
    for name, label in labels.items():
        if name in key_names or name in excluded:
            continue
        series = reference[label]
        kind = kind_of_values(series)
        n_null = int(series.isna().sum())
        low = high = None
        levels = None
        if kind in ("float", "integer") and n_rows > n_null:
            numbers = pd.to_numeric(series, errors="coerce") if series.dtype == object else series
            low, high = _finite_bound(numbers.min()), _finite_bound(numbers.max())
        elif kind == "categorical":
            if isinstance(series.dtype, pd.CategoricalDtype):
                levels = tuple(label_of(level) for level in series.cat.categories)
            else:
                levels = tuple(sorted(set(labels_of(series.dropna()).unique().tolist())))
        columns.append(
            ColumnSchema(
                name=name,
                dtype=str(series.dtype),
                kind=kind,
                nullable=n_null > 0,
                null_fraction=n_null / n_rows if n_rows else 0.0,
                min=low,
                max=high,
                levels=levels,
            )
        )
    return Schema(columns=tuple(columns), n_reference_rows=n_rows, keys=key_names)


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


# -- the check ------------------------------------------------------------------
def _precision_loss(dtype: Any, spec: ColumnSchema) -> str:
    """A float column narrower than training's (float32 for float64): digits were lost upstream."""
    if spec.kind != "float" or kind_of(dtype) != "float" or str(dtype) == spec.dtype:
        return ""
    seen_bits = np.dtype(dtype).itemsize if isinstance(dtype, np.dtype) else 8
    expected_bits = np.dtype(spec.dtype).itemsize if spec.dtype in ("float16", "float32", "float64") else 8
    if seen_bits < expected_bits:
        return f"dtype {dtype}, expected {spec.dtype}"  # fewer digits than training had
    return ""


_FRACTION = Interval(Real, 0, 1, description="a fraction in [0, 1]")


def _duplicate_keys(frame: Any, keys: list[str], distributed: bool) -> tuple[int, str]:
    """(rows whose key an earlier row has, one such key as text); a missing key value counts as a value."""
    if distributed:
        n_rows = int(frame.shape[0].compute())
        distinct = int(frame[keys].drop_duplicates(split_out=max(1, frame.npartitions)).shape[0].compute())
        return n_rows - distinct, "not listed for a Dask frame"
    repeated = frame.duplicated(subset=keys, keep="first")
    count = int(repeated.sum())
    if not count:
        return 0, ""
    first = frame.loc[repeated.to_numpy(), keys].iloc[0]
    return count, ", ".join(f"{name}={first[name]!r}" for name in keys)


@register_check("check_schema")
@validate_options(
    {
        "frame": [InstanceOf(pd.DataFrame, description="a pandas DataFrame"), DASK_FRAME],
        "max_null_increase": [_FRACTION],
        "max_out_of_range": [_FRACTION],
        "exclude": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
        "key": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
        "severity": [SEVERITY],
    }
)
def check_schema(
    frame: pd.DataFrame,
    schema: Any,
    *,
    max_null_increase: float = 0.01,
    max_out_of_range: float = 0.01,
    exclude: str | Sequence[str] | None = None,
    key: str | Sequence[str] | None = None,
    severity: Severity = "error",
) -> CheckResult:
    """Check a batch against the schema of the data the model was trained on.

    The batch goes through the same conform step as ``Bundle.score``
    (:func:`mlcheck.contracts.conform.conform`), so the rows this check counts
    as unscorable are exactly the rows scoring rejects, with the same reason
    codes; lossless casts (whole-valued floats into an integer column,
    ``"True"``/``"False"`` into a boolean one, nullable dtypes) pass with a note
    in ``details["casts"]``.

    One outcome per column, named by the column, that holds when every aspect
    holds: the column is present; its dtype loses no digits against the
    reference's (float32 for a float64 column fails); at most
    ``max_out_of_range`` of its values are not of its type (a fraction in an
    integer column, text in a numeric one: refused per row); its fraction of
    missing values exceeds the reference's by at most ``max_null_increase``;
    and at most ``max_out_of_range`` of its values fall outside the reference
    range or are levels the reference never had (every training level is
    kept, so this is exact at any cardinality). A failed outcome's
    ``observed`` and ``threshold`` hold only the aspects that failed and its
    message names each of them; a passed one holds the missing fraction.
    Columns the schema does not know make one passing ``extra_columns``
    outcome (key columns of the schema are not extra). With ``key``, one
    more outcome, ``key``, holds when the key columns are present and no two
    rows share a key: a batch scored twice over, or a join that multiplied
    rows, writes predictions whose keys repeat, and every later join on the
    key (delayed labels) counts each copy as evidence.

    ``details``: ``columns`` (column -> the figure of every aspect,
    failed or not: ``dtype``, ``nulls``, ``null_limit``, ``invalid``, ``outside``,
    ``passed``), ``failing`` (column -> what broke), ``extra_columns``, ``n_unscorable`` and
    ``unscorable_rows`` (positions, at most 1,000) of the rows scoring would
    reject, ``reason_counts`` (reason code -> rows), ``casts`` (column ->
    lossless cast), ``unseen_passed`` (column -> rows whose unseen level the
    model handles itself).

    Parameters
    ----------
    frame : pandas.DataFrame or dask.dataframe.DataFrame
        The batch to check. A Dask frame is counted partition by partition on
        its workers (:mod:`mlcheck.contracts.schema_tally`) and the counts
        merged: the same result as on the whole frame in pandas.
    schema : Schema, dict or pandas.DataFrame
        ``bundle.schema``, its dict form, or a reference frame to infer it from.
    max_null_increase : float, default 0.01
        Allowed rise of a column's missing fraction over the reference's.
    max_out_of_range : float, default 0.01
        Allowed fraction of values outside the reference range or levels, and
        of values not of the column's type.
    exclude : str or list of str, optional
        Schema columns not to check (they are not reported as missing).
    key : str or list of str, optional
        The columns that identify a row (as ``Bundle.score``'s ``key``): they
        must be present and unique together. ``details["duplicate_keys"]``
        counts the rows whose key an earlier row has. On a Dask frame the
        distinct keys are counted by Dask (a shuffle of the key columns only).
    severity : {"error", "warning"}

    Raises
    ------
    UsageError
        ``frame`` is not a DataFrame or has duplicated column names; an option is out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.contracts.schema import check_schema
    >>> reference = pd.DataFrame({"x": [0.0, 1.0, 2.0], "c": ["a", "b", "a"]})
    >>> result = check_schema(pd.DataFrame({"x": [0.5, 1.5], "c": ["a", "z"]}), reference)
    >>> result.passed, [(o.subject, o.message) for o in result.outcomes if not o.passed]
    (False, [('c', "50% of values unseen in training: 'z'")])
    >>> result.details["unscorable_rows"], result.details["reason_counts"]
    ([1], {'unseen_category': 1})
    """
    distributed = is_dask(frame)
    labels = column_labels(frame._meta if distributed else frame, where="check_schema")
    spec_schema = as_schema(schema)
    excluded = set(_names(exclude, "check_schema: exclude"))
    if excluded:
        spec_schema = spec_schema.replace_columns([c for c in spec_schema.columns if c.name not in excluded])
    present = tuple(name for name in spec_schema.names if name in labels)
    if distributed:  # each partition counted on the workers; only the counts come back, merged in order
        tally = reduce_partitions(frame, measure, SchemaTally.merge, spec_schema, present)
    else:
        tally = measure(frame, spec_schema, present)
    n_rows = tally.n_rows
    outcomes: list[Outcome] = []
    failing: dict[str, str] = {}  # column -> what broke, one short line each
    columns: dict[str, dict[str, Any]] = {}  # column -> every aspect's figure, failed or not
    for spec in spec_schema.columns:
        if spec.name not in labels:
            hint = near_match(spec.name, [name for name in labels if name not in spec_schema.names])
            said = "column is missing" + (f" (did you mean {hint!r}?)" if hint is not None else "")
            outcomes.append(Outcome(spec.name, False, {"present": False}, {"present": True}, said))
            failing[spec.name] = said
            columns[spec.name] = {"present": False, "passed": False}
            continue
        figures: dict[str, Any] = {}
        outcome = _column_outcome(
            tally.columns[spec.name],
            spec,
            float(max_null_increase),
            float(max_out_of_range),
            figures,
        )
        columns[spec.name] = {**figures, "passed": outcome.passed}
        outcomes.append(outcome)
        if not outcome.passed:
            failing[spec.name] = outcome.message
    key_names = _names(key, "check_schema: key")
    duplicate_keys = None
    if key_names:
        absent = [name for name in key_names if name not in labels]
        if absent:
            said = f"key column(s) missing: {', '.join(absent)}"
            outcomes.append(Outcome("key", False, {"present": False}, {"present": True}, said))
            failing["key"] = said
        else:
            duplicate_keys, example = _duplicate_keys(frame, list(key_names), distributed)
            if duplicate_keys:
                said = (
                    f"{duplicate_keys} row(s) repeat an earlier row's key (e.g. {example}); "
                    f"a key must identify one row: was the batch scored twice, or a join multiplied rows?"
                )
            else:
                said = f"every row has its own key ({', '.join(key_names)})"
            outcomes.append(Outcome("key", not duplicate_keys, duplicate_keys, 0, said))
            if duplicate_keys:
                failing["key"] = said
    known = set(spec_schema.names) | set(spec_schema.keys) | set(key_names) | excluded
    extra = [name for name in labels if name not in known]
    if extra:
        shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
        outcomes.append(Outcome("extra_columns", True, len(extra), None, f"ignored: {shown}"))
    failed = [outcome for outcome in outcomes if not outcome.passed]
    n_columns = len(spec_schema.columns)
    if not failed:
        message = f"{n_rows} rows match the schema of {n_columns} columns"
        casts = [name for name in spec_schema.names if name in tally.casts]  # the schema's order
        if casts:
            message += f" ({len(casts)} column(s) cast without loss: {', '.join(casts)})"
    else:
        # one failing column is named with what broke; several are named only (each outcome
        # says what broke), so the headline stays one line in the card, the text and the JSON
        named = (
            f"{failed[0].subject} ({failed[0].message})"
            if len(failed) == 1
            else ", ".join(o.subject for o in failed[:8]) + (", …" if len(failed) > 8 else "")
        )
        message = f"{len(failed)} of {n_columns} columns break the schema: {named}"
    missing_columns = len(present) < n_columns
    unscorable = np.arange(min(n_rows, MAX_ROWS_LISTED)) if missing_columns else tally.unscorable
    reason_counts = dict(tally.reason_counts)
    if missing_columns and n_rows:
        reason_counts["missing_column"] = n_rows
    return CheckResult(
        "check_schema",
        passed=not failed,
        severity=severity,
        observed=len(failed),
        threshold=0,
        details={
            "n_rows": n_rows,
            "n_columns": n_columns,
            "failing": failing,
            "columns": columns,
            "extra_columns": extra,
            "n_extra_columns": len(extra),
            "n_unscorable": n_rows if missing_columns else tally.n_unscorable,
            "unscorable_rows": unscorable[:MAX_ROWS_LISTED].tolist(),
            "reason_counts": reason_counts,
            "casts": {name: tally.casts[name] for name in spec_schema.names if name in tally.casts},
            "unseen_passed": dict(tally.unseen_passed),
            "duplicate_keys": duplicate_keys,
        },
        message=message,
        outcomes=tuple(outcomes),
    )


def _share(fraction: float) -> str:
    """A fraction as a short percent: 0.1216 -> '12%', 0.005 -> '0.5%'."""
    return f"{float(f'{fraction * 100.0:.2g}'):g}%"


_TYPE_WORDS = {
    RejectReason.NOT_A_NUMBER: "not numbers",
    RejectReason.NOT_AN_INTEGER: "not integers",
    RejectReason.TOO_LARGE: "too large for a 64-bit integer",
    RejectReason.NOT_A_BOOLEAN: "not booleans",
    RejectReason.NOT_A_DATE: "not dates",
}


def _column_outcome(
    tally: ColumnTally,
    spec: ColumnSchema,
    max_null_increase: float,
    max_out_of_range: float,
    figures: dict[str, Any] | None = None,
) -> Outcome:
    """One verdict over every aspect of a present column; only failed aspects are reported.

    ``figures``, when given, receives every aspect's figure, failed or not (the
    column's full record in ``details["columns"]``).
    """
    observed: dict[str, Any] = {}
    threshold: dict[str, Any] = {}
    problems: list[str] = []
    narrower = _precision_loss(tally.dtype, spec)
    if narrower:
        observed["dtype"], threshold["dtype"] = str(tally.dtype), spec.dtype
        problems.append(narrower)
    n_rows = tally.n_rows
    invalid = {code: tally.invalid.get(code, 0) for code in TYPE_REASONS}
    n_invalid = sum(invalid.values())
    if n_rows and n_invalid / n_rows > max_out_of_range:
        observed["invalid"], threshold["invalid"] = _round(n_invalid / n_rows), max_out_of_range
        what = ", ".join(f"{_share(n / n_rows)} {_TYPE_WORDS[code]}" for code, n in invalid.items() if n)
        problems.append(f"values of another type than {spec.dtype}: {what}")
    null_fraction = tally.n_null / n_rows if n_rows else 0.0
    null_limit = min(1.0, spec.null_fraction + max_null_increase)
    if null_fraction > null_limit:
        observed["nulls"], threshold["nulls"] = _round(null_fraction), _round(null_limit)
        had = "none" if spec.null_fraction == 0 else _share(spec.null_fraction)
        problems.append(f"{_share(null_fraction)} missing, training had {had}")
    outside, what = tally.outside, tally.what
    examples = list(tally.unseen)[:UNSEEN_EXAMPLES]
    if outside is not None and outside > max_out_of_range:
        observed["outside"], threshold["outside"] = _round(outside), max_out_of_range
        shown = ", ".join(repr(value) for value in examples)
        problems.append(f"{_share(outside)} of values {what}" + (f": {shown}" if shown else ""))
    if figures is not None:
        figures.update(
            dtype=str(tally.dtype),
            nulls=_round(null_fraction),
            null_limit=_round(null_limit),
            invalid=_round(n_invalid / n_rows) if n_rows else 0,
            outside=None if outside is None else _round(outside),
        )
    if not problems:  # the headline aspect as bare numbers
        return Outcome(spec.name, True, _round(null_fraction), _round(null_limit))
    return Outcome(spec.name, False, observed, threshold, "; ".join(problems))


def _round(value: float) -> float | int:
    """Four significant digits: enough to read, short in the saved JSON (0.0 is written 0)."""
    number = float(f"{value:.4g}")
    return 0 if number == 0 else number


#: a failing categorical column names at most this many of its unseen values
UNSEEN_EXAMPLES = 3
