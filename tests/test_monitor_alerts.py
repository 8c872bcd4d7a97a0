"""mlcheck.monitoring.alerts and ``mlcheck monitor``: state changes, grouping, small batches, delivery."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

from mlcheck.cli import main
from mlcheck.errors import UsageError
from mlcheck.monitoring.alerts import evaluate_alerts, format_state
from mlcheck.monitoring.series import monitor


def write_runs(runs: Path, days: int, *, drifted=lambda day, feature: False, rows=lambda day: 500, status=lambda day: "succeeded", seed: int = 0) -> list[str]:
    """Daily run records as `mlcheck run` writes them: check_shift over 4 features, coverage, a metric."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    run_ids = []
    for day in range(days):
        when = start + timedelta(days=day)
        run_id = when.strftime("%Y%m%dT%H%M%S%fZ") + f"-{day:06x}"
        features = {
            f: {"psi": 0.6 if drifted(day, f) else round(float(rng.gamma(2, 0.01)), 5), "kl": 0.01, "p_value": 0.5,
                "drifted": bool(drifted(day, f)), "bins": ["a", "b"], "reference_pct": [50, 50], "current_pct": [50, 50]}
            for f in ("age", "income", "plan", "region")
        }  # fmt: skip
        code = {"succeeded": 0, "failed": 1, "error": 3}[status(day)]
        record = {
            "run_id": run_id, "notebook": "score.ipynb", "status": status(day), "exit_code": code, "kind": "job",
            "started": when.isoformat(), "duration": float(30 + rng.normal(0, 1)),
            "parameters": {"batch_date": when.date().isoformat()},
            "results": [
                {"name": "check_shift", "passed": not any(drifted(day, f) for f in features), "severity": "error",
                 "details": {"n_current": rows(day), "features": features}, "outcomes": []},
                {"name": "check_coverage", "passed": True, "observed": 0.995, "details": {"n_rows": rows(day)}},
            ],
            "values": {"auc": float(0.8 + 0.02 * (day % 7 >= 5) + rng.normal(0, 0.003))},
        }  # fmt: skip
        (runs / "score" / run_id).mkdir(parents=True)
        (runs / "score" / run_id / "run.json").write_text(json.dumps(record), encoding="utf-8")
        run_ids.append(run_id)
    return run_ids


def test_quiet_series_raises_no_alert(tmp_path):
    write_runs(tmp_path, 60)
    state = evaluate_alerts(monitor(tmp_path, "score"), notebook="score.ipynb")
    assert state.alerts == [] and state.n_runs == 60


def test_drift_alerts_once_when_it_starts_grouped_and_resolves(tmp_path):
    def drifted(day, feature):
        return day >= 40 and feature in ("age", "income")

    ids = write_runs(tmp_path, 41, drifted=drifted)
    state = evaluate_alerts(monitor(tmp_path, "score"), notebook="score.ipynb")
    [alert] = [a for a in state.alerts if a.cause == "drift"]
    assert alert.subjects == ("age", "income") and alert.since == ids[40]
    assert "drift in 2 feature(s)" in alert.message and "PSI 0.6" in alert.message
    assert alert.runs[0] == ids[40]

    # the next run is still drifted: ongoing, not a new alert
    more = tmp_path / "more"
    ids = write_runs(more, 42, drifted=drifted)
    state = evaluate_alerts(monitor(more, "score"))
    assert not [a for a in state.alerts if a.cause == "drift"]
    assert state.ongoing["drift"] == ["age", "income"]

    # and when it ends it is resolved
    ended = tmp_path / "ended"
    write_runs(ended, 43, drifted=lambda day, f: day in (40, 41) and f in ("age", "income"))
    state = evaluate_alerts(monitor(ended, "score"))
    assert state.resolved == ["drift: age", "drift: income"] and not state.alerts


def test_small_batches_raise_no_drift_alert(tmp_path):
    write_runs(tmp_path, 41, drifted=lambda day, f: day == 40 and f == "age", rows=lambda day: 35 if day == 40 else 500)
    state = evaluate_alerts(monitor(tmp_path, "score"))
    assert not [a for a in state.alerts if a.cause == "drift"]
    # the small batch is itself an anomaly of the rows series
    assert [a.subjects for a in state.alerts if a.cause == "anomaly"] == [("rows",)]
    # F18 (session 3): the note said its anomalies "raise no alert" right under the rows anomaly it raised
    [note] = [note for note in state.notes if "latest batch is small" in note]
    assert note == (
        "the latest batch is small (35 rows, usually 500): its size is the one anomaly judged; "
        "its drift and other series raise no alert (too few rows to tell)"
    )


def test_cli_without_a_notebook_says_what_to_type_when_several_share_the_runs_dir(tmp_path, capsys):
    """F18 (session 3): `mlcheck monitor` said "pass notebook= to choose one", the Python API's words."""
    write_runs(tmp_path, 3)
    (tmp_path / "other" / "20260101T000000000000Z-000000").mkdir(parents=True)
    assert main(["monitor", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"holds runs of 2 notebooks (other, score): name one: `mlcheck monitor other --runs-dir {tmp_path}`" in err
    assert "notebook=" not in err
    assert main(["monitor", "nothere", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no runs of nothere" in err and "pass --runs-dir DIR" in err and "runs_dir=" not in err
    with pytest.raises(UsageError, match="pass notebook= to choose one, e.g. notebook='other'"):
        monitor(tmp_path)  # the Python API keeps its own words


def test_a_batch_one_row_short_is_not_an_anomaly(tmp_path):
    # a count that is nearly constant: any difference is "significant", none matters
    write_runs(tmp_path, 30, rows=lambda day: 167 if day == 29 else 168)
    assert not evaluate_alerts(monitor(tmp_path, "score")).alerts
    doubled = tmp_path / "doubled"
    write_runs(doubled, 30, rows=lambda day: 400 if day == 29 else 168)
    [alert] = evaluate_alerts(monitor(doubled, "score")).alerts
    assert alert.subjects == ("rows",) and "400 rows (usually 168)" in alert.message


def test_weights_keep_unimportant_features_from_paging(tmp_path):
    write_runs(tmp_path, 41, drifted=lambda day, f: day == 40 and f == "region")
    frame = monitor(tmp_path, "score")
    weights = {"age": 0.3, "income": 0.2, "plan": 0.1, "region": 0.001}
    assert not evaluate_alerts(frame, weights=weights, min_weight=0.01).alerts
    assert evaluate_alerts(frame, weights=weights).alerts[0].subjects == ("region",)
    with pytest.raises(UsageError, match="non-negative"):
        evaluate_alerts(frame, weights={"age": -1})


def test_a_failed_run_alerts_on_the_status_change_only(tmp_path):
    write_runs(tmp_path, 30, status=lambda day: "error" if day == 29 else "succeeded")
    [alert] = evaluate_alerts(monitor(tmp_path, "score")).alerts
    assert alert.cause == "status" and alert.subjects == ("error",) and "exit code 3" in alert.message


def test_a_crashed_run_alert_says_which_cell_stopped_it_and_why(tmp_path):
    """F16 (session 3): a crash's alert said only "error (exit code 3)"; run.json has the cell and the error."""
    ids = write_runs(tmp_path, 30, status=lambda day: "error" if day == 29 else "succeeded")
    path = tmp_path / "score" / ids[29] / "run.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["failed_cell"] = {"cell": 3, "cell_id": "c3", "source": "pd.read_parquet(input_path)",
                             "ename": "FileNotFoundError", "evalue": "weekly/batches/missing.parquet\n(no such file)",
                             "traceback": ["..."]}  # fmt: skip
    path.write_text(json.dumps(record), encoding="utf-8")
    frame = monitor(tmp_path, "score")
    assert frame["failed_cell"].iloc[-1] == "cell 3: FileNotFoundError: weekly/batches/missing.parquet (no such file)"
    assert not isinstance(frame["failed_cell"].iloc[0], str)  # none: the run finished
    [alert] = evaluate_alerts(frame).alerts
    assert alert.cause == "status" and alert.subjects == ("error",)
    assert alert.message == (
        "run did not succeed: error (error, exit code 3: cell 3: FileNotFoundError: weekly/batches/missing.parquet (no such file))"
    )
    # a crash in mlcheck's own set-up cell (no user cell number), and an error too long for a line
    record["failed_cell"].update(cell=None, evalue="x" * 1000)
    path.write_text(json.dumps(record), encoding="utf-8")
    stopped = monitor(tmp_path, "score")["failed_cell"].iloc[-1]
    assert stopped.startswith("mlcheck's set-up: FileNotFoundError: xxx") and len(stopped) < 330 and stopped.endswith("…")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_cli_exit_codes_log_and_webhook_against_a_local_server(tmp_path, capsys):
    write_runs(tmp_path / "runs", 41, drifted=lambda day, f: day == 40 and f == "plan")
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/alerts"
        log = tmp_path / "alerts.jsonl"
        code = main(["monitor", "score", "--runs-dir", str(tmp_path / "runs"), "--log", str(log), "--webhook", url])
    finally:
        server.shutdown()
    out = capsys.readouterr().out
    assert code == 1 and "ALERT drift" in out and "plan (PSI 0.6)" in out
    [line] = log.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["subjects"] == ["plan"]
    [posted] = _Hook.received
    assert posted["alerts"][0]["cause"] == "drift" and posted["latest_run"]

    quiet = tmp_path / "quiet"
    write_runs(quiet, 30)
    assert main(["monitor", "score", "--runs-dir", str(quiet), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []


class _local_hook:
    """A local HTTP server that records the JSON POSTed to it (a fresh list per server)."""

    def __enter__(self) -> tuple[str, list[dict]]:
        received: list[dict] = []

        class Handler(_Hook):
            def do_POST(self):  # noqa: N802 - the http.server API
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/alerts", received

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_cli_delivers_each_alert_once_per_destination_across_invocations(tmp_path, capsys):
    """F15 (session 3): three `mlcheck monitor` calls with no new run made 3 POSTs and 6 log lines."""
    runs = tmp_path / "runs"
    ids = write_runs(runs, 41, drifted=lambda day, f: day == 40 and f == "plan")
    log = tmp_path / "alerts.jsonl"
    with _local_hook() as (url, received):
        args = ["monitor", "score", "--runs-dir", str(runs), "--log", str(log), "--webhook", url]
        assert main(args) == 1
        first = capsys.readouterr().out
        assert "ALERT drift" in first
        # the same state again, twice: nothing sent, exit 0 (a scheduler paging on a non-zero exit stays quiet)
        assert main(args) == 0 and main([*args, "--json"]) == 0
        out = capsys.readouterr().out
        assert len(received) == 1 and len(log.read_text(encoding="utf-8").splitlines()) == 1
        assert "ALERT" not in out and "alerted  drift     drift in 1 feature(s): plan (PSI 0.6)" in out
        assert "not sent again" in out and "no new alert; 1 ongoing: drift since 2026-02-14 (1 run)" in out
        printed = json.loads(out[out.index("{") :])
        assert printed["alerts"] == [] and [a["subjects"] for a in printed["delivered"]] == [["plan"]]
        assert printed["delivered"][0]["since"] == ids[40] and printed["delivered"][0]["delivered_at"]
        # the memory is a small file beside the runs' index, keyed by cause, subjects and streak start, no URL in it
        memory = json.loads((runs / "score" / ".monitor-delivered.json").read_text(encoding="utf-8"))
        [entry] = memory["sent"]
        assert (entry["cause"], entry["subjects"], entry["since"]) == ("drift", ["plan"], ids[40])
        assert sorted(d.split(":", 1)[0] for d in entry["to"]) == ["log", "webhook"] and url not in json.dumps(memory)
        # looking without a destination delivers nothing: already delivered, so not news (exit 0)
        assert main(["monitor", "score", "--runs-dir", str(runs)]) == 0
        # a destination that never had it gets it: a second log file
        other = tmp_path / "other.jsonl"
        assert main([*args[:4], "--log", str(other)]) == 1
        assert len(other.read_text(encoding="utf-8").splitlines()) == 1 and len(received) == 1

        # a new run: the drift goes on (ongoing, nothing sent); then that run crashed: a new cause, sent once
        write_runs(tmp_path / "next", 42, drifted=lambda day, f: day >= 40 and f == "plan")
        later = sorted((tmp_path / "next" / "score").iterdir())[-1]
        later.rename(runs / "score" / later.name)
        assert main(args) == 0 and len(received) == 1
        record = json.loads((runs / "score" / later.name / "run.json").read_text(encoding="utf-8"))
        record["status"], record["exit_code"] = "error", 3
        (runs / "score" / later.name / "run.json").write_text(json.dumps(record), encoding="utf-8")
        assert main(args) == 1 and main(args) == 0
        assert [p["alerts"][0]["cause"] for p in received] == ["drift", "status"]
        assert len(log.read_text(encoding="utf-8").splitlines()) == 2
    capsys.readouterr()


def test_cli_retry_after_a_webhook_failure_sends_only_what_it_missed(tmp_path, capsys):
    runs = tmp_path / "runs"
    write_runs(runs, 41, drifted=lambda day, f: day == 40 and f == "plan")
    log = tmp_path / "alerts.jsonl"
    with socket_closed() as port:
        down = f"http://127.0.0.1:{port}/x"
        assert main(["monitor", "score", "--runs-dir", str(runs), "--log", str(log), "--webhook", down]) == 6
    assert "a retry sends only what it missed" in capsys.readouterr().err
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1
    with _local_hook() as (url, received):
        # the retry (the webhook mended): the alert is news to it, so exit 1; the log is not appended again
        assert main(["monitor", "score", "--runs-dir", str(runs), "--log", str(log), "--webhook", url]) == 1
        assert [p["alerts"][0]["subjects"] for p in received] == [["plan"]]
        assert len(log.read_text(encoding="utf-8").splitlines()) == 1
    capsys.readouterr()


def test_cli_a_memory_that_cannot_be_written_delivers_and_warns(tmp_path, capsys):
    runs = tmp_path / "runs"
    write_runs(runs, 41, drifted=lambda day, f: day == 40 and f == "plan")
    (runs / "score" / ".monitor-delivered.json").mkdir()  # stands for a folder the monitor may not write
    log = tmp_path / "alerts.jsonl"
    for _ in range(2):
        assert main(["monitor", "score", "--runs-dir", str(runs), "--log", str(log)]) == 1
        assert "could not be remembered" in capsys.readouterr().err
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2  # sent again, as the warning said


def test_cli_unreachable_webhook_is_retryable_and_bad_urls_are_usage(tmp_path, capsys):
    write_runs(tmp_path, 41, drifted=lambda day, f: day == 40 and f == "plan")
    with socket_closed() as port:
        code = main(["monitor", "score", "--runs-dir", str(tmp_path), "--webhook", f"http://127.0.0.1:{port}/x"])
    assert code == 6 and "not delivered" in capsys.readouterr().err
    assert main(["monitor", "score", "--runs-dir", str(tmp_path), "--webhook", "file:///etc/passwd"]) == 2


class socket_closed:
    """A local port with nothing listening."""

    def __enter__(self) -> int:
        import socket

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        return self.socket.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.socket.close()


def test_cli_weights_by_the_importance_a_bundle_was_exported_with(tmp_path, capsys):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import mlcheck as mc

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["age", "income", "plan", "region"])
    y = (X["age"] + rng.normal(size=200) > 0).astype(int)
    table = mc.importance(LogisticRegression().fit(X, y), X, y, n_repeats=3, random_state=0)
    mc.export(LogisticRegression().fit(X, y), tmp_path / "bundle", reference=X, importance=table)
    write_runs(tmp_path / "runs", 41, drifted=lambda day, f: day == 40 and f == "region")
    args = ["monitor", "score", "--runs-dir", str(tmp_path / "runs"), "--bundle", str(tmp_path / "bundle")]
    assert main([*args, "--min-weight", "0.05"]) == 0  # region is unimportant: reported, no page
    assert main(args) == 1
    assert main([*args[:4], "--bundle", str(tmp_path / "nowhere")]) == 2
    capsys.readouterr()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, a folder no one can write to")
def test_cli_log_or_html_to_an_unwritable_path_exits_6_with_the_path(tmp_path, capsys):
    """F16: a traceback and exit 1, the code of 'alerts fired'."""
    write_runs(tmp_path / "runs", 41, drifted=lambda day, f: day == 40 and f == "plan")
    runs = str(tmp_path / "runs")
    # a path the system refuses is the user's to fix: exit 2, not a retry
    assert main(["monitor", "score", "--runs-dir", runs, "--log", "/proc/x.jsonl"]) == 2
    assert main(["monitor", "score", "--runs-dir", runs, "--html", "/proc/x.html"]) == 2
    err = capsys.readouterr().err
    assert "cannot write /proc/x.jsonl" in err and "cannot write /proc/x.html" in err and "Traceback" not in err


def _fail_schema_on(runs: Path, run_ids: list[str], feature: str) -> None:
    """Rewrite the given runs as failed: check_schema found ``feature`` out of range (as mlcheck run records it)."""
    for run_id in run_ids:
        path = runs / "score" / run_id / "run.json"
        record = json.loads(path.read_text(encoding="utf-8"))
        record["status"], record["exit_code"] = "failed", 1
        message = "100% of values outside the training range [0.02, 0.94]"
        record["results"].append(
            {"name": "check_schema", "passed": False, "severity": "error", "message": f"{feature} ({message})",
             "details": {"n_rows": 500, "columns": {feature: {"outside": 1.0, "passed": False}}},
             "outcomes": [{"subject": feature, "passed": False, "observed": {"outside": 1.0},
                           "threshold": {"outside": 0.25}, "message": message}]}
        )  # fmt: skip
        path.write_text(json.dumps(record), encoding="utf-8")


def test_a_failed_contract_alert_names_the_check_the_subject_how_far_and_the_run_folder(tmp_path):
    ids = write_runs(tmp_path, 30)
    _fail_schema_on(tmp_path, ids[29:], "temp")
    frame = monitor(tmp_path, "score")
    assert frame["outside[temp]"].iloc[-1] == 1.0 and frame["failures"].iloc[0] == []
    state = evaluate_alerts(frame, notebook="score.ipynb")
    [alert] = state.alerts
    assert alert.cause == "status" and alert.subjects == ("check_schema[temp]",)
    assert alert.since == ids[29] and alert.runs == (ids[29],)
    assert "exit code 1" in alert.message and "100% of values outside the training range [0.02, 0.94]" in alert.message
    lines = format_state(state)
    assert f"        open {tmp_path / 'score' / ids[29]}" in lines


def test_a_run_failing_the_same_way_again_is_ongoing_and_a_new_reason_alerts(tmp_path):
    ids = write_runs(tmp_path, 31)
    _fail_schema_on(tmp_path, ids[29:], "temp")
    state = evaluate_alerts(monitor(tmp_path, "score"))
    assert state.alerts == [] and state.ongoing["status"] == ["check_schema[temp]"]
    _fail_schema_on(tmp_path, ids[30:], "hum")  # the latest run now fails on hum too
    [alert] = evaluate_alerts(monitor(tmp_path, "score")).alerts
    assert alert.subjects == ("check_schema[hum]",) and alert.since == ids[30]


def test_a_cause_bad_for_weeks_is_said_ongoing_since_its_first_run_not_no_alert(tmp_path, capsys):
    """F17 (session 3): four failing weeks in, `mlcheck monitor` said "still status: ..." then "no alert"."""
    ids = write_runs(tmp_path, 30)
    _fail_schema_on(tmp_path, ids[26:], "temp")
    state = evaluate_alerts(monitor(tmp_path, "score"), notebook="score.ipynb")
    assert state.alerts == []
    assert state.ongoing_since == {"status": {"since": ids[26], "since_time": "2026-01-31 00:00:00+00:00", "runs": 4}}
    lines = format_state(state)
    assert lines[-1] == "  no new alert; 1 ongoing: status since 2026-01-31 (4 runs)"
    assert f"  still status: check_schema[temp], since run {ids[26]} (2026-01-31 00:00:00+00:00), 4 run(s)" in lines
    assert "  no alert" not in lines
    assert main(["monitor", "score", "--runs-dir", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["alerts"] == [] and printed["ongoing"] == {"status": ["check_schema[temp]"]}
    assert printed["ongoing_since"]["status"] == {"since": ids[26], "since_time": "2026-01-31 00:00:00+00:00", "runs": 4}
    # on the run it starts, the alert is new and the summary counts it; nothing else is ongoing
    first = evaluate_alerts(monitor(tmp_path, "score").iloc[:27])
    assert [a.cause for a in first.alerts] == ["status"] and first.ongoing_since["status"]["runs"] == 1
    from mlcheck.monitoring.alerts import summary

    assert summary(first) == "1 new alert(s)"
    assert format_state(evaluate_alerts(monitor(tmp_path, "score").iloc[:26]))[-1] == "  no alert"


def test_duration_alerts_only_when_a_run_takes_over_twice_the_usual_and_a_minute_more(tmp_path):
    ids = write_runs(tmp_path, 30)  # durations about 30 s

    def set_duration(seconds: float) -> None:
        path = tmp_path / "score" / ids[-1] / "run.json"
        record = json.loads(path.read_text(encoding="utf-8"))
        record["duration"] = seconds
        path.write_text(json.dumps(record), encoding="utf-8")

    set_duration(50.0)  # 1.7 times: a busy machine, not news
    assert evaluate_alerts(monitor(tmp_path, "score")).alerts == []
    set_duration(75.0)  # 2.5 times, but 45 s more: no scheduled slot is missed
    assert evaluate_alerts(monitor(tmp_path, "score")).alerts == []
    set_duration(100.0)
    [alert] = evaluate_alerts(monitor(tmp_path, "score")).alerts
    assert alert.cause == "anomaly" and alert.subjects == ("duration",) and "100 s (usually 29.7 s)" in alert.message


def test_a_run_failed_by_drift_is_one_drift_alert_and_a_failed_warning_is_not_a_reason(tmp_path):
    ids = write_runs(tmp_path, 30, drifted=lambda day, f: day == 29 and f == "age")
    path = tmp_path / "score" / ids[29] / "run.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["status"], record["exit_code"] = "failed", 1
    shift = record["results"][0]
    shift["outcomes"] = [{"subject": "age", "passed": False, "observed": 0.6, "threshold": 0.1, "message": "PSI 0.6"}]
    record["results"].append({"name": "check_latency", "passed": False, "severity": "warning", "outcomes": [
        {"subject": "p95", "passed": False, "observed": 2.0, "threshold": 1.0, "message": "slow"}]})  # fmt: skip
    path.write_text(json.dumps(record), encoding="utf-8")
    frame = monitor(tmp_path, "score")
    assert frame["failures"].iloc[-1] == ["check_shift[age]: PSI 0.6"]
    [alert] = evaluate_alerts(frame).alerts
    assert alert.cause == "drift" and alert.subjects == ("age",) and "PSI 0.6" in alert.message


def test_failure_items_keep_messages_with_colons_and_semicolons():
    from mlcheck.monitoring.alerts import _failed_items

    assert _failed_items(
        ["check_shift[hr]: moved most: 3 7.5%->0%; <1 4.2%->0%", "check_realized: 3 labelled rows: not enough", "odd"]
    ) == {
        "check_shift[hr]": "moved most: 3 7.5%->0%; <1 4.2%->0%",
        "check_realized": "3 labelled rows: not enough",
        "odd": "",
    }
    assert _failed_items(float("nan")) == {}  # a run recorded before failures were kept


def test_a_job_that_stopped_running_is_a_missing_alert_once_expected_every_is_given(tmp_path):
    """Session 3: a week with no run at all raised nothing. The nightly job that silently stopped is
    the first thing a monitor must see; judged on start times against --expect-every."""
    from mlcheck.cli import main

    run_ids = write_runs(tmp_path, 30)  # daily, the newest started 2026-02-03 00:00 UTC
    frame = monitor(tmp_path, "score")
    on_time = evaluate_alerts(frame, expect_every=timedelta(days=1), now=datetime(2026, 2, 4, 11, tzinfo=timezone.utc))
    assert on_time.alerts == []  # 35 h after the last start: within 1.5 days
    late = evaluate_alerts(frame, expect_every=timedelta(days=1), now=datetime(2026, 2, 6, 4, tzinfo=timezone.utc))
    assert [(a.cause, a.subjects, a.since) for a in late.alerts] == [("missing", ("runs",), run_ids[-1])]
    assert "no run has started for 3 days 4 h (expected every 1 day)" in late.alerts[0].message
    assert "2026-02-03 00:00 UTC" in late.alerts[0].message
    # without the option nothing is expected, so nothing is missing; a bad duration is refused
    assert evaluate_alerts(frame, now=datetime(2027, 1, 1, tzinfo=timezone.utc)).alerts == []
    with pytest.raises(UsageError, match="positive duration"):
        evaluate_alerts(frame, expect_every=timedelta(0))
    # on the command line (now is the real clock: these runs are from January 2026, long overdue)
    log = tmp_path / "alerts.jsonl"
    assert main(["monitor", "score", "--runs-dir", str(tmp_path), "--expect-every", "1d", "--log", str(log)]) == 1
    assert [json.loads(line)["cause"] for line in log.read_text().splitlines()] == ["missing"]
    assert main(["monitor", "score", "--runs-dir", str(tmp_path), "--expect-every", "1d", "--log", str(log)]) == 0
    assert len(log.read_text().splitlines()) == 1  # delivered once
    with pytest.raises(SystemExit) as refused:
        main(["monitor", "score", "--runs-dir", str(tmp_path), "--expect-every", "soon"])
    assert refused.value.code == 2


def test_a_run_killed_before_its_record_is_noted_and_alerts_when_it_is_the_newest(tmp_path):
    """Session 3: a run killed outright (no run.json) was not counted, noted or alerted by the monitor."""
    run_ids = write_runs(tmp_path, 20)
    older = tmp_path / "score" / (run_ids[5][:8] + "T120000000000Z-dead01")  # killed between two good runs
    older.mkdir()
    (older / "status.json").write_text('{"state": "running"}')  # it had started: status.json, no run.json
    state = evaluate_alerts(monitor(tmp_path, "score"))
    assert state.alerts == [] and state.notes == [f"1 run(s) left no record (killed before run.json): {older.name}"]
    starting = tmp_path / "score" / "20270101T000000000000Z-new000"  # created, not yet locked: no status.json
    starting.mkdir()
    assert evaluate_alerts(monitor(tmp_path, "score")).alerts == []
    starting.rmdir()
    newest = tmp_path / "score" / "20270101T000000000000Z-dead02"  # the job's latest attempt
    newest.mkdir()
    (newest / "status.json").write_text('{"state": "running"}')
    state = evaluate_alerts(monitor(tmp_path, "score"))
    assert [(a.cause, a.subjects, a.since) for a in state.alerts] == [("status", ("killed",), newest.name)]
    assert "left no record: killed before it finished" in state.alerts[0].message
    # a run still going holds its lock (in its own process: a process never conflicts with its own lock)
    import subprocess
    import sys

    going = tmp_path / "score" / "20270102T000000000000Z-live03"
    going.mkdir()
    (going / "status.json").write_text('{"state": "running"}')
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from mlcheck.runs import runlock; runlock.hold(sys.argv[1]); "
         "print('held', flush=True); time.sleep(120)", str(going)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "held"
        assert going.name not in monitor(tmp_path, "score").attrs["killed"]
    finally:
        child.kill()
        child.wait()
    # and one this very process runs (the demo runs two jobs at once in one process): not killed either
    from mlcheck.runs import runlock

    fd = runlock.hold(going)
    try:
        assert going.name not in monitor(tmp_path, "score").attrs["killed"]
    finally:
        runlock.release(going, fd)
