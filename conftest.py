"""Shared fixtures for mlcheck's own tests: tests/, jupyter_ext/tests/ and the docstring examples in mlcheck/."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from threadpoolctl import threadpool_limits

from mlcheck import kernel as notebook


@pytest.fixture(autouse=True)
def fresh_record():
    """Every test and docstring example starts and ends with an empty record of results.

    ``mc.check_*`` records results in this process; a failed one left behind
    would make a later test's (or example's) export gate refuse. One OpenMP thread, because
    gradient boosting spin-waits for minutes on a busy 2-core CI machine.
    """
    notebook.clear()
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
    notebook.clear()


_COLLECT_ONLY_STORAGE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """``--collect-only`` (what IDEs run on save) leaves the work tree as it was.

    mlcheck's plugin writes nothing while collecting; hypothesis's caches the
    constants of local modules in ``.hypothesis/`` when it collects property
    tests, so for a collect-only session its storage is a temporary folder.
    """
    if config.option.collectonly and "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        storage = config.stash[_COLLECT_ONLY_STORAGE] = tempfile.mkdtemp(prefix="mlcheck-collect-")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage


def pytest_unconfigure(config: pytest.Config) -> None:
    storage = config.stash.get(_COLLECT_ONLY_STORAGE, None)
    if storage is not None:
        os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        shutil.rmtree(storage, ignore_errors=True)
