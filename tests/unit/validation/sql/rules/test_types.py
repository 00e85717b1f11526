"""Rule type_errors: calls, operators and casts PostgreSQL has no overload for; non-boolean conditions."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.types import type_errors
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT sum(paid) FROM orders", "function sum(bool)"),
        ("SELECT avg(status) FROM orders", "function avg(text)"),
        ("SELECT id FROM orders WHERE status = 1", "text = int4"),
        ("SELECT id FROM orders WHERE shipped_on LIKE '2024%'", "date LIKE unknown"),
        ("SELECT round(amount::float8, 2) FROM orders", "function round(float8, int4)"),
        ("SELECT status - status FROM orders", "text - text"),
        ("SELECT id FROM orders WHERE id AND customer_id", "argument of AND must be boolean, not int4"),
        ("SELECT id FROM orders WHERE amount", "argument of WHERE must be boolean, not numeric"),
        ("SELECT extract(year FROM status) FROM orders", "function extract(text, text)"),
        ("SELECT CAST(shipped_on AS integer) FROM orders", "cannot cast type date to int4"),
        ("SELECT id FROM orders WHERE amount > 'abc'", "'abc' is not a valid numeric value"),
        ("SELECT 'x'::integer FROM orders", "'x' is not a valid int4 value"),
        ("SELECT o.id FROM orders o JOIN customers c ON c.name = o.customer_id", "varchar = int4"),
        (
            "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.name = o.id)",
            "varchar = int4",
        ),
        ("SELECT x.s + 1 FROM (SELECT status AS s FROM orders) x", "text + int4"),
        ("SELECT id FROM orders WHERE status IN (SELECT id FROM customers)", "text = int4"),
        ("SELECT coalesce(status, 0) FROM orders", "COALESCE types text and int4 cannot be matched"),
        ("SELECT coalesce(id, 'none') FROM orders", "'none' is not a valid int4 value"),
        ("SELECT CASE WHEN paid THEN id ELSE status END FROM orders", "CASE types int4 and text"),
        ("SELECT date_trunc('day', id) FROM orders", "function date_trunc(unknown, int4)"),
        ("SELECT id FROM orders WHERE status || 'x'", "argument of WHERE must be boolean, not text"),
        ('SELECT sum("cardKingdomFoilId") FROM "Events"', "function sum(text)"),
        ("SELECT id FROM orders WHERE 'paid'", "'paid' is not a valid bool value (WHERE)"),
        ("SELECT id FROM orders WHERE 'x' = ANY(id)", "ANY needs an array on the right side, not int4"),
    ],
)
def test_no_overload_is_an_error_naming_the_types(run_rule: RunRule, sql: str, words: str) -> None:
    findings = run_rule(type_errors, sql)
    assert findings and {f.code for f in findings} == {"sql.type_mismatch"}
    assert words in findings[0].message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT sum(amount), avg(id), round(amount, 2), round(amount), count(DISTINCT status) FROM orders",
        "SELECT id FROM orders WHERE status = 'paid' AND amount > 10.5 "
        "AND created_at > now() - interval '1 day'",
        "SELECT shipped_on - created_at::date, shipped_on + 1, created_at - shipped_on FROM orders",
        "SELECT status || id, status || ' ' || amount, id::text, amount::int, '42'::integer FROM orders",
        "SELECT coalesce(amount, 0) * 2, greatest(id, customer_id), date_trunc('month', created_at) "
        "FROM orders",
        "SELECT id FROM orders WHERE paid AND NOT paid OR created_at BETWEEN '2024-01-01' AND '2024-12-31'",
        "SELECT id FROM orders WHERE id IN (1, 2) AND status IN ('a', 'b') AND amount = ANY(ARRAY[1, 2])",
        "SELECT extract(year FROM created_at), date_part('day', shipped_on), to_char(created_at, 'YYYY') "
        "FROM orders",
        "SELECT payload->>'x', length(name), upper(name), order_score(id), unknown_fn(id) + 1 "
        'FROM customers, "Events"',
        "SELECT id FROM orders WHERE paid = 'yes' AND amount > '1e3' AND id = ' 42 ' AND 'true'",
        "SELECT string_agg(status, ',' ORDER BY id), sum(amount) FILTER (WHERE paid) FROM orders",
    ],
)
def test_calls_postgres_resolves_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(type_errors, sql) == []


def test_other_dialects_are_not_type_checked(run_rule: RunRule) -> None:
    assert run_rule(type_errors, "SELECT sum(paid) FROM orders", dialect="clickhouse") == []
