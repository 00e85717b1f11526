"""The `python_transform` kind: a source's rows through one sandboxed pure function into a table
(PythonTransformOperator); its code ships as a module file beside the DAG file."""

from __future__ import annotations

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, DataFlow, EvalFacts, StepCheck, StepFile
from airflow_ai_etl.steps.python_transform.model import PythonTransformStep
from airflow_ai_etl.steps.python_transform.module import transform_module
from airflow_ai_etl.steps.source_target import SourceTargetKind
from airflow_ai_etl.validation.python_transform import check_python_transform


class PythonTransformKind(SourceTargetKind[PythonTransformStep]):
    name = "python_transform"
    model = PythonTransformStep
    imports = {"PythonTransformOperator": "airflow_ai_etl.operators.python_transform"}

    def check(self, step: PythonTransformStep, checking: Checking) -> StepCheck:
        from airflow_ai_etl.transforms.settings import allowed_imports

        source, target = self.sides(step, checking)
        findings, reads = check_python_transform(step, source, target, allowed_imports())
        return StepCheck(findings=findings, use=self.use(step, reads))

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
            **self.call_args(step),
            code_file=module.path,
            code_sha256=module.sha256,
            function=step.function,
            batch_size=step.batch_size,
            doc_md=doc_md,
        )
        return [call]

    def data_flow(self, step: PythonTransformStep) -> DataFlow:
        """The function decides the columns written: no column lineage from the source SQL."""
        return DataFlow(through_code=True)

    def eval_facts(self, step: PythonTransformStep) -> EvalFacts:
        return EvalFacts(modes=["append"])

    def files(self, step: PythonTransformStep, dag_id: str) -> list[StepFile]:
        return [transform_module(step, dag_id)]
