"""mlcheck.monitoring.delivery: the memory of what ``mlcheck monitor`` delivered where."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mlcheck.monitoring.alerts import Alert, evaluate_alerts
from mlcheck.monitoring.delivery import MEMORY_FILE, Deliveries, destinations, remembered, sort_out
from mlcheck.monitoring.series import monitor

from test_monitor_alerts import write_runs


def test_destinations_name_the_log_by_its_absolute_path_and_the_webhook_by_a_hash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "https://hooks.example/services/T000/B000/secret-token"
    found = destinations("alerts.jsonl", url)
    assert list(found)[0] == f"log:{tmp_path / 'alerts.jsonl'}"
    assert list(found)[1].startswith("webhook:") and "secret" not in list(found)[1]
    assert destinations(str(tmp_path / "alerts.jsonl"), None) == {list(found)[0]: f"the log {tmp_path / 'alerts.jsonl'}"}
    assert destinations(None, None) == {}


def test_memory_round_trips_and_forgets_streaks_whose_run_is_gone(tmp_path):
    ids = write_runs(tmp_path, 3)
    folder = tmp_path / "score"
    kept = Alert("drift", ("age",), ids[2], "t", "drift in 1 feature(s)")
    gone = Alert("status", ("error",), ids[0], "t", "run did not succeed")
    memory = Deliveries.read(folder)
    memory.record(kept, "log:/a")
    memory.record(gone, "log:/a")
    shutil.rmtree(folder / ids[0])  # the run its streak started was deleted
    assert memory.write() is None
    again = Deliveries.read(folder)
    assert list(again.delivered(kept)) == ["log:/a"] and again.delivered(gone) == {}
    # another cause, other subjects or another streak start is another alert
    assert again.delivered(Alert("drift", ("age", "plan"), ids[2], "t", "")) == {}
    assert again.delivered(Alert("drift", ("age",), ids[1], "t", "")) == {}


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 99, "sent": []}), json.dumps([1, 2])])
def test_a_memory_that_cannot_be_read_is_empty_so_alerts_are_sent_again_not_lost(tmp_path, content):
    (tmp_path / MEMORY_FILE).write_text(content, encoding="utf-8")
    assert Deliveries.read(tmp_path).sent == {}


def test_sort_out_keeps_news_per_destination_and_a_look_without_destination_remembers_nothing(tmp_path):
    write_runs(tmp_path, 41, drifted=lambda day, f: day == 40 and f == "plan")
    frame = monitor(tmp_path, "score")
    memory = Deliveries.read(tmp_path / "score")
    state = evaluate_alerts(frame)
    assert sort_out(state, memory, {}) == {0: []} and len(state.alerts) == 1  # never delivered: news
    memory.record(state.alerts[0], "log:/a")
    state = evaluate_alerts(frame)
    assert sort_out(state, memory, {"log:/a": "", "webhook:x": ""}) == {0: ["webhook:x"]}
    state = evaluate_alerts(frame)
    assert sort_out(state, memory, {"log:/a": ""}) == {} and state.alerts == []
    assert state.delivered[0]["subjects"] == ("plan",) and state.delivered[0]["delivered_at"]
    state = evaluate_alerts(frame)
    assert sort_out(state, memory, {}) == {} and len(state.delivered) == 1  # delivered somewhere: not news


def test_the_lock_keeps_a_second_monitor_out_while_the_first_delivers(tmp_path):
    pytest.importorskip("fcntl")
    probe = (
        "import fcntl, sys\n"
        f"handle = open({str(tmp_path / '.monitor-delivered.lock')!r}, 'a+')\n"
        "try:\n    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n    sys.exit(11)\n"
    )
    with remembered(tmp_path):
        assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 11
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
    with remembered(tmp_path, lock=False):  # a look: no lock taken
        assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
