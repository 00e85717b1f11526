"""Rule: the queries a UNION, INTERSECT or EXCEPT combines return the same number of columns,
and (PostgreSQL) column types that can be brought to one type: not `bigint` with `uuid`."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.inference import TypeInference
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
    verb = operation.key.upper()
    left, right = _width(operation.this), _width(operation.expression)
    if left is not None and right is not None and left != right:
        yield error(
            "sql.set_operation_columns",
            f"each {verb} query must have the same number of columns: {left} and {right}",
            "select the same columns, in the same order, on both sides",
        )
        return
    if catalog.functions is None or not catalog.functions.operators or len(scope.set_operation_scopes) != 2:
        return
    sides = [
        TypeInference(s, catalog.schema, catalog.functions, catalog.sql).output_types()
        for s in scope.set_operation_scopes
    ]
    if sides[0] is None or sides[1] is None or len(sides[0]) != len(sides[1]):
        return
    infer = TypeInference(scope, catalog.schema, catalog.functions, catalog.sql)
    for position, pair in enumerate(zip(sides[0], sides[1], strict=True), start=1):
        mismatch = infer.mismatch(list(pair))
        if mismatch is not None:
            yield error(
                "sql.set_operation_columns",
                f"{verb} types {mismatch[0]} and {mismatch[1]} cannot be matched (column {position})",
                "cast both sides' column to one type",
            )
