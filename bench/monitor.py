"""mc.monitor over many runs: load the series, run the detectors on every feature.

Writes N synthetic run directories (strict-JSON run.json records shaped as
``mlcheck run`` writes them, one check_shift result with F features each),
then times ``mc.monitor`` (load) and ``mc.anomalies`` + ``mc.breakouts`` over
every feature's PSI series (detect), then renders the dashboard. Medians of 3 repeats. The first load
reads every run.json and writes the index; later loads read the index, and are
compared with the JSON parse alone of every run.json (what any reader of the
run directories must at least do without an index).

    python bench/monitor.py [--runs 1000] [--features 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

import mlcheck as mc
from mlcheck.monitoring.series import feature_columns
from mlcheck.runs import rundir


def write_runs(folder: Path, n_runs: int, n_features: int) -> None:
    rng = np.random.default_rng(0)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    bins = [f"{edge:.3g}" for edge in np.linspace(-2, 2, 20)]
    for i in range(n_runs):
        day = start + timedelta(days=i)
        run_id = day.strftime("%Y%m%dT%H%M%S%fZ") + f"-{i:06x}"
        features = {
            f"f{j:03d}": {
                "kl": round(float(rng.gamma(2, 0.005)), 5),
                "psi": round(float(rng.gamma(2, 0.01)), 5),
                "effect": round(float(rng.normal(0, 0.01)), 4),
                "js": 0.05,
                "p_value": round(float(rng.uniform()), 3),
                "p_adjusted": 1.0,
                "noise_floor": 0.05,
                "method": "chi-squared",
                "drifted": False,
                "bins": bins,
                "reference_pct": [5] * 20,
                "current_pct": [round(float(v), 2) for v in rng.dirichlet(np.ones(20)) * 100],
                "top_bins": [0, 1, 2],
            }
            for j in range(n_features)
        }
        record = {
            "run_id": run_id,
            "notebook": "score.ipynb",
            "status": "succeeded",
            "exit_code": 0,
            "kind": "job",
            "started": day.isoformat(),
            "duration": 10.0,
            "parameters": {"batch_date": day.date().isoformat()},
            "results": [
                {
                    "name": "check_shift",
                    "passed": True,
                    "severity": "error",
                    "observed": 0.01,
                    "threshold": 0.1,
                    "details": {"n_current": 500, "features": features},
                    "outcomes": [],
                }
            ],
        }
        run_dir = folder / "score" / run_id
        run_dir.mkdir(parents=True)
        (run_dir / rundir.RUN_FILE).write_text(json.dumps(record), encoding="utf-8")


def median_time(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--features", type=int, default=100)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        write_runs(runs, options.runs, options.features)
        size = sum(p.stat().st_size for p in runs.rglob("run.json")) / 1e6
        files = sorted(runs.rglob("run.json"))
        parse = median_time(lambda: [json.loads(p.read_text(encoding="utf-8")) for p in files])
        cold = median_time(lambda: mc.monitor(runs, "score"), repeats=1)  # builds the index
        load = median_time(lambda: mc.monitor(runs, "score"))
        series = mc.monitor(runs, "score")
        columns = feature_columns(series, "psi")

        def detect() -> None:
            for column in columns.values():
                values = series[column].to_numpy(dtype=float)
                mc.anomalies(values, period=7)
                mc.breakouts(values, period=7)

        detected = median_time(detect, repeats=1)
        from mlcheck.monitoring.alerts import evaluate_alerts
        from mlcheck.monitoring.dashboard import render_dashboard

        state = evaluate_alerts(series, notebook="score.ipynb", period=7)
        rendered = median_time(lambda: render_dashboard(series, state, period=7), repeats=1)
        page_kb = len(render_dashboard(series, state, period=7)) / 1e3
    print(f"{options.runs} runs x {options.features} features ({size:.0f} MB of run.json)")
    print(f"load   mc.monitor, first call (reads every run.json, writes the index)  {cold:6.2f} s")
    print(f"load   mc.monitor, from the index  {load:6.2f} s   (json.loads of every run.json alone {parse:.2f} s: ratio {load / parse:.2f})")
    print(f"detect anomalies+breakouts on {len(columns)} PSI series  {detected:6.2f} s")
    print(f"render the dashboard (top features, heat map of 40)  {rendered:6.2f} s, {page_kb:.0f} KB")
    import os

    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
