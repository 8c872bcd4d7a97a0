"""Parameter ranges through the server (issue 13 item 18): `sample = 0.5  # in [0, 1]` refuses 2.5 with a 400.

The server reads ranges with mlcheck's own parser (GET /mlcheck/parameters
gives them to the form), checks values with it (POST /mlcheck/parameters as the
user types, POST /mlcheck/jobs before anything starts), and the form's quick
check in src/values.ts decides as the parser does.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mlcheck.errors import ParameterError
from mlcheck.runs.parameters import TextValue, coerce_parameter, parse_parameters

EXTENSION = Path(__file__).resolve().parents[2]

CELL = (
    "sample = 0.5  # fraction of rows, in [0, 1]\n"
    "n_trees: int = 100  # in [1, inf)\n"
    "shift = -0.5  # in (-1, 0)\n"
    "quantiles = [0.1, 0.9]  # in [0, 1]\n"
    "name = 'rows in [a, b] order'  # kept in [a, b] order\n"
)


def write_notebook(folder: Path, name: str, cell: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(cell, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(sample)" if "sample" in cell else "pass"),
    ]
    path = folder / name
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def ranged(jp_root_dir: Path) -> Path:
    (jp_root_dir / "work").mkdir()
    return write_notebook(jp_root_dir / "work", "ranged.ipynb", CELL)


async def test_the_form_receives_each_range(client, ranged):  # noqa: ANN001
    status, reply = await client.call("parameters", path="work/ranged.ipynb")
    assert status == 200, reply
    ranges = {p["name"]: p["range"] for p in reply["parameters"]}
    assert ranges == {
        "sample": {"low": 0, "high": 1, "low_closed": True, "high_closed": True, "text": "[0, 1]"},
        "n_trees": {"low": 1, "high": None, "low_closed": True, "high_closed": False, "text": "[1, inf)"},
        "shift": {"low": -1, "high": 0, "low_closed": False, "high_closed": False, "text": "(-1, 0)"},
        "quantiles": {"low": 0, "high": 1, "low_closed": True, "high_closed": True, "text": "[0, 1]"},
        "name": None,  # "[a, b]" is no interval of numbers: help text
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [("sample", "2.5"), ("sample", "-0.1"), ("sample", "nan"), ("n_trees", "0"), ("shift", "0"),
     ("shift", "-1"), ("quantiles", "[0.5, 1.5]"), ("sample", "None")],
)  # fmt: skip
async def test_a_value_outside_the_range_is_a_400_naming_the_field_value_and_range(client, ranged, name, value):  # noqa: ANN001
    status, reply = await client.call(
        "parameters", method="POST", body={"path": "work/ranged.ipynb", "parameters": {name: value}}
    )
    assert status == 400, reply
    assert reply["field"] == "parameters" and reply["parameter"] == name
    first = reply["message"].splitlines()[0]
    assert f"parameter {name!r} must be" in first and repr(value) in first
    assert {"sample": "[0, 1]", "n_trees": "[1, inf)", "shift": "(-1, 0)", "quantiles": "[0, 1]"}[name] in first


async def test_values_inside_the_range_are_taken(client, ranged):  # noqa: ANN001
    given = {"sample": "1", "n_trees": "1", "shift": "-0.999", "quantiles": "0,1"}
    status, reply = await client.call(
        "parameters", method="POST", body={"path": "work/ranged.ipynb", "parameters": given}
    )
    assert status == 200, reply
    assert reply["parameters"] == {"sample": 1.0, "n_trees": 1, "shift": -0.999, "quantiles": [0.0, 1.0]}


async def test_a_job_with_a_value_outside_the_range_does_not_start(client, ranged, jp_root_dir, manager):  # noqa: ANN001
    status, reply = await client.start("work/ranged.ipynb", {"sample": "2.5"})
    assert status == 400, reply
    assert reply["parameter"] == "sample" and "[0, 1]" in reply["message"] and "'2.5'" in reply["message"]
    status, listing = await client.call("jobs")
    assert status == 200 and listing["jobs"] == []
    runs = Path(manager.runs_dir)
    runs = runs if runs.is_absolute() else jp_root_dir / runs
    left = sorted(path.relative_to(jp_root_dir) for path in runs.rglob("*")) if runs.exists() else []
    assert left == [], left  # no log, no parameter file, no run folder


async def test_an_empty_range_is_a_400_naming_the_parameter(client, jp_root_dir):  # noqa: ANN001
    (jp_root_dir / "work").mkdir()
    write_notebook(jp_root_dir / "work", "empty.ipynb", "sample = 0.5  # in [1, 0]\n")
    status, reply = await client.call("parameters", path="work/empty.ipynb")
    assert status == 400, reply
    assert reply["field"] == "path"
    assert "the range of 'sample', [1, 0], holds no value" in reply["message"]


RANGES = ["[0, 1]", "(0, 1]", "[0, 1)", "(0, 1)", "[1, inf)", "(-inf, 0]", "[-5, -1]", "[2, 2]", "(0.5, 1e3)"]
TYPES = {"float": "0.5", "int": "2", "float | None": "None", "any": "None"}
TEXTS = [
    "0", "1", "0.5", "-0.5", "2", "2.5", "-1", "-5", "-5.000001", "1e3", "1e-9", "999.999", "1_000",
    "inf", "-inf", "nan", "None", " 1 ", "abc", "", "3.0",
]  # fmt: skip


def test_the_forms_quick_check_decides_ranges_as_the_parser_does(node_script):
    """Never refuses what the parser takes; refuses, before the server is asked, every number outside the range."""
    cases = []
    for range_text in RANGES:
        for type_name, default in TYPES.items():
            annotation = "" if type_name == "any" else f": {type_name}"
            low = range_text[1:].split(",")[0]
            default = default if default == "None" else ("-1" if low.strip() in ("-inf", "-5") else "2")
            try:
                (parameter,) = parse_parameters(f"x{annotation} = {default}  # in {range_text}")
            except Exception:  # noqa: BLE001 - a default outside this range: not a case
                continue
            for text in TEXTS:
                try:
                    coerce_parameter(parameter, TextValue(text))
                    accepted, by_range = True, False
                except ParameterError as error:
                    accepted, by_range = False, " number in " in str(error).splitlines()[0]
                as_served = {"name": "x", "type_name": parameter.type_name, "range": parameter.to_dict()["range"]}
                cases.append((as_served, text, accepted, by_range))
    verdicts = node_script("ranges_cli.cjs", {"checks": [(served, text) for served, text, _, _ in cases]})
    assert len(cases) > 500
    for (served, text, accepted, by_range), verdict in zip(cases, verdicts, strict=True):
        where = f"{served['type_name']} in {served['range']['text']}, text {text!r}: {verdict}"
        if accepted:
            assert verdict is None, where
        elif by_range and text.strip().lower() not in ("abc", "", "none"):
            assert verdict is not None, where  # a number outside the range: refused before the server is asked


async def test_a_comment_that_looks_like_a_range_reaches_the_form_as_a_note(client, jp_root_dir):  # noqa: ANN001
    (jp_root_dir / "work").mkdir()
    write_notebook(jp_root_dir / "work", "typo.ipynb", "sample = 0.5  # in [0; 1]\nn = 3  # in [0, 10]\n")
    status, reply = await client.call("parameters", path="work/typo.ipynb")
    assert status == 200, reply
    notes = {p["name"]: p["note"] for p in reply["parameters"]}
    assert "'in [0; 1]'" in notes["sample"] and "no range is enforced" in notes["sample"]
    assert notes["n"] == ""


async def test_a_refusal_under_a_field_shows_what_to_type_in_it(client, ranged):  # noqa: ANN001
    for name, value, accepted in [
        ("sample", "2.5", "  accepted: a number in [0, 1]: 0.5"),
        ("quantiles", "[0.5, 1.5]", "  accepted: numbers separated by commas, 0.5,0.5, or a list, [0.5, 0.5]"),
    ]:
        status, reply = await client.call(
            "parameters", method="POST", body={"path": "work/ranged.ipynb", "parameters": {name: value}}
        )
        assert status == 400, reply
        assert reply["message"].splitlines()[1].startswith(accepted), reply["message"]
        assert "-p " not in reply["message"] and "takes:" not in reply["message"]  # no table under a field
