"""File step checks: the path is a usable location, the options fit the format, the target table
and its columns exist (loads), the source query is read-only and resolves (exports).

Validation reads no file: what is in a file is known only when it runs (the file catalog,
catalog/files.py, infers it for generation). So a load's columns are checked when the step names
them, and otherwise only the key against the target table.

Finding codes (errors unless noted):
- `file.path_invalid` - not an absolute local path or s3://bucket/key, a '..' part, a glob outside
  the last part, or (exports) a prefix or glob where one file is written.
- `file.format_mismatch` (warning) - the file name's suffix says another format (`.csv` read as parquet).
- `file.storage_conn_invalid` - a storage connection on a local path, or one that is not an AWS
  connection (type `aws`).
- `sql.unknown_table` (field `target.table` or `source.table`), `sql.unknown_column` (field
  `columns`), `transfer.key_missing` (field `key`), `transfer.target_column_required` (warning):
  as for transfers; the source query of an export has the `sql.*` codes of a read query.
"""

from __future__ import annotations

from airflow_ai_etl.files.locations import Location, LocationError, export_location, parse_location
from airflow_ai_etl.spec.models import FileExportStep, FileLoadStep
from airflow_ai_etl.validation.context import ValidationContext
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns
from airflow_ai_etl.validation.transfer import Side, TransferCheck, source_findings

#: Suffixes that name a format, after any compression suffix is taken off.
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COMPRESSION_SUFFIXES = (".gz", ".gzip", ".zst", ".zstd")
#: Connection types whose hook is the amazon provider's (S3Hook takes an `aws` connection).
_AWS_CONN_TYPES = ("aws",)


def _error(step: FileLoadStep | FileExportStep, code: str, message: str, field: str, hint: str) -> Finding:
    return Finding(
        severity=Severity.ERROR, code=code, message=message, step_id=step.id, field=field, hint=hint
    )


def suffix_format(name: str) -> str | None:
    """The format a file name's suffix names (`orders.csv.gz` -> csv), or None."""
    lowered = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        lowered = lowered.removesuffix(suffix)
    dot = lowered.rfind(".")
    return _SUFFIX_FORMATS.get(lowered[dot:]) if dot >= 0 else None


def _location_findings(
    step: FileLoadStep | FileExportStep, context: ValidationContext
) -> tuple[Location | None, list[Finding]]:
    findings: list[Finding] = []
    try:
        location = (
            export_location(step.path) if isinstance(step, FileExportStep) else parse_location(step.path)
        )
    except LocationError as error:
        hint = "use /absolute/path/file.csv or s3://bucket/key"
        return None, [_error(step, "file.path_invalid", str(error), "path", hint)]
    named = suffix_format(location.name) if not location.key.endswith("/") else None
    if named is not None and named != step.format.value:
        findings.append(
            Finding(
                severity=Severity.WARNING,
                code="file.format_mismatch",
                message=f"{step.path} looks like a {named} file, but the step reads it as "
                f"{step.format.value}",
                step_id=step.id,
                field="format",
            )
        )
    if step.storage_conn_id is not None:
        info = context.connections.get(step.storage_conn_id)
        if not location.is_s3:
            findings.append(
                _error(
                    step,
                    "file.storage_conn_invalid",
                    f"storage_conn_id {step.storage_conn_id!r} is given for the local path {step.path}",
                    "storage_conn_id",
                    "remove it: local paths need no connection",
                )
            )
        elif info is not None and info.conn_type.lower() not in _AWS_CONN_TYPES:
            findings.append(
                _error(
                    step,
                    "file.storage_conn_invalid",
                    f"connection {step.storage_conn_id!r} has type {info.conn_type!r}, not an AWS connection",
                    "storage_conn_id",
                    "name a connection of type 'aws' (S3 is reached through the amazon provider)",
                )
            )
    return location, findings


def check_file_load(step: FileLoadStep, context: ValidationContext, target: Side) -> list[Finding]:
    """Findings about a file_load step; `target` is the target connection as validation knows it."""
    _, findings = _location_findings(step, context)
    if target.catalog is None:
        return findings
    table = target.catalog.find_table(step.target.table)
    if table is None:
        findings.append(
            _error(
                step,
                "sql.unknown_table",
                f"table {step.target.table} does not exist on connection {step.target.conn_id}",
                "target.table",
                "create it in an earlier sql step, or name an existing table",
            )
        )
        return findings
    if not has_columns(table):
        return findings
    known = ", ".join(c.name for c in table.columns)
    for name in step.columns or []:
        if table.column(name) is None:
            message = f"column {name} does not exist in {table.qualified_name}"
            findings.append(_error(step, "sql.unknown_column", message, "columns", f"columns are: {known}"))
    for name in step.key:
        if table.column(name) is None:
            message = f"key column {name} is not in target table {table.qualified_name}"
            findings.append(_error(step, "transfer.key_missing", message, "key", f"columns are: {known}"))
    if step.columns is not None:
        given = {c.lower() for c in step.columns}
        for column in table.columns:
            if not column.nullable and column.default is None and column.name.lower() not in given:
                findings.append(
                    Finding(
                        severity=Severity.WARNING,
                        code="transfer.target_column_required",
                        message=f"target column {table.qualified_name}.{column.name} is NOT NULL without a "
                        "default, and 'columns' does not fill it",
                        step_id=step.id,
                        field="columns",
                    )
                )
    return findings


def check_file_export(step: FileExportStep, context: ValidationContext, source: Side) -> TransferCheck:
    """Findings about a file_export step, and the tables its source reads."""
    _, findings = _location_findings(step, context)
    more, reads, _ = source_findings(step, source)
    return TransferCheck([*findings, *more], reads)
