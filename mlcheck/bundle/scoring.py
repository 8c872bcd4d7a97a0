"""Scoring a batch with a bundle: no row is lost, every reject has a reason.

The batch is conformed to the bundle's schema first (a missing column rejects
every row with reason code ``missing_column``; an empty batch missing one
raises), extra columns are dropped with a
warning, dtypes are coerced when lossless); rows that cannot be scored go to
``rejects`` with a reason. The model then
scores the remaining rows in one call; when it raises, the batch is bisected
so that only the rows it cannot score are rejected, each with the model's
error. Invariant: ``n_rows == n_scored + n_rejected``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlcheck.contracts.conform import RejectReason, conform
from mlcheck.contracts.parity import PREDICTION, model_outputs
from mlcheck.contracts.schema import Schema
from mlcheck.errors import UsageError

if TYPE_CHECKING:
    from mlcheck.bundle.distributed import DaskScoreResult

__all__ = ["ScoreResult", "check_output_names", "score_frame"]

REASON = "reason"
REASON_CODE = "reason_code"
ROW = "row"
FALLBACK = "fallback"
#: Bisection stops after this many model calls per failing batch and rejects what is left whole.
_MAX_BISECT_CALLS = 2000


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    from mlcheck._atomic import write_with

    write_with(path, write, fsync=True)  # predictions feed other systems: flushed before they appear


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        _atomic_write(path, lambda target: frame.to_parquet(target, engine="pyarrow"))
    elif suffix == ".csv":
        label = [name if name is not None else "index" for name in frame.index.names]
        _atomic_write(path, lambda target: frame.to_csv(target, index=True, index_label=label))
    else:
        raise UsageError(f"cannot write predictions to {path}: use a .parquet, .pq or .csv path")


@dataclass(frozen=True)
class ScoreResult:
    """What :meth:`Bundle.score` produced.

    Attributes
    ----------
    predictions : pandas.DataFrame
        One row per scored input row (and per rejected row when a fallback is
        configured, flagged in a ``fallback`` column), indexed like the input:
        the key columns, ``prediction`` and, when asked, ``score_<class>``.
    rejects : pandas.DataFrame
        The rows that could not be scored: key columns, ``row`` (position in
        the input), the input's values, a ``reason`` (text) and a
        ``reason_code`` (the :class:`~mlcheck.contracts.conform.RejectReason` codes,
        joined by ``;`` when a row has several).
    n_rows, n_scored, n_rejected : int
        Always ``n_rows == n_scored + n_rejected``.
    notes : tuple of str
        What scoring did beyond the plain path: lossless casts, unseen levels
        passed to a model that handles them.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.bundle import ScoreResult
    >>> result = ScoreResult(pd.DataFrame({"prediction": [1]}), pd.DataFrame({"reason": ["x: missing"]}), 2, 1, 1)
    >>> result.coverage
    0.5
    """

    predictions: pd.DataFrame
    rejects: pd.DataFrame
    n_rows: int
    n_scored: int
    n_rejected: int
    fallback: Any = None
    notes: tuple[str, ...] = ()
    #: the prediction log's batch-wide fields, set by Bundle.score: ``run_id``
    #: (the job's, or None), ``bundle`` (sha256 of the bundle's MANIFEST.json),
    #: ``bundle_path``, ``scored_at`` (UTC, ISO 8601) and ``latency`` (seconds per row)
    log: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_rows != self.n_scored + self.n_rejected:
            raise ValueError(
                f"a score result must account for every row: {self.n_rows} rows in, "
                f"{self.n_scored} scored + {self.n_rejected} rejected"
            )

    @property
    def coverage(self) -> float | None:
        """Fraction of rows with a real prediction (None for an empty batch)."""
        return self.n_scored / self.n_rows if self.n_rows else None

    @property
    def reason_counts(self) -> dict[str, int]:
        """Reason code -> rejected rows carrying it (a row with two codes counts under both)."""
        if REASON_CODE not in self.rejects.columns:
            return {}
        codes = self.rejects[REASON_CODE].tolist()
        return dict(Counter(code for joined in codes for code in str(joined).split(";") if code))

    def rejects_path(self, path: str | Path) -> Path:
        """Where :meth:`write` puts the rejects for predictions written to ``path``."""
        target = Path(path)
        return target.with_name(f"{target.stem}.rejects{target.suffix}")

    def log_path(self, path: str | Path) -> Path:
        """Where :meth:`write` puts the prediction log for predictions written to ``path``."""
        target = Path(path)
        return target.with_name(f"{target.stem}.log.parquet")

    def prediction_log(self, *, batch_time: Any = None) -> pd.DataFrame:
        """The predictions with what traces each to its model and run.

        Columns: the predictions' own (key columns, ``prediction``,
        ``score_<class>``), then ``batch_time`` (``batch_time`` given, else
        the scoring time; UTC), ``run_id``, ``bundle`` (sha256 of the bundle's
        MANIFEST.json), ``scored_at`` and ``latency`` (seconds per row, the
        batch's mean). Indexed like the predictions.
        """
        log = self.predictions.copy()
        when = pd.Timestamp(batch_time if batch_time is not None else self.log.get("scored_at"))
        log["batch_time"] = when.tz_localize("UTC") if when is not pd.NaT and when.tzinfo is None else when
        for name in ("run_id", "bundle", "scored_at", "latency"):
            log[name] = self.log.get(name)
        return log

    def write(
        self, path: str | Path, *, batch_time: Any = None, protect: str | Path | Sequence[str | Path] = ()
    ) -> Path:
        """Write the predictions to ``path`` (Parquet or CSV) and the rejects beside it, atomically.

        The rejects go to ``<stem>.rejects<suffix>`` (written even when empty,
        so a stale file from an earlier batch never survives). Each file is
        written to a temporary file in the same folder and renamed into place.
        When the result came from :meth:`Bundle.score`, the prediction log
        (:meth:`prediction_log`, with ``batch_time``) goes to
        ``<stem>.log.parquet``: what delayed labels are joined to
        (:func:`mlcheck.monitoring.labels.realized_performance`).

        Parameters
        ----------
        path : str or pathlib.Path
        batch_time : optional
            The prediction log's ``batch_time`` (default: the scoring time).
        protect : path or list of paths, optional
            Files never to overwrite, typically the batch's own file
            (``protect=input_path``): a scoring job given the same path for
            its input and its output would replace the batch by its predictions.

        Returns
        -------
        pathlib.Path
            The predictions' path.

        Raises
        ------
        UsageError
            The folder does not exist, the suffix is not ``.parquet``/``.pq``/``.csv``,
            or one of the files to write is a ``protect``-ed one (nothing is written).
        WriteError
            The system refused the write (read-only folder, full disk).

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> from mlcheck.bundle import ScoreResult
        >>> result = ScoreResult(pd.DataFrame({"prediction": [1, 0]}), pd.DataFrame({"reason": []}), 2, 2, 0)
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> result.write(folder / "out.csv").name
        'out.csv'
        """
        target = Path(path)
        if not target.parent.is_dir():
            raise UsageError(
                f"cannot write predictions to {target}: the folder {target.parent} does not exist"
            )
        protected = {Path(p).resolve() for p in ([protect] if isinstance(protect, (str, Path)) else protect)}
        targets = [target, self.rejects_path(target), *([self.log_path(target)] if self.log else [])]
        clash = [str(t) for t in targets if t.resolve() in protected]
        if clash:
            raise UsageError(
                f"cannot write predictions to {target}: {clash[0]} is a protected input "
                "(write(protect=...)), it would be overwritten; write the predictions to another path"
            )
        rejects = self.rejects.copy()
        for column in rejects.columns:  # raw input values of mixed types: keep them readable in any format
            if rejects[column].dtype == object:
                rejects[column] = rejects[column].map(lambda value: None if value is None else str(value))
        _write_frame(rejects, self.rejects_path(target))
        if self.log:
            _write_frame(self.prediction_log(batch_time=batch_time), self.log_path(target))
        _write_frame(self.predictions, target)
        return target


#: Input bytes per batch when Bundle.score picks the batch size. A scikit-learn pipeline holds
#: several times its input while it runs (about 6x for scaling plus one-hot encoding: 1.1 GB for
#: 181 MB of input), so batches of 16 MiB of input keep that transient near 100 MB whatever the
#: frame's size, and the peak growth of a large batch near its outputs' size (bench/scoring.py).
BATCH_BYTES = 16 * 2**20
#: Smaller batches would only add calls (each costs the pipeline's fixed overhead).
MIN_BATCH_ROWS = 10_000


def default_batch_size(frame: pd.DataFrame) -> int:
    """Rows per batch for about :data:`BATCH_BYTES` of ``frame``'s memory (its first rows' size per row).

    Measured on the first 1,000 rows with ``memory_usage(deep=True)`` (text
    counted by its characters), which costs microseconds whatever the frame's length.
    """
    n_rows = len(frame)
    if n_rows <= MIN_BATCH_ROWS:
        return max(n_rows, 1)
    head = frame.iloc[:1000]
    per_row = float(head.memory_usage(deep=True, index=True).sum()) / len(head)
    return max(MIN_BATCH_ROWS, min(n_rows, int(BATCH_BYTES / max(per_row, 1.0))))


def _predict_guarded(
    model: Any, features: pd.DataFrame, *, scores: bool, budget: list[int], form: str
) -> tuple[list[tuple[np.ndarray, pd.DataFrame]], dict[int, str]]:
    """Score ``features``; on an exception, bisect to reject only the rows the model cannot take."""
    scored: list[tuple[np.ndarray, pd.DataFrame]] = []
    failed: dict[int, str] = {}

    def visit(start: int, stop: int) -> None:
        chunk = features.iloc[start:stop] if (start, stop) != (0, len(features)) else features
        budget[0] -= 1
        try:
            outputs = model_outputs(model, chunk if form == "frame" else chunk.to_numpy(), scores=scores)
            if outputs.index is not chunk.index:  # a model fed an array returns a fresh index
                outputs = outputs.set_axis(chunk.index)
        except Exception as error:  # noqa: BLE001 - the model's own error becomes the rows' reason
            reason = (
                f"model raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            )
            if stop - start == 1 or budget[0] <= 0:
                for position in range(start, stop):
                    failed[position] = reason
                return
            middle = (start + stop) // 2
            visit(start, middle)
            visit(middle, stop)
            return
        scored.append((np.arange(start, stop), outputs))

    if len(features):
        visit(0, len(features))
    return scored, failed


#: Columns of ``rejects`` that scoring adds beside the input's own columns.
REJECT_COLUMNS = frozenset({ROW, REASON, REASON_CODE})
#: Columns of ``predictions`` and the prediction log that scoring adds beside the key columns.
PREDICTION_COLUMNS = frozenset(
    {PREDICTION, FALLBACK, "batch_time", "run_id", "bundle", "scored_at", "latency"}
)


def check_output_names(columns: Sequence[Any], keys: Sequence[str], *, where: str) -> None:
    """Refuse input or key columns named like scoring's own output columns.

    Every input column is copied to ``rejects`` beside ``row``, ``reason``
    and ``reason_code``; key columns are copied to ``predictions`` beside
    ``prediction``, ``score_<class>``, ``fallback``, ``driver_<k>`` and the
    log's fields. A clash would give duplicated columns (``write`` cannot
    store them) or silently replace the input's values.

    Raises
    ------
    UsageError
        Naming the column, the clash and the fix (rename it).
    """
    taken_by_keys = REJECT_COLUMNS | PREDICTION_COLUMNS
    clashes = list(
        dict.fromkeys(
            [str(name) for name in columns if str(name) in REJECT_COLUMNS]
            + [
                str(name)
                for name in keys
                if name in taken_by_keys or str(name).startswith(("score_", "driver_"))
            ]
        )
    )
    if clashes:
        name = clashes[0]
        raise UsageError(
            f"{where}: the column {name!r} has the name of a column scoring adds to its output "
            f"(rejects: {', '.join(sorted(REJECT_COLUMNS))}; predictions: {', '.join(sorted(PREDICTION_COLUMNS))}, "
            f"score_<class>, driver_<k>); rename it, e.g. frame.rename(columns={{{name!r}: 'input_{name}'}}), "
            "and fit the model on the new name if it is a feature"
            + (f" ({len(clashes) - 1} more: {clashes[1:4]})" if len(clashes) > 1 else "")
        )


def _key_columns(frame: pd.DataFrame, key: str | Sequence[str] | None) -> tuple[str, ...]:
    if key is None:
        return ()
    columns = (key,) if isinstance(key, str) else tuple(key)
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise UsageError(
            f"key column(s) {missing} are not in the frame; its columns are {list(frame.columns)[:20]}"
        )
    return columns


def score_frame(
    model: Any,
    schema: Schema,
    frame: pd.DataFrame,
    *,
    fallback: Any = None,
    batch_size: int | None = None,
    key: str | Sequence[str] | None = None,
    scores: bool = False,
    form: str | None = None,
    unseen_how: dict[str, str] | None = None,
    sample: pd.DataFrame | None = None,
) -> ScoreResult | DaskScoreResult:
    """Score ``frame`` with ``model`` behind ``schema``; see :meth:`Bundle.score`.

    A Dask frame gives a lazy :class:`mlcheck.bundle.distributed.DaskScoreResult`
    (``sample``: rows the model scores, to learn the predictions' dtypes).
    """
    if form is None:
        from mlcheck.bundle.estimator import input_form

        form = input_form(model)
    if _is_dask(frame):
        from mlcheck.bundle.distributed import score_dask

        return score_dask(
            model,
            schema,
            frame,
            fallback=fallback,
            batch_size=batch_size,
            key=key,
            scores=scores,
            form=form,
            unseen_how=unseen_how,
            sample=sample,
        )
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(f"Bundle.score expects a pandas DataFrame, got {type(frame).__name__}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise UsageError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    keys = _key_columns(frame, key)
    check_output_names(list(frame.columns), keys, where="Bundle.score")
    n_rows = len(frame)
    step = batch_size or default_batch_size(frame)
    pieces: list[tuple[np.ndarray, pd.DataFrame]] = []
    reasons: list[pd.Series] = []  # row position -> why it was rejected
    codes: list[pd.Series] = []  # row position -> reason codes
    casts: dict[str, str] = {}
    passed: dict[str, int] = {}
    # a missing column rejects every row (reason code missing_column), as check_schema counts them:
    # a bad batch is a failed contract (check_coverage), never a crash a scheduler retries. An empty
    # frame (a Dask frame's metadata too) has no row to reject: its missing column raises
    missing: Literal["raise", "reject"] = "reject" if n_rows else "raise"
    for start in range(0, max(n_rows, 1), step):
        chunk = frame if step >= n_rows else frame.iloc[start : start + step]
        conformed = conform(chunk, schema, keep=keys, warn=start == 0, missing=missing)
        casts.update(conformed.casts)
        for column, count in conformed.unseen_passed.items():
            passed[column] = passed.get(column, 0) + count
        if conformed.parts:
            found = conformed.reason_text()
            reasons.append(found.set_axis(found.index + start))
            found_codes = conformed.reason_codes()
            codes.append(found_codes.set_axis(found_codes.index + start))
        good = np.flatnonzero(~conformed.bad)
        features = conformed.features if len(good) == len(chunk) else conformed.features.iloc[good]
        budget = [_MAX_BISECT_CALLS]
        scored, failed = _predict_guarded(model, features, scores=scores, budget=budget, form=form)
        for positions, outputs in scored:
            pieces.append((start + good[positions], outputs))
        if failed:
            positions = start + good[np.array(list(failed), dtype=np.int64)]
            reasons.append(pd.Series(list(failed.values()), index=positions, dtype=object))
            codes.append(pd.Series(RejectReason.MODEL_ERROR.value, index=positions, dtype=object))
    why = pd.concat(reasons).sort_index() if reasons else pd.Series([], dtype=object)
    code = pd.concat(codes).sort_index() if codes else pd.Series([], dtype=object)
    notes = tuple(f"{column}: {note}" for column, note in casts.items()) + tuple(
        f"{column}: {count} row(s) with a level unseen in training passed to the model, which handles it "
        f"({(unseen_how or {}).get(column, 'as configured')})"
        for column, count in passed.items()
    )
    return _assemble(frame, keys, pieces, why, code, fallback, n_rows, notes)


def _assemble(
    frame: pd.DataFrame,
    keys: tuple[str, ...],
    pieces: list[tuple[np.ndarray, pd.DataFrame]],
    reasons: pd.Series,
    codes: pd.Series,
    fallback: Any,
    n_rows: int,
    notes: tuple[str, ...] = (),
) -> ScoreResult:
    rejected = reasons.index.to_numpy(dtype=np.int64)
    if len(pieces) == 1 and len(pieces[0][0]) == n_rows:
        positions, predictions = pieces[0]  # the clean path: nothing to stitch
    elif pieces:
        positions = np.concatenate([p for p, _ in pieces])
        predictions = pd.concat([outputs for _, outputs in pieces])
    else:
        # keep the input's index type (a MultiIndex stays one) even when no row was scored
        positions, predictions = (
            np.array([], dtype=np.int64),
            pd.DataFrame({PREDICTION: []}, index=frame.index[:0]),
        )
    n_scored = len(positions)
    if keys:
        key_values = frame[list(keys)].iloc[positions]
        predictions = pd.concat([key_values.set_axis(predictions.index), predictions], axis=1)
    if fallback is not None:
        if len(rejected):
            stand_in = pd.DataFrame(
                {
                    **{k: frame[k].iloc[rejected].to_numpy() for k in keys},
                    PREDICTION: [fallback] * len(rejected),
                },
                index=frame.index[rejected],
            )
            predictions = pd.concat(
                [predictions.assign(**{FALLBACK: False}), stand_in.assign(**{FALLBACK: True})]
            )
            order = np.argsort(np.concatenate([positions, rejected]), kind="stable")
            predictions = predictions.iloc[order]
        else:
            predictions = predictions.assign(**{FALLBACK: False})
    elif len(pieces) > 1:
        predictions = predictions.iloc[np.argsort(positions, kind="stable")]
    raw = frame.iloc[rejected]
    why = pd.Series(reasons.to_numpy(), index=raw.index, dtype="str")
    code = pd.Series(codes.to_numpy(), index=raw.index, dtype="str")
    rejects = raw.assign(**{ROW: rejected, REASON: why, REASON_CODE: code})
    rejects = rejects[[*keys, ROW, *[c for c in raw.columns if c not in keys], REASON, REASON_CODE]]
    return ScoreResult(
        predictions=predictions,
        rejects=rejects,
        n_rows=n_rows,
        n_scored=n_scored,
        n_rejected=len(rejected),
        fallback=fallback,
        notes=notes,
    )


def _is_dask(frame: Any) -> bool:
    from mlcheck._dask import is_dask

    return is_dask(frame)
