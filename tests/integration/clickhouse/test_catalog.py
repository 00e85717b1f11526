"""The ClickHouse reader through an Airflow connection, and validation against what it read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_ai_etl.catalog import Column, introspect
from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.spec.io import parse_spec
from airflow_ai_etl.validation import context_from_airflow, validate_spec

pytestmark = pytest.mark.integration

_DDL = [
    """
    CREATE TABLE events (
        ts DateTime,
        user_id UInt64 COMMENT 'who',
        country LowCardinality(Nullable(String)),
        tags Array(Nullable(String)),
        day Date MATERIALIZED toDate(ts),
        amount Decimal(12, 2) DEFAULT 0
    ) ENGINE = MergeTree ORDER BY (toDate(ts), user_id, ts) PRIMARY KEY (toDate(ts), user_id)
    COMMENT 'raw events'
    """,
    "CREATE TABLE users (`id` UInt64, name String) ENGINE = MergeTree PRIMARY KEY id",
    "CREATE VIEW big_spenders AS SELECT user_id, sum(amount) AS total FROM events GROUP BY user_id",
    "INSERT INTO users VALUES (1, 'ann'), (2, 'bob')",
]


@pytest.fixture
def shop(ch_database: str) -> Iterator[str]:
    hook = ClickHouseHook(clickhouse_conn_id="ch")
    hook.run(_DDL)
    hook.run(["CREATE DATABASE other_db", "CREATE TABLE other_db.elsewhere (x UInt8) ENGINE = Memory"])
    yield ch_database
    hook.run("DROP DATABASE other_db")


def test_introspect_reads_tables_columns_keys_and_views(shop: str) -> None:
    catalog = introspect("ch", schemas=[shop])

    assert catalog.dialect == "clickhouse"
    assert catalog.default_schema == shop
    assert [t.qualified_name for t in catalog.tables] == [
        f"{shop}.big_spenders",
        f"{shop}.events",
        f"{shop}.users",
    ]
    events = catalog.find_table("events")
    assert events is not None
    assert events.kind == "table"
    assert events.comment == "raw events"
    assert events.primary_key == ["user_id"]  # toDate(ts) is an expression, not a column
    assert events.row_count == 0
    assert events.columns == [
        Column(name="ts", type="DateTime", nullable=False),
        Column(name="user_id", type="UInt64", nullable=False, comment="who"),
        Column(name="country", type="LowCardinality(Nullable(String))", nullable=True),
        Column(name="tags", type="Array(Nullable(String))", nullable=False),
        Column(name="day", type="Date", nullable=False, default="materialized toDate(ts)"),
        Column(name="amount", type="Decimal(12, 2)", nullable=False, default="0"),
    ]
    users = catalog.find_table(f"{shop}.users")
    assert users is not None
    assert (users.primary_key, users.row_count, users.comment) == (["id"], 2, None)
    view = catalog.find_table("big_spenders")
    assert view is not None
    assert (view.kind, view.row_count, [c.name for c in view.columns]) == ("view", None, ["user_id", "total"])


def test_introspect_without_filter_skips_system_databases(shop: str) -> None:
    databases = {t.schema_name for t in introspect("ch").tables}

    assert {shop, "other_db"} <= databases
    assert not databases & {"system", "INFORMATION_SCHEMA", "information_schema"}


def _check_spec(condition: str) -> PipelineSpec:
    """A quality check on events: a column check and an expression check with `condition`."""
    checks = [
        {"column": "user_id", "check": "not_null"},
        {"check": "expression", "name": "positive", "condition": condition},
    ]
    step = {"id": "check", "kind": "quality_check", "conn_id": "ch", "table": "events", "checks": checks}
    return parse_spec({"dag_id": "check_events", "start_date": "2026-01-01", "steps": [step]})


def test_validation_uses_the_clickhouse_catalog(shop: str) -> None:
    valid = _check_spec("amount >= 0 AND country != ''")
    assert validate_spec(valid, context_from_airflow(valid)).findings == []

    wrong = _check_spec("amount >= 0 AND region != ''")
    report = validate_spec(wrong, context_from_airflow(wrong))
    assert report.codes() == ["sql.unknown_column"]
    assert "region" in report.findings[0].message
