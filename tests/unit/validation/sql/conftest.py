"""A small PostgreSQL catalog and a way to run one SQL rule on a query, as the analysis does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlglot
from sqlglot.optimizer.scope import traverse_scope

from airflow_ai_etl.catalog.models import Column, Function, SchemaCatalog, Table
from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.columns import column_findings
from airflow_ai_etl.validation.sql.rules import Rule
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog


def _table(name: str, *columns: str, key: tuple[str, ...] = ()) -> Table:
    return Table(
        name=name,
        schema_name="public",
        columns=[Column(name=c.split(" ", 1)[0], type=c.split(" ", 1)[1]) for c in columns],
        primary_key=list(key),
    )


@pytest.fixture(scope="session")
def shop_catalog() -> SchemaCatalog:
    return SchemaCatalog(
        conn_id="shop",
        dialect="postgres",
        default_schema="public",
        tables=[
            _table(
                "orders",
                "id integer",
                "customer_id integer",
                "amount numeric(12,2)",
                "status text",
                "paid boolean",
                "created_at timestamp without time zone",
                "shipped_on date",
                key=("id",),
            ),
            _table("customers", "id integer", "name character varying(100)", "country text", key=("id",)),
            _table("Events", "id bigint", "cardKingdomFoilId text", "payload jsonb"),
        ],
        functions=[Function(name="order_score", schema_name="public", argument_types=["integer"])],
    )


RunRule = Callable[..., list[Finding]]


@pytest.fixture
def run_rule(shop_catalog: SchemaCatalog) -> RunRule:
    """`run_rule(rule, sql, dialect=...)`: the rule's findings on every scope of the qualified query."""

    def run(
        rule: Rule, sql: str, dialect: str = "postgres", catalog: SchemaCatalog | None = None
    ) -> list[Finding]:
        schema = catalog or shop_catalog
        statement = sqlglot.parse_one(sql, read=dialect)
        _, qualified = column_findings(statement, schema, dialect)
        tree = qualified or statement
        knowledge = RuleCatalog.build(sql, dialect, schema)
        # called directly, not through check_rules, so that a rule's own exception fails the test
        findings = [f for scope in traverse_scope(tree) for f in rule(tree, scope, knowledge)]
        return list({(f.code, f.message): f for f in findings}.values())

    return run
