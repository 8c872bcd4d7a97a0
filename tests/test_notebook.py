"""Recording and display: the process record, MIME bundles, reading results back."""

from __future__ import annotations

import json

import nbformat
import pytest

import mlcheck as mc
from mlcheck import kernel as notebook
from mlcheck.display.cards import record_bundle, render_html, render_text, result_bundle
from mlcheck.results import MIME_TYPE, CheckResult, Outcome
from mlcheck.errors import UsageError
from mlcheck.runs.results import collect, read_results


def test_public_checks_record_their_results_outside_a_kernel(capsys):
    result = mc.check_coverage([1.0, float("nan")], min=0.9)
    assert result.failed and result.blocking
    assert mc.recorded_results() == [result]
    assert capsys.readouterr().out == ""  # no kernel, nothing displayed
    notebook.show(result)
    assert "[FAIL] check_coverage" in capsys.readouterr().out
    notebook.show(result)  # shown once only
    assert capsys.readouterr().out == ""


def test_record_keeps_json_values_and_refuses_bad_names():
    import numpy as np

    assert mc.record("auc", np.float64(0.91)) == 0.91
    mc.record("table", {"a": np.arange(3)})
    assert notebook.recorded_values() == {"auc": 0.91, "table": {"a": [0, 1, 2]}}
    with pytest.raises(UsageError, match="non-empty string"):
        mc.record("", 1)


def test_result_round_trips_through_json():
    result = CheckResult(
        "check_x",
        passed=False,
        severity="warning",
        observed=float("nan"),
        threshold=[1, 2],
        details={"k": 1},
        message="m",
        outcomes=(Outcome("a", False, 1.0, 2.0, "low"),),
    )
    again = CheckResult.from_dict(json.loads(result.to_json()))
    assert again.outcomes == result.outcomes and again.observed == "nan" and not again.blocking
    with pytest.raises(ValueError, match="severity"):
        CheckResult("check_x", passed=True, severity="fatal")  # type: ignore[arg-type]


def test_bundles_have_html_and_text_fallbacks_and_stay_small():
    result = mc.check_coverage(list(range(100)), min=0.5)
    bundle = result_bundle(result.to_dict())
    assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
    assert bundle[MIME_TYPE]["version"] == 1 and bundle[MIME_TYPE]["kind"] == "check"
    assert "PASS" in render_html(result.to_dict()) and "check_coverage" in render_text(result.to_dict())
    assert len(json.dumps(bundle)) < 20_000
    assert record_bundle("n", 3)["text/plain"] == "recorded n = 3"


def test_results_are_read_back_from_a_notebook_without_a_kernel():
    result = mc.check_coverage([1.0, 2.0], min=0.5)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# title"))
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "...",
            outputs=[
                nbformat.v4.new_output("display_data", data=result_bundle(result.to_dict())),
                nbformat.v4.new_output("display_data", data=record_bundle("auc", 0.8)),
                nbformat.v4.new_output("stream", text="noise"),
            ],
        )
    )
    results, values = read_results(nb)
    assert values == {"auc": 0.8}
    assert [r.name for r in results] == ["check_coverage"] and results[0].details["cell"] == 1
    assert collect(nb).environment == {}


def test_in_a_job_the_notebook_keeps_the_card_and_run_json_gets_the_full_record(tmp_path, monkeypatch):
    # what mlcheck.kernel.show does in a job's kernel, without the kernel: the full record is
    # written beside the run, the notebook stores the bounded card that names it
    monkeypatch.setenv(notebook.RUN_ID_ENV, "run-1")
    monkeypatch.setenv(notebook.RUN_DIR_ENV, str(tmp_path))
    outcomes = tuple(
        Outcome(f"feature_{i}", i % 50 != 0, i, 10, "moved" if i % 50 == 0 else "") for i in range(300)
    )
    result = CheckResult("check_many", passed=False, outcomes=outcomes, details={"n": 300})
    data = result.to_dict()
    record_id = notebook._keep_full_record(data)
    assert record_id and notebook.record_path(tmp_path, record_id).is_file()
    bundle = result_bundle(data, record=record_id)
    assert (
        bundle[MIME_TYPE]["record"] == record_id and len(bundle[MIME_TYPE]["result"]["outcomes"]) == 10
    )  # 6 failed, 4 held
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "mc.check_many()",
            outputs=[
                nbformat.v4.new_output("display_data", data=bundle),
            ],
        )
    )
    (full,) = collect(nb, tmp_path).results  # as the runner reads it for run.json
    assert len(full.outcomes) == 300 and full.outcomes == result.outcomes
    (card,) = collect(nb).results  # without the run directory: the card's view only
    assert len(card.outcomes) == 10
    monkeypatch.delenv(notebook.RUN_DIR_ENV)
    assert notebook._keep_full_record(data) is None  # outside a job nothing is written
