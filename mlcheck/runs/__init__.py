"""Notebook jobs: parameters, papermill execution, run directories, history."""

from mlcheck.runs.parameters import Parameter, coerce_parameters, read_parameters
from mlcheck.runs.results import read_results
from mlcheck.runs.rundir import Run, Status, read_run
from mlcheck.runs.runner import run_notebook

__all__ = [
    "Parameter",
    "Run",
    "Status",
    "coerce_parameters",
    "read_parameters",
    "read_results",
    "read_run",
    "run_notebook",
]
