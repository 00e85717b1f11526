"""spark_sql step checks: Spark SQL in sqlglot's `spark` dialect, against the Spark (Hive) catalog.

A step with `target_table` runs a read query (the `read` allowlist of validation/sql/statements.py)
whose rows are written to that table; one without runs one statement (the `write` allowlist). On top of those,
Spark SQL can reach outside the catalog, which a spec never may:

- `spark.statement_not_allowed` - `TRANSFORM ... USING` (runs a program on every executor),
  `reflect` / `java_method` (call any Java method), `INSERT OVERWRITE [LOCAL] DIRECTORY` and
  `CREATE TABLE ... LOCATION` (write files outside the warehouse).
- `spark.path_relation` - a file read as a table (parquet.`/path`, csv.`s3://...`).

And against the target table, when the catalog knows it (errors):
- `spark.column_mismatch` - the query's columns are not the target's columns (rows are written by
  name: every target column must come from the query, and nothing else).
- `spark.partition_mismatch` - `partition_by` differs from the target's partition columns, or
  names a column the query does not yield.
- `spark.overwrite_reads_target` - `overwrite_partitions` reading the table it overwrites (Spark
  refuses it; `overwrite` writes aside and may).
The `sql.*` codes come from the validation/sql/ package (field `sql`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import SparkSqlStep, SparkWriteMode
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.schema import has_columns, same_table, split_table_name
from airflow_ai_etl.validation.sql import Role, analyze_sql

DIALECT = "spark"
#: Functions that call into the JVM by name: any class, any static method.
_JVM_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})
#: `format`.`path` relations: Spark reads the file at path directly.
_FILE_FORMATS = frozenset({"parquet", "csv", "json", "orc", "text", "avro", "binaryfile", "delta", "xml"})


@dataclass(frozen=True)
class SparkCheck:
    findings: list[Finding]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    #: A table the step creates (a target the catalog does not hold yet, or CREATE TABLE).
    created: Table | None


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _escapes(root: exp.Expr) -> list[tuple[str, str]]:
    """(code, message) for every part of the tree that reaches outside Spark's catalog."""
    found: list[tuple[str, str]] = []
    for node in root.walk():
        if isinstance(node, exp.QueryTransform):
            found.append(("spark.statement_not_allowed", "TRANSFORM ... USING runs an external program"))
        elif isinstance(node, exp.Func) and _function_name(node) in _JVM_FUNCTIONS:
            found.append(
                ("spark.statement_not_allowed", f"{_function_name(node)}() calls Java methods by name")
            )
        elif isinstance(node, exp.Directory):
            found.append(("spark.statement_not_allowed", "INSERT ... DIRECTORY writes files outside tables"))
        elif isinstance(node, exp.LocationProperty):
            found.append(
                ("spark.statement_not_allowed", "LOCATION puts a table's files outside the warehouse")
            )
        elif isinstance(node, exp.Table) and node.db.lower() in _FILE_FORMATS and not node.catalog:
            found.append(
                ("spark.path_relation", f"{node.db}.`{node.name}` reads a file directly, not a table")
            )
    return list(dict.fromkeys(found))


def _finding(step: SparkSqlStep, code: str, message: str, field: str, hint: str | None = None) -> Finding:
    return Finding(
        severity=Severity.ERROR, code=code, message=message, step_id=step.id, field=field, hint=hint
    )


def _target_findings(
    step: SparkSqlStep, output: list[Column] | None, target: Table | None, reads: tuple[str, ...]
) -> list[Finding]:
    findings: list[Finding] = []
    names = [c.name.lower() for c in output] if output is not None else None
    if target is not None and has_columns(target) and names is not None:
        wanted = [c.name.lower() for c in target.columns]
        missing = [c for c in wanted if c not in names]
        extra = [c for c in names if c not in wanted]
        if missing or extra:
            parts = [f"missing {', '.join(missing)}"] if missing else []
            parts += [f"not in the table: {', '.join(extra)}"] if extra else []
            findings.append(
                _finding(
                    step,
                    "spark.column_mismatch",
                    f"the query's columns do not match {target.qualified_name} ({'; '.join(parts)})",
                    "sql",
                    f"select exactly the columns {', '.join(c.name for c in target.columns)} (by name)",
                )
            )
    partition_by = [c.lower() for c in step.partition_by]
    if target is not None and partition_by:
        existing = [c.lower() for c in target.partition_columns]
        if partition_by != existing:
            findings.append(
                _finding(
                    step,
                    "spark.partition_mismatch",
                    f"partition_by {step.partition_by} differs from the partition columns of "
                    f"{target.qualified_name} ({target.partition_columns or 'none'})",
                    "partition_by",
                    f"use partition_by: {target.partition_columns}" if existing else "omit partition_by",
                )
            )
    elif names is not None:
        absent = [c for c in step.partition_by if c.lower() not in names]
        if absent:
            findings.append(
                _finding(
                    step,
                    "spark.partition_mismatch",
                    f"partition_by column(s) {', '.join(absent)} are not among the query's columns",
                    "partition_by",
                )
            )
    target_name = step.target_table or ""
    if step.mode is SparkWriteMode.OVERWRITE_PARTITIONS and any(
        same_table(read, target_name, None) for read in reads
    ):
        findings.append(
            _finding(
                step,
                "spark.overwrite_reads_target",
                f"the query reads {target_name}, which overwrite_partitions overwrites in place",
                "sql",
                "use mode overwrite (it writes aside, then swaps), or read from another table",
            )
        )
    return findings


def _new_target(step: SparkSqlStep, output: list[Column] | None, catalog: SchemaCatalog | None) -> Table:
    assert step.target_table is not None
    schema, name = split_table_name(step.target_table)
    default = catalog.default_schema if catalog is not None else None
    return Table(
        name=name,
        schema_name=schema or default,
        columns=output or [],
        partition_columns=list(step.partition_by),
    )


def _with_partitions(created: Table | None, root: exp.Expr | None) -> Table | None:
    """A CREATE TABLE's partition columns: `PARTITIONED BY (day)` names columns, while Hive's
    `PARTITIONED BY (day STRING)` also defines them (after the others, as Spark orders them)."""
    prop = root.find(exp.PartitionedByProperty) if isinstance(root, exp.Create) else None
    if created is None or prop is None or not isinstance(prop.this, exp.Schema):
        return created
    names: list[str] = []
    columns = list(created.columns)
    for part in prop.this.expressions:
        names.append(part.name)
        if isinstance(part, exp.ColumnDef) and created.column(part.name) is None:
            kind = part.kind.sql(DIALECT) if isinstance(part.kind, exp.DataType) else ""
            columns.append(Column(name=part.name, type=kind))
    return created.model_copy(update={"columns": columns, "partition_columns": names})


@deep_nesting()
def check_spark_sql(step: SparkSqlStep, catalog: SchemaCatalog | None) -> SparkCheck:
    """Findings for a spark_sql step, the tables it reads and writes, and a table it creates."""
    role: Role = "read" if step.target_table is not None else "write"
    analysis = analyze_sql(step.sql, dialect=DIALECT, role=role, catalog=catalog)
    findings = [f.model_copy(update={"step_id": step.id, "field": "sql"}) for f in analysis.findings]
    try:
        root = sqlglot.parse_one(step.sql, read=DIALECT)
    except SqlglotError:
        root = None  # reported by analyze_sql as sql.parse_error
    if root is not None:
        findings += [_finding(step, code, message, "sql") for code, message in _escapes(root)]
    if step.target_table is None:
        return SparkCheck(findings, analysis.reads, analysis.writes, _with_partitions(analysis.created, root))
    target = catalog.find_table(step.target_table) if catalog is not None else None
    if not any(f.severity is Severity.ERROR for f in findings):
        findings += _target_findings(step, analysis.output, target, analysis.reads)
    created = _new_target(step, analysis.output, catalog) if target is None else None
    return SparkCheck(findings, analysis.reads, (step.target_table.lower(),), created)
