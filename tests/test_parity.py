"""check_parity on clean and defective pipelines, golden parity, and `mlcheck parity`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from planted import (
    NUMERIC,
    ExtremeIncomeCrash,
    batch_mean_pipeline,
    clean_pipeline,
    credit_frame,
    refit_scaler_scoring,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import mlcheck as mc
from mlcheck import kernel as notebook
from mlcheck.contracts.parity import check_parity, compare_outputs, golden_parity, model_outputs
from mlcheck.errors import UsageError

NOTEBOOKS = Path(__file__).parent / "notebooks" / "bundle"
FAST = {"n_single": 40, "examples": 12}


@pytest.fixture(scope="module")
def data():
    return credit_frame(2000, seed=0)


@pytest.fixture(scope="module")
def test_rows():
    return credit_frame(300, seed=1)[0]


def _outcomes(result) -> dict[str, bool]:
    return {outcome.subject: outcome.passed for outcome in result.outcomes}


@pytest.mark.parametrize("boosting", [False, True], ids=["logistic", "boosting"])
def test_clean_pipeline_passes_every_outcome(data, test_rows, boosting) -> None:
    X, y = data
    result = check_parity(clean_pipeline(boosting=boosting).fit(X, y), test_rows, **FAST)
    assert result.passed, str(result)
    assert _outcomes(result) == {"round_trip": True, "single_row": True, "generated_rows": True}
    assert result.details["generated_frames"] == FAST["examples"]


def test_transformer_reading_the_batch_mean_is_caught(data, test_rows) -> None:
    X, y = data
    result = check_parity(batch_mean_pipeline().fit(X, y), test_rows, **FAST)
    outcomes = _outcomes(result)
    assert outcomes["round_trip"] and not outcomes["single_row"] and not outcomes["generated_rows"]
    single = next(o for o in result.outcomes if o.subject == "single_row")
    assert single.observed > 0 and "statistics of the scoring batch" in single.message
    shown = result.to_dict()["details"]["differing_rows"]
    assert shown and {"row", "column", "expected", "observed"} <= set(shown[0])
    assert result.to_dict()["details"]["generated_failure"]["kind"] == "single row differs from batch"
    from mlcheck.display.cards import render_html

    assert len(render_html(result.to_dict())) < 20_000  # the card stays small however many rows differ


def test_a_model_that_crashes_on_extreme_values_fails_the_generated_rows(data, test_rows) -> None:
    X, y = data
    fragile = ExtremeIncomeCrash(clean_pipeline().fit(X, y))
    result = check_parity(fragile, test_rows, n_single=10, examples=30)
    assert _outcomes(result) == {"round_trip": True, "single_row": True, "generated_rows": False}
    generated = next(o for o in result.outcomes if o.subject == "generated_rows")
    assert generated.message == "crash: ValueError: income out of the supported range"
    rows = result.to_dict()["details"]["generated_failure"]["rows"]
    assert len(rows) == 1 and rows[0]["income"] > 1e7  # shrunk to the one row that crashes it
    # the schema's edges are swept first, so one hypothesis draw is enough (it failed in the full suite)
    assert _outcomes(check_parity(fragile, test_rows, n_single=2, examples=1))["generated_rows"] is False


def test_scaler_refit_on_the_scoring_batch_is_caught(data) -> None:
    X, y = data
    model = clean_pipeline().fit(X, y)
    batch = credit_frame(300, seed=2)[0]
    batch["age"] += 15  # an older batch: the re-fitted scaler hides the shift, and moves predictions
    result = check_parity(model, batch, score_fn=refit_scaler_scoring(model), examples=0, n_single=20)
    assert _outcomes(result) == {"round_trip": True, "single_row": True, "scoring_function": False}


def test_a_model_skops_cannot_persist_fails_the_round_trip(data, test_rows) -> None:
    X, y = data
    model = make_pipeline(FunctionTransformer(lambda values: values * 2.0), LogisticRegression())
    model.fit(X[NUMERIC], y)
    result = check_parity(model, test_rows[NUMERIC], examples=0, n_single=5)
    round_trip = next(o for o in result.outcomes if o.subject == "round_trip")
    assert not round_trip.passed and "export round trip failed" in round_trip.message


def test_parity_against_an_exported_bundle(tmp_path, data, test_rows) -> None:
    X, y = data
    model = clean_pipeline().fit(X, y)
    bundle = mc.export(model, tmp_path / "b", reference=X)
    assert check_parity(model, test_rows, bundle=bundle, **FAST).passed
    other = clean_pipeline().fit(X.iloc[:300], y[:300])  # a bundle of another model
    result = check_parity(other, test_rows, bundle=bundle, examples=0, n_single=5)
    assert not _outcomes(result)["round_trip"]


def test_check_parity_refuses_bad_input(data) -> None:
    X, y = data
    with pytest.raises(UsageError, match="fitted model"):
        check_parity(object(), X)
    with pytest.raises(UsageError, match="at least one row"):
        check_parity(clean_pipeline().fit(X, y), X.iloc[:0])


# -- comparing outputs --------------------------------------------------------------------------------
def test_compare_outputs_is_exact_for_labels_and_relative_for_scores() -> None:
    expected = pd.DataFrame({"prediction": [1, 0, 1], "score_1": [0.9, 0.2, 0.7]})
    close = expected.assign(score_1=expected["score_1"] * (1 + 1e-12))
    far = expected.assign(score_1=expected["score_1"] * (1 + 1e-6))
    flipped = expected.assign(prediction=[1, 1, 1])
    assert compare_outputs(expected, close)[0] == 0
    assert compare_outputs(expected, far)[0] == 3
    assert compare_outputs(expected, far, rtol=1e-5)[0] == 0
    n_differ, cells = compare_outputs(expected, flipped)
    assert n_differ == 1 and cells == [{"row": 1, "column": "prediction", "expected": 0, "observed": 1}]


def test_golden_parity_catches_reordered_columns_and_float32(data) -> None:
    X, y = data
    golden = credit_frame(200, seed=3)[0]
    positional = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[NUMERIC].to_numpy(), y)
    expected = model_outputs(positional, golden[NUMERIC].to_numpy()).set_axis(golden.index)
    assert golden_parity(expected, expected.copy()).passed
    reordered = golden[list(reversed(NUMERIC))].to_numpy()  # scoring code that lost the column order
    result = golden_parity(expected, model_outputs(positional, reordered).set_axis(golden.index))
    assert result.failed and result.observed > 0
    as_float32 = golden[NUMERIC].astype("float32").to_numpy()  # a float64 model fed float32
    result = golden_parity(expected, model_outputs(positional, as_float32).set_axis(golden.index))
    assert result.failed and "score_" in str(result.details["differing_rows"])


def test_golden_parity_counts_missing_rows_and_needs_predictions() -> None:
    expected = pd.DataFrame({"prediction": [1, 0, 1]})
    result = golden_parity(expected, pd.DataFrame({"prediction": [1, 0]}, index=[0, 1]))
    assert result.failed and result.outcomes[0].subject == "golden:rows"
    with pytest.raises(UsageError, match="'prediction'"):
        golden_parity(expected, pd.DataFrame({"label": [1, 0, 1]}))


# -- across processes: `mlcheck parity` ----------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(tmp_path_factory, data):
    X, y = data
    path = tmp_path_factory.mktemp("parity") / "credit"
    mc.export(clean_pipeline().fit(X, y), path, reference=X, golden=credit_frame(300, seed=4)[0])
    notebook.clear()
    return path


def _parity(bundle: Path, notebook_name: str, runs: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mlcheck",
            "parity",
            str(bundle),
            str(NOTEBOOKS / notebook_name),
            "--runs-dir",
            str(runs),
            "--timeout",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


@pytest.mark.slow
def test_mlcheck_parity_passes_the_scoring_notebook(exported, tmp_path) -> None:
    done = _parity(exported, "score.ipynb", tmp_path / "runs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[PASS] check_parity" in done.stdout and "300 rows agree" in done.stdout


@pytest.mark.slow
def test_mlcheck_parity_fails_a_notebook_that_refits_the_scaler(exported, tmp_path) -> None:
    done = _parity(exported, "score_refit_scaler.ipynb", tmp_path / "runs")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[FAIL] check_parity" in done.stdout and "disagrees with training" in done.stdout


def test_mlcheck_parity_refuses_a_damaged_bundle(exported, tmp_path) -> None:
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(exported, damaged)
    (damaged / "schema.json").write_text("{}")
    done = _parity(damaged, "score.ipynb", tmp_path / "runs")
    assert done.returncode == 7 and "schema.json" in done.stderr  # a malformed file: bundle integrity


def test_mlcheck_parity_refuses_a_notebook_without_the_scoring_parameters(exported, tmp_path) -> None:
    done = _parity(exported, "train.ipynb", tmp_path / "runs")  # a training notebook: no model_dir
    assert done.returncode == 2 and "model_dir" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("output.ipynb"))


_TRANSFORMED: list[int] = []


def _counted(X: pd.DataFrame) -> pd.DataFrame:
    _TRANSFORMED.append(len(X))
    return X


def test_scores_run_the_pipeline_transformers_once_with_the_same_outputs() -> None:
    frame, target = credit_frame(300, seed=3)
    X = frame[["age", "income", "tenure"]]
    pipeline = make_pipeline(FunctionTransformer(_counted), StandardScaler(), LogisticRegression()).fit(X, target)
    _TRANSFORMED.clear()
    outputs = model_outputs(pipeline, X, scores=True)
    assert _TRANSFORMED == [300]  # was twice: predict, then predict_proba, each through every step
    assert outputs["prediction"].tolist() == pipeline.predict(X).tolist()
    assert outputs[["score_0", "score_1"]].to_numpy().tolist() == pipeline.predict_proba(X).tolist()
