"""Rules on a query's structure: duplicate_aliases, set_operation_columns, join_references."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.aliases import duplicate_aliases
from airflow_ai_etl.validation.sql.rules.join_order import join_references
from airflow_ai_etl.validation.sql.rules.set_operations import set_operation_columns
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT c.name FROM customers c JOIN orders c ON c.id = c.customer_id",
        "SELECT 1 FROM orders JOIN orders ON true",
        "SELECT 1 FROM orders o, customers o",
    ],
)
def test_a_name_used_twice_in_one_from_is_an_error(run_rule: RunRule, sql: str) -> None:
    assert [f.code for f in run_rule(duplicate_aliases, sql)] == ["sql.duplicate_alias"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a.id FROM orders a JOIN orders b ON a.id = b.id",
        "SELECT 1 FROM public.orders JOIN other.orders ON true",
        "SELECT o.id FROM orders o WHERE o.id IN (SELECT o.id FROM orders o)",
    ],
)
def test_distinct_names_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(duplicate_aliases, sql) == []


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT id, status FROM orders UNION SELECT id FROM customers", "each UNION query"),
        ("SELECT id FROM orders EXCEPT SELECT id, name FROM customers", "each EXCEPT query"),
        ("SELECT id FROM orders UNION ALL SELECT id FROM orders UNION SELECT id, 1 FROM orders", "2"),
        (
            "SELECT id FROM orders UNION SELECT status FROM orders",
            "UNION types int4 and text cannot be matched",
        ),
    ],
)
def test_set_operation_with_other_widths_is_an_error(run_rule: RunRule, sql: str, words: str) -> None:
    findings = run_rule(set_operation_columns, sql)
    assert [f.code for f in findings] == ["sql.set_operation_columns"] and words in findings[0].message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, count(*) FROM orders GROUP BY id UNION SELECT id, 1 FROM customers",
        "SELECT * FROM orders UNION SELECT * FROM orders",
        "SELECT c.* FROM customers c INTERSECT SELECT id, name, country FROM customers",
        "SELECT id, name FROM customers UNION SELECT customer_id, status FROM orders",
        "SELECT amount FROM orders UNION SELECT 1 UNION SELECT NULL",
    ],
)
def test_same_or_unknown_widths_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(set_operation_columns, sql) == []


def test_on_condition_reading_a_later_join_is_an_error(run_rule: RunRule) -> None:
    sql = 'SELECT o.id FROM orders o JOIN customers c ON c.id = e.id JOIN "Events" e ON e.id = o.id'
    (finding,) = run_rule(join_references, sql)
    assert finding.code == "sql.join_order" and "e is joined only later" in finding.message


def test_on_conditions_reading_earlier_tables_pass(run_rule: RunRule) -> None:
    sql = (
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
        'JOIN "Events" e ON e.id = o.id AND e.id = c.id'
    )
    assert run_rule(join_references, sql) == []
