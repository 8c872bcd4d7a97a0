"""Accessibility of the panel and the cards: axe-core (WCAG 2.1 A/AA) in the light and the dark theme, keyboard use.

axe-core is the npm package in ``jupyter_ext/node_modules`` (a dev dependency,
installed by ``jlpm install``), injected into the page and run there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lab_helpers import JOB_TIMEOUT_MS, _require, browser, lab, open_notebook, open_panel, page, shot  # noqa: F401

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe(page, include: list[str], rules: list[str] | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe-core's violations within the elements matching ``include`` (all WCAG A/AA rules, or ``rules``)."""
    if not AXE.is_file():
        _require("axe-core", "run `jlpm install` in jupyter_ext/")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    # JupyterLab's <body> is 0 px tall (its shell is positioned absolutely) and hides its overflow, so axe
    # takes everything for clipped and checks nothing; a full-height body changes no layout and lets it see.
    page.evaluate(
        "() => { document.documentElement.style.height = '100%'; document.body.style.height = '100%'; }"
    )
    options = (
        {"runOnly": {"type": "rule", "values": rules}}
        if rules
        else {"runOnly": {"type": "tag", "values": WCAG_AA}}
    )
    result = page.evaluate(
        """async ([include, options]) => {
          const context = { include: include.filter(s => document.querySelector(s)).map(s => [s]) };
          const found = await window.axe.run(context, options);
          // A contrast axe could not decide counts as a problem too, unless axe cannot measure that kind of
          // node at all: a lone symbol (the outcome table's check marks) or SVG text drawn over the plot.
          const unmeasurable = /only non-text characters|too short to determine|contains an image node/;
          const undecided = found.incomplete
            .filter(v => v.id === 'color-contrast')
            .map(v => ({ ...v, nodes: v.nodes.filter(n => !unmeasurable.test(n.failureSummary ?? '')) }))
            .filter(v => v.nodes.length);
          return [...found.violations, ...undecided].map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary }))
          }));
        }""",
        [include, options],
    )
    return result


def assert_clean(violations: list[dict], where: str) -> None:
    assert violations == [], f"axe-core found problems {where}:\n{json.dumps(violations, indent=1)[:4000]}"


def set_theme(page, name: str, light: bool) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })", name)
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === String(light)"
        " && getComputedStyle(document.body).getPropertyValue('--mlcheck-fail').trim() !== ''",
        arg=light,
    )
    # JupyterLab shows its splash screen (the logo) over everything while a theme loads; axe run under
    # it cannot tell any background (seen on a busy machine): wait until the panel is on top again
    page.wait_for_function(
        "() => { const p = document.querySelector('#mlcheck-panel'); const r = p.getBoundingClientRect();"
        " const e = document.elementFromPoint(r.x + r.width / 2, r.y + 20); return e !== null && p.contains(e); }"
    )
    # the theme's stylesheet is in once the panel's background follows it
    page.wait_for_function(
        "(light) => { const c = getComputedStyle(document.querySelector('#mlcheck-panel')).backgroundColor;"
        " const v = c.match(/\\d+/g).map(Number); return light ? v[0] > 200 : v[0] < 80; }",
        arg=light,
    )


def test_keyboard_names_and_contrast_in_light_and_dark_themes(page, lab):  # type: ignore[no-untyped-def]
    # tall enough that the panel needs no scrolling: axe judges contrast only for what is on screen
    page.set_viewport_size({"width": 1400, "height": 2000})
    open_notebook(page, lab, "work/contracts.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")

    # Each field's accessible name is the parameter's name alone; type, help and error describe it.
    coverage = panel.get_by_role("textbox", name="min_coverage", exact=True)
    assert coverage.count() == 1
    described = coverage.get_attribute("aria-describedby").split()
    texts = [page.locator(f"#{ident}").inner_text() for ident in described]
    assert "float" in texts and any("smallest acceptable share" in text for text in texts)

    # Enter in a field starts the job; the status is announced and the progress bar has a name.
    coverage.fill("0.99")
    coverage.press("Enter")
    status = panel.locator(".mlcheck-status-box")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    progress = panel.get_by_role("progressbar", name="Job progress (cells finished)")
    progress.wait_for()
    panel.locator(".mlcheck-check-table").wait_for(timeout=JOB_TIMEOUT_MS)
    assert "1 of 2 checks failed" in panel.locator(".mlcheck-status-line").inner_text()

    set_theme(page, "JupyterLab Light", True)
    # the checker sees what it should: a planted grey-on-grey line is a contrast violation
    page.evaluate(
        "() => { const d = document.createElement('div'); d.id = 'mlcheck-planted'; d.textContent = 'low contrast';"
        " d.style.cssText = 'color:#888;background:#999'; document.querySelector('#mlcheck-panel').prepend(d); }"
    )
    planted = axe(page, ["#mlcheck-panel"], rules=["color-contrast"])
    assert [node["target"] for v in planted for node in v["nodes"]] == ["#mlcheck-planted"]
    page.evaluate("() => document.querySelector('#mlcheck-planted').remove()")
    assert_clean(axe(page, ["#mlcheck-panel"]), "in the panel (light theme)")
    shot(page, "30-panel-light")
    set_theme(page, "JupyterLab Dark", False)
    assert_clean(axe(page, ["#mlcheck-panel"]), "in the panel (dark theme)")
    shot(page, "31-panel-dark")

    # A check row opens the executed notebook from the keyboard: Tab to its name, Enter.
    failing = panel.locator("tr.mlcheck-row-fail button.mlcheck-check-name")
    assert failing.get_attribute("aria-label").startswith("check_coverage: FAIL")
    failing.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('.lm-TabBar-tab.jp-mod-current:has-text("output.ipynb")')
    active = page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active")
    active.locator(".mlcheck-card.mlcheck-fail").wait_for()
    assert "check_coverage" in active.locator(".jp-InputArea").inner_text()

    # The cards: contrast in both themes.
    cards = [".jp-NotebookPanel:not(.lm-mod-hidden) .mlcheck-card"]
    assert_clean(axe(page, cards, rules=["color-contrast"]), "in the cards (dark theme)")
    shot(page, "32-cards-dark")
    set_theme(page, "JupyterLab Light", True)
    assert_clean(axe(page, cards, rules=["color-contrast"]), "in the cards (light theme)")
    assert_clean(axe(page, ["#mlcheck-panel"]), "in the panel on the executed notebook (light theme)")
    shot(page, "33-cards-light")
