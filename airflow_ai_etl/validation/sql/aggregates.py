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


def clause(node: exp.Expr, select: exp.Expr) -> str | None:
    """The SELECT's part holding `node`: 'expressions', 'where', 'group', 'having', 'order',
    'joins', 'from_', ... (None when `node` is not under `select`)."""
    child = node
    while child.parent is not None and child.parent is not select:
        child = child.parent
    return child.arg_key if child.parent is select else None
