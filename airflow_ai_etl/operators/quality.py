"""RowCountChangeOperator: fail when a table's row count moved too far since the last good run.

The counts of recent successful runs are kept per DAG and table in an Airflow Variable (a JSON
list of {run_id, count}). A count is recorded only when the check passes, so one bad load does
not become the baseline the next run is compared with.

Only `airflow.sdk` is imported at module level: DAG files import this module at every parse.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk import BaseOperator, Variable
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators._sql import db_hook, quote_table

if TYPE_CHECKING:
    from airflow.sdk import Context

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


class RowCountChangeOperator(BaseOperator):
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
        hook = db_hook(self.conn_id, "conn_id")
        current = int(
            hook.get_first(f"SELECT COUNT(*) FROM {quote_table(self.table, hook.escape_word_format)}")[0]
        )
        run_id = str(context["run_id"])
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
