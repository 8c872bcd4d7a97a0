"""Data readers on pyarrow's options, and saved profiles checked against their invariants."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcheck as mc
from mlcheck.cli.data import load_profile, profile_path
from mlcheck.cli.main import main
from mlcheck.errors import UsageError
from mlcheck.io import READERS, csv_format, iter_batches, reader_for


def _frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 80, n), "plan": rng.choice(["free", "pro"], n)})


# -- item 10: CSV as pandas reads it ---------------------------------------------------------------------
def test_empty_text_cells_are_missing_not_a_level(tmp_path: Path, capsys) -> None:
    frame = _frame()
    frame.loc[: len(frame) * 3 // 10 - 1, "plan"] = None  # 30% empty cells
    path = tmp_path / "batch.csv"
    frame.to_csv(path, index=False)
    cli = profile_path(path)
    api = mc.profile(pd.read_csv(path))
    assert "" not in cli["plan"].levels  # was a level '' at 30%
    assert cli["plan"].missing == api["plan"].missing == 60
    reference = tmp_path / "reference.parquet"
    _frame(seed=1).assign(plan=lambda f: f["plan"].where(f.index >= 60)).to_parquet(reference)
    assert main(["shift", str(reference), str(path), "--max-psi", "0.5"]) == 0, capsys.readouterr().out


def test_tsv_is_split_on_tabs_and_other_delimiters_are_sniffed(tmp_path: Path) -> None:
    frame = _frame(50)
    frame.to_csv(tmp_path / "data.tsv", sep="\t", index=False)
    frame.to_csv(tmp_path / "semicolons.csv", sep=";", index=False)
    frame.to_csv(tmp_path / "pipes.csv", sep="|", index=False)
    for name in ("data.tsv", "semicolons.csv", "pipes.csv"):
        table = next(iter_batches(tmp_path / name))
        assert table.schema.names == ["age", "plan"], name  # was one column 'age\tplan'
    assert csv_format(tmp_path / "data.tsv").delimiter_from == "extension"
    assert csv_format(tmp_path / "semicolons.csv").delimiter_from == "sniffed"
    (tmp_path / "single.csv").write_text("x\n1\n2\n")
    assert csv_format(tmp_path / "single.csv").delimiter == ","


def test_a_latin1_file_fails_clearly_and_reads_with_its_encoding(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cafes.csv"
    path.write_bytes("name,visits\ncafé,3\nbrød,4\ncafé,5\n".encode("latin-1"))
    with pytest.raises(UsageError, match=r"\['name'\].*not valid utf-8.*--encoding latin-1"):
        profile_path(path)  # was profiled silently with levels like "b'caf\\xe9'"
    assert main(["profile", str(path)]) == 2
    assert "--encoding latin-1" in capsys.readouterr().err
    assert set(profile_path(path, encoding="latin-1")["name"].levels) == {"café", "brød"}
    assert main(["profile", str(path), "--encoding", "latin-1"]) == 0
    with pytest.raises(UsageError, match="unknown encoding"):
        profile_path(path, encoding="klingon")


def test_readers_are_a_registry_in_mlcheck_io(tmp_path: Path) -> None:
    assert {"csv", "parquet"} <= set(READERS.names())
    _frame(5).to_parquet(tmp_path / "x.parquet")
    assert reader_for(tmp_path / "x.parquet").name == "parquet"
    assert next(iter_batches(tmp_path / "x.parquet", exclude=["plan"])).schema.names == ["age"]


# -- item 11: --exclude -----------------------------------------------------------------------------------
def test_a_label_only_in_training_is_left_out_with_exclude(tmp_path: Path, capsys) -> None:
    train = _frame(500, seed=2).assign(label=lambda f: (f["age"] > 40).astype(int))
    batch = _frame(500, seed=3)
    train.to_csv(tmp_path / "train.csv", index=False)
    batch.to_parquet(tmp_path / "batch.parquet")
    alarmed = main(["shift", str(tmp_path / "train.csv"), str(tmp_path / "batch.parquet")])
    out = capsys.readouterr().out
    assert alarmed == 1 and "--exclude label" in out  # the false alarm now says how to silence it
    assert (
        main(["shift", str(tmp_path / "train.csv"), str(tmp_path / "batch.parquet"), "--exclude", "label"])
        == 0
    )
    assert "label" not in capsys.readouterr().out
    assert (
        main(["shift", str(tmp_path / "train.csv"), str(tmp_path / "batch.parquet"), "--exclude", "nope"])
        == 2
    )
    assert "--exclude names columns in neither file" in capsys.readouterr().err


# -- F19: hive-partitioned folders keep their partition columns ---------------------------------------------
def test_a_hive_partitioned_folder_keeps_its_partition_columns_as_pandas_does(tmp_path: Path, capsys) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    n = 3_000
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "d": rng.choice(["2020-01-01", "2020-01-02", "2020-01-03"], n),
            "region": rng.choice([1, 2], n),
        }
    )
    pq.write_to_dataset(
        pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "hive", partition_cols=["d", "region"]
    )
    streamed = profile_path(tmp_path / "hive", batch_rows=100)
    expected = mc.profile(pd.read_parquet(tmp_path / "hive"))
    assert streamed.features == ["a", "d", "region"]  # was ["a"]: the partition keys were lost
    assert streamed["a"].total == pytest.approx(expected["a"].total, rel=1e-9)  # added batch by batch
    assert streamed.columns == {
        **expected.columns,
        "a": dataclasses.replace(expected["a"], total=streamed["a"].total),
    }
    assert streamed["d"].counts == tuple(int(c) for c in frame["d"].value_counts().sort_index())
    # only some columns read (a later pass of the streamed profile): the keys come with them
    assert [b.schema.names for b in iter_batches(tmp_path / "hive", columns=["d"])][0] == ["d"]
    # the flat file of the same rows: no column only on one side, no shift
    frame.to_parquet(tmp_path / "flat.parquet")
    assert main(["shift", str(tmp_path / "hive"), str(tmp_path / "flat.parquet")]) == 0
    out = capsys.readouterr().out
    assert "only in" not in out and "d " in out
    # the partition key moved: the shift is seen
    frame.assign(d="2020-01-03").to_parquet(tmp_path / "moved.parquet")
    assert main(["shift", str(tmp_path / "hive"), str(tmp_path / "moved.parquet"), "--feature", "d"]) == 1


def test_a_null_partition_key_is_a_missing_value(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"a": [1.0, 2.0, 3.0, 4.0], "k": ["x", None, "x", "y"]})
    pq.write_to_dataset(table, tmp_path / "hive", partition_cols=["k"])  # k=__HIVE_DEFAULT_PARTITION__
    column = profile_path(tmp_path / "hive")["k"]
    assert dict(zip(column.levels, column.counts)) == {"x": 2, "y": 1} and column.missing == 1


def test_profile_to_a_folder_is_a_usage_error(tmp_path: Path, capsys) -> None:
    _frame(20).to_parquet(tmp_path / "x.parquet")
    assert main(["profile", str(tmp_path / "x.parquet"), "-o", str(tmp_path)]) == 2  # was a traceback
    error = capsys.readouterr().err
    assert "it is a folder" in error and "Traceback" not in error


# -- saved profiles and their invariants -------------------------------------------------------------------
def _saved(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data))
    return path


def test_a_profile_whose_edges_and_counts_differ_in_length_is_refused(tmp_path: Path, capsys) -> None:
    data = mc.profile(_frame()).to_dict()
    data["columns"][0]["counts"] = (
        data["columns"][0]["counts"][:-1]
        if data["columns"][0]["summary"] == "bins"
        else data["columns"][0]["counts"][:-1]
    )
    with pytest.raises(UsageError, match=r"profile\.json: .*'age'"):
        load_profile(_saved(tmp_path, data))  # was a raw ValueError
    assert main(["shift", str(tmp_path / "profile.json"), str(tmp_path / "profile.json")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_negative_counts_are_refused(tmp_path: Path) -> None:
    data = mc.profile(_frame()).to_dict()
    data["columns"][1]["counts"][0] = -5  # was accepted silently
    with pytest.raises(UsageError, match="negative"):
        load_profile(_saved(tmp_path, data))


def _valid_profile() -> dict:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=300), "n": rng.integers(0, 4, 300), "c": rng.choice(["a", "b", "c"], 300)}
    )
    frame.loc[::7, "x"] = np.nan
    return mc.profile(frame, bins=5).to_dict()


VALID = _valid_profile()


def _break(data: dict, how: str, column: int, position: int) -> dict:
    broken = copy.deepcopy(data)
    entry = broken["columns"][column]
    counts = entry["counts"]
    if how == "negative":
        counts[position % len(counts)] = -1 - position
    elif how == "drop_count":
        counts.pop(position % len(counts))
    elif how == "extra_count":
        counts.append(position)
    elif how == "missing":
        entry["missing"] = -1
    elif how == "rows":
        broken["n_rows"] = broken["n_rows"] + 1 + position
    elif how == "duplicate_level" and "levels" in entry and len(entry["levels"]) > 1:
        entry["levels"][1] = entry["levels"][0]
    elif how == "unsorted_edges" and entry.get("edges") and len(entry["edges"]) > 1:
        entry["edges"] = list(reversed(entry["edges"]))
    elif how == "min_above_max" and entry.get("min") is not None:
        entry["min"], entry["max"] = entry["max"] + 1.0, entry["min"]
    else:
        counts[0] += 1  # the column then counts other than the profile's rows
    return broken


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    how=st.sampled_from(
        [
            "negative",
            "drop_count",
            "extra_count",
            "missing",
            "rows",
            "duplicate_level",
            "unsorted_edges",
            "min_above_max",
            "count",
        ]
    ),
    column=st.integers(0, 2),
    position=st.integers(0, 50),
)
def test_a_saved_profile_that_violates_an_invariant_never_loads(how: str, column: int, position: int) -> None:
    broken = _break(VALID, how, column, position)
    assert broken != VALID
    with pytest.raises(UsageError):
        mc.Profile.from_dict(broken)


def test_the_valid_profile_loads() -> None:
    assert mc.Profile.from_dict(VALID).n_rows == 300
