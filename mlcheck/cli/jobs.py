"""``mlcheck run``, ``params``, ``report`` and ``history``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any, Mapping, TextIO

from mlcheck.display.cards import format_value


# -- run --------------------------------------------------------------------
def add_arguments_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB", help="the notebook to execute")
    parser.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter (coerced to its declared type); repeat for more",
    )
    parser.add_argument("-f", "--parameter-file", metavar="FILE", help="parameters from a YAML or JSON file")
    parser.add_argument("--runs-dir", default="runs", help="where run directories go (default: runs)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds for the whole run")
    parser.add_argument("--cell-timeout", type=float, metavar="S", help="seconds for any one cell")
    parser.add_argument("--kernel", metavar="K", help="kernelspec to run in (default: this interpreter)")
    parser.add_argument("--run-id", help="use this run id (default: a new, time-sortable one)")
    parser.add_argument(
        "--progress", choices=("auto", "bar", "plain", "none"), default="auto",
        help="progress display: a bar on a terminal, plain lines otherwise (default: auto)",
    )
    parser.add_argument("--no-report", action="store_true", help="do not render report.html")


class _ProgressPrinter:
    """A one-line bar on a terminal, ticking while a cell runs; one line per cell elsewhere (CI, cron)."""

    def __init__(self, mode: str, stream: TextIO) -> None:
        self.stream = stream
        self.bar = mode == "bar" or (mode == "auto" and stream.isatty())
        self.silent = mode == "none"
        self.last: Mapping[str, Any] | None = None
        self.started = time.monotonic()
        self.done = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, status: Mapping[str, Any]) -> None:
        if self.silent:
            return
        with self.lock:
            self.last, self.started = status, time.monotonic() - float(status["elapsed"])
        if self.bar:
            if status["state"] == "starting":
                threading.Thread(target=self._tick, name="mlcheck-progress", daemon=True).start()
            elif status["state"] not in ("running",):
                self.done.set()
                self.stream.write(f"\r{' ' * 60}\r")
                self.stream.flush()
                return
            self._draw()
        elif status["state"] == "running":
            print(f"cell {status['cell']}/{status['n_cells']} started at {status['elapsed']:.1f} s", file=self.stream, flush=True)

    def _draw(self) -> None:
        with self.lock:
            if self.last is None or self.done.is_set():
                return
            cell, total = self.last["cell"], self.last["n_cells"]
            elapsed = time.monotonic() - self.started
            width = 24
            filled = int(width * max(cell - 1, 0) / total) if total else 0
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] cell {cell}/{total} · {elapsed:6.1f} s ")
            self.stream.flush()

    def _tick(self) -> None:
        while not self.done.wait(0.5):
            self._draw()


def _cancel_on_sigterm(signum: int, frame: Any) -> None:
    # SIGTERM (a scheduler or the JupyterLab panel cancelling) ends the job like Ctrl-C:
    # the kernel is interrupted and killed, output.ipynb is saved, the run is "cancelled".
    raise KeyboardInterrupt(f"signal {signum}")


def check_table(results: list[Any]) -> str:
    """The table ``mlcheck run`` ends with: one line per check subject."""
    rows = []
    for result in results:
        for outcome in result.outcomes or ():
            rows.append((outcome.passed, result.severity, f"{result.name}[{outcome.subject}]", outcome.observed, outcome.threshold))
        if not result.outcomes:
            rows.append((result.passed, result.severity, result.name, result.observed, result.threshold))
    if not rows:
        return "no checks were recorded"
    name_width = max(len(row[2]) for row in rows)
    lines = [f"{'':4}  {'check':<{name_width}}  {'observed':>12}  {'threshold':>12}"]
    for passed, severity, name, observed, threshold in rows:
        word = "ok" if passed else ("FAIL" if severity == "error" else "warn")
        lines.append(f"{word:<4}  {name:<{name_width}}  {format_value(observed):>12}  {format_value(threshold):>12}")
    return "\n".join(lines)


def run_run(args: argparse.Namespace) -> int:
    from mlcheck.runs import run_notebook

    parameters: dict[str, str] = {}
    for name, value in args.parameter:
        parameters[name] = value
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _cancel_on_sigterm) if in_main_thread else None
    try:
        run = run_notebook(
            args.notebook,
            parameters,
            runs_dir=args.runs_dir,
            parameter_file=args.parameter_file,
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            kernel=args.kernel,
            progress=_ProgressPrinter(args.progress, sys.stderr),
            run_id=args.run_id,
            report=not args.no_report,
        )
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(check_table(run.results))
    print()
    print(f"{run.status}: {run.message}")
    if run.failed_cell:
        cell = run.failed_cell
        print(f"failing cell {cell['index']}:")
        for line in str(cell.get("source", "")).splitlines()[:15]:
            print(f"    {line}")
        trace = cell.get("traceback") or []
        if trace:
            print("\n".join(trace[-8:]))
    print(f"run directory: {run.run_dir}")
    if run.report_path.exists():
        print(f"report: {run.report_path}")
    return run.exit_code


# -- params -----------------------------------------------------------------
def add_arguments_params(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run_params(args: argparse.Namespace) -> int:
    from mlcheck.runs.parameters import load_notebook, parameters_cell_index, read_parameters

    notebook = load_notebook(args.notebook)
    parameters = read_parameters(notebook)
    if args.json:
        print(json.dumps([p.to_dict() for p in parameters], indent=2))
        return 0
    if parameters_cell_index(notebook) is None:
        print(f"{args.notebook} has no cell tagged 'parameters': it runs with its own values only.")
        return 0
    if not parameters:
        print(f"{args.notebook}: the parameters cell assigns no names.")
        return 0
    rows = [(p.name, p.type_name, p.default_source, p.comment) for p in parameters]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("name", "type", "default", "comment"))]
    print("  ".join(h.ljust(w) for h, w in zip(("name", "type", "default", "comment"), widths)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


# -- report -----------------------------------------------------------------
def add_arguments_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN", help="a run directory (runs/<notebook>/<run-id>)")


def run_report(args: argparse.Namespace) -> int:
    from mlcheck.runs.report import render_report

    print(render_report(args.run_dir))
    return 0


# -- history ----------------------------------------------------------------
def add_arguments_history(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB", nargs="?", help="only this notebook's runs")
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("-n", "--limit", type=int, default=20, help="newest N runs (default 20)")
    parser.add_argument("--json", action="store_true")


def run_history(args: argparse.Namespace) -> int:
    from mlcheck.runs.history import history

    rows = history(args.runs_dir, args.notebook)[: max(args.limit, 0)]
    if args.json:
        print(json.dumps([{**row.__dict__, "run_dir": str(row.run_dir)} for row in rows], indent=2, default=str))
        return 0
    if not rows:
        print(f"no runs under {args.runs_dir}")
        return 0
    for row in rows:
        changed = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in row.changed.items())
        values = " ".join(
            f"{k}={format_value(v)}" for k, v in list(row.values.items())[:4] if not isinstance(v, (list, dict))
        )
        flags = f"  !! {', '.join(row.anomalies)}" if row.anomalies else ""
        failed = f"  failed: {', '.join(row.failed_checks[:3])}" if row.failed_checks else ""
        print(f"{row.run_id}  {row.notebook:<20} {row.status:<9} {row.duration:7.1f} s  {changed}  {values}{failed}{flags}".rstrip())
    return 0
