"""Load the shop into the warehouse with TransferOperator: one task per load mode.

Connections: `shop` (PostgreSQL, the source) and `warehouse` (PostgreSQL or ClickHouse: the
operator picks COPY or Arrow batches from the two connection types). Each attempt is
all-or-nothing, so `retries` are safe in every mode.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.transfer import TransferOperator

with DAG(
    dag_id="example_transfer_modes",
    description="The shop's customers and orders into the warehouse, in each load mode",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 2, "retry_delay": dt.timedelta(minutes=5)},
):
    # replace: readers see yesterday's rows or today's, never an empty table.
    countries = TransferOperator(
        task_id="replace_countries",
        source_conn_id="shop",
        source_sql="SELECT DISTINCT country FROM customers",
        target_conn_id="warehouse",
        target_table="countries",
        mode="replace",
        create_target=True,
    )
    # upsert: the latest version of every customer, by key.
    customers = TransferOperator(
        task_id="upsert_customers",
        source_conn_id="shop",
        source_table="customers",
        target_conn_id="warehouse",
        target_table="dim_customers",
        mode="upsert",
        key=["customer_id"],
        create_target=True,
    )
    # incremental: only orders changed since the stored watermark, upserted by key.
    orders = TransferOperator(
        task_id="incremental_orders",
        source_conn_id="shop",
        source_sql="SELECT order_id, customer_id, status, ordered_at, updated_at FROM orders",
        target_conn_id="warehouse",
        target_table="fact_orders",
        mode="incremental",
        key=["order_id"],
        watermark="updated_at",
        create_target=True,
    )
    # append: one row per run; the interval's own slice, so a rerun of a day loads that day again.
    snapshot = TransferOperator(
        task_id="append_daily_counts",
        source_conn_id="shop",
        source_sql=("SELECT '{{ ds }}' AS day, status, COUNT(*) AS orders FROM orders GROUP BY status"),
        target_conn_id="warehouse",
        target_table="daily_status_counts",
        mode="append",
        create_target=True,
    )

    countries >> customers >> orders >> snapshot
