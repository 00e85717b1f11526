"""Rule: a JOIN's ON condition reads only tables joined so far.

`FROM a JOIN b ON b.x = c.x JOIN c ON ...` fails in PostgreSQL: c is not yet in scope where b's
condition is evaluated ("invalid reference to FROM-clause entry").
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog


def join_references(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    joins = select.args.get("joins") or []
    names = [join.this.alias_or_name for join in joins]
    for index, join in enumerate(joins):
        condition = join.args.get("on")
        if condition is None:
            continue
        later = set(names[index + 1 :]) - set(names[: index + 1])
        from_ = select.args.get("from_")
        if from_ is not None:
            later.discard(from_.this.alias_or_name)
        for column in walk_in_scope(condition):
            if isinstance(column, exp.Column) and column.table in later:
                yield error(
                    "sql.join_order",
                    f"the ON condition of {join.this.alias_or_name} reads {column.sql('postgres')}, "
                    f"but {column.table} is joined only later",
                    f"join {column.table} before it is used, or move the condition to its own ON",
                )
