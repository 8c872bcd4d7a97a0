"""Anomalies and breakouts in a series of runs: seasonal-aware, with stated false-alarm rates.

Pure computation on 1-D arrays, no I/O. Two questions are asked of a series
(a metric or a feature's drift over scheduled runs):

- **anomalies**: which single runs are far from what the season and the trend
  predict? Seasonal-Trend decomposition by Loess (STL, statsmodels; Cleveland
  et al. 1990) removes the season and the trend, then the generalized extreme
  studentized deviate test (Rosner 1983) runs on the residuals with the median
  and the MAD in place of mean and standard deviation, so the anomalies
  themselves do not hide each other. This is Twitter's S-H-ESD (Hochenbaum,
  Vallis and Kejariwal 2017, "Automatic Anomaly Detection in the Cloud Via
  Statistical Learning").
- **breakouts**: where does the series settle at a new level? Change points
  from ruptures' PELT search (Killick, Fearnhead and Eckley 2012) with a
  least-squares cost on the deseasonalized series, and a penalty scaled to the
  series' own noise.

The false-alarm and detection rates of both, measured by seeded simulation on
series with weekly seasonality, trend and noise, are in ``docs/monitoring.md``
and checked in ``tests/test_monitor_detectors.py``.
"""

from __future__ import annotations

import functools
import math

from numbers import Integral, Real
from typing import Any

import numpy as np

from numpy.typing import ArrayLike, NDArray

from mlcheck._validation import Interval, validate_options
from mlcheck.errors import UsageError

#: a season's length in runs
_PERIOD = [None, Interval(Integral, 2, None, description="an integer of at least 2 runs")]

__all__ = ["anomalies", "breakouts", "seasonal_period", "without"]

#: a season must repeat at least this many times to be estimated
_MIN_CYCLES = 2
#: most runs fit to find the residuals' scale (see _residual_scale)
_SCALE_RUNS = 240
#: scale of the MAD that makes it a consistent estimator of a normal sigma
_MAD_TO_SIGMA = 1.4826


def _as_series(values: ArrayLike, name: str = "values") -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """The finite values as float64 and their positions in the input."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise UsageError(f"{name} must be numbers, a 1-D array-like: {error}") from None
    if array.ndim != 1:
        raise UsageError(f"{name} must be one-dimensional, got shape {array.shape}; pass one series at a time")
    positions = np.flatnonzero(np.isfinite(array))
    return array[positions], positions


def seasonal_period(values: ArrayLike, *, max_period: int | None = None) -> int | None:
    """The series' dominant period in steps, or None when it has no clear season.

    The period is the first autocorrelation peak, within 80% of the highest,
    of the series less its least-squares line (a trend would otherwise make
    every lag look correlated), among lags with at least two full cycles,
    kept when it stands above the white-noise bound 2 / sqrt(n). On the
    weekly series of ``bench/monitor_detectors.py`` it finds the period in 90
    of 100 series of 60 runs and in 13 of 100 white-noise series finds one
    that is not there (which costs the detectors a little power, not their
    false-alarm rate: residuals are studentized either way).

    Parameters
    ----------
    values : array-like of shape (n,)
        The series, in time order. Non-finite values are dropped.
    max_period : int, optional
        Longest period considered; default n // 2.

    Returns
    -------
    int or None

    Examples
    --------
    >>> import numpy as np
    >>> seasonal_period(np.tile([1.0, 1, 1, 1, 1, 5, 5], 8))
    7
    >>> seasonal_period(np.random.default_rng(0).normal(size=60)) is None
    True
    """
    series, _ = _as_series(values)
    n = series.size
    if n < 8 or np.ptp(series) == 0:
        return None
    steps = np.arange(n, dtype=np.float64)
    diff = series - np.polyval(np.polyfit(steps, series, 1), steps)
    diff = diff - diff.mean()
    denominator = float(diff @ diff)
    if denominator == 0:
        return None
    longest = min(max_period or n // _MIN_CYCLES, (n - 1) // _MIN_CYCLES)
    if longest < 2:
        return None
    acf = np.array([float(diff[:-lag] @ diff[lag:]) / denominator for lag in range(1, longest + 1)])
    bound = 2.0 / math.sqrt(diff.size)
    # A peak: higher than both neighbours. The first peak near the highest
    # one is the period; its multiples peak as high.
    peaks = [
        lag
        for lag in range(2, longest + 1)
        if acf[lag - 1] > bound
        and acf[lag - 1] >= acf[lag - 2]
        and (lag == longest or acf[lag - 1] >= acf[lag])
    ]
    if not peaks:
        return None
    best = max(acf[lag - 1] for lag in peaks)
    return next(lag for lag in peaks if acf[lag - 1] >= 0.8 * best)


def _stl(series: NDArray[np.float64], period: int) -> Any:
    """STL with windows wide enough that one run barely moves the fit.

    statsmodels' defaults (a 7-season seasonal window, a trend window of about
    2 seasons) let a run weigh about 0.38 in its own fit at a weekly period,
    which hides more than half of a spike. A 25-season seasonal window and a
    trend over 4 seasons bring that to about 0.12; seasons that change over
    months still follow.
    """
    from statsmodels.tsa.seasonal import STL

    return STL(series, period=period, seasonal=25, trend=4 * period + 1).fit()


def _deseasonalize(series: NDArray[np.float64], period: int | None) -> NDArray[np.float64]:
    """The series minus its STL seasonal component (unchanged without a season to estimate)."""
    if period is None or period < 2 or series.size < _MIN_CYCLES * period + 1:
        return series
    # Plain STL: the season is estimated over 25 seasons, so a breakout's
    # level moves it little.
    return np.asarray(series - _stl(series, period).seasonal, dtype=np.float64)


def _fit(series: NDArray[np.float64], period: int | None) -> NDArray[np.float64]:
    """What season and trend predict for each run: STL with a season, a LOWESS trend without one."""
    if period is not None and period >= 2 and series.size >= _MIN_CYCLES * period + 1:
        fit = _stl(series, period)
        return np.asarray(fit.seasonal + fit.trend, dtype=np.float64)
    from statsmodels.nonparametric.smoothers_lowess import lowess

    x = np.arange(series.size, dtype=np.float64)
    return np.asarray(
        lowess(series, x, frac=min(1.0, max(0.3, 15 / series.size)), it=0, return_sorted=False),
        dtype=np.float64,
    )


@functools.lru_cache(maxsize=32)
def _residual_scale(n: int, period: int) -> NDArray[np.float64]:
    """Standard deviation of each plain-STL residual for unit white noise, shape (n,).

    Plain STL is a linear smoother, y_hat = H y, so residual i has variance
    sigma**2 * sum_j (I - H)[i, j]**2: smaller near the ends, where the fit
    follows the data more closely. Dividing by it studentizes the residuals,
    without which the ESD test raised 12% false alarms at 4 seasons (alpha
    5%). H is found by fitting unit vectors; beyond 12 seasons the middle is
    stationary, so only 12 seasons are fit and the middle value repeated. The
    fit is also capped at :data:`_SCALE_RUNS` runs: at long periods (one
    detected at 120 on 1,000 runs) fitting every run cost 1,000 STL fits of
    1,000 points, minutes on a first view; beyond the cap the end effects,
    which reach about one trend window (4 seasons) in, are kept and the middle
    repeated, an approximation only for seasons longer than 30 runs.
    """
    size = min(n, 12 * period, _SCALE_RUNS)
    unit = np.eye(size)
    hat = np.column_stack([_fit(unit[:, j].copy(), period) for j in range(size)])
    scale: NDArray[np.float64] = np.sqrt(((np.eye(size) - hat) ** 2).sum(axis=1))
    if size == n:
        return scale
    half = size // 2
    return np.concatenate([scale[:half], np.full(n - 2 * half, scale[half]), scale[size - half :]])


def _esd(residual: NDArray[np.float64], alpha: float, max_anomalies: int) -> NDArray[np.intp]:
    """Rosner's generalized ESD test: positions of the outliers among the residuals."""
    remaining = np.ones(residual.size, dtype=bool)
    candidates: list[int] = []
    found = 0
    for i in range(max_anomalies):
        left = residual[remaining]
        if left.size < 3:
            break
        centre = float(left.mean())
        spread = float(left.std(ddof=1))
        if spread == 0:
            break  # every remaining residual is equal: nothing stands out
        deviation = np.where(remaining, np.abs(residual - centre), -np.inf)
        worst = int(np.argmax(deviation))
        candidates.append(worst)
        remaining[worst] = False
        if deviation[worst] / spread > _esd_critical(left.size, alpha):
            found = i + 1  # ESD keeps the largest i whose statistic passes
    return np.sort(np.asarray(candidates[:found], dtype=np.intp))


def _esd_critical(n_left: int, alpha: float) -> float:
    """Rosner's lambda: the critical value of the i-th extreme deviate with n_left points left."""
    from scipy.special import stdtrit

    p = 1.0 - alpha / (2.0 * n_left)
    t = float(stdtrit(n_left - 2, p))
    return (n_left - 1) * t / math.sqrt((n_left - 2 + t * t) * n_left)


@validate_options(
    {
        "period": _PERIOD,
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "max_share": [Interval(Real, 0, 0.5, closed="right")],
    }
)
def anomalies(
    values: ArrayLike,
    *,
    period: int | None = None,
    alpha: float = 0.05,
    max_share: float = 0.1,
) -> NDArray[np.intp]:
    """Positions of runs far from what the season and trend predict (S-H-ESD).

    Parameters
    ----------
    values : array-like of shape (n,)
        One value per run, in time order (a metric, a feature's PSI, a row
        count). Non-finite values are skipped; positions refer to the input.
    period : int, optional
        Length of the season in runs (7 for daily runs with a weekly
        pattern). Detected by :func:`seasonal_period` when not given; a
        series without a clear season is only detrended.
    alpha : float, default 0.05
        Significance of the generalized ESD test: the chance, for a series
        with Gaussian residuals and no anomaly, of flagging at least one run.
        The rates measured on seasonal series are in ``docs/monitoring.md``.
    max_share : float, default 0.1
        Largest share of runs that may be anomalies (the ESD test's upper
        bound on their number), in (0, 0.5].

    Returns
    -------
    numpy.ndarray of int, shape (k,)
        Positions of the anomalous runs in the input, sorted; infinite
        values are always among them. Runs right next to a large level shift
        may be flagged too (the trend cannot follow a step):
        :func:`breakouts` names the shift itself.

    Raises
    ------
    UsageError
        For options out of range or values that are not a 1-D numeric series.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> week = np.tile([10.0, 10, 10, 10, 10, 14, 14], 12) + rng.normal(0, 0.3, 84)
    >>> week[40] += 5
    >>> anomalies(week, period=7).tolist()
    [40]
    """
    series, positions = _as_series(values)
    # an infinite value is always an anomaly (a metric that overflowed, a
    # division by zero upstream); NaN is a missing run and is skipped
    infinite = np.flatnonzero(np.isinf(np.asarray(values, dtype=np.float64)))
    n = series.size
    if n < 7 or np.ptp(series) == 0:
        return infinite.astype(np.intp)
    if period is None:
        period = seasonal_period(series)
    max_anomalies = max(1, int(max_share * n))
    # The test runs on the residuals of a plain STL fit: robust STL leaves
    # heavy-tailed residuals on Gaussian noise (std/MAD 1.5 to 6), which breaks
    # the ESD test's calibration. But an anomaly pulls a plain fit towards
    # itself and echoes one season later, so when anomalies are found their
    # values are replaced by the median of the same phase in nearby seasons
    # (or, without a season, by interpolation between their neighbours) and the
    # plain fit is redone, until the set no longer changes. Under no anomaly the
    # first pass finds none, so the false-alarm rate is the plain test's.
    seasonal = period is not None and n >= _MIN_CYCLES * period + 1
    cleaned = series
    found = np.empty(0, dtype=np.intp)
    for _ in range(3):
        residual = series - _fit(cleaned, period)
        # Runs the fit reproduces to rounding (a constant count of rows) are
        # exactly on it: without this, rounding noise of 1e-13 would be "spread".
        residual[np.abs(residual) <= 1e-9 * float(np.max(np.abs(series)))] = 0.0
        if seasonal:
            residual = residual / _residual_scale(n, int(period))  # type: ignore[arg-type]
        again = _esd(residual, alpha, max_anomalies)
        if np.array_equal(again, found):
            break
        found = again
        cleaned = _replaced(series, found, int(period) if seasonal else None)  # type: ignore[arg-type]
    return np.union1d(positions[found], infinite).astype(np.intp)


def _replaced(series: NDArray[np.float64], found: NDArray[np.intp], period: int | None) -> NDArray[np.float64]:
    """The series with the runs at ``found`` replaced by what their unflagged neighbours say."""
    cleaned = series.copy()
    keep = np.ones(series.size, dtype=bool)
    keep[found] = False
    if not keep.any():
        return cleaned
    for i in found.tolist():
        same_phase = [i + k * period for k in (-3, -2, -1, 1, 2, 3)] if period else []
        usable = [j for j in same_phase if 0 <= j < series.size and keep[j]]
        if usable:
            cleaned[i] = float(np.median(series[usable]))
        else:
            cleaned[i] = float(np.interp(i, np.flatnonzero(keep), series[keep]))
    return cleaned


@validate_options(
    {
        "min_size": [Interval(Integral, 2, None, description="an integer of at least 2 runs")],
        "penalty": [None, Interval(Real, 0, None, closed="neither")],
        "period": _PERIOD,
    }
)
def breakouts(
    values: ArrayLike,
    *,
    min_size: int = 5,
    penalty: float | None = None,
    period: int | None = None,
) -> NDArray[np.intp]:
    """Positions where the series settles at a new level (change points).

    PELT search (ruptures) with a least-squares cost on the series with its
    season removed (STL), so a weekly swing is not a breakout.

    Parameters
    ----------
    values : array-like of shape (n,)
        One value per run, in time order; non-finite values are skipped.
    min_size : int, default 5
        Fewest runs between two breakouts (and from either end), ruptures'
        ``min_size``.
    penalty : float, optional
        Cost of one more change point, in squared units of the values. The
        default, ``(3 + 90 / n) * sigma**2 * ln(n)`` with sigma estimated from the first
        differences' MAD (so level shifts do not inflate it), keeps the
        false-alarm rate of a series without breakout under 5% from 30 to
        1,000 runs (``docs/monitoring.md``).
    period : int, optional
        Season length in runs, detected when not given.

    Returns
    -------
    numpy.ndarray of int, shape (k,)
        Positions (in the input) of the first run of each new level, sorted.

    Raises
    ------
    UsageError
        For a non-positive min_size or penalty, or values that are not a 1-D
        numeric series.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> level = np.r_[np.full(40, 1.0), np.full(30, 3.0)] + rng.normal(0, 0.3, 70)
    >>> breakouts(level).tolist()
    [40]
    """
    series, positions = _as_series(values)
    n = series.size
    if n < 2 * min_size or np.ptp(series) == 0:
        return np.empty(0, dtype=np.intp)
    if period is None:
        period = seasonal_period(series)
    series = _deseasonalize(series, period)
    if penalty is None:
        differences = np.diff(series)
        sigma = _MAD_TO_SIGMA * float(np.median(np.abs(differences - np.median(differences)))) / math.sqrt(2)
        if sigma == 0:
            sigma = float(np.std(series)) or 1.0
        # BIC-like sigma**2 ln(n) (ruptures' guidance), with a factor tuned by
        # simulation so a series without breakout raises one in under 5% of
        # runs from 30 runs on (small series need a larger factor).
        penalty = sigma**2 * math.log(n) * (3.0 + 90.0 / n)
    import ruptures

    # A steady trend is growth, not a breakout. The slope is fit jointly with
    # the levels found so far (OLS on a line plus one step per change point),
    # then the levels are searched again on the series without that slope:
    # a line fit alone would turn one step into several sloped segments.
    # KernelCPD with a linear kernel is the least-squares (l2) cost searched by
    # PELT in ruptures' compiled code, 100x faster than Pelt(model="l2").
    steps = np.arange(n, dtype=np.float64)
    search = ruptures.KernelCPD(kernel="linear", min_size=int(min_size))

    def levels_from(slope: float) -> tuple[list[int], float]:
        """Change points and penalized cost, iterating from an initial slope."""
        starts: list[int] = []
        for _ in range(5):
            found = search.fit((series - slope * steps).reshape(-1, 1)).predict(pen=penalty)[:-1]  # last is n
            design = np.column_stack([np.ones(n), steps, *[(steps >= start).astype(float) for start in found]])
            coefficients, *_ = np.linalg.lstsq(design, series, rcond=None)
            slope = float(coefficients[1])
            if found == starts:
                break
            starts = found
        residual = series - design @ coefficients
        return starts, float(residual @ residual) + penalty * len(starts)

    # A steady trend is growth, not a breakout: the slope is fit jointly with
    # the levels (OLS on a line plus one step per change point), and the levels
    # searched again without that slope, until they agree. Two starts: the
    # slope of a plain line (right for a trend; a large step would pass for
    # one) and no slope (right for a step; a trend would pass for a
    # staircase); the penalized cost of the two fits decides. KernelCPD with a
    # linear kernel is the least-squares (l2) cost searched by PELT in
    # ruptures' compiled code, 100x faster than Pelt(model="l2").
    line_slope = float(np.polyfit(steps, series, 1)[0])
    starts = min((levels_from(line_slope), levels_from(0.0)), key=lambda fit: fit[1])[0]
    return positions[np.asarray(starts, dtype=np.intp)]


def without(values: ArrayLike, positions: ArrayLike) -> NDArray[np.float64]:
    """A float copy of ``values`` with ``positions`` set to NaN (skipped by both detectors, positions kept).

    Used to look for breakouts with the anomalies left out: a single run far
    off is not a new level, and would drag the least-squares fit around it.
    """
    copy = np.array(values, dtype=np.float64)
    copy[np.asarray(positions, dtype=np.intp)] = np.nan
    return copy
