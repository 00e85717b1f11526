"""Tools that read from a connection's database, always through the read-only runner."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from airflow_ai_etl.agents.tools.catalog_tools import resolve_table
from airflow_ai_etl.agents.tools.context import ToolContext, ToolError
from airflow_ai_etl.agents.tools.masking import MASK, is_sensitive, mask_rows
from airflow_ai_etl.agents.tools.readonly import QueryFailed, explain_statement, run_read_only
from airflow_ai_etl.agents.tools.result import plain, tool
from airflow_ai_etl.catalog.models import Table


def _table_expr(table: Table) -> exp.Table:
    return exp.table_(table.name, db=table.schema_name, quoted=True)


def _read(ctx: ToolContext, conn_id: str, query: exp.Query | str, **options: Any) -> Any:
    dialect = ctx.dialect(conn_id)
    sql = query if isinstance(query, str) else query.sql(dialect=dialect or None)
    return run_read_only(
        ctx.get_hook, conn_id, sql, dialect=dialect, timeout_s=ctx.timeout_s, max_rows=ctx.max_rows, **options
    )


@tool
def sample_rows(ctx: ToolContext, conn_id: str, table: str, limit: int = 10) -> dict[str, Any]:
    """A few rows of a table, to see what its values look like. Columns that look like secrets or
    personal data (password, token, email, phone, card, ...) are shown as '***'.

    Args:
        conn_id: the Airflow connection id.
        table: table name, optionally schema-qualified.
        limit: number of rows (capped by the tool's row limit).
    """
    found = resolve_table(ctx, conn_id, table)
    count = max(1, min(limit, ctx.max_rows))
    query = exp.select(exp.Star()).from_(_table_expr(found)).limit(count)
    result = _read(ctx, conn_id, query)
    rows = mask_rows(result.columns, result.rows)
    return {
        "table": found.qualified_name,
        "columns": result.columns,
        "rows": [[plain(v) for v in row] for row in rows],
        "masked_columns": [c for c in result.columns if is_sensitive(c)],
        "truncated": result.truncated or limit > count,
    }


def _profile_query(table: Table, column: str, rows: int, *, with_range: bool) -> exp.Query:
    col = exp.column(column, quoted=True)
    sample = exp.select(col).from_(_table_expr(table)).limit(rows).subquery("_sample")
    measures: list[exp.Expr] = [
        exp.Count(this=exp.Star()),
        exp.Count(this=col.copy()),
        exp.Count(this=exp.Distinct(expressions=[col.copy()])),
    ]
    if with_range:
        measures += [exp.Min(this=col.copy()), exp.Max(this=col.copy())]
    return exp.select(*measures).from_(sample)


@tool
def column_profile(ctx: ToolContext, conn_id: str, table: str, column: str) -> dict[str, Any]:
    """Nulls, distinct values, min and max of one column, over a bounded sample of the table's rows
    ('sampled' says whether the table had more). Min/max are hidden for secret or personal columns.

    Args:
        conn_id: the Airflow connection id.
        table: table name, optionally schema-qualified.
        column: column name.
    """
    found = resolve_table(ctx, conn_id, table)
    known = found.column(column)
    if known is None:
        raise ToolError(f"table {found.qualified_name!r} has no column {column!r}")
    range_error = None
    try:
        result = _read(ctx, conn_id, _profile_query(found, known.name, ctx.profile_rows, with_range=True))
        examined, non_null, distinct, low, high = result.rows[0]
    except QueryFailed as err:  # e.g. no MIN/MAX for booleans or JSON: the counts still help
        range_error = str(err)
        result = _read(ctx, conn_id, _profile_query(found, known.name, ctx.profile_rows, with_range=False))
        (examined, non_null, distinct), low, high = result.rows[0], None, None
    masked = is_sensitive(known.name)
    return {
        "table": found.qualified_name,
        "column": known.name,
        "type": known.type,
        "rows_examined": examined,
        "sampled": examined >= ctx.profile_rows,
        "nulls": examined - non_null,
        "distinct": distinct,
        "min": MASK if masked and low is not None else plain(low),
        "max": MASK if masked and high is not None else plain(high),
        "range_error": range_error,
    }


@tool
def explain_sql(ctx: ToolContext, conn_id: str, sql: str) -> dict[str, Any]:
    """The database's plan for a read query (EXPLAIN, never ANALYZE): proves it would run, without
    running it. Only SELECT queries are accepted.

    Args:
        conn_id: the Airflow connection id.
        sql: one SELECT statement.
    """
    ctx.require_conn(conn_id)
    result = _read(ctx, conn_id, sql, wrap=explain_statement)
    lines = [" | ".join(str(v) for v in row) for row in result.rows]
    return {"plan": [plain(line) for line in lines], "truncated": result.truncated}
