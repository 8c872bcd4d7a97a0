"""mlcheck.monitoring.dashboard: the self-contained HTML page, opened in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mlcheck.cli import main
from mlcheck.monitoring.alerts import evaluate_alerts
from mlcheck.monitoring.dashboard import render_dashboard
from mlcheck.monitoring.series import monitor

from test_monitor_alerts import write_runs

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _chromium() -> str | None:
    for candidate in (os.environ.get("MLCHECK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def test_page_is_self_contained_and_marks_what_the_alerts_say(tmp_path):
    write_runs(tmp_path, 60, drifted=lambda day, f: day >= 59 and f == "age", rows=lambda day: 120 if day == 45 else 500)
    frame = monitor(tmp_path, "score")
    page = render_dashboard(frame, evaluate_alerts(frame, notebook="score.ipynb"))
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page.split("<svg", 1)[0]
    assert page.count("<svg") == 4 + 4 + 1  # rows, coverage, duration, value[auc]; 4 features; heat map
    assert "ALERT drift" in page and "age (PSI 0.6)" in page
    assert "anomaly" in page  # the 120-row batch is marked on the rows plot
    assert len(page) < 600_000


def test_page_says_what_is_still_bad_and_since_when_rather_than_no_alert(tmp_path):
    """F17 (session 3): after the fault the page said "no alert" while the job had failed for 4 weeks."""
    from test_monitor_alerts import _fail_schema_on

    ids = write_runs(tmp_path, 30)
    _fail_schema_on(tmp_path, ids[26:], "temp")
    frame = monitor(tmp_path, "score")
    page = render_dashboard(frame, evaluate_alerts(frame, notebook="score.ipynb"))
    assert "<p class='alert'>At the latest run: no new alert; 1 ongoing: status since 2026-01-31 (4 runs).</p>" in page
    assert "no alert" not in page.replace("no new alert", "")
    write_runs(tmp_path / "quiet", 30)
    frame = monitor(tmp_path / "quiet", "score")
    assert "<p class=''>At the latest run: no alert.</p>" in render_dashboard(frame, evaluate_alerts(frame))


@pytest.mark.browser
def test_dashboard_opens_in_chromium(tmp_path):
    if _chromium() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing (CI=true: the browser tests must run)", pytrace=False)
        pytest.skip("chromium is missing: apt-get install -y chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    write_runs(tmp_path / "runs", 60, drifted=lambda day, f: day >= 59 and f == "age", rows=lambda day: 120 if day == 45 else 500)
    html = tmp_path / "dashboard.html"
    assert main(["monitor", "score", "--runs-dir", str(tmp_path / "runs"), "--html", str(html)]) == 1
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(html.as_uri())
        assert page.locator("svg").count() == 9
        assert "At the latest run: 1 new alert(s)." in page.inner_text("body")
        assert all(box["width"] > 300 for box in (page.locator("svg").nth(i).bounding_box() for i in range(3)))
        shots = Path(os.environ.get("MLCHECK_SCREENSHOTS", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "monitor-dashboard.png"), full_page=True)
        browser.close()


def test_show_displays_the_same_plots_inline_in_a_notebook(tmp_path):
    from mlcheck.monitoring.dashboard import Dashboard, show

    write_runs(tmp_path, 30, drifted=lambda day, f: day >= 29 and f == "age")
    frame = monitor(tmp_path, "score")
    shown = show(frame, notebook="score.ipynb")
    assert isinstance(shown, Dashboard)
    assert shown.page.startswith("<!doctype html>") and "<title>mlcheck monitor: score.ipynb</title>" in shown.page
    inline = shown._repr_html_()
    # the page's body in a div whose class scopes every style rule: nothing leaks into the notebook
    assert inline.startswith("<div class='mlcheck-monitor'><style>") and inline.endswith("</div>")
    assert "<html" not in inline and "<body" not in inline and "<script" not in inline
    assert inline.count("<svg") == shown.page.count("<svg") == 4 + 4 + 1
    assert "ALERT drift" in inline
    for style in inline.split("<style")[1:]:
        rules = style.split(">", 1)[1].split("</style>", 1)[0]
        assert all(rule.strip().startswith(".mlcheck-monitor") for rule in rules.split("}") if rule.strip())
    saved = shown.save(tmp_path / "page.html")
    assert saved.read_text(encoding="utf-8") == shown.page


def test_drawing_leaves_the_notebooks_plotting_backend_alone(tmp_path):
    """A kernel's inline backend stays (matplotlib.use would have switched it), and pyplot keeps no figure."""
    import matplotlib
    import matplotlib.pyplot as plt

    from mlcheck.monitoring.dashboard import show

    write_runs(tmp_path, 20)
    before = matplotlib.get_backend()
    plt.switch_backend("pdf")  # stands for a notebook's own backend: any that is not the default
    try:
        figures = plt.get_fignums()
        assert show(monitor(tmp_path, "score"), notebook="score.ipynb").page.count("<svg") == 9
        assert matplotlib.get_backend() == "pdf" and plt.get_fignums() == figures
    finally:
        plt.switch_backend(before)


def test_show_in_a_real_kernel_displays_the_plots_and_keeps_inline_plots(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    write_runs(tmp_path / "runs", 20)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib\nbackend = matplotlib.get_backend()"),
            nbformat.v4.new_code_cell(
                "import mlcheck as mc\nfrom mlcheck.monitoring.dashboard import show\n"
                f"show(mc.monitor({str(tmp_path / 'runs')!r}, 'score'), notebook='score.ipynb')"
            ),
            nbformat.v4.new_code_cell("matplotlib.get_backend() == backend"),
        ]
    )
    from mlcheck.runs.kernels import kernel_for_current_interpreter

    nbclient.NotebookClient(notebook, timeout=300, kernel_name=kernel_for_current_interpreter()).execute()
    shown = notebook.cells[1].outputs[0]["data"]
    assert shown["text/html"].startswith("<div class='mlcheck-monitor'>") and shown["text/html"].count("<svg") == 9
    assert notebook.cells[2].outputs[0]["data"]["text/plain"] == "True"
