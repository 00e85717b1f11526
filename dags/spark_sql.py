"""Spark SQL on Hive tables with SparkSqlTransformOperator (spark-submit through the Spark provider).

Connection: `spark_default` (type `spark`; its extra `conf` holds the warehouse and metastore
settings every job shares). Rewriting only the partitions a run touches makes reruns idempotent.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.spark import SparkSqlTransformOperator

with DAG(
    dag_id="example_spark_sql",
    description="Daily order totals per day partition, computed in Spark",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 1},
):
    SparkSqlTransformOperator(
        task_id="daily_totals",
        conn_id="spark_default",
        sql=(
            "SELECT day, COUNT(*) AS orders, SUM(amount) AS total FROM shop.orders "
            "WHERE day = '{{ ds }}' GROUP BY day"
        ),
        target_table="dwh.daily_totals",
        mode="overwrite_partitions",
        partition_by=["day"],
    )
