"""The `spark_sql` kind: Spark SQL with Hive support, optionally writing a target table
(SparkSqlTransformOperator)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, EvalFacts, StepCheck, TableUse
from airflow_ai_etl.steps.spark_sql.model import SparkSqlStep
from airflow_ai_etl.steps.sql_text import connection_use, sql_use
from airflow_ai_etl.steps.statement import StatementKind
from airflow_ai_etl.validation.spark import DIALECT, check_spark_sql


class SparkSqlKind(StatementKind[SparkSqlStep]):
    name = "spark_sql"
    model = SparkSqlStep
    imports = {"SparkSqlTransformOperator": "airflow_ai_etl.operators.spark"}

    def check(self, step: SparkSqlStep, checking: Checking) -> StepCheck:
        spark = check_spark_sql(step, checking.catalog(step.conn_id))
        use = connection_use(step.conn_id, spark.reads, spark.writes, spark.created)
        return StepCheck(findings=spark.findings, use=use)

    def summary(self, step: SparkSqlStep) -> str:
        if step.target_table is None:
            return f"Runs one Spark SQL statement on connection `{step.conn_id}`."
        return (
            f"Writes a Spark SQL query's rows to `{step.target_table}` on `{step.conn_id}` "
            f"(mode: {step.mode.value})."
        )

    def task_calls(self, step: SparkSqlStep, src: DagSource, doc_md: str) -> list[Call]:
        targeted = step.target_table is not None
        call = src.call(
            "SparkSqlTransformOperator",
            split=True,
            task_id=step.id,
            conn_id=step.conn_id,
            sql=SqlLiteral(step.sql),
            target_table=step.target_table,
            mode=step.mode.value if targeted else None,
            partition_by=step.partition_by or None,
            doc_md=doc_md,
        )
        return [call]

    def tables(self, step: SparkSqlStep, dialects: Mapping[str, str]) -> TableUse:
        """Spark SQL is always in the `spark` dialect, whatever the connection's catalog says."""
        spark = {step.conn_id: DIALECT}
        if step.target_table is None:
            return sql_use(step.conn_id, step.sql, spark, "write")
        query = sql_use(step.conn_id, step.sql, spark, "read")
        return TableUse(reads=query.reads, writes=[(step.conn_id, step.target_table)])

    def eval_facts(self, step: SparkSqlStep) -> EvalFacts:
        return EvalFacts(modes=[step.mode.value] if step.target_table is not None else [])
