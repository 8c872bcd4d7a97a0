"""Issue 13 item 17: opening our notebooks in JupyterLab leaves them unmodified; "Run as job" does not write them.

JupyterLab sets a notebook's ``kernelspec`` (from the kernelspec) and
``language_info`` (from the kernel's info reply) once its kernel starts, and
marks the notebook modified when either differs from the file's. The shipped
notebooks carry what ipykernel reports; ``mlcheck demo`` and ``mlcheck new``
write this machine's values (its Python version is part of ``language_info``).
Each notebook is opened here exactly as a user gets it, from those commands.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from lab_helpers import JOB_TIMEOUT_MS, REPO, browser, lab, open_notebook, open_panel, page, shot  # noqa: F401

pytestmark = pytest.mark.browser

SHIPPED = {
    "demo/train.ipynb": REPO / "example_notebooks" / "train.ipynb",
    "demo/score.ipynb": REPO / "example_notebooks" / "score.ipynb",
    "new/my_train.ipynb": REPO / "templates" / "train.ipynb",
    "new/my_score.ipynb": REPO / "templates" / "score.ipynb",
}

# Awaits the kernel's spec and info replies: JupyterLab's own handlers of both were attached
# first, so they have written the metadata by the time this resolves.
KERNEL_METADATA_SETTLED = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  await kernel.spec;
  await new Promise(resolve => setTimeout(resolve, 0));
  const model = panel.context.model;
  return { dirty: model.dirty, metadata: model.sharedModel.getMetadata(), status: kernel.status };
}"""


@pytest.fixture(scope="module")
def users_copies(lab: dict[str, str]) -> dict[str, bytes]:
    """The example notebooks as ``mlcheck demo`` writes them, the templates as ``mlcheck new`` does."""
    from mlcheck.cli import main
    from mlcheck.cli.demo import local_kernel_metadata, prepare_folder

    root = Path(lab["root"])
    prepare_folder(root / "demo")
    (root / "new").mkdir()
    assert main(["new", "train", str(root / "new" / "my_train.ipynb")]) == 0
    assert main(["new", "score", str(root / "new" / "my_score.ipynb")]) == 0
    local = local_kernel_metadata()
    copies = {}
    for name, shipped in SHIPPED.items():
        copy = (root / name).read_bytes()
        metadata = json.loads(shipped.read_bytes())["metadata"]
        if local is not None and all(metadata[key] == value for key, value in local.items()):
            assert copy == shipped.read_bytes()  # here the user's copy *is* the shipped file
        copies[name] = copy
    return copies


def _cancel_jobs(lab: dict[str, str]) -> None:
    """Cancel what the test started, so the next notebook's job does not wait behind it."""
    headers = {"Authorization": f"token {lab['token']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab['url']}/mlcheck/jobs", headers=headers)) as reply:
        jobs = json.loads(reply.read())
    for job in jobs["jobs"]:
        if job.get("state") in ("queued", "running"):
            job_id = job.get("id") or job["run_id"]
            request = urllib.request.Request(f"{lab['url']}/mlcheck/jobs/{job_id}", method="DELETE", headers=headers)
            urllib.request.urlopen(request).close()


@pytest.mark.parametrize("name", list(SHIPPED))
def test_opening_and_running_leaves_the_notebook_unmodified(page, lab, users_copies, name):  # type: ignore[no-untyped-def]
    on_disk = Path(lab["root"]) / name
    before = users_copies[name]
    open_notebook(page, lab, name)
    settled = page.evaluate(KERNEL_METADATA_SETTLED)
    written = json.loads(before)["metadata"]
    assert settled["metadata"]["kernelspec"] == written["kernelspec"]
    assert settled["metadata"]["language_info"] == written["language_info"]
    assert settled["dirty"] is False
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or "")  # no modified dot on the tab

    open_panel(page)
    panel = page.locator("#mlcheck-panel")
    panel.locator(".mlcheck-field").first.wait_for()
    page.locator(".jp-NotebookPanel:visible .mlcheck-toolbar-run").click()
    panel.locator(".mlcheck-status:not(.mlcheck-state-error)").wait_for(timeout=JOB_TIMEOUT_MS)
    assert "did not start" not in panel.inner_text()
    shot(page, f"40-unmodified-{name.replace('/', '-')}")
    assert on_disk.read_bytes() == before
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty") is False
    _cancel_jobs(lab)
