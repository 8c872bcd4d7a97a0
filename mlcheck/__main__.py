"""``python -m mlcheck`` and the ``mlcheck`` command.

SIGTERM and SIGINT end the command with exit 130 and no traceback from the
moment this module runs; ``mlcheck run`` then holds its own handler while a job
runs. (A signal in the first milliseconds, while Python itself starts, ends the
process the way Python does.) Once the command has its exit code, both signals
are ignored: Python's own shutdown must not turn a recorded answer into a
death by signal.

A crash of mlcheck itself (an exception that is not an ``MlcheckError``)
prints its traceback and exits 70, never 1 (a contract failed) or 2 (usage).
"""

import signal
import sys


#: exit code of a crash of mlcheck itself (sysexits' EX_SOFTWARE): not 1, which means a contract failed,
#: and not one of the run statuses a scheduler acts on
INTERNAL_ERROR = 70


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
    except Exception:  # noqa: BLE001 - a bug in mlcheck: never exit 1, which means "a contract failed"
        import traceback

        traceback.print_exc()
        print(
            f"mlcheck: internal error (a bug in mlcheck, not in your notebook or data); exit {INTERNAL_ERROR}. "
            "Please report it with the traceback above.",
            file=sys.stderr,
        )
        code = INTERNAL_ERROR
    # CPython resets handled signals to their default action as it shuts down (a late SIGINT
    # would kill the process and replace the exit code); ignored ones it leaves ignored
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    console()
