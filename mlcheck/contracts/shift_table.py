"""How two column summaries become one table of counts: the bins a shift is measured on.

A numeric feature is laid out on the reference's bins (-inf, the quantile
bins, +inf, missing); a categorical one over the union of both sides' levels
(the reference's first, then the current's new ones) and missing. Each table
says which bins are the reference's quantile bins (whose counts follow the
law of ranks) and which are levels (pooled when rare, and tested for unseen
mass); :mod:`mlcheck.contracts.shift_stats` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlcheck.errors import UsageError
from mlcheck.profiling.model import OTHER, CategoricalColumn, NumericColumn

__all__ = ["bin_labels", "categorical_table", "numeric_table"]


def _edge_format(dtype: str, digits: int) -> Callable[[float], str]:
    """How an edge reads: a date for datetime columns (edges are their integer ticks), else a number."""
    if dtype.startswith("datetime64["):
        unit = dtype[len("datetime64[") :].split(",")[0].rstrip("]")
        return lambda edge: str(np.datetime_as_string(np.datetime64(int(edge), unit), unit="m"))  # type: ignore[call-overload]  # unit is a run-time string
    return lambda edge: f"{edge:.{digits}g}"


def bin_labels(edges: Sequence[float], digits: int = 4, *, dtype: str = "float64") -> list[str]:
    """Labels of the bins a numeric column's inner edges define.

    A bin is named by its lower edge (``"-1.26"`` holds values from -1.26 up
    to the next bin's edge); the first is ``"<e0"``; a constant column's own
    value reads ``"=v"`` and the bin above it ``">v"``. Short labels keep a
    result's JSON small.
    """
    if not edges:
        return ["all values"]
    text = _edge_format(dtype, digits)
    labels = [f"<{text(edges[0])}"]
    constant: float | None = None  # the value of the previous bin when it held one value only
    for low, high in zip(edges, [*edges[1:], np.inf]):
        exact = bool(high == np.nextafter(low, np.inf))
        if exact:
            labels.append(f"={text(low)}")
        elif constant is not None:
            labels.append(f">{text(constant)}")
        else:
            labels.append(text(low))
        constant = low if exact else None
    return labels


def numeric_table(
    name: str, reference: NumericColumn, current: NumericColumn
) -> tuple[list[str], list[int], list[int], list[bool], list[bool]]:
    """Labels, counts on both sides, which bins are reference quantile bins, which are levels."""
    if reference.edges != current.edges:
        raise UsageError(
            f"shift of {name!r}: the current profile was binned on other edges than the reference; "
            "build it with mc.profile(current, edges_from=reference) or pass the current frame itself"
        )
    labels = ["-inf", *bin_labels(reference.edges, 3, dtype=reference.dtype), "+inf", "missing"]
    ref = [reference.neg_inf, *reference.counts, reference.pos_inf, reference.missing]
    cur = [current.neg_inf, *current.counts, current.pos_inf, current.missing]
    rank = [False, *([True] * len(reference.counts)), False, False]
    return labels, ref, cur, rank, [False] * len(labels)


def categorical_table(
    reference: CategoricalColumn, current: CategoricalColumn
) -> tuple[list[str], list[int], list[int], list[bool], list[bool]]:
    """Counts over the union of both sides' levels (reference order, then the current's new ones)."""
    reference_counts = dict(zip(reference.levels, reference.counts))
    current_counts = dict(zip(current.levels, current.counts))
    levels = list(dict.fromkeys([*reference.levels, *current.levels]))
    if reference.other or current.other:  # levels beyond max_levels, folded when profiled
        levels.append(OTHER)
        reference_counts[OTHER], current_counts[OTHER] = reference.other, current.other
    labels = [*levels, "missing"]
    ref = [*(reference_counts.get(level, 0) for level in levels), reference.missing]
    cur = [*(current_counts.get(level, 0) for level in levels), current.missing]
    return labels, ref, cur, [False] * len(labels), [True] * len(levels) + [False]
