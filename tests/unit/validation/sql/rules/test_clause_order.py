"""Rule clause_order: clauses in PostgreSQL's order; ORDER BY and LIMIT close a set operation."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.clause_order import clause_order
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT status FROM orders GROUP BY status LIMIT 1 HAVING count(*) > 1", "HAVING after LIMIT"),
        ("SELECT id FROM orders ORDER BY id UNION SELECT id FROM customers", "ORDER BY before UNION"),
        ("SELECT id FROM orders LIMIT 3 EXCEPT SELECT id FROM customers", "LIMIT before EXCEPT"),
        ("SELECT status FROM orders ORDER BY status GROUP BY status", "GROUP BY after ORDER BY"),
    ],
)
def test_clauses_out_of_order_are_an_error(run_rule: RunRule, sql: str, words: str) -> None:
    (finding,) = run_rule(clause_order, sql)
    assert finding.code == "sql.parse_error" and words in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT status, count(*) FILTER (WHERE paid) FROM orders WHERE id IS DISTINCT FROM customer_id "
        "GROUP BY status HAVING count(*) > 1 ORDER BY status OFFSET 5 LIMIT 10",
        "(SELECT id FROM orders ORDER BY id LIMIT 1) UNION SELECT id FROM customers ORDER BY 1 LIMIT 5",
        "SELECT string_agg(status, ',' ORDER BY id), rank() OVER (ORDER BY id) FROM orders GROUP BY id",
        "WITH r AS (SELECT id FROM orders ORDER BY id LIMIT 5) SELECT id FROM r WHERE id > 1",
    ],
)
def test_postgres_order_passes(run_rule: RunRule, sql: str) -> None:
    assert run_rule(clause_order, sql) == []
