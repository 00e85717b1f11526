"""GET /pipelines, rollback, test runs, schedule on/off; GET /connections (for the pickers); GET /audit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from airflow_ai_etl.plugins.api_drafts import airflow_url
from airflow_ai_etl.plugins.audit import refuse
from airflow_ai_etl.plugins.auth import ReadUser, RollbackUser, RunUser, ScheduleUser, StoreDep
from airflow_ai_etl.plugins.schemas import (
    AuditOut,
    ConnectionOut,
    PipelineOut,
    PipelineUsageOut,
    RollbackOut,
    RunOut,
    ScheduleIn,
    ScheduleOut,
)
from airflow_ai_etl.plugins.visibility import VISIBILITY_WINDOW, ReaderDep, visible_audit
from airflow_ai_etl.store import Store
from airflow_ai_etl.store.ledger import LedgerLine, ledger_totals, usage_ledger

if TYPE_CHECKING:
    from airflow_ai_etl.plugins.airflow_side import ParsedDag

router = APIRouter(tags=["pipelines"])

DagIdPath = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,199}$", description="A pipeline's dag_id")]


@router.get("/pipelines")
def list_pipelines(who: ReaderDep, store: StoreDep) -> list[PipelineOut]:
    """Deployed pipelines the caller may read, newest first: version, parsed, schedule, next and last run."""
    from airflow_ai_etl.plugins.airflow_side import dag_statuses

    deployed = store.live_deployments()
    who.learn(row.dag_id for row in deployed)
    live = [row for row in deployed if who.may_read(row.dag_id, None)]
    statuses = dag_statuses(row.dag_id for row in live)
    usage = ledger_totals(usage_ledger(store, [row.dag_id for row in live]))
    return [
        PipelineOut(
            dag_id=row.dag_id,
            version=row.version,
            draft_id=row.draft_id,
            action=row.action,
            deployed_by=row.deployed_by,
            deployed_at=row.deployed_at,
            parsed=status.parsed,
            state=status.last_run_state,
            paused=status.paused,
            schedule=status.schedule,
            next_run_after=status.next_run_after,
            last_run_id=status.last_run_id,
            last_run_at=status.last_run_at,
            airflow_url=airflow_url(row.dag_id),
            usage=_usage_out(usage.get(row.dag_id)),
        )
        for row in live
        for status in [statuses[row.dag_id]]
    ]


def _usage_out(spent: LedgerLine | None) -> PipelineUsageOut | None:
    if spent is None:
        return None
    return PipelineUsageOut(
        calls=spent.calls,
        tokens=spent.input_tokens + spent.output_tokens,
        cost_usd=spent.cost_usd,
        cache_hits=spent.cache_hits,
        saved_tokens=spent.saved_tokens,
        saved_cost_usd=spent.saved_cost_usd,
    )


@router.post(
    "/pipelines/{dag_id}/rollback",
    responses={404: {"description": "Never deployed"}, 409: {"description": "Nothing to roll back to"}},
)
def rollback_pipeline(dag_id: DagIdPath, user: RollbackUser, store: StoreDep) -> RollbackOut:
    """Make the version that was live before the current one live again."""
    from airflow_ai_etl.deploy import DeployError, choose_target, rollback

    target = f"dag:{dag_id}"
    try:
        deploy_target = choose_target()  # the configured one: the dags folder, or git
        if not deploy_target.history(dag_id):
            detail = f"pipeline {dag_id!r} was never deployed to {deploy_target.description}"
            refuse(store, user=user, action="rollback", target=target, status=404, detail=detail)
        deployment = rollback(dag_id, target=deploy_target, approver=user)
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


def _parsed_pipeline(store: Store, dag_id: str, *, user: str, action: str) -> ParsedDag:
    """The deployed pipeline as Airflow has parsed it; 404 when not ours, 409 when not parsed yet."""
    from airflow_ai_etl.plugins.airflow_side import DagNotReady, parsed_dag

    target = f"dag:{dag_id}"
    if store.live_deployment(dag_id) is None:
        detail = f"{dag_id!r} is not a deployed airflow-ai-etl pipeline"
        refuse(store, user=user, action=action, target=target, status=404, detail=detail)
    try:
        return parsed_dag(dag_id)
    except DagNotReady:
        detail = (
            f"Airflow has not parsed {dag_id!r} yet (the dag-processor picks up a new file within "
            "seconds to minutes); try again shortly"
        )
        refuse(store, user=user, action=action, target=target, status=409, detail=detail)


@router.post(
    "/pipelines/{dag_id}/runs",
    status_code=201,
    responses={404: {"description": "Not a deployed pipeline"}, 409: {"description": "Not parsed yet"}},
)
def start_test_run(dag_id: DagIdPath, user: RunUser, store: StoreDep) -> RunOut:
    """A test run: the pipeline runs once now; its schedule stays as it is.

    A paused pipeline stays paused: the run is driven by `DAG.test()` in a child process of the
    api-server (the scheduler ignores paused DAGs), so no scheduled run follows. A pipeline whose
    schedule is on gets an ordinary manual run from the scheduler.
    """
    from airflow_ai_etl.plugins.airflow_side import DagNotReady, trigger
    from airflow_ai_etl.plugins.paused_run import launch

    dag = _parsed_pipeline(store, dag_id, user=user, action="test_run")
    target = f"dag:{dag_id}"
    try:
        run = launch(dag) if dag.paused else trigger(dag_id, conf={}, user=user)
    except DagNotReady:  # removed between the two looks
        refuse(store, user=user, action="test_run", target=target, status=409, detail=f"{dag_id!r} is gone")
    store.audit(
        user=user, action="test_run", target=target, detail={"run_id": run.run_id, "paused": dag.paused}
    )
    return RunOut(dag_id=run.dag_id, run_id=run.run_id, state=run.state, schedule_on=not dag.paused)


@router.get("/pipelines/{dag_id}/runs/{run_id}", responses={404: {"description": "Unknown run"}})
def get_run(dag_id: DagIdPath, run_id: str, user: ReadUser) -> RunOut:
    """A run's state; a test run that is still starting is `queued`, one that could not start `failed`."""
    from airflow_ai_etl.plugins.airflow_side import dag_statuses, run_state
    from airflow_ai_etl.plugins.paused_run import start_failure, was_launched

    schedule_on = dag_statuses([dag_id])[dag_id].paused is False
    found = run_state(dag_id, run_id)
    if found is not None:
        return RunOut(dag_id=dag_id, run_id=run_id, state=found.state, schedule_on=schedule_on)
    if not was_launched(dag_id, run_id):
        raise HTTPException(status_code=404, detail=f"DAG {dag_id!r} has no run {run_id!r}")
    failure = start_failure(dag_id, run_id)
    return RunOut(
        dag_id=dag_id,
        run_id=run_id,
        state="failed" if failure else "queued",
        schedule_on=schedule_on,
        message=failure,
    )


@router.put(
    "/pipelines/{dag_id}/schedule",
    responses={404: {"description": "Not a deployed pipeline"}, 409: {"description": "Not parsed yet"}},
)
def set_schedule(dag_id: DagIdPath, body: ScheduleIn, user: ScheduleUser, store: StoreDep) -> ScheduleOut:
    """Turn the pipeline's schedule on (unpause its DAG) or off (pause it), as Airflow's toggle does."""
    from airflow_ai_etl.plugins.airflow_side import dag_statuses, set_paused

    _parsed_pipeline(store, dag_id, user=user, action="schedule")
    dag = set_paused(dag_id, paused=not body.on)
    store.audit(user=user, action="schedule", target=f"dag:{dag_id}", detail={"on": body.on})
    status = dag_statuses([dag_id])[dag_id]
    return ScheduleOut(
        dag_id=dag_id, on=not dag.paused, schedule=dag.schedule, next_run_after=status.next_run_after
    )


@router.get("/connections")
def list_connections(user: ReadUser) -> list[ConnectionOut]:
    """Connection ids and types for the source/target pickers (never hosts, logins or secrets).

    DAG read access suffices, not connection access: ids are what every generated DAG file shows
    to its readers anyway, and nothing else about a connection is returned.
    """
    from airflow_ai_etl.doctor.providers import missing_provider
    from airflow_ai_etl.plugins.airflow_side import list_connections as connections

    found = []
    for conn_id, conn_type in connections():
        missing = missing_provider(conn_type)
        problem = None if missing is None else f"{missing.message}; {missing.fix}"
        found.append(ConnectionOut(conn_id=conn_id, conn_type=conn_type, missing=problem))
    return found


@router.get("/audit")
def audit_log(
    who: ReaderDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditOut]:
    """Who requested, edited, deployed, rolled back or test-ran what, and when; refusals too. Newest first.

    Entries about DAGs the caller may read, and their own; see `GET /requests` for the window.
    """
    rows = store.audit_log(limit if who.all_dags else max(limit, VISIBILITY_WINDOW))
    return [
        AuditOut(at=r.at, user=r.user, action=r.action, target=r.target, outcome=r.outcome, detail=r.detail)
        for r in visible_audit(store, who, rows)[:limit]
    ]
