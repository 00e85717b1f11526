"""The `source` of the kinds that read a query's or a table's rows (transfer, file_export)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlglot import exp

from airflow_ai_etl.spec.base import TransferSource
from airflow_ai_etl.steps.base import StepSql, TableRef, not_a_sql_field
from airflow_ai_etl.steps.sql_text import sql_use
from airflow_ai_etl.validation.context import ValidationContext

SOURCE_SQL = "source.sql"


class Sourced(Protocol):
    id: str
    source: TransferSource


def source_reads(step: Sourced, dialects: Mapping[str, str]) -> list[TableRef]:
    source = step.source
    if source.table is not None:
        return [(source.conn_id, source.table)]
    assert source.sql is not None  # the model requires exactly one of sql and table
    return list(sql_use(source.conn_id, source.sql, dialects, "read").reads)


def source_sql_fields(step: Sourced) -> list[StepSql]:
    source = step.source
    return [StepSql(step.id, SOURCE_SQL, source.conn_id, source.sql)] if source.sql is not None else []


def set_source_sql(step: Sourced, field: str, sql: str) -> None:
    if field != SOURCE_SQL:
        raise not_a_sql_field(step.id, field)
    step.source.sql = sql


def select_all(table: str, dialect: str) -> str:
    return (
        exp.select(exp.Star())
        .from_(exp.to_table(table, dialect=dialect or None))
        .sql(dialect=dialect or None)
    )


def source_read_queries(step: Sourced, context: ValidationContext) -> list[StepSql]:
    """The query that reads the source: its SQL, or every row of its table."""
    source = step.source
    if source.sql is not None:
        return source_sql_fields(step)
    assert source.table is not None
    sql = select_all(source.table, context.dialect(source.conn_id))
    return [StepSql(step.id, "source.table", source.conn_id, sql)]
