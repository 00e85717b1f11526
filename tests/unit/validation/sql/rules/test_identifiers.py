"""Rule identifier_case: quoted names keep their case, unquoted ones fold, per dialect."""

from __future__ import annotations

import pytest

from airflow_ai_etl.validation.sql.rules.identifiers import identifier_case
from tests.unit.validation.sql.conftest import RunRule


@pytest.mark.parametrize(
    ("sql", "hint"),
    [
        ('SELECT "cardkingdomfoilid" FROM "Events"', 'write "cardKingdomFoilId"'),
        ('SELECT cardKingdomFoilId FROM "Events"', 'write "cardKingdomFoilId"'),
        ('SELECT e."Payload" FROM "Events" e', "write payload"),
        ('SELECT "Status" FROM orders', "write status"),
        ("SELECT id FROM events", 'write "Events"'),
        ('WITH r AS (SELECT * FROM orders) SELECT "Status" FROM r', "write status"),
        ('SELECT x.total FROM (SELECT amount AS "Total" FROM orders) x', 'write "Total"'),
    ],
)
def test_postgres_spelling_that_does_not_reach_the_name_is_an_error(
    run_rule: RunRule, sql: str, hint: str
) -> None:
    (finding,) = run_rule(identifier_case, sql)
    assert finding.code == "sql.identifier_case"
    assert finding.hint == hint


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "cardKingdomFoilId", id, ID, "id" FROM "Events"',
        "SELECT STATUS, Orders.Amount FROM Orders",
        'SELECT * FROM "Events"',
        "SELECT x.n FROM (SELECT id AS n FROM orders) AS x",
        'SELECT x."Total", x.N FROM (SELECT amount AS "Total", id AS n FROM orders) x',
    ],
)
def test_spellings_postgres_accepts_pass(run_rule: RunRule, sql: str) -> None:
    assert run_rule(identifier_case, sql) == []


def test_clickhouse_compares_exactly_and_spark_ignores_case(run_rule: RunRule) -> None:
    assert [f.code for f in run_rule(identifier_case, "SELECT Status FROM orders", dialect="clickhouse")] == [
        "sql.identifier_case"
    ]
    assert run_rule(identifier_case, "SELECT Status, cardkingdomfoilid FROM Events", dialect="spark") == []
