"""Wall time of `mlcheck run` against the `papermill` command line on the same notebooks.

Both run as fresh processes, interleaved (mlcheck, papermill, mlcheck, ...) so
machine noise hits both alike; each reports the median of N runs and the ratio
mlcheck / papermill. mlcheck does more per run: typed parameters, the kernel's
package versions, input hashes, git state, run.json and an HTML report.

    python bench/job_overhead.py            # 7 runs of each, both notebooks
    python bench/job_overhead.py --runs 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent / "notebooks"
NOTEBOOKS = {"trivial": HERE / "trivial.ipynb", "train (random forest)": HERE / "train.ipynb"}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    papermill = shutil.which("papermill")
    mlcheck = shutil.which("mlcheck")
    if not papermill or not mlcheck:
        raise SystemExit("needs the `papermill` and `mlcheck` commands on PATH (pip install -e .)")
    work = Path(tempfile.mkdtemp(prefix="mlcheck-bench-"))
    print(f"{'notebook':<24}{'mlcheck run (s)':>16}{'papermill (s)':>15}{'ratio':>8}")
    try:
        for label, notebook in NOTEBOOKS.items():
            ours, theirs = [], []
            # one untimed warm-up of each: file-system caches, compiled bytecode
            timed([mlcheck, "run", str(notebook), "--runs-dir", str(work / "runs"), "--progress", "none"])
            timed([papermill, str(notebook), str(work / "out.ipynb"), "--no-progress-bar"])
            for _ in range(args.runs):
                ours.append(timed([mlcheck, "run", str(notebook), "--runs-dir", str(work / "runs"), "--progress", "none"]))
                theirs.append(timed([papermill, str(notebook), str(work / "out.ipynb"), "--no-progress-bar"]))
            mine, peer = statistics.median(ours), statistics.median(theirs)
            print(f"{label:<24}{mine:>16.2f}{peer:>15.2f}{mine / peer:>8.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"(median of {args.runs} interleaved runs each; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
