"""Checks common-sql's operators lack: row-count change against the last good run, and freshness.

RowCountChangeOperator fails when a table's row count moved too far since the last good run;
FreshnessOperator fails when the newest value of a timestamp column is too old. Their failure
messages name the check, the table and by how much it failed.

Both read through a read-only connection (hooks/readonly.py): a table name or a view cannot
make a check write.

The counts of recent successful runs are kept per DAG and table in an Airflow Variable (a JSON
list of {run_id, count}). A count is recorded only when the check passes, so one bad load does
not become the baseline the next run is compared with.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk import BaseOperator, Variable
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.hooks.readonly import read_first_row
from airflow_ai_etl.operators._lineage import LineageMixin
from airflow_ai_etl.operators._sql import db_hook, quote_identifier, quote_table

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_ai_etl.lineage.model import StepLineage

#: How many recorded counts a history keeps.
HISTORY_LENGTH = 30
_KEY_PREFIX = "ai_etl.row_count_history"
_MAX_KEY_LENGTH = 250  # Airflow's variable key column


class CountHistory(Protocol):
    """Where recorded counts live: a JSON-compatible list of {"run_id", "count"} per key."""

    def load(self, key: str) -> list[dict[str, Any]]: ...

    def save(self, key: str, entries: list[dict[str, Any]]) -> None: ...


class VariableCountHistory:
    """The default store: one Airflow Variable per DAG and table."""

    def load(self, key: str) -> list[dict[str, Any]]:
        value = Variable.get(key, default=None, deserialize_json=True)
        return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []

    def save(self, key: str, entries: list[dict[str, Any]]) -> None:
        description = "Row counts after recent successful row_count_change checks (airflow-ai-etl)."
        Variable.set(key, entries, description=description, serialize_json=True)


def history_key(dag_id: str, table: str) -> str:
    key = f"{_KEY_PREFIX}.{dag_id}.{table}"
    if len(key) <= _MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(f"{dag_id}\0{table}".encode()).hexdigest()
    return f"{_KEY_PREFIX}.{digest}"


def count_change_problem(
    previous: int, current: int, max_drop_pct: float | None, max_growth_pct: float | None
) -> str | None:
    """What is wrong with going from `previous` to `current` rows, or None when within the limits.

    From an empty table any growth is unmeasurable in percent and passes.
    """
    if previous == 0:
        return None
    change = (current - previous) / previous * 100
    if max_drop_pct is not None and -change > max_drop_pct:
        return f"dropped by {-change:.1f}% (limit max_drop_pct={max_drop_pct:g})"
    if max_growth_pct is not None and change > max_growth_pct:
        return f"grew by {change:.1f}% (limit max_growth_pct={max_growth_pct:g})"
    return None


@contextmanager
def _reported(operator: BaseOperator, check: str) -> Iterator[None]:
    """Report the check's outcome as a metric: a check failure (AirflowException) or a pass; any
    other error (a connection down) decided nothing and is not counted."""
    from airflow_ai_etl.observability import metrics

    try:
        yield
    except AirflowException:
        metrics.quality_check(dag_id=operator.dag_id, task_id=operator.task_id, check=check, passed=False)
        raise
    metrics.quality_check(dag_id=operator.dag_id, task_id=operator.task_id, check=check, passed=True)


class _CheckedTable(LineageMixin):
    """A check's lineage: the table it reads, with its columns once the check ran."""

    conn_id: str
    table: str

    def step_lineage(self, complete: bool) -> StepLineage:
        from airflow_ai_etl.lineage.model import StepLineage
        from airflow_ai_etl.operators._lineage import sql_side

        side = sql_side(self.conn_id, "conn_id", complete)
        side.read_catalog([str(self.table)])
        return StepLineage(inputs=[side.dataset(str(self.table))])


class RowCountChangeOperator(_CheckedTable, BaseOperator):
    """Compare a table's row count with the count after the previous successful run of this check.

    :param conn_id: connection of the table.
    :param table: table to count, optionally schema-qualified.
    :param max_drop_pct: fail when the count fell by more than this percentage.
    :param max_growth_pct: fail when the count grew by more than this percentage.
    :param history: where counts are kept (default: an Airflow Variable per DAG and table).
    """

    template_fields = ("table",)
    ui_color = "#fef7e0"

    def __init__(
        self,
        *,
        conn_id: str,
        table: str,
        max_drop_pct: float | None = None,
        max_growth_pct: float | None = None,
        history: CountHistory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_drop_pct is None and max_growth_pct is None:
            raise ValueError(f"{self.task_id}: give 'max_drop_pct', 'max_growth_pct' or both")
        if max_drop_pct is not None and not 0 < max_drop_pct <= 100:
            raise ValueError(f"{self.task_id}: 'max_drop_pct' must be in (0, 100], got {max_drop_pct}")
        if max_growth_pct is not None and max_growth_pct <= 0:
            raise ValueError(f"{self.task_id}: 'max_growth_pct' must be positive, got {max_growth_pct}")
        self.conn_id = conn_id
        self.table = table
        self.max_drop_pct = max_drop_pct
        self.max_growth_pct = max_growth_pct
        self.history = history or VariableCountHistory()

    def execute(self, context: Context) -> dict[str, Any]:
        with _reported(self, "row_count_change"):
            return self._check(str(context["run_id"]))

    def _check(self, run_id: str) -> dict[str, Any]:
        hook = db_hook(self.conn_id, "conn_id")
        current = int(
            read_first_row(hook, f"SELECT COUNT(*) FROM {quote_table(self.table, hook.escape_word_format)}")[
                0
            ]
        )
        key = history_key(self.dag_id, self.table)
        # A retried or cleared run compares with the run before it, not with itself.
        entries = [e for e in self.history.load(key) if e.get("run_id") != run_id]
        previous = entries[-1] if entries else None
        if previous is None:
            self.log.info(
                "No earlier count of %s: recording %d rows as the first baseline", self.table, current
            )
        else:
            problem = count_change_problem(
                int(previous["count"]), current, self.max_drop_pct, self.max_growth_pct
            )
            if problem:
                from airflow_ai_etl.observability import metrics

                direction = "drop" if current < int(previous["count"]) else "growth"
                metrics.row_count_alert(dag_id=self.dag_id, table=self.table, direction=direction)
                raise AirflowException(
                    f"row_count_change check failed on table {self.table} (connection {self.conn_id}): "
                    f"the row count {problem}: {previous['count']} rows after run {previous['run_id']}, "
                    f"{current} now"
                )
            self.log.info("Row count of %s: %s -> %d, within limits", self.table, previous["count"], current)
        self.history.save(key, [*entries, {"run_id": run_id, "count": current}][-HISTORY_LENGTH:])
        return {
            "table": self.table,
            "previous": None if previous is None else previous["count"],
            "count": current,
        }


def format_age(seconds: float) -> str:
    """A duration the way people say it: 45s, 12m, 3h12m, 2d3h (the two largest units)."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    parts: list[tuple[int, str]] = []
    for name, size in units:
        count, total = divmod(total, size)
        if count or parts:
            parts.append((count, name))
    shown = parts[:2]
    if len(shown) == 2 and shown[1][0] == 0:
        shown = shown[:1]
    return "".join(f"{count}{name}" for count, name in shown)


def newest_moment(value: Any) -> dt.datetime:
    """The MAX() of a timestamp/date column as an aware datetime.

    Naive timestamps are taken as UTC (how a `timestamp without time zone` is usually written);
    a date is its midnight, UTC. Text (SQLite keeps timestamps as text) is read as ISO 8601.
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise ValueError(f"a {type(value).__name__} value is not a timestamp or a date")


class FreshnessOperator(_CheckedTable, BaseOperator):
    """Fail when the newest value of a timestamp (or date) column is older than `max_age_minutes`.

    The age is measured against the worker's clock (UTC) when the check runs. An empty table, or
    a column that is NULL everywhere, fails: there is nothing fresh in it.

    :param conn_id: connection of the table.
    :param table: table to check, optionally schema-qualified.
    :param column: the timestamp or date column whose newest value is measured.
    :param max_age_minutes: oldest acceptable age of the newest value, in minutes.
    """

    template_fields = ("table",)
    ui_color = "#fef7e0"

    def __init__(
        self, *, conn_id: str, table: str, column: str, max_age_minutes: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not column or not column.strip():
            raise ValueError(f"{self.task_id}: 'column' is empty")
        if isinstance(max_age_minutes, bool) or not max_age_minutes > 0:
            raise ValueError(f"{self.task_id}: 'max_age_minutes' must be positive, got {max_age_minutes!r}")
        self.conn_id = conn_id
        self.table = table
        self.column = column
        self.max_age_minutes = max_age_minutes

    def execute(self, context: Context) -> dict[str, Any]:
        with _reported(self, "freshness"):
            return self._check()

    def _check(self) -> dict[str, Any]:
        hook = db_hook(self.conn_id, "conn_id")
        escape = hook.escape_word_format
        what = f"freshness check failed on table {self.table} (connection {self.conn_id})"
        newest = read_first_row(
            hook,
            f"SELECT MAX({quote_identifier(self.column, escape)}) FROM {quote_table(self.table, escape)}",
        )[0]
        if newest is None:
            raise AirflowException(
                f"{what}: column {self.column} has no value (the table is empty or all NULL)"
            )
        try:
            moment = newest_moment(newest)
        except ValueError as error:
            raise AirflowException(
                f"{what}: the newest {self.column} cannot be read as a time: {error}"
            ) from None
        age = (dt.datetime.now(dt.UTC) - moment).total_seconds()
        limit = self.max_age_minutes * 60
        summary = f"newest {self.table}.{self.column} is {moment.isoformat()}"
        if age > limit:
            raise AirflowException(
                f"{what}: {summary}, {format_age(age)} old; limit {format_age(limit)} "
                f"(max_age_minutes={self.max_age_minutes:g}), {format_age(age - limit)} over"
            )
        self.log.info("%s, %s old: within %s", summary, format_age(max(age, 0)), format_age(limit))
        return {"table": self.table, "column": self.column, "newest": moment.isoformat(), "age_seconds": age}
