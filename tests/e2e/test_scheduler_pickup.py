"""Real Airflow components (api-server, dag-processor, scheduler with LocalExecutor) pick up a DAG
deployed while they run, and run it to success, without waiting for the dags-folder refresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Airflow, free_port, healthy, query

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_picked_up"
REFRESH_INTERVAL = 300  # Airflow's default: new files are only found by a rescan this often.

SENTINEL_DAG = """
import datetime as dt

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("e2e_sentinel", schedule=None, start_date=dt.datetime(2026, 1, 1)):
    EmptyOperator(task_id="noop")
"""

SPEC = f"""
spec_version: 1
dag_id: {DAG_ID}
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: create_target
    kind: sql
    conn_id: dwh
    sql: CREATE TABLE IF NOT EXISTS public.events_copy (event_id integer PRIMARY KEY, kind text NOT NULL)
  - id: copy_events
    kind: transfer
    source: {{conn_id: shop, table: public.events}}
    target: {{conn_id: dwh, table: public.events_copy}}
    mode: append
    depends_on: [create_target]
"""


def _task_report(airflow: Airflow) -> str:
    states = airflow.metadata_query(
        "SELECT task_id, state FROM task_instance WHERE dag_id = %s ORDER BY task_id", (DAG_ID,)
    )
    logs = sorted((airflow.logs / "tasks").rglob("*.log"))
    tails = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    return f"task states: {states}\n{tails}\n{airflow.diagnostics()}"


def test_new_dag_is_parsed_on_request_and_run_by_the_scheduler(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    tmp_path: Path,
) -> None:
    shop, dwh = pg_database(), pg_database()
    airflow_conn("shop", shop)
    airflow_conn("dwh", dwh)
    query(shop, "CREATE TABLE public.events (event_id integer PRIMARY KEY, kind text NOT NULL)")
    query(shop, "INSERT INTO public.events SELECT i, 'kind ' || (i % 3) FROM generate_series(1, 500) AS i")
    (airflow.dags_folder / "e2e_sentinel.py").write_text(SENTINEL_DAG)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    airflow.extra.update(
        {
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(REFRESH_INTERVAL),
        }
    )
    airflow.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port))
    airflow.start("dag-processor", "dag-processor")
    airflow.start("scheduler", "scheduler")
    airflow.wait_until("the api-server", lambda: healthy(f"{base_url}/execution/health"))
    # The first scan of the dags folder is over once the file that was there at start is parsed;
    # the next scan is REFRESH_INTERVAL away.
    airflow.wait_until(
        "the dag-processor's first scan",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = 'e2e_sentinel' AND NOT is_stale"),
    )

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder))
    deployed = time.monotonic()
    airflow.wait_until(
        f"{DAG_ID} to be parsed after the deploy",
        lambda: airflow.metadata_query("SELECT 1 FROM dag WHERE dag_id = %s AND NOT is_stale", (DAG_ID,)),
        timeout=REFRESH_INTERVAL / 2,
    )
    assert time.monotonic() - deployed < REFRESH_INTERVAL

    airflow.run("airflow", "dags", "unpause", DAG_ID)
    airflow.run("airflow", "dags", "trigger", DAG_ID)
    state = airflow.wait_until(
        f"the triggered run of {DAG_ID} to finish",
        lambda: [
            row[0]
            for row in airflow.metadata_query("SELECT state FROM dag_run WHERE dag_id = %s", (DAG_ID,))
            if row[0] in ("success", "failed")
        ],
    )
    assert state == ["success"], _task_report(airflow)
    assert query(dwh, "SELECT * FROM public.events_copy ORDER BY event_id") == query(
        shop, "SELECT * FROM public.events ORDER BY event_id"
    )
