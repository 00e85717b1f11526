"""Rule: in a grouped query every column read outside an aggregate is grouped.

A query is grouped when it has GROUP BY, HAVING or an aggregate of its own. Then each column in
the select list, HAVING and ORDER BY (window specifications and subqueries that read it
included) must be a GROUP BY expression, sit inside one or inside an aggregate, or belong to a
table whose primary key is grouped (PostgreSQL's functional dependency). Grouping sets and
columns that cannot be resolved to a table of this query are left alone. Engines that allow bare
columns in grouped queries (SQLite, MySQL without ONLY_FULL_GROUP_BY) are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.aggregates import clauses, inside_aggregate, is_aggregate
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog
from airflow_ai_etl.validation.sql.tables import table_name

_READ_AFTER_GROUPING = ("expressions", "having", "order")
#: Engines that refuse an ungrouped column (the catalogue's dialect names).
_STRICT = ("postgres", "clickhouse", "spark")


def _grouped_keys(select: exp.Select) -> set[str] | None:
    group = select.args.get("group")
    if group is None:
        return set()
    if any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")) or group.find(
        exp.Rollup, exp.Cube, exp.GroupingSets
    ):
        return None
    return {e.sql() for e in group.expressions}


def _dependent_tables(scope: Scope, keys: set[str], catalog: RuleCatalog) -> set[str]:
    """Aliases of tables whose whole primary key is grouped: their other columns follow."""
    dependent = set()
    for alias, source in scope.sources.items():
        if not isinstance(source, exp.Table):
            continue
        table = catalog.schema.find_table(table_name(source))
        key = table.primary_key if table is not None else []
        if key and all(exp.column(k, table=alias).sql() in keys for k in key):
            dependent.add(alias)
    return dependent


def _grouped(select: exp.Select, places: dict[int, str], catalog: RuleCatalog) -> bool:
    if select.args.get("group") is not None or select.args.get("having") is not None:
        return True
    return any(
        places.get(id(n)) in _READ_AFTER_GROUPING and is_aggregate(n, catalog.functions, catalog.sql)
        for n in walk_in_scope(select)
    )


def _outer_aggregates(select: exp.Select, scope: Scope, catalog: RuleCatalog) -> bool:
    """An aggregate over outer columns only: the grouping of this level is not what it seems."""
    for node in walk_in_scope(select):
        if is_aggregate(node, catalog.functions, catalog.sql):
            tables = {c.table for c in node.find_all(exp.Column)}
            if tables and not any(t in scope.sources for t in tables):
                return True
    return False


def _columns_read(select: exp.Select, scope: Scope, places: dict[int, str]) -> Iterator[exp.Column]:
    """Columns of this query read after grouping, in subqueries too (correlated references)."""
    for node in select.walk():
        if (
            isinstance(node, exp.Column)
            and node.table in scope.sources
            and places.get(id(node)) in _READ_AFTER_GROUPING
        ):
            yield node


def _source_names(select: exp.Select) -> set[str]:
    from_ = select.args.get("from_")
    sources = [from_.this] if from_ is not None else []
    sources += [join.this for join in select.args.get("joins") or []]
    return {source.alias_or_name for source in sources}


def _shadowed(column: exp.Column, select: exp.Select) -> bool:
    """Whether a subquery between the column and `select` has a source of the same name."""
    return any(
        isinstance(node, exp.Select) and column.table in _source_names(node)
        for node in _ancestry(column.parent, select)
        if node is not None
    )


def ungrouped_columns(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    select = scope.expression
    if (
        not isinstance(select, exp.Select)
        or catalog.functions is None
        or catalog.functions.dialect not in _STRICT
    ):
        return
    places = clauses(select)
    if not _grouped(select, places, catalog):
        return
    keys = _grouped_keys(select)
    if keys is None or _outer_aggregates(select, scope, catalog):
        return
    dependent = _dependent_tables(scope, keys, catalog)
    for column in _columns_read(select, scope, places):
        if column.table in dependent or _shadowed(column, select):
            continue
        if inside_aggregate(column, select, catalog.functions, catalog.sql):
            continue
        if any(node.sql() in keys for node in _ancestry(column, select)):
            continue
        yield error(
            "sql.ungrouped_column",
            f"column {column.sql('postgres')} must appear in the GROUP BY clause or be used in an "
            "aggregate function",
            f"add {column.sql('postgres')} to GROUP BY, or aggregate it (e.g. max({column.sql('postgres')}))",
        )


def _ancestry(node: exp.Expr | None, stop: exp.Expr) -> Iterator[exp.Expr]:
    current: exp.Expr | None = node
    while current is not None and current is not stop:
        yield current
        current = current.parent
