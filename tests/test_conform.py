"""The one conform step: check_schema and Bundle.score decide every row alike."""

from __future__ import annotations

import functools
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted import clean_pipeline, credit_frame
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import mlcheck as mc
from mlcheck.bundle.scoring import score_frame
from mlcheck.contracts.conform import RejectReason, conform
from mlcheck.contracts.schema import infer_schema
from mlcheck.contracts.strategies import frames
from mlcheck.errors import UsageError


def _reference(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(1),
            "tenure": rng.integers(0, 30, n),
            "member": rng.random(n) < 0.4,
            "city": pd.Series(rng.choice(["Oslo", "Bergen", "Tromsø"], n), dtype="str"),
            "visits": rng.integers(0, 9, n).astype(float),
        }
    )
    frame.loc[::17, "visits"] = np.nan  # a nullable column
    return frame


REFERENCE = _reference()
SCHEMA = infer_schema(REFERENCE)
MODEL = DummyClassifier(strategy="most_frequent").fit(REFERENCE, np.arange(len(REFERENCE)) % 2)


def _both(frame: pd.DataFrame, schema=SCHEMA):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = mc.check_schema(frame, schema)
        scored = score_frame(MODEL, schema, frame, form="frame")
    return checked, scored


# -- item 6: one decision, lossless casts accepted by both with a note ---------------------------------
def test_an_int_column_arriving_as_whole_floats_is_accepted_by_both_with_a_note() -> None:
    batch = _reference(200, seed=1).astype({"tenure": "float64"})  # what a NaN upstream or a CSV does
    checked, scored = _both(batch)
    assert checked.passed, checked.message  # was: dtype float64, expected int64
    assert checked.details["casts"]["tenure"] == "whole-valued float64 cast to int64"
    assert (scored.n_scored, scored.n_rejected) == (200, 0)
    assert "tenure: whole-valued float64 cast to int64" in scored.notes


def test_a_lossy_cast_is_refused_by_both_with_a_reason_code_per_row() -> None:
    batch = _reference(100, seed=2).astype({"tenure": "float64"})
    batch.loc[[3, 50], "tenure"] = 2.5
    checked, scored = _both(batch)
    assert checked.details["unscorable_rows"] == [3, 50] == scored.rejects["row"].tolist()
    assert checked.details["reason_counts"] == {"not_an_integer": 2}
    assert scored.rejects["reason_code"].tolist() == ["not_an_integer", "not_an_integer"]
    assert scored.rejects["reason"].tolist() == ["tenure: not an integer: 2.5"] * 2


def test_text_booleans_and_nullable_dtypes_are_lossless() -> None:
    batch = REFERENCE.iloc[:60].copy()
    batch["member"] = batch["member"].map({True: "True", False: "False"})  # was: every row rejected
    batch["tenure"] = batch["tenure"].astype("Int64")
    batch["city"] = batch["city"].astype("string")
    checked, scored = _both(batch)
    assert checked.passed and scored.n_rejected == 0
    conformed = conform(batch, SCHEMA)
    assert conformed.features["member"].dtype == bool
    assert conformed.features["member"].tolist() == (batch["member"] == "True").tolist()
    assert conformed.features["tenure"].dtype == np.int64
    wrong = batch.assign(member=["maybe"] + ["True"] * 59)
    assert _both(wrong)[1].rejects["reason_code"].tolist() == ["not_a_boolean"]


# -- item 7: categories exact at any cardinality ---------------------------------------------------------
def test_unseen_codes_among_3000_levels_are_caught_by_both(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    training = pd.DataFrame(
        {"postcode": [f"{i:05d}" for i in rng.permutation(3000)], "x": rng.normal(size=3000)}
    )
    schema = infer_schema(training)
    assert len(schema["postcode"].levels) == 3000  # was: dropped above 1,000 levels
    batch = pd.DataFrame({"postcode": [f"{i:05d}" for i in range(5000, 5500)], "x": rng.normal(size=500)})
    checked = mc.check_schema(batch, schema)
    assert not checked.passed and checked.details["n_unscorable"] == 500  # was: passed
    model = DummyClassifier().fit(training, rng.integers(0, 2, 3000))
    assert score_frame(model, schema, batch, form="frame").n_rejected == 500  # was: 500 scored


# -- item 9: awkward frames ----------------------------------------------------------------------------------
def test_duplicate_column_names_are_a_usage_error_in_both() -> None:
    batch = pd.concat([_reference(5), _reference(5)[["age"]]], axis=1)
    with pytest.raises(UsageError, match=r"duplicated column names \['age'\]"):
        mc.check_schema(batch, SCHEMA)
    with pytest.raises(UsageError, match="duplicated column names"):
        score_frame(MODEL, SCHEMA, batch)  # was a raw pandas error


def test_an_empty_frame_missing_a_column_is_refused() -> None:
    empty = _reference(5).iloc[:0].drop(columns="city")
    with pytest.raises(UsageError, match=r"lacks 1 of the model.s \d+ columns: 'city'"):
        score_frame(MODEL, SCHEMA, empty)  # was: accepted
    assert not mc.check_schema(empty, SCHEMA).passed
    complete = score_frame(MODEL, SCHEMA, _reference(5).iloc[:0])
    assert (complete.n_rows, complete.n_scored) == (0, 0)


def test_a_multiindex_keeps_its_index_when_every_row_is_rejected() -> None:
    batch = _reference(4, seed=4)
    batch.index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1), ("b", 2)], names=["shop", "day"])
    batch["city"] = "Paris"
    result = score_frame(MODEL, SCHEMA, batch)
    assert result.n_rejected == 4
    assert isinstance(result.predictions.index, pd.MultiIndex)  # was a RangeIndex
    assert list(result.predictions.index.names) == ["shop", "day"]
    assert isinstance(result.rejects.index, pd.MultiIndex)


def test_key_columns_of_the_schema_are_not_extra(tmp_path: Path) -> None:
    X, y = credit_frame(500, seed=0)
    bundle = mc.export(clean_pipeline().fit(X, y), tmp_path / "k", reference=X, key="customer")
    batch = credit_frame(50, seed=1)[0].assign(customer=[f"c{i}" for i in range(50)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ExtraColumnsWarning for the key
        result = bundle.score(batch)
    assert result.predictions["customer"].tolist() == batch["customer"].tolist()
    checked = mc.check_schema(batch, bundle.schema)
    assert checked.passed and checked.details["n_extra_columns"] == 0
    assert mc.load(bundle.path).schema.keys == ("customer",)
    with pytest.raises(UsageError, match="a key is not a feature"):
        mc.export(clean_pipeline().fit(X, y), tmp_path / "k2", reference=X, key="age")


def test_exclude_leaves_columns_out_of_check_schema() -> None:
    batch = _reference(30).drop(columns="visits")
    assert not mc.check_schema(batch, SCHEMA).passed
    assert mc.check_schema(batch, SCHEMA, exclude=["visits"]).passed
    assert infer_schema(REFERENCE, exclude="visits", keys="city").names == ("age", "tenure", "member")


# -- the properties -------------------------------------------------------------------------------------------
@functools.cache
def _bundle() -> Any:
    """A real exported bundle whose encoder takes unseen cities (so both unseen policies are drawn)."""
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]), remainder="passthrough"),
        DummyClassifier(strategy="most_frequent"),
    ).fit(REFERENCE, np.arange(len(REFERENCE)) % 2)
    return mc.export(model, Path(tempfile.mkdtemp()) / "property", reference=REFERENCE)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(frame=frames(SCHEMA, max_rows=15), unseen=st.sampled_from(["model", "reject"]))
def test_check_schema_and_bundle_score_decide_every_row_alike(frame: pd.DataFrame, unseen: str) -> None:
    bundle = _bundle()
    schema = bundle.schema if unseen == "model" else SCHEMA  # SCHEMA: every column rejects unseen levels
    original = frame.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = mc.check_schema(frame, schema)
        scored = bundle.score(frame, unseen=unseen)  # type: ignore[arg-type]
    assert checked.details["unscorable_rows"] == scored.rejects["row"].tolist()
    assert scored.n_scored + scored.n_rejected == scored.n_rows == len(frame)
    pd.testing.assert_frame_equal(frame, original)  # the input is never modified


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(frame=frames(SCHEMA, max_rows=15))
def test_check_schema_and_scoring_decide_every_row_alike(frame: pd.DataFrame) -> None:
    original = frame.copy(deep=True)
    checked, scored = _both(frame)
    assert checked.details["unscorable_rows"] == scored.rejects["row"].tolist()
    assert scored.n_scored + scored.n_rejected == scored.n_rows == len(frame)
    codes = Counter(code for text in scored.rejects["reason_code"] for code in set(text.split(";")))
    counted = Counter(
        {
            code: n
            for code, n in checked.details["reason_counts"].items()
            if code in {r.value for r in RejectReason}
        }
    )
    assert set(codes) == {code for code, n in counted.items() if n}
    pd.testing.assert_frame_equal(frame, original)  # the input is never modified


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(frame=frames(infer_schema(credit_frame(300, seed=0)[0]), max_rows=12, garbage=False))
def test_valid_and_castable_rows_are_all_scored(frame: pd.DataFrame) -> None:
    schema = infer_schema(credit_frame(300, seed=0)[0])
    model = DummyClassifier().fit(credit_frame(300, seed=0)[0], np.arange(300) % 2)
    checked = mc.check_schema(frame, schema)
    result = score_frame(model, schema, frame, form="frame")
    assert checked.details["n_unscorable"] == result.n_rejected
    edge_only = result.rejects["reason_code"].isin(["missing_value", "too_large"]) | result.rejects[
        "reason_code"
    ].str.contains("missing_value|too_large")
    assert edge_only.all(), result.rejects  # castable values (whole floats, "True") are never refused


# -- a batch missing a column: one decision, every row rejected, never a crash -------------------------
def test_a_missing_or_space_padded_column_rejects_every_row_in_both_with_a_short_hint() -> None:
    """F8: Bundle.score raised UsageError (a scoring job exit 3, retried) while check_schema counted rows."""
    batch = _reference(30, seed=2)
    renamed = batch.rename(columns={"tenure": "tenure "})  # a padded name from an upstream export
    checked, scored = _both(renamed)
    assert (scored.n_rows, scored.n_scored, scored.n_rejected) == (30, 0, 30)
    assert scored.reason_counts == {"missing_column": 30} == checked.details["reason_counts"]
    assert checked.details["n_unscorable"] == 30
    assert set(scored.rejects["reason"]) == {"missing column 'tenure' (did you mean 'tenure '?)"}
    assert checked.details["failing"] == {"tenure": "column is missing (did you mean 'tenure '?)"}
    assert not mc.check_coverage(scored, min=0.99).passed  # a failed contract: exit 1, no retry
    # many missing columns: the reason names five, not every column of both frames
    wide = pd.DataFrame({f"c{i}": np.arange(30.0) for i in range(85)})
    schema = infer_schema(wide)
    model = DummyClassifier().fit(wide, np.arange(30) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cut = score_frame(model, schema, wide.drop(columns=[f"c{i}" for i in range(40)]), form="frame")
    (reason,) = set(cut.rejects["reason"])
    assert reason.endswith("and 35 more") and len(reason) < 120
    with pytest.raises(UsageError) as raised:
        conform(wide.drop(columns=[f"c{i}" for i in range(40)]), schema)
    assert len(str(raised.value)) < 300  # was every expected and given name: about 2.5 KB


def test_a_boolean_column_where_training_had_numbers_is_refused_by_both() -> None:
    """F9: age=True was scored as age=1 with the note 'whole-valued float64 cast to int64'."""
    for column, dtype in (("tenure", "bool"), ("age", "boolean")):  # an integer and a float feature
        batch = _reference(12, seed=3)
        batch[column] = pd.array([True, False] * 6, dtype=dtype)
        checked, scored = _both(batch)
        assert (scored.n_scored, scored.n_rejected) == (0, 12)
        assert scored.reason_counts == {"not_a_number": 12} == checked.details["reason_counts"]
        assert scored.rejects["reason"].iloc[0] == f"{column}: a {dtype}, not a number: True"
        assert not any("cast" in note for note in scored.notes)  # no note about a float64 it never was
        assert "not numbers" in checked.details["failing"][column]
