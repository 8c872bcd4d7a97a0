"""The server extension's endpoints, against a real Jupyter server and real jobs."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient

JOB_TIMEOUT = 120.0


async def call(
    jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None, **params: str
) -> tuple[int, dict]:
    """(status, JSON reply) of an authenticated request; error replies do not raise."""
    kwargs: dict[str, Any] = {"method": method, "params": params or None}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    if method == "DELETE":
        kwargs["allow_nonstandard_methods"] = True
    try:
        response = await jp_fetch("mlcheck", *parts, **kwargs)
    except tornado.httpclient.HTTPClientError as error:
        assert error.response is not None
        return error.code, json.loads(error.response.body or b"{}")
    return response.code, json.loads(response.body)


async def wait_for(jp_fetch: Any, job_id: str, until: Any, timeout: float = JOB_TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, job = await call(jp_fetch, "jobs", job_id)
        assert status == 200, job
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']} after {timeout} s: {job}"
        await asyncio.sleep(0.25)


def finished(job: dict) -> bool:
    return job["state"] not in ("queued", "running", "cancelling")


# -- authentication and confinement ----------------------------------------------------
ENDPOINTS = [
    ("GET", ("mlcheck", "parameters"), {"path": "work/contracts.ipynb"}, None),
    ("GET", ("mlcheck", "jobs"), None, None),
    ("POST", ("mlcheck", "jobs"), None, json.dumps({"path": "work/contracts.ipynb", "parameters": {}})),
    ("GET", ("mlcheck", "jobs", "20260101T000000-abcdef"), None, None),
    ("DELETE", ("mlcheck", "jobs", "20260101T000000-abcdef"), None, None),
    ("GET", ("mlcheck", "runs", "latest"), {"path": "work/contracts.ipynb"}, None),
]


@pytest.mark.parametrize(("method", "parts", "params", "body"), ENDPOINTS)
async def test_unauthenticated_requests_are_refused(
    jp_fetch, jp_root_dir, notebooks, method, parts, params, body
):
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await jp_fetch(
            *parts,
            method=method,
            params=params,
            body=body,
            headers={"Authorization": ""},  # no token, no cookie
            allow_nonstandard_methods=True,
        )
    assert caught.value.code in (401, 403)
    assert not (jp_root_dir / "runs").exists()  # nothing started


def test_every_handler_method_requires_authentication():
    from mlcheck_jupyter.handlers import HANDLERS

    for _, handler in HANDLERS:
        for verb in ("get", "post", "delete"):
            method = handler.__dict__.get(verb)
            if method is not None:
                # tornado.web.authenticated is the outermost wrapper of every verb
                assert method.__code__.co_filename.endswith(os.path.join("tornado", "web.py")), (
                    handler,
                    verb,
                )


@pytest.mark.parametrize(
    "path",
    [
        "../outside.ipynb",
        "work/../../outside.ipynb",
        "/etc/passwd",
        "OUTSIDE_ABSOLUTE",
        "work/link_out.ipynb",
    ],
)
async def test_paths_outside_the_root_are_refused(jp_fetch, jp_root_dir, notebooks, tmp_path_factory, path):
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.ipynb"
    outside.write_text((notebooks / "contracts.ipynb").read_text())
    (jp_root_dir.parent / "outside.ipynb").write_text(outside.read_text())
    (notebooks / "link_out.ipynb").symlink_to(outside)
    path = str(outside) if path == "OUTSIDE_ABSOLUTE" else path
    for parts, params, method, body in [
        (("parameters",), {"path": path}, "GET", None),
        (("runs", "latest"), {"path": path}, "GET", None),
        (("jobs",), {"path": path}, "GET", None),
        (("jobs",), {}, "POST", {"path": path, "parameters": {}}),
    ]:
        status, reply = await call(jp_fetch, *parts, method=method, body=body, **params)
        assert status == 403, (parts, path, reply)
        assert "outside the server root" in reply["message"]
    assert not (jp_root_dir / "runs").exists()


async def test_a_path_inside_the_root_may_be_absolute(jp_fetch, notebooks):
    status, reply = await call(jp_fetch, "parameters", path=str(notebooks / "contracts.ipynb"))
    assert status == 200
    assert reply["path"] == "work/contracts.ipynb"


async def test_missing_notebook_and_non_notebook(jp_fetch, notebooks):
    (notebooks / "notes.txt").write_text("not a notebook")
    status, reply = await call(jp_fetch, "parameters", path="work/nope.ipynb")
    assert status == 404 and "no notebook" in reply["message"]
    status, reply = await call(jp_fetch, "parameters", path="work/notes.txt")
    assert status == 404 and "not a notebook" in reply["message"]
    status, reply = await call(jp_fetch, "parameters")
    assert status == 400 and "path is required" in reply["message"]


# -- parameters ---------------------------------------------------------------------------
async def test_parameters_are_read_like_mlcheck_params(jp_fetch, notebooks):
    from mlcheck.runs import read_parameters

    status, reply = await call(jp_fetch, "parameters", path="work/contracts.ipynb")
    assert status == 200
    by_name = {p["name"]: p for p in reply["parameters"]}
    expected = read_parameters(notebooks / "contracts.ipynb")
    assert list(by_name) == [p.name for p in expected]
    assert by_name["min_coverage"] == {
        "name": "min_coverage",
        "type_name": "float",
        "default": 0.9,
        "default_source": "0.9",
        "comment": "smallest acceptable share of scored rows",
        "range": None,
        "note": "",
    }
    assert by_name["n_rows"]["type_name"] == "int"


@pytest.mark.parametrize(
    ("parameters", "named", "says"),
    [
        ({"n_rows": "many"}, "n_rows", "n_rows"),
        ({"min_coverage": "0.9", "seed": "1.5"}, "seed", "seed"),
        ({"colour": "red"}, "colour", "unknown parameter 'colour'"),
        ({"n_rows": [1, 2]}, "n_rows", "as a string"),
    ],
)
async def test_bad_parameters_are_refused_before_anything_runs(
    jp_fetch, jp_root_dir, notebooks, parameters, named, says
):
    status, reply = await call(
        jp_fetch, "jobs", method="POST", body={"path": "work/contracts.ipynb", "parameters": parameters}
    )
    assert status == 400, reply
    assert reply["parameter"] == named
    assert says in reply["message"]
    _, listing = await call(jp_fetch, "jobs")
    assert listing["jobs"] == []
    assert not list((jp_root_dir / "runs").glob("contracts/*"))


async def test_malformed_bodies(jp_fetch, notebooks):
    for body in ("not json", "[1, 2]"):
        response_status, reply = await call_raw(jp_fetch, body)
        assert response_status == 400 and "JSON" in reply["message"]
    status, reply = await call(
        jp_fetch, "jobs", method="POST", body={"path": "work/contracts.ipynb", "parameters": [1]}
    )
    assert status == 400 and "parameters must be an object" in reply["message"]


async def call_raw(jp_fetch: Any, body: str) -> tuple[int, dict]:
    try:
        response = await jp_fetch("mlcheck", "jobs", method="POST", body=body)
    except tornado.httpclient.HTTPClientError as error:
        return error.code, json.loads(error.response.body)
    return response.code, json.loads(response.body)


# -- jobs -----------------------------------------------------------------------------------
async def test_two_jobs_at_once_one_holds_one_fails_each_in_its_run_dir(jp_fetch, jp_root_dir, notebooks):
    """Two runs of one notebook at the same time: one whose checks hold, one with a failing check."""
    status, job = await call(
        jp_fetch,
        "jobs",
        method="POST",
        body={"path": "work/contracts.ipynb", "parameters": {"n_rows": "400"}},
    )
    assert status == 201, job
    assert job["state"] == "running"
    assert job["run_dir"] in (None, f"runs/contracts/{job['id']}")  # None until the runner makes it
    status, strict = await call(
        jp_fetch,
        "jobs",
        method="POST",
        body={
            "path": "work/contracts.ipynb",
            "parameters": {"min_coverage": "0.99"},
            "allow_duplicate": True,
        },
    )
    assert status == 201, strict

    done = await wait_for(jp_fetch, job["id"], finished)
    assert done["state"] == "succeeded", done["message"]
    assert done["run_dir"] == f"runs/contracts/{job['id']}"
    assert done["exit_code"] == 0
    assert done["parameters"]["n_rows"] == 400  # coerced by the runner
    assert done["parameters"]["min_coverage"] == 0.9  # defaults recorded too
    assert [r["name"] for r in done["results"]] == ["check_shift", "check_coverage"]
    assert all(r["passed"] for r in done["results"])
    assert done["values"]["cwd"] == str(notebooks)  # relative data paths work
    run_dir = jp_root_dir / done["run_dir"]
    assert (run_dir / "output.ipynb").is_file() and (run_dir / "run.json").is_file()
    assert done["output_path"] == f"{done['run_dir']}/output.ipynb"
    assert isinstance(done["results"][1]["details"].get("cell"), int)

    failed = await wait_for(jp_fetch, strict["id"], finished)
    assert failed["run_dir"] == f"runs/contracts/{strict['id']}" != done["run_dir"]
    assert failed["state"] == "failed" and failed["exit_code"] == 1
    failing = [r for r in failed["results"] if not r["passed"]]
    assert [r["name"] for r in failing] == ["check_coverage"]
    assert failing[0]["threshold"] == 0.99
    assert failing[0]["observed"] < 0.99

    status, listing = await call(jp_fetch, "jobs")
    assert status == 200 and listing["jobs"] == []  # only jobs queued or running are listed
    status, history = await call(jp_fetch, "runs", path="work/contracts.ipynb")
    assert status == 200
    assert sorted(run["run_id"] for run in history["runs"]) == sorted([job["id"], strict["id"]])
    assert {run["run_id"]: run["given_parameters"] for run in history["runs"]}[strict["id"]] == {
        "min_coverage": 0.99
    }
    # run ids sort by the time the job was asked for, as rundir.scan lists runs
    newest = max((done, failed), key=lambda run: run["run_id"])
    status, latest = await call(jp_fetch, "runs", "latest", path="work/contracts.ipynb")
    assert status == 200 and latest["run"]["run_id"] == newest["run_id"]
    assert latest["run"]["results"] == newest["results"]
    # The executed notebook of a run answers with that very run.
    status, own = await call(jp_fetch, "runs", "latest", path=done["output_path"])
    assert status == 200 and own["run"]["run_id"] == job["id"]


async def test_a_job_whose_cell_raises_reports_the_cell_and_the_error(jp_fetch, notebooks):
    status, job = await call(
        jp_fetch, "jobs", method="POST", body={"path": "work/raises.ipynb", "parameters": {}}
    )
    assert status == 201, job
    done = await wait_for(jp_fetch, job["id"], finished)
    assert done["state"] == "error" and done["exit_code"] == 3
    cell = done["failed_cell"]
    assert cell["ename"] == "ZeroDivisionError"
    assert "1 / divisor" in cell["source"]
    assert any("ZeroDivisionError" in line for line in cell["traceback"])
    assert [r["name"] for r in done["results"]] == ["check_coverage"]  # the checks before it still count


async def test_a_job_can_be_cancelled_and_its_notebook_is_kept(jp_fetch, jp_root_dir, notebooks):
    status, job = await call(
        jp_fetch, "jobs", method="POST", body={"path": "work/sleeps.ipynb", "parameters": {"seconds": "600"}}
    )
    assert status == 201, job

    def in_the_sleeping_cell(j: dict) -> bool:
        progress = j.get("progress") or {}
        return (
            finished(j)
            or bool(progress.get("n_cells"))
            and (progress.get("cell") or 0) >= progress["n_cells"] - 1
        )

    sleeping = await wait_for(jp_fetch, job["id"], in_the_sleeping_cell)
    assert sleeping["state"] == "running", sleeping
    assert 0 < sleeping["progress"]["cell"] < sleeping["progress"]["n_cells"]
    assert sleeping["progress"]["elapsed"] > 0
    status, cancelling = await call(jp_fetch, "jobs", job["id"], method="DELETE")
    assert status == 202
    assert cancelling["state"] in ("cancelling", "cancelled")
    done = await wait_for(jp_fetch, job["id"], finished)
    import nbformat  # the run stopped in the sleeping cell: the cell after it never printed

    executed = nbformat.read(jp_root_dir / done["run_dir"] / "output.ipynb", as_version=4)
    printed = [
        o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
    ]
    assert not any("woke up" in text for text in printed)
    assert done["state"] == "cancelled", done
    assert done["exit_code"] == 130
    assert (jp_root_dir / done["run_dir"] / "output.ipynb").is_file()


async def test_unknown_job(jp_fetch, notebooks):
    status, reply = await call(jp_fetch, "jobs", "20260101T000000-abcdef")
    assert status == 404 and "no job or run" in reply["message"]
    status, reply = await call(jp_fetch, "jobs", "20260101T000000-abcdef", method="DELETE")
    assert status == 404


async def test_latest_without_runs(jp_fetch, notebooks):
    status, reply = await call(jp_fetch, "runs", "latest", path="work/contracts.ipynb")
    assert status == 200 and reply == {"path": "work/contracts.ipynb", "run": None}


def test_extension_is_enabled_by_the_installed_config():
    """``pip install`` put the server-config file in place, so a plain server loads the extension."""
    from jupyter_core.paths import jupyter_config_path

    found = [
        Path(folder) / "jupyter_server_config.d" / "mlcheck_jupyter.json"
        for folder in jupyter_config_path()
        if (Path(folder) / "jupyter_server_config.d" / "mlcheck_jupyter.json").is_file()
    ]
    assert found, "mlcheck_jupyter.json is not in any jupyter_server_config.d"
    assert json.loads(found[0].read_text())["ServerApp"]["jpserver_extensions"]["mlcheck_jupyter"] is True


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {"jpserver_extensions": {"mlcheck_jupyter": True}},
            "JobManager": {"runs_dir": "job-runs"},
        }
    ],
)
async def test_the_runs_directory_is_configurable(jp_serverapp, jp_root_dir, jp_server_config):
    manager = jp_serverapp.web_app.settings["mlcheck_job_manager"]
    assert manager.runs_path == (jp_root_dir / "job-runs").resolve()


async def test_a_run_started_in_a_terminal_is_listed_followed_and_cancellable(
    jp_fetch, jp_root_dir, notebooks
):
    """``mlcheck run`` outside the server (or before a restart) shows up as a running job."""
    import subprocess
    import sys

    command = [
        sys.executable, "-m", "mlcheck", "run", "sleeps.ipynb", "--runs-dir", str(jp_root_dir / "runs"),
        "--run-id", "from-terminal", "--progress", "none", "-p", "seconds", "600",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: ASYNC220 - returns at once; the test then polls the server
        command, cwd=notebooks, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + JOB_TIMEOUT
        while True:
            status, listing = await call(jp_fetch, "jobs", path="work/sleeps.ipynb")
            assert status == 200
            running = [job for job in listing["jobs"] if job["id"] == "from-terminal"]
            if running and (running[0]["progress"]["cell"] or 0) >= 1:
                break
            assert time.monotonic() < deadline and process.poll() is None, listing
            await asyncio.sleep(0.25)
        job = running[0]
        assert job["state"] == "running" and job["started_elsewhere"] is True
        assert job["path"] == "work/sleeps.ipynb" and job["run_dir"] == "runs/sleeps/from-terminal"
        status, same = await call(jp_fetch, "jobs", "from-terminal")
        assert status == 200 and same["state"] == "running"
        status, cancelling = await call(jp_fetch, "jobs", "from-terminal", method="DELETE")
        assert status == 202 and cancelling["state"] == "cancelling"
        done = await wait_for(jp_fetch, "from-terminal", finished)
        assert done["state"] == "cancelled" and done["exit_code"] == 130
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
