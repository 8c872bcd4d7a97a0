"""mc.monitor's time index when a batch parameter is not a date (found by a new user, session 3)."""

from __future__ import annotations

import json
from pathlib import Path

import mlcheck as mc


def _run(folder: Path, run_id: str, batch_date: str, started: str) -> None:
    record = {
        "run_id": run_id, "notebook": str(folder / "job.ipynb"), "status": "succeeded", "exit_code": 0,
        "kind": "job", "started": started, "duration": 3.0, "parameters": {"batch_date": batch_date},
        "results": [], "values": {"level": 1.0},
    }  # fmt: skip
    (folder / "runs" / "job" / run_id).mkdir(parents=True)
    (folder / "runs" / "job" / run_id / "run.json").write_text(json.dumps(record), encoding="utf-8")


def test_a_run_whose_batch_date_is_not_a_date_falls_back_to_its_start_and_breaks_nothing(tmp_path):
    """One run given `-p batch_date "{{ ds }}"` (an unrendered template) made every later monitor a traceback."""
    _run(tmp_path, "20260101T000000000000Z-000001", "2026-01-01", "2026-01-01T01:00:00.123456+00:00")
    _run(tmp_path, "20260102T000000000000Z-000002", "{{ ds }}", "2026-01-02T01:00:00.654321+00:00")
    _run(tmp_path, "20260103T000000000000Z-000003", "2026-01-03", "2026-01-03T01:00:00.000001+00:00")
    series = mc.monitor(tmp_path / "runs", "job")
    assert [str(t) for t in series.index] == [
        "2026-01-01 00:00:00+00:00",
        "2026-01-02 01:00:00.654321+00:00",  # its start: the batch parameter said nothing usable
        "2026-01-03 00:00:00+00:00",
    ]
