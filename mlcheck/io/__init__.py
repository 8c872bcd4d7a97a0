"""Reading data files: one registry of readers, each streaming pyarrow record batches.

Built-in readers: ``parquet`` (``.parquet``, ``.pq``, or a directory of them)
and ``csv`` (``.csv``, ``.csv.gz``, ``.tsv``, ``.tsv.gz``, ``.tab``). Third
parties add formats through the ``mlcheck.readers`` entry-point group (see
:mod:`mlcheck.registry`). Everything here loads lazily: ``import mlcheck``
does not import pyarrow.
"""

from mlcheck.io.readers import (
    BATCH_ROWS,
    ENTRY_POINT_GROUP,
    READERS,
    CsvFormat,
    Reader,
    csv_format,
    iter_batches,
    reader_for,
    register_reader,
)

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
