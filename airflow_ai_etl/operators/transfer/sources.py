"""Reading the source: a streaming cursor, and the column types of a query (for `create_target`)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from airflow_ai_etl.operators.transfer.job import TransferError, TransferJob
from airflow_ai_etl.operators.transfer.typemap import ColumnType, UnmappableTypeError, parse

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook


def is_postgres(hook: DbApiHook) -> bool:
    return hook.dialect_name in ("postgresql", "postgres")


def is_sqlite(hook: DbApiHook) -> bool:
    return hook.dialect_name == "sqlite"


def streaming_cursor(hook: DbApiHook, conn: Any) -> Any:
    """A cursor that fetches in batches from the server: PostgreSQL's default one holds the whole result.

    psycopg (2 and 3) give a server-side (named) cursor; SQLite's cursor steps through rows anyway.
    """
    if is_postgres(hook):
        return conn.cursor(name=f"ai_etl_transfer_{uuid.uuid4().hex[:12]}")
    return conn.cursor()


def run_source(job: TransferJob, cursor: Any, query: str, parameters: tuple[Any, ...]) -> None:
    """Execute the source query; a failure is reported as the source's, with the driver's message."""
    try:
        if parameters:
            cursor.execute(query, parameters)
        else:  # no parameters at all: a pyformat driver must not read '%' in the SQL as one
            cursor.execute(query)
    except Exception as error:
        raise TransferError(f"{job.task_id}: the source query failed: {error}") from error


def source_types(
    job: TransferJob, hook: DbApiHook, conn: Any, query: str, parameters: tuple[Any, ...]
) -> list[tuple[str, ColumnType]]:
    """Each source column's type, as `create_target` needs them; a type without a mapping is named."""
    if is_postgres(hook):
        cursor = conn.cursor()
        run_source(job, cursor, f"SELECT * FROM (\n{query}\n) AS ai_etl_probe LIMIT 0", parameters)
        described = [(str(d.name), _pg_type_name(d)) for d in cursor.description]
        cursor.close()
        return [(name, parse("postgresql", type_name, name)) for name, type_name in described]
    if is_sqlite(hook):
        view = f"ai_etl_probe_{uuid.uuid4().hex[:12]}"
        cursor = conn.cursor()
        # a temporary view of the query: PRAGMA table_info reports each column's declared type
        cursor.execute(f"CREATE TEMP VIEW {view} AS {job.base_query(hook.escape_word_format)}")
        info = cursor.execute(f"PRAGMA table_info({view})").fetchall()
        cursor.execute(f"DROP VIEW {view}")
        cursor.close()
        return [(str(row[1]), parse("sqlite", str(row[2]), str(row[1]))) for row in info]
    raise UnmappableTypeError(
        f"{job.task_id}: 'create_target' reads column types from PostgreSQL and SQLite sources only; "
        f"this source is {hook.dialect_name!r}: create the target table first"
    )


def _pg_type_name(column: Any) -> str:
    display = getattr(column, "type_display", None)  # psycopg 3
    if display:
        return str(display)
    raise UnmappableTypeError(
        f"column {column[0]!r}: the PostgreSQL driver does not report type names (psycopg 2); "
        "'create_target' needs psycopg 3"
    )
