"""Streamed profiles (mlcheck.profiling.stream): equal to the in-memory profile, in bounded passes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcheck.errors import UsageError
from mlcheck.profiling import stream
from mlcheck.profiling.model import NumericColumn, Profile, profile
from mlcheck.profiling.stream import keys_of, profile_batches, values_of


def _source(frame: pd.DataFrame, cuts: Sequence[int], reads: list[list[str] | None] | None = None):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(frame)}), len(frame)]

    def open_batches(columns: Sequence[str] | None) -> Iterator[pa.RecordBatch]:
        if reads is not None:
            reads.append(None if columns is None else list(columns))
        chosen = table if columns is None else table.select(list(columns))
        for start, stop in zip(bounds, bounds[1:]):
            yield from chosen.slice(start, stop - start).to_batches()

    return open_batches


def _assert_same(streamed: Profile, expected: Profile) -> None:
    """Equal profiles, but for the sums of numeric columns (added batch by batch: rounding only)."""
    assert streamed.n_rows == expected.n_rows and streamed.features == expected.features
    for name, column in streamed.columns.items():
        want = expected[name]
        if isinstance(want, NumericColumn) and isinstance(column, NumericColumn):
            if want.total is not None and column.total is not None and want.minimum is not None:
                # another order of addition: within a few roundings of the largest partial sum
                scale = max(abs(want.minimum), abs(want.maximum or 0.0)) * want.n_finite
                assert column.total == pytest.approx(want.total, rel=1e-9, abs=1e-12 * scale)
            column = dataclasses.replace(column, total=want.total)
        assert column == want, name


def _small_limits(monkeypatch: pytest.MonkeyPatch, collect: int = 50, cells: int = 64) -> None:
    # tiny bounds make a few hundred rows behave like a file of millions: several narrowing passes
    monkeypatch.setattr(stream, "COLLECT_VALUES", collect)
    monkeypatch.setattr(stream, "REFINE_CELLS", cells)


def test_keys_order_like_the_values_and_decode_back():
    values = np.array([-np.inf, -1e308, -2.5, -5e-324, -0.0, 0.0, 5e-324, 1.0, 1e308, np.inf])
    keys = keys_of(values)
    assert np.all(np.diff(keys.astype(object)) >= 0)
    assert keys[4] == keys[5]  # -0.0 and 0.0 are one value
    decoded = values_of(keys)
    assert np.array_equal(decoded, values + 0.0)


def test_a_large_mixed_frame_streams_to_the_in_memory_profile(monkeypatch):
    _small_limits(monkeypatch)
    rng = np.random.default_rng(0)
    n = 3_000
    frame = pd.DataFrame(
        {
            "normal": rng.normal(0, 1, n),
            "ties": rng.integers(0, 50, n).astype(float),
            "negative": -rng.lognormal(0, 3, n),
            "missing": np.where(rng.random(n) < 0.1, np.nan, rng.normal(5, 1, n)),
            "infinite": np.where(rng.random(n) < 0.01, np.inf, rng.normal(5, 1, n)),
            "few_integers": rng.integers(0, 5, n),
            "many_integers": rng.integers(0, 1000, n),
            "constant": np.full(n, 3.5),
            "zeros": np.where(rng.random(n) < 0.5, -0.0, 0.0) + (rng.random(n) < 0.3),
            "neighbours": np.nextafter(1.0, 2.0 * (rng.random(n) < 0.5)),  # two values one bit apart
            "narrow": 1e6 + rng.normal(0, 1e-3, n),  # every bracket under one first-pass prefix
            "city": rng.choice(["a", "b", "c"], n),
            "when": pd.to_datetime(rng.integers(0, 10**9, n), unit="s"),
        }
    )
    reads: list[list[str] | None] = []
    streamed = profile_batches(_source(frame, range(0, n, 700), reads), bins=20, max_levels=100_000)
    _assert_same(streamed, profile(frame))
    assert reads[0] is None and len(reads) >= 3
    # later passes read only the numeric columns still searching, never the text or the levels
    assert all("city" not in r and "few_integers" not in r for r in reads[1:] if r is not None)


def test_narrow_data_with_many_bins_finds_its_brackets_by_binary_search(monkeypatch):
    _small_limits(monkeypatch, collect=20, cells=1 << 12)
    monkeypatch.setattr(stream, "SEARCH_DEPTH", 2)
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"narrow": 1e6 + rng.normal(0, 1e-3, 2_000)})  # one first-pass prefix for all
    streamed = profile_batches(_source(frame, range(0, 2_000, 300)), bins=100, max_levels=10)
    _assert_same(streamed, profile(frame, bins=100))


def test_an_integer_column_with_missing_values_in_some_batches_reads_as_float():
    values = pd.array([1, 2, None, 4] * 10 + list(range(100, 160)), dtype="Int64")
    frame = pd.DataFrame({"x": values})
    # without pandas metadata (a file another tool wrote) the column reads as float64 where a
    # batch has missing values and int64 elsewhere; pandas reads the whole column as float64
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    streamed = profile_batches(
        lambda columns: iter(table.to_batches(max_chunksize=40)), bins=5, max_levels=10
    )
    expected = profile(table.to_pandas(), bins=5)
    _assert_same(streamed, expected)
    assert streamed["x"].dtype == "float64" and streamed["x"].to_dict()["kind"] == "float"


def test_nullable_columns_keep_the_dtype_pandas_reads_them_with():
    """F9: a nullable Int64/boolean column was float64/object when streamed, Int64/boolean in memory."""
    n = 100
    frame = pd.DataFrame(
        {
            "ints": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
            "codes": pd.array([None if i % 5 == 0 else i % 3 for i in range(n)], dtype="Int64"),
            "flag": pd.array([None if i % 4 == 0 else i % 3 == 0 for i in range(n)], dtype="boolean"),
            "share": pd.array([None if i % 6 == 0 else i / 7 for i in range(n)], dtype="Float64"),
            "plain_flag": np.arange(n) % 2 == 0,
        }
    )
    streamed = profile_batches(_source(frame, [10, 50]), bins=5, max_levels=100_000)
    _assert_same(streamed, profile(frame, bins=5))
    kinds = {name: (c["kind"], c["dtype"]) for c in streamed.to_dict()["columns"] for name in [c["name"]]}
    assert kinds == {
        "ints": ("integer", "Int64"),
        "codes": ("integer", "Int64"),
        "flag": ("boolean", "boolean"),
        "share": ("float", "Float64"),
        "plain_flag": ("boolean", "bool"),
    }
    # a boolean column without pandas metadata: bool in a batch without missing values, object in
    # one with some; pandas reads the whole column as object
    bare = pa.table({"flag": pa.array([True, False] * 10 + [None, True])})
    streamed = profile_batches(lambda columns: iter(bare.to_batches(max_chunksize=10)), bins=5, max_levels=10)
    assert streamed == profile(bare.to_pandas(), bins=5) and streamed["flag"].dtype == "object"


def test_counts_on_the_edges_take_no_pass_of_their_own_and_the_fallback_pass_agrees(monkeypatch):
    _small_limits(monkeypatch)
    rng = np.random.default_rng(4)
    n = 2_001  # (n - 1) / 20 whole: every edge is a value itself, its ties' start is needed
    frame = pd.DataFrame({"x": rng.normal(size=n), "ties": rng.integers(0, 30, n).astype(float)})
    reads: list[list[str] | None] = []
    expected = profile(frame)
    _assert_same(profile_batches(_source(frame, [500, 1500], reads), bins=20, max_levels=10), expected)
    searched = len(reads)
    # as if rounding had put an edge outside its two values: a last pass counts the column
    original = stream._edges_and_counts
    monkeypatch.setattr(stream, "_edges_and_counts", lambda *args: (original(*args)[0], None))
    reads.clear()
    _assert_same(profile_batches(_source(frame, [500, 1500], reads), bins=20, max_levels=10), expected)
    assert len(reads) == searched + 1 and reads[-1] == ["x", "ties"]


def test_data_that_fits_is_read_once():
    frame = pd.DataFrame({"x": np.random.default_rng(5).normal(size=5_000), "c": ["a", "b"] * 2_500})
    reads: list[list[str] | None] = []
    _assert_same(profile_batches(_source(frame, [1_000], reads), bins=20, max_levels=10), profile(frame))
    assert reads == [None]


def test_no_batches_and_unknown_categorical_names_are_usage_errors():
    with pytest.raises(UsageError, match="gave no columns and no rows") as caught:
        profile_batches(lambda columns: iter(()), bins=20, max_levels=10)
    assert "record batch" not in str(caught.value)  # pyarrow's word, not the user's
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(UsageError, match=r"categorical names columns that are not in the data: \['y'\]"):
        profile_batches(_source(frame, []), bins=20, categorical=("y",), max_levels=10)


def test_columns_without_rows_profile_as_0_rows_like_the_empty_frame():
    frame = pd.DataFrame({"x": [1.5, 2.5], "k": [1, 2], "c": ["a", "b"], "f": pd.array([True, None])}).iloc[
        :0
    ]
    empty = pa.RecordBatch.from_pandas(frame, preserve_index=False)  # what a reader gives for 0 rows
    streamed = profile_batches(lambda columns: iter([empty]), bins=20, max_levels=10)
    assert streamed == profile(frame) and streamed.n_rows == 0 and streamed.features == ["x", "k", "c", "f"]


def test_data_that_changes_between_passes_is_refused(monkeypatch):
    _small_limits(monkeypatch)
    rng = np.random.default_rng(1)
    frames = iter([pd.DataFrame({"x": rng.normal(size=500)}) for _ in range(5)])

    def open_batches(columns: Sequence[str] | None) -> Iterator[pa.RecordBatch]:
        return iter(pa.Table.from_pandas(next(frames), preserve_index=False).to_batches())

    with pytest.raises(UsageError, match="changed while it was read"):
        profile_batches(open_batches, bins=20, max_levels=10)


_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1.0, np.nextafter(1.0, 2.0), -1.0, 1e300, -1e-300]),
    st.integers(-5, 5).map(float),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(_FLOATS, min_size=1, max_size=300),
    integers=st.lists(st.integers(-(2**40), 2**40), min_size=300, max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    bins=st.integers(1, 25),
    collect=st.integers(1, 64),
    cells=st.sampled_from([2, 16, 256, 1 << 16]),
    gaps=st.lists(st.booleans(), min_size=300, max_size=300),
)
def test_streamed_profile_equals_the_definition_on_any_values(
    values, integers, cuts, bins, collect, cells, gaps
):
    n = len(values)
    missing = np.asarray(gaps[:n])
    frame = pd.DataFrame(
        {
            "x": np.asarray(values, dtype=np.float64),
            "k": np.asarray(integers[:n], dtype=np.int64),
            # pandas' nullable dtypes, as pd.read_parquet restores them (F9)
            "nk": pd.array(np.asarray(integers[:n], dtype=np.int64), dtype="Int64").copy(),
            "nb": pd.array(np.asarray(integers[:n]) % 2 == 0, dtype="boolean").copy(),
        }
    )
    frame.loc[missing, ["nk", "nb"]] = pd.NA
    with pytest.MonkeyPatch.context() as patch:
        _small_limits(patch, collect=collect, cells=cells)
        streamed = profile_batches(_source(frame, cuts), bins=bins, max_levels=100_000)
    _assert_same(streamed, profile(frame, bins=bins))


def test_values_held_at_once_stay_within_the_bound_whatever_the_rows(monkeypatch):
    """Memory follows the batch: a search never keeps more than COLLECT_VALUES values of a column."""
    _small_limits(monkeypatch, collect=100, cells=256)
    held: list[int] = []
    update = stream._OrderStatistics.update

    def watched(self: stream._OrderStatistics, keys: np.ndarray) -> None:
        update(self, keys)
        held.append(sum(part.size for part in self.kept))

    monkeypatch.setattr(stream._OrderStatistics, "update", watched)
    rng = np.random.default_rng(6)
    for n in (2_000, 20_000):
        frame = pd.DataFrame({"x": rng.lognormal(0, 2, n), "y": rng.normal(size=n)})
        _assert_same(
            profile_batches(_source(frame, range(0, n, 500)), bins=20, max_levels=10), profile(frame)
        )
    assert held and max(held) <= 100


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    draws=st.lists(st.integers(0, 400), min_size=1, max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    max_levels=st.integers(1, 30),
)
def test_a_column_of_many_levels_is_bounded_and_streams_like_the_frame(draws, cuts, max_levels):
    """F7: past 2 * max_levels distinct levels, later new levels fold uncounted, alike in both profiles."""
    frame = pd.DataFrame({"id": [f"customer-{d:04d}" for d in draws]})
    streamed = profile_batches(_source(frame, cuts), bins=5, max_levels=max_levels)
    expected = profile(frame, bins=5, max_levels=max_levels)
    assert streamed == expected
    column = expected["id"]
    limit = 2 * max_levels
    first_met = list(dict.fromkeys(frame["id"]))[:limit]  # the levels counted one by one
    counted = frame["id"][frame["id"].isin(first_met)].value_counts()
    folded = len(frame) - int(counted.sum())
    assert len(column.levels) == min(max_levels, frame["id"].nunique())
    assert all(counted[level] == count for level, count in zip(column.levels, column.counts))
    assert column.other == len(frame) - sum(column.counts)
    if folded:
        assert any("distinct levels (an id?)" in note for note in column.notes)
        exact_other_levels = frame["id"].nunique() - len(column.levels)
        assert column.other_levels >= exact_other_levels  # an upper bound, as the note says
    else:  # below the bound: the exact definition, the most frequent levels listed
        assert column.notes == () and column.other_levels == frame["id"].nunique() - len(column.levels)


def test_memory_for_levels_stays_bounded_whatever_the_rows(monkeypatch):
    """F7: a column of unique values held one entry per row (about 300 MB per million strings)."""
    held: list[int] = []
    add = stream.LevelTally.add

    def watched(self: stream.LevelTally, counts, labels_in_order) -> None:
        add(self, counts, labels_in_order)
        held.append(len(self.counts))

    monkeypatch.setattr(stream.LevelTally, "add", watched)
    for n in (2_000, 20_000):
        frame = pd.DataFrame({"id": [f"tx-{i:06d}" for i in range(n)], "x": np.arange(n, dtype=float)})
        streamed = profile_batches(_source(frame, range(0, n, 1_000)), bins=5, max_levels=50)
        assert streamed["id"].other == n - 50 and streamed["id"].levels[:2] == ("tx-000000", "tx-000001")
        assert streamed["id"].other_levels == n - 50  # every folded row its own level: exact here
    assert held and max(held) == 100  # 2 * max_levels, at 2,000 rows and at 20,000
