"""Files in S3 (or MinIO) in and out of the warehouse: FileToSqlOperator and SqlToFileOperator.

Connections: `lake` (type `aws`; for MinIO put {"endpoint_url": "http://minio:9000"} in its
extra) and `warehouse`. `path` is templated: each run loads and exports its own day's partition.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG

from airflow_ai_etl.operators.files import FileToSqlOperator, SqlToFileOperator

with DAG(
    dag_id="example_files_s3",
    description="The day's order files from the lake into the warehouse; a summary back as Parquet",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["ai-etl", "example"],
    default_args={"owner": "data-eng", "retries": 2},
):
    load = FileToSqlOperator(
        task_id="load_orders",
        path="s3://lake/incoming/{{ ds }}/orders-*.csv",
        format="csv",
        csv_delimiter=";",
        storage_conn_id="lake",
        target_conn_id="warehouse",
        target_table="staged_orders",
        mode="upsert",
        key=["order_id"],
    )
    export = SqlToFileOperator(
        task_id="export_summary",
        source_conn_id="warehouse",
        sql="SELECT status, COUNT(*) AS orders FROM staged_orders GROUP BY status",
        path="s3://lake/reports/{{ ds }}/summary.parquet",
        format="parquet",
        storage_conn_id="lake",
    )
    load >> export
