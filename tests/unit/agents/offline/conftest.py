"""Hand-built catalogs for the offline planner: a PostgreSQL shop and an empty warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, ForeignKey, SchemaCatalog, Table
from airflow_ai_etl.validation import ValidationContext

TODAY = dt.date(2026, 1, 15)


def shop_catalog(comment: str | None = None) -> SchemaCatalog:
    """customers, orders, order_items, products in `public`; `comment` goes on every table and column."""

    def col(name: str, type_: str, nullable: bool = True) -> Column:
        return Column(name=name, type=type_, nullable=nullable, comment=comment)

    return SchemaCatalog(
        conn_id="shop_pg",
        dialect="postgres",
        default_schema="public",
        tables=[
            Table(
                name="customers",
                schema_name="public",
                columns=[
                    col("customer_id", "integer", False),
                    col("email", "text", False),
                    col("name", "text"),
                    col("country", "character varying(2)"),
                    col("created_at", "timestamp with time zone", False),
                ],
                primary_key=["customer_id"],
                comment=comment,
            ),
            Table(
                name="orders",
                schema_name="public",
                columns=[
                    col("order_id", "integer", False),
                    col("customer_id", "integer", False),
                    col("amount", "numeric(12,2)", False),
                    col("status", "text", False),
                    col("created_at", "timestamp with time zone", False),
                    col("updated_at", "timestamp with time zone", False),
                ],
                primary_key=["order_id"],
                foreign_keys=[
                    ForeignKey(
                        columns=["customer_id"], ref_table="public.customers", ref_columns=["customer_id"]
                    )
                ],
                comment=comment,
            ),
            Table(
                name="order_items",
                schema_name="public",
                columns=[
                    col("order_id", "integer", False),
                    col("line_no", "integer", False),
                    col("product_id", "integer", False),
                    col("quantity", "integer", False),
                    col("price", "numeric(10,2)", False),
                ],
                primary_key=["order_id", "line_no"],
                comment=comment,
            ),
            Table(
                name="products",
                schema_name="public",
                columns=[
                    col("product_id", "bigserial", False),
                    col("sku", "text", False),
                    col("title", "text"),
                    col("price", "numeric(10,2)"),
                ],
                primary_key=["product_id"],
                comment=comment,
            ),
        ],
    )


def warehouse_catalog(dialect: str = "postgres") -> SchemaCatalog:
    return SchemaCatalog(
        conn_id="warehouse",
        dialect=dialect,
        default_schema="public" if dialect == "postgres" else "default",
        tables=[],
    )


def validation_context(catalogs: Sequence[SchemaCatalog]) -> ValidationContext:
    conn_types = {"postgres": "postgres", "clickhouse": "clickhouse", "sqlite": "sqlite"}
    return ValidationContext(
        connections={
            c.conn_id: ConnectionInfo(conn_id=c.conn_id, conn_type=conn_types[c.dialect], dialect=c.dialect)
            for c in catalogs
        },
        catalogs={c.conn_id: c for c in catalogs},
    )


@pytest.fixture
def catalogs() -> list[SchemaCatalog]:
    return [shop_catalog(), warehouse_catalog()]
