"""The `sql` kind: one statement under the write allowlist, run by common-sql's SQLExecuteQueryOperator
(our subclass, SqlStatementOperator, which adds OpenLineage facets from sqlglot on every dialect)."""

from __future__ import annotations

from collections.abc import Mapping

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.steps.base import Checking, EvalFacts, StepCheck, TableUse
from airflow_ai_etl.steps.sql.model import SqlStep
from airflow_ai_etl.steps.sql_text import connection_use, sql_use
from airflow_ai_etl.steps.statement import StatementKind
from airflow_ai_etl.validation.sql import analyze_sql


class SqlKind(StatementKind[SqlStep]):
    name = "sql"
    model = SqlStep
    imports = {"SqlStatementOperator": "airflow_ai_etl.operators.sql_statement"}

    def check(self, step: SqlStep, checking: Checking) -> StepCheck:
        analysis = analyze_sql(
            step.sql,
            dialect=checking.dialect(step.conn_id),
            role="write",
            grants=step.allow_destructive,
            catalog=checking.catalog(step.conn_id),
        )
        return StepCheck(
            findings=[f.model_copy(update={"step_id": step.id, "field": "sql"}) for f in analysis.findings],
            use=connection_use(step.conn_id, analysis.reads, analysis.writes, analysis.created),
        )

    def summary(self, step: SqlStep) -> str:
        return f"Runs one SQL statement on connection `{step.conn_id}`."

    def task_calls(self, step: SqlStep, src: DagSource, doc_md: str) -> list[Call]:
        call = src.call(
            "SqlStatementOperator",
            split=True,
            task_id=step.id,
            conn_id=step.conn_id,
            sql=SqlLiteral(step.sql),
            doc_md=doc_md,
        )
        return [call]

    def tables(self, step: SqlStep, dialects: Mapping[str, str]) -> TableUse:
        return sql_use(step.conn_id, step.sql, dialects, "write")

    def eval_facts(self, step: SqlStep) -> EvalFacts:
        return EvalFacts()
