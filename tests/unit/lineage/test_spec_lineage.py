"""A pipeline's lineage from its spec (the page's view): file loads, file exports and Kafka ingests
map their fields to columns; SQL steps (INSERT ... SELECT, CREATE TABLE AS) through sqlglot."""

from __future__ import annotations

from typing import Any

from airflow_ai_etl.lineage.spec import pipeline_lineage
from airflow_ai_etl.spec import PipelineSpec

NAMESPACES = {
    "shop": "sqlite:///data/shop.db",
    "dwh": "postgres://dwh:5432",
    "events": "kafka://broker1:9092",
}
DIALECTS = {"shop": "sqlite", "dwh": "postgres", "events": ""}
ER = {
    "tables": [
        {"conn_id": "shop", "name": "orders", "columns": [{"name": "id"}, {"name": "amount"}]},
        {"conn_id": "dwh", "name": "public.customers", "columns": [{"name": "id"}, {"name": "name"}]},
        {"conn_id": "dwh", "name": "public.clicks", "columns": [{"name": "url"}, {"name": "at"}]},
    ]
}


def _spec(*steps: dict[str, Any]) -> PipelineSpec:
    return PipelineSpec.model_validate(
        {"dag_id": "lineage_demo", "schedule": "@daily", "start_date": "2026-01-01", "steps": list(steps)}
    )


def _by_step(spec: PipelineSpec, er: dict[str, Any] | None = ER) -> dict[str, dict[str, Any]]:
    steps = pipeline_lineage(spec, DIALECTS, er, NAMESPACES.get)
    return {s["step_id"]: s for s in steps}


def _columns(step: dict[str, Any]) -> dict[str, list[tuple[str, str, str, str]]]:
    return {
        c["column"]: [(s["kind"], s["table"], s["column"], s["transformation"]) for s in c["sources"]]
        for c in step["columns"]
    }


def test_file_load_maps_the_file_fields_to_the_target_columns() -> None:
    spec = _spec(
        {
            "id": "named",
            "kind": "file_load",
            "path": "s3://landing/customers/*.csv",
            "format": "csv",
            "storage_conn_id": "aws",
            "target": {"conn_id": "dwh", "table": "public.customers"},
            "columns": ["id", "name"],
            "csv": {"header": False},
        },
        {
            "id": "by_target",
            "kind": "file_load",
            "path": "/data/clicks.parquet",
            "format": "parquet",
            "target": {"conn_id": "dwh", "table": "public.clicks"},
        },
    )
    steps = _by_step(spec)
    named = steps["named"]
    assert named["reads"] == [
        {"kind": "file", "conn_id": "aws", "table": "customers/*.csv", "namespace": "s3://landing"}
    ]
    assert named["writes"] == [
        {"kind": "table", "conn_id": "dwh", "table": "public.customers", "namespace": "postgres://dwh:5432"}
    ]
    assert {c["table"] for c in named["columns"]} == {"public.customers"}
    assert _columns(named) == {
        "id": [("file", "customers/*.csv", "id", "IDENTITY")],
        "name": [("file", "customers/*.csv", "name", "IDENTITY")],
    }
    # No `columns`: the file's fields fill the target's columns of the same name (from the ER).
    assert _columns(steps["by_target"]) == {
        "url": [("file", "/data/clicks.parquet", "url", "IDENTITY")],
        "at": [("file", "/data/clicks.parquet", "at", "IDENTITY")],
    }
    # Without an ER diagram (a spec deployed from a file) only the named columns are known.
    without_er = _by_step(spec, er=None)
    assert (len(without_er["named"]["columns"]), without_er["by_target"]["columns"]) == (2, [])


def test_file_export_columns_come_from_the_source_sql_or_table() -> None:
    steps = _by_step(
        _spec(
            {
                "id": "query",
                "kind": "file_export",
                "source": {
                    "conn_id": "shop",
                    "sql": "SELECT id AS order_id, amount * 100 AS cents FROM orders",
                },
                "path": "/exports/orders.csv",
                "format": "csv",
            },
            {
                "id": "table",
                "kind": "file_export",
                "source": {"conn_id": "shop", "table": "orders"},
                "path": "/exports/all.jsonl",
                "format": "jsonl",
            },
        )
    )
    query = steps["query"]
    assert query["reads"] == [
        {"kind": "table", "conn_id": "shop", "table": "orders", "namespace": "sqlite:///data/shop.db"}
    ]
    assert query["writes"] == [
        {"kind": "file", "conn_id": None, "table": "/exports/orders.csv", "namespace": "file"}
    ]
    assert {c["table"] for c in query["columns"]} == {"/exports/orders.csv"}
    assert _columns(query) == {
        "order_id": [("table", "orders", "id", "IDENTITY")],
        "cents": [("table", "orders", "amount", "TRANSFORMATION")],
    }
    assert query["columns"][0]["sources"][0]["conn_id"] == "shop"
    assert _columns(steps["table"]) == {
        "id": [("table", "orders", "id", "IDENTITY")],
        "amount": [("table", "orders", "amount", "IDENTITY")],
    }


def test_kafka_ingest_maps_message_fields_to_columns() -> None:
    avro = {
        "type": "record",
        "name": "Click",
        "fields": [{"name": "url", "type": "string"}, {"name": "at", "type": "long"}],
    }
    steps = _by_step(
        _spec(
            {
                "id": "avro",
                "kind": "kafka_ingest",
                "kafka_conn_id": "events",
                "topic": "clicks",
                "format": "avro",
                "avro_schema": avro,
                "target": {"conn_id": "dwh", "table": "public.click_log"},
                "dead_letter_table": "public.click_errors",
            },
            {
                "id": "json",
                "kind": "kafka_ingest",
                "kafka_conn_id": "events",
                "topic": "clicks",
                "target": {"conn_id": "dwh", "table": "public.clicks"},
            },
        )
    )
    avro_step = steps["avro"]
    assert avro_step["reads"] == [
        {"kind": "topic", "conn_id": "events", "table": "clicks", "namespace": "kafka://broker1:9092"}
    ]
    assert [w["table"] for w in avro_step["writes"]] == ["public.click_log", "public.click_errors"]
    assert {c["table"] for c in avro_step["columns"]} == {"public.click_log"}
    assert _columns(avro_step) == {
        "url": [("topic", "clicks", "url", "IDENTITY")],
        "at": [("topic", "clicks", "at", "IDENTITY")],
    }
    # JSON without `columns`: the target's columns.
    assert list(_columns(steps["json"])) == ["url", "at"]


def test_sql_steps_insert_select_and_create_table_as() -> None:
    steps = _by_step(
        _spec(
            {
                "id": "insert",
                "kind": "sql",
                "conn_id": "shop",
                "sql": "INSERT INTO order_totals (order_id, total) SELECT id, amount * 2 FROM orders",
            },
            {
                "id": "ctas",
                "kind": "sql",
                "conn_id": "shop",
                "sql": "CREATE TABLE big_orders AS SELECT id, amount FROM orders WHERE amount > 10",
            },
        )
    )
    insert = steps["insert"]
    assert [(w["table"], w["namespace"]) for w in insert["writes"]] == [
        ("order_totals", "sqlite:///data/shop.db")
    ]
    assert {c["table"] for c in insert["columns"]} == {"order_totals"}
    assert _columns(insert) == {
        "order_id": [("table", "orders", "id", "IDENTITY")],
        "total": [("table", "orders", "amount", "TRANSFORMATION")],
    }
    assert {c["table"] for c in steps["ctas"]["columns"]} == {"big_orders"}
    assert _columns(steps["ctas"]) == {
        "id": [("table", "orders", "id", "IDENTITY")],
        "amount": [("table", "orders", "amount", "IDENTITY")],
    }


def test_a_python_transform_reads_and_writes_tables_but_its_code_decides_the_columns() -> None:
    """The source SQL's columns are not the columns written: the function changes the rows."""
    step = _by_step(
        _spec(
            {
                "id": "enrich",
                "kind": "python_transform",
                "source": {"conn_id": "shop", "sql": "SELECT id, amount FROM orders"},
                "target": {"conn_id": "shop", "table": "orders_enriched"},
                "code": "def transform(batch):\n    return batch",
            }
        )
    )["enrich"]
    assert [r["table"] for r in step["reads"]] == ["orders"]
    assert [w["table"] for w in step["writes"]] == ["orders_enriched"]
    assert step["columns"] == []
