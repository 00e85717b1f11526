"""A real Kafka-protocol broker for the module (Tansu), fresh topics, and a target PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_ai_etl.operators.kafka import KafkaToSqlOperator
from tests.e2e.conftest import query as run
from tests.support.kafka import Topic, tansu_broker

__all__ = ["run"]

TARGET = """
CREATE TABLE events (id integer PRIMARY KEY, name text, attrs jsonb);
CREATE TABLE events_dead (topic text, "partition" integer, "offset" bigint, payload text, error text);
"""


@pytest.fixture(scope="module")
def kafka_broker() -> Iterator[str]:
    """Tansu on a free 127.0.0.1 port for the module; yields its bootstrap servers."""
    with tansu_broker() as bootstrap:
        yield bootstrap


def encoded(*records: object) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


@pytest.fixture
def target(pg_database: Callable[[], str], airflow_conn: Callable[..., None], kafka_broker: str) -> str:
    """A PostgreSQL database with `events` and `events_dead`, as connection `dst`."""
    uri = pg_database()
    run(uri, TARGET)
    airflow_conn("dst", uri)
    return uri


def make_topic(kafka_broker: str, airflow_conn: Callable[..., None], partitions: int = 1) -> Topic:
    """A fresh topic; connection `kafka` points at the broker with the topic's group."""
    topic = Topic(kafka_broker, partitions)
    extra = {"bootstrap.servers": kafka_broker, "group.id": topic.group}
    airflow_conn("kafka", conn_type="kafka", extra=json.dumps(extra))
    return topic


def load(topic: Topic, **kwargs: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "task_id": "load",
        "kafka_conn_id": "kafka",
        "topic": topic.name,
        "target_conn_id": "dst",
        "target_table": "events",
        "poll_timeout": 5.0,
    }
    result: dict[str, Any] = KafkaToSqlOperator(**(settings | kwargs)).execute({})  # type: ignore[arg-type]
    return result
