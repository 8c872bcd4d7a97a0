"""Golden parity across processes: the scoring notebook must reproduce training.

:func:`check_golden` runs a scoring notebook headlessly, as an ``mlcheck run``
job, on the inputs of a bundle's golden rows and compares what it writes with
the predictions and scores recorded at export. The notebook's contract: it
declares the parameters ``model_dir``, ``input_path`` and ``output_path``, and
writes a table with a ``prediction`` column (and ``score_<class>`` columns if
it computes them) to ``output_path``, indexed like its input or in input
order, as ``ScoreResult.write`` does.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlcheck.bundle.loading import load
from mlcheck.contracts.parity import golden_parity
from mlcheck.results import CheckResult
from mlcheck.errors import UsageError

__all__ = ["check_golden", "read_table"]

GOLDEN_INPUT = "golden_input.parquet"
OUTPUT = "predictions.parquet"


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet or CSV table (CSV with its first column as the index, as ``ScoreResult.write`` writes it)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path, engine="pyarrow")
    if suffix == ".csv":
        return pd.read_csv(path, index_col=0)
    raise UsageError(f"cannot read {path}: expected a .parquet, .pq or .csv file")


def check_golden(
    bundle_path: str | Path,
    notebook: str | Path,
    *,
    runs_dir: str | Path = "runs",
    timeout: float | None = None,
    kernel: str | None = None,
    rtol: float = 1e-9,
    trusted: Sequence[str] | None = None,
    parameters: dict[str, Any] | None = None,
) -> tuple[CheckResult, Any]:
    """Run ``notebook`` on the bundle's golden inputs and compare its output with training.

    Returns the parity result (``check_parity`` with outcome ``golden``) and
    the :class:`~mlcheck.runs.Run`. A notebook that fails to run raises no
    error here: the result then fails with the run's status, and the run
    carries the failing cell.

    Examples
    --------
    >>> from mlcheck.bundle.golden import check_golden
    >>> callable(check_golden)
    True
    """
    from mlcheck.runs import run_notebook

    folder = Path(bundle_path).resolve()
    bundle = load(folder, trusted=trusted)
    scratch = Path(tempfile.mkdtemp(prefix="mlcheck-parity-"))
    try:
        input_path, output_path = scratch / GOLDEN_INPUT, scratch / OUTPUT
        bundle.golden_inputs.to_parquet(input_path, engine="pyarrow")
        values = {
            **(parameters or {}),
            "model_dir": str(folder),
            "input_path": str(input_path),
            "output_path": str(output_path),
        }
        run = run_notebook(notebook, values, runs_dir=runs_dir, timeout=timeout, kernel=kernel, kind="golden")
        if run.exit_code not in (0, 1):
            where = f" in cell {run.failed_cell.get('cell')}" if run.failed_cell else ""
            message = f"the scoring notebook did not complete ({run.status}{where}); see {run.run_dir}"
            return _not_run(message, len(bundle.golden), rtol), run
        if not output_path.is_file():
            return _not_run(
                "the scoring notebook finished but wrote nothing to output_path", len(bundle.golden), rtol
            ), run
        output = read_table(output_path)
        result = golden_parity(bundle.golden_outputs, output, rtol=rtol)
        return result.with_(details={**result.details, "run_dir": str(run.run_dir)}), run
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _not_run(message: str, n_rows: int, rtol: float) -> CheckResult:
    from mlcheck.results import Outcome

    return CheckResult(
        "check_parity",
        passed=False,
        observed=None,
        threshold=0,
        details={"n_rows": n_rows, "rtol": rtol},
        message=message,
        outcomes=(Outcome("golden", False, None, 0, message),),
    )
