"""The `file_export` kind: a query's or a table's rows written to one file (SqlToFileOperator)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import (
    Checking,
    DataFlow,
    EvalFacts,
    Kind,
    Outside,
    StepCheck,
    StepSql,
    TableUse,
)
from airflow_ai_etl.steps.file_export.model import FileExportStep
from airflow_ai_etl.steps.files import FILE_OPERATORS, file_kwargs, storage_connection
from airflow_ai_etl.steps.sources import (
    set_source_sql,
    source_read_queries,
    source_reads,
    source_sql_fields,
)
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.files import check_file_export
from airflow_ai_etl.validation.transfer import Side


class FileExportKind(Kind[FileExportStep]):
    name = "file_export"
    model = FileExportStep
    imports = {"SqlToFileOperator": FILE_OPERATORS}

    def connections(self, step: FileExportStep) -> list[tuple[str, str]]:
        return [("source.conn_id", step.source.conn_id), *storage_connection(step)]

    def check(self, step: FileExportStep, checking: Checking) -> StepCheck:
        source = Side(checking.dialect(step.source.conn_id), checking.catalog(step.source.conn_id))
        export = check_file_export(step, checking.context, source)
        reads = [(step.source.conn_id, t) for t in export.reads]
        return StepCheck(findings=export.findings, use=TableUse(reads=reads))

    def summary(self, step: FileExportStep) -> str:
        source = step.source.table or "a query"
        return f"Writes rows of {source} on `{step.source.conn_id}` to `{step.path}` ({step.format.value})."

    def task_calls(self, step: FileExportStep, src: DagSource, doc_md: str) -> list[Call]:
        call = src.call(
            "SqlToFileOperator",
            split=True,
            task_id=step.id,
            source_conn_id=step.source.conn_id,
            sql=None if step.source.sql is None else SqlLiteral(step.source.sql),
            source_table=step.source.table,
            path=step.path,
            **file_kwargs(step),
            doc_md=doc_md,
        )
        return [call]

    def data_flow(self, step: FileExportStep) -> DataFlow:
        """The file's columns are the query's (lineage from its SQL), or the source table's."""
        return DataFlow(
            writes=[Outside("file", step.path, step.storage_conn_id)],
            copies_by_name=step.source.table is not None,
        )

    def tables(self, step: FileExportStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=source_reads(step, dialects))

    def eval_facts(self, step: FileExportStep) -> EvalFacts:
        return EvalFacts()

    def sql_fields(self, step: FileExportStep) -> list[StepSql]:
        return source_sql_fields(step)

    def set_sql(self, step: FileExportStep, field: str, sql: str) -> None:
        set_source_sql(step, field, sql)

    def read_queries(self, step: FileExportStep, context: ValidationContext) -> list[StepSql]:
        return source_read_queries(step, context)
