"""REST endpoints of the mlcheck server extension, under ``<base_url>/mlcheck/``.

| method and path                 | does                                               |
|---------------------------------|----------------------------------------------------|
| GET    /mlcheck/parameters?path= | a notebook's parameters (same parser as ``mlcheck params``) |
| POST   /mlcheck/jobs             | start a job: ``{"path": ..., "parameters": {name: value}}`` |
| GET    /mlcheck/jobs[?path=]     | running jobs: this server's, and runs started elsewhere |
| GET    /mlcheck/runs/<id>        | a job's (or any run's) state, progress, failing cell, results |
| DELETE /mlcheck/runs/<id>        | cancel a job                                       |
| GET    /mlcheck/runs/latest?path= | the results of the newest finished run of a notebook |

Every handler requires Jupyter's authentication, paths are confined to the
server root, and parameter values travel as data in an argument list.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from mlcheck_jupyter.jobs import JobManager, PathRefused

#: The permission the Jupyter authorizer is asked for (read for GET, write for POST/DELETE).
AUTH_RESOURCE = "mlcheck"


class MlcheckHandler(APIHandler):
    """Shared helpers: the job manager, JSON replies, path checks with clear errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> JobManager:
        return self.settings["mlcheck_job_manager"]

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, allow_nan=False))

    def refuse(self, status: int, message: str, **extra: Any) -> None:
        self.reply({"message": message, **extra}, status=status)

    def notebook_or_refuse(self, path: str | None) -> Any:
        """The notebook for ``path``, or None after replying 400/403/404 with a reason."""
        try:
            return self.manager.notebook(path or "")
        except PathRefused as error:
            self.refuse(403 if path else 400, str(error))
        except FileNotFoundError as error:
            self.refuse(404, str(error))
        return None


class ParametersHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        from mlcheck.errors import MlcheckError

        path = self.get_query_argument("path", "")
        notebook = self.notebook_or_refuse(path)
        if notebook is None:
            return
        try:
            parameters = self.manager.parameters(notebook)
        except MlcheckError as error:
            self.refuse(400, str(error))
            return
        self.reply({"path": self.manager.relative(notebook), "parameters": parameters})


def _as_text(name: str, value: Any) -> str:
    """A parameter value as the string ``mlcheck run -p NAME VALUE`` would get."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return repr(value)
    raise TypeError(f"parameter {name!r}: send the value as a string, got {type(value).__name__}")


class JobsHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        path = self.get_query_argument("path", None)
        notebook = None
        if path is not None:
            notebook = self.notebook_or_refuse(path)
            if notebook is None:
                return
        jobs = [
            self.manager.status(job)
            for job in self.manager.jobs.values()
            if notebook is None or job.notebook == notebook
        ]
        self.reply({"jobs": jobs + self.manager.external_runs(notebook)})

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        from mlcheck.errors import MlcheckError

        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            self.refuse(400, 'the request body must be JSON: {"path": ..., "parameters": {...}}')
            return
        if not isinstance(body, dict):
            self.refuse(400, "the request body must be a JSON object")
            return
        notebook = self.notebook_or_refuse(body.get("path"))
        if notebook is None:
            return
        given = body.get("parameters") or {}
        if not isinstance(given, dict):
            self.refuse(400, "parameters must be an object {name: value}")
            return
        raw: dict[str, str] = {}
        for name, value in given.items():
            try:
                raw[str(name)] = _as_text(str(name), value)
            except TypeError as error:
                self.refuse(400, str(error), parameter=str(name))
                return
        try:
            job = self.manager.start(notebook, raw)
        except MlcheckError as error:
            self.refuse(400, str(error), parameter=getattr(error, "parameter", None))
            return
        self.reply(self.manager.status(job), status=201)


class JobHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        found = self.manager.status_by_id(job_id)
        if found is None:
            self.refuse(404, f"no job or run {job_id!r} under {self.manager.runs_dir!r}")
        else:
            self.reply(found)

    @tornado.web.authenticated
    @authorized
    def delete(self, job_id: str) -> None:
        found = self.manager.cancel_by_id(job_id)
        if found is None:
            self.refuse(404, f"no job or run {job_id!r} under {self.manager.runs_dir!r}")
        else:
            self.reply(found, status=202)


class LatestRunHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        notebook = self.notebook_or_refuse(self.get_query_argument("path", ""))
        if notebook is None:
            return
        self.reply({"path": self.manager.relative(notebook), "run": self.manager.latest(notebook)})


HANDLERS: list[tuple[str, type[MlcheckHandler]]] = [
    ("parameters", ParametersHandler),
    ("jobs", JobsHandler),
    (r"jobs/([A-Za-z0-9_.-]+)", JobHandler),
    ("runs/latest", LatestRunHandler),
]


def setup_handlers(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, "mlcheck", pattern), handler) for pattern, handler in HANDLERS]
    )
