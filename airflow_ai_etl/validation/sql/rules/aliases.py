"""Rule: no two FROM entries of one query share a name.

PostgreSQL refuses `FROM customers c JOIN orders c` ("table name specified more than once"), and
`FROM orders JOIN orders`; two unaliased tables of the same name in different schemas are fine,
since each keeps its qualified name.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog
from airflow_ai_etl.validation.sql.tables import table_name


def _entries(select: exp.Select) -> list[exp.Expr]:
    from_ = select.args.get("from_")
    entries = [from_.this] if from_ is not None else []
    return entries + [join.this for join in select.args.get("joins") or []]


def duplicate_aliases(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    seen: dict[str, tuple[bool, str | None]] = {}
    for entry in _entries(select):
        aliased = _written_alias(entry)
        name = entry.alias if aliased or not isinstance(entry, exp.Table) else entry.name
        if not name:
            continue
        relation = table_name(entry) if isinstance(entry, exp.Table) else None
        if name in seen:
            other_aliased, other_relation = seen[name]
            if aliased or other_aliased or relation == other_relation:
                yield error(
                    "sql.duplicate_alias",
                    f'table name "{name}" is used more than once in one FROM clause',
                    "give each table its own alias",
                )
                continue
        seen[name] = (aliased, relation)


def _written_alias(entry: exp.Expr) -> bool:
    """An alias in the query text (sqlglot's qualify invents `orders_2` for a second `orders`)."""
    alias = entry.args.get("alias")
    identifier = alias.this if isinstance(alias, exp.TableAlias) else None
    return isinstance(identifier, exp.Identifier) and "start" in (identifier._meta or {})
