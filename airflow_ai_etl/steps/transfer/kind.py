"""The `transfer` kind: rows of a source query or table copied into a target table (TransferOperator)."""

from __future__ import annotations

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, DataFlow, EvalFacts, StepCheck
from airflow_ai_etl.steps.source_target import SourceTargetKind
from airflow_ai_etl.steps.transfer.model import TransferStep
from airflow_ai_etl.validation.transfer import check_transfer


class TransferKind(SourceTargetKind[TransferStep]):
    name = "transfer"
    model = TransferStep
    imports = {"TransferOperator": "airflow_ai_etl.operators.transfer"}

    def check(self, step: TransferStep, checking: Checking) -> StepCheck:
        transfer = check_transfer(step, *self.sides(step, checking))
        return StepCheck(findings=transfer.findings, use=self.use(step, transfer.reads))

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
            **self.call_args(step),
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

    def eval_facts(self, step: TransferStep) -> EvalFacts:
        return EvalFacts(modes=[step.mode.value])
