"""The one value formatter: mlcheck.results.format and jupyter_ext/src/format.ts read the same vectors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mlcheck.results import format_number, format_value

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((Path(__file__).parent / "format_vectors.json").read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['value']!r}:{v['digits']}" for v in VECTORS])
def test_python_reads_each_vector(vector):
    assert format_value(vector["value"], vector["digits"]) == vector["text"]


def test_the_two_languages_agreed_on_123456_7():
    # wrong before: '1.235e+05' in the Python card, '123500' in the JupyterLab card
    assert format_value(123456.7) == "123457"
    assert {"value": 123456.7, "digits": 4, "text": "123457"} in VECTORS


def test_python_only_values_read_like_their_json_form():
    assert [format_number(v) for v in (float("nan"), float("inf"), -float("inf"))] == ["nan", "inf", "-inf"]
    assert format_value(np.float32(0.5)) == "0.5" and format_value(np.int64(123456)) == "123456"
    assert format_value(np.bool_(True)) == "yes" and format_value((1, 2)) == "[1, 2]"


def test_typescript_reads_each_vector_and_lists_outcomes_as_python_does():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the JupyterLab extension's build needs it too)")
    if not (ROOT / "jupyter_ext" / "node_modules" / "typescript").is_dir():
        pytest.fail("jupyter_ext/node_modules has no typescript: run `pip install -e ./jupyter_ext` first")
    done = subprocess.run(
        [node, "--test", str(ROOT / "jupyter_ext" / "tests" / "ts" / "display.test.cjs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 2" in done.stdout and "# fail 0" in done.stdout
