"""Mergeable data profiles: the reference summary that shift checks compare against.

A :class:`Profile` summarizes a frame column by column without holding a
single raw row. A numeric column keeps its bin edges (quantiles of the
reference, outer edges open at -inf/+inf), the count per bin, the missing,
-inf and +inf counts apart, and min, max and sum. A categorical column keeps
the count of every level (binned on a reference: the reference's levels first,
then the new ones), ``__other__`` only beyond ``max_levels`` (100,000) levels,
and the missing count; the levels seen once (Good-Turing's unseen mass) derive
from the per-level counts. Profiles binned on the same edges merge exactly
(counts add, per bin and per level over the union of levels), so a large data
set is profiled chunk by chunk or partition by partition.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

from mlcheck._validation import InstanceOf, Interval, SequenceOf, validate_options
from mlcheck.errors import UsageError
from mlcheck.kinds import profile_kind

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
#: High, because a shift check must tell a level the reference saw rarely from one it never saw
#: (a zip-code column's turnover), and because merging per-level counts is what keeps merges exact.
MAX_LEVELS = 100_000
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
            "kind": profile_kind(self.dtype, binned=True),  # the column's kind, as schema.json writes it
            "summary": "bins",
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
    value types or held unhashable values. Every level keeps its own count up
    to ``max_levels`` (100,000 by default); levels beyond fold into ``other``
    rows, of which ``other_levels`` distinct levels, ``other_singletons`` seen
    once.

    The count of levels seen once (:attr:`singletons`) gives the Good-Turing
    estimate of the probability mass the data never showed, ``singletons /
    n_rows`` (Good 1953). It cannot be merged by addition (a level seen once
    in each of two chunks is seen twice in both), so it is derived from the
    per-level counts, which merge exactly; only the folded tail's figures add
    up approximately (an upper bound), and only past ``max_levels`` levels.
    Past ``2 * max_levels`` distinct levels (an id column), levels first met
    after those are not counted one by one (memory stays bounded): their rows
    join ``other``, each counted as a level seen once (upper bounds), and
    ``notes`` says so (:class:`mlcheck.profiling.frames.LevelTally`).
    """

    dtype: str
    levels: tuple[str, ...]
    counts: tuple[int, ...]
    other: int = 0
    missing: int = 0
    notes: tuple[str, ...] = ()
    other_levels: int = 0
    other_singletons: int = 0
    kind: str = field(default="categorical", init=False)

    @property
    def n_rows(self) -> int:
        return sum(self.counts) + self.other + self.missing

    @property
    def singletons(self) -> int:
        """Levels seen exactly once (the folded tail's included)."""
        return sum(1 for count in self.counts if count == 1) + self.other_singletons

    @property
    def unseen_mass(self) -> float:
        """Good-Turing estimate of the share of new rows on levels this data never showed."""
        n_values = self.n_rows - self.missing
        return self.singletons / n_values if n_values else 0.0

    def same_bins(self, other: ColumnSummary) -> bool:
        # levels are merged as a union (counts per level add), so any two level summaries merge exactly
        return isinstance(other, CategoricalColumn)

    def merge(self, other: CategoricalColumn) -> CategoricalColumn:
        """Counts per level added over the union of levels (this one's order, then the other's new ones)."""
        counts = dict(zip(self.levels, self.counts))
        for level, count in zip(other.levels, other.counts):
            counts[level] = counts.get(level, 0) + count
        return CategoricalColumn(
            dtype=self.dtype,
            levels=tuple(counts),
            counts=tuple(counts.values()),
            other=self.other + other.other,
            missing=self.missing + other.missing,
            notes=tuple(dict.fromkeys(self.notes + other.notes)),
            other_levels=self.other_levels + other.other_levels,
            other_singletons=self.other_singletons + other.other_singletons,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": profile_kind(self.dtype, binned=False),  # the column's kind, as schema.json writes it
            "summary": "levels",
            "dtype": self.dtype,
            "levels": list(self.levels),
            "counts": list(self.counts),
            "other": self.other,
            "missing": self.missing,
            "notes": list(self.notes),
            "other_levels": self.other_levels,
            "other_singletons": self.other_singletons,
            "singletons": self.singletons,  # derived (for readers of the JSON); from_dict recomputes it
        }


ColumnSummary = NumericColumn | CategoricalColumn


def _column_from_dict(name: str, data: Mapping[str, Any]) -> ColumnSummary:
    # "summary" says how the column is counted; files before it said so in "kind"
    summary = data.get("summary") or {"numeric": "bins", "categorical": "levels"}.get(str(data.get("kind")))
    if summary == "bins":
        column: ColumnSummary = NumericColumn(
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
    elif summary == "levels":
        column = CategoricalColumn(
            dtype=str(data["dtype"]),
            levels=tuple(str(level) for level in data["levels"]),
            counts=tuple(int(c) for c in data["counts"]),
            other=int(data["other"]),
            missing=int(data["missing"]),
            notes=tuple(str(n) for n in data.get("notes", ())),
            other_levels=int(data.get("other_levels", 0)),
            other_singletons=int(data.get("other_singletons", 0)),
        )
    else:
        raise UsageError(
            f"profile column {name!r}: summary must be 'bins' or 'levels', got {data.get('summary')!r}"
        )
    problem = _invariant_broken(column)
    if problem:
        raise UsageError(f"profile column {name!r} is inconsistent: {problem}; re-profile the data")
    return column


def _invariant_broken(column: ColumnSummary) -> str:
    """What a saved column summary says that no profile of real data can; '' when it holds."""
    counts = [*column.counts, column.missing]
    if isinstance(column, NumericColumn):
        counts += [column.neg_inf, column.pos_inf]
        if len(column.counts) != len(column.edges) + 1:
            return f"{len(column.edges)} inner edges need {len(column.edges) + 1} counts, got {len(column.counts)}"
        if not all(math.isfinite(edge) for edge in column.edges):
            return "an edge is not a finite number"
        if any(b <= a for a, b in zip(column.edges, column.edges[1:])):
            return "edges are not strictly increasing"
        bounds = (column.minimum, column.maximum)
        if (bounds[0] is None) != (bounds[1] is None) or (
            bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]
        ):
            return f"min {bounds[0]} and max {bounds[1]} do not bound the values"
        if (column.n_finite > 0) != (bounds[0] is not None):
            return "min and max must be given exactly when there are finite values"
    else:
        if len(column.counts) != len(column.levels):
            return f"{len(column.levels)} levels need as many counts, got {len(column.counts)}"
        if len(set(column.levels)) != len(column.levels):
            return "a level is listed twice"
        counts.append(column.other)
    if any(count < 0 for count in counts):
        return "a count is negative"
    return ""


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
            made = cls(n_rows=int(data["n_rows"]), columns=columns, bins=int(data.get("bins", 20)))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UsageError(f"malformed mlcheck profile: missing or invalid field ({error!r})") from None
        if len(columns) != len(data["columns"]):
            raise UsageError("malformed mlcheck profile: a column name is listed twice")
        uneven = [name for name, column in columns.items() if column.n_rows != made.n_rows]
        if uneven:
            raise UsageError(
                f"malformed mlcheck profile: column(s) {uneven[:5]} count other than its {made.n_rows} "
                "rows; re-profile the data"
            )
        return made


# -- building a profile ------------------------------------------------------------
def _validate(bins: int, categorical: Sequence[str] | None, edges_from: Any) -> tuple[str, ...]:
    """The categorical column names as a tuple (the options were checked at the boundary)."""
    if categorical is None:
        return ()
    if isinstance(categorical, str):
        return (categorical,)
    return tuple(str(c) for c in categorical)


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


@validate_options(
    {
        "bins": [Interval(Integral, 1, 1000, description="an integer from 1 to 1000")],
        "categorical": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
        "edges_from": [None, InstanceOf(Profile, description="a Profile (e.g. mc.profile(reference))")],
        "max_levels": [Interval(Integral, 1, None, description="a positive integer")],
        "sample_rows": [Interval(Integral, 1, None, description="a positive integer")],
        "random_state": [Interval(Integral, 0, None)],
    }
)
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
    edges and levels (new levels are appended, with their own counts), which
    is what a shift check compares and what :meth:`Profile.merge` needs.

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
    max_levels : int, default 100,000
        Levels kept per categorical column (binned on a reference: new levels
        kept beyond the reference's); the rest fold into ``__other__``, and a
        shift check then counts a current level the reference folded as unseen.
        At most ``2 * max_levels`` distinct levels are counted one by one (the
        first met in row order; later new levels' rows fold uncounted, with a
        note), so a column of unique ids costs bounded memory; the profile of
        a file streamed by ``mlcheck profile`` applies the same rule.
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
    from mlcheck.profiling.frames import is_dask, profile_dask, profile_frame

    names = _validate(bins, categorical, edges_from)
    if is_dask(frame):
        return profile_dask(frame, bins, names, edges_from, int(max_levels), int(sample_rows), random_state)
    return profile_frame(frame, bins, names, edges_from, int(max_levels))
