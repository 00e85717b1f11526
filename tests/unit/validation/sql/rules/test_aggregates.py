"""Rule misplaced_aggregates: aggregates and window functions only where PostgreSQL computes them."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.aggregates import misplaced_aggregates
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "code", "words"),
    [
        ("SELECT id FROM orders WHERE sum(amount) > 10", "sql.misplaced_aggregate", "not allowed in WHERE"),
        ("SELECT max(count(*)) FROM orders GROUP BY status", "sql.misplaced_aggregate", "cannot be nested"),
        (
            "SELECT id FROM orders WHERE rank() OVER (ORDER BY amount) < 3",
            "sql.misplaced_window",
            "window functions are not allowed in WHERE",
        ),
        (
            "SELECT o.id FROM orders o JOIN customers c ON count(c.id) > 1",
            "sql.misplaced_aggregate",
            "JOIN conditions",
        ),
        ("SELECT status FROM orders GROUP BY status, count(*)", "sql.misplaced_aggregate", "GROUP BY"),
        (
            "SELECT status FROM orders GROUP BY status HAVING row_number() OVER () > 1",
            "sql.misplaced_window",
            "HAVING",
        ),
    ],
)
def test_misplaced_aggregate_or_window_is_an_error(
    run_rule: RunRule, sql: str, code: str, words: str
) -> None:
    (finding,) = run_rule(misplaced_aggregates, sql)
    assert finding.code == code and words in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT status, sum(count(*)) OVER () FROM orders GROUP BY status HAVING count(*) > 1",
        "SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders)",
        "SELECT c.id FROM customers c WHERE 1 < (SELECT count(*) FROM orders o WHERE o.customer_id = c.id)",
        "SELECT * FROM (SELECT id, rank() OVER (ORDER BY amount) AS r FROM orders) x WHERE x.r < 3",
    ],
)
def test_aggregates_and_windows_where_they_belong_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(misplaced_aggregates, sql) == []
