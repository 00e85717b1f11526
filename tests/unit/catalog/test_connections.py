"""Connections as the catalog sees them: the dialect table and what describe_connection reveals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_ai_etl.catalog import (
    ConnectionInfo,
    UnknownConnectionError,
    describe_connection,
    dialect_for_conn_type,
    introspect,
)


@pytest.mark.parametrize(
    ("conn_type", "dialect"),
    [
        ("postgres", "postgres"),
        ("postgresql", "postgres"),
        ("sqlite", "sqlite"),
        ("clickhouse", "clickhouse"),
        ("mysql", "mysql"),
        ("spark", "spark"),
        ("spark_sql", "spark"),
        ("spark_connect", "spark"),
        ("hive_cli", "hive"),
        ("hiveserver2", "hive"),
        ("mssql", "tsql"),
        ("oracle", "oracle"),
        ("snowflake", "snowflake"),
        ("bigquery", "bigquery"),
        ("google_cloud_platform", "bigquery"),
        ("duckdb", "duckdb"),
        ("trino", "trino"),
        ("Postgres", "postgres"),
        ("http", ""),
        ("", ""),
    ],
)
def test_dialect_for_conn_type(conn_type: str, dialect: str) -> None:
    assert dialect_for_conn_type(conn_type) == dialect


def test_describe_connection_reveals_no_secret(airflow_conn: Callable[..., None]) -> None:
    airflow_conn("shop_pg", "postgresql://etl:s3cret-pw@db.example.com:5432/shop?sslmode=require")

    info = describe_connection("shop_pg")

    assert info == ConnectionInfo(conn_id="shop_pg", conn_type="postgres", dialect="postgres")
    assert "s3cret" not in repr(info)
    assert "sslmode" not in repr(info)


def test_unknown_connection() -> None:
    with pytest.raises(
        UnknownConnectionError, match="connection 'no_such_conn' is not defined in Airflow"
    ) as err:
        describe_connection("no_such_conn")
    assert isinstance(err.value, LookupError)
    assert err.value.conn_id == "no_such_conn"
    with pytest.raises(UnknownConnectionError, match="'no_such_conn'"):
        introspect("no_such_conn")
