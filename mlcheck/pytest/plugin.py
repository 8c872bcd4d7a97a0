"""The pytest plugin: notebooks and their contracts as test items in CI.

Registered through the ``pytest11`` entry point. Configured in the rootdir's
``pyproject.toml``::

    [tool.mlcheck]
    notebooks = ["example_notebooks/*.ipynb"]   # globs, relative to the pyproject's folder
    runs_dir = "runs"
    timeout = 600                                # seconds for one whole notebook run
    cell_timeout = 300                           # seconds for any one cell (also per notebook)

    [tool.mlcheck.parameters."example_notebooks/train.ipynb"]
    sample = 0.2                                 # CI parameters (a list of tables: one run per set)

    [tool.mlcheck.notebook."example_notebooks/train.ipynb"]
    scoring = "example_notebooks/score.ipynb"    # adds parity[golden]
    bundle = "example_notebooks/artifacts/credit"  # optional: found from the run otherwise

The plugin follows pytest's own (``junitxml``): its options in one group, its
state in ``config.stash[session_key]`` (:class:`~mlcheck.pytest.session.MlcheckSession`),
registered at configure time. Collection reads files and never runs a kernel
or writes anything: items are named from a static reading of each
notebook's check calls (:mod:`mlcheck.pytest.sites`), ``train.ipynb::execute``,
``train.ipynb::check_performance``, and a list of parameter tables puts one
collector per set between them, ``train.ipynb::[sample=0.1]::check_shift``.
A notebook runs once, through :func:`mlcheck.runs.run_notebook` (the run
directories ``mlcheck run`` leaves), when the first of its items runs
(:mod:`mlcheck.pytest.items`); the runs of one session are shared with xdist
workers and the ``mlcheck_run`` fixture. The session's shared store is removed
when the session ends.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from mlcheck.pytest.config import collectible, jobs_api
from mlcheck.pytest.items import ContractWarning, NotebookFile, NotebookItem
from mlcheck.pytest.session import MlcheckSession, session_key
from mlcheck.pytest.store import find_bundle

__all__ = ["ContractWarning", "MlcheckPlugin", "NotebookFile", "NotebookItem", "session_key"]


def _under(path: Path, targets: list[Path]) -> bool:
    return any(path == target or target in path.parents for target in targets)


class MlcheckPlugin:
    """The hooks that need the session's state; registered as ``mlcheck-session``."""

    def __init__(self, state: MlcheckSession) -> None:
        self.state = state
        self.config = state.config

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: every worker shares this session's runs."""
        node.workerinput["mlcheck_token"] = self.state.token

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.state.start()
        settings = self.state.settings
        assert settings is not None
        if self.config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            # `pytest` with no paths: the configured notebooks join testpaths
            covered = self._targets()
            self.config.args.extend(str(nb) for nb in settings.notebooks if not _under(nb, covered))
        targets = self._targets()
        if any(_under(nb, targets) for nb in settings.notebooks) or any(
            t.suffix == ".ipynb" for t in targets
        ):
            jobs_api()  # before any test module imports nbformat: see jobs_api for why

    def _targets(self) -> list[Path]:
        base = self.config.invocation_params.dir
        return [(base / arg.split("::")[0]).resolve() for arg in self.config.args]

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> NotebookFile | None:
        settings = self.state.settings
        if file_path.suffix != ".ipynb" or settings is None:
            return None
        path = file_path.resolve()
        if not collectible(path, settings.runs_dir):
            return None
        if path in settings.notebooks or parent.session.isinitpath(file_path):
            return NotebookFile.from_parent(parent, path=file_path)
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The runs the selected items need: what a worker waiting for another's run may take on."""
        jobs = {item.job.key: item.job for item in session.items if isinstance(item, NotebookItem)}
        self.state.pending = list(jobs.values())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """A notebook item's duration is the notebook time it stands for (see :mod:`mlcheck.pytest.items`)."""
        report = yield
        if report.when == "call" and isinstance(item, NotebookItem) and item.seconds is not None:
            report.duration = item.seconds
        return report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        store = self.state.store
        if self.state.is_worker or store is None or not store.folder.is_dir():
            return
        entries = [e for e in store.entries() if "run_dir" in e]
        if not entries:
            return
        terminalreporter.write_sep("-", "mlcheck runs")
        for entry in sorted(entries, key=lambda e: e.get("started", "")):
            what = Path(entry["notebook"]).name + (f" {entry['label']}" if entry.get("label") else "")
            how = "read" if entry.get("read") else f"{entry.get('duration', 0):.1f} s"
            terminalreporter.write_line(
                f"{entry.get('status', '?'):<10} {what:<40} {how:>8}  {entry['run_dir']}"
            )


# -- hooks and fixtures --------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlcheck", "notebooks and their contracts as test items (mlcheck)")
    group.addoption(
        "--mlcheck-runs-dir",
        metavar="DIR",
        default=None,
        help="where run directories go (default: runs_dir of [tool.mlcheck], else runs)",
    )
    group.addoption(
        "--mlcheck-timeout",
        type=float,
        metavar="S",
        default=None,
        help="seconds for each whole notebook run (default: timeout of [tool.mlcheck])",
    )
    group.addoption(
        "--mlcheck-no-run",
        action="store_true",
        default=False,
        help="do not execute: check the newest existing run of each notebook",
    )
    group.addoption(
        "--mlcheck-param",
        action="append",
        default=[],
        metavar="NB:NAME=VALUE",
        help="set a notebook parameter for this session (repeatable), e.g. train.ipynb:sample=0.1",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mlcheck: an item collected from a notebook by mlcheck")
    state = config.stash[session_key] = MlcheckSession(config)
    config.pluginmanager.register(MlcheckPlugin(state), "mlcheck-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(session_key, None)
    if state is not None:
        state.close()
        del config.stash[session_key]
        plugin = config.pluginmanager.get_plugin("mlcheck-session")
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


@pytest.fixture(scope="session")
def mlcheck_run(pytestconfig: pytest.Config) -> Callable[..., Any]:
    """Run a notebook once per session for each set of parameters: ``mlcheck_run("train.ipynb", sample=0.1)``.

    Returns a :class:`mlcheck.runs.Run` (``status``, ``exit_code``,
    ``parameters``, ``values``, ``results``, ``run_dir``, ``output_path``,
    ``report_path``). Relative paths are taken from the rootdir. Runs are
    shared with the notebooks pytest collected and with xdist workers.

    Examples
    --------
    >>> def test_recall(mlcheck_run):  # doctest: +SKIP
    ...     run = mlcheck_run("example_notebooks/train.ipynb", sample=0.2)
    ...     assert run.exit_code == 0 and run.values["recall"] > 0.6
    """
    state = pytestconfig.stash[session_key]

    def run(notebook: str | Path, /, **parameters: Any) -> Any:
        return state.fixture_run(notebook, parameters)

    return run


@pytest.fixture(scope="session")
def mlcheck_bundle(pytestconfig: pytest.Config) -> Callable[..., Any]:
    """Load a bundle for assertions: ``mlcheck_bundle("artifacts/credit")`` or ``mlcheck_bundle(run)``.

    Given a run (from ``mlcheck_run``), loads the bundle that run exported.
    Relative paths are taken from the rootdir; ``trusted=`` as for :func:`mlcheck.load`.

    Examples
    --------
    >>> def test_bundle(mlcheck_run, mlcheck_bundle):  # doctest: +SKIP
    ...     bundle = mlcheck_bundle(mlcheck_run("train.ipynb", bundle_dir="artifacts/credit"))
    ...     assert len(bundle.golden) > 0
    """
    state = pytestconfig.stash[session_key]

    def load(source: Any, /, *, trusted: list[str] | None = None) -> Any:
        from mlcheck.bundle import load as load_bundle
        from mlcheck.errors import UsageError

        if hasattr(source, "run_id"):
            path, problem = find_bundle(source, None)
            if path is None:
                raise UsageError(problem)
        else:
            assert state.settings is not None
            path = (state.settings.root / source).resolve()
        return load_bundle(path, trusted=trusted)

    return load
