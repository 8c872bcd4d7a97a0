"""Profiles of data larger than memory: record batches streamed in a few passes, with exact edges.

``mlcheck profile`` and ``mlcheck shift`` read a file as record batches
(:func:`mlcheck.io.iter_batches`) and profile it here without ever holding
more than one batch and a few fixed-size arrays per column, whatever the
number of rows. The profile is the one :func:`mlcheck.profile` gives for the
whole file in memory: the same kinds, levels, quantile edges and counts (only
a column's ``sum`` may differ in its last bits, being added batch by batch).

Counts per bin and per level merge exactly, so they take one pass. The
reference's quantile edges are order statistics of the whole column, which no
merge of batch summaries gives exactly. Two ways were weighed:

* a mergeable quantile sketch (Apache DataSketches' KLL) in one pass, then a
  pass of exact counts on its edges: every count and test would be exact for
  the edges used, but the edges would be approximate (for the default ``k =
  200`` DataSketches states a normalized rank error of about 1.33% for a
  quantile and 1.65% for a PMF, with 99% confidence), randomized (the same
  file could give other edges on another run), unlike those of an in-memory
  profile of the same data, and a new dependency;
* exact order statistics by **radix selection** in bounded memory, chosen
  here. Each finite value maps to an order-preserving 64-bit key (its IEEE
  bits, the sign folded). The first pass counts the keys per 12-bit prefix
  (sign and exponent, 4,096 cells) while it counts everything else; the bin
  holding each wanted rank becomes a bracket. Each later pass counts the next
  bits of the keys in the brackets only (at most 65,536 cells a column) and
  keeps each bracket's smallest and largest key, narrowing every bracket to
  the sub-bin holding its rank; once the brackets hold at most
  :data:`COLLECT_VALUES` values in all, one pass keeps those values and a sort
  of them gives the ranks exactly. A bracket whose smallest and largest keys
  agree is one value, found at once (ties cost no extra pass), and 64 bits
  bound the number of passes. Columns of at most :data:`COLLECT_VALUES` finite
  values are kept whole in the first pass and sorted, as in memory. Later
  passes read only the columns still searching.

The counts on the edges need no pass of their own: an edge interpolated
between the values at ranks ``b`` and ``b + 1`` has ``b + 1`` values below it
unless it equals the value at ``b``, and then as many as precede that value's
ties, which the search saw where it found the value (see
:func:`_edges_and_counts`); missing and infinite counts, min, max and sum come
from the first pass. Only if rounding put an edge outside its two values would
a last pass count that column on its edges.

For 1e6 to 1e7 rows of continuous values this is three passes (counts and 12
bits; about 12 more bits; the values in the brackets); each pass holds one
batch (:data:`mlcheck.io.readers.BATCH_ROWS` rows, ``--batch-rows``) and per
numeric column a 4,096-cell histogram, a 65,536-cell one and a 65,536-entry
int16 look-up table while it searches, and at most :data:`COLLECT_VALUES`
values (about 1.7 MiB at most), so the peak memory follows the batch, not the
file. Data of at most :data:`COLLECT_VALUES` rows takes one pass. Categorical
columns are counted per level in the first pass, as an integer column's levels
are while it has at most 20 distinct values; a column counts at most
``2 * max_levels`` distinct levels one by one (200,000 by default, the first
met in row order: :class:`mlcheck.profiling.frames.LevelTally`), so a text
column of unique values (an id not left out) holds a bounded number of
strings too, and its profile says which rows it folded uncounted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlcheck.errors import UsageError
from mlcheck.kinds import MAX_INTEGER_LEVELS, label_of
from mlcheck.profiling.frames import (
    LevelTally,
    _as_float,
    _categorical_column,
    _kind_of,
    _labels_in_order,
    _numeric_column,
    _object_level_counts,
    _refuse_duplicates,
    arrow_series,
    constant_edges,
    interpolate,
    interpolated_edges,
    nullable_dtypes,
    quantile_ranks,
    tracked_levels,
)
from mlcheck.profiling.model import ColumnSummary, NumericColumn, Profile

__all__ = ["COLLECT_VALUES", "profile_batches"]

#: Values a numeric column may hold at once to finish its order statistics (8 bytes each).
COLLECT_VALUES = 1 << 17
#: Bits of the key counted by the first pass (cells of its histogram): the sign and the exponent,
#: so 32 KiB a column (a first pass holds every numeric column's at once).
FIRST_BITS = 12
#: Bits of the key a bracket look-up table is indexed by (int16 entries: 128 KiB a column).
TABLE_BITS = 16
#: Cells of one refining histogram (brackets x sub-bins) per column.
REFINE_CELLS = 1 << 16
#: Beyond this many brackets under one table entry, a binary search per value finds the bracket.
SEARCH_DEPTH = 8
_SIGN = np.uint64(1 << 63)
_SIGN_BIT = np.int64(-(1 << 63))
_LOW_BITS = np.int64((1 << 63) - 1)

#: ``open(columns)`` streams the data's record batches again, only ``columns`` when given.
BatchSource = Callable[[Sequence[str] | None], Iterator[Any]]


def keys_of(values: np.ndarray) -> np.ndarray:
    """Order-preserving unsigned keys of finite float64 values (-0.0 keyed as 0.0).

    The IEEE bits of a negative float, all but the sign flipped, order like
    the floats as signed integers; flipping the sign bit then orders them as
    unsigned integers. Done in place on one copy (``values`` is not written).
    """
    signed = (values + 0.0).view(np.int64)  # a new array; -0.0 + 0.0 is +0.0: one key for both zeros
    flip = signed >> 63  # all ones for a negative value, else zero
    flip &= _LOW_BITS
    signed ^= flip
    signed ^= _SIGN_BIT
    keys: np.ndarray = signed.view(np.uint64)
    return keys


def values_of(keys: Any) -> np.ndarray:
    """The float64 values of keys made by :func:`keys_of`."""
    unsigned: np.ndarray = np.asarray(keys, dtype=np.uint64)
    positive = (unsigned & _SIGN).astype(bool)
    bits: np.ndarray = np.where(positive, unsigned ^ _SIGN, ~unsigned)
    return bits.view(np.float64)


@dataclass
class _Brackets:
    """Key ranges, all ``prefix << shift`` wide, each holding some of the wanted ranks."""

    shift: int
    prefixes: np.ndarray  # uint64, sorted
    below: np.ndarray  # values with a key under each bracket
    inside: np.ndarray  # values in each bracket
    of_rank: dict[int, int]  # wanted rank -> its bracket's index
    first: np.ndarray = field(init=False)  # a key's first TABLE_BITS -> first bracket there (-1: none)
    depth: int = field(init=False)  # most brackets under one table entry
    exact: bool = field(init=False)  # brackets as wide as table entries or wider: the look-up decides

    def __post_init__(self) -> None:
        # A value's bracket by one look-up of its first TABLE_BITS bits, then a comparison with each
        # of the (few, consecutive) brackets under them: a binary search per value is ten times slower.
        self.first = np.full(1 << TABLE_BITS, -1, dtype=np.int16)  # at most 2 x 999 brackets
        below_table = 64 - TABLE_BITS - self.shift
        self.exact = below_table <= 0
        if self.exact:  # each bracket covers 2**-below_table table entries
            width = 1 << -below_table
            for g, prefix in enumerate(self.prefixes.tolist()):
                self.first[prefix * width : (prefix + 1) * width] = g
            self.depth = 1
            return
        heads = (self.prefixes >> np.uint64(below_table)).astype(np.intp)
        distinct, start, count = np.unique(heads, return_index=True, return_counts=True)
        self.first[distinct] = start
        self.depth = int(count.max())

    def locate(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keys that fall in a bracket, and each one's bracket index (intp)."""
        first = self.first[(keys >> np.uint64(64 - TABLE_BITS)).view(np.int64)].astype(np.intp)
        hit = first >= 0
        keys, first = keys[hit], first[hit]
        if self.exact:
            return keys, first
        top = keys >> np.uint64(self.shift)
        if self.depth == 1:  # one bracket under each prefix: it matches or none does
            hit = self.prefixes[first] == top
            return keys[hit], first[hit]
        if self.depth > SEARCH_DEPTH:  # many brackets under one prefix (narrow data, many bins)
            index = np.minimum(np.searchsorted(self.prefixes, top), self.prefixes.size - 1)
            hit = self.prefixes[index] == top
            return keys[hit], index[hit]
        index = np.full(keys.size, -1, dtype=np.intp)
        for offset in range(self.depth):  # at most one bracket matches: prefixes are distinct
            candidate = np.minimum(first + offset, self.prefixes.size - 1)
            match = self.prefixes[candidate] == top
            index[match] = candidate[match]
        hit = index >= 0
        return keys[hit], index[hit]


@dataclass
class _OrderStatistics:
    """The search for some order statistics (0-based ranks) of one column's finite values."""

    ranks: list[int]
    found: dict[int, float] = field(default_factory=dict)
    #: values below each found rank's value (where its run of ties starts), when the search saw it
    ties_from: dict[int, int] = field(default_factory=dict)
    brackets: _Brackets | None = None
    collecting: bool = False
    bits: int = 0
    histogram: np.ndarray | None = None
    smallest: np.ndarray | None = None
    largest: np.ndarray | None = None
    kept: list[np.ndarray] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.found) == len(self.ranks)

    def start(self, counts: np.ndarray) -> None:
        """Bracket each rank in the first pass's bins of ``FIRST_BITS``-bit prefixes."""
        cumulative = np.cumsum(counts)
        bins = np.searchsorted(cumulative, self.ranks, side="right")
        self._bracket(64 - FIRST_BITS, bins, cumulative - counts, counts)

    def _bracket(self, shift: int, prefixes: Any, below: np.ndarray, inside: np.ndarray) -> None:
        """Brackets for the unfound ranks, given each rank's prefix (``below``/``inside`` by prefix)."""
        chosen = {rank: int(p) for rank, p in zip(self.ranks, prefixes) if rank not in self.found}
        if shift == 0:  # every bracket is one key: the value is known, and where its ties start
            self.found.update({rank: float(values_of(np.uint64(p))) for rank, p in chosen.items()})
            self.ties_from.update({rank: int(below[p]) for rank, p in chosen.items()})
        if self.done:
            self.brackets = None
            return
        distinct = sorted(set(chosen.values()))
        index = {p: i for i, p in enumerate(distinct)}
        self.brackets = _Brackets(
            shift=shift,
            prefixes=np.asarray(distinct, dtype=np.uint64),
            below=np.asarray([below[p] for p in distinct], dtype=np.int64),
            inside=np.asarray([inside[p] for p in distinct], dtype=np.int64),
            of_rank={rank: index[p] for rank, p in chosen.items()},
        )
        groups = len(distinct)
        self.collecting = int(self.brackets.inside.sum()) <= COLLECT_VALUES
        self.bits = min(shift, max(1, (REFINE_CELLS // groups).bit_length() - 1))  # at least one bit a pass
        self.histogram = None if self.collecting else np.zeros(groups << self.bits, dtype=np.int64)
        self.smallest = np.full(groups, np.iinfo(np.uint64).max, dtype=np.uint64)
        self.largest = np.zeros(groups, dtype=np.uint64)
        self.kept = []

    def update(self, keys: np.ndarray) -> None:
        """Count (or keep) the keys of one batch that fall in a bracket."""
        brackets = self.brackets
        assert brackets is not None
        keys, index = brackets.locate(keys)
        if self.collecting:
            self.kept.append(keys)
            return
        assert self.histogram is not None and self.smallest is not None and self.largest is not None
        sub = (keys >> np.uint64(brackets.shift - self.bits)) & np.uint64((1 << self.bits) - 1)
        cells = (index << self.bits) + sub.astype(np.int64)
        self.histogram += np.bincount(cells, minlength=self.histogram.size)
        np.minimum.at(self.smallest, index, keys)
        np.maximum.at(self.largest, index, keys)

    def finish_pass(self, column: str) -> None:
        """Narrow each bracket to the sub-bin holding its rank, or read the ranks off the kept values."""
        brackets = self.brackets
        assert brackets is not None
        if self.collecting:
            kept = np.sort(np.concatenate(self.kept)) if self.kept else np.zeros(0, dtype=np.uint64)
            self.kept = []
            if kept.size != int(brackets.inside.sum()):
                raise _changed(column)
            start = np.cumsum(brackets.inside) - brackets.inside
            for rank, g in brackets.of_rank.items():
                key = kept[start[g] + rank - brackets.below[g]]
                self.found[rank] = float(values_of(key))
                # a value's ties all share its key, so they are all in its bracket
                ties = np.searchsorted(kept[start[g] : start[g] + brackets.inside[g]], key, side="left")
                self.ties_from[rank] = int(brackets.below[g] + ties)
            self.brackets = None
            return
        assert self.histogram is not None and self.smallest is not None and self.largest is not None
        counts = self.histogram.reshape(-1, 1 << self.bits)
        if not np.array_equal(counts.sum(axis=1), brackets.inside):
            raise _changed(column)
        shift = brackets.shift - self.bits
        prefixes, below, inside = [], {}, {}
        for rank in self.ranks:
            at = brackets.of_rank.get(rank)
            if at is None:
                prefixes.append(0)
                continue
            g = at
            first = brackets.below[g]
            # one value, or the bracket's smallest: found, and its ties start the bracket (equal
            # values share a key). The largest is not taken early: where its ties start is unknown.
            if self.smallest[g] == self.largest[g] or rank == first:
                self.found[rank] = float(values_of(self.smallest[g]))
                self.ties_from[rank] = int(first)
            cumulative = first + np.cumsum(counts[g])
            j = int(np.searchsorted(cumulative, rank, side="right"))
            prefix = (int(brackets.prefixes[g]) << self.bits) | j
            prefixes.append(prefix)
            below[prefix] = int(cumulative[j] - counts[g][j])
            inside[prefix] = int(counts[g][j])
        self._bracket(shift, prefixes, below, inside)  # type: ignore[arg-type]


def _changed(column: str) -> UsageError:
    return UsageError(
        f"column {column!r} changed while it was read (the passes over the data disagree); "
        "profile a file that is not being written to"
    )


@dataclass
class _Column:
    """What the first pass gathers about one column."""

    name: str
    force_categorical: bool
    tally: LevelTally  # a categorical column's counts per level, bounded (see LevelTally)
    dtype: str = ""
    kind: str = ""  # "categorical", "integer" or "numeric", from the batches' pandas dtypes
    notes: dict[str, None] = field(default_factory=dict)
    missing: int = 0
    finite: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    integer_levels: Counter[float] | None = field(default_factory=Counter)
    prefix_counts: np.ndarray | None = None
    whole: list[np.ndarray] | None = field(default_factory=list)
    n_whole: int = 0
    search: _OrderStatistics | None = None
    edges: tuple[float, ...] = ()
    counts: tuple[int, ...] | None = None  # on the edges, once known without a pass of their own
    n_nan: int = 0
    neg_inf: int = 0
    pos_inf: int = 0
    total: float = 0.0

    def update(self, series: Any) -> None:
        kind = "categorical" if self.force_categorical else _kind_of(series)
        if not self.kind:
            self.kind, self.dtype = kind, str(series.dtype)
        elif kind != self.kind:
            if {kind, self.kind} != {"integer", "numeric"}:
                raise UsageError(
                    f"column {self.name!r} reads as {self.kind} in one part of the data and as {kind} "
                    "in another; give it one type throughout (or name it with --categorical)"
                )
            # an integer column with missing values reads as float64, as pandas reads the whole column
            self.kind, self.dtype = "numeric", str(series.dtype) if kind == "numeric" else self.dtype
        elif kind == "categorical" and str(series.dtype) != self.dtype and not self.force_categorical:
            # a boolean column without pandas metadata reads as bool where a batch has no missing
            # value and as object where it has some; pandas reads the whole column as object
            self.dtype = "object"
        if kind == "categorical":
            counts, n_missing, notes = _object_level_counts(series)
            self.tally.add(counts, lambda: _labels_in_order(series))
            self.missing += n_missing
            self.notes.update(dict.fromkeys(notes))
            return
        self._update_numeric(_as_float(series), integer=kind == "integer")

    def _update_numeric(self, values: np.ndarray, *, integer: bool) -> None:
        finite_mask = np.isfinite(values)
        finite = values[finite_mask]
        if finite.size < values.size:
            n_nan = int(np.count_nonzero(np.isnan(values)))
            n_pos = int(np.count_nonzero(values == np.inf))
            self.n_nan, self.pos_inf = self.n_nan + n_nan, self.pos_inf + n_pos
            self.neg_inf += values.size - finite.size - n_nan - n_pos
        if not finite.size:
            return
        # an overflowing sum (+inf and -inf partial sums make nan) is recorded as None, without a
        # numpy warning on the command line's stderr
        with np.errstate(over="ignore", invalid="ignore"):
            self.total += float(finite.sum())
        self.finite += finite.size
        self.minimum = min(self.minimum, float(finite.min()))
        self.maximum = max(self.maximum, float(finite.max()))
        if not integer:
            self.integer_levels = None
        elif self.integer_levels is not None:
            distinct, counts = np.unique(finite, return_counts=True)
            self.integer_levels.update(dict(zip(distinct.tolist(), counts.tolist())))
            if len(self.integer_levels) > MAX_INTEGER_LEVELS:
                self.integer_levels = None
        earlier: list[np.ndarray] = []
        if self.whole is not None:
            if self.n_whole + finite.size <= COLLECT_VALUES:
                self.whole.append(finite)
                self.n_whole += finite.size
                return
            earlier, self.whole = self.whole, None  # too many to keep: search the ranks in passes
        if self.prefix_counts is None:
            self.prefix_counts = np.zeros(1 << FIRST_BITS, dtype=np.int64)
        for part in (*earlier, finite):
            self._count_prefixes(part)

    def _count_prefixes(self, finite: np.ndarray) -> None:
        assert self.prefix_counts is not None
        prefixes = (keys_of(finite) >> np.uint64(64 - FIRST_BITS)).astype(np.int64)
        self.prefix_counts += np.bincount(prefixes, minlength=self.prefix_counts.size)


def profile_batches(
    open_batches: BatchSource,
    *,
    bins: int,
    categorical: Sequence[str] = (),
    max_levels: int,
    source: str = "the data",
) -> Profile:
    """Profile a stream of record batches that can be read again, in bounded memory, exactly.

    Parameters
    ----------
    open_batches : callable
        ``open_batches(columns)`` returns an iterator of pyarrow record batches
        of the data (only ``columns`` when not None); called once per pass.
    bins : int
        Quantile bins per numeric column.
    categorical : list of str
        Columns profiled as categorical whatever their type.
    max_levels : int
        Levels kept per categorical column.
    source : str
        The data's name, for messages.

    Returns
    -------
    Profile
        Equal to ``mc.profile`` of the whole data in memory, but for the
        numeric columns' sums (added batch by batch).

    Raises
    ------
    UsageError
        A source that yields nothing, not even the columns (a file of columns
        and 0 rows yields one empty batch and profiles as 0 rows, as
        ``mc.profile`` of an empty frame), duplicate column names, a column whose type changes
        between batches, or data that changed between passes.
    """
    columns: dict[str, _Column] = {}
    n_rows, seen = 0, False
    for batch in open_batches(None):
        seen = True
        names = [str(name) for name in batch.schema.names]
        _refuse_duplicates(names)
        n_rows += batch.num_rows
        nullable = nullable_dtypes(batch.schema)  # Int64, boolean: as pd.read_parquet gives them
        for i, name in enumerate(names):
            if name.startswith("__index_level_") and name.endswith("__"):
                continue  # a pandas index written to Parquet is not a feature
            column = columns.get(name)
            if column is None:
                column = columns[name] = _Column(
                    name, name in categorical, LevelTally(tracked_levels(max_levels))
                )
            column.update(arrow_series(batch.column(i), nullable.get(name)))
    if not seen:
        raise UsageError(
            f"{source}: the reader gave no columns and no rows; check that the file is complete "
            "(a file of columns without rows profiles as 0 rows)"
        )
    unknown = [c for c in categorical if c not in columns]
    if unknown:
        raise UsageError(
            f"categorical names columns that are not in {source}: {unknown}; "
            f"its columns are: {', '.join(columns) or '(none)'}"
        )
    summaries: dict[str, ColumnSummary] = {}
    searching: list[_Column] = []
    for name, column in columns.items():
        summary = _first_pass_summary(column, n_rows, bins, max_levels)
        if summary is not None:
            summaries[name] = summary
        elif column.search is not None and not column.search.done:
            searching.append(column)
    while searching:  # each pass narrows every search by at least one bit of the keys
        searches = {column.name: column.search for column in searching if column.search is not None}
        for batch in open_batches(list(searches)):
            for i, name in enumerate(batch.schema.names):
                if name in searches:
                    values = _as_float(batch.column(i).to_pandas())
                    searches[name].update(keys_of(values[np.isfinite(values)]))
        for name, search in searches.items():
            search.finish_pass(name)
        searching = [column for column in searching if column.search is not None and not column.search.done]
    numeric = {name: column for name, column in columns.items() if name not in summaries}
    for column in numeric.values():
        if column.search is not None:
            column.edges, column.counts = _edges_and_counts(column.search, column.finite, bins)
    uncounted = {name: column for name, column in numeric.items() if column.counts is None}
    counted = _counts_on_edges(open_batches, uncounted, bins)
    for name, column in numeric.items():
        summaries[name] = counted[name] if name in uncounted else _summary(column)
    return Profile(n_rows=n_rows, columns={name: summaries[name] for name in columns}, bins=int(bins))


def _first_pass_summary(column: _Column, n_rows: int, bins: int, max_levels: int) -> ColumnSummary | None:
    """The column's summary when the first pass gives it whole; else set up the search for its edges."""
    if column.kind == "categorical" or not column.kind:
        return _categorical_column(
            column.dtype or "object",
            column.tally.counts,
            column.missing,
            None,
            max_levels,
            tuple(column.notes) + column.tally.note,
            column.tally.folded,
        )
    if column.kind == "integer" and column.integer_levels is not None and column.finite:
        counts: Counter[str] = Counter()
        for value, count in column.integer_levels.items():
            counts[label_of(np.float64(value))] += int(count)
        return _categorical_column(column.dtype, dict(counts), n_rows - column.finite, None, max_levels)
    if column.finite == 0 or bins <= 1:
        column.edges, column.counts = (), (column.finite,)
    elif column.minimum == column.maximum:
        column.edges, column.counts = constant_edges(column.minimum), (0, column.finite, 0)
    elif column.whole is not None:  # small enough to sort whole, as in memory
        ordered = np.sort(np.concatenate(column.whole))
        position, below, above = quantile_ranks(ordered.size, bins)
        column.edges = interpolated_edges(position, below, ordered[below], ordered[above])
        placed = np.searchsorted(ordered, np.asarray(column.edges, dtype=np.float64), side="left")
        column.counts = tuple(int(c) for c in np.diff(np.concatenate(([0], placed, [ordered.size]))))
    else:
        _, below, above = quantile_ranks(column.finite, bins)
        column.search = _OrderStatistics(ranks=sorted(set(below.tolist()) | set(above.tolist())))
        assert column.prefix_counts is not None
        column.search.start(column.prefix_counts)
    column.whole, column.prefix_counts = None, None
    return None


def _edges_and_counts(
    search: _OrderStatistics, finite: int, bins: int
) -> tuple[tuple[float, ...], tuple[int, ...] | None]:
    """The edges from the found order statistics, and the counts on them when the search tells them.

    An edge ``e`` interpolated between the values ``v_b <= v_a`` at ranks ``b`` and
    ``a = b + 1`` has ``b + 1`` values below it when ``v_b < e <= v_a`` (every
    value of rank up to ``b`` is at most ``v_b``, every other at least ``v_a``),
    and, when ``e == v_b``, as many as precede ``v_b``'s run of ties, which the
    search saw where it found ``v_b``. Otherwise (a tie run the search did not
    see start) the counts take a pass of their own.
    """
    position, below, above = quantile_ranks(finite, bins)
    lookup = np.vectorize(search.found.__getitem__, otypes=[np.float64])
    lower, upper = lookup(below), lookup(above)
    edges = interpolated_edges(position, below, lower, upper)
    raw = interpolate(position, below, lower, upper)  # the same arithmetic as interpolated_edges
    under: dict[float, int] = {}
    for edge, rank, low, high in zip(raw.tolist(), below.tolist(), lower.tolist(), upper.tolist()):
        if low < edge <= high:
            under[edge] = rank + 1
        elif edge == low and rank in search.ties_from:
            under[edge] = search.ties_from[rank]
        else:
            return edges, None
    below_edges = [under[edge] for edge in edges]
    return edges, tuple(int(c) for c in np.diff([0, *below_edges, finite]))


def _summary(column: _Column) -> NumericColumn:
    """A numeric column's summary from the first pass and the counts on its edges."""
    assert column.counts is not None
    return NumericColumn(
        dtype=column.dtype,
        edges=column.edges,
        counts=column.counts,
        missing=column.n_nan,
        neg_inf=column.neg_inf,
        pos_inf=column.pos_inf,
        minimum=column.minimum if column.finite else None,
        maximum=column.maximum if column.finite else None,
        total=column.total if math.isfinite(column.total) else None,
    )


def _counts_on_edges(
    open_batches: BatchSource, numeric: dict[str, _Column], bins: int
) -> dict[str, NumericColumn]:
    """The last pass: every numeric column counted on its edges, batch by batch, merged."""
    merged: dict[str, NumericColumn] = {}
    if not numeric:
        return merged
    for batch in open_batches(list(numeric)):
        for i, name in enumerate(batch.schema.names):
            column = numeric.get(name)
            if column is None:
                continue
            part = _numeric_column(column.dtype, _as_float(batch.column(i).to_pandas()), column.edges, bins)
            merged[name] = merged[name].merge(part) if name in merged else part
    return merged
