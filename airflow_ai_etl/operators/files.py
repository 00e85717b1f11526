"""FileToSqlOperator and SqlToFileOperator: CSV, Parquet and JSON lines, on local paths and on S3.

Loads read one file at a time in batches (an S3 object is first streamed to a temporary file) and
write every row of every matched file in ONE target transaction: a failed or killed attempt leaves
the table as it was, and a retry starts from the same state. On PostgreSQL (psycopg 3 or psycopg2)
a batch goes in with `COPY ... FROM STDIN` (upserts through a temporary staging table); elsewhere
with `executemany`. When the database refuses a batch, it is replayed row by row inside a savepoint
to name the file and line at fault.

Exports read the source through a server-side cursor where the driver has one (PostgreSQL), write
a temporary file batch by batch, and publish it at the final path only when it is complete.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.hooks.readonly import read_only_connection
from airflow_ai_etl.operators._checks import check_at_least_one, check_columns
from airflow_ai_etl.operators._lineage import LineageMixin
from airflow_ai_etl.operators._sql import (
    column_list,
    db_hook,
    insert_statement,
    quote_identifier,
    quote_table,
    require_upsert,
    source_select,
    upsert_statement,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context

    from airflow_ai_etl.files.locations import Location
    from airflow_ai_etl.files.readers import CsvLayout, RowBatch
    from airflow_ai_etl.lineage.model import StepLineage
    from airflow_ai_etl.observability.task_runs import Moved

FORMATS = ("csv", "parquet", "jsonl")
LOAD_MODES = ("append", "replace", "upsert")
LOAD_COMPRESSIONS = ("auto", "none", "gzip", "zstd")
EXPORT_COMPRESSIONS = {"csv": ("auto", "none", "gzip", "zstd"), "jsonl": ("auto", "none", "gzip", "zstd")}
PARQUET_CODECS = ("auto", "none", "snappy", "gzip", "zstd")
_SAVEPOINT = "ai_etl_file_batch"


@dataclass(frozen=True)
class _Plan:
    """How one column set is written: `statement` row by row (also to find a refused row); or
    `copy` (COPY FROM STDIN), into the table or, for an upsert, into `stage` and then `merge`."""

    statement: str
    copy: str | None = None
    merge: str | None = None
    stage: str | None = None


class RowLoadError(ValueError):
    """A row the target refused; the message names the file and line (or Parquet row)."""


def _check_csv(task_id: str, format: str, delimiter: str, null: str) -> None:
    if format not in FORMATS:
        raise ValueError(f"{task_id}: 'format' {format!r} is not one of {', '.join(FORMATS)}")
    if len(delimiter) != 1 or delimiter in ('"', "\n", "\r"):
        raise ValueError(f"{task_id}: 'csv_delimiter' must be one character other than a quote or newline")
    if "\n" in null or "\r" in null:
        raise ValueError(f"{task_id}: 'csv_null' must not contain a line break")


def _layout(delimiter: str, header: bool, null: str) -> CsvLayout:
    from airflow_ai_etl.files.readers import CsvLayout

    return CsvLayout(delimiter=delimiter, header=header, null=null)


def _location(
    task_id: str, path: str, storage_conn_id: str | None, parse: Callable[[str], Location]
) -> Location:
    """The rendered path, parsed; errors name the field (checked at run time: paths are templated)."""
    try:
        location = parse(path)
    except ValueError as error:
        raise ValueError(f"{task_id}: 'path' {error}") from None
    if not location.is_s3 and storage_conn_id is not None:
        raise ValueError(f"{task_id}: 'storage_conn_id' is only for s3:// paths, not {path!r}")
    return location


def _driver_message(error: BaseException) -> str:
    """The first line of a driver's error (psycopg2 appends context lines)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_field(value: Any) -> str:
    """One value in PostgreSQL's COPY text format (NULL is \\N; backslash, tab and newlines escaped)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _copy_escape(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    return _copy_escape(str(value))


def copy_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as the input of `COPY ... FROM STDIN` (text format): tab-separated, one line each."""
    field = _copy_field
    return "".join(["\t".join([field(v) for v in row]) + "\n" for row in rows])


def _copy_driver(cursor: Any) -> str | None:
    """Which COPY API the cursor's driver has: psycopg 3's `copy()`, psycopg2's `copy_expert()`, or none."""
    package = type(cursor).__module__.split(".")[0]
    if package == "psycopg2":
        return "psycopg2"
    if package == "psycopg" and hasattr(cursor, "copy"):
        return "psycopg"
    return None


def _copy(cursor: Any, statement: str, text: str) -> None:
    if _copy_driver(cursor) == "psycopg2":
        cursor.copy_expert(statement, io.StringIO(text))
    else:
        with cursor.copy(statement) as copy:
            copy.write(text)


def _executemany(cursor: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """`executemany`, in pages for psycopg2 (its own executemany is one round trip per row)."""
    if _copy_driver(cursor) == "psycopg2":
        from psycopg2.extras import execute_batch

        execute_batch(cursor, statement, rows, page_size=1_000)
    else:
        cursor.executemany(statement, rows)


class FileToSqlOperator(LineageMixin, BaseOperator):
    """Load a file, or every file under a prefix or glob, into `target_table` in one transaction.

    :param path: an absolute local path or `s3://bucket/key`; a prefix ending in '/' or a glob in
        the last part (`s3://bucket/orders/2026-*.csv`) loads every match, in sorted order.
        Templated, so `{{ ds }}` partitions work in hand-written DAGs.
    :param format: `csv`, `parquet` or `jsonl` (one JSON object per line).
    :param target_conn_id: connection of the target table (any DB-API hook).
    :param target_table: table to write, optionally schema-qualified; it must exist.
    :param storage_conn_id: AWS connection for s3:// paths (default `aws_default`); not for local paths.
    :param mode: `append` inserts; `replace` deletes all target rows first (same transaction);
        `upsert` inserts or updates by `key` (PostgreSQL and SQLite targets).
    :param key: columns identifying a row (required for `upsert`).
    :param columns: target columns to fill. CSV with a header and JSON/Parquet: the fields taken
        (others are ignored); CSV without a header: the fields in order. Default: the file's names
        (for JSON lines, the keys of the first record; a later record with other keys is an error).
    :param csv_delimiter, csv_header, csv_null: CSV layout; a field equal to `csv_null` is NULL.
    :param compression: `auto` (from the suffix: .gz, .zst), `none`, `gzip` or `zstd`; CSV and
        JSON lines only (Parquet files name their own codec).
    :param batch_size: rows read and written per batch.
    """

    template_fields: Sequence[str] = ("path", "target_table")
    template_ext: Sequence[str] = ()  # a path ending in '.sql' or '.json' is a path, not a template file
    ui_color = "#eef7e8"
    #: What the last execute loaded, for its lineage: the files, their columns, the rows.
    _loaded: tuple[list[str], list[str], int] | None = None

    def __init__(
        self,
        *,
        path: str,
        format: str,
        target_conn_id: str,
        target_table: str,
        storage_conn_id: str | None = None,
        mode: str = "append",
        key: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        csv_delimiter: str = ",",
        csv_header: bool = True,
        csv_null: str = "",
        compression: str = "auto",
        batch_size: int = 10_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_csv(self.task_id, format, csv_delimiter, csv_null)
        if mode not in LOAD_MODES:
            raise ValueError(f"{self.task_id}: unknown mode {mode!r}; use one of {', '.join(LOAD_MODES)}")
        check_columns(self.task_id, "key", key)
        check_columns(self.task_id, "columns", columns)
        if mode == "upsert" and not key:
            raise ValueError(f"{self.task_id}: mode 'upsert' needs 'key' (the columns that identify a row)")
        if columns is not None:
            if not columns:
                raise ValueError(f"{self.task_id}: 'columns' is empty; omit it to use the file's columns")
            missing = [k for k in key if k not in columns]
            if missing:
                raise ValueError(f"{self.task_id}: 'key' column(s) {', '.join(missing)} not in 'columns'")
        if format == "csv" and not csv_header and columns is None:
            raise ValueError(f"{self.task_id}: 'columns' is required for CSV without a header")
        if compression not in LOAD_COMPRESSIONS or (
            format == "parquet" and compression not in ("auto", "none")
        ):
            allowed = "auto" if format == "parquet" else ", ".join(LOAD_COMPRESSIONS)
            raise ValueError(f"{self.task_id}: 'compression' {compression!r} is not one of {allowed}")
        check_at_least_one(self.task_id, "batch_size", batch_size)
        self.path = path
        self.format = format
        self.target_conn_id = target_conn_id
        self.target_table = target_table
        self.storage_conn_id = storage_conn_id
        self.mode = mode
        self.key = list(key)
        self.columns = list(columns) if columns is not None else None
        self.csv_delimiter = csv_delimiter
        self.csv_header = csv_header
        self.csv_null = csv_null
        self.compression = compression
        self.batch_size = batch_size

    def _statement(self, target: DbApiHook, batch: RowBatch) -> str:
        missing = [k for k in self.key if k not in batch.columns]
        if missing:
            raise ValueError(
                f"{self.task_id}: {batch.source}: 'key' column(s) {', '.join(missing)} are not among the "
                f"file's columns {', '.join(batch.columns)}"
            )
        args = (self.target_table, batch.columns)
        if self.mode == "upsert":
            return upsert_statement(*args, self.key, target.placeholder, target.escape_word_format)
        return insert_statement(*args, target.placeholder, target.escape_word_format)

    def _plan(self, target: DbApiHook, cursor: Any, batch: RowBatch, number: int) -> _Plan:
        """How batches with these columns are written: COPY where the driver has it, else executemany.

        An upsert on PostgreSQL copies each batch into a temporary staging table, then merges it with
        one INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT: the last row of a repeated key wins,
        as it would row by row.
        """
        statement = self._statement(target, batch)
        if _copy_driver(cursor) is None:
            return _Plan(statement)
        escape = target.escape_word_format
        columns = column_list(batch.columns, escape)
        table = quote_table(self.target_table, escape)
        if self.mode != "upsert":
            return _Plan(statement, f"COPY {table} ({columns}) FROM STDIN")
        stage = f"ai_etl_file_stage_{number}"
        try:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
                f"SELECT {columns}, 0::bigint AS ai_etl_ord FROM {table} WITH NO DATA"
            )
        except Exception as error:  # a column the table does not have, most likely
            raise RowLoadError(
                f"{self.task_id}: {batch.source}: cannot stage columns {', '.join(batch.columns)} of "
                f"{self.target_table} ({_driver_message(error)}); nothing was loaded"
            ) from None
        key = column_list(self.key, escape)
        updates = [c for c in batch.columns if c not in self.key]
        action = (
            "DO UPDATE SET "
            + ", ".join(
                f"{quote_identifier(c, escape)} = EXCLUDED.{quote_identifier(c, escape)}" for c in updates
            )
            if updates
            else "DO NOTHING"
        )
        merge = (
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ("
            f"SELECT DISTINCT ON ({key}) * FROM {stage} ORDER BY {key}, ai_etl_ord DESC) AS ai_etl_last "
            f"ON CONFLICT ({key}) {action}"
        )
        return _Plan(statement, f"COPY {stage} ({columns}, ai_etl_ord) FROM STDIN", merge, stage)

    def _write(self, cursor: Any, plan: _Plan, batch: RowBatch) -> None:
        """Write a batch inside a savepoint; a refused row is found and named (the attempt then fails)."""
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            if plan.stage is not None:
                _copy(cursor, str(plan.copy), copy_text([(*row, i) for i, row in enumerate(batch.rows)]))
                cursor.execute(plan.merge)
                cursor.execute(f"TRUNCATE {plan.stage}")
            elif plan.copy is not None:
                _copy(cursor, plan.copy, copy_text(batch.rows))
            else:
                _executemany(cursor, plan.statement, batch.rows)
        except Exception as error:  # drivers share no base class
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            for index, row in enumerate(batch.rows):
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}_row")
                try:
                    cursor.execute(plan.statement, row)
                except Exception as row_error:
                    values = ", ".join(f"{c}={v!r}" for c, v in zip(batch.columns, row, strict=True))
                    raise RowLoadError(
                        f"{self.task_id}: {batch.where(index)}: {self.target_table} refused the row "
                        f"({_driver_message(row_error)}); values: {values[:500]}; nothing was loaded"
                    ) from None
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}_row")
            raise RowLoadError(
                f"{self.task_id}: {batch.source}: {self.target_table} refused a batch of lines "
                f"{batch.positions[0]}-{batch.positions[-1]} ({_driver_message(error)}); nothing was loaded"
            ) from None
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.observability.task_runs import measured

        return measured(self, context, "file_load", self._load)

    def _load(self, moved: Moved) -> dict[str, Any]:
        from airflow_ai_etl.files.locations import list_sources, local_copy, parse_location
        from airflow_ai_etl.files.readers import FileFormatError, read_batches

        location = _location(self.task_id, str(self.path), self.storage_conn_id, parse_location)
        target = db_hook(self.target_conn_id, "target_conn_id")
        if self.mode == "upsert":
            require_upsert(target, f"{self.task_id}: target_conn_id {self.target_conn_id!r}")
        try:
            sources = list_sources(location, self.storage_conn_id)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{self.task_id}: 'path': {error}") from None
        layout = _layout(self.csv_delimiter, self.csv_header, self.csv_null)
        rows = 0
        columns_seen: dict[str, None] = {}
        plans: dict[tuple[str, ...], _Plan] = {}
        conn = target.get_conn()
        try:
            cursor = conn.cursor()
            if getattr(conn, "in_transaction", None) is False:  # sqlite3 opens one only before DML
                cursor.execute("BEGIN")
            if self.mode == "replace":
                cursor.execute(f"DELETE FROM {quote_table(self.target_table, target.escape_word_format)}")
            for source in sources:
                with local_copy(source, self.storage_conn_id) as local_path:
                    moved.bytes = (moved.bytes or 0) + os.path.getsize(local_path)
                    file_rows = 0
                    batches = read_batches(
                        source.name,
                        local_path,
                        self.format,
                        columns=self.columns,
                        csv_layout=layout,
                        compression=self.compression,
                        batch_size=self.batch_size,
                    )
                    try:
                        for batch in batches:
                            columns = tuple(batch.columns)
                            columns_seen.update(dict.fromkeys(columns))
                            if columns not in plans:
                                plans[columns] = self._plan(target, cursor, batch, len(plans))
                            self._write(cursor, plans[columns], batch)
                            file_rows += len(batch.rows)
                    except FileFormatError as error:
                        raise FileFormatError(f"{self.task_id}: {error}; nothing was loaded") from None
                self.log.info("Read %d rows from %s", file_rows, source.name)
                rows += file_rows
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()
        self._loaded = ([s.name for s in sources], list(columns_seen), rows)
        self.log.info(
            "Wrote %d rows from %d file(s) to %s (mode %s)", rows, len(sources), self.target_table, self.mode
        )
        return {
            "rows": rows,
            "files": [s.name for s in sources],
            "mode": self.mode,
            "target_table": self.target_table,
        }

    def step_lineage(self, complete: bool) -> StepLineage:
        """The files (each one loaded; the path as given before the run) -> the table, column by name."""
        from airflow_ai_etl.lineage.model import StepLineage, identity_columns
        from airflow_ai_etl.lineage.naming import file_dataset
        from airflow_ai_etl.operators._lineage import sql_side

        target = sql_side(self.target_conn_id, "target_conn_id", complete)
        target.read_catalog([str(self.target_table)])
        output = target.dataset(str(self.target_table))
        if not complete or self._loaded is None:
            # Before the run the files are not listed yet: the path as given, and its fields when
            # `columns` names them.
            named = tuple((c, None) for c in self.columns or ())
            source = file_dataset(str(self.path), named)
            named_lineage = identity_columns(source, list(self.columns or ()))
            return StepLineage(inputs=[source], outputs=[output], columns=named_lineage)
        files, columns, rows = self._loaded
        fields = tuple((c, None) for c in columns)
        inputs = [file_dataset(name, fields) for name in files]
        lineage = {c: [o for i in inputs for o in identity_columns(i, [c])[c]] for c in columns}
        return StepLineage(inputs=inputs, outputs=[output], columns=lineage, rows=rows)


class SqlToFileOperator(LineageMixin, BaseOperator):
    """Write the rows of `sql` (or all of `source_table`) to one file at `path`.

    The file is written under a temporary name and published only when complete: a failed attempt
    leaves whatever was at `path` before (or nothing) and no partial file.

    :param source_conn_id: connection the rows are read from (any DB-API hook).
    :param path: an absolute local path or `s3://bucket/key` of one file (no prefix, no glob).
        Templated, so `{{ ds }}` partitions work in hand-written DAGs. Parent directories are created.
    :param format: `csv`, `parquet` or `jsonl`.
    :param sql: one SELECT statement (give this or `source_table`). Templated.
    :param source_table: table to export whole (give this or `sql`).
    :param storage_conn_id: AWS connection for s3:// paths (default `aws_default`); not for local paths.
    :param csv_delimiter, csv_header, csv_null: CSV layout; NULL is written as `csv_null`.
    :param compression: CSV and JSON lines: `none` (or `auto`), `gzip`, `zstd`. Parquet: the codec
        inside the file, `snappy` (or `auto`), `zstd`, `gzip`, `none`.
    :param batch_size: rows fetched and written per batch.
    """

    template_fields: Sequence[str] = ("path", "sql", "source_table")
    template_ext: Sequence[str] = ()
    template_fields_renderers = {"sql": "sql"}
    ui_color = "#eef7e8"
    #: What the last execute wrote, for its lineage: the file's columns and rows.
    _written: tuple[list[str], int] | None = None

    def __init__(
        self,
        *,
        source_conn_id: str,
        path: str,
        format: str,
        sql: str | None = None,
        source_table: str | None = None,
        storage_conn_id: str | None = None,
        csv_delimiter: str = ",",
        csv_header: bool = True,
        csv_null: str = "",
        compression: str = "auto",
        batch_size: int = 10_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (sql is None) == (source_table is None):
            raise ValueError(f"{self.task_id}: give exactly one of 'sql' or 'source_table'")
        _check_csv(self.task_id, format, csv_delimiter, csv_null)
        allowed = PARQUET_CODECS if format == "parquet" else EXPORT_COMPRESSIONS[format]
        if compression not in allowed:
            raise ValueError(
                f"{self.task_id}: 'compression' {compression!r} is not one of {', '.join(allowed)} "
                f"for format {format!r}"
            )
        check_at_least_one(self.task_id, "batch_size", batch_size)
        self.source_conn_id = source_conn_id
        self.path = path
        self.format = format
        self.sql = sql
        self.source_table = source_table
        self.storage_conn_id = storage_conn_id
        self.csv_delimiter = csv_delimiter
        self.csv_header = csv_header
        self.csv_null = csv_null
        self.compression = compression
        self.batch_size = batch_size

    def _query(self, source: DbApiHook) -> str:
        table = None if self.source_table is None else str(self.source_table)
        return source_select(self.sql, table, source.escape_word_format)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.observability.task_runs import measured

        return measured(self, context, "file_export", self._export)

    def _export(self, moved: Moved) -> dict[str, Any]:
        from airflow_ai_etl.files.locations import export_location, publishing
        from airflow_ai_etl.files.writers import open_writer

        location = _location(self.task_id, str(self.path), self.storage_conn_id, export_location)
        source = db_hook(self.source_conn_id, "source_conn_id")
        query = self._query(source)
        layout = _layout(self.csv_delimiter, self.csv_header, self.csv_null)
        rows = 0
        conn = read_only_connection(source)
        try:
            # psycopg (2 and 3) hold a plain cursor's whole result in memory; a named cursor streams it.
            server_side = type(conn).__module__.split(".")[0] in ("psycopg", "psycopg2")
            cursor = conn.cursor(name="ai_etl_export") if server_side else conn.cursor()
            if server_side:
                cursor.itersize = self.batch_size
            self.log.info("Reading from %s: %s", self.source_conn_id, query)
            cursor.execute(query)
            first = cursor.fetchmany(self.batch_size)
            if cursor.description is None:
                raise ValueError(f"{self.task_id}: the source statement returned no rows (not a SELECT?)")
            columns = [str(d[0]) for d in cursor.description]
            with publishing(location, self.storage_conn_id) as local_path:
                writer = open_writer(
                    self.format,
                    local_path,
                    cursor.description,
                    csv_layout=layout,
                    compression=self.compression,
                )
                try:
                    batch = first
                    while batch:
                        writer.write(batch)
                        rows += len(batch)
                        batch = cursor.fetchmany(self.batch_size)
                finally:
                    writer.close()
                moved.bytes = os.path.getsize(local_path)
            cursor.close()
        except ValueError as error:
            if str(error).startswith(self.task_id):
                raise
            raise ValueError(f"{self.task_id}: {error}; {self.path} was not written") from None
        finally:
            conn.rollback()  # read-only: nothing to keep, and it ends the named cursor's transaction
            conn.close()
        self._written = (columns, rows)
        self.log.info("Wrote %d rows to %s", rows, self.path)
        return {"rows": rows, "path": self.path, "format": self.format}

    def step_lineage(self, complete: bool) -> StepLineage:
        """The source tables -> the file, column by column from the query."""
        from airflow_ai_etl.lineage.model import StepLineage
        from airflow_ai_etl.lineage.naming import file_dataset
        from airflow_ai_etl.operators._lineage import sql_side

        source = sql_side(self.source_conn_id, "source_conn_id", complete)
        query = self._query(source.hook)
        inputs, columns = source.query(query)
        written = self._written if complete else None
        fields = tuple((c, None) for c in written[0]) if written else ()
        return StepLineage(
            inputs=inputs,
            outputs=[file_dataset(str(self.path), fields)],
            sql=query,
            dialect=source.dialect or None,
            columns=columns,
            rows=written[1] if written else None,
        )
