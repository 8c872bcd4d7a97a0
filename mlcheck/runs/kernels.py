"""Which kernel a job runs in: the current interpreter's, unless told otherwise."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from mlcheck.errors import UsageError

_PYTHON_ALIASES = {
    "python",
    f"python{sys.version_info[0]}",
    f"python{sys.version_info[0]}.{sys.version_info[1]}",
}


def _same_interpreter(executable: str) -> bool:
    if executable in _PYTHON_ALIASES:  # jupyter_client runs these with sys.executable
        return True
    try:
        return Path(executable).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def spec_manager() -> Any:
    """A kernelspec manager that looks where Jupyter looks, without importing IPython or ipykernel.

    jupyter_client's defaults import both (most of a second) to find one folder
    and to offer a built-in kernel; a job needs neither in its own process.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.paths import jupyter_path

    ipython_dir = os.environ.get("IPYTHONDIR") or os.path.join(os.path.expanduser("~"), ".ipython")
    return KernelSpecManager(
        ensure_native_kernel=False,
        kernel_dirs=[*jupyter_path("kernels"), os.path.join(ipython_dir, "kernels")],
    )


def kernel_for_current_interpreter() -> str:
    """Name of a kernelspec that runs this interpreter, registering one if none does."""
    specs = spec_manager().get_all_specs()
    # prefer the conventional name, then any other spec that runs this interpreter
    for name in sorted(specs, key=lambda n: (n != "python3", n)):
        argv = specs[name].get("spec", {}).get("argv") or []
        if argv and _same_interpreter(argv[0]) and "ipykernel" in " ".join(argv):
            return str(name)
    from ipykernel.kernelspec import install

    name = "mlcheck-" + "".join(ch if ch.isalnum() else "-" for ch in Path(sys.prefix).name).strip("-")
    install(user=True, kernel_name=name, display_name=f"Python {sys.version.split()[0]} ({sys.prefix})")
    return name


def resolve_kernel(requested: str | None) -> str:
    """The kernel name to run with; an unknown ``requested`` name lists the known ones."""
    if requested is None:
        return kernel_for_current_interpreter()
    known = sorted(spec_manager().find_kernel_specs())
    if requested not in known:
        raise UsageError(
            f"unknown kernel {requested!r}; installed kernels: {', '.join(known) or '(none)'}"
            f" (list them with `jupyter kernelspec list`){os.linesep}"
            "Leave out --kernel to run in the interpreter mlcheck is installed in."
        )
    return requested


def _wait(value: Any) -> Any:
    """Run an awaitable on this thread's loop, the one nbclient uses too."""
    import inspect

    if inspect.isawaitable(value):
        from jupyter_core.utils import ensure_event_loop

        return ensure_event_loop().run_until_complete(value)
    return value


def kernel_language(name: str) -> str | None:
    """The language kernelspec ``name`` declares (``python`` for ipykernel), or None when unknown."""
    try:
        return str(spec_manager().get_kernel_spec(name).language or "") or None
    except Exception:  # noqa: BLE001 - an unreadable spec fails later, at start, with its own message
        return None


def start_kernel(name: str, *, cwd: str, env: dict[str, str], folder: Path) -> Any:
    """Launch kernel ``name`` now and return its manager without waiting for it to be ready.

    The job starts its kernel first and does the rest of its set-up (importing
    papermill, preparing the notebook) while the kernel boots; nbclient then
    waits for the kernel to answer. The manager is nbclient's own kind (async),
    on the same event loop, so nbclient can watch the kernel die.

    The connection file and the kernel's sockets go into ``folder`` (the job's
    one temporary folder), so nothing of the kernel is left elsewhere.

    Raises
    ------
    InfrastructureError
        The kernel process could not be launched (exit code 6).
    """
    from jupyter_client.manager import AsyncKernelManager

    from mlcheck.runs.rundir import InfrastructureError

    # Local sockets: no TCP port to race for, nothing listening on the network.
    # The socket path must be absolute (the kernel runs in the notebook's folder) and short.
    manager = AsyncKernelManager(
        kernel_name=name, transport="ipc", ip=str(folder / "k"), kernel_spec_manager=spec_manager()
    )
    manager.connection_file = str(folder / "kernel.json")
    try:
        _wait(manager.start_kernel(cwd=cwd, env=env))
    except Exception as error:  # noqa: BLE001 - any launch failure is the machine's, not the notebook's
        stop_kernel(manager)
        raise InfrastructureError(
            f"the kernel {name!r} did not start: {type(error).__name__}: {error}"
        ) from None
    return manager


def _cancel_leftover_tasks() -> None:
    """Cancel what an interrupted nbclient left on the loop, so it neither runs on nor warns at exit."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if loop.is_running():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:  # bounded: a task that ignores its cancellation is left behind, never waited for
        loop.run_until_complete(asyncio.wait(pending, timeout=10))
    for task in pending:  # nbclient answers a cancel with DeadKernelError; it is expected, not news
        if task.done() and not task.cancelled():
            task.exception()


def stop_kernel(manager: Any) -> None:
    """Kill the kernel at once and remove its connection files (a finished job keeps nothing)."""
    try:
        _cancel_leftover_tasks()
    except Exception:  # noqa: BLE001, S110 - best effort; the kernel is killed below all the same
        pass
    try:
        if manager.has_kernel:
            _wait(manager.shutdown_kernel(now=True))
    except Exception:  # noqa: BLE001, S110 - the kernel may be gone already; clean-up must not mask the run's result
        pass
    finally:
        try:
            _wait(manager.cleanup_resources())
        except Exception:  # noqa: BLE001, S110 - nothing left to clean, or nothing we can do
            pass
