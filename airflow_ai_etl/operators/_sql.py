"""SQL plumbing of our operators: a connection's DB-API hook, quoted identifiers, statements.

Values never enter this text; they travel as parameters through the driver's placeholder.
Identifiers are quoted with the hook's `escape_word_format` (`"{}"` unless a connection says
otherwise), so reserved words and odd column names from a source query work as names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook


def db_hook(conn_id: str, field: str) -> DbApiHook:
    """The SQL hook of a connection, or an error naming the operator field that holds its id."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    hook = BaseHook.get_hook(conn_id)
    if not isinstance(hook, DbApiHook):
        raise ValueError(f"{field}: connection {conn_id!r} has no SQL (DB-API) hook")
    return hook


def quote_identifier(name: str, escape_format: str = '"{}"') -> str:
    """One identifier, quoted; a closing quote character inside it is doubled."""
    opening, _, closing = escape_format.partition("{}")
    if closing:
        name = name.replace(closing, closing * 2)
    return f"{opening}{name}{closing}"


def quote_table(table: str, escape_format: str = '"{}"') -> str:
    """A table name, optionally qualified (schema.table, catalog.schema.table), quoted part by part."""
    return ".".join(quote_identifier(part, escape_format) for part in table.split("."))


def source_select(sql: str | None, table: str | None, escape_format: str) -> str:
    """The SELECT a source step reads: its own SQL without a trailing ';', or all of its table."""
    if table is not None:
        return f"SELECT * FROM {quote_table(table, escape_format)}"
    return str(sql).strip().rstrip(";").rstrip()


def column_list(columns: Sequence[str], escape_format: str) -> str:
    return ", ".join(quote_identifier(c, escape_format) for c in columns)


def insert_statement(table: str, columns: Sequence[str], placeholder: str, escape_format: str) -> str:
    values = ", ".join([placeholder] * len(columns))
    return (
        f"INSERT INTO {quote_table(table, escape_format)} ({column_list(columns, escape_format)}) "
        f"VALUES ({values})"
    )


#: Target dialects (as DbApiHook.dialect_name reports them) whose INSERT knows ON CONFLICT.
UPSERT_DIALECTS = ("postgresql", "postgres", "sqlite")


def require_upsert(target: DbApiHook, field: str) -> None:
    """Refuse, naming the operator field, a target whose dialect upsert_statement cannot serve."""
    if target.dialect_name not in UPSERT_DIALECTS:
        raise ValueError(
            f"{field}: upsert by key needs INSERT ... ON CONFLICT, built for PostgreSQL and SQLite "
            f"targets only; this connection is {target.dialect_name!r}"
        )


def upsert_statement(
    table: str, columns: Sequence[str], key: Sequence[str], placeholder: str, escape_format: str
) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE: PostgreSQL and SQLite (3.24+) syntax."""
    insert = insert_statement(table, columns, placeholder, escape_format)
    return f"{insert} {conflict_clause(columns, key, escape_format)}"


def conflict_clause(columns: Sequence[str], key: Sequence[str], escape_format: str) -> str:
    """`ON CONFLICT (key) DO UPDATE SET ...` (or `DO NOTHING` when every column is in the key)."""
    updates = [
        f"{quote_identifier(c, escape_format)} = EXCLUDED.{quote_identifier(c, escape_format)}"
        for c in columns
        if c not in key
    ]
    action = "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"
    return f"ON CONFLICT ({column_list(key, escape_format)}) {action}"
