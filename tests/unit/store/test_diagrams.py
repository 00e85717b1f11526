"""The ER diagram draws the tables every kind of step reads and writes, with the catalogs' keys."""

from __future__ import annotations

from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.store.diagrams import er_diagram

WAREHOUSE = SchemaCatalog(
    conn_id="wh",
    dialect="postgres",
    default_schema="public",
    tables=[
        Table(
            name="customers",
            schema_name="public",
            columns=[Column(name="id", type="integer"), Column(name="name", type="text")],
            primary_key=["id"],
        ),
        Table(
            name="orders",
            schema_name="public",
            columns=[Column(name="id", type="integer"), Column(name="customer_id", type="integer")],
            primary_key=["id"],
            foreign_keys=[
                ForeignKey(columns=["customer_id"], ref_table="public.customers", ref_columns=["id"])
            ],
        ),
        Table(name="events", schema_name="public", columns=[Column(name="payload", type="jsonb")]),
    ],
)
SPEC = parse_spec(
    {
        "dag_id": "every_kind",
        "start_date": "2026-01-01",
        "steps": [
            {
                "id": "load",
                "kind": "file_load",
                "path": "s3://lake/in/*.csv",
                "format": "csv",
                "target": {"conn_id": "wh", "table": "public.orders"},
            },
            {
                "id": "export",
                "kind": "file_export",
                "source": {"conn_id": "wh", "sql": "SELECT id, name FROM public.customers"},
                "path": "/out/customers.csv",
                "format": "csv",
            },
            {
                "id": "ingest",
                "kind": "kafka_ingest",
                "kafka_conn_id": "kafka",
                "topic": "events",
                "target": {"conn_id": "wh", "table": "public.events"},
                "dead_letter_table": "public.events_dlq",
            },
            {
                "id": "rollup",
                "kind": "spark_sql",
                "conn_id": "spark",
                "sql": "SELECT day, COUNT(*) AS n FROM lake.clicks GROUP BY day",
                "target_table": "lake.daily_clicks",
            },
            {
                "id": "create",
                "kind": "sql",
                "conn_id": "wh",
                "sql": "CREATE TABLE public.totals (customer_id integer PRIMARY KEY, total numeric)",
            },
        ],
    }
)


def test_every_kind_contributes_its_tables() -> None:
    er = er_diagram(SPEC, [WAREHOUSE])
    names = [(t["conn_id"], t["name"]) for t in er["tables"]]
    assert names == [
        ("wh", "public.orders"),  # file_load target
        ("wh", "public.customers"),  # file_export source query
        ("wh", "public.events"),  # kafka_ingest target ...
        ("wh", "public.events_dlq"),  # ... and its dead-letter table
        ("spark", "lake.clicks"),  # spark_sql reads ...
        ("spark", "lake.daily_clicks"),  # ... and writes
        ("wh", "public.totals"),  # created by the sql step
    ]


def test_relations_and_created_tables_come_with_their_keys() -> None:
    er = er_diagram(SPEC, [WAREHOUSE])
    assert er["relations"] == [
        {
            "conn_id": "wh",
            "from_table": "public.orders",
            "from_columns": ["customer_id"],
            "to_table": "public.customers",
            "to_columns": ["id"],
        }
    ]
    totals = next(t for t in er["tables"] if t["name"] == "public.totals")
    assert [(c["name"], c["pk"]) for c in totals["columns"]] == [("customer_id", True), ("total", False)]
