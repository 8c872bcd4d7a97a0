"""Notebook jobs: parameters, papermill execution, run directories, history."""

from mlcheck.runs.parameters import Parameter, coerce_parameters, read_parameters
from mlcheck.runs.results import read_results
from mlcheck.runs.runner import Run, read_run, run_notebook

__all__ = [
    "Parameter",
    "Run",
    "coerce_parameters",
    "read_parameters",
    "read_results",
    "read_run",
    "run_notebook",
]
