"""Our quality operators read through a read-only session: a view that writes cannot run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_ai_etl.operators import FreshnessOperator, RowCountChangeOperator
from tests.e2e.conftest import query

pytestmark = pytest.mark.integration

# A view whose reading writes: the kind of object a check must not be able to set off.
SCHEMA = """
CREATE SCHEMA sales;
CREATE TABLE sales.touched (n integer);
CREATE TABLE sales.events (id integer, at timestamptz);
INSERT INTO sales.events VALUES (1, now());
CREATE FUNCTION sales.touch(x integer) RETURNS timestamptz LANGUAGE sql
  AS 'INSERT INTO sales.touched VALUES (1) RETURNING now()';
CREATE VIEW sales.touching AS SELECT id, sales.touch(id) AS at FROM sales.events;
"""


@pytest.fixture
def db(pg_database: Callable[[], str], airflow_conn: Callable[..., None]) -> str:
    uri = pg_database()
    query(uri, SCHEMA)
    airflow_conn("pg", uri)
    return uri


def test_checks_on_a_writing_view_fail_read_only_and_write_nothing(db: str) -> None:
    freshness = FreshnessOperator(
        task_id="fresh", conn_id="pg", table="sales.touching", column="at", max_age_minutes=5
    )
    with pytest.raises(Exception, match="read-only"):
        freshness.execute({})  # type: ignore[arg-type]
    change = RowCountChangeOperator(
        task_id="change", conn_id="pg", table="sales.touching", max_drop_pct=50, history=_NoHistory()
    )
    with pytest.raises(Exception, match="read-only"):
        change.execute({"run_id": "r1"})  # type: ignore[arg-type]
    assert query(db, "SELECT count(*) FROM sales.touched") == [(0,)]


def test_checks_on_plain_tables_still_pass(db: str) -> None:
    fresh = FreshnessOperator(
        task_id="fresh", conn_id="pg", table="sales.events", column="at", max_age_minutes=5
    )
    assert fresh.execute({})["column"] == "at"  # type: ignore[arg-type]
    change = RowCountChangeOperator(
        task_id="change", conn_id="pg", table="sales.events", max_drop_pct=50, history=_NoHistory()
    )
    assert change.execute({"run_id": "r1"})["count"] == 1  # type: ignore[arg-type]


class _NoHistory:
    def load(self, key: str) -> list[dict[str, object]]:
        return []

    def save(self, key: str, entries: list[dict[str, object]]) -> None:
        pass
