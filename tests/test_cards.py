"""mlcheck.display.cards and the card bodies: the record keeps everything, the saved card stays small."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest

from mlcheck.contracts.schema import check_schema
from mlcheck.contracts.shift import check_shift
from mlcheck.display.cards import card_view, render_html, render_text, result_bundle
from mlcheck.display.shift import CARD_HISTOGRAMS
from mlcheck.results import MIME_TYPE, CheckResult, Outcome

#: a card saved in a notebook stays under this many bytes, at any number of features
BUDGET = 20_000


def saved_size(result: CheckResult) -> int:
    """Bytes the card adds to a notebook as nbformat writes it (JSON payload, HTML and text)."""
    empty = nbformat.v4.new_notebook()
    empty.cells.append(nbformat.v4.new_code_cell("mc.check(...)"))
    notebook = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data=result_bundle(result.to_dict()))
    notebook.cells.append(nbformat.v4.new_code_cell("mc.check(...)", outputs=[output]))
    return len(nbformat.writes(notebook).encode()) - len(nbformat.writes(empty).encode())


def _frames(
    n_features: int, *, every: int, n_rows: int = 2_000, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current with ``n_features`` columns (one in five categorical); every ``every``-th moves."""
    rng = np.random.default_rng(seed)
    reference, current = {}, {}
    for i in range(n_features):
        name = f"feature_{i:03d}"
        moved = i % every == 0
        if i % 5 == 4:
            levels = [f"level_{j}" for j in range(8)]
            reference[name] = rng.choice(levels, n_rows)
            current[name] = (
                rng.choice(levels, n_rows, p=[0.6] + [0.4 / 7] * 7) if moved else rng.choice(levels, n_rows)
            )
        else:
            reference[name] = rng.normal(0.0, 1.0, n_rows)
            current[name] = rng.normal(1.0 if moved else 0.0, 1.0, n_rows)
    return pd.DataFrame(reference), pd.DataFrame(current)


@pytest.mark.parametrize("n_features", [12, 85, 500])
@pytest.mark.parametrize("every", [3, 1], ids=["a third drift", "all drift"])
def test_the_shift_record_keeps_every_feature_and_its_saved_card_stays_under_20_kb(n_features, every):
    reference, current = _frames(n_features, every=every)
    result = check_shift(reference, current)
    failing = [o.subject for o in result.outcomes if not o.passed]
    assert len(failing) == len(range(0, n_features, every))
    records = result.details["features"]
    assert list(records) == list(reference.columns)  # every feature, drifted or not
    assert all(
        {"kl", "psi", "p_value", "bins", "reference_pct", "current_pct"} <= set(r) for r in records.values()
    )
    assert saved_size(result) < BUDGET  # wrong before: 101 KB at 500 features
    html = render_html(result.to_dict())
    assert html.count("<svg") == CARD_HISTOGRAMS and failing[0] in html
    if n_features > 12:
        assert f"… {n_features - 12} more features" in html


@pytest.mark.parametrize("n_features", [12, 85, 500])
@pytest.mark.parametrize("every", [3, 1], ids=["a third break", "all break"])
def test_the_schema_record_keeps_every_column_and_its_saved_card_stays_under_20_kb(n_features, every):
    reference, _ = _frames(n_features, every=n_features + 1, n_rows=500)
    batch = reference.copy()
    broken = list(reference.columns[::every])
    batch.loc[batch.index[::2], broken] = None  # half of each broken column missing
    result = check_schema(batch, reference)
    assert [o.subject for o in result.outcomes if not o.passed] == broken
    columns = result.details["columns"]
    assert list(columns) == list(reference.columns)  # every column's figures, failing or not
    assert all({"dtype", "nulls", "null_limit", "outside", "passed"} <= set(c) for c in columns.values())
    assert columns[broken[0]]["nulls"] == 0.5 and not columns[broken[0]]["passed"]
    assert saved_size(result) < BUDGET
    html = render_html(result.to_dict())
    assert broken[0] in html and f"{n_features - len(broken)} of {n_features} columns hold" in html


@pytest.mark.parametrize("width", [60, 200])
def test_a_saved_shift_card_stays_under_20_kb_with_long_names_and_every_feature_drifting(width):
    # the worst case for the card: 20 bins per feature, long names, all 500 drift; the card
    # lists fewer features (and draws fewer histograms) until it fits
    rng = np.random.default_rng(1)
    names = [f"{'customer_account_history_' * 8}"[: width - 4] + f"{i:04d}" for i in range(500)]
    reference = pd.DataFrame({name: rng.normal(0.0, 1.0, 2_000) for name in names})
    current = pd.DataFrame({name: rng.normal(1.0, 1.0, 2_000) for name in names})
    result = check_shift(reference, current)
    assert not any(o.passed for o in result.outcomes) and len(result.details["features"]) == 500
    assert saved_size(result) < BUDGET
    view = result_bundle(result.to_dict())[MIME_TYPE]["result"]
    assert 1 <= len(view["outcomes"]) < 12 and view["view"] == {
        "n_outcomes": 500,
        "n_failed": 500,
        "details_left_out": [],
    }


def test_a_card_view_lists_failed_outcomes_first_and_counts_the_rest():
    outcomes = tuple(Outcome(f"s{i}", i % 7 != 0, i, 10, "low" if i % 7 == 0 else "") for i in range(100))
    result = CheckResult("check_third_party", passed=False, outcomes=outcomes, details={"blob": "x" * 50_000})
    view = card_view(result.to_dict())
    assert [o["subject"] for o in view["outcomes"]] == [f"s{i}" for i in range(0, 84, 7)]  # 12 of 15 failed
    assert view["view"] == {"n_outcomes": 100, "n_failed": 15, "details_left_out": ["blob"]}
    assert card_view(view) == view  # a view is its own view
    assert "… 3 more failed, 85 more held" in render_text(result.to_dict())
    assert "… 3 more failed, 85 more held" in render_html(result.to_dict())
    assert CheckResult.from_dict(json.loads(json.dumps(view))).name == "check_third_party"


def test_the_payload_is_the_view_and_names_the_full_record():
    result = CheckResult("check_x", passed=True, outcomes=tuple(Outcome(f"s{i}", True) for i in range(30)))
    bundle = result_bundle(result.to_dict(), record="0123abcd")
    payload = bundle[MIME_TYPE]
    assert payload["kind"] == "check" and payload["record"] == "0123abcd"
    assert len(payload["result"]["outcomes"]) == 10 and payload["result"]["view"]["n_outcomes"] == 30
    assert "record" not in result_bundle(result.to_dict())[MIME_TYPE]


def test_contracts_import_no_display_and_results_import_nothing_of_mlcheck():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "mlcheck"

    def imported(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    for path in (package / "contracts").glob("*.py"):
        assert not {n for n in imported(path) if n.startswith("mlcheck.display")}, path.name
    for path in (package / "results").glob("*.py"):
        outside = {
            n for n in imported(path) if n.startswith("mlcheck") and not n.startswith("mlcheck.results")
        }
        assert not outside, (path.name, outside)
