"""The plumbing the kinds whose SQL is one `sql` statement on `conn_id` share (sql, spark_sql)."""

from __future__ import annotations

from typing import TypeVar

from airflow_ai_etl.steps.base import Kind, StepSql, not_a_sql_field
from airflow_ai_etl.steps.spark_sql.model import SparkSqlStep
from airflow_ai_etl.steps.sql.model import SqlStep
from airflow_ai_etl.validation.context import ValidationContext

#: Bound by the models (not a protocol) because a `Kind` takes only `StepBase` subclasses.
Stated = TypeVar("Stated", bound=SqlStep | SparkSqlStep)


class StatementKind(Kind[Stated]):
    """A kind whose step runs its one `sql` statement on one connection, `conn_id`."""

    def connections(self, step: Stated) -> list[tuple[str, str]]:
        return [("conn_id", step.conn_id)]

    def sql_fields(self, step: Stated) -> list[StepSql]:
        return [StepSql(step.id, "sql", step.conn_id, step.sql)]

    def set_sql(self, step: Stated, field: str, sql: str) -> None:
        if field != "sql":
            raise not_a_sql_field(step.id, field)
        step.sql = sql

    def read_queries(self, step: Stated, context: ValidationContext) -> list[StepSql]:
        """None: a `sql` step's statement writes (the QA agent's dry run only reads), and the dry
        run reaches databases through DB-API hooks, not Spark."""
        return []
