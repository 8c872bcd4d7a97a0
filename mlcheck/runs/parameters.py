"""Notebook parameters: read from the ``parameters`` cell with ``ast``, coerced by type.

The ``parameters`` cell is papermill's convention: a code cell tagged
``parameters`` whose assignments are the notebook's defaults. Each assignment
gives a :class:`Parameter` with its name, its type (from an annotation, a
``# type:`` comment, or the type of its literal default), its default and the
comment that trails it, used as help.
"""

from __future__ import annotations

import ast
import io
import json
import math
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import nbformat

from mlcheck.errors import NotebookError, ParameterError

_NO_DEFAULT = object()

#: type names we can coerce a string to, and how
_SCALAR_TYPES = ("int", "float", "str", "bool")
_CONTAINER_TYPES = ("list", "dict", "tuple")
_TRUE = {"true", "yes", "on", "1", "y", "t"}
_FALSE = {"false", "no", "off", "0", "n", "f"}


@dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's ``parameters`` cell."""

    name: str
    type_name: str  # "int", "float", "str", "bool", "list", "dict", "tuple", "any"; "int | None" when optional
    default: Any
    default_source: str
    comment: str = ""

    @property
    def optional(self) -> bool:
        return self.type_name.endswith(" | None") or self.type_name == "any"

    @property
    def base_type(self) -> str:
        return self.type_name.removesuffix(" | None")

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        try:
            json.dumps(default, allow_nan=False)
        except (TypeError, ValueError):
            default = self.default_source
        return {
            "name": self.name,
            "type": self.type_name,
            "default": default,
            "default_source": self.default_source,
            "comment": self.comment,
        }


def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook file, with an error that says what is wrong if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise NotebookError(f"notebook not found: {path} (check the path; it is taken from {Path.cwd()})")
    if path.is_dir():
        raise NotebookError(f"{path} is a directory, not a notebook; give the path of an .ipynb file")
    try:
        with open(path, encoding="utf-8") as handle:
            notebook = nbformat.read(handle, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise NotebookError(f"{path} is not a valid notebook: it is not JSON ({error})") from None
    except Exception as error:  # nbformat raises several unrelated types for bad documents
        raise NotebookError(f"{path} is not a valid notebook: {error}") from None
    if not isinstance(notebook.get("cells"), list):
        raise NotebookError(f"{path} is not a valid notebook: it has no list of cells")
    return notebook


def parameters_cell_index(notebook: nbformat.NotebookNode) -> int | None:
    """Index of the cell tagged ``parameters``, or None."""
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def _annotation_name(node: ast.expr | None, type_comment: str | None) -> str | None:
    """Our type name for an annotation node or a ``# type:`` comment, or None when absent."""
    if node is None and type_comment:
        try:
            node = ast.parse(type_comment, mode="eval").body
        except SyntaxError:
            return None
    if node is None:
        return None
    text = ast.unparse(node).replace(" ", "")
    optional = False
    for prefix in ("Optional[", "typing.Optional["):
        if text.startswith(prefix) and text.endswith("]"):
            text, optional = text[len(prefix) : -1], True
    parts = [part for part in text.split("|")]
    if "None" in parts and len(parts) == 2:
        parts.remove("None")
        optional = True
    if len(parts) != 1:
        return "any"
    base = parts[0].split("[", 1)[0].removeprefix("typing.").lower()
    base = {"string": "str", "integer": "int", "boolean": "bool"}.get(base, base)
    if base not in _SCALAR_TYPES + _CONTAINER_TYPES:
        return "any"
    return f"{base} | None" if optional else base


def _type_of_default(value: Any) -> str:
    if value is None or value is _NO_DEFAULT:
        return "any"
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, kind):
            return name
    for name, kind in (("list", list), ("dict", dict), ("tuple", tuple)):
        if isinstance(value, kind):
            return name
    return "any"


def _trailing_comments(source: str) -> dict[int, str]:
    """Line number -> the comment on that line (without ``#``), ignoring type comments."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                text = token.string.lstrip("#").strip()
                if not text.startswith("type:"):
                    comments[token.start[0]] = text
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def parse_parameters(source: str, *, where: str = "the parameters cell") -> list[Parameter]:
    """The parameters assigned in ``source`` (the text of a parameters cell)."""
    try:
        tree = ast.parse(source, type_comments=True)
    except SyntaxError as error:
        raise NotebookError(
            f"{where} is not valid Python (line {error.lineno}: {error.msg}); fix the cell so papermill can parameterize it"
        ) from None
    comments = _trailing_comments(source)
    found: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, value_node, annotation = node.target.id, node.value, _annotation_name(node.annotation, None)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value_node = node.targets[0].id, node.value
            annotation = _annotation_name(None, node.type_comment)
        else:
            continue
        default_source = ast.unparse(value_node) if value_node is not None else ""
        try:
            default = ast.literal_eval(value_node) if value_node is not None else _NO_DEFAULT
        except (ValueError, SyntaxError, TypeError):
            default = _NO_DEFAULT  # an expression, not a literal: only its source is known
        type_name = annotation or _type_of_default(default)
        if annotation is None and default is None:
            type_name = "any"
        end_line = getattr(node, "end_lineno", node.lineno) or node.lineno
        comment = comments.get(end_line, comments.get(node.lineno, ""))
        found[name] = Parameter(
            name=name,
            type_name=type_name,
            default=None if default is _NO_DEFAULT else default,
            default_source=default_source,
            comment=comment,
        )
    return list(found.values())


def read_parameters(notebook: str | Path | nbformat.NotebookNode) -> list[Parameter]:
    """The parameters of a notebook, from its ``parameters`` cell (empty if it has none).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("n: int = 5  # trees", metadata={"tags": ["parameters"]}))
    >>> [(p.name, p.type_name, p.default, p.comment) for p in read_parameters(nb)]
    [('n', 'int', 5, 'trees')]
    """
    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = load_notebook(notebook)
    index = parameters_cell_index(notebook)
    if index is None:
        return []
    return parse_parameters(notebook.cells[index].source, where=f"the parameters cell (cell {index})")


# -- coercion ---------------------------------------------------------------
def describe_parameters(parameters: list[Parameter]) -> str:
    """The parameter list as a short table, for error messages and ``mlcheck params``."""
    if not parameters:
        return "  (this notebook has no parameters cell)"
    width = max(len(p.name) for p in parameters)
    type_width = max(len(p.type_name) for p in parameters)
    lines = []
    for p in parameters:
        comment = f"  # {p.comment}" if p.comment else ""
        lines.append(f"  {p.name:<{width}}  {p.type_name:<{type_width}}  = {p.default_source}{comment}")
    return "\n".join(lines)


def _coerce_text(text: str, base: str, parameter: Parameter) -> Any:
    if base == "str":
        return text
    if base == "int":
        try:
            return int(text.strip())
        except ValueError:
            pass
        number = float(text)  # '1e3' and '5.0' are integers too, '1.5' is not
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError(f"{text!r} is not a whole number")
        return int(number)
    if base == "float":
        return float(text)
    if base == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{text!r} is not true/false (use true, false, yes, no, 1 or 0)")
    import yaml

    value = yaml.safe_load(text)
    return _coerce_value(value, base, parameter) if base != "any" else value


def _coerce_value(value: Any, base: str, parameter: Parameter) -> Any:
    if base == "any":
        return value
    if base == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ValueError(f"{value!r} is not a string")
    if base == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _coerce_text(value, base, parameter)
        raise ValueError(f"{value!r} is not true or false")
    if base == "int":
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is a boolean, not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return _coerce_text(value, base, parameter)
        raise ValueError(f"{value!r} is not a whole number")
    if base == "float":
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is a boolean, not a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value)
        raise ValueError(f"{value!r} is not a number")
    kind = {"list": list, "dict": dict, "tuple": (list, tuple)}[base]
    if isinstance(value, str):
        return _coerce_text(value, base, parameter)
    if not isinstance(value, kind):
        raise ValueError(f"{value!r} is not a {base}")
    return tuple(value) if base == "tuple" else value


def coerce_parameter(parameter: Parameter, value: Any) -> Any:
    """``value`` (a string from a command line, or a YAML/JSON value) as ``parameter``'s type."""
    base = parameter.base_type
    if parameter.optional and (value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null"))):
        return None
    try:
        if isinstance(value, str):
            return _coerce_text(value, base, parameter)
        return _coerce_value(value, base, parameter)
    except (ValueError, TypeError) as error:
        detail = str(error) if str(error) else f"{value!r} does not fit"
        raise ParameterError(f"parameter {parameter.name!r} must be {parameter.type_name}: {detail}") from None


def coerce_parameters(parameters: list[Parameter], raw: Mapping[str, Any], *, notebook: str = "the notebook") -> dict[str, Any]:
    """Coerce every given value to its parameter's type; refuse unknown names.

    Raises
    ------
    ParameterError
        Naming the offending parameter and listing the notebook's parameters.
    """
    known = {p.name: p for p in parameters}
    coerced: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            listing = describe_parameters(parameters)
            if not parameters:
                raise ParameterError(
                    f"{notebook} has no parameters cell, so it takes no parameter (got {name!r}).\n"
                    "Tag the cell that holds its defaults with 'parameters' to make them settable."
                )
            raise ParameterError(f"unknown parameter {name!r} for {notebook}; its parameters are:\n{listing}")
        try:
            coerced[name] = coerce_parameter(known[name], value)
        except ParameterError as error:
            raise ParameterError(f"{error}\n{notebook} takes:\n{describe_parameters(parameters)}") from None
    return coerced


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML or JSON file: a mapping of name to value."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"parameter file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ParameterError(f"parameter file {path} is neither valid YAML nor JSON: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ParameterError(f"parameter file {path} must hold a mapping of parameter names to values")
    return data
