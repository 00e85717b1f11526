"""Rule unknown_type_names: casts to types PostgreSQL does not have."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.type_names import unknown_type_names
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("SELECT CAST(amount AS Nullable(Decimal)) FROM orders", "Nullable"),
        ("SELECT status::String FROM orders", "String"),
        ("SELECT CAST(id AS INT64) FROM orders", "INT64"),
        ("SELECT id FROM orders WHERE CAST(created_at AS DateTime) > now()", "DateTime"),
    ],
)
def test_other_dialects_types_are_errors(run_rule: RunRule, sql: str, name: str) -> None:
    (finding,) = run_rule(unknown_type_names, sql)
    assert finding.code == "sql.unknown_type" and f"type {name} does not exist" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CAST(amount AS double precision), id::bigint, status::varchar(10), created_at::timestamptz "
        "FROM orders",
        "SELECT CAST(created_at AS timestamp with time zone), CAST(id AS character varying) FROM orders",
        'SELECT payload::jsonb, id::public.my_type, id::text[], CAST(id AS INTEGER) AS n FROM "Events"',
        "SELECT id AS String FROM orders",
    ],
)
def test_postgres_and_qualified_types_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(unknown_type_names, sql) == []
