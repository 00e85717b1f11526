"""The `quality_check` kind: common-sql's column and table checks on a read-only connection, and
ours for row-count change and freshness; one task when one operator does, else a TaskGroup of them."""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.layout import Sql as SqlLiteral
from airflow_ai_etl.render.source import DagSource, number
from airflow_ai_etl.steps.base import (
    Checking,
    EvalFacts,
    KindWithoutSql,
    StepCheck,
    StepSql,
    TableUse,
)
from airflow_ai_etl.steps.quality_check.model import (
    ColumnCheck,
    ExpressionCheck,
    FreshnessCheck,
    QualityCheckStep,
    RowCountChangeCheck,
    RowCountCheck,
)
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.quality import check_quality

#: Spec column checks -> SQLColumnCheckOperator check names.
_COLUMN_CHECKS = {
    "not_null": "null_check",
    "unique": "unique_check",
    "min": "min",
    "max": "max",
    "distinct_count": "distinct_check",
}


def _column_mapping(step: QualityCheckStep) -> dict[str, dict[str, dict[str, int | float]]]:
    mapping: dict[str, dict[str, dict[str, int | float]]] = {}
    for check in step.checks:
        if not isinstance(check, ColumnCheck):
            continue
        checks = mapping.setdefault(check.column, {})
        name = _COLUMN_CHECKS[check.check]
        bounds = check.bounds.model_dump(exclude_none=True) if check.bounds else {"equal_to": 0}
        checks[name] = {key: number(value) for key, value in bounds.items()}
    return mapping


def _expression_statement(condition: str) -> str:
    """True when the condition holds for every row; also on an empty table (one row, never NULL)."""
    end = "\n" if "\n" in condition or "--" in condition else ""
    return f"COUNT(CASE WHEN ({condition}{end}) THEN 1 END) = COUNT(*)"


def _table_checks(step: QualityCheckStep) -> dict[str, dict[str, SqlLiteral]]:
    expressions = [c for c in step.checks if isinstance(c, ExpressionCheck)]
    names = [c.name for c in expressions]
    checks: dict[str, dict[str, SqlLiteral]] = {}
    for check in step.checks:
        if isinstance(check, RowCountCheck):
            name, n = "row_count", 2
            while name in checks or name in names:
                name, n = f"row_count_{n}", n + 1
            statement = f"COUNT(*) >= {check.min}"
            if check.max is not None:
                statement += f" AND COUNT(*) <= {check.max}"
            checks[name] = {"check_statement": SqlLiteral(statement)}
        elif isinstance(check, ExpressionCheck):
            checks[check.name] = {"check_statement": SqlLiteral(_expression_statement(check.condition))}
    return checks


def _rows_failing(table: str, condition: str, dialect: str) -> str | None:
    """The query an expression check will run (rows where the condition does not hold)."""
    try:
        predicate = sqlglot.condition(condition, dialect=dialect or None)
    except SqlglotError:
        return None  # validation reports the condition itself
    query = exp.select("1").from_(exp.to_table(table, dialect=dialect or None)).where(exp.not_(predicate))
    return query.sql(dialect=dialect or None)


class QualityCheckKind(KindWithoutSql[QualityCheckStep]):
    name = "quality_check"
    model = QualityCheckStep
    imports = {
        "ReadOnlySQLColumnCheckOperator": "airflow_ai_etl.operators.sql_checks",
        "ReadOnlySQLTableCheckOperator": "airflow_ai_etl.operators.sql_checks",
        "RowCountChangeOperator": "airflow_ai_etl.operators.quality",
        "FreshnessOperator": "airflow_ai_etl.operators.quality",
    }

    def connections(self, step: QualityCheckStep) -> list[tuple[str, str]]:
        return [("conn_id", step.conn_id)]

    def check(self, step: QualityCheckStep, checking: Checking) -> StepCheck:
        findings = check_quality(step, checking.dialect(step.conn_id), checking.catalog(step.conn_id))
        return StepCheck(findings=findings, use=TableUse(reads=[(step.conn_id, step.table)]))

    def summary(self, step: QualityCheckStep) -> str:
        return f"Checks table `{step.table}` on connection `{step.conn_id}`."

    def task_calls(self, step: QualityCheckStep, src: DagSource, doc_md: str) -> list[Call]:
        """One call per operator the checks need; task ids name the operator's part of the step."""
        common = {"conn_id": step.conn_id, "table": step.table}
        calls: list[tuple[str, Call]] = []
        mapping = _column_mapping(step)
        if mapping:
            call = src.call("ReadOnlySQLColumnCheckOperator", split=True, **common, column_mapping=mapping)
            calls.append(("columns", call))
        table_checks = _table_checks(step)
        if table_checks:
            call = src.call("ReadOnlySQLTableCheckOperator", split=True, **common, checks=table_checks)
            calls.append(("table", call))
        for change in (c for c in step.checks if isinstance(c, RowCountChangeCheck)):
            call = src.call(
                "RowCountChangeOperator",
                split=True,
                **common,
                max_drop_pct=None if change.max_drop_pct is None else number(change.max_drop_pct),
                max_growth_pct=None if change.max_growth_pct is None else number(change.max_growth_pct),
            )
            calls.append(("row_count_change", call))
        fresh = [c for c in step.checks if isinstance(c, FreshnessCheck)]
        for check in fresh:
            call = src.call(
                "FreshnessOperator",
                split=True,
                **common,
                column=check.column,
                max_age_minutes=number(check.max_age_minutes),
            )
            calls.append(("freshness" if len(fresh) == 1 else f"freshness_{check.column}", call))
        if len(calls) == 1:  # one operator: the task is the step
            calls = [(step.id, calls[0][1])]
        return [
            Call(c.func, c.args, (("task_id", task_id), *c.kwargs, ("doc_md", doc_md)), c.split)
            for task_id, c in calls
        ]

    def tables(self, step: QualityCheckStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=[(step.conn_id, step.table)])

    def eval_facts(self, step: QualityCheckStep) -> EvalFacts:
        return EvalFacts(checks=[c.check for c in step.checks])

    def read_queries(self, step: QualityCheckStep, context: ValidationContext) -> list[StepSql]:
        """The expression checks' queries, on a table the catalog holds (one the pipeline creates
        itself would only be reported missing)."""
        catalog = context.catalogs.get(step.conn_id)
        if catalog is None or catalog.find_table(step.table) is None:
            return []
        dialect = context.dialect(step.conn_id)
        queries = []
        for i, check in enumerate(step.checks):
            if not isinstance(check, ExpressionCheck):
                continue
            sql = _rows_failing(step.table, check.condition, dialect)
            if sql is not None:
                queries.append(StepSql(step.id, f"checks[{i}].condition", step.conn_id, sql))
        return queries
