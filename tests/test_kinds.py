"""Column kinds: one vocabulary and one level spelling in schema.json and profile.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import mlcheck as mc
from mlcheck.contracts.schema import infer_schema
from mlcheck.kinds import KINDS, counted_by_levels, kind_of, label_of, labels_of

LEGACY = Path(__file__).parent / "notebooks" / "bundle" / "legacy_v1"


def _frame(n: int = 60) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "rating": rng.integers(1, 5, n),  # an integer column with 4 values
            "code": pd.Series([[1.0, 2.0, 3.5][i % 3] for i in range(n)], dtype=object),  # numbers as objects
            "coded": pd.Series([[1.0, 2.0, 3.5][i % 3] for i in range(n)]).astype("category"),
            "city": rng.choice(["Oslo", "Bergen", "Tromsø"], n),
            "member": rng.random(n) < 0.5,
            "joined": pd.date_range("2024-01-01", periods=n, freq="D"),
        }
    )
    return frame, (frame["age"] > 40).astype(int)


def test_one_kind_per_dtype() -> None:
    frame, _ = _frame()
    assert [kind_of(frame[c].dtype) for c in frame.columns] == [
        "float", "integer", "categorical", "categorical", "categorical", "boolean", "datetime",
    ]  # fmt: skip
    assert {kind_of(t) for t in ("Int64", "UInt8", "int64[pyarrow]")} == {"integer"}
    assert {kind_of(t) for t in ("boolean", "bool")} == {"boolean"}
    assert {kind_of(t) for t in ("string", "str", "object", "category")} == {"categorical"}
    assert kind_of("complex128") == "other" and set(KINDS) >= {kind_of("timedelta64[ns]")}


def test_one_level_spelling() -> None:
    assert [label_of(v) for v in (2.0, 2, np.int8(2), "2", True, np.float32(0.5))] == [
        "2",
        "2",
        "2",
        "2",
        "True",
        "0.5",
    ]
    mixed = pd.Series([2.0, "a", None, 3], dtype=object)
    assert [None if pd.isna(v) else v for v in labels_of(mixed)] == ["2", "a", None, "3"]
    assert labels_of(pd.Series([1.0, 2.0]).astype("category")).tolist() == ["1", "2"]
    assert counted_by_levels("integer", 4) and not counted_by_levels("integer", 21)
    assert not counted_by_levels("float", 2) and counted_by_levels("boolean", 2)


def _columns(path: Path, name: str) -> dict[str, dict]:
    return {column["name"]: column for column in json.loads((path / name).read_text())["columns"]}


def test_schema_json_and_profile_json_agree_on_kind_and_levels(tmp_path: Path) -> None:
    X, y = _frame()
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["coded", "city"]), remainder="drop"
        ),
        LogisticRegression(),
    ).fit(X, y)
    bundle = mc.export(model, tmp_path / "b", reference=X)
    schema, profile = _columns(bundle.path, "schema.json"), _columns(bundle.path, "profile.json")
    for name in X.columns:
        assert schema[name]["kind"] == profile[name]["kind"], name
    assert schema["rating"]["kind"] == profile["rating"]["kind"] == "integer"  # was integer vs categorical
    assert profile["rating"]["summary"] == "levels" and profile["age"]["summary"] == "bins"
    for name in ("coded", "city"):
        assert sorted(schema[name]["levels"]) == sorted(profile[name]["levels"]), name
    assert set(schema["coded"]["levels"]) == {
        "1",
        "2",
        "3.5",
    }  # 2.0 reads '2' in both (was '2.0' in schema.json)
    assert schema["code"]["kind"] == profile["code"]["kind"] == "float"  # numbers held as objects
    assert bundle.score(X).n_rejected == 0  # the training data scores whole, mixed object floats included


def test_a_bundle_written_before_the_change_still_loads_and_scores(tmp_path: Path) -> None:
    copy = tmp_path / "legacy"
    shutil.copytree(LEGACY, copy)
    old_schema, old_profile = _columns(copy, "schema.json"), _columns(copy, "profile.json")
    assert old_schema["rating"]["kind"] == "integer" and old_profile["rating"]["kind"] == "categorical"
    assert old_schema["code"]["levels"] == ["1.0", "2.0", "3.5"]  # the old spelling
    bundle = mc.load(copy)
    assert bundle.schema["code"].legacy_levels and bundle.profile["rating"].levels == ("1", "2", "3", "4")
    golden = bundle.golden_inputs
    result = bundle.score(golden)
    assert result.n_rejected == 0
    np.testing.assert_array_equal(result.predictions["prediction"], bundle.golden_outputs["prediction"])
    assert mc.check_schema(golden, bundle.schema).passed
    # the model's OneHotEncoder(handle_unknown="ignore") is read from the model of an old bundle too
    assert bundle.schema["city"].unknown == "model" and bundle.schema["age"].unknown == "reject"


def test_mixed_levels_are_spelled_alike_in_schema_and_profile() -> None:
    frame = pd.DataFrame({"tag": pd.Series([2.0, "x", 3, None] * 5, dtype=object)})
    schema_levels = infer_schema(frame)["tag"].levels
    profile_column = mc.profile(frame).to_dict()["columns"][0]
    assert set(schema_levels) == set(profile_column["levels"]) == {"2", "3", "x"}
    assert profile_column["kind"] == infer_schema(frame)["tag"].kind == "categorical"


def test_export_refuses_a_column_parquet_cannot_store(tmp_path: Path) -> None:
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "tag": pd.Series([2.0, "x", 3, "y"], dtype=object)})
    model = make_pipeline(make_column_transformer(("passthrough", ["x"])), LogisticRegression()).fit(
        X, [0, 0, 1, 1]
    )
    with pytest.raises(mc.UsageError, match="mixes value types"):
        mc.export(model, tmp_path / "b", reference=X)
    assert list(tmp_path.iterdir()) == []


def test_levels_of_any_cardinality_are_kept() -> None:
    codes = pd.DataFrame({"postcode": [f"{i:05d}" for i in range(3000)]})
    assert len(infer_schema(codes)["postcode"].levels) == 3000


def test_profile_kind_of_an_integer_column_with_few_values_is_integer() -> None:
    frame = pd.DataFrame({"rating": [1, 2, 3, 4] * 10})
    column = mc.profile(frame).to_dict()["columns"][0]
    assert (column["kind"], column["summary"], column["levels"]) == (
        "integer",
        "levels",
        ["1", "2", "3", "4"],
    )
    assert infer_schema(frame)["rating"].kind == "integer"


@pytest.mark.parametrize("name", ["schema.json", "profile.json"])
def test_legacy_files_are_read_with_their_old_words(name: str) -> None:
    data = json.loads((LEGACY / name).read_text())
    if name == "profile.json":
        restored = mc.Profile.from_dict(data)
        assert restored["age"].kind == "numeric" and restored["city"].kind == "categorical"
    else:
        restored_schema = mc.load(LEGACY).schema
        assert restored_schema.names == ("age", "rating", "code", "city")


@pytest.mark.parametrize(
    "data",
    [
        {"format": "mlcheck-schema", "version": 2, "columns": {}},
        {"format": "mlcheck-schema", "version": 2, "columns": [{"name": "x"}]},
        {"format": "mlcheck-schema", "version": 2, "columns": [], "keys": "id"},
        {
            "format": "mlcheck-schema",
            "version": 2,
            "columns": [{"name": "x", "dtype": "int64", "kind": "number", "nullable": False}],
        },
    ],
)
def test_a_malformed_schema_mapping_is_a_usage_error(data: dict) -> None:
    with pytest.raises(mc.UsageError, match="mlcheck schema"):
        mc.check_schema(pd.DataFrame({"x": [1]}), data)
