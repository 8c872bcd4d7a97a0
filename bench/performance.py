"""Benchmark: ``evaluate`` + ``check_performance(confidence=0.95)`` against a plain scikit-learn loop.

On one synthetic binary problem (``--rows``, 10% positives, logistic scores)
the same run measures:

* **metrics**: ``mc.evaluate(y, y_score=scores)`` (model + majority and prior
  baselines) against the same scikit-learn calls made on the rows one by one
  (accuracy, balanced accuracy, MCC, kappa, per-class precision/recall/F1,
  macro and weighted F1, confusion matrix, ROC-AUC, average precision, log
  loss, Brier; the model only, no baselines);
* **bootstrap**: the stratified bootstrap of balanced accuracy, recall, MCC and
  ROC-AUC that ``check_performance(confidence=0.95)`` runs, against a naive
  Python loop that resamples row indices within each class and calls
  ``balanced_accuracy_score``, ``recall_score``, ``matthews_corrcoef`` and
  ``roc_auc_score`` per resample. The naive loop is timed over
  ``--naive-resamples`` (it costs about a second per resample at 1M rows) and
  its cost per resample is compared with mlcheck's at ``--resamples``;
* **intervals**: the 95% intervals of both, each with seed 0 (the two draw
  different random numbers: mlcheck draws the multinomial of the resampled
  confusion counts, the loop draws row indices), and their largest difference;
* **end to end**: ``evaluate`` + ``check_performance(..., confidence=0.95)``.

Timings are medians over ``--repeats`` runs. Results go to
``bench/results/performance.json`` and a Markdown table to stdout.

    python bench/performance.py                       # 1M rows, 2000 resamples, naive loop 200
    python bench/performance.py --rows 100000 --naive-resamples 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "performance.json"
BOUNDS = {"balanced_accuracy": 0.7, "recall": 0.6, "roc_auc": 0.8}


def make_problem(n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n_rows) < 0.10).astype(np.int64)
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(size=n_rows) + 1.5 * y - 1.0)))
    return y, scores


CPU: dict[str, float] = {}  # step -> median CPU seconds of this process (robust to a shared machine)


def median_time(function: Callable[[], Any], repeats: int, step: str) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls (and, in ``CPU[step]``, their median CPU time)."""
    times, cpu, value = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[step] = statistics.median(cpu)
    return statistics.median(times), value


# -- the plain scikit-learn way ----------------------------------------------------------------
def naive_metrics(y: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    from sklearn import metrics as skm

    labels = (scores >= 0.5).astype(np.int64)
    precision, recall, f1, support = skm.precision_recall_fscore_support(y, labels, zero_division=0)
    return {
        "accuracy": skm.accuracy_score(y, labels),
        "balanced_accuracy": skm.balanced_accuracy_score(y, labels),
        "mcc": skm.matthews_corrcoef(y, labels),
        "cohen_kappa": skm.cohen_kappa_score(y, labels),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "f1_macro": skm.f1_score(y, labels, average="macro"),
        "f1_weighted": skm.f1_score(y, labels, average="weighted"),
        "confusion_matrix": skm.confusion_matrix(y, labels),
        "roc_auc": skm.roc_auc_score(y, scores),
        "average_precision": skm.average_precision_score(y, scores),
        "log_loss": skm.log_loss(y, scores),
        "brier": skm.brier_score_loss(y, scores),
    }


def naive_bootstrap(y: np.ndarray, scores: np.ndarray, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Resample rows within each class, call scikit-learn on each resample."""
    from sklearn import metrics as skm

    rng = np.random.default_rng(seed)
    labels = (scores >= 0.5).astype(np.int64)
    rows = [np.flatnonzero(y == k) for k in (0, 1)]
    draws: dict[str, list[float]] = {name: [] for name in ("balanced_accuracy", "recall", "mcc", "roc_auc")}
    for _ in range(n_resamples):
        index = np.concatenate([r[rng.integers(0, r.size, r.size)] for r in rows])
        truth, predicted = y[index], labels[index]
        draws["balanced_accuracy"].append(skm.balanced_accuracy_score(truth, predicted))
        draws["recall"].append(skm.recall_score(truth, predicted))
        draws["mcc"].append(skm.matthews_corrcoef(truth, predicted))
        draws["roc_auc"].append(skm.roc_auc_score(truth, scores[index]))
    return {name: np.asarray(values) for name, values in draws.items()}


# -- mlcheck -------------------------------------------------------------------------------------
def mlcheck_bootstrap(
    y: np.ndarray, scores: np.ndarray, n_resamples: int, seed: int
) -> dict[str, np.ndarray]:
    from sklearn.metrics import roc_auc_score

    from mlcheck.contracts import resampling as rs
    from mlcheck.contracts.predictions import prepare

    prepared = prepare("bench", y, y_score=scores)
    points = {"roc_auc": roc_auc_score(y, scores)}
    return rs.bootstrap(
        prepared,
        points,
        ["balanced_accuracy", "recall", "mcc", "roc_auc"],
        n_resamples=n_resamples,
        rng=np.random.default_rng(seed),
        n_features=None,
    )


def run(n_rows: int, n_resamples: int, naive_resamples: int, repeats: int) -> dict[str, Any]:
    import mlcheck as mc
    from mlcheck.contracts import resampling as rs
    from mlcheck.contracts.performance import check_performance

    y, scores = make_problem(n_rows)
    mc.evaluate(y[:1000], y_score=scores[:1000])  # imports and first-call costs out of the timings
    evaluate_s, report = median_time(lambda: mc.evaluate(y, y_score=scores), repeats, "evaluate")
    naive_metrics_s, naive = median_time(lambda: naive_metrics(y, scores), repeats, "naive_metrics")
    assert abs(report["metrics"]["mcc"] - naive["mcc"]) < 1e-12
    fast_s, fast = median_time(lambda: mlcheck_bootstrap(y, scores, n_resamples, 0), repeats, "bootstrap")
    fast_same_s, _ = median_time(
        lambda: mlcheck_bootstrap(y, scores, naive_resamples, 0), repeats, "bootstrap_same_resamples"
    )
    start, start_cpu = time.perf_counter(), time.process_time()
    slow = naive_bootstrap(y, scores, naive_resamples, 0)
    naive_s = time.perf_counter() - start
    CPU["naive_bootstrap"] = time.process_time() - start_cpu

    def end_to_end() -> Any:
        mc.evaluate(y, y_score=scores)
        return check_performance(
            y, scores, min=BOUNDS, beat_baseline=True, confidence=0.95, n_resamples=n_resamples
        )

    end_s, result = median_time(end_to_end, repeats, "end_to_end")
    intervals = {}
    for name in fast:
        ours, theirs = rs.interval(fast[name], 0.95), rs.interval(slow[name], 0.95)
        intervals[name] = {
            "mlcheck": [round(v, 5) for v in ours],
            "naive": [round(v, 5) for v in theirs],
            "max_abs_diff": max(abs(a - b) for a, b in zip(ours, theirs, strict=True)),
            "same_to_3_decimals": [round(v, 3) for v in ours] == [round(v, 3) for v in theirs],
        }
    per_resample_naive = naive_s / naive_resamples
    return {
        "rows": n_rows,
        "resamples": n_resamples,
        "naive_resamples": naive_resamples,
        "repeats": repeats,
        "evaluate_s": evaluate_s,
        "naive_metrics_s": naive_metrics_s,
        "bootstrap_s": fast_s,
        "bootstrap_same_resamples_s": fast_same_s,
        "naive_bootstrap_s": naive_s,
        "naive_per_resample_s": per_resample_naive,
        "speedup_per_resample": per_resample_naive / (fast_s / n_resamples),
        "speedup_same_resamples": naive_s / fast_same_s,
        "end_to_end_s": end_s,
        "naive_end_to_end_estimate_s": naive_metrics_s + per_resample_naive * n_resamples,
        "intervals": intervals,
        "check_passed": result.passed,
        "cpu_s": dict(CPU),
        "load_average_at_end": os.getloadavg()[0],
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }


def table(r: dict[str, Any]) -> str:
    cpu, n, b = r["cpu_s"], r["resamples"], r["naive_resamples"]
    naive_cpu_per = cpu["naive_bootstrap"] / b
    naive_end_cpu = cpu["naive_metrics"] + naive_cpu_per * n
    lines = [
        f"Binary problem: {r['rows']:,} rows, 10% positives; medians of {r['repeats']} runs; "
        f"wall and CPU time of the process (load average {r['load_average_at_end']:.1f} at the end).",
        "",
        "| step | mlcheck wall | mlcheck CPU | plain loop wall | plain loop CPU | ratio (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| metric set (`evaluate`; the loop: model only) | {r['evaluate_s']:.2f} s "
        f"| {cpu['evaluate']:.2f} s "
        f"| {r['naive_metrics_s']:.2f} s | {cpu['naive_metrics']:.2f} s "
        f"| {cpu['naive_metrics'] / cpu['evaluate']:.1f}x |",
        f"| bootstrap of BA, recall, MCC, ROC-AUC: per resample ({n} vs {b}) "
        f"| {r['bootstrap_s'] / n * 1e3:.2f} ms | {cpu['bootstrap'] / n * 1e3:.2f} ms "
        f"| {r['naive_per_resample_s'] * 1e3:,.0f} ms | {naive_cpu_per * 1e3:,.0f} ms "
        f"| **{naive_cpu_per / (cpu['bootstrap'] / n):,.0f}x** |",
        f"| the same bootstrap, {b} resamples each | {r['bootstrap_same_resamples_s']:.2f} s "
        f"| {cpu['bootstrap_same_resamples']:.2f} s | {r['naive_bootstrap_s']:,.1f} s "
        f"| {cpu['naive_bootstrap']:,.1f} s "
        f"| **{cpu['naive_bootstrap'] / cpu['bootstrap_same_resamples']:,.0f}x** |",
        f"| `evaluate` + `check_performance(confidence=0.95)`, {n} resamples | {r['end_to_end_s']:.2f} s "
        f"| {cpu['end_to_end']:.2f} s | ≈{r['naive_end_to_end_estimate_s']:,.0f} s | ≈{naive_end_cpu:,.0f} s "
        f"| {naive_end_cpu / cpu['end_to_end']:,.0f}x |",
        "",
        "| 95% interval, seed 0 | mlcheck | naive loop | max abs diff | same to 3 decimals |",
        "|---|---|---|---|---|",
    ]
    for name, i in r["intervals"].items():
        lines.append(
            f"| {name} | [{i['mlcheck'][0]:.4f}, {i['mlcheck'][1]:.4f}] "
            f"| [{i['naive'][0]:.4f}, {i['naive'][1]:.4f}] "
            f"| {i['max_abs_diff']:.5f} | {'yes' if i['same_to_3_decimals'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--naive-resamples", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON results go")
    args = parser.parse_args()
    result = run(args.rows, args.resamples, args.naive_resamples, args.repeats)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.output.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(result, indent=2))
    temporary.replace(args.output)
    print(table(result))


if __name__ == "__main__":
    main()
