"""mlcheck.kernel in a real IPython kernel: a notebook cell run again replaces its earlier results."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

import mlcheck as mc
from mlcheck import kernel
from mlcheck.errors import ContractViolation

SETUP = """
import json, tempfile, pathlib
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
import mlcheck as mc
X = pd.DataFrame({"x": np.arange(20.0)})
model = LogisticRegression().fit(X, (X["x"] > 9).astype(int))
folder = pathlib.Path(tempfile.mkdtemp())
values = np.r_[np.ones(10), np.nan]
def state():
    return json.dumps([[r.name, r.passed] for r in mc.recorded_results()])
def try_export(name):
    try:
        mc.export(model, folder / name, reference=X)
        return "exported"
    except mc.ContractViolation as error:
        return "refused: " + str(error)
"""
CHECK_CELL = "mc.check_coverage(values, min=0.99)\nmc.check_coverage(np.ones(5), min=0.99)"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    from mlcheck.runs.kernels import kernel_for_current_interpreter

    manager, kernel_client = start_new_kernel(
        kernel_name=kernel_for_current_interpreter(), cwd=os.getcwd(), startup_timeout=300
    )
    try:
        _execute(kernel_client, SETUP)
        yield kernel_client
    finally:
        kernel_client.stop_channels()
        manager.shutdown_kernel(now=True)


def _execute(client: Any, code: str, cell_id: str | None = None) -> str:
    """Run ``code`` as JupyterLab runs a cell (its id in the request's metadata); the last expression's text."""
    metadata = {"cellId": cell_id} if cell_id else {}
    message = client.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False},
        metadata=metadata,
    )
    client.shell_channel.send(message)
    reply = client.get_shell_msg(timeout=300)
    while reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
        reply = client.get_shell_msg(timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = ""
    while True:
        output = client.get_iopub_msg(timeout=300)
        if output["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        if output["msg_type"] == "execute_result":
            text = output["content"]["data"]["text/plain"]
        if output["msg_type"] == "status" and output["content"]["execution_state"] == "idle":
            return text


def _state(client: Any) -> list[list[Any]]:
    return json.loads(_execute(client, "state()").strip("'"))


def test_a_cell_run_again_after_the_fix_replaces_its_failure_and_export_passes(client):
    _execute(client, "mc.clear()")
    _execute(client, CHECK_CELL, cell_id="cell-a")
    assert _state(client) == [["check_coverage", False], ["check_coverage", True]]
    assert "refused" in _execute(client, "try_export('first')", cell_id="cell-x")

    _execute(client, "values = np.ones(10)", cell_id="cell-b")  # the user fixes the data
    _execute(client, CHECK_CELL, cell_id="cell-a")  # and runs the SAME cell again
    # both results of the cell's first execution are gone; both of its second are kept
    assert _state(client) == [["check_coverage", True], ["check_coverage", True]]
    assert _execute(client, "try_export('second')", cell_id="cell-x") == "'exported'"


def test_another_cell_keeps_its_results_and_clear_forgets_them(client):
    _execute(client, "mc.clear(); values = np.r_[np.ones(10), np.nan]")
    _execute(client, "mc.check_coverage(values, min=0.99)", cell_id="cell-a")
    _execute(client, "mc.check_coverage(np.ones(5), min=0.99)", cell_id="cell-c")
    assert _state(client) == [["check_coverage", False], ["check_coverage", True]]
    refused = _execute(client, "try_export('third')", cell_id="cell-x")
    assert "mc.clear()" in refused  # the message names the way out
    _execute(client, "mc.clear()", cell_id="cell-x")
    assert _state(client) == []
    assert _execute(client, "try_export('fourth')", cell_id="cell-x") == "'exported'"


def test_without_a_cell_id_every_result_is_kept(client):
    """nbclient and papermill send no cell id: each execution adds its results, as in a plain process."""
    _execute(client, "mc.clear(); values = np.r_[np.ones(10), np.nan]")
    _execute(client, "mc.check_coverage(values, min=0.99)")
    _execute(client, "values = np.ones(10)")
    _execute(client, "mc.check_coverage(values, min=0.99)")
    assert _state(client) == [["check_coverage", False], ["check_coverage", True]]


def test_outside_a_kernel_results_accumulate_and_mc_clear_forgets_them(tmp_path):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"x": np.arange(20.0)})
    model = LogisticRegression().fit(X, (X["x"] > 9).astype(int))
    mc.clear()
    try:
        mc.check_coverage(np.r_[np.ones(10), np.nan], min=0.99)
        mc.check_coverage(np.ones(10), min=0.99)
        assert [r.passed for r in mc.recorded_results()] == [False, True]
        with pytest.raises(ContractViolation, match=r"mc\.clear\(\)"):
            mc.export(model, tmp_path / "b", reference=X)
        assert mc.clear is kernel.clear
        mc.clear()
        assert mc.recorded_results() == []
        mc.export(model, tmp_path / "b", reference=X)
    finally:
        mc.clear()
