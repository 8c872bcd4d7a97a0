"""GET /mlcheck/monitor: a notebook's job runs over time as the dashboard page, from a real server.

Run records are written as ``mlcheck run`` writes them (run.json per run
directory), daily for a few weeks, so the page has its series, its drifting
features and its heat map.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
import tornado.httpclient

FEATURES = ("age", "income", "plan")


def write_notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    return path


def write_runs(folder: Path, notebook: Path, days: int, *, kind: str = "job", value: str = "auc") -> None:
    """``days`` daily runs of ``notebook`` in ``folder`` (``<runs>/<stem>``); the last one drifts on age."""
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    for day in range(days):
        when = start + timedelta(days=day)
        run_id = when.strftime("%Y%m%dT%H%M%S%fZ") + f"-{day:06x}"
        drifted = day == days - 1
        features = {
            f: {"psi": 0.6 if drifted and f == "age" else 0.01 + 0.001 * (day % 7), "kl": 0.01, "p_value": 0.5,
                "drifted": drifted and f == "age", "bins": ["a", "b"], "reference_pct": [50, 50],
                "current_pct": [50, 50]}
            for f in FEATURES
        }  # fmt: skip
        record = {
            "run_id": run_id, "notebook": str(notebook), "status": "failed" if drifted else "succeeded",
            "exit_code": 1 if drifted else 0, "kind": kind, "started": when.isoformat(), "duration": 30.0 + day % 3,
            "parameters": {"batch_date": when.date().isoformat()},
            "results": [
                {"name": "check_shift", "passed": not drifted, "severity": "error",
                 "details": {"n_current": 500, "features": features}, "outcomes": []},
            ],
            "values": {value: 0.8 + 0.01 * (day % 7)},
        }  # fmt: skip
        (folder / run_id).mkdir(parents=True)
        (folder / run_id / "run.json").write_text(json.dumps(record), encoding="utf-8")


async def fetch(jp_fetch, path: str | None, **headers: str):  # noqa: ANN001, ANN201
    """(status, content type, body text) of GET /mlcheck/monitor; error replies do not raise."""
    params = {} if path is None else {"path": path}
    try:
        response = await jp_fetch("mlcheck", "monitor", params=params, headers=headers or None)
    except tornado.httpclient.HTTPClientError as error:
        assert error.response is not None
        return error.code, error.response.headers.get("Content-Type"), error.response.body.decode()
    return response.code, response.headers.get("Content-Type"), response.body.decode()


async def test_the_page_shows_the_runs_in_the_servers_runs_directory(jp_fetch, jp_root_dir):
    notebook = write_notebook(jp_root_dir / "score.ipynb")
    write_runs(jp_root_dir / "runs" / "score", notebook, 30)
    status, kind, page = await fetch(jp_fetch, "score.ipynb")
    assert status == 200 and kind.startswith("text/html")
    assert page.startswith("<!doctype html>") and "<title>mlcheck monitor: score.ipynb</title>" in page
    assert "<script" not in page
    # rows, duration, value[auc]; the 3 features' PSI; the heat map
    assert page.count("<svg") == 3 + 3 + 1
    assert "ALERT drift" in page and "age (PSI 0.6)" in page
    # the runs to open are named as the file browser shows them, never by the server's own path
    newest = sorted(p.name for p in (jp_root_dir / "runs" / "score").iterdir() if not p.name.startswith("."))[-1]
    assert f"open runs/score/{newest}" in page and str(jp_root_dir) not in page
    # the index that keeps the next load fast sits beside the runs
    assert (jp_root_dir / "runs" / "score" / ".monitor-index.parquet").is_file()


async def test_runs_beside_a_notebook_in_a_folder_are_found(jp_fetch, jp_root_dir):
    notebook = write_notebook(jp_root_dir / "work" / "score.ipynb")
    write_runs(jp_root_dir / "work" / "runs" / "score", notebook, 20)
    status, _, page = await fetch(jp_fetch, "work/score.ipynb")
    assert status == 200, page
    assert "<title>mlcheck monitor: work/score.ipynb</title>" in page and "20 run" in page


async def test_a_notebook_sharing_a_stem_gets_its_own_runs(jp_fetch, jp_root_dir):
    """runs/score/ holds the runs of ./score.ipynb; work/score.ipynb's are beside it, in work/runs/score/."""
    top = write_notebook(jp_root_dir / "score.ipynb")
    write_runs(jp_root_dir / "runs" / "score", top, 30)
    work = write_notebook(jp_root_dir / "work" / "score.ipynb")
    write_runs(jp_root_dir / "work" / "runs" / "score", work, 20)
    status, _, page = await fetch(jp_fetch, "work/score.ipynb")
    assert status == 200 and "work/score.ipynb: 20 run(s)" in page
    status, _, page = await fetch(jp_fetch, "score.ipynb")
    assert status == 200 and "score.ipynb: 30 run(s)" in page

    # runs that name a notebook not here (copied from another machine) are still shown
    elsewhere = write_notebook(jp_root_dir / "copied.ipynb")
    write_runs(jp_root_dir / "runs" / "copied", Path("/elsewhere") / elsewhere.name, 15)
    status, _, page = await fetch(jp_fetch, "copied.ipynb")
    assert status == 200 and "copied.ipynb: 15 run(s)" in page


async def test_no_runs_is_a_404_naming_the_path_and_where_it_looked(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "work" / "score.ipynb")
    status, kind, body = await fetch(jp_fetch, "work/score.ipynb")
    reply = json.loads(body)
    assert status == 404 and kind.startswith("application/json") and reply["field"] == "path"
    assert reply["message"] == (
        "work/score.ipynb has no runs to monitor yet (looked in runs/score/ and work/runs/score/): "
        "run it as a job first"
    )


async def test_only_ci_runs_is_a_404_too(jp_fetch, jp_root_dir):
    notebook = write_notebook(jp_root_dir / "score.ipynb")
    write_runs(jp_root_dir / "runs" / "score", notebook, 5, kind="ci")
    status, _, body = await fetch(jp_fetch, "score.ipynb")
    assert status == 404 and "no finished job runs" in json.loads(body)["message"]


@pytest.mark.parametrize(
    ("path", "status"),
    [(None, 400), ("", 400), ("../outside.ipynb", 403), ("missing.ipynb", 404), ("notes.txt", 404), (".hidden.ipynb", 403)],
)
async def test_bad_paths_are_refused_naming_the_field(jp_fetch, jp_root_dir, path, status):
    (jp_root_dir / "notes.txt").write_text("not a notebook", encoding="utf-8")
    notebook = write_notebook(jp_root_dir / ".hidden.ipynb")
    write_runs(jp_root_dir / "runs" / ".hidden", notebook, 3)
    got, _, body = await fetch(jp_fetch, path)
    assert got == status and json.loads(body)["field"] == "path"


async def test_links_out_of_the_root_are_not_read(jp_fetch, jp_root_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    notebook = write_notebook(jp_root_dir / "score.ipynb")
    write_runs(jp_root_dir / "runs" / "score", notebook, 20)
    write_runs(outside / "score", notebook, 1, value="secret_outside_value")
    (outside / "score" / "20260105T000000000000Z-000000").rename(outside / "score" / "20270105T000000000000Z-ffffff")
    (outside_run,) = (outside / "score").iterdir()
    (jp_root_dir / "runs" / "score" / outside_run.name).symlink_to(outside_run, target_is_directory=True)
    status, _, page = await fetch(jp_fetch, "score.ipynb")
    assert status == 200 and "secret_outside_value" not in page and "20 run" in page

    # a runs folder that is itself a link is not followed either
    other = write_notebook(jp_root_dir / "other.ipynb")
    write_runs(outside / "other", other, 3)
    (jp_root_dir / "runs" / "other").symlink_to(outside / "other", target_is_directory=True)
    status, _, body = await fetch(jp_fetch, "other.ipynb")
    assert status == 404 and json.loads(body)["field"] == "path"


async def test_unauthenticated_request_is_refused(jp_fetch, jp_root_dir):
    notebook = write_notebook(jp_root_dir / "score.ipynb")
    write_runs(jp_root_dir / "runs" / "score", notebook, 3)
    status, _, _ = await fetch(jp_fetch, "score.ipynb", Authorization="")
    assert status in (401, 403)
