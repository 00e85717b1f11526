"""Lifecycle events from real processes: `ai-etl deploy` publishes approved and deployed (flushed
as the command exits), and a run of the generated DAG (`airflow dags test`) publishes
run.succeeded through the plugin's listener. (`dags test` creates its run already running, so
Airflow calls no `on_dag_run_running` there: run.started comes from the scheduler, which does.)"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airflow_ai_etl.lifecycle.event import event_schema
from tests.e2e.conftest import Airflow
from tests.support.kafka import Topic, tansu_broker

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_lifecycle"
SPEC = f"""
spec_version: 1
dag_id: {DAG_ID}
description: One statement, to have a run to report.
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: make_table
    kind: sql
    conn_id: dwh
    sql: CREATE TABLE IF NOT EXISTS public.lifecycle_marks (id integer)
"""


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with tansu_broker() as bootstrap:
        yield bootstrap


def read_all(bootstrap: str, topic: str, settle: float = 3.0) -> list[dict[str, Any]]:
    """Every event on the topic, read until none arrived for `settle` seconds."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}_reader"})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    events: list[dict[str, Any]] = []
    quiet_since = time.monotonic()
    try:
        while time.monotonic() - quiet_since < settle:
            message = consumer.poll(0.3)
            if message is not None and message.error() is None:
                events.append(json.loads(message.value()))
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return events


def test_deploy_and_run_publish_lifecycle_events(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    broker: str,
    tmp_path: Path,
) -> None:
    airflow_conn("dwh", pg_database())
    airflow_conn("events_kafka", conn_type="kafka", extra=json.dumps({"bootstrap.servers": broker}))
    topic = Topic(broker)
    airflow.extra.update(
        {"AIRFLOW__AI_ETL__EVENTS_CONN_ID": "events_kafka", "AIRFLOW__AI_ETL__EVENTS_TOPIC": topic.name}
    )
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder))
    airflow.run("airflow", "dags", "test", DAG_ID)

    events = read_all(broker, topic.name)
    for event in events:
        jsonschema.validate(event, event_schema())
    assert [(e["type"], e["dag_id"]) for e in events] == [
        ("pipeline.approved", DAG_ID),
        ("pipeline.deployed", DAG_ID),
        ("run.succeeded", DAG_ID),
    ]
    deployed = events[1]["details"]
    assert deployed["version"] == 1 and len(deployed["spec_sha256"]) == 64 and deployed["user"]
    succeeded = events[2]["details"]
    assert succeeded["state"] == "success" and succeeded["run_id"].startswith("manual__")
