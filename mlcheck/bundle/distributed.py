"""Scoring a Dask DataFrame where it lives: nothing but per-partition counts comes back to the client.

:func:`score_dask` builds one task per partition that conforms and scores it
(:func:`mlcheck.bundle.scoring.score_frame`, the pandas path, so both decide
every row alike) and splits its result three ways: the predictions, the
rejects, and a :class:`PartitionSummary` (rows, scored, rejected, rows per
reason code, notes). The predictions and rejects become Dask DataFrames with
the input's divisions (:func:`dask.dataframe.from_delayed`), the summaries
stay delayed objects; the result, a :class:`DaskScoreResult`, is lazy.

No work is done twice within one computation: predictions, rejects and
summaries are outputs of the same task per partition, so
:meth:`DaskScoreResult.write` computes the three Parquet data sets and the
counts in one ``dask.compute`` and each partition is read and scored once.
Computing them in separate calls (``result.n_rows``, then
``result.predictions.compute()``) scores twice, as any Dask collection
computed twice would; :meth:`DaskScoreResult.persist` keeps them on the
workers instead.

Nothing here assumes a local cluster: the tasks run on whatever scheduler
the Dask collection is computed with (the default, or a
``distributed.Client`` connected to any scheduler). Workers need mlcheck and
the model's libraries installed, and the output path must be one that every
worker and the client see (a shared file system).
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcheck.bundle.scoring import FALLBACK, ROW, ScoreResult, score_frame
from mlcheck.contracts.parity import PREDICTION
from mlcheck.contracts.schema import Schema
from mlcheck.errors import UsageError

__all__ = ["DaskScoreResult", "PartitionSummary", "score_dask"]


def _compute(*collections: Any, persist: bool = False) -> Any:
    """One ``dask.compute`` (or ``persist``) over frames and delayed summaries together.

    The summaries are delayed objects and the frames expressions; computed
    together their graphs are merged, which is the point (each partition's
    scoring task is shared), so Dask's warning about mixing the two is silenced.
    """
    import dask.base

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Computing mixed collections", category=UserWarning)
        if persist:
            return dask.base.persist(*collections)
        return dask.base.compute(*collections)


#: Rows of the golden set scored in the client to learn the predictions' columns and dtypes.
_SAMPLE_ROWS = 16


@dataclass(frozen=True)
class PartitionSummary:
    """What scoring one partition (or, merged, the whole frame) did, without its rows.

    ``reasons`` maps each reject reason code to the number of rejected rows
    carrying it (a row with two codes counts under both), ``notes`` are the
    scoring notes (lossless casts, unseen levels passed to the model).
    """

    n_rows: int = 0
    n_scored: int = 0
    n_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def merge(self, other: PartitionSummary) -> PartitionSummary:
        reasons = Counter(self.reasons)
        reasons.update(other.reasons)
        return PartitionSummary(
            self.n_rows + other.n_rows,
            self.n_scored + other.n_scored,
            self.n_rejected + other.n_rejected,
            dict(reasons),
            tuple(dict.fromkeys(self.notes + other.notes)),
        )


def _like(frame: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``meta``'s columns and dtypes, so that every partition writes the same Parquet schema."""
    if list(frame.columns) != list(meta.columns):
        frame = frame.reindex(columns=meta.columns)
    for name, dtype in meta.dtypes.items():
        if frame[name].dtype != dtype:
            try:
                frame[name] = frame[name].astype(dtype)
            except (TypeError, ValueError):  # keep the values; the writer reports a real type clash
                pass
    return frame


def _score_partition(
    part: pd.DataFrame,
    model: Any,
    schema: Schema,
    options: dict[str, Any],
    predictions_meta: pd.DataFrame,
    rejects_meta: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, PartitionSummary]:
    """Score one partition (runs on a worker); ``row`` in its rejects counts from the partition's start."""
    with warnings.catch_warnings():  # the client warned once about dropped columns
        warnings.simplefilter("ignore")
        result = score_frame(model, schema, part, **options)
    summary = PartitionSummary(
        result.n_rows, result.n_scored, result.n_rejected, result.reason_counts, result.notes
    )
    return _like(result.predictions, predictions_meta), _like(result.rejects, rejects_meta), summary


def _next_offset(offset: int, summary: PartitionSummary) -> int:
    return offset + summary.n_rows


def _shift_rows(rejects: pd.DataFrame, offset: int) -> pd.DataFrame:
    """Rejects whose ``row`` counts positions in the whole frame, not in their partition."""
    if not offset or not len(rejects):
        return rejects
    return rejects.assign(**{ROW: rejects[ROW].to_numpy() + offset})


def _predictions_meta(
    model: Any, schema: Schema, frame: Any, sample: pd.DataFrame | None, options: dict[str, Any]
) -> pd.DataFrame:
    """The predictions' empty frame (columns, dtypes, index type), from scoring a few known-good rows."""
    keys = options["key"]
    if sample is None or not len(sample):
        sample = frame.partitions[0].head(_SAMPLE_ROWS)  # no golden rows: read the start of the frame
        keyed = sample
    else:
        keyed = sample.head(_SAMPLE_ROWS).reset_index(drop=True)
        filler = frame._meta_nonempty
        for name in keys:  # key columns as the frame types them
            values = filler[name].iloc[np.zeros(len(keyed), dtype=np.int64)].to_numpy()
            keyed[name] = pd.Series(values, dtype=filler[name].dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scored = score_frame(model, schema, keyed, **options).predictions
    fallback = options.get("fallback")
    if fallback is not None and PREDICTION in scored.columns and len(scored):
        # rows given the fallback share the prediction column: its dtype holds both; a fallback of
        # another type (text for integer classes) makes the column text, as Parquet needs one type
        both = pd.concat([scored[PREDICTION], pd.Series([fallback], dtype=object)]).infer_objects()
        dtype = pd.StringDtype("pyarrow") if both.dtype == object else both.dtype
        scored = scored.assign(**{PREDICTION: scored[PREDICTION].astype(dtype)})
    meta = scored.iloc[:0]
    meta.index = frame._meta.index[:0]
    if fallback is not None and FALLBACK not in meta.columns:
        meta = meta.assign(**{FALLBACK: pd.Series([], dtype=bool)})
    return meta


def score_dask(
    model: Any,
    schema: Schema,
    frame: Any,
    *,
    sample: pd.DataFrame | None = None,
    **options: Any,
) -> DaskScoreResult:
    """Score a Dask DataFrame lazily, partition by partition; see :meth:`mlcheck.Bundle.score`.

    Parameters
    ----------
    model, schema
        As for :func:`mlcheck.bundle.scoring.score_frame`.
    frame : dask.dataframe.DataFrame
    sample : pandas.DataFrame, optional
        Rows the model scores (the bundle's golden inputs): a few are scored
        in the client to learn the predictions' columns and dtypes. Without
        it, the first rows of the first partition are read and scored.
    **options
        ``fallback``, ``batch_size`` (per partition), ``key``, ``scores``,
        ``form``, ``unseen_how``, as for ``score_frame``.

    Returns
    -------
    DaskScoreResult

    Raises
    ------
    UsageError
        The frame lacks a column of the schema or a key column (found from
        the frame's metadata, before any partition is read).
    """
    from dask.dataframe import from_delayed
    from dask.delayed import delayed

    from mlcheck.bundle.scoring import _key_columns

    keys = _key_columns(frame._meta, options.get("key"))
    options = {**options, "key": keys}
    # the empty frame carries the columns and dtypes: missing columns raise here, extra ones warn once
    rejects_meta = score_frame(model, schema, frame._meta, **options).rejects
    predictions_meta = _predictions_meta(model, schema, frame, sample, options)
    parts = frame.to_delayed()
    model_key, schema_key = (
        delayed(model, pure=True),
        delayed(schema, pure=True),
    )  # shipped once, not per task
    predictions, rejects, summaries = [], [], []
    offset: Any = 0
    for part in parts:
        scored = delayed(_score_partition, nout=3, pure=True)(
            part, model_key, schema_key, options, predictions_meta, rejects_meta
        )
        predictions.append(scored[0])
        rejects.append(delayed(_shift_rows, pure=True)(scored[1], offset))
        summaries.append(scored[2])
        offset = delayed(_next_offset, pure=True)(offset, scored[2])
    divisions = tuple(frame.divisions) if frame.known_divisions else None
    return DaskScoreResult(
        predictions=from_delayed(predictions, meta=predictions_meta, divisions=divisions, verify_meta=False),
        rejects=from_delayed(rejects, meta=rejects_meta, divisions=divisions, verify_meta=False),
        summaries=tuple(summaries),
        fallback=options.get("fallback"),
    )


@dataclass(frozen=True)
class DaskScoreResult:
    """What :meth:`Bundle.score` returns for a Dask DataFrame: lazy predictions and rejects.

    Attributes
    ----------
    predictions : dask.dataframe.DataFrame
        As :attr:`ScoreResult.predictions`, with the input's divisions. With a
        ``fallback`` of another type than the predictions (text for integer
        classes), ``prediction`` is a text column (Parquet needs one type per
        column; the pandas result keeps Python objects).
    rejects : dask.dataframe.DataFrame
        As :attr:`ScoreResult.rejects`; ``row`` counts positions in the whole frame.
    summaries : tuple of Delayed
        One :class:`PartitionSummary` per partition.
    n_rows, n_scored, n_rejected, reason_counts, notes, coverage
        From the merged partition summaries (computed on first use, or by
        :meth:`write` / :meth:`persist` alongside the rows, then kept).

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd, dask, dask.dataframe as dd, mlcheck as mc
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> bundle = mc.export(LogisticRegression().fit(X, [0, 0, 1, 1]), pathlib.Path(tempfile.mkdtemp()) / "m", reference=X)
    >>> batch = dd.from_pandas(pd.DataFrame({"x": [0.5, None, 2.5, 3.0]}), npartitions=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     result = bundle.score(batch)
    ...     written = result.write(pathlib.Path(tempfile.mkdtemp()) / "out.parquet")
    >>> result.n_rows, result.n_scored, result.reason_counts
    (4, 3, {'missing_value': 1})
    >>> len(pd.read_parquet(written))
    3
    """

    predictions: Any
    rejects: Any
    summaries: tuple[Any, ...]
    fallback: Any = None
    #: the prediction log's batch-wide fields, as :attr:`ScoreResult.log` (``latency`` is None: scoring is lazy)
    log: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- counts, from the per-partition summaries ------------------------------------
    @property
    def summary(self) -> PartitionSummary:
        """The merged partition summaries (scores the frame unless :meth:`write` or :meth:`persist` ran)."""
        if "summary" not in self._cache:
            self._remember(_compute(*self.summaries))
        merged: PartitionSummary = self._cache["summary"]
        return merged

    def _remember(self, summaries: tuple[PartitionSummary, ...] | list[PartitionSummary]) -> None:
        merged = PartitionSummary()
        for part in summaries:
            merged = merged.merge(part)
        if merged.n_rows != merged.n_scored + merged.n_rejected:  # the invariant ScoreResult checks
            raise ValueError(f"a score result must account for every row: {merged}")
        self._cache["summary"] = merged

    @property
    def n_rows(self) -> int:
        return self.summary.n_rows

    @property
    def n_scored(self) -> int:
        return self.summary.n_scored

    @property
    def n_rejected(self) -> int:
        return self.summary.n_rejected

    @property
    def reason_counts(self) -> dict[str, int]:
        """Reason code -> rejected rows carrying it."""
        return dict(self.summary.reasons)

    @property
    def notes(self) -> tuple[str, ...]:
        return self.summary.notes

    @property
    def coverage(self) -> float | None:
        """Fraction of rows with a real prediction (None for an empty batch)."""
        return self.n_scored / self.n_rows if self.n_rows else None

    # -- materializing -----------------------------------------------------------------
    def persist(self) -> DaskScoreResult:
        """Predictions, rejects and counts computed once and kept in the cluster's memory.

        Use it when the counts are needed before writing (a contract gating
        the write): the counts then come for free and :meth:`write` reads the
        kept rows instead of scoring again.
        """
        predictions, rejects, *summaries = _compute(
            self.predictions, self.rejects, *self.summaries, persist=True
        )
        kept = DaskScoreResult(predictions, rejects, tuple(summaries), self.fallback, dict(self.log))
        kept.summary  # noqa: B018 - the summaries are in memory now: cheap, and checks the invariant
        return kept

    def compute(self) -> ScoreResult:
        """Everything gathered into the client as a pandas :class:`ScoreResult` (small batches only)."""
        predictions, rejects, *summaries = _compute(self.predictions, self.rejects, *self.summaries)
        self._remember(summaries)
        merged = self.summary
        return ScoreResult(
            predictions=predictions,
            rejects=rejects,
            n_rows=merged.n_rows,
            n_scored=merged.n_scored,
            n_rejected=merged.n_rejected,
            fallback=self.fallback,
            notes=merged.notes,
            log=dict(self.log),
        )

    # -- writing -----------------------------------------------------------------------
    def rejects_path(self, path: str | Path) -> Path:
        """Where :meth:`write` puts the rejects for predictions written to ``path``."""
        target = Path(path)
        return target.with_name(f"{target.stem}.rejects{target.suffix}")

    def log_path(self, path: str | Path) -> Path:
        """Where :meth:`write` puts the prediction log for predictions written to ``path``."""
        target = Path(path)
        return target.with_name(f"{target.stem}.log.parquet")

    def prediction_log(self, *, batch_time: Any = None) -> Any:
        """The predictions with the batch-wide log fields, as a Dask DataFrame (see :meth:`ScoreResult.prediction_log`)."""
        when = pd.Timestamp(batch_time if batch_time is not None else self.log.get("scored_at"))
        if when is not pd.NaT and when.tzinfo is None:
            when = when.tz_localize("UTC")
        columns: dict[str, Any] = {"batch_time": when}
        for name in ("run_id", "bundle", "scored_at"):
            value = self.log.get(name)
            columns[name] = value if value is not None else ""
        columns["latency"] = float("nan") if self.log.get("latency") is None else float(self.log["latency"])
        return self.predictions.assign(**columns)

    def write(self, path: str | Path, *, batch_time: Any = None) -> Path:
        """Write predictions, rejects and the prediction log as partitioned Parquet data sets, from the workers.

        ``path`` becomes a folder of Parquet files (one per partition,
        readable as one table by ``pandas.read_parquet`` or
        ``dask.dataframe.read_parquet``); the rejects go to
        ``<stem>.rejects<suffix>`` and, when the result came from
        :meth:`Bundle.score`, the prediction log to ``<stem>.log.parquet``.
        Each data set is written by the workers into a hidden temporary
        folder beside its target and renamed into place only when every
        partition is written (:func:`mlcheck._atomic.atomic_directory`), so
        a reader never sees part of one; a failure leaves the targets as they
        were. The three data sets and the counts are computed together: each
        partition is scored once. ``path`` must be on storage every worker
        shares with the client. An unnamed index is stored under Dask's name
        ``__null_dask_index__``, which ``dask.dataframe.read_parquet`` reads
        back as unnamed (``pandas.read_parquet`` keeps the name).

        Returns
        -------
        pathlib.Path
            The predictions' folder.

        Raises
        ------
        UsageError
            ``path`` does not end in ``.parquet``/``.pq`` or its folder does not exist.
        """
        from contextlib import ExitStack

        from mlcheck._atomic import atomic_directory

        target = Path(path)
        if target.suffix.lower() not in (".parquet", ".pq"):
            raise UsageError(
                f"cannot write a Dask result to {target}: a distributed result is written as a Parquet "
                "data set (a folder of files); use a path ending in .parquet"
            )
        if not target.parent.is_dir():
            raise UsageError(
                f"cannot write predictions to {target}: the folder {target.parent} does not exist"
            )
        outputs = [(target, self.predictions), (self.rejects_path(target), self.rejects)]
        if self.log:
            outputs.append((self.log_path(target), self.prediction_log(batch_time=batch_time)))
        with ExitStack() as stack:
            folders = [stack.enter_context(atomic_directory(where)) for where, _ in outputs]
            writes = [
                frame.to_parquet(str(folder), engine="pyarrow", compute=False, write_index=True)
                for folder, (_, frame) in zip(folders, outputs)
            ]
            # one computation: every partition is scored once and feeds the three writes and the counts
            *_, summaries = _compute(*writes, list(self.summaries))
            self._remember(summaries)
        return target
