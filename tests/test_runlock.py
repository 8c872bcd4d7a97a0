"""The lock that proves which process executes a run (mlcheck.runs.runlock), with a real ``mlcheck run``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlcheck.runs import runlock

NOTEBOOK = Path(__file__).parent / "notebooks" / "jupyter" / "sleeps.ipynb"


def test_hold_names_the_holder_and_release_removes_it(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from mlcheck.runs import runlock; runlock.hold(sys.argv[1]);"
         " print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == b"held\n"
        assert runlock.holder(tmp_path) == child.pid
        with pytest.raises(OSError):  # a second holder is refused
            _hold_in_child(tmp_path)
    finally:
        child.kill()
        child.wait()
    assert runlock.holder(tmp_path) is None  # the kernel dropped the lock with the process
    fd = runlock.hold(tmp_path)
    runlock.release(tmp_path, fd)
    assert not (tmp_path / runlock.LOCK_FILE).exists()


def _hold_in_child(folder: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from mlcheck.runs import runlock; runlock.hold(sys.argv[1])",
            str(folder),
        ],
        capture_output=True,
    )
    if done.returncode != 0:
        raise OSError(done.stderr.decode().strip().splitlines()[-1])


def test_nobody_holds_a_missing_a_stale_or_a_linked_lock(tmp_path):
    assert runlock.holder(tmp_path) is None
    (tmp_path / runlock.LOCK_FILE).write_text("")
    assert runlock.holder(tmp_path) is None
    (tmp_path / runlock.LOCK_FILE).unlink()
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / runlock.LOCK_FILE).symlink_to(tmp_path / "elsewhere")
    assert runlock.holder(tmp_path) is None


def test_mlcheck_run_holds_its_run_directory_while_it_executes(tmp_path):
    """The runner holds the lock from start to end; the canceller of a run relies on it."""
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlcheck", "run", str(NOTEBOOK), "--runs-dir", str(runs), "--run-id", "held",
         "--progress", "none", "--no-report", "-p", "seconds", "30"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    run_dir = runs / "sleeps" / "held"
    try:
        deadline = time.monotonic() + 120  # a hang only
        while runlock.holder(run_dir) is None:
            assert process.poll() is None and time.monotonic() < deadline, "the run never held its lock"
            time.sleep(0.1)
        assert runlock.holder(run_dir) == process.pid
        process.terminate()  # a cancel: the run ends, saves its records and lets go
        assert process.wait(timeout=300) == 130  # a generous bound: only a hang should reach it
        assert runlock.holder(run_dir) is None
        assert (run_dir / "run.json").is_file() and not (run_dir / runlock.LOCK_FILE).exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_lock_this_process_holds_is_named_and_asking_does_not_drop_it(tmp_path):
    """F_GETLK cannot see this process's own lock, and closing any descriptor of the lock file drops
    it: holder() asked about a run this process executes (the demo runs two jobs in one process)
    said "nobody" and, worse, released the lock that proves the run is alive."""
    import os

    fd = runlock.hold(tmp_path)
    try:
        assert runlock.holder(tmp_path) == os.getpid()
        assert runlock.holder(tmp_path) == os.getpid()  # asked twice: still held
        with pytest.raises(OSError):  # another process still cannot take it
            _hold_in_child(tmp_path)
    finally:
        runlock.release(tmp_path, fd)
    assert runlock.holder(tmp_path) is None
