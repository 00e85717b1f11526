"""One SQL statement on a PostgreSQL database by URI, in its own transaction: the tests' way to look."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2


def run(uri: str, sql: str) -> list[tuple[Any, ...]]:
    """Execute `sql` and commit; the rows it returned (none for a statement without a result)."""
    conn = psycopg2.connect(uri)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def source_and_target(
    pg_database: Callable[[], str], airflow_conn: Callable[..., None], source_sql: str, target_sql: str
) -> tuple[str, str]:
    """Two fresh databases set up with the scripts, defined as Airflow connections `src` and `dst`."""
    src, dst = pg_database(), pg_database()
    run(src, source_sql)
    run(dst, target_sql)
    airflow_conn("src", src)
    airflow_conn("dst", dst)
    return src, dst
