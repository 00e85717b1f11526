"""The `python_transform` kind: a source's rows through one sandboxed pure function into a table
(PythonTransformOperator); its code ships as a module file beside the DAG file."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, EvalFacts, Kind, StepCheck, StepFile, StepSql, TableUse
from airflow_ai_etl.steps.python_transform.model import PythonTransformStep
from airflow_ai_etl.steps.python_transform.module import transform_module
from airflow_ai_etl.steps.sources import (
    set_source_sql,
    source_read_queries,
    source_reads,
    source_sql_fields,
)
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.python_transform import check_python_transform
from airflow_ai_etl.validation.transfer import Side


class PythonTransformKind(Kind[PythonTransformStep]):
    name = "python_transform"
    model = PythonTransformStep
    imports = {"PythonTransformOperator": "airflow_ai_etl.operators.python_transform"}

    def connections(self, step: PythonTransformStep) -> list[tuple[str, str]]:
        return [("source.conn_id", step.source.conn_id), ("target.conn_id", step.target.conn_id)]

    def check(self, step: PythonTransformStep, checking: Checking) -> StepCheck:
        from airflow_ai_etl.transforms.settings import allowed_imports

        source = Side(checking.dialect(step.source.conn_id), checking.catalog(step.source.conn_id))
        target = Side(checking.dialect(step.target.conn_id), checking.catalog(step.target.conn_id))
        findings, reads = check_python_transform(step, source, target, allowed_imports())
        return StepCheck(
            findings=findings,
            use=TableUse(
                reads=[(step.source.conn_id, t) for t in reads],
                writes=[(step.target.conn_id, step.target.table)],
            ),
        )

    def summary(self, step: PythonTransformStep) -> str:
        source = step.source.table or "a query"
        return (
            f"Passes the rows of {source} on `{step.source.conn_id}` through the Python function "
            f"`{step.function}` (sandboxed) and appends them to `{step.target.table}` on "
            f"`{step.target.conn_id}`."
        )

    def task_calls(self, step: PythonTransformStep, src: DagSource, doc_md: str) -> list[Call]:
        module = transform_module(step, src.dag_id)
        call = src.call(
            "PythonTransformOperator",
            split=True,
            task_id=step.id,
            source_conn_id=step.source.conn_id,
            source_sql=None if step.source.sql is None else SqlLiteral(step.source.sql),
            source_table=step.source.table,
            target_conn_id=step.target.conn_id,
            target_table=step.target.table,
            code_file=module.path,
            code_sha256=module.sha256,
            function=step.function,
            batch_size=step.batch_size,
            doc_md=doc_md,
        )
        return [call]

    def tables(self, step: PythonTransformStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=source_reads(step, dialects), writes=[(step.target.conn_id, step.target.table)])

    def eval_facts(self, step: PythonTransformStep) -> EvalFacts:
        return EvalFacts(modes=["append"])

    def sql_fields(self, step: PythonTransformStep) -> list[StepSql]:
        return source_sql_fields(step)

    def set_sql(self, step: PythonTransformStep, field: str, sql: str) -> None:
        set_source_sql(step, field, sql)

    def read_queries(self, step: PythonTransformStep, context: ValidationContext) -> list[StepSql]:
        return source_read_queries(step, context)

    def files(self, step: PythonTransformStep, dag_id: str) -> list[StepFile]:
        return [transform_module(step, dag_id)]
