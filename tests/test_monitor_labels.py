"""mlcheck.monitoring.labels: delayed labels joined to the prediction log, realized performance over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlcheck as mc
from mlcheck.errors import OptionError, UsageError
from mlcheck.monitoring.labels import check_realized, comovement, read_prediction_logs, realized_performance


def scored_days(days: int = 56, per_day: int = 200, *, recall_after: float = 0.8, worse_from: int = 10**6, seed: int = 0):
    """A daily prediction log (as ScoreResult.write leaves it) and labels that arrive a week late."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05", tz="UTC")
    logs, labels = [], []
    for day in range(days):
        truth = rng.random(per_day) < 0.2
        recall = recall_after if day >= worse_from else 0.8
        predicted = np.where(truth, rng.random(per_day) < recall, rng.random(per_day) < 0.05)
        keys = [f"c{day:03d}-{i:03d}" for i in range(per_day)]
        logs.append(
            pd.DataFrame(
                {"customer": keys, "prediction": predicted.astype(int),
                 "score_1": np.clip(predicted * 0.6 + rng.random(per_day) * 0.4, 0, 1),
                 "batch_time": start + pd.Timedelta(days=day), "run_id": f"run-{day}", "bundle": "abc"}
            )  # fmt: skip
        )
        if day < days - 7:  # the last week's labels have not arrived yet
            revenue = np.where(truth & predicted, 100.0, 0.0) - np.where(truth & ~predicted, 80.0, 0.0)
            labels.append(pd.DataFrame({"customer": keys, "label": truth.astype(int), "revenue": revenue}))
    arrived = pd.concat(labels, ignore_index=True) if labels else pd.DataFrame(columns=["customer", "label", "revenue"])
    return pd.concat(logs, ignore_index=True), arrived


def test_realized_performance_per_week_with_intervals_and_label_coverage():
    log, labels = scored_days()
    weekly = realized_performance(log, labels, key="customer", period="W", business="revenue", n_resamples=300)
    assert len(weekly) == 8
    assert weekly["n_scored"].tolist() == [1400] * 8
    assert weekly["label_coverage"].iloc[:7].tolist() == [1.0] * 7 and weekly["label_coverage"].iloc[7] == 0.0
    recall = weekly["recall"].iloc[:7]
    assert recall.between(0.7, 0.9).all()
    assert (weekly["recall_low"].iloc[:7] < recall).all() and (recall < weekly["recall_high"].iloc[:7]).all()
    assert np.isnan(weekly["recall"].iloc[7])  # no labels yet: undefined, not zero


def test_a_recall_drop_fails_the_contract_over_the_last_four_weeks_and_moves_revenue():
    log, labels = scored_days(recall_after=0.45, worse_from=28)
    result = check_realized(log, labels, key="customer", min={"recall": 0.6}, window="28D", n_resamples=300)
    assert not result.passed and result.outcomes[0].subject == "recall"
    assert result.details["n_labelled"] == 21 * 200  # 28 days back, the last 7 without labels
    assert result.outcomes[0].observed < 0.6
    healthy = check_realized(*scored_days(), key="customer", min={"recall": 0.6}, n_resamples=300)
    assert healthy.passed, healthy.message
    # over 12 weeks (recall down from week 7), revenue moves with recall
    log, labels = scored_days(days=84, recall_after=0.45, worse_from=42)
    weekly = realized_performance(log, labels, key="customer", business="revenue", n_resamples=200)
    moved = comovement(weekly, "recall")
    assert moved["together"] is True and moved["n_periods"] == 11 and moved["rho"] > 0.6


def test_too_few_labels_fail_with_a_reason_not_a_guess():
    log, labels = scored_days(days=10)
    result = check_realized(log, labels.iloc[:10], key="customer", min={"recall": 0.6})
    assert not result.passed and "not enough labels yet" in result.outcomes[0].message


def test_bad_input_is_a_clear_error():
    log, labels = scored_days(days=8)
    with pytest.raises(UsageError, match="no column"):
        realized_performance(log, labels, key="client")
    with pytest.raises(OptionError, match="confidence"):
        check_realized(log, labels, key="customer", min={"recall": 0.6}, confidence=1.5)
    with pytest.raises(UsageError, match="window"):
        check_realized(log, labels, key="customer", min={"recall": 0.6}, window="a month")
    with pytest.raises(UsageError, match="unknown metric"):
        check_realized(log, labels, key="customer", min={"recal": 0.6}, n_resamples=100)
    assert mc.check_realized(log, labels, key="customer", min={"recall": 0.6}, n_resamples=100).name == "check_realized"


def test_prediction_logs_are_read_back_from_a_folder(tmp_path):
    log, _ = scored_days(days=3)
    for day, part in log.groupby(log["batch_time"].dt.day):
        part.to_parquet(tmp_path / f"batch{day}.log.parquet")
    assert len(read_prediction_logs(tmp_path)) == len(log)
    (tmp_path / "bad.log.parquet").write_bytes(b"not parquet")
    with pytest.raises(UsageError, match="not a readable prediction log"):
        read_prediction_logs(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no prediction logs"):
        read_prediction_logs(tmp_path / "empty")
    with pytest.raises(UsageError, match="does not exist"):
        read_prediction_logs(tmp_path / "nowhere")


def test_string_classes_take_pos_label_and_foreign_labels_are_named():
    log, labels = scored_days(days=21)
    yes_no = {1: "Yes", 0: "No"}
    log = log.assign(prediction=log["prediction"].map(yes_no)).rename(columns={"score_1": "score_Yes"})
    labels = labels.assign(Purchase=labels["label"].map(yes_no))
    with pytest.raises(UsageError, match="pos_label='Yes'"):
        check_realized(log, labels, key="customer", label="Purchase", min={"recall": 0.6}, n_resamples=100)
    result = check_realized(
        log, labels, key="customer", label="Purchase", min={"recall": 0.6}, pos_label="Yes", n_resamples=200
    )
    assert result.passed and 0.7 < result.details["metrics"]["recall"] < 0.9
    weekly = realized_performance(log, labels, key="customer", label="Purchase", pos_label="Yes", n_resamples=100)
    assert weekly["recall"].iloc[:2].between(0.7, 0.9).all()
    # labels given as 1/0 for a model that predicts "Yes"/"No": a clear error, not a TypeError
    with pytest.raises(UsageError, match="not of the model's classes"):
        check_realized(log, labels, key="customer", min={"recall": 0.6}, pos_label="Yes", n_resamples=100)


def test_a_key_logged_twice_counts_once_with_its_latest_prediction_and_the_copies_are_said():
    """F14 (session 3): a batch scored three times was joined to its one label three times and counted as
    independent evidence (1007 labelled rows for 503 hours), narrowing the realized intervals."""
    log, labels = scored_days(days=28)
    once = check_realized(log, labels, key="customer", min={"recall": 0.6}, window="28D", n_resamples=300)
    weekly_once = realized_performance(log, labels, key="customer", n_resamples=300)
    # day 10's batch scored twice more: a retried job (a later run, same batch time) and a copy
    day10 = log[log["run_id"] == "run-10"]
    retried = day10.assign(run_id="run-10b", prediction=1 - day10["prediction"])  # the retry predicts differently
    rescored = day10.assign(run_id="run-10a")
    tripled = pd.concat([log, retried, rescored], ignore_index=True)

    result = check_realized(tripled, labels, key="customer", min={"recall": 0.6}, window="28D", n_resamples=300)
    assert result.details["n_labelled"] == once.details["n_labelled"] == 21 * 200
    assert result.details["n_scored"] == once.details["n_scored"] == 28 * 200
    assert result.details["n_duplicates"] == 400 and once.details["n_duplicates"] == 0
    assert "400 repeated prediction(s) of a key already logged dropped" in result.message
    assert "repeated" not in once.message

    weekly = realized_performance(tripled, labels, key="customer", n_resamples=300)
    assert weekly["n_scored"].tolist() == weekly_once["n_scored"].tolist() == [1400] * 4
    assert weekly["n_duplicates"].tolist() == [0, 400, 0, 0] and weekly.attrs["n_duplicates"] == 400
    assert "400 repeated prediction(s)" in weekly.attrs["note"] and "note" not in weekly_once.attrs
    # the latest copy (run-10b, the retry) is the prediction judged: its flipped predictions move week 2's
    # figures; without the retry (only the identical copy) they equal the log's own, interval and all
    flipped = realized_performance(pd.concat([log, retried], ignore_index=True), labels, key="customer", n_resamples=300)
    assert flipped["recall"].iloc[1] == weekly["recall"].iloc[1] < weekly_once["recall"].iloc[1] - 0.05
    assert flipped["recall"].iloc[[0, 2]].tolist() == weekly_once["recall"].iloc[[0, 2]].tolist()
    copied = realized_performance(pd.concat([log, rescored], ignore_index=True), labels, key="customer", n_resamples=300)
    pd.testing.assert_frame_equal(copied.drop(columns="n_duplicates"), weekly_once.drop(columns="n_duplicates"))
