"""GET /pipelines/{dag_id}/lineage: each step's tables and column lineage, under the names a
lineage tool (Marquez, DataHub, ...) receives from the OpenLineage provider for the same tasks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException

from airflow_ai_etl.plugins.api_pipelines import DagIdPath
from airflow_ai_etl.plugins.auth import ReadUser, StoreDep
from airflow_ai_etl.plugins.schemas import LineageOut, StepLineageOut

if TYPE_CHECKING:
    from airflow_ai_etl.spec import PipelineSpec
    from airflow_ai_etl.store import Store

log = logging.getLogger(__name__)
router = APIRouter(tags=["pipelines"])


@router.get(
    "/pipelines/{dag_id}/lineage",
    responses={
        404: {"description": "Not a deployed pipeline"},
        503: {"description": "The deploy target cannot be read"},
    },
)
def pipeline_lineage(dag_id: DagIdPath, user: ReadUser, store: StoreDep) -> LineageOut:
    """The live version's lineage: per step, the OpenLineage job, tables, files and topics read and
    written with their dataset namespaces, and the sources of each column written.

    The spec is the deployed draft's (with the ER diagram its review showed, so `SELECT *`
    expands); a pipeline deployed without a draft (`ai-etl deploy spec.yaml`) is read from the
    spec the deploy target keeps beside its DAG file."""
    from airflow_ai_etl.lineage.spec import pipeline_lineage as lineage_of

    deployed = _draft_spec(store, dag_id) or _live_spec(dag_id)
    if deployed is None:
        raise HTTPException(status_code=404, detail=f"{dag_id!r} is not a deployed airflow-ai-etl pipeline")
    spec, er, version = deployed
    namespaces = _Namespaces()
    steps = lineage_of(spec, namespaces.dialects(spec), er, namespaces.of)
    return LineageOut(
        dag_id=dag_id,
        version=version,
        job_namespace=_job_namespace(),
        lineage_url=_lineage_url(),
        steps=[StepLineageOut.model_validate(step) for step in steps],
    )


def _draft_spec(store: Store, dag_id: str) -> tuple[PipelineSpec, Mapping[str, Any] | None, int] | None:
    """The spec, ER diagram and version of the draft the store records as live, if any."""
    from airflow_ai_etl.spec import PipelineSpec

    live = store.live_deployment(dag_id)
    draft = store.get_draft(live.draft_id) if live is not None and live.draft_id is not None else None
    if live is None or draft is None or draft.spec is None:
        return None
    return PipelineSpec.model_validate(draft.spec), draft.er, live.version


def _live_spec(dag_id: str) -> tuple[PipelineSpec, None, int | None] | None:
    """The spec live beside `ai_etl/<dag_id>.py` in the deploy target, and its version (no ER
    diagram: only the columns the spec and its SQL name are known)."""
    from airflow_ai_etl.deploy import DeployError, choose_target
    from airflow_ai_etl.spec import SpecError, loads_spec

    try:
        target = choose_target()
        text = target.live_file(f"{dag_id}.yaml")
        if text is None or target.live_file(f"{dag_id}.py") is None:
            return None
        history = target.history(dag_id)
    except (DeployError, OSError) as error:
        detail = f"the deploy target cannot be read now: {error}"
        raise HTTPException(status_code=503, detail=detail) from None
    try:
        spec = loads_spec(text, source=f"ai_etl/{dag_id}.yaml")
    except SpecError as error:
        log.warning("The live spec of %s does not load: %s", dag_id, error)
        return None
    if spec.dag_id != dag_id:
        return None
    return spec, None, history[-1].version if history else None


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
