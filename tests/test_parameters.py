"""Reading a notebook's parameters with ast, and coercing values to their types."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from mlcheck.errors import NotebookError, ParameterError
from mlcheck.runs.parameters import (
    coerce_parameters,
    load_notebook,
    load_parameter_file,
    parse_parameters,
    read_parameters,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"


def by_name(source: str) -> dict:
    return {p.name: p for p in parse_parameters(source)}


def test_types_from_annotations_type_comments_and_defaults():
    params = by_name(
        "a: int = 5  # trees\n"
        "b = 0.5  # cut-off\n"
        "c = 'x'  # type: str\n"
        "d = True\n"
        "e: list[str] = ['x']\n"
        "f = {'k': 1}\n"
        "g: Optional[int] = None\n"
        "h: float | None = 1.0\n"
        "i = None\n"
        "j = 3  # type: float\n"
    )
    assert {n: p.type_name for n, p in params.items()} == {
        "a": "int", "b": "float", "c": "str", "d": "bool", "e": "list", "f": "dict",
        "g": "int | None", "h": "float | None", "i": "any", "j": "float",
    }
    assert params["a"].default == 5 and params["a"].comment == "trees"
    assert params["b"].comment == "cut-off"
    assert params["c"].comment == ""  # a type comment is not help text


def test_non_literal_default_keeps_its_source():
    params = by_name("import os\npath = os.path.join('a', 'b')\nn: int = 2 * 3\n")
    assert params["path"].default is None and params["path"].default_source == "os.path.join('a', 'b')"
    assert params["n"].type_name == "int" and params["n"].default_source == "2 * 3"


def test_cli_strings_are_coerced_to_the_declared_or_default_type():
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    coerced = coerce_parameters(
        params,
        {"threshold": "1", "n_rows": "20", "flag": "yes", "columns": "[c, d]", "opts": "{k: 2}",
         "optional_n": "none", "label": "7", "anything": "[1, 2]"},
    )
    assert coerced == {"threshold": 1.0, "n_rows": 20, "flag": True, "columns": ["c", "d"], "opts": {"k": 2},
                       "optional_n": None, "label": "7", "anything": [1, 2]}
    assert isinstance(coerced["threshold"], float)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("n_rows", "1.5", "must be int"), ("n_rows", "ten", "must be int"), ("flag", "maybe", "must be bool"),
     ("threshold", "high", "must be float"), ("columns", "{a: 1}", "must be list"), ("n_rows", True, "boolean")],
)
def test_values_that_cannot_be_coerced_are_refused_with_the_parameter_named(name, value, expected):
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    with pytest.raises(ParameterError) as error:
        coerce_parameters(params, {name: value}, notebook="typed.ipynb")
    message = str(error.value)
    assert f"parameter {name!r}" in message and expected in message
    assert "threshold" in message and "n_rows" in message  # the listing of the notebook's parameters


def test_unknown_parameter_lists_the_known_ones():
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    with pytest.raises(ParameterError, match="unknown parameter 'treshold'") as error:
        coerce_parameters(params, {"treshold": "1"}, notebook="typed.ipynb")
    assert "threshold   float" in str(error.value)


def test_notebook_without_parameters_cell_refuses_any_parameter():
    assert read_parameters(NOTEBOOKS / "no_params.ipynb") == []
    with pytest.raises(ParameterError, match="no parameters cell"):
        coerce_parameters([], {"x": "1"}, notebook="no_params.ipynb")


def test_parameter_file_yaml_and_json(tmp_path):
    (tmp_path / "p.yaml").write_text("n_rows: 3\nthreshold: 2\ncolumns: [x]\n")
    (tmp_path / "p.json").write_text(json.dumps({"flag": True}))
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    assert coerce_parameters(params, load_parameter_file(tmp_path / "p.yaml")) == {
        "n_rows": 3, "threshold": 2.0, "columns": ["x"]}
    assert coerce_parameters(params, load_parameter_file(tmp_path / "p.json")) == {"flag": True}


@pytest.mark.parametrize("content", ["[1, 2]", "a: [", "- x\n- y\n"])
def test_bad_parameter_files(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ParameterError, match="bad.yaml"):
        load_parameter_file(path)
    with pytest.raises(ParameterError, match="not found"):
        load_parameter_file(tmp_path / "missing.yaml")


def test_bad_notebooks_raise_notebook_error(tmp_path):
    with pytest.raises(NotebookError, match="not found"):
        load_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(NotebookError, match="not a valid notebook"):
        load_notebook(NOTEBOOKS / "corrupt.ipynb")
    with pytest.raises(NotebookError, match="directory"):
        load_notebook(tmp_path)


def test_parameters_cell_with_a_syntax_error():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = = 1", metadata={"tags": ["parameters"]}))
    with pytest.raises(NotebookError, match="not valid Python"):
        read_parameters(nb)


def test_input_notebook_is_never_modified():
    before = (NOTEBOOKS / "typed.ipynb").read_bytes()
    read_parameters(NOTEBOOKS / "typed.ipynb")
    assert (NOTEBOOKS / "typed.ipynb").read_bytes() == before
