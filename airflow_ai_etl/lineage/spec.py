"""A pipeline's lineage from its spec, for the review page: per step, the OpenLineage job name,
the tables it reads and writes, and where each column it writes comes from.

Nothing here touches a database: the columns come from the ER diagram stored with the draft (the
catalogs as they were when it was made), so `SELECT *` expands for the tables it shows. Steps are
asked through the kinds' registry (`tables`, `sql_fields`), never by kind name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airflow_ai_etl.lineage.columns import statement_lineage
from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.steps import registry


def er_schemas(er: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """`{conn_id: {schema: {table: {column: type}}}}` from a stored ER diagram's tables."""
    schemas: dict[str, dict[str, Any]] = {}
    for table in (er or {}).get("tables", []):
        columns = {c["name"]: c.get("type") or "text" for c in table.get("columns", [])}
        if not columns:
            continue
        nested = schemas.setdefault(str(table["conn_id"]), {})
        *schema, name = str(table["name"]).split(".")
        if schema:
            nested.setdefault(schema[-1], {})[name] = columns
        else:
            nested[name] = columns
    return schemas


def pipeline_lineage(
    spec: PipelineSpec,
    dialects: Mapping[str, str],
    er: Mapping[str, Any] | None,
    namespace_of: Callable[[str], str | None],
) -> list[dict[str, Any]]:
    """Each step's lineage: `job` (the OpenLineage job name Airflow's provider gives its task),
    `reads`/`writes` as {conn_id, table, namespace}, and `columns` as {column, table, sources}."""
    schemas = er_schemas(er)
    uses = registry.table_uses(spec.steps, dialects)
    steps = []
    for step, use in zip(spec.steps, uses, strict=True):
        columns: list[dict[str, Any]] = []
        sqls = registry.kind_of(step).sql_fields(step)
        if not sqls and len(use.reads) == 1 and len(use.writes) == 1:
            columns = _copied(use.reads[0], use.writes[0][1], schemas)
        for sql in sqls:
            written = statement_lineage(sql.sql, dialects.get(sql.conn_id) or None, schemas.get(sql.conn_id))
            target = written.writes or (use.writes[0][1] if len(use.writes) == 1 else None)
            columns += [
                {
                    "column": column,
                    "table": target,
                    "sources": [
                        {
                            "conn_id": sql.conn_id,
                            "table": s.table,
                            "column": s.column,
                            "transformation": s.transformation,
                        }
                        for s in sources
                    ],
                }
                for column, sources in written.columns.items()
            ]
        steps.append(
            {
                "step_id": step.id,
                "kind": str(step.kind),
                "job": f"{spec.dag_id}.{step.id}",
                "reads": [_table(conn_id, name, namespace_of) for conn_id, name in use.reads],
                "writes": [_table(conn_id, name, namespace_of) for conn_id, name in use.writes],
                "columns": columns,
            }
        )
    return steps


def _copied(read: tuple[str, str], target: str, schemas: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A step without SQL that reads one table and writes another copies its columns by name."""
    conn_id, table = read
    *schema, name = table.split(".")
    nested = schemas.get(conn_id, {})
    found = (nested.get(schema[-1], {}) if schema else nested).get(name)
    if not isinstance(found, dict):
        return []
    return [
        {
            "column": column,
            "table": target,
            "sources": [{"conn_id": conn_id, "table": table, "column": column, "transformation": "IDENTITY"}],
        }
        for column in found
    ]


def _table(conn_id: str, name: str, namespace_of: Callable[[str], str | None]) -> dict[str, Any]:
    return {"conn_id": conn_id, "table": name, "namespace": namespace_of(conn_id)}
