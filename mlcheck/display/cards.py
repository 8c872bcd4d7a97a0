"""Cards: what a notebook, a report and a terminal show of a result, from its plain-JSON record.

The record (:class:`mlcheck.results.CheckResult`) keeps everything a check
computed, whatever its size: every feature of a shift, every column of a
schema. This module decides what a card shows of it. :func:`card_view` makes
the bounded view a card is drawn from, and that view, not the record, is what a
notebook saves (the ``application/vnd.mlcheck.result+json`` payload and its HTML
and text fallbacks): a saved card stays under 20 KB at any number of features.
In an ``mlcheck run`` job the kernel writes the full record beside the run and
``run.json`` gets it (see :mod:`mlcheck.kernel`).

Pure string building, no I/O. The same functions render a card live in a
kernel, in ``report.html`` and in the terminal. A check family registers the
body of its card, and optionally how its view trims the details, with
:func:`register_card`; the frame (status, name, observed vs threshold, the
outcome table) is shared. The bodies of mlcheck's own checks live in
:mod:`mlcheck.display.shift`, :mod:`mlcheck.display.schema` and
:mod:`mlcheck.display.models`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlcheck.errors import Reason, RegistryError
from mlcheck.registry import Registry
from mlcheck.results import MIME_TYPE, PAYLOAD_VERSION, format_value, to_jsonable
from mlcheck.results.format import LISTED_FAILED, LISTED_OUTCOMES, listed_outcomes, more_line, result_text

__all__ = [
    "CARD_FAILED",
    "CARD_OUTCOMES",
    "CARDS",
    "Card",
    "DETAILS_BUDGET",
    "SAVED_BUDGET",
    "card_view",
    "check_payload",
    "format_value",
    "html_table",
    "record_bundle",
    "register_card",
    "render_html",
    "render_text",
    "result_bundle",
    "saved_bytes",
    "status_word",
]

CardBody = Callable[[Mapping[str, Any]], str]
DetailsView = Callable[[Mapping[str, Any], int], dict[str, Any]]
#: where the cards of mlcheck's own checks are registered (imported on first use)
_BUILTIN_CARDS = {
    "check_shift": "mlcheck.display.shift",
    "check_schema": "mlcheck.display.schema",
    "check_performance": "mlcheck.display.models",
    "check_improvement": "mlcheck.display.models",
    "check_parity": "mlcheck.display.models",
    "check_repeatable": "mlcheck.display.models",
    "check_leakage": "mlcheck.display.importance",
    "check_importance": "mlcheck.display.importance",
}


@dataclass(frozen=True)
class Card:
    """What a check's card shows beyond the shared frame (see :func:`register_card`)."""

    body: CardBody
    shows_outcomes: bool = False
    view: DetailsView | None = None


def _as_card(name: str, card: object) -> Card:
    if not isinstance(card, Card):
        raise RegistryError(
            f"card {name!r} must be a mlcheck.display.cards.Card, got {type(card).__name__}",
            reason=Reason.INVALID_TYPE,
            parameter="name",
            value=name,
        )
    return card


#: check name -> its Card; third parties add cards through the ``mlcheck.cards`` entry-point group
CARDS: Registry[Card] = Registry("card", group="mlcheck.cards", builtins=_BUILTIN_CARDS, prepare=_as_card)

#: a card lists every failed outcome up to this many (the rest are counted)
CARD_FAILED = LISTED_FAILED
#: a card lists at least this many outcomes in all: the failed ones first, then passed ones
CARD_OUTCOMES = LISTED_OUTCOMES
#: the details a saved card keeps, in characters of JSON; larger entries are left out (and named)
DETAILS_BUDGET = 6_000
#: the key of a view that says what was left out of the record it shows
VIEW_KEY = "view"
#: what a card may add to a saved notebook, in bytes as nbformat writes it (20 KB with a margin)
SAVED_BUDGET = 18_000
#: the listing limits a bundle tries, largest first, until the card fits SAVED_BUDGET
_LIMITS = (CARD_FAILED, 6, 3, 1, 0)

_PASS, _FAIL, _WARN = "#1a7f37", "#cf222e", "#9a6700"


def register_card(
    check_name: str,
    body: CardBody,
    *,
    shows_outcomes: bool = False,
    view: DetailsView | None = None,
    replace: bool = False,
) -> None:
    """Register the HTML body shown under the card header of ``check_name``.

    Parameters
    ----------
    check_name : str
        The result's ``name``.
    body : callable
        ``body(view) -> str``: HTML drawn from the card's view of a result.
    shows_outcomes : bool, default False
        The body lists the outcomes itself, so the shared outcome table is left out.
    view : callable, optional
        ``view(result, limit) -> dict``: the details a card of this check keeps,
        from the full record (e.g. the twelve features a shift card lists);
        ``limit`` is how many failed subjects the card lists (a bundle lowers it
        until the card fits :data:`SAVED_BUDGET`). Without it, details are kept
        up to :data:`DETAILS_BUDGET`.
    replace : bool, default False
        Replace a card registered under the same name (otherwise refused
        with :class:`~mlcheck.errors.RegistryError`).
    """
    CARDS.register(check_name, Card(body, shows_outcomes, view), replace=replace)


def status_word(result: Mapping[str, Any]) -> str:
    if result["passed"]:
        return "PASS"
    return "FAIL" if result.get("severity", "error") == "error" else "WARN"


# -- the view a card is drawn from -------------------------------------------------
def _within_budget(details: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Leave out the largest detail entries until the rest fit DETAILS_BUDGET."""
    sizes = {key: len(json.dumps(value, default=str)) for key, value in details.items()}
    left_out: list[str] = []
    total = sum(sizes.values())
    for key in sorted(sizes, key=lambda k: -sizes[k]):
        if total <= DETAILS_BUDGET:
            break
        total -= sizes[key]
        left_out.append(key)
    return {k: v for k, v in details.items() if k not in left_out}, left_out


def card_view(result: Mapping[str, Any], *, limit: int = CARD_FAILED) -> dict[str, Any]:
    """The bounded view of a result that a card shows and a saved notebook stores.

    Same shape as ``CheckResult.to_dict()`` (so it reads back as a result), with
    the outcomes a card lists (every failed one up to ``limit``, then passed
    ones up to :data:`CARD_OUTCOMES`), the details the check's card keeps
    (its registered ``view(result, limit)``), and ``view``: ``{"n_outcomes",
    "n_failed", "details_left_out"}`` to count what the card does not list. A
    view passed again is returned unchanged.

    Examples
    --------
    >>> outcomes = [{"subject": f"f{i}", "passed": i != 3} for i in range(40)]
    >>> view = card_view({"name": "check_x", "passed": False, "outcomes": outcomes, "details": {}})
    >>> len(view["outcomes"]), view["outcomes"][0]["subject"], view["view"]
    (10, 'f3', {'n_outcomes': 40, 'n_failed': 1, 'details_left_out': []})
    """
    if isinstance(result.get(VIEW_KEY), Mapping):
        return dict(result)
    name = str(result["name"])
    card = CARDS.find(name)
    outcomes = list(result.get("outcomes") or ())
    details = dict(result.get("details") or {})
    trim = card.view if card is not None else None
    if trim is not None:
        details = trim(result, limit)
    details, left_out = _within_budget(details)
    return {
        **result,
        "details": details,
        "outcomes": listed_outcomes(outcomes, failed=limit, total=min(CARD_OUTCOMES, max(limit, 1))),
        VIEW_KEY: {
            "n_outcomes": len(outcomes),
            "n_failed": sum(1 for o in outcomes if not o.get("passed")),
            "details_left_out": left_out,
        },
    }


# -- payloads ---------------------------------------------------------------------
def check_payload(result: Mapping[str, Any], record: str | None = None) -> dict[str, Any]:
    """The MIME payload of a check: its card view, and the id of the full record when one was written."""
    payload = {"version": PAYLOAD_VERSION, "kind": "check", "result": card_view(result)}
    if record:
        payload["record"] = record
    return payload


def record_payload(name: str, value: Any) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "kind": "record", "name": name, "value": to_jsonable(value)}


def result_bundle(result: Mapping[str, Any], *, record: str | None = None) -> dict[str, Any]:
    """The MIME bundle of a check: the mlcheck payload (the card's view), HTML card, plain text.

    ``record`` is the id under which the full record was written beside the run
    (see :func:`mlcheck.kernel.show`).
    """
    for limit in _LIMITS:  # names, messages and bins vary in length: list fewer until the card fits
        view = card_view(result, limit=limit)
        bundle = {
            MIME_TYPE: check_payload(view, record),
            "text/html": render_html(view),
            "text/plain": render_text(view),
        }
        if saved_bytes(bundle) <= SAVED_BUDGET:
            break
    return bundle


def saved_bytes(bundle: Mapping[str, Any]) -> int:
    """About how many bytes ``bundle`` adds to a notebook file as nbformat writes it.

    nbformat indents JSON by one space per level (a display output's data sits
    six levels deep) and stores a multi-line string as a list of lines.
    """
    text = json.dumps(bundle, indent=1, ensure_ascii=False)
    lines = text.count("\n") + sum(str(bundle.get(k, "")).count("\n") for k in ("text/html", "text/plain"))
    return len(text.encode()) + 8 * lines


def record_bundle(name: str, value: Any) -> dict[str, Any]:
    payload = record_payload(name, value)
    shown = json.dumps(payload["value"]) if not isinstance(payload["value"], str) else payload["value"]
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return {
        MIME_TYPE: payload,
        "text/html": (
            '<div class="mlcheck-record" style="font-family:monospace;font-size:12px;color:#57606a">'
            f"recorded <b>{html.escape(name)}</b> = {html.escape(shown)}</div>"
        ),
        "text/plain": f"recorded {name} = {shown}",
    }


# -- text -------------------------------------------------------------------------
def render_text(result: Mapping[str, Any]) -> str:
    """The card as plain text (terminal, text/plain fallback), from :func:`card_view`."""
    return result_text(card_view(result))


# -- HTML -------------------------------------------------------------------------
def html_table(
    rows: Sequence[Mapping[str, Any]], columns: list[str] | None = None, max_rows: int = 20
) -> str:
    """A compact HTML table of records (used by card bodies)."""
    if not rows:
        return ""
    columns = columns or list(rows[0].keys())
    head = "".join(f'<th style="text-align:left;padding:2px 8px">{html.escape(str(c))}</th>' for c in columns)
    body = []
    for row in rows[:max_rows]:
        cells = "".join(
            f'<td style="padding:2px 8px">{html.escape(format_value(row.get(c)))}</td>' for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    more = (
        f'<tr><td colspan="{len(columns)}" style="padding:2px 8px;color:#57606a">'
        f"… {len(rows) - max_rows} more</td></tr>"
        if len(rows) > max_rows
        else ""
    )
    return (
        '<table style="border-collapse:collapse;font-size:12px;margin-top:4px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}{more}</tbody></table>"
    )


def _outcome_rows(view: Mapping[str, Any]) -> str:
    cell = 'style="padding:2px 8px"'
    rows = []
    for outcome in view.get("outcomes") or ():
        color = _PASS if outcome["passed"] else (_FAIL if view.get("severity", "error") == "error" else _WARN)
        rows.append(
            "<tr>"
            f'<td style="padding:2px 8px;color:{color};font-weight:600">{"✓" if outcome["passed"] else "✗"}</td>'
            f"<td {cell}>{html.escape(str(outcome['subject']))}</td>"
            f"<td {cell}>{html.escape(format_value(outcome.get('observed')))}</td>"
            f"<td {cell}>{html.escape(format_value(outcome.get('threshold')))}</td>"
            f'<td style="padding:2px 8px;color:#57606a">{html.escape(str(outcome.get("message") or ""))}</td>'
            "</tr>"
        )
    if not rows:
        return ""
    more = more_line(view, list(view.get("outcomes") or ()))
    if more:
        rows.append(
            f'<tr><td></td><td colspan="4" style="padding:2px 8px;color:#57606a">{html.escape(more)}</td></tr>'
        )
    return (
        '<table style="border-collapse:collapse;font-size:12px;margin-top:4px"><thead><tr>'
        '<th></th><th style="text-align:left;padding:2px 8px">subject</th>'
        '<th style="text-align:left;padding:2px 8px">observed</th>'
        '<th style="text-align:left;padding:2px 8px">threshold</th><th></th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(result: Mapping[str, Any]) -> str:
    """The card as HTML (notebook fallback, report.html), drawn from :func:`card_view`."""
    view = card_view(result)
    word = status_word(view)
    color = {"PASS": _PASS, "FAIL": _FAIL, "WARN": _WARN}[word]
    name = str(view["name"])
    card = CARDS.find(name)
    body = card.body(view) if card is not None else ""
    message = html.escape(str(view.get("message") or ""))
    return (
        f'<div class="mlcheck-card" data-check="{html.escape(name)}" '
        f'style="border:1px solid #d0d7de;border-left:4px solid {color};border-radius:4px;'
        'padding:6px 10px;margin:4px 0;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px">'
        f'<div><span style="color:{color};font-weight:700">{word}</span> '
        f"<b>{html.escape(name)}</b> "
        f'<span style="color:#57606a">observed {html.escape(format_value(view.get("observed")))}'
        f" · threshold {html.escape(format_value(view.get('threshold')))}</span></div>"
        + (f'<div style="margin-top:2px">{message}</div>' if message else "")
        + ("" if card is not None and card.shows_outcomes else _outcome_rows(view))
        + body
        + "</div>"
    )
