"""The cards of ``check_leakage`` and ``check_importance``: importance as bars with their intervals.

A leakage card draws each feature's importance (mean drop of the score when it
is shuffled) as a bar and its 95% interval as a whisker, the most important
first, up to :data:`CARD_FEATURES`; an importance card draws the training's
importance beside the batch's for the features either ranks on top. The
result keeps every feature (``details["table"]``); the card counts the rest.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from mlcheck.display.cards import CARD_FAILED, register_card
from mlcheck.results import format_value

__all__ = ["CARD_FEATURES", "importance_view"]

#: a card draws at most this many features
CARD_FEATURES = 12
_BAR, _NOW, _WHISKER = "#0969da", "#8250df", "#1f2328"


def importance_view(result: Mapping[str, Any], limit: int = CARD_FAILED) -> dict[str, Any]:
    """The details a card keeps: the first features of the table, and how many there were."""
    details = dict(result.get("details") or {})
    table = list(details.get("table") or ())
    details["table"] = table[: max(3, min(CARD_FEATURES, limit + 2))]
    details["n_table"] = len(table)
    details["unused"] = list(details.get("unused") or ())[:CARD_FEATURES]
    return details


def _scale(values: list[float]) -> float:
    largest = max((abs(v) for v in values), default=0.0)
    return largest if largest > 0 else 1.0


def _bar(value: float, scale: float, colour: str, low: float | None = None, high: float | None = None) -> str:
    """A bar of ``value`` on a 0..scale axis (negative values drawn as zero) with an optional whisker."""
    width = max(0.0, min(value / scale, 1.0)) * 100
    whisker = ""
    if low is not None and high is not None:
        left, right = max(0.0, low / scale) * 100, min(1.0, max(0.0, high / scale)) * 100
        whisker = (
            f'<div style="position:absolute;left:{left:.1f}%;width:{max(right - left, 0.5):.1f}%;top:45%;'
            f'height:2px;background:{_WHISKER}"></div>'
        )
    return (
        '<div style="position:relative;height:10px;width:160px;margin:1px 0;background:#eaeef2">'
        f'<div style="height:100%;width:{width:.1f}%;background:{colour}"></div>{whisker}</div>'
    )


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f'<td style="padding:1px 6px">{cell}</td>' for cell in cells) + "</tr>"


def _leakage_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    table = details.get("table") or []
    scale = _scale([float(entry["high"]) for entry in table])
    rows = [
        _row(
            [
                html.escape(str(entry["feature"])),
                _bar(float(entry["importance"]), scale, _BAR, float(entry["low"]), float(entry["high"])),
                f'{format_value(entry["importance"], 3)} [{format_value(entry["low"], 3)}, '
                f'{format_value(entry["high"], 3)}]',
            ]
        )
        for entry in table
    ]
    more = int(details.get("n_table") or len(table)) - len(table)
    parts = [
        '<table style="border-collapse:collapse;margin-top:4px;font-size:12px"><tr><th style="text-align:left">feature</th>'
        "<th>importance (bar), 95% interval (line)</th><th></th></tr>" + "".join(rows) + "</table>"
    ]
    if more > 0:
        parts.append(f"<div>… {more} more feature(s) in the result's details</div>")
    unused = details.get("unused") or []
    if unused:
        parts.append(f"<div>not measurably used: {html.escape(', '.join(map(str, unused)))}</div>")
    return "".join(parts)


def _importance_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    table = details.get("table") or []
    scale = _scale([max(float(e["reference"]), float(e["current_high"])) for e in table])
    rows = [
        _row(
            [
                html.escape(str(entry["feature"])),
                _bar(float(entry["reference"]), scale, _BAR)
                + _bar(float(entry["current"]), scale, _NOW, float(entry["current_low"]), float(entry["current_high"])),
                f'{format_value(entry["reference"], 3)} → {format_value(entry["current"], 3)}',
            ]
        )
        for entry in table
    ]
    low, high = details.get("agreement_low"), details.get("agreement_high")
    head = (
        f"<div>top {details.get('top')} agreement {format_value(low, 2)} (interval {format_value(low, 2)} "
        f"to {format_value(high, 2)})</div>"
    )
    return head + (
        '<table style="border-collapse:collapse;margin-top:4px;font-size:12px"><tr><th style="text-align:left">feature</th>'
        f'<th><span style="color:{_BAR}">training</span> / <span style="color:{_NOW}">now</span></th>'
        "<th></th></tr>" + "".join(rows) + "</table>"
    )


register_card("check_leakage", _leakage_card, view=importance_view)
register_card("check_importance", _importance_card, view=importance_view)
