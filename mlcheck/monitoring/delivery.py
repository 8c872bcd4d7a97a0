"""Delivering alerts once: what ``mlcheck monitor`` sent where, remembered beside the runs.

The alert policy (:mod:`mlcheck.monitoring.alerts`) raises an alert on the run
where a cause turns bad. A monitor invoked again before the next run (on its
own cron, or retried after a webhook failure, as exit code 6 advises) sees the
same alerts; sending them again would page again for one state change. So each
delivery is remembered in ``.monitor-delivered.json``, beside the runs'
monitor index in the notebook's runs folder (``<runs_dir>/<stem>/``), keyed by
the alert's cause, subjects and the run its streak started, per destination:
the ``--log`` file (by its absolute path) and the ``--webhook`` (by a hash of
its URL: a webhook URL often holds a token, which has no business in a file
beside the runs). An alert is sent to each destination once; a retry after a
webhook failure posts what the webhook missed, and does not append the log
lines again.

The file is rewritten whole and atomically (:mod:`mlcheck._atomic`), under an
advisory lock (``fcntl.flock`` on ``.monitor-delivered.lock``, where the
system has it) so two monitors started at once do not both send. Entries whose
streak's first run has gone away (a run folder deleted) are dropped. A runs
folder that cannot be written (read-only) only loses the memory: the alerts are
still delivered, with a warning that the next invocation sends them again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlcheck.monitoring.alerts import Alert, MonitorState

__all__ = ["MEMORY_FILE", "Deliveries", "destinations", "remembered", "sort_out"]

#: what was delivered where, beside the runs' monitor index (``series.INDEX_FILE``)
MEMORY_FILE = ".monitor-delivered.json"
#: held while a monitor reads, delivers and rewrites the memory
LOCK_FILE = ".monitor-delivered.lock"
#: the memory file's format; an unknown version is read as empty (sent again rather than lost)
VERSION = 1


def destinations(log: str | Path | None, webhook: str | None) -> dict[str, str]:
    """Destination id -> what it is, in words, for the given ``--log`` and ``--webhook``.

    The log by its absolute path (the same file named from another folder is
    the same destination); the webhook by the first 16 hex digits of its URL's
    sha256, so a token in the URL is not written down.
    """
    found: dict[str, str] = {}
    if log:
        found[f"log:{Path(log).resolve()}"] = f"the log {log}"
    if webhook:
        found[f"webhook:{hashlib.sha256(webhook.encode('utf-8')).hexdigest()[:16]}"] = "the webhook"
    return found


def _key(alert: Alert) -> str:
    return json.dumps([alert.cause, list(alert.subjects), alert.since])


@dataclass
class Deliveries:
    """The memory of one runs folder: alert key -> destination id -> when it was delivered (ISO 8601, UTC)."""

    folder: Path
    sent: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | Path) -> Deliveries:
        """The memory in ``folder``; empty when there is none or it cannot be read (then alerts are sent again)."""
        folder = Path(folder)
        try:
            data = json.loads((folder / MEMORY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(folder)
        if not isinstance(data, Mapping) or data.get("version") != VERSION or not isinstance(data.get("sent"), list):
            return cls(folder)
        sent: dict[str, dict[str, str]] = {}
        for entry in data["sent"]:
            if isinstance(entry, Mapping) and isinstance(entry.get("to"), Mapping):
                key = json.dumps([entry.get("cause"), list(entry.get("subjects") or ()), entry.get("since")])
                sent[key] = {str(k): str(v) for k, v in entry["to"].items()}
        return cls(folder, sent)

    def delivered(self, alert: Alert) -> dict[str, str]:
        """Destination id -> when ``alert`` was delivered there."""
        return dict(self.sent.get(_key(alert), {}))

    def record(self, alert: Alert, destination: str) -> None:
        """Remember that ``alert`` reached ``destination`` now."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.sent.setdefault(_key(alert), {})[destination] = now

    def write(self) -> str | None:
        """Rewrite the memory atomically; the problem in words when the folder refuses it, else None.

        Entries whose streak's first run folder is gone are dropped, so the
        file stays as small as the runs kept.
        """
        from mlcheck._atomic import atomic_write_json
        from mlcheck.errors import WriteError

        entries = []
        for key, to in sorted(self.sent.items()):
            cause, subjects, since = json.loads(key)
            if since and (self.folder / str(since)).is_dir():
                entries.append({"cause": cause, "subjects": subjects, "since": since, "to": to})
        try:
            atomic_write_json(self.folder / MEMORY_FILE, {"version": VERSION, "sent": entries})
        except WriteError as error:
            return str(error)
        return None


def sort_out(state: MonitorState, memory: Deliveries, wanted: Mapping[str, str]) -> dict[int, list[str]]:
    """Keep in ``state.alerts`` only the alerts still to deliver; the others go to ``state.delivered``.

    Parameters
    ----------
    state : MonitorState
        From :func:`~mlcheck.monitoring.alerts.evaluate_alerts`; changed in place.
    memory : Deliveries
        What earlier invocations delivered.
    wanted : mapping of str to str
        The destinations of this invocation (:func:`destinations`). With none,
        an alert is news until it has been delivered anywhere: looking at the
        state (``mlcheck monitor`` alone) delivers nothing and remembers nothing.

    Returns
    -------
    dict of int to list of str
        Position in the new ``state.alerts`` -> the destinations it still has to reach.
    """
    fresh: list[Alert] = []
    pending: dict[int, list[str]] = {}
    for alert in state.alerts:
        reached = memory.delivered(alert)
        missing = [d for d in wanted if d not in reached]
        if missing or (not wanted and not reached):
            pending[len(fresh)] = missing
            fresh.append(alert)
        else:
            state.delivered.append({**alert.to_dict(), "delivered_at": max(reached.values())})
    state.alerts = fresh
    return pending


@contextmanager
def remembered(folder: str | Path, *, lock: bool = True) -> Iterator[Deliveries]:
    """The memory of ``folder``, read under its lock (when ``lock``), which is held until the block ends.

    Without ``lock`` (a look with no destination, which writes nothing), without
    ``fcntl`` (Windows) or in a folder where the lock file cannot be made
    (read-only), there is no lock: two monitors delivering at the same instant
    may then both send.
    """
    folder = Path(folder)
    handle = None
    if lock:
        try:
            import fcntl

            handle = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held open across the block
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except (ImportError, OSError):
            if handle is not None:
                handle.close()
            handle = None
    try:
        yield Deliveries.read(folder)
    finally:
        if handle is not None:
            handle.close()  # closing releases the flock
