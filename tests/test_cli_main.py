"""``mlcheck``'s entry point: every command listed, only the chosen one loaded."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlcheck.cli.main import COMMANDS, build_parser, main

#: modules a `mlcheck shift` of two small Parquet files has no use for (the job runner's
#: notebook format, scipy.stats and scipy.spatial: over a second of start-up on a busy machine)
NOT_FOR_SHIFT = ("nbformat", "jsonschema", "mlcheck.runs.runner", "scipy.stats", "scipy.spatial")


def test_a_parser_for_one_command_still_lists_every_command():
    parser = build_parser("shift")
    text = parser.format_help()
    for name in COMMANDS.names():
        assert name in text
    args = parser.parse_args(["shift", "ref.parquet", "cur.parquet", "--max-psi", "0.2"])
    assert args.command == "shift" and args.max_psi == pytest.approx(0.2) and callable(args._run)


def test_an_unknown_command_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        main(["shfit", "a", "b"])
    assert stopped.value.code == 2
    assert "invalid choice: 'shfit'" in capsys.readouterr().err


def test_shift_imports_neither_the_job_runner_nor_scipy_stats(tmp_path: Path):
    rng = np.random.default_rng(0)
    for name, shift in (("ref", 0.0), ("cur", 0.3)):
        pd.DataFrame({"x": rng.normal(shift, 1, 2_000), "c": rng.choice(["a", "b", "c"], 2_000)}).to_parquet(
            tmp_path / f"{name}.parquet"
        )
    script = (
        "import json, sys\n"
        "from mlcheck.cli.main import main\n"
        f"code = main(['shift', {str(tmp_path / 'ref.parquet')!r}, {str(tmp_path / 'cur.parquet')!r}, "
        f"'-o', {str(tmp_path / 'out.json')!r}])\n"
        f"print(json.dumps([code, [m for m in {NOT_FOR_SHIFT!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 1 and loaded == []  # the numeric column moved: a failed check, exit 1
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["name"] == "check_shift" and not record["passed"]


def test_run_launches_the_kernel_before_loading_papermill_and_nbconvert(tmp_path: Path):
    # they load while the kernel boots; papermill was imported (by the engine module) before the launch
    notebook = Path(__file__).resolve().parent.parent / "bench" / "notebooks" / "trivial.ipynb"
    script = (
        "import json, sys\n"
        "import mlcheck.runs.kernels as kernels\n"
        "launch, seen = kernels.start_kernel, []\n"
        "def spy(*args, **kwargs):\n"
        "    seen.extend(m for m in ('papermill', 'nbconvert') if m in sys.modules)\n"
        "    return launch(*args, **kwargs)\n"
        "kernels.start_kernel = spy\n"
        "from mlcheck.cli.main import main\n"
        f"code = main(['run', {str(notebook)!r}, '--runs-dir', {str(tmp_path)!r}, '--progress', 'none'])\n"
        "print(json.dumps([code, seen]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    code, seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0 and seen == []
    assert len(list(tmp_path.glob("trivial/*/report.html"))) == 1
    # the kernel's package versions (each distribution's metadata now parsed once) are the interpreter's
    (record,) = [json.loads(path.read_text()) for path in tmp_path.glob("trivial/*/run.json")]
    installed = {
        str(dist.metadata["Name"]).lower(): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }
    assert record["environment"]["packages"] == dict(sorted(installed.items()))


def test_a_crash_of_mlcheck_itself_exits_70_with_its_traceback_never_1():
    """Session 3: any internal crash exited 1, read by schedulers as "a contract failed" (monitor: "alerts")."""
    import subprocess
    import sys

    script = (
        "import mlcheck.cli, mlcheck.__main__ as entry\n"
        "def broken(argv=None):\n"
        "    raise ZeroDivisionError('a bug')\n"
        "mlcheck.cli.main = broken\n"
        "entry.console()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 70, done.stderr
    assert "ZeroDivisionError: a bug" in done.stderr and "internal error (a bug in mlcheck" in done.stderr
