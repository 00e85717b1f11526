"""KafkaToSqlOperator between a real Kafka-protocol broker (Tansu) and real PostgreSQL databases."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg2
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from airflow_ai_etl.operators.kafka import KafkaToSqlOperator

pytestmark = pytest.mark.integration

TARGET = """
CREATE TABLE events (id integer PRIMARY KEY, name text, attrs jsonb);
CREATE TABLE events_dead (topic text, "partition" integer, "offset" bigint, payload text, error text);
"""
TIMEOUT_S = 10.0


def run(uri: str, sql: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(uri)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


class Topic:
    """A fresh topic and consumer group on the test broker."""

    def __init__(self, bootstrap: str, partitions: int) -> None:
        self.bootstrap = bootstrap
        self.name = f"events_{uuid.uuid4().hex[:8]}"
        self.group = f"group_{uuid.uuid4().hex[:8]}"
        self.partitions = partitions
        admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures resolve
        created = admin.create_topics([NewTopic(self.name, num_partitions=partitions, replication_factor=1)])
        for future in created.values():
            future.result(TIMEOUT_S)

    def send(self, values: Sequence[bytes], partition: int | None = None) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for i, value in enumerate(values):
            producer.produce(
                self.name, value, partition=i % self.partitions if partition is None else partition
            )
        assert producer.flush(TIMEOUT_S) == 0

    def committed(self) -> list[int]:
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": self.group})
        try:
            wanted = [TopicPartition(self.name, p) for p in range(self.partitions)]
            return [tp.offset for tp in consumer.committed(wanted, timeout=TIMEOUT_S)]
        finally:
            consumer.close()


def encoded(*records: object) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


@pytest.fixture
def target(pg_database: Callable[[], str], airflow_conn: Callable[..., None], kafka_broker: str) -> str:
    uri = pg_database()
    run(uri, TARGET)
    airflow_conn("dst", uri)
    return uri


def make_topic(kafka_broker: str, airflow_conn: Callable[..., None], partitions: int = 1) -> Topic:
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


ROWS = "SELECT id, name, attrs FROM events ORDER BY id"


def test_loads_each_message_once_across_runs(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn, partitions=3)
    first = [{"id": i, "name": f"n{i}", "attrs": {"i": i}} for i in range(1, 301)]
    first[6] = {"id": 7, "attrs": None}  # missing key -> NULL
    topic.send(encoded(*first))
    columns = ["id", "name", "attrs"]

    result = load(topic, columns=columns)
    assert result["rows"] == 300
    assert sum(result["offsets"].values()) == 300
    expected = [(r["id"], r.get("name"), r["attrs"]) for r in first]
    assert run(target, ROWS) == expected
    assert sum(topic.committed()) == 300

    assert load(topic, columns=columns)["rows"] == 0
    assert run(target, ROWS) == expected

    topic.send(encoded(*({"id": i, "name": "new", "ignored": True} for i in range(301, 321))))
    assert load(topic, columns=columns)["rows"] == 20
    assert run(target, "SELECT COUNT(*), COUNT(DISTINCT id) FROM events") == [(320, 320)]
    assert run(target, "SELECT COUNT(*) FROM events WHERE name = 'new' AND attrs IS NULL") == [(20,)]


def test_max_messages_bounds_a_batch(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded(*({"id": i} for i in range(1, 26))))
    assert [load(topic, max_messages=10)["rows"] for _ in range(4)] == [10, 10, 5, 0]
    assert run(target, "SELECT COUNT(*), MIN(id), MAX(id) FROM events") == [(25, 1, 25)]


def test_upsert_by_key_merges_updates(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded(*({"id": i, "name": "v1"} for i in range(1, 11))))
    assert load(topic, key=["id"])["rows"] == 10
    topic.send(encoded({"id": 2, "name": "v2"}, {"id": 2, "name": "v3"}, {"id": 11, "name": "v1"}))
    assert load(topic, key=["id"])["rows"] == 3
    names = dict(run(target, "SELECT id, name FROM events"))
    assert len(names) == 11
    assert names[2] == "v3"
    assert {n for i, n in names.items() if i != 2} == {"v1"}


def test_malformed_message_fails_then_dead_letter_rerun_loads(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    run(target, "INSERT INTO events VALUES (100, 'before', NULL)")
    topic.send([*encoded({"id": 1}, {"id": 2}, {"id": 3}), b"{not json", b"[1, 2]", *encoded({"id": 4})])

    with pytest.raises(ValueError, match=rf"topic '{topic.name}' partition 0 offset 3: not valid JSON"):
        load(topic)
    assert run(target, "SELECT id, name FROM events") == [(100, "before")]
    assert run(target, "SELECT COUNT(*) FROM events_dead") == [(0,)]
    assert topic.committed() == [-1001]  # nothing committed: the rerun re-reads everything

    result = load(topic, dead_letter_table="events_dead")
    assert (result["rows"], result["dead_letters"]) == (4, 2)
    assert run(target, "SELECT id FROM events ORDER BY id") == [(1,), (2,), (3,), (4,), (100,)]
    dead = run(target, 'SELECT topic, "partition", "offset", payload, error FROM events_dead ORDER BY 3')
    assert [row[:4] for row in dead] == [(topic.name, 0, 3, "{not json"), (topic.name, 0, 4, "[1, 2]")]
    assert "offset 4: expected a JSON object, got list" in dead[1][4]
    assert topic.committed() == [6]


CRASHING_CHILD = """
import os
import sys

from confluent_kafka import Consumer

import airflow.providers.apache.kafka.hooks.consume as consume
from airflow_ai_etl.operators.kafka import KafkaToSqlOperator


class CrashingConsumer(Consumer):
    def commit(self, *args, **kwargs):
        os._exit(9)  # dies after the load committed, before the offsets are committed


consume.Consumer = CrashingConsumer
KafkaToSqlOperator(
    task_id="load", kafka_conn_id="kafka", topic=sys.argv[1], target_conn_id="dst",
    target_table="events", key=["id"], poll_timeout=5.0,
).execute({})
"""


def test_crash_between_load_and_offset_commit_leaves_no_duplicates(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn, partitions=2)
    topic.send(encoded(*({"id": i, "name": f"n{i}"} for i in range(1, 101))))

    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING_CHILD), topic.name],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 9, child.stderr
    assert run(target, "SELECT COUNT(*) FROM events") == [(100,)]  # the load committed
    assert topic.committed() == [-1001, -1001]  # the offsets did not

    assert load(topic, key=["id"])["rows"] == 100  # re-read, upserted
    assert run(target, "SELECT COUNT(*), COUNT(DISTINCT id) FROM events") == [(100, 100)]
    assert sum(topic.committed()) == 100
    assert load(topic, key=["id"])["rows"] == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "id"}, "'key'"),
        ({"columns": "id"}, "'columns'"),
        ({"key": ["id"], "columns": ["name"]}, "'key'"),
        ({"max_messages": 0}, "'max_messages'"),
        ({"poll_timeout": 0}, "'poll_timeout'"),
        ({"group_id": " "}, "'group_id'"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    settings: dict[str, Any] = {
        "task_id": "load",
        "kafka_conn_id": "kafka",
        "topic": "t",
        "target_conn_id": "dst",
        "target_table": "events",
    }
    with pytest.raises(ValueError, match=field):
        KafkaToSqlOperator(**(settings | kwargs))


def test_missing_group_id_and_key_outside_messages_name_the_field(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded({"id": 1, "name": "a"}))
    airflow_conn("bare", conn_type="kafka", extra=json.dumps({"bootstrap.servers": kafka_broker}))
    with pytest.raises(ValueError, match="'group_id' is not set"):
        load(topic, kafka_conn_id="bare")
    with pytest.raises(ValueError, match=r"'key' column.*not among the message keys"):
        load(topic, key=["code"])
    assert run(target, "SELECT COUNT(*) FROM events") == [(0,)]
    assert load(topic, kafka_conn_id="bare", group_id=topic.group)["rows"] == 1
