"""``mlcheck demo`` and ``mlcheck new``: the whole journey on real data, and a head start.

``mlcheck demo [--dir DIR] [--part all|contracts|monitoring]`` copies the
example notebooks and their data into a fresh folder and runs them as jobs.
Contracts (ISLP's Caravan insurance customers): ``train.ipynb`` (the contracts
hold, the gate exports the bundle), then ``score.ipynb`` on a normal batch
(passes) and on a drifted batch (fails, exit code 1); it prints each job's
checks, exit code, run directory and report. Monitoring (Capital Bikeshare's
hours of 2011, :mod:`mlcheck.cli.demo_monitoring`): a model trained on January
to June, 26 weekly scoring jobs with labels a week late and a planted fault,
the monitor's state after each, and the dashboard.

``mlcheck new train|score NAME`` copies a notebook skeleton from ``templates/``
with every check in place.

Both find their files in the installed package (``mlcheck/_data/``, put there
when the wheel is built) or, in a source checkout, beside the ``mlcheck``
package.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcheck.errors import MlcheckError, UsageError, WriteError

#: folders shipped with the package: the wheel maps <repo>/<name> to mlcheck/_data/<name>
EXAMPLES, TEMPLATES = "example_notebooks", "templates"
DEMO_FILES = (
    "train.ipynb",
    "score.ipynb",
    "data/caravan.parquet",
    "data/batch_normal.parquet",
    "data/batch_drifted.parquet",
    "data/README.md",
    "bikeshare_train.ipynb",
    "bikeshare_score.ipynb",
    "data/bikeshare.parquet",
)
#: the files of each part (README.md, the data's source and licence, goes with both)
PART_FILES = {
    "contracts": DEMO_FILES[:6],
    "monitoring": ("data/README.md", *DEMO_FILES[6:]),
}
PARTS = ("all", "contracts", "monitoring")
TEMPLATE_KINDS = ("train", "score")
#: one run may take this long before the demo gives up on it
RUN_TIMEOUT = 600.0
DEFAULT_DIR = "mlcheck-demo"
#: the demo's CI-sized training: fewer resamples, no generated parity rows
QUICK_TRAIN = {"n_resamples": 300, "parity_examples": 0}


def copy_file(source: Path, target: Path, *, overwrite: bool = True) -> None:
    """Copy ``source`` to ``target`` atomically (:func:`mlcheck._atomic.atomic_copy`).

    With ``overwrite=False`` an existing ``target`` is never replaced, even one
    that appears while copying (FileExistsError).
    """
    from mlcheck._atomic import atomic_copy

    atomic_copy(source, target, overwrite=overwrite)


def local_kernel_metadata(kernel_name: str = "python3") -> dict[str, Any] | None:
    """The ``kernelspec`` and ``language_info`` JupyterLab writes into a notebook it opens here, or None.

    JupyterLab sets both when a notebook's kernel starts (``kernelspec`` from the
    kernelspec, ``language_info`` from the kernel's info reply) and marks the
    notebook modified when they differ from the file's, so a notebook that never
    was edited asks to be saved. ipykernel's ``language_info`` holds its
    interpreter's version: it is known here only when ``kernel_name`` runs this
    interpreter; None when it runs another one (or none is installed).
    """
    from mlcheck.runs.kernels import _same_interpreter, spec_manager

    try:
        spec = spec_manager().get_kernel_spec(kernel_name).to_dict()
    except Exception:  # noqa: BLE001 - not installed as a file: Jupyter offers ipykernel's own, this interpreter
        if kernel_name != "python3":
            return None
        from ipykernel.kernelspec import get_kernel_dict

        spec = get_kernel_dict()
    argv = spec.get("argv") or []
    if not argv or not _same_interpreter(argv[0]) or "ipykernel" not in " ".join(argv):
        return None
    from ipykernel.ipkernel import IPythonKernel

    return {
        "kernelspec": {"display_name": spec["display_name"], "language": spec["language"], "name": kernel_name},
        "language_info": dict(IPythonKernel.language_info),
    }


def copy_notebook(source: Path, target: Path, *, overwrite: bool = True) -> None:
    """Copy a shipped notebook with this machine's kernel metadata (:func:`local_kernel_metadata`).

    Opening the copy in JupyterLab then leaves it unmodified. The notebook is
    written as Jupyter writes notebooks (nbformat's JSON layout), byte for byte
    the source when the metadata already match.
    """
    import json
    import tempfile

    text = source.read_text(encoding="utf-8")
    notebook = json.loads(text)
    metadata = notebook.setdefault("metadata", {})
    local = local_kernel_metadata((metadata.get("kernelspec") or {}).get("name", "python3"))
    if local is None or all(metadata.get(key) == value for key, value in local.items()):
        copy_file(source, target, overwrite=overwrite)
        return
    metadata.update(local)
    with tempfile.TemporaryDirectory() as folder:
        adjusted = Path(folder) / source.name
        adjusted.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        copy_file(adjusted, target, overwrite=overwrite)


def resource_dir(name: str) -> Path:
    """The folder of shipped files ``name`` (``example_notebooks`` or ``templates``).

    Examples
    --------
    >>> from mlcheck.cli.demo import resource_dir
    >>> (resource_dir("example_notebooks") / "train.ipynb").is_file()
    True
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise MlcheckError(
        f"mlcheck's {name} folder is missing: looked in {package / '_data' / name} (installed wheel) and "
        f"{package.parent / name} (source checkout). Reinstall mlcheck (pip install --force-reinstall mlcheck)"
    )


# -- demo -------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One job of the journey and the exit code it should end with."""

    title: str
    notebook: str
    parameters: dict[str, Any]
    expected_exit: int


def journey(*, quick: bool = False) -> list[Step]:
    """The demo's jobs, in order: train, score a normal batch, score a drifted one."""
    return [
        Step("train the model; the gate exports it", "train.ipynb", dict(QUICK_TRAIN) if quick else {}, 0),
        Step(
            "score a normal batch",
            "score.ipynb",
            {"input_path": "data/batch_normal.parquet", "output_path": "predictions/batch_normal.parquet"},
            0,
        ),
        Step(
            "score a drifted batch",
            "score.ipynb",
            {"input_path": "data/batch_drifted.parquet", "output_path": "predictions/batch_drifted.parquet"},
            1,
        ),
    ]


def add_arguments_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        default=None,
        metavar="DIR",
        help=f"a new or empty folder to run the demo in (default: ./{DEFAULT_DIR}, or "
        f"./{DEFAULT_DIR}-2, -3, ... when that is taken)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="train with fewer bootstrap resamples and no generated parity rows (for CI)",
    )
    parser.add_argument(
        "--part",
        choices=PARTS,
        default="all",
        help="contracts (train, gate, score: about a minute), monitoring (26 weekly jobs watched: about a "
        "minute and a half) or all (default)",
    )


def default_folder(parent: Path) -> Path:
    """``parent/mlcheck-demo``, or the first of ``mlcheck-demo-2``, ``-3``, ... that is new or empty."""
    number = 1
    while True:
        candidate = parent / (DEFAULT_DIR if number == 1 else f"{DEFAULT_DIR}-{number}")
        if not candidate.exists() or (candidate.is_dir() and not any(candidate.iterdir())):
            return candidate
        number += 1


def prepare_folder(folder: Path, files: tuple[str, ...] = DEMO_FILES) -> None:
    """Create ``folder`` (refusing one that is a file or not empty) and copy ``files`` of the demo into it."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"demo --dir {folder}: that is a file, not a folder; give a new folder's path")
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(
            f"demo --dir {folder}: the folder is not empty; the demo needs a fresh folder so it never "
            "overwrites your files. Remove it or give another --dir"
        )
    source = resource_dir(EXAMPLES)
    missing = [name for name in files if not (source / name).is_file()]
    if missing:
        raise MlcheckError(f"the example notebooks in {source} lack {missing}; reinstall mlcheck")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (copy_notebook if name.endswith(".ipynb") else copy_file)(source / name, folder / name)
    except OSError as error:
        raise UsageError(
            f"demo --dir {folder}: cannot create the demo folder there ({error.strerror})"
        ) from None


def summary_lines(results: list[Any], *, max_failures: int = 8) -> list[str]:
    """One line per check (how many subjects held), then its failing subjects in the check's order."""
    from mlcheck.display.cards import format_value

    lines = []
    width = max((len(result.name) for result in results), default=0)
    for result in results:
        outcomes = list(result.outcomes or ())
        word = "ok" if result.passed else ("FAIL" if result.severity == "error" else "warn")
        held = sum(outcome.passed for outcome in outcomes)
        count = f"{held}/{len(outcomes)} held" if outcomes else ""
        lines.append(f"  {word:<4}  {result.name:<{width}}  {count:<11} {result.message or ''}".rstrip())
        failing = [outcome for outcome in outcomes if not outcome.passed]
        for outcome in failing[:max_failures]:
            lines.append(
                f"          {outcome.subject}: {format_value(outcome.observed)} "
                f"(threshold {format_value(outcome.threshold)})"
            )
        if len(failing) > max_failures:
            lines.append(f"          ... and {len(failing) - max_failures} more")
    return lines or ["  no checks were recorded"]


def run_demo(args: argparse.Namespace) -> int:
    part = getattr(args, "part", "all")
    folder = Path(args.dir).expanduser().absolute() if args.dir else default_folder(Path.cwd())
    files = DEMO_FILES if part == "all" else PART_FILES[part]
    prepare_folder(folder, files)
    print(f"mlcheck demo in {folder}")
    code = 0
    if part in ("all", "contracts"):
        code = run_contracts(folder, quick=args.quick)
    if code == 0 and part in ("all", "monitoring"):
        from mlcheck.cli.demo_monitoring import run_monitoring

        if part == "all":
            print()
        code = run_monitoring(folder, quick=args.quick, timeout=RUN_TIMEOUT)
    return code


def run_contracts(folder: Path, *, quick: bool) -> int:
    """The contracts part: train, gate and export, score a normal and a drifted batch."""
    from mlcheck.cli.jobs import _ProgressPrinter  # the same cell-by-cell display as `mlcheck run`
    from mlcheck.runs import run_notebook

    runs_dir = folder / "runs"
    print("data: ISLP's Caravan insurance customers (6% bought a policy); see data/README.md\n")
    started = time.monotonic()
    runs = []
    steps = journey(quick=quick)
    for number, step in enumerate(steps, start=1):
        given = " ".join(f"-p {name} {value}" for name, value in step.parameters.items())
        print(f"[{number}/{len(steps)}] {step.title}: mlcheck run {step.notebook} {given}".rstrip())
        run = run_notebook(
            folder / step.notebook,
            step.parameters,
            runs_dir=runs_dir,
            timeout=RUN_TIMEOUT,
            progress=_ProgressPrinter("auto" if sys.stderr.isatty() else "none", sys.stderr),
        )
        runs.append((step, run))
        print("\n".join(summary_lines(run.results)))
        if run.failed_cell:
            cell = run.failed_cell
            print(f"  cell {cell.get('index')} raised {cell.get('ename')}: {cell.get('evalue')}")
        verdict = "as expected" if run.exit_code == step.expected_exit else f"expected {step.expected_exit}"
        print(f"  exit code {run.exit_code} ({run.status}, {verdict}) in {run.duration:.1f} s")
        print(f"  report: {run.report_path if run.report_path.is_file() else 'not rendered'}\n")
        if run.exit_code != step.expected_exit:
            print(f"the demo stopped: {step.notebook} ended with exit code {run.exit_code}: {run.message}")
            print(f"look at {run.output_path}")
            return run.exit_code if run.exit_code else 1
    elapsed = time.monotonic() - started
    print(f"the journey took {elapsed:.0f} s. What it left in {folder}:")
    print("  artifacts/caravan/        the bundle the gate exported (model, schema, profile, contracts)")
    print("  predictions/              predictions for the normal batch; none for the drifted one")
    print("  runs/<notebook>/<run-id>/ one folder per job: output.ipynb, run.json, report.html")
    for step, run in runs:
        print(f"    {run.run_dir.relative_to(folder)}  exit {run.exit_code}  {step.title}")
    print("next:")
    print(f"  open a report:       {runs[-1][1].report_path}")
    print(f"  in JupyterLab:       jupyter lab {folder}")
    print(
        f"  on a new batch:      cd {folder} && mlcheck run score.ipynb -p input_path BATCH.parquet "
        "-p output_path OUT.parquet"
    )
    print("  your own notebooks:  mlcheck new train my_train.ipynb && mlcheck new score my_score.ipynb")
    return 0


# -- new --------------------------------------------------------------------
def add_arguments_new(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", metavar="KIND", choices=TEMPLATE_KINDS, help="train or score")
    parser.add_argument("name", metavar="NAME", help="the new notebook's path (.ipynb is added if missing)")


def run_new(args: argparse.Namespace) -> int:
    source = resource_dir(TEMPLATES) / f"{args.kind}.ipynb"
    if not source.is_file():
        raise MlcheckError(f"the {args.kind} template {source} is missing; reinstall mlcheck")
    target = Path(args.name)
    if target.suffix != ".ipynb":
        target = target.with_name(target.name + ".ipynb")
    if target.exists():
        raise UsageError(f"new {args.kind}: {target} already exists; give another NAME (nothing was written)")
    if not target.parent.is_dir():
        raise UsageError(f"new {args.kind}: the folder {target.parent} does not exist; create it first")
    try:
        copy_notebook(source, target, overwrite=False)
    except FileExistsError:
        raise UsageError(f"new {args.kind}: {target} already exists; give another NAME") from None
    except WriteError:
        raise  # the path and the fix already named: exit 2 for a refused path, 6 for a full disk
    except OSError as error:
        raise UsageError(f"new {args.kind}: cannot write {target} ({error.strerror})") from None
    print(f"wrote {target} from the {args.kind} template")
    print(f"  its parameters:  mlcheck params {target}")
    print(
        f"  fill in the cells marked 'Fill in', then run it as a job: mlcheck run {target} -p NAME VALUE ..."
    )
    return 0
