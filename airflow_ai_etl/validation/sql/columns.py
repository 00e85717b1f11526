"""Columns a query names: each must exist in exactly one table in scope (sqlglot's qualify)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.errors import OptimizeError, SchemaError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.resolver import Resolver
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema, Schema

from airflow_ai_etl.catalog.cache import per_catalog
from airflow_ai_etl.catalog.models import SchemaCatalog, Table
from airflow_ai_etl.validation.report import Finding
from airflow_ai_etl.validation.schema import extension_of, has_columns
from airflow_ai_etl.validation.sql.findings import did_you_mean, error, warning
from airflow_ai_etl.validation.sql.tables import table_name, target_table

#: sqlglot's error for a relation the query names (`x.*`, a USING side) that no scope provides.
_UNKNOWN_SOURCE = re.compile(r"Unknown table: (\S+)")


@per_catalog
def _schemas_by_dialect(catalog: SchemaCatalog) -> dict[str | None, Schema]:
    return {}


def sqlglot_schema(catalog: SchemaCatalog, dialect: str | None) -> Schema:
    """The catalog as sqlglot's schema, built once per catalog and dialect (a spec's steps and
    every repair round check against the same catalog; building it costs ~10 ms per 1,000 tables).
    A catalog extended by tables earlier steps create extends its original's schema, so a spec
    whose steps create tables costs linear, not quadratic, time. Tables with unknown columns are
    left out (see schema.py)."""
    cached = _schemas_by_dialect(catalog)
    if dialect in cached:
        return cached[dialect]
    origin = extension_of(catalog)
    if origin is not None:
        try:
            cached[dialect] = _extended_schema(sqlglot_schema(origin[0], dialect), origin[1], dialect)
            return cached[dialect]
        except SchemaError:
            pass  # nesting levels differ (a schema-qualified table in a schema-less catalog): rebuild
    spell = _spelling(dialect)
    nested: dict[str, object] = {}
    for table in catalog.tables:
        if not has_columns(table):
            continue
        columns = _column_types(table, spell)
        if table.schema_name:
            schema_tables = nested.setdefault(spell(table.schema_name), {})
            assert isinstance(schema_tables, dict)
            schema_tables[spell(table.name)] = columns
        else:
            nested[spell(table.name)] = columns
    cached[dialect] = MappingSchema(nested, dialect=dialect, normalize=True)
    return cached[dialect]


def _column_types(table: Table, spell: Callable[[str], str]) -> dict[str, str]:
    return {spell(c.name): c.type or "UNKNOWN" for c in table.columns}


def _extended_schema(base: Schema, tables: Iterable[Table], dialect: str | None) -> MappingSchema:
    """`base` plus `tables`, leaving `base` as it was; its names are normalised already."""
    assert isinstance(base, MappingSchema)
    spell = _spelling(dialect)
    mapping = {key: dict(value) if isinstance(value, dict) else value for key, value in base.mapping.items()}
    schema = MappingSchema(mapping, dialect=dialect, normalize=False)
    schema.normalize = True  # names in queries (and in the tables added below) are still normalised
    for table in tables:
        if has_columns(table):
            name = spell(table.name)
            qualified = f"{spell(table.schema_name)}.{name}" if table.schema_name else name
            schema.add_table(qualified, _column_types(table, spell), dialect=dialect)
    return schema


def _spelling(dialect: str | None) -> Callable[[str], str]:
    """How a catalog name is written so that sqlglot keeps it as the database does: quoted when
    the dialect would fold it (PostgreSQL's `"isActive"`), else as it is."""
    strategy = Dialect.get_or_raise(dialect).normalization_strategy
    if strategy is NormalizationStrategy.LOWERCASE:
        fold: Callable[[str], str] = str.lower
    elif strategy is NormalizationStrategy.UPPERCASE:
        fold = str.upper
    else:
        return lambda name: name
    return lambda name: name if fold(name) == name else '"' + name.replace('"', '""') + '"'


def _source_label(source: exp.Expr | Scope, alias: str) -> str:
    return table_name(source) if isinstance(source, exp.Table) else alias


def _scope_findings(scope: Scope, schema: Schema) -> Iterator[Finding]:
    if not isinstance(scope.expression, exp.Select):
        return
    resolver = Resolver(scope, schema)
    columns: dict[str, set[str] | None] = {}
    for alias in scope.sources:
        try:
            names = {n.lower() for n in resolver.get_source_columns(alias)}
        except OptimizeError:
            names = set()
        columns[alias] = names if names and "*" not in names else None
    opaque = any(names is None for names in columns.values())
    labels = {alias: _source_label(source, alias) for alias, source in scope.sources.items()}
    in_scope = ", ".join(sorted(set(labels.values()))) or "no table"
    for column in scope.columns:
        name, qualifier = column.name.lower(), column.text("table")
        if qualifier and qualifier in columns:
            source_columns = columns[qualifier]
            if source_columns is not None and name not in source_columns:
                yield unknown_column(name, labels[qualifier], sorted(source_columns))
        elif qualifier:
            if not scope.is_correlated_subquery:
                yield error(
                    "sql.unknown_column",
                    f"column {qualifier}.{name} refers to {qualifier}, which is not in the FROM clause",
                )
        else:
            owners = [alias for alias, names in columns.items() if names and name in names]
            if len(owners) > 1:
                yield error(
                    "sql.ambiguous_column",
                    f"column {name} is ambiguous: {', '.join(labels[o] for o in owners)} all have it",
                    f"qualify it, e.g. {owners[0]}.{name}",
                )
            elif not owners and not opaque:
                known = sorted(set().union(*(n for n in columns.values() if n)))
                yield unknown_column(name, in_scope, known)


def unknown_column(name: str, where: str, known: Iterable[str]) -> Finding:
    return error("sql.unknown_column", f"column {name} does not exist in {where}", did_you_mean(name, known))


def column_findings(
    query: exp.Expr, catalog: SchemaCatalog, dialect: str | None
) -> tuple[list[Finding], exp.Expr | None]:
    """Unknown and ambiguous columns of a query, and the query qualified (None when sqlglot failed)."""
    schema = sqlglot_schema(catalog, dialect)
    try:
        qualified = qualify(
            query.copy(),
            dialect=dialect,
            schema=schema,
            db=catalog.default_schema,
            allow_partial_qualification=True,  # unknown qualified columns: reported below, all of them
            validate_qualify_columns=False,
            identify=False,
        )
        findings = [f for scope in traverse_scope(qualified) for f in _scope_findings(scope, schema)]
    except SqlglotError as exc:
        first_line = str(exc).splitlines()[0]
        unknown = _UNKNOWN_SOURCE.fullmatch(first_line)
        if unknown:  # e.g. `x.*` with no x in scope: like `x.id`, a query that cannot run
            message = f"the query refers to {unknown[1]}, which is not in the FROM clause"
            return [error("sql.unknown_column", message)], None
        message = f"the query's columns could not be resolved: {first_line}"
        return [warning("sql.columns_unchecked", message)], None
    unique = {(f.code, f.message): f for f in findings}
    return list(unique.values()), qualified


def target_column_findings(node: exp.Expr, catalog: SchemaCatalog) -> list[Finding]:
    """Columns an INSERT, UPDATE or MERGE assigns must exist in its target table."""
    target = target_table(node)
    table = catalog.find_table(table_name(target)) if target is not None else None
    if table is None or not has_columns(table):
        return []
    assigned: list[exp.Expr] = []
    for part in node.walk():
        if isinstance(part, exp.Insert):
            columns = part.this.expressions if isinstance(part.this, exp.Schema | exp.Tuple) else []
            assigned += columns
        elif isinstance(part, exp.Update):
            assigned += [eq.this for eq in part.expressions if isinstance(eq, exp.EQ)]
    known = [c.name.lower() for c in table.columns]
    findings = {}
    for column in assigned:
        name = column.name.lower()
        if name and name not in known and name not in findings:
            findings[name] = unknown_column(name, table.qualified_name, known)
    return list(findings.values())
