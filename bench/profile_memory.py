"""Benchmark: peak memory of ``mlcheck profile`` and ``mlcheck shift`` on Parquet files of growing size.

Issue 18 asks that both commands stay bounded by the row-group size whatever
the file size. This writes, for each row count, a reference and a current
Parquet file of the 25 columns of ``bench/shift.py`` (20 numeric of several
shapes, 5 categorical; row groups of ``--row-group`` rows, 131,072 by
default), then runs each command as the user does, in its own process under
``/usr/bin/time -v``, and records the process's peak resident set ("Maximum
resident set size") and its wall and CPU time:

* ``mlcheck profile REF.parquet -o REF.json`` (the reference: the passes of
  :mod:`mlcheck.profiling.stream`);
* ``mlcheck shift REF.parquet CUR.parquet`` (both profiles and the check).

Flat peaks over 1M, 10M and 20M rows show the bound. ``--columns 200``
writes that many numeric columns instead (a wide file). ``--source DIR`` runs the
commands from another checkout of mlcheck (for a before/after comparison,
e.g. ``git archive <commit> mlcheck | tar -x -C DIR``). The files go to
``$MLCHECK_BENCH_DATA`` (default ``/tmp/mlcheck-bench-shift``); results to
``bench/results/profile_memory.json``. The memory bound is asserted: every
peak within ``--bound-mib`` (default 600 MiB) and the largest file's peak
within 1.25x the smallest's (``--no-bound`` for a before run).

    python bench/profile_memory.py                       # 1M, 10M and 20M rows a side
    python bench/profile_memory.py --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from shift import CHUNK_ROWS, DATA, make_chunk  # noqa: E402 - the same data as bench/shift.py

RESULTS = HERE / "results" / "profile_memory.json"


def wide_chunk(n: int, seed: int, columns: int, *, current: bool) -> Any:
    """``n`` rows of ``columns`` numeric columns (normal, lognormal, exponential in turn)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    makers = (
        lambda: rng.normal(0.1 * current, 1, n),
        lambda: rng.lognormal(0, 1, n),
        lambda: rng.exponential(1, n),
    )
    return pd.DataFrame({f"x{i:04d}": makers[i % 3]() for i in range(columns)})


def write_parquet(path: Path, n: int, *, current: bool, seed: int, row_group: int, columns: int = 0) -> Path:
    """``n`` rows written chunk by chunk (bounded memory), row groups of ``row_group`` rows.

    ``columns=0`` writes the 25 columns of ``bench/shift.py``; more, that many numeric columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer = None
    for index, start in enumerate(range(0, n, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, n - start)
        frame = (
            wide_chunk(size, seed * 1000 + index, columns, current=current)
            if columns
            else make_chunk(size, seed * 1000 + index, current=current)
        )
        chunk = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(partial, chunk.schema)
        writer.write_table(chunk, row_group_size=row_group)
    assert writer is not None
    writer.close()
    os.replace(partial, path)
    return path


def measure(command: list[str], source: str | None) -> dict[str, Any]:
    """Run ``command`` under ``/usr/bin/time -v``; its peak RSS (MiB), wall and CPU seconds."""
    environment = dict(os.environ)
    if source:
        environment["PYTHONPATH"] = source
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=environment, check=False
    )
    if done.returncode not in (0, 1):  # 1 is a shift found, not a failure of the command
        raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr[-2000:]}")

    def field(name: str) -> str:
        found = re.search(rf"{re.escape(name)}: (.+)", done.stderr)
        assert found, name
        return found.group(1).strip()

    clock = [float(part) for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(value * 60**power for power, value in enumerate(reversed(clock)))
    return {
        "peak_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "seconds": wall,
        "cpu_seconds": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "exit": done.returncode,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 20_000_000])
    parser.add_argument("--row-group", type=int, default=131_072)
    parser.add_argument("--columns", type=int, default=0, help="N numeric columns instead of shift.py's 25")
    parser.add_argument("--bound-mib", type=float, default=600.0)
    parser.add_argument("--source", help="run the commands from this checkout (PYTHONPATH)")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--no-bound", action="store_true", help="do not assert the bound (a before run)")
    args = parser.parse_args(argv)
    python = sys.executable
    rows: list[dict[str, Any]] = []
    for n in args.rows:
        stem = f"rg{args.row_group}" + (f"_c{args.columns}" if args.columns else "")
        reference, current = (
            write_parquet(
                DATA / f"{stem}_{side}_{n}.parquet",
                n,
                current=side == "current",
                seed=seed,
                row_group=args.row_group,
                columns=args.columns,
            )
            for side, seed in (("reference", 1), ("current", 2))
        )
        output = DATA / f"{stem}_profile_{n}.json"
        for command, argv_ in (
            ("profile", ["profile", str(reference), "-o", str(output)]),
            ("shift", ["shift", str(reference), str(current)]),
        ):
            result = measure([python, "-m", "mlcheck", *argv_], args.source)
            result.update(
                command=command,
                rows=n,
                columns=args.columns or 25,
                file_mib=reference.stat().st_size / 2**20,
                label=args.label,
            )
            rows.append(result)
            print(
                f"{args.label:<16} {command:<8} {n:>12,} rows  {result['file_mib']:8.0f} MiB file  "
                f"peak {result['peak_mib']:6.0f} MiB  {result['seconds']:7.1f} s wall  "
                f"{result['cpu_seconds']:7.1f} s CPU",
                file=sys.stderr,
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[args.label + (f" ({args.columns} columns)" if args.columns else "")] = {
        "row_group": args.row_group,
        "runs": rows,
    }
    RESULTS.write_text(json.dumps(previous, indent=1))
    print(json.dumps(rows, indent=1))
    if not args.no_bound:
        for command in ("profile", "shift"):
            peaks = [r["peak_mib"] for r in rows if r["command"] == command]
            assert max(peaks) <= args.bound_mib, f"{command}: peak {max(peaks):.0f} MiB over {args.bound_mib}"
            assert peaks[-1] <= 1.25 * peaks[0], f"{command}: peak grows with the file: {peaks}"
    return 0


if __name__ == "__main__":
    sys.exit(main())
