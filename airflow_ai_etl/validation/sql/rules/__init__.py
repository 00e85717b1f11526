"""The semantic rules, one per module, each a pure function `(expression, scope, catalog) -> findings`.

`expression` is the whole statement (columns qualified by sqlglot where it could), `scope` one of
its scopes (a SELECT, a set operation, a CTE or a subquery), `catalog` what is known about the
database. `check_rules` runs every rule on every scope; a rule that fails on an input it did not
foresee yields nothing rather than an error (precision first: the database decides the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.rules.aggregates import misplaced_aggregates
from airflow_ai_etl.validation.sql.rules.aliases import duplicate_aliases
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog
from airflow_ai_etl.validation.sql.rules.clause_order import clause_order
from airflow_ai_etl.validation.sql.rules.functions import unknown_functions
from airflow_ai_etl.validation.sql.rules.grouping import ungrouped_columns
from airflow_ai_etl.validation.sql.rules.identifiers import identifier_case
from airflow_ai_etl.validation.sql.rules.join_order import join_references
from airflow_ai_etl.validation.sql.rules.keyword_calls import keyword_calls
from airflow_ai_etl.validation.sql.rules.set_operations import set_operation_columns
from airflow_ai_etl.validation.sql.rules.type_names import unknown_type_names
from airflow_ai_etl.validation.sql.rules.types import type_errors

Rule = Callable[[exp.Expr, Scope, RuleCatalog], Iterable[Finding]]

RULES: tuple[Rule, ...] = (
    unknown_functions,
    identifier_case,
    type_errors,
    unknown_type_names,
    keyword_calls,
    clause_order,
    misplaced_aggregates,
    ungrouped_columns,
    duplicate_aliases,
    set_operation_columns,
    join_references,
)


def _scopes(expression: exp.Expr) -> Iterator[Scope]:
    try:
        yield from traverse_scope(expression)
    except (SqlglotError, RecursionError):
        return  # a tree sqlglot cannot scope: the rules have nothing to stand on


def check_rules(expression: exp.Expr, catalog: RuleCatalog, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Every rule's findings on every scope of `expression`, each finding once."""
    findings: dict[tuple[str, str], Finding] = {}
    scopes = list(_scopes(expression))
    for rule in rules:
        for scope in scopes:
            try:
                for finding in rule(expression, scope, catalog):
                    findings.setdefault((finding.code, finding.message), finding)
            except (SqlglotError, RecursionError, KeyError, ValueError, TypeError, AttributeError):
                continue  # a shape the rule did not foresee is no evidence of an error
    return list(findings.values())
