"""The world the hostile specs are validated against: catalogs of a shop on PostgreSQL, a warehouse
on PostgreSQL and ClickHouse, and a Spark lake, as introspection would describe them."""

from __future__ import annotations

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, ForeignKey, Function, SchemaCatalog, Table
from airflow_ai_etl.validation import ValidationContext
from tests.integration.plugins.conftest import airflow_api

__all__ = ["airflow_api", "context"]  # airflow_api: the real app, for the API edits of the suite


def _table(name: str, schema: str | None, *refs: str) -> Table:
    columns = [Column(name="id", type="bigint", nullable=False), Column(name="status", type="text")]
    keys = [ForeignKey(columns=["id"], ref_table=ref, ref_columns=["id"]) for ref in refs]
    return Table(name=name, schema_name=schema, columns=columns, primary_key=["id"], foreign_keys=keys)


def hostile_context() -> ValidationContext:
    shop = SchemaCatalog(
        conn_id="shop_pg",
        dialect="postgres",
        default_schema="public",
        tables=[
            _table("orders", "public"),
            _table("orders_copy", "shop"),
            _table("clients", "shop"),
            _table("purchases", "shop", "shop.clients"),
            _table("refunds", "shop", "shop.purchases"),
        ],
        functions=[Function(name="bump_counter", schema_name="public", argument_types=["bigint"])],
    )
    dwh = SchemaCatalog(
        conn_id="dwh_pg", dialect="postgres", default_schema="public", tables=[_table("orders", "analytics")]
    )
    clickhouse = SchemaCatalog(
        conn_id="dwh_ch", dialect="clickhouse", default_schema="default", tables=[_table("events", "default")]
    )
    lake = SchemaCatalog(
        conn_id="spark", dialect="spark", default_schema="default", tables=[_table("orders", "lake")]
    )
    connections = {
        "shop_pg": ConnectionInfo("shop_pg", "postgres", "postgres"),
        "dwh_pg": ConnectionInfo("dwh_pg", "postgres", "postgres"),
        "dwh_ch": ConnectionInfo("dwh_ch", "clickhouse", "clickhouse"),
        "spark": ConnectionInfo("spark", "spark", "spark"),
        "events_kafka": ConnectionInfo("events_kafka", "kafka", ""),
    }
    catalogs = {c.conn_id: c for c in (shop, dwh, clickhouse, lake)}
    return ValidationContext(connections=connections, catalogs=catalogs)


@pytest.fixture(scope="session")
def context() -> ValidationContext:
    return hostile_context()
