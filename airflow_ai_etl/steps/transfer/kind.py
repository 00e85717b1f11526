"""The `transfer` kind: rows of a source query or table copied into a target table (TransferOperator)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, DataFlow, EvalFacts, Kind, StepCheck, StepSql, TableUse
from airflow_ai_etl.steps.sources import (
    set_source_sql,
    source_read_queries,
    source_reads,
    source_sql_fields,
)
from airflow_ai_etl.steps.transfer.model import TransferStep
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.transfer import Side, check_transfer


class TransferKind(Kind[TransferStep]):
    name = "transfer"
    model = TransferStep
    imports = {"TransferOperator": "airflow_ai_etl.operators.transfer"}

    def connections(self, step: TransferStep) -> list[tuple[str, str]]:
        return [("source.conn_id", step.source.conn_id), ("target.conn_id", step.target.conn_id)]

    def check(self, step: TransferStep, checking: Checking) -> StepCheck:
        source = Side(checking.dialect(step.source.conn_id), checking.catalog(step.source.conn_id))
        target = Side(checking.dialect(step.target.conn_id), checking.catalog(step.target.conn_id))
        transfer = check_transfer(step, source, target)
        return StepCheck(
            findings=transfer.findings,
            use=TableUse(
                reads=[(step.source.conn_id, t) for t in transfer.reads],
                writes=[(step.target.conn_id, step.target.table)],
            ),
        )

    def summary(self, step: TransferStep) -> str:
        source = step.source.table or "a query"
        return (
            f"Copies rows of {source} on `{step.source.conn_id}` into `{step.target.table}` "
            f"on `{step.target.conn_id}` (mode: {step.mode.value})."
        )

    def task_calls(self, step: TransferStep, src: DagSource, doc_md: str) -> list[Call]:
        call = src.call(
            "TransferOperator",
            split=True,
            task_id=step.id,
            source_conn_id=step.source.conn_id,
            source_sql=None if step.source.sql is None else SqlLiteral(step.source.sql),
            source_table=step.source.table,
            target_conn_id=step.target.conn_id,
            target_table=step.target.table,
            mode=step.mode.value,
            key=step.key or None,
            watermark=step.watermark,
            batch_size=step.batch_size,
            create_target=step.create_target or None,
            doc_md=doc_md,
        )
        return [call]

    def data_flow(self, step: TransferStep) -> DataFlow:
        """A table's copy keeps its column names (a query's columns come from its SQL)."""
        return DataFlow(copies_by_name=step.source.table is not None)

    def tables(self, step: TransferStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=source_reads(step, dialects), writes=[(step.target.conn_id, step.target.table)])

    def eval_facts(self, step: TransferStep) -> EvalFacts:
        return EvalFacts(modes=[step.mode.value])

    def sql_fields(self, step: TransferStep) -> list[StepSql]:
        return source_sql_fields(step)

    def set_sql(self, step: TransferStep, field: str, sql: str) -> None:
        set_source_sql(step, field, sql)

    def read_queries(self, step: TransferStep, context: ValidationContext) -> list[StepSql]:
        return source_read_queries(step, context)
