"""How frames become profiles: pandas and pyarrow columns binned, Dask partitions merged.

:mod:`mlcheck.profiling.model` says what a profile is; this module reads a frame
library's columns into it. A reference's numeric column is sorted once: the
quantile edges, the counts per bin (by binary search of the edges in the
sorted values), the missing and infinite counts, min and max all come from
that one sort (numpy 2's vectorized sort of 1M floats takes about 5 ms here,
against 24 ms for selecting the 38 order statistics with ``np.partition``).
A column binned on known edges (the current side of a shift check, a chunk of
a stream) is not sorted: one vectorized comparison per edge counts the values
below it. A pandas categorical is counted by one ``bincount`` of its codes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from mlcheck.errors import UsageError
from mlcheck.kinds import counted_by_levels, kind_of_values, label_of
from mlcheck.profiling.model import (
    CategoricalColumn,
    ColumnSummary,
    NumericColumn,
    Profile,
    streaming_bins,
)

__all__ = [
    "LevelTally",
    "fold_new_levels",
    "is_dask",
    "label_of",
    "profile_dask",
    "profile_frame",
    "tracked_levels",
]


def _split_sorted(values: np.ndarray) -> tuple[np.ndarray, int, int, int]:
    """Sort once; return the sorted finite values and the missing, -inf, +inf counts."""
    ordered = np.sort(values)  # NaN sorts last, -inf first, +inf just before NaN
    n_missing = int(np.count_nonzero(np.isnan(ordered))) if ordered.size and np.isnan(ordered[-1]) else 0
    end = ordered.size - n_missing
    n_neg = int(np.searchsorted(ordered[:end], -np.inf, side="right"))
    n_pos = end - int(np.searchsorted(ordered[:end], np.inf, side="left"))
    return ordered[n_neg : end - n_pos], n_missing, n_neg, n_pos


def quantile_ranks(m: int, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the inner edges sit among ``m`` sorted values: positions, and the ranks below and above.

    numpy's default ("linear") quantile of ``j / bins``: position ``(m - 1) j / bins``,
    interpolated between the order statistics at ``floor`` and ``floor + 1``.
    """
    position = (m - 1) * (np.arange(1, bins) / bins)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, m - 1)
    return position, below, above


def interpolate(
    position: np.ndarray, below: np.ndarray, lower_values: np.ndarray, upper_values: np.ndarray
) -> np.ndarray:
    """numpy's linear interpolation ``lower + t (upper - lower)``, ``t = position - below``, kept finite.

    Where ``upper - lower`` overflows (values near -1.8e308 and +1.8e308, whose
    difference is no float), numpy's own quantile gives ``inf`` or ``nan`` (``0
    * inf``) and warns; there the same point is computed as ``lower (1 - t) +
    upper t``, whose terms cannot overflow. Elsewhere the result is numpy's,
    bit for bit.
    """
    t = np.asarray(position, dtype=np.float64) - below
    lower = np.asarray(lower_values, dtype=np.float64)
    upper = np.asarray(upper_values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        edges: np.ndarray = lower + t * (upper - lower)
    wide = ~np.isfinite(edges)
    if wide.any():
        edges[wide] = lower[wide] * (1.0 - t[wide]) + upper[wide] * t[wide]
    return edges


def interpolated_edges(
    position: np.ndarray, below: np.ndarray, lower_values: np.ndarray, upper_values: np.ndarray
) -> tuple[float, ...]:
    """The inner edges from the order statistics around each position, duplicates dropped."""
    edges = interpolate(position, below, lower_values, upper_values)
    return tuple(float(e) for e in np.unique(edges))


def constant_edges(value: float) -> tuple[float, float]:
    """A constant column's edges: below, exactly at, and above its value."""
    return (value, float(np.nextafter(value, np.inf)))


def _quantile_edges(finite_sorted: np.ndarray, bins: int) -> tuple[float, ...]:
    """Inner edges at the reference's quantiles (numpy's linear method), duplicates dropped."""
    m = finite_sorted.size
    if m == 0 or bins <= 1:
        return ()
    low, high = float(finite_sorted[0]), float(finite_sorted[-1])
    if low == high:
        return constant_edges(low)
    position, below, above = quantile_ranks(m, bins)
    return interpolated_edges(position, below, finite_sorted[below], finite_sorted[above])


def _numeric_column(
    dtype: str,
    values: np.ndarray,
    edges: tuple[float, ...] | None,
    bins: int,
    split: tuple[np.ndarray, int, int, int] | None = None,
) -> NumericColumn:
    """A numeric column's summary: on ``edges`` when given, else on its own quantile edges."""
    if edges is not None and split is None:
        return _numeric_on_edges(dtype, values, edges)
    finite, n_missing, n_neg, n_pos = split if split is not None else _split_sorted(values)
    if edges is None:
        edges = _quantile_edges(finite, bins)
    below = np.searchsorted(finite, np.asarray(edges, dtype=np.float64), side="left")
    counts = np.diff(np.concatenate(([0], below, [finite.size])))
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum (inf - inf: nan) is None
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


#: Up to this many edges, one vectorized comparison per edge counts the values below it faster than
#: a binary search per value (1M values, 19 edges: 2 ms against 23 ms for searchsorted + bincount).
COMPARE_EDGES = 64


#: Values compared at a time: a block stays in the core's cache while every edge is compared with it
#: (1M values, 19 edges: 1.8 ms against 2.4 ms when each comparison streams the whole column).
COMPARE_BLOCK = 65_536


def _count_below(finite: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """For each edge, the number of values ``< edge`` (int64, one entry per edge)."""
    below = np.zeros(len(edges), dtype=np.int64)
    flags = np.empty(min(COMPARE_BLOCK, finite.size), dtype=bool)
    for start in range(0, finite.size, COMPARE_BLOCK):
        block = finite[start : start + COMPARE_BLOCK]
        out = flags[: block.size]
        for j, edge in enumerate(edges):
            np.less(block, edge, out=out)
            below[j] += np.count_nonzero(out)
    return below


def _numeric_on_edges(dtype: str, values: np.ndarray, edges: tuple[float, ...]) -> NumericColumn:
    """Counts on known edges without sorting (the current side of a shift check, a chunk of a stream).

    Bin ``i`` holds ``edges[i-1] <= x < edges[i]``, as in :func:`_numeric_column`:
    the count below an edge is the number of finite values ``< edge``. Only the
    sum can differ from the sorted definition, in its last bits (the values are
    added in another order).
    """
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, or an overflow: the slow path below
        total = float(values.sum()) if values.size else 0.0
    if math.isfinite(total):  # no NaN and no infinity (one reduction instead of a mask and a count)
        finite, n_finite, n_missing, n_neg, n_pos = values, values.size, 0, 0, 0
    else:
        finite_mask = np.isfinite(values)
        n_finite = int(np.count_nonzero(finite_mask))
        n_missing = int(np.count_nonzero(np.isnan(values)))
        n_pos = int(np.count_nonzero(values == np.inf))
        n_neg = values.size - n_finite - n_missing - n_pos
        finite = values[finite_mask]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum is recorded as None below
            total = float(finite.sum()) if n_finite else 0.0
    counts: np.ndarray
    if len(edges) <= COMPARE_EDGES:
        below = _count_below(finite, edges)
        counts = np.diff(np.concatenate(([0], below, [n_finite])))
    else:
        placed = np.searchsorted(np.asarray(edges, dtype=np.float64), finite, side="right")
        counts = np.bincount(placed, minlength=len(edges) + 1)
    return NumericColumn(
        dtype=dtype,
        edges=edges,
        counts=tuple(int(c) for c in counts),
        missing=n_missing,
        neg_inf=n_neg,
        pos_inf=n_pos,
        minimum=float(finite.min()) if n_finite else None,
        maximum=float(finite.max()) if n_finite else None,
        total=total if math.isfinite(total) else None,
    )


def _categorical_column(
    dtype: str,
    counts: Mapping[str, int],
    n_missing: int,
    levels: tuple[str, ...] | None,
    max_levels: int,
    notes: tuple[str, ...] = (),
    folded_rows: int = 0,
) -> CategoricalColumn:
    """Counts per level (``max_levels`` listed, the rest in ``other``).

    ``folded_rows`` are rows of levels that were never counted one by one
    (met after a column's :func:`tracked_levels`, see :class:`LevelTally`):
    they join ``other``, and each counts as a level of its own and as a
    singleton in ``other_levels`` and ``other_singletons``, which are then
    upper bounds.
    """
    n_values = sum(counts.values()) + folded_rows
    if levels is None:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:max_levels]
        if ranked and all(_is_integer_text(level) for level, _ in ranked):
            ranked.sort(key=lambda item: int(item[0]))  # ordinal codes read best in order
        levels = tuple(level for level, _ in ranked)
    else:  # binned on a reference: its levels, then this data's new ones (a shift check tests them)
        known = set(levels)
        new = sorted(
            ((k, v) for k, v in counts.items() if k not in known), key=lambda item: (-item[1], item[0])
        )
        levels = (*levels, *(level for level, _ in new[:max_levels]))
    kept = tuple(int(counts.get(level, 0)) for level in levels)
    listed = set(levels)
    folded = [count for level, count in counts.items() if level not in listed]
    return CategoricalColumn(
        dtype=dtype,
        levels=levels,
        counts=kept,
        other=n_values - sum(kept),
        missing=n_missing,
        notes=notes,
        other_levels=len(folded) + folded_rows,
        other_singletons=sum(1 for count in folded if count == 1) + folded_rows,
    )


def tracked_levels(max_levels: int) -> int:
    """Distinct levels a column's profile counts one by one: twice the levels it lists."""
    return 2 * max_levels


class LevelTally:
    """Counts per level of one column, for at most ``limit`` distinct levels: memory bounded whatever the rows.

    A text column of unique values (an id not excluded) has as many levels as
    rows; counting each would make a streamed profile's memory grow with the
    file (about 300 MB per million distinct strings) although the profile
    lists at most ``max_levels`` of them. Three ways were weighed: refusing
    such a column (a legitimate column of 150,000 postal codes would be
    refused too, and in memory as well, to stay consistent), a heavy-hitter
    sketch (SpaceSaving: approximate counts for every level, so no profile
    would be exact and merges would lose exactness), and this: the first
    ``limit`` distinct levels met in the data's row order are counted exactly;
    rows of a level first met after that are only counted as rows (``folded``)
    and join ``other``. The profile says so in its notes. Below the limit
    (``2 * max_levels`` = 200,000 levels by default) nothing changes: every
    level is counted and the ``max_levels`` most frequent are listed. Above it,
    the error is stated: a level first met after the limit is never listed,
    however frequent, and ``other_levels`` and ``other_singletons`` count
    each folded row as a level seen once (upper bounds, so the Good-Turing
    unseen mass of such a column is overstated, never understated). The rule
    depends on the row order alone, not on how the rows are batched, so a
    streamed profile and ``mc.profile`` of the whole frame in memory (which
    applies the same rule) stay equal.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.folded = 0

    def add(self, counts: Mapping[str, int], labels_in_order: Any) -> None:
        """Add one part's counts per label; ``labels_in_order()`` gives its labels by first row, if needed."""
        room = self.limit - len(self.counts)
        own = self.counts
        if room >= len(counts) or all(level in own for level in counts):
            for level, count in counts.items():
                own[level] = own.get(level, 0) + count
            return
        admitted: set[str] = set()
        if room > 0:  # the limit is crossed in this part: its new levels met first are counted
            for level in labels_in_order():
                if level not in own and level not in admitted:
                    admitted.add(level)
                    if len(admitted) == room:
                        break
        for level, count in counts.items():
            if level in own:
                own[level] += count
            elif level in admitted:
                own[level] = count
            else:
                self.folded += count

    @property
    def note(self) -> tuple[str, ...]:
        """The profile's note when levels were folded uncounted, else nothing."""
        if not self.folded:
            return ()
        return (
            f"more than {self.limit:,} distinct levels (an id?): {self.folded:,} rows of levels first "
            f"met after the {self.limit:,}th are in other uncounted; other_levels and other_singletons "
            "are upper bounds",
        )


def _labels_in_order(series: Any) -> list[str]:
    """The distinct labels of a series' present values, by first row (as :func:`_object_level_counts` labels them)."""
    import pandas as pd

    present = series[~series.isna()]
    try:
        distinct = pd.unique(present)
    except TypeError:  # unhashable values are compared by their text
        return list(pd.unique(present.map(str)))
    return [label_of(value) for value in distinct]


def _tallied_level_counts(series: Any, max_levels: int) -> tuple[dict[str, int], int, tuple[str, ...], int]:
    """:func:`_object_level_counts` under :class:`LevelTally`'s bound: counts, missing, notes, folded rows."""
    counts, n_missing, notes = _object_level_counts(series)
    limit = tracked_levels(max_levels)
    if len(counts) <= limit:
        return counts, n_missing, notes, 0
    tally = LevelTally(limit)
    tally.add(counts, lambda: _labels_in_order(series))
    return tally.counts, n_missing, notes + tally.note, tally.folded


def fold_new_levels(column: CategoricalColumn, keep: int, limit: int) -> CategoricalColumn:
    """A merged current-side column with at most ``keep + limit`` levels (the first ``keep`` are the reference's).

    New levels beyond go to ``other``, each counted once more in
    ``other_levels`` and as a singleton if seen once so far (upper bounds: a
    folded level met again later folds again).
    """
    if len(column.levels) <= keep + limit:
        return column
    cut = keep + limit
    folded = column.counts[cut:]
    note = (
        f"more than {limit:,} new levels (an id?): levels first met after them are in other; "
        "other_levels and other_singletons are upper bounds"
    )
    return CategoricalColumn(
        dtype=column.dtype,
        levels=column.levels[:cut],
        counts=column.counts[:cut],
        other=column.other + sum(folded),
        missing=column.missing,
        notes=tuple(dict.fromkeys((*column.notes, note))),
        other_levels=column.other_levels + len(folded),
        other_singletons=column.other_singletons + sum(1 for count in folded if count == 1),
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
    counts: Counter[str] = Counter()
    if isinstance(series.dtype, pd.CategoricalDtype):  # one bincount of the codes; -1 is missing
        codes = series.cat.codes.to_numpy()
        per_code = np.bincount(codes.astype(np.intp) + 1, minlength=len(series.cat.categories) + 1)
        for category, count in zip(series.cat.categories, per_code[1:]):
            if count:
                counts[label_of(category)] += int(count)
        return dict(counts), int(per_code[0]), ()
    missing_mask = series.isna()
    n_missing = int(missing_mask.sum())
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
    if value_counts.index.inferred_type == "string":  # text: each value is its own label, no per-level call
        return dict(zip(value_counts.index.tolist(), value_counts.tolist())), n_missing, tuple(notes)
    for value, count in value_counts.items():
        counts[label_of(value)] += int(count)
    return dict(counts), n_missing, tuple(notes)


def _kind_of(series: Any) -> str:
    """How to count a column: 'numeric' (bins), 'integer' (levels when few, else bins) or 'categorical'.

    The column's kind is :func:`mlcheck.kinds.kind_of_values` (what schema.json
    says, an object column holding numbers being ``float``); this only chooses
    the summary.
    """
    import pandas as pd

    kind = kind_of_values(series)
    if kind == "integer":
        return "integer"
    if kind in ("float", "datetime") or pd.api.types.is_timedelta64_dtype(series.dtype):
        return "numeric"
    return "categorical"


def _as_float(series: Any) -> np.ndarray:
    """The values as float64, missing as NaN; a float64 column's own array (read, never written)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(series.dtype):
        as_int = series.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min)
        values: np.ndarray = as_int.astype(np.float64)
        values[as_int == np.iinfo(np.int64).min] = np.nan
        return values
    if series.dtype == np.float64:  # numpy float64: NaN is already its missing value, no copy needed
        own: np.ndarray = series.to_numpy()
        return own
    floats: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return floats


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
        counts, n_missing, notes, folded = _tallied_level_counts(series, max_levels)
        return _categorical_column(dtype, counts, n_missing, None, max_levels, notes, folded)
    values = _as_float(series)
    if kind == "integer":
        split = _split_sorted(values)
        finite, n_missing = split[0], split[1]
        if finite.size and counted_by_levels("integer", int(np.count_nonzero(finite[1:] != finite[:-1])) + 1):
            return _categorical_column(dtype, _sorted_level_counts(finite), n_missing, None, max_levels)
        return _numeric_column(dtype, values, None, bins, split)  # sorted once for both questions
    return _numeric_column(dtype, values, None, bins)


#: pandas' nullable dtypes, as a Parquet file's pandas metadata names them (``numpy_type``).
_NULLABLE = frozenset(
    {"boolean", "Float32", "Float64"} | {f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)}
)


def nullable_dtypes(schema: Any) -> dict[str, Any]:
    """The pandas nullable dtypes (``Int64``, ``boolean``, ``Float64``, ...) a pyarrow schema was written from.

    A column of a pyarrow array reads back as numpy (an integer column with
    missing values as ``float64``, a boolean one as ``object``), while
    ``pd.read_parquet`` and ``Table.to_pandas`` restore the dtype the file's
    pandas metadata names; reading each column with that dtype makes a
    streamed profile name its columns as a profile of the frame in memory does.
    """
    try:
        metadata = schema.pandas_metadata
    except (AttributeError, ValueError):  # no or unreadable pandas metadata: numpy types, as pandas
        return {}
    if not isinstance(metadata, dict):
        return {}
    import pandas as pd

    found: dict[str, Any] = {}
    for entry in metadata.get("columns") or ():
        name = entry.get("field_name") or entry.get("name")
        if isinstance(name, str) and entry.get("numpy_type") in _NULLABLE:
            found[name] = pd.api.types.pandas_dtype(entry["numpy_type"])
    return found


def arrow_series(array: Any, dtype: Any = None) -> Any:
    """A pyarrow array as a pandas Series, in the nullable ``dtype`` when given (see :func:`nullable_dtypes`)."""
    if dtype is None:
        return array.to_pandas()
    return array.to_pandas(types_mapper=lambda _: dtype)


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
        nullable = nullable_dtypes(frame.schema)
        # a pandas index written to Parquet comes back as a column; it is not a feature
        return (
            (name, arrow_series(frame.column(i), nullable.get(name)))
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


def profile_frame(
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


def is_dask(frame: Any) -> bool:
    return type(frame).__module__.startswith("dask") and hasattr(frame, "to_delayed")


def profile_dask(
    frame: Any,
    bins: int,
    categorical: tuple[str, ...],
    edges_from: Profile | None,
    max_levels: int,
    sample_rows: int,
    random_state: int,
) -> Profile:
    """One profile per partition on shared edges, merged; the edges come from a seeded sample."""
    from dask.base import compute
    from dask.delayed import delayed

    partitions = frame.to_delayed()
    first: Profile | None = None
    if edges_from is None:
        n_rows = int(frame.shape[0].compute())
        fraction = min(1.0, sample_rows / max(n_rows, 1))
        sample = frame if fraction >= 1.0 else frame.sample(frac=fraction, random_state=random_state)
        shared = profile_frame(sample.compute(), bins, categorical, None, max_levels)
    else:  # columns new to the reference, or of another kind, take the first partition's bins
        (first,) = compute(delayed(profile_frame)(partitions[0], bins, categorical, edges_from, max_levels))
        shared = streaming_bins(edges_from, first)
        # the first partition binned on `shared` gives `first` again, unless a column folded levels
        # past max_levels: then it is profiled again, else it is read and profiled once, on a worker
        if any(isinstance(column, CategoricalColumn) and column.other for column in first.columns.values()):
            first = None
    parts = [
        delayed(profile_frame)(part, bins, categorical, shared, max_levels)
        for part in (partitions if first is None else partitions[1:])
    ]
    profiles = (() if first is None else (first,)) + tuple(compute(*parts))
    merged: Profile = profiles[0]
    for part_profile in profiles[1:]:
        merged = merged.merge(part_profile)
    return merged
