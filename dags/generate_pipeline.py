"""Generate a pipeline from plain language inside a DAG with GeneratePipelineOperator.

The task returns the draft (spec, validation report, rendered DAG source, usage) as its XCom; it
deploys nothing: a person reviews and approves drafts (the AI ETL page, `ai-etl deploy`). With
`offline=True` the deterministic offline planner plans without a model; otherwise the agents use
the `pydanticai` connection of `[ai_etl] llm_conn_id`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.generate import GeneratePipelineOperator

with DAG(
    dag_id="example_generate_pipeline",
    description="A weekly draft of the customers load, for review",
    schedule="@weekly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 0},
):
    GeneratePipelineOperator(
        task_id="draft_customers_load",
        request="every day at 2am copy new customers into the warehouse; customer_id must be unique",
        conn_ids=["shop", "warehouse"],
        pipeline_dag_id="customers_to_warehouse",
        offline=True,
    )
