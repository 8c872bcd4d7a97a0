"""Notebook parameters: read with ast, typed by their declaration, every value as given (issue 11, items 5-12).

The end-to-end tests run a real kernel once (module fixture) and read the
values back as the kernel saw them.
"""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import nbformat
import pytest
import tomllib
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlcheck.cli import main
from mlcheck.cli.main import build_parser
from mlcheck.errors import NotebookError, ParameterError, UsageError
from mlcheck.runs import run_notebook
from mlcheck.runs.parameter_values import MAX_DEPTH, MAX_ITEMS, PlainScalar, ValueRefused, load_yaml
from mlcheck.runs.parameters import (
    RawText,
    TextValue,
    coerce_parameter,
    coerce_parameters,
    inject_parameters,
    load_notebook,
    load_parameter_file,
    parameter_file_text,
    parse_parameters,
    read_parameters,
    require_python_kernel,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"


def by_name(source: str) -> dict:
    return {p.name: p for p in parse_parameters(source)}


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as strict readers (JavaScript, jq, Go) do."""

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# -- reading the parameters cell -------------------------------------------------
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
        "k = (320, 320)\n"
        "m = [1, 'a']\n"
    )
    assert {n: p.type_name for n, p in params.items()} == {
        "a": "int",
        "b": "float",
        "c": "str",
        "d": "bool",
        "e": "list[str]",
        "f": "dict",
        "g": "int | None",
        "h": "float | None",
        "i": "any",
        "j": "float",
        "k": "tuple[int]",
        "m": "list",
    }
    assert params["a"].default == 5 and params["a"].comment == "trees"
    assert params["b"].comment == "cut-off"
    assert params["c"].comment == ""  # a type comment is not help text
    assert params["a"].declared and not params["b"].declared


def test_item_10_papermill_type_comments_with_help():
    params = by_name("alpha: float = 0.1  # type: float learning rate\nn = 100  # type: int rows\n")
    assert (params["alpha"].type_name, params["alpha"].comment) == ("float", "learning rate")
    assert (params["n"].type_name, params["n"].comment) == ("int", "rows")
    assert coerce_parameter(params["alpha"], TextValue("1e-3")) == 0.001


def test_non_literal_default_keeps_its_source():
    params = by_name("import os\npath = os.path.join('a', 'b')\nn: int = 2 * 3\n")
    assert params["path"].default is None and params["path"].default_source == "os.path.join('a', 'b')"
    assert params["n"].type_name == "int" and params["n"].default_source == "2 * 3"


def test_item_11_magics_in_the_parameters_cell_are_read_like_papermill():
    params = by_name("%matplotlib inline\n!echo hi\nalpha = 0.5  # rate\n%env X=1\nn: int = 3\n")
    assert [(p.name, p.type_name, p.comment) for p in params.values()] == [
        ("alpha", "float", "rate"),
        ("n", "int", ""),
    ]
    assert list(by_name("%%time\nalpha = 0.5\n")) == ["alpha"]  # a cell magic's body holds the assignments


def test_parameters_cell_with_a_syntax_error():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = = 1", metadata={"tags": ["parameters"]}))
    with pytest.raises(NotebookError, match="not valid Python"):
        read_parameters(nb)


def test_input_notebook_is_never_modified():
    before = (NOTEBOOKS / "typed.ipynb").read_bytes()
    read_parameters(NOTEBOOKS / "typed.ipynb")
    assert (NOTEBOOKS / "typed.ipynb").read_bytes() == before


def test_bad_notebooks_raise_notebook_error(tmp_path):
    with pytest.raises(NotebookError, match="not found"):
        load_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(NotebookError, match="not a valid notebook"):
        load_notebook(NOTEBOOKS / "corrupt.ipynb")
    with pytest.raises(NotebookError, match="directory"):
        load_notebook(tmp_path)


# -- typed parameters follow their type ------------------------------------------
def test_command_line_text_is_read_by_the_declared_or_default_type():
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    given = {
        "threshold": "1",
        "n_rows": "20",
        "flag": "yes",
        "columns": "[c, d]",
        "opts": "{k: 2}",
        "optional_n": "none",
        "label": "7",
        "anything": "[1, 2]",
    }
    coerced = coerce_parameters(params, {name: TextValue(value) for name, value in given.items()})
    assert coerced == {
        "threshold": 1.0,
        "n_rows": 20,
        "flag": True,
        "columns": ["c", "d"],
        "opts": {"k": 2},
        "optional_n": None,
        "label": "7",
        "anything": [1, 2],
    }
    assert isinstance(coerced["threshold"], float)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n_rows", "1.5", "must be int"),
        ("n_rows", "ten", "must be int"),
        ("flag", "maybe", "must be bool"),
        ("threshold", "high", "must be float"),
        ("columns", "{a: 1}", "must be list"),
        ("n_rows", True, "boolean"),
        ("threshold", "1e999", "too large"),
        ("n_rows", RawText("5"), "-r passes text"),
    ],
)
def test_values_that_cannot_be_coerced_are_refused_with_the_parameter_named(name, value, expected):
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    if isinstance(value, str) and not isinstance(value, RawText):
        value = TextValue(value)
    with pytest.raises(ParameterError) as error:
        coerce_parameters(params, {name: value}, notebook="typed.ipynb")
    message = str(error.value)
    assert f"parameter {name!r}" in message and expected in message
    assert "accepted: " in message  # a form to copy
    assert "threshold" in message and "n_rows" in message  # the listing of the notebook's parameters
    assert error.value.parameter == name


def test_unknown_parameter_lists_the_known_ones():
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    with pytest.raises(ParameterError, match="unknown parameter 'treshold'") as error:
        coerce_parameters(params, {"treshold": "1"}, notebook="typed.ipynb")
    assert "threshold   float" in str(error.value)


def test_notebook_without_parameters_cell_refuses_any_parameter():
    assert read_parameters(NOTEBOOKS / "no_params.ipynb") == []
    with pytest.raises(ParameterError, match="no parameters cell"):
        coerce_parameters([], {"x": "1"}, notebook="no_params.ipynb")


# -- item 5: None-default parameters, papermill's rule made safe ------------------
UNTYPED = by_name("store_id = None")["store_id"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO", "NO"),  # YAML 1.1 made it False
        ("Hello: world", "Hello: world"),  # YAML made it a dict
        ("''", "''"),  # YAML made it None
        ("#tag", "#tag"),  # YAML made it None
        ("1e-3", 0.001),  # YAML 1.1 left it a string
        ("2024-01-31", "2024-01-31"),  # YAML 1.1 made it a date, which then crashed the job
        ("", ""),
        ("None", None),
        ("true", True),
        ("False", False),
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        ("0.5", 0.5),
        ("{name}", "{name}"),  # a format string, not a mapping
        ("[a, 1]", ["a", 1]),
        ("{k: 1}", {"k": 1}),
        ("yes", "yes"),  # papermill's -p reads it as text
    ],
)
def test_item_5_untyped_command_line_values(text, expected):
    assert coerce_parameter(UNTYPED, TextValue(text)) == expected


@pytest.mark.parametrize("text", ["0123", "0x1F", "0o17", "0b101", "1_000", "-007"])
def test_item_5_ambiguous_numbers_are_refused_with_the_forms_that_decide(text):
    with pytest.raises(ParameterError) as error:
        coerce_parameter(UNTYPED, TextValue(text))
    message = str(error.value)
    assert "parameter 'store_id'" in message and "ambiguous" in message
    assert "-r store_id 0123" in message and "store_id: '0123'" in message
    assert coerce_parameter(UNTYPED, RawText(text)) == text  # -r passes the text


@pytest.mark.parametrize("text", ["[1, 2", "[a, [b]", "{k: [1}", "{k: 1"])
def test_an_untyped_list_or_mapping_cut_short_is_refused(text):
    """'[1, 2' became the text '[1, 2' while '{a: [}' was refused: both are typos."""
    with pytest.raises(ParameterError, match="opens a list or mapping it does not close"):
        coerce_parameter(UNTYPED, TextValue(text))
    assert coerce_parameter(UNTYPED, RawText(text)) == text  # -r passes the text
    assert coerce_parameter(UNTYPED, TextValue("[draft] note")) == "[draft] note"  # balanced: text


def test_item_5_non_finite_untyped_values():
    assert math.isnan(coerce_parameter(UNTYPED, TextValue("nan")))
    assert coerce_parameter(UNTYPED, TextValue("-inf")) == -math.inf


def test_item_5_json_file_values_are_parsed_once(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"store_id": "0123"}))
    assert coerce_parameters([UNTYPED], load_parameter_file(path)) == {"store_id": "0123"}
    path.write_text('{"store_id": 123}')
    assert coerce_parameters([UNTYPED], load_parameter_file(path)) == {"store_id": 123}


def test_item_5_pyproject_values_are_taken_as_given():
    table = tomllib.loads('store_id = "0123"\nrun_date = 2024-01-31\nn = 3\n')
    params = list(by_name("store_id = None\nrun_date = None\nn = None").values())
    assert coerce_parameters(params, table) == {"store_id": "0123", "run_date": "2024-01-31", "n": 3}


# -- item 6: -f files, parsed once, YAML 1.2 or refused ---------------------------
def test_item_6_unquoted_file_scalars_reach_str_parameters_as_written(tmp_path):
    params = list(
        by_name("store_id = '00000'\nmodel_version = '1.0'\ncountry = 'SE'\nn = 1\nflag = False").values()
    )
    path = tmp_path / "p.yaml"
    path.write_text("store_id: 02142\nmodel_version: 1.10\ncountry: NO\nn: 0123\nflag: yes\n")
    assert coerce_parameters(params, load_parameter_file(path)) == {
        "store_id": "02142",
        "model_version": "1.10",
        "country": "NO",
        "n": 123,
        "flag": True,
    }
    cli = {"store_id": TextValue("02142"), "model_version": TextValue("1.10")}
    assert coerce_parameters(params, cli) == {
        "store_id": "02142",
        "model_version": "1.10",
    }  # the same with -p


@pytest.mark.parametrize(
    ("line", "expected"),
    [("x: 0123", "ambiguous"), ("x: no", "ambiguous"), ("x: On", "ambiguous"), ("x: [a, off]", "ambiguous")],
)
def test_item_6_ambiguous_file_scalars_for_untyped_parameters_are_refused(tmp_path, line, expected):
    path = tmp_path / "p.yaml"
    path.write_text(line + "\n")
    with pytest.raises(ParameterError, match=expected) as error:
        coerce_parameters(list(by_name("x = None").values()), load_parameter_file(path))
    assert "x: '0123'" in str(error.value)  # the quoted form


def test_item_6_file_scalars_follow_yaml_1_2_for_untyped_parameters(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "a: 1e-3\nb: 2024-01-31\nc: ~\nd:\ne: 'yes'\nf: 0x1F_not\ng: true\nh: .inf\ni: [1, '01', x]\n"
    )
    params = list(by_name("\n".join(f"{name} = None" for name in "abcdefghi")).values())
    assert coerce_parameters(params, load_parameter_file(path)) == {
        "a": 0.001,
        "b": "2024-01-31",
        "c": None,
        "d": None,
        "e": "yes",
        "f": "0x1F_not",
        "g": True,
        "h": math.inf,
        "i": [1, "01", "x"],
    }


@pytest.mark.parametrize(
    "content", ["[1, 2]", "a: [", "- x\n- y\n", "a: 1\na: 2\n", "1: x\n", "a: !!python/name:os.system x\n"]
)
def test_bad_parameter_files(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ParameterError, match="bad.yaml"):
        load_parameter_file(path)
    with pytest.raises(ParameterError, match="not found"):
        load_parameter_file(tmp_path / "missing.yaml")


def test_parameter_file_yaml_and_json(tmp_path):
    (tmp_path / "p.yaml").write_text("n_rows: 3\nthreshold: 2\ncolumns: [x]\n")
    (tmp_path / "p.json").write_text(json.dumps({"flag": True}))
    params = read_parameters(NOTEBOOKS / "typed.ipynb")
    assert coerce_parameters(params, load_parameter_file(tmp_path / "p.yaml")) == {
        "n_rows": 3,
        "threshold": 2.0,
        "columns": ["x"],
    }
    assert coerce_parameters(params, load_parameter_file(tmp_path / "p.json")) == {"flag": True}


def test_files_keep_unquoted_scalars_as_text_until_typed():
    assert load_yaml("a: 01\nb: '01'\n") == {"a": PlainScalar("01"), "b": "01"}
    assert type(load_yaml("b: '01'\n")["b"]) is str


# -- item 7: lists from bare words, malformed and oversized text ---------------------
LIST = by_name("drop_columns = ['a']")["drop_columns"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TextValue("couple_id"), ["couple_id"]),
        (TextValue("a,b"), ["a", "b"]),
        (TextValue("a, b"), ["a", "b"]),
        (TextValue("[a, 'b, c']"), ["a", "b, c"]),
        (TextValue('["x", "y"]'), ["x", "y"]),
        (TextValue(""), []),
        (TextValue("[1, 2]"), ["1", "2"]),  # list[str]: items as written
        ("couple_id", ["couple_id"]),  # pyproject: drop_columns = "couple_id"
        (PlainScalar("couple_id"), ["couple_id"]),  # YAML: drop_columns: couple_id
        (["x"], ["x"]),
    ],
)
def test_item_7_a_list_parameter_takes_a_bare_word_or_commas(value, expected):
    assert coerce_parameter(LIST, value) == expected


def test_item_7_untyped_list_items_follow_the_untyped_rule():
    numbers = by_name("ids = []")["ids"]
    assert coerce_parameter(numbers, TextValue("1,2,x")) == [1, 2, "x"]
    ints = by_name("ids: list[int] = []")["ids"]
    assert coerce_parameter(ints, TextValue("1, 02")) == [1, 2]


@pytest.mark.parametrize(
    ("parameter", "text", "expected"),
    [
        (LIST, "[1, 2", "not a valid list"),
        (LIST, "a,,b", "empty item"),
        (LIST, "{a: 1}", "not a list"),
        (LIST, "[" * 5000 + "]" * 5000, f"deeper than {MAX_DEPTH}"),
        (by_name("n = 1")["n"], "9" * 5000, "5000 digits"),
        (UNTYPED, "9" * 5000, "5000 digits"),
        (by_name("x = 0.5")["x"], "1" * 400 + ".5", "401 digits"),
        (UNTYPED, "[" * 5000 + "]" * 5000, f"deeper than {MAX_DEPTH}"),
    ],
)
def test_item_7_malformed_and_oversized_values_are_refused_cleanly(parameter, text, expected):
    with pytest.raises(ParameterError, match=expected) as error:
        coerce_parameter(parameter, TextValue(text))
    assert "accepted: " in str(error.value)


def test_item_7_python_values_are_bounded_too():
    nested: list = []
    for _ in range(MAX_DEPTH + 5):
        nested = [nested]
    with pytest.raises(ParameterError, match="deeper"):
        coerce_parameter(UNTYPED, nested)
    with pytest.raises(ParameterError, match="more than"):
        coerce_parameter(UNTYPED, list(range(MAX_ITEMS + 1)))
    with pytest.raises(ParameterError, match="cannot be written into a notebook"):
        coerce_parameter(UNTYPED, {1, 2})


# -- item 8: bombs refused at once -------------------------------------------------------
def test_item_8_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for index, name in enumerate("bcdef"):
        previous = "abcdef"[index]
        levels.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n")  # ~600 bytes, 111,111 items once expanded
    assert path.stat().st_size < 700
    with pytest.raises(ParameterError, match=r"aliases \(\*a\) are not expanded"):
        load_parameter_file(path)


def test_item_8_deep_and_large_files_are_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ParameterError, match="deeper than"):
        load_parameter_file(path)
    path.write_text("x: [" + ", ".join(["1"] * (MAX_ITEMS + 1)) + "]\n")
    with pytest.raises(ParameterError, match="more than"):
        load_parameter_file(path)
    with pytest.raises(ValueRefused, match="characters"):
        load_yaml("x" * 1_000_001)


# -- item 9: values that start with '-' ----------------------------------------------------
def test_item_9_values_starting_with_a_dash_reach_the_parameters():
    words = shlex.split(
        "run nb.ipynb -p f -1e-3 -p x -inf -r s --flag --timeout 5 --parameter y -.5 -r f 0123"
    )
    args = build_parser().parse_args(words)
    assert args.parameter == [["f", "-1e-3"], ["x", "-inf"], ["y", "-.5"]]
    assert args.raw_parameter == [["s", "--flag"], ["f", "0123"]]
    assert args.timeout == 5.0 and args.notebook == "nb.ipynb"


def test_item_9_missing_values_are_still_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["run", "nb.ipynb", "-p", "f"])
    assert exit_info.value.code == 2 and "expected 2 arguments" in capsys.readouterr().err


# -- item 10: tuples, None on str, nan ----------------------------------------------------------
def test_item_10_tuples_none_and_nan():
    params = by_name(
        "size = (320, 320)\nend_date = '2024-12-31'\nlabel: str = 'x'\nthreshold = 0.5\nwho: str | None = 'a'"
    )
    assert coerce_parameter(params["size"], TextValue("(640, 480)")) == (640, 480)
    assert coerce_parameter(params["size"], TextValue("640,480")) == (640, 480)
    assert coerce_parameter(params["size"], [1, 2]) == (1, 2)
    assert coerce_parameter(params["end_date"], TextValue("None")) is None
    assert coerce_parameter(params["who"], TextValue("None")) is None
    assert coerce_parameter(params["end_date"], RawText("None")) == "None"
    assert coerce_parameter(params["label"], TextValue("None")) == "None"  # declared str, not optional: text
    with pytest.raises(ParameterError, match="excludes None"):
        coerce_parameter(params["label"], None)
    assert math.isnan(coerce_parameter(params["threshold"], TextValue("nan")))


def test_item_10_injected_cell_writes_tuples_and_non_finite_numbers_as_python():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("size = (1, 1)", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(size)"),
    ]
    values = {"size": (640, 480), "one": (1,), "t": math.nan, "m": {1: "a"}, "s": 'a "q"\n'}
    inject_parameters(nb, values)
    cell = nb.cells[1]
    assert cell.metadata["tags"] == ["injected-parameters"]
    namespace: dict = {}
    exec(cell.source, namespace)  # noqa: S102 - the injected cell, written by us, must give back the values
    assert namespace["size"] == (640, 480) and namespace["one"] == (1,) and namespace["m"] == {1: "a"}
    assert math.isnan(namespace["t"]) and namespace["s"] == 'a "q"\n'
    assert strict_json(json.dumps(nb.metadata["papermill"]["parameters"]))["t"] == "nan"


# -- item 12: other languages ---------------------------------------------------------------------
def test_item_12_a_notebook_in_another_language_is_refused_with_exit_2(capsys):
    with pytest.raises(NotebookError, match="written in r .*mlcheck runs Python notebooks only") as error:
        read_parameters(NOTEBOOKS / "r_language.ipynb")
    assert "papermill r_language.ipynb out.ipynb" in str(error.value)
    assert main(["run", str(NOTEBOOKS / "r_language.ipynb"), "-p", "alpha", "0.2"]) == 2
    assert "mlcheck runs Python notebooks only" in capsys.readouterr().err
    assert main(["params", str(NOTEBOOKS / "r_language.ipynb")]) == 2


def test_item_12_a_kernel_in_another_language_is_refused_before_anything_runs(tmp_path, monkeypatch):
    kernel_dir = tmp_path / "jupyter" / "kernels" / "fakebash"
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(
        json.dumps({"argv": ["bash"], "display_name": "Bash", "language": "bash"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    with pytest.raises(
        UsageError, match="the kernel 'fakebash' runs bash; mlcheck jobs need a Python kernel"
    ):
        run_notebook(NOTEBOOKS / "typed.ipynb", runs_dir=tmp_path / "runs", kernel="fakebash")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("run.json"))
    require_python_kernel("python3", "python")  # no error
    require_python_kernel("python3", None)  # unknown language: left to the kernel's start


# -- end to end, one real kernel --------------------------------------------------------------------
@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """parameter_values.ipynb run once by the command line with every kind of value."""
    folder = tmp_path_factory.mktemp("parameters")
    (folder / "p.yaml").write_text("model_version: 1.10\nzip_code: 02142\n")
    code = main([
        "run", str(NOTEBOOKS / "parameter_values.ipynb"), "--runs-dir", str(folder / "runs"),
        "--progress", "none", "--no-report", "-f", str(folder / "p.yaml"),
        "-r", "store_id", "0123", "-p", "run_date", "2024-01-31", "-p", "lower", "-inf", "-p", "threshold", "nan",
        "-p", "shift", "-1e-3", "-p", "size", "640,480", "-p", "drop_columns", "couple_id", "-p", "end_date", "None",
    ])  # fmt: skip
    (run_json,) = (folder / "runs").rglob("run.json")
    return code, run_json


def test_end_to_end_values_arrive_in_the_kernel_exactly_as_given(job):
    code, run_json = job
    record = strict_json(run_json.read_text())  # item 10: no bare NaN in run.json
    assert code == 0 and record["status"] == "succeeded"
    seen, types = record["values"]["seen"], record["values"]["types"]
    assert seen == {
        "store_id": "'0123'",  # -r
        "run_date": "'2024-01-31'",  # item 5: a date is text, not a crash
        "lower": "-inf",  # item 9
        "threshold": "nan",  # item 10
        "shift": "-0.001",  # item 9
        "size": "(640, 480)",  # item 10
        "drop_columns": "['couple_id']",  # item 7
        "end_date": "None",  # item 10
        "model_version": "'1.10'",  # item 6
        "zip_code": "'02142'",  # item 6
        "alpha": "0.1",
    }
    assert types["size"] == "tuple" and types["threshold"] == "float"
    assert record["values"]["magic"] == "ran"  # item 11: the parameters cell's %env ran
    assert record["parameters"]["threshold"] == "nan" and record["parameters"]["size"] == [640, 480]


def test_end_to_end_output_notebook_is_strict_json_with_papermills_metadata(job):
    _, run_json = job
    output = run_json.parent / "output.ipynb"
    notebook = strict_json(output.read_text())
    assert notebook["metadata"]["papermill"]["parameters"]["lower"] == "-inf"
    injected = [c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "size = (640, 480)" in "".join(injected[0]["source"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "store_id", "0123"], "parameter 'store_id' (untyped) cannot take '0123'"),
        (["-p", "size", "[1, 2"], "parameter 'size' must be tuple[int]"),
        (["-p", "shift", "9" * 5000], "5000 digits"),
        (["-r", "shift", "1"], "-r passes text"),
    ],
)
def test_every_unusable_value_is_exit_2_naming_the_parameter(args, expected, tmp_path, capsys):
    code = main(["run", str(NOTEBOOKS / "parameter_values.ipynb"), "--runs-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "accepted: " in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing ran


# -- the pytest plugin reads pyproject and --mlcheck-param through the same rule ----------------------
pytest_plugins = ["pytester"]


def _project(pytester: pytest.Pytester, table: str) -> None:
    target = pytester.path / "parameter_values.ipynb"
    target.write_bytes((NOTEBOOKS / "parameter_values.ipynb").read_bytes())
    pytester.makefile(
        ".toml",
        pyproject=f'[tool.mlcheck]\nnotebooks = ["*.ipynb"]\n[tool.mlcheck.parameters."parameter_values.ipynb"]\n{table}\n',
    )


def test_item_7_pyproject_bare_word_for_a_list_is_no_internal_error(pytester: pytest.Pytester) -> None:
    _project(pytester, 'drop_columns = "couple_id"\nstore_id = "0123"\nsize = [640, 480]')
    result = pytester.runpytest("--co", "-q", "--mlcheck-no-run", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_item_5_mlcheck_param_reads_text_like_the_command_line(pytester: pytest.Pytester) -> None:
    _project(pytester, "threshold = 0.5")
    result = pytester.runpytest(
        "--co",
        "-q",
        "--mlcheck-no-run",
        "-p",
        "no:cacheprovider",
        "--mlcheck-param",
        "parameter_values.ipynb:store_id=0123",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "parameter 'store_id' (untyped) cannot take '0123'" in errors and "Traceback" not in errors


# -- a parameter file written for coerced values reads back as them (the JupyterLab panel's path) ------------
def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or left == right
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return type(left) is type(right) and len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_untyped_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None, derandomize=True)
@example(
    untyped={"k" * 1100: [None]},
    text="\x85\U0001f600",
    number=-0.0,
    whole=0,
    size=(0, 0),
    names=[],
    flag=True,
)
@given(
    untyped=_untyped_values,
    text=st.text(),
    number=st.floats(allow_nan=True),
    whole=st.integers(min_value=-(10**40), max_value=10**40),
    size=st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)),
    names=st.lists(st.text(), max_size=5),
    flag=st.booleans(),
)
def test_parameter_file_text_reads_back_exactly(
    tmp_path_factory, untyped, text, number, whole, size, names, flag
):
    params = parse_parameters(
        "untyped = None\ntext = 'x'\nnumber = 0.5\nwhole = 1\nsize = (320, 320)\nnames = ['a']\nflag = False\n"
    )
    values = {
        "untyped": untyped,
        "text": text,
        "number": number,
        "whole": whole,
        "size": size,
        "names": names,
    }
    values["flag"] = flag
    path = tmp_path_factory.mktemp("file") / "p.yaml"
    path.write_text(parameter_file_text(values), encoding="utf-8")
    assert _same(coerce_parameters(params, load_parameter_file(path)), values)


@settings(max_examples=150, deadline=None, derandomize=True)
@example(text="0123")
@example(text="-1e-3")
@example(text="[a, 'b']")
@given(text=st.text(max_size=60) | st.from_regex(r"[-+]?[0-9._xeE]{1,8}|\[[a-z0-9, ]{0,8}\]", fullmatch=True))
def test_text_tagged_in_a_parameter_file_reads_like_the_command_line(tmp_path_factory, text):
    params = parse_parameters("untyped = None\nnumber = 0.5\nnames = ['a']\nsize = (1, 1)\nlabel = 'x'\n")
    path = tmp_path_factory.mktemp("file") / "p.yaml"
    for parameter in params:
        path.write_text(parameter_file_text({parameter.name: text}, as_text=True), encoding="utf-8")
        outcomes = []
        for values in ({parameter.name: TextValue(text)}, load_parameter_file(path)):
            try:
                outcomes.append(("value", coerce_parameters(params, values)))
            except ParameterError as error:
                outcomes.append(("refused", str(error)))
        (kind, first), (other_kind, second) = outcomes
        assert kind == other_kind and (kind == "refused" or _same(first, second)), (parameter.name, text)


def test_none_spellings_for_str_parameters_are_papermills_none_or_a_files_null(tmp_path):
    end_date = by_name("end_date = '2024-12-31'")["end_date"]
    assert coerce_parameter(end_date, TextValue("None")) is None
    assert coerce_parameter(end_date, TextValue("null")) == "null"  # a word someone may mean
    assert coerce_parameter(end_date, TextValue("")) == ""
    path = tmp_path / "p.yaml"
    path.write_text("end_date: null\n")
    assert coerce_parameters([end_date], load_parameter_file(path)) == {"end_date": None}
    path.write_text("end_date:\n")
    assert coerce_parameters([end_date], load_parameter_file(path)) == {"end_date": None}


def test_a_float_for_a_str_parameter_is_refused_because_its_text_is_gone():
    version = by_name("model_version = '1.0'")["model_version"]
    table = tomllib.loads("model_version = 1.10\nstore = 2142\n")  # TOML has already made 1.10 into 1.1
    with pytest.raises(ParameterError, match="quote it"):
        coerce_parameter(version, table["model_version"])
    assert coerce_parameter(version, table["store"]) == "2142"


def test_a_broken_parameters_cell_is_named_by_the_cell_number_users_see(tmp_path):
    """F7: the message said "cell 0" for the first cell, while every other message counts from 1."""
    import nbformat

    from mlcheck.errors import NotebookError
    from mlcheck.runs.parameters import read_parameters

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("import os"),
        nbformat.v4.new_code_cell("x = = 1", metadata={"tags": ["parameters"]}),
    ]
    with pytest.raises(NotebookError, match=r"the parameters cell \(cell 2\) is not valid Python"):
        read_parameters(nb)


# -- ranges: `sample = 0.1  # fraction of rows, in (0, 1]` (issue 13 item 18) ---------------
import warnings  # noqa: E402

from mlcheck.runs.parameters import Range, RangeWarning, parse_range  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("fraction of rows, in [0, 1]", Range(0, 1, True, True)),
        ("fraction of rows, in (0, 1]", Range(0, 1, False, True)),
        ("in [0, 1)", Range(0, 1, True, False)),
        ("in(0,1)", Range(0, 1, False, False)),
        ("shift in [-1e-3, 2.5E2]", Range(-1e-3, 250.0, True, True)),
        ("trees, in [1, inf)", Range(1, math.inf, True, False)),
        ("in (-inf, 0]", Range(-math.inf, 0, False, True)),
        ("rows in [1_000, 10_000]; more is slow", Range(1000, 10000, True, True)),
        ("IN [.5, 1]", Range(0.5, 1, True, True)),
        ("in [2, 2]", Range(2, 2, True, True)),
        ("first counts: in [0, 1], then in [5, 6]", Range(0, 1, True, True)),
    ],
)
def test_a_range_comment_gives_the_interval(comment, expected):
    assert parse_range(comment) == expected
    assert isinstance(parse_range(comment).low, type(expected.low))  # ints stay ints: `in [1, 10]` is whole


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "fraction of rows",
        "rows kept in [a, b] order",  # not numbers: help text
        "in [0, 1",  # unclosed: help text, as papermill reads it
        "in [0 1]",
        "in [0, 1, 2]",
        "within [0, 1]",  # only the word "in"
        "0 to 1",
        "in [nan, 1]",
        "in [0x10, 20]",
        "e.g. [0, 1]",
        "in {0, 1}",
    ],
)
def test_text_that_is_not_an_interval_of_two_numbers_is_help_not_a_range(comment):
    assert parse_range(comment) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeWarning)  # some look like a range: warned, tested below
        (parameter,) = parse_parameters(f"x = 0.5  # {comment}")
    assert parameter.range is None and parameter.comment == comment


# -- F4 (session 3): typography, and text that looks like a range but is read as help ----------
@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("in [\u22121, 1]", Range(-1, 1, True, True)),  # U+2212 MINUS SIGN, what Word and LaTeX copies give
        ("in [0, \u221e)", Range(0, math.inf, True, False)),  # U+221E INFINITY
        ("in (\u2212\u221e, 0]", Range(-math.inf, 0, False, True)),
        ("in\u00a0[0,\u00a01]", Range(0, 1, True, True)),  # no-break spaces
        (
            "fraction,\u00a0in\u202f(0,\u20091]",
            Range(0, 1, False, True),
        ),  # NBSP before, narrow NBSP, thin space
    ],
)
def test_typographic_minus_infinity_and_unicode_spaces_read_as_ascii(comment, expected):
    assert parse_range(comment) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read as a range: nothing to warn about
        (parameter,) = parse_parameters(f"x: float | None = None  # {comment}")
    assert parameter.range == expected and parameter.note == ""
    with pytest.raises(ParameterError, match=r"must be a number in"):
        coerce_parameter(parameter, TextValue("nan"))


@pytest.mark.parametrize(
    ("comment", "unread"),
    [
        ("in [0, 1", "in [0, 1"),
        ("fraction, in [0; 1]", "in [0; 1]"),
        ("in [0 .. 1]", "in [0 .. 1]"),
        ("in [0, 1, 2]", "in [0, 1, 2]"),
        ("in [0, 1e]", "in [0, 1e]"),
        ("in [0 to 1]", "in [0 to 1]"),
        ("in [0, one]", "in [0, one]"),
    ],
)
def test_text_that_looks_like_a_range_but_is_not_warns_naming_the_parameter(comment, unread):
    with pytest.warns(RangeWarning) as caught:
        (parameter,) = parse_parameters(f"sample = 0.5  # {comment}")
    (warning,) = caught
    message = str(warning.message)
    assert f"the comment of 'sample' has {unread!r}" in message, message
    assert "it is help text and no range is enforced" in message and "in [low, high]" in message
    assert parameter.range is None and parameter.note == message
    assert parameter.to_dict()["note"] == message  # `mlcheck params --json` and the panel carry it
    assert coerce_parameter(parameter, TextValue("7")) == 7.0  # nothing is enforced, as the warning says


@pytest.mark.parametrize(
    "comment",
    ["rows kept in [a, b] order", "learning rate in (1e-3 is typical)", "within [0, 1]", "e.g. [0; 1]"],
)
def test_prose_with_brackets_stays_help_without_a_warning(comment):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (parameter,) = parse_parameters(f"x = 0.5  # {comment}")
    assert parameter.range is None and parameter.note == ""


def test_mlcheck_params_json_carries_the_note(tmp_path, capsys):
    notebook = tmp_path / "typo.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("sample = 0.5  # in [0; 1]", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, notebook)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the note is printed once, not also as a Python warning
        assert main(["params", str(notebook), "--json"]) == 0
        (entry,) = json.loads(capsys.readouterr().out)
        assert entry["range"] is None and "'in [0; 1]'" in entry["note"]
        assert main(["params", str(notebook)]) == 0
    printed = capsys.readouterr()
    assert "sample" in printed.out
    assert printed.err.startswith("mlcheck params: note: ") and "'in [0; 1]'" in printed.err


# -- F5 (session 3): prose intervals, several statements on a line, bounds, defaults --------------
def test_a_prose_interval_before_the_range_is_named_with_how_to_reword():
    with pytest.raises(NotebookError) as caught:
        parse_parameters("x = 0.5  # tried values in [0.1, 0.3] before; in [0, 1]")
    message = str(caught.value)
    assert "the default of 'x', 0.5, is outside its range [0.1, 0.3]" in message
    assert (
        "the first 'in [..]' of the comment is the range: [0.1, 0.3]; the comment also has [0, 1]" in message
    )
    assert "e.g. 'tried 0.1 to 0.3', or put the range first" in message
    (reworded,) = parse_parameters("x = 0.5  # in [0, 1]; tried values in [0.1, 0.3] before")
    assert str(reworded.range) == "[0, 1]"


def test_a_comment_belongs_to_the_last_statement_of_its_line():
    a, b = parse_parameters("a = 5; b = 0.5  # in [0, 1]")
    assert (a.name, a.range, a.comment) == ("a", None, "")
    assert (b.name, str(b.range), b.comment) == ("b", "[0, 1]", "in [0, 1]")
    with pytest.raises(ParameterError, match=r"'b' must be a number in \[0, 1\]"):
        coerce_parameter(b, TextValue("7"))
    assert coerce_parameter(a, TextValue("7")) == 7


def test_comments_inside_a_list_or_mapping_are_about_its_items_not_the_parameter():
    options, cols = parse_parameters(
        "options = {\n    'alpha': 0.1,  # in [0, 1]\n}\ncols = [\n    'a',  # the id\n    'b',\n]"
    )
    assert (options.type_name, options.range, options.comment) == ("dict", None, "")
    assert (cols.type_name, cols.range, cols.comment) == ("list[str]", None, "")


def test_a_value_written_over_several_lines_keeps_its_range():
    (x,) = parse_parameters("x = (\n    0.5  # in [0, 1]\n)")
    assert str(x.range) == "[0, 1]"
    with pytest.raises(ParameterError, match=r"'x' must be a number in \[0, 1\], got '7'"):
        coerce_parameter(x, TextValue("7"))


@pytest.mark.parametrize("comment", ["in [1e400, 1e500]", "in [0, 1e309]", "in [-1e999, 0]"])
def test_a_bound_too_large_for_a_float_is_an_error_not_infinity(comment):
    with pytest.raises(NotebookError) as caught:
        parse_parameters(f"x = 0.5  # {comment}")
    message = str(caught.value)
    assert "the range of 'x' has the bound" in message and "too large for a float" in message
    assert "write inf (or -inf) for a side without a bound" in message and "[inf, inf]" not in message


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("x = [[1, 2]]  # in [0, 10]", "the default of 'x', [[1, 2]], holds list items ([1, 2])"),
        ("x = [1, 'a']  # in [0, 10]", "the default of 'x', [1, 'a'], holds str items ('a')"),
        ("x = (1, {'a': 1})  # in [0, 10]", "holds dict items"),
    ],
)
def test_a_default_with_items_that_are_not_numbers_says_so_not_outside(source, says):
    with pytest.raises(NotebookError) as caught:
        parse_parameters(source)
    message = str(caught.value)
    assert says in message and "not to lists of lists" in message and "is outside" not in message


def test_an_int_parameters_range_shows_whole_bounds_as_written_for_ints():
    (n,) = parse_parameters("n = 100  # in [1, 1e3]")
    assert str(n.range) == "[1, 1000]" and n.range.to_dict()["text"] == "[1, 1000]"
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(n, TextValue("2000"))
    assert "must be a number in [1, 1000], got '2000'" in str(caught.value) and "1000.0" not in str(
        caught.value
    )
    assert str(parse_range("in [0.5, 2.5e0]")) == "[0.5, 2.5]"


@pytest.mark.parametrize(
    ("source", "type_name", "default"),
    [
        ("x = 1/3  # in [0, 1]", "float", 1 / 3),
        ("x = 2 ** 10  # in [1, inf)", "int", 1024),
        ("x = -(1e-3 * 5)  # in [-1, 0]", "float", -0.005),
        ("x = 7 // 2 % 2", "int", 1),
    ],
)
def test_a_constant_arithmetic_default_is_evaluated_with_ast(source, type_name, default):
    (x,) = parse_parameters(source)
    assert (x.type_name, x.default, x.note) == (type_name, default, "")


def test_a_constant_default_outside_the_range_is_refused():
    with pytest.raises(NotebookError, match=r"the default of 'x', -1 / 3, is outside its range \[0, 1\]"):
        parse_parameters("x = -1/3  # in [0, 1]")


@pytest.mark.parametrize(
    "default",
    [
        "float(os.environ.get('X', '1'))",
        "2 ** 100000",
        "10 ** 400 * 1.0",
        "1 / 0",
        "(-8) ** 0.5",
        "np.pi / 4",
    ],
)
def test_a_default_mlcheck_cannot_evaluate_is_said_to_be_unchecked(default):
    with pytest.warns(RangeWarning) as caught:
        (x,) = parse_parameters(f"x = {default}  # in [0, 1]")
    message = str(caught[0].message)
    assert "is an expression mlcheck does not evaluate before the run, so it is not checked" in message
    assert "'x'" in message and str(x.range) == "[0, 1]" and x.note == message
    with pytest.raises(ParameterError, match=r"must be a number in \[0, 1\]"):
        coerce_parameter(x, TextValue("7"))  # given values are still checked


@pytest.mark.parametrize("comment", ["in [1, 0]", "in (1, 1]", "in [1, 1)", "in (0, 0)", "in [inf, -inf]"])
def test_an_empty_interval_is_an_error_naming_the_parameter(comment):
    with pytest.raises(NotebookError, match=r"the range of 'x', .* holds no value.*fix the comment"):
        parse_parameters(f"x = 0.5  # {comment}")


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("name = 'a'  # in [0, 1]", r"'name' is str.*a range applies to numbers"),
        ("flag = True  # in [0, 1]", r"'flag' is bool"),
        ("opts = {'a': 1}  # in [0, 1]", r"'opts' is dict"),
        ("cols = ['a']  # in [0, 1]", r"'cols' is list\[str\]"),
        ("sample = 2.0  # fraction, in [0, 1]", r"default of 'sample', 2.0, is outside its range \[0, 1\]"),
        ("q = [0.5, 2]  # in [0, 1]", r"default of 'q'"),
        ("n: int = 0  # in (0, 10]", r"default of 'n', 0, is outside its range \(0, 10\]"),
    ],
)
def test_a_range_on_a_type_without_numbers_or_a_default_outside_it_is_an_error(source, says):
    with pytest.raises(NotebookError, match=says):
        parse_parameters(source)


def test_a_range_is_checked_wherever_values_come_from():
    sample, n, quantiles, threshold, shift = parse_parameters(
        "sample = 1.0  # fraction of rows, in (0, 1]\n"
        "n: int = 5  # trees, in [1, inf)\n"
        "quantiles = [0.1, 0.9]  # in [0, 1]\n"
        "threshold = None  # in [0, 1]\n"
        "shift: float | None = None  # in [-1, 0)\n"
    )
    assert coerce_parameter(sample, TextValue("0.25")) == 0.25
    assert coerce_parameter(sample, TextValue("1")) == 1.0
    assert coerce_parameter(sample, 0.5) == 0.5  # a file's or pyproject's number
    assert coerce_parameter(sample, PlainScalar("1e-3")) == 0.001
    assert coerce_parameter(n, TextValue("1000000")) == 1_000_000
    assert coerce_parameter(quantiles, TextValue("0,1")) == [0.0, 1.0]
    assert coerce_parameter(threshold, TextValue("None")) is None  # its default is None
    assert coerce_parameter(threshold, TextValue("0.5")) == 0.5
    assert coerce_parameter(shift, TextValue("None")) is None  # declared `| None`
    assert coerce_parameter(shift, TextValue("-1")) == -1.0
    refused = [
        (sample, TextValue("2.5")),
        (sample, TextValue("0")),  # open at 0
        (sample, 0),
        (sample, TextValue("nan")),  # NaN is in no interval
        (sample, TextValue("None")),  # a range asks for a number; the default 1.0 does not allow None
        (sample, TextValue("inf")),
        (n, TextValue("0")),
        (n, TextValue("-3")),
        (quantiles, TextValue("[0.5, 1.5]")),
        (quantiles, [0.5, -0.1]),
        (threshold, TextValue("high")),  # untyped: the text is not a number
        (threshold, RawText("0.5")),  # -r passes text, and text is not a number
        (shift, TextValue("0")),
    ]
    for parameter, value in refused:
        with pytest.raises(ParameterError) as caught:
            coerce_parameter(parameter, value)
        message = str(caught.value)
        assert f"parameter {parameter.name!r}" in message and str(parameter.range) in message, message
        assert str(value) in message.splitlines()[0] or repr(value) in message.splitlines()[0], message
        assert caught.value.parameter == parameter.name


def test_the_refusal_names_the_parameter_the_value_and_the_range_and_offers_a_value_inside():
    params = parse_parameters("sample = 1.0  # fraction of rows, in (0, 1]\nn: int = 5  # in [1, inf)")
    with pytest.raises(ParameterError) as caught:
        coerce_parameters(params, {"sample": TextValue("2.5")}, notebook="train.ipynb")
    first, accepted = str(caught.value).splitlines()[:2]
    assert first == (
        "parameter 'sample' must be a number in (0, 1], got '2.5' "
        "(its range, from the comment in the parameters cell: fraction of rows, in (0, 1])"
    )
    assert accepted == "  accepted: a number in (0, 1]: -p sample 0.5"
    assert "train.ipynb takes:" in str(caught.value)
    with pytest.raises(ParameterError, match=r"accepted: a whole number in \[1, inf\): -p n 1$"):
        coerce_parameter(params[1], TextValue("0"))


bounds = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@settings(max_examples=300, deadline=None)
@given(low=bounds, high=bounds, low_closed=st.booleans(), high_closed=st.booleans(), value=bounds)
@example(low=0, high=1, low_closed=True, high_closed=True, value=0)
@example(low=0, high=1, low_closed=False, high_closed=True, value=0)
@example(low=0, high=1, low_closed=True, high_closed=False, value=1)
@example(low=-5, high=-1, low_closed=True, high_closed=True, value=-5)
def test_any_interval_admits_exactly_its_members(low, high, low_closed, high_closed, value):
    """Open and closed bounds, ints, negatives, exponents: the value passes iff it is in the interval."""
    text = f"in {'[' if low_closed else '('}{low!r}, {high!r}{']' if high_closed else ')'}"
    empty = low > high or (low == high and not (low_closed and high_closed))
    if empty:
        with pytest.raises(NotebookError):
            parse_range(text)
        return
    found = parse_range(text)
    assert found == Range(low, high, low_closed, high_closed)
    (parameter,) = parse_parameters(f"x: float | None = None  # {text}")
    member = (low < value or (low_closed and low == value)) and (
        value < high or (high_closed and value == high)
    )
    if member:
        assert coerce_parameter(parameter, TextValue(repr(value))) == value
    else:
        with pytest.raises(ParameterError, match=r"parameter 'x' must be a number in "):
            coerce_parameter(parameter, TextValue(repr(value)))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("in [](),.-+e0123456789_ infa#x\u2212\u221e\u00a0")), max_size=40)
)
@example("in [1e999, 2]")
def test_any_comment_gives_a_range_none_or_a_clear_error(comment):
    """No comment crashes the parser: it is a range, help text, or an empty interval named as such."""
    try:
        found = parse_range(comment, name="x")
    except NotebookError as error:
        assert "holds no value" in str(error) or "too large for a float" in str(error)
        assert "'x'" in str(error)
        return
    assert found is None or isinstance(found, Range)


def test_mlcheck_run_refuses_a_value_outside_the_range_with_exit_2_before_any_cell(tmp_path, capsys):
    notebook = tmp_path / "ranged.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "sample = 0.1  # fraction of rows, in [0, 1]", metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell("open('ran', 'w').close()"),
    ]
    nbformat.write(nb, notebook)
    before = notebook.read_bytes()
    assert main(["run", str(notebook), "--runs-dir", str(tmp_path / "runs"), "-p", "sample", "2.5"]) == 2
    error = capsys.readouterr().err
    assert "parameter 'sample' must be a number in [0, 1], got '2.5'" in error and "Traceback" not in error
    assert not (tmp_path / "runs").exists() and not (tmp_path / "ran").exists()
    assert notebook.read_bytes() == before


def test_our_notebooks_declare_their_fractions():
    ranges = {}
    for path in ("example_notebooks/train.ipynb", "templates/train.ipynb"):
        ranges = {p.name: str(p.range) for p in read_parameters(REPO / path) if p.range}
        assert ranges == {"sample": "(0, 1]", "test_size": "(0, 1)"}, path
    for path in ("example_notebooks/score.ipynb", "templates/score.ipynb"):
        ranges = {p.name: str(p.range) for p in read_parameters(REPO / path) if p.range}
        assert ranges == {"max_psi": "[0, inf)", "min_coverage": "[0, 1]"}, path
    ranges = {
        p.name: str(p.range)
        for p in read_parameters(REPO / "example_notebooks/bikeshare_train.ipynb")
        if p.range
    }
    assert ranges == {"test_size": "(0, 1)"}
    ranges = {
        p.name: str(p.range)
        for p in read_parameters(REPO / "example_notebooks/bikeshare_score.ipynb")
        if p.range
    }
    fractions = {"max_out_of_range": "[0, 1]", "min_coverage": "[0, 1]", "min_roc_auc": "[0, 1]"}
    assert ranges.items() >= fractions.items()  # its other parameters may have ranges too


# -- F3 (session 3): every example of an "accepted:" hint is a value the parameter takes -------------
@pytest.mark.parametrize(
    ("source", "text", "accepted", "example"),
    [
        (
            "x = (1, 2)  # in [0, 10]",
            "1,2,30",
            "numbers separated by commas, -p x 5,5, or -p x '(5, 5)'; each a whole number in [0, 10]",
            "5,5",
        ),
        (
            "x = [1, 2]  # in [0, 10]",
            "abc",
            "numbers separated by commas, -p x 5,5, or a list, -p x '[5, 5]'; each a whole number in [0, 10]",
            "5,5",
        ),
        (
            "x = [0.1, 0.5, 0.9]  # in (0, 1)",
            "0,1,2",
            "numbers separated by commas, -p x 0.5,0.5,0.5, or a list, -p x '[0.5, 0.5, 0.5]'; each a number in (0, 1)",
            "0.5,0.5,0.5",
        ),
        ("x: list[int] = [101]  # in (100, 1e3]", "5", "-p x 550,550", "550,550"),
        ("x: tuple[int, ...] = (7, 8)  # in [7, 9)", "9,9", "-p x 8,8", "8,8"),
        ("x: list[int] = [1, 2]", "a", "-p x 1,2, or a list, -p x '[1, 2]'", "1,2"),
        ("x: list[float] = [1.0]", "a", "-p x 0.5,1.5", "0.5,1.5"),
        ("n: int = 1  # in (0.5, 3.5)", "7", "a whole number in (0.5, 3.5): -p n 2", "2"),
        ("n = 100  # in [1, 1e3]", "2000", "a whole number in [1, 1000]: -p n 500", "500"),
    ],
)
def test_the_accepted_hint_shows_values_the_parameter_takes(source, text, accepted, example):
    (parameter,) = parse_parameters(source)
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(parameter, TextValue(text))
    line = str(caught.value).splitlines()[1]
    assert line.startswith("  accepted: ") and accepted in line, line
    coerce_parameter(parameter, TextValue(example))  # the example itself is taken
    assert "320" not in line and "0.5, 1e-3, -2" not in str(caught.value)


def test_an_item_that_is_not_a_whole_number_says_so_without_examples_it_would_refuse():
    (parameter,) = parse_parameters("x = [1, 2]  # in [0, 10]")
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(parameter, TextValue("abc"))
    assert (
        str(caught.value).splitlines()[0]
        == "parameter 'x' must be list[int], got 'abc': 'abc' is not a whole number"
    )


@pytest.mark.parametrize(("source", "text", "says"), [
    ("n: int = 5", "1e400", "'1e400' is too large: whole numbers take up to 100 digits"),
    ("x = 0.5  # in (0, 1]", "1e-400", "'1e-400' is too small for a float: it would become 0.0"),
    ("x = 0.5", "1e400", "'1e400' is too large for a float (at most about 1.8e308; write inf for infinity)"),
])  # fmt: skip
def test_numbers_a_float_cannot_hold_are_named_as_such(source, text, says):
    (parameter,) = parse_parameters(source)
    with pytest.raises(ParameterError) as caught:
        coerce_parameter(parameter, TextValue(text))
    assert says in str(caught.value)
    if parameter.range is None:
        assert coerce_parameter(parameter, TextValue("0e-5")) == 0  # a written zero stays zero


@pytest.mark.parametrize("source", ["n: int = None  # in (0, 1)", "q: list[int] = None  # in [0.25, 0.75]"])
def test_a_range_with_no_whole_number_for_an_int_parameter_is_an_error(source):
    with pytest.raises(NotebookError, match=r"takes whole numbers .* and its range .* holds none"):
        parse_parameters(source)


# -- F6 (session 3): a refusal speaks the syntax of where the value was written, and names every bad one --
F6_CELL = "x = 0.5  # in (0, 1]\nn: int = 5  # in [1, 10]\ncols = ['a']\nsize = (320, 320)\nname = 'a'"


def _ranged_notebook(folder: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(F6_CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(x)"),
    ]
    path = folder / "nb.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_yaml_files_values_are_refused_in_yaml_naming_the_file_all_at_once(tmp_path, capsys):
    notebook = _ranged_notebook(tmp_path)
    (tmp_path / "b.yaml").write_text("x: 2\nn: 0\nsize: abc\nname: 5\n")
    assert (
        main(["run", str(notebook), "-f", str(tmp_path / "b.yaml"), "--runs-dir", str(tmp_path / "runs")])
        == 2
    )
    err = capsys.readouterr().err
    where = str(tmp_path / "b.yaml")
    assert "3 parameters of nb.ipynb cannot be used:" in err, err
    assert f"{where}: parameter 'x' must be a number in (0, 1], got '2'" in err
    assert "  accepted (YAML): a number in (0, 1]: x: 0.5" in err
    assert f"{where}: parameter 'n' must be a number in [1, 10], got '0'" in err
    assert "  accepted (YAML): a whole number in [1, 10]: n: 5" in err
    assert f"{where}: parameter 'size' must be tuple[int], got 'abc'" in err
    assert "  accepted (YAML): a list: size: [320, 320]" in err
    assert "-p " not in err and "nb.ipynb takes:" in err and not (tmp_path / "runs").exists()


def test_a_json_files_values_are_refused_in_json_and_command_line_values_in_p_form(tmp_path, capsys):
    notebook = _ranged_notebook(tmp_path)
    (tmp_path / "b.json").write_text('{"x": 2, "name": "b"}')
    code = main(
        ["run", str(notebook), "-f", str(tmp_path / "b.json"), "-p", "n", "0", "--runs-dir", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "2 parameters of nb.ipynb cannot be used:" in err
    assert '  accepted (JSON): a number in (0, 1]: "x": 0.5' in err
    assert "\nparameter 'n' must be a number in [1, 10], got '0'" in err  # -p's value: no file named
    assert "  accepted: a whole number in [1, 10]: -p n 5" in err


@pytest.mark.parametrize(
    ("parameter", "yaml", "toml"),
    [
        ("name", "text: name: some-text (quote text", 'text: name = "some-text"'),
        ("cols", "a list: cols: [a, b]", 'a list: cols = ["a", "b"]'),
        ("size", "a list: size: [320, 320]", "a list: size = [320, 320]"),
    ],
)
def test_file_forms_are_written_in_the_files_syntax(parameter, yaml, toml):
    from mlcheck.runs.parameters import Forms, accepted_forms

    params = by_name(F6_CELL)
    assert yaml in accepted_forms(params[parameter], Forms("yaml", where="b.yaml"))
    assert toml in accepted_forms(params[parameter], Forms("toml", where="pyproject.toml"))
    assert "None" not in accepted_forms(params[parameter], Forms("toml"))  # TOML has no null


def test_the_pytest_table_is_refused_in_toml_naming_the_table_all_at_once(pytester: pytest.Pytester) -> None:
    _ranged_notebook(pytester.path)
    pytester.makefile(
        ".toml",
        pyproject='[tool.mlcheck]\nnotebooks = ["nb.ipynb"]\n[tool.mlcheck.parameters."nb.ipynb"]\nx = 1.5\nn = 0\n',
    )
    result = pytester.runpytest("--co", "-q", "--mlcheck-no-run", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "2 parameters of nb.ipynb cannot be used:" in errors, errors
    assert '[tool.mlcheck.parameters."nb.ipynb"] in ' in errors
    assert "  accepted (TOML): a number in (0, 1]: x = 0.5" in errors
    assert "  accepted (TOML): a whole number in [1, 10]: n = 5" in errors
    assert "-p x" not in errors and "Traceback" not in errors


def test_mlcheck_param_is_refused_in_its_own_form(pytester: pytest.Pytester) -> None:
    _ranged_notebook(pytester.path)
    pytester.makefile(".toml", pyproject='[tool.mlcheck]\nnotebooks = ["nb.ipynb"]\n')
    result = pytester.runpytest(
        "--co", "-q", "--mlcheck-no-run", "-p", "no:cacheprovider", "--mlcheck-param", "nb.ipynb:x=2"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "accepted: a number in (0, 1]: --mlcheck-param nb.ipynb:x=0.5" in errors, errors


def test_unknown_and_ill_typed_names_are_reported_together():
    params = parse_parameters(F6_CELL)
    with pytest.raises(ParameterError) as caught:
        coerce_parameters(params, {"zz": TextValue("1"), "x": TextValue("7")}, notebook="nb.ipynb")
    message = str(caught.value)
    assert message.startswith(
        "2 parameters of nb.ipynb cannot be used:\nunknown parameter 'zz' for nb.ipynb\n"
    )
    assert "parameter 'x' must be a number in (0, 1], got '7'" in message
    assert caught.value.parameter == "zz" and not caught.value.has_value
