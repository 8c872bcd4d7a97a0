"""The card of ``check_shift``: a table of the features that moved most and their histograms.

The result keeps a record for every feature (KL, PSI, JS distance, p-value,
noise floor and the per-bin shares); the card lists the failing features (up
to :data:`~mlcheck.display.cards.CARD_FAILED`) and the top movers, at least
:data:`CARD_FEATURES` in all, draws the :data:`CARD_HISTOGRAMS` that moved most
and counts the rest, so a saved card stays small at any number of features.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from mlcheck.display.cards import CARD_FAILED, register_card
from mlcheck.display.svg import CURRENT_COLOR, REFERENCE_COLOR, histogram_svg
from mlcheck.results import format_value

__all__ = ["CARD_FEATURES", "CARD_HISTOGRAMS", "CARD_NEW_COLUMNS", "shift_view"]

#: the card's feature table lists every failing feature (up to CARD_FAILED) and at least this many in all
CARD_FEATURES = 12
#: features whose histogram the card draws, the most shifted first (each costs about 2.5 KB saved)
CARD_HISTOGRAMS = 2
#: columns only in the current data that the card names
CARD_NEW_COLUMNS = 20
_HISTOGRAM_KEYS = ("bins", "reference_pct", "current_pct", "top_bins")
#: what the card's table reads of a feature's record (the record keeps more: effect, method, notes)
_TABLE_KEYS = ("kind", "status", "kl", "psi", "js", "p_value", "p_adjusted", "noise_floor", "drifted")


def _failing(record: Mapping[str, Any]) -> bool:
    """A feature fails when it drifted or could not be compared (its record has a status then)."""
    return record.get("drifted") is True or "status" in record


def _ranked(result: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Features with a record, failing first, then by KL, largest first."""
    features: Mapping[str, Mapping[str, Any]] = (result.get("details") or {}).get("features") or {}
    return sorted(features.items(), key=lambda item: (not _failing(item[1]), -(item[1].get("kl") or 0.0)))


def _card_record(record: Mapping[str, Any], *, histogram: bool) -> dict[str, Any]:
    """What the card reads of one feature: its table row, and its bins when it gets a histogram."""
    kept = {k: v for k, v in record.items() if k in _TABLE_KEYS or (histogram and k in _HISTOGRAM_KEYS)}
    if "p_adjusted" in kept:  # the table shows the p-value the decision used
        kept.pop("p_value", None)
    return kept


def shift_view(result: Mapping[str, Any], limit: int = CARD_FAILED) -> dict[str, Any]:
    """The details a shift card keeps: the listed features, histograms for the top movers only.

    ``limit`` features are listed (CARD_FEATURES at most); a tighter limit,
    asked for when names or bins are long, also draws fewer histograms.
    """
    details = dict(result.get("details") or {})
    ranked = _ranked(result)
    n_failing = sum(1 for _, record in ranked if _failing(record))
    listed = ranked[: min(max(CARD_FEATURES, min(n_failing, CARD_FAILED)), limit)]
    n_histograms = CARD_HISTOGRAMS if limit >= CARD_FEATURES else (1 if limit >= 3 else 0)
    movers = [name for name, record in listed if record.get("kl") and record.get("bins")][:n_histograms]
    details["features"] = {name: _card_record(record, histogram=name in movers) for name, record in listed}
    details.setdefault("n_features", len(ranked))
    details["n_failing"] = n_failing
    new_columns = list(details.get("new_columns") or ())
    details["new_columns"] = new_columns[: min(CARD_NEW_COLUMNS, limit)]
    details["n_new_columns"] = len(new_columns)
    if details.get("importance") is not None:  # check_shift(importance=): only the listed features' values
        weights = details["importance"]
        details["importance"] = {name: weights.get(name) for name, _ in listed}
        for key in ("drifted_by_importance", "ignored"):
            details[key] = list(details.get(key) or ())[: min(CARD_FEATURES, limit)]
    return details


def _yes_no(drifted: Any) -> str:
    return "—" if drifted is None else ("<b>yes</b>" if drifted else "no")


def _shift_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    listed = _ranked(view)
    # check_shift(importance=): what the model relies on, beside KL; a drift it ignores is marked so
    weights = details.get("importance")
    ignored = set(details.get("ignored") or ())
    rows = "".join(
        f"<tr><td>{html.escape(name)}<td>{format_value(r.get('kl'), 3)}<td>{format_value(r.get('psi'), 3)}"
        f"<td>{format_value(r.get('js'), 3)}<td>{format_value(r.get('p_adjusted', r.get('p_value')), 2)}"
        f"<td>{format_value(r.get('noise_floor'), 2)}<td>{_yes_no(r.get('drifted'))}"
        + ("" if weights is None else f"<td>{format_value(weights.get(name), 3)}" + (" (ignored)" if name in ignored else ""))
        for name, r in listed
    )
    n_features = int(details.get("n_features") or len(listed))
    if n_features > len(listed):
        more_failing = int(details.get("n_failing") or 0) - sum(1 for _, record in listed if _failing(record))
        tail = f"{more_failing} more failing" if more_failing > 0 else "none drifted"
        rows += (
            f'<tr><td colspan="7" style="color:#57606a">… {n_features - len(listed)} more features, {tail}'
        )
    # checks of several features report the multiplicity-adjusted p-value their decision used
    p_label = "adjusted p" if any("p_adjusted" in r for _, r in listed) else "p"
    table = (
        '<table cellpadding="2" style="font-size:12px;margin-top:6px"><tr><th align="left">feature (by KL)'
        f"<th>KL<th>PSI<th>JS<th>{p_label}<th>noise floor<th>drifted"
        + ("" if weights is None else "<th>importance")
        + rows
        + "</table>"
    )
    charts = "".join(
        '<div style="display:inline-block;margin:4px 12px 0 0;font-size:11px">'
        f"<b>{html.escape(name)}</b> KL {format_value(r.get('kl'), 3)}<br>"
        f"{histogram_svg(r['bins'], r.get('reference_pct') or [], r.get('current_pct') or [])}<br>"
        + html.escape(", ".join(str(r["bins"][i]) for i in r.get("top_bins", [])))
        + "</div>"
        for name, r in listed
        if r.get("kl") and r.get("bins") and r.get("reference_pct")
    )
    legend = (
        f'<div style="font-size:11px;color:#57606a">bars: <span style="color:{REFERENCE_COLOR}">reference</span> · '
        f'<span style="color:{CURRENT_COLOR}">current</span>; captions: the bins that moved most</div>'
        if charts
        else ""
    )
    return table + charts + legend


register_card("check_shift", _shift_card, shows_outcomes=True, view=shift_view)
