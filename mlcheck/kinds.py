"""Column kinds and level spelling: one vocabulary for schemas, profiles and scoring.

A column's *kind* says what its values are, whatever library holds them:

============  ==========================================================
kind          dtypes
============  ==========================================================
float         float16/32/64, pandas ``Float64``, pyarrow floats
integer       int/uint of any width, pandas ``Int64``, pyarrow integers
boolean       ``bool``, pandas ``boolean``, pyarrow ``bool``
categorical   ``category``, ``object``, ``str``/``string`` (text of any storage)
datetime      ``datetime64`` with or without a time zone
other         anything else (timedelta, complex, period, interval, ...)
============  ==========================================================

The kind comes from the dtype alone (:func:`kind_of`), so the schema
(``schema.json``) and the profile (``profile.json``) of one column always
agree on it. How a profile *summarizes* a column is a separate question
(:func:`counted_by_levels`): an integer column with few distinct values is
counted per level, yet its kind stays ``integer``.

A level is compared by its *label* (:func:`label_of`): text stays as it is,
a boolean reads ``"True"``/``"False"``, an integer reads its digits, and a
whole-valued float reads like the integer (``2.0`` reads ``"2"``), so the
same value spells the same level in the schema, the profile, a CSV file and
a scored batch. Schemas written before this module (schema version 1) spelled
levels with ``str()`` (``"2.0"``); :func:`labels_of` accepts both for them.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np

__all__ = [
    "KINDS",
    "MAX_INTEGER_LEVELS",
    "Kind",
    "counted_by_levels",
    "kind_of",
    "kind_of_values",
    "profile_kind",
    "label_of",
    "labels_of",
]

Kind = Literal["float", "integer", "boolean", "categorical", "datetime", "other"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: An integer column with at most this many distinct values is counted per level in a profile.
MAX_INTEGER_LEVELS = 20
_NUMERIC_CONTENT = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})


def kind_of(dtype: Any) -> Kind:
    """The kind of a dtype (a numpy/pandas dtype, or its name as ``str(series.dtype)`` writes it).

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.kinds import kind_of
    >>> [kind_of(t) for t in ("int64", "Int64", "float32", "bool", "boolean", "object", "category")]
    ['integer', 'integer', 'float', 'boolean', 'boolean', 'categorical', 'categorical']
    >>> kind_of(pd.Series(["a"]).dtype), kind_of("datetime64[ns, UTC]"), kind_of("timedelta64[ns]")
    ('categorical', 'datetime', 'other')
    """
    import pandas as pd

    if isinstance(dtype, str):
        if dtype in ("category", "object", "str", "string"):
            return "categorical"
        try:
            dtype = pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            return "categorical" if dtype.startswith(("string", "large_string")) else "other"
    types = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if types.is_bool_dtype(dtype):
        return "boolean"
    if types.is_integer_dtype(dtype):
        return "integer"
    if types.is_float_dtype(dtype):
        return "float"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if types.is_string_dtype(dtype) or dtype == object:
        return "categorical"
    return "other"


def kind_of_values(series: Any) -> Kind:
    """The kind of a pandas Series: :func:`kind_of` its dtype, except that an object column
    holding only numbers is ``float`` (a profile bins it, a schema gives it a range).

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.kinds import kind_of_values
    >>> kind_of_values(pd.Series([0.5, None, 2], dtype=object)), kind_of_values(pd.Series([2.0, "a"]))
    ('float', 'categorical')
    """
    import pandas as pd

    kind = kind_of(series.dtype)
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in _NUMERIC_CONTENT:
        return "float"
    return kind


def profile_kind(dtype: str, binned: bool) -> Kind:
    """The kind a profile writes for a column of ``dtype`` summarized on bins or by levels.

    Agrees with :func:`kind_of_values`: an object column is ``float`` when the
    profile binned it (it held numbers only) and ``categorical`` otherwise.
    """
    if dtype == "object":
        return "float" if binned else "categorical"
    return kind_of(dtype)


def counted_by_levels(kind: Kind, n_distinct: int) -> bool:
    """Whether a profile counts a column per level (True) or on quantile bins (False).

    Categorical, boolean and other columns are counted per level; an integer
    column too when it has at most :data:`MAX_INTEGER_LEVELS` distinct values
    (codes such as a rating read best as levels); float and datetime columns
    never.
    """
    if kind in ("categorical", "boolean", "other"):
        return True
    if kind == "integer":
        return n_distinct <= MAX_INTEGER_LEVELS
    return False


def label_of(value: Any) -> str:
    """The text a level is compared by: ``3``, ``3.0`` and ``"3"`` all read ``"3"``.

    Examples
    --------
    >>> from mlcheck.kinds import label_of
    >>> [label_of(v) for v in ("2.0", 2.0, 2, True, 0.5)]
    ['2.0', '2', '2', 'True', '0.5']
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, bytes):  # bytes from a reader that could not decode: keep them recognizable
        return value.decode("utf-8", errors="backslashreplace")
    return str(value)


def labels_of(series: Any) -> Any:
    """The label of every value of a pandas Series, as text (missing values stay missing).

    Text columns are returned as they are (no per-value call, string storage
    kept), so this costs nothing on the common path of scoring a text column.
    """
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = [label_of(category) for category in dtype.categories]
        codes = series.cat.codes.to_numpy()
        text = np.asarray(categories + [None], dtype=object)[np.where(codes < 0, len(categories), codes)]
        return pd.Series(text, index=series.index, dtype=object)
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return series  # text already, and kept in its own storage: isin stays pyarrow's is_in
    if dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series
    missing = series.isna().to_numpy()
    text = series.astype(object).map(label_of, na_action="ignore") if len(series) else series.astype(object)
    return text.where(~missing, None)
