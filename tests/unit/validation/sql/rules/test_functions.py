"""Rule unknown_functions: a function the dialect does not have, with its equivalent as the hint."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.report import Severity
from airflow_ai_etl.validation.sql.rules.functions import unknown_functions
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "name", "equivalent"),
    [
        ("SELECT YEAR(created_at) FROM orders", "YEAR", "EXTRACT(YEAR FROM"),
        ("SELECT strftime('%Y', created_at) FROM orders", "strftime", "TO_CHAR("),
        ("SELECT IIF(paid, 1, 0) FROM orders", "IIF", "CASE WHEN"),
        ("SELECT nvl(status, 'x') FROM orders", "nvl", "COALESCE("),
        ("SELECT id FROM orders WHERE created_at > getdate()", "getdate", "CURRENT_TIMESTAMP"),
    ],
)
def test_foreign_function_is_an_error_naming_the_postgres_way(
    run_rule: RunRule, sql: str, name: str, equivalent: str
) -> None:
    (finding,) = run_rule(unknown_functions, sql)
    assert finding.severity is Severity.ERROR and finding.code == "sql.unknown_function"
    assert f"function {name} does not exist in PostgreSQL" in finding.message
    assert finding.hint is not None and equivalent in finding.hint


def test_misspelt_function_gets_close_names(run_rule: RunRule) -> None:
    (finding,) = run_rule(unknown_functions, "SELECT upperr(status) FROM orders")
    assert finding.hint is not None and "upper" in finding.hint


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT date_trunc('month', created_at), count(*), string_agg(status, ',') FROM orders GROUP BY 1",
        "SELECT coalesce(status, 'x'), nullif(amount, 0), greatest(1, 2), now(), current_date FROM orders",
        "SELECT row_number() OVER (ORDER BY id), extract(year FROM created_at), trim(status) FROM orders",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount), date(created_at) FROM orders GROUP BY 2",
        "SELECT order_score(id), public.anything(id), substring(status FROM 1 FOR 2) FROM orders",
        "SELECT * FROM generate_series(1, 3) AS g(n) WHERE n IN (SELECT length(status) FROM orders)",
    ],
)
def test_builtins_grammar_type_casts_and_user_functions_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(unknown_functions, sql) == []


def test_unknown_function_in_a_subquery_is_found(run_rule: RunRule) -> None:
    findings = run_rule(
        unknown_functions, "SELECT id FROM orders WHERE id IN (SELECT DIVIDE(id, 2) FROM orders)"
    )
    assert [f.code for f in findings] == ["sql.unknown_function"]


def test_each_dialect_has_its_own_functions(run_rule: RunRule) -> None:
    sql = "SELECT toStartOfMonth(created_at), YEAR(created_at) FROM orders"
    assert run_rule(unknown_functions, sql, dialect="clickhouse") == []
    (finding,) = run_rule(
        unknown_functions, "SELECT date_trunc_x(created_at) FROM orders", dialect="clickhouse"
    )
    assert finding.severity is Severity.ERROR


def test_where_sessions_register_functions_an_unknown_name_is_a_warning(run_rule: RunRule) -> None:
    (finding,) = run_rule(unknown_functions, "SELECT my_udf(status) FROM orders", dialect="spark")
    assert finding.severity is Severity.WARNING
    assert (
        run_rule(unknown_functions, "SELECT year(created_at), collect_list(id) FROM orders", dialect="spark")
        == []
    )
