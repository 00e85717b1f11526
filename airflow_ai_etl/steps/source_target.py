"""The plumbing the kinds that read a `source` share (transfer, python_transform, file_export),
and those that also write a `target` table (transfer, python_transform).

Their source is a query or a table on one connection: its SQL is the SQL the expert may write, and
reading it is their dry-run query. What differs between these kinds (their checks, their operator
call) stays in each kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.steps.base import Checking, Kind, StepSql, TableRef, TableUse
from airflow_ai_etl.steps.file_export.model import FileExportStep
from airflow_ai_etl.steps.python_transform.model import PythonTransformStep
from airflow_ai_etl.steps.sources import (
    set_source_sql,
    source_read_queries,
    source_reads,
    source_sql_fields,
)
from airflow_ai_etl.steps.transfer.model import TransferStep
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.transfer import Side

#: Bound by the models (not a protocol) because a `Kind` takes only `StepBase` subclasses.
Sourced = TypeVar("Sourced", bound=TransferStep | PythonTransformStep | FileExportStep)
SourceTargeted = TypeVar("SourceTargeted", bound=TransferStep | PythonTransformStep)


def side(conn_id: str, checking: Checking) -> Side:
    """One end of the step as validation sees it: its dialect and what its catalog knows."""
    return Side(checking.dialect(conn_id), checking.catalog(conn_id))


class SourcedKind(Kind[Sourced]):
    """A kind whose step reads a `source`: its SQL is the source's, and so is its read query."""

    def source_side(self, step: Sourced, checking: Checking) -> Side:
        return side(step.source.conn_id, checking)

    def source_tables(self, step: Sourced, tables: Sequence[str]) -> list[TableRef]:
        """The tables the source's check found it reads, on the source's connection."""
        return [(step.source.conn_id, t) for t in tables]

    def source_sql(self, step: Sourced) -> SqlLiteral | None:
        """The source's SQL as the operator call writes it (None when the source is a table)."""
        return None if step.source.sql is None else SqlLiteral(step.source.sql)

    def tables(self, step: Sourced, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=source_reads(step, dialects))

    def sql_fields(self, step: Sourced) -> list[StepSql]:
        return source_sql_fields(step)

    def set_sql(self, step: Sourced, field: str, sql: str) -> None:
        set_source_sql(step, field, sql)

    def read_queries(self, step: Sourced, context: ValidationContext) -> list[StepSql]:
        return source_read_queries(step, context)


class SourceTargetKind(SourcedKind[SourceTargeted]):
    """A sourced kind that writes its rows into a `target` table on a connection of its own."""

    def connections(self, step: SourceTargeted) -> list[tuple[str, str]]:
        return [("source.conn_id", step.source.conn_id), ("target.conn_id", step.target.conn_id)]

    def sides(self, step: SourceTargeted, checking: Checking) -> tuple[Side, Side]:
        """(source, target) as validation sees them."""
        return self.source_side(step, checking), side(step.target.conn_id, checking)

    def call_args(self, step: SourceTargeted) -> dict[str, object]:
        """The operator arguments every source-to-target operator takes, in the order rendered."""
        return {
            "task_id": step.id,
            "source_conn_id": step.source.conn_id,
            "source_sql": self.source_sql(step),
            "source_table": step.source.table,
            "target_conn_id": step.target.conn_id,
            "target_table": step.target.table,
        }

    def use(self, step: SourceTargeted, reads: Sequence[str]) -> TableUse:
        """The step reads `reads` (as its check found them) and writes its target table."""
        return TableUse(reads=self.source_tables(step, reads), writes=self._writes(step))

    def tables(self, step: SourceTargeted, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=source_reads(step, dialects), writes=self._writes(step))

    def _writes(self, step: SourceTargeted) -> list[TableRef]:
        return [(step.target.conn_id, step.target.table)]
