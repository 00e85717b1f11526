"""What a statement produces: a query's typed output columns and the table a CREATE makes."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.schema import Schema

from airflow_ai_etl.catalog.models import Column, Table
from airflow_ai_etl.validation.sql.tables import target_table


def output_columns(query: exp.Expr, schema: Schema, dialect: str | None) -> list[Column] | None:
    if not isinstance(query, exp.Query):
        return None
    try:
        typed = annotate_types(query, schema=schema, dialect=dialect)
    except SqlglotError:
        return None
    output = []
    for projection in typed.selects:
        if isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star):
            return None  # a star sqlglot could not expand: the columns are not known
        data_type = projection.type
        known = data_type is not None and not data_type.is_type(exp.DType.UNKNOWN, exp.DType.NULL)
        output.append(
            Column(name=projection.alias_or_name, type=data_type.sql(dialect) if known and data_type else "")
        )
    return output


def created_table(root: exp.Expr, output: list[Column] | None, dialect: str | None) -> Table | None:
    if not isinstance(root, exp.Create):
        return None
    target = target_table(root)
    if target is None:
        return None
    kind = str(root.args.get("kind") or "").lower()
    columns = output or []
    if isinstance(root.this, exp.Schema):
        columns = [
            Column(
                name=d.name,
                type=d.kind.sql(dialect) if isinstance(d.kind, exp.DataType) else "",
                nullable=not any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in d.constraints),
            )
            for d in root.this.expressions
            if isinstance(d, exp.ColumnDef)
        ]
    return Table(name=target.name, schema_name=target.db or None, kind=kind or "table", columns=columns)
