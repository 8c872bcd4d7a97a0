"""The pytest plugin with pytester: real projects, real kernels, real run directories.

Kernel runs cost seconds, so each scenario runs its notebooks once and then
asserts what it can on that session, or re-reads its runs with
``--mlcheck-no-run``.
"""

from __future__ import annotations

import json
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

import mlcheck.bundle.golden  # noqa: F401
from mlcheck.pytest.config import jobs_api

pytest_plugins = ["pytester"]
# pytester's in-process runs drop the modules a run imported and restore
# sys.meta_path. numpy and friends cannot be imported twice in one process, and
# the importlib_metadata backport (dask imports it when a bundle is loaded)
# removes the standard library's distribution finder in favour of its own, so
# once its finder is dropped pytest finds no plugin entry points. All of them
# are loaded here, before any in-process run.
jobs_api()
try:
    import importlib_metadata  # noqa: F401
except ImportError:  # not installed: nothing can remove the finder
    pass

NOTEBOOKS = Path(__file__).parent / "notebooks"
PLUGIN_NOTEBOOKS = NOTEBOOKS / "pytest_plugin"


def make_project(pytester: pytest.Pytester, notebooks: dict[str, Path], pyproject: str) -> Path:
    for name, source in notebooks.items():
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    pytester.makefile(".toml", pyproject=pyproject)
    return pytester.path


def run_dirs(root: Path, stem: str) -> list[Path]:
    folder = root / "runs" / stem
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def junit_cases(path: Path) -> dict[str, ET.Element]:
    """JUnit test cases by ``<notebook>::<name>``."""
    return {
        f"{case.get('classname')}::{case.get('name')}": case
        for case in ET.parse(path).getroot().iter("testcase")
    }


def junit_properties(case: ET.Element) -> dict[str, str | None]:
    return {p.get("name") or "": p.get("value") for p in case.iter("property")}


def test_checks_become_items_and_failures_say_what_broke(pytester: pytest.Pytester) -> None:
    root = make_project(
        pytester,
        {
            "contracts.ipynb": PLUGIN_NOTEBOOKS / "contracts.ipynb",
            "check_then_raise.ipynb": PLUGIN_NOTEBOOKS / "check_then_raise.ipynb",
            "hidden_check.ipynb": PLUGIN_NOTEBOOKS / "hidden_check.ipynb",
            "sleeps.ipynb": NOTEBOOKS / "sleeps.ipynb",
        },
        # sleeps.ipynb sleeps 30 s in its cell 3: a cell timeout counts from the cell's start, so
        # it expires in that cell however long the kernel takes to start (a run timeout would not)
        """
        [tool.mlcheck]
        notebooks = ["*.ipynb"]
        [tool.mlcheck.parameters."contracts.ipynb"]
        shift_income = 30
        [tool.mlcheck.notebook."sleeps.ipynb"]
        cell_timeout = 5
        """,
    )
    result = pytester.runpytest(
        "-v", "--junitxml=junit.xml", "-o", "junit_duration_report=call", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2, failed=4, skipped=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "check_then_raise.ipynb::execute FAILED*",
            "check_then_raise.ipynb::check_coverage SKIPPED*",
            "contracts.ipynb::execute PASSED*",
            "contracts.ipynb::check_shift FAILED*",
            "contracts.ipynb::check_coverage PASSED*",
            "hidden_check.ipynb::execute FAILED*",
            "hidden_check.ipynb::check_shift SKIPPED*",
            "sleeps.ipynb::execute FAILED*",
        ]
    )
    output = result.stdout.str()
    assert "\x1b[" not in output
    # a notebook that did not run to the end: its check items are skipped, even for checks it ran
    skipped = pytester.runpytest(
        "--mlcheck-no-run", "-rs", "-p", "no:cacheprovider", "check_then_raise.ipynb"
    )
    skipped.assert_outcomes(failed=1, skipped=1)
    skipped.stdout.fnmatch_lines(["*check_then_raise.ipynb did not run to the end: see its execute item*"])

    # the failed check: each failed subject, observed, threshold, the cell, the executed notebook and its report
    (contracts_run,) = run_dirs(root, "contracts")
    failure = output[output.index("_ check_shift in contracts.ipynb _") :]
    assert "check_shift[income] failed" in failure and "check_shift[age]" not in failure
    assert "observed:" in failure and "threshold: 0.1" in failure and "(1 other subject held)" in failure
    assert "cell:      3" in failure and "mc.check_shift(reference, current, max_kl=0.1)" in failure
    assert f"runs/contracts/{contracts_run.name}/output.ipynb" in failure
    assert f"runs/contracts/{contracts_run.name}/report.html" in failure
    assert (contracts_run / "report.html").is_file()

    # the notebook that raised: its cell, the error, the kernel's traceback
    raised = output[output.index("_ execute in check_then_raise.ipynb _") :]
    assert "raise RuntimeError('planted after a passing check')" in raised
    assert "RuntimeError: planted after a passing check" in raised
    assert "traceback (from the kernel):" in raised and "Cell In[" in raised
    # the notebook that timed out, in the cell that sleeps
    timed_out = output[output.index("_ execute in sleeps.ipynb _") :]
    assert "timed out" in timed_out and "5 s cell timeout" in timed_out and "time.sleep(seconds)" in timed_out
    assert "ContractWarning" in output and "check_coverage[coverage] failed" in output  # the warning check
    # a check the static reading cannot see is reported by execute; a call that never ran is skipped
    hidden = output[output.index("_ execute in hidden_check.ipynb _") :]
    assert "check_coverage[coverage] failed" in hidden and "has no item of its own" in hidden
    assert "from_a_helper([1.0, None, None], min=0.9)" in hidden

    # JUnit XML: one case per item, the observed values as properties
    cases = junit_cases(root / "junit.xml")
    assert sorted(cases) == sorted(
        [
            "check_then_raise.ipynb::execute",
            "check_then_raise.ipynb::check_coverage",
            "contracts.ipynb::execute",
            "contracts.ipynb::check_shift",
            "contracts.ipynb::check_coverage",
            "hidden_check.ipynb::execute",
            "hidden_check.ipynb::check_shift",
            "sleeps.ipynb::execute",
        ]
    )
    shift = cases["contracts.ipynb::check_shift"]
    properties = junit_properties(shift)
    assert float(properties["observed[income]"] or 0) > 0.1 and properties["threshold[income]"] == "0.1"
    assert "observed[age]" not in properties  # held subjects are counted, not listed
    assert properties["check"] == "check_shift" and properties["cell"] == "3"
    assert (properties["report"] or "").endswith("report.html")
    failure_element = shift.find("failure")
    assert failure_element is not None and "\x1b[" not in (failure_element.text or "")
    assert cases["contracts.ipynb::check_coverage"].find("failure") is None
    assert junit_properties(cases["contracts.ipynb::check_coverage"])["severity"] == "warning"
    # JUnit times show where the notebook's time went: each check item the time of its cell,
    # execute the rest of the run
    record = json.loads((contracts_run / "run.json").read_text())
    executed = json.loads((contracts_run / "output.ipynb").read_text())
    shift_cell = next(c for c in executed["cells"] if "mc.check_shift(" in "".join(c["source"]))
    times = {name: float(case.get("time") or 0) for name, case in cases.items()}
    assert times["contracts.ipynb::check_shift"] == pytest.approx(
        shift_cell["metadata"]["papermill"]["duration"], abs=1e-3
    )
    contracts_total = sum(t for name, t in times.items() if name.startswith("contracts.ipynb::"))
    assert contracts_total == pytest.approx(record["duration"], abs=5e-3)

    # the same runs, read back without a kernel: -k, -m and -x select among them
    selected = pytester.runpytest(
        "--mlcheck-no-run", "-k", "contracts and check_shift", "-p", "no:cacheprovider"
    )
    selected.assert_outcomes(failed=1, deselected=7)
    marked = pytester.runpytest("--mlcheck-no-run", "-m", "check_coverage", "-p", "no:cacheprovider")
    marked.assert_outcomes(passed=1, skipped=1, deselected=6, warnings=1)
    first = pytester.runpytest("--mlcheck-no-run", "-x", "-p", "no:cacheprovider")
    first.assert_outcomes(failed=1)
    stems = ("contracts", "check_then_raise", "hidden_check", "sleeps")
    assert [len(run_dirs(root, stem)) for stem in stems] == [1, 1, 1, 1]
    assert not (root / "runs" / ".pytest").exists()  # the session's store is cleaned up


def tree(root: Path) -> dict[str, float]:
    """Every path under ``root`` and its modification time, but pytester's own (its basetemp and logs)."""
    own = ("runpytest-", "stdout", "stderr")
    return {
        str(p.relative_to(root)): p.stat().st_mtime
        for p in root.rglob("*")
        if not str(p.relative_to(root)).startswith(own)
    }


def test_collection_reads_the_notebooks_and_runs_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        pytester,
        {
            "contracts.ipynb": PLUGIN_NOTEBOOKS / "contracts.ipynb",
            "train.ipynb": NOTEBOOKS / "bundle" / "train.ipynb",
            "score.ipynb": NOTEBOOKS / "bundle" / "score.ipynb",
        },
        """
        [tool.mlcheck]
        notebooks = ["contracts.ipynb", "train.ipynb"]
        [[tool.mlcheck.parameters."contracts.ipynb"]]
        shift_income = 0
        [[tool.mlcheck.parameters."contracts.ipynb"]]
        shift_income = 30
        [tool.mlcheck.notebook."train.ipynb"]
        scoring = "score.ipynb"
        """,
    )
    # what the collecting process imported, told at the end: a kernel needs jupyter_client
    pytester.makeconftest(
        """
        import sys

        def pytest_terminal_summary(terminalreporter):
            loaded = sorted(m for m in ("jupyter_client", "papermill", "nbclient") if m in sys.modules)
            terminalreporter.write_line(f"execution modules: {loaded}")
        """
    )
    before = tree(root)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    result = pytester.runpytest_subprocess(
        "--collect-only", "-q", "-p", "mlcheck.pytest.plugin", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.OK
    assert [line for line in result.stdout.lines if "::" in line] == [
        "contracts.ipynb::[shift_income=0]::execute",
        "contracts.ipynb::[shift_income=0]::check_shift",
        "contracts.ipynb::[shift_income=0]::check_coverage",
        "contracts.ipynb::[shift_income=30]::execute",
        "contracts.ipynb::[shift_income=30]::check_shift",
        "contracts.ipynb::[shift_income=30]::check_coverage",
        "train.ipynb::execute",
        "train.ipynb::check_parity",
        "train.ipynb::check_schema",  # called under an if: known from the source, whether it runs or not
        "train.ipynb::parity[golden]",
    ]
    result.stdout.fnmatch_lines(["execution modules: []"])
    assert tree(root) == before  # nothing written: no runs/, no store, no bundle


def test_parameter_sets_and_the_mlcheck_run_fixture_share_runs(pytester: pytest.Pytester) -> None:
    root = make_project(
        pytester,
        {"checks.ipynb": NOTEBOOKS / "checks.ipynb"},
        """
        [tool.mlcheck]
        notebooks = ["checks.ipynb"]
        [[tool.mlcheck.parameters."checks.ipynb"]]
        fail = false
        [[tool.mlcheck.parameters."checks.ipynb"]]
        fail = true
        """,
    )
    pytester.makepyfile(
        test_plugin_run_fixture="""
        def test_fixture_reuses_the_collected_run(mlcheck_run):
            run = mlcheck_run("checks.ipynb", fail="yes")
            assert run is mlcheck_run("checks.ipynb", fail=True)
            assert (run.status, run.exit_code, run.values) == ("failed", 1, {"after": True})
            assert run.parameters == {"fail": True} and run.results[0].observed == 0.25
            assert run.output_path.is_file() and run.report_path.is_file()
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", "checks.ipynb", "test_plugin_run_fixture.py")
    result.stdout.fnmatch_lines(
        [
            "checks.ipynb::[[]fail=False[]]::execute PASSED*",
            "checks.ipynb::[[]fail=False[]]::check_coverage PASSED*",
            "checks.ipynb::[[]fail=True[]]::execute PASSED*",
            "checks.ipynb::[[]fail=True[]]::check_coverage FAILED*",
            "test_plugin_run_fixture.py::test_fixture_reuses_the_collected_run PASSED*",
        ]
    )
    result.assert_outcomes(passed=4, failed=1)
    assert len(run_dirs(root, "checks")) == 2  # one per parameter set; the fixture ran nothing more
    # without a kernel, each set reads back the newest run with its own parameters
    again = pytester.runpytest("--mlcheck-no-run", "-p", "no:cacheprovider", "checks.ipynb")
    again.assert_outcomes(passed=3, failed=1)
    again.stdout.fnmatch_lines(["*FAILED checks.ipynb::[[]fail=True[]]::check_coverage*"])
    assert len(run_dirs(root, "checks")) == 2


def ci_templates() -> tuple[list[str], list[str]]:
    """The pytest arguments and the artifact paths of templates/ci/, which must agree."""
    folder = Path(__file__).parent.parent / "templates" / "ci"
    github = yaml.safe_load((folder / "github-actions.yml").read_text())
    steps = github["jobs"]["contracts"]["steps"]
    (command,) = [s["run"] for s in steps if "-m pytest" in s.get("run", "")]
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload["if"] == "always()"
    gitlab = yaml.safe_load((folder / "gitlab-ci.yml").read_text())["contracts"]
    (gitlab_command,) = [line for line in gitlab["script"] if "-m pytest" in line]
    assert gitlab_command == command.strip() and gitlab["artifacts"]["when"] == "always"
    paths = upload["with"]["path"].split()
    assert paths == gitlab["artifacts"]["paths"] and gitlab["artifacts"]["reports"]["junit"] in paths
    return shlex.split(command)[3:], paths  # after "python -m pytest"


def test_ci_template_command_under_xdist_runs_each_notebook_once(pytester: pytest.Pytester) -> None:
    root = make_project(
        pytester,
        {"contracts.ipynb": PLUGIN_NOTEBOOKS / "contracts.ipynb", "checks.ipynb": NOTEBOOKS / "checks.ipynb"},
        """
        [tool.mlcheck]
        notebooks = ["*.ipynb"]
        """,
    )
    args, artifacts = ci_templates()
    assert args[:2] == ["-n", "2"]
    # the timeout only stops a hung session; it is no bound on how fast the machine is
    result = pytester.runpytest_subprocess(
        *args, "-p", "no:cacheprovider", "--mlcheck-param", "checks.ipynb:fail=yes", timeout=1800
    )
    result.assert_outcomes(passed=4, failed=1, warnings=1)
    result.stdout.fnmatch_lines(["*FAILED checks.ipynb::check_coverage*"])
    assert len(run_dirs(root, "contracts")) == 1 and len(run_dirs(root, "checks")) == 1
    assert not (root / "runs" / ".pytest").exists()
    assert all((root / path).exists() for path in artifacts)  # what CI keeps is there
    assert (run_dirs(root, "contracts")[0] / "report.html").is_file()


def test_golden_parity_item_runs_the_scoring_notebook_on_the_bundle(pytester: pytest.Pytester) -> None:
    bundle = NOTEBOOKS / "bundle"
    root = make_project(
        pytester,
        {
            "train.ipynb": bundle / "train.ipynb",
            "train_refit.ipynb": bundle / "train.ipynb",
            "score.ipynb": bundle / "score.ipynb",
            "score_refit_scaler.ipynb": bundle / "score_refit_scaler.ipynb",
        },
        """
        [tool.mlcheck]
        notebooks = ["train*.ipynb"]
        [tool.mlcheck.parameters."train.ipynb"]
        bundle_dir = "artifacts/credit"
        n_rows = 400
        [tool.mlcheck.parameters."train_refit.ipynb"]
        bundle_dir = "artifacts/refit"
        n_rows = 400
        [tool.mlcheck.notebook."train.ipynb"]
        scoring = "score.ipynb"
        [tool.mlcheck.notebook."train_refit.ipynb"]
        scoring = "score_refit_scaler.ipynb"
        bundle = "artifacts/refit"
        """,
    )
    pytester.mkdir("artifacts")
    pytester.makepyfile(
        test_plugin_bundle_fixture="""
        def test_bundle_of_a_run(mlcheck_run, mlcheck_bundle):
            run = mlcheck_run("train.ipynb", bundle_dir="artifacts/credit", n_rows="400")
            bundle = mlcheck_bundle(run)
            assert bundle.provenance["run"]["run_id"] == run.run_id
            assert len(bundle.golden) == 100  # the test split of 400 rows
            assert mlcheck_bundle("artifacts/credit").path == bundle.path
        """
    )
    result = pytester.runpytest(
        "-v", "-p", "no:cacheprovider", "train.ipynb", "train_refit.ipynb", "test_plugin_bundle_fixture.py"
    )
    result.stdout.fnmatch_lines(
        [
            "train.ipynb::parity[[]golden[]] PASSED*",
            "train_refit.ipynb::parity[[]golden[]] FAILED*",
            "test_plugin_bundle_fixture.py::test_bundle_of_a_run PASSED*",
        ]
    )
    output = result.stdout.str()
    failure = output[output.index("_ parity[golden] in train_refit.ipynb _") :]
    assert "parity[golden] failed" in failure and "scoring:" in failure and "artifacts/refit" in failure
    assert len(run_dirs(root, "train")) == 1 and len(run_dirs(root, "score")) == 1
    assert len(run_dirs(root, "score_refit_scaler")) == 1


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        ('notebooks = ["*.ipynb"]\nnotebook_globs = ["x"]', [], "unknown key(s) 'notebook_globs'"),
        ('notebooks = ["nope/*.ipynb"]', [], "the glob 'nope/*.ipynb' in notebooks"),
        ('notebooks = "*.ipynb"', [], "must be a list of glob strings"),
        (
            'notebooks = ["*.ipynb"]\n[tool.mlcheck.parameters."checks.ipynb"]\nfial = true',
            [],
            "unknown parameter 'fial'",
        ),
        (
            'notebooks = ["*.ipynb"]\n[tool.mlcheck.parameters."checks.ipynb"]\nfail = "often"',
            [],
            "'fail' must be bool",
        ),
        (
            'notebooks = ["*.ipynb"]\n[tool.mlcheck.parameters."other.ipynb"]\nfail = true',
            [],
            "'other.ipynb' does not exist",
        ),
        ('notebooks = ["*.ipynb"]\ntimeout = -1', [], "timeout in [tool.mlcheck]"),
        (
            'notebooks = ["*.ipynb"]\n[tool.mlcheck.notebook."checks.ipynb"]\nscore = "s.ipynb"',
            [],
            "unknown key(s) 'score'",
        ),
        ('notebooks = ["*.ipynb"]', ["--mlcheck-param", "fail=true"], "expects NB:NAME=VALUE"),
        (
            'notebooks = ["*.ipynb"]',
            ["--mlcheck-param", "checks.ipynb:fail=sometimes"],
            "'fail' must be bool",
        ),
    ],
)
def test_misconfiguration_is_a_usage_error_before_anything_runs(
    pytester: pytest.Pytester, config: str, args: list[str], expected: str
) -> None:
    root = make_project(pytester, {"checks.ipynb": NOTEBOOKS / "checks.ipynb"}, f"[tool.mlcheck]\n{config}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "ERROR: mlcheck: " in errors and expected in errors, errors
    assert "Traceback" not in errors + result.stdout.str()
    assert not (root / "runs").exists()


def test_only_notebooks_are_collected_and_no_run_needs_a_run(pytester: pytest.Pytester) -> None:
    root = make_project(
        pytester,
        {
            "nbs/checks.ipynb": NOTEBOOKS / "checks.ipynb",
            "nbs/.ipynb_checkpoints/checks-checkpoint.ipynb": NOTEBOOKS / "checks.ipynb",
            "runs/checks/20260101T000000000000Z-abcdef/output.ipynb": NOTEBOOKS / "checks.ipynb",
            "elsewhere/out/run1/output.ipynb": NOTEBOOKS / "checks.ipynb",
            "tests/more.ipynb": NOTEBOOKS / "checks.ipynb",
        },
        """
        [tool.mlcheck]
        notebooks = ["**/*.ipynb"]
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    )
    (root / "elsewhere/out/run1/status.json").write_text("{}")
    collected = pytester.runpytest("--co", "-q", "--mlcheck-no-run", "-p", "no:cacheprovider")
    ids = [line for line in collected.stdout.lines if "::" in line]
    assert ids == [  # testpaths, then the notebooks
        "tests/more.ipynb::execute",
        "tests/more.ipynb::check_coverage",
        "nbs/checks.ipynb::execute",
        "nbs/checks.ipynb::check_coverage",
    ]
    result = pytester.runpytest("--mlcheck-no-run", "-p", "no:cacheprovider", "nbs")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*--mlcheck-no-run: no finished run of checks.ipynb under*"])
    assert [p.name for p in run_dirs(root, "checks")] == ["20260101T000000000000Z-abcdef"]  # nothing ran


def test_a_project_without_notebooks_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "mlcheck runs" not in result.stdout.str()
    assert not (pytester.path / "runs").exists()


def test_an_unreadable_notebook_is_a_collection_error_without_traceback(pytester: pytest.Pytester) -> None:
    make_project(
        pytester,
        {"corrupt.ipynb": NOTEBOOKS / "corrupt.ipynb"},
        '[tool.mlcheck]\nnotebooks = ["*.ipynb"]\n',
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*ERROR collecting corrupt.ipynb*", "*mlcheck: *corrupt.ipynb is not a valid notebook*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_results_go_to_the_call_that_made_them_and_the_run_time_is_shared_out(tmp_path: Path) -> None:
    from mlcheck.pytest.session import assign
    from mlcheck.pytest.sites import CheckSite
    from mlcheck.results import CheckResult
    from mlcheck.runs.rundir import Run, RunRecord, Status

    def result(name: str, cell: int | None) -> dict[str, object]:
        return CheckResult(name, passed=True, details={} if cell is None else {"cell": cell}).to_dict()

    sites = [
        CheckSite("check_coverage", 1),  # a helper defined in cell 1 ...
        CheckSite("check_shift", 2),
        CheckSite("check_schema", 2),  # two checks called in one cell share its time
        CheckSite("check_latency", 4),  # a branch that did not run
    ]
    record = RunRecord(
        run_id="r",
        notebook=str(tmp_path / "nb.ipynb"),
        status=Status.SUCCEEDED,
        exit_code=0,
        duration=10.0,
        cells=[
            {"cell": None, "duration": 0.5},  # injected: part of execute's time
            {"cell": 1, "duration": 1.0},
            {"cell": 2, "duration": 4.0},
            {"cell": 3, "duration": 2.0},
            {"cell": 4, "duration": None},
        ],
        results=[
            result("check_shift", 2),
            result("check_schema", 2),
            result("check_coverage", 3),  # ... and called in cell 3
            result("check_parity", 3),  # called where the source shows no call of it
        ],
    )
    assignment = assign(Run(record, tmp_path), sites)
    assert {site.name: [r.name for r, _ in placed] for site, placed in assignment.results.items()} == {
        "check_coverage": ["check_coverage"],
        "check_shift": ["check_shift"],
        "check_schema": ["check_schema"],
        "check_latency": [],
    }
    assert [(r.name, cell) for r, cell in assignment.unmatched] == [("check_parity", 3)]
    assert [assignment.seconds[site] for site in sites] == [1.0, 2.0, 2.0, 0.0]
    assert assignment.execute_seconds == 5.0  # kernel start, cell 3, the rest of the run


def test_the_plugin_module_is_imported_once_when_its_docstring_examples_run(
    pytester: pytest.Pytester,
) -> None:
    package = Path(__file__).resolve().parent.parent / "mlcheck" / "pytest"
    pytester.makepyfile(
        plugin_probe="""
        import sys

        def pytest_terminal_summary(terminalreporter):
            names = sorted(
                name for name, module in list(sys.modules.items())
                if str(getattr(module, "__file__", "")).endswith("plugin.py") and hasattr(module, "MlcheckPlugin")
            )
            terminalreporter.write_line(f"plugin modules: {names}")
        """
    )
    result = pytester.runpytest_subprocess(
        "--doctest-modules", "-p", "plugin_probe", "-p", "no:cacheprovider", str(package)
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["plugin modules: ['mlcheck.pytest.plugin']"])
