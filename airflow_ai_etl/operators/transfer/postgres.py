"""PostgreSQL -> PostgreSQL: the source's `COPY ... TO STDOUT` streamed into the target's `COPY FROM`.

The copy runs on the two connections' libpq handles (psycopg 3's `pgconn`): the source sends one
CopyData message per row, which are gathered into 1 MB chunks for the target, so the Python work
per row is one call and one append, and memory stays at about one chunk whatever the row count
(psycopg's own copy objects spend several times longer per row). The binary format is used when
every source column has exactly the target column's type (binary
input is type-specific); otherwise the text format, which the target parses into its own types.

Everything the target receives is in one transaction: `append` copies into the target itself;
`replace` and `upsert` copy into a temporary staging table and merge it in at the end (readers
see the old rows until the commit, never an empty or half-loaded table); `incremental` deletes
the interval it reloads, copies, and stores the new watermark, all before the one commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_ai_etl.hooks.readonly import read_only_connection
from airflow_ai_etl.operators._sql import column_list, quote_identifier, quote_table
from airflow_ai_etl.operators.transfer.job import Log, TransferError, TransferJob, one_transaction
from airflow_ai_etl.operators.transfer.sources import source_types
from airflow_ai_etl.operators.transfer.state import later, open_state
from airflow_ai_etl.operators.transfer.typemap import create_table_sql

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

STAGE = "ai_etl_stage"
ESC = '"{}"'  # PostgreSQL quotes identifiers with double quotes
#: Types whose binary representation is the same (all use textsend/textrecv).
_TEXT_OIDS = frozenset({25, 1042, 1043})


def supported(hook: DbApiHook) -> bool:
    """The hook's connections are psycopg 3 ones (the postgres provider picks psycopg 2 otherwise)."""
    try:
        from airflow.providers.postgres.hooks import postgres
    except ImportError:
        return False
    return bool(getattr(postgres, "USE_PSYCOPG3", False)) and isinstance(hook, postgres.PostgresHook)


def _binary_compatible(source_oid: int, target_oid: int) -> bool:
    return source_oid == target_oid or (source_oid in _TEXT_OIDS and target_oid in _TEXT_OIDS)


def _diagnosed(error: Exception) -> str:
    """The server's message plus its CONTEXT line (e.g. 'COPY orders, line 900, column code: ...')."""
    diag = getattr(error, "diag", None)
    context = getattr(diag, "context", None) if diag is not None else None
    message = str(error).strip()
    return f"{message} ({context.strip()})" if context and context.strip() not in message else message


def target_columns(cursor: Any, table: str) -> dict[str, int] | None:
    """Column name -> type OID of the target table, or None when it does not exist."""
    cursor.execute("SELECT to_regclass(%s)::oid", (quote_table(table),))
    (oid,) = cursor.fetchone()
    if oid is None:
        return None
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        (oid,),
    )
    return {str(name): int(type_oid) for name, type_oid in cursor.fetchall()}


def run(job: TransferJob, source: DbApiHook, target: DbApiHook, log: Log) -> dict[str, Any]:
    source_conn: Any = read_only_connection(source)
    target_conn: Any = target.get_conn()
    with one_transaction(source_conn, target_conn):
        cursor = target_conn.cursor()
        table = quote_table(job.target_table)
        if job.create_target and target_columns(cursor, job.target_table) is None:
            base, _ = job.source_query(ESC, "%s", None)
            types = source_types(job, source, source_conn, base, ())
            cursor.execute(create_table_sql("postgresql", job.target_table, types, list(job.key)))
            log.info("Created %s from the source's column types", job.target_table)
        if job.incremental:
            # one attempt of a transfer at a time: the next one waits here, then reads the new state
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (job.transfer_id,))
        state, stored, since = open_state(cursor, job, "%s", ESC, lambda: _max(cursor, job, table))
        query, parameters = job.source_query(ESC, "%s", since)
        source_cursor = source_conn.cursor()
        described = _describe(job, source_cursor, query, parameters)
        columns = [name for name, _ in described]
        existing = _target_columns_for(job, cursor, columns)
        binary = all(_binary_compatible(oid, existing[name]) for name, oid in described)
        fmt = "binary" if binary else "text"
        staged = job.mode == "replace" or job.upserts
        into = table
        if staged:
            into = quote_identifier(STAGE)
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{into}")
            cursor.execute(f"CREATE TEMP TABLE {into} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        elif job.incremental:
            cursor.execute(*job.interval_delete(ESC, "%s", since))
        if fmt == "text":  # both ends must spell values the same way
            for conn in (source_conn, target_conn):
                conn.execute("SET LOCAL DateStyle = 'ISO, YMD'")
                conn.execute("SET LOCAL IntervalStyle = 'postgres'")
                conn.execute("SET LOCAL extra_float_digits = 3")
        log.info("COPY in %s format from the source: %s", fmt, query)
        rows, size = _stream(
            job,
            source_conn,
            target_conn,
            copy_out=f"COPY (\n{query}\n) TO STDOUT (FORMAT {fmt})",
            parameters=parameters,
            copy_in=f"COPY {into} ({column_list(columns, ESC)}) FROM STDIN (FORMAT {fmt})",
        )
        high = later(since, _max(cursor, job, into)) if job.incremental else None
        if staged:
            _merge(job, cursor, into, columns)
        if state is not None:
            state.write(job.transfer_id, job.run_id, since, high, stored)
    return job.outcome(rows, f"postgres-copy-{fmt}", high, size)


def _describe(
    job: TransferJob, source_cursor: Any, query: str, parameters: tuple[Any, ...]
) -> list[tuple[str, int]]:
    """The source query's columns and their type OIDs, without reading a row."""
    from psycopg import Error as PsycopgError

    try:
        source_cursor.execute(f"SELECT * FROM (\n{query}\n) AS ai_etl_probe LIMIT 0", parameters or None)
    except PsycopgError as error:
        raise TransferError(f"{job.task_id}: the source query failed: {_diagnosed(error)}") from error
    described = [(str(d.name), int(d.type_code)) for d in source_cursor.description]
    job.check_columns([name for name, _ in described])
    return described


def _target_columns_for(job: TransferJob, cursor: Any, columns: list[str]) -> dict[str, int]:
    existing = target_columns(cursor, job.target_table)
    if existing is None:
        raise TransferError(
            f"{job.task_id}: target table {job.target_table} does not exist "
            "(create it, or set create_target=True)"
        )
    missing = [c for c in columns if c not in existing]
    if missing:
        raise TransferError(
            f"{job.task_id}: source column(s) {', '.join(missing)} are not in {job.target_table} "
            f"(its columns: {', '.join(existing)})"
        )
    return existing


def _merge(job: TransferJob, cursor: Any, stage: str, columns: list[str]) -> None:
    from psycopg import Error as PsycopgError

    for statement in job.merge_statements(stage, columns, ESC):
        try:
            cursor.execute(statement)
        except PsycopgError as error:
            raise TransferError(
                f"{job.task_id}: merging into {job.target_table} failed: {_diagnosed(error)}"
            ) from error


CHUNK = 1 << 20  #: bytes gathered from the source before they are sent to the target


def _failure(result: Any, encoding: str) -> str:
    """A libpq error result as one line: the message and its CONTEXT ('COPY t, line 900, column c').

    A COPY's line N is the Nth row of the source query, so the context names the row at fault.
    """
    from psycopg import pq

    def field(code: Any) -> str:
        value = result.error_field(code)
        return " ".join(value.decode(encoding, "replace").split()) if value else ""

    message = field(pq.DiagnosticField.MESSAGE_PRIMARY)
    if not message:
        return " ".join((result.error_message or b"").decode(encoding, "replace").split())
    context = field(pq.DiagnosticField.CONTEXT)
    return f"{message} ({context})" if context else message


def _start(
    job: TransferJob, pgconn: Any, statement: bytes, expected: Any, *, side: str, encoding: str
) -> None:
    pgconn.send_query(statement)
    result = pgconn.get_result()
    if result is None or result.status != expected:
        message = _failure(result, encoding) if result is not None else "no result"
        while pgconn.get_result() is not None:
            pass
        raise TransferError(f"{job.task_id}: {side} failed: {message}")


def _stream(
    job: TransferJob,
    source_conn: Any,
    target_conn: Any,
    *,
    copy_out: str,
    parameters: tuple[Any, ...],
    copy_in: str,
) -> tuple[int, int]:
    """Pipe the source COPY into the target COPY inside the target's open transaction; rows received
    and bytes of COPY data piped."""
    from psycopg import ClientCursor, pq

    if target_conn.info.transaction_status != pq.TransactionStatus.INTRANS:
        raise RuntimeError("the target COPY must run inside the attempt's transaction")
    if parameters:  # COPY takes no bind parameters: the watermark is quoted client-side
        copy_out = ClientCursor(source_conn).mogrify(copy_out, parameters)
    source_encoding, target_encoding = source_conn.info.encoding, target_conn.info.encoding
    source, target = source_conn.pgconn, target_conn.pgconn
    _start(
        job,
        source,
        copy_out.encode(source_encoding),
        pq.ExecStatus.COPY_OUT,
        side="the source query",
        encoding=source_encoding,
    )
    _start(
        job,
        target,
        copy_in.encode(target_encoding),
        pq.ExecStatus.COPY_IN,
        side=f"loading {job.target_table}",
        encoding=target_encoding,
    )
    piped = 0
    try:
        chunk = bytearray()
        get, put = source.get_copy_data, target.put_copy_data
        while True:
            size, data = get(0)
            if size < 0:
                break
            piped += size
            chunk += data
            if len(chunk) >= CHUNK:
                put(chunk)
                chunk.clear()
        _finished(job, source, side="the source query", encoding=source_encoding)
        if chunk:
            put(chunk)
    except BaseException:
        target.put_copy_end(b"the source failed")  # leaves the target transaction failed, to roll back
        while target.get_result() is not None:
            pass
        raise
    target.put_copy_end()
    result = _finished(job, target, side=f"loading {job.target_table}", encoding=target_encoding)
    return int(result.command_tuples or 0), piped


def _finished(job: TransferJob, pgconn: Any, *, side: str, encoding: str) -> Any:
    """The final result of a COPY (all results drained); a failure is raised, naming the side."""
    from psycopg import pq

    result = pgconn.get_result()
    while pgconn.get_result() is not None:
        pass
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        message = _failure(result, encoding) if result is not None else "connection lost"
        raise TransferError(f"{job.task_id}: {side} failed: {message}")
    return result


def _max(cursor: Any, job: TransferJob, table: str) -> Any:
    column = quote_identifier(str(job.watermark))
    cursor.execute(f"SELECT MAX({column}) FROM {table}")
    return cursor.fetchone()[0]
