"""Who may be signalled, the bound on concurrent jobs, duplicates and the queue, against a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlcheck_jupyter.jobs import JobManager

SLEEPS = "work/sleeps.ipynb"


def finished(job: dict) -> bool:
    return job["state"] not in ("queued", "running", "cancelling")


def sigterm_pending(pid: int) -> bool:
    """Whether SIGTERM was sent to ``pid`` (the process blocks it, so it stays pending, visibly)."""
    fields = dict(
        line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line
    )
    bit = 1 << (signal.SIGTERM - 1)
    return bool((int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)) & bit)


def start_time(pid: int) -> int:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[19])


@pytest.fixture
def bystander(notebooks: Path):
    """An unrelated process whose command line mentions mlcheck, with SIGTERM blocked (a sent one stays pending)."""
    code = (
        "import signal, sys, time; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}); "
        "print('ready', flush=True); time.sleep(300)"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "mlcheck",
            "run",
            str(notebooks / "sleeps.ipynb"),
            "--run-id",
            "FORGED-1",
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    yield process
    process.kill()
    process.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("lock_file", ["none", "stale", "link"])
async def test_a_forged_status_json_never_gets_a_process_signalled(
    client, jp_root_dir, notebooks, bystander, lock_file, tmp_path
):
    """runs/sleeps/FORGED-1/status.json names the bystander's pid and start time: it is not signalled."""
    run_dir = jp_root_dir / "runs" / "sleeps" / "FORGED-1"
    run_dir.mkdir(parents=True)
    status = {
        "run_id": "FORGED-1", "notebook": str(notebooks / "sleeps.ipynb"), "state": "running",
        "cell": 2, "n_cells": 3, "elapsed": 1.0, "pid": bystander.pid, "pid_start": start_time(bystander.pid),
    }  # fmt: skip
    (run_dir / "status.json").write_text(json.dumps(status))
    if lock_file == "stale":  # a run killed with SIGKILL leaves its lock file; nobody holds it
        (run_dir / ".lock").write_text("")
    elif lock_file == "link":  # a link to a file the bystander could hold is not followed
        (tmp_path / "elsewhere.lock").write_text("")
        (run_dir / ".lock").symlink_to(tmp_path / "elsewhere.lock")

    status_code, reply = await client.call("jobs", "FORGED-1", method="DELETE")
    assert status_code == 409, reply
    assert "not running" in reply["message"]
    assert bystander.poll() is None and not sigterm_pending(bystander.pid)
    _, listing = await client.call("jobs")
    assert listing["jobs"] == []  # not shown as running either
    status_code, reply = await client.call("jobs", "FORGED-1")
    assert status_code == 200 and reply["state"] == "died"


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {"jpserver_extensions": {"mlcheck_jupyter": True}},
            "JobManager": {"max_concurrent_jobs": 2},
        }
    ],
)
async def test_a_burst_of_20_starts_stays_within_the_bound(
    client, manager, jp_root_dir, notebooks, jp_server_config
):
    import asyncio

    most = 0

    def count_running() -> int:
        nonlocal most
        alive = sum(
            1 for job in manager.jobs.values() if job.process is not None and job.process.poll() is None
        )
        most = max(most, alive)
        return alive

    replies = await asyncio.gather(
        *(client.start(SLEEPS, {"seconds": "600"}, allow_duplicate=True) for _ in range(20))
    )
    assert [status for status, _ in replies] == [201] * 20
    jobs = [job for _, job in replies]
    assert count_running() == 2
    _, listing = await client.call("jobs", path=SLEEPS)
    states = [job["state"] for job in listing["jobs"]]
    assert states.count("running") == 2 and states.count("queued") == 18
    assert sorted(job["position"] for job in listing["jobs"] if job["state"] == "queued") == list(
        range(1, 19)
    )

    def in_its_cell(job: dict) -> bool:
        return finished(job) or ((job.get("progress") or {}).get("cell") or 0) >= 1

    for job in listing["jobs"][:2]:
        assert not finished(
            await client.wait_for(job["id"], lambda j: count_running() <= 2 and in_its_cell(j))
        )

    # a slot that frees up goes to the next in the queue
    first = next(job for job in listing["jobs"] if job["state"] == "running")
    status, _ = await client.call("jobs", first["id"], method="DELETE")
    assert status == 202
    await client.wait_for(first["id"], lambda job: count_running() <= 2 and finished(job))
    _, listing = await client.call("jobs", path=SLEEPS)
    states = [job["state"] for job in listing["jobs"]]
    assert states.count("running") == 2 and states.count("queued") == 17

    # queued jobs are cancelled without ever starting; they never make a run directory
    for job in listing["jobs"]:
        if job["state"] == "queued":
            status, cancelled = await client.call("jobs", job["id"], method="DELETE")
            assert status == 202 and cancelled["state"] == "cancelled" and cancelled["run_dir"] is None
    for job in listing["jobs"]:
        if job["state"] == "running":
            await client.wait_for(job["id"], lambda j: count_running() <= 2 and in_its_cell(j))
            status, _ = await client.call("jobs", job["id"], method="DELETE")
            assert status == 202
    for job in jobs:
        await client.wait_for(job["id"], lambda j: count_running() <= 2 and finished(j))
    assert most == 2
    made = sorted(p.name for p in (jp_root_dir / "runs" / "sleeps").iterdir())
    assert len(made) == 3  # two at first, one from the queue; the 17 cancelled in the queue made none
    assert count_running() == 0


async def test_a_second_start_of_a_running_notebook_is_refused_unless_asked(client, notebooks):
    status, job = await client.start(SLEEPS, {"seconds": "600"})
    assert status == 201, job
    try:
        status, reply = await client.start(SLEEPS, {"seconds": "1"})
        assert status == 409 and reply["field"] == "path"
        assert job["id"] in reply["message"] and "allow_duplicate" in reply["message"]
        _, listing = await client.call("jobs", path=SLEEPS)
        assert [j["id"] for j in listing["jobs"]] == [job["id"]]
    finally:
        await client.call("jobs", job["id"], method="DELETE")
    done = await client.wait_for(job["id"], finished)
    assert done["state"] == "cancelled"


def test_the_default_bound_is_the_number_of_cpus(tmp_path):
    manager = JobManager(root_dir=str(tmp_path))
    assert manager.max_concurrent_jobs == len(os.sched_getaffinity(0))


def test_a_runs_directory_outside_the_root_is_refused(tmp_path):
    (tmp_path / "root").mkdir()
    with pytest.raises(ValueError, match="outside the server root"):
        JobManager(root_dir=str(tmp_path / "root"), runs_dir=str(tmp_path / "elsewhere"))
    (tmp_path / "root" / "runs").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ValueError, match="outside the server root"):
        JobManager(root_dir=str(tmp_path / "root"))


async def test_symbolic_links_in_the_runs_directory_are_not_followed(
    client, jp_root_dir, notebooks, tmp_path
):
    outside = tmp_path / "outside"
    (outside / "evil").mkdir(parents=True)
    record = {
        "run_id": "evil",
        "notebook": str(notebooks / "sleeps.ipynb"),
        "status": "succeeded",
        "exit_code": 0,
    }
    (outside / "evil" / "run.json").write_text(json.dumps(record))
    (outside / "evil" / "status.json").write_text(json.dumps({"notebook": str(notebooks / "sleeps.ipynb")}))
    runs = jp_root_dir / "runs"
    (runs / "sleeps").mkdir(parents=True)
    (runs / "sleeps" / "linked-run").symlink_to(outside / "evil", target_is_directory=True)
    (runs / "linked-folder").symlink_to(outside, target_is_directory=True)
    (runs / "sleeps" / "real").mkdir()
    (runs / "sleeps" / "real" / "run.json").symlink_to(outside / "evil" / "run.json")

    for run_id in ("linked-run", "evil"):
        status, reply = await client.call("jobs", run_id)
        assert status == 404, reply
    status, reply = await client.call("jobs", "real")
    assert status == 200 and reply["state"] == "died"  # its run.json, a link, is not read
    status, latest = await client.call("runs", "latest", path=SLEEPS)
    assert status == 200 and latest["run"] is None
    status, history = await client.call("runs", path=SLEEPS)
    assert status == 200 and history["runs"] == []


def test_only_the_newest_finished_jobs_are_kept_in_memory(tmp_path):
    from mlcheck_jupyter.jobs import KEEP_FINISHED, Job

    manager = JobManager(root_dir=str(tmp_path))
    for number in range(KEEP_FINISHED + 5):
        job_id = f"job-{number:04d}"
        manager.jobs[job_id] = Job(
            job_id=job_id,
            notebook=tmp_path / "nb.ipynb",
            parameters={},
            run_dir=tmp_path / "runs" / "nb" / job_id,
            log_path=tmp_path / f"{job_id}.log",
            parameter_file=tmp_path / f"{job_id}.yaml",
            final={"state": "cancelled"},
        )
    manager._tick()
    assert len(manager.jobs) == KEEP_FINISHED
    assert min(manager.jobs) == "job-0005"
