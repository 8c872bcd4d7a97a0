"""Calibration of mlcheck's statistical decisions, by seeded simulation.

Measures what ``docs/statistics.md`` reports (issue 14's acceptance grid):

* ``false-alarms``: per-feature false-alarm rate of ``shift_report`` (each
  feature on its own, ``multiplicity="none"``, alpha 0.01) with the same
  distribution on both sides, for seven feature shapes at 50, 300, 5,000 and
  50,000 rows a side and 200 vs 100,000 both ways; the rate of p < alpha with
  its exact binomial interval; the KS test of the p-values' uniformity; the
  mean of the centred effect (0 when unbiased);
* ``check``: the whole check's false-fail rate with 10 unchanged features (Holm);
* ``power``: the rate at which four real changes are flagged at 5,000 rows a side;
* ``coverage``: bootstrap 95% interval coverage of recall, balanced accuracy,
  ROC-AUC, average precision and MCC at n = 300 (6% positives), 1,000 and 5,000.

Every draw is seeded; results go to ``bench/results/calibration.json``.

    python bench/calibration.py                    # everything, default repetitions
    python bench/calibration.py --only power --reps 200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "calibration.json"
ALPHA = 0.01
SIZES = [(50, 50), (300, 300), (5_000, 5_000), (50_000, 50_000), (200, 100_000), (100_000, 200)]


def _zipf(levels: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, levels + 1)
    return weights / weights.sum()


ZIPF_50, ZIPF_2000 = _zipf(50), _zipf(2000)
LEVELS_50 = np.array([f"l{i}" for i in range(50)], dtype=object)
LEVELS_2000 = np.array([f"z{i:05d}" for i in range(2000)], dtype=object)


def draw_feature(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` values of one of the seven feature shapes."""
    if name == "normal":
        return rng.normal(0, 1, n)
    if name == "lognormal":
        return rng.lognormal(0, 1, n)
    if name == "poisson3":
        return rng.poisson(3, n)
    if name == "zipf50":
        return LEVELS_50[rng.choice(50, n, p=ZIPF_50)]
    if name == "zipf2000":
        return LEVELS_2000[rng.choice(2000, n, p=ZIPF_2000)]
    if name == "bool05":
        return rng.random(n) < 0.05
    if name == "missing30":
        values = rng.normal(0, 1, n)
        values[rng.random(n) < 0.3] = np.nan
        return values
    raise ValueError(name)


FEATURES = ["normal", "lognormal", "poisson3", "zipf50", "zipf2000", "bool05", "missing30"]


def _interval(k: int, n: int) -> list[float]:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return [round(ci.low, 4), round(ci.high, 4)]


def false_alarms(reps: int, sizes: list[tuple[int, int]] = SIZES) -> list[dict[str, Any]]:
    import mlcheck as mc
    from scipy import stats

    rows = []
    for n_ref, n_cur in sizes:
        p_values: dict[str, list[float]] = {f: [] for f in FEATURES}
        alarms = {f: 0 for f in FEATURES}
        effects: dict[str, list[float]] = {f: [] for f in FEATURES}
        started = time.perf_counter()
        for rep in range(reps):
            rng = np.random.default_rng([n_ref, n_cur, rep])
            reference = pd.DataFrame({f: draw_feature(f, n_ref, rng) for f in FEATURES})
            current = pd.DataFrame({f: draw_feature(f, n_cur, rng) for f in FEATURES})
            report = mc.shift_report(reference, current, multiplicity="none", alpha=ALPHA, random_state=rep)
            for feature in FEATURES:
                p_values[feature].append(float(report.loc[feature, "p_value"]))
                alarms[feature] += bool(report.loc[feature, "drifted"])
                effects[feature].append(float(report.loc[feature, "effect"]))
        for feature in FEATURES:
            p = np.asarray(p_values[feature])
            below = int((p < ALPHA).sum())
            rows.append(
                {
                    "feature": feature,
                    "n_reference": n_ref,
                    "n_current": n_cur,
                    "reps": reps,
                    "drifted_rate": alarms[feature] / reps,
                    "p_below_alpha_rate": below / reps,
                    "p_below_alpha_ci95": _interval(below, reps),
                    "p_below_0.05_rate": float((p < 0.05).mean()),
                    "ks_uniform_p": float(stats.kstest(p, "uniform").pvalue),
                    "mean_effect": float(np.mean(effects[feature])),
                }
            )
        print(f"  {n_ref} vs {n_cur}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return rows


def check_false_fail(reps: int, sizes: list[tuple[int, int]] = SIZES[:4]) -> list[dict[str, Any]]:
    """The whole check (10 unchanged features, Holm) fails at most alpha of the time."""
    import mlcheck as mc

    shapes = [*FEATURES, "normal", "lognormal", "zipf50"]
    rows = []
    for n_ref, n_cur in sizes:
        fails = 0
        for rep in range(reps):
            rng = np.random.default_rng([7, n_ref, rep])
            reference = pd.DataFrame({f"{f}_{i}": draw_feature(f, n_ref, rng) for i, f in enumerate(shapes)})
            current = pd.DataFrame({f"{f}_{i}": draw_feature(f, n_cur, rng) for i, f in enumerate(shapes)})
            fails += not mc.shift_report(reference, current, alpha=ALPHA, random_state=rep)["drifted"].any()
        fails = reps - fails
        rows.append(
            {
                "n_reference": n_ref,
                "n_current": n_cur,
                "reps": reps,
                "false_fail_rate": fails / reps,
                "ci95": _interval(fails, reps),
            }
        )
    return rows


def _power_case(name: str, n: int, rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    if name == "mean shift 0.5 sigma":
        return pd.Series(rng.normal(0, 1, n)), pd.Series(rng.normal(0.5, 1, n))
    if name == "10% level disappears":
        shares = np.array([0.1, *([0.9 / 9] * 9)])
        levels = np.array([f"l{i}" for i in range(10)], dtype=object)
        after = np.append(0.0, shares[1:] / shares[1:].sum())
        return pd.Series(levels[rng.choice(10, n, p=shares)]), pd.Series(levels[rng.choice(10, n, p=after)])
    if name == "missing 0% -> 5%":
        current = rng.normal(0, 1, n)
        current[rng.random(n) < 0.05] = np.nan
        return pd.Series(rng.normal(0, 1, n)), pd.Series(current)
    if name == "only unseen levels, 3,000-level column":
        old = np.array([f"a{i}" for i in range(3000)], dtype=object)
        new = np.array([f"b{i}" for i in range(3000)], dtype=object)
        return pd.Series(old[rng.integers(0, 3000, n)]), pd.Series(new[rng.integers(0, 3000, n)])
    raise ValueError(name)


POWER_CASES = [
    "mean shift 0.5 sigma",
    "10% level disappears",
    "missing 0% -> 5%",
    "only unseen levels, 3,000-level column",
]


def power(reps: int, n: int = 5_000) -> list[dict[str, Any]]:
    import mlcheck as mc

    rows = []
    for case in POWER_CASES:
        flagged = 0
        for rep in range(reps):
            reference, current = _power_case(case, n, np.random.default_rng([11, rep]))
            result = mc.check_shift(reference.to_frame("x"), current.to_frame("x"), random_state=rep)
            flagged += not result.passed
        rows.append({"case": case, "n": n, "reps": reps, "flagged_rate": flagged / reps})
    return rows


def _classifier(n: int, prevalence: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels and scores of a fixed population model (binormal scores, separation 1.5)."""
    y = (rng.random(n) < prevalence).astype(int)
    scores = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + 1.5 * y - 2.0)))
    return y, scores


def _truth(prevalence: float) -> dict[str, float]:
    """The population values, from one very large sample."""
    import mlcheck as mc

    y, scores = _classifier(2_000_000, prevalence, np.random.default_rng(2024))
    report = mc.evaluate(y, y_score=scores, threshold=0.3)
    return {m: float(report["metrics"][m]) for m in COVERAGE_METRICS}


COVERAGE_METRICS = ["recall", "balanced_accuracy", "roc_auc", "average_precision", "mcc"]


def coverage(
    reps: int, sizes: tuple[int, ...] = (300, 1_000, 5_000), prevalence: float = 0.06
) -> list[dict[str, Any]]:
    import mlcheck as mc

    truth = _truth(prevalence)
    rows = []
    for n in sizes:
        covered = {m: 0 for m in COVERAGE_METRICS}
        above = {m: 0 for m in COVERAGE_METRICS}
        below = {m: 0 for m in COVERAGE_METRICS}
        for rep in range(reps):
            y, scores = _classifier(n, prevalence, np.random.default_rng([n, rep]))
            if y.sum() < 2:
                continue
            # check_performance bootstraps only the bounded metrics: the same intervals as
            # mc.evaluate(confidence=0.95) reports, at a fraction of the cost
            result = mc.check_performance(
                y,
                scores,
                min={m: -1.0 if m == "mcc" else 0.0 for m in COVERAGE_METRICS},
                threshold=0.3,
                confidence=0.95,
                random_state=rep,
            )
            for metric in COVERAGE_METRICS:
                low, high = result.details["intervals"][metric]
                covered[metric] += low <= truth[metric] <= high
                above[metric] += low > truth[metric]
                below[metric] += high < truth[metric]
        for metric in COVERAGE_METRICS:
            rows.append(
                {
                    "metric": metric,
                    "n": n,
                    "reps": reps,
                    "coverage": covered[metric] / reps,
                    "ci95": _interval(covered[metric], reps),
                    "interval_above_truth": above[metric] / reps,
                    "interval_below_truth": below[metric] / reps,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=None, help="repetitions per cell (default per part)")
    parser.add_argument("--only", choices=["false-alarms", "check", "power", "coverage"], action="append")
    args = parser.parse_args(argv)
    parts: dict[str, tuple[Callable[[int], Any], int]] = {
        "false-alarms": (false_alarms, 1000),
        "check": (check_false_fail, 1000),
        "power": (power, 300),
        "coverage": (coverage, 1000),
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in args.only or list(parts):
        function, default_reps = parts[name]
        started = time.perf_counter()
        print(f"{name} ...", file=sys.stderr)
        results[name] = function(args.reps or default_reps)
        print(f"{name}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
        print(pd.DataFrame(results[name]).to_string(index=False))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
