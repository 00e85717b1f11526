"""Column lineage of one SQL statement, from sqlglot's `lineage`: for each column the statement
produces (or writes), the source table columns it is computed from.

A schema (`{schema: {table: {column: type}}}`, as `SchemaCatalog.sqlglot_schema` gives) lets
`SELECT *` expand and unqualified columns resolve; without one, only what the text names is known.
Anything sqlglot cannot parse or resolve gives an empty result, never an error: lineage is
reporting, and must not fail the step that is reported on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify

from airflow_ai_etl.lineage.model import IDENTITY, TRANSFORMATION
from airflow_ai_etl.sql_depth import deep_nesting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceColumn:
    """One source of an output column: `table` as written in the SQL (schema-qualified when it was)."""

    table: str
    column: str
    transformation: str = TRANSFORMATION


@dataclass(frozen=True)
class StatementLineage:
    """What one statement reads and writes, and where each written (or selected) column comes from."""

    reads: list[str] = field(default_factory=list)
    writes: str | None = None
    columns: dict[str, list[SourceColumn]] = field(default_factory=dict)


def _table_name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def _source_tables(tree: exp.Expr) -> list[str]:
    """Tables the statement reads: every table reference that is not a CTE's name."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    query = _query_of(tree)
    if query is None:
        return []
    names = [
        _table_name(t)
        for t in query.find_all(exp.Table)
        if t.name and not (not t.db and t.name.lower() in ctes)
    ]
    return list(dict.fromkeys(names))


def _query_of(tree: exp.Expr) -> exp.Query | None:
    """The query part of a statement: itself, INSERT's source, CREATE TABLE AS's query."""
    if isinstance(tree, exp.Query):
        return tree
    if isinstance(tree, exp.Insert | exp.Create):
        query = tree.expression
        return query if isinstance(query, exp.Query) else None
    return None


def _written(tree: exp.Expr) -> tuple[str | None, list[str] | None]:
    """The table an INSERT or CREATE TABLE AS writes and its explicit column list, if any."""
    if not isinstance(tree, exp.Insert | exp.Create):
        return None, None
    target = tree.this
    columns: list[str] | None = None
    if isinstance(target, exp.Schema):
        columns = [c.name for c in target.expressions if isinstance(c, exp.Identifier | exp.Column)]
        target = target.this
    if not isinstance(target, exp.Table):
        return None, None
    return _table_name(target), columns or None


def _is_copy(expression: exp.Expr) -> bool:
    inner = expression.this if isinstance(expression, exp.Alias) else expression
    return isinstance(inner, exp.Column | exp.Table)


def _sources(node: Node) -> list[SourceColumn]:
    """The table columns at the leaves of one column's lineage tree."""
    found: dict[tuple[str, str], str] = {}

    def visit(current: Node, copied: bool) -> None:
        copied = copied and _is_copy(current.expression)
        if not current.downstream:
            if isinstance(current.expression, exp.Table):
                key = (_table_name(current.expression), current.name.split(".")[-1].strip('"`'))
                kind = IDENTITY if copied else TRANSFORMATION
                if found.get(key) != TRANSFORMATION:
                    found[key] = kind
            return
        for child in current.downstream:
            visit(child, copied)

    visit(node, True)
    return [SourceColumn(table, column, kind) for (table, column), kind in found.items()]


@deep_nesting()
def statement_lineage(
    sql: str, dialect: str | None, schema: dict[str, Any] | None = None
) -> StatementLineage:
    """Column lineage of one SELECT, INSERT ... SELECT or CREATE TABLE ... AS SELECT.

    The columns of an INSERT are the target's: its column list (or, without one, the target's
    columns in the schema) matched by position; otherwise the query's own output names.
    """
    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except SqlglotError as error:
        log.info("No column lineage: the SQL does not parse (%s)", str(error).splitlines()[0])
        return StatementLineage()
    writes, target_columns = _written(tree)
    query = _query_of(tree)
    if query is None:
        return StatementLineage(writes=writes)
    reads = _source_tables(tree)
    schema = schema or _single_table_schema(query, reads)
    try:
        qualified = qualify(
            query.copy(), schema=schema or None, dialect=dialect, validate_qualify_columns=False
        )
        outputs = [name for name in qualified.named_selects if name != "*"]
        columns = {
            name: _sources(lineage(name, qualified, schema=schema or {}, dialect=dialect)) for name in outputs
        }
    except (SqlglotError, KeyError, ValueError) as error:
        log.info("No column lineage for this SQL: %s", str(error).splitlines()[0] if str(error) else error)
        return StatementLineage(reads=reads, writes=writes)
    if isinstance(tree, exp.Insert):
        names = target_columns or _schema_columns(schema, writes)
        if names and len(names) == len(outputs):
            columns = {target: columns[output] for target, output in zip(names, outputs, strict=True)}
    return StatementLineage(reads=reads, writes=writes, columns=columns)


def _schema_columns(schema: dict[str, Any] | None, table: str | None) -> list[str] | None:
    """A table's columns, in order, from a sqlglot schema mapping (`schema.table` or `table`)."""
    if not schema or not table:
        return None
    node: Any = schema
    for part in table.split(".")[-2:] if "." in table else [table]:
        if not isinstance(node, dict):
            return None
        node = node.get(part) or next((v for k, v in node.items() if k.lower() == part.lower()), None)
    return list(node) if isinstance(node, dict) else None


def _single_table_schema(query: exp.Query, reads: list[str]) -> dict[str, Any] | None:
    """Without a catalog, a query over one table (no join, subquery or CTE) can only mean that
    table's columns: a schema of the columns it names lets sqlglot resolve them (in WHERE too)."""
    if len(reads) != 1 or query.find(exp.Subquery, exp.CTE, exp.Join) is not None:
        return None
    aliases = {a.alias for a in query.find_all(exp.Alias)}
    columns = {c.name: "unknown" for c in query.find_all(exp.Column) if c.name and c.name not in aliases}
    if not columns:
        return None
    *path, name = reads[0].split(".")
    nested: dict[str, Any] = {name: columns}
    for part in reversed(path):
        nested = {part: nested}
    return nested
