"""A rule that crashes fails closed: the statement gets an error naming the rule, never a pass."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import Scope

from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.validation.report import Finding, Severity
from airflow_ai_etl.validation.sql import analysis, check_sql, rules
from airflow_ai_etl.validation.sql.rules import RULES, Rule, check_rules
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

SQL = "SELECT o.id FROM orders o WHERE o.id IN (SELECT id FROM orders)"


def exploding_rule(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterable[Finding]:
    raise KeyError("a shape this rule did not foresee")


def bottomless_rule(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterable[Finding]:
    raise RecursionError("maximum recursion depth exceeded")


@pytest.mark.parametrize(
    ("rule", "code"), [(exploding_rule, "sql.rule_failed"), (bottomless_rule, "sql.too_complex")]
)
def test_a_crashing_rule_is_one_error_naming_it(shop_catalog: SchemaCatalog, rule: Rule, code: str) -> None:
    statement = sqlglot.parse_one(SQL, read="postgres")
    findings = check_rules(statement, RuleCatalog.build(SQL, "postgres", shop_catalog), [*RULES, rule])
    assert [(f.code, f.severity) for f in findings] == [(code, Severity.ERROR)]
    assert rule.__name__ in findings[0].message  # type: ignore[attr-defined]


def test_a_statement_a_rule_crashed_on_is_refused(
    shop_catalog: SchemaCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_sql(SQL, dialect="postgres", role="read", catalog=shop_catalog) == []
    monkeypatch.setattr(
        analysis, "check_rules", lambda tree, catalog: check_rules(tree, catalog, [exploding_rule])
    )
    findings = check_sql(SQL, dialect="postgres", role="read", catalog=shop_catalog)
    assert [(f.code, f.severity) for f in findings] == [("sql.rule_failed", Severity.ERROR)]
    assert "exploding_rule" in findings[0].message and "KeyError" in findings[0].message


def test_a_tree_sqlglot_cannot_scope_is_refused_not_left_unchecked(
    shop_catalog: SchemaCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unscopable(expression: exp.Expr) -> list[Scope]:
        raise OptimizeError("cannot build the scope")

    monkeypatch.setattr(rules, "traverse_scope", unscopable)
    statement = sqlglot.parse_one(SQL, read="postgres")
    findings = check_rules(statement, RuleCatalog.build(SQL, "postgres", shop_catalog))
    assert [(f.code, f.severity) for f in findings] == [("sql.rule_failed", Severity.ERROR)]
    assert "scopes" in findings[0].message and "OptimizeError" in findings[0].message
