"""Which kernel a job runs in: the current interpreter's, registered when no kernelspec runs it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlcheck.errors import UsageError
from mlcheck.runs import kernels


def test_an_installed_kernelspec_that_runs_this_interpreter_is_used():
    name = kernels.kernel_for_current_interpreter()
    spec = kernels.spec_manager().get_kernel_spec(name)
    assert (
        spec.argv[0] in ("python", "python3", sys.executable)
        or Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
    )


def test_a_kernelspec_is_registered_when_none_runs_this_interpreter(tmp_path, monkeypatch):
    other = tmp_path / "kernels" / "python3"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/opt/other/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "another Python",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setattr(
        kernels,
        "spec_manager",
        lambda: KernelSpecManager(ensure_native_kernel=False, kernel_dirs=[str(tmp_path / "kernels")]),
    )
    name = kernels.kernel_for_current_interpreter()
    assert name.startswith("mlcheck-")
    registered = json.loads((tmp_path / "data" / "kernels" / name / "kernel.json").read_text())
    assert registered["argv"][0] == sys.executable


def test_an_unknown_kernel_name_lists_the_installed_ones():
    with pytest.raises(UsageError, match="unknown kernel 'no-such-kernel'; installed kernels: .*python3"):
        kernels.resolve_kernel("no-such-kernel")


def test_a_kernel_keeps_its_files_in_the_jobs_folder_and_leaves_none(tmp_path):
    """Connection file and sockets live in the one folder a job owns; stopping the kernel removes them."""
    import os

    folder = tmp_path / "job"
    folder.mkdir()
    manager = kernels.start_kernel(
        kernels.kernel_for_current_interpreter(), cwd=str(tmp_path), env=dict(os.environ), folder=folder
    )
    try:
        client = manager.client()
        client.start_channels()
        kernels._wait(client.wait_for_ready(timeout=300))  # a hang guard: the kernel has bound its sockets
        client.stop_channels()
        assert (folder / "kernel.json").is_file() and any(p.name.startswith("k-") for p in folder.iterdir())
    finally:
        kernels.stop_kernel(manager)
    assert not manager.has_kernel and list(folder.iterdir()) == []


def test_a_kernel_that_cannot_start_is_an_infrastructure_error(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    from mlcheck.runs.rundir import InfrastructureError

    spec = tmp_path / "kernels" / "broken"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/no/such/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "broken",
                "language": "python",
            }
        )
    )
    monkeypatch.setattr(
        kernels,
        "spec_manager",
        lambda: KernelSpecManager(ensure_native_kernel=False, kernel_dirs=[str(tmp_path / "kernels")]),
    )
    with pytest.raises(InfrastructureError, match="the kernel 'broken' did not start: FileNotFoundError"):
        kernels.start_kernel("broken", cwd=str(tmp_path), env={}, folder=tmp_path)
    assert kernels.kernel_language("broken") == "python" and kernels.kernel_language("nope") is None
