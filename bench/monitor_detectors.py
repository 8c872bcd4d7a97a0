"""False-alarm and detection rates of mlcheck's anomaly and breakout detectors, against a fixed threshold.

Simulated daily runs: a weekly season (weekends 1.0 higher), a slow trend
(0.01 a day) and Gaussian noise (sigma 0.5). Without a planted fault, a
detector's *false-alarm rate* is the share of series where it flags anything.
With a planted spike (+2.5 = 5 sigma, one run) or level shift (+1.5 = 3 sigma
from the middle on), the *detection rate* is the share where it flags the spike
(exactly) or a breakout within 3 runs of the shift; *delay* is how many runs
after the shift the first flag comes when the series is watched as it grows
(median over detected series). The fixed-threshold peer flags a run whose value
is more than 3 standard deviations of the first 14 runs from their mean: the
rule most dashboards start with.

    python bench/monitor_detectors.py [--series 200]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.stats import binomtest

from mlcheck.monitoring.detectors import anomalies, breakouts


def simulate(n: int, rng: np.random.Generator) -> np.ndarray:
    days = np.arange(n)
    return 10 + 0.01 * days + np.where(days % 7 >= 5, 1.0, 0.0) + rng.normal(0, 0.5, n)


def fixed_threshold(values: np.ndarray, k: float = 3.0) -> np.ndarray:
    start = values[:14]
    return np.flatnonzero(np.abs(values - start.mean()) > k * start.std(ddof=1))


def rate(hits: int, trials: int) -> str:
    low, high = binomtest(hits, trials).proportion_ci(0.95)
    return f"{hits / trials:6.1%} [{low:.1%}, {high:.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=200)
    trials = parser.parse_args().series
    print(f"{trials} seeded series per row; rates with exact 95% binomial intervals\n")
    print(f"{'runs':>5}  {'detector':<16} {'false alarms':<22} {'detected':<22} {'delay':>6}  {'ms/series':>9}")
    for n in (30, 60, 120, 365):
        for name in ("anomalies", "breakouts", "fixed 3-sigma"):
            false_alarms = detected = 0
            delays: list[int] = []
            started = time.perf_counter()
            for seed in range(trials):
                rng = np.random.default_rng(seed)
                clean = simulate(n, rng)
                planted = clean.copy()
                at = n // 2
                if name == "breakouts":
                    planted[at:] += 1.5
                else:
                    planted[at] += 2.5
                if name == "anomalies":
                    false_alarms += anomalies(clean).size > 0
                    detected += at in anomalies(planted)
                elif name == "breakouts":
                    false_alarms += breakouts(clean).size > 0
                    found = breakouts(planted)
                    hit = bool(np.any(np.abs(found - at) <= 3))
                    detected += hit
                    if hit:  # watch the series grow: first length at which the shift is seen
                        for end in range(at + 5, n + 1):
                            if np.any(np.abs(breakouts(planted[:end]) - at) <= 3):
                                delays.append(end - 1 - at)
                                break
                else:
                    false_alarms += fixed_threshold(clean).size > 0
                    detected += at in fixed_threshold(planted)
            elapsed = (time.perf_counter() - started) * 1000 / trials
            delay = f"{np.median(delays):6.0f}" if delays else "     -"
            print(f"{n:>5}  {name:<16} {rate(false_alarms, trials):<22} {rate(detected, trials):<22} {delay}  {elapsed:9.1f}")
        print()
    print(f"alpha = 0.05 for anomalies; breakouts' default penalty (3 + 90/n) sigma^2 ln(n); ln(365) = {math.log(365):.2f}")


if __name__ == "__main__":
    main()
