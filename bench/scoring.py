"""Benchmark: ``Bundle.score`` against the bare ``model.predict`` on the same frame.

The model is the pipeline the demo notebooks use (StandardScaler on six
numeric columns, OneHotEncoder on three string columns, LogisticRegression),
trained on 20,000 rows and exported as a bundle. Each timing is the median of
``--repeats`` runs, interleaved so that both sides see the same machine state;
wall-clock and CPU time of this process are both reported, since CPU time is
less disturbed by other work on a shared machine.

- clean: a frame of ``--rows`` valid rows; ``Bundle.score`` checks the schema,
  scores, and returns predictions and (empty) rejects.
- 1% bad: the same frame with 1% of the rows damaged (half a missing value
  where training had none, half an unseen category). The bare ``predict``
  cannot score that frame at all (it raises on the first missing value), so
  the ratio is against the bare ``predict`` of the clean frame.
- scores: ``Bundle.score(scores=True)`` against the bare ``predict_proba``
  (the pipeline's transformers run once for both outputs).
- memory: each call runs in a fresh process that builds the frame first; the
  peak growth is the peak resident set during the call (Linux ``VmHWM``, reset
  just before it) minus the resident set before it, given against the input
  frame's size (``memory_usage(deep=True)``). The default batch size must keep
  ``Bundle.score``'s growth within 1.5x the input (asserted); ``batch_size=``
  the whole frame shows what one batch costs.

Run: ``python bench/scoring.py [--rows 1000000] [--repeats 5] [--skip-memory] [--json results/scoring.json]``
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import mlcheck as mc
from mlcheck.bundle.scoring import BATCH_BYTES

NUMERIC = [f"x{i}" for i in range(6)]
CATEGORICAL = {"region": 5, "product": 20, "channel": 50}


def make_frame(n_rows: int, *, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=n_rows) for name in NUMERIC})
    for name, n_levels in CATEGORICAL.items():
        levels = np.array([f"{name}_{j}" for j in range(n_levels)])
        frame[name] = pd.Series(levels[rng.integers(0, n_levels, n_rows)], dtype="str")
    return frame


def damage(frame: pd.DataFrame, fraction: float, *, seed: int) -> pd.DataFrame:
    """A copy with ``fraction`` of the rows unscorable: half a missing number, half an unseen category."""
    rng = np.random.default_rng(seed)
    bad = rng.choice(len(frame), size=int(len(frame) * fraction), replace=False)
    damaged = frame.copy()
    half = len(bad) // 2
    damaged.loc[damaged.index[bad[:half]], "x0"] = np.nan
    damaged.loc[damaged.index[bad[half:]], "channel"] = "channel_unseen"
    return damaged


#: the default batch size must keep the peak growth of Bundle.score within this factor of the input
MEMORY_BOUND = 1.5


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_worker(kind: str, rows: int, bundle_path: str) -> dict[str, float]:
    """Peak memory growth of one call on a fresh frame, in this (fresh) process."""
    bundle = mc.load(bundle_path)
    model = bundle.model
    clean = make_frame(rows, seed=1)
    calls = {
        "predict": lambda: model.predict(clean),
        "predict_proba": lambda: model.predict_proba(clean),
        "score": lambda: bundle.score(clean),
        "score_scores": lambda: bundle.score(clean, scores=True),
        "score_one_batch": lambda: bundle.score(clean, batch_size=rows),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle.score(clean.iloc[:1000], scores=True)  # warm-up: imports, first-call allocations
        gc.collect()
        before = _status_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
        calls[kind]()
        peak = _status_kib("VmHWM")
    return {"input_mib": float(clean.memory_usage(deep=True).sum()) / 2**20, "growth_mib": (peak - before) / 1024}


def _write_json(path: Path | None, figures: dict[str, object]) -> None:
    if path is not None:
        path.write_text(json.dumps(figures, indent=2) + "\n")


def timed(function) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)  # KIND BUNDLE
    args = parser.parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker[0], args.rows, args.memory_worker[1])))
        return 0

    train = make_frame(20_000, seed=0)
    target = (train["x0"] + train["x1"] + (train["region"] == "region_1") > 0.3).to_numpy()
    model = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), NUMERIC),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).fit(train, target)
    bundle = mc.export(model, Path(tempfile.mkdtemp()) / "bench", reference=train)

    clean = make_frame(args.rows, seed=1)
    bad = damage(clean, 0.01, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.predict(clean.iloc[:1000])  # warm-up
        bundle.score(clean.iloc[:1000])
        checked = bundle.score(bad, unseen="reject")  # the encoder ignores unseen levels: reject them anyway, as the table says
    assert checked.n_rejected == int(args.rows * 0.01) and checked.n_scored + checked.n_rejected == args.rows
    np.testing.assert_array_equal(bundle.score(clean).predictions["prediction"], model.predict(clean))

    np.testing.assert_allclose(
        bundle.score(clean, scores=True).predictions[["score_False", "score_True"]], model.predict_proba(clean)
    )
    timings: dict[str, list[tuple[float, float]]] = {"bare": [], "clean": [], "bad": [], "proba": [], "scores": []}
    for _ in range(args.repeats):  # interleaved: all see the same machine state
        timings["bare"].append(timed(lambda: model.predict(clean)))
        timings["clean"].append(timed(lambda: bundle.score(clean)))
        timings["bad"].append(timed(lambda: bundle.score(bad, unseen="reject")))
        timings["proba"].append(timed(lambda: model.predict_proba(clean)))
        timings["scores"].append(timed(lambda: bundle.score(clean, scores=True)))
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in timings.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in timings.items()}
    rows = args.rows
    labels = {
        "bare": "model.predict (clean)",
        "clean": "Bundle.score (clean)",
        "bad": "Bundle.score (1% bad rows)",
    }
    print(
        f"rows: {rows:,}   repeats: {args.repeats}   medians; ratios against model.predict on the clean frame"
    )
    print(f"{'':28s}{'wall s':>8s}{'rows/s':>12s}{'ratio':>7s}{'cpu s':>8s}{'ratio':>7s}")
    for name, label in labels.items():
        print(
            f"{label:28s}{wall[name]:8.3f}{rows / wall[name]:12,.0f}{wall[name] / wall['bare']:7.3f}"
            f"{cpu[name]:8.3f}{cpu[name] / cpu['bare']:7.3f}"
        )
    print("ratios against model.predict_proba on the clean frame")
    for name, label in {"proba": "model.predict_proba", "scores": "Bundle.score(scores=True)"}.items():
        print(
            f"{label:28s}{wall[name]:8.3f}{rows / wall[name]:12,.0f}{wall[name] / wall['proba']:7.3f}"
            f"{cpu[name]:8.3f}{cpu[name] / cpu['proba']:7.3f}"
        )
    figures: dict[str, object] = {
        "rows": rows,
        "repeats": args.repeats,
        "wall_s": wall,
        "cpu_s": cpu,
        "wall_ratio": {"score": wall["clean"] / wall["bare"], "score_bad": wall["bad"] / wall["bare"],
                       "score_scores": wall["scores"] / wall["proba"]},
        "cpu_ratio": {"score": cpu["clean"] / cpu["bare"], "score_bad": cpu["bad"] / cpu["bare"],
                      "score_scores": cpu["scores"] / cpu["proba"]},
    }  # fmt: skip
    if args.skip_memory:
        _write_json(args.json, figures)
        return 0
    print("peak memory growth, each call in a fresh process; against the input frame's size")
    growth: dict[str, float] = {}
    for kind in ("predict", "predict_proba", "score", "score_scores", "score_one_batch"):
        output = subprocess.run(
            [sys.executable, __file__, "--rows", str(rows), "--memory-worker", kind, str(bundle.path)],
            capture_output=True, text=True, check=True,
        ).stdout
        measured = json.loads(output.strip().splitlines()[-1])
        growth[kind] = measured["growth_mib"] / measured["input_mib"]
        figures.setdefault("memory", {})[kind] = {**measured, "growth_over_input": growth[kind]}  # type: ignore[index]
        print(f"{kind:28s}{measured['growth_mib']:8.0f} MiB{growth[kind]:7.2f}x  (input {measured['input_mib']:.0f} MiB)")
    _write_json(args.json, figures)
    if measured["input_mib"] * 2**20 >= 10 * BATCH_BYTES:  # a frame of many default batches: the bound holds
        for kind in ("score", "score_scores"):
            assert growth[kind] <= MEMORY_BOUND, f"{kind}: peak growth {growth[kind]:.2f}x the input, bound {MEMORY_BOUND}x"
    else:
        print(f"(the {MEMORY_BOUND}x bound is asserted from 10 default batches of input, {10 * BATCH_BYTES >> 20} MiB, up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
