"""Connections for reading: where the engine can, the database itself refuses writes in them.

Defence in depth behind validation's read-safety rules (validation/readsafety.py): should a
write slip past them, a source read, a dry run or a quality check still cannot change data.
PostgreSQL sessions are made read-only (`lo_export` writes a server file even so, which is why
validation refuses it by name); ClickHouse clients get `readonly = 2` (reads, and settings for the
query only).
"""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: Makes every later transaction of a PostgreSQL session read-only (the current one is committed).
READ_ONLY_SESSION = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"

#: ClickHouse settings of a read-only client: reads, and settings changed for one query only.
READ_ONLY_CLICKHOUSE_SETTINGS = {"readonly": "2"}

#: `hook_params` making the hook of a common-sql operator (SQLTableCheckOperator) read-only, for
#: DAG files, which cannot call `read_only_connection`. Each hook takes its own key and ignores
#: the others: PostgresHook the libpq `options`, our ClickHouseHook the `settings`.
READ_ONLY_HOOK_PARAMS = {
    "options": "-c default_transaction_read_only=on",
    "settings": READ_ONLY_CLICKHOUSE_SETTINGS,
}


def read_only_connection(hook: DbApiHook) -> Any:
    """`hook.get_conn()`, made read-only where the engine has a way."""
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

    conn = hook.get_conn()
    if isinstance(hook, ClickHouseHook):
        ClickHouseHook.apply_settings(conn.client, READ_ONLY_CLICKHOUSE_SETTINGS)
    elif getattr(hook, "dialect_name", None) in ("postgresql", "postgres"):
        with closing(conn.cursor()) as cursor:
            cursor.execute(READ_ONLY_SESSION)
        conn.commit()
    return conn


def read_first_row(hook: DbApiHook, sql: str) -> Any:
    """The first row of one read statement run on a read-only connection (None without rows)."""
    conn = read_only_connection(hook)
    try:
        with closing(conn.cursor()) as cursor:
            cursor.execute(sql)
            return cursor.fetchone()
    finally:
        conn.close()
