"""The stored watermark of an incremental transfer, kept in a small table in the target.

Each transfer (`transfer_id`, by default `<dag_id>.<task_id>`) keeps two kinds of rows in
`ai_etl_transfer_state`: run_id '' holds the high watermark (the largest watermark value loaded so
far); one row per run holds the watermark that run started from. Both are written in the same
transaction as the rows they describe, so a crash can never advance the watermark without the data.
A rerun of a run (a retry, a cleared task) starts again from that run's own starting point and
reloads its interval, replacing what an earlier attempt of it loaded: no duplicates, no loss.

Values are stored as JSON text tagged with their Python type, so a timestamp comes back as a
timestamp and travels to the source query as a typed parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from airflow_ai_etl.operators._sql import quote_identifier, quote_table

STATE_TABLE = "ai_etl_transfer_state"
HIGH = ""  # run_id of the row that holds the high watermark


def encode(value: Any) -> str | None:
    """JSON text for a watermark value, tagged with its type; None stays None (SQL NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"a boolean ({value!r}) cannot be a watermark")
    if isinstance(value, dt.datetime):
        return json.dumps({"datetime": value.isoformat()})
    if isinstance(value, dt.date):
        return json.dumps({"date": value.isoformat()})
    if isinstance(value, Decimal):
        return json.dumps({"decimal": str(value)})
    if isinstance(value, int):
        return json.dumps({"int": value})
    if isinstance(value, float):
        return json.dumps({"float": value})
    if isinstance(value, str):
        return json.dumps({"str": value})
    raise TypeError(f"a {type(value).__name__} ({value!r}) cannot be stored as a watermark")


def decode(text: str | None) -> Any:
    if text is None:
        return None
    ((tag, raw),) = json.loads(text).items()
    readers: dict[str, Callable[[Any], Any]] = {
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "decimal": Decimal,
        "int": int,
        "float": float,
        "str": str,
    }
    return readers[tag](raw)


@dataclass(frozen=True)
class Stored:
    """What the state table says about one transfer and one run."""

    high_found: bool = False
    high: Any = None
    run_found: bool = False
    run_since: Any = None

    def since(self, seed: Callable[[], Any]) -> Any:
        """Where this attempt reads from: its run's own start on a rerun, else the high watermark.

        With no state at all (first run, or a target loaded before the state table existed),
        `seed` gives the target's own MAX(watermark), so an existing target is not copied twice.
        """
        if self.run_found:
            return self.run_since
        if self.high_found:
            return self.high
        return seed()


def state_table_for(target_table: str) -> str:
    """The state table beside the target: in the target's schema when the target is qualified."""
    schema, _, _ = target_table.rpartition(".")
    return f"{schema}.{STATE_TABLE}" if schema else STATE_TABLE


def later(a: Any, b: Any) -> Any:
    """The larger of two watermarks, None counting as 'nothing yet'."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


def open_state(
    cursor: Any, job: Any, placeholder: str, escape: str, seed: Callable[[], Any]
) -> tuple[SqlState | None, Stored, Any]:
    """For an incremental job: its state table (created when missing), what it holds, and `since`."""
    if not job.incremental:
        return None, Stored(), None
    state = SqlState(cursor, job.target_table, placeholder, escape)
    state.ensure()
    stored = state.read(job.transfer_id, job.run_id)
    return state, stored, stored.since(seed)


class SqlState:
    """The state table through a DB-API cursor, inside the caller's transaction (PostgreSQL, SQLite, ...)."""

    def __init__(self, cursor: Any, target_table: str, placeholder: str, escape: str = '"{}"') -> None:
        self.cursor = cursor
        self.table = quote_table(state_table_for(target_table), escape)
        self.placeholder = placeholder
        self.escape = escape

    def ensure(self) -> None:
        q = self.escape
        self.cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            f"{quote_identifier('transfer_id', q)} VARCHAR(500) NOT NULL, "
            f"{quote_identifier('run_id', q)} VARCHAR(500) NOT NULL, "
            f"{quote_identifier('watermark', q)} TEXT, "
            f"{quote_identifier('updated_at', q)} VARCHAR(40) NOT NULL, "
            f"PRIMARY KEY ({quote_identifier('transfer_id', q)}, {quote_identifier('run_id', q)}))"
        )

    def read(self, transfer_id: str, run_id: str) -> Stored:
        p = self.placeholder
        self.cursor.execute(
            f"SELECT run_id, watermark FROM {self.table} WHERE transfer_id = {p} AND run_id IN ({p}, {p})",
            (transfer_id, HIGH, run_id or HIGH),
        )
        found = {str(r[0]): decode(r[1]) for r in self.cursor.fetchall()}
        return Stored(
            high_found=HIGH in found,
            high=found.get(HIGH),
            run_found=bool(run_id) and run_id in found,
            run_since=found.get(run_id),
        )

    def write(self, transfer_id: str, run_id: str, since: Any, high: Any, stored: Stored) -> None:
        """Record the new high watermark and, the first time a run loads, where it started."""
        rows = [(HIGH, high)]
        if run_id and not stored.run_found:
            rows.append((run_id, since))
        now = dt.datetime.now(dt.UTC).isoformat()
        p = self.placeholder
        for run, value in rows:
            self.cursor.execute(
                f"DELETE FROM {self.table} WHERE transfer_id = {p} AND run_id = {p}", (transfer_id, run)
            )
            self.cursor.execute(
                f"INSERT INTO {self.table} (transfer_id, run_id, watermark, updated_at) "
                f"VALUES ({p}, {p}, {p}, {p})",
                (transfer_id, run, encode(value), now),
            )
