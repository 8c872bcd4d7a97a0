"""Malformed requests, the hidden-file policy, and what GET/DELETE answer, against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest


def finished(job: dict) -> bool:
    return job["state"] not in ("queued", "running", "cancelling")


KINDS = "work/kinds.ipynb"


def nothing_left(root: Path) -> None:
    """No run directory, no log, no parameter file: the refused request changed nothing."""
    runs = root / "runs"
    assert not runs.exists() or [p for p in runs.rglob("*") if p.is_file()] == []


LONG_ID = "r" * 300

# (what, request, field named in the reply, parameter named in the reply)
MALFORMED = [
    ("NUL in a path (POST)", ("POST", ("jobs",), {"path": "work/kin\x00ds.ipynb"}, {}), "path", None),
    ("NUL in a path (GET)", ("GET", ("parameters",), None, {"path": "work/kin\x00ds.ipynb"}), "path", None),
    ("5,000-char path", ("POST", ("jobs",), {"path": "work/" + "a/" * 2500 + "x.ipynb"}, {}), "path", None),
    (
        "5,000-char path (GET)",
        ("GET", ("runs", "latest"), None, {"path": "a/" * 2500 + "x.ipynb"}),
        "path",
        None,
    ),
    ("300-char component", ("POST", ("jobs",), {"path": "work/" + "n" * 300 + ".ipynb"}, {}), "path", None),
    ("300-char component (GET)", ("GET", ("jobs",), None, {"path": "n" * 300 + ".ipynb"}), "path", None),
    ("non-string path (POST)", ("POST", ("jobs",), {"path": 12}, {}), "path", None),
    ("list as path (POST)", ("POST", ("jobs",), {"path": ["work/kinds.ipynb"]}, {}), "path", None),
    ("missing path (GET)", ("GET", ("parameters",), None, {}), "path", None),
    ("300-char job id (GET)", ("GET", ("jobs", LONG_ID), None, {}), "id", None),
    ("300-char job id (DELETE)", ("DELETE", ("jobs", LONG_ID), None, {}), "id", None),
    ("job id with a space", ("GET", ("jobs", "a b"), None, {}), "id", None),
    (
        "NUL in a value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"label": "a\x00b"}}, {}),
        "parameters",
        "label",
    ),
    (
        "lone surrogate in a value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"label": "a\ud800"}}, {}),
        "parameters",
        "label",
    ),
    (
        "200 KB value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"label": "x" * 200_000}}, {}),
        "parameters",
        "label",
    ),
    (
        "10 MB value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"label": "x" * 10_000_000}}, {}),
        "parameters",
        "label",
    ),
    (
        "malformed list",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"features": "[1, 2"}}, {}),
        "parameters",
        "features",
    ),
    (
        "malformed dict",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"options": "{a: 1"}}, {}),
        "parameters",
        "options",
    ),
    (
        "YAML python tag",
        (
            "POST",
            ("jobs",),
            {"path": KINDS, "parameters": {"options": "!!python/object/apply:os.system ['touch pwned']"}},
            {},
        ),
        "parameters",
        "options",
    ),
    (
        "YAML binary tag",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"options": "!!binary abc"}}, {}),
        "parameters",
        "options",
    ),
    (
        "YAML undefined alias",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"options": "*x"}}, {}),
        "parameters",
        "options",
    ),
    (
        "list where a dict goes",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"options": "[1]"}}, {}),
        "parameters",
        "options",
    ),
    (
        "JSON list as a value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"features": [1, 2]}}, {}),
        "parameters",
        "features",
    ),
    (
        "JSON object as a value",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"options": {"a": 1}}}, {}),
        "parameters",
        "options",
    ),
    (
        "parameters not an object",
        ("POST", ("jobs",), {"path": KINDS, "parameters": [1]}, {}),
        "parameters",
        None,
    ),
    (
        "NUL in a parameter name",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"la\x00bel": "x"}}, {}),
        "parameters",
        None,
    ),
    (
        "unknown parameter",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"colour": "red"}}, {}),
        "parameters",
        "colour",
    ),
    (
        "float that is not one",
        ("POST", ("jobs",), {"path": KINDS, "parameters": {"shift": "2,5"}}, {}),
        "parameters",
        "shift",
    ),
    (
        "allow_duplicate not a bool",
        ("POST", ("jobs",), {"path": KINDS, "allow_duplicate": "yes"}, {}),
        "allow_duplicate",
        None,
    ),
    ("limit not a number", ("GET", ("runs",), None, {"path": KINDS, "limit": "ten"}), "limit", None),
]


@pytest.mark.parametrize(("what", "request_", "field", "parameter"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_a_malformed_request_is_a_400_naming_the_field_and_leaves_nothing(
    client, jp_root_dir, notebooks, what, request_, field, parameter
):
    method, parts, body, params = request_
    status, reply = await client.call(*parts, method=method, body=body, **params)
    assert status == 400, (what, reply)
    assert reply["field"] == field, reply
    assert reply.get("parameter") == parameter, reply
    assert reply["message"] and "Traceback" not in reply["message"]
    if parameter is not None:
        assert repr(parameter) in reply["message"]
    nothing_left(jp_root_dir)
    assert not (notebooks / "pwned").exists()
    _, listing = await client.call("jobs")
    assert listing["jobs"] == []


async def test_bodies_that_are_not_json_objects(client, jp_root_dir, notebooks):
    for raw in ("not json", "[1, 2]", '"text"'):
        status, reply = await client.call("jobs", method="POST", raw=raw)
        assert status == 400 and "JSON" in reply["message"], reply
    nothing_left(jp_root_dir)


@pytest.fixture
def hidden(notebooks: Path) -> list[str]:
    """A notebook in a hidden folder and one in .ipynb_checkpoints/, both with a secret default."""
    text = (notebooks / "kinds.ipynb").read_text().replace('label = \\"x\\"', 'label = \\"s3cret\\"')
    for folder, name in ((".secret", "hidden.ipynb"), (".ipynb_checkpoints", "kinds-checkpoint.ipynb")):
        (notebooks / folder).mkdir()
        (notebooks / folder / name).write_text(text)
    (notebooks / "visible.ipynb").symlink_to(notebooks / ".secret" / "hidden.ipynb")
    return [
        "work/.secret/hidden.ipynb",
        "work/.ipynb_checkpoints/kinds-checkpoint.ipynb",
        "work/visible.ipynb",
    ]


async def test_hidden_notebooks_are_refused_like_jupyters_file_api_does(client, jp_root_dir, hidden):
    for path in hidden[:2]:
        assert await client.contents(path) == 404  # Jupyter's own file API does not serve them
    # a visible link to a hidden notebook is refused too (Jupyter judges the link's own name only)
    for path in hidden:
        for parts, method, body, params in [
            (("parameters",), "GET", None, {"path": path}),
            (("runs", "latest"), "GET", None, {"path": path}),
            (("runs",), "GET", None, {"path": path}),
            (("jobs",), "GET", None, {"path": path}),
            (("jobs",), "POST", {"path": path, "parameters": {}}, {}),
        ]:
            status, reply = await client.call(*parts, method=method, body=body, **params)
            assert status == 403, (path, parts, reply)
            assert "hidden" in reply["message"] and "allow_hidden" in reply["message"]
            assert "s3cret" not in str(reply)
    nothing_left(jp_root_dir)


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {"jpserver_extensions": {"mlcheck_jupyter": True}},
            "ContentsManager": {"allow_hidden": True},
        }
    ],
)
async def test_hidden_notebooks_are_served_when_the_server_allows_hidden_files(
    client, hidden, jp_server_config
):
    status, reply = await client.call("parameters", path=hidden[0])
    assert status == 200, reply
    assert {p["name"]: p["default"] for p in reply["parameters"]}["label"] == "s3cret"


async def test_a_path_must_be_a_string_everywhere(client, notebooks):
    status, reply = await client.call("jobs", method="POST", body={"path": 12})
    assert (status, reply["field"]) == (400, "path")
    assert "must be a string" in reply["message"]
    status, reply = await client.call("parameters", path="")
    assert (status, reply["field"]) == (400, "path")


async def test_get_jobs_lists_running_jobs_and_a_finished_job_cannot_be_cancelled(
    client, jp_root_dir, notebooks
):
    """A value that starts with '-' reaches the notebook as a value; the finished job leaves the listing."""
    status, job = await client.start(KINDS, {"shift": "-1e-3", "label": "--help"})
    assert status == 201, job
    status, listing = await client.call("jobs", path=KINDS)
    assert [j["id"] for j in listing["jobs"]] == [job["id"]] or job["id"] in {
        r["run_id"] for r in (await client.call("runs", path=KINDS))[1]["runs"]
    }
    done = await client.wait_for(job["id"], finished)
    assert done["state"] == "succeeded", done["message"]
    assert done["exit_code"] == 0
    assert done["parameters"]["shift"] == -0.001
    assert done["values"]["shift"] == -0.001 and done["values"]["label"] == "--help"

    status, listing = await client.call("jobs", path=KINDS)
    assert status == 200 and listing["jobs"] == []
    status, reply = await client.call("jobs", job["id"], method="DELETE")
    assert status == 409 and "already finished" in reply["message"]
    status, history = await client.call("runs", path=KINDS)
    assert status == 200
    assert [run["run_id"] for run in history["runs"]] == [job["id"]]
    (entry,) = history["runs"]
    assert entry["given_parameters"] == {"shift": -0.001, "label": "--help"}
    assert entry["n_checks"] == 0 and "results" not in entry
    # the job's log stays beside the runs (its parameter file is gone once read), nothing in the notebook's folder
    assert [p.name for p in (jp_root_dir / "runs" / ".jobs").iterdir()] == [f"{job['id']}.log"]
    assert sorted(p.name for p in notebooks.iterdir() if p.name.startswith(("kinds", "."))) == ["kinds.ipynb"]


async def test_parameters_of_an_executed_notebook_are_the_values_its_run_used(client, notebooks):
    status, job = await client.start(KINDS, {"shift": "2.5", "features": "[x, y, z]"})
    assert status == 201, job
    done = await client.wait_for(job["id"], finished)
    assert done["state"] == "succeeded", done["message"]
    status, reply = await client.call("parameters", path=done["output_path"])
    assert status == 200, reply
    run = reply["run"]
    assert run["run_id"] == job["id"] and run["source_path"] == KINDS
    assert run["values"]["shift"] == "2.5"
    assert run["values"]["features"] == '["x", "y", "z"]'
    assert run["values"]["label"] == "x"  # a default, as the run used it
    assert sorted(run["given"]) == ["features", "shift"]
    status, plain = await client.call("parameters", path=KINDS)
    assert plain["run"] is None


async def test_values_can_be_checked_without_starting_a_job(client, jp_root_dir, notebooks):
    status, reply = await client.call(
        "parameters",
        method="POST",
        body={"path": KINDS, "parameters": {"features": "[a, b, c]", "shift": "-2"}},
    )
    assert status == 200, reply
    assert reply["parameters"] == {"features": ["a", "b", "c"], "shift": -2.0}
    status, reply = await client.call(
        "parameters", method="POST", body={"path": KINDS, "parameters": {"options": "{a: 1"}}
    )
    assert status == 400 and reply["parameter"] == "options"
    nothing_left(jp_root_dir)


async def test_a_notebook_that_is_not_json_is_a_400_naming_the_path(client, jp_root_dir, notebooks):
    (notebooks / "broken.ipynb").write_text("{ not json")
    for parts, method, body, params in [
        (("parameters",), "GET", None, {"path": "work/broken.ipynb"}),
        (("jobs",), "POST", {"path": "work/broken.ipynb", "parameters": {}}, {}),
    ]:
        status, reply = await client.call(*parts, method=method, body=body, **params)
        assert (status, reply["field"]) == (400, "path"), reply
        assert "not a valid notebook" in reply["message"]
    nothing_left(jp_root_dir)


async def test_a_symbolic_link_loop_is_a_404_naming_the_path(client, jp_root_dir, notebooks):
    (notebooks / "a.ipynb").symlink_to(notebooks / "b.ipynb")
    (notebooks / "b.ipynb").symlink_to(notebooks / "a.ipynb")
    status, reply = await client.call("parameters", path="work/a.ipynb")
    assert (status, reply["field"]) == (404, "path"), reply
    nothing_left(jp_root_dir)


def test_any_path_or_value_is_answered_with_a_reason_never_a_crash(tmp_path):
    """Hypothesis: whatever a request holds, the manager refuses it with a RequestError or accepts it."""
    import shutil

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from mlcheck_jupyter.jobs import JobManager, RequestError

    root = tmp_path / "root"
    (root / "work").mkdir(parents=True)
    shutil.copy(
        Path(__file__).resolve().parents[3] / "tests" / "notebooks" / "jupyter" / "kinds.ipynb", root / "work"
    )
    manager = JobManager(root_dir=str(root))
    notebook = root / "work" / "kinds.ipynb"
    text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300)
    value = st.one_of(
        text, st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers(), max_size=3)
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        path=st.one_of(text, st.just("work/kinds.ipynb"), st.integers()),
        name=st.sampled_from(["shift", "label", "features", "options", "x"]),
        given_value=value,
    )
    def attempt(path, name, given_value):  # type: ignore[no-untyped-def]
        try:
            manager.notebook(path)
        except RequestError as error:
            assert error.status in (400, 403, 404) and error.field == "path"
        try:
            manager.check(notebook, {name: given_value})
        except RequestError as error:
            assert error.status == 400 and error.parameter == name
        assert not (root / "runs").exists()

    attempt()
