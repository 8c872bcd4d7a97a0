"""``mlcheck profile`` and ``mlcheck shift``: data checks without a notebook.

Data files are read through a small registry of readers (CSV, Parquet files
and directories); each yields pyarrow record batches, so a file is streamed in
bounded memory whatever its size. A profile of a large file takes two passes:

1. a seeded uniform sample of about ``sample_rows`` rows gives the numeric bin
   edges (the sample's quantiles) and the categorical levels. Parquet footers
   give the row count, so each row is kept with probability
   ``sample_rows / n_rows``; a CSV file's length is unknown, so its rows draw
   random keys and the ``sample_rows`` smallest are kept (bottom-k);
2. every batch is profiled on those edges and the batch profiles are merged,
   which is exact: the counts of the final profile are the counts of the whole
   file on the sample's edges.

Data that fits in the sample is profiled in one pass with exact quantile edges.
Binning a current file on a reference profile (``--edges-from`` or ``mlcheck
shift``) always takes a single pass.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcheck.errors import Reason, RegistryError, UsageError
from mlcheck.registry import Registry

if TYPE_CHECKING:
    import pyarrow as pa

    from mlcheck.profiling.model import Profile

#: Rows per record batch read from a file (memory grows with this, not with the file).
BATCH_ROWS = 262_144
#: Rows of the sample the edges of a large file come from.
SAMPLE_ROWS = 1_000_000
#: Bytes per CSV block (pyarrow infers the column types from the first block).
CSV_BLOCK_BYTES = 32 << 20

BatchOpener = Callable[[Path, int], Iterator["pa.RecordBatch"]]


@dataclass(frozen=True)
class Reader:
    """A data format: how to recognise its files and stream their record batches."""

    name: str
    suffixes: tuple[str, ...]
    open_batches: BatchOpener
    directories: bool = False
    count_rows: Callable[[Path], int] | None = None


#: Third parties add data formats as entry points in this group, each naming a Reader.
ENTRY_POINT_GROUP = "mlcheck.readers"


def _as_reader(name: str, reader: object) -> Reader:
    if not isinstance(reader, Reader) or reader.name != name:
        raise RegistryError(
            f"data reader {name!r} must be a mlcheck.cli.data.Reader named {name!r}, "
            f"got {reader!r:.80}",
            reason=Reason.INVALID_TYPE,
            parameter="name",
            value=name,
        )
    return reader


#: Every data format by name (:class:`mlcheck.registry.Registry`: a name is registered once).
READERS: Registry[Reader] = Registry("data reader", group=ENTRY_POINT_GROUP, prepare=_as_reader)


def register_reader(reader: Reader, *, replace: bool = False) -> None:
    """Register a data format under its name; a name already taken is refused unless ``replace``."""
    READERS.register(reader.name, reader, replace=replace)


def _arrow_error(path: Path, format_name: str, error: Exception) -> UsageError:
    return UsageError(
        f"cannot read {path} as {format_name}: {error}. Check that the file is complete and "
        f"really {format_name}"
        + (
            "; a CSV column whose type changes part-way through needs fixing or converting to Parquet"
            if format_name == "CSV"
            else ""
        )
    )


def _parquet_batches(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """File by file, row group by row group, one batch of at most ``batch_rows`` rows at a time."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    try:
        files = [str(path)] if path.is_file() else sorted(ds.dataset(str(path), format="parquet").files)
        if not files:
            raise UsageError(
                f"{path} is a directory without Parquet files; point at a file or a folder of them"
            )
        for file in files:
            # Synchronous reads: a background scanner would read ahead of a slower consumer and
            # pre-buffering keeps every fetched column chunk; either makes memory grow with the file.
            with pq.ParquetFile(file, pre_buffer=False) as reader:
                yield from reader.iter_batches(batch_size=batch_rows)
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "Parquet", error) from None


def _csv_batches(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(str(path), read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES))
        for batch in reader:
            for start in range(0, batch.num_rows, batch_rows):
                yield batch.slice(start, batch_rows)
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "CSV", error) from None


def _parquet_rows(path: Path) -> int:
    """Rows of a Parquet file or directory, from the footers alone."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        return int(ds.dataset(str(path), format="parquet").count_rows())
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "Parquet", error) from None


register_reader(
    Reader("parquet", (".parquet", ".pq"), _parquet_batches, directories=True, count_rows=_parquet_rows)
)
register_reader(Reader("csv", (".csv", ".csv.gz", ".tsv"), _csv_batches))


def _known_formats() -> str:
    parts = [
        f"{r.name} ({', '.join(r.suffixes)}{', or a directory of them' if r.directories else ''})"
        for r in READERS.registered()
    ]
    return "; ".join(parts + ["a saved profile (.json)"])


def reader_for(path: str | os.PathLike[str]) -> Reader:
    """The reader of ``path``; an unknown format fails with the list of known ones."""
    location = Path(path)
    if not location.exists():
        raise UsageError(f"{location}: no such file or directory")
    if location.is_dir():
        for reader in READERS.registered():
            if reader.directories:
                return reader
    name = location.name.lower()
    for attempt in range(2):
        for reader in READERS.registered():
            if name.endswith(reader.suffixes):
                return reader
        if attempt == 0:
            READERS.load_entry_points(refresh=True)
    raise UsageError(f"{location}: unknown data format; known formats: {_known_formats()}")


def iter_batches(path: str | os.PathLike[str], *, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Stream the record batches of a data file or directory, at most ``batch_rows`` rows each."""
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise UsageError(f"batch_rows must be a positive integer, got {batch_rows!r}")
    return reader_for(path).open_batches(Path(path), batch_rows)


def _bernoulli_sample(
    batches: Iterator[pa.RecordBatch], fraction: float, random_state: int
) -> tuple[pa.Table | None, int]:
    """Each row kept with probability ``fraction``: a uniform sample when the row count is known."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(random_state)
    tables, seen = [], 0
    for batch in batches:
        seen += batch.num_rows
        chosen = np.flatnonzero(rng.random(batch.num_rows) < fraction)
        if chosen.size:
            tables.append(pa.Table.from_batches([batch.take(pa.array(chosen))]))
    return (_concat(tables) if tables else None), seen


def _sample(
    batches: Iterator[pa.RecordBatch], sample_rows: int, random_state: int
) -> tuple[pa.Table | None, int]:
    """A uniform sample without replacement of at most ``sample_rows`` rows, and the rows seen.

    Bottom-k sampling: every row draws a random key and the rows with the
    ``sample_rows`` smallest keys are the sample. Once the sample is full, a row
    whose key is above the largest kept key can never enter it and is skipped
    at once, so memory stays near two samples whatever the length of the stream.
    """
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(random_state)
    tables: list[pa.Table] = []
    keys: list[np.ndarray] = []
    held = seen = 0
    threshold = np.inf
    for batch in batches:
        seen += batch.num_rows
        batch_keys = rng.random(batch.num_rows)
        chosen = np.flatnonzero(batch_keys < threshold)
        if chosen.size == 0:
            continue
        if chosen.size < batch.num_rows:
            batch = batch.take(pa.array(chosen))
        tables.append(pa.Table.from_batches([batch]))
        keys.append(batch_keys[chosen])
        held += chosen.size
        if held > 2 * sample_rows:
            tables, keys, held, threshold = _bottom_k(tables, keys, sample_rows)
    if not tables:
        return None, 0
    if held > sample_rows:
        tables, keys, held, threshold = _bottom_k(tables, keys, sample_rows)
    return _concat(tables), seen


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    try:
        return pa.concat_tables(tables)
    except pa.ArrowInvalid as error:
        raise UsageError(
            f"the data's parts do not share one schema ({error}); make every file of the data set "
            "have the same columns and types"
        ) from None


def _bottom_k(tables: list[Any], keys: list[Any], k: int) -> tuple[list[Any], list[Any], int, float]:
    """Keep the rows with the ``k`` smallest keys, one table at a time (no full copy)."""
    import numpy as np
    import pyarrow as pa

    all_keys = np.concatenate(keys)
    cut = float(np.partition(all_keys, k - 1)[k - 1])
    kept_tables, kept_keys = [], []
    for table, table_keys in zip(tables, keys):
        chosen = np.flatnonzero(table_keys <= cut)
        if chosen.size:
            kept_tables.append(table.take(pa.array(chosen)) if chosen.size < table.num_rows else table)
            kept_keys.append(table_keys[chosen])
    return kept_tables, kept_keys, sum(t.num_rows for t in kept_tables), cut


def profile_path(
    path: str | os.PathLike[str],
    *,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    edges_from: Profile | None = None,
    sample_rows: int = SAMPLE_ROWS,
    batch_rows: int = BATCH_ROWS,
    random_state: int = 0,
) -> Profile:
    """Profile a CSV or Parquet file (or a directory of Parquet files) in bounded memory.

    Memory holds at most one batch of ``batch_rows`` rows and a sample of
    ``sample_rows`` rows, whatever the size of the data. See the module notes
    for where the edges come from.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from mlcheck.cli.data import profile_path
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"x": range(100)}).to_parquet(os.path.join(folder, "data.parquet"))
    >>> profile_path(os.path.join(folder, "data.parquet"), bins=4)["x"].counts
    (25, 25, 25, 25)
    """
    from mlcheck.profiling.model import profile, streaming_bins

    if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 1:
        raise UsageError(f"sample_rows must be a positive integer, got {sample_rows!r}")
    options: dict[str, Any] = {"bins": bins, "categorical": categorical}
    if edges_from is None:
        reader = reader_for(path)
        n_rows = reader.count_rows(Path(path)) if reader.count_rows is not None else None
        batches = iter_batches(path, batch_rows=batch_rows)
        if n_rows is not None and n_rows > sample_rows:  # known length: one cheap Bernoulli draw per row
            sample, seen = _bernoulli_sample(batches, sample_rows / n_rows, random_state)
        else:
            sample, seen = _sample(batches, sample_rows, random_state)
        if sample is None:
            raise UsageError(f"{path}: no data to profile (no record batches)")
        if seen <= sample_rows:  # everything fit: exact edges in one pass
            return profile(sample, **options)
        edges_from = profile(sample, **options)
        del sample
    batches = iter_batches(path, batch_rows=batch_rows)
    first = next(batches, None)
    if first is None:
        raise UsageError(f"{path}: no data to profile (no record batches)")
    merged = profile(first, edges_from=edges_from, **options)
    # columns the reference lacks or types differently keep the first batch's bins throughout
    shared = streaming_bins(edges_from, merged)
    for batch in batches:
        merged = merged.merge(profile(batch, edges_from=shared, **options))
    return merged


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read a profile saved by ``mlcheck profile -o`` (or ``Profile.to_dict``)."""
    from mlcheck.profiling.model import Profile

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: not a readable JSON profile ({error})") from None
    return Profile.from_dict(data)


def _is_profile_file(path: str) -> bool:
    return path.lower().endswith(".json")


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:mod:`mlcheck._atomic`); a missing folder is a usage error."""
    from mlcheck._atomic import atomic_write_text

    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {target}: folder {target.parent} does not exist")
    atomic_write_text(target, text)
    return target


# -- mlcheck profile -----------------------------------------------------------------
def _add_profiling_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bins", type=int, default=20, help="quantile bins per numeric column (default: 20)")
    parser.add_argument(
        "--categorical",
        action="append",
        default=[],
        metavar="COLUMN",
        help="profile this column as categorical whatever its type; repeat for more",
    )
    parser.add_argument(
        "--sample-rows",
        type=int,
        default=SAMPLE_ROWS,
        metavar="N",
        help=f"rows of the seeded sample a large file's edges come from (default: {SAMPLE_ROWS:,})",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        metavar="N",
        help=f"rows read at a time (default: {BATCH_ROWS:,})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default: 0)")


def add_arguments_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help="a CSV or Parquet file, or a directory of Parquet files")
    parser.add_argument("-o", "--output", metavar="PROFILE.json", help="write the profile here (atomically)")
    parser.add_argument("--edges-from", metavar="PROFILE.json", help="bin on this reference profile's edges")
    _add_profiling_options(parser)


def _profile_argument(path: str, args: argparse.Namespace, edges_from: Profile | None) -> Profile:
    if _is_profile_file(path):
        return load_profile(path)
    return profile_path(
        path,
        bins=args.bins,
        categorical=args.categorical or None,
        edges_from=edges_from,
        sample_rows=args.sample_rows,
        batch_rows=args.batch_rows,
        random_state=args.seed,
    )


def _profile_table(result: Profile) -> str:
    from mlcheck.display.cards import format_value
    from mlcheck.profiling.model import NumericColumn

    lines = [f"{'column':<24} {'kind':<12} {'bins':>5} {'missing':>9} {'min':>11} {'mean':>11} {'max':>11}"]
    for name, column in result.columns.items():
        if isinstance(column, NumericColumn):
            numbers = [format_value(v) for v in (column.minimum, column.mean, column.maximum)]
            n_bins = len(column.counts)
        else:
            numbers = ["", "", ""]
            n_bins = len(column.levels)
        lines.append(
            f"{name[:24]:<24} {column.kind:<12} {n_bins:>5} {column.missing:>9} "
            + " ".join(f"{v:>11}" for v in numbers)
        )
    return "\n".join(lines)


def run_profile(args: argparse.Namespace) -> int:
    if _is_profile_file(args.data):
        raise UsageError(f"{args.data} is already a profile; give a CSV or Parquet file to profile")
    edges_from = load_profile(args.edges_from) if args.edges_from else None
    result = _profile_argument(args.data, args, edges_from)
    print(_profile_table(result))
    summary = f"profiled {result.n_rows:,} rows, {len(result)} columns"
    if args.output:
        write_atomic(args.output, json.dumps(result.to_dict(), allow_nan=False))
        summary += f" -> {args.output}"
    print(summary)
    return 0


# -- mlcheck shift -------------------------------------------------------------------
def _threshold(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def add_arguments_shift(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "reference", metavar="REF", help="reference data (CSV, Parquet) or a saved profile (.json)"
    )
    parser.add_argument(
        "current", metavar="CUR", help="current data (CSV, Parquet) or a profile binned on REF"
    )
    parser.add_argument(
        "--max-kl",
        type=_threshold,
        default=0.1,
        metavar="X",
        help="largest acceptable KL in nats, or 'none' to judge by PSI alone (default: 0.1)",
    )
    parser.add_argument(
        "--max-psi",
        type=_threshold,
        default=None,
        metavar="X",
        help="largest acceptable PSI (default: not used)",
    )
    parser.add_argument("--alpha", type=float, default=0.01, help="significance level (default: 0.01)")
    parser.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="COLUMN",
        help="only check this column; repeat for more (default: every reference column)",
    )
    parser.add_argument(
        "-o", "--output", metavar="RESULT.json", help="write the check result as JSON (atomically)"
    )
    _add_profiling_options(parser)


def _shift_table(result: Any) -> str:
    from mlcheck.display.cards import format_value

    features = result.details["features"]
    ranked = sorted(features.items(), key=lambda item: -(item[1].get("kl") or 0.0))
    lines = [
        f"{'feature':<24} {'kind':<12} {'KL':>9} {'PSI':>9} {'p':>9} {'floor':>9} {'drifted':>18}  moved most"
    ]
    for name, record in ranked:
        drifted = record.get("drifted")
        status = record.get("status", "ok")
        moved = ", ".join(
            f"{record['bins'][i]} {record['reference_pct'][i]}%->{record['current_pct'][i]}%"
            for i in record.get("top_bins", [])[:2]
        )
        lines.append(
            f"{name[:24]:<24} {record.get('kind', 'numeric'):<12} "
            + " ".join(
                f"{format_value(record.get(k), 3):>9}" for k in ("kl", "psi", "p_value", "noise_floor")
            )
            + f" {('YES' if drifted else 'no') if drifted is not None else status:>18}  {moved}"
        )
    # details keep records only for failing features and the top movers; the others' KL
    # (or PSI) is their outcome's observed value
    quiet = [outcome for outcome in result.outcomes if outcome.subject not in features]
    for outcome in sorted(quiet, key=lambda o: -(o.observed if isinstance(o.observed, float) else 0.0)):
        metric = "kl" if result.details.get("max_kl") is not None else "psi"
        shown = {metric: outcome.observed}
        lines.append(
            f"{outcome.subject[:24]:<24} {'':<12} "
            + " ".join(
                f"{format_value(shown.get(k), 3) if k in shown else '':>9}"
                for k in ("kl", "psi", "p_value", "noise_floor")
            )
            + f" {'no' if outcome.passed else 'YES':>18}"
        )
    return "\n".join(lines)


def run_shift(args: argparse.Namespace) -> int:
    from mlcheck.contracts.shift import check_shift

    reference = _profile_argument(args.reference, args, None)
    current = _profile_argument(args.current, args, reference)
    result = check_shift(
        reference,
        current,
        max_kl=args.max_kl,
        max_psi=args.max_psi,
        alpha=args.alpha,
        features=args.feature or None,
    )
    print(_shift_table(result))
    print(("PASS" if result.passed else "FAIL") + f" check_shift: {result.message}")
    if args.output:
        write_atomic(args.output, result.to_json())
    sys.stdout.flush()
    return 0 if result.passed else 1
