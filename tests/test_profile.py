"""Profiles: bins and counts against pandas/numpy oracles, merging, JSON, bad inputs, Dask."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcheck as mc
from mlcheck.errors import MlcheckError, UsageError
from mlcheck.profiling.model import OTHER, CategoricalColumn, NumericColumn, Profile, profile


def _frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "normal": rng.normal(10, 2, n),
            "skewed": rng.lognormal(0, 1, n),
            "city": rng.choice(["paris", "lyon", "nice"], n, p=[0.5, 0.3, 0.2]),
            "children": rng.integers(0, 4, n),
            "income": rng.integers(0, 100_000, n),
            "flag": rng.random(n) < 0.3,
        }
    )


def _oracle_counts(values: np.ndarray, edges: tuple[float, ...]) -> list[int]:
    """Counts on left-closed bins with open outer edges, by pandas.cut."""
    finite = values[np.isfinite(values)]
    cut = pd.cut(finite, [-np.inf, *edges, np.inf], right=False)
    return [int(c) for c in pd.Series(cut).value_counts(sort=False).to_numpy()]


def test_numeric_edges_are_reference_quantiles_and_counts_match_pandas_cut():
    frame = _frame()
    result = profile(frame)
    column = result["normal"]
    assert isinstance(column, NumericColumn)
    expected_edges = np.unique(np.quantile(frame["normal"].to_numpy(), np.arange(1, 20) / 20))
    np.testing.assert_allclose(column.edges, expected_edges, rtol=0, atol=1e-12)
    assert list(column.counts) == _oracle_counts(frame["normal"].to_numpy(), column.edges)
    assert len(column.counts) == 20 and set(column.counts) == {100}
    assert column.minimum == frame["normal"].min() and column.maximum == frame["normal"].max()
    assert column.mean == pytest.approx(frame["normal"].mean(), rel=1e-12)
    assert result.n_rows == 2000 and column.n_rows == 2000


def test_kinds_follow_dtypes_and_the_categorical_option():
    result = profile(_frame())
    kinds = {name: column.kind for name, column in result.columns.items()}
    assert kinds == {
        "normal": "numeric",
        "skewed": "numeric",
        "city": "categorical",
        "children": "categorical",  # an integer column with few levels
        "income": "numeric",  # an integer column with many
        "flag": "categorical",
    }
    assert result["children"].levels == ("0", "1", "2", "3")
    assert result["flag"].levels == ("False", "True")
    forced = profile(_frame(), categorical=["income"])
    assert forced["income"].kind == "categorical"
    assert len(forced["income"].levels) + (forced["income"].other > 0) >= 1000


def test_categorical_counts_match_value_counts():
    frame = _frame()
    column = profile(frame)["city"]
    assert isinstance(column, CategoricalColumn)
    expected = frame["city"].value_counts()
    assert dict(zip(column.levels, column.counts)) == expected.to_dict()
    assert column.levels == tuple(expected.index)  # most frequent first


def test_missing_and_infinite_values_are_counted_apart():
    values = np.array([np.nan, np.inf, -np.inf, -np.inf, 1.0, 2.0, 3.0, 4.0, np.nan, 5.0])
    column = profile(pd.DataFrame({"x": values}), bins=2)["x"]
    assert (column.missing, column.neg_inf, column.pos_inf) == (2, 2, 1)
    assert sum(column.counts) == 5 and column.minimum == 1.0 and column.maximum == 5.0
    assert column.mean == 3.0 and column.n_rows == 10


def test_levels_beyond_max_levels_fold_into_other_with_their_singletons_counted():
    labels = [f"id{i}" for i in range(1500)]
    values = labels + labels[:1000]  # the first 1000 appear twice
    every = profile(pd.DataFrame({"id": values}))["id"]
    assert len(every.levels) == 1500 and every.other == 0  # the default keeps 100,000 levels
    assert every.singletons == 500 and every.unseen_mass == pytest.approx(500 / 2500)
    column = profile(pd.DataFrame({"id": values}), max_levels=1000)["id"]
    assert len(column.levels) == 1000 and set(column.levels) == set(labels[:1000])
    assert column.other == 500 and sum(column.counts) == 2000
    assert (column.other_levels, column.other_singletons, column.singletons) == (500, 500, 500)
    saved = profile(pd.DataFrame({"id": values}), max_levels=1000).to_dict()
    assert saved["columns"][0]["singletons"] == 500  # written for readers of the JSON
    assert Profile.from_dict(json.loads(json.dumps(saved)))["id"] == column


def test_edges_from_bins_a_current_frame_on_the_reference_and_folds_unseen_levels():
    reference = profile(_frame(seed=0))
    current_frame = _frame(seed=1)
    current_frame.loc[:9, "city"] = "marseille"  # a level the reference never saw
    current = profile(current_frame, edges_from=reference)
    assert current["normal"].edges == reference["normal"].edges
    assert list(current["normal"].counts) == _oracle_counts(
        current_frame["normal"].to_numpy(), reference["normal"].edges
    )
    # the reference's levels first, then the level it never saw, with its own count (a shift check
    # tests the share on unseen levels, and chunks keep merging exactly)
    assert current["city"].levels == (*reference["city"].levels, "marseille")
    assert current["city"].counts[-1] == 10 and current["city"].other == 0
    assert OTHER == "__other__"


def test_pyarrow_table_profiles_like_the_pandas_frame():
    frame = _frame()
    from_arrow = profile(pa.Table.from_pandas(frame, preserve_index=False))
    from_pandas = profile(frame)
    for name in frame.columns:
        assert from_arrow[name].counts == from_pandas[name].counts, name
        assert from_arrow[name].kind == from_pandas[name].kind


def test_integer_and_float_labels_agree_so_nullable_integers_match():
    reference = profile(pd.DataFrame({"n": [0, 1, 2, 2, 3]}))
    as_float = profile(pd.DataFrame({"n": [0.0, 1.0, np.nan, 2.0]}), edges_from=reference)
    assert dict(zip(as_float["n"].levels, as_float["n"].counts)) == {"0": 1, "1": 1, "2": 1, "3": 0}
    assert as_float["n"].missing == 1 and as_float["n"].other == 0


# -- awkward inputs ------------------------------------------------------------
def test_empty_frame_gives_an_empty_profile():
    result = profile(pd.DataFrame({"x": pd.Series([], dtype=float), "c": pd.Series([], dtype=str)}))
    assert result.n_rows == 0
    assert result["x"].counts == (0,) and result["x"].edges == () and result["x"].mean is None
    assert result["c"].levels == () and result["c"].n_rows == 0


def test_all_missing_and_constant_columns():
    frame = pd.DataFrame({"gone": [np.nan] * 6, "same": [7.0] * 6, "none": [None] * 6})
    result = profile(frame)
    assert result["gone"].missing == 6 and result["gone"].counts == (0,)
    # a constant column: below, exactly at, and above its value
    assert result["same"].counts == (0, 6, 0) and result["same"].edges[0] == 7.0
    assert result["none"].kind == "categorical" and result["none"].missing == 6


def test_mixed_and_unhashable_object_columns_are_compared_by_text_with_a_note():
    mixed = profile(pd.DataFrame({"m": [1, "1", "a", None, 2.5]}))["m"]
    assert dict(zip(mixed.levels, mixed.counts)) == {"1": 2, "a": 1, "2.5": 1}
    assert mixed.missing == 1 and "mixed" in mixed.notes[0]
    lists = profile(pd.DataFrame({"l": [[1, 2], [1, 2], {"a": 1}, None]}))["l"]
    assert dict(zip(lists.levels, lists.counts)) == {"[1, 2]": 2, "{'a': 1}": 1}
    assert "compared by their text" in lists.notes[0]


def test_unorderable_and_odd_dtypes_are_categorical():
    frame = pd.DataFrame(
        {
            "complex": np.array([1 + 2j, 3j, 1 + 2j]),
            "period": pd.period_range("2024-01", periods=3, freq="M"),
            "bytes": [b"a", b"b", b"a"],
        }
    )
    result = profile(frame)
    assert result["complex"].levels == ("(1+2j)", "3j") and result["complex"].counts == (2, 1)
    assert result["period"].levels == ("2024-01", "2024-02", "2024-03")
    assert result["bytes"].kind == "categorical"


def test_object_column_of_numbers_is_numeric():
    column = profile(pd.DataFrame({"x": pd.Series([0.5, 1.5, None, 2.5] * 10, dtype=object)}))["x"]
    assert column.kind == "numeric" and column.missing == 10


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: profile(pd.DataFrame([[1, 2]], columns=["a", "a"])), "duplicate column names ['a']"),
        (lambda: profile(pd.DataFrame({"a": [1.0]}), bins=0), "bins must be an integer"),
        (lambda: profile(pd.DataFrame({"a": [1.0]}), categorical=["b"]), "not in the frame"),
        (lambda: profile([[1, 2]]), "expects a pandas DataFrame"),
        (lambda: profile(pd.DataFrame({"a": [1.0]}), edges_from={"a": 1}), "edges_from must be a Profile"),
        (lambda: profile(pd.DataFrame({"a": [1.0]}))["b"], "no column 'b'"),
    ],
)
def test_bad_arguments_raise_a_usage_error(call, fragment):
    with pytest.raises(UsageError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        call()


# -- merging and serialization -------------------------------------------------------
def test_merge_refuses_profiles_on_other_bins_or_columns():
    first, second = profile(_frame(seed=0)), profile(_frame(seed=1))
    with pytest.raises(UsageError, match="binned differently"):
        first.merge(second)
    with pytest.raises(UsageError, match="different columns"):
        first.merge(profile(_frame(seed=1)[["normal"]], edges_from=first))


def test_json_round_trip_is_lossless():
    frame = _frame()
    frame.loc[0, "normal"] = np.inf
    frame.loc[1, "city"] = None
    original = profile(frame)
    text = json.dumps(original.to_dict(), allow_nan=False)
    assert Profile.from_dict(json.loads(text)) == original
    assert "raw" not in text and len(text) < 20_000  # no rows inside


@pytest.mark.parametrize(
    "data",
    [
        {"format": "other"},
        [],
        {"format": "mlcheck-profile", "version": 99},
        {"format": "mlcheck-profile", "version": 1},
    ],
)
def test_from_dict_refuses_what_is_not_a_profile(data):
    with pytest.raises(MlcheckError):
        Profile.from_dict(data)


def test_public_name_is_the_function_even_after_the_module_is_imported():
    import mlcheck.profiling.model  # noqa: F401 - binds the module to the package attribute

    assert callable(mc.profile) and not isinstance(mc.profile, type(mlcheck.profiling.model))
    assert mc.profile(pd.DataFrame({"x": [1.0, 2.0]}))["x"].n_rows == 2
    assert mc.Profile is Profile


# -- properties ----------------------------------------------------------------------
finite_or_odd = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(float("-inf")),
)
rows = st.lists(st.tuples(finite_or_odd, st.sampled_from(["a", "b", "c", None])), min_size=1, max_size=120)


def _table(data: list[tuple[float, str | None]]) -> pd.DataFrame:
    return pd.DataFrame({"x": [x for x, _ in data], "c": pd.Series([c for _, c in data], dtype=object)})


def _same_up_to_float_sums(left: Profile, right: Profile) -> None:
    assert left.n_rows == right.n_rows
    for name, column in left.columns.items():
        other = right.columns[name]
        if isinstance(column, NumericColumn):
            assert (column.edges, column.counts, column.missing, column.neg_inf, column.pos_inf) == (
                other.edges,
                other.counts,
                other.missing,
                other.neg_inf,
                other.pos_inf,
            )
            assert (column.minimum, column.maximum) == (other.minimum, other.maximum)
            assert math.isclose(column.total or 0.0, other.total or 0.0, rel_tol=1e-9, abs_tol=1e-3)
        else:  # the dtype's name may differ (Dask reads text as "string", pandas 3 as "str")
            assert (column.levels, column.counts, column.other, column.missing) == (
                other.levels,
                other.counts,
                other.other,
                other.missing,
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.integers(1, 119), st.integers(1, 12))
def test_merging_chunk_profiles_equals_profiling_the_concatenation(data, cut, bins):
    frame = _table(data)
    whole = profile(frame, bins=bins)
    head = profile(frame.iloc[:cut], edges_from=whole, bins=bins)
    tail = profile(frame.iloc[cut:], edges_from=whole, bins=bins)
    _same_up_to_float_sums(head.merge(tail), whole)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, rows, st.integers(1, 119))
def test_chunks_with_levels_the_reference_never_saw_merge_exactly_singletons_included(reference, data, cut):
    """Singletons do not add up (once in each chunk is twice in all): per-level counts make merges exact."""
    anchor = profile(_table(reference))
    frame = _table(data)
    whole = profile(frame, edges_from=anchor)
    merged = profile(frame.iloc[:cut], edges_from=anchor).merge(profile(frame.iloc[cut:], edges_from=anchor))
    for name in ("c",):
        left, right = merged[name], whole[name]
        assert dict(zip(left.levels, left.counts)) == dict(zip(right.levels, right.counts))
        assert left.levels[: len(anchor[name].levels)] == anchor[name].levels
        assert (left.missing, left.other, left.singletons) == (right.missing, right.other, right.singletons)


@settings(max_examples=40, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, random):
    shuffled = list(data)
    random.shuffle(shuffled)
    _same_up_to_float_sums(profile(_table(shuffled)), profile(_table(data)))


@settings(max_examples=40, deadline=None)
@given(rows)
def test_serialization_round_trips(data):
    original = profile(_table(data))
    assert Profile.from_dict(json.loads(json.dumps(original.to_dict(), allow_nan=False))) == original


# -- Dask ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_profiles_per_partition_on_a_local_cluster(dask_client):
    dd = pytest.importorskip("dask.dataframe")
    frame = _frame(n=20_000)
    distributed = dd.from_pandas(frame, npartitions=5)
    merged = profile(distributed)
    exact = profile(frame, edges_from=merged)
    _same_up_to_float_sums(merged, exact)
    assert merged.n_rows == 20_000
    # all rows fit the sample, so the edges are the frame's own quantiles
    assert merged["normal"].edges == profile(frame)["normal"].edges
    # a small sample gives other edges but the counts stay exact
    sampled = profile(distributed, sample_rows=2_000, random_state=3)
    _same_up_to_float_sums(sampled, profile(frame, edges_from=sampled))
    assert sampled["normal"].edges != merged["normal"].edges


def test_dask_current_binned_on_a_reference_keeps_retyped_columns_mergeable(dask_client):
    dd = pytest.importorskip("dask.dataframe")
    reference = profile(_frame(n=4_000, seed=0))
    current = _frame(n=6_000, seed=1)
    current["normal"] = current["normal"].round(0).astype(str)  # numeric in the reference, text here
    current["extra"] = np.arange(6_000) % 7
    merged = profile(dd.from_pandas(current, npartitions=3), edges_from=reference)
    assert merged.n_rows == 6_000 and merged["normal"].kind == "categorical"
    assert merged["skewed"].edges == reference["skewed"].edges
    assert merged["skewed"].counts == profile(current, edges_from=reference)["skewed"].counts
    assert sum(merged["extra"].counts) + merged["extra"].other == 6_000


def _level_counts_by_value(series: pd.Series) -> dict[str, int]:
    """The per-level definition: every distinct value's label, counts added (the oracle)."""
    from collections import Counter

    from mlcheck.kinds import label_of

    counts: Counter[str] = Counter()
    for value, count in series.dropna().value_counts(sort=False).items():
        counts[label_of(value)] += int(count)
    return dict(counts)


@given(
    st.lists(
        st.one_of(st.none(), st.text(max_size=3), st.integers(-3, 3), st.floats(-2, 2, width=16)), max_size=60
    ),
    st.sampled_from(["str", object]),
)
def test_level_counts_of_text_equal_the_per_level_definition(values, dtype):
    from mlcheck.profiling.frames import _object_level_counts

    series = pd.Series(values, dtype=object)
    if dtype == "str":  # a text column: the vectorized path
        series = pd.Series([v if v is None else str(v) for v in values], dtype="str")
    counts, n_missing, _ = _object_level_counts(series)
    assert counts == _level_counts_by_value(series) and n_missing == int(series.isna().sum())


# -- the fast paths against the definitions (issue 18: a faster profile, identical results) ---------
edge_values = st.floats(-1e3, 1e3, allow_nan=False, width=32).map(float)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(finite_or_odd, edge_values, st.just(-0.0)), max_size=200),
    st.lists(edge_values, max_size=90).map(lambda edges: tuple(sorted(set(edges)))),
)
def test_counts_on_known_edges_equal_the_sorted_definition(values, edges):
    """Current side: comparisons per edge (or a search per value past 64 edges), no sort; same summary."""
    from mlcheck.profiling import frames
    from mlcheck.profiling.frames import _numeric_column, _numeric_on_edges, _split_sorted

    array = np.asarray(values, dtype=np.float64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames, "COMPARE_BLOCK", 7)  # many blocks, the last one short
        fast = _numeric_on_edges("float64", array, edges)
    definition = _numeric_column("float64", array, edges, 20, split=_split_sorted(array))
    assert fast.counts == tuple(_oracle_counts(array, edges))  # pandas.cut as the oracle
    assert (fast.edges, fast.counts, fast.missing, fast.neg_inf, fast.pos_inf) == (
        definition.edges,
        definition.counts,
        definition.missing,
        definition.neg_inf,
        definition.pos_inf,
    )
    assert (fast.minimum, fast.maximum) == (definition.minimum, definition.maximum)
    if definition.total is not None and fast.total is not None:  # added in another order: rounding only
        assert math.isclose(fast.total, definition.total, rel_tol=1e-9, abs_tol=1e-6)
    assert np.array_equal(array, np.asarray(values, dtype=np.float64), equal_nan=True)  # input untouched


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), max_size=80), st.booleans())
def test_categorical_counts_from_codes_equal_the_per_level_definition(values, unused_category):
    """A pandas categorical is counted by one bincount of its codes; the missing count is code -1."""
    from mlcheck.profiling.frames import _object_level_counts

    categories = ["a", "b", "c", "d", "never"] if unused_category else ["a", "b", "c", "d"]
    series = pd.Series(pd.Categorical(values, categories=categories))
    counts, n_missing, _ = _object_level_counts(series)
    assert counts == _level_counts_by_value(series.astype(object))
    assert n_missing == sum(v is None for v in values)


def test_a_float_column_is_read_in_place_and_never_written():
    frame = pd.DataFrame({"x": np.array([3.0, np.nan, 1.0, 2.0])})
    before = frame["x"].to_numpy().copy()
    reference = profile(frame, bins=2)
    profile(frame, edges_from=reference)
    np.testing.assert_array_equal(frame["x"].to_numpy(), before)
