"""The one Python histogram renderer: reference vs current share per bin, as an SVG string.

Cards draw it small and bare (two ``<path>`` elements, about 1 KB of a saved
notebook each); :func:`mlcheck.display.explore.explore` draws it
large with a title, a legend, the axis and a tooltip per bar. The JupyterLab
extension's counterpart is ``binsPlot`` in ``jupyter_ext/src/plots.ts``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from mlcheck.results import format_value

__all__ = ["CURRENT_COLOR", "REFERENCE_COLOR", "histogram_svg"]

REFERENCE_COLOR, CURRENT_COLOR = "#8c959f", "#0969da"


def _bars(
    shares: Sequence[float], peak: float, x0: float, slot: float, bar: float, base: float, span: float
) -> str:
    """One SVG path of bars, each ``M x base v -h h w v h z`` (short: no element per bar)."""
    parts = []
    for i, share in enumerate(shares):
        height = round(share / peak * span, 1)
        if height > 0:
            parts.append(f"M{round(x0 + i * slot, 1)} {base}v-{height}h{round(bar, 1)}v{height}z")
    return "".join(parts)


def histogram_svg(
    labels: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    width: int = 260,
    height: int = 56,
    title: str | None = None,
    detailed: bool = False,
) -> str:
    """Reference (grey) and current (blue) bars per bin.

    Parameters
    ----------
    labels : sequence of str, length B
        The bins, in order.
    reference, current : sequence of float, length B
        Each side's share per bin, on any common scale (fractions or percents);
        bar heights are relative to the largest share of both sides.
    width, height : int
        Size in pixels.
    title : str, optional
        A caption above the bars, with a legend beside it.
    detailed : bool, default False
        Also draw the axis (peak and 0, first and last bin) and one element per
        bar with a tooltip (``label: side share``); much larger, for live views.

    Returns
    -------
    str
        ``<svg>…</svg>``; empty when there are no bins.

    Examples
    --------
    >>> svg = histogram_svg(["<30", ">=30"], [0.5, 0.5], [0.2, 0.8])
    >>> svg.startswith("<svg") and svg.count("<path") == 2
    True
    >>> histogram_svg(["<30", ">=30"], [0.5, 0.5], [0.2, 0.8], detailed=True).count("<title>")
    4
    """
    if not labels or not reference:
        return ""
    top = 24 if title else 1
    bottom = 22 if detailed else 0
    left = 36 if detailed else 0
    span = height - top - bottom
    plot_width = width - left - (8 if detailed else 0)
    base = top + span
    peak = max([*reference, *current, 1e-12])
    slot = plot_width / max(len(labels), 1)
    bar = max(slot / 2 - 0.5, 0.5)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            'class="mlcheck-hist" font-family="sans-serif" font-size="10" style="vertical-align:top">'
        )
    ]
    if title:
        parts.append(f'<text x="{left}" y="12" font-weight="600">{html.escape(title)}</text>')
        for offset, name, color in ((160, "reference", REFERENCE_COLOR), (86, "current", CURRENT_COLOR)):
            parts.append(
                f'<rect x="{width - offset}" y="4" width="10" height="10" fill="{color}"/>'
                f'<text x="{width - offset + 14}" y="13">{name}</text>'
            )
    if not detailed:
        parts.append(
            f'<path d="{_bars(reference, peak, left, slot, bar, base, span)}" fill="{REFERENCE_COLOR}"/>'
        )
        parts.append(
            f'<path d="{_bars(current, peak, left + bar, slot, bar, base, span)}" fill="{CURRENT_COLOR}"/>'
        )
        return "".join(parts) + "</svg>"
    parts.append(f'<text x="2" y="{top + 8}">{format_value(peak, 2)}</text><text x="2" y="{base}">0</text>')
    for i, label in enumerate(labels):
        for j, (side, shares, color) in enumerate(
            (("reference", reference, REFERENCE_COLOR), ("current", current, CURRENT_COLOR))
        ):
            value = float(shares[i]) if i < len(shares) else 0.0
            bar_height = value / peak * span
            parts.append(
                f'<rect x="{left + i * slot + j * bar:.1f}" y="{base - bar_height:.1f}" width="{bar:.1f}" '
                f'height="{bar_height:.1f}" fill="{color}"><title>{html.escape(str(label))}: '
                f"{side} {format_value(value, 3)}</title></rect>"
            )
    parts.append(f'<text x="{left}" y="{height - 6}">{html.escape(str(labels[0]))}</text>')
    parts.append(
        f'<text x="{width - 8}" y="{height - 6}" text-anchor="end">{html.escape(str(labels[-1]))}</text>'
    )
    return "".join(parts) + "</svg>"
