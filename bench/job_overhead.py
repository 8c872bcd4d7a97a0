"""Fixed costs of the command line: `mlcheck run` against papermill's, and the start-up of `mlcheck shift`.

**Jobs.** `mlcheck run` (report included) against the `papermill` command on
the same notebooks, and against papermill given the same one-line import fix
mlcheck applies (`sys.modules["rfc3987_syntax"] = None` before anything
imports jsonschema: its optional IRI format checker compiles a grammar for
over a second at import when `rfc3987-syntax` is installed, a format no
notebook schema uses). The like-for-like ratio is the second one (goal: at
most 0.8 on the trivial notebook). All run as fresh processes, interleaved
(mlcheck, papermill, papermill fixed, mlcheck, ...) so machine noise hits
all alike; each reports the median of N runs. mlcheck does more per run:
typed parameters, the kernel's package versions, input hashes, git state,
run.json and an HTML report.

**`mlcheck shift` start-up** (goal: under 1 s of fixed cost): the wall time of
`python -c pass` (the interpreter alone), `mlcheck shift --help` and
`mlcheck shift` on two Parquet files of 10,000 rows (the scoring benchmark's
frame: six numeric and three text columns), interleaved, medians of N; and
the slowest imports of one such run from `python -X importtime`.

    python bench/job_overhead.py                 # 7 runs of each
    python bench/job_overhead.py --runs 5 --only shift
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = {
    "trivial": HERE / "notebooks" / "trivial.ipynb",
    "train (random forest)": HERE / "notebooks" / "train.ipynb",
}
#: papermill's own entry point, run after the import fix `mlcheck` applies in mlcheck.cli.main
PAPERMILL_FIXED = (
    "import sys; sys.modules.setdefault('rfc3987_syntax', None)\n"
    "from papermill.__main__ import papermill\n"
    "sys.argv[0] = 'papermill'; sys.exit(papermill())\n"
)
#: the goals: mlcheck run / papermill given the same fix on the trivial notebook; shift start-up
RUN_RATIO_GOAL = 0.8
SHIFT_STARTUP_GOAL = 1.0


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a shift check that fails is a finished run
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def bench_jobs(runs: int, mlcheck: str, papermill: str, work: Path, figures: dict[str, object]) -> None:
    print(
        f"{'notebook':<24}{'mlcheck run':>12}{'papermill':>11}{'ratio':>7}"
        f"{'papermill+fix':>15}{'ratio':>7}   (seconds, median of {runs})"
    )
    for label, notebook in NOTEBOOKS.items():
        commands = {
            "mlcheck": [mlcheck, "run", str(notebook), "--runs-dir", str(work / "runs"), "--progress", "none"],
            "papermill": [papermill, str(notebook), str(work / "out.ipynb"), "--no-progress-bar"],
            "fixed": [
                sys.executable, "-c", PAPERMILL_FIXED, str(notebook), str(work / "out2.ipynb"), "--no-progress-bar",
            ],
        }  # fmt: skip
        for command in commands.values():  # one untimed warm-up each: file-system caches, bytecode
            timed(command)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(timed(command))
        ours, plain, fixed = (statistics.median(times[name]) for name in ("mlcheck", "papermill", "fixed"))
        print(f"{label:<24}{ours:>12.2f}{plain:>11.2f}{ours / plain:>7.2f}{fixed:>15.2f}{ours / fixed:>7.2f}")
        figures[notebook.stem] = {
            "mlcheck_run_s": ours,
            "papermill_s": plain,
            "papermill_fixed_s": fixed,
            "ratio": ours / plain,
            "ratio_like_for_like": ours / fixed,
        }
        if notebook.stem == "trivial":
            verdict = "holds" if ours / fixed <= RUN_RATIO_GOAL else "NOT MET"
            print(
                f"  like for like on the trivial notebook: {ours / fixed:.2f} (goal <= {RUN_RATIO_GOAL}): {verdict}"
            )


def _shift_files(folder: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(HERE))
    from scoring import make_frame  # the scoring benchmark's frame

    reference, current = folder / "reference.parquet", folder / "current.parquet"
    make_frame(10_000, seed=1).to_parquet(reference)
    make_frame(10_000, seed=2).to_parquet(current)
    return reference, current


def bench_shift(runs: int, mlcheck: str, work: Path, figures: dict[str, object]) -> None:
    reference, current = _shift_files(work)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "mlcheck shift --help": [mlcheck, "shift", "--help"],
        "mlcheck shift, 10,000 rows a side": [mlcheck, "shift", str(reference), str(current)],
    }
    for command in commands.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    print(f"\n{'command':<36}{'median s':>9}{'min s':>8}{'max s':>8}   (wall, {runs} fresh processes each)")
    for name, values in times.items():
        print(f"{name:<36}{statistics.median(values):>9.3f}{min(values):>8.3f}{max(values):>8.3f}")
    whole = statistics.median(times["mlcheck shift, 10,000 rows a side"])
    figures["shift_startup_s"] = {name: statistics.median(values) for name, values in times.items()}
    verdict = "holds" if whole < SHIFT_STARTUP_GOAL else "NOT MET"
    print(f"  mlcheck shift on 10,000 rows: {whole:.2f} s (goal < {SHIFT_STARTUP_GOAL} s): {verdict}")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlcheck.cli.main", "shift", str(reference), str(current)],
        capture_output=True, text=True,
    )  # fmt: skip
    top = []  # imports made at the top level of the run (not inside another import), by cumulative time
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part for part in line.split("|"))
            if not name.startswith("  ") and cumulative.strip().isdigit():
                top.append((int(cumulative) / 1e6, name.strip()))
    total = sum(seconds for seconds, _ in top)
    print(
        f"\n-X importtime of one `mlcheck shift` run: {total:.3f} s of imports; the largest top-level ones:"
    )
    for seconds, name in sorted(top, reverse=True)[:8]:
        print(f"  {seconds:7.3f} s  {name}")
    figures["shift_imports_s"] = {
        "total": total,
        **{name: seconds for seconds, name in sorted(top, reverse=True)[:8]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=("jobs", "shift"), help="run one half")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    papermill = shutil.which("papermill")
    mlcheck = shutil.which("mlcheck")
    if not papermill or not mlcheck:
        raise SystemExit("needs the `papermill` and `mlcheck` commands on PATH (pip install -e .)")
    work = Path(tempfile.mkdtemp(prefix="mlcheck-bench-"))
    figures: dict[str, object] = {"runs": args.runs}
    try:
        if args.only in (None, "jobs"):
            bench_jobs(args.runs, mlcheck, papermill, work, figures)
        if args.only in (None, "shift"):
            bench_shift(args.runs, mlcheck, work, figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"(Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
