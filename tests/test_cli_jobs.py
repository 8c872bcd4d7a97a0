"""``mlcheck run``, ``history`` and ``report`` as a scheduler and on-call see them (real kernels)."""

from __future__ import annotations

import json
import math
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlcheck.cli import main
from mlcheck.runs.rundir import RunRecord, Status, create_run_dir, read_run, write_record

NOTEBOOKS = Path(__file__).parent / "notebooks"


def mlcheck(*args: str, cwd: Path | None = None, preexec=None, env=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run(
        [sys.executable, "-m", "mlcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=300,
        check=False, preexec_fn=preexec, env=env,
    )  # fmt: skip


def _only_run_dir(runs_dir: Path, stem: str) -> Path:
    (run_dir,) = (runs_dir / stem).iterdir()
    return run_dir


def test_run_help_prints_the_exit_code_table(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for status in Status:
        if status.final:
            assert f"{status.exit_code:>4}  {status.value}" in text and status.meaning in text


# -- paths ---------------------------------------------------------------------------------------
def test_runs_go_beside_the_notebook_and_the_kernel_runs_in_its_folder_or_cwd(tmp_path):
    project, elsewhere, workdir = tmp_path / "project", tmp_path / "cron-cwd", tmp_path / "workdir"
    for folder in (project, elsewhere, workdir):
        folder.mkdir()
    shutil.copy(NOTEBOOKS / "where.ipynb", project)
    done = mlcheck("run", str(project / "where.ipynb"), "--no-report", "--log-output", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    run = read_run(_only_run_dir(project / "runs", "where"))  # beside the notebook, not in the current folder
    assert run.values["cwd"] == str(project) and not (elsewhere / "runs").exists()
    assert "hello from the notebook" in done.stderr  # --log-output streams the notebook's own output
    again = mlcheck(
        "run",
        "project/where.ipynb",
        "--cwd",
        "workdir",
        "--runs-dir",
        "cron-runs",
        "--no-report",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    run = read_run(
        _only_run_dir(tmp_path / "cron-runs", "where")
    )  # a given --runs-dir: from the current folder
    assert run.values["cwd"] == str(workdir)


def test_a_url_as_runs_dir_is_refused_before_anything_runs(tmp_path):
    done = mlcheck("run", str(NOTEBOOKS / "hello.ipynb"), "--runs-dir", "s3://bucket/runs", cwd=tmp_path)
    assert done.returncode == 2 and "must be a local folder" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


# -- infrastructure ------------------------------------------------------------------------------
def _file_size_limit() -> None:  # a "full disk" for this process and its kernel: writes past 5 KB fail
    # the prepared notebook (under 4 KB) is written; the executed one, with the kernel's package list, is not
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))


def test_a_full_disk_ends_the_run_as_infrastructure_with_a_record(tmp_path):
    done = mlcheck(
        "run", str(NOTEBOOKS / "hello.ipynb"), "--runs-dir", str(tmp_path), preexec=_file_size_limit
    )
    assert done.returncode == Status.INFRASTRUCTURE.exit_code, done.stdout + done.stderr
    assert "mlcheck/runs" not in done.stderr  # no traceback of mlcheck's (the kernel may log its own)
    run = read_run(_only_run_dir(tmp_path, "hello"))
    assert (run.status, run.record.retry) == ("infrastructure", True) and "File too large" in run.message
    assert sorted(p.name for p in run.run_dir.iterdir() if p.name.startswith(".")) == []


def test_a_kernel_that_does_not_start_is_an_infrastructure_error(tmp_path):
    spec = tmp_path / "jupyter" / "kernels" / "broken"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps(
        {"argv": ["/no/such/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "broken", "language": "python"}
    ))  # fmt: skip
    import os

    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    done = mlcheck("run", str(NOTEBOOKS / "hello.ipynb"), "--kernel", "broken", "--runs-dir", str(tmp_path / "runs"),
                   "--no-report", env=env)  # fmt: skip
    assert done.returncode == 6, done.stderr
    run = read_run(_only_run_dir(tmp_path / "runs", "hello"))
    assert run.status == "infrastructure" and "the kernel 'broken' did not start" in run.message
    assert "before any cell ran" in run.message and run.failed_cell is None


def test_a_tampered_bundle_is_exit_7_and_never_retried(tmp_path):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import mlcheck as mc

    generator = np.random.default_rng(0)
    features = pd.DataFrame({"x": generator.normal(size=200), "z": generator.normal(size=200)})
    model = LogisticRegression().fit(features, features["x"] > 0)
    bundle = mc.export(model, tmp_path / "bundle", reference=features)
    model_file = next(p for p in bundle.path.iterdir() if p.name.startswith("model"))
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    model_file.write_bytes(bytes(data))
    done = mlcheck("run", str(NOTEBOOKS / "loads_bundle.ipynb"), "-p", "bundle_path", str(bundle.path),
                   "--runs-dir", str(tmp_path / "runs"), "--no-report")  # fmt: skip
    assert done.returncode == Status.INTEGRITY.exit_code, done.stdout + done.stderr
    run = read_run(_only_run_dir(tmp_path / "runs", "loads_bundle"))
    assert (run.status, run.record.retry) == ("integrity", False)
    assert run.failed_cell["cell"] == 3 and run.failed_cell["ename"] == "BundleIntegrityError"
    assert done.stdout.splitlines()[-1].endswith("retry: no")


# -- the log -------------------------------------------------------------------------------------
def test_the_log_puts_failures_first_and_ends_with_what_the_exit_code_means(tmp_path):
    done = mlcheck("run", str(NOTEBOOKS / "checks.ipynb"), "-p", "fail", "yes", "--runs-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("FAILED: 1 of 1 checks failed: check_coverage")
    assert lines[1].startswith("FAIL  check_coverage[coverage]  observed 0.25 vs threshold")
    assert lines[2].startswith("held: 0 of 1 checked subjects")
    assert any(line.startswith("recorded: after=") for line in lines)
    assert any(line.startswith("report: ") and line.endswith("report.html") for line in lines)
    assert lines[-1] == f"exit 1 (failed): {Status.FAILED.meaning}; retry: no"


def test_the_log_says_whether_each_output_was_written(tmp_path):
    shutil.copy(NOTEBOOKS / "writes.ipynb", tmp_path)
    written = mlcheck("run", "writes.ipynb", "--no-report", cwd=tmp_path)
    assert "outputs: output_path=out.txt (written)" in written.stdout.splitlines(), written.stdout
    skipped = mlcheck("run", "writes.ipynb", "-p", "write", "False", "--no-report", cwd=tmp_path)
    assert "outputs: output_path=out.txt (not written)" in skipped.stdout.splitlines(), skipped.stdout


# -- history and report --------------------------------------------------------------------------
def _record(runs_dir: Path, notebook: Path, status: Status, started: str, **extra) -> Path:  # noqa: ANN003
    run_id, run_dir = create_run_dir(runs_dir, notebook)
    write_record(run_dir, RunRecord(run_id=run_id, notebook=str(notebook), status=status,
                                    exit_code=int(status.exit_code), started=started, **extra))  # fmt: skip
    return run_dir


def _failed_checks(n: int) -> list[dict]:
    return [
        {"name": "check_schema", "passed": False, "severity": "error", "outcomes":
         [{"subject": f"col{i}", "passed": False} for i in range(n)] + [{"subject": "ok", "passed": True}]}
    ]  # fmt: skip


def test_history_has_a_header_every_failure_counted_metrics_drift_and_damaged_runs(tmp_path):
    notebook = tmp_path / "score.ipynb"
    runs_dir = tmp_path / "runs"
    _record(runs_dir, notebook, Status.SUCCEEDED, "1", values={"auc": 0.91, "max_kl": 0.02})
    _record(runs_dir, notebook, Status.FAILED, "2", values={"auc": 0.85, "max_kl": 0.4, "psi_age": float("nan")},
            results=_failed_checks(8))  # fmt: skip
    _record(runs_dir, notebook, Status.SUCCEEDED, "3", kind="golden")
    damaged = runs_dir / "score" / "99999999T999999-damaged"
    damaged.mkdir()
    (damaged / "run.json").write_text('{"run_id": ')
    done = mlcheck("history", str(notebook), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["run", "id", "notebook", "status", "exit"]
    assert "damaged" in lines[1] and "not valid JSON" in lines[1]  # listed, never hiding the others
    failed = next(line for line in lines if " failed " in line)
    assert "auc=0.85" in failed and "max drift max_kl=0.4" in failed
    assert "check_schema[col0]" in failed and "check_schema[col4]" in failed and "+3 more" in failed
    assert len(lines) == 4  # the golden-parity run is kept apart
    golden = mlcheck("history", str(notebook), "--kind", "golden", cwd=tmp_path)
    assert len(golden.stdout.splitlines()) == 2 + 1  # header, the golden run, the damaged one
    as_json = mlcheck("history", str(notebook), "--json", cwd=tmp_path)
    rows = json.loads(as_json.stdout, parse_constant=lambda name: pytest.fail(f"non-strict JSON {name}"))
    assert rows[1]["values"]["psi_age"] == "nan" and rows[0]["status"] == "damaged"
    # a limit never hides runs silently (session 3: history stopped at 20 of 26 without a word)
    limited = mlcheck("history", str(notebook), "-n", "1", cwd=tmp_path).stdout.splitlines()
    assert len(limited) == 3 and limited[-1] == "(2 older run(s) not shown: -n 3 lists them all)"


def test_report_takes_a_run_id_or_latest(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(NOTEBOOKS / "no_params.ipynb", project)
    done = mlcheck("run", "project/no_params.ipynb", "--no-report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = _only_run_dir(project / "runs", "no_params")
    latest = mlcheck("report", "latest", "project/no_params.ipynb", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    assert Path(latest.stdout.strip()) == run_dir / "report.html" and (run_dir / "report.html").is_file()
    by_id = mlcheck("report", run_dir.name, "--runs-dir", str(project / "runs"), cwd=tmp_path)
    assert by_id.returncode == 0 and Path(by_id.stdout.strip()) == run_dir / "report.html"
    unknown = mlcheck("report", "no-such-run", "--runs-dir", str(project / "runs"), cwd=tmp_path)
    assert unknown.returncode == 2 and "mlcheck history" in unknown.stderr


def test_the_run_log_goes_to_the_current_stdout_not_the_one_at_import(capsys) -> None:
    import io
    import sys
    from types import SimpleNamespace

    from mlcheck.cli.jobs import print_run

    run = SimpleNamespace(
        status="succeeded", message="no checks were recorded", results=[], failed_cell=None, exit_code=0,
        started="", parameters={}, run_dir="r", notebook="n.ipynb", values={}, record=SimpleNamespace(cwd=""),
        output_path=Path("no/output.ipynb"), report_path=Path("no/report.html"),
    )  # fmt: skip
    replaced, sys.stdout = sys.stdout, io.StringIO()
    try:
        print_run(run)
        assert sys.stdout.getvalue().startswith("SUCCEEDED: no checks were recorded")
    finally:
        sys.stdout = replaced


def test_a_recorded_number_no_float_holds_never_breaks_history_or_monitor(tmp_path):
    """mc.record("big", 10**400) used to make history and monitor crash with OverflowError for every run."""
    notebook = tmp_path / "rec.ipynb"
    runs_dir = tmp_path / "runs"
    for day in range(1, 7):
        _record(runs_dir, notebook, Status.SUCCEEDED, f"2026-01-0{day}T00:00:00+00:00",
                values={"big": 10**400, "small": day, "psi_big": 10**400})  # fmt: skip
    done = mlcheck("history", str(notebook), cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == 6 and all("big=1e+400" in row and "small=" in row for row in rows)
    assert not any("max drift" in row for row in rows)  # no float holds it: not compared
    as_json = json.loads(mlcheck("history", str(notebook), "--json", cwd=tmp_path).stdout)
    assert as_json[0]["values"]["big"] == 10**400  # kept as recorded
    monitored = mlcheck("monitor", str(notebook), "--runs-dir", str(runs_dir), cwd=tmp_path)
    assert monitored.returncode == 0 and "Traceback" not in monitored.stderr, monitored.stderr
    from mlcheck.monitoring.series import run_row

    assert math.isnan(run_row({"values": {"big": 10**400}})["value[big]"])  # NaN in the monitor frame


def _shift_result(psi: dict[str, float], *, passed: bool) -> dict:
    features = {name: {"psi": value, "kl": value / 2, "effect": value - 0.05} for name, value in psi.items()}
    return {"name": "check_shift", "passed": passed, "severity": "error", "observed": max(psi.values()),
            "details": {"max_kl": None, "max_psi": 0.1, "features": features},
            "outcomes": [{"subject": name, "passed": value < 0.1} for name, value in psi.items()]}  # fmt: skip


def test_history_shows_the_largest_drift_of_a_failed_check_shift(tmp_path):
    """The README's "largest drift value" came from recorded kl/psi values only, never from check_shift."""
    notebook = tmp_path / "score.ipynb"
    runs_dir = tmp_path / "runs"
    _record(runs_dir, notebook, Status.FAILED, "2026-01-02T00:00:00+00:00",
            results=[_shift_result({"age": 4.211, "income": 0.02}, passed=False)])  # fmt: skip
    done = mlcheck("history", str(notebook), cwd=tmp_path)
    row = done.stdout.splitlines()[1]
    assert "max drift psi[age]=4.21" in row and "failed: check_shift[age]" in row, done.stdout
    as_json = json.loads(mlcheck("history", str(notebook), "--json", cwd=tmp_path).stdout)
    assert as_json[0]["drift"] == ["psi[age]", 4.211]


def test_history_says_which_other_kinds_of_runs_exist_and_refuses_a_negative_limit(tmp_path):
    notebook = tmp_path / "checks.ipynb"
    runs_dir = tmp_path / "runs"
    for started in ("2026-01-01", "2026-01-02"):
        _record(runs_dir, notebook, Status.SUCCEEDED, started, kind="ci")
    done = mlcheck("history", str(notebook), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"no job runs under {runs_dir}; 2 ci runs: use --kind ci (or --kind all)"
    assert len(mlcheck("history", str(notebook), "--kind", "ci", cwd=tmp_path).stdout.splitlines()) == 3
    negative = mlcheck("history", str(notebook), "-n", "-5", cwd=tmp_path)
    assert negative.returncode == 2 and "-n/--limit must be a positive number" in negative.stderr


def test_history_text_and_json_agree_that_a_run_without_record_was_killed(tmp_path):
    """A run directory without run.json whose lock nobody holds: "killed" in both (text said "damaged")."""
    notebook = tmp_path / "sleeps.ipynb"
    runs_dir = tmp_path / "runs"
    create_run_dir(runs_dir, notebook)  # what SIGKILL leaves: the directory, no record
    text = mlcheck("history", str(notebook), cwd=tmp_path).stdout.splitlines()[1]
    as_json = json.loads(mlcheck("history", str(notebook), "--json", cwd=tmp_path).stdout)
    assert as_json[0]["status"] == "killed" and text.split()[2] == "killed" and "damaged" not in text


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`mlcheck history | head -1` printed a BrokenPipeError traceback."""
    notebook = tmp_path / "many.ipynb"
    for day in range(1, 29):
        _record(
            tmp_path / "runs", notebook, Status.SUCCEEDED, f"2026-02-{day:02d}", values={"note": "x" * 2000}
        )
    reader = subprocess.Popen(
        [sys.executable, "-m", "mlcheck", "history", str(notebook), "-n", "100"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stdout.readline().startswith(b"run id")
    reader.stdout.close()  # what head does after its first line
    stderr = reader.stderr.read().decode() if reader.stderr else ""
    assert reader.wait(timeout=60) == 141 and stderr == ""


def test_the_log_of_a_run_without_checks_does_not_claim_contracts_held(tmp_path):
    done = mlcheck("run", str(NOTEBOOKS / "no_params.ipynb"), "--no-report", "--runs-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "exit 0 (succeeded): the notebook ran to its end; it recorded no checks; retry: no"
    )


def test_history_changed_is_what_differs_from_the_run_before_and_kind_all_names_kinds(tmp_path):
    """Every row listed every parameter that varied anywhere, so a run with its defaults looked changed."""
    from mlcheck.runs.history import history

    notebook = tmp_path / "score.ipynb"
    runs_dir = tmp_path / "runs"
    for started, batch in (("2026-01-01", "normal"), ("2026-01-02", "drifted"), ("2026-01-03", "drifted")):
        _record(runs_dir, notebook, Status.SUCCEEDED, started, parameters={"batch": batch, "seed": 0})
    _record(runs_dir, notebook, Status.SUCCEEDED, "2026-01-04", kind="ci")
    rows = history(runs_dir, notebook)
    # newest first; the oldest has none
    assert [row.changed for row in rows] == [{}, {"batch": "drifted"}, {}]
    lines = mlcheck("history", str(notebook), "--kind", "all", cwd=tmp_path).stdout.splitlines()[1:]
    assert sorted(line.split()[2] for line in lines) == ["(ci)", "(job)", "(job)", "(job)"]


def test_the_log_of_a_user_mistake_in_a_cell_says_usage_without_a_traceback(tmp_path):
    done = mlcheck("run", str(NOTEBOOKS / "usage_mistake.ipynb"), "--no-report", "--runs-dir", str(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("USAGE: cell 3 raised OptionError: check_coverage: severity must be one of")
    assert "Traceback" not in done.stdout and "_validation.py" not in done.stdout  # kept in output.ipynb
    assert lines[-1] == f"exit 2 (usage): {Status.USAGE.meaning}; retry: no"


def test_a_runs_dir_that_cannot_be_created_is_a_path_to_fix_not_a_retry(tmp_path):
    """F12 (session 3): a read-only or impossible --runs-dir was exit 6 (retry) advising to free disk space."""
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    done = mlcheck("run", str(NOTEBOOKS / "hello.ipynb"), "--runs-dir", str(blocker / "runs"), "--no-report")
    assert done.returncode == 2, done.stderr
    assert f"cannot create the runs folder {blocker / 'runs' / 'hello'}" in done.stderr
    assert "--runs-dir" in done.stderr and "disk space" not in done.stderr and "Traceback" not in done.stderr
