"""benchmarks/parse_time.py: the 10-step pipeline of pipeline.yaml, written by hand.

The same tasks, arguments and edges as the rendered file, in the style an engineer would write
without a generator (no per-task docs, dependencies in one place).
"""

from datetime import UTC, datetime, timedelta

from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import DAG, TaskGroup

from airflow_ai_etl.operators.quality import RowCountChangeOperator
from airflow_ai_etl.operators.transfer import TransferOperator

with DAG(
    dag_id="bench_shop_to_dwh",
    description="Nightly shop load into the warehouse with daily revenue and checks.",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ai-etl", "bench"],
    default_args={"owner": "data-eng", "retries": 2, "retry_delay": timedelta(minutes=5)},
):
    create_dim_customers = SQLExecuteQueryOperator(
        task_id="create_dim_customers",
        conn_id="dwh",
        sql="""
            CREATE TABLE IF NOT EXISTS dwh.dim_customers (
                customer_id integer PRIMARY KEY,
                name        text NOT NULL,
                country     text NOT NULL,
                updated_at  timestamptz NOT NULL
            )
        """,
    )
    create_fact_orders = SQLExecuteQueryOperator(
        task_id="create_fact_orders",
        conn_id="dwh",
        sql="""
            CREATE TABLE IF NOT EXISTS dwh.fact_orders (
                order_id    bigint PRIMARY KEY,
                customer_id integer NOT NULL,
                status      text NOT NULL,
                amount      numeric(12, 2) NOT NULL,
                updated_at  timestamptz NOT NULL
            )
        """,
    )
    load_customers = TransferOperator(
        task_id="load_customers",
        source_conn_id="shop",
        source_table="public.customers",
        target_conn_id="dwh",
        target_table="dwh.dim_customers",
        mode="upsert",
        key=["customer_id"],
    )
    load_products = TransferOperator(
        task_id="load_products",
        source_conn_id="shop",
        source_table="public.products",
        target_conn_id="dwh",
        target_table="dwh.dim_products",
        mode="replace",
    )
    load_orders = TransferOperator(
        task_id="load_orders",
        source_conn_id="shop",
        source_sql="SELECT order_id, customer_id, status, amount, updated_at FROM public.orders",
        target_conn_id="dwh",
        target_table="dwh.fact_orders",
        mode="incremental",
        key=["order_id"],
        watermark="updated_at",
    )
    load_order_items = TransferOperator(
        task_id="load_order_items",
        source_conn_id="shop",
        source_sql="""
            SELECT i.order_id, i.line_no, i.sku, i.quantity, i.unit_price
            FROM public.order_items AS i
            JOIN public.orders AS o ON o.order_id = i.order_id
            WHERE o.status <> 'cancelled'
        """,
        target_conn_id="dwh",
        target_table="dwh.fact_order_items",
        mode="upsert",
        key=["order_id", "line_no"],
    )
    build_daily_revenue = SQLExecuteQueryOperator(
        task_id="build_daily_revenue",
        conn_id="dwh",
        sql="""
            INSERT INTO dwh.daily_revenue (day, country, orders, revenue)
            SELECT date_trunc('day', o.updated_at), c.country, count(*), sum(o.amount)
            FROM dwh.fact_orders AS o
            JOIN dwh.dim_customers AS c ON c.customer_id = o.customer_id
            GROUP BY 1, 2
            ON CONFLICT (day, country) DO UPDATE
            SET orders = excluded.orders, revenue = excluded.revenue
        """,
    )
    check_customers = SQLColumnCheckOperator(
        task_id="check_customers",
        conn_id="dwh",
        table="dwh.dim_customers",
        column_mapping={
            "customer_id": {"unique_check": {"equal_to": 0}},
            "country": {"null_check": {"equal_to": 0}},
        },
    )
    with TaskGroup(group_id="check_orders") as check_orders:
        SQLColumnCheckOperator(
            task_id="columns",
            conn_id="dwh",
            table="dwh.fact_orders",
            column_mapping={
                "order_id": {"unique_check": {"equal_to": 0}},
                "amount": {"min": {"geq_to": 0}},
            },
        )
        SQLTableCheckOperator(
            task_id="table",
            conn_id="dwh",
            table="dwh.fact_orders",
            checks={"row_count": {"check_statement": "COUNT(*) >= 1"}},
        )
        RowCountChangeOperator(
            task_id="row_count_change", conn_id="dwh", table="dwh.fact_orders", max_drop_pct=20
        )
    check_revenue = SQLTableCheckOperator(
        task_id="check_revenue",
        conn_id="dwh",
        table="dwh.daily_revenue",
        checks={
            "revenue_not_negative": {
                "check_statement": "COUNT(CASE WHEN (revenue >= 0) THEN 1 END) = COUNT(*)"
            },
            "row_count": {"check_statement": "COUNT(*) >= 1"},
        },
    )

    create_dim_customers >> load_customers >> [build_daily_revenue, check_customers]
    create_fact_orders >> load_orders >> [load_order_items, check_orders]
    [load_order_items, load_products] >> build_daily_revenue >> check_revenue
