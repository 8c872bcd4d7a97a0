"""Notebook jobs end to end, with real kernels: exit codes, messages, run directories."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mlcheck.cli import main
from mlcheck.errors import ParameterError, UsageError
from mlcheck.runs import read_run, run_notebook
from mlcheck.runs.history import history

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each notebook run once for the whole module; tests read the runs."""
    runs_dir = tmp_path_factory.mktemp("runs")
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("elsewhere"))  # relative data paths must resolve from the notebook
    try:
        done = {
            "hello": run_notebook(
                NOTEBOOKS / "hello.ipynb", {"name": "tests", "repeat": "2"}, runs_dir=runs_dir
            ),
            "checks_pass": run_notebook(NOTEBOOKS / "checks.ipynb", runs_dir=runs_dir),
            "checks_fail": run_notebook(NOTEBOOKS / "checks.ipynb", {"fail": "true"}, runs_dir=runs_dir),
            "raises": run_notebook(NOTEBOOKS / "raises.ipynb", runs_dir=runs_dir),
            "exit0": run_notebook(NOTEBOOKS / "exit0.ipynb", runs_dir=runs_dir),
            "exit1": run_notebook(NOTEBOOKS / "exit1.ipynb", runs_dir=runs_dir),
            # a cell timeout counts from the cell's start: it expires in cell 3 however slow the machine
            "timeout": run_notebook(NOTEBOOKS / "sleeps.ipynb", runs_dir=runs_dir, cell_timeout=5),
            # a run timeout counts kernel start-up too: where it expires depends on the machine's speed
            "run_timeout": run_notebook(
                NOTEBOOKS / "sleeps.ipynb", {"seconds": "3600"}, runs_dir=runs_dir, timeout=6
            ),
            "dies": run_notebook(NOTEBOOKS / "dies.ipynb", runs_dir=runs_dir),
            "magic_cd": run_notebook(NOTEBOOKS / "magic_cd.ipynb", runs_dir=runs_dir, report=False),
            "magic_run": run_notebook(NOTEBOOKS / "magic_run.ipynb", runs_dir=runs_dir, report=False),
            "relative": run_notebook(NOTEBOOKS / "relative_path.ipynb", runs_dir=runs_dir),
            "no_params": run_notebook(NOTEBOOKS / "no_params.ipynb", runs_dir=runs_dir),
            "no_language": run_notebook(
                NOTEBOOKS / "no_language.ipynb", {"n": "2"}, runs_dir=runs_dir, report=False
            ),
            "typed": run_notebook(
                NOTEBOOKS / "typed.ipynb", {"threshold": "1", "n_rows": "3"}, runs_dir=runs_dir
            ),
        }
    finally:
        os.chdir(cwd)
    return runs_dir, done


def output_of(run) -> nbformat.NotebookNode:
    return nbformat.read(str(run.output_path), as_version=4)


def record_of(run) -> dict:
    return json.loads((run.run_dir / "run.json").read_text())


def test_successful_run_leaves_a_complete_run_directory(runs):
    runs_dir, done = runs
    run = done["hello"]
    assert (run.exit_code, run.status) == (0, "succeeded")
    assert run.run_dir.parent == runs_dir / "hello"
    files = sorted(
        p.name for p in run.run_dir.iterdir() if p.name != "records"
    )  # records/: the checks' full records
    assert files == ["output.ipynb", "report.html", "run.json", "status.json"]
    record = record_of(run)
    assert record["parameters"] == {"name": "tests", "repeat": 2}
    assert record["values"] == {"greeting": "hello tests hello tests"}
    assert record["results"][0]["name"] == "check_coverage" and record["results"][0]["passed"]
    assert len(record["notebook_sha256"]) == 64
    assert record["environment"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert "pandas" in record["environment"]["packages"] and "mlcheck" in record["environment"]["packages"]
    assert {"commit", "dirty"} <= set(record["git"])
    assert all(cell["duration"] is not None for cell in record["cells"])
    assert record["started"] < record["ended"] and record["duration"] > 0
    notebook = output_of(run)
    assert notebook.metadata["mlcheck"]["status"] == "succeeded"
    assert notebook.metadata["papermill"]["exception"] is False
    report = run.report_path.read_text()
    assert report.index("check_coverage") < report.index("hello tests hello tests")  # checks first
    assert json.loads((run.run_dir / "status.json").read_text())["state"] == "succeeded"


def test_failed_check_exits_1_and_names_the_check(runs):
    assert runs[1]["checks_pass"].exit_code == 0
    run = runs[1]["checks_fail"]
    assert (run.exit_code, run.status) == (1, "failed")
    assert "check_coverage" in run.message
    assert run.results[0].observed == 0.25 and run.results[0].details["cell"] >= 0
    assert run.values == {"after": True}  # checks do not stop the notebook
    report = run.report_path.read_text()
    assert "0/1 held" in report and "check_coverage[coverage]" in report and "cell-id=" in report


def test_raising_cell_exits_3_with_the_failing_cell(runs):
    run = runs[1]["raises"]
    assert (run.exit_code, run.status) == (3, "error")
    assert run.failed_cell["ename"] == "ValueError" and run.failed_cell["evalue"] == "planted failure"
    assert "raise ValueError" in run.failed_cell["source"]
    assert not any("\x1b[" in line for line in run.failed_cell["traceback"])
    assert any(
        re.match(r"Cell In\[\d+\] \(cell 2\)", line) for line in run.failed_cell["traceback"]
    )  # + the user's number
    notebook = output_of(run)
    assert run.failed_cell["cell"] == 2 and "cell 2 raised ValueError" in run.message  # the user's own count
    assert notebook.metadata["mlcheck"]["failed_cell"] == run.failed_cell["cell"]
    assert notebook.metadata["mlcheck"]["failed_cell_id"] == run.failed_cell["cell_id"]
    statuses = [c.metadata["papermill"]["status"] for c in notebook.cells if c.cell_type == "code"]
    assert statuses[-1] == "pending"  # 'y = 2' never ran


def test_sys_exit_zero_stops_early_and_succeeds_exit_one_is_an_error(runs):
    run = runs[1]["exit0"]
    assert run.exit_code == 0 and "sys.exit" in run.message
    assert "never" not in json.dumps(output_of(run).cells[-1].get("outputs", []))
    failed = runs[1]["exit1"]
    assert failed.exit_code == 3 and "sys.exit(1)" in failed.message


def test_cell_timeout_names_the_cell_that_timed_out(runs):
    run = runs[1]["timeout"]
    assert (run.exit_code, run.status) == (4, "timeout")
    assert run.failed_cell["cell"] == 3 and "time.sleep" in run.failed_cell["source"]
    assert "timed out: cell 3 was still running at the 5 s cell timeout" in run.message
    notebook = output_of(run)
    assert notebook.metadata["papermill"]["exception"] is True  # papermill alone says False here
    codes = [c for c in notebook.cells if c.cell_type == "code"]
    assert codes[-1].metadata["papermill"]["status"] == "pending"
    assert "sleeping" in json.dumps(codes[-3].outputs)  # work before the timeout is kept


def test_run_timeout_bounds_the_whole_run_and_is_recorded_truthfully(runs):
    """The cell sleeps an hour; the 6 s run timeout ends the run wherever it is, and the record says where."""
    run = runs[1]["run_timeout"]
    assert (run.exit_code, run.status) == (4, "timeout")
    assert run.duration < 3600  # it ended: the run timeout bounds the sleep
    assert "6 s run timeout" in run.message
    if run.failed_cell is None:  # a busy machine: the kernel was still starting at the deadline
        assert "start-up, before any cell ran" in run.message
    else:
        assert f"cell {run.failed_cell['cell']} was still running" in run.message
    assert output_of(run).metadata["papermill"]["exception"] is True


@pytest.mark.parametrize(
    ("name", "magic"), [("magic_cd", "%cd /no/such/dir"), ("magic_run", "%run missing_script.py")]
)
def test_a_failed_line_magic_is_a_failed_cell(runs, name, magic):
    """IPython only prints a failed %cd and carries on in the old folder; a job stops there (papermill's rule)."""
    run = runs[1][name]
    assert (run.exit_code, run.status) == (3, "error")
    assert run.failed_cell["cell"] == 2 and run.failed_cell["source"] == magic
    assert run.message.startswith("cell 2 ")
    notebook = output_of(run)
    assert (
        notebook.metadata["papermill"]["exception"] is True
        and notebook.metadata["mlcheck"]["failed_cell"] == 2
    )
    codes = [c for c in notebook.cells if c.cell_type == "code"]
    assert codes[-1].metadata["papermill"]["status"] == "pending" and codes[-1].outputs == []  # never ran


def test_dead_kernel_exits_5(runs):
    run = runs[1]["dies"]
    assert (run.exit_code, run.status) == (5, "died")
    assert "os._exit" in run.failed_cell["source"]
    assert output_of(run).metadata["mlcheck"]["status"] == "died"


def test_relative_data_paths_resolve_from_the_notebook_folder_and_inputs_are_hashed(runs):
    run = runs[1]["relative"]
    assert run.exit_code == 0 and run.values == {"n_rows": 3}
    hashes = record_of(run)["input_hashes"]
    assert hashes["data_path"]["path"] == "data/small.csv" and len(hashes["data_path"]["sha256"]) == 64


def test_notebook_without_parameters_runs(runs):
    run = runs[1]["no_params"]
    assert run.exit_code == 0 and run.values == {"x": 1}


def test_a_notebook_without_kernelspec_metadata_takes_parameters(runs):
    """papermill needs the notebook's language to inject parameters; it is the kernel's the job runs in."""
    run = runs[1]["no_language"]
    assert (run.exit_code, run.values) == (0, {"n": 2})


def test_parameters_are_injected_as_coerced(runs):
    run = runs[1]["typed"]
    assert run.values["threshold_type"] == "float" and run.values["n_rows"] == 3
    assert record_of(run)["given_parameters"] == {"threshold": 1.0, "n_rows": 3}


def test_read_run_round_trips_and_history_lists_newest_first(runs):
    runs_dir, done = runs
    again = read_run(done["hello"].run_dir)
    assert again.values == done["hello"].values and again.exit_code == 0
    rows = history(runs_dir, "checks.ipynb")
    assert [row.status for row in rows] == ["failed", "succeeded"]
    assert rows[0].changed == {"fail": True} and rows[0].failed_checks == ["check_coverage[coverage]"]
    assert any("status succeeded -> failed" in flag for flag in rows[0].anomalies)


def test_bad_parameters_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ParameterError, match="'n_rows' must be int"):
        run_notebook(NOTEBOOKS / "typed.ipynb", {"n_rows": "many"}, runs_dir=tmp_path)
    with pytest.raises(UsageError, match="positive"):
        run_notebook(NOTEBOOKS / "hello.ipynb", runs_dir=tmp_path, timeout=0)
    with pytest.raises(UsageError, match="unknown kernel 'nope'"):
        run_notebook(NOTEBOOKS / "hello.ipynb", runs_dir=tmp_path, kernel="nope")
    assert list(tmp_path.iterdir()) == []  # no run directory for a run that never started


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlcheck", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "typed.ipynb", "-p", "n_rows", "1.5"], "parameter 'n_rows' must be int"),
        (["run", "typed.ipynb", "-p", "nope", "1"], "unknown parameter 'nope'"),
        (["run", "no_params.ipynb", "-p", "x", "1"], "has no parameters cell"),
        (["run", "corrupt.ipynb"], "not a valid notebook"),
        (["run", "missing.ipynb"], "notebook not found"),
        (["run", "hello.ipynb", "-f", "missing.yaml"], "parameter file not found"),
        (["run", "hello.ipynb", "-f", "data"], "parameter file data is a folder; give a YAML or JSON file"),
        (["params", "corrupt.ipynb"], "not a valid notebook"),
        (["report", "."], "not a run directory"),
        (["history", "--runs-dir", "no-such-runs"], "no runs directory"),
        # inf reached the runner as an OverflowError: a traceback and exit 3 "retry: yes"
        (["run", "hello.ipynb", "--timeout", "inf"], "--timeout: must be a positive, finite number"),
        (["run", "hello.ipynb", "--cell-timeout", "inf"], "--cell-timeout: must be a positive, finite"),
        (["run", "hello.ipynb", "--cell-timeout", "nan"], "--cell-timeout: must be a positive, finite"),
        (["run", "hello.ipynb", "--timeout", "0"], "--timeout: must be a positive, finite number"),
        (["run", "hello.ipynb", "--timeout", "-1"], "--timeout: must be a positive, finite number"),
        (["run", "hello.ipynb", "--timeout", "soon"], "--timeout: not a number of seconds"),
    ],
)
def test_cli_usage_errors_exit_2_without_traceback(args, expected, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mlcheck", *args]
        + (["--runs-dir", str(tmp_path)] if args[0] == "run" else []),
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())


def test_cli_run_prints_the_check_table_and_exit_code(tmp_path):
    done = run_cli("run", str(NOTEBOOKS / "checks.ipynb"), "-p", "fail", "yes", "--runs-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "FAIL  check_coverage[coverage]" in done.stdout and "0.25" in done.stdout
    assert "cell 1/" in done.stderr  # plain progress lines when not on a terminal
    run_dir = Path(done.stdout.split("run directory: ")[1].splitlines()[0])
    assert read_run(run_dir).exit_code == 1
    report = run_cli("report", str(run_dir))
    assert report.returncode == 0 and Path(report.stdout.strip()) == run_dir / "report.html"
    listing = run_cli("history", "checks", "--runs-dir", str(tmp_path))
    assert listing.returncode == 0 and "failed" in listing.stdout


def test_cli_params_table():
    done = run_cli("params", str(NOTEBOOKS / "typed.ipynb"))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["name", "type", "default", "comment"]
    assert any(line.split()[:3] == ["threshold", "float", "0.5"] and "cut-off" in line for line in lines)
    as_json = json.loads(run_cli("params", str(NOTEBOOKS / "typed.ipynb"), "--json").stdout)
    assert as_json[1] == {
        "name": "n_rows",
        "type": "int",
        "default": 10,
        "default_source": "10",
        "comment": "",
        "range": None,
        "note": "",
    }


def test_sigterm_cancels_the_job_and_saves_the_notebook(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlcheck",
            "run",
            str(NOTEBOOKS / "sleeps.ipynb"),
            "--runs-dir",
            str(tmp_path),
            "--run-id",
            "cancel-me",
            "--progress",
            "plain",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    status = tmp_path / "sleeps" / "cancel-me" / "status.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if status.exists() and (json.loads(status.read_text()).get("cell") or 0) >= 3:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    run = read_run(tmp_path / "sleeps" / "cancel-me")
    assert run.status == "cancelled" and "cancelled" in run.message
    assert output_of(run).metadata["mlcheck"]["status"] == "cancelled"


def test_cli_main_in_process_for_bad_usage(capsys):
    assert main(["run", str(NOTEBOOKS / "missing.ipynb")]) == 2
    assert "notebook not found" in capsys.readouterr().err


def test_a_report_that_cannot_be_rendered_does_not_sink_the_run(tmp_path, monkeypatch):
    import mlcheck.runs.report
    from mlcheck.runs.runner import RunWarning

    def broken(run_dir):
        raise ValueError("No template sub-directory with name 'lab' found")  # as nbconvert says it

    monkeypatch.setattr(mlcheck.runs.report, "render_report", broken)
    with pytest.warns(RunWarning, match="mlcheck report"):
        run = run_notebook(NOTEBOOKS / "hello.ipynb", runs_dir=tmp_path)
    assert run.exit_code == 0 and run.output_path.exists() and not run.report_path.exists()


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere():
    import io

    from mlcheck.cli.jobs import _ProgressPrinter

    def feed(printer):
        for state, cell in (("starting", 0), ("running", 1), ("running", 2), ("succeeded", 2)):
            printer({"state": state, "cell": cell, "n_cells": 2, "elapsed": 0.1 * cell})

    bar, plain = io.StringIO(), io.StringIO()
    feed(_ProgressPrinter("bar", bar))
    feed(_ProgressPrinter("plain", plain))
    assert "\r[" in bar.getvalue() and "cell 2/2" in bar.getvalue() and "\n" not in bar.getvalue()
    assert plain.getvalue().splitlines() == ["cell 1/2 started at 0.1 s", "cell 2/2 started at 0.2 s"]


@pytest.mark.parametrize(
    ("mistake", "ename", "expected"),
    [
        ("option", "OptionError", (2, "usage", False)),
        ("parameter", "ParameterError", (2, "usage", False)),
        ("bundle", "UsageError", (2, "usage", False)),
        ("own", "ValueError", (3, "error", True)),  # the user's own exception may be transient: retry
    ],
)
def test_an_mlcheck_user_mistake_raised_in_a_cell_is_usage_and_never_retried(
    mistake, ename, expected, tmp_path
):
    """Retrying a wrong option, an unset parameter or a missing bundle never helps (they were exit 3, retry: yes)."""
    run = run_notebook(
        NOTEBOOKS / "usage_mistake.ipynb", {"mistake": mistake}, runs_dir=tmp_path, report=False
    )
    assert (run.exit_code, run.status, run.record.retry) == expected
    assert run.failed_cell["ename"] == ename and run.failed_cell["cell"] == 3
    assert f"cell 3 raised {ename}" in run.message
    notebook = output_of(run)
    assert (notebook.metadata["mlcheck"]["exit_code"], notebook.metadata["mlcheck"]["retry"]) == expected[::2]
    assert "after" not in run.values  # the cells after the mistake did not run


def test_the_usage_error_names_cover_every_mlcheck_usage_error():
    """outcome.USAGE_ERRORS names classes; every UsageError subclass mlcheck defines must be in it."""
    import mlcheck.runs.rundir  # noqa: F401  (defines DamagedRun, a UsageError)
    from mlcheck.runs.outcome import USAGE_ERRORS

    def subclasses(cls):
        return {cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))}

    ours = {cls.__name__ for cls in subclasses(UsageError) if cls.__module__.startswith("mlcheck.")}
    assert ours <= USAGE_ERRORS


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), 0.0, -1.0])
@pytest.mark.parametrize("option", ["timeout", "cell_timeout"])
def test_run_notebook_refuses_a_timeout_that_is_not_a_positive_finite_number(option, seconds, tmp_path):
    with pytest.raises(UsageError, match="positive, finite number of seconds"):
        run_notebook(NOTEBOOKS / "hello.ipynb", runs_dir=tmp_path, **{option: seconds})
    assert not list(tmp_path.iterdir())  # refused before a run directory was made


def test_two_notebooks_sharing_a_name_and_a_runs_dir_keep_their_own_history(tmp_path):
    """F23: a/job.ipynb and b/job.ipynb in one --runs-dir: history of b listed a's runs as b's."""
    import shutil

    from mlcheck.runs.runner import RunWarning

    runs_dir = tmp_path / "shared"
    notebooks = {}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        notebooks[name] = tmp_path / name / "job.ipynb"
        shutil.copy(NOTEBOOKS / "hello.ipynb", notebooks[name])
    first = run_notebook(notebooks["a"], {"name": "from-a"}, runs_dir=runs_dir)
    with pytest.warns(RunWarning, match=r"also holds runs of .*a/job\.ipynb, another notebook named job\.ipynb"):
        second = run_notebook(notebooks["b"], {"name": "from-b"}, runs_dir=runs_dir)
    assert first.run_dir.parent == second.run_dir.parent  # one folder per stem, as documented
    assert [row.run_id for row in history(runs_dir, notebooks["b"])] == [second.run_id]
    assert [row.run_id for row in history(runs_dir, notebooks["a"])] == [first.run_id]
    # by stem alone both are listed, each compared only with its own notebook's runs
    both = history(runs_dir, "job")
    assert {row.run_id for row in both} == {first.run_id, second.run_id}
    assert all(row.changed == {} for row in both)


def test_a_moved_project_keeps_its_history_and_a_same_named_notebook_does_not_join_it(tmp_path):
    """Identity of a notebook's runs: a copied or moved project (runs included) is the same series;
    another notebook of the same name sharing the runs dir is not, in history, latest and mc.monitor alike."""
    import shutil
    import warnings

    import mlcheck as mc
    from mlcheck.runs.rundir import latest
    from mlcheck.runs.runner import RunWarning

    project = tmp_path / "proj"
    for name in ("a", "b"):
        (project / name).mkdir(parents=True)
        shutil.copy(NOTEBOOKS / "hello.ipynb", project / name / "job.ipynb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the shared-folder warning, tested above
        runs = {name: run_notebook(project / name / "job.ipynb", {"name": name}, runs_dir=project / "runs")
                for name in ("a", "b")}  # fmt: skip
    moved = tmp_path / "elsewhere"
    shutil.copytree(project, moved)
    notebook = moved / "a" / "job.ipynb"
    # the folder's newest run is b's, another notebook: named; a's own earlier run, moved, is not "another"
    with pytest.warns(RunWarning, match=r"also holds runs of .*proj/b/job\.ipynb"):
        again = run_notebook(notebook, {"name": "again"}, runs_dir=moved / "runs")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the newest run is now this notebook's own: no warning
        third = run_notebook(notebook, {"name": "third"}, runs_dir=moved / "runs")
    own = [third.run_id, again.run_id, runs["a"].run_id]
    assert [row.run_id for row in history(moved / "runs", notebook)] == own
    assert latest(moved / "runs", moved / "b" / "job.ipynb").run_id == runs["b"].run_id
    assert sorted(mc.monitor(moved / "runs", notebook)["run_id"]) == sorted(own)
