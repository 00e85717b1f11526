"""GET /pipelines, rollback, test runs; GET /connections (for the pickers); GET /audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from airflow_ai_etl.plugins.api_drafts import airflow_url, dags_folder
from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import ReadUser, RollbackUser, RunUser, StoreDep
from airflow_ai_etl.plugins.schemas import (
    AuditOut,
    ConnectionOut,
    PipelineOut,
    PipelineUsageOut,
    RollbackOut,
    RunOut,
)
from airflow_ai_etl.store.ledger import ledger_totals, usage_ledger

router = APIRouter(tags=["pipelines"])

DagIdPath = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,199}$", description="A pipeline's dag_id")]


@router.get("/pipelines")
def list_pipelines(user: ReadUser, store: StoreDep) -> list[PipelineOut]:
    """Deployed pipelines, newest first, with their live version and latest run state."""
    from airflow_ai_etl.plugins.airflow_side import dag_overview

    live = store.live_deployments()
    overview = dag_overview(row.dag_id for row in live)
    usage = ledger_totals(usage_ledger(store, [row.dag_id for row in live]))
    pipelines = []
    for row in live:
        state, paused = overview.get(row.dag_id, (None, None))
        spent = usage.get(row.dag_id)
        pipelines.append(
            PipelineOut(
                dag_id=row.dag_id,
                version=row.version,
                draft_id=row.draft_id,
                action=row.action,
                deployed_by=row.deployed_by,
                deployed_at=row.deployed_at,
                state=state,
                paused=paused,
                airflow_url=airflow_url(row.dag_id),
                usage=None
                if spent is None
                else PipelineUsageOut(
                    calls=spent.calls,
                    tokens=spent.input_tokens + spent.output_tokens,
                    cost_usd=spent.cost_usd,
                    cache_hits=spent.cache_hits,
                    saved_tokens=spent.saved_tokens,
                    saved_cost_usd=spent.saved_cost_usd,
                ),
            )
        )
    return pipelines


@router.post(
    "/pipelines/{dag_id}/rollback",
    responses={404: {"description": "Never deployed"}, 409: {"description": "Nothing to roll back to"}},
)
def rollback_pipeline(dag_id: DagIdPath, user: RollbackUser, store: StoreDep) -> RollbackOut:
    """Make the version that was live before the current one live again."""
    from airflow_ai_etl.deploy import DeployError, rollback
    from airflow_ai_etl.deploy.local import AI_ETL_SUBDIR
    from airflow_ai_etl.deploy.versions import VersionStore

    folder = dags_folder()
    target = f"dag:{dag_id}"
    if not VersionStore(folder / AI_ETL_SUBDIR, dag_id).history():
        detail = f"pipeline {dag_id!r} was never deployed to {folder}"
        refuse(store, user=user, action="rollback", target=target, status=404, detail=detail)
    try:
        deployment = rollback(dag_id, dags_folder=folder)
    except DeployError as exc:
        failure = {"message": exc.message, "import_errors": exc.import_errors}
        refuse(store, user=user, action="rollback", target=target, status=409, detail=failure)
    draft_id = store.draft_of_version(dag_id, deployment.version)
    store.record_deployment(
        dag_id=dag_id,
        version=deployment.version,
        action="rollback",
        draft_id=draft_id,
        path=str(deployment.path),
        spec_sha256=deployment.spec_sha256,
        deployed_by=user,
    )
    store.audit(user=user, action="rollback", target=target, detail={"version": deployment.version})
    return RollbackOut(
        dag_id=dag_id,
        version=deployment.version,
        draft_id=draft_id,
        path=str(deployment.path),
        message=deployment.message,
        airflow_url=airflow_url(dag_id),
    )


@router.post(
    "/pipelines/{dag_id}/runs",
    status_code=201,
    responses={404: {"description": "Not a deployed pipeline"}, 409: {"description": "Not parsed yet"}},
)
def start_test_run(dag_id: DagIdPath, user: RunUser, store: StoreDep) -> RunOut:
    """A test run: unpause the pipeline's DAG and trigger a run now."""
    from airflow_ai_etl.plugins.airflow_side import DagNotReady, trigger

    target = f"dag:{dag_id}"
    if store.live_deployment(dag_id) is None:
        detail = f"{dag_id!r} is not a deployed airflow-ai-etl pipeline"
        refuse(store, user=user, action="test_run", target=target, status=404, detail=detail)
    try:
        run = trigger(dag_id, conf={}, user=user, unpause=True)
    except DagNotReady:
        detail = f"Airflow has not parsed {dag_id!r} yet; try again in a few seconds"
        refuse(store, user=user, action="test_run", target=target, status=409, detail=detail)
    store.audit(user=user, action="test_run", target=target, detail={"run_id": run.run_id})
    return RunOut(dag_id=run.dag_id, run_id=run.run_id, state=run.state)


@router.get("/pipelines/{dag_id}/runs/{run_id}", responses={404: {"description": "Unknown run"}})
def get_run(dag_id: DagIdPath, run_id: str, user: ReadUser) -> RunOut:
    from airflow_ai_etl.plugins.airflow_side import run_state

    found = run_state(dag_id, run_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"DAG {dag_id!r} has no run {run_id!r}")
    return RunOut(dag_id=found.dag_id, run_id=found.run_id, state=found.state)


@router.get("/connections")
def list_connections(user: ReadUser) -> list[ConnectionOut]:
    """Connection ids and types for the source/target pickers (never hosts, logins or secrets).

    DAG read access suffices, not connection access: ids are what every generated DAG file shows
    to its readers anyway, and nothing else about a connection is returned.
    """
    from airflow_ai_etl.plugins.airflow_side import list_connections as connections

    return [ConnectionOut(conn_id=conn_id, conn_type=conn_type) for conn_id, conn_type in connections()]


@router.get("/audit")
def audit_log(
    user: ReadUser, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditOut]:
    """Who requested, edited, deployed, rolled back or test-ran what, and when; refusals too. Newest first."""
    return [
        AuditOut(at=r.at, user=r.user, action=r.action, target=r.target, outcome=r.outcome, detail=r.detail)
        for r in store.audit_log(limit)
    ]
