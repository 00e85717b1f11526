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
    if table is None:  # not in the catalog yet, e.g. a target the pipeline creates
        return {"conn_id": conn_id, "name": name, "columns": []}
    keys = set(table.primary_key)
    columns = [{"name": c.name, "type": c.type, "pk": c.name in keys} for c in table.columns]
    return {"conn_id": conn_id, "name": table.qualified_name, "columns": columns}


def er_diagram(spec: PipelineSpec, catalogs: Iterable[SchemaCatalog]) -> dict[str, Any]:
    """`{"tables": [...], "relations": [...]}` for the tables the spec touches, from the catalogs' keys."""
    by_conn = {c.conn_id: c for c in catalogs}
    dialects = {conn_id: c.dialect for conn_id, c in by_conn.items()}
    uses = registry.table_uses(spec.steps, dialects)
    created = {
        (conn_id, table.qualified_name.lower()): table for use in uses for conn_id, table in use.created
    }
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    resolved: list[tuple[str, Table]] = []
    for conn_id, name in touched_tables(uses):
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
