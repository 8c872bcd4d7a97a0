"""Parameter files (``mlcheck run -f params.yaml``): read once, and written so they read back exactly.

:func:`load_parameter_file` reads a YAML or JSON mapping of names to values
with :func:`mlcheck.runs.parameter_values.load_yaml` (unquoted scalars kept as
written until their parameter types them); :func:`parameter_file_text` writes
values (or form text, tagged ``!text``) as a file that reads back as them: how
the JupyterLab panel hands its form to a job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlcheck.errors import ParameterError
from mlcheck.runs.parameter_values import MAX_TEXT, TEXT_TAG, ValueRefused, load_yaml

__all__ = ["load_parameter_file", "parameter_file_text"]


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML or JSON file: a mapping of name to value, parsed once.

    Unquoted scalars stay :class:`~mlcheck.runs.parameter_values.PlainScalar`
    until :func:`coerce_parameters` types them by their parameter.

    Raises
    ------
    ParameterError
        For a missing, oversized or invalid file, aliases, duplicate names, or
        a document that is not a mapping of names.
    """
    path = Path(path)
    if path.is_dir():
        raise ParameterError(
            f"parameter file {path} is a folder; give a YAML or JSON file (e.g. -f {path}/params.yaml)"
        )
    if not path.is_file():
        raise ParameterError(f"parameter file not found: {path}")
    size = path.stat().st_size
    if size > 4 * MAX_TEXT:
        raise ParameterError(
            f"parameter file {path} is {size:,} bytes; parameter files take up to {MAX_TEXT:,} characters"
        )
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ParameterError(f"parameter file {path} is not UTF-8 text ({error})") from None
    except ValueRefused as error:
        raise ParameterError(f"parameter file {path} cannot be used: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and str(key).isidentifier() for key in data
    ):
        raise ParameterError(
            f"parameter file {path} must hold a mapping of parameter names to values, like\n  n_rows: 100\n  store_id: '0123'"
        )
    return {str(key): value for key, value in data.items()}


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar: printable ASCII as is, everything else escaped, so any text reads back."""
    out = []
    for char in text:
        code = ord(char)
        if 0x20 <= code < 0x7F and char not in '"\\':
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _yaml_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return repr(value) if math.isfinite(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        # YAML caps an implicit key at 1024 characters; a longer one takes the explicit "? " form
        items = [(_yaml_literal(k), _yaml_literal(v)) for k, v in value.items()]
        return "{" + ", ".join(f"{'? ' if len(k) > 1000 else ''}{k}: {v}" for k, v in items) + "}"
    raise TypeError(f"a {type(value).__name__} cannot be written to a parameter file")


def parameter_file_text(values: Mapping[str, Any], *, as_text: bool = False) -> str:
    """A ``-f`` file that :func:`load_parameter_file` and :func:`coerce_parameters` read back as ``values``.

    With ``as_text``, each value is a string typed as on a command line (a form
    field) and is tagged ``!text``, so ``mlcheck run -f`` reads it exactly as
    ``-p NAME VALUE`` would: this is how the JupyterLab panel hands its form to a
    job. Without, the values are coerced ones: every string is quoted, so it
    stays text; numbers, booleans and None are plain, so the parameter's type
    reads them; tuples are written as lists (a tuple parameter turns them
    back); ``nan`` and ``inf`` as ``.nan``, ``.inf``.

    Examples
    --------
    >>> print(parameter_file_text({"store_id": "0123", "size": (640, 480), "t": float("nan")}), end="")
    store_id: "0123"
    size: [640, 480]
    t: .nan
    >>> print(parameter_file_text({"shift": "-1e-3"}, as_text=True), end="")
    shift: !text "-1e-3"
    """
    if as_text:
        return "".join(f"{name}: {TEXT_TAG} {_quoted(str(value))}\n" for name, value in values.items())
    return "".join(f"{name}: {_yaml_literal(value)}\n" for name, value in values.items())
