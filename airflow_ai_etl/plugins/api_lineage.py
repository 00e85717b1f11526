"""GET /pipelines/{dag_id}/lineage: each step's tables and column lineage, under the names a
lineage tool (Marquez, DataHub, ...) receives from the OpenLineage provider for the same tasks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from airflow_ai_etl.plugins.api_pipelines import DagIdPath
from airflow_ai_etl.plugins.auth import ReadUser, StoreDep
from airflow_ai_etl.plugins.schemas import LineageOut, StepLineageOut

router = APIRouter(tags=["pipelines"])


@router.get("/pipelines/{dag_id}/lineage", responses={404: {"description": "Not a deployed pipeline"}})
def pipeline_lineage(dag_id: DagIdPath, user: ReadUser, store: StoreDep) -> LineageOut:
    """The live version's lineage: per step, the OpenLineage job, tables read and written with
    their dataset namespaces, and the source columns of each column written (from its SQL)."""
    from airflow_ai_etl.lineage.spec import pipeline_lineage as lineage_of
    from airflow_ai_etl.spec import PipelineSpec

    live = store.live_deployment(dag_id)
    draft = store.get_draft(live.draft_id) if live is not None and live.draft_id is not None else None
    if draft is None or draft.spec is None:
        raise HTTPException(status_code=404, detail=f"{dag_id!r} is not a pipeline deployed from a draft")
    spec = PipelineSpec.model_validate(draft.spec)
    namespaces = _Namespaces()
    steps = lineage_of(spec, namespaces.dialects(spec), draft.er, namespaces.of)
    return LineageOut(
        dag_id=dag_id,
        version=live.version if live is not None else None,
        job_namespace=_job_namespace(),
        lineage_url=_lineage_url(),
        steps=[StepLineageOut.model_validate(step) for step in steps],
    )


def _job_namespace() -> str:
    """The namespace the OpenLineage provider gives Airflow's jobs (`[openlineage] namespace`)."""
    from airflow.sdk import conf

    return str(conf.get("openlineage", "namespace", fallback=None) or "default")


def _lineage_url() -> str | None:
    from airflow_ai_etl.config import config_str

    return config_str("lineage_url")


class _Namespaces:
    """Each connection's dataset namespace and dialect, looked up once per request."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[str | None, str]] = {}

    def _look_up(self, conn_id: str) -> tuple[str | None, str]:
        if conn_id not in self._found:
            self._found[conn_id] = _connection_naming(conn_id)
        return self._found[conn_id]

    def of(self, conn_id: str) -> str | None:
        return self._look_up(conn_id)[0]

    def dialects(self, spec: Any) -> dict[str, str]:
        from airflow_ai_etl.steps import registry

        conn_ids = {conn_id for step in spec.steps for _, conn_id in registry.kind_of(step).connections(step)}
        return {conn_id: self._look_up(conn_id)[1] for conn_id in conn_ids}


def _connection_naming(conn_id: str) -> tuple[str | None, str]:
    """(namespace, sqlglot dialect) of a connection; (None, "") when it cannot be looked at."""
    from airflow_ai_etl.catalog.connections import airflow_connection, dialect_for_conn_type

    try:
        connection = airflow_connection(conn_id)
        dialect = dialect_for_conn_type(connection.conn_type or "")
        if connection.conn_type == "kafka":
            from airflow_ai_etl.lineage.naming import kafka_namespace

            return kafka_namespace(connection.extra_dejson), dialect
        from airflow.providers.common.sql.hooks.sql import DbApiHook

        hook = connection.get_hook()  # type: ignore[no-untyped-call]
        if isinstance(hook, DbApiHook):
            from airflow_ai_etl.lineage.naming import sql_naming

            return sql_naming(hook).namespace, dialect
        return None, dialect
    except Exception:  # a connection deleted since, or a provider missing: show the conn_id only
        return None, ""
