"""How long ``import mlcheck`` takes, against ``import papermill``, in fresh interpreters.

``import mlcheck`` runs in every kernel that uses it, so it must stay cheap
(the goal is under 0.15 s): every public name loads its module on first use.
papermill is the reference point, as the library a notebook job would use
instead (it imports nbformat, nbclient, jupyter_client... at import).

Each import runs in a new ``python -c`` process (a warm interpreter would
measure a dictionary look-up), timed inside the process around the import
statement alone, so interpreter start-up is left out. The variants are
interleaved (mlcheck, papermill, first use of a check, mlcheck, ...) so machine
noise hits all alike; the median of N rounds is reported with the spread.
``-X importtime`` of one mlcheck import is printed with ``--detail``, to see
which module costs what.

    python bench/import_time.py              # 21 rounds
    python bench/import_time.py --rounds 51 --detail
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

VARIANTS = {
    "import mlcheck": "import mlcheck",
    "import papermill": "import papermill",
    # what a notebook's first check costs on top (numpy, pandas, scipy load here)
    "mlcheck.check_coverage": "import mlcheck; mlcheck.check_coverage",
}
#: the budget ``import mlcheck`` must stay under (seconds)
BUDGET = 0.15

TIMER = (
    "import time, sys\n"
    "started = time.perf_counter()\n"
    "{statement}\n"
    "sys.stdout.write(repr(time.perf_counter() - started))\n"
)


def time_once(statement: str) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no new .pyc behind; existing ones are used
    done = subprocess.run(
        [sys.executable, "-c", TIMER.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="fresh processes per variant (default 21)")
    parser.add_argument("--detail", action="store_true", help="print -X importtime of import mlcheck")
    args = parser.parse_args()

    for statement in VARIANTS.values():  # warm the OS file cache and write missing .pyc files once
        subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, statement in VARIANTS.items():
            times[name].append(time_once(statement))

    print(f"{'variant':<26} {'median s':>9} {'p10 s':>8} {'p90 s':>8}   ({args.rounds} fresh processes each)")
    for name, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(f"{name:<26} {statistics.median(values):>9.4f} {deciles[0]:>8.4f} {deciles[-1]:>8.4f}")
    mlcheck, papermill = (
        statistics.median(times["import mlcheck"]),
        statistics.median(times["import papermill"]),
    )
    print(f"\nimport mlcheck is {papermill / mlcheck:.0f}x faster than import papermill")
    print(
        f"import mlcheck median {mlcheck:.4f} s: {'within' if mlcheck < BUDGET else 'OVER'} the {BUDGET} s budget"
    )
    if args.detail:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import mlcheck"],
            capture_output=True,
            text=True,
            check=True,
        )
        print("\n-X importtime (microseconds: self, cumulative, module) of import mlcheck:")
        print("\n".join(line for line in done.stderr.splitlines() if "mlcheck" in line or "enum" in line))
    return 0 if mlcheck < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
