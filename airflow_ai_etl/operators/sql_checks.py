"""common-sql's column and table checks, run on a read-only connection on every dialect.

The quality checks of generated DAGs run on these. Their SQL is built from the spec (column
names, conditions): should a write slip past validation, the database itself refuses it
(hooks/readonly.py: a read-only PostgreSQL session, ClickHouse `readonly = 2`, SQLite's
authorizer). Operators rather than `hook_params`, because SqliteHook takes no parameter a DAG
file could pass to make it read-only.
"""

from __future__ import annotations

from functools import cached_property

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.providers.common.sql.operators.sql import (
    BaseSQLOperator,
    SQLColumnCheckOperator,
    SQLTableCheckOperator,
)

from airflow_ai_etl.hooks.readonly import make_read_only


class _ReadOnlyHook(BaseSQLOperator):
    """Hands common-sql's `execute` a hook whose every connection is made read-only."""

    @cached_property
    def _read_only_hook(self) -> DbApiHook:
        hook = super().get_db_hook()
        opens = hook.get_conn
        # DbApiHook opens every connection of run/get_records/get_first through get_conn.
        hook.get_conn = lambda: make_read_only(hook, opens())  # type: ignore[method-assign]
        return hook

    def get_db_hook(self) -> DbApiHook:
        return self._read_only_hook


class ReadOnlySQLColumnCheckOperator(_ReadOnlyHook, SQLColumnCheckOperator):
    """SQLColumnCheckOperator on a read-only connection."""


class ReadOnlySQLTableCheckOperator(_ReadOnlyHook, SQLTableCheckOperator):
    """SQLTableCheckOperator on a read-only connection."""
