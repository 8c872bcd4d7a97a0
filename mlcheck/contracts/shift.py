"""Distribution shift: KL and PSI on binned profiles, with a noise-aware decision.

Both sides are binned on the reference's bins (quantile edges with open outer
edges, a missing bin, -inf/+inf bins, ``__other__`` for unseen levels). Bins
that are empty on both sides carry no evidence and are dropped. Each remaining
bin gets additive smoothing of 0.5, and then

* ``KL(current || reference) = sum q_i ln(q_i / p_i)`` in nats,
* ``PSI = sum (q_i - p_i) ln(q_i / p_i)``,
* the Jensen-Shannon distance (natural log),
* the G-test p-value of ``2 * n_eff * KL ~ chi2(B - 1)`` with
  ``n_eff = n_ref * n_cur / (n_ref + n_cur)``, and the noise floor: the KL that
  sampling noise alone exceeds with probability ``alpha``.

A feature has drifted only when the effect is above the threshold **and**
significant, so small samples do not raise false alarms and huge samples do not
flag trivial shifts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlcheck.display.cards import format_value, register_card
from mlcheck.contracts import register_check
from mlcheck.results import CheckResult, Outcome
from mlcheck.errors import UsageError
from mlcheck.profiling.model import OTHER, CategoricalColumn, ColumnSummary, NumericColumn, Profile, profile

__all__ = ["SMOOTHING", "check_shift", "shift_report"]

#: Pseudo-count added to every bin on both sides before KL and PSI.
SMOOTHING = 0.5
#: Bins a categorical feature shows in a result's details (the rest are summed).
DETAIL_BINS = 16
#: Features whose histogram the card draws.
CARD_HISTOGRAMS = 3
#: per-bin shares are kept for this many features, the most shifted first (for explore())
DETAIL_HISTOGRAMS = 3
#: the card's feature table lists every drifted feature and at least this many in all
CARD_FEATURES = 12
#: details keep the full record of every failing feature and of the top movers up to this many in all
DETAIL_FEATURES = CARD_FEATURES

REPORT_COLUMNS = [
    "feature",
    "kl",
    "psi",
    "js",
    "p_value",
    "noise_floor",
    "drifted",
    "status",
    "kind",
    "n_bins",
    "n_reference",
    "n_current",
    "top_bins",
    "dtype_reference",
    "dtype_current",
    "notes",
]


@dataclass(frozen=True)
class FeatureShift:
    """How one feature moved between reference and current."""

    feature: str
    kind: str
    status: str
    n_reference: int = 0
    n_current: int = 0
    labels: tuple[str, ...] = ()
    reference_counts: tuple[int, ...] = ()
    current_counts: tuple[int, ...] = ()
    kl: float | None = None
    psi: float | None = None
    js: float | None = None
    p_value: float | None = None
    noise_floor: float | None = None
    large: bool = False
    drifted: bool | None = None
    dtype_reference: str = ""
    dtype_current: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def reference_shares(self) -> np.ndarray:
        return np.asarray(self.reference_counts, dtype=float) / max(self.n_reference, 1)

    @property
    def current_shares(self) -> np.ndarray:
        return np.asarray(self.current_counts, dtype=float) / max(self.n_current, 1)

    def top_bins(self, k: int = 3) -> list[int]:
        """Indices of the bins whose share moved most, largest move first."""
        if not self.labels or self.status != "ok":
            return []
        moved = np.abs(self.current_shares - self.reference_shares)
        order = np.argsort(-moved, kind="stable")[:k]
        return [int(i) for i in order if moved[i] > 0]


# -- binning both sides alike ----------------------------------------------------
def _edge_format(dtype: str, digits: int) -> Callable[[float], str]:
    """How an edge reads: a date for datetime columns (edges are their integer ticks), else a number."""
    if dtype.startswith("datetime64["):
        unit = dtype[len("datetime64[") :].split(",")[0].rstrip("]")
        return lambda edge: str(np.datetime_as_string(np.datetime64(int(edge), unit), unit="m"))
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


def _numeric_vectors(
    name: str, reference: NumericColumn, current: NumericColumn
) -> tuple[list[str], list[int], list[int]]:
    if reference.edges != current.edges:
        raise UsageError(
            f"shift of {name!r}: the current profile was binned on other edges than the reference; "
            "build it with mc.profile(current, edges_from=reference) or pass the current frame itself"
        )
    labels = ["-inf", *bin_labels(reference.edges, 3, dtype=reference.dtype), "+inf", "missing"]
    ref = [reference.neg_inf, *reference.counts, reference.pos_inf, reference.missing]
    cur = [current.neg_inf, *current.counts, current.pos_inf, current.missing]
    return labels, ref, cur


def _categorical_vectors(
    reference: CategoricalColumn, current: CategoricalColumn
) -> tuple[list[str], list[int], list[int]]:
    # Aligned by label; exact whenever the current profile kept all its levels (other == 0
    # there, or it was built with edges_from=reference).
    current_counts = dict(zip(current.levels, current.counts))
    aligned = [current_counts.pop(level, 0) for level in reference.levels]
    labels = [*reference.levels, OTHER, "missing"]
    ref = [*reference.counts, reference.other, reference.missing]
    cur = [*aligned, current.other + sum(current_counts.values()), current.missing]
    return labels, ref, cur


def _statistics(ref: np.ndarray, cur: np.ndarray, alpha: float) -> tuple[float, float, float, float, float]:
    """KL, PSI, JS distance, G-test p-value and noise floor of two count vectors."""
    from scipy import stats
    from scipy.spatial.distance import jensenshannon
    from scipy.special import rel_entr

    n_bins = ref.size
    n_ref, n_cur = float(ref.sum()), float(cur.sum())
    if n_bins <= 1:
        return 0.0, 0.0, 0.0, 1.0, 0.0
    p = (ref + SMOOTHING) / (n_ref + SMOOTHING * n_bins)
    q = (cur + SMOOTHING) / (n_cur + SMOOTHING * n_bins)
    forward = rel_entr(q, p)
    kl = float(forward.sum())
    psi = float((forward + rel_entr(p, q)).sum())
    js = float(jensenshannon(p, q))
    n_eff = n_ref * n_cur / (n_ref + n_cur)
    p_value = float(stats.chi2.sf(2.0 * n_eff * kl, n_bins - 1))
    noise_floor = float(stats.chi2.isf(alpha, n_bins - 1) / (2.0 * n_eff))
    return max(kl, 0.0), max(psi, 0.0), js, p_value, noise_floor


def _compare(
    name: str,
    reference: ColumnSummary,
    current: ColumnSummary | None,
    *,
    alpha: float,
    max_kl: float | None,
    max_psi: float | None,
) -> FeatureShift:
    base: dict[str, Any] = {"feature": name, "kind": reference.kind, "dtype_reference": reference.dtype}
    notes = tuple(getattr(reference, "notes", ()))
    if current is None:
        return FeatureShift(status="missing_in_current", drifted=None, notes=notes, **base)
    base["dtype_current"] = current.dtype
    notes = tuple(dict.fromkeys(notes + tuple(getattr(current, "notes", ()))))
    if reference.kind != current.kind:
        return FeatureShift(
            status="kind_changed", n_reference=reference.n_rows, n_current=current.n_rows, notes=notes, **base
        )
    if isinstance(reference, NumericColumn):
        labels, ref, cur = _numeric_vectors(name, reference, current)  # type: ignore[arg-type]
    else:
        labels, ref, cur = _categorical_vectors(reference, current)  # type: ignore[arg-type]
    ref_counts, cur_counts = np.asarray(ref, dtype=np.int64), np.asarray(cur, dtype=np.int64)
    used = (ref_counts + cur_counts) > 0
    base.update(
        n_reference=int(ref_counts.sum()),
        n_current=int(cur_counts.sum()),
        labels=tuple(label for label, keep in zip(labels, used) if keep),
        reference_counts=tuple(int(c) for c in ref_counts[used]),
        current_counts=tuple(int(c) for c in cur_counts[used]),
        notes=notes,
    )
    if base["n_reference"] == 0 or base["n_current"] == 0:
        return FeatureShift(status="empty", drifted=None, **base)
    kl, psi, js, p_value, noise_floor = _statistics(ref_counts[used], cur_counts[used], alpha)
    large = (max_kl is not None and kl > max_kl) or (max_psi is not None and psi > max_psi)
    return FeatureShift(
        status="ok",
        kl=kl,
        psi=psi,
        js=js,
        p_value=p_value,
        noise_floor=noise_floor,
        large=large,
        drifted=bool(large and p_value < alpha),
        **base,
    )


def _as_profiles(
    reference: Any, current: Any, bins: int, categorical: Sequence[str] | None
) -> tuple[Profile, Profile]:
    if isinstance(reference, Profile) and isinstance(current, Profile):
        return reference, current
    if isinstance(reference, Profile):
        return reference, profile(current, edges_from=reference, bins=reference.bins)
    if isinstance(current, Profile):
        return profile(reference, edges_from=current, bins=current.bins), current
    reference_profile = profile(reference, bins=bins, categorical=categorical)
    return reference_profile, profile(current, edges_from=reference_profile, bins=bins)


def _validate(max_kl: Any, max_psi: Any, alpha: Any, where: str) -> None:
    for option, value in (("max_kl", max_kl), ("max_psi", max_psi)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
        ):
            raise UsageError(f"{where}: {option} must be a number >= 0 or None, got {value!r}")
    if max_kl is None and max_psi is None:
        raise UsageError(f"{where}: give max_kl, max_psi or both; with neither nothing could drift")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise UsageError(f"{where}: alpha must be a probability strictly between 0 and 1, got {alpha!r}")


def _shifts(
    reference: Any,
    current: Any,
    *,
    max_kl: float | None,
    max_psi: float | None,
    alpha: float,
    features: Sequence[str] | None,
    bins: int,
    categorical: Sequence[str] | None,
    where: str,
) -> tuple[list[FeatureShift], Profile, Profile]:
    _validate(max_kl, max_psi, alpha, where)
    reference_profile, current_profile = _as_profiles(reference, current, bins, categorical)
    if features is None:
        names = list(reference_profile.columns)
    else:
        names = [features] if isinstance(features, str) else [str(f) for f in features]
        unknown = [f for f in names if f not in reference_profile]
        if unknown:
            raise UsageError(
                f"{where}: features {unknown} are not in the reference; "
                f"its columns are: {', '.join(reference_profile.columns) or '(none)'}"
            )
    shifts = [
        _compare(
            name,
            reference_profile.columns[name],
            current_profile.columns.get(name),
            alpha=alpha,
            max_kl=max_kl,
            max_psi=max_psi,
        )
        for name in names
    ]
    if features is None:
        shifts += [
            FeatureShift(feature=name, kind=column.kind, status="new_in_current", dtype_current=column.dtype)
            for name, column in current_profile.columns.items()
            if name not in reference_profile
        ]
    return shifts, reference_profile, current_profile


def shift_report(
    reference: Any,
    current: Any,
    *,
    max_kl: float | None = 0.1,
    max_psi: float | None = None,
    alpha: float = 0.01,
    features: Sequence[str] | None = None,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
) -> Any:
    """Per-feature shift between a reference and a current data set, as a table.

    Parameters
    ----------
    reference, current : pandas/pyarrow/Dask frame or Profile
        The data the model learned on and the data it meets now. A frame is
        profiled; the current side is always binned on the reference's bins.
    max_kl, max_psi : float or None
        The effect thresholds (``drifted`` needs KL above ``max_kl`` or PSI
        above ``max_psi``, and significance).
    alpha : float, default 0.01
        Significance level of the G-test and of the noise floor.
    features : list of str, optional
        Only these reference columns.
    bins, categorical
        Passed to :func:`mlcheck.profile` when the reference is a frame.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature; columns ``kl``, ``psi``, ``js``, ``p_value``,
        ``noise_floor``, ``drifted`` (nullable: NA when the feature could not be
        compared), ``status`` (``ok``, ``empty``, ``kind_changed``,
        ``missing_in_current``, ``new_in_current``), ``kind``, ``n_bins``,
        ``n_reference``, ``n_current``, ``top_bins``, ``dtype_reference``,
        ``dtype_current`` and ``notes``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, mlcheck as mc
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(0, 1, 5000)})
    >>> current = pd.DataFrame({"x": rng.normal(0.5, 1, 5000)})
    >>> report = mc.shift_report(reference, current)
    >>> bool(report.loc["x", "drifted"]), round(float(report.loc["x", "kl"]), 2)
    (True, 0.14)
    """
    import pandas as pd

    shifts, _, _ = _shifts(
        reference,
        current,
        max_kl=max_kl,
        max_psi=max_psi,
        alpha=alpha,
        features=features,
        bins=bins,
        categorical=categorical,
        where="shift_report",
    )
    rows = []
    for shift in shifts:
        top = shift.top_bins()
        rows.append(
            {
                "feature": shift.feature,
                "kl": shift.kl,
                "psi": shift.psi,
                "js": shift.js,
                "p_value": shift.p_value,
                "noise_floor": shift.noise_floor,
                "drifted": shift.drifted,
                "status": shift.status,
                "kind": shift.kind,
                "n_bins": len(shift.labels),
                "n_reference": shift.n_reference,
                "n_current": shift.n_current,
                "top_bins": ", ".join(_moved_text(shift, i) for i in top),
                "dtype_reference": shift.dtype_reference,
                "dtype_current": shift.dtype_current,
                "notes": "; ".join(shift.notes),
            }
        )
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS).set_index("feature")
    for column in ("kl", "psi", "js", "p_value", "noise_floor"):
        report[column] = report[column].astype("float64")
    report["drifted"] = report["drifted"].astype("boolean")
    return report


def _moved_text(shift: FeatureShift, index: int) -> str:
    return f"{shift.labels[index]} {shift.reference_shares[index]:.1%}->{shift.current_shares[index]:.1%}"


def _moved_short(shift: FeatureShift, index: int) -> str:
    """``bin ref%->cur%`` with two significant digits, for a failed outcome's message."""
    ref, cur = (
        float(f"{share * 100.0:.2g}")
        for share in (shift.reference_shares[index], shift.current_shares[index])
    )
    return f"{shift.labels[index]} {ref:g}%->{cur:g}%"


# -- the check -----------------------------------------------------------------
def _sig(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def _pct(share: float) -> float | int:
    """A share in percent, 4 significant digits; whole percents as integers (shorter JSON)."""
    value = float(f"{share * 100.0:.4g}")
    return int(value) if value.is_integer() else value


def _detail(shift: FeatureShift, *, histogram: bool = True) -> dict[str, Any]:
    """The compact per-feature record a card, a report or an explorer widget reads.

    ``histogram=False`` leaves the per-bin shares out (features that moved least),
    so a result over many features stays small in a saved notebook.
    """
    # kind "numeric" and status "ok" are the defaults and left out to keep the JSON small
    record: dict[str, Any] = {}
    if shift.kind != "numeric":
        record["kind"] = shift.kind
    if shift.status != "ok":
        record["status"] = shift.status
    if shift.status == "ok":
        record.update(
            kl=_sig(shift.kl, 5),
            psi=_sig(shift.psi, 5),
            js=_sig(shift.js),
            p_value=_sig(shift.p_value, 3),
            noise_floor=_sig(shift.noise_floor),
            drifted=shift.drifted,
        )
    if shift.labels and histogram:
        labels = list(shift.labels)
        ref, cur = shift.reference_shares, shift.current_shares
        if (
            shift.kind == "categorical" and len(labels) > DETAIL_BINS
        ):  # many levels: keep those that weigh most on either side
            keep = np.sort(np.argsort(-np.maximum(ref, cur), kind="stable")[: DETAIL_BINS - 1])
            rest = np.setdiff1d(np.arange(len(labels)), keep)
            labels = [labels[i] for i in keep] + [f"{rest.size} more levels"]
            ref = np.append(ref[keep], ref[rest].sum())
            cur = np.append(cur[keep], cur[rest].sum())
        top = [labels.index(shift.labels[i]) for i in shift.top_bins() if shift.labels[i] in labels]
        # shares in percent with 4 significant digits: as precise as fractions, a third shorter
        record.update(
            bins=labels,
            reference_pct=[_pct(float(v)) for v in ref],
            current_pct=[_pct(float(v)) for v in cur],
            top_bins=top,
        )
    if shift.dtype_current and shift.dtype_current != shift.dtype_reference:
        record["dtype"] = [shift.dtype_reference, shift.dtype_current]
    if shift.notes:
        record["notes"] = list(shift.notes)
    return record


def _outcome(shift: FeatureShift, max_kl: float | None, max_psi: float | None) -> Outcome:
    threshold = max_kl if max_kl is not None else max_psi
    observed = _sig(shift.kl if max_kl is not None else shift.psi, 4)
    if shift.status == "missing_in_current":
        return Outcome(shift.feature, False, None, threshold, "missing in the current data")
    if shift.status == "kind_changed":
        return Outcome(
            shift.feature,
            False,
            None,
            threshold,
            f"{shift.kind} in the reference ({shift.dtype_reference}) but not in the current "
            f"({shift.dtype_current}): fix the column's type",
        )
    if shift.status == "empty":
        side = "reference" if shift.n_reference == 0 else "current"
        return Outcome(
            shift.feature, False, None, threshold, f"no rows in the {side} data: nothing to compare"
        )
    # short: a failed outcome's message is saved twice per notebook output (JSON and text);
    # the observed value is already the KL (or the PSI), so the message gives the other one
    other = f"PSI {format_value(shift.psi, 3)}" if max_kl is not None else f"KL {format_value(shift.kl, 3)}"
    floor = f"noise floor {format_value(shift.noise_floor, 3)}"
    if shift.drifted:
        moved = ", ".join(_moved_short(shift, i) for i in shift.top_bins(2))
        message = f"{other}, {floor}; moved most: {moved}"
    elif shift.large:
        message = f"above the threshold but within noise ({floor})"
    else:
        message = ""
    return Outcome(shift.feature, not shift.drifted, observed, threshold, message)


@register_check("check_shift")
def check_shift(
    reference: Any,
    current: Any,
    *,
    max_kl: float | None = 0.1,
    max_psi: float | None = None,
    alpha: float = 0.01,
    features: Sequence[str] | None = None,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    severity: Literal["error", "warning"] = "error",
) -> CheckResult:
    """Check that no feature's distribution moved both far and for real.

    A feature fails when its KL(current || reference) exceeds ``max_kl`` (or
    its PSI exceeds ``max_psi``) **and** the G-test rejects "same
    distribution" at level ``alpha``. A feature missing from the current data,
    or whose type changed between numeric and categorical, fails too; an
    empty side fails every feature. Columns only in the current data are
    listed in the details.

    Parameters
    ----------
    reference, current : pandas/pyarrow/Dask frame or Profile
        E.g. ``X_train`` and ``X_test``, or ``bundle.profile`` and a new batch.
    max_kl : float or None, default 0.1
        Largest acceptable KL in nats.
    max_psi : float or None, default None
        Largest acceptable PSI (a common rule of thumb is 0.2).
    alpha : float, default 0.01
        Significance level: the rate of false alarms on unshifted data.
    features : list of str, optional
        Only check these reference columns.
    bins, categorical
        Passed to :func:`mlcheck.profile` when the reference is a frame.
    severity : {"error", "warning"}, default "error"
        Whether a failure blocks the export gate.

    Returns
    -------
    CheckResult
        One outcome per feature (its observed value is the KL, or the PSI).
        ``details["features"]`` holds the KL, PSI, JS distance, p-value and
        noise floor of every failing feature and of the top movers (at least
        12 features in all); the three that moved most also carry their bins
        with the reference and current shares. The other features have no
        record there, so a result over many features stays small.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mlcheck.contracts.shift import check_shift
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"age": rng.normal(40, 10, 5000), "city": rng.choice(["a", "b"], 5000)})
    >>> batch = pd.DataFrame({"age": rng.normal(45, 10, 5000), "city": rng.choice(["a", "b"], 5000)})
    >>> result = check_shift(train, batch)
    >>> result.passed, [o.subject for o in result.outcomes if not o.passed]
    (False, ['age'])
    """
    if severity not in ("error", "warning"):
        raise UsageError(f"check_shift: severity must be 'error' or 'warning', got {severity!r}")
    shifts, reference_profile, current_profile = _shifts(
        reference,
        current,
        max_kl=max_kl,
        max_psi=max_psi,
        alpha=alpha,
        features=features,
        bins=bins,
        categorical=categorical,
        where="check_shift",
    )
    compared = [s for s in shifts if s.status != "new_in_current"]
    new_columns = [s.feature for s in shifts if s.status == "new_in_current"]
    outcomes = tuple(_outcome(s, max_kl, max_psi) for s in compared)
    failed = [o for o in outcomes if not o.passed]
    scored = [s for s in compared if s.kl is not None]
    largest = max(scored, key=lambda s: s.kl or 0.0, default=None)
    threshold = max_kl if max_kl is not None else max_psi
    if not compared:
        message = "no features to compare: the reference has no columns"
    elif failed:
        message = (
            f"{len(failed)} of {len(compared)} features shifted or could not be compared: "
            + ", ".join(o.subject for o in failed[:8])
            + (", …" if len(failed) > 8 else "")
        )
    else:
        message = f"no feature drifted among {len(compared)}" + (
            f" (largest KL {format_value(largest.kl, 3)} on {largest.feature}, "
            f"noise floor {format_value(largest.noise_floor, 3)})"
            if largest is not None
            else ""
        )
    if new_columns:
        message += f"; {len(new_columns)} column(s) only in the current data: {', '.join(new_columns[:5])}"
    observed = None if largest is None else _sig(largest.kl if max_kl is not None else largest.psi)
    failing = {o.subject for o in failed}
    ranked = sorted(
        compared,
        key=lambda s: (s.feature in failing, s.kl if s.kl is not None else -1.0),
        reverse=True,
    )
    with_histograms = {s.feature for s in ranked[:DETAIL_HISTOGRAMS]}
    # the full record only for the failing features and the top movers: over many features
    # the rest would swell a saved notebook, and their KL is already their outcome's observed
    kept = [s for s in ranked if s.feature in failing]
    kept += [s for s in ranked if s.feature not in failing][: max(0, DETAIL_FEATURES - len(kept))]
    return CheckResult(
        "check_shift",
        passed=bool(compared) and not failed,
        severity=severity,
        observed=observed,
        threshold=threshold,
        details={
            "max_kl": max_kl,
            "max_psi": max_psi,
            "alpha": alpha,
            "n_reference": reference_profile.n_rows,
            "n_current": current_profile.n_rows,
            "new_columns": new_columns,
            "features": {s.feature: _detail(s, histogram=s.feature in with_histograms) for s in kept},
            "n_features": len(compared),
        },
        message=message,
        outcomes=outcomes,
    )


# -- the card ----------------------------------------------------------------------
def _histogram_svg(record: Mapping[str, Any], width: int = 260, height: int = 56) -> str:
    """Reference (grey) and current (blue) shares per bin as one compact SVG."""
    ref, cur = record.get("reference_pct") or [], record.get("current_pct") or []
    if not ref:
        return ""
    top = max(max(ref), max(cur), 1e-12)
    step = width / len(ref)
    bar = max(step / 2 - 0.5, 0.5)

    def path(shares: Sequence[float], offset: float) -> str:
        parts = []
        for i, share in enumerate(shares):
            h = round(share / top * (height - 2), 1)
            if h > 0:
                parts.append(f"M{round(i * step + offset, 1)} {height}v-{h}h{round(bar, 1)}v{h}z")
        return "".join(parts)

    return (
        f'<svg width="{width}" height="{height}" role="img" style="vertical-align:top">'
        f'<path d="{path(ref, 0)}" fill="#8c959f"/><path d="{path(cur, bar)}" fill="#0969da"/></svg>'
    )


def _shift_card(result: Mapping[str, Any]) -> str:
    features: Mapping[str, Mapping[str, Any]] = (result.get("details") or {}).get("features") or {}
    ranked = sorted(
        features.items(), key=lambda item: (not item[1].get("drifted"), -(item[1].get("kl") or 0.0))
    )
    listed = ranked[: max(CARD_FEATURES, sum(1 for _, r in ranked if r.get("drifted")))]
    rows = "".join(
        f"<tr><td>{html.escape(name)}<td>{format_value(r.get('kl'), 3)}<td>{format_value(r.get('psi'), 3)}"
        f"<td>{format_value(r.get('js'), 3)}<td>{format_value(r.get('p_value'), 2)}"
        f"<td>{format_value(r.get('noise_floor'), 2)}"
        f"<td>{'—' if r.get('drifted') is None else ('<b>yes</b>' if r['drifted'] else 'no')}"
        for name, r in listed
    )
    # details keep only the failing features and the top movers; the outcomes count them all
    n_features = max(len(result.get("outcomes") or ()), len(ranked))
    if n_features > len(listed):
        rows += f'<tr><td colspan="7" style="color:#57606a">… {n_features - len(listed)} more features, none drifted'
    table = (
        '<table cellpadding="2" style="font-size:12px;margin-top:6px"><tr><th align="left">feature (by KL)'
        "<th>KL<th>PSI<th>JS<th>p<th>noise floor<th>drifted" + rows + "</table>"
    )
    movers = [(name, r) for name, r in ranked if r.get("kl") and r.get("bins")][:CARD_HISTOGRAMS]
    charts = "".join(
        '<div style="display:inline-block;margin:4px 12px 0 0;font-size:11px">'
        f"<b>{html.escape(name)}</b> KL {format_value(r.get('kl'), 3)}<br>{_histogram_svg(r)}<br>"
        + html.escape(", ".join(str(r["bins"][i]) for i in r.get("top_bins", [])))
        + "</div>"
        for name, r in movers
    )
    legend = (
        '<div style="font-size:11px;color:#57606a">bars: <span style="color:#8c959f">reference</span> · '
        '<span style="color:#0969da">current</span>; captions: the bins that moved most</div>'
        if charts
        else ""
    )
    return table + charts + legend


register_card("check_shift", _shift_card, shows_outcomes=True)
