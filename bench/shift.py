"""Benchmark: mlcheck's profile + shift_report against Evidently and a numpy lower bound.

One run compares, on the same synthetic frames (20 numeric columns of several
shapes, 5 categorical columns with 20 levels; in the current data a few columns
shift and one gains a 1% level the reference never saw):

* mlcheck: ``mc.profile(reference)`` then ``mc.shift_report(profile, current)``;
* Evidently: a ``Report([DataDriftPreset(method=...)])`` run with its ``kl_div``
  and its ``psi`` method, in its own virtual environment (it needs ``pandas<3``;
  it is not a dependency of mlcheck). The environment is created on first use;
* the lower bound: one ``np.histogram`` per column and side on 20 uniform bins;
* the compiled lower bound: the same counts with ``fast_histogram.histogram1d``
  (C, uniform bins: the least work any exact binning of these values can do),
  when the ``fast-histogram`` package is installed; else the numpy bound is
  the bound, and the table says so.

``--scaling`` times mlcheck's profile + shift in one process over rows (1e4 to
``--max-rows``, 25 columns) and over columns (10 to 1,000 at 10,000 rows), and
prints the CPU time per million cells, which is flat when the cost is linear.

Each tool runs in a fresh process that loads the frames from Parquet first; the
compute time is the median over ``--repeats`` runs, and the memory is the peak
resident set during the computation (Linux ``VmHWM``, reset after loading),
given as the total and as the growth over the loaded data.

``--parquet-rows 10000000`` adds mlcheck streaming two Parquet files of that
many rows from disk in bounded memory (``mlcheck profile`` / ``mlcheck shift``
code path, in this process; ``bench/profile_memory.py`` measures the commands
themselves over file sizes). Data goes to ``$MLCHECK_BENCH_DATA`` (default
``/tmp/mlcheck-bench-shift``); results to ``bench/results/shift.json``.

    python bench/shift.py                                  # 100k and 1M rows a side
    python bench/shift.py --sizes 1000000 --parquet-rows 10000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-evidently"
DATA = Path(os.environ.get("MLCHECK_BENCH_DATA", "/tmp/mlcheck-bench-shift"))
RESULTS = HERE / "results" / "shift.json"
LEVELS = [f"level_{i:02d}" for i in range(20)]
CHUNK_ROWS = 1_000_000


# -- data ------------------------------------------------------------------------------
def make_chunk(n: int, seed: int, *, current: bool) -> pd.DataFrame:
    """``n`` rows of the reference (or current) distribution, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    s = 1.0 if current else 0.0
    columns: dict[str, Any] = {
        "normal": rng.normal(0.5 * s, 1, n),  # shifted by 0.5 sigma
        "lognormal": rng.lognormal(0, 1, n),
        "exponential": rng.exponential(1 + 0.6 * s, n),  # scale grows 60%
        "uniform": rng.uniform(0, 1, n),
        "student_t3": rng.standard_t(3, n),
        "bimodal": np.where(rng.random(n) < 0.5, rng.normal(-2, 0.5, n), rng.normal(2, 0.5, n)),
        "poisson30": rng.poisson(30, n).astype(np.int64),
        "with_missing": np.where(rng.random(n) < 0.05, np.nan, rng.normal(5, 2, n)),
        "beta": rng.beta(2, 5, n),
        "gamma": rng.gamma(2 + 0.2 * s, 2, n),  # a small shape change
        "iq": rng.normal(100, 15, n),
        "income": rng.lognormal(3, 0.5, n),
        "weibull": rng.weibull(1.5, n),
        "pareto": rng.pareto(3, n),
        "outliers": np.where(rng.random(n) < 0.005 * s, 1e6, rng.normal(0, 1, n)),  # 0.5% outliers
        "rounded": np.round(rng.uniform(-5, 5, n), 1),
        "normal_b": rng.normal(0, 1, n),
        "chi2": rng.chisquare(4, n),
        "logistic": rng.logistic(0, 1, n),
        "laplace": rng.laplace(0, 1, n),
    }
    weights = 1.0 / np.arange(1, 21)
    weights /= weights.sum()
    swapped = weights.copy()
    swapped[[0, 3]] = swapped[[3, 0]]
    for i in range(5):
        probabilities = swapped if (current and i == 1) else weights
        values = np.asarray(LEVELS, dtype=object)[rng.choice(20, n, p=probabilities)]
        if current and i == 2:  # 1% of rows get a level the reference never saw
            values = np.where(rng.random(n) < 0.01, "unseen", values)
        columns[f"category_{i}"] = pd.Categorical(values, categories=[*LEVELS, "unseen"])
    return pd.DataFrame(columns)


def write_parquet(path: Path, n: int, *, current: bool, seed: int) -> Path:
    """Write ``n`` rows chunk by chunk (bounded memory), row groups of 262,144 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer = None
    for index, start in enumerate(range(0, n, CHUNK_ROWS)):
        chunk = pa.Table.from_pandas(
            make_chunk(min(CHUNK_ROWS, n - start), seed * 1000 + index, current=current), preserve_index=False
        )
        writer = writer or pq.ParquetWriter(partial, chunk.schema)
        writer.write_table(chunk, row_group_size=262_144)
    assert writer is not None
    writer.close()
    os.replace(partial, path)
    return path


def data_files(n: int) -> tuple[Path, Path]:
    return (
        write_parquet(DATA / f"reference_{n}.parquet", n, current=False, seed=1),
        write_parquet(DATA / f"current_{n}.parquet", n, current=True, seed=2),
    )


# -- measuring inside a worker process ---------------------------------------------------
def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident set


def _run_mlcheck(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
    import mlcheck as mc

    report = mc.shift_report(mc.profile(reference), current)
    return {name: float(report.loc[name, "kl"]) for name in report.index}


def _run_numpy(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
    out = {}
    for name in reference.columns:
        ref, cur = reference[name], current[name]
        if isinstance(ref.dtype, pd.CategoricalDtype):
            ref, cur = ref.cat.codes.to_numpy(), cur.cat.codes.to_numpy()
            span = (0, len(LEVELS) + 1)
        else:
            ref, cur = ref.to_numpy(dtype=float), cur.to_numpy(dtype=float)
            span = (np.nanmin(ref), np.nanmax(ref))
        p, _ = np.histogram(ref, bins=20, range=span)
        q, _ = np.histogram(cur, bins=20, range=span)
        out[name] = float(
            np.sum(
                (q + 0.5)
                / (q.sum() + 10)
                * np.log(((q + 0.5) / (q.sum() + 10)) / ((p + 0.5) / (p.sum() + 10)))
            )
        )
    return out


def _run_fast_histogram(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
    from fast_histogram import histogram1d

    out = {}
    for name in reference.columns:
        ref, cur = reference[name], current[name]
        if isinstance(ref.dtype, pd.CategoricalDtype):
            p = np.bincount(ref.cat.codes.to_numpy() + 1, minlength=len(LEVELS) + 2)
            q = np.bincount(cur.cat.codes.to_numpy() + 1, minlength=len(LEVELS) + 2)
        else:
            ref, cur = ref.to_numpy(dtype=float), cur.to_numpy(dtype=float)
            span = (np.nanmin(ref), np.nanmax(ref) + 1e-9)
            p, q = histogram1d(ref, 20, span), histogram1d(cur, 20, span)
        out[name] = float(
            np.sum((q + 0.5) / (q.sum() + 10) * np.log(((q + 0.5) / (q.sum() + 10)) / ((p + 0.5) / (p.sum() + 10))))
        )
    return out


def has_fast_histogram() -> bool:
    import importlib.util

    return importlib.util.find_spec("fast_histogram") is not None


def scaling_worker(max_rows: int) -> list[dict[str, Any]]:
    """CPU seconds of profile + shift_report over rows and over columns, in this process."""
    import mlcheck as mc

    def measure(reference: pd.DataFrame, current: pd.DataFrame) -> float:
        times = []
        for _ in range(3):
            cpu = time.process_time()
            mc.shift_report(mc.profile(reference), current)
            times.append(time.process_time() - cpu)
        return statistics.median(times)

    mc.shift_report(mc.profile(make_chunk(2_000, 1, current=False)), make_chunk(2_000, 2, current=True))
    out = []
    n = 10_000
    while n <= max_rows:
        reference, current = make_chunk(n, 1, current=False), make_chunk(n, 2, current=True)
        out.append({"rows": n, "columns": 25, "cpu_seconds": measure(reference, current)})
        n *= 10
    base_ref, base_cur = make_chunk(10_000, 1, current=False), make_chunk(10_000, 2, current=True)
    for width in (10, 100, 1_000):
        copies = -(-width // 25)
        reference = pd.concat([base_ref.add_suffix(f"_{i}") for i in range(copies)], axis=1).iloc[:, :width]
        current = pd.concat([base_cur.add_suffix(f"_{i}") for i in range(copies)], axis=1).iloc[:, :width]
        out.append({"rows": 10_000, "columns": width, "cpu_seconds": measure(reference, current)})
    for row in out:
        row["cpu_us_per_cell"] = row["cpu_seconds"] / (2 * row["rows"] * row["columns"]) * 1e6
    return out


def _run_evidently(reference: pd.DataFrame, current: pd.DataFrame, method: str) -> dict[str, float]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset(method=method)]).run(current_data=current, reference_data=reference)
    values = {}
    for metric in snapshot.dict()["metrics"]:
        column = metric.get("config", {}).get("column")
        if column is not None:
            values[column] = float(metric["value"])
    return values


def worker(tool: str, n: int, repeats: int) -> dict[str, Any]:
    reference_path, current_path = DATA / f"reference_{n}.parquet", DATA / f"current_{n}.parquet"
    reference, current = pd.read_parquet(reference_path), pd.read_parquet(current_path)
    if tool.startswith("evidently"):
        run = lambda: _run_evidently(reference, current, tool.split(":")[1])
    elif tool == "mlcheck":
        import scipy.stats  # noqa: F401

        import mlcheck.contracts.shift  # noqa: F401 - import time is not compute time

        run = lambda: _run_mlcheck(reference, current)
    elif tool == "fast-histogram":
        run = lambda: _run_fast_histogram(reference, current)
        run()  # first-call costs
    else:
        run = lambda: _run_numpy(reference, current)
    warm_up = reference.head(2_000), current.head(2_000)  # first-call costs are not compute
    if tool.startswith("evidently"):
        _run_evidently(*warm_up, tool.split(":")[1])
    elif tool == "mlcheck":
        _run_mlcheck(*warm_up)
    del warm_up
    gc.collect()
    loaded = _status_kib("VmRSS")
    _reset_peak()
    times, cpu_times, values = [], [], {}
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        values = run()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    peak = _status_kib("VmHWM")
    return {
        "tool": tool,
        "rows": n,
        "seconds": statistics.median(times),
        "cpu_seconds": statistics.median(cpu_times),  # the machine may be shared: CPU time is steadier
        "runs": len(times),
        "peak_mib": peak / 1024,
        "growth_mib": (peak - loaded) / 1024,
        "values": values,
    }


def parquet_worker(n: int, batch_rows: int) -> dict[str, Any]:
    """Stream two Parquet files from disk: profile the reference, bin the current on it, compare."""
    import mlcheck as mc
    from mlcheck.cli.data import profile_path

    reference_path, current_path = data_files(n)
    gc.collect()
    loaded = _status_kib("VmRSS")
    _reset_peak()
    start, cpu_start = time.perf_counter(), time.process_time()
    reference = profile_path(reference_path, batch_rows=batch_rows)
    current = profile_path(current_path, edges_from=reference, batch_rows=batch_rows)
    report = mc.shift_report(reference, current)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = _status_kib("VmHWM")
    return {
        "tool": "mlcheck-parquet",
        "rows": n,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "runs": 1,
        "peak_mib": peak / 1024,
        "growth_mib": (peak - loaded) / 1024,
        "file_mib": (reference_path.stat().st_size + current_path.stat().st_size) / 2**20,
        "drifted": sorted(report.index[report["drifted"].fillna(False).to_numpy(dtype=bool)]),
    }


# -- orchestration -----------------------------------------------------------------------
def ensure_evidently() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with Evidently (once)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "evidently", "pandas<3", "pyarrow"], check=True
        )
    return python


def spawn(python: str | Path, *arguments: str) -> dict[str, Any]:
    completed = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", *arguments],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def card_sizes(n: int) -> dict[str, int]:
    """Bytes a notebook stores: mlcheck's result (JSON + HTML card) vs Evidently's HTML report."""
    import mlcheck as mc
    from mlcheck.display.cards import render_html

    reference, current = data_files(n)
    result = mc.check_shift(pd.read_parquet(reference), pd.read_parquet(current))
    return {"mlcheck_json": len(result.to_json()), "mlcheck_html": len(render_html(result.to_dict()))}


def evidently_html_size(python: Path, n: int) -> int:
    code = (
        "import pandas as pd, sys\nfrom evidently import Report\nfrom evidently.presets import DataDriftPreset\n"
        f"r=pd.read_parquet('{DATA}/reference_{n}.parquet'); c=pd.read_parquet('{DATA}/current_{n}.parquet')\n"
        "s=Report([DataDriftPreset(method='kl_div')]).run(current_data=c, reference_data=r)\n"
        f"s.save_html('{DATA}/evidently_{n}.html')\n"
    )
    subprocess.run([str(python), "-c", code], check=True, capture_output=True)
    return (DATA / f"evidently_{n}.html").stat().st_size


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        (
            "| rows a side | tool | wall (s) | CPU (s) | peak RSS (MiB) | growth (MiB) | wall vs mlcheck "
            "| CPU vs mlcheck | peak vs mlcheck |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r["rows"] for r in rows}):
        group = [r for r in rows if r["rows"] == n]
        base = next((r for r in group if r["tool"] == "mlcheck"), None)
        for r in group:
            ratios = (
                [
                    f"{r['seconds'] / base['seconds']:.1f}x",
                    f"{r['cpu_seconds'] / base['cpu_seconds']:.1f}x",
                    f"{r['peak_mib'] / base['peak_mib']:.2f}x",
                ]
                if base
                else ["", "", ""]
            )
            lines.append(
                f"| {n:,} | {r['tool']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_mib']:,.0f} "
                f"| {r['growth_mib']:,.0f} | " + " | ".join(ratios) + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per tool (median); Evidently at 1M+ runs once"
    )
    parser.add_argument("--parquet-rows", type=int, default=0, help="also stream two Parquet files of N rows")
    parser.add_argument("--batch-rows", type=int, default=65_536, help="rows read at a time (mlcheck's default)")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--scaling", action="store_true", help="also time rows 1e4.. and columns 10..1000")
    parser.add_argument("--max-rows", type=int, default=1_000_000, help="largest row count of --scaling")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "scaling":
            print(json.dumps(scaling_worker(int(rest[0]))))
            return 0
        if kind == "parquet":
            result = parquet_worker(int(rest[0]), int(rest[1]))
        else:
            result = worker(kind, int(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return 0

    evidently = None if args.skip_evidently else ensure_evidently()
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        data_files(n)
        bounds = ("numpy-lower-bound", "fast-histogram") if has_fast_histogram() else ("numpy-lower-bound",)
        for tool in ("mlcheck", *bounds):
            rows.append(spawn(sys.executable, tool, str(n), str(args.repeats)))
            print(
                f"{n:>10,} {tool:<22} {rows[-1]['seconds']:8.2f} s {rows[-1]['peak_mib']:8.0f} MiB",
                file=sys.stderr,
            )
        if evidently is not None:
            for method in ("kl_div", "psi"):
                repeats = 1 if n >= 1_000_000 else args.repeats
                rows.append(spawn(evidently, f"evidently:{method}", str(n), str(repeats)))
                print(
                    f"{n:>10,} evidently:{method:<12} {rows[-1]['seconds']:8.2f} s {rows[-1]['peak_mib']:8.0f} MiB",
                    file=sys.stderr,
                )
    extra: dict[str, Any] = {"cards": card_sizes(min(args.sizes))}
    if evidently is not None:
        extra["cards"]["evidently_html"] = evidently_html_size(evidently, min(args.sizes))
    if args.parquet_rows:
        data_files(args.parquet_rows)  # written before the worker starts, so not in its memory
        streamed = spawn(sys.executable, "parquet", str(args.parquet_rows), str(args.batch_rows))
        extra["parquet"] = streamed
    if not has_fast_histogram():
        extra["lower_bound"] = "fast-histogram is not installed: numpy.histogram is the lower bound"
    if args.scaling:
        extra["scaling"] = spawn(sys.executable, "scaling", str(args.max_rows))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, **extra}, indent=1))
    print(table(rows))
    for n in sorted({r["rows"] for r in rows}):
        group = {r["tool"]: r for r in rows if r["rows"] == n}
        bound = group.get("fast-histogram") or group["numpy-lower-bound"]
        line = f"{n:,} rows a side: mlcheck CPU {group['mlcheck']['cpu_seconds'] / bound['cpu_seconds']:.1f}x {bound['tool']}"
        for tool in ("evidently:kl_div", "evidently:psi"):
            if tool in group:
                line += f"; {tool} {group[tool]['cpu_seconds'] / group['mlcheck']['cpu_seconds']:.0f}x mlcheck"
        print(line)
    print(json.dumps(extra, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
