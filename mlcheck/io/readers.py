"""Data readers by registry: Parquet and CSV on pyarrow's own options, streamed in bounded memory.

A :class:`Reader` recognises its files by suffix (or takes directories) and
streams pyarrow record batches of at most ``batch_rows`` rows, so a file is
read in bounded memory whatever its size.

CSV files are read with pyarrow's CSV reader and its options, chosen so a
file reads as pandas would read it:

- **missing values**: empty cells and pandas' usual markers (``NA``,
  ``N/A``, ``null``, ``NaN``, ...) are missing in text columns too
  (``strings_can_be_null``), never a level ``''``;
- **delimiter**: tab for ``.tsv``; otherwise sniffed from the first 64 KiB
  among ``,``, ``;``, tab and ``|`` (:class:`csv.Sniffer`), comma when the
  sniffer cannot tell;
- **encoding**: UTF-8 unless given (``encoding="latin-1"``, ``--encoding``);
  text that is not valid in the encoding fails with an error that names the
  column and the option to pass, instead of levels such as ``"b'caf\\xe9'"``.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcheck.errors import Reason, RegistryError, UsageError
from mlcheck.registry import Registry

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "BATCH_ROWS",
    "ENTRY_POINT_GROUP",
    "READERS",
    "CsvFormat",
    "Reader",
    "csv_format",
    "iter_batches",
    "reader_for",
    "register_reader",
]

#: Rows per record batch read from a file (memory grows with this, not with the file).
BATCH_ROWS = 65_536
#: Bytes per CSV block (pyarrow infers the column types from the first block).
CSV_BLOCK_BYTES = 32 << 20
#: Bytes read to sniff a CSV file's delimiter.
SNIFF_BYTES = 64 << 10
#: Cells read as missing, in every column (pandas' defaults for ``read_csv``).
NULL_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
_DELIMITERS = ",;\t|"

BatchOpener = Callable[..., Iterator["pa.RecordBatch"]]


@dataclass(frozen=True)
class Reader:
    """A data format: how to recognise its files and stream their record batches.

    ``open_batches(path, batch_rows, *, encoding=None)`` yields record batches;
    ``count_rows(path)``, when the format knows it cheaply, gives the row count;
    ``reads_columns`` says that ``open_batches`` also takes ``columns=[...]``
    and reads only those (a columnar format skips the others on disk; for the
    rest :func:`iter_batches` selects them after reading).
    """

    name: str
    suffixes: tuple[str, ...]
    open_batches: BatchOpener
    directories: bool = False
    count_rows: Callable[[Path], int] | None = None
    reads_columns: bool = False


#: Third parties add data formats as entry points in this group, each naming a Reader.
ENTRY_POINT_GROUP = "mlcheck.readers"


def _as_reader(name: str, reader: object) -> Reader:
    if not isinstance(reader, Reader) or reader.name != name:
        raise RegistryError(
            f"data reader {name!r} must be a mlcheck.io.Reader named {name!r}, got {reader!r:.80}",
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
        f"cannot read {path} as {format_name}: {str(error).rstrip('. ')}. Check that the file is complete and "
        f"really {format_name}"
        + (
            "; a CSV column whose type changes part-way through needs fixing or converting to Parquet"
            if format_name == "CSV"
            else ""
        )
    )


# -- Parquet ---------------------------------------------------------------------------------
def _parquet_batches(
    path: Path, batch_rows: int, *, columns: Sequence[str] | None = None, **_: Any
) -> Iterator[pa.RecordBatch]:
    """File by file, row group by row group, one batch of at most ``batch_rows`` rows at a time.

    Every file of a directory must have the first file's schema (metadata
    aside): a profile streamed in several passes needs the same columns of the
    same types in each batch. A hive-partitioned directory (``d=2020-01-01/``
    folders, as ``pq.write_to_dataset(..., partition_cols=[...])``, Dask and
    Spark write them) gives its partition keys as columns after the files'
    own, dictionary-encoded over every value of the key, as ``pd.read_parquet``
    gives them (pyarrow's ``HivePartitioning.discover(infer_dictionary=True)``,
    which pandas' reader uses): a shift in the partition key is a shift.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    try:
        if path.is_file():
            parts: list[tuple[str, dict[str, Any]]] = [(str(path), {})]
            keys_schema, dictionaries = pa.schema([]), []
        else:
            partitioning = ds.HivePartitioning.discover(infer_dictionary=True)
            dataset = ds.dataset(str(path), format="parquet", partitioning=partitioning)
            keys_schema = dataset.partitioning.schema if dataset.partitioning is not None else pa.schema([])
            dictionaries = list(dataset.partitioning.dictionaries) if len(keys_schema) else []
            parts = sorted(
                (fragment.path, ds.get_partition_keys(fragment.partition_expression))
                for fragment in dataset.get_fragments()
            )
        if not parts:
            raise UsageError(
                f"{path} is a directory without Parquet files; point at a file or a folder of them"
            )
        first: pa.Schema | None = None
        empty: pa.RecordBatch | None = None  # the first file's columns without rows
        any_rows = False
        for file, keys in parts:
            # Synchronous reads: a background scanner would read ahead of a slower consumer and
            # pre-buffering keeps every fetched column chunk; either makes memory grow with the file.
            with pq.ParquetFile(file, pre_buffer=False) as reader:
                schema = reader.schema_arrow
                if first is None:
                    first = schema
                elif not schema.equals(first, check_metadata=False):
                    raise UsageError(
                        f"the data's parts do not share one schema ({Path(file).name} has "
                        f"{_schema_text(schema)}, {Path(parts[0][0]).name} has {_schema_text(first)}); "
                        "make every file of the data set have the same columns and types"
                    )
                wanted = None if columns is None else set(columns)
                kept = None if wanted is None else [name for name in schema.names if name in wanted]
                added = [
                    (field, dictionary)
                    for field, dictionary in zip(keys_schema, dictionaries)
                    if field.name not in schema.names and (wanted is None or field.name in wanted)
                ]
                for batch in reader.iter_batches(batch_size=batch_rows, columns=kept):
                    any_rows = True
                    yield _with_keys(batch, added, keys) if added else batch
                if empty is None:
                    chosen = schema if kept is None else pa.schema([schema.field(name) for name in kept])
                    empty = _with_keys(_no_rows(chosen), added, keys) if added else _no_rows(chosen)
        if not any_rows and empty is not None:
            # no rows at all (a scheduler's empty batch): the columns still make a profile of 0 rows
            yield empty
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "Parquet", error) from None


def _no_rows(schema: pa.Schema) -> pa.RecordBatch:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([pa.array([], type=field.type) for field in schema], schema=schema)


def _with_keys(
    batch: pa.RecordBatch, added: list[tuple[pa.Field, pa.Array]], keys: dict[str, Any]
) -> pa.RecordBatch:
    """The batch with each partition key as a dictionary column (the folder's value on every row)."""
    import numpy as np
    import pyarrow as pa

    arrays, names = list(batch.columns), list(batch.schema.names)
    for field, dictionary in added:
        value = keys.get(field.name)  # a null key (__HIVE_DEFAULT_PARTITION__) is not in keys
        found = dictionary.index(value).as_py() if value is not None else -1
        indices = pa.array(
            np.full(batch.num_rows, max(found, 0), dtype=np.int32),
            mask=np.full(batch.num_rows, found < 0) if found < 0 else None,
        )
        arrays.append(pa.DictionaryArray.from_arrays(indices, dictionary))
        names.append(field.name)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _schema_text(schema: pa.Schema) -> str:
    text = ", ".join(f"{field.name}: {field.type}" for field in schema)
    return text if len(text) <= 200 else text[:197] + "..."


def _parquet_rows(path: Path) -> int:
    """Rows of a Parquet file or directory, from the footers alone."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        return int(ds.dataset(str(path), format="parquet").count_rows())
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "Parquet", error) from None


# -- CSV ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvFormat:
    """How a CSV file is read: its delimiter and encoding, and where they came from."""

    delimiter: str
    encoding: str
    delimiter_from: str  # "extension", "sniffed" or "default"


def _head(path: Path) -> bytes:
    if path.name.lower().endswith(".gz"):
        import gzip

        with gzip.open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    with open(path, "rb") as handle:
        return handle.read(SNIFF_BYTES)


def csv_format(path: str | os.PathLike[str], *, encoding: str | None = None) -> CsvFormat:
    """The delimiter and encoding :func:`iter_batches` reads ``path`` with.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mlcheck.io import csv_format
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("age;plan\\n31;pro\\n45;free\\n")
    >>> _ = (folder / "b.tsv").write_text("age\\tplan\\n31\\tpro\\n")
    >>> csv_format(folder / "a.csv").delimiter, csv_format(folder / "b.tsv").delimiter
    (';', '\\t')
    """
    location = Path(path)
    chosen = encoding or "utf-8"
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise UsageError(
            f"unknown encoding {chosen!r}; pass one Python knows, such as utf-8 or latin-1"
        ) from None
    name = location.name.lower()
    if name.endswith((".tsv", ".tsv.gz", ".tab")):
        return CsvFormat("\t", chosen, "extension")
    text = _head(location).decode(chosen, errors="replace")
    if "\n" in text and len(text) >= SNIFF_BYTES:
        text = text[: text.rindex("\n")]  # a cut line would confuse the sniffer
    try:
        dialect = csv.Sniffer().sniff(text, delimiters=_DELIMITERS)
    except csv.Error:
        return CsvFormat(",", chosen, "default")
    return CsvFormat(dialect.delimiter, chosen, "sniffed")


def _not_text(path: Path, batch: pa.RecordBatch, encoding: str) -> UsageError | None:
    """An error naming the columns pyarrow could not decode as text in ``encoding``."""
    import pyarrow as pa

    binary = [
        field.name
        for field in batch.schema
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)
    ]
    if not binary:
        return None
    return UsageError(
        f"{path}: column(s) {binary[:5]} hold text that is not valid {encoding}; give the file's "
        "encoding (--encoding latin-1 on the command line, encoding='latin-1' in Python) or re-save "
        "the file as UTF-8"
    )


def _csv_batches(
    path: Path, batch_rows: int, *, encoding: str | None = None, **_: Any
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    found = csv_format(path, encoding=encoding)
    read = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding=found.encoding)
    parse = pacsv.ParseOptions(delimiter=found.delimiter)
    convert = pacsv.ConvertOptions(null_values=list(NULL_VALUES), strings_can_be_null=True)
    try:
        reader = pacsv.open_csv(str(path), read_options=read, parse_options=parse, convert_options=convert)
        any_rows = False
        for batch in reader:
            any_rows = any_rows or batch.num_rows > 0
            problem = _not_text(path, batch, found.encoding)
            if problem is not None:
                raise problem
            for start in range(0, batch.num_rows, batch_rows):
                yield batch.slice(start, batch_rows)
        if not any_rows:  # a header without rows: a profile of 0 rows, as pd.read_csv reads it
            yield _no_rows(reader.schema)
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(path, "CSV", error) from None
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{path} is not valid {found.encoding} ({error.reason} at byte {error.start}); give the "
            "file's encoding (--encoding latin-1, or encoding='latin-1')"
        ) from None


register_reader(
    Reader(
        "parquet",
        (".parquet", ".pq"),
        _parquet_batches,
        directories=True,
        count_rows=_parquet_rows,
        reads_columns=True,
    )
)
register_reader(Reader("csv", (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".tab"), _csv_batches))


# -- choosing a reader ----------------------------------------------------------------------------
def known_formats() -> str:
    """The registered formats with their suffixes, for messages."""
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
    raise UsageError(f"{location}: unknown data format; known formats: {known_formats()}")


def _only(
    batches: Iterator[pa.RecordBatch], exclude: frozenset[str], columns: frozenset[str] | None
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        kept = [
            name
            for name in batch.schema.names
            if name not in exclude and (columns is None or name in columns)
        ]
        yield batch.select(kept) if len(kept) < batch.num_columns else batch


def iter_batches(
    path: str | os.PathLike[str],
    *,
    batch_rows: int = BATCH_ROWS,
    encoding: str | None = None,
    exclude: Sequence[str] = (),
    columns: Sequence[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream the record batches of a data file or directory, at most ``batch_rows`` rows each.

    Parameters
    ----------
    path : str or path
        A file in a registered format, or a directory of Parquet files.
    batch_rows : int
        Rows per batch at most.
    encoding : str, optional
        A CSV file's text encoding (default UTF-8).
    exclude : list of str
        Columns to leave out (a label, an id).
    columns : list of str, optional
        Read only these columns (in the file's order); a Parquet file skips
        the others on disk.

    Raises
    ------
    UsageError
        Unknown format, unreadable file, text not valid in the encoding.
    """
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise UsageError(f"batch_rows must be a positive integer, got {batch_rows!r}")
    reader = reader_for(path)
    options: dict[str, Any] = {"encoding": encoding} if encoding else {}  # a third party's may take none
    if columns is not None and reader.reads_columns:
        options["columns"] = list(columns)
    batches = reader.open_batches(Path(path), batch_rows, **options)
    if exclude or columns is not None:
        return _only(batches, frozenset(exclude), None if columns is None else frozenset(columns))
    return batches
