"""FreshnessOperator on SQLite: a fresh table passes, a stale one fails saying by how much, on which table."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators import FreshnessOperator
from airflow_ai_etl.operators.quality import format_age, newest_moment


@pytest.fixture
def orders(sqlite_db: Callable[..., Path]) -> Callable[..., None]:
    """Set the `updated_at` values of table `orders` on connection `db`."""
    path = sqlite_db("db", "CREATE TABLE orders (id INTEGER, updated_at TIMESTAMP);")

    def fill(*values: str | None) -> None:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DELETE FROM orders")
            conn.executemany("INSERT INTO orders VALUES (?, ?)", list(enumerate(values)))
        conn.close()

    return fill


def check(max_age_minutes: float = 60) -> dict[str, Any]:
    op = FreshnessOperator(
        task_id="fresh", conn_id="db", table="orders", column="updated_at", max_age_minutes=max_age_minutes
    )
    result: dict[str, Any] = op.execute({})  # type: ignore[arg-type]
    return result


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).isoformat()


def test_a_fresh_table_passes(orders: Callable[..., None]) -> None:
    orders(ago(days=3), ago(minutes=5), None)
    result = check(60)
    assert result["table"] == "orders" and result["column"] == "updated_at"
    assert 4 * 60 < result["age_seconds"] < 10 * 60


def test_a_stale_table_fails_naming_table_column_age_and_limit(orders: Callable[..., None]) -> None:
    orders(ago(hours=5), ago(hours=3, minutes=12, seconds=10))
    with pytest.raises(AirflowException) as info:
        check(60)
    message = str(info.value)
    assert message.startswith("freshness check failed on table orders (connection db): ")
    assert "newest orders.updated_at is " in message
    assert ", 3h12m old; limit 1h (max_age_minutes=60), 2h12m over" in message


def test_naive_timestamps_are_utc(orders: Callable[..., None]) -> None:
    naive = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90)).replace(tzinfo=None).isoformat(" ")
    orders(naive)
    assert check(120)["newest"].endswith("+00:00")
    with pytest.raises(AirflowException, match="1h30m old; limit 1h"):
        check(60)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((), "column updated_at has no value"),
        ((None, None), "column updated_at has no value"),
        (("yesterday",), "cannot be read as a time: 'yesterday' is not an ISO 8601 timestamp"),
    ],
)
def test_nothing_to_measure_fails(orders: Callable[..., None], values: tuple[Any, ...], message: str) -> None:
    orders(*values)
    with pytest.raises(AirflowException, match=message):
        check()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_age_minutes": 0}, "'max_age_minutes' must be positive"),
        ({"max_age_minutes": -5}, "'max_age_minutes' must be positive"),
        ({"max_age_minutes": True}, "'max_age_minutes' must be positive"),
        ({"column": " "}, "'column' is empty"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"conn_id": "db", "table": "t", "column": "c", "max_age_minutes": 5}
    with pytest.raises(ValueError, match=f"f: {message}"):
        FreshnessOperator(task_id="f", **(settings | kwargs))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.4, "45s"), (60, "1m"), (90, "1m30s"), (3600, "1h"), (11_530, "3h12m"), (183_600, "2d3h")],
)
def test_format_age(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_newest_moment_reads_dates_and_aware_times() -> None:
    assert newest_moment(dt.date(2026, 3, 1)) == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    cet = dt.timezone(dt.timedelta(hours=1))
    assert newest_moment("2026-03-01T13:00:00+01:00") == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert newest_moment(dt.datetime(2026, 3, 1, 13, tzinfo=cet)).tzinfo is cet
    with pytest.raises(ValueError, match="a int value is not a timestamp"):
        newest_moment(5)
