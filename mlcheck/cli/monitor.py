"""``mlcheck monitor``: the state of a notebook's runs over time, its alerts, a dashboard.

Exit codes: 0 no new alert; 1 new alerts; 2 bad usage; 6 an alert could not
be delivered to the webhook (the alerts are still printed and logged; a
scheduler may retry, and the retry sends only what the webhook missed).

"New" is per destination (:mod:`mlcheck.monitoring.delivery`): an alert
delivered to the ``--log`` and ``--webhook`` by an earlier invocation is not
sent again, and a second ``mlcheck monitor`` on the same state exits 0 ("no
new alert; 1 ongoing: ..."), as a scheduler that pages on a non-zero exit
needs. Without ``--log`` or ``--webhook`` nothing is delivered or remembered:
an alert not yet delivered anywhere is new (exit 1) at every look.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlcheck.errors import UsageError

#: exit code when the webhook could not be reached (the "infrastructure" code of mlcheck run)
WEBHOOK_FAILED = 6


#: units of --expect-every, in seconds
_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "min": 60, "m": 60, "s": 1}


def _duration(text: str) -> timedelta:
    """``1d``, ``12h``, ``30min``, ``1.5d``, ``2w`` as a timedelta (argparse type)."""
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)\s*", text.lower())
    if found is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}; write e.g. 1d, 12h, 30min or 7d")
    value = timedelta(seconds=float(found[1]) * _UNITS[found[2]])
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError(f"a run cannot be expected every {text!r}; give a positive duration")
    return value


def _period(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of runs: {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"a season lasts at least 2 runs, got {value}")
    return value


def add_arguments_monitor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NB", nargs="?", help="the notebook whose runs to watch (path or stem)")
    parser.add_argument("--runs-dir", metavar="DIR", help="where the runs are (default: runs/ beside NB, else ./runs)")
    parser.add_argument("--html", metavar="PATH", help="write the dashboard (one self-contained HTML file)")
    parser.add_argument("--json", action="store_true", help="print the state as strict JSON instead of text")
    parser.add_argument(
        "--log", metavar="FILE", help="append one JSON line per alert to FILE, each alert once (remembered beside the runs)"
    )
    parser.add_argument(
        "--webhook", metavar="URL", help="POST the state as JSON to URL when there are alerts it has not had yet"
    )
    parser.add_argument("--bundle", metavar="DIR", help="weight features by the bundle's importance.json")
    parser.add_argument("--min-weight", type=float, default=0.0, help="drift of features weighing less never alerts")
    parser.add_argument(
        "--min-rows-share", type=float, default=0.5,
        help="a batch with fewer rows than this share of the usual raises no drift alert (default 0.5)",
    )  # fmt: skip
    parser.add_argument("--period", type=_period, help="season length in runs, at least 2 (detected when not given)")
    parser.add_argument("--kind", choices=("job", "ci", "golden"), default="job", help="which runs (default: jobs)")
    parser.add_argument(
        "--expect-every", metavar="DURATION", type=_duration,
        help="how often a run should start (1d, 12h, 7d): alert when none has for 1.5 times that",
    )  # fmt: skip


def _weights(bundle: str | None) -> dict[str, float]:
    """Feature -> importance from the bundle (``importance.json``, as ``mc.export`` writes it)."""
    if not bundle:
        return {}
    from mlcheck.bundle import load

    table = load(bundle).importance  # verified against the manifest, like every bundle file
    if table is None:
        raise UsageError(
            f"{bundle} has no importance: export it with held_out=(X, y) (or importance=mc.importance(...)), "
            "or drop --bundle"
        )
    return {str(name): max(float(value), 0.0) for name, value in table["importance"].items()}


def _post(url: str, payload: dict[str, Any]) -> str | None:
    """POST ``payload`` as JSON; the problem in words, or None when delivered."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the scheme is checked first
            if response.status >= 300:
                return f"the webhook answered {response.status}"
    except (urllib.error.URLError, OSError) as error:
        return f"the webhook could not be reached: {error}"
    return None


def run_monitor(args: argparse.Namespace) -> int:
    from mlcheck._atomic import strict_json
    from mlcheck.monitoring.alerts import alert_lines, evaluate_alerts, format_state
    from mlcheck.monitoring.delivery import destinations, remembered, sort_out
    from mlcheck.monitoring.series import find_runs_folder, monitor

    if args.webhook and not args.webhook.startswith(("http://", "https://")):
        raise UsageError(f"--webhook must be an http:// or https:// URL, got {args.webhook!r}")
    notebook = args.notebook
    runs_dir = args.runs_dir
    if runs_dir is None:
        beside = Path(notebook).parent / "runs" if notebook and notebook.endswith(".ipynb") else None
        runs_dir = beside if beside is not None and beside.is_dir() else Path("runs")
    find_runs_folder(Path(runs_dir), notebook, command_line=True)  # a missing or unnamed notebook, in the command's words
    frame = monitor(runs_dir, notebook, kind=args.kind)
    name = Path(notebook).name if notebook else str(runs_dir)
    state = evaluate_alerts(
        frame,
        notebook=name,
        weights=_weights(args.bundle),
        min_weight=args.min_weight,
        min_rows_share=args.min_rows_share,
        period=args.period,
        expect_every=args.expect_every,
    )
    wanted = destinations(args.log, args.webhook)
    log_id = next((d for d in wanted if d.startswith("log:")), None)
    hook_id = next((d for d in wanted if d.startswith("webhook:")), None)
    # Each alert is delivered once per destination (the policy: an alert per state change, not per
    # invocation); the memory is read, used and rewritten under the runs folder's lock.
    with remembered(frame.attrs["runs_folder"], lock=bool(wanted)) as memory:
        pending = sort_out(state, memory, wanted)
        if args.json:
            print(strict_json(state.to_dict()))
        else:
            print("\n".join(format_state(state)))
        if args.html:
            from mlcheck.monitoring.dashboard import write_dashboard

            path = write_dashboard(args.html, frame, state, period=args.period)
            if not args.json:
                print(f"dashboard: {path}")
        to_log = [i for i, missing in pending.items() if log_id in missing]
        if args.log and to_log:
            from mlcheck._atomic import cannot_write

            lines = alert_lines(state)
            try:
                with open(args.log, "a", encoding="utf-8") as log:  # append-only: each line is whole
                    for i in to_log:
                        log.write(strict_json(lines[i], indent=None) + "\n")
            except OSError as error:  # an unwritable log: its path named (exit 2; 6 for a full disk), not a traceback
                raise cannot_write(Path(args.log), error) from error
            for i in to_log:
                memory.record(state.alerts[i], str(log_id))
        to_hook = [i for i, missing in pending.items() if hook_id in missing]
        problem = None
        if args.webhook and to_hook:
            payload = state.to_dict()
            payload["alerts"] = [payload["alerts"][i] for i in to_hook]  # what this webhook has not had yet
            problem = _post(args.webhook, payload)
            if not problem:
                for i in to_hook:
                    memory.record(state.alerts[i], str(hook_id))
        if to_log or (to_hook and not problem):
            unsaved = memory.write()
            if unsaved:
                print(
                    f"mlcheck monitor: the alerts were delivered but could not be remembered ({unsaved}): "
                    "the next invocation on this state sends them again",
                    file=sys.stderr,
                )
    if problem:
        print(f"mlcheck monitor: {problem}; the alerts above were not delivered to it (exit {WEBHOOK_FAILED}: retry; "
              "a retry sends only what it missed)", file=sys.stderr)  # fmt: skip
        return WEBHOOK_FAILED
    return 1 if state.alerts else 0
