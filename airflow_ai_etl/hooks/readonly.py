"""Connections for reading: where the engine can, the database itself refuses writes in them.

Defence in depth behind validation's read-safety rules (validation/readsafety.py): should a
write slip past them, a source read or a dry run still cannot change data. PostgreSQL sessions
are made read-only (`lo_export` writes a server file even so, which is why validation refuses it
by name); ClickHouse clients get `readonly = 2` (reads, and settings for the query only).
"""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

#: Makes every later transaction of a PostgreSQL session read-only (the current one is committed).
READ_ONLY_SESSION = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"


def read_only_connection(hook: DbApiHook) -> Any:
    """`hook.get_conn()`, made read-only where the engine has a way."""
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

    conn = hook.get_conn()
    if isinstance(hook, ClickHouseHook):
        conn.client.set_client_setting("readonly", "2")
    elif getattr(hook, "dialect_name", None) in ("postgresql", "postgres"):
        with closing(conn.cursor()) as cursor:
            cursor.execute(READ_ONLY_SESSION)
        conn.commit()
    return conn
