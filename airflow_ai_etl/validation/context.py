"""What validation knows about the world: which connections exist, and what their schemas hold.

Validation itself never talks to Airflow or a database, so it can run on hand-built contexts in
tests and on cached catalogs in the agents' loop; `context_from_airflow` is the one place that
gathers the real thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from airflow_ai_etl.catalog.connections import (
    ConnectionInfo,
    UnknownConnectionError,
    airflow_connection,
    describe_connection,
)
from airflow_ai_etl.catalog.introspect import CatalogError, introspect
from airflow_ai_etl.catalog.models import SchemaCatalog
from airflow_ai_etl.spec.models import AnyStep, PipelineSpec
from airflow_ai_etl.validation.provenance import Author


@dataclass
class ValidationContext:
    """Connections defined in Airflow, and the catalogs of those whose schema could be read.

    A conn id missing from `connections` is not defined in Airflow. A conn id in `connections`
    but not in `catalogs` has an unknown schema: its schema checks are skipped with a warning
    that quotes `catalog_errors[conn_id]` when the reason is known.
    """

    connections: Mapping[str, ConnectionInfo]
    catalogs: Mapping[str, SchemaCatalog]
    catalog_errors: Mapping[str, str] = field(default_factory=dict)
    #: Who wrote the spec: only a person's destructive grants are honoured (see provenance.py).
    author: Author = "person"

    def dialect(self, conn_id: str) -> str:
        """sqlglot dialect of a connection ('' = generic), from Airflow or else from its catalog."""
        info = self.connections.get(conn_id)
        if info is not None and info.dialect:
            return info.dialect
        catalog = self.catalogs.get(conn_id)
        return catalog.dialect if catalog is not None else ""


def step_connections(step: AnyStep) -> list[tuple[str, str]]:
    """(field, conn id) of every connection a step uses."""
    from airflow_ai_etl.steps import registry  # the kinds' checks import validation

    return registry.kind_of(step).connections(step)


#: The field of a connection that holds files, not tables: it has no schema to read.
STORAGE_FIELD = "storage_conn_id"


def schema_connections(step: AnyStep) -> list[str]:
    """Conn ids of the step whose schema validation reads (storage connections have none)."""
    return [conn_id for field, conn_id in step_connections(step) if field != STORAGE_FIELD]


def spec_connections(spec: PipelineSpec) -> list[str]:
    """Every conn id the spec's steps and failure notification name, in first-use order."""
    conn_ids = [conn_id for step in spec.steps for _, conn_id in step_connections(step)]
    if spec.on_failure is not None and spec.on_failure.smtp_conn_id:
        conn_ids.append(spec.on_failure.smtp_conn_id)
    return list(dict.fromkeys(conn_ids))


def context_from_airflow(spec: PipelineSpec, *, introspect_schemas: bool = True) -> ValidationContext:
    """Look up the spec's connections in Airflow and, unless told not to, read their schemas.

    A connection that cannot be introspected is not an error here: validation reports it as a
    `schema.unknown` warning, with the reason. No table's data is sampled (value summaries): no
    check reads them, and sampling cost more than the rest of a re-validation together.
    """
    connections: dict[str, ConnectionInfo] = {}
    catalogs: dict[str, SchemaCatalog] = {}
    errors: dict[str, str] = {}
    smtp = spec.on_failure.smtp_conn_id if spec.on_failure else None
    with_schema = {conn_id for step in spec.steps for conn_id in schema_connections(step)}
    for conn_id in spec_connections(spec):
        try:
            connection = airflow_connection(conn_id)  # once: describing and reading share it
        except UnknownConnectionError:
            continue
        connections[conn_id] = describe_connection(conn_id, connection)
        if not introspect_schemas or conn_id == smtp or conn_id not in with_schema:
            continue
        try:
            catalogs[conn_id] = introspect(conn_id, connection=connection, value_summaries=False)
        except CatalogError as exc:
            errors[conn_id] = str(exc)
    return ValidationContext(connections=connections, catalogs=catalogs, catalog_errors=errors)
