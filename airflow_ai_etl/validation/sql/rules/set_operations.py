"""Rule: the queries a UNION, INTERSECT or EXCEPT combines return the same number of columns."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog


def _width(query: exp.Expr) -> int | None:
    """How many columns a query returns; None when a star or anything else hides it."""
    while isinstance(query, exp.Subquery | exp.Paren):
        query = query.this
    if isinstance(query, exp.SetOperation):
        return _width(query.this)
    if isinstance(query, exp.Select):
        stars = [p for p in query.selects if isinstance(p, exp.Star) or isinstance(p.this, exp.Star)]
        return None if stars else len(query.selects)
    return None


def set_operation_columns(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    operation = scope.expression
    if not isinstance(operation, exp.SetOperation):
        return
    left, right = _width(operation.this), _width(operation.expression)
    if left is not None and right is not None and left != right:
        verb = operation.key.upper()
        yield error(
            "sql.set_operation_columns",
            f"each {verb} query must have the same number of columns: {left} and {right}",
            "select the same columns, in the same order, on both sides",
        )
