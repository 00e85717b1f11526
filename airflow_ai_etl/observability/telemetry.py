"""Telemetry rows in ClickHouse: task runs and model calls, written off the critical path.

`[ai_etl] telemetry_conn_id` names a `clickhouse` connection (a server, or chDB); empty turns
telemetry off. Rows go into a bounded in-memory queue and a daemon thread inserts them in batches
through ClickHouseHook, creating the tables (`telemetry.sql`, shipped with the package) on first
use. The caller never waits on ClickHouse: a full queue drops the row, a failing or slow
ClickHouse costs the thread, not the caller; what was dropped is counted (`dropped()`) and logged
once. At interpreter exit the queue gets at most `EXIT_FLUSH_S` to drain (task processes run
atexit handlers after reporting their state), and none when ClickHouse is already failing.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import astuple, dataclass, field, fields
from importlib.resources import files
from typing import TYPE_CHECKING, ClassVar

from airflow_ai_etl.config import config_str

if TYPE_CHECKING:
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

log = logging.getLogger(__name__)

#: Rows waiting at most; beyond, new rows are dropped (and counted), never waited for.
QUEUE_ROWS = 10_000
#: Rows per insert, and the longest a row waits for companions.
BATCH_ROWS = 500
BATCH_WAIT_S = 1.0
#: After a failed insert, rows are dropped for this long instead of queueing behind a dead server.
BACKOFF_S = 30.0
#: How long interpreter exit waits for queued rows.
EXIT_FLUSH_S = 2.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TaskRunRow:
    """One run of a data-moving task (the columns of `ai_etl_task_runs`)."""

    TABLE: ClassVar[str] = "ai_etl_task_runs"

    dag_id: str
    task_id: str
    run_id: str
    kind: str
    outcome: str
    rows: int
    bytes: int | None
    duration_s: float
    at: dt.datetime = field(default_factory=_now)


@dataclass(frozen=True)
class LlmCallRow:
    """One agent call to a model, or to the LLM cache in its stead (columns of `ai_etl_llm_calls`)."""

    TABLE: ClassVar[str] = "ai_etl_llm_calls"

    generation_id: str
    dag_id: str
    agent: str
    model: str
    outcome: str
    cache_tier: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    at: dt.datetime = field(default_factory=_now)


Row = TaskRunRow | LlmCallRow


def ddl_statements() -> list[str]:
    """The CREATE TABLE statements of the shipped DDL, one per table."""
    text = (files("airflow_ai_etl") / "observability" / "telemetry.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in body.split(";") if statement.strip()]


class TelemetryWriter:
    """The queue and the thread that empties it into ClickHouse."""

    def __init__(self, hook: ClickHouseHook, *, queue_rows: int = QUEUE_ROWS) -> None:
        self.hook = hook
        self._queue: queue.Queue[Row] = queue.Queue(maxsize=queue_rows)
        self._dropped: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._warned = False
        self._failing_until = 0.0
        self._tables_ready = False
        self._thread = threading.Thread(target=self._run, name="ai-etl-telemetry", daemon=True)
        self._thread.start()

    def record(self, row: Row) -> None:
        """Queue `row`; never blocks."""
        if time.monotonic() < self._failing_until:
            self._drop(row.TABLE, 1, "ClickHouse failed recently")
            return
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._drop(row.TABLE, 1, f"the queue is full ({self._queue.maxsize} rows)")

    def dropped(self) -> dict[str, int]:
        with self._lock:
            return dict(self._dropped)

    def flush(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for queued rows to be written (or dropped); True when done."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            if time.monotonic() < self._failing_until:
                return False
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _drop(self, table: str, count: int, why: str) -> None:
        with self._lock:
            self._dropped[table] += count
            warn, self._warned = not self._warned, True
        if warn:
            log.warning("telemetry rows dropped (counted, logged only once): %s", why)

    def _batch(self) -> list[Row]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + BATCH_WAIT_S
        while len(batch) < BATCH_ROWS:
            try:
                batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._batch()
            try:
                self._write(batch)
            except Exception as exc:  # whatever ClickHouse or the network does, the thread lives on
                self._failing_until = time.monotonic() + BACKOFF_S
                self._drop(batch[0].TABLE, len(batch), f"writing to ClickHouse failed: {exc}")
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _write(self, batch: list[Row]) -> None:
        client = self.hook.get_client()
        try:
            if not self._tables_ready:
                for statement in ddl_statements():
                    client.command(statement)
                self._tables_ready = True
            for kind in (TaskRunRow, LlmCallRow):
                rows = [astuple(r) for r in batch if isinstance(r, kind)]
                if rows:
                    columns = [f.name for f in fields(kind)]
                    client.insert(kind.TABLE, rows, column_names=columns)
        finally:
            client.close()


@functools.cache
def process_writer() -> TelemetryWriter | None:
    """This process's writer from `[ai_etl] telemetry_conn_id`; None when telemetry is off or its
    connection cannot be read (said once in the log)."""
    conn_id = config_str("telemetry_conn_id")
    if conn_id is None:
        return None
    from airflow_ai_etl.hooks.clickhouse import ClickHouseHook

    hook = ClickHouseHook(clickhouse_conn_id=conn_id)
    try:
        hook.connection  # noqa: B018  # resolved here: the writer thread cannot ask the task supervisor
    except Exception as exc:
        log.warning("telemetry is off: [ai_etl] telemetry_conn_id %r cannot be read: %s", conn_id, exc)
        return None
    writer = TelemetryWriter(hook)
    atexit.register(writer.flush, EXIT_FLUSH_S)
    return writer


def record(row: Row) -> None:
    """Queue one telemetry row when telemetry is on; never raises, never blocks."""
    try:
        writer = process_writer()
        if writer is not None:
            writer.record(row)
    except Exception as exc:  # telemetry must not fail what it observes
        log.warning("telemetry row not recorded: %s", exc)
