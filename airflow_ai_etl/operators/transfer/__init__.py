"""TransferOperator: copy a query's or a table's rows into a table, streaming, safe to retry.

The operator picks a path from the two connections' hooks and logs which one ran:

- PostgreSQL -> PostgreSQL: `COPY (query) TO STDOUT` streamed block by block into `COPY ... FROM
  STDIN`, in binary when every column's type matches the target's, else in text (`postgres.py`);
- any SQL source -> ClickHouse: Arrow record batches (PostgreSQL through ADBC when installed),
  cast to the target columns' types and sent with clickhouse-connect's `insert_arrow` (`clickhouse.py`);
- anything else: DB-API batches and `executemany` (`dbapi.py`).

Every path keeps memory bounded (nothing holds the whole result) and makes each attempt
all-or-nothing for readers: `replace` loads a staging table and swaps it in atomically, `upsert`
merges a staging table by key (`ON CONFLICT`, or ClickHouse's ReplacingMergeTree), and
`incremental` stores its watermark in the target (`state.py`) in the same transaction as the rows.

Only `airflow.sdk` and light modules are imported at module level: DAG files import this module at
every parse; drivers, pyarrow and the paths load inside `execute`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_ai_etl.operators._checks import check_at_least_one, check_columns
from airflow_ai_etl.operators._lineage import LineageMixin
from airflow_ai_etl.operators._sql import db_hook, require_upsert, source_select
from airflow_ai_etl.operators.transfer.job import TransferError, TransferJob

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context

    from airflow_ai_etl.lineage.model import StepLineage

MODES = ("append", "replace", "upsert", "incremental")

__all__ = ["MODES", "TransferError", "TransferOperator"]


class TransferOperator(LineageMixin, BaseOperator):
    """Copy rows from `source_sql` (or all of `source_table`) into `target_table`.

    :param source_conn_id: connection the rows are read from.
    :param target_conn_id: connection of the target table.
    :param target_table: table to write, optionally schema-qualified; it must exist unless
        `create_target` is set.
    :param source_sql: one SELECT statement (give this or `source_table`).
    :param source_table: table to copy whole (give this or `source_sql`).
    :param mode: `append` inserts; `replace` swaps the target's rows for the source's in one step;
        `upsert` inserts or updates by `key`; `incremental` copies only rows whose `watermark` is past
        the stored watermark (with a `key`: at or past it, upserted, so rows sharing the maximum are
        not lost).
    :param key: columns identifying a row (required for `upsert`): a unique constraint on them in a
        SQL target (what ON CONFLICT matches), the sorting key of a ReplacingMergeTree in ClickHouse.
    :param watermark: a column that only grows, e.g. `updated_at` (required for `incremental`).
    :param batch_size: rows per batch on the DB-API and Arrow paths (COPY streams its own blocks).
    :param create_target: create `target_table` from the source's column types when it is missing.
    :param state_key: name of this transfer's stored watermark; defaults to `<dag_id>.<task_id>`.
    """

    template_fields: Sequence[str] = (
        "source_sql",
        "source_table",
        "target_table",
        "source_conn_id",
        "target_conn_id",
        "state_key",
    )
    template_ext: Sequence[str] = ()  # a source_sql ending in '.sql' is SQL, not a file name
    template_fields_renderers = {"source_sql": "sql"}
    ui_color = "#e8f0fe"
    #: Rows the last execute wrote (the lineage's output statistics).
    _rows_written: int | None = None

    def __init__(
        self,
        *,
        source_conn_id: str,
        target_conn_id: str,
        target_table: str,
        source_sql: str | None = None,
        source_table: str | None = None,
        mode: str = "append",
        key: Sequence[str] | None = (),
        watermark: str | None = None,
        batch_size: int = 10_000,
        create_target: bool = False,
        state_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        key = () if key is None else key
        if (source_sql is None) == (source_table is None):
            raise ValueError(f"{self.task_id}: give exactly one of 'source_sql' or 'source_table'")
        if mode not in MODES:
            raise ValueError(f"{self.task_id}: unknown mode {mode!r}; use one of {', '.join(MODES)}")
        check_columns(self.task_id, "key", key)
        if mode == "upsert" and not key:
            raise ValueError(f"{self.task_id}: mode 'upsert' needs 'key' (the columns that identify a row)")
        if mode == "incremental" and not watermark:
            raise ValueError(
                f"{self.task_id}: mode 'incremental' needs 'watermark' (a column that only grows)"
            )
        if mode != "incremental" and watermark is not None:
            raise ValueError(f"{self.task_id}: 'watermark' is only used with mode 'incremental'")
        check_at_least_one(self.task_id, "batch_size", batch_size)
        if not isinstance(create_target, bool):
            raise ValueError(f"{self.task_id}: 'create_target' must be true or false, got {create_target!r}")
        if state_key is not None and mode != "incremental":
            raise ValueError(f"{self.task_id}: 'state_key' is only used with mode 'incremental'")
        self.source_conn_id = source_conn_id
        self.target_conn_id = target_conn_id
        self.target_table = target_table
        self.source_sql = source_sql
        self.source_table = source_table
        self.mode = mode
        self.key = list(key)
        self.watermark = watermark
        self.batch_size = batch_size
        self.create_target = create_target
        self.state_key = state_key

    def _job(self, context: Context) -> TransferJob:
        if not str(self.target_table or "").strip():
            raise ValueError(f"{self.task_id}: 'target_table' rendered empty")
        run_id = context.get("run_id") if hasattr(context, "get") else None
        return TransferJob(
            task_id=self.task_id,
            target_table=str(self.target_table),
            mode=self.mode,
            source_sql=self.source_sql,
            source_table=self.source_table,
            key=tuple(self.key),
            watermark=self.watermark,
            batch_size=self.batch_size,
            create_target=self.create_target,
            transfer_id=self.state_key or f"{self.dag_id}.{self.task_id}",
            run_id=str(run_id or ""),
        )

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_ai_etl.observability.task_runs import measured

        return measured(self, context, "transfer", lambda _: self._transfer(context))

    def _transfer(self, context: Context) -> dict[str, Any]:
        job = self._job(context)
        source = db_hook(self.source_conn_id, "source_conn_id")
        target = db_hook(self.target_conn_id, "target_conn_id")
        path = _choose_path(source, target)
        if job.upserts and path != "clickhouse":
            require_upsert(target, f"{self.task_id}: target_conn_id {self.target_conn_id!r}")
        self.log.info(
            "Transfer %s -> %s (%s) on the %s path, mode %s",
            self.source_conn_id,
            self.target_conn_id,
            job.target_table,
            path,
            job.mode,
        )
        result: dict[str, Any] | None = None
        if path == "postgres":
            from airflow_ai_etl.operators.transfer.postgres import run as copy_rows

            result = copy_rows(job, source, target, self.log)
        elif path == "clickhouse":
            from airflow_ai_etl.operators.transfer.clickhouse import run as insert_arrow

            result = insert_arrow(job, source, target, self.log)
        if result is None:
            from airflow_ai_etl.operators.transfer.dbapi import run as execute_many

            result = execute_many(job, source, target, self.log)
        self._rows_written = int(result["rows"])
        self.log.info(
            "Wrote %d rows to %s (mode %s, path %s)",
            result["rows"],
            job.target_table,
            job.mode,
            result["path"],
        )
        return {"rows": result["rows"], "mode": job.mode, "target_table": job.target_table} | result

    def step_lineage(self, complete: bool) -> StepLineage:
        """Source tables -> target table, column by column from the source query (by name, as it loads)."""
        from airflow_ai_etl.lineage.model import StepLineage
        from airflow_ai_etl.operators._lineage import sql_side

        source = sql_side(self.source_conn_id, "source_conn_id", complete)
        target = sql_side(self.target_conn_id, "target_conn_id", complete)
        table = None if self.source_table is None else str(self.source_table)
        query = source_select(self.source_sql, table, source.hook.escape_word_format)
        inputs, columns = source.query(query)
        target.read_catalog([str(self.target_table)])
        return StepLineage(
            inputs=inputs,
            outputs=[target.dataset(str(self.target_table))],
            sql=query,
            dialect=source.dialect or None,
            columns=columns,
            rows=self._rows_written if complete else None,
        )


def _choose_path(source: DbApiHook, target: DbApiHook) -> str:
    """'postgres' (COPY both ways), 'clickhouse' (Arrow batches) or 'dbapi' (executemany)."""
    try:
        from airflow_ai_etl.hooks.clickhouse import ClickHouseHook
    except ImportError:  # pragma: no cover - the hook module itself imports nothing optional
        ClickHouseHook = None  # type: ignore[assignment,misc]
    if ClickHouseHook is not None and isinstance(target, ClickHouseHook):
        return "clickhouse"
    if source.dialect_name == "postgresql" and target.dialect_name == "postgresql":
        from airflow_ai_etl.operators.transfer.postgres import supported

        if supported(source) and supported(target):
            return "postgres"
    return "dbapi"
