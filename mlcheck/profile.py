"""Mergeable data profiles: the reference summary that shift checks compare against.

A :class:`Profile` summarizes a frame column by column without holding a
single raw row. A numeric column keeps its bin edges (quantiles of the
reference, outer edges open at -inf/+inf), the count per bin, the missing,
-inf and +inf counts apart, and min, max and sum. A categorical column keeps
the count per level, ``__other__`` for the levels beyond the top 1,000 (or,
binned on a reference, for the levels the reference never saw), and the
missing count. Profiles binned on the same edges merge exactly (counts add),
so a large data set is profiled chunk by chunk or partition by partition.
"""

from __future__ import annotations

import itertools
import math
import sys
import types
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlcheck.errors import UsageError

__all__ = [
    "MAX_LEVELS",
    "OTHER",
    "CategoricalColumn",
    "NumericColumn",
    "Profile",
    "profile",
    "streaming_bins",
]

#: The level every value outside a categorical column's kept levels falls into.
OTHER = "__other__"
#: A categorical column keeps at most this many levels; the rest fold into ``__other__``.
MAX_LEVELS = 1000
#: An integer column with at most this many distinct values is profiled as categorical.
MAX_INTEGER_LEVELS = 20
#: Rows a Dask frame's edges are drawn from (a seeded uniform sample).
SAMPLE_ROWS = 1_000_000
FORMAT = "mlcheck-profile"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class NumericColumn:
    """Summary of a numeric column: counts on bins with open outer edges.

    ``edges`` are the inner edges; bin ``i`` holds ``edges[i-1] <= x < edges[i]``
    (the first bin is ``x < edges[0]``, the last ``x >= edges[-1]``). ``counts``
    cover finite values only; missing values and -inf/+inf are counted apart.
    """

    dtype: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    missing: int = 0
    neg_inf: int = 0
    pos_inf: int = 0
    minimum: float | None = None
    maximum: float | None = None
    total: float | None = 0.0
    kind: str = field(default="numeric", init=False)

    @property
    def n_rows(self) -> int:
        return sum(self.counts) + self.missing + self.neg_inf + self.pos_inf

    @property
    def n_finite(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        """Mean of the finite values (None when there are none)."""
        n = self.n_finite
        return None if n == 0 or self.total is None else self.total / n

    def same_bins(self, other: ColumnSummary) -> bool:
        return isinstance(other, NumericColumn) and self.edges == other.edges

    def merge(self, other: NumericColumn) -> NumericColumn:
        def pick(a: float | None, b: float | None, choose: Any) -> float | None:
            return b if a is None else a if b is None else choose(a, b)

        total = None if self.total is None or other.total is None else self.total + other.total
        return NumericColumn(
            dtype=self.dtype,
            edges=self.edges,
            counts=tuple(a + b for a, b in zip(self.counts, other.counts)),
            missing=self.missing + other.missing,
            neg_inf=self.neg_inf + other.neg_inf,
            pos_inf=self.pos_inf + other.pos_inf,
            minimum=pick(self.minimum, other.minimum, min),
            maximum=pick(self.maximum, other.maximum, max),
            total=total if total is None or math.isfinite(total) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "numeric",
            "dtype": self.dtype,
            "edges": list(self.edges),
            "counts": list(self.counts),
            "missing": self.missing,
            "neg_inf": self.neg_inf,
            "pos_inf": self.pos_inf,
            "min": self.minimum,
            "max": self.maximum,
            "sum": self.total,
        }


@dataclass(frozen=True)
class CategoricalColumn:
    """Summary of a categorical column: counts per level, ``__other__`` and missing.

    Levels are compared by their text (``"3"`` for the integer 3 and for the
    float 3.0, ``"True"`` for a boolean); ``notes`` says when a column mixed
    value types or held unhashable values.
    """

    dtype: str
    levels: tuple[str, ...]
    counts: tuple[int, ...]
    other: int = 0
    missing: int = 0
    notes: tuple[str, ...] = ()
    kind: str = field(default="categorical", init=False)

    @property
    def n_rows(self) -> int:
        return sum(self.counts) + self.other + self.missing

    def same_bins(self, other: ColumnSummary) -> bool:
        return isinstance(other, CategoricalColumn) and self.levels == other.levels

    def merge(self, other: CategoricalColumn) -> CategoricalColumn:
        return CategoricalColumn(
            dtype=self.dtype,
            levels=self.levels,
            counts=tuple(a + b for a, b in zip(self.counts, other.counts)),
            other=self.other + other.other,
            missing=self.missing + other.missing,
            notes=tuple(dict.fromkeys(self.notes + other.notes)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "categorical",
            "dtype": self.dtype,
            "levels": list(self.levels),
            "counts": list(self.counts),
            "other": self.other,
            "missing": self.missing,
            "notes": list(self.notes),
        }


ColumnSummary = NumericColumn | CategoricalColumn


def _column_from_dict(name: str, data: Mapping[str, Any]) -> ColumnSummary:
    kind = data.get("kind")
    if kind == "numeric":
        return NumericColumn(
            dtype=str(data["dtype"]),
            edges=tuple(float(e) for e in data["edges"]),
            counts=tuple(int(c) for c in data["counts"]),
            missing=int(data["missing"]),
            neg_inf=int(data["neg_inf"]),
            pos_inf=int(data["pos_inf"]),
            minimum=None if data["min"] is None else float(data["min"]),
            maximum=None if data["max"] is None else float(data["max"]),
            total=None if data["sum"] is None else float(data["sum"]),
        )
    if kind == "categorical":
        return CategoricalColumn(
            dtype=str(data["dtype"]),
            levels=tuple(str(level) for level in data["levels"]),
            counts=tuple(int(c) for c in data["counts"]),
            other=int(data["other"]),
            missing=int(data["missing"]),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )
    raise UsageError(f"profile column {name!r}: kind must be 'numeric' or 'categorical', got {kind!r}")


@dataclass(frozen=True)
class Profile:
    """A mergeable, JSON-serializable summary of a frame; it holds no raw rows.

    Build one with :func:`profile`. ``columns`` maps each column name to a
    :class:`NumericColumn` or :class:`CategoricalColumn`, in the frame's order.

    Examples
    --------
    >>> import pandas as pd, mlcheck as mc
    >>> reference = mc.profile(pd.DataFrame({"x": [1.5, 2.5, 3.5, 4.5], "c": list("abab")}))
    >>> reference.n_rows, reference["c"].levels
    (4, ('a', 'b'))
    >>> mc.Profile.from_dict(reference.to_dict()) == reference
    True
    """

    n_rows: int
    columns: Mapping[str, ColumnSummary]
    bins: int = 20

    def __getitem__(self, name: str) -> ColumnSummary:
        try:
            return self.columns[name]
        except KeyError:
            raise UsageError(
                f"profile has no column {name!r}; its columns are: {', '.join(self.columns) or '(none)'}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        return len(self.columns)

    def __repr__(self) -> str:
        kinds = Counter(column.kind for column in self.columns.values())
        return (
            f"Profile(n_rows={self.n_rows}, columns={len(self.columns)}: "
            f"{kinds.get('numeric', 0)} numeric, {kinds.get('categorical', 0)} categorical)"
        )

    @property
    def features(self) -> list[str]:
        return list(self.columns)

    def merge(self, other: Profile) -> Profile:
        """The profile of both data sets together; exact for profiles on the same bins.

        Profile the chunks with ``edges_from=`` one reference so their bins
        agree; profiles binned differently cannot be merged exactly and raise.

        Examples
        --------
        >>> import pandas as pd, mlcheck as mc
        >>> whole = pd.DataFrame({"x": range(10)}, dtype=float)
        >>> reference = mc.profile(whole)
        >>> head = mc.profile(whole.iloc[:4], edges_from=reference)
        >>> tail = mc.profile(whole.iloc[4:], edges_from=reference)
        >>> head.merge(tail) == reference
        True
        """
        if not isinstance(other, Profile):
            raise UsageError(f"Profile.merge expects a Profile, got {type(other).__name__}")
        if list(self.columns) != list(other.columns):
            raise UsageError(
                "Profile.merge: the two profiles have different columns "
                f"({sorted(set(self.columns) ^ set(other.columns)) or 'same names, other order'}); "
                "profile every chunk with the same columns"
            )
        merged: dict[str, ColumnSummary] = {}
        for name, column in self.columns.items():
            theirs = other.columns[name]
            if not column.same_bins(theirs):
                what = "edges" if column.kind == theirs.kind == "numeric" else "levels"
                raise UsageError(
                    f"Profile.merge: column {name!r} is binned differently in the two profiles ("
                    + (f"{column.kind} vs {theirs.kind}" if column.kind != theirs.kind else f"other {what}")
                    + "); build every chunk's profile with mc.profile(chunk, edges_from=reference) so the bins agree"
                )
            merged[name] = column.merge(theirs)  # type: ignore[arg-type]
        return Profile(n_rows=self.n_rows + other.n_rows, columns=merged, bins=self.bins)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (no NaN, no infinity); :meth:`from_dict` restores it exactly."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "n_rows": self.n_rows,
            "bins": self.bins,
            "columns": [{"name": name, **column.to_dict()} for name, column in self.columns.items()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Rebuild a profile written by :meth:`to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise UsageError(
                f"not an mlcheck profile: expected a JSON object with format {FORMAT!r}, "
                f"got {type(data).__name__}"
                + (f" with format {data.get('format')!r}" if isinstance(data, Mapping) else "")
            )
        if data.get("version") != FORMAT_VERSION:
            raise UsageError(
                f"profile format version {data.get('version')!r} is not supported "
                f"(this mlcheck reads version {FORMAT_VERSION}); re-profile the data"
            )
        try:
            columns = {str(c["name"]): _column_from_dict(str(c["name"]), c) for c in data["columns"]}
            return cls(n_rows=int(data["n_rows"]), columns=columns, bins=int(data.get("bins", 20)))
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"malformed mlcheck profile: missing or invalid field ({error!r})") from None


# -- building a profile ------------------------------------------------------------
def label_of(value: Any) -> str:
    """The text a categorical value is compared by (3 and 3.0 both read ``"3"``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def _split_sorted(values: np.ndarray) -> tuple[np.ndarray, int, int, int]:
    """Sort once; return the sorted finite values and the missing, -inf, +inf counts."""
    ordered = np.sort(values)  # NaN sorts last, -inf first, +inf just before NaN
    n_missing = int(np.count_nonzero(np.isnan(ordered))) if ordered.size and np.isnan(ordered[-1]) else 0
    end = ordered.size - n_missing
    n_neg = int(np.searchsorted(ordered[:end], -np.inf, side="right"))
    n_pos = end - int(np.searchsorted(ordered[:end], np.inf, side="left"))
    return ordered[n_neg : end - n_pos], n_missing, n_neg, n_pos


def _quantile_edges(finite_sorted: np.ndarray, bins: int) -> tuple[float, ...]:
    """Inner edges at the reference's quantiles (numpy's linear method), duplicates dropped."""
    m = finite_sorted.size
    if m == 0 or bins <= 1:
        return ()
    low, high = float(finite_sorted[0]), float(finite_sorted[-1])
    if low == high:  # a constant column: below, exactly at, and above its value
        return (low, float(np.nextafter(low, np.inf)))
    position = (m - 1) * (np.arange(1, bins) / bins)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, m - 1)
    lower_values = finite_sorted[below]
    edges = lower_values + (position - below) * (finite_sorted[above] - lower_values)
    return tuple(float(e) for e in np.unique(edges))


def _numeric_column(
    dtype: str,
    values: np.ndarray,
    edges: tuple[float, ...] | None,
    bins: int,
    split: tuple[np.ndarray, int, int, int] | None = None,
) -> NumericColumn:
    finite, n_missing, n_neg, n_pos = split if split is not None else _split_sorted(values)
    if edges is None:
        edges = _quantile_edges(finite, bins)
    below = np.searchsorted(finite, np.asarray(edges, dtype=np.float64), side="left")
    counts = np.diff(np.concatenate(([0], below, [finite.size])))
    total = float(finite.sum()) if finite.size else 0.0
    return NumericColumn(
        dtype=dtype,
        edges=edges,
        counts=tuple(int(c) for c in counts),
        missing=n_missing,
        neg_inf=n_neg,
        pos_inf=n_pos,
        minimum=float(finite[0]) if finite.size else None,
        maximum=float(finite[-1]) if finite.size else None,
        total=total if math.isfinite(total) else None,
    )


def _categorical_column(
    dtype: str,
    counts: Mapping[str, int],
    n_missing: int,
    levels: tuple[str, ...] | None,
    max_levels: int,
    notes: tuple[str, ...] = (),
) -> CategoricalColumn:
    n_values = sum(counts.values())
    if levels is None:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:max_levels]
        if ranked and all(_is_integer_text(level) for level, _ in ranked):
            ranked.sort(key=lambda item: int(item[0]))  # ordinal codes read best in order
        levels = tuple(level for level, _ in ranked)
    kept = tuple(int(counts.get(level, 0)) for level in levels)
    return CategoricalColumn(
        dtype=dtype, levels=levels, counts=kept, other=n_values - sum(kept), missing=n_missing, notes=notes
    )


def _is_integer_text(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _sorted_level_counts(finite_sorted: np.ndarray) -> dict[str, int]:
    """Counts per distinct value of a sorted array, keyed by label."""
    if finite_sorted.size == 0:
        return {}
    starts = np.flatnonzero(np.diff(finite_sorted)) + 1
    bounds = np.concatenate(([0], starts, [finite_sorted.size]))
    counts: Counter[str] = Counter()
    for start, stop in itertools.pairwise(bounds):
        counts[label_of(finite_sorted[start])] += int(stop - start)
    return dict(counts)


def _object_level_counts(series: Any) -> tuple[dict[str, int], int, tuple[str, ...]]:
    """Counts per label of an object/string/category/bool series, the missing count, notes."""
    import pandas as pd

    notes: list[str] = []
    missing_mask = series.isna()
    n_missing = int(missing_mask.sum())
    counts: Counter[str] = Counter()
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        per_code = np.bincount(codes + 1, minlength=len(series.cat.categories) + 1)
        for category, count in zip(series.cat.categories, per_code[1:]):
            if count:
                counts[label_of(category)] += int(count)
        return dict(counts), n_missing, ()
    present = series[~missing_mask] if n_missing else series
    if series.dtype == object:
        inferred = pd.api.types.infer_dtype(present, skipna=True)
        if inferred.startswith("mixed"):
            notes.append("mixed value types; levels compared by their text")
    try:
        value_counts = present.value_counts(sort=False)
    except TypeError:  # unhashable values (lists, dicts): compare them by their text
        notes = ["unhashable values; levels compared by their text"]
        value_counts = present.map(str).value_counts(sort=False)
    for value, count in value_counts.items():
        counts[label_of(value)] += int(count)
    return dict(counts), n_missing, tuple(notes)


def _kind_of(series: Any) -> str:
    """'numeric', 'integer' (numeric that may be categorical) or 'categorical'."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_complex_dtype(dtype):  # no order to bin on: compare the values themselves
        return "categorical"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "numeric"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric"
    if dtype == object:
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "numeric"
    return "categorical"


def _as_float(series: Any) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(series.dtype):
        as_int = series.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min)
        values = as_int.astype(np.float64)
        values[as_int == np.iinfo(np.int64).min] = np.nan
        return values
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _profile_series(
    name: str,
    series: Any,
    *,
    bins: int,
    force_categorical: bool,
    reference: ColumnSummary | None,
    max_levels: int,
) -> ColumnSummary:
    dtype = str(series.dtype)
    kind = "categorical" if force_categorical else _kind_of(series)
    if reference is not None and isinstance(reference, NumericColumn) and kind != "categorical":
        return _numeric_column(dtype, _as_float(series), reference.edges, bins)
    if reference is not None and isinstance(reference, CategoricalColumn):
        if kind == "categorical":
            counts, n_missing, notes = _object_level_counts(series)
        else:
            finite, n_missing, n_neg, n_pos = _split_sorted(_as_float(series))
            counts = _sorted_level_counts(finite)
            counts.update({k: v for k, v in (("-inf", n_neg), ("inf", n_pos)) if v})
            notes = ()
        return _categorical_column(dtype, counts, n_missing, reference.levels, max_levels, notes)
    # no usable reference (none given, a new column, or numeric in the reference but not here)
    if kind == "categorical":
        counts, n_missing, notes = _object_level_counts(series)
        return _categorical_column(dtype, counts, n_missing, None, max_levels, notes)
    values = _as_float(series)
    if kind == "integer":
        split = _split_sorted(values)
        finite, n_missing = split[0], split[1]
        if finite.size and np.count_nonzero(np.diff(finite)) + 1 <= MAX_INTEGER_LEVELS:
            return _categorical_column(dtype, _sorted_level_counts(finite), n_missing, None, max_levels)
        return _numeric_column(dtype, values, None, bins, split)  # sorted once for both questions
    return _numeric_column(dtype, values, None, bins)


def _columns_of(frame: Any) -> Iterable[tuple[str, Any]]:
    """(name, pandas Series) for each column of a pandas frame or a pyarrow table/batch."""
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if isinstance(frame, pd.DataFrame):
        names = [str(c) for c in frame.columns]
        _refuse_duplicates(names)
        return ((name, frame.iloc[:, i]) for i, name in enumerate(names))
    module = type(frame).__module__
    if module.startswith("pyarrow") and hasattr(frame, "column_names"):
        names = [str(c) for c in frame.column_names]
        _refuse_duplicates(names)
        # a pandas index written to Parquet comes back as a column; it is not a feature
        return (
            (name, frame.column(i).to_pandas())
            for i, name in enumerate(names)
            if not (name.startswith("__index_level_") and name.endswith("__"))
        )
    raise UsageError(
        "mc.profile expects a pandas DataFrame or Series, a pyarrow Table or RecordBatch, or a Dask "
        f"DataFrame; got {type(frame).__module__}.{type(frame).__name__}"
    )


def _refuse_duplicates(names: Sequence[str]) -> None:
    duplicated = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicated:
        raise UsageError(
            f"mc.profile: duplicate column names {duplicated}; every column needs its own name. "
            "Rename them (frame.columns = [...]) or drop the copies "
            "(frame.loc[:, ~frame.columns.duplicated()])"
        )


def _n_rows(frame: Any) -> int:
    return int(frame.num_rows) if hasattr(frame, "num_rows") else len(frame)


def _validate(bins: int, categorical: Sequence[str] | None, edges_from: Any) -> tuple[str, ...]:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 1000:
        raise UsageError(f"mc.profile: bins must be an integer from 1 to 1000, got {bins!r}")
    if edges_from is not None and not isinstance(edges_from, Profile):
        raise UsageError(
            f"mc.profile: edges_from must be a Profile (e.g. mc.profile(reference)), got {type(edges_from).__name__}"
        )
    if categorical is None:
        return ()
    if isinstance(categorical, str):
        return (categorical,)
    return tuple(str(c) for c in categorical)


def _profile_frame(
    frame: Any,
    bins: int,
    categorical: tuple[str, ...],
    edges_from: Profile | None,
    max_levels: int,
) -> Profile:
    columns: dict[str, ColumnSummary] = {}
    for name, series in _columns_of(frame):
        reference = edges_from.columns.get(name) if edges_from is not None else None
        try:
            columns[name] = _profile_series(
                name,
                series,
                bins=bins,
                force_categorical=name in categorical,
                reference=reference,
                max_levels=max_levels,
            )
        except (TypeError, ValueError, OverflowError) as error:
            raise UsageError(
                f"mc.profile: cannot profile column {name!r} of dtype {series.dtype} ({error}); "
                "convert it to numbers, strings or a category, or leave it out"
            ) from None
    unknown = [c for c in categorical if c not in columns]
    if unknown:
        raise UsageError(
            f"mc.profile: categorical names columns that are not in the frame: {unknown}; "
            f"the frame's columns are: {', '.join(columns) or '(none)'}"
        )
    return Profile(n_rows=_n_rows(frame), columns=columns, bins=int(bins))


def streaming_bins(reference: Profile, first: Profile) -> Profile:
    """The bins to profile the rest of a stream on, given a reference and the stream's first chunk.

    A column the reference bins (same kind) keeps the reference's bins; a column
    the reference lacks, or whose kind changed (numeric there, text here), takes
    the first chunk's bins, so every chunk of the stream is binned alike and the
    chunk profiles merge exactly.
    """
    columns = {
        name: reference.columns[name]
        if name in reference.columns and reference.columns[name].kind == column.kind
        else column
        for name, column in first.columns.items()
    }
    return Profile(n_rows=0, columns=columns, bins=reference.bins)


def _is_dask(frame: Any) -> bool:
    return type(frame).__module__.startswith("dask") and hasattr(frame, "to_delayed")


def _profile_dask(
    frame: Any,
    bins: int,
    categorical: tuple[str, ...],
    edges_from: Profile | None,
    max_levels: int,
    sample_rows: int,
    random_state: int,
) -> Profile:
    """One profile per partition on shared edges, merged; the edges come from a seeded sample."""
    import dask

    if edges_from is None:
        n_rows = int(frame.shape[0].compute())
        fraction = min(1.0, sample_rows / max(n_rows, 1))
        sample = frame if fraction >= 1.0 else frame.sample(frac=fraction, random_state=random_state)
        shared = _profile_frame(sample.compute(), bins, categorical, None, max_levels)
    else:  # columns new to the reference, or of another kind, take the first partition's bins
        first = _profile_frame(frame.partitions[0].compute(), bins, categorical, edges_from, max_levels)
        shared = streaming_bins(edges_from, first)
    parts = [
        dask.delayed(_profile_frame)(part, bins, categorical, shared, max_levels)
        for part in frame.to_delayed()
    ]
    profiles = dask.compute(*parts)
    merged = profiles[0]
    for part_profile in profiles[1:]:
        merged = merged.merge(part_profile)
    return merged


def profile(
    frame: Any,
    *,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    edges_from: Profile | None = None,
    max_levels: int = MAX_LEVELS,
    sample_rows: int = SAMPLE_ROWS,
    random_state: int = 0,
) -> Profile:
    """Summarize a frame in one pass: bins and counts per column, no raw rows.

    Numeric columns get ``bins`` bins with inner edges at the column's
    quantiles and open outer edges; categorical columns (object, category,
    string and bool columns, integer columns with at most 20 distinct values,
    and those named in ``categorical``) get counts per level. With
    ``edges_from`` every column the reference has is binned on the reference's
    edges and levels, which is what a shift check compares and what
    :meth:`Profile.merge` needs.

    Parameters
    ----------
    frame : pandas DataFrame or Series, pyarrow Table or RecordBatch, or Dask DataFrame
        The data. A Dask frame is profiled one partition at a time and the
        partition profiles are merged (so it runs on a Dask cluster).
    bins : int, default 20
        Number of quantile bins per numeric column (fewer when values tie).
    categorical : list of str, optional
        Columns to profile as categorical whatever their dtype.
    edges_from : Profile, optional
        Bin on this reference's edges and levels instead of the frame's own.
    max_levels : int, default 1000
        Levels kept per categorical column; the rest fold into ``__other__``.
    sample_rows : int, default 1,000,000
        Dask only, without ``edges_from``: size of the seeded sample the
        edges are computed from (the counts stay exact).
    random_state : int, default 0
        Seed of that sample.

    Returns
    -------
    Profile

    Examples
    --------
    >>> import numpy as np, pandas as pd, mlcheck as mc
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"age": rng.normal(40, 10, 1000), "city": rng.choice(["a", "b"], 1000)})
    >>> reference = mc.profile(frame, bins=10)
    >>> len(reference["age"].counts), reference["age"].counts[0]
    (10, 100)
    >>> current = mc.profile(frame.head(10), edges_from=reference)
    >>> current["city"].levels == reference["city"].levels, current["city"].n_rows
    (True, 10)
    """
    names = _validate(bins, categorical, edges_from)
    if not isinstance(max_levels, (int, np.integer)) or max_levels < 1:
        raise UsageError(f"mc.profile: max_levels must be a positive integer, got {max_levels!r}")
    if _is_dask(frame):
        return _profile_dask(frame, bins, names, edges_from, int(max_levels), int(sample_rows), random_state)
    return _profile_frame(frame, bins, names, edges_from, int(max_levels))


class _CallableModule(types.ModuleType):
    """Importing ``mlcheck.profile`` binds this module to ``mlcheck.profile``, hiding the
    function of the same name; making the module callable keeps ``mc.profile(frame)`` working."""

    def __call__(self, frame: Any, **options: Any) -> Profile:
        return profile(frame, **options)


sys.modules[__name__].__class__ = _CallableModule
