"""Tools that answer from the catalogs and Airflow's connection list; no query reaches a database."""

from __future__ import annotations

from typing import Any

from airflow_ai_etl.agents.tools.context import ToolContext, ToolError
from airflow_ai_etl.agents.tools.joins import join_path
from airflow_ai_etl.agents.tools.result import plain, tool
from airflow_ai_etl.catalog.models import Table
from airflow_ai_etl.validation.validate import validate_document

#: Longest comment shown per table in a listing (the full one is in get_table_schema).
_LISTING_COMMENT = 200


def resolve_table(ctx: ToolContext, conn_id: str, name: str) -> Table:
    table = ctx.catalog(conn_id).find_table(name)
    if table is None:
        raise ToolError(f"connection {conn_id!r} has no table {name!r}; list_tables shows what it has")
    return table


@tool
def list_connections(ctx: ToolContext) -> list[dict[str, str]]:
    """The connections this request may use: id, type and SQL dialect (never host, login or password)."""
    infos = [ctx.connection(conn_id) for conn_id in ctx.conn_ids()]
    return [{"conn_id": i.conn_id, "conn_type": i.conn_type, "dialect": i.dialect} for i in infos]


@tool
def list_tables(
    ctx: ToolContext, conn_id: str, name_contains: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """Tables of a connection (name, kind, column count, approximate rows, comment), by name.

    Args:
        conn_id: the Airflow connection id.
        name_contains: only tables whose qualified name contains this text (case-insensitive).
        limit: at most this many tables (a catalog may hold thousands).
    """
    needle = (name_contains or "").lower()
    tables = [t for t in ctx.catalog(conn_id).tables if needle in t.qualified_name.lower()]
    tables.sort(key=lambda t: t.qualified_name)
    shown = tables[: max(0, min(limit, ctx.max_rows))]
    return {
        "total": len(tables),
        "truncated": len(shown) < len(tables),
        "tables": [
            {
                "name": t.qualified_name,
                "kind": t.kind,
                "columns": len(t.columns),
                "row_count": t.row_count,
                "comment": (t.comment or "")[:_LISTING_COMMENT] or None,
            }
            for t in shown
        ],
    }


@tool
def get_table_schema(ctx: ToolContext, conn_id: str, table: str) -> dict[str, Any]:
    """Columns (name, type, nullable, comment), primary key, foreign keys and comment of one table.

    Args:
        conn_id: the Airflow connection id.
        table: table name, optionally schema-qualified.
    """
    found = resolve_table(ctx, conn_id, table)
    data: dict[str, Any] = found.model_dump(mode="json")
    data["qualified_name"] = found.qualified_name
    data["comment"] = plain(found.comment)
    for column in data["columns"]:
        column["comment"] = plain(column["comment"])
    return data


@tool
def find_join_path(ctx: ToolContext, conn_id: str, from_table: str, to_table: str) -> dict[str, Any]:
    """The shortest chain of foreign-key joins from one table to another, with the join columns.

    Args:
        conn_id: the Airflow connection id.
        from_table: where the path starts.
        to_table: where it ends.
    """
    catalog = ctx.catalog(conn_id)
    try:
        joins = join_path(catalog, from_table, to_table)
    except KeyError as err:
        raise ToolError(f"connection {conn_id!r} has no table {err.args[0]!r}") from None
    if joins is None:
        raise ToolError(f"no foreign-key path joins {from_table!r} and {to_table!r}")
    return {
        "joins": [
            {
                "left_table": j.left_table,
                "left_columns": list(j.left_columns),
                "right_table": j.right_table,
                "right_columns": list(j.right_columns),
                "condition": j.condition(),
            }
            for j in joins
        ]
    }


@tool
def check_spec(ctx: ToolContext, spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a PipelineSpec (as JSON) against the schema and the real catalogs; the findings.

    Args:
        spec: the pipeline spec as a JSON object.
    """
    _, report = validate_document(spec, context=ctx.validation_context())
    return {
        "valid": report.ok,
        "findings": [f.model_dump(mode="json", exclude_none=True) for f in report.findings],
    }
