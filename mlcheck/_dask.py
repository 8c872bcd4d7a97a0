"""The one place that tells a Dask collection apart and reduces it partition by partition.

Dask is optional and heavy: nothing here imports it until a Dask object is
actually handed in, so ``import mlcheck`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mlcheck._validation import Constraint

__all__ = ["DASK_FRAME", "is_dask", "reduce_partitions"]

T = TypeVar("T")


def is_dask(value: Any) -> bool:
    """True for a Dask DataFrame or Series (anything with partitions to turn into delayed objects)."""
    return type(value).__module__.startswith("dask") and hasattr(value, "to_delayed")


def reduce_partitions(frame: Any, summarize: Callable[..., T], merge: Callable[[T, T], T], *args: Any) -> T:
    """``summarize(partition, *args)`` on every partition (on the workers), merged in the client.

    Only the summaries travel back, so the client holds one summary per
    partition, never a partition. ``summarize`` must be importable by the
    workers (a module-level function).
    """
    from dask.base import compute
    from dask.delayed import delayed

    parts = frame.to_delayed()
    summaries = compute(*[delayed(summarize)(part, *args) for part in parts])
    merged: T = summaries[0]
    for summary in summaries[1:]:
        merged = merge(merged, summary)
    return merged


class _DaskFrame(Constraint):
    """A Dask DataFrame (an option that also takes a pandas one lists both)."""

    def is_satisfied_by(self, value: Any) -> bool:
        return is_dask(value) and hasattr(value, "columns")

    def __str__(self) -> str:
        return "a Dask DataFrame"

    def invalid_examples(self) -> list[Any]:
        return [object()]


DASK_FRAME = _DaskFrame()
