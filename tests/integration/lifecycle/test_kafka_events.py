"""Lifecycle events on a real Kafka-protocol broker (Tansu): delivered as schema-valid JSON keyed
by dag_id; with the broker down or the queue full, publishing stays fast, never raises, and what
was lost is counted and logged once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airflow_ai_etl.lifecycle import emit, lifecycle_event
from airflow_ai_etl.lifecycle.event import event_schema
from airflow_ai_etl.lifecycle.publisher import Publisher, configured_publisher, reset
from tests.support.kafka import TIMEOUT_S, Topic, free_port, tansu_broker

pytestmark = pytest.mark.integration


class Warnings(logging.Handler):
    """The publisher's warnings, captured on its own logger (Airflow's logging config may not
    propagate them to pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def warnings() -> Iterator[Warnings]:
    handler = Warnings()
    logger = logging.getLogger("airflow_ai_etl.lifecycle.publisher")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with tansu_broker() as bootstrap:
        yield bootstrap


def consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes | None, dict[str, Any]]]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}_reader"})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])  # no group join: quicker
    found: list[tuple[bytes | None, dict[str, Any]]] = []
    deadline = time.monotonic() + TIMEOUT_S * 3
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append((message.key(), json.loads(message.value())))
    finally:
        consumer.close()
    return found


def test_events_arrive_as_schema_valid_json_keyed_by_dag_id(broker: str) -> None:
    topic = Topic(broker)
    publisher = Publisher({"bootstrap.servers": broker}, topic.name)
    sent = [
        lifecycle_event("pipeline.deployed", "orders_daily", user="ada", version=3, spec_sha256="ab" * 32),
        lifecycle_event("run.failed", "orders_daily", run_id="manual__1", state="failed"),
        lifecycle_event("pipeline.generated", None, request_id=7, state="failed", user="bob"),
    ]
    assert all(publisher.publish(e) for e in sent)
    assert publisher.flush(TIMEOUT_S) == 0
    received = consume(broker, topic.name, len(sent))
    assert [value for _, value in received] == sent
    assert [key for key, _ in received] == [b"orders_daily", b"orders_daily", None]
    schema = event_schema()
    for value in sent:
        jsonschema.validate(value, schema)
    assert publisher.counts == {"sent": 3}


def test_broker_down_costs_microseconds_and_is_counted_and_logged_once(warnings: Warnings) -> None:
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens there
    publisher = Publisher({"bootstrap.servers": nobody, "message.timeout.ms": "1500"}, "ai_etl.lifecycle")
    started = time.perf_counter()
    for i in range(200):
        assert publisher.publish(lifecycle_event("run.started", f"dag_{i}", run_id="r"))
    per_event = (time.perf_counter() - started) / 200
    assert per_event < 0.002, f"publishing took {per_event * 1000:.2f} ms per event with the broker down"

    deadline = time.monotonic() + 60  # a loaded CI machine: message.timeout.ms plus slack
    while publisher.counts["failed"] < 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert publisher.counts["failed"] == 200 and publisher.counts["sent"] == 0
    lost = [line for line in warnings.lines if "are being lost" in line]
    assert len(lost) == 1 and "not delivered" in lost[0]
    assert len([line for line in warnings.lines if "brokers are down" in line]) == 1
    # Known down: an exit flush does not wait.
    started = time.perf_counter()
    publisher.flush(5)
    assert time.perf_counter() - started < 0.5


def test_a_full_queue_drops_and_counts_instead_of_waiting(warnings: Warnings) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    publisher = Publisher({"bootstrap.servers": nobody}, "ai_etl.lifecycle", queue_size=5)
    publisher._ensure_thread = lambda: None  # type: ignore[method-assign]  # nothing drains the queue
    results = [publisher.publish(lifecycle_event("run.started", "d", run_id=str(i))) for i in range(50)]
    assert results.count(True) == 5 and publisher.counts["dropped"] == 45
    assert len([line for line in warnings.lines if "queue of 5 events is full" in line]) == 1


def test_emit_publishes_through_the_configured_connection(
    broker: str, airflow_conn: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = Topic(broker)
    airflow_conn("events_kafka", conn_type="kafka", extra=json.dumps({"bootstrap.servers": broker}))
    monkeypatch.setenv("AIRFLOW__AI_ETL__EVENTS_CONN_ID", "events_kafka")
    monkeypatch.setenv("AIRFLOW__AI_ETL__EVENTS_TOPIC", topic.name)
    reset()
    try:
        emit("pipeline.approved", "orders_daily", user="ada", spec_sha256="cd" * 32)
        publisher = configured_publisher()
        assert publisher is not None and publisher.topic == topic.name
        assert publisher.flush(TIMEOUT_S) == 0
        ((key, value),) = consume(broker, topic.name, 1)
        assert key == b"orders_daily"
        assert value["type"] == "pipeline.approved" and value["details"] == {
            "user": "ada",
            "spec_sha256": "cd" * 32,
        }
    finally:
        reset()


def test_emit_without_configuration_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__AI_ETL__EVENTS_CONN_ID", raising=False)
    reset()
    emit("run.started", "d", run_id="r")
    assert configured_publisher() is None


def test_the_schema_ships_with_the_package() -> None:
    path = Path(__file__).resolve().parents[3] / "airflow_ai_etl" / "lifecycle" / "lifecycle_event.v1.json"
    assert event_schema() == json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(event_schema())
