"""Connections for reading: where the engine can, the database itself refuses writes in them.

Defence in depth behind validation's read-safety rules (validation/readsafety.py): should a
write slip past them, a source read, a dry run or a quality check still cannot change data.
PostgreSQL sessions are made read-only (`lo_export` writes a server file even so, which is why
validation refuses it by name); ClickHouse clients get `readonly = 2` (reads, and settings for the
query only); SQLite connections get an authorizer that refuses every change outside the
connection's own TEMP database (`PRAGMA query_only` would also refuse the TEMP view the transfer's
column-type probe makes), and ATTACH.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: Makes every later transaction of a PostgreSQL session read-only (the current one is committed).
READ_ONLY_SESSION = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"

#: ClickHouse settings of a read-only client: reads, and settings changed for one query only.
READ_ONLY_CLICKHOUSE_SETTINGS = {"readonly": "2"}

#: SQLite authorizer actions that change a database; allowed only on the connection's TEMP database.
_SQLITE_CHANGES = frozenset(
    {
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_DROP_TRIGGER,
        sqlite3.SQLITE_ALTER_TABLE,
        sqlite3.SQLITE_CREATE_VTABLE,
        sqlite3.SQLITE_DROP_VTABLE,
        sqlite3.SQLITE_REINDEX,
        sqlite3.SQLITE_ANALYZE,
    }
)
_SQLITE_NEVER = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})


def _sqlite_reads_only(
    action: int, arg1: str | None, arg2: str | None, database: str | None, _: object
) -> int:
    """sqlite3 authorizer: changes only to TEMP objects, never ATTACH/DETACH."""
    if action in _SQLITE_NEVER or (action in _SQLITE_CHANGES and database != "temp"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def make_read_only(hook: DbApiHook, conn: Any) -> Any:
    """`conn`, a connection `hook` just opened, made read-only where the engine has a way."""
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

    if isinstance(hook, ClickHouseHook):
        ClickHouseHook.apply_settings(conn.client, READ_ONLY_CLICKHOUSE_SETTINGS)
    elif getattr(hook, "dialect_name", None) in ("postgresql", "postgres"):
        with closing(conn.cursor()) as cursor:
            cursor.execute(READ_ONLY_SESSION)
        conn.commit()
    elif isinstance(conn, sqlite3.Connection):
        conn.set_authorizer(_sqlite_reads_only)
    return conn


def read_only_connection(hook: DbApiHook) -> Any:
    """`hook.get_conn()`, made read-only where the engine has a way."""
    return make_read_only(hook, hook.get_conn())


def read_first_row(hook: DbApiHook, sql: str) -> Any:
    """The first row of one read statement run on a read-only connection (None without rows)."""
    conn = read_only_connection(hook)
    try:
        with closing(conn.cursor()) as cursor:
            cursor.execute(sql)
            return cursor.fetchone()
    finally:
        conn.close()
