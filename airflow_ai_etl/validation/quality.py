"""Quality-check step checks: the table exists, and every check names its columns correctly.

Codes: `sql.unknown_table` (field `table`), `sql.unknown_column` (field `checks[i].column` or
`checks[i].condition`), `quality.condition_invalid` and the other `sql.*` codes of
`sql.check_condition` (field `checks[i].condition`), `quality.freshness_not_a_time` (error: a
freshness check on a column that is not a timestamp or date) and `quality.freshness_type_unknown`
(warning: the column's type could not be classified), both on field `checks[i].column`.
"""

from __future__ import annotations

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import ColumnCheck, ExpressionCheck, FreshnessCheck, QualityCheckStep
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns
from airflow_ai_etl.validation.sql import check_condition
from airflow_ai_etl.validation.typefamily import Family, type_info

#: Families whose newest value has an age.
_TIME_FAMILIES = (Family.TIMESTAMP, Family.DATE)


def _unknown_column(step: QualityCheckStep, table: Table, column: str, field: str) -> Finding:
    return Finding(
        severity=Severity.ERROR,
        code="sql.unknown_column",
        message=f"column {column} does not exist in {table.qualified_name}",
        step_id=step.id,
        field=field,
        hint=f"columns are: {', '.join(c.name for c in table.columns)}",
    )


def _freshness_findings(step: QualityCheckStep, column: Column, dialect: str, field: str) -> list[Finding]:
    family = type_info(column.type, dialect).family
    if family in _TIME_FAMILIES:
        return []
    if family is Family.UNKNOWN:
        return [
            Finding(
                severity=Severity.WARNING,
                code="quality.freshness_type_unknown",
                message=f"the type of column {column.name} ({column.type or 'unknown'}) could not be "
                "classified; freshness needs a timestamp or date",
                step_id=step.id,
                field=field,
            )
        ]
    return [
        Finding(
            severity=Severity.ERROR,
            code="quality.freshness_not_a_time",
            message=f"freshness needs a timestamp or date column; {column.name} is {column.type} "
            f"(a {family.value} type)",
            step_id=step.id,
            field=field,
            hint="measure a column such as updated_at or loaded_at",
        )
    ]


def check_quality(step: QualityCheckStep, dialect: str, catalog: SchemaCatalog | None) -> list[Finding]:
    findings: list[Finding] = []
    table = catalog.find_table(step.table) if catalog is not None else None
    if catalog is not None and table is None:
        findings.append(
            Finding(
                severity=Severity.ERROR,
                code="sql.unknown_table",
                message=f"table {step.table} does not exist on connection {step.conn_id}",
                step_id=step.id,
                field="table",
                hint="check a table the connection has, or one an earlier step creates",
            )
        )
        return findings
    for index, check in enumerate(step.checks):
        if isinstance(check, ColumnCheck | FreshnessCheck) and table is not None and has_columns(table):
            field = f"checks[{index}].column"
            column = table.column(check.column)
            if column is None:
                findings.append(_unknown_column(step, table, check.column, field))
            elif isinstance(check, FreshnessCheck):
                findings += _freshness_findings(step, column, dialect, field)
        elif isinstance(check, ExpressionCheck):
            known = catalog if table is not None and has_columns(table) else None
            findings += [
                f.model_copy(update={"step_id": step.id, "field": f"checks[{index}].condition"})
                for f in check_condition(check.condition, table=step.table, dialect=dialect, catalog=known)
            ]
    return findings
