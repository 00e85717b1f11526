"""Rule: table and column names match the catalog under the dialect's identifier folding.

PostgreSQL folds unquoted names to lower case and keeps quoted ones exactly: `"cardKingdomFoilId"`
does not name a column `cardkingdomfoilid`, and `publishedYear` does not name `"publishedYear"`
(nor a subquery's or CTE's output column spelled so).
ClickHouse compares names exactly; Spark and SQLite ignore case. The column and table rules
compare names case-insensitively (the name exists in some spelling); this rule says when the
spelling written does not reach it. Only names written in the query are checked, not the ones
sqlglot added (a star's expansion).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.dialects.dialect import NormalizationStrategy
from sqlglot.optimizer.scope import Scope, walk_in_scope

from airflow_ai_etl.catalog.models import Table
from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.sql.findings import error
from airflow_ai_etl.validation.sql.rules.catalog import RuleCatalog
from airflow_ai_etl.validation.sql.tables import table_name

_CASE_BLIND = (NormalizationStrategy.CASE_INSENSITIVE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)


def _written(identifier: exp.Expr) -> bool:
    return isinstance(identifier, exp.Identifier) and "start" in (identifier._meta or {})


def _spelling(name: str, catalog: RuleCatalog) -> str:
    """How to write a catalog name so that the dialect reaches it."""
    strategy = catalog.normalization
    folds_to = name.upper() if strategy is NormalizationStrategy.UPPERCASE else name.lower()
    if strategy is NormalizationStrategy.CASE_SENSITIVE or name == folds_to:
        return name
    return f'"{name}"'


def _mismatch(identifier: exp.Identifier, actual: str, what: str, catalog: RuleCatalog) -> Finding | None:
    if identifier.this == actual:
        return None
    written = f'"{identifier.this}"' if identifier.quoted else identifier.this
    how = "quoted names keep their case" if identifier.quoted else "unquoted names fold"
    return error(
        "sql.identifier_case",
        f"{what} {written} does not match {actual!r} in {catalog.dialect}: {how}",
        f"write {_spelling(actual, catalog)}",
    )


def _tables(scope: Scope, catalog: RuleCatalog) -> dict[str, Table]:
    found = {}
    for alias, source in scope.sources.items():
        if isinstance(source, exp.Table):
            table = catalog.schema.find_table(table_name(source))
            if table is not None:
                found[alias] = table
    return found


def _derived_columns(scope: Scope) -> dict[str, list[str]]:
    """Output column names of the subqueries and CTEs in FROM, as they are spelled."""
    found = {}
    for alias, source in scope.sources.items():
        if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
            selects = source.expression.selects
            if not any(isinstance(p, exp.Star) or isinstance(p.this, exp.Star) for p in selects):
                found[alias] = [p.alias_or_name for p in selects]
    return found


def identifier_case(expression: exp.Expr, scope: Scope, catalog: RuleCatalog) -> Iterator[Finding]:
    if catalog.dialect is None or catalog.normalization in _CASE_BLIND:
        return
    tables = _tables(scope, catalog)
    for alias, source in scope.sources.items():
        if isinstance(source, exp.Table) and alias in tables and _written(source.this):
            finding = _mismatch(source.this, tables[alias].name, "table", catalog)
            if finding is not None:
                yield finding
    derived = _derived_columns(scope)
    for node in walk_in_scope(scope.expression):
        if not isinstance(node, exp.Column) or not _written(node.this):
            continue
        owner = node.table or (next(iter(scope.sources)) if len(scope.sources) == 1 else "")
        if owner in derived:
            spelled = [name for name in derived[owner] if name.lower() == node.name.lower()]
            if spelled and node.name not in spelled:
                finding = _mismatch(node.this, spelled[0], "column", catalog)
                if finding is not None:
                    yield finding
            continue
        owners = [tables[node.table]] if node.table in tables else []
        if not node.table:
            owners = [t for t in tables.values() if t.column(node.name) is not None]
        if len(owners) != 1:
            continue
        column = owners[0].column(node.name)
        if column is not None:
            finding = _mismatch(node.this, column.name, "column", catalog)
            if finding is not None:
                yield finding
