"""The one reading of a value for people: cards, terminal text, reports and messages.

The JupyterLab extension reads values with the same rule (``jupyter_ext/src/format.ts``);
both are held to the vectors in ``tests/format_vectors.json``. The rule:

* ``None`` reads ``—``; booleans ``yes``/``no``; strings as they are.
* A number with magnitude at least 1e15, or below 1e-4 (zero aside), reads in
  scientific notation with ``digits`` significant digits, trailing zeros cut and
  a two-digit exponent: ``1.235e-05``, ``2e+20``.
* A number of magnitude at least ``10 ** digits`` reads rounded to a whole
  number, never as ``1.235e+05`` (unreadable) nor ``123500`` (a made-up value):
  123456.7 reads ``123457``.
* Any other number reads with ``digits`` significant digits, trailing zeros
  cut: 0.123456 reads ``0.1235``, 2.50 reads ``2.5``; ``-0`` reads ``0``.
* Non-finite floats read ``nan``, ``inf``, ``-inf`` (the payload stores them
  as those strings).
* Lists show their first six items, ``[a, b, …]``; mappings ``k=v, k=v``.

Ties round half away from zero on the exact binary value, as JavaScript's
``toPrecision``/``toFixed`` do, so both languages print the same digits
(Python's ``format`` would round half to even).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["format_number", "format_value"]

#: magnitudes from here on read in scientific notation
LARGE = 1e15
#: nonzero magnitudes below this read in scientific notation
SMALL = 1e-4
#: a list shows this many items, then "…"
LIST_ITEMS = 6


def _plain(number: Decimal) -> str:
    """A Decimal without exponent and without trailing zeros after the point."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _scientific(number: Decimal, digits: int) -> str:
    exponent = number.adjusted()
    mantissa = number.scaleb(-exponent).quantize(Decimal(1).scaleb(-(digits - 1)), rounding=ROUND_HALF_UP)
    if abs(mantissa) >= 10:  # 9.9996e-05 rounds up to 10.00e-05
        exponent += 1
        mantissa = number.scaleb(-exponent).quantize(Decimal(1).scaleb(-(digits - 1)), rounding=ROUND_HALF_UP)
    sign = "-" if exponent < 0 else "+"
    return f"{_plain(mantissa)}e{sign}{abs(exponent):02d}"


def format_number(value: float, digits: int = 4) -> str:
    """One number by the rule of this module.

    Examples
    --------
    >>> [format_number(v) for v in (123456.7, 0.123456, 2.5, 3, 1.23456e-5, -0.0)]
    ['123457', '0.1235', '2.5', '3', '1.235e-05', '0']
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    number = Decimal(value)  # exact: the binary value itself, so ties round as JavaScript's do
    magnitude = abs(value)
    if magnitude >= LARGE or magnitude < SMALL:
        return _scientific(number, digits)
    if magnitude >= 10**digits:
        return _plain(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    places = digits - 1 - number.adjusted()
    return _plain(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def format_value(value: Any, digits: int = 4) -> str:
    """A short, human reading of an observed value, a threshold or a detail.

    Parameters
    ----------
    value : None, bool, int, float, str, list or mapping (JSON-like)
    digits : int, default 4
        Significant digits of a number.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value({"recall": 0.81234, "n": [1, 2]}), format_value(None), format_value(True)
    ('recall=0.8123, n=[1, 2]', '—', 'yes')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return format_number(value, digits)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        shown = ", ".join(format_value(v, digits) for v in value[:LIST_ITEMS])
        return "[" + shown + (", …]" if len(value) > LIST_ITEMS else "]")
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not hasattr(value, "__len__"):
        return format_value(item(), digits)
    return str(value)


# -- a result as plain text -------------------------------------------------------
#: plain text and cards list every failed outcome up to this many (the rest are counted)
LISTED_FAILED = 12
#: ... and at least this many outcomes in all, passed ones after the failed
LISTED_OUTCOMES = 10


def listed_outcomes(
    outcomes: Sequence[Mapping[str, Any]], *, failed: int = LISTED_FAILED, total: int = LISTED_OUTCOMES
) -> list[Mapping[str, Any]]:
    """The outcomes a card or a text lists: failed ones first (up to ``failed``), then passed ones up to ``total``."""
    listed = [o for o in outcomes if not o.get("passed")][:failed]
    return listed + [o for o in outcomes if o.get("passed")][: max(0, total - len(listed))]


def unlisted_counts(result: Mapping[str, Any], listed: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """How many failed and passed outcomes of ``result`` are not in ``listed``.

    A card's view (:func:`mlcheck.display.cards.card_view`) carries the counts of
    the record it was made from under ``"view"``; a full record is counted itself.
    """
    outcomes = list(result.get("outcomes") or ())
    view = result.get("view")
    counts: Mapping[str, Any] = view if isinstance(view, Mapping) else {}
    n_outcomes = int(counts.get("n_outcomes", len(outcomes)))
    n_failed = int(counts.get("n_failed", sum(1 for o in outcomes if not o.get("passed"))))
    listed_failed = sum(1 for o in listed if not o.get("passed"))
    return n_failed - listed_failed, (n_outcomes - n_failed) - (len(listed) - listed_failed)


def more_line(result: Mapping[str, Any], listed: Sequence[Mapping[str, Any]]) -> str:
    """``… 3 more failed, 40 more held`` for the outcomes not listed, or ``""``."""
    failed, held = unlisted_counts(result, listed)
    words = [f"{failed} more failed" if failed else "", f"{held} more held" if held else ""]
    return "… " + ", ".join(w for w in words if w) if failed or held else ""


def result_text(result: Mapping[str, Any]) -> str:
    """A result (its ``to_dict()`` or a card's view) as plain text: header, message, listed outcomes.

    Examples
    --------
    >>> print(result_text({"name": "check_coverage", "passed": False, "observed": 0.5, "threshold": 0.9,
    ...                    "message": "half the rows are missing",
    ...                    "outcomes": [{"subject": "x", "passed": False, "observed": 0.5, "threshold": 0.9}]}))
    [FAIL] check_coverage: observed 0.5 (threshold 0.9)
      half the rows are missing
      FAIL x: 0.5 vs 0.9
    """
    word = "PASS" if result["passed"] else ("FAIL" if result.get("severity", "error") == "error" else "WARN")
    lines = [
        (
            f"[{word}] {result['name']}: observed {format_value(result.get('observed'))}"
            f" (threshold {format_value(result.get('threshold'))})"
        )
    ]
    if result.get("message"):
        lines.append(f"  {result['message']}")
    listed = listed_outcomes(list(result.get("outcomes") or ()))
    for outcome in listed:
        mark = "ok  " if outcome["passed"] else "FAIL"
        lines.append(
            f"  {mark} {outcome['subject']}: {format_value(outcome.get('observed'))}"
            f" vs {format_value(outcome.get('threshold'))}"
            + (f" — {outcome['message']}" if outcome.get("message") and not outcome["passed"] else "")
        )
    more = more_line(result, listed)
    if more:
        lines.append(f"  {more}")
    return "\n".join(lines)
