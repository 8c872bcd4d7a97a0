"""``mlcheck run``, ``params``, ``report`` and ``history``."""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from typing import Any, TextIO

from mlcheck.display.cards import format_value


# -- run --------------------------------------------------------------------
def add_arguments_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB", help="the notebook to execute")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action=_ParameterPair,
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter, read by its declared type (VALUE may start with '-': -p shift -1e-3); repeatable",
    )
    parser.add_argument(
        "-r",
        "--raw-parameter",
        nargs=2,
        action=_ParameterPair,
        default=[],
        metavar=("NAME", "TEXT"),
        help="set a parameter to TEXT as a str, never interpreted (papermill's -r; wins over -p)",
    )
    for option, dest in _PAIR_OPTIONS.items():  # what _verbatim_values rewrites -p/-r into
        parser.add_argument(option, action=_ParameterPair, dest=dest, help=argparse.SUPPRESS)
    _take_values_verbatim(parser)
    parser.add_argument("-f", "--parameter-file", metavar="FILE", help="parameters from a YAML or JSON file")
    parser.add_argument(
        "--runs-dir", metavar="DIR",
        help="where run directories go (default: runs/ beside the notebook); relative to the current folder",
    )  # fmt: skip
    parser.add_argument(
        "--cwd", metavar="DIR", help="the kernel's working folder (default: the notebook's folder)"
    )
    parser.add_argument(
        "--log-output",
        action="store_true",
        help="stream the notebook's own output (prints, logging) to stderr",
    )
    parser.add_argument(
        "--timeout", type=_seconds, metavar="S", help="seconds for the whole run (default: no limit)"
    )
    parser.add_argument(
        "--cell-timeout", type=_seconds, metavar="S", help="seconds for any one cell (default: no limit)"
    )
    parser.add_argument("--kernel", metavar="K", help="kernelspec to run in (default: this interpreter)")
    parser.add_argument("--run-id", help="use this run id (default: a new, time-sortable one)")
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "none"),
        default="auto",
        help="progress display: a bar on a terminal, plain lines otherwise (default: auto)",
    )
    parser.add_argument("--no-report", action="store_true", help="do not render report.html")
    from mlcheck.runs.rundir import exit_code_table

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "exit codes (a scheduler retries only where retry says yes):\n"
        + exit_code_table()
        + "\n\nPaths given here (NB, --runs-dir, -f) are relative to the current folder; the notebook's"
        "\nparameter values are read by the notebook, which runs in its own folder (or --cwd)."
    )


def _seconds(text: str) -> float:
    """A timeout in seconds: positive and finite (``inf`` used to reach the runner and crash as exit 3)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(
            f"must be a positive, finite number of seconds, got {text!r} (omit the option for no limit)"
        )
    return value


_PAIR_OPTIONS = {"--parameter-pair": "parameter", "--raw-parameter-pair": "raw_parameter"}
_PAIR_OF = {"-p": "--parameter-pair", "--parameter": "--parameter-pair", "-r": "--raw-parameter-pair",
            "--raw-parameter": "--raw-parameter-pair"}  # fmt: skip


class _ParameterPair(argparse.Action):
    """Collects ``-p`` (or ``-r``) pairs as [name, value], given as two words or as one NAME-NUL-VALUE word."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        pair = values.split("\0", 1) if isinstance(values, str) else list(values)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), pair])


def _verbatim_values(arguments: list[str]) -> list[str]:
    """``-p NAME VALUE`` as one ``--parameter-pair=NAME<NUL>VALUE`` word, so a VALUE like -1e-3 or -inf is a value.

    argparse takes any token that starts with '-' (other than a plain negative
    number) for an option; papermill's -p takes the next two tokens whatever they
    are. NUL cannot occur in a command-line argument, so the pair splits back exactly.
    """
    rewritten: list[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if token == "--":
            rewritten.extend(arguments[index:])
            break
        pair_option = _PAIR_OF.get(token)
        if pair_option is not None and index + 2 < len(arguments):
            rewritten.append(f"{pair_option}={arguments[index + 1]}\0{arguments[index + 2]}")
            index += 3
            continue
        rewritten.append(token)
        index += 1
    return rewritten


def _take_values_verbatim(parser: argparse.ArgumentParser) -> None:
    parse_known_args = parser.parse_known_args

    def parse(args: Any = None, namespace: Any = None) -> Any:
        return parse_known_args(None if args is None else _verbatim_values(list(args)), namespace)

    parser.parse_known_args = parse  # type: ignore[method-assign]


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
            print(
                f"cell {status['cell']}/{status['n_cells']} started at {status['elapsed']:.1f} s",
                file=self.stream,
                flush=True,
            )

    def _draw(self) -> None:
        with self.lock:
            if self.last is None or self.done.is_set():
                return
            cell, total = self.last["cell"], self.last["n_cells"]
            elapsed = time.monotonic() - self.started
            width = 24
            filled = int(width * max((cell or 0) - 1, 0) / total) if total else 0
            where = f"cell {cell}/{total}" if cell else "starting"
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {where} · {elapsed:6.1f} s ")
            self.stream.flush()

    def _tick(self) -> None:
        while not self.done.wait(0.5):
            self._draw()


def _log_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    print(f"mlcheck run: warning: {message}", file=sys.stderr, flush=True)


class _Cancel:
    """SIGINT and SIGTERM around ``mlcheck run`` (a scheduler, Ctrl-C or the JupyterLab panel cancelling).

    Before the run has its final record a signal ends the command like Ctrl-C
    (exit 130; while the job runs, the runner holds its own handler and records
    the run as cancelled). Once the final record is written, the run's own exit
    code stands: printing the log must not turn a recorded success into 130.
    """

    def __init__(self) -> None:
        self.recorded = False

    def __call__(self, signum: int, frame: Any) -> None:
        if not self.recorded:
            from mlcheck.runs.runner import Cancelled

            raise Cancelled(f"signal {signum}")

    def watch(self, progress: Any) -> Any:
        """Wrap the progress callback: a final status means the record is written."""
        from mlcheck.runs.rundir import Status

        def seen(status: Mapping[str, Any]) -> None:
            if Status.parse(status["state"]).final:
                self.recorded = True
            progress(status)

        return seen


def check_table(results: list[Any]) -> str:
    """What the checks found, failures first: one line per failed subject, with its reason in words,
    then one line for everything that held."""
    failed: list[tuple[str, str, Any, Any, str]] = []
    held: dict[str, int] = {}
    total = 0
    for result in results:
        outcomes = result.outcomes or ()
        subjects = [
            (o.passed, f"{result.name}[{o.subject}]", o.observed, o.threshold, o.message) for o in outcomes
        ]
        if not outcomes:
            subjects = [(result.passed, result.name, result.observed, result.threshold, result.message)]
        for passed, name, observed, threshold, message in subjects:
            total += 1
            if passed:
                held[result.name] = held.get(result.name, 0) + 1
            else:
                word = "FAIL" if result.severity == "error" else "warn"
                failed.append((word, name, observed, threshold, message or result.message))
    if not total:
        return "no checks were recorded"
    lines = []
    if failed:
        width = max(len(row[1]) for row in failed)
        for word, name, observed, threshold, message in failed:
            reason = f"  {message}" if message else ""
            lines.append(
                f"{word:<4}  {name:<{width}}  observed {format_value(observed)} vs threshold {format_value(threshold)}{reason}"
            )
    n_held = sum(held.values())
    parts = ", ".join(f"{name} {count}" for name, count in held.items())
    lines.append(f"held: {n_held} of {total} checked subjects" + (f" ({parts})" if parts else ""))
    return "\n".join(lines)


def _exit_line(run: Any) -> str:
    from mlcheck.runs.rundir import Status

    status = Status.parse(run.status)
    meaning = status.meaning
    if status is Status.SUCCEEDED and not run.results:  # "every contract held" would claim checks ran
        meaning = "the notebook ran to its end; it recorded no checks"
    return f"exit {run.exit_code} ({status.value}): {meaning}; retry: {'yes' if status.retry else 'no'}"


def _outputs(run: Any) -> list[str]:
    """Whether each output a parameter names (``output_path``, ``out_dir``, ...) was written by this run.

    A path is taken relative to the folder the kernel ran in; "written" means
    it exists and changed after the run started.
    """
    from datetime import datetime
    from pathlib import Path

    try:
        started = datetime.fromisoformat(run.started).timestamp()
    except (TypeError, ValueError):
        return []
    base = Path(run.record.cwd) if run.record.cwd else Path(run.notebook).parent
    lines = []
    for name, value in run.parameters.items():
        if not isinstance(value, str) or not value or "out" not in name.lower():
            continue
        path = Path(value) if Path(value).is_absolute() else base / value
        try:
            written = path.exists() and path.stat().st_mtime >= started
        except OSError:
            written = False
        lines.append(f"{name}={value} ({'written' if written else 'not written'})")
    return lines


def print_run(run: Any, stream: TextIO | None = None) -> None:
    """The log of a finished run that on-call reads: failures first, then what held, where things are, what the exit code means."""

    def out(text: str = "") -> None:
        # sys.stdout looked up at each call, not bound at import: a default of
        # sys.stdout would keep whatever stream was current when the module was
        # first imported (a test's capture, closed since)
        print(text, file=stream if stream is not None else sys.stdout)

    out(f"{run.status.upper()}: {run.message}")
    out(check_table(run.results))
    if run.failed_cell:
        cell = run.failed_cell
        where = f"cell {cell['cell']}" if cell.get("cell") else "mlcheck's set-up"
        out(f"stopped in {where}: {cell.get('ename')}: {cell.get('evalue')}")
        for line in str(cell.get("source", "")).splitlines()[:15]:
            out(f"    {line}")
        trace = cell.get("traceback") or []
        if trace and run.status != "usage":  # a user mistake: its message says what and the fix
            out("\n".join(trace[-8:]))
    values = [f"{k}={format_value(v)}" for k, v in run.values.items() if not isinstance(v, (list, dict))]
    if values:
        out(
            "recorded: "
            + ", ".join(values[:12])
            + (f" (+{len(values) - 12} more)" if len(values) > 12 else "")
        )
    outputs = _outputs(run)
    if outputs:
        out("outputs: " + ", ".join(outputs))
    out(f"run directory: {run.run_dir}")
    out(
        f"executed notebook: {run.output_path}"
        if run.output_path.exists()
        else "executed notebook: not written"
    )
    if run.report_path.exists():
        out(f"report: {run.report_path}")
    out(_exit_line(run))


def run_run(args: argparse.Namespace) -> int:
    from mlcheck.runs import run_notebook
    from mlcheck.runs.parameters import RawText, TextValue

    # papermill's order: -p values, then -r values over them
    parameters: dict[str, str] = {name: TextValue(value) for name, value in args.parameter}
    parameters.update((name, RawText(value)) for name, value in args.raw_parameter)
    in_main_thread = threading.current_thread() is threading.main_thread()
    cancel = _Cancel()
    warnings.showwarning = _log_warning  # one plain line per warning in the job's log
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, cancel) for signum in signals} if in_main_thread else {}
    try:
        run = run_notebook(
            args.notebook,
            parameters,
            runs_dir=args.runs_dir,
            parameter_file=args.parameter_file,
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            kernel=args.kernel,
            progress=cancel.watch(_ProgressPrinter(args.progress, sys.stderr)),
            run_id=args.run_id,
            report=not args.no_report,
            cwd=args.cwd,
            log_output=args.log_output,
        )
        cancel.recorded = True  # the run is over; what it recorded is the answer
        print_run(run)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return int(run.exit_code)


# -- params -----------------------------------------------------------------
def add_arguments_params(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run_params(args: argparse.Namespace) -> int:
    from mlcheck.runs.parameters import RangeWarning, load_notebook, parameters_cell_index, read_parameters

    notebook = load_notebook(args.notebook)
    with warnings.catch_warnings():  # each parameter's note is printed below (or is in the JSON), once
        warnings.simplefilter("ignore", RangeWarning)
        parameters = read_parameters(notebook)
    for parameter in parameters if not args.json else ():
        if parameter.note:
            print(f"mlcheck params: note: {parameter.note}", file=sys.stderr)
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
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("name", "type", "default", "comment"))
    ]
    print("  ".join(h.ljust(w) for h, w in zip(("name", "type", "default", "comment"), widths)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


# -- report -----------------------------------------------------------------
def add_arguments_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run directory, a run id, or `latest` (then give NB)")
    parser.add_argument(
        "notebook", metavar="NB", nargs="?", help="the notebook, for `latest` or to narrow a run id"
    )
    parser.add_argument(
        "--runs-dir", metavar="DIR", help="where the runs are (default: runs/ beside NB, else ./runs)"
    )


def _runs_dir(args: argparse.Namespace) -> str:
    from pathlib import Path

    if args.runs_dir:
        return str(args.runs_dir)
    if getattr(args, "notebook", None):
        return str(Path(args.notebook).expanduser().resolve().parent / "runs")
    return "runs"


def run_report(args: argparse.Namespace) -> int:
    from mlcheck.runs.report import render_report
    from mlcheck.runs.rundir import find_run

    print(render_report(find_run(_runs_dir(args), args.run, args.notebook)))
    return 0


# -- history ----------------------------------------------------------------
def add_arguments_history(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB", nargs="?", help="only this notebook's runs")
    parser.add_argument(
        "--runs-dir", metavar="DIR", help="where the runs are (default: runs/ beside NB, else ./runs)"
    )
    parser.add_argument("-n", "--limit", type=int, default=20, help="newest N runs (default 20)")
    parser.add_argument(
        "--kind", choices=("job", "ci", "golden", "all"), default="job",
        help="which runs: the notebook's jobs (default), its pytest runs (ci), golden-parity runs, or all",
    )  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", help="print strict JSON (non-finite numbers as strings)"
    )


#: failed checks shown per run before "+N more"
SHOWN_FAILURES = 5


def _largest_drift(row: Any) -> str:
    """The run's largest drift figure (from its check_shift results, else its kl/psi/drift values)."""
    if row.drift is None:
        return ""
    name, value = row.drift
    return f"{name}={format_value(value)}"


def _no_rows(runs_dir: str, args: argparse.Namespace) -> str:
    """What to say when no run of the asked kind exists: which other kinds do, and how to list them."""
    from collections import Counter

    from mlcheck.runs.history import history

    if args.kind == "all":
        return f"no runs under {runs_dir}"
    kinds = Counter(row.kind for row in history(runs_dir, args.notebook, kind=None) if not row.damaged)
    if not kinds:
        return f"no runs under {runs_dir}"
    others = "; ".join(
        f"{count} {kind} run{'s' if count > 1 else ''}: use --kind {kind}"
        for kind, count in sorted(kinds.items())
    )
    return f"no {args.kind} runs under {runs_dir}; {others} (or --kind all)"


def run_history(args: argparse.Namespace) -> int:
    from mlcheck.results import to_jsonable
    from mlcheck.runs.history import history

    from mlcheck.errors import UsageError

    if args.limit < 1:
        raise UsageError(f"-n/--limit must be a positive number of runs, got {args.limit}")
    runs_dir = _runs_dir(args)
    every = history(runs_dir, args.notebook, kind=None if args.kind == "all" else args.kind)
    rows = every[: args.limit]
    if args.json:
        data = [{**row.__dict__, "run_dir": str(row.run_dir)} for row in rows]
        print(json.dumps(to_jsonable(data), indent=2, allow_nan=False))
        return 0
    if not rows:
        print(_no_rows(runs_dir, args))
        return 0
    print(
        f"{'run id':<30} {'notebook':<20} {'status':<14} {'exit':>4} {'time':>8}  metrics · drift · changed · failed"
    )

    def name(row: Any) -> str:  # with --kind all, each run says its kind
        return f"{row.notebook} ({row.kind})" if args.kind == "all" else row.notebook

    for row in rows:
        if row.damaged:
            # the row's own label (damaged, killed, running): the same word --json gives
            print(f"{row.run_id:<30} {row.notebook:<20} {row.status:<14} {'':>4} {'':>8}  {row.damaged}")
            continue
        metrics = [
            f"{k}={format_value(v)}" for k, v in row.values.items()
            if isinstance(v, (int, float, str, bool)) and v is not None
        ][:4]  # fmt: skip
        drift = _largest_drift(row)
        changed = [f"{k}={json.dumps(to_jsonable(v))}" for k, v in row.changed.items()]
        failed = row.failed_checks[:SHOWN_FAILURES]
        more = len(row.failed_checks) - len(failed)
        parts = [
            " ".join(metrics),
            f"max drift {drift}" if drift else "",
            " ".join(changed),
            ("failed: " + ", ".join(failed) + (f" +{more} more" if more else "")) if failed else "",
            ("!! " + ", ".join(row.anomalies)) if row.anomalies else "",
        ]
        detail = " · ".join(part for part in parts if part)
        print(
            f"{row.run_id:<30} {name(row):<20} {row.status:<14} {row.exit_code:>4} {row.duration:7.1f}s  {detail}".rstrip()
        )
    if len(every) > len(rows):  # never stop silently: say how many are older and how to see them
        print(f"({len(every) - len(rows)} older run(s) not shown: -n {len(every)} lists them all)")
    return 0
