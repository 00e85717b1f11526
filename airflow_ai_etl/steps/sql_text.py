"""What the SQL of any kind reads, writes and creates, seen without catalogs (for diagrams and eval)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp

from airflow_ai_etl.catalog.models import Column, ForeignKey, Table
from airflow_ai_etl.sql_depth import deep_nesting
from airflow_ai_etl.steps.base import TableUse
from airflow_ai_etl.validation.sql import Role, analyze_sql


def sql_use(conn_id: str, sql: str, dialects: Mapping[str, str], role: Role) -> TableUse:
    """The tables one statement on `conn_id` reads and writes, and the table it creates."""
    dialect = dialects.get(conn_id, "")
    analysis = analyze_sql(sql, dialect=dialect, role=role)
    return connection_use(conn_id, analysis.reads, analysis.writes, created_table(sql, dialect))


def connection_use(
    conn_id: str, reads: Sequence[str], writes: Sequence[str], created: Table | None
) -> TableUse:
    """Tables one statement on `conn_id` reads, writes and creates, as its analysis named them."""
    return TableUse(
        reads=[(conn_id, t) for t in reads],
        writes=[(conn_id, t) for t in writes],
        created=[(conn_id, created)] if created is not None else [],
    )


@deep_nesting()
def created_table(sql: str, dialect: str) -> Table | None:
    """The table a `CREATE TABLE` makes (columns, primary and foreign keys): a target not yet in any
    catalog. A key may be declared on its column or as a table constraint, named or not."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        return None
    table = tree.this.this
    if not isinstance(table, exp.Table):
        return None
    columns, keys, foreign = [], [], []
    for definition in tree.this.expressions:
        if isinstance(definition, exp.ColumnDef):
            kind = definition.args.get("kind")
            columns.append(
                Column(name=definition.name, type=kind.sql(dialect=dialect or None) if kind else "")
            )
            if definition.find(exp.PrimaryKeyColumnConstraint):
                keys.append(definition.name)
            reference = definition.find(exp.Reference)
            if reference is not None:
                foreign += _foreign_key([definition.name], reference)
        else:  # a table constraint, bare or named (`CONSTRAINT name ...`)
            for primary in definition.find_all(exp.PrimaryKey):
                keys += [e.name for e in primary.expressions]
            for key in definition.find_all(exp.ForeignKey):
                reference = key.args.get("reference")
                if isinstance(reference, exp.Reference):
                    foreign += _foreign_key([e.name for e in key.expressions], reference)
    return Table(
        name=table.name, schema_name=table.db or None, columns=columns, primary_key=keys, foreign_keys=foreign
    )


def _foreign_key(columns: list[str], reference: exp.Reference) -> list[ForeignKey]:
    """`columns REFERENCES table (ref_columns)`; no ref_columns means the referenced primary key,
    which only the referenced table knows (left empty here)."""
    target = reference.this
    ref_columns = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else []
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return []
    name = ".".join(part.name for part in table.parts)
    return [ForeignKey(columns=columns, ref_table=name, ref_columns=ref_columns)]
