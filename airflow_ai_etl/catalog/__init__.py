"""Schema catalogs of connections: the model, the introspectors, the fingerprint."""

from airflow_ai_etl.catalog.connections import (
    ConnectionInfo,
    UnknownConnectionError,
    describe_connection,
    dialect_for_conn_type,
)
from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.introspect import introspect, introspect_hook
from airflow_ai_etl.catalog.models import Column, ForeignKey, Function, SchemaCatalog, Table

__all__ = [
    "CatalogError",
    "Column",
    "ConnectionInfo",
    "ForeignKey",
    "Function",
    "SchemaCatalog",
    "Table",
    "UnknownConnectionError",
    "describe_connection",
    "dialect_for_conn_type",
    "introspect",
    "introspect_hook",
]
