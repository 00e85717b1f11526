"""KafkaToSqlOperator between a real Kafka-protocol broker (Tansu) and real PostgreSQL databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.operators.kafka import KafkaToSqlOperator
from tests.integration.kafka.conftest import encoded, load, make_topic, run

pytestmark = pytest.mark.integration

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


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "id"}, "'key'"),
        ({"columns": "id"}, "'columns'"),
        ({"key": ["id"], "columns": ["name"]}, "'key'"),
        ({"max_messages": 0}, "'max_messages'"),
        ({"poll_timeout": 0}, "'poll_timeout'"),
        ({"group_id": " "}, "'group_id'"),
        ({"value_format": "xml"}, "'value_format' must be one of json, avro, confluent_avro"),
        ({"value_format": "avro"}, "'avro_schema' is required"),
        ({"avro_schema": {"type": "record", "fields": []}}, "'avro_schema' is only used"),
        ({"value_format": "avro", "avro_schema": "{not json"}, "'avro_schema': not valid JSON"),
        (
            {"value_format": "avro", "avro_schema": {"type": "string"}},
            "'avro_schema': must be an Avro record",
        ),
        ({"avro_schema_id": 3}, "'avro_schema_id' is only used"),
        ({"offsets_table": " "}, "'offsets_table' is empty"),
        ({"offsets_table": "t", "dead_letter_table": "t"}, "must differ"),
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


def test_offsets_are_stored_with_the_rows(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn, partitions=2)
    topic.send(encoded(*({"id": i} for i in range(1, 8))))
    load(topic)
    stored = run(
        target,
        'SELECT consumer_group, topic, "partition", next_offset FROM ai_etl_kafka_offsets ORDER BY 3',
    )
    assert stored == [(topic.group, topic.name, 0, 4), (topic.group, topic.name, 1, 3)]
    assert topic.committed() == [4, 3]


def test_without_an_offsets_table_kafka_alone_remembers(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded(*({"id": i} for i in range(1, 6))))
    assert load(topic, offsets_table=None)["rows"] == 5
    assert load(topic, offsets_table=None)["rows"] == 0
    assert run(target, "SELECT to_regclass('ai_etl_kafka_offsets') IS NULL") == [(True,)]
    assert topic.committed() == [5]


def test_escapes_line_breaks_and_unicode_survive_the_copy(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    names = ['back\\slash "quoted"', "line\nbreak\r\ttab", "é 中文 🙂", "\\N", ""]
    values = [json.dumps({"id": i, "name": n, "attrs": {"n": n}}).encode() for i, n in enumerate(names)]
    values.append(b'{\n  "id": 99,\n  "name": "pretty\\\\printed"\n}')  # raw line breaks between tokens
    topic.send(values)
    assert load(topic)["rows"] == 6
    assert run(target, "SELECT name, attrs FROM events WHERE id < 99 ORDER BY id") == [
        (n, {"n": n}) for n in names
    ]
    assert run(target, "SELECT name FROM events WHERE id = 99") == [("pretty\\printed",)]


def test_a_value_that_does_not_fit_its_column_fails_and_leaves_the_table(
    target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded({"id": 1, "name": "ok"}, {"id": "not a number", "name": "bad"}))
    with pytest.raises(Exception, match="not a number"):
        load(topic)
    assert run(target, "SELECT COUNT(*) FROM events") == [(0,)]
    assert topic.committed() == [-1001]
