"""Shared fixtures for mlcheck's own tests: tests/, jupyter_ext/tests/ and the docstring examples in mlcheck/."""

from __future__ import annotations

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
