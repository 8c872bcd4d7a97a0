"""Dask end to end on a real dask.distributed LocalCluster: lazy scoring, atomic data sets, checks.

Small data; the cluster runs its two workers as threads of this process
(``processes=False``) so that the model's call counter below is shared and
"each partition is scored once" can be asserted, not hoped for.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from planted import clean_pipeline, credit_frame

import mlcheck as mc
from mlcheck.bundle.distributed import DaskScoreResult, score_dask
from mlcheck.contracts.schema import ExtraColumnsWarning
from mlcheck.errors import UsageError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Any:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    frame, target = credit_frame(2_000, seed=1)
    return mc.export(clean_pipeline().fit(frame, target), tmp_path_factory.mktemp("b") / "m", reference=frame)


def batch_frame() -> pd.DataFrame:
    batch = credit_frame(600, seed=15)[0]
    batch.loc[[10, 250, 599], "city"] = "Paris"  # unseen
    batch.loc[[20], "age"] = None  # missing where training had none
    batch.index = batch.index + 1_000  # an index that is not positions
    return batch


class Counting:
    """A fitted model that counts the rows it is asked to predict (thread-safe)."""

    lock = threading.Lock()
    rows: list[int] = []

    def __init__(self, model: Any) -> None:
        self.model = model
        self.classes_ = model.classes_

    def predict(self, X: Any) -> Any:
        with Counting.lock:
            Counting.rows.append(len(X))
        return self.model.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model.predict_proba(X)


def test_score_is_lazy_with_the_input_divisions_and_equals_the_pandas_path(client, bundle) -> None:
    batch = batch_frame()
    expected = bundle.score(batch, fallback=-1, unseen="reject", scores=True)
    frame = dd.from_pandas(batch, npartitions=4)
    result = bundle.score(frame, fallback=-1, unseen="reject", scores=True)
    assert isinstance(result, DaskScoreResult)
    assert isinstance(result.predictions, dd.DataFrame) and isinstance(result.rejects, dd.DataFrame)
    assert result.predictions.divisions == frame.divisions == result.rejects.divisions
    assert "summary" not in result._cache  # nothing computed yet
    computed = result.compute()
    pd.testing.assert_frame_equal(computed.predictions, expected.predictions)
    pd.testing.assert_frame_equal(computed.rejects, expected.rejects, check_dtype=False)
    assert computed.rejects["row"].tolist() == [10, 20, 250, 599]
    assert (result.n_rows, result.n_scored, result.n_rejected) == (600, 596, 4)
    assert result.reason_counts == {"unseen_category": 3, "missing_value": 1}
    assert mc.check_coverage(result, min=0.99).observed == pytest.approx(596 / 600)


def test_write_scores_each_partition_once_and_counts_come_with_it(client, bundle, tmp_path) -> None:
    model = Counting(bundle.model)
    frame = dd.from_pandas(batch_frame(), npartitions=4)
    result = score_dask(
        model,
        bundle.schema,
        frame,
        sample=bundle.golden_inputs,
        fallback=None,
        batch_size=None,
        key=None,
        scores=True,
        form="frame",
        unseen_how={},
    )
    Counting.rows.clear()  # the client scored a few golden rows to learn the output dtypes
    written = result.write(tmp_path / "out.parquet")
    assert len(Counting.rows) == 4  # one model call per partition: scored once for three data sets
    # the counts came with the write: reading them computes nothing more
    assert (result.n_rows, result.n_scored, result.n_rejected) == (600, sum(Counting.rows), 1)
    assert len(Counting.rows) == 4
    assert len(pd.read_parquet(written)) == result.n_scored


def test_write_makes_three_partitioned_datasets_atomically(client, bundle, tmp_path) -> None:
    target = tmp_path / "out.parquet"
    target.write_text("an earlier batch")  # replaced whole, file or folder
    result = bundle.score(dd.from_pandas(batch_frame(), npartitions=3), scores=True)
    assert result.write(target, batch_time="2026-11-30") == target
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.log.parquet",
        "out.parquet",
        "out.rejects.parquet",
    ]
    assert sorted(p.name for p in target.iterdir()) == [f"part.{i}.parquet" for i in range(3)]
    predictions = dd.read_parquet(target).compute()
    # the model's encoder ignores the unseen city: only the missing age is rejected
    assert len(predictions) == 599 and list(predictions.columns) == ["prediction", "score_0", "score_1"]
    rejects = pd.read_parquet(result.rejects_path(target))
    assert rejects["row"].tolist() == [20] and rejects["reason_code"].tolist() == ["missing_value"]
    log = pd.read_parquet(result.log_path(target))
    assert len(log) == 599 and log["bundle"].nunique() == 1 and len(log["bundle"].iloc[0]) == 64
    assert (log["batch_time"] == pd.Timestamp("2026-11-30", tz="UTC")).all()


def _explode(part: pd.DataFrame) -> pd.DataFrame:
    if len(part) and part.index[0] >= 1_300:
        raise RuntimeError("the storage went away")
    return part


def test_a_failed_write_leaves_the_earlier_dataset_and_no_temporary_folder(client, bundle, tmp_path) -> None:
    target = tmp_path / "out.parquet"
    bundle.score(dd.from_pandas(batch_frame(), npartitions=3)).write(target)
    before = pd.read_parquet(target)
    broken = dd.from_pandas(batch_frame(), npartitions=3).map_partitions(_explode)
    with pytest.raises(RuntimeError, match="storage went away"):
        bundle.score(broken).write(target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), before)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.log.parquet",
        "out.parquet",
        "out.rejects.parquet",
    ]


def test_bad_inputs_are_found_from_the_metadata_before_any_partition_is_read(
    client, bundle, tmp_path
) -> None:
    frame = dd.from_pandas(batch_frame(), npartitions=2)
    with pytest.raises(UsageError, match="lacks 1 of the model"):
        bundle.score(frame.drop(columns=["age"]))
    with pytest.raises(UsageError, match="key column"):
        bundle.score(frame, key="customer")
    with pytest.warns(ExtraColumnsWarning):
        result = bundle.score(frame.assign(extra=1))
    with pytest.raises(UsageError, match="Parquet data set"):
        result.write(tmp_path / "out.csv")
    with pytest.raises(UsageError, match="does not exist"):
        result.write(tmp_path / "missing" / "out.parquet")


def test_persist_then_counts_then_write_scores_once(client, bundle, tmp_path) -> None:
    model = Counting(bundle.model)
    frame = dd.from_pandas(batch_frame(), npartitions=3)
    result = score_dask(
        model,
        bundle.schema,
        frame,
        sample=bundle.golden_inputs,
        fallback=-1,
        batch_size=None,
        key=None,
        scores=False,
        form="frame",
        unseen_how={},
    )
    Counting.rows.clear()
    kept = result.persist()
    assert kept.n_rows == 600 and kept.coverage == pytest.approx(599 / 600)
    kept.write(tmp_path / "out.parquet")
    assert len(Counting.rows) == 3
    assert pd.read_parquet(tmp_path / "out.parquet")["fallback"].sum() == 1


def test_checks_on_dask_frames_equal_the_pandas_ones(client, bundle) -> None:
    batch = batch_frame()
    batch.loc[batch.index[[5, 150, 151, 420, 590]], "city"] = ["Rome", "Rome", "Lima", "Rome", "Rome"]
    batch.loc[batch.index[300:310], "tenure"] = 99  # outside the training range
    frame = dd.from_pandas(batch, npartitions=4)
    computed = frame.compute()  # the pandas oracle, with the dtypes Dask gives (text as string[pyarrow])

    def figures(result: Any) -> dict[str, Any]:
        """Every figure; new levels may come in another order when partitions merge, so bins are keyed."""
        out = {}
        for name, feature in result.details["features"].items():
            out[name] = {
                k: v for k, v in feature.items() if k not in ("dtype", "bins") and not k.endswith("_pct")
            }
            for share in (k for k in feature if k.endswith("_pct")):
                out[name][share] = dict(zip(feature["bins"], feature[share]))
        return out

    shift = mc.check_shift(bundle.profile, frame)
    assert figures(shift) == figures(mc.check_shift(bundle.profile, batch))
    coverage = mc.check_coverage(frame["age"])
    assert (
        coverage.details
        == mc.check_coverage(batch["age"]).details
        == {"n_rows": 600, "n_covered": 599, "n_missing": 1}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = mc.check_schema(frame, bundle.schema)
    assert not schema.passed and schema.to_dict() == mc.check_schema(computed, bundle.schema).to_dict()
    assert schema.details["unscorable_rows"] == [
        20
    ]  # a position in the whole frame (the model takes new cities)
    assert schema.outcomes[3].message.endswith(
        "'Rome', 'Paris', 'Lima'"
    )  # most frequent first, over all partitions
    partial = mc.check_schema(frame.drop(columns=["plan"]), bundle.schema)
    assert partial.to_dict() == mc.check_schema(computed.drop(columns=["plan"]), bundle.schema).to_dict()


def test_the_score_template_runs_on_a_scheduler_given_by_address(bundle, tmp_path, monkeypatch) -> None:
    from dask.dataframe.io.parquet.arrow import ArrowDatasetEngine

    from mlcheck.runs import run_notebook

    reads: list[int] = []  # the workers are threads of this process: their Parquet reads are counted here
    read_partition = ArrowDatasetEngine.read_partition.__func__  # type: ignore[attr-defined]

    def counted(cls: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return read_partition(cls, *args, **kwargs)

    monkeypatch.setattr(ArrowDatasetEngine, "read_partition", classmethod(counted))

    batch = credit_frame(900, seed=4)[0]
    dd.from_pandas(batch, npartitions=3).to_parquet(tmp_path / "batch")  # a data set of 3 files
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", dashboard_address=None
    ) as cluster:  # reachable from the notebook's kernel, another process
        run = run_notebook(
            Path(__file__).resolve().parent.parent / "templates" / "score.ipynb",
            {
                "model_dir": str(bundle.path),
                "input_path": str(tmp_path / "batch"),
                "output_path": str(tmp_path / "out.parquet"),
                "scheduler": cluster.scheduler_address,
            },
            runs_dir=tmp_path / "runs",
            timeout=300,
        )
    assert run.exit_code == 0, (run.message, run.failed_cell)
    # schema, drift and scoring share one read of each of the 3 files (the template read each three times)
    assert len(reads) == 3
    assert {result.name for result in run.results} == {"check_schema", "check_shift", "check_coverage"}
    assert sorted(p.name for p in (tmp_path / "out.parquet").iterdir()) == [
        f"part.{i}.parquet" for i in range(3)
    ]
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 900


_READ: list[int] = []


def _counted_read(part: pd.DataFrame) -> pd.DataFrame:
    _READ.append(len(part))
    return part


def test_a_dask_frame_is_profiled_on_a_reference_reading_each_partition_once(client, bundle) -> None:
    from mlcheck.profiling.frames import profile_frame
    from mlcheck.profiling.model import MAX_LEVELS, streaming_bins

    batch = batch_frame().assign(new_column=np.arange(600) % 5)  # a column the reference lacks
    frame = dd.from_pandas(batch, npartitions=4).map_partitions(_counted_read)
    _READ.clear()
    merged = mc.profile(frame, edges_from=bundle.profile)
    assert sorted(_READ) == sorted(len(part) for part in np.array_split(np.arange(600), 4))  # once each
    # the previous definition: every partition profiled on the first partition's streaming bins, merged
    parts = [frame.partitions[i].compute() for i in range(4)]  # as Dask types them (text: string[pyarrow])
    shared = streaming_bins(bundle.profile, profile_frame(parts[0], 20, (), bundle.profile, MAX_LEVELS))
    expected = profile_frame(parts[0], 20, (), shared, MAX_LEVELS)
    for part in parts[1:]:
        expected = expected.merge(profile_frame(part, 20, (), shared, MAX_LEVELS))
    assert merged == expected


def test_key_columns_and_a_text_fallback_keep_their_types_across_partitions(client, bundle) -> None:
    batch = batch_frame().assign(customer=lambda f: [f"c{i}" for i in range(len(f))])
    expected = bundle.score(batch, key="customer", fallback="unknown", unseen="reject")
    frame = dd.from_pandas(batch, npartitions=3)
    result = bundle.score(frame, key="customer", fallback="unknown", unseen="reject")
    assert list(result.predictions.columns) == list(expected.predictions.columns)
    computed = result.compute()
    # classes 0/1 and the text fallback share one column: text, one type for Parquet
    assert computed.predictions["prediction"].tolist() == [str(v) for v in expected.predictions["prediction"]]
    pd.testing.assert_frame_equal(
        computed.predictions.drop(columns="prediction"),
        expected.predictions.drop(columns="prediction"),
        check_dtype=False,
    )
    assert computed.rejects["customer"].tolist() == ["c10", "c20", "c250", "c599"]
    mixed = bundle.score(frame, fallback=-1, unseen="reject").compute().predictions["prediction"]
    assert (
        str(mixed.dtype) == "int64" and (mixed == -1).sum() == 4
    )  # a fallback of the classes' type keeps it
