"""OpenLineage dataset names: SQL tables by scheme, Kafka, files and S3, Spark tables."""

from __future__ import annotations

from airflow_ai_etl.lineage.model import Dataset
from airflow_ai_etl.lineage.naming import SqlNaming, file_dataset, kafka_namespace, spark_dataset


def test_sql_names_fill_in_database_and_default_schema() -> None:
    postgres = SqlNaming("postgres://db:5432", database="shop", default_schema="public")
    assert postgres.dataset("orders").name == "shop.public.orders"
    assert postgres.dataset('"sales"."orders"').name == "shop.sales.orders"
    clickhouse = SqlNaming("clickhouse://ch:8123", database="dwh", two_part=True)
    assert clickhouse.dataset("orders").name == "dwh.orders"
    assert clickhouse.dataset("raw.orders").name == "raw.orders"
    assert SqlNaming("sqlite:///tmp/x.db").dataset("orders") == Dataset("sqlite:///tmp/x.db", "orders")


def test_kafka_files_and_s3() -> None:
    assert kafka_namespace({"bootstrap.servers": "b1:9092,b2:9092"}) == "kafka://b1:9092"
    assert kafka_namespace({"bootstrap.servers": "SASL_SSL://b1:9093"}) == "kafka://b1:9093"
    assert file_dataset("/data/in/*.csv") == Dataset("file", "/data/in/*.csv")
    assert file_dataset("s3://bucket/orders/2026.parquet") == Dataset("s3://bucket", "orders/2026.parquet")


def test_spark_tables_by_metastore_or_warehouse() -> None:
    metastore = {"spark.hadoop.hive.metastore.uris": "thrift://meta:9083"}
    assert spark_dataset("sales.orders", metastore) == Dataset("hive://meta:9083", "sales.orders")
    warehouse = {"spark.sql.warehouse.dir": "/wh"}
    assert spark_dataset("sales.orders", warehouse) == Dataset("file", "/wh/sales.db/orders")
    assert spark_dataset("orders", warehouse) == Dataset("file", "/wh/orders")
    assert spark_dataset("orders", {}) == Dataset("spark_catalog", "default.orders")
