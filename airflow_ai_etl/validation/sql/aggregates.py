"""Which calls aggregate rows, and where in its SELECT an expression sits.

An aggregate is a call the engine's catalogue says aggregates (sqlglot's own aggregate classes
where the catalogue does not know the name), unless it is the function of a window (`sum(x) OVER
()` computes per row after grouping). `count(*) FILTER (...)` and `percentile_cont(.5) WITHIN
GROUP (...)` aggregate as a whole.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_ai_etl.validation.sql.calls import written_call
from airflow_ai_etl.validation.sql.functions import FunctionCatalogue


def is_aggregate(node: exp.Expr, functions: FunctionCatalogue | None, sql: str) -> bool:
    if isinstance(node, exp.Filter | exp.WithinGroup):
        return not isinstance(node.parent, exp.Window) and _aggregates(node.this, functions, sql)
    if isinstance(node.parent, exp.Window | exp.Filter | exp.WithinGroup):
        return False  # judged as part of its window, FILTER or WITHIN GROUP
    return _aggregates(node, functions, sql)


def _aggregates(node: exp.Expr, functions: FunctionCatalogue | None, sql: str) -> bool:
    if not isinstance(node, exp.Func):
        return False
    call = written_call(node, sql)
    if functions is not None and call is not None and functions.signatures(call.name):
        return functions.kind(call.name) == "aggregate"
    return isinstance(node, exp.AggFunc)


def is_window(node: exp.Expr) -> bool:
    """A window function call (`... OVER (...)`), not a named window definition."""
    return isinstance(node, exp.Window) and node.args.get("over") is not None


def inside_aggregate(node: exp.Expr, stop: exp.Expr, functions: FunctionCatalogue | None, sql: str) -> bool:
    """Whether an enclosing call below `stop` aggregates (so `node` is read per group, not per row)."""
    parent = node.parent
    while parent is not None and parent is not stop:
        if is_aggregate(parent, functions, sql):
            return True
        parent = parent.parent
    return False


def clauses(select: exp.Expr) -> dict[int, str]:
    """For every node under `select` (subqueries included), the part of `select` holding it:
    'expressions', 'where', 'group', 'having', 'order', 'joins', 'from_', ... by node id.
    Computed once per query: asking node by node is quadratic in deep trees (long OR chains)."""
    places: dict[int, str] = {}
    for key, value in select.args.items():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, exp.Expr):
                for node in part.walk():
                    places[id(node)] = key
    return places
