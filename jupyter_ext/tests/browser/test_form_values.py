"""Issue 13 item 18, the parameter form in a real JupyterLab, each part in the light and the dark theme.

- a fraction (``sample = 1.0  # fraction of the rows to use, in (0, 1]``) refuses
  2.5 under its field before a job starts, and shows its range (type chip,
  number field with ``min``/``max``);
- list and mapping text is checked by the server's parser as it is typed, not at start;
- a comment that looks like a range but is not one (``in [0; 1]``) shows a note under its field;
- typed values survive a reload, values changed from the defaults are marked,
  and "Reset to defaults" puts the defaults back.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import nbformat
import pytest
from lab_helpers import REPO, browser, lab, open_notebook, open_panel, page, shot  # noqa: F401
from test_accessibility import assert_clean, axe, set_theme

pytestmark = pytest.mark.browser

CELL = (
    "label = 'base'  # a name for the run\n"
    "n_rows: int = 500  # rows to draw, in [1, 100000]\n"
    "groups = ['a', 'b']  # the groups to compare\n"
    "options = {'k': 1}  # passed to the model\n"
)
THEMES = (("JupyterLab Light", True, "light"), ("JupyterLab Dark", False, "dark"))


@pytest.fixture(scope="module")
def notebooks(lab: dict[str, str]) -> Path:
    """The example training notebook as ``mlcheck demo`` writes it, and a small notebook of every kind of field."""
    from mlcheck.cli.demo import copy_notebook, local_kernel_metadata

    folder = Path(lab["root"]) / "form"
    folder.mkdir()
    copy_notebook(REPO / "example_notebooks" / "train.ipynb", folder / "train.ipynb")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update(local_kernel_metadata() or {})  # opens unmodified, as our own notebooks do
    notebook.cells = [
        nbformat.v4.new_code_cell(CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(label, n_rows, groups, options)"),
    ]
    nbformat.write(notebook, folder / "fields.ipynb")
    typo = nbformat.v4.new_notebook()
    typo.metadata.update(local_kernel_metadata() or {})
    typo.cells = [
        nbformat.v4.new_code_cell("share = 0.5  # share kept, in [0; 1]", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(share)"),
    ]
    nbformat.write(typo, folder / "typo.ipynb")
    return folder


def field(panel, name: str):  # type: ignore[no-untyped-def]
    return panel.locator(f'.mlcheck-field[data-parameter="{name}"]')


def error_of(panel, name: str) -> str:  # type: ignore[no-untyped-def]
    return field(panel, name).locator(".mlcheck-field-error").inner_text()


def jobs(lab: dict[str, str]) -> list[dict]:
    request = urllib.request.Request(f"{lab['url']}/mlcheck/jobs", headers={"Authorization": f"token {lab['token']}"})
    with urllib.request.urlopen(request) as reply:
        return list(json.loads(reply.read())["jobs"])


def in_both_themes(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot in each theme, and axe-core's WCAG AA checks of the panel in each."""
    for theme, light, word in THEMES:
        set_theme(page, theme, light)
        shot(page, f"{name}-{word}")
        assert_clean(axe(page, ["#mlcheck-panel"]), f"in the panel ({word} theme, {name})")
    set_theme(page, "JupyterLab Light", True)


def test_a_fraction_refuses_2_5_under_its_field_before_a_job_starts(page, lab, notebooks):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "form/train.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    sample = field(panel, "sample")
    sample.wait_for()
    # the range shows: beside the type, in the help, and as the number field's bounds
    assert sample.locator(".mlcheck-type").inner_text() == "float in (0, 1]"
    assert "in (0, 1]" in sample.locator(".mlcheck-comment").inner_text()
    box = sample.locator("input")
    assert (box.get_attribute("type"), box.get_attribute("min"), box.get_attribute("max")) == ("number", "0", "1")
    assert box.get_attribute("step") == "any"
    assert field(panel, "test_size").locator(".mlcheck-type").inner_text() == "float in (0, 1)"
    assert field(panel, "seed").locator("input").get_attribute("type") == "text"  # no range: a text field

    box.fill("2.5")
    assert error_of(panel, "sample") == 'sample must be a number in (0, 1], got "2.5"'
    assert box.get_attribute("aria-invalid") == "true"
    box.fill("0")  # the lower bound is excluded
    assert error_of(panel, "sample") == 'sample must be a number in (0, 1], got "0"'
    box.fill("2.5")
    panel.locator("button.mlcheck-run").click()
    status = panel.locator(".mlcheck-status-box")
    status.locator(":text('Fix this value before running')").wait_for()
    assert "running: sample must be a number in (0, 1]" in status.inner_text()  # named once
    assert jobs(lab) == []  # nothing started
    assert page.evaluate("() => document.activeElement?.name") == "sample"  # focus went to the field
    in_both_themes(page, "41-fraction-refused")

    box.fill("0.25")
    assert error_of(panel, "sample") == ""
    assert box.get_attribute("aria-invalid") is None


def test_list_and_mapping_text_is_checked_as_typed_not_at_start(page, lab, notebooks):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "form/fields.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field(panel, "groups").wait_for()
    field(panel, "groups").locator("input").fill("[a, b")
    field(panel, "options").locator("input").fill("{k: [}")
    # the server's parser answers a moment after typing stops: no Run pressed
    for name in ("groups", "options"):
        page.wait_for_function(
            "(name) => (document.querySelector(`#mlcheck-panel .mlcheck-field[data-parameter=\"${name}\"]"
            " .mlcheck-field-error`)?.textContent ?? '').includes(name)",
            arg=name,
        )
        assert field(panel, name).locator("input").get_attribute("aria-invalid") == "true"
    assert "groups" in error_of(panel, "groups") and "options" in error_of(panel, "options")
    assert jobs(lab) == []
    in_both_themes(page, "42-list-and-mapping-checked")

    field(panel, "n_rows").locator("input").fill("1.5")
    assert error_of(panel, "n_rows") == 'n_rows must be a whole number in [1, 100000], got "1.5"'
    field(panel, "n_rows").locator("input").fill("100001")
    assert error_of(panel, "n_rows") == 'n_rows must be a whole number in [1, 100000], got "100001"'
    field(panel, "groups").locator("input").fill("[a, c]")
    page.wait_for_timeout(1_000)  # longer than the check's pause after typing: a stale refusal would be back
    assert error_of(panel, "groups") == ""


def test_typed_values_survive_reload_are_marked_changed_and_reset_restores_defaults(page, lab, notebooks):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "form/fields.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    field(panel, "label").wait_for()
    field(panel, "label").locator("input").fill("trial 2")
    field(panel, "n_rows").locator("input").fill("250")

    def changed() -> list[str]:
        return panel.locator(".mlcheck-field.mlcheck-changed").evaluate_all(
            "rows => rows.map(row => row.dataset.parameter)"
        )

    def marks() -> list[str]:
        return panel.locator(".mlcheck-field:has(.mlcheck-changed-mark:visible)").evaluate_all(
            "rows => rows.map(row => row.dataset.parameter)"
        )

    assert changed() == marks() == ["label", "n_rows"]
    assert "default (500)" in (field(panel, "n_rows").locator(".mlcheck-changed-mark").get_attribute("title") or "")

    page.reload()
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
    open_panel(page)
    field(panel, "label").wait_for()
    # the form may be drawn twice on load (the notebook, then its runs): wait for the kept values, then check
    page.wait_for_function(
        "() => document.querySelector('#mlcheck-panel .mlcheck-field[data-parameter=\"n_rows\"] input')?.value === '250'"
    )
    assert field(panel, "label").locator("input").input_value() == "trial 2"
    assert changed() == marks() == ["label", "n_rows"]
    in_both_themes(page, "43-kept-and-changed")

    panel.locator("button.mlcheck-reset").click()
    assert field(panel, "label").locator("input").input_value() == "base"
    assert field(panel, "n_rows").locator("input").input_value() == "500"
    assert changed() == marks() == []
    page.reload()  # the kept values are forgotten too
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
    open_panel(page)
    field(panel, "label").wait_for()
    assert field(panel, "label").locator("input").input_value() == "base"
    assert changed() == []
    shot(page, "44-reset")


def test_a_comment_read_as_help_not_a_range_shows_a_note_under_its_field(page, lab, notebooks):  # type: ignore[no-untyped-def]
    open_notebook(page, lab, "form/typo.ipynb")
    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    share = field(panel, "share")
    share.wait_for()
    note = share.locator(".mlcheck-note")
    assert "'in [0; 1]'" in note.inner_text() and "no range is enforced" in note.inner_text()
    assert share.locator(".mlcheck-type").inner_text() == "float"  # no range shown: none is enforced
    assert note.get_attribute("id") in (share.locator("input").get_attribute("aria-describedby") or "")
    in_both_themes(page, "44-range-read-as-help")
