"""``mlcheck profile`` and ``mlcheck shift``: data checks without a notebook.

Data files are read through the registry of readers in :mod:`mlcheck.io`
(CSV on pyarrow's options, Parquet files and directories); each yields
pyarrow record batches, so a file is streamed in bounded memory whatever its
size. A reference profile takes a few passes over the file
(:mod:`mlcheck.profiling.stream`): counts and levels in the first, the exact
quantile edges by radix selection in the next (only the numeric columns
still searching are read), the counts on the edges in the last. Memory holds
one batch and a few fixed-size arrays per column, and the profile equals
``mc.profile`` of the whole file in memory. Binning a current file on a
reference profile (``--edges-from`` or ``mlcheck shift``) takes a single pass.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcheck.errors import UsageError
from mlcheck.io.readers import (  # noqa: F401 - the readers live in mlcheck.io; these names stay importable here
    BATCH_ROWS,
    ENTRY_POINT_GROUP,
    READERS,
    Reader,
    iter_batches,
    reader_for,
    register_reader,
)

if TYPE_CHECKING:
    from mlcheck.profiling.model import Profile


def profile_path(
    path: str | os.PathLike[str],
    *,
    bins: int = 20,
    categorical: Sequence[str] | None = None,
    edges_from: Profile | None = None,
    batch_rows: int = BATCH_ROWS,
    max_levels: int | None = None,
    encoding: str | None = None,
    exclude: Sequence[str] = (),
) -> Profile:
    """Profile a CSV or Parquet file (or a directory of Parquet files) in bounded memory.

    Memory holds one batch of at most ``batch_rows`` rows and a few
    fixed-size arrays per column, whatever the size of the data; without
    ``edges_from`` the profile equals :func:`mlcheck.profile` of the whole
    data in memory (see :mod:`mlcheck.profiling.stream`), with it the data is
    binned on the reference in one pass. ``encoding`` is a CSV file's text
    encoding (UTF-8 by default); ``exclude`` names columns to leave out (a
    label, an id); ``max_levels`` defaults to
    :data:`mlcheck.profiling.model.MAX_LEVELS`.

    Raises
    ------
    UsageError
        Unreadable data (a file of columns and 0 rows is not an error: its
        profile has ``n_rows == 0``, and a shift check on it fails as in
        memory), parts with different schemas, a column
        whose type changes part-way, or a file that changes while it is read.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from mlcheck.cli.data import profile_path
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"x": range(100)}).to_parquet(os.path.join(folder, "data.parquet"))
    >>> profile_path(os.path.join(folder, "data.parquet"), bins=4)["x"].counts
    (25, 25, 25, 25)
    """
    from mlcheck.profiling.model import MAX_LEVELS, profile, streaming_bins

    levels = MAX_LEVELS if max_levels is None else max_levels
    options: dict[str, Any] = {"bins": bins, "categorical": categorical, "max_levels": levels}
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1000:
        raise UsageError(f"bins must be an integer from 1 to 1000, got {bins!r}")
    if edges_from is None:
        from mlcheck.profiling.stream import profile_batches

        reader_for(path)  # an unknown format or a missing file fails before anything is read
        names = () if categorical is None else (categorical,) if isinstance(categorical, str) else categorical
        return profile_batches(
            lambda columns: iter_batches(
                path, batch_rows=batch_rows, encoding=encoding, exclude=exclude, columns=columns
            ),
            bins=bins,
            categorical=tuple(names),
            max_levels=levels,
            source=str(path),
        )
    batches = iter_batches(path, batch_rows=batch_rows, encoding=encoding, exclude=exclude)
    first = next(batches, None)
    if first is None:
        raise UsageError(
            f"{path}: the reader gave no columns and no rows; check that the file is complete "
            "(a file of columns without rows profiles as 0 rows)"
        )
    merged = profile(first, edges_from=edges_from, **options)
    # columns the reference lacks or types differently keep the first batch's bins throughout
    shared = streaming_bins(edges_from, merged)
    for batch in batches:
        merged = _bounded(merged.merge(profile(batch, edges_from=shared, **options)), shared, levels)
    return merged


def _bounded(merged: Profile, shared: Profile, max_levels: int) -> Profile:
    """The merged current side with at most ``tracked_levels(max_levels)`` new levels a column.

    Each batch may bring new levels (an id column: one per row); merging keeps
    their union, so without this bound memory would grow with the file.
    """
    from mlcheck.profiling.frames import fold_new_levels, tracked_levels
    from mlcheck.profiling.model import CategoricalColumn, Profile

    limit = tracked_levels(max_levels)
    columns = dict(merged.columns)
    changed = False
    for name, column in merged.columns.items():
        if isinstance(column, CategoricalColumn) and len(column.levels) > limit:
            reference = shared.columns.get(name)
            keep = len(reference.levels) if isinstance(reference, CategoricalColumn) else 0
            columns[name] = fold_new_levels(column, keep, limit)
            changed = changed or columns[name] is not column
    return Profile(n_rows=merged.n_rows, columns=columns, bins=merged.bins) if changed else merged


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read a profile saved by ``mlcheck profile -o`` (or ``Profile.to_dict``), checking its invariants.

    A file whose counts could not come from real data (edges and counts of
    different lengths, a negative count, columns counting other than the
    profile's rows) is refused with a :class:`~mlcheck.errors.UsageError`
    naming the file and the column.
    """
    from mlcheck.profiling.model import Profile

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: not a readable JSON profile ({error})") from None
    try:
        return Profile.from_dict(data)
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from None


def _is_profile_file(path: str) -> bool:
    return path.lower().endswith(".json")


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:mod:`mlcheck._atomic`); a missing folder is a usage error."""
    from mlcheck._atomic import atomic_write_text

    target = Path(path)
    if target.is_dir():
        raise UsageError(
            f"cannot write {target}: it is a folder; give a file name such as {target / 'profile.json'}"
        )
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
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        metavar="N",
        help=f"rows read at a time (default: {BATCH_ROWS:,})",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="COLUMN",
        help="leave this column out (a label, an id); repeat for more",
    )
    parser.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="text encoding of CSV files (default: utf-8), for example latin-1",
    )


def add_arguments_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help="a CSV or Parquet file, or a directory of Parquet files")
    parser.add_argument("-o", "--output", metavar="PROFILE.json", help="write the profile here (atomically)")
    parser.add_argument("--edges-from", metavar="PROFILE.json", help="bin on this reference profile's edges")
    _add_profiling_options(parser)


def _profile_argument(path: str, args: argparse.Namespace, edges_from: Profile | None) -> Profile:
    if _is_profile_file(path):
        saved = load_profile(path)
        if not args.exclude:
            return saved
        from mlcheck.profiling.model import Profile

        kept = {name: column for name, column in saved.columns.items() if name not in set(args.exclude)}
        return Profile(n_rows=saved.n_rows, columns=kept, bins=saved.bins)
    return profile_path(
        path,
        bins=args.bins,
        categorical=args.categorical or None,
        edges_from=edges_from,
        batch_rows=args.batch_rows,
        encoding=args.encoding,
        exclude=args.exclude,
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
        default=None,
        metavar="X",
        help="largest acceptable KL in nats, centred on its value under no change (default: not used)",
    )
    parser.add_argument(
        "--max-psi",
        type=_threshold,
        default=None,
        metavar="X",
        help="largest acceptable effect: PSI centred on its value under no change, or 'none' to judge "
        "by KL alone (default: 0.1 unless --max-kl is given; 0.1 is a moderate shift, 0.25 a major one; "
        "see docs/statistics.md)",
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
    ranked = sorted(features.items(), key=lambda item: -(item[1].get("effect") or 0.0))
    lines = [
        f"{'feature':<24} {'kind':<12} {'effect':>9} {'KL':>9} {'adj. p':>9} {'floor':>9} {'drifted':>18}"
        "  moved most"
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
                f"{format_value(record.get(k), 3):>9}" for k in ("effect", "kl", "p_adjusted", "noise_floor")
            )
            + f" {('YES' if drifted else 'no') if drifted is not None else status:>18}  {moved}"
        )
    # details keep records only for failing features and the top movers; the others' KL
    # (or PSI) is their outcome's observed value
    quiet = [outcome for outcome in result.outcomes if outcome.subject not in features]
    for outcome in sorted(quiet, key=lambda o: -(o.observed if isinstance(o.observed, float) else 0.0)):
        metric = "effect" if result.details.get("max_psi") is not None else "kl"
        shown = {metric: outcome.observed}
        lines.append(
            f"{outcome.subject[:24]:<24} {'':<12} "
            + " ".join(
                f"{format_value(shown.get(k), 3) if k in shown else '':>9}"
                for k in ("effect", "kl", "p_adjusted", "noise_floor")
            )
            + f" {'no' if outcome.passed else 'YES':>18}"
        )
    return "\n".join(lines)


def _names_in(path: str, args: argparse.Namespace) -> set[str]:
    """The column names of a data file or saved profile, before any --exclude."""
    if _is_profile_file(path):
        return set(load_profile(path).columns)
    first = next(iter_batches(path, batch_rows=1, encoding=args.encoding), None)
    return set(first.schema.names) if first is not None else set()


def run_shift(args: argparse.Namespace) -> int:
    from mlcheck.contracts.shift import check_shift

    reference = _profile_argument(args.reference, args, None)
    current = _profile_argument(args.current, args, reference)
    unknown = sorted(set(args.exclude) - _names_in(args.reference, args) - _names_in(args.current, args))
    if unknown:
        raise UsageError(
            f"--exclude names columns in neither file: {unknown}; the reference has {list(reference.columns)[:20]}"
        )
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
    only_reference = [name for name in reference.columns if name not in current.columns]
    if only_reference and not result.passed:
        print(
            f"note: {only_reference[:5]} are only in {args.reference}; if they are not features "
            "(the label, an id), leave them out with --exclude " + " --exclude ".join(only_reference[:5])
        )
    if args.output:
        write_atomic(args.output, result.to_json())
    sys.stdout.flush()
    return 0 if result.passed else 1
