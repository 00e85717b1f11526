"""ClickHouse: the catalog from system.tables and system.columns (three queries in all).

A ClickHouse "schema" is a database. The primary key is an expression list (`toDate(ts), id`) that
does not make rows unique; the catalog keeps the parts that are plain columns, in key order, since
those are what a reader can name in SQL. Row counts are total_rows (exact for MergeTree, unknown
for views and engines that do not track it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

_SYSTEM_DATABASES = "('system', 'INFORMATION_SCHEMA', 'information_schema')"

# pyformat parameters: the hook's DB-API cursor binds them client-side.
_FILTER = f"database NOT IN {_SYSTEM_DATABASES} AND (%(all)s OR has(%(databases)s, database))"

_TABLES = f"""
SELECT database, name, engine, total_rows, comment, primary_key
FROM system.tables
WHERE NOT is_temporary AND {_FILTER}
ORDER BY database, name
"""

_COLUMNS = f"""
SELECT database, table, name, type, default_kind, default_expression, comment
FROM system.columns
WHERE {_FILTER}
ORDER BY database, table, position
"""

_KINDS = {"View": "view", "MaterializedView": "materialized_view", "LiveView": "view", "WindowView": "view"}


def _is_nullable(type_: str) -> bool:
    """Nullable(T), also under LowCardinality; Array(Nullable(T)) itself is never NULL."""
    return type_.removeprefix("LowCardinality(").startswith("Nullable(")


def _default(kind: str, expression: str) -> str | None:
    """DEFAULT shows its expression; MATERIALIZED/ALIAS/EPHEMERAL say so (no value can be inserted)."""
    if not kind:
        return None
    return expression if kind == "DEFAULT" else f"{kind.lower()} {expression}".rstrip()


def _key_parts(expression: str) -> list[str]:
    """The top-level, comma-separated parts of a key expression, unquoted when they are identifiers."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in expression:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    parts.append("".join(current).strip())
    return [part.strip("`") for part in parts if part]


def read_clickhouse_catalog(
    hook: DbApiHook, *, conn_id: str, schemas: Sequence[str] | None = None
) -> SchemaCatalog:
    """The catalog behind a ClickHouseHook; `schemas` (database names) limits it to those."""
    params: dict[str, Any] = {"all": schemas is None, "databases": list(schemas or [])}
    with closing(hook.get_conn()) as connection, closing(connection.cursor()) as cursor:
        cursor.execute("SELECT currentDatabase()")
        default_database = cursor.fetchone()[0]
        cursor.execute(_TABLES, params)
        relations = cursor.fetchall()
        cursor.execute(_COLUMNS, params)
        column_rows = cursor.fetchall()

    columns: dict[tuple[str, str], list[Column]] = defaultdict(list)
    for database, table, name, type_, default_kind, default_expression, comment in column_rows:
        columns[(database, table)].append(
            Column(
                name=name,
                type=type_,
                nullable=_is_nullable(type_),
                default=_default(default_kind, default_expression),
                comment=comment or None,
            )
        )
    tables = []
    for database, name, engine, total_rows, comment, primary_key in relations:
        table_columns = columns[(database, name)]
        names = {column.name for column in table_columns}
        tables.append(
            Table(
                name=name,
                schema_name=database,
                kind=_KINDS.get(engine, "table"),
                columns=table_columns,
                primary_key=[part for part in _key_parts(primary_key) if part in names],
                row_count=total_rows,
                comment=comment or None,
            )
        )
    return SchemaCatalog(
        conn_id=conn_id, dialect="clickhouse", default_schema=default_database, tables=tables
    )
