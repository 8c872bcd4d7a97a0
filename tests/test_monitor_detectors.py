"""mlcheck.monitoring.detectors: seasonal anomalies (STL + generalized ESD) and breakouts (ruptures)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

import mlcheck as mc
from mlcheck.errors import UsageError
from mlcheck.monitoring.detectors import anomalies, breakouts, seasonal_period


def daily(n: int, seed: int, *, trend: float = 0.01, weekend: float = 1.0, noise: float = 0.5) -> np.ndarray:
    """Daily runs: a weekly season (weekends higher), a slow trend, Gaussian noise."""
    days = np.arange(n)
    rng = np.random.default_rng(seed)
    return 10 + trend * days + weekend * (days % 7 >= 5) + rng.normal(0, noise, n)


def test_served_as_public_names():
    assert mc.anomalies is anomalies and mc.breakouts is breakouts
    assert {"anomalies", "breakouts"} <= set(dir(mc))


def test_weekly_period_found():
    found = [seasonal_period(daily(120, seed)) for seed in range(20)]
    assert found.count(7) >= 16, found  # the rest are multiples of 7 (14, 21)
    assert all(period is None or period % 7 == 0 for period in found)
    assert seasonal_period([1.0, 2.0]) is None
    assert seasonal_period(np.full(30, 2.0)) is None


def test_a_spike_is_found_where_it_was_planted_and_the_season_is_not():
    values = daily(120, 1)
    values[61] += 3.0  # a Wednesday 6 sigma high
    assert anomalies(values).tolist() == [61]
    # weekend highs are the season: with no spike nothing is flagged
    assert anomalies(daily(120, 1)).size == 0


def test_a_spike_does_not_echo_one_season_later():
    values = daily(84, 2, noise=0.3)
    values[40] += 5
    assert anomalies(values, period=7).tolist() == [40]


def test_positions_refer_to_the_input_when_values_are_missing():
    values = daily(90, 4)
    values[70] += 3.5
    with_gaps = np.insert(values, [10, 20], np.nan)
    assert anomalies(with_gaps).tolist() == [72]


def test_level_shift_is_a_breakout_at_its_first_run_and_a_trend_is_not():
    values = daily(120, 5)
    values[70:] += 1.5  # 3 sigma
    assert breakouts(values).tolist() == [70]
    growing = daily(120, 5, trend=0.03)  # 3.6 over the series: growth, not a new level
    assert breakouts(growing).size == 0


@pytest.mark.parametrize("min_size", [3, 5, 12])
def test_every_level_lasts_at_least_min_size_runs(min_size):
    values = daily(200, 6)
    for start in (30, 80, 95, 150, 190):
        values[start:] += 2.0
    found = breakouts(values, min_size=min_size)
    assert found.size >= 2
    assert np.diff(np.r_[0, found, 200]).min() >= min_size


@pytest.mark.parametrize("n", [30, 60, 365])
def test_false_alarm_rates_without_fault_are_at_most_alpha(n):
    """Seeded simulation: series with season, trend and noise and nothing planted.

    The rate must not exceed 5% beyond binomial noise (one-sided exact test at
    1%); bench/monitor_detectors.py has the rates at more lengths.
    """
    trials = 60 if n < 365 else 25
    anomaly_alarms = sum(anomalies(daily(n, seed)).size > 0 for seed in range(trials))
    breakout_alarms = sum(breakouts(daily(n, seed)).size > 0 for seed in range(trials))
    for alarms in (anomaly_alarms, breakout_alarms):
        assert binomtest(alarms, trials, 0.05, alternative="greater").pvalue > 0.01, (alarms, trials)


def test_detection_of_planted_faults_beats_chance():
    spikes = level = 0
    for seed in range(30):
        values = daily(120, 100 + seed)
        spiked = values.copy()
        spiked[60] += 2.5  # 5 sigma
        spikes += 60 in anomalies(spiked)
        shifted = values.copy()
        shifted[60:] += 1.5
        level += bool(np.any(np.abs(breakouts(shifted) - 60) <= 3))
    assert spikes >= 21 and level >= 26, (spikes, level)  # measured 87% and 93% over 100 series


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: anomalies([1.0] * 20, alpha=0), "alpha"),
        (lambda: anomalies([1.0] * 20, max_share=0.7), "max_share"),
        (lambda: anomalies([1.0] * 20, period=1), "period"),
        (lambda: anomalies([[1.0, 2.0]]), "one-dimensional"),
        (lambda: anomalies(["a", "b"]), "numbers"),
        (lambda: breakouts([1.0] * 20, min_size=1), "min_size"),
        (lambda: breakouts([1.0] * 20, penalty=-1), "penalty"),
    ],
)
def test_bad_options_are_usage_errors(call, message):
    with pytest.raises(UsageError, match=message):
        call()


def test_short_and_constant_series_flag_nothing():
    assert anomalies([1.0, 2.0, 3.0]).size == 0
    assert anomalies(np.full(50, 4.2)).size == 0
    assert breakouts([1.0, 2.0]).size == 0
    assert breakouts(np.full(50, 4.2)).size == 0


def test_a_large_step_is_one_breakout_and_infinite_values_are_anomalies():
    for seed in range(20):
        step = np.r_[np.zeros(40), np.full(40, 5.0)] + np.random.default_rng(seed).normal(0, 0.3, 80)
        assert breakouts(step).tolist() == [40], seed  # was [8, 26, 40, 51, 69] for seed 0
    assert anomalies(np.r_[np.ones(30), np.inf, np.ones(30)]).tolist() == [30]
    values = daily(60, 3)
    values[[10, 50]] = [np.inf, -np.inf]
    assert {10, 50} <= set(anomalies(values).tolist())
