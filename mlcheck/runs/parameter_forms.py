"""How a refused parameter value's examples are written: in the syntax of where the value was given.

A refusal (:class:`~mlcheck.errors.ParameterError`) ends with the forms the
parameter accepts, each an example the parameter takes: a number inside its
range, whole numbers for ``int`` and ``list[int]``, as many items as its
default. They are written where the value came from (:class:`Forms`):
``-p x 0.5`` on a command line, ``x: 0.5`` in a ``-f`` YAML file, ``"x": 0.5``
in a JSON one, ``x = 0.5`` in ``pyproject.toml``'s table,
``--mlcheck-param nb.ipynb:x=0.5`` for pytest's option, and the value alone
under a JupyterLab form field.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlcheck.runs.parameter_ranges import inside

if TYPE_CHECKING:
    from mlcheck.runs.parameters import Parameter

__all__ = ["COMMAND_LINE", "Forms", "accepted_forms", "range_excludes_none"]


_ITEM_EXAMPLES = {"int": ("1", "2"), "float": ("0.5", "1.5"), "bool": ("true", "false"), "str": ("a", "b")}


def _item_examples(parameter: Parameter) -> list[str]:
    """Items of a list or tuple to show: from the range and the item type, as many as the default has (2 to 4)."""
    default = parameter.default
    count = len(default) if isinstance(default, (list, tuple)) and 2 <= len(default) <= 4 else 2
    if parameter.range is not None:
        return [inside(parameter.range, whole=parameter.item_type == "int")] * count
    if parameter.base_type == "tuple" and isinstance(default, tuple) and 2 <= len(default) <= 4:
        if all(isinstance(item, int) and not isinstance(item, bool) for item in default):
            return [str(item) for item in default]  # (320, 320): the shape a user edits
    first, second = _ITEM_EXAMPLES.get(parameter.item_type or "str", ("a", "b"))
    return ([first, second] * 2)[:count]


@dataclass(frozen=True)
class Forms:
    """How a refusal's examples are written: where the value was given, in that place's syntax.

    ``syntax`` is ``"cli"`` (``-p x 0.5``, or ``option`` such as
    ``--mlcheck-param nb.ipynb:``), ``"yaml"`` and ``"json"`` (a ``-f`` file),
    ``"toml"`` (``pyproject.toml``'s table), or ``"form"`` (the value alone, as
    typed into the JupyterLab panel's field); ``where`` names the file or
    table (``b.yaml``, ``[tool.mlcheck.parameters."nb.ipynb"] in pyproject.toml``).
    """

    syntax: str = "cli"
    where: str = ""
    option: str = "-p"

    def setting(self, name: str, value: str) -> str:
        if self.syntax == "yaml":
            return f"{name}: {value}"
        if self.syntax == "json":
            return f'"{name}": {value}'
        if self.syntax == "toml":
            return f"{name} = {value}"
        if self.syntax == "form":
            return value
        return f"-p {name} {value}" if self.option == "-p" else f"{self.option}{name}={value}"

    def text(self, value: str) -> str:
        """A text value as this syntax quotes it (YAML: only what needs it)."""
        if self.syntax in ("toml", "json"):
            return json.dumps(value)
        return value

    @property
    def label(self) -> str:
        if self.syntax in ("cli", "form"):
            return "accepted"
        language = {"yaml": "YAML", "json": "JSON", "toml": "TOML"}[self.syntax]
        return f"accepted ({language})"  # the refusal's first line names the file


COMMAND_LINE = Forms()


def accepted_forms(parameter: Parameter, forms: Forms = COMMAND_LINE) -> str:
    """What ``parameter`` accepts, as forms to copy (shown with every refusal), in ``forms``' syntax.

    Every example is a value the parameter takes: built from its range (a
    number inside it) and its type (whole numbers for ``int`` and ``list[int]``).
    """
    name, base = parameter.name, parameter.base_type
    setting = functools.partial(forms.setting, name)
    items = _item_examples(parameter) if base in ("list", "tuple") else []
    numbers = parameter.range is not None
    if forms.syntax in ("cli", "form"):
        quote = repr if forms.syntax == "cli" else str  # a shell needs the quotes, a form field does not
        raw_text = (
            f"for text that reads as a number such as 0123, -r {name} 0123 (in a file: {name}: '0123')"
            if forms.syntax == "cli"
            else f"for text that reads as a number such as 0123, declare the type ({name}: str = None)"
        )
        listed = {
            "list": (
                f"{'numbers' if numbers else 'items'} separated by commas, {setting(','.join(items))}, "
                f"or a list, {setting(quote('[' + ', '.join(items) + ']'))}"
            ),
            "tuple": (
                f"{'numbers' if numbers else 'items'} separated by commas, {setting(','.join(items))}, "
                f"or {setting(quote('(' + ', '.join(items) + ')'))}"
            ),
        }
        table = {
            "int": f"a whole number: {setting('100')}",
            "float": f"a number: {setting('0.1')} (also 1e-3, -2, nan, inf)",
            "bool": f"true or false: {setting('true')} (also yes/no, on/off, 1/0)",
            "str": f"any text: {setting('some-text')}",
            "dict": f"a mapping: {setting(quote('{key: 1, other: text}'))}",
            "any": (
                f"a number ({setting('5')}), true/false, None, a list ('[a, b]'), a mapping ('{{k: 1}}') or text; "
                + raw_text
            ),
            **listed,
        }
    else:
        quoted = forms.syntax != "yaml"
        shown = [
            forms.text(item) if quoted and parameter.item_type in (None, "str") else item for item in items
        ]
        mapping = (
            "{key = 1, other = \"text\"}" if forms.syntax == "toml"
            else '{"key": 1, "other": "text"}' if forms.syntax == "json"
            else "{key: 1, other: text}"
        )  # fmt: skip
        table = {
            "int": f"a whole number: {setting('100')}",
            "float": f"a number: {setting('0.1')} (also 1e-3, -2{', .nan, .inf' if forms.syntax == 'yaml' else ''})",
            "bool": f"true or false: {setting('true')}",
            "str": f"text: {setting(forms.text('some-text'))}"
            + (
                " (quote text that reads as a number or true/false: '0123')" if forms.syntax == "yaml" else ""
            ),
            "list": f"a list: {setting('[' + ', '.join(shown) + ']')}",
            "tuple": f"a list: {setting('[' + ', '.join(shown) + ']')}",
            "dict": f"a mapping: {setting(mapping)}",
            "any": (
                f"a number ({setting('5')}), true/false, a list, a mapping or text; "
                f"quote text that reads as a number ({setting(chr(39) + '0123' + chr(39) if forms.syntax == 'yaml' else forms.text('0123'))})"
            ),
        }
    text = table[base]
    none = "" if forms.syntax == "toml" else setting("None" if forms.syntax in ("cli", "form") else "null")
    if parameter.range is not None:
        if base in ("int", "float", "any"):
            example = inside(parameter.range, whole=base == "int")
            text = f"a {'whole ' if base == 'int' else ''}number in {parameter.range}: {setting(example)}"
            text += f", or None: {none}" if base == "any" and none else ""
        else:
            whole = "whole " if parameter.item_type == "int" else ""
            text += f"; each a {whole}number in {parameter.range}"
    if parameter.optional and base != "any" and none and not range_excludes_none(parameter):
        text += f", or None: {none}"
    return text


def range_excludes_none(parameter: Parameter) -> bool:
    """A range asks for numbers: None only when declared (``x: float | None``) or the default is None."""
    return parameter.range is not None and not (
        parameter.type_name.endswith(" | None") or parameter.base_type == "any"
    )
