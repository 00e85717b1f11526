"""kafka_ingest steps and freshness checks, validated against hand-built catalogs (no services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, SpecError
from airflow_ai_etl.validation import Severity, ValidationContext, validate_spec

MakeSpec = Callable[..., PipelineSpec]

SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "fields": [{"name": "id", "type": "long"}, {"name": "status", "type": ["null", "string"]}],
}


@pytest.fixture
def kafka_context(context: ValidationContext, dwh: SchemaCatalog, lite: SchemaCatalog) -> ValidationContext:
    """The shared context plus a Kafka connection whose topics were sampled, and a dead-letter table."""
    topics = SchemaCatalog(
        conn_id="bus",
        dialect="",
        tables=[
            Table(
                name="orders.v1",
                kind="topic",
                columns=[
                    Column(name="id", type="INT"),
                    Column(name="status", type="TEXT"),
                    Column(name="updated_at", type="TIMESTAMPTZ"),
                ],
            ),
            Table(name="opaque", kind="topic", columns=[]),
        ],
    )
    dead = Table(
        name="orders_dead",
        schema_name="analytics",
        columns=[Column(name=n, type="text") for n in ("topic", "partition", "offset", "payload", "error")],
    )
    half_dead = Table(name="half_dead", schema_name="analytics", columns=[Column(name="topic", type="text")])
    warehouse = dwh.model_copy(update={"tables": [*dwh.tables, dead, half_dead]})
    connections = {**context.connections, "bus": ConnectionInfo("bus", "kafka", "")}
    catalogs = {**context.catalogs, "bus": topics, "dwh_pg": warehouse}
    return ValidationContext(connections=connections, catalogs=catalogs)


def ingest(**fields: Any) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": "consume",
        "kind": "kafka_ingest",
        "kafka_conn_id": "bus",
        "topic": "orders.v1",
        "target": {"conn_id": "dwh_pg", "table": "analytics.orders"},
    }
    return step | fields


def found(spec: PipelineSpec, context: ValidationContext) -> list[tuple[str, str | None]]:
    return [(f.code, f.field) for f in validate_spec(spec, context).findings]


def test_a_step_that_fits_has_no_findings(make_spec: MakeSpec, kafka_context: ValidationContext) -> None:
    spec = make_spec(ingest(key=["id"], dead_letter_table="analytics.orders_dead"))
    assert found(spec, kafka_context) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"topic": "orders.v2"}, [("kafka.unknown_topic", "topic")]),
        (
            {"target": {"conn_id": "dwh_pg", "table": "analytics.nowhere"}},
            [("sql.unknown_table", "target.table")],
        ),
        ({"columns": ["id", "colour"]}, [("kafka.column_missing_in_target", "columns[1]")]),
        ({"key": ["order_key"]}, [("kafka.key_missing", "key"), ("kafka.key_missing", "key")]),
        (
            {"target": {"conn_id": "dwh_pg", "table": "analytics.strict_orders"}},
            [("kafka.column_missing_in_target", "columns"), ("kafka.column_missing_in_target", "columns")],
        ),
        ({"dead_letter_table": "analytics.no_dead"}, [("sql.unknown_table", "dead_letter_table")]),
        ({"dead_letter_table": "analytics.half_dead"}, [("kafka.dead_letter_columns", "dead_letter_table")]),
        (
            {"target": {"conn_id": "dwh_pg", "table": "analytics.narrow_orders"}, "columns": ["status"]},
            [("kafka.type_mismatch", "columns[0]")],
        ),
    ],
)
def test_findings_name_the_field(
    make_spec: MakeSpec, kafka_context: ValidationContext, fields: dict[str, Any], expected: list[Any]
) -> None:
    assert found(make_spec(ingest(**fields)), kafka_context) == expected


def test_a_topic_with_unknown_columns_checks_only_what_is_named(
    make_spec: MakeSpec, kafka_context: ValidationContext
) -> None:
    assert found(make_spec(ingest(topic="opaque")), kafka_context) == []
    spec = make_spec(ingest(topic="opaque", columns=["id", "colour"]))
    assert found(spec, kafka_context) == [("kafka.column_missing_in_target", "columns[1]")]


def test_avro_fields_are_the_columns(make_spec: MakeSpec, kafka_context: ValidationContext) -> None:
    spec = make_spec(ingest(topic="opaque", format="avro", avro_schema=SCHEMA, key=["id"]))
    assert found(spec, kafka_context) == []
    colourful = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": "colour", "type": "string"}]}
    spec = make_spec(ingest(topic="opaque", format="avro", avro_schema=colourful))
    assert found(spec, kafka_context) == [("kafka.column_missing_in_target", "columns")]
    broken = {**SCHEMA, "fields": [{"name": "id", "type": "no_such_type"}]}
    spec = make_spec(ingest(format="confluent_avro", avro_schema=broken))
    assert ("kafka.avro_schema_invalid", "avro_schema") in found(spec, kafka_context)


def test_a_key_on_a_target_without_upsert(make_spec: MakeSpec, kafka_context: ValidationContext) -> None:
    infos = dict(kafka_context.connections)
    infos["dwh_pg"] = ConnectionInfo("dwh_pg", "mysql", "mysql")
    mysql = ValidationContext(connections=infos, catalogs=kafka_context.catalogs)
    assert ("kafka.upsert_unsupported", "key") in found(make_spec(ingest(key=["id"])), mysql)


def test_unknown_connections_and_a_table_created_earlier(
    make_spec: MakeSpec, kafka_context: ValidationContext
) -> None:
    spec = make_spec(ingest(kafka_conn_id="nope"))
    assert found(spec, kafka_context) == [("spec.unknown_connection", "kafka_conn_id")]
    create = {
        "id": "create",
        "kind": "sql",
        "conn_id": "dwh_pg",
        "sql": "CREATE TABLE IF NOT EXISTS analytics.fresh (id bigint, status text, updated_at timestamptz)",
    }
    spec = make_spec(
        create, ingest(target={"conn_id": "dwh_pg", "table": "analytics.fresh"}, depends_on=["create"])
    )
    assert found(spec, kafka_context) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"format": "avro"}, "format 'avro' needs 'avro_schema'"),
        ({"avro_schema": SCHEMA}, "'avro_schema' is only used with format"),
        ({"format": "avro", "avro_schema": {"type": "string"}}, "must be an Avro record schema"),
        ({"avro_schema_id": 1}, "'avro_schema_id' is only used"),
        ({"key": ["id"], "columns": ["status"]}, "'key' column(s) id not in 'columns'"),
        ({"columns": []}, "'columns' is empty"),
        ({"dead_letter_table": "analytics.orders"}, "must not be the target table"),
        ({"topic": "{{ bad }}"}, "topic"),
        ({"group_id": "a b"}, "group_id"),
    ],
)
def test_the_model_refuses_inconsistent_steps(
    make_spec: MakeSpec, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError) as info:
        make_spec(ingest(**fields))
    assert message in str(info.value)


# --- freshness ------------------------------------------------------------------------------------


def freshness(column: str, table: str = "analytics.orders", **extra: Any) -> dict[str, Any]:
    return {
        "id": "fresh",
        "kind": "quality_check",
        "conn_id": "dwh_pg",
        "table": table,
        "checks": [{"check": "freshness", "column": column, "max_age_minutes": 60, **extra}],
    }


def test_freshness_needs_an_existing_timestamp_or_date_column(
    make_spec: MakeSpec, context: ValidationContext
) -> None:
    assert validate_spec(make_spec(freshness("updated_at")), context).findings == []
    assert (
        validate_spec(make_spec(freshness("updated_at", "analytics.narrow_orders")), context).findings == []
    )
    [missing] = validate_spec(make_spec(freshness("loaded_at")), context).findings
    assert (missing.code, missing.field) == ("sql.unknown_column", "checks[0].column")
    [wrong] = validate_spec(make_spec(freshness("status")), context).findings
    assert (wrong.code, wrong.severity, wrong.field) == (
        "quality.freshness_not_a_time",
        Severity.ERROR,
        "checks[0].column",
    )
    assert "status is text" in wrong.message


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"max_age_minutes": 0}, "max_age_minutes"),
        ({"max_age_minutes": -1}, "max_age_minutes"),
        ({"max_age": "1h"}, "max_age"),
    ],
)
def test_freshness_limits_are_strict(make_spec: MakeSpec, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as info:
        make_spec(freshness("updated_at", **extra))
    assert message in str(info.value)


def test_one_freshness_check_per_column(make_spec: MakeSpec) -> None:
    step = freshness("updated_at")
    step["checks"].append({"check": "freshness", "column": "UPDATED_AT", "max_age_minutes": 5})
    with pytest.raises(SpecError, match="more than one freshness check"):
        make_spec(step)
