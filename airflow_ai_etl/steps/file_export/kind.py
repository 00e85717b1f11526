"""The `file_export` kind: a query's or a table's rows written to one file (SqlToFileOperator)."""

from __future__ import annotations

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, DataFlow, EvalFacts, Outside, StepCheck, TableUse
from airflow_ai_etl.steps.file_export.model import FileExportStep
from airflow_ai_etl.steps.files import FILE_OPERATORS, file_kwargs, storage_connection
from airflow_ai_etl.steps.source_target import SourcedKind
from airflow_ai_etl.validation.files import check_file_export


class FileExportKind(SourcedKind[FileExportStep]):
    name = "file_export"
    model = FileExportStep
    imports = {"SqlToFileOperator": FILE_OPERATORS}

    def connections(self, step: FileExportStep) -> list[tuple[str, str]]:
        return [("source.conn_id", step.source.conn_id), *storage_connection(step)]

    def check(self, step: FileExportStep, checking: Checking) -> StepCheck:
        export = check_file_export(step, checking.context, self.source_side(step, checking))
        return StepCheck(findings=export.findings, use=TableUse(reads=self.source_tables(step, export.reads)))

    def summary(self, step: FileExportStep) -> str:
        source = step.source.table or "a query"
        return f"Writes rows of {source} on `{step.source.conn_id}` to `{step.path}` ({step.format.value})."

    def task_calls(self, step: FileExportStep, src: DagSource, doc_md: str) -> list[Call]:
        call = src.call(
            "SqlToFileOperator",
            split=True,
            task_id=step.id,
            source_conn_id=step.source.conn_id,
            sql=self.source_sql(step),
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

    def eval_facts(self, step: FileExportStep) -> EvalFacts:
        return EvalFacts()
