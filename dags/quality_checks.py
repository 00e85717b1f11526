"""Data-quality checks with history: row-count change against the last successful run, freshness,
and common-sql's column checks on a read-only connection.

Connection: `shop` (PostgreSQL). RowCountChangeOperator keeps each table's count in an Airflow
Variable per DAG and table, so a run compares with the previous *successful* run, not a constant.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.quality import FreshnessOperator, RowCountChangeOperator
from airflow_ai_etl.operators.sql_checks import ReadOnlySQLColumnCheckOperator

with DAG(
    dag_id="example_quality_checks",
    description="Checks on the shop's orders: volume change, freshness, keys",
    schedule="@hourly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 0},
):
    RowCountChangeOperator(task_id="orders_volume", conn_id="shop", table="orders", max_drop_pct=20)
    # Generous on purpose: the demo data does not move. Use your load's real cadence.
    FreshnessOperator(
        task_id="orders_fresh",
        conn_id="shop",
        table="orders",
        column="updated_at",
        max_age_minutes=60 * 24 * 3650,
    )
    ReadOnlySQLColumnCheckOperator(
        task_id="orders_keys",
        conn_id="shop",
        table="orders",
        column_mapping={
            "order_id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0}},
            "customer_id": {"null_check": {"equal_to": 0}},
        },
    )
