"""An Airflow DAG that scores each day's batch with ``mlcheck run score.ipynb``.

Copy this file into your DAGs folder and fill in the paths. The task runs the
scoring notebook as an mlcheck job and turns its exit code into the right
Airflow outcome:

====  ==========================================  ==============================
exit  meaning                                      the task
====  ==========================================  ==============================
0     every contract held, predictions written     succeeds
1     a contract failed (schema, drift, coverage)  fails, no retry: the data
                                                   will not change by retrying
2     bad usage, parameters or API use (also   fails, no retry: fix and
      an mlcheck error raised in a cell)           rerun
3     a cell raised (e.g. the batch is missing)    fails, retried
4     timed out                                    fails, retried
5     the kernel died (e.g. out of memory)         fails, retried
6     the machine failed the job (disk full,       fails, retried
      runs folder not writable, no kernel start)
7     the bundle does not match its manifest       fails, no retry: investigate
      (tampered or damaged)
130   cancelled (SIGINT or SIGTERM)                fails, no retry
====  ==========================================  ==============================

The table is the one ``mlcheck run --help`` prints.

Works with Airflow 2.4+ and 3.x (TaskFlow API).
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta

from airflow.exceptions import AirflowException, AirflowFailException

try:  # Airflow 3
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task

# Fill in: where the scoring notebook and its bundle live, where batches come from and go to.
PROJECT_DIR = "/srv/models/caravan"
INCOMING = "/data/incoming/{day}.parquet"
SCORED = "/data/scored/{day}.parquet"
MLCHECK = "mlcheck"  # or the full path of mlcheck in the environment the model was trained in
TIMEOUT_S = 1800

#: exit code of ``mlcheck run`` -> (what happened, whether retrying can help)
EXIT_CODES: dict[int, tuple[str, bool]] = {
    0: ("every contract held; predictions written", False),
    1: ("a contract failed (schema, drift or coverage); no predictions were written", False),
    2: ("bad usage, parameters or API use (an mlcheck error in a cell too); fix and rerun", False),
    3: ("a cell raised", True),
    4: ("the run timed out", True),
    5: ("the kernel died", True),
    6: ("the machine failed the job (disk full, runs folder not writable, kernel did not start)", True),
    7: ("the bundle does not match its manifest (tampered or damaged); investigate", False),
    130: ("cancelled by a signal", False),
}


def mlcheck_command(day: str) -> list[str]:
    """The ``mlcheck run`` command line that scores the batch of ``day`` (YYYY-MM-DD)."""
    return [
        MLCHECK, "run", "score.ipynb",
        "-p", "input_path", INCOMING.format(day=day),
        "-p", "output_path", SCORED.format(day=day),
        "--runs-dir", f"{PROJECT_DIR}/runs",
        "--timeout", str(TIMEOUT_S),
        "--progress", "plain",
    ]  # fmt: skip


def raise_for_exit_code(code: int, output: str = "") -> str:
    """Return what exit code 0 means; raise the Airflow exception that fits any other code.

    ``AirflowFailException`` fails the task without its retries (a broken
    contract, a bad parameter or a tampered bundle does not heal by itself);
    ``AirflowException`` fails it with retries (a raised cell, a timeout, a
    dead kernel or a machine fault may be transient).
    """
    meaning, retry = EXIT_CODES.get(code, (f"unexpected exit code {code}", False))
    if code == 0:
        return meaning
    message = f"mlcheck run exited with {code}: {meaning}\n{output[-3000:]}"
    if retry:
        raise AirflowException(message)
    raise AirflowFailException(message)


@dag(
    dag_id="mlcheck_score",
    schedule="15 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["mlcheck"],
)
def mlcheck_score() -> None:
    @task(execution_timeout=timedelta(seconds=TIMEOUT_S + 300))
    def score(ds: str | None = None) -> str:
        """Score the batch of the run's logical date."""
        completed = subprocess.run(
            mlcheck_command(ds or datetime.now().strftime("%Y-%m-%d")),
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        print(completed.stdout)
        print(completed.stderr)
        return raise_for_exit_code(completed.returncode, completed.stdout + completed.stderr)

    score()


mlcheck_score()
