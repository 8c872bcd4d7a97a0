"""mlcheck's papermill engine: nbclient with a run-wide deadline and honest endings.

Registered with papermill's own engine registry under the name ``mlcheck``.
It differs from papermill's default engine in three ways: each cell's timeout
is the time left before the run's deadline (so ``--timeout`` bounds the whole
run), a timed-out cell interrupts the kernel before the kernel is killed, and
the client remembers why execution stopped, which papermill does not record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nbclient.exceptions import CellTimeoutError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

# ExecutionWatch lives in outcome (no papermill there): the runner makes one before papermill loads
from mlcheck.runs.outcome import ExecutionWatch, cell_number, count_user_cells, own_code_cell

ENGINE_NAME = "mlcheck"


class MlcheckNotebookClient(PapermillNotebookClient):  # type: ignore[misc]
    """Papermill's client, with the deadline and timeout bookkeeping of :class:`ExecutionWatch`."""

    def __init__(self, nb_man: Any, watch: ExecutionWatch, **kwargs: Any) -> None:
        self.watch = watch
        self._current_cell_id: str | None = None
        kwargs["timeout_func"] = lambda cell: watch.cell_time_limit()
        kwargs["on_cell_start"] = self._cell_started
        super().__init__(nb_man, **kwargs)

    def _cell_started(self, cell: Any, cell_index: int) -> None:
        # Progress counts the notebook's own cells: the set-up cells that mlcheck and
        # papermill inject run before "cell 1 of n", and a failure there is a start-up failure.
        if cell.get("cell_type") == "code" and cell.get("source", "").strip():  # nbclient skips the others
            self._current_cell_id = str(cell.get("id", ""))
        if not own_code_cell(cell):
            return
        number = cell_number(self.nb.cells, cell_index)
        if self.watch.on_cell_start is not None and number is not None:
            self.watch.on_cell_start(str(cell.get("id", "")), number, count_user_cells(self.nb.cells))

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> None | dict[str, Any]:
        self.watch.timed_out = True
        self.watch.timeout_cell_id = self._current_cell_id
        if self.km is not None:
            try:  # give the cell a chance to stop cleanly; the kernel is killed right after
                await self.km.interrupt_kernel()
            except Exception:  # noqa: BLE001, S110 - a kernel that cannot be interrupted is killed anyway
                pass
        raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)


class MlcheckEngine(NBClientEngine):  # type: ignore[misc]
    """Execute with :class:`MlcheckNotebookClient`; pass ``watch=ExecutionWatch(...)``."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        watch: ExecutionWatch | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs.pop("input_path", None)
        client = MlcheckNotebookClient(
            nb_man,
            watch or ExecutionWatch(),
            kernel_name=kernel_name,
            startup_timeout=start_timeout,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            shutdown_kernel="immediate",
            **kwargs,
        )
        # The runner starts the kernel itself; the client still shuts it down and closes its channels.
        with _signals_left_to_the_runner():
            return client.execute(cleanup_kc=True)


def _refuse_signal_handler(*args: Any) -> None:
    raise RuntimeError("the mlcheck runner handles SIGINT and SIGTERM itself")


@contextmanager
def _signals_left_to_the_runner() -> Iterator[None]:
    """Keep nbclient from taking SIGINT and SIGTERM over while cells run.

    nbclient installs event-loop handlers for both that shut the kernel down
    quietly (the run would read as a dead kernel, not a cancel), and on removal
    resets SIGTERM to the default action, which kills the job outright while it
    writes its records. It skips that step when the loop refuses with
    RuntimeError (as outside the main thread), so the loop refuses here and the
    runner's own handlers stay in place.
    """
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    loop.add_signal_handler = _refuse_signal_handler  # type: ignore[method-assign, assignment]
    loop.remove_signal_handler = _refuse_signal_handler  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        del loop.add_signal_handler, loop.remove_signal_handler


papermill_engines.register(ENGINE_NAME, MlcheckEngine)
