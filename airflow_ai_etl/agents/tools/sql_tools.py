"""Tools that judge or translate SQL text without running it."""

from __future__ import annotations

from typing import Any, Literal

import sqlglot
from sqlglot.errors import ErrorLevel, SqlglotError

from airflow_ai_etl.agents.tools.context import ToolContext, ToolError
from airflow_ai_etl.agents.tools.result import tool
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.validation.report import Severity
from airflow_ai_etl.validation.sql import check_sql


@tool
def validate_sql(
    ctx: ToolContext, conn_id: str, sql: str, role: Literal["read", "write"] = "read"
) -> dict[str, Any]:
    """Check one SQL statement for a connection: it parses in the dialect, is allowed for its role,
    and names only tables and columns the connection has. Nothing is executed.

    Args:
        conn_id: the Airflow connection id the SQL runs on.
        sql: one statement.
        role: 'read' for a transfer's source query, 'write' for a sql step (INSERT, MERGE, CREATE ...).
    """
    catalog = ctx.catalogs.get(conn_id)
    ctx.require_conn(conn_id)
    findings = check_sql(sql, dialect=ctx.dialect(conn_id), role=role, catalog=catalog)
    return {
        "valid": not any(f.severity is Severity.ERROR for f in findings),
        "schema_checked": catalog is not None,
        "findings": [f.model_dump(mode="json", exclude_none=True) for f in findings],
    }


@tool
def transpile_sql(ctx: ToolContext, sql: str, from_dialect: str, to_dialect: str) -> dict[str, Any]:
    """Translate SQL from one dialect to another (sqlglot), e.g. postgres -> clickhouse.

    Args:
        sql: the SQL text (one or more statements).
        from_dialect: sqlglot dialect it is written in (postgres, sqlite, mysql, clickhouse, spark, ...).
        to_dialect: sqlglot dialect to write.
    """
    with deep_nesting():
        try:
            statements = sqlglot.transpile(
                sql,
                read=from_dialect or None,
                write=to_dialect or None,
                pretty=True,
                error_level=ErrorLevel.RAISE,
                unsupported_level=ErrorLevel.RAISE,
            )
        except (SqlglotError, ValueError) as err:
            raise ToolError(f"cannot transpile from {from_dialect!r} to {to_dialect!r}: {err}") from None
    return {"sql": ";\n".join(statements), "statements": len(statements)}
