"""Distribution shift: a centred PSI and a p-value valid at every n, per feature, with Holm across them.

A numeric feature is compared on the reference's bins (quantile edges with
open outer edges, -inf/+inf bins, a missing bin); a categorical one over the
union of both sides' levels and a missing bin. Bins empty on both sides carry
no evidence and are dropped. :mod:`mlcheck.contracts.shift_stats` then pools
rare levels on both sides by one rule, and reports

* ``KL(current || reference) = sum q_i ln(q_i / p_i)`` in nats and
  ``PSI = sum (q_i - p_i) ln(q_i / p_i)`` (shares smoothed by 0.5 per bin),
  the Jensen-Shannon distance (natural log);
* the *effect*: PSI minus its expectation under no change (plus, for
  categories, the same for the share on levels the reference never saw), so
  it is 0 on average when nothing moved, whatever n;
* a p-value valid at every n (chi-squared where every expected count is at
  least 5, Monte Carlo under the permutation/rank law elsewhere), the unseen
  share tested on its own, and the noise floor (the effect noise alone exceeds
  with probability ``alpha``).

A feature has drifted only when the effect is above the threshold **and** its
p-value, adjusted across the check's features (Holm by default), is below
``alpha``: small samples raise no false alarms, huge samples do not flag trivial
shifts, and the whole check's false-fail rate is at most ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np

from mlcheck._validation import SEVERITY, InstanceOf, Interval, Options, SequenceOf, validate_options
from mlcheck.contracts import register_check
from mlcheck.errors import OptionError, Reason, UsageError
from mlcheck.contracts.shift_stats import SMOOTHING, adjusted_p_values, compare_counts, resamples_for
from mlcheck.contracts.shift_table import bin_labels, categorical_table, numeric_table
from mlcheck.profiling.model import ColumnSummary, NumericColumn, Profile, profile
from mlcheck.results import CheckResult, Outcome, format_value

__all__ = ["SMOOTHING", "bin_labels", "check_shift", "shift_report"]

#: Multiplicity corrections across a check's features (option values).
MULTIPLICITY = ("holm", "bh", "none")
#: PSI conventions: below 0.1 no shift worth acting on, 0.1-0.25 moderate, above 0.25 major.
MODERATE_PSI, MAJOR_PSI = 0.1, 0.25
#: Bins a categorical feature shows in a result's details (the rest are summed).
DETAIL_BINS = 16

REPORT_COLUMNS = [
    "feature",
    "kl",
    "psi",
    "effect",
    "js",
    "p_value",
    "p_adjusted",
    "noise_floor",
    "unseen_share",
    "unseen_expected",
    "method",
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
    effect: float | None = None
    kl_effect: float | None = None
    p_adjusted: float | None = None
    unseen_share: float | None = None
    unseen_expected: float | None = None
    method: str = ""
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


def _feature_rng(random_state: int, name: str) -> np.random.Generator:
    """One generator per feature, from the seed and the name: results do not hang on column order."""
    import zlib

    return np.random.default_rng([int(random_state), zlib.crc32(name.encode("utf-8"))])


def _compare(
    name: str,
    reference: ColumnSummary,
    current: ColumnSummary | None,
    *,
    alpha: float,
    n_resamples: int,
    random_state: int,
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
        labels, ref, cur, rank, level = numeric_table(name, reference, current)  # type: ignore[arg-type]
    else:
        labels, ref, cur, rank, level = categorical_table(reference, current)  # type: ignore[arg-type]
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
    result = compare_counts(
        ref_counts[used],
        cur_counts[used],
        rank=np.asarray(rank)[used],
        level=np.asarray(level)[used],
        alpha=alpha,
        n_resamples=n_resamples,
        rng=_feature_rng(random_state, name),
    )
    return FeatureShift(
        status="ok",
        kl=result.kl,
        psi=result.psi,
        js=result.js,
        p_value=result.p_value,
        noise_floor=result.noise_floor,
        effect=result.effect,
        kl_effect=result.kl_effect,
        unseen_share=result.unseen_share,
        unseen_expected=result.unseen_expected,
        method=result.method,
        **base,
    )


def _decide(
    shifts: list[FeatureShift],
    *,
    max_kl: float | None,
    max_psi: float | None,
    alpha: float,
    multiplicity: str,
) -> list[FeatureShift]:
    """Adjust the compared features' p-values together, then decide each: large **and** significant."""
    import dataclasses

    scored = [i for i, s in enumerate(shifts) if s.status == "ok"]
    adjusted = adjusted_p_values([float(shifts[i].p_value) for i in scored], multiplicity)  # type: ignore[arg-type]
    out = list(shifts)
    for i, p_adjusted in zip(scored, adjusted):
        shift = shifts[i]
        large = (max_kl is not None and (shift.kl_effect or 0.0) > max_kl) or (
            max_psi is not None and (shift.effect or 0.0) > max_psi
        )
        out[i] = dataclasses.replace(
            shift, p_adjusted=p_adjusted, large=large, drifted=bool(large and p_adjusted < alpha)
        )
    return out


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


#: the options shift_report and check_shift share, checked at their boundary (mlcheck._validation)
SHIFT_OPTIONS: dict[str, list[Any]] = {
    "max_psi": [None, Interval(Real, 0, None)],
    "max_kl": [None, Interval(Real, 0, None)],
    "alpha": [Interval(Real, 0, 1, closed="neither", description="a probability strictly between 0 and 1")],
    "multiplicity": [Options(*MULTIPLICITY)],
    "features": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
    "bins": [Interval(Integral, 1, 1000, description="an integer from 1 to 1000")],
    "categorical": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
    "n_resamples": [None, Interval(Integral, 99, None, description="an integer >= 99")],
    "random_state": [Interval(Integral, 0, None)],
}


def _thresholds(max_kl: float | None, max_psi: float | None) -> tuple[float | None, float | None]:
    """The thresholds in force: the ones given, or PSI 0.1 when neither was.

    ``max_kl=0.5`` alone judges by KL alone: a default PSI threshold kept
    beside it would decide instead, and loosening ``max_kl`` would change
    nothing (a new user found exactly that).
    """
    if max_kl is None and max_psi is None:
        return None, MODERATE_PSI
    return max_kl, max_psi


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
    multiplicity: str = "holm",
    n_resamples: int | None = None,
    random_state: int = 0,
) -> tuple[list[FeatureShift], Profile, Profile]:
    max_kl, max_psi = _thresholds(max_kl, max_psi)
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
            n_resamples=n_resamples or resamples_for(len(names), alpha),
            random_state=random_state,
        )
        for name in names
    ]
    shifts = _decide(shifts, max_kl=max_kl, max_psi=max_psi, alpha=alpha, multiplicity=multiplicity)
    if features is None:
        shifts += [
            FeatureShift(feature=name, kind=column.kind, status="new_in_current", dtype_current=column.dtype)
            for name, column in current_profile.columns.items()
            if name not in reference_profile
        ]
    return shifts, reference_profile, current_profile


@validate_options(SHIFT_OPTIONS)
def shift_report(
    reference: Any,
    current: Any,
    *,
    max_psi: float | None = None,
    max_kl: float | None = None,
    alpha: float = 0.01,
    multiplicity: Literal["holm", "bh", "none"] = "holm",
    features: Sequence[str] | None = None,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    n_resamples: int | None = None,
    random_state: int = 0,
) -> Any:
    """Per-feature shift between a reference and a current data set, as a table.

    Parameters
    ----------
    reference, current : pandas/pyarrow/Dask frame or Profile
        The data the model learned on and the data it meets now. A frame is
        profiled; the current side is always binned on the reference's bins.
    max_psi : float or None, default None
        When neither ``max_psi`` nor ``max_kl`` is given, 0.1. Threshold on the effect (PSI minus its expectation under no change;
        ``docs/statistics.md`` translates 0.1 and 0.25 into mean shifts and
        share changes). ``drifted`` needs the effect above it **and** an
        adjusted p-value below ``alpha``.
    max_kl : float or None, default None
        Alternatively (or also), a threshold on KL(current || reference)
        minus its expectation under no change.
    alpha : float, default 0.01
        The false-alarm rate: per feature, and for the whole set of features
        with ``multiplicity="holm"`` (the family-wise rate).
    multiplicity : {"holm", "bh", "none"}, default "holm"
        How p-values are adjusted across the features: Holm (family-wise
        error), Benjamini-Hochberg (false discovery rate), or not at all.
    features : list of str, optional
        Only these reference columns.
    bins, categorical
        Passed to :func:`mlcheck.profile` when the reference is a frame.
    n_resamples : int, optional
        Monte Carlo draws for features whose expected counts are small
        (default: enough for a Holm-adjusted p-value to reach ``alpha``,
        2,000 to 20,000).
    random_state : int, default 0
        Seed of the Monte Carlo draws (each feature draws from the seed and its name).

    Returns
    -------
    pandas.DataFrame
        Indexed by feature; columns ``kl`` (nats), ``psi``, ``effect`` (PSI
        centred on its null expectation, plus the unseen-share term for
        categories), ``js``, ``p_value`` (valid at every n), ``p_adjusted``,
        ``noise_floor`` (the effect noise alone exceeds with probability
        ``alpha``), ``unseen_share`` and ``unseen_expected`` (categorical:
        the current's share on levels the reference never saw, and that
        share's expectation under no change), ``method`` (``chi-squared`` or
        ``monte carlo``), ``drifted`` (nullable: NA when the feature could
        not be compared), ``status`` (``ok``, ``empty``, ``kind_changed``,
        ``missing_in_current``, ``new_in_current``), ``kind``, ``n_bins``,
        ``n_reference``, ``n_current``, ``top_bins``, ``dtype_reference``,
        ``dtype_current`` and ``notes``.

    Raises
    ------
    UsageError
        A bad option, a feature not in the reference, or a current profile
        binned on other edges than the reference.

    Examples
    --------
    >>> import numpy as np, pandas as pd, mlcheck as mc
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(0, 1, 5000)})
    >>> current = pd.DataFrame({"x": rng.normal(0.5, 1, 5000)})
    >>> report = mc.shift_report(reference, current)
    >>> bool(report.loc["x", "drifted"]), round(float(report.loc["x", "effect"]), 2)
    (True, 0.26)
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
        multiplicity=multiplicity,
        n_resamples=n_resamples,
        random_state=random_state,
    )
    rows = []
    for shift in shifts:
        top = shift.top_bins()
        rows.append(
            {
                "feature": shift.feature,
                "kl": shift.kl,
                "psi": shift.psi,
                "effect": shift.effect,
                "js": shift.js,
                "p_value": shift.p_value,
                "p_adjusted": shift.p_adjusted,
                "noise_floor": shift.noise_floor,
                "unseen_share": shift.unseen_share,
                "unseen_expected": shift.unseen_expected,
                "method": shift.method,
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
    for column in (
        "kl", "psi", "effect", "js", "p_value", "p_adjusted", "noise_floor", "unseen_share", "unseen_expected"
    ):
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


def _detail(shift: FeatureShift) -> dict[str, Any]:
    """The per-feature record a card, a report, monitoring or an explorer widget reads."""
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
            effect=_sig(shift.effect, 4),
            js=_sig(shift.js),
            p_value=_sig(shift.p_value, 3),
            p_adjusted=_sig(shift.p_adjusted, 3),
            noise_floor=_sig(shift.noise_floor),
            method=shift.method,
            drifted=shift.drifted,
        )
        if shift.unseen_share is not None:
            record.update(unseen_share=_sig(shift.unseen_share), unseen_expected=_sig(shift.unseen_expected))
    if shift.labels:
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
    threshold = max_psi if max_psi is not None else max_kl
    observed = _sig(shift.effect if max_psi is not None else shift.kl_effect, 4)
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
    # the observed value is already the centred effect, so the message gives the evidence
    floor = f"noise floor {format_value(shift.noise_floor, 3)}"
    evidence = f"adjusted p {format_value(shift.p_adjusted, 2)}"
    if shift.drifted:
        moved = ", ".join(_moved_short(shift, i) for i in shift.top_bins(2))
        unseen = (
            f", unseen levels {shift.unseen_share:.1%} (expected {shift.unseen_expected:.1%})"
            if shift.unseen_share is not None and shift.unseen_share > 0
            else ""
        )
        message = f"{evidence}, {floor}{unseen}; moved most: {moved}"
    elif shift.large:
        message = f"above the threshold but within noise ({evidence}, {floor})"
    else:
        message = ""
    return Outcome(shift.feature, not shift.drifted, observed, threshold, message)


@register_check("check_shift")
@validate_options(
    {**SHIFT_OPTIONS, "severity": [SEVERITY], "min_importance": [None, Interval(Real, None, None)]}
)
def check_shift(
    reference: Any,
    current: Any,
    *,
    max_psi: float | None = None,
    max_kl: float | None = None,
    alpha: float = 0.01,
    multiplicity: Literal["holm", "bh", "none"] = "holm",
    features: Sequence[str] | None = None,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    n_resamples: int | None = None,
    random_state: int = 0,
    severity: Literal["error", "warning"] = "error",
    importance: Any = None,
    min_importance: float | None = None,
) -> CheckResult:
    """Check that no feature's distribution moved both far and for real.

    A feature fails when its effect (PSI minus its expectation under no
    change, see :func:`shift_report`) exceeds ``max_psi`` **and** its p-value,
    adjusted across the checked features, is below ``alpha``. So the check
    falsely fails at most ``alpha`` of the time when nothing changed (Holm),
    whatever the sample sizes; ``docs/statistics.md`` has the measured rates.
    A feature missing from the current data, or whose type changed between
    numeric and categorical, fails too; an empty side fails every feature.
    Columns only in the current data are listed in the details.

    Parameters
    ----------
    reference, current : pandas/pyarrow/Dask frame or Profile
        E.g. ``X_train`` and ``X_test``, or ``bundle.profile`` and a new batch.
    max_psi : float or None, default None
        When neither ``max_psi`` nor ``max_kl`` is given, 0.1. Largest acceptable effect (0.1: a moderate shift by the PSI
        convention, about a 0.3-sigma mean shift of a normal feature; 0.25:
        major).
    max_kl : float or None, default None
        Alternatively, the largest acceptable centred KL(current || reference) in nats.
    alpha : float, default 0.01
        The false-fail rate of the whole check on unshifted data.
    multiplicity : {"holm", "bh", "none"}, default "holm"
        Adjustment of the p-values across features (see :func:`shift_report`).
    features : list of str, optional
        Only check these reference columns.
    bins, categorical
        Passed to :func:`mlcheck.profile` when the reference is a frame.
    n_resamples, random_state
        Monte Carlo draws and their seed (see :func:`shift_report`).
    severity : {"error", "warning"}, default "error"
        Whether a failure blocks the export gate.
    importance : pandas.DataFrame or Bundle, optional
        What the model relies on (``mc.importance`` on held-out rows, or
        ``bundle.importance``): drifted features are ranked by it
        (``details["drifted_by_importance"]``), see
        :func:`mlcheck.contracts.importance.weigh_shift`.
    min_importance : float, optional
        With ``importance``: a drifted feature whose importance is below this
        is reported (``details["ignored"]``) but does not fail.

    Returns
    -------
    CheckResult
        One outcome per feature (its observed value is the effect, or the centred KL).
        ``details["features"]`` holds, for every compared feature, the KL,
        PSI, effect, JS distance, raw and adjusted p-values, noise floor, the
        unseen share (categorical) and its bins with the
        reference and current shares in percent. A card shows the failing
        features and the top movers of it (:mod:`mlcheck.display.shift`).

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
    max_kl, max_psi = _thresholds(max_kl, max_psi)
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
        multiplicity=multiplicity,
        n_resamples=n_resamples,
        random_state=random_state,
    )
    compared = [s for s in shifts if s.status != "new_in_current"]
    new_columns = [s.feature for s in shifts if s.status == "new_in_current"]
    outcomes = tuple(_outcome(s, max_kl, max_psi) for s in compared)
    failed = [o for o in outcomes if not o.passed]
    scored = [s for s in compared if s.effect is not None]
    largest = max(scored, key=lambda s: s.effect or 0.0, default=None)
    threshold = max_psi if max_psi is not None else max_kl
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
            f" (largest effect {format_value(largest.effect, 3)} on {largest.feature}, "
            f"noise floor {format_value(largest.noise_floor, 3)})"
            if largest is not None
            else ""
        )
    if new_columns:
        message += f"; {len(new_columns)} column(s) only in the current data: {', '.join(new_columns[:5])}"
    observed = None if largest is None else _sig(largest.effect if max_psi is not None else largest.kl_effect)
    result = CheckResult(
        "check_shift",
        passed=bool(compared) and not failed,
        severity=severity,
        observed=observed,
        threshold=threshold,
        details={
            "max_kl": max_kl,
            "max_psi": max_psi,
            "alpha": alpha,
            "multiplicity": multiplicity,
            "n_reference": reference_profile.n_rows,
            "n_current": current_profile.n_rows,
            "new_columns": new_columns,
            # every feature's full record, whatever their number (monitoring over runs reads them
            # all); what a card shows of them is mlcheck.display.shift's to decide
            "features": {s.feature: _detail(s) for s in compared},
            "n_features": len(compared),
        },
        message=message,
        outcomes=outcomes,
    )
    if importance is None:
        if min_importance is not None:
            raise OptionError("check_shift: min_importance= needs importance= (a table from mc.importance)",
                              reason=Reason.CONFLICTING_OPTIONS, parameter="min_importance")
        return result
    from mlcheck.contracts.importance import weigh_shift  # drift that matters: ranked by what the model uses

    return weigh_shift(result, importance, min_importance)
