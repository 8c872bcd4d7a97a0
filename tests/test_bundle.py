"""The export gate, the bundle on disk, verified loading, and Bundle.score."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from planted import NUMERIC, ExtremeIncomeCrash, batch_mean_pipeline, clean_pipeline, credit_frame
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlcheck as mc
from mlcheck.bundle import BundleVersionWarning, ScoreResult, store
from mlcheck.bundle.scoring import score_frame
from mlcheck.contracts.parity import model_outputs
from mlcheck.contracts.schema import ExtraColumnsWarning, infer_schema
from mlcheck.contracts.strategies import frames
from mlcheck.errors import BundleIntegrityError, ContractViolation, UsageError

BUNDLE_FILES = [
    "model.skops",
    "schema.json",
    "profile.json",
    "golden.parquet",
    "contracts.json",
    "provenance.json",
]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return credit_frame(3000, seed=0)


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return clean_pipeline().fit(X, y)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, data, model):
    X, _ = data
    return mc.export(model, tmp_path_factory.mktemp("bundles") / "credit", reference=X, golden=X.iloc[:200])


# -- export and load -----------------------------------------------------------------------
def test_export_writes_every_file_with_its_hash_in_the_manifest(bundle) -> None:
    names = sorted(p.name for p in bundle.path.iterdir())
    assert names == sorted([*BUNDLE_FILES, "MANIFEST.json", "MANIFEST.sha256"])
    manifest = json.loads((bundle.path / "MANIFEST.json").read_text())
    for name in BUNDLE_FILES:
        assert (
            manifest["files"][name]["sha256"] == hashlib.sha256((bundle.path / name).read_bytes()).hexdigest()
        )
    assert manifest["model"]["untrusted_types"] == []
    assert manifest["model"]["class"] == "sklearn.pipeline.Pipeline"


def test_loaded_bundle_scores_like_the_model(bundle, data, model) -> None:
    X, _ = data
    loaded = mc.load(bundle.path)
    np.testing.assert_array_equal(loaded.model.predict(X), model.predict(X))
    assert loaded.schema == bundle.schema and loaded.schema.names == tuple(X.columns)
    assert isinstance(loaded.profile, mc.Profile) and loaded.profile.n_rows == len(X)


def test_golden_holds_inputs_and_training_time_outputs(bundle, data, model) -> None:
    X, _ = data
    pd.testing.assert_frame_equal(bundle.golden_inputs, X.iloc[:200], check_dtype=True)
    expected = model_outputs(model, X.iloc[:200])
    pd.testing.assert_frame_equal(bundle.golden_outputs, expected, check_exact=True)


def test_provenance_records_versions_git_and_input_hashes(tmp_path, data, model) -> None:
    X, _ = data
    source = tmp_path / "train.parquet"
    X.to_parquet(source)
    mc.record("auc", 0.9)
    bundle = mc.export(model, tmp_path / "b", reference=X, inputs={"train": source})
    record = bundle.provenance
    assert record["packages"]["scikit-learn"] and record["packages"]["skops"]
    assert record["inputs"]["train"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert record["values"] == {"auc": 0.9}
    assert record["run"] is None  # not inside an mlcheck run
    assert "commit" in record["git"] or record["git"] == {}
    with pytest.raises(UsageError, match="does not exist"):
        mc.export(model, tmp_path / "c", reference=X, inputs=[tmp_path / "nope.csv"])


def test_the_gate_refuses_and_writes_nothing(tmp_path, data, model, bundle) -> None:
    X, _ = data
    bad = X.iloc[:100].astype({"income": "float32"})
    failed = mc.check_schema(bad, bundle.schema)  # a real failing check, recorded
    assert failed.failed
    with pytest.raises(ContractViolation, match="check_schema") as refused:
        mc.export(model, tmp_path / "refused", reference=X)
    assert refused.value.results == (failed,)
    assert not (tmp_path / "refused").exists() and list(tmp_path.iterdir()) == []


def test_a_failed_warning_does_not_block_and_is_kept(tmp_path, data, model, bundle) -> None:
    X, _ = data
    mc.check_schema(X.iloc[:100].astype({"income": "float32"}), bundle.schema, severity="warning")
    exported = mc.export(model, tmp_path / "ok", reference=X)
    assert [c.name for c in exported.contracts] == ["check_schema"]
    assert exported.contracts[0].failed and exported.contracts[0].severity == "warning"


def test_export_refuses_to_overwrite_without_asking(tmp_path, data, model) -> None:
    X, _ = data
    mc.export(model, tmp_path / "b", reference=X, name="first")
    with pytest.raises(UsageError, match="overwrite=True"):
        mc.export(model, tmp_path / "b", reference=X)
    assert mc.export(model, tmp_path / "b", reference=X, name="second", overwrite=True).name == "second"
    (tmp_path / "not-a-bundle").mkdir()
    with pytest.raises(UsageError, match="not an mlcheck bundle"):
        mc.export(model, tmp_path / "not-a-bundle", reference=X, overwrite=True)


def test_export_refuses_bad_arguments(tmp_path, data, model) -> None:
    X, _ = data
    with pytest.raises(UsageError, match="reference"):
        mc.export(model, tmp_path / "b", reference=X.iloc[:0])
    with pytest.raises(UsageError, match="does not exist"):
        mc.export(model, tmp_path / "missing" / "b", reference=X)
    with pytest.raises(UsageError, match="fitted model"):
        mc.export("model", tmp_path / "b", reference=X)


# -- integrity ---------------------------------------------------------------------------------
def _copy_bundle(bundle, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(bundle.path, target)
    return target


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_one_flipped_byte_is_caught_and_named(bundle, tmp_path, name) -> None:
    path = _copy_bundle(bundle, tmp_path)
    data = bytearray((path / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / name).write_bytes(bytes(data))
    with pytest.raises(BundleIntegrityError, match=rf"{name} in the bundle .* differs from its manifest"):
        mc.load(path)


@pytest.mark.parametrize("name", [*BUNDLE_FILES, "MANIFEST.json"])
def test_a_removed_file_is_caught_and_named(bundle, tmp_path, name) -> None:
    path = _copy_bundle(bundle, tmp_path)
    (path / name).unlink()
    with pytest.raises(BundleIntegrityError, match=name):
        mc.load(path)


def test_an_added_file_is_caught(bundle, tmp_path) -> None:
    path = _copy_bundle(bundle, tmp_path)
    (path / "model.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(BundleIntegrityError, match="model.pkl"):
        mc.load(path)


def _rewrite_manifest(path: Path, manifest: dict) -> None:
    """Rewrite a bundle's manifest and its checksum, as a deliberate edit (not damage) would."""
    data = json.dumps(manifest).encode()
    (path / "MANIFEST.json").write_bytes(data)
    (path / "MANIFEST.sha256").write_bytes(store.manifest_checksum(data))


def test_another_sklearn_version_warns(bundle, tmp_path) -> None:
    path = _copy_bundle(bundle, tmp_path)
    manifest = json.loads((path / "MANIFEST.json").read_text())
    manifest["model"]["sklearn_version"] = "1.0.2"
    _rewrite_manifest(path, manifest)
    with pytest.warns(BundleVersionWarning, match="1.0.2"):
        mc.load(path)


# -- trust ---------------------------------------------------------------------------------------
def test_boosted_trees_need_only_sklearn_classes(tmp_path, data) -> None:
    X, y = data
    model = clean_pipeline(boosting=True).fit(X, y)
    exported = mc.export(model, tmp_path / "hgb", reference=X)
    assert exported.manifest["model"]["untrusted_types"] == [
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    ]
    np.testing.assert_array_equal(mc.load(tmp_path / "hgb").model.predict(X), model.predict(X))


def test_custom_types_are_refused_until_named(tmp_path, data) -> None:
    X, y = data
    mc.export(batch_mean_pipeline().fit(X, y), tmp_path / "custom", reference=X)
    with pytest.raises(UsageError, match=r"not trusted: \['planted.BatchMeanCentering'\].*trusted=\["):
        mc.load(tmp_path / "custom")
    with pytest.raises(UsageError, match="not trusted"):
        mc.load(tmp_path / "custom", trusted=["planted.SomethingElse"])
    assert mc.load(tmp_path / "custom", trusted=["planted.BatchMeanCentering"]).model is not None
    with pytest.raises(UsageError, match="list of type names"):
        mc.load(tmp_path / "custom", trusted="planted.BatchMeanCentering")  # type: ignore[arg-type]


def test_a_manifest_that_hides_a_type_is_refused(tmp_path, data) -> None:
    X, y = data
    mc.export(batch_mean_pipeline().fit(X, y), tmp_path / "custom", reference=X)
    manifest = json.loads((tmp_path / "custom" / "MANIFEST.json").read_text())
    manifest["model"]["untrusted_types"] = []
    _rewrite_manifest(tmp_path / "custom", manifest)
    with pytest.raises(BundleIntegrityError, match="does not record"):
        mc.load(tmp_path / "custom", trusted=["planted.BatchMeanCentering"])


# -- atomic replacement --------------------------------------------------------------------------
def _export_forever(path: Path, ready) -> None:
    """Runs in a forked child: export two models alternately until killed."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.normal(size=3000)})
    models = [LogisticRegression(C=c).fit(X, X.x + X.y > 0) for c in (0.1, 1.0)]
    i = 0
    while True:
        mc.export(models[i % 2], path, reference=X, name=f"v{i}", overwrite=True)
        i += 1
        ready.set()


def test_an_export_killed_at_random_points_leaves_a_complete_bundle(tmp_path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")  # the child starts with mlcheck already imported
    path = tmp_path / "credit"
    chooser = random.Random(7)
    names = set()
    interrupted = 0
    for _ in range(12):
        ready = context.Event()
        child = context.Process(target=_export_forever, args=(path, ready), daemon=True)
        child.start()
        try:
            assert ready.wait(timeout=60)  # at least one export finished: there is an old bundle
            time.sleep(chooser.uniform(0.0, 0.3))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        interrupted += any(".mlcheck-tmp-" in p.name for p in tmp_path.iterdir())
        loaded = mc.load(path)  # verifies every file against the manifest
        assert loaded.name.startswith("v")
        names.add(loaded.name)
    assert len(names) > 1  # the kills landed in different exports
    assert interrupted  # and some landed while a bundle was half written
    X = pd.DataFrame({"x": [0.0, 1.0], "y": [1.0, 0.0]})
    mc.export(LogisticRegression().fit(X, [0, 1]), path, reference=X, overwrite=True)
    leftovers = [p.name for p in tmp_path.iterdir() if ".mlcheck-" in p.name]
    assert leftovers == []  # staging directories of dead exporters are cleaned up


def test_without_an_atomic_exchange_a_bundle_left_aside_is_restored(
    tmp_path, data, model, monkeypatch
) -> None:
    X, _ = data
    monkeypatch.setattr(store, "_exchange", lambda first, second: False)
    mc.export(model, tmp_path / "b", reference=X, name="old")
    assert mc.export(model, tmp_path / "b", reference=X, name="new", overwrite=True).name == "new"
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=False
    )
    dead_pid = int(finished.stdout)
    os.rename(
        tmp_path / "b", tmp_path / f".b.mlcheck-old-{dead_pid}-0a1b2c3d"
    )  # died between the two renames
    assert mc.load(tmp_path / "b").name == "new"


# -- scoring -------------------------------------------------------------------------------------------
def test_clean_batch_is_scored_whole(bundle, model) -> None:
    batch = credit_frame(500, seed=5)[0]
    result = bundle.score(batch)
    assert (result.n_rows, result.n_scored, result.n_rejected) == (500, 500, 0)
    np.testing.assert_array_equal(result.predictions["prediction"], model.predict(batch))
    assert list(result.predictions.columns) == ["prediction"] and result.rejects.empty


def test_scores_keys_fallback_and_batches(bundle, model) -> None:
    batch = credit_frame(50, seed=6)[0].assign(customer=[f"c{i}" for i in range(50)])
    batch.loc[3, "age"] = np.nan
    batch.loc[7, "city"] = "Paris"
    result = bundle.score(batch, key="customer", scores=True, unseen="reject")
    assert result.n_rejected == 2 and result.rejects["customer"].tolist() == ["c3", "c7"]
    assert result.rejects["reason"].tolist() == [
        "age: missing value (none in the training data)",
        "city: unseen category 'Paris'",
    ]
    good = batch.drop(index=[3, 7])
    expected = model_outputs(model, good.drop(columns="customer"))
    pd.testing.assert_frame_equal(result.predictions.drop(columns="customer"), expected)
    assert result.predictions["customer"].tolist() == good["customer"].tolist()
    with_fallback = bundle.score(batch, key="customer", fallback=-1, batch_size=7, unseen="reject")
    assert len(with_fallback.predictions) == 50 and with_fallback.n_scored == 48
    assert with_fallback.predictions.loc[[3, 7], "prediction"].tolist() == [-1, -1]
    assert with_fallback.predictions["fallback"].sum() == 2
    np.testing.assert_array_equal(
        with_fallback.predictions.loc[good.index, "prediction"], expected["prediction"]
    )
    assert mc.check_coverage(with_fallback, min=0.99).failed  # fallback rows are not coverage
    assert mc.check_coverage(with_fallback, min=0.95).passed


def test_unseen_category_defect_is_rejected_and_fails_coverage(tmp_path, data) -> None:
    X, y = data
    strict = mc.export(clean_pipeline(handle_unknown="error").fit(X, y), tmp_path / "s", reference=X)
    batch = credit_frame(400, seed=8)[0]
    batch.loc[:19, "city"] = "Stavanger"  # a city the model never saw: 5%
    assert not mc.check_schema(batch, strict.schema).passed
    result = strict.score(batch)  # the encoder would raise; the rows are rejected instead
    assert result.n_rejected == 20 and set(result.rejects["reason"]) == {"city: unseen category 'Stavanger'"}
    assert mc.check_coverage(result, min=0.99).failed


def test_reordered_columns_score_as_trained(tmp_path, data) -> None:
    X, y = data
    numeric = X[NUMERIC]
    positional = make_pipeline(StandardScaler(), LogisticRegression()).fit(numeric.to_numpy(), y)
    exported = mc.export(positional, tmp_path / "np", reference=numeric)
    reordered = numeric[list(reversed(NUMERIC))]
    naive = positional.predict(reordered.to_numpy())
    truth = positional.predict(numeric.to_numpy())
    assert (naive != truth).any()  # the defect is real for a model fitted on an array
    np.testing.assert_array_equal(exported.score(reordered).predictions["prediction"], truth)


def test_missing_and_extra_columns(bundle) -> None:
    batch = credit_frame(10, seed=9)[0]
    missing = bundle.score(batch.drop(columns="plan"))  # every row rejected: a failed contract, not a crash
    assert (missing.n_scored, missing.reason_counts) == (0, {"missing_column": 10})
    assert set(missing.rejects["reason"]) == {"missing column 'plan'"}
    with pytest.warns(ExtraColumnsWarning, match="note"):
        assert bundle.score(batch.assign(note="x")).n_scored == 10
    with pytest.raises(UsageError, match="key column"):
        bundle.score(batch, key="customer")
    with pytest.raises(UsageError, match="batch_size"):
        bundle.score(batch, batch_size=0)


def test_rows_the_model_raises_on_are_rejected_with_its_error(bundle, model) -> None:
    batch = credit_frame(300, seed=10)[0]
    planted_rows = [5, 120, 121, 299]
    batch.loc[planted_rows, "income"] = 5e7
    result = score_frame(ExtremeIncomeCrash(model), bundle.schema, batch)
    assert result.rejects.index.tolist() == planted_rows
    assert set(result.rejects["reason"]) == {"model raised ValueError: income out of the supported range"}
    keep = batch.drop(index=planted_rows)
    np.testing.assert_array_equal(result.predictions["prediction"], model.predict(keep))
    assert result.predictions.index.tolist() == keep.index.tolist()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_write_is_atomic_and_puts_rejects_beside(bundle, tmp_path, suffix) -> None:
    batch = credit_frame(30, seed=11)[0].assign(customer=range(30)).astype({"tenure": "float64"})
    batch.loc[4, "tenure"] = 2.5
    result = bundle.score(batch, key="customer")
    written = result.write(tmp_path / f"out{suffix}")
    from mlcheck.bundle.golden import read_table

    back = read_table(written)
    rejects = read_table(tmp_path / f"out.rejects{suffix}")
    assert back["prediction"].tolist() == result.predictions["prediction"].tolist()
    assert back["customer"].tolist() == [c for c in range(30) if c != 4]
    assert rejects["reason"].tolist() == ["tenure: not an integer: 2.5"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"out{suffix}", f"out.rejects{suffix}", "out.log.parquet"]
    )
    # the prediction log traces every prediction to its bundle, run and batch
    log = pd.read_parquet(tmp_path / "out.log.parquet")
    manifest = hashlib.sha256((bundle.path / "MANIFEST.json").read_bytes()).hexdigest()
    assert log["customer"].tolist() == back["customer"].tolist()
    assert set(log["bundle"]) == {manifest} and log["run_id"].isna().all()  # not scored inside a job
    assert (log["latency"] > 0).all() and log["batch_time"].notna().all()
    with pytest.raises(UsageError, match=".parquet"):
        result.write(tmp_path / "out.xlsx")


def test_score_result_keeps_its_invariant() -> None:
    with pytest.raises(ValueError, match="every row"):
        ScoreResult(pd.DataFrame(), pd.DataFrame(), n_rows=3, n_scored=1, n_rejected=1)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=frames(infer_schema(credit_frame(300, seed=0)[0]), max_rows=15))
def test_rows_in_equal_scored_plus_rejected_for_any_frame(bundle, data) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtraColumnsWarning)
        result = bundle.score(data)
        fallback = bundle.score(data, fallback=-1)
    assert result.n_rows == len(data) == result.n_scored + result.n_rejected
    assert len(result.predictions) == result.n_scored and len(result.rejects) == result.n_rejected
    assert set(result.predictions.index) | set(result.rejects.index) == set(data.index)
    assert not set(result.predictions.index) & set(result.rejects.index)
    assert result.rejects["reason"].str.len().gt(0).all()
    assert (
        len(fallback.predictions) == len(data) and fallback.predictions.index.tolist() == data.index.tolist()
    )


# -- inside an `mlcheck run` job -------------------------------------------------------------------------
@pytest.mark.slow
def test_a_job_exports_with_its_run_in_the_provenance_and_the_gate_stops_it(tmp_path) -> None:
    from mlcheck.runs import run_notebook

    train = Path(__file__).parent / "notebooks" / "bundle" / "train.ipynb"
    run = run_notebook(train, {"bundle_dir": str(tmp_path / "ok")}, runs_dir=tmp_path / "runs")
    assert run.exit_code == 0, run.failed_cell
    record = mc.load(tmp_path / "ok").provenance
    assert record["run"] == {"run_id": run.run_id, "run_dir": str(run.run_dir)}
    assert record["parameters"] == {
        "bundle_dir": str(tmp_path / "ok"),
        "n_rows": 2000,
        "seed": 0,
        "break_schema": False,
    }
    assert record["values"] == {"train_rows": 1500}
    refused = run_notebook(
        train, {"bundle_dir": str(tmp_path / "refused"), "break_schema": True}, runs_dir=tmp_path / "runs"
    )
    # the gate's refusal is a broken contract (exit 1), not a bug in the notebook (exit 3)
    assert (refused.exit_code, refused.status) == (1, "failed") and refused.failed_cell["ename"] == "ContractViolation"
    assert "export gate refused" in refused.message
    assert "income (dtype float32, expected float64)" in refused.failed_cell["evalue"]
    assert not (tmp_path / "refused").exists()


def test_the_clean_pipeline_passes_every_check_and_exports(tmp_path, data) -> None:
    X, y = data
    X_test = credit_frame(400, seed=12)[0]

    def train(seed: int):
        return clean_pipeline(boosting=True).set_params(clf__random_state=seed).fit(X, y)

    model = train(0)
    checks = [
        mc.check_parity(model, X_test, n_single=30, examples=10),
        mc.check_schema(X_test, X),
        mc.check_latency(model, X_test, p95_ms=60_000, n_single=10, repeats=2),
        mc.check_repeatable(train, X_test, seed=0),
    ]
    assert all(check.passed for check in checks), "\n".join(map(str, checks))
    bundle = mc.export(model, tmp_path / "clean", reference=X, golden=X_test)
    assert [c.name for c in bundle.contracts] == [c.name for c in checks]
    result = bundle.score(credit_frame(400, seed=13)[0], scores=True)
    assert mc.check_coverage(result, min=1.0).passed
    assert mc.check_shift(bundle.profile, credit_frame(2000, seed=14)[0], max_kl=0.1).passed
    assert mc.check_parity(model, X_test, bundle=bundle, n_single=10, examples=5).passed


def _mixed_reference() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n_rows = 400
    frame = pd.DataFrame(
        {
            "amount": rng.normal(100, 30, n_rows),
            "kind": pd.Categorical(rng.choice(["a", "b", "c"], n_rows)),
            "count": pd.array(rng.integers(0, 20, n_rows), dtype="Int64"),
            "flag": rng.random(n_rows) > 0.5,
        }
    )
    frame.loc[::10, "amount"] = np.nan  # nullable: the model takes missing amounts
    return frame


@pytest.fixture(scope="module")
def mixed_bundle(tmp_path_factory):
    from sklearn.ensemble import HistGradientBoostingClassifier

    reference = _mixed_reference()
    target = (reference["amount"].fillna(100) > 100).to_numpy()
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=10, random_state=0)
    model.fit(reference, target)
    return mc.export(model, tmp_path_factory.mktemp("mixed") / "m", reference=reference)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=frames(infer_schema(_mixed_reference()), max_rows=12))
def test_rows_in_equal_scored_plus_rejected_for_mixed_dtypes(mixed_bundle, data) -> None:
    result = mixed_bundle.score(data, fallback=-1)
    assert result.n_rows == len(data) == result.n_scored + result.n_rejected
    assert len(result.predictions) == len(data)
    assert int(result.predictions["fallback"].sum()) == result.n_rejected == len(result.rejects)


def test_a_dask_frame_is_scored_partition_by_partition(bundle) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    batch = credit_frame(600, seed=15)[0]
    batch.loc[[10, 250, 599], "city"] = "Paris"
    expected = bundle.score(batch, fallback=-1, unseen="reject")
    with dask.config.set(scheduler="synchronous"):  # lazy: computed here, in the client (small data)
        result = bundle.score(dd.from_pandas(batch, npartitions=4), fallback=-1, unseen="reject").compute()
    assert (result.n_rows, result.n_scored, result.n_rejected) == (600, 597, 3)
    pd.testing.assert_frame_equal(result.predictions, expected.predictions)
    assert result.rejects["row"].tolist() == [10, 250, 599]
    pd.testing.assert_frame_equal(
        result.rejects, expected.rejects, check_dtype=False
    )  # dask: string[pyarrow]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, a folder no one can write to")
def test_export_and_write_to_an_unwritable_folder_are_write_errors(data, model, bundle) -> None:
    """F14: both were a raw FileNotFoundError (a scoring job: exit 3, retried as if transient)."""
    from mlcheck.errors import WriteError

    X, _ = data
    with pytest.raises(WriteError, match="cannot write /proc/mlcheck_b"):
        mc.export(model, "/proc/mlcheck_b", reference=X)
    with pytest.raises(WriteError, match=r"cannot write /proc/out\.(rejects\.)?parquet"):
        bundle.score(X.iloc[:5]).write("/proc/out.parquet")


def test_columns_named_like_scorings_own_outputs_are_refused_with_the_fix(tmp_path, data, model, bundle) -> None:
    """F24: a feature 'row' gave rejects two 'row' columns and write() a raw AttributeError;
    'reason' lost the input's values; key='prediction' gave two 'prediction' columns."""
    X, _ = data
    for name in ("row", "reason", "reason_code"):
        renamed = X.rename(columns={X.columns[0]: name})
        with pytest.raises(UsageError, match=rf"export: the column '{name}' has the name of a column scoring adds"):
            mc.export(model, tmp_path / name, reference=renamed)
        assert not (tmp_path / name).exists()
    with pytest.raises(UsageError, match="export: the column 'prediction'"):
        mc.export(model, tmp_path / "k", reference=X, key="prediction")
    batch = X.iloc[:20]
    with pytest.raises(UsageError, match=r"Bundle.score: the column 'prediction'.*input_prediction"):
        bundle.score(batch.assign(prediction=np.arange(20)), key="prediction")
    with pytest.raises(UsageError, match="Bundle.score: the column 'reason'"):
        bundle.score(batch.assign(reason="a note from upstream"))  # an extra column would shadow the reason
    result = bundle.score(batch.assign(customer=np.arange(20)), key="customer")
    assert list(result.rejects.columns).count("row") == 1 and result.n_scored == 20


def test_export_onto_a_full_disk_is_the_machines_write_error_and_leaves_nothing(tmp_path) -> None:
    """F13 (session 3): a full disk during export was a raw OSError traceback (a job: exit 3).

    A file-size limit on a child process stands in for the full disk (writes past it fail with EFBIG).
    """
    import subprocess
    import sys

    script = tmp_path / "export.py"
    script.write_text(
        "import resource, signal, sys\n"
        "import numpy as np, pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "import mlcheck as mc\n"
        "from mlcheck.errors import WriteError\n"
        "X = pd.DataFrame({'a': np.arange(200.0), 'b': np.arange(200.0) % 7})\n"
        "model = LogisticRegression().fit(X, (X.a > 100).astype(int))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))\n"
        "try:\n"
        f"    mc.export(model, {str(tmp_path / 'bundle')!r}, reference=X)\n"
        "except WriteError as error:\n"
        "    print(type(error).__name__, error.exit_code, error)\n"
        "    sys.exit(0)\n"
        "sys.exit('exported despite the limit')\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"WriteError 6 cannot write {tmp_path / 'bundle'}"), done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.py"]  # no bundle, no staging folder
