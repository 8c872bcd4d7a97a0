"""Recording and display of results inside a running kernel (or any process).

Checks are pure; the public ``mc.check_*`` functions are those checks wrapped
by :func:`recorded`, which keeps every result in this process's record (the
export gate reads it) and shows it as a card when an IPython kernel is running.
Each shown result is a MIME bundle whose ``application/vnd.mlcheck.result+json``
part is what :mod:`mlcheck.runs.results` reads back from an executed notebook.

That part holds the card's bounded view of the result (a saved card stays under
20 KB however many features a check looked at), not the full record. In an
``mlcheck run`` job the full record is also written to the run directory, as
``records/<id>.json``, and the payload names it (``"record": "<id>"``); the
runner puts those full records into ``run.json``.

A notebook cell that is run again replaces what it recorded before: each
result is kept with the id of the cell that recorded it (the ``cellId`` that
JupyterLab, VS Code and Notebook 7 put in the metadata of each execute
request) and the request's id, and the first result of a new execution of a
cell drops the results of its earlier executions. So fixing the data and
re-running the failed check's cell unblocks the export gate. Without a cell id
(a plain process, IPython in a terminal, nbclient and papermill, which run each
cell once) every result is kept; :func:`clear` forgets them all.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec

from mlcheck._validation import NAME, validate_options
from mlcheck.display.cards import record_bundle, result_bundle
from mlcheck.results import CheckResult, to_jsonable
from mlcheck.results.record import install_presenter

__all__ = [
    "RECORDS_DIR",
    "clear",
    "record",
    "record_path",
    "recorded",
    "recorded_results",
    "recorded_values",
    "run_context",
    "show",
]

P = ParamSpec("P")

#: Set by ``mlcheck run`` in the kernel's environment: the run's id and directory.
RUN_ID_ENV = "MLCHECK_RUN_ID"
RUN_DIR_ENV = "MLCHECK_RUN_DIR"
#: The folder of a run directory that holds the full record of each result shown in the job.
RECORDS_DIR = "records"


@dataclass
class _Record:
    results: list[CheckResult] = field(default_factory=list)
    # per result, (cell id, execute request id) of the cell that recorded it, or None
    origins: list[tuple[str, str] | None] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    shown: list[CheckResult] = field(default_factory=list)


_RECORD = _Record()


def _kernel() -> Any:
    """The running IPython kernel shell, or None outside a kernel."""
    import sys

    if "IPython" not in sys.modules:  # never import IPython just to ask
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def _executing_cell() -> tuple[str, str] | None:
    """(cell id, request id) of the notebook cell being executed, or None.

    ipykernel keeps the execute request it is serving as the shell's parent
    message; the front end (JupyterLab, VS Code, Notebook 7) names the cell in
    its metadata as ``cellId``. nbclient and papermill send no cell id.
    """
    shell = _kernel()
    if shell is None:
        return None
    try:
        parent = shell.kernel.get_parent()
    except Exception:  # noqa: BLE001 - an older or foreign kernel: record as outside a notebook
        return None
    if not isinstance(parent, dict):
        return None
    metadata = parent.get("metadata") or {}
    cell = metadata.get("cellId") if isinstance(metadata, dict) else None
    request = (parent.get("header") or {}).get("msg_id")
    if not isinstance(cell, str) or not cell or not isinstance(request, str):
        return None
    return cell, request


def _publish(bundle: dict[str, Any]) -> None:
    from IPython.display import publish_display_data

    publish_display_data(bundle)


def record_path(run_dir: str | os.PathLike[str], record_id: str) -> Path:
    """Where the full record named ``record_id`` of a job's result is written."""
    return Path(run_dir) / RECORDS_DIR / f"{record_id}.json"


def _keep_full_record(data: dict[str, Any]) -> str | None:
    """In an ``mlcheck run`` job, write the full record beside the run; its id, or None outside a job."""
    context = run_context()
    if context is None or not context["run_dir"]:
        return None
    from mlcheck._atomic import atomic_write_json

    record_id = uuid.uuid4().hex[:16]
    path = record_path(context["run_dir"], record_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)
    return record_id


def show(result: CheckResult) -> None:
    """Display ``result`` as a card once; a second display of the same result is a no-op."""
    if any(result is seen for seen in _RECORD.shown):
        return
    _RECORD.shown.append(result)
    if _kernel() is not None:
        data = result.to_dict()
        _publish(result_bundle(data, record=_keep_full_record(data)))
    else:  # IPython terminal or a plain process asked to display it
        print(str(result))


def record_result(result: CheckResult, *, display: bool = True) -> CheckResult:
    """Keep ``result`` in this process's record and show it in a kernel.

    In a notebook cell run again, the results of the cell's earlier executions
    are dropped first (see the module's docstring).
    """
    origin = _executing_cell()
    if origin is not None:
        cell, request = origin
        kept = [
            (kept_result, kept_origin)
            for kept_result, kept_origin in zip(_RECORD.results, _RECORD.origins)
            if kept_origin is None or kept_origin[0] != cell or kept_origin[1] == request
        ]
        _RECORD.results[:] = [kept_result for kept_result, _ in kept]
        _RECORD.origins[:] = [kept_origin for _, kept_origin in kept]
    _RECORD.results.append(result)
    _RECORD.origins.append(origin)
    if display and _kernel() is not None:
        show(result)
    return result


@validate_options({"name": [NAME], "display": ["boolean"]})
def record(name: str, value: Any, *, display: bool = True) -> Any:
    """Record a scalar or a small table for CI and the run's ``run.json``.

    Parameters
    ----------
    name : str
        The name the value is read back under (a later record replaces it).
    value : scalar, list, dict, numpy array or small pandas frame
        Anything that turns into plain JSON.
    display : bool, default True
        Show a one-line note in the notebook.

    Returns
    -------
    The value, unchanged.

    Examples
    --------
    >>> import mlcheck as mc
    >>> mc.record("auc", 0.91)
    0.91
    """
    _RECORD.values[name] = to_jsonable(value)
    if _kernel() is not None:
        bundle = record_bundle(name, value)
        if not display:
            bundle = {k: v for k, v in bundle.items() if k != "text/html"}
            bundle["text/plain"] = ""
        _publish(bundle)
    return value


def recorded(check: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
    """Wrap a pure check so that each call records and displays its result.

    The wrapper keeps the check's signature, for ``inspect`` (through
    ``__wrapped__``) and for type checkers (``ParamSpec``).
    """

    @functools.wraps(check)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> CheckResult:
        return record_result(check(*args, **kwargs))

    wrapper.__wrapped_check__ = check  # type: ignore[attr-defined]
    return wrapper


def recorded_results() -> list[CheckResult]:
    """Every check result recorded in this process, oldest first.

    A notebook cell run again keeps only the results of its latest execution.
    """
    return list(_RECORD.results)


def recorded_values() -> dict[str, Any]:
    """Every value recorded with :func:`record` in this process."""
    return dict(_RECORD.values)


def clear() -> None:
    """Forget every recorded result and value (a fresh start in a long-lived kernel).

    The export gate then sees no failed check until the checks run again.
    Use it after fixing a failure whose cell was deleted or changed to run other
    checks (a cell run again already replaces its own earlier results).

    Examples
    --------
    >>> import mlcheck as mc
    >>> mc.clear()
    >>> mc.recorded_results()
    []
    """
    _RECORD.results.clear()
    _RECORD.origins.clear()
    _RECORD.values.clear()
    _RECORD.shown.clear()


def run_context() -> dict[str, str] | None:
    """The ``mlcheck run`` this process belongs to, or None outside a job."""
    run_id = os.environ.get(RUN_ID_ENV)
    if not run_id:
        return None
    return {"run_id": run_id, "run_dir": os.environ.get(RUN_DIR_ENV, "")}


def _explore(result: CheckResult) -> Any:
    from mlcheck.display.explore import explore

    return explore(result)


install_presenter(show=show, bundle=lambda result: result_bundle(result.to_dict()), explore=_explore)
