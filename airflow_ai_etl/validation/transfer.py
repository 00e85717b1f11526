"""Transfer checks: the source's rows fit the target table, column by column.

The source is a read query (checked by `sql.analyze_sql`) or a table; its output columns are
matched to the target's by name, case-insensitively, as the transfer operator matches them.

Finding codes (errors unless noted):
- `transfer.duplicate_column` - the source yields two columns of one name.
- `transfer.column_missing_in_target` - a source column the target table does not have.
- `transfer.type_mismatch` - a source column's type does not fit the target column (narrowing
  such as bigint -> integer or timestamp -> date, or incompatible such as text -> integer).
- `transfer.type_unknown` (warning) - a type on either side could not be classified.
- `transfer.target_column_required` (warning) - a NOT NULL target column without a default that
  the source does not fill.
- `transfer.key_missing` - a key column is missing from the source output or from the target.
- `transfer.watermark_missing` - the watermark column is missing from the source or the target.
Table and SQL problems are reported with the `sql.*` codes (`sql.unknown_table` for a missing
source or target table).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import FileExportStep, PythonTransformStep, TransferStep
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns
from airflow_ai_etl.validation.sql import analyze_sql
from airflow_ai_etl.validation.typefamily import Fit, fit, type_info


@dataclass(frozen=True)
class Side:
    """One end of a transfer as validation sees it."""

    dialect: str
    catalog: SchemaCatalog | None  # None: schema unknown, checks skipped


@dataclass(frozen=True)
class TransferCheck:
    findings: list[Finding]
    reads: tuple[str, ...]


def _finding(step: SourcedStep, code: str, message: str, field: str, hint: str | None = None) -> Finding:
    severity = (
        Severity.WARNING
        if code in ("transfer.type_unknown", "transfer.target_column_required")
        else (Severity.ERROR)
    )
    return Finding(severity=severity, code=code, message=message, step_id=step.id, field=field, hint=hint)


#: The steps that read a `source` these checks understand.
SourcedStep = TransferStep | FileExportStep | PythonTransformStep


def unknown_table(step: SourcedStep, name: str, conn_id: str, field: str) -> Finding:
    return _finding(
        step,
        "sql.unknown_table",
        f"table {name} does not exist on connection {conn_id}",
        field,
        "create it in an earlier sql step, or name an existing table",
    )


def _find(catalog: SchemaCatalog | None, name: str) -> Table | None:
    return catalog.find_table(name) if catalog is not None else None


def source_findings(
    step: SourcedStep, side: Side
) -> tuple[list[Finding], tuple[str, ...], list[Column] | None]:
    """Findings about the source, the tables it reads, and its output columns (None: not known)."""
    if step.source.sql is not None:
        analysis = analyze_sql(step.source.sql, dialect=side.dialect, role="read", catalog=side.catalog)
        findings = [
            f.model_copy(update={"step_id": step.id, "field": "source.sql"}) for f in analysis.findings
        ]
        return findings, analysis.reads, analysis.output
    assert step.source.table is not None  # the model requires exactly one of sql and table
    reads = (step.source.table,)
    if side.catalog is None:
        return [], reads, None
    table = side.catalog.find_table(step.source.table)
    if table is None:
        return [unknown_table(step, step.source.table, step.source.conn_id, "source.table")], reads, None
    return [], reads, table.columns if has_columns(table) else None


def _column_findings(
    step: TransferStep, output: list[Column], target: Table, *, source: Side, target_side: Side, field: str
) -> list[Finding]:
    findings = []
    for name, count in Counter(c.name.lower() for c in output).items():
        if count > 1:
            message = f"the source yields column {name} {count} times"
            findings.append(
                _finding(step, "transfer.duplicate_column", message, field, "alias the columns apart")
            )
    for column in output:
        target_column = target.column(column.name)
        if target_column is None:
            findings.append(
                _finding(
                    step,
                    "transfer.column_missing_in_target",
                    f"source column {column.name} has no column of that name in {target.qualified_name}",
                    field,
                    f"rename it with AS to one of: {', '.join(c.name for c in target.columns)}",
                )
            )
            continue
        source_type = type_info(column.type, source.dialect)
        target_type = type_info(target_column.type, target_side.dialect)
        verdict = fit(source_type, target_type)
        where = f"{column.name} ({column.type or 'unknown type'} -> {target_column.type or 'unknown type'})"
        if verdict is Fit.UNKNOWN:
            message = f"the types of column {where} could not be compared"
            findings.append(_finding(step, "transfer.type_unknown", message, field))
        elif verdict is not Fit.OK:
            kind = "narrows" if verdict is Fit.NARROWING else "is incompatible"
            findings.append(
                _finding(
                    step,
                    "transfer.type_mismatch",
                    f"column {where} {kind}: a {source_type.family} value into a {target_type.family} column",
                    field,
                    f"CAST {column.name} in the source query, or change the target column's type",
                )
            )
    provided = {c.name.lower() for c in output}
    for column in target.columns:
        if not column.nullable and column.default is None and column.name.lower() not in provided:
            findings.append(
                _finding(
                    step,
                    "transfer.target_column_required",
                    f"target column {target.qualified_name}.{column.name} is NOT NULL without a default, "
                    "and the source does not fill it",
                    field,
                )
            )
    return findings


def _key_findings(step: TransferStep, output: list[Column] | None, target: Table | None) -> list[Finding]:
    findings = []
    wanted = [("transfer.key_missing", "key", name) for name in step.key]
    if step.watermark is not None:
        wanted.append(("transfer.watermark_missing", "watermark", step.watermark))
    for code, field, name in wanted:
        missing = []
        if output is not None and name.lower() not in {c.name.lower() for c in output}:
            missing.append("the source output")
        if target is not None and has_columns(target) and target.column(name) is None:
            missing.append(f"target table {target.qualified_name}")
        if missing:
            message = f"{field} column {name} is not in {' nor in '.join(missing)}"
            findings.append(_finding(step, code, message, field))
    return findings


def check_transfer(step: TransferStep, source: Side, target: Side) -> TransferCheck:
    findings, reads, output = source_findings(step, source)
    target_table = _find(target.catalog, step.target.table)
    if target.catalog is not None and target_table is None and not step.create_target:
        findings.append(unknown_table(step, step.target.table, step.target.conn_id, "target.table"))
    field = "source.sql" if step.source.sql is not None else "source.table"
    if output is not None and target_table is not None and has_columns(target_table):
        findings += _column_findings(
            step, output, target_table, source=source, target_side=target, field=field
        )
    findings += _key_findings(step, output, target_table)
    return TransferCheck(findings, reads)
