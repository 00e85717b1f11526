"""Test runs that leave the schedule off: one run of a paused DAG, driven by `DAG.test()` in a child.

Airflow's scheduler neither starts nor runs the tasks of a paused DAG's runs (its queries skip
`is_paused` DAGs), and unpausing for a test run would let it add the scheduled run too. `DAG.test()`
is Airflow's own way to run a DAG once whatever its pause state (`airflow dags test`): it makes a
manual run of the deployed file in the metadata database and runs its tasks, in the process that
calls it, until the run ends. The api-server starts that process detached and answers at once; the
run then shows in Airflow's UI and in `GET /pipelines/{dag_id}/runs/{run_id}` like any other.

Run as `python -m airflow_ai_etl.plugins.paused_run DAG_ID RUN_AFTER BUNDLE FILELOC`.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
from pathlib import Path

from airflow_ai_etl.plugins.airflow_side import ParsedDag, RunState

#: The child's last line when it could not start the run; the rest of the line says why.
FAILED_MARK = "AI-ETL TEST RUN FAILED:"


def run_id_for(run_after: dt.datetime) -> str:
    """The run id `DAG.test()` gives a run with this `run_after` (its logical date too)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType

    return DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=run_after, run_after=run_after)


def log_path(dag_id: str, run_id: str) -> Path:
    """Where the child writes its output: beside Airflow's task logs."""
    from airflow.configuration import conf

    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)
    return Path(conf.get("logging", "base_log_folder")) / "ai_etl_test_runs" / dag_id / f"{name}.log"


def launch(dag: ParsedDag) -> RunState:
    """Start the child that runs `dag` once; the DAG stays paused. Returns the run it will make."""
    from airflow.sdk import timezone

    run_after = timezone.utcnow()
    run_id = run_id_for(run_after)
    log = log_path(dag.dag_id, run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", __name__, dag.dag_id, run_after.isoformat(), dag.bundle_name, dag.fileloc]
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(  # our own module; arguments from Airflow's DagModel
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    # Reap the child when it ends, so a long-lived api-server collects no zombies.
    threading.Thread(target=child.wait, name=f"ai-etl-test-run-{dag.dag_id}", daemon=True).start()
    return RunState(dag.dag_id, run_id, "queued")


def start_failure(dag_id: str, run_id: str) -> str | None:
    """Why the child could not start `run_id`, if it said so; None while it may still be starting."""
    try:
        lines = log_path(dag_id, run_id).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    last = lines[-1] if lines else ""
    return last.removeprefix(FAILED_MARK).strip() if last.startswith(FAILED_MARK) else None


def was_launched(dag_id: str, run_id: str) -> bool:
    return log_path(dag_id, run_id).is_file()


def main(argv: list[str]) -> int:
    dag_id, run_after_text, bundle_name, fileloc = argv
    run_after = dt.datetime.fromisoformat(run_after_text)
    try:
        from airflow.utils.cli import get_bagged_dag
        from airflow.utils.providers_configuration_loader import providers_configuration_loaded

        @providers_configuration_loaded
        def run_once() -> str | None:
            dag = get_bagged_dag([bundle_name], dag_id, fileloc)
            run = dag.test(logical_date=run_after, run_after=run_after)
            return str(run.state) if run.state else None

        state = run_once()
    except Exception as exc:  # the reason goes to the page; the traceback stays out of it
        print(f"{FAILED_MARK} {type(exc).__name__}: {exc}", flush=True)
        return 1
    return 0 if state == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
