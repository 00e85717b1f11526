"""Rule: aggregates and window functions only where PostgreSQL evaluates them.

Aggregates are computed per group, after WHERE and JOIN; window functions per row, after
grouping. So an aggregate in WHERE, JOIN ... ON or GROUP BY, a window function in WHERE, JOIN,
GROUP BY or HAVING, and an aggregate of an aggregate all fail. An aggregate inside a subquery
that reads only the outer query's columns belongs to the outer query: it is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.aggregates import clauses, inside_aggregate, is_aggregate, is_window
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog

_CLAUSES = {"where": "WHERE", "joins": "JOIN conditions", "group": "GROUP BY", "having": "HAVING"}
_NO_AGGREGATES = ("where", "joins", "group")
_NO_WINDOWS = ("where", "joins", "group", "having")


def _own_level(node: exp.Expr, scope: Scope) -> bool:
    """An aggregate of this query: it reads one of this query's columns, or no column."""
    tables = {c.table for c in node.find_all(exp.Column)}
    return not tables or any(t in scope.sources for t in tables)


def misplaced_aggregates(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    functions = catalog.functions
    places = clauses(select)
    for node in walk_in_scope(select):
        where = places.get(id(node))
        if is_window(node) and where in _NO_WINDOWS:
            yield error(
                "sql.misplaced_window",
                f"window functions are not allowed in {_CLAUSES[where]} (in {node.sql('postgres')})",
                "compute it in a subquery or CTE, then filter on its result",
            )
        elif is_aggregate(node, functions, catalog.sql) and _own_level(node, scope):
            if where in _NO_AGGREGATES:
                yield error(
                    "sql.misplaced_aggregate",
                    f"aggregate functions are not allowed in {_CLAUSES[where]} (in {node.sql('postgres')})",
                    "filter groups with HAVING, or aggregate in a subquery first",
                )
            elif inside_aggregate(node, select, functions, catalog.sql):
                yield error(
                    "sql.misplaced_aggregate",
                    f"aggregate function calls cannot be nested (in {node.sql('postgres')})",
                    "aggregate in a subquery, then aggregate its result",
                )
