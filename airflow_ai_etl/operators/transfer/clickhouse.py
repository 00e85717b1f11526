"""Any SQL source -> ClickHouse: Arrow record batches, cast to the target's column types, `insert_arrow`.

PostgreSQL sources are read with ADBC (`adbc-driver-postgresql`: COPY binary decoded straight into
Arrow) when it is installed; other sources, or PostgreSQL without ADBC, through a streaming DB-API
cursor whose batches become Arrow arrays. Each batch is cast to the Arrow type of its target
column before it is sent, so a value the column cannot hold (a decimal too wide, a NULL for a
non-Nullable column, which ClickHouse would silently turn into a default) fails the task with the
column and the source row named, instead of landing altered.

ClickHouse has no transactions, so every mode loads a staging table (`<table>__ai_etl_stage_<id>`,
same structure, its own per attempt so that transfers into one table at the same time never share
one) and publishes it with one of ClickHouse's atomic operations:

- `replace`: `EXCHANGE TABLES target AND stage` (atomic in an Atomic database, the default);
- `append` / `upsert`: `ATTACH PARTITION ... FROM stage` for each partition (atomic per
  partition: whole for an unpartitioned table). `upsert` needs a ReplacingMergeTree ordered by
  the key: a key loaded twice is one row to `SELECT ... FINAL` and after merges;
- `incremental`: delete the interval it reloads from the target, attach, and only then store the
  watermark (`ai_etl_transfer_state`, a ReplacingMergeTree). A crash before the watermark is
  stored makes the rerun delete and reload the same interval: no duplicates, no loss.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow_ai_etl.hooks.readonly import READ_ONLY_SESSION, read_only_connection
from airflow_ai_etl.operators.transfer.job import Log, TransferError, TransferJob
from airflow_ai_etl.operators.transfer.sources import (
    is_postgres,
    run_source,
    source_types,
    streaming_cursor,
)
from airflow_ai_etl.operators.transfer.state import HIGH, STATE_TABLE, Stored, decode, encode, later
from airflow_ai_etl.operators.transfer.typemap import arrow_type, create_table_sql, parse

if TYPE_CHECKING:
    import pyarrow as pa
    from airflow.providers.common.sql.hooks.sql import DbApiHook

ADBC_BATCH_BYTES = 4 << 20
_REPLACING = ("ReplacingMergeTree", "ReplicatedReplacingMergeTree", "SharedReplacingMergeTree")
#: libpq parameters of a PostgreSQL connection's extra that ADBC's URI carries along.
_PG_URI_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name")


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def adbc_available() -> bool:
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


class _Target:
    """The ClickHouse side: one client, the target table, its staging twin, its state table."""

    def __init__(self, job: TransferJob, client: Any) -> None:
        database, _, name = job.target_table.rpartition(".")
        self.job = job
        self.client = client
        self.database = database or str(client.database or "default")
        self.name = name
        self.table = f"{_q(self.database)}.{_q(name)}"
        self.stage_name = f"{name}__ai_etl_stage_{uuid.uuid4().hex[:12]}"
        self.stage = f"{_q(self.database)}.{_q(self.stage_name)}"
        self.state = f"{_q(self.database)}.{_q(STATE_TABLE)}"

    def columns(self) -> dict[str, str] | None:
        result = self.client.query(
            "SELECT name, type FROM system.columns WHERE database = %(d)s AND table = %(t)s "
            "ORDER BY position",
            parameters={"d": self.database, "t": self.name},
        )
        return {str(n): str(t) for n, t in result.result_rows} or None

    def require_replacing(self) -> None:
        """Upserts land as ReplacingMergeTree versions: the table must be one, ordered by the key."""
        rows = self.client.query(
            "SELECT engine, sorting_key FROM system.tables WHERE database = %(d)s AND name = %(t)s",
            parameters={"d": self.database, "t": self.name},
        ).result_rows
        engine, sorting = (str(rows[0][0]), str(rows[0][1])) if rows else ("", "")
        order = [part.strip(" ()`") for part in sorting.split(",") if part.strip(" ()")]
        if engine not in _REPLACING or set(order) != set(self.job.key):
            raise TransferError(
                f"{self.job.task_id}: target_table {self.job.target_table}: upserts into ClickHouse need a "
                f"ReplacingMergeTree ordered by the key ({', '.join(self.job.key)}); it is {engine or '?'} "
                f"ordered by ({sorting})"
            )

    def maximum(self) -> Any:
        column = _q(str(self.job.watermark))
        count, value = self.client.query(f"SELECT count(), max({column}) FROM {self.table}").result_rows[0]
        return value if count else None

    def read_state(self) -> Stored:
        self.client.command(
            f"CREATE TABLE IF NOT EXISTS {self.state} (transfer_id String, run_id String, "
            "watermark Nullable(String), updated_at DateTime64(6, 'UTC')) "
            "ENGINE = ReplacingMergeTree(updated_at) ORDER BY (transfer_id, run_id)"
        )
        rows = self.client.query(
            f"SELECT run_id, watermark FROM {self.state} FINAL WHERE transfer_id = %(t)s "
            "AND run_id IN (%(h)s, %(r)s)",
            parameters={"t": self.job.transfer_id, "h": HIGH, "r": self.job.run_id or HIGH},
        ).result_rows
        found = {str(r[0]): decode(r[1]) for r in rows}
        run = self.job.run_id
        return Stored(HIGH in found, found.get(HIGH), bool(run) and run in found, found.get(run))

    def write_state(self, since: Any, high: Any, stored: Stored) -> None:
        now = dt.datetime.now(dt.UTC)
        rows = [[self.job.transfer_id, HIGH, encode(high), now]]
        if self.job.run_id and not stored.run_found:
            rows.append([self.job.transfer_id, self.job.run_id, encode(since), now])
        self.client.insert(
            STATE_TABLE,
            rows,
            column_names=["transfer_id", "run_id", "watermark", "updated_at"],
            database=self.database,
        )

    def delete_interval(self, since: Any) -> None:
        if since is None:
            self.client.command(f"TRUNCATE TABLE {self.table}")
            return
        column = _q(str(self.job.watermark))
        self.client.command(f"DELETE FROM {self.table} WHERE {column} > {_literal(since)}")

    def attach_stage(self) -> None:
        partitions = self.client.query(
            "SELECT DISTINCT partition_id FROM system.parts WHERE database = %(d)s AND table = %(t)s "
            "AND active",
            parameters={"d": self.database, "t": self.stage_name},
        ).result_rows
        for (partition,) in partitions:
            self.client.command(
                f"ALTER TABLE {self.table} ATTACH PARTITION ID {_literal(str(partition))} FROM {self.stage}"
            )


def run(job: TransferJob, source: DbApiHook, target: DbApiHook, log: Log) -> dict[str, Any]:
    import pyarrow.compute as pc

    client = target.get_client()
    side = _Target(job, client)
    try:
        columns = side.columns()
        if columns is None:
            columns = _create(job, source, side, log)
        if job.upserts:
            side.require_replacing()
        stored, since = Stored(), None
        if job.incremental:
            stored = side.read_state()
            since = stored.since(side.maximum)
        client.command(f"CREATE TABLE {side.stage} AS {side.table}")
        rows, size, high, path = 0, 0, since, ""
        batches, path = _batches(job, source, since, columns, log)
        for number, batch in enumerate(batches):
            if number == 0:
                job.check_columns(list(batch.schema.names))
            conformed = _conform(job, batch, columns, rows)
            if conformed.num_rows == 0:
                continue
            client.insert_arrow(side.stage_name, conformed, database=side.database)
            if job.watermark:
                high = later(high, pc.max(conformed.column(job.watermark)).as_py())
            rows += conformed.num_rows
            size += conformed.nbytes
        if job.mode == "replace":
            client.command(f"EXCHANGE TABLES {side.table} AND {side.stage}")
        else:
            if job.incremental and not job.key:
                side.delete_interval(since)
            side.attach_stage()
        if job.incremental:
            side.write_state(since, high, stored)
    finally:
        try:
            client.command(f"DROP TABLE IF EXISTS {side.stage}")
        finally:
            client.close()
    return job.outcome(rows, path, high, size)


def _create(job: TransferJob, source: DbApiHook, side: _Target, log: Log) -> dict[str, str]:
    if not job.create_target:
        raise TransferError(
            f"{job.task_id}: target table {job.target_table} does not exist "
            "(create it, or set create_target=True)"
        )
    conn = read_only_connection(source)
    try:
        base, _ = job.source_query(source.escape_word_format, source.placeholder, None)
        types = source_types(job, source, conn, base, ())
    finally:
        conn.close()
    table = f"{side.database}.{side.name}"
    side.client.command(create_table_sql("clickhouse", table, types, list(job.key), replacing=job.upserts))
    log.info("Created %s from the source's column types", table)
    created = side.columns()
    assert created is not None
    return created


def _batches(
    job: TransferJob, source: DbApiHook, since: Any, columns: dict[str, str], log: Log
) -> tuple[Iterator[pa.RecordBatch | pa.Table], str]:
    if is_postgres(source) and adbc_available():
        from psycopg import sql

        literal = sql.Literal(since).as_string(None) if since is not None else None
        query, _ = job.source_query('"{}"', literal or "NULL", since)
        log.info("Reading through ADBC (Arrow) from the source: %s", query)
        return _adbc_batches(job, source, query), "arrow-adbc-clickhouse"
    query, parameters = job.source_query(source.escape_word_format, source.placeholder, since)
    log.info("Reading through DB-API batches from the source: %s", query)
    return _row_batches(job, source, query, parameters, columns), "arrow-dbapi-clickhouse"


def _pg_uri(source: DbApiHook) -> str:
    conn = source.connection
    user, password = quote(conn.login or "", safe=""), quote(conn.password or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{conn.port}" if conn.port else ""
    database = quote(str(getattr(source, "database", None) or conn.schema or ""), safe="")
    extras = {k: str(v) for k, v in conn.extra_dejson.items() if k in _PG_URI_EXTRAS}
    query = f"?{urlencode(extras)}" if extras else ""
    return f"postgresql://{auth}{conn.host or 'localhost'}{port}/{database}{query}"


def _adbc_batches(job: TransferJob, source: DbApiHook, query: str) -> Iterator[pa.RecordBatch]:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(_pg_uri(source)) as conn, conn.cursor() as cursor:
        # batches of about 4 MB: memory stays flat, and each insert is still large for ClickHouse
        cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(ADBC_BATCH_BYTES)})
        try:
            cursor.execute(READ_ONLY_SESSION)
            conn.commit()
            cursor.execute(query)
            reader = cursor.fetch_record_batch()
            yield from reader
        except adbc.Error as error:
            raise TransferError(f"{job.task_id}: the source query failed: {error}") from error


def _row_batches(
    job: TransferJob, source: DbApiHook, query: str, parameters: tuple[Any, ...], columns: dict[str, str]
) -> Iterator[pa.Table]:
    import pyarrow as pa

    conn = read_only_connection(source)
    try:
        cursor = streaming_cursor(source, conn)
        run_source(job, cursor, query, parameters)
        offset = 0
        while True:
            try:
                batch = cursor.fetchmany(job.batch_size)
            except Exception as error:
                raise TransferError(f"{job.task_id}: the source query failed: {error}") from error
            if not batch:
                return
            names = [str(d[0]) for d in cursor.description]
            arrays = [
                _to_arrow(job, [row[i] for row in batch], name, columns.get(name), offset)
                for i, name in enumerate(names)
            ]
            offset += len(batch)
            yield pa.Table.from_arrays(arrays, names=names)
    finally:
        conn.close()


def _to_arrow(job: TransferJob, values: list[Any], name: str, ch_type: str | None, offset: int) -> pa.Array:
    """Python values as an Arrow array, typed for the target column when they convert directly."""
    import pyarrow as pa

    if ch_type is not None:
        try:
            return pa.array(values, type=arrow_type(parse("clickhouse", ch_type, name)))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # let inference and the cast in _conform find (and name) the value at fault
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise TransferError(
            f"{job.task_id}: column {name!r}, source rows {offset + 1}-{offset + len(values)}: "
            f"mixed or unsupported values: {error}"
        ) from error


def _conform(job: TransferJob, batch: Any, columns: dict[str, str], offset: int) -> pa.Table:
    """The batch with each column cast to its ClickHouse column's Arrow type; misfits are named."""
    import pyarrow as pa

    arrays, names = [], []
    for index, name in enumerate(batch.schema.names):
        if name not in columns:
            raise TransferError(
                f"{job.task_id}: source column {name!r} is not in {job.target_table} "
                f"(its columns: {', '.join(columns)})"
            )
        ch_type = columns[name]
        wanted = arrow_type(parse("clickhouse", ch_type, name))
        array = batch.column(index)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if isinstance(array.type, pa.ExtensionType):  # e.g. ADBC's numeric, carried as text
            array = array.storage
        if array.type != wanted:
            array = _cast(job, array, wanted, name=name, ch_type=ch_type, offset=offset)
        if array.null_count and not ch_type.startswith("Nullable("):
            row = offset + array.is_null().to_pylist().index(True) + 1
            raise TransferError(
                f"{job.task_id}: column {name!r}, source row {row}: NULL for the ClickHouse column of type "
                f"{ch_type}, which is not Nullable"
            )
        arrays.append(array)
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _cast(
    job: TransferJob, array: pa.Array, wanted: pa.DataType, *, name: str, ch_type: str, offset: int
) -> Any:
    import pyarrow as pa

    try:
        return array.cast(wanted)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        # halve the range until the first value that does not cast is found
        low, high = 0, len(array)
        while high - low > 1:
            middle = (low + high) // 2
            try:
                array.slice(low, middle - low).cast(wanted)
                low = middle
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                high = middle
        value = array[low].as_py() if len(array) else None
        raise TransferError(
            f"{job.task_id}: column {name!r}, source row {offset + low + 1}: value {value!r} does not fit "
            f"the ClickHouse column of type {ch_type}: {error}"
        ) from error


def _literal(value: Any) -> str:
    """A ClickHouse literal for a watermark value or a partition id (values never come from SQL text)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"toDateTime64({_literal(value.isoformat(sep=' '))}, 6, 'UTC')"
    if isinstance(value, dt.date):
        return f"toDate32({_literal(value.isoformat())})"
    if isinstance(value, bool):
        raise TypeError("a boolean cannot be a watermark")
    if isinstance(value, int | float | Decimal):
        return str(value) if isinstance(value, Decimal) else repr(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"
