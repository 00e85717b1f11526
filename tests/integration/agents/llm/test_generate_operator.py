"""GeneratePipelineOperator over HTTP: the task introspects its connections, runs the agents against
the scripted server, publishes the events as they happen and returns the result as JSON."""

from __future__ import annotations

from typing import Any

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


class PushedXComs:
    """The task instance's side of `xcom_push`, as the Task SDK offers it: every push, in order."""

    def __init__(self) -> None:
        self.pushes: list[tuple[str, Any]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushes.append((key, dict(value) if isinstance(value, dict) else [dict(item) for item in value]))


def test_operator_publishes_events_and_returns_the_generation_result(
    shop, scripted_llm, llm_config, capfd
) -> None:
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
    ti = PushedXComs()
    data = op.execute({"ti": ti})  # type: ignore[typeddict-item]

    assert data["ok"] is True, data["reason"]
    assert parse_spec(data["spec"]).dag_id == "orders_daily"
    assert data["source"].startswith("# airflow-ai-etl: generated DAG file")
    assert [t["name"] for t in data["er"]["tables"]] == ["public.orders", "analytics.orders_copy"]
    assert "events" not in data
    # One push per event, each the whole list so far: a poller sees them as they happen.
    assert {key for key, _ in ti.pushes} == {"events"}
    assert [len(events) for _, events in ti.pushes] == list(range(1, len(ti.pushes) + 1))
    published = [(e["agent"], e["phase"]) for e in ti.pushes[-1][1]]
    # The schema is read first, then each agent step is published as it starts and as it ends.
    assert published[:6] == [
        ("catalog", "start"),
        ("catalog", "end"),
        ("schema_analyst", "start"),
        ("schema_analyst", "end"),
        ("planner", "start"),
        ("planner", "end"),
    ]
    logged = "".join(capfd.readouterr())
    assert "qa_validator: valid" in logged  # the events reach the task log


def test_unknown_connection_fails_the_task_without_retry(scripted_llm, llm_config) -> None:
    llm_config()
    op = GeneratePipelineOperator(task_id="generate", request="copy orders", conn_ids=["no_such_db"])
    ti = PushedXComs()
    with pytest.raises(AirflowFailException, match="'no_such_db'"):
        op.execute({"ti": ti})  # type: ignore[typeddict-item]
    assert scripted_llm.requests == []
    [started, (_, [_, event])] = ti.pushes  # the reason is published too: the page shows it, not only the log
    assert started[1][0]["phase"] == "start" and started[1][0]["agent"] == "catalog"
    assert event["level"] == "error" and "'no_such_db'" in event["message"]


def test_a_misconfigured_model_connection_fails_the_task_unless_told_otherwise(
    shop, scripted_llm, llm_config, monkeypatch
) -> None:
    llm_config()
    monkeypatch.setenv("AIRFLOW__AI_ETL__LLM_CONN_ID", "no_such_llm")
    ti = PushedXComs()
    op = GeneratePipelineOperator(task_id="generate", request="copy orders", conn_ids=["shop_pg"])
    with pytest.raises(AirflowFailException, match="no_such_llm"):
        op.execute({"ti": ti})  # type: ignore[typeddict-item]
    [result] = [value for key, value in ti.pushes if key == "return_value"]
    assert result["ok"] is False and "no_such_llm" in result["reason"]  # still readable after the failure

    lenient = GeneratePipelineOperator(
        task_id="generate", request="copy orders", conn_ids=["shop_pg"], fail_on_error=False
    )
    assert lenient.execute({"ti": PushedXComs()})["ok"] is False  # type: ignore[typeddict-item]
    assert scripted_llm.requests == []
