"""The static checks, as part of ``python -m pytest``: ruff, the import-linter layers, ``mypy --strict``.

Each is configured in pyproject.toml and installed by the ``test`` extra; a
missing tool is a failure that says how to install it, never a skip (CI would
pass without checking). Each runs on the repository as it is, so a finding
reads the same here as on the command line (``ruff check .``, ``lint-imports``,
``mypy``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(command[0], path=str(Path(sys.executable).parent)) or shutil.which(command[0])
    if executable is None:
        pytest.fail(f"{command[0]} is not installed; it comes with the test extra: pip install -e '.[test]'")
    return subprocess.run([executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    result = run_tool("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers_hold() -> None:
    result = run_tool("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout  # it did check the contracts


@pytest.mark.slow
def test_mypy_strict_finds_nothing() -> None:
    result = run_tool("mypy", "--strict", "mlcheck")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_docstring_examples_are_part_of_the_test_command() -> None:
    """``python -m pytest`` collects mlcheck/'s docstring examples (testpaths and --doctest-modules)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    examples = [
        line for line in result.stdout.splitlines() if line.startswith("mlcheck/") and "::mlcheck." in line
    ]
    assert "mlcheck/results/format.py::mlcheck.results.format.format_value" in examples
    assert len(examples) >= 50, examples  # about 80 docstrings with examples at the time of writing
