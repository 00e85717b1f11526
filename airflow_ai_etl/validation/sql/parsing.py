"""Text to one statement: the dialect, the parse, and parse errors worded for a person.

Whatever the text, the outcome is a statement or findings, never an exception: sqlglot's own
errors, recursion on deep nesting and texts too large to check in bounded time all become
findings.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error, warning

#: Larger texts are refused before parsing: parsing alone takes seconds per 100 KB.
MAX_SQL_CHARS = 256 * 1024


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
    """The one statement of `sql`, or findings. Call it inside `sql_depth.deep_nesting()`, and walk
    the tree there too: a deeply nested statement would fail outside it."""
    if len(sql) > MAX_SQL_CHARS:
        message = f"SQL is {len(sql):,} characters long; at most {MAX_SQL_CHARS:,} are checked"
        return None, [error("sql.too_large", message, "split it into smaller statements or steps")]
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE) if s]
    except (ParseError, TokenError) as exc:
        message = f"SQL does not parse as {dialect or 'generic SQL'}: {parse_message(exc)}"
        return None, [error("sql.parse_error", message, "fix the syntax for the connection's database")]
    except RecursionError:
        message = "SQL is nested too deeply to be checked"
        return None, [error("sql.too_complex", message, "flatten nested subqueries into CTEs")]
    except (SqlglotError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # sqlglot failing on an input it did not foresee: the text cannot be checked
        message = f"SQL could not be parsed as {dialect or 'generic SQL'}: {type(exc).__name__}: {exc}"
        return None, [error("sql.parse_error", message.splitlines()[0])]
    if not statements:
        return None, [error("sql.parse_error", "SQL is empty")]
    if len(statements) > 1:
        message = f"SQL holds {len(statements)} statements; a step runs exactly one"
        return None, [error("sql.multiple_statements", message, "split it into one step per statement")]
    return statements[0], []
