"""KafkaToSqlOperator's metrics on a real broker: messages loaded and dead-lettered, bytes, and
the lag a bounded batch leaves behind, sent to a real StatsD listener."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.kafka.conftest import encoded, load, make_topic
from tests.support.statsd import StatsdListener, statsd  # noqa: F401  (a fixture)

pytestmark = pytest.mark.integration


def test_a_bounded_batch_reports_messages_bytes_and_the_lag_left(
    target: str,
    kafka_broker: str,
    airflow_conn: Callable[..., None],
    statsd: StatsdListener,  # noqa: F811
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    messages = [*encoded(*({"id": i} for i in range(1, 26))), b"{not json"]
    topic.send(messages)
    assert load(topic, max_messages=10)["rows"] == 10
    assert load(topic, dead_letter_table="events_dead")["rows"] == 15

    loaded = [(line.tags["outcome"], line.value) for line in statsd.named("ai_etl.kafka.messages")]
    assert loaded == [("loaded", 10), ("loaded", 15), ("dead_letter", 1)]
    assert [(line.tags["partition"], line.value) for line in statsd.named("ai_etl.kafka.lag")] == [
        ("0", 16),
        ("0", 0),
    ]
    moved = [line.value for line in statsd.named("ai_etl.task.bytes")]
    assert moved == [sum(map(len, messages[:10])), sum(map(len, messages[10:]))]
    assert {line.tags["topic"] for line in statsd.named("ai_etl.kafka.lag")} == {topic.name}
