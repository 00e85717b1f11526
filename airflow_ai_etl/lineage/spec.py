"""A pipeline's lineage from its spec, for the review page: per step, the OpenLineage job name,
the tables, files and topics it reads and writes, and where each column it writes comes from.

Nothing here touches a database: the columns come from the ER diagram stored with the draft (the
catalogs as they were when it was made), so `SELECT *` expands for the tables it shows; without
one (a pipeline deployed from a spec file), only what the spec and its SQL name is known. Steps
are asked through the kinds' registry (`tables`, `sql_fields`, `data_flow`), never by kind name:
SQL gives column lineage through sqlglot (the written table's, or the exported file's columns);
a step that copies by name (file loads, Kafka ingests, table copies and exports) maps each
column to the field of the same name it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airflow_ai_etl.lineage.columns import statement_lineage
from airflow_ai_etl.lineage.model import IDENTITY
from airflow_ai_etl.lineage.naming import file_dataset
from airflow_ai_etl.spec.models import PipelineSpec
from airflow_ai_etl.steps import registry
from airflow_ai_etl.steps.base import DataFlow, Outside

#: A dataset of a step in the page's terms: {kind, conn_id, table, namespace}; `table` is the
#: OpenLineage dataset name for files and topics (the key for s3://, the path, the topic).
DatasetRef = dict[str, Any]


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
    `reads`/`writes` as {kind, conn_id, table, namespace} (kind table, file or topic), and
    `columns` as {column, table (the dataset written), sources}."""
    schemas = er_schemas(er)
    uses = registry.table_uses(spec.steps, dialects)
    steps = []
    for step, use in zip(spec.steps, uses, strict=True):
        kind = registry.kind_of(step)
        flow = kind.data_flow(step)
        reads = [_table(c, t, namespace_of) for c, t in use.reads] + [
            _outside(o, namespace_of) for o in flow.reads
        ]
        writes = [_table(c, t, namespace_of) for c, t in use.writes] + [
            _outside(o, namespace_of) for o in flow.writes
        ]
        columns: list[dict[str, Any]] = []
        sqls = [] if flow.through_code else kind.sql_fields(step)
        if not sqls and flow.copies_by_name and len(reads) == 1 and writes:
            columns = _copied(reads[0], writes[0], flow, schemas)
        for sql in sqls:
            written = statement_lineage(sql.sql, dialects.get(sql.conn_id) or None, schemas.get(sql.conn_id))
            target = written.writes or (writes[0]["table"] if len(writes) == 1 else None)
            columns += [
                {
                    "column": column,
                    "table": target,
                    "sources": [
                        _source(_table(sql.conn_id, s.table, namespace_of), s.column, s.transformation)
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
                "reads": reads,
                "writes": writes,
                "columns": columns,
            }
        )
    return steps


def _copied(
    read: DatasetRef, write: DatasetRef, flow: DataFlow, schemas: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Each column written is the read field of the same name: the spec's columns, else those of
    the table at either end (the source table's, else the target's) in the ER diagram."""
    names = list(flow.columns) if flow.columns is not None else None
    for end in (read, write):
        if names is None and end["kind"] == "table":
            names = _er_columns(schemas, end["conn_id"], end["table"])
    return [
        {"column": column, "table": write["table"], "sources": [_source(read, column, IDENTITY)]}
        for column in names or []
    ]


def _er_columns(schemas: Mapping[str, Any], conn_id: str, table: str) -> list[str] | None:
    *schema, name = table.split(".")
    nested = schemas.get(conn_id, {})
    found = (nested.get(schema[-1], {}) if schema else nested).get(name)
    return list(found) if isinstance(found, dict) else None


def _source(dataset: DatasetRef, column: str, transformation: str) -> dict[str, Any]:
    return {
        "kind": dataset["kind"],
        "conn_id": dataset["conn_id"],
        "table": dataset["table"],
        "column": column,
        "transformation": transformation,
    }


def _table(conn_id: str, name: str, namespace_of: Callable[[str], str | None]) -> DatasetRef:
    return {"kind": "table", "conn_id": conn_id, "table": name, "namespace": namespace_of(conn_id)}


def _outside(outside: Outside, namespace_of: Callable[[str], str | None]) -> DatasetRef:
    """A file under OpenLineage's file naming (`file` or `s3://bucket`, then the path or key), or a
    topic under its Kafka connection's namespace (`kafka://first-broker`)."""
    if outside.kind == "file":
        dataset = file_dataset(outside.name)
        return {
            "kind": "file",
            "conn_id": outside.conn_id,
            "table": dataset.name,
            "namespace": dataset.namespace,
        }
    namespace = namespace_of(outside.conn_id) if outside.conn_id else None
    return {"kind": "topic", "conn_id": outside.conn_id, "table": outside.name, "namespace": namespace}
