"""Parameter values as text, in Python (runview.value_text) and TypeScript (src/values.ts): one rule.

The server writes a run's values into the form of its executed notebook with
``value_text``; "Run again" sends a run's values with ``valueText``; and the
form's quick check (``checkValue``) must never refuse what the server's parser
accepts. Each text must read back, through mlcheck's parser, as the value it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


from mlcheck.errors import ParameterError
from mlcheck.runs.parameters import Parameter, TextValue, coerce_parameters
from mlcheck_jupyter.runview import value_text

EXTENSION = Path(__file__).resolve().parents[2]

VALUES: list[tuple[str, Any]] = [
    ("float", -0.001), ("float", 1e-7), ("float", 1e20), ("float", 0.5), ("float", -2.0),
    ("int", 3), ("int", -5), ("int", 10**18), ("bool", True), ("bool", False),
    ("str", "-1e-3"), ("str", "--help"), ("str", "a: b"), ("str", ""), ("str", "[1, 2"), ("str", "😀 ü"),
    ("list", [1, "a"]), ("list", []), ("dict", {"k": [1, 2], "n": None}),
    ("int | None", None), ("float | None", None), ("str | None", None),
]  # fmt: skip

TYPED = [
    "1", "-7", "+3", "1e3", "5.0", "1_000", " 7 ", "0x10", "1.5", "2,5", "abc", "", "nan", "inf", "-inf",
    "Infinity", "-1e-3", ".5", "5.", "1e400", "None", "null", "~", "true",
]  # fmt: skip
TYPES = ["int", "float", "int | None", "float | None"]


DEFAULTS: dict[str, tuple[Any, str]] = {
    "int": (0, "0"), "float": (0.0, "0.0"), "bool": (False, "False"), "str": ("", "''"),
    "list": ([], "[]"), "dict": ({}, "{}"),
}  # fmt: skip


def read_back(type_name: str, text: str) -> Any:
    """What ``mlcheck run -p p TEXT`` gives a parameter of this type (declared with a default of it)."""
    default, source = (None, "None") if type_name.endswith(" | None") else DEFAULTS[type_name]
    parameter = Parameter("p", type_name, default, source, declared=True)
    return coerce_parameters([parameter], {"p": TextValue(text)})["p"]


def test_values_read_back_as_themselves_from_python_and_typescript_text(node_script):
    from_ts = node_script("values_cli.cjs", {"texts": [value for _, value in VALUES], "checks": []})["texts"]
    for (type_name, value), ts_text in zip(VALUES, from_ts):
        py_text = value_text(value)
        assert read_back(type_name, py_text) == value, (type_name, value, py_text)
        assert read_back(type_name, ts_text) == value, (type_name, value, ts_text)


def test_the_form_never_refuses_what_the_parser_accepts(node_script):
    pairs = [(type_name, text) for type_name in TYPES for text in TYPED]
    verdicts = node_script("values_cli.cjs", {"texts": [], "checks": pairs})["checks"]
    refused_but_valid = []
    for (type_name, text), verdict in zip(pairs, verdicts):
        try:
            read_back(type_name, text)
        except ParameterError:
            continue  # the form may let it through: the server's check names it a moment later
        if verdict is not None:
            refused_but_valid.append((type_name, text, verdict))
    assert refused_but_valid == []
