"""REST endpoints of the mlcheck server extension, under ``<base_url>/mlcheck/``.

| method and path                  | does                                                        |
|----------------------------------|-------------------------------------------------------------|
| GET    /mlcheck/parameters?path= | a notebook's parameters (same parser as ``mlcheck params``); for a run's executed notebook also the values that run used |
| POST   /mlcheck/parameters       | check values as a job would (``{"path", "parameters"}``), start nothing |
| POST   /mlcheck/jobs             | queue a job: ``{"path", "parameters": {name: value}, "allow_duplicate": false}`` (201) |
| GET    /mlcheck/jobs[?path=]     | jobs queued or running: this server's, and runs started elsewhere that still execute |
| GET    /mlcheck/jobs/<id>        | a job's (or any run's) state, progress, failing cell, results |
| DELETE /mlcheck/jobs/<id>        | cancel a queued or running job (202); 409 when it has finished |
| GET    /mlcheck/runs?path=[&limit=] | the notebook's finished runs, newest first, without results |
| GET    /mlcheck/runs/latest?path= | the results of the newest finished run of a notebook         |
| GET    /mlcheck/monitor?path=    | the notebook's job runs over time as one HTML page (``mlcheck monitor --html``'s); 404 when it has none |

Every handler requires Jupyter's authentication and authorization. A bad
request is answered 400 with ``{"message", "field"}`` (``"parameter"`` for a
parameter value) and changes nothing.

What is confined, precisely:

- **Notebook paths** in requests resolve (symbolic links followed) inside the
  server root, and are refused when hidden (a name starting with ``.``) unless
  the server's ``ContentsManager.allow_hidden`` is on, as Jupyter's own file API does.
- **Replies about runs** are built only from real folders under the runs
  directory (inside the root); symbolic links in it are skipped.
- **Signals** go only to processes this server started, or to the process the
  operating system names as holding a run directory's lock.
- **Not confined: what a job does.** A job runs the notebook's own code as the
  server's user, in the notebook's folder; a parameter such as an output path
  can point anywhere that user may write. Parameter values travel as data (a
  YAML file, no shell, no command-line options), so they cannot change the
  command that runs.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from mlcheck_jupyter.jobs import JobManager, RequestError, check_job_id

#: The permission the Jupyter authorizer is asked for (read for GET, write for POST/DELETE).
AUTH_RESOURCE = "mlcheck"


class MlcheckHandler(APIHandler):
    """Shared helpers: the job manager, JSON replies, refusals that name the request field."""

    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> JobManager:
        manager: JobManager = self.settings["mlcheck_job_manager"]
        return manager

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, allow_nan=False))

    def refuse(self, error: RequestError) -> None:
        body: dict[str, Any] = {"message": str(error), "field": error.field}
        if error.parameter is not None:
            body.update(field="parameters", parameter=error.parameter)
        self.reply(body, status=error.status)

    def query(self, name: str) -> str | None:
        """A query argument exactly as sent (tornado's getters turn control characters into spaces)."""
        values = self.request.query_arguments.get(name)
        if not values:
            return None
        try:
            return values[-1].decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError(400, f"{name} is not valid UTF-8", field=name) from None

    def query_path(self, required: bool = True) -> Any:
        """The notebook named by ``?path=``; None when it is absent and not required."""
        path = self.query("path")
        if path is None and not required:
            return None
        return self.manager.notebook(path)


def _replies_errors(method: Any) -> Any:
    """Answer a RequestError or a user mistake (MlcheckError) with its status and message, not a 500."""
    import functools

    @functools.wraps(method)
    def wrapper(self: MlcheckHandler, *args: Any, **kwargs: Any) -> Any:
        from mlcheck.errors import MlcheckError

        try:
            return method(self, *args, **kwargs)
        except RequestError as error:
            self.refuse(error)
        except MlcheckError as error:  # e.g. a notebook that is not valid JSON
            self.refuse(RequestError(400, str(error), field="path"))
        return None

    return wrapper


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise RequestError(400, 'the request body must be JSON: {"path": ..., "parameters": {...}}') from None
    if not isinstance(data, dict):
        raise RequestError(400, "the request body must be a JSON object")
    return data


class ParametersHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def get(self) -> None:
        self.reply(self.manager.parameters(self.query_path()))

    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def post(self) -> None:
        """Check values as a job would (``{"path", "parameters"}``) without starting anything."""
        body = _json_object(self.request.body)
        notebook = self.manager.notebook(body.get("path"))
        checked = self.manager.check(notebook, body.get("parameters"))
        self.reply({"path": self.manager.relative(notebook), "parameters": checked})


class JobsHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def get(self) -> None:
        self.reply({"jobs": self.manager.listing(self.query_path(required=False))})

    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def post(self) -> None:
        body = _json_object(self.request.body)
        allow_duplicate = body.get("allow_duplicate", False)
        if not isinstance(allow_duplicate, bool):
            raise RequestError(400, "allow_duplicate must be true or false", field="allow_duplicate")
        notebook = self.manager.notebook(body.get("path"))
        job = self.manager.start(notebook, body.get("parameters"), allow_duplicate=allow_duplicate)
        self.reply(self.manager.status(job), status=201)


class JobHandler(MlcheckHandler):
    def _unknown(self, job_id: str) -> RequestError:
        return RequestError(404, f"no job or run {job_id!r} under {self.manager.runs_dir!r}", field="id")

    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def get(self, job_id: str) -> None:
        found = self.manager.status_by_id(check_job_id(job_id))
        if found is None:
            raise self._unknown(job_id)
        self.reply(found)

    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def delete(self, job_id: str) -> None:
        found = self.manager.cancel_by_id(check_job_id(job_id))
        if found is None:
            raise self._unknown(job_id)
        self.reply(found, status=202)


class RunsHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def get(self) -> None:
        notebook = self.query_path()
        text = self.query("limit") or "20"
        if not text.isdigit() or not 1 <= int(text) <= 500:
            raise RequestError(
                400, f"limit must be a whole number from 1 to 500, got {text[:20]!r}", field="limit"
            )
        runs = self.manager.history(notebook, int(text))
        self.reply({"path": self.manager.relative(notebook), "runs": runs})


class LatestRunHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    @_replies_errors
    def get(self) -> None:
        notebook = self.query_path()
        self.reply({"path": self.manager.relative(notebook), "run": self.manager.latest(notebook)})


class MonitorHandler(MlcheckHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """The dashboard page (text/html); errors are JSON like every other endpoint's."""
        import asyncio

        from mlcheck.errors import MlcheckError
        from mlcheck_jupyter.monitorview import EXECUTOR, dashboard_page

        try:
            notebook = self.query_path()
            page = await asyncio.get_running_loop().run_in_executor(EXECUTOR, dashboard_page, self.manager, notebook)
        except RequestError as error:
            self.refuse(error)
            return
        except MlcheckError as error:  # e.g. a damaged runs folder the series cannot read
            self.refuse(RequestError(400, str(error), field="path"))
            return
        # the page has no script; say so to the browser too, should it be opened on its own
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        self.finish(page, set_content_type="text/html; charset=utf-8")


HANDLERS: list[tuple[str, type[MlcheckHandler]]] = [
    ("parameters", ParametersHandler),
    ("jobs", JobsHandler),
    # any characters, so a bad id gets a 400 naming it rather than a bare 404
    (r"jobs/([^/]+)", JobHandler),
    ("runs", RunsHandler),
    ("runs/latest", LatestRunHandler),
    ("monitor", MonitorHandler),
]


def setup_handlers(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, "mlcheck", pattern), handler) for pattern, handler in HANDLERS]
    )
