"""Rebuild the demo's Parquet files from ISLP's ``Caravan.csv``.

Usage: ``python prepare.py PATH/TO/Caravan.csv`` (the CSV ships inside the
ISLP package: ``pip install --no-deps ISLP`` in a throwaway environment, then
look in ``site-packages/ISLP/data/``). Writes, next to this script:

- ``caravan.parquet``: the training data (features, ``customer`` and ``Purchase``);
- ``batch_normal.parquet``: 500 held-out customers, drawn at random;
- ``batch_drifted.parquet``: held-out customers of two affluent segments only,
  with a failed join that left ``MKOOPKLA`` missing for one row in ten.

The draws are seeded, so the files are the same on every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 0
N_HELD_OUT = 1200
N_NORMAL = 500
#: MOSHOOFD (customer main type) 1 "Successful hedonists" and 2 "Driven Growers"
DRIFTED_SEGMENTS = (1, 2)
MISSING_COLUMN = "MKOOPKLA"  # purchasing power class, 1-8
MISSING_SHARE = 0.10


def main(csv_path: str) -> None:
    caravan = pd.read_csv(csv_path)
    caravan.insert(0, "customer", np.arange(1, len(caravan) + 1, dtype="int64"))  # row in the CSV
    caravan["Purchase"] = caravan["Purchase"].astype("str")
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(caravan))
    held_out = caravan.iloc[np.sort(order[:N_HELD_OUT])]
    training = caravan.iloc[np.sort(order[N_HELD_OUT:])]

    features = held_out.drop(columns="Purchase")
    normal_rows = np.sort(rng.choice(len(features), size=N_NORMAL, replace=False))
    normal = features.iloc[normal_rows]
    rest = features.drop(index=normal.index)
    drifted = rest[rest["MOSHOOFD"].isin(DRIFTED_SEGMENTS)].copy()
    missing = rng.random(len(drifted)) < MISSING_SHARE
    drifted[MISSING_COLUMN] = drifted[MISSING_COLUMN].astype("Int64").mask(missing)

    for name, frame in {
        "caravan.parquet": training,
        "batch_normal.parquet": normal,
        "batch_drifted.parquet": drifted,
    }.items():
        frame.reset_index(drop=True).to_parquet(HERE / name, engine="pyarrow", index=False)
        print(f"{name}: {len(frame)} rows, {frame.shape[1]} columns")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python prepare.py PATH/TO/Caravan.csv")
    main(sys.argv[1])
