"""The plugin's state for one pytest session, kept in ``config.stash[session_key]``.

Nothing here runs while pytest collects: a notebook runs when the first of its
items runs (``execute`` normally; any of them under ``-k`` or xdist), once per
session. Running once under pytest-xdist: every worker collects every item,
and items of one notebook may land on different workers, so the runs of one
session are shared through a folder ``<runs_dir>/.pytest/<session-token>/``
(:class:`~mlcheck.pytest.store.RunStore`): the token is made by the controller
and handed to the workers in ``workerinput``. A process that needs a run
claims its key (notebook, coerced parameters, timeout) by creating
``<key>.claim`` exclusively, runs it and publishes ``<key>.json`` (the run
directory) atomically; a process that finds the key claimed does not sit idle
but claims and runs another selected notebook that nobody has started, then
looks again. So with ``-n 2`` two notebooks run at a time, each exactly once.
A claim whose process died is taken over. The folder is removed when the
session ends; the run directories stay. The ``mlcheck_run`` fixture shares the
same store, so a test asking for a run the notebooks' items made reuses it.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlcheck.pytest.config import Job, Settings, jobs_api, run_key, set_label
from mlcheck.pytest.sites import CheckSite, cell_source
from mlcheck.pytest.store import STORE_FOLDER, RunStore, find_bundle, store_entry

if TYPE_CHECKING:
    from mlcheck.results import CheckResult
    from mlcheck.runs import Run

__all__ = ["Assignment", "MlcheckSession", "assign", "cell_sources", "session_key"]

#: a result and the user's number of the cell that recorded it (None when unknown)
Placed = tuple["CheckResult", "int | None"]


@dataclass
class Assignment:
    """A run's results given to the items that stand for them, and the run's time shared out.

    ``seconds[site]`` is the time of the cells that call the site's check (a
    cell calling several checks shares its time equally); ``execute_seconds``
    is the rest of the run: kernel start, the other cells, the report.
    """

    results: dict[CheckSite, list[Placed]] = field(default_factory=dict)
    unmatched: list[Placed] = field(default_factory=list)
    seconds: dict[CheckSite, float] = field(default_factory=dict)
    execute_seconds: float = 0.0


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def assign(run: Run, sites: list[CheckSite]) -> Assignment:
    """Give each of ``run``'s results to the site that called it, and share out the run's time.

    A result goes to the site of the same check in the same cell (its
    ``details["cell"]``, the user's cell number); else to the nearest earlier
    cell that calls the same check (a helper function defined there and called
    later); else it is unmatched (the ``execute`` item reports it). Cell times
    are the ``cells`` of ``run.json``.
    """
    assignment = Assignment(results={site: [] for site in sites})
    for result in run.results:
        cell = _as_int(result.details.get("cell"))
        same = [site for site in sites if site.name == result.name]
        exact = [site for site in same if site.cell == cell]
        earlier = [site for site in same if cell is not None and site.cell < cell]
        if exact:
            assignment.results[exact[0]].append((result, cell))
        elif earlier:
            assignment.results[max(earlier, key=lambda site: site.cell)].append((result, cell))
        elif len(same) == 1 and cell is None:
            assignment.results[same[0]].append((result, cell))
        else:
            assignment.unmatched.append((result, cell))
    durations: dict[int, float] = {}
    for timing in run.record.cells:
        number, duration = _as_int(timing.get("cell")), timing.get("duration")
        if number is not None and isinstance(duration, (int, float)):
            durations[number] = float(duration)
    for site in sites:
        sharing = sum(1 for other in sites if other.cell == site.cell)
        assignment.seconds[site] = durations.get(site.cell, 0.0) / sharing
    assignment.execute_seconds = max(run.duration - sum(assignment.seconds.values()), 0.0)
    return assignment


def cell_sources(run: Run) -> dict[int, str]:
    """The user's cell number -> that cell's source, as it ran (from ``output.ipynb``; empty if unreadable)."""
    from mlcheck.runs.outcome import cell_number

    try:
        cells = json.loads(run.output_path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(cells, list):
        return {}
    sources: dict[int, str] = {}
    for index, cell in enumerate(cells):
        number = cell_number(cells, index) if isinstance(cell, dict) else None
        if number is not None:
            sources[number] = cell_source(cell)
    return sources


class MlcheckSession:
    """The plugin's state for one pytest session (in the controller and in each xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.token: str = (workerinput or {}).get("mlcheck_token") or secrets.token_hex(8)
        self.settings: Settings | None = None
        self.store: RunStore | None = None
        self.pending: list[Job] = []  # the selected items' runs, for a waiting worker to take
        self.runs: dict[str, Run] = {}  # by job key: what the mlcheck_run fixture returned
        self.assignments: dict[str, Assignment] = {}  # by run directory
        self.sources: dict[str, dict[int, str]] = {}  # by run directory: cell number -> source

    def start(self) -> None:
        """Read ``[tool.mlcheck]`` and the command line; nothing is written."""
        self.settings = Settings(self.config)
        self.store = RunStore(self.settings.runs_dir / STORE_FOLDER / self.token)

    def close(self) -> None:
        """Remove the session's store (the controller's job: workers end before it)."""
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
                    job.notebook,
                    job.parameters,
                    runs_dir=settings.runs_dir,
                    timeout=job.timeout,
                    cell_timeout=job.cell_timeout,
                    kind="ci",  # mlcheck history keeps test runs apart from the notebook's scheduled ones
                )
            except MlcheckError as error:
                return {"notebook": str(job.notebook), "label": job.label, "error": str(error)}
            return store_entry(job, run)

        return compute

    def _steal(self) -> bool:
        """Run a selected notebook of this session that nobody has started; False when none is left."""
        assert self.store is not None
        for job in self.pending:
            if self.store.read(job.key) is None and self.store.claim(job.key):
                self.store._compute(job.key, self._compute(job))
                return True
        return False

    def entry(self, job: Job) -> dict[str, Any]:
        """The store's entry for ``job``: run here, by another worker, or read (``--mlcheck-no-run``)."""
        assert self.store is not None
        return self.store.obtain(job.key, self._compute(job), self._steal)

    def run(self, job: Job) -> tuple[dict[str, Any], Run | None]:
        """``job``'s store entry and its run (None when it could not run at all)."""
        entry = self.entry(job)
        return entry, (jobs_api().read_run(entry["run_dir"]) if "run_dir" in entry else None)

    def assignment(self, run: Run, sites: list[CheckSite]) -> Assignment:
        key = str(run.run_dir)
        if key not in self.assignments:
            self.assignments[key] = assign(run, sites)
        return self.assignments[key]

    def cell_sources(self, run: Run) -> dict[int, str]:
        key = str(run.run_dir)
        if key not in self.sources:
            self.sources[key] = cell_sources(run)
        return self.sources[key]

    def _existing(self, job: Job) -> dict[str, Any]:
        """The newest finished run of ``job``'s notebook with its parameters (``--mlcheck-no-run``)."""
        assert self.settings is not None
        from mlcheck.runs import rundir

        found = [
            scanned.run
            for scanned in rundir.scan(self.settings.runs_dir, job.notebook)
            if scanned.run is not None
            and scanned.run.record.kind != "golden"  # a CI or job run of the notebook itself
            and scanned.run.notebook.resolve() == job.notebook
            and all(scanned.run.parameters.get(k) == v for k, v in job.parameters.items())
        ]
        if not found:
            folder = rundir.notebook_folder(self.settings.runs_dir, job.notebook)
            wanted = f" with {set_label(job.parameters)}" if job.parameters else ""
            return {
                "notebook": str(job.notebook),
                "label": job.label,
                "error": f"--mlcheck-no-run: no finished run of {job.notebook.name}{wanted} under {folder}; "
                "run it first (pytest without --mlcheck-no-run, or mlcheck run)",
            }
        return store_entry(job, max(found, key=lambda run: (run.started, run.run_id)), read=True)

    def golden(self, job: Job, run: Run) -> dict[str, Any]:
        """Golden parity of the bundle ``run`` exported, by the configured scoring notebook."""
        assert self.settings is not None and self.store is not None
        settings = self.settings.by_path[job.notebook]
        assert settings.scoring is not None
        scoring_notebook = settings.scoring
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
                    scoring_notebook,
                    runs_dir=runs_dir,
                    timeout=job.timeout,
                    rtol=settings.rtol,
                    trusted=settings.trust,
                )
            except MlcheckError as error:
                return {"kind": "golden", "error": f"{scoring_notebook.name} on {bundle}: {error}"}
            scoring_job = Job(scoring_notebook, {"model_dir": str(bundle)}, job.timeout, "[golden]")
            return {
                **store_entry(scoring_job, scoring),
                "kind": "golden",
                "bundle": str(bundle),
                "result": result.to_dict(),
            }

        return self.store.obtain(
            run_key("golden", str(run.run_dir), str(scoring_notebook)), compute, self._steal
        )

    def fixture_run(self, notebook: str | Path, parameters: Mapping[str, Any]) -> Run:
        """The ``mlcheck_run`` fixture: the session's run of ``notebook`` with ``parameters``."""
        assert self.settings is not None
        from mlcheck.errors import UsageError

        jobs = jobs_api()
        path = (self.settings.root / notebook).resolve()
        coerced = jobs.coerce_parameters(jobs.read_parameters(path), dict(parameters), notebook=path.name)
        notebook_settings = self.settings.by_path.get(path)
        job = Job(
            path,
            coerced,
            self.settings.job_timeout(notebook_settings),
            cell_timeout=self.settings.job_cell_timeout(notebook_settings),
        )
        if job.key not in self.runs:
            entry = self.entry(job)
            if "error" in entry:
                raise UsageError(entry["error"])
            self.runs[job.key] = jobs.read_run(entry["run_dir"])
        return self.runs[job.key]


session_key = pytest.StashKey[MlcheckSession]()
