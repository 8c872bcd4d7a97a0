"""``mlcheck parity BUNDLE SCORE_NB``: does the scoring notebook reproduce training?

Runs the scoring notebook as a job on the bundle's golden inputs and compares
its predictions with those recorded at export. Exit 0 when they agree, 1 when
they differ or a check in the notebook failed, 2 for a usage error (a bundle
that does not verify, a notebook without the ``model_dir``, ``input_path`` and
``output_path`` parameters), or the run's own exit code (3 a cell raised,
4 timed out, 5 the kernel died).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments_parity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE", help="the exported bundle's directory")
    parser.add_argument(
        "notebook",
        metavar="SCORE_NB",
        help="the scoring notebook (parameters model_dir, input_path, output_path)",
    )
    parser.add_argument(
        "--runs-dir", default="runs", help="where the job's run directory goes (default: runs)"
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds for the whole run")
    parser.add_argument("--kernel", metavar="K", help="kernelspec to run in (default: this interpreter)")
    parser.add_argument(
        "--rtol", type=float, default=1e-9, help="relative tolerance for scores (default: 1e-9)"
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=None,
        metavar="TYPE",
        help="trust this type when loading the bundle's model; repeat for more",
    )


def run_parity(args: argparse.Namespace) -> int:
    from mlcheck.bundle.golden import check_golden

    result, run = check_golden(
        args.bundle,
        args.notebook,
        runs_dir=args.runs_dir,
        timeout=args.timeout,
        kernel=args.kernel,
        rtol=args.rtol,
        trusted=args.trust,
    )
    print(str(result))
    for check in run.failed_checks:
        print(str(check))
    print(f"run: {run.run_dir}")
    if run.exit_code not in (0, 1):
        if run.failed_cell:
            print(f"{run.failed_cell.get('ename')}: {run.failed_cell.get('evalue')}", file=sys.stderr)
        return int(run.exit_code)
    return 0 if result.passed and run.exit_code == 0 else 1
