"""FreshnessOperator on PostgreSQL: timestamptz, timestamp and date columns, a rerun, a stale table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException

from airflow_ai_etl.operators import FreshnessOperator
from tests.e2e.conftest import query

pytestmark = pytest.mark.integration

TABLE = """
CREATE SCHEMA sales;
CREATE TABLE sales."order" (id integer, updated_at timestamptz, local_at timestamp, day date);
"""


def check(column: str, max_age_minutes: float) -> dict[str, Any]:
    op = FreshnessOperator(
        task_id="fresh", conn_id="pg", table="sales.order", column=column, max_age_minutes=max_age_minutes
    )
    result: dict[str, Any] = op.execute({})  # type: ignore[arg-type]
    return result


@pytest.fixture
def db(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> str:
    uri = pg_database()
    query(uri, TABLE)
    airflow_conn("pg", uri)
    return uri


def test_fresh_then_stale(db: str) -> None:
    query(
        db,
        "INSERT INTO sales.\"order\" VALUES (1, now() - interval '10 minutes', "
        "(now() at time zone 'utc') - interval '20 minutes', current_date - 3)",
    )
    first = check("updated_at", 30)
    assert 9 * 60 < first["age_seconds"] < 15 * 60
    assert check("updated_at", 30)["newest"] == first["newest"]  # a rerun reads the same, writes nothing
    assert 19 * 60 < check("local_at", 30)["age_seconds"] < 25 * 60  # timestamp without zone: UTC

    with pytest.raises(AirflowException) as info:
        check("day", 24 * 60)
    message = str(info.value)
    assert message.startswith(
        "freshness check failed on table sales.order (connection pg): newest sales.order.day"
    )
    assert "limit 1d (max_age_minutes=1440)" in message

    query(db, "UPDATE sales.\"order\" SET updated_at = updated_at - interval '2 hours'")
    with pytest.raises(AirflowException, match=r"2h10m old; limit 30m \(max_age_minutes=30\), 1h40m over"):
        check("updated_at", 30)


def test_an_empty_table_and_a_missing_column_fail_clearly(db: str) -> None:
    with pytest.raises(AirflowException, match="column updated_at has no value"):
        check("updated_at", 30)
    with pytest.raises(Exception, match="nope"):
        check("nope", 30)
