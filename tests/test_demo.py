"""``mlcheck demo`` end to end, its bad inputs, and the shipped demo data."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pandas as pd
import pytest

import mlcheck as mc
from mlcheck.cli import main
from mlcheck.cli.demo import DEMO_FILES, EXAMPLES, TEMPLATES, default_folder, resource_dir
from mlcheck.runs import read_run

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "example_notebooks" / "data"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """Run ``mlcheck demo --part contracts --quick`` once into a fresh folder: (exit code, what it printed, folder).

    The monitoring part has its own tests (tests/test_demo_monitoring.py).
    """
    folder = tmp_path_factory.mktemp("demo") / "journey"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--dir", str(folder), "--quick", "--part", "contracts"])
    return code, printed.getvalue(), folder


def _runs(folder: Path) -> list:
    runs = [read_run(run_json.parent) for run_json in (folder / "runs").glob("*/*/run.json")]
    return sorted(runs, key=lambda run: run.started)


def test_demo_trains_scores_and_fails_on_the_drifted_batch(demo: tuple[int, str, Path]) -> None:
    code, printed, folder = demo
    assert code == 0, printed
    runs = _runs(folder)
    assert [(run.notebook.name, run.exit_code) for run in runs] == [
        ("train.ipynb", 0),
        ("score.ipynb", 0),
        ("score.ipynb", 1),
    ]
    assert runs[1].parameters["input_path"] == "data/batch_normal.parquet"
    assert runs[2].parameters["input_path"] == "data/batch_drifted.parquet"
    assert runs[2].status == "failed"
    for run in runs:
        assert run.report_path.is_file() and run.output_path.is_file()
        assert str(run.report_path) in printed
    assert "exit code 1 (failed, as expected)" in printed


def test_demo_exports_a_bundle_and_writes_only_the_normal_predictions(demo: tuple[int, str, Path]) -> None:
    _, _, folder = demo
    bundle = mc.load(folder / "artifacts" / "caravan")
    assert {result.name for result in bundle.contracts} == {
        "check_performance",
        "check_shift",
        "check_parity",
        "check_leakage",
    }
    assert bundle.importance is not None and len(bundle.importance) == 85  # one row per input column
    assert all(result.passed for result in bundle.contracts)
    predictions = pd.read_parquet(folder / "predictions" / "batch_normal.parquet")
    assert len(predictions) == 500
    assert set(predictions["prediction"]) <= {"Yes", "No"}
    assert predictions["customer"].is_unique
    assert len(pd.read_parquet(folder / "predictions" / "batch_normal.rejects.parquet")) == 0
    assert not (folder / "predictions" / "batch_drifted.parquet").exists()


def test_drifted_run_says_why(demo: tuple[int, str, Path]) -> None:
    _, _, folder = demo
    drifted = _runs(folder)[2]
    failed = {result.name: result for result in drifted.failed_checks}
    assert set(failed) == {"check_schema", "check_shift", "check_coverage"}
    shifted = {outcome.subject for outcome in failed["check_shift"].outcomes if not outcome.passed}
    assert {"MOSTYPE", "MOSHOOFD"} <= shifted  # the batch holds two customer main types only
    schema_failures = [outcome for outcome in failed["check_schema"].outcomes if not outcome.passed]
    assert [(o.subject, o.message) for o in schema_failures] == [("MKOOPKLA", "12% missing, training had none")]
    assert failed["check_coverage"].observed == pytest.approx(130 / 148)
    executed = drifted.output_path.read_text()
    assert "predictions NOT written" in executed
    assert "MKOOPKLA: missing value" in executed  # the rejects' reasons are shown


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    assert main(["demo", "--dir", str(folder)]) == 2
    error = capsys.readouterr().err
    assert "not empty" in error and "Traceback" not in error
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"


def test_demo_refuses_a_file_and_a_folder_under_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "a_file"
    file.write_text("x")
    assert main(["demo", "--dir", str(file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["demo", "--dir", str(file / "below")]) == 2
    assert "cannot create the demo folder" in capsys.readouterr().err
    assert file.read_text() == "x"


def test_default_folder_never_reuses_a_used_one(tmp_path: Path) -> None:
    assert default_folder(tmp_path) == tmp_path / "mlcheck-demo"
    (tmp_path / "mlcheck-demo").mkdir()
    assert default_folder(tmp_path) == tmp_path / "mlcheck-demo"  # empty: still fresh
    (tmp_path / "mlcheck-demo" / "train.ipynb").write_text("{}")
    (tmp_path / "mlcheck-demo-2").write_text("a file")
    assert default_folder(tmp_path) == tmp_path / "mlcheck-demo-3"


def test_demo_bad_dir_from_the_command_line_exits_2_without_traceback(tmp_path: Path) -> None:
    import subprocess

    file = tmp_path / "a_file"
    file.write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "mlcheck", "demo", "--dir", str(file)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "mlcheck demo: error:" in done.stderr and "Traceback" not in done.stderr


def test_shipped_files_are_found_and_the_wheel_maps_every_demo_file() -> None:
    examples, templates = resource_dir(EXAMPLES), resource_dir(TEMPLATES)
    for name in DEMO_FILES:
        assert (examples / name).is_file(), name
    assert (templates / "train.ipynb").is_file() and (templates / "score.ipynb").is_file()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    mapped = wheel["force-include"]
    for name in DEMO_FILES:
        assert mapped[f"{EXAMPLES}/{name}"] == f"mlcheck/_data/{EXAMPLES}/{name}"
    assert mapped[TEMPLATES] == f"mlcheck/_data/{TEMPLATES}"


def test_demo_data_is_what_its_readme_says() -> None:
    training = pd.read_parquet(DATA / "caravan.parquet")
    normal = pd.read_parquet(DATA / "batch_normal.parquet")
    drifted = pd.read_parquet(DATA / "batch_drifted.parquet")
    assert training.shape == (4622, 87) and normal.shape == (500, 86) and drifted.shape == (148, 86)
    assert (training["Purchase"] == "Yes").sum() == 278
    ids = [set(frame["customer"]) for frame in (training, normal, drifted)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert set(drifted["MOSHOOFD"]) == {1, 2}
    assert int(drifted["MKOOPKLA"].isna().sum()) == 18
    assert not normal.isna().any().any() and not training.isna().any().any()
    readme = (DATA / "README.md").read_text()
    assert "4,622" in readme and "148" in readme and "18 of 148" in readme


def test_notebooks_are_copied_with_the_kernel_metadata_jupyterlab_writes(tmp_path: Path) -> None:
    """Issue 13 item 17: JupyterLab marked an opened example modified (kernelspec display name, language_info).

    The shipped notebooks carry ipykernel's values; a copy gets this machine's
    (its Python version is part of language_info), byte for byte the shipped file when they agree.
    """
    import json

    from mlcheck.cli.demo import copy_notebook, local_kernel_metadata

    local = local_kernel_metadata()
    assert local is not None  # the test interpreter runs the python3 kernel
    assert local["kernelspec"]["display_name"].endswith("(ipykernel)")
    assert local["language_info"]["version"] == sys.version.split()[0]
    for shipped in (resource_dir(EXAMPLES) / "train.ipynb", resource_dir(TEMPLATES) / "score.ipynb"):
        notebook = json.loads(shipped.read_text(encoding="utf-8"))
        assert set(notebook["metadata"]) == {"kernelspec", "language_info"}
        assert set(notebook["metadata"]["language_info"]) == set(local["language_info"])
        copy_notebook(shipped, tmp_path / "same.ipynb", overwrite=False)
        if all(notebook["metadata"][key] == value for key, value in local.items()):
            assert (tmp_path / "same.ipynb").read_bytes() == shipped.read_bytes()
        older = tmp_path / "older.ipynb"  # as if shipped from another Python
        notebook["metadata"]["language_info"]["version"] = "3.10.0"
        older.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        copy_notebook(older, tmp_path / "copy.ipynb")
        copied = json.loads((tmp_path / "copy.ipynb").read_text(encoding="utf-8"))
        assert copied["metadata"] == local
        assert copied["cells"] == notebook["cells"]
        for path in (tmp_path / "same.ipynb", tmp_path / "copy.ipynb", older):
            path.unlink()
