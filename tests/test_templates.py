"""``mlcheck new``: notebooks from templates/ that run; the scheduler examples stay valid."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from mlcheck.cli import build_parser, main
from mlcheck.runs import read_parameters, run_notebook
from mlcheck.runs.rundir import Status

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SCHEDULER = TEMPLATES / "scheduler"
DATA = ROOT / "example_notebooks" / "data"
CHECKS_OF_TRAIN = {"check_performance", "check_shift", "check_parity", "check_repeatable", "check_latency"}


@pytest.fixture(scope="module")
def new_notebooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mlcheck new train`` and ``mlcheck new score`` into a fresh folder."""
    folder = tmp_path_factory.mktemp("new")
    assert main(["new", "train", str(folder / "churn_train")]) == 0  # .ipynb is added
    assert main(["new", "score", str(folder / "churn_score.ipynb")]) == 0
    return folder


@pytest.fixture(scope="module")
def trained(new_notebooks: Path) -> tuple[Path, object]:
    """The new training notebook run as a job on the demo's data, with CI-sized parameters."""
    run = run_notebook(
        new_notebooks / "churn_train.ipynb",
        {
            "data_path": str(DATA / "caravan.parquet"),
            "target": "Purchase",
            "positive": "Yes",
            "drop_columns": ["customer"],
            "n_resamples": 300,
            "parity_examples": 0,
        },
        runs_dir=new_notebooks / "runs",
        timeout=600,
    )
    return new_notebooks, run


def test_new_copies_the_templates(new_notebooks: Path) -> None:
    for kind, name in (("train", "churn_train.ipynb"), ("score", "churn_score.ipynb")):
        assert (new_notebooks / name).read_bytes() == (TEMPLATES / f"{kind}.ipynb").read_bytes()
    assert sorted(path.name for path in new_notebooks.iterdir() if not path.name.startswith(".")) == [
        "churn_score.ipynb",
        "churn_train.ipynb",
    ]


def test_new_train_notebook_runs_with_every_check_and_exports(trained: tuple[Path, object]) -> None:
    folder, run = trained
    assert run.exit_code == 0, (run.message, run.failed_cell)
    assert {result.name for result in run.results} == CHECKS_OF_TRAIN
    assert all(result.passed for result in run.results)
    assert (folder / "artifacts" / "model" / "MANIFEST.json").is_file()


def test_new_score_notebook_scores_a_batch_behind_its_checks(trained: tuple[Path, object]) -> None:
    folder, _ = trained
    common = {"key": "customer", "fallback": "No"}
    normal = run_notebook(
        folder / "churn_score.ipynb",
        {**common, "input_path": str(DATA / "batch_normal.parquet"), "output_path": "out/normal.parquet"},
        runs_dir=folder / "runs",
        timeout=600,
    )
    assert normal.exit_code == 0, (normal.message, normal.failed_cell)
    assert {result.name for result in normal.results} == {"check_schema", "check_shift", "check_coverage"}
    written = pd.read_parquet(folder / "out" / "normal.parquet")
    assert len(written) == 500 and "customer" in written.columns


def test_new_train_without_data_path_says_what_to_set(new_notebooks: Path) -> None:
    run = run_notebook(
        new_notebooks / "churn_train.ipynb", runs_dir=new_notebooks / "runs-empty", timeout=300
    )
    # an unconfigured job is a usage mistake: exit 2, and a scheduler does not retry it (it was 3, retried)
    assert (run.exit_code, run.status, run.record.retry) == (2, "usage", False)
    assert run.failed_cell["ename"] == "ParameterError"
    assert "set the parameters data_path and target" in run.failed_cell["evalue"]


def test_score_template_keeps_the_parity_contract() -> None:
    names = {parameter.name for parameter in read_parameters(TEMPLATES / "score.ipynb")}
    assert {"model_dir", "input_path", "output_path"} <= names


# -- bad inputs ---------------------------------------------------------------


def test_new_refuses_an_unknown_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["new", "predict", str(tmp_path / "x")])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'predict'" in error and "train" in error and "score" in error
    assert not list(tmp_path.iterdir())


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "mine.ipynb"
    existing.write_text("my work")
    assert main(["new", "train", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["new", "score", str(tmp_path / "mine")]) == 2  # the same file once .ipynb is added
    assert existing.read_text() == "my work"
    assert [path.name for path in tmp_path.iterdir()] == ["mine.ipynb"]


def test_new_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "train", str(tmp_path / "nowhere" / "train.ipynb")]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


# -- scheduler examples ----------------------------------------------------------

DAY = "2026-01-31"


def _parse_mlcheck(command: str) -> object:
    """Parse an ``mlcheck run ...`` command line with mlcheck's own parser."""
    words = shlex.split(command)
    assert words[0] == "mlcheck", command
    return build_parser().parse_args(words[1:])


def _assert_scores_a_batch(args: object) -> None:
    assert args.command == "run" and args.notebook == "score.ipynb"
    given = dict(args.parameter)
    assert given == {
        "input_path": f"/data/incoming/{DAY}.parquet",
        "output_path": f"/data/scored/{DAY}.parquet",
    }
    assert args.timeout == 1800
    declared = {parameter.name for parameter in read_parameters(TEMPLATES / "score.ipynb")}
    assert set(given) <= declared


def test_cron_line_is_a_valid_mlcheck_run() -> None:
    lines = [
        line
        for line in (SCHEDULER / "mlcheck-score.cron").read_text().splitlines()
        if line and line[0].isdigit()
    ]
    assert len(lines) == 1
    fields = lines[0].split(maxsplit=5)
    assert fields[:5] == ["15", "2", "*", "*", "*"]
    command = fields[5].replace(r"\%", "%").replace("$(date -d yesterday +%F)", DAY)
    job = re.search(r"&& \./mlcheck-job\.sh (mlcheck run .*?) >>", command)  # through the retrying wrapper
    assert job is not None
    _assert_scores_a_batch(_parse_mlcheck(job.group(1)))


def test_systemd_units_are_valid_and_run_mlcheck() -> None:
    service = (SCHEDULER / "mlcheck-score.service").read_text()
    exec_start = re.search(r"^ExecStart=/bin/sh -c '(.*)'$", service, re.MULTILINE)
    assert exec_start is not None
    shell = exec_start.group(1).replace("%%", "%").replace("$$", "$")  # systemd's escapes
    job = shell.split("&& exec ", 1)[1].replace("$day", DAY)
    _assert_scores_a_batch(_parse_mlcheck(job))
    assert "$" not in exec_start.group(1).replace("$$", "")  # a bare $NAME would be expanded by systemd
    prevented = re.search(r"^RestartPreventExitStatus=(.*)$", service, re.MULTILINE)
    assert prevented is not None  # a broken contract, bad parameters, a tampered bundle, a cancel: no retry
    assert {int(code) for code in prevented.group(1).split()} == {
        status.exit_code for status in Status if status.final and not status.retry and status.exit_code != 0
    }
    assert "OnCalendar=*-*-* 02:15:00" in (SCHEDULER / "mlcheck-score.timer").read_text()
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the units' syntax is not verified")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "mlcheck-score.service", "mlcheck-score.timer"],
        cwd=SCHEDULER,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def airflow_dag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> types.ModuleType:
    """Import the example DAG against a minimal stand-in of Airflow's API.

    Airflow itself is not installed in this environment; the stand-in has
    exactly the names the DAG uses, with Airflow's semantics for them:
    ``AirflowFailException`` derives from ``AirflowException``, and calling
    a ``@dag`` function only declares the DAG (tasks do not run).
    """
    declared: list[dict] = []

    class AirflowException(Exception):
        pass

    class AirflowFailException(AirflowException):
        pass

    def dag(**options):
        def decorate(function):
            def declare():
                declared.append({**options, "tasks": []})
                function()

            return declare

        return decorate

    def task(**options):
        def decorate(function):
            def declare(*args, **kwargs):
                declared[-1]["tasks"].append(function)

            declare.function = function
            return declare

        return decorate

    exceptions = types.ModuleType("airflow.exceptions")
    exceptions.AirflowException, exceptions.AirflowFailException = AirflowException, AirflowFailException
    decorators = types.ModuleType("airflow.decorators")
    decorators.dag, decorators.task = dag, task
    monkeypatch.setitem(sys.modules, "airflow", types.ModuleType("airflow"))
    monkeypatch.setitem(sys.modules, "airflow.exceptions", exceptions)
    monkeypatch.setitem(sys.modules, "airflow.decorators", decorators)
    monkeypatch.setitem(sys.modules, "airflow.sdk", None)  # an Airflow 2 layout: the DAG falls back
    # import a copy: no bytecode lands in templates/ (shipped in the wheel)
    copy = tmp_path / "airflow_dag.py"
    shutil.copyfile(SCHEDULER / "airflow_dag.py", copy)
    spec = importlib.util.spec_from_file_location("mlcheck_example_dag", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.declared = declared
    return module


def test_airflow_dag_treats_each_exit_code_right(airflow_dag: types.ModuleType) -> None:
    (declared,) = airflow_dag.declared
    assert declared["dag_id"] == "mlcheck_score" and declared["schedule"] == "15 2 * * *"
    assert len(declared["tasks"]) == 1
    assert {code: retry for code, (_, retry) in airflow_dag.EXIT_CODES.items()} == {
        status.exit_code: status.retry for status in Status if status.final
    }  # the table of mlcheck.runs.rundir.Status, which `mlcheck run --help` prints
    fail = sys.modules["airflow.exceptions"].AirflowFailException
    retried = sys.modules["airflow.exceptions"].AirflowException
    assert "every contract held" in airflow_dag.raise_for_exit_code(0)
    for code in (1, 2, 7, 130, 99):  # retrying cannot fix a broken contract, bad parameters, a tampered bundle
        with pytest.raises(fail, match=f"exited with {code}"):
            airflow_dag.raise_for_exit_code(code)
    for code in (3, 4, 5, 6):  # a raised cell, a timeout, a dead kernel, a machine fault: retried
        with pytest.raises(retried) as raised:
            airflow_dag.raise_for_exit_code(code)
        assert not isinstance(raised.value, fail)
    command = airflow_dag.mlcheck_command(DAY)
    _assert_scores_a_batch(build_parser().parse_args(command[1:]))


@pytest.mark.parametrize("status", [status for status in Status if status.final], ids=lambda status: status.value)
def test_the_cron_wrapper_retries_exactly_what_the_table_says(status: Status, tmp_path: Path) -> None:
    """mlcheck-job.sh runs a stand-in that exits with each code and retries only where retry says yes."""
    script = (SCHEDULER / "mlcheck-job.sh").read_text()
    arm = re.search(rf"^\s*{status.exit_code}\) (retry=(yes|no))?", script, re.MULTILINE)
    assert arm is not None, f"mlcheck-job.sh has no branch for exit code {status.exit_code}"
    counter = tmp_path / "attempts"
    stand_in = tmp_path / "fake-mlcheck"
    stand_in.write_text(f"#!/bin/sh\necho x >> {counter}\nexit {status.exit_code}\n")
    stand_in.chmod(0o755)
    done = subprocess.run(
        ["sh", str(SCHEDULER / "mlcheck-job.sh"), str(stand_in), "run", "score.ipynb"],
        env={**os.environ, "MLCHECK_RETRIES": "2", "MLCHECK_RETRY_DELAY": "0"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == status.exit_code, done.stderr
    attempts = len(counter.read_text().splitlines())
    assert attempts == (3 if status.retry else 1), done.stderr
    assert f"exit {status.exit_code} ({status.value}" in done.stderr


@pytest.mark.parametrize("notebook", ["new", "example"])
def test_score_notebooks_refuse_to_write_over_their_input_batch(
    notebook: str, new_notebooks: Path, tmp_path: Path
) -> None:
    """F17: output_path == input_path replaced the 500x86 batch by 500x5 predictions, exit 0."""
    path = new_notebooks / "churn_score.ipynb" if notebook == "new" else ROOT / "example_notebooks" / "score.ipynb"
    batch = tmp_path / "b.parquet"
    shutil.copyfile(DATA / "batch_normal.parquet", batch)
    before = batch.read_bytes()
    for output in (batch, tmp_path / "." / "b.parquet"):  # the same file, spelled another way
        run = run_notebook(
            path, {"input_path": str(batch), "output_path": str(output)}, runs_dir=tmp_path / "runs", timeout=300
        )
        assert (run.exit_code, run.status, run.record.retry) == (2, "usage", False)
        assert run.failed_cell["ename"] == "ParameterError"
        assert "would overwrite the batch input_path" in run.failed_cell["evalue"]
    assert batch.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.parquet", "runs"]
