"""Airflow connections as the catalog sees them: id, type and SQL dialect, never credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.sdk import Connection


class UnknownConnectionError(LookupError):
    """A connection id that Airflow does not know (not in the metadata DB, env or secrets backend)."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        super().__init__(f"connection '{conn_id}' is not defined in Airflow")


@dataclass(frozen=True)
class ConnectionInfo:
    """What validation may know about a connection: nothing that could leak a secret."""

    conn_id: str
    conn_type: str
    dialect: str


# Airflow connection type -> sqlglot dialect name.
_DIALECTS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "sqlite": "sqlite",
    "clickhouse": "clickhouse",
    "mysql": "mysql",
    "mssql": "tsql",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "google_cloud_platform": "bigquery",
    "duckdb": "duckdb",
    "trino": "trino",
}
# Families with several connection types (spark_sql, spark_connect, hiveserver2, hive_cli, ...).
_DIALECT_PREFIXES = (("spark", "spark"), ("hive", "hive"))


def dialect_for_conn_type(conn_type: str) -> str:
    """The sqlglot dialect for an Airflow connection type; "" when unknown (generic SQL)."""
    key = conn_type.strip().lower()
    if key in _DIALECTS:
        return _DIALECTS[key]
    return next((dialect for prefix, dialect in _DIALECT_PREFIXES if key.startswith(prefix)), "")


def airflow_connection(conn_id: str) -> Connection:
    """The Airflow connection, or UnknownConnectionError (Airflow's own error names no remedy)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as err:
        raise UnknownConnectionError(conn_id) from err


def describe_connection(conn_id: str, connection: Connection | None = None) -> ConnectionInfo:
    """What validation needs of a connection; `connection` is the one already looked up, if any
    (each look-up goes through the whole secrets-backend chain)."""
    connection = connection or airflow_connection(conn_id)
    conn_type = connection.conn_type or ""
    return ConnectionInfo(conn_id=conn_id, conn_type=conn_type, dialect=dialect_for_conn_type(conn_type))
