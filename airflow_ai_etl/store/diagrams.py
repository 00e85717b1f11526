"""What the review page draws for a spec: the step graph, and an ER diagram of the tables it touches.

The ER diagram comes from the catalogs' own keys (primary and foreign keys), drawn for the tables
the steps read or write; it is computed when a draft is made, while the catalogs are at hand, and
stored with the draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec, QualityCheckStep, SqlStep, TransferStep


def step_graph(spec: PipelineSpec) -> dict[str, Any]:
    """`{"nodes": [{"id", "kind", "label"}], "edges": [[upstream, downstream], ...]}`."""
    nodes = [
        {"id": step.id, "kind": str(step.kind), "label": step.description.split("\n", 1)[0] or step.id}
        for step in spec.steps
    ]
    edges = [[upstream, step.id] for step in spec.steps for upstream in step.depends_on]
    return {"nodes": nodes, "edges": edges}


def _sql_tables(sql: str, dialect: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except sqlglot.errors.ParseError:
        return []
    names = []
    for table in tree.find_all(exp.Table):
        parts = [p for p in (table.catalog, table.db, table.name) if p]
        if parts:
            names.append(".".join(parts))
    return names


def created_table(sql: str, dialect: str) -> Table | None:
    """The table a `CREATE TABLE` makes (columns, primary key): a target not yet in any catalog."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        return None
    table = tree.this.this
    if not isinstance(table, exp.Table):
        return None
    columns, keys = [], []
    for definition in tree.this.expressions:
        if isinstance(definition, exp.ColumnDef):
            kind = definition.args.get("kind")
            columns.append(
                Column(name=definition.name, type=kind.sql(dialect=dialect or None) if kind else "")
            )
            if definition.find(exp.PrimaryKeyColumnConstraint):
                keys.append(definition.name)
        elif isinstance(definition, exp.PrimaryKey):
            keys += [e.name for e in definition.expressions]
    return Table(name=table.name, schema_name=table.db or None, columns=columns, primary_key=keys)


def touched_tables(spec: PipelineSpec, dialects: dict[str, str]) -> list[tuple[str, str]]:
    """(conn id, table name) of every table a step reads or writes, in first-use order."""
    found: list[tuple[str, str]] = []
    for step in spec.steps:
        if isinstance(step, TransferStep):
            source = step.source
            if source.table:
                found.append((source.conn_id, source.table))
            elif source.sql:
                found += [
                    (source.conn_id, t) for t in _sql_tables(source.sql, dialects.get(source.conn_id, ""))
                ]
            found.append((step.target.conn_id, step.target.table))
        elif isinstance(step, QualityCheckStep):
            found.append((step.conn_id, step.table))
        elif isinstance(step, SqlStep):
            found += [(step.conn_id, t) for t in _sql_tables(step.sql, dialects.get(step.conn_id, ""))]
    return list(dict.fromkeys(found))


def _table_entry(conn_id: str, name: str, table: Table | None) -> dict[str, Any]:
    if table is None:  # not in the catalog yet, e.g. a target the pipeline creates
        return {"conn_id": conn_id, "name": name, "columns": []}
    keys = set(table.primary_key)
    columns = [{"name": c.name, "type": c.type, "pk": c.name in keys} for c in table.columns]
    return {"conn_id": conn_id, "name": table.qualified_name, "columns": columns}


def er_diagram(spec: PipelineSpec, catalogs: Iterable[SchemaCatalog]) -> dict[str, Any]:
    """`{"tables": [...], "relations": [...]}` for the tables the spec touches, from the catalogs' keys."""
    by_conn = {c.conn_id: c for c in catalogs}
    dialects = {conn_id: c.dialect for conn_id, c in by_conn.items()}
    created = {
        (step.conn_id, table.qualified_name.lower()): table
        for step in spec.steps
        if isinstance(step, SqlStep)
        and (table := created_table(step.sql, dialects.get(step.conn_id, ""))) is not None
    }
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    resolved: list[tuple[str, Table]] = []
    for conn_id, name in touched_tables(spec, dialects):
        catalog = by_conn.get(conn_id)
        table = catalog.find_table(name) if catalog else None
        if table is None:
            table = created.get((conn_id, name.lower()))
        entry = _table_entry(conn_id, name, table)
        if (conn_id, entry["name"]) not in tables:
            tables[(conn_id, entry["name"])] = entry
            if table is not None and catalog is not None and catalog.find_table(name) is table:
                resolved.append((conn_id, table))
    relations = []
    for conn_id, table in resolved:
        catalog = by_conn[conn_id]
        for fk in table.foreign_keys:
            referenced = catalog.find_table(fk.ref_table)
            if referenced is None or (conn_id, referenced.qualified_name) not in tables:
                continue
            relations.append(
                {
                    "conn_id": conn_id,
                    "from_table": table.qualified_name,
                    "from_columns": list(fk.columns),
                    "to_table": referenced.qualified_name,
                    "to_columns": list(fk.ref_columns),
                }
            )
    return {"tables": list(tables.values()), "relations": relations}
