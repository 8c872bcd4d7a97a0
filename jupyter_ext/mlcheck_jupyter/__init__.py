"""mlcheck in JupyterLab: a server extension that runs notebooks as mlcheck jobs,
and the prebuilt frontend (side panel, "Run as job", result cards).

The frontend lives in ``labextension/`` (built from ``src/`` when the package
is installed); the REST endpoints under ``/mlcheck/`` live in :mod:`.handlers`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import Any

try:
    __version__ = _version("mlcheck-jupyter")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "mlcheck-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlcheck_jupyter"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the ``/mlcheck/`` handlers and the job manager on the server."""
    from mlcheck_jupyter.handlers import setup_handlers
    from mlcheck_jupyter.jobs import JobManager

    manager = JobManager(
        root_dir=server_app.root_dir,
        # read at each request, so the server's own hidden-file policy is followed as it stands
        allow_hidden=lambda: bool(getattr(server_app.contents_manager, "allow_hidden", False)),
        parent=server_app,
        log=server_app.log,
    )
    server_app.web_app.settings["mlcheck_job_manager"] = manager
    setup_handlers(server_app.web_app)
    server_app.log.info("mlcheck_jupyter: jobs write runs under %s", manager.runs_path)
