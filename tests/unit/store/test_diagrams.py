"""The ER diagram draws the tables every kind of step reads and writes, with the catalogs' keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, parse_spec
from airflow_ai_etl.store.diagrams import er_diagram


def _table(name: str, *columns: str, key: str | None = None, refs: Mapping[str, str] | None = None) -> Table:
    """`schema.table` with columns written 'name type'; `refs`: column -> 'schema.table.column'."""
    schema, table = name.split(".")
    return Table(
        name=table,
        schema_name=schema,
        columns=[Column(name=c.split()[0], type=c.split()[1]) for c in columns],
        primary_key=[key] if key else [],
        foreign_keys=[
            ForeignKey(columns=[column], ref_table=ref.rsplit(".", 1)[0], ref_columns=[ref.rsplit(".", 1)[1]])
            for column, ref in (refs or {}).items()
        ],
    )


def _spec(dag_id: str, *steps: dict[str, Any]) -> PipelineSpec:
    return parse_spec({"dag_id": dag_id, "start_date": "2026-01-01", "steps": list(steps)})


WAREHOUSE = SchemaCatalog(
    conn_id="wh",
    dialect="postgres",
    default_schema="public",
    tables=[
        _table("public.customers", "id integer", "name text", key="id"),
        _table(
            "public.orders",
            "id integer",
            "customer_id integer",
            key="id",
            refs={"customer_id": "public.customers.id"},
        ),
        _table("public.events", "payload jsonb"),
    ],
)
SPEC = _spec(
    "every_kind",
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


SHOP = SchemaCatalog(
    conn_id="shop",
    dialect="postgres",
    default_schema="public",
    tables=[
        _table("public.customers", "id integer", key="id"),
        _table(
            "sales.orders",
            "id integer",
            "customer_id integer",
            key="id",
            refs={"customer_id": "public.customers.id"},
        ),
        _table("sales.order_items", "order_id integer", "sku text", refs={"order_id": "sales.orders.id"}),
    ],
)


def _relations(er: dict[str, object]) -> set[tuple[str, str, str, str]]:
    return {
        (r["from_table"], ",".join(r["from_columns"]), r["to_table"], ",".join(r["to_columns"]))
        for r in er["relations"]  # type: ignore[attr-defined]
    }


def test_a_join_across_schemas_draws_every_table_and_key() -> None:
    spec = _spec(
        "joined",
        {
            "id": "load",
            "kind": "transfer",
            "source": {
                "conn_id": "shop",
                # customers resolves through the search path (the default schema)
                "sql": "SELECT i.sku, c.id FROM sales.order_items AS i "
                "JOIN sales.orders AS o ON o.id = i.order_id "
                "JOIN customers AS c ON c.id = o.customer_id",
            },
            "target": {"conn_id": "shop", "table": "public.report"},
            "mode": "append",
        },
        {
            "id": "check",
            "kind": "quality_check",
            "conn_id": "shop",
            "table": "Sales.Orders",
            "checks": [{"column": "id", "check": "unique"}],
            "depends_on": ["load"],
        },
    )
    er = er_diagram(spec, [SHOP])
    assert [t["name"] for t in er["tables"]] == [
        "sales.order_items",
        "sales.orders",
        "public.customers",
        "public.report",
    ]
    assert _relations(er) == {
        ("sales.order_items", "order_id", "sales.orders", "id"),
        ("sales.orders", "customer_id", "public.customers", "id"),
    }


def test_tables_the_spec_creates_bring_their_foreign_keys_across_steps() -> None:
    """Keys declared in the spec's own CREATE TABLEs (on the column or as table constraints, with
    or without the referenced columns) join the tables of other steps, however each step names them."""
    spec = _spec(
        "star",
        {
            "id": "create_dim",
            "kind": "sql",
            "conn_id": "shop",
            "sql": "CREATE TABLE IF NOT EXISTS dim_customer (id integer PRIMARY KEY, "
            "customer_id integer REFERENCES public.customers (id))",
        },
        {
            "id": "create_fact",
            "kind": "sql",
            "conn_id": "shop",
            "sql": "CREATE TABLE IF NOT EXISTS mart.fact_order (order_id integer, dim_id integer, "
            "CONSTRAINT fact_pk PRIMARY KEY (order_id), "
            "CONSTRAINT fact_dim FOREIGN KEY (dim_id) REFERENCES dim_customer, "
            "FOREIGN KEY (order_id) REFERENCES sales.orders (id))",
        },
        {
            "id": "load_dim",
            "kind": "transfer",
            "source": {"conn_id": "shop", "table": "public.customers"},
            "target": {"conn_id": "shop", "table": "public.dim_customer"},
            "mode": "append",
            "depends_on": ["create_dim"],
        },
        {
            "id": "load_fact",
            "kind": "transfer",
            "source": {
                "conn_id": "shop",
                "sql": "SELECT id AS order_id, customer_id AS dim_id FROM sales.orders",
            },
            "target": {"conn_id": "shop", "table": "mart.fact_order"},
            "mode": "append",
            "depends_on": ["create_fact", "load_dim"],
        },
    )
    er = er_diagram(spec, [SHOP])
    names = [t["name"] for t in er["tables"]]
    assert sorted(names) == ["mart.fact_order", "public.customers", "public.dim_customer", "sales.orders"]
    fact = next(t for t in er["tables"] if t["name"] == "mart.fact_order")
    assert [(c["name"], c["pk"]) for c in fact["columns"]] == [("order_id", True), ("dim_id", False)]
    assert _relations(er) == {
        ("public.dim_customer", "customer_id", "public.customers", "id"),
        ("mart.fact_order", "dim_id", "public.dim_customer", "id"),  # no columns named: the primary key
        ("mart.fact_order", "order_id", "sales.orders", "id"),
        ("sales.orders", "customer_id", "public.customers", "id"),
    }
