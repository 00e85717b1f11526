"""TransferOperator: copy a query's or a table's rows into a table, in one target transaction.

Simple and correct rather than fast: rows are read in batches from the source cursor and written
with the target driver's `executemany`. Every write of one attempt (the delete of `replace`
included) happens in a single transaction, so a failed attempt leaves the target as it was and a
retry starts from the same state.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._sql import (
    db_hook,
    insert_statement,
    quote_identifier,
    quote_table,
    require_upsert,
    upsert_statement,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context

MODES = ("append", "replace", "upsert", "incremental")


class TransferOperator(BaseOperator):
    """Copy rows from `source_sql` (or all of `source_table`) into `target_table`.

    :param source_conn_id: connection the rows are read from.
    :param target_conn_id: connection of the target table.
    :param target_table: table to write, optionally schema-qualified; it must exist.
    :param source_sql: one SELECT statement (give this or `source_table`).
    :param source_table: table to copy whole (give this or `source_sql`).
    :param mode: `append` inserts; `replace` deletes all target rows, then inserts; `upsert` inserts
        or updates by `key`; `incremental` copies only rows whose `watermark` is past the target's
        maximum (with a `key`: at or past it, upserted, so rows sharing the maximum are not lost).
    :param key: columns identifying a row (required for `upsert`); a unique constraint on them in
        the target is what ON CONFLICT matches.
    :param watermark: a column that only grows, e.g. `updated_at` (required for `incremental`).
    :param batch_size: rows fetched from the source and written per batch.
    """

    template_fields: Sequence[str] = ("source_sql", "source_table", "target_table")
    template_ext: Sequence[str] = ()  # a source_sql ending in '.sql' is SQL, not a file name
    template_fields_renderers = {"source_sql": "sql"}
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        source_conn_id: str,
        target_conn_id: str,
        target_table: str,
        source_sql: str | None = None,
        source_table: str | None = None,
        mode: str = "append",
        key: Sequence[str] = (),
        watermark: str | None = None,
        batch_size: int = 10_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (source_sql is None) == (source_table is None):
            raise ValueError(f"{self.task_id}: give exactly one of 'source_sql' or 'source_table'")
        if mode not in MODES:
            raise ValueError(f"{self.task_id}: unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if isinstance(key, str):
            raise ValueError(f"{self.task_id}: 'key' must be a list of column names, not a string")
        if mode == "upsert" and not key:
            raise ValueError(f"{self.task_id}: mode 'upsert' needs 'key' (the columns that identify a row)")
        if mode == "incremental" and not watermark:
            raise ValueError(
                f"{self.task_id}: mode 'incremental' needs 'watermark' (a column that only grows)"
            )
        if mode != "incremental" and watermark is not None:
            raise ValueError(f"{self.task_id}: 'watermark' is only used with mode 'incremental'")
        if len(set(key)) != len(key):
            raise ValueError(f"{self.task_id}: 'key' lists a column twice")
        if batch_size < 1:
            raise ValueError(f"{self.task_id}: 'batch_size' must be at least 1, got {batch_size}")
        self.source_conn_id = source_conn_id
        self.target_conn_id = target_conn_id
        self.target_table = target_table
        self.source_sql = source_sql
        self.source_table = source_table
        self.mode = mode
        self.key = list(key)
        self.watermark = watermark
        self.batch_size = batch_size

    @property
    def _upserts(self) -> bool:
        return self.mode == "upsert" or (self.mode == "incremental" and bool(self.key))

    def _source_query(self, source: DbApiHook, since: Any) -> tuple[str, tuple[Any, ...]]:
        """The source SELECT and its parameters; incremental reads wrap it as a filtered subquery."""
        if self.source_table is not None:
            query = f"SELECT * FROM {quote_table(self.source_table, source.escape_word_format)}"
        else:
            query = str(self.source_sql).strip().rstrip(";").rstrip()
        if since is None:  # full read (also the first incremental run, on an empty target)
            return query, ()
        if source.placeholder == "%s":
            query = query.replace("%", "%%")  # pyformat drivers read a literal % as a placeholder
        column = quote_identifier(str(self.watermark), source.escape_word_format)
        operator = ">=" if self.key else ">"
        wrapped = (
            f"SELECT * FROM (\n{query}\n) AS ai_etl_source WHERE {column} {operator} {source.placeholder}"
        )
        return wrapped, (since,)

    def _high_watermark(self, target: DbApiHook, cursor: Any) -> Any:
        column = quote_identifier(str(self.watermark), target.escape_word_format)
        cursor.execute(
            f"SELECT MAX({column}) FROM {quote_table(self.target_table, target.escape_word_format)}"
        )
        return cursor.fetchone()[0]

    def _write_statement(self, target: DbApiHook, columns: list[str]) -> str:
        missing = [c for c in [*self.key, *([self.watermark] if self.watermark else [])] if c not in columns]
        if missing:
            raise ValueError(
                f"{self.task_id}: column(s) {', '.join(missing)} (from 'key'/'watermark') are not among "
                f"the source columns {', '.join(columns)}"
            )
        args = (self.target_table, columns)
        if self._upserts:
            return upsert_statement(*args, self.key, target.placeholder, target.escape_word_format)
        return insert_statement(*args, target.placeholder, target.escape_word_format)

    def execute(self, context: Context) -> dict[str, Any]:
        source = db_hook(self.source_conn_id, "source_conn_id")
        target = db_hook(self.target_conn_id, "target_conn_id")
        if self._upserts:
            require_upsert(target, f"{self.task_id}: target_conn_id {self.target_conn_id!r}")
        rows = 0
        target_conn = target.get_conn()
        source_conn = source.get_conn()
        try:
            target_cursor = target_conn.cursor()
            since = self._high_watermark(target, target_cursor) if self.mode == "incremental" else None
            query, parameters = self._source_query(source, since)
            source_cursor = source_conn.cursor()
            self.log.info("Reading from %s: %s", self.source_conn_id, query)
            if parameters:
                source_cursor.execute(query, parameters)
            else:  # no parameters at all: a pyformat driver must not read '%' in the SQL as one
                source_cursor.execute(query)
            if source_cursor.description is None:
                raise ValueError(
                    f"{self.task_id}: the source statement returned no rows to copy (not a SELECT?)"
                )
            columns = [str(d[0]) for d in source_cursor.description]
            statement = self._write_statement(target, columns)
            if self.mode == "replace":
                target_cursor.execute(
                    f"DELETE FROM {quote_table(self.target_table, target.escape_word_format)}"
                )
            while batch := source_cursor.fetchmany(self.batch_size):
                target_cursor.executemany(statement, [tuple(row) for row in batch])
                rows += len(batch)
            source_cursor.close()
            target_conn.commit()
        except BaseException:
            target_conn.rollback()
            raise
        finally:
            source_conn.close()
            target_conn.close()
        self.log.info("Wrote %d rows to %s (mode %s)", rows, self.target_table, self.mode)
        return {"rows": rows, "mode": self.mode, "target_table": self.target_table}
