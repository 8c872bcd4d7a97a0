"""Cancelling a job at any moment, with real kernels: seeded fault injection.

Each trial starts ``mlcheck run`` and sends SIGINT or SIGTERM at a point of the
job's life chosen by a seeded generator: at once (the command is still
starting, as soon as mlcheck's own code catches signals; before that, in the
first milliseconds, Python itself decides), while the kernel starts, while a cell runs (once, or twice in a
row), or once run.json exists (the report is rendering or the job is ending).
Wherever the signal lands, the job must end (no deadlock) with an exit code
that its run.json states, an output.ipynb (or a record that no cell ran), no
kernel left running, no temporary file, and nothing hidden left in the run
directory. The trials hit each phase by watching the run directory, not by
timing, so a busy machine changes nothing but how long they take.
"""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from mlcheck.runs.rundir import Status, read_run, read_status
from mlcheck.runs.runner import TEMP_PREFIX

NOTEBOOKS = Path(__file__).parent / "notebooks"
SEED = 20261130
#: generous bound for one phase to be reached; only a hang gets near it
PATIENCE = 180.0


def _start(runs_dir: Path, run_id: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlcheck", "run", str(NOTEBOOKS / "sleeps.ipynb"), "-p", "seconds", str(seconds),
         "--runs-dir", str(runs_dir), "--run-id", run_id, "--progress", "plain"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(process: subprocess.Popen[str], ready) -> bool:  # noqa: ANN001
    """Poll until ``ready()``; False when the job ended first."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if ready():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    pytest.fail("the job neither reached the phase nor ended")


def _send(process: subprocess.Popen[str], signum: int) -> None:
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass  # it ended just before: the trial still checks what it left


def _handles_sigterm(pid: int) -> bool:
    """Whether the process catches SIGTERM yet (its SigCgt mask): mlcheck's own code is running."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _kernels_of(pid: int) -> list[str]:
    """Command lines of processes that use the job's temporary folder (its kernel)."""
    marker = f"{TEMP_PREFIX}{pid}-".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline:
                found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _cell(run_dir: Path) -> int:
    status = read_status(run_dir)
    return (status.cell or 0) if status is not None else 0


def _check_what_is_left(process: subprocess.Popen[str], run_dir: Path, err: str) -> str:
    """The invariants of a cancelled (or finished) job; returns the status for the summary."""
    pid = process.pid
    if not run_dir.exists():
        assert process.returncode == Status.CANCELLED.exit_code, err  # cancelled before any run existed
        assert "Traceback" not in err, err
        outcome = "no run directory"
    else:
        assert "Traceback" not in err, err
        run = read_run(run_dir)  # a valid run.json, always
        assert run.exit_code == process.returncode == Status.parse(run.status).exit_code, (run.status, err)
        notebook = nbformat.read(str(run_dir / "output.ipynb"), as_version=4)
        assert notebook.metadata["mlcheck"]["status"] == run.status
        assert read_status(run_dir).state.value == run.status
        if run.status == "cancelled":  # the message names where: a cell of the user's, a set-up cell, or none
            if run.failed_cell is None:
                assert "start-up, before any cell ran" in run.message
            elif run.failed_cell["cell"] is None:
                assert "set-up cell" in run.message or "injected parameters cell" in run.message
            else:
                assert f"cancelled while running cell {run.failed_cell['cell']}" in run.message
        hidden = sorted(p.name for p in run_dir.iterdir() if p.name.startswith("."))
        assert hidden == [], hidden  # no .input/.partial notebook, no lock, no half-written file
        outcome = run.status
    deadline = time.monotonic() + 30  # the kernel is killed before the job exits; allow the OS to reap it
    while _kernels_of(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _kernels_of(pid) == []
    assert list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{pid}-*")) == []
    return outcome


def _reached(phase: str, process: subprocess.Popen[str], run_dir: Path) -> bool:
    if phase == "at once":
        return _handles_sigterm(process.pid)  # mlcheck's code runs; no run yet
    if phase == "kernel starting":
        return (run_dir / "status.json").exists()
    if phase in ("in a cell", "twice in a cell"):
        return _cell(run_dir) >= 2
    return (run_dir / "run.json").exists()


PHASES = ("at once", "kernel starting", "in a cell", "twice in a cell", "after run.json")


def test_a_cancel_at_any_moment_leaves_a_true_record_and_nothing_else(tmp_path):
    generator = random.Random(SEED)
    seen = []
    for trial, phase in enumerate(PHASES):
        signum = generator.choice([signal.SIGINT, signal.SIGTERM])
        settle = generator.uniform(0.0, 0.3)  # lands somewhere inside the phase
        run_id = f"trial-{trial}"
        run_dir = tmp_path / "sleeps" / run_id
        process = _start(tmp_path, run_id, seconds=0.2 if phase == "after run.json" else 5)
        reached = functools.partial(_reached, phase, process, run_dir)
        if _wait_for(process, reached):
            time.sleep(settle)
            _send(process, signum)
            if phase == "twice in a cell":
                time.sleep(0.05)
                _send(process, signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM)
        _, err = process.communicate(timeout=PATIENCE)  # never a deadlock
        seen.append((phase, signal.Signals(signum).name, _check_what_is_left(process, run_dir, err)))
    outcomes = dict((phase, status) for phase, _, status in seen)
    # where the phase was reached, a signal inside a cell cancels the run
    assert outcomes["in a cell"] in ("cancelled",) and outcomes["twice in a cell"] == "cancelled", seen
    assert outcomes["after run.json"] in ("succeeded", "cancelled"), seen


def test_sigkill_leaves_one_temporary_folder_that_the_next_job_removes(tmp_path):
    process = _start(tmp_path, "killed", seconds=60)
    run_dir = tmp_path / "sleeps" / "killed"
    assert _wait_for(process, lambda: _cell(run_dir) >= 3)
    process.kill()
    process.communicate(timeout=PATIENCE)
    leftovers = list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{process.pid}-*"))
    assert len(leftovers) == 1  # one folder: the kernel's sockets and connection file, the scratch
    deadline = time.monotonic() + 60  # ipykernel notices its parent is gone and exits
    while _kernels_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _kernels_of(process.pid) == []
    from mlcheck.runs.history import history

    rows = {row.run_id: row for row in history(tmp_path, "sleeps")}
    assert rows["killed"].status == "killed" and "SIGKILL" in rows["killed"].damaged  # listed, not hidden
    done = subprocess.run(
        [sys.executable, "-m", "mlcheck", "run", str(NOTEBOOKS / "no_params.ipynb"), "--runs-dir", str(tmp_path),
         "--no-report", "--progress", "none"],
        capture_output=True, text=True, timeout=PATIENCE, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not leftovers[0].exists()  # swept by the next job


def test_a_run_directory_always_gets_its_record_and_the_caller_still_gets_the_signal(tmp_path):
    """A cancel held while the run starts yields run.json (cancelled, no cell ran), then reaches the caller."""
    from mlcheck.runs import run_notebook

    received = []

    def cancel_at_start(status):  # noqa: ANN001 - a progress callback, called as status.json is written
        if status["state"] == "starting":
            os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        run = run_notebook(
            NOTEBOOKS / "hello.ipynb", runs_dir=tmp_path, progress=cancel_at_start, report=False
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert (run.status, run.exit_code) == ("cancelled", 130)
    assert "start-up, before any cell ran" in run.message and run.failed_cell is None
    assert json.loads((run.run_dir / "run.json").read_text())["status"] == "cancelled"
    assert sorted(p.name for p in run.run_dir.iterdir()) == ["output.ipynb", "run.json", "status.json"]
    assert received == [signal.SIGTERM]  # handed on once the run was recorded: never swallowed
