"""Rule keyword_calls: PostgreSQL's niladic keywords take no parentheses."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.keyword_calls import keyword_calls
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize("call", ["CURRENT_DATE()", "current_timestamp()", "LOCALTIMESTAMP()"])
def test_niladic_keyword_with_parentheses_is_an_error(run_rule: RunRule, call: str) -> None:
    (finding,) = run_rule(keyword_calls, f"SELECT id FROM orders WHERE created_at < {call} OR {call} IS NULL")
    assert finding.code == "sql.parse_error" and "takes no parentheses" in finding.message


def test_postgres_spellings_pass(run_rule: RunRule) -> None:
    sql = "SELECT CURRENT_DATE, current_timestamp(3), now(), current_schema(), ROW(), localtime FROM orders"
    assert run_rule(keyword_calls, sql) == []
    assert run_rule(keyword_calls, "SELECT CURRENT_DATE() FROM orders", dialect="mysql") == []
