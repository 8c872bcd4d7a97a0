"""The panel's jobs in a real JupyterLab: queue and duplicates, history, status bar, notifications, form."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import JOB_TIMEOUT_MS, NOTEBOOKS, browser, lab, open_notebook, open_panel, page, shot  # noqa: F401

pytestmark = pytest.mark.browser


def field(panel, name: str):  # type: ignore[no-untyped-def]
    return panel.locator(f'.mlcheck-field[data-parameter="{name}"] input')


def test_queue_duplicates_history_status_bar_and_notifications(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/sleeps.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field(panel, "seconds").fill("600")  # cancelled long before: no race with its end
    page.set_viewport_size({"width": 1400, "height": 420})  # a short window: the form reaches below the fold
    panel.locator("button.mlcheck-run").click()
    status = panel.locator(".mlcheck-status-box")
    status.locator(".mlcheck-progress").wait_for()
    box = status.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 420  # the feedback is in sight, at the top
    page.set_viewport_size({"width": 1400, "height": 900})
    assert status.get_attribute("aria-live") == "polite"
    item = page.locator(".mlcheck-statusbar")
    item.wait_for()
    assert "1 running" in item.inner_text()

    # A second start of the same notebook is refused, and can be asked for anyway: it waits in the queue.
    page.locator(".jp-NotebookPanel:visible .mlcheck-toolbar-run").click()  # a second click on the toolbar
    anyway = panel.locator("button.mlcheck-start-anyway")
    anyway.wait_for()
    assert "already has job" in status.inner_text()
    anyway.click()
    page.wait_for_function(
        "() => /1 running · 1 queued/.test(document.querySelector('.mlcheck-statusbar')?.textContent ?? '')"
    )
    items = panel.locator(".mlcheck-history-item")
    page.wait_for_function(
        "() => document.querySelectorAll('#mlcheck-panel .mlcheck-history-item').length === 2"
    )
    assert (
        "waiting for a slot" in items.nth(1).inner_text() or "waiting for a slot" in items.nth(0).inner_text()
    )
    shot(page, "20-queued-and-running")

    # Cancel the queued one from the list, then the running one with Cancel.
    queued = panel.locator(".mlcheck-history-item.mlcheck-state-queued")
    queued_id = queued.get_attribute("data-run")
    queued.locator("button.mlcheck-history-cancel").click()
    page.wait_for_function(
        "() => !/queued/.test(document.querySelector('.mlcheck-statusbar')?.textContent ?? 'queued')"
        " || document.querySelector('.mlcheck-statusbar') === null"
    )
    panel.locator("button.mlcheck-cancel").click()
    panel.locator(".mlcheck-status.mlcheck-state-cancelled").wait_for(timeout=60_000)
    toast = page.locator(".Toastify__toast:has-text('mlcheck job sleeps.ipynb: it was cancelled')").first
    toast.wait_for()
    shot(page, "21-cancelled-notification")
    page.wait_for_function("() => !document.querySelector('.mlcheck-statusbar')?.offsetParent")

    # The job cancelled in the queue never made a run directory: no link to one.
    page.wait_for_function(
        "() => document.querySelectorAll('#mlcheck-panel .mlcheck-history-item.mlcheck-state-cancelled').length === 2"
    )
    panel.locator(f'.mlcheck-history-item[data-run="{queued_id}"] button.mlcheck-history-show').click()
    panel.locator(f'.mlcheck-history-item.mlcheck-shown[data-run="{queued_id}"]').wait_for()
    assert "The job was cancelled" in panel.locator(".mlcheck-status-line").inner_text()
    assert panel.locator(".mlcheck-status-box .mlcheck-rundir-link").count() == 0
    assert panel.locator(".mlcheck-status-box .mlcheck-links a").count() == 0
    shot(page, "22-history")


def test_leading_dash_no_checks_run_again_and_executed_values(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/kinds.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    shift = field(panel, "shift")
    shift.fill("-1e-3")
    assert panel.locator('.mlcheck-field[data-parameter="shift"] .mlcheck-changed-mark').is_visible()
    shift.press("Enter")  # Enter in a field submits the form
    line = panel.locator(".mlcheck-status-line")
    panel.locator(".mlcheck-status.mlcheck-state-succeeded").wait_for(timeout=JOB_TIMEOUT_MS)
    assert line.inner_text().startswith("The job ran; no checks were recorded")
    assert "All 0" not in panel.inner_text()
    assert "No checks recorded in this run." in panel.locator(".mlcheck-results-box").inner_text()
    entry = panel.locator(".mlcheck-history-item").first
    assert "shift=-0.001" in entry.inner_text() and "no checks recorded" in entry.inner_text()
    shot(page, "23-leading-dash-no-checks")

    # Run again from the list: a second run with the same values.
    entry.locator("button.mlcheck-history-rerun").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#mlcheck-panel .mlcheck-history-item.mlcheck-state-succeeded').length === 2",
        timeout=JOB_TIMEOUT_MS,
    )
    assert "shift=-0.001" in panel.locator(".mlcheck-history-item").first.inner_text()

    # The executed notebook shows the values its run used, and offers to run again with them.
    panel.locator(".mlcheck-links a:has-text('executed notebook')").click()
    page.wait_for_function(
        "() => /output\\.ipynb$/.test(document.querySelector('#mlcheck-panel .mlcheck-path')?.textContent ?? '')"
    )
    panel.locator("button.mlcheck-run:has-text('Run again with these')").wait_for()
    assert field(panel, "shift").input_value() == "-0.001"
    assert field(panel, "label").input_value() == "x"
    changed = panel.locator(".mlcheck-field.mlcheck-changed").evaluate_all(
        "rows => rows.map(r => r.dataset.parameter)"
    )
    assert changed == ["shift"]  # only what the run was given differs from the defaults
    assert "it was given shift" in panel.locator(".mlcheck-run-note").inner_text()
    assert panel.locator(".mlcheck-history-item").count() == 2  # the runs of the notebook it ran
    shot(page, "24-executed-notebook-values")

    # "Run again with these" runs the notebook the run executed, with the run's values.
    panel.locator("button.mlcheck-run").click()
    page.wait_for_function(
        "() => document.querySelector('#mlcheck-panel .mlcheck-path')?.textContent === 'work/kinds.ipynb'"
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#mlcheck-panel .mlcheck-history-item.mlcheck-state-succeeded').length === 3",
        timeout=JOB_TIMEOUT_MS,
    )
    assert "shift=-0.001" in panel.locator(".mlcheck-history-item").first.inner_text()


def test_failed_start_clears_the_table_and_the_form_follows_the_file(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/contracts.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field(panel, "n_rows").wait_for()
    field(panel, "n_rows").fill("300")
    panel.locator("button.mlcheck-run").click()
    panel.locator(".mlcheck-check-table").wait_for(timeout=JOB_TIMEOUT_MS)

    # A list value the server's parser refuses: marked as typed, and refused at start with the table cleared.
    page.evaluate(
        """async () => {
          const panel = window.jupyterapp.shell.currentWidget;
          const cell = panel.content.widgets[0];
          cell.model.sharedModel.setSource(cell.model.sharedModel.getSource() + 'groups = ["a", "b"]  # a list\\n');
          await panel.context.save();
        }"""
    )
    groups = field(panel, "groups")
    groups.wait_for()  # the form follows the saved file, without switching notebooks
    assert field(panel, "n_rows").input_value() == "300"  # what was typed stays
    groups.fill("[a, b")
    error = panel.locator('.mlcheck-field[data-parameter="groups"] .mlcheck-field-error')
    page.wait_for_function(
        "() => /groups/.test(document.querySelector('#mlcheck-panel .mlcheck-field[data-parameter=\"groups\"] .mlcheck-field-error')?.textContent ?? '')"
    )
    assert "groups" in error.inner_text()
    panel.locator("button.mlcheck-run").click()
    panel.locator(".mlcheck-status-box .mlcheck-error:has-text('did not start')").wait_for()
    assert panel.locator(".mlcheck-check-table").count() == 0
    assert "Unhandled error" not in panel.inner_text()
    shot(page, "25-refused-start")

    # Typed values survive a reload; Reset puts the defaults back.
    page.reload()
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
    open_panel(page)
    field(panel, "n_rows").wait_for()
    assert field(panel, "n_rows").input_value() == "300"
    assert (
        panel.locator('.mlcheck-field[data-parameter="n_rows"]')
        .get_attribute("class")
        .count("mlcheck-changed")
    )
    panel.locator("button.mlcheck-reset").click()
    assert field(panel, "n_rows").input_value() == "500"
    assert not panel.locator('.mlcheck-field[data-parameter="n_rows"] .mlcheck-changed-mark').is_visible()


def test_running_a_notebook_only_marked_modified_does_not_write_it(page, lab):  # type: ignore[no-untyped-def]
    """JupyterLab marks a notebook modified for kernel metadata alone; "Run as job" leaves the file alone."""
    on_disk = Path(lab["root"]) / "work" / "raises.ipynb"
    before = on_disk.read_bytes()
    open_notebook(page, lab, "work/raises.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field(panel, "divisor").wait_for()
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.context.model.dirty = true; }")
    page.locator(".jp-NotebookPanel:visible .mlcheck-toolbar-run").click()
    panel.locator(".mlcheck-failed-cell").wait_for(timeout=JOB_TIMEOUT_MS)
    assert on_disk.read_bytes() == before
    assert before == (NOTEBOOKS / "raises.ipynb").read_bytes()


def test_found_from_the_run_menu_file_browser_shortcut_and_tooltip(page, lab):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "work/kinds.ipynb")
    tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="mlcheck-panel"]')
    assert "mlcheck" in (tab.get_attribute("title") or "")

    page.locator(".lm-MenuBar-item:has-text('Run')").first.click()
    entry = page.locator(".lm-Menu-item:has-text('Run Notebook as mlcheck Job')")
    entry.wait_for()
    assert "Alt+J" in entry.inner_text().replace(" ", "")
    page.keyboard.press("Escape")

    # The file browser's context menu runs a notebook with its defaults.
    page.locator(".jp-DirListing-item:has-text('contracts.ipynb')").click(button="right")
    page.locator(".lm-Menu-item:has-text('Run as mlcheck Job')").click()
    page.locator(".Toastify__toast:has-text('mlcheck job started: work/contracts.ipynb')").wait_for()
    page.locator(".Toastify__toast:has-text('mlcheck job contracts.ipynb: every check held')").wait_for(
        timeout=JOB_TIMEOUT_MS
    )

    # The shortcut runs the active notebook; the panel opens and follows the job.
    page.locator(".jp-NotebookPanel:visible .jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("Control+Alt+J")
    panel = page.locator("#mlcheck-panel")
    panel.locator(".mlcheck-status.mlcheck-state-succeeded").wait_for(timeout=JOB_TIMEOUT_MS)
    shot(page, "26-menus-and-shortcut")
    # the executed notebook's injected environment cell is not "an unknown payload"
    panel.locator(".mlcheck-links a:has-text('executed notebook')").click()
    page.wait_for_selector('.lm-TabBar-tab.jp-mod-current:has-text("output.ipynb")')
    page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(2).wait_for()
    text = page.evaluate("() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)').textContent")
    assert "unknown mlcheck payload" not in text
