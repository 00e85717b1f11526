"""GeneratePipelineOperator over HTTP: the task introspects its connections, runs the agents against
the scripted server, and returns the result as JSON."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_ai_etl.operators.generate import GeneratePipelineOperator
from airflow_ai_etl.spec import parse_spec
from tests.support import scripted_llm as llm

pytestmark = pytest.mark.integration

SQL = "SELECT order_id, customer_id, amount, updated_at FROM public.orders"
SPEC = {
    "dag_id": "anything",
    "start_date": "2026-01-01",
    "schedule": "@daily",
    "steps": [
        {
            "id": "load_orders",
            "kind": "transfer",
            "source": {"conn_id": "shop_pg", "sql": SQL},
            "target": {"conn_id": "shop_pg", "table": "analytics.orders_copy"},
            "mode": "replace",
        }
    ],
}


def test_operator_returns_the_generation_result(shop, scripted_llm, llm_config, capfd) -> None:
    llm_config()
    scripted_llm.script(
        llm.output({"response": ["shop_pg:public.orders"]}), llm.output(SPEC), llm.output({"sql": SQL})
    )
    op = GeneratePipelineOperator(
        task_id="generate",
        request="copy orders into analytics.orders_copy every day",
        conn_ids=["shop_pg"],
        pipeline_dag_id="orders_daily",
    )
    data = op.execute({})  # type: ignore[arg-type]

    assert data["ok"] is True, data["reason"]
    assert parse_spec(data["spec"]).dag_id == "orders_daily"
    assert data["source"].startswith("# airflow-ai-etl: generated DAG file")
    assert [e["agent"] for e in data["events"]][:2] == ["schema_analyst", "planner"]
    logged = "".join(capfd.readouterr())
    assert "qa_validator: valid" in logged  # the events reach the task log


def test_unknown_connection_fails_the_task_without_retry(scripted_llm, llm_config) -> None:
    llm_config()
    op = GeneratePipelineOperator(task_id="generate", request="copy orders", conn_ids=["no_such_db"])
    with pytest.raises(AirflowFailException, match="'no_such_db'"):
        op.execute({})  # type: ignore[arg-type]
    assert scripted_llm.requests == []
