"""The card of ``check_schema``: the failing columns with what broke, then how many held.

The result keeps every column's figures (``details["columns"]``); the card names
the failing columns, up to :data:`CARD_COLUMNS`, and counts the rest. It replaces
the shared outcome table: over many columns a row per passing column would make
the saved card large, and the passing ones say nothing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from mlcheck.display.cards import CARD_FAILED, register_card

__all__ = ["CARD_COLUMNS", "schema_view"]

#: a card names at most this many failing columns (every failing one is an outcome of the record)
CARD_COLUMNS = CARD_FAILED
#: per-column maps and lists of the details keep this many entries in a card
_CARD_ENTRIES = 20
#: details only the full record keeps (a card counts them instead)
_RECORD_ONLY = ("columns", "unscorable_rows")


def schema_view(result: Mapping[str, Any], limit: int = CARD_FAILED) -> dict[str, Any]:
    """The details a schema card keeps: counts, and the first ``limit`` entries of each list or map."""
    details: dict[str, Any] = {}
    for key, value in (result.get("details") or {}).items():
        if key in _RECORD_ONLY:
            continue
        if isinstance(value, Mapping):
            value = dict(list(value.items())[: min(_CARD_ENTRIES, limit)])
        elif isinstance(value, list):
            value = value[: min(_CARD_ENTRIES, limit)]
        details[key] = value
    full = result.get("details") or {}
    details.setdefault("n_extra_columns", len(full.get("extra_columns") or ()))
    details["n_failing"] = len(full.get("failing") or ())
    return details


def _schema_card(view: Mapping[str, Any]) -> str:
    details = view.get("details") or {}
    counts = view.get("view") or {}
    failed = [
        o for o in view.get("outcomes") or () if not o.get("passed") and o.get("subject") != "extra_columns"
    ]
    n_failed = int(details.get("n_failing", counts.get("n_failed", len(failed))))
    color = "#cf222e" if view.get("severity", "error") == "error" else "#9a6700"
    rows = "".join(
        f'<tr><td style="color:{color}">✗<td><b>{html.escape(str(o["subject"]))}</b>'
        f"<td>{html.escape(str(o.get('message') or ''))}"
        for o in failed[:CARD_COLUMNS]
    )
    if n_failed > min(len(failed), CARD_COLUMNS):
        rows += f'<tr><td><td colspan="2">… {n_failed - min(len(failed), CARD_COLUMNS)} more failing columns'
    table = f'<table cellpadding="2" style="font-size:12px;margin-top:4px">{rows}</table>' if rows else ""
    n_columns = int(details.get("n_columns") or 0)
    line = f"{n_columns - n_failed} of {n_columns} columns hold over {details.get('n_rows', 0)} rows"
    n_extra = int(details.get("n_extra_columns") or 0)
    if n_extra:
        line += f"; {n_extra} extra column(s) ignored"
    return table + f'<div style="font-size:12px;color:#57606a">{html.escape(line)}</div>'


register_card("check_schema", _schema_card, shows_outcomes=True, view=schema_view)
