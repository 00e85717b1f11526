"""Rule ungrouped_columns: a grouped query reads only grouped columns outside aggregates."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.grouping import ungrouped_columns
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("SELECT customer_id, status FROM orders GROUP BY customer_id", "orders.status"),
        ("SELECT status, count(*) FROM orders", "orders.status"),
        (
            "SELECT c.name, count(o.id) FROM customers c JOIN orders o ON o.customer_id = c.id "
            "GROUP BY c.country",
            "c.name",
        ),
        ("SELECT status FROM orders GROUP BY status ORDER BY amount", "orders.amount"),
        ("SELECT status, sum(amount) OVER () FROM orders GROUP BY status", "orders.amount"),
        ("SELECT status FROM orders GROUP BY status HAVING max(amount) > amount", "orders.amount"),
        (
            "SELECT o.status, (SELECT count(*) FROM customers c WHERE c.id = o.customer_id) FROM orders o "
            "GROUP BY o.status",
            "o.customer_id",
        ),
    ],
)
def test_ungrouped_column_is_an_error_naming_it(run_rule: RunRule, sql: str, column: str) -> None:
    findings = run_rule(ungrouped_columns, sql)
    assert findings and {f.code for f in findings} == {"sql.ungrouped_column"}
    assert f"column {column} must appear in the GROUP BY clause" in findings[0].message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT status, count(*), sum(amount) FILTER (WHERE paid) FROM orders GROUP BY status",
        "SELECT date_trunc('month', created_at) AS m, count(*) FROM orders GROUP BY 1 ORDER BY m",
        "SELECT date_trunc('month', created_at), count(*) FROM orders "
        "GROUP BY date_trunc('month', created_at)",
        "SELECT o.id, o.status, sum(o.amount) FROM orders o GROUP BY o.id",  # primary key grouped
        "SELECT status, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders GROUP BY status",
        "SELECT status, sum(count(*)) OVER () FROM orders GROUP BY status",
        "SELECT customer_id, upper(status) FROM orders GROUP BY customer_id, status",
        "SELECT status, count(*) AS n FROM orders GROUP BY ROLLUP (status, paid)",
        "SELECT id, status FROM orders",
        "SELECT status FROM orders GROUP BY status HAVING count(*) > 1 ORDER BY count(*) DESC",
    ],
)
def test_queries_postgres_accepts_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(ungrouped_columns, sql) == []


def test_engines_allowing_bare_columns_are_not_checked(run_rule: RunRule) -> None:
    sql = "SELECT customer_id, status, count(*) FROM orders GROUP BY customer_id"
    assert run_rule(ungrouped_columns, sql, dialect="sqlite") == []
    assert [f.code for f in run_rule(ungrouped_columns, sql, dialect="spark")] == ["sql.ungrouped_column"]
