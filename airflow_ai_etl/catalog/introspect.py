"""Read the schema of an Airflow connection: dispatch by dialect to the fastest reader we have.

Kafka connections are read by sampling their topics (catalog/kafka.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from airflow_ai_etl.catalog.clickhouse import read_clickhouse_catalog
from airflow_ai_etl.catalog.connections import airflow_connection, dialect_for_conn_type
from airflow_ai_etl.catalog.dbapi import read_sqlalchemy_catalog, require_sql_hook
from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.files import EXTRA_KEY, FILE_CONN_TYPES, introspect_files
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.catalog.postgres import read_postgres_catalog
from airflow_ai_etl.catalog.spark import read_spark_catalog
from airflow_ai_etl.catalog.sqlite import read_sqlite_catalog
from airflow_ai_etl.catalog.values import configured_limit, with_value_summaries

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = ["CatalogError", "introspect", "introspect_hook"]


def _summary(err: BaseException) -> str:
    """The driver's own words on one line (SQLAlchemy wraps them with SQL and a help link)."""
    original = getattr(err, "orig", None) or err
    return " ".join(line.strip() for line in str(original).splitlines() if line.strip())


def introspect_hook(
    hook: object,
    conn_id: str,
    dialect: str,
    *,
    schemas: Sequence[str] | None = None,
    value_summaries: bool = True,
) -> SchemaCatalog:
    """The catalog behind `hook`; any failure (auth, unreachable, missing driver) is a CatalogError.

    `schemas` limits PostgreSQL, ClickHouse and the generic path to those schemas; SQLite has only one.
    Without `value_summaries` no table's data is sampled: structure only (what validation needs).
    """
    sql_hook = require_sql_hook(hook, conn_id)
    try:
        if dialect == "postgres":
            catalog = read_postgres_catalog(sql_hook, conn_id=conn_id, schemas=schemas)
        elif dialect == "sqlite":
            catalog = read_sqlite_catalog(sql_hook, conn_id=conn_id)
        elif dialect == "clickhouse":
            catalog = read_clickhouse_catalog(sql_hook, conn_id=conn_id, schemas=schemas)
        else:
            catalog = read_sqlalchemy_catalog(sql_hook, conn_id=conn_id, dialect=dialect, schemas=schemas)
        if not value_summaries:
            return catalog
        return with_value_summaries(catalog, sql_hook, limit=configured_limit())
    except CatalogError:
        raise
    except Exception as err:  # drivers share no base class: whatever they raise, the caller gets one error
        raise CatalogError(f"cannot read the schema of connection '{conn_id}': {_summary(err)}") from err


def _introspect_kafka(conn_id: str) -> SchemaCatalog:
    from airflow_ai_etl.catalog.kafka import read_kafka_catalog

    try:
        return read_kafka_catalog(conn_id)
    except Exception as err:  # confluent-kafka missing, broker unreachable, bad config
        raise CatalogError(
            f"cannot read the topics of Kafka connection '{conn_id}': {_summary(err)}"
        ) from err


def _reuse_connection(hook: object, connection: Connection) -> None:
    """Let `hook` use the connection already looked up instead of looking it up again.

    Hooks look their connection up on every `get_uri`/`get_conn` (the SQLite hook three times per
    read), each time through the whole secrets-backend chain; the answer cannot differ within one
    introspection.
    """
    looked_up = getattr(type(hook), "get_connection", None)  # a classmethod on BaseHook
    if not callable(looked_up):
        return

    def get_connection(conn_id: str) -> Connection:
        return connection if conn_id == connection.conn_id else looked_up(conn_id)

    setattr(hook, "get_connection", get_connection)  # noqa: B010 (shadows the classmethod per instance)


def introspect(
    conn_id: str,
    *,
    schemas: Sequence[str] | None = None,
    connection: Connection | None = None,
    value_summaries: bool = True,
) -> SchemaCatalog:
    """The catalog of an Airflow connection (UnknownConnectionError when it is not defined);
    `connection` is the connection already looked up, if any; `value_summaries` as for
    `introspect_hook` (files, topics and Spark catalogs are read the same either way)."""
    connection = connection or airflow_connection(conn_id)
    conn_type = connection.conn_type or ""
    if conn_type in FILE_CONN_TYPES and EXTRA_KEY in connection.extra_dejson:  # files it lists
        return introspect_files(conn_id, conn_type, connection.extra_dejson)
    if conn_type == "kafka":  # topics, not tables: no SQL hook to ask
        return _introspect_kafka(conn_id)
    if conn_type == "spark":  # SparkSubmitHook is no SQL hook: the catalog comes from a Spark job
        return read_spark_catalog(conn_id, schemas=schemas)
    try:
        hook = connection.get_hook()  # type: ignore[no-untyped-call]
    except Exception as err:  # an unknown type or a provider that is not installed
        raise CatalogError(f"connection '{conn_id}' (type '{conn_type}') has no usable hook: {err}") from err
    _reuse_connection(hook, connection)
    return introspect_hook(
        hook, conn_id, dialect_for_conn_type(conn_type), schemas=schemas, value_summaries=value_summaries
    )
