"""Fixtures for the mlcheck-jupyter tests.

pytest-jupyter's fixtures are imported here rather than registered with
``pytest_plugins`` so that its autouse fixtures (an event loop and a server
cleanup per test) apply to these tests only, not to the rest of the suite.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest
from pytest_jupyter.jupyter_server import *

NOTEBOOKS = Path(__file__).resolve().parents[3] / "tests" / "notebooks" / "jupyter"


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"mlcheck_jupyter": True}}}


@pytest.fixture
def notebooks(jp_root_dir: Path) -> Path:
    """The test notebooks copied into the server root (a sub-folder, to test the job's cwd)."""
    target = jp_root_dir / "work"
    target.mkdir()
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, target / notebook.name)
    return target


class Client:
    """Authenticated calls to the ``/mlcheck/`` endpoints; error replies are returned, not raised."""

    JOB_TIMEOUT = 120.0

    def __init__(self, jp_fetch) -> None:  # noqa: ANN001 - pytest-jupyter's fixture
        self.fetch = jp_fetch

    async def call(self, *parts: str, method: str = "GET", body=None, raw: str | None = None, **params: str):  # noqa: ANN001, ANN201
        """(status, JSON reply) of one request."""
        import json

        import tornado.httpclient

        kwargs = {"method": method, "params": params or None}
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        if method == "DELETE":
            kwargs["allow_nonstandard_methods"] = True
        try:
            response = await self.fetch("mlcheck", *parts, **kwargs)
        except tornado.httpclient.HTTPClientError as error:
            assert error.response is not None
            return error.code, json.loads(error.response.body or b"{}")
        return response.code, json.loads(response.body)

    async def contents(self, path: str) -> int:
        """The status of Jupyter's own contents API for ``path``."""
        import tornado.httpclient

        try:
            response = await self.fetch("api", "contents", *path.split("/"))
        except tornado.httpclient.HTTPClientError as error:
            return error.code
        return response.code

    async def start(self, path: str, parameters=None, **extra):  # noqa: ANN001, ANN201
        return await self.call(
            "jobs", method="POST", body={"path": path, "parameters": parameters or {}, **extra}
        )

    async def wait_for(self, job_id: str, until, timeout: float | None = None) -> dict:  # noqa: ANN001
        """Poll the job until ``until(job)`` holds (a generous deadline: only a hang should hit it)."""
        import asyncio
        import time

        deadline = time.monotonic() + (timeout or self.JOB_TIMEOUT)
        while True:
            status, job = await self.call("jobs", job_id)
            assert status == 200, job
            if until(job):
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['state']}: {job}"
            await asyncio.sleep(0.25)


def finished(job: dict) -> bool:
    return job["state"] not in ("queued", "running", "cancelling")


@pytest.fixture
def client(jp_fetch) -> Client:  # noqa: ANN001
    return Client(jp_fetch)


@pytest.fixture
def manager(jp_serverapp):  # noqa: ANN001, ANN201
    """The server's JobManager."""
    return jp_serverapp.web_app.settings["mlcheck_job_manager"]


EXTENSION = Path(__file__).resolve().parents[2]


@pytest.fixture
def node_script() -> Callable[[str, Any], Any]:
    """Run ``jupyter_ext/tests/ts/<name>`` with ``payload`` as JSON on stdin; its JSON answer.

    The helpers there load ``src/values.ts`` transpiled from source, so the
    panel's own code is compared with the Python parser, never a stale build.
    """
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the JupyterLab extension's build needs it too)")
    if not (EXTENSION / "node_modules" / "typescript").is_dir():
        pytest.fail("jupyter_ext/node_modules has no typescript: run `pip install -e ./jupyter_ext` first")

    def run(name: str, payload: Any) -> Any:
        done = subprocess.run(
            [node, str(EXTENSION / "tests" / "ts" / name)],
            input=json.dumps(payload), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run
