"""The differential corpus for the SQL validator: hand-written queries over five schemas plus
systematic mutations of them, labelled by PostgreSQL itself.

`build_corpus(catalogs)` reads queries.sql and mutates every query the ways models go wrong: other
dialects' spellings (each query transpiled by sqlglot to other dialects), columns swapped for
columns of other types, GROUP BY columns dropped, HAVING conditions moved to WHERE, aliases used
twice, identifiers re-cased or re-quoted, literals of other types, aggregates nested, casts
added, set operations with other column counts, joins reordered. The labels are not written
anywhere: `oracle.py` creates the schemas empty and asks PostgreSQL's EXPLAIN about each query.

Shared by tests/integration/validation/test_sql_differential.py and benchmarks/sql_validator.py;
import it as `tests.support.sql_corpus`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from airflow_ai_etl.catalog.models import SchemaCatalog

HERE = Path(__file__).resolve().parent
SCHEMAS_SQL = HERE / "schemas.sql"
QUERIES_SQL = HERE / "queries.sql"
#: Dialects a query is transpiled to, to get other dialects' function names and syntax.
FOREIGN_DIALECTS = ("mysql", "sqlite", "tsql", "spark", "bigquery", "clickhouse", "snowflake", "duckdb")
#: At most this many variants of one mutation kind per query (the first ones, in tree order).
PER_KIND = 3
_SCHEMA_HEADER = re.compile(r"--\s*schema:\s*(\w+)")


@dataclass(frozen=True)
class Case:
    schema: str
    sql: str
    origin: str  # "hand" or the mutation that made it


def base_queries() -> list[Case]:
    cases, schema = [], ""
    for line in QUERIES_SQL.read_text().splitlines():
        header = _SCHEMA_HEADER.match(line.strip())
        if header:
            schema = header[1]
        elif line.strip() and not line.startswith("--"):
            cases.append(Case(schema, line.strip(), "hand"))
    return cases


def schema_names() -> list[str]:
    return re.findall(r"CREATE SCHEMA (\w+);", SCHEMAS_SQL.read_text())


# --- mutations -----------------------------------------------------------------------------------

Mutation = Callable[[exp.Expr, SchemaCatalog], Iterator[exp.Expr]]


def _columns_by_table(catalog: SchemaCatalog) -> dict[str, list[tuple[str, str]]]:
    return {t.name.lower(): [(c.name, c.type) for c in t.columns] for t in catalog.tables}


def _alias_tables(select: exp.Expr) -> dict[str, str]:
    """alias (or name) -> table name for the tables a query reads."""
    return {t.alias_or_name: t.name for t in select.find_all(exp.Table)}


def _variants(
    tree: exp.Expr, nodes: list[exp.Expr], change: Callable[[exp.Expr], exp.Expr | None]
) -> Iterator[exp.Expr]:
    """A copy of `tree` for each node, with that node changed (None: no variant for it)."""
    for index in range(len(nodes)):
        copy = tree.copy()
        target = list(copy.find_all(type(nodes[index])))
        position = [n for n in tree.find_all(type(nodes[index]))].index(nodes[index])
        replacement = change(target[position])
        if replacement is not None:
            target[position].replace(replacement)
            yield copy


def swap_column(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    tables, columns = _alias_tables(tree), _columns_by_table(catalog)

    def change(column: exp.Expr) -> exp.Expr | None:
        assert isinstance(column, exp.Column)
        owner = tables.get(column.table) or next(
            (
                t
                for t in tables.values()
                if column.name.lower() in {c.lower() for c, _ in columns.get(t.lower(), [])}
            ),
            None,
        )
        table_columns = columns.get((owner or "").lower(), [])
        own_type = next((ty for c, ty in table_columns if c.lower() == column.name.lower()), None)
        other = next(((c, ty) for c, ty in table_columns if ty != own_type and own_type is not None), None)
        if other is None:
            return None
        return exp.column(
            exp.to_identifier(other[0], quoted=other[0] != other[0].lower()), table=column.table or None
        )

    return _variants(tree, [c for c in tree.find_all(exp.Column) if c.name][:PER_KIND], change)


def drop_group_by(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    group = tree.find(exp.Group)
    if group is None:
        return
    for index in range(min(len(group.expressions), PER_KIND)):
        copy = tree.copy()
        copy_group = copy.find(exp.Group)
        assert copy_group is not None
        remaining = [e for i, e in enumerate(copy_group.expressions) if i != index]
        if remaining:
            copy_group.set("expressions", remaining)
        else:
            copy_group.pop()
        yield copy


def having_to_where(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    if isinstance(tree, exp.Select) and tree.args.get("having") is not None:
        copy = tree.copy()
        having = copy.args["having"]
        having.pop()
        yield copy.where(having.this)


def duplicate_alias(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    if not isinstance(tree, exp.Select) or not tree.args.get("joins") or tree.args.get("from_") is None:
        return
    first = tree.args["from_"].this
    copy = tree.copy()
    join_table = copy.args["joins"][0].this
    if isinstance(join_table, exp.Table) and isinstance(first, exp.Table):
        join_table.set("alias", exp.TableAlias(this=exp.to_identifier(first.alias_or_name)))
        yield copy


def recase_identifier(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    def change(identifier: exp.Expr) -> exp.Expr | None:
        assert isinstance(identifier, exp.Identifier)
        name = identifier.this
        if identifier.quoted:  # "fullName" -> fullName (folds to fullname)
            return exp.to_identifier(name, quoted=False) if name != name.lower() else None
        if name == name.lower():  # status -> "Status"
            return exp.to_identifier(name.capitalize(), quoted=True)
        return None

    identifiers = [i for i in tree.find_all(exp.Identifier) if isinstance(i.parent, exp.Column | exp.Table)]
    return _variants(tree, identifiers[:PER_KIND], change)


def retype_literal(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    def change(literal: exp.Expr) -> exp.Expr | None:
        assert isinstance(literal, exp.Literal)
        if not isinstance(literal.parent, exp.Predicate):
            return None
        return exp.Literal.number(42) if literal.is_string else exp.Literal.string("abc")

    return _variants(tree, list(tree.find_all(exp.Literal))[:PER_KIND], change)


def nest_aggregate(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    def change(aggregate: exp.Expr) -> exp.Expr | None:
        if isinstance(aggregate.parent, exp.Window | exp.Filter | exp.WithinGroup):
            return None
        return exp.Max(this=aggregate.copy())

    return _variants(tree, list(tree.find_all(exp.AggFunc))[:PER_KIND], change)


def add_cast(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    for to in ("integer", "date", "boolean"):
        yield from _variants(
            tree,
            [c for c in tree.find_all(exp.Column) if isinstance(c.parent, exp.Alias | exp.Select)][:1],
            lambda column, to=to: exp.cast(column.copy(), to),
        )


def mismatch_union(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    if isinstance(tree, exp.Select) and len(tree.expressions) > 1 and not tree.args.get("order"):
        other = tree.copy()
        other.set("expressions", other.expressions[:-1])
        yield exp.union(tree.copy(), other, distinct=False)


def where_operand(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    where = tree.find(exp.Where)
    if where is not None and isinstance(where.this, exp.Binary) and not isinstance(where.this, exp.Connector):
        copy = tree.copy()
        copy_where = copy.find(exp.Where)
        assert copy_where is not None
        copy_where.set("this", copy_where.this.this)
        yield copy


def swap_operator(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    for make in (exp.Sub, exp.Like, exp.DPipe):
        yield from _variants(
            tree,
            list(tree.find_all(exp.EQ, exp.GT))[:1],
            lambda node, make=make: make(this=node.this.copy(), expression=node.expression.copy()),
        )


def reorder_joins(tree: exp.Expr, catalog: SchemaCatalog) -> Iterator[exp.Expr]:
    joins = tree.args.get("joins") if isinstance(tree, exp.Select) else None
    if joins and len(joins) >= 2:
        copy = tree.copy()
        first, second = copy.args["joins"][:2]
        copy.set("joins", [second, first, *copy.args["joins"][2:]])
        yield copy


MUTATIONS: dict[str, Mutation] = {
    "swap_column": swap_column,
    "drop_group_by": drop_group_by,
    "having_to_where": having_to_where,
    "duplicate_alias": duplicate_alias,
    "recase_identifier": recase_identifier,
    "retype_literal": retype_literal,
    "nest_aggregate": nest_aggregate,
    "add_cast": add_cast,
    "mismatch_union": mismatch_union,
    "where_operand": where_operand,
    "swap_operator": swap_operator,
    "reorder_joins": reorder_joins,
}


def _transpiled(sql: str) -> Iterator[tuple[str, str]]:
    for dialect in FOREIGN_DIALECTS:
        try:
            yield f"transpile_{dialect}", sqlglot.transpile(sql, read="postgres", write=dialect)[0]
        except (SqlglotError, RecursionError):
            continue


def build_corpus(catalogs: dict[str, SchemaCatalog]) -> list[Case]:
    """Hand-written queries and their mutations, each text once, in a stable order."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "translation not supported" notes
    seen: set[tuple[str, str]] = set()
    corpus: list[Case] = []

    def add(case: Case) -> None:
        if (case.schema, case.sql) not in seen:
            seen.add((case.schema, case.sql))
            corpus.append(case)

    for case in base_queries():
        add(case)
        for origin, text in _transpiled(case.sql):
            add(Case(case.schema, text, origin))
        try:
            tree = sqlglot.parse_one(case.sql, read="postgres")
        except (SqlglotError, RecursionError):
            continue
        for name, mutate in MUTATIONS.items():
            for variant in list(mutate(tree, catalogs[case.schema]))[:PER_KIND]:
                add(Case(case.schema, variant.sql("postgres"), name))
    return corpus
