"""What the review page draws for a spec: the step graph, and an ER diagram of the tables it touches.

The ER diagram comes from the catalogs' own keys (primary and foreign keys), drawn for the tables
the steps read or write; it is computed when a draft is made, while the catalogs are at hand, and
stored with the draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_ai_etl.catalog.models import SchemaCatalog, Table
from airflow_ai_etl.spec import PipelineSpec
from airflow_ai_etl.steps import registry
from airflow_ai_etl.steps.base import TableRef, TableUse


def step_graph(spec: PipelineSpec) -> dict[str, Any]:
    """`{"nodes": [{"id", "kind", "label"}], "edges": [[upstream, downstream], ...]}`."""
    nodes = [
        {"id": step.id, "kind": str(step.kind), "label": step.description.split("\n", 1)[0] or step.id}
        for step in spec.steps
    ]
    edges = [[upstream, step.id] for step in spec.steps for upstream in step.depends_on]
    return {"nodes": nodes, "edges": edges}


def touched_tables(uses: Iterable[TableUse]) -> list[TableRef]:
    """(conn id, table name) of every table a step reads or writes, in first-use order."""
    return list(dict.fromkeys(ref for use in uses for ref in (*use.reads, *use.writes)))


def _table_entry(conn_id: str, name: str, table: Table | None) -> dict[str, Any]:
    if table is None:  # in no catalog and created by no step
        return {"conn_id": conn_id, "name": name, "columns": []}
    keys = set(table.primary_key)
    columns = [{"name": c.name, "type": c.type, "pk": c.name in keys} for c in table.columns]
    return {"conn_id": conn_id, "name": table.qualified_name, "columns": columns}


def _spec_catalogs(catalogs: Iterable[SchemaCatalog], uses: Iterable[TableUse]) -> dict[str, SchemaCatalog]:
    """Per connection, the catalog's tables plus those the spec's steps create.

    A created table joins its connection's default schema when its CREATE names none, so that
    `totals` and `public.totals` in two steps resolve to one table, and its foreign keys resolve
    like the catalog's. A table the catalog has already is taken from the catalog (CREATE TABLE
    IF NOT EXISTS of an existing table changes nothing).
    """
    by_conn = {c.conn_id: c for c in catalogs}
    created: dict[str, list[Table]] = {}
    for use in uses:
        for conn_id, table in use.created:
            created.setdefault(conn_id, []).append(table)
    for conn_id, tables in created.items():
        catalog = by_conn.get(conn_id) or SchemaCatalog(conn_id=conn_id, dialect="")
        default = catalog.default_schema
        new = [
            t if t.schema_name or not default else t.model_copy(update={"schema_name": default})
            for t in tables
            if catalog.find_table(t.qualified_name) is None
        ]
        by_conn[conn_id] = catalog.model_copy(update={"tables": [*catalog.tables, *new]})
    return by_conn


def _unresolved_name(name: str, catalog: SchemaCatalog | None) -> str:
    """A table no catalog knows, named as the database would resolve it (default schema added)."""
    default = catalog.default_schema if catalog is not None else None
    return name if "." in name or not default else f"{default}.{name}"


def er_diagram(spec: PipelineSpec, catalogs: Iterable[SchemaCatalog]) -> dict[str, Any]:
    """`{"tables": [...], "relations": [...]}`: every table the spec reads, writes or creates, in
    first-use order, and the foreign keys among them, from the catalogs and the spec's own CREATEs."""
    catalogs = list(catalogs)
    dialects = {c.conn_id: c.dialect for c in catalogs}
    uses = registry.table_uses(spec.steps, dialects)
    known = _spec_catalogs(catalogs, uses)
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    drawn: list[tuple[str, Table]] = []
    for conn_id, name in touched_tables(uses):
        catalog = known.get(conn_id)
        table = catalog.find_table(name) if catalog is not None else None
        entry = _table_entry(conn_id, _unresolved_name(name, catalog), table)
        if (conn_id, entry["name"]) not in tables:
            tables[(conn_id, entry["name"])] = entry
            if table is not None:
                drawn.append((conn_id, table))
    relations = []
    for conn_id, table in drawn:
        catalog = known[conn_id]
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
                    # A key that names no columns references the primary key.
                    "to_columns": list(fk.ref_columns or referenced.primary_key),
                }
            )
    return {"tables": list(tables.values()), "relations": relations}
