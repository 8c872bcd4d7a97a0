"""The monitoring demo's contracts on every scored week, clean and with planted faults.

Usage: ``python bench/monitor_demo.py BUNDLE [ALPHA]`` where BUNDLE is the bundle
``mlcheck demo`` exported (``<demo folder>/artifacts/bikeshare``). For each of
the 26 scored weeks of 2011 and each scenario, it makes the week's batch as the
demo does and runs the weekly notebook's input checks in this process (the
same calls and thresholds as ``bikeshare_score.ipynb``: ``check_schema`` with
``max_out_of_range=0.25``, ``check_shift`` on the calendar inputs at ALPHA,
0.05 by default), then prints
in how many weeks each check failed and the largest figure it saw. Scenarios:
clean; the temperature feed in Fahrenheit (the demo's fault); a temperature
sensor reading 3 C high (a fault these contracts cannot see); a join that drops
the night hours (0-5 h); a join that drops the rainy hours (weathersit "light
rain/snow").
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

import mlcheck as mc
from mlcheck.cli.demo_monitoring import RENTALS, T_MAX, T_MIN, fahrenheit, week_hours, weeks

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = ["hr", "weekday", "workingday"]
MAX_OUT_OF_RANGE = 0.25


def scenarios() -> dict[str, object]:
    return {
        "clean": lambda b: b,
        "Fahrenheit": lambda b: b.assign(temp=fahrenheit(b["temp"])),
        "sensor +3 C": lambda b: b.assign(temp=b["temp"] + 3 / (T_MAX - T_MIN)),
        "night hours dropped": lambda b: b[b["hr"] >= 6],
        "rainy hours dropped": lambda b: b[b["weathersit"] != "light rain/snow"],
    }


def main(bundle_path: str, alpha: float) -> None:
    warnings.filterwarnings("ignore")
    bundle = mc.load(bundle_path)
    hours = pd.read_parquet(ROOT / "example_notebooks" / "data" / "bikeshare.parquet")
    print(f"check_shift(alpha={alpha})")
    print(f"{'scenario':<22} {'schema failed':>14} {'max outside':>12} {'shift failed':>13} {'max effect':>11}  failing")
    for name, change in scenarios().items():
        schema_failed = shift_failed = 0
        worst_outside = worst_effect = 0.0
        failing: set[str] = set()
        for start in weeks():
            batch = change(week_hours(hours, start).drop(columns=list(RENTALS)).reset_index(drop=True))
            schema = mc.check_schema(batch, bundle.schema, max_out_of_range=MAX_OUT_OF_RANGE)
            shift = mc.check_shift(bundle.profile, batch, features=CALENDAR, alpha=alpha)
            schema_failed += not schema.passed
            shift_failed += not shift.passed
            columns = schema.details.get("columns") or {}
            worst_outside = max([worst_outside] + [c.get("outside") or 0.0 for c in columns.values()])
            features = shift.details.get("features") or {}
            worst_effect = max([worst_effect] + [f.get("effect") or 0.0 for f in features.values()])
            failing |= {f"{r.name}[{o.subject}]" for r in (schema, shift) for o in r.outcomes or () if not o.passed}
        print(
            f"{name:<22} {schema_failed:>9} of {len(weeks())} {worst_outside:>12.3f} {shift_failed:>8} of "
            f"{len(weeks())} {worst_effect:>11.3f}  {', '.join(sorted(failing)) or '-'}"
        )


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python bench/monitor_demo.py <demo folder>/artifacts/bikeshare [ALPHA]")
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) == 3 else 0.05)
