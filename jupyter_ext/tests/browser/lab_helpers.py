"""Shared set-up of the browser tests: a ``jupyter lab`` server, Debian's Chromium, and page helpers.

A ``jupyter lab`` server runs on 127.0.0.1 with a token, serving a copy of the
test notebooks; jobs run one at a time (``JobManager.max_concurrent_jobs=1``),
so a second start waits in the queue. Screenshots are kept in
``test-artifacts/jupyter/`` at the repository root. With ``CI=true`` a missing
browser fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "tests" / "notebooks" / "jupyter"
ARTIFACTS = REPO / "test-artifacts" / "jupyter"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JOB_TIMEOUT_MS = 120_000


def _chromium() -> str | None:
    for candidate in (os.environ.get("MLCHECK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _require(what: str, why: str) -> None:
    message = f"{what} is missing: {why}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A JupyterLab server on 127.0.0.1 with a token, serving a copy of the test notebooks."""
    if _chromium() is None:
        _require("chromium", "install it with `apt-get install -y chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _require("playwright", "pip install playwright")
    base = tmp_path_factory.mktemp("lab")
    root, config = base / "root", base / "config"
    (root / "work").mkdir(parents=True)
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, root / "work" / notebook.name)
    (config / "labconfig").mkdir(parents=True)
    # No news pop-up over the screenshots.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    token, port = secrets.token_hex(16), _free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
        "--JobManager.max_concurrent_jobs=1",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    with open(base / "lab.log", "wb") as log:  # the child keeps its own handle
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("jupyter lab did not start:\n" + (base / "lab.log").read_text()[-3000:])
        time.sleep(0.3)
    yield {"url": url, "token": token, "root": str(root)}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def browser(lab: dict[str, str]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab, request):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    shot(page, f"last-{request.node.name}")  # what the page showed at the end, pass or fail
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_notebook(page, lab: dict[str, str], path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{lab['url']}/lab/tree/{path}?reset&token={lab['token']}")  # reset: no tabs of earlier tests
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
    page.wait_for_function("() => window.jupyterapp !== undefined")
    # JupyterLab may ask which kernel to start; take the notebook's own (the default choice).
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=4_000)
    except Exception:  # noqa: BLE001 - no dialog is the usual case
        return
    accept.click()
    accept.wait_for(state="detached")


def open_panel(page) -> None:  # type: ignore[no-untyped-def]
    panel = page.locator("#mlcheck-panel")
    if not panel.is_visible():
        page.locator('.jp-SideBar .lm-TabBar-tab[data-id="mlcheck-panel"]').click()
    panel.wait_for(state="visible")
