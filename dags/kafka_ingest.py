"""Kafka to the warehouse with KafkaToSqlOperator: a bounded batch per run, exactly once.

Connections: `bus` (type `kafka`; its extra is the confluent-kafka config, e.g.
{"bootstrap.servers": "kafka:9092"}) and `warehouse`. Rows and consumer offsets are written in one
target transaction, Kafka's offsets committed only afterwards: a killed worker loads nothing twice.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.kafka import KafkaToSqlOperator

with DAG(
    dag_id="example_kafka_ingest",
    description="Shop events from Kafka into the warehouse, upserted by id",
    schedule="*/10 * * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # one consumer of the group at a time
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 2},
):
    KafkaToSqlOperator(
        task_id="load_events",
        kafka_conn_id="bus",
        topic="shop.events",
        value_format="json",
        target_conn_id="warehouse",
        target_table="events",
        columns=["id", "name", "updated_at"],
        key=["id"],
        max_messages=100_000,
        dead_letter_table="events_dead",
    )
