"""Wall time of `pytest` over 4 notebooks against `mlcheck run` on the same 4, one after another.

The plugin runs each notebook through the same job runner as `mlcheck run`,
inside one pytest process; the baseline is what CI would do without it: four
`mlcheck run` processes in a row. Also timed: `pytest -n 2` (pytest-xdist), where
the two workers share the runs, so each notebook still runs once, two at a time.
And `pytest --collect-only`, which IDEs run on save: it must run no notebook
(checked: no run directory appears) and cost a fraction of a run.

pytest runs with plugin autoloading off and only mlcheck's plugin (and xdist's
for -n 2) named with -p, so the figure is the plugin's own; the last row is
plain `pytest` with every plugin installed here (hypothesis alone adds about
2 s of import and 3 s in its terminal summary on this machine).

Every variant runs as a fresh process in a fresh copy of the project, and the
variants are interleaved (pytest, mlcheck x4, pytest -n 2, pytest, ...) so
machine noise hits all alike; each reports the median of N rounds.

    python bench/plugin_overhead.py             # 5 rounds
    python bench/plugin_overhead.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {
    "trivial.ipynb": ROOT / "bench" / "notebooks" / "trivial.ipynb",
    "forest.ipynb": ROOT / "bench" / "notebooks" / "train.ipynb",  # random forest, breast cancer data
    "contracts.ipynb": ROOT / "tests" / "notebooks" / "pytest_plugin" / "contracts.ipynb",  # check_shift
    "checks.ipynb": ROOT / "tests" / "notebooks" / "checks.ipynb",
}
PYPROJECT = '[tool.mlcheck]\nnotebooks = ["*.ipynb"]\n'


def project(work: Path, name: str) -> Path:
    folder = work / name
    folder.mkdir()
    for file_name, source in NOTEBOOKS.items():
        shutil.copyfile(source, folder / file_name)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    return folder


def timed(commands: list[list[str]], cwd: Path, *, autoload: bool = True) -> float:
    environment = dict(os.environ)
    if not autoload:
        environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    start = time.perf_counter()
    for command in commands:
        done = subprocess.run(
            command,
            check=False,
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return time.perf_counter() - start


def run_dirs(folder: Path) -> int:
    return sum(1 for path in (folder / "runs").glob("*/*") if (path / "run.json").is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    mlcheck = shutil.which("mlcheck")
    if not mlcheck:
        raise SystemExit("needs the `mlcheck` command on PATH (pip install -e .)")
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    only_ours = [*pytest_command, "-p", "mlcheck.pytest.plugin"]  # with PYTEST_DISABLE_PLUGIN_AUTOLOAD
    # label -> (commands, plugin autoload, run directories expected)
    variants: dict[str, tuple[list[list[str]], bool, int]] = {
        "pytest (4 notebooks)": ([only_ours], False, len(NOTEBOOKS)),
        "mlcheck run x4, in a row": (
            [[mlcheck, "run", name, "--runs-dir", "runs", "--progress", "none"] for name in NOTEBOOKS],
            True,
            len(NOTEBOOKS),
        ),
        "pytest -n 2": ([[*only_ours, "-p", "xdist.plugin", "-n", "2"]], False, len(NOTEBOOKS)),
        "pytest, every plugin here": ([pytest_command], True, len(NOTEBOOKS)),
        "pytest --collect-only": ([[*only_ours, "--collect-only"]], False, 0),
    }
    times: dict[str, list[float]] = {label: [] for label in variants}
    work = Path(tempfile.mkdtemp(prefix="mlcheck-bench-plugin-"))
    try:
        for round_index in range(-1, args.rounds):  # round -1 warms caches and is not counted
            for index, (label, (commands, autoload, expected)) in enumerate(variants.items()):
                folder = project(work, f"r{round_index + 1}-{index}")
                elapsed = timed(commands, folder, autoload=autoload)
                if run_dirs(folder) != expected:
                    raise SystemExit(f"{label}: expected {expected} runs, found {run_dirs(folder)}")
                if round_index >= 0:
                    times[label].append(elapsed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {label: statistics.median(values) for label, values in times.items()}
    baseline = medians["mlcheck run x4, in a row"]
    print(f"{'variant':<28}{'median (s)':>11}{'vs mlcheck run x4':>19}")
    for label, median in medians.items():
        print(f"{label:<28}{median:>11.2f}{median / baseline:>18.2f}x")
    speedup = medians["pytest (4 notebooks)"] / medians["pytest -n 2"]
    print(f"speed-up of -n 2 over pytest: {speedup:.2f}x")
    print(
        f"(median of {args.rounds} interleaved rounds; each notebook ran once per variant; Python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
