"""The Monitor view's page: a notebook's job runs over time, as ``mlcheck monitor --html`` draws them.

Where the runs are: the server's runs directory (``JobManager.runs_dir``, where
the panel's jobs write), else ``runs/`` beside the notebook (where
``mlcheck run`` writes by default), the first that holds a folder for the
notebook's stem whose newest run is of this very notebook (two notebooks in
different folders may share a stem), else the first that holds such a folder
at all (runs copied from another machine name a path that is not here).
Both are inside the server root; a runs folder that is a
symbolic link is not followed, nor are links inside it
(:func:`mlcheck.monitoring.series.monitor` skips them).

The series comes from :func:`mlcheck.monitoring.series.monitor`, whose Parquet
index beside the runs keeps a long series fast to load; the page from
:func:`mlcheck.monitoring.dashboard.show`. Drawing runs in one worker thread:
the server's event loop stays free for other requests meanwhile, and as
drawing is CPU-bound, two at once would only share the cores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from mlcheck_jupyter.jobs import RequestError

if TYPE_CHECKING:
    from mlcheck_jupyter.jobs import JobManager

__all__ = ["MAX_RUNS", "dashboard_page", "runs_folder"]

#: the newest runs drawn (the benchmark's size: bench/monitor.py loads and draws 1,000 runs)
MAX_RUNS = 1000

#: one drawing at a time, off the event loop
EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlcheck-monitor")


def candidates(manager: JobManager, notebook: Path) -> list[Path]:
    """Where ``notebook``'s runs may be, in order: the server's runs directory, ``runs/`` beside it."""
    return list(dict.fromkeys([manager.runs_path, notebook.parent / "runs"]))


def _newest_is_of(folder: Path, notebook: Path) -> bool:
    """Whether the newest finished run in ``folder`` ran ``notebook`` (run ids sort by start time)."""
    from mlcheck.runs.rundir import RUN_FILE
    from mlcheck_jupyter.runview import read_json

    run_dirs = (p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir() and not p.is_symlink())
    for run_dir in sorted(run_dirs, key=lambda path: path.name, reverse=True):
        record = read_json(run_dir / RUN_FILE)  # None for a link, or a run still going
        if record is not None:
            return Path(str(record.get("notebook", ""))).resolve() == notebook
    return False


def runs_folder(manager: JobManager, notebook: Path) -> Path | None:
    """The runs directory that holds ``notebook``'s runs (see the module's docstring), or None."""
    found = []
    for runs in candidates(manager, notebook):
        folder = runs / notebook.stem
        if runs.is_symlink() or folder.is_symlink() or not folder.is_dir():
            continue
        if not folder.resolve().is_relative_to(manager.root):
            continue  # a link further up the path
        if _newest_is_of(folder, notebook):
            return runs
        found.append(runs)
    return found[0] if found else None


def dashboard_page(manager: JobManager, notebook: Path) -> str:
    """The dashboard of ``notebook``'s job runs as one HTML page; a 404 RequestError when it has none.

    Raises
    ------
    RequestError
        404 (field ``path``) when no runs folder holds job runs of the notebook.
    """
    from mlcheck.monitoring.dashboard import show
    from mlcheck.monitoring.series import monitor

    name = manager.relative(notebook) or notebook.name
    runs = runs_folder(manager, notebook)
    if runs is None:
        looked = " and ".join(f"{manager.relative(runs / notebook.stem)}/" for runs in candidates(manager, notebook))
        raise RequestError(
            404, f"{name} has no runs to monitor yet (looked in {looked}): run it as a job first", field="path"
        )
    frame = monitor(runs, notebook.stem, kind="job")
    if frame.empty:
        raise RequestError(
            404,
            f"{name} has no finished job runs in {manager.relative(runs)}/{notebook.stem}/ "
            "(CI and golden runs are not monitored): run it as a job first",
            field="path",
        )
    # the page names run folders to open: relative to the server root, as Jupyter's file browser shows them
    # (the frame names the absolute folder it read, a server path the browser's user has no use for)
    frame.attrs["runs_folder"] = manager.relative(runs / notebook.stem) or notebook.stem
    return show(frame.iloc[-MAX_RUNS:], notebook=name).page
