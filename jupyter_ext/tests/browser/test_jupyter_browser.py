"""The extension in a real JupyterLab, driven through Debian's Chromium with Playwright.

The tests open notebooks, use the mlcheck panel, run jobs, open the executed
notebook at a failing check, and move an ``explore()`` slider.
"""

from __future__ import annotations

import re

import pytest
from lab_helpers import JOB_TIMEOUT_MS, browser, lab, open_notebook, open_panel, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def test_panel_parameters_job_and_failing_check(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/contracts.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field = panel.locator('.mlcheck-field[data-parameter="min_coverage"]')
    field.wait_for()
    assert panel.locator(".mlcheck-path").inner_text() == "work/contracts.ipynb"
    names = panel.locator(".mlcheck-field-name").all_inner_texts()
    assert names == ["min_coverage", "max_kl", "age_shift", "n_rows", "seed"]
    assert field.locator(".mlcheck-type").inner_text() == "float"
    assert field.locator("input").input_value() == "0.9"
    assert "smallest acceptable share" in field.locator(".mlcheck-comment").inner_text()
    shot(page, "01-panel-parameters")

    # A bad value is refused before a job starts, naming the parameter.
    rows = panel.locator('.mlcheck-field[data-parameter="n_rows"] input')
    rows.fill("many")
    panel.locator("button.mlcheck-run").click()
    error = panel.locator(".mlcheck-status-box .mlcheck-error")
    error.wait_for()
    assert "n_rows" in error.inner_text()
    assert (
        "n_rows must be a whole number (int)"
        in panel.locator('.mlcheck-field[data-parameter="n_rows"] .mlcheck-field-error').inner_text()
    )
    shot(page, "02-bad-parameter")
    rows.fill("500")

    # Raise the coverage bar so that exactly one check fails, and run as job.
    field.locator("input").fill("0.99")
    panel.locator("button.mlcheck-run").click()
    panel.locator(".mlcheck-progress").wait_for()
    status = panel.locator(".mlcheck-status-line").inner_text()
    assert status.startswith(("Running", "Cancelling")), status
    shot(page, "03-running")
    table = panel.locator(".mlcheck-check-table")
    table.wait_for(timeout=JOB_TIMEOUT_MS)
    shot(page, "04-check-table")
    assert "1 of 2 checks failed" in panel.locator(".mlcheck-status-line").inner_text()
    assert table.locator("tbody tr").count() == 2
    failing = table.locator("tr.mlcheck-row-fail")
    assert failing.count() == 1
    assert failing.get_attribute("data-check") == "check_coverage"
    assert "0.99" in failing.inner_text()
    assert table.locator("tr.mlcheck-row-pass").get_attribute("data-check") == "check_shift"
    report = panel.locator("a.mlcheck-report-link")
    assert re.search(r"/files/runs/contracts/[^/]+/report\.html$", report.get_attribute("href"))

    # The failing row opens the executed notebook at that check's cell, shown as a card.
    failing.click()
    executed = page.locator(".jp-NotebookPanel:visible")
    page.wait_for_selector('.lm-TabBar-tab.jp-mod-current:has-text("output.ipynb")')
    active = executed.locator(".jp-Cell.jp-mod-active")
    active.wait_for()
    assert "check_coverage" in active.locator(".jp-InputArea").inner_text()
    card = active.locator(".mlcheck-card.mlcheck-fail")
    card.wait_for()
    assert "check_coverage" in card.inner_text()
    # The panel follows the switch to the executed notebook and shows that run.
    page.wait_for_function(
        "() => /^runs\\/contracts\\/[^/]+\\/output\\.ipynb$/.test("
        "document.querySelector('#mlcheck-panel .mlcheck-path')?.textContent ?? '')"
    )
    panel.locator(".mlcheck-status-line:has-text('the run of this executed notebook')").wait_for()
    shot(page, "05-executed-notebook-at-failing-check")

    # The shift card has its plot, drawn by the MIME renderer.
    shift_card = executed.locator('.mlcheck-card[data-check="check_shift"]')
    shift_card.scroll_into_view_if_needed()
    assert shift_card.locator("svg.mlcheck-plot").count() == 1
    shot(page, "06-shift-card")


def test_failed_job_shows_the_failing_cell_and_follows_renames(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/raises.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    panel.locator('.mlcheck-field[data-parameter="divisor"]').wait_for()
    page.locator(".jp-NotebookPanel:visible .mlcheck-toolbar-run").click()  # the toolbar button
    failed = panel.locator(".mlcheck-failed-cell")
    failed.wait_for(timeout=JOB_TIMEOUT_MS)
    assert "ZeroDivisionError: division by zero" in failed.locator(".mlcheck-error").inner_text()
    assert "1 / divisor" in failed.locator(".mlcheck-source").inner_text()
    assert "Cell 3 raised ZeroDivisionError" in panel.locator(".mlcheck-status-line").inner_text()
    shot(page, "07-failed-cell")

    # A rename moves the panel to the new path (its runs stay with the old stem).
    page.evaluate(
        "() => window.jupyterapp.serviceManager.contents.rename('work/raises.ipynb', 'work/renamed.ipynb')"
    )
    page.wait_for_function(
        "() => document.querySelector('#mlcheck-panel .mlcheck-path')?.textContent === 'work/renamed.ipynb'"
    )
    panel.locator('.mlcheck-field[data-parameter="divisor"]').wait_for()


def test_live_progress_and_cancel_from_the_panel(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/sleeps.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    panel.locator('.mlcheck-field[data-parameter="seconds"] input').fill("600")  # cancelled long before
    panel.locator("button.mlcheck-run").click()
    # The sleeping cell is the last but one: progress shows it while it runs.
    line = panel.locator(".mlcheck-status-line")
    page.wait_for_function(
        """() => {
          const text = document.querySelector('#mlcheck-panel .mlcheck-status-line')?.textContent ?? '';
          const found = /Running: cell (\\d+) of (\\d+)/.exec(text);
          return found !== null && Number(found[1]) === Number(found[2]) - 1;
        }""",
        timeout=60_000,
    )
    cell, total = map(int, re.search(r"cell (\d+) of (\d+)", line.inner_text()).groups())
    assert cell == total - 1
    assert int(panel.locator(".mlcheck-progress").get_attribute("max") or 0) == total
    shot(page, "08-live-progress")
    panel.locator("button.mlcheck-cancel").click()
    panel.locator(".mlcheck-status.mlcheck-state-cancelled").wait_for(timeout=60_000)
    assert "cancelled" in line.inner_text()
    assert "time.sleep(seconds)" in panel.locator(".mlcheck-source").inner_text()  # where it stopped
    assert panel.locator("button.mlcheck-run").is_enabled()
    assert not panel.locator("button.mlcheck-cancel").is_visible()
    shot(page, "09-cancelled")


def test_explore_widgets_and_cards_in_a_live_kernel(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/explore.ipynb")
    # Not awaited in the page: run-all settles only when every cell has run.
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    slider = page.locator(".mlcheck-explore-threshold")
    slider.wait_for(timeout=90_000)
    matrix = page.locator(".mlcheck-explore-matrix")
    tp = matrix.locator('[data-cell="tp"]')
    fp = matrix.locator('[data-cell="fp"]')
    before = (int(tp.inner_text()), int(fp.inner_text()))
    code_before = page.locator(".mlcheck-explore-code").inner_text()
    slider.scroll_into_view_if_needed()
    shot(page, "10-explore-before")
    handle = slider.locator(".noUi-handle")
    track = slider.locator(".noUi-target").bounding_box()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.9, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "(before) => document.querySelector('.mlcheck-explore-matrix [data-cell=\"fp\"]')?.textContent !== before",
        arg=str(before[1]),
    )
    after = (int(tp.inner_text()), int(fp.inner_text()))
    assert after[0] + after[1] < before[0] + before[1]  # a higher threshold calls fewer rows positive
    assert page.locator(".mlcheck-explore-code").inner_text() != code_before
    shot(page, "11-explore-after")
    # The performance card draws the precision/recall curve and the confusion matrix.
    card = page.locator('.mlcheck-card[data-check="check_performance"]')
    assert card.locator("svg.mlcheck-plot").count() == 1
    assert card.locator("table.mlcheck-confusion").count() == 1
    # The shift explorer is there too, with its feature picker.
    assert page.locator(".mlcheck-explore-feature select").count() == 1
    # "Run as job" is in the command palette.
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("mlcheck job")
    page.locator(".lm-CommandPalette-item:has-text('Run Notebook as mlcheck Job')").first.wait_for()
    page.keyboard.press("Escape")
