"""The Monitor view in a real JupyterLab: the panel's button and the command open the runs' plots in a tab."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lab_helpers import browser, lab, open_notebook, open_panel, page, shot  # noqa: F401
from test_accessibility import axe

pytestmark = pytest.mark.browser


def write_runs(folder: Path, notebook: Path, days: int, first: int = 0) -> None:
    """Daily job runs of ``notebook`` as ``mlcheck run`` records them; the last one drifts on age."""
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    for day in range(first, days):
        when = start + timedelta(days=day)
        run_id = when.strftime("%Y%m%dT%H%M%S%fZ") + f"-{day:06x}"
        drifted = day == days - 1
        features = {
            f: {"psi": 0.6 if drifted and f == "age" else 0.01 + 0.002 * (day % 7), "kl": 0.01, "p_value": 0.5,
                "drifted": drifted and f == "age", "bins": ["a", "b"], "reference_pct": [50, 50],
                "current_pct": [50, 50]}
            for f in ("age", "income", "plan")
        }  # fmt: skip
        record = {
            "run_id": run_id, "notebook": str(notebook), "status": "failed" if drifted else "succeeded",
            "exit_code": 1 if drifted else 0, "kind": "job", "started": when.isoformat(), "duration": 30.0 + day % 3,
            "parameters": {"batch_date": when.date().isoformat()},
            "results": [{"name": "check_shift", "passed": not drifted, "severity": "error",
                         "details": {"n_current": 500, "features": features}, "outcomes": []}],
            "values": {"auc": 0.8 + 0.01 * (day % 7)},
        }  # fmt: skip
        (folder / run_id).mkdir(parents=True)
        (folder / run_id / "run.json").write_text(json.dumps(record), encoding="utf-8")


def test_monitor_button_opens_the_plots_of_the_runs(page, lab):  # type: ignore[no-untyped-def]
    root = Path(lab["root"])
    write_runs(root / "runs" / "explore", root / "work" / "explore.ipynb", 28)
    open_notebook(page, lab, "work/explore.ipynb")
    open_panel(page)
    button = page.locator("#mlcheck-panel button.mlcheck-monitor-runs")
    button.wait_for()
    # the accessible name holds the visible words (WCAG 2.5.3), so a voice command "Monitor runs" finds it
    assert button.get_attribute("aria-label") == "Monitor runs of this notebook over time (opens a tab)"
    button.focus()
    page.keyboard.press("Enter")  # reachable from the keyboard

    view = page.locator(".mlcheck-monitor:visible")
    view.wait_for()
    frame_node = view.locator("iframe.mlcheck-monitor-frame")
    frame_node.wait_for(state="visible")
    assert frame_node.get_attribute("sandbox") == ""  # no script, no access to JupyterLab
    assert "work/explore.ipynb" in (frame_node.get_attribute("title") or "")
    frame = page.frame_locator(".mlcheck-monitor:visible iframe.mlcheck-monitor-frame")
    frame.locator("h1").wait_for()
    assert frame.locator("h1").inner_text() == "mlcheck monitor: work/explore.ipynb"
    # rows, duration, value[auc]; the PSI of 3 features; the heat map: drawn, with a size on screen
    assert frame.locator("svg").count() == 3 + 3 + 1
    box = frame.locator("svg").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60
    assert "ALERT drift" in frame.locator("pre").inner_text() and "28 run(s)" in frame.locator("pre").inner_text()
    status = view.locator(".mlcheck-monitor-status")
    assert status.get_attribute("role") == "status" and "The runs of work/explore.ipynb" in status.inner_text()
    shot(page, "60-monitor-view")
    assert axe(page, [".mlcheck-monitor:not(.lm-mod-hidden)", "#mlcheck-panel .mlcheck-history"]) == []

    # Refresh draws the runs again: the run that finished since shows up
    write_runs(root / "runs" / "explore", root / "work" / "explore.ipynb", 29, first=28)
    view.locator(".mlcheck-monitor-refresh").first.click()
    frame.locator("pre", has_text="29 run(s)").wait_for()
    assert frame.locator("svg").count() == 3 + 3 + 1


def test_command_for_a_notebook_without_runs_says_so(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/kinds.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('mlcheck:monitor-runs')")
    status = page.locator(".mlcheck-monitor:visible .mlcheck-monitor-status.mlcheck-monitor-error")
    status.wait_for()
    assert "no runs to monitor yet" in status.inner_text()
    assert page.locator(".mlcheck-monitor:visible iframe.mlcheck-monitor-frame").is_hidden()
    labels = page.evaluate("() => window.jupyterapp.commands.label('mlcheck:monitor-runs')")
    assert labels == "mlcheck: Monitor runs of this notebook"
    shot(page, "61-monitor-view-no-runs")
