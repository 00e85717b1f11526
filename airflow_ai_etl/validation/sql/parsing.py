"""Text to one statement: the dialect, the parse, and parse errors worded for a person."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error, warning


def resolve_dialect(dialect: str) -> tuple[str | None, list[Finding]]:
    if not dialect:
        return None, []
    try:
        Dialect.get_or_raise(dialect)
    except ValueError:
        return None, [
            warning("sql.dialect_unknown", f"sqlglot knows no dialect {dialect!r}; read as generic SQL")
        ]
    return dialect, []


def parse_message(exc: SqlglotError) -> str:
    errors = getattr(exc, "errors", None)
    if not errors:
        return str(exc).splitlines()[0]
    first = errors[0]
    text = str(first.get("description") or exc)
    if first.get("line"):
        text += f" at line {first['line']}, column {first['col']}"
    if first.get("highlight"):
        text += f" near {first['highlight']!r}"
    return text


def parse_one(sql: str, dialect: str | None) -> tuple[exp.Expr | None, list[Finding]]:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE) if s]
    except (ParseError, TokenError) as exc:
        message = f"SQL does not parse as {dialect or 'generic SQL'}: {parse_message(exc)}"
        return None, [error("sql.parse_error", message, "fix the syntax for the connection's database")]
    if not statements:
        return None, [error("sql.parse_error", "SQL is empty")]
    if len(statements) > 1:
        message = f"SQL holds {len(statements)} statements; a step runs exactly one"
        return None, [error("sql.multiple_statements", message, "split it into one step per statement")]
    return statements[0], []
