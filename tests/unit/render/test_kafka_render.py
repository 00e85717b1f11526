"""kafka_ingest steps and freshness checks render to KafkaToSqlOperator and FreshnessOperator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_ai_etl.render import render_dag
from airflow_ai_etl.spec import parse_spec

SPEC: dict[str, Any] = {
    "dag_id": "events_in",
    "start_date": "2026-01-01",
    "steps": [
        {
            "id": "load_events",
            "kind": "kafka_ingest",
            "kafka_conn_id": "bus",
            "topic": "shop.events-v1",
            "target": {"conn_id": "dwh", "table": "analytics.events"},
            "key": ["id"],
            "columns": ["id", "name"],
            "max_messages": 5000,
        },
        {
            "id": "load_orders",
            "kind": "kafka_ingest",
            "kafka_conn_id": "bus",
            "topic": "orders",
            "format": "confluent_avro",
            "avro_schema": {"type": "record", "name": "O", "fields": [{"name": "id", "type": "long"}]},
            "avro_schema_id": 12,
            "group_id": "orders-loader",
            "dead_letter_table": "analytics.orders_dead",
            "target": {"conn_id": "dwh", "table": "analytics.orders"},
        },
        {
            "id": "check_events",
            "kind": "quality_check",
            "conn_id": "dwh",
            "table": "analytics.events",
            "checks": [
                {"check": "freshness", "column": "updated_at", "max_age_minutes": 90},
                {"check": "freshness", "column": "loaded_at", "max_age_minutes": 1.5},
                {"column": "id", "check": "unique"},
            ],
            "depends_on": ["load_events"],
        },
        {
            "id": "check_orders",
            "kind": "quality_check",
            "conn_id": "dwh",
            "table": "analytics.orders",
            "checks": [{"check": "freshness", "column": "at", "max_age_minutes": 60}],
            "depends_on": ["load_orders"],
        },
    ],
}


def test_rendered_tasks_carry_the_spec(load_dags: Callable[[str], dict[str, Any]]) -> None:
    spec = parse_spec(SPEC)
    source = render_dag(spec)
    assert source == render_dag(parse_spec(SPEC))  # deterministic
    assert "from airflow_ai_etl.operators.kafka import KafkaToSqlOperator" in source
    dag = load_dags(source)["events_in"]

    events = dag.get_task("load_events")
    assert type(events).__name__ == "KafkaToSqlOperator"
    assert (events.topic, events.target_conn_id, events.target_table) == (
        "shop.events-v1",
        "dwh",
        "analytics.events",
    )
    assert (events.key, events.columns, events.max_messages) == (["id"], ["id", "name"], 5000)
    assert events.group_id == "ai_etl.events_in.load_events"  # one consumer group per DAG and step
    assert (events.value_format, events.avro_schema, events.dead_letter_table) == ("json", None, None)
    assert events.offsets_table == "ai_etl_kafka_offsets"

    orders = dag.get_task("load_orders")
    assert (orders.value_format, orders.avro_schema_id, orders.group_id) == (
        "confluent_avro",
        12,
        "orders-loader",
    )
    assert orders.avro_schema == SPEC["steps"][1]["avro_schema"]
    assert orders.dead_letter_table == "analytics.orders_dead"

    fresh = dag.get_task("check_events.freshness_updated_at")
    assert (fresh.table, fresh.column, fresh.max_age_minutes) == ("analytics.events", "updated_at", 90)
    assert dag.get_task("check_events.freshness_loaded_at").max_age_minutes == 1.5
    assert dag.get_task("check_events.freshness_updated_at").upstream_task_ids == {"load_events"}
    only = dag.get_task("check_orders")  # a single check: the task is the step
    assert type(only).__name__ == "FreshnessOperator" and only.column == "at"
