#!/bin/sh
# Run an mlcheck job and act on its exit code as the table of `mlcheck run --help` says:
# retry only the failures a retry can fix, stop at once on the others.
#
#   exit  status          retry  meaning
#      0  succeeded       no     every contract held
#      1  failed          no     a contract failed (a check, or the export gate refused)
#      2  usage           no     bad usage, parameters or API use: fix and rerun
#      3  error           yes    a cell raised, a magic failed or the notebook called sys.exit(non-zero)
#      4  timeout         yes    the run or a cell timed out
#      5  died            yes    the kernel died (e.g. out of memory)
#      6  infrastructure  yes    disk full, runs directory not writable, kernel did not start
#      7  integrity       no     a bundle's files do not match its manifest: investigate
#    130  cancelled       no     cancelled by a signal (SIGINT or SIGTERM)
#
# Usage (cron): mlcheck-job.sh mlcheck run score.ipynb -p input_path ... --progress plain
# MLCHECK_RETRIES (default 2) more attempts after the first, MLCHECK_RETRY_DELAY seconds apart (default 600).
# Exits with the last attempt's code, so cron's mail and your monitoring see the real outcome.

retries=${MLCHECK_RETRIES:-2}
delay=${MLCHECK_RETRY_DELAY:-600}
attempt=1
while :; do
    "$@"
    code=$?
    case $code in
        0) echo "mlcheck job: exit 0 (succeeded): every contract held" >&2; exit 0 ;;
        1) retry=no; meaning="failed: a contract failed; retrying will not change the data" ;;
        2) retry=no; meaning="usage: bad usage, parameters or API use; fix and rerun" ;;
        3) retry=yes; meaning="error: a cell raised or a magic failed" ;;
        4) retry=yes; meaning="timeout: the run or a cell timed out" ;;
        5) retry=yes; meaning="died: the kernel died" ;;
        6) retry=yes; meaning="infrastructure: the machine failed the job" ;;
        7) retry=no; meaning="integrity: the bundle does not match its manifest; investigate" ;;
        130) retry=no; meaning="cancelled by a signal" ;;
        *) retry=no; meaning="not an mlcheck exit code (killed by a signal?)" ;;
    esac
    if [ "$retry" = yes ] && [ "$attempt" -le "$retries" ]; then
        echo "mlcheck job: exit $code ($meaning); retry $attempt of $retries in ${delay} s" >&2
        sleep "$delay"
        attempt=$((attempt + 1))
        continue
    fi
    echo "mlcheck job: exit $code ($meaning); not retried" >&2
    exit "$code"
done
