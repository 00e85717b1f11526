"""Kafka topics as catalog tables: columns inferred from sampled messages, or from an Avro schema.

A topic has no declared schema, so its columns are a reading of what is in it: up to
`sample_size` of the most recent messages per topic (spread over its partitions), read in at most
`timeout` seconds by a consumer that never commits (a random group). JSON objects give their keys
in first-seen order, with types from their values (an ISO 8601 string is a timestamp or a date);
a topic whose samples are not JSON objects keeps an empty column list (unknown, by the catalog's
convention). An Avro record schema, when given for a topic, is the schema and no message is read.

Generic type names (BIGINT, DOUBLE, TEXT, TIMESTAMPTZ, JSON, ...) keep the result comparable
with any target's types (validation/typefamily.py). The row count is the number of messages the
topic retains (high minus low watermark, summed over partitions).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table

_INT32 = range(-(2**31), 2**31)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: For mixed samples: the type that holds both (anything else mixed is TEXT).
_WIDER: dict[frozenset[str], str] = {
    frozenset({"INT", "BIGINT"}): "BIGINT",
    frozenset({"INT", "DOUBLE"}): "DOUBLE",
    frozenset({"BIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"TIMESTAMP", "TIMESTAMPTZ"}): "TIMESTAMPTZ",
    frozenset({"DATE", "TIMESTAMP"}): "TIMESTAMP",
    frozenset({"DATE", "TIMESTAMPTZ"}): "TIMESTAMPTZ",
}
_AVRO_PRIMITIVES = {
    "int": "INT",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "TEXT",
    "bytes": "BINARY",
    "enum": "TEXT",
    "fixed": "BINARY",
    "record": "JSON",
    "map": "JSON",
    "array": "JSON",
}
_AVRO_LOGICAL = {
    "timestamp-millis": "TIMESTAMPTZ",
    "timestamp-micros": "TIMESTAMPTZ",
    "local-timestamp-millis": "TIMESTAMP",
    "local-timestamp-micros": "TIMESTAMP",
    "date": "DATE",
    "time-millis": "TIME",
    "time-micros": "TIME",
    "uuid": "UUID",
}


def value_type(value: Any) -> str | None:
    """The generic type of one JSON value (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT" if value in _INT32 else "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.match(text) or _ISO_TIMESTAMP.match(text):
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return "TEXT"
            if _ISO_DATE.match(text):
                return "DATE"
            return "TIMESTAMPTZ" if moment.tzinfo is not None else "TIMESTAMP"
        return "TEXT"
    return "JSON"  # objects and arrays


def _merge(types: set[str]) -> str:
    if len(types) == 1:
        return next(iter(types))
    if not types:
        return "TEXT"  # only nulls seen: text holds whatever comes
    if "JSON" in types:
        return "JSON"
    kinds = sorted(types)
    merged = kinds[0]
    for kind in kinds[1:]:
        merged = merged if merged == kind else _WIDER.get(frozenset({merged, kind}), "TEXT")
    return merged


def infer_columns(records: Sequence[Mapping[str, Any]]) -> list[Column]:
    """Columns of a set of JSON objects: first-seen key order; nullable when null or missing once."""
    seen: dict[str, set[str]] = {}
    nullable: set[str] = set()
    for record in records:
        for name, value in record.items():
            types = seen.setdefault(name, set())
            kind = value_type(value)
            if kind is None:
                nullable.add(name)
            else:
                types.add(kind)
    for name in seen:
        if any(name not in record for record in records):
            nullable.add(name)
    return [Column(name=name, type=_merge(types), nullable=name in nullable) for name, types in seen.items()]


def _avro_type(schema: Any) -> tuple[str, bool]:
    """(generic type, nullable) of an Avro field type."""
    if isinstance(schema, list):  # a union: ["null", T] is a nullable T
        branches = [b for b in schema if b != "null"]
        kind = _avro_type(branches[0])[0] if len(branches) == 1 else "JSON"
        return kind, "null" in schema
    if isinstance(schema, Mapping):
        logical = schema.get("logicalType")
        if logical == "decimal" and "precision" in schema:
            return f"DECIMAL({int(schema['precision'])}, {int(schema.get('scale', 0))})", False
        if isinstance(logical, str) and logical in _AVRO_LOGICAL:
            return _AVRO_LOGICAL[logical], False
        return _avro_type(schema.get("type"))
    if schema == "null":
        return "TEXT", True
    return _AVRO_PRIMITIVES.get(str(schema), "TEXT"), False  # a named type defined elsewhere: unknown


def avro_columns(schema: Mapping[str, Any]) -> list[Column]:
    """The columns an Avro record schema's records fill, with their generic types."""
    columns = []
    for field in schema.get("fields", []):
        if isinstance(field, Mapping) and "name" in field:
            kind, nullable = _avro_type(field.get("type"))
            doc = field.get("doc")
            columns.append(
                Column(name=str(field["name"]), type=kind, nullable=nullable, comment=doc if doc else None)
            )
    return columns


def _json_object(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def topic_table(
    topic: str,
    values: Iterable[bytes | None],
    *,
    partitions: int,
    messages: int,
    avro_schema: Mapping[str, Any] | None = None,
) -> Table:
    """The catalog table of one topic from its sampled values (or its Avro schema)."""
    where = f"Kafka topic, {partitions} partition{'s' if partitions != 1 else ''}"
    if avro_schema is not None:
        return Table(
            name=topic,
            kind="topic",
            columns=avro_columns(avro_schema),
            row_count=messages,
            comment=f"{where}; columns from the given Avro schema",
        )
    sampled = list(values)
    records = [r for r in (_json_object(v) for v in sampled) if r is not None]
    if not sampled:
        comment = f"{where}; empty, columns unknown"
    elif len(records) < len(sampled):
        comment = (
            f"{where}; {len(sampled) - len(records)} of {len(sampled)} sampled messages are not JSON objects"
        )
    else:
        comment = f"{where}; columns inferred from {len(sampled)} sampled messages"
    columns = infer_columns(records) if records and len(records) == len(sampled) else []
    return Table(name=topic, kind="topic", columns=columns, row_count=messages, comment=comment)


def read_kafka_catalog(
    conn_id: str,
    *,
    topics: Sequence[str] | None = None,
    sample_size: int = 100,
    timeout: float = 10.0,
    avro_schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> SchemaCatalog:
    """One table per topic of a `kafka` connection (internal `__` topics left out)."""
    from airflow.providers.apache.kafka.hooks.consume import KafkaConsumerHook
    from confluent_kafka import KafkaError, TopicPartition

    avro_schemas = avro_schemas or {}
    deadline = time.monotonic() + timeout
    config = KafkaConsumerHook(topics=[], kafka_config_id=conn_id)._build_config()
    config.update(
        {
            "group.id": f"ai_etl_catalog_{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    consumer = KafkaConsumerHook(topics=[], kafka_config_id=conn_id)._get_client(config)
    try:
        metadata = consumer.list_topics(timeout=timeout)
        names = sorted(t for t in metadata.topics if not t.startswith("__"))
        if topics is not None:
            names = [t for t in names if t in set(topics)]
        # Per partition: the low watermark, and the offset after the last message known of.
        ends: dict[tuple[str, int], list[int]] = {}
        samples: dict[tuple[str, int], deque[bytes | None]] = {}
        assignment = []
        for name in names:
            partitions = sorted(metadata.topics[name].partitions)
            share = max(1, math.ceil(sample_size / max(1, len(partitions))))
            for partition in partitions:
                remaining = max(0.1, deadline - time.monotonic())
                low, high = consumer.get_watermark_offsets(TopicPartition(name, partition), timeout=remaining)
                ends[(name, partition)] = [low, high]
                if name not in avro_schemas and high > low:
                    # Read from `share` before the end to the end; some brokers (Tansu) report a high
                    # watermark short of the end, so the newest `share` are kept as they come.
                    samples[(name, partition)] = deque(maxlen=share)
                    assignment.append(TopicPartition(name, partition, max(low, high - share)))
        if assignment:
            consumer.assign(assignment)
        pending = set(samples)
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(1_000, min(0.2, max(0.01, deadline - time.monotonic()))):
                where = (message.topic(), message.partition())
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(where)
                    continue
                samples[where].append(message.value())  # type: ignore[index]
                ends[where][1] = max(ends[where][1], (message.offset() or 0) + 1)  # type: ignore[index]
        tables = []
        for name in names:
            partitions = sorted(metadata.topics[name].partitions)
            tables.append(
                topic_table(
                    name,
                    [v for p in partitions for v in samples.get((name, p), ())],
                    partitions=len(partitions),
                    messages=sum(ends[(name, p)][1] - ends[(name, p)][0] for p in partitions),
                    avro_schema=avro_schemas.get(name),
                )
            )
    finally:
        consumer.close()
    return SchemaCatalog(conn_id=conn_id, dialect="", tables=tables)
