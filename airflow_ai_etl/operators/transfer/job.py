"""One transfer's settings as the paths (COPY, Arrow, DB-API) read them, and what they return.

The operator renders its templated fields, then hands a `TransferJob` to the path that fits the
two connections. Everything the paths share about *what* to copy lives here: the source query
(wrapped with the watermark filter for incremental reads), the checks that the key and watermark
are among the source columns, and the statements that merge a staging table into the target.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_ai_etl.operators._sql import (
    column_list,
    conflict_clause,
    quote_identifier,
    quote_table,
    source_select,
)


class Log(Protocol):
    """What the paths need of a logger (the task's, structlog-backed, or a stdlib one)."""

    def info(self, event: Any, *args: Any, **kw: Any) -> Any: ...


class TransferError(RuntimeError):
    """A transfer attempt failed; the message names the side, and the row or column where known."""


@dataclass(frozen=True)
class TransferJob:
    task_id: str
    target_table: str
    mode: str
    source_sql: str | None = None
    source_table: str | None = None
    key: Sequence[str] = ()
    watermark: str | None = None
    batch_size: int = 10_000
    create_target: bool = False
    transfer_id: str = ""
    run_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def upserts(self) -> bool:
        return self.mode == "upsert" or (self.mode == "incremental" and bool(self.key))

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"

    def base_query(self, escape: str) -> str:
        return source_select(self.source_sql, self.source_table, escape)

    def source_query(self, escape: str, placeholder: str, since: Any) -> tuple[str, tuple[Any, ...]]:
        """The source SELECT and its parameters; an incremental read wraps it as a filtered subquery.

        A caller that cannot bind parameters (ADBC's COPY) passes the value's SQL literal as the
        `placeholder` and ignores the parameters returned. With a key, rows at the
        watermark itself are re-read (and upserted), so rows sharing the maximum are never lost.
        """
        query = self.base_query(escape)
        if not self.incremental or since is None:
            return query, ()
        column = quote_identifier(str(self.watermark), escape)
        operator = ">=" if self.key else ">"
        if placeholder == "%s":
            query = query.replace("%", "%%")  # pyformat drivers read a literal % as a placeholder
        wrapped = f"SELECT * FROM (\n{query}\n) AS ai_etl_source WHERE {column} {operator} {placeholder}"
        return wrapped, (since,)

    def outcome(self, rows: int, path: str, high: Any, size: int | None = None) -> dict[str, Any]:
        """What a path returns: rows written, the path's name, the watermark reached, and the bytes
        moved when the path sees them (COPY data, Arrow buffers)."""
        result: dict[str, Any] = {"rows": rows, "path": path}
        if size is not None:
            result["bytes"] = size
        if self.incremental:
            result["watermark"] = str(high) if high is not None else None
        return result

    def check_columns(self, columns: Sequence[str]) -> None:
        wanted = [*self.key, *([self.watermark] if self.watermark else [])]
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise ValueError(
                f"{self.task_id}: column(s) {', '.join(missing)} (from 'key'/'watermark') are not among "
                f"the source columns {', '.join(columns)}"
            )
        if len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if list(columns).count(c) > 1})
            raise ValueError(f"{self.task_id}: the source yields column(s) {', '.join(twice)} twice")

    def interval_delete(self, escape: str, placeholder: str, since: Any) -> tuple[str, tuple[Any, ...]]:
        """Incremental without a key: the target rows of the interval being (re)loaded go first.

        On a first run that is nothing; on a rerun it is what an earlier attempt of the same
        interval loaded, which is how a rerun replaces rather than duplicates.
        """
        table = quote_table(self.target_table, escape)
        if since is None:
            return f"DELETE FROM {table}", ()
        column = quote_identifier(str(self.watermark), escape)
        return f"DELETE FROM {table} WHERE {column} > {placeholder}", (since,)

    def merge_statements(self, stage: str, columns: Sequence[str], escape: str) -> list[str]:
        """SQL that moves a staging table's rows into the target (PostgreSQL, SQLite syntax)."""
        target = quote_table(self.target_table, escape)
        cols = column_list(columns, escape)
        insert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"
        if self.upserts:
            # WHERE true: SQLite's parser needs it to read ON CONFLICT after a SELECT
            return [f"{insert} WHERE true {conflict_clause(columns, self.key, escape)}"]
        if self.mode == "replace":
            return [f"DELETE FROM {target}", insert]
        return [insert]


@contextmanager
def one_transaction(source_conn: Any, target_conn: Any) -> Iterator[None]:
    """The attempt's single target transaction: committed at the end, rolled back on any failure.

    BaseException included: a task killed by a signal (SIGTERM from Airflow) must not commit.
    Both connections are closed either way.
    """
    try:
        yield
        target_conn.commit()
    except BaseException:
        target_conn.rollback()
        raise
    finally:
        source_conn.close()
        target_conn.close()
