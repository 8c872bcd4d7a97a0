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
from numbers import Integral
from typing import Any

from mlcheck._validation import Interval, validate_options
from mlcheck.display.cards import CARD_FAILED, register_card
from mlcheck.results import format_value

__all__ = ["CARD_FEATURES", "Scorecard", "importance_view", "scorecard"]

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


class Scorecard:
    """One row's drivers as a credit-style scorecard: the score, then each feature's push.

    Made by :func:`scorecard`; shown as HTML in a notebook and as text elsewhere.
    """

    def __init__(self, label: Any, score: float, base: float, scale: str, drivers: list[tuple[str, Any, float]],
                 rest: tuple[int, float]) -> None:
        self.label, self.score, self.base, self.scale = label, score, base, scale
        self.drivers, self.rest = drivers, rest

    def _headline(self) -> str:
        text = f"score {self.score:+.3f} ({self.scale})"
        if self.scale.startswith("log-odds"):  # the probability a person reads, from the log-odds explained
            import math

            text += f" = probability {1 / (1 + math.exp(-self.score)):.0%}"
        return text

    def __repr__(self) -> str:
        lines = [f"row {self.label!r}: {self._headline()}", f"  base value {self.base:+.3f}"]
        lines += [f"  {name} = {value}: {contribution:+.3f}" for name, value, contribution in self.drivers]
        if self.rest[0]:
            lines.append(f"  {self.rest[0]} other feature(s): {self.rest[1]:+.3f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        scale = _scale([abs(c) for _, _, c in self.drivers])
        rows = []
        for name, value, contribution in self.drivers:
            width = abs(contribution) / scale * 80
            colour = "#cf222e" if contribution > 0 else "#1a7f37"
            bar = (
                '<div style="display:flex;width:160px"><div style="width:80px;display:flex;justify-content:flex-end">'
                + (f'<div style="height:10px;width:{width:.1f}px;background:{colour}"></div>' if contribution < 0 else "")
                + '</div><div style="width:80px">'
                + (f'<div style="height:10px;width:{width:.1f}px;background:{colour}"></div>' if contribution >= 0 else "")
                + "</div></div>"
            )
            rows.append(_row([html.escape(f"{name} = {value}"), bar, f"{contribution:+.3f}"]))
        if self.rest[0]:
            rows.append(_row([f"{self.rest[0]} other feature(s)", "", f"{self.rest[1]:+.3f}"]))
        return (
            '<div style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:12px;'
            'border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;max-width:560px">'
            f"<div><b>row {html.escape(str(self.label))}</b>: {html.escape(self._headline())}</div>"
            f'<div style="color:#57606a">base value {self.base:+.3f}; red pushes the score up, green down</div>'
            '<table style="border-collapse:collapse;margin-top:4px;font-size:12px">' + "".join(rows) + "</table></div>"
        )


@validate_options({"top": [Interval(Integral, 1, None)]})
def scorecard(explanation: Any, frame: Any, row: Any = None, *, top: int = 5) -> Scorecard:
    """One row of ``bundle.explain(frame)`` as a scorecard: the score and its ``top`` drivers.

    Parameters
    ----------
    explanation : pandas.DataFrame
        What :meth:`mlcheck.Bundle.explain` returned for ``frame``.
    frame : pandas.DataFrame
        The batch explained (for the features' values).
    row : index label, optional
        The row to show; default the first.
    top : int, default 5
        Drivers listed, by absolute contribution; the others are summed in one line.

    Returns
    -------
    Scorecard
        Shown as HTML in a notebook, as text by ``print``.

    Raises
    ------
    UsageError
        The row is not in the explanation, or has no explanation (rejected by the schema).

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcheck.display.importance import scorecard
    >>> frame = pd.DataFrame({"months": [10.0], "debt": [5000.0]})
    >>> explanation = pd.DataFrame({"months": [0.14], "debt": [0.05], "base_value": [-1.0]})
    >>> explanation.attrs["scale"] = "log-odds of class 1 (decision_function)"
    >>> print(scorecard(explanation, frame))
    row 0: score -0.810 (log-odds of class 1 (decision_function)) = probability 31%
      base value -1.000
      months = 10: +0.140
      debt = 5000: +0.050
    """
    from mlcheck.errors import Reason, UsageError

    label = explanation.index[0] if row is None else row
    if label not in explanation.index:
        raise UsageError(f"scorecard: row {label!r} is not in the explanation's index", reason=Reason.INVALID_DATA)
    entry = explanation.loc[label]
    values = frame.loc[label]
    if getattr(entry, "ndim", 1) != 1 or getattr(values, "ndim", 1) != 1:
        raise UsageError(f"scorecard: the index label {label!r} names several rows; give a unique index")
    reason = entry.get("not_explained")
    if isinstance(reason, str):
        raise UsageError(f"scorecard: row {label!r} has no explanation ({reason})", reason=Reason.INVALID_DATA)
    names = [name for name in explanation.columns if name not in ("base_value", "not_explained")]
    contributions = entry[names].astype(float)
    order = contributions.abs().sort_values(ascending=False, kind="stable").index
    shown = list(order[:top])
    drivers = [(str(name), _value(values[name]), float(contributions[name])) for name in shown]
    rest = contributions.drop(index=shown)
    base = float(entry["base_value"])
    return Scorecard(label, base + float(contributions.sum()), base, str(explanation.attrs.get("scale", "score")),
                     drivers, (len(rest), float(rest.sum())))


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
