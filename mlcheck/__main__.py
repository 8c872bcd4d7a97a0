"""``python -m mlcheck`` and the ``mlcheck`` command.

SIGTERM and SIGINT end the command with exit 130 and no traceback from the
moment this module runs; ``mlcheck run`` then holds its own handler while a job
runs. (A signal in the first milliseconds, while Python itself starts, ends the
process the way Python does.) Once the command has its exit code, both signals
are ignored: Python's own shutdown must not turn a recorded answer into a
death by signal.
"""

import signal
import sys


class _Cancelled(KeyboardInterrupt):
    """Ctrl-C by another name (see mlcheck.runs.runner.Cancelled for why not KeyboardInterrupt itself)."""


def _interrupted(signum: int, frame: object) -> None:
    raise _Cancelled(f"signal {signum}")


def console() -> None:
    """Run the command line and exit with its code."""
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        from mlcheck.cli import main

        code = main()
    except KeyboardInterrupt:
        print("mlcheck: interrupted", file=sys.stderr)
        code = 130
    # CPython resets handled signals to their default action as it shuts down (a late SIGINT
    # would kill the process and replace the exit code); ignored ones it leaves ignored
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    console()
