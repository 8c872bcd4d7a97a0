"""The monitoring dashboard: one self-contained HTML page of a notebook's runs over time.

Plots are drawn with matplotlib and inlined as SVG. Why matplotlib: it is the
most widely kept Python plotting library, it renders headless with no browser,
and its SVG needs no JavaScript, so the page is small (tens of KB), opens
offline, survives e-mail and CI artifact viewers, and the same figures show in
a notebook. Interactive libraries (plotly, Bokeh, Altair) either inline
megabytes of JavaScript or load it from a network, which a monitoring page
opened on a locked-down machine must not need.

Page: the state and its alerts; the share of each column's values outside
the training range, for the columns that had any, and realized performance
once labels arrived (both judged by their checks' own thresholds); a time
series per watched metric (rows, coverage, duration, latency, metrics,
recorded values) with anomalies (red points) and breakouts (dashed lines)
marked (not on rows and duration, which the alert policy judges in
proportion); the PSI of the features that drifted most; a features x runs
heat map of PSI.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlcheck.monitoring.alerts import MonitorState

__all__ = ["Dashboard", "render_dashboard", "show", "write_dashboard"]

#: features shown as their own PSI series, by largest PSI over the runs
TOP_FEATURES = 6
#: features in the heat map, by largest PSI
HEATMAP_FEATURES = 40
#: series the alert policy judges in proportion to the usual (no detector marks on their plots)
PROPORTIONAL = ("rows", "duration")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure and its axes made without pyplot.

    pyplot would need a backend: choosing one (``matplotlib.use``) switches a
    notebook's inline backend away, and pyplot's figure registry is not
    thread-safe (the Jupyter server draws in a worker thread). A bare Figure
    draws to SVG with no backend and is freed with its last reference.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG


def _series_plot(
    frame: pd.DataFrame, column: str, *, period: int | None, title: str | None = None, detect: bool = True
) -> str:
    import numpy as np

    from mlcheck.monitoring.detectors import anomalies, breakouts, without

    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    times = frame.index
    figure, axes = _figure(7.5, 2.1)
    axes.plot(times, values, color="#0550ae", linewidth=1.2, marker="o", markersize=2.5)
    # rows and duration are judged in proportion by the alert policy, not by the detectors
    if detect and column not in PROPORTIONAL and np.isfinite(values).sum() >= 14:
        spots = anomalies(values, period=period)
        if spots.size:
            axes.scatter(times[spots], values[spots], color="#cf222e", zorder=3, s=28, label="anomaly")
        for start in breakouts(without(values, spots), period=period):
            axes.axvline(times[start], color="#9a6700", linestyle="--", linewidth=1, label="breakout")
        handles, labels = axes.get_legend_handles_labels()
        if handles:
            unique = dict(zip(labels, handles))
            axes.legend(unique.values(), unique.keys(), loc="upper left", fontsize=7, frameon=False)
    axes.set_title(title or column, fontsize=9, loc="left")
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _svg(figure)


def _heatmap(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    import numpy as np

    data = np.array([frame[column].to_numpy(dtype=float, na_value=np.nan) for column in columns.values()])
    figure, axes = _figure(7.5, 0.18 * len(columns) + 1.2)
    image = axes.imshow(data, aspect="auto", cmap="viridis", interpolation="nearest", vmin=0)
    axes.set_yticks(range(len(columns)), list(columns), fontsize=6)
    step = max(1, len(frame) // 10)
    axes.set_xticks(range(0, len(frame), step), [str(t)[:10] for t in frame.index[::step]], fontsize=6, rotation=45)
    figure.colorbar(image, ax=axes, label="PSI", shrink=0.8)
    axes.set_title("PSI per feature and run", fontsize=9, loc="left")
    return _svg(figure)


def _style(scope: str) -> str:
    """The page's CSS with every rule under ``scope`` ("body" for the page, a class inside a notebook)."""
    rules = {
        "": "font:14px system-ui,sans-serif;margin:2em;max-width:60em;color:#1f2328",
        "h1": "font-size:1.4em",
        "h2": "font-size:1.1em;margin-top:2em",
        ".alert": "color:#a40e26;font-weight:600",
        "pre": "background:#f6f8fa;padding:1em;white-space:pre-wrap",
        "svg": "max-width:100%;height:auto",
    }
    return "".join(f"{scope} {selector}".rstrip() + "{" + rule + "}" for selector, rule in rules.items())


def render_dashboard(frame: pd.DataFrame, state: MonitorState, *, period: int | None = None) -> str:
    """The dashboard of ``frame`` (a :func:`mlcheck.monitor` frame) as one HTML page.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run, in batch-time order.
    state : MonitorState
        From :func:`mlcheck.monitoring.alerts.evaluate_alerts` on the same frame.
    period : int, optional
        Season length for the detectors that mark the plots.

    Returns
    -------
    str
        A self-contained HTML document (inline SVG, no script, no network).
    """
    from mlcheck.monitoring.alerts import format_state, summary
    from mlcheck.monitoring.series import feature_columns

    runs = frame[frame["status"].astype(str) != "damaged"] if "status" in frame else frame
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>mlcheck monitor: {html.escape(state.notebook)}</title>",
        f"<style>{_style('body')}</style></head><body>",
        f"<h1>mlcheck monitor: {html.escape(state.notebook)}</h1>",
        # "no alert" would read as healthy while a job has failed for weeks: say what is still bad, since when
        f"<p class='{'alert' if state.alerts or state.ongoing else ''}'>At the latest run: {html.escape(summary(state))}.</p>",
        "<pre>" + html.escape("\n".join(format_state(state))) + "</pre>",
    ]
    if len(runs):
        outside = {f: c for f, c in feature_columns(runs, "outside").items() if (runs[c].fillna(0) > 0).any()}
        if outside:
            parts.append("<h2>Share of values outside the training range, columns with any</h2>")
            parts.append("<p>Judged by <code>check_schema</code>'s <code>max_out_of_range</code> (a failed check is a status alert).</p>")
            parts += [_series_plot(runs, column, period=period, detect=False) for column in outside.values()]
        realized = feature_columns(runs, "realized")
        if realized:
            parts.append("<h2>Realized performance once the labels arrived (the interval's lower bound)</h2>")
            parts.append("<p>Judged by <code>check_realized</code>'s own bound (a failed check is a status alert).</p>")
            parts += [_series_plot(runs, column, period=period, detect=False) for column in realized.values()]
        watched = [c for c in runs.columns if c in ("rows", "coverage", "duration", "latency_p95") or c.startswith(("metric[", "value["))]
        watched = [c for c in watched if runs[c].dtype != object]
        if watched:
            parts.append("<h2>Metrics over runs</h2>")
            parts += [_series_plot(runs, column, period=period) for column in watched]
        psi = feature_columns(runs, "psi")
        if psi:
            ranked = sorted(psi, key=lambda f: -float(runs[psi[f]].max(skipna=True) or 0))
            parts.append(f"<h2>Features that drifted most (PSI), top {min(TOP_FEATURES, len(ranked))} of {len(ranked)}</h2>")
            parts += [_series_plot(runs, psi[f], period=period) for f in ranked[:TOP_FEATURES]]
            parts.append("<h2>All features</h2>")
            parts.append(_heatmap(runs, {f: psi[f] for f in ranked[:HEATMAP_FEATURES]}))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_dashboard(path: str | Path, frame: pd.DataFrame, state: MonitorState, *, period: int | None = None) -> Path:
    """Write :func:`render_dashboard` to ``path`` atomically; returns the path."""
    from mlcheck._atomic import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render_dashboard(frame, state, period=period))
    return path


class Dashboard:
    """A rendered dashboard: shown inline by Jupyter (``_repr_html_``), saved with :meth:`save`.

    Attributes
    ----------
    page : str
        The self-contained HTML document of :func:`render_dashboard`.
    """

    def __init__(self, page: str) -> None:
        self.page = page

    def _repr_html_(self) -> str:
        # The page's body inside a <div> whose class scopes the page's CSS, so the
        # notebook's own styles are left alone (a full <html> document does not nest).
        body = self.page[self.page.index("<body>") + len("<body>") : self.page.rindex("</body>")]
        # matplotlib's SVG carries a document-wide "*{stroke-...}" rule: keep it to these plots
        body = body.replace('<style type="text/css">*{', '<style type="text/css">.mlcheck-monitor svg *{')
        return f"<div class='mlcheck-monitor'><style>{_style('.mlcheck-monitor')}</style>{body}</div>"

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` atomically (no half-written file); returns the path."""
        from mlcheck._atomic import atomic_write_text

        path = Path(path)
        atomic_write_text(path, self.page)
        return path


def show(
    frame: pd.DataFrame, *, notebook: str = "", period: int | None = None, **alert_options: Any
) -> Dashboard:
    """The dashboard of a :func:`mlcheck.monitor` frame, for display in a notebook.

    The same plots as ``mlcheck monitor --html`` and the JupyterLab panel's
    Monitor view: the last expression of a cell shows them inline, and
    :meth:`Dashboard.save` writes the page.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run (``mc.monitor(...)``), in batch-time order.
    notebook : str, optional
        The name shown in the title.
    period : int, optional
        Season length in runs for the detectors (detected when not given).
    **alert_options
        ``weights``, ``min_weight``, ``min_rows_share`` of
        :func:`mlcheck.monitoring.alerts.evaluate_alerts`.

    Returns
    -------
    Dashboard

    Raises
    ------
    UsageError
        When an alert option is not valid (from :func:`~mlcheck.monitoring.alerts.evaluate_alerts`).

    Examples
    --------
    >>> import mlcheck as mc
    >>> from mlcheck.monitoring.dashboard import show
    >>> show(mc.monitor("runs", "score.ipynb"), notebook="score.ipynb")  # doctest: +SKIP
    """
    from mlcheck.monitoring.alerts import evaluate_alerts

    state = evaluate_alerts(frame, notebook=notebook, period=period, **alert_options)
    return Dashboard(render_dashboard(frame, state, period=period))
