"""ai_etl_generate: the system DAG that turns a request made in the UI or REST API into a draft.

The api-server stores the request and triggers a run whose params carry it (request text,
connection ids, dag_id, schedule, offline, and the ER diagram of a request made from a picture);
the one task runs the agents in a worker and publishes their events and the draft as XComs, which
the api-server copies into the ai_etl store. The params also make the run triggerable from
Airflow's own trigger form. Install it with `ai-etl install-system-dag` (it is copied into the
dags folder, import-checked).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param

from airflow_ai_etl.operators.generate import GeneratePipelineOperator

with DAG(
    dag_id="ai_etl_generate",
    description="airflow-ai-etl: generate a pipeline draft from a request",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=16,
    max_active_tasks=16,
    tags=["ai-etl", "system"],
    params={
        "request": Param(type="string", minLength=1, description="What the pipeline should do"),
        "conn_ids": Param(
            type="array", items={"type": "string"}, minItems=1, description="Connections it may use"
        ),
        "dag_id": Param(None, type=["string", "null"], description="dag_id of the pipeline"),
        "schedule": Param(None, type=["string", "null"], description="Cron or preset, over the planner's"),
        "offline": Param(False, type="boolean", description="Use the offline planner, no LLM"),
        "request_id": Param(None, type=["integer", "null"], description="The ai_etl store's request id"),
        "image": Param(
            None,
            type=["object", "null"],
            description="An ER diagram to create tables from: media_type and base64 (PNG or JPEG)",
        ),
    },
    doc_md=__doc__,
) as dag:
    GeneratePipelineOperator(task_id="generate", from_params=True, retries=0)
