"""A spec with a kafka_ingest step, deployed with `ai-etl deploy` and run with `airflow dags test`:
messages from a real Kafka-protocol broker (Tansu) land in PostgreSQL exactly once; a second run
loads only the new messages; a stale table fails the freshness check naming table, age and limit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Airflow, query
from tests.support.kafka import Topic, tansu_broker

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_kafka_to_dwh"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def spec(topic: str) -> str:
    return f"""
spec_version: 1
dag_id: {DAG_ID}
description: Events from Kafka into the warehouse, checked for freshness.
start_date: 2026-01-01
schedule: null
retries: 0
steps:
  - id: create_events
    kind: sql
    conn_id: dwh
    sql: |
      CREATE TABLE IF NOT EXISTS public.events (
          id         integer NOT NULL,
          name       text,
          amount     numeric(10, 2),
          updated_at timestamptz NOT NULL
      )
  - id: load_events
    kind: kafka_ingest
    kafka_conn_id: events_kafka
    topic: {topic}
    target: {{conn_id: dwh, table: public.events}}
    columns: [id, name, amount, updated_at]
    depends_on: [create_events]
  - id: check_events
    kind: quality_check
    conn_id: dwh
    table: public.events
    checks:
      - {{column: id, check: unique}}
      - {{check: freshness, column: updated_at, max_age_minutes: 60}}
    depends_on: [load_events]
"""


def event(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "name": f"event {i}",
        "amount": round(i * 1.25, 2),
        "updated_at": (NOW - dt.timedelta(minutes=30) + dt.timedelta(seconds=i)).isoformat(),
        "ignored": [i],
    }


def row(i: int) -> tuple[Any, ...]:
    record = event(i)
    amount = Decimal(str(record["amount"])).quantize(Decimal("0.01"))
    return (i, record["name"], amount, dt.datetime.fromisoformat(record["updated_at"]))


def send(topic: Topic, numbers: range) -> None:
    topic.send([json.dumps(event(i)).encode() for i in numbers])


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with tansu_broker() as bootstrap:
        yield bootstrap


def test_deployed_kafka_ingest_loads_each_message_once_and_checks_freshness(
    airflow: Airflow,
    pg_database: Callable[[], str],
    airflow_conn: Callable[..., None],
    broker: str,
    tmp_path: Path,
) -> None:
    dwh = pg_database()
    airflow_conn("dwh", dwh)
    airflow_conn("events_kafka", conn_type="kafka", extra=json.dumps({"bootstrap.servers": broker}))
    topic = Topic(broker, partitions=2)
    send(topic, range(1, 121))
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(spec(topic.name))

    airflow.run("ai-etl", "deploy", str(spec_path), "--dags-folder", str(airflow.dags_folder))
    source = (airflow.dags_folder / "ai_etl" / f"{DAG_ID}.py").read_text()
    assert "KafkaToSqlOperator(" in source and "FreshnessOperator(" in source
    assert f'group_id="ai_etl.{DAG_ID}.load_events"' in source

    # First run: every message, once.
    airflow.run("airflow", "dags", "test", DAG_ID)
    assert query(dwh, "SELECT * FROM public.events ORDER BY id") == [row(i) for i in range(1, 121)]

    # Second run: only the messages produced since.
    send(topic, range(121, 151))
    airflow.run("airflow", "dags", "test", DAG_ID)
    assert query(dwh, "SELECT * FROM public.events ORDER BY id") == [row(i) for i in range(1, 151)]
    stored = query(dwh, 'SELECT "partition", next_offset FROM ai_etl_kafka_offsets ORDER BY 1')
    assert stored == [(0, 75), (1, 75)]

    # The table goes stale: nothing new arrives, and its newest row is now over three hours old.
    query(dwh, "UPDATE public.events SET updated_at = updated_at - interval '3 hours'")
    failed = airflow.run("airflow", "dags", "test", DAG_ID, check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "freshness check failed on table public.events (connection dwh)" in output
    assert "newest public.events.updated_at is" in output
    assert "limit 1h (max_age_minutes=60)" in output
    assert query(dwh, "SELECT COUNT(*) FROM public.events") == [(150,)]
