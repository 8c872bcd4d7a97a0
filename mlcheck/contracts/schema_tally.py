"""What ``check_schema`` measures on a frame, as counts that merge across partitions.

:func:`measure` runs the conform step on one frame (a pandas frame, or one
partition of a Dask frame) and keeps only counts: rows, missing values,
values of another type, values outside the reference range or levels, the
unseen levels seen, the unscorable rows' positions (the first
:data:`MAX_ROWS_LISTED`), rows per reason code. :meth:`SchemaTally.merge`
adds two tallies of consecutive row ranges, so ``check_schema`` on a Dask
frame merges its partitions' tallies in order and decides exactly as on the
concatenated pandas frame (the fractions are ratios of the same integer
counts). Only the unseen levels named as examples are capped per partition
(:data:`MAX_UNSEEN_KEPT`), which can only change which examples are shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlcheck.contracts.conform import TYPE_REASONS, RejectReason, column_labels, conform
from mlcheck.kinds import labels_of

if TYPE_CHECKING:
    from mlcheck.contracts.schema import ColumnSchema, Schema

__all__ = ["MAX_ROWS_LISTED", "ColumnTally", "SchemaTally", "measure"]

#: a result lists at most this many unscorable row positions (``n_unscorable`` counts them all)
MAX_ROWS_LISTED = 1000
#: unseen levels counted per partition for the examples a failing column names
MAX_UNSEEN_KEPT = 1000


@dataclass(frozen=True)
class ColumnTally:
    """One present column's counts.

    ``n_outside`` counts present values outside the reference range (numeric)
    or levels (categorical) among ``n_present``; None when the schema gives
    neither. ``unseen`` maps unseen levels to their counts, most frequent first.
    """

    dtype: Any
    n_rows: int
    n_null: int
    invalid: dict[RejectReason, int]
    n_present: int
    n_outside: int | None
    what: str = ""
    unseen: dict[str, int] = field(default_factory=dict)

    @property
    def outside(self) -> float | None:
        """Fraction of present values outside (0.0 when none is present but the schema bounds the column)."""
        if self.n_outside is None:
            return None
        return self.n_outside / self.n_present if self.n_present else 0.0

    def merge(self, other: ColumnTally) -> ColumnTally:
        # a partition with no present value says nothing about whether "outside" applies
        if not self.n_present or not other.n_present:
            n_outside = other.n_outside if not self.n_present else self.n_outside
            if not self.n_present and not other.n_present:
                n_outside = self.n_outside
        elif self.n_outside is None or other.n_outside is None:
            n_outside = None
        else:
            n_outside = self.n_outside + other.n_outside
        unseen = Counter(self.unseen)
        unseen.update(other.unseen)
        ranked = sorted(unseen.items(), key=lambda item: -item[1])  # stable: first seen first among ties
        return ColumnTally(
            dtype=self.dtype,
            n_rows=self.n_rows + other.n_rows,
            n_null=self.n_null + other.n_null,
            invalid={code: self.invalid.get(code, 0) + other.invalid.get(code, 0) for code in self.invalid},
            n_present=self.n_present + other.n_present,
            n_outside=n_outside,
            what=self.what or other.what,
            unseen=dict(ranked),
        )


@dataclass(frozen=True)
class SchemaTally:
    """The whole frame's counts: rows, present columns' tallies, unscorable rows and reasons."""

    n_rows: int
    columns: dict[str, ColumnTally]
    unscorable: np.ndarray  # the first MAX_ROWS_LISTED positions
    n_unscorable: int
    reason_counts: dict[str, int]
    casts: dict[str, str]
    unseen_passed: dict[str, int]

    def merge(self, following: SchemaTally) -> SchemaTally:
        """The tally of this frame's rows followed by ``following``'s."""
        reasons = Counter(self.reason_counts)
        reasons.update(following.reason_counts)
        passed = Counter(self.unseen_passed)
        passed.update(following.unseen_passed)
        return SchemaTally(
            n_rows=self.n_rows + following.n_rows,
            columns={name: tally.merge(following.columns[name]) for name, tally in self.columns.items()},
            unscorable=np.concatenate([self.unscorable, following.unscorable + self.n_rows])[
                :MAX_ROWS_LISTED
            ],
            n_unscorable=self.n_unscorable + following.n_unscorable,
            reason_counts=dict(reasons),
            casts={**following.casts, **self.casts},
            unseen_passed=dict(passed),
        )


def _outside(series: pd.Series, spec: ColumnSchema) -> tuple[int, int | None, str, dict[str, int]]:
    """(present values, those outside the reference range or levels, what outside means, unseen levels).

    Values that are not numbers at all are counted by the type aspect, not here.
    """
    present = series.dropna()
    if not len(present):
        return 0, (0 if spec.min is not None or spec.levels is not None else None), "", {}
    if spec.kind in ("float", "integer") and spec.min is not None and spec.max is not None:
        numbers = (
            pd.to_numeric(present.astype(object), errors="coerce")
            if not pd.api.types.is_numeric_dtype(present.dtype) or pd.api.types.is_bool_dtype(present.dtype)
            else present
        )
        array = numbers.to_numpy(dtype="float64", na_value=np.nan)
        outside = ~((array >= spec.min) & (array <= spec.max)) & ~np.isnan(array)
        what = f"outside the training range [{spec.min:.6g}, {spec.max:.6g}]"
        return len(present), int(np.count_nonzero(outside)), what, {}
    if spec.kind == "categorical" and spec.levels is not None:
        text = labels_of(present)
        unseen = ~text.isin(set(spec.levels)).to_numpy()
        if unseen.any() and spec.legacy_levels:
            unseen &= ~present.astype(str).isin(set(spec.levels)).to_numpy()
        counts = (
            text[unseen].value_counts().iloc[:MAX_UNSEEN_KEPT] if unseen.any() else pd.Series([], dtype=int)
        )
        levels = {str(level): int(count) for level, count in counts.items()}
        return len(present), int(np.count_nonzero(unseen)), "unseen in training", levels
    return len(present), None, "", {}


def measure(frame: pd.DataFrame, schema: Schema, present: tuple[str, ...]) -> SchemaTally:
    """Conform ``frame`` to ``schema`` (its ``present`` columns) and count what ``check_schema`` decides on."""
    labels = column_labels(frame, where="check_schema")
    conformed = conform(frame, schema, warn=False, columns=present)
    columns: dict[str, ColumnTally] = {}
    for name in present:
        spec = schema[name]
        series = frame[labels[name]]
        n_present, n_outside, what, unseen = _outside(series, spec)
        columns[name] = ColumnTally(
            dtype=series.dtype,
            n_rows=len(series),
            n_null=int(series.isna().sum()),
            invalid={code: conformed.counts.get((name, code), 0) for code in TYPE_REASONS},
            n_present=n_present,
            n_outside=n_outside,
            what=what,
            unseen=unseen,
        )
    reasons: Counter[str] = Counter()
    for code, positions in conformed.codes:
        reasons[code.value] += len(positions)
    bad = np.flatnonzero(conformed.bad)
    return SchemaTally(
        n_rows=len(frame),
        columns=columns,
        unscorable=bad[:MAX_ROWS_LISTED],
        n_unscorable=len(bad),
        reason_counts=dict(reasons),
        casts=dict(conformed.casts),
        unseen_passed=dict(conformed.unseen_passed),
    )
