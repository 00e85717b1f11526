"""Avro values (plain binary and the Confluent wire format), and the generic (non-COPY) target path."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pytest

from tests.integration.kafka.conftest import encoded, load, make_topic, run

pytestmark = pytest.mark.integration

SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "name", "type": ["null", "string"], "default": None},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def avro(record: dict[str, Any], schema_id: int | None = None) -> bytes:
    buffer = io.BytesIO()
    if schema_id is not None:
        buffer.write(b"\x00" + schema_id.to_bytes(4, "big"))
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(SCHEMA), record)
    return buffer.getvalue()


def event(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "name": None if i == 3 else f"n{i}",
        "attrs": {"i": i},
        "at": T0 + dt.timedelta(minutes=i),
    }


@pytest.fixture
def avro_target(target: str) -> str:
    run(target, "ALTER TABLE events ADD COLUMN at timestamptz")
    return target


def expected(*numbers: int) -> list[tuple[Any, ...]]:
    return [(i, None if i == 3 else f"n{i}", {"i": i}, T0 + dt.timedelta(minutes=i)) for i in numbers]


ROWS = "SELECT id, name, attrs, at FROM events ORDER BY id"


def test_plain_avro_with_a_given_schema(
    avro_target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send([avro(event(i)) for i in range(1, 6)])
    result = load(topic, value_format="avro", avro_schema=json.dumps(SCHEMA), key=["id"])
    assert result["rows"] == 5
    assert run(avro_target, ROWS) == expected(1, 2, 3, 4, 5)


def test_confluent_wire_format_checks_the_schema_id_and_dead_letters_the_rest(
    avro_target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send([avro(event(1), 7), avro(event(2), 8), avro(event(3)), avro(event(4), 7), b"\x00\x00"])
    settings: dict[str, Any] = {"value_format": "confluent_avro", "avro_schema": SCHEMA, "avro_schema_id": 7}

    with pytest.raises(
        ValueError, match=rf"topic '{topic.name}' partition 0 offset 1: written with schema id 8"
    ):
        load(topic, **settings)
    assert run(avro_target, "SELECT COUNT(*) FROM events") == [(0,)]

    result = load(topic, **settings, dead_letter_table="events_dead")
    assert (result["rows"], result["dead_letters"]) == (2, 3)
    assert run(avro_target, ROWS) == expected(1, 4)
    dead = run(avro_target, 'SELECT "offset", error FROM events_dead ORDER BY 1')
    assert [offset for offset, _ in dead] == [1, 2, 4]
    assert "not in the Confluent wire format" in dead[1][1]
    assert "offset 4: not in the Confluent wire format" in dead[2][1]
    assert run(avro_target, 'SELECT payload FROM events_dead WHERE "offset" = 4') == [("\\x0000",)]


def test_bytes_that_are_not_a_record_of_the_schema_name_the_offset(
    avro_target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send([avro(event(1)), avro(event(2))[:-3], avro(event(2)) + b"junk"])
    with pytest.raises(ValueError, match="offset 1: not an Avro record of the given schema"):
        load(topic, value_format="avro", avro_schema=SCHEMA)
    result = load(topic, value_format="avro", avro_schema=SCHEMA, dead_letter_table="events_dead")
    assert (result["rows"], result["dead_letters"]) == (1, 2)
    assert "4 bytes left over" in run(avro_target, 'SELECT error FROM events_dead WHERE "offset" = 2')[0][0]


def test_an_invalid_avro_schema_fails_naming_the_field(
    avro_target: str, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    topic = make_topic(kafka_broker, airflow_conn)
    bad = {"type": "record", "name": "E", "fields": [{"name": "id", "type": "no_such_type"}]}
    with pytest.raises(ValueError, match="avro_schema: not a valid Avro schema"):
        load(topic, value_format="avro", avro_schema=bad)


def test_a_sqlite_target_takes_the_generic_path_with_upserts_and_stored_offsets(
    tmp_path: Path, kafka_broker: str, airflow_conn: Callable[..., None]
) -> None:
    path = tmp_path / "dst.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    airflow_conn("lite", conn_type="sqlite", host=str(path))
    topic = make_topic(kafka_broker, airflow_conn)
    topic.send(encoded({"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 1, "name": "c"}))
    assert load(topic, target_conn_id="lite", key=["id"])["rows"] == 3
    assert load(topic, target_conn_id="lite", key=["id"])["rows"] == 0

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT id, name FROM events ORDER BY id").fetchall() == [(1, "c"), (2, "b")]
        assert conn.execute("SELECT topic, next_offset FROM ai_etl_kafka_offsets").fetchall() == [
            (topic.name, 3)
        ]
    finally:
        conn.close()
