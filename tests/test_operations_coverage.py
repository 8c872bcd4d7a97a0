"""check_coverage: the fraction of rows with a real prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcheck.contracts.operations import check_coverage
from mlcheck.errors import UsageError


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, np.nan, 4.0], 0.75),
        (np.array([1.0, np.inf, -np.inf, 2.0]), 0.5),
        (pd.Series(["a", None, "b", "c"]), 0.75),
        (pd.DataFrame({"p": [0.1, np.nan, 0.3], "label": ["x", "y", None]}), 1 / 3),
        ([1, 2, 3], 1.0),
    ],
)
def test_coverage_counts_real_values(values, expected):
    result = check_coverage(values, min=0.5)
    assert result.observed == pytest.approx(expected)
    assert result.passed == (expected >= 0.5)
    assert result.outcomes[0].subject == "coverage"


def test_empty_batch_fails_instead_of_passing_on_nothing():
    result = check_coverage([], min=0.0)
    assert result.failed and "empty" in result.message


def test_bad_arguments():
    with pytest.raises(UsageError, match="fraction"):
        check_coverage([1.0], min=1.5)
    with pytest.raises(UsageError, match="1-D"):
        check_coverage(np.zeros((2, 2)), min=0.5)
