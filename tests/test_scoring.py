"""Bundle.score's default batch size: bounded by the input's memory, same predictions as one batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
from planted import clean_pipeline, credit_frame

from mlcheck.bundle import scoring
from mlcheck.bundle.scoring import BATCH_BYTES, MIN_BATCH_ROWS, default_batch_size, score_frame
from mlcheck.contracts.schema import infer_schema


def test_the_default_batch_holds_about_batch_bytes_of_the_input() -> None:
    wide = pd.DataFrame(np.zeros((200_000, 20)))  # 160 bytes a row
    assert abs(default_batch_size(wide) - BATCH_BYTES // 160) < 200  # (the index adds a few bytes)
    text = pd.DataFrame(
        {"t": pd.Series(["x" * 100] * 200_000, dtype=object)}
    )  # text counted by its characters
    assert default_batch_size(text) < 200_000
    assert default_batch_size(pd.DataFrame({"x": np.zeros(500)})) == 500  # small: one batch
    assert default_batch_size(pd.DataFrame({"x": np.zeros(10**6)})) == 10**6  # 8 MB: one batch
    assert default_batch_size(pd.DataFrame(np.zeros((20_000, 300)))) == MIN_BATCH_ROWS


def test_batched_by_default_scores_exactly_as_one_batch(monkeypatch) -> None:
    frame, target = credit_frame(3_000, seed=2)
    model = clean_pipeline().fit(frame, target)
    schema = infer_schema(frame)
    batch = credit_frame(25_000, seed=3)[0]
    batch.loc[[7, 12_000, 24_999], "age"] = None
    whole = score_frame(model, schema, batch, batch_size=len(batch), scores=True)
    monkeypatch.setattr(scoring, "BATCH_BYTES", 200_000)  # a few thousand rows a batch: several batches
    assert default_batch_size(batch) == MIN_BATCH_ROWS
    batched = score_frame(model, schema, batch, scores=True)
    pd.testing.assert_frame_equal(batched.predictions, whole.predictions)
    pd.testing.assert_frame_equal(batched.rejects, whole.rejects)
    assert batched.rejects["row"].tolist() == [7, 12_000, 24_999]


def test_reason_counts_count_each_code_of_a_rejected_row() -> None:
    frame, target = credit_frame(2_000, seed=2)
    model = clean_pipeline(handle_unknown="error").fit(frame, target)
    schema = infer_schema(frame)
    batch = credit_frame(50, seed=5)[0]
    batch.loc[[3], ["age", "city"]] = [None, "Paris"]  # two reasons on one row
    batch.loc[[9], "city"] = "Paris"
    result = score_frame(model, schema, batch)
    assert result.reason_counts == {"missing_value": 1, "unseen_category": 2}


def test_write_never_overwrites_a_protected_input(tmp_path) -> None:
    """F17: a scoring job with output_path == input_path replaced its batch by the predictions."""
    import pytest

    from mlcheck.bundle.scoring import ScoreResult
    from mlcheck.errors import UsageError

    batch = tmp_path / "b.parquet"
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(batch)
    before = batch.read_bytes()
    result = ScoreResult(pd.DataFrame({"prediction": [1, 0]}), pd.DataFrame({"reason": []}), 2, 2, 0)
    for output in (batch, tmp_path / "." / "b.parquet", tmp_path / "b.rejects.parquet"):
        protect = batch if output != tmp_path / "b.rejects.parquet" else [tmp_path / "b.rejects.rejects.parquet"]
        with pytest.raises(UsageError, match="is a protected input"):
            result.write(output, protect=protect)
    assert batch.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["b.parquet"]
    assert result.write(tmp_path / "out.parquet", protect=str(batch)).name == "out.parquet"
