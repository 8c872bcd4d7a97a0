"""The cards of the model checks: performance, improvement, parity and repeatability.

Each body draws from the card's view of a result (:func:`mlcheck.display.cards.card_view`).
A performance result keeps every class's metrics and the whole confusion matrix;
its card shows them up to :data:`CARD_CLASSES` classes and says where the rest are.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from mlcheck.display.cards import html_table, register_card
from mlcheck.results import format_value

__all__ = ["CARD_CLASSES", "CARD_ROWS", "performance_view"]

#: a performance card shows per-class metrics and the confusion matrix up to this many classes
CARD_CLASSES = 20
#: example rows a parity or repeatability card shows
CARD_ROWS = 10


# -- check_performance ---------------------------------------------------------------
def performance_view(result: Mapping[str, Any], limit: int = CARD_CLASSES) -> dict[str, Any]:
    """Above CARD_CLASSES classes: the per-class entries a threshold names only, no matrix."""
    details = dict(result.get("details") or {})
    labels = details.get("labels") or []
    n_classes = min(CARD_CLASSES, max(limit, 2))  # a tight card shows fewer classes
    if details.get("task") == "regression" or len(labels) <= n_classes:
        return details
    named = {str(o.get("subject")) for o in result.get("outcomes") or ()}

    def small(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if "[class=" not in k or k in named}

    view = {k: v for k, v in details.items() if k not in ("per_class", "confusion_matrix")}
    view["metrics"] = small(details.get("metrics") or {})
    view["baselines"] = {name: small(values) for name, values in (details.get("baselines") or {}).items()}
    view["labels"] = labels[:n_classes]
    view["n_labels"] = len(labels)
    view["notes"] = [
        *(details.get("notes") or ()),
        (
            f"{len(labels)} classes: the card leaves out per-class values and the confusion matrix above "
            f"{n_classes}; the result's details and run.json keep all of them"
        ),
    ]
    return view


def _performance_card(view: Mapping[str, Any]) -> str:
    """Every metric beside the baselines, the confusion matrix, and the accuracy warning."""
    details = view.get("details") or {}
    metrics: Mapping[str, Any] = details.get("metrics") or {}
    baselines: Mapping[str, Mapping[str, Any]] = details.get("baselines") or {}
    intervals: Mapping[str, Any] = details.get("intervals") or {}
    parts = [
        '<div style="margin-top:4px;padding:3px 6px;background:#fff8c5;color:#7d4e00">'
        f"⚠ {html.escape(str(w))}</div>"
        for w in details.get("warnings") or ()
    ]
    rows = []
    for name, value in metrics.items():
        if "[class=" in name or value is None:
            continue
        row: dict[str, Any] = {"metric": name, "model": value}
        if intervals:
            bounds = intervals.get(name)
            row["interval"] = f"[{format_value(bounds[0])}, {format_value(bounds[1])}]" if bounds else ""
        row.update({f"{base} baseline": values.get(name) for base, values in baselines.items()})
        rows.append(row)
    parts.append(html_table(rows, max_rows=30))
    per_class = details.get("per_class")
    labels = details.get("labels") or []
    if per_class:
        parts.append(
            html_table(
                [
                    {
                        "class": label,
                        **{key: per_class[key][i] for key in ("precision", "recall", "f1", "support")},
                    }
                    for i, label in enumerate(labels)
                ],
            )
        )
    matrix = details.get("confusion_matrix")
    if matrix:
        parts.append(
            '<div style="margin-top:4px;color:#57606a">confusion matrix (rows: true, columns: predicted)</div>'
        )
        parts.append(
            html_table(
                [
                    {
                        "true \\ predicted": label,
                        **{str(p): count for p, count in zip(labels, matrix_row, strict=False)},
                    }
                    for label, matrix_row in zip(labels, matrix, strict=False)
                ],
            )
        )
    if details.get("n_labels"):
        parts.append(
            f'<div style="color:#57606a">{html.escape(str((details.get("notes") or [""])[-1]))}</div>'
        )
    if details.get("threshold") is not None:
        parts.append(
            f'<div style="color:#57606a">decision threshold {format_value(details["threshold"])}</div>'
        )
    return "".join(parts)


# -- check_improvement ---------------------------------------------------------------
def _improvement_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    if "metric" not in details:
        return ""
    row = {
        "metric": details["metric"],
        "champion": details.get("champion"),
        "challenger": details.get("challenger"),
        "lead": details.get("lead"),
        "lower bound": details.get("lower_bound"),
        "margin": details.get("margin"),
    }
    parts = [html_table([row])]
    test = details.get("mcnemar")
    if test:
        parts.append(
            '<div style="color:#57606a;margin-top:2px">McNemar exact: '
            f"{html.escape(str(test['only_challenger_right']))} rows only the challenger gets right, "
            f"{html.escape(str(test['only_champion_right']))} only the champion; "
            f"one-sided p = {html.escape(format_value(test['p_value']))}</div>"
        )
    return "".join(parts)


# -- check_parity and check_repeatable --------------------------------------------------
def _parity_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    parts = [html_table(list(details.get("differing_rows") or []), max_rows=CARD_ROWS)]
    failure = details.get("generated_failure")
    if failure and failure.get("rows"):
        parts.append(html_table(list(failure["rows"]), max_rows=CARD_ROWS))
    return "".join(parts)


def _repeatable_card(view: Mapping[str, Any]) -> str:
    rows = (view.get("details") or {}).get("differing_rows") or []
    return html_table(list(rows), max_rows=CARD_ROWS)


register_card("check_performance", _performance_card, view=performance_view)
register_card("check_improvement", _improvement_card)
register_card("check_parity", _parity_card)
register_card("check_repeatable", _repeatable_card)
