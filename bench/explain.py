"""Speed of Bundle.explain (issue 16): what explaining costs beside scoring.

* ``linear``: ``bundle.explain(frame)`` on 100,000 rows of a scaled + one-hot
  logistic pipeline, against the bare ``model.predict_proba(frame)`` on the
  same rows. Target: at most 1.5x.
* ``tree``: ``bundle.explain(frame)`` on 20,000 rows of a one-hot +
  gradient-boosting pipeline, against calling shap directly
  (``TreeExplainer(model[-1]).shap_values(model[:-1].transform(frame))``).
  Target: mlcheck's overhead under 1.1x.

Each timing is the median of ``--repeats`` runs (after one warm-up run);
results go to ``bench/results/explain.json``.

    python bench/explain.py                 # both, 5 repeats
    python bench/explain.py --only linear --repeats 9
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "explain.json"


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "credit_history_months": rng.integers(1, 240, n).astype(float),
            "outstanding_debt": rng.gamma(2.0, 3000.0, n),
            "inquiries": rng.poisson(1.5, n).astype(float),
            "income": rng.lognormal(10.5, 0.5, n),
            "region": rng.choice(["north", "south", "east", "west", "centre"], n),
            "product": rng.choice(["card", "loan", "mortgage"], n),
        }
    )
    logit = (
        -0.01 * (X["credit_history_months"] - 120)
        + 0.0001 * (X["outstanding_debt"] - 6000)
        + 0.3 * (X["inquiries"] - 1.5)
        + (X["region"] == "north") * 0.5
    )
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _pipeline(final: Any) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["credit_history_months", "outstanding_debt", "inquiries", "income"]
    return make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["region", "product"]),
            ]
        ),
        final,
    )


def _median(call: Callable[[], Any], repeats: int) -> float:
    call()  # warm-up: imports, numba compilation, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bundle(model: Any, X: pd.DataFrame, folder: Path) -> Any:
    import mlcheck as mc

    return mc.export(model, folder, reference=X)


def linear(repeats: int, folder: Path) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    X, y = _frame(20_000, 0)
    model = _pipeline(LogisticRegression(max_iter=1000)).fit(X, y)
    bundle = _bundle(model, X, folder / "linear")
    batch, _ = _frame(100_000, 1)
    bare = _median(lambda: model.predict_proba(batch), repeats)
    explained = _median(lambda: bundle.explain(batch), repeats)
    return {"rows": len(batch), "predict_proba_s": bare, "explain_s": explained, "ratio": explained / bare, "target": 1.5}


def tree(repeats: int, folder: Path) -> dict[str, Any]:
    import shap
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _frame(20_000, 2)
    model = _pipeline(HistGradientBoostingClassifier(max_iter=50, random_state=0)).fit(X, y)
    bundle = _bundle(model, X, folder / "tree")
    batch, _ = _frame(20_000, 3)

    def direct() -> Any:
        explainer = shap.TreeExplainer(model[-1], feature_perturbation="tree_path_dependent")
        return explainer.shap_values(model[:-1].transform(batch), check_additivity=False)

    shap_s = _median(direct, repeats)
    explained = _median(lambda: bundle.explain(batch), repeats)
    return {"rows": len(batch), "shap_direct_s": shap_s, "explain_s": explained, "ratio": explained / shap_s, "target": 1.1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["linear", "tree"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, run in (("linear", linear), ("tree", tree)):
            if args.only in (None, name):
                found = run(args.repeats, Path(folder))
                results[name] = found
                baseline = found.get("predict_proba_s", found.get("shap_direct_s"))
                print(
                    f"{name}: {found['rows']:,} rows, baseline {baseline:.3f} s, explain {found['explain_s']:.3f} s "
                    f"(medians of {args.repeats}), ratio {found['ratio']:.2f}x (target <= {found['target']}x)"
                )
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
