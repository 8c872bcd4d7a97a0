"""``mlcheck profile`` and ``mlcheck shift``: streamed files, exit codes, messages."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcheck.cli import main
from mlcheck.cli.data import iter_batches, load_profile, profile_path
from mlcheck.results import CheckResult
from mlcheck.errors import UsageError
from mlcheck.profiling.model import NumericColumn, profile


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3 + shift, 1, n),
            "score": rng.normal(shift, 1, n),
            "segment": rng.choice(["retail", "pro", "public"], n),
            "visits": rng.integers(0, 5, n),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("data")
    reference = _frame(30_000, 0)
    same = _frame(30_000, 1)
    moved = _frame(30_000, 2, shift=0.6)
    paths = {
        "reference": folder / "reference.parquet",
        "same": folder / "same.csv",
        "moved": folder / "moved.parquet",
        "directory": folder / "parts",
    }
    pq.write_table(
        pa.Table.from_pandas(reference, preserve_index=False), paths["reference"], row_group_size=4_000
    )
    same.to_csv(paths["same"], index=False)
    moved.to_parquet(paths["moved"], row_group_size=5_000)
    paths["directory"].mkdir()
    for i, start in enumerate(range(0, 30_000, 10_000)):
        reference.iloc[start : start + 10_000].to_parquet(
            paths["directory"] / f"part-{i}.parquet", index=True
        )
    return paths


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_batches_are_bounded_and_cover_every_row(files):
    sizes = [batch.num_rows for batch in iter_batches(files["reference"], batch_rows=1_500)]
    assert max(sizes) <= 1_500 and sum(sizes) == 30_000 and len(sizes) >= 20


def test_streamed_profile_equals_the_in_memory_profile(files, monkeypatch):
    from mlcheck.profiling import stream

    # few values kept at once: the edges are searched for in passes, as in a file of millions of rows
    monkeypatch.setattr(stream, "COLLECT_VALUES", 2_000)
    whole = pd.read_parquet(files["reference"])
    streamed = profile_path(files["reference"], batch_rows=3_000)
    exact = profile(whole)
    assert streamed.n_rows == 30_000
    for name in whole.columns:
        column, expected = streamed[name], exact[name]
        if isinstance(expected, NumericColumn):  # the sum is added batch by batch: equal but for rounding
            assert column.total == pytest.approx(expected.total, rel=1e-12)
            column = dataclasses.replace(column, total=expected.total)
        assert column == expected, name


def test_a_file_of_nullable_columns_profiles_like_pd_read_parquet(tmp_path, capsys):
    n = 5_000
    frame = pd.DataFrame(
        {
            "paid": pd.array([None if i % 9 == 0 else i % 2 == 0 for i in range(n)], dtype="boolean"),
            "age": pd.array([None if i % 11 == 0 else 18 + i % 60 for i in range(n)], dtype="Int64"),
        }
    )
    frame.to_parquet(tmp_path / "nullable.parquet", row_group_size=700)
    assert (
        main(
            [
                "profile",
                str(tmp_path / "nullable.parquet"),
                "-o",
                str(tmp_path / "p.json"),
                "--batch-rows",
                "500",
            ]
        )
        == 0
    )
    written = {c["name"]: c for c in json.loads((tmp_path / "p.json").read_text())["columns"]}
    expected = {
        c["name"]: c for c in profile(pd.read_parquet(tmp_path / "nullable.parquet")).to_dict()["columns"]
    }
    assert (written["paid"]["kind"], written["paid"]["dtype"]) == (
        "boolean",
        "boolean",
    )  # was categorical/object
    assert (written["age"]["kind"], written["age"]["dtype"]) == ("integer", "Int64")  # was float/float64
    assert written["paid"] == expected["paid"]
    assert written["age"] | {"sum": 0} == expected["age"] | {"sum": 0}
    assert "profiled 5,000 rows, 2 columns" in capsys.readouterr().out


def test_an_empty_batch_is_a_profile_of_0_rows_and_a_failed_shift_as_in_memory(files, tmp_path, capsys):
    """F8: a file of columns and 0 rows was exit 2 'no data to profile (no record batches)'."""
    from mlcheck.contracts.shift import check_shift

    reference = pd.read_parquet(files["reference"])
    reference.iloc[:0].to_parquet(tmp_path / "empty.parquet")
    reference.iloc[:0].to_csv(tmp_path / "empty.csv", index=False)
    (tmp_path / "parts").mkdir()
    reference.iloc[:0].to_parquet(tmp_path / "parts" / "part-0.parquet")
    for empty in ("empty.parquet", "parts"):
        assert main(["profile", str(tmp_path / empty), "-o", str(tmp_path / "p.json")]) == 0
        assert "profiled 0 rows, 4 columns" in capsys.readouterr().out
        assert load_profile(tmp_path / "p.json") == profile(pd.read_parquet(tmp_path / empty))
    assert main(["profile", str(tmp_path / "empty.csv")]) == 0
    assert "profiled 0 rows, 4 columns" in capsys.readouterr().out
    in_memory = check_shift(reference, reference.iloc[:0])
    for empty in ("empty.parquet", "empty.csv"):
        out_file = tmp_path / "shift.json"
        code = main(["shift", str(files["reference"]), str(tmp_path / empty), "-o", str(out_file)])
        captured = capsys.readouterr()
        assert code == 1 and captured.err == ""  # a failed contract, not a usage mistake
        assert f"FAIL check_shift: {in_memory.message}" in captured.out
        assert json.loads(out_file.read_text())["passed"] is False


@pytest.mark.filterwarnings("error")  # a numpy RuntimeWarning fails the test instead of reaching stderr
def test_extreme_values_profile_without_warnings_and_with_finite_edges(tmp_path, capsys):
    """F10: +/-1e308 and +/-inf printed numpy's 'invalid value encountered in reduce' on stderr."""
    rng = np.random.default_rng(3)
    n = 20_000
    frame = pd.DataFrame(
        {
            "x": rng.choice([1e308, -1e308, np.inf, -np.inf, 0.5], n),
            "wide": rng.choice([-1.7e308, 1.7e308], n),  # every difference overflows
        }
    )
    frame.to_parquet(tmp_path / "extreme.parquet", row_group_size=3_000)
    frame.iloc[:500].to_parquet(tmp_path / "few.parquet")
    assert (
        main(
            [
                "profile",
                str(tmp_path / "extreme.parquet"),
                "-o",
                str(tmp_path / "p.json"),
                "--batch-rows",
                "1000",
            ]
        )
        == 0
    )
    assert main(["shift", str(tmp_path / "extreme.parquet"), str(tmp_path / "few.parquet")]) in (0, 1)
    assert capsys.readouterr().err == ""
    streamed = load_profile(tmp_path / "p.json")
    expected = profile(frame)
    for name in frame:
        column = streamed[name]
        assert isinstance(column, NumericColumn) and all(np.isfinite(column.edges))
        assert column.total is None  # the sum overflows: recorded as unknown
        assert column == expected[name]
    # the middle edge of a column half at -1.7e308 and half at +1.7e308 lies between them (numpy's
    # quantile gives inf there: their difference is no float)
    assert profile(pd.DataFrame({"w": [-1.7e308, 1.7e308] * 50}), bins=2)["w"].edges == (0.0,)
    # and a file that is not Parquet says so in one sentence (was "...not a parquet file.. Check")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not parquet")
    assert main(["profile", str(tmp_path / "junk.parquet")]) == 2
    error = capsys.readouterr().err
    assert "cannot read" in error and ".." not in error


def test_an_id_column_keeps_bounded_levels_on_both_sides_of_a_shift(tmp_path, capsys):
    """F7: levels of a text column of unique values were all held (memory grew with the rows)."""
    n = 6_000
    for name, start in (("ref", 0), ("cur", n)):
        pd.DataFrame(
            {"id": [f"customer-{i:09d}" for i in range(start, start + n)], "x": np.arange(n, dtype=float)}
        ).to_parquet(tmp_path / f"{name}.parquet", row_group_size=1_000)
    reference = profile_path(tmp_path / "ref.parquet", batch_rows=500, max_levels=100)
    column = reference["id"]
    assert column.levels[0] == "customer-000000000" and len(column.levels) == 100
    assert column.other == n - 100 and column.other_levels == n - 100 and column.other_singletons == n - 100
    assert column.notes and "200 distinct levels" in column.notes[0]
    assert column == profile(pd.read_parquet(tmp_path / "ref.parquet"), max_levels=100)["id"]  # as in memory
    current = profile_path(tmp_path / "cur.parquet", edges_from=reference, batch_rows=500, max_levels=100)
    assert len(current["id"].levels) <= 100 + 200  # the reference's levels and at most 2 x max_levels new
    assert current["id"].n_rows == n and sum(current["id"].counts[:100]) == 0  # every id is new
    assert any("new levels (an id?)" in note for note in current["id"].notes)
    # the reference's singletons say new ids are expected (Good-Turing): no drift, as in memory
    from mlcheck.contracts.shift import check_shift

    frames = [pd.read_parquet(tmp_path / f"{name}.parquet") for name in ("ref", "cur")]
    assert check_shift(*frames, features=["id"]).passed
    assert (
        main(["shift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"), "--feature", "id"]) == 0
    )
    assert "PASS check_shift" in capsys.readouterr().out


def test_data_that_fits_in_memory_is_profiled_like_the_table(files):
    whole = pd.read_parquet(files["reference"])
    streamed = profile_path(files["reference"], batch_rows=2_000)
    expected = profile(pa.Table.from_pandas(whole))
    assert streamed.features == expected.features
    assert all(
        streamed[name].to_dict() | {"sum": 0} == expected[name].to_dict() | {"sum": 0} for name in whole
    )


def test_a_parquet_directory_reads_like_one_file_and_skips_the_index(files):
    from_directory = profile_path(files["directory"], batch_rows=2_500)
    assert from_directory.n_rows == 30_000 and from_directory.features == [
        "amount",
        "score",
        "segment",
        "visits",
    ]
    assert from_directory["segment"].counts == profile_path(files["reference"])["segment"].counts


def test_profile_command_writes_the_profile_atomically(files, tmp_path, capsys):
    before = _digest(files["reference"])
    output = tmp_path / "reference.json"
    assert main(["profile", str(files["reference"]), "-o", str(output), "--batch-rows", "8000"]) == 0
    printed = capsys.readouterr().out
    assert "profiled 30,000 rows, 4 columns" in printed and "segment" in printed and "categorical" in printed
    saved = load_profile(output)
    assert saved.n_rows == 30_000 and saved["visits"].kind == "categorical"
    assert [p.name for p in tmp_path.iterdir()] == ["reference.json"]  # no temporary file left
    assert _digest(files["reference"]) == before  # the input is never modified


def test_shift_command_passes_on_the_same_distribution(files, capsys):
    assert main(["shift", str(files["reference"]), str(files["same"])]) == 0
    printed = capsys.readouterr().out
    assert "PASS check_shift: no feature drifted among 4" in printed


def test_shift_command_fails_with_exit_1_and_writes_the_result(files, tmp_path, capsys):
    saved = tmp_path / "reference.json"
    assert main(["profile", str(files["reference"]), "-o", str(saved)]) == 0
    capsys.readouterr()
    output = tmp_path / "shift.json"
    code = main(["shift", str(saved), str(files["moved"]), "-o", str(output), "--batch-rows", "7000"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "FAIL check_shift" in printed and "amount" in printed and "YES" in printed
    result = CheckResult.from_dict(json.loads(output.read_text()))
    assert {o.subject for o in result.outcomes if not o.passed} == {"amount", "score"}


def test_shift_command_features_and_psi_options(files, tmp_path, capsys):
    code = main(
        ["shift", str(files["reference"]), str(files["moved"]), "--feature", "segment", "--max-psi", "0.2"]
    )
    assert code == 0 and "segment" in capsys.readouterr().out
    output = tmp_path / "psi.json"
    arguments = [
        "shift",
        str(files["reference"]),
        str(files["moved"]),
        "--max-kl",
        "none",
        "--max-psi",
        "0.2",
    ]
    assert main([*arguments, "-o", str(output)]) == 1
    result = json.loads(output.read_text())
    assert result["threshold"] == 0.2 and result["details"]["max_kl"] is None
    assert "FAIL check_shift" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["shift", "{reference}", "{missing}"], "no such file or directory"),
        (["shift", "{reference}", "{text}"], "unknown data format; known formats: parquet"),
        (["shift", "{reference}", "{broken}"], "cannot read"),
        (["shift", "{bad_json}", "{reference}"], "not a readable JSON profile"),
        (["shift", "{not_profile}", "{reference}"], "not an mlcheck profile"),
        (["shift", "{reference}", "{reference}", "--alpha", "2"], "alpha must be a probability"),
        (
            ["shift", "{reference}", "{reference}", "--feature", "nope"],
            "features ['nope'] are not in the reference",
        ),
        (["profile", "{reference}", "--bins", "0"], "bins must be an integer"),
        (["profile", "{reference}", "--batch-rows", "0"], "batch_rows must be a positive integer"),
        (["profile", "{reference}", "-o", "{missing_folder}"], "does not exist"),
        (["profile", "{bad_json}"], "already a profile"),
        (["profile", "{empty_folder}"], "without Parquet files"),
    ],
)
def test_bad_inputs_exit_2_with_a_clear_message(files, tmp_path, capsys, arguments, fragment):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"format": "something-else"}')
    (tmp_path / "empty").mkdir()
    names = {
        "reference": files["reference"],
        "missing": tmp_path / "absent.parquet",
        "text": tmp_path / "notes.txt",
        "broken": tmp_path / "broken.parquet",
        "bad_json": tmp_path / "bad.json",
        "not_profile": tmp_path / "other.json",
        "missing_folder": tmp_path / "no" / "where.json",
        "empty_folder": tmp_path / "empty",
    }
    code = main([a.format(**{k: str(v) for k, v in names.items()}) for a in arguments])
    error = capsys.readouterr().err
    assert code == 2
    assert fragment in error and "Traceback" not in error
    assert error.startswith(f"mlcheck {arguments[0]}: error:")


def test_csv_whose_column_changes_type_part_way_is_a_usage_error(tmp_path, monkeypatch):
    from mlcheck.io import readers

    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 1 << 16)  # the file spans many blocks, as a big one does
    path = tmp_path / "drifting.csv"
    lines = ["x"] + [str(i) for i in range(200_000)] + ["not-a-number"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError, match="type changes part-way"):
        profile_path(path)


def test_csv_is_streamed_in_passes_and_profiled_exactly(files, monkeypatch):
    from mlcheck.profiling import stream

    monkeypatch.setattr(stream, "COLLECT_VALUES", 1_000)
    whole = pd.read_csv(files["same"])
    streamed = profile_path(files["same"], batch_rows=2_000)
    exact = profile(whole)
    assert streamed.n_rows == 30_000
    for name in whole.columns:
        assert streamed[name].counts == exact[name].counts, name
        assert getattr(streamed[name], "edges", None) == getattr(exact[name], "edges", None), name


def test_streamed_current_with_a_retyped_and_a_new_column_is_reported(files, tmp_path, capsys):
    moved = pd.read_parquet(files["moved"]).drop(columns=["visits"])
    moved["score"] = moved["score"].round(1).astype(str)  # numeric in the reference, text here
    moved["channel"] = np.where(np.arange(len(moved)) % 3 == 0, "web", "shop")
    path = tmp_path / "retyped.parquet"
    moved.to_parquet(path, row_group_size=3_000)
    output = tmp_path / "result.json"
    code = main(["shift", str(files["reference"]), str(path), "--batch-rows", "2000", "-o", str(output)])
    printed = capsys.readouterr().out
    assert code == 1 and "kind_changed" in printed and "missing_in_current" in printed
    result = json.loads(output.read_text())
    assert result["details"]["new_columns"] == ["channel"]
    assert result["details"]["features"]["score"]["status"] == "kind_changed"
    assert result["details"]["n_current"] == 30_000


def test_parquet_files_with_different_schemas_are_a_usage_error(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    pd.DataFrame({"x": np.arange(100, dtype=float)}).to_parquet(folder / "a.parquet")
    pd.DataFrame({"x": [f"v{i}" for i in range(100)]}).to_parquet(folder / "b.parquet")
    assert main(["profile", str(folder), "--batch-rows", "50"]) == 2
    assert "do not share one schema" in capsys.readouterr().err


def test_shift_table_lists_every_feature_once_and_the_record_keeps_them_all(tmp_path, capsys):
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({f"x{i:02d}": rng.normal(size=4000) for i in range(20)})
    current = pd.DataFrame({f"x{i:02d}": rng.normal(size=4000) for i in range(20)})
    current["x07"] += 1.0
    reference.to_parquet(tmp_path / "reference.parquet")
    current.to_parquet(tmp_path / "current.parquet")
    output = tmp_path / "shift.json"
    code = main(
        ["shift", str(tmp_path / "reference.parquet"), str(tmp_path / "current.parquet"), "-o", str(output)]
    )
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("x")]
    assert code == 1
    assert sorted(row[0] for row in rows) == sorted(reference.columns)  # each feature once
    assert [row[0] for row in rows if "YES" in row] == ["x07"]
    result = CheckResult.from_dict(json.loads(output.read_text()))
    assert len(result.details["features"]) == len(result.outcomes) == 20  # the record keeps every feature
    quiet = next(o for o in result.outcomes if o.subject != "x07")
    (row,) = [row for row in rows if row[0] == quiet.subject]
    assert "no" in row and "YES" not in row
