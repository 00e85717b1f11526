"""A schema read from a picture -> a pipeline of CREATE TABLE steps for one connection.

Deterministic: names are checked against the spec's identifier rules, each type is parsed by
sqlglot in the connection's dialect (a type it cannot read is an error naming table.column and
the type), and the statements are written by sqlglot, so model text reaches the spec only as
names and types that parsed. Tables come in foreign-key order: a step depends on the steps that
create the tables it references.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlglot import exp
from sqlglot.errors import ParseError

from airflow_ai_etl.agents.vision import PictureSchema, PictureTable
from airflow_ai_etl.spec.models import PipelineSpec, SqlStep

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PictureError(ValueError):
    """What the picture's schema holds that cannot become a table; names table, column and value."""


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise PictureError(f"{what} {name!r} is not a plain SQL name (letters, digits, underscores)")
    return name


def _step_id(table: str) -> str:
    return ("create_" + re.sub(r"[^a-z0-9_]", "_", table.lower()))[:100]


def _column(table: str, column_name: str, type_text: str, nullable: bool, dialect: str) -> exp.ColumnDef:
    name = _identifier(column_name, f"column {table}.")
    try:
        data_type = exp.DataType.build(type_text, dialect=dialect or None)
    except (ParseError, ValueError):
        raise PictureError(
            f"column {table}.{name}: {type_text!r} is not a SQL type in {dialect or 'SQL'}"
        ) from None
    constraints = [] if nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
    return exp.ColumnDef(this=exp.to_identifier(name), kind=data_type, constraints=constraints)


def create_table_sql(table: PictureTable, dialect: str, schema: str | None) -> str:
    name = _identifier(table.name, "table")
    keys = [c.name for c in table.columns if c.primary_key]
    parts: list[exp.Expression] = [
        _column(name, c.name, c.type, c.nullable and not c.primary_key, dialect) for c in table.columns
    ]
    if keys:
        parts.append(exp.PrimaryKey(expressions=[exp.to_identifier(k) for k in keys]))
    for fk in table.foreign_keys:
        parts.append(
            exp.ForeignKey(
                expressions=[exp.to_identifier(_identifier(c, f"column {name}.")) for c in fk.columns],
                reference=exp.Reference(
                    this=exp.Schema(
                        this=exp.to_table(_qualified(fk.references_table, schema)),
                        expressions=[exp.to_identifier(c) for c in fk.references_columns],
                    )
                ),
            )
        )
    target = exp.Schema(this=exp.to_table(_qualified(name, schema)), expressions=parts)
    return exp.Create(this=target, kind="TABLE").sql(dialect=dialect or None)


def _qualified(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema and "." not in name else name


def _ordered(tables: list[PictureTable]) -> list[PictureTable]:
    """Referenced tables first (a cycle keeps the picture's order for the rest)."""
    by_name = {t.name.lower(): t for t in tables}
    done: dict[str, PictureTable] = {}

    def visit(table: PictureTable, path: frozenset[str]) -> None:
        key = table.name.lower()
        if key in done or key in path:
            return
        for fk in table.foreign_keys:
            ref = by_name.get(fk.references_table.lower().rsplit(".", 1)[-1])
            if ref is not None and ref is not table:
                visit(ref, path | {key})
        done[key] = table

    for table in tables:
        visit(table, frozenset())
    return list(done.values())


def spec_from_picture(
    schema: PictureSchema,
    *,
    conn_id: str,
    dialect: str,
    dag_id: str,
    request: str = "",
    db_schema: str | None = None,
    today: dt.date | None = None,
) -> PipelineSpec:
    """One `sql` step per table, each creating it; PictureError for names or types that cannot be SQL."""
    names = [t.name.lower() for t in schema.tables]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise PictureError(f"the picture shows the table(s) {', '.join(twice)} more than once")
    tables = _ordered(schema.tables)
    step_of = {t.name.lower(): _step_id(t.name) for t in tables}
    steps = []
    for table in tables:
        refs = {fk.references_table.lower().rsplit(".", 1)[-1] for fk in table.foreign_keys}
        depends = [step_of[r] for r in sorted(refs) if r in step_of and r != table.name.lower()]
        steps.append(
            SqlStep(
                id=step_of[table.name.lower()],
                kind="sql",
                conn_id=conn_id,
                sql=create_table_sql(table, dialect, db_schema),
                description=f"Creates table {table.name} as the ER diagram shows it.",
                depends_on=depends,
            )
        )
    return PipelineSpec(
        dag_id=dag_id,
        description=f"Creates the {len(steps)} table(s) of an ER diagram on {conn_id}.",
        request=request,
        start_date=today or dt.date.today(),
        schedule=None,
        steps=steps,
    )
