"""What the plugin collects: a notebook, its parameter sets and its items, and what they report.

A notebook yields, without running anything (see :mod:`mlcheck.pytest.sites`
for why items are named from a static reading):

``execute``
    did the notebook run to the end? It fails with the failing cell, the error
    and the kernel's traceback; it also reports any check result that no other
    item stands for (a check called from a helper module).
``check_shift`` (``check_shift@cell7`` when called in several cells)
    the results of that check's call: the item fails when an error-severity
    result failed (listing each failed subject, e.g. ``check_shift[income]``),
    passes with a :class:`ContractWarning` when only warning-severity ones
    did, and is skipped when the call did not run (a branch not taken) or the
    notebook did not run to the end.
``parity[golden]``
    with ``scoring =`` configured: the scoring notebook reproduces the
    predictions of the bundle the run exported.

The notebook runs when the first of its items runs (once per session; see
:mod:`mlcheck.pytest.session`). Each item's reported duration is the notebook
time it stands for: a check item the time of the cells that call it,
``execute`` the rest of the run, ``parity[golden]`` the scoring run, so JUnit
XML and ``--durations`` show where the notebook's time went.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlcheck.pytest.config import Job, set_label
from mlcheck.pytest.session import MlcheckSession, session_key
from mlcheck.pytest.sites import CheckSite, item_names, read_sites

if TYPE_CHECKING:
    from mlcheck.results import CheckResult, Outcome
    from mlcheck.runs import Run

__all__ = ["CheckItem", "ContractWarning", "ExecuteItem", "GoldenItem", "NotebookFile", "NotebookItem"]

EXECUTE = "execute"
GOLDEN = "parity[golden]"


class ContractWarning(UserWarning):
    """A warning-severity check failed: the item passes and says so."""


class _ItemFailure(Exception):
    """Raised by an item; its text is the whole failure report."""


def _check_names() -> set[str]:
    from mlcheck.contracts import known_checks

    return set(known_checks())


class NotebookFile(pytest.File):
    """A notebook: its items, or one collector per parameter set of a list."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from mlcheck.errors import MlcheckError

        session = self.config.stash[session_key]
        assert session.settings is not None
        path = self.path.resolve()
        try:
            jobs = session.settings.jobs(path)
        except MlcheckError as error:
            raise self.CollectError(f"mlcheck: {error}") from None
        sites = read_sites(path, _check_names())
        for job in jobs:
            if job.label is None:
                yield from _items(self, job, sites)
            else:
                yield ParameterSet.from_parent(self, name=job.label, job=job, sites=sites)


class ParameterSet(pytest.Collector):
    """One set of a notebook's listed CI parameters: ``train.ipynb::[sample=0.1]``."""

    def __init__(self, *, job: Job, sites: list[CheckSite], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job, self.sites = job, sites

    def collect(self) -> Iterator[pytest.Item]:
        yield from _items(self, self.job, self.sites)


def _items(parent: pytest.Collector, job: Job, sites: list[CheckSite]) -> Iterator[pytest.Item]:
    yield ExecuteItem.from_parent(parent, name=EXECUTE, job=job, sites=sites)
    for site, name in zip(sites, item_names(sites)):
        yield CheckItem.from_parent(parent, name=name, job=job, sites=sites, site=site)
    settings = parent.config.stash[session_key].settings
    notebook = settings.by_path.get(job.notebook) if settings is not None else None
    if notebook is not None and notebook.scoring is not None:
        yield GoldenItem.from_parent(parent, name=GOLDEN, job=job, sites=sites)


class NotebookItem(pytest.Item):
    """An item of a notebook's run; the run happens when the first such item runs."""

    def __init__(self, *, job: Job, sites: list[CheckSite], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job, self.sites = job, sites
        #: the notebook time this item stands for; reported as its duration when set
        self.seconds: float | None = None
        self._mark("mlcheck")

    @property
    def session_state(self) -> MlcheckSession:
        return self.config.stash[session_key]

    def _mark(self, name: str) -> None:
        if not any(line.split(":")[0].strip() == name for line in self.config.getini("markers")):
            self.config.addinivalue_line("markers", f"{name}: mlcheck items of the {name} check")
        self.add_marker(name)

    def _run(self) -> tuple[dict[str, Any], Run | None]:
        entry, run = self.session_state.run(self.job)
        if run is not None:
            self.user_properties += [
                ("run_dir", str(run.run_dir)),
                ("notebook", str(run.output_path)),
                ("report", str(run.report_path)),
            ]
        return entry, run

    def _ran_to_the_end(self, run: Run | None) -> Run:
        if run is None or run.exit_code not in (0, 1):
            pytest.skip(f"{self.path.name} did not run to the end: see its {EXECUTE} item")
        return run

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, _ItemFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # the headline of a failure; not the node id's tail, which pytest would rewrite
        where = self.path.name + (f" {self.parent.name}" if isinstance(self.parent, ParameterSet) else "")
        return self.path, None, f"{self.name} in {where}"


class ExecuteItem(NotebookItem):
    """``execute``: the notebook ran to the end; results no check item stands for are reported here."""

    def runtest(self) -> None:
        entry, run = self._run()
        if run is None or run.exit_code not in (0, 1):
            if run is not None and not entry.get("read"):
                self.seconds = run.duration
            raise _ItemFailure(_execution_report(entry, run))
        assignment = self.session_state.assignment(run, self.sites)
        if not entry.get("read"):
            self.seconds = assignment.execute_seconds
        failed = [(result, cell) for result, cell in assignment.unmatched if result.failed]
        if not failed:
            return
        note = (
            "\n  (called where the notebook's source does not show it, e.g. from a helper module, "
            f"so it has no item of its own: {EXECUTE} reports it)"
        )
        text = "\n\n".join(
            _check_report(result.name, result, cell, run, self.session_state.cell_sources(run))
            for result, cell in failed
        )
        if any(result.severity == "error" for result, _ in failed):
            raise _ItemFailure(text + note)
        warnings.warn_explicit(ContractWarning(text + note), ContractWarning, str(self.path), 0)


class CheckItem(NotebookItem):
    """One check called in one cell: its results, subject by subject."""

    def __init__(self, *, site: CheckSite, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self._mark(site.name)
        self.user_properties += [("check", site.name), ("cell", str(site.cell))]

    def runtest(self) -> None:
        entry, found = self._run()
        run = self._ran_to_the_end(found)
        assignment = self.session_state.assignment(run, self.sites)
        if not entry.get("read"):
            self.seconds = assignment.seconds.get(self.site, 0.0)
        results = assignment.results.get(self.site, [])
        if not results:
            pytest.skip(
                f"{self.site.name} in cell {self.site.cell} recorded no result in this run (the call did not run)"
            )
        for result, _ in results:
            self.user_properties += _properties(result)
        failed = [(result, cell) for result, cell in results if result.failed]
        if not failed:
            return
        text = "\n\n".join(
            _check_report(self.name, result, cell, run, self.session_state.cell_sources(run))
            for result, cell in failed
        )
        if any(result.severity == "error" for result, _ in failed):
            raise _ItemFailure(text)
        warnings.warn_explicit(ContractWarning(text), ContractWarning, str(self.path), 0)


class GoldenItem(NotebookItem):
    """``parity[golden]``: the scoring notebook reproduces the exported bundle's golden predictions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._mark("check_parity")

    def runtest(self) -> None:
        settings = self.session_state.settings
        if settings is not None and settings.no_run:
            pytest.skip("golden parity runs the scoring notebook; not with --mlcheck-no-run")
        _, found = self._run()
        run = self._ran_to_the_end(found)
        golden = self.session_state.golden(self.job, run)
        if isinstance(golden.get("duration"), (int, float)):
            self.seconds = float(golden["duration"])
        if "error" in golden:
            raise _ItemFailure(f"{GOLDEN} could not run: {golden['error']}")
        from mlcheck.pytest.config import jobs_api
        from mlcheck.results import CheckResult

        result = CheckResult.from_dict(golden["result"])
        self.user_properties += _properties(result)
        if result.passed:
            return
        scoring = jobs_api().read_run(golden["run_dir"])
        text = _check_report(GOLDEN, result, None, run, {})
        text += f"\n  bundle:    {golden['bundle']}\n  scoring:   {scoring.output_path}"
        if scoring.exit_code not in (0, 1):
            text += "\n" + _execution_report(golden, scoring)
        raise _ItemFailure(text)


# -- what items report ---------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _properties(result: CheckResult) -> list[tuple[str, object]]:
    """JUnit properties of a result: its headline values, and each failed subject's."""
    properties: list[tuple[str, object]] = [
        ("severity", result.severity),
        ("observed", _json(result.observed)),
        ("threshold", _json(result.threshold)),
    ]
    for outcome in result.outcomes:
        if not outcome.passed:
            subject = _clean(outcome.subject)
            properties += [
                (f"observed[{subject}]", _json(outcome.observed)),
                (f"threshold[{subject}]", _json(outcome.threshold)),
            ]
    return properties


def _clean(subject: object) -> str:
    return " ".join(str(subject).replace("::", ":").split())


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _indented(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _failed_parts(name: str, result: CheckResult) -> Sequence[tuple[str, Outcome | None]]:
    base = name.split("@")[0]
    failed = [outcome for outcome in result.outcomes if not outcome.passed]
    if not failed:
        return [(base, None)]
    if "[" in base:  # parity[golden]: the item's name says the subject already
        return [(base, failed[0])]
    return [(f"{base}[{_clean(outcome.subject)}]", outcome) for outcome in failed]


def _check_report(name: str, result: CheckResult, cell: int | None, run: Run, sources: dict[int, str]) -> str:
    """What failed, by how much, where: plain text, no colour codes."""
    from mlcheck.display.cards import format_value
    from mlcheck.runs.outcome import strip_ansi

    lines: list[str] = []
    for label, outcome in _failed_parts(name, result):
        observed, threshold = (
            (outcome.observed, outcome.threshold) if outcome else (result.observed, result.threshold)
        )
        message = (outcome.message if outcome else "") or result.message or "failed"
        lines += [
            f"{label} failed: {message}",
            f"  observed:  {format_value(observed)}",
            f"  threshold: {format_value(threshold)}",
        ]
    held = sum(1 for outcome in result.outcomes if outcome.passed)
    if held:
        lines.append(f"  ({held} other subject{'s' if held != 1 else ''} held)")
    lines.append(f"  check:     {result.name} (severity {result.severity})")
    if cell is not None:
        lines.append(f"  cell:      {cell}")
        source = sources.get(cell, "")
        if source:
            lines.append(_indented("\n".join(source.splitlines()[:8])))
    lines += [f"  notebook:  {_shown(run.output_path)}", f"  report:    {_shown(run.report_path)}"]
    return strip_ansi("\n".join(lines))


def _execution_report(entry: dict[str, Any], run: Run | None) -> str:
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
        lines.append(f"  cell {failed.get('cell')}:")
        lines.append(_indented(str(failed.get("source", ""))))
        lines.append(f"  {failed.get('ename', '')}: {failed.get('evalue', '')}")
        if failed.get("traceback"):
            lines.append("  traceback (from the kernel):")
            lines.append(_indented("\n".join(failed["traceback"])))
    lines += [f"  notebook:  {_shown(run.output_path)}", f"  report:    {_shown(run.report_path)}"]
    return strip_ansi("\n".join(lines))
