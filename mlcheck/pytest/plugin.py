"""The pytest plugin: notebooks and their contracts as test items in CI.

Registered through the ``pytest11`` entry point. Configured in the rootdir's
``pyproject.toml``::

    [tool.mlcheck]
    notebooks = ["example_notebooks/*.ipynb"]   # globs, relative to the pyproject's folder
    runs_dir = "runs"
    timeout = 600                                # seconds for one whole notebook run

    [tool.mlcheck.parameters."example_notebooks/train.ipynb"]
    sample = 0.2                                 # CI parameters (a list of tables: one run per set)

    [tool.mlcheck.notebook."example_notebooks/train.ipynb"]
    scoring = "example_notebooks/score.ipynb"    # adds parity[golden]
    bundle = "example_notebooks/artifacts/credit"  # optional: found from the run otherwise

Each notebook is a :class:`NotebookFile`; it runs once through
:func:`mlcheck.runs.run_notebook` (the run directories ``mlcheck run`` leaves)
and yields an ``execute`` item (did it run to the end?) and, when it did, one
item per outcome of each recorded check: ``train.ipynb::check_performance[recall]``.
A list of parameter tables puts one collector per set between them:
``train.ipynb::[sample=0.1]::check_performance[recall]``.

Running once under pytest-xdist. Items are named after what the notebook
recorded, so a notebook must run while it is collected, and every xdist
worker collects every notebook. The runs of one pytest session are therefore
shared through a folder ``<runs_dir>/.pytest/<session-token>/``: the token is
made by the controller and handed to the workers in ``workerinput``. A process
that needs a run claims its key (notebook, coerced parameters, timeout) by
creating ``<key>.claim`` exclusively, runs it and publishes ``<key>.json``
(the run directory) atomically; a process that finds the key claimed does not
sit idle but claims and runs another notebook of the session that nobody has
started, then looks again. So with ``-n 2`` two notebooks run at a time, each
exactly once, and every worker collects the same items from the same runs.
A claim whose process died is taken over. The folder is removed when the
session ends; the run directories stay. The ``mlcheck_run`` fixture shares
the same store, so a test asking for a run the collection made reuses it.
"""

from __future__ import annotations

import json
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mlcheck.pytest.config import Job, Settings, collectible, jobs_api, run_key, set_label
from mlcheck.pytest.store import STORE_FOLDER, RunStore, find_bundle, store_entry

__all__ = ["ContractWarning", "NotebookFile", "NotebookItem", "ParameterSet", "mlcheck_key"]

EXECUTE = "execute"
GOLDEN = "parity[golden]"


class ContractWarning(UserWarning):
    """A warning-severity check failed: the item passes and says so."""


class _ItemFailure(Exception):
    """Raised by an item; its text is the whole failure report."""


# -- the session ---------------------------------------------------------------


def _under(path: Path, targets: list[Path]) -> bool:
    return any(path == target or target in path.parents for target in targets)


class MlcheckPlugin:
    """The plugin's state for one pytest session (in the controller and in each xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.token: str = (workerinput or {}).get("mlcheck_token") or secrets.token_hex(8)
        self.settings: Settings | None = None
        self.store: RunStore | None = None
        self.pending: list[Job] = []
        self.runs: dict[str, Any] = {}

    # hooks ---------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: every worker shares this session's runs."""
        node.workerinput["mlcheck_token"] = self.token

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        settings = self.settings = Settings(self.config)
        self.store = RunStore(settings.runs_dir / STORE_FOLDER / self.token)
        if self.config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            # `pytest` with no paths: the configured notebooks join testpaths
            covered = self._targets()
            self.config.args.extend(str(nb) for nb in settings.notebooks if not _under(nb, covered))
        targets = self._targets()
        wanted = [nb for nb in settings.notebooks if _under(nb, targets)]
        wanted += [
            t for t in targets if t.is_file() and collectible(t, settings.runs_dir) and t not in wanted
        ]
        if wanted:
            jobs_api()
        from mlcheck.errors import MlcheckError

        for notebook in wanted:
            try:
                self.pending += settings.jobs(notebook)
            except MlcheckError:  # an unreadable notebook: its collection reports it
                continue

    def _targets(self) -> list[Path]:
        base = self.config.invocation_params.dir
        return [(base / arg.split("::")[0]).resolve() for arg in self.config.args]

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> NotebookFile | None:
        if file_path.suffix != ".ipynb" or self.settings is None:
            return None
        path = file_path.resolve()
        if not collectible(path, self.settings.runs_dir):
            return None
        if path in self.settings.notebooks or parent.session.isinitpath(file_path):
            return NotebookFile.from_parent(parent, path=file_path)
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.store is None or not self.store.folder.is_dir():
            return
        entries = [e for e in self.store.entries() if "run_dir" in e]
        if not entries:
            return
        terminalreporter.write_sep("-", "mlcheck runs")
        for entry in sorted(entries, key=lambda e: e.get("started", "")):
            what = Path(entry["notebook"]).name + (f" {entry['label']}" if entry.get("label") else "")
            how = "read" if entry.get("read") else f"{entry.get('duration', 0):.1f} s"
            terminalreporter.write_line(
                f"{entry.get('status', '?'):<10} {what:<40} {how:>8}  {entry['run_dir']}"
            )

    def close(self) -> None:
        if self.is_worker or self.store is None:
            return
        shutil.rmtree(self.store.folder, ignore_errors=True)
        try:
            self.store.folder.parent.rmdir()  # .pytest, when no other session is running
        except OSError:
            pass

    # runs ------------------------------------------------------------------------
    def _compute(self, job: Job) -> Callable[[], dict[str, Any]]:
        settings = self.settings
        assert settings is not None

        def compute() -> dict[str, Any]:
            from mlcheck.errors import MlcheckError

            if settings.no_run:
                return self._existing(job)
            try:
                run = jobs_api().run_notebook(
                    job.notebook, job.parameters, runs_dir=settings.runs_dir, timeout=job.timeout
                )
            except MlcheckError as error:
                return {"notebook": str(job.notebook), "label": job.label, "error": str(error)}
            return store_entry(job, run)

        return compute

    def _steal(self) -> bool:
        """Run a notebook of this session that nobody has started; False when none is left."""
        assert self.store is not None
        for job in self.pending:
            if self.store.read(job.key) is None and self.store.claim(job.key):
                self.store._compute(job.key, self._compute(job))
                return True
        return False

    def run(self, job: Job) -> dict[str, Any]:
        """The store's entry for ``job``: run here, by another worker, or read (``--mlcheck-no-run``)."""
        assert self.store is not None
        return self.store.obtain(job.key, self._compute(job), self._steal)

    def _existing(self, job: Job) -> dict[str, Any]:
        assert self.settings is not None
        jobs = jobs_api()
        folder = self.settings.runs_dir / job.notebook.stem
        found = []
        for run_dir in folder.iterdir() if folder.is_dir() else ():
            if (run_dir / "run.json").is_file():
                run = jobs.read_run(run_dir)
                same = Path(run.notebook).resolve() == job.notebook
                if same and all(run.parameters.get(k) == v for k, v in job.parameters.items()):
                    found.append(run)
        if not found:
            wanted = f" with {set_label(job.parameters)}" if job.parameters else ""
            return {
                "notebook": str(job.notebook),
                "label": job.label,
                "error": f"--mlcheck-no-run: no finished run of {job.notebook.name}{wanted} under {folder}; "
                "run it first (pytest without --mlcheck-no-run, or mlcheck run)",
            }
        return store_entry(job, max(found, key=lambda run: run.started), read=True)

    def golden(self, job: Job, run: Any) -> dict[str, Any]:
        """Golden parity of the bundle ``run`` exported, by the configured scoring notebook."""
        assert self.settings is not None and self.store is not None
        settings = self.settings.by_path[job.notebook]
        assert settings.scoring is not None
        runs_dir = self.settings.runs_dir

        def compute() -> dict[str, Any]:
            from mlcheck.bundle.golden import check_golden
            from mlcheck.errors import MlcheckError

            bundle, problem = find_bundle(run, settings.bundle)
            if bundle is None:
                return {"kind": "golden", "error": problem}
            try:
                result, scoring = check_golden(
                    bundle,
                    settings.scoring,
                    runs_dir=runs_dir,
                    timeout=job.timeout,
                    rtol=settings.rtol,
                    trusted=settings.trust,
                )
            except MlcheckError as error:
                return {"kind": "golden", "error": f"{settings.scoring.name} on {bundle}: {error}"}
            scoring_job = Job(settings.scoring, {"model_dir": str(bundle)}, job.timeout, "[golden]")
            return {
                **store_entry(scoring_job, scoring),
                "kind": "golden",
                "bundle": str(bundle),
                "result": result.to_dict(),
            }

        return self.store.obtain(
            run_key("golden", str(run.run_dir), str(settings.scoring)), compute, self._steal
        )

    def fixture_run(self, notebook: str | Path, parameters: Mapping[str, Any]) -> Any:
        assert self.settings is not None
        from mlcheck.errors import UsageError

        jobs = jobs_api()
        path = (self.settings.root / notebook).resolve()
        coerced = jobs.coerce_parameters(jobs.read_parameters(path), dict(parameters), notebook=path.name)
        job = Job(path, coerced, self.settings.job_timeout(self.settings.by_path.get(path)))
        if job.key not in self.runs:
            entry = self.run(job)
            if "error" in entry:
                raise UsageError(entry["error"])
            self.runs[job.key] = jobs.read_run(entry["run_dir"])
        return self.runs[job.key]


# -- collectors and items ------------------------------------------------------


class NotebookFile(pytest.File):
    """A notebook: run once, its checks as items (one collector per parameter set of a list)."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from mlcheck.errors import MlcheckError

        plugin = self.config.stash[mlcheck_key]
        assert plugin.settings is not None
        try:
            jobs = plugin.settings.jobs(self.path.resolve())
        except MlcheckError as error:
            raise self.CollectError(f"mlcheck: {error}") from None
        for job in jobs:
            if job.label is None:
                yield from _items(self, plugin, job)
            else:
                yield ParameterSet.from_parent(self, name=job.label, job=job)


class ParameterSet(pytest.Collector):
    """One set of a notebook's listed CI parameters: ``train.ipynb::[sample=0.1]``."""

    def __init__(self, *, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job

    def collect(self) -> Iterator[pytest.Item]:
        yield from _items(self, self.config.stash[mlcheck_key], self.job)


def _items(parent: pytest.Collector, plugin: MlcheckPlugin, job: Job) -> Iterator[pytest.Item]:
    entry = plugin.run(job)
    run = jobs_api().read_run(entry["run_dir"]) if "run_dir" in entry else None
    yield NotebookItem.from_parent(parent, name=EXECUTE, run=run, entry=entry)
    if run is None or run.exit_code not in (0, 1):
        return  # a notebook that did not run to the end has no check items
    subjects = [
        (result, outcome, f"{result.name}[{_clean(outcome.subject)}]" if outcome else result.name)
        for result in run.results
        for outcome in (result.outcomes or (None,))
    ]
    names = [name for _, _, name in subjects]
    for result, outcome, name in subjects:
        if names.count(name) > 1:  # the same check on the same subject twice: tell them apart by cell
            name = f"{name}@cell{result.details.get('cell')}"
        yield NotebookItem.from_parent(
            parent, name=name, run=run, entry=entry, result=result, outcome=outcome
        )
    settings = plugin.settings.by_path.get(job.notebook) if plugin.settings else None
    if settings is not None and settings.scoring is not None:
        golden = None if plugin.settings.no_run else plugin.golden(job, run)
        yield NotebookItem.from_parent(parent, name=GOLDEN, run=run, entry=entry, golden=golden)


def _clean(subject: str) -> str:
    return " ".join(str(subject).replace("::", ":").split())


class NotebookItem(pytest.Item):
    """``execute``, one check subject (``check_shift[age]``), or ``parity[golden]``."""

    def __init__(
        self,
        *,
        run: Any,
        entry: dict[str, Any],
        result: Any = None,
        outcome: Any = None,
        golden: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run, self.entry, self.result, self.outcome, self.golden = run, entry, result, outcome, golden
        self._mark("mlcheck")
        if result is not None:
            self._mark(result.name)
            observed, threshold = (
                (outcome.observed, outcome.threshold) if outcome else (result.observed, result.threshold)
            )
            self.user_properties += [
                ("check", result.name),
                ("severity", result.severity),
                ("observed", _json(observed)),
                ("threshold", _json(threshold)),
                ("cell", _json(result.details.get("cell"))),
            ]
        elif golden is not None and "result" in golden:
            self._mark("check_parity")
            parity = golden["result"]
            self.user_properties += [
                ("observed", _json(parity.get("observed"))),
                ("threshold", _json(parity.get("threshold"))),
            ]
        if run is not None:
            self.user_properties += [
                ("run_dir", str(run.run_dir)),
                ("notebook", str(run.output_path)),
                ("report", str(run.report_path)),
            ]

    def _mark(self, name: str) -> None:
        if not any(line.split(":")[0].strip() == name for line in self.config.getini("markers")):
            self.config.addinivalue_line("markers", f"{name}: mlcheck items of the {name} check")
        self.add_marker(name)

    def runtest(self) -> None:
        if self.name == EXECUTE:
            if self.run is None or self.run.exit_code not in (0, 1):
                raise _ItemFailure(_execution_report(self.entry, self.run))
        elif self.name == GOLDEN:
            self._golden()
        else:
            passed = self.outcome.passed if self.outcome is not None else self.result.passed
            if passed:
                return
            text = _check_report(self.name, self.result, self.outcome, self.run)
            if self.result.severity == "error":
                raise _ItemFailure(text)
            warnings.warn_explicit(ContractWarning(text), ContractWarning, str(self.path), 0)

    def _golden(self) -> None:
        if self.golden is None:
            pytest.skip("golden parity runs the scoring notebook; not with --mlcheck-no-run")
        if "error" in self.golden:
            raise _ItemFailure(f"{GOLDEN} could not run: {self.golden['error']}")
        from mlcheck.results import CheckResult

        result = CheckResult.from_dict(self.golden["result"])
        if result.passed:
            return
        scoring = jobs_api().read_run(self.golden["run_dir"])
        text = _check_report(GOLDEN, result, result.outcomes[0] if result.outcomes else None, self.run)
        text += f"\n  bundle:    {self.golden['bundle']}\n  scoring:   {scoring.output_path}"
        if scoring.exit_code not in (0, 1):
            text += "\n" + _execution_report(self.golden, scoring)
        raise _ItemFailure(text)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, _ItemFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # the headline of a failure; not the node id's tail, which pytest would rewrite
        where = self.path.name + (f" {self.parent.name}" if isinstance(self.parent, ParameterSet) else "")
        return self.path, None, f"{self.name} in {where}"


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _indented(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _cell_source(run: Any, index: Any) -> str:
    try:
        import nbformat

        return str(nbformat.read(str(run.output_path), as_version=4).cells[int(index)].source)
    except (OSError, ValueError, IndexError, TypeError):
        return ""


def _check_report(name: str, result: Any, outcome: Any, run: Any) -> str:
    """What failed, by how much, where: plain text, no colour codes."""
    from mlcheck.display.cards import format_value
    from mlcheck.runs.outcome import strip_ansi

    observed, threshold = (
        (outcome.observed, outcome.threshold) if outcome else (result.observed, result.threshold)
    )
    message = (outcome.message if outcome else "") or result.message or "failed"
    cell = result.details.get("cell")
    lines = [
        f"{name} failed: {message}",
        f"  check:     {result.name} (severity {result.severity})",
        f"  observed:  {format_value(observed)}",
        f"  threshold: {format_value(threshold)}",
    ]
    if cell is not None:
        lines.append(f"  cell:      {cell}")
        source = _cell_source(run, cell)
        if source:
            lines.append(_indented("\n".join(source.splitlines()[:8])))
    lines += [f"  notebook:  {_shown(run.output_path)}", f"  report:    {_shown(run.report_path)}"]
    return strip_ansi("\n".join(lines))


def _execution_report(entry: dict[str, Any], run: Any) -> str:
    """Why a notebook did not run to the end: the failing cell, the error, the kernel's traceback."""
    from mlcheck.runs.outcome import strip_ansi

    name = Path(entry.get("notebook", "notebook")).name
    if run is None:
        return strip_ansi(f"{name}: {entry.get('error', 'did not run')}")
    lines = [f"{name} did not run to the end ({run.status}, exit code {run.exit_code}): {run.message}"]
    if run.parameters:
        lines.append(f"  parameters: {set_label(run.parameters)}")
    failed = run.failed_cell or {}
    if failed:
        lines.append(f"  cell {failed.get('index')}:")
        lines.append(_indented(str(failed.get("source", ""))))
        lines.append(f"  {failed.get('ename', '')}: {failed.get('evalue', '')}")
        if failed.get("traceback"):
            lines.append("  traceback (from the kernel):")
            lines.append(_indented("\n".join(failed["traceback"])))
    lines += [f"  notebook:  {_shown(run.output_path)}", f"  report:    {_shown(run.report_path)}"]
    return strip_ansi("\n".join(lines))


# -- hooks and fixtures --------------------------------------------------------

mlcheck_key = pytest.StashKey[MlcheckPlugin]()


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
    plugin = MlcheckPlugin(config)
    config.stash[mlcheck_key] = plugin
    config.pluginmanager.register(plugin, "mlcheck-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(mlcheck_key, None)
    if plugin is not None:
        plugin.close()
        del config.stash[mlcheck_key]
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
    plugin = pytestconfig.stash[mlcheck_key]

    def run(notebook: str | Path, /, **parameters: Any) -> Any:
        return plugin.fixture_run(notebook, parameters)

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
    plugin = pytestconfig.stash[mlcheck_key]

    def load(source: Any, /, *, trusted: list[str] | None = None) -> Any:
        from mlcheck.bundle import load as load_bundle
        from mlcheck.errors import UsageError

        if hasattr(source, "run_id"):
            path, problem = find_bundle(source, None)
            if path is None:
                raise UsageError(problem)
        else:
            assert plugin.settings is not None
            path = (plugin.settings.root / source).resolve()
        return load_bundle(path, trusted=trusted)

    return load
