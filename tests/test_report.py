"""``report.html``: one exporter per process, warmed while the kernel boots, same page as a fresh one."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

import mlcheck.runs.report as report
from mlcheck.runs import run_notebook

NOTEBOOKS = Path(__file__).parent / "notebooks"


def test_a_warmed_exporter_renders_the_page_a_fresh_one_does(tmp_path: Path) -> None:
    run = run_notebook(NOTEBOOKS / "checks.ipynb", runs_dir=tmp_path, report=False)
    report.warm_up()
    exporter = report._exporter()
    page = report.render_report(run.run_dir).read_text()
    assert report._exporter() is exporter  # built once: the warm-up's compiled templates serve the report
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = ("mlcheck-injected",)
    config.TagRemovePreprocessor.enabled = True
    fresh, _ = HTMLExporter(config=config, template_name="lab").from_notebook_node(
        nbformat.read(str(run.output_path), as_version=4)
    )
    # the page is byte for byte what a fresh exporter writes, with the table of checks inserted first in <main>
    start = page.index("<section class='mlcheck-summary'")
    end = page.index("</section>", start) + len("</section>")
    assert page[:start] + page[end:] == fresh and page.index("<main") < start < page.index(
        '<div class="jp-Cell'
    )
    assert report._to_html(nbformat.read(str(run.output_path), as_version=4)) == fresh
