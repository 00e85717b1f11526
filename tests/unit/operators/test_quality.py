"""RowCountChangeOperator on SQLite: first run records, limits fail with a clear message, history rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators import RowCountChangeOperator
from airflow_ai_etl.operators.quality import (
    HISTORY_LENGTH,
    VariableCountHistory,
    count_change_problem,
    history_key,
)


class MemoryHistory:
    """Stands in for the Airflow Variable, which only a running task can write."""

    def __init__(self) -> None:
        self.data: dict[str, list[dict[str, Any]]] = {}

    def load(self, key: str) -> list[dict[str, Any]]:
        return json.loads(json.dumps(self.data.get(key, [])))

    def save(self, key: str, entries: list[dict[str, Any]]) -> None:
        self.data[key] = json.loads(json.dumps(entries))


@pytest.fixture
def table(sqlite_db: Callable[..., Path]) -> Callable[[int], None]:
    """Set the number of rows of table `items` on connection `db`."""
    path = sqlite_db("db", "CREATE TABLE items (id INTEGER);")

    def fill(count: int) -> None:
        import sqlite3

        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DELETE FROM items")
            conn.executemany("INSERT INTO items VALUES (?)", [(i,) for i in range(count)])
        conn.close()

    return fill


def check(history: MemoryHistory, run_id: str, **limits: float) -> dict[str, Any]:
    with DAG("nightly", schedule=None):
        op = RowCountChangeOperator(
            task_id="items_change", conn_id="db", table="items", history=history, **limits
        )
    result: dict[str, Any] = op.execute({"run_id": run_id})  # type: ignore[arg-type]
    return result


def test_first_run_passes_and_records(table: Callable[[int], None]) -> None:
    history = MemoryHistory()
    table(10)
    assert check(history, "r1", max_drop_pct=50) == {"table": "items", "previous": None, "count": 10}
    assert history.data == {history_key("nightly", "items"): [{"run_id": "r1", "count": 10}]}


def test_a_drop_past_the_limit_fails_naming_check_table_and_counts(table: Callable[[int], None]) -> None:
    history = MemoryHistory()
    table(200)
    check(history, "r1", max_drop_pct=50)
    table(50)
    with pytest.raises(AirflowException) as info:
        check(history, "r2", max_drop_pct=50)
    message = str(info.value)
    assert "row_count_change check failed on table items (connection db)" in message
    assert "dropped by 75.0% (limit max_drop_pct=50)" in message
    assert "200 rows after run r1, 50 now" in message
    # the failed count is not recorded: the next run still compares with 200
    assert [e["count"] for e in history.load(history_key("nightly", "items"))] == [200]
    table(150)
    assert check(history, "r3", max_drop_pct=50)["previous"] == 200


def test_growth_limit(table: Callable[[int], None]) -> None:
    history = MemoryHistory()
    table(10)
    check(history, "r1", max_growth_pct=100)
    table(20)
    check(history, "r2", max_growth_pct=100)
    table(41)
    with pytest.raises(AirflowException, match=r"grew by 105.0% \(limit max_growth_pct=100\)"):
        check(history, "r3", max_growth_pct=100)


def test_a_retried_run_compares_with_the_run_before_it(table: Callable[[int], None]) -> None:
    history = MemoryHistory()
    table(100)
    check(history, "r1", max_drop_pct=10)
    table(95)
    check(history, "r2", max_drop_pct=10)
    table(92)
    assert check(history, "r2", max_drop_pct=10)["previous"] == 100  # not its own first attempt
    assert history.load(history_key("nightly", "items")) == [
        {"run_id": "r1", "count": 100},
        {"run_id": "r2", "count": 92},
    ]


def test_history_is_bounded(table: Callable[[int], None]) -> None:
    history = MemoryHistory()
    table(5)
    for n in range(HISTORY_LENGTH + 5):
        check(history, f"r{n}", max_drop_pct=10)
    entries = history.load(history_key("nightly", "items"))
    assert len(entries) == HISTORY_LENGTH
    assert entries[-1]["run_id"] == f"r{HISTORY_LENGTH + 4}"


@pytest.mark.parametrize(
    ("previous", "current", "drop", "growth", "expected"),
    [
        (100, 50, 50, None, None),
        (100, 49, 50, None, "dropped by 51.0% (limit max_drop_pct=50)"),
        (100, 1000, 50, None, None),
        (0, 1000, 50, 10, None),
        (100, 100, 0.5, 0.5, None),
        (3, 4, None, 33.3, "grew by 33.3% (limit max_growth_pct=33.3)"),
    ],
)
def test_count_change_problem(
    previous: int, current: int, drop: float | None, growth: float | None, expected: str | None
) -> None:
    assert count_change_problem(previous, current, drop, growth) == expected


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({}, "give 'max_drop_pct', 'max_growth_pct' or both"),
        ({"max_drop_pct": 0}, "'max_drop_pct' must be in"),
        ({"max_drop_pct": 101}, "'max_drop_pct' must be in"),
        ({"max_growth_pct": -1}, "'max_growth_pct' must be positive"),
    ],
)
def test_bad_limits_are_refused(limits: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=f"c: {message}"):
        RowCountChangeOperator(task_id="c", conn_id="db", table="t", **limits)


def test_long_keys_stay_within_airflow_variable_limits() -> None:
    assert history_key("nightly", "items") == "ai_etl.row_count_history.nightly.items"
    long_key = history_key("d" * 200, "s.t")
    assert len(long_key) <= 250
    assert long_key != history_key("d" * 200, "s.u")


def test_the_default_history_reads_the_airflow_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    key = history_key("nightly", "items")
    store = VariableCountHistory()
    monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", json.dumps([{"run_id": "r1", "count": 7}]))
    assert store.load(key) == [{"run_id": "r1", "count": 7}]
    assert store.load(history_key("nightly", "other")) == []
