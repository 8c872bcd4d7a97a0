"""Shift: KL/PSI/JS and p-values against scipy, the centred effect, unseen levels, Holm, bad inputs.

Error rates over many seeds are measured in tests/test_calibration.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

import mlcheck as mc
from mlcheck.display.cards import render_html, result_bundle
from mlcheck.contracts.shift import check_shift, shift_report
from mlcheck.contracts.shift_stats import compare_counts
from mlcheck.errors import UsageError
from mlcheck.kernel import recorded_results
from mlcheck.profiling.model import Profile, profile


def _smoothed(counts: np.ndarray) -> np.ndarray:
    return (counts + 0.5) / (counts.sum() + 0.5 * counts.size)


def test_categorical_kl_psi_js_match_scipy_over_the_union_of_levels():
    reference = pd.DataFrame({"c": ["a"] * 500 + ["b"] * 300 + ["c"] * 200})
    current = pd.DataFrame({"c": ["a"] * 200 + ["b"] * 300 + ["c"] * 450 + ["new"] * 50})
    # bins: a, b, c and the current's own new level (no level is rare, the missing bin is empty)
    p = _smoothed(np.array([500, 300, 200, 0]))
    q = _smoothed(np.array([200, 300, 450, 50]))
    row = shift_report(reference, current).loc["c"]
    assert row["kl"] == pytest.approx(rel_entr(q, p).sum(), rel=1e-12)
    assert row["psi"] == pytest.approx((rel_entr(q, p) + rel_entr(p, q)).sum(), rel=1e-12)
    assert row["js"] == pytest.approx(jensenshannon(p, q), rel=1e-12)
    assert row["method"] == "chi-squared" and row["n_bins"] == 4
    assert row["unseen_share"] == pytest.approx(0.05) and row["top_bins"].startswith("a 50.0%->20.0%")


def test_the_table_p_value_is_pearsons_chi_squared_where_expected_counts_are_large():
    reference = np.array([500, 300, 200, 40])
    current = np.array([200, 310, 450, 45])
    stats_ = compare_counts(
        reference, current, rank=np.zeros(4, bool), level=np.zeros(4, bool), alpha=0.01,
        n_resamples=2000, rng=np.random.default_rng(0),
    )
    oracle = stats.chi2_contingency(np.stack([reference, current]), correction=False)
    assert stats_.method == "chi-squared" and stats_.p_value == pytest.approx(oracle.pvalue, rel=1e-9)
    # the effect is PSI minus its expectation under no change, (B - 1)(1/n_ref + 1/n_cur)
    assert stats_.effect == pytest.approx(stats_.psi - 3 * (1 / 1040 + 1 / 1005), rel=1e-12)


def test_the_monte_carlo_p_value_matches_the_exact_permutation_law_of_a_small_table():
    reference, current = np.array([9, 1]), np.array([3, 7])
    m, n_ref = reference + current, int(reference.sum())

    def pearson(a: int) -> float:
        table = np.array([[a, n_ref - a], [m[0] - a, m[1] - n_ref + a]])
        return stats.chi2_contingency(table, correction=False).statistic

    support = range(max(0, n_ref - m[1]), min(m[0], n_ref) + 1)
    law = {a: stats.hypergeom(m.sum(), m[0], n_ref).pmf(a) for a in support}
    observed = pearson(int(reference[0]))
    above = sum(pr for a, pr in law.items() if pearson(a) > observed + 1e-9)
    tied = sum(pr for a, pr in law.items() if abs(pearson(a) - observed) <= 1e-9)
    p_values = [
        compare_counts(
            reference, current, rank=np.zeros(2, bool), level=np.zeros(2, bool), alpha=0.01,
            n_resamples=4000, rng=np.random.default_rng(seed),
        ).p_value
        for seed in range(40)
    ]
    # randomized ties: the p-value is uniform on [P(X > x), P(X >= x)] (plus Monte Carlo noise)
    assert above - 0.01 <= min(p_values) and max(p_values) <= above + tied + 0.01
    assert np.mean(p_values) == pytest.approx(above + tied / 2, abs=0.01)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-100, 100), min_size=2, max_size=80),
    st.lists(st.floats(-100, 100), min_size=1, max_size=80),
)
def test_kl_and_psi_are_non_negative_and_zero_for_a_profile_with_itself(reference, current):
    reference_profile = profile(pd.DataFrame({"x": reference}), bins=8)
    report = shift_report(reference_profile, pd.DataFrame({"x": current}))
    assert report.loc["x", "kl"] >= 0 and report.loc["x", "psi"] >= 0
    assert 0 <= report.loc["x", "p_value"] <= 1
    itself = shift_report(reference_profile, reference_profile).loc["x"]
    assert itself["kl"] == 0 and itself["psi"] == 0 and not itself["drifted"]


def test_the_effect_is_centred_where_the_plug_in_psi_is_biased():
    effects, plug_in = [], []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        report = shift_report(
            pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(list("abcdefgh"), 100)}),
            pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(list("abcdefgh"), 100)}),
            random_state=seed,
        )
        effects += report["effect"].tolist()
        plug_in += report["psi"].tolist()
    assert np.mean(plug_in) > 0.15  # (B - 1)(2 / 100): about 0.38 on 20 bins, 0.14 on 8 levels
    assert abs(np.mean(effects)) < 0.02


def test_a_disappearing_level_weighs_as_much_as_an_appearing_one():
    rng = np.random.default_rng(1)
    with_level = pd.DataFrame({"c": rng.choice(list("abcdefghij"), 5000)})
    without = pd.DataFrame({"c": rng.choice(list("bcdefghij"), 5000)})
    gone = shift_report(with_level, without).loc["c"]
    new = shift_report(without, with_level).loc["c"]
    assert gone["drifted"] and new["drifted"]
    assert gone["psi"] == pytest.approx(new["psi"], rel=0.1)


def test_zip_code_turnover_is_no_alarm_but_a_batch_of_new_codes_is():
    rng = np.random.default_rng(2)
    codes = np.array([f"{i:05d}" for i in range(3000)], dtype=object)
    shares = 1 / np.arange(1, 3001)
    shares /= shares.sum()
    reference = pd.DataFrame({"zip": codes[rng.choice(3000, 5000, p=shares)]})
    same = pd.DataFrame({"zip": codes[rng.choice(3000, 5000, p=shares)]})
    row = shift_report(reference, same).loc["zip"]
    assert not row["drifted"] and row["unseen_share"] > 0.05  # many codes are new, as expected
    # the expected unseen share is about the reference's Good-Turing estimate, singletons / rows
    good_turing = profile(reference)["zip"].unseen_mass
    assert row["unseen_expected"] == pytest.approx(good_turing, rel=0.15)
    new_codes = pd.DataFrame({"zip": [f"n{i}" for i in rng.integers(0, 3000, 5000)]})
    moved = shift_report(reference, new_codes).loc["zip"]
    assert moved["drifted"] and moved["unseen_share"] == 1.0 and moved["p_value"] < 1e-6


def test_holm_and_bh_adjust_like_statsmodels_and_none_leaves_p_values_alone():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    reference = pd.DataFrame({f"x{i}": rng.normal(size=400) for i in range(6)})
    current = pd.DataFrame({f"x{i}": rng.normal(0.08 * i, 1, 400) for i in range(6)})
    raw = shift_report(reference, current, multiplicity="none")
    assert (raw["p_adjusted"] == raw["p_value"]).all()
    for option, method in (("holm", "holm"), ("bh", "fdr_bh")):
        report = shift_report(reference, current, multiplicity=option)
        expected = multipletests(report["p_value"].to_numpy(), method=method)[1]
        np.testing.assert_allclose(report["p_adjusted"].to_numpy(), expected, rtol=1e-12)


def test_seeded_and_independent_of_column_order():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(list("xy"), 20, p=[0.85, 0.15])})
    current = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(list("xy"), 20, p=[0.85, 0.15])})
    first = shift_report(reference, current, random_state=5)
    assert first.equals(shift_report(reference, current, random_state=5))
    swapped = shift_report(reference[["b", "a"]], current[["b", "a"]], random_state=5)
    pd.testing.assert_frame_equal(first, swapped.loc[["a", "b"]])
    assert (first["method"] == "monte carlo").all()
    assert not first["p_value"].equals(shift_report(reference, current, random_state=6)["p_value"])


def test_tiny_shift_on_a_million_rows_is_significant_but_not_flagged():
    rng = np.random.default_rng(7)
    reference = profile(pd.DataFrame({"x": rng.normal(0, 1, 1_000_000)}))
    current = profile(pd.DataFrame({"x": rng.normal(0.02, 1, 1_000_000)}), edges_from=reference)
    row = shift_report(reference, current).iloc[0]
    assert row["p_value"] < 0.01 and row["effect"] < 0.01 and not row["drifted"]


# -- the check -----------------------------------------------------------------------
def _mixed_frames(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    current = pd.DataFrame(
        {
            "age": rng.normal(48, 10, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    return reference, current


def test_check_shift_has_one_outcome_per_feature_and_compact_details():
    reference, current = _mixed_frames()
    result = check_shift(reference, current)
    assert not result.passed and result.name == "check_shift"
    assert [o.subject for o in result.outcomes] == ["age", "income", "city"]
    assert [o.passed for o in result.outcomes] == [False, True, True]
    age = result.details["features"]["age"]
    assert age["drifted"] is True and age["effect"] > 0.1 and age["p_adjusted"] < 0.01
    assert age["p_adjusted"] >= age["p_value"] and age["method"] == "chi-squared"
    assert len(age["bins"]) == len(age["reference_pct"]) == len(age["current_pct"]) == 20
    assert sum(age["reference_pct"]) == pytest.approx(100, abs=0.01)
    assert age["top_bins"][0] == 19  # the upper tail grew most
    assert "moved most" in result.outcomes[0].message
    assert result.details["features"]["city"]["kind"] == "categorical"


def test_profile_reference_and_frame_current_is_the_bundle_path():
    reference, current = _mixed_frames()
    saved = Profile.from_dict(json.loads(json.dumps(profile(reference).to_dict())))
    from_profile = check_shift(saved, current)
    from_frames = check_shift(reference, current)
    assert from_profile.to_dict() == from_frames.to_dict()


def test_frame_reference_and_profile_current_bins_on_the_current_profile():
    reference, current = _mixed_frames()
    anchor = profile(current)
    result = check_shift(reference, anchor)
    assert result.details["n_reference"] == len(reference)


def test_profiles_on_different_edges_are_refused():
    reference, current = _mixed_frames()
    with pytest.raises(UsageError, match="edges_from=reference"):
        check_shift(profile(reference), profile(current))


def test_missing_new_and_retyped_columns_are_reported_not_crashed_on():
    reference, current = _mixed_frames()
    current = current.drop(columns=["income"]).assign(extra=1.0, age=current["age"].astype(str))
    result = check_shift(reference, current)
    by_subject = {o.subject: o for o in result.outcomes}
    assert not by_subject["income"].passed and "missing" in by_subject["income"].message
    assert not by_subject["age"].passed and "numeric in the reference" in by_subject["age"].message
    assert result.details["new_columns"] == ["extra"]
    report = shift_report(reference, current)
    assert report.loc["income", "status"] == "missing_in_current"
    assert report.loc["age", "status"] == "kind_changed" and pd.isna(report.loc["age", "drifted"])
    assert report.loc["extra", "status"] == "new_in_current"


def test_empty_current_fails_every_feature_without_raising():
    reference, current = _mixed_frames()
    result = check_shift(reference, current.iloc[:0])
    assert not result.passed and result.observed is None
    assert all(not o.passed and "no rows" in o.message for o in result.outcomes)


def test_all_missing_current_column_drifts():
    reference, current = _mixed_frames()
    current["income"] = np.nan
    result = check_shift(reference, current)
    income = result.details["features"]["income"]
    assert income["drifted"] and income["bins"][income["top_bins"][0]] == "missing"


def test_an_unseen_level_at_one_percent_is_visible_under_its_own_name():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"c": rng.choice(list("abcd"), 50_000)})
    current = pd.DataFrame({"c": np.where(rng.random(50_000) < 0.01, "zz", rng.choice(list("abcd"), 50_000))})
    record = check_shift(reference, current).details["features"]["c"]
    new = record["bins"].index("zz")
    assert record["reference_pct"][new] == 0 and 0.8 < record["current_pct"][new] < 1.2
    assert 0.008 < record["unseen_share"] < 0.012 and record["unseen_expected"] < 1e-4
    assert record["p_value"] < 1e-10  # real, and large enough to act on: a level out of nowhere
    assert record["top_bins"][0] == new


def test_constant_columns_compare_on_one_bin():
    result = check_shift(pd.DataFrame({"k": [1.5] * 100}), pd.DataFrame({"k": [1.5] * 80}))
    record = result.details["features"]["k"]
    assert result.passed and record["kl"] == 0 and record["p_value"] == 1 and record["bins"] == ["=1.5"]
    moved = check_shift(pd.DataFrame({"k": [1.5] * 100}), pd.DataFrame({"k": [2.5] * 80}))
    assert not moved.passed


def test_max_psi_alone_and_features_subset():
    reference, current = _mixed_frames()
    result = check_shift(reference, current, max_psi=0.2, features=["age", "city"])
    assert [o.subject for o in result.outcomes] == ["age", "city"]
    assert result.threshold == 0.2 and not result.outcomes[0].passed


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"alpha": 0}, "alpha must be a probability"),
        ({"alpha": 1.5}, "alpha must be a probability"),
        ({"max_kl": -1}, "max_kl must be a number"),
        ({"multiplicity": "bonferroni"}, "multiplicity must be one of"),
        ({"n_resamples": 5}, "n_resamples must be"),
        ({"features": ["nope"]}, "not in the reference"),
        ({"severity": "fatal"}, "severity must be"),
    ],
)
def test_bad_options_raise_a_usage_error(options, fragment):
    reference, current = _mixed_frames(200)
    with pytest.raises(UsageError, match=fragment):
        check_shift(reference, current, **options)


def test_public_check_records_its_result():
    from mlcheck import kernel as notebook

    reference, current = _mixed_frames(500)
    try:
        result = mc.check_shift(reference, current)
        assert recorded_results()[-1] is result and result.failed
    finally:
        notebook.clear()  # a failed result left in this process's record would block a later export


# -- size of what a notebook stores ----------------------------------------------------
def test_card_and_result_json_stay_small_for_25_features():
    rng = np.random.default_rng(0)
    n = 200_000
    columns = {f"numeric_{i}": rng.normal(0, 1, n) for i in range(20)}
    columns.update({f"category_{i}": rng.choice([f"level_{j}" for j in range(20)], n) for i in range(5)})
    reference = pd.DataFrame(columns)
    current = reference.sample(frac=1.0, random_state=1).reset_index(drop=True)
    current["numeric_0"] += 0.5
    result = check_shift(reference, current)
    assert len(result.to_json()) < 20_000
    card = render_html(result.to_dict())
    assert len(card) < 20_000 and card.count("<svg") == 1  # only the mover gets a histogram
    bundle = result_bundle(result.to_dict())
    assert "numeric_0" in bundle["text/plain"]


@pytest.mark.slow
def test_in_a_notebook_job_the_card_is_small_and_the_results_read_back(tmp_path):
    import nbformat

    from mlcheck.results import MIME_TYPE
    from mlcheck.runs import run_notebook

    notebook = Path(__file__).parent / "notebooks" / "shift" / "drift.ipynb"
    run = run_notebook(notebook, {"rows": 20_000, "shift": 0.5}, runs_dir=tmp_path, report=False)
    assert run.exit_code == 1 and run.values["drifted"] == ["numeric_0"]
    (result,) = [r for r in run.results if r.name == "check_shift"]
    assert [o.subject for o in result.outcomes if not o.passed] == ["numeric_0"]
    assert len(result.outcomes) == 25
    executed = nbformat.read(run.output_path, as_version=4)
    cards = [
        output["data"]
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output.get("data", {}).get(MIME_TYPE, {}).get("kind") == "check"
    ]
    (card,) = cards
    assert len(card["text/html"]) < 20_000 and "<svg" in card["text/html"]
    assert len(json.dumps(card[MIME_TYPE])) < 20_000


def test_bin_labels_read_as_lower_edges_dates_and_constants():
    from mlcheck.contracts.shift import bin_labels

    assert bin_labels((0.0, 1.0, 2.5)) == ["<0", "0", "1", "2.5"]
    assert bin_labels((1.5, float(np.nextafter(1.5, np.inf)))) == ["<1.5", "=1.5", ">1.5"]
    assert bin_labels(()) == ["all values"]
    moments = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=100, freq="h")})
    later = check_shift(moments, moments + pd.Timedelta(days=1))
    record = later.details["features"]["t"]
    assert record["bins"][1].startswith("2024-01-01T") and record["drifted"]


def test_a_saved_card_over_25_features_stays_under_20_kb():
    """The whole display output, as nbformat writes it into the .ipynb, not only the JSON."""
    import nbformat

    from mlcheck.display.cards import result_bundle

    rng = np.random.default_rng(0)
    n = 5_000
    reference = pd.DataFrame(
        {f"x{i}": rng.normal(size=n) for i in range(20)}
        | {f"c{i}": rng.choice(list("abcdefghijklmnopqrst"), size=n) for i in range(5)}
    )
    current = reference.copy()
    current["x0"] += 0.5
    current["c0"] = np.where(rng.random(n) < 0.3, "new level", current["c0"])
    result = check_shift(reference, current)
    assert {o.subject for o in result.outcomes if not o.passed} == {"x0", "c0"}
    notebook = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data=result_bundle(result.to_dict()))
    notebook.cells.append(nbformat.v4.new_code_cell("mc.check_shift(reference, current)", outputs=[output]))
    assert len(nbformat.writes(notebook).encode()) < 20_000
    html = result_bundle(result.to_dict())["text/html"]
    assert "x0" in html and "c0" in html and "13 more features" in html


DEMO_DATA = Path(__file__).resolve().parent.parent / "example_notebooks" / "data"


@pytest.fixture(scope="module")
def demo_drift() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's 85 training features and its drifted batch (two customer types, an id column)."""
    features = pd.read_parquet(DEMO_DATA / "caravan.parquet").drop(columns=["customer", "Purchase"])
    return features, pd.read_parquet(DEMO_DATA / "batch_drifted.parquet")


def _saved_size(result) -> int:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data=result_bundle(result.to_dict()))
    notebook.cells.append(nbformat.v4.new_code_cell("mc.check_shift(reference, current)", outputs=[output]))
    return len(nbformat.writes(notebook).encode())


def test_over_85_features_the_record_keeps_every_feature_and_the_card_the_failing_ones(demo_drift) -> None:
    from mlcheck.display.explore import shift_features

    reference, current = demo_drift
    result = check_shift(reference, current)
    assert [o.subject for o in result.outcomes] == list(reference.columns)
    failing = [o.subject for o in result.outcomes if not o.passed]
    assert {"MOSTYPE", "MOSHOOFD"} <= set(failing) and len(failing) > 12
    records = result.details["features"]
    # every feature's full record (wrong before: only the failing ones and the top movers,
    # to keep the card small; monitoring over runs needs them all)
    assert list(records) == list(reference.columns)
    for record in records.values():
        assert {"kl", "psi", "js", "p_value", "noise_floor", "drifted", "bins", "reference_pct"} <= set(record)
    assert all(records[name]["drifted"] is True for name in failing)
    assert result.details["n_features"] == 85
    quiet = next(o for o in result.outcomes if o.passed)
    assert 0 <= quiet.observed < 0.1 and records[quiet.subject]["drifted"] is False
    card = render_html(result.to_dict())
    listed = sorted(failing, key=lambda name: -records[name]["kl"])[:12]  # the card's twelve
    assert f"… {85 - 12} more features, {len(failing) - 12} more failing" in card and card.count("<svg") == 2
    assert all(f"<td>{name}<td>" in card for name in listed)
    assert len(shift_features(result.details)) == 85  # explore() gets every feature's bins
    calm = reference.add_suffix("_copy")
    wider = check_shift(
        pd.concat([reference, calm], axis=1), pd.concat([current, calm.iloc[: len(current)]], axis=1)
    )
    assert len(wider.outcomes) == 170 and len(wider.details["features"]) == 170
    mostype = next(o for o in result.outcomes if o.subject == "MOSTYPE")
    assert (
        mostype.message.startswith("adjusted p ")
        and "noise floor" in mostype.message
        and "moved most: " in mostype.message
    )


def test_the_demo_drift_card_over_85_features_stays_small(demo_drift) -> None:
    # 20 of 85 features drift; the saved card (the display layer's view of the full record)
    # stays under 20 KB (wrong before: 31 KB, and 101 KB at 500 features)
    reference, current = demo_drift
    assert _saved_size(check_shift(reference, current)) < 20_000


def test_max_kl_alone_decides_by_kl_and_psi_is_the_default_only_when_neither_is_given() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"age": rng.normal(40, 10, 3000)})
    current = pd.DataFrame({"age": rng.normal(48, 10, 3000)})  # 0.8 sigma: far beyond PSI 0.1
    default = check_shift(reference, current)
    assert not default.passed and default.threshold == 0.1 and default.details["max_psi"] == 0.1
    # loosening max_kl alone loosens the check (the default PSI threshold used to decide anyway)
    loose = check_shift(reference, current, max_kl=10.0)
    assert loose.passed and loose.threshold == 10.0 and loose.details["max_psi"] is None
    assert not check_shift(reference, current, max_kl=10.0, max_psi=0.1).passed  # both given: either decides
