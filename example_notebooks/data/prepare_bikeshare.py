"""Rebuild ``bikeshare.parquet`` from ISLP's ``Bikeshare.csv``.

Usage: ``python prepare_bikeshare.py PATH/TO/Bikeshare.csv`` (the CSV ships
inside the ISLP package: ``pip download ISLP --no-deps`` and unzip the wheel,
or ``pip install --no-deps ISLP`` in a throwaway environment, then look in
``ISLP/data/``). Writes ``bikeshare.parquet`` next to this script.

The only changes: a ``time`` column (the hour's start, local clock time in
Washington, D.C., without a time zone) built from ``day`` (day of 2011,
1-365) and ``hr``; ``hr`` as a whole number (the CSV quotes it); rows sorted
by time. Every other column is kept as recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
YEAR_START = pd.Timestamp("2011-01-01")


def main(csv_path: str) -> None:
    hours = pd.read_csv(csv_path)
    hours["hr"] = hours["hr"].astype("int64")
    time = YEAR_START + pd.to_timedelta(hours["day"] - 1, unit="D") + pd.to_timedelta(hours["hr"], unit="h")
    hours.insert(0, "time", time.astype("datetime64[ns]"))
    hours = hours.sort_values("time", kind="stable").reset_index(drop=True)
    if not hours["time"].is_unique:
        raise SystemExit("two rows share an hour: not the ISLP 0.6.0 Bikeshare.csv this script was written for")
    hours.to_parquet(HERE / "bikeshare.parquet", index=False)
    print(f"wrote {HERE / 'bikeshare.parquet'}: {len(hours)} rows, {hours.shape[1]} columns")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python prepare_bikeshare.py PATH/TO/Bikeshare.csv")
    main(sys.argv[1])
