"""Schema inference, conforming a batch row by row, check_schema, and the schema strategies."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from planted import credit_frame

from mlcheck.display.cards import render_html
from mlcheck.contracts.schema import (
    ExtraColumnsWarning,
    Schema,
    check_schema,
    conform,
    infer_schema,
)
from mlcheck.contracts.strategies import column_values, frames
from mlcheck.errors import UsageError


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return credit_frame(2000, seed=0)[0]


@pytest.fixture(scope="module")
def schema(reference: pd.DataFrame) -> Schema:
    return infer_schema(reference)


# -- inference --------------------------------------------------------------------
def test_infer_schema_records_types_ranges_levels(reference: pd.DataFrame, schema: Schema) -> None:
    assert schema.names == tuple(reference.columns)
    assert schema.n_reference_rows == len(reference)
    assert schema["age"].kind == "float" and schema["tenure"].kind == "integer"
    assert schema["city"].kind == "categorical"
    assert schema["age"].min == reference["age"].min() and schema["age"].max == reference["age"].max()
    assert set(schema["city"].levels) == set(reference["city"].unique())
    assert not any(column.nullable for column in schema.columns)


def test_schema_round_trips_through_json(schema: Schema) -> None:
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


def test_null_fraction_and_every_level_kept() -> None:
    frame = pd.DataFrame({"x": [1.0, None, 3.0, None], "note": [f"text {i}" for i in range(4)]})
    schema = infer_schema(frame)
    assert schema["x"].nullable and schema["x"].null_fraction == 0.5
    assert schema["note"].levels == ("text 0", "text 1", "text 2", "text 3")


def test_infer_schema_refuses_bad_input() -> None:
    with pytest.raises(UsageError, match="DataFrame"):
        infer_schema([[1, 2]])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="duplicated"):
        infer_schema(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(UsageError, match="mlcheck schema"):
        Schema.from_dict({"columns": []})


# -- conform ----------------------------------------------------------------------------
def test_conform_reorders_and_drops_extra_columns_with_a_warning(
    reference: pd.DataFrame, schema: Schema
) -> None:
    batch = reference.iloc[:5][list(reversed(reference.columns))].assign(customer_id=range(5))
    with pytest.warns(ExtraColumnsWarning, match="customer_id"):
        out = conform(batch, schema)
    assert list(out.features.columns) == list(schema.names)
    assert out.extra_columns == ("customer_id",)
    assert not out.bad.any()
    pd.testing.assert_frame_equal(out.features, reference.iloc[:5])


def test_conform_keeps_key_columns_quietly(reference: pd.DataFrame, schema: Schema) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = conform(reference.iloc[:3].assign(id=[1, 2, 3]), schema, keep=("id",))
    assert out.extra_columns == ()


def test_missing_column_is_an_error_that_names_it(reference: pd.DataFrame, schema: Schema) -> None:
    with pytest.raises(UsageError, match=r"lacks 1 of the model's \d+ columns: 'income'"):
        conform(reference.drop(columns="income"), schema)


def test_conform_coerces_lossless_dtypes(schema: Schema, reference: pd.DataFrame) -> None:
    batch = reference.iloc[:4].copy()
    batch["age"] = batch["age"].astype("float32")  # widening back to float64 loses nothing
    batch["tenure"] = batch["tenure"].astype("float64")  # integral floats cast back to int64
    batch["income"] = batch["income"].astype(str)  # numbers written as text parse
    out = conform(batch, schema)
    assert not out.bad.any()
    assert out.features["tenure"].dtype == np.int64 and out.features["age"].dtype == np.float64
    assert set(out.coerced) == {"age", "tenure", "income"}
    np.testing.assert_allclose(out.features["income"], reference["income"].iloc[:4], rtol=1e-12)


def test_conform_gives_each_unscorable_row_its_reasons(schema: Schema, reference: pd.DataFrame) -> None:
    batch = reference.iloc[:8].astype({"income": object, "tenure": object}).copy()
    batch.loc[0, "age"] = np.nan
    batch.loc[1, "income"] = "n/a"
    batch.loc[2, "age"] = np.inf
    batch.loc[3, "city"] = "Paris"
    batch.loc[4, "tenure"] = 2.5
    batch.loc[5, "city"] = None
    batch.loc[6, "age"] = np.nan
    batch.loc[6, "plan"] = "gold"
    out = conform(batch, schema)
    assert out.bad.tolist() == [True] * 7 + [False]
    assert out.reasons[0] == ["age: missing value (none in the training data)"]
    assert out.reasons[1] == ["income: not a number: 'n/a'"]
    assert out.reasons[2] == ["age: infinite value"]
    assert out.reasons[3] == ["city: unseen category 'Paris'"]
    assert out.reasons[4] == ["tenure: not an integer: 2.5"]
    assert out.reasons[5] == ["city: missing value (none in the training data)"]
    assert len(out.reasons[6]) == 2  # every problem of a row is named


def test_conform_allows_missing_values_the_reference_had() -> None:
    schema = infer_schema(pd.DataFrame({"x": [1.0, None, 2.0], "c": ["a", None, "b"]}))
    out = conform(pd.DataFrame({"x": [None, 1.5], "c": [None, "a"]}), schema)
    assert not out.bad.any()


# -- check_schema -------------------------------------------------------------------------
def test_clean_batch_passes(schema: Schema) -> None:
    batch = credit_frame(1000, seed=1)[0]
    result = check_schema(batch, schema)
    assert result.passed, str(result)
    assert [o.subject for o in result.outcomes] == list(schema.names)  # one outcome per column
    assert result.details["failing"] == {}  # only failing columns' facts are kept
    age = result.outcomes[0]
    assert (age.observed, age.threshold, age.message) == (0, 0.01, "")


def test_float32_for_a_float64_model_fails(schema: Schema) -> None:
    batch = credit_frame(500, seed=1)[0].astype({"income": "float32"})
    result = check_schema(batch, schema)
    assert not result.passed
    (failed,) = [o for o in result.outcomes if not o.passed]
    assert failed.subject == "income"
    assert failed.message == "dtype float32, expected float64"
    assert failed.observed == {"dtype": "float32"} and failed.threshold == {"dtype": "float64"}
    assert result.details["failing"] == {"income": failed.message}


def test_unseen_categories_fail_above_the_proportional_threshold(schema: Schema) -> None:
    batch = credit_frame(1000, seed=2)[0]
    few = batch.copy()
    few.loc[:4, "city"] = "Paris"  # 0.5% unseen: within max_out_of_range=0.01
    many = batch.copy()
    many.loc[:49, "city"] = "Paris"  # 5% unseen
    assert check_schema(few, schema).passed
    result = check_schema(many, schema)
    outcome = next(o for o in result.outcomes if o.subject == "city")
    assert not outcome.passed and outcome.observed == {"outside": pytest.approx(0.05)}
    assert outcome.message == "5% of values unseen in training: 'Paris'"
    assert check_schema(many, schema, max_out_of_range=0.06).passed


def test_null_fraction_and_range_thresholds(schema: Schema) -> None:
    batch = credit_frame(1000, seed=3)[0]
    batch.loc[:29, "age"] = np.nan  # 3% missing where the reference had none
    batch.loc[30:59, "income"] = 1e9  # 3% above the reference's maximum
    result = check_schema(batch, schema)
    failed = {o.subject: o for o in result.outcomes if not o.passed}
    assert set(failed) == {"age", "income"}
    assert failed["age"].observed == {"nulls": pytest.approx(0.03)}
    assert failed["age"].message == "3% missing, training had none"
    low, high = schema["income"].min, schema["income"].max
    share = failed["income"].observed["outside"]
    assert 0.03 <= share < 0.04  # the 3% set above, and any drawn value already outside
    assert (
        failed["income"].message
        == f"{share * 100:.2g}% of values outside the training range [{low:.6g}, {high:.6g}]"
    )
    both = batch.astype({"age": "float32"})  # two aspects of one column fail: both are named
    (age,) = [o for o in check_schema(both, schema).outcomes if o.subject == "age"]
    assert set(age.observed) == {"dtype", "nulls"}
    assert age.message == "dtype float32, expected float64; 3% missing, training had none"
    assert check_schema(batch, schema, max_null_increase=0.05, max_out_of_range=0.05).passed


def test_missing_and_extra_columns(schema: Schema) -> None:
    batch = credit_frame(100, seed=4)[0].drop(columns="plan").assign(extra=1)
    result = check_schema(batch, schema)
    failed = [o.subject for o in result.outcomes if not o.passed]
    assert failed == ["plan"]
    (plan,) = [o for o in result.outcomes if o.subject == "plan"]
    assert plan.message == "column is missing" and plan.observed == {"present": False}
    extra = next(o for o in result.outcomes if o.subject == "extra_columns")
    assert extra.passed and "extra" in extra.message


def test_check_schema_accepts_a_reference_frame_and_refuses_bad_thresholds(reference: pd.DataFrame) -> None:
    assert check_schema(reference.iloc[:100], reference).passed
    with pytest.raises(UsageError, match="max_null_increase"):
        check_schema(reference, reference, max_null_increase=2.0)
    with pytest.raises(UsageError, match="expected a schema"):
        check_schema(reference, 42)


# -- strategies ----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=frames(infer_schema(credit_frame(300, seed=0)[0]), max_rows=12))
def test_conform_accounts_for_every_drawn_row(data: pd.DataFrame) -> None:
    schema = infer_schema(credit_frame(300, seed=0)[0])
    out = conform(data, schema, warn=False)
    assert len(out.features) == len(data) == len(out.bad)
    assert set(out.reasons) == set(np.flatnonzero(out.bad).tolist())
    assert all(out.reasons[p] for p in out.reasons)


@settings(max_examples=40, deadline=None)
@given(data=frames(infer_schema(credit_frame(300, seed=0)[0]), max_rows=5, garbage=False))
def test_frames_without_garbage_only_draw_schema_values(data: pd.DataFrame) -> None:
    schema = infer_schema(credit_frame(300, seed=0)[0])
    out = conform(data, schema, warn=False)
    # edge rows hold only values the schema accepts: finite numbers and known levels
    assert not out.bad.any(), out.reasons


def test_column_values_rejects_an_unknown_mode(schema: Schema) -> None:
    with pytest.raises(ValueError, match="mode"):
        column_values(schema["age"], mode="sometimes")


def test_category_nullable_integer_and_boolean_columns() -> None:
    reference = pd.DataFrame(
        {
            "c": pd.Categorical(["x", "y", "z", "x"]),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "b": [True, False, True, False],
            "k": [1, 2, 3, 4],
        }
    )
    schema = infer_schema(reference)
    assert [c.kind for c in schema.columns] == ["categorical", "integer", "boolean", "integer"]
    batch = pd.DataFrame(
        {"c": ["y", "w", "x"], "n": [1.0, None, 2.5], "b": [1, 0, 2], "k": [1.0, 2.0, 1e300]}
    )
    out = conform(batch, schema)
    assert out.reasons == {
        1: ["c: unseen category 'w'"],
        2: ["n: not an integer: 2.5", "b: not a boolean: 2", "k: too large for a 64-bit integer: 1e+300"],
    }
    assert list(out.features["c"].cat.categories) == ["x", "y", "z"]  # the model's categories, in order
    assert str(out.features["n"].dtype) == "Int64" and out.features["n"].isna().tolist() == [
        False,
        True,
        True,
    ]
    assert out.features["b"].tolist()[:2] == [True, False] and out.features["k"].dtype == np.int64


# -- size of what a notebook stores ----------------------------------------------------
DEMO_DATA = Path(__file__).resolve().parent.parent / "example_notebooks" / "data"


def _saved_size(result) -> int:
    """Bytes of a one-cell notebook holding the result's display output, as nbformat saves it."""
    import nbformat

    from mlcheck.display.cards import result_bundle

    notebook = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data=result_bundle(result.to_dict()))
    notebook.cells.append(nbformat.v4.new_code_cell("mc.check_schema(batch, schema)", outputs=[output]))
    return len(nbformat.writes(notebook).encode())


def test_the_demo_batch_card_over_85_columns_stays_under_20_kb() -> None:
    caravan = pd.read_parquet(DEMO_DATA / "caravan.parquet")
    features = caravan.drop(columns=["customer", "Purchase"])  # what the demo's bundle schema holds
    drifted = pd.read_parquet(DEMO_DATA / "batch_drifted.parquet")  # MKOOPKLA 12% missing, plus an id
    result = check_schema(drifted, infer_schema(features))
    assert [o.subject for o in result.outcomes] == [*features.columns, "extra_columns"]
    failed = [o for o in result.outcomes if not o.passed]
    assert [(o.subject, o.message) for o in failed] == [("MKOOPKLA", "12% missing, training had none")]
    assert result.details["failing"] == {"MKOOPKLA": "12% missing, training had none"}
    assert _saved_size(result) < 20_000
    card = render_html(result.to_dict())
    assert card.index("MKOOPKLA") < card.index("84 of 85 columns hold")  # failing columns first
    assert "MOSTYPE" not in card  # passing columns are counted, not listed
    broken = drifted.drop(columns=["MOSTYPE"]).astype({"MAANTHUI": "float32"})
    worse = check_schema(broken, infer_schema(features))
    assert {o.subject: o.message for o in worse.outcomes if not o.passed} == {
        "MOSTYPE": "column is missing",
        "MKOOPKLA": "12% missing, training had none",
    }  # whole-valued float32 into int64 loses nothing: a note, not a failure (scoring takes it too)
    assert worse.details["casts"]["MAANTHUI"] == "whole-valued float32 cast to int64"
    assert _saved_size(worse) < 20_000


def test_key_columns_must_be_present_and_identify_one_row_each():
    """Session 3: a batch with every row tripled passed every contract and wrote duplicate keys,
    which the delayed-label join then counted as independent evidence."""
    from mlcheck.contracts.schema import check_schema

    reference = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    batch = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.5, 1.5, 2.5]})
    held = check_schema(batch, reference, key="id")
    assert held.passed and held.details["duplicate_keys"] == 0 and held.details["extra_columns"] == []
    assert [o.subject for o in held.outcomes] == ["x", "key"]
    tripled = pd.concat([batch] * 3, ignore_index=True)
    broken = check_schema(tripled, reference, key="id")
    assert not broken.passed and broken.details["duplicate_keys"] == 6
    (outcome,) = [o for o in broken.outcomes if not o.passed]
    assert outcome.subject == "key" and outcome.message.startswith("6 row(s) repeat an earlier row's key (e.g. id='a')")
    # a key of several columns is one key; a missing key column fails, naming it
    pair = pd.DataFrame({"id": ["a", "a"], "day": [1, 2], "x": [0.5, 1.5]})
    assert check_schema(pair, reference, key=["id", "day"]).passed
    missing = check_schema(batch.drop(columns="id"), reference, key="id")
    assert not missing.passed and missing.details["failing"] == {"key": "key column(s) missing: id"}
    assert check_schema(tripled, reference).passed  # without key= nothing is asked of the rows


def test_key_uniqueness_on_a_dask_frame_counts_across_partitions():
    dd = pytest.importorskip("dask.dataframe")
    from mlcheck.contracts.schema import check_schema

    reference = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    batch = pd.DataFrame({"id": list("abcdab"), "x": [0.5, 1.5, 2.5, 0.5, 1.5, 2.5]})
    result = check_schema(dd.from_pandas(batch, npartitions=3), reference, key="id")
    assert not result.passed and result.details["duplicate_keys"] == 2  # a and b again, in other partitions
