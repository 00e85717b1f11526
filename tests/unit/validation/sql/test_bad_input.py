"""Any text gives findings, never an exception, in bounded time (huge, deep and broken SQL)."""

from __future__ import annotations

import sys
import time

import pytest

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.steps.sql_text import sql_use
from airflow_ai_etl.validation.report import Severity
from airflow_ai_etl.validation.sql import check_sql

#: Far above what these take (a few seconds on a loaded 2-core machine), far below the minutes
#: a quadratic pass over 10,000 OR terms took before the node limit.
BOUND_SECONDS = 60


def _check(sql: str, catalog: SchemaCatalog) -> tuple[list[tuple[str, Severity]], float]:
    start = time.perf_counter()
    findings = check_sql(sql, dialect="postgres", role="read", catalog=catalog)
    return [(f.code, f.severity) for f in findings], time.perf_counter() - start


def test_ten_thousand_or_terms_are_parsed_and_left_unchecked_with_a_warning(
    shop_catalog: SchemaCatalog,
) -> None:
    sql = "SELECT id FROM orders WHERE " + " OR ".join(f"id = {i}" for i in range(10_000))
    codes, seconds = _check(sql, shop_catalog)
    assert codes == [("sql.too_complex", Severity.WARNING)]
    assert seconds < BOUND_SECONDS


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM " + "(SELECT id FROM " * 200 + "orders" + ") AS t" * 200,
        "SELECT id FROM orders WHERE id IN "
        + "(SELECT id FROM orders WHERE id IN " * 200
        + "(1)"
        + ")" * 200,
    ],
)
def test_two_hundred_nested_subqueries_are_checked(shop_catalog: SchemaCatalog, sql: str) -> None:
    limit = sys.getrecursionlimit()
    codes, seconds = _check(sql, shop_catalog)
    assert codes == []
    assert sys.getrecursionlimit() == limit  # raised only while the SQL was checked
    assert seconds < BOUND_SECONDS
    broken = sql.replace("SELECT id FROM orders", "SELECT idx FROM orders", 1)
    assert ("sql.unknown_column", Severity.ERROR) in _check(broken, shop_catalog)[0]


def test_a_megabyte_of_sql_is_refused_unparsed(shop_catalog: SchemaCatalog) -> None:
    sql = "SELECT id FROM orders WHERE status IN (" + ", ".join(f"'v{i}'" for i in range(100_000)) + ")"
    assert len(sql) > 900_000
    codes, seconds = _check(sql, shop_catalog)
    assert codes == [("sql.too_large", Severity.ERROR)]
    assert seconds < 1


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT 'unterminated FROM orders", "sql.parse_error"),
        ("SELECT $$abc FROM orders", "sql.parse_error"),
        ("SELECT " + "(" * 5000 + "1" + ")" * 5000, "sql.too_complex"),
    ],
)
def test_broken_text_is_an_error_finding(shop_catalog: SchemaCatalog, sql: str, code: str) -> None:
    codes, _ = _check(sql, shop_catalog)
    assert codes[0] == (code, Severity.ERROR)


def test_the_recursion_limit_is_raised_only_while_sql_is_parsed_and_walked() -> None:
    limit = sys.getrecursionlimit()
    with deep_nesting():
        raised = sys.getrecursionlimit()
        with deep_nesting():
            assert sys.getrecursionlimit() == raised
        assert sys.getrecursionlimit() == raised  # the outer user still walks its tree
    assert raised > limit
    assert sys.getrecursionlimit() == limit


def test_deep_sql_is_read_outside_validation_too() -> None:
    """Diagrams and eval facts parse a step's SQL on their own (steps.sql_text), after validation."""
    sql = "CREATE TABLE x AS SELECT id FROM " + "(SELECT id FROM " * 200 + "orders" + ") AS t" * 200
    use = sql_use("c", sql, {"c": "postgres"}, "write")
    assert (list(use.reads), list(use.writes)) == ([("c", "orders")], [("c", "x")])
