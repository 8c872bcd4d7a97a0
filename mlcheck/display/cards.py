"""Cards: how a result looks as text and as HTML, from its plain-JSON payload.

Pure string building, no I/O. The same functions render a card live in a
kernel, in ``report.html`` and in the terminal, so a result looks the same
everywhere. A check family may register the body of its own card with
:func:`register_card`; the frame (status, name, observed vs threshold) is shared.
"""

from __future__ import annotations

import html
import json
from typing import Any, Callable, Mapping

from mlcheck.results import MIME_TYPE, PAYLOAD_VERSION, to_jsonable

CardBody = Callable[[Mapping[str, Any]], str]
_CARD_BODIES: dict[str, CardBody] = {}
_OWN_OUTCOME_TABLE: set[str] = set()

_PASS, _FAIL, _WARN = "#1a7f37", "#cf222e", "#9a6700"


def register_card(check_name: str, body: CardBody, *, shows_outcomes: bool = False) -> None:
    """Register the HTML body shown under the card header of ``check_name``.

    ``shows_outcomes=True`` says the body lists the outcomes itself, so the
    shared outcome table is left out.
    """
    _CARD_BODIES[check_name] = body
    if shows_outcomes:
        _OWN_OUTCOME_TABLE.add(check_name)


def _ensure_bodies_loaded(check_name: str) -> None:
    # Card bodies live beside their checks; import the family on first use.
    if check_name in _CARD_BODIES:
        return
    from mlcheck.contracts import load_check_module

    load_check_module(check_name)


def format_value(value: Any, digits: int = 4) -> str:
    """A short, human reading of an observed value or threshold."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v, digits) for v in value[:6]) + (", …]" if len(value) > 6 else "]")
    return str(value)


def status_word(result: Mapping[str, Any]) -> str:
    if result["passed"]:
        return "PASS"
    return "FAIL" if result.get("severity", "error") == "error" else "WARN"


def result_label(result: Mapping[str, Any]) -> str:
    return str(result["name"])


# -- payloads ---------------------------------------------------------------
def check_payload(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "kind": "check", "result": dict(result)}


def record_payload(name: str, value: Any) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "kind": "record", "name": name, "value": to_jsonable(value)}


def result_bundle(result: Mapping[str, Any]) -> dict[str, Any]:
    """The MIME bundle of a check: mlcheck JSON, HTML card, plain text."""
    return {
        MIME_TYPE: check_payload(result),
        "text/html": render_html(result),
        "text/plain": render_text(result),
    }


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


# -- text -------------------------------------------------------------------
def render_text(result: Mapping[str, Any]) -> str:
    lines = [
        f"[{status_word(result)}] {result_label(result)}: observed {format_value(result.get('observed'))}"
        f" (threshold {format_value(result.get('threshold'))})"
    ]
    if result.get("message"):
        lines.append(f"  {result['message']}")
    outcomes = list(result.get("outcomes") or ())
    for outcome in _listed(outcomes):
        mark = "ok  " if outcome["passed"] else "FAIL"
        lines.append(
            f"  {mark} {outcome['subject']}: {format_value(outcome.get('observed'))}"
            f" vs {format_value(outcome.get('threshold'))}"
            + (f" — {outcome['message']}" if outcome.get("message") and not outcome["passed"] else "")
        )
    if len(outcomes) > len(_listed(outcomes)):
        lines.append(f"  … {len(outcomes) - len(_listed(outcomes))} more held")
    return "\n".join(lines)


def _listed(outcomes: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The outcomes a card lists: every failed one first, then passed ones up to CARD_OUTCOMES."""
    ordered = sorted(outcomes, key=lambda o: bool(o["passed"]))  # stable: failed first, in order
    return ordered[: max(CARD_OUTCOMES, sum(1 for o in outcomes if not o["passed"]))]


# -- HTML -------------------------------------------------------------------
def html_table(rows: list[Mapping[str, Any]], columns: list[str] | None = None, max_rows: int = 20) -> str:
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


#: a card lists at most this many outcomes: every failed one first, then passed ones
CARD_OUTCOMES = 10


def _outcome_rows(result: Mapping[str, Any]) -> str:
    outcomes = list(result.get("outcomes") or ())
    shown = _listed(outcomes)
    cell = 'style="padding:2px 8px"'
    rows = []
    for outcome in shown:
        color = _PASS if outcome["passed"] else (_FAIL if result.get("severity", "error") == "error" else _WARN)
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
    if len(outcomes) > len(shown):
        rows.append(
            f'<tr><td></td><td colspan="4" style="padding:2px 8px;color:#57606a">'
            f"… {len(outcomes) - len(shown)} more held</td></tr>"
        )
    return (
        '<table style="border-collapse:collapse;font-size:12px;margin-top:4px"><thead><tr>'
        '<th></th><th style="text-align:left;padding:2px 8px">subject</th>'
        '<th style="text-align:left;padding:2px 8px">observed</th>'
        '<th style="text-align:left;padding:2px 8px">threshold</th><th></th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(result: Mapping[str, Any]) -> str:
    word = status_word(result)
    color = {"PASS": _PASS, "FAIL": _FAIL, "WARN": _WARN}[word]
    _ensure_bodies_loaded(str(result["name"]))
    body_fn = _CARD_BODIES.get(str(result["name"]))
    body = body_fn(result) if body_fn else ""
    message = html.escape(str(result.get("message") or ""))
    return (
        f'<div class="mlcheck-card" data-check="{html.escape(str(result["name"]))}" '
        f'style="border:1px solid #d0d7de;border-left:4px solid {color};border-radius:4px;'
        'padding:6px 10px;margin:4px 0;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px">'
        f'<div><span style="color:{color};font-weight:700">{word}</span> '
        f"<b>{html.escape(result_label(result))}</b> "
        f'<span style="color:#57606a">observed {html.escape(format_value(result.get("observed")))}'
        f' · threshold {html.escape(format_value(result.get("threshold")))}</span></div>'
        + (f'<div style="margin-top:2px">{message}</div>' if message else "")
        + ("" if str(result["name"]) in _OWN_OUTCOME_TABLE else _outcome_rows(result))
        + body
        + "</div>"
    )
