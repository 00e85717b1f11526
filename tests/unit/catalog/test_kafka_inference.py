"""Columns of a Kafka topic from sampled JSON messages, or from an Avro schema (no broker needed)."""

from __future__ import annotations

import json

import pytest

from airflow_ai_etl.catalog.kafka import avro_columns, infer_columns, topic_table, value_type
from airflow_ai_etl.catalog.models import Column


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, None),
        (True, "BOOLEAN"),
        (7, "INT"),
        (2**40, "BIGINT"),
        (1.5, "DOUBLE"),
        ("hello", "TEXT"),
        ("2026-03-01", "DATE"),
        ("2026-03-01T12:00:00", "TIMESTAMP"),
        ("2026-03-01 12:00:00+02:00", "TIMESTAMPTZ"),
        ("2026-13-45T99:00", "TEXT"),
        ({"a": 1}, "JSON"),
        ([1, 2], "JSON"),
    ],
)
def test_value_type(value: object, kind: str | None) -> None:
    assert value_type(value) == kind


def test_infer_columns_merges_types_and_notes_nulls() -> None:
    records = [
        {"id": 1, "amount": 2, "at": "2026-03-01T12:00:00Z", "tag": "a", "extra": {"x": 1}},
        {"id": 2**33, "amount": 2.5, "at": "2026-03-01T12:00:00", "tag": 3, "note": None},
        {"id": 3, "amount": None, "at": "2026-03-02", "tag": "b"},
    ]
    assert infer_columns(records) == [
        Column(name="id", type="BIGINT", nullable=False),
        Column(name="amount", type="DOUBLE", nullable=True),
        Column(name="at", type="TIMESTAMPTZ", nullable=False),
        Column(name="tag", type="TEXT", nullable=False),
        Column(name="extra", type="JSON", nullable=True),
        Column(name="note", type="TEXT", nullable=True),
    ]


def test_avro_columns() -> None:
    schema = {
        "type": "record",
        "name": "E",
        "fields": [
            {"name": "id", "type": "long", "doc": "the key"},
            {"name": "name", "type": ["null", "string"]},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {
                "name": "price",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        ],
    }
    assert [(c.name, c.type, c.nullable) for c in avro_columns(schema)] == [
        ("id", "BIGINT", False),
        ("name", "TEXT", True),
        ("at", "TIMESTAMPTZ", False),
        ("price", "DECIMAL(10, 2)", False),
        ("tags", "JSON", False),
        ("day", "DATE", False),
    ]
    assert avro_columns(schema)[0].comment == "the key"


def test_a_topic_that_is_not_all_json_objects_has_unknown_columns() -> None:
    values = [json.dumps({"id": 1}).encode(), b"\x00\x01binary", b"[1]"]
    table = topic_table("t", values, partitions=3, messages=42)
    assert (table.name, table.kind, table.columns, table.row_count) == ("t", "topic", [], 42)
    assert table.comment == "Kafka topic, 3 partitions; 2 of 3 sampled messages are not JSON objects"
    empty = topic_table("e", [], partitions=1, messages=0)
    assert empty.columns == [] and empty.comment == "Kafka topic, 1 partition; empty, columns unknown"
    ok = topic_table("o", [b'{"id": 1}', b'{"id": 2, "x": "y"}'], partitions=1, messages=2)
    assert [c.name for c in ok.columns] == ["id", "x"]
