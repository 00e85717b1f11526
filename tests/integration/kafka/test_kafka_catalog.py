"""The catalog of a Kafka connection on a real broker: one table per topic, columns from samples."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from airflow_ai_etl.catalog.introspect import CatalogError, introspect
from airflow_ai_etl.catalog.kafka import read_kafka_catalog
from tests.integration.kafka.conftest import encoded, make_topic
from tests.support.kafka import Topic

pytestmark = pytest.mark.integration


def test_topics_become_tables_with_inferred_columns(
    kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    orders = make_topic(kafka_broker, airflow_conn, partitions=3)
    orders.send(
        encoded(*({"id": i, "at": "2026-03-01T12:00:00+00:00", "amount": 1.5} for i in range(300, 330)))
    )
    binary = Topic(kafka_broker, 1, prefix="binary")
    binary.send([b"\x00\x00\x00\x00\x07\x02"])
    empty = Topic(kafka_broker, 2, prefix="empty")

    started = time.monotonic()
    catalog = introspect("kafka")  # the dispatch for connections of type kafka
    assert time.monotonic() - started < 15
    tables = {t.name: t for t in catalog.tables}
    assert {orders.name, binary.name, empty.name} <= set(tables)

    table = tables[orders.name]
    assert [(c.name, c.type, c.nullable) for c in table.columns] == [
        ("id", "INT", False),
        ("at", "TIMESTAMPTZ", False),
        ("amount", "DOUBLE", False),
    ]
    # Approximate: Tansu reports the new end of a partition a moment after acknowledging a produce.
    assert table.kind == "topic" and table.row_count is not None and 0 < table.row_count <= 150
    assert (table.comment or "").startswith("Kafka topic, 3 partitions; columns inferred from ")
    assert tables[binary.name].columns == []
    assert (tables[empty.name].columns, tables[empty.name].row_count) == ([], 0)


def test_sample_size_topics_and_avro_schemas(kafka_broker: str, airflow_conn: Callable[..., None]) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded(*({"id": i, **({"late": i} if i >= 95 else {})} for i in range(100))))
    catalog = read_kafka_catalog("kafka", topics=[topic.name], sample_size=10)
    [table] = catalog.tables
    assert [(c.name, c.nullable) for c in table.columns] == [("id", False), ("late", True)]
    schema = {"type": "record", "name": "E", "fields": [{"name": "code", "type": "string"}]}
    [avro] = read_kafka_catalog("kafka", topics=[topic.name], avro_schemas={topic.name: schema}).tables
    assert [(c.name, c.type) for c in avro.columns] == [("code", "TEXT")]


def test_an_unreachable_broker_is_a_catalog_error(airflow_conn: Callable[..., None]) -> None:
    extra = {"bootstrap.servers": "127.0.0.1:9", "socket.connection.setup.timeout.ms": 1000}
    airflow_conn("dead_kafka", conn_type="kafka", extra=json.dumps(extra))
    with pytest.raises(CatalogError, match="cannot read the topics of Kafka connection 'dead_kafka'"):
        read_kafka_catalog_via_introspect("dead_kafka")


def read_kafka_catalog_via_introspect(conn_id: str) -> None:
    introspect(conn_id)
