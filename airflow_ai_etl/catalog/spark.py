"""Spark / Hive: the catalog as Spark's Hive catalog sees it, read by a Spark job on the connection.

The metastore is whatever the `spark` connection configures (its extra `conf`: an embedded Derby
database, or `spark.hadoop.hive.metastore.uris` for a metastore service), so the tables listed
here are the ones SparkSqlTransformOperator reads and writes. One spark-submit reads databases,
tables, columns, types, comments and partition columns (`spark.catalog`); Spark keeps no cheap
row counts, so `row_count` is unknown. A database is the catalog's schema; `default` is usually
the default one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table

_KINDS = {"VIEW": "view", "MANAGED": "table", "EXTERNAL": "table"}


def _table(entry: Mapping[str, Any]) -> Table:
    columns = [
        Column(
            name=column["name"],
            type=column["type"],
            nullable=bool(column.get("nullable", True)),
            comment=column.get("comment") or None,
        )
        for column in entry["columns"]
    ]
    return Table(
        name=entry["name"],
        schema_name=entry["database"],
        kind=_KINDS.get(str(entry.get("type") or "").upper(), "table"),
        columns=columns,
        comment=entry.get("comment") or None,
        partition_columns=[c["name"] for c in entry["columns"] if c.get("partition")],
    )


def catalog_from_job(conn_id: str, result: Mapping[str, Any]) -> SchemaCatalog:
    """The SchemaCatalog from the `catalog` action's result (see airflow_ai_etl/spark/sql_job.py)."""
    try:
        tables = [_table(entry) for entry in result["tables"]]
        default = result.get("default_database") or None
    except (KeyError, TypeError) as err:
        raise CatalogError(f"connection '{conn_id}': the Spark catalog job answered {err!r}") from err
    return SchemaCatalog(conn_id=conn_id, dialect="spark", default_schema=default, tables=tables)


def read_spark_catalog(conn_id: str, *, schemas: Sequence[str] | None = None) -> SchemaCatalog:
    """The Hive catalog behind a `spark` connection; `schemas` (database names) limits it to those."""
    from airflow_ai_etl.hooks.spark import SparkJobError, SparkJobHook

    job = {"action": "catalog", "databases": list(schemas) if schemas is not None else None}
    try:
        result = SparkJobHook(job=job, conn_id=conn_id, name=f"ai_etl.catalog.{conn_id}").run()
    except (SparkJobError, ValueError) as err:
        raise CatalogError(f"cannot read the Spark catalog of connection '{conn_id}': {err}") from err
    return catalog_from_job(conn_id, result)
