"""Interactive exploration of a check result with ipywidgets.

``explore(result)`` works wherever widgets do (JupyterLab, VS Code, the
classic notebook): for a ``check_shift`` result, a feature picker with the
reference-vs-current histogram and the bins that moved most; for a
``check_performance`` result, a decision-threshold slider that updates the
confusion matrix, precision, recall, balanced accuracy and MCC, with the line
of code that applies the chosen threshold. ipywidgets is imported inside
:func:`explore`, so mlcheck itself never needs it. Metrics come from
scikit-learn; this module only reads the counts a result already carries.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlcheck.display import svg
from mlcheck.errors import Reason, UsageError
from mlcheck.registry import Registry
from mlcheck.results import format_value

__all__ = ["explore", "histogram_svg", "moved_bins", "shift_features", "threshold_metrics"]


def _as_dict(result: Any) -> dict[str, Any]:
    if isinstance(result, Mapping):
        return dict(result)
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise UsageError(f"explore() takes a CheckResult (or its to_dict()), got {type(result).__name__}")


# -- shift -------------------------------------------------------------------------
def _shares(info: Mapping[str, Any], side: str) -> list[float] | None:
    """A feature's per-bin shares on one side (``reference``/``current``), as fractions."""
    if info.get(side) is not None:
        return [float(v) for v in info[side]]
    if info.get(f"{side}_pct") is not None:
        return [float(v) / 100.0 for v in info[f"{side}_pct"]]
    return None


def shift_features(details: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The features of a shift result that carry bins (shares as fractions), the most shifted first.

    Examples
    --------
    >>> details = {"features": {"a": {"kl": 0.1, "bins": ["x", "y"], "reference_pct": [50, 50],
    ...                               "current_pct": [80, 20]}}}
    >>> shift_features(details)["a"]["current"]
    [0.8, 0.2]
    """
    usable: dict[str, dict[str, Any]] = {}
    for name, info in (details.get("features") or {}).items():
        if not isinstance(info, Mapping) or not info.get("bins"):
            continue
        reference, current = _shares(info, "reference"), _shares(info, "current")
        if reference is not None and current is not None:
            usable[str(name)] = {**info, "reference": reference, "current": current}
    return dict(sorted(usable.items(), key=lambda item: -(item[1].get("kl") or 0.0)))


def moved_bins(feature: Mapping[str, Any], k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` bins whose share moved most between reference and current.

    Examples
    --------
    >>> feature = {"bins": ["x", "y", "z"], "reference": [0.5, 0.3, 0.2], "current": [0.2, 0.3, 0.5]}
    >>> [row["bin"] for row in moved_bins(feature, k=2)]
    ['x', 'z']
    """
    rows: list[dict[str, Any]] = [
        {"bin": str(label), "reference": float(ref), "current": float(cur), "change": float(cur) - float(ref)}
        for label, ref, cur in zip(feature["bins"], feature["reference"], feature["current"])
    ]
    return sorted(rows, key=lambda row: -abs(row["change"]))[:k]


def histogram_svg(
    feature_name: str, feature: Mapping[str, Any], *, width: int = 520, height: int = 180
) -> str:
    """Reference vs current share per bin as grouped bars with axis and tooltips (an SVG string).

    Drawn by the one histogram renderer, :func:`mlcheck.display.svg.histogram_svg`.

    Examples
    --------
    >>> svg = histogram_svg("age", {"bins": ["<30", ">=30"], "reference": [0.5, 0.5], "current": [0.2, 0.8]})
    >>> svg.startswith("<svg") and svg.count("<rect") == 6
    True
    """
    kl = feature.get("kl")
    return svg.histogram_svg(
        [str(label) for label in feature["bins"]],
        [float(v) for v in feature["reference"]],
        [float(v) for v in feature["current"]],
        width=width,
        height=height,
        title=f"{feature_name}: share per bin (KL {'—' if kl is None else format_value(kl, 3)})",
        detailed=True,
    )


def _moved_table(rows: Sequence[Mapping[str, Any]]) -> str:
    body = "".join(
        f"<tr><td>{html.escape(row['bin'])}</td><td>{row['reference']:.3f}</td><td>{row['current']:.3f}</td>"
        f"<td>{row['change']:+.3f}</td></tr>"
        for row in rows
    )
    return (
        '<table class="mlcheck-explore-moved" style="border-collapse:collapse;font-size:12px">'
        "<thead><tr><th>bin</th><th>reference</th><th>current</th><th>change</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _explore_shift(result: Mapping[str, Any], widgets: Any) -> Any:
    features = shift_features(result.get("details") or {})
    if not features:
        raise UsageError(
            "this check_shift result has no per-feature bins to explore (details['features'] is empty)"
        )
    names = list(features)
    labelled = [(f"{name}{'  (drifted)' if features[name].get('drifted') else ''}", name) for name in names]
    picker = widgets.Dropdown(options=labelled, value=names[0], description="feature")
    picker.add_class("mlcheck-explore-feature")
    plot = widgets.HTML()
    moved = widgets.HTML()
    moved.add_class("mlcheck-explore-moved")

    def draw(change: Any = None) -> None:
        feature = features[picker.value]
        plot.value = histogram_svg(picker.value, feature)
        moved.value = "<b>bins that moved most</b>" + _moved_table(moved_bins(feature))

    picker.observe(draw, names="value")
    draw()
    box = widgets.VBox([picker, plot, moved])
    box.add_class("mlcheck-explore")
    return box


# -- performance ---------------------------------------------------------------------
def threshold_metrics(curve: Mapping[str, Sequence[float]], threshold: float) -> dict[str, Any]:
    """Confusion matrix and label metrics when rows with score >= ``threshold`` are called positive.

    ``curve`` holds, per candidate threshold, the counts ``tp``, ``fp``, ``tn``,
    ``fn`` (as ``details["threshold_curve"]`` of a performance result does); the
    nearest candidate at or below ``threshold`` is used. The metrics are
    scikit-learn's, computed on labels rebuilt from those counts.

    Examples
    --------
    >>> curve = {"thresholds": [0.2, 0.5, 0.8], "tp": [9, 7, 3], "fp": [40, 10, 1],
    ...          "tn": [51, 81, 90], "fn": [0, 2, 6]}
    >>> m = threshold_metrics(curve, 0.5)
    >>> m["confusion_matrix"], round(m["recall"], 3)
    ([[81, 10], [2, 7]], 0.778)
    """
    import numpy as np
    from sklearn import metrics

    thresholds = np.asarray(curve["thresholds"], dtype="float64")
    if thresholds.size == 0:
        raise UsageError("the threshold curve is empty; explore() needs at least one threshold")
    order = np.argsort(thresholds)
    at_or_below = order[thresholds[order] <= threshold]
    index = int(at_or_below[-1]) if at_or_below.size else int(order[0])
    tp, fp, tn, fn = (int(curve[key][index]) for key in ("tp", "fp", "tn", "fn"))
    y_true = np.repeat([1, 1, 0, 0], [tp, fn, fp, tn])
    y_pred = np.repeat([1, 0, 1, 0], [tp, fn, fp, tn])
    return {
        "threshold": float(thresholds[index]),
        "confusion_matrix": [[tn, fp], [fn, tp]],
        "precision": float(metrics.precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(metrics.recall_score(y_true, y_pred, zero_division=0)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "mcc": float(metrics.matthews_corrcoef(y_true, y_pred)),
    }


def class_names(details: Mapping[str, Any]) -> tuple[str, str]:
    """(negative, positive) class names of a binary performance result, as its card shows them.

    >>> class_names({"labels": ["No", "Yes"], "pos_label": "Yes"})
    ('No', 'Yes')
    >>> class_names({})
    ('0', '1')
    """
    labels, positive = details.get("labels"), details.get("pos_label")
    if isinstance(labels, list) and len(labels) == 2 and positive in labels:
        return str(labels[1 - labels.index(positive)]), str(positive)
    return "0", "1"


def _confusion_html(numbers: Mapping[str, Any], names: tuple[str, str] = ("0", "1")) -> str:
    from html import escape

    (tn, fp), (fn, tp) = numbers["confusion_matrix"]
    negative, positive = (escape(name) for name in names)
    cell = 'style="padding:4px 12px;text-align:right;border:1px solid #d0d7de"'
    return (
        '<table class="mlcheck-explore-confusion" style="border-collapse:collapse;font-size:13px">'
        f"<tr><th></th><th {cell}>predicted {negative}</th><th {cell}>predicted {positive}</th></tr>"
        f'<tr><th {cell}>true {negative}</th><td {cell} data-cell="tn">{tn}</td><td {cell} data-cell="fp">{fp}</td></tr>'
        f'<tr><th {cell}>true {positive}</th><td {cell} data-cell="fn">{fn}</td><td {cell} data-cell="tp">{tp}</td></tr>'
        "</table>"
        f'<div style="margin-top:6px;font-size:13px">precision {numbers["precision"]:.3f} · '
        f"recall {numbers['recall']:.3f} · balanced accuracy {numbers['balanced_accuracy']:.3f} · "
        f"MCC {numbers['mcc']:.3f}</div>"
    )


def _at_or_below(ordered: Sequence[float], value: float) -> float:
    """The largest of ``ordered`` at or below ``value`` (the smallest when none is)."""
    import bisect

    index = bisect.bisect_right(ordered, value)
    return ordered[max(index - 1, 0)]


def _slider_stops(thresholds: Sequence[float], start: float, n_stops: int = 101) -> list[float]:
    """About ``n_stops`` curve thresholds spread evenly over its range, the starting one included.

    Scores crowd where the data is, so stepping through every threshold would move
    the slider by quantile; evenly spread stops keep its scale linear.
    """
    low, high = thresholds[0], thresholds[-1]
    grid = [low + (high - low) * i / (n_stops - 1) for i in range(n_stops)]
    return sorted({_at_or_below(thresholds, g) for g in grid} | {_at_or_below(thresholds, start)})


def _explore_performance(result: Mapping[str, Any], widgets: Any) -> Any:
    details = result.get("details") or {}
    curve = details.get("threshold_curve")
    if not isinstance(curve, Mapping) or not curve.get("thresholds"):
        raise UsageError(
            "this check_performance result has no threshold curve (details['threshold_curve']); "
            "it is there when check_performance was given scores (y_score), not only labels"
        )
    thresholds = sorted({float(t) for t in curve["thresholds"]})
    start = float(details.get("threshold", 0.5))
    stops = _slider_stops(thresholds, start)
    # The slider stops only at thresholds the curve has counts for, so its readout is the
    # threshold the matrix and the code line use.
    slider = widgets.SelectionSlider(
        options=[(f"{t:.6g}", t) for t in stops],
        value=_at_or_below(stops, start),
        description="threshold",
        continuous_update=True,
    )
    slider.add_class("mlcheck-explore-threshold")
    matrix = widgets.HTML()
    matrix.add_class("mlcheck-explore-matrix")
    code = widgets.HTML()
    code.add_class("mlcheck-explore-code")

    def draw(change: Any = None) -> None:
        numbers = threshold_metrics(curve, slider.value)
        matrix.value = _confusion_html(numbers, class_names(details))  # the card's class names, not 0/1
        code.value = (
            '<pre style="margin:4px 0">y_pred = (y_score &gt;= '
            f"{numbers['threshold']:.6g}).astype(int)  # the chosen decision threshold</pre>"
        )

    slider.observe(draw, names="value")
    draw()
    box = widgets.VBox([slider, matrix, code])
    box.add_class("mlcheck-explore")
    return box


Explorer = Callable[[Mapping[str, Any], Any], Any]
#: check name -> ``explorer(result_dict, ipywidgets_module) -> widget``; third parties
#: add theirs through the ``mlcheck.explorers`` entry-point group.
EXPLORERS: Registry[Explorer] = Registry("explorer", group="mlcheck.explorers")
EXPLORERS.register("check_shift", _explore_shift)
EXPLORERS.register("check_performance", _explore_performance)


def explore(result: Any) -> Any:
    """An interactive view of a shift or performance result (an ipywidgets box).

    Parameters
    ----------
    result : CheckResult or dict
        A ``check_shift`` or ``check_performance`` result (or its ``to_dict()``).

    Returns
    -------
    ipywidgets.VBox
        Display it (the last expression of a cell does).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mlcheck.contracts.shift import check_shift
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(size=500)})
    >>> current = pd.DataFrame({"x": rng.normal(1.0, size=500)})
    >>> box = explore(check_shift(reference, current, max_kl=0.1))
    >>> type(box).__name__
    'VBox'
    """
    data = _as_dict(result)
    name = str(data.get("name"))
    if name not in EXPLORERS:
        known = [known for known, _ in EXPLORERS.items()]
        raise UsageError(
            f"explore() shows {', '.join(known[:-1])} and {known[-1]} results; got {data.get('name')!r}. "
            "Other results show their card when displayed.",
            reason=Reason.UNKNOWN_NAME,
            parameter="result",
        )
    explorer = EXPLORERS.get(name)
    try:
        import ipywidgets as widgets
    except ImportError:
        raise UsageError("explore() needs ipywidgets: pip install ipywidgets") from None
    return explorer(data, widgets)
