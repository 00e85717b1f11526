"""ai_etl_generate: the system DAG that turns a request stored by the UI or REST API into a draft.

The api-server stores the request and triggers a run with conf {"request_id": <id>}; the one task
runs the agents in a worker, streams their events into the ai_etl store and stores the draft.
Install it with `ai-etl install-system-dag` (it is copied into the dags folder, import-checked).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param

from airflow_ai_etl.operators.generate import GeneratePipelineOperator

with DAG(
    dag_id="ai_etl_generate",
    description="airflow-ai-etl: generate a pipeline draft from a stored request",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=16,
    max_active_tasks=16,
    tags=["ai-etl", "system"],
    params={"request_id": Param(None, type=["integer", "null"], description="Id of the stored request")},
    doc_md=__doc__,
):
    GeneratePipelineOperator(
        task_id="generate",
        request_id="{{ dag_run.conf['request_id'] }}",
        retries=0,
    )
