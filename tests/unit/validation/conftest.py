"""Hand-built catalogs (PostgreSQL and SQLite dialects), contexts and specs for validation tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, parse_spec
from airflow_ai_etl.validation import ValidationContext


def _columns(*specs: str) -> list[Column]:
    """'name type' or 'name type!' (NOT NULL)."""
    columns = []
    for spec in specs:
        name, _, type_ = spec.partition(" ")
        columns.append(Column(name=name, type=type_.rstrip("!"), nullable=not type_.endswith("!")))
    return columns


@pytest.fixture
def shop() -> SchemaCatalog:
    """The source: a PostgreSQL shop database."""
    return SchemaCatalog(
        conn_id="shop_pg",
        dialect="postgres",
        default_schema="public",
        tables=[
            Table(
                name="orders",
                schema_name="public",
                columns=_columns(
                    "id integer!",
                    "customer_id integer",
                    "amount numeric(12,2)",
                    "status text",
                    "note character varying(200)",
                    "updated_at timestamp without time zone",
                ),
                primary_key=["id"],
            ),
            Table(
                name="customers",
                schema_name="public",
                columns=_columns("id integer!", "name text", "email character varying(100)"),
            ),
            Table(name="big_events", schema_name="public", columns=_columns("id bigint", "payload jsonb")),
            Table(name="opaque_view", schema_name="public", kind="view", columns=[]),
        ],
    )


@pytest.fixture
def dwh() -> SchemaCatalog:
    """The target: a PostgreSQL warehouse with an analytics schema."""
    return SchemaCatalog(
        conn_id="dwh_pg",
        dialect="postgres",
        default_schema="public",
        tables=[
            Table(
                name="orders",
                schema_name="analytics",
                columns=_columns(
                    "id bigint!",
                    "customer_id bigint",
                    "amount numeric(14,2)",
                    "status text",
                    "note text",
                    "updated_at timestamp with time zone",
                ),
            ),
            Table(
                name="narrow_orders",
                schema_name="analytics",
                columns=_columns("id smallint", "amount integer", "updated_at date", "status integer"),
            ),
            Table(
                name="strict_orders",
                schema_name="analytics",
                columns=_columns("id bigint", "loaded_by text!"),
            ),
        ],
    )


@pytest.fixture
def lite() -> SchemaCatalog:
    """A SQLite database: no schemas, affinity-style types."""
    return SchemaCatalog(
        conn_id="local_sqlite",
        dialect="sqlite",
        tables=[
            Table(
                name="events",
                columns=_columns("id INTEGER", "kind TEXT", "ts DATETIME", "amount REAL", "raw BLOB"),
            ),
            Table(name="users", columns=_columns("id INTEGER", "name TEXT")),
        ],
    )


@pytest.fixture
def context(shop: SchemaCatalog, dwh: SchemaCatalog, lite: SchemaCatalog) -> ValidationContext:
    """All three connections defined, all catalogs known, plus a connection with no catalog."""
    connections = {
        "shop_pg": ConnectionInfo("shop_pg", "postgres", "postgres"),
        "dwh_pg": ConnectionInfo("dwh_pg", "postgres", "postgres"),
        "local_sqlite": ConnectionInfo("local_sqlite", "sqlite", "sqlite"),
        "dark_pg": ConnectionInfo("dark_pg", "postgres", "postgres"),
    }
    catalogs = {c.conn_id: c for c in (shop, dwh, lite)}
    return ValidationContext(
        connections=connections, catalogs=catalogs, catalog_errors={"dark_pg": "timeout"}
    )


@pytest.fixture
def make_spec() -> Callable[..., PipelineSpec]:
    def make(*steps: dict[str, Any], **fields: Any) -> PipelineSpec:
        data = {"dag_id": "test_pipeline", "start_date": "2026-01-01", "steps": list(steps), **fields}
        return parse_spec(data)

    return make
