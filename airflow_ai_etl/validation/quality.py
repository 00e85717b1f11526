"""Quality-check step checks: the table exists, and every check names its columns correctly.

Codes: `sql.unknown_table` (field `table`), `sql.unknown_column` (field `checks[i].column` or
`checks[i].condition`), `quality.condition_invalid` and the other `sql.*` codes of
`sql.check_condition` (field `checks[i].condition`).
"""

from __future__ import annotations

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec.models import ColumnCheck, ExpressionCheck, QualityCheckStep
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns
from airflow_ai_etl.validation.sql import check_condition


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
        if isinstance(check, ColumnCheck) and table is not None and has_columns(table):
            if table.column(check.column) is None:
                findings.append(
                    Finding(
                        severity=Severity.ERROR,
                        code="sql.unknown_column",
                        message=f"column {check.column} does not exist in {table.qualified_name}",
                        step_id=step.id,
                        field=f"checks[{index}].column",
                        hint=f"columns are: {', '.join(c.name for c in table.columns)}",
                    )
                )
        elif isinstance(check, ExpressionCheck):
            known = catalog if table is not None and has_columns(table) else None
            findings += [
                f.model_copy(update={"step_id": step.id, "field": f"checks[{index}].condition"})
                for f in check_condition(check.condition, table=step.table, dialect=dialect, catalog=known)
            ]
    return findings
