"""Benchmark: scoring a Parquet data set on a dask.distributed LocalCluster, against pandas in batches.

The data: ``--rows`` rows (default 2,000,000; the issue's figure is 20,000,000:
``--rows 20000000``) of the scoring benchmark's frame (six numeric, three text
columns; bench/scoring.py), written as Parquet files of ``--partition-rows``
rows each, so the Dask frame has one partition per file. The model is that
benchmark's pipeline, exported as a bundle.

Measured in one run:

- Dask: ``bundle.score(dd.read_parquet(...))`` then ``result.write(out)`` (three
  partitioned Parquet data sets written by the workers, counts from the
  partition summaries), then ``mc.profile`` and ``mc.check_shift`` of the same
  Dask frame against the bundle's profile, on a LocalCluster of ``--workers``
  worker processes with one thread each;
- the client process's peak memory growth over the whole Dask run (Linux
  ``VmHWM``, reset after the cluster started; goal: under 300 MB whatever the
  number of rows, asserted), and each worker's peak resident set against the
  in-memory size of one partition;
- pandas: the same files read one at a time, ``bundle.score(batch)`` and
  ``result.write`` per file, in this process: the wall time Dask is compared to.

Run: ``python bench/dask_scale.py [--rows 2000000] [--partition-rows 250000] [--workers 2] [--json PATH]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scoring import CATEGORICAL, NUMERIC, make_frame  # noqa: E402 - the scoring benchmark's frame

import mlcheck as mc  # noqa: E402

DATA = Path(os.environ.get("MLCHECK_BENCH_DATA", "/tmp/mlcheck-bench-dask"))
#: the client's peak memory growth must stay below this, whatever the number of rows
CLIENT_BOUND_MIB = 300


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> int:
    """Reset this process's VmHWM to its resident set; return that resident set (KiB)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def peak() -> int:
    return _status_kib("VmHWM")


def write_files(rows: int, partition_rows: int) -> Path:
    """The data set, one Parquet file per partition, written chunk by chunk (bounded memory)."""
    folder = DATA / f"batch_{rows}_{partition_rows}"
    if folder.is_dir():
        return folder
    staging = Path(tempfile.mkdtemp(dir=DATA.parent if DATA.parent.is_dir() else None))
    for index, start in enumerate(range(0, rows, partition_rows)):
        chunk = make_frame(min(partition_rows, rows - start), seed=100 + index)
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        chunk.to_parquet(staging / f"part.{index:05d}.parquet")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return folder


def train_bundle() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

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
    return mc.export(model, Path(tempfile.mkdtemp()) / "bench", reference=train)


def run_dask(bundle: Any, folder: Path, out: Path, workers: int) -> dict[str, Any]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        frame = dd.read_parquet(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bundle.score(frame.partitions[0]).write(out / "warm.parquet")  # workers import, load the model
        worker_before = client.run(reset_peak)
        worker_cpu = client.run(time.process_time)
        before = reset_peak()
        started, client_cpu = time.perf_counter(), time.process_time()
        result = bundle.score(frame)
        result.write(out / "scored.parquet")
        scored_at, client_cpu = time.perf_counter(), time.process_time() - client_cpu
        worker_cpu = sum(value - worker_cpu[name] for name, value in client.run(time.process_time).items())
        current = mc.profile(frame, edges_from=bundle.profile)
        shift = mc.check_shift(bundle.profile, current)
        finished = time.perf_counter()
        client_growth = (peak() - before) / 1024
        worker_peaks = client.run(peak)
        partition_mib = float(frame.partitions[0].compute().memory_usage(deep=True).sum()) / 2**20
    return {
        "score_write_seconds": scored_at - started,
        "score_write_cpu_workers": worker_cpu,
        "score_write_cpu_client": client_cpu,
        "profile_shift_seconds": finished - scored_at,
        "client_growth_mib": client_growth,
        "worker_peak_mib": {name: value / 1024 for name, value in worker_peaks.items()},
        "worker_growth_mib": {
            name: (value - worker_before[name]) / 1024 for name, value in worker_peaks.items()
        },
        "partition_mib": partition_mib,
        "n_rows": result.n_rows,
        "n_scored": result.n_scored,
        "shift_passed": shift.passed,
    }


def run_pandas(bundle: Any, folder: Path, out: Path) -> dict[str, Any]:
    """The same files scored one at a time with pandas, in this process."""
    files = sorted(folder.glob("*.parquet"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle.score(pd.read_parquet(files[0]).head(1000))
        started, cpu = time.perf_counter(), time.process_time()
        n_scored = 0
        for index, path in enumerate(files):
            result = bundle.score(pd.read_parquet(path))
            result.write(out / f"pandas_{index:05d}.parquet")
            n_scored += result.n_scored
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "n_scored": n_scored}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--partition-rows", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    folder = write_files(args.rows, args.partition_rows)
    bundle = train_bundle()
    out = Path(tempfile.mkdtemp())
    try:
        dask_figures = run_dask(bundle, folder, out, args.workers)
        pandas_figures = run_pandas(bundle, folder, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    assert dask_figures["n_rows"] == args.rows and dask_figures["n_scored"] == pandas_figures["n_scored"]
    print(
        f"rows: {args.rows:,} in {len(list(folder.glob('*.parquet')))} partitions of {args.partition_rows:,}; "
        f"{args.workers} worker processes x 1 thread"
    )
    print(f"Dask score + write (3 data sets)   {dask_figures['score_write_seconds']:8.2f} s")
    print(f"pandas, file by file (same rows)   {pandas_figures['seconds']:8.2f} s")
    print(
        f"  ratio Dask / pandas               {dask_figures['score_write_seconds'] / pandas_figures['seconds']:8.2f}x"
    )
    print(
        f"CPU: Dask workers {dask_figures['score_write_cpu_workers']:.2f} s + client "
        f"{dask_figures['score_write_cpu_client']:.2f} s; pandas {pandas_figures['cpu']:.2f} s"
    )
    print(f"Dask profile + check_shift          {dask_figures['profile_shift_seconds']:8.2f} s")
    print(
        f"client peak growth                  {dask_figures['client_growth_mib']:8.0f} MiB (bound {CLIENT_BOUND_MIB})"
    )
    partition = dask_figures["partition_mib"]
    for name, mib in dask_figures["worker_peak_mib"].items():
        growth = dask_figures["worker_growth_mib"][name]
        print(
            f"worker peak RSS {mib:6.0f} MiB, growth {growth:5.0f} MiB = {growth / partition:4.1f}x one partition "
            f"({partition:.0f} MiB in memory)  [{name}]"
        )
    if args.json:
        figures = {"rows": args.rows, "partition_rows": args.partition_rows, "workers": args.workers}
        figures.update(dask=dask_figures, pandas=pandas_figures)
        figures["dask_over_pandas"] = dask_figures["score_write_seconds"] / pandas_figures["seconds"]
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    assert dask_figures["client_growth_mib"] < CLIENT_BOUND_MIB, "the client's memory grew past its bound"
    return 0


if __name__ == "__main__":
    sys.exit(main())
