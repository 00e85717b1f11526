"""The semantic rules, one per module, each a pure function `(expression, scope, catalog) -> findings`.

`expression` is the whole statement (columns qualified by sqlglot where it could), `scope` one of
its scopes (a SELECT, a set operation, a CTE or a subquery), `catalog` what is known about the
database. `check_rules` runs every rule on every scope. A rule that raises on an input it did not
foresee fails closed: its exception becomes an error finding naming the rule (`sql.rule_failed`, or
`sql.too_complex` when the statement is nested too deeply for it), so a statement no rule could
check is never passed as checked. A rule that merely does not understand a shape yields nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
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


def _failed(what: str, exc: Exception) -> Finding:
    """The error an exception while checking becomes: the statement is not passed unchecked."""
    if isinstance(exc, RecursionError):
        message = f"SQL is nested too deeply for {what} to run on it"
        return error("sql.too_complex", message, "flatten nested subqueries into CTEs")
    detail = type(exc).__name__ + (f": {str(exc).splitlines()[0]}" if str(exc) else "")
    message = f"{what} failed on this statement ({detail}), so it is not accepted unchecked"
    return error("sql.rule_failed", message, "write the statement more simply, or report the failure")


def rule_failed(rule: Rule, exc: Exception) -> Finding:
    return _failed(f"the check {getattr(rule, '__name__', type(rule).__name__)}", exc)


def check_rules(expression: exp.Expr, catalog: RuleCatalog, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Every rule's findings on every scope of `expression`, each finding once; a rule that raises
    gives one error naming it (and runs on no further scope), and so does a tree with no scopes."""
    try:
        scopes = list(traverse_scope(expression))
    except Exception as exc:  # a tree sqlglot cannot scope: no rule can stand on it
        return [_failed("reading the statement's scopes (every check stands on them)", exc)]
    findings: dict[tuple[str, str], Finding] = {}
    for rule in rules:
        try:
            for scope in scopes:
                for finding in rule(expression, scope, catalog):
                    findings.setdefault((finding.code, finding.message), finding)
        except Exception as exc:  # any crash of a rule fails closed, as a finding
            failed = rule_failed(rule, exc)
            findings.setdefault((failed.code, failed.message), failed)
    return list(findings.values())
