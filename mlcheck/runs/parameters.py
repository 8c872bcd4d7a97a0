"""Notebook parameters: read from the ``parameters`` cell with ``ast``, coerced by type, injected.

The ``parameters`` cell is papermill's convention: a code cell tagged
``parameters`` whose assignments are the notebook's defaults. Each assignment
gives a :class:`Parameter` with its name, its type (from an annotation, a
papermill-style ``# type: float help text`` comment, or the type of its literal
default), its default and the comment that trails it, used as help.

A trailing comment may also declare the parameter's **range** in interval
notation after the word ``in``: ``sample = 0.1  # fraction of rows, in (0, 1]``.
``[`` and ``]`` include a bound, ``(`` and ``)`` exclude it, ``inf`` and
``-inf`` leave a side open (``n_trees = 100  # in [1, inf)``). papermill reads
the comment as a comment, so the notebook runs under papermill unchanged; mlcheck
refuses a value outside the range (:class:`~mlcheck.errors.ParameterError`, exit
2) from ``mlcheck run``, the pytest plugin and the JupyterLab panel alike. See
:func:`~mlcheck.runs.parameter_ranges.parse_range` for what counts as a range and what is an error.

:func:`coerce_parameters` is the one place a value becomes what the notebook
receives: ``mlcheck run`` (``-p``, ``-r``, ``-f``), the pytest plugin
(``pyproject.toml`` and ``--mlcheck-param``) and the JupyterLab panel all call
it. How text becomes a value is in :mod:`mlcheck.runs.parameter_values`.

mlcheck runs Python notebooks only. A notebook in another language is refused
(exit 2) rather than run half-supported: its checks could not be recorded (they
are a Python library), its parameters cell could not be read before the run
(papermill inspects only Python), so nothing could be checked or reported.
papermill itself runs such notebooks well.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcheck.errors import NotebookError, ParameterError, UsageError
from mlcheck.runs.parameter_files import load_parameter_file, parameter_file_text
from mlcheck.runs.parameter_forms import COMMAND_LINE, Forms, accepted_forms, range_excludes_none
from mlcheck.runs.parameter_ranges import Range, RangeWarning, checked_range, outside, parse_range
from mlcheck.runs.parameter_values import (
    PlainScalar,
    RawText,
    TextValue,
    ValueRefused,
    check_bounds,
    constant_number,
    from_text,
    from_value,
    is_null_text,
    resolve_untyped,
)

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "COMMAND_LINE",
    "Forms",
    "Parameter",
    "Range",
    "RangeWarning",
    "RawText",
    "TextValue",
    "coerce_parameter",
    "coerce_parameters",
    "describe_parameters",
    "inject_parameters",
    "load_notebook",
    "load_parameter_file",
    "notebook_language",
    "parameter_file_text",
    "parse_parameters",
    "parse_range",
    "read_parameters",
    "require_python_kernel",
]

_NO_DEFAULT = object()
_SCALAR_TYPES = ("int", "float", "str", "bool")
_CONTAINER_TYPES = ("list", "dict", "tuple")
_TYPE_ALIASES = {"string": "str", "integer": "int", "boolean": "bool", "sequence": "list", "mapping": "dict"}
_TYPE_COMMENT = re.compile(r"type:\s*(?P<type>\S+)\s*(?P<help>.*)")  # papermill's `# type: float learning rate`


@dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's ``parameters`` cell.

    ``type_name`` is ``"int"``, ``"float"``, ``"str"``, ``"bool"``, ``"list"``,
    ``"dict"``, ``"tuple"`` or ``"any"``, with the item type of a list or tuple
    when known (``"list[str]"``) and ``" | None"`` when annotated optional.
    ``declared`` is true when the type comes from an annotation or a type
    comment rather than from the default's value.
    """

    name: str
    type_name: str
    default: Any
    default_source: str
    comment: str = ""
    declared: bool = False
    range: Range | None = None
    #: what the author should know about the comment's range: it was read as help text, or the default cannot be checked
    note: str = ""

    @property
    def optional(self) -> bool:
        """Whether the parameter takes ``None``: untyped, annotated optional, or typed only by its default.

        A default's type does not forbid None (papermill passes ``-p end_date None``
        as None whatever the default); an annotation without ``| None`` does.
        """
        return self.type_name.endswith(" | None") or self.base_type == "any" or not self.declared

    @property
    def base_type(self) -> str:
        return self.type_name.removesuffix(" | None").split("[", 1)[0]

    @property
    def item_type(self) -> str | None:
        """The type of a list's or tuple's items, when the annotation or the default says it."""
        inner = self.type_name.removesuffix(" | None")
        return inner[inner.index("[") + 1 : -1] if "[" in inner else None

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
            "range": self.range.to_dict() if self.range else None,
            "note": self.note,
        }


# -- reading a notebook ---------------------------------------------------------
def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook file, with an error that says what is wrong if it cannot be read."""
    import nbformat

    path = Path(path)
    if not path.exists():
        raise NotebookError(f"notebook not found: {path} (check the path; it is taken from {Path.cwd()})")
    if path.is_dir():
        raise NotebookError(f"{path} is a directory, not a notebook; give the path of an .ipynb file")
    try:
        with open(path, encoding="utf-8") as handle:
            notebook: nbformat.NotebookNode = nbformat.read(handle, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise NotebookError(f"{path} is not a valid notebook: it is not JSON ({error})") from None
    except Exception as error:  # noqa: BLE001 - nbformat raises several unrelated types for bad documents
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


def notebook_language(notebook: Mapping[str, Any]) -> str | None:
    """The notebook's language from its metadata (kernelspec, then language_info), lower case; None if unsaid."""
    metadata = notebook.get("metadata") or {}
    language = (metadata.get("kernelspec") or {}).get("language") or (
        metadata.get("language_info") or {}
    ).get("name")
    return str(language).strip().lower() or None if language else None


def _require_python(notebook: Mapping[str, Any], where: str) -> None:
    language = notebook_language(notebook)
    if language is None or language == "python":
        return  # a notebook that does not say runs in the Python kernel mlcheck starts
    kernel = ((notebook.get("metadata") or {}).get("kernelspec") or {}).get("name", "?")
    raise NotebookError(
        f"{where} is written in {language} (kernelspec {kernel!r}); mlcheck runs Python notebooks only: "
        "its checks and records are a Python library and it reads the parameters cell with Python's parser, "
        "so a run in another language could check nothing.\n"
        f"Run it with papermill instead (papermill {Path(where).name} out.ipynb -p NAME VALUE)."
    )


def require_python_kernel(kernel_name: str, language: str | None) -> None:
    """Refuse a kernel whose language is not Python (``--kernel bash``), before anything runs.

    ``language`` is the kernelspec's (``mlcheck.runs.kernels.kernel_language``);
    None when it cannot be told, which is left to the kernel's start to report.

    Raises
    ------
    UsageError
        Naming the kernel, its language and how to choose a Python one.
    """
    if language and language.strip().lower() != "python":
        raise UsageError(
            f"the kernel {kernel_name!r} runs {language}; mlcheck jobs need a Python kernel "
            "(mlcheck's set-up and checks are Python). Leave out --kernel to use the interpreter "
            "mlcheck is installed in, or list kernels with `jupyter kernelspec list`."
        )


def _python_source(source: str) -> str:
    """The cell as Python: IPython's own transformer turns ``%magic`` and ``!shell`` lines into calls.

    papermill lists, fills and runs a parameters cell holding ``%matplotlib inline``;
    so does mlcheck. A leading ``%%cell_magic`` line is dropped: papermill reads the
    assignments of the body.
    """
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = ""  # keep line numbers: comments are matched to assignments by line
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with ipykernel and papermill
        return "\n".join(lines)
    return str(TransformerManager().transform_cell("\n".join(lines)))


def _type_of_node(node: ast.expr | None) -> tuple[str, bool] | None:
    """(our type name, optional) for an annotation node; None when there is no annotation."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a string annotation: "int"
        try:
            return _type_of_node(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return ("any", False)
    members: list[ast.expr] = []

    def split_union(expr: ast.expr) -> None:
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            split_union(expr.left)
            split_union(expr.right)
        else:
            members.append(expr)

    split_union(node)
    head = _dotted(node.value) if isinstance(node, ast.Subscript) else None
    if head in ("Optional", "Union"):
        assert isinstance(node, ast.Subscript)
        inner = node.slice
        members = list(inner.elts) if isinstance(inner, ast.Tuple) and head == "Union" else [inner]
        if head == "Optional":
            members.append(ast.Constant(None))
    optional = any(isinstance(m, ast.Constant) and m.value is None for m in members)
    rest = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
    if len(rest) != 1:
        return ("any", False)
    return (_base_name(rest[0]), optional)


def _dotted(node: ast.expr) -> str:
    name = ast.unparse(node)
    return name.rsplit(".", 1)[-1]


def _base_name(node: ast.expr) -> str:
    """``int``, ``list[str]``, ``tuple[int]`` ... for one annotation member; ``any`` for what we cannot type."""
    item: str | None = None
    if isinstance(node, ast.Subscript):
        base = _dotted(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = [a for a in args if not (isinstance(a, ast.Constant) and a.value is Ellipsis)]
        names = {_dotted(a) for a in args}
        if len(names) == 1:
            candidate = _TYPE_ALIASES.get(names.pop().lower(), "")
            candidate = candidate or ast.unparse(args[0]).lower()
            item = candidate if candidate in _SCALAR_TYPES else None
    else:
        base = _dotted(node)
    base = base.lower()
    base = _TYPE_ALIASES.get(base, base)
    if base not in _SCALAR_TYPES + _CONTAINER_TYPES:
        return "any"
    return f"{base}[{item}]" if item and base in ("list", "tuple") else base


def _type_of_default(value: Any) -> str:
    if value is None or value is _NO_DEFAULT:
        return "any"
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str), ("dict", dict)):
        if isinstance(value, kind):
            return name
    if isinstance(value, (list, tuple)):
        base = "list" if isinstance(value, list) else "tuple"
        items = {_type_of_default(item) for item in value}
        only = items.pop() if len(items) == 1 else None
        return f"{base}[{only}]" if only in _SCALAR_TYPES else base
    return "any"


def _comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """(line -> help text, line -> type comment): papermill's ``# type: TYPE help`` splits into both."""
    helps: dict[int, str] = {}
    types: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                text = token.string.lstrip("#").strip()
                match = _TYPE_COMMENT.fullmatch(text)
                if match:
                    types[token.start[0]] = match["type"]
                    text = match["help"].strip()
                if text:
                    helps[token.start[0]] = text
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return helps, types


def _comment_lines(tree: ast.Module) -> dict[int, int]:
    """line -> index of the statement a comment ending that line belongs to: the last one ending there.

    ``a = 5; b = 0.5  # in [0, 1]``: the comment is b's, not a's.
    """
    owners: dict[int, int] = {}
    for index, node in enumerate(tree.body):
        owners[getattr(node, "end_lineno", node.lineno) or node.lineno] = index
    return owners


def parse_parameters(source: str, *, where: str = "the parameters cell") -> list[Parameter]:
    """The parameters assigned in ``source`` (the text of a parameters cell)."""
    source = _python_source(source)
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotebookError(
            f"{where} is not valid Python (line {error.lineno}: {error.msg}); fix the cell so papermill can parameterize it"
        ) from None
    helps, type_comments = _comments(source)
    owners = _comment_lines(tree)
    found: dict[str, Parameter] = {}
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, value_node, annotation = node.target.id, node.value, node.annotation
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            name, value_node, annotation = node.targets[0].id, node.value, None
        else:
            continue
        end_line = getattr(node, "end_lineno", node.lineno) or node.lineno
        # the comment ending the statement's last line, else its first line's (`x = (  # help`), else the
        # comments inside a scalar written over several lines (`x = (\n  0.5  # in [0, 1]\n)`); a list's
        # or mapping's inner comments are about its items (`{'alpha': 0.1,  # in [0, 1]`), not the parameter
        lines = [end_line] if owners.get(end_line) == index else []
        lines += [node.lineno] if node.lineno != end_line else []
        collection = isinstance(value_node, (ast.List, ast.Tuple, ast.Dict, ast.Set))
        inner = [] if collection else [line for line in range(node.lineno + 1, end_line) if line in helps]
        if annotation is None:
            comment_type = next((type_comments[line] for line in lines if line in type_comments), None)
            if comment_type:
                try:
                    annotation = ast.parse(comment_type, mode="eval").body
                except SyntaxError:
                    annotation = None
        declared = _type_of_node(annotation)
        default_source = ast.unparse(value_node) if value_node is not None else ""
        try:
            default = ast.literal_eval(value_node) if value_node is not None else _NO_DEFAULT
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            # an expression: arithmetic on numbers (`-1/3`) is evaluated safely, else only its source is known
            number = constant_number(value_node) if value_node is not None else None
            default = _NO_DEFAULT if number is None else number
        if declared is None:
            type_name = _type_of_default(default)
        else:
            type_name = declared[0] + (" | None" if declared[1] and declared[0] != "any" else "")
        parameter = Parameter(
            name=name,
            type_name=type_name,
            default=None if default is _NO_DEFAULT else default,
            default_source=default_source,
            comment=next(
                (helps[line] for line in lines if line in helps), "; ".join(helps[line] for line in inner)
            ),
            declared=declared is not None,
        )
        found[name] = checked_range(
            parameter, where, evaluated=value_node is None or default is not _NO_DEFAULT
        )
    return list(found.values())


def read_parameters(notebook: str | Path | nbformat.NotebookNode) -> list[Parameter]:
    """The parameters of a notebook, from its ``parameters`` cell (empty if it has none).

    Raises
    ------
    NotebookError
        If the notebook cannot be read, is not written in Python, or its
        parameters cell is not valid Python (IPython magics are fine).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("n: int = 5  # trees", metadata={"tags": ["parameters"]}))
    >>> [(p.name, p.type_name, p.default, p.comment) for p in read_parameters(nb)]
    [('n', 'int', 5, 'trees')]
    """
    where = "the notebook"
    if isinstance(notebook, (str, Path)):
        where = str(notebook)
        notebook = load_notebook(notebook)
    _require_python(notebook, where)
    index = parameters_cell_index(notebook)
    if index is None:
        return []
    from mlcheck.runs.outcome import cell_number  # the one numbering: 1-based among the user's code cells

    return parse_parameters(
        notebook.cells[index].source, where=f"the parameters cell (cell {cell_number(notebook.cells, index)})"
    )


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


# -- coercion -------------------------------------------------------------------
def _shown(value: Any) -> str:
    text = repr(str(value)) if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def coerce_parameter(parameter: Parameter, value: Any, forms: Forms = COMMAND_LINE) -> Any:
    """``value`` as ``parameter`` takes it (see :mod:`mlcheck.runs.parameter_values` for the rules).

    A parameter with a range (``# in [0, 1]``) takes only numbers in it: the
    value itself, or every item of a list or tuple; None where the type allows it.
    A refusal shows accepted forms in ``forms``' syntax (``-p x 0.5`` by
    default, ``x: 0.5`` for a YAML file, ``x = 0.5`` for a TOML table), naming its file.

    Raises
    ------
    ParameterError
        Naming the parameter, saying why, and showing accepted forms; for a
        value outside the range, naming the value and the range.
    """
    result = _coerce_by_type(parameter, value, forms)
    if parameter.range is None:
        return result
    if (result is None and range_excludes_none(parameter)) or (
        result is not None and outside(parameter.range, result)
    ):
        numbers = "numbers" if isinstance(result, (list, tuple)) else "a number"
        raise ParameterError(
            f"{forms.where + ': ' if forms.where else ''}"
            f"parameter {parameter.name!r} must be {numbers} in {parameter.range}, got {_shown(value)} "
            f"(its range, from the comment in the parameters cell: {parameter.comment})\n"
            f"  {forms.label}: {accepted_forms(parameter, forms)}",
            parameter=parameter.name,
            value=str(value) if isinstance(value, str) else value,
        )
    return result


def _coerce_by_type(parameter: Parameter, value: Any, forms: Forms) -> Any:
    base, item_type = parameter.base_type, parameter.item_type
    given = value
    try:
        check_bounds(value)
        if isinstance(value, RawText):
            if base not in ("str", "any"):
                raise ValueRefused(
                    f"-r passes text, and {parameter.name} takes {parameter.type_name}; use -p"
                )
            return str(value)
        if isinstance(value, (TextValue, PlainScalar)):
            text = str(value)
            from_file = isinstance(value, PlainScalar)
            if base == "str":  # text that could be meant: only papermill's None, or a file's null
                spells_none = text == "None" or (
                    from_file and (is_null_text(text, lenient=False) or text == "")
                )
            else:
                spells_none = is_null_text(text, lenient=base != "any") or (from_file and text == "")
            if spells_none and (parameter.optional or base != "str"):
                value = None
            elif base == "any":
                resolved = resolve_untyped(text, from_file=from_file)
                check_bounds(resolved)
                return resolved
            else:
                result = from_text(text, base, item_type)
                check_bounds(result)
                return result
        if value is None:
            if parameter.optional:
                return None
            raise ValueRefused(
                f"it is declared {parameter.type_name}, which excludes None "
                f"(declare `{parameter.name}: {parameter.type_name} | None` to allow it)"
            )
        return from_value(value, base, item_type)
    except ValueRefused as error:
        wanted = "(untyped) cannot take" if base == "any" else f"must be {parameter.type_name}, got"
        raise ParameterError(
            f"{forms.where + ': ' if forms.where else ''}"
            f"parameter {parameter.name!r} {wanted} {_shown(given)}: {error}\n"
            f"  {forms.label}: {accepted_forms(parameter, forms)}",
            parameter=parameter.name,
            value=str(given) if isinstance(given, str) else given,
        ) from None


def coerce_parameters(
    parameters: list[Parameter],
    raw: Mapping[str, Any],
    *,
    notebook: str = "the notebook",
    file_forms: Forms | None = None,
    text_forms: Forms = COMMAND_LINE,
) -> dict[str, Any]:
    """Coerce every given value to its parameter's type; refuse unknown names.

    Values marked :class:`TextValue` (a command line, a form) are read as text by
    the parameter's type; :class:`RawText` stays text; any other value (a file's,
    a TOML table's, a Python caller's) is taken as given, an unquoted file scalar
    being typed by the parameter. A refusal of a text value shows forms in
    ``text_forms``' syntax (``-p``; the pytest plugin's ``--mlcheck-param``),
    of any other value in ``file_forms``' (the ``-f`` file's YAML, the
    pyproject table's TOML), naming the file.

    Raises
    ------
    ParameterError
        Naming every offending parameter at once (the first is the error's
        ``parameter``), an accepted form for each, and the notebook's parameters.

    Examples
    --------
    >>> params = parse_parameters("store_id = None\\nsize = (320, 320)\\ncols = ['a']")
    >>> coerce_parameters(params, {"store_id": RawText("0123"), "size": TextValue("640,480"), "cols": TextValue("x")})
    {'store_id': '0123', 'size': (640, 480), 'cols': ['x']}
    """
    known = {p.name: p for p in parameters}
    if not parameters and raw:
        name = next(iter(raw))
        raise ParameterError(
            f"{notebook} has no parameters cell, so it takes no parameter (got {name!r}).\n"
            "Tag the cell that holds its defaults with 'parameters' to make them settable.",
            parameter=name,
        )
    coerced: dict[str, Any] = {}
    refused: list[tuple[str, str, Any]] = []  # (name, message, value) of each value that cannot be used
    for name, value in raw.items():
        if name not in known:
            refused.append((name, f"unknown parameter {name!r} for {notebook}", value))
            continue
        forms = text_forms if isinstance(value, (TextValue, RawText)) else (file_forms or COMMAND_LINE)
        try:
            coerced[name] = coerce_parameter(known[name], value, forms)
        except ParameterError as error:
            refused.append((name, str(error), error.value))
    if not refused:
        return coerced
    listing = describe_parameters(parameters)
    first, message, value = refused[0]
    if len(refused) > 1:
        message = f"{len(refused)} parameters of {notebook} cannot be used:\n" + "\n".join(
            m for _, m, _ in refused
        )
    under_a_field = text_forms.syntax == "form" and all(name in known for name, _, _ in refused)
    if all(m.startswith("unknown parameter") for _, m, _ in refused):
        message += f"; its parameters are:\n{listing}"
    elif not under_a_field:  # a form shows every parameter already: the table would only repeat it
        message += f"\n{notebook} takes:\n{listing}"
    if first not in known:  # an unknown name has no value to blame
        raise ParameterError(message, parameter=first)
    raise ParameterError(message, parameter=first, value=value)


# -- injection --------------------------------------------------------------------
def _translator() -> Any:
    """papermill's Python translator, taught tuples and non-text mapping keys (it writes both as text)."""
    from papermill.translators import PythonTranslator

    class Translator(PythonTranslator):  # type: ignore[misc]
        @classmethod
        def translate(cls, val: Any) -> str:
            if isinstance(val, tuple):
                items = ", ".join(cls.translate(item) for item in val)
                return f"({items}{',' if len(val) == 1 else ''})"
            return str(super().translate(val))

        @classmethod
        def translate_dict(cls, val: dict[Any, Any]) -> str:
            return "{" + ", ".join(f"{cls.translate(k)}: {cls.translate(v)}" for k, v in val.items()) + "}"

    return Translator


def inject_parameters(notebook: nbformat.NotebookNode, values: Mapping[str, Any]) -> nbformat.NotebookNode:
    """Insert papermill's ``injected-parameters`` cell after the ``parameters`` cell (in place).

    The cell is written by papermill's Python translator, taught to write tuples
    (papermill writes ``(320, 320)`` as the text ``"(320, 320)"``); the values go
    to ``metadata.papermill.parameters`` as papermill records them, with
    non-finite numbers as the strings ``"nan"``, ``"inf"``, ``"-inf"`` (strict JSON).
    """
    import nbformat

    from mlcheck.results import to_jsonable

    papermill_metadata = notebook.metadata.setdefault("papermill", {})
    papermill_metadata.setdefault("default_parameters", {})
    papermill_metadata.setdefault("environment_variables", {})
    papermill_metadata["parameters"] = to_jsonable(dict(values))
    if not values:
        return notebook
    cell = nbformat.v4.new_code_cell(
        _translator().codify(dict(values), "Parameters"), metadata={"tags": ["injected-parameters"]}
    )
    notebook.cells = [
        c for c in notebook.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    index = parameters_cell_index(notebook)
    notebook.cells.insert(0 if index is None else index + 1, cell)
    return notebook
