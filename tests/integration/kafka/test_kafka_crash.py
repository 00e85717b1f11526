"""Fault tests: the worker running KafkaToSqlOperator is SIGKILLed mid-load, then the load is rerun.

The child process runs the operator and stops at a chosen point (after the first chunk is written
into the open transaction, or after the database commit and before the Kafka offset commit),
telling the test through a file; the test then kills it with SIGKILL, as an OOM killer or a lost
node would. Without a key the rerun must still leave every message in the table exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.kafka.conftest import encoded, load, make_topic, run
from tests.support.kafka import Topic

pytestmark = pytest.mark.integration

CHILD = """
import pathlib
import sys
import time

from confluent_kafka import Consumer

import airflow.providers.apache.kafka.hooks.consume as consume
from airflow_ai_etl.operators import _kafka_sink, kafka
from airflow_ai_etl.operators.kafka import KafkaToSqlOperator

stop_at, topic, flag = sys.argv[1:4]


def stop(*args, **kwargs):
    pathlib.Path(flag).write_text(stop_at)
    time.sleep(600)  # until the test kills this process


if stop_at == "offset_commit":  # the rows and stored offsets are committed; Kafka's are not yet
    class StoppingConsumer(Consumer):
        def commit(self, *args, **kwargs):
            stop()

    consume.Consumer = StoppingConsumer
else:  # "second_chunk": the first chunk is in the open transaction, nothing is committed
    kafka.CHUNK_MESSAGES = 40
    calls = []

    def stopping(write):
        def write_then_stop(self, rows):
            calls.append(len(rows))
            if len(calls) == 2:
                stop()
            return write(self, rows)

        return write_then_stop

    _kafka_sink.TargetSink.write = stopping(_kafka_sink.TargetSink.write)
    _kafka_sink.TargetSink.write_json = stopping(_kafka_sink.TargetSink.write_json)

KafkaToSqlOperator(
    task_id="load", kafka_conn_id="kafka", topic=topic, target_conn_id="dst",
    target_table="events", poll_timeout=5.0,
).execute({})
"""


def kill_load_at(stop_at: str, topic: Topic, tmp_path: Path) -> None:
    """Run the load in a child process and SIGKILL it once it reaches `stop_at`."""
    flag = tmp_path / f"{stop_at}.reached"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), stop_at, topic.name, str(flag)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            if child.poll() is not None:
                pytest.fail(f"the load ended before {stop_at}: {child.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail(f"the load did not reach {stop_at} in 120s")
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        child.stderr.close()  # type: ignore[union-attr]


def ids(uri: str) -> list[int]:
    return [row[0] for row in run(uri, "SELECT id FROM events ORDER BY id")]


def test_kill_between_database_and_offset_commit_loses_and_duplicates_nothing_without_key(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None], tmp_path: Path
) -> None:
    run(target, "ALTER TABLE events DROP CONSTRAINT events_pkey")  # duplicates would now be visible
    topic = make_topic(kafka_broker, airflow_conn, partitions=2)
    topic.send(encoded(*({"id": i} for i in range(1, 51))))
    assert load(topic)["rows"] == 50
    topic.send(encoded(*({"id": i} for i in range(51, 151))))

    kill_load_at("offset_commit", topic, tmp_path)
    assert ids(target) == list(range(1, 151))  # the load committed ...
    assert sum(topic.committed()) == 50  # ... Kafka's offsets did not move

    assert load(topic)["rows"] == 0  # the stored offsets say where the last load ended
    assert ids(target) == list(range(1, 151))
    assert sum(topic.committed()) == 150  # and Kafka catches up
    topic.send(encoded(*({"id": i} for i in range(151, 161))))
    assert load(topic)["rows"] == 10
    assert ids(target) == list(range(1, 161))


def test_kill_in_the_middle_of_a_batch_leaves_the_table_as_it_was(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None], tmp_path: Path
) -> None:
    run(target, "ALTER TABLE events DROP CONSTRAINT events_pkey")
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded(*({"id": i} for i in range(1, 11))))
    assert load(topic)["rows"] == 10
    topic.send(encoded(*({"id": i} for i in range(11, 211))))

    kill_load_at("second_chunk", topic, tmp_path)
    assert ids(target) == list(range(1, 11))  # the 40 rows of the first chunk were rolled back
    assert topic.committed() == [10]

    assert load(topic)["rows"] == 200
    assert ids(target) == list(range(1, 211))
    assert run(target, "SELECT next_offset FROM ai_etl_kafka_offsets") == [(210,)]
