"""The SQL the offline planner writes, built as sqlglot trees and printed in each side's dialect.

Building trees (rather than formatting strings) keeps identifiers quoted where they need it and
values as literals: no word of the request or of a catalog becomes SQL text of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from airflow_ai_etl.agents.offline.names import TableRef, data_type
from airflow_ai_etl.agents.offline.related import JoinStep
from airflow_ai_etl.catalog.models import Column

_T = exp.DataType.Type
_SIMPLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_SQLITE_GRAIN_FORMATS = {"hour": "%Y-%m-%d %H:00:00", "month": "%Y-%m-01", "year": "%Y-01-01"}


@dataclass(frozen=True)
class OutputColumn:
    """A column of a table the planner may have to create."""

    name: str
    type: exp.DataType
    nullable: bool = True


Value = str | int | float | bool


@dataclass(frozen=True)
class Condition:
    column: Column
    op: str  # = != > >= < <=, or in / not in with a tuple
    value: Value | tuple[Value, ...] | None


@dataclass(frozen=True)
class Aggregation:
    function: Literal["sum", "avg", "count", "count_distinct", "min", "max"]
    measure: Column | None  # None: COUNT(*)
    alias: str
    groups: Sequence[Column]
    grain: str | None
    time_column: Column | None
    #: output name -> the name written (an existing target's columns); unlisted names stay
    renames: Mapping[str, str] = field(default_factory=dict)

    def output_name(self, name: str) -> str:
        return self.renames.get(name, name)


def _dialect(name: str) -> str | None:
    return name or None


@lru_cache(maxsize=4096)
def _needs_quotes(name: str, dialect: str) -> bool:
    """Quote a name unless it reads back as itself unquoted: lower case and no keyword here."""
    if not _SIMPLE_NAME.fullmatch(name):
        return True  # upper case folds (or not) differently per system; spaces and symbols need quotes
    try:
        parsed = sqlglot.parse_one(f"SELECT {name} FROM t", read=_dialect(dialect))
    except (ParseError, TokenError):
        return True
    selected = (
        parsed.expressions[0] if isinstance(parsed, exp.Select) and len(parsed.expressions) == 1 else None
    )
    return not (isinstance(selected, exp.Column) and selected.name == name and not selected.table)


def _ident(name: str, dialect: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=_needs_quotes(name, dialect))


def _table(parts: Sequence[str], dialect: str) -> exp.Table:
    """A table from `[catalog.][schema.]table` parts."""
    *qualifiers, name = parts
    db = _ident(qualifiers[-1], dialect) if qualifiers else None
    catalog = _ident(qualifiers[-2], dialect) if len(qualifiers) > 1 else None
    return exp.Table(this=_ident(name, dialect), db=db, catalog=catalog)


def _source_table(ref: TableRef) -> exp.Table:
    parts = [ref.table.schema_name, ref.table.name] if ref.table.schema_name else [ref.table.name]
    return _table(parts, ref.catalog.dialect)


def _column(column: Column, dialect: str) -> exp.Column:
    return _column_named(column.name, dialect)


class _Scope:
    """The FROM clause of a query and how its columns are written: bare for one table, qualified
    by the table's alias when related tables are joined (LEFT JOIN: a missing parent keeps the row)."""

    def __init__(self, ref: TableRef, joins: Sequence[JoinStep]) -> None:
        self.dialect = ref.catalog.dialect
        self.tables = [ref.table, *(step.table.table for step in joins)]
        self.refs = [ref, *(step.table for step in joins)]
        self.joins = list(joins)
        names = [t.name.lower() for t in self.tables]
        unique = len(set(names)) == len(names)
        self.aliases = [t.name if unique else f"t{i}" for i, t in enumerate(self.tables)]

    def column(self, column: Column) -> exp.Column:
        if not self.joins:
            return _column(column, self.dialect)
        owner = next((i for i, t in enumerate(self.tables) if any(c is column for c in t.columns)), None)
        if owner is None:  # an equal column object rebuilt elsewhere: by name, the source first
            owner = next(i for i, t in enumerate(self.tables) if t.column(column.name) is not None)
        return exp.Column(
            this=_ident(column.name, self.dialect), table=_ident(self.aliases[owner], self.dialect)
        )

    def select_from(self, *selected: exp.Expr) -> exp.Select:
        first = _source_table(self.refs[0])
        if not self.joins:
            return exp.select(*selected).from_(first)
        query = exp.select(*selected).from_(
            exp.alias_(first, _ident(self.aliases[0], self.dialect), table=True)
        )
        for i, step in enumerate(self.joins, start=1):
            on = exp.and_(
                *(
                    exp.EQ(
                        this=exp.Column(
                            this=_ident(a, self.dialect), table=_ident(self.aliases[i - 1], self.dialect)
                        ),
                        expression=exp.Column(
                            this=_ident(b, self.dialect), table=_ident(self.aliases[i], self.dialect)
                        ),
                    )
                    for a, b in step.pairs
                )
            )
            joined = exp.alias_(_source_table(step.table), _ident(self.aliases[i], self.dialect), table=True)
            query = query.join(joined, on=on, join_type="LEFT")
        return query


def _column_named(name: str, dialect: str) -> exp.Column:
    return exp.Column(this=_ident(name, dialect))


def _literal(value: str | int | float | bool) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def _predicate(condition: Condition, scope: _Scope) -> exp.Expr:
    column = scope.column(condition.column)
    if condition.value is None:
        is_null = exp.Is(this=column, expression=exp.Null())
        return exp.Not(this=is_null) if condition.op == "!=" else is_null
    if isinstance(condition.value, tuple):
        is_in = exp.In(this=column, expressions=[_literal(v) for v in condition.value])
        return exp.Not(this=is_in) if condition.op == "not in" else is_in
    value = _literal(condition.value)
    builders = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
    return builders[condition.op](this=column, expression=value)


def select_sql(
    ref: TableRef,
    conditions: Sequence[Condition],
    columns: Sequence[Column] | None = None,
    joins: Sequence[JoinStep] = (),
) -> str:
    """SELECT <columns (default: every column)> FROM <table> [LEFT JOIN <related>] WHERE <conditions>,
    in the table's dialect."""
    scope = _Scope(ref, joins)
    chosen = ref.table.columns if columns is None else columns
    query = scope.select_from(*(scope.column(c) for c in chosen))
    for condition in conditions:
        query = query.where(_predicate(condition, scope))
    return query.sql(dialect=_dialect(ref.catalog.dialect), pretty=True)


def _grain_expression(column: Column, grain: str, scope: _Scope) -> exp.Expr:
    if grain == "day":
        return exp.cast(scope.column(column), exp.DataType.build("DATE"))
    if scope.dialect == "sqlite":
        if grain == "week":  # the Monday of the row's week
            return exp.func(
                "DATE",
                scope.column(column),
                exp.Literal.string("weekday 0"),
                exp.Literal.string("-6 days"),
            )
        return exp.func("STRFTIME", exp.Literal.string(_SQLITE_GRAIN_FORMATS[grain]), scope.column(column))
    return exp.TimestampTrunc(this=scope.column(column), unit=exp.var(grain.upper()))


def _metric_expression(aggregation: Aggregation, scope: _Scope) -> exp.Expr:
    argument: exp.Expr = scope.column(aggregation.measure) if aggregation.measure else exp.Star()
    if aggregation.function == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[argument]))
    functions = {"sum": exp.Sum, "avg": exp.Avg, "count": exp.Count, "min": exp.Min, "max": exp.Max}
    return functions[aggregation.function](this=argument)


def aggregate_sql(
    ref: TableRef, aggregation: Aggregation, conditions: Sequence[Condition], joins: Sequence[JoinStep] = ()
) -> str:
    """SELECT <groups>, <time bucket>, <metric> FROM <table> [LEFT JOIN <related>] WHERE ...
    GROUP BY <groups>, <bucket>."""
    scope = _Scope(ref, joins)
    dialect = scope.dialect
    keys: list[exp.Expr] = [scope.column(c) for c in aggregation.groups]
    selected: list[exp.Expr] = [
        _named(key.copy(), column.name, aggregation, dialect, always=bool(joins))
        for key, column in zip(keys, aggregation.groups, strict=True)
    ]
    if aggregation.grain and aggregation.time_column:
        bucket = _grain_expression(aggregation.time_column, aggregation.grain, scope)
        keys.append(bucket)
        selected.append(
            exp.alias_(bucket.copy(), _ident(aggregation.output_name(aggregation.grain), dialect))
        )
    selected.append(
        _named(_metric_expression(aggregation, scope), aggregation.alias, aggregation, dialect, True)
    )
    query = scope.select_from(*selected)
    for condition in conditions:
        query = query.where(_predicate(condition, scope))
    if keys:
        query = query.group_by(*keys)
    return query.sql(dialect=_dialect(dialect), pretty=True)


def _named(
    expression: exp.Expr, name: str, aggregation: Aggregation, dialect: str, always: bool = False
) -> exp.Expr:
    """The expression under its output name (an alias only where the name changes, or `always`)."""
    output = aggregation.output_name(name)
    return exp.alias_(expression, _ident(output, dialect)) if always or output != name else expression


def storage_type(column: Column, dialect: str) -> tuple[exp.DataType, str | None]:
    """The column's type to create a copy of it with, and a note when it had to be changed."""
    source = data_type(column, dialect)
    if dialect == "sqlite" and source.is_type(_T.DECIMAL):
        # SQLite's NUMERIC affinity stores fractions as REAL: what arrives is a float.
        return exp.DataType.build("DOUBLE"), None
    if source.this == _T.USERDEFINED:
        note = f"column {column.name}: type {column.type!r} is not portable, created as text"
        return exp.DataType.build("TEXT"), note
    return source, None


def aggregate_columns(aggregation: Aggregation, dialect: str) -> list[OutputColumn]:
    """The columns an aggregation query returns, typed so that the totals fit."""
    named = aggregation.output_name
    columns = [
        OutputColumn(named(c.name), storage_type(c, dialect)[0], nullable=False) for c in aggregation.groups
    ]
    if aggregation.grain and aggregation.time_column:
        bucket_type = (
            exp.DataType.build("DATE")
            if aggregation.grain == "day"
            else storage_type(aggregation.time_column, dialect)[0]
        )
        columns.append(OutputColumn(named(aggregation.grain), bucket_type, nullable=False))
    measure = aggregation.measure
    if aggregation.function in ("count", "count_distinct") or measure is None:
        metric = exp.DataType.build("BIGINT")
    elif aggregation.function == "avg":
        metric = exp.DataType.build("DOUBLE")
    elif aggregation.function == "sum":
        metric = _sum_type(measure, dialect)
    else:
        metric = storage_type(measure, dialect)[0]
    columns.append(OutputColumn(named(aggregation.alias), metric))
    return columns


def _sum_type(measure: Column, dialect: str) -> exp.DataType:
    source = storage_type(measure, dialect)[0]
    if source.is_type(*exp.DataType.INTEGER_TYPES):
        return exp.DataType.build("BIGINT")
    if source.is_type(*exp.DataType.REAL_TYPES) and not source.is_type(_T.DECIMAL):
        return exp.DataType.build("DOUBLE")
    params = source.expressions
    scale = params[1].name if len(params) == 2 else "2"
    return exp.DataType.build(f"DECIMAL(38, {scale})")


def create_table_sql(name: str, columns: Sequence[OutputColumn], key: Sequence[str], dialect: str) -> str:
    """CREATE TABLE IF NOT EXISTS in the target's dialect, key columns NOT NULL and the primary key."""
    table = _table(name.split("."), dialect)
    keys = {k.lower() for k in key}
    definitions: list[exp.Expr] = []
    for column in columns:
        not_null = not column.nullable or column.name.lower() in keys
        kind = column.type.copy()
        constraints = []
        if not_null:
            kind.set("nullable", False)
            constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        definitions.append(
            exp.ColumnDef(this=_ident(column.name, dialect), kind=kind, constraints=constraints)
        )
    properties = None
    if dialect == "clickhouse":
        # ClickHouse needs an engine and a sorting key; the primary key is the sorting key.
        order = exp.Tuple(expressions=[_column_named(k, dialect) for k in key]) if key else exp.func("tuple")
        properties = exp.Properties(
            expressions=[
                exp.EngineProperty(this=exp.var("MergeTree")),
                exp.Order(expressions=[exp.Ordered(this=order)]),
            ]
        )
    elif key:
        definitions.append(exp.PrimaryKey(expressions=[_ident(k, dialect) for k in key]))
    create = exp.Create(
        this=exp.Schema(this=table, expressions=definitions), kind="TABLE", exists=True, properties=properties
    )
    return create.sql(dialect=_dialect(dialect), pretty=True)
