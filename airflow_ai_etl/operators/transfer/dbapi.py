"""The generic path: rows in batches from a DB-API cursor, `executemany` into the target, one transaction.

Any source and target with a DB-API hook work this way (SQLite, PostgreSQL without psycopg 3,
MySQL, ...). Every write of an attempt (the delete of `replace`, the reloaded interval of
`incremental`, the stored watermark) is in the target's single transaction: a failed attempt leaves
the target as it was, and for databases with transactional DML readers never see it half-loaded.
Memory stays bounded by `batch_size` rows: PostgreSQL sources are read through a server-side cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_ai_etl.hooks.readonly import read_only_connection
from airflow_ai_etl.operators._sql import insert_statement, quote_identifier, quote_table, upsert_statement
from airflow_ai_etl.operators.transfer.job import Log, TransferError, TransferJob, one_transaction
from airflow_ai_etl.operators.transfer.sources import run_source, source_types, streaming_cursor
from airflow_ai_etl.operators.transfer.state import later, open_state
from airflow_ai_etl.operators.transfer.typemap import create_table_sql

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

PATH = "dbapi-executemany"


def target_max(cursor: Any, job: TransferJob, escape: str) -> Any:
    """MAX(watermark) of the target: where a transfer without stored state starts."""
    column = quote_identifier(str(job.watermark), escape)
    cursor.execute(f"SELECT MAX({column}) FROM {quote_table(job.target_table, escape)}")
    return cursor.fetchone()[0]


def target_dialect(hook: DbApiHook) -> str:
    return "postgresql" if hook.dialect_name in ("postgresql", "postgres") else hook.dialect_name


def run(job: TransferJob, source: DbApiHook, target: DbApiHook, log: Log) -> dict[str, Any]:
    escape, placeholder = target.escape_word_format, target.placeholder
    source_conn = read_only_connection(source)
    target_conn = target.get_conn()
    with one_transaction(source_conn, target_conn):
        cursor = target_conn.cursor()
        if job.create_target:
            base, params = job.source_query(source.escape_word_format, source.placeholder, None)
            columns_types = source_types(job, source, source_conn, base, params)
            cursor.execute(
                create_table_sql(target_dialect(target), job.target_table, columns_types, list(job.key))
            )
        state, stored, since = open_state(
            cursor, job, placeholder, escape, lambda: target_max(cursor, job, escape)
        )
        query, parameters = job.source_query(source.escape_word_format, source.placeholder, since)
        log.info("Reading from the source: %s", query)
        source_cursor = streaming_cursor(source, source_conn)
        run_source(job, source_cursor, query, parameters)
        batch = _fetch(job, source_cursor)
        if source_cursor.description is None:
            raise TransferError(
                f"{job.task_id}: the source statement returned no rows to copy (not a SELECT?)"
            )
        columns = [str(d[0]) for d in source_cursor.description]
        job.check_columns(columns)
        if job.upserts:
            statement = upsert_statement(job.target_table, columns, job.key, placeholder, escape)
        else:
            statement = insert_statement(job.target_table, columns, placeholder, escape)
        if job.mode == "replace":
            cursor.execute(f"DELETE FROM {quote_table(job.target_table, escape)}")
        elif job.incremental and not job.key:
            cursor.execute(*job.interval_delete(escape, placeholder, since))
        position = columns.index(job.watermark) if job.watermark else -1
        rows, high = _write(
            job, cursor, source_cursor, statement=statement, position=position, batch=batch, since=since
        )
        source_cursor.close()
        if state is not None:
            state.write(job.transfer_id, job.run_id, since, high, stored)
    return job.outcome(rows, PATH, high)


def _write(
    job: TransferJob,
    cursor: Any,
    source_cursor: Any,
    *,
    statement: str,
    position: int,
    batch: list[Any],
    since: Any,
) -> tuple[int, Any]:
    """Write the source's batches; the rows written and the highest watermark among them."""
    rows, high = 0, since
    while batch:
        values = [tuple(row) for row in batch]
        try:
            cursor.executemany(statement, values)
        except Exception as error:
            raise TransferError(
                f"{job.task_id}: writing source rows {rows + 1}-{rows + len(values)} to "
                f"{job.target_table} failed: {error}"
            ) from error
        if position >= 0:
            marks = [v[position] for v in values if v[position] is not None]
            high = later(high, max(marks)) if marks else high
        rows += len(values)
        batch = _fetch(job, source_cursor)
    return rows, high


def _fetch(job: TransferJob, cursor: Any) -> list[Any]:
    try:
        return list(cursor.fetchmany(job.batch_size))
    except Exception as error:  # a server-side cursor runs the query as it is read
        raise TransferError(f"{job.task_id}: the source query failed: {error}") from error
