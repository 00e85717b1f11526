"""The `file_load` kind: files at a path, prefix or glob loaded into a table (FileToSqlOperator)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import (
    Checking,
    DataFlow,
    EvalFacts,
    KindWithoutSql,
    Outside,
    StepCheck,
    TableUse,
)
from airflow_ai_etl.steps.file_load.model import FileLoadStep
from airflow_ai_etl.steps.files import FILE_OPERATORS, file_kwargs, storage_connection
from airflow_ai_etl.steps.source_target import side
from airflow_ai_etl.validation.files import check_file_load


class FileLoadKind(KindWithoutSql[FileLoadStep]):
    name = "file_load"
    model = FileLoadStep
    imports = {"FileToSqlOperator": FILE_OPERATORS}

    def connections(self, step: FileLoadStep) -> list[tuple[str, str]]:
        return [("target.conn_id", step.target.conn_id), *storage_connection(step)]

    def check(self, step: FileLoadStep, checking: Checking) -> StepCheck:
        findings = check_file_load(step, checking.context, side(step.target.conn_id, checking))
        return StepCheck(findings=findings, use=self.tables(step, {}))

    def summary(self, step: FileLoadStep) -> str:
        return (
            f"Loads {step.format.value} from `{step.path}` into `{step.target.table}` "
            f"on `{step.target.conn_id}` (mode: {step.mode.value})."
        )

    def task_calls(self, step: FileLoadStep, src: DagSource, doc_md: str) -> list[Call]:
        call = src.call(
            "FileToSqlOperator",
            split=True,
            task_id=step.id,
            path=step.path,
            target_conn_id=step.target.conn_id,
            target_table=step.target.table,
            mode=step.mode.value,
            key=step.key or None,
            columns=step.columns,
            **file_kwargs(step),
            doc_md=doc_md,
        )
        return [call]

    def data_flow(self, step: FileLoadStep) -> DataFlow:
        """The file's fields fill the target's columns of the same name."""
        return DataFlow(
            reads=[Outside("file", step.path, step.storage_conn_id)],
            copies_by_name=True,
            columns=step.columns,
        )

    def tables(self, step: FileLoadStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(writes=[(step.target.conn_id, step.target.table)])

    def eval_facts(self, step: FileLoadStep) -> EvalFacts:
        return EvalFacts(modes=[step.mode.value])
