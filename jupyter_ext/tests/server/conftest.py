"""Fixtures for the mlcheck-jupyter tests.

pytest-jupyter's fixtures are imported here rather than registered with
``pytest_plugins`` so that its autouse fixtures (an event loop and a server
cleanup per test) apply to these tests only, not to the rest of the suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *

NOTEBOOKS = Path(__file__).resolve().parents[3] / "tests" / "notebooks" / "jupyter"


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"mlcheck_jupyter": True}}}


@pytest.fixture
def notebooks(jp_root_dir: Path) -> Path:
    """The test notebooks copied into the server root (a sub-folder, to test the job's cwd)."""
    target = jp_root_dir / "work"
    target.mkdir()
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, target / notebook.name)
    return target
