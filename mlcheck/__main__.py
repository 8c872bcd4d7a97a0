"""``python -m mlcheck``: the command line.

SIGTERM and SIGINT end the command from here on with exit 130 and no
traceback; ``mlcheck run`` then holds its own handler while a job runs. (A
signal in the first few milliseconds, while Python itself starts, ends the
process the way Python does.)
"""

import signal
import sys


class _Cancelled(KeyboardInterrupt):
    """Ctrl-C by another name (see mlcheck.runs.runner.Cancelled for why not KeyboardInterrupt itself)."""


def _interrupted(signum: int, frame: object) -> None:
    raise _Cancelled(f"signal {signum}")


signal.signal(signal.SIGTERM, _interrupted)
signal.signal(signal.SIGINT, _interrupted)
try:
    from mlcheck.cli import main
except KeyboardInterrupt:
    sys.exit(130)
sys.exit(main())
