"""The entry points: one SQL text in, its findings and what validation needs next out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.tokenizer_core import TokenType

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec.models import DestructiveGrant
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.validation.grants import grant_scope_findings
from airflow_ai_etl.validation.readsafety import read_safety_findings
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.sql.columns import column_findings, sqlglot_schema, target_column_findings
from airflow_ai_etl.validation.sql.findings import error, warning
from airflow_ai_etl.validation.sql.output import created_table, output_columns
from airflow_ai_etl.validation.sql.parsing import parse_message, parse_one, resolve_dialect
from airflow_ai_etl.validation.sql.rules import check_rules
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog
from airflow_ai_etl.validation.sql.statements import READ_ROOTS, Role, statement_findings
from airflow_ai_etl.validation.sql.tables import tables_touched, target_table, unknown_table_findings

#: Column, type and rule checks cost more than linear time in sqlglot's qualify on huge trees
#: (10,000 OR terms: minutes); above this many nodes they are skipped, with a warning.
MAX_CHECKED_NODES = 5000


@dataclass(frozen=True)
class SqlAnalysis:
    """Everything validation learns from one SQL text."""

    findings: list[Finding]
    #: Tables read and written, as written in the SQL (`schema.table` or `table`, lower-case).
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    #: The table or view a CREATE statement makes (columns empty when they cannot be known).
    created: Table | None = None
    #: A query's output columns with types in the dialect ("" = unknown); None when not known.
    output: list[Column] | None = None


def check_sql(
    sql: str,
    *,
    dialect: str,
    role: Role,
    grants: Sequence[DestructiveGrant] = (),
    catalog: SchemaCatalog | None = None,
) -> list[Finding]:
    """Findings for one SQL text in a step of `role` (empty list: the SQL is acceptable).

    Without a catalog only the syntax and statement rules are checked.
    """
    return analyze_sql(sql, dialect=dialect, role=role, grants=grants, catalog=catalog).findings


@deep_nesting()
def analyze_sql(
    sql: str,
    *,
    dialect: str,
    role: Role,
    grants: Sequence[DestructiveGrant] = (),
    catalog: SchemaCatalog | None = None,
) -> SqlAnalysis:
    """check_sql's findings plus what validation needs next (tables touched, output, created table)."""
    read_dialect, findings = resolve_dialect(dialect)
    statement, parse_findings = parse_one(sql, read_dialect)
    findings += parse_findings
    if statement is None:
        return SqlAnalysis(findings)
    findings += statement_findings(statement, role, grants, catalog)
    findings += read_safety_findings(statement, read_dialect, catalog)
    if role == "write":
        findings += grant_scope_findings(statement, grants, catalog)
    reads, writes = tables_touched(statement)
    if any(f.severity is Severity.ERROR for f in findings) or catalog is None:
        # A refused statement is not analysed further: its tree is not trusted.
        return SqlAnalysis(findings, reads, writes, created=created_table(statement, None, read_dialect))
    schema_findings, output, created = _schema_analysis(sql, statement, catalog, read_dialect)
    return SqlAnalysis(findings + schema_findings, reads, writes, created=created, output=output)


@deep_nesting()
def check_condition(
    condition: str, *, table: str, dialect: str, catalog: SchemaCatalog | None = None
) -> list[Finding]:
    """Findings for a quality check's row condition (e.g. `amount >= 0`) over `table`."""
    read_dialect, findings = resolve_dialect(dialect)

    def invalid(message: str) -> list[Finding]:
        return [
            *findings,
            error(
                "quality.condition_invalid",
                message,
                "write one boolean expression over the table's columns, e.g. 'amount >= 0'",
            ),
        ]

    try:
        tokens = sqlglot.tokenize(condition, read=read_dialect)
        if any(token.token_type is TokenType.SEMICOLON for token in tokens):
            return invalid(f"condition {condition!r} contains ';': it must be one expression")
        parsed = sqlglot.parse_one(condition, read=read_dialect, into=exp.Condition)
    except (ParseError, TokenError) as exc:
        return invalid(f"condition {condition!r} is not one SQL expression: {parse_message(exc)}")
    except RecursionError:
        return invalid(f"condition {condition!r} is nested too deeply to be checked")
    for node in parsed.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.DDL | exp.DML | exp.Command):
            return invalid(f"condition {condition!r} contains a subquery or statement")
        if isinstance(node, exp.AggFunc | exp.Window):
            return invalid(
                f"condition {condition!r} uses an aggregate or window function; it is checked row by row"
            )
    unsafe = read_safety_findings(parsed, read_dialect, catalog)
    if unsafe:
        return findings + unsafe
    if catalog is None:
        return findings
    query = exp.select("1").from_(exp.to_table(table, dialect=read_dialect)).where(parsed)
    columns, qualified = column_findings(query, catalog, read_dialect)
    findings += columns
    if qualified is None or columns:
        return findings
    try:
        typed = annotate_types(qualified, schema=sqlglot_schema(catalog, read_dialect), dialect=read_dialect)
    except SqlglotError:
        return findings  # the type is not known; the database will say at run time
    predicate = typed.args["where"].this
    if predicate.type is not None and not predicate.type.is_type(
        exp.DType.BOOLEAN, exp.DType.UNKNOWN, exp.DType.NULL
    ):
        return invalid(f"condition {condition!r} is of type {predicate.type.sql(read_dialect)}, not boolean")
    return findings


def _row_query(node: exp.Update | exp.Delete) -> exp.Select:
    """UPDATE/DELETE as the SELECT that reads the same rows, so scopes resolve its columns."""
    target = target_table(node)
    assert target is not None  # parsed UPDATE/DELETE always name a table
    values = [eq.expression.copy() for eq in node.expressions if isinstance(eq, exp.EQ)]
    query = exp.select(*(values or [exp.Literal.number(1)])).from_(target.copy())
    extra = node.args.get("from_") or node.args.get("using")
    for source in [extra.this] if isinstance(extra, exp.From) else (extra or []):
        query = query.join(source.copy())
    where = node.args.get("where")
    return query.where(where.this.copy()) if where is not None else query


def _schema_analysis(
    sql: str, root: exp.Expr, catalog: SchemaCatalog, dialect: str | None
) -> tuple[list[Finding], list[Column] | None, Table | None]:
    findings = unknown_table_findings(root, catalog)
    if findings:
        return findings, None, created_table(root, None, dialect)
    size = sum(1 for _ in root.walk())
    if size > MAX_CHECKED_NODES:
        message = (
            f"the statement has {size:,} syntax nodes; columns and types are checked up to "
            f"{MAX_CHECKED_NODES:,}, so they were not checked"
        )
        return [warning("sql.too_complex", message)], None, created_table(root, None, dialect)
    try:
        return _checked(sql, root, catalog, dialect)
    except RecursionError:
        message = "the statement is nested too deeply for its columns and types to be checked"
        return [warning("sql.columns_unchecked", message)], None, created_table(root, None, dialect)


def _checked(
    sql: str, root: exp.Expr, catalog: SchemaCatalog, dialect: str | None
) -> tuple[list[Finding], list[Column] | None, Table | None]:
    findings: list[Finding] = target_column_findings(root, catalog)
    query: exp.Expr = root
    if isinstance(root, exp.Update | exp.Delete):
        query = _row_query(root)
    elif isinstance(root, exp.Create) and isinstance(root.expression, exp.Query):
        query = root.expression
    columns, qualified = column_findings(query, catalog, dialect)
    findings += columns
    checked = query if qualified is None else qualified
    findings += check_rules(checked, RuleCatalog.build(sql, dialect, catalog))
    output = None
    if qualified is not None and not columns and isinstance(root, (*READ_ROOTS, exp.Create)):
        output = output_columns(qualified, sqlglot_schema(catalog, dialect), dialect)
    return findings, output, created_table(root, output, dialect)
